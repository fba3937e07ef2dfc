//! Planning a baseline: the acceptances that close every open threat of an analysis, grouped so
//! that a team reads one decision per rule where a wildcard says the same as a list.
//!
//! Every planned decision is proved against the matching `decisions::apply` uses (the decisions'
//! `Index`): a wildcard is planned only where, written after the model's own decisions, it
//! would apply to exactly the rule's open threats and nothing else.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use threatforge_model::Model;

use crate::decisions::{Index, absorbed_ids};
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
    // The decisions written so far, the model's and the planned ones, indexed: each threat is
    // tried against those that can match it, not against every one (a decision planned per
    // threat made that quadratic).
    let mut written = Index::new(model.decisions.iter().map(|d| d.threat.value.as_str()));
    let mut candidates = Vec::new();
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
        if open.len() > 1 && wins_exactly(analysis, &written, &wildcard, rule, &open) {
            written.push(&wildcard);
            plan.decisions.push(planned(wildcard, &open));
            continue;
        }
        for threat in open {
            let id = threat.id.to_string();
            let absorbed = absorbed_ids(threat);
            let new = written.len();
            match written.winner(&id, &absorbed, Some(&id), &mut candidates) {
                Some(i) if i == new => {
                    written.push(&id);
                    plan.decisions.push(planned(id, &[threat]));
                }
                other => {
                    let decision =
                        other.map_or_else(String::new, |i| written.selector(i).to_owned());
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

/// Whether `wildcard`, written after the decisions `written`, would apply to the threats `open`
/// of `rule` and to no other.
fn wins_exactly(
    analysis: &Analysis,
    written: &Index,
    wildcard: &str,
    rule: &str,
    open: &[&Threat],
) -> bool {
    let new = written.len();
    let mut candidates = Vec::new();
    let mut id = String::new();
    let mut won = 0;
    let mut exact = true;
    // Only a threat of the rule, or one that absorbed the rule's threat, can match `rule:*`.
    for threat in analysis.threats.iter().filter(|t| t.stands_for(rule)) {
        id.clear();
        let _ = write!(id, "{}", threat.id);
        let absorbed = absorbed_ids(threat);
        if written.winner(&id, &absorbed, Some(wildcard), &mut candidates) == Some(new) {
            won += 1;
            // `open` is in id order, as the analysis's threats are.
            exact &= open.binary_search_by(|o| o.id.cmp(&threat.id)).is_ok();
        }
    }
    exact && won == open.len()
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
data:
  orders: { classification: confidential }
components:
  web: { technology: web-application, exposure: internet, traits: [builds-queries] }
  admin: { technology: web-application, exposure: internet, traits: [builds-queries] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - web -> db: { protocol: postgres, data: [orders] }
  - admin -> db: { protocol: postgres, data: [orders] }
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
    fn a_decision_per_threat_is_planned_in_work_linear_in_the_threats() {
        // The team keeps every threat open with one wildcard, so no `rule:*` can win and each
        // threat gets a decision of its own: each was tried against every decision planned
        // before it, half a million tries for a thousand threats.
        let mut yaml = String::from(
            "system: { name: shop }\ndata:\n  orders: { classification: confidential }\ncomponents:\n",
        );
        let mut flows = String::from("flows:\n");
        for i in 0..520 {
            yaml.push_str(&format!(
                "  web{i}: {{ technology: web-application, exposure: internet, traits: [builds-queries] }}\n  \
                 db{i}: {{ technology: postgresql, stores: [orders] }}\n"
            ));
            flows.push_str(&format!(
                "  - web{i} -> db{i}: {{ protocol: postgres, data: [orders] }}\n"
            ));
        }
        yaml.push_str(&flows);
        yaml.push_str("decisions:\n  - { threat: \"*\", status: open, owner: team }\n");
        let (model, analysis) = analyzed(&yaml);
        let open = analysis.threats.iter().filter(|t| t.is_open()).count();
        assert!(open > 1_000, "{open} open threats");
        crate::decisions::TRIED.set(0);
        let plan = plan(&model, &analysis);
        let tried = crate::decisions::TRIED.get();
        assert_eq!(plan.accepted(), open);
        assert!(plan.decisions.iter().all(|d| d.threats.len() == 1));
        // Per threat: the team's `*`, its own id, and the wildcard tried for its rule.
        assert!(tried <= 4 * open, "{tried} tries for {open} threats");
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
