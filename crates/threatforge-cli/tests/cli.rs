//! The command line, through the real binary.

mod support;

use assert_cmd::Command;
use support::{examples, threatforge};

#[test]
fn every_example_passes_check_without_warnings() {
    let examples = examples();
    assert!(
        examples.len() >= 3,
        "expected at least three examples, found {examples:?}"
    );
    for example in examples {
        let output = threatforge()
            .args(["check", "--format", "json"])
            .arg(&example)
            .output()
            .expect("run");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {report:#}",
            example.display()
        );
        assert_eq!(report["model"]["errors"], 0, "{}", example.display());
        assert_eq!(
            report["model"]["warnings"],
            0,
            "{}: {report:#}",
            example.display()
        );
        let model = &report["model"];
        assert!(
            model["components"].as_u64() >= Some(15),
            "{}",
            example.display()
        );
        assert!(model["flows"].as_u64() >= Some(20), "{}", example.display());
    }
}

const BROKEN: &str = "system: { name: Shop, criticalty: high }
data:
  card: { classification: secret, categories: [payment] }
components:
  shop: { technology: web-aplication, processes: [card] }
  payments: { technology: api-service }
flows:
  - shop -> paymnts: { protocol: grpc-tls, data: [card] }
";

#[test]
fn a_broken_model_is_rejected_with_every_problem_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("threatforge.yaml"), BROKEN).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(!stderr.contains('\x1b'), "NO_COLOR must turn colors off");
    insta::assert_snapshot!(stderr);
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("threatforge.yaml: invalid (3 errors, 1 warning)"),
        "{stdout}"
    );
}

#[test]
fn short_format_gives_one_line_per_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("m.yaml"), BROKEN).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "m.yaml", "--format", "short"])
        .output()
        .expect("run");
    insta::assert_snapshot!(String::from_utf8(output.stderr).expect("utf-8"));
}

#[test]
fn json_diagnostics_carry_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("m.yaml"), BROKEN).expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "m.yaml", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "unknown-key");
    assert_eq!(first["location"]["file"], "m.yaml");
    assert_eq!(first["location"]["line"], 1);
    assert_eq!(first["location"]["column"], 23);
    assert_eq!(first["help"], "did you mean `criticality`?");
    let target = report["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "unknown-reference")
        .expect("the broken flow target");
    assert_eq!(target["help"], "did you mean `payments`?");
    assert_eq!(target["location"]["line"], 8);
    assert_eq!(target["location"]["column"], 13);
}

#[test]
fn check_finds_the_model_in_a_parent_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    threatforge()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    let nested = dir.path().join("services/shop");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let output = threatforge()
        .current_dir(&nested)
        .arg("check")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.contains("threatforge.yaml: valid (0 errors, 0 warnings)"),
        "{stdout}"
    );
}

#[test]
fn check_without_a_model_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = threatforge()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("threatforge init"), "{stderr}");
}

#[test]
fn check_reads_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let starter = include_str!("../templates/starter.yaml");
    threatforge()
        .current_dir(dir.path())
        .args(["check", "-"])
        .write_stdin(starter)
        .assert()
        .success();
    threatforge()
        .current_dir(dir.path())
        .args(["check", "-"])
        .write_stdin(BROKEN)
        .assert()
        .code(2);
}

#[test]
fn check_writes_its_output_to_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    threatforge()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    threatforge()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "-o", "out.json"])
        .assert()
        .success();
    let text = std::fs::read_to_string(dir.path().join("out.json")).expect("written");
    let report: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(report["model"]["system"], "My service");
}

#[test]
fn init_writes_a_model_that_passes_check_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("temp dir");
    threatforge()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(report["model"]["warnings"], 0, "{report:#}");
    threatforge()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2);
    threatforge()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .assert()
        .success();
}

#[test]
fn unknown_subcommand_and_bad_flags_exit_2() {
    threatforge().arg("frobnicate").assert().code(2);
    threatforge()
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn output_is_byte_identical_across_runs() {
    for example in examples() {
        let run = || {
            threatforge()
                .args(["check", "--format", "json"])
                .arg(&example)
                .output()
                .expect("run")
                .stdout
        };
        assert_eq!(run(), run(), "{}", example.display());
    }
}

#[test]
fn completions_are_generated() {
    let output = threatforge()
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("threatforge"));
}

#[test]
fn check_lists_threats_of_a_band_by_score_impact_and_exposure() {
    // Team-rated threats: `likely` and `harmful` score 8 alike, `harmful` with the higher impact;
    // `internal` and `public` score 4 alike, `public` on what the internet reaches.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        "system: { name: T }
components:
  visitor: { technology: browser, exposure: internet }
  site: { technology: web-application }
  job: { technology: worker }
flows:
  - visitor -> site: { protocol: https }
threats:
  internal: { title: I, element: job, stride: tampering, likelihood: medium, impact: medium }
  likely: { title: L, element: site, stride: tampering, likelihood: very-high, impact: medium }
  harmful: { title: H, element: site, stride: tampering, likelihood: medium, impact: very-high }
  public: { title: P, element: site, stride: tampering, likelihood: medium, impact: medium }
",
    )
    .expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "--top", "1000"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().find(|w| w.starts_with("manual:")))
        .collect();
    assert_eq!(
        listed,
        [
            "manual:harmful",
            "manual:likely",
            "manual:public",
            "manual:internal"
        ],
        "{stdout}"
    );
}

#[test]
fn unknown_ids_and_values_on_the_command_line_get_a_suggestion_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("threatforge.yaml"),
        "system: { name: x }\ncomponents:\n  api: { technology: api-service }\nboundaries:\n  vpc: { kind: network, trust: high, contains: [api] }\n",
    )
    .expect("write");
    let cases: [(&[&str], &str); 5] = [
        (&["diagram", "--boundary", "vcp"], "did you mean `vpc`?"),
        (&["diagram", "--boundary", "zzz"], "give one of `vpc`"),
        (
            &["rules", "show", "sql-injectoin"],
            "did you mean `sql-injection`?",
        ),
        (
            &["report", "--format", "sarf"],
            "a similar value exists: 'sarif'",
        ),
        (
            &["check", "--fail-on", "hihg"],
            "a similar value exists: 'high'",
        ),
    ];
    for (args, suggestion) in cases {
        let output = Command::cargo_bin("threatforge")
            .expect("binary")
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(suggestion), "{args:?}: {stderr}");
    }
}

#[test]
fn diagnostics_of_the_model_and_of_its_rule_files_are_printed_as_one_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("rules")).expect("rules dir");
    std::fs::write(
        dir.path().join("rules/broken.yaml"),
        "id: broken\nnot-a-key: 1\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("m.yaml"),
        "system: { name: s }\nrules: { dirs: [rules] }\ncomponents:\n  lone: { technology: postgresql }\n",
    )
    .expect("write");
    let output = threatforge()
        .current_dir(dir.path())
        .args(["check", "m.yaml", "--format", "short"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    let files: Vec<&str> = stderr
        .lines()
        .map(|line| line.split(':').next().unwrap_or(""))
        .collect();
    // The model's file first, then the rule file, each line located in its own file.
    assert_eq!(files.first(), Some(&"m.yaml"), "{stderr}");
    assert!(files.len() > 1, "{stderr}");
    assert!(
        files[1..].iter().all(|f| f.ends_with("broken.yaml")),
        "{stderr}"
    );
    let report = threatforge()
        .current_dir(dir.path())
        .args(["check", "m.yaml", "--format", "json"])
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).expect("json");
    let json_files: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["location"]["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(json_files.len(), files.len(), "{report}");
    assert_eq!(json_files[0], "m.yaml");
}

#[test]
fn diagram_formats_come_from_their_own_list() {
    let output = threatforge()
        .args(["diagram", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for format in threatforge_report::DiagramFormat::ALL {
        assert!(
            help.contains(&format!("- {}:", format.name())),
            "{format} missing from:\n{help}"
        );
    }
    // A report format is not a diagram format.
    let output = threatforge()
        .args(["diagram", "--format", "html", "no-such.yaml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains("[possible values: svg, mermaid, dot]"),
        "{stderr}"
    );
}

/// The text between the line that starts with `start` and the next line that is a code fence.
fn block_after<'a>(text: &'a str, start: &str, file: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(start));
    assert!(
        lines.next().is_some(),
        "{file} has no line starting {start:?}"
    );
    lines.take_while(|l| !l.starts_with("```")).collect()
}

#[test]
fn the_readme_gate_sample_is_what_check_prints_for_the_scoring_example() {
    let repo = support::repo();
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README.md");
    let scoring = std::fs::read_to_string(repo.join("docs/scoring.md")).expect("docs/scoring.md");
    let command = "$ threatforge check --fail-on high --top 4";
    let shown = block_after(&readme, command, "README.md");
    let worked = scoring
        .split_once("## A worked example")
        .expect("docs/scoring.md has its worked example")
        .1;
    let model = block_after(worked, "```yaml", "docs/scoring.md");
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("threatforge.yaml"), model.join("\n") + "\n").expect("write");
    let args: Vec<&str> = command.split_whitespace().skip(2).take(5).collect();
    let output = threatforge()
        .current_dir(dir.path())
        .args(args)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the sample shows a failed gate"
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        shown,
        "README.md's sample after {command:?} is not what check prints; paste this in:\n{printed}"
    );
}
