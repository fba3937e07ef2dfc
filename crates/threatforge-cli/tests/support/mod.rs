//! What the CLI's integration tests share: the binary with a fixed environment, the repository's
//! paths, whether this is CI, and git repositories for `diff --base`.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

/// The day every test runs on, so that decisions with an expiry date give the same output
/// every day. A test about expiry passes `--today` or sets the variable again.
pub(crate) const TODAY: &str = "2026-11-28";

/// Standard error with the renderer's line wrapping undone: words separated by single spaces.
pub(crate) fn stderr_words(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The binary, without colors, on [`TODAY`].
pub(crate) fn threatforge() -> Command {
    let mut command = Command::cargo_bin("threatforge").expect("binary");
    command.env("NO_COLOR", "1").env("THREATFORGE_TODAY", TODAY);
    command
}

/// The top of the repository.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped examples' model files, sorted.
pub(crate) fn examples() -> Vec<PathBuf> {
    let dir = repo().join("examples");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("threatforge.yaml"))
        .filter(|p| p.is_file())
        .collect();
    models.sort();
    models
}

/// Under CI a test whose tools are missing fails rather than skips.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Runs git in `dir` with a fixed author, and asserts it succeeded.
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let status = Process::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}
