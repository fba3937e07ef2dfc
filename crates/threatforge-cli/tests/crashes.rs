//! Inputs that crashed the binary: a panic in the diagnostic renderer (exit 101) or a stack
//! overflow (an abort). Each now ends with exit 0, or 2 and a clear diagnostic, and bounded
//! output; never 101 or a signal.

mod support;

use std::path::Path;
use std::process::Output;

use support::threatforge;

fn run(dir: &Path, args: &[&str]) -> Output {
    threatforge()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run")
}

/// The exit code, which must be one of `expected` (`None` would be a signal: an abort).
fn code(output: &Output, expected: &[i32]) -> i32 {
    let code = output.status.code();
    assert!(
        code.is_some_and(|c| expected.contains(&c)),
        "exit {code:?}, expected one of {expected:?}; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    code.unwrap_or_default()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Diagnostics stay small whatever the input: no line of megabytes, no page per diagnostic.
fn assert_bounded(text: &str) {
    assert!(text.len() < 16 * 1024, "{} bytes:\n{text}", text.len());
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 1000, "a line of {longest} bytes:\n{text}");
}

/// A minified JSON model on one line of about 80 KB: 200 components in a chain of flows, with
/// only a warning, for the last component (no flows), past column 65,535. `extra` is added to
/// the root object.
fn minified_model(extra: &str) -> String {
    let padding = "x".repeat(300);
    let components: Vec<String> = (0..200)
        .map(|i| format!(r#""c{i:03}":{{"technology":"api-service","description":"{padding}"}}"#))
        .collect();
    let flows: Vec<String> = (0..198)
        .map(|i| format!(r#"{{"c{i:03} -> c{:03}":{{"protocol":"https"}}}}"#, i + 1))
        .collect();
    format!(
        r#"{{"system":{{"name":"Big"}},"flows":[{}],"components":{{{}}}{extra}}}"#,
        flows.join(","),
        components.join(",")
    )
}

/// The column of the first diagnostic (`at file:line:column`).
fn first_column(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| l.trim_start_matches([' ', '│']).strip_prefix("at "))
        .and_then(|at| at.rsplit(':').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no position in:\n{stderr}"))
}

#[test]
fn a_warning_past_column_65535_is_drawn_in_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = minified_model("");
    assert!(!model.contains('\n') && model.len() > 73 * 1024);
    std::fs::write(dir.path().join("model.json"), &model).expect("write");
    std::fs::write(dir.path().join("old.yaml"), "system: { name: Big }\n").expect("write");

    let check = run(dir.path(), &["check", "model.json"]);
    code(&check, &[0]);
    let diagnostics = stderr(&check);
    assert!(
        diagnostics.contains("warning[isolated-component]: component `c199` has no flows"),
        "{diagnostics}"
    );
    assert!(first_column(&diagnostics) > 65_535, "{diagnostics}");
    assert!(diagnostics.contains("…"), "{diagnostics}");
    assert_bounded(&diagnostics);

    let short = run(dir.path(), &["check", "model.json", "--format", "short"]);
    code(&short, &[0]);
    assert!(
        stderr(&short).starts_with("model.json:1:"),
        "{}",
        stderr(&short)
    );
    assert_bounded(&stderr(&short));

    // These show diagnostics only beside an error (next test).
    for args in [
        &["report", "model.json", "--format", "json"][..],
        &["diagram", "model.json", "--format", "mermaid"],
        &["diff", "old.yaml", "model.json"],
    ] {
        let output = run(dir.path(), args);
        code(&output, &[0]);
        assert_bounded(&stderr(&output));
    }
}

#[test]
fn an_error_past_column_65535_is_drawn_in_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("model.json"),
        minified_model(r#","bogus":1"#),
    )
    .expect("write");
    std::fs::write(dir.path().join("old.yaml"), "system: { name: Big }\n").expect("write");
    for args in [
        &["check", "model.json"][..],
        &["report", "model.json"],
        &["diagram", "model.json"],
        &["diff", "old.yaml", "model.json"],
    ] {
        let output = run(dir.path(), args);
        code(&output, &[2]);
        let diagnostics = stderr(&output);
        assert!(
            diagnostics.contains("error[unknown-key]: unknown key `bogus`")
                && diagnostics.contains("warning[isolated-component]"),
            "{args:?}: {diagnostics}"
        );
        assert!(first_column(&diagnostics) > 65_535, "{diagnostics}");
        assert_bounded(&diagnostics);
    }
}

#[test]
fn a_label_over_many_lines_is_drawn_on_its_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body: String = (0..200_000).map(|i| format!("  line {i}\n")).collect();
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        format!("system: |\n{body}"),
    )
    .expect("write");
    let output = run(dir.path(), &["check"]);
    code(&output, &[2]);
    let diagnostics = stderr(&output);
    assert!(diagnostics.contains("error[invalid-type]"), "{diagnostics}");
    assert!(diagnostics.lines().count() < 20, "{diagnostics}");
    assert_bounded(&diagnostics);
}

#[test]
fn a_chain_of_465_includes_is_refused_at_the_depth_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        "system: { name: Chain }\ninclude: [f1.yaml]\n",
    )
    .expect("write");
    for i in 1..465 {
        let next = if i < 464 {
            format!("include: [f{}.yaml]\n", i + 1)
        } else {
            String::new()
        };
        std::fs::write(
            dir.path().join(format!("f{i}.yaml")),
            format!("components:\n  c{i}: {{ technology: api-service }}\n{next}"),
        )
        .expect("write");
    }
    let output = run(dir.path(), &["check", "--format", "short"]);
    code(&output, &[2]);
    let diagnostics = stderr(&output);
    let errors: Vec<&str> = diagnostics
        .lines()
        .filter(|l| l.contains("error["))
        .collect();
    assert_eq!(
        errors,
        vec![
            "f32.yaml:3:11: error[limit-exceeded]: include `f33.yaml` is more than 32 includes \
             deep below `threatforge.yaml`"
        ],
        "{diagnostics}"
    );
}

/// A team rule whose condition and explanation are given, with examples that fire and pass.
fn team_rule(dir: &Path, condition: &str, explanation: &str) {
    let rules = dir.join("team-rules");
    std::fs::create_dir_all(&rules).expect("create dir");
    let text = format!(
        r#"id: team-chain
title: Team chain
description: A rule with a long expression.
stride: tampering
applies_to:
  element: component
condition: >
  {condition}
explanation: >
  {explanation}
likelihood: low
impact: low
examples:
  fires:
    - |
      system: {{ name: t }}
      data: {{ d: {{ classification: confidential }} }}
      components:
        app: {{ technology: api-service, processes: [d] }}
        db: {{ technology: postgresql, stores: [d] }}
      flows:
        - app -> db: {{ protocol: postgres-tls, data: [d] }}
  passes:
    - |
      system: {{ name: t }}
      data: {{ d: {{ classification: confidential }} }}
      components:
        app: {{ technology: api-service, processes: [d] }}
        cache: {{ technology: redis, stores: [d] }}
      flows:
        - app -> cache: {{ protocol: redis-tls, data: [d] }}
"#
    );
    std::fs::write(rules.join("team-chain.yaml"), text).expect("write");
}

const MODEL: &str = "system: { name: t }
data: { d: { classification: confidential } }
components:
  app: { technology: api-service, processes: [d] }
  db: { technology: postgresql, stores: [d] }
flows:
  - app -> db: { protocol: postgres-tls, data: [d] }
";

/// Runs `check --rules` and `rules test` on the team's rules; returns both outputs.
fn check_and_test(dir: &Path) -> [Output; 2] {
    std::fs::write(dir.join("threatforge.yaml"), MODEL).expect("write");
    [
        run(dir, &["check", "--rules", "team-rules"]),
        run(dir, &["rules", "test", "team-rules"]),
    ]
}

#[test]
fn long_operator_chains_in_a_team_rule_are_refused_not_overflowed() {
    let chain = |term: &str, op: &str, n: usize| vec![term; n].join(op);
    let cases = [
        (format!("{} > 0", chain("1", " + ", 3000)), "operators"),
        (chain("true", " == ", 5000), "bytes"),
        (format!("{} > 0", chain("1", " * ", 5000)), "bytes"),
        (format!("size({}) > 0", chain("[1]", " + ", 5000)), "bytes"),
        (
            format!("size({}) > 0", chain("[1]", " + ", 1500)),
            "operators",
        ),
    ];
    for (expression, over) in cases {
        for (condition, explanation) in [
            (expression.clone(), "x".to_owned()),
            (
                r#"component.technology == "postgresql""#.to_owned(),
                format!("{{{{ {expression} }}}}"),
            ),
        ] {
            let dir = tempfile::tempdir().expect("temp dir");
            team_rule(dir.path(), &condition, &explanation);
            for output in check_and_test(dir.path()) {
                code(&output, &[2]);
                let diagnostics = stderr(&output);
                assert!(
                    diagnostics.contains("error[limit-exceeded]: the expression")
                        && diagnostics.contains(over)
                        && diagnostics.contains("team-chain.yaml:"),
                    "{diagnostics}"
                );
                assert_bounded(&diagnostics);
            }
        }
    }
}

#[test]
fn chains_within_the_bounds_work() {
    // 995 terms: with the other operators, 998 of the 1,000 allowed, the `+` read as one chain.
    let sum = vec!["1"; 995].join(" + ");
    let dir = tempfile::tempdir().expect("temp dir");
    team_rule(
        dir.path(),
        &format!(r#"{sum} == 995 && component.technology == "postgresql""#),
        &format!("{{{{ component.name }}}} sums to {{{{ {sum} }}}}"),
    );
    let [check, test] = check_and_test(dir.path());
    code(&check, &[0]);
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("team-chain"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    code(&test, &[0]);
    assert!(String::from_utf8_lossy(&test.stdout).contains("ok    team-chain"));
    let report = run(
        dir.path(),
        &["report", "--format", "json", "--rules", "team-rules"],
    );
    code(&report, &[0]);
    assert!(String::from_utf8_lossy(&report.stdout).contains("db sums to 995"));
}

#[test]
fn deep_nesting_in_a_team_rule_is_refused() {
    // 80 levels of operators, in 79 parentheses: refused after parsing.
    let mut deep = "1".to_owned();
    for i in 0..80 {
        deep = format!("({deep} {} 1)", if i % 2 == 0 { '+' } else { '*' });
    }
    // 500 parentheses: refused before (the parser's own limit, 96, reads as a syntax error).
    let parentheses = format!("{}true{}", "(".repeat(500), ")".repeat(500));
    for condition in [format!("{deep} > 0"), parentheses] {
        let dir = tempfile::tempdir().expect("temp dir");
        team_rule(dir.path(), &condition, "x");
        for output in check_and_test(dir.path()) {
            code(&output, &[2]);
            let diagnostics = stderr(&output);
            assert!(
                diagnostics.contains(
                    "error[limit-exceeded]: the expression is nested more than 64 levels deep"
                ),
                "{diagnostics}"
            );
            assert_bounded(&diagnostics);
        }
    }
}

#[test]
fn binary_tags_are_refused_not_decoded() {
    // base64 of ESC "[2JFAKE: all good" and of "<script>alert(1)</script>".
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        "system: { name: !!binary G1sySkZBS0U6IGFsbCBnb29k }\n",
    )
    .expect("write");
    let output = run(dir.path(), &["check"]);
    code(&output, &[2]);
    let diagnostics = stderr(&output);
    assert!(
        diagnostics.contains("error[yaml-syntax]: unsupported tag `!!binary`"),
        "{diagnostics}"
    );
    let all = [&output.stdout[..], &output.stderr[..]].concat();
    assert!(!all.contains(&0x1b) && !String::from_utf8_lossy(&all).contains("FAKE"));

    // In a team's rule file too: rules are read by the same reader.
    std::fs::write(dir.path().join("threatforge.yaml"), MODEL).expect("write");
    team_rule(dir.path(), "true", "x");
    let path = dir.path().join("team-rules/team-chain.yaml");
    let rule = std::fs::read_to_string(&path).expect("read");
    let rule = rule.replace(
        "title: Team chain",
        "title: !!binary PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    );
    std::fs::write(&path, rule).expect("write");
    for output in check_and_test(dir.path()) {
        code(&output, &[2]);
        let all = String::from_utf8_lossy(&[&output.stdout[..], &output.stderr[..]].concat())
            .into_owned();
        assert!(all.contains("unsupported tag `!!binary`"), "{all}");
        assert!(!all.contains("<script>"), "{all}");
    }
}
