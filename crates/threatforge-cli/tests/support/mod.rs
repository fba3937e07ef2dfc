//! What the CLI's integration tests share: the binary with a fixed environment, the repository's
//! paths, whether this is CI, and git repositories for `diff --base`.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

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

/// A running server, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    pub(crate) agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `threatforge serve MODEL --port 0` and reads the address it prints.
    pub(crate) fn start(model: &Path) -> Server {
        Server::start_with(model, &[])
    }

    /// Starts `threatforge serve MODEL --port 0 ARGS...` and reads the address it prints.
    pub(crate) fn start_with(model: &Path, args: &[&str]) -> Server {
        let mut child = Process::new(assert_cmd::cargo::cargo_bin("threatforge"))
            .env("NO_COLOR", "1")
            .env("THREATFORGE_TODAY", TODAY)
            .arg("serve")
            .arg(model)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start threatforge serve");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the address line");
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
            "printed {url:?}"
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        Server { child, url, agent }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .agent
            .get(format!("{}{path}", self.url.trim_end_matches('/')))
            .call()
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.into_body().read_to_string().expect("body"))
    }

    /// Polls `path` until its page satisfies `done`, for up to 30 s.
    pub(crate) fn wait_for(&self, path: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, page) = self.get(path);
            if done(&page) {
                return page;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}:\n{page}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
