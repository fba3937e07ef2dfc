//! The objects rule conditions see (documented in docs/writing-rules.md, typed in `cel/types.rs`),
//! read on access from the model and its facts. Everything a field needs that is not a plain
//! model value is computed once here, so reading a field is a lookup.

pub(crate) mod facts;
pub(crate) mod reach;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use threatforge_model::catalog;
use threatforge_model::{
    Authentication, BoundaryKind, Classification, ComponentKind, DataCategory, Exposure, Model,
};

use self::facts::{ComponentFacts, Facts, sensitivity, trust_level};
use crate::cel::value::{List, ObjKind, Value};
use crate::field::Field;

pub(crate) fn rating_level(rating: threatforge_model::Rating) -> i64 {
    match rating {
        threatforge_model::Rating::Low => 0,
        threatforge_model::Rating::Medium => 1,
        threatforge_model::Rating::High => 2,
        threatforge_model::Rating::Critical => 3,
    }
}

struct ComponentExtra<'m> {
    /// The effective kind, looked up in the catalogue once: rules read it on almost every element.
    kind: ComponentKind,
    traits: Vec<&'m str>,
    controls: Vec<&'m str>,
    processes: Vec<&'m str>,
    stores: Vec<&'m str>,
    stored: Vec<usize>,
    /// The data that reaches it: what its inbound flows carry and its outbound flows return, so
    /// a rule about content it takes in names that, not what it only sends.
    received: Vec<usize>,
    max: Classification,
    level: i64,
    categories: Vec<&'static str>,
    boundaries: Vec<&'m str>,
    /// The component's runtime and its position among the runtime's members.
    runtime_seat: Option<(usize, usize)>,
    /// The component's innermost boundary and its position among that boundary's own members.
    zone_seat: Option<(usize, usize)>,
    tags: Vec<&'m str>,
    /// The criticality level (0-3) that counts: see [`World::criticality`].
    criticality: i64,
    /// Worked out once: rules over a runtime's members compare every pair of them.
    foothold: i64,
    /// The highest confidentiality or integrity level (0-3) of its data (`stake`).
    stake: i64,
}

/// The data a component receives (`received_data`), in data order: its inbound flows' data and
/// its outbound flows' returns, as the flows' own lists have resolved them.
fn received(cf: &ComponentFacts, flows: &[FlowExtra]) -> Vec<usize> {
    let mut received: Vec<usize> = cf
        .inbound
        .iter()
        .flat_map(|&f| &flows[f].sent)
        .chain(cf.outbound.iter().flat_map(|&f| &flows[f].returned))
        .copied()
        .collect();
    received.sort_unstable();
    received.dedup();
    received
}

/// How readily an outsider gets a first foothold on a component (`foothold`): 4 a build runner,
/// which runs whatever code the builds bring, or a service that runs code its users write (a
/// notebook server); 3 it parses content (files, XML, serialized objects, URLs to fetch) and some
/// of its data is written by parties outside the team (`untrusted_origin`): what it parses may be
/// crafted; 2 it faces the internet, directly or behind forwarders, or reads what outsiders
/// write; 1 reachable from the internet further in; 0 not reachable. A SOAP adapter parsing its
/// own back end's answers is not a parser of crafted content, and neither is a parser hardened
/// against what crafted content does (the control that answers each way in: XML parser
/// hardening, upload validation, safe deserialization, egress filtering for fetched URLs).
fn foothold(traits: &[&str], controls: &[&str], cf: &ComponentFacts, facts: &Facts) -> i64 {
    const CRAFTED: [(&str, &str); 4] = [
        ("accepts-files", "file-validation"),
        ("parses-xml", "xml-hardening"),
        ("deserializes-objects", "safe-deserialization"),
        ("fetches-urls", "egress-filtering"),
    ];
    let parses = CRAFTED
        .iter()
        .any(|(way_in, hardened)| traits.contains(way_in) && !controls.contains(hardened));
    let crafted = || cf.data.iter().any(|&d| facts.data[d].untrusted_origin);
    if traits.contains(&"build-system") || traits.contains(&"runs-user-code") {
        4
    } else if parses && crafted() {
        3
    } else if cf.pulls_untrusted_input || (0..=1).contains(&cf.internet_hops) {
        2
    } else {
        i64::from(cf.reachable_from_internet)
    }
}

/// Which components reach confidential records (`reaches_records`): they store confidential or
/// secret data, or a flow of theirs to the team's own services or stores (not a third party's)
/// returns such data or writes it. A service that hands what it is given to a vendor and passes
/// the answer back (a card tokenizer) reaches no one's records; a service in front of the
/// database, or in front of one that is, or one that issues refunds through the team's commerce
/// API, does, and so does one with no flow out at all, whose database the model may leave out.
fn reaches_records(
    model: &Model,
    facts: &Facts,
    components: &[ComponentExtra<'_>],
    flows: &[FlowExtra<'_>],
) -> Vec<bool> {
    let confidential = |d: &usize| facts::sensitivity(model.data[*d].classification) >= 2;
    facts
        .components
        .iter()
        .zip(components)
        .map(|(cf, x)| {
            // Nothing drawn behind it: what it returns is taken to be its own (a model often
            // leaves out a service's database).
            x.stored.iter().any(confidential)
                || cf.outbound.is_empty()
                || cf.outbound.iter().any(|&f| {
                    facts.flows[f]
                        .target
                        .is_some_and(|t| !components[t].traits.contains(&"third-party"))
                        && (flows[f].returned.iter().any(confidential)
                            || (flows[f].writes(model.flows[f].readonly)
                                && flows[f].sent.iter().any(confidential)))
                })
        })
        .collect()
}

/// Which components change nothing when called (`only_reads`): they keep no data, and every flow
/// they start reads, or feeds a log or a language model (a retriever that embeds a question and
/// searches an index; a look-up service in front of a read-only API). One with no flow out is
/// not counted: what it does with what it is sent is not drawn.
fn only_reads(
    model: &Model,
    facts: &Facts,
    components: &[ComponentExtra<'_>],
    flows: &[FlowExtra<'_>],
) -> Vec<bool> {
    let feeds_log_or_model = |t: usize| {
        let traits = &components[t].traits;
        traits.contains(&"logging") || (traits.contains(&"llm") && !traits.contains(&"ai-agent"))
    };
    facts
        .components
        .iter()
        .zip(components)
        .map(|(cf, x)| {
            x.kind != ComponentKind::Store
                && x.stored.is_empty()
                && !cf.outbound.is_empty()
                && cf.outbound.iter().all(|&f| {
                    !flows[f].writes(model.flows[f].readonly)
                        || facts.flows[f].target.is_some_and(feeds_log_or_model)
                })
        })
        .collect()
}

/// Which components serve many tenants (`serves_tenants`): those with the trait `multi-tenant`,
/// and, in a system tagged `multi-tenant` (one deployment for every customer organisation), each
/// of the team's own processes in scope: there every service handles every tenant's requests.
fn serves_tenants(model: &Model, components: &[ComponentExtra<'_>]) -> Vec<bool> {
    let whole_system = model
        .system
        .as_ref()
        .is_some_and(|s| s.tags.iter().any(|t| t == "multi-tenant"));
    model
        .components
        .values()
        .zip(components)
        .map(|(c, x)| {
            x.traits.contains(&"multi-tenant")
                || (whole_system
                    && x.kind == ComponentKind::Process
                    && c.out_of_scope.is_none()
                    && !x.traits.contains(&"third-party"))
        })
        .collect()
}

struct FlowExtra<'m> {
    sent: Vec<usize>,
    returned: Vec<usize>,
    all: Vec<usize>,
    max: Classification,
    level: i64,
    categories: Vec<&'static str>,
    controls: Vec<&'m str>,
    tags: Vec<&'m str>,
    local: bool,
    /// What the protocol implies, looked up in the catalogue once rather than on every read.
    encrypted: bool,
    family: &'m str,
}

impl FlowExtra<'_> {
    /// Whether the flow may change what its target holds (`writes`): not marked read-only, and it
    /// sends data or names nothing either way. A flow that names only what comes back reads,
    /// whatever its flag says, so a missing flag (common in imported models) makes no writer.
    fn writes(&self, readonly: bool) -> bool {
        !readonly && (!self.sent.is_empty() || self.returned.is_empty())
    }
}

struct DataExtra<'m> {
    categories: Vec<&'static str>,
    tags: Vec<&'m str>,
    firmware: bool,
    /// Its id or name says it is a file (`names_a_file`).
    named_file: bool,
}

/// Whether a data asset's id or name says it is a file: one of its words is file, upload,
/// attachment, document, photo, image, video, scan, PDF, CSV, a spreadsheet or an archive (in
/// any case, plural too). The language has no category for files; a flow into a service that
/// takes uploads often carries the form's fields beside the file, and only the file is what the
/// uploader crafts for a parser.
fn names_a_file(id: &str, d: &threatforge_model::DataAsset) -> bool {
    const WORDS: &[&str] = &[
        "file",
        "upload",
        "uploaded",
        "attachment",
        "document",
        "photo",
        "image",
        "picture",
        "video",
        "scan",
        "pdf",
        "csv",
        "xls",
        "xlsx",
        "docx",
        "spreadsheet",
        "archive",
        "zip",
    ];
    let names_one = |text: &str| {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_ascii_lowercase)
            .any(|word| {
                let singular = word.strip_suffix('s').unwrap_or(&word);
                WORDS.contains(&word.as_str()) || WORDS.contains(&singular)
            })
    };
    names_one(id) || d.name.as_deref().is_some_and(names_one)
}

/// Whether a data asset is a firmware image (`firmware`). The language has no category for
/// firmware, so the asset's id or name says it: "firmware" in the id (ids are lowercase), or
/// "firmware image" in the name, in any case. The rules about what devices install and about
/// tampering on the way ask this one test.
fn is_firmware(id: &str, d: &threatforge_model::DataAsset) -> bool {
    id.contains("firmware")
        || d.name
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("firmware image"))
}

struct BoundaryExtra<'m> {
    children: Vec<&'m str>,
    /// The components whose innermost boundary this is.
    members: Vec<usize>,
}

struct RuntimeExtra<'m> {
    members: Vec<usize>,
    zones: Vec<&'m str>,
    /// Its technology's traits (`runs-containers` for a container platform).
    traits: Vec<&'m str>,
}

/// The model, its facts, and what fields need, ready for rules.
pub struct World<'m> {
    pub model: &'m Model,
    pub facts: Facts,
    components: Vec<ComponentExtra<'m>>,
    flows: Vec<FlowExtra<'m>>,
    data: Vec<DataExtra<'m>>,
    boundaries: Vec<BoundaryExtra<'m>>,
    runtimes: Vec<RuntimeExtra<'m>>,
    /// By component: it keeps, reads or writes confidential records (`reaches_records`). Apart
    /// from the other component facts because it needs the flows' data, worked out after them.
    reaches_records: Vec<bool>,
    /// By component: calling it changes nothing (`only_reads`), worked out with `reaches_records`.
    only_reads: Vec<bool>,
    /// By component: it serves many tenants (`serves_tenants`).
    serves_tenants: Vec<bool>,
    all_components: Vec<usize>,
    all_flows: Vec<usize>,
    all_data: Vec<usize>,
    boundary_ids: Vec<&'m str>,
    /// Filters of a zone's or a runtime's members that every member's evaluation shares, by the
    /// filter (`PeerFilter::key` in `cel/eval.rs`) and the group: made by the first evaluation
    /// that needs one, read by the rest (see `shared_filter`).
    shared_filters: Mutex<SharedFilters>,
}

/// What peer filters kept of a group's members, by the filter's key and the group (a fast hash:
/// every evaluation of a zone rule looks its list up).
type SharedFilters = HashMap<(usize, PeerGroup), Arc<[usize]>, foldhash::fast::FixedState>;

/// A group of components a component's peers are drawn from: its zone (innermost boundary) or
/// its runtime, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PeerGroup {
    Zone(usize),
    Runtime(usize),
}

fn max_of(model: &Model, data: &[usize]) -> (Classification, i64) {
    let max = data
        .iter()
        .map(|&d| model.data[d].classification)
        .max()
        .unwrap_or(Classification::Public);
    (max, sensitivity(max))
}

fn categories_of(model: &Model, data: &[usize]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = data
        .iter()
        .flat_map(|&d| model.data[d].categories.iter().map(|c| c.value.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn strs(items: &[threatforge_model::Sp<String>]) -> Vec<&str> {
    items.iter().map(|x| x.value.as_str()).collect()
}

/// Whether a component's code is its vendor's: a third party's service, or a product its provider
/// runs (`managed`: an identity provider, a monitoring tool), not a host for the team's own code
/// (a function, a web application on a managed platform). Read by few rules, on few components,
/// so looked up where read rather than kept for every component.
fn vendor_code(c: &threatforge_model::Component, traits: &[&str]) -> bool {
    traits.binary_search(&"third-party").is_ok()
        || (traits.binary_search(&"managed").is_ok()
            && c.technology
                .as_ref()
                .and_then(|t| catalog().technology(&t.value))
                .is_some_and(|t| t.product))
}

fn tags(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

impl<'m> World<'m> {
    pub fn new(model: &'m Model) -> World<'m> {
        let facts = facts::derive(model);
        let catalog = catalog();
        let mut runtime_members: Vec<Vec<usize>> = vec![Vec::new(); model.runtimes.len()];
        let mut seats: Vec<Option<(usize, usize)>> = vec![None; facts.components.len()];
        for (c, cf) in facts.components.iter().enumerate() {
            if let Some(r) = cf.runtime {
                seats[c] = Some((r, runtime_members[r].len()));
                runtime_members[r].push(c);
            }
        }
        let mut zone_members: Vec<Vec<usize>> = vec![Vec::new(); model.boundaries.len()];
        let mut zone_seats: Vec<Option<(usize, usize)>> = vec![None; facts.components.len()];
        for (c, cf) in facts.components.iter().enumerate() {
            if let Some(&b) = cf.boundaries.first() {
                zone_seats[c] = Some((b, zone_members[b].len()));
                zone_members[b].push(c);
            }
        }
        let boundary_id = |b: usize| model.boundaries[b].id.value.as_str();
        // The elements' extras are worked out in parallel: at 50,000 components they took
        // 0.08 s on one core, while the other waited.
        let mut components: Vec<ComponentExtra<'m>> = (0..model.components.len())
            .into_par_iter()
            .map(|i| {
                let (c, cf) = (&model.components[i], &facts.components[i]);
                let mut traits: Vec<&'m str> = c
                    .technology
                    .as_ref()
                    .and_then(|t| catalog.technology(&t.value))
                    .map(|t| t.traits.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                traits.extend(c.traits.iter().map(|t| t.value.as_str()));
                // Browser code people use only in-process is their client (`person_clients`).
                if cf.person_client {
                    traits.push("human-client");
                }
                traits.sort_unstable();
                traits.dedup();
                let (max, level) = max_of(model, &cf.data);
                let criticality = rating_level(model.criticality_of(c));
                let stake = cf
                    .data
                    .iter()
                    .map(|&d| rating_level(model.data[d].integrity))
                    .fold(level, i64::max);
                let controls = c.effective_controls();
                ComponentExtra {
                    criticality,
                    foothold: foothold(&traits, &controls, cf, &facts),
                    stake,
                    kind: c.effective_kind(),
                    traits,
                    controls,
                    processes: strs(&c.processes),
                    stores: strs(&c.stores),
                    stored: c
                        .stores
                        .iter()
                        .filter_map(|d| model.data.get_index_of(&d.value))
                        .collect(),
                    // Filled in below, from the flows' resolved data.
                    received: Vec::new(),
                    max,
                    level,
                    categories: categories_of(model, &cf.data),
                    boundaries: cf.boundaries.iter().map(|&b| boundary_id(b)).collect(),
                    runtime_seat: seats[i],
                    zone_seat: zone_seats[i],
                    tags: tags(&c.tags),
                }
            })
            .collect();
        let flows: Vec<FlowExtra<'m>> = (0..model.flows.len())
            .into_par_iter()
            .map(|i| {
                let f = &model.flows[i];
                let index = |ids: &[threatforge_model::Sp<String>]| -> Vec<usize> {
                    ids.iter()
                        .filter_map(|d| model.data.get_index_of(&d.value))
                        .collect()
                };
                let sent = index(&f.data);
                let returned = index(&f.returns);
                let mut all: Vec<usize> = sent.iter().chain(&returned).copied().collect();
                all.sort_unstable();
                all.dedup();
                let (max, level) = max_of(model, &all);
                FlowExtra {
                    categories: categories_of(model, &all),
                    level: if all.is_empty() { 0 } else { level },
                    max,
                    sent,
                    returned,
                    all,
                    controls: f.effective_controls(),
                    tags: tags(&f.tags),
                    local: catalog.protocol(f.protocol_id()).is_some_and(|p| p.local),
                    encrypted: f.is_encrypted(),
                    family: f.protocol_family(),
                }
            })
            .collect();
        components
            .par_iter_mut()
            .zip(&facts.components)
            .for_each(|(extra, cf)| extra.received = received(cf, &flows));
        let reaches_records = reaches_records(model, &facts, &components, &flows);
        let only_reads = only_reads(model, &facts, &components, &flows);
        let serves_tenants = serves_tenants(model, &components);
        let data = model
            .data
            .iter()
            .map(|(id, d)| DataExtra {
                categories: d.categories.iter().map(|c| c.value.as_str()).collect(),
                tags: tags(&d.tags),
                firmware: is_firmware(id, d),
                named_file: names_a_file(id, d),
            })
            .collect();
        let boundaries = facts
            .boundaries
            .iter()
            .zip(zone_members)
            .map(|(bf, members)| BoundaryExtra {
                children: bf.children.iter().map(|&c| boundary_id(c)).collect(),
                members,
            })
            .collect();
        let runtimes = runtime_members
            .into_iter()
            .zip(model.runtimes.values())
            .map(|(members, runtime)| {
                let mut zones: Vec<&'m str> = members
                    .iter()
                    .map(|&c| {
                        facts.components[c]
                            .boundaries
                            .first()
                            .map_or("", |&b| boundary_id(b))
                    })
                    .collect();
                zones.sort_unstable();
                zones.dedup();
                let traits = runtime
                    .technology
                    .as_ref()
                    .and_then(|t| catalog.technology(&t.value))
                    .map(|t| t.traits.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                RuntimeExtra {
                    members,
                    zones,
                    traits,
                }
            })
            .collect();
        World {
            model,
            components,
            flows,
            data,
            boundaries,
            runtimes,
            reaches_records,
            only_reads,
            serves_tenants,
            shared_filters: Mutex::default(),
            all_components: (0..model.components.len()).collect(),
            all_flows: (0..model.flows.len()).collect(),
            all_data: (0..model.data.len()).collect(),
            boundary_ids: model.boundaries.keys().map(String::as_str).collect(),
            facts,
        }
    }

    pub fn traits(&self, component: usize) -> &[&'m str] {
        &self.components[component].traits
    }

    /// How readily an outsider gets a first foothold on a component (`foothold`, 0-4).
    pub fn foothold(&self, component: usize) -> i64 {
        self.components[component].foothold
    }

    /// Content that parties the team does not vet write reaches the component: handed to it
    /// through the services that carry it (`ComponentFacts::handed_outsiders_content`), or read
    /// back from where the team's services stored it (a datum it receives of `unvetted_origin`).
    /// Not the credentials outsiders log in with nor the card data they pay with: those are not
    /// content anything shows or passes on as written.
    pub fn shows_outsiders_content(&self, component: usize) -> bool {
        self.facts.components[component].handed_outsiders_content
            || self.components[component].received.iter().any(|&d| {
                self.facts.data[d].unvetted_origin
                    && !self.model.data[d].categories.iter().any(|c| {
                        matches!(c.value, DataCategory::Credential | DataCategory::Payment)
                    })
            })
    }

    /// A component's criticality level (0-3): `Model::criticality_of`, worked out once.
    pub fn criticality(&self, component: usize) -> i64 {
        self.components[component].criticality
    }

    /// A component's effective kind (its own, else its technology's).
    pub fn kind(&self, component: usize) -> ComponentKind {
        self.components[component].kind
    }

    /// Whether the flow may change what its target holds (the CEL field `writes`).
    pub fn flow_writes(&self, flow: usize) -> bool {
        self.flows[flow].writes(self.model.flows[flow].readonly)
    }

    /// The data a flow sends or returns, by index, sorted, each once.
    pub fn flow_data(&self, flow: usize) -> &[usize] {
        &self.flows[flow].all
    }

    /// The components a runtime runs, by index, in model order.
    pub fn runtime_members(&self, runtime: usize) -> &[usize] {
        &self.runtimes[runtime].members
    }

    /// The group that component `c`'s `zone_peers` or `runtime_peers` (`field`) are drawn from,
    /// with its members in ascending order (`c` among them). None for another field, or where
    /// the component is in no zone or on no runtime.
    pub(crate) fn peer_group(&self, c: usize, field: Field) -> Option<(PeerGroup, &[usize])> {
        let x = self.components.get(c)?;
        match field {
            Field::ZonePeers => x
                .zone_seat
                .map(|(b, _)| (PeerGroup::Zone(b), self.boundaries[b].members.as_slice())),
            Field::RuntimePeers => x
                .runtime_seat
                .map(|(r, _)| (PeerGroup::Runtime(r), self.runtimes[r].members.as_slice())),
            _ => None,
        }
    }

    /// The members of `group` that the filter `key` keeps, where an evaluation already made it.
    /// A rule that compares each member of a zone with its peers by a test of the peer alone
    /// would otherwise take the zone's size squared: thousands of components in one zone made
    /// the segmentation rules run for minutes.
    pub(crate) fn shared_filter(&self, key: usize, group: PeerGroup) -> Option<Arc<[usize]>> {
        self.shared_filters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(key, group))
            .cloned()
    }

    /// Keeps what the filter `key` kept of `group`'s members for the evaluations after. Two
    /// threads that made it at once made the same list: the first one kept stays.
    pub(crate) fn keep_shared_filter(&self, key: usize, group: PeerGroup, kept: Arc<[usize]>) {
        self.shared_filters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((key, group))
            .or_insert(kept);
    }

    /// A field of an object; `None` when the object has no such field.
    pub fn field<'w>(&'w self, kind: ObjKind, i: usize, field: Field) -> Option<Value<'w>> {
        match kind {
            ObjKind::Component => self.component_field(i, field),
            ObjKind::Flow => self.flow_field(i, field),
            ObjKind::Data => self.data_field(i, field),
            ObjKind::Boundary => self.boundary_field(i, field),
            ObjKind::Runtime => self.runtime_field(i, field),
            ObjKind::Model => self.model_field(field),
            ObjKind::System => match field {
                Field::Name => Some(Value::Str(self.model.system_name())),
                Field::Criticality => {
                    Some(Value::Int(rating_level(self.model.system_criticality())))
                }
                _ => None,
            },
        }
    }

    fn component_field<'w>(&'w self, i: usize, field: Field) -> Option<Value<'w>> {
        let model = self.model;
        let c = &model.components[i];
        let cf = &self.facts.components[i];
        let x = &self.components[i];
        let objs = |kind, items: &'w [usize]| Some(Value::List(List::Objs(kind, items)));
        let strs = |items: &'w [&'m str]| Some(Value::List(List::Strs(items)));
        Some(match field {
            Field::Id => Value::Str(&c.id.value),
            Field::Name => Value::Str(c.name.as_deref().unwrap_or(&c.id.value)),
            Field::Kind => Value::Str(x.kind.as_str()),
            Field::Technology => Value::Str(c.technology_id()),
            Field::Traits => return strs(&x.traits),
            Field::Exposure => Value::Str(c.exposure.unwrap_or(Exposure::Internal).as_str()),
            Field::InternetFacing => Value::Bool(c.exposure == Some(Exposure::Internet)),
            Field::Controls => return strs(&x.controls),
            Field::Boundary => Value::Str(x.boundaries.first().copied().unwrap_or("")),
            Field::Trust => Value::Int(cf.trust),
            Field::MaxClassification => Value::Str(x.max.as_str()),
            Field::Sensitivity => Value::Int(x.level),
            Field::Categories => return strs(&x.categories),
            Field::Criticality => Value::Int(x.criticality),
            Field::OutOfScope => Value::Bool(c.out_of_scope.is_some()),
            Field::Processes => return strs(&x.processes),
            Field::Stores => return strs(&x.stores),
            Field::Data => return objs(ObjKind::Data, &cf.data),
            Field::StoredData => return objs(ObjKind::Data, &x.stored),
            Field::KeptClassification => Value::Str(
                x.stored
                    .iter()
                    .map(|&d| model.data[d].classification)
                    .max_by_key(|&c| sensitivity(c))
                    .map_or(x.max.as_str(), |c| c.as_str()),
            ),
            Field::ReceivedData => return objs(ObjKind::Data, &x.received),
            Field::Inbound => return objs(ObjKind::Flow, &cf.inbound),
            Field::Outbound => return objs(ObjKind::Flow, &cf.outbound),
            Field::ReachableFromInternet => Value::Bool(cf.reachable_from_internet),
            Field::PullsUntrustedInput => Value::Bool(cf.pulls_untrusted_input),
            Field::TakesUntrustedInput => Value::Bool(cf.takes_untrusted_input),
            Field::NativeClientsOnly => Value::Bool(cf.native_clients_only),
            Field::AppClientsOnly => Value::Bool(cf.app_clients_only),
            Field::PasswordLogins => Value::Bool(cf.password_logins),
            Field::DelegatedLogins => Value::Bool(cf.delegated_logins),
            Field::AssumedLogins => Value::Bool(cf.assumed_logins),
            Field::UnfilteredWebTraffic => Value::Bool(cf.unfiltered_web_traffic),
            Field::PublishedToInternet => Value::Bool(cf.published_to_internet),
            Field::UsedByPeople => Value::Bool(cf.used_by_people),
            Field::ServesMachinesOnly => Value::Bool(cf.serves_machines_only),
            Field::VendorCode => Value::Bool(vendor_code(c, &x.traits)),
            Field::AnonymousCallersOnly => Value::Bool(cf.anonymous_callers_only),
            Field::InternetHops => Value::Int(cf.internet_hops),
            Field::UnauthenticatedPath => Value::Bool(cf.unauthenticated_path),
            Field::Foothold => Value::Int(x.foothold),
            Field::Stake => Value::Int(x.stake),
            Field::ReachesRecords => Value::Bool(self.reaches_records[i]),
            Field::OnlyReads => Value::Bool(self.only_reads[i]),
            Field::ServesTenants => Value::Bool(self.serves_tenants[i]),
            Field::Boundaries => return strs(&x.boundaries),
            Field::Runtime => Value::Str(
                cf.runtime
                    .map_or("", |r| model.runtimes[r].id.value.as_str()),
            ),
            Field::RuntimePeers => {
                return Some(Value::List(match x.runtime_seat {
                    Some((r, skip)) => List::ObjsWithout {
                        kind: ObjKind::Component,
                        items: &self.runtimes[r].members,
                        skip,
                    },
                    None => List::Objs(ObjKind::Component, &[]),
                }));
            }
            Field::ZonePeers => {
                return Some(Value::List(match x.zone_seat {
                    Some((b, skip)) => List::ObjsWithout {
                        kind: ObjKind::Component,
                        items: &self.boundaries[b].members,
                        skip,
                    },
                    None => List::Objs(ObjKind::Component, &[]),
                }));
            }
            Field::Tags => return strs(&x.tags),
            Field::HasCode => Value::Bool(!c.code.is_empty()),
            Field::Owner => Value::Str(c.owner.as_deref().unwrap_or("")),
            _ => return None,
        })
    }

    /// The components whose requests flow `f` carries (`flow.callers`): its source's own, or
    /// where the source passes requests on, the callers before the chain of forwarders.
    fn callers_of(&self, f: usize) -> &[usize] {
        let ff = &self.facts.flows[f];
        match &ff.callers {
            Some(callers) => callers,
            None => ff.source.as_slice(),
        }
    }

    /// The flows among `flows` that carry requests of some caller flow `f` carries; with
    /// `onward`, flows out of a forwarder that name no callers are kept too, since they pass on
    /// whatever reaches it, the requests of callers the model does not draw included.
    fn flows_sharing_callers<'w>(
        &'w self,
        flows: &'w [usize],
        f: usize,
        onward: bool,
    ) -> Value<'w> {
        let mine = self.callers_of(f);
        let shared = flows
            .iter()
            .filter(|&&g| {
                if onward && self.model.flows[g].on_behalf_of.is_empty() {
                    return true;
                }
                let theirs = self.callers_of(g);
                // Both sorted: one merge.
                let (mut a, mut b) = (0, 0);
                while a < mine.len() && b < theirs.len() {
                    match mine[a].cmp(&theirs[b]) {
                        std::cmp::Ordering::Less => a += 1,
                        std::cmp::Ordering::Greater => b += 1,
                        std::cmp::Ordering::Equal => return true,
                    }
                }
                false
            })
            .map(|&g| Value::Obj(ObjKind::Flow, g))
            .collect();
        Value::List(List::Values(std::rc::Rc::new(shared)))
    }

    /// Whether a flow between these ends stays inside one network the team runs: the ends share
    /// a boundary other than a cloud account (a VPC, a cluster, a host, one site or one zone), or
    /// a runtime whose workloads share machines, and no site, cloud account or VPC holds one end
    /// without the other (a zone drawn around two offices is still two sites). A VPN is a tunnel
    /// across a network the team does not run; on such a hop there is none to cross.
    fn private_hop(&self, source: Option<usize>, target: Option<usize>) -> bool {
        let (Some(source), Some(target)) = (source, target) else {
            return false;
        };
        let (s, t) = (
            &self.facts.components[source],
            &self.facts.components[target],
        );
        let model = self.model;
        let runtime_shared = s
            .runtime
            .is_some_and(|r| t.runtime == Some(r) && model.runtimes[r].kind.shares_nodes());
        let boundary_shared = s.boundaries.iter().any(|b| {
            t.boundaries.contains(b) && model.boundaries[*b].kind != BoundaryKind::CloudAccount
        });
        let leaves = |b: &usize| {
            matches!(
                model.boundaries[*b].kind,
                BoundaryKind::Physical | BoundaryKind::CloudAccount | BoundaryKind::Vpc
            )
        };
        let one_side_only = s
            .boundaries
            .iter()
            .any(|b| leaves(b) && !t.boundaries.contains(b))
            || t.boundaries
                .iter()
                .any(|b| leaves(b) && !s.boundaries.contains(b));
        (runtime_shared || boundary_shared) && !one_side_only
    }

    /// Whether a data asset is files people the team does not vet upload: its origin is unvetted,
    /// and a person's client sends it, directly or through what forwards their traffic (the
    /// flow's `callers`, on the routes a shared front names), into a component that takes
    /// uploaded files (`accepts-files`). What such a component gets from a vendor (a
    /// verification result, a webhook) is not a file anyone uploaded. Where some datum on the
    /// flow is named as a file (`names_a_file`), the others are the form's fields sent beside
    /// it (an employee's record, the pay figures typed with an import), not files; a credential
    /// never is one.
    fn uploaded_file(&self, data: usize) -> bool {
        if !self.facts.data[data].unvetted_origin
            || self.data[data].categories.contains(&"credential")
        {
            return false;
        }
        self.facts.data[data].flows.iter().any(|&f| {
            let Some(target) = self.facts.flows[f].target else {
                return false;
            };
            let sent = &self.flows[f].sent;
            self.components[target]
                .traits
                .binary_search(&"accepts-files")
                .is_ok()
                && sent.contains(&data)
                && (self.data[data].named_file || !sent.iter().any(|&d| self.data[d].named_file))
                && self
                    .callers_of(f)
                    .iter()
                    .any(|&c| self.facts.components[c].person_client)
        })
    }

    /// Whether a flow is a login being checked (`login_check`): it sends credentials and nothing
    /// else, and a credential comes back (a Kerberos logon, an LDAP bind, a sign-in answered with
    /// a token). What it writes is no change to the store it reaches, and what it reads is the
    /// answer to the login, not the store's records.
    fn login_check(&self, x: &FlowExtra<'_>) -> bool {
        let credential = |d: &usize| self.data[*d].categories.contains(&"credential");
        !x.sent.is_empty() && x.sent.iter().all(credential) && x.returned.iter().any(credential)
    }

    fn flow_field<'w>(&'w self, i: usize, field: Field) -> Option<Value<'w>> {
        let model = self.model;
        let f = &model.flows[i];
        let ff = &self.facts.flows[i];
        let x = &self.flows[i];
        let end = |c: Option<usize>| c.map_or(Value::Null, |c| Value::Obj(ObjKind::Component, c));
        let trust = |c: Option<usize>| c.map_or(2, |c| self.facts.components[c].trust);
        let data = |items: &'w [usize]| Some(Value::List(List::Objs(ObjKind::Data, items)));
        // The flows at a forwarder's other side: what it passes on as it came (empty elsewhere).
        let forwarded = |end: Option<usize>, side: fn(&'w ComponentFacts) -> &'w [usize]| match end
            .map(|c| &self.facts.components[c])
        {
            Some(cf) if cf.passes_requests_on => side(cf),
            _ => &[],
        };
        Some(match field {
            Field::Id => Value::Str(&f.id.value),
            Field::Name => Value::Str(f.name.as_deref().unwrap_or(&f.id.value)),
            Field::Source => end(ff.source),
            Field::Target => end(ff.target),
            Field::Protocol => Value::Str(f.protocol_id()),
            Field::ProtocolFamily => Value::Str(x.family),
            Field::Encrypted => Value::Bool(x.encrypted),
            Field::Local => Value::Bool(x.local),
            Field::Authentication => Value::Str(f.authentication().as_str()),
            Field::Authenticated => Value::Bool(f.authentication() != Authentication::None),
            Field::Authorization => Value::Str(f.authorization().as_str()),
            Field::Data => return data(&x.sent),
            Field::Returns => return data(&x.returned),
            Field::AllData => return data(&x.all),
            Field::Sensitivity => Value::Int(x.level),
            Field::MaxClassification => Value::Str(x.max.as_str()),
            Field::Categories => Value::List(List::Strs(&x.categories)),
            Field::Controls => Value::List(List::Strs(&x.controls)),
            Field::Usage => Value::Str(f.usage.map_or("business", |u| u.as_str())),
            Field::Readonly => Value::Bool(f.readonly),
            Field::Writes => Value::Bool(x.writes(f.readonly)),
            Field::LoginCheck => Value::Bool(self.login_check(x)),
            Field::DeliversMail => Value::Bool(
                matches!(f.protocol_id(), "smtp" | "smtps")
                    && ff
                        .target
                        .is_some_and(|c| self.components[c].traits.binary_search(&"mail").is_ok()),
            ),
            Field::PrivateHop => Value::Bool(self.private_hop(ff.source, ff.target)),
            Field::Crosses => Value::List(List::Strings(&ff.crosses)),
            Field::CrossesBoundary => Value::Bool(!ff.crosses.is_empty()),
            Field::IntoMoreTrusted => Value::Bool(trust(ff.target) > trust(ff.source)),
            Field::FromInternet => Value::Bool(
                ff.source
                    .is_some_and(|c| model.components[c].exposure == Some(Exposure::Internet)),
            ),
            Field::OutsiderPath => Value::Bool(ff.outsider_path),
            Field::Tags => Value::List(List::Strs(&x.tags)),
            // A flow that carries named callers' requests only (`on_behalf_of`) continues the
            // flows in that carry some of theirs, and is continued only where it carries some.
            Field::Continues => {
                let inbound = forwarded(ff.source, |cf| &cf.inbound);
                if f.on_behalf_of.is_empty() {
                    Value::List(List::Objs(ObjKind::Flow, inbound))
                } else {
                    self.flows_sharing_callers(inbound, i, false)
                }
            }
            Field::ContinuedBy => {
                let outbound = forwarded(ff.target, |cf| &cf.outbound);
                if outbound
                    .iter()
                    .all(|&g| model.flows[g].on_behalf_of.is_empty())
                {
                    Value::List(List::Objs(ObjKind::Flow, outbound))
                } else {
                    self.flows_sharing_callers(outbound, i, true)
                }
            }
            Field::Callers => Value::List(List::Objs(ObjKind::Component, self.callers_of(i))),
            _ => return None,
        })
    }

    fn data_field<'w>(&'w self, i: usize, field: Field) -> Option<Value<'w>> {
        let d = &self.model.data[i];
        let df = &self.facts.data[i];
        let x = &self.data[i];
        Some(match field {
            Field::Id => Value::Str(&d.id.value),
            Field::Name => Value::Str(d.name.as_deref().unwrap_or(&d.id.value)),
            Field::Classification => Value::Str(d.classification.as_str()),
            Field::Sensitivity => Value::Int(sensitivity(d.classification)),
            Field::Integrity => Value::Str(d.integrity.as_str()),
            Field::Availability => Value::Str(d.availability.as_str()),
            Field::IntegrityLevel => Value::Int(rating_level(d.integrity)),
            Field::AvailabilityLevel => Value::Int(rating_level(d.availability)),
            Field::Categories => Value::List(List::Strs(&x.categories)),
            Field::Personal => Value::Bool(d.categories.iter().any(|c| c.value.is_personal())),
            Field::Quantity => Value::Str(d.quantity.map_or("", |q| q.as_str())),
            Field::InBulk => Value::Bool(
                d.quantity
                    .is_some_and(|q| q >= threatforge_model::Quantity::Many),
            ),
            Field::Tags => Value::List(List::Strs(&x.tags)),
            Field::UntrustedOrigin => Value::Bool(df.untrusted_origin),
            Field::UnvettedOrigin => Value::Bool(df.unvetted_origin),
            Field::ReachesDevices => Value::Bool(df.reaches_devices),
            Field::HandledBy => Value::List(List::Objs(ObjKind::Component, &df.handled_by)),
            Field::Firmware => Value::Bool(x.firmware),
            Field::UploadedFile => Value::Bool(self.uploaded_file(i)),
            Field::StoredBy => Value::List(List::Objs(ObjKind::Component, &df.stored_by)),
            Field::ProcessedBy => Value::List(List::Objs(ObjKind::Component, &df.processed_by)),
            Field::Flows => Value::List(List::Objs(ObjKind::Flow, &df.flows)),
            _ => return None,
        })
    }

    fn boundary_field<'w>(&'w self, i: usize, field: Field) -> Option<Value<'w>> {
        let b = &self.model.boundaries[i];
        let bf = &self.facts.boundaries[i];
        Some(match field {
            Field::Id => Value::Str(&b.id.value),
            Field::Name => Value::Str(b.name.as_deref().unwrap_or(&b.id.value)),
            Field::Kind => Value::Str(b.kind.as_str()),
            Field::Trust => Value::Int(trust_level(b.trust)),
            Field::TrustName => Value::Str(b.trust.as_str()),
            Field::Parent => Value::Str(
                bf.parent
                    .map_or("", |p| self.model.boundaries[p].id.value.as_str()),
            ),
            Field::Children => Value::List(List::Strs(&self.boundaries[i].children)),
            Field::Components => Value::List(List::Objs(ObjKind::Component, &bf.components)),
            _ => return None,
        })
    }

    fn runtime_field<'w>(&'w self, i: usize, field: Field) -> Option<Value<'w>> {
        let r = &self.model.runtimes[i];
        let x = &self.runtimes[i];
        Some(match field {
            Field::Id => Value::Str(&r.id.value),
            Field::Name => Value::Str(r.name.as_deref().unwrap_or(&r.id.value)),
            Field::Kind => Value::Str(r.kind.as_str()),
            Field::Technology => Value::Str(r.technology.as_ref().map_or("", |t| &t.value)),
            Field::Traits => Value::List(List::Strs(&x.traits)),
            Field::Components => Value::List(List::Objs(ObjKind::Component, &x.members)),
            Field::Zones => Value::List(List::Strs(&x.zones)),
            Field::SharesNodes => Value::Bool(r.kind.shares_nodes()),
            _ => return None,
        })
    }

    fn model_field<'w>(&'w self, field: Field) -> Option<Value<'w>> {
        Some(match field {
            Field::System => Value::Obj(ObjKind::System, 0),
            Field::Components => Value::List(List::Objs(ObjKind::Component, &self.all_components)),
            Field::Flows => Value::List(List::Objs(ObjKind::Flow, &self.all_flows)),
            Field::Data => Value::List(List::Objs(ObjKind::Data, &self.all_data)),
            Field::Boundaries => Value::List(List::Strs(&self.boundary_ids)),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::types::{Object, Ty};
    use threatforge_model::{LoadOptions, load_str};

    const MODEL: &str = "system: { name: T, criticality: high }
data:
  card: { classification: secret, categories: [payment] }
  profile: { classification: confidential, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [profile] }
  db: { technology: postgresql, stores: [card, profile] }
flows:
  - user -> web: { protocol: https, authentication: credentials, data: [profile, card] }
  - web -> db: { protocol: postgres, data: [card], returns: [profile] }
boundaries:
  cloud: { kind: cloud-account, trust: high, contains: [app] }
  app: { kind: vpc, contains: [web, db] }
runtimes:
  host: { kind: host, runs: [web, db] }
";

    fn object_kind(object: Object) -> ObjKind {
        match object {
            Object::Component | Object::ComponentRef => ObjKind::Component,
            Object::Flow => ObjKind::Flow,
            Object::Data | Object::DataAsset => ObjKind::Data,
            Object::Boundary => ObjKind::Boundary,
            Object::Runtime => ObjKind::Runtime,
            Object::Model => ObjKind::Model,
            Object::System => ObjKind::System,
        }
    }

    /// Every field the checker allows exists, with the type the checker assumes, recursively
    /// into the first element of lists and into objects (to a small depth: objects nest).
    fn assert_shape(world: &World, value: &Value, ty: Ty, path: &str, depth: usize) {
        match (ty, value) {
            (Ty::Obj(object), Value::Obj(kind, i)) => {
                assert_eq!(*kind, object_kind(object), "{path}");
                if depth == 0 {
                    return;
                }
                for (name, field_ty) in object.fields() {
                    let id =
                        Field::from_name(name).unwrap_or_else(|| panic!("no field id for {name}"));
                    let field = world
                        .field(*kind, *i, id)
                        .unwrap_or_else(|| panic!("{path}.{name} is missing"));
                    assert_shape(
                        world,
                        &field,
                        field_ty,
                        &format!("{path}.{name}"),
                        depth - 1,
                    );
                }
            }
            (Ty::Obj(_), Value::Null) => {}
            (Ty::List(inner), Value::List(list)) => {
                if let Some(first) = list.get(0) {
                    assert_shape(world, &first, *inner, &format!("{path}[0]"), depth);
                }
            }
            (Ty::Str, Value::Str(_) | Value::OwnedStr(_))
            | (Ty::Int, Value::Int(_))
            | (Ty::Bool, Value::Bool(_)) => {}
            (ty, value) => panic!("{path}: expected {}, found {value:?}", ty.describe()),
        }
    }

    #[test]
    fn objects_have_every_field_the_checker_allows() {
        let loaded = load_str(
            "m.yaml",
            MODEL,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let world = World::new(&loaded.model);
        for i in 0..3 {
            assert_shape(
                &world,
                &Value::Obj(ObjKind::Component, i),
                Ty::Obj(Object::Component),
                "component",
                3,
            );
        }
        for i in 0..2 {
            assert_shape(
                &world,
                &Value::Obj(ObjKind::Flow, i),
                Ty::Obj(Object::Flow),
                "flow",
                3,
            );
            assert_shape(
                &world,
                &Value::Obj(ObjKind::Data, i),
                Ty::Obj(Object::DataAsset),
                "data",
                3,
            );
            assert_shape(
                &world,
                &Value::Obj(ObjKind::Boundary, i),
                Ty::Obj(Object::Boundary),
                "boundary",
                3,
            );
        }
        assert_shape(
            &world,
            &Value::Obj(ObjKind::Runtime, 0),
            Ty::Obj(Object::Runtime),
            "runtime",
            3,
        );
        assert_shape(
            &world,
            &Value::Obj(ObjKind::Model, 0),
            Ty::Obj(Object::Model),
            "model",
            3,
        );
        // No field beyond those documented.
        assert!(world.field(ObjKind::Component, 0, Field::Zones).is_none());
    }

    #[test]
    fn facts_follow_the_graph() {
        let loaded = load_str(
            "m.yaml",
            MODEL,
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        let world = World::new(&loaded.model);
        let facts = &world.facts;
        let (user, web, db) = (0, 1, 2);
        assert_eq!(facts.components[user].internet_hops, 0);
        assert_eq!(facts.components[web].internet_hops, 1);
        assert_eq!(facts.components[db].internet_hops, 2);
        // The only path to the web app authenticates; the database is behind it.
        assert!(!facts.components[web].unauthenticated_path);
        assert!(!facts.components[db].unauthenticated_path);
        // web sits in app inside cloud: innermost first.
        assert_eq!(facts.components[web].boundaries, vec![1, 0]);
        assert_eq!(facts.components[web].trust, 2);
        // The internet-facing browser is outside every boundary, so its flow enters both.
        assert_eq!(facts.flows[0].crosses, vec!["internet", "app", "cloud"]);
        assert!(facts.flows[1].crosses.is_empty());
        let Some(Value::List(peers)) = world.field(ObjKind::Component, web, Field::RuntimePeers)
        else {
            panic!("runtime_peers is a list");
        };
        let peers: Vec<_> = peers.iter().collect();
        assert!(
            matches!(peers[..], [Value::Obj(ObjKind::Component, 2)]),
            "{peers:?}"
        );
        // web and db share their innermost boundary; the browser is in none, so has no zone.
        let zone_peers = |c: usize| -> Vec<Value> {
            let Some(Value::List(peers)) = world.field(ObjKind::Component, c, Field::ZonePeers)
            else {
                panic!("zone_peers is a list");
            };
            peers.iter().collect()
        };
        assert!(
            matches!(zone_peers(db)[..], [Value::Obj(ObjKind::Component, 1)]),
            "{:?}",
            zone_peers(db)
        );
        assert!(zone_peers(user).is_empty());
    }

    /// A hop inside one VPC, cluster or site is private; one between two sites a zone is drawn
    /// around, between two VPCs, or to the internet is not.
    #[test]
    fn private_hops_stay_inside_one_network_the_team_runs() {
        let loaded = load_str(
            "m.yaml",
            "system: { name: T }
data: { d: { classification: internal } }
boundaries:
  account: { kind: cloud-account, contains: [vpc-a, vpc-b] }
  vpc-a: { kind: vpc, contains: [app, db] }
  vpc-b: { kind: vpc, contains: [other] }
  wan: { kind: network, contains: [office-1, office-2] }
  office-1: { kind: physical, contains: [clerk] }
  office-2: { kind: physical, contains: [server] }
components:
  app: { technology: api-service }
  db: { technology: postgresql }
  other: { technology: api-service }
  clerk: { technology: browser }
  server: { technology: api-service }
  web: { technology: api-service, exposure: internet }
  pod-1: { technology: api-service }
  pod-2: { technology: api-service }
runtimes:
  k8s: { kind: cluster, runs: [pod-1, pod-2] }
flows:
  - app -> db: { protocol: postgres, data: [d] }
  - app -> other: { protocol: http, data: [d] }
  - clerk -> server: { protocol: http, data: [d] }
  - web -> app: { protocol: http, data: [d] }
  - pod-1 -> pod-2: { protocol: http, data: [d] }
",
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let world = World::new(&loaded.model);
        let private: Vec<bool> = (0..5)
            .map(|f| {
                matches!(
                    world.field(ObjKind::Flow, f, Field::PrivateHop),
                    Some(Value::Bool(true))
                )
            })
            .collect();
        assert_eq!(private, [true, false, false, false, true]);
    }

    /// Whose requests a hop carries: its source's own, or through a chain of forwarders the
    /// callers before it, where a flow out of a shared front that names `on_behalf_of` carries
    /// only theirs; `continues` and `continued_by` then join only the hops that share a caller.
    #[test]
    fn callers_follow_a_chain_of_forwarders_and_its_routes() {
        let loaded = load_str(
            "m.yaml",
            "system: { name: T }
components:
  tablet: { technology: mobile-app, exposure: internet }
  partner: { technology: partner-system, exposure: internet }
  cdn: { technology: cdn, exposure: internet }
  gateway: { technology: api-gateway }
  orders: { technology: api-service }
  partner-api: { technology: api-service }
  admin: { technology: browser }
flows:
  - tablet -> cdn: { protocol: https, authentication: token }
  - partner -> cdn: { protocol: https, authentication: api-key }
  - cdn -> gateway: { protocol: https }
  - gateway -> orders: { protocol: https, on_behalf_of: [tablet] }
  - gateway -> partner-api: { protocol: https, on_behalf_of: [partner] }
  - admin -> gateway: { protocol: https, authentication: session }
",
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let world = World::new(&loaded.model);
        let objs = |f: usize, field: Field| -> Vec<usize> {
            let Some(Value::List(list)) = world.field(ObjKind::Flow, f, field) else {
                panic!("{field:?} is a list");
            };
            list.iter()
                .map(|v| match v {
                    Value::Obj(_, i) => i,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let (tablet, partner) = (0, 1);
        let (from_tablet, from_partner, cdn_hop, to_orders, to_partner_api, from_admin) =
            (0, 1, 2, 3, 4, 5);
        assert_eq!(objs(from_tablet, Field::Callers), [tablet]);
        assert_eq!(objs(cdn_hop, Field::Callers), [tablet, partner]);
        assert_eq!(objs(to_orders, Field::Callers), [tablet]);
        assert_eq!(objs(to_partner_api, Field::Callers), [partner]);
        assert_eq!(objs(cdn_hop, Field::Continues), [from_tablet, from_partner]);
        // The admin's requests go through the gateway, but not on the partners' route.
        assert_eq!(objs(to_partner_api, Field::Continues), [cdn_hop]);
        assert!(objs(from_admin, Field::ContinuedBy).is_empty());
        assert_eq!(
            objs(cdn_hop, Field::ContinuedBy),
            [to_orders, to_partner_api]
        );
        assert_eq!(objs(from_partner, Field::ContinuedBy), [cdn_hop]);
    }

    /// A flow writes by what it carries: the flag says read-only, or it names only what comes
    /// back, and it reads; it sends data, or names nothing either way, and it may write.
    #[test]
    fn writes_follows_what_a_flow_carries_not_only_its_flag() {
        let loaded = load_str(
            "m.yaml",
            "system: { name: T }
data: { orders: { classification: internal } }
components:
  app: { technology: api-service, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
flows:
  - app -> db: { protocol: postgres-tls, id: flagged, readonly: true, returns: [orders] }
  - app -> db: { protocol: postgres-tls, id: unflagged, returns: [orders] }
  - app -> db: { protocol: postgres-tls, id: sends, data: [orders], returns: [orders] }
  - app -> db: { protocol: postgres-tls, id: unnamed }
  - app -> db: { protocol: postgres-tls, id: flagged-but-sends, readonly: true, data: [orders] }
",
            &std::env::temp_dir(),
            &LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let world = World::new(&loaded.model);
        let writes: Vec<_> = (0..5)
            .map(|f| world.field(ObjKind::Flow, f, Field::Writes))
            .collect();
        assert!(
            matches!(
                writes[..],
                [
                    Some(Value::Bool(false)),
                    Some(Value::Bool(false)),
                    Some(Value::Bool(true)),
                    Some(Value::Bool(true)),
                    Some(Value::Bool(false)),
                ]
            ),
            "{writes:?}"
        );
    }

    #[test]
    fn received_data_is_what_flows_bring_in_not_what_goes_out() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
data:
  upload: { classification: internal }
  report: { classification: internal }
  rows: { classification: internal }
  unused: { classification: internal }
components:
  user: { technology: browser }
  app: { technology: api-service, processes: [upload, report, unused] }
  db: { technology: postgresql, stores: [rows] }
flows:
  - user -> app: { protocol: https, data: [upload], returns: [report] }
  - app -> db: { protocol: postgres-tls, data: [report], returns: [rows] }
",
        );
        let world = World::new(&model);
        let names = |c: &str| -> Vec<&str> {
            let i = model.components.get_index_of(c).expect("a component");
            match world.field(ObjKind::Component, i, Field::ReceivedData) {
                Some(Value::List(List::Objs(ObjKind::Data, items))) => items
                    .iter()
                    .map(|&d| model.data[d].id.value.as_str())
                    .collect(),
                other => panic!("{other:?}"),
            }
        };
        // What the app sends (the report) or only declares (unused) is not received.
        assert_eq!(names("app"), ["upload", "rows"]);
        assert_eq!(names("db"), ["report"]);
        assert_eq!(names("user"), ["report"]);
    }

    /// A field's value that must be a boolean; `id` names the element when it is not.
    fn flag(value: Option<Value<'_>>, id: &str) -> bool {
        match value {
            Some(Value::Bool(b)) => b,
            other => panic!("{id}: {other:?}"),
        }
    }

    /// A component's boolean field, by the component's id.
    fn component_flag(world: &World<'_>, id: &str, field: Field) -> bool {
        let i = world.model.components.get_index_of(id).expect("component");
        flag(world.component_field(i, field), id)
    }

    #[test]
    fn reaches_records_tells_a_backend_of_users_data_from_one_that_relays() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
data:
  card: { classification: secret, categories: [payment] }
  orders: { classification: confidential }
  refund: { classification: confidential }
components:
  tokenizer: { technology: api-service, processes: [card] }
  psp: { technology: payment-provider, exposure: internet }
  orders-api: { technology: api-service, processes: [orders] }
  db: { technology: postgresql, stores: [orders] }
  refunds: { technology: worker, processes: [refund] }
  commerce: { technology: api-service, processes: [refund] }
  renderer: { technology: worker, processes: [orders] }
flows:
  - tokenizer -> psp: { protocol: https, authentication: api-key, data: [card], returns: [card] }
  - orders-api -> db: { protocol: postgres-tls, authentication: credentials, returns: [orders] }
  - refunds -> commerce: { protocol: https, authentication: token, data: [refund] }
  - orders-api -> renderer: { protocol: https, authentication: token, data: [orders] }
",
        );
        let world = World::new(&model);
        let reaches = |id: &str| component_flag(&world, id, Field::ReachesRecords);
        // The tokenizer's only call is to a vendor, which returns what it keeps.
        assert!(!reaches("tokenizer"));
        // In front of the database; writing refunds into the team's commerce API; the database;
        // a service with nothing drawn behind it.
        assert!(reaches("orders-api") && reaches("refunds") && reaches("db"));
        assert!(reaches("renderer"));
    }

    #[test]
    fn only_reads_tells_a_look_up_from_a_tool_that_writes() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
data:
  query: { classification: internal }
  orders: { classification: confidential }
  refund: { classification: confidential }
  trace: { classification: internal, categories: [logs] }
components:
  order-tool: { technology: api-service, processes: [query, orders] }
  commerce: { technology: external-service, stores: [orders] }
  retriever: { technology: api-service, processes: [query] }
  llm: { technology: llm-service }
  index: { technology: postgresql, stores: [orders] }
  tracer: { technology: monitoring }
  refund-tool: { technology: api-service, processes: [refund] }
  leaf: { technology: api-service }
flows:
  - order-tool -> commerce: { protocol: https, authentication: api-key, readonly: true, returns: [orders] }
  - order-tool -> tracer: { protocol: https, authentication: api-key, data: [trace] }
  - retriever -> llm: { protocol: https, authentication: api-key, data: [query] }
  - retriever -> index: { protocol: postgres-tls, authentication: credentials, returns: [orders] }
  - refund-tool -> commerce: { protocol: https, authentication: api-key, data: [refund] }
",
        );
        let world = World::new(&model);
        let only_reads = |id: &str| component_flag(&world, id, Field::OnlyReads);
        // Reading onward, feeding a log, embedding a question: nothing changes.
        assert!(only_reads("order-tool") && only_reads("retriever"));
        // Writing a refund; a store; a service with nothing drawn behind it.
        assert!(!only_reads("refund-tool") && !only_reads("index") && !only_reads("leaf"));
    }

    #[test]
    fn serves_tenants_reads_the_trait_and_the_system_s_tag() {
        let field = |yaml: &str, id: &str| {
            let model = crate::world::facts::tests::model_of(yaml);
            component_flag(&World::new(&model), id, Field::ServesTenants)
        };
        let components = "components:
  api: { technology: api-service }
  vendor: { technology: api-service, traits: [third-party] }
  legacy: { technology: api-service, out_of_scope: retired }
  db: { technology: postgresql }
  tenant-app: { technology: api-service, traits: [multi-tenant] }
";
        let tagged = format!("system: {{ name: t, tags: [multi-tenant] }}\n{components}");
        let plain = format!("system: {{ name: t }}\n{components}");
        assert!(field(&tagged, "api") && field(&tagged, "tenant-app"));
        assert!(!field(&tagged, "vendor") && !field(&tagged, "legacy") && !field(&tagged, "db"));
        assert!(!field(&plain, "api") && field(&plain, "tenant-app"));
    }

    #[test]
    fn firmware_is_read_from_the_id_or_the_name() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
data:
  gen2-firmware: { classification: internal }
  images: { name: Charger FIRMWARE IMAGES, classification: internal }
  settings: { name: Firmware version and settings, classification: internal }
",
        );
        let world = World::new(&model);
        let firmware = |id: &str| {
            let i = model.data.get_index_of(id).expect("data");
            flag(world.data_field(i, Field::Firmware), id)
        };
        assert!(firmware("gen2-firmware") && firmware("images"));
        assert!(!firmware("settings"));
    }

    #[test]
    fn shares_nodes_holds_of_hosts_machines_and_clusters_only() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
components:
  a: { technology: api-service }
  b: { technology: api-service }
  c: { technology: api-service }
  d: { technology: api-service }
  e: { technology: api-service }
runtimes:
  box: { kind: host, runs: [a] }
  vm: { kind: virtual-machine, runs: [b] }
  k8s: { kind: cluster, runs: [c] }
  account: { kind: cloud-account, runs: [d] }
  lambda: { kind: serverless, runs: [e] }
",
        );
        let world = World::new(&model);
        let shares = |id: &str| {
            let i = model.runtimes.get_index_of(id).expect("runtime");
            flag(world.runtime_field(i, Field::SharesNodes), id)
        };
        assert!(shares("box") && shares("vm") && shares("k8s"));
        assert!(!shares("account") && !shares("lambda"));
    }

    #[test]
    fn a_component_on_several_runtimes_runs_on_the_machines_it_shares() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
components:
  api: { technology: api-service }
  converter: { technology: worker }
  search: { technology: api-service }
runtimes:
  k8s: { kind: cluster, runs: [api, converter, search] }
  pod: { kind: host, runs: [api, converter] }
  role: { kind: cloud-account, runs: [api, converter, search] }
",
        );
        let world = World::new(&model);
        let runtime = |id: &str| {
            let i = model.components.get_index_of(id).expect("component");
            match world.component_field(i, Field::Runtime) {
                Some(Value::Str(s)) => s.to_owned(),
                other => panic!("{id}: {other:?}"),
            }
        };
        assert_eq!(runtime("api"), "pod");
        assert_eq!(runtime("converter"), "pod");
        assert_eq!(runtime("search"), "k8s");
    }

    #[test]
    fn foothold_and_stake_rank_what_an_outsider_gets_first_and_what_it_is_worth() {
        let model = crate::world::facts::tests::model_of(
            "system: { name: t }
data:
  upload: { classification: internal }
  reply: { classification: internal }
  orders: { classification: confidential, integrity: critical }
  keys: { classification: secret, categories: [credential] }
components:
  customer: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [upload] }
  parser: { technology: worker, traits: [parses-xml], processes: [upload] }
  adapter: { technology: worker, traits: [parses-xml], processes: [reply] }
  hardened: { technology: worker, traits: [parses-xml], processes: [upload], controls: [xml-hardening] }
  orders: { technology: api-service, processes: [orders] }
  runner: { technology: build-agent }
  vault: { technology: secrets-vault, stores: [keys] }
flows:
  - customer -> web: { protocol: https, data: [upload] }
  - web -> parser: { protocol: https, authentication: token, data: [upload] }
  - parser -> orders: { protocol: https, authentication: token, data: [orders] }
  - orders -> adapter: { protocol: https, authentication: token, returns: [reply] }
  - web -> hardened: { protocol: https, authentication: token, data: [upload] }
  - runner -> vault: { protocol: https, authentication: token, returns: [keys] }
",
        );
        let world = World::new(&model);
        let int = |id: &str, field: Field| {
            let i = model.components.get_index_of(id).expect("component");
            match world.component_field(i, field) {
                Some(Value::Int(n)) => n,
                other => panic!("{id}: {other:?}"),
            }
        };
        let footholds: Vec<i64> = ["runner", "parser", "web", "adapter", "hardened", "vault"]
            .iter()
            .map(|id| int(id, Field::Foothold))
            .collect();
        // The adapter parses XML too, but only its own back end's answers; the hardened parser
        // reads the customers' uploads with external entities and DTDs off.
        assert_eq!(footholds, [4, 3, 2, 1, 1, 0]);
        assert_eq!(int("orders", Field::Stake), 3, "critical integrity");
        assert_eq!(int("vault", Field::Stake), 3, "secret");
        assert_eq!(int("web", Field::Stake), 1, "internal");
    }
}
