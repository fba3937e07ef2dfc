//! The Threat Dragon v2 importer on a small diagram of our own: an actor, a process and a store,
//! flows between them, nested boundary boxes, a boundary line, threats in every status.

mod support;

use proptest::prelude::*;
use threatforge_import::{Format, Options, detect, import};
use threatforge_model::DecisionStatus;

const CLINIC: &str = r#"{
  "version": "2.3.0",
  "summary": { "title": "Clinic booking", "owner": "Team Clinic", "description": "Patients book\nappointments." },
  "detail": {
    "contributors": [ { "name": "Ana" } ],
    "reviewer": "Sec team",
    "diagrams": [ {
      "title": "Booking", "diagramType": "STRIDE", "version": "2.3.0",
      "cells": [
        { "shape": "trust-boundary-box", "id": "b-outer", "position": { "x": 300, "y": 0 }, "size": { "width": 700, "height": 500 },
          "data": { "type": "tm.BoundaryBox", "name": "Hospital network", "isTrustBoundary": true } },
        { "shape": "trust-boundary-box", "id": "b-inner", "position": { "x": 600, "y": 50 }, "size": { "width": 300, "height": 300 },
          "data": { "type": "tm.BoundaryBox", "name": "Records\nzone", "isTrustBoundary": true } },
        { "shape": "trust-boundary-curve", "id": "curve", "source": { "x": 250, "y": 0 }, "target": { "x": 250, "y": 600 },
          "data": { "type": "tm.Boundary", "name": "", "isTrustBoundary": true } },
        { "shape": "td-text-block", "id": "note", "position": { "x": 0, "y": 550 }, "size": { "width": 100, "height": 20 },
          "data": { "type": "tm.Text", "name": "Draft, to review" } },
        { "shape": "actor", "id": "a-patient", "position": { "x": 20, "y": 100 }, "size": { "width": 100, "height": 60 },
          "data": { "type": "tm.Actor", "name": "Patient browser", "outOfScope": false, "threats": [] } },
        { "shape": "process", "id": "p-booking", "position": { "x": 350, "y": 100 }, "size": { "width": 100, "height": 100 },
          "data": { "type": "tm.Process", "name": "Booking\nservice", "isWebApplication": true, "handlesCardPayment": true, "privilegeLevel": "root",
            "threats": [
              { "id": "t1", "title": "Session hijack", "type": "Spoofing", "modelType": "STRIDE", "status": "Open", "severity": "High",
                "description": "Cookies without Secure flag.", "mitigation": "Set Secure and HttpOnly." },
              { "id": "t2", "title": "Booking flood", "type": "Denial of service", "modelType": "STRIDE", "status": "Mitigated", "severity": "Low",
                "description": "Bots book every slot.", "mitigation": "CAPTCHA on booking." },
              { "id": "t3", "title": "Profile linking", "type": "Linkability", "modelType": "LINDDUN", "status": "NotApplicable", "severity": "Medium",
                "description": "", "mitigation": "" },
              { "id": "t4", "title": "Odd", "type": "Weird", "modelType": "CUSTOM", "status": "Frozen", "severity": "Extreme", "score": "7" }
            ] } },
        { "shape": "store", "id": "s-records", "position": { "x": 700, "y": 100 }, "size": { "width": 120, "height": 60 },
          "data": { "type": "tm.Store", "name": "Records DB", "isEncrypted": true, "storesCredentials": true,
            "threats": [ { "title": "Record theft", "type": "Information disclosure", "status": "Accepted", "severity": "Critical", "description": "Backups are readable.", "mitigation": "" } ] } },
        { "shape": "store", "id": "s-legacy", "position": { "x": 700, "y": 400 }, "size": { "width": 120, "height": 60 },
          "data": { "type": "tm.Store", "name": "Legacy export", "outOfScope": true, "reasonOutOfScope": "retired in May" } },
        { "shape": "flow", "id": "f1", "source": { "cell": "a-patient" }, "target": { "cell": "p-booking" },
          "data": { "type": "tm.Flow", "name": "(1) Book", "protocol": "HTTP/S", "isEncrypted": false, "isPublicNetwork": true, "isBidirectional": true,
            "threats": [ { "title": "Tampered request", "type": "Tampering", "status": "Open", "severity": "Medium", "description": "", "mitigation": "" } ] } },
        { "shape": "flow", "id": "f2", "source": { "cell": "p-booking" }, "target": { "cell": "s-records" },
          "data": { "type": "tm.Flow", "name": "Store booking", "protocol": "SQL", "isEncrypted": true } },
        { "shape": "flow", "id": "f3", "source": { "cell": "p-booking" }, "target": { "cell": "s-records" },
          "data": { "type": "tm.Flow", "name": "Read history", "protocol": "carrier pigeon" } },
        { "shape": "flow", "id": "f4", "source": { "cell": "p-booking" }, "target": { "x": 10, "y": 10 },
          "data": { "type": "tm.Flow", "name": "Dangling" } }
      ] } ]
  }
}"#;

fn opts() -> Options {
    support::options("clinic.json")
}

#[test]
fn detects_threat_dragon() {
    assert_eq!(detect(None, CLINIC.as_bytes()), Some(Format::ThreatDragon));
}

#[test]
fn clinic_snapshot() {
    let imported = import(CLINIC.as_bytes(), Format::ThreatDragon, &opts()).expect("import");
    insta::assert_snapshot!("clinic", imported.yaml);
    insta::assert_snapshot!("clinic_warnings", imported.warnings.join("\n"));
    assert_eq!(
        imported,
        import(CLINIC.as_bytes(), Format::ThreatDragon, &opts()).expect("again")
    );
}

#[test]
fn cells_become_components_flows_and_nested_boundaries() {
    let imported = import(CLINIC.as_bytes(), Format::ThreatDragon, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    let kinds: Vec<(&str, &str)> = m
        .components
        .iter()
        .map(|(id, c)| (id.as_str(), c.effective_kind().as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("patient-browser", "actor"),
            ("booking-service", "process"),
            ("records-db", "store"),
            ("legacy-export", "store")
        ]
    );
    assert_eq!(m.components["patient-browser"].technology_id(), "browser");
    assert_eq!(
        m.components["booking-service"].technology_id(),
        "web-application"
    );
    assert_eq!(m.components["records-db"].technology_id(), "database");
    assert!(m.components["records-db"].has_control("encryption-at-rest"));
    assert_eq!(
        m.components["legacy-export"].out_of_scope.as_deref(),
        Some("retired in May")
    );
    // Containment by geometry: the store sits in the inner box, the inner box in the outer one.
    let contains = |b: &str| -> Vec<String> {
        m.boundaries[b]
            .contains
            .iter()
            .map(|c| c.value.clone())
            .collect()
    };
    assert_eq!(
        contains("hospital-network"),
        ["records-zone", "booking-service", "legacy-export"]
    );
    assert_eq!(contains("records-zone"), ["records-db"]);
    // A public-network flow puts its ends on the internet.
    assert!(m.components["patient-browser"].exposure.is_some());
    assert!(m.components["booking-service"].exposure.is_some());
    let book = &m.flows["patient-browser->booking-service"];
    assert_eq!(book.protocol_id(), "https");
    // Two flows between the same ends: the second gets an id from its name.
    assert!(m.flows.contains_key("read-history"));
    assert_eq!(m.flows["booking-service->records-db"].protocol_id(), "jdbc");
    assert!(m.flows["booking-service->records-db"].is_encrypted());
    // The line is reported with the flows it crosses.
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("crosses patient-browser->booking-service"))
    );
    assert!(imported.warnings.iter().any(|w| w.contains("Dangling")));
}

#[test]
fn threats_keep_status_and_severity() {
    let imported = import(CLINIC.as_bytes(), Format::ThreatDragon, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    let hijack = &m.threats["session-hijack"];
    assert_eq!(hijack.stride.as_str(), "spoofing");
    assert_eq!(
        (hijack.likelihood.as_str(), hijack.impact.as_str()),
        ("high", "high")
    );
    assert_eq!(
        hijack.element.as_ref().map(|e| e.value.as_str()),
        Some("booking-service")
    );
    assert_eq!(m.threats["record-theft"].impact.as_str(), "very-high");
    assert_eq!(
        m.threats["profile-linking"].linddun.map(|l| l.as_str()),
        Some("linking")
    );
    assert_eq!(
        m.threats["tampered-request"]
            .element
            .as_ref()
            .map(|e| e.value.as_str()),
        Some("patient-browser->booking-service")
    );
    let decisions: Vec<(&str, DecisionStatus, Option<&str>)> = m
        .decisions
        .iter()
        .map(|d| {
            (
                d.threat.value.as_str(),
                d.status,
                d.justification.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "manual:booking-flood",
                DecisionStatus::Mitigated,
                Some("CAPTCHA on booking.")
            ),
            (
                "manual:profile-linking",
                DecisionStatus::NotApplicable,
                Some("NotApplicable in Threat Dragon")
            ),
            (
                "manual:record-theft",
                DecisionStatus::Accepted,
                Some("Accepted in Threat Dragon")
            ),
        ]
    );
    assert!(imported.warnings.iter().any(|w| w.contains("`Frozen`")));
}

#[test]
fn malformed_and_hostile_input_get_clear_errors() {
    let error = import(
        b"{\"version\": \"2.0\",\n \"detail\": }",
        Format::ThreatDragon,
        &opts(),
    )
    .expect_err("invalid");
    assert_eq!(error.line, Some(2));
    let error =
        import(b"{\"summary\": {}}", Format::ThreatDragon, &opts()).expect_err("no diagrams");
    assert!(error.message.contains("detail.diagrams"), "{error}");
    let v1 =
        br#"{"summary": {"title": "x"}, "detail": {"diagrams": [{"diagramJson": {"cells": []}}]}}"#;
    let error = import(v1, Format::ThreatDragon, &opts()).expect_err("v1");
    assert!(error.message.contains("v1"), "{error}");
    let deep = format!(
        "{{\"detail\": {}{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let error = import(deep.as_bytes(), Format::ThreatDragon, &opts()).expect_err("deep");
    assert!(error.message.contains("recursion limit"), "{error}");
    let small = Options {
        max_bytes: 100,
        ..opts()
    };
    let error = import(CLINIC.as_bytes(), Format::ThreatDragon, &small).expect_err("too large");
    assert!(error.message.contains("limit"), "{error}");
}

#[test]
fn many_boxes_stay_bounded() {
    let mut cells = Vec::new();
    for i in 0..2_000 {
        cells.push(format!(
            r#"{{"shape": "trust-boundary-box", "id": "b{i}", "position": {{"x": {i}, "y": {i}}}, "size": {{"width": 5000, "height": 5000}}, "data": {{"name": "B {i}"}}}}"#
        ));
        cells.push(format!(
            r#"{{"shape": "process", "id": "p{i}", "position": {{"x": {i}, "y": {i}}}, "size": {{"width": 10, "height": 10}}, "data": {{"name": "P {i}"}}}}"#
        ));
    }
    let text = format!(
        r#"{{"version": "2.3.0", "summary": {{"title": "Big"}}, "detail": {{"diagrams": [{{"cells": [{}]}}]}}}}"#,
        cells.join(",")
    );
    let imported = import(text.as_bytes(), Format::ThreatDragon, &opts()).expect("import");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("only the first"))
    );
    support::assert_valid(&imported.yaml);
}

fn run(bytes: &[u8]) {
    let _ = detect(None, bytes);
    if let Ok(imported) = import(bytes, Format::ThreatDragon, &Options::default()) {
        support::assert_valid(&imported.yaml);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn truncated(cut in 0usize..CLINIC.len()) {
        run(&CLINIC.as_bytes()[..cut]);
    }

    #[test]
    fn byte_flipped(flips in prop::collection::vec((0usize..CLINIC.len(), any::<u8>()), 1..8)) {
        let mut bytes = CLINIC.as_bytes().to_vec();
        for (at, b) in flips {
            bytes[at] = b;
        }
        run(&bytes);
    }

    #[test]
    fn digits_flipped(flips in prop::collection::vec((0usize..CLINIC.len(), 0u8..10), 1..16)) {
        // Geometry and flags change while the JSON stays valid.
        let mut bytes = CLINIC.as_bytes().to_vec();
        for (at, d) in flips {
            if bytes[at].is_ascii_digit() {
                bytes[at] = b'0' + d;
            }
        }
        run(&bytes);
    }

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
    }
}
