//! `init --from`, `drift` and `check --code-root` through the real binary, on the IaC crate's
//! fixtures; hostile inputs refused with exit 2 and a located message.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::{repo, threatforge};

fn fixture(name: &str) -> PathBuf {
    repo()
        .join("crates/threatforge-iac/tests/fixtures")
        .join(name)
}

/// Runs the binary with these arguments.
fn run(args: &[&OsStr]) -> Output {
    threatforge().args(args).output().expect("run")
}

/// `init - --from PATH`: the draft on standard output.
fn init_stdout(path: impl AsRef<OsStr>) -> Output {
    threatforge()
        .args(["init", "-", "--from"])
        .arg(path)
        .output()
        .expect("run")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `init --from` all three fixtures into `dir/threatforge.yaml`.
fn init_all(dir: &Path) -> PathBuf {
    let model = dir.join("threatforge.yaml");
    let output = threatforge()
        .arg("init")
        .arg(&model)
        .arg("--from")
        .args(["compose-shop", "k8s-platform", "terraform-aws/plan.json"].map(fixture))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("Kubernetes objects not modeled"));
    model
}

#[test]
fn init_from_every_source_writes_a_model_that_check_accepts_and_that_has_no_drift() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = init_all(dir.path());
    let text = std::fs::read_to_string(&model).expect("written");
    for reference in [
        "compose:db",
        "k8s:shop/Deployment/checkout",
        "aws_db_instance.orders",
    ] {
        assert!(text.contains(&format!("\"{reference}\"")), "{reference}");
    }
    let check = run(&["check".as_ref(), model.as_os_str()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stdout(&check).contains(": valid (0 errors"),
        "{}",
        stdout(&check)
    );

    let drift = threatforge()
        .arg("drift")
        .arg(&model)
        .arg("--fail-on-drift")
        .arg("--iac")
        .args(["compose-shop", "k8s-platform", "terraform-aws/plan.json"].map(fixture))
        .output()
        .expect("run");
    assert_eq!(drift.status.code(), Some(0), "{}", stdout(&drift));
    assert_eq!(
        stdout(&drift),
        "no drift: the model and the infrastructure agree\n"
    );
}

#[test]
fn init_refuses_to_overwrite_and_names_what_it_cannot_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = init_all(dir.path());
    let again = run(&[
        "init".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        fixture("compose-shop").as_os_str(),
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists; use --force"));
}

/// Terraform source through the real binary: drafted, checked, and drifting after an edit of a
/// `.tf` file, with the file and line of the resource.
#[test]
fn terraform_source_drafts_a_model_check_accepts_and_drift_follows_its_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = dir.path().join("infra");
    copy_dir(&fixture("terraform-hcl"), &code);
    let model = dir.path().join("threatforge.yaml");
    let init = threatforge()
        .arg("init")
        .arg(&model)
        .arg("--from")
        .arg(&code)
        .output()
        .expect("run");
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    // The local module's outputs are plain references: followed, nothing left unresolved.
    assert!(
        !stderr(&init).contains("module outputs are not followed"),
        "{}",
        stderr(&init)
    );
    let text = std::fs::read_to_string(&model).expect("written");
    assert!(
        text.contains("iac: [\"module.jobs.aws_sqs_queue.this\"]"),
        "{text}"
    );
    assert!(
        text.contains("  - notes-thumbnailer -> notes-jobs: { protocol: https }"),
        "{text}"
    );
    let check = run(&["check".as_ref(), model.as_os_str()]);
    assert!(
        stdout(&check).contains(": valid (0 errors"),
        "{}",
        stdout(&check)
    );
    let drift = |fail: bool| {
        let mut command = threatforge();
        command.arg("drift").arg(&model).arg("--iac").arg(&code);
        if fail {
            command.arg("--fail-on-drift");
        }
        command.output().expect("run")
    };
    assert_eq!(
        drift(true).status.code(),
        Some(0),
        "{}",
        stdout(&drift(true))
    );

    let data = code.join("data.tf");
    let source = std::fs::read_to_string(&data).expect("read");
    std::fs::write(
        &data,
        source.replace(
            "  publicly_accessible    = false",
            "  publicly_accessible    = true",
        ),
    )
    .expect("write");
    let drifted = drift(true);
    assert_eq!(drifted.status.code(), Some(1), "{}", stderr(&drifted));
    let line = source
        .lines()
        .position(|l| l.starts_with("resource \"aws_db_instance\" \"notes\""))
        .expect("the database")
        + 1;
    assert!(
        stdout(&drifted).contains(&format!(
            "data.tf:{line}: missing-exposure: component `notes-db`"
        )),
        "{}",
        stdout(&drifted)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A model drafted from the fixtures, then edited, against the unchanged code: the drift
/// reported in each format, with `--fail-on-drift`'s exit code.
fn drifted(format: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("threatforge.yaml");
    let output = run(&[
        "init".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        fixture("compose-shop").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = std::fs::read_to_string(&model).expect("written");
    let text = text
        .replacen("  - api -> cache: { protocol: redis }\n", "", 1)
        .replacen(
            "    iac: [\"compose:mail\"]",
            "    iac: [\"compose:mail\", \"compose:`relay|<b>\"]",
            1,
        );
    std::fs::write(&model, text).expect("edit");
    let output = threatforge()
        .current_dir(fixture(""))
        .arg("drift")
        .arg(&model)
        .args([
            "--fail-on-drift",
            "--format",
            format,
            "--iac",
            "compose-shop",
        ])
        .output()
        .expect("run");
    (output, dir)
}

#[test]
fn drift_in_each_format_fails_the_gate_and_points_at_the_lines() {
    let (human, dir) = drifted("human");
    assert_eq!(human.status.code(), Some(1));
    let shown = stdout(&human).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("drift_human", shown);

    let (markdown, _dir) = drifted("md");
    assert_eq!(markdown.status.code(), Some(1));
    let text = stdout(&markdown);
    // The hostile reference stays inside a code span: no HTML, no broken table.
    assert!(
        text.contains("`` component `mail` names `compose:`relay\\|<b>`"),
        "{text}"
    );
    let html = comrak::markdown_to_html(&text, &comrak::Options::default());
    assert!(!html.contains("<b>"), "{html}");

    let (json, _dir) = drifted("json");
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["summary"]["total"], 2);
    assert_eq!(value["items"][0]["kind"], "missing-flow");
    assert_eq!(value["items"][0]["file"], "compose-shop/docker-compose.yml");
    assert_eq!(value["items"][0]["line"], 25);

    let (sarif, _dir) = drifted("sarif");
    let value: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF");
    // The SARIF 2.1.0 object model of `serde-sarif` reads it (formats.rs holds the report's
    // SARIF to the official schema; this holds drift's to the typed model).
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(value.clone()).expect("SARIF 2.1.0");
    assert_eq!(typed.runs.len(), 1);
    assert_eq!(value["version"], "2.1.0");
    let result = &value["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "missing-flow");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "compose-shop/docker-compose.yml"
    );
    assert_eq!(location["region"]["startLine"], 25);
}

#[test]
fn drift_without_fail_on_drift_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("threatforge.yaml");
    std::fs::write(
        &model,
        "system: { name: s }\ncomponents:\n  a: { technology: api-service, iac: [\"compose:gone\"] }\n",
    )
    .expect("write");
    let output = run(&[
        "drift".as_ref(),
        model.as_os_str(),
        "--iac".as_ref(),
        fixture("compose-shop").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("dangling-reference: component `a` names `compose:gone`"));
    assert!(
        stdout(&output).contains("8 missing-component"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn hostile_infrastructure_code_is_refused_with_its_position_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &str, &str)] = &[
        (
            "compose.yaml",
            "services:\n  a: [unclosed\n",
            "compose.yaml:2:6: invalid YAML",
        ),
        (
            "plan.json",
            "{\"format_version\": \"1.2\", \"planned_values\": [",
            "plan.json:1:45: invalid JSON",
        ),
        (
            "notes.yaml",
            "just: text\n",
            "is neither a Docker Compose file",
        ),
        (
            "main.tf",
            "resource \"aws_vpc\" \"main\" {\n  cidr_block = \n}\n",
            "main.tf:2:",
        ),
        (
            "deep.tf",
            &format!(
                "locals {{ x = {}1{} }}\n",
                "(".repeat(5_000),
                ")".repeat(5_000)
            ),
            "deep.tf:1:",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let output = init_stdout(&path);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(
            stderr(&output).contains(expected),
            "{name}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("help:"), "{name}");
    }

    // An alias bomb stops at the loader's budget.
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let path = dir.path().join("bomb.yaml");
    std::fs::write(&path, bomb).expect("write");
    let output = init_stdout(&path);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("bomb.yaml:"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_directory_given_is_refused_and_not_quoted() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        outside.path().join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: { name: hunter2 }\n",
    )
    .expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("app.yaml"),
    )
    .expect("link");
    let output = init_stdout(dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("app.yaml"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("hunter2"));
    assert!(stdout(&output).is_empty());
}

#[test]
fn check_with_a_code_root_warns_about_code_paths_that_match_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("services/shop")).expect("dirs");
    std::fs::write(dir.path().join("services/shop/main.go"), "package main\n").expect("write");
    let model = dir.path().join("threatforge.yaml");
    std::fs::write(
        &model,
        "system: { name: s }\ncomponents:\n  user: { technology: browser, exposure: internet }\n  shop: { technology: api-service, code: [services/shop/**, services/gone/**] }\nflows:\n  - user -> shop: { protocol: https }\n",
    )
    .expect("write");
    let plain = run(&["check".as_ref(), model.as_os_str()]);
    assert!(!stderr(&plain).contains("code-path-unmatched"));
    let output = threatforge()
        .arg("check")
        .arg(&model)
        .args(["--format", "short", "--code-root"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let shown = stderr(&output).replace(&model.display().to_string(), "<model>");
    assert_eq!(
        shown,
        "<model>:4:61: warning[code-path-unmatched]: code path `services/gone/**` of component `shop` matches no file in the repository\n"
    );
}
