//! What a model declares is bounded, through the binary: each limit is an error naming the kind,
//! the count, the limit and the option that raises it, exit code 2, and the option lets the same
//! model through. Inputs are sized so that work growing with their square would take minutes.

mod support;

use std::path::Path;
use std::process::Output;

use support::{stderr_words as stderr, threatforge};

fn check(dir: &Path, extra: &[&str]) -> Output {
    threatforge()
        .current_dir(dir)
        .arg("check")
        .args(extra)
        .output()
        .expect("run")
}

fn project(model: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), model).expect("write");
    dir
}

/// `n` processes, each sending to the next.
fn chain(n: usize) -> String {
    let mut text = String::from("system: { name: t }\ncomponents:\n");
    for i in 0..n {
        text.push_str(&format!("  c{i}: {{ kind: process }}\n"));
    }
    text.push_str("flows:\n");
    for i in 1..n {
        text.push_str(&format!("  - c{} -> c{i}\n", i - 1));
    }
    text
}

#[test]
fn components_and_flows_stop_at_their_limits_and_the_options_raise_them() {
    let dir = project(&chain(30));
    let output = check(dir.path(), &["--max-components", "20", "--max-flows", "10"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "error[limit-exceeded]: the model declares 30 components, over the limit of 20 \
             (raise it with --max-components)"
        ),
        "{text}"
    );
    // The first component over the limit, the 21st, on line 23.
    assert!(text.contains("threatforge.yaml:23:3"), "{text}");
    assert!(
        text.contains(
            "the model declares 29 flows, over the limit of 10 (raise it with --max-flows)"
        ),
        "{text}"
    );
    let output = check(dir.path(), &["--max-components", "30", "--max-flows", "29"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn includes_stop_at_the_file_limit() {
    let dir = project("system: { name: t }\ninclude: [a.yaml, b.yaml, c.yaml]\n");
    for (file, id) in [("a.yaml", "a"), ("b.yaml", "b"), ("c.yaml", "c")] {
        std::fs::write(
            dir.path().join(file),
            format!("components:\n  {id}: {{ kind: process }}\n"),
        )
        .expect("write");
    }
    let output = check(dir.path(), &["--max-files", "3"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("the model has more than 3 files, its limit (raise it with --max-files)"),
        "{text}"
    );
    let output = check(dir.path(), &["--max-files", "4"]);
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn an_alias_bomb_stops_at_the_alias_bytes_limit() {
    // Nine levels of ten aliases each: a billion nodes; serde-saphyr's event limit alone let a
    // million of them, 174-231 MB, be built first.
    let mut text = String::from("system: { name: t }\nx0: &x0 [\"lol\"]\n");
    for i in 1..10 {
        let prev = format!("*x{}", i - 1);
        text.push_str(&format!("x{i}: &x{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let dir = project(&text);
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error[limit-exceeded]: the YAML's aliases expand to at least")
            && text.contains("over the limit of 16777216 (raise it with --max-alias-bytes)"),
        "{text}"
    );
}

#[test]
fn twenty_thousand_orphaned_wildcard_decisions_get_a_hundred_suggestions() {
    // Each orphaned entry's suggestion compares it with every threat id, and each decision was
    // tried on every threat: 20,000 wildcard decisions took 10 s. Each of these is a near miss
    // of a real threat's id, so each would get a suggestion; the first hundred do.
    let mut text = String::from("system: { name: t }\ncomponents:\n");
    for i in 0..200 {
        text.push_str(&format!("  c{i}: {{ technology: api-service }}\n"));
    }
    text.push_str("flows:\n");
    for i in 1..200 {
        text.push_str(&format!("  - c{} -> c{i}: {{ protocol: https }}\n", i - 1));
    }
    text.push_str("decisions:\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "  - {{ threat: \"component-without-dta:c{}*\", status: accepted, justification: j }}\n",
            i % 200
        ));
    }
    let dir = project(&text);
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text:.2000}");
    assert_eq!(text.matches("warning[orphaned-decision]").count(), 20_000);
    assert_eq!(
        text.matches("help: did you mean `component-without-data:c")
            .count(),
        100
    );
}

#[test]
fn a_chain_of_ten_thousand_boundaries_stops_at_the_depth_limit() {
    let mut text = String::from("system: { name: t }\ncomponents:\n  a: { kind: process }\n");
    text.push_str("boundaries:\n");
    for i in 0..10_000 {
        let inner = if i < 9_999 {
            format!("b{}", i + 1)
        } else {
            "a".to_owned()
        };
        text.push_str(&format!("  b{i}: {{ contains: [{inner}] }}\n"));
    }
    let dir = project(&text);
    let output = check(dir.path(), &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "boundary `b9999` is nested 10000 deep, over the limit of 4096 (raise it with \
             --max-boundary-depth)"
        ),
        "{text}"
    );
}
