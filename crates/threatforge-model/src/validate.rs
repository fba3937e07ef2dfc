//! Checks that need the whole model: references, boundary nesting, catalogue names, and the
//! warnings for what is legal but suspicious. Security findings are not made here: they are the
//! rule engine's job.

use crate::codes::Code;
use std::collections::HashSet;

use crate::boundaries::BoundaryTree;
use crate::catalog::{ControlTarget, catalog};
use crate::diag::Diagnostic;
use crate::model::{Component, Decl, Flow, Id, Model};
use crate::sp::Sp;
use crate::suggest;
use indexmap::IndexMap;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) fn validate(model: &Model, broken: &HashSet<Id>, out: &mut Vec<Diagnostic>) {
    let data_ids = Names::new(model.data.keys(), broken);
    let component_ids = Names::new(model.components.keys(), broken);

    // Each component's and flow's checks read only the model: at 50,000 components and 100,000
    // flows they took 70 ms on one core, and marking what the references name 40 ms more, so
    // both run in parallel. The diagnostics are kept in model order, as written one by one.
    let used_data = Marks::new(&model.data);
    let connected = Marks::new(&model.components);
    out.par_extend(
        (0..model.components.len())
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut found = Vec::new();
                if let Some((_, component)) = model.components.get_index(i) {
                    check_component(model, broken, component, &data_ids, &mut found);
                    component
                        .processes
                        .iter()
                        .chain(&component.stores)
                        .for_each(|d| used_data.mark(d));
                }
                found
            }),
    );
    out.par_extend((0..model.flows.len()).into_par_iter().flat_map_iter(|i| {
        let mut found = Vec::new();
        if let Some((_, flow)) = model.flows.get_index(i) {
            check_flow(model, broken, flow, &data_ids, &component_ids, &mut found);
            flow.data
                .iter()
                .chain(&flow.returns)
                .for_each(|d| used_data.mark(d));
            connected.mark(&flow.source);
            connected.mark(&flow.target);
        }
        found
    }));

    check_boundaries(model, broken, out);
    check_team_controls(model, out);
    check_plan(model, out);
    check_manual_threats(model, broken, out);
    check_decisions(model, out);

    for runtime in model.runtimes.values() {
        let what = format!("runtime `{}`", runtime.id.value);
        for member in &runtime.runs {
            reference(out, &what, member, "component", &component_ids);
        }
        if let Some(technology) = &runtime.technology
            && catalog().technology(&technology.value).is_none()
        {
            let ids = catalog().technology_names();
            out.push(unknown_name(
                Code::UnknownTechnology,
                &what,
                "technology",
                technology,
                &ids,
            ));
        }
        if runtime.runs.is_empty() {
            out.push(
                Diagnostic::new(Code::EmptyRuntime, format!("{what} runs no components"))
                    .with_label(runtime.id.span, "nothing runs here")
                    .with_help("list its components under `runs:`, or remove it"),
            );
        }
    }

    for (data, used) in model.data.values().zip(used_data.into_vec()) {
        if !used {
            out.push(
                Diagnostic::new(Code::UnusedData, format!("data asset `{}` is not used", data.id.value))
                    .with_label(data.id.span, "no component or flow handles it")
                    .with_help("name it in a component's `processes`/`stores` or a flow's `data`, or remove it"),
            );
        }
    }
    for (component, connected) in model.components.values().zip(connected.into_vec()) {
        if !connected && component.out_of_scope.is_none() {
            out.push(
                Diagnostic::new(
                    Code::IsolatedComponent,
                    format!("component `{}` has no flows", component.id.value),
                )
                .with_label(component.id.span, "nothing flows to or from it")
                .with_help(
                    "add the flows it takes part in, or mark it `out_of_scope` with a reason",
                ),
            );
        }
    }
}

fn check_component(
    model: &Model,
    broken: &HashSet<Id>,
    component: &Decl<Component>,
    data_ids: &Names,
    out: &mut Vec<Diagnostic>,
) {
    let what = format!("component `{}`", component.id.value);
    // A component read without a bad entry is not also told that the entry is missing.
    let partial = broken.contains(&component.id.value);
    check_component_catalogue(&what, component, partial, out);
    for data in component.processes.iter().chain(&component.stores) {
        reference(out, &what, data, "data asset", data_ids);
    }
    check_controls(
        model,
        out,
        &what,
        &component.controls,
        ControlTarget::Component,
    );
    for glob in &component.code {
        check_glob(out, &what, glob);
    }
}

fn check_flow(
    model: &Model,
    broken: &HashSet<Id>,
    flow: &Decl<Flow>,
    data_ids: &Names,
    component_ids: &Names,
    out: &mut Vec<Diagnostic>,
) {
    let what = format!("flow `{}`", flow.id.value);
    for (end, role) in [(&flow.source, "source"), (&flow.target, "target")] {
        if !model.components.contains_key(&end.value) && !broken.contains(&end.value) {
            let near = suggest::nearest(&end.value, component_ids.list.iter().copied());
            let kind = if model.boundaries.contains_key(&end.value) {
                Some("a boundary")
            } else if model.data.contains_key(&end.value) {
                Some("a data asset")
            } else {
                None
            };
            let mut message = format!(
                "{what} has {role} `{}`, which is not a component",
                end.value
            );
            if let Some(kind) = kind {
                message.push_str(&format!(" (it is {kind})"));
            }
            out.push(
                Diagnostic::new(Code::UnknownReference, message)
                    .with_label(end.span, "not a component")
                    .with_help(match near {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "flows join components; declare it under `components:`".to_owned(),
                    }),
            );
        }
    }
    if flow.source.value == flow.target.value {
        out.push(
            Diagnostic::new(
                Code::SelfFlow,
                format!("{what} goes from a component to itself"),
            )
            .with_label(flow.source.span, "source and target are the same")
            .with_help("model internal calls inside the component, not as a flow"),
        );
    }
    if let Some(protocol) = flow
        .protocol
        .as_ref()
        .filter(|p| catalog().protocol(&p.value).is_none())
    {
        let ids = catalog().protocol_names();
        out.push(unknown_name(
            Code::UnknownProtocol,
            &what,
            "protocol",
            protocol,
            &ids,
        ));
    }
    for data in flow.data.iter().chain(&flow.returns) {
        reference(out, &what, data, "data asset", data_ids);
    }
    check_controls(model, out, &what, &flow.controls, ControlTarget::Flow);
    for caller in &flow.on_behalf_of {
        reference(out, &what, caller, "component", component_ids);
    }
    check_on_behalf_of(model, flow, &what, out);
}

/// The entries of a map that references name, marked by index from any thread.
struct Marks<'m, V> {
    map: &'m IndexMap<Id, V>,
    seen: Vec<AtomicBool>,
}

impl<'m, V> Marks<'m, V> {
    fn new(map: &'m IndexMap<Id, V>) -> Self {
        Marks {
            map,
            seen: map.keys().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    fn mark(&self, reference: &Sp<Id>) {
        if let Some(i) = self.map.get_index_of(&reference.value) {
            self.seen[i].store(true, Ordering::Relaxed);
        }
    }

    fn into_vec(self) -> Vec<bool> {
        self.seen.into_iter().map(AtomicBool::into_inner).collect()
    }
}

fn check_component_catalogue(
    what: &str,
    component: &Decl<Component>,
    partial: bool,
    out: &mut Vec<Diagnostic>,
) {
    let catalog = catalog();
    match &component.technology {
        Some(technology) if catalog.technology(&technology.value).is_none() => {
            let ids = catalog.technology_names();
            out.push(unknown_name(
                Code::UnknownTechnology,
                what,
                "technology",
                technology,
                &ids,
            ));
        }
        None if component.kind.is_none() && !partial => out.push(
            Diagnostic::new(
                Code::MissingKey,
                format!("{what} needs a `technology` or a `kind`"),
            )
            .with_label(component.id.span, "neither is given")
            .with_help(
                "say what it is, e.g. `technology: api-service`; the technology implies the kind",
            ),
        ),
        _ => {}
    }
    for t in &component.traits {
        if !catalog.traits.contains_key(&t.value) {
            let ids = catalog.trait_names();
            out.push(unknown_name(Code::UnknownTrait, what, "trait", t, &ids));
        }
    }
}

/// The catalogue's control ids and the team's, for suggestions.
/// The catalogue's controls and the team's own, for suggestions.
fn control_names(model: &Model) -> Vec<crate::catalog::Named<'_>> {
    let mut names = catalog().control_names();
    names.extend(
        model
            .controls
            .iter()
            .map(|(id, team)| crate::catalog::Named {
                id: id.as_str(),
                title: team.title.as_str(),
                aliases: &[],
            }),
    );
    names
}

/// A team's control may go on components and flows alike: the team knows where it put it.
fn check_controls(
    model: &Model,
    out: &mut Vec<Diagnostic>,
    what: &str,
    controls: &[Sp<Id>],
    on: ControlTarget,
) {
    let catalog = catalog();
    for control in controls {
        match catalog.control(&control.value) {
            None if model.controls.contains_key(&control.value) => {}
            None => {
                let ids = control_names(model);
                out.push(unknown_name(
                    Code::UnknownControl,
                    what,
                    "control",
                    control,
                    &ids,
                ));
            }
            Some(c) if c.on != ControlTarget::Both && c.on != on => {
                let belongs = match on {
                    ControlTarget::Flow => "components",
                    _ => "flows",
                };
                out.push(
                    Diagnostic::new(
                        Code::MisplacedControl,
                        format!(
                            "control `{}` belongs on {belongs}, not on {what}",
                            control.value
                        ),
                    )
                    .with_label(control.span, format!("a control for {belongs}"))
                    .with_help(format!(
                        "move it to the {} it protects",
                        &belongs[..belongs.len() - 1]
                    )),
                );
            }
            Some(_) => {}
        }
    }
}

fn check_glob(out: &mut Vec<Diagnostic>, what: &str, glob: &Sp<String>) {
    let escapes = glob.value.starts_with('/') || glob.value.split(['/', '\\']).any(|p| p == "..");
    if escapes {
        out.push(
            Diagnostic::new(
                Code::InvalidGlob,
                format!("code path `{}` of {what} leaves the repository", glob.value),
            )
            .with_label(
                glob.span,
                "must be relative to the repository, without `..`",
            )
            .with_help("write the path from the repository's root, like `services/shop/**`"),
        );
    } else if let Err(e) = globset::Glob::new(&glob.value) {
        out.push(
            Diagnostic::new(
                Code::InvalidGlob,
                format!("code path `{}` of {what} is not a valid glob", glob.value),
            )
            .with_label(glob.span, e.kind().to_string()),
        );
    }
}

/// The ids of one kind of element: a set to check references, a list to suggest from.
struct Names<'a> {
    set: HashSet<&'a str>,
    list: Vec<&'a str>,
    /// Declared but unreadable: references to them are not errors of their own.
    broken: &'a HashSet<Id>,
}

impl<'a> Names<'a> {
    fn new(ids: impl Iterator<Item = &'a Id>, broken: &'a HashSet<Id>) -> Self {
        let list: Vec<&str> = ids.map(String::as_str).collect();
        Names {
            set: list.iter().copied().collect(),
            list,
            broken,
        }
    }

    fn extend(&mut self, ids: impl Iterator<Item = &'a Id>) {
        for id in ids {
            self.set.insert(id);
            self.list.push(id);
        }
    }
}

fn reference(out: &mut Vec<Diagnostic>, what: &str, reference: &Sp<Id>, kind: &str, ids: &Names) {
    if ids.set.contains(reference.value.as_str()) || ids.broken.contains(&reference.value) {
        return;
    }
    let help = match suggest::nearest(&reference.value, ids.list.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None if ids.list.is_empty() => format!("the model declares no {kind}s"),
        None => format!("declare it, or use one of {}", suggest::one_of(&ids.list)),
    };
    out.push(
        Diagnostic::new(
            Code::UnknownReference,
            format!(
                "{what} refers to `{}`, which is not a {kind}",
                reference.value
            ),
        )
        .with_label(reference.span, format!("not a {kind}"))
        .with_help(help),
    );
}

/// `on_behalf_of` sorts the requests a forwarder passes on by their caller; out of a component
/// that forwards nothing, every request is its own, and the list would only cut the flow off.
fn check_on_behalf_of(model: &Model, flow: &Decl<Flow>, what: &str, out: &mut Vec<Diagnostic>) {
    let Some(first) = flow.on_behalf_of.first() else {
        return;
    };
    let Some(source) = model.components.get(&flow.source.value) else {
        return;
    };
    if !source.has_trait("forwards-traffic") {
        out.push(
            Diagnostic::new(
                Code::OnBehalfOfWithoutForwarder,
                format!(
                    "{what} says whose requests it carries, but `{}` does not forward traffic",
                    flow.source.value
                ),
            )
            .with_label(first.span, "callers are told apart only behind a forwarder")
            .with_help("put `on_behalf_of` on the flows out of the proxy, load balancer, CDN or gateway the callers share, or give the source the `forwards-traffic` trait"),
        );
    }
}

/// An unknown catalogue name, with the entries it most likely means: by alias, by a word of the
/// title, or by spelling. An alias is suggested, never accepted, so the model names the entry.
fn unknown_name(
    code: Code,
    what: &str,
    kind: &str,
    name: &Sp<String>,
    names: &[crate::catalog::Named],
) -> Diagnostic {
    let meant = suggest::by_meaning(&name.value, names);
    let help = suggest::did_you_mean(&meant).unwrap_or_else(|| {
        let ids: Vec<&str> = names.iter().map(|n| n.id).collect();
        format!("expected one of {}", suggest::one_of(&ids))
    });
    Diagnostic::new(code, format!("{what} has unknown {kind} `{}`", name.value))
        .with_label(name.span, format!("not a known {kind}"))
        .with_help(help)
}

fn check_boundaries(model: &Model, broken: &HashSet<Id>, out: &mut Vec<Diagnostic>) {
    // Built only for a reference's suggestions: at 50,000 components a set of every id took
    // 8 ms of every valid model's load.
    let members = std::cell::OnceCell::new();
    let tree = BoundaryTree::new(model);
    // Where each component and boundary is first listed, in the order the tree takes the first
    // listing: found by searching the listing boundary's `contains` per member, the check took
    // a zone's size squared (20,000 components in one zone: most of the load).
    let mut component_listed = vec![None; model.components.len()];
    let mut boundary_listed = vec![None; model.boundaries.len()];
    for (b, boundary) in model.boundaries.values().enumerate() {
        for member in &boundary.contains {
            if let Some(c) = model.components.get_index_of(member.value.as_str()) {
                component_listed[c].get_or_insert(member.span);
            } else if let Some(inner) = model.boundaries.get_index_of(member.value.as_str())
                && inner != b
            {
                boundary_listed[inner].get_or_insert(member.span);
            }
        }
    }
    // Each element may sit directly in one boundary, the first that lists it; boundaries nest as
    // a tree.
    for boundary in model.boundaries.values() {
        let what = format!("boundary `{}`", boundary.id.value);
        if boundary.contains.is_empty() {
            out.push(
                Diagnostic::new(Code::EmptyBoundary, format!("{what} contains nothing"))
                    .with_label(boundary.id.span, "an empty boundary")
                    .with_help(
                        "list its components and nested boundaries under `contains:`, or remove it",
                    ),
            );
        }
        for member in &boundary.contains {
            let component = model.components.get_index_of(member.value.as_str());
            let inner = match component {
                Some(_) => None,
                None => model.boundaries.get_index_of(member.value.as_str()),
            };
            if component.is_none() && inner.is_none() {
                let members = members.get_or_init(|| {
                    let mut members = Names::new(model.components.keys(), broken);
                    members.extend(model.boundaries.keys());
                    members
                });
                reference(out, &what, member, "component or boundary", members);
                continue;
            }
            if member.value == boundary.id.value {
                out.push(
                    Diagnostic::new(Code::BoundaryCycle, format!("{what} contains itself"))
                        .with_label(member.span, "a boundary cannot contain itself"),
                );
                continue;
            }
            let first = match component {
                Some(c) => tree.of_component(c).zip(component_listed[c]),
                None => inner.and_then(|inner| tree.listed_in(inner).zip(boundary_listed[inner])),
            };
            let Some((other, listing)) =
                first.and_then(|(f, span)| Some((model.boundaries.get_index(f)?.1, span)))
            else {
                continue;
            };
            if listing != member.span {
                out.push(
                    Diagnostic::new(
                        Code::BoundaryOverlap,
                        format!("`{}` is in two boundaries, `{}` and `{}`", member.value, other.id.value, boundary.id.value),
                    )
                    .with_label(member.span, "listed here")
                    .with_label(listing, "and here")
                    .with_help("boundaries nest: put the inner boundary inside the outer one, and the element in the inner one only"),
                );
            }
        }
    }
    // Each nesting cycle once, at the first of its boundaries.
    for cycle in tree.cycles() {
        let name = |b: usize| model.boundaries[b].id.value.as_str();
        let start = name(cycle[0]);
        let path: Vec<&str> = cycle.iter().map(|&b| name(b)).collect();
        out.push(
            Diagnostic::new(
                Code::BoundaryCycle,
                format!(
                    "boundaries are nested inside each other: {} -> {start}",
                    path.join(" -> ")
                ),
            )
            .with_label(
                model.boundaries[cycle[0]].id.span,
                "part of a nesting cycle",
            )
            .with_help("boundaries must nest as a tree: remove one of the `contains` entries"),
        );
    }
}

/// A team's control must not take a catalogue control's id: rules that name the catalogue's would
/// silently mean the team's, and reports would advise the team's text for it.
fn check_team_controls(model: &Model, out: &mut Vec<Diagnostic>) {
    for control in model.controls.values() {
        let id = &control.id;
        if let Some(theirs) = catalog().control(&id.value) {
            out.push(
                Diagnostic::new(
                    Code::ControlRedefined,
                    format!(
                        "control `{}` is already in the catalogue ({})",
                        id.value, theirs.title
                    ),
                )
                .with_label(id.span, "a catalogue control's id")
                .with_help(format!(
                    "name the catalogue's `{}` on the elements that have it, or give the team's \
                     control an id of its own (`{}-<team>`)",
                    id.value, id.value
                )),
            );
        }
        if control.value.title.trim().is_empty() {
            out.push(
                Diagnostic::new(
                    Code::EmptyTitle,
                    format!("control `{}` has an empty title", id.value),
                )
                .with_label(id.span, "no title")
                .with_help("name the control in a few words"),
            );
        }
    }
}

/// The plan's efforts and ruled-out controls name controls: a misspelled one would silently
/// change nothing.
fn check_plan(model: &Model, out: &mut Vec<Diagnostic>) {
    let Some(plan) = model.system.as_ref().and_then(|s| s.plan.as_ref()) else {
        return;
    };
    for control in plan.effort.keys().chain(plan.ruled_out.keys()) {
        if catalog().control(&control.value).is_none()
            && !model.controls.contains_key(&control.value)
        {
            out.push(unknown_name(
                Code::UnknownControl,
                "the plan",
                "control",
                control,
                &control_names(model),
            ));
        }
    }
}

fn check_manual_threats(model: &Model, broken: &HashSet<Id>, out: &mut Vec<Diagnostic>) {
    if model.threats.is_empty() {
        return;
    }
    // A manual threat may be about any element; data assets have their own namespace.
    let mut elements = Names::new(model.components.keys(), broken);
    elements.extend(model.flows.keys());
    elements.extend(model.data.keys());
    elements.extend(model.boundaries.keys());
    elements.extend(model.runtimes.keys());
    let catalog = catalog();
    for threat in model.threats.values() {
        let what = format!("threat `{}`", threat.id.value);
        if let Some(element) = &threat.element {
            reference(
                out,
                &what,
                element,
                "component, flow, data asset, boundary or runtime",
                &elements,
            );
        }
        if threat.title.trim().is_empty() {
            out.push(
                Diagnostic::new(Code::EmptyTitle, format!("{what} has an empty title"))
                    .with_label(threat.id.span, "no title")
                    .with_help("say in a few words what could happen"),
            );
        }
        for entry in &threat.mitigations {
            for control in entry.value.split('|') {
                if catalog.control(control).is_none() && !model.controls.contains_key(control) {
                    let name = Sp::new(control.to_owned(), entry.span);
                    out.push(unknown_name(
                        Code::UnknownControl,
                        &what,
                        "control",
                        &name,
                        &control_names(model),
                    ));
                }
            }
        }
    }
}

fn check_decisions(model: &Model, out: &mut Vec<Diagnostic>) {
    use crate::model::DecisionStatus;
    for decision in &model.decisions {
        let what = format!("the decision on `{}`", decision.threat.value);
        let at = decision.threat.span;
        let needs_reason = matches!(
            decision.status,
            DecisionStatus::Accepted
                | DecisionStatus::FalsePositive
                | DecisionStatus::NotApplicable
        ) || decision.severity.is_some()
            || decision.cvss.is_some();
        let has_reason = decision
            .justification
            .as_deref()
            .is_some_and(|j| !j.trim().is_empty());
        if needs_reason && !has_reason {
            let why = if decision.severity.is_some() || decision.cvss.is_some() {
                "a rating override".to_owned()
            } else {
                format!("status `{}`", decision.status)
            };
            out.push(
                Diagnostic::new(
                    Code::MissingJustification,
                    format!("{what} needs a justification"),
                )
                .with_label(at, format!("{why} without a `justification`"))
                .with_help("say why, so that a reviewer can check it: `justification: ...`"),
            );
        }
        let selector = decision.threat.value.trim();
        if selector.is_empty() || !(selector.contains(':') || selector.contains('*')) {
            out.push(
                Diagnostic::new(
                    Code::InvalidSelector,
                    format!("`{}` is not a threat id", decision.threat.value),
                )
                .with_label(at, "expected `rule:element`, with `*` as a wildcard")
                .with_help("threat ids are listed by `threatforge check`"),
            );
        }
        for date in decision.date.iter().chain(&decision.expires) {
            if !crate::model::is_valid_date(&date.value) {
                out.push(
                    Diagnostic::new(Code::InvalidDate, format!("`{}` is not a date", date.value))
                        .with_label(date.span, "expected YYYY-MM-DD")
                        .with_help("write dates as 2026-12-31"),
                );
            }
        }
        if let Some(expires) = &decision.expires
            && decision.status != DecisionStatus::Accepted
        {
            out.push(
                Diagnostic::new(
                    Code::ExpiryWithoutAcceptance,
                    format!("{what} has an expiry but is not an acceptance"),
                )
                .with_label(expires.span, "only acceptances expire")
                .with_help("remove `expires`, or set `status: accepted`"),
            );
        }
        if decision.status == DecisionStatus::Accepted && decision.expires.is_none() {
            out.push(
                Diagnostic::new(
                    Code::AcceptanceWithoutExpiry,
                    format!("{what} accepts the risk forever"),
                )
                .with_label(at, "an acceptance without `expires`")
                .with_help(
                    "give acceptances an expiry, so that they are reviewed: `expires: 2027-06-30`",
                ),
            );
        }
        if let Some(vector) = &decision.cvss
            && let Err(e) = vector.value.parse::<cvss::v4::Vector>()
        {
            out.push(
                Diagnostic::new(Code::InvalidCvss, format!("`{}` is not a CVSS v4.0 vector", vector.value))
                    .with_label(vector.span, e.to_string())
                    .with_help("write a full vector, e.g. CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            );
        }
        if decision.severity.is_some() && decision.cvss.is_some() {
            out.push(
                Diagnostic::new(
                    Code::ConflictingOverride,
                    format!("{what} gives both `severity` and `cvss`"),
                )
                .with_label(at, "two overrides")
                .with_help("keep one of them"),
            );
        }
    }
}
