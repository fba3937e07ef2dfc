//! JUnit XML for CI dashboards: one test case per threat (a rule on an element), failing when the
//! threat is open at or above the threshold.

use std::fmt::Write as _;

use threatforge_analysis::Analysis;
use threatforge_model::{Model, ThreatSeverity};

use crate::escape::xml as escape;

pub(crate) fn render(model: &Model, analysis: &Analysis, threshold: ThreatSeverity) -> String {
    let failing = |t: &&threatforge_analysis::Threat| t.is_open() && t.severity() >= threshold;
    let failures = analysis.threats.iter().filter(failing).count();
    let skipped = analysis.threats.iter().filter(|t| !t.is_open()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = escape(&format!("threatforge: {}", model.system_name()));
    let _ = writeln!(
        out,
        "<testsuites name=\"{name}\" tests=\"{}\" failures=\"{failures}\">",
        analysis.threats.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        analysis.threats.len()
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"fail-on\" value=\"{}\"/></properties>",
        threshold
    );
    for t in &analysis.threats {
        let location = model.sources.locate(t.span);
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            escape(&t.rule),
            escape(&t.element.id),
            escape(&location.file),
            location.line
        );
        // Evidence as the test case's properties (only when evidence touched the threat, so
        // that a run without evidence keeps its test cases as they were).
        let properties = t.evidence.as_deref().map(properties).unwrap_or_default();
        if failing(&t) {
            let _ = writeln!(out, ">");
            out.push_str(&properties);
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}",
                escape(&format!(
                    "{} ({} {}/16)",
                    t.title,
                    t.severity(),
                    t.residual.score
                )),
                t.severity(),
                escape(&t.explanation)
            );
            if t.mitigation.has_missing() {
                let _ = writeln!(
                    out,
                    "Missing controls: {}",
                    escape(&threatforge_analysis::join(t.mitigation.missing(), ", "))
                );
            }
            if let Some(factor) = t.evidence.as_ref().and_then(|e| e.factor.as_ref()) {
                let _ = writeln!(out, "Confirmed by evidence: {}", escape(&factor.reason));
            }
            let _ = writeln!(out, "      </failure>\n    </testcase>");
        } else if !t.is_open() {
            let _ = writeln!(
                out,
                ">\n{properties}      <skipped message=\"{}\"/>\n    </testcase>",
                escape(t.status.as_str())
            );
        } else if !properties.is_empty() {
            let _ = writeln!(out, ">\n{properties}    </testcase>");
        } else {
            let _ = writeln!(out, "/>");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A threat's evidence as a `<properties>` block: `confirmed-by` per finding, `control:<name>`
/// per control in place with its verification and tests.
fn properties(e: &threatforge_analysis::ThreatEvidence) -> String {
    let mut lines = String::new();
    for f in &e.findings {
        let _ = writeln!(
            lines,
            "        <property name=\"confirmed-by\" value=\"{}\"/>",
            escape(&crate::evidence::finding(f))
        );
    }
    for c in &e.controls {
        let value = if c.tests.is_empty() {
            c.status.as_str().to_owned()
        } else {
            format!("{}: {}", c.status.as_str(), c.tests.join(", "))
        };
        let _ = writeln!(
            lines,
            "        <property name=\"control:{}\" value=\"{}\"/>",
            escape(&c.control),
            escape(&value)
        );
    }
    if lines.is_empty() {
        return lines;
    }
    format!("      <properties>\n{lines}      </properties>\n")
}
