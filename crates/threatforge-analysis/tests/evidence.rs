//! Evidence applied to an analysis: findings confirm threats and raise their likelihood, what no
//! threat covers becomes an unmodeled weakness, and tests verify controls or take them away.

use std::path::Path;

use threatforge_analysis::{
    Analyzed, Project, ProjectOptions, Source, UNMODELED, Verification, apply_evidence,
    unverified_at_or_above,
};
use threatforge_evidence::{Evidence, Limits};
use threatforge_model::{DecisionStatus, ThreatSeverity};

const MODEL: &str = r#"
system: { name: s }
data:
  card: { classification: secret, categories: [payment] }
components:
  user: { technology: browser, exposure: internet }
  api:
    technology: api-service
    exposure: internet
    processes: [card]
    traits: [builds-queries]
    controls: [parameterized-queries]
    code: [services/api/**]
    endpoints: [shop.example.com/api]
    verified_by:
      parameterized-queries: ["com.acme.InjectionTest.*"]
  web:
    technology: web-application
    exposure: internet
    code: [services/web/**]
    endpoints: [https://shop.example.com/]
  db: { technology: postgresql, stores: [card] }
flows:
  - user -> web: { protocol: https }
  - web -> api: { protocol: https, authentication: token }
  - api -> db: { protocol: postgres-tls, authentication: credentials }
"#;

fn load(extra: &str) -> Analyzed {
    load_text(&format!("{MODEL}{extra}"))
}

fn load_text(text: &str) -> Analyzed {
    let analyzed = Project::load(
        Source::Text {
            name: "m.yaml",
            text,
            dir: Path::new("."),
        },
        &ProjectOptions::default(),
    );
    assert!(!analyzed.has_errors(), "{:?}", analyzed.diagnostics());
    analyzed
}

/// A SARIF log of one tool with results `(rule, cwe tag, uri)`.
fn sarif(results: &[(&str, &str, &str)]) -> String {
    let results: Vec<String> = results
        .iter()
        .map(|(rule, cwe, uri)| {
            format!(
                r#"{{"ruleId":"{rule}","level":"error","message":{{"text":"m"}},"properties":{{"tags":["{cwe}"]}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"{uri}"}},"region":{{"startLine":3}}}}}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"scanner"}}}},"results":[{}]}}]}}"#,
        results.join(",")
    )
}

fn evidence(files: &[&str]) -> Evidence {
    let mut evidence = Evidence::default();
    for (i, text) in files.iter().enumerate() {
        evidence
            .read_bytes(&format!("e{i}"), text.as_bytes(), None, &Limits::default())
            .expect("valid evidence");
    }
    evidence
}

fn applied(extra: &str, files: &[&str]) -> Analyzed {
    let mut analyzed = load(extra);
    apply_evidence(&mut analyzed, &evidence(files), &ProjectOptions::default());
    analyzed
}

fn threat<'a>(analyzed: &'a Analyzed, id: &str) -> &'a threatforge_analysis::Threat {
    analyzed
        .analysis
        .threats
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_scanner_finding_makes_a_hygiene_item_a_threat_of_the_design() {
    // Without `builds-queries`, parameterized queries are a line of the hygiene checklist.
    let text = MODEL.replace("    traits: [builds-queries]\n", "");
    let before = load_text(&text);
    let id = "sql-injection:api";
    assert!(before.analysis.hygiene.iter().any(|t| t.id == id));
    assert!(before.analysis.threats.iter().all(|t| t.id != id));
    let mut after = load_text(&text);
    let found = sarif(&[("sqli", "CWE-89", "services/api/db.py")]);
    apply_evidence(&mut after, &evidence(&[&found]), &ProjectOptions::default());
    // Confirmed in this component's code: the register, not the checklist.
    assert!(after.analysis.hygiene.iter().all(|t| t.id != id));
    let t = threat(&after, id);
    assert_eq!(t.inherent.likelihood, 4);
    assert!(after.analysis.threats.windows(2).all(|w| w[0].id < w[1].id));
    // Hygiene items no scanner confirmed stay where they were.
    assert_eq!(
        after.analysis.hygiene.len(),
        before.analysis.hygiene.len() - 1
    );
}

#[test]
fn a_finding_of_the_rules_cwe_confirms_the_threat_and_raises_its_likelihood_to_the_top() {
    let before = load("");
    let plain = threat(&before, "sql-injection:api");
    assert!(plain.inherent.likelihood < 4, "{:?}", plain.inherent);
    let after = applied("", &[&sarif(&[("sqli", "CWE-89", "services/api/db.py")])]);
    let t = threat(&after, "sql-injection:api");
    assert_eq!(t.inherent.likelihood, 4);
    assert_eq!(t.residual.likelihood, 4);
    assert!(t.residual.score >= plain.residual.score);
    let e = t.evidence.as_ref().expect("evidence on the threat");
    assert_eq!(e.findings.len(), 1);
    let factor = e.factor.as_ref().expect("a factor");
    assert_eq!(factor.on, "likelihood");
    assert_eq!(
        i16::from(factor.effect),
        4 - i16::from(plain.inherent.likelihood)
    );
    assert!(
        factor.reason.contains("services/api/db.py:3"),
        "{}",
        factor.reason
    );
    let summary = after.analysis.evidence.as_deref().expect("a summary");
    assert_eq!(summary.confirmed, ["sql-injection:api"]);
    assert!(summary.unmodeled.is_empty());
    // Threats stay sorted by id.
    assert!(after.analysis.threats.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn related_cwes_confirm_and_unrelated_or_suppressed_findings_do_not() {
    // CWE-564 (Hibernate SQL injection) is a child of CWE-89.
    let related = applied(
        "",
        &[&sarif(&[("hql", "CWE-564", "services/api/Repo.java")])],
    );
    assert!(
        threat(&related, "sql-injection:api")
            .evidence
            .as_ref()
            .is_some_and(|e| e.confirmed())
    );
    // XSS on the API confirms no SQL injection: it becomes an unmodeled weakness.
    let unrelated = applied("", &[&sarif(&[("xss", "CWE-79", "services/api/view.js")])]);
    let t = threat(&unrelated, "sql-injection:api");
    assert!(t.evidence.as_ref().is_none_or(|e| !e.confirmed()));
    let added = threat(&unrelated, "unmodeled-weakness:api:cwe-79");
    assert_eq!(&*added.rule, UNMODELED);
    assert_eq!(added.status, DecisionStatus::Open);
    assert_eq!(added.residual.likelihood, 4);
    assert_eq!(added.evidence.as_ref().map(|e| e.findings.len()), Some(1));
    // A suppressed result is listed, never used.
    let suppressed = sarif(&[("sqli", "CWE-89", "services/api/db.py")]).replace(
        r#""level":"error""#,
        r#""level":"error","suppressions":[{"kind":"inSource"}]"#,
    );
    let after = applied("", &[&suppressed]);
    let summary = after.analysis.evidence.as_deref().expect("a summary");
    assert!(summary.confirmed.is_empty());
    assert_eq!(summary.tools[0].suppressed, 1);
}

#[test]
fn findings_no_component_claims_are_unmapped_and_urls_go_to_the_most_specific_endpoint() {
    let zap = r#"{"site":[{"@name":"https://shop.example.com","alerts":[
        {"pluginid":"40018","alert":"SQL Injection","riskcode":"3","cweid":"89","instances":[{"uri":"https://shop.example.com/api/orders?id=1"}]},
        {"pluginid":"10020","alert":"Clickjacking","riskcode":"2","cweid":"1021","instances":[{"uri":"https://other.example.com/"}]}]}]}"#;
    let after = applied(
        "",
        &[zap, &sarif(&[("sqli", "CWE-89", "tools/migrate.py")])],
    );
    assert!(
        threat(&after, "sql-injection:api")
            .evidence
            .as_ref()
            .is_some_and(|e| e.confirmed())
    );
    // The API's endpoint is more specific than the web application's, which gets nothing.
    assert!(
        !after
            .analysis
            .threats
            .iter()
            .any(|t| t.element.id.as_ref() == "web"
                && t.evidence.as_ref().is_some_and(|e| e.confirmed()))
    );
    let summary = after.analysis.evidence.as_deref().expect("a summary");
    let unmapped: Vec<String> = summary.unmapped.iter().map(|f| f.location()).collect();
    assert_eq!(
        unmapped,
        ["https://other.example.com/", "tools/migrate.py:3"]
    );
}

fn junit(outcome: &str) -> String {
    format!(
        r#"<testsuite name="s"><testcase classname="com.acme.InjectionTest" name="rejectsQuotes">{outcome}</testcase></testsuite>"#
    )
}

#[test]
fn a_passing_test_verifies_a_control_and_a_failing_one_takes_its_effect_away() {
    let passed = applied("", &[&junit("")]);
    let t = threat(&passed, "sql-injection:api");
    let checks = &t.evidence.as_ref().expect("evidence").controls;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].status, Verification::Verified);
    assert_eq!(checks[0].tests, ["com.acme.InjectionTest.rejectsQuotes"]);

    let before = load("");
    let failed = applied(
        "",
        &[&junit(r#"<failure message="quote passed through"/>"#)],
    );
    let t = threat(&failed, "sql-injection:api");
    let plain = threat(&before, "sql-injection:api");
    assert!(plain.mitigation.has_in_place());
    // The analysis no longer counts the control: nothing is in place, and the residual score
    // is the inherent one.
    assert!(!t.mitigation.has_in_place());
    assert!(
        t.residual.score > plain.residual.score,
        "{:?} vs {:?}",
        t.residual,
        plain.residual
    );
    assert_eq!(t.residual, t.inherent);
    let checks = &t.evidence.as_ref().expect("evidence").controls;
    assert_eq!(checks[0].status, Verification::Failed);
    // The model is as written afterwards: reports show the control, marked failed.
    let api = &failed.loaded.model.components["api"];
    assert_eq!(api.controls.len(), 1);
    let summary = failed.analysis.evidence.as_deref().expect("a summary");
    assert_eq!(summary.count(Verification::Failed), 1);
}

#[test]
fn threats_resting_on_unverified_controls_fail_the_verification_gate() {
    let none = applied("", &[]);
    let failing = unverified_at_or_above(&none.analysis, ThreatSeverity::Info);
    assert!(
        failing.iter().any(|t| t.id == "sql-injection:api"),
        "{failing:?}"
    );
    let verified = applied("", &[&junit("")]);
    let failing = unverified_at_or_above(&verified.analysis, ThreatSeverity::Info);
    assert!(!failing.iter().any(|t| t.id == "sql-injection:api"));
    // A skipped test verifies nothing.
    let skipped = applied("", &[&junit("<skipped/>")]);
    let failing = unverified_at_or_above(&skipped.analysis, ThreatSeverity::Info);
    assert!(failing.iter().any(|t| t.id == "sql-injection:api"));
}

#[test]
fn decisions_apply_to_unmodeled_weaknesses() {
    let decided = applied(
        "decisions:\n  - { threat: \"unmodeled-weakness:api:*\", status: accepted, owner: team, justification: tracked in SEC-1 }\n",
        &[&sarif(&[("md5", "CWE-327", "services/api/hash.py")])],
    );
    let t = threat(&decided, "unmodeled-weakness:api:cwe-327");
    assert_eq!(t.status, DecisionStatus::Accepted);
    // And a confirmed threat a decision accepted stays accepted.
    let accepted = applied(
        "decisions:\n  - { threat: \"sql-injection:api\", status: accepted, owner: team, justification: fixed next sprint }\n",
        &[&sarif(&[("sqli", "CWE-89", "services/api/db.py")])],
    );
    assert_eq!(
        threat(&accepted, "sql-injection:api").status,
        DecisionStatus::Accepted
    );
}
