//! pytm parity: for every threat of pytm's library that `rules/coverage-pytm.yaml` marks
//! `covered_by`, a minimal model that states pytm's condition for it, and the element on which a
//! covering rule must report a threat.
//!
//! pytm's conditions (pytm 1.4.0, `threatlib/threats.json`) test attributes of one element: a
//! control that is `False`, a protocol, a data format. A model here says the same in
//! threatforge's words: a control pytm finds missing is simply not declared, a protocol is the
//! flow's, an XML format is the `parses-xml` trait of the process that receives it. Where pytm's
//! condition leaves something open (a server "without input validation" that talks to no
//! database), the model adds only what the threat's own name states (the SQL database of a SQL
//! injection), and the case's comment says where threatforge asks for more than pytm.
//!
//! Where threatforge deliberately does not fire on such a model, the coverage entry's `differs`
//! note says why and the case holds that no covering threat is there.

use std::collections::BTreeSet;
use std::path::Path;

use threatforge_analysis::COVERAGE_PYTM;
use threatforge_analysis::RuleCoverage as Coverage;
use threatforge_analysis::{Analysis, RuleSet, Threat, analyze};
use threatforge_model::{LoadOptions, load_str};

/// What threatforge answers on a case's model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The rule reports an open threat on the element.
    Fires,
    /// threatforge deliberately reports nothing there; the coverage entry's `differs` says why.
    Differs,
}

struct Case {
    /// pytm's threat id (`SID`).
    pytm: &'static str,
    /// `rule:element`: the covering rule and the element its threat must be on (for a rule that
    /// groups its threats, the element among the group's members).
    threat: &'static str,
    expect: Expect,
    /// The model without its `system`, which every case shares.
    model: &'static str,
}

use Expect::{Differs, Fires};

const CASES: &[Case] = &[
    // CR01 Session Sidejacking (Dataflow): protocol HTTP and session tokens.
    Case {
        pytm: "CR01",
        threat: "credentials-over-unencrypted-flow:user->shop",
        expect: Fires,
        model: "components:
  user: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet }
flows:
  - user -> shop: { protocol: http, authentication: session }
",
    },
    // INP04 HTTP Request Splitting (Server): protocol HTTP, headers not validated. Splitting
    // needs an intermediary that reads the request otherwise than the server behind it; pytm's
    // condition fires on a lone server, which the model states.
    Case {
        pytm: "INP04",
        threat: "http-request-smuggling:web",
        expect: Differs,
        model: "components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, exposure: internet }
flows:
  - user -> web: { protocol: http }
",
    },
    // CR02 Cross Site Tracing (Dataflow, Server): HTTP with session tokens, input neither
    // sanitized nor validated.
    Case {
        pytm: "CR02",
        threat: "session-hijacking:shop",
        expect: Fires,
        model: "data:
  basket: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet }
flows:
  - user -> shop: { protocol: http, authentication: session, data: [basket] }
",
    },
    // INP05 Command Line Execution through SQL Injection (Server): input not validated; the
    // threat names the SQL database the server queries.
    Case {
        pytm: "INP05",
        threat: "sql-injection:app",
        expect: Fires,
        model: "data:
  orders: { classification: confidential }
components:
  user: { technology: browser, exposure: internet }
  app: { technology: web-application, exposure: internet }
  db: { technology: mysql, stores: [orders] }
flows:
  - user -> app: { protocol: https, data: [orders] }
  - app -> db: { protocol: mysql-tls, authentication: credentials, data: [orders] }
",
    },
    // INP06 SQL Injection through SOAP Parameter Tampering (Server): protocol SOAP, input not
    // sanitized or validated; the SOAP service queries a SQL database.
    Case {
        pytm: "INP06",
        threat: "sql-injection:soap-service",
        expect: Fires,
        model: "data:
  invoices: { classification: confidential }
components:
  partner: { technology: partner-system, exposure: internet }
  soap-service: { technology: api-service, exposure: internet }
  db: { technology: oracle-database, stores: [invoices] }
flows:
  - partner -> soap-service: { protocol: soap, authentication: api-key, data: [invoices] }
  - soap-service -> db: { protocol: jdbc-tls, authentication: credentials, data: [invoices] }
",
    },
    // SC01 JSON Hijacking (Process): JSON returned to a browser session, no nonce. The session
    // flow only reads: no request changes anything, and current browsers keep cross-site pages
    // from reading the answer.
    Case {
        pytm: "SC01",
        threat: "cross-site-request-forgery:app",
        expect: Differs,
        model: "data:
  statements: { classification: confidential, categories: [financial] }
components:
  user: { technology: browser, exposure: internet }
  app: { technology: web-application, exposure: internet, processes: [statements] }
flows:
  - user -> app: { protocol: https, authentication: session, returns: [statements] }
",
    },
    // AA01 Authentication Abuse/ByPass (Server, Process): the source is not authenticated.
    Case {
        pytm: "AA01",
        threat: "unauthenticated-internet-access-to-sensitive-data:records",
        expect: Fires,
        model: "data:
  patients: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  records: { technology: api-service, exposure: internet, processes: [patients] }
flows:
  - user -> records: { protocol: https, returns: [patients] }
",
    },
    // DS01 Excavation (Server): input not sanitized or validated, output not encoded.
    Case {
        pytm: "DS01",
        threat: "verbose-errors-and-fingerprinting:site",
        expect: Fires,
        model: "data:
  accounts: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  site: { technology: web-application, exposure: internet, processes: [accounts] }
flows:
  - user -> site: { protocol: https, data: [accounts] }
",
    },
    // DE01 Interception (Dataflow): not encrypted.
    Case {
        pytm: "DE01",
        threat: "cleartext-sensitive-data-in-transit:app->db",
        expect: Fires,
        model: "data:
  customers: { classification: confidential, categories: [personal] }
components:
  app: { technology: api-service }
  db: { technology: postgresql, stores: [customers] }
flows:
  - app -> db: { protocol: postgres, data: [customers], returns: [customers] }
",
    },
    // API01 Exploit Test APIs (Process, Lambda): implements an API. threatforge asks for
    // hardening where the API is exposed and handles sensitive data, and not on a Lambda
    // (`managed`: its provider hardens the servers).
    Case {
        pytm: "API01",
        threat: "missing-hardening:api",
        expect: Fires,
        model: "data:
  profiles: { classification: confidential, categories: [personal] }
components:
  client: { technology: mobile-app, exposure: internet }
  api: { technology: api-service, exposure: internet, processes: [profiles] }
flows:
  - client -> api: { protocol: https, authentication: token, data: [profiles] }
",
    },
    // AC01 Privilege Abuse (Server, Process, Datastore): no access control, the source is not
    // authorized.
    Case {
        pytm: "AC01",
        threat: "missing-authorization-of-user-requests:user->portal",
        expect: Fires,
        model: "data:
  claims: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  portal: { technology: web-application, exposure: internet, processes: [claims] }
flows:
  - user -> portal: { protocol: https, authentication: token, data: [claims], returns: [claims] }
",
    },
    // AC02 Shared Data Manipulation (Datastore): the store is shared.
    Case {
        pytm: "AC02",
        threat: "shared-datastore-write-access:shared",
        expect: Fires,
        model: "data:
  stock: { classification: internal, integrity: high }
components:
  orders: { technology: api-service }
  warehouse: { technology: worker }
  shared: { technology: postgresql, stores: [stock] }
flows:
  - orders -> shared: { protocol: postgres-tls, authentication: credentials, data: [stock] }
  - warehouse -> shared: { protocol: postgres-tls, authentication: credentials, data: [stock] }
",
    },
    // DO01 Flooding (Process, Server): no resource handling, not resilient. The server sits
    // behind a load balancer; unbounded-resource-consumption is about such inner services
    // (the front of an internet-facing one is dos-of-internet-facing-service's).
    Case {
        pytm: "DO01",
        threat: "unbounded-resource-consumption:app",
        expect: Fires,
        model: "data:
  search: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  lb: { technology: load-balancer, exposure: internet }
  app: { technology: api-service, processes: [search] }
flows:
  - user -> lb: { protocol: https, data: [search] }
  - lb -> app: { protocol: https, data: [search] }
",
    },
    // HA01 Path Traversal (Server): input neither validated nor sanitized; the server serves
    // files by path.
    Case {
        pytm: "HA01",
        threat: "path-traversal:files",
        expect: Fires,
        model: "components:
  user: { technology: browser, exposure: internet }
  files: { technology: web-server, exposure: internet }
flows:
  - user -> files: { protocol: https }
",
    },
    // DO02 Excessive Allocation (Process, Server, Datastore, Lambda): no resource handling; a
    // function behind an API gateway.
    Case {
        pytm: "DO02",
        threat: "unbounded-resource-consumption:resize",
        expect: Fires,
        model: "data:
  images: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  gateway: { technology: api-gateway, exposure: internet }
  resize: { technology: serverless-function, processes: [images] }
flows:
  - user -> gateway: { protocol: https, data: [images] }
  - gateway -> resize: { protocol: https, data: [images] }
",
    },
    // INP09 LDAP Injection (Server): input not validated; the server queries a directory.
    Case {
        pytm: "INP09",
        threat: "ldap-injection:login",
        expect: Fires,
        model: "data:
  users: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  login: { technology: web-application, exposure: internet }
  directory: { technology: ldap-directory, stores: [users] }
flows:
  - user -> login: { protocol: https, data: [users] }
  - login -> directory: { protocol: ldaps, authentication: credentials, returns: [users] }
",
    },
    // INP11 Relative Path Traversal (Server): input not validated or not sanitized; the server
    // reads files named in requests from a file share.
    Case {
        pytm: "INP11",
        threat: "path-traversal:docs",
        expect: Fires,
        model: "data:
  manuals: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  docs: { technology: api-service, exposure: internet }
  share: { technology: file-storage, stores: [manuals] }
flows:
  - user -> docs: { protocol: https }
  - docs -> share: { protocol: nfs, returns: [manuals] }
",
    },
    // AC04 XML Schema Poisoning (Dataflow): XML data, the source not authorized.
    Case {
        pytm: "AC04",
        threat: "xml-external-entity:import",
        expect: Fires,
        model: "data:
  catalogue: { classification: internal }
components:
  supplier: { technology: partner-system, exposure: internet }
  import: { technology: api-service, exposure: internet, traits: [parses-xml] }
flows:
  - supplier -> import: { protocol: https, authentication: api-key, data: [catalogue] }
",
    },
    // DO03 XML Ping of the Death (Dataflow): XML data.
    Case {
        pytm: "DO03",
        threat: "dos-of-internet-facing-service:feed",
        expect: Fires,
        model: "data:
  orders: { classification: internal }
components:
  client: { technology: partner-system, exposure: internet }
  feed: { technology: api-service, exposure: internet, traits: [parses-xml] }
flows:
  - client -> feed: { protocol: https, data: [orders] }
",
    },
    // AC05 Content Spoofing (Dataflow): neither end provides integrity and the flow is not
    // encrypted; messages a producer puts on a queue. message-replay looks only at brokers,
    // partners and devices; an unencrypted HTTP flow between two services gets no threat of it.
    Case {
        pytm: "AC05",
        threat: "message-replay:shop->queue",
        expect: Fires,
        model: "data:
  payments: { classification: confidential, integrity: high }
components:
  shop: { technology: api-service }
  queue: { technology: message-queue, stores: [payments] }
flows:
  - shop -> queue: { protocol: amqp, data: [payments] }
",
    },
    // DE03 Sniffing Attacks (Dataflow): HTTP, not encrypted, no VPN.
    Case {
        pytm: "DE03",
        threat: "cleartext-sensitive-data-in-transit:user->app",
        expect: Fires,
        model: "data:
  address: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  app: { technology: web-application, exposure: internet }
flows:
  - user -> app: { protocol: http, data: [address] }
",
    },
    // CR03 Dictionary-based Password Attack (Process, Server): no authentication scheme beyond
    // a password.
    Case {
        pytm: "CR03",
        threat: "credential-stuffing-and-brute-force:login",
        expect: Fires,
        model: "data:
  profile: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  login: { technology: web-application, exposure: internet, processes: [profile] }
flows:
  - user -> login: { protocol: https, authentication: credentials, returns: [profile] }
",
    },
    // HA02 White Box Reverse Engineering (ExternalEntity): physical access.
    Case {
        pytm: "HA02",
        threat: "embedded-device-reverse-engineering:meter",
        expect: Fires,
        model: "data:
  readings: { classification: confidential, categories: [personal] }
components:
  meter: { technology: iot-device, exposure: internet }
  ingest: { technology: api-service, exposure: internet }
flows:
  - meter -> ingest: { protocol: mqtts, authentication: client-certificate, data: [readings] }
",
    },
    // DS03 Footprinting (Server): not hardened.
    Case {
        pytm: "DS03",
        threat: "verbose-errors-and-fingerprinting:api",
        expect: Fires,
        model: "components:
  caller: { technology: external-service, exposure: internet }
  api: { technology: api-service, exposure: internet }
flows:
  - caller -> api: { protocol: https, authentication: token }
",
    },
    // AC06 Using Malicious Files (Server): not hardened, no access control; it takes files.
    Case {
        pytm: "AC06",
        threat: "malicious-file-upload:uploads",
        expect: Fires,
        model: "data:
  documents: { classification: confidential }
components:
  user: { technology: browser, exposure: internet }
  uploads: { technology: web-application, exposure: internet, traits: [accepts-files] }
flows:
  - user -> uploads: { protocol: https, data: [documents] }
",
    },
    // HA03 Web Application Fingerprinting (Server): headers not validated, output not encoded,
    // not hardened.
    Case {
        pytm: "HA03",
        threat: "verbose-errors-and-fingerprinting:site",
        expect: Fires,
        model: "components:
  user: { technology: browser, exposure: internet }
  site: { technology: web-application, exposure: internet }
flows:
  - user -> site: { protocol: https }
",
    },
    // SC02 XSS Targeting Non-Script Elements (Server): input not validated or output not
    // encoded.
    Case {
        pytm: "SC02",
        threat: "cross-site-scripting:forum",
        expect: Fires,
        model: "data:
  posts: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  forum: { technology: web-application, exposure: internet }
flows:
  - user -> forum: { protocol: https, data: [posts] }
",
    },
    // AC07 Exploiting Incorrectly Configured Access Control Security Levels (Server): no access
    // control.
    Case {
        pytm: "AC07",
        threat: "missing-authorization-of-user-requests:staff->backoffice",
        expect: Fires,
        model: "data:
  orders: { classification: confidential, categories: [personal] }
components:
  staff: { technology: browser, exposure: internet }
  backoffice: { technology: web-application, exposure: internet, processes: [orders] }
flows:
  - staff -> backoffice: { protocol: https, authentication: session, data: [orders] }
",
    },
    // INP15 IMAP/SMTP Command Injection (Server): protocol IMAP or SMTP, input not sanitized.
    // threatforge reports it on the application that writes requests into the mail protocol.
    Case {
        pytm: "INP15",
        threat: "mail-command-injection:webmail",
        expect: Fires,
        model: "data:
  mail: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  webmail: { technology: web-application, exposure: internet }
  mailserver: { technology: mail-server, stores: [mail] }
flows:
  - user -> webmail: { protocol: https, authentication: session, data: [mail] }
  - webmail -> mailserver: { protocol: imap, authentication: credentials, returns: [mail] }
",
    },
    // HA04 Reverse Engineering (ExternalEntity): physical access.
    Case {
        pytm: "HA04",
        threat: "embedded-device-reverse-engineering:kiosk",
        expect: Fires,
        model: "data:
  sales: { classification: internal }
components:
  kiosk: { technology: iot-device, exposure: internet }
  backend: { technology: api-service, exposure: internet }
flows:
  - kiosk -> backend: { protocol: https, authentication: api-key, data: [sales] }
",
    },
    // SC03 Embedding Scripts within Scripts (Server): input not validated or sanitized, no
    // access control.
    Case {
        pytm: "SC03",
        threat: "cross-site-scripting:wiki",
        expect: Fires,
        model: "data:
  pages: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  wiki: { technology: cms, exposure: internet }
flows:
  - user -> wiki: { protocol: https, data: [pages] }
",
    },
    // AA02 Principal Spoof (Server, Process): the source is not authenticated.
    Case {
        pytm: "AA02",
        threat: "caller-spoofing-on-unauthenticated-flow:orders->payments",
        expect: Fires,
        model: "data:
  charges: { classification: confidential, categories: [payment] }
components:
  orders: { technology: api-service }
  payments: { technology: api-service, processes: [charges] }
flows:
  - orders -> payments: { protocol: grpc-tls, data: [charges] }
",
    },
    // CR04 Session Credential Falsification through Forging (Server): session tokens, no
    // nonce.
    Case {
        pytm: "CR04",
        threat: "session-hijacking:bank",
        expect: Fires,
        model: "data:
  transfers: { classification: confidential, categories: [financial] }
components:
  user: { technology: browser, exposure: internet }
  bank: { technology: web-application, exposure: internet }
flows:
  - user -> bank: { protocol: https, authentication: session, data: [transfers] }
",
    },
    // DO04 XML Entity Expansion (Dataflow): XML data.
    Case {
        pytm: "DO04",
        threat: "xml-external-entity:orders",
        expect: Fires,
        model: "data:
  purchase-orders: { classification: internal }
components:
  erp: { technology: partner-system, exposure: internet }
  orders: { technology: api-service, exposure: internet, traits: [parses-xml] }
flows:
  - erp -> orders: { protocol: https, authentication: api-key, data: [purchase-orders] }
",
    },
    // DS04 XSS Targeting Error Pages (Server): output not encoded, input not validated or
    // sanitized.
    Case {
        pytm: "DS04",
        threat: "cross-site-scripting:shop",
        expect: Fires,
        model: "data:
  query: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet }
flows:
  - user -> shop: { protocol: https, data: [query] }
",
    },
    // SC04 XSS Using Alternate Syntax (Server): input not sanitized or validated, output not
    // encoded; the page is an internal one.
    Case {
        pytm: "SC04",
        threat: "cross-site-scripting:intranet",
        expect: Fires,
        model: "data:
  news: { classification: internal }
components:
  employee: { technology: browser }
  intranet: { technology: web-application }
flows:
  - employee -> intranet: { protocol: https, authentication: session, data: [news] }
",
    },
    // CR05 Encryption Brute Forcing (Server, Datastore): encrypted with an algorithm other than
    // RSA or AES (the model does not name the algorithm or its keys' handling).
    Case {
        pytm: "CR05",
        threat: "encryption-key-management:vault-db",
        expect: Fires,
        model: "data:
  cards: { classification: secret, categories: [payment] }
components:
  app: { technology: api-service }
  vault-db: { technology: postgresql, stores: [cards], controls: [encryption-at-rest] }
flows:
  - app -> vault-db: { protocol: postgres-tls, authentication: credentials, data: [cards] }
",
    },
    // DS05 Lifting Sensitive Data Embedded in Cache (Server): uses a cache.
    Case {
        pytm: "DS05",
        threat: "sensitive-data-in-cache:cache",
        expect: Fires,
        model: "data:
  sessions: { classification: confidential, categories: [personal] }
components:
  app: { technology: api-service }
  cache: { technology: redis, stores: [sessions] }
flows:
  - app -> cache: { protocol: redis-tls, authentication: credentials, data: [sessions] }
",
    },
    // SC05 Removing Important Client Functionality (Server): no integrity, no code signing of
    // the client; the client is an app the user controls. trust-in-client-controls does not
    // look at a browser's requests (issue 15 lists that concern).
    Case {
        pytm: "SC05",
        threat: "trust-in-client-controls:game",
        expect: Fires,
        model: "data:
  scores: { classification: internal, integrity: high }
components:
  player: { technology: desktop-app, exposure: internet }
  game: { technology: api-service, exposure: internet }
flows:
  - player -> game: { protocol: https, authentication: token, data: [scores] }
",
    },
    // INP17 XSS Using MIME Type Mismatch (Server): content type not validated, no script
    // filters. clickjacking's remedy, security headers, includes the one that stops MIME
    // sniffing.
    Case {
        pytm: "INP17",
        threat: "clickjacking:media",
        expect: Fires,
        model: "data:
  uploads: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  media: { technology: web-application, exposure: internet }
flows:
  - user -> media: { protocol: https, data: [uploads] }
",
    },
    // AA03 Exploitation of Trusted Credentials (Server): no integrity, no source
    // authentication, or weak session identifiers.
    Case {
        pytm: "AA03",
        threat: "session-hijacking:portal",
        expect: Fires,
        model: "data:
  policies: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  portal: { technology: web-application, exposure: internet }
flows:
  - user -> portal: { protocol: https, authentication: session, data: [policies] }
",
    },
    // AC09 Functionality Misuse (Server): no access control, the source not authorized.
    Case {
        pytm: "AC09",
        threat: "missing-authorization-of-user-requests:app->admin",
        expect: Fires,
        model: "data:
  accounts: { classification: confidential, categories: [personal] }
components:
  app: { technology: mobile-app, exposure: internet }
  admin: { technology: api-service, exposure: internet, processes: [accounts] }
flows:
  - app -> admin: { protocol: https, authentication: token, data: [accounts] }
",
    },
    // INP18 Fuzzing and observing application log data/errors (Server): input not sanitized,
    // output not encoded.
    Case {
        pytm: "INP18",
        threat: "verbose-errors-and-fingerprinting:api",
        expect: Fires,
        model: "data:
  requests: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  proxy: { technology: reverse-proxy, exposure: internet }
  api: { technology: graphql-api }
flows:
  - user -> proxy: { protocol: https, data: [requests] }
  - proxy -> api: { protocol: https, data: [requests] }
",
    },
    // CR06 Communication Channel Manipulation (Dataflow): not HTTPS, no VPN, no authentication.
    Case {
        pytm: "CR06",
        threat: "cleartext-sensitive-data-in-transit:branch->hq",
        expect: Fires,
        model: "data:
  ledger: { classification: confidential, categories: [financial] }
components:
  branch: { technology: backend-service }
  hq: { technology: backend-service, processes: [ledger] }
flows:
  - branch -> hq: { protocol: tcp, data: [ledger] }
boundaries:
  branch-office: { trust: low, contains: [branch] }
  head-office: { trust: high, contains: [hq] }
",
    },
    // CR07 XML Routing Detour Attacks (Dataflow): HTTP, XML data; a partner's messages (between
    // two services of the team's own, message-replay does not fire).
    Case {
        pytm: "CR07",
        threat: "message-replay:partner->orders",
        expect: Fires,
        model: "data:
  purchase-orders: { classification: confidential, integrity: high }
components:
  partner: { technology: partner-system, exposure: internet }
  orders: { technology: api-service, exposure: internet, traits: [parses-xml] }
flows:
  - partner -> orders: { protocol: http, data: [purchase-orders] }
",
    },
    // AA04 Exploiting Trust in Client (Server): no server-side validation, no integrity; what
    // the client sends is taken as it comes; the client is a mobile app, as for SC05.
    Case {
        pytm: "AA04",
        threat: "trust-in-client-controls:checkout",
        expect: Fires,
        model: "data:
  basket: { classification: internal, integrity: high }
components:
  app: { technology: mobile-app, exposure: internet }
  checkout: { technology: api-service, exposure: internet }
flows:
  - app -> checkout: { protocol: https, authentication: token, data: [basket] }
",
    },
    // INP19 XML External Entities Blowup (Server): an XML parser that does not disable DTDs.
    Case {
        pytm: "INP19",
        threat: "xml-external-entity:invoices",
        expect: Fires,
        model: "data:
  invoice: { classification: confidential }
components:
  supplier: { technology: partner-system, exposure: internet }
  invoices: { technology: backend-service, exposure: internet, traits: [parses-xml] }
flows:
  - supplier -> invoices: { protocol: sftp, authentication: credentials, data: [invoice] }
",
    },
    // INP20 iFrame Overlay (Process): iframes not disabled.
    Case {
        pytm: "INP20",
        threat: "clickjacking:bank",
        expect: Fires,
        model: "components:
  user: { technology: browser, exposure: internet }
  bank: { technology: web-application, exposure: internet }
flows:
  - user -> bank: { protocol: https, authentication: session }
",
    },
    // AC11 Session Credential Falsification through Manipulation (Server): weak session
    // identifiers.
    Case {
        pytm: "AC11",
        threat: "session-hijacking:shop",
        expect: Fires,
        model: "components:
  user: { technology: browser, exposure: internet }
  shop: { technology: web-application, exposure: internet }
flows:
  - user -> shop: { protocol: https, authentication: session }
",
    },
    // INP21 DTD Injection (Server): an XML parser that does not disable DTDs.
    Case {
        pytm: "INP21",
        threat: "xml-external-entity:saml",
        expect: Fires,
        model: "data:
  assertion: { classification: secret, categories: [credential] }
components:
  user: { technology: browser, exposure: internet }
  saml: { technology: web-application, exposure: internet, traits: [parses-xml] }
flows:
  - user -> saml: { protocol: https, data: [assertion] }
",
    },
    // INP22 XML Attribute Blowup (Server): an XML parser that does not disable DTDs; the
    // documents come back from a feed the server fetches.
    Case {
        pytm: "INP22",
        threat: "xml-external-entity:reader",
        expect: Fires,
        model: "data:
  feed: { classification: public }
components:
  publisher: { technology: external-service, exposure: internet }
  reader: { technology: worker, traits: [parses-xml] }
flows:
  - reader -> publisher: { protocol: https, returns: [feed] }
",
    },
    // INP23 File Content Injection (Process): no access control, input not sanitized or
    // validated; the process takes files.
    Case {
        pytm: "INP23",
        threat: "malicious-file-upload:converter",
        expect: Fires,
        model: "data:
  files: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  app: { technology: web-application, exposure: internet }
  converter: { technology: worker, traits: [accepts-files] }
flows:
  - user -> app: { protocol: https, authentication: session, data: [files] }
  - app -> converter: { protocol: grpc-tls, data: [files] }
",
    },
    // DO05 XML Nested Payloads (Server): uses an XML parser, input not validated or sanitized.
    Case {
        pytm: "DO05",
        threat: "xml-external-entity:gateway",
        expect: Fires,
        model: "data:
  messages: { classification: internal }
components:
  bank: { technology: partner-system, exposure: internet }
  gateway: { technology: backend-service, exposure: internet, traits: [parses-xml] }
flows:
  - bank -> gateway: { protocol: soap, authentication: client-certificate, data: [messages] }
",
    },
    // AC12 Privilege Escalation (Process): no access control, no least privilege; a caller
    // from a less trusted zone.
    Case {
        pytm: "AC12",
        threat: "privilege-escalation-into-trusted-zone:jobs->admin",
        expect: Fires,
        model: "data:
  settings: { classification: confidential }
components:
  jobs: { technology: worker }
  admin: { technology: backend-service, processes: [settings] }
flows:
  - jobs -> admin: { protocol: https, authentication: token, data: [settings] }
boundaries:
  workers: { trust: low, contains: [jobs] }
  core: { trust: high, contains: [admin] }
",
    },
    // AC13 Hijacking a privileged process (Process): no access control, no least privilege; the
    // process runs on a shared cluster (on a virtual machine none of the covering rules fires).
    Case {
        pytm: "AC13",
        threat: "container-workload-hardening:cluster",
        expect: Fires,
        model: "data:
  orders: { classification: confidential }
components:
  api: { technology: api-service, processes: [orders] }
  worker: { technology: worker, processes: [orders] }
flows:
  - api -> worker: { protocol: grpc-tls, authentication: token, data: [orders] }
runtimes:
  cluster: { kind: cluster, runs: [api, worker] }
",
    },
    // INP27 XSS Targeting HTML Attributes (Process): input not validated or sanitized.
    Case {
        pytm: "INP27",
        threat: "cross-site-scripting:profile",
        expect: Fires,
        model: "data:
  bio: { classification: public, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  profile: { technology: web-application, exposure: internet }
flows:
  - user -> profile: { protocol: https, authentication: session, data: [bio] }
",
    },
    // INP28 XSS Targeting URI Placeholders (Server, Process): input not validated or sanitized,
    // output not encoded.
    Case {
        pytm: "INP28",
        threat: "cross-site-scripting:links",
        expect: Fires,
        model: "data:
  urls: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  links: { technology: web-application, exposure: internet }
flows:
  - user -> links: { protocol: https, data: [urls] }
",
    },
    // INP29 XSS Using Doubled Characters (Server, Process): input not validated or sanitized,
    // output not encoded.
    Case {
        pytm: "INP29",
        threat: "cross-site-scripting:comments",
        expect: Fires,
        model: "data:
  comment: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  comments: { technology: web-application, exposure: internet }
flows:
  - user -> comments: { protocol: http2, data: [comment] }
",
    },
    // INP30 XSS Using Invalid Characters (Process): input not validated or sanitized.
    Case {
        pytm: "INP30",
        threat: "cross-site-scripting:search",
        expect: Fires,
        model: "data:
  terms: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  search: { technology: web-application, exposure: internet }
flows:
  - user -> search: { protocol: https, data: [terms] }
",
    },
    // DE04 Audit Log Manipulation (Datastore): input not validated, no least privilege.
    Case {
        pytm: "DE04",
        threat: "log-tampering:audit",
        expect: Fires,
        model: "data:
  audit-log: { classification: internal, integrity: high, categories: [logs] }
components:
  app: { technology: api-service }
  audit: { technology: log-storage, stores: [audit-log] }
flows:
  - app -> audit: { protocol: https, authentication: token, data: [audit-log] }
",
    },
    // INP36 HTTP Response Smuggling (Server): no strict HTTP validation, headers not encoded;
    // pytm's condition fires on a lone server, which the model states.
    Case {
        pytm: "INP36",
        threat: "http-request-smuggling:web",
        expect: Differs,
        model: "components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-server, exposure: internet }
flows:
  - user -> web: { protocol: https }
",
    },
    // INP37 HTTP Request Smuggling (Server): no strict HTTP validation, headers not encoded;
    // pytm's condition fires on a lone server, which the model states.
    Case {
        pytm: "INP37",
        threat: "http-request-smuggling:api",
        expect: Differs,
        model: "components:
  user: { technology: browser, exposure: internet }
  api: { technology: api-service, exposure: internet }
flows:
  - user -> api: { protocol: https }
",
    },
    // INP38 DOM-Based XSS (Process): client-side scripting, input not sanitized or validated.
    Case {
        pytm: "INP38",
        threat: "cross-site-scripting:spa",
        expect: Fires,
        model: "data:
  fragment: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  spa: { technology: single-page-app, exposure: internet }
  api: { technology: api-service, exposure: internet }
flows:
  - user -> spa: { protocol: https, data: [fragment] }
  - spa -> api: { protocol: https, authentication: token, returns: [fragment] }
",
    },
    // AC16 Session Credential Falsification through Prediction (Server): weak session
    // identifiers.
    Case {
        pytm: "AC16",
        threat: "session-hijacking:store",
        expect: Fires,
        model: "data:
  cart: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  store: { technology: web-application, exposure: internet }
flows:
  - user -> store: { protocol: https, authentication: session, data: [cart] }
",
    },
    // INP39 Reflected XSS (Process): client-side scripting, input not sanitized or validated.
    Case {
        pytm: "INP39",
        threat: "cross-site-scripting:results",
        expect: Fires,
        model: "data:
  query: { classification: public }
components:
  user: { technology: browser, exposure: internet }
  results: { technology: web-application, exposure: internet }
flows:
  - user -> results: { protocol: https, data: [query] }
",
    },
    // INP40 Stored XSS (Process): client-side scripting, input not sanitized or validated; what
    // one user stores, others are shown.
    Case {
        pytm: "INP40",
        threat: "cross-site-scripting:reviews",
        expect: Fires,
        model: "data:
  review: { classification: public }
components:
  author: { technology: browser, exposure: internet }
  reviews: { technology: web-application, exposure: internet }
  db: { technology: postgresql, stores: [review] }
flows:
  - author -> reviews: { protocol: https, authentication: session, data: [review] }
  - reviews -> db: { protocol: postgres-tls, authentication: credentials, data: [review], returns: [review] }
",
    },
    // AC17 Session Hijacking - ServerSide (Server): weak session identifiers.
    Case {
        pytm: "AC17",
        threat: "session-hijacking:crm",
        expect: Fires,
        model: "data:
  contacts: { classification: confidential, categories: [personal] }
components:
  agent: { technology: browser }
  crm: { technology: web-application, processes: [contacts] }
flows:
  - agent -> crm: { protocol: https, authentication: session, returns: [contacts] }
",
    },
    // AC18 Session Hijacking - ClientSide (Process): weak session identifiers or unencrypted
    // cookies, and no connection timeout.
    Case {
        pytm: "AC18",
        threat: "session-hijacking:webapp",
        expect: Fires,
        model: "data:
  messages: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  webapp: { technology: web-application, exposure: internet }
flows:
  - user -> webapp: { protocol: https, authentication: session, data: [messages], returns: [messages] }
",
    },
    // AC19 Reusing Session IDs - ServerSide (Server): session tokens, no nonce.
    Case {
        pytm: "AC19",
        threat: "session-hijacking:portal",
        expect: Fires,
        model: "data:
  invoices: { classification: confidential }
components:
  user: { technology: browser, exposure: internet }
  portal: { technology: web-application, exposure: internet }
flows:
  - user -> portal: { protocol: https, authentication: session, returns: [invoices] }
",
    },
    // AC20 Reusing Session IDs - ClientSide (Process): no connection timeout, no MFA.
    Case {
        pytm: "AC20",
        threat: "session-hijacking:console",
        expect: Fires,
        model: "data:
  tickets: { classification: confidential }
components:
  user: { technology: browser, exposure: internet }
  console: { technology: admin-console, exposure: internet }
flows:
  - user -> console: { protocol: https, authentication: session, data: [tickets] }
",
    },
    // AC21 Cross Site Request Forgery (Process): no CSRF token, session identifiers not
    // verified.
    Case {
        pytm: "AC21",
        threat: "cross-site-request-forgery:settings",
        expect: Fires,
        model: "data:
  email: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  settings: { technology: web-application, exposure: internet }
flows:
  - user -> settings: { protocol: https, authentication: session, data: [email] }
",
    },
    // DS06 Data Leak (Dataflow): the flow carries data above what its sink may hold (pytm's
    // `hasDataLeaks`): data the receiver has no use for.
    Case {
        pytm: "DS06",
        threat: "unnecessary-data-transfer:analytics",
        expect: Fires,
        model: "data:
  events: { classification: internal }
  cards: { classification: secret, categories: [payment] }
components:
  shop: { technology: api-service, processes: [events, cards] }
  analytics: { technology: backend-service, processes: [events] }
flows:
  - shop -> analytics: { protocol: https, authentication: token, data: [events, cards] }
",
    },
    // DR01 Unprotected Sensitive Data (Dataflow): personal data, not encrypted.
    Case {
        pytm: "DR01",
        threat: "cleartext-sensitive-data-in-transit:hr->payroll",
        expect: Fires,
        model: "data:
  salaries: { classification: confidential, categories: [personal, financial] }
components:
  hr: { technology: backend-service, processes: [salaries] }
  payroll: { technology: backend-service, processes: [salaries] }
flows:
  - hr -> payroll: { protocol: http, authentication: token, data: [salaries] }
",
    },
    // AC22 Credentials Aging (Dataflow): credentials of long or unknown life to a sink in
    // scope: a static API key (credential data in a flow's payload gets no threat of
    // long-lived-api-key).
    Case {
        pytm: "AC22",
        threat: "long-lived-api-key:shop->billing",
        expect: Fires,
        model: "data:
  invoices: { classification: confidential }
components:
  shop: { technology: api-service }
  billing: { technology: api-service, processes: [invoices] }
flows:
  - shop -> billing: { protocol: https, authentication: api-key, data: [invoices] }
",
    },
    // AC23 Credentials Disclosure (Dataflow): credentials of long or unknown life to a sink in
    // scope, which keeps them.
    Case {
        pytm: "AC23",
        threat: "credentials-stored-outside-vault:config",
        expect: Fires,
        model: "data:
  partner-keys: { classification: secret, categories: [credential], quantity: few }
components:
  admin: { technology: backend-service, processes: [partner-keys] }
  config: { technology: postgresql, stores: [partner-keys] }
flows:
  - admin -> config: { protocol: postgres-tls, authentication: credentials, data: [partner-keys] }
",
    },
    // AC24 Use of hardcoded credentials (Dataflow): credentials the source has hard-coded,
    // with no vault to take them from.
    Case {
        pytm: "AC24",
        threat: "static-secrets-without-vault:exporter",
        expect: Fires,
        model: "data:
  reports: { classification: confidential }
components:
  exporter: { technology: batch-job, processes: [reports] }
  sftp: { technology: partner-system }
flows:
  - exporter -> sftp: { protocol: sftp, authentication: credentials, data: [reports] }
",
    },
    // LLM01 Direct Prompt Injection (LLM): untrusted input, no content filtering.
    Case {
        pytm: "LLM01",
        threat: "llm-prompt-injection:assistant",
        expect: Fires,
        model: "data:
  prompts: { classification: internal }
components:
  user: { technology: browser, exposure: internet }
  assistant: { technology: llm-service, exposure: internet }
flows:
  - user -> assistant: { protocol: https, data: [prompts] }
",
    },
    // LLM02 Indirect Prompt Injection via Retrieved Content (LLM): retrieval, no content
    // filtering.
    Case {
        pytm: "LLM02",
        threat: "llm-indirect-prompt-injection:assistant",
        expect: Fires,
        model: "data:
  prompts: { classification: internal }
  documents: { classification: internal }
components:
  user: { technology: browser }
  assistant: { technology: llm-service }
  index: { technology: search-engine, stores: [documents] }
flows:
  - user -> assistant: { protocol: https, authentication: token, data: [prompts] }
  - assistant -> index: { protocol: https, authentication: token, returns: [documents] }
",
    },
    // LLM03 Sensitive Data Leakage to Third-Party Provider (LLM): a third party's model gets
    // personal data, without confidentiality controls.
    Case {
        pytm: "LLM03",
        threat: "llm-sensitive-data-to-third-party:support->model",
        expect: Fires,
        model: "data:
  tickets: { classification: confidential, categories: [personal] }
components:
  support: { technology: backend-service, processes: [tickets] }
  model: { technology: llm-service, traits: [third-party] }
flows:
  - support -> model: { protocol: https, authentication: api-key, data: [tickets] }
",
    },
    // LLM04 Training Data Poisoning (LLM): fine-tuning, no integrity of its data.
    Case {
        pytm: "LLM04",
        threat: "llm-training-data-poisoning:model",
        expect: Fires,
        model: "data:
  training-set: { classification: internal, categories: [model] }
components:
  pipeline: { technology: etl-job, processes: [training-set] }
  model: { technology: llm-service }
flows:
  - pipeline -> model: { protocol: https, authentication: token, data: [training-set] }
",
    },
    // LLM05 Excessive Agency via Unauthorized Tool Use (LLM): agent capabilities, access to
    // sensitive systems, no least privilege.
    Case {
        pytm: "LLM05",
        threat: "ai-agent-excessive-agency:agent",
        expect: Fires,
        model: "data:
  customers: { classification: confidential, categories: [personal] }
components:
  agent: { technology: ai-agent }
  crm: { technology: postgresql, stores: [customers] }
flows:
  - agent -> crm: { protocol: postgres-tls, authentication: credentials, data: [customers] }
",
    },
    // LLM06 Arbitrary Code Execution via LLM Agent (LLM): executes code, not hardened.
    Case {
        pytm: "LLM06",
        threat: "ai-agent-excessive-agency:agent",
        expect: Fires,
        model: "data:
  code: { classification: internal }
components:
  agent: { technology: ai-agent }
  runner: { technology: backend-service, processes: [code] }
flows:
  - agent -> runner: { protocol: grpc-tls, authentication: token, data: [code] }
",
    },
    // LLM07 Jailbreaking and Safety Bypass (LLM): a system prompt, no content filtering.
    Case {
        pytm: "LLM07",
        threat: "llm-prompt-injection:chatbot",
        expect: Fires,
        model: "data:
  chat: { classification: internal }
components:
  customer: { technology: browser, exposure: internet }
  chatbot: { technology: ai-agent, exposure: internet }
flows:
  - customer -> chatbot: { protocol: websocket-tls, data: [chat], returns: [chat] }
",
    },
    // LLM08 Sensitive Information Disclosure Through Output (LLM): personal data, output not
    // encoded.
    Case {
        pytm: "LLM08",
        threat: "llm-sensitive-output-disclosure:helpdesk",
        expect: Fires,
        model: "data:
  cases: { classification: confidential, categories: [personal] }
components:
  staff: { technology: browser }
  helpdesk: { technology: llm-service, processes: [cases] }
flows:
  - staff -> helpdesk: { protocol: https, authentication: token, returns: [cases] }
",
    },
    // LLM09 Untrusted Tool Launch Configuration (Agent): external tools, launch configuration
    // not validated.
    Case {
        pytm: "LLM09",
        threat: "ai-agent-untrusted-tools:agent",
        expect: Fires,
        model: "data:
  tasks: { classification: internal }
components:
  agent: { technology: ai-agent }
  tool: { technology: external-service, exposure: internet }
flows:
  - agent -> tool: { protocol: https, authentication: api-key, data: [tasks] }
",
    },
];

fn coverage() -> Coverage {
    serde_saphyr::from_str(COVERAGE_PYTM).expect("coverage-pytm.yaml reads")
}

/// The threats of `rule` (or that absorbed it, `supersedes`) on `element`, or on a group that
/// has it among its members.
fn found<'a>(analysis: &'a Analysis, rule: &str, element: &str) -> Vec<&'a Threat> {
    analysis
        .findings()
        .filter(|t| t.stands_for(rule))
        .filter(|t| t.elements().any(|e| &*e.id == element))
        .collect()
}

/// What is wrong with one case, or nothing.
fn check(case: &Case, rules: &RuleSet, table: &Coverage) -> Option<String> {
    let Some((rule, element)) = case.threat.split_once(':') else {
        return Some("the threat is not `rule:element`".into());
    };
    let Some(entry) = table.get(case.pytm) else {
        return Some("not in coverage-pytm.yaml".into());
    };
    if !entry.covered_by.iter().any(|r| r == rule) {
        return Some(format!("{rule} is not among its covered_by"));
    }
    if case.expect == Differs && entry.differs.is_none() {
        return Some("expects no threat, but the entry has no `differs` note saying why".into());
    }
    let text = format!("system: {{ name: {} }}\n{}", case.pytm, case.model);
    let loaded = load_str("m.yaml", &text, Path::new("."), &LoadOptions::default());
    if loaded.has_errors() {
        let errors: Vec<_> = loaded.diagnostics.iter().map(|d| &d.message).collect();
        return Some(format!("the model does not load: {errors:?}"));
    }
    let analysis = analyze(&loaded.model, rules);
    if !analysis.rule_diagnostics.is_empty() {
        return Some(format!("rule errors: {:?}", analysis.rule_diagnostics));
    }
    // A `Differs` case naming an element the model lacks would hold for want of anything to
    // report on.
    let m = &loaded.model;
    if !(m.components.contains_key(element)
        || m.flows.contains_key(element)
        || m.data.contains_key(element)
        || m.boundaries.contains_key(element)
        || m.runtimes.contains_key(element))
    {
        return Some(format!("the model has no element `{element}`"));
    }
    let hits = found(&analysis, rule, element);
    let open = hits.iter().any(|t| t.is_open());
    match (case.expect, open) {
        (Fires, true) | (Differs, false) => None,
        (Fires, false) => {
            let there: BTreeSet<String> = analysis
                .findings()
                .filter(|t| t.elements().any(|e| &*e.id == element))
                .map(|t| t.rule.to_string())
                .collect();
            Some(format!(
                "{rule} does not fire on {element} (found there: {there:?})"
            ))
        }
        (Differs, true) => Some(format!(
            "{rule} fires on {element}: the `differs` note no longer holds"
        )),
    }
}

#[test]
fn a_covering_rule_fires_on_each_pytm_condition() {
    let rules = RuleSet::builtin();
    let table = coverage();
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|c| check(c, &rules, &table).map(|f| format!("{} ({}): {f}", c.pytm, c.threat)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn one_case_per_covered_pytm_threat() {
    let table = coverage();
    let covered: BTreeSet<&str> = table
        .iter()
        .filter(|(_, e)| !e.covered_by.is_empty())
        .map(|(id, _)| id.as_str())
        .collect();
    let mut cases = BTreeSet::new();
    let repeated: Vec<&str> = CASES
        .iter()
        .map(|c| c.pytm)
        .filter(|id| !cases.insert(*id))
        .collect();
    let missing: Vec<&&str> = covered.difference(&cases).collect();
    let extra: Vec<&&str> = cases.difference(&covered).collect();
    // A `differs` note that no case holds would go stale unnoticed.
    let unheld: Vec<&str> = table
        .iter()
        .filter(|(id, e)| {
            e.differs.is_some() && !CASES.iter().any(|c| c.pytm == *id && c.expect == Differs)
        })
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && repeated.is_empty() && unheld.is_empty(),
        "covered in coverage-pytm.yaml without a case: {missing:?}\n\
         cases for threats not marked covered: {extra:?}\n\
         more than one case: {repeated:?}\n\
         `differs` notes no case holds: {unheld:?}"
    );
}
