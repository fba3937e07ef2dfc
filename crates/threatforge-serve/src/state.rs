//! What the server knows: its configuration, the model as last loaded (the last good analysis
//! kept beside the diagnostics of a model that stopped being valid), and the channel that tells
//! open pages to reload.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use threatforge_analysis::{Analyzed, Project, ProjectOptions, Source};
use threatforge_model::{SourceMap, Style, render_diagnostic};
use tokio::sync::broadcast;

/// How to serve a model.
#[derive(Clone, Debug)]
pub struct Config {
    /// The root model file.
    pub model: PathBuf,
    /// As the CLI's commands load it: root, team rules, today, rule limits.
    pub options: ProjectOptions,
    /// The address the server is bound to: requests must name it in `Host`.
    pub addr: SocketAddr,
    /// Required from every request (query `token=`, then a cookie) when set: the server then
    /// listens beyond loopback, where anyone on the network could reach it.
    pub token: Option<String>,
    /// The token every state-changing request carries in `X-CSRF-Token`.
    pub csrf: String,
    /// What the overview compares the model with (`--base REV`).
    pub base: Option<Base>,
}

/// The model at a git revision, loaded and analyzed once at start (the front end unpacks it):
/// the overview shows what changed since, computed as `threatforge diff` computes it.
#[derive(Clone)]
pub struct Base {
    /// The revision, as given.
    pub rev: String,
    /// What the base was when it is not the same file at the revision (renamed, or absent and
    /// compared with an empty model), as `diff` says it.
    pub note: Option<String>,
    pub analyzed: Arc<Analyzed>,
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Base")
            .field("rev", &self.rev)
            .field("note", &self.note)
            .finish_non_exhaustive()
    }
}

/// The model as the pages show it.
pub(crate) struct Snapshot {
    /// Counts loads that changed something; pages reload when it moves.
    pub generation: u64,
    /// The last load without errors (`None` until there has been one).
    pub good: Option<Arc<Analyzed>>,
    /// The latest load's diagnostics, rendered as `check` renders them, when it had errors.
    pub errors: Option<String>,
    /// A hash of the model's files as the latest load read them: an edit made from a page that
    /// was rendered from other texts is stale.
    pub version: String,
    /// A hash of every file the latest load read, rule files included: a reload that reads the
    /// same texts changes nothing.
    fingerprint: String,
    /// The files to watch: the model's and the team's rule files.
    pub files: Vec<PathBuf>,
}

/// The state every handler shares.
pub(crate) struct App {
    pub config: Config,
    /// The directory the model's files may not leave, canonical: files are read back inside it.
    pub root: PathBuf,
    snapshot: RwLock<Arc<Snapshot>>,
    pub events: broadcast::Sender<u64>,
    /// One edit at a time: each reads, checks and writes a file, then reloads.
    pub writing: tokio::sync::Mutex<()>,
    /// The state-changing requests of the current window of the rate limit: when it started,
    /// and how many came.
    pub changes: std::sync::Mutex<(std::time::Instant, u32)>,
    /// One load at a time: the watcher's and an edit's would otherwise both compare with the
    /// snapshot before either, and the same texts would make two generations.
    loading: std::sync::Mutex<()>,
    /// The decisions at each commit, for the threats' history, read when first asked for.
    pub history: crate::history::Cache,
}

impl App {
    /// Loads the model once; the server starts even when it is invalid, and shows why.
    pub(crate) fn new(config: Config) -> App {
        let (events, _) = broadcast::channel(16);
        let root = match &config.options.root {
            Some(root) => root.clone(),
            None => match config.model.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            },
        };
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let app = App {
            config,
            root,
            snapshot: RwLock::new(Arc::new(Snapshot {
                generation: 0,
                good: None,
                errors: None,
                version: String::new(),
                fingerprint: String::new(),
                files: Vec::new(),
            })),
            events,
            writing: tokio::sync::Mutex::new(()),
            changes: std::sync::Mutex::new((std::time::Instant::now(), 0)),
            loading: std::sync::Mutex::new(()),
            history: crate::history::Cache::default(),
        };
        app.reload();
        app
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads and analyzes the model again (blocking: call it off the async workers). When the
    /// files read are the ones already shown, nothing changes; otherwise the snapshot moves to
    /// the next generation and open pages are told. Returns the snapshot now shown.
    pub(crate) fn reload(&self) -> Arc<Snapshot> {
        let _one_at_a_time = self
            .loading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let analyzed = Project::load(Source::Path(&self.config.model), &self.config.options);
        let fingerprint = hash_sources(analyzed.sources());
        let previous = self.snapshot();
        if previous.generation > 0 && previous.fingerprint == fingerprint {
            return previous;
        }
        let version = hash_sources(&analyzed.loaded.model.sources);
        let files = analyzed
            .sources()
            .files()
            .map(|(_, f)| f.path.clone())
            .filter(|p| p.is_absolute())
            .collect();
        let (good, errors) = if analyzed.has_errors() {
            let mut rendered = String::new();
            for d in analyzed.diagnostics() {
                rendered.push_str(&render_diagnostic(d, analyzed.sources(), Style::Plain));
                rendered.push('\n');
            }
            (previous.good.clone(), Some(rendered))
        } else {
            (Some(Arc::new(analyzed)), None)
        };
        let next = Arc::new(Snapshot {
            generation: previous.generation + 1,
            good,
            errors,
            version,
            fingerprint,
            files,
        });
        match self.snapshot.write() {
            Ok(mut s) => *s = Arc::clone(&next),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&next),
        }
        // No page listening is not an error.
        let _ = self.events.send(next.generation);
        next
    }
}

/// A hash of the files' names and texts, in order.
pub(crate) fn hash_sources(sources: &SourceMap) -> String {
    hash_texts(sources.files().map(|(_, f)| (f.display.as_str(), &*f.text)))
}

/// A hash of names and texts, each length-prefixed so that no two lists hash alike by
/// concatenation.
pub(crate) fn hash_texts<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = Sha256::new();
    for (name, text) in files {
        for part in [name, text] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::hash_texts;

    #[test]
    fn a_hash_tells_names_and_texts_apart() {
        let hash = |files: &[(&str, &str)]| hash_texts(files.iter().copied());
        let one = hash(&[("a.yaml", "x: 1\n")]);
        assert_eq!(one.len(), 32);
        assert_eq!(one, hash(&[("a.yaml", "x: 1\n")]));
        assert_ne!(one, hash(&[("a.yaml", "x: 2\n")]));
        assert_ne!(one, hash(&[("b.yaml", "x: 1\n")]));
        // Moving text from one file to the next is a change.
        assert_ne!(
            hash(&[("a", "bc"), ("d", "")]),
            hash(&[("a", "b"), ("d", "c")])
        );
    }
}
