//! Evaluating rules on a model: facts and values are derived once, then every rule runs over the
//! elements it applies to, in parallel. Threats come out sorted by id.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use threatforge_model::Code;

use rayon::prelude::*;
use threatforge_model::Diagnostic;
use threatforge_model::{Authentication, ComponentKind, Model, Span};

use crate::cel::budget::{Budget, breach};
use crate::cel::eval::{Evaluator, display_into};
use crate::cel::value::{List, ObjKind, Value};
use crate::mitigation::{
    Coverage, Mitigation, MitigationEntry, mitigation_by, residual_of, status_of,
};
use crate::rule::{Element, Tier};
use crate::ruleset::{LikelihoodVariant, Rule, RuleSet, Segment, SeverityVariant};
use crate::threat::{Analysis, ElementRef, Options, Threat, ThreatId, sort_by_id};
use crate::world::World;

/// Evaluation can only fail on a rule bug (a value of an unexpected shape); the limit keeps one
/// broken rule from flooding the output with the same error for every element.
const MAX_ERRORS_PER_RULE: usize = 3;

/// Elements evaluated in parallel between two merges of their threats: enough to keep every
/// thread busy, few enough that the chunk's threats are a small part of the whole.
const CHUNK: usize = 2048;

/// Analyzes with default options (no acceptance expires).
pub fn analyze(model: &Model, rules: &RuleSet) -> Analysis {
    analyze_with(model, rules, &Options::default())
}

pub fn analyze_with(model: &Model, rules: &RuleSet, options: &Options) -> Analysis {
    let world = World::new(model);
    let budget = Budget::new(options.cel);
    let mut analysis = Analysis::default();
    let inherited = crate::world::reach::inherited_controls(&world);
    let outbound = crate::world::reach::outbound_controls(&world);
    let recipient = crate::world::reach::recipient_controls(&world);

    let disabled: Vec<&str> = model
        .rules
        .disable
        .keys()
        .map(|k| k.value.as_str())
        .collect();
    for id in model.rules.disable.keys() {
        if rules.get(&id.value).is_none() {
            analysis.diagnostics.push(unknown_rule(id, rules));
        }
    }

    let active: Vec<&Rule> = rules
        .rules
        .iter()
        .filter(|rule| !disabled.contains(&rule.id()))
        .collect();
    let mut grouper = crate::group::Grouper::new(model, &active);
    let reasons = crate::score::Reasons {
        written: !options.for_summary,
    };
    let explain =
        |rule: &Rule| !options.for_summary || rule.origin != crate::ruleset::Origin::Builtin;
    // Elements are the outer loop, in parallel: an element's scoring facts are computed once and
    // shared by every threat the element's rules find.
    let mut errors_per_rule: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    for element in [
        Element::Component,
        Element::Flow,
        Element::Data,
        Element::Boundary,
        Element::Runtime,
        Element::Model,
    ] {
        let for_element: Vec<&Rule> = active
            .iter()
            .copied()
            .filter(|r| r.file.applies_to.element == element)
            .collect();
        if for_element.is_empty() {
            continue;
        }
        let order = candidate_order(&world, element);
        // In chunks, each moved into the analysis before the next is evaluated: only one chunk's
        // per-element lists of threats exist beside the whole list, not a second copy of all.
        // A chunk's candidates are made with it, so that no list of every element's candidate
        // (some 19 MB for the flows of 50,000 components) is held beside the threats.
        for chunk in order.chunks(CHUNK) {
            if budget.exhausted() {
                break;
            }
            let results: Vec<Evaluated> = chunk
                .par_iter()
                .map(|&index| {
                    let candidate =
                        candidate(&world, element, index, &inherited, &outbound, &recipient);
                    evaluate_element(&world, &budget, &candidate, &for_element, explain, reasons)
                })
                .collect();
            for (threats, diagnostics) in results {
                analysis
                    .threats
                    .extend(threats.into_iter().filter_map(|t| grouper.offer(t)));
                for (rule, diagnostic) in diagnostics {
                    let count = errors_per_rule
                        .entry(rules.get(&rule).map_or("", |r| r.id()))
                        .or_default();
                    *count += 1;
                    if *count <= MAX_ERRORS_PER_RULE {
                        analysis.rule_diagnostics.push(diagnostic);
                    }
                }
            }
        }
    }
    if let Err(error) = budget.check_spent() {
        // One error for the run: every rule on every element after it failed the same way.
        analysis
            .rule_diagnostics
            .push(Diagnostic::new(Code::LimitExceeded, error).with_help(
                "a team rule's nested comprehensions over the whole model, or thousands of \
                 components in one network zone, which the zone rules compare pairwise (split \
                 the zone into the networks it stands for); the threats found are incomplete",
            ));
    }
    analysis.threats.extend(
        crate::manual::threats(&world)
            .into_iter()
            .filter_map(|t| grouper.offer(t)),
    );
    // The facts are not read again: their memory goes to the groups' threats and the decisions.
    drop((world, inherited, outbound));
    sort_by_id(&mut analysis.threats);
    crate::decisions::not_applicable(model, &mut analysis);
    grouper.finish(&active, &mut analysis);
    crate::decisions::apply(
        model,
        options,
        &mut analysis,
        crate::decisions::Scope::Threats,
    );
    split_hygiene(&mut analysis);
    analysis
}

/// Moves the hygiene tier's findings out of the register, after the decisions so that a decision
/// written for a hygiene item applies and counts as used.
fn split_hygiene(analysis: &mut Analysis) {
    let count = analysis
        .threats
        .iter()
        .filter(|t| t.tier == Tier::Hygiene)
        .count();
    if count == 0 {
        return;
    }
    // In place, keeping both lists in id order: partitioning into two new lists held the whole
    // list twice for a moment, the peak of a large model's analysis (some 100 MB at 50,000
    // components).
    let mut items = Vec::with_capacity(count);
    items.extend(analysis.threats.extract_if(.., |t| t.tier == Tier::Hygiene));
    analysis.hygiene = items;
}

fn unknown_rule(id: &threatforge_model::Sp<String>, rules: &RuleSet) -> Diagnostic {
    let help = match threatforge_model::suggest::nearest(&id.value, rules.ids()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => "`threatforge rules list` lists the rules".to_owned(),
    };
    Diagnostic::new(
        Code::UnknownRule,
        format!("there is no rule `{}` to disable", id.value),
    )
    .with_label(id.span, "not a rule")
    .with_help(help)
}

/// What evaluating the rules on one element gives: its threats, and errors by rule id.
type Evaluated = (Vec<Threat>, Vec<(String, Diagnostic)>);

/// An element a rule may look at, with what rules need to know about it.
struct Candidate<'m> {
    object: (ObjKind, usize),
    id: &'m str,
    span: Span,
    /// Controls in place on the element (for a flow, also those on its target), those a flow
    /// holds from its source (`sender`), and those it holds through what fronts it.
    controls: Vec<&'m str>,
    /// How many of `controls`, from the start, are declared on the element (or a flow's target).
    own: usize,
    /// The controls it holds through what fronts it, each with the component that declares it.
    fronted_by: &'m [(&'m str, usize)],
    /// For a flow: its source, where it declares controls that shape what it sends
    /// (`reach: outbound`), which hold on the flow.
    sender: Option<usize>,
    /// For a flow: the party its data goes to, where an agreement with it (`reach: recipient`)
    /// declared on another flow holds on this one.
    party: Option<(usize, &'m [&'m str])>,
    /// For components: kind, technology and traits, for the rules' `applies_to` filters.
    kind: Option<threatforge_model::ComponentKind>,
    technology: &'m str,
    traits: &'m [&'m str],
}

/// The indexes of the elements of one kind that rules look at, in id order, so that a rule's
/// threats reach their groups in the order of their ids.
fn candidate_order(world: &World, element: Element) -> Vec<usize> {
    let model = world.model;
    match element {
        Element::Component => in_id_order(
            model
                .components
                .values()
                .enumerate()
                .filter(|(_, c)| c.out_of_scope.is_none())
                .map(|(i, c)| (i, c.id.value.as_str())),
        ),
        Element::Flow => in_id_order(
            model
                .flows
                .values()
                .enumerate()
                .filter(|(i, _)| world.facts.flows[*i].in_scope)
                .map(|(i, f)| (i, f.id.value.as_str())),
        ),
        Element::Data => in_id_order(model.data.values().map(|d| d.id.value.as_str()).enumerate()),
        Element::Boundary => in_id_order(
            model
                .boundaries
                .values()
                .map(|b| b.id.value.as_str())
                .enumerate(),
        ),
        Element::Runtime => in_id_order(
            model
                .runtimes
                .values()
                .map(|r| r.id.value.as_str())
                .enumerate(),
        ),
        Element::Model => vec![0],
    }
}

fn in_id_order<'a>(elements: impl Iterator<Item = (usize, &'a str)>) -> Vec<usize> {
    let mut order: Vec<(&str, usize)> = elements.map(|(i, id)| (id, i)).collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

/// What rules need to know about the element of kind `element` at `index`.
fn candidate<'m>(
    world: &'m World<'m>,
    element: Element,
    index: usize,
    inherited: &'m [Vec<(&'m str, usize)>],
    outbound: &'m [Vec<&'m str>],
    recipient: &'m [Vec<&'m str>],
) -> Candidate<'m> {
    let model = world.model;
    let facts = &world.facts;
    let with_inherited = |mut controls: Vec<&'m str>, component: usize| {
        for (control, _) in &inherited[component] {
            if !controls.contains(control) {
                controls.push(control);
            }
        }
        controls
    };
    let plain =
        |object: (ObjKind, usize), id: &'m str, span: Span, controls: Vec<&'m str>| Candidate {
            object,
            id,
            span,
            own: controls.len(),
            controls,
            fronted_by: &[],
            sender: None,
            party: None,
            kind: None,
            technology: "",
            traits: &[],
        };
    match element {
        Element::Component => {
            let c = &model.components[index];
            let mut controls = c.effective_controls();
            // A store every flow into which authenticates requires authentication, whether or
            // not the model also names the control on it.
            let inbound = &facts.components[index].inbound;
            if c.effective_kind() == ComponentKind::Store
                && !inbound.is_empty()
                && inbound
                    .iter()
                    .all(|&f| model.flows[f].authentication() != Authentication::None)
                && !controls.contains(&"authentication")
            {
                controls.push("authentication");
            }
            Candidate {
                object: (ObjKind::Component, index),
                id: &c.id.value,
                span: c.id.span,
                own: controls.len(),
                controls: with_inherited(controls, index),
                fronted_by: &inherited[index],
                sender: None,
                party: None,
                kind: Some(c.effective_kind()),
                technology: c.technology_id(),
                traits: world.traits(index),
            }
        }
        Element::Flow => {
            let f = &model.flows[index];
            let mut controls = f.effective_controls();
            let target = facts.flows[index].target;
            if let Some(t) = target {
                controls.extend(
                    model.components[t]
                        .controls
                        .iter()
                        .map(|x| x.value.as_str()),
                );
            }
            let own = controls.len();
            let party = (!recipient.is_empty())
                .then(|| crate::world::reach::party_of(world, index))
                .flatten()
                .map(|p| (p, recipient[p].as_slice()))
                .filter(|(_, agreed)| !agreed.is_empty());
            if let Some((_, agreed)) = party {
                add_missing(&mut controls, agreed);
            }
            let sender = facts.flows[index]
                .source
                .filter(|&s| !outbound[s].is_empty());
            if let Some(s) = sender {
                add_missing(&mut controls, &outbound[s]);
            }
            let (controls, fronted_by) = match target {
                Some(t) => (with_inherited(controls, t), &inherited[t][..]),
                None => (controls, &[][..]),
            };
            Candidate {
                own,
                fronted_by,
                sender,
                party,
                ..plain((ObjKind::Flow, index), &f.id.value, f.id.span, controls)
            }
        }
        Element::Data => {
            let d = &model.data[index];
            let controls = facts.data[index]
                .stored_by
                .iter()
                .flat_map(|&c| {
                    model.components[c]
                        .controls
                        .iter()
                        .map(|x| x.value.as_str())
                })
                .collect();
            plain((ObjKind::Data, index), &d.id.value, d.id.span, controls)
        }
        Element::Boundary => {
            let b = &model.boundaries[index];
            plain(
                (ObjKind::Boundary, index),
                &b.id.value,
                b.id.span,
                Vec::new(),
            )
        }
        Element::Runtime => {
            let r = &model.runtimes[index];
            plain(
                (ObjKind::Runtime, index),
                &r.id.value,
                r.id.span,
                controls_of_every_workload(model, world.runtime_members(index)),
            )
        }
        Element::Model => plain((ObjKind::Model, 0), "model", model.system_span, Vec::new()),
    }
}

/// What a runtime holds: a runtime declares no controls of its own, and a control every
/// component it runs declares (container hardening in each workload's manifest, a network policy
/// for each namespace) is in place for the runtime's threats. Nothing where it runs nothing.
fn controls_of_every_workload<'m>(model: &'m Model, members: &[usize]) -> Vec<&'m str> {
    declared_by_every(members.iter().map(|&c| {
        Some(
            model.components[c]
                .controls
                .iter()
                .map(|x| x.value.as_str())
                .collect(),
        )
    }))
}

/// The controls in every one of the lists, in the first list's order; none where there are no
/// lists or one is missing (`None`: an element that cannot hold controls).
fn declared_by_every<'m>(mut lists: impl Iterator<Item = Option<Vec<&'m str>>>) -> Vec<&'m str> {
    let Some(Some(mut common)) = lists.next() else {
        return Vec::new();
    };
    for list in lists {
        let Some(list) = list else {
            return Vec::new();
        };
        common.retain(|c| list.contains(c));
    }
    common
}

fn applies(rule: &Rule, candidate: &Candidate) -> bool {
    let a = &rule.file.applies_to;
    (a.kinds.is_empty() || candidate.kind.is_some_and(|k| a.kinds.contains(&k)))
        && (a.technologies.is_empty()
            || a.technologies
                .iter()
                .any(|t| t.value == candidate.technology))
        && (a.traits.is_empty()
            || a.traits
                .iter()
                .any(|t| candidate.traits.contains(&t.value.as_str())))
}

fn evaluate_element<'w>(
    world: &'w World<'w>,
    budget: &'w Budget,
    candidate: &Candidate,
    rules: &[&'w Rule],
    explain: impl Fn(&Rule) -> bool,
    reasons: crate::score::Reasons,
) -> Evaluated {
    let mut diagnostics = Vec::new();
    let (kind, index) = candidate.object;
    let mut evaluator = Evaluator::new(world, budget, Value::Obj(kind, index));
    // The rules that fire, with their explanations (rendered with the evaluator, which holds
    // the element). Threats are made after all rules ran: the element's scoring facts are then
    // computed once for exactly the aspects its threats need, and its threats allocated at their
    // exact number.
    let mut fired: Vec<(&Rule, Box<str>)> = Vec::new();
    // Hygiene rules whose `threat_when` holds here: their findings stay in the register.
    let mut stated: Vec<&str> = Vec::new();
    // What the threats of rules with `members` are about, by rule (few rules have it).
    let mut members_of: Vec<(&str, Members)> = Vec::new();
    // The mitigations of rules whose `mitigations_when` holds here, by rule (few rules have it).
    let mut variant_of: Vec<(&str, Arc<[MitigationEntry]>)> = Vec::new();
    // The `likelihood_when` entry that holds here, by rule (few rules have one).
    let mut rated_by: Vec<(&str, &LikelihoodVariant)> = Vec::new();
    // The `max_severity_when` entry that holds here, by rule (few rules have one).
    let mut capped_by: Vec<(&str, &SeverityVariant)> = Vec::new();
    for rule in rules.iter().filter(|r| applies(r, candidate)) {
        match evaluator.run(&rule.condition) {
            Ok(Value::Bool(false)) => {}
            Ok(Value::Bool(true)) => {
                // What the threat is about, named `members` while its explanation renders.
                if let Some(expression) = &rule.members {
                    let mut failed = |error: &str| {
                        diagnostics.push((
                            rule.id().to_owned(),
                            evaluation_error(rule, candidate.id, error),
                        ));
                        Vec::new()
                    };
                    // Unknown members are an empty list, so the explanation still renders.
                    let listed = match evaluator
                        .run_for_same_rule(expression)
                        .map(|v| members(world, &v))
                    {
                        Ok(Some((found, listed))) => {
                            members_of.push((rule.id(), found));
                            listed
                        }
                        Ok(None) => {
                            failed("`members` gave something other than flows or components")
                        }
                        Err(_) if budget.exhausted() => Vec::new(),
                        Err(error) => failed(&error),
                    };
                    evaluator.bind(Value::List(List::Values(Rc::new(listed))));
                }
                let limit = budget.limits.max_explanation_bytes;
                let (explanation, empty, cut) = if explain(rule) {
                    render(world, &mut evaluator, &rule.explanation, limit)
                } else {
                    (String::new(), None, false)
                };
                evaluator.unbind();
                if let Some(at) = empty {
                    diagnostics.push((rule.id().to_owned(), empty_value(rule, candidate.id, at)));
                }
                if cut {
                    let error = breach(
                        "the explanation is longer than",
                        format!("{limit} bytes"),
                        limit as u64,
                        "max-explanation-bytes",
                    );
                    diagnostics.push((
                        rule.id().to_owned(),
                        evaluation_error(rule, candidate.id, &error),
                    ));
                }
                // Whether one of the rule's `*_when` conditions holds here: one that fails to
                // evaluate holds nowhere, and its error is the rule's (an exhausted budget is
                // reported once for the run).
                let mut holds = |when: &'w crate::cel::eval::Expression| match evaluator
                    .run_for_same_rule(when)
                {
                    Ok(Value::Bool(holds)) => holds,
                    Ok(_) => false,
                    Err(_) if budget.exhausted() => false,
                    Err(error) => {
                        diagnostics.push((
                            rule.id().to_owned(),
                            evaluation_error(rule, candidate.id, &error),
                        ));
                        false
                    }
                };
                if rule.threat_when.as_ref().is_some_and(|when| holds(when)) {
                    stated.push(rule.id());
                }
                if let Some(variant) = rule.mitigations_when.iter().find(|v| holds(&v.when)) {
                    variant_of.push((rule.id(), variant.mitigations.clone()));
                }
                if let Some(variant) = rule.likelihood_when.iter().find(|v| holds(&v.when)) {
                    rated_by.push((rule.id(), variant));
                }
                if let Some(variant) = rule.max_severity_when.iter().find(|v| holds(&v.when)) {
                    capped_by.push((rule.id(), variant));
                }
                fired.push((rule, explanation.into_boxed_str()));
            }
            Ok(other) => diagnostics.push((
                rule.id().to_owned(),
                evaluation_error(
                    rule,
                    candidate.id,
                    &format!("the condition gave a {}, not a bool", other.kind_name()),
                ),
            )),
            // Reported once for the run by `analyze_with`.
            Err(_) if budget.exhausted() => {}
            Err(error) => diagnostics.push((
                rule.id().to_owned(),
                evaluation_error(rule, candidate.id, &error),
            )),
        }
    }
    let mitigations_of = |rule: &Rule| {
        variant_of
            .iter()
            .find(|(id, _)| *id == rule.id())
            .map_or_else(|| rule.shared.mitigations.clone(), |(_, m)| m.clone())
    };
    // A superseded rule whose own controls are all in place stays a threat of its own, mitigated:
    // absorbed, it would be named as a consequence the element is in fact protected from. So
    // does a superseding rule whose own controls are all in place: the consequence it would
    // absorb is left open under its own rule. Asked only of rules where one fired rule
    // supersedes another, so the hot path of elements without superseding rules pays nothing.
    let mitigated = |rule: &Rule| {
        mitigation_by(&mitigations_of(rule), &candidate.controls).coverage == Coverage::Full
    };
    let absorbed = absorb_superseded(&mut fired, mitigated);
    let Some(element) = fired.first().map(|(r, _)| r.file.applies_to.element) else {
        return (Vec::new(), diagnostics);
    };
    let mut needed = [false; 4];
    let mut in_transit = false;
    for rule in fired
        .iter()
        .map(|(r, _)| r)
        .chain(absorbed.iter().flatten())
    {
        needed[crate::score::aspect_of(rule.file.stride)] = true;
        in_transit |= rule.file.in_transit;
    }
    // Shared by all the element's threats.
    let scoring = crate::score::element_scoring(world, element, index, needed, in_transit, reasons);
    let element_id: Arc<str> = Arc::from(candidate.id);
    let threats = fired
        .into_iter()
        .zip(absorbed)
        .map(|((rule, explanation), absorbed)| {
            // The threat stands for the rules it absorbed too: scored as the most severe of them.
            let rated = |r: &Rule| {
                rated_by
                    .iter()
                    .find(|(id, _)| *id == r.id())
                    .map(|(_, v)| *v)
            };
            let capped = |r: &Rule| {
                capped_by
                    .iter()
                    .find(|(id, _)| *id == r.id())
                    .map(|(_, v)| *v)
            };
            let score = |r: &Rule, absorbed: bool| {
                crate::score::inherent(r.scoring_rated(rated(r), capped(r), absorbed), &scoring)
            };
            let (members, member_spans): (Vec<ElementRef>, Vec<Span>) = members_of
                .iter()
                .position(|(id, _)| *id == rule.id())
                .map(|at| std::mem::take(&mut members_of[at].1))
                .unwrap_or_default()
                .into_iter()
                .unzip();
            let on_members = controls_on_every_flow(world, &members, &candidate.controls);
            let controls: Cow<'_, [&str]> = if on_members.is_empty() {
                Cow::Borrowed(&candidate.controls)
            } else {
                Cow::Owned([&candidate.controls[..], &on_members].concat())
            };
            let mitigation = mitigation_by(
                &with_absorbed_mitigations(&mitigations_of(rule), &absorbed, mitigations_of),
                &controls,
            );
            // Each consequence is rated as it stands with its own fix's controls in place (a
            // control that answers one of them, encryption for the disclosure, leaves the other,
            // a retention limit, where it was), and the threat as the most severe of them, then
            // by the rating before the controls.
            let rated_here = |r: &Rule, is_absorbed: bool| {
                let (inherent, factors) = score(r, is_absorbed);
                let residual = if absorbed.is_empty() {
                    residual_of(&inherent, &mitigation)
                } else {
                    residual_of(&inherent, &mitigation_by(&mitigations_of(r), &controls))
                };
                (inherent, factors, residual)
            };
            let (inherent, factors, residual) = absorbed.iter().map(|r| rated_here(r, true)).fold(
                rated_here(rule, false),
                |best, next| {
                    if (next.2.score, next.0.score) > (best.2.score, best.0.score) {
                        next
                    } else {
                        best
                    }
                },
            );
            // The consequences last: grouping reads them from the end of a member's text.
            let explanation = with_consequences(
                name_fronting_controls(world, explanation, &mitigation, candidate),
                &absorbed,
            );
            let (status, reason) = status_of(&mitigation);
            let tier = match rule.file.tier {
                Tier::Hygiene if stated.contains(&rule.id()) => Tier::Threat,
                tier => tier,
            };
            Threat {
                id: ThreatId::new(rule.shared.id.clone(), element_id.clone()),
                rule: rule.shared.id.clone(),
                title: rule.shared.title.clone(),
                element: ElementRef {
                    kind: element,
                    id: element_id.clone(),
                },
                stride: rule.file.stride,
                linddun: rule.file.linddun,
                capec: crate::threat::with_absorbed_ids(&rule.shared.capec, &absorbed, |r| {
                    &r.shared.capec
                }),
                cwe: crate::threat::with_absorbed_ids(&rule.shared.cwe, &absorbed, |r| {
                    &r.shared.cwe
                }),
                explanation,
                description: rule.shared.description.clone(),
                reference: rule.shared.reference.clone(),
                status,
                reason,
                inherent,
                residual,
                factors,
                mitigation,
                decision: None,
                rating_override: None,
                absorbed: absorbed.iter().map(|r| r.shared.id.clone()).collect(),
                members,
                member_spans,
                span: candidate.span,
                tier,
                evidence: None,
            }
        })
        .collect();
    (threats, diagnostics)
}

/// Removes the fired rules that another fired rule supersedes, and returns, per remaining rule in
/// order, the rules it absorbed. Only a rule that fired absorbs: a team that disables the root
/// rule gets the specific ones back. A rule for which `mitigated` holds is never absorbed, nor
/// absorbs.
fn absorb_superseded<'r>(
    fired: &mut Vec<(&'r Rule, Box<str>)>,
    mitigated: impl Fn(&Rule) -> bool,
) -> Vec<Vec<&'r Rule>> {
    let superseded_by = |rule: &Rule| {
        fired.iter().position(|(r, _)| {
            r.file.supersedes.iter().any(|s| s.value == rule.id()) && !mitigated(r)
        })
    };
    let direct: Vec<Option<usize>> = fired
        .iter()
        .map(|(r, _)| superseded_by(r).filter(|_| !mitigated(r)))
        .collect();
    // A rule superseded by one that is itself superseded goes to the last in the chain (a cycle
    // of rules superseding each other stops after as many steps as there are rules).
    let owners: Vec<Option<usize>> = direct
        .iter()
        .map(|&owner| {
            let mut owner = owner?;
            for _ in 0..direct.len() {
                match direct[owner] {
                    Some(next) if next != owner => owner = next,
                    _ => break,
                }
            }
            Some(owner)
        })
        .collect();
    let mut absorbed: Vec<Vec<&Rule>> = vec![Vec::new(); fired.len()];
    for (i, owner) in owners.iter().enumerate() {
        if let Some(owner) = owner {
            absorbed[*owner].push(fired[i].0);
        }
    }
    let mut keep = owners.iter().map(Option::is_none);
    fired.retain(|_| keep.next().unwrap_or(true));
    let mut keep = owners.iter().map(Option::is_none);
    absorbed.retain(|_| keep.next().unwrap_or(true));
    absorbed
}

/// The mitigations of a threat that absorbed others: its rule's, then those of the absorbed rules
/// it does not list already, so the fix named is complete for every consequence.
fn with_absorbed_mitigations(
    own: &Arc<[MitigationEntry]>,
    absorbed: &[&Rule],
    mitigations_of: impl Fn(&Rule) -> Arc<[MitigationEntry]>,
) -> Arc<[MitigationEntry]> {
    // An absorbed entry that any of the threat's own entries already implies (every alternative
    // of the own entry is one of its alternatives: TLS or mTLS or VPN implies TLS or mTLS or
    // signing or VPN) asks nothing more, and would only repeat the same advice.
    let implied = |e: &MitigationEntry| {
        own.iter().any(|o| {
            o.whole == e.whole || o.alternatives.iter().all(|a| e.alternatives.contains(a))
        })
    };
    let absorbed: Vec<Arc<[MitigationEntry]>> =
        absorbed.iter().map(|r| mitigations_of(r)).collect();
    let extra = absorbed
        .iter()
        .flat_map(|entries| entries.iter())
        .filter(|e| !implied(e));
    if extra.clone().next().is_none() {
        return own.clone();
    }
    let mut entries: Vec<MitigationEntry> = own.to_vec();
    for entry in extra {
        if !entries.iter().any(|o| o.whole == entry.whole) {
            entries.push(entry.clone());
        }
    }
    // The other way round too: an own entry with alternatives (MFA or an IP allow-list) that an
    // absorbed entry makes one of them required anyway (an IP allow-list) is met whenever that
    // one is, and listing both reads as the same advice twice.
    let narrower = |e: &MitigationEntry, o: &MitigationEntry| {
        o.alternatives.len() < e.alternatives.len()
            && o.alternatives.iter().all(|a| e.alternatives.contains(a))
    };
    let keep: Vec<bool> = entries
        .iter()
        .map(|e| !entries.iter().any(|o| narrower(e, o)))
        .collect();
    let mut kept = keep.into_iter();
    entries.retain(|_| kept.next().unwrap_or(true));
    entries.into()
}

/// Names the consequences a threat stands for beside its own, by the absorbed rules' titles.
fn with_consequences(explanation: Box<str>, absorbed: &[&Rule]) -> Box<str> {
    if absorbed.is_empty() {
        return explanation;
    }
    let titles: Vec<&str> = absorbed.iter().map(|r| r.file.title.as_str()).collect();
    format!(
        "{explanation}{}{}.",
        crate::group::ALSO_CLOSES,
        titles.join("; ")
    )
    .into_boxed_str()
}

/// Says where a mitigating control that the element holds through another component was found
/// (what fronts it, the pipeline that builds it, or a flow's sender): the element itself does
/// not declare it, so the reader would otherwise not see why it counts.
fn name_fronting_controls(
    world: &World,
    explanation: Box<str>,
    mitigation: &Mitigation,
    candidate: &Candidate,
) -> Box<str> {
    if candidate.fronted_by.is_empty() && candidate.sender.is_none() && candidate.party.is_none() {
        return explanation;
    }
    let subject = match candidate.object.0 {
        ObjKind::Flow => "the flow's target",
        _ => "it",
    };
    let mut text = String::from(explanation);
    for control in mitigation.in_place() {
        if candidate.controls[..candidate.own].contains(&control) {
            continue;
        }
        let (holder, relation) = match candidate.fronted_by.iter().find(|(c, _)| *c == control) {
            Some(&(_, from)) => {
                let pipeline = threatforge_model::catalog()
                    .control(control)
                    .is_some_and(|c| c.reach == threatforge_model::ControlReach::Pipeline);
                let relation = if pipeline {
                    format!("a practice of the pipeline that builds {subject}")
                } else {
                    format!("which fronts {subject}")
                };
                (from, relation)
            }
            None => match (candidate.party, candidate.sender) {
                (Some((party, agreed)), _) if agreed.contains(&control) => {
                    let party = &world.model.components[party].id.value;
                    let _ = write!(
                        text,
                        " `{control}` is declared with `{party}` on another flow: an agreement \
                         with the party holds on every flow to it."
                    );
                    continue;
                }
                (_, Some(from)) => (from, "which sends what the flow carries".to_owned()),
                _ => continue,
            },
        };
        let holder = &world.model.components[holder].id.value;
        let _ = write!(
            text,
            " {} `{holder}`, {relation}.",
            crate::mitigation::in_place_on(control)
        );
    }
    text.into_boxed_str()
}

/// Adds to `controls` those of `more` it does not hold yet.
fn add_missing<'m>(controls: &mut Vec<&'m str>, more: &[&'m str]) {
    for &control in more {
        if !controls.contains(&control) {
            controls.push(control);
        }
    }
}

/// The elements a threat is about, with where each is declared.
type Members = Vec<(ElementRef, Span)>;

/// The controls every one of a threat's members declares, where its members are flows (the
/// pushes a pipeline makes, each with short-lived credentials), and the element itself does not:
/// the threat is about those flows, so a control on each of them is in place for it. None where
/// a member is a component or there are none.
fn controls_on_every_flow<'m>(
    world: &World<'m>,
    members: &[ElementRef],
    own: &[&str],
) -> Vec<&'m str> {
    let mut common = declared_by_every(members.iter().map(|m| {
        match m.kind {
            Element::Flow => world
                .model
                .flows
                .get(&*m.id)
                .map(|flow| flow.effective_controls()),
            _ => None,
        }
    }));
    common.retain(|c| !own.contains(c));
    common
}

/// The flows and components of a rule's `members` value, each once, in the order given, with
/// the same list as values for its explanation; `None` when it holds anything else.
fn members<'w>(world: &World<'_>, value: &Value<'w>) -> Option<(Members, Vec<Value<'w>>)> {
    let Value::List(list) = value else {
        return None;
    };
    let mut found: Members = Vec::with_capacity(list.len());
    let mut listed = Vec::with_capacity(list.len());
    // A set, not a search of `found`: a team's rule may name every flow of a large model.
    let mut seen: std::collections::HashSet<(ObjKind, usize)> = std::collections::HashSet::new();
    for item in list.iter() {
        if let Value::Obj(kind, i) = item
            && !seen.insert((kind, i))
        {
            continue;
        }
        let (kind, id, span) = match item {
            Value::Obj(ObjKind::Flow, i) => {
                let (id, flow) = world.model.flows.get_index(i)?;
                (Element::Flow, id.as_str(), flow.id.span)
            }
            Value::Obj(ObjKind::Component, i) => {
                let (id, component) = world.model.components.get_index(i)?;
                (Element::Component, id.as_str(), component.id.span)
            }
            _ => return None,
        };
        let element = ElementRef {
            kind,
            id: Arc::from(id),
        };
        found.push((element, span));
        listed.push(item);
    }
    Some((found, listed))
}

fn evaluation_error(rule: &Rule, element: &str, message: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RuleEvaluation,
        format!("rule `{}` failed on `{element}`: {message}", rule.id()),
    )
    .with_label(rule.file.condition.span, "in this condition")
    .with_help("this is a defect in the rule; its threats on this element are unknown")
}

fn empty_value(rule: &Rule, element: &str, at: Span) -> Diagnostic {
    Diagnostic::new(
        Code::RuleEmptyValue,
        format!(
            "the explanation of rule `{}` on `{element}` has a value that renders empty",
            rule.id()
        ),
    )
    .with_label(at, "empty here")
    .with_help(
        "say the clause only when its value exists: `{{#if list.size() > 0}} ... {{/if}}`; \
         this is a defect in the rule",
    )
}

/// Fills an explanation template, with the element's evaluator (each run starts afresh). A failing
/// expression shows as `?` rather than hiding the text. Also returns where the first `{{ }}` that
/// rendered empty stands: the sentence around it is broken, a defect of the rule.
/// The explanation stops at `limit` bytes; the last of the three says it was cut there.
fn render<'w>(
    world: &World,
    evaluator: &mut Evaluator<'w>,
    segments: &'w [Segment],
    limit: usize,
) -> (String, Option<Span>, bool) {
    let mut raw = String::new();
    let mut empty = None;
    fill(world, evaluator, segments, &mut raw, &mut empty, limit);
    // Folded YAML leaves newlines and double spaces; an explanation is one paragraph.
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let cut = raw.len() >= limit;
    (out, empty, cut)
}

/// Recurses once per `{{#if}}` level, which the rule loader bounds.
fn fill<'w>(
    world: &World,
    evaluator: &mut Evaluator<'w>,
    segments: &'w [Segment],
    raw: &mut String,
    empty: &mut Option<Span>,
    limit: usize,
) {
    for segment in segments {
        if raw.len() >= limit {
            return;
        }
        match segment {
            Segment::Text(text) => raw.push_str(text),
            Segment::Expr(node, at) => {
                let before = raw.len();
                match evaluator.run_for_same_rule(node) {
                    Ok(value) => display_into(world, &value, raw, limit),
                    Err(_) => raw.push('?'),
                }
                if raw[before..].trim().is_empty() {
                    empty.get_or_insert(*at);
                }
            }
            Segment::If(condition, then, otherwise) => match evaluator.run_for_same_rule(condition)
            {
                Ok(Value::Bool(true)) => fill(world, evaluator, then, raw, empty, limit),
                Ok(Value::Bool(false)) => fill(world, evaluator, otherwise, raw, empty, limit),
                _ => raw.push('?'),
            },
        }
    }
}
