//! `threatforge check`: validate a model, find its threats, report every problem.

use std::fmt::Write as _;

use threatforge_model::escape::line;
use threatforge_model::{Severity, ThreatSeverity};

use super::{Analyzed, find_model};
use crate::cli::{CheckArgs, CheckFormat};
use crate::terminal::{Terminal, eprint, write_output, write_streamed};

pub(super) fn run(args: CheckArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let today = args.inputs.today()?;
    // The summary shows no explanations; the JSON output has one for every threat.
    let mut analyzed = match args.format {
        CheckFormat::Json => args.inputs.analyze(&path, today.clone())?,
        CheckFormat::Human | CheckFormat::Short => {
            args.inputs.analyze_for_summary(&path, today.clone())?
        }
    };
    let require_verified = args.require_verified.map(|s| s.severity());
    args.inputs.apply_evidence(
        &mut analyzed,
        &path,
        &args.evidence,
        &today,
        require_verified.is_some(),
    )?;
    if let Some(repo) = &args.code_root {
        if !repo.is_dir() {
            return Err(format!(
                "--code-root `{}` is not a directory",
                line(&repo.display().to_string())
            ));
        }
        if !analyzed.has_errors() {
            let stale = threatforge_model::unmatched_code_paths(&analyzed.loaded.model, repo);
            analyzed.add_model_diagnostics(stale);
        }
    }
    let fail_on = args.fail_on.map(|s| s.severity());
    match args.format {
        CheckFormat::Json => write_streamed(args.output.as_deref(), |out| {
            threatforge_report::write_check(&analyzed, &path.display().to_string(), fail_on, out)
        })?,
        CheckFormat::Human | CheckFormat::Short => {
            // Diagnostics go to standard error, as a compiler's do; the findings to the output.
            if args.format == CheckFormat::Short {
                eprint(&super::one_lines(&analyzed));
            } else {
                eprint(&super::render_analyzed(&analyzed, term));
            }
            let mut text = human(&analyzed, &path.display().to_string(), fail_on, args.top);
            if let Some(threshold) = require_verified {
                text.push_str(&verification_gate(&analyzed, threshold));
            }
            write_output(args.output.as_deref(), &text)?;
        }
    }
    let unverified = require_verified.is_some_and(|t| {
        !threatforge_analysis::unverified_at_or_above(&analyzed.analysis, t).is_empty()
    });
    let code = if analyzed.has_errors() {
        crate::exit::INVALID
    } else if fail_on.is_some_and(|t| !threatforge_report::gate_passes(&analyzed.analysis, t))
        || unverified
    {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    };
    // The process ends right after this: freeing a large model and its hundreds of thousands of
    // threats one allocation at a time would only delay the exit (a quarter of a second at
    // 50,000 components), and the operating system reclaims the memory at once.
    std::mem::forget(analyzed);
    Ok(code)
}

fn human(analyzed: &Analyzed, path: &str, fail_on: Option<ThreatSeverity>, top: usize) -> String {
    let model = &analyzed.loaded.model;
    let count = |severity: Severity| {
        analyzed
            .diagnostics()
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let errors = count(Severity::Error);
    let verdict = if errors > 0 { "invalid" } else { "valid" };
    let mut out = String::new();
    let analysis = &analyzed.analysis;
    if errors == 0 && !analysis.threats.is_empty() {
        let open = threatforge_report::at_or_above(analysis, ThreatSeverity::Info);
        let shown = &open[..open.len().min(top)];
        let width = shown.iter().map(|t| t.id.len()).max().unwrap_or(0);
        if !shown.is_empty() {
            let _ = writeln!(out, "Most severe open threats:");
        }
        for threat in shown {
            let _ = writeln!(
                out,
                "  {:<8} {:>2}/16  {:<width$}  {}",
                threat.severity().as_str(),
                threat.residual.score,
                threat.id,
                line(&threat.title)
            );
        }
        if open.len() > shown.len() {
            let _ = writeln!(
                out,
                "  ... and {} more (`threatforge report` lists them all)",
                open.len() - shown.len()
            );
        }
        // The gate is written below, once; the summary's own would sort the threats again.
        let summary = threatforge_report::summary(analysis, None);
        let statuses: Vec<String> = summary
            .by_status
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let severities: Vec<String> = summary
            .open_by_severity
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "\nThreats: {} ({})",
            summary.threats,
            statuses.join(", ")
        );
        let _ = writeln!(out, "Open by severity: {}", severities.join(", "));
        if summary.hygiene_open > 0 {
            let _ = writeln!(
                out,
                "Hygiene checklist: {} baseline practice{} missing, not counted as threats \
                 (`threatforge report` lists {})",
                summary.hygiene_open,
                if summary.hygiene_open == 1 { "" } else { "s" },
                if summary.hygiene_open == 1 {
                    "it"
                } else {
                    "them"
                },
            );
        }
    }
    if errors == 0
        && let Some(threshold) = fail_on
    {
        let gate = threatforge_report::gate(analysis, threshold);
        if gate.passed {
            let _ = writeln!(out, "Gate passed: no open threat at or above {threshold}.");
        } else {
            let first: Vec<&str> = gate.failing.iter().take(3).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "Gate failed: {} open threat{} at or above {threshold} ({}{}).",
                gate.failing.len(),
                if gate.failing.len() == 1 { "" } else { "s" },
                first.join(", "),
                if gate.failing.len() > 3 { ", ..." } else { "" }
            );
        }
    }
    let _ = writeln!(
        out,
        "{}: {verdict} ({}, {}); {}, {}, {}, {}, {} in {}; {} from {}",
        line(path),
        counted(errors, "error"),
        counted(count(Severity::Warning), "warning"),
        counted(model.components.len(), "component"),
        counted(model.flows.len(), "flow"),
        counted(model.data.len(), "data asset"),
        counted(model.boundaries.len(), "boundary"),
        counted(model.runtimes.len(), "runtime"),
        counted(model.sources.files().count(), "file"),
        counted(analysis.threats.len(), "threat"),
        found_by(model.threats.len(), analyzed.rules.rules.len()),
    );
    out
}

/// The verdict of `--require-verified`, with the first threats that fail it.
fn verification_gate(analyzed: &Analyzed, threshold: ThreatSeverity) -> String {
    let failing = threatforge_analysis::unverified_at_or_above(&analyzed.analysis, threshold);
    if failing.is_empty() {
        return format!(
            "Verification gate passed: every threat at or above {threshold} that controls mitigate has a control a test verifies.\n"
        );
    }
    let first: Vec<String> = failing.iter().take(3).map(|t| t.id.to_string()).collect();
    format!(
        "Verification gate failed: {} threat{} at or above {threshold} rest on controls no test verifies ({}{}); name tests in `verified_by`.\n",
        failing.len(),
        if failing.len() == 1 { "" } else { "s" },
        line(&first.join(", ")),
        if failing.len() > 3 { ", ..." } else { "" }
    )
}

/// What the threats come from: the rules, and the model's own `threats:` when it has any.
fn found_by(manual: usize, rules: usize) -> String {
    if manual == 0 {
        counted(rules, "rule")
    } else {
        format!(
            "{} and {manual} recorded in the model",
            counted(rules, "rule")
        )
    }
}

pub(super) fn counted(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}
