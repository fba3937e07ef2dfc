//! A threat's history of decisions, read from git when its page is opened: the commits that
//! changed the model's YAML files, each revision's decisions loaded by the model crate's loader,
//! and the changes of the decisions that cover the threat between one revision and the next
//! (`threatforge_analysis::decision_changes`, pure and tested without git).
//!
//! Git is run here rather than in the CLI (which runs it for `--base`) because the dashboard
//! needs it at request time, long after the CLI handed over. Only local commands are run
//! (`rev-parse`, `log`, `ls-tree`, `cat-file`), with lazy fetching of a partial clone's missing
//! objects turned off, so nothing reaches the network; the work is bounded by a number of
//! commits, a time limit and a budget of bytes read from git. The revisions' decisions are
//! cached for the commit `HEAD` names; a new commit reads them again.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use threatforge_analysis::{DecisionChange, decision_changes};
use threatforge_model::{Decision, Limits, LoadOptions};

/// Commits read, the most recent that changed the model's files.
pub(crate) const MAX_COMMITS: usize = 200;
/// The time one reading of the history may take, every git command and load included.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// The bytes one reading of the history may take from git, every command's output included.
const MAX_GIT_BYTES: u64 = 256 * 1024 * 1024;

/// A commit, as the history shows it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Commit {
    pub short: String,
    pub date: String,
    pub author: String,
    pub subject: String,
}

/// The model's decisions at one commit.
struct Revision {
    commit: Commit,
    decisions: Vec<Decision>,
}

/// The decisions at every commit read, oldest first, and before the oldest.
pub(crate) struct Timeline {
    before: Vec<Decision>,
    revisions: Vec<Revision>,
    /// More commits changed the model's files than were read.
    pub truncated: bool,
}

/// A commit that changed the decisions covering a threat.
#[derive(Debug, Serialize)]
pub(crate) struct Entry {
    pub commit: Commit,
    pub changes: Vec<DecisionChange>,
}

impl Timeline {
    /// The commits that changed the decisions covering a threat known by `ids` (its own and
    /// those it absorbed), newest first.
    pub(crate) fn entries(&self, ids: &[&str]) -> Vec<Entry> {
        let mut previous = &self.before;
        let mut out = Vec::new();
        for revision in &self.revisions {
            let changes = decision_changes(previous, &revision.decisions, ids);
            if !changes.is_empty() {
                out.push(Entry {
                    commit: revision.commit.clone(),
                    changes,
                });
            }
            previous = &revision.decisions;
        }
        out.reverse();
        out
    }
}

/// The timeline of the commit `HEAD` named when it was read, or why there is none.
#[derive(Default)]
pub(crate) struct Cache {
    // Held while reading, so that pages opened together read the history once.
    // A failure is kept too: one that ran out of time would otherwise cost every page as much.
    read: Mutex<Option<(String, Reading)>>,
}

/// A reading of the history: the timeline, or why there is none.
type Reading = Result<Arc<Timeline>, String>;

impl Cache {
    /// The timeline of the model `model` confined to `root`, read now unless `HEAD` is where
    /// it was at the last reading. Blocking: call it off the async workers.
    pub(crate) fn timeline(&self, model: &Path, root: &Path, limits: &Limits) -> Reading {
        let mut cached = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let model = std::fs::canonicalize(model)
            .map_err(|e| format!("cannot read `{}`: {e}", model.display()))?;
        let dir = model.parent().unwrap_or(root);
        let mut git = Git::new(dir);
        let top = git.run(&["rev-parse", "--show-toplevel"]).map_err(|e| {
            if e.starts_with("cannot run git") {
                e
            } else {
                "the model is not in a git repository".to_owned()
            }
        })?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        let top = std::fs::canonicalize(&top).unwrap_or(top);
        git.dir = top.clone();
        let head = git
            .run(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
            .map_err(|_| "the repository has no commit yet".to_owned())?;
        let head = String::from_utf8_lossy(&head).trim().to_owned();
        if let Some((at, timeline)) = cached.as_ref()
            && *at == head
        {
            return timeline.clone();
        }
        let relative = |path: &Path| -> Result<String, String> {
            path.strip_prefix(&top)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .map_err(|_| "the model's directory is outside its git repository".to_owned())
        };
        let model_path = relative(&model)?;
        // The model's files are confined to the root; a root outside the repository (an
        // unusual `--root`) is read from the model's directory.
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let root_path = relative(&root).or_else(|_| relative(dir))?;
        let timeline = read(&mut git, &head, &model_path, &root_path, limits).map(Arc::new);
        *cached = Some((head, timeline.clone()));
        timeline
    }
}

/// Reads the decisions of the model at `model` (from the repository's top) at each of the
/// last commits before `head` that changed a YAML file under `root`, or the model itself.
fn read(
    git: &mut Git,
    head: &str,
    model: &str,
    root: &str,
    limits: &Limits,
) -> Result<Timeline, String> {
    let under = |pattern: &str| {
        if root.is_empty() {
            format!(":(glob){pattern}")
        } else {
            format!(":(glob){}/{pattern}", glob_escape(root))
        }
    };
    let count = format!("-n{}", MAX_COMMITS + 1);
    let literal = format!(":(literal){model}");
    let (yaml, yml) = (under("**/*.yaml"), under("**/*.yml"));
    let log = git.run(&[
        "-c",
        "log.showSignature=false",
        "log",
        "-z",
        "--no-color",
        "--format=%H%x1f%h%x1f%as%x1f%an%x1f%s",
        &count,
        head,
        "--",
        &literal,
        &yaml,
        &yml,
    ])?;
    let mut commits: Vec<(String, Commit)> = Vec::new();
    for record in log.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let fields: Vec<&str> = record.trim_start_matches('\n').split('\x1f').collect();
        let [hash, short, date, author, subject] = fields.as_slice() else {
            return Err("git log answered in an unexpected form".to_owned());
        };
        commits.push((
            (*hash).to_owned(),
            Commit {
                short: (*short).to_owned(),
                date: (*date).to_owned(),
                author: (*author).to_owned(),
                subject: (*subject).to_owned(),
            },
        ));
    }
    // The commit past the limit only says what the decisions were before the oldest read.
    let truncated = commits.len() > MAX_COMMITS;
    let before_oldest = if truncated { commits.pop() } else { None };
    commits.reverse();
    let mut blobs = Blobs::default();
    let before = match before_oldest {
        Some((hash, _)) => decisions_at(git, &mut blobs, &hash, model, root, limits)?,
        None => Vec::new(),
    };
    let mut revisions = Vec::with_capacity(commits.len());
    for (hash, commit) in commits {
        let decisions = decisions_at(git, &mut blobs, &hash, model, root, limits)?;
        revisions.push(Revision { commit, decisions });
    }
    Ok(Timeline {
        before,
        revisions,
        truncated,
    })
}

/// `text` with the characters a glob pathspec reads specially escaped.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Blob texts already read, by object id: most files are the same from one commit to the next.
#[derive(Default)]
struct Blobs(HashMap<String, Arc<Vec<u8>>>);

/// The model's decisions at `commit`: its YAML files under `root` (and the root file) written
/// into a temporary directory as they were, and the root file loaded from there, includes and
/// all. A model absent at that commit has none; one with errors has what could be read.
fn decisions_at(
    git: &mut Git,
    blobs: &mut Blobs,
    commit: &str,
    model: &str,
    root: &str,
    limits: &Limits,
) -> Result<Vec<Decision>, String> {
    let spec = if root.is_empty() { "." } else { root };
    let listing = git.run(&[
        "ls-tree",
        "-r",
        "-z",
        "-l",
        "--full-tree",
        commit,
        "--",
        spec,
    ])?;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let mut files = 0usize;
    let mut found_root = false;
    for entry in listing.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        // `<mode> <type> <object> <size>\t<path>`
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let meta: Vec<&str> = meta.split_whitespace().collect();
        let [_, "blob", object, size] = meta.as_slice() else {
            continue;
        };
        let wanted = path == model || path.ends_with(".yaml") || path.ends_with(".yml");
        let size: u64 = size.parse().unwrap_or(u64::MAX);
        if !wanted || size > limits.max_file_bytes {
            continue;
        }
        let Some(relative) = under(path, root) else {
            continue;
        };
        // Paths from git never climb, but a hostile tree is not trusted to follow that.
        if relative.is_empty()
            || Path::new(relative)
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        files += 1;
        if files > limits.max_files.saturating_mul(4) {
            return Err(format!(
                "more than {} YAML files under the model's directory at one commit",
                limits.max_files.saturating_mul(4)
            ));
        }
        let text = match blobs.0.get(*object) {
            Some(text) => Arc::clone(text),
            None => {
                let text = Arc::new(git.run(&["cat-file", "blob", object])?);
                blobs.0.insert((*object).to_owned(), Arc::clone(&text));
                text
            }
        };
        let target = dir.path().join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        }
        std::fs::write(&target, &*text)
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        found_root |= path == model;
    }
    if !found_root {
        return Ok(Vec::new());
    }
    let Some(model_in) = under(model, root) else {
        return Ok(Vec::new());
    };
    let loaded = threatforge_model::load(
        &dir.path().join(model_in),
        &LoadOptions {
            limits: limits.clone(),
            root_dir: Some(dir.path().to_path_buf()),
        },
    );
    Ok(loaded.model.decisions)
}

/// `path` from the directory `root` (both from the repository's top), when it is inside.
fn under<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    if root.is_empty() {
        return Some(path);
    }
    path.strip_prefix(root)?.strip_prefix('/')
}

/// Runs git in one directory within one reading's time and byte budget.
struct Git {
    dir: PathBuf,
    deadline: Instant,
    bytes_left: u64,
}

impl Git {
    fn new(dir: &Path) -> Git {
        Git {
            dir: dir.to_path_buf(),
            deadline: Instant::now() + TIME_LIMIT,
            bytes_left: MAX_GIT_BYTES,
        }
    }

    /// The command's standard output, or why there is none: git missing or failing, or the
    /// budget spent.
    fn run(&mut self, args: &[&str]) -> Result<Vec<u8>, String> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            // A partial clone would fetch missing objects from its remote: never.
            .env("GIT_NO_LAZY_FETCH", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("git gave no output".to_owned());
        };
        let limit = self.bytes_left;
        // Read beside the wait, so that a full pipe never stalls git; past the budget the pipe
        // is closed and git stops.
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let read = stdout.take(limit.saturating_add(1)).read_to_end(&mut out);
            read.map(|_| out)
        });
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= self.deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = reader.join();
                    return Err(format!(
                        "reading it from git took longer than {} s",
                        TIME_LIMIT.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(format!("git failed: {e}")),
            }
        };
        let out = match reader.join() {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return Err(format!("cannot read git's output: {e}")),
            Err(_) => return Err("cannot read git's output".to_owned()),
        };
        if out.len() as u64 > limit {
            return Err(format!(
                "git's output exceeded {} MiB",
                MAX_GIT_BYTES / (1024 * 1024)
            ));
        }
        if !status.success() {
            return Err("a git command failed (is the repository complete?)".to_owned());
        }
        self.bytes_left -= out.len() as u64;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{glob_escape, under};

    #[test]
    fn a_directory_name_is_a_literal_in_a_glob_pathspec() {
        assert_eq!(glob_escape("models"), "models");
        assert_eq!(glob_escape("a*b/[x]?"), "a\\*b/\\[x\\]\\?");
    }

    #[test]
    fn a_path_is_under_a_directory_only_past_a_slash() {
        assert_eq!(under("m/t.yaml", ""), Some("m/t.yaml"));
        assert_eq!(under("m/t.yaml", "m"), Some("t.yaml"));
        assert_eq!(under("m2/t.yaml", "m"), None);
    }
}
