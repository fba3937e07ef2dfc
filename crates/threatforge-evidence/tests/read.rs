//! Reading evidence: the demo's fixtures (written from each tool's documented output) into
//! findings and test results, and hostile input into errors or warnings, never a panic.

use std::path::{Path, PathBuf};

use threatforge_evidence::{Error, Evidence, Level, Limits, Outcome};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/evidence/reports")
}

/// The repository root that absolute paths in the fixtures are relative to.
const ROOT: &str = "/home/runner/work/shop/shop";

fn read(name: &str) -> Evidence {
    let mut evidence = Evidence::default();
    evidence
        .read_file(
            &fixtures().join(name),
            name,
            Some(Path::new(ROOT)),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    evidence
}

fn bytes(text: &[u8]) -> Result<Evidence, Error> {
    bytes_with(text, &Limits::default())
}

fn bytes_with(text: &[u8], limits: &Limits) -> Result<Evidence, Error> {
    let mut evidence = Evidence::default();
    evidence
        .read_bytes("hostile", text, Some(Path::new("/repo")), limits)
        .map(|()| evidence)
}

#[test]
fn each_fixture_reads_as_its_snapshot() {
    for name in [
        "semgrep.sarif",
        "codeql.sarif",
        "trivy.sarif",
        "gitleaks.sarif",
        "zap.sarif",
        "zap-report.json",
        "iac/checkov.sarif",
        "iac/grype.sarif",
        "junit/surefire.xml",
        "junit/surefire-checkout.xml",
        "junit/pytest.xml",
        "junit/jest.xml",
    ] {
        let evidence = read(name);
        insta::assert_json_snapshot!(name.replace(['/', '.'], "-"), evidence);
    }
}

#[test]
fn semgrep_cwes_come_from_tags_and_suppressed_results_are_marked() {
    let e = read("semgrep.sarif");
    let cwe: Vec<&[u32]> = e.findings.iter().map(|f| f.cwe.as_slice()).collect();
    assert_eq!(cwe, [&[89][..], &[79], &[79], &[327], &[89]]);
    assert_eq!(
        e.findings[0].file.as_deref(),
        Some("services/checkout/orders/db.py")
    );
    assert_eq!(e.findings[0].line, Some(42));
    // The rule's default level when the result has none.
    assert_eq!(e.findings[0].level, Level::Warning);
    assert_eq!(e.findings[1].level, Level::Error);
    let suppressed: Vec<bool> = e.findings.iter().map(|f| f.suppressed).collect();
    assert_eq!(suppressed, [false, false, true, false, false]);
}

#[test]
fn codeql_cwes_come_from_padded_tags_and_taxonomy_relationships() {
    let e = read("codeql.sarif");
    // The result whose baseline state is `absent` is gone, not a finding.
    assert_eq!(e.findings.len(), 2);
    assert_eq!(e.findings[0].cwe, [89, 90, 943]);
    assert_eq!(e.findings[0].security_severity, Some(8.8));
    // `%SRCROOT%` resolves to the CI checkout, which is the repository's root.
    assert_eq!(
        e.findings[0].file.as_deref(),
        Some("services/storefront/routes/search.js")
    );
    // By relationship to the CWE taxonomy, not its taxon's parent (CWE-74).
    assert_eq!(e.findings[1].cwe, [79]);
    assert_eq!(
        e.findings[1].file.as_deref(),
        Some("services/storefront/routes/profile.js")
    );
}

#[test]
fn windows_encoded_escaping_and_missing_locations_are_handled() {
    let g = read("gitleaks.sarif");
    assert_eq!(
        g.findings[0].file.as_deref(),
        Some("services/storefront/config/settings.py")
    );
    assert_eq!(
        g.findings[1].file.as_deref(),
        Some("services/checkout/my keys/stripe.env")
    );
    assert_eq!(g.findings[2].file, None, "`../../etc/passwd` is not kept");
    assert_eq!(g.warnings.len(), 1);
    assert!(
        g.warnings[0].message.contains("climbs out"),
        "{:?}",
        g.warnings
    );
    let t = read("trivy.sarif");
    assert_eq!(t.findings[1].file, None);
    assert_eq!(t.findings[1].url, None);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn checkov_results_are_iac_findings_without_cwe_and_its_skips_are_suppressed() {
    let e = read("iac/checkov.sarif");
    let rules: Vec<&str> = e.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["CKV_AWS_19", "CKV_AWS_16", "CKV_DOCKER_3", "CKV_AWS_144"]
    );
    assert!(e.findings.iter().all(|f| f.tool == "Checkov"));
    // Checkov names no CWE: its findings become weaknesses without one.
    assert!(e.findings.iter().all(|f| f.cwe.is_empty()));
    assert!(e.findings.iter().all(|f| f.level == Level::Error));
    assert_eq!(
        e.findings[2].file.as_deref(),
        Some("services/checkout/Dockerfile")
    );
    assert_eq!(e.findings[1].line, Some(12));
    // A check skipped in the source (`#checkov:skip=...`) is a suppression without a status.
    let suppressed: Vec<bool> = e.findings.iter().map(|f| f.suppressed).collect();
    assert_eq!(suppressed, [false, false, false, true]);
    assert!(
        e.findings[0]
            .link
            .as_deref()
            .is_some_and(|l| l.starts_with("https://docs.prismacloud.io/"))
    );
    assert_eq!(e.findings[3].link, None);
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn grype_severity_comes_from_the_rule_and_image_paths_are_not_the_repositorys() {
    let e = read("iac/grype.sarif");
    assert_eq!(e.findings.len(), 2);
    assert_eq!(e.findings[0].security_severity, Some(6.1));
    assert_eq!(e.findings[1].security_severity, Some(10.0));
    // Grype writes no level: SARIF's default.
    assert!(e.findings.iter().all(|f| f.level == Level::Warning));
    assert!(e.findings.iter().all(|f| f.cwe.is_empty()));
    assert_eq!(
        e.findings[0].file.as_deref(),
        Some("services/checkout/requirements.txt")
    );
    // A path inside a scanned image is not a file of the repository: kept without it, said so.
    assert_eq!(e.findings[1].file, None);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(
        e.warnings[0]
            .message
            .contains("/app/lib/log4j-core-2.14.1.jar"),
        "{:?}",
        e.warnings
    );
}

#[test]
fn web_findings_keep_their_url() {
    let z = read("zap.sarif");
    assert_eq!(z.findings[0].cwe, [89]);
    assert!(
        z.findings[0]
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://shop.example.com/api/checkout/pay"))
    );
    let j = read("zap-report.json");
    let urls: Vec<&str> = j.findings.iter().filter_map(|f| f.url.as_deref()).collect();
    assert_eq!(
        urls,
        [
            "https://shop.example.com/account",
            "https://legacy.example.com/"
        ]
    );
    assert_eq!(j.findings[0].cwe, [1021]);
    assert_eq!(j.findings[0].level, Level::Warning);
}

#[test]
fn junit_shapes_give_test_ids_and_outcomes() {
    let outcomes = |name| -> Vec<(String, Outcome)> {
        read(name)
            .tests
            .into_iter()
            .map(|t| (t.id, t.outcome))
            .collect()
    };
    assert_eq!(
        outcomes("junit/surefire-checkout.xml"),
        [
            (
                "com.acme.checkout.AuthorizationTest.ownerCanReadOrder".to_owned(),
                Outcome::Passed
            ),
            (
                "com.acme.checkout.AuthorizationTest.otherUserCannotReadOrder".to_owned(),
                Outcome::Failed
            ),
        ]
    );
    assert_eq!(
        outcomes("junit/jest.xml"),
        [
            (
                "Session rotates the id on login".to_owned(),
                Outcome::Passed
            ),
            (
                "Session expires after 30 minutes idle".to_owned(),
                Outcome::Skipped
            ),
        ]
    );
    let pytest = read("junit/pytest.xml");
    assert_eq!(
        pytest.tests[1].id,
        "tests.test_storefront.TestEscaping.test_escapes_profile_name[<script>]"
    );
    let failed = read("junit/surefire-checkout.xml");
    assert_eq!(
        failed.tests[1].message.as_deref(),
        Some("expected: <403> but was: <200>")
    );
}

#[test]
fn an_error_in_a_test_case_wins_over_a_skip_and_go_junit_shapes_read() {
    let e = bytes(
        br#"<testsuites><testsuite name="pkg"><testcase classname="pkg" name="TestA"><skipped/><error message="panic: boom"/></testcase><testcase classname="example.com/shop/auth" name="TestLockout" time="0.01"></testcase></testsuite></testsuites>"#,
    )
    .expect("valid JUnit");
    assert_eq!(e.tests[0].id, "pkg.TestA");
    assert_eq!(e.tests[0].outcome, Outcome::Error);
    assert_eq!(e.tests[0].message.as_deref(), Some("panic: boom"));
    assert_eq!(e.tests[1].id, "example.com/shop/auth.TestLockout");
}

#[test]
fn malformed_files_are_errors_at_a_line_and_column() {
    let e = bytes(b"{\n  \"runs\": [\n    { \"results\": 3 }\n  ]\n}").expect_err("not SARIF");
    assert_eq!(e.at.map(|(l, _)| l), Some(3), "{e}");
    assert!(e.to_string().starts_with("hostile:3:"), "{e}");
    let e = bytes(b"{\"a\": 1}").expect_err("neither");
    assert!(e.message.contains("neither"), "{e}");
    let e = bytes(b"plain text").expect_err("unknown");
    assert!(e.help.contains("SARIF"), "{e}");
    let e = bytes(b"<html><body/></html>").expect_err("not JUnit");
    assert!(e.message.contains("<html>"), "{e}");
    let e = bytes(b"<testsuite>\n<testcase name=\"a\">\n</testsuite>").expect_err("unbalanced");
    assert_eq!(e.at.map(|(l, _)| l), Some(3), "{e}");
    let e = bytes(b"").expect_err("empty");
    assert!(e.message.contains("not a SARIF log"), "{e}");
}

#[test]
fn hostile_inputs_are_refused_or_bounded() {
    // Nesting past serde_json's recursion limit, in a property bag (read as any JSON value),
    // and where a structure is expected.
    let deep = format!(
        r#"{{"runs": [{{"results": [{{"properties": {}{}}}]}}]}}"#,
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let e = bytes(deep.as_bytes()).expect_err("too deep");
    assert!(e.message.contains("recursion limit"), "{e}");
    let deep = format!(
        "{{\"runs\": [{}{}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(bytes(deep.as_bytes()).is_err());
    // Deep XML.
    let deep = format!("<testsuites>{}", "<testsuite>".repeat(10_000));
    let e = bytes(deep.as_bytes()).expect_err("too deep");
    assert!(e.message.contains("nest deeper"), "{e}");
    // Entities of the file's own are never defined.
    let e = bytes(b"<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY a \"aaaa\">]><testsuite><testcase name=\"&a;\"/></testsuite>").expect_err("doctype");
    assert!(e.message.contains("DOCTYPE"), "{e}");
    // Invalid UTF-8, in JSON and in XML.
    assert!(bytes(b"{\"runs\": [{\"tool\": {\"driver\": {\"name\": \"\xff\xfe\"}}}]}").is_err());
    assert!(bytes(b"<testsuite><testcase name=\"\xff\"/></testsuite>").is_err());
    // A huge string is cut.
    let long = "x".repeat(1_000_000);
    let sarif = format!(
        r#"{{"runs":[{{"tool":{{"driver":{{"name":"t"}}}},"results":[{{"ruleId":"r","message":{{"text":"{long}"}}}}]}}]}}"#
    );
    let e = bytes(sarif.as_bytes()).expect("valid SARIF");
    assert_eq!(
        e.findings[0].message.chars().count(),
        Limits::default().max_text_chars + 1
    );
    // More findings than the limit: the rest skipped, with one warning.
    let results = vec![r#"{"ruleId":"r","message":{"text":"m"}}"#; 50].join(",");
    let sarif =
        format!(r#"{{"runs":[{{"tool":{{"driver":{{"name":"t"}}}},"results":[{results}]}}]}}"#);
    let limits = Limits {
        max_items: 10,
        ..Limits::default()
    };
    let e = bytes_with(sarif.as_bytes(), &limits).expect("valid SARIF");
    assert_eq!(e.findings.len(), 10);
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    // Paths that try to leave the repository keep no location, with a warning each.
    for uri in [
        "../../etc/passwd",
        "/etc/passwd",
        "file:///etc/shadow",
        "C:\\\\Windows\\\\win.ini",
        "a/%2e%2e/%2e%2e/x",
    ] {
        let sarif = format!(
            r#"{{"runs":[{{"tool":{{"driver":{{"name":"t"}}}},"results":[{{"ruleId":"r","message":{{"text":"m"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"{uri}"}}}}}}]}}]}}]}}"#
        );
        let e = bytes(sarif.as_bytes()).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(e.findings[0].file, None, "{uri}");
        assert_eq!(e.warnings.len(), 1, "{uri}");
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("big.sarif");
    std::fs::write(&path, vec![b' '; 4096]).expect("written");
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let e = Evidence::default()
        .read_file(&path, "big.sarif", None, &limits)
        .expect_err("too large");
    assert!(e.message.contains("larger than the limit"), "{e}");
    let e = Evidence::default()
        .read_file(dir.path(), "dir", None, &limits)
        .expect_err("a directory");
    assert!(e.message.contains("not a regular file"), "{e}");
}
