//! Live: the directories of the model's files and the team's rule files are watched (not the
//! files, which editors replace by renaming a new one over them); a change is loaded again after
//! a short quiet time, and the pages are told when what was read differs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::state::App;

/// How long the files must be quiet before they are read: an editor's save, or a checkout, is
/// several events.
const QUIET: Duration = Duration::from_millis(150);

/// Starts watching on a thread of its own, for as long as the process runs.
pub(crate) fn spawn(app: Arc<App>) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver lives as long as the process; a send fails only while it exits.
        let _ = tx.send(event);
    })
    .map_err(|e| format!("cannot watch the model's files: {e}"))?;
    // Watched before the server answers: a file saved right after the first page loads is seen.
    let mut watched = BTreeSet::new();
    rewatch(&mut watcher, &mut watched, &app.snapshot().files);
    std::thread::Builder::new()
        .name("threatforge-watch".to_owned())
        .spawn(move || run(&app, watcher, watched, &rx))
        .map_err(|e| format!("cannot start the watcher: {e}"))?;
    Ok(())
}

fn run(
    app: &App,
    mut watcher: impl Watcher,
    mut watched: BTreeSet<PathBuf>,
    rx: &Receiver<notify::Result<notify::Event>>,
) {
    while let Ok(event) = rx.recv() {
        let mut relevant = is_relevant(&event);
        // Drain what follows within the quiet time.
        let mut deadline = Instant::now() + QUIET;
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(event) => {
                    relevant |= is_relevant(&event);
                    deadline = Instant::now() + QUIET;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if relevant {
            let snapshot = app.reload();
            rewatch(&mut watcher, &mut watched, &snapshot.files);
        }
    }
}

/// A change to a YAML or JSON file (a model file, an include, a rule file), or an error of the
/// watcher, after which the files are read again to be sure.
fn is_relevant(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Ok(event) => event.paths.iter().any(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        }),
        Err(_) => true,
    }
}

/// Watches the directories of `files` (and no others: an include removed is no longer watched).
fn rewatch(watcher: &mut impl Watcher, watched: &mut BTreeSet<PathBuf>, files: &[PathBuf]) {
    let wanted: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    for gone in watched.difference(&wanted) {
        let _ = watcher.unwatch(gone);
    }
    for dir in wanted.difference(watched) {
        // A directory that cannot be watched (removed meanwhile) is tried again after the next
        // change that is seen.
        let _ = watcher.watch(dir, RecursiveMode::NonRecursive);
    }
    *watched = wanted;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_model_and_rule_files_and_errors_count() {
        let event = |path: &str| {
            Ok(notify::Event::new(notify::EventKind::Any).add_path(PathBuf::from(path)))
        };
        assert!(is_relevant(&event("/m/threatforge.yaml")));
        assert!(is_relevant(&event("/m/rules/team.yml")));
        assert!(is_relevant(&event("/m/model.json")));
        assert!(!is_relevant(&event("/m/.threatforge.yaml.swp")));
        assert!(!is_relevant(&event("/m/notes.md")));
        assert!(is_relevant(&Err(notify::Error::generic("lost events"))));
    }
}
