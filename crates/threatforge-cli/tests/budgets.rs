//! Team rules that would take unbounded time or memory: each is stopped by its limit, with an
//! error naming the limit, the value reached and the option that raises it, and the run ends
//! promptly with the model's other threats. Work is bounded by counting in the evaluator (its unit
//! tests); here the inputs are sized so that without the limits the run would take minutes or
//! gigabytes (issue 18 measured more than 20 s for the nested case at 200 components).

mod support;

use std::path::Path;
use std::process::Output;

use support::{stderr_words as stderr, threatforge};

/// A model of `n` API services in a chain of flows.
fn model(n: usize) -> String {
    let mut text = String::from("system: { name: t }\ncomponents:\n");
    for i in 0..n {
        text.push_str(&format!("  c{i}: {{ technology: api-service }}\n"));
    }
    text.push_str("flows:\n");
    for i in 1..n {
        text.push_str(&format!("  - c{} -> c{i}: {{ protocol: https }}\n", i - 1));
    }
    text
}

/// A directory holding the model and one team rule with this condition and explanation.
fn project(n: usize, condition: &str, explanation: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), model(n)).expect("write");
    let rules = dir.path().join("team-rules");
    std::fs::create_dir_all(&rules).expect("create dir");
    let rule = format!(
        r#"id: team-heavy
title: Team heavy
description: A rule that asks for much work.
stride: tampering
applies_to:
  element: component
condition: >
  {condition}
explanation: >
  {explanation}
likelihood: low
impact: low
"#
    );
    std::fs::write(rules.join("team-heavy.yaml"), rule).expect("write");
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Output {
    threatforge()
        .current_dir(dir)
        .args(["check", "--rules", "team-rules"])
        .args(extra)
        .output()
        .expect("run")
}

/// `depth` nested `exists` over ten items each, never true: every iteration runs.
fn nested(depth: usize) -> String {
    let vars: Vec<String> = (0..depth).map(|i| format!("v{i}")).collect();
    let mut source = format!("{} < 0", vars.join(" + "));
    for var in vars.iter().rev() {
        source = format!("[0,1,2,3,4,5,6,7,8,9].exists({var}, {source})");
    }
    source
}

#[test]
fn seven_nested_exists_at_200_components_stop_at_the_nesting_limit() {
    let dir = project(200, &nested(7), "{{ component.name }}");
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "rule `team-heavy` failed on `c0`: comprehensions are nested 7 deep, over the limit \
             of 6 (raise it with --max-cel-nesting)"
        ),
        "{text}"
    );
    // Six levels are within the nesting limit, 1.1 million iterations per component; the run's
    // iteration budget stops them after the third component.
    let dir = project(200, &nested(6), "{{ component.name }}");
    let output = check(dir.path(), &["--max-cel-iterations", "3000000"]);
    let text = stderr(&output);
    assert!(
        text.contains("error[limit-exceeded]: the rules' comprehensions ran")
            && text.contains(
                "iterations in this run, over the limit of 3000000 (raise it with \
                 --max-cel-iterations)"
            ),
        "{text}"
    );
    // One error for the run, not one per rule and element.
    assert_eq!(text.matches("error[").count(), 1, "{text}");
}

#[test]
fn a_string_doubled_forty_times_stops_at_the_string_limit() {
    let condition = format!("[component.name]{}.size() > 0", ".map(x, x + x)".repeat(40));
    let dir = project(3, &condition, "{{ component.name }}");
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert!(
        text.contains("over the limit of 1048576 (raise it with --max-cel-string-bytes)"),
        "{text}"
    );
}

#[test]
fn an_explanation_stops_at_its_limit() {
    // Each explanation is a component's name doubled 16 times, 128 KiB, within the string limit:
    // 25 MiB of explanations over the model without the limit, and a list of such names would be
    // gigabytes.
    let dir = project(
        200,
        "true",
        &format!("{{{{ [component.name]{} }}}}", ".map(x, x + x)".repeat(16)),
    );
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert!(
        text.contains(
            "the explanation is longer than 65536 bytes, over the limit of 65536 (raise it with \
             --max-explanation-bytes)"
        ),
        "{text}"
    );
    let output = check(dir.path(), &["--max-explanation-bytes", "1000"]);
    let text = stderr(&output);
    assert!(
        text.contains("the explanation is longer than 1000 bytes"),
        "{text}"
    );
}

/// One flat network zone of `n` components: stores of records and their backups, web
/// applications that use the stores, deployment pipelines, and an identity provider, each group
/// a quarter, the shape the built-in zone rules (segmentation, delivery and identity isolation,
/// backups within reach) compare members in.
fn flat_zone(n: usize) -> String {
    let mut text = String::from(
        "system: { name: flat }\ndata:\n  rec: { classification: confidential, categories: [personal] }\n  bk: { classification: internal, availability: high }\ncomponents:\n",
    );
    let mut names = Vec::new();
    for i in 0..n {
        let (name, component) = match i % 4 {
            0 => (
                format!("db{i}"),
                "technology: postgresql, stores: [rec, bk]",
            ),
            1 => (
                format!("web{i}"),
                "technology: web-application, processes: [rec]",
            ),
            2 => (format!("ci{i}"), "technology: ci-pipeline"),
            _ => (
                format!("bak{i}"),
                "technology: object-storage, traits: [backup-copy], stores: [bk]",
            ),
        };
        text.push_str(&format!("  {name}: {{ {component} }}\n"));
        names.push(name);
    }
    text.push_str("  idp: { technology: identity-provider }\n");
    names.push("idp".to_owned());
    text.push_str(&format!(
        "boundaries:\n  flat: {{ kind: network, trust: high, contains: [{}] }}\nflows:\n",
        names.join(", ")
    ));
    for i in (0..n).step_by(4) {
        let (db, web, ci, bak) = (i, i + 1, i + 2, i + 3);
        text.push_str(&format!(
            "  - web{web} -> db{db}: {{ protocol: postgres-tls, authentication: credentials, data: [rec] }}\n  - ci{ci} -> web{web}: {{ protocol: ssh, authentication: credentials, usage: devops }}\n  - db{db} -> bak{bak}: {{ protocol: https, authentication: credentials, data: [bk] }}\n  - web{web} -> idp: {{ protocol: https, authentication: credentials }}\n"
        ));
    }
    text
}

/// The built-in rules that ask whether a zone holds something easier to take first read each
/// peer by itself, once for the zone: a zone of 4,000 components takes some 400,000 iterations
/// (linear), where comparing each member with every peer took tens of millions (2,000 took 25 s
/// and 4,000 stopped at the limit of 200 million). The limit here is ten times what the linear
/// rules need, a hundredth of what one pass over the peers per member would.
#[test]
fn a_zone_of_four_thousand_components_is_analyzed_within_a_linear_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), flat_zone(4000)).expect("write");
    let out = threatforge()
        .current_dir(dir.path())
        .args([
            "check",
            "--format",
            "short",
            "--max-cel-iterations",
            "4000000",
        ])
        .output()
        .expect("run");
    let text = stderr(&out) + &String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("limit-exceeded"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report = threatforge()
        .current_dir(dir.path())
        .args(["report", "--format", "json"])
        .output()
        .expect("run");
    let report = String::from_utf8_lossy(&report.stdout);
    for rule in [
        "sensitive-store-without-network-segmentation",
        "delivery-system-not-isolated",
        "backups-within-ransomware-reach",
        "identity-provider-not-isolated",
    ] {
        assert!(
            report.contains(&format!("\"{rule}:")),
            "{rule} finds nothing in the zone"
        );
    }
}
