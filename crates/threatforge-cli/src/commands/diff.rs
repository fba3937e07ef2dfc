//! `threatforge diff`: what a change does to the model and its risks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Analyzed, find_model, load_and_analyze};
use crate::cli::{DiffArgs, DiffFormat};
use crate::terminal::{Terminal, eprint, write_output};

/// Largest git archive read for `--base`.
const MAX_ARCHIVE_BYTES: u64 = 512 * 1024 * 1024;

pub(super) fn run(args: DiffArgs, term: &Terminal) -> Result<u8, String> {
    let today = super::today(args.today.as_deref())?;
    // The old version's files (unpacked for `--base`) stay alive until the analysis is done.
    let (mut base, new_path) = match (&args.base, &args.first, &args.second) {
        (Some(rev), model, None) => {
            let model = find_model(model.as_deref())?;
            let base = load_base(rev, &model, &args.rules, &today, &args.limits)?;
            (base, model)
        }
        (None, Some(old), Some(new)) => (
            BaseModel {
                analyzed: load_and_analyze(
                    old,
                    None,
                    &args.rules,
                    Some(today.clone()),
                    &args.limits,
                )?,
                note: None,
                path: Some(old.clone()),
                dir: None,
            },
            new.clone(),
        ),
        (Some(_), _, Some(_)) => {
            return Err("with --base, give one model (the working tree's)".to_owned());
        }
        _ => return Err("give OLD and NEW models, or --base REV".to_owned()),
    };
    let old_root = base.dir.as_ref().map(tempfile::TempDir::path);
    let base_note = base.note.take();
    let mut new = load_and_analyze(
        &new_path,
        None,
        &args.rules,
        Some(today.clone()),
        &args.limits,
    )?;
    let options = super::evidence::options(&args.limits, &today);
    let mut old = base.analyzed;
    if let Some(path) = &base.path {
        super::evidence::apply(&mut old, path, old_root, &args.evidence, &options, false)?;
    }
    super::evidence::apply(&mut new, &new_path, None, &args.evidence, &options, false)?;
    let mut invalid = false;
    for (label, analyzed) in [("old", &old), ("new", &new)] {
        if analyzed.has_errors() {
            invalid = true;
            eprint(&format!("the {label} model is invalid:\n"));
            eprint(&super::render_analyzed(analyzed, term));
        }
    }
    if invalid {
        return Ok(crate::exit::INVALID);
    }
    let diff = threatforge_analysis::diff(
        &old.loaded.model,
        &old.analysis,
        &new.loaded.model,
        &new.analysis,
    );
    let threshold = args.fail_on_new.map(|s| s.severity());
    let mut text = match args.format {
        DiffFormat::Json => threatforge_report::diff_json(&diff, threshold),
        DiffFormat::Md => threatforge_report::diff_markdown(&diff, &new.loaded.model),
        DiffFormat::Human => {
            let to_terminal = args.output.as_deref().is_none_or(|p| p == Path::new("-"));
            let paint = threatforge_report::Paint {
                color: to_terminal && term.color_stdout,
            };
            threatforge_report::diff_human(&diff, &paint)
        }
    };
    if let Some(note) = &base_note {
        let plain = note.line(|p| format!("`{}`", p.escape_debug()));
        let line = match args.format {
            // The JSON stays the diff's schema; the line goes to standard error.
            DiffFormat::Json => {
                eprint(&format!("{plain}\n"));
                None
            }
            DiffFormat::Md => Some(note.line(threatforge_report::markdown_code)),
            DiffFormat::Human => Some(plain),
        };
        // Under the headline, where it explains the list that follows.
        if let Some(line) = line {
            let at = text.find('\n').map_or(text.len(), |i| i + 1);
            text.insert_str(at, &format!("\n{line}\n"));
        }
    }
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

/// The model at a revision, loaded and analyzed (before any evidence is applied).
pub(super) struct BaseModel {
    pub(super) analyzed: Analyzed,
    /// What the base was, when it is not simply the same file at the revision.
    pub(super) note: Option<BaseNote>,
    /// The old root model file; none when the model did not exist at the revision.
    pub(super) path: Option<PathBuf>,
    /// The unpacked revision, which the old model's files are read inside.
    pub(super) dir: Option<tempfile::TempDir>,
}

/// The model as it was at `rev` (`diff --base`, `serve --base`): unpacked with git, loaded and
/// analyzed with the same rules and limits as the working tree's; an empty model when it did
/// not exist then.
pub(super) fn load_base(
    rev: &str,
    model: &Path,
    rules: &[PathBuf],
    today: &str,
    limits: &crate::cli::RuleLimits,
) -> Result<BaseModel, String> {
    match checkout(rev, model)? {
        Base::Found {
            dir,
            model: old,
            renamed_from,
        } => {
            let analyzed = load_and_analyze(
                &old,
                Some(dir.path()),
                rules,
                Some(today.to_owned()),
                limits,
            )?;
            Ok(BaseModel {
                analyzed,
                note: renamed_from.map(|from| BaseNote::Renamed {
                    rev: rev.to_owned(),
                    from,
                }),
                path: Some(old),
                dir: Some(dir),
            })
        }
        Base::Absent { model: path } => Ok(BaseModel {
            analyzed: Analyzed::empty(),
            note: Some(BaseNote::Absent {
                rev: rev.to_owned(),
                path,
            }),
            path: None,
            dir: None,
        }),
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}; --base needs git installed"))
}

/// The model at the base revision.
enum Base {
    /// Its directory as it was, unpacked; `renamed_from` when git reports that the model was
    /// moved since (the path at the revision, from the repository's top).
    Found {
        dir: tempfile::TempDir,
        model: PathBuf,
        renamed_from: Option<String>,
    },
    /// The model did not exist at the revision (the change adopts threatforge): the base is an
    /// empty model. `model` is its path from the repository's top.
    Absent { model: String },
}

/// The one line that says what the base was, when it is not the same file at the revision.
pub(super) enum BaseNote {
    Renamed { rev: String, from: String },
    Absent { rev: String, path: String },
}

impl BaseNote {
    /// The line, with names (which come from the repository) shown by `name`.
    pub(super) fn line(&self, name: impl Fn(&str) -> String) -> String {
        match self {
            BaseNote::Renamed { rev, from } => format!(
                "Base: the model was {} at {} (git reports a rename); compared with that file.",
                name(from),
                name(rev)
            ),
            BaseNote::Absent { rev, path } => format!(
                "Base: {} did not exist at {}; compared with an empty model, so every threat is new.",
                name(path),
                name(rev)
            ),
        }
    }
}

/// Writes the model's directory as it was at `rev` into a temporary directory (with `git
/// archive`, so includes resolve at that revision too) and returns the old root model's path.
/// A model that git reports as renamed since `rev` is followed to its old path; a model that
/// did not exist at `rev` is [`Base::Absent`].
fn checkout(rev: &str, model: &Path) -> Result<Base, String> {
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
    let relative_model = model
        .strip_prefix(&top)
        .map_err(|_| "the model is outside its repository".to_owned())?
        .to_string_lossy()
        .replace('\\', "/");
    let (old_model, renamed_from) = if absent_at(&top, rev, &relative_model)? {
        match renamed_from(&top, rev, &relative_model)? {
            Some(from) => (from.clone(), Some(from)),
            None => {
                return Ok(Base::Absent {
                    model: relative_model,
                });
            }
        }
    } else {
        (relative_model, None)
    };
    let relative_dir = Path::new(&old_model)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut archive = vec![
        "archive".to_owned(),
        "--format=tar".to_owned(),
        rev.to_owned(),
    ];
    if !relative_dir.is_empty() {
        archive.push("--".to_owned());
        archive.push(relative_dir);
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
    let old = out.path().join(&old_model);
    if !old.is_file() {
        return Err(format!(
            "`{old_model}` at revision `{rev}` is not a file; give the model's path as it is now"
        ));
    }
    Ok(Base::Found {
        dir: out,
        model: old,
        renamed_from,
    })
}

/// Whether nothing is at `path` (from the repository's top) at `rev`, nor on its way there.
/// A link or a file where a directory of the path should be is not absence: the archive's
/// checks judge it (a committed link out of the repository is refused, not read as no model).
fn absent_at(top: &Path, rev: &str, path: &str) -> Result<bool, String> {
    let kind = |p: &str| -> Result<Option<Vec<u8>>, String> {
        let output = git(top, &["cat-file", "-t", &format!("{rev}:{p}")])?;
        Ok(output
            .status
            .success()
            .then(|| output.stdout.trim_ascii().to_vec()))
    };
    if kind(path)?.is_some() {
        return Ok(false);
    }
    let mut prefix = String::new();
    for part in path
        .split('/')
        .take(path.split('/').count().saturating_sub(1))
    {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        match kind(&prefix)? {
            Some(k) if k == b"tree" => {}
            Some(_) => return Ok(false),
            None => return Ok(true),
        }
    }
    Ok(true)
}

/// The path `path` had at `rev` when git reports it as renamed since, comparing `rev` with
/// the working tree (so a `git mv` not yet committed is followed too).
fn renamed_from(top: &Path, rev: &str, path: &str) -> Result<Option<String>, String> {
    let output = git(
        top,
        &["diff", "--find-renames", "--name-status", "-z", rev, "--"],
    )?;
    if !output.status.success() {
        return Err(format!(
            "git diff failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(rename_source(&output.stdout, path))
}

/// In `git diff --name-status -z` output, the old path of the rename whose new path is `path`.
/// A record is a status, then one path, or two for a rename or copy (`R<score>`, `C<score>`).
fn rename_source(output: &[u8], path: &str) -> Option<String> {
    let mut fields = output.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let first = fields.next()?;
        if matches!(status.first(), Some(b'R' | b'C')) {
            let second = fields.next()?;
            if status[0] == b'R' && second == path.as_bytes() {
                return Some(String::from_utf8_lossy(first).into_owned());
            }
        }
    }
    None
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
    use super::{rename_source, stays_inside};
    use std::path::Path;

    #[test]
    fn a_rename_is_found_by_its_new_path_among_other_records() {
        let output = b"M\0README.md\0R087\0old/threatforge.yaml\0model/threatforge.yaml\0C100\0a.yaml\0model/more.yaml\0A\0new.yaml\0";
        assert_eq!(
            rename_source(output, "model/threatforge.yaml").as_deref(),
            Some("old/threatforge.yaml")
        );
        // A copy is not a move: its source still exists at the revision.
        assert_eq!(rename_source(output, "model/more.yaml"), None);
        assert_eq!(rename_source(output, "new.yaml"), None);
        assert_eq!(rename_source(output, "README.md"), None);
        assert_eq!(rename_source(b"R100\0truncated", "x"), None);
    }

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
