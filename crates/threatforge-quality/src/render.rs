//! The report for a person: per model, then the totals, then the comparison with the baseline.

use std::fmt::Write as _;

use crate::Suite;
use crate::baseline::Comparison;
use crate::measure::{FindStatus, Metrics, ModelReport, Via};

pub fn human(suite: &Suite, comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "threatforge quality: {} models, {} built-in rules\n",
        suite.models.len(),
        suite.rules
    );
    for model in &suite.models {
        model_section(&mut out, model);
    }
    let _ = writeln!(out, "== Total ({} models)", suite.totals.models);
    summary(&mut out, &suite.totals.metrics, 5 * suite.totals.models);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<14} {:>6} {:>9} {:>9} {:>5} {:>8} {:>9} {:>6} {:>6}",
        "model",
        "recall",
        "any sev.",
        "violated",
        "top5",
        "sev. ±1",
        "criticals",
        "median",
        "empty"
    );
    for model in &suite.models {
        table_row(&mut out, &model.name, &model.metrics);
    }
    table_row(&mut out, "total", &suite.totals.metrics);
    if let Some(comparison) = comparison {
        let _ = writeln!(out);
        baseline_section(&mut out, comparison);
    }
    out
}

fn model_section(out: &mut String, m: &ModelReport) {
    let _ = writeln!(out, "== {} ({})", m.name, m.model);
    let x = &m.metrics;
    let _ = writeln!(out, "{}", must_find_line(x));
    let id_width = m.must_find.iter().map(|f| f.id.len()).max().unwrap_or(0);
    for f in &m.must_find {
        let what = match (&f.best, f.status) {
            (Some(hit), _) => format!("{} {}", hit.threat, hit.severity),
            (None, FindStatus::NoRule) => {
                let mut ids: Vec<String> = f.cwe.iter().map(|c| format!("CWE-{c}")).collect();
                ids.extend(f.capec.iter().map(|c| format!("CAPEC-{c}")));
                format!("{} on {}", ids.join(", "), f.elements.join(", "))
            }
            (None, _) => format!("{} on {}", f.rules.join("|"), f.elements.join(", ")),
        };
        let _ = writeln!(
            out,
            "  {:<11} {:<id_width$}  {}  (min {})",
            f.status.as_str(),
            f.id,
            what,
            f.min_severity
        );
    }
    let _ = writeln!(out, "{}", must_not_find_line(x));
    for a in m.must_not_find.iter().filter(|a| !a.threats.is_empty()) {
        let threats: Vec<String> = a
            .threats
            .iter()
            .map(|h| format!("{} {}", h.threat, h.severity))
            .collect();
        let _ = writeln!(out, "  {}: {}", a.key, threats.join(", "));
    }
    let _ = writeln!(
        out,
        "top five        {}/5 expected among the engine's first five{}",
        x.top_overlap,
        if m.top.tied_beyond_cut > 0 {
            format!(
                " ({} the fifth's score)",
                counted(
                    m.top.tied_beyond_cut,
                    "more open threat shares",
                    "more open threats share"
                )
            )
        } else {
            String::new()
        }
    );
    for (n, hit) in m.top.actual.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {:<8} {:>2}/16  {}",
            n + 1,
            hit.severity.as_str(),
            hit.score,
            hit.threat
        );
    }
    let expected: Vec<String> = m
        .top
        .expected
        .iter()
        .map(|e| match e.rank {
            Some(rank) => format!("{} #{rank}", e.id),
            None => format!("{} -", e.id),
        })
        .collect();
    let _ = writeln!(out, "  expected: {}", expected.join(", "));
    let absent = m
        .severity
        .samples
        .iter()
        .filter(|s| s.via == Via::Absent)
        .count();
    let _ = writeln!(
        out,
        "severity        {} sampled: {} exact, {} within one step ({} of those present), {} absent",
        x.severity_samples,
        x.severity_exact,
        x.severity_within_one,
        percent(x.within_one_rate()),
        absent
    );
    if x.severity_samples > 0 {
        let _ = writeln!(
            out,
            "  {:<16}{}",
            "expected\\actual",
            crate::measure::LEVELS
                .iter()
                .map(|l| format!("{:>9}", l.as_str()))
                .chain([format!("{:>9}", "absent")])
                .collect::<String>()
        );
        for (expected, row) in &m.severity.confusion {
            if row.values().all(|n| *n == 0) {
                continue;
            }
            let cells: String = row.values().map(|n| format!("{n:>9}")).collect();
            let _ = writeln!(out, "  {expected:<16}{cells}");
        }
    }
    let by_severity: Vec<String> = m
        .open_by_severity
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "open threats    {} of {} ({}); median {} per element{}",
        x.open,
        x.threats,
        by_severity.join(", "),
        x.median_threats_per_element,
        match &m.busiest_element {
            Some(b) => format!(", most {} on {}", b.open, b.element),
            None => String::new(),
        }
    );
    let _ = writeln!(out, "{}", placeholders_line(x));
    for p in &m.placeholders {
        let _ = writeln!(out, "  {} ({}): \"{}\"", p.threat, p.text, p.excerpt);
    }
    let _ = writeln!(out);
}

fn summary(out: &mut String, x: &Metrics, top_slots: usize) {
    let _ = writeln!(out, "{}", must_find_line(x));
    let _ = writeln!(out, "{}", must_not_find_line(x));
    let _ = writeln!(
        out,
        "top five        {}/{top_slots} expected among the engines' first fives",
        x.top_overlap
    );
    let _ = writeln!(
        out,
        "severity        {} sampled: {} exact, {} within one step ({} of those present)",
        x.severity_samples,
        x.severity_exact,
        x.severity_within_one,
        percent(x.within_one_rate())
    );
    let _ = writeln!(
        out,
        "open threats    {} of {}, {} critical; median {} per element, most {}",
        x.open,
        x.threats,
        x.open_criticals,
        x.median_threats_per_element,
        x.max_threats_per_element
    );
    let _ = writeln!(out, "{}", placeholders_line(x));
}

fn table_row(out: &mut String, name: &str, x: &Metrics) {
    let _ = writeln!(
        out,
        "{:<14} {:>6} {:>9} {:>9} {:>5} {:>8} {:>9} {:>6} {:>6}",
        name,
        percent(x.recall_at_severity()),
        percent(x.recall()),
        format!("{}/{}", x.violated, x.must_not_find),
        x.top_overlap,
        percent(x.within_one_rate()),
        x.open_criticals,
        x.median_threats_per_element,
        x.placeholders
    );
}

fn baseline_section(out: &mut String, c: &Comparison) {
    if c.regressions.is_empty() && c.improvements.is_empty() {
        let _ = writeln!(out, "Baseline: no change.");
        return;
    }
    if !c.regressions.is_empty() {
        let _ = writeln!(out, "Worse than the baseline:");
        for line in &c.regressions {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !c.improvements.is_empty() {
        let _ = writeln!(
            out,
            "Better than the baseline (write it with `quality --write-baseline` and note it in docs/quality.md):"
        );
        for line in &c.improvements {
            let _ = writeln!(out, "  {line}");
        }
    }
}

// The lines a model's section and the totals share.

fn must_find_line(x: &Metrics) -> String {
    format!(
        "must find       {}/{} at severity ({}), {}/{} at any severity ({}); {} without a rule",
        x.found_at_severity,
        x.must_find,
        percent(x.recall_at_severity()),
        x.found,
        x.must_find,
        percent(x.recall()),
        counted(x.concerns_without_rule, "concern", "concerns")
    )
}

fn must_not_find_line(x: &Metrics) -> String {
    format!(
        "must not find   {}/{} violated, by {}",
        x.violated,
        x.must_not_find,
        counted(x.violating_threats, "threat", "threats")
    )
}

fn placeholders_line(x: &Metrics) -> String {
    format!(
        "placeholders    {}",
        counted(x.placeholders, "threat", "threats")
    )
}

/// "1 threat", "2 threats".
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}
