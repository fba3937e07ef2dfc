//! One threat per root cause: rules that describe consequences of one missing protection on one
//! element give one threat, scored as the most severe, that names every consequence.

mod support;

use std::path::Path;

use threatforge_analysis::{Analysis, RuleSet, analyze};
use threatforge_model::{LoadOptions, load_str};

const HOP: &str = "system: { name: shop }
data:
  customer: { classification: confidential, integrity: high }
rules:
  disable: { DISABLED }
boundaries:
  dmz: { contains: [waf] }
  app: { trust: high, contains: [storefront] }
components:
  shopper: { technology: browser, exposure: internet }
  waf: { technology: waf }
  storefront: { technology: web-application, processes: [customer] }
flows:
  - shopper -> waf: { protocol: https, authentication: session, data: [customer] }
  - waf -> storefront: { protocol: http, authentication: session, data: [customer] }
";

fn analyzed(disabled: &str) -> Analysis {
    let yaml = HOP.replace("DISABLED", disabled);
    let loaded = load_str("m.yaml", &yaml, Path::new("."), &LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    analyze(&loaded.model, &RuleSet::builtin())
}

fn on_hop(analysis: &Analysis) -> Vec<String> {
    const TRANSIT: [&str; 3] = [
        "credentials-over-unencrypted-flow",
        "cleartext-sensitive-data-in-transit",
        "tampering-in-transit-across-boundary",
    ];
    analysis
        .threats
        .iter()
        .filter(|t| &*t.element.id == "waf->storefront" && TRANSIT.contains(&&*t.rule))
        .map(|t| t.rule.to_string())
        .collect()
}

#[test]
fn an_unencrypted_hop_is_one_threat_that_names_every_consequence() {
    let analysis = analyzed("");
    assert_eq!(on_hop(&analysis), ["credentials-over-unencrypted-flow"]);
    let threat = &analysis
        .threats
        .iter()
        .find(|t| t.id == *"credentials-over-unencrypted-flow:waf->storefront")
        .expect("the root threat");
    for consequence in [
        "Confidential data sent unencrypted",
        "Tampering with data in transit across a trust boundary",
    ] {
        assert!(
            threat.explanation.contains(consequence),
            "{}",
            threat.explanation
        );
    }
    // The consequences' controls that the root's own already imply (TLS, mTLS or a VPN covers
    // "TLS, mTLS, signing or a VPN") are not asked for a second time.
    let missing: Vec<&str> = threat.mitigation.missing().collect();
    assert_eq!(missing, ["tls|mtls|vpn"], "{missing:?}");
}

/// A cache that neither encrypts nor authenticates: one protocol decision, one threat, which
/// asks for both fixes and still names the clear text's weakness.
#[test]
fn a_listener_without_encryption_or_authentication_is_one_threat_that_asks_for_both() {
    let yaml = "system: { name: game }
data:
  sessions: { classification: secret, categories: [credential], quantity: very-many }
boundaries:
  vpc: { kind: vpc, contains: [accounts, cache] }
components:
  accounts: { technology: api-service, processes: [sessions] }
  cache: { technology: redis, stores: [sessions] }
flows:
  - accounts -> cache: { protocol: redis, data: [sessions], returns: [sessions] }
";
    let loaded = load_str("m.yaml", yaml, Path::new("."), &LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = analyze(&loaded.model, &RuleSet::builtin());
    let on_flow: Vec<&str> = analysis
        .threats
        .iter()
        .filter(|t| &*t.element.id == "accounts->cache")
        .map(|t| &*t.rule)
        .collect();
    assert_eq!(on_flow, ["caller-spoofing-on-unauthenticated-flow"]);
    let threat = &analysis.threats[analysis
        .threats
        .iter()
        .position(|t| &*t.element.id == "accounts->cache")
        .expect("the listener's threat")];
    assert!(
        threat
            .absorbed
            .iter()
            .any(|a| &**a == "credentials-over-unencrypted-flow"),
        "{:?}",
        threat.absorbed
    );
    // Authentication for the spoofing, encryption for the clear text; a VPN is no advice inside
    // one VPC.
    let missing: Vec<&str> = threat.mitigation.missing().collect();
    assert_eq!(missing, ["authentication|mtls", "tls|mtls"], "{missing:?}");
    assert!(
        threat.cwe.contains(&306) && threat.cwe.contains(&319),
        "{:?}",
        threat.cwe
    );
}

#[test]
fn the_root_threat_is_as_severe_as_its_worst_consequence() {
    let whole = analyzed("");
    let root = whole
        .threats
        .iter()
        .find(|t| t.id == *"credentials-over-unencrypted-flow:waf->storefront")
        .expect("root");
    // Each consequence on its own, with the root rule (and the next one) disabled.
    let alone = analyzed(
        "credentials-over-unencrypted-flow: test, cleartext-sensitive-data-in-transit: test",
    );
    let tampering = alone
        .threats
        .iter()
        .find(|t| t.id == *"tampering-in-transit-across-boundary:waf->storefront")
        .expect("tampering on its own");
    assert!(root.inherent.score >= tampering.inherent.score);
}

#[test]
fn with_the_root_rule_disabled_the_next_one_takes_the_rest() {
    let analysis = analyzed("credentials-over-unencrypted-flow: test");
    assert_eq!(on_hop(&analysis), ["cleartext-sensitive-data-in-transit"]);
}

#[test]
fn a_rule_that_supersedes_an_unknown_rule_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("r.yaml"),
        "id: probe\ntitle: Probe\ndescription: probe\nstride: tampering\n\
         applies_to: { element: flow }\ncondition: 'true'\nexplanation: x\n\
         likelihood: low\nimpact: low\nsupersedes: [cleartext-sensitive-data-in-transitt]\n",
    )
    .expect("write");
    let rules = RuleSet::only_dirs(&[threatforge_analysis::RuleDir::own(dir.path().to_path_buf())]);
    let messages: Vec<String> = rules
        .diagnostics
        .iter()
        .map(|d| format!("{} {:?}", d.message, d.help))
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("supersedes")),
        "{messages:?}"
    );
}

#[test]
fn a_consequence_whose_controls_are_in_place_is_not_named_by_the_root_threat() {
    let yaml = "system: { name: portal }
data:
  accounts: { classification: confidential }
components:
  customer: { technology: browser, exposure: internet }
  portal: { technology: web-application, processes: [accounts], controls: [mfa] }
flows:
  - customer -> portal: { protocol: https, authentication: credentials, authorization: user, returns: [accounts] }
";
    let analysis = support::analyzed(yaml);
    let find = |id: &str| support::threat(&analysis, id);
    let stuffing = find("credential-stuffing-and-brute-force:portal").expect("stuffing is kept");
    // A second factor defeats a stuffed password on its own.
    assert_eq!(
        stuffing.status,
        threatforge_model::DecisionStatus::Mitigated
    );
    assert!(
        !stuffing.explanation.contains("second factor"),
        "{}",
        stuffing.explanation
    );
    assert!(stuffing.absorbed.is_empty(), "{:?}", stuffing.absorbed);
    let second_factor = find("missing-second-factor:portal").expect("kept on its own");
    assert_eq!(
        second_factor.status,
        threatforge_model::DecisionStatus::Mitigated
    );
}

/// Stuffing is stopped by a second factor on its own, and otherwise by bot detection and
/// throttling (or an allow-list) together: either alone leaves it open, asking for the rest.
/// (Internal data: on confidential data a missing second factor is a threat of its own, which
/// stuffing absorbs, and only MFA closes.)
#[test]
fn credential_stuffing_is_closed_by_a_second_factor_or_by_bot_detection_with_throttling() {
    let status = |controls: &str| {
        let yaml = format!(
            "system: {{ name: portal }}
data:
  accounts: {{ classification: internal }}
components:
  customer: {{ technology: browser, exposure: internet }}
  portal: {{ technology: web-application, processes: [accounts], controls: [{controls}] }}
flows:
  - customer -> portal: {{ protocol: https, authentication: credentials, authorization: user, returns: [accounts] }}
"
        );
        let analysis = support::analyzed(&yaml);
        let stuffing = support::threat(&analysis, "credential-stuffing-and-brute-force:portal")
            .expect("stuffing is found");
        let missing: Vec<String> = stuffing
            .mitigation
            .missing()
            .map(|entry| entry.to_string())
            .collect();
        (stuffing.status, missing)
    };
    use threatforge_model::DecisionStatus::{Mitigated, Open};
    assert_eq!(status("mfa").0, Mitigated);
    assert_eq!(status("anti-automation, rate-limiting").0, Mitigated);
    assert_eq!(status("anti-automation, ip-allowlist").0, Mitigated);
    assert_eq!(
        status("rate-limiting"),
        (Open, vec!["mfa|anti-automation".to_owned()])
    );
    assert_eq!(
        status("ip-allowlist"),
        (Open, vec!["mfa|anti-automation".to_owned()])
    );
    assert_eq!(
        status("anti-automation"),
        (
            Open,
            vec!["mfa|account-lockout|rate-limiting|ip-allowlist".to_owned()]
        )
    );
}

/// On confidential data the missing second factor is a threat of its own. Where bot detection and
/// throttling close the stuffing, the second factor stays open under its own rule: the closed
/// root cause does not carry it as an open threat.
#[test]
fn a_closed_root_cause_leaves_the_consequence_it_would_absorb_to_its_own_rule() {
    let analysis = support::analyzed(
        "system: { name: portal }
data:
  accounts: { classification: confidential }
components:
  customer: { technology: browser, exposure: internet }
  portal: { technology: web-application, processes: [accounts], controls: [anti-automation, account-lockout] }
flows:
  - customer -> portal: { protocol: https, authentication: credentials, authorization: user, returns: [accounts] }
",
    );
    let stuffing = support::threat(&analysis, "credential-stuffing-and-brute-force:portal")
        .expect("stuffing is found");
    assert!(!stuffing.is_open(), "{:?}", stuffing.status);
    assert!(stuffing.absorbed.is_empty(), "{:?}", stuffing.absorbed);
    let second = support::threat(&analysis, "missing-second-factor:portal")
        .expect("the second factor is its own threat");
    assert!(second.is_open(), "{:?}", second.status);
}

/// Chargers that speak plain WebSocket with basic auth, through a load balancer that passes the
/// connection on as it came: one exposure, reported on the hop in, which names the hop on.
const PASSED_ON: &str = "system: { name: charging }
data:
  password: { classification: secret, integrity: high, categories: [credential] }
  meter: { classification: confidential, integrity: high }
boundaries:
  field: { trust: untrusted, contains: [charger] }
  vpc: { trust: high, contains: [lb, central] }
components:
  charger: { technology: iot-device }
  lb: { technology: load-balancer }
  central: { technology: api-service, processes: [meter] }
flows:
  - charger -> lb: { protocol: websocket, authentication: credentials, data: [password, meter] }
  - lb -> central: { protocol: websocket, authentication: credentials, data: [password, meter] }
";

fn transit_ids(analysis: &Analysis) -> Vec<String> {
    analysis
        .findings()
        .filter(|t| {
            t.rule.contains("unencrypted")
                || t.rule.contains("cleartext")
                || t.rule.contains("in-transit")
        })
        .map(|t| t.id.to_string())
        .collect()
}

#[test]
fn a_plaintext_connection_passed_on_by_a_forwarder_is_one_threat_on_the_hop_in() {
    let analysis = support::analyzed(PASSED_ON);
    assert_eq!(
        transit_ids(&analysis),
        ["credentials-over-unencrypted-flow:charger->lb"]
    );
    let threat = support::threat(&analysis, "credentials-over-unencrypted-flow:charger->lb")
        .expect("threat");
    assert!(
        threat
            .explanation
            .contains("lb passes them on unencrypted to central"),
        "{}",
        threat.explanation
    );
    assert!(
        threat
            .absorbed
            .iter()
            .any(|r| &**r == "tampering-in-transit-across-boundary"),
        "{:?}",
        threat.absorbed
    );
}

#[test]
fn a_hop_on_is_its_own_threat_where_the_hop_in_is_encrypted_or_carries_other_data() {
    // TLS ends at the balancer: the plaintext hop behind it is a threat of its own.
    let terminated = PASSED_ON.replace(
        "charger -> lb: { protocol: websocket,",
        "charger -> lb: { protocol: websocket-tls,",
    );
    assert_eq!(
        transit_ids(&support::analyzed(&terminated)),
        ["credentials-over-unencrypted-flow:lb->central"]
    );
    // The balancer adds a credential of its own on the hop on: that one is not the caller's.
    let own_key = PASSED_ON
        .replace(
            "  meter: {",
            "  lb-key: { classification: secret, categories: [credential] }\n  meter: {",
        )
        .replace(
            "lb -> central: { protocol: websocket, authentication: credentials, data: [password, meter] }",
            "lb -> central: { protocol: websocket, authentication: credentials, data: [password, meter, lb-key] }",
        );
    let ids = transit_ids(&support::analyzed(&own_key));
    assert!(
        ids.contains(&"credentials-over-unencrypted-flow:lb->central".to_owned()),
        "{ids:?}"
    );
    // A VPN gateway passes on only what signed in to it: not the same connection.
    let gateway = PASSED_ON.replace(
        "lb: { technology: load-balancer }",
        "lb: { technology: vpn-gateway }",
    );
    let ids = transit_ids(&support::analyzed(&gateway));
    assert!(
        ids.contains(&"credentials-over-unencrypted-flow:lb->central".to_owned()),
        "{ids:?}"
    );
}

const LEDGER: &str = "system: { name: payouts }
data:
  ledger: { classification: confidential, integrity: critical }
boundaries:
  vpc: { kind: network, trust: high, contains: [payouts, db] }
components:
  payouts: { technology: api-service, processes: [ledger] }
  console: { technology: saas, traits: [third-party], exposure: internet, processes: [ledger] }
  db: { technology: postgresql, stores: [ledger] }
flows:
  - payouts -> db: { protocol: postgres-tls, authentication: credentials, data: [ledger], returns: [ledger] }
  - console -> db: { protocol: postgres-tls, authentication: credentials, data: [ledger], returns: [ledger] }
";

#[test]
fn a_weak_writer_beside_the_services_is_one_tampering_threat_with_a_database_s_fixes() {
    let analysis = support::analyzed(LEDGER);
    let writes: Vec<&str> = analysis
        .findings()
        .filter(|t| &*t.element.id == "db")
        .map(|t| &*t.rule)
        .filter(|r| r.contains("tampering") || r.contains("write"))
        .collect();
    assert_eq!(writes, ["stored-data-tampering-from-less-trusted-zone"]);
    let threat = analysis
        .threats
        .iter()
        .find(|t| t.id == *"stored-data-tampering-from-less-trusted-zone:db")
        .expect("the tampering threat");
    assert!(
        threat
            .absorbed
            .iter()
            .any(|r| &**r == "shared-datastore-write-access"),
        "{:?}",
        threat.absorbed
    );
    // A database has no branch protection or review of its writes to offer.
    let missing: Vec<&str> = threat.mitigation.missing().collect();
    assert_eq!(missing, ["least-privilege", "authorization"], "{missing:?}");
}

/// A store of children's data kept with no retention limit is one threat (the data's exposure,
/// drawn out in time), rated as the more severe of the two once the controls in place count: the
/// retention rule starts likelier but hurts less, and a partial fix takes its likelihood down a
/// step that the store's own rating, already at the floor, does not lose.
#[test]
fn a_store_of_childrens_data_kept_forever_is_one_threat_as_severe_as_its_worst_part() {
    let model = "system: { name: school }
data:
  notes: { classification: secret, categories: [personal, children] }
boundaries:
  data: { kind: network, trust: high, contains: [records] }
components:
  teachers: { technology: browser, exposure: internet }
  app: { technology: web-application, processes: [notes] }
  records: { technology: postgresql, stores: [notes], controls: [encryption-at-rest] }
flows:
  - teachers -> app: { protocol: https, authentication: session, data: [notes], returns: [notes] }
  - app -> records: { protocol: postgres-tls, authentication: credentials, data: [notes], returns: [notes] }
";
    let analysis = support::analyzed(model);
    let store = support::threat(&analysis, "special-category-data-disclosure:records")
        .expect("the store's threat");
    assert!(store.stands_for("personal-data-retention"));
    assert!(
        support::threat(&analysis, "personal-data-retention:records")
            .is_none_or(|t| t.id == store.id),
        "retention is named by the store's threat, not apart"
    );
    assert!(store.mitigation.missing().any(|c| c == "data-retention"));
    // Its rating is no lower than the store's own rule gives with retention out of the way.
    let alone = support::analyzed(&model.replacen(
        "boundaries:",
        "rules:\n  disable: { personal-data-retention: test }\nboundaries:",
        1,
    ));
    let own = support::threat(&alone, "special-category-data-disclosure:records").expect("alone");
    assert!(
        store.residual.score >= own.residual.score,
        "{:?} < {:?}",
        store.residual,
        own.residual
    );
}
