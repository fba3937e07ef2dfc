//! Rules for risks the expert reviews named and no rule covered (issue "Threats a security
//! architect would sign"): each fires on the general shape of the risk, stays silent where a
//! declared fact rules it out, and is closed by the control it names.

mod support;

use support::{analyzed, threat};

use threatforge_analysis::{Analysis, Threat};
use threatforge_model::ThreatSeverity;

fn open<'a>(analysis: &'a Analysis, id: &str) -> &'a Threat {
    let t = threat(analysis, id).unwrap_or_else(|| panic!("{id} is not found"));
    assert!(t.is_open(), "{id} is {:?}", t.status);
    t
}

fn absent(analysis: &Analysis, id: &str) {
    assert!(threat(analysis, id).is_none(), "{id} is found");
}

/// The threat's explanation names each of `named` and none of `not_named`.
fn names(threat: &Threat, named: &[&str], not_named: &[&str]) {
    let text = &threat.explanation;
    for name in named {
        assert!(text.contains(name), "{name} is not named: {text}");
    }
    for name in not_named {
        assert!(!text.contains(name), "{name} is named: {text}");
    }
}

fn closed(analysis: &Analysis, id: &str) {
    let t = threat(analysis, id).unwrap_or_else(|| panic!("{id} is not found"));
    assert!(!t.is_open(), "{id} is open: {}", t.explanation);
}

/// A B2B service: tenants sign up, log in with their own SAML IdP, upload documents and export
/// reports; staff run a support console.
const SAAS: &str = "system: { name: saas, criticality: high }
data:
  assertion: { classification: secret, integrity: high, categories: [credential], quantity: many }
  logins: { classification: secret, integrity: high, categories: [credential], quantity: very-many }
  records: { classification: confidential, integrity: high, categories: [personal], quantity: very-many }
  upload: { classification: confidential, categories: [personal], quantity: many }
components:
  customer: { technology: browser, exposure: internet, traits: [open-sign-up] }
  customer-idp: { technology: external-service, exposure: internet }
  staff: { technology: user }
  lb: { technology: load-balancer, exposure: internet }
  login: { technology: identity-provider, traits: [parses-xml], processes: [assertion, logins], controls: [LOGIN] }
  app: { technology: api-service, processes: [records, upload] }
  files: { technology: worker, traits: [accepts-files], processes: [upload], controls: [FILES] }
  reports: { technology: batch-job, traits: [exports-spreadsheets], processes: [records], controls: [REPORTS] }
  support: { technology: admin-console, processes: [logins, records], controls: [SUPPORT] }
  db: { technology: postgresql, traits: [DB_TRAITS], stores: [records, logins], controls: [DB] }
  exports: { technology: object-storage, stores: [records] }
flows:
  - customer -> lb: { protocol: https, data: [assertion, records, upload] }
  - lb -> login: { protocol: https, data: [assertion] }
  - lb -> app: { protocol: https, authentication: session, data: [records, upload] }
  - login -> customer-idp: { protocol: https, readonly: true }
  - login -> db: { protocol: postgres-tls, authentication: credentials, data: [logins] }
  - app -> db: { protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }
  - app -> files: { protocol: grpc-tls, authentication: token, data: [upload] }
  - reports -> db: { protocol: postgres-tls, authentication: credentials, readonly: true, returns: [records] }
  - reports -> exports: { protocol: https, authentication: token, data: [records] }
  - staff -> support: { protocol: https, authentication: token, returns: [records] }
  - support -> db: { protocol: postgres-tls, authentication: credentials, data: [logins], returns: [records] }
runtimes:
  cluster: { kind: cluster, runs: [login, app, files, reports, support] }
";

fn saas(controls: &[(&str, &str)], db_traits: &str) -> Analysis {
    let mut yaml = SAAS.replace("DB_TRAITS", db_traits);
    for slot in ["LOGIN", "FILES", "REPORTS", "SUPPORT", "DB"] {
        let value = controls
            .iter()
            .find(|(s, _)| *s == slot)
            .map_or("", |(_, v)| v);
        yaml = yaml.replace(
            &format!("controls: [{slot}]"),
            &format!("controls: [{value}]"),
        );
    }
    analyzed(&yaml)
}

#[test]
fn each_concern_fires_on_its_element_and_names_its_weakness() {
    let analysis = saas(&[], "multi-tenant");
    let cases = [
        ("saml-signature-wrapping:login", 347),
        ("support-account-takeover:support", 640),
        ("shared-runtime-resource-exhaustion:files", 770),
        ("spreadsheet-formula-injection:reports", 1236),
        ("cross-tenant-data-access:db", 639),
    ];
    for (id, cwe) in cases {
        let t = open(&analysis, id);
        assert!(t.cwe.contains(&cwe), "{id}: {:?}", t.cwe);
    }
    // Each fires on the element that has the fact, not on its neighbours.
    for id in [
        "saml-signature-wrapping:app",
        "support-account-takeover:app",
        "shared-runtime-resource-exhaustion:app",
        "spreadsheet-formula-injection:app",
        "cross-tenant-data-access:exports",
    ] {
        absent(&analysis, id);
    }
}

#[test]
fn forged_assertions_and_staff_recovery_are_rated_as_account_takeover() {
    let analysis = saas(&[], "multi-tenant");
    // An assertion from any tenant's IdP opens any account of a critical login service.
    let saml = open(&analysis, "saml-signature-wrapping:login");
    assert!(saml.severity() >= ThreatSeverity::High, "{saml:?}");
    assert!(
        saml.explanation.contains("customer-idp"),
        "{}",
        saml.explanation
    );
    let support = open(&analysis, "support-account-takeover:support");
    assert!(support.severity() >= ThreatSeverity::High, "{support:?}");
    assert!(
        support.explanation.contains("staff") && support.explanation.contains("logins"),
        "{}",
        support.explanation
    );
}

#[test]
fn the_controls_each_rule_names_close_it() {
    let analysis = saas(
        &[
            ("LOGIN", "assertion-validation"),
            ("FILES", "resource-quotas"),
            ("REPORTS", "formula-escaping"),
            ("SUPPORT", "recovery-verification"),
            ("DB", "tenant-isolation"),
        ],
        "multi-tenant",
    );
    for id in [
        "saml-signature-wrapping:login",
        "support-account-takeover:support",
        "shared-runtime-resource-exhaustion:files",
        "spreadsheet-formula-injection:reports",
        "cross-tenant-data-access:db",
    ] {
        closed(&analysis, id);
    }
}

#[test]
fn a_store_not_declared_multi_tenant_gets_no_cross_tenant_threat() {
    let analysis = saas(&[], "stores-data");
    absent(&analysis, "cross-tenant-data-access:db");
}

#[test]
fn the_quota_threat_absorbs_the_anonymous_exhaustion_of_the_same_worker() {
    // Reached anonymously as well as shared: one threat, one fix (quotas), not two.
    let yaml = "system: { name: t }
data: { upload: { classification: confidential } }
components:
  visitor: { technology: browser, exposure: internet }
  lb: { technology: load-balancer, exposure: internet }
  converter: { technology: worker, traits: [accepts-files], processes: [upload] }
  api: { technology: api-service }
flows:
  - visitor -> lb: { protocol: https, data: [upload] }
  - lb -> converter: { protocol: https, data: [upload] }
  - lb -> api: { protocol: https }
runtimes:
  cluster: { kind: cluster, runs: [converter, api] }
";
    let analysis = analyzed(yaml);
    let t = open(&analysis, "shared-runtime-resource-exhaustion:converter");
    assert!(
        t.absorbed
            .iter()
            .any(|r| &**r == "unbounded-resource-consumption"),
        "{:?}",
        t.absorbed
    );
    absent(&analysis, "unbounded-resource-consumption:converter");
}

/// A shop whose own page takes the card number, and one that leaves it to the payment provider's
/// hosted fields.
const SHOP: &str = "system: { name: shop }
data:
  card: { classification: confidential, categories: [payment], quantity: many }
  token: { classification: internal, categories: [payment], quantity: many }
components:
  shopper: { technology: browser, exposure: internet, traits: [open-sign-up] }
  cdn: { technology: cdn, exposure: internet, controls: [CDN] }
  psp: { technology: payment-provider, exposure: internet, processes: [card] }
  pages: { technology: web-application, processes: [PAGE_DATA], controls: [PAGE] }
flows:
  - shopper -> cdn: { protocol: https, data: [PAGE_DATA] }
  - cdn -> pages: { protocol: https, data: [PAGE_DATA] }
  - shopper -> psp: { protocol: https, data: [card], returns: [token] }
";

fn shop(page_data: &str, cdn: &str, page: &str) -> Analysis {
    analyzed(
        &SHOP
            .replace("PAGE_DATA", page_data)
            .replace("controls: [CDN]", &format!("controls: [{cdn}]"))
            .replace("controls: [PAGE]", &format!("controls: [{page}]")),
    )
}

#[test]
fn card_data_typed_on_our_own_page_can_be_skimmed_behind_a_cdn() {
    let analysis = shop("card", "ddos-protection", "");
    let t = open(&analysis, "payment-page-skimming:pages");
    assert!(t.capec.contains(&63) && t.cwe.contains(&829), "{t:?}");
    // The provider's page is the provider's to fix; the CDN only forwards.
    absent(&analysis, "payment-page-skimming:psp");
    absent(&analysis, "payment-page-skimming:cdn");
}

#[test]
fn hosted_payment_fields_keep_the_page_out_of_skimming() {
    let analysis = shop("token", "ddos-protection", "");
    absent(&analysis, "payment-page-skimming:pages");
}

#[test]
fn a_csp_does_not_stop_an_allowed_script_but_script_integrity_does() {
    // The page's CSP must allow the scripts it loads, so it leaves an altered one running.
    let csp = shop("card", "content-security-policy", "content-security-policy");
    let with_csp = open(&csp, "payment-page-skimming:pages");
    let plain = shop("card", "ddos-protection", "");
    let without = open(&plain, "payment-page-skimming:pages");
    assert_eq!(with_csp.residual.score, without.residual.score);
    let sri = shop("card", "ddos-protection", "subresource-integrity");
    closed(&sri, "payment-page-skimming:pages");
}

#[test]
fn uploads_paced_by_the_team_do_not_starve_the_shared_runtime() {
    // Staff uploading through a console and a nightly import run by the team are not many
    // outside clients competing for the nodes.
    let yaml = "system: { name: t }
data: { files: { classification: internal } }
components:
  staff: { technology: user }
  console: { technology: cms, processes: [files] }
  import: { technology: batch-job, traits: [accepts-files], processes: [files] }
  api: { technology: api-service }
flows:
  - staff -> console: { protocol: https, authentication: token, data: [files] }
  - staff -> api: { protocol: https, authentication: token }
  - import -> api: { protocol: https, authentication: token, data: [files] }
runtimes:
  cluster: { kind: cluster, runs: [console, import, api] }
";
    let analysis = analyzed(yaml);
    absent(&analysis, "shared-runtime-resource-exhaustion:console");
    absent(&analysis, "shared-runtime-resource-exhaustion:import");
}

/// Basket tampering names the browsers that send the prices, and never a partner's app, whose
/// code the team does not ship (the condition left it out; the explanation named it too).
#[test]
fn basket_tampering_names_the_team_s_clients_only() {
    let analysis = analyzed(
        "system: { name: shop }
data:
  basket: { classification: internal, integrity: high, categories: [financial] }
  orders: { classification: confidential }
components:
  shopper: { technology: browser, exposure: internet }
  partner-app: { technology: mobile-app, exposure: internet, traits: [third-party] }
  shop: { technology: web-application, processes: [basket, orders] }
flows:
  - shopper -> shop: { protocol: https, authentication: session, data: [basket] }
  - partner-app -> shop: { protocol: https, authentication: api-key, data: [orders] }
",
    );
    names(
        open(&analysis, "trust-in-client-controls:shop"),
        &["shopper"],
        &["partner-app"],
    );
}

/// Prompt injection names the callers whose text the team does not control (people, the
/// internet, a third party), not the team's own services that also write to the model.
#[test]
fn prompt_injection_names_the_untrusted_callers_only() {
    let analysis = analyzed(
        "system: { name: help }
data:
  chat: { classification: internal }
components:
  customer: { technology: browser, exposure: internet }
  ticketing: { technology: api-service }
  assistant: { technology: llm-service, processes: [chat] }
flows:
  - customer -> assistant: { protocol: https, authentication: session, data: [chat], returns: [chat] }
  - ticketing -> assistant: { protocol: https, authentication: client-certificate, data: [chat], returns: [chat] }
",
    );
    names(
        open(&analysis, "llm-prompt-injection:assistant"),
        &["customer"],
        &["ticketing"],
    );
}

/// Staff-assisted recovery names the users' credentials the console writes, not others it only
/// reads.
#[test]
fn support_takeover_names_the_credentials_the_console_writes() {
    let analysis = analyzed(
        "system: { name: bank }
data:
  logins: { classification: secret, categories: [credential], quantity: very-many }
  tokens: { classification: secret, categories: [credential], quantity: very-many }
components:
  agent: { technology: user }
  console: { technology: admin-console, processes: [logins, tokens] }
  users-db: { technology: postgresql, stores: [logins] }
  token-store: { technology: redis, stores: [tokens] }
flows:
  - agent -> console: { protocol: https, authentication: token }
  - console -> users-db: { protocol: postgres-tls, authentication: credentials, data: [logins] }
  - token-store -> console: { protocol: redis-tls, authentication: credentials, data: [tokens] }
",
    );
    names(
        open(&analysis, "support-account-takeover:console"),
        &["logins"],
        &["tokens"],
    );
}

/// Poisoning travels in content: an index that a job fills with chunks of web pages it fetches is
/// not safer for being far from the internet, and the explanation says where the content comes
/// from.
#[test]
fn index_poisoning_from_fetched_pages_is_not_discounted_by_distance() {
    let analysis = analyzed(
        "system: { name: help }
data:
  page: { classification: public, integrity: low }
  chunk: { classification: internal, integrity: high, categories: [model] }
components:
  sites: { technology: external-service, exposure: internet, traits: [third-party] }
  ingestion: { technology: worker, processes: [page, chunk] }
  index: { technology: postgresql, stores: [chunk] }
flows:
  - ingestion -> sites: { protocol: https, readonly: true, returns: [page] }
  - ingestion -> index: { protocol: postgres-tls, authentication: credentials, data: [chunk] }
",
    );
    let found = open(&analysis, "llm-training-data-poisoning:index");
    assert!(
        found
            .explanation
            .contains("ingestion makes it from content it fetches from outsiders"),
        "{}",
        found.explanation
    );
    let steps: Vec<(&str, i8)> = found
        .factors
        .iter()
        .filter(|f| f.on == "likelihood")
        .map(|f| (f.factor, f.effect))
        .collect();
    assert!(
        !steps
            .iter()
            .any(|&(factor, effect)| effect < 0 && factor != "start"),
        "{steps:?}"
    );
}

/// What a search returns into the model's context can be repeated to whoever asks, model data or
/// not: retrieved chunks are named; a fine-tuning set the service only sends is not.
#[test]
fn output_disclosure_names_the_chunks_retrieved_into_the_context() {
    let analysis = analyzed(
        "system: { name: help }
data:
  question: { classification: internal }
  chunk: { name: Indexed chunks, classification: confidential, categories: [model, personal] }
  tuning: { name: Tuning set, classification: confidential, categories: [model] }
components:
  shopper: { technology: browser, exposure: internet }
  assistant: { technology: ai-agent, processes: [question, chunk, tuning] }
  index: { technology: postgresql, stores: [chunk] }
  trainer: { technology: worker, processes: [tuning] }
flows:
  - shopper -> assistant: { protocol: https, authentication: session, data: [question], returns: [question] }
  - assistant -> index: { protocol: postgres-tls, authentication: credentials, readonly: true, returns: [chunk] }
  - assistant -> trainer: { protocol: https, authentication: token, data: [tuning] }
",
    );
    names(
        open(&analysis, "llm-sensitive-output-disclosure:assistant"),
        &["Indexed chunks"],
        &["Tuning set"],
    );
}

/// Carding is found where the cards leave for the provider, and its explanation names what sends
/// it the cards, in front of which the tries are told apart; never the provider calling back, nor
/// a proxy that only passes the requests on.
#[test]
fn carding_names_the_checkout_where_the_tries_are_told_apart() {
    let analysis = analyzed(
        "system: { name: shop }
data:
  card: { classification: secret, categories: [payment] }
  verdict: { classification: internal }
components:
  shopper: { technology: browser, exposure: internet }
  lb: { technology: load-balancer, exposure: internet }
  checkout: { technology: web-application, processes: [card] }
  payments: { technology: api-service, processes: [card] }
  psp: { technology: payment-provider, exposure: internet }
flows:
  - shopper -> lb: { protocol: https, authentication: session, data: [card] }
  - lb -> checkout: { protocol: https, authentication: session, data: [card] }
  - checkout -> payments: { protocol: grpc-tls, authentication: client-certificate, data: [card] }
  - payments -> psp: { protocol: https, authentication: api-key, data: [card], returns: [verdict] }
  - psp -> payments: { protocol: https, authentication: signature, data: [card] }
",
    );
    let found = open(&analysis, "card-testing:payments");
    assert!(
        found
            .explanation
            .contains("It sees only what sends it the cards (checkout)"),
        "{}",
        found.explanation
    );
}

/// Card data that the team's services hold outside the zone drawn for it names, with them, the
/// team's own proxy in a less trusted zone that decrypts the cards on their way, though it
/// declares no processing of them; an edge in front of a zone that holds every service that
/// handles the cards is the usual design, and no finding.
#[test]
fn card_data_outside_its_zone_names_the_proxies_that_decrypt_it() {
    let shop = |checkout_zone: &str| {
        format!(
            "system: {{ name: shop }}
data:
  card: {{ classification: secret, categories: [payment] }}
boundaries:
  dmz: {{ trust: low, contains: [waf] }}
  {checkout_zone}
components:
  shopper: {{ technology: browser, exposure: internet }}
  waf: {{ technology: waf }}
  checkout: {{ technology: web-application, processes: [card] }}
  payments: {{ technology: api-service, processes: [card] }}
flows:
  - shopper -> waf: {{ protocol: https, authentication: session, data: [card] }}
  - waf -> checkout: {{ protocol: https, authentication: session, data: [card] }}
  - checkout -> payments: {{ protocol: grpc-tls, authentication: client-certificate, data: [card] }}
"
        )
    };
    let analysis = analyzed(&shop(
        "app: { trust: medium, contains: [checkout] }\n  cde: { trust: high, contains: [payments] }",
    ));
    let found = open(&analysis, "card-data-outside-cardholder-zone:card");
    assert!(
        found
            .explanation
            .contains("by checkout (zone app), and decrypted on its way by waf (zone dmz)"),
        "{}",
        found.explanation
    );
    let analysis = analyzed(&shop(
        "cde: { trust: high, contains: [checkout, payments] }",
    ));
    absent(&analysis, "card-data-outside-cardholder-zone:card");
}

/// A login secret on thousands of login flows is checked in one pass over them: who reads it
/// back is found once, not once per login (4,000 API-key clients took more than the 20 million
/// steps an expression may take, so the rule failed on a valid model).
#[test]
fn a_secret_on_thousands_of_logins_is_judged_within_the_step_limit() {
    const CLIENTS: usize = 4_000;
    let mut yaml = String::from(
        "system: { name: keys }
data:
  key: { name: Client API keys, classification: secret, categories: [credential], quantity: many }
components:
  db: { technology: postgresql, stores: [key] }
  api: { technology: api-service, processes: [key] }
",
    );
    for i in 0..CLIENTS {
        yaml.push_str(&format!(
            "  c{i}: {{ technology: partner-system, exposure: internet }}\n"
        ));
    }
    yaml.push_str("flows:\n");
    for i in 0..CLIENTS {
        yaml.push_str(&format!(
            "  - c{i} -> api: {{ protocol: https, authentication: api-key, data: [key] }}\n"
        ));
    }
    // Last, so that a search for it from each login goes through every login first.
    yaml.push_str(
        "  - api -> db: { protocol: postgres-tls, authentication: credentials, readonly: true, returns: [key] }\n",
    );
    let analysis = analyzed(&yaml);
    let found = open(&analysis, "recoverable-credential-storage:key");
    assert!(
        found.explanation.contains("log in to api with"),
        "{}",
        found.explanation
    );
}

/// One PIN on thousands of devices, and card data through thousands of edge proxies, are judged
/// within the step limit: each device or proxy is named once from the datum's `handled_by`,
/// where the rules first removed repeats by comparing every pair of flows (3,000 devices took
/// more than the 20 million steps an expression may take, so the rule failed on a valid model).
/// The explanations name the first twenty and count the rest, within the explanation's size
/// limit (4,000 proxies' names overran it, an error in five rules).
#[test]
fn a_datum_on_thousands_of_devices_or_proxies_is_judged_within_the_step_limit() {
    const UNITS: usize = 4_000;
    let mut fleet = String::from(
        "system: { name: fleet }
data:
  pin: { name: Service PIN, classification: secret, categories: [credential], quantity: few }
components:
  backend: { technology: api-service, processes: [pin] }
",
    );
    let mut flows = String::from("flows:\n");
    for i in 0..UNITS {
        fleet.push_str(&format!("  unit{i}: {{ technology: iot-device }}\n"));
        // Two flows per unit, so a unit named once per flow would be named twice.
        flows.push_str(&format!(
            "  - backend -> unit{i}: {{ protocol: mqtts, authentication: client-certificate, data: [pin] }}\n\
             \x20 - unit{i} -> backend: {{ protocol: mqtts, authentication: client-certificate, data: [pin] }}\n"
        ));
    }
    let analysis = analyzed(&(fleet + &flows));
    let found = open(&analysis, "credential-shared-across-devices:pin");
    // The first twenty named, each once, the rest counted.
    assert_eq!(found.explanation.matches("unit17,").count(), 1);
    assert!(
        found
            .explanation
            .contains(&format!("unit19, and {} more hold it", UNITS - 20)),
        "{}",
        found.explanation
    );

    let mut shop = String::from(
        "system: { name: shop }
data:
  card: { classification: secret, categories: [payment] }
boundaries:
  app: { trust: medium, contains: [checkout] }
  cde: { trust: high, contains: [payments] }
  dmz: { trust: low, contains: [EDGES] }
components:
  shopper: { technology: browser, exposure: internet }
  checkout: { technology: web-application, processes: [card] }
  payments: { technology: api-service, processes: [card] }
",
    );
    let mut flows = String::from(
        "flows:\n  - checkout -> payments: { protocol: grpc-tls, authentication: client-certificate, data: [card] }\n",
    );
    let mut edges = Vec::new();
    for i in 0..UNITS {
        shop.push_str(&format!("  edge{i}: {{ technology: reverse-proxy }}\n"));
        edges.push(format!("edge{i}"));
        flows.push_str(&format!(
            "  - shopper -> edge{i}: {{ protocol: https, authentication: session, data: [card] }}\n\
             \x20 - edge{i} -> checkout: {{ protocol: https, authentication: session, data: [card] }}\n"
        ));
    }
    let analysis = analyzed(&(shop.replace("EDGES", &edges.join(", ")) + &flows));
    let found = open(&analysis, "card-data-outside-cardholder-zone:card");
    assert_eq!(found.explanation.matches("edge17 (zone dmz)").count(), 1);
    assert!(
        found
            .explanation
            .contains(&format!("edge19 (zone dmz), and {} more", UNITS - 20)),
        "{}",
        found.explanation
    );
}
