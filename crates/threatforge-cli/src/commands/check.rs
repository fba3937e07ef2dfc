//! `threatforge check`: validate a model, find its threats, report every problem.

use std::fmt::Write as _;

use threatforge_analysis::Status;
use threatforge_model::Severity;

use super::{Analyzed, find_model, load_and_analyze};
use crate::cli::{CheckArgs, CheckFormat};
use crate::terminal::{Terminal, write_output};

pub fn run(args: CheckArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let analyzed = load_and_analyze(&path, args.root.as_deref(), &args.rules)?;
    let text = match args.format {
        CheckFormat::Json => threatforge_report::json::render_check(
            &analyzed.loaded,
            &analyzed.rules,
            &analyzed.analysis,
            &path.display().to_string(),
        ),
        CheckFormat::Human | CheckFormat::Short => {
            // Diagnostics go to standard error, as a compiler's do; the findings to the output.
            if args.format == CheckFormat::Short {
                eprint!("{}", analyzed.one_lines());
            } else {
                eprint!("{}", analyzed.render(term));
            }
            human(&analyzed, &path.display().to_string())
        }
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(if analyzed.has_errors() {
        crate::exit::INVALID
    } else {
        crate::exit::OK
    })
}

fn human(analyzed: &Analyzed, path: &str) -> String {
    let model = &analyzed.loaded.model;
    let count = |severity: Severity| {
        analyzed
            .loaded
            .diagnostics
            .iter()
            .chain(&analyzed.rules.diagnostics)
            .chain(&analyzed.analysis.diagnostics)
            .chain(&analyzed.analysis.rule_diagnostics)
            .filter(|d| d.severity == severity)
            .count()
    };
    let errors = count(Severity::Error);
    let verdict = if errors > 0 { "invalid" } else { "valid" };
    let mut out = String::new();
    let threats = &analyzed.analysis.threats;
    if errors == 0 {
        let width = threats.iter().map(|t| t.id.len()).max().unwrap_or(0);
        for threat in threats {
            let status = match &threat.status {
                Status::Open => "open",
                Status::NotApplicable { .. } => "n/a ",
            };
            let _ = writeln!(out, "{status}  {:<width$}  {}", threat.id, threat.title);
        }
        if !threats.is_empty() {
            out.push('\n');
        }
    }
    let open = threats.iter().filter(|t| t.status == Status::Open).count();
    let _ = writeln!(
        out,
        "{path}: {verdict} ({}, {}); {}, {}, {}, {}, {} in {}; {} ({open} open) from {}",
        counted(errors, "error"),
        counted(count(Severity::Warning), "warning"),
        counted(model.components.len(), "component"),
        counted(model.flows.len(), "flow"),
        counted(model.data.len(), "data asset"),
        counted(model.boundaries.len(), "boundary"),
        counted(model.runtimes.len(), "runtime"),
        counted(model.sources.files().count(), "file"),
        counted(threats.len(), "threat"),
        counted(analyzed.rules.rules.len(), "rule"),
    );
    out
}

fn counted(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}
