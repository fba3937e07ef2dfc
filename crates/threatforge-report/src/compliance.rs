//! Compliance (`threatforge compliance`) for a terminal, Markdown, JSON and CSV; the HTML page
//! and the report's section are in `html/`. Every text from the model goes through its target's
//! escape (requirement titles and reasons name model ids).

use std::fmt::Write as _;

use threatforge_analysis::{Compliance, ComplianceStatus, Counts};
use threatforge_model::Model;
use threatforge_model::escape::line;

use crate::escape::{csv as cell, markdown, markdown_row};

/// The compliance formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplianceFormat {
    Human,
    Md,
    Json,
    Csv,
    Html,
}

impl ComplianceFormat {
    pub const ALL: &[ComplianceFormat] = &[
        ComplianceFormat::Human,
        ComplianceFormat::Md,
        ComplianceFormat::Json,
        ComplianceFormat::Csv,
        ComplianceFormat::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ComplianceFormat::Human => "human",
            ComplianceFormat::Md => "md",
            ComplianceFormat::Json => "json",
            ComplianceFormat::Csv => "csv",
            ComplianceFormat::Html => "html",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            ComplianceFormat::Human => "requirements and their statuses for the terminal",
            ComplianceFormat::Md => "Markdown for an audit file or a wiki",
            ComplianceFormat::Json => "statuses, reasons and summaries for machines",
            ComplianceFormat::Csv => "one row per requirement (then the GDPR records)",
            ComplianceFormat::Html => "one self-contained page",
        }
    }
}

pub fn render_compliance(format: ComplianceFormat, model: &Model, c: &Compliance) -> String {
    match format {
        ComplianceFormat::Human => human(model, c),
        ComplianceFormat::Md => md(model, c),
        ComplianceFormat::Json => crate::escape::json(c),
        ComplianceFormat::Csv => csv(c),
        ComplianceFormat::Html => crate::html::compliance_page(model, c),
    }
}

pub(crate) fn counts(c: &Counts) -> String {
    ComplianceStatus::ALL
        .iter()
        .map(|s| format!("{} {}", s.as_str(), c.get(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn title(c: &Compliance) -> String {
    match &c.level {
        Some(level) => format!("{}, level {level}", c.title),
        None => c.title.clone(),
    }
}

fn headline(model: &Model, c: &Compliance) -> String {
    format!(
        "{} for {}: {} requirement{}",
        title(c),
        model.system_name(),
        c.requirements.len(),
        if c.requirements.len() == 1 { "" } else { "s" }
    )
}

fn human(model: &Model, c: &Compliance) -> String {
    let mut out = format!("{}\n", line(&headline(model, c)));
    let _ = writeln!(out, "{}\n", counts(&c.summary));
    out.push_str("By chapter:\n");
    for ch in &c.chapters {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            line(&ch.id),
            line(&ch.title),
            counts(&ch.counts)
        );
    }
    out.push_str("\nRequirements:\n");
    for r in &c.requirements {
        let level = r
            .level
            .as_deref()
            .map_or(String::new(), |l| format!(" [{l}]"));
        let _ = writeln!(
            out,
            "  {}{level} {}: {}",
            line(&r.id),
            r.status.as_str(),
            line(&r.title)
        );
        let _ = writeln!(out, "      {}", line(&r.reason));
        for t in &r.threats {
            let _ = writeln!(out, "      - {}", line(t));
        }
    }
    if let Some(records) = &c.records {
        out.push_str("\nRecords of processing (GDPR Art. 30), from the model:\n");
        if records.is_empty() {
            out.push_str("  no data asset has a personal category\n");
        }
        for r in records {
            let _ = writeln!(out, "  {} ({})", line(&r.name), line(&r.data));
            for (label, value) in crate::records::record_rows(r) {
                let _ = writeln!(out, "      {label}: {}", line(&value));
            }
        }
    }
    let _ = writeln!(out, "\nSource: {} ({})", line(&c.source), line(&c.license));
    out
}

fn md(model: &Model, c: &Compliance) -> String {
    let mut out = format!("## {}\n\n", markdown(&headline(model, c)));
    let _ = writeln!(out, "{}\n", counts(&c.summary));
    let statuses = ComplianceStatus::ALL;
    let head: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let _ = writeln!(
        out,
        "| chapter | {} |\n|---|{}",
        head.join(" | "),
        "---|".repeat(statuses.len())
    );
    for ch in &c.chapters {
        let mut row = vec![markdown(&format!("{} {}", ch.id, ch.title))];
        row.extend(statuses.iter().map(|s| ch.counts.get(*s).to_string()));
        out.push_str(&markdown_row(&row));
        out.push('\n');
    }
    out.push_str("\n| requirement | level | title | status | why |\n|---|---|---|---|---|\n");
    for r in &c.requirements {
        let mut why = r.reason.clone();
        if !r.threats.is_empty() {
            why.push_str(": ");
            why.push_str(&r.threats.join(", "));
        }
        let row = [
            markdown(&r.id),
            markdown(r.level.as_deref().unwrap_or("")),
            markdown(&r.title),
            format!("**{}**", r.status.as_str()),
            markdown(&why),
        ];
        out.push_str(&markdown_row(&row));
        out.push('\n');
    }
    if let Some(records) = &c.records {
        out.push_str("\n### Records of processing (GDPR Art. 30), from the model\n\n");
        out.push_str("| data | categories | collected from | processed by | stored in | transfers | third parties | retention |\n|---|---|---|---|---|---|---|---|\n");
        for r in records {
            let mut row = vec![markdown(&format!("{} ({})", r.name, r.data))];
            row.extend(
                crate::records::record_rows(r)
                    .iter()
                    .map(|(_, v)| markdown(v)),
            );
            out.push_str(&markdown_row(&row));
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "\nSource: {} ({})",
        markdown(&c.source),
        markdown(&c.license)
    );
    out
}

fn csv(c: &Compliance) -> String {
    let mut out =
        String::from("framework,requirement,chapter,level,title,status,reason,threats\r\n");
    for r in &c.requirements {
        let row = [
            c.framework.clone(),
            r.id.clone(),
            r.chapter.clone(),
            r.level.clone().unwrap_or_default(),
            r.title.clone(),
            r.status.as_str().to_owned(),
            r.reason.clone(),
            r.threats.join(" "),
        ];
        let cells: Vec<String> = row.iter().map(|x| cell(x)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    if let Some(records) = &c.records {
        out.push_str("\r\ndata,name,categories,collected_from,processed_by,stored_in,transfers,third_parties,retention\r\n");
        for r in records {
            let mut row = vec![cell(&r.data), cell(&r.name)];
            row.extend(crate::records::record_rows(r).iter().map(|(_, v)| cell(v)));
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}
