//! `threatforge check`: load and validate a model, report every problem.

use std::fmt::Write as _;

use serde::Serialize;
use threatforge_model::diag::{self, JsonDiagnostic, Style};
use threatforge_model::{Loaded, Severity};

use super::{find_model, load_model};
use crate::cli::{CheckArgs, CheckFormat};
use crate::terminal::{Terminal, write_output};

pub fn run(args: CheckArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let loaded = load_model(&path, args.root.as_deref())?;
    let errors = count(&loaded, Severity::Error);
    let warnings = count(&loaded, Severity::Warning);
    let summary = Summary::new(&loaded, &path.display().to_string(), errors, warnings);

    let text = match args.format {
        CheckFormat::Json => {
            let report = JsonReport {
                schema_version: 1,
                model: summary.clone(),
                diagnostics: loaded
                    .diagnostics
                    .iter()
                    .map(|d| JsonDiagnostic::new(d, &loaded.model.sources))
                    .collect(),
            };
            let mut text = serde_json::to_string_pretty(&report)
                .map_err(|e| format!("cannot serialize the report: {e}"))?;
            text.push('\n');
            text
        }
        CheckFormat::Human | CheckFormat::Short => {
            // Diagnostics go to standard error, as a compiler's do; the summary to the output.
            let style = if term.color_stderr {
                Style::Color
            } else {
                Style::Plain
            };
            let mut rendered = String::new();
            for d in &loaded.diagnostics {
                if args.format == CheckFormat::Short {
                    let _ = writeln!(rendered, "{}", diag::one_line(d, &loaded.model.sources));
                } else {
                    rendered.push_str(&diag::render(d, &loaded.model.sources, style));
                    rendered.push('\n');
                }
            }
            eprint!("{rendered}");
            summary.human()
        }
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(if errors > 0 {
        crate::exit::INVALID
    } else {
        crate::exit::OK
    })
}

fn count(loaded: &Loaded, severity: Severity) -> usize {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .count()
}

#[derive(Clone, Debug, Serialize)]
struct Summary {
    path: String,
    system: String,
    components: usize,
    flows: usize,
    data: usize,
    boundaries: usize,
    runtimes: usize,
    files: usize,
    errors: usize,
    warnings: usize,
}

impl Summary {
    fn new(loaded: &Loaded, path: &str, errors: usize, warnings: usize) -> Self {
        let model = &loaded.model;
        Summary {
            path: path.to_owned(),
            system: model.system_name().to_owned(),
            components: model.components.len(),
            flows: model.flows.len(),
            data: model.data.len(),
            boundaries: model.boundaries.len(),
            runtimes: model.runtimes.len(),
            files: model.sources.files().count(),
            errors,
            warnings,
        }
    }

    fn human(&self) -> String {
        let verdict = if self.errors > 0 { "invalid" } else { "valid" };
        format!(
            "{}: {verdict} ({}, {}); {}, {}, {}, {}, {} in {}\n",
            self.path,
            counted(self.errors, "error"),
            counted(self.warnings, "warning"),
            counted(self.components, "component"),
            counted(self.flows, "flow"),
            counted(self.data, "data asset"),
            counted(self.boundaries, "boundary"),
            counted(self.runtimes, "runtime"),
            counted(self.files, "file"),
        )
    }
}

fn counted(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

#[derive(Serialize)]
struct JsonReport {
    schema_version: u32,
    model: Summary,
    diagnostics: Vec<JsonDiagnostic>,
}
