//! What changed between two versions of a model: elements added, removed and changed (attribute
//! by attribute), threats new, gone and changed (with the reasons), and decisions.
//!
//! Identity is the id: an element whose id is unchanged is the same element, and its attribute
//! changes are shown as changes. Everything comes out sorted, so the same pair gives the same
//! bytes.

use std::collections::BTreeMap;

use serde::Serialize;
use threatforge_model::{Decision, DecisionStatus, Model, ThreatSeverity};

use crate::decisions::matches;
use crate::rule::Element;
use crate::threat::{Analysis, Threat, ThreatId};

/// One attribute that changed, with its old and new value as compact JSON text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub attribute: String,
    pub old: String,
    pub new: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ElementChange {
    pub kind: &'static str,
    pub id: String,
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ElementDiff {
    pub added: Vec<ElementRef>,
    pub removed: Vec<ElementRef>,
    pub changed: Vec<ElementChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ElementRef {
    pub kind: &'static str,
    pub id: String,
    /// Why, for the model's tuning: a rule disabled or a threat marked not applicable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThreatRef {
    pub id: String,
    pub title: String,
    pub severity: ThreatSeverity,
    pub status: DecisionStatus,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThreatChange {
    pub id: String,
    pub title: String,
    pub old_severity: ThreatSeverity,
    pub new_severity: ThreatSeverity,
    pub old_status: DecisionStatus,
    pub new_status: DecisionStatus,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NewThreat {
    #[serde(flatten)]
    pub threat: ThreatRef,
    pub reasons: Vec<String>,
}

/// A threat of the old version that the new one no longer has, and why it went.
#[derive(Clone, Debug, Serialize)]
pub struct GoneThreat {
    #[serde(flatten)]
    pub threat: ThreatRef,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ThreatDiff {
    pub new: Vec<NewThreat>,
    pub gone: Vec<GoneThreat>,
    pub changed: Vec<ThreatChange>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DecisionDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ElementChange>,
    /// Acceptances that expired in the new version.
    pub expired: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Diff {
    pub elements: ElementDiff,
    pub threats: ThreatDiff,
    /// The hygiene checklist's changes: shown, counted by no gate.
    pub hygiene: ThreatDiff,
    pub decisions: DecisionDiff,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.elements.added.is_empty()
            && self.elements.removed.is_empty()
            && self.elements.changed.is_empty()
            && self.threats.new.is_empty()
            && self.threats.gone.is_empty()
            && self.threats.changed.is_empty()
            && self.hygiene.new.is_empty()
            && self.hygiene.gone.is_empty()
            && self.hygiene.changed.is_empty()
            && self.decisions.added.is_empty()
            && self.decisions.removed.is_empty()
            && self.decisions.changed.is_empty()
    }

    /// Open threats the change brings at or above `threshold`: new ones, and ones that were not
    /// open or were below the threshold before. Old, accepted debt does not count.
    pub fn introduced(&self, threshold: ThreatSeverity) -> Vec<String> {
        let mut ids: Vec<String> = self
            .threats
            .new
            .iter()
            .filter(|t| open(t.threat.status) && t.threat.severity >= threshold)
            .map(|t| t.threat.id.clone())
            .collect();
        for change in &self.threats.changed {
            let now = open(change.new_status) && change.new_severity >= threshold;
            let before = open(change.old_status) && change.old_severity >= threshold;
            if now && !before {
                ids.push(change.id.clone());
            }
        }
        ids.sort();
        ids
    }
}

fn open(status: DecisionStatus) -> bool {
    matches!(status, DecisionStatus::Open | DecisionStatus::InProgress)
}

/// Serializable views of every element, by (kind, id), as JSON objects.
fn elements(model: &Model) -> BTreeMap<(&'static str, String), serde_json::Value> {
    let mut out = BTreeMap::new();
    let value = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
    for d in model.data.values() {
        out.insert(
            ("data", d.id.value.clone()),
            value(serde_json::to_value(&d.value)),
        );
    }
    for c in model.components.values() {
        out.insert(
            ("component", c.id.value.clone()),
            value(serde_json::to_value(&c.value)),
        );
    }
    for f in model.flows.values() {
        let mut v = value(serde_json::to_value(&f.attributes));
        if let Some(object) = v.as_object_mut() {
            object.remove("id");
            object.insert("source".into(), serde_json::json!(f.source.value));
            object.insert("target".into(), serde_json::json!(f.target.value));
        }
        out.insert(("flow", f.id.value.clone()), v);
    }
    for b in model.boundaries.values() {
        out.insert(
            ("boundary", b.id.value.clone()),
            value(serde_json::to_value(&b.value)),
        );
    }
    for r in model.runtimes.values() {
        out.insert(
            ("runtime", r.id.value.clone()),
            value(serde_json::to_value(&r.value)),
        );
    }
    // The team's own threats are part of the model text too: a re-rating shows as a change.
    for t in model.threats.values() {
        out.insert(
            ("threat", t.id.value.clone()),
            value(serde_json::to_value(&t.value)),
        );
    }
    if let Some(system) = &model.system {
        out.insert(
            ("system", "system".to_owned()),
            value(serde_json::to_value(system)),
        );
    }
    // How the model tunes the rules is part of it: disabling a rule or marking a threat not
    // applicable is a change a reviewer must see, with its reason.
    for (rule, reason) in &model.rules.disable {
        out.insert(
            (DISABLED_RULE, rule.value.clone()),
            serde_json::json!({ "reason": reason }),
        );
    }
    for (threat, reason) in &model.rules.not_applicable {
        out.insert(
            (NOT_APPLICABLE, threat.value.clone()),
            serde_json::json!({ "reason": reason }),
        );
    }
    out
}

const DISABLED_RULE: &str = "disabled-rule";
const NOT_APPLICABLE: &str = "not-applicable";

/// The reason an entry of the model's rule tuning holds.
fn tuning_reason(value: &serde_json::Value) -> Option<String> {
    value
        .get("reason")
        .and_then(|r| r.as_str())
        .map(str::to_owned)
}

fn compact(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// The attributes that differ between two objects, by name.
fn changes(old: &serde_json::Value, new: &serde_json::Value) -> Vec<Change> {
    let empty = serde_json::Map::new();
    let o = old.as_object().unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| o.get(*k) != n.get(*k))
        .map(|k| Change {
            attribute: k.clone(),
            old: compact(o.get(k)),
            new: compact(n.get(k)),
        })
        .collect()
}

fn element_kind(element: Element) -> &'static str {
    match element {
        Element::Component => "component",
        Element::Flow => "flow",
        Element::Data => "data",
        Element::Boundary => "boundary",
        Element::Runtime => "runtime",
        Element::Model => "system",
    }
}

/// What changed between two lists of findings (the register, or the hygiene checklist).
fn list_diff(
    old: &[Threat],
    new_list: &[Threat],
    new: &Model,
    new_analysis: &Analysis,
    elements: &ElementDiff,
) -> ThreatDiff {
    let reasons = |t: &Threat| -> Vec<String> { reasons(t, new, elements) };
    let old_threats: BTreeMap<&ThreatId, &Threat> = old.iter().map(|t| (&t.id, t)).collect();
    let new_threats: BTreeMap<&ThreatId, &Threat> = new_list.iter().map(|t| (&t.id, t)).collect();
    let mut threats = ThreatDiff::default();
    for (id, t) in &new_threats {
        match old_threats.get(id) {
            None => threats.new.push(NewThreat {
                threat: threat_ref(t),
                reasons: reasons(t),
            }),
            Some(previous) => {
                if previous.severity() != t.severity() || previous.status != t.status {
                    // A status change carries what caused it; the element's attribute changes
                    // explain a change of severity only.
                    let mut why = if previous.severity() != t.severity() {
                        reasons(t)
                    } else {
                        Vec::new()
                    };
                    if previous.status != t.status {
                        let reason = status_reason(previous, t, elements);
                        // The change that caused the status is said once, with it.
                        why.retain(|r| r != ELSEWHERE && !reason.ends_with(r.as_str()));
                        why.push(reason);
                    }
                    threats.changed.push(ThreatChange {
                        id: t.id.to_string(),
                        title: t.title.to_string(),
                        old_severity: previous.severity(),
                        new_severity: t.severity(),
                        old_status: previous.status,
                        new_status: t.status,
                        reasons: why,
                    });
                }
            }
        }
    }
    for (id, t) in &old_threats {
        if !new_threats.contains_key(id) {
            threats.gone.push(GoneThreat {
                threat: threat_ref(t),
                reasons: gone_reasons(t, new_analysis, elements),
            });
        }
    }
    threats
}

fn threat_ref(t: &Threat) -> ThreatRef {
    ThreatRef {
        id: t.id.to_string(),
        title: t.title.to_string(),
        severity: t.severity(),
        status: t.status,
    }
}

pub fn diff(old: &Model, old_analysis: &Analysis, new: &Model, new_analysis: &Analysis) -> Diff {
    let mut out = Diff::default();
    let (before, after) = (elements(old), elements(new));
    for (key, value) in &after {
        match before.get(key) {
            None => out.elements.added.push(ElementRef {
                kind: key.0,
                id: key.1.clone(),
                reason: tuning_reason(value),
            }),
            Some(previous) => {
                let changes = changes(previous, value);
                if !changes.is_empty() {
                    out.elements.changed.push(ElementChange {
                        kind: key.0,
                        id: key.1.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for (key, value) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
        out.elements.removed.push(ElementRef {
            kind: key.0,
            id: key.1.clone(),
            reason: tuning_reason(value),
        });
    }

    out.threats = list_diff(
        &old_analysis.threats,
        &new_analysis.threats,
        new,
        new_analysis,
        &out.elements,
    );
    out.hygiene = list_diff(
        &old_analysis.hygiene,
        &new_analysis.hygiene,
        new,
        new_analysis,
        &out.elements,
    );

    let decisions = |m: &Model| -> BTreeMap<String, serde_json::Value> {
        m.decisions
            .iter()
            .map(|d| {
                (
                    d.threat.value.clone(),
                    serde_json::to_value(d).unwrap_or_default(),
                )
            })
            .collect()
    };
    let (old_d, new_d) = (decisions(old), decisions(new));
    for (selector, value) in &new_d {
        match old_d.get(selector) {
            None => out.decisions.added.push(selector.clone()),
            Some(previous) => {
                let changes = changes(previous, value);
                if !changes.is_empty() {
                    out.decisions.changed.push(ElementChange {
                        kind: "decision",
                        id: selector.clone(),
                        changes,
                    });
                }
            }
        }
    }
    out.decisions.removed = old_d
        .keys()
        .filter(|k| !new_d.contains_key(*k))
        .cloned()
        .collect();
    let expired = |a: &Analysis| -> Vec<String> {
        a.threats
            .iter()
            .filter(|t| t.decision.as_ref().is_some_and(|d| d.expired))
            .map(|t| t.id.to_string())
            .collect()
    };
    let was_expired = expired(old_analysis);
    out.decisions.expired = expired(new_analysis)
        .into_iter()
        .filter(|id| !was_expired.contains(id))
        .collect();
    out
}

/// Why a threat appeared or changed: its element is new or changed, or the data it handles
/// changed. Falls back to "a change elsewhere" (reachability, a neighbour's controls).
fn reasons(threat: &Threat, new: &Model, elements: &ElementDiff) -> Vec<String> {
    let kind = element_kind(threat.element.kind);
    let id: &str = &threat.element.id;
    let mut out = Vec::new();
    if threat.is_manual() {
        let key = threat.id.key();
        if elements
            .added
            .iter()
            .any(|e| e.kind == "threat" && e.id == key)
        {
            out.push(format!("the team recorded threat {key}"));
        }
        if let Some(change) = elements
            .changed
            .iter()
            .find(|e| e.kind == "threat" && e.id == key)
        {
            for c in &change.changes {
                out.push(format!(
                    "threat {key}: {} {} -> {}",
                    c.attribute, c.old, c.new
                ));
            }
        }
    }
    if elements.added.iter().any(|e| e.kind == kind && e.id == id) {
        out.push(format!("new {kind} {id}"));
    }
    out.extend(attribute_changes(elements, kind, id));
    // The data the element handles: a changed classification moves scores.
    let handled: Vec<&str> = match threat.element.kind {
        Element::Component => new
            .components
            .get(id)
            .map(|c| {
                c.processes
                    .iter()
                    .chain(&c.stores)
                    .map(|d| d.value.as_str())
                    .collect()
            })
            .unwrap_or_default(),
        Element::Flow => new
            .flows
            .get(id)
            .map(|f| {
                f.data
                    .iter()
                    .chain(&f.returns)
                    .map(|d| d.value.as_str())
                    .collect()
            })
            .unwrap_or_default(),
        Element::Data => vec![id],
        _ => Vec::new(),
    };
    for change in elements
        .changed
        .iter()
        .filter(|e| e.kind == "data" && handled.contains(&e.id.as_str()))
    {
        if threat.element.kind == Element::Data && change.id == id {
            continue;
        }
        for c in &change.changes {
            out.push(format!(
                "data {}: {} {} -> {}",
                change.id, c.attribute, c.old, c.new
            ));
        }
    }
    if let Some(flow) = new.flows.get(id) {
        for end in [&flow.source.value, &flow.target.value] {
            if elements
                .added
                .iter()
                .any(|e| e.kind == "component" && &e.id == end)
            {
                out.push(format!("new component {end}"));
            }
        }
    }
    // For a component: the flows it gained or lost.
    if threat.element.kind == Element::Component {
        for added in elements.added.iter().filter(|e| e.kind == "flow") {
            if new
                .flows
                .get(&added.id)
                .is_some_and(|f| f.source.value == id || f.target.value == id)
            {
                out.push(format!("new flow {}", added.id));
            }
        }
    }
    if out.is_empty() {
        out.push(ELSEWHERE.to_owned());
    }
    out
}

/// What changed a threat's status: a decision (added, changed, removed or expired), the model
/// marking it not applicable or no longer, or the controls in place.
fn status_reason(old: &Threat, new: &Threat, elements: &ElementDiff) -> String {
    let status = format!("status {} -> {}", old.status, new.status);
    let tuned = |list: &[ElementRef]| {
        list.iter()
            .find(|e| e.kind == NOT_APPLICABLE && new.id == e.id)
            .map(|e| e.reason.clone().unwrap_or_default())
    };
    if new.status == DecisionStatus::NotApplicable
        && let Some(reason) = tuned(&elements.added)
    {
        return format!("{status}: marked not applicable ({reason})");
    }
    if old.status == DecisionStatus::NotApplicable
        && let Some(reason) = tuned(&elements.removed)
    {
        return format!("{status}: no longer marked not applicable (was: {reason})");
    }
    match (old.decision.as_deref(), new.decision.as_deref()) {
        (_, Some(d)) if d.expired => format!(
            "{status}: the acceptance `{}` expired on {}",
            d.selector,
            d.expires.as_deref().unwrap_or("")
        ),
        (_, Some(d)) => {
            let why = d
                .justification
                .as_deref()
                .map_or(String::new(), |j| format!(": {j}"));
            format!("{status} by decision `{}`{why}", d.selector)
        }
        (Some(d), None) => format!("{status}: the decision `{}` was removed", d.selector),
        (None, None) => {
            let kind = element_kind(new.element.kind);
            let id: &str = &new.element.id;
            let controls = elements
                .changed
                .iter()
                .filter(|e| e.kind == kind && e.id == id)
                .flat_map(|e| &e.changes)
                .find(|c| c.attribute == "controls");
            match controls {
                Some(c) => format!(
                    "{status} by controls; {kind} {id}: {} {} -> {}",
                    c.attribute, c.old, c.new
                ),
                None => format!(
                    "{status} by controls in reach: {}",
                    crate::mitigation::join(new.mitigation.in_place(), ", ")
                ),
            }
        }
    }
}

/// An element's changed attributes, one line each: `component web: controls [] -> ["waf"]`.
fn attribute_changes<'a>(
    elements: &'a ElementDiff,
    kind: &'a str,
    id: &'a str,
) -> impl Iterator<Item = String> + 'a {
    elements
        .changed
        .iter()
        .filter(move |e| e.kind == kind && e.id == id)
        .flat_map(|e| &e.changes)
        .map(move |c| format!("{kind} {id}: {} {} -> {}", c.attribute, c.old, c.new))
}

/// Why a threat of the old version is gone: its element was removed, its rule disabled, it
/// became part of another rule's threat, the team removed its own threat, or the element's
/// change (a control added, an attribute) ended the rule's condition.
fn gone_reasons(old: &Threat, new_analysis: &Analysis, elements: &ElementDiff) -> Vec<String> {
    let kind = element_kind(old.element.kind);
    let id: &str = &old.element.id;
    let mut out = Vec::new();
    if old.is_manual() {
        let key = old.id.key();
        if elements
            .removed
            .iter()
            .any(|e| e.kind == "threat" && e.id == key)
        {
            out.push(format!("the team removed threat {key}"));
        }
    }
    if elements
        .removed
        .iter()
        .any(|e| e.kind == kind && e.id == id)
    {
        out.push(format!("{kind} {id} removed"));
    }
    if let Some(rule) = elements
        .added
        .iter()
        .find(|e| e.kind == DISABLED_RULE && *e.id == *old.rule)
    {
        out.push(format!(
            "rule {} disabled: {}",
            rule.id,
            rule.reason.as_deref().unwrap_or("")
        ));
    }
    if let Some(absorber) = new_analysis
        .findings()
        .find(|t| *t.element.id == *id && t.absorbed.contains(&old.rule))
    {
        out.push(format!("now part of {}", absorber.id));
    }
    if out.is_empty() {
        out.extend(attribute_changes(elements, kind, id));
    }
    if out.is_empty() {
        out.push(ELSEWHERE.to_owned());
    }
    out
}

const ELSEWHERE: &str = "a change elsewhere in the model (reachability, a neighbour, a rule)";

/// What a decision says, as a threat's history shows it before and after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionState {
    pub status: DecisionStatus,
    pub owner: Option<String>,
    pub justification: Option<String>,
    pub expires: Option<String>,
    pub ticket: Option<String>,
    pub severity: Option<ThreatSeverity>,
}

impl DecisionState {
    fn of(d: &Decision) -> DecisionState {
        DecisionState {
            status: d.status,
            owner: d.owner.clone(),
            justification: d.justification.clone(),
            expires: d.expires.as_ref().map(|e| e.value.clone()),
            ticket: d.ticket.clone(),
            severity: d.severity,
        }
    }
}

/// A decision that covers a threat, added (`before` is `None`), removed (`after` is `None`) or
/// changed between two versions of a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionChange {
    /// The decision's `threat` as written: the threat's id, or a wildcard that covers it.
    pub selector: String,
    pub before: Option<DecisionState>,
    pub after: Option<DecisionState>,
}

/// The decisions that cover a threat which changed between two versions of a model's decisions
/// (`old`, `new`, in the order written), sorted by selector. A decision covers the threat when its
/// selector matches one of `ids`: the threat's own id and those of the threats it absorbed, as
/// decisions apply. Of several decisions with one selector only the first counts, since only it
/// can win. Pure, so that a front end reading revisions from git is tested without git.
pub fn decision_changes(old: &[Decision], new: &[Decision], ids: &[&str]) -> Vec<DecisionChange> {
    let covering = |decisions: &[Decision]| -> BTreeMap<String, DecisionState> {
        let mut out = BTreeMap::new();
        for d in decisions {
            let selector = d.threat.value.as_str();
            if !out.contains_key(selector) && ids.iter().any(|id| matches(selector, id)) {
                out.insert(selector.to_owned(), DecisionState::of(d));
            }
        }
        out
    };
    let (mut before, after) = (covering(old), covering(new));
    let mut out = Vec::new();
    for (selector, state) in after {
        let previous = before.remove(&selector);
        if previous.as_ref() != Some(&state) {
            out.push(DecisionChange {
                selector,
                before: previous,
                after: Some(state),
            });
        }
    }
    out.extend(before.into_iter().map(|(selector, state)| DecisionChange {
        selector,
        before: Some(state),
        after: None,
    }));
    out.sort_by(|a, b| a.selector.cmp(&b.selector));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decisions(text: &str) -> Vec<Decision> {
        let loaded = threatforge_model::load_str(
            "m.yaml",
            &format!("system: {{ name: S }}\n{text}"),
            std::path::Path::new("."),
            &threatforge_model::LoadOptions::default(),
        );
        loaded.model.decisions
    }

    #[test]
    fn changes_of_the_decisions_that_cover_a_threat() {
        let old = decisions(
            "decisions:\n\
             - { threat: \"xss:web\", status: in-progress, owner: a }\n\
             - { threat: \"xss:*\", status: accepted, justification: later, expires: 2027-01-01 }\n\
             - { threat: \"sqli:db\", status: mitigated, justification: orm }\n",
        );
        let new = decisions(
            "decisions:\n\
             - { threat: \"xss:web\", status: mitigated, owner: a, justification: escaped }\n\
             - { threat: \"*:web\", status: false-positive, justification: static }\n\
             - { threat: \"sqli:db\", status: accepted, justification: legacy, expires: 2027-01-01 }\n",
        );
        let changes = decision_changes(&old, &new, &["xss:web"]);
        let summary: Vec<(&str, Option<DecisionStatus>, Option<DecisionStatus>)> = changes
            .iter()
            .map(|c| {
                (
                    c.selector.as_str(),
                    c.before.as_ref().map(|s| s.status),
                    c.after.as_ref().map(|s| s.status),
                )
            })
            .collect();
        // The decision on another threat is not this threat's history.
        assert_eq!(
            summary,
            [
                ("*:web", None, Some(DecisionStatus::FalsePositive)),
                ("xss:*", Some(DecisionStatus::Accepted), None),
                (
                    "xss:web",
                    Some(DecisionStatus::InProgress),
                    Some(DecisionStatus::Mitigated)
                ),
            ]
        );
        let expires = changes[1].before.as_ref().and_then(|s| s.expires.clone());
        assert_eq!(expires.as_deref(), Some("2027-01-01"));
        assert_eq!(
            changes[2]
                .after
                .as_ref()
                .and_then(|s| s.justification.as_deref()),
            Some("escaped")
        );
    }

    #[test]
    fn an_unchanged_decision_and_an_absorbed_threat() {
        let text = "decisions:\n- { threat: \"a:x\", status: mitigated, justification: done }\n\
                    - { threat: \"a:x\", status: accepted, justification: ignored, expires: 2027-01-01 }\n";
        assert!(decision_changes(&decisions(text), &decisions(text), &["a:x"]).is_empty());
        // A decision on a threat absorbed into this one is part of its history.
        let changes = decision_changes(&[], &decisions(text), &["b:x", "a:x"]);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].after.as_ref().map(|s| s.status),
            Some(DecisionStatus::Mitigated),
            "only the first decision written with a selector counts"
        );
        assert!(decision_changes(&decisions(text), &[], &["a:y"]).is_empty());
    }
}
