//! `threatforge import --compare risks.json`: the risks Threagile reported on a model (the
//! `risks.json` its `analyze-model` writes) against what threatforge finds on the import, so a
//! team moving over sees which of Threagile's findings it keeps and where the two tools differ.
//!
//! A Threagile risk counts as kept when a finding (a threat or a checklist line) of a rule that
//! covers its rule (`rules/coverage-threagile.yaml`) concerns the same element: the asset
//! itself, a flow to or from it, or the boundary or runtime that holds it. One line per rule and
//! element: Threagile reports a risk per link where its rule looks at links.
//!
//! Also what the import itself asks of the analysis: which of the decisions it wrote from
//! Threagile's risk tracking match no threat (`unmatched_decisions`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use threatforge_analysis::{Analysis, Analyzed, Project, ProjectOptions, Source, Threat};
use threatforge_import::{Imported, ThreagileElem, threagile_rule};
use threatforge_model::escape::line;
use threatforge_model::{Code, Model, Span};

/// One Threagile rule on one element, with how many of Threagile's risks it stands for.
struct Risk {
    rule: String,
    /// The Threagile id of the element, or `model` for a rule about the model as a whole.
    element: String,
    /// What the id names, as `Imported::ids` prefixes it (`asset`, `boundary`, `runtime`).
    namespace: &'static str,
    count: usize,
}

/// The comparison, as lines for the terminal; `Err` when `risks` is not Threagile's risk list.
pub(super) fn compare(
    risks: &[u8],
    imported: &Imported,
    analyzed: &Analyzed,
) -> Result<String, String> {
    let risks = read_risks(risks)?;
    let (loaded, analysis) = (&analyzed.loaded, &analyzed.analysis);
    let mut out = String::new();
    let mut kept = 0;
    let mut by_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut placeholders = 0;
    for risk in &risks {
        let verdict = verdict(risk, imported, &loaded.model, analysis);
        let (mark, what) = match &verdict {
            Verdict::Placeholder => {
                placeholders += 1;
                (
                    "left  ",
                    "Threagile's template example, not counted".to_owned(),
                )
            }
            Verdict::Kept(by) => {
                kept += 1;
                let entry = by_rule.entry(&risk.rule).or_default();
                entry.0 += 1;
                entry.1 += 1;
                ("kept  ", by.clone())
            }
            Verdict::Missed(why) => {
                by_rule.entry(&risk.rule).or_default().1 += 1;
                ("missed", why.clone())
            }
        };
        let times = if risk.count > 1 {
            format!(" ({} risks)", risk.count)
        } else {
            String::new()
        };
        // The rule and element come from the risk list as written: one line each, whatever
        // they hold.
        let _ = writeln!(
            out,
            "  {mark} {}@{}{times}: {what}",
            line(&risk.rule),
            line(&risk.element)
        );
    }
    let rules_kept = by_rule.values().filter(|(k, _)| *k > 0).count();
    let summary = format!(
        "Threagile's risks kept: {kept} of {} ({}%), one per rule and element; {rules_kept} of {} of its rules kept at least once\n",
        risks.len() - placeholders,
        percent(kept, risks.len() - placeholders),
        by_rule.len()
    );
    Ok(summary + &out)
}

enum Verdict {
    /// The finding that keeps it.
    Kept(String),
    /// Why none does.
    Missed(String),
    /// One of the template's example risks, which the import leaves out: not counted.
    Placeholder,
}

fn verdict(risk: &Risk, imported: &Imported, model: &Model, analysis: &Analysis) -> Verdict {
    let Some(mapping) = threagile_rule(&risk.rule) else {
        if is_placeholder(risk, imported) {
            return Verdict::Placeholder;
        }
        return carried_individual_risk(risk, imported, analysis).map_or_else(
            || Verdict::Missed("not one of Threagile's built-in rules".to_owned()),
            |id| Verdict::Kept(format!("manual threat {id}, the model's own risk")),
        );
    };
    if mapping.covered_by.is_empty() {
        return Verdict::Missed("no threatforge rule covers it (coverage table)".to_owned());
    }
    let target = if risk.namespace == "model" {
        None
    } else {
        let key = format!("{}:{}", risk.namespace, risk.element);
        match imported
            .ids
            .binary_search_by(|(source, _)| source.as_str().cmp(&key))
        {
            Ok(i) => Some(imported.ids[i].1.as_str()),
            Err(_) => {
                return Verdict::Missed(format!(
                    "`{}` is not an element of the imported model",
                    line(&risk.element)
                ));
            }
        }
    };
    let covers = |t: &Threat| {
        mapping
            .covered_by
            .iter()
            .any(|(rule, _)| t.stands_for(rule))
    };
    let found = analysis
        .threats
        .iter()
        .map(|t| (t, "threat"))
        .chain(analysis.hygiene.iter().map(|t| (t, "checklist line")))
        .find(|(t, _)| covers(t) && target.is_none_or(|id| t.concerns(model, id)));
    match found {
        Some((t, kind)) => {
            let status = if t.is_open() {
                String::new()
            } else {
                format!(", {}", t.status.as_str())
            };
            Verdict::Kept(format!("{kind} {}{status}", t.id))
        }
        None => {
            let rules: Vec<&str> = mapping.covered_by.iter().map(|(r, _)| *r).collect();
            Verdict::Missed(format!(
                "no finding of {} there (coverage table, `{}`, says where threatforge differs)",
                rules.join(", "),
                risk.rule
            ))
        }
    }
}

/// The manual threats that one of the model's individual risks became: `risk` names the
/// category and the asset, the import lists each risk by its synthetic id (the category, then
/// the elements it concerns, `@`-separated), and a template example it left out with no threat.
fn carried_ids<'a>(risk: &Risk, imported: &'a Imported) -> Vec<&'a str> {
    let category = format!("risk:{}", risk.rule);
    let on_element = |key: &str| {
        risk.namespace == "model"
            || key
                .split('@')
                .skip(1)
                .any(|part| part.trim() == risk.element)
    };
    // The ids are sorted: the category's risks are one run of them.
    let from = imported
        .ids
        .partition_point(|(key, _)| key.as_str() < category.as_str());
    imported.ids[from..]
        .iter()
        .take_while(|(key, _)| key.starts_with(category.as_str()))
        .filter(|(key, _)| {
            key == &category
                || key
                    .strip_prefix(category.as_str())
                    .is_some_and(|rest| rest.starts_with('@') && on_element(key))
        })
        .map(|(_, threat)| threat.as_str())
        .collect()
}

/// Whether the risk is only template examples the import left out.
fn is_placeholder(risk: &Risk, imported: &Imported) -> bool {
    let carried = carried_ids(risk, imported);
    !carried.is_empty() && carried.iter().all(|id| id.is_empty())
}

/// The manual threat that one of the model's individual risks became, when the analysis has it.
fn carried_individual_risk(
    risk: &Risk,
    imported: &Imported,
    analysis: &Analysis,
) -> Option<String> {
    let carried = carried_ids(risk, imported);
    analysis
        .threats
        .iter()
        .find(|t| carried.iter().any(|id| !id.is_empty() && t.id == *id))
        .map(|t| t.id.to_string())
}

/// The threat selectors of an imported model's decisions that match no threat of the built-in
/// rules' analysis of it (none when the model does not load: the caller reports that).
pub(super) fn unmatched_decisions(analyzed: &Analyzed) -> Vec<String> {
    if analyzed.has_errors() {
        return Vec::new();
    }
    let orphaned: Vec<Span> = analyzed
        .analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OrphanedDecision.name())
        .filter_map(|d| d.labels.first().map(|l| l.span))
        .collect();
    analyzed
        .loaded
        .model
        .decisions
        .iter()
        .filter(|d| orphaned.contains(&d.threat.span))
        .map(|d| d.threat.value.clone())
        .collect()
}

/// An imported model's text, loaded and analyzed with the built-in rules as `check` would.
pub(super) fn analyze_imported(yaml: &str) -> Analyzed {
    Project::load(
        Source::Text {
            name: "imported.yaml",
            text: yaml,
            dir: Path::new("."),
        },
        &ProjectOptions::default(),
    )
}

/// Threagile's risk list, one entry per rule and element, in the list's order.
fn read_risks(bytes: &[u8]) -> Result<Vec<Risk>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not JSON at line {}, column {}: {e}; give the `risks.json` Threagile's analyze-model writes",
            e.line(),
            e.column()
        )
    })?;
    let Value::Array(items) = value else {
        return Err(
            "expected a JSON list of risks, as in the `risks.json` Threagile's analyze-model writes"
                .to_owned(),
        );
    };
    let mut risks: Vec<Risk> = Vec::new();
    let mut at: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let text = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let Some(rule) = text("category") else {
            return Err(format!(
                "risk {} has no `category` (the Threagile rule that reported it)",
                i + 1
            ));
        };
        let (namespace, element) = if model_wide(rule) {
            ("model", "model")
        } else {
            text("most_relevant_technical_asset")
                .map(|a| ("asset", a))
                .or_else(|| text("most_relevant_trust_boundary").map(|b| ("boundary", b)))
                .or_else(|| text("most_relevant_shared_runtime").map(|r| ("runtime", r)))
                .unwrap_or(("model", "model"))
        };
        let key = (rule.to_owned(), element.to_owned());
        match at.get(&key) {
            Some(&j) => risks[j].count += 1,
            None => {
                at.insert(key, risks.len());
                risks.push(Risk {
                    rule: rule.to_owned(),
                    element: element.to_owned(),
                    namespace,
                    count: 1,
                });
            }
        }
    }
    Ok(risks)
}

/// Whether Threagile's rule is about the model as a whole: it fires once, on whichever asset
/// ranks highest (a missing vault, identity store or build pipeline), or one of its covering
/// rules is the model's. Any covering finding then keeps it.
fn model_wide(rule: &str) -> bool {
    const ONCE_PER_MODEL: &[&str] = &[
        "missing-build-infrastructure",
        "missing-identity-store",
        "missing-vault",
    ];
    ONCE_PER_MODEL.contains(&rule)
        || threagile_rule(rule).is_some_and(|m| {
            m.covered_by
                .iter()
                .any(|(_, elem)| matches!(elem, ThreagileElem::Model))
        })
}

fn percent(part: usize, whole: usize) -> usize {
    (part * 100).checked_div(whole).unwrap_or(100)
}
