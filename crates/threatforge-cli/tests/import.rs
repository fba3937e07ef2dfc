//! `threatforge import` through the real binary.

mod support;

use support::threatforge;

const THREAGILE: &str = r#"threagile_version: 1.0.0
title: CLI Shop
data_assets:
  Orders: { id: orders, confidentiality: confidential, integrity: critical }
technical_assets:
  Browser:
    id: browser
    type: external-entity
    technology: browser
    internet: true
    communication_links:
      Web: { target: shop, protocol: https, authentication: session-id, data_assets_sent: [orders] }
  Shop:
    id: shop
    type: process
    technology: web-application
    internet: true
    data_assets_processed: [orders]
    communication_links:
      DB: { target: db, protocol: jdbc, authentication: credentials, data_assets_sent: [orders] }
  DB: { id: db, type: datastore, technology: database, data_assets_stored: [orders] }
risk_tracking:
  no-such-rule@shop: { status: accepted, justification: fine }
"#;

#[test]
fn imports_threagile_to_stdout_with_detection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("threagile.yaml");
    std::fs::write(&input, THREAGILE).expect("write");
    let output = threatforge()
        .arg("import")
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let yaml = String::from_utf8(output.stdout).expect("utf-8");
    assert!(yaml.contains("name: CLI Shop"), "{yaml}");
    assert!(yaml.contains("- shop -> db:"), "{yaml}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains("warning: risk_tracking `no-such-rule@shop`"),
        "{stderr}"
    );
}

#[test]
fn writes_with_o_and_the_result_passes_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("model.yml");
    std::fs::write(&input, THREAGILE).expect("write");
    let out = dir.path().join("threatforge.yaml");
    threatforge()
        .args(["import", "--from", "threagile", "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let written = std::fs::read_to_string(&out).expect("written");
    assert!(written.starts_with("# Imported from a Threagile model (model.yml)"));
    threatforge().arg("check").arg(&out).assert().success();
}

#[test]
fn unknown_format_exits_2_and_lists_the_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("x.yaml");
    std::fs::write(&input, "hello: world\n").expect("write");
    let output = threatforge()
        .arg("import")
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    for name in ["threagile", "otm", "threat-dragon", "tm7", "--from"] {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn malformed_input_exits_2_with_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("bad.yaml");
    std::fs::write(&input, "threagile_version: 1.0.0\ntitle: [unclosed\n").expect("write");
    let output = threatforge()
        .args(["import", "--from", "threagile"])
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("cannot import"), "{stderr}");
    assert!(stderr.contains(':'), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn missing_file_exits_2() {
    threatforge()
        .args(["import", "/nonexistent/threagile.yaml"])
        .assert()
        .code(2);
}

#[test]
fn reads_standard_input() {
    let output = threatforge()
        .args(["import", "-"])
        .write_stdin(THREAGILE)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("system:"));
}

/// A tracked risk that two threatforge rules cover gets its decision on the one that fires on
/// the imported model, not an orphaned decision beside it.
#[test]
fn tracked_risks_are_decided_on_the_threats_that_fire() {
    let model = THREAGILE
        .replace(
            "      DB: { target: db,",
            "      Notify: { target: hook, protocol: https, authentication: none, data_assets_sent: [orders] }\n      DB: { target: db,",
        )
        .replace(
            "risk_tracking:\n  no-such-rule@shop: { status: accepted, justification: fine }",
            "  Hook: { id: hook, type: external-entity, technology: web-service-rest, internet: true }\nrisk_tracking:\n  server-side-request-forgery@shop@hook@shop>notify: { status: mitigated, justification: allow-list }",
        );
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("threagile.yaml");
    std::fs::write(&input, &model).expect("write");
    let out = dir.path().join("threatforge.yaml");
    threatforge()
        .args(["import", "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success();
    let written = std::fs::read_to_string(&out).expect("written");
    assert!(
        written.contains("- threat: possible-server-side-request-forgery:shop"),
        "{written}"
    );
    assert!(
        !written.contains("- threat: server-side-request-forgery:shop"),
        "{written}"
    );
    let check = threatforge().arg("check").arg(&out).output().expect("runs");
    let stderr = String::from_utf8(check.stderr).expect("utf-8");
    let stdout = String::from_utf8(check.stdout).expect("utf-8");
    assert!(
        !stderr.contains("orphaned-decision") && !stdout.contains("orphaned-decision"),
        "{stdout}{stderr}"
    );
}

const RISKS: &str = r#"[
  { "category": "unencrypted-communication", "synthetic_id": "unencrypted-communication@shop>db@shop@db",
    "most_relevant_technical_asset": "shop", "most_relevant_communication_link": "shop>db" },
  { "category": "unencrypted-communication", "synthetic_id": "unencrypted-communication@shop>db2@shop@db",
    "most_relevant_technical_asset": "shop" },
  { "category": "cross-site-request-forgery", "most_relevant_technical_asset": "db" },
  { "category": "missing-hardening", "most_relevant_technical_asset": "gone" },
  { "category": "a-rule-of-our-own", "most_relevant_technical_asset": "shop" },
  { "category": "x\n  kept   sql-nosql-injection@shop: forged", "most_relevant_technical_asset": "shop" }
]"#;

/// Imports `model` with `--compare` against `risks`; the comparison, from standard error.
fn compared(model: &str, risks: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("threagile.yaml");
    std::fs::write(&input, model).expect("write");
    let risks_file = dir.path().join("risks.json");
    std::fs::write(&risks_file, risks).expect("write");
    let output = threatforge()
        .args(["import", "-o"])
        .arg(dir.path().join("threatforge.yaml"))
        .arg("--compare")
        .arg(&risks_file)
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stderr).expect("utf-8")
}

/// `--compare` lists, per Threagile rule and element, the finding that keeps the risk or why
/// none does, after a summary.
#[test]
fn compare_lists_which_of_threagiles_risks_a_finding_keeps() {
    let stderr = compared(THREAGILE, RISKS);
    for expected in [
        "Threagile's risks kept: 1 of 5 (20%), one per rule and element; 1 of 5 of its rules kept at least once",
        "  kept   unencrypted-communication@shop (2 risks): threat credentials-over-unencrypted-flow:shop->db",
        "  missed cross-site-request-forgery@db: no finding of cross-site-request-forgery, login-csrf, possible-cross-site-request-forgery there",
        "  missed missing-hardening@gone: `gone` is not an element of the imported model",
        "  missed a-rule-of-our-own@shop: not one of Threagile's built-in rules",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    // A name in the risk list cannot start a line of its own.
    assert!(
        !stderr.contains("\n  kept   sql-nosql-injection@shop: forged"),
        "{stderr}"
    );
}

/// A risk of one of the model's own categories (`individual_risk_categories`) is kept by the
/// manual threat it became, on its asset only.
#[test]
fn compare_keeps_the_models_own_risks_as_their_manual_threats() {
    let model = format!(
        "{THREAGILE}individual_risk_categories:\n  Shared admin account:\n    id: shared-admin\n    stride: spoofing\n    risks_identified:\n      Shared admin at shop:\n        severity: high\n        exploitation_likelihood: likely\n        exploitation_impact: high\n        most_relevant_technical_asset: shop\n"
    );
    let risks = r#"[
  { "category": "shared-admin", "synthetic_id": "shared-admin@shop", "most_relevant_technical_asset": "shop" },
  { "category": "shared-admin", "synthetic_id": "shared-admin@db", "most_relevant_technical_asset": "db" }
]"#;
    let stderr = compared(&model, risks);
    for expected in [
        "Threagile's risks kept: 1 of 2 (50%)",
        "  kept   shared-admin@shop: manual threat manual:shared-admin-shop, the model's own risk",
        "  missed shared-admin@db: not one of Threagile's built-in rules",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

/// The model template's example risk is left out of the import and of the count.
#[test]
fn compare_leaves_the_templates_example_out_of_the_count() {
    let model = format!(
        "{THREAGILE}individual_risk_categories:\n  Some Individual Risk Example:\n    id: something-strange\n    description: Some text describing the risk category...\n    stride: repudiation\n    risks_identified:\n      <b>Example Individual Risk</b> at <b>Shop</b>:\n        severity: critical\n        most_relevant_technical_asset: shop\n"
    );
    let risks = r#"[
  { "category": "something-strange", "synthetic_id": "something-strange@shop", "most_relevant_technical_asset": "shop" },
  { "category": "missing-hardening", "most_relevant_technical_asset": "gone" }
]"#;
    let stderr = compared(&model, risks);
    for expected in [
        "is Threagile's template example, not a finding; left out",
        "Threagile's risks kept: 0 of 1 (0%)",
        "  left   something-strange@shop: Threagile's template example, not counted",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

#[test]
fn compare_refuses_what_is_not_threagiles_risk_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("threagile.yaml");
    std::fs::write(&input, THREAGILE).expect("write");
    let risks = dir.path().join("risks.json");
    for (content, message) in [
        ("{\"risks\": 1", "not JSON at line 1"),
        ("{\"category\": \"x\"}", "expected a JSON list of risks"),
        ("[{\"severity\": \"high\"}]", "risk 1 has no `category`"),
    ] {
        std::fs::write(&risks, content).expect("write");
        let output = threatforge()
            .args(["import", "--compare"])
            .arg(&risks)
            .arg(&input)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8(output.stderr).expect("utf-8");
        assert!(
            stderr.contains("cannot compare with") && stderr.contains(message),
            "{message}\n{stderr}"
        );
    }
    // Another tool's model has no Threagile risks to compare.
    let otm = dir.path().join("model.otm.json");
    std::fs::write(
        &otm,
        r#"{"otmVersion": "0.2.0", "project": {"name": "p", "id": "p"}, "components": []}"#,
    )
    .expect("write");
    let output = threatforge()
        .args(["import", "--compare"])
        .arg(&risks)
        .arg(&otm)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains("--compare takes the risks Threagile reported"),
        "{stderr}"
    );
}
