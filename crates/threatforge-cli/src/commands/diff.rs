//! `threatforge diff`: what a change does to the model and its risks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{find_model, load_and_analyze};
use crate::cli::{DiffArgs, DiffFormat};
use crate::terminal::{Terminal, eprint, write_output};

/// Largest git archive read for `--base`.
const MAX_ARCHIVE_BYTES: u64 = 512 * 1024 * 1024;

pub fn run(args: DiffArgs, term: &Terminal) -> Result<u8, String> {
    let today = super::today(args.today.as_deref())?;
    // Keeps the old version's files alive until the analysis is done.
    let mut checkout_dir: Option<tempfile::TempDir> = None;
    let (old_path, new_path) = match (&args.base, &args.first, &args.second) {
        (Some(rev), model, None) => {
            let model = find_model(model.as_deref())?;
            let (dir, old) = checkout(rev, &model)?;
            checkout_dir = Some(dir);
            (old, model)
        }
        (None, Some(old), Some(new)) => (old.clone(), new.clone()),
        (Some(_), _, Some(_)) => {
            return Err("with --base, give one model (the working tree's)".to_owned());
        }
        _ => return Err("give OLD and NEW models, or --base REV".to_owned()),
    };
    // The old version's files stay inside the unpacked tree: a link committed at the model's
    // path, in a rule directory or for the model's directory is refused, not followed.
    let old_root = checkout_dir.as_ref().map(tempfile::TempDir::path);
    let old = load_and_analyze(&old_path, old_root, &args.rules, Some(today.clone()))?;
    let new = load_and_analyze(&new_path, None, &args.rules, Some(today))?;
    let mut invalid = false;
    for (label, analyzed) in [("old", &old), ("new", &new)] {
        if analyzed.has_errors() {
            invalid = true;
            eprint(&format!("the {label} model is invalid:\n"));
            eprint(&analyzed.render(term));
        }
    }
    if invalid {
        return Ok(crate::exit::INVALID);
    }
    let diff = threatforge_analysis::diff::diff(
        &old.loaded.model,
        &old.analysis,
        &new.loaded.model,
        &new.analysis,
    );
    let threshold = args.fail_on_new.map(|s| s.severity());
    let mut text = match args.format {
        DiffFormat::Json => threatforge_report::diff::json(&diff, threshold),
        DiffFormat::Md => threatforge_report::diff::markdown(&diff, &new.loaded.model),
        DiffFormat::Human => {
            let to_terminal = args.output.as_deref().is_none_or(|p| p == Path::new("-"));
            let paint = threatforge_report::diff::Paint {
                color: to_terminal && term.color_stdout,
            };
            threatforge_report::diff::human(&diff, &paint)
        }
    };
    let introduced = threshold.map(|t| (t, diff.introduced(t)));
    if let (Some((t, ids)), DiffFormat::Human | DiffFormat::Md) = (&introduced, args.format) {
        let verdict = if ids.is_empty() {
            format!("Gate passed: the change introduces no open threat at or above {t}.\n")
        } else {
            format!(
                "Gate failed: the change introduces {} open threat{} at or above {t}: {}.\n",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                ids.join(", ")
            )
        };
        text.push('\n');
        text.push_str(&verdict);
    }
    write_output(args.output.as_deref(), &text)?;
    let failed = introduced.is_some_and(|(_, ids)| !ids.is_empty());
    Ok(if failed {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}; --base needs git installed"))
}

/// Writes the model's directory as it was at `rev` into a temporary directory (with `git
/// archive`, so includes resolve at that revision too) and returns the old root model's path.
fn checkout(rev: &str, model: &Path) -> Result<(tempfile::TempDir, PathBuf), String> {
    let model = std::fs::canonicalize(model)
        .map_err(|e| format!("cannot read `{}`: {e}", model.display()))?;
    let dir = model.parent().map(Path::to_path_buf).unwrap_or_default();
    let top = git(&dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(format!("`{}` is not in a git repository", dir.display()));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let verify = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    if !verify.status.success() {
        return Err(format!("`{rev}` is not a git revision of this repository"));
    }
    let relative_dir = dir
        .strip_prefix(&top)
        .map_err(|_| "the model is outside its repository".to_owned())?;
    let relative_model = model
        .strip_prefix(&top)
        .map_err(|_| "the model is outside its repository".to_owned())?;
    let mut archive = vec![
        "archive".to_owned(),
        "--format=tar".to_owned(),
        rev.to_owned(),
    ];
    if !relative_dir.as_os_str().is_empty() {
        archive.push("--".to_owned());
        archive.push(relative_dir.to_string_lossy().replace('\\', "/"));
    }
    let archive: Vec<&str> = archive.iter().map(String::as_str).collect();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(&archive)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let stdout = child.stdout.take().ok_or("git gave no output")?;
    let out = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let unpacked = unpack(stdout.take(MAX_ARCHIVE_BYTES), out.path(), rev);
    if let Err(Unpack::Refused(message)) = unpacked {
        // git may still be writing; it is not needed any more.
        let _ = child.kill();
        let _ = child.wait();
        return Err(message);
    }
    let status = child.wait().map_err(|e| format!("git failed: {e}"))?;
    if !status.success() {
        let mut message = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut message);
        }
        return Err(format!("git archive failed: {}", message.trim()));
    }
    if let Err(Unpack::Failed(e)) = unpacked {
        return Err(format!("cannot unpack revision `{rev}`: {e}"));
    }
    let old = out.path().join(relative_model);
    if !old.is_file() {
        return Err(format!(
            "`{}` does not exist at revision `{rev}`",
            relative_model.display()
        ));
    }
    Ok((out, old))
}

enum Unpack {
    /// The archive holds a link that leaves it.
    Refused(String),
    Failed(std::io::Error),
}

/// Unpacks a `git archive` into `dest`. The tar crate refuses entries whose own path leaves
/// `dest`; a committed symlink or hard link whose target leaves it is refused here, so that
/// nothing the loader reads later can lead outside (the loader confines to `dest` as well).
fn unpack(archive: impl Read, dest: &Path, rev: &str) -> Result<(), Unpack> {
    let mut archive = tar::Archive::new(archive);
    for entry in archive.entries().map_err(Unpack::Failed)? {
        let mut entry = entry.map_err(Unpack::Failed)?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let path = entry.path().map_err(Unpack::Failed)?.into_owned();
            let target = entry
                .link_name()
                .map_err(Unpack::Failed)?
                .map(|t| t.into_owned())
                .unwrap_or_default();
            // A hard link's target is named from the archive's top, a symlink's from its own
            // directory.
            let from = if kind.is_hard_link() {
                Path::new("")
            } else {
                path.parent().unwrap_or(Path::new(""))
            };
            if !stays_inside(from, &target) {
                // Both names come from the revision: control characters are shown escaped.
                let name = |p: &Path| p.display().to_string().escape_debug().to_string();
                return Err(Unpack::Refused(format!(
                    "revision `{rev}` has `{}` as a link to `{}`, outside the model's directory \
                     at that revision; threatforge follows no link out of it",
                    name(&path),
                    name(&target)
                )));
            }
        }
        entry.unpack_in(dest).map_err(Unpack::Failed)?;
    }
    Ok(())
}

/// Whether `target`, read from the directory `from` (both relative to the archive's top), names
/// a path inside the archive, by its components alone.
fn stays_inside(from: &Path, target: &Path) -> bool {
    use std::path::Component;
    let mut depth = 0usize;
    for component in from.components().chain(target.components()) {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::stays_inside;
    use std::path::Path;

    #[test]
    fn links_are_judged_from_their_own_directory() {
        let inside = [
            ("model", "more.yaml"),
            ("model/rules", "../x.yaml"),
            ("", "a/./b"),
        ];
        for (from, target) in inside {
            assert!(
                stays_inside(Path::new(from), Path::new(target)),
                "{from} {target}"
            );
        }
        let outside = [
            ("model", "/proc/self/environ"),
            ("model", "../../x"),
            ("", "../x"),
            ("model/rules", "../../../etc/passwd"),
            ("a", "b/../../../x"),
        ];
        for (from, target) in outside {
            assert!(
                !stays_inside(Path::new(from), Path::new(target)),
                "{from} {target}"
            );
        }
    }
}
