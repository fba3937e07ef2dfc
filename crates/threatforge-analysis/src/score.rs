//! Likelihood, impact and severity of a threat, from the model itself, with every factor that
//! moved the score written down (docs/scoring.md explains the method and works an example).
//!
//! Both likelihood and impact are on a 1-4 scale (low, medium, high, very high). A threat starts
//! from its rule's hints and each factor moves it by one step, within the scale. Severity follows
//! from likelihood x impact (1-16): critical only at 16 (very high on both, the OWASP Risk Rating
//! matrix's high x high), high from 8, medium from 4, low from 2, info below. Very high impact is
//! kept for secret or production-controlling assets (`ceiling`), very high likelihood for an
//! outsider with nothing in the way (it needs direct or open exposure by construction).

use std::sync::Arc;

use serde::Serialize;
use threatforge_model::{Exposure, ThreatSeverity};

use crate::rule::{Element, Level, Stride};
use crate::world::World;

/// One reason the score moved (or was set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// `likelihood` or `impact`.
    pub on: &'static str,
    pub factor: &'static str,
    /// Steps on the scale: +1, -1, or 0 for the starting point.
    pub effect: i8,
    pub reason: Arc<str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    pub likelihood: u8,
    pub impact: u8,
    /// likelihood x impact, 1-16.
    pub score: u8,
    pub severity: ThreatSeverity,
}

impl Score {
    pub fn new(likelihood: u8, impact: u8) -> Score {
        let likelihood = likelihood.clamp(1, 4);
        let impact = impact.clamp(1, 4);
        let score = likelihood * impact;
        Score {
            likelihood,
            impact,
            score,
            severity: severity_of(score),
        }
    }
}

pub fn severity_of(score: u8) -> ThreatSeverity {
    ThreatSeverity::of_score(score)
}

/// The CVSS v4.0 qualitative rating as a threatforge severity.
pub(crate) fn severity_of_cvss(value: f64) -> ThreatSeverity {
    match value {
        v if v >= 9.0 => ThreatSeverity::Critical,
        v if v >= 7.0 => ThreatSeverity::High,
        v if v >= 4.0 => ThreatSeverity::Medium,
        v if v > 0.0 => ThreatSeverity::Low,
        _ => ThreatSeverity::Info,
    }
}

fn level(hint: Level) -> i8 {
    match hint {
        Level::Low => 1,
        Level::Medium => 2,
        Level::High => 3,
        Level::VeryHigh => 4,
    }
}

/// How reachable an element is from untrusted zones, for likelihood.
struct Exposed {
    /// Directly reachable by (or located in) an untrusted zone.
    direct: bool,
    /// Flows from the nearest untrusted source; None when unreachable.
    hops: Option<i64>,
    /// Some path from an untrusted source reaches it with nothing to keep an outsider out.
    open: bool,
    what: String,
}

/// Internet-facing, or in an untrusted zone.
fn is_direct(world: &World, c: usize) -> bool {
    world.model.components[c].exposure == Some(Exposure::Internet)
        || world.facts.components[c].untrusted_source
}

/// Whether only the component's own login stands between an outsider and it: a flow into it
/// comes straight from an untrusted source where requests start (an actor, or a person's client
/// however it is drawn: `starts_requests`), or from a forwarder (not a VPN gateway or bastion,
/// which signs people in itself) that outsiders reach with nothing in the way, so the login the
/// flow carries is the first an outsider meets.
fn own_login(world: &World, c: usize) -> bool {
    let facts = &world.facts;
    facts.components[c].inbound.iter().any(|&f| {
        facts.flows[f].source.is_some_and(|s| {
            let source = &facts.components[s];
            let forwards = source.passes_requests_on;
            (crate::world::facts::starts_requests(&world.model.components[s], source)
                && source.untrusted_source)
                || (forwards && (source.untrusted_source || source.outsider_path))
        })
    })
}

/// Whether a flow out of `c` starts on a network the team does not control: `c` is an actor, out
/// of scope, or in an untrusted boundary, and reachable from an untrusted zone itself. A flow out
/// of one of the team's own internet-facing services (a load balancer's hop to the service behind
/// it) runs on the team's network: whoever attacks it comes through the service, one hop on, not
/// onto the wire.
fn sends_from_untrusted_network(world: &World, c: usize) -> bool {
    let component = &world.model.components[c];
    is_direct(world, c)
        && (world.kind(c) == threatforge_model::ComponentKind::Actor
            || component.is_out_of_scope()
            || world.facts.components[c]
                .boundaries
                .iter()
                .any(|&b| world.model.boundaries[b].trust == threatforge_model::Trust::Untrusted))
}

/// Whether a flow into `c` ends on a network the team does not control: `c` faces the internet
/// and is a party outside the team (an actor, out of scope, a third party, in an untrusted zone),
/// so the hop to it crosses the internet (a service's calls to a SaaS vendor).
fn receives_on_untrusted_network(world: &World, c: usize) -> bool {
    sends_from_untrusted_network(world, c)
        || (world.model.components[c].exposure == Some(Exposure::Internet)
            && world.traits(c).contains(&"third-party"))
}

/// A radio or cable link (Bluetooth, NFC, USB: protocol family `proximity`) is reached by
/// standing next to the device, not from the network its ends face.
fn over_proximity_link(world: &World, flow: usize) -> bool {
    world.model.flows[flow]
        .protocol
        .as_ref()
        .and_then(|p| threatforge_model::catalog().protocol(&p.value))
        .is_some_and(|p| p.family == "proximity")
}

/// The likelihood factor of a flow's transport threats: +1 where the wire is on a network
/// outsiders share (an end sends from or receives on it), -1 where both ends are the team's and
/// whoever reads or changes the traffic must first get a position on the team's network (CVSS's
/// adjacent attack vector). None for a radio or cable link: who stands next to the device is
/// what its hops say.
fn wire_exposure(
    world: &World,
    index: usize,
    exposed: &Exposed,
    reasons: Reasons,
) -> Option<Factor> {
    if over_proximity_link(world, index) {
        return None;
    }
    let ff = &world.facts.flows[index];
    let outside_end = exposed.direct
        || ff
            .target
            .is_some_and(|t| receives_on_untrusted_network(world, t));
    Some(if outside_end {
        reasons.factor(
            "likelihood",
            "exposure",
            1,
            || format!(
                "{} crosses a network outsiders share: one end is on the internet or in an untrusted zone",
                exposed.what
            ),
        )
    } else {
        reasons.factor(
            "likelihood",
            "exposure",
            -1,
            || format!(
                "both ends of {} are the team's own: whoever reads or changes it must first get a position on the team's network",
                exposed.what
            ),
        )
    })
}

/// The likelihood factor of a forged caller on a flow whose wire is the team's own: +1 where the
/// target listens on the internet (directly or through what publishes it), where anyone can
/// send it requests without a position on the team's network; no step at all where outsiders
/// reach the target through the team's services: whoever takes one of them (a foothold, the
/// internal position of the calibration) sends it requests, with no tap on the wire.
fn listener_exposure(world: &World, index: usize, reasons: Reasons) -> Option<Factor> {
    let target = world.facts.flows[index].target?;
    let id = &world.model.components[target].id.value;
    if world.model.components[target].exposure == Some(Exposure::Internet) {
        return Some(reasons.factor("likelihood", "exposure", 1, || {
            format!("`{id}` listens on the internet: anyone there can send it requests in the caller's name")
        }));
    }
    let cf = &world.facts.components[target];
    cf.reachable_from_internet.then(|| {
        reasons.factor("likelihood", "exposure", 0, || {
            format!(
                "`{id}` is reached from the internet through the team's services ({} flows away): \
                 whoever takes one of them can send it requests in the caller's name, with no \
                 position on the flow's wire",
                cf.internet_hops
            )
        })
    })
}

/// A component that pulls data outsiders write (`pulls_untrusted_input`) is one hop from them with
/// nothing in the way: its own credential on the request keeps none of the answer out.
fn component_exposure(world: &World, c: usize) -> Exposed {
    let cf = &world.facts.components[c];
    let component = &world.model.components[c];
    let reached = cf.reachable_from_internet.then_some(cf.internet_hops);
    let pulled = cf.pulls_untrusted_input.then_some(1);
    Exposed {
        direct: is_direct(world, c),
        hops: nearer(reached, pulled),
        open: cf.outsider_path || cf.pulls_untrusted_input,
        what: format!("`{}`", component.id.value),
    }
}

impl Exposed {
    /// How exposed, for ordering threats of equal score and impact: 4 reachable directly from
    /// an untrusted zone; 3 near it (under 3 flows) with nothing to keep an outsider out; 2 near
    /// but behind authentication, or far but open; 1 far and behind authentication; 0 unreachable.
    fn rank(&self) -> u8 {
        match self.hops {
            _ if self.direct => 4,
            None => 0,
            Some(hops) => 1 + u8::from(hops < 3) + u8::from(self.open),
        }
    }
}

/// How exposed an element is (`Exposed::rank`): for the threats a team records by hand, whose
/// scores the element does not move.
pub(crate) fn exposure_rank(world: &World, element: Element, index: usize) -> u8 {
    exposure(world, element, index).rank()
}

/// The smaller of two hop counts, where `None` is unreachable.
fn nearer(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The most exposed of several components.
fn most_exposed(world: &World, members: impl Iterator<Item = usize>, what: String) -> Exposed {
    let mut best = Exposed {
        direct: false,
        hops: None,
        open: false,
        what,
    };
    for c in members {
        let e = component_exposure(world, c);
        best.direct |= e.direct;
        best.open |= e.open;
        best.hops = nearer(best.hops, e.hops);
    }
    best
}

fn exposure(world: &World, element: Element, index: usize) -> Exposed {
    let facts = &world.facts;
    match element {
        Element::Component => component_exposure(world, index),
        Element::Flow => {
            let ff = &facts.flows[index];
            let flow = &world.model.flows[index];
            Exposed {
                direct: !over_proximity_link(world, index)
                    && ff
                        .source
                        .is_some_and(|s| sends_from_untrusted_network(world, s)),
                hops: (ff.hops >= 0).then_some(ff.hops),
                open: ff.outsider_path,
                what: format!("flow `{}`", flow.id.value),
            }
        }
        Element::Data => {
            let df = &facts.data[index];
            most_exposed(
                world,
                df.stored_by.iter().chain(&df.processed_by).copied(),
                format!(
                    "the most exposed of the components handling `{}`",
                    world.model.data[index].id.value
                ),
            )
        }
        Element::Boundary => most_exposed(
            world,
            facts.boundaries[index].components.iter().copied(),
            format!(
                "the most exposed of the components in `{}`",
                world.model.boundaries[index].id.value
            ),
        ),
        Element::Runtime => most_exposed(
            world,
            world.runtime_members(index).iter().copied(),
            format!(
                "the most exposed of the components on `{}`",
                world.model.runtimes[index].id.value
            ),
        ),
        Element::Model => most_exposed(
            world,
            0..world.model.components.len(),
            "the system".to_owned(),
        ),
    }
}

/// What a threat on an element puts at stake, with the words its impact reasons use.
struct Stake {
    /// The data, as indexes.
    data: Vec<usize>,
    /// The criticality level (0-3) of what the threat is on.
    criticality: i64,
    /// Who handles the data: "`api`", "the components in `dmz`".
    holder: String,
    /// Whether `holder` takes a plural verb.
    plural: bool,
    /// Whose criticality counts: "`api`", "the most critical of the components in `dmz`".
    critical: String,
}

/// The data at stake and the criticality of what the threat is on.
fn at_stake(world: &World, element: Element, index: usize) -> Stake {
    let model = world.model;
    let facts = &world.facts;
    let criticality = |c: usize| world.criticality(c);
    let system = crate::world::rating_level(model.system_criticality());
    match element {
        Element::Component => {
            let name = format!("`{}`", model.components[index].id.value);
            Stake {
                data: facts.components[index].data.clone(),
                criticality: criticality(index),
                holder: name.clone(),
                plural: false,
                critical: name,
            }
        }
        Element::Flow => {
            let flow = &model.flows[index];
            let mut data = world.flow_data(index).to_vec();
            let ff = &facts.flows[index];
            // A hop out of a forwarder that names no data of its own carries what the forwarder
            // passes on: the requests that arrive on its flows in (a WAF's hop to the service
            // behind it carries the customers' data, whatever the model wrote on it).
            let relayed_by = ff
                .source
                .filter(|&s| data.is_empty() && facts.components[s].passes_requests_on);
            if let Some(s) = relayed_by {
                for &g in &facts.components[s].inbound {
                    data.extend_from_slice(world.flow_data(g));
                }
                data.sort_unstable();
                data.dedup();
            }
            // What a flow carries matters to the end that depends on it: the target, which acts
            // on what arrives, and the source only where it waits for an answer (`returns`). A
            // critical service shipping its logs does not make the log pipeline critical.
            let source = ff.source.filter(|_| !flow.returns.is_empty());
            let crit = [source, ff.target]
                .iter()
                .flatten()
                .map(|&c| criticality(c))
                .max()
                .unwrap_or(system);
            let name = format!("flow `{}`", flow.id.value);
            let holder = match relayed_by.filter(|_| !data.is_empty()) {
                Some(s) => format!(
                    "{name}, passing on what `{}` receives,",
                    model.components[s].id.value
                ),
                None => name.clone(),
            };
            Stake {
                data,
                criticality: crit,
                holder,
                plural: false,
                critical: if source.is_some() {
                    format!("the more critical end of {name}")
                } else {
                    format!("the target of {name}")
                },
            }
        }
        Element::Data => Stake {
            data: vec![index],
            criticality: system,
            holder: format!("whatever holds `{}`", model.data[index].id.value),
            plural: false,
            critical: "the system".to_owned(),
        },
        Element::Boundary | Element::Runtime | Element::Model => {
            let members: Vec<usize> = match element {
                Element::Boundary => facts.boundaries[index].components.clone(),
                // Members are indexed once in the world: scanning every component per runtime
                // would make scoring runtimes quadratic in the model's size.
                Element::Runtime => world.runtime_members(index).to_vec(),
                _ => (0..model.components.len()).collect(),
            };
            let mut data: Vec<usize> = members
                .iter()
                .flat_map(|&c| facts.components[c].data.clone())
                .collect();
            data.sort_unstable();
            data.dedup();
            let crit = members
                .iter()
                .map(|&c| criticality(c))
                .max()
                .unwrap_or(system);
            let holder = match element {
                Element::Boundary => {
                    format!("the components in `{}`", model.boundaries[index].id.value)
                }
                Element::Runtime => {
                    format!("the components on `{}`", model.runtimes[index].id.value)
                }
                _ => "the system's components".to_owned(),
            };
            Stake {
                data,
                criticality: crit,
                critical: format!("the most critical of {holder}"),
                holder,
                plural: true,
            }
        }
    }
}

/// Components reachable downstream of an element, counted up to `CAP`: what an attacker who
/// holds the element reaches next. Out-of-scope components are neither counted nor crossed: their
/// inside, which an attacker would take next, is not modelled.
const CAP: usize = 10;

fn downstream(world: &World, start: Option<usize>) -> (usize, bool) {
    let Some(start) = start else {
        return (0, false);
    };
    let facts = &world.facts;
    let mut seen = vec![start];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut secret_store = false;
    while let Some(c) = queue.pop_front() {
        for &f in &facts.components[c].outbound {
            if let Some(t) = facts.flows[f].target
                && !seen.contains(&t)
                && !world.model.components[t].is_out_of_scope()
            {
                if seen.len() > CAP {
                    return (seen.len() - 1, secret_store);
                }
                secret_store |= world.kind(t) == threatforge_model::ComponentKind::Store
                    && facts.components[t].data.iter().any(|&d| {
                        world.model.data[d].classification
                            == threatforge_model::Classification::Secret
                    });
                seen.push(t);
                queue.push_back(t);
            }
        }
    }
    (seen.len() - 1, secret_store)
}

/// What an element contributes to the scores of its threats: computed once per element and
/// shared by all its threats through an `Arc`, so a threat's factors cost it no allocation (a large
/// model has hundreds of thousands of threats, each with half a dozen factors). Each factor is
/// held once, in one slice: an element has 120,000 siblings in a large model.
#[derive(Debug, Default)]
pub(crate) struct ElementFactors {
    /// The likelihood factors (exposure, authentication), then the data factors of the aspects
    /// asked for, then the criticality and blast radius factors.
    factors: Box<[Factor]>,
    /// How many likelihood factors lead `factors`.
    likelihood: u8,
    /// Whether the first likelihood factor is the exposure step down: far from, or out of reach
    /// of, every untrusted zone.
    far: bool,
    /// Whether that step is for being out of reach (no path from any untrusted zone).
    unreachable: bool,
    /// Whether the last likelihood factor is the authentication on the paths in.
    authentication: bool,
    /// The authentication factor for an attack on an account, where every way in asks for a
    /// second factor (`ComponentFacts::second_factor_before`): it takes the last likelihood
    /// factor's place for such threats where that is the authentication step (`authentication`),
    /// and is added where it is not.
    second_factor: Option<Factor>,
    /// A component an outsider's requests reach up to its own login (`own_login`).
    own_login: bool,
    /// A component that content unvetted parties write reaches
    /// (`ComponentFacts::handed_outsiders_content`).
    handed_outsiders_content: bool,
    /// ... or reads back from a store what such parties wrote (`World::shows_outsiders_content`).
    shows_outsiders_content: bool,
    /// Whether the last factor is the blast radius.
    blast: bool,
    /// The element is a flow: its transport threats come from its network path.
    on_flow: bool,
    /// A flow that only reads (not `writes`): whoever calls over it in another's name or beyond
    /// their rights gets what it returns, no foothold to go further from.
    reads_only: bool,
    /// On a flow, the likelihood factor of its transport threats (reading, changing or forging
    /// what crosses it), which take the place of the exposure and authentication factors: who
    /// does that stands on the wire, and the wire is either on a network outsiders share or on
    /// the team's own. None where the flow is a radio or cable link (its hops decide) or not a flow.
    on_path: Option<Factor>,
    /// On a flow into a target that listens on the internet, the factor of a forged caller: anyone there sends the target requests in
    /// the caller's name, whatever the wire between the two. None elsewhere. Boxed: few flows
    /// have one, and a large model holds hundreds of thousands of elements.
    at_listener: Option<Box<Factor>>,
    /// On a flow that names no protocol, the step down of its transport threats other than a
    /// forged caller: that it travels unencrypted is an assumption. Boxed, as `at_listener`.
    unknown_protocol: Option<Box<Factor>>,
    /// Where each aspect's data factor is (confidentiality, integrity, availability, any).
    data: [Option<u8>; 4],
    /// Where the criticality and blast radius factors start.
    tail: u8,
    /// How exposed the element is (`Exposed::rank`).
    exposure: u8,
    /// Per aspect (`aspect_of`): whether something secret or production-controlling is at stake,
    /// the only ground for very high impact (docs/scoring.md, "Calibration").
    top_asset: [bool; 4],
    /// Why impact stops at high when nothing of the kind is at stake.
    ceiling: Arc<str>,
}

/// The factors of one threat's inherent score, in the order they are reported: the rule's (or
/// the team's) likelihood hint, the element's likelihood factors, the impact hint, the element's
/// data factor for the aspect the threat's STRIDE category threatens, its criticality and blast
/// radius. Serializes as that list.
#[derive(Clone, Debug)]
pub struct Factors {
    hints: Arc<[Factor; 2]>,
    /// None: the element moves nothing (a manual threat is the team's own rating).
    element: Option<Arc<ElementFactors>>,
    /// Which aspect's data factor applies (`aspect_of`).
    aspect: u8,
    /// How exposed the element is (`Exposed::rank`), to order threats of equal score and impact.
    exposure: u8,
    /// The impact ceiling, when it took the impact down to high. Boxed: most threats have none,
    /// and a large model holds hundreds of thousands of `Factors`.
    ceiling: Option<Box<Factor>>,
    /// The element's authentication factor does not apply: the attacker does not pass it (an
    /// eavesdropper or forger on a flow's network path).
    without_authentication: bool,
    /// The element's exposure step down (its first likelihood factor) does not apply: the attack
    /// travels in content that outsiders write, which reaches it however far it is from them
    /// (`in_content`), or the attacker is a legitimate caller whose requests are carried there
    /// however many services they pass (`by_caller`; out of every outsider's reach, it applies).
    without_distance: bool,
    /// The threat is an attack on an account: the element's second-factor factor, where it has
    /// one, takes the place of its authentication factor.
    on_account: bool,
    /// The attacker stands on the flow's wire (`in_transit`): the element's `on_path` factor
    /// takes the place of its exposure and authentication factors.
    on_wire: bool,
    /// ... and forges the caller (`forges_caller`): the element's `at_listener` factor, where it
    /// has one, takes the place of `on_path`.
    at_listener: bool,
    /// The element's blast radius does not apply: the threat gives no foothold to go further
    /// from (a denial of service, a repudiation).
    without_blast: bool,
    /// The element's data does not set the stake: the attack reaches secrets beyond it
    /// (`reaches_secrets`).
    without_data: bool,
    /// No attacker's path moves the likelihood: the threat is a failure (`failure`), so the
    /// element's exposure and authentication factors do not apply.
    without_likelihood: bool,
}

/// The factors of a threat, in order.
pub(crate) type FactorIter<'a> = std::iter::Chain<
    std::iter::Chain<
        std::iter::Chain<
            std::iter::Chain<
                std::iter::Chain<
                    std::iter::Once<&'a Factor>,
                    std::iter::Chain<
                        std::slice::Iter<'a, Factor>,
                        std::option::IntoIter<&'a Factor>,
                    >,
                >,
                std::iter::Once<&'a Factor>,
            >,
            std::option::IntoIter<&'a Factor>,
        >,
        std::slice::Iter<'a, Factor>,
    >,
    std::option::IntoIter<&'a Factor>,
>;

impl Factors {
    /// Only the starting points: likelihood and impact as rated, moved by nothing; `exposure`
    /// only orders the threat among its equals.
    pub fn hints_only(hints: Arc<[Factor; 2]>, exposure: u8) -> Factors {
        Factors {
            hints,
            element: None,
            aspect: 0,
            exposure,
            ceiling: None,
            without_authentication: false,
            without_distance: false,
            on_account: false,
            on_wire: false,
            at_listener: false,
            without_blast: false,
            without_data: false,
            without_likelihood: false,
        }
    }

    /// How exposed the threat's element is: 4 directly reachable from an untrusted zone, down to
    /// 0 unreachable (docs/scoring.md, "Order").
    pub fn exposure(&self) -> u8 {
        self.exposure
    }

    pub fn iter(&self) -> FactorIter<'_> {
        let (likelihood, instead, data, tail): (
            &[Factor],
            Option<&Factor>,
            Option<&Factor>,
            &[Factor],
        ) = match &self.element {
            Some(e) => {
                let skip_authentication =
                    usize::from(e.authentication && self.without_authentication);
                let skip_distance = usize::from(self.without_distance);
                let skip_blast = usize::from(e.blast && self.without_blast);
                let second_factor = e
                    .second_factor
                    .as_ref()
                    .filter(|_| self.on_account && !self.without_authentication);
                let (likelihood, instead) = match &e.on_path {
                    _ if self.without_likelihood => (&[][..], None),
                    Some(on_path) if self.on_wire => {
                        let factor = e.at_listener.as_deref().filter(|_| self.at_listener);
                        let assumed = e.unknown_protocol.as_deref().filter(|_| !self.at_listener);
                        (std::slice::from_ref(factor.unwrap_or(on_path)), assumed)
                    }
                    _ => {
                        // With the authentication step, the second factor takes its place;
                        // without it (outsiders pass with accounts of their own), it is added.
                        let own = usize::from(e.likelihood)
                            - skip_authentication
                            - usize::from(second_factor.is_some() && e.authentication);
                        (&e.factors[skip_distance..own], second_factor)
                    }
                };
                (
                    likelihood,
                    instead,
                    e.data[usize::from(self.aspect)]
                        .filter(|_| !self.without_data)
                        .map(|i| &e.factors[usize::from(i)]),
                    &e.factors[usize::from(e.tail)..e.factors.len() - skip_blast],
                )
            }
            None => (&[], None, None, &[]),
        };
        std::iter::once(&self.hints[0])
            .chain(likelihood.iter().chain(instead))
            .chain(std::iter::once(&self.hints[1]))
            .chain(data)
            .chain(tail)
            .chain(self.ceiling.as_deref())
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Never: the two starting points are always there.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl<'a> IntoIterator for &'a Factors {
    type Item = &'a Factor;
    type IntoIter = FactorIter<'a>;
    fn into_iter(self) -> FactorIter<'a> {
        self.iter()
    }
}

impl Serialize for Factors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Whether an element's factors get their reasons written (`Options::for_summary` leaves them
/// empty): a sentence for each factor of each element with a threat, held until the analysis
/// ends (72 MB of the heap at 50,000 components).
#[derive(Clone, Copy)]
pub(crate) struct Reasons {
    pub(crate) written: bool,
}

impl Reasons {
    /// Reasons written: what every report shows, and what a rule's own hints always have.
    pub(crate) const WRITTEN: Reasons = Reasons { written: true };

    /// A factor whose reason is written only when reasons are.
    fn factor(
        self,
        on: &'static str,
        name: &'static str,
        effect: i8,
        reason: impl FnOnce() -> String,
    ) -> Factor {
        Factor {
            on,
            factor: name,
            effect,
            reason: self.text(reason),
        }
    }

    /// A reason, or one empty string shared by every unwritten reason (not an allocation each).
    fn text(self, reason: impl FnOnce() -> String) -> Arc<str> {
        static UNWRITTEN: std::sync::LazyLock<Arc<str>> =
            std::sync::LazyLock::new(|| Arc::from(""));
        if self.written {
            Arc::from(reason())
        } else {
            UNWRITTEN.clone()
        }
    }
}

/// Which of an element's data factors a STRIDE category reads: the aspect of the data it
/// threatens (confidentiality, integrity, availability, any).
pub(crate) fn aspect_of(stride: Stride) -> usize {
    match stride {
        Stride::InformationDisclosure => 0,
        Stride::Tampering | Stride::Repudiation => 1,
        Stride::DenialOfService => 2,
        Stride::Spoofing | Stride::ElevationOfPrivilege => 3,
    }
}

/// The element's factors, with the impact factors of only the aspects its threats need (`needed`,
/// by `aspect_of`): an element has two or three threats on average, and the others' reasons
/// would be written and kept for nothing. Likewise the wire's factor (`on_path`) only where a
/// rule about the wire (`in_transit`) fired on a flow.
pub(crate) fn element_scoring(
    world: &World,
    element: Element,
    index: usize,
    needed: [bool; 4],
    in_transit: bool,
    reasons: Reasons,
) -> Arc<ElementFactors> {
    let mut likelihood = Vec::new();
    let exposed = exposure(world, element, index);
    let rank = exposed.rank();
    if exposed.direct {
        likelihood.push(reasons.factor("likelihood", "exposure", 1, || {
            format!(
                "{} is reachable from the internet or an untrusted zone directly",
                exposed.what
            )
        }));
    } else if exposed.hops.is_none() {
        likelihood.push(reasons.factor("likelihood", "exposure", -1, || {
            format!("{} is not reachable from any untrusted zone", exposed.what)
        }));
    } else if let Some(hops) = exposed.hops.filter(|h| *h >= 3) {
        likelihood.push(reasons.factor("likelihood", "exposure", -1, || {
            format!(
                "{} is {hops} flows away from the nearest untrusted zone",
                exposed.what
            )
        }));
    }
    let far = !likelihood.is_empty() && !exposed.direct;
    let unreachable = exposed.hops.is_none();
    let authentication = exposed.hops.is_some() && !exposed.open && !exposed.direct;
    if authentication {
        likelihood.push(reasons.factor("likelihood", "authentication", -1, || {
            format!(
                "every path from an untrusted zone to {} authenticates",
                exposed.what
            )
        }));
    }
    // On a shared runtime, a workload that runs code others write (a build runner, notebooks:
    // `foothold` 4) gives the first step of an attack through the runtime without an exploit:
    // only the step from it to its neighbours is left. Pushed after the exposure factor, which
    // stays the first.
    if element == Element::Runtime && !exposed.direct {
        let runs_others_code = world.runtime_members(index).iter().copied().find(|&c| {
            world.foothold(c) == 4
                && world.model.components[c].out_of_scope.is_none()
                && !world.traits(c).contains(&"third-party")
        });
        if let Some(c) = runs_others_code {
            likelihood.push(reasons.factor("likelihood", "foothold", 1, || {
                format!(
                    "`{}` runs code others write (builds, users' code) on `{}`: a foothold there \
                     needs no exploit, only the step to its neighbours",
                    world.model.components[c].id.value, world.model.runtimes[index].id.value
                )
            }));
        }
    }
    // For an attack on an account (spoofing), a second factor on every way in is one more step: a
    // phished or guessed password is then not enough to get there. Where outsiders pass that
    // login with accounts of their own (a third party's staff, anyone who signs up), it is the
    // one step the authentication would have been: only they are left to try a stolen password
    // beyond it, not everyone who phished one.
    let second_factor =
        (element == Element::Component && exposed.hops.is_some() && !exposed.direct)
            .then(|| world.facts.components[index].second_factor_before)
            .flatten()
            .map(|gate| {
                let gate = &world.model.components[gate].id.value;
                if authentication {
                    reasons.factor("likelihood", "authentication", -2, || {
                        format!(
                            "every path from an untrusted zone to {} authenticates, past a second \
                         factor at `{gate}`",
                            exposed.what
                        )
                    })
                } else {
                    reasons.factor("likelihood", "authentication", -1, || {
                        format!(
                            "every path from an untrusted zone to {} passes a second factor at \
                         `{gate}`: a stolen password is of use only to those who pass it with \
                         accounts of their own",
                            exposed.what
                        )
                    })
                }
            });

    // Only where a rule about the wire fired: a large model has tens of thousands of flows.
    let on_path = (element == Element::Flow && in_transit)
        .then(|| wire_exposure(world, index, &exposed, reasons))
        .flatten();
    let at_listener = on_path
        .as_ref()
        .filter(|f| f.effect < 0)
        .and_then(|_| listener_exposure(world, index, reasons))
        .map(Box::new);
    // Reading or changing what crosses a flow assumes it is unencrypted; where the model names no
    // protocol, nothing says so (the checklist's flow-without-protocol asks for it).
    let unknown_protocol = on_path
        .as_ref()
        .filter(|_| world.model.flows[index].protocol.is_none())
        .map(|_| {
            Box::new(reasons.factor("likelihood", "assumption", -1, || {
                format!(
                    "flow `{}` names no protocol: that it is unencrypted is an assumption \
                     (declaring its `protocol` settles it)",
                    world.model.flows[index].id.value
                )
            }))
        });

    let Stake {
        data,
        criticality,
        holder,
        plural,
        critical,
    } = at_stake(world, element, index);
    let handles = if plural { "handle" } else { "handles" };
    let aspects = [
        Stride::InformationDisclosure,
        Stride::Tampering,
        Stride::DenialOfService,
        Stride::Spoofing,
    ];
    let from = match element {
        Element::Component => Some(index),
        Element::Flow => world.facts.flows[index].target,
        _ => None,
    };
    // What drives physical equipment is at stake for more than its data: a changed command, an
    // outage or a forged caller moves valves, motors or a rudder. Its disclosure stays a matter
    // of what the data is rated.
    let physical = from.filter(|&c| world.traits(c).contains(&"actuates"));
    let data_factors = aspects.map(|stride| {
        if !needed[aspect_of(stride)] {
            return None;
        }
        if let Some(c) = physical.filter(|_| stride != Stride::InformationDisclosure) {
            return Some(reasons.factor("impact", "physical process", 1, || {
                format!(
                    "`{}` drives physical equipment: what it is made to do, or stops doing, \
                     acts on the plant and the people near it, not only on data",
                    world.model.components[c].id.value
                )
            }));
        }
        let (aspect, rating) = data_rating(world, stride, &data);
        match rating {
            Some(3) => Some(reasons.factor("impact", "data", 1, || {
                format!("{holder} {handles} data rated at the top of the scale for {aspect}")
            })),
            Some(0) | None => Some(reasons.factor("impact", "data", -1, || {
                if data.is_empty() {
                    format!("{holder} {handles} no data assets")
                } else {
                    format!("the data {holder} {handles} is rated lowest for {aspect}")
                }
            })),
            _ => None,
        }
    });
    let criticality = match criticality {
        3 => Some(reasons.factor("impact", "criticality", 1, || {
            format!("{critical} is business-critical")
        })),
        0 => Some(reasons.factor("impact", "criticality", -1, || {
            format!("{critical} is of low criticality")
        })),
        _ => None,
    };
    let (reach, secret_store) = downstream(world, from);
    // A store of secret data downstream is at stake for what gives a foothold, not for a
    // denial of service (availability, aspect 2).
    let top_asset = [0, 1, 2, 3].map(|aspect| {
        (secret_store && aspect != 2)
            || criticality.as_ref().is_some_and(|c| c.effect > 0)
            || data_factors[aspect].as_ref().is_some_and(|d| d.effect > 0)
    });
    let ceiling = reasons.text(|| {
        format!(
            "very high impact is kept for secret or business-critical assets, and none is at \
             stake: no data {holder} {handles} is rated at the top for what the threat \
             endangers, {critical} is not business-critical, and no store of secret data lies \
             downstream"
        )
    });
    let blast = (reach >= 5 || secret_store).then(|| {
        reasons.factor("impact", "blast radius", 1, || {
            if secret_store {
                "from here an attacker reaches a store of secret data".to_owned()
            } else if reach > CAP {
                format!("from here an attacker reaches {CAP}+ more components")
            } else {
                format!("from here an attacker reaches {reach} more components")
            }
        })
    });
    // At most 3 likelihood (exposure, authentication, a runtime's foothold), 4 data and 2 more
    // impact factors: the indexes fit a byte.
    let mut factors = likelihood;
    let likelihood = factors.len() as u8;
    let data = data_factors.map(|data| {
        data.map(|d| {
            factors.push(d);
            (factors.len() - 1) as u8
        })
    });
    let tail = factors.len() as u8;
    factors.extend(criticality);
    let has_blast = blast.is_some();
    factors.extend(blast);
    Arc::new(ElementFactors {
        factors: factors.into_boxed_slice(),
        likelihood,
        far,
        unreachable,
        authentication,
        second_factor,
        own_login: element == Element::Component && own_login(world, index),
        handed_outsiders_content: element == Element::Component
            && world.facts.components[index].handed_outsiders_content,
        shows_outsiders_content: element == Element::Component
            && world.shows_outsiders_content(index),
        blast: has_blast,
        on_flow: element == Element::Flow,
        reads_only: element == Element::Flow && !world.flow_writes(index),
        on_path,
        at_listener,
        unknown_protocol,
        data,
        tail,
        exposure: rank,
        top_asset,
        ceiling,
    })
}

/// What scoring needs of a rule: passed in rather than the rule itself, so that scoring does not
/// depend on how rules are loaded.
#[derive(Clone, Copy)]
pub struct RuleScoring<'r> {
    pub stride: Stride,
    pub likelihood: Level,
    pub impact: Level,
    pub max_severity: Option<ThreatSeverity>,
    /// A privacy threat (it names a LINDDUN category): what the design does with personal data,
    /// which gives an attacker no foothold to go further from.
    pub privacy: bool,
    /// The rule's attack reaches secrets beyond the element (`reaches_secrets`): no ceiling.
    pub reaches_secrets: bool,
    /// The rule's attacker stands on a flow's network path (`in_transit`).
    pub in_transit: bool,
    /// ... and forges the caller: the target's listener is as good as the wire (`forges_caller`).
    pub forges_caller: bool,
    /// The rule describes a failure, not an attack (`failure`).
    pub failure: bool,
    /// A privacy threat of what the design itself does with people's data (`of_the_design`).
    pub of_the_design: bool,
    /// The rule's attack travels in the content the element is handed (`in_content`).
    pub in_content: bool,
    /// ... or reads back from where the team's services stored it (`in_stored_content`).
    pub in_stored_content: bool,
    /// The rule's attacker is a legitimate caller acting within its own login (`by_caller`).
    pub by_caller: bool,
    /// The rule's attack does not come over the network to the element (`off_network`).
    pub off_network: bool,
    /// The rule's own hint factors (`hint_factors`), shared by its threats.
    pub hints: &'r Arc<[Factor; 2]>,
    /// Why the impact came down to `max_severity`.
    pub severity_cap: &'r Arc<str>,
}

/// The inherent score of a threat (before controls) and the factors that made it.
pub(crate) fn inherent(rule: RuleScoring<'_>, element: &Arc<ElementFactors>) -> (Score, Factors) {
    let aspect = aspect_of(rule.stride);
    let content_reaches = (rule.in_content && element.handed_outsiders_content)
        || (rule.in_stored_content && element.shows_outsiders_content);
    let mut factors = Factors {
        hints: rule.hints.clone(),
        element: Some(element.clone()),
        // At most 3: fits.
        aspect: aspect as u8,
        exposure: element.exposure,
        ceiling: None,
        // On a flow, who reads or changes data in transit, or forges a caller, is on the network
        // path: the authentication of the callers does not stand in their way. And spoofing a
        // component whose own login is all that stands between an outsider and it (a guessed
        // password, a missing second factor, a stolen session) is an attack on that login:
        // counting it as what keeps the attacker out would be circular.
        on_account: rule.stride == Stride::Spoofing,
        without_authentication: (rule.stride == Stride::Spoofing && element.own_login)
            || content_reaches
            || rule.by_caller
            || (element.on_flow
                && matches!(
                    rule.stride,
                    Stride::InformationDisclosure | Stride::Tampering | Stride::Spoofing
                )),
        without_distance: element.far
            && (content_reaches || (rule.by_caller && !element.unreachable)),
        on_wire: element.on_flow && rule.in_transit,
        at_listener: element.on_flow && rule.in_transit && rule.forges_caller,
        without_blast: rule.privacy
            || matches!(rule.stride, Stride::DenialOfService | Stride::Repudiation)
            || (element.reads_only
                && (rule.forges_caller
                    || rule.by_caller
                    || rule.stride == Stride::ElevationOfPrivilege)),
        without_data: rule.reaches_secrets,
        without_likelihood: rule.failure || rule.of_the_design || rule.off_network,
    };
    let sum = |on: &str| -> i8 {
        factors
            .iter()
            .filter(|f| f.on == on)
            .map(|f| f.effect)
            .sum()
    };
    let likelihood = level(rule.likelihood) + sum("likelihood");
    let mut impact = level(rule.impact) + sum("impact");
    let raw_impact = impact;
    let mut reason = None;
    if impact > 3 && !element.top_asset[aspect] && !rule.reaches_secrets {
        impact = 3;
        reason = Some(element.ceiling.clone());
    }
    if let Some(cap) = rule.max_severity {
        let likelihood = likelihood.clamp(1, 4) as u8;
        while impact > 1 && severity_of(likelihood * impact.clamp(1, 4) as u8) > cap {
            impact -= 1;
            reason = Some(rule.severity_cap.clone());
        }
    }
    if let Some(reason) = reason {
        factors.ceiling = Some(Box::new(Factor {
            on: "impact",
            factor: "ceiling",
            effect: impact.min(4) - raw_impact,
            reason,
        }));
    }
    let score = Score::new(likelihood.clamp(1, 4) as u8, impact.clamp(1, 4) as u8);
    (score, factors)
}

/// Whether a privacy threat of this LINDDUN category is what the design itself does with
/// people's data (keeps it too long, cannot answer a request to erase it, collects it without
/// telling them): no attacker is involved, so how far outsiders are from it moves nothing.
pub(crate) fn of_the_design(category: threatforge_model::Linddun) -> bool {
    matches!(
        category,
        threatforge_model::Linddun::NonCompliance | threatforge_model::Linddun::Unawareness
    )
}

/// The factors a rule's own hints contribute, made once per rule and shared by its threats.
/// Said of the rule as a consequence another rule's threat absorbed, where `absorbed` (`rater`).
pub(crate) fn hint_factors(rule: &crate::rule::RuleFile, absorbed: bool) -> Arc<[Factor; 2]> {
    hint_factors_rated(rule, absorbed, rule.likelihood, None)
}

/// `hint_factors` where an entry of the rule's `likelihood_when` rates the likelihood, with the
/// clause that says why (`because`).
pub(crate) fn hint_factors_rated(
    rule: &crate::rule::RuleFile,
    absorbed: bool,
    likelihood: Level,
    because: Option<&str>,
) -> Arc<[Factor; 2]> {
    let rater = rater(rule, absorbed);
    let why = because.map_or_else(String::new, |b| format!(" where {}", b.trim()));
    Arc::new([
        Reasons::WRITTEN.factor("likelihood", "rule", 0, || {
            if rule.failure {
                format!(
                    "{rater} rates the failure's likelihood {likelihood}{why} (no attacker's path \
                     moves it)"
                )
            } else if rule.linddun.is_some_and(of_the_design) {
                format!(
                    "{rater} rates the likelihood {likelihood}{why}: it is what the design itself \
                     does with people's data, which no attacker's path moves"
                )
            } else {
                format!("{rater} rates the attack's likelihood {likelihood}{why}")
            }
        }),
        Reasons::WRITTEN.factor("impact", "rule", 0, || {
            format!("{rater} rates the impact {}", rule.impact)
        }),
    ])
}

/// Who rates a rule's hints in its factors: the rule, or, where a threat is scored by a rule it
/// absorbed (the consequence more severe than its own), that consequence's rule by its title, so
/// the factors do not read as the threat's own rule's.
pub(crate) fn rater(rule: &crate::rule::RuleFile, absorbed: bool) -> String {
    if absorbed {
        format!("the rule of what it also closes, \"{}\",", rule.title)
    } else {
        "the rule".to_owned()
    }
}

/// The aspect of the data a STRIDE category threatens, and the highest rating of it (0-3).
fn data_rating(world: &World, stride: Stride, data: &[usize]) -> (&'static str, Option<i64>) {
    use crate::world::rating_level;
    let model = world.model;
    let confidentiality = data
        .iter()
        .map(|&d| crate::world::facts::sensitivity(model.data[d].classification))
        .max();
    let integrity = data
        .iter()
        .map(|&d| rating_level(model.data[d].integrity))
        .max();
    let availability = data
        .iter()
        .map(|&d| rating_level(model.data[d].availability))
        .max();
    match stride {
        Stride::InformationDisclosure => ("confidentiality", confidentiality),
        Stride::Tampering | Stride::Repudiation => ("integrity", integrity),
        Stride::DenialOfService => ("availability", availability),
        Stride::Spoofing | Stride::ElevationOfPrivilege => (
            "confidentiality, integrity or availability",
            [confidentiality, integrity, availability]
                .into_iter()
                .flatten()
                .max(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(direct: bool, hops: Option<i64>, open: bool) -> Exposed {
        Exposed {
            direct,
            hops,
            open,
            what: String::new(),
        }
    }

    #[test]
    fn exposure_ranks_from_direct_to_unreachable() {
        assert_eq!(exposed(true, Some(0), true).rank(), 4);
        assert_eq!(exposed(false, Some(1), true).rank(), 3);
        assert_eq!(exposed(false, Some(1), false).rank(), 2);
        assert_eq!(exposed(false, Some(3), true).rank(), 2);
        assert_eq!(exposed(false, Some(3), false).rank(), 1);
        assert_eq!(exposed(false, None, false).rank(), 0);
    }

    /// The likelihood factors of the component `id`, as (factor, effect).
    fn likelihood_factors(text: &str, id: &str) -> Vec<(&'static str, i8)> {
        let model = crate::world::facts::tests::model_of(text);
        let world = World::new(&model);
        let Some(index) = model.components.get_index_of(id) else {
            panic!("no component {id}");
        };
        let scoring = element_scoring(
            &world,
            Element::Component,
            index,
            [false; 4],
            false,
            Reasons::WRITTEN,
        );
        scoring.factors[..usize::from(scoring.likelihood)]
            .iter()
            .map(|f| (f.factor, f.effect))
            .collect()
    }

    fn shop(shopper: &str) -> String {
        format!(
            "system: {{ name: t }}
components:
  shopper: {{ technology: browser, exposure: internet{shopper} }}
  web: {{ technology: web-application }}
  orders: {{ technology: api-service }}
flows:
  - shopper -> web: {{ protocol: https, authentication: session }}
  - web -> orders: {{ protocol: grpc-tls, authentication: token, authorization: user }}
"
        )
    }

    #[test]
    fn authentication_lowers_likelihood_only_where_it_keeps_outsiders_out() {
        for id in ["web", "orders"] {
            assert_eq!(
                likelihood_factors(&shop(""), id),
                [("authentication", -1)],
                "{id}: staff accounts"
            );
            assert_eq!(
                likelihood_factors(&shop(", traits: [open-sign-up]"), id),
                [],
                "{id}: anyone can sign up"
            );
        }
        // A partner authenticates with its key, and is still untrusted input.
        let partner = shop("").replace(
            "shopper: { technology: browser",
            "shopper: { technology: partner-system",
        );
        assert_eq!(likelihood_factors(&partner, "web"), []);
    }

    /// The likelihood step of a transport threat on each flow of `text`, by flow id.
    fn wire_steps(text: &str) -> Vec<(String, Option<i8>)> {
        let model = crate::world::facts::tests::model_of(text);
        let world = World::new(&model);
        (0..model.flows.len())
            .map(|i| {
                let exposed = exposure(&world, Element::Flow, i);
                let step = wire_exposure(&world, i, &exposed, Reasons::WRITTEN).map(|f| f.effect);
                (model.flows[i].id.value.clone(), step)
            })
            .collect()
    }

    #[test]
    fn a_transport_threat_is_as_likely_as_the_network_its_wire_runs_on() {
        let steps = wire_steps(
            "system: { name: t }
components:
  shopper: { technology: browser, exposure: internet }
  installer: { technology: mobile-app, exposure: internet }
  lb: { technology: load-balancer, exposure: internet }
  app: { technology: api-service }
  db: { technology: postgresql }
  mailer: { technology: external-service, exposure: internet }
flows:
  - shopper -> lb: { protocol: http }
  - lb -> app: { protocol: http }
  - app -> db: { protocol: postgres }
  - app -> mailer: { protocol: http }
  - installer -> app: { protocol: bluetooth }
",
        );
        let expected = [
            ("shopper->lb", Some(1)),
            ("lb->app", Some(-1)),
            ("app->db", Some(-1)),
            ("app->mailer", Some(1)),
            ("installer->app", None),
        ];
        let expected: Vec<(String, Option<i8>)> = expected
            .iter()
            .map(|(id, step)| ((*id).to_owned(), *step))
            .collect();
        assert_eq!(steps, expected);
    }
}
