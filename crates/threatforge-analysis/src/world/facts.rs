//! Facts derived once from the model's graph and shared by every rule: zones, reachability from
//! untrusted zones, the data each element handles. Every pass here is linear in the model's size.
//!
//! Out of scope means "not assessed inside", not "absent": an out-of-scope component keeps its
//! zone, its exposure and its flows here, so the internet it stands for and the data sent to it
//! stay in the analysis. Which threats may be about it is the engine's and the rules' business.

use std::collections::{HashSet, VecDeque};

use rayon::prelude::*;
use threatforge_model::{
    Authentication, Authorization, BoundaryTree, Classification, ComponentKind, Exposure, Model,
    Trust,
};

/// The trait of actors (and services) whose accounts anyone can get.
pub(crate) const OPEN_SIGN_UP: &str = "open-sign-up";

/// Per-component facts, indexed like `model.components`.
#[derive(Clone, Debug, Default)]
pub struct ComponentFacts {
    /// Enclosing boundaries, innermost first.
    pub boundaries: Vec<usize>,
    /// Trust level of the innermost zone (0 untrusted .. 3 high).
    pub trust: i64,
    pub reachable_from_internet: bool,
    /// Flows on the shortest path from an untrusted source, not counting the hops out of
    /// components that only forward traffic (a load balancer passes the request on as it came);
    /// -1 when unreachable.
    pub internet_hops: i64,
    /// Some path from an untrusted source reaches it on which no flow authenticates.
    pub unauthenticated_path: bool,
    /// Some path from an untrusted source reaches it on which nothing keeps an outsider out: each
    /// flow is unauthenticated, or authenticates an account anyone can get (`open-sign-up`) or a
    /// third party's credential, or passes such a credential on to where it is checked again, or
    /// carries a signed-up account's identity on (`authorization: user`).
    pub outsider_path: bool,
    /// Indexes of the flows into and out of the component, except flows marked out of scope
    /// (an out-of-scope component's flows are here: it still sends and receives them).
    pub inbound: Vec<usize>,
    pub outbound: Vec<usize>,
    /// Indexes of every data asset it processes, stores, sends or receives, in model order.
    pub data: Vec<usize>,
    /// The runtime it runs on; of several, the last that shares machines, else the last.
    pub runtime: Option<usize>,
    pub untrusted_source: bool,
    /// It pulls data from an untrusted source that outsiders write (a supplier's feed, a pull
    /// request's code, a web page): untrusted input one hop away with nothing in the way, though
    /// no connection from there reaches it. Scoring counts it; rule conditions about who can
    /// connect (`reachable_from_internet`) do not.
    pub pulls_untrusted_input: bool,
    /// Input from outside its own zone reaches it: it is reachable from the internet, pulls
    /// data outsiders write (`pulls_untrusted_input`), or a component of a less trusted zone
    /// calls it. The guard of the injection rules (SQL, NoSQL, LDAP, paths): a service that
    /// only the team's own services of its zone call parses what they made.
    pub takes_untrusted_input: bool,
    /// Reached from an untrusted source only past a second factor: every path passes a login at
    /// a component that holds `mfa` (a VPN gateway, a bastion, an identity-aware proxy), which is
    /// named here. None where some path does not, or nothing reaches it.
    pub second_factor_before: Option<usize>,
    /// People reach it, directly or through forwarders, and only with native clients (trait
    /// `native-client`: a mobile app, a command line): no browser of theirs renders its answers.
    pub native_clients_only: bool,
    /// People reach it, directly or through forwarders, and only with clients that draw their
    /// own screens: native apps, or web apps drawn as the person's client (`human-client` with
    /// `web-ui`: a single-page app). No plain browser asks it for pages; it answers with data.
    pub app_clients_only: bool,
    /// A person's client reaches it, directly or through forwarders.
    pub used_by_people: bool,
    /// It is a person's client (`person_clients`): the trait `human-client`, or a process with
    /// web pages that people use only through in-process calls (browser code the team ships).
    pub person_client: bool,
    /// Web requests from the internet reach it with nothing that filters them on the way: an HTTP
    /// flow from an untrusted actor (not over a VPN, mutual TLS, signed requests or a client
    /// certificate) leads to it, directly or through forwarders that do not filter traffic
    /// (trait `filters-traffic`, or control `waf`: a WAF, or a load balancer running one).
    pub unfiltered_web_traffic: bool,
    /// Requests from the internet reach it through components that only pass them on (a load
    /// balancer, an ingress, a WAF): it is published to the internet, although no untrusted
    /// source calls it itself. A VPN gateway or bastion (`remote-access`), or a flow over a VPN,
    /// ends such a path.
    pub published_to_internet: bool,
    /// It passes requests on as they came (`forwards-traffic`) and is not a VPN gateway or
    /// bastion (`remote-access`), which passes on only what signed in to it: its flows out
    /// continue its flows in, and what reaches it reaches what it forwards to.
    pub passes_requests_on: bool,
    /// People sign in to it with a password: a flow of `authentication: credentials` from a
    /// person's client, or from a forwarder people reach, leads to it, directly or through more
    /// forwarders. A forwarder that passes the requests on to a process does not count: the login
    /// is answered behind it, unless it is a VPN gateway or bastion (`remote-access`), which
    /// signs the person in itself.
    pub password_logins: bool,
    /// An identity provider that signs people in on behalf of a component they use: a process
    /// people reach (`used_by_people`) or sign in to (`password_logins`) calls it, so their
    /// logins are answered here although no person's client calls it in the model.
    pub delegated_logins: bool,
    /// People reach it with a session or a token (directly, or through forwarders over hops that
    /// carry one too), and neither their client nor it calls an identity provider: the model
    /// shows no other place where they sign in, so it is taken to answer their login itself. An
    /// inference: an identity provider outside the model may answer it instead.
    pub assumed_logins: bool,
    /// Requests reach it, through the team's processes, from devices and other systems outside
    /// and from no person's client: there is no user behind them (a charger gateway).
    pub serves_machines_only: bool,
    /// Requests reach it, through the team's processes, from actors or people's clients, and no
    /// flow on any of their ways authenticates: nobody it serves has signed in anywhere, so there
    /// is no user's identity it could pass on. False where no actor reaches it.
    pub anonymous_callers_only: bool,
    /// Content that parties the team does not vet write reaches it, carried on by the services
    /// in between whatever their own logins (`outsiders_content`): an injection in that content
    /// needs no login of the attacker's on the way.
    pub handed_outsiders_content: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FlowFacts {
    pub source: Option<usize>,
    pub target: Option<usize>,
    /// Boundary ids entered or left, innermost first ("internet" for the implicit zone).
    pub crosses: Vec<String>,
    /// Flow rules assess it: it is not out of scope itself, and at least one end is in scope.
    pub in_scope: bool,
    /// Hops from the nearest untrusted source up to and including this flow, counted as
    /// `ComponentFacts::internet_hops` is; -1 when its source is unreachable.
    pub hops: i64,
    /// An outsider can send on it: its source is on an outsider path (`ComponentFacts`) and the
    /// flow does not stop them.
    pub outsider_path: bool,
    /// It brings back data outsiders write from its target (`answers_from_outside`), worked out
    /// once for the facts and the search of outsiders' content.
    pub answers_from_outside: bool,
    /// Where its source passes requests on: the callers whose requests it carries, those before
    /// the first forwarder of the chain, sorted (`flow.callers`). `None` elsewhere: the source's
    /// own. Flows out of one forwarder that name no `on_behalf_of` share one list.
    pub callers: Option<std::sync::Arc<[usize]>>,
}

#[derive(Clone, Debug, Default)]
pub struct DataFacts {
    /// Some party outside the team writes it: it arrives on a flow from one, or comes back from
    /// one (`is_outsider`). Pages that show such data show what an attacker may have written.
    pub untrusted_origin: bool,
    /// Parties the team does not vet write it: it is where a search of outsiders' content starts
    /// (`outsiders_content`: sent on a flow an outsider can send on, pulled from an outsider, or
    /// model data made from such content). Narrower than `untrusted_origin`, which a partner
    /// or a device the team enrolled also makes.
    pub unvetted_origin: bool,
    /// The team's devices in the field (`embedded-device`, not a vendor's) hold it, or it is on
    /// a flow of theirs: what it says reaches every unit of their kind.
    pub reaches_devices: bool,
    /// The components that keep or process it or are at either end of a flow carrying it, each
    /// once, in model order: made here in one pass, since a rule can remove repeats from a list
    /// only by comparing every pair.
    pub handled_by: Vec<usize>,
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

pub(crate) fn trust_level(trust: Trust) -> i64 {
    match trust {
        Trust::Untrusted => 0,
        Trust::Low => 1,
        Trust::Medium => 2,
        Trust::High => 3,
    }
}

pub(crate) fn sensitivity(classification: Classification) -> i64 {
    match classification {
        Classification::Public => 0,
        Classification::Internal => 1,
        Classification::Confidential => 2,
        Classification::Secret => 3,
    }
}

pub(crate) fn derive(model: &Model) -> Facts {
    let n = model.components.len();
    let mut facts = Facts {
        components: vec![ComponentFacts::default(); n],
        flows: vec![FlowFacts::default(); model.flows.len()],
        data: vec![DataFacts::default(); model.data.len()],
        boundaries: vec![BoundaryFacts::default(); model.boundaries.len()],
    };

    let tree = BoundaryTree::new(model);
    for (b, bf) in facts.boundaries.iter_mut().enumerate() {
        bf.parent = tree.parent(b);
        bf.children = tree.children(b).to_vec();
        bf.components = tree.members(b).to_vec();
    }
    for (c, component) in model.components.values().enumerate() {
        // Innermost first.
        let chain: Vec<usize> = tree.around(c).iter().rev().copied().collect();
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

    let clients = person_clients(model, &mut facts.components);

    // A component on several runtimes takes the last that shares machines with others (a host,
    // a virtual machine, a cluster) over one that shares only permissions (a cloud account's
    // role) or an isolated platform: what its runtime is read for (peers a foothold or a load
    // reaches, a node to escape to) is the machines. Else the last it is on.
    for (r, runtime) in model.runtimes.values().enumerate() {
        for member in &runtime.runs {
            if let Some(c) = model.components.get_index_of(&member.value) {
                let seat = &mut facts.components[c].runtime;
                let shares_nodes = |r: usize| model.runtimes[r].kind.shares_nodes();
                if seat.is_none_or(|held| shares_nodes(r) || !shares_nodes(held)) {
                    *seat = Some(r);
                }
            }
        }
    }

    // Asked of both ends of every flow: worked out once per component.
    let outsiders: Vec<bool> = (0..n)
        .map(|c| is_outsider(model, &facts.components[c], c))
        .collect();
    // Each flow's own facts and the data it carries, worked out in parallel (a large model has
    // hundreds of thousands of flows), then recorded on its ends and its data in model order.
    let resolved: Vec<ResolvedFlow> = (0..model.flows.len())
        .into_par_iter()
        .map(|f| resolve_flow(model, &facts.components, f))
        .collect();
    for (f, flow) in resolved.into_iter().enumerate() {
        for &i in &flow.carried {
            if facts.data[i].flows.last() != Some(&f) {
                facts.data[i].flows.push(f);
            }
        }
        if let (Some(s), Some(t)) = (flow.facts.source, flow.facts.target) {
            if model.flows[f].out_of_scope.is_none() {
                facts.components[s].outbound.push(f);
                facts.components[t].inbound.push(f);
            }
            if flow.facts.answers_from_outside {
                facts.components[s].pulls_untrusted_input = true;
            }
            let (sent, returned) = flow.carried.split_at(flow.sent);
            // What an outsider sends, or answers, is written outside.
            for (outsider, written) in [(outsiders[s], sent), (outsiders[t], returned)] {
                for &i in written.iter().filter(|_| outsider) {
                    facts.data[i].untrusted_origin = true;
                }
            }
            for &i in &flow.carried {
                for c in [s, t] {
                    facts.components[c].data.push(i);
                }
            }
        }
        facts.flows[f] = flow.facts;
    }
    for cf in &mut facts.components {
        cf.data.sort_unstable();
        cf.data.dedup();
    }
    // A component's data is now what it holds and what its flows carry.
    for (c, (component, cf)) in model.components.values().zip(&facts.components).enumerate() {
        let device = component.has_trait("embedded-device") && !component.has_trait("third-party");
        for &i in &cf.data {
            facts.data[i].handled_by.push(c);
            facts.data[i].reaches_devices |= device;
        }
    }

    reachability(model, &mut facts, &clients);
    let forwards: Vec<bool> = model
        .components
        .values()
        .map(|c| c.has_trait("forwards-traffic"))
        .collect();
    for ((cf, component), &forwards) in facts
        .components
        .iter_mut()
        .zip(model.components.values())
        .zip(&forwards)
    {
        cf.passes_requests_on = forwards && !component.has_trait("remote-access");
    }
    untrusted_input(&mut facts);
    people(model, &mut facts, &forwards);
    password_logins(model, &mut facts, &forwards);
    other_logins(model, &mut facts, &forwards);
    internet_front(model, &mut facts);
    machine_callers(model, &mut facts);
    outsiders_content(model, &mut facts);
    callers(model, &mut facts);
    facts
}

/// `FlowFacts::callers`: a request enters a chain of forwarders from its caller (the last
/// component before them that does not pass requests on) and keeps that caller through the
/// chain; a flow with `on_behalf_of` carries only its callers' requests. Each forwarder's
/// callers are the union of what its inbound flows carry, worked out once per forwarder in an
/// explicit depth-first walk (a long chain must not exhaust the stack); a forwarder met again
/// while its own callers are still being gathered (a loop of forwarders) adds nothing more.
fn callers(model: &Model, facts: &mut Facts) {
    use std::sync::Arc;
    let passes: Vec<bool> = facts
        .components
        .iter()
        .map(|cf| cf.passes_requests_on)
        .collect();
    if !passes.contains(&true) {
        return;
    }
    // The components a flow's `on_behalf_of` names, sorted; `None` where it names none.
    let named: Vec<Option<Vec<usize>>> = model
        .flows
        .values()
        .map(|flow| {
            (!flow.on_behalf_of.is_empty()).then(|| {
                let mut ids: Vec<usize> = flow
                    .on_behalf_of
                    .iter()
                    .filter_map(|c| model.components.get_index_of(&c.value))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
        })
        .collect();
    let carried = |f: usize, through: &Arc<[usize]>| -> Arc<[usize]> {
        match &named[f] {
            None => through.clone(),
            Some(ids) => through
                .iter()
                .copied()
                .filter(|c| ids.binary_search(c).is_ok())
                .collect(),
        }
    };
    const UNSEEN: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = model.components.len();
    let mut state = vec![UNSEEN; n];
    let empty: Arc<[usize]> = Arc::from(Vec::new());
    let mut of: Vec<Arc<[usize]>> = vec![empty.clone(); n];
    for start in (0..n).filter(|&c| passes[c]) {
        if state[start] != UNSEEN {
            continue;
        }
        state[start] = OPEN;
        // (forwarder, position among its inbound flows)
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (s, ref mut next)) = stack.last_mut() {
            let inbound = &facts.components[s].inbound;
            if let Some(&f) = inbound.get(*next) {
                *next += 1;
                if let Some(u) = facts.flows[f].source
                    && passes[u]
                    && state[u] == UNSEEN
                {
                    state[u] = OPEN;
                    stack.push((u, 0));
                }
                continue;
            }
            let mut union: Vec<usize> = Vec::new();
            for &f in inbound {
                match facts.flows[f].source {
                    Some(u) if passes[u] => union.extend(carried(f, &of[u]).iter()),
                    Some(u)
                        if named[f]
                            .as_ref()
                            .is_none_or(|ids| ids.binary_search(&u).is_ok()) =>
                    {
                        union.push(u)
                    }
                    _ => {}
                }
            }
            union.sort_unstable();
            union.dedup();
            of[s] = Arc::from(union);
            state[s] = DONE;
            stack.pop();
        }
    }
    for (f, ff) in facts.flows.iter_mut().enumerate() {
        if let Some(s) = ff.source.filter(|&s| passes[s]) {
            ff.callers = Some(carried(f, &of[s]));
        }
    }
}

/// `ComponentFacts::takes_untrusted_input`, once reachability and trust are known.
fn untrusted_input(facts: &mut Facts) {
    let takes: Vec<bool> = facts
        .components
        .iter()
        .map(|cf| {
            cf.reachable_from_internet
                || cf.pulls_untrusted_input
                || cf.inbound.iter().any(|&f| {
                    facts.flows[f]
                        .source
                        .is_some_and(|s| facts.components[s].trust < cf.trust)
                })
        })
        .collect();
    for (cf, takes) in facts.components.iter_mut().zip(takes) {
        cf.takes_untrusted_input = takes;
    }
}

/// Where content that unvetted parties write travels: it starts on each flow an outsider can send
/// on (`FlowFacts::outsider_path`: anyone on the internet, an account anyone can get, a third
/// party's credential) and in each answer pulled from an outsider (`answers_from_outside`), and
/// goes on with each datum wherever a flow carries that datum further: sent on by a process, or
/// handed on by a queue, bucket or file share to whoever reads it. A database's rows are not
/// followed out: what the team's services read back is structured by the team, and a store's
/// own exposure is the store rules' concern. One search per datum over the flows that carry it,
/// so the work is that of sorting the (flow, datum) pairs, however many data a hub carries.
///
/// Model data (chunks of text, embeddings, a fine-tuning set) is not structured by the team: a
/// process handed outsiders' content writes that content into what it makes and sends. Such data
/// starts a second search where a process the first one reached sends it, unless the process
/// only passes it on (it receives that datum too).
fn outsiders_content(model: &Model, facts: &mut Facts) {
    let datum = |d: &threatforge_model::Sp<String>| model.data.get_index_of(&d.value);
    // Per datum, the hops it travels, (from, to): sent on a flow (source to target) or returned
    // on it (target to source); and where an outsider's copy of it starts.
    let mut hops: Vec<Vec<(usize, usize)>> = vec![Vec::new(); model.data.len()];
    let mut starts: Vec<Vec<usize>> = vec![Vec::new(); model.data.len()];
    let is_model: Vec<bool> = model
        .data
        .values()
        .map(|d| {
            d.categories
                .iter()
                .any(|c| c.value == threatforge_model::DataCategory::Model)
        })
        .collect();
    // Model data written by one component to another (writer, receiver, datum), for the second
    // search, and each (component, datum) of model data that reaches a component: a writer that
    // receives the datum it writes passes it on rather than makes it. A set, not a search of the
    // datum's hops per write, which a datum on many flows would make quadratic.
    let mut model_writes: Vec<(usize, usize, usize)> = Vec::new();
    let mut model_received: HashSet<(usize, usize)> = HashSet::new();
    for (f, ff) in facts.flows.iter().enumerate() {
        let (Some(s), Some(t)) = (ff.source, ff.target) else {
            continue;
        };
        let flow = &model.flows[f];
        let pulled = ff.answers_from_outside;
        for d in flow.data.iter().filter_map(datum) {
            hops[d].push((s, t));
            if ff.outsider_path {
                starts[d].push(t);
            }
            if is_model[d] {
                model_received.insert((t, d));
                if !flow.readonly {
                    model_writes.push((s, t, d));
                }
            }
        }
        for d in flow.returns.iter().filter_map(datum) {
            hops[d].push((t, s));
            if is_model[d] {
                model_received.insert((s, d));
            }
            if pulled {
                starts[d].push(s);
            }
        }
    }
    let passes_on: Vec<bool> = model
        .components
        .values()
        .map(|component| match component.effective_kind() {
            ComponentKind::Process => true,
            ComponentKind::Store => {
                component.has_trait("message-broker") || component.has_trait("filesystem")
            }
            ComponentKind::Actor => false,
        })
        .collect();
    for hops in &mut hops {
        hops.sort_unstable();
        hops.dedup();
    }
    let mut reached: HashSet<usize> = HashSet::new();
    spread_content(facts, &hops, starts, &passes_on, &mut reached);
    let mut written: Vec<Vec<usize>> = vec![Vec::new(); model.data.len()];
    for (s, t, d) in model_writes {
        // Made there, not passed on: a prompt template the service reads from its own store and
        // sends with each request is the team's, whatever else the request carries.
        if facts.components[s].handed_outsiders_content
            && passes_on[s]
            && !model_received.contains(&(s, d))
        {
            written[d].push(t);
        }
    }
    spread_content(facts, &hops, written, &passes_on, &mut reached);
}

/// Marks every datum with outsider copies as of unvetted origin, and every component those copies
/// reach from where they start, following the datum's hops (sorted) on from each component that
/// passes content on.
fn spread_content(
    facts: &mut Facts,
    hops: &[Vec<(usize, usize)>],
    starts: Vec<Vec<usize>>,
    passes_on: &[bool],
    reached: &mut HashSet<usize>,
) {
    for (d, (hops, mut stack)) in hops.iter().zip(starts).enumerate() {
        if stack.is_empty() {
            continue;
        }
        facts.data[d].unvetted_origin = true;
        reached.clear();
        while let Some(c) = stack.pop() {
            if !reached.insert(c) {
                continue;
            }
            facts.components[c].handed_outsiders_content = true;
            if !passes_on[c] {
                continue;
            }
            let from = hops.partition_point(|&(a, _)| a < c);
            stack.extend(
                hops[from..]
                    .iter()
                    .take_while(|&&(a, _)| a == c)
                    .map(|&(_, b)| b),
            );
        }
    }
}

/// Where requests start: an actor, or a person's client however it is drawn. Not the kind
/// makes a person's client (`ComponentFacts::person_client`): a team (or an importer, from
/// Threagile's `used_as_client_by_human` on a `process`) may draw the browser code it ships as a
/// process that people use, and on the internet it is where an outsider's requests come from.
pub(crate) fn starts_requests(
    component: &threatforge_model::Component,
    cf: &ComponentFacts,
) -> bool {
    component.effective_kind() == ComponentKind::Actor || cf.person_client
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PersonClient {
    No,
    /// It has the trait `human-client`.
    Declared,
    /// A process with web pages people use only through in-process calls.
    Inferred,
}

/// Which components are people's clients (`ComponentFacts::person_client`): those with the
/// trait `human-client`, and a process with web pages (`web-ui`) whose every inbound flow is an
/// in-process call (a protocol that never leaves the host) from one of them. That is browser
/// code the team ships drawn between the person and the API it calls (`customer -> spa -> api`,
/// as docs/language.md draws it): it runs in the person's browser, so its requests are the
/// person's, as if it declared `human-client` itself, and it stands where they stand: on the
/// internet when they are (an untrusted source, as trusted as the internet outside any zone of
/// the team's). A library a person's tool calls in-process without pages (an importer in a
/// command line) is left as drawn: it is the team's code handling what it is given. Run after
/// `untrusted_source` is set for the components as drawn; one pass over the flows.
fn person_clients(model: &Model, components: &mut [ComponentFacts]) -> Vec<PersonClient> {
    let declared: Vec<bool> = model
        .components
        .values()
        .map(|c| c.has_trait("human-client"))
        .collect();
    // Per component: flows in, flows in that are a person's in-process calls, and whether one
    // of those persons is an untrusted source.
    let mut inbound = vec![(0usize, 0usize, false); declared.len()];
    for flow in model.flows.values() {
        let source = model.components.get_index_of(&flow.source.value);
        let Some(t) = model.components.get_index_of(&flow.target.value) else {
            continue;
        };
        inbound[t].0 += 1;
        let local = threatforge_model::catalog()
            .protocol(flow.protocol_id())
            .is_some_and(|p| p.local);
        if let Some(s) = source.filter(|&s| declared[s] && local) {
            inbound[t].1 += 1;
            inbound[t].2 |= components[s].untrusted_source;
        }
    }
    let clients: Vec<PersonClient> = model
        .components
        .values()
        .zip(declared.iter().zip(&inbound))
        .map(|(c, (&declared, &(all, local, _)))| {
            if declared {
                PersonClient::Declared
            } else if c.effective_kind() == ComponentKind::Process
                && c.has_trait("web-ui")
                && all > 0
                && local == all
            {
                PersonClient::Inferred
            } else {
                PersonClient::No
            }
        })
        .collect();
    for ((cf, &client), &(_, _, untrusted_person)) in
        components.iter_mut().zip(&clients).zip(&inbound)
    {
        cf.person_client = client != PersonClient::No;
        if client == PersonClient::Inferred && untrusted_person {
            cf.untrusted_source = true;
            if cf.boundaries.is_empty() {
                cf.trust = 0;
            }
        }
    }
    clients
}

/// Which people's clients reach each component: a person's request passes through forwarders
/// (a CDN, a load balancer, a gateway) to the first component that answers it. Each search
/// visits a component once per kind of client (browser, native, web app), so the cost is linear
/// in the flows.
fn people(model: &Model, facts: &mut Facts, forwards: &[bool]) {
    // reached[c]: by a plain browser, by a native client, by a web app drawn as the person's
    // client (both of the last two draw their own screens).
    const BROWSER: u8 = 1;
    const NATIVE: u8 = 2;
    const WEB_APP: u8 = 4;
    let mut stack: Vec<(usize, u8)> = Vec::new();
    for (c, (component, cf)) in model.components.values().zip(&facts.components).enumerate() {
        // Not the kind (`starts_requests`).
        if cf.person_client {
            let bit = if component.has_trait("native-client") {
                NATIVE
            } else if component.has_trait("web-ui") {
                WEB_APP
            } else {
                BROWSER
            };
            stack.push((c, bit));
        }
    }
    let people: Vec<(usize, u8)> = stack.clone();
    let mut reached = spread(facts, stack, forwards, |_| true);
    // A person's own client is not reached by people.
    for (c, _) in people {
        reached[c] = 0;
    }
    for (cf, bits) in facts.components.iter_mut().zip(reached) {
        cf.native_clients_only = bits == NATIVE;
        cf.app_clients_only = bits != 0 && bits & BROWSER == 0;
        cf.used_by_people = bits != 0;
    }
}

/// Where web requests from the internet arrive unfiltered (`ComponentFacts::unfiltered_web_traffic`)
/// and what the internet reaches through forwarders (`ComponentFacts::published_to_internet`).
fn internet_front(model: &Model, facts: &mut Facts) {
    let flows: Vec<&threatforge_model::Flow> = model.flows.values().map(|f| &**f).collect();
    let private = |flow: &threatforge_model::Flow| {
        flow.has_control("vpn")
            || ((flow.has_control("mtls")
                || flow.has_control("message-signing")
                || matches!(
                    flow.authentication(),
                    Authentication::ClientCertificate | Authentication::Signature
                ))
                && matches!(flow.protocol_family(), "http" | ""))
    };
    let web = |f: usize| matches!(flows[f].protocol_family(), "http" | "") && !private(flows[f]);
    // A VPN gateway or bastion forwards too, but only what signed in to it: what it leads to is
    // neither unfiltered web traffic nor published (`passes_requests_on`).
    let published_passes_on: Vec<bool> = facts
        .components
        .iter()
        .map(|cf| cf.passes_requests_on)
        .collect();
    let unfiltered_passes_on: Vec<bool> = model
        .components
        .values()
        .zip(&published_passes_on)
        .map(|(c, &passes_on)| {
            passes_on && !c.has_trait("filters-traffic") && !c.has_control("waf")
        })
        .collect();
    let unfiltered = from_outside(model, facts, &unfiltered_passes_on, web);
    let published = from_outside(model, facts, &published_passes_on, |f| {
        !flows[f].has_control("vpn")
    });
    for ((cf, unfiltered), published) in facts.components.iter_mut().zip(unfiltered).zip(published)
    {
        cf.unfiltered_web_traffic = unfiltered;
        cf.published_to_internet = published;
    }
}

/// The components requests from untrusted actors reach over flows `carries` accepts, going on
/// from a component only where `passes_on` says it passes requests on; the actors themselves
/// are not counted. A component the model exposes to the internet (`exposure: internet`) is
/// reached by the internet whether or not the model draws who calls it, and what it passes on
/// too.
fn from_outside(
    model: &Model,
    facts: &Facts,
    passes_on: &[bool],
    carries: impl Fn(usize) -> bool,
) -> Vec<bool> {
    let mut sources: Vec<(usize, u8)> = Vec::new();
    let mut exposed: Vec<usize> = Vec::new();
    for (c, component) in model.components.values().enumerate() {
        if starts_requests(component, &facts.components[c]) {
            if facts.components[c].untrusted_source {
                sources.push((c, 1));
            }
        } else if component.exposure == Some(Exposure::Internet) {
            exposed.push(c);
        }
    }
    let actors: Vec<usize> = sources.iter().map(|&(c, _)| c).collect();
    sources.extend(exposed.iter().filter(|&&c| passes_on[c]).map(|&c| (c, 1)));
    let mut reached = spread(facts, sources, passes_on, carries);
    for c in actors {
        reached[c] = 0;
    }
    for c in exposed {
        reached[c] = 1;
    }
    reached.into_iter().map(|bits| bits != 0).collect()
}

/// Where people's password logins are answered (`ComponentFacts::password_logins`): the targets
/// of the flows that carry them, followed through forwarders. Run after `used_by_people` is set.
fn password_logins(model: &Model, facts: &mut Facts, forwards: &[bool]) {
    // A forwarder that signs people in itself answers their password login: a VPN gateway or
    // bastion (`remote-access`), or a proxy that asks for their second factor (`mfa`), which it
    // can only do by checking who they are.
    let remote_access: Vec<bool> = model
        .components
        .values()
        .map(|c| c.has_trait("remote-access"))
        .collect();
    let signs_in: Vec<bool> = model
        .components
        .values()
        .zip(&remote_access)
        .map(|(c, &remote)| remote || c.has_control("mfa"))
        .collect();
    let mut reached = vec![0u8; facts.components.len()];
    let mut origins: Vec<(usize, u8)> = Vec::new();
    for (flow, ff) in model.flows.values().zip(&facts.flows) {
        let (Some(source), Some(target)) = (ff.source, ff.target) else {
            continue;
        };
        let from_person = facts.components[source].person_client
            || (forwards[source] && facts.components[source].used_by_people);
        if from_person
            && flow.authentication() == Authentication::Credentials
            && reached[target] == 0
        {
            reached[target] = 1;
            if forwards[target] {
                origins.push((target, 1));
            }
        }
    }
    // Out of a forwarder that signs people in, the password goes on only over a hop that proves
    // nothing of its own, or the same password: one with a session, a token or a certificate
    // carries what the login was exchanged for. A forwarder that signs no one in passes the
    // requests on as they came, whatever its hops declare, unless it draws a hop of its own for
    // passwords (a gateway's sign-in route beside its API routes, which carry the tokens the
    // sign-in hands out): then the password goes on over those hops only. A VPN gateway's login
    // ends at the gateway: what its tunnel carries on is network traffic, and a service behind
    // that asks people for their password again is reached by a hop of its own (above).
    let login_route: Vec<bool> = facts
        .components
        .iter()
        .map(|cf| {
            cf.outbound
                .iter()
                .any(|&f| model.flows[f].authentication() == Authentication::Credentials)
        })
        .collect();
    let behind = spread(facts, origins, forwards, |f| match facts.flows[f].source {
        Some(s) if remote_access[s] => false,
        Some(s) if signs_in[s] => matches!(
            model.flows[f].authentication(),
            Authentication::None | Authentication::Credentials
        ),
        Some(s) if login_route[s] => model.flows[f].authentication() == Authentication::Credentials,
        _ => true,
    });
    for (c, cf) in facts.components.iter_mut().enumerate() {
        let passes_to_process = forwards[c]
            && !signs_in[c]
            && cf.outbound.iter().any(|&f| {
                facts.flows[f].target.is_some_and(|t| {
                    model
                        .components
                        .get_index(t)
                        .is_some_and(|(_, c)| c.effective_kind() == ComponentKind::Process)
                })
            });
        cf.password_logins = (reached[c] | behind[c]) != 0 && !passes_to_process;
    }
}

/// Where people's logins are answered when the model does not draw a password login
/// (`ComponentFacts::delegated_logins`, `ComponentFacts::assumed_logins`). Linear in the flows:
/// one backward search from the identity providers through forwarders, one forward search from
/// the flows people open with a session or token.
fn other_logins(model: &Model, facts: &mut Facts, forwards: &[bool]) {
    let n = facts.components.len();
    let idp: Vec<bool> = model
        .components
        .values()
        .map(|c| c.has_trait("identity-provider"))
        .collect();
    // Forwarders that lead to an identity provider: a person's client that goes through one
    // to an identity provider signs in there.
    let mut leads_to_idp = vec![false; n];
    let mut stack: Vec<usize> = (0..n).filter(|&c| idp[c]).collect();
    while let Some(c) = stack.pop() {
        for &f in &facts.components[c].inbound {
            if let Some(s) = facts.flows[f].source
                && forwards[s]
                && !leads_to_idp[s]
            {
                leads_to_idp[s] = true;
                stack.push(s);
            }
        }
    }
    let to_idp = |c: usize| idp[c] || (forwards[c] && leads_to_idp[c]);
    let calls_idp: Vec<bool> = facts
        .components
        .iter()
        .map(|cf| {
            cf.outbound
                .iter()
                .any(|&f| facts.flows[f].target.is_some_and(to_idp))
        })
        .collect();
    let mut reached = vec![0u8; n];
    let mut origins: Vec<(usize, u8)> = Vec::new();
    for (flow, ff) in model.flows.values().zip(&facts.flows) {
        let (Some(source), Some(target)) = (ff.source, ff.target) else {
            continue;
        };
        let person = facts.components[source].person_client;
        if person
            && matches!(
                flow.authentication(),
                Authentication::Session | Authentication::Token
            )
            && !calls_idp[source]
            && reached[target] == 0
        {
            reached[target] = 1;
            if forwards[target] {
                origins.push((target, 1));
            }
        }
    }
    // A forwarder passes people's requests on where the next hop carries the same kind of
    // login (a session or a token), not to every service behind it: a partner's API-key or
    // certificate route through the same load balancer is no person's login.
    let behind = spread(facts, origins, forwards, |f| {
        matches!(
            model.flows[f].authentication(),
            Authentication::Session | Authentication::Token
        )
    });
    let is_process: Vec<bool> = model
        .components
        .values()
        .map(|c| c.effective_kind() == ComponentKind::Process)
        .collect();
    let mut delegated = vec![false; n];
    for c in 0..n {
        let cf = &facts.components[c];
        if is_process[c] && !forwards[c] && (cf.used_by_people || cf.password_logins) {
            for &f in &cf.outbound {
                if let Some(t) = facts.flows[f].target
                    && idp[t]
                {
                    delegated[t] = true;
                }
            }
        }
    }
    let assumed: Vec<bool> = (0..n)
        .map(|c| {
            (reached[c] | behind[c]) != 0
                && is_process[c]
                && !forwards[c]
                && !idp[c]
                && !facts.components[c].password_logins
                && !calls_idp[c]
        })
        .collect();
    for (c, assumed) in assumed.into_iter().enumerate() {
        let cf = &mut facts.components[c];
        cf.delegated_logins = delegated[c] && !cf.used_by_people;
        cf.assumed_logins = assumed;
    }
}

/// Which actors' requests reach each component through the processes that pass them on: people's
/// clients, or only devices and other systems. A store answers and passes nothing on, and an
/// actor is where a request starts, so the search goes through processes only; each component is
/// visited once per kind of origin, linear in the flows.
fn machine_callers(model: &Model, facts: &mut Facts) {
    const PERSON: u8 = 1;
    const MACHINE: u8 = 2;
    let passes_on: Vec<bool> = model
        .components
        .values()
        .map(|c| c.effective_kind() == ComponentKind::Process)
        .collect();
    let origins: Vec<(usize, u8)> = model
        .components
        .values()
        .enumerate()
        .filter(|&(i, c)| starts_requests(c, &facts.components[i]))
        .map(|(i, _)| {
            (
                i,
                if facts.components[i].person_client {
                    PERSON
                } else {
                    MACHINE
                },
            )
        })
        .collect();
    let anonymous = anonymous_reach(model, facts, &origins, &passes_on);
    let reached = spread(facts, origins, &passes_on, |_| true);
    for ((cf, bits), anonymous) in facts.components.iter_mut().zip(reached).zip(anonymous) {
        cf.serves_machines_only = bits == MACHINE;
        cf.anonymous_callers_only = anonymous;
    }
}

/// Per component, whether the requests that reach it from `origins` (through the components
/// `passes_on` marks) all came without an authenticated flow on their way: a request is signed
/// in once any flow it crosses authenticates.
fn anonymous_reach(
    model: &Model,
    facts: &Facts,
    origins: &[(usize, u8)],
    passes_on: &[bool],
) -> Vec<bool> {
    const ANONYMOUS: u8 = 1;
    const SIGNED_IN: u8 = 2;
    let authenticates: Vec<bool> = model
        .flows
        .values()
        .map(|f| f.authentication() != Authentication::None)
        .collect();
    let origins = origins.iter().map(|&(c, _)| (c, ANONYMOUS)).collect();
    spread_changing(facts, origins, passes_on, |f, bit| {
        Some(if authenticates[f] { SIGNED_IN } else { bit })
    })
    .into_iter()
    .map(|bits| bits == ANONYMOUS)
    .collect()
}

/// Marks, per component, the bits of the origins whose requests reach it along the flows
/// `carries` accepts, going on from a component only where `passes_on` says it passes requests
/// on. Each component is entered once per bit, so the cost is linear in the flows.
fn spread(
    facts: &Facts,
    origins: Vec<(usize, u8)>,
    passes_on: &[bool],
    carries: impl Fn(usize) -> bool,
) -> Vec<u8> {
    spread_changing(facts, origins, passes_on, |f, bit| {
        carries(f).then_some(bit)
    })
}

/// [`spread`] where crossing a flow may change what a request is: `step` gives the bit it
/// carries on past flow `f` (an anonymous request becomes a signed-in one), or `None` where the
/// flow does not carry it. Still each component once per bit, linear in the flows.
fn spread_changing(
    facts: &Facts,
    origins: Vec<(usize, u8)>,
    passes_on: &[bool],
    step: impl Fn(usize, u8) -> Option<u8>,
) -> Vec<u8> {
    let mut reached = vec![0u8; facts.components.len()];
    let mut stack = origins;
    while let Some((c, bit)) = stack.pop() {
        for &f in &facts.components[c].outbound {
            let Some(t) = facts.flows[f].target else {
                continue;
            };
            let Some(after) = step(f, bit) else {
                continue;
            };
            if reached[t] & after == 0 {
                reached[t] |= after;
                if passes_on[t] {
                    stack.push((t, after));
                }
            }
        }
    }
    reached
}

/// What an attacker holds on a path from an untrusted source: nothing, or a credential that keeps
/// no one out: its kind, and whether it is an account anyone can sign up for (else a third
/// party's, which identifies the party and nobody behind it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    Nothing,
    Credential {
        kind: Authentication,
        signed_up: bool,
    },
}

impl Holds {
    /// One bit of a `u16` per state: `Authentication` has 7 values, so 1 + 2 x 7 bits.
    fn bit(self) -> u16 {
        match self {
            Holds::Nothing => 1,
            Holds::Credential { kind, signed_up } => {
                1 << (1 + 2 * kind as u16 + u16::from(signed_up))
            }
        }
    }
}

/// Whose authentication keeps nobody out, per component.
struct Open {
    /// Actors whose accounts anyone can get by signing up.
    signs_up: Vec<bool>,
    /// Source repositories and build runners: a runner runs whatever the repository that
    /// dispatches its jobs holds, so the dispatch's credential proves where a job came from, not
    /// that its code is the team's.
    repository: Vec<bool>,
    runner: Vec<bool>,
    /// Third-party actors: authenticating them tells who calls, not that the input is trusted.
    third_party: Vec<bool>,
    /// Services that give an account to anyone who signs up.
    sign_up_target: Vec<bool>,
    /// VPN gateways and bastions (`remote-access`) whose every way in authenticates: what they
    /// pass on comes from someone who signed in to them, even where they face the internet.
    signed_in_only: Vec<bool>,
}

/// Per component, whether it is remote access that only people who signed in get through
/// (`Open::signed_in_only`): a VPN gateway or bastion with no unauthenticated flow in. One with
/// no flow drawn in is taken at its word: a login is what remote access is.
fn signed_in_only(model: &Model, facts: &Facts) -> Vec<bool> {
    model
        .components
        .values()
        .zip(&facts.components)
        .map(|(c, cf)| {
            c.has_trait("remote-access")
                && cf
                    .inbound
                    .iter()
                    .all(|&f| model.flows[f].authentication() != Authentication::None)
        })
        .collect()
}

/// Whether an attacker holding `holds` at the flow's source gets past the flow, and what they hold
/// beyond it. A credential passes where it is checked again (a key a gateway passes on) and,
/// for an account anyone can sign up for, wherever the user's identity is carried on.
fn pass(model: &Model, open: &Open, f: usize, s: usize, t: usize, holds: Holds) -> Option<Holds> {
    let flow = &model.flows[f];
    let kind = flow.authentication();
    // Standing before a VPN gateway's login (it faces the internet) is not being inside its
    // tunnel: only who signed in to it gets through, which the flows into it carry.
    if holds == Holds::Nothing && open.signed_in_only[s] {
        return None;
    }
    if kind == Authentication::None || (open.repository[s] && open.runner[t]) {
        return Some(holds);
    }
    if open.signs_up[s] || open.sign_up_target[t] {
        return Some(Holds::Credential {
            kind,
            signed_up: true,
        });
    }
    if open.third_party[s] {
        return Some(Holds::Credential {
            kind,
            signed_up: false,
        });
    }
    match holds {
        Holds::Credential {
            kind: held,
            signed_up,
        } if held == kind || (signed_up && flow.authorization() == Authorization::User) => {
            Some(Holds::Credential { kind, signed_up })
        }
        _ => None,
    }
}

/// What `derive` learns of one flow from the model and its ends' zones alone.
struct ResolvedFlow {
    facts: FlowFacts,
    /// The data it sends, then the data it returns (`sent` of them first), as indexes.
    carried: Vec<usize>,
    sent: usize,
}

fn resolve_flow(model: &Model, components: &[ComponentFacts], f: usize) -> ResolvedFlow {
    let flow = &model.flows[f];
    let source = model.components.get_index_of(&flow.source.value);
    let target = model.components.get_index_of(&flow.target.value);
    let in_scope = flow.out_of_scope.is_none()
        && match (source, target) {
            (Some(s), Some(t)) => [s, t]
                .iter()
                .any(|&c| model.components[c].out_of_scope.is_none()),
            _ => false,
        };
    let datum = |d: &threatforge_model::Sp<String>| model.data.get_index_of(&d.value);
    let mut carried: Vec<usize> = flow.data.iter().filter_map(datum).collect();
    let sent = carried.len();
    carried.extend(flow.returns.iter().filter_map(datum));
    let mut resolved = ResolvedFlow {
        facts: FlowFacts {
            source,
            target,
            crosses: Vec::new(),
            in_scope,
            hops: -1,
            outsider_path: false,
            answers_from_outside: false,
            callers: None,
        },
        carried,
        sent,
    };
    if let (Some(s), Some(t)) = (source, target) {
        let zone = |c: usize| -> Vec<&str> {
            let chain = &components[c].boundaries;
            if chain.is_empty() && model.components[c].exposure == Some(Exposure::Internet) {
                vec![threatforge_model::INTERNET]
            } else {
                chain
                    .iter()
                    .map(|&b| model.boundaries[b].id.value.as_str())
                    .collect()
            }
        };
        let (zs, zt) = (zone(s), zone(t));
        resolved.facts.crosses = zs
            .iter()
            .filter(|b| !zt.contains(b))
            .chain(zt.iter().filter(|b| !zs.contains(b)))
            .map(|&b| b.to_owned())
            .collect();
        resolved.facts.answers_from_outside = answers_from_outside(model, &components[t], s, t, f);
    }
    resolved
}

/// Whether flow `f` brings back data from `t` that outsiders write: `t` is an untrusted source,
/// and not one of the team's own services there, whose answers are the team's own output. A
/// caller that fetches URLs clients influence (`fetches-urls`: webhooks, previews) takes an
/// answer whatever the flow declares: a redirect from the outsider's server is one.
fn answers_from_outside(model: &Model, tf: &ComponentFacts, s: usize, t: usize, f: usize) -> bool {
    let target = &model.components[t];
    tf.untrusted_source
        && (!model.flows[f].returns.is_empty() || model.components[s].has_trait("fetches-urls"))
        && (target.effective_kind() != ComponentKind::Process
            || target.out_of_scope.is_some()
            || target.has_trait("third-party"))
}

/// Whether component `c` is a party outside the team: a third party, or an actor, store or
/// out-of-scope component in an untrusted zone or facing the internet (a shopper's browser, a
/// charger in the field, a supplier's server). The team's own services there are not: what they
/// send is the team's output.
fn is_outsider(model: &Model, cf: &ComponentFacts, c: usize) -> bool {
    let component = &model.components[c];
    component.has_trait("third-party")
        || (cf.untrusted_source
            && (component.effective_kind() != ComponentKind::Process
                || component.out_of_scope.is_some()
                || cf.person_client))
}

/// From every untrusted source (out-of-scope ones too: the internet does not leave with them)
/// along every flow whose ends exist (out-of-scope flows too: they still carry traffic): hop
/// counts, breadth-first with the hops out of forwarding components weighing nothing (0-1 BFS),
/// then the paths on which no flow authenticates, and those on which nothing keeps an outsider
/// out (breadth-first over what the attacker holds). A flow with `on_behalf_of` is followed
/// only for the callers it names (`Callers`).
fn reachability(model: &Model, facts: &mut Facts, clients: &[PersonClient]) {
    let n = model.components.len();
    let mut next: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (f, ff) in facts.flows.iter().enumerate() {
        if let (Some(s), Some(t)) = (ff.source, ff.target) {
            next[s].push((f, t));
        }
    }
    let sources: Vec<usize> = (0..n)
        .filter(|&c| facts.components[c].untrusted_source)
        .collect();
    let actor_with = |name: &str| -> Vec<bool> {
        model
            .components
            .values()
            .map(|c| c.effective_kind() == ComponentKind::Actor && c.has_trait(name))
            .collect()
    };
    let with_trait = |name: &str| -> Vec<bool> {
        model
            .components
            .values()
            .map(|c| c.has_trait(name))
            .collect()
    };
    // Browser code people use in-process (`person_clients`) holds the accounts they hold: an
    // app anyone signs up for, or a third party's, is theirs, though the app declares neither.
    let of_its_people = |mut of_actors: Vec<bool>| -> Vec<bool> {
        for ff in &facts.flows {
            if let (Some(s), Some(t)) = (ff.source, ff.target)
                && of_actors[s]
                && clients[t] == PersonClient::Inferred
            {
                of_actors[t] = true;
            }
        }
        of_actors
    };
    let open = Open {
        signs_up: of_its_people(actor_with(OPEN_SIGN_UP)),
        third_party: of_its_people(actor_with("third-party")),
        repository: with_trait("source-repository"),
        runner: with_trait("build-system"),
        sign_up_target: with_trait(OPEN_SIGN_UP),
        signed_in_only: signed_in_only(model, facts),
    };
    // A request leaves a proxy, load balancer or gateway as it came in: the component behind
    // is as near to the attacker as the one in front. An untrusted source that forwards still
    // counts its hop: the attacker stands before it.
    let free: Vec<bool> = (0..n)
        .map(|c| {
            !facts.components[c].untrusted_source
                && model.components[c].has_trait("forwards-traffic")
        })
        .collect();
    let callers = Callers::new(model);

    // Each search walks states: a component, and for a forwarder the caller whose request it
    // carries (`Callers`); without `on_behalf_of` in the model, every state is a component's.
    let mut hops: States<i64> = States::new(n, -1);
    let mut flow_hops: Vec<i64> = vec![-1; model.flows.len()];
    let mut done: States<bool> = States::new(n, false);
    let mut queue: VecDeque<(usize, Caller)> = VecDeque::new();
    for &c in &sources {
        *hops.at(c, NO_CALLER) = 0;
        queue.push_back((c, NO_CALLER));
    }
    while let Some((c, caller)) = queue.pop_front() {
        if std::mem::replace(done.at(c, caller), true) {
            continue;
        }
        let weight = i64::from(!free[c]);
        let here = *hops.at(c, caller);
        for &(f, t) in &next[c] {
            let Some(after) = callers.over(f, c, caller, t) else {
                continue;
            };
            let through = here + weight;
            let flow = &mut flow_hops[f];
            if *flow < 0 || through < *flow {
                *flow = through;
            }
            let there = hops.at(t, after);
            if *there < 0 || through < *there {
                *there = through;
                if weight == 0 {
                    queue.push_front((t, after));
                } else {
                    queue.push_back((t, after));
                }
            }
        }
    }

    // reached: what an attacker can hold on getting to a state (`Holds::bit`).
    let mut reached: States<u16> = States::new(n, 0);
    let mut queue: VecDeque<(usize, Caller, Holds)> = VecDeque::new();
    for &c in &sources {
        *reached.at(c, NO_CALLER) |= Holds::Nothing.bit();
        queue.push_back((c, NO_CALLER, Holds::Nothing));
    }
    while let Some((c, caller, holds)) = queue.pop_front() {
        for &(f, t) in &next[c] {
            let Some(after_caller) = callers.over(f, c, caller, t) else {
                continue;
            };
            let Some(after) = pass(model, &open, f, c, t, holds) else {
                continue;
            };
            facts.flows[f].outsider_path = true;
            let there = reached.at(t, after_caller);
            if *there & after.bit() == 0 {
                *there |= after.bit();
                queue.push_back((t, after_caller, after));
            }
        }
    }
    for (ff, hops) in facts.flows.iter_mut().zip(flow_hops) {
        ff.hops = hops;
    }
    let hops = hops.per_component(|a, b| if a < 0 || (b >= 0 && b < a) { b } else { a });
    let reached = reached.per_component(|a, b| a | b);
    for (c, cf) in facts.components.iter_mut().enumerate() {
        cf.internet_hops = hops[c];
        cf.reachable_from_internet = hops[c] >= 0;
        cf.unauthenticated_path = reached[c] & Holds::Nothing.bit() != 0;
        cf.outsider_path = reached[c] != 0;
    }
    second_factors(model, facts, &next, &sources);
}

/// Which components an outsider reaches only past a second factor
/// (`ComponentFacts::second_factor_before`): a search from the untrusted sources that does not go
/// on from a service holding `mfa` whose every way in authenticates (its login asks for the second
/// factor), then a search from the services it stopped at, naming for each
/// component beyond them the first that reaches it. Both visit each component once. Flows
/// carried for named callers (`on_behalf_of`) are all followed: a path too many can only take
/// the step away, never give it.
fn second_factors(
    model: &Model,
    facts: &mut Facts,
    next: &[Vec<(usize, usize)>],
    sources: &[usize],
) {
    let n = model.components.len();
    // A service whose every way in is a login that asks for the second factor. An internet-facing
    // one (a VPN gateway) is an untrusted source itself: the attacker stands before its login.
    let asks_second_factor: Vec<bool> = model
        .components
        .values()
        .zip(&facts.components)
        .map(|(c, cf)| {
            c.effective_kind() == ComponentKind::Process
                && c.has_control("mfa")
                && !cf.inbound.is_empty()
                && cf
                    .inbound
                    .iter()
                    .all(|&f| model.flows[f].authentication() != Authentication::None)
        })
        .collect();
    if !asks_second_factor.contains(&true) {
        return;
    }
    let mut around = vec![false; n];
    let mut stopped_at = vec![false; n];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for &c in sources {
        if asks_second_factor[c] {
            stopped_at[c] = true;
        } else {
            around[c] = true;
            queue.push_back(c);
        }
    }
    while let Some(c) = queue.pop_front() {
        for &(_, t) in &next[c] {
            if around[t] {
                continue;
            }
            if asks_second_factor[t] {
                stopped_at[t] = true;
                continue;
            }
            around[t] = true;
            queue.push_back(t);
        }
    }
    let mut before: Vec<Option<usize>> = vec![None; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&g| stopped_at[g] && !around[g]).collect();
    for &g in &queue {
        before[g] = Some(g);
    }
    while let Some(c) = queue.pop_front() {
        for &(_, t) in &next[c] {
            if before[t].is_none() && !around[t] {
                before[t] = before[c];
                queue.push_back(t);
            }
        }
    }
    for (c, cf) in facts.components.iter_mut().enumerate() {
        cf.second_factor_before = before[c].filter(|&g| g != c && cf.reachable_from_internet);
    }
}

/// The caller a forwarder carries a request for: an index into `Callers::named`, or none.
type Caller = u32;
const NO_CALLER: Caller = u32::MAX;

/// Who a request is for, where flows out of a shared forwarder say so (`on_behalf_of`). A
/// request enters a chain of forwarders from its caller, the last component before them that
/// does not forward, and keeps that caller until it leaves the chain; a flow with
/// `on_behalf_of` carries only its callers' requests. Only callers some flow names are told
/// apart (the rest are one "anyone else"), so a model without `on_behalf_of` walks one state per
/// component, and one with it at most one per forwarder and named caller more.
struct Callers {
    forwards: Vec<bool>,
    /// For each component, its index among the named callers, or `NO_CALLER`.
    named: Vec<Caller>,
    /// For each flow, the callers whose requests it carries; empty for everyone's.
    carries: Vec<Vec<Caller>>,
}

impl Callers {
    fn new(model: &Model) -> Self {
        let mut named = vec![NO_CALLER; model.components.len()];
        let mut count: Caller = 0;
        let carries = model
            .flows
            .values()
            .map(|flow| {
                let mut carries: Vec<Caller> = flow
                    .on_behalf_of
                    .iter()
                    .filter_map(|caller| model.components.get_index_of(&caller.value))
                    .map(|c| {
                        if named[c] == NO_CALLER {
                            named[c] = count;
                            count += 1;
                        }
                        named[c]
                    })
                    .collect();
                // A list of unknown ids (reported by the loader) still carries nobody's.
                if carries.is_empty() && !flow.on_behalf_of.is_empty() {
                    carries.push(NO_CALLER);
                }
                carries
            })
            .collect();
        Callers {
            forwards: model
                .components
                .values()
                .map(|c| c.has_trait("forwards-traffic"))
                .collect(),
            named,
            carries,
        }
    }

    /// Whether a request at `c` for `caller` goes over flow `f` to `t`, and for whom it travels
    /// on there (a caller only while in a chain of forwarders).
    fn over(&self, f: usize, c: usize, caller: Caller, t: usize) -> Option<Caller> {
        let serving = if self.forwards[c] {
            caller
        } else {
            self.named[c]
        };
        let carries = &self.carries[f];
        if !carries.is_empty() && (serving == NO_CALLER || !carries.contains(&serving)) {
            return None;
        }
        Some(if self.forwards[t] { serving } else { NO_CALLER })
    }
}

/// A value per search state: one per component for requests of no named caller, and the few
/// forwarder-and-caller states beside them.
struct States<T> {
    plain: Vec<T>,
    named: std::collections::HashMap<(usize, Caller), T>,
    empty: T,
}

impl<T: Copy> States<T> {
    fn new(n: usize, empty: T) -> Self {
        States {
            plain: vec![empty; n],
            named: std::collections::HashMap::new(),
            empty,
        }
    }

    fn at(&mut self, c: usize, caller: Caller) -> &mut T {
        if caller == NO_CALLER {
            &mut self.plain[c]
        } else {
            self.named.entry((c, caller)).or_insert(self.empty)
        }
    }

    /// Every component's value over its states, in an order that does not depend on hashing.
    fn per_component(self, merge: impl Fn(T, T) -> T) -> Vec<T> {
        let mut out = self.plain;
        let mut named: Vec<((usize, Caller), T)> = self.named.into_iter().collect();
        named.sort_unstable_by_key(|(key, _)| *key);
        for ((c, _), value) in named {
            out[c] = merge(out[c], value);
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use threatforge_model::{LoadOptions, load_str};

    /// A model from text, which must load without errors (the crate's unit tests share it).
    pub(crate) fn model_of(text: &str) -> Model {
        let loaded = load_str(
            "m.yaml",
            text,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        loaded.model
    }

    fn facts_of(text: &str) -> (Model, Facts) {
        let model = model_of(text);
        let facts = derive(&model);
        (model, facts)
    }

    fn component<'f>(model: &Model, facts: &'f Facts, id: &str) -> &'f ComponentFacts {
        let i = model
            .components
            .get_index_of(id)
            .unwrap_or_else(|| panic!("no component {id}"));
        &facts.components[i]
    }

    fn hops(model: &Model, facts: &Facts, ids: &[&str]) -> Vec<i64> {
        ids.iter()
            .map(|id| component(model, facts, id).internet_hops)
            .collect()
    }

    /// A public link service and an authenticated API behind one CDN and load balancer.
    fn shared_front(links: &str, api: &str) -> String {
        format!(
            "system: {{ name: t }}
components:
  visitor: {{ technology: browser, exposure: internet }}
  customer: {{ technology: single-page-app, exposure: internet }}
  cdn: {{ technology: cdn }}
  lb: {{ technology: load-balancer }}
  links: {{ technology: web-application }}
  api: {{ technology: api-service }}
  db: {{ technology: postgresql }}
flows:
  - visitor -> cdn: {{ protocol: https }}
  - customer -> cdn: {{ protocol: https, authentication: token }}
  - cdn -> lb: {{ protocol: https }}
  - lb -> links: {{ protocol: https{links} }}
  - lb -> api: {{ protocol: https{api} }}
  - api -> db: {{ protocol: postgres-tls, authentication: credentials }}
"
        )
    }

    #[test]
    fn flows_on_behalf_of_callers_keep_their_paths_apart_behind_a_shared_front() {
        // Without `on_behalf_of`, the anonymous visitor's path through the CDN and the balancer
        // reaches the API too: nothing on it authenticates.
        let (model, facts) = facts_of(&shared_front("", ""));
        let api = component(&model, &facts, "api");
        assert!(api.unauthenticated_path && api.outsider_path);

        let (model, facts) = facts_of(&shared_front(
            ", on_behalf_of: [visitor]",
            ", on_behalf_of: [customer]",
        ));
        // The public link service is still open to anyone, over the visitor's path ...
        let links = component(&model, &facts, "links");
        assert!(links.reachable_from_internet && links.unauthenticated_path);
        // ... and the API is reached only over the customer's, which authenticates.
        let api = component(&model, &facts, "api");
        assert!(api.reachable_from_internet);
        assert!(!api.unauthenticated_path && !api.outsider_path);
        assert_eq!(hops(&model, &facts, &["links", "api", "db"]), [1, 1, 2]);
        let flow = |id: &str| &facts.flows[model.flows.get_index_of(id).expect("flow")];
        assert!(flow("lb->links").outsider_path);
        assert!(!flow("lb->api").outsider_path);
        assert_eq!(flow("lb->api").hops, 1);

        // A caller no flow into the front comes from reaches nothing over it.
        let (model, facts) = facts_of(&shared_front(
            ", on_behalf_of: [visitor]",
            ", on_behalf_of: [db]",
        ));
        let api = component(&model, &facts, "api");
        assert!(!api.reachable_from_internet && api.internet_hops == -1);
        assert_eq!(
            facts.flows[model.flows.get_index_of("lb->api").expect("flow")].hops,
            -1
        );
    }

    /// A runner runs what its repository dispatches: the dispatch's token proves the job came from
    /// the repository, not that an outsider did not write its code. What else the repository
    /// calls with a credential is as protected as before.
    #[test]
    fn a_runner_is_as_reachable_as_the_repository_that_dispatches_its_jobs() {
        let model_with = |developer_auth: &str| {
            format!(
                "system: {{ name: t }}
components:
  developer: {{ technology: user, exposure: internet }}
  repo: {{ technology: source-repository, kind: process }}
  runner: {{ technology: ci-pipeline }}
  chat: {{ technology: api-service }}
flows:
  - developer -> repo: {{ protocol: https{developer_auth} }}
  - repo -> runner: {{ protocol: https, authentication: token }}
  - repo -> chat: {{ protocol: https, authentication: token }}
"
            )
        };
        let (model, facts) = facts_of(&model_with(""));
        assert!(component(&model, &facts, "repo").unauthenticated_path);
        assert!(component(&model, &facts, "runner").unauthenticated_path);
        assert!(!component(&model, &facts, "chat").unauthenticated_path);
        let (model, facts) = facts_of(&model_with(", authentication: credentials"));
        assert!(!component(&model, &facts, "repo").unauthenticated_path);
        let runner = component(&model, &facts, "runner");
        assert!(!runner.unauthenticated_path && !runner.outsider_path);
    }

    #[test]
    fn an_out_of_scope_internet_actor_still_reaches_what_it_calls() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  visitor: { technology: browser, exposure: internet, out_of_scope: The public }
  lb: { technology: load-balancer }
  app: { technology: api-service }
  db: { technology: postgresql }
flows:
  - visitor -> lb: { protocol: https }
  - lb -> app: { protocol: http }
  - app -> db: { protocol: postgres-tls, authentication: credentials }
",
        );
        assert!(component(&model, &facts, "visitor").untrusted_source);
        assert_eq!(hops(&model, &facts, &["lb", "app", "db"]), [1, 1, 2]);
        let app = component(&model, &facts, "app");
        assert!(app.reachable_from_internet && app.unauthenticated_path && app.outsider_path);
        let db = component(&model, &facts, "db");
        assert!(!db.unauthenticated_path && !db.outsider_path);
        // The visitor's flow is assessed (the load balancer is in scope) and is the balancer's.
        assert!(facts.flows[0].in_scope);
        assert_eq!(component(&model, &facts, "lb").inbound, [0]);
        assert_eq!(component(&model, &facts, "visitor").outbound, [0]);
    }

    #[test]
    fn what_a_third_party_answers_reaches_the_caller() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  supplier: { technology: partner-system, exposure: internet }
  own-api: { technology: api-service, exposure: internet }
  importer: { technology: batch-job }
  poller: { technology: batch-job }
  db: { technology: postgresql }
flows:
  - importer -> supplier: { protocol: sftp, authentication: credentials, readonly: true, returns: [feed] }
  - importer -> db: { protocol: postgres-tls, authentication: credentials, data: [feed] }
  - poller -> own-api: { protocol: https, authentication: token, readonly: true, returns: [feed] }
data:
  feed: { classification: internal }
",
        );
        let importer = component(&model, &facts, "importer");
        assert!(importer.pulls_untrusted_input);
        // Nobody connects to the importer.
        assert!(!importer.reachable_from_internet);
        // The team's own internet-facing service answers with the team's own output.
        assert!(!component(&model, &facts, "poller").pulls_untrusted_input);
        assert!(!component(&model, &facts, "db").pulls_untrusted_input);
    }

    /// Input from outside a component's zone: from the internet, pulled from outsiders, or sent
    /// from a less trusted zone; not what the team's services of the same zone send it.
    #[test]
    fn untrusted_input_comes_from_outside_the_zone() {
        let (model, facts) = facts_of(
            "system: { name: t }
boundaries:
  office: { kind: network, trust: medium, contains: [desk-app] }
  core: { kind: network, trust: high, contains: [ledger, ledger-db, importer, reports] }
components:
  supplier: { technology: partner-system, exposure: internet }
  desk-app: { technology: backend-service }
  ledger: { technology: api-service }
  ledger-db: { technology: postgresql }
  importer: { technology: batch-job }
  reports: { technology: batch-job }
flows:
  - desk-app -> ledger: { protocol: https, authentication: token, data: [entries] }
  - ledger -> ledger-db: { protocol: postgres-tls, authentication: credentials, data: [entries] }
  - importer -> supplier: { protocol: sftp, authentication: credentials, readonly: true, returns: [entries] }
  - reports -> ledger-db: { protocol: postgres-tls, authentication: credentials, readonly: true, returns: [entries] }
data:
  entries: { classification: confidential }
",
        );
        let takes = |id: &str| component(&model, &facts, id).takes_untrusted_input;
        // A less trusted zone calls the ledger; the importer pulls a supplier's files.
        assert!(takes("ledger") && takes("importer"));
        assert!(!component(&model, &facts, "ledger").reachable_from_internet);
        // Only the core's own services reach the database and the report job.
        assert!(!takes("ledger-db") && !takes("reports"));
    }

    /// Outsiders' content goes on with the datum through services, queues and buckets, whatever
    /// the services' own logins; not out of a database, nor from the team's staff.
    #[test]
    fn outsiders_content_travels_with_the_data_that_carries_it() {
        let (model, facts) = facts_of(
            "system: { name: t }
data: { photo: {}, review: {}, note: {} }
components:
  shopper: { technology: browser, exposure: internet, traits: [open-sign-up] }
  staff: { technology: user }
  shop: { technology: web-application, exposure: internet }
  uploads: { technology: object-storage }
  scanner: { technology: worker }
  db: { technology: postgresql }
  console: { technology: admin-console }
  reports: { technology: worker }
flows:
  - shopper -> shop: { protocol: https, authentication: session, data: [photo, review] }
  - shop -> uploads: { protocol: https, authentication: token, data: [photo] }
  - scanner -> uploads: { protocol: https, authentication: token, readonly: true, returns: [photo] }
  - shop -> db: { protocol: postgres-tls, authentication: credentials, data: [review] }
  - console -> db: { protocol: postgres-tls, authentication: credentials, readonly: true, returns: [review] }
  - staff -> console: { protocol: https, authentication: credentials, data: [note] }
  - console -> reports: { protocol: grpc-tls, authentication: client-certificate, data: [note] }
",
        );
        let handed = |id: &str| component(&model, &facts, id).handed_outsiders_content;
        assert!(handed("shop") && handed("uploads") && handed("scanner") && handed("db"));
        assert!(!handed("console"), "rows read back from the database");
        assert!(!handed("reports"), "what the team's staff type");
    }

    #[test]
    fn model_data_made_from_outsiders_content_carries_it() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  sites: { technology: external-service, exposure: internet, traits: [third-party] }
  ingestion: { technology: worker }
  index: { technology: postgresql }
  exporter: { technology: worker }
  warehouse: { technology: postgresql }
  prompts: { technology: object-storage }
  embedder: { technology: external-service, traits: [third-party] }
flows:
  - ingestion -> sites: { protocol: https, readonly: true, returns: [page] }
  - ingestion -> index: { protocol: postgres-tls, authentication: credentials, data: [chunk] }
  - ingestion -> warehouse: { protocol: postgres-tls, authentication: credentials, data: [stats] }
  - exporter -> index: { protocol: postgres-tls, authentication: credentials, data: [chunk] }
  - ingestion -> prompts: { protocol: https, authentication: token, readonly: true, returns: [template] }
  - ingestion -> embedder: { protocol: https, authentication: api-key, data: [template, page] }
data:
  page: { classification: public }
  chunk: { classification: internal, categories: [model] }
  stats: { classification: internal }
  template: { classification: internal, categories: [model] }
",
        );
        let handed = |id: &str| component(&model, &facts, id).handed_outsiders_content;
        // The chunks are the pages' text; the counts the job writes elsewhere are its own.
        assert!(handed("ingestion") && handed("index"));
        assert!(!handed("warehouse") && !handed("exporter"));
        // The job makes the chunks; it only passes on the prompt template it reads.
        let unvetted = |id: &str| facts.data[model.data.get_index_of(id).unwrap()].unvetted_origin;
        assert!(unvetted("chunk") && unvetted("page"));
        assert!(!unvetted("template") && !unvetted("stats"));
    }

    #[test]
    fn data_written_outside_the_team_is_of_untrusted_origin() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  shopper: { technology: browser, exposure: internet }
  staff: { technology: user }
  crm: { technology: saas }
  shop: { technology: web-application, exposure: internet }
  console: { technology: admin-console }
flows:
  - shopper -> shop: { protocol: https, data: [review] }
  - staff -> console: { protocol: https, authentication: token, data: [note] }
  - console -> crm: { protocol: https, authentication: api-key, readonly: true, returns: [ticket] }
  - shop -> console: { protocol: https, authentication: token, data: [price] }
data:
  review: { classification: internal }
  note: { classification: internal }
  ticket: { classification: internal }
  price: { classification: internal }
",
        );
        let origin = |id: &str| facts.data[model.data.get_index_of(id).unwrap()].untrusted_origin;
        // A shopper writes the review; a SaaS vendor answers with the ticket.
        assert!(origin("review"));
        assert!(origin("ticket"));
        // Staff inside, and the team's own internet-facing service, write neither.
        assert!(!origin("note"));
        assert!(!origin("price"));
        // Nobody vets the shopper: the review is where the search of outsiders' content starts.
        // The vendor the team signed up with is outside the team but no anonymous party; nor is
        // anyone unvetted writing the note or the price.
        let unvetted = |id: &str| facts.data[model.data.get_index_of(id).unwrap()].unvetted_origin;
        assert!(unvetted("review"));
        assert!(!unvetted("ticket") && !unvetted("note") && !unvetted("price"));
    }

    #[test]
    fn data_the_teams_devices_hold_or_receive_reaches_devices() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  charger: { technology: iot-device, processes: [serial] }
  vendor-meter: { technology: iot-device, traits: [third-party] }
  gateway: { technology: api-service }
  console: { technology: web-application }
  meter: { technology: iot-device }
flows:
  - charger -> gateway: { protocol: mqtts, data: [reading], returns: [command] }
  - console -> gateway: { protocol: https, data: [command, note] }
  - gateway -> vendor-meter: { protocol: https, data: [tariff] }
  - gateway -> meter: { protocol: mqtts, data: [command] }
  - meter -> gateway: { protocol: mqtts, data: [reading], returns: [command] }
data:
  serial: { classification: internal }
  reading: { classification: internal }
  command: { classification: internal }
  note: { classification: internal }
  tariff: { classification: internal }
",
        );
        let reaches = |id: &str| facts.data[model.data.get_index_of(id).unwrap()].reaches_devices;
        // Held by the charger, sent by it, and the answer it is sent.
        assert!(reaches("serial"));
        assert!(reaches("reading"));
        assert!(reaches("command"));
        // Only between the team's services, or sent to a vendor's device.
        assert!(!reaches("note"));
        assert!(!reaches("tariff"));
        // Who handles it: each component once, in model order, however many of its flows carry
        // the datum.
        let handled_by = |id: &str| -> Vec<&str> {
            facts.data[model.data.get_index_of(id).unwrap()]
                .handled_by
                .iter()
                .map(|&c| model.components.get_index(c).unwrap().0.as_str())
                .collect()
        };
        assert_eq!(
            handled_by("command"),
            ["charger", "gateway", "console", "meter"]
        );
        assert_eq!(handled_by("serial"), ["charger"]);
        assert_eq!(handled_by("tariff"), ["vendor-meter", "gateway"]);
    }

    #[test]
    fn a_webhook_sender_takes_the_answer_of_the_url_it_posts_to() {
        let model = |technology: &str| {
            format!(
                "system: {{ name: t }}
components:
  receivers: {{ technology: external-service, exposure: internet }}
  dispatcher: {{ technology: {technology} }}
flows:
  - dispatcher -> receivers: {{ protocol: https, data: [event] }}
data:
  event: {{ classification: internal }}
"
            )
        };
        // It posts and declares no answer, but it follows the URLs tenants register: whatever
        // the receiver's server answers (a redirect) comes back to it.
        let (m, facts) = facts_of(&model("webhook-handler"));
        assert!(component(&m, &facts, "dispatcher").pulls_untrusted_input);
        let (m, facts) = facts_of(&model("worker"));
        assert!(!component(&m, &facts, "dispatcher").pulls_untrusted_input);
    }

    #[test]
    fn forwarding_hops_do_not_count() {
        let chain = |cdn: &str, lb: &str| {
            format!(
                "system: {{ name: t }}
components:
  visitor: {{ technology: browser, exposure: internet }}
  cdn: {{ technology: {cdn} }}
  lb: {{ technology: {lb} }}
  app: {{ technology: api-service }}
  db: {{ technology: postgresql }}
flows:
  - visitor -> cdn: {{ protocol: https }}
  - cdn -> lb: {{ protocol: https }}
  - lb -> app: {{ protocol: http }}
  - app -> db: {{ protocol: postgres-tls, authentication: credentials }}
"
            )
        };
        let ids = ["cdn", "lb", "app", "db"];
        let (model, facts) = facts_of(&chain("cdn", "load-balancer"));
        // The CDN and the balancer pass the request on as it came: the app is as near to the
        // visitor as the CDN is.
        assert_eq!(hops(&model, &facts, &ids), [1, 1, 1, 2]);
        assert_eq!(
            facts.flows.iter().map(|f| f.hops).collect::<Vec<_>>(),
            [1, 1, 1, 2]
        );
        // Components that do work on the request count a hop each.
        let (model, facts) = facts_of(&chain("api-service", "api-service"));
        assert_eq!(hops(&model, &facts, &ids), [1, 2, 3, 4]);
    }

    #[test]
    fn an_internet_facing_forwarder_counts_its_own_hop() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  edge: { technology: load-balancer, exposure: internet }
  app: { technology: api-service }
flows:
  - edge -> app: { protocol: http }
",
        );
        assert_eq!(hops(&model, &facts, &["edge", "app"]), [0, 1]);
    }

    #[test]
    fn a_second_factor_on_every_way_in_is_named_for_what_lies_past_it() {
        let model_with = |extra_flow: &str| {
            facts_of(&format!(
                "system: {{ name: t }}
components:
  staff: {{ technology: browser, exposure: internet }}
  vpn: {{ technology: vpn-gateway, exposure: internet, controls: [mfa] }}
  console: {{ technology: admin-console }}
  db: {{ technology: postgresql }}
  shop: {{ technology: web-application, exposure: internet }}
flows:
  - staff -> vpn: {{ protocol: tls, authentication: credentials }}
  - vpn -> console: {{ protocol: https, authentication: credentials }}
  - console -> db: {{ protocol: postgres-tls, authentication: credentials }}
{extra_flow}"
            ))
        };
        let (model, facts) = model_with("");
        let before = |id: &str| {
            component(&model, &facts, id)
                .second_factor_before
                .map(|g| model.components[g].id.value.clone())
        };
        assert_eq!(before("console").as_deref(), Some("vpn"));
        assert_eq!(before("db").as_deref(), Some("vpn"));
        // Its own login is the second factor's, not one past it; the internet reaches the shop.
        assert_eq!(before("vpn"), None);
        assert_eq!(before("shop"), None);
        // A way to the database that asks no second factor takes it away there, not before.
        let (model, facts) =
            model_with("  - shop -> db: { protocol: postgres-tls, authentication: credentials }\n");
        let before = |id: &str| {
            component(&model, &facts, id)
                .second_factor_before
                .map(|g| model.components[g].id.value.clone())
        };
        assert_eq!(before("console").as_deref(), Some("vpn"));
        assert_eq!(before("db"), None);
        // A gateway with a way in that asks for no login at all asks no second factor either.
        let (model, facts) = model_with("  - shop -> vpn: { protocol: https }\n");
        assert_eq!(
            component(&model, &facts, "console").second_factor_before,
            None
        );
    }

    #[test]
    fn members_of_an_untrusted_boundary_are_untrusted_sources() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  partner: { technology: partner-system, out_of_scope: Their systems }
  kiosk: { technology: browser }
  app: { technology: api-service }
flows:
  - partner -> app: { protocol: https, authentication: api-key }
  - kiosk -> app: { protocol: https, authentication: session }
boundaries:
  public-net: { name: The internet, kind: network, trust: untrusted, contains: [partner] }
  guest-wifi: { kind: network, trust: untrusted, contains: [kiosk] }
",
        );
        for id in ["partner", "kiosk"] {
            let c = component(&model, &facts, id);
            assert!(c.untrusted_source, "{id}");
            assert_eq!(c.trust, 0, "{id}");
        }
        let app = component(&model, &facts, "app");
        assert_eq!(app.internet_hops, 1);
        // The partner authenticates, but a third party's key keeps no attacker out.
        assert!(!app.unauthenticated_path);
        assert!(app.outsider_path);
        assert!(facts.flows[0].outsider_path);
        // The kiosk's users log in with accounts nobody hands to outsiders.
        assert!(!facts.flows[1].outsider_path);
    }

    #[test]
    fn accounts_anyone_can_get_keep_no_one_out() {
        let model = |shopper_traits: &str, web_traits: &str| {
            format!(
                "system: {{ name: t }}
components:
  shopper: {{ technology: browser, exposure: internet, traits: [{shopper_traits}] }}
  web: {{ technology: web-application, traits: [{web_traits}] }}
  orders: {{ technology: api-service }}
  payments: {{ technology: api-service }}
  db: {{ technology: postgresql }}
flows:
  - shopper -> web: {{ protocol: https, authentication: session }}
  - web -> orders: {{ protocol: grpc-tls, authentication: token, authorization: user }}
  - orders -> payments: {{ protocol: grpc-tls, authentication: client-certificate, authorization: service }}
  - orders -> db: {{ protocol: postgres-tls, authentication: credentials }}
"
            )
        };
        let open = |text: &str| {
            let (model, facts) = facts_of(text);
            let ids = ["web", "orders", "payments", "db"];
            let open: Vec<bool> = ids
                .iter()
                .map(|id| component(&model, &facts, id).outsider_path)
                .collect();
            let unauthenticated = ids
                .iter()
                .any(|id| component(&model, &facts, id).unauthenticated_path);
            assert!(!unauthenticated, "every path authenticates");
            (
                open,
                facts
                    .flows
                    .iter()
                    .map(|f| f.outsider_path)
                    .collect::<Vec<_>>(),
            )
        };
        // Staff-only logins: the session keeps outsiders out.
        assert_eq!(open(&model("", "")), (vec![false; 4], vec![false; 4]));
        // Anyone can sign up: the session is theirs, and so is the user identity carried on to
        // orders; the service's own certificate and the database login still stop them.
        let signed_up = (
            vec![true, true, false, false],
            vec![true, true, false, false],
        );
        assert_eq!(open(&model("open-sign-up", "")), signed_up);
        // Said on the service that offers the sign-up: its logins keep no one out. The session
        // is declared on the shopper's flow into it, so the same holds.
        assert_eq!(open(&model("", "open-sign-up")), signed_up);
    }

    #[test]
    fn a_third_partys_key_passes_only_where_it_is_checked_again() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  partner: { technology: partner-system, exposure: internet }
  gateway: { technology: api-gateway }
  partner-api: { technology: api-service }
  console: { technology: web-application }
flows:
  - partner -> gateway: { protocol: https, authentication: api-key }
  - gateway -> partner-api: { protocol: https, authentication: api-key }
  - gateway -> console: { protocol: https, authentication: token, authorization: user }
",
        );
        let open = |id| component(&model, &facts, id).outsider_path;
        // The gateway passes the partner's key on to the API that checks it; the console wants a
        // staff token, which a partner's key is not.
        assert!(open("gateway") && open("partner-api"));
        assert!(!open("console"));
        let flows: Vec<bool> = facts.flows.iter().map(|f| f.outsider_path).collect();
        assert_eq!(flows, [true, true, false]);
    }

    #[test]
    fn out_of_scope_flows_carry_traffic_but_are_not_assessed() {
        let (model, facts) = facts_of(
            "system: { name: t }
components:
  visitor: { technology: browser, exposure: internet }
  legacy: { technology: web-application }
  crm: { technology: saas, out_of_scope: Vendor }
  partner: { technology: partner-system, out_of_scope: Theirs }
flows:
  - visitor -> legacy: { protocol: https, out_of_scope: Decommissioned in May }
  - legacy -> crm: { protocol: https }
  - partner -> crm: { protocol: https }
",
        );
        let legacy = component(&model, &facts, "legacy");
        assert!(legacy.reachable_from_internet);
        assert!(legacy.inbound.is_empty());
        assert_eq!(legacy.outbound, [1]);
        let in_scope: Vec<bool> = facts.flows.iter().map(|f| f.in_scope).collect();
        // Out of scope itself; one end in scope; both ends out of scope.
        assert_eq!(in_scope, [false, true, false]);
    }

    #[test]
    fn native_clients_only_where_no_browser_reaches_through_the_forwarders() {
        let text = |second: &str| {
            format!(
                "system: {{ name: s }}
components:
  app-user: {{ technology: mobile-app, exposure: internet }}
  second: {{ technology: {second}, exposure: internet }}
  lb: {{ technology: load-balancer }}
  api: {{ technology: api-service }}
  site: {{ technology: web-application }}
  worker: {{ technology: worker }}
flows:
  - app-user -> lb: {{ protocol: https }}
  - lb -> api: {{ protocol: https }}
  - second -> site: {{ protocol: https }}
  - api -> worker: {{ protocol: grpc-tls }}
"
            )
        };
        let (model, facts) = facts_of(&text("cli-client"));
        // Through the balancer, to the first component that answers, and no further.
        assert!(component(&model, &facts, "lb").native_clients_only);
        assert!(component(&model, &facts, "api").native_clients_only);
        assert!(component(&model, &facts, "site").native_clients_only);
        assert!(!component(&model, &facts, "worker").native_clients_only);
        assert!(component(&model, &facts, "api").used_by_people);
        assert!(!component(&model, &facts, "worker").used_by_people);
        assert!(!component(&model, &facts, "app-user").native_clients_only);
        let (model, facts) = facts_of(&text("browser").replace(
            "  - second -> site",
            "  - second -> lb: { protocol: https }\n  - second -> site",
        ));
        assert!(!component(&model, &facts, "api").native_clients_only);
        assert!(!component(&model, &facts, "site").native_clients_only);
        assert!(!component(&model, &facts, "site").app_clients_only);
        // A single-page app drawn as the person's client draws its own pages from what the site
        // answers; beside a mobile app, still no browser asks the balancer's services for pages.
        let (model, facts) = facts_of(&text("single-page-app, traits: [human-client]").replace(
            "  - second -> site",
            "  - second -> lb: { protocol: https }\n  - second -> site",
        ));
        let c = |id| component(&model, &facts, id);
        assert!(!c("api").native_clients_only && c("api").app_clients_only);
        assert!(c("site").app_clients_only && c("lb").app_clients_only);
        assert!(!c("worker").app_clients_only, "no person reaches it");
    }

    #[test]
    fn password_logins_are_answered_behind_the_forwarders() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  adjuster: { technology: browser }
  charger: { technology: iot-device }
  lb: { technology: load-balancer }
  portal: { technology: web-application }
  gateway: { technology: load-balancer }
  ocpp: { technology: api-service }
  backend: { technology: api-service }
  staff: { technology: browser }
  vpn: { technology: vpn-gateway }
  console: { technology: admin-console }
flows:
  - staff -> vpn: { protocol: https, authentication: credentials }
  - vpn -> console: { protocol: https }
  - adjuster -> lb: { protocol: https, authentication: credentials }
  - lb -> portal: { protocol: https }
  - portal -> backend: { protocol: https, authentication: credentials }
  - charger -> gateway: { protocol: https, authentication: credentials }
  - gateway -> ocpp: { protocol: https }
",
        );
        let logins = |id| component(&model, &facts, id).password_logins;
        // The balancer passes the login on; the portal answers it; the portal's own call to the
        // backend is a service's credential, not a person's.
        assert!(!logins("lb"));
        assert!(logins("portal"));
        assert!(!logins("backend"));
        // A VPN gateway signs the person in; its login ends there: the console behind it, over
        // a hop that asks nothing, answers no password (the hospital's SIEM, which only takes
        // the gateway's own logs, was asked for a second factor).
        assert!(logins("vpn"));
        assert!(!logins("console"));
        // A device's login through a forwarder is no person's.
        assert!(!logins("gateway"));
        assert!(!logins("ocpp"));
    }

    /// A proxy that asks for the second factor checks the password itself, and passes on what it
    /// exchanged it for: the service behind it, called with a token, takes no password.
    #[test]
    fn a_login_exchanged_for_a_token_at_a_forwarder_ends_there() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  user: { technology: browser }
  proxy: { technology: reverse-proxy, controls: [mfa] }
  app: { technology: web-application }
  lb: { technology: load-balancer }
  portal: { technology: web-application }
flows:
  - user -> proxy: { protocol: https, authentication: credentials }
  - proxy -> app: { protocol: https, authentication: token }
  - user -> lb: { protocol: https, authentication: credentials }
  - lb -> portal: { protocol: https, authentication: token }
",
        );
        let logins = |id| component(&model, &facts, id).password_logins;
        assert!(logins("proxy") && !logins("app"));
        // A balancer that asks nothing passes the login on, whatever the hop declares.
        assert!(!logins("lb") && logins("portal"));
    }

    /// A gateway that draws a route of its own for passwords (a sign-in route beside its API
    /// routes) passes the login on over that route only: the services behind the API routes
    /// take the tokens the sign-in handed out (the school platform's ten services were asked for
    /// a second factor because one app signs in with a password at the edge).
    #[test]
    fn a_login_goes_on_over_the_route_drawn_for_it() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  app: { technology: mobile-app }
  cdn: { technology: cdn }
  gateway: { technology: api-gateway }
  auth: { technology: api-service }
  classes: { technology: api-service }
flows:
  - app -> cdn: { id: sign-in, protocol: https, authentication: credentials }
  - app -> cdn: { id: api, protocol: https, authentication: token }
  - cdn -> gateway: { id: sign-in-route, protocol: https, authentication: credentials }
  - cdn -> gateway: { id: api-route, protocol: https, authentication: token }
  - gateway -> auth: { protocol: https, authentication: credentials }
  - gateway -> classes: { protocol: https, authentication: token }
",
        );
        let logins = |id| component(&model, &facts, id).password_logins;
        assert!(logins("auth"));
        assert!(!logins("classes"));
        assert!(!logins("cdn") && !logins("gateway"));
    }

    #[test]
    fn logins_without_a_password_are_placed_at_the_identity_provider_or_the_service() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  clerk: { technology: desktop-app }
  erp: { technology: web-application }
  member: { technology: browser }
  lb: { technology: load-balancer }
  portal: { technology: web-application }
  idp: { technology: identity-provider }
  partner: { technology: partner-system }
  ocpi: { technology: api-service }
  analyst: { technology: browser }
  bi: { technology: web-application }
  sso: { technology: identity-provider }
flows:
  - clerk -> erp: { protocol: https, authentication: token }
  - member -> lb: { protocol: https, authentication: session }
  - lb -> portal: { protocol: https, authentication: session }
  - portal -> idp: { protocol: https, authentication: client-certificate }
  - partner -> lb: { protocol: https, authentication: api-key }
  - lb -> ocpi: { protocol: https, authentication: api-key }
  - analyst -> sso: { protocol: https, authentication: credentials }
  - analyst -> bi: { protocol: https, authentication: token }
",
        );
        let assumed = |id| component(&model, &facts, id).assumed_logins;
        let delegated = |id| component(&model, &facts, id).delegated_logins;
        // No identity provider for the clerk: the ERP answers the login.
        assert!(assumed("erp"));
        // The portal asks an identity provider: the login is answered there, not at the
        // portal, and not at the balancer that passes it on.
        assert!(!assumed("portal"));
        assert!(!assumed("lb"));
        assert!(delegated("idp"));
        // The partner's API-key route through the same balancer is no person's login.
        assert!(!assumed("ocpi"));
        // The analyst signs in at the identity provider itself, which people reach directly.
        assert!(!assumed("bi"));
        assert!(!delegated("sso"));
        assert!(component(&model, &facts, "sso").used_by_people);
    }

    #[test]
    fn a_persons_client_drawn_as_a_process_starts_requests() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  portal: { technology: single-page-app, traits: [human-client], exposure: internet }
  gateway: { technology: api-gateway }
  backend: { technology: web-application }
flows:
  - portal -> gateway: { protocol: https, authentication: session }
  - gateway -> backend: { protocol: https, authentication: token }
",
        );
        let backend = component(&model, &facts, "backend");
        assert!(backend.used_by_people);
        assert!(backend.unfiltered_web_traffic);
        assert!(!component(&model, &facts, "portal").used_by_people);
    }

    /// Browser code drawn between the person and the API, used in-process (docs/language.md's
    /// `customer -> spa -> api`), is the person's client as if it declared `human-client`: the
    /// API behind it is used by people and answers their password logins, and the code stands
    /// on the internet with them. A library a person's tool calls in-process, with no pages, is
    /// the team's code as drawn.
    #[test]
    fn browser_code_people_use_in_process_is_their_client() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  buyer: { technology: browser, exposure: internet }
  spa: { technology: single-page-app }
  gateway: { technology: api-gateway }
  api: { technology: api-service }
  developer: { technology: cli-client }
  importer: { technology: backend-service }
flows:
  - buyer -> spa: { protocol: in-process }
  - spa -> gateway: { protocol: https, authentication: credentials }
  - gateway -> api: { protocol: https, authentication: credentials }
  - developer -> importer: { protocol: in-process }
",
        );
        let c = |id| component(&model, &facts, id);
        assert!(c("spa").person_client && !c("spa").used_by_people);
        assert!(c("spa").untrusted_source && c("spa").trust == 0);
        assert!(c("api").used_by_people && c("api").password_logins);
        assert!(!c("importer").person_client && c("importer").used_by_people);
        // Served over the network, the same code is what people reach, not their client.
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  buyer: { technology: browser, exposure: internet }
  spa: { technology: single-page-app }
flows:
  - buyer -> spa: { protocol: https }
",
        );
        let spa = component(&model, &facts, "spa");
        assert!(!spa.person_client && spa.used_by_people);
    }

    #[test]
    fn a_component_exposed_to_the_internet_is_reached_by_it() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  lb: { technology: load-balancer, exposure: internet }
  shop: { technology: web-application }
  api: { technology: api-service, exposure: internet }
  db: { technology: postgresql }
flows:
  - lb -> shop: { protocol: https }
  - api -> db: { protocol: postgres-tls, authentication: credentials }
",
        );
        let c = |id| component(&model, &facts, id);
        // No caller is drawn, but the exposure says the internet reaches them, and what the
        // balancer passes on.
        assert!(c("api").unfiltered_web_traffic && c("api").published_to_internet);
        assert!(c("shop").unfiltered_web_traffic && c("shop").published_to_internet);
        // A process's own calls are not the internet's.
        assert!(!c("db").published_to_internet);
    }

    #[test]
    fn what_the_internet_reaches_through_forwarders() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  visitor: { technology: browser, exposure: internet }
  partner: { technology: partner-system, exposure: internet }
  lb: { technology: load-balancer }
  portal: { technology: web-application }
  waf: { technology: waf }
  shop: { technology: web-application }
  alb: { technology: load-balancer, controls: [waf] }
  orders: { technology: api-service }
  api: { technology: api-service }
  db: { technology: postgresql }
flows:
  - visitor -> lb: { protocol: https }
  - lb -> portal: { protocol: https }
  - portal -> db: { protocol: postgres-tls }
  - visitor -> waf: { protocol: https }
  - waf -> shop: { protocol: https }
  - visitor -> alb: { protocol: https }
  - alb -> orders: { protocol: https }
  - partner -> api: { protocol: https, controls: [vpn] }
",
        );
        let unfiltered = |id| component(&model, &facts, id).unfiltered_web_traffic;
        assert!(unfiltered("lb"));
        assert!(unfiltered("portal"));
        assert!(!unfiltered("db"), "not over HTTP, and the portal answers");
        assert!(unfiltered("waf"));
        assert!(!unfiltered("shop"), "behind the WAF");
        assert!(!unfiltered("orders"), "behind a balancer that runs a WAF");
        assert!(!unfiltered("api"), "over a VPN");
        assert!(!unfiltered("visitor"));
        let published = |id| component(&model, &facts, id).published_to_internet;
        assert!(published("portal") && published("shop") && published("orders"));
        assert!(
            !published("db"),
            "the portal answers; it does not pass requests on"
        );
        assert!(!published("api"), "over a VPN");
    }

    #[test]
    fn machines_only_where_no_persons_request_reaches_through_the_processes() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  charger: { technology: iot-device, exposure: internet }
  installer: { technology: browser, exposure: internet }
  nlb: { technology: load-balancer }
  gateway: { technology: api-service }
  portal: { technology: web-application }
  sessions: { technology: worker }
  db: { technology: postgresql }
  reporter: { technology: batch-job }
flows:
  - charger -> nlb: { protocol: https }
  - nlb -> gateway: { protocol: https }
  - gateway -> sessions: { protocol: grpc-tls }
  - sessions -> db: { protocol: postgres-tls }
  - installer -> portal: { protocol: https }
  - portal -> db: { protocol: postgres-tls }
  - db -> reporter: { protocol: postgres-tls }
",
        );
        let only = |id| component(&model, &facts, id).serves_machines_only;
        // Chargers' requests, through the balancer and on through the processes.
        assert!(only("nlb") && only("gateway") && only("sessions"));
        // A person reaches the portal, and a store passes no request on: both kinds meet there.
        assert!(!only("portal") && !only("db"));
        // What no actor reaches is not known to serve machines alone.
        assert!(!only("reporter"));
    }

    /// A backend that only an anonymous front end calls has no signed-in caller, whatever its own
    /// flows authenticate; one that a login reaches anywhere on the way has.
    #[test]
    fn anonymous_callers_only_until_a_flow_authenticates() {
        let (model, facts) = facts_of(
            "system: { name: s }
components:
  visitor: { technology: browser }
  staff: { technology: browser }
  web: { technology: web-application }
  api: { technology: api-service }
  admin: { technology: web-application }
  db: { technology: postgresql }
  batch: { technology: batch-job }
flows:
  - visitor -> web: { protocol: https }
  - web -> api: { protocol: https, authentication: token }
  - web -> db: { protocol: postgres-tls, authentication: credentials }
  - staff -> admin: { protocol: https, authentication: session }
  - admin -> api: { protocol: https }
  - batch -> db: { protocol: postgres-tls, authentication: credentials }
",
        );
        let anonymous = |id| component(&model, &facts, id).anonymous_callers_only;
        assert!(anonymous("web"));
        // The web server's own token to the API, and the staff's login before the admin console.
        assert!(!anonymous("api") && !anonymous("admin"));
        // The database's credentials sign the web server in: its request is no longer anonymous.
        assert!(!anonymous("db"));
        assert!(!anonymous("batch"), "no actor reaches it");
    }
}
