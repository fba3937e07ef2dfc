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
    let mut _checkout: Option<tempfile::TempDir> = None;
    let (old_path, new_path) = match (&args.base, &args.first, &args.second) {
        (Some(rev), model, None) => {
            let model = find_model(model.as_deref())?;
            let (dir, old) = checkout(rev, &model)?;
            _checkout = Some(dir);
            (old, model)
        }
        (None, Some(old), Some(new)) => (old.clone(), new.clone()),
        (Some(_), _, Some(_)) => {
            return Err("with --base, give one model (the working tree's)".to_owned());
        }
        _ => return Err("give OLD and NEW models, or --base REV".to_owned()),
    };
    let old = load_and_analyze(&old_path, None, &args.rules, Some(today.clone()))?;
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
    // The tar crate refuses entries that would land outside the destination.
    let unpacked = tar::Archive::new(stdout.take(MAX_ARCHIVE_BYTES)).unpack(out.path());
    let status = child.wait().map_err(|e| format!("git failed: {e}"))?;
    if !status.success() {
        let mut message = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut message);
        }
        return Err(format!("git archive failed: {}", message.trim()));
    }
    unpacked.map_err(|e| format!("cannot unpack revision `{rev}`: {e}"))?;
    let old = out.path().join(relative_model);
    if !old.is_file() {
        return Err(format!(
            "`{}` does not exist at revision `{rev}`",
            relative_model.display()
        ));
    }
    Ok((out, old))
}
