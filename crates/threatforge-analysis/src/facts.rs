//! Facts derived once from the model's graph and shared by every rule: zones, reachability from
//! untrusted zones, the data each element handles. Every pass here is linear in the model's size.

use std::collections::VecDeque;

use threatforge_model::{Classification, Exposure, Model, Trust};

/// Per-component facts, indexed like `model.components`.
#[derive(Clone, Debug, Default)]
pub struct ComponentFacts {
    /// Enclosing boundaries, innermost first.
    pub boundaries: Vec<usize>,
    /// Trust level of the innermost zone (0 untrusted .. 3 high).
    pub trust: i64,
    pub reachable_from_internet: bool,
    /// Flows on the shortest path from an untrusted source; -1 when unreachable.
    pub internet_hops: i64,
    pub unauthenticated_path: bool,
    /// Indexes of in-scope flows into and out of the component.
    pub inbound: Vec<usize>,
    pub outbound: Vec<usize>,
    /// Indexes of every data asset it processes, stores, sends or receives, in model order.
    pub data: Vec<usize>,
    pub runtime: Option<usize>,
    pub untrusted_source: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FlowFacts {
    pub source: Option<usize>,
    pub target: Option<usize>,
    /// Boundary ids entered or left, innermost first ("internet" for the implicit zone).
    pub crosses: Vec<String>,
    pub in_scope: bool,
}

#[derive(Clone, Debug, Default)]
pub struct DataFacts {
    pub stored_by: Vec<usize>,
    pub processed_by: Vec<usize>,
    pub flows: Vec<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct BoundaryFacts {
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Components inside, directly or through nested boundaries, in model order.
    pub components: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub components: Vec<ComponentFacts>,
    pub flows: Vec<FlowFacts>,
    pub data: Vec<DataFacts>,
    pub boundaries: Vec<BoundaryFacts>,
}

pub fn trust_level(trust: Trust) -> i64 {
    match trust {
        Trust::Untrusted => 0,
        Trust::Low => 1,
        Trust::Medium => 2,
        Trust::High => 3,
    }
}

pub fn sensitivity(classification: Classification) -> i64 {
    match classification {
        Classification::Public => 0,
        Classification::Internal => 1,
        Classification::Confidential => 2,
        Classification::Secret => 3,
    }
}

pub fn derive(model: &Model) -> Facts {
    let n = model.components.len();
    let mut facts = Facts {
        components: vec![ComponentFacts::default(); n],
        flows: vec![FlowFacts::default(); model.flows.len()],
        data: vec![DataFacts::default(); model.data.len()],
        boundaries: vec![BoundaryFacts::default(); model.boundaries.len()],
    };

    // Boundary tree: direct parent of each component and boundary.
    let mut component_parent: Vec<Option<usize>> = vec![None; n];
    for (b, boundary) in model.boundaries.values().enumerate() {
        for member in &boundary.contains {
            if let Some(c) = model.components.get_index_of(&member.value) {
                component_parent[c] = Some(b);
            } else if let Some(child) = model.boundaries.get_index_of(&member.value)
                && child != b
            {
                facts.boundaries[child].parent = Some(b);
                facts.boundaries[b].children.push(child);
            }
        }
    }
    let boundary_count = model.boundaries.len();
    for (c, component) in model.components.values().enumerate() {
        let mut chain = Vec::new();
        let mut current = component_parent[c];
        // The loader rejects nesting cycles; the bound keeps a broken model from looping.
        while let Some(b) = current {
            if chain.len() > boundary_count {
                break;
            }
            chain.push(b);
            current = facts.boundaries[b].parent;
        }
        for &b in &chain {
            facts.boundaries[b].components.push(c);
        }
        let internet_facing = component.exposure == Some(Exposure::Internet);
        let cf = &mut facts.components[c];
        cf.trust = match chain.first() {
            Some(&b) => trust_level(model.boundaries[b].trust),
            None if internet_facing => 0,
            None => 2,
        };
        cf.untrusted_source = internet_facing
            || chain
                .iter()
                .any(|&b| model.boundaries[b].trust == Trust::Untrusted);
        cf.boundaries = chain;
        for d in component.processes.iter().chain(&component.stores) {
            if let Some(i) = model.data.get_index_of(&d.value) {
                cf.data.push(i);
            }
        }
        for d in &component.stores {
            if let Some(i) = model.data.get_index_of(&d.value) {
                facts.data[i].stored_by.push(c);
            }
        }
        for d in &component.processes {
            if let Some(i) = model.data.get_index_of(&d.value) {
                facts.data[i].processed_by.push(c);
            }
        }
    }

    for (r, runtime) in model.runtimes.values().enumerate() {
        for member in &runtime.runs {
            if let Some(c) = model.components.get_index_of(&member.value) {
                facts.components[c].runtime = Some(r);
            }
        }
    }

    for (f, flow) in model.flows.values().enumerate() {
        let source = model.components.get_index_of(&flow.source.value);
        let target = model.components.get_index_of(&flow.target.value);
        let in_scope = flow.out_of_scope.is_none()
            && [source, target]
                .iter()
                .all(|end| end.is_some_and(|c| model.components[c].out_of_scope.is_none()));
        let mut ff = FlowFacts {
            source,
            target,
            crosses: Vec::new(),
            in_scope,
        };
        for d in flow.data.iter().chain(&flow.returns) {
            if let Some(i) = model.data.get_index_of(&d.value)
                && facts.data[i].flows.last() != Some(&f)
            {
                facts.data[i].flows.push(f);
            }
        }
        if let (Some(s), Some(t)) = (source, target) {
            let zone = |c: usize| -> Vec<String> {
                let chain = &facts.components[c].boundaries;
                if chain.is_empty() && model.components[c].exposure == Some(Exposure::Internet) {
                    vec![threatforge_model::INTERNET.to_owned()]
                } else {
                    chain
                        .iter()
                        .map(|&b| model.boundaries[b].id.value.clone())
                        .collect()
                }
            };
            let (zs, zt) = (zone(s), zone(t));
            ff.crosses = zs
                .iter()
                .filter(|b| !zt.contains(b))
                .chain(zt.iter().filter(|b| !zs.contains(b)))
                .cloned()
                .collect();
            if in_scope {
                facts.components[s].outbound.push(f);
                facts.components[t].inbound.push(f);
            }
            for d in flow.data.iter().chain(&flow.returns) {
                if let Some(i) = model.data.get_index_of(&d.value) {
                    for c in [s, t] {
                        facts.components[c].data.push(i);
                    }
                }
            }
        }
        facts.flows[f] = ff;
    }
    for cf in &mut facts.components {
        cf.data.sort_unstable();
        cf.data.dedup();
    }

    reachability(model, &mut facts);
    facts
}

/// Breadth-first from every untrusted source along in-scope flows: hop counts, and whether a path
/// exists on which no flow authenticates its caller.
fn reachability(model: &Model, facts: &mut Facts) {
    let n = model.components.len();
    let mut hops: Vec<i64> = vec![-1; n];
    let mut queue = VecDeque::new();
    for (c, cf) in facts.components.iter().enumerate() {
        if cf.untrusted_source && model.components[c].out_of_scope.is_none() {
            hops[c] = 0;
            queue.push_back(c);
        }
    }
    let mut unauthenticated: Vec<bool> = hops.iter().map(|h| *h == 0).collect();
    let sources: Vec<usize> = queue.iter().copied().collect();
    while let Some(c) = queue.pop_front() {
        for &f in &facts.components[c].outbound {
            if let Some(t) = facts.flows[f].target
                && hops[t] < 0
            {
                hops[t] = hops[c] + 1;
                queue.push_back(t);
            }
        }
    }
    // Second pass over unauthenticated flows only.
    let mut queue: VecDeque<usize> = sources.into_iter().collect();
    while let Some(c) = queue.pop_front() {
        for &f in &facts.components[c].outbound {
            let flow = &model.flows[f];
            if flow.authentication() != threatforge_model::Authentication::None {
                continue;
            }
            if let Some(t) = facts.flows[f].target
                && !unauthenticated[t]
            {
                unauthenticated[t] = true;
                queue.push_back(t);
            }
        }
    }
    for (c, cf) in facts.components.iter_mut().enumerate() {
        cf.internet_hops = hops[c];
        cf.reachable_from_internet = hops[c] >= 0;
        cf.unauthenticated_path = unauthenticated[c];
    }
}
