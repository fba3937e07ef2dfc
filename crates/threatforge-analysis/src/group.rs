//! One threat for a practice that one fix serves everywhere (rules with `group: model`): the
//! open threats a rule finds on several elements become one threat, `<rule>:model`, that names
//! each element with its own explanation and is scored as the most severe of them. A flow rule
//! with `group: target` does the same per component its flows lead into, `<rule>:<component>`,
//! and per cluster for flows between two components on one cluster, `<rule>:<cluster>`: there the
//! one fix is the cluster's (a service mesh's mTLS), not each receiving service's.
//! A rule that finds one element keeps that element's threat and id, unless the team decided on
//! the group.
//!
//! Runs after `rules.not_applicable` and before the decisions: an element the team has already
//! answered for (a decision written for its own threat, not for the group, or marked not
//! applicable) keeps its threat and that answer; a threat mitigated by its controls stays
//! apart as mitigated. The group is then decided like any threat, by its own id.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use threatforge_model::{Model, RuntimeKind};

use crate::decisions::{Index, matches};
use crate::mitigation::{in_place_on, in_words};
use crate::rule::{Element, Group};
use crate::ruleset::Rule;
use crate::threat::{Analysis, ElementRef, Threat, ThreatId};

/// The key of a group's id: the element a model-wide threat is about.
pub(crate) const MODEL_KEY: &str = "model";

pub(crate) fn apply(model: &Model, active: &[&Rule], analysis: &mut Analysis) {
    let grouped: Vec<(&str, Group, crate::rule::Tier)> = active
        .iter()
        .filter_map(|r| r.file.group.map(|g| (r.id(), g, r.file.tier)))
        .collect();
    if grouped.is_empty() {
        return;
    }
    // Groups by their id, `<rule>:<key>`, in id order, so each goes into its place below.
    let mut groups: std::collections::BTreeMap<String, (Group, Vec<Threat>)> =
        std::collections::BTreeMap::new();
    let mut id = String::new();
    let decisions = Index::new(model.decisions.iter().map(|d| d.threat.value.as_str()));
    let clusters = Clusters::new(model, grouped.iter().any(|&(_, g, _)| g == Group::Target));
    // The group a threat joins, if any. A hygiene finding the model makes a threat of its design
    // (`threat_when`) is about that element, not the shared practice: it stays apart.
    let group_of_threat = |threat: &Threat| {
        let &(rule, group, tier) = grouped.iter().find(|(r, _, _)| *r == &*threat.rule)?;
        if !threat.is_open() || threat.tier != tier {
            return None;
        }
        let (_, key) = key_of(model, &clusters, group, threat)?;
        Some((group, format!("{rule}:{key}")))
    };
    // The members are taken out in place: moving the rest into a new list held the whole list
    // twice for a moment, the peak of a large model's analysis. `extract_if` yields in the order
    // it asks, so each member's group, worked out once when it is asked, pairs up with it below.
    let mut keys: Vec<(Group, String)> = Vec::new();
    let taken: Vec<Threat> = analysis
        .threats
        .extract_if(.., |threat| match group_of_threat(threat) {
            Some((group, group_id)) if !singled_out(&decisions, threat, &group_id, &mut id) => {
                keys.push((group, group_id));
                true
            }
            _ => false,
        })
        .collect();
    for (threat, (group, group_id)) in taken.into_iter().zip(keys) {
        groups
            .entry(group_id)
            .or_insert_with(|| (group, Vec::new()))
            .1
            .push(threat);
    }
    let rest = &mut analysis.threats;
    let groups = groups
        .into_iter()
        .filter_map(|(group_id, (group, members))| {
            if members.len() == 1 && !named(model, &group_id) {
                // One element is no practice to group: its own threat says more (its element, its
                // location, its owner), and a decision written for it keeps matching.
                return members.into_iter().next();
            }
            group_of(model, &clusters, group, members)
        });
    // Appended and sorted once: inserting each group into its place moved the rest of the list
    // per group, quadratic when a rule groups per cluster or target (60 s at 50,000 components).
    let before = rest.len();
    rest.extend(groups);
    if rest.len() > before {
        crate::threat::sort_by_id(rest);
    }
}

/// The cluster each component runs on, for `group: target`; empty when no active rule groups
/// by target (`needed`).
struct Clusters<'m>(HashMap<&'m str, &'m str>);

impl<'m> Clusters<'m> {
    fn new(model: &'m Model, needed: bool) -> Clusters<'m> {
        let mut of = HashMap::new();
        if needed {
            for (id, runtime) in &model.runtimes {
                if runtime.kind == RuntimeKind::Cluster {
                    for component in &runtime.runs {
                        of.insert(component.value.as_str(), id.as_str());
                    }
                }
            }
        }
        Clusters(of)
    }

    /// The cluster both ends of a flow run on, if they share one.
    fn shared(&self, source: &str, target: &str) -> Option<&'m str> {
        let cluster = self.0.get(source)?;
        (self.0.get(target) == Some(cluster)).then_some(*cluster)
    }
}

/// The element a grouped threat is about: the model, the cluster a flow runs inside, or the
/// component it leads into.
fn key_of<'m>(
    model: &'m Model,
    clusters: &Clusters<'m>,
    group: Group,
    threat: &Threat,
) -> Option<(Element, &'m str)> {
    match group {
        Group::Model => Some((Element::Model, MODEL_KEY)),
        Group::Target if threat.element.kind == Element::Flow => {
            let flow = model.flows.get(&*threat.element.id)?;
            Some(
                match clusters.shared(&flow.source.value, &flow.target.value) {
                    Some(cluster) => (Element::Runtime, cluster),
                    None => (Element::Component, flow.target.value.as_str()),
                },
            )
        }
        Group::Target => None,
    }
}

/// Whether a decision names the group's id itself: a group the team decided on stays one while a
/// single member is left, so the decision still applies.
fn named(model: &Model, group: &str) -> bool {
    model.decisions.iter().any(|d| d.threat.value == group)
}

/// Whether a decision names this element's threat but not the group: the team answered for
/// this element on its own, and that answer stands.
fn singled_out(decisions: &Index, threat: &Threat, group: &str, id: &mut String) -> bool {
    if decisions.is_empty() {
        return false;
    }
    id.clear();
    let _ = write!(id, "{}", threat.id);
    decisions.any_matching(id, |selector| !matches(selector, group))
}

/// The group's threat: the most severe member's score, factors, mitigations and location (the
/// place a reader goes first), and every member's explanation.
fn group_of(
    model: &Model,
    clusters: &Clusters<'_>,
    group: Group,
    members: Vec<Threat>,
) -> Option<Threat> {
    let worst = members
        .iter()
        .enumerate()
        .min_by_key(|(_, t)| t.risk_order())
        .map(|(i, _)| i)?;
    let (kind, key) = key_of(model, clusters, group, &members[worst])?;
    let element = ElementRef {
        kind,
        id: Arc::from(key),
    };
    let explanation = if members.len() == 1 {
        members[worst].explanation.to_string()
    } else {
        let names: Vec<String> = members
            .iter()
            .map(|t| format!("`{}`", t.element.id))
            .collect();
        let into = match element.kind {
            Element::Model => String::new(),
            Element::Runtime => format!(" inside `{}`", element.id),
            _ => format!(" into `{}`", element.id),
        };
        let mut text = format!(
            "The same gap on {} {}{into}, with one fix for all: {}.",
            members.len(),
            noun(members[worst].element.kind),
            in_words(&names)
        );
        for member in &members {
            text.push(' ');
            text.push_str(&member.explanation);
            // The group's advice is its worst member's: say where part of the fix is already in
            // place, so the list does not read as if it were missing everywhere.
            let in_place: Vec<String> = member
                .mitigation
                .in_place()
                // A control held through another component is already named in its text.
                .filter(|c| !member.explanation.contains(&in_place_on(c)))
                .map(|c| format!("`{c}`"))
                .collect();
            if !in_place.is_empty() {
                let _ = write!(
                    text,
                    " On `{}`, {} {} in place.",
                    member.element.id,
                    in_words(&in_place),
                    if in_place.len() == 1 { "is" } else { "are" }
                );
            }
        }
        text
    };
    let element_refs: Vec<ElementRef> = members.iter().map(|t| t.element.clone()).collect();
    let spans = members.iter().map(|t| t.span).collect();
    let mut absorbed: Vec<Arc<str>> = members
        .iter()
        .flat_map(|t| t.absorbed.iter().cloned())
        .collect();
    absorbed.sort();
    absorbed.dedup();
    let mut threat = members.into_iter().nth(worst)?;
    threat.id = ThreatId::new(threat.rule.clone(), element.id.clone());
    threat.element = element;
    threat.explanation = explanation.into_boxed_str();
    threat.absorbed = absorbed;
    threat.members = element_refs;
    threat.member_spans = spans;
    Some(threat)
}

fn noun(kind: Element) -> &'static str {
    match kind {
        Element::Component => "components",
        Element::Flow => "flows",
        Element::Data => "data assets",
        Element::Boundary => "boundaries",
        Element::Runtime => "runtimes",
        Element::Model => "models",
    }
}
