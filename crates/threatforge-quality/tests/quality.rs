//! The quality models hold their baseline, and the `quality` command behaves on bad input.

use std::io::Write as _;
use std::path::Path;

use assert_cmd::Command;
use threatforge_quality::baseline::{self, Baseline};

/// The ratchet: no expectation that passed fails, no metric gets worse, and neither the models
/// nor their expectations changed since the baseline was written.
#[test]
fn the_quality_models_hold_the_baseline() {
    let root = threatforge_quality::default_root();
    let suite = threatforge_quality::run(&root).unwrap_or_else(|errors| {
        panic!(
            "the quality models must load and check cleanly:\n{}",
            errors.join("\n")
        )
    });
    let names: Vec<&str> = suite.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cicd-pipeline",
            "crypto-exchange",
            "data-platform",
            "delivery-marketplace",
            "esign-platform",
            "game-platform",
            "hospital",
            "iot-fleet",
            "k8s-platform",
            "mobile-banking",
            "online-shop",
            "payroll-platform",
            "rag-assistant",
            "saas-api",
            "school-platform",
            "serverless-marketplace",
            "water-plant",
            "workforce-it"
        ]
    );
    let base = Baseline::read(&threatforge_quality::baseline_path(&root))
        .unwrap_or_else(|e| panic!("{e}"));
    let comparison = baseline::compare(&base, &suite);
    if !comparison.improvements.is_empty() {
        // Straight to the terminal, past the test harness's capture: an improvement passes, and
        // should be seen so that the baseline is rewritten on purpose.
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "quality improved (write it with `cargo run -p threatforge-quality --bin quality -- --write-baseline`):"
        );
        for line in &comparison.improvements {
            let _ = writeln!(err, "  {line}");
        }
    }
    assert!(
        comparison.regressions.is_empty(),
        "worse than tests/quality/baseline.json:\n  {}\n`cargo run -p threatforge-quality --bin quality` shows the details",
        comparison.regressions.join("\n  ")
    );
}

fn quality() -> Command {
    Command::cargo_bin("quality").expect("the quality binary is built")
}

#[test]
fn the_json_report_has_every_model_and_no_regression() {
    let output = quality().args(["--format", "json"]).output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["suite"]["models"].as_array().map(Vec::len), Some(18));
    assert_eq!(report["baseline"]["regressions"], serde_json::json!([]));
    let totals = &report["suite"]["totals"]["metrics"];
    assert!(
        totals["must_find"].as_u64().is_some_and(|n| n > 0),
        "{totals}"
    );
}

const MODEL: &str = "system: { name: demo }
data:
  orders: { classification: confidential, categories: [personal], quantity: many }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - shopper -> shop: { protocol: https, authentication: session, data: [orders] }
  - shop -> db: { protocol: postgres, authentication: credentials, data: [orders], returns: [orders] }
";

const EXPECTED: &str = "must_find:
  - id: plain-db
    rules: [cleartext-sensitive-data-in-transit, credentials-over-unencrypted-flow]
    element: shop->db
    min_severity: low
    why: the database hop has no TLS
  - id: injection
    rule: sql-injection
    element: shop
    min_severity: info
    why: the shop builds queries
  - id: a
    concern: something no rule covers
    cwe: [1]
    element: shop
    min_severity: low
    why: x
  - id: b
    concern: something else
    cwe: [2]
    element: db
    min_severity: low
    why: x
  - id: c
    concern: a third thing
    capec: [3]
    element: db
    min_severity: low
    why: x
must_not_find:
  - rule: xml-external-entity
    element: shop
    why: the shop parses no XML
top: [plain-db, injection, a, b, c]
severity:
  \"cleartext-sensitive-data-in-transit:shop->db\": medium
";

fn demo_root(model: &str, expected: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("tests/quality/demo");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("threatforge.yaml"), model).expect("model");
    std::fs::write(dir.join("expected.yaml"), expected).expect("expectations");
    root
}

fn run_in(root: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = quality()
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_small_model_is_measured_and_its_baseline_written() {
    let root = demo_root(MODEL, EXPECTED);
    let (code, out, err) = run_in(root.path(), &["--write-baseline"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("== demo (tests/quality/demo/threatforge.yaml)"),
        "{out}"
    );
    assert!(out.contains("found       plain-db"), "{out}");
    assert!(out.contains("no rule     a"), "{out}");
    assert!(out.contains("must not find   0/1 violated"), "{out}");
    assert!(root.path().join("tests/quality/baseline.json").is_file());
    // The same run again: no change.
    let (code, out, err) = run_in(root.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Baseline: no change."), "{out}");
}

#[test]
fn a_run_worse_than_the_baseline_exits_1() {
    let root = demo_root(MODEL, EXPECTED);
    let (code, _, err) = run_in(root.path(), &["--write-baseline"]);
    assert_eq!(code, Some(0), "{err}");
    // Pretend the concern `a` had been found when the baseline was written.
    let path = root.path().join("tests/quality/baseline.json");
    let mut base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    base["models"]["demo"]["must_find"]["a"] = serde_json::json!("found-at-severity");
    std::fs::write(&path, base.to_string()).expect("write");
    let (code, out, _) = run_in(root.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Worse than the baseline:"), "{out}");
    assert!(
        out.contains("demo: must_find `a` was found, is now no rule"),
        "{out}"
    );
}

#[test]
fn an_edited_expectation_needs_a_new_baseline() {
    let root = demo_root(MODEL, EXPECTED);
    let (code, _, err) = run_in(root.path(), &["--write-baseline"]);
    assert_eq!(code, Some(0), "{err}");
    let path = root.path().join("tests/quality/demo/expected.yaml");
    std::fs::write(
        &path,
        EXPECTED.replace("min_severity: info", "min_severity: low"),
    )
    .expect("edit");
    let (code, out, _) = run_in(root.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("demo: expected.yaml changed since the baseline was written"),
        "{out}"
    );
}

#[test]
fn mistakes_in_expectations_are_located_and_exit_2() {
    let broken = EXPECTED
        .replace("rule: sql-injection", "rule: sql-injectoin")
        .replace("element: shop->db", "element: shop->dbb")
        .replace("top: [plain-db,", "top: [plain-bd,")
        .replace(
            "    why: the shop builds queries\n",
            "    why: the shop builds queries\n    severty: high\n",
        );
    let root = demo_root(MODEL, &broken);
    let (code, out, err) = run_in(root.path(), &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.is_empty(), "{out}");
    // The unknown key is found first: it stops the file from being read at all.
    assert!(err.contains("unknown key `severty`"), "{err}");
    assert!(err.contains("tests/quality/demo/expected.yaml:"), "{err}");

    let root = demo_root(MODEL, &broken.replace("    severty: high\n", ""));
    let (code, _, err) = run_in(root.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("there is no rule `sql-injectoin`"), "{err}");
    assert!(err.contains("did you mean `sql-injection`?"), "{err}");
    assert!(
        err.contains("the model has no element `shop->dbb`"),
        "{err}"
    );
    assert!(err.contains("did you mean `shop->db`?"), "{err}");
    assert!(err.contains("`plain-bd` is not a must_find id"), "{err}");
    assert!(err.contains("expected.yaml:4:14"), "{err}");
}

#[test]
fn a_model_with_an_error_or_a_warning_is_refused() {
    let root = demo_root(
        &MODEL.replace("technology: postgresql", "technology: postgress"),
        EXPECTED,
    );
    let (code, _, err) = run_in(root.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown-technology"), "{err}");
    let root = demo_root(
        &MODEL.replace("data:\n", "data:\n  spare: { classification: internal }\n"),
        EXPECTED,
    );
    let (code, _, err) = run_in(root.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unused-data"), "{err}");
}

#[test]
fn a_concern_is_met_by_a_rule_that_names_all_its_ids() {
    // sql-injection names CWE-89 and CAPEC-66: a concern with those ids on the shop is found by
    // it; one that also names an id the rule does not carry stays a gap, as does one on an
    // element the threat is not related to.
    let expected = "must_find:
  - id: injection
    rule: sql-injection
    element: shop
    min_severity: info
    why: x
  - id: plain-db
    rule: cleartext-sensitive-data-in-transit
    element: shop->db
    min_severity: info
    why: x
  - id: by-ids
    concern: queries built from input
    cwe: [89]
    capec: [66]
    element: shop
    min_severity: low
    why: x
  - id: one-id-more
    concern: queries built from input, and something else
    cwe: [89, 1]
    element: shop
    min_severity: low
    why: x
  - id: elsewhere
    concern: queries built from input, on the browser
    cwe: [89]
    element: shopper
    min_severity: low
    why: x
must_not_find: []
top: [injection, plain-db, by-ids, one-id-more, elsewhere]
";
    let root = demo_root(MODEL, expected);
    let (code, out, err) = run_in(root.path(), &["--write-baseline"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("found       by-ids"), "{out}");
    assert!(out.contains("no rule     one-id-more"), "{out}");
    assert!(out.contains("no rule     elsewhere"), "{out}");
}
