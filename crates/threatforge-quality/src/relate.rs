//! Which threats an expectation stands for: the element it names, and, with `related` scope,
//! the elements a threat about the same risk may sit on (a flow of the component, the boundary
//! or runtime around it), so that grouping threats onto a cluster or an account still counts.

use std::collections::{HashMap, HashSet};

use threatforge_analysis::{Element, Threat};
use threatforge_model::Model;

/// The model's elements and how they hang together, indexed once.
#[derive(Debug, Default)]
pub struct Relations {
    /// Components, flows, boundaries and runtimes share one namespace.
    kinds: HashMap<String, Element>,
    /// Data assets have a namespace of their own.
    data: HashSet<String>,
    /// Flow id -> its two ends.
    ends: HashMap<String, [String; 2]>,
    /// Component -> the flows from or to it.
    touching: HashMap<String, Vec<String>>,
    /// Component or boundary -> the boundary directly around it.
    parent: HashMap<String, String>,
    /// Component -> the runtimes that run it.
    runs_on: HashMap<String, Vec<String>>,
}

/// Which threats an entry's element stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The element itself.
    Element,
    /// The element and what is related to it (`Relations::related`).
    Related,
}

/// The elements whose threats an entry stands for.
#[derive(Debug, Default)]
pub struct Target(HashSet<(Element, String)>);

impl Target {
    pub fn contains(&self, kind: Element, id: &str) -> bool {
        // Looked up without allocating: few entries, compared in place.
        self.0.iter().any(|(k, i)| *k == kind && i == id)
    }

    /// Whether `threat` is open, by one of `rules` (its own, or one it absorbed as the same root
    /// cause), on one of the target's elements (or, for a rule's threats grouped into one, naming
    /// one of them as a member).
    pub fn matches(&self, rules: &[String], threat: &Threat) -> bool {
        threat.is_open() && rules.iter().any(|r| threat.stands_for(r)) && self.holds(threat)
    }

    /// Whether the threat's element, or one of its members, is in the target.
    pub fn holds(&self, threat: &Threat) -> bool {
        threat.elements().any(|e| self.contains(e.kind, &e.id))
    }

    /// `matches` for a threat given by its parts, whatever its status.
    pub fn matches_parts(&self, rules: &[String], rule: &str, kind: Element, id: &str) -> bool {
        rules.iter().any(|r| r == rule) && self.contains(kind, id)
    }
}

impl Relations {
    pub fn new(model: &Model) -> Relations {
        let mut relations = Relations::default();
        for id in model.components.keys() {
            relations.kinds.insert(id.clone(), Element::Component);
        }
        for (id, flow) in &model.flows {
            relations.kinds.insert(id.clone(), Element::Flow);
            let ends = [flow.source.value.clone(), flow.target.value.clone()];
            for end in &ends {
                relations
                    .touching
                    .entry(end.clone())
                    .or_default()
                    .push(id.clone());
            }
            relations.ends.insert(id.clone(), ends);
        }
        for (id, boundary) in &model.boundaries {
            relations.kinds.insert(id.clone(), Element::Boundary);
            for member in &boundary.contains {
                relations.parent.insert(member.value.clone(), id.clone());
            }
        }
        for (id, runtime) in &model.runtimes {
            relations.kinds.insert(id.clone(), Element::Runtime);
            for member in &runtime.runs {
                relations
                    .runs_on
                    .entry(member.value.clone())
                    .or_default()
                    .push(id.clone());
            }
        }
        relations.data = model.data.keys().cloned().collect();
        relations
    }

    /// What the id names; an id that is both a component and a data asset names the component.
    pub fn kind(&self, id: &str) -> Option<Element> {
        self.kinds
            .get(id)
            .copied()
            .or_else(|| self.data.contains(id).then_some(Element::Data))
    }

    /// Every id, sorted (the maps have no order, and a suggestion must not change from run to
    /// run), for "did you mean" suggestions.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .kinds
            .keys()
            .chain(&self.data)
            .map(String::as_str)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The elements whose threats `elements` stand for under `scope`. Unknown ids stand for
    /// nothing (the expectations' checker reports them).
    pub fn target(&self, elements: &[String], scope: Scope) -> Target {
        let mut target = Target::default();
        for id in elements {
            let Some(kind) = self.kind(id) else { continue };
            target.0.insert((kind, id.clone()));
            if scope == Scope::Element {
                continue;
            }
            match kind {
                Element::Component => self.add_component_context(id, &mut target, true),
                Element::Flow => {
                    for end in self.ends.get(id).into_iter().flatten() {
                        target.0.insert((Element::Component, end.clone()));
                        self.add_component_context(end, &mut target, false);
                    }
                }
                Element::Boundary => self.add_ancestors(id, &mut target),
                Element::Data | Element::Runtime | Element::Model => {}
            }
        }
        target
    }

    /// The boundaries and runtimes around a component, and with `flows` its flows.
    fn add_component_context(&self, id: &str, target: &mut Target, flows: bool) {
        if flows {
            for flow in self.touching.get(id).into_iter().flatten() {
                target.0.insert((Element::Flow, flow.clone()));
            }
        }
        for runtime in self.runs_on.get(id).into_iter().flatten() {
            target.0.insert((Element::Runtime, runtime.clone()));
        }
        self.add_ancestors(id, target);
    }

    fn add_ancestors(&self, id: &str, target: &mut Target) {
        let mut current = id;
        // Bounded by the number of boundaries: the loader rejects cycles, and a model that got
        // here has no errors, but a bound costs nothing.
        for _ in 0..=self.parent.len() {
            let Some(parent) = self.parent.get(current) else {
                return;
            };
            target.0.insert((Element::Boundary, parent.clone()));
            current = parent;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use threatforge_analysis::{RuleSet, analyze};
    use threatforge_model::{LoadOptions, load_str};

    use super::*;

    const MODEL: &str = r#"
system: { name: shop }
data:
  card: { classification: secret, categories: [payment] }
  orders: { classification: confidential }
components:
  shopper: { technology: browser, exposure: internet }
  shop: { technology: web-application, processes: [card] }
  db: { technology: postgresql, stores: [orders] }
  orders: { technology: api-service, processes: [orders] }
  other: { technology: api-service, processes: [orders] }
flows:
  - shopper -> shop: { protocol: https, data: [card] }
  - shop -> db: { protocol: postgres, authentication: credentials, data: [orders] }
  - shop -> orders: { protocol: grpc-tls, data: [orders] }
  - other -> db: { protocol: postgres-tls, authentication: credentials, data: [orders] }
boundaries:
  account: { kind: cloud-account, contains: [vpc] }
  vpc: { kind: vpc, contains: [shop, orders] }
  data-tier: { kind: network, trust: high, contains: [db] }
runtimes:
  cluster: { kind: cluster, runs: [shop, orders] }
"#;

    fn model() -> Model {
        let loaded = load_str("m.yaml", MODEL, Path::new("."), &LoadOptions::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.model
    }

    fn rules(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_component_stands_for_its_flows_boundaries_and_runtimes_when_related() {
        let relations = Relations::new(&model());
        let target = relations.target(&["shop".to_owned()], Scope::Related);
        let r = rules(&["cleartext-sensitive-data-in-transit"]);
        for (kind, id) in [
            (Element::Component, "shop"),
            (Element::Flow, "shop->db"),
            (Element::Flow, "shopper->shop"),
            (Element::Boundary, "vpc"),
            (Element::Boundary, "account"),
            (Element::Runtime, "cluster"),
        ] {
            assert!(
                target.matches_parts(&r, "cleartext-sensitive-data-in-transit", kind, id),
                "{id}"
            );
        }
    }

    #[test]
    fn unrelated_elements_and_other_rules_do_not_match() {
        let relations = Relations::new(&model());
        let target = relations.target(&["shop".to_owned()], Scope::Related);
        let r = rules(&["sql-injection"]);
        // A neighbour's flow, a boundary the component is not in, a sibling component.
        assert!(!target.matches_parts(&r, "sql-injection", Element::Flow, "other->db"));
        assert!(!target.matches_parts(&r, "sql-injection", Element::Boundary, "data-tier"));
        assert!(!target.matches_parts(&r, "sql-injection", Element::Component, "orders"));
        // The right element under another rule.
        assert!(!target.matches_parts(&r, "xml-external-entity", Element::Component, "shop"));
        // The data asset that shares a component's id is another element.
        let orders = relations.target(&["orders".to_owned()], Scope::Related);
        assert!(!orders.matches_parts(&r, "sql-injection", Element::Data, "orders"));
        assert!(orders.matches_parts(&r, "sql-injection", Element::Component, "orders"));
    }

    #[test]
    fn element_scope_is_the_element_alone() {
        let relations = Relations::new(&model());
        let target = relations.target(&["shop".to_owned()], Scope::Element);
        let r = rules(&["missing-hardening"]);
        assert!(target.matches_parts(&r, "missing-hardening", Element::Component, "shop"));
        assert!(!target.matches_parts(&r, "missing-hardening", Element::Flow, "shop->db"));
        assert!(!target.matches_parts(&r, "missing-hardening", Element::Runtime, "cluster"));
    }

    #[test]
    fn a_flow_stands_for_its_ends_and_their_zones_but_not_their_other_flows() {
        let relations = Relations::new(&model());
        let target = relations.target(&["shop->db".to_owned()], Scope::Related);
        let r = rules(&["push-based-deployment"]);
        assert!(target.matches_parts(&r, "push-based-deployment", Element::Component, "db"));
        assert!(target.matches_parts(&r, "push-based-deployment", Element::Boundary, "data-tier"));
        assert!(target.matches_parts(&r, "push-based-deployment", Element::Runtime, "cluster"));
        assert!(!target.matches_parts(&r, "push-based-deployment", Element::Flow, "other->db"));
        assert!(!target.matches_parts(&r, "push-based-deployment", Element::Flow, "shopper->shop"));
    }

    #[test]
    fn a_boundary_stands_for_the_boundaries_around_it() {
        let relations = Relations::new(&model());
        let target = relations.target(&["vpc".to_owned()], Scope::Related);
        let r = rules(&["cloud-iam-overprivilege"]);
        assert!(target.matches_parts(&r, "cloud-iam-overprivilege", Element::Boundary, "account"));
        assert!(!target.matches_parts(&r, "cloud-iam-overprivilege", Element::Component, "shop"));
    }

    #[test]
    fn unknown_ids_stand_for_nothing() {
        let relations = Relations::new(&model());
        assert_eq!(relations.kind("nope"), None);
        assert_eq!(relations.kind("card"), Some(Element::Data));
        assert_eq!(relations.kind("orders"), Some(Element::Component));
        let target = relations.target(&["nope".to_owned()], Scope::Related);
        assert!(target.0.is_empty());
    }

    #[test]
    fn only_open_threats_match() {
        let model = model();
        let relations = Relations::new(&model);
        let analysis = analyze(&model, &RuleSet::builtin());
        let target = relations.target(&["shop->db".to_owned()], Scope::Element);
        let rule = rules(&["cleartext-sensitive-data-in-transit"]);
        // The hop's threat: cleartext's own, or the credentials one that absorbed it.
        let threat = analysis
            .threats
            .iter()
            .find(|t| {
                &*t.element.id == "shop->db"
                    && (&*t.rule == "cleartext-sensitive-data-in-transit"
                        || t.absorbed
                            .iter()
                            .any(|r| &**r == "cleartext-sensitive-data-in-transit"))
            })
            .expect("the plain PostgreSQL hop carries confidential data");
        assert!(target.matches(&rule, threat));
        let mut closed = threat.clone();
        closed.status = threatforge_model::DecisionStatus::Mitigated;
        assert!(!target.matches(&rule, &closed));
    }
}
