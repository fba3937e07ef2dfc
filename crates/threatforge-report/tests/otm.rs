//! The Open Threat Model export: a snapshot of a small model, and the mappings a reader of OTM
//! relies on (zones and their nesting, the implicit zones, threat states, mitigations, attributes).
//! The official schema is checked in crates/threatforge-cli/tests/formats.rs.

mod support;

use serde_json::Value;
use threatforge_analysis::Analysis;
use threatforge_model::Model;

const KIOSK: &str = "system: { name: Ticket kiosk, criticality: high, owners: [team-kiosk] }
data:
  tickets: { name: Tickets, classification: confidential, integrity: high, categories: [personal] }
components:
  visitor: { technology: browser, exposure: internet }
  kiosk: { name: Kiosk app, technology: web-application, processes: [tickets], controls: [input-validation, waf] }
  store: { technology: postgresql, stores: [tickets] }
  printer: { kind: process }
flows:
  - visitor -> kiosk: { protocol: https, authentication: session, data: [tickets], returns: [tickets] }
  - kiosk -> store: { id: kiosk-writes, protocol: postgres, data: [tickets], controls: [mtls] }
  - kiosk -> printer: { protocol: ipc, data: [tickets] }
boundaries:
  venue: { kind: physical, trust: medium, contains: [lan] }
  lan: { name: Venue LAN, trust: high, contains: [kiosk, store] }
threats:
  queue-jumping:
    title: Visitors replay a printed ticket
    element: kiosk
    stride: spoofing
    likelihood: high
    mitigations: [digital-signatures]
    cwe: [294]
decisions:
  - { threat: \"sql-injection:kiosk\", status: accepted, owner: team-kiosk, justification: an ORM builds every query, expires: 2027-01-31 }
  - { threat: \"manual:queue-jumping\", status: in-progress, ticket: KIO-7 }
";

fn export(text: &str) -> (Model, Analysis, String) {
    let (model, analysis) = support::from_text(text);
    let otm = threatforge_report::render_otm(&model, &analysis);
    (model, analysis, otm)
}

fn by_id<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|v| v["id"] == id))
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn kiosk_snapshot() {
    let (_, _, otm) = export(KIOSK);
    insta::assert_snapshot!("kiosk_otm", otm);
}

#[test]
fn output_is_byte_identical_across_runs() {
    assert_eq!(export(KIOSK).2, export(KIOSK).2);
}

#[test]
fn zones_nest_and_implicit_zones_appear_when_used() {
    let (_, _, text) = export(KIOSK);
    let otm: Value = serde_json::from_str(&text).expect("json");
    let zones = &otm["trustZones"];
    assert_eq!(by_id(zones, "lan")["parent"]["trustZone"], "venue");
    assert!(by_id(zones, "venue").get("parent").is_none());
    assert_eq!(by_id(zones, "lan")["risk"]["trustRating"], 100);
    assert_eq!(by_id(zones, "venue")["risk"]["trustRating"], 66);
    assert_eq!(by_id(zones, "internet")["risk"]["trustRating"], 1);
    assert_eq!(
        by_id(zones, "internet")["attributes"]["threatforge"]["implicit"],
        "internet"
    );
    let components = &otm["components"];
    assert_eq!(
        by_id(components, "visitor")["parent"]["trustZone"],
        "internet"
    );
    assert_eq!(by_id(components, "kiosk")["parent"]["trustZone"], "lan");
    assert_eq!(
        by_id(components, "printer")["parent"]["trustZone"],
        "threatforge:unzoned"
    );
    assert_eq!(by_id(components, "store")["type"], "postgresql");
    assert_eq!(by_id(components, "printer")["type"], "process");
    assert_eq!(
        by_id(components, "store")["assets"]["stored"],
        serde_json::json!(["tickets"])
    );

    // Without a component outside every boundary, neither implicit zone is written.
    let inside = KIOSK
        .replace("exposure: internet", "exposure: internal")
        .replace(
            "contains: [kiosk, store]",
            "contains: [kiosk, store, visitor, printer]",
        );
    let (_, _, text) = export(&inside);
    let otm: Value = serde_json::from_str(&text).expect("json");
    let zones: Vec<&str> = otm["trustZones"]
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["id"].as_str())
        .collect();
    assert_eq!(zones, ["venue", "lan"]);
}

#[test]
fn flows_keep_their_ids_and_what_otm_has_no_field_for() {
    let (_, _, text) = export(KIOSK);
    let otm: Value = serde_json::from_str(&text).expect("json");
    let flows = &otm["dataflows"];
    let visit = by_id(flows, "visitor->kiosk");
    assert_eq!(visit["source"], "visitor");
    assert_eq!(visit["destination"], "kiosk");
    assert_eq!(visit["bidirectional"], false);
    assert_eq!(visit["assets"], serde_json::json!(["tickets"]));
    let tf = &visit["attributes"]["threatforge"];
    assert_eq!(tf["protocol"], "https");
    assert_eq!(tf["authentication"], "session");
    assert_eq!(tf["returns"], serde_json::json!(["tickets"]));
    let writes = by_id(flows, "kiosk-writes");
    assert_eq!(writes["attributes"]["threatforge"]["id"], "kiosk-writes");
    assert_eq!(
        writes["attributes"]["threatforge"]["controls"],
        serde_json::json!(["mtls"])
    );
    let assets = &otm["assets"];
    let tickets = by_id(assets, "tickets");
    assert_eq!(tickets["risk"]["confidentiality"], 67);
    assert_eq!(tickets["risk"]["integrity"], 75);
    assert_eq!(
        tickets["attributes"]["threatforge"]["classification"],
        "confidential"
    );
}

#[test]
fn every_threat_is_listed_and_referenced_from_its_element_with_its_state() {
    let (_, analysis, text) = export(KIOSK);
    let otm: Value = serde_json::from_str(&text).expect("json");
    let threats = otm["threats"].as_array().expect("threats");
    // The hygiene checklist goes with the threats, in one id order.
    let mut findings: Vec<_> = analysis.findings().collect();
    findings.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(threats.len(), findings.len());
    for (t, exported) in findings.into_iter().zip(threats) {
        assert_eq!(exported["id"], t.id.to_string().as_str());
        assert_eq!(exported["attributes"]["threatforge"]["rule"], &*t.rule);
        assert_eq!(
            exported["attributes"]["threatforge"]["status"],
            t.status.as_str()
        );
        assert_eq!(
            exported["risk"]["likelihood"],
            u32::from(t.inherent.likelihood) * 25
        );
    }

    let sql = by_id(&otm["threats"], "sql-injection:kiosk");
    assert_eq!(sql["categories"], serde_json::json!(["Tampering"]));
    assert!(
        sql["cwes"]
            .as_array()
            .expect("cwes")
            .iter()
            .any(|c| c == "CWE-89")
    );
    let decision = &sql["attributes"]["threatforge"]["decision"];
    assert_eq!(decision["status"], "accepted");
    assert_eq!(decision["justification"], "an ORM builds every query");
    assert_eq!(decision["expires"], "2027-01-31");

    let kiosk = by_id(&otm["components"], "kiosk");
    let refs = kiosk["threats"].as_array().expect("threats");
    let state = |id: &str| {
        refs.iter()
            .find(|r| r["threat"] == id)
            .map(|r| r["state"].clone())
            .unwrap_or_else(|| panic!("no reference to {id}"))
    };
    assert_eq!(state("sql-injection:kiosk"), "accepted");
    assert_eq!(state("manual:queue-jumping"), "exposed");

    let manual = by_id(&otm["threats"], "manual:queue-jumping");
    let def = &manual["attributes"]["threatforge"]["manual"];
    assert_eq!(def["likelihood"], "high");
    assert_eq!(def["impact"], "medium");
    assert_eq!(
        def["mitigations"],
        serde_json::json!(["digital-signatures"])
    );
    assert_eq!(def["cwe"], serde_json::json!([294]));
    let queue = refs
        .iter()
        .find(|r| r["threat"] == "manual:queue-jumping")
        .expect("reference");
    assert_eq!(
        queue["mitigations"],
        serde_json::json!([{ "mitigation": "digital-signatures", "state": "required" }])
    );
}

#[test]
fn controls_become_mitigations() {
    let (_, _, text) = export(KIOSK);
    let otm: Value = serde_json::from_str(&text).expect("json");
    let mitigations = &otm["mitigations"];
    let waf = by_id(mitigations, "waf");
    assert_eq!(waf["name"], "Web application firewall");
    assert_eq!(
        waf["attributes"]["threatforge"]["inPlaceOn"],
        serde_json::json!(["kiosk"])
    );
    let signatures = by_id(mitigations, "digital-signatures");
    assert_eq!(
        signatures["riskReduction"], 100,
        "the manual threat's only control"
    );
    let ids: Vec<&str> = mitigations
        .as_array()
        .expect("mitigations")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "mitigations are in id order");
}
