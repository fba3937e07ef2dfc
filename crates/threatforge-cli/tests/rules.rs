//! Threat enumeration through the real binary: `check`, `report --format json`, and `rules`.

mod support;

use std::path::Path;

use support::{repo, threatforge};

const MODEL: &str = "system: { name: Shop }
data:
  orders: { classification: confidential, categories: [personal] }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application, processes: [orders], traits: [builds-queries] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - shopper -> shop: { protocol: http, data: [orders] }
  - shop -> db: { protocol: postgres, authentication: credentials, data: [orders], returns: [orders] }
";

fn json(args: &[&str], dir: &Path) -> (Option<i32>, serde_json::Value) {
    let output = threatforge()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run");
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), value)
}

fn threat_ids(report: &serde_json::Value) -> Vec<String> {
    report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn report_json_lists_explained_threats_with_stable_ids_and_locations() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), MODEL).expect("write");
    let (code, report) = json(&["report", "--format", "json"], dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(report["schema_version"], 3);
    let ids = threat_ids(&report);
    assert!(ids.contains(&"sql-injection:shop".to_owned()), "{ids:?}");
    assert!(
        ids.contains(&"cross-site-scripting:shop".to_owned()),
        "{ids:?}"
    );
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "threats come out sorted by id");
    let sql = report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .find(|t| t["id"] == "sql-injection:shop")
        .expect("sql injection");
    // Where the element is declared and what the rule says are written once, in the tables,
    // and not repeated on the threat.
    assert_eq!(sql["element"]["kind"], "component");
    assert_eq!(report["elements"]["component:shop"]["location"]["line"], 6);
    assert!(
        sql.get("location").is_none() && sql.get("cwe").is_none(),
        "{sql}"
    );
    assert!(
        report["rules"]["sql-injection"]["cwe"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x == 89))
    );
    // Each factor is a position in the table of factors.
    let factors = sql["factors"].as_array().expect("factors");
    assert!(!factors.is_empty());
    for i in factors {
        let factor = &report["factors"][i.as_u64().expect("a position") as usize];
        assert!(factor["reason"].is_string(), "{i}: {factor}");
    }
    assert!(
        sql["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("db") || e.contains("shop")),
        "{sql}"
    );
    // No SQL injection where no SQL store is involved.
    assert!(
        !ids.iter()
            .any(|i| i == "sql-injection:shopper" || i == "sql-injection:db")
    );
}

#[test]
fn check_lists_threats_and_the_same_input_gives_the_same_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), MODEL).expect("write");
    let run = || {
        threatforge()
            .current_dir(dir.path())
            .args(["check", "--top", "100"])
            .output()
            .expect("run")
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    let line = stdout
        .lines()
        .find(|l| l.contains(" sql-injection:shop "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("SQL injection") && line.contains("/16"),
        "{line}"
    );
    assert_eq!(first.stdout, run().stdout);
}

#[test]
fn a_team_can_disable_a_rule_and_dismiss_one_threat() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = format!(
        "{MODEL}rules:\n  disable:\n    cross-site-scripting: the shop renders no user content\n  not_applicable:\n    sql-injection:shop: the shop uses only prepared statements\n"
    );
    std::fs::write(dir.path().join("threatforge.yaml"), model).expect("write");
    let (code, report) = json(&["report"], dir.path());
    assert_eq!(code, Some(0));
    let threats = report["threats"].as_array().expect("threats");
    assert!(!threats.iter().any(|t| t["rule"] == "cross-site-scripting"));
    let sql = threats
        .iter()
        .find(|t| t["id"] == "sql-injection:shop")
        .expect("still listed");
    assert_eq!(sql["status"], "not-applicable");
    assert_eq!(sql["reason"], "the shop uses only prepared statements");
}

#[test]
fn unknown_disabled_rule_is_an_error_and_orphaned_exception_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = format!(
        "{MODEL}rules:\n  disable:\n    sql-injektion: typo\n  not_applicable:\n    sql-injection:nowhere: gone\n"
    );
    std::fs::write(dir.path().join("threatforge.yaml"), model).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "--format", "short"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[unknown-rule]: there is no rule `sql-injektion` to disable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning[orphaned-not-applicable]"),
        "{stderr}"
    );
}

const TEAM_RULE: &str = r#"id: plaintext-http-entry
title: Plain HTTP entry point
description: Internet traffic enters over plain HTTP.
stride: information-disclosure
capec: [157]
cwe: [319]
applies_to: { element: flow }
condition: flow.from_internet && flow.protocol == "http"
explanation: "{{ flow.source.name }} reaches {{ flow.target.name }} over plain HTTP."
likelihood: high
impact: medium
mitigations: [tls]
examples:
  fires:
    - |
      system: { name: t }
      components:
        u: { technology: browser, exposure: internet }
        s: { technology: web-application }
      flows:
        - u -> s: { protocol: http }
  passes:
    - |
      system: { name: t }
      components:
        u: { technology: browser, exposure: internet }
        s: { technology: web-application }
      flows:
        - u -> s: { protocol: https }
"#;

/// A project of [`MODEL`] whose `rules.dirs` holds the team rule `rule`.
fn with_team_rule(rule: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("threat-rules")).expect("mkdir");
    std::fs::write(
        dir.path().join("threat-rules/plaintext-http-entry.yaml"),
        rule,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        format!("{MODEL}rules:\n  dirs: [threat-rules]\n"),
    )
    .expect("write");
    dir
}

#[test]
fn team_rules_load_beside_the_builtins_from_the_model_or_the_command_line() {
    let dir = with_team_rule(TEAM_RULE);
    let (code, report) = json(&["report"], dir.path());
    assert_eq!(code, Some(0));
    let ids = threat_ids(&report);
    assert!(
        ids.contains(&"plaintext-http-entry:shopper->shop".to_owned()),
        "{ids:?}"
    );
    let explained = report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .find(|t| t["rule"] == "plaintext-http-entry")
        .expect("team threat");
    assert_eq!(
        explained["explanation"],
        "shopper reaches shop over plain HTTP."
    );

    // The same rule through --rules, and its examples through `rules test`.
    std::fs::write(dir.path().join("plain.yaml"), MODEL).expect("write");
    let (_, report) = json(
        &["report", "plain.yaml", "--rules", "threat-rules"],
        dir.path(),
    );
    assert!(threat_ids(&report).contains(&"plaintext-http-entry:shopper->shop".to_owned()));
    let output = threatforge()
        .current_dir(dir.path())
        .args(["rules", "test", "threat-rules"])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed, 0 failed"));
}

/// `check`'s summary leaves the built-in rules' explanations unwritten (it shows none), but a
/// team rule's are still written, where an empty value in one is reported; `check --format json`
/// and `report` carry every explanation.
#[test]
fn check_reports_a_team_rules_empty_value_and_its_json_explains_every_threat() {
    let empty_tags = TEAM_RULE.replace(
        "over plain HTTP.\"",
        "over plain HTTP, tagged {{ flow.tags }}.\"",
    );
    assert_ne!(empty_tags, TEAM_RULE);
    let dir = with_team_rule(&empty_tags);
    let output = threatforge()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("warning[rule-empty-value]: the explanation of rule `plaintext-http-entry`"),
        "{stderr}"
    );
    let (_, report) = json(&["check", "--format", "json"], dir.path());
    let threats = report["threats"].as_array().expect("threats");
    assert!(
        threats.iter().any(|t| t["rule"] == "sql-injection"),
        "{report}"
    );
    for threat in threats {
        let explanation = threat["explanation"].as_str().expect("explanation");
        assert!(explanation.len() > 20, "{threat}");
    }
}

const TEAM_CONTROLS: &str = "controls:
  edge-guard:
    title: Edge guard
    description: The platform team's proxy, which strips plain-HTTP requests before they reach a service.
    remediation: >
      Register the service's route in the edge-guard repository and
      switch its DNS record to the guard.
threats:
  guard-bypass:
    title: Requests bypass the edge guard
    element: shop
    stride: tampering
    mitigations: [edge-guard]
";

#[test]
fn a_team_declares_its_own_controls_and_rules_threats_and_reports_name_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("threat-rules")).expect("mkdir");
    let rule = TEAM_RULE
        .replace("mitigations: [tls]", "mitigations: [tls|edge-guard]")
        .replace(
            "examples:",
            "references: [https://wiki.example/edge-guard]\nexamples:",
        );
    std::fs::write(
        dir.path().join("threat-rules/plaintext-http-entry.yaml"),
        rule,
    )
    .expect("write");
    let model = format!("{MODEL}{TEAM_CONTROLS}rules:\n  dirs: [threat-rules]\n");
    std::fs::write(dir.path().join("threatforge.yaml"), &model).expect("write");

    let (code, report) = json(&["report"], dir.path());
    assert_eq!(code, Some(0), "{report}");
    let threat = |report: &serde_json::Value, id: &str| {
        report["threats"]
            .as_array()
            .expect("threats")
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    let team = threat(&report, "plaintext-http-entry:shopper->shop");
    let rule = &report["rules"]["plaintext-http-entry"];
    assert_eq!(
        rule["description"],
        "Internet traffic enters over plain HTTP."
    );
    assert_eq!(rule["link"], "https://wiki.example/edge-guard");
    assert!(team.get("description").is_none(), "{team}");
    assert_eq!(
        team["mitigation"]["missing"],
        serde_json::json!(["tls|edge-guard"])
    );
    let guard = &report["controls"]["edge-guard"];
    assert_eq!(guard["title"], "Edge guard");
    assert_eq!(
        guard["remediation"],
        "Register the service's route in the edge-guard repository and switch its DNS record to the guard."
    );
    assert_eq!(report["controls"]["tls"]["title"], "TLS in transit");
    // A manual threat has no rule to share: it says its own words, and names the team's
    // control as a rule's threat does.
    let manual = threat(&report, "manual:guard-bypass");
    assert!(
        manual["title"].is_string() && manual["stride"].is_string(),
        "{manual}"
    );
    assert!(
        manual["mitigation"]["missing"]
            .as_array()
            .is_some_and(|m| m.iter().any(|c| c == "edge-guard")),
        "{manual}"
    );
    assert!(report["rules"].get("manual").is_none());

    // The team's control in place closes both, as a catalogue control would.
    let guarded = model
        .replace(
            "shopper -> shop: { protocol: http,",
            "shopper -> shop: { protocol: http, controls: [edge-guard],",
        )
        .replace(
            "shop: { technology: web-application,",
            "shop: { technology: web-application, controls: [edge-guard],",
        );
    std::fs::write(dir.path().join("threatforge.yaml"), &guarded).expect("write");
    let (_, report) = json(&["report"], dir.path());
    for id in ["plaintext-http-entry:shopper->shop", "manual:guard-bypass"] {
        assert_eq!(threat(&report, id)["status"], "mitigated", "{id}");
    }
    let markdown = threatforge()
        .current_dir(dir.path())
        .args(["report", "--format", "md"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&markdown.stdout)
            .contains("the controls that close this are in place: Edge guard (edge-guard)"),
        "{}",
        String::from_utf8_lossy(&markdown.stdout)
    );

    // The schema accepts the section and the team's names.
    let schema = threatforge().arg("schema").output().expect("run");
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let document: serde_json::Value = serde_saphyr::from_str(&guarded).expect("yaml");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    // Without the section, the rule's name and the threat's are unknown: bad input, exit 2.
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        guarded.replace(TEAM_CONTROLS, ""),
    )
    .expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown control `edge-guard`"), "{stderr}");
}

#[test]
fn a_team_rule_with_a_builtin_id_replaces_it_with_a_notice() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("r")).expect("mkdir");
    let replacement = TEAM_RULE.replace("id: plaintext-http-entry", "id: sql-injection");
    std::fs::write(dir.path().join("r/sql-injection.yaml"), replacement).expect("write");
    std::fs::write(dir.path().join("threatforge.yaml"), MODEL).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "--rules", "r"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("team rule `sql-injection` replaces the built-in rule"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("sql-injection:shopper->shop"), "{stdout}");
    assert!(!stdout.contains("sql-injection:shop "), "{stdout}");
}

#[test]
fn broken_team_rules_are_reported_at_their_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("r")).expect("mkdir");
    let broken = TEAM_RULE.replace(
        "condition: flow.from_internet && flow.protocol == \"http\"",
        "condition: flow.from_internet && flow.protocl == \"http\" && flow.sensitivity == \"high\"",
    );
    std::fs::write(dir.path().join("r/bad.yaml"), broken).expect("write");
    std::fs::write(
        dir.path().join("r/syntax.yaml"),
        TEAM_RULE
            .replace("id: plaintext-http-entry", "id: other")
            .replace("flow.from_internet &&", "flow.from_internet && ("),
    )
    .expect("write");
    // A definition is refused where it is written, and a wrong use of one where it is used.
    let defined = |id: &str, head: &str, condition: &str| {
        TEAM_RULE.replace("id: plaintext-http-entry", id).replace(
            "condition: flow.from_internet && flow.protocol == \"http\"",
            &format!("let:\n  {head}: f.protocol == \"http\"\ncondition: {condition}"),
        )
    };
    std::fs::write(
        dir.path().join("r/head.yaml"),
        defined("id: head", "plain(f, f)", "plain(flow, flow)"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("r/use.yaml"),
        defined("id: use", "plain(f)", "flow.from_internet && plain()"),
    )
    .expect("write");
    std::fs::write(dir.path().join("threatforge.yaml"), MODEL).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "--rules", "r"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr =
        String::from_utf8_lossy(&output.stderr).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!(stderr);
}

#[test]
fn rules_list_show_and_test_cover_the_library() {
    let output = threatforge().args(["rules", "list"]).output().expect("run");
    assert_eq!(output.status.code(), Some(0));
    let list = String::from_utf8_lossy(&output.stdout);
    assert!(list.contains("sql-injection"));
    let output = threatforge()
        .args(["rules", "show", "sql-injection"])
        .output()
        .expect("run");
    let show = String::from_utf8_lossy(&output.stdout);
    assert!(
        show.contains("CWE-89")
            && show.contains("parameterized-queries")
            && show.contains("condition:"),
        "{show}"
    );
    threatforge()
        .args(["rules", "show", "sql-injektion"])
        .assert()
        .code(2);
    let output = threatforge().args(["rules", "test"]).output().expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn docs_rules_md_is_generated_from_the_rule_files() {
    let output = threatforge().args(["rules", "doc"]).output().expect("run");
    let generated = String::from_utf8(output.stdout).expect("utf-8");
    let committed = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/rules.md is stale: run `cargo run -- rules doc -o docs/rules.md`"
    );
    assert!(
        !generated.contains("(missing)"),
        "a coverage table names a rule that does not exist"
    );
}

const GATED: &str = "system: { name: Gate, criticality: high }
data:
  records: { classification: secret, integrity: high }
components:
  patient: { technology: browser, exposure: internet }
  portal: { technology: web-application, processes: [records], traits: [builds-queries] }
  db: { technology: postgresql, stores: [records], controls: [encryption-at-rest] }
flows:
  - patient -> portal: { protocol: https, data: [records] }
  - portal -> db: { protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }
";

fn max_open_severity(dir: &Path) -> String {
    let (_, report) = json(&["report"], dir);
    let order = ["info", "low", "medium", "high", "critical"];
    report["threats"]
        .as_array()
        .expect("threats")
        .iter()
        .filter(|t| t["status"] == "open" || t["status"] == "in-progress")
        .map(|t| {
            t["residual"]["severity"]
                .as_str()
                .expect("severity")
                .to_owned()
        })
        .max_by_key(|s| order.iter().position(|o| o == s))
        .expect("some open threat")
}

#[test]
fn the_gate_exits_1_exactly_when_an_open_threat_reaches_the_threshold() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), GATED).expect("write");
    let order = ["info", "low", "medium", "high", "critical"];
    let max = max_open_severity(dir.path());
    let max_rank = order
        .iter()
        .position(|o| *o == max)
        .expect("known severity");
    for (rank, severity) in order.iter().enumerate() {
        let output = threatforge()
            .current_dir(dir.path())
            .args(["check", "--fail-on", severity])
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&output.stdout);
        if rank <= max_rank {
            assert_eq!(
                output.status.code(),
                Some(1),
                "--fail-on {severity}: {stdout}"
            );
            assert!(
                stdout.contains(&format!("at or above {severity}")),
                "{stdout}"
            );
            assert!(stdout.contains("Gate failed"), "{stdout}");
        } else {
            assert_eq!(
                output.status.code(),
                Some(0),
                "--fail-on {severity}: {stdout}"
            );
            assert!(stdout.contains("Gate passed"), "{stdout}");
        }
    }
    // Without --fail-on there is no gate.
    threatforge()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(0);
}

#[test]
fn accepted_debt_does_not_fail_the_gate_until_it_expires() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = format!(
        "{GATED}decisions:\n  - {{ threat: \"*\", status: accepted, owner: cto, justification: launch first, expires: 2027-01-31 }}\n"
    );
    std::fs::write(dir.path().join("threatforge.yaml"), model).expect("write");
    let gate = |today: &str| {
        threatforge()
            .current_dir(dir.path())
            .args(["check", "--fail-on", "info", "--today", today])
            .output()
            .expect("run")
    };
    let before = gate("2027-01-31");
    assert_eq!(
        before.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&before.stdout)
    );
    let after = gate("2027-02-01");
    assert_eq!(after.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&after.stderr).contains("warning[expired-acceptance]"));
    // The date can come from the environment, for CI jobs that pin it.
    let output = threatforge()
        .current_dir(dir.path())
        .env("THREATFORGE_TODAY", "2027-02-01")
        .args(["check", "--fail-on", "info"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    threatforge()
        .current_dir(dir.path())
        .args(["check", "--today", "2027-13-01"])
        .assert()
        .code(2);
}

#[test]
fn check_json_carries_the_gate_and_the_scores() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), GATED).expect("write");
    let (code, report) = json(
        &["check", "--format", "json", "--fail-on", "high"],
        dir.path(),
    );
    let gate = &report["summary"]["gate"];
    assert_eq!(gate["fail_on"], "high");
    assert_eq!(code, Some(if gate["passed"] == true { 0 } else { 1 }));
    let threat = &report["threats"][0];
    for key in ["inherent", "residual", "factors", "mitigation", "status"] {
        assert!(!threat[key].is_null(), "{key} missing in {threat}");
    }
    assert!(report["summary"]["open_by_severity"]["critical"].is_u64());
}

/// A team control may say which rules' threats it closes (`mitigates`): where it is in place,
/// they are mitigated as if the rule had listed it, built-in rules included.
#[test]
fn a_team_control_says_which_threats_it_mitigates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let controls = "controls:
  query-layer:
    title: Shared query layer
    description: Every service reaches the database through the platform's query library, which only sends bound parameters.
    remediation: Use the query library for every statement; the linter rejects string-built SQL.
    mitigates: [sql-injection]
";
    let with = |shop_controls: &str| {
        format!("{MODEL}{controls}").replace(
            "shop: { technology: web-application,",
            &format!("shop: {{ technology: web-application, controls: [{shop_controls}],"),
        )
    };
    std::fs::write(dir.path().join("threatforge.yaml"), with("")).expect("write");
    let (code, report) = json(&["report"], dir.path());
    assert_eq!(code, Some(0), "{report}");
    let status = |report: &serde_json::Value| {
        report["threats"]
            .as_array()
            .expect("threats")
            .iter()
            .find(|t| t["id"] == "sql-injection:shop")
            .map(|t| t["status"].clone())
            .expect("sql-injection:shop")
    };
    assert_eq!(status(&report), "open");

    std::fs::write(dir.path().join("threatforge.yaml"), with("query-layer")).expect("write");
    let (code, report) = json(&["report"], dir.path());
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(status(&report), "mitigated");

    // An id that is not a rule is an error in the model, with the nearest rule.
    let wrong =
        with("query-layer").replace("mitigates: [sql-injection]", "mitigates: [sql-injecton]");
    std::fs::write(dir.path().join("threatforge.yaml"), wrong).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("control `query-layer` mitigates `sql-injecton`, which is not a rule")
            && stderr.contains("did you mean `sql-injection`?")
            && stderr.contains("threatforge.yaml:"),
        "{stderr}"
    );
}
