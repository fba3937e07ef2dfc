//! The diff of two model versions, for a terminal, a pull-request comment (Markdown) or machines.

use std::fmt::Write as _;

use serde::Serialize;
use threatforge_analysis::diff::{Change, Diff};
use threatforge_model::{Model, ThreatSeverity};

use crate::mermaid;

/// Text safe in a Markdown table cell: no pipes, line breaks, raw HTML, or code spans.
pub fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "&#96;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// An id as a code span. Ids are restricted to `[a-z0-9_-]` and `->` by the loader, but a
/// selector may hold anything, so backticks and pipes are still neutralized.
pub fn code(id: &str) -> String {
    format!(
        "`{}`",
        id.replace('`', "'")
            .replace('|', "\\|")
            .replace(['\n', '\r'], " ")
    )
}

/// Attribute changes as Markdown, `attribute: old → new`, joined by `separator`.
fn changes_md(changes: &[Change], separator: &str) -> String {
    changes
        .iter()
        .map(|x| {
            format!(
                "{}: {} → {}",
                cell(&x.attribute),
                cell(&x.old),
                cell(&x.new)
            )
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// One line a reviewer reads first.
pub fn headline(diff: &Diff) -> String {
    let t = &diff.threats;
    let e = &diff.elements;
    if diff.is_empty() {
        return "No change to the model's elements, threats or decisions.".to_owned();
    }
    format!(
        "{} new threat{}, {} gone, {} changed; {} element{} added, {} removed, {} changed.",
        t.new.len(),
        if t.new.len() == 1 { "" } else { "s" },
        t.gone.len(),
        t.changed.len(),
        e.added.len(),
        if e.added.len() == 1 { "" } else { "s" },
        e.removed.len(),
        e.changed.len()
    )
}

pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// For a terminal.
pub fn human(diff: &Diff, paint: &Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(diff));
    let section = |out: &mut String, title: &str| {
        let _ = writeln!(out, "\n{}", paint.paint("1", title));
    };
    if !diff.threats.new.is_empty() {
        section(&mut out, "New threats");
        for t in &diff.threats.new {
            let _ = writeln!(
                out,
                "  {} {:<8} {}  {}",
                paint.paint("31", "+"),
                t.threat.severity.as_str(),
                t.threat.id,
                t.threat.title
            );
            for r in &t.reasons {
                let _ = writeln!(out, "             because {r}");
            }
        }
    }
    if !diff.threats.gone.is_empty() {
        section(&mut out, "Gone threats");
        for t in &diff.threats.gone {
            let _ = writeln!(
                out,
                "  {} {:<8} {}  {}",
                paint.paint("32", "-"),
                t.severity.as_str(),
                t.id,
                t.title
            );
        }
    }
    if !diff.threats.changed.is_empty() {
        section(&mut out, "Changed threats");
        for t in &diff.threats.changed {
            let _ = writeln!(
                out,
                "  {} {}: {} {} -> {} {}",
                paint.paint("33", "~"),
                t.id,
                t.old_severity,
                t.old_status,
                t.new_severity,
                t.new_status
            );
            for r in &t.reasons {
                let _ = writeln!(out, "      because {r}");
            }
        }
    }
    let e = &diff.elements;
    if !e.added.is_empty() || !e.removed.is_empty() || !e.changed.is_empty() {
        section(&mut out, "Model");
        for a in &e.added {
            let _ = writeln!(out, "  {} {} {}", paint.paint("32", "+"), a.kind, a.id);
        }
        for r in &e.removed {
            let _ = writeln!(out, "  {} {} {}", paint.paint("31", "-"), r.kind, r.id);
        }
        for c in &e.changed {
            let _ = writeln!(out, "  {} {} {}", paint.paint("33", "~"), c.kind, c.id);
            for change in &c.changes {
                let _ = writeln!(
                    out,
                    "      {}: {} -> {}",
                    change.attribute, change.old, change.new
                );
            }
        }
    }
    let d = &diff.decisions;
    if !d.added.is_empty()
        || !d.removed.is_empty()
        || !d.changed.is_empty()
        || !d.expired.is_empty()
    {
        section(&mut out, "Decisions");
        for a in &d.added {
            let _ = writeln!(out, "  + {a}");
        }
        for r in &d.removed {
            let _ = writeln!(out, "  - {r}");
        }
        for c in &d.changed {
            let changes: Vec<String> = c
                .changes
                .iter()
                .map(|x| format!("{} {} -> {}", x.attribute, x.old, x.new))
                .collect();
            let _ = writeln!(out, "  ~ {}: {}", c.id, changes.join("; "));
        }
        for x in &d.expired {
            let _ = writeln!(out, "  ! acceptance of {x} expired");
        }
    }
    out
}

/// For a pull-request comment: a summary line, tables, collapsed details, and a Mermaid diagram
/// of the changed part of the system.
pub fn markdown(diff: &Diff, new: &Model) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### threatforge: {}\n", cell(&headline(diff)));
    if !diff.threats.new.is_empty() {
        let _ = writeln!(
            out,
            "**New threats**\n\n| severity | threat | title | why |\n|---|---|---|---|"
        );
        for t in &diff.threats.new {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                t.threat.severity,
                code(&t.threat.id),
                cell(&t.threat.title),
                cell(&t.reasons.join("; "))
            );
        }
        out.push('\n');
    }
    if !diff.threats.changed.is_empty() {
        let _ = writeln!(
            out,
            "**Changed threats**\n\n| threat | before | after | why |\n|---|---|---|---|"
        );
        for t in &diff.threats.changed {
            let _ = writeln!(
                out,
                "| {} | {} ({}) | {} ({}) | {} |",
                code(&t.id),
                t.old_severity,
                t.old_status,
                t.new_severity,
                t.new_status,
                cell(&t.reasons.join("; "))
            );
        }
        out.push('\n');
    }
    if !diff.threats.gone.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} gone threat(s)</summary>\n\n| severity | threat | title |\n|---|---|---|",
            diff.threats.gone.len()
        );
        for t in &diff.threats.gone {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                t.severity,
                code(&t.id),
                cell(&t.title)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    let e = &diff.elements;
    if !e.added.is_empty() || !e.removed.is_empty() || !e.changed.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Model changes</summary>\n\n| change | element | details |\n|---|---|---|"
        );
        for a in &e.added {
            let _ = writeln!(out, "| added | {} {} | |", a.kind, code(&a.id));
        }
        for r in &e.removed {
            let _ = writeln!(out, "| removed | {} {} | |", r.kind, code(&r.id));
        }
        for c in &e.changed {
            let _ = writeln!(
                out,
                "| changed | {} {} | {} |",
                c.kind,
                code(&c.id),
                changes_md(&c.changes, "<br>")
            );
        }
        let _ = writeln!(out, "\n</details>\n");
        // The changed part of the system: changed components, changed flows and their ends.
        let mut components: Vec<&str> = Vec::new();
        let mut flows: Vec<&str> = Vec::new();
        let mut highlight: Vec<&str> = Vec::new();
        for x in e
            .added
            .iter()
            .map(|a| (a.kind, a.id.as_str()))
            .chain(e.changed.iter().map(|c| (c.kind, c.id.as_str())))
        {
            match x.0 {
                "component" => {
                    components.push(x.1);
                    highlight.push(x.1);
                }
                "flow" => {
                    if let Some(f) = new.flows.get(x.1) {
                        flows.push(x.1);
                        highlight.push(x.1);
                        components.push(&f.source.value);
                        components.push(&f.target.value);
                    }
                }
                _ => {}
            }
        }
        // Flows between the shown components give the changed part its context.
        for f in new.flows.values() {
            if components.contains(&f.source.value.as_str())
                && components.contains(&f.target.value.as_str())
                && !flows.contains(&f.id.value.as_str())
            {
                flows.push(&f.id.value);
            }
        }
        components.sort_unstable();
        components.dedup();
        if !components.is_empty() {
            let _ = writeln!(
                out,
                "```mermaid\n{}```\n",
                mermaid::flowchart(new, &components, &flows, &highlight)
            );
        }
    }
    let d = &diff.decisions;
    if !d.added.is_empty()
        || !d.removed.is_empty()
        || !d.changed.is_empty()
        || !d.expired.is_empty()
    {
        let _ = writeln!(out, "<details><summary>Decisions</summary>\n");
        for a in &d.added {
            let _ = writeln!(out, "- added: {}", code(a));
        }
        for r in &d.removed {
            let _ = writeln!(out, "- removed: {}", code(r));
        }
        for c in &d.changed {
            let _ = writeln!(
                out,
                "- changed: {} ({})",
                code(&c.id),
                changes_md(&c.changes, "; ")
            );
        }
        for x in &d.expired {
            let _ = writeln!(out, "- expired acceptance: {}", code(x));
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    schema_version: u32,
    summary: String,
    #[serde(flatten)]
    diff: &'a Diff,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<Gate>,
}

#[derive(Serialize)]
pub struct Gate {
    pub fail_on_new: &'static str,
    pub passed: bool,
    pub introduced: Vec<String>,
}

pub fn json(diff: &Diff, fail_on_new: Option<ThreatSeverity>) -> String {
    let report = JsonDiff {
        schema_version: 1,
        summary: headline(diff),
        diff,
        gate: fail_on_new.map(|t| {
            let introduced = diff.introduced(t);
            Gate {
                fail_on_new: t.as_str(),
                passed: introduced.is_empty(),
                introduced,
            }
        }),
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
