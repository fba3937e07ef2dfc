//! `threatforge plan` and `threatforge compliance` through the real binary: a snapshot of every
//! format on a small model, exit codes, bad input, and model text escaped where it is shown.

mod support;

use std::path::Path;

use support::{repo, threatforge};

/// A small shop: a storefront that queries a database over plain TCP, no retention, customer
/// data sent to a SaaS mailer; the team sets one effort and rules one control out.
const SHOP: &str = "system:
  name: Shop
  owners: [team-shop]
  compliance: [gdpr, asvs-5.0-l1]
  plan:
    effort: { tls: medium }
    ruled_out: { waf: \"<b>budget</b> =cmd| until 2027\" }
data:
  customer: { classification: confidential, categories: [personal] }
components:
  shopper: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [customer], controls: [input-validation], owner: team-web }
  db: { technology: postgresql, stores: [customer], controls: [backup] }
  mailer: { technology: saas, exposure: internet }
flows:
  - shopper -> web: { protocol: https, data: [customer] }
  - web -> db: { protocol: postgres, authentication: credentials, data: [customer], returns: [customer] }
  - web -> mailer: { protocol: https, authentication: api-key, data: [customer] }
";

fn shop_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), text).expect("write");
    dir
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = threatforge()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

#[test]
fn plan_snapshots_of_every_format() {
    let dir = shop_dir(SHOP);
    for format in ["human", "md", "json", "csv"] {
        let (code, out, err) = run(dir.path(), &["plan", "--format", format]);
        assert_eq!(code, Some(0), "{err}");
        insta::assert_snapshot!(format!("plan_{format}"), out);
    }
}

#[test]
fn compliance_snapshots_of_every_format() {
    let dir = shop_dir(SHOP);
    for format in ["human", "md", "json", "csv"] {
        let (code, out, err) = run(
            dir.path(),
            &["compliance", "--framework", "gdpr", "--format", format],
        );
        assert_eq!(code, Some(0), "{err}");
        insta::assert_snapshot!(format!("compliance_gdpr_{format}"), out);
    }
    let (code, html, err) = run(
        dir.path(),
        &[
            "compliance",
            "--framework",
            "asvs-5.0",
            "--level",
            "1",
            "--format",
            "html",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("OWASP ASVS 5.0.0, level L1"));
    assert!(html.contains("<span class=\"status status-gap\">gap</span>"));
    assert!(html.contains("<span class=\"status status-not-assessed\">not assessed</span>"));
    assert!(!html.contains("[L2]") && !html.contains("<td>L2</td>"));
}

#[test]
fn the_html_report_shows_the_sections_the_model_asks_for() {
    let dir = shop_dir(SHOP);
    let (code, html, err) = run(dir.path(), &["report", "--format", "html"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(html.contains("id=\"plan\""));
    assert!(html.contains("Compliance: GDPR articles 5, 25, 30, 32 and 35"));
    assert!(html.contains("Compliance: OWASP ASVS 5.0.0, level L1"));
    assert!(html.contains("Records of processing (GDPR Art. 30)"));
    // The contents link each section the model asks for.
    for (anchor, title) in [
        ("plan", "Control plan"),
        (
            "compliance-1",
            "Compliance: GDPR articles 5, 25, 30, 32 and 35",
        ),
        ("compliance-2", "Compliance: OWASP ASVS 5.0.0, level L1"),
    ] {
        assert!(
            html.contains(&format!("<li><a href=\"#{anchor}\">{title}</a></li>")),
            "{anchor}"
        );
        assert!(
            html.contains(&format!("<section id=\"{anchor}\"")),
            "{anchor}"
        );
    }
    // The ruled-out reason is the model's text: escaped, never markup.
    assert!(html.contains("&lt;b&gt;budget&lt;"));
    assert!(!html.contains("<b>budget</b>"));
    // Without the keys, no section.
    let plain = SHOP
        .replace("  compliance: [gdpr, asvs-5.0-l1]\n", "")
        .replace(
            "  plan:\n    effort: { tls: medium }\n    ruled_out: { waf: \"<b>budget</b> =cmd| until 2027\" }\n",
            "",
        );
    let dir = shop_dir(&plain);
    let (code, html, err) = run(dir.path(), &["report", "--format", "html"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!html.contains("id=\"plan\"") && !html.contains("Compliance:"));
}

#[test]
fn gates_exit_1_after_writing() {
    let dir = shop_dir(SHOP);
    let (code, out, _) = run(
        dir.path(),
        &[
            "compliance",
            "--framework",
            "gdpr",
            "--fail-on-gap",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(out.contains("\"gap\""));
    // Nothing critical is open: reached at once.
    let (code, out, _) = run(dir.path(), &["plan", "--target", "critical"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(reached)"));
    // waf is ruled out, and it alone closes the missing-WAF threat (medium): the plan is
    // written, says what it leaves, and exits 1.
    let (code, out, _) = run(dir.path(), &["plan", "--target", "medium"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("(not reached)"));
    assert!(out.contains("missing-web-application-firewall:web"));
}

#[test]
fn bad_input_is_exit_2_with_a_suggestion() {
    let dir = shop_dir(SHOP);
    let (code, _, err) = run(dir.path(), &["compliance", "--framework", "asvs-50"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("there is no framework `asvs-50`; did you mean `asvs-5.0`?"),
        "{err}"
    );
    let (code, _, err) = run(
        dir.path(),
        &[
            "compliance",
            "--framework",
            "nist-800-53-r5",
            "--level",
            "extreme",
        ],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("give one of low, moderate, high"), "{err}");
    let (code, _, err) = run(dir.path(), &["plan", "--format", "xml"]);
    assert_eq!(code, Some(2), "{err}");

    let misspelled = shop_dir(&SHOP.replace("effort: { tls: medium }", "effort: { tsl: medium }"));
    let (code, _, err) = run(misspelled.path(), &["plan"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the plan has unknown control `tsl`"), "{err}");
    assert!(err.contains("threatforge.yaml:6:"), "{err}");
    assert!(err.contains("tls"), "{err}");

    let bad_effort = shop_dir(&SHOP.replace("effort: { tls: medium }", "effort: { tls: huge }"));
    let (code, _, err) = run(bad_effort.path(), &["plan"]);
    assert_eq!(code, Some(2), "{err}");

    // A framework the model declares but threatforge does not ship: an error at its place,
    // with the nearest id, for every command (the report would show an empty section).
    let unknown = shop_dir(&SHOP.replace(
        "compliance: [gdpr, asvs-5.0-l1]",
        "compliance: [gdpr, asvs-5.0-l1, owasp-top10-2052, asvs-5.0-l7]",
    ));
    for command in [
        &["check"][..],
        &["report", "-f", "html"],
        &["compliance", "--framework", "gdpr"],
    ] {
        let (code, out, err) = run(unknown.path(), command);
        assert_eq!(code, Some(2), "{command:?}: {err}");
        assert!(!out.contains("<html"), "{command:?}");
        assert!(err.contains("error[unknown-framework]"), "{err}");
        assert!(
            err.contains("there is no framework `owasp-top10-2052`"),
            "{err}"
        );
        assert!(err.contains("threatforge.yaml:4:"), "{err}");
        assert!(err.contains("did you mean `owasp-top10-2025`?"), "{err}");
        assert!(err.contains("asvs-5.0 has no level `l7`"), "{err}");
        assert!(err.contains("give one of L1, L2, L3"), "{err}");
    }
}

#[test]
fn the_examples_plan_and_assess_without_errors() {
    let dir = repo().join("examples/online-shop");
    let (code, out, err) = run(&dir, &["plan", "--target", "high", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(plan["reached"], serde_json::Value::Bool(true));
    assert_eq!(plan["after"]["high"], 0);
    let (code, out, err) = run(
        &dir,
        &[
            "compliance",
            "--framework",
            "asvs-5.0",
            "--level",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let c: serde_json::Value = serde_json::from_str(&out).expect("json");
    let total: u64 = ["gap", "partial", "met", "not_applicable", "not_assessed"]
        .iter()
        .map(|k| c["summary"][k].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        Some(total),
        c["requirements"].as_array().map(|a| a.len() as u64)
    );
}
