//! What the template shows, computed once from the model and its analysis. Plain data: the
//! template only lays it out (and escapes every string of it).

use indexmap::{IndexMap, IndexSet};
use serde::Serialize;
use threatforge_analysis::{Analysis, Coverage, Element, ElementRef, Stride, Threat};
use threatforge_model::catalog;
use threatforge_model::{BoundaryTree, DecisionStatus, Model, ThreatSeverity};

/// How many open risks the summary lists.
const TOP: usize = 10;

#[derive(Serialize)]
pub(super) struct Report {
    tool_version: &'static str,
    /// Whether the register is written as data for the script (`register.rs`) rather than as
    /// rows: then `threats` holds only the top open risks, whose sections the page keeps.
    scripted: bool,
    system: SystemView,
    counts: Counts,
    /// Open threats by residual severity, most severe first.
    open_by_severity: Vec<Count>,
    by_status: Vec<Count>,
    by_stride: Vec<StrideCount>,
    /// Indexes into `threats` of the top open risks.
    top: Vec<usize>,
    drivers: Vec<Driver>,
    /// Every threat: open ones first, then by residual score, most severe first.
    threats: Vec<ThreatView>,
    /// The hygiene checklist, by id.
    hygiene: Vec<ThreatView>,
    hygiene_count: usize,
    filters: Filters,
    inventory: Inventory,
    /// What scanner and test reports said, when some were given.
    evidence: Option<EvidenceView>,
}

/// The evidence as the template reads it: every field present (the template is strict about
/// undefined values), findings with their place written out.
#[derive(Serialize)]
struct EvidenceView {
    files: usize,
    confirmed: usize,
    unmodeled: usize,
    tools: Vec<threatforge_analysis::ToolCount>,
    controls: Vec<CheckView>,
    unmapped: Vec<FindingView>,
    verified: usize,
    failed: usize,
    unverified: usize,
    /// High and critical threats (before controls) whose controls in place no test verifies.
    unverified_high: Vec<UnverifiedView>,
}

#[derive(Serialize)]
struct UnverifiedView {
    id: String,
    anchor: String,
    title: String,
    severity: &'static str,
    controls: Vec<CheckView>,
}

#[derive(Serialize)]
struct ThreatEvidenceView {
    /// The likelihood the findings added, and why.
    factor: Option<(i8, String)>,
    findings: Vec<FindingView>,
    controls: Vec<CheckView>,
}

#[derive(Serialize)]
struct FindingView {
    tool: String,
    rule: String,
    cwe: Vec<u32>,
    place: String,
    message: String,
    /// Shown as text: a scanner's link is not ours to make a link of.
    link: Option<String>,
}

#[derive(Serialize)]
struct CheckView {
    control: String,
    status: &'static str,
    tests: String,
}

fn finding_view(f: &threatforge_evidence::Finding) -> FindingView {
    FindingView {
        tool: f.tool.clone(),
        rule: f.rule.clone(),
        cwe: f.cwe.clone(),
        place: f.location(),
        message: f.message.clone(),
        link: f.link.clone(),
    }
}

fn check_view(c: &threatforge_analysis::ControlCheck) -> CheckView {
    CheckView {
        control: format!("{}.{}", c.component, c.control),
        status: c.status.as_str(),
        tests: c.tests.join(", "),
    }
}

fn threat_evidence_view(e: &threatforge_analysis::ThreatEvidence) -> ThreatEvidenceView {
    ThreatEvidenceView {
        factor: e.factor.as_ref().map(|f| (f.effect, f.reason.to_string())),
        findings: e.findings.iter().map(|f| finding_view(f)).collect(),
        controls: e.controls.iter().map(check_view).collect(),
    }
}

#[derive(Serialize)]
struct SystemView {
    name: String,
    description: Option<String>,
    version: Option<String>,
    criticality: &'static str,
    owners: Vec<String>,
    contacts: Vec<ContactView>,
    tags: Vec<String>,
    /// The root model file, as it was given.
    source: Option<String>,
}

#[derive(Serialize)]
struct ContactView {
    name: String,
    email: Option<String>,
    role: Option<String>,
}

#[derive(Serialize)]
struct Counts {
    components: usize,
    flows: usize,
    data: usize,
    boundaries: usize,
    runtimes: usize,
    threats: usize,
    open: usize,
    rules: usize,
}

#[derive(Serialize)]
struct Count {
    key: &'static str,
    label: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct StrideCount {
    key: &'static str,
    label: &'static str,
    total: usize,
    open: usize,
}

/// A factor that moved the score of several top risks.
#[derive(Serialize)]
struct Driver {
    on: &'static str,
    factor: &'static str,
    effect: &'static str,
    raises: bool,
    threats: Vec<Link>,
    /// The distinct reasons given, up to `MAX_REASONS`.
    reasons: Vec<Vec<Seg>>,
    more_reasons: usize,
}

const MAX_REASONS: usize = 3;

#[derive(Serialize, Clone)]
struct Link {
    id: String,
    anchor: String,
}

/// A run of text, or of code when the source quoted it with backticks.
#[derive(Serialize, Clone, PartialEq)]
struct Seg {
    code: bool,
    text: String,
}

#[derive(Serialize)]
struct ThreatView {
    id: String,
    anchor: String,
    rule: String,
    title: String,
    element: ElementView,
    stride: &'static str,
    stride_label: &'static str,
    linddun: Option<&'static str>,
    capec: Vec<u32>,
    cwe: Vec<u32>,
    explanation: Vec<Seg>,
    description: String,
    remediation: RemediationView,
    status: &'static str,
    status_label: &'static str,
    status_rank: usize,
    open: bool,
    reason: Option<Vec<Seg>>,
    inherent: ScoreView,
    residual: ScoreView,
    factors: Vec<FactorView>,
    coverage: &'static str,
    in_place: Vec<ControlView>,
    /// Missing controls; each is a list of alternatives (`a|b`).
    missing: Vec<Vec<ControlView>>,
    decision: Option<DecisionView>,
    rating_override: Option<OverrideView>,
    location: String,
    /// Ids of the components the threat concerns, space-separated, for the register's filter.
    components: String,
    evidence: Option<ThreatEvidenceView>,
}

#[derive(Serialize)]
struct RemediationView {
    lead: String,
    controls: Vec<crate::remediation::Advice>,
    /// The rule's first reference, when it is a web address (a team's could be anything).
    link: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ElementView {
    pub(super) kind: &'static str,
    pub(super) id: String,
    pub(super) label: String,
    /// Whether the label does not already say the id.
    pub(super) show_id: bool,
    /// The id, with a flow's arrow spaced so that it wraps: `a → b`.
    pub(super) short: String,
    pub(super) anchor: Option<String>,
}

#[derive(Serialize)]
struct ScoreView {
    likelihood: u8,
    impact: u8,
    likelihood_label: &'static str,
    impact_label: &'static str,
    score: u8,
    severity: &'static str,
    /// Orders by severity, then score (a decision may set a severity the score does not give).
    sort: u32,
}

#[derive(Serialize)]
struct FactorView {
    on: &'static str,
    factor: &'static str,
    effect: &'static str,
    reason: Vec<Seg>,
}

#[derive(Serialize, Clone)]
pub(super) struct ControlView {
    pub(super) id: String,
    pub(super) title: Option<String>,
}

#[derive(Serialize)]
struct DecisionView {
    selector: String,
    status: &'static str,
    status_label: &'static str,
    owner: Option<String>,
    justification: Option<String>,
    ticket: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    expired: bool,
}

#[derive(Serialize)]
struct OverrideView {
    severity: &'static str,
    cvss: Option<String>,
    cvss_score: Option<String>,
    justification: String,
}

#[derive(Serialize)]
struct Filters {
    severities: Vec<FilterOption>,
    statuses: Vec<FilterOption>,
    strides: Vec<FilterOption>,
    components: Vec<FilterOption>,
}

#[derive(Serialize)]
struct FilterOption {
    value: String,
    label: String,
    count: usize,
}

#[derive(Serialize, Default)]
struct Inventory {
    components: Vec<ComponentRow>,
    data: Vec<DataRow>,
    flows: Vec<FlowRow>,
    boundaries: Vec<BoundaryRow>,
    runtimes: Vec<RuntimeRow>,
}

#[derive(Serialize)]
struct ComponentRow {
    id: String,
    anchor: String,
    name: Option<String>,
    description: Option<String>,
    kind: &'static str,
    technology: Option<ControlView>,
    exposure: Option<&'static str>,
    boundary: Option<Link>,
    criticality: &'static str,
    processes: Vec<Link>,
    stores: Vec<Link>,
    controls: Vec<ControlView>,
    owner: Option<String>,
    out_of_scope: Option<String>,
    threats: usize,
    open: usize,
}

#[derive(Serialize)]
struct DataRow {
    id: String,
    anchor: String,
    name: Option<String>,
    description: Option<String>,
    classification: &'static str,
    integrity: &'static str,
    availability: &'static str,
    categories: Vec<&'static str>,
    quantity: Option<&'static str>,
    owner: Option<String>,
    handled_by: Vec<Link>,
    threats: usize,
    open: usize,
}

#[derive(Serialize)]
struct FlowRow {
    id: String,
    anchor: String,
    source: Link,
    target: Link,
    name: Option<String>,
    description: Option<String>,
    protocol: Option<ControlView>,
    encrypted: bool,
    authentication: &'static str,
    authorization: &'static str,
    data: Vec<Link>,
    returns: Vec<Link>,
    controls: Vec<ControlView>,
    usage: Option<&'static str>,
    readonly: bool,
    out_of_scope: Option<String>,
    threats: usize,
    open: usize,
}

#[derive(Serialize)]
struct BoundaryRow {
    id: String,
    anchor: String,
    name: Option<String>,
    description: Option<String>,
    kind: &'static str,
    trust: &'static str,
    parent: Option<Link>,
    contains: Vec<Link>,
    threats: usize,
    open: usize,
}

#[derive(Serialize)]
struct RuntimeRow {
    id: String,
    anchor: String,
    name: Option<String>,
    description: Option<String>,
    kind: &'static str,
    runs: Vec<Link>,
    threats: usize,
    open: usize,
}

pub(super) fn stride_label(stride: Stride) -> &'static str {
    match stride {
        Stride::Spoofing => "Spoofing",
        Stride::Tampering => "Tampering",
        Stride::Repudiation => "Repudiation",
        Stride::InformationDisclosure => "Information disclosure",
        Stride::DenialOfService => "Denial of service",
        Stride::ElevationOfPrivilege => "Elevation of privilege",
    }
}

pub(super) const STRIDE: [Stride; 6] = [
    Stride::Spoofing,
    Stride::Tampering,
    Stride::Repudiation,
    Stride::InformationDisclosure,
    Stride::DenialOfService,
    Stride::ElevationOfPrivilege,
];

pub(super) fn status_label(status: DecisionStatus) -> &'static str {
    match status {
        DecisionStatus::Open => "Open",
        DecisionStatus::InProgress => "In progress",
        DecisionStatus::Mitigated => "Mitigated",
        DecisionStatus::Accepted => "Accepted",
        DecisionStatus::FalsePositive => "False positive",
        DecisionStatus::NotApplicable => "Not applicable",
    }
}

pub(super) fn severity_label(severity: ThreatSeverity) -> &'static str {
    match severity {
        ThreatSeverity::Info => "Info",
        ThreatSeverity::Low => "Low",
        ThreatSeverity::Medium => "Medium",
        ThreatSeverity::High => "High",
        ThreatSeverity::Critical => "Critical",
    }
}

pub(super) fn level_label(level: u8) -> &'static str {
    match level {
        0 | 1 => "low",
        2 => "medium",
        3 => "high",
        _ => "very high",
    }
}

fn rank<T: PartialEq>(all: &[T], value: &T) -> usize {
    all.iter().position(|v| v == value).unwrap_or(0)
}

fn score(score: &threatforge_analysis::Score) -> ScoreView {
    ScoreView {
        likelihood: score.likelihood,
        impact: score.impact,
        likelihood_label: level_label(score.likelihood),
        impact_label: level_label(score.impact),
        score: score.score,
        severity: score.severity.as_str(),
        sort: rank(ThreatSeverity::ALL, &score.severity) as u32 * 100 + u32::from(score.score),
    }
}

/// Splits text at backticks into text and code runs; text with an odd number of backticks is
/// one plain run.
fn segments(text: &str) -> Vec<Seg> {
    if text.matches('`').count() % 2 == 1 {
        return vec![Seg {
            code: false,
            text: text.to_owned(),
        }];
    }
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Seg {
            code: i % 2 == 1,
            text: part.to_owned(),
        })
        .collect()
}

/// A control with its title, the team's own (`controls:`) or the catalogue's.
pub(super) fn control(model: &Model, id: &str) -> ControlView {
    ControlView {
        id: id.to_owned(),
        title: model
            .controls
            .get(id)
            .map(|c| c.title.clone())
            .or_else(|| catalog().control(id).map(|c| c.title.clone())),
    }
}

pub(super) fn anchor(prefix: &str, id: &str) -> String {
    format!("{prefix}-{id}")
}

fn link(prefix: &str, id: &str) -> Link {
    Link {
        id: id.to_owned(),
        anchor: anchor(prefix, id),
    }
}

fn data_links(ids: &[threatforge_model::Sp<String>]) -> Vec<Link> {
    ids.iter().map(|d| link("d", &d.value)).collect()
}

/// Facts about the model's structure the report needs beyond the model itself.
pub(super) struct Structure {
    /// Data id -> components that process or store it, in declaration order.
    data_users: IndexMap<String, Vec<String>>,
    boundaries: BoundaryTree,
}

impl Structure {
    pub(super) fn new(model: &Model) -> Structure {
        let mut data_users: IndexMap<String, Vec<String>> = IndexMap::new();
        for component in model.components.values() {
            for d in component.processes.iter().chain(&component.stores) {
                let users = data_users.entry(d.value.clone()).or_default();
                if !users.contains(&component.id.value) {
                    users.push(component.id.value.clone());
                }
            }
        }
        Structure {
            data_users,
            boundaries: BoundaryTree::new(model),
        }
    }

    /// The components that process or store a data asset, in declaration order.
    pub(super) fn data_users(&self, data: &str) -> &[String] {
        self.data_users.get(data).map_or(&[], |users| &users[..])
    }

    /// The boundary that directly holds a component or boundary.
    pub(super) fn parent<'m>(&self, model: &'m Model, id: &str) -> Option<&'m str> {
        self.boundaries.parent_id(model, id)
    }

    /// Components inside a boundary, nested boundaries included, in declaration order.
    fn members(&self, model: &Model, boundary: &str) -> Vec<String> {
        let Some(b) = model.boundaries.get_index_of(boundary) else {
            return Vec::new();
        };
        self.boundaries
            .members(b)
            .iter()
            .filter_map(|&c| model.components.get_index(c).map(|(id, _)| id.clone()))
            .collect()
    }

    /// The components a threat concerns, for the register's component filter: those of each
    /// element it is about (every member of a grouped threat).
    pub(super) fn components_of(&self, model: &Model, threat: &Threat) -> Vec<String> {
        // A set, not a list searched per id: a grouped threat names thousands of elements.
        let mut out: IndexSet<String> = IndexSet::new();
        for element in threat.elements() {
            for id in self.components_of_element(model, element) {
                out.insert(id);
            }
        }
        out.into_iter().collect()
    }

    fn components_of_element(&self, model: &Model, element: &ElementRef) -> Vec<String> {
        let id: &str = &element.id;
        match element.kind {
            Element::Component => vec![id.to_owned()],
            Element::Flow => model
                .flows
                .get(id)
                .map(|f| {
                    let mut ends = vec![f.source.value.clone()];
                    if f.target.value != f.source.value {
                        ends.push(f.target.value.clone());
                    }
                    ends
                })
                .unwrap_or_default(),
            Element::Data => self.data_users.get(id).cloned().unwrap_or_default(),
            Element::Boundary => self.members(model, id),
            Element::Runtime => model
                .runtimes
                .get(id)
                .map(|r| r.runs.iter().map(|c| c.value.clone()).collect())
                .unwrap_or_default(),
            Element::Model => Vec::new(),
        }
    }
}

fn element(model: &Model, threat: &Threat) -> ElementView {
    element_view(model, threat.element.kind, &threat.element.id)
}

pub(super) fn element_view(model: &Model, kind: Element, id: &str) -> ElementView {
    let id = id.to_owned();
    let named = match kind {
        Element::Flow => model.flows.get(&id).is_some_and(|f| f.name.is_some()),
        Element::Model => false,
        _ => true,
    };
    let (label, prefix) = match kind {
        Element::Component => (
            model.components.get(&id).and_then(|c| c.name.clone()),
            Some("c"),
        ),
        Element::Flow => (
            model.flows.get(&id).map(|f| {
                let ends = format!("{} → {}", f.source.value, f.target.value);
                match &f.name {
                    Some(name) => format!("{ends} ({name})"),
                    None => ends,
                }
            }),
            Some("f"),
        ),
        Element::Data => (model.data.get(&id).and_then(|d| d.name.clone()), Some("d")),
        Element::Boundary => (
            model.boundaries.get(&id).and_then(|b| b.name.clone()),
            Some("b"),
        ),
        Element::Runtime => (
            model.runtimes.get(&id).and_then(|r| r.name.clone()),
            Some("r"),
        ),
        Element::Model => (Some(model.system_name().to_owned()), None),
    };
    let label = label.unwrap_or_else(|| id.clone());
    let short = match kind {
        Element::Flow => model.flows.get(&id).map_or_else(
            || id.clone(),
            |f| format!("{} → {}", f.source.value, f.target.value),
        ),
        _ => id.clone(),
    };
    ElementView {
        short,
        kind: kind.as_str(),
        show_id: named && label != id,
        label,
        anchor: prefix.map(|p| anchor(p, &id)),
        id,
    }
}

fn threat_view(model: &Model, structure: &Structure, t: &Threat) -> ThreatView {
    let factors = t
        .factors
        .iter()
        .map(|f| FactorView {
            on: f.on,
            factor: f.factor,
            effect: effect(f.effect),
            reason: segments(&f.reason),
        })
        .collect();
    let decision = t.decision.as_ref().map(|d| DecisionView {
        selector: d.selector.clone(),
        status: d.status.as_str(),
        status_label: status_label(d.status),
        owner: d.owner.clone(),
        justification: d.justification.clone(),
        ticket: d.ticket.clone(),
        date: d.date.clone(),
        expires: d.expires.clone(),
        expired: d.expired,
    });
    let rating_override = t.rating_override.as_ref().map(|o| OverrideView {
        severity: o.severity.as_str(),
        cvss: o.cvss.clone(),
        cvss_score: o.cvss_score.map(|s| format!("{s:.1}")),
        justification: o.justification.clone(),
    });
    ThreatView {
        id: t.id.to_string(),
        anchor: anchor("t", &t.id.to_string()),
        rule: t.rule.to_string(),
        title: t.title.to_string(),
        element: element(model, t),
        stride: t.stride.as_str(),
        stride_label: stride_label(t.stride),
        linddun: t.linddun.map(|l| l.as_str()),
        capec: t.capec.to_vec(),
        cwe: t.cwe.to_vec(),
        explanation: segments(&t.explanation),
        // A manual threat's description is its explanation already.
        description: if *t.description == *t.explanation {
            String::new()
        } else {
            t.description.to_string()
        },
        remediation: {
            let advice = crate::remediation::of(model, t);
            RemediationView {
                lead: advice.lead,
                controls: advice
                    .controls
                    .into_iter()
                    .filter(|c| !c.remediation.is_empty())
                    .collect(),
                link: advice
                    .link
                    .as_deref()
                    .and_then(crate::remediation::web_link)
                    .map(str::to_owned),
            }
        },
        status: t.status.as_str(),
        status_label: status_label(t.status),
        status_rank: rank(DecisionStatus::ALL, &t.status),
        open: t.is_open(),
        // A decision's justification is shown with the decision.
        reason: t
            .reason
            .as_deref()
            .filter(|r| t.decision.as_ref().and_then(|d| d.justification.as_deref()) != Some(*r))
            .map(segments),
        inherent: score(&t.inherent),
        residual: score(&t.residual),
        factors,
        coverage: match t.mitigation.coverage {
            Coverage::None => "none",
            Coverage::Partial => "partial",
            Coverage::Full => "full",
        },
        in_place: t
            .mitigation
            .in_place()
            .map(|id| control(model, id))
            .collect(),
        missing: t
            .mitigation
            .missing()
            .map(|m| m.split('|').map(|id| control(model, id)).collect())
            .collect(),
        decision,
        rating_override,
        location: {
            let at = model.sources.locate(t.span);
            format!("{}:{}", at.file, at.line)
        },
        components: structure.components_of(model, t).join(" "),
        evidence: t.evidence.as_deref().map(threat_evidence_view),
    }
}

pub(super) fn effect(effect: i8) -> &'static str {
    // A factor raises by one step; a ceiling can lower by up to three (impact 4 to 1).
    match effect {
        e if e > 0 => "+1",
        -1 => "−1",
        -2 => "−2",
        e if e < 0 => "−3",
        _ => "start",
    }
}

/// Factors that moved the score of the top risks, grouped, most frequent first.
fn drivers(top: &[&ThreatView], source: &[&Threat]) -> Vec<Driver> {
    type Key = (&'static str, &'static str, i8);
    let mut groups: IndexMap<Key, (Vec<Link>, Vec<Vec<Seg>>)> = IndexMap::new();
    for (view, threat) in top.iter().zip(source) {
        for f in threat.factors.iter().filter(|f| f.effect != 0) {
            let (threats, reasons) = groups.entry((f.on, f.factor, f.effect)).or_default();
            if !threats.iter().any(|l| l.id == view.id) {
                threats.push(Link {
                    id: view.id.clone(),
                    anchor: view.anchor.clone(),
                });
            }
            let reason = segments(&f.reason);
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    let mut drivers: Vec<Driver> = groups
        .into_iter()
        .map(|((on, factor, e), (threats, mut reasons))| {
            let more_reasons = reasons.len().saturating_sub(MAX_REASONS);
            reasons.truncate(MAX_REASONS);
            Driver {
                on,
                factor,
                effect: effect(e),
                raises: e > 0,
                threats,
                reasons,
                more_reasons,
            }
        })
        .collect();
    // Most frequent first; then what raised the score before what lowered it; likelihood first.
    drivers.sort_by(|a, b| {
        b.threats
            .len()
            .cmp(&a.threats.len())
            .then(b.raises.cmp(&a.raises))
            .then(a.on.cmp(b.on))
            .then(a.factor.cmp(b.factor))
    });
    drivers
}

impl Report {
    /// The report's view; `scripted` keeps only the top open risks' threat views (the register
    /// is then written by `register.rs`, threat by threat).
    pub(super) fn new(
        model: &Model,
        analysis: &Analysis,
        structure: &Structure,
        tally: &Tally,
        scripted: bool,
    ) -> Report {
        let summary = crate::json::summary(analysis, None);

        let top_threats: Vec<&Threat> = crate::json::at_or_above(analysis, ThreatSeverity::Info)
            .into_iter()
            .take(TOP)
            .collect();
        let (threats, top): (Vec<ThreatView>, Vec<usize>) = if scripted {
            let views = top_threats
                .iter()
                .map(|t| threat_view(model, structure, t))
                .collect();
            (views, (0..top_threats.len()).collect())
        } else {
            let order = crate::json::by_risk(analysis);
            let threats: Vec<ThreatView> = order
                .iter()
                .map(|t| threat_view(model, structure, t))
                .collect();
            let position: IndexMap<&str, usize> = threats
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect();
            let top = top_threats
                .iter()
                .filter_map(|t| position.get(t.id.to_string().as_str()).copied())
                .collect();
            (threats, top)
        };
        let top_views: Vec<&ThreatView> = top.iter().map(|&i| &threats[i]).collect();
        let drivers = drivers(&top_views, &top_threats);
        let evidence = analysis.evidence.as_deref().map(|summary| {
            use threatforge_analysis::Verification;
            let unverified_high =
                threatforge_analysis::unverified_at_or_above(analysis, ThreatSeverity::High)
                    .into_iter()
                    .filter_map(|t| {
                        let id = t.id.to_string();
                        Some(UnverifiedView {
                            anchor: anchor("t", &id),
                            id,
                            title: t.title.to_string(),
                            severity: t.inherent.severity.as_str(),
                            controls: t
                                .evidence
                                .as_ref()?
                                .controls
                                .iter()
                                .map(check_view)
                                .collect(),
                        })
                    })
                    .collect();
            EvidenceView {
                files: summary.files.len(),
                confirmed: summary.confirmed.len(),
                unmodeled: summary.unmodeled.len(),
                tools: summary.tools.clone(),
                controls: summary.controls.iter().map(check_view).collect(),
                unmapped: summary.unmapped.iter().map(|f| finding_view(f)).collect(),
                verified: summary.count(Verification::Verified),
                failed: summary.count(Verification::Failed),
                unverified: summary.count(Verification::Unverified),
                unverified_high,
            }
        });

        let open_by_severity = ThreatSeverity::ALL
            .iter()
            .rev()
            .map(|s| Count {
                key: s.as_str(),
                label: severity_label(*s),
                count: summary
                    .open_by_severity
                    .get(s.as_str())
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        let by_status = DecisionStatus::ALL
            .iter()
            .map(|s| Count {
                key: s.as_str(),
                label: status_label(*s),
                count: summary.by_status.get(s.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let by_stride = STRIDE
            .iter()
            .map(|s| StrideCount {
                key: s.as_str(),
                label: stride_label(*s),
                total: analysis.threats.iter().filter(|t| t.stride == *s).count(),
                open: analysis
                    .threats
                    .iter()
                    .filter(|t| t.stride == *s && t.is_open())
                    .count(),
            })
            .collect();

        let filters = filters(model, structure, analysis);
        // A large model's inventory is data for the script (`tables.rs`), none of it here.
        let inventory = if scripted {
            Inventory::default()
        } else {
            inventory(model, structure, tally)
        };
        let system = model.system.as_ref();
        Report {
            tool_version: env!("CARGO_PKG_VERSION"),
            scripted,
            system: SystemView {
                name: model.system_name().to_owned(),
                description: system.and_then(|s| s.description.clone()),
                version: system.and_then(|s| s.version.clone()),
                criticality: model.system_criticality().as_str(),
                owners: system.map(|s| s.owners.clone()).unwrap_or_default(),
                contacts: system
                    .map(|s| {
                        s.contacts
                            .iter()
                            .map(|c| ContactView {
                                name: c.name.clone(),
                                email: c.email.clone(),
                                role: c.role.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                tags: system.map(|s| s.tags.clone()).unwrap_or_default(),
                source: model.sources.files().next().map(|(_, f)| f.display.clone()),
            },
            counts: Counts {
                components: model.components.len(),
                flows: model.flows.len(),
                data: model.data.len(),
                boundaries: model.boundaries.len(),
                runtimes: model.runtimes.len(),
                threats: summary.threats,
                open: summary.open,
                rules: summary.by_rule.len(),
            },
            open_by_severity,
            by_status,
            by_stride,
            top,
            drivers,
            threats,
            hygiene: if scripted {
                Vec::new()
            } else {
                analysis
                    .hygiene
                    .iter()
                    .map(|t| threat_view(model, structure, t))
                    .collect()
            },
            hygiene_count: analysis.hygiene.len(),
            filters,
            inventory,
            evidence,
        }
    }
}

/// The register's filter lists with how many threats each choice shows. Counted in one pass over
/// the threats: counting per component over every threat was quadratic.
fn filters(model: &Model, structure: &Structure, analysis: &Analysis) -> Filters {
    let threats = &analysis.threats;
    let count = |pred: &dyn Fn(&Threat) -> bool| threats.iter().filter(|t| pred(t)).count();
    let severities = ThreatSeverity::ALL
        .iter()
        .rev()
        .map(|s| FilterOption {
            value: s.as_str().to_owned(),
            label: severity_label(*s).to_owned(),
            count: count(&|t| t.residual.severity == *s),
        })
        .filter(|o| o.count > 0)
        .collect();
    let statuses = DecisionStatus::ALL
        .iter()
        .map(|s| FilterOption {
            value: s.as_str().to_owned(),
            label: status_label(*s).to_owned(),
            count: count(&|t| t.status == *s),
        })
        .filter(|o| o.count > 0)
        .collect();
    let strides = STRIDE
        .iter()
        .map(|s| FilterOption {
            value: s.as_str().to_owned(),
            label: stride_label(*s).to_owned(),
            count: count(&|t| t.stride == *s),
        })
        .filter(|o| o.count > 0)
        .collect();
    let mut per_component: IndexMap<String, usize> = IndexMap::new();
    for t in threats {
        for id in structure.components_of(model, t) {
            *per_component.entry(id).or_default() += 1;
        }
    }
    let components = model
        .components
        .values()
        .map(|c| FilterOption {
            value: c.id.value.clone(),
            label: match &c.name {
                Some(name) if *name != c.id.value => format!("{} ({})", c.id.value, name),
                _ => c.id.value.clone(),
            },
            count: per_component.get(&c.id.value).copied().unwrap_or(0),
        })
        .filter(|o| o.count > 0)
        .collect();
    Filters {
        severities,
        statuses,
        strides,
        components,
    }
}

/// How many threats, and how many open, each element has.
pub(super) struct Tally<'a>(IndexMap<(&'static str, &'a str), (usize, usize)>);

impl<'a> Tally<'a> {
    pub(super) fn new(analysis: &'a Analysis) -> Tally<'a> {
        let mut tally: IndexMap<(&'static str, &str), (usize, usize)> = IndexMap::new();
        for t in &analysis.threats {
            for element in t.elements() {
                let entry = tally
                    .entry((element.kind.as_str(), &*element.id))
                    .or_default();
                entry.0 += 1;
                if t.is_open() {
                    entry.1 += 1;
                }
            }
        }
        Tally(tally)
    }

    /// How many threats an element has, and how many of them are open.
    pub(super) fn of(&self, kind: Element, id: &str) -> (usize, usize) {
        self.0
            .get(&(kind.as_str(), id))
            .copied()
            .unwrap_or_default()
    }
}

/// The inventory's rows, every one.
fn inventory(model: &Model, structure: &Structure, tally: &Tally) -> Inventory {
    let count = |kind: Element, id: &str| tally.of(kind, id);
    let parent = |id: &str| {
        structure
            .boundaries
            .parent_id(model, id)
            .map(|b| link("b", b))
    };

    let components = model
        .components
        .values()
        .map(|c| {
            let id = &c.id.value;
            let (threats, open) = count(Element::Component, id);
            ComponentRow {
                id: id.clone(),
                anchor: anchor("c", id),
                name: c.name.clone(),
                description: c.description.clone(),
                kind: c.effective_kind().as_str(),
                technology: c.technology.as_ref().map(|t| ControlView {
                    id: t.value.clone(),
                    title: catalog().technology(&t.value).map(|x| x.title.clone()),
                }),
                exposure: c.exposure.map(|e| e.as_str()),
                boundary: parent(id),
                criticality: model.criticality_of(c).as_str(),
                processes: data_links(&c.processes),
                stores: data_links(&c.stores),
                controls: c
                    .controls
                    .iter()
                    .map(|x| control(model, &x.value))
                    .collect(),
                owner: c.owner.clone(),
                out_of_scope: c.out_of_scope.clone(),
                threats,
                open,
            }
        })
        .collect();
    let data = model
        .data
        .values()
        .map(|d| {
            let id = &d.id.value;
            let (threats, open) = count(Element::Data, id);
            DataRow {
                id: id.clone(),
                anchor: anchor("d", id),
                name: d.name.clone(),
                description: d.description.clone(),
                classification: d.classification.as_str(),
                integrity: d.integrity.as_str(),
                availability: d.availability.as_str(),
                categories: d.categories.iter().map(|c| c.value.as_str()).collect(),
                quantity: d.quantity.map(|q| q.as_str()),
                owner: d.owner.clone(),
                handled_by: structure
                    .data_users
                    .get(id)
                    .map(|users| users.iter().map(|u| link("c", u)).collect())
                    .unwrap_or_default(),
                threats,
                open,
            }
        })
        .collect();
    let flows = model
        .flows
        .values()
        .map(|f| {
            let id = &f.id.value;
            let (threats, open) = count(Element::Flow, id);
            FlowRow {
                id: id.clone(),
                anchor: anchor("f", id),
                source: link("c", &f.source.value),
                target: link("c", &f.target.value),
                name: f.name.clone(),
                description: f.description.clone(),
                protocol: f.protocol.as_ref().map(|p| ControlView {
                    id: p.value.clone(),
                    title: catalog().protocol(&p.value).map(|x| x.title.clone()),
                }),
                encrypted: f.is_encrypted(),
                authentication: f.authentication().as_str(),
                authorization: f.authorization().as_str(),
                data: data_links(&f.data),
                returns: data_links(&f.returns),
                controls: f
                    .controls
                    .iter()
                    .map(|x| control(model, &x.value))
                    .collect(),
                usage: f.usage.map(|u| u.as_str()),
                readonly: f.readonly,
                out_of_scope: f.out_of_scope.clone(),
                threats,
                open,
            }
        })
        .collect();
    let boundaries = model
        .boundaries
        .values()
        .map(|b| {
            let id = &b.id.value;
            let (threats, open) = count(Element::Boundary, id);
            BoundaryRow {
                id: id.clone(),
                anchor: anchor("b", id),
                name: b.name.clone(),
                description: b.description.clone(),
                kind: b.kind.as_str(),
                trust: b.trust.as_str(),
                parent: parent(id),
                contains: b
                    .contains
                    .iter()
                    .map(|m| {
                        let prefix = if model.boundaries.contains_key(&m.value) {
                            "b"
                        } else {
                            "c"
                        };
                        link(prefix, &m.value)
                    })
                    .collect(),
                threats,
                open,
            }
        })
        .collect();
    let runtimes = model
        .runtimes
        .values()
        .map(|r| {
            let id = &r.id.value;
            let (threats, open) = count(Element::Runtime, id);
            RuntimeRow {
                id: id.clone(),
                anchor: anchor("r", id),
                name: r.name.clone(),
                description: r.description.clone(),
                kind: r.kind.as_str(),
                runs: r.runs.iter().map(|c| link("c", &c.value)).collect(),
                threats,
                open,
            }
        })
        .collect();
    Inventory {
        components,
        data,
        flows,
        boundaries,
        runtimes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_effect_is_shown_with_its_size() {
        assert_eq!(effect(0), "start");
        assert_eq!(effect(1), "+1");
        assert_eq!(effect(-1), "−1");
        assert_eq!(effect(-2), "−2");
        assert_eq!(effect(-3), "−3");
    }

    #[test]
    fn backticks_mark_code() {
        let segs = segments("`portal` is reachable from `internet`");
        let texts: Vec<(bool, &str)> = segs.iter().map(|s| (s.code, s.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (true, "portal"),
                (false, " is reachable from "),
                (true, "internet")
            ]
        );
        assert_eq!(segments("odd ` tick").len(), 1);
    }
}
