//! The install path teams copy (`ci/`, `.pre-commit-hooks.yaml`, `Dockerfile`): the files parse,
//! and every `threatforge` command line in them is run by the real binary on a shipped example in
//! a git repository, so a renamed flag or value, or a step that reads a file no command writes,
//! breaks this test.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use support::git;

fn read(relative: &str) -> String {
    std::fs::read_to_string(support::repo().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn yaml(relative: &str) -> Value {
    serde_saphyr::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

/// The `threatforge` invocations in shell script text, one per line, with the variables
/// replaced by `vars` and anything after the first shell operator dropped (`|| status=$?`).
fn invocations(script: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        if !line.starts_with("threatforge ") {
            continue;
        }
        let mut line = line.to_owned();
        for (name, value) in vars {
            line = line.replace(name, value);
        }
        let end = line.find(['|', '&', ';', '>']).unwrap_or(line.len());
        let command = line[..end].trim();
        assert!(
            !command.contains(['$', '"', '\'', '`', '\\']),
            "`{command}`: an unknown variable or quoting; give this test its value"
        );
        out.push(command.split_whitespace().map(str::to_owned).collect());
    }
    out
}

/// A git repository holding a shipped example as `threatforge.yaml`, with `main` and
/// `origin/main` at its only commit, as a CI checkout of a pull request has.
fn example_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    std::fs::copy(
        support::repo().join("examples/online-shop/threatforge.yaml"),
        repo.join("threatforge.yaml"),
    )
    .expect("copy the example");
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "model"]);
    git(repo, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    dir
}

/// Runs each invocation (its first word is `threatforge`) in the repository: the arguments must
/// be accepted and the model read (exit 0, or 1 when a gate fails; never 2), and every `-o` file
/// written. Returns the files written.
fn run_all(invocations: &[Vec<String>], repo: &Path) -> Vec<String> {
    let mut written = Vec::new();
    for words in invocations {
        assert_eq!(words[0], "threatforge");
        let output = Command::cargo_bin("threatforge")
            .expect("binary")
            .current_dir(repo)
            .env("NO_COLOR", "1")
            .env("THREATFORGE_TODAY", "2026-11-28")
            .args(&words[1..])
            .output()
            .expect("run");
        let code = output.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "`{}` exited {code:?}:\n{}",
            words.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        if let Some(i) = words.iter().position(|w| w == "-o" || w == "--output") {
            let file = words.get(i + 1).expect("a file after -o");
            assert!(
                repo.join(file).is_file(),
                "`{}` wrote no {file}",
                words.join(" ")
            );
            written.push(file.clone());
        }
    }
    written
}

/// The subcommands and flags the CI files must use, in some invocation.
fn assert_covers(invocations: &[Vec<String>], needed: &[&[&str]], file: &str) {
    for words in needed {
        assert!(
            invocations
                .iter()
                .any(|inv| words.iter().all(|w| inv.iter().any(|x| x == w))),
            "{file} runs no `threatforge` with {words:?}: {invocations:?}"
        );
    }
}

const CI_NEEDS: &[&[&str]] = &[
    &["check", "--fail-on"],
    &["report", "--format", "sarif"],
    &["diff", "--base", "--format", "md", "--fail-on-new"],
];

#[test]
fn the_github_workflow_runs_commands_the_cli_accepts() {
    let file = "ci/github/threatforge.yml";
    let workflow = yaml(file);
    let model = str_of(
        &workflow["env"]["THREATFORGE_MODEL"],
        "env.THREATFORGE_MODEL",
    );
    let vars = [
        ("${{ github.base_ref }}", "main"),
        ("$THREATFORGE_MODEL", model),
    ];
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let steps: Vec<&Value> = jobs
        .values()
        .flat_map(|job| job["steps"].as_array().expect("steps"))
        .collect();
    let invocations: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|step| step["run"].as_str())
        .flat_map(|run| invocations(run, &vars))
        .collect();
    assert_covers(&invocations, CI_NEEDS, file);
    let repo = example_repository();
    let written = run_all(&invocations, repo.path());
    // What the later steps read is what a command wrote.
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploading SARIF to code scanning");
    let sarif = str_of(&upload["with"]["sarif_file"], "sarif_file");
    assert!(written.iter().any(|w| w == sarif), "{sarif} vs {written:?}");
    let comment = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|run| run.starts_with("gh pr comment"))
        .expect("a step commenting on the pull request");
    assert!(
        written
            .iter()
            .any(|w| w.ends_with(".md") && comment.contains(&format!("--body-file {w}"))),
        "{comment} vs {written:?}"
    );
    let permissions = &jobs["threatforge"]["permissions"];
    assert_eq!(permissions["security-events"], "write");
    assert_eq!(permissions["pull-requests"], "write");
}

#[test]
fn the_gitlab_job_runs_commands_the_cli_accepts() {
    let file = "ci/gitlab/threatforge.gitlab-ci.yml";
    let ci = yaml(file);
    let job = &ci["threatforge"];
    let model = str_of(
        &job["variables"]["THREATFORGE_MODEL"],
        "variables.THREATFORGE_MODEL",
    );
    let vars = [
        ("$CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ("$THREATFORGE_MODEL", model),
    ];
    let invocations: Vec<Vec<String>> = job["script"]
        .as_array()
        .expect("script")
        .iter()
        .flat_map(|line| invocations(str_of(line, "a script line"), &vars))
        .collect();
    assert_covers(&invocations, CI_NEEDS, file);
    let repo = example_repository();
    let written = run_all(&invocations, repo.path());
    let artifacts: Vec<&str> = job["artifacts"]["paths"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|p| str_of(p, "an artifact path"))
        .collect();
    let mut expected: Vec<&str> = written.iter().map(String::as_str).collect();
    expected.sort_unstable();
    let mut artifacts = artifacts;
    artifacts.sort_unstable();
    assert_eq!(artifacts, expected, "the artifacts are the files written");
    // The image's entrypoint is threatforge; GitLab runs the script with a shell.
    assert_eq!(job["image"]["entrypoint"], serde_json::json!([""]));
}

#[test]
fn the_pre_commit_hooks_run_commands_the_cli_accepts() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    assert!(hooks.len() >= 2, "{hooks:?}");
    let repo = example_repository();
    for hook in hooks {
        for key in ["id", "name", "entry", "language"] {
            str_of(&hook[key], key);
        }
        // The model is found from the working directory, not from the changed files.
        assert_eq!(hook["pass_filenames"], false, "{hook}");
        let args: Vec<&str> = hook["args"]
            .as_array()
            .map(|a| a.iter().map(|x| str_of(x, "an arg")).collect())
            .unwrap_or_default();
        let line = format!("{} {}", str_of(&hook["entry"], "entry"), args.join(" "));
        let invocations = invocations(&line, &[]);
        assert_eq!(invocations.len(), 1, "{line}");
        assert_covers(&invocations, &[&["check"]], ".pre-commit-hooks.yaml");
        run_all(&invocations, repo.path());
    }
    // The docker hook builds the Dockerfile beside the hooks file.
    assert!(hooks.iter().any(|h| h["language"] == "docker"));
    assert!(support::repo().join("Dockerfile").is_file());
}

#[test]
fn the_dockerfile_builds_the_cli_with_the_workspace_toolchain() {
    let dockerfile = read("Dockerfile");
    let cargo = read("Cargo.toml");
    let rust_version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version in Cargo.toml")
        .trim_matches('"');
    assert!(
        dockerfile.contains(&format!("FROM rust:{rust_version}-")),
        "the Dockerfile's toolchain is not the workspace's rust-version {rust_version}"
    );
    assert!(dockerfile.contains("cargo build --release --locked -p threatforge-cli"));
    // The binary copied into the runtime image is the one the package builds.
    let manifest = read("crates/threatforge-cli/Cargo.toml");
    assert!(manifest.contains("name = \"threatforge\""));
    assert!(dockerfile.contains("target/release/threatforge /usr/local/bin/threatforge"));
    assert!(dockerfile.contains("ENTRYPOINT [\"threatforge\"]"));
    // A runtime stage: the toolchain is not shipped.
    let stages = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert_eq!(stages, 2, "a build stage and a small runtime stage");
}
