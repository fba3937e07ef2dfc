//! Evidence on the command line: `--evidence FILE` on `check`, `report` and `diff` (and the
//! model's own `evidence:` list), read and applied to the analysis; and `threatforge evidence`,
//! which summarizes what the reports say of the model.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use threatforge_analysis::{Analyzed, ProjectOptions, Verification};
use threatforge_evidence::{Evidence, Limits};
use threatforge_model::escape::line;

use super::find_model;
use crate::cli::{EvidenceArgs, EvidenceFormat, EvidenceInputs, ModelInputs, RuleLimits};
use crate::terminal::{Terminal, eprint, write_output};

/// Reads the evidence the command line and the model name and applies it to `analyzed` (which
/// must be valid). With none named, applies nothing unless `always` (a gate on verification
/// needs the controls' state even when no test report is given). Evidence that cannot be read is
/// an error (exit 2); warnings go to standard error.
pub(crate) fn apply(
    analyzed: &mut Analyzed,
    model_path: &Path,
    model_root: Option<&Path>,
    files: &EvidenceInputs,
    options: &ProjectOptions,
    always: bool,
) -> Result<(), String> {
    if analyzed.has_errors() {
        return Ok(());
    }
    let root = super::repository_root(model_path, model_root);
    let evidence = read(analyzed, model_path, model_root, files, &root)?;
    if evidence.files.is_empty() && !always {
        return Ok(());
    }
    let mut warnings = String::new();
    for w in &evidence.warnings {
        let _ = writeln!(
            warnings,
            "warning: {}: {}",
            line(&w.source),
            line(&w.message)
        );
    }
    eprint(&warnings);
    threatforge_analysis::apply_evidence(analyzed, &evidence, options);
    Ok(())
}

/// The options evidence re-analyzes with (a failed control taken away), as the model was loaded.
pub(crate) fn options(limits: &RuleLimits, today: &str) -> ProjectOptions {
    ProjectOptions {
        today: Some(today.to_owned()),
        cel: limits.cel(),
        limits: limits.model.limits(),
        ..ProjectOptions::default()
    }
}

impl ModelInputs {
    /// Reads and applies the evidence to a model these inputs analyzed (see [`apply`]).
    pub(crate) fn apply_evidence(
        &self,
        analyzed: &mut Analyzed,
        model_path: &Path,
        files: &EvidenceInputs,
        today: &str,
        always: bool,
    ) -> Result<(), String> {
        apply(
            analyzed,
            model_path,
            self.root.as_deref(),
            files,
            &options(&self.limits, today),
            always,
        )
    }

    /// Loads and analyzes the model, then applies the evidence; a model with errors has its
    /// diagnostics printed and gives `None`, for the caller to exit with 2.
    pub(crate) fn analyze_with_evidence(
        &self,
        model_path: &Path,
        files: &EvidenceInputs,
        term: &Terminal,
        always: bool,
    ) -> Result<Option<Analyzed>, String> {
        let today = self.today()?;
        let mut analyzed = self.analyze(model_path, today.clone())?;
        if analyzed.has_errors() {
            eprint(&super::render_analyzed(&analyzed, term));
            return Ok(None);
        }
        self.apply_evidence(&mut analyzed, model_path, files, &today, always)?;
        Ok(Some(analyzed))
    }
}

/// Every evidence file, the command line's first, then the model's (confined to its root).
fn read(
    analyzed: &Analyzed,
    model_path: &Path,
    model_root: Option<&Path>,
    files: &EvidenceInputs,
    repository: &Path,
) -> Result<Evidence, String> {
    let limits = Limits::default();
    let mut evidence = Evidence::default();
    for pattern in &files.files {
        for path in expand(Path::new("."), pattern)? {
            let display = path.display().to_string();
            evidence
                .read_file(&path, &display, Some(repository), &limits)
                .map_err(|e| e.to_string())?;
        }
    }
    let named = &analyzed.loaded.model.evidence;
    if named.is_empty() || model_path == Path::new("-") {
        return Ok(evidence);
    }
    let dir = model_path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let confine = model_root.unwrap_or(dir);
    let confine = std::fs::canonicalize(confine)
        .map_err(|e| format!("cannot read the model's root `{}`: {e}", confine.display()))?;
    for entry in named {
        for path in expand(dir, &entry.value)? {
            let display = path.display().to_string();
            evidence
                .read_confined(&path, &display, &confine, Some(repository), &limits)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(evidence)
}

/// A path, or a glob (`reports/*.sarif`, `**/TEST-*.xml`) expanded below its literal part,
/// relative to `base`; matches in sorted order. A glob that matches nothing is an error, since a
/// report that went missing should not pass a gate silently.
fn expand(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    const MAX_ENTRIES: usize = 100_000;
    const MAX_DEPTH: usize = 32;
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    if !is_glob(pattern) {
        return Ok(vec![base.join(pattern)]);
    }
    let parts: Vec<&str> = pattern.split('/').collect();
    let literal = parts.iter().take_while(|p| !is_glob(p)).count();
    let start = base.join(parts[..literal].join("/"));
    let matcher = globset::GlobBuilder::new(&parts[literal..].join("/"))
        .literal_separator(true)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
        .compile_matcher();
    let mut found = Vec::new();
    let mut pending = vec![(start.clone(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!(
                    "`{pattern}` walks more than {MAX_ENTRIES} files; give a narrower glob"
                ));
            }
            let path = entry.path();
            // Links are not followed into directories: a loop would never end.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < MAX_DEPTH {
                pending.push((path.clone(), depth + 1));
            }
            let relative = path.strip_prefix(&start).unwrap_or(&path);
            if !kind.is_dir() && matcher.is_match(relative) {
                found.push(path);
            }
        }
    }
    if found.is_empty() {
        return Err(format!(
            "no evidence file matches `{pattern}`; check the path (globs are relative to {})",
            if base == Path::new(".") {
                "the current directory".to_owned()
            } else {
                format!("`{}`", base.display())
            }
        ));
    }
    found.sort();
    Ok(found)
}

pub(super) fn run(args: EvidenceArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let Some(analyzed) = args
        .inputs
        .analyze_with_evidence(&path, &args.evidence, term, true)?
    else {
        return Ok(crate::exit::INVALID);
    };
    let analysis = &analyzed.analysis;
    let Some(summary) = analysis.evidence.as_deref() else {
        return Err("no evidence was applied".to_owned());
    };
    let text = match args.format {
        EvidenceFormat::Json => {
            let confirmed: Vec<serde_json::Value> = analysis
                .findings()
                .filter(|t| t.evidence.as_ref().is_some_and(|e| e.confirmed()))
                .map(|t| {
                    serde_json::json!({
                        "id": t.id,
                        "severity": t.severity(),
                        "status": t.status,
                        "findings": t.evidence.as_ref().map_or(0, |e| e.findings.len()),
                    })
                })
                .collect();
            let mut value = serde_json::to_value(summary).map_err(|e| e.to_string())?;
            value["threats"] = serde_json::Value::Array(confirmed);
            let mut text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
            text.push('\n');
            text
        }
        EvidenceFormat::Human => human(&analyzed),
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(crate::exit::OK)
}

fn human(analyzed: &Analyzed) -> String {
    let analysis = &analyzed.analysis;
    let mut out = String::new();
    let Some(summary) = analysis.evidence.as_deref() else {
        return out;
    };
    let _ = writeln!(out, "Evidence: {} file(s)", summary.files.len());
    for file in &summary.files {
        let _ = writeln!(out, "  {}", line(file));
    }
    let _ = writeln!(out, "\nFindings per tool (mapped / unmapped / suppressed):");
    for tool in &summary.tools {
        let _ = writeln!(
            out,
            "  {:<24} {:>6}  ({} / {} / {})",
            line(&tool.tool),
            tool.findings,
            tool.mapped,
            tool.unmapped,
            tool.suppressed
        );
    }
    if summary.tools.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let _ = writeln!(
        out,
        "\nThreats confirmed by findings: {}",
        summary.confirmed.len()
    );
    for threat in analysis.findings().filter(|t| {
        t.evidence.as_ref().is_some_and(|e| e.confirmed())
            && t.rule.as_ref() != threatforge_analysis::UNMODELED
    }) {
        let _ = writeln!(
            out,
            "  {:<8} {}  ({} finding(s))",
            threat.severity().as_str(),
            line(&threat.id.to_string()),
            threat.evidence.as_ref().map_or(0, |e| e.findings.len())
        );
    }
    let _ = writeln!(out, "\nUnmodeled weaknesses: {}", summary.unmodeled.len());
    for id in &summary.unmodeled {
        let _ = writeln!(out, "  {}", line(id));
    }
    let tests: Vec<String> = summary
        .tests
        .iter()
        .map(|(o, n)| format!("{o} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "\nTests: {}",
        if tests.is_empty() {
            "none".to_owned()
        } else {
            tests.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "Controls: {} verified, {} failed, {} unverified",
        summary.count(Verification::Verified),
        summary.count(Verification::Failed),
        summary.count(Verification::Unverified)
    );
    for check in summary
        .controls
        .iter()
        .filter(|c| c.status != Verification::Unverified)
    {
        let _ = writeln!(
            out,
            "  {:<10} {}.{}  ({})",
            check.status.as_str(),
            line(&check.component),
            line(&check.control),
            line(&check.tests.join(", "))
        );
    }
    if !summary.unmapped.is_empty() {
        let _ = writeln!(
            out,
            "\nUnmapped findings: {} (no component's `code` or `endpoints` claims them)",
            summary.unmapped.len()
        );
        for finding in summary.unmapped.iter().take(20) {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                line(&finding.tool),
                line(&finding.rule),
                line(&finding.location())
            );
        }
        if summary.unmapped.len() > 20 {
            let _ = writeln!(out, "  ... and {} more", summary.unmapped.len() - 20);
        }
    }
    out
}
