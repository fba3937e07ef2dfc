//! Evidence through the binary: `threatforge evidence`, `--evidence` on check, report and diff,
//! the verification gate, and evidence that cannot be read (exit 2, located).

mod support;

use std::path::{Path, PathBuf};

use support::{repo, threatforge};

fn demo() -> PathBuf {
    repo().join("tests/evidence")
}

/// The demo model without its `evidence:` list, in a directory of its own, so that evidence
/// comes only from the command line.
fn bare_model(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(demo().join("threatforge.yaml")).expect("the demo model");
    let bare = text
        .split("\n# Read with the model")
        .next()
        .expect("the model");
    let path = dir.join("threatforge.yaml");
    std::fs::write(&path, bare).expect("written");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_evidence_command_summarizes_the_demo() {
    let output = threatforge()
        .current_dir(repo())
        .args(["evidence", "tests/evidence/threatforge.yaml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!(text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`../../etc/passwd` kept without its location"),
        "{stderr}"
    );
    let json = threatforge()
        .current_dir(repo())
        .args(["evidence", "tests/evidence/threatforge.yaml", "-f", "json"])
        .output()
        .expect("run");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["confirmed"].as_array().map(Vec::len), Some(4));
    assert_eq!(value["unmodeled"].as_array().map(Vec::len), Some(3));
}

#[test]
fn check_counts_confirmed_threats_at_their_new_severity() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = bare_model(dir.path());
    let plain = threatforge()
        .args(["check", "--fail-on", "critical"])
        .arg(&model)
        .output()
        .expect("run");
    assert!(!text(&plain.stdout).contains("critical 16/16  sql-injection:checkout"));
    let reports = demo().join("reports");
    let with = threatforge()
        .current_dir(&reports)
        .args(["check", "--fail-on", "critical"])
        .arg(&model)
        .args(["--evidence", "*.sarif", "--evidence", "junit/*.xml"])
        .output()
        .expect("run");
    assert_eq!(with.status.code(), Some(1), "{}", text(&with.stderr));
    let out = text(&with.stdout);
    assert!(
        out.contains("critical 16/16  sql-injection:checkout"),
        "{out}"
    );
    assert!(out.contains("unmodeled-weakness:checkout:cwe-327"), "{out}");
}

#[test]
fn the_verification_gate_fails_on_high_threats_no_test_verifies() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = bare_model(dir.path());
    let output = threatforge()
        .args(["check", "--require-verified", "high"])
        .arg(&model)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    let failing = |out: &str| -> usize {
        out.split("Verification gate failed: ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let unverified = failing(&out);
    assert!(unverified > 0, "{out}");
    // The demo's passing tests verify output encoding, which mitigates cross-site scripting:
    // one threat fewer rests on unverified controls.
    let verified = threatforge()
        .args(["check", "--require-verified", "high"])
        .arg(&model)
        .arg("--evidence")
        .arg(demo().join("reports/junit/pytest.xml"))
        .output()
        .expect("run");
    let out = text(&verified.stdout);
    assert_eq!(failing(&out), unverified - 1, "{out}");
    // Without the gate and without evidence, check is as it always was.
    let again = threatforge()
        .arg("check")
        .arg(&model)
        .output()
        .expect("run");
    let before = threatforge()
        .arg("check")
        .arg(&model)
        .arg("--top")
        .arg("10")
        .output()
        .expect("run");
    assert_eq!(again.stdout, before.stdout);
    assert!(!text(&again.stdout).contains("Verification"));
}

#[test]
fn reports_carry_the_evidence() {
    let json = threatforge()
        .current_dir(repo())
        .args(["report", "-f", "json", "tests/evidence/threatforge.yaml"])
        .output()
        .expect("run");
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let schema: serde_json::Value =
        serde_json::from_str(threatforge_report_schema()).expect("the report schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let sqli = report["threats"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == "sql-injection:checkout"))
        .expect("the threat");
    assert_eq!(
        sqli["evidence"]["factor"]["factor"],
        "confirmed-by-evidence"
    );
    assert_eq!(sqli["evidence"]["findings"][0]["tool"], "Semgrep OSS");
    assert_eq!(
        report["evidence"]["controls"].as_array().map(Vec::len),
        Some(8)
    );

    let html = threatforge()
        .current_dir(repo())
        .args(["report", "-f", "html", "tests/evidence/threatforge.yaml"])
        .output()
        .expect("run");
    let page = text(&html.stdout);
    assert!(
        page.contains("High threats whose controls no test verifies"),
        "{page}"
    );
    assert!(page.contains("failed: the control does not count") || page.contains(">failed<"));
    assert!(page.contains("formatted-sql-query"));
    let md = threatforge()
        .current_dir(repo())
        .args(["report", "-f", "md", "tests/evidence/threatforge.yaml"])
        .output()
        .expect("run");
    let md = text(&md.stdout);
    assert!(md.contains("## Evidence"), "{md}");
    assert!(md.contains("- confirmed by:"), "{md}");
}

fn threatforge_report_schema() -> &'static str {
    threatforge_report::REPORT_SCHEMA
}

#[test]
fn diff_applies_the_evidence_to_both_versions() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = bare_model(dir.path());
    let output = threatforge()
        .args(["diff", "-f", "json"])
        .arg(&model)
        .arg(&model)
        .arg("--evidence")
        .arg(demo().join("reports/semgrep.sarif"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let diff: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // The same evidence on the same model: no difference.
    assert_eq!(
        diff["threats"]["new"].as_array().map(Vec::len),
        Some(0),
        "{diff}"
    );
}

#[test]
fn evidence_that_cannot_be_read_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = bare_model(dir.path());
    let broken = dir.path().join("broken.sarif");
    std::fs::write(
        &broken,
        "{\n  \"runs\": [\n    { \"results\": 7 }\n  ]\n}\n",
    )
    .expect("written");
    let output = threatforge()
        .arg("check")
        .arg(&model)
        .arg("--evidence")
        .arg(&broken)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(err.contains("broken.sarif:3:"), "{err}");
    assert!(err.contains("help:"), "{err}");
    // A glob that matches nothing is not a silent pass.
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "threatforge.yaml", "--evidence", "reports/*.sarif"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no evidence file matches"));
}

#[test]
fn evidence_the_model_names_stays_inside_its_root() {
    let outer = tempfile::tempdir().expect("a directory");
    let dir = outer.path().join("model");
    std::fs::create_dir(&dir).expect("created");
    let model = bare_model(&dir);
    std::fs::write(outer.path().join("outside.sarif"), r#"{"runs":[]}"#).expect("written");
    let mut text_of = std::fs::read_to_string(&model).expect("the model");
    text_of.push_str("evidence: [../outside.sarif]\n");
    std::fs::write(&model, text_of).expect("written");
    let output = threatforge()
        .arg("check")
        .arg(&model)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(err.contains("outside"), "{err}");
}

/// A JUnit report of one test case, passing or failing.
fn junit(case: &str, fails: bool) -> String {
    let (class, name) = case.rsplit_once('.').expect("class.name");
    let body = if fails {
        "<failure message=\"restore took 9 h\"/>"
    } else {
        ""
    };
    format!(
        "<testsuite name=\"ops\"><testcase classname=\"{class}\" name=\"{name}\">{body}</testcase></testsuite>"
    )
}

/// The row of requirement `id` in each compliance format, found the way a reader would.
fn requirement_in(format: &str, out: &str, id: &str) -> String {
    match format {
        "json" => {
            let value: serde_json::Value = serde_json::from_str(out).expect("JSON");
            let found = value["requirements"]
                .as_array()
                .and_then(|all| all.iter().find(|r| r["id"] == id))
                .unwrap_or_else(|| panic!("{id} in {out}"));
            format!("{} {}", found["status"], found["reason"])
        }
        "human" => {
            let mut lines = out
                .lines()
                .skip_while(|l| !l.starts_with(&format!("  {id} ")));
            format!(
                "{} {}",
                lines.next().unwrap_or_default(),
                lines.next().unwrap_or_default()
            )
        }
        "md" => out
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .unwrap_or_default()
            .to_owned(),
        "csv" => out
            .lines()
            .find(|l| l.starts_with(&format!("nist-800-53-r5,{id},")))
            .unwrap_or_default()
            .to_owned(),
        _ => out
            .lines()
            .find(|l| l.contains(&format!("<code>{id}</code>")))
            .unwrap_or_default()
            .to_owned(),
    }
}

#[test]
fn compliance_is_verified_by_passing_tests_and_not_met_with_failing_ones() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = bare_model(dir.path());
    let written = std::fs::read_to_string(&model).expect("the model");
    let with_test = written.replace(
        "    controls: [encryption-at-rest, backup]\n",
        "    controls: [encryption-at-rest, backup]\n    verified_by: { backup: [\"ops.RestoreTest.*\"] }\n",
    );
    assert_ne!(with_test, written, "the demo's database changed");
    std::fs::write(&model, with_test).expect("written");
    let case = "ops.RestoreTest.restoresLastNight";
    std::fs::write(dir.path().join("pass.xml"), junit(case, false)).expect("written");
    std::fs::write(dir.path().join("fail.xml"), junit(case, true)).expect("written");
    let run = |format: &str, evidence: Option<&str>| {
        let mut command = threatforge();
        command.current_dir(dir.path()).args([
            "compliance",
            "--framework",
            "nist-800-53-r5",
            "--level",
            "low",
            "--fail-on-gap",
            "-f",
            format,
        ]);
        if let Some(file) = evidence {
            command.args(["--evidence", file]);
        }
        let output = command.output().expect("run");
        (output.status.code(), text(&output.stdout))
    };
    for format in ["human", "md", "json", "csv", "html"] {
        // Without evidence, backup on the only store meets CP-9: met, not verified.
        let (_, out) = run(format, None);
        let row = requirement_in(format, &out, "CP-9");
        assert!(row.contains("met"), "{format}: {row}");
        assert!(!row.contains("verified"), "{format}: {row}");
        // The restore test passed: verified, naming the test.
        let (_, out) = run(format, Some("pass.xml"));
        let row = requirement_in(format, &out, "CP-9");
        assert!(row.contains("verified"), "{format}: {row}");
        assert!(row.contains(case), "{format}: {row}");
        // It failed: the control does not count, and the requirement is a gap that says why.
        let (code, out) = run(format, Some("fail.xml"));
        assert_eq!(code, Some(1), "{format}: --fail-on-gap");
        let row = requirement_in(format, &out, "CP-9");
        assert!(row.contains("gap"), "{format}: {row}");
        assert!(
            row.contains("backup on orders-db failed test"),
            "{format}: {row}"
        );
        assert!(row.contains(case), "{format}: {row}");
    }
    let (_, summary) = run("human", Some("pass.xml"));
    assert!(summary.contains(", verified 2, "), "{summary}");
}

/// An API whose injection test fails and whose authorization test passes, with a scanner's
/// SQL injection in its code and a web finding at its endpoint.
const API: &str = "system: { name: api }
components:
  user: { technology: browser, exposure: internet }
  api:
    technology: api-service
    exposure: internet
    controls: [parameterized-queries, authorization]
    code: [src/api/**]
    endpoints: [api.example.com]
    verified_by: { parameterized-queries: [\"InjectionTest.*\"], authorization: [\"AuthzTest.*\"] }
  db: { technology: postgresql }
flows:
  - user -> api: { protocol: https, authentication: token }
  - api -> db: { protocol: postgres-tls, authentication: credentials }
";

const API_SARIF: &str = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Semgrep","rules":[
 {"id":"sqli","properties":{"tags":["CWE-89: SQL Injection"]}},
 {"id":"xss","properties":{"tags":["CWE-79"]}}]}},
 "results":[
 {"ruleId":"sqli","ruleIndex":0,"level":"error","message":{"text":"formatted <query> \"x\""},
  "locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/api/my db.py"},"region":{"startLine":3}}}]},
 {"ruleId":"xss","ruleIndex":1,"level":"warning","message":{"text":"reflected"},
  "webRequest":{"target":"https://api.example.com/search?q=%3Cb%3E"}}]}]}"#;

const API_JUNIT: &str = r#"<testsuite name="api">
<testcase classname="InjectionTest" name="rejectsQuote"><failure message="500"/></testcase>
<testcase classname="AuthzTest" name="otherUserIsRefused"/>
</testsuite>"#;

/// CSV, JUnit and SARIF carry the evidence: the findings that confirm a threat (SARIF as related
/// locations) and each control's verification, failed ones with their tests.
#[test]
fn csv_junit_and_sarif_carry_the_evidence() {
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::create_dir(dir.path().join(".git")).expect("a repository root");
    std::fs::write(dir.path().join("threatforge.yaml"), API).expect("written");
    std::fs::write(dir.path().join("scan.sarif"), API_SARIF).expect("written");
    std::fs::write(dir.path().join("junit.xml"), API_JUNIT).expect("written");
    let report = |format: &str, evidence: bool| {
        let mut command = threatforge();
        command
            .current_dir(dir.path())
            .args(["report", "-f", format]);
        if evidence {
            command.args(["--evidence", "scan.sarif", "--evidence", "junit.xml"]);
        }
        let output = command.output().expect("run");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stdout)
    };

    // CSV: four columns more, only with evidence; the rows evidence touched.
    let plain = report("csv", false);
    assert!(!plain.contains("confirmed_by"), "{plain}");
    let csv = report("csv", true);
    let mut rows = csv.lines();
    let header = rows.next().unwrap_or_default();
    assert!(
        header.ends_with(",confirmed_by,verified_controls,failed_controls,unverified_controls"),
        "{header}"
    );
    let columns = header.split(',').count();
    let touched: Vec<&str> = rows
        .filter(|r| r.starts_with("sql-injection:api,") || r.starts_with("unmodeled-weakness:"))
        .collect();
    insta::assert_snapshot!("csv_evidence_rows", touched.join("\n"));
    // Every row has the header's cells (quoted commas aside, the last four are the evidence).
    assert!(
        touched
            .iter()
            .all(|r| r.matches(',').count() >= columns - 1)
    );

    // JUnit: the evidence as each test case's properties.
    let junit = report("junit", true);
    let cases: Vec<&str> = junit
        .split("    <testcase ")
        .filter(|c| c.contains("<properties>"))
        .collect();
    assert!(!report("junit", false).contains("<properties>\n        <property name=\"c"));
    insta::assert_snapshot!("junit_evidence_cases", cases.join("    <testcase "));

    // SARIF: the confirming findings as related locations, the controls in the properties.
    let sarif: serde_json::Value = serde_json::from_str(&report("sarif", true)).expect("JSON");
    let with_evidence: Vec<serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| !r["properties"]["evidence"].is_null())
        .map(|r| {
            serde_json::json!({
                "threat": r["properties"]["threatId"],
                "relatedLocations": r["relatedLocations"],
                "evidence": r["properties"]["evidence"],
            })
        })
        .collect();
    insta::assert_json_snapshot!("sarif_evidence_results", with_evidence);
    let plain: serde_json::Value = serde_json::from_str(&report("sarif", false)).expect("JSON");
    assert!(
        plain["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["properties"]["evidence"].is_null() && r["relatedLocations"].is_null())
    );
}

/// Checkov's and Grype's SARIF (fixtures written from their documented output): a Dockerfile
/// check and a dependency in the checkout service's code join its weakness without a CWE; the
/// Terraform files no component claims and the path inside a container image are unmapped.
#[test]
fn checkov_and_grype_findings_map_through_the_binary() {
    let output = threatforge()
        .current_dir(repo())
        .args([
            "evidence",
            "tests/evidence/threatforge.yaml",
            "--evidence",
            "tests/evidence/reports/iac/*.sarif",
            "-f",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`/app/lib/log4j-core-2.14.1.jar` kept without its location"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let tool = |name: &str| {
        summary["tools"]
            .as_array()
            .and_then(|all| all.iter().find(|t| t["tool"] == name))
            .map(|t| {
                [
                    &t["findings"],
                    &t["mapped"],
                    &t["unmapped"],
                    &t["suppressed"],
                ]
                .map(|n| n.as_u64().unwrap_or(99))
            })
    };
    assert_eq!(tool("Checkov"), Some([4, 1, 2, 1]));
    assert_eq!(tool("Grype"), Some([2, 1, 1, 0]));

    let report = threatforge()
        .current_dir(repo())
        .args([
            "report",
            "tests/evidence/threatforge.yaml",
            "-f",
            "json",
            "--evidence",
            "tests/evidence/reports/iac/*.sarif",
        ])
        .output()
        .expect("run");
    let value: serde_json::Value = serde_json::from_slice(&report.stdout).expect("JSON");
    let weakness = value["threats"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|t| t["id"] == "unmodeled-weakness:checkout:no-cwe")
        })
        .expect("the checkout service's weakness without a CWE");
    let rules: Vec<&str> = weakness["evidence"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"CKV_DOCKER_3"), "{rules:?}");
    assert!(rules.contains(&"CVE-2023-32681-requests"), "{rules:?}");
    // Grype's 10.0 was the image's, unmapped; the checkout's most severe is Trivy's 7.5: high.
    assert_eq!(weakness["inherent"]["impact"], 3, "{weakness}");
}

/// With test reports, a `verified_by` pattern no test matches is a warning at the pattern with
/// the nearest test class; with a scanner report, a decision on an unmodeled weakness the scan no
/// longer finds is orphaned like any other. Without the reports, neither is said.
#[test]
fn stale_test_patterns_and_decisions_on_weaknesses_no_scan_finds_are_warned_of() {
    let dir = tempfile::tempdir().expect("a directory");
    let model = API
        .replace("[\"AuthzTest.*\"]", "[\"AuthsTest.*\"]")
        .replace("[\"InjectionTest.*\"]", "[\"InjectionTest.*\", \"legacy.*\"]")
        + "decisions:
  - { threat: \"unmodeled-weakness:api:cwe-79\", status: false-positive, justification: encoded }
  - { threat: \"unmodeled-weakness:api:cwe-22\", status: false-positive, justification: fixed in 2.3 }
";
    std::fs::write(dir.path().join("threatforge.yaml"), model).expect("written");
    std::fs::write(dir.path().join("scan.sarif"), API_SARIF).expect("written");
    std::fs::write(dir.path().join("junit.xml"), API_JUNIT).expect("written");
    // Each diagnostic of a code as `file:line message help`.
    let check = |evidence: &[&str], code: &str| -> Vec<String> {
        let mut command = threatforge();
        command
            .current_dir(dir.path())
            .args(["check", "-f", "json"]);
        for file in evidence {
            command.args(["--evidence", file]);
        }
        let output = command.output().expect("run");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        value["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["code"] == code)
            .map(|d| {
                format!(
                    "{}:{} {} {}",
                    d["location"]["file"].as_str().unwrap_or(""),
                    d["location"]["line"],
                    d["message"].as_str().unwrap_or(""),
                    d["help"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    for code in ["unmatched-test-pattern", "orphaned-decision"] {
        assert_eq!(check(&[], code), Vec::<String>::new(), "{code}");
    }

    let unmatched = check(&["junit.xml"], "unmatched-test-pattern");
    assert_eq!(unmatched.len(), 2, "{unmatched:?}");
    assert!(
        unmatched
            .iter()
            .any(|d| d.contains("`AuthsTest.*`") && d.contains("did you mean `AuthzTest.*`?")),
        "{unmatched:?}"
    );
    assert!(
        unmatched
            .iter()
            .any(|d| d.starts_with("threatforge.yaml:10 ") && d.contains("`legacy.*`")),
        "{unmatched:?}"
    );
    // A JUnit report alone says nothing of what scanners find.
    assert_eq!(
        check(&["junit.xml"], "orphaned-decision"),
        Vec::<String>::new()
    );

    let orphaned = check(&["junit.xml", "scan.sarif"], "orphaned-decision");
    // The XSS the scan found takes its decision; the path traversal it no longer finds does not.
    assert_eq!(orphaned.len(), 1, "{orphaned:?}");
    assert!(
        orphaned[0].contains("unmodeled-weakness:api:cwe-22"),
        "{orphaned:?}"
    );
    assert!(
        orphaned[0].starts_with("threatforge.yaml:17 "),
        "{orphaned:?}"
    );
}
