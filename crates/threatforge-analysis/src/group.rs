//! One threat for a practice that one fix serves everywhere (rules with `group: model`): the
//! open threats a rule finds on several elements become one threat, `<rule>:model`, that names
//! each element with its own explanation and is scored as the most severe of them. A flow rule
//! with `group: target` does the same per component its flows lead into, `<rule>:<component>`,
//! and per cluster for flows between two components on one cluster, `<rule>:<cluster>`: there the
//! one fix is the cluster's (a service mesh's mTLS), not each receiving service's. `group: source`
//! groups a flow rule's threats per component the flows come from.
//! A rule that finds one element keeps that element's threat and id, unless the team decided on
//! the group.
//!
//! Threats join their groups as the rules find them; the groups' threats are made after
//! `rules.not_applicable` and before the decisions: an element the team has already answered for
//! (a decision written for its own threat, not for the group, or marked not applicable) keeps its
//! threat and that answer; a threat mitigated by its controls stays apart as mitigated. The group
//! is then decided like any threat, by its own id.

use std::collections::btree_map::{BTreeMap, Entry};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use threatforge_model::{Model, RuntimeKind, Span};

use crate::decisions::{Index, matches};
use crate::mitigation::{in_place_on, in_words};
use crate::rule::{Element, Group};
use crate::ruleset::Rule;
use crate::threat::{Analysis, ElementRef, Threat, ThreatId};

/// The key of a group's id: the element a model-wide threat is about.
pub(crate) const MODEL_KEY: &str = "model";

/// Folds the threats of grouped rules into their groups. The engine offers each threat as its
/// element's rules find it, so that a group's members are never all held as threats at once (a
/// large model's checklist folds 100,000 of them into a few dozen groups: 40 MB at 50,000
/// components); `finish` makes the groups' threats.
///
/// Members come in id order, as the groups' texts and their worst member's ties need: the engine
/// evaluates the elements in id order, and a rule's threats on them are in that order too.
pub(crate) struct Grouper<'m> {
    model: &'m Model,
    grouped: Vec<(&'m str, Group, crate::rule::Tier)>,
    decisions: Index,
    /// Threats marked not applicable are not open once marked (`decisions::not_applicable`, after
    /// the rules): offered before, they are held back.
    not_applicable: HashSet<&'m str>,
    clusters: Clusters<'m>,
    /// Groups by their id, `<rule>:<key>`, in id order.
    /// Boxed: a pending group is as large as a threat, and most slots of the tree's nodes are
    /// empty.
    groups: BTreeMap<String, Box<Pending>>,
    id: String,
}

impl<'m> Grouper<'m> {
    pub(crate) fn new(model: &'m Model, active: &[&'m Rule]) -> Grouper<'m> {
        // A hygiene rule's findings group as `group` says, and those its `threat_when` makes
        // threats as `threat_group` says (apart where it says nothing).
        let grouped: Vec<(&str, Group, crate::rule::Tier)> = active
            .iter()
            .flat_map(|r| {
                let own = r.file.group.map(|g| (r.id(), g, r.file.tier));
                let threats = r
                    .file
                    .threat_group
                    .map(|g| (r.id(), g, crate::rule::Tier::Threat));
                own.into_iter().chain(threats)
            })
            .collect();
        let needed = grouped.iter().any(|&(_, g, _)| g == Group::Target);
        Grouper {
            model,
            grouped,
            decisions: Index::new(model.decisions.iter().map(|d| d.threat.value.as_str())),
            not_applicable: model
                .rules
                .not_applicable
                .keys()
                .map(|k| k.value.as_str())
                .collect(),
            clusters: Clusters::new(model, needed),
            groups: BTreeMap::new(),
            id: String::new(),
        }
    }

    /// Folds a threat into its group, or gives it back when it joins none.
    pub(crate) fn offer(&mut self, threat: Threat) -> Option<Threat> {
        if self.grouped.is_empty() {
            return Some(threat);
        }
        if !self.not_applicable.is_empty() {
            self.id.clear();
            let _ = write!(self.id, "{}", threat.id);
            if self.not_applicable.contains(self.id.as_str()) {
                return Some(threat);
            }
        }
        match self.group_of(&threat) {
            Some((group, group_id)) => {
                self.fold(group, group_id, threat);
                None
            }
            None => Some(threat),
        }
    }

    /// The group a threat joins, if any. A hygiene finding the model makes a threat of its design
    /// (`threat_when`) is about that element, not the shared practice: it stays apart, or joins
    /// the other such threats its rule's `threat_group` puts with it. So does an element the team
    /// answered for on its own.
    fn group_of(&mut self, threat: &Threat) -> Option<(Group, String)> {
        let &(rule, group, _) = self
            .grouped
            .iter()
            .find(|(r, _, tier)| *r == &*threat.rule && *tier == threat.tier)?;
        if !threat.is_open() {
            return None;
        }
        let (_, key) = key_of(self.model, &self.clusters, group, threat)?;
        let group_id = format!("{rule}:{key}");
        (!singled_out(&self.decisions, threat, &group_id, &mut self.id))
            .then_some((group, group_id))
    }

    fn fold(&mut self, group: Group, group_id: String, threat: Threat) {
        match self.groups.entry(group_id) {
            Entry::Vacant(entry) => {
                entry.insert(Box::new(Pending::new(group, threat)));
            }
            Entry::Occupied(mut entry) => entry.get_mut().add(threat),
        }
    }

    /// Puts the groups' threats in the list, in id order. Every threat the analysis finds has
    /// been offered: what is in the list joins no group (held back ones are not applicable once
    /// `rules.not_applicable` has run, before this).
    pub(crate) fn finish(self, active: &[&Rule], analysis: &mut Analysis) {
        let Grouper {
            model,
            clusters,
            mut groups,
            ..
        } = self;
        merge_superseded(active, &mut groups);
        let rest = &mut analysis.threats;
        let groups = groups.into_iter().filter_map(|(group_id, pending)| {
            if pending.len() == 1 && !named(model, &group_id) {
                // One element is no practice to group: its own threat says more (its element,
                // its location, its owner), and a decision written for it keeps matching.
                return Some(pending.worst);
            }
            let mut threat = pending.finish(model, &clusters)?;
            // The groups it took in stand for their rules' weaknesses too.
            let taken: Vec<&Rule> = active
                .iter()
                .copied()
                .filter(|r| threat.absorbed.iter().any(|a| **a == *r.id()))
                .collect();
            if !taken.is_empty() {
                threat.cwe =
                    crate::threat::with_absorbed_ids(&threat.cwe, &taken, |r| &r.shared.cwe);
                threat.capec =
                    crate::threat::with_absorbed_ids(&threat.capec, &taken, |r| &r.shared.capec);
            }
            Some(threat)
        });
        // Appended and sorted once: inserting each group into its place moved the rest of the
        // list per group, quadratic when a rule groups per cluster or target (60 s at 50,000
        // components).
        let before = rest.len();
        rest.extend(groups);
        if rest.len() > before {
            crate::threat::sort_by_id(rest);
        }
    }
}

/// Folds a rule's group into the group of a rule that supersedes it on the same key (the clear
/// text a cluster's flows carry, into the credentials they carry: one missing mesh, one threat).
/// On each flow the root rule already absorbed the other; across a cluster, flows with
/// credentials and flows with only data would otherwise give two threats of one cause. Only
/// where the superseded group is no more severe: the root's threat must not understate it.
fn merge_superseded(active: &[&Rule], groups: &mut BTreeMap<String, Box<Pending>>) {
    // From the bottom of each chain up (clear text into credentials, then credentials into an
    // unauthenticated listener): a root that took its superseded rule's superseded group first
    // would leave that rule's own group apart, one cause in two threats.
    // How many rules deep the chain below a rule goes, counted over the rules it supersedes;
    // bounded by the number of rules, so that rules superseding each other in a cycle stop.
    let height = |rule: &Rule| {
        let mut level: Vec<&Rule> = vec![rule];
        let mut height = 0;
        while height < active.len() {
            level = active
                .iter()
                .copied()
                .filter(|r| {
                    level
                        .iter()
                        .any(|above| above.file.supersedes.iter().any(|s| s.value == r.id()))
                })
                .collect();
            if level.is_empty() {
                break;
            }
            height += 1;
        }
        height
    };
    let mut roots: Vec<(usize, &&Rule)> = active
        .iter()
        .filter(|r| r.file.group.is_some() && !r.file.supersedes.is_empty())
        .map(|r| (height(r), r))
        .collect();
    roots.sort_by_key(|&(height, _)| height);
    for (_, root) in roots {
        let Some(group) = root.file.group else {
            continue;
        };
        for superseded in &root.file.supersedes {
            // A checklist line's group does not join a threat's: the register holds only what
            // the model makes a threat of.
            let same_kind = active.iter().any(|r| {
                r.id() == superseded.value
                    && r.file.group == Some(group)
                    && r.file.tier == root.file.tier
            });
            if !same_kind {
                continue;
            }
            let prefix = format!("{}:", superseded.value);
            let keys: Vec<String> = groups
                .range(prefix.clone()..)
                .take_while(|(id, _)| id.starts_with(&prefix))
                .map(|(id, _)| id[prefix.len()..].to_owned())
                .collect();
            for key in keys {
                let root_id = format!("{}:{key}", root.id());
                let Some(worst) = groups.get(&root_id).map(|p| p.worst.risk_order()) else {
                    continue;
                };
                let other_id = format!("{prefix}{key}");
                if groups
                    .get(&other_id)
                    .is_some_and(|p| p.worst.risk_order() >= worst)
                    && let Some(other) = groups.remove(&other_id)
                    && let Some(pending) = groups.get_mut(&root_id)
                {
                    pending.absorb(*other, &superseded.value);
                }
            }
        }
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
/// component it leads into (or, `group: source`, comes from).
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
        Group::Source if threat.element.kind == Element::Flow => {
            let flow = model.flows.get(&*threat.element.id)?;
            Some((Element::Component, flow.source.value.as_str()))
        }
        Group::Recipient if threat.element.kind == Element::Flow => {
            let flow = model.flows.get(&*threat.element.id)?;
            Some((Element::Component, model.recipient_of(flow)))
        }
        Group::Target | Group::Source | Group::Recipient => None,
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

/// A group while its members come in: the most severe member so far (whose score, factors,
/// mitigations and location the group takes: the place a reader goes first), and what the group
/// keeps of every member (its element, location, absorbed rules and explanation), so that each
/// member's threat is dropped as soon as it is read.
struct Pending {
    group: Group,
    worst: Threat,
    /// Empty while the worst is the only member: a group of one is that member's own threat
    /// (most groups per target are), and what it keeps of it would be thrown away.
    members: Members,
}

/// The last sentence of an explanation that names what else its fix closes (written by the
/// engine); a group says it once for all its members (`Members::read`).
pub(crate) const ALSO_CLOSES: &str = " Closing this gap also closes: ";

/// What a group keeps of each member.
#[derive(Default)]
struct Members {
    elements: Vec<ElementRef>,
    spans: Vec<Span>,
    absorbed: Vec<Arc<str>>,
    /// Every member's explanation, in order, each with where part of the fix is in place.
    text: String,
    /// What the members' fixes also close, each once, in the order first named: said once at
    /// the end, not after every member.
    consequences: Vec<String>,
}

impl Pending {
    fn new(group: Group, first: Threat) -> Pending {
        Pending {
            group,
            worst: first,
            members: Members::default(),
        }
    }

    fn len(&self) -> usize {
        self.members.elements.len().max(1)
    }

    /// Keeps what the group needs of its first member, once it has more than one.
    fn read_first(&mut self) {
        if self.members.elements.is_empty() {
            self.members.read(&self.worst);
        }
    }

    fn add(&mut self, member: Threat) {
        self.read_first();
        self.members.read(&member);
        // The first of equally severe members stays the worst.
        if member.risk_order() < self.worst.risk_order() {
            self.worst = member;
        }
    }

    /// Takes in the group of a rule this group's rule supersedes: its members, and its rule among
    /// the absorbed ones (a decision written for it still applies).
    fn absorb(&mut self, mut other: Pending, rule: &str) {
        self.read_first();
        other.read_first();
        let Members {
            elements,
            spans,
            absorbed,
            text,
            consequences,
        } = other.members;
        self.members.elements.extend(elements);
        self.members.spans.extend(spans);
        self.members.absorbed.push(Arc::from(rule));
        self.members.absorbed.extend(absorbed);
        self.members.text.push_str(&text);
        for title in &consequences {
            self.members.also_closes(title);
        }
    }

    /// The group's threat, `<rule>:<key>`, with every member's explanation.
    fn finish(mut self, model: &Model, clusters: &Clusters<'_>) -> Option<Threat> {
        self.read_first();
        let Pending {
            group,
            mut worst,
            members:
                Members {
                    elements,
                    spans,
                    mut absorbed,
                    text,
                    consequences,
                },
        } = self;
        let (kind, key) = key_of(model, clusters, group, &worst)?;
        let element = ElementRef {
            kind,
            id: Arc::from(key),
        };
        let count = elements.len();
        let explanation = if count == 1 {
            worst.explanation.to_string()
        } else {
            let names: Vec<String> = elements.iter().map(|e| format!("`{}`", e.id)).collect();
            let into = match (element.kind, group) {
                (Element::Model, _) => String::new(),
                (Element::Runtime, _) => format!(" inside `{}`", element.id),
                (_, Group::Source) => format!(" from `{}`", element.id),
                (_, Group::Recipient) => format!(" to `{}`", element.id),
                _ => format!(" into `{}`", element.id),
            };
            let also = if consequences.is_empty() {
                String::new()
            } else {
                format!("{}{}.", ALSO_CLOSES, consequences.join("; "))
            };
            format!(
                "The same gap on {count} {}{into}, with one fix for all: {}.{text}{also}",
                noun(worst.element.kind),
                in_words(&names)
            )
        };
        absorbed.sort();
        absorbed.dedup();
        worst.id = ThreatId::new(worst.rule.clone(), element.id.clone());
        worst.element = element;
        worst.explanation = explanation.into_boxed_str();
        worst.absorbed = absorbed;
        worst.members = elements;
        worst.member_spans = spans;
        Some(worst)
    }
}

impl Members {
    /// Names a consequence the group's fix closes, once.
    fn also_closes(&mut self, title: &str) {
        if !self.consequences.iter().any(|c| c == title) {
            self.consequences.push(title.to_owned());
        }
    }

    fn read(&mut self, member: &Threat) {
        self.elements.push(member.element.clone());
        self.spans.push(member.span);
        self.absorbed.extend(member.absorbed.iter().cloned());
        let (own, also) = match member.explanation.rfind(ALSO_CLOSES) {
            Some(at) => (
                &member.explanation[..at],
                member.explanation[at + ALSO_CLOSES.len()..].trim_end_matches('.'),
            ),
            None => (&*member.explanation, ""),
        };
        for title in also.split("; ").filter(|t| !t.is_empty()) {
            self.also_closes(title);
        }
        self.text.push(' ');
        self.text.push_str(own);
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
                self.text,
                " On `{}`, {} {} in place.",
                member.element.id,
                in_words(&in_place),
                if in_place.len() == 1 { "is" } else { "are" }
            );
        }
    }
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
