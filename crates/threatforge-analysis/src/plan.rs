//! The control plan: which missing controls to put in place first, for the least effort.
//!
//! A step is one control on one element (or, for a practice grouped over the model, on its
//! members). Its gain is the residual risk it removes from the open threats there: a threat it
//! closes loses its whole residual score; a threat it only starts to cover (none of its controls
//! was in place) loses the step of likelihood partial coverage takes off. Steps are taken greedily
//! by gain per effort point, and after each one the gains of the steps on the same element are
//! computed again, since a control can finish what another started. Greedy is not optimal (this
//! is weighted set cover, NP-hard), but each choice is one a reader can check by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use threatforge_model::{Effort, Model, ThreatSeverity};

use crate::rule::Element;
use crate::score::Score;
use crate::threat::{Analysis, Threat};

/// The catalogue's effort data, embedded.
const EFFORT: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/plan/effort.yaml"));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EffortEntry {
    effort: Effort,
    why: String,
}

/// Control -> its effort and why.
pub type Efforts = IndexMap<String, (Effort, String)>;

/// The catalogue's effort per control, with why.
pub fn control_efforts() -> Result<&'static Efforts, String> {
    static PARSED: OnceLock<Result<Efforts, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            serde_saphyr::from_str::<IndexMap<String, EffortEntry>>(EFFORT)
                .map(|m| m.into_iter().map(|(k, e)| (k, (e.effort, e.why))).collect())
                .map_err(|e| format!("the built-in effort data does not parse: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Effort points: a high-effort control costs four low ones, roughly weeks against a day.
pub fn effort_points(effort: Effort) -> u32 {
    match effort {
        Effort::Low => 1,
        Effort::Medium => 2,
        Effort::High => 4,
    }
}

/// What the plan should reach.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// Stop once no open threat is at or above this severity; only such threats count as gain.
    pub target: Option<ThreatSeverity>,
    /// At most this many effort points.
    pub budget: Option<u32>,
}

/// Open threats by residual severity and their summed residual score.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// The sum of the open threats' residual scores (1-16 each).
    pub risk: u32,
}

impl Totals {
    fn add(&mut self, severity: ThreatSeverity, score: u8, sign: i8) {
        let count = match severity {
            ThreatSeverity::Critical => &mut self.critical,
            ThreatSeverity::High => &mut self.high,
            ThreatSeverity::Medium => &mut self.medium,
            ThreatSeverity::Low => &mut self.low,
            ThreatSeverity::Info => &mut self.info,
        };
        if sign > 0 {
            *count += 1;
            self.risk += u32::from(score);
        } else {
            *count = count.saturating_sub(1);
            self.risk = self.risk.saturating_sub(u32::from(score));
        }
    }

    /// Open threats at or above `severity`.
    pub fn at_or_above(&self, severity: ThreatSeverity) -> usize {
        [
            (ThreatSeverity::Critical, self.critical),
            (ThreatSeverity::High, self.high),
            (ThreatSeverity::Medium, self.medium),
            (ThreatSeverity::Low, self.low),
            (ThreatSeverity::Info, self.info),
        ]
        .iter()
        .filter(|(s, _)| *s >= severity)
        .map(|(_, n)| n)
        .sum()
    }
}

/// What one step does to one threat.
#[derive(Clone, Debug, Serialize)]
pub struct StepThreat {
    pub id: String,
    pub before: ThreatSeverity,
    pub before_score: u8,
    /// `None` when the step closes the threat.
    pub after: Option<ThreatSeverity>,
    pub after_score: u8,
}

/// One control to put in place.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub control: String,
    pub title: String,
    /// Where it goes: the element of the threats it mitigates.
    pub element: String,
    pub kind: Element,
    /// For a practice grouped over the model: the elements it goes on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub effort: Effort,
    pub points: u32,
    /// Why it costs that; says so when the model overrides the catalogue.
    pub effort_why: String,
    pub threats: Vec<StepThreat>,
    /// Residual score removed from open threats.
    pub removed: u32,
    /// Effort points spent up to and including this step.
    pub spent: u32,
    /// The open threats after this step and the ones before it.
    pub after: Totals,
}

/// A control the plan would have proposed but the team ruled out.
#[derive(Clone, Debug, Serialize)]
pub struct RuledOut {
    pub control: String,
    pub why: String,
    /// The open threats that name it missing.
    pub threats: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ControlPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ThreatSeverity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<u32>,
    pub before: Totals,
    pub steps: Vec<Step>,
    pub after: Totals,
    /// With a target: whether the plan reaches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<bool>,
    /// Open threats at or above the target that no step can close (no control missing that is
    /// not ruled out), or steps left out by the budget: what the plan leaves.
    pub left: Vec<String>,
    pub ruled_out: Vec<RuledOut>,
}

/// One open threat as the plan sees it while steps are taken.
struct Open<'a> {
    threat: &'a Threat,
    /// Missing entries, each a set of alternatives; one present closes the entry.
    missing: Vec<Vec<&'a str>>,
    any_in_place: bool,
    score: Score,
    closed: bool,
}

impl Open<'_> {
    /// The score after adding `control`, and whether that closes the threat; `None` when the
    /// control is not one it misses.
    fn with(&self, control: &str) -> Option<(Score, bool)> {
        if self.closed || !self.missing.iter().any(|e| e.contains(&control)) {
            return None;
        }
        let left = self
            .missing
            .iter()
            .filter(|e| !e.contains(&control))
            .count();
        if left == 0 {
            return Some((self.score.clone(), true));
        }
        // A decision's rating override stands until the threat is closed.
        let after = if self.any_in_place || self.threat.rating_override.is_some() {
            self.score.clone()
        } else {
            let inherent = &self.threat.inherent;
            Score::new(inherent.likelihood.saturating_sub(1), inherent.impact)
        };
        Some((after, false))
    }

    fn counts(&self, target: Option<ThreatSeverity>) -> bool {
        !self.closed && target.is_none_or(|t| self.score.severity >= t)
    }
}

/// Ranks candidates: more gain per point first (compared by cross-multiplying, so exactly), then
/// more gain, then by control and element id for a stable order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rank {
    gain: u32,
    points: u32,
    control: String,
    place: String,
}

impl Ord for Rank {
    fn cmp(&self, other: &Rank) -> std::cmp::Ordering {
        (u64::from(other.gain) * u64::from(self.points))
            .cmp(&(u64::from(self.gain) * u64::from(other.points)))
            .then(other.gain.cmp(&self.gain))
            .then_with(|| self.control.cmp(&other.control))
            .then_with(|| self.place.cmp(&other.place))
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Rank) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The plan for a model and its analysis (decisions applied).
pub fn plan_controls(
    model: &Model,
    analysis: &Analysis,
    options: PlanOptions,
) -> Result<ControlPlan, String> {
    let efforts = control_efforts()?;
    let config = model.system.as_ref().and_then(|s| s.plan.as_ref());
    let ruled: BTreeMap<&str, &str> = config
        .map(|c| {
            c.ruled_out
                .iter()
                .map(|(k, v)| (k.value.as_str(), v.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let effort_of = |control: &str| -> (Effort, String) {
        if let Some(effort) = config.and_then(|c| c.effort.iter().find(|(k, _)| k.value == control))
        {
            return (*effort.1, "set by the model".to_owned());
        }
        match efforts.get(control) {
            Some((effort, why)) => (*effort, why.clone()),
            // A team's own control: the catalogue cannot know.
            None => (
                Effort::Medium,
                "a team's control: medium unless the model says".to_owned(),
            ),
        }
    };

    // Open threats by place (the element a control would go on), in id order; the hygiene
    // checklist's items too, since a control plan is where baseline practices get scheduled.
    let mut open: Vec<Open> = Vec::new();
    let mut before = Totals::default();
    for threat in analysis.findings().filter(|t| t.is_open()) {
        before.add(threat.severity(), threat.residual.score, 1);
        open.push(Open {
            threat,
            missing: threat
                .mitigation
                .missing()
                .map(|e| e.split('|').collect())
                .collect(),
            any_in_place: threat.mitigation.has_in_place(),
            score: threat.residual.clone(),
            closed: false,
        });
    }
    let mut by_place: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, o) in open.iter().enumerate() {
        by_place.entry(&o.threat.element.id).or_default().push(i);
    }

    // Ruled-out controls, with how many open threats name them.
    let mut ruled_out: BTreeMap<&str, usize> = BTreeMap::new();
    let gain_of = |open: &[Open], indexes: &[usize], control: &str| -> u32 {
        indexes
            .iter()
            .filter(|&&i| open[i].counts(options.target))
            .filter_map(|&i| {
                let (after, closed) = open[i].with(control)?;
                let before = u32::from(open[i].score.score);
                Some(if closed {
                    before
                } else {
                    before - u32::from(after.score).min(before)
                })
            })
            .sum()
    };
    let mut points_of: BTreeMap<&str, u32> = BTreeMap::new();
    let mut queue: BTreeSet<Rank> = BTreeSet::new();
    let mut current: BTreeMap<(&str, &str), Rank> = BTreeMap::new();
    for (place, indexes) in &by_place {
        let controls: BTreeSet<&str> = indexes
            .iter()
            .flat_map(|&i| open[i].missing.iter().flatten().copied())
            .collect();
        for control in controls {
            if ruled.contains_key(control) {
                *ruled_out.entry(control).or_default() += indexes
                    .iter()
                    .filter(|&&i| open[i].missing.iter().any(|e| e.contains(&control)))
                    .count();
                continue;
            }
            let points = *points_of
                .entry(control)
                .or_insert_with(|| effort_points(effort_of(control).0));
            let gain = gain_of(&open, indexes, control);
            if gain == 0 {
                continue;
            }
            let rank = Rank {
                gain,
                points,
                control: control.to_owned(),
                place: (*place).to_owned(),
            };
            queue.insert(rank.clone());
            current.insert((place, control), rank);
        }
    }

    let reached = |totals: &Totals| options.target.is_none_or(|t| totals.at_or_above(t) == 0);
    let mut totals = before.clone();
    let mut steps = Vec::new();
    let mut spent = 0u32;
    let mut skipped_for_budget: Vec<String> = Vec::new();
    while !reached(&totals) || options.target.is_none() {
        let Some(rank) = queue.pop_first() else {
            break;
        };
        let Some((&place, indexes)) = by_place.get_key_value(rank.place.as_str()) else {
            continue;
        };
        let Some((&control, _)) = points_of.get_key_value(rank.control.as_str()) else {
            continue;
        };
        if options.budget.is_some_and(|b| spent + rank.points > b) {
            // Out for good: what is spent only grows.
            current.remove(&(place, control));
            skipped_for_budget.push(format!("{control} on {place}"));
            continue;
        }
        let step = Taken {
            control,
            place,
            gain: rank.gain,
            points: rank.points,
        };
        take(
            model,
            &mut open,
            indexes,
            &step,
            &mut totals,
            &mut spent,
            &effort_of,
            &mut steps,
        );
        // The steps on this place gain differently now; others are untouched.
        current.remove(&(place, control));
        let mine: Vec<(&str, &str)> = current
            .range((place, "")..)
            .take_while(|((p, _), _)| *p == place)
            .map(|(k, _)| *k)
            .collect();
        for key in mine {
            if let Some(old) = current.remove(&key) {
                queue.remove(&old);
                let gain = gain_of(&open, indexes, key.1);
                if gain > 0 {
                    let rank = Rank { gain, ..old };
                    queue.insert(rank.clone());
                    current.insert(key, rank);
                }
            }
        }
        if options.budget.is_some_and(|b| spent >= b) {
            break;
        }
    }

    // Controls that close a threat only together (it has one in place and misses two more:
    // neither alone lowers its score) never gain on their own. Once no single step gains,
    // they are proposed together, the most severe threat first.
    if queue.is_empty() && options.budget.is_none_or(|b| spent < b) {
        let mut order: Vec<usize> = (0..open.len())
            .filter(|&i| open[i].counts(options.target) && open[i].missing.len() > 1)
            .filter(|&i| {
                let o = &open[i];
                o.missing.iter().flatten().all(|c| {
                    o.with(c)
                        .is_some_and(|(after, closed)| !closed && after.score >= o.score.score)
                })
            })
            .collect();
        order.sort_by(|&a, &b| {
            open[b]
                .score
                .score
                .cmp(&open[a].score.score)
                .then(a.cmp(&b))
        });
        for i in order {
            if open[i].closed || (options.target.is_some() && reached(&totals)) {
                continue;
            }
            let controls: Option<Vec<&str>> = open[i]
                .missing
                .iter()
                .map(|e| e.iter().find(|c| !ruled.contains_key(*c)).copied())
                .collect();
            let Some(mut controls) = controls else {
                continue;
            };
            // The cheaper first, so that the dearest is the one that closes the threat.
            controls.sort_by_key(|c| (points_of.get(c).copied().unwrap_or(2), *c));
            let points: u32 = controls
                .iter()
                .map(|c| points_of.get(c).copied().unwrap_or(2))
                .sum();
            let place: &str = &open[i].threat.element.id;
            if options.budget.is_some_and(|b| spent + points > b) {
                skipped_for_budget.push(format!("{} on {place}", controls.join(" + ")));
                continue;
            }
            let Some(indexes) = by_place.get(place) else {
                continue;
            };
            for control in controls {
                let gain = gain_of(&open, indexes, control);
                let step = Taken {
                    control,
                    place,
                    gain,
                    points: points_of.get(control).copied().unwrap_or(2),
                };
                take(
                    model,
                    &mut open,
                    indexes,
                    &step,
                    &mut totals,
                    &mut spent,
                    &effort_of,
                    &mut steps,
                );
            }
        }
    }

    let mut left: Vec<String> = match options.target {
        Some(t) => open
            .iter()
            .filter(|o| !o.closed && o.score.severity >= t)
            .map(|o| o.threat.id.to_string())
            .collect(),
        None => Vec::new(),
    };
    if options.target.is_none() {
        left = skipped_for_budget;
        left.extend(
            queue
                .iter()
                .map(|r| format!("{} on {}", r.control, r.place)),
        );
    }
    Ok(ControlPlan {
        target: options.target,
        budget: options.budget,
        reached: options.target.map(|_| reached(&totals)),
        before,
        after: totals,
        steps,
        left,
        // Every control the team ruled out, named by open threats or not: the plan says it
        // read them.
        ruled_out: ruled
            .iter()
            .map(|(control, why)| RuledOut {
                control: (*control).to_owned(),
                why: (*why).to_owned(),
                threats: ruled_out.get(control).copied().unwrap_or(0),
            })
            .collect(),
    })
}

/// A step chosen: a control on a place, with what it gains and costs.
struct Taken<'a> {
    control: &'a str,
    place: &'a str,
    gain: u32,
    points: u32,
}

/// Puts a step's control in place on its threats and records the step with the totals after it.
#[allow(clippy::too_many_arguments)]
fn take(
    model: &Model,
    open: &mut [Open],
    indexes: &[usize],
    step: &Taken,
    totals: &mut Totals,
    spent: &mut u32,
    effort_of: &dyn Fn(&str) -> (Effort, String),
    steps: &mut Vec<Step>,
) {
    let control = step.control;
    let mut changed = Vec::new();
    for &i in indexes {
        let Some((after, closed)) = open[i].with(control) else {
            continue;
        };
        let o = &mut open[i];
        totals.add(o.score.severity, o.score.score, -1);
        changed.push(StepThreat {
            id: o.threat.id.to_string(),
            before: o.score.severity,
            before_score: o.score.score,
            after: (!closed).then_some(after.severity),
            after_score: if closed { 0 } else { after.score },
        });
        o.missing.retain(|e| !e.contains(&control));
        o.any_in_place = true;
        o.closed = closed;
        if !closed {
            totals.add(after.severity, after.score, 1);
            o.score = after;
        }
    }
    *spent += step.points;
    let (effort, effort_why) = effort_of(control);
    let Some(first) = indexes.first().map(|&i| open[i].threat) else {
        return;
    };
    steps.push(Step {
        control: control.to_owned(),
        title: title_of(model, control),
        element: step.place.to_owned(),
        kind: first.element.kind,
        members: first.members.iter().map(|m| m.id.to_string()).collect(),
        owner: owner_of(model, first),
        effort,
        points: step.points,
        effort_why,
        threats: changed,
        removed: step.gain,
        spent: *spent,
        after: totals.clone(),
    });
}

/// Who would do the work: the element's owner (a flow's target's), else the system's owners.
fn owner_of(model: &Model, threat: &Threat) -> Option<String> {
    let id = &*threat.element.id;
    let component = match threat.element.kind {
        Element::Component => model.components.get(id),
        Element::Flow => model
            .flows
            .get(id)
            .and_then(|f| model.components.get(&f.target.value)),
        _ => None,
    };
    component.and_then(|c| c.owner.clone()).or_else(|| {
        model
            .system
            .as_ref()
            .filter(|s| !s.owners.is_empty())
            .map(|s| s.owners.join(", "))
    })
}

/// A control's title, from the catalogue or the team's controls.
pub(crate) fn title_of(model: &Model, control: &str) -> String {
    threatforge_model::catalog()
        .control(control)
        .map(|c| c.title.clone())
        .or_else(|| model.controls.get(control).map(|c| c.title.clone()))
        .unwrap_or_else(|| control.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/plan.md: four manual threats, the rules' threats left out so
    /// that the arithmetic is the example's alone.
    const MODEL: &str = "system:
  name: shop
  owners: [platform]
components:
  api: { kind: process, owner: payments }
  db: { kind: store }
threats:
  t1: { title: Injection, element: api, stride: tampering, likelihood: very-high, impact: very-high, mitigations: [waf, input-validation] }
  t2: { title: Flooding, element: api, stride: denial-of-service, likelihood: high, impact: high, mitigations: [rate-limiting] }
  t3: { title: Disk theft, element: db, stride: information-disclosure, likelihood: high, impact: very-high, mitigations: [encryption-at-rest] }
  t4: { title: Data loss, element: db, stride: denial-of-service, likelihood: medium, impact: medium, mitigations: [backup] }
";

    fn planned(extra: &str, options: PlanOptions) -> ControlPlan {
        plan_of(
            &MODEL.replacen(
                "  owners: [platform]\n",
                &format!("  owners: [platform]\n{extra}"),
                1,
            ),
            options,
        )
    }

    /// The plan of a model's manual threats.
    fn plan_of(text: &str, options: PlanOptions) -> ControlPlan {
        let loaded = threatforge_model::load_str(
            "t.yaml",
            text,
            std::path::Path::new("."),
            &Default::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let mut analysis = crate::analyze_with(
            &loaded.model,
            &crate::RuleSet::builtin(),
            &Default::default(),
        );
        analysis.threats.retain(Threat::is_manual);
        // The worked examples are made of their manual threats alone, the checklist included.
        analysis.hygiene.retain(Threat::is_manual);
        match plan_controls(&loaded.model, &analysis, options) {
            Ok(plan) => plan,
            Err(e) => panic!("{e}"),
        }
    }

    fn steps(plan: &ControlPlan) -> Vec<(String, String, u32, u32, u32, u32)> {
        plan.steps
            .iter()
            .map(|s| {
                (
                    s.control.clone(),
                    s.element.clone(),
                    s.removed,
                    s.points,
                    s.spent,
                    s.after.risk,
                )
            })
            .collect()
    }

    fn step(
        c: &str,
        e: &str,
        removed: u32,
        points: u32,
        spent: u32,
        risk: u32,
    ) -> (String, String, u32, u32, u32, u32) {
        (c.to_owned(), e.to_owned(), removed, points, spent, risk)
    }

    #[test]
    fn the_worked_example_ranks_by_risk_removed_per_effort_point() {
        let plan = planned("", PlanOptions::default());
        // 16 + 9 + 12 + 4.
        assert_eq!(plan.before.risk, 41);
        assert_eq!(
            (plan.before.critical, plan.before.high, plan.before.medium),
            (1, 2, 1)
        );
        assert_eq!(
            steps(&plan),
            vec![
                step("encryption-at-rest", "db", 12, 1, 1, 29),
                step("rate-limiting", "api", 9, 1, 2, 20),
                // Three steps of 4 for 2 points tie: by control id.
                step("backup", "db", 4, 2, 4, 16),
                // Partial: likelihood 4 -> 3, 16 -> 12.
                step("input-validation", "api", 4, 2, 6, 12),
                // Now waf finishes t1: 12 removed, not the 4 it was worth alone.
                step("waf", "api", 12, 2, 8, 0),
            ]
        );
        let iv = &plan.steps[3];
        assert_eq!((iv.after.critical, iv.after.high), (0, 1));
        assert_eq!(iv.threats[0].after, Some(ThreatSeverity::High));
        assert_eq!(plan.steps[4].threats[0].after, None);
        assert_eq!(iv.owner.as_deref(), Some("payments"));
        assert_eq!(plan.steps[0].owner.as_deref(), Some("platform"));
        assert!(plan.left.is_empty());
    }

    #[test]
    fn a_target_leaves_out_what_is_below_it() {
        let plan = planned(
            "",
            PlanOptions {
                target: Some(ThreatSeverity::High),
                budget: None,
            },
        );
        let controls: Vec<String> = plan.steps.iter().map(|s| s.control.clone()).collect();
        assert_eq!(
            controls,
            [
                "encryption-at-rest",
                "rate-limiting",
                "input-validation",
                "waf"
            ]
        );
        assert_eq!(plan.reached, Some(true));
        assert_eq!(plan.after.at_or_above(ThreatSeverity::High), 0);
        assert_eq!((plan.after.medium, plan.after.risk), (1, 4));
        assert_eq!(plan.steps.last().map(|s| s.spent), Some(6));
    }

    #[test]
    fn a_budget_skips_what_does_not_fit() {
        let plan = planned(
            "",
            PlanOptions {
                target: None,
                budget: Some(3),
            },
        );
        let controls: Vec<String> = plan.steps.iter().map(|s| s.control.clone()).collect();
        assert_eq!(controls, ["encryption-at-rest", "rate-limiting"]);
        assert_eq!(plan.steps[1].spent, 2);
        assert_eq!(
            plan.left,
            ["backup on db", "input-validation on api", "waf on api"]
        );
    }

    #[test]
    fn the_model_overrides_efforts_and_rules_controls_out() {
        let plan = planned(
            "  plan:\n    effort: { input-validation: low }\n",
            PlanOptions::default(),
        );
        let controls: Vec<String> = plan.steps.iter().map(|s| s.control.clone()).collect();
        assert_eq!(
            controls,
            [
                "encryption-at-rest",
                "rate-limiting",
                "input-validation",
                "waf",
                "backup"
            ]
        );
        assert_eq!(plan.steps[2].effort_why, "set by the model");
        assert_eq!(plan.steps[2].points, 1);

        let plan = planned(
            "  plan:\n    ruled_out: { waf: \"the CDN contract ends in June\" }\n",
            PlanOptions {
                target: Some(ThreatSeverity::Critical),
                budget: None,
            },
        );
        assert!(plan.steps.iter().all(|s| s.control != "waf"));
        assert_eq!(plan.ruled_out.len(), 1);
        assert_eq!(plan.ruled_out[0].threats, 1);
        // input-validation alone takes t1 from critical to high: the target is reached.
        assert_eq!(plan.reached, Some(true));
    }

    #[test]
    fn controls_that_close_a_threat_only_together_are_proposed_together() {
        // t5 has waf in place and misses two more: neither alone lowers 3 x 4 = 12 (partial
        // coverage already took a step of likelihood off 4 x 4); together they close it.
        let plan = planned("", PlanOptions::default());
        assert!(plan.steps.iter().all(|s| s.removed > 0));
        let text = MODEL
            .replace(
                "components:\n  api: { kind: process, owner: payments }",
                "components:\n  api: { kind: process, owner: payments, controls: [waf] }",
            )
            .replace(
                "mitigations: [waf, input-validation] }",
                "mitigations: [waf, input-validation, csrf-token] }",
            );
        let plan = plan_of(&text, PlanOptions::default());
        assert_eq!(
            steps(&plan),
            vec![
                step("encryption-at-rest", "db", 12, 1, 1, 25),
                step("rate-limiting", "api", 9, 1, 2, 16),
                step("backup", "db", 4, 2, 4, 12),
                // The pair, after every single step: csrf-token first (low, 1 point), then
                // input-validation closes t1.
                step("csrf-token", "api", 0, 1, 5, 12),
                step("input-validation", "api", 12, 2, 7, 0),
            ]
        );
    }

    #[test]
    fn every_catalogue_control_has_one_effort() {
        let efforts = match control_efforts() {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        let catalogue: Vec<&str> = threatforge_model::catalog().control_ids();
        let mut have: Vec<&str> = efforts.keys().map(String::as_str).collect();
        let mut want = catalogue.clone();
        have.sort_unstable();
        want.sort_unstable();
        assert_eq!(have, want);
        assert!(efforts.values().all(|(_, why)| !why.trim().is_empty()));
    }
}
