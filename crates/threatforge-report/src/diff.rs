//! The diff of two model versions, for a terminal, a pull-request comment (Markdown) or machines.

use std::fmt::Write as _;

use serde::Serialize;
use threatforge_analysis::{Change, Diff};
use threatforge_model::{Model, ThreatSeverity};

use threatforge_model::escape::line;

use crate::escape::{markdown as md, markdown_code as code, markdown_row as row};
use crate::mermaid;

/// Attribute changes as Markdown, `attribute: old → new`, joined by `separator`.
fn changes_md(changes: &[Change], separator: &str) -> String {
    changes
        .iter()
        .map(|x| format!("{}: {} → {}", md(&x.attribute), md(&x.old), md(&x.new)))
        .collect::<Vec<_>>()
        .join(separator)
}

fn hygiene_is_empty(diff: &Diff) -> bool {
    let h = &diff.hygiene;
    h.new.is_empty() && h.gone.is_empty() && h.changed.is_empty()
}

/// The hygiene checklist's changes, one line each (sign, terminal colour, text, why): a
/// baseline practice is a line to tick, so its id, title or status and the cause say enough.
fn hygiene_lines(diff: &Diff) -> Vec<(&'static str, &'static str, String, &[String])> {
    let h = &diff.hygiene;
    let added = h.new.iter().map(|t| {
        let text = format!("{}  {}", t.threat.id, t.threat.title);
        ("+", "33", text, t.reasons.as_slice())
    });
    let gone = h.gone.iter().map(|t| {
        let text = format!("{}  {}", t.threat.id, t.threat.title);
        ("-", "32", text, t.reasons.as_slice())
    });
    let changed = h.changed.iter().map(|t| {
        let text = format!("{}: {} -> {}", t.id, t.old_status, t.new_status);
        ("~", "33", text, t.reasons.as_slice())
    });
    added.chain(gone).chain(changed).collect()
}

/// One line a reviewer reads first.
pub(crate) fn headline(diff: &Diff) -> String {
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

/// For a terminal: text from the models is shown with its control characters and line breaks
/// escaped, so each entry stays on its line.
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
                line(&t.threat.id),
                line(&t.threat.title)
            );
            for r in &t.reasons {
                let _ = writeln!(out, "             because {}", line(r));
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
                t.threat.severity.as_str(),
                line(&t.threat.id),
                line(&t.threat.title)
            );
            for r in &t.reasons {
                let _ = writeln!(out, "             because {}", line(r));
            }
        }
    }
    if !diff.threats.changed.is_empty() {
        section(&mut out, "Changed threats");
        for t in &diff.threats.changed {
            let _ = writeln!(
                out,
                "  {} {}: {} {} -> {} {}",
                paint.paint("33", "~"),
                line(&t.id),
                t.old_severity,
                t.old_status,
                t.new_severity,
                t.new_status
            );
            for r in &t.reasons {
                let _ = writeln!(out, "      because {}", line(r));
            }
        }
    }
    if !hygiene_is_empty(diff) {
        section(&mut out, "Hygiene checklist");
        for (sign, color, item, reasons) in hygiene_lines(diff) {
            let _ = writeln!(out, "  {} {}", paint.paint(color, sign), line(&item));
            for r in reasons {
                let _ = writeln!(out, "      because {}", line(r));
            }
        }
    }
    let e = &diff.elements;
    if !e.added.is_empty() || !e.removed.is_empty() || !e.changed.is_empty() {
        section(&mut out, "Model");
        for (sign, color, elements) in [("+", "32", &e.added), ("-", "31", &e.removed)] {
            for x in elements {
                let reason = x
                    .reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(": {}", line(r)));
                let _ = writeln!(
                    out,
                    "  {} {} {}{reason}",
                    paint.paint(color, sign),
                    x.kind,
                    line(&x.id)
                );
            }
        }
        for c in &e.changed {
            let _ = writeln!(
                out,
                "  {} {} {}",
                paint.paint("33", "~"),
                c.kind,
                line(&c.id)
            );
            for change in &c.changes {
                let _ = writeln!(
                    out,
                    "      {}: {} -> {}",
                    line(&change.attribute),
                    line(&change.old),
                    line(&change.new)
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
            let _ = writeln!(out, "  + {}", line(a));
        }
        for r in &d.removed {
            let _ = writeln!(out, "  - {}", line(r));
        }
        for c in &d.changed {
            let changes: Vec<String> = c
                .changes
                .iter()
                .map(|x| format!("{} {} -> {}", x.attribute, x.old, x.new))
                .collect();
            let _ = writeln!(out, "  ~ {}: {}", line(&c.id), line(&changes.join("; ")));
        }
        for x in &d.expired {
            let _ = writeln!(out, "  ! acceptance of {} expired", line(x));
        }
    }
    out
}

/// For a pull-request comment: a summary line, tables, collapsed details, and a Mermaid diagram
/// of the changed part of the system.
pub fn markdown(diff: &Diff, new: &Model) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### threatforge: {}\n", md(&headline(diff)));
    if !diff.threats.new.is_empty() {
        let _ = writeln!(
            out,
            "**New threats**\n\n| severity | threat | title | why |\n|---|---|---|---|"
        );
        for t in &diff.threats.new {
            let _ = writeln!(
                out,
                "{}",
                row(&[
                    t.threat.severity.to_string(),
                    code(&t.threat.id),
                    md(&t.threat.title),
                    md(&t.reasons.join("; ")),
                ])
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
                "{}",
                row(&[
                    code(&t.id),
                    format!("{} ({})", t.old_severity, t.old_status),
                    format!("{} ({})", t.new_severity, t.new_status),
                    md(&t.reasons.join("; ")),
                ])
            );
        }
        out.push('\n');
    }
    if !diff.threats.gone.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} gone threat(s)</summary>\n\n| severity | threat | title | why |\n|---|---|---|---|",
            diff.threats.gone.len()
        );
        for t in &diff.threats.gone {
            let _ = writeln!(
                out,
                "{}",
                row(&[
                    t.threat.severity.to_string(),
                    code(&t.threat.id),
                    md(&t.threat.title),
                    md(&t.reasons.join("; ")),
                ])
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    if !hygiene_is_empty(diff) {
        let _ = writeln!(
            out,
            "<details><summary>Hygiene checklist: {} new, {} gone, {} changed</summary>\n\n| change | item | why |\n|---|---|---|",
            diff.hygiene.new.len(),
            diff.hygiene.gone.len(),
            diff.hygiene.changed.len()
        );
        for (sign, _, item, reasons) in hygiene_lines(diff) {
            let _ = writeln!(
                out,
                "{}",
                row(&[sign.to_owned(), md(&item), md(&reasons.join("; "))])
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
            let element = format!("{} {}", a.kind, code(&a.id));
            let reason = md(a.reason.as_deref().unwrap_or(""));
            let _ = writeln!(
                out,
                "{}",
                row(&["added", element.as_str(), reason.as_str()])
            );
        }
        for r in &e.removed {
            let element = format!("{} {}", r.kind, code(&r.id));
            let reason = md(r.reason.as_deref().unwrap_or(""));
            let _ = writeln!(
                out,
                "{}",
                row(&["removed", element.as_str(), reason.as_str()])
            );
        }
        for c in &e.changed {
            let element = format!("{} {}", c.kind, code(&c.id));
            let changes = changes_md(&c.changes, "<br>");
            let _ = writeln!(
                out,
                "{}",
                row(&["changed", element.as_str(), changes.as_str()])
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
pub(crate) struct Gate {
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
    crate::escape::json(&report)
}
