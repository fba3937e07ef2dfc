//! Drift: where a model and its infrastructure disagree. The model's components name what they
//! are in the code with `iac:`; everything is matched through those references.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use threatforge_model::{Exposure, Model};

use crate::inventory::{Gate, Inventory, Origin, Source};

/// A kind of disagreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// The code deploys a component no `iac:` reference names.
    MissingComponent,
    /// The code publishes a component to the internet; the model says it is not.
    MissingExposure,
    /// The code shows a flow between two modeled components; the model has none.
    MissingFlow,
    /// The model claims a control the code shows is off.
    ContradictedControl,
    /// The model has a flow into a component that the code's network rules do not let the
    /// source reach.
    DisallowedFlow,
    /// An `iac:` reference into a source that was read names nothing there.
    DanglingReference,
}

impl DriftKind {
    pub const ALL: &[DriftKind] = &[
        DriftKind::MissingComponent,
        DriftKind::MissingExposure,
        DriftKind::MissingFlow,
        DriftKind::ContradictedControl,
        DriftKind::DisallowedFlow,
        DriftKind::DanglingReference,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DriftKind::MissingComponent => "missing-component",
            DriftKind::MissingExposure => "missing-exposure",
            DriftKind::MissingFlow => "missing-flow",
            DriftKind::ContradictedControl => "contradicted-control",
            DriftKind::DisallowedFlow => "disallowed-flow",
            DriftKind::DanglingReference => "dangling-reference",
        }
    }

    /// One line on what it means, for SARIF's rule descriptions and the docs.
    pub fn meaning(self) -> &'static str {
        match self {
            DriftKind::MissingComponent => "the infrastructure deploys a component the model lacks",
            DriftKind::MissingExposure => {
                "the infrastructure exposes to the internet a component the model says is not"
            }
            DriftKind::MissingFlow => {
                "the infrastructure shows a flow between modeled components that the model lacks"
            }
            DriftKind::ContradictedControl => {
                "the model claims a control that the infrastructure shows is off"
            }
            DriftKind::DisallowedFlow => {
                "the model has a flow that the infrastructure's network rules do not let through"
            }
            DriftKind::DanglingReference => {
                "an `iac:` reference of the model names nothing in the infrastructure"
            }
        }
    }
}

/// One disagreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DriftItem {
    pub kind: DriftKind,
    pub message: String,
    /// The model's component, when one is concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The infrastructure's reference.
    pub iac: String,
    /// Where: in the infrastructure code, or (a dangling reference) in the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Every disagreement, in the order of the inventory, then of the model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub items: Vec<DriftItem>,
}

impl DriftItem {
    fn new(
        kind: DriftKind,
        message: String,
        component: Option<&str>,
        iac: &str,
        origin: Option<&Origin>,
    ) -> Self {
        DriftItem {
            kind,
            message,
            component: component.map(str::to_owned),
            iac: iac.to_owned(),
            file: origin.map(|o| o.file.clone()),
            line: origin.map(|o| o.line),
        }
    }
}

/// Compares a loaded model with the inventory of its infrastructure.
pub fn drift<'m>(model: &'m Model, inventory: &Inventory) -> Drift {
    let mut modeled: HashMap<&str, &str> = HashMap::new();
    for (id, component) in &model.components {
        for reference in &component.iac {
            modeled
                .entry(reference.value.as_str())
                .or_insert(id.as_str());
        }
    }
    let flows: HashSet<(&str, &str)> = model
        .flows
        .values()
        .map(|f| (f.source.value.as_str(), f.target.value.as_str()))
        .collect();
    let mut items = Vec::new();

    for found in &inventory.components {
        let Some(&id) = modeled.get(found.reference.as_str()) else {
            items.push(DriftItem::new(
                DriftKind::MissingComponent,
                format!(
                    "the infrastructure deploys `{}` ({}), which no component's `iac:` names",
                    found.reference, found.technology.value
                ),
                None,
                &found.reference,
                Some(&found.origin),
            ));
            continue;
        };
        let component = &model.components[id];
        if let Some(exposure) = found
            .exposure
            .as_ref()
            .filter(|e| e.value == Exposure::Internet)
            && component.exposure != Some(Exposure::Internet)
        {
            let says = component
                .exposure
                .map_or("nothing about exposure", |e| match e {
                    Exposure::Internal => "internal",
                    Exposure::Internet => "internet",
                });
            items.push(DriftItem::new(
                DriftKind::MissingExposure,
                format!(
                    "component `{id}` is exposed to the internet ({}), but the model says {says}",
                    exposure.why
                ),
                Some(id),
                &found.reference,
                Some(&found.origin),
            ));
        }
        // The model says the internet reaches it encrypted; the code serves it in the clear.
        if let Some(plain) = found.public_protocol.as_ref().filter(|p| p.value == "http") {
            for flow in model.flows.values().filter(|f| {
                f.target.value == id
                    && f.is_encrypted()
                    && model
                        .components
                        .get(f.source.value.as_str())
                        .is_some_and(|c| c.iac.is_empty())
            }) {
                items.push(DriftItem::new(
                    DriftKind::ContradictedControl,
                    format!(
                        "flow `{} -> {id}` is encrypted in the model (TLS), but {}",
                        flow.source.value, plain.why
                    ),
                    Some(id),
                    &found.reference,
                    Some(&found.origin),
                ));
            }
        }
        for lack in &found.lacks {
            if component.controls.iter().any(|c| c.value == lack.value) {
                items.push(DriftItem::new(
                    DriftKind::ContradictedControl,
                    format!(
                        "component `{id}` claims control `{}`, but {}",
                        lack.value, lack.why
                    ),
                    Some(id),
                    &found.reference,
                    Some(&found.origin),
                ));
            }
        }
    }

    for link in &inventory.links {
        let (Some(&source), Some(&target)) = (
            modeled.get(link.source.as_str()),
            modeled.get(link.target.as_str()),
        ) else {
            continue;
        };
        if source != target && !flows.contains(&(source, target)) {
            items.push(DriftItem::new(
                DriftKind::MissingFlow,
                format!(
                    "no flow `{source} -> {target}` in the model, but {}",
                    link.why
                ),
                Some(source),
                &format!("{} -> {}", link.source, link.target),
                Some(&link.origin),
            ));
        }
    }

    let present: HashSet<&str> = inventory
        .components
        .iter()
        .map(|c| c.reference.as_str())
        .collect();
    // The reverse of a missing flow: the model's flow into a gated component from a component
    // of the code that the gate does not let in, or out of one to a component its egress does
    // not let it reach. The other end must be deployed: an actor, a component without `iac:`,
    // may be reached through a path the code cannot show, so it is not judged.
    // Gates by the component they gate: a manifest with thousands of pods under policies has
    // thousands of gates, and every flow looking at every gate was quadratic.
    let mut gates_of: HashMap<&str, Vec<&Gate>> = HashMap::new();
    for gate in &inventory.gates {
        gates_of.entry(gate.target.as_str()).or_default().push(gate);
    }
    for flow in model.flows.values() {
        let (source, target) = (flow.source.value.as_str(), flow.target.value.as_str());
        let (Some(from), Some(to)) = (model.components.get(source), model.components.get(target))
        else {
            continue;
        };
        let deployed = |iac: &'m [threatforge_model::Sp<String>]| -> Vec<&'m str> {
            iac.iter()
                .map(|r| r.value.as_str())
                .filter(|r| present.contains(r))
                .collect()
        };
        let (from_deployed, to_deployed) = (deployed(&from.iac), deployed(&to.iac));
        let gates = to_deployed
            .iter()
            .flat_map(|r| gates_of.get(r).into_iter().flatten())
            .filter(|g| !g.outbound)
            .chain(
                from_deployed
                    .iter()
                    .flat_map(|r| gates_of.get(r).into_iter().flatten())
                    .filter(|g| g.outbound),
            );
        for gate in gates {
            let others = if gate.outbound {
                &to_deployed
            } else {
                &from_deployed
            };
            // Denied when it judges one of the other end's references and lets none through.
            let others: Vec<&str> = others
                .iter()
                .copied()
                .filter(|r| gate.judges.covers(r))
                .collect();
            if others.is_empty() || !others.iter().all(|r| gate.denies(r)) {
                continue;
            }
            let (message, key) = if gate.outbound {
                (
                    format!(
                        "the model has `{source} -> {target}`, but {} lets `{source}` reach \
                         nothing of `{target}`",
                        gate.why
                    ),
                    format!("{} -> {}", gate.target, others[0]),
                )
            } else {
                (
                    format!(
                        "the model has `{source} -> {target}`, but {} lets nothing of `{source}` in",
                        gate.why
                    ),
                    format!("{} -> {}", others[0], gate.target),
                )
            };
            items.push(DriftItem::new(
                DriftKind::DisallowedFlow,
                message,
                Some(source),
                &key,
                Some(&gate.origin),
            ));
        }
    }

    for (id, component) in &model.components {
        for reference in &component.iac {
            let source = Source::of_reference(&reference.value);
            if inventory.sources.contains(&source) && !present.contains(reference.value.as_str()) {
                let location = model.sources.locate(reference.span);
                items.push(DriftItem::new(
                    DriftKind::DanglingReference,
                    format!(
                        "component `{id}` names `{}`, which the {} code read does not have",
                        reference.value,
                        source.title()
                    ),
                    Some(id),
                    &reference.value,
                    Some(&Origin {
                        file: location.file,
                        line: location.line,
                    }),
                ));
            }
        }
    }
    Drift { items }
}
