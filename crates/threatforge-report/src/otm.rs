//! Open Threat Model 0.2 (IriusRisk's tool-neutral JSON), for tools that read OTM.
//!
//! OTM is coarser than a threatforge model: its risk values are 0-100 numbers, a flow is one
//! direction plus a `bidirectional` flag, and only components and dataflows carry threats. What
//! OTM has no field for (a threat's rule and status, a flow's protocol and returned data, a
//! component's controls, a data asset's classification) goes into each element's
//! `attributes.threatforge`, so that `threatforge import` reads our own export back without loss;
//! other tools ignore attributes they do not know.
//!
//! Components outside every boundary still need a parent zone in OTM. Those on the internet get
//! the implicit `internet` zone (the id is reserved in threatforge, so it cannot clash); the others
//! get `threatforge:unzoned`, an id no threatforge boundary can have. Both are marked `implicit`
//! in their attributes so that the import does not turn them into boundaries.
//!
//! Written with `serde_json` values (insertion-ordered), like SARIF; a test validates the output
//! against the official OTM 0.2 schema.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};
use threatforge_analysis::{Analysis, Coverage, Element, Threat};
use threatforge_model::{
    BoundaryTree, Classification, DecisionStatus, Exposure, INTERNET, Model, Rating, Sp, Stride,
    Trust,
};
use threatforge_model::{ControlTarget, catalog};

pub(crate) const OTM_VERSION: &str = "0.2.0";

/// The zone of components in no boundary and not on the internet.
pub(crate) const UNZONED: &str = "threatforge:unzoned";

/// OTM's trust rating, 0-100, higher is more trusted. The internet is 1, as IriusRisk has it.
pub(crate) fn trust_rating(trust: Trust) -> u8 {
    match trust {
        Trust::Untrusted => 1,
        Trust::Low => 33,
        Trust::Medium => 66,
        Trust::High => 100,
    }
}

/// Confidentiality as OTM's 0-100.
pub(crate) fn confidentiality(classification: Classification) -> u8 {
    match classification {
        Classification::Public => 0,
        Classification::Internal => 33,
        Classification::Confidential => 67,
        Classification::Secret => 100,
    }
}

/// Integrity or availability as OTM's 0-100.
pub(crate) fn rating(rating: Rating) -> u8 {
    match rating {
        Rating::Low => 25,
        Rating::Medium => 50,
        Rating::High => 75,
        Rating::Critical => 100,
    }
}

/// The category names IriusRisk uses for STRIDE.
pub(crate) fn stride_category(stride: Stride) -> &'static str {
    match stride {
        Stride::Spoofing => "Spoofing",
        Stride::Tampering => "Tampering",
        Stride::Repudiation => "Repudiation",
        Stride::InformationDisclosure => "Information Disclosure",
        Stride::DenialOfService => "Denial of Service",
        Stride::ElevationOfPrivilege => "Elevation of Privilege",
    }
}

/// The state of a threat on an element, in the words of the OTM examples.
fn threat_state(threat: &Threat) -> &'static str {
    match threat.status {
        DecisionStatus::Open | DecisionStatus::InProgress => {
            if threat.mitigation.coverage == Coverage::Partial {
                "partly-mitigated"
            } else {
                "exposed"
            }
        }
        DecisionStatus::Mitigated => "mitigated",
        DecisionStatus::Accepted => "accepted",
        DecisionStatus::FalsePositive | DecisionStatus::NotApplicable => "not-applicable",
    }
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&part.to_ascii_lowercase());
    }
    if out.is_empty() {
        "threat-model".to_owned()
    } else {
        out
    }
}

/// A map that leaves out what is empty, so attributes carry only what the model says.
#[derive(Default)]
struct Attrs(Map<String, Value>);

impl Attrs {
    fn text(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.0.insert(key.to_owned(), Value::String(v.to_owned()));
        }
        self
    }

    fn list<S: AsRef<str>>(&mut self, key: &str, items: &[S]) -> &mut Self {
        if !items.is_empty() {
            let items = items.iter().map(|s| Value::String(s.as_ref().to_owned()));
            self.0.insert(key.to_owned(), Value::Array(items.collect()));
        }
        self
    }

    fn value(&mut self, key: &str, value: Value) -> &mut Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    /// `{ "threatforge": { ... } }`.
    fn wrap(&mut self) -> Value {
        json!({ "threatforge": Value::Object(std::mem::take(&mut self.0)) })
    }
}

fn values(items: &[Sp<String>]) -> Vec<String> {
    items.iter().map(|i| i.value.clone()).collect()
}

/// The element-level reference to a threat: its state and its controls, in place or needed.
fn threat_ref(threat: &Threat) -> Value {
    let mut mitigations = Vec::new();
    for control in threat.mitigation.in_place() {
        mitigations.push(json!({ "mitigation": control, "state": "implemented" }));
    }
    for needed in threat.mitigation.missing() {
        // `a|b` is a choice: each alternative is recommended, none alone required.
        let choices: Vec<&str> = needed.split('|').collect();
        let state = if choices.len() > 1 {
            "recommended"
        } else {
            "required"
        };
        for control in choices {
            mitigations.push(json!({ "mitigation": control, "state": state }));
        }
    }
    json!({ "threat": threat.id, "state": threat_state(threat), "mitigations": mitigations })
}

pub fn render(model: &Model, analysis: &Analysis) -> String {
    let system = model.system.as_ref();

    // Parents: what directly contains each component and boundary.
    let tree = BoundaryTree::new(model);
    let parent = |id: &str| tree.parent_id(model, id);

    // Other tools know threats only: the hygiene checklist goes with them, in one id order, so
    // that its decisions survive a round trip.
    let mut findings: Vec<&Threat> = analysis.findings().collect();
    findings.sort_by(|a, b| a.id.cmp(&b.id));
    let mut by_element: HashMap<(Element, &str), Vec<&Threat>> = HashMap::new();
    for &threat in &findings {
        for element in threat.elements() {
            by_element
                .entry((element.kind, &*element.id))
                .or_default()
                .push(threat);
        }
    }
    let threats_on = |kind: Element, id: &str| -> Vec<Value> {
        by_element
            .get(&(kind, id))
            .map(|list| list.iter().map(|t| threat_ref(t)).collect())
            .unwrap_or_default()
    };

    let mut project_attrs = Attrs::default();
    if let Some(s) = system {
        project_attrs
            .text("version", s.version.as_deref())
            .text("criticality", Some(s.criticality.as_str()))
            .list("owners", &s.owners);
        if !s.contacts.is_empty() {
            let contacts = serde_json::to_value(&s.contacts).unwrap_or_default();
            project_attrs.value("contacts", contacts);
        }
    }
    // OTM has no shared runtimes; they ride along with the project so a re-import keeps them.
    if !model.runtimes.is_empty() {
        let runtimes: Vec<Value> = model
            .runtimes
            .iter()
            .map(|(id, r)| {
                let mut attrs = Attrs::default();
                attrs
                    .text("id", Some(id))
                    .text("name", r.name.as_deref())
                    .text("description", r.description.as_deref())
                    .text("kind", Some(r.kind.as_str()))
                    .list("runs", &values(&r.runs))
                    .list("tags", &r.tags);
                Value::Object(attrs.0)
            })
            .collect();
        project_attrs.value("runtimes", Value::Array(runtimes));
    }
    let mut project = json!({
        "name": model.system_name(),
        "id": slug(model.system_name()),
    });
    if let Some(s) = system {
        if let Some(d) = &s.description {
            project["description"] = json!(d);
        }
        if !s.owners.is_empty() {
            project["owner"] = json!(s.owners.join(", "));
        }
        if let Some(email) = s.contacts.iter().find_map(|c| c.email.as_ref()) {
            project["ownerContact"] = json!(email);
        }
        if !s.tags.is_empty() {
            project["tags"] = json!(s.tags);
        }
    }
    project["attributes"] = project_attrs.wrap();

    let assets: Vec<Value> = model
        .data
        .iter()
        .map(|(id, d)| {
            let mut attrs = Attrs::default();
            attrs
                .text("name", d.name.as_deref())
                .text("classification", Some(d.classification.as_str()))
                .text("integrity", Some(d.integrity.as_str()))
                .text("availability", Some(d.availability.as_str()))
                .list(
                    "categories",
                    &d.categories
                        .iter()
                        .map(|c| c.value.as_str())
                        .collect::<Vec<_>>(),
                )
                .text("quantity", d.quantity.map(|q| q.as_str()))
                .text("owner", d.owner.as_deref())
                .list("tags", &d.tags);
            let mut asset = json!({
                "name": d.name.as_deref().unwrap_or(id),
                "id": id,
            });
            if let Some(text) = &d.description {
                asset["description"] = json!(text);
            }
            asset["risk"] = json!({
                "confidentiality": confidentiality(d.classification),
                "integrity": rating(d.integrity),
                "availability": rating(d.availability),
            });
            asset["attributes"] = attrs.wrap();
            asset
        })
        .collect();

    let mut zones: Vec<Value> = model
        .boundaries
        .iter()
        .map(|(id, b)| {
            let mut attrs = Attrs::default();
            attrs
                .text("name", b.name.as_deref())
                .text("kind", Some(b.kind.as_str()))
                .text("trust", Some(b.trust.as_str()))
                .list("tags", &b.tags);
            let mut zone = json!({
                "id": id,
                "name": b.name.as_deref().unwrap_or(id),
                "type": b.kind.as_str(),
            });
            if let Some(text) = &b.description {
                zone["description"] = json!(text);
            }
            zone["risk"] = json!({ "trustRating": trust_rating(b.trust) });
            if let Some(p) = parent(id) {
                zone["parent"] = json!({ "trustZone": p });
            }
            zone["attributes"] = attrs.wrap();
            zone
        })
        .collect();

    let zone_of = |id: &str, exposure: Option<Exposure>| -> String {
        match parent(id) {
            Some(p) => p.to_owned(),
            None if exposure == Some(Exposure::Internet) => INTERNET.to_owned(),
            None => UNZONED.to_owned(),
        }
    };
    let mut uses_internet = false;
    let mut uses_unzoned = false;
    let components: Vec<Value> = model
        .components
        .iter()
        .map(|(id, c)| {
            let zone = zone_of(id, c.exposure);
            uses_internet |= zone == INTERNET;
            uses_unzoned |= zone == UNZONED;
            let kind = c.effective_kind();
            let mut attrs = Attrs::default();
            attrs
                .text("name", c.name.as_deref())
                .text(
                    "technology",
                    c.technology.as_ref().map(|t| t.value.as_str()),
                )
                .text("kind", Some(kind.as_str()))
                .text("exposure", c.exposure.map(|e| e.as_str()))
                .list("processes", &values(&c.processes))
                .list("stores", &values(&c.stores))
                .list("controls", &values(&c.controls))
                .list("traits", &values(&c.traits))
                .text("criticality", c.criticality.map(|r| r.as_str()))
                .text("owner", c.owner.as_deref())
                .list("tags", &c.tags)
                .list("code", &values(&c.code))
                .text("out_of_scope", c.out_of_scope.as_deref());
            let mut component = json!({
                "id": id,
                "name": c.name.as_deref().unwrap_or(id),
                "type": c.technology.as_ref().map_or(kind.as_str(), |t| t.value.as_str()),
            });
            if let Some(text) = &c.description {
                component["description"] = json!(text);
            }
            component["parent"] = json!({ "trustZone": zone });
            if !c.processes.is_empty() || !c.stores.is_empty() {
                component["assets"] = json!({
                    "processed": values(&c.processes),
                    "stored": values(&c.stores),
                });
            }
            component["threats"] = json!(threats_on(Element::Component, id));
            component["tags"] = json!(c.tags);
            component["attributes"] = attrs.wrap();
            component
        })
        .collect();
    if uses_internet {
        zones.push(json!({
            "id": INTERNET,
            "name": "Internet",
            "type": "internet",
            "description": "Outside every boundary, reachable from the internet.",
            "risk": { "trustRating": trust_rating(Trust::Untrusted) },
            "attributes": { "threatforge": { "implicit": INTERNET } },
        }));
    }
    if uses_unzoned {
        zones.push(json!({
            "id": UNZONED,
            "name": "Outside every boundary",
            "type": "unzoned",
            "description": "Components the model puts in no boundary and not on the internet.",
            "risk": { "trustRating": trust_rating(Trust::Medium) },
            "attributes": { "threatforge": { "implicit": "unzoned" } },
        }));
    }

    let dataflows: Vec<Value> = model
        .flows
        .iter()
        .map(|(id, f)| {
            let mut attrs = Attrs::default();
            attrs
                .text("id", f.attributes.id.as_ref().map(|i| i.value.as_str()))
                .text("name", f.name.as_deref())
                .text("protocol", f.protocol.as_ref().map(|p| p.value.as_str()));
            if let Some(encrypted) = f.encrypted {
                attrs.value("encrypted", json!(encrypted));
            }
            attrs
                .text("authentication", f.authentication.map(|a| a.as_str()))
                .text("authorization", f.authorization.map(|a| a.as_str()))
                .list("data", &values(&f.data))
                .list("returns", &values(&f.returns))
                .list("controls", &values(&f.controls))
                .text("usage", f.usage.map(|u| u.as_str()));
            if f.readonly {
                attrs.value("readonly", json!(true));
            }
            attrs
                .list("tags", &f.tags)
                .text("out_of_scope", f.out_of_scope.as_deref());
            let name = f
                .name
                .clone()
                .unwrap_or_else(|| format!("{} -> {}", f.source.value, f.target.value));
            let mut flow = json!({ "id": id, "name": name });
            if let Some(text) = &f.description {
                flow["description"] = json!(text);
            }
            flow["bidirectional"] = json!(false);
            flow["source"] = json!(f.source.value);
            flow["destination"] = json!(f.target.value);
            flow["assets"] = json!(values(&f.data));
            flow["threats"] = json!(threats_on(Element::Flow, id));
            flow["tags"] = json!(f.tags);
            flow["attributes"] = attrs.wrap();
            flow
        })
        .collect();

    let threats: Vec<Value> = findings.iter().map(|t| threat(model, t)).collect();

    let risk_reduction = risk_reductions(&findings);
    let mut controls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, c) in &model.components {
        for control in &c.controls {
            controls.entry(&control.value).or_default().push(id.clone());
        }
    }
    for (id, f) in &model.flows {
        for control in &f.controls {
            controls.entry(&control.value).or_default().push(id.clone());
        }
    }
    for name in risk_reduction.keys() {
        controls.entry(name).or_default();
    }
    let mitigations: Vec<Value> = controls
        .iter()
        .map(|(id, applied)| {
            let entry = catalog().control(id);
            let mut attrs = Attrs::default();
            attrs.text("control", Some(id));
            if let Some(c) = entry {
                let on = match c.on {
                    ControlTarget::Component => "component",
                    ControlTarget::Flow => "flow",
                    ControlTarget::Both => "both",
                };
                attrs.text("on", Some(on));
            }
            attrs.list("inPlaceOn", applied);
            let mut mitigation = json!({
                "name": entry.map_or(*id, |c| c.title.as_str()),
                "id": id,
            });
            if let Some(c) = entry.filter(|c| !c.description.is_empty()) {
                mitigation["description"] = json!(
                    c.description
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            mitigation["riskReduction"] = json!(risk_reduction.get(id).copied().unwrap_or(0));
            mitigation["attributes"] = attrs.wrap();
            mitigation
        })
        .collect();

    let otm = json!({
        "otmVersion": OTM_VERSION,
        "project": project,
        "assets": assets,
        "trustZones": zones,
        "components": components,
        "dataflows": dataflows,
        "threats": threats,
        "mitigations": mitigations,
    });
    crate::escape::json(&otm)
}

/// How much each control reduces the risk of the threats it is named for: a threat needs all of
/// its mitigations to be closed, so each of `n` is worth 100/n; a control named by several threats
/// keeps its largest share.
fn risk_reductions<'a>(findings: &[&'a Threat]) -> BTreeMap<&'a str, u32> {
    let mut out: BTreeMap<&str, u32> = BTreeMap::new();
    for t in findings {
        let needed = t.mitigation.in_place().count() + t.mitigation.missing().count();
        if needed == 0 {
            continue;
        }
        let share = (100 / needed) as u32;
        let names = t
            .mitigation
            .in_place()
            .chain(t.mitigation.missing())
            .flat_map(|m| m.split('|'));
        for name in names {
            let entry = out.entry(name).or_default();
            *entry = (*entry).max(share);
        }
    }
    out
}

fn score(s: &threatforge_analysis::Score) -> Value {
    json!({
        "likelihood": s.likelihood,
        "impact": s.impact,
        "score": s.score,
        "severity": s.severity.as_str(),
    })
}

fn threat(model: &Model, t: &Threat) -> Value {
    let mut attrs = Attrs::default();
    attrs
        .text("id", Some(&t.id.to_string()))
        .text("rule", Some(&t.rule))
        .value(
            "element",
            json!({ "kind": t.element.kind.as_str(), "id": t.element.id }),
        )
        .text("stride", Some(t.stride.as_str()))
        .text("linddun", t.linddun.map(|l| l.as_str()))
        .text("status", Some(t.status.as_str()))
        .text("reason", t.reason.as_deref())
        .value("inherent", score(&t.inherent))
        .value("residual", score(&t.residual))
        .text(
            "coverage",
            Some(match t.mitigation.coverage {
                Coverage::None => "none",
                Coverage::Partial => "partial",
                Coverage::Full => "full",
            }),
        )
        .list(
            "controlsInPlace",
            &t.mitigation.in_place().collect::<Vec<_>>(),
        )
        .list(
            "controlsMissing",
            &t.mitigation.missing().collect::<Vec<_>>(),
        );
    if !t.capec.is_empty() {
        attrs.value("capec", json!(t.capec));
    }
    if let Some(d) = &t.decision {
        let mut decision = Attrs::default();
        decision
            .text("selector", Some(&d.selector))
            .text("status", Some(d.status.as_str()))
            .text("owner", d.owner.as_deref())
            .text("justification", d.justification.as_deref())
            .text("ticket", d.ticket.as_deref())
            .text("date", d.date.as_deref())
            .text("expires", d.expires.as_deref());
        if d.expired {
            decision.value("expired", json!(true));
        }
        if let Some(o) = &t.rating_override {
            decision
                .text("severity", Some(o.severity.as_str()))
                .text("cvss", o.cvss.as_deref());
        }
        attrs.value("decision", Value::Object(decision.0));
    }
    // A manual threat's own definition, so that an import restores what the team wrote rather
    // than what the analysis made of it.
    if t.is_manual()
        && let Some(m) = model.threats.get(t.id.key())
    {
        let mut manual = Attrs::default();
        manual
            .text("title", Some(&m.title))
            .text("description", m.description.as_deref())
            .text("element", m.element.as_ref().map(|e| e.value.as_str()))
            .text("stride", Some(m.stride.as_str()))
            .text("linddun", m.linddun.map(|l| l.as_str()))
            .text("likelihood", Some(m.likelihood.as_str()))
            .text("impact", Some(m.impact.as_str()))
            .list("mitigations", &values(&m.mitigations))
            .list("references", &m.references);
        if !m.capec.is_empty() {
            manual.value("capec", json!(m.capec));
        }
        if !m.cwe.is_empty() {
            manual.value("cwe", json!(m.cwe));
        }
        attrs.value("manual", Value::Object(manual.0));
    }
    let mut categories = vec![stride_category(t.stride).to_owned()];
    if let Some(l) = t.linddun {
        categories.push(format!("LINDDUN: {l}"));
    }
    let mut threat = json!({
        "name": &*t.title,
        "id": t.id,
    });
    if !t.explanation.is_empty() {
        threat["description"] = json!(t.explanation);
    }
    threat["categories"] = json!(categories);
    threat["cwes"] = json!(t.cwe.iter().map(|c| format!("CWE-{c}")).collect::<Vec<_>>());
    threat["risk"] = json!({
        "likelihood": u32::from(t.inherent.likelihood) * 25,
        "likelihoodComment": format!(
            "threatforge likelihood {} of 4 before controls, {} of 4 with the controls in place",
            t.inherent.likelihood, t.residual.likelihood
        ),
        "impact": u32::from(t.inherent.impact) * 25,
        "impactComment": format!(
            "threatforge impact {} of 4; residual severity {}",
            t.inherent.impact,
            t.severity()
        ),
    });
    threat["tags"] = json!([
        format!("severity:{}", t.severity()),
        format!("status:{}", t.status.as_str()),
    ]);
    threat["attributes"] = attrs.wrap();
    threat
}
