//! Threagile parity: for each of Threagile's 42 risk rules, a minimal Threagile model on which
//! Threagile's rule fires, and a near miss that differs in the one attribute Threagile's
//! condition turns on. After `threatforge import` and the built-in analysis, a covering rule (per
//! `rules/coverage-threagile.yaml`) must report a threat on the same element, a flow touching
//! it, or the boundary or runtime holding it; on the near miss, none may. A threat the model's
//! own controls mitigate (a second factor the near miss declares) does not count: Threagile
//! reports no risk there either.
//!
//! The models are written from Threagile's rule sources (`pkg/risks/builtin/*_rule.go`); the
//! comment on each case names the condition it exercises.

mod support;

use std::collections::BTreeSet;

use threatforge_analysis::RuleCoverage;
use threatforge_analysis::{Analysis, RuleSet, Threat};
use threatforge_import::{Format, Imported, THREAGILE_RULES, import, threagile_rule};
use threatforge_model::Loaded;

/// What every case shares: data of each sensitivity Threagile's rules look at.
const PRELUDE: &str = r#"
threagile_version: 1.0.0
title: Parity
business_criticality: important
data_assets:
  Secret: { id: secret, usage: business, quantity: many, confidentiality: strictly-confidential, integrity: mission-critical, availability: critical }
  Orders: { id: orders, usage: business, quantity: many, confidentiality: confidential, integrity: critical, availability: important }
  Catalogue: { id: catalogue, usage: business, confidentiality: public, integrity: operational, availability: operational }
  Code: { id: code, usage: devops, confidentiality: confidential, integrity: critical, availability: important }
"#;

/// How threatforge's answer relates to Threagile's on a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// A covering threat on the model, none on the near miss.
    Parity,
    /// threatforge deliberately fires on the near miss too (the coverage entry's `differs`
    /// says why).
    NearMissFires,
    /// threatforge deliberately does not fire on Threagile's model (the coverage entry's
    /// `differs` says why).
    DoesNotFire,
}

struct Case {
    /// Threagile's rule id.
    rule: &'static str,
    /// The Threagile id of the asset the risk is on.
    element: &'static str,
    /// The case's technical assets and boundaries, after [`PRELUDE`].
    model: &'static str,
    /// The near miss: every occurrence of the first text replaced by the second.
    near_miss: (&'static str, &'static str),
    expect: Expect,
}

const fn differs(expect: Expect, c: Case) -> Case {
    Case { expect, ..c }
}

const fn case(
    rule: &'static str,
    element: &'static str,
    model: &'static str,
    near_miss: (&'static str, &'static str),
) -> Case {
    Case {
        rule,
        element,
        model,
        near_miss,
        expect: Expect::Parity,
    }
}

/// A browser on the internet calling `app` over HTTPS with confidential orders. Cases add
/// `app` and what else they need.
macro_rules! browser_to_app {
    ($auth:literal, $rest:literal) => {
        concat!(
            "technical_assets:\n",
            "  Browser: { id: browser, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,\n",
            "    communication_links: { Web: { target: app, protocol: https, ",
            $auth,
            ", data_assets_sent: [orders], data_assets_received: [orders] } } }\n",
            $rest
        )
    };
}

/// The team's own service reading orders from its database of mission-critical availability in
/// another network zone; the argument adds to the database's attributes.
macro_rules! own_service_to_critical_db {
    ($db:literal) => {
        concat!(
            "technical_assets:\n",
            "  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],\n",
            "    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }\n",
            "  DB: { id: db, type: datastore, technology: database, availability: mission-critical, data_assets_stored: [orders]",
            $db,
            " }\n",
            "trust_boundaries:\n",
            "  App zone: { id: app-zone, type: network-on-prem, technical_assets_inside: [app] }\n",
            "  Data zone: { id: data-zone, type: network-on-prem, technical_assets_inside: [db] }\n"
        )
    };
}

/// A service reading a secret from a vault in its own network zone, beside an empty zone kept
/// for the vault; the argument names the vault's asset.
macro_rules! vault_beside_its_client {
    ($name:literal) => {
        concat!(
            "technical_assets:\n",
            "  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [secret],\n",
            "    communication_links: { Read: { target: vault, protocol: https, authentication: token, authorization: technical-user, data_assets_received: [secret] } } }\n  ",
            $name,
            ": { id: vault, type: datastore, technology: vault, data_assets_stored: [secret] }\n",
            "trust_boundaries:\n",
            "  Net: { id: net, type: network-on-prem, technical_assets_inside: [app, vault] }\n",
            "  Secrets: { id: secrets, type: network-on-prem, technical_assets_inside: [] }\n"
        )
    };
}

/// The near miss of [`vault_beside_its_client`]: the vault in the zone kept for it.
const VAULT_MOVED_TO_ITS_ZONE: (&str, &str) = (
    "[app, vault] }\n  Secrets: { id: secrets, type: network-on-prem, technical_assets_inside: []",
    "[app] }\n  Secrets: { id: secrets, type: network-on-prem, technical_assets_inside: [vault]",
);

/// A service that declares no data of its own, between a browser and its database, whose flows
/// carry orders.
const NO_DATA_DECLARED: &str = r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,
    communication_links: { Web: { target: app, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders], data_assets_received: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_sent: [orders], data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#;

const CASES: &[Case] = &[
    // A technology that may contain secrets (source repository, artifact registry).
    case(
        "accidental-secret-leak",
        "git",
        "technical_assets:\n  Git: { id: git, type: process, technology: sourcecode-repository, data_assets_stored: [code] }\n",
        ("sourcecode-repository", "monitoring"),
    ),
    // A development-relevant asset called from the internet without a VPN.
    case(
        "code-backdooring",
        "jenkins",
        r#"technical_assets:
  Contractor: { id: contractor, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,
    communication_links: { Build: { target: jenkins, protocol: https, authentication: credentials, authorization: technical-user, usage: devops, data_assets_sent: [code] } } }
  Jenkins: { id: jenkins, type: process, technology: build-pipeline, data_assets_processed: [code] }
"#,
        ("usage: devops", "vpn: true, usage: devops"),
    ),
    // A vendor's hosted registry the team's pipeline pulls base images from: Threagile reports
    // code backdooring on it as on any development asset on the internet; threatforge leaves
    // Docker Hub's servers to Docker, reports the unpinned pull on the pipeline, and lists the
    // settings of the team's organisation on the hub, whoever the author names its owner.
    differs(
        Expect::NearMissFires,
        case(
            "code-backdooring",
            "hub",
            r#"technical_assets:
  Pipeline: { id: pipeline, type: process, technology: build-pipeline, data_assets_processed: [code],
    communication_links: { Pull: { target: hub, protocol: https, authentication: none, authorization: none, usage: devops, readonly: true, data_assets_received: [code] } } }
  Hub: { id: hub, type: datastore, technology: artifact-registry, internet: true, multi_tenant: true, data_assets_stored: [code] }
"#,
            ("multi_tenant: true", "multi_tenant: true, owner: Docker"),
        ),
    ),
    // Any asset on a container.
    case(
        "container-baseimage-backdooring",
        "app",
        "technical_assets:\n  App: { id: app, type: process, technology: web-service-rest, machine: container, data_assets_processed: [orders] }\n",
        ("machine: container", "machine: virtual"),
    ),
    // Another operator's service that runs in a container: Threagile asks for its base images
    // too; threatforge leaves them to whoever runs it.
    differs(
        Expect::DoesNotFire,
        case(
            "container-baseimage-backdooring",
            "vendor",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, machine: virtual, data_assets_processed: [orders],
    communication_links: { Call: { target: vendor, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  Vendor: { id: vendor, type: external-entity, technology: web-service-rest, machine: container, data_assets_processed: [orders] }
"#,
            ("machine: container", "machine: virtual, tags: [vendor]"),
        ),
    ),
    // A container platform.
    case(
        "container-platform-escape",
        "k8s",
        "technical_assets:\n  Cluster: { id: k8s, type: process, technology: container-platform, data_assets_processed: [orders] }\n",
        ("container-platform", "scheduler"),
    ),
    // A service in a container that its author labelled with the platform's technology: it runs
    // no one's containers, and the import reads it as the service it is.
    differs(
        Expect::DoesNotFire,
        case(
            "container-platform-escape",
            "orders",
            "technical_assets:\n  Orders: { id: orders, type: process, technology: container-platform, machine: container, data_assets_processed: [orders] }\n",
            ("machine: container", "machine: container, owner: Shop"),
        ),
    ),
    // A web application reached over a web protocol.
    case(
        "cross-site-request-forgery",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-application, internet: true, data_assets_processed: [orders] }\n"
        ),
        (
            "technology: web-application",
            "technology: web-service-rest",
        ),
    ),
    // A service of the team's calls the web application with a password, server to server:
    // Threagile reports CSRF on every web link into a web application; no browser sends this
    // request, so threatforge does not.
    differs(
        Expect::DoesNotFire,
        case(
            "cross-site-request-forgery",
            "app",
            concat!(
                "technical_assets:\n",
                "  Portal: { id: portal, type: process, technology: web-service-rest, data_assets_processed: [orders],\n",
                "    communication_links: { Login: { target: app, protocol: https, authentication: credentials, authorization: technical-user, data_assets_sent: [orders] } } }\n",
                "  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders] }\n"
            ),
            (
                "technology: web-application",
                "technology: web-service-rest",
            ),
        ),
    ),
    // A browser sends a token: the model does not say whether it rides in a cookie, which
    // another site's page makes the browser send, so threatforge asks on its checklist
    // (possible-cross-site-request-forgery).
    case(
        "cross-site-request-forgery",
        "app",
        browser_to_app!(
            "authentication: token, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-application, internet: true, data_assets_processed: [orders] }\n"
        ),
        (
            "technology: web-application",
            "technology: web-service-rest",
        ),
    ),
    // A web application.
    case(
        "cross-site-scripting",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-application, internet: true, data_assets_processed: [orders] }\n"
        ),
        (
            "technology: web-application",
            "technology: web-service-rest",
        ),
    ),
    // An application server its author named an API: it answers browsers with data, and the
    // page that renders it is the client's (the import reads it as an API service).
    differs(
        Expect::DoesNotFire,
        case(
            "cross-site-scripting",
            "app",
            browser_to_app!(
                "authentication: session-id, authorization: end-user-identity-propagation",
                "  Results API: { id: app, type: process, technology: application-server, internet: true, data_assets_processed: [orders] }\n"
            ),
            (
                "internet: true, data_assets_processed",
                "internet: true, owner: Shop, data_assets_processed",
            ),
        ),
    ),
    // A web application the model shows reached only over SSH: no web request brings it data
    // and it reads nothing back, so threatforge has no page content to name.
    differs(
        Expect::DoesNotFire,
        case(
            "cross-site-scripting",
            "app",
            r#"technical_assets:
  Admin: { id: admin, type: external-entity, technology: desktop, used_as_client_by_human: true,
    communication_links: { Shell: { target: app, protocol: ssh, authentication: client-certificate, authorization: technical-user, usage: devops, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders] }
"#,
            (
                "technology: web-application",
                "technology: web-service-rest",
            ),
        ),
    ),
    // An application server that people reach only through a web app drawn as their client (a
    // single-page app) and a gateway: it answers that app with data, and the app draws the pages.
    differs(
        Expect::DoesNotFire,
        case(
            "cross-site-scripting",
            "app",
            r#"technical_assets:
  Portal: { id: portal, type: process, technology: web-application, internet: true, used_as_client_by_human: true,
    communication_links: { Call: { target: gateway, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  Gateway: { id: gateway, type: process, technology: gateway, internet: true, data_assets_processed: [orders],
    communication_links: { Forward: { target: app, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: application-server, data_assets_processed: [orders] }
"#,
            (
                "internet: true, used_as",
                "internet: true, owner: Citizens, used_as",
            ),
        ),
    ),
    // An application server that only the DMZ's web application calls: no person's browser asks
    // it for pages.
    differs(
        Expect::DoesNotFire,
        case(
            "cross-site-scripting",
            "app",
            r#"technical_assets:
  Web: { id: web, type: process, technology: web-application, internet: true, data_assets_processed: [orders],
    communication_links: { Call: { target: app, protocol: https, authentication: client-certificate, authorization: technical-user, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: application-server, data_assets_processed: [orders] }
"#,
            ("internet: true, data", "internet: true, owner: Shop, data"),
        ),
    ),
    // An asset of critical availability called by a partner across a network trust boundary.
    case(
        "dos-risky-access-across-trust-boundary",
        "app",
        r#"technical_assets:
  Partner: { id: partner, type: external-entity, technology: client-system, internet: true,
    communication_links: { Feed: { target: app, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [catalogue] } } }
  App: { id: app, type: process, technology: web-service-rest, availability: critical, data_assets_processed: [catalogue] }
trust_boundaries:
  DC: { id: dc, type: network-on-prem, technical_assets_inside: [app] }
"#,
        ("availability: critical", "availability: important"),
    ),
    // The team's own service calls its database of mission-critical availability, a single
    // instance, across a network boundary: the store's missing redundancy is the concern.
    case(
        "dos-risky-access-across-trust-boundary",
        "db",
        own_service_to_critical_db!(""),
        ("availability: mission-critical", "availability: important"),
    ),
    // The same database declared redundant: Threagile still reports it (at a lower severity);
    // for threatforge capacity between the team's own services is planned together.
    differs(
        Expect::DoesNotFire,
        case(
            "dos-risky-access-across-trust-boundary",
            "db",
            own_service_to_critical_db!(", redundant: true"),
            ("availability: mission-critical", "availability: important"),
        ),
    ),
    // An LDAP call from an in-scope caller: the risk is on the caller.
    case(
        "ldap-injection",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            r#"  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Lookup: { target: dir, protocol: ldaps, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  Directory: { id: dir, type: datastore, technology: database, data_assets_stored: [orders] }
"#
        ),
        ("protocol: ldaps", "protocol: https"),
    ),
    // A batch job of the team's own queries the directory: no attacker's text reaches it (see
    // `differs`).
    differs(
        Expect::DoesNotFire,
        case(
            "ldap-injection",
            "job",
            r#"technical_assets:
  Job: { id: job, type: process, technology: batch-processing, data_assets_processed: [orders],
    communication_links: { Lookup: { target: dir, protocol: ldaps, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  Directory: { id: dir, type: datastore, technology: database, data_assets_stored: [orders] }
"#,
            ("protocol: ldaps", "protocol: https"),
        ),
    ),
    // An unauthenticated call into an asset that processes confidential data.
    case(
        "missing-authentication",
        "app",
        browser_to_app!(
            "authentication: none, authorization: none",
            "  App: { id: app, type: process, technology: web-service-rest, internet: true, data_assets_processed: [orders] }\n"
        ),
        ("authentication: none", "authentication: token"),
    ),
    // A service that serves public pages to anyone and takes orders on an authenticated link:
    // Threagile reports the anonymous link (at low impact) because the service handles orders;
    // the anonymous call reaches nothing sensitive, so threatforge does not.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-authentication",
            "app",
            r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,
    communication_links: {
      Pages: { target: app, protocol: https, authentication: none, authorization: none, readonly: true, data_assets_received: [catalogue] },
      Orders: { target: app, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, internet: true, data_assets_processed: [orders, catalogue] }
"#,
            ("authentication: none", "authentication: token"),
        ),
    ),
    // A human's client sends confidential data without a second factor.
    case(
        "missing-authentication-second-factor",
        "app",
        browser_to_app!(
            "authentication: credentials, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-service-rest, internet: true, data_assets_processed: [orders] }\n"
        ),
        ("authentication: credentials", "authentication: two-factor"),
    ),
    // An administrator's own client signs in to the directory with a password.
    case(
        "missing-authentication-second-factor",
        "ldap",
        r#"technical_assets:
  Admin: { id: admin, type: external-entity, technology: desktop, used_as_client_by_human: true,
    communication_links: { Manage: { target: ldap, protocol: ldaps, authentication: credentials, authorization: technical-user, usage: devops, data_assets_sent: [orders], data_assets_received: [orders] } } }
  LDAP: { id: ldap, type: datastore, technology: identity-store-ldap, encryption: transparent, data_assets_stored: [orders] }
"#,
        ("authentication: credentials", "authentication: two-factor"),
    ),
    // A human's client holding a session, not typing a password: Threagile asks for a second
    // factor on every authenticated link but two-factor; threatforge where the login is answered.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-authentication-second-factor",
            "app",
            browser_to_app!(
                "authentication: session-id, authorization: end-user-identity-propagation",
                "  App: { id: app, type: process, technology: web-service-rest, internet: true, data_assets_processed: [orders] }\n"
            ),
            ("authentication: session-id", "authentication: two-factor"),
        ),
    ),
    // Custom-developed parts, and no build pipeline, source repository and devops client.
    differs(
        Expect::NearMissFires,
        case(
            "missing-build-infrastructure",
            "app",
            "technical_assets:\n  App: { id: app, type: process, technology: web-service-rest, custom_developed_parts: true, data_assets_processed: [orders] }\n",
            (
                "custom_developed_parts: true",
                "custom_developed_parts: false",
            ),
        ),
    ),
    // A repository and a pipeline, but no DevOps client: nothing that pushes code is drawn.
    case(
        "missing-build-infrastructure",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, custom_developed_parts: true, data_assets_processed: [orders] }
  CI: { id: ci, type: process, technology: build-pipeline, data_assets_processed: [code],
    communication_links: { Checkout: { target: git, protocol: https, authentication: token, authorization: technical-user, readonly: true, usage: devops, data_assets_received: [code] } } }
  Git: { id: git, type: datastore, technology: sourcecode-repository, data_assets_stored: [code] }
"#,
        (
            "  Git: {",
            "  Dev: { id: dev, type: external-entity, technology: devops-client, used_as_client_by_human: true,\n    communication_links: { Push: { target: git, protocol: https, authentication: token, authorization: end-user-identity-propagation, usage: devops, data_assets_sent: [code] } } }\n  Git: {",
        ),
    ),
    // A trust boundary within a cloud.
    case(
        "missing-cloud-hardening",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
trust_boundaries:
  Account: { id: account, type: network-cloud-provider, technical_assets_inside: [app] }
"#,
        ("network-cloud-provider", "network-on-prem"),
    ),
    // A cloud account the model draws with nothing in it, and a security group (imported as a
    // network zone): Threagile asks for hardening on both; threatforge asks per account that
    // holds a component.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-cloud-hardening",
            "account",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
trust_boundaries:
  Account: { id: account, type: network-cloud-provider }
  Group: { id: group, type: network-cloud-security-group, technical_assets_inside: [app] }
"#,
            ("network-cloud-provider", "network-on-prem"),
        ),
    ),
    differs(
        Expect::DoesNotFire,
        case(
            "missing-cloud-hardening",
            "group",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
trust_boundaries:
  Group: { id: group, type: network-cloud-security-group, technical_assets_inside: [app] }
"#,
            ("network-cloud-security-group", "network-on-prem"),
        ),
    ),
    // Custom-developed parts that accept files.
    case(
        "missing-file-validation",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-service-rest, internet: true, custom_developed_parts: true, data_formats_accepted: [file], data_assets_processed: [orders] }\n"
        ),
        (
            "data_formats_accepted: [file]",
            "data_formats_accepted: [json]",
        ),
    ),
    // A datastore whose relative attacker attractiveness passes Threagile's reduced limit.
    differs(
        Expect::NearMissFires,
        case(
            "missing-hardening",
            "db",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [secret],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_sent: [secret], data_assets_received: [secret] } } }
  DB: { id: db, type: datastore, technology: database, confidentiality: strictly-confidential, integrity: mission-critical, availability: critical, data_assets_stored: [secret] }
"#,
            ("secret", "catalogue"),
        ),
    ),
    // A service inside the network, rated below critical, that handles confidential orders in
    // passing and keeps none: Threagile's score of its data makes it the model's most
    // attractive asset; threatforge lists hosts by what an attacker goes for.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-hardening",
            "app",
            "technical_assets:\n  App: { id: app, type: process, technology: application-server, machine: virtual, data_assets_processed: [orders] }\n",
            (
                "technology: application-server",
                "technology: web-service-rest",
            ),
        ),
    ),
    // A service that processes end-user requests, called with a technical user only. The call
    // hands the service orders to work on and reads nothing back: threatforge sees no access on
    // a user's behalf there.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-identity-propagation",
            "api",
            r#"technical_assets:
  Web: { id: web, type: process, technology: web-application, data_assets_processed: [orders],
    communication_links: { Call: { target: api, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, confidentiality: confidential, integrity: critical, availability: important, data_assets_processed: [orders] }
"#,
            (
                "authorization: technical-user",
                "authorization: end-user-identity-propagation",
            ),
        ),
    ),
    // The same call reading the users' orders back.
    case(
        "missing-identity-propagation",
        "api",
        r#"technical_assets:
  Web: { id: web, type: process, technology: web-application, data_assets_processed: [orders],
    communication_links: { Call: { target: api, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders], data_assets_received: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, confidentiality: confidential, integrity: critical, availability: important, data_assets_processed: [orders] }
"#,
        (
            "authorization: technical-user",
            "authorization: end-user-identity-propagation",
        ),
    ),
    // An identity provider sharing a network boundary with an asset that is not identity-related.
    case(
        "missing-identity-provider-isolation",
        "idp",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Login: { target: idp, protocol: https, authentication: client-certificate, authorization: technical-user, data_assets_sent: [secret] } } }
  IdP: { id: idp, type: process, technology: identity-provider, data_assets_processed: [secret] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [app, idp] }
  Idm: { id: idm, type: network-on-prem, technical_assets_inside: [] }
"#,
        (
            "[app, idp] }\n  Idm: { id: idm, type: network-on-prem, technical_assets_inside: []",
            "[app] }\n  Idm: { id: idm, type: network-on-prem, technical_assets_inside: [idp]",
        ),
    ),
    // A national identity service another organisation runs, drawn as an external entity beside
    // the team's service: its network placement is not the team's to decide.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-identity-provider-isolation",
            "idp",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Login: { target: idp, protocol: https, authentication: client-certificate, authorization: technical-user, data_assets_sent: [secret] } } }
  IdP: { id: idp, type: external-entity, technology: identity-provider, data_assets_processed: [secret] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [app, idp] }
  Idm: { id: idm, type: network-on-prem, technical_assets_inside: [] }
"#,
            (
                "[app, idp] }\n  Idm: { id: idm, type: network-on-prem, technical_assets_inside: []",
                "[app] }\n  Idm: { id: idm, type: network-on-prem, technical_assets_inside: [idp]",
            ),
        ),
    ),
    // End-user identity propagated, and no identity store in the model.
    case(
        "missing-identity-store",
        "api",
        browser_to_app!(
            "authentication: credentials, authorization: end-user-identity-propagation",
            r#"  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders],
    communication_links: { Call: { target: api, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, data_assets_processed: [orders, secret],
    communication_links: { Users: { target: users, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [secret] } } }
  Users: { id: users, type: datastore, technology: database, data_assets_stored: [secret] }
"#
        ),
        (
            "technology: database",
            "technology: identity-store-database",
        ),
    ),
    // An identity provider that keeps its users in a database of its own: Threagile still asks
    // for an identity store; threatforge sees where the accounts live.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-identity-store",
            "app",
            browser_to_app!(
                "authentication: credentials, authorization: end-user-identity-propagation",
                r#"  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders, secret],
    communication_links: { Login: { target: idp, protocol: https, authentication: client-certificate, authorization: technical-user, data_assets_sent: [secret], data_assets_received: [secret] } } }
  IdP: { id: idp, type: process, technology: identity-provider, data_assets_processed: [secret],
    communication_links: { Accounts: { target: users, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_sent: [secret], data_assets_received: [secret] } } }
  Users: { id: users, type: datastore, technology: database, data_assets_stored: [secret] }
"#
            ),
            (
                "technology: database",
                "technology: identity-store-database",
            ),
        ),
    ),
    // A sensitive datastore in the same network as a less protected asset it is not connected to.
    case(
        "missing-network-segmentation",
        "db",
        r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true,
    communication_links: { Web: { target: web, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  Web: { id: web, type: process, technology: web-application, data_assets_processed: [orders],
    communication_links: { Call: { target: api, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, data_assets_processed: [orders, secret],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_sent: [secret] } } }
  DB: { id: db, type: datastore, technology: database, confidentiality: strictly-confidential, integrity: mission-critical, availability: critical, data_assets_stored: [secret] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [web, api, db] }
  Backend: { id: backend, type: network-on-prem, technical_assets_inside: [] }
"#,
        (
            "[web, api, db] }\n  Backend: { id: backend, type: network-on-prem, technical_assets_inside: []",
            "[web, api] }\n  Backend: { id: backend, type: network-on-prem, technical_assets_inside: [db]",
        ),
    ),
    // The shop's SQLite file, read by its application as a local file beside an internet-facing
    // web server: no network reaches it, so there is nothing to segment.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-network-segmentation",
            "db",
            r#"technical_assets:
  Web: { id: web, type: process, technology: web-server, internet: true, data_assets_processed: [orders] }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders, secret],
    communication_links: { Query: { target: db, protocol: local-file-access, authentication: none, authorization: none, data_assets_sent: [secret], data_assets_received: [secret] } } }
  DB: { id: db, type: datastore, technology: local-file-system, confidentiality: strictly-confidential, integrity: mission-critical, data_assets_stored: [secret] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [web, app, db] }
"#,
            (
                "mission-critical, data",
                "mission-critical, owner: Shop, data",
            ),
        ),
    ),
    // A build server in the same network as a web server it has no connection with.
    case(
        "missing-network-segmentation",
        "jenkins",
        r#"technical_assets:
  Web: { id: web, type: process, technology: web-server, internet: true, data_assets_processed: [orders] }
  Jenkins: { id: jenkins, type: process, technology: build-pipeline, confidentiality: confidential, integrity: critical, data_assets_processed: [orders],
    communication_links: { Deploy: { target: api, protocol: ssh, authentication: client-certificate, authorization: technical-user, usage: devops, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, data_assets_processed: [orders] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [web, jenkins, api] }
  Build: { id: build, type: network-on-prem, technical_assets_inside: [] }
"#,
        (
            "[web, jenkins, api] }\n  Build: { id: build, type: network-on-prem, technical_assets_inside: []",
            "[web, api] }\n  Build: { id: build, type: network-on-prem, technical_assets_inside: [jenkins]",
        ),
    ),
    // A stateless web application rated confidential beside a CMS it has no connection with:
    // nothing on it is kept at rest or holds the keys to other systems.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-network-segmentation",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-application, internet: true, confidentiality: confidential, integrity: critical, data_assets_processed: [orders] }
  CMS: { id: cms, type: process, technology: cms, internet: true, data_assets_processed: [orders] }
trust_boundaries:
  Net: { id: net, type: network-on-prem, technical_assets_inside: [app, cms] }
"#,
            ("technology: cms", "technology: web-server"),
        ),
    ),
    // The service reads its database naming no login, and the model has no vault: where the
    // database's password lives is not shown.
    case(
        "missing-vault",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Read: { target: db, protocol: jdbc-encrypted, authentication: none, authorization: none, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, data_assets_stored: [orders] }
  Keys: { id: keys, type: datastore, technology: file-server, data_assets_stored: [orders] }
"#,
        ("technology: file-server", "technology: vault"),
    ),
    // No vault in a model with secrets.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-vault",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [secret],
    communication_links: { Read: { target: keys, protocol: https, authentication: token, authorization: technical-user, data_assets_received: [secret] } } }
  Keys: { id: keys, type: datastore, technology: database, data_assets_stored: [secret] }
"#,
            ("technology: database", "technology: vault"),
        ),
    ),
    // A vault sharing a network boundary with an asset other than its own storage.
    case(
        "missing-vault-isolation",
        "vault",
        vault_beside_its_client!("Vault"),
        VAULT_MOVED_TO_ITS_ZONE,
    ),
    // A cloud provider's secrets manager beside its client: Threagile asks to isolate every
    // vault; the provider's service sits in no network of the team's (see `differs`).
    differs(
        Expect::DoesNotFire,
        case(
            "missing-vault-isolation",
            "vault",
            vault_beside_its_client!("AWS Secrets Manager"),
            VAULT_MOVED_TO_ITS_ZONE,
        ),
    ),
    // A web application reached across a trust boundary by something that is not a WAF.
    case(
        "missing-waf",
        "app",
        r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,
    communication_links: { Web: { target: edge, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  Edge: { id: edge, type: process, technology: reverse-proxy, internet: true,
    communication_links: { Forward: { target: app, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders] }
trust_boundaries:
  DC: { id: dc, type: network-on-prem, technical_assets_inside: [app] }
"#,
        ("technology: reverse-proxy", "technology: waf"),
    ),
    // Staff in the office network reach a web application in the data centre: Threagile asks
    // for a WAF on every web link across a network boundary; no internet traffic reaches it.
    differs(
        Expect::DoesNotFire,
        case(
            "missing-waf",
            "app",
            r#"technical_assets:
  Staff: { id: staff, type: external-entity, technology: browser, used_as_client_by_human: true,
    communication_links: { Web: { target: app, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-application, data_assets_processed: [orders] }
trust_boundaries:
  Office: { id: office, type: network-on-prem, technical_assets_inside: [staff] }
  DC: { id: dc, type: network-on-prem, technical_assets_inside: [app] }
"#,
            ("technology: browser", "technology: waf"),
        ),
    ),
    // A shared runtime running assets of different trust boundaries.
    differs(
        Expect::DoesNotFire,
        case(
            "mixed-targets-on-shared-runtime",
            "web",
            r#"technical_assets:
  Web: { id: web, type: process, technology: web-application, data_assets_processed: [orders],
    communication_links: { Call: { target: api, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, data_assets_processed: [orders] }
trust_boundaries:
  DMZ: { id: dmz, type: network-on-prem, technical_assets_inside: [web] }
  Internal: { id: internal, type: network-on-prem, technical_assets_inside: [api] }
shared_runtimes:
  Host: { id: host, technical_assets_running: [web, api] }
"#,
            (
                "[web] }\n  Internal: { id: internal, type: network-on-prem, technical_assets_inside: [api]",
                "[web, api] }\n  Internal: { id: internal, type: network-on-prem, technical_assets_inside: []",
            ),
        ),
    ),
    // A call into file storage: the risk is on the caller (here called from a browser).
    case(
        "path-traversal",
        "app",
        r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true,
    communication_links: { Web: { target: app, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [catalogue] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Files: { target: files, protocol: nfs, authentication: none, authorization: none, data_assets_received: [orders] } } }
  Files: { id: files, type: datastore, technology: file-server, data_assets_stored: [orders] }
"#,
        (
            "protocol: nfs, authentication: none, authorization: none, data_assets_received: [orders] } } }\n  Files: { id: files, type: datastore, technology: file-server",
            "protocol: jdbc-encrypted, authentication: none, authorization: none, data_assets_received: [orders] } } }\n  Files: { id: files, type: datastore, technology: database",
        ),
    ),
    // A service that reads its own files and takes no outside input: Threagile reports every
    // caller of file storage; no path reaches it from an attacker.
    differs(
        Expect::DoesNotFire,
        case(
            "path-traversal",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Files: { target: files, protocol: nfs, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  Files: { id: files, type: datastore, technology: file-server, data_assets_stored: [orders] }
"#,
            ("technology: file-server", "technology: vault"),
        ),
    ),
    // A build pipeline writing to a production asset: Threagile reports it at the target,
    // threatforge on the pipeline with the flow into the target as a member.
    case(
        "push-instead-of-pull-deployment",
        "app",
        r#"technical_assets:
  Jenkins: { id: jenkins, type: process, technology: build-pipeline, data_assets_processed: [code],
    communication_links: { Deploy: { target: app, protocol: ssh, authentication: client-certificate, authorization: technical-user, usage: devops, readonly: false, data_assets_sent: [code] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders, code] }
"#,
        ("readonly: false", "readonly: true"),
    ),
    // A search engine called over HTTP.
    case(
        "search-query-injection",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Search: { target: search, protocol: https, authentication: token, authorization: technical-user, data_assets_received: [orders] } } }
  Search: { id: search, type: process, technology: search-engine, data_assets_processed: [orders] }
"#,
        ("technology: search-engine", "technology: web-service-rest"),
    ),
    // A server calling out over a web protocol (here a webhook on the internet).
    case(
        "server-side-request-forgery",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Webhook: { target: partner, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  Partner: { id: partner, type: external-entity, technology: client-system, internet: true, data_assets_processed: [orders] }
"#,
        ("protocol: https", "protocol: mqtt"),
    ),
    // A gateway on the internet passing requests on to the service behind it: Threagile reports
    // SSRF on every caller of a web service that is not a client or a load balancer; the
    // gateway's configuration names where requests go.
    differs(
        Expect::DoesNotFire,
        case(
            "server-side-request-forgery",
            "gateway",
            r#"technical_assets:
  Gateway: { id: gateway, type: process, technology: gateway, internet: true,
    communication_links: { Forward: { target: app, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
"#,
            ("technology: gateway", "technology: load-balancer"),
        ),
    ),
    // A person's client calling a web service: Threagile asks it of every asset that calls out.
    differs(
        Expect::DoesNotFire,
        case(
            "server-side-request-forgery",
            "spa",
            r#"technical_assets:
  SPA: { id: spa, type: process, technology: web-application, used_as_client_by_human: true, internet: true, data_assets_processed: [orders],
    communication_links: { Api: { target: api, protocol: https, authentication: token, authorization: enduser-identity-propagation, data_assets_sent: [orders] } } }
  API: { id: api, type: process, technology: web-service-rest, data_assets_processed: [orders] }
"#,
            ("protocol: https", "protocol: mqtt"),
        ),
    ),
    // A service registry.
    case(
        "service-registry-poisoning",
        "registry",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [catalogue],
    communication_links: { Register: { target: registry, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [catalogue] } } }
  Registry: { id: registry, type: process, technology: service-registry, data_assets_processed: [catalogue] }
"#,
        ("technology: service-registry", "technology: monitoring"),
    ),
    // A database reached over a database protocol: the risk is on the caller. Here no one calls
    // the caller, so no attacker's text reaches its queries (see `differs`).
    differs(
        Expect::DoesNotFire,
        case(
            "sql-nosql-injection",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
            (
                "protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }\n  DB: { id: db, type: datastore, technology: database",
                "protocol: https, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }\n  DB: { id: db, type: datastore, technology: block-storage",
            ),
        ),
    ),
    // A development-relevant asset (here a build pipeline that deploys).
    case(
        "unchecked-deployment",
        "jenkins",
        r#"technical_assets:
  Jenkins: { id: jenkins, type: process, technology: build-pipeline, data_assets_processed: [code],
    communication_links: { Deploy: { target: app, protocol: ssh, authentication: client-certificate, authorization: technical-user, usage: devops, data_assets_sent: [code] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders, code] }
"#,
        ("technology: build-pipeline", "technology: scheduler"),
    ),
    // A developer's machine that pushes to the repository: Threagile asks it of every
    // development asset; it deploys nothing, so threatforge asks it of the pipeline that does.
    differs(
        Expect::DoesNotFire,
        case(
            "unchecked-deployment",
            "laptop",
            r#"technical_assets:
  Laptop: { id: laptop, type: external-entity, technology: devops-client, internet: true, used_as_client_by_human: true,
    communication_links: { Push: { target: git, protocol: ssh, authentication: client-certificate, authorization: technical-user, usage: devops, data_assets_sent: [code] } } }
  Git: { id: git, type: process, technology: sourcecode-repository, data_assets_stored: [code] }
"#,
            ("technology: devops-client", "technology: desktop"),
        ),
    ),
    // Stored data both confidential and critical, without encryption.
    case(
        "unencrypted-asset",
        "db",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: none, data_assets_stored: [orders] }
"#,
        ("encryption: none", "encryption: transparent"),
    ),
    // A service that handles confidential orders and keeps none: Threagile rates an asset by the
    // data it processes; nothing of it is at rest there.
    differs(
        Expect::DoesNotFire,
        case(
            "unencrypted-asset",
            "app",
            r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true, used_as_client_by_human: true,
    communication_links: { Web: { target: app, protocol: https, authentication: session-id, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, encryption: none, data_assets_processed: [orders] }
"#,
            ("encryption: none", "encryption: transparent"),
        ),
    ),
    // A controller in the field keeps confidential data on its own storage, unencrypted.
    case(
        "unencrypted-asset",
        "plc",
        r#"technical_assets:
  PLC: { id: plc, type: external-entity, technology: iot-device, encryption: none, data_assets_stored: [orders] }
"#,
        ("encryption: none", "encryption: transparent"),
    ),
    // Confidential data over a protocol without encryption.
    case(
        "unencrypted-communication",
        "db",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
        ("protocol: jdbc,", "protocol: jdbc-encrypted,"),
    ),
    // Custom code of confidential rating reached from the internet without a VPN.
    case(
        "unguarded-access-from-internet",
        "app",
        r#"technical_assets:
  Partner: { id: partner, type: external-entity, technology: client-system, internet: true,
    communication_links: { Sync: { target: app, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, custom_developed_parts: true, confidentiality: confidential, integrity: critical, data_assets_processed: [orders] }
"#,
        (
            "authorization: technical-user,",
            "authorization: technical-user, vpn: true,",
        ),
    ),
    // The team's internet-facing service calls its database: Threagile reports the database as
    // reached from the internet; only the service reaches it.
    differs(
        Expect::DoesNotFire,
        case(
            "unguarded-access-from-internet",
            "db",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, internet: true, custom_developed_parts: true, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, confidentiality: confidential, integrity: critical, encryption: transparent, data_assets_stored: [orders] }
"#,
            ("internet: true, custom", "internet: false, custom"),
        ),
    ),
    // A developer on the internet pushes to the team's organisation on a hosted Git service:
    // facing the internet is the service's purpose, and its servers the vendor's to defend; who
    // may sign in to the organisation is a line of the checklist, whoever the author names its
    // owner.
    differs(
        Expect::NearMissFires,
        case(
            "unguarded-access-from-internet",
            "git",
            r#"technical_assets:
  Developer: { id: developer, type: external-entity, technology: devops-client, internet: true, used_as_client_by_human: true,
    communication_links: { Push: { target: git, protocol: https, authentication: credentials, authorization: end-user-identity-propagation, usage: devops, data_assets_sent: [code] } } }
  Git: { id: git, type: datastore, technology: sourcecode-repository, internet: true, multi_tenant: true, confidentiality: confidential, integrity: critical, data_assets_stored: [code] }
"#,
            ("multi_tenant: true", "multi_tenant: true, owner: GitHub"),
        ),
    ),
    // A sensitive datastore called directly across a trust boundary, not for devops.
    differs(
        Expect::NearMissFires,
        case(
            "unguarded-direct-datastore-access",
            "db",
            r#"technical_assets:
  Partner: { id: partner, type: external-entity, technology: client-system, internet: true,
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, confidentiality: confidential, integrity: critical, data_assets_stored: [orders] }
trust_boundaries:
  DC: { id: dc, type: network-on-prem, technical_assets_inside: [db] }
"#,
            (
                "authorization: technical-user,",
                "authorization: technical-user, usage: devops,",
            ),
        ),
    ),
    // A link that carries no data.
    case(
        "unnecessary-communication-link",
        "db",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
        (
            "authorization: technical-user }",
            "authorization: technical-user, data_assets_received: [orders] }",
        ),
    ),
    // An asset passing on confidential data it neither processes nor stores.
    case(
        "unnecessary-data-transfer",
        "app",
        r#"technical_assets:
  Browser: { id: browser, type: external-entity, technology: browser, internet: true,
    communication_links: { Web: { target: app, protocol: https, authentication: token, authorization: end-user-identity-propagation, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [catalogue] }
"#,
        (
            "data_assets_processed: [catalogue]",
            "data_assets_processed: [orders]",
        ),
    ),
    // A service that declares no data of its own passes orders from the browser to its database:
    // Threagile takes every transfer as unneeded; threatforge reads the flows as what it handles.
    differs(
        Expect::DoesNotFire,
        case(
            "unnecessary-data-transfer",
            "app",
            NO_DATA_DECLARED,
            (
                "data_assets_processed: []",
                "data_assets_processed: [orders]",
            ),
        ),
    ),
    // An asset that processes and stores no data.
    case(
        "unnecessary-technical-asset",
        "tool",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Use: { target: tool, protocol: https, authentication: token, authorization: technical-user } } }
  Tool: { id: tool, type: process, technology: web-service-rest, data_assets_processed: [] }
"#,
        (
            "data_assets_processed: [] }",
            "data_assets_processed: [orders] }",
        ),
    ),
    // The same service, which declares no data though its flows carry orders: Threagile calls it
    // unnecessary; threatforge reads the flows as what it handles.
    differs(
        Expect::DoesNotFire,
        case(
            "unnecessary-technical-asset",
            "app",
            NO_DATA_DECLARED,
            (
                "data_assets_processed: []",
                "data_assets_processed: [orders]",
            ),
        ),
    ),
    // An asset that accepts serialized objects.
    case(
        "untrusted-deserialization",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-service-rest, internet: true, data_formats_accepted: [serialization], data_assets_processed: [orders] }\n"
        ),
        ("[serialization]", "[json]"),
    ),
    // A job that accepts serialized objects but only sends: nothing reaches its reader.
    differs(
        Expect::DoesNotFire,
        case(
            "untrusted-deserialization",
            "job",
            r#"technical_assets:
  Job: { id: job, type: process, technology: batch-processing, data_formats_accepted: [serialization], data_assets_processed: [orders],
    communication_links: { Push: { target: app, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
"#,
            ("[serialization]", "[json]"),
        ),
    ),
    // A read-only link that only sends (or a link that only receives and is not read-only).
    case(
        "wrong-communication-link-content",
        "db",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: jdbc-encrypted, authentication: credentials, authorization: technical-user, readonly: true, data_assets_sent: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
        ("readonly: true", "readonly: false"),
    ),
    // SQLite: a database the service reads as a local file. Threagile 1.0 expects a local file
    // system at the end of local file access.
    differs(
        Expect::DoesNotFire,
        case(
            "wrong-communication-link-content",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: local-file-access, authentication: none, authorization: none, data_assets_sent: [orders], data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
            ("technology: database", "technology: local-file-system"),
        ),
    ),
    // A link of unknown protocol: the model does not say how the two talk.
    case(
        "incomplete-model",
        "app",
        r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: unknown-protocol, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#,
        ("unknown-protocol", "jdbc-encrypted"),
    ),
    // A namespace-isolation boundary holding an asset that is neither a container nor serverless.
    differs(
        Expect::DoesNotFire,
        case(
            "wrong-trust-boundary-content",
            "app",
            r#"technical_assets:
  App: { id: app, type: process, technology: web-service-rest, machine: virtual, data_assets_processed: [orders] }
trust_boundaries:
  Namespace: { id: ns, type: network-policy-namespace-isolation, technical_assets_inside: [app] }
"#,
            ("machine: virtual", "machine: container"),
        ),
    ),
    // An operator's desktop station on a physical machine drawn inside a namespace: Threagile
    // asks by the machine, threatforge by what the technology is (no desktop runs in a cluster).
    case(
        "wrong-trust-boundary-content",
        "station",
        r#"technical_assets:
  Station: { id: station, type: process, technology: desktop, machine: physical, data_assets_processed: [orders] }
trust_boundaries:
  Namespace: { id: ns, type: network-policy-namespace-isolation, technical_assets_inside: [station] }
"#,
        (
            "technology: desktop, machine: physical",
            "technology: web-service-rest, machine: container",
        ),
    ),
    // A data asset that nothing processes, stores or carries.
    case(
        "unnecessary-data-asset",
        "code",
        "technical_assets:\n  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders, catalogue, secret] }\n",
        ("secret]", "secret, code]"),
    ),
    // An asset that accepts XML.
    case(
        "xml-external-entity",
        "app",
        browser_to_app!(
            "authentication: session-id, authorization: end-user-identity-propagation",
            "  App: { id: app, type: process, technology: web-service-rest, internet: true, data_formats_accepted: [xml], data_assets_processed: [orders] }\n"
        ),
        ("[xml]", "[json]"),
    ),
    // A job that accepts XML but only sends: no document reaches its parser.
    differs(
        Expect::DoesNotFire,
        case(
            "xml-external-entity",
            "job",
            r#"technical_assets:
  Job: { id: job, type: process, technology: batch-processing, data_formats_accepted: [xml], data_assets_processed: [orders],
    communication_links: { Push: { target: app, protocol: https, authentication: token, authorization: technical-user, data_assets_sent: [orders] } } }
  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders] }
"#,
            ("[xml]", "[json]"),
        ),
    ),
];

fn import_and_analyze(model: &str) -> (Imported, Loaded, Analysis) {
    let text = format!("{PRELUDE}{model}");
    let imported = import(
        text.as_bytes(),
        Format::Threagile,
        &support::options("parity.yaml"),
    )
    .unwrap_or_else(|e| panic!("imports: {e:?}\n{text}"));
    let loaded = support::assert_valid(&imported.yaml);
    let rules = RuleSet::builtin();
    assert!(!rules.has_errors());
    let analysis = threatforge_analysis::analyze(&loaded.model, &rules);
    (imported, loaded, analysis)
}

/// The open covering threats that touch the case's element.
fn covering(rule: &str, model: &str, element: &str) -> (Vec<String>, Analysis) {
    let mapping = threagile_rule(rule).unwrap_or_else(|| panic!("{rule} is a Threagile rule"));
    let (_, loaded, analysis) = import_and_analyze(model);
    // A case naming an element the import did not make would pass for want of anything to
    // report on.
    let m = &loaded.model;
    assert!(
        m.components.contains_key(element)
            || m.data.contains_key(element)
            || m.boundaries.contains_key(element)
            || m.runtimes.contains_key(element),
        "{rule}: the imported model has no element `{element}`"
    );
    let covers = |t: &Threat| mapping.covered_by.iter().any(|(tf, _)| t.stands_for(tf));
    let hits = analysis
        .findings()
        .filter(|t| covers(t))
        .filter(|t| t.is_open() && support::touches(&loaded.model, t, element))
        .map(|t| t.id.to_string())
        .collect();
    (hits, analysis)
}

fn coverage() -> RuleCoverage {
    serde_saphyr::from_str(include_str!(
        "../../threatforge-analysis/rules/coverage-threagile.yaml"
    ))
    .expect("the coverage table reads")
}

#[test]
fn every_threagile_rule_has_a_case() {
    let mut ours: Vec<&str> = CASES.iter().map(|c| c.rule).collect();
    ours.sort_unstable();
    // A rule may have several cases (where threatforge agrees and where it differs).
    ours.dedup();
    let mut theirs: Vec<&str> = THREAGILE_RULES.iter().map(|r| r.id).collect();
    theirs.sort_unstable();
    assert_eq!(ours, theirs);
    assert_eq!(theirs.len(), 42);
}

#[test]
fn near_misses_differ_from_their_model() {
    for c in CASES {
        let (from, to) = c.near_miss;
        assert!(
            c.model.contains(from),
            "{}: `{from}` is not in the model",
            c.rule
        );
        assert_ne!(from, to, "{}", c.rule);
    }
}

/// A case whose outcome differs from Threagile's is written down in the coverage table, and a
/// note there has a case that shows the difference (a rule may also have cases where both agree).
#[test]
fn differences_are_documented() {
    let table = coverage();
    for c in CASES {
        if c.expect != Expect::Parity {
            assert!(
                table[c.rule].differs.is_some(),
                "{}: the case differs from Threagile but the coverage table has no `differs` note",
                c.rule
            );
        }
    }
    for (rule, entry) in &table {
        if entry.differs.is_some() {
            assert!(
                CASES
                    .iter()
                    .any(|c| c.rule == rule && c.expect != Expect::Parity),
                "{rule} has a `differs` note but no case that shows it"
            );
        }
    }
}

#[test]
fn covering_rules_fire_where_threagile_fires_and_not_on_the_near_miss() {
    let mut failing: BTreeSet<&str> = BTreeSet::new();
    let mut report = Vec::new();
    for c in CASES {
        let near_model = c.model.replace(c.near_miss.0, c.near_miss.1);
        let (want_fires, want_near) = match c.expect {
            Expect::Parity => (true, false),
            Expect::NearMissFires => (true, true),
            Expect::DoesNotFire => (false, false),
        };
        let element = c.element;
        let (fires, analysis) = covering(c.rule, c.model, element);
        let (near, _) = covering(c.rule, &near_model, element);
        let mut wrong = Vec::new();
        if fires.is_empty() == want_fires {
            let all: Vec<String> = analysis.findings().map(|t| t.id.to_string()).collect();
            wrong.push(format!(
                "on the model: expected {} covering threat at `{}`, found {fires:?} (all: {all:?})",
                if want_fires { "a" } else { "no" },
                element
            ));
        }
        if near.is_empty() == want_near {
            wrong.push(format!(
                "on the near miss: expected {} covering threat, found {near:?}",
                if want_near { "a" } else { "no" }
            ));
        }
        if !wrong.is_empty() {
            failing.insert(c.rule);
            report.push(format!("{}:\n  {}", c.rule, wrong.join("\n  ")));
        }
    }
    assert!(
        failing.is_empty(),
        "cases that differ from Threagile without a documented reason:\n{}",
        report.join("\n")
    );
}

/// Besides its checklist lines, `incomplete-model` is the importer's business: an unknown
/// technology is a warning of the import and a comment in its output (and the component, left
/// without a technology, a checklist line), and a link of unknown protocol carrying
/// confidential data is judged unencrypted.
#[test]
fn incomplete_model_is_reported_by_the_import_and_judged_unencrypted() {
    let model = r#"technical_assets:
  App: { id: app, type: process, technology: quantum-computer, data_assets_processed: [orders],
    communication_links: { Query: { target: db, protocol: unknown-protocol, authentication: credentials, authorization: technical-user, data_assets_received: [orders] } } }
  DB: { id: db, type: datastore, technology: database, encryption: transparent, data_assets_stored: [orders] }
"#;
    let (imported, _, analysis) = import_and_analyze(model);
    let unencrypted = threagile_rule("unencrypted-communication").expect("a Threagile rule");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("unknown technology `quantum-computer`")),
        "{:?}",
        imported.warnings
    );
    assert!(
        imported.yaml.contains("technology quantum-computer"),
        "{}",
        imported.yaml
    );
    assert!(
        analysis.findings().any(
            |t| unencrypted.covered_by.iter().any(|(r, _)| *r == &*t.rule)
                && &*t.element.id == "app->db"
        ),
        "{:?}",
        analysis
            .findings()
            .map(|t| t.id.to_string())
            .collect::<Vec<_>>()
    );
    assert!(
        analysis
            .findings()
            .any(|t| t.id == "component-without-technology:app"),
        "{:?}",
        analysis
            .findings()
            .map(|t| t.id.to_string())
            .collect::<Vec<_>>()
    );
    let (near, _, _) = import_and_analyze(&model.replace("quantum-computer", "web-service-rest"));
    assert!(
        !near
            .warnings
            .iter()
            .any(|w| w.contains("unknown technology")),
        "{:?}",
        near.warnings
    );
}

/// Besides the checklist line of `unused-data-asset`, data that nothing processes, stores or
/// carries is an `unused-data` warning of the loader, which points at the line to edit.
#[test]
fn unnecessary_data_asset_is_also_a_loader_warning() {
    let model = "technical_assets:\n  App: { id: app, type: process, technology: web-service-rest, data_assets_processed: [orders, catalogue, secret] }\n";
    let unused = |model: &str| -> Vec<String> {
        let (_, loaded, _) = import_and_analyze(model);
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "unused-data")
            .map(|d| d.message.clone())
            .collect()
    };
    let fires = unused(model);
    assert!(fires.len() == 1 && fires[0].contains("code"), "{fires:?}");
    assert!(unused(&model.replace("secret]", "secret, code]")).is_empty());
}
