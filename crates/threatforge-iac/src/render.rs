//! Drift as text: for a person, for a pull request comment, for machines (JSON, SARIF).
//!
//! Text from the model and the infrastructure code is inert in every format: escaped to one
//! line for terminals, inside code spans in Markdown (which render their content literally, no
//! link, image or HTML), and JSON-encoded in JSON and SARIF.

use std::fmt::Write as _;

use serde_json::json;
use threatforge_model::escape::line;

use crate::drift::{Drift, DriftItem, DriftKind};

/// The formats of `drift --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftFormat {
    Human,
    Markdown,
    Json,
    Sarif,
}

impl DriftFormat {
    pub const ALL: &[DriftFormat] = &[
        DriftFormat::Human,
        DriftFormat::Markdown,
        DriftFormat::Json,
        DriftFormat::Sarif,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DriftFormat::Human => "human",
            DriftFormat::Markdown => "md",
            DriftFormat::Json => "json",
            DriftFormat::Sarif => "sarif",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            DriftFormat::Human => "one line per disagreement, for a terminal",
            DriftFormat::Markdown => "a table, for a pull request comment",
            DriftFormat::Json => "machine-readable JSON",
            DriftFormat::Sarif => "SARIF 2.1.0, results on the infrastructure code's lines",
        }
    }
}

pub fn render_drift(drift: &Drift, format: DriftFormat) -> String {
    match format {
        DriftFormat::Human => human(drift),
        DriftFormat::Markdown => markdown(drift),
        DriftFormat::Json => {
            let mut text = serde_json::to_string_pretty(&json!({
                "version": 1,
                "summary": summary_json(drift),
                "items": drift.items,
            }))
            .unwrap_or_default();
            text.push('\n');
            text
        }
        DriftFormat::Sarif => sarif(drift),
    }
}

fn counts(drift: &Drift) -> Vec<(DriftKind, usize)> {
    DriftKind::ALL
        .iter()
        .map(|&k| (k, drift.items.iter().filter(|i| i.kind == k).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn summary(drift: &Drift) -> String {
    if drift.items.is_empty() {
        return "no drift: the model and the infrastructure agree".to_owned();
    }
    let parts: Vec<String> = counts(drift)
        .iter()
        .map(|(k, n)| format!("{n} {}", k.name()))
        .collect();
    format!(
        "{} disagreement{} between the model and the infrastructure: {}",
        drift.items.len(),
        if drift.items.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

fn summary_json(drift: &Drift) -> serde_json::Value {
    let mut by_kind = serde_json::Map::new();
    for (kind, n) in counts(drift) {
        by_kind.insert(kind.name().to_owned(), n.into());
    }
    json!({ "total": drift.items.len(), "by_kind": by_kind })
}

fn place(item: &DriftItem) -> String {
    match (&item.file, item.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        _ => String::new(),
    }
}

fn human(drift: &Drift) -> String {
    let mut out = String::new();
    for item in &drift.items {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            line(&place(item)),
            item.kind.name(),
            line(&item.message)
        );
    }
    let _ = writeln!(out, "{}", summary(drift));
    out
}

/// A code span holding `text` literally: fenced with one backtick more than its longest run.
fn code(text: &str) -> String {
    let text = line(text).replace('|', "\\|");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}

fn markdown(drift: &Drift) -> String {
    let mut out = String::from("### threatforge drift\n\n");
    let _ = writeln!(out, "{}\n", summary(drift));
    if drift.items.is_empty() {
        return out;
    }
    out.push_str("| kind | where | what |\n|---|---|---|\n");
    for item in &drift.items {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            item.kind.name(),
            code(&place(item)),
            code(&item.message)
        );
    }
    out
}

fn sarif(drift: &Drift) -> String {
    let rules: Vec<serde_json::Value> = DriftKind::ALL
        .iter()
        .map(|k| {
            json!({
                "id": k.name(),
                "shortDescription": { "text": k.meaning() },
                "defaultConfiguration": { "level": "warning" },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = drift
        .items
        .iter()
        .map(|item| {
            let mut result = json!({
                "ruleId": item.kind.name(),
                "level": "warning",
                "message": { "text": item.message },
            });
            if let Some(file) = &item.file {
                let uri = file.replace('\\', "/");
                let uri = uri.trim_start_matches("./");
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": item.line.unwrap_or(1).max(1) },
                    }
                }]);
            }
            result
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "threatforge",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_span_outfences_the_backticks_inside_and_escapes_table_pipes() {
        assert_eq!(code("a"), "` a `");
        assert_eq!(code("x``y|z"), "``` x``y\\|z ```");
        assert!(!code("a\nb").contains('\n'));
    }
}
