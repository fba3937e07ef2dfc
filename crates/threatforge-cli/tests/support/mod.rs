//! What the CLI tests share: git repositories for `diff --base`.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed author, and asserts it succeeded.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
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
