//! Files a pull request can plant, through the real binary: symlinks out of the model's root
//! (to `/proc/self/environ`, with a secret in the environment; to another team's rules),
//! devices, FIFOs, and a git revision whose tree holds such links. Each is refused with exit
//! code 2 and a message naming the file, within a watchdog's time, and the secret never
//! appears in any output.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command as Process, Output};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use support::git;

mod support;

/// What CI would hold in its environment; `/proc/self/environ` of threatforge contains it.
const SECRET: &str = "ghp_planted_secret_7f3a9c2e1b4d";

/// Long enough for a slow debug build, short enough that a hang fails the suite rather than
/// stalling it.
const WATCHDOG: Duration = Duration::from_secs(20);

const MODEL: &str = "system: { name: Shop }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application }
flows:
  - shopper -> shop: { protocol: http }
";

/// A valid team rule that fires on `MODEL`; its id appears in any output that loaded it.
const OUTSIDE_RULE: &str = r#"id: planted-outside-rule
title: Planted outside rule
description: A rule from outside the model's root.
stride: information-disclosure
applies_to: { element: flow }
condition: flow.from_internet
explanation: "{{ flow.source.name }} is planted."
likelihood: high
impact: high
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
        u: { technology: browser }
        s: { technology: web-application }
      flows:
        - u -> s: { protocol: http }
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    let started = Instant::now();
    let output = Command::cargo_bin("threatforge")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("THREATFORGE_TODAY", "2026-11-28")
        .env("CI_SECRET_TOKEN", SECRET)
        .args(args)
        .timeout(WATCHDOG)
        .output()
        .expect("run threatforge");
    // A killed process has no exit code: the watchdog fired.
    assert!(
        output.status.code().is_some(),
        "threatforge {args:?} did not finish within {WATCHDOG:?} (ran {:?})",
        started.elapsed()
    );
    output
}

/// Runs threatforge and asserts it refused: exit 2, `expected` in its standard error, and
/// neither the secret nor `absent` anywhere in its output.
fn refused(dir: &Path, args: &[&str], expected: &str, absent: &[&str]) -> Output {
    let output = run(dir, args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = unwrapped(&String::from_utf8_lossy(&output.stderr));
    for text in std::iter::once(SECRET).chain(absent.iter().copied()) {
        assert!(
            !stdout.contains(text) && !stderr.contains(text),
            "threatforge {args:?} printed `{text}`:\n{stdout}\n{stderr}"
        );
    }
    assert_eq!(
        output.status.code(),
        Some(2),
        "threatforge {args:?}:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(expected),
        "threatforge {args:?}: expected `{expected}` in:\n{stderr}"
    );
    output
}

/// The rendered diagnostics with their wrapped lines joined, so that a message can be looked
/// for whatever its width.
fn unwrapped(text: &str) -> String {
    text.lines()
        .map(|line| line.trim_start().trim_start_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `check --format json`: exit 2, the secret nowhere, and `code` among the diagnostics.
fn refused_json(dir: &Path, args: &[&str], code: &str) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = run(dir, &all);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "{stdout}{stderr}"
    );
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&code), "{codes:?} in {stdout}");
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn mkfifo(path: &Path) {
    let status = Process::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A model in `dir` whose `rules.dirs` is `threat-rules`, with `link` in it pointing at `target`.
fn model_with_rule_link(dir: &Path, target: &Path) {
    write(
        &dir.join("threatforge.yaml"),
        &format!("{MODEL}rules: {{ dirs: [threat-rules] }}\n"),
    );
    std::fs::create_dir_all(dir.join("threat-rules")).expect("mkdir");
    symlink(target, dir.join("threat-rules/link.yaml")).expect("symlink");
}

#[test]
fn a_rule_file_linked_to_the_environment_is_refused_from_the_model_and_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    model_with_rule_link(dir.path(), Path::new("/proc/self/environ"));
    let escape = "error[file-escape]";
    let message = "threat-rules/link.yaml` is a symbolic link to a file outside the model's root";
    refused(dir.path(), &["check"], escape, &[]);
    refused(dir.path(), &["check"], message, &[]);
    refused(dir.path(), &["check", "--format", "short"], escape, &[]);
    refused(dir.path(), &["report", "--format", "json"], escape, &[]);
    refused_json(dir.path(), &[], "file-escape");

    // The same directory named on the command line confines its files to itself.
    write(&dir.path().join("plain.yaml"), MODEL);
    let args = ["check", "plain.yaml", "--rules", "threat-rules"];
    refused(
        dir.path(),
        &args,
        "link.yaml` is a symbolic link to a file outside the rule directory",
        &[],
    );
    refused_json(
        dir.path(),
        &["plain.yaml", "--rules", "threat-rules"],
        "file-escape",
    );
    refused(
        dir.path(),
        &["rules", "list", "--rules", "threat-rules"],
        escape,
        &[],
    );
    refused(dir.path(), &["rules", "test", "threat-rules"], escape, &[]);
}

#[test]
fn a_root_model_linked_to_the_environment_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    symlink("/proc/self/environ", dir.path().join("threatforge.yaml")).expect("symlink");
    let message = "threatforge.yaml` is a symbolic link to a file outside the model's root";
    // Found by name, and given.
    refused(dir.path(), &["check"], message, &[]);
    refused(dir.path(), &["check", "threatforge.yaml"], message, &[]);
    refused(dir.path(), &["report"], "error[file-escape]", &[]);
    refused(dir.path(), &["diagram"], "error[file-escape]", &[]);
    refused_json(dir.path(), &[], "file-escape");
}

#[test]
fn a_rule_file_linked_to_a_valid_rule_outside_the_root_is_not_loaded() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(&outer.path().join("elsewhere/rule.yaml"), OUTSIDE_RULE);
    let dir = outer.path().join("model");
    model_with_rule_link(&dir, &outer.path().join("elsewhere/rule.yaml"));
    let planted = ["planted-outside-rule", "is planted"];
    refused(&dir, &["check"], "error[file-escape]", &planted);
    refused(
        &dir,
        &["report", "--format", "json"],
        "file-escape",
        &planted,
    );
    refused_json(&dir, &[], "file-escape");
    // Copied in, the same rule loads and fires: the refusal above was the link's.
    std::fs::remove_file(dir.join("threat-rules/link.yaml")).expect("remove");
    write(&dir.join("threat-rules/rule.yaml"), OUTSIDE_RULE);
    let output = run(&dir, &["report", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("planted-outside-rule:shopper->shop"));
}

/// Whether a file exists outside the root is not told either: a link to a missing file out
/// there is refused as one to a present file is.
#[test]
fn a_rule_file_linked_to_a_missing_file_outside_is_refused_the_same_way() {
    let outer = tempfile::tempdir().expect("temp dir");
    let dir = outer.path().join("model");
    model_with_rule_link(&dir, &outer.path().join("no-such-dir/rule.yaml"));
    refused(
        &dir,
        &["check"],
        "link.yaml` is a symbolic link to a file outside the model's root",
        &[],
    );
}

#[test]
fn devices_in_a_rule_directory_end_at_once() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let dir = tempfile::tempdir().expect("temp dir");
        model_with_rule_link(dir.path(), Path::new(device));
        let started = Instant::now();
        refused(dir.path(), &["check"], "error[file-escape]", &[]);
        // Even with a root that holds `/dev`, a device is refused by its type, not read.
        refused(
            dir.path(),
            &["check", "--root", "/"],
            "link.yaml` is not a regular file (a symbolic link to a character device)",
            &[],
        );
        refused(
            dir.path(),
            &["rules", "list", "--rules", "threat-rules"],
            "error[file-escape]",
            &[],
        );
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{device}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn fifos_are_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    mkfifo(&root.join("pipe.yaml"));
    let not_regular = "pipe.yaml` is not a regular file (a FIFO)";

    // As the model, given or reached through a link.
    refused(root, &["check", "pipe.yaml"], not_regular, &[]);
    refused_json(root, &["pipe.yaml"], "not-regular-file");
    symlink("pipe.yaml", root.join("linked.yaml")).expect("symlink");
    refused(
        root,
        &["check", "linked.yaml"],
        "linked.yaml` is not a regular file (a symbolic link to a FIFO)",
        &[],
    );

    // As an include, directly and through a link.
    write(
        &root.join("includes.yaml"),
        &format!("{MODEL}include: [pipe.yaml]\n"),
    );
    refused(root, &["check", "includes.yaml"], not_regular, &[]);
    write(
        &root.join("includes-link.yaml"),
        &format!("{MODEL}include: [linked.yaml]\n"),
    );
    refused(
        root,
        &["check", "includes-link.yaml"],
        "error[not-regular-file]",
        &[],
    );

    // As a rule file, from the model's directories and from the command line.
    std::fs::create_dir(root.join("threat-rules")).expect("mkdir");
    mkfifo(&root.join("threat-rules/pipe.yaml"));
    write(
        &root.join("with-rules.yaml"),
        &format!("{MODEL}rules: {{ dirs: [threat-rules] }}\n"),
    );
    refused(root, &["check", "with-rules.yaml"], not_regular, &[]);
    write(&root.join("plain.yaml"), MODEL);
    refused(
        root,
        &["check", "plain.yaml", "--rules", "threat-rules"],
        not_regular,
        &[],
    );
    refused(root, &["rules", "test", "threat-rules"], not_regular, &[]);

    // And as a file to import.
    refused(
        root,
        &["import", "pipe.yaml", "--from", "otm"],
        not_regular,
        &[],
    );
    refused(
        root,
        &["import", "/dev/zero", "--from", "otm"],
        "is not a regular file (a character device)",
        &[],
    );
}

// ---- diff --base: a revision whose tree holds links -------------------------------------

/// A repository whose first commit is made by `plant` (relative to the repository) and whose
/// working tree then holds an ordinary model at `model/threatforge.yaml`.
fn repo_with_planted_base(plant: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    plant(repo);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "planted"]);
    let model = repo.join("model");
    if std::fs::symlink_metadata(&model).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&model).expect("remove link");
    }
    let path = model.join("threatforge.yaml");
    if std::fs::symlink_metadata(&path).is_ok() {
        std::fs::remove_file(&path).expect("remove");
    }
    write(&path, MODEL);
    dir
}

fn diff_base_refused(repo: &Path, expected: &str, absent: &[&str]) {
    let args = ["diff", "--base", "HEAD", "model/threatforge.yaml"];
    refused(repo, &args, expected, absent);
    let args = [
        "diff",
        "--base",
        "HEAD",
        "model/threatforge.yaml",
        "--format",
        "json",
    ];
    refused(repo, &args, expected, absent);
}

#[test]
fn diff_base_refuses_a_model_committed_as_a_link_to_the_environment() {
    let repo = repo_with_planted_base(|repo| {
        std::fs::create_dir(repo.join("model")).expect("mkdir");
        symlink("/proc/self/environ", repo.join("model/threatforge.yaml")).expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "has `model/threatforge.yaml` as a link to `/proc/self/environ`",
        &[],
    );
}

#[test]
fn diff_base_refuses_a_rule_file_committed_as_a_link_out_of_the_repository() {
    let outside = tempfile::tempdir().expect("temp dir");
    write(&outside.path().join("rule.yaml"), OUTSIDE_RULE);
    let target = outside.path().join("rule.yaml");
    let repo = repo_with_planted_base(|repo| {
        write(
            &repo.join("model/threatforge.yaml"),
            &format!("{MODEL}rules: {{ dirs: [threat-rules] }}\n"),
        );
        std::fs::create_dir(repo.join("model/threat-rules")).expect("mkdir");
        symlink(&target, repo.join("model/threat-rules/env.yaml")).expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "has `model/threat-rules/env.yaml` as a link to",
        &["planted-outside-rule"],
    );

    // A relative link that climbs out is refused the same way.
    let repo = repo_with_planted_base(|repo| {
        write(
            &repo.join("model/threatforge.yaml"),
            &format!("{MODEL}rules: {{ dirs: [threat-rules] }}\n"),
        );
        std::fs::create_dir(repo.join("model/threat-rules")).expect("mkdir");
        symlink(
            "../../../../../../../../proc/self/environ",
            repo.join("model/threat-rules/env.yaml"),
        )
        .expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "has `model/threat-rules/env.yaml` as a link to",
        &[],
    );
}

#[test]
fn diff_base_refuses_a_model_directory_committed_as_a_link_out_of_the_repository() {
    let outside = tempfile::tempdir().expect("temp dir");
    write(
        &outside.path().join("threatforge.yaml"),
        "system: { name: Planted outside model }\ncomponents:\n  planted-component: { technology: browser }\n",
    );
    let target = outside.path().to_path_buf();
    let repo = repo_with_planted_base(|repo| {
        symlink(&target, repo.join("model")).expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "has `model` as a link to",
        &["planted-component", "Planted outside model"],
    );
}

/// A link that looks inside by its text but leaves through another link (`d` stands for the
/// archive's top, so each `..` after it climbs out) passes the check while unpacking; the loader,
/// confined to the unpacked tree, refuses it.
#[test]
fn diff_base_refuses_links_that_leave_only_through_another_link() {
    const DEEP: &str = "model/a/b/c/d/e/f/g/h";
    let through = format!("a/b/c/d/e/f/g/h/top/{}proc/self/environ", "../".repeat(8));
    let repo = repo_with_planted_base(|repo| {
        std::fs::create_dir_all(repo.join(DEEP)).expect("mkdir");
        symlink("../../../../../../../../..", repo.join(DEEP).join("top")).expect("symlink");
        symlink(&through, repo.join("model/threatforge.yaml")).expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "threatforge.yaml` is a symbolic link to a file outside the model's root",
        &[],
    );

    let repo = repo_with_planted_base(|repo| {
        std::fs::create_dir_all(repo.join(DEEP)).expect("mkdir");
        symlink("../../../../../../../../..", repo.join(DEEP).join("top")).expect("symlink");
        write(
            &repo.join("model/threatforge.yaml"),
            &format!("{MODEL}rules: {{ dirs: [threat-rules] }}\n"),
        );
        std::fs::create_dir(repo.join("model/threat-rules")).expect("mkdir");
        symlink(
            format!("../{through}"),
            repo.join("model/threat-rules/env.yaml"),
        )
        .expect("symlink");
    });
    diff_base_refused(
        repo.path(),
        "env.yaml` is a symbolic link to a file outside the model's root",
        &[],
    );
}
