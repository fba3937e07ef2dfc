//! The Open Threat Model importer on small files of our own in the shape other tools write (UUID
//! ids, an internet zone, tool-specific component types, 0-100 risk values), in JSON and YAML.
//! The round trip through our own export is in crates/threatforge-cli/tests/otm_round_trip.rs.

mod support;

use proptest::prelude::*;
use threatforge_import::{Format, Options, detect, import};
use threatforge_model::DecisionStatus;

const FOREIGN: &str = r#"{
  "otmVersion": "0.2.0",
  "project": { "name": "Parcel tracker", "id": "parcel-tracker", "owner": "Team Parcels", "ownerContact": "parcels@example.com" },
  "representations": [ { "name": "Diagram", "id": "diagram", "type": "diagram" } ],
  "assets": [
    { "name": "Parcel addresses", "id": "9c1e7d0a-2b1f-4c55-9e60-6a1f2b3c4d5e",
      "risk": { "confidentiality": 80, "integrity": 60, "availability": 30, "comment": "addresses of private people" } },
    { "name": "Tracking numbers", "id": "tracking-numbers",
      "risk": { "confidentiality": 10, "integrity": 50, "availability": 90 } }
  ],
  "trustZones": [
    { "id": "f0ba7722-39b6-4c81-8290-a30a248bb8d9", "name": "Internet", "type": "internet", "risk": { "trustRating": 1 } },
    { "id": "6f0e5ad4-8d2b-4f7a-9a44-0c3b2e1d9f10", "name": "AWS account", "type": "aws-cloud", "risk": { "trustRating": 70 } },
    { "id": "b2d0c6e4-1a3f-4e2b-8c7d-5e6f7a8b9c0d", "name": "Private subnet", "type": "private", "risk": { "trustRating": 100 },
      "parent": { "trustZone": "6f0e5ad4-8d2b-4f7a-9a44-0c3b2e1d9f10" } }
  ],
  "components": [
    { "id": "courier-app", "name": "Courier app", "type": "android-device-client",
      "parent": { "trustZone": "f0ba7722-39b6-4c81-8290-a30a248bb8d9" } },
    { "id": "tracking-api", "name": "Tracking API", "type": "web-service", "tags": ["spring"],
      "parent": { "trustZone": "6f0e5ad4-8d2b-4f7a-9a44-0c3b2e1d9f10" },
      "assets": { "processed": ["9c1e7d0a-2b1f-4c55-9e60-6a1f2b3c4d5e", "tracking-numbers"] },
      "threats": [
        { "threat": "t-spoof", "state": "exposed",
          "mitigations": [ { "mitigation": "m-mfa", "state": "implemented" }, { "mitigation": "m-review", "state": "required" } ] },
        { "threat": "t-flood", "state": "accepted" }
      ] },
    { "id": "parcel-db", "name": "Parcel DB", "type": "postgresql",
      "parent": { "trustZone": "b2d0c6e4-1a3f-4e2b-8c7d-5e6f7a8b9c0d" },
      "assets": { "stored": ["9c1e7d0a-2b1f-4c55-9e60-6a1f2b3c4d5e", "tracking-numbers"] } },
    { "id": "db-driver", "name": "DB driver", "type": "code-class",
      "parent": { "component": "tracking-api" } }
  ],
  "dataflows": [
    { "id": "scan", "name": "Scan upload", "source": "courier-app", "destination": "tracking-api",
      "bidirectional": true, "assets": ["tracking-numbers"], "tags": ["https", "mobile"] },
    { "id": "store", "name": "Store parcels", "source": "tracking-api", "destination": "parcel-db",
      "assets": ["9c1e7d0a-2b1f-4c55-9e60-6a1f2b3c4d5e"],
      "threats": [ { "threat": "t-spoof", "state": "mitigated", "mitigations": [ { "mitigation": "m-tls", "state": "implemented" } ] } ] },
    { "id": "dangling", "name": "To nowhere", "source": "tracking-api", "destination": "nowhere" }
  ],
  "threats": [
    { "id": "t-spoof", "name": "Courier impersonation", "description": "A stolen phone uploads fake scans.",
      "categories": ["Spoofing", "Fraud"], "cwes": ["CWE-287"],
      "risk": { "likelihood": 60, "impact": 100, "likelihoodComment": "phones get lost" } },
    { "id": "t-flood", "name": "Scan flood", "categories": ["Denial of Service"], "risk": { "likelihood": 20, "impact": 40 } },
    { "id": "t-free", "name": "Insider reads addresses", "risk": { "likelihood": null, "impact": 70 } }
  ],
  "mitigations": [
    { "id": "m-mfa", "name": "Multi-factor authentication", "riskReduction": 60 },
    { "id": "m-review", "name": "Weekly scan review", "description": "Dispatch compares scans with routes.", "riskReduction": 20 },
    { "id": "m-tls", "name": "mtls", "riskReduction": 80 },
    { "id": "m-unused", "name": "Audit logging", "riskReduction": 30 }
  ]
}"#;

/// The same file in YAML, as a person would write it.
fn as_yaml(json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).expect("fixture");
    fn write(v: &serde_json::Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            write(v, indent + 2, out);
                        }
                        _ => out.push_str(&format!("{pad}{k}: {v}\n")),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    let mut inner = String::new();
                    write(item, indent + 2, &mut inner);
                    let trimmed = inner.trim_start();
                    out.push_str(&format!("{pad}- {trimmed}"));
                    if !item.is_object() && !item.is_array() {
                        out.push('\n');
                    }
                }
            }
            other => out.push_str(&format!("{other}")),
        }
    }
    let mut out = String::new();
    write(&value, 0, &mut out);
    out
}

fn opts() -> Options {
    support::options("parcels.otm.json")
}

#[test]
fn detects_otm_in_json_and_yaml() {
    assert_eq!(detect(None, FOREIGN.as_bytes()), Some(Format::Otm));
    assert_eq!(detect(None, as_yaml(FOREIGN).as_bytes()), Some(Format::Otm));
}

#[test]
fn foreign_snapshot() {
    let imported = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("import");
    insta::assert_snapshot!("parcels", imported.yaml);
    insta::assert_snapshot!("parcels_warnings", imported.warnings.join("\n"));
}

#[test]
fn yaml_and_json_import_the_same() {
    let json = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("json");
    let yaml = as_yaml(FOREIGN);
    let yaml = import(yaml.as_bytes(), Format::Otm, &opts()).expect("yaml");
    assert_eq!(json, yaml);
}

#[test]
fn output_is_deterministic() {
    let a = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("import");
    let b = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("import");
    assert_eq!(a, b);
}

#[test]
fn foreign_file_loads_and_keeps_the_system() {
    let imported = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    // UUID ids give way to ids from names; readable ids stay.
    let data: Vec<&str> = m.data.keys().map(String::as_str).collect();
    assert_eq!(data, ["parcel-addresses", "tracking-numbers"]);
    let addresses = &m.data["parcel-addresses"];
    assert_eq!(addresses.classification.as_str(), "confidential");
    assert_eq!(m.data["tracking-numbers"].classification.as_str(), "public");
    assert_eq!(m.data["tracking-numbers"].availability.as_str(), "critical");
    let tech = |id: &str| m.components[id].technology_id().to_owned();
    assert_eq!(tech("courier-app"), "mobile-app");
    assert_eq!(tech("tracking-api"), "api-service");
    assert_eq!(tech("parcel-db"), "postgresql");
    assert_eq!(
        m.components["db-driver"].effective_kind().as_str(),
        "process"
    );
    // The internet zone is threatforge's own: no boundary, but internet exposure.
    assert!(!m.boundaries.contains_key("internet"));
    assert_eq!(
        m.components["courier-app"].exposure.map(|e| e.as_str()),
        Some("internet")
    );
    let account = &m.boundaries["aws-account"];
    assert_eq!(account.kind.as_str(), "cloud-account");
    let contains: Vec<&str> = account.contains.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(contains, ["private-subnet", "tracking-api", "db-driver"]);
    assert_eq!(m.boundaries["private-subnet"].trust.as_str(), "high");
    // A bidirectional flow returns what it sends; a protocol given as a tag is the protocol.
    let scan = &m.flows["courier-app->tracking-api"];
    assert_eq!(
        scan.protocol.as_ref().map(|p| p.value.as_str()),
        Some("https")
    );
    let returns: Vec<&str> = scan.returns.iter().map(|d| d.value.as_str()).collect();
    assert_eq!(returns, ["tracking-numbers"]);
    // An implemented catalogue mitigation is a control where it is in place.
    assert!(m.components["tracking-api"].has_control("mfa"));
    assert!(m.flows["tracking-api->parcel-db"].has_control("mtls"));
    assert!(!m.flows.values().any(|f| f.target.value == "nowhere"));
}

#[test]
fn foreign_threats_become_manual_threats_with_their_state() {
    let imported = import(FOREIGN.as_bytes(), Format::Otm, &opts()).expect("import");
    let loaded = support::assert_valid(&imported.yaml);
    let m = &loaded.model;
    let ids: Vec<&str> = m.threats.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "courier-impersonation-tracking-api",
            "courier-impersonation-tracking-api-parcel-db",
            "t-flood",
            "t-free"
        ]
    );
    let spoof = &m.threats["courier-impersonation-tracking-api"];
    assert_eq!(spoof.stride.as_str(), "spoofing");
    assert_eq!(spoof.likelihood.as_str(), "high");
    assert_eq!(spoof.impact.as_str(), "very-high");
    assert_eq!(spoof.cwe, [287]);
    let mitigations: Vec<&str> = spoof.mitigations.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(mitigations, ["mfa"]);
    assert_eq!(
        m.threats["t-free"].stride.as_str(),
        "tampering",
        "no category: a guess, flagged"
    );
    assert!(imported.yaml.contains("`stride` is a guess to review"));
    assert!(imported.yaml.contains("Weekly scan review"));
    let decisions: Vec<(&str, DecisionStatus)> = m
        .decisions
        .iter()
        .map(|d| (d.threat.value.as_str(), d.status))
        .collect();
    assert_eq!(
        decisions,
        [
            (
                "manual:courier-impersonation-tracking-api-parcel-db",
                DecisionStatus::Mitigated
            ),
            ("manual:t-flood", DecisionStatus::Accepted),
        ]
    );
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("`nowhere` is not a component"))
    );
}

#[test]
fn malformed_input_is_an_error_with_a_position() {
    let error = import(
        b"{\"otmVersion\": \"0.2.0\",\n \"project\": }",
        Format::Otm,
        &opts(),
    )
    .expect_err("invalid");
    assert_eq!(error.line, Some(2));
    assert!(error.message.starts_with("invalid JSON"), "{error}");
    let error = import(b"otmVersion: [0.2\nproject: {", Format::Otm, &opts()).expect_err("invalid");
    assert!(error.message.starts_with("invalid YAML"), "{error}");
    let error = import(b"[1, 2]", Format::Otm, &opts()).expect_err("not a mapping");
    assert!(error.message.contains("mapping"), "{error}");
}

#[test]
fn hostile_input_is_refused_with_a_clear_error() {
    // Deep nesting, in both syntaxes.
    let deep = format!(
        "{{\"otmVersion\": \"0.2.0\", \"project\": {}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = import(deep.as_bytes(), Format::Otm, &opts()).expect_err("deep JSON");
    assert!(error.message.contains("recursion limit"), "{error}");
    let deep = format!(
        "otmVersion: 0.2.0\nproject: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let error = import(deep.as_bytes(), Format::Otm, &opts()).expect_err("deep YAML");
    assert!(error.message.starts_with("invalid YAML"), "{error}");
    // An alias bomb.
    let mut bomb = String::from("otmVersion: 0.2.0\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    bomb.push_str("project: { name: *a11, id: x }\n");
    let error = import(bomb.as_bytes(), Format::Otm, &opts()).expect_err("alias bomb");
    assert!(error.message.starts_with("invalid YAML"), "{error}");
    // Larger than the limit.
    let small = Options {
        max_bytes: 1024,
        ..opts()
    };
    let error = import(FOREIGN.as_bytes(), Format::Otm, &small).expect_err("too large");
    assert!(error.message.contains("limit"), "{error}");
}

#[test]
fn many_elements_stay_linear() {
    // 5,000 components in one zone and a chain of flows: quadratic work would show here.
    let mut components = Vec::new();
    let mut flows = Vec::new();
    for i in 0..5_000 {
        components.push(format!(
            r#"{{"id": "c{i}", "name": "C {i}", "type": "web-service", "parent": {{"trustZone": "z"}}}}"#
        ));
        if i > 0 {
            flows.push(format!(
                r#"{{"id": "f{i}", "name": "F", "source": "c{}", "destination": "c{i}"}}"#,
                i - 1
            ));
        }
    }
    let text = format!(
        r#"{{"otmVersion": "0.2.0", "project": {{"name": "Big", "id": "big"}},
        "trustZones": [{{"id": "z", "name": "Zone", "risk": {{"trustRating": 50}}}}],
        "components": [{}], "dataflows": [{}]}}"#,
        components.join(","),
        flows.join(",")
    );
    let imported = import(text.as_bytes(), Format::Otm, &opts()).expect("import");
    support::assert_valid(&imported.yaml);
}

fn run(bytes: &[u8]) {
    let _ = detect(None, bytes);
    if let Ok(imported) = import(bytes, Format::Otm, &Options::default()) {
        support::assert_valid(&imported.yaml);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn truncated(cut in 0usize..FOREIGN.len()) {
        run(&FOREIGN.as_bytes()[..cut]);
        let yaml = as_yaml(FOREIGN);
        run(&yaml.as_bytes()[..cut.min(yaml.len())]);
    }

    #[test]
    fn byte_flipped(flips in prop::collection::vec((0usize..FOREIGN.len(), any::<u8>()), 1..8)) {
        let mut bytes = FOREIGN.as_bytes().to_vec();
        for (at, b) in &flips {
            bytes[*at] = *b;
        }
        run(&bytes);
        let mut yaml = as_yaml(FOREIGN).into_bytes();
        for (at, b) in flips {
            let at = at % yaml.len();
            yaml[at] = b;
        }
        run(&yaml);
    }

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
    }

    #[test]
    fn random_structure(text in "[a-z0-9\"{}\\[\\]:, ]{0,300}") {
        run(format!("{{\"otmVersion\": \"0.2.0\", \"project\": {{\"name\": \"x\", \"id\": \"x\"}}, \"components\": [{text}").as_bytes());
    }
}
