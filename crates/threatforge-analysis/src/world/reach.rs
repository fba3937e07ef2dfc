//! Controls in reach: a control declared on a component that fronts others (a CDN, WAF, load
//! balancer or gateway adding security headers, absorbing DDoS or limiting rates) protects the
//! components behind it too, and their threats count it as in place; a practice of the pipeline
//! (dependency scanning declared on the build system or its scanner) holds for what it builds;
//! what shapes the data a component sends (`reach: outbound`: minimization, pseudonyms, tokens)
//! holds on every flow out of it; an agreement with the party a flow goes to (`reach:
//! recipient`: a processing agreement) holds on every flow to that party.
//!
//! A component is behind a holder of control C when at least one flow reaches it from a
//! forwarding component that holds C, and every flow into it from an actor or a forwarding
//! component does: one route around the CDN, and the CDN's DDoS protection no longer protects
//! it. For protections a browser acts on (`reach: browser`: security headers, CSP, HSTS) only
//! routes from people's clients count: a partner's integration calling the balancer directly
//! renders no page, so the headers still reach every browser.
//! Flows from the team's own processes do not count against it (a worker calling the API does not
//! bypass the edge for the internet's requests). Holding passes down chains (CDN -> WAF -> load
//! balancer -> app), each component once per control, so the cost is linear in the flows.

use threatforge_model::ComponentKind;
use threatforge_model::{ControlReach, catalog};

use crate::world::World;

/// Per component, the controls it declares that shape what it sends (`reach: outbound`), which
/// hold on every flow out of it; empty for most components.
pub(crate) fn outbound_controls<'m>(world: &World<'m>) -> Vec<Vec<&'m str>> {
    world
        .model
        .components
        .values()
        .map(|c| {
            c.controls
                .iter()
                .map(|x| x.value.as_str())
                .filter(|&name| reaches(name, ControlReach::Outbound))
                .collect()
        })
        .collect()
}

/// Whether the catalogue's control `name` holds with this reach.
fn reaches(name: &str, reach: ControlReach) -> bool {
    catalog().control(name).is_some_and(|x| x.reach == reach)
}

/// The component a flow's agreements are with: the party its data goes to
/// (`Model::recipient_of`, as threats grouped by recipient read it).
pub(crate) fn party_of(world: &World, flow: usize) -> Option<usize> {
    let model = world.model;
    let flow = &model.flows[flow];
    model.components.get_index_of(model.recipient_of(flow))
}

/// Per component, the agreements (`reach: recipient`) declared on any flow with it as the
/// party, which hold on every such flow; an empty list where no flow declares one.
pub(crate) fn recipient_controls<'m>(world: &World<'m>) -> Vec<Vec<&'m str>> {
    let model = world.model;
    let mut held: Vec<Vec<&'m str>> = vec![Vec::new(); model.components.len()];
    for (i, flow) in model.flows.values().enumerate() {
        let mut agreements = flow
            .controls
            .iter()
            .map(|x| x.value.as_str())
            .filter(|&name| reaches(name, ControlReach::Recipient))
            .peekable();
        if agreements.peek().is_none() {
            continue;
        }
        let Some(party) = party_of(world, i) else {
            continue;
        };
        for name in agreements {
            if !held[party].contains(&name) {
                held[party].push(name);
            }
        }
    }
    // Empty where no flow declares one (most models), so that no flow looks its party up.
    if held.iter().all(Vec::is_empty) {
        held.clear();
    }
    held
}

/// Per component, the controls it holds through what fronts it, each with the index of the
/// component that declares it.
pub(crate) fn inherited_controls<'m>(world: &World<'m>) -> Vec<Vec<(&'m str, usize)>> {
    let model = world.model;
    let n = model.components.len();
    let mut inherited: Vec<Vec<(&'m str, usize)>> = vec![Vec::new(); n];
    let forwards = |c: usize| world.traits(c).contains(&"forwards-traffic");
    let actor = |c: usize| world.kind(c) == ComponentKind::Actor;
    let person = |c: usize| actor(c) && world.traits(c).contains(&"human-client");

    // Each component's flows from sources whose route must pass a holder for it to be covered
    // (counted per flow, so a repeated flow counts twice on both sides): from every actor and
    // forwarder, and for browser protections from people's clients and forwarders only. And
    // each forwarder's targets.
    let mut edge_inbound = vec![0usize; n];
    let mut browser_inbound = vec![0usize; n];
    let mut forwarded_to: Vec<Vec<usize>> = vec![Vec::new(); n];
    for facts in &world.facts.flows {
        let (Some(source), Some(target)) = (facts.source, facts.target) else {
            continue;
        };
        if source == target || !(forwards(source) || actor(source)) {
            continue;
        }
        edge_inbound[target] += 1;
        if forwards(source) || person(source) {
            browser_inbound[target] += 1;
        }
        if forwards(source) {
            forwarded_to[source].push(target);
        }
    }

    let fronted: Vec<(&'m str, &[usize])> = model
        .components
        .values()
        .flat_map(|c| c.controls.iter().map(|x| x.value.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|name| match catalog().control(name)?.reach {
            ControlReach::Fronted => Some((name, edge_inbound.as_slice())),
            ControlReach::Browser => Some((name, browser_inbound.as_slice())),
            ControlReach::Itself
            | ControlReach::Pipeline
            | ControlReach::Outbound
            | ControlReach::Recipient => None,
        })
        .collect();

    let mut covered = vec![0usize; n];
    let mut holder: Vec<Option<usize>> = vec![None; n];
    let mut work = Vec::new();
    for (control, must_pass) in fronted {
        covered.iter_mut().for_each(|c| *c = 0);
        holder.iter_mut().for_each(|h| *h = None);
        for (i, component) in model.components.values().enumerate() {
            if component.controls.iter().any(|x| x.value == control) {
                holder[i] = Some(i);
                if forwards(i) {
                    work.push(i);
                }
            }
        }
        while let Some(front) = work.pop() {
            let origin = holder[front];
            for &target in &forwarded_to[front] {
                covered[target] += 1;
                if holder[target].is_none() && covered[target] == must_pass[target] {
                    holder[target] = origin;
                    if let Some(origin) = origin {
                        inherited[target].push((control, origin));
                    }
                    if forwards(target) {
                        work.push(target);
                    }
                }
            }
        }
    }
    inherit_from_origin(world, &mut inherited);
    inherit_pipeline_practices(world, &mut inherited);
    inherited
}

/// Browser code the team ships, drawn as a process its people use (a single-page app calling
/// the API through the team's CDN, `customer -> spa -> cdn -> api`): its pages come from the
/// front it calls, the origin that serves them, so that front's protections a browser acts on
/// (`reach: browser`: headers, CSP, HSTS) reach its pages too. Where it calls several fronts,
/// only what every one of them holds. Linear: each such app's flows once.
fn inherit_from_origin<'m>(world: &World<'m>, inherited: &mut [Vec<(&'m str, usize)>]) {
    let model = world.model;
    let browser_control = |name: &str| {
        catalog()
            .control(name)
            .is_some_and(|c| c.reach == ControlReach::Browser)
    };
    for (i, cf) in world.facts.components.iter().enumerate() {
        let app = cf.person_client
            && world.kind(i) == ComponentKind::Process
            && world.traits(i).contains(&"web-ui");
        if !app {
            continue;
        }
        let fronts: Vec<usize> = cf
            .outbound
            .iter()
            .filter_map(|&f| world.facts.flows[f].target)
            .filter(|&t| {
                world.traits(t).contains(&"forwards-traffic")
                    && model.components[t].out_of_scope.is_none()
            })
            .collect();
        // What each front holds: declared on it, or reaching it from a front before it.
        let held: Vec<Vec<(&'m str, usize)>> = fronts
            .iter()
            .map(|&t| {
                model.components[t]
                    .controls
                    .iter()
                    .map(|x| (x.value.as_str(), t))
                    .chain(inherited[t].iter().copied())
                    .filter(|&(name, _)| browser_control(name))
                    .collect()
            })
            .collect();
        let Some((first, rest)) = held.split_first() else {
            continue;
        };
        let from_origin: Vec<(&'m str, usize)> = first
            .iter()
            .copied()
            .filter(|&(name, _)| rest.iter().all(|h| h.iter().any(|&(n, _)| n == name)))
            .collect();
        for (name, holder) in from_origin {
            let declared = model.components[i].controls.iter().any(|x| x.value == name);
            if !declared && !inherited[i].iter().any(|&(n, _)| n == name) {
                inherited[i].push((name, holder));
            }
        }
    }
}

/// A practice of the pipeline (`reach: pipeline`) declared on a build system, or on what a build
/// system sends code to, holds for every process of the team's own: the pipeline builds them.
fn inherit_pipeline_practices<'m>(world: &World<'m>, inherited: &mut [Vec<(&'m str, usize)>]) {
    let model = world.model;
    let builds = |c: usize| world.traits(c).contains(&"build-system");
    let mut fed_by_build = vec![false; model.components.len()];
    for facts in &world.facts.flows {
        if let (Some(source), Some(target)) = (facts.source, facts.target) {
            fed_by_build[target] |= builds(source);
        }
    }
    // The first holder of each practice, in model order, is the one named.
    let mut holders: Vec<(&'m str, usize)> = Vec::new();
    for (i, component) in model.components.values().enumerate() {
        if !(builds(i) || fed_by_build[i]) {
            continue;
        }
        for control in &component.controls {
            let name = control.value.as_str();
            let pipeline = catalog()
                .control(name)
                .is_some_and(|c| c.reach == ControlReach::Pipeline);
            if pipeline && !holders.iter().any(|(c, _)| *c == name) {
                holders.push((name, i));
            }
        }
    }
    if holders.is_empty() {
        return;
    }
    for (i, component) in model.components.values().enumerate() {
        let own = world.kind(i) == ComponentKind::Process
            && !world.traits(i).contains(&"third-party")
            && component.out_of_scope.is_none();
        if !own {
            continue;
        }
        for &(control, holder) in &holders {
            let declared = component.controls.iter().any(|x| x.value == control);
            if holder != i && !declared && !inherited[i].iter().any(|(c, _)| *c == control) {
                inherited[i].push((control, holder));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn inherited(yaml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let loaded =
            threatforge_model::load_str("m.yaml", yaml, Path::new("."), &Default::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let model = &loaded.model;
        let world = World::new(model);
        inherited_controls(&world)
            .into_iter()
            .enumerate()
            .filter(|(_, list)| !list.is_empty())
            .map(|(i, list)| {
                let id = |c: usize| model.components[c].id.value.to_string();
                (
                    id(i),
                    list.into_iter()
                        .map(|(control, from)| (control.to_owned(), id(from)))
                        .collect(),
                )
            })
            .collect()
    }

    const CHAIN: &str = "system: { name: s }
components:
  user: { technology: browser, exposure: internet }
  cdn: { technology: cdn, controls: [security-headers, ddos-protection, hardening] }
  lb: { technology: load-balancer }
  app: { technology: web-application }
  worker: { technology: worker }
flows:
  - user -> cdn: { protocol: https }
  - cdn -> lb: { protocol: https }
  - lb -> app: { protocol: http }
  - worker -> app: { protocol: https }
";

    #[test]
    fn fronted_controls_pass_down_a_chain_of_forwarders() {
        let pair = |c: &str, from: &str| (c.to_owned(), from.to_owned());
        assert_eq!(
            inherited(CHAIN),
            vec![
                (
                    "lb".to_owned(),
                    vec![
                        pair("ddos-protection", "cdn"),
                        pair("security-headers", "cdn")
                    ]
                ),
                (
                    "app".to_owned(),
                    vec![
                        pair("ddos-protection", "cdn"),
                        pair("security-headers", "cdn")
                    ]
                ),
            ],
            "hardening protects only the CDN; the worker's own call does not bypass the edge"
        );
    }

    #[test]
    fn a_machine_clients_route_around_the_edge_keeps_the_browser_protections() {
        let partner = format!(
            "{}  - partner -> lb: {{ protocol: https }}\n",
            CHAIN.replace(
                "  worker: { technology: worker }\n",
                "  worker: { technology: worker }\n  partner: { technology: partner-system, exposure: internet }\n",
            )
        );
        let found = inherited(&partner);
        let app = found.iter().find(|(c, _)| c == "app").map(|(_, l)| l);
        assert_eq!(
            app,
            Some(&vec![("security-headers".to_owned(), "cdn".to_owned())]),
            "the partner's calls bypass the CDN's DDoS protection, not the headers browsers get"
        );
        let person = partner.replace("partner -> lb", "user -> lb");
        let found = inherited(&person);
        assert!(found.iter().all(|(c, _)| c != "app"), "{found:?}");
    }

    /// A single-page app its people use in-process gets its pages from the CDN it calls: the
    /// CDN's headers reach them, not its DDoS protection. With a second front that sets none,
    /// nothing says which origin serves the pages, and nothing reaches them.
    #[test]
    fn browser_code_takes_the_browser_protections_of_the_front_it_calls() {
        let spa = "system: { name: s }
components:
  user: { technology: browser, exposure: internet }
  spa: { technology: single-page-app }
  cdn: { technology: cdn, controls: [security-headers, ddos-protection] }
  api: { technology: api-service }
flows:
  - user -> spa: { protocol: in-process }
  - spa -> cdn: { protocol: https, authentication: token }
  - cdn -> api: { protocol: https, authentication: token }
";
        let found = inherited(spa);
        let of = |found: &[(String, Vec<(String, String)>)], id: &str| {
            found
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, l)| l.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            of(&found, "spa"),
            [("security-headers".to_owned(), "cdn".to_owned())]
        );
        let two = format!(
            "{}  - spa -> lb: {{ protocol: https }}\n",
            spa.replace(
                "  api: { technology: api-service }\n",
                "  api: { technology: api-service }\n  lb: { technology: load-balancer }\n"
            )
        );
        assert!(of(&inherited(&two), "spa").is_empty());
    }

    #[test]
    fn a_route_around_the_holder_breaks_the_cover() {
        let bypass = format!("{CHAIN}  - user -> app: {{ protocol: https }}\n");
        let found = inherited(&bypass);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "lb");
        let via_unprotected_proxy = format!(
            "{}  - proxy -> app: {{ protocol: http }}\n",
            CHAIN.replace(
                "  worker: { technology: worker }\n",
                "  worker: { technology: worker }\n  proxy: { technology: reverse-proxy }\n",
            )
        );
        let found = inherited(&via_unprotected_proxy);
        assert!(found.iter().all(|(c, _)| c != "app"), "{found:?}");
    }
}
