//! The Markdown report, for pull-request comments and wikis: a summary, the top risks, the
//! Mermaid diagram, and every threat in a collapsed section.
//!
//! Model and rule text goes through [`crate::escape`]: as Markdown, or as HTML inside the
//! `<summary>` line (a raw HTML block, where Markdown is not read). Links appear only where this
//! writer makes them, for CAPEC and CWE.

use std::fmt::Write as _;

use rayon::prelude::*;
use threatforge_analysis::{Analysis, Threat};
use threatforge_model::{Model, ThreatSeverity};

use crate::escape::{
    markdown as md, markdown_code as code, markdown_row as row, markdown_with_code as md_code, xml,
};

/// How many risks the top table shows.
const TOP: usize = 10;

/// How many threats' sections are rendered at once, in parallel.
const SECTION_CHUNK: usize = 4096;

pub fn render(model: &Model, analysis: &Analysis) -> String {
    crate::written::as_text(|out| write(model, analysis, out))
}

/// Writes the report into `sink` as it is rendered: the head, then the threats' sections a
/// chunk at a time, then the checklist.
pub(crate) fn write(
    model: &Model,
    analysis: &Analysis,
    sink: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = String::new();
    let summary = crate::json::summary(analysis, None);
    let _ = writeln!(out, "# Threat model: {}\n", md(model.system_name()));
    let severities: Vec<String> = summary
        .open_by_severity
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = writeln!(
        out,
        "**{} threats, {} open** ({}). {}, {}, {}, {}.\n",
        summary.threats,
        summary.open,
        severities.join(", "),
        counted(model.components.len(), "component", "components"),
        counted(model.flows.len(), "flow", "flows"),
        counted(model.data.len(), "data asset", "data assets"),
        counted(model.boundaries.len(), "boundary", "boundaries")
    );
    let statuses: Vec<String> = summary
        .by_status
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let _ = writeln!(out, "Status: {}.\n", statuses.join(", "));

    let top = crate::json::at_or_above(analysis, ThreatSeverity::Info);
    if !top.is_empty() {
        let _ = writeln!(
            out,
            "## Top risks\n\n| severity | score | threat | title | missing controls |\n|---|---|---|---|---|"
        );
        for t in top.iter().take(TOP) {
            let _ = writeln!(
                out,
                "{}",
                row(&[
                    t.severity().to_string(),
                    format!("{}/16", t.residual.score),
                    code(&t.id.to_string()),
                    md(&t.title),
                    md(&threatforge_analysis::join(t.mitigation.missing(), ", ")
                        .replace('|', " or ")),
                ])
            );
        }
        out.push('\n');
    }

    if let Some(evidence) = analysis.evidence.as_deref() {
        evidence_section(&mut out, analysis, evidence);
    }

    let diagram =
        crate::diagram::mermaid(model, analysis, &crate::diagram::DiagramOptions::default());
    let _ = writeln!(out, "## Diagram\n\n```mermaid\n{}```\n", diagram);

    let _ = writeln!(out, "## Threats\n");
    sink.write_all(out.as_bytes())?;
    // Each threat's section is rendered on its own, so a chunk's sections are rendered in
    // parallel while the chunk before is written out: at 50,000 components they are 200 MB that
    // one core took 3 s to render and write. The sink need not be `Send` (standard output's lock
    // is not): it is written on this thread, beside the rendering (`in_place_scope`).
    let threats = crate::json::by_risk(analysis);
    let mut rendered: Vec<String> = Vec::new();
    for chunk in threats.chunks(SECTION_CHUNK) {
        let mut next: Vec<String> = Vec::new();
        let written = rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                next = chunk
                    .par_iter()
                    .map(|t| {
                        let mut section = String::new();
                        threat_section(&mut section, model, t);
                        section
                    })
                    .collect();
            });
            rendered
                .iter()
                .try_for_each(|section| sink.write_all(section.as_bytes()))
        });
        written?;
        rendered = next;
    }
    let mut tail = rendered.concat();
    hygiene(&mut tail, analysis);
    sink.write_all(tail.as_bytes())
}

/// One threat's collapsed section.
fn threat_section(out: &mut String, model: &Model, t: &Threat) {
    // The summary line opens a raw HTML block: its text is HTML, not Markdown.
    let _ = writeln!(
        out,
        "<details><summary>{} · <code>{}</code> · {}</summary>\n",
        t.severity(),
        xml(&t.id.to_string()),
        xml(&t.title)
    );
    let _ = writeln!(out, "{}\n", md_code(&t.explanation));
    // A manual threat's description is its explanation already.
    if !t.description.is_empty() && *t.description != *t.explanation {
        let _ = writeln!(out, "What it is: {}\n", md(&t.description));
    }
    let _ = writeln!(
        out,
        "- status: {}{}",
        t.status,
        t.reason
            .as_ref()
            .map_or(String::new(), |r| format!(" ({})", md(r)))
    );
    // A decision may set the band its score alone would not give (an imported risk's stated
    // severity): say so, or "critical 6/16" reads as a contradiction of the scale.
    let band = |score: &threatforge_analysis::Score| {
        let scored = ThreatSeverity::of_score(score.score);
        if score.severity == scored {
            format!("{} {}/16", score.severity, score.score)
        } else {
            format!(
                "{}, as the decision sets it ({}/16 alone is {scored})",
                score.severity, score.score
            )
        }
    };
    let _ = writeln!(
        out,
        "- score: inherent {}, residual {} (likelihood {}, impact {})",
        band(&t.inherent),
        band(&t.residual),
        t.residual.likelihood,
        t.residual.impact
    );
    for f in &t.factors {
        let _ = writeln!(
            out,
            "  - {} {}: {}",
            f.on,
            signed(f.effect),
            md_code(&f.reason)
        );
    }
    if let Some(evidence) = &t.evidence {
        threat_evidence(out, evidence);
    }
    if t.mitigation.has_missing() {
        let _ = writeln!(
            out,
            "- missing controls: {}",
            md(&threatforge_analysis::join(t.mitigation.missing(), ", ").replace('|', " or "))
        );
    }
    if t.mitigation.has_in_place() {
        let _ = writeln!(
            out,
            "- controls in place: {}",
            md(&threatforge_analysis::join(t.mitigation.in_place(), ", "))
        );
    }
    let refs: Vec<String> = t
        .capec
        .iter()
        .map(|c| format!("[CAPEC-{c}](https://capec.mitre.org/data/definitions/{c}.html)"))
        .chain(
            t.cwe
                .iter()
                .map(|c| format!("[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)")),
        )
        .collect();
    if !refs.is_empty() {
        let _ = writeln!(out, "- {}", refs.join(", "));
    }
    if let Some(d) = &t.decision {
        // A decision nobody signed (an import's unchecked risk) says only its status.
        let _ = writeln!(
            out,
            "- decision: {}{}{}{}",
            d.status,
            d.owner
                .as_deref()
                .map_or(String::new(), |o| format!(" by {}", md(o))),
            d.ticket
                .as_ref()
                .map_or(String::new(), |x| format!(", ticket {}", md(x))),
            d.expires
                .as_ref()
                .map_or(String::new(), |x| format!(", expires {}", md(x)))
        );
    }
    let advice = crate::remediation::of(model, t);
    let _ = writeln!(out, "- what to do: {}", md(&advice.lead));
    for control in advice.controls.iter().filter(|c| !c.remediation.is_empty()) {
        let _ = writeln!(
            out,
            "  - {} {}: {}",
            md(&control.title),
            code(&control.id),
            md(&control.remediation)
        );
    }
    // As text: a pull-request comment must not carry a link a team's rule file (text from
    // the pull request) chose; only the CWE and CAPEC links are links.
    if let Some(link) = advice.link.as_deref() {
        let _ = writeln!(out, "- read more: {}", md(link));
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The hygiene checklist: one row per baseline practice missing, after the threats of the design.
fn hygiene(out: &mut String, analysis: &Analysis) {
    if analysis.hygiene.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Hygiene checklist

Baseline practices every such element needs whatever the design: \
         not threats of this design, and no gate counts them.\n\n\
         | status | item | where | missing controls |\n|---|---|---|---|"
    );
    for t in &analysis.hygiene {
        let elements: Vec<String> = t.elements().map(|e| code(&e.id)).collect();
        let _ = writeln!(
            out,
            "{}",
            row(&[
                t.status.to_string(),
                md(&t.title),
                elements.join(", "),
                md(&threatforge_analysis::join(t.mitigation.missing(), ", ").replace('|', " or ")),
            ])
        );
    }
    out.push('\n');
}

/// What scanners and tests said of the model as a whole: per tool, the controls' verification,
/// and the high threats that rest on controls no test verifies.
fn evidence_section(
    out: &mut String,
    analysis: &Analysis,
    evidence: &threatforge_analysis::EvidenceSummary,
) {
    use threatforge_analysis::Verification;
    let _ = writeln!(
        out,
        "## Evidence\n\n{} evidence files: {} threats confirmed by scanners, {} unmodeled weaknesses; controls {} verified, {} failed, {} unverified.\n",
        evidence.files.len(),
        evidence.confirmed.len(),
        evidence.unmodeled.len(),
        evidence.count(Verification::Verified),
        evidence.count(Verification::Failed),
        evidence.count(Verification::Unverified)
    );
    if !evidence.tools.is_empty() {
        let _ = writeln!(
            out,
            "| tool | findings | mapped | unmapped | suppressed |\n|---|---|---|---|---|"
        );
        for tool in &evidence.tools {
            let _ = writeln!(
                out,
                "{}",
                row(&[
                    md(&tool.tool),
                    tool.findings.to_string(),
                    tool.mapped.to_string(),
                    tool.unmapped.to_string(),
                    tool.suppressed.to_string(),
                ])
            );
        }
        out.push('\n');
    }
    let unverified = threatforge_analysis::unverified_at_or_above(analysis, ThreatSeverity::High);
    if !unverified.is_empty() {
        let _ = writeln!(
            out,
            "High threats whose controls no test verifies:\n\n| threat | controls |\n|---|---|"
        );
        for t in unverified {
            let controls: Vec<String> = t
                .evidence
                .iter()
                .flat_map(|e| &e.controls)
                .map(|c| format!("{} ({})", c.control, c.status.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "{}",
                row(&[code(&t.id.to_string()), md(&controls.join(", "))])
            );
        }
        out.push('\n');
    }
    if !evidence.unmapped.is_empty() {
        let _ = writeln!(
            out,
            "{} findings no component claims (no `code` glob or `endpoints` entry covers them).\n",
            evidence.unmapped.len()
        );
    }
}

/// A threat's findings and its controls' verification, as list items.
fn threat_evidence(out: &mut String, evidence: &threatforge_analysis::ThreatEvidence) {
    if let Some(f) = &evidence.factor {
        let _ = writeln!(out, "- likelihood +{}: {}", f.effect, md_code(&f.reason));
    }
    if !evidence.findings.is_empty() {
        let _ = writeln!(out, "- confirmed by:");
        for f in &evidence.findings {
            let cwe: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
            // Scanner text is untrusted like model text; its link is shown as text.
            let _ = writeln!(
                out,
                "  - {} {}{} at {}: {}{}",
                md(&f.tool),
                code(&f.rule),
                if cwe.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", cwe.join(", "))
                },
                code(&f.location()),
                md(&threatforge_analysis::one_line(&f.message)),
                f.link
                    .as_ref()
                    .map_or(String::new(), |l| format!(" (read more: {})", md(l)))
            );
        }
    }
    if !evidence.controls.is_empty() {
        let checks: Vec<String> = evidence
            .controls
            .iter()
            .map(crate::evidence::check)
            .collect();
        let _ = writeln!(out, "- verification: {}", md(&checks.join("; ")));
    }
}

/// A factor's effect as the report shows it: `start` for a starting point, else signed (a ceiling
/// can take the impact down by two steps or more).
fn signed(effect: i8) -> std::borrow::Cow<'static, str> {
    // Allocates only for a ceiling of two steps or more: a large model has a million factors.
    match effect {
        0 => "start".into(),
        1 => "+1".into(),
        -1 => "-1".into(),
        effect => format!("{effect:+}").into(),
    }
}

/// `n` with the noun that agrees with it.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_effect_is_shown_with_its_sign_and_size() {
        assert_eq!(super::signed(0), "start");
        assert_eq!(super::signed(1), "+1");
        assert_eq!(super::signed(-1), "-1");
        assert_eq!(super::signed(-2), "-2");
    }
}
