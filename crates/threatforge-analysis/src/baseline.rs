//! Planning a baseline: the acceptances that close every open threat of an analysis, grouped so
//! that a team reads one decision per rule where a wildcard says the same as a list.
//!
//! Every planned decision is proved against the matching of `decisions::winner`, the function
//! `apply` uses: a wildcard is planned only where, written after the model's own decisions, it
//! would apply to exactly the rule's open threats and nothing else.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use threatforge_model::Model;

use crate::decisions::{absorbed_ids, winner};
use crate::threat::{Analysis, Threat};
use threatforge_model::DecisionStatus;

/// One decision to write: its selector and the threats it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// `rule:*` or a threat's own id.
    pub selector: String,
    /// The rule's title, for the justification.
    pub title: String,
    /// The ids of the threats it accepts, sorted.
    pub threats: Vec<String>,
    /// The elements of those threats, in the same order.
    pub elements: Vec<String>,
}

/// An open threat a baseline cannot accept by adding decisions: one of the team's own applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Left {
    pub threat: String,
    /// The selector of the team's decision that keeps it open.
    pub decision: String,
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub decisions: Vec<Planned>,
    pub left: Vec<Left>,
    /// Open threats the team's decisions mark in progress: already worked on, so left as they are.
    pub in_progress: Vec<String>,
}

impl Plan {
    pub fn accepted(&self) -> usize {
        self.decisions.iter().map(|d| d.threats.len()).sum()
    }
}

/// The acceptances that close the open threats of `analysis` (decisions already applied).
pub fn plan(model: &Model, analysis: &Analysis) -> Plan {
    let mut selectors: Vec<String> = model
        .decisions
        .iter()
        .map(|d| d.threat.value.clone())
        .collect();
    let mut plan = Plan::default();
    let mut by_rule: BTreeMap<&str, Vec<&Threat>> = BTreeMap::new();
    for threat in &analysis.threats {
        match threat.status {
            DecisionStatus::Open => by_rule.entry(&threat.rule).or_default().push(threat),
            DecisionStatus::InProgress => plan.in_progress.push(threat.id.to_string()),
            _ => {}
        }
    }
    for (rule, open) in by_rule {
        let wildcard = format!("{rule}:*");
        if open.len() > 1 && wins_exactly(analysis, &mut selectors, &wildcard, rule, &open) {
            plan.decisions.push(planned(wildcard, &open));
            continue;
        }
        for threat in open {
            let id = threat.id.to_string();
            selectors.push(id.clone());
            let absorbed = absorbed_ids(threat);
            let new = selectors.len() - 1;
            match winner(selectors.iter().map(String::as_str), &id, &absorbed, |_| {}) {
                Some(i) if i == new => plan.decisions.push(planned(id, &[threat])),
                other => {
                    selectors.pop();
                    let decision = other.map_or_else(String::new, |i| selectors[i].clone());
                    plan.left.push(Left {
                        why: why_open(threat),
                        threat: id,
                        decision,
                    });
                }
            }
        }
    }
    plan
}

/// Whether `wildcard`, written after `selectors`, would apply to the threats `open` of `rule` and
/// to no other; if so it stays in `selectors`.
fn wins_exactly(
    analysis: &Analysis,
    selectors: &mut Vec<String>,
    wildcard: &str,
    rule: &str,
    open: &[&Threat],
) -> bool {
    selectors.push(wildcard.to_owned());
    let new = selectors.len() - 1;
    let mut id = String::new();
    let mut won = 0;
    let mut exact = true;
    // Only a threat of the rule, or one that absorbed the rule's threat, can match `rule:*`.
    for threat in analysis
        .threats
        .iter()
        .filter(|t| &*t.rule == rule || t.absorbed.iter().any(|a| &**a == rule))
    {
        id.clear();
        let _ = write!(id, "{}", threat.id);
        let absorbed = absorbed_ids(threat);
        if winner(selectors.iter().map(String::as_str), &id, &absorbed, |_| {}) == Some(new) {
            won += 1;
            exact &= open.iter().any(|o| o.id == threat.id);
        }
    }
    let fits = exact && won == open.len();
    if !fits {
        selectors.pop();
    }
    fits
}

fn planned(selector: String, threats: &[&Threat]) -> Planned {
    Planned {
        selector,
        title: threats
            .first()
            .map_or_else(String::new, |t| t.title.to_string()),
        threats: threats.iter().map(|t| t.id.to_string()).collect(),
        // A threat grouped for the model stands for each of its members.
        elements: threats
            .iter()
            .flat_map(|t| t.elements())
            .map(|e| e.id.to_string())
            .collect(),
    }
}

fn why_open(threat: &Threat) -> String {
    match threat.decision.as_deref() {
        Some(d) if d.expired => format!(
            "its acceptance expired on {}; renew or fix it by hand",
            d.expires.as_deref().unwrap_or("")
        ),
        Some(_) => "the team's decision keeps it open".to_owned(),
        None => "a decision of the team applies to it".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzed(yaml: &str) -> (Model, Analysis) {
        let loaded = threatforge_model::load_str(
            "t.yaml",
            yaml,
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let rules = crate::RuleSet::builtin();
        let options = crate::Options {
            today: Some("2026-12-01".to_owned()),
            ..Default::default()
        };
        let analysis = crate::analyze_with(&loaded.model, &rules, &options);
        (loaded.model, analysis)
    }

    const MODEL: &str = "system: { name: shop }
components:
  web: { technology: web-application, exposure: internet, traits: [builds-queries] }
  admin: { technology: web-application, exposure: internet, traits: [builds-queries] }
  db: { technology: postgresql }
flows:
  - web -> db: { protocol: postgres }
  - admin -> db: { protocol: postgres }
";

    #[test]
    fn a_rule_whose_open_threats_all_go_gets_one_wildcard() {
        let (model, analysis) = analyzed(MODEL);
        let plan = plan(&model, &analysis);
        let open = analysis.threats.iter().filter(|t| t.is_open()).count();
        assert!(open > 2, "the model should have open threats");
        assert_eq!(plan.accepted(), open);
        assert!(plan.left.is_empty());
        // Rules that fire on both web applications are one decision, not two.
        let wildcards: Vec<&Planned> = plan
            .decisions
            .iter()
            .filter(|d| d.selector.ends_with(":*"))
            .collect();
        assert!(!wildcards.is_empty(), "{plan:#?}");
        for w in wildcards {
            assert!(w.threats.len() > 1, "{w:?}");
            let rule = w.selector.trim_end_matches(":*");
            let all_of_rule = analysis.threats.iter().filter(|t| &*t.rule == rule).count();
            assert_eq!(w.threats.len(), all_of_rule);
        }
    }

    #[test]
    fn a_wildcard_is_not_used_where_it_would_override_a_decision_of_the_team() {
        let (model, analysis) = analyzed(MODEL);
        let first = plan(&model, &analysis);
        let wildcard = first
            .decisions
            .iter()
            .find(|d| d.selector == "sql-injection:*")
            .expect("a wildcard for both web applications");
        let rule = "sql-injection";
        // The team keeps one of the rule's threats open by an exact decision, which wins over
        // anything written after it: the wildcard would then cover only part of the rule.
        let yaml = format!(
            "{MODEL}decisions:\n  - {{ threat: \"{rule}:web\", status: open, owner: team }}\n"
        );
        let (model, analysis) = analyzed(&yaml);
        let second = plan(&model, &analysis);
        // The team's exact `open` decision wins over anything appended: it is left, with why.
        assert_eq!(second.left.len(), 1, "{second:#?}");
        assert_eq!(second.left[0].threat, format!("{rule}:web"));
        assert!(
            !second
                .decisions
                .iter()
                .any(|d| d.selector == wildcard.selector),
            "{second:#?}"
        );
        assert!(
            second
                .decisions
                .iter()
                .any(|d| d.selector == format!("{rule}:admin"))
        );
    }

    #[test]
    fn accepted_threats_are_not_planned_again() {
        let (model, analysis) = analyzed(&format!(
            "{MODEL}decisions:\n  - {{ threat: \"*\", status: accepted, justification: known }}\n"
        ));
        let plan = plan(&model, &analysis);
        assert_eq!(plan, Plan::default());
    }
}
