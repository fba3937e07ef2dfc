//! The rule reference, generated from the rule files: `threatforge rules show`, `rules list
//! --format json`, and docs/rules.md with the coverage of the peers' rule sets.

use std::fmt::Write as _;

use serde::Serialize;
use threatforge_analysis::RuleCoverage;
use threatforge_analysis::{COVERAGE_PYTM, COVERAGE_THREAGILE};
use threatforge_analysis::{Rule, RuleSet};
use threatforge_model::catalog;
use threatforge_model::escape::{block, line};

fn capec_link(id: u32) -> String {
    format!("[CAPEC-{id}](https://capec.mitre.org/data/definitions/{id}.html)")
}

fn cwe_link(id: u32) -> String {
    format!("[CWE-{id}](https://cwe.mitre.org/data/definitions/{id}.html)")
}

fn joined(items: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = items.collect();
    if v.is_empty() {
        "—".to_owned()
    } else {
        v.join(", ")
    }
}

fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn applies_to(rule: &Rule) -> String {
    let a = &rule.file.applies_to;
    let mut text = format!("{}s", a.element.as_str());
    let mut filters = Vec::new();
    if !a.kinds.is_empty() {
        filters.push(format!(
            "kind {}",
            a.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if !a.technologies.is_empty() {
        filters.push(format!(
            "technology {}",
            a.technologies
                .iter()
                .map(|t| t.value.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if !a.traits.is_empty() {
        filters.push(format!(
            "trait {}",
            a.traits
                .iter()
                .map(|t| t.value.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if !filters.is_empty() {
        let _ = write!(text, " ({})", filters.join("; "));
    }
    text
}

/// `threatforge rules show ID`, for a terminal: a team's rule is text from a pull request, so
/// its control characters are shown escaped.
pub fn show(rule: &Rule) -> String {
    let f = &rule.file;
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}\n", line(&f.id.value), line(&f.title));
    let _ = writeln!(out, "{}\n", line(&one_paragraph(&f.description)));
    let _ = writeln!(out, "applies to:  {}", line(&applies_to(rule)));
    let _ = writeln!(out, "STRIDE:      {}", f.stride);
    if let Some(l) = f.linddun {
        let _ = writeln!(out, "LINDDUN:     {l}");
    }
    let _ = writeln!(
        out,
        "CAPEC:       {}",
        joined(f.capec.iter().map(|c| format!("CAPEC-{c}")))
    );
    let _ = writeln!(
        out,
        "CWE:         {}",
        joined(f.cwe.iter().map(|c| format!("CWE-{c}")))
    );
    let _ = writeln!(
        out,
        "likelihood:  {}   impact: {}{}",
        f.likelihood,
        f.impact,
        f.max_severity
            .map(|cap| format!("   at most: {cap}"))
            .unwrap_or_default()
    );
    for variant in &f.likelihood_when {
        let _ = writeln!(
            out,
            "  likelihood {} where {} ({})",
            variant.likelihood,
            line(&one_paragraph(&variant.when.value)),
            line(&one_paragraph(&variant.because.value))
        );
    }
    for variant in &f.max_severity_when {
        let _ = writeln!(
            out,
            "  at most {} where {} ({})",
            variant.max_severity,
            line(&one_paragraph(&variant.when.value)),
            line(&one_paragraph(&variant.because.value))
        );
    }
    let _ = writeln!(out, "\nmitigated by:");
    let title = |control: &str| catalog().control(control).map_or("", |c| c.title.as_str());
    for m in &f.mitigations {
        let _ = writeln!(out, "  {:<24} {}", line(&m.value), title(&m.value));
    }
    for variant in &f.mitigations_when {
        let _ = writeln!(out, "  where {}:", line(variant.when.value.trim()));
        for m in &variant.mitigations {
            let _ = writeln!(out, "    {:<22} {}", line(&m.value), title(&m.value));
        }
    }
    if !f.lets.is_empty() {
        let _ = writeln!(out, "\ndefinitions:");
        for (head, body) in &f.lets {
            let _ = writeln!(
                out,
                "  let {} = {}",
                line(head.value.trim()),
                block(body.value.trim()).replace('\n', "\n  ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\ncondition:\n  {}",
        block(f.condition.value.trim()).replace('\n', "\n  ")
    );
    if let Some(members) = &f.members {
        let _ = writeln!(
            out,
            "\nmembers (what its threat is about):\n  {}",
            block(members.value.trim()).replace('\n', "\n  ")
        );
    }
    if !f.references.is_empty() {
        let _ = writeln!(out, "\nreferences:");
        for r in &f.references {
            let _ = writeln!(out, "  {}", line(r));
        }
    }
    out
}

#[derive(Serialize)]
struct RuleSummary<'a> {
    id: &'a str,
    title: &'a str,
    element: &'static str,
    stride: &'static str,
    linddun: Option<&'static str>,
    capec: &'a [u32],
    cwe: &'a [u32],
    mitigations: Vec<&'a str>,
    builtin: bool,
}

/// `threatforge rules list --format json`.
pub fn json(set: &RuleSet) -> String {
    let rules: Vec<RuleSummary> = set
        .rules
        .iter()
        .map(|r| RuleSummary {
            id: r.id(),
            title: &r.file.title,
            element: r.file.applies_to.element.as_str(),
            stride: r.file.stride.as_str(),
            linddun: r.file.linddun.map(|l| l.as_str()),
            capec: &r.file.capec,
            cwe: &r.file.cwe,
            mitigations: r
                .file
                .mitigations
                .iter()
                .map(|m| m.value.as_str())
                .collect(),
            builtin: r.origin == threatforge_analysis::Origin::Builtin,
        })
        .collect();
    crate::escape::json(&rules)
}

fn coverage(text: &str) -> RuleCoverage {
    serde_saphyr::from_str(text).unwrap_or_default()
}

fn coverage_table(out: &mut String, source: &str, entries: &RuleCoverage, set: &RuleSet) {
    let _ = writeln!(
        out,
        "| {source} | threatforge rules | note |\n|---|---|---|"
    );
    for (id, entry) in entries {
        let rules = entry
            .covered_by
            .iter()
            .map(|r| {
                if set.get(r).is_some() {
                    format!("[`{r}`](#{r})")
                } else {
                    format!("`{r}` (missing)")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let note = [
            entry
                .left_out
                .as_ref()
                .map(|r| format!("left out: {}", one_paragraph(r))),
            entry
                .differs
                .as_ref()
                .map(|d| format!("differs: {}", one_paragraph(d))),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let _ = writeln!(
            out,
            "| `{id}` | {} | {note} |",
            if rules.is_empty() {
                "—".into()
            } else {
                rules
            }
        );
    }
}

/// docs/rules.md.
pub fn markdown(set: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Rules\n\n<!-- Generated by `threatforge rules doc` from crates/threatforge-analysis/rules/; do not edit. -->\n"
    );
    let _ = writeln!(
        out,
        "threatforge's built-in library has {} rules, one YAML file each, in the format teams use for \
         their own rules ([writing rules](writing-rules.md)). CAPEC and CWE ids refer to MITRE's catalogues \
         (see NOTICE).\n",
        set.rules.len()
    );
    let _ = writeln!(
        out,
        "| rule | applies to | STRIDE | LINDDUN | CAPEC | CWE |\n|---|---|---|---|---|---|"
    );
    for rule in &set.rules {
        let f = &rule.file;
        let _ = writeln!(
            out,
            "| [`{}`](#{}) {} | {} | {} | {} | {} | {} |",
            rule.id(),
            rule.id(),
            f.title,
            f.applies_to.element,
            f.stride,
            f.linddun.map_or("—", |l| l.as_str()),
            joined(f.capec.iter().map(|c| c.to_string())),
            joined(f.cwe.iter().map(|c| c.to_string())),
        );
    }
    let _ = writeln!(out, "\n## Coverage of Threagile's rules\n");
    coverage_table(
        &mut out,
        "Threagile rule",
        &coverage(COVERAGE_THREAGILE),
        set,
    );
    let _ = writeln!(out, "\n## Coverage of pytm's threat library\n");
    coverage_table(&mut out, "pytm threat", &coverage(COVERAGE_PYTM), set);
    let _ = writeln!(out, "\n## The rules\n");
    for rule in &set.rules {
        let f = &rule.file;
        let _ = writeln!(
            out,
            "### {}\n\n**{}**. {}\n",
            rule.id(),
            f.title,
            one_paragraph(&f.description)
        );
        let _ = writeln!(out, "- applies to: {}", applies_to(rule));
        let _ = writeln!(
            out,
            "- STRIDE: {}{}",
            f.stride,
            f.linddun
                .map_or(String::new(), |l| format!("; LINDDUN: {l}"))
        );
        let _ = writeln!(
            out,
            "- CAPEC: {}; CWE: {}",
            joined(f.capec.iter().map(|c| capec_link(*c))),
            joined(f.cwe.iter().map(|c| cwe_link(*c)))
        );
        let _ = writeln!(
            out,
            "- likelihood {}, impact {}{}{}",
            f.likelihood,
            f.impact,
            f.max_severity
                .map(|cap| format!(", at most {cap}"))
                .unwrap_or_default(),
            if f.reaches_secrets {
                ", reaches secrets beyond the element"
            } else {
                ""
            }
        );
        for variant in &f.likelihood_when {
            let _ = writeln!(
                out,
                "  - likelihood {} where {}: {}",
                variant.likelihood,
                crate::escape::markdown_code(&one_paragraph(&variant.when.value)),
                crate::escape::markdown(&one_paragraph(&variant.because.value))
            );
        }
        for variant in &f.max_severity_when {
            let _ = writeln!(
                out,
                "  - at most {} where {}: {}",
                variant.max_severity,
                crate::escape::markdown_code(&one_paragraph(&variant.when.value)),
                crate::escape::markdown(&one_paragraph(&variant.because.value))
            );
        }
        let _ = writeln!(
            out,
            "- mitigated by: {}",
            joined(f.mitigations.iter().map(|m| format!("`{}`", m.value)))
        );
        for variant in &f.mitigations_when {
            let _ = writeln!(
                out,
                "  - where {}: {}",
                crate::escape::markdown_code(variant.when.value.trim()),
                joined(variant.mitigations.iter().map(|m| format!("`{}`", m.value)))
            );
        }
        if !f.supersedes.is_empty() {
            let _ = writeln!(
                out,
                "- supersedes (one threat per root cause): {}",
                joined(
                    f.supersedes
                        .iter()
                        .map(|s| format!("[`{0}`](#{0})", s.value))
                )
            );
        }
        if !f.covers.threagile.is_empty() || !f.covers.pytm.is_empty() {
            let covers: Vec<String> = f
                .covers
                .threagile
                .iter()
                .map(|t| format!("Threagile `{t}`"))
                .chain(f.covers.pytm.iter().map(|p| format!("pytm `{p}`")))
                .collect();
            let _ = writeln!(out, "- covers: {}", covers.join(", "));
        }
        let definitions: String = f
            .lets
            .iter()
            .map(|(head, body)| format!("let {} = {}\n", head.value.trim(), body.value.trim()))
            .collect();
        let _ = writeln!(
            out,
            "\n```cel\n{definitions}{}\n```\n",
            f.condition.value.trim()
        );
        if let Some(members) = &f.members {
            let _ = writeln!(
                out,
                "Its threat's members, the elements it is about:\n\n```cel\n{}\n```\n",
                members.value.trim()
            );
        }
        for r in &f.references {
            let _ = writeln!(out, "- <{r}>");
        }
        if !f.references.is_empty() {
            out.push('\n');
        }
    }
    out
}
