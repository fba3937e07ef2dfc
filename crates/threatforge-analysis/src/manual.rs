//! Threats the team recorded by hand in the model's `threats:` section. They join the rules'
//! threats with the id `manual:<id>`, are mitigated by controls the same way, and take decisions
//! like any other threat. Their likelihood and impact are the team's own judgement, so the model's
//! exposure and data do not move them: the factors say so.

use std::sync::Arc;

use threatforge_model::{MANUAL, ManualThreat, Model, Sp};

use crate::mitigation::{mitigation_by, mitigation_entries, residual_of, status_of};
use crate::rule::Element;
use crate::score::{Factor, Factors, Score};
use crate::threat::{ElementRef, Threat, ThreatId};
use crate::world::World;

pub(crate) fn threats(world: &World) -> Vec<Threat> {
    let model = world.model;
    let manual: Arc<str> = Arc::from(MANUAL);
    model
        .threats
        .values()
        .map(|declared| {
            let threat = &declared.value;
            let (element, index, controls) = locate(world, threat.element.as_ref());
            let exposure = crate::score::exposure_rank(world, element.kind, index);
            let inherent = Score::new(threat.likelihood.step(), threat.impact.step());
            let entries = mitigation_entries(&threat.mitigations);
            let mitigation = mitigation_by(&entries, &controls);
            let residual = residual_of(&inherent, &mitigation);
            let (status, reason) = status_of(&mitigation);
            Threat {
                id: ThreatId::new(Arc::clone(&manual), Arc::from(declared.id.value.as_str())),
                rule: Arc::clone(&manual),
                title: Arc::from(threat.title.as_str()),
                element,
                stride: threat.stride,
                linddun: threat.linddun,
                capec: Arc::from(threat.capec.as_slice()),
                cwe: Arc::from(threat.cwe.as_slice()),
                explanation: explanation(threat).into_boxed_str(),
                description: Arc::from(
                    threat
                        .description
                        .as_deref()
                        .map(crate::mitigation::one_line)
                        .unwrap_or_default(),
                ),
                reference: threat.references.first().map(|r| Arc::from(r.as_str())),
                status,
                reason,
                inherent,
                residual,
                factors: factors(threat, exposure),
                mitigation,
                decision: None,
                rating_override: None,
                absorbed: Vec::new(),
                members: Vec::new(),
                member_spans: Vec::new(),
                span: declared.id.span,
                tier: crate::rule::Tier::Threat,
                evidence: None,
            }
        })
        .collect()
}

fn explanation(threat: &ManualThreat) -> String {
    match &threat.description {
        Some(d) if !d.trim().is_empty() => crate::mitigation::one_line(d),
        _ => "Recorded by the team in the model's `threats` section.".to_owned(),
    }
}

fn factors(threat: &ManualThreat, exposure: u8) -> Factors {
    let factor = |on, level| Factor {
        on,
        factor: "team",
        effect: 0,
        reason: Arc::from(format!("the team rates the {on} {level} in the model")),
    };
    Factors::hints_only(
        Arc::new([
            factor("likelihood", threat.likelihood),
            factor("impact", threat.impact),
        ]),
        exposure,
    )
}

/// The element a manual threat is about, its index among its kind, and the controls in place
/// there (for a flow, also on its target; for a data asset, on the components that store it), as
/// for the rules' threats.
fn locate<'m>(world: &'m World, id: Option<&Sp<String>>) -> (ElementRef, usize, Vec<&'m str>) {
    let model: &'m Model = world.model;
    let names = |controls: &'m [Sp<String>]| controls.iter().map(|c| c.value.as_str());
    let Some(id) = id.map(|i| i.value.as_str()) else {
        return (
            ElementRef {
                kind: Element::Model,
                id: Arc::from("model"),
            },
            0,
            Vec::new(),
        );
    };
    let element = |kind| ElementRef {
        kind,
        id: Arc::from(id),
    };
    if let Some((i, _, c)) = model.components.get_full(id) {
        (element(Element::Component), i, names(&c.controls).collect())
    } else if let Some(i) = model.flows.get_index_of(id) {
        let mut controls: Vec<&str> = names(&model.flows[i].controls).collect();
        if let Some(t) = world.facts.flows[i].target {
            controls.extend(names(&model.components[t].controls));
        }
        (element(Element::Flow), i, controls)
    } else if let Some(i) = model.data.get_index_of(id) {
        let controls = world.facts.data[i]
            .stored_by
            .iter()
            .flat_map(|&c| names(&model.components[c].controls))
            .collect();
        (element(Element::Data), i, controls)
    } else if let Some(i) = model.boundaries.get_index_of(id) {
        (element(Element::Boundary), i, Vec::new())
    } else if let Some(i) = model.runtimes.get_index_of(id) {
        (element(Element::Runtime), i, Vec::new())
    } else {
        // `check` has reported the unknown element; the threat stays, about the model.
        (element(Element::Model), 0, Vec::new())
    }
}
