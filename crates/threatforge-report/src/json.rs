//! The JSON report: a documented, versioned shape (docs/report-json.md). `schema_version` changes
//! only when a field changes meaning or disappears; new fields may appear in any version.
//!
//! What threats share (their rule's title, description and references, where their element is
//! declared, the factors that scored them, what each control takes) is written once, in the
//! tables `rules`, `elements`, `factors` and `controls`, and each threat refers to it: written
//! per threat, it was most of a report of 2.2 KB a threat (653 MB at 50,000 components).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, btree_map};

use indexmap::IndexMap;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use threatforge_analysis::{Analysis, Analyzed, Element, Factor, Linddun, Stride, Threat};
use threatforge_model::JsonDiagnostic;
use threatforge_model::{DecisionStatus, Model, Severity, Span, ThreatSeverity};

pub(crate) const SCHEMA_VERSION: u32 = 3;

/// The rule of the team's own threats: each has its own title, category and references, so
/// none goes into the `rules` table.
const MANUAL: &str = "manual";

/// The JSON Schema of this report (`threatforge schema --output-format report`), written by hand
/// as the documented contract; a test validates real reports against it.
pub const SCHEMA: &str = include_str!("report.schema.json");

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    system: System<'a>,
    summary: Summary,
    /// What the threats below share, each written once.
    rules: &'a BTreeMap<&'a str, RuleEntry<'a>>,
    controls: Controls<'a>,
    elements: Elements<'a>,
    factors: &'a [&'a Factor],
    threats: Entries<'a>,
    /// The hygiene checklist: baseline practices missing, in the shape of a threat.
    hygiene: Entries<'a>,
    diagnostics: Vec<JsonDiagnostic>,
    /// What scanner and test reports said, when some were given (docs/evidence.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a threatforge_analysis::EvidenceSummary>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct System<'a> {
    name: &'a str,
    criticality: &'static str,
    components: usize,
    flows: usize,
    data: usize,
    boundaries: usize,
}

#[derive(Serialize, Default)]
pub struct Summary {
    pub threats: usize,
    /// Open and in-progress threats: what a gate counts.
    pub open: usize,
    /// Threats by status.
    pub by_status: IndexMap<&'static str, usize>,
    /// Open threats by residual severity, most severe first.
    pub open_by_severity: IndexMap<&'static str, usize>,
    pub by_stride: IndexMap<&'static str, usize>,
    pub by_rule: IndexMap<String, usize>,
    /// Open items of the hygiene checklist (not threats; no gate counts them).
    pub hygiene_open: usize,
    /// The gate's verdict, when `--fail-on` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
}

#[derive(Serialize, Clone, Debug)]
pub struct Gate {
    pub fail_on: &'static str,
    pub passed: bool,
    /// Open threats at or above the threshold, most severe first.
    pub failing: Vec<String>,
}

/// Open threats at or above a severity, in the order of lists for people (`Threat::risk_order`):
/// the most severe band first; within it the higher score, impact and exposure; then by id.
pub fn at_or_above(analysis: &Analysis, threshold: ThreatSeverity) -> Vec<&Threat> {
    let mut failing: Vec<&Threat> = analysis
        .threats
        .iter()
        .filter(|t| t.is_open() && t.severity() >= threshold)
        .collect();
    sort_by_risk(&mut failing, Threat::risk_order);
    failing
}

/// Every threat, open ones first, each part in the order of `at_or_above`: the register of the
/// Markdown and HTML reports.
pub fn by_risk(analysis: &Analysis) -> Vec<&Threat> {
    let mut all: Vec<&Threat> = analysis.threats.iter().collect();
    sort_by_risk(&mut all, |t| (!t.is_open(), t.risk_order()));
    all
}

/// Threats come sorted by id (an invariant of the analysis), so a stable sort on the key alone
/// leaves ties in id order, without comparing ids: at 50,000 components that comparison was most
/// of the sort's time.
fn sort_by_risk<K: Ord>(threats: &mut [&Threat], key: impl Fn(&Threat) -> K) {
    debug_assert!(threats.windows(2).all(|w| w[0].id < w[1].id));
    threats.sort_by_key(|t| key(t));
}

/// Whether no open threat is at or above `threshold`: the gate's verdict, without listing and
/// sorting the failing threats.
pub fn gate_passes(analysis: &Analysis, threshold: ThreatSeverity) -> bool {
    !analysis
        .threats
        .iter()
        .any(|t| t.is_open() && t.severity() >= threshold)
}

pub fn gate(analysis: &Analysis, threshold: ThreatSeverity) -> Gate {
    let failing: Vec<String> = at_or_above(analysis, threshold)
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    Gate {
        fail_on: threshold.as_str(),
        passed: failing.is_empty(),
        failing,
    }
}

pub fn summary(analysis: &Analysis, fail_on: Option<ThreatSeverity>) -> Summary {
    let mut summary = Summary {
        threats: analysis.threats.len(),
        ..Summary::default()
    };
    for status in DecisionStatus::ALL {
        summary.by_status.insert(status.as_str(), 0);
    }
    for severity in ThreatSeverity::ALL.iter().rev() {
        summary.open_by_severity.insert(severity.as_str(), 0);
    }
    for threat in &analysis.threats {
        *summary.by_status.entry(threat.status.as_str()).or_default() += 1;
        if threat.is_open() {
            summary.open += 1;
            *summary
                .open_by_severity
                .entry(threat.severity().as_str())
                .or_default() += 1;
        }
        *summary.by_stride.entry(threat.stride.as_str()).or_default() += 1;
        // Looked up by reference: a rule's name is copied once, not once per threat.
        match summary.by_rule.get_mut(&*threat.rule) {
            Some(count) => *count += 1,
            None => {
                summary.by_rule.insert(threat.rule.to_string(), 1);
            }
        }
    }
    summary.hygiene_open = analysis.hygiene.iter().filter(|t| t.is_open()).count();
    summary.by_stride.sort_keys();
    summary.by_rule.sort_keys();
    summary.gate = fail_on.map(|t| gate(analysis, t));
    summary
}

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(model: &Model, analysis: &Analysis) -> String {
    render_gated(model, analysis, None)
}

/// The report with the gate's verdict in its summary when `fail_on` is given.
pub(crate) fn render_gated(
    model: &Model,
    analysis: &Analysis,
    fail_on: Option<ThreatSeverity>,
) -> String {
    crate::escape::json_text(|out| write_gated(model, analysis, fail_on, out))
}

/// [`render_gated`], written to `out` threat by threat.
pub(crate) fn write_gated(
    model: &Model,
    analysis: &Analysis,
    fail_on: Option<ThreatSeverity>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let diagnostics = analysis
        .diagnostics
        .iter()
        .map(|d| JsonDiagnostic::new(d, &model.sources))
        .collect();
    let tables = Tables::new(model, analysis);
    crate::escape::json_lines_to(&report(model, analysis, &tables, diagnostics, fail_on), out)
}

fn report<'a>(
    model: &'a Model,
    analysis: &'a Analysis,
    tables: &'a Tables<'a>,
    diagnostics: Vec<JsonDiagnostic>,
    fail_on: Option<ThreatSeverity>,
) -> Report<'a> {
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "threatforge",
            version: env!("CARGO_PKG_VERSION"),
        },
        system: System {
            name: model.system_name(),
            criticality: model.system_criticality().as_str(),
            components: model.components.len(),
            flows: model.flows.len(),
            data: model.data.len(),
            boundaries: model.boundaries.len(),
        },
        summary: summary(analysis, fail_on),
        rules: &tables.rules,
        controls: Controls(&tables.controls),
        elements: Elements { tables },
        factors: &tables.factors,
        threats: Entries {
            tables,
            threats: &analysis.threats,
        },
        hygiene: Entries {
            tables,
            threats: &analysis.hygiene,
        },
        diagnostics,
        evidence: analysis.evidence.as_deref(),
    }
}

/// What a rule's threats share: the rule's own words and references. A threat that differs from
/// its rule's entry in one of them (a finding of unmodeled weakness titled by its finding) says
/// that one itself.
#[derive(Serialize)]
struct RuleEntry<'a> {
    title: &'a str,
    stride: Stride,
    #[serde(skip_serializing_if = "Option::is_none")]
    linddun: Option<Linddun>,
    capec: &'a [u32],
    cwe: &'a [u32],
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
}

impl<'a> RuleEntry<'a> {
    fn of(threat: &'a Threat) -> RuleEntry<'a> {
        RuleEntry {
            title: &threat.title,
            stride: threat.stride,
            linddun: threat.linddun,
            capec: &threat.capec,
            cwe: &threat.cwe,
            description: &threat.description,
            link: threat.reference.as_deref(),
        }
    }
}

/// A factor as written, to find it again: the factor's fields, not its address, since the
/// same reason can be held twice (a ceiling is each threat's own).
type FactorKey<'a> = (&'static str, &'static str, i8, &'a str);

fn factor_key(factor: &Factor) -> FactorKey<'_> {
    (factor.on, factor.factor, factor.effect, &factor.reason)
}

/// The tables of what threats share, found in one pass over the threats and the hygiene items
/// before any is written; they hold references into the analysis, not copies.
struct Tables<'a> {
    model: &'a Model,
    rules: BTreeMap<&'a str, RuleEntry<'a>>,
    controls: BTreeMap<&'a str, crate::remediation::Advice>,
    /// Each element a rule's threat is about (not the model), by kind and id, with where the
    /// first of those threats says it is declared.
    elements: BTreeMap<(&'static str, &'a str), Span>,
    /// Every distinct factor in the order first met, and its position there.
    factors: Vec<&'a Factor>,
    factor_index: HashMap<FactorKey<'a>, usize>,
}

impl<'a> Tables<'a> {
    fn new(model: &'a Model, analysis: &'a Analysis) -> Tables<'a> {
        let mut tables = Tables {
            model,
            rules: BTreeMap::new(),
            controls: BTreeMap::new(),
            elements: BTreeMap::new(),
            factors: Vec::new(),
            factor_index: HashMap::new(),
        };
        for threat in analysis.threats.iter().chain(&analysis.hygiene) {
            if &*threat.rule != MANUAL {
                tables
                    .rules
                    .entry(&threat.rule)
                    .or_insert_with(|| RuleEntry::of(threat));
            }
            // A manual threat is located where the team declared it, and a grouped one at its
            // first member: neither says where its element is, so each keeps its own.
            if &*threat.rule != MANUAL && threat.element.kind != Element::Model {
                tables
                    .elements
                    .entry((threat.element.kind.as_str(), &threat.element.id))
                    .or_insert(threat.span);
            }
            for factor in &threat.factors {
                if let Entry::Vacant(slot) = tables.factor_index.entry(factor_key(factor)) {
                    slot.insert(tables.factors.len());
                    tables.factors.push(factor);
                }
            }
            let named = threat
                .mitigation
                .in_place()
                .chain(threat.mitigation.missing());
            for id in named.flat_map(|entry| entry.split('|')) {
                if let btree_map::Entry::Vacant(slot) = tables.controls.entry(id) {
                    slot.insert(crate::remediation::advice(model, id));
                }
            }
        }
        tables
    }

    /// The factor's position in `factors`. `new` entered every factor of every threat, so the
    /// fallback (past the table's end, which a reader would find wrong) is never written.
    fn factor(&self, factor: &Factor) -> usize {
        self.factor_index
            .get(&factor_key(factor))
            .copied()
            .unwrap_or(self.factors.len())
    }
}

/// `controls`: each control's title and what it takes, under its id.
struct Controls<'a>(&'a BTreeMap<&'a str, crate::remediation::Advice>);

impl Serialize for Controls<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry<'a> {
            title: &'a str,
            remediation: &'a str,
        }
        serializer.collect_map(self.0.iter().map(|(id, advice)| {
            (
                id,
                Entry {
                    title: &advice.title,
                    remediation: &advice.remediation,
                },
            )
        }))
    }
}

/// `elements`: `"<kind>:<id>"` to where the element is declared.
struct Elements<'a> {
    tables: &'a Tables<'a>,
}

impl Serialize for Elements<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.tables.elements.len()))?;
        for ((kind, id), span) in &self.tables.elements {
            map.serialize_entry(
                &format_args!("{kind}:{id}"),
                &ElementEntry {
                    location: self.tables.model.sources.locate(*span),
                },
            )?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct ElementEntry {
    location: threatforge_model::Location,
}

/// The threats as the report lists them, each entry made as it is written: at 50,000 components a
/// list of 300,000 entries would be held beside the threats.
struct Entries<'a> {
    tables: &'a Tables<'a>,
    threats: &'a [Threat],
}

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.threats.iter().map(|threat| ThreatEntry {
            threat,
            tables: self.tables,
        }))
    }
}

/// One threat: what is its own, and references to the tables for the rest.
struct ThreatEntry<'a> {
    threat: &'a Threat,
    tables: &'a Tables<'a>,
}

impl Serialize for ThreatEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.threat;
        let own = RuleEntry::of(t);
        let rule = self.tables.rules.get(&*t.rule);
        // A field of the rule's entry is written here only where this threat differs from it
        // (every one of them for a manual threat, which has no entry).
        let differs =
            |same: fn(&RuleEntry, &RuleEntry) -> bool| rule.is_none_or(|r| !same(r, &own));
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &t.id)?;
        map.serialize_entry("rule", &*t.rule)?;
        if differs(|a, b| a.title == b.title) {
            map.serialize_entry("title", own.title)?;
        }
        map.serialize_entry("element", &t.element)?;
        if !t.members.is_empty() {
            map.serialize_entry("members", &t.members)?;
        }
        let declared = self
            .tables
            .elements
            .get(&(t.element.kind.as_str(), &*t.element.id));
        if declared != Some(&t.span) {
            map.serialize_entry("location", &self.tables.model.sources.locate(t.span))?;
        }
        if differs(|a, b| a.stride == b.stride) {
            map.serialize_entry("stride", &own.stride)?;
        }
        // Null says "none, though the rule has one"; without a rule, absent says it.
        if differs(|a, b| a.linddun == b.linddun) && (rule.is_some() || own.linddun.is_some()) {
            map.serialize_entry("linddun", &own.linddun)?;
        }
        if differs(|a, b| a.capec == b.capec) {
            map.serialize_entry("capec", own.capec)?;
        }
        if differs(|a, b| a.cwe == b.cwe) {
            map.serialize_entry("cwe", own.cwe)?;
        }
        if differs(|a, b| a.description == b.description) {
            map.serialize_entry("description", own.description)?;
        }
        if differs(|a, b| a.link == b.link) && (rule.is_some() || own.link.is_some()) {
            map.serialize_entry("link", &own.link)?;
        }
        map.serialize_entry("explanation", &*t.explanation)?;
        map.serialize_entry("status", &t.status)?;
        if let Some(reason) = &t.reason {
            map.serialize_entry("reason", &**reason)?;
        }
        map.serialize_entry("inherent", &t.inherent)?;
        map.serialize_entry("residual", &t.residual)?;
        map.serialize_entry(
            "factors",
            &FactorRefs {
                threat: t,
                tables: self.tables,
            },
        )?;
        map.serialize_entry("mitigation", &t.mitigation)?;
        if let Some(decision) = &t.decision {
            map.serialize_entry("decision", decision)?;
        }
        if let Some(rating) = &t.rating_override {
            map.serialize_entry("override", rating)?;
        }
        if let Some(evidence) = &t.evidence {
            map.serialize_entry("evidence", evidence)?;
        }
        map.end()
    }
}

/// A threat's factors, as positions in `factors`.
struct FactorRefs<'a> {
    threat: &'a Threat,
    tables: &'a Tables<'a>,
}

impl Serialize for FactorRefs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for factor in &self.threat.factors {
            seq.serialize_element(&self.tables.factor(factor))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct CheckReport<'a> {
    model: CheckModel<'a>,
    #[serde(flatten)]
    report: Report<'a>,
}

#[derive(Serialize)]
struct CheckModel<'a> {
    path: &'a str,
    system: &'a str,
    components: usize,
    flows: usize,
    data: usize,
    boundaries: usize,
    runtimes: usize,
    files: usize,
    errors: usize,
    warnings: usize,
    rules: usize,
}

/// `check --format json`: the report, plus the model's validity and every diagnostic (the
/// model's and the rules'), written to `out` threat by threat, as `report` writes: building the
/// whole document as a JSON value first took three times the analysis's memory on a large model
/// (1.6 GB at 50,000 components).
pub fn write_check(
    analyzed: &Analyzed,
    path: &str,
    fail_on: Option<ThreatSeverity>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let Analyzed {
        loaded,
        rules,
        analysis,
        ..
    } = analyzed;
    let model = &loaded.model;
    let diagnostics: Vec<JsonDiagnostic> = analyzed
        .diagnostics()
        .iter()
        .map(|d| JsonDiagnostic::new(d, analyzed.sources()))
        .collect();
    let count = |severity: Severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let tables = Tables::new(model, analysis);
    let check = CheckReport {
        model: CheckModel {
            path,
            system: model.system_name(),
            components: model.components.len(),
            flows: model.flows.len(),
            data: model.data.len(),
            boundaries: model.boundaries.len(),
            runtimes: model.runtimes.len(),
            files: model.sources.files().count(),
            errors,
            warnings,
            rules: rules.rules.len(),
        },
        report: report(model, analysis, &tables, diagnostics, fail_on),
    };
    crate::escape::json_lines_to(&check, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A shop with threats on components and flows, a grouped threat, a manual threat and
    /// hygiene items: every kind of entry the tables hold.
    const SHOP: &str = "system: { name: shop }
data:
  orders: { classification: secret, categories: [personal] }
components:
  user: { technology: browser, exposure: internet }
  web: { technology: web-application, processes: [orders], controls: [input-validation] }
  api: { technology: api-service, processes: [orders] }
  db: { technology: postgresql, stores: [orders], controls: [encryption-at-rest] }
flows:
  - user -> web: { protocol: https, data: [orders] }
  - web -> api: { protocol: http, data: [orders] }
  - api -> db: { protocol: postgres, authentication: credentials, data: [orders] }
threats:
  coupon-abuse:
    title: Coupons are replayed
    element: web
    stride: tampering
    likelihood: high
    impact: medium
    mitigations: [rate-limiting]
";

    fn report_of(text: &str) -> (Model, Analysis, Value) {
        let (model, analysis) = crate::analyzed(text);
        let value: Value = serde_json::from_str(&render(&model, &analysis)).expect("JSON");
        (model, analysis, value)
    }

    /// A threat of the report with the tables' entries put back in: what version 2 wrote of it,
    /// but its remediation.
    fn whole(report: &Value, entry: &Value) -> Value {
        let mut threat = entry.clone();
        let object = threat.as_object_mut().expect("an object");
        let rule = &report["rules"][entry["rule"].as_str().expect("rule")];
        for field in [
            "title",
            "stride",
            "linddun",
            "capec",
            "cwe",
            "description",
            "link",
        ] {
            if !object.contains_key(field)
                && let Some(value) = rule.get(field)
            {
                object.insert(field.into(), value.clone());
            }
        }
        if !object.contains_key("location") {
            let key = format!(
                "{}:{}",
                entry["element"]["kind"].as_str().expect("kind"),
                entry["element"]["id"].as_str().expect("id")
            );
            object.insert(
                "location".into(),
                report["elements"][&key]["location"].clone(),
            );
        }
        let factors: Vec<Value> = entry["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .map(|i| report["factors"][i.as_u64().expect("a position") as usize].clone())
            .collect();
        object.insert("factors".into(), Value::Array(factors));
        threat
    }

    /// Every threat read back through the tables is the threat as the analysis holds it: the
    /// tables lose nothing and mix nothing up.
    #[test]
    fn each_threat_read_through_the_tables_is_the_whole_threat() {
        let (model, analysis, report) = report_of(SHOP);
        assert_eq!(report["schema_version"], 3);
        let lists = [
            ("threats", &analysis.threats),
            ("hygiene", &analysis.hygiene),
        ];
        for (list, threats) in lists {
            let entries = report[list].as_array().expect("a list");
            assert_eq!(entries.len(), threats.len());
            assert!(!entries.is_empty(), "{list}");
            for (entry, threat) in entries.iter().zip(threats.iter()) {
                let mut expected = serde_json::to_value(threat).expect("a threat");
                let object = expected.as_object_mut().expect("an object");
                object.insert("description".into(), json!(&*threat.description));
                if let Some(link) = &threat.reference {
                    object.insert("link".into(), json!(&**link));
                }
                object.insert(
                    "location".into(),
                    serde_json::to_value(model.sources.locate(threat.span)).expect("location"),
                );
                let mut got = whole(&report, entry);
                // Absent and null say the same: the rule has none.
                got.as_object_mut()
                    .expect("an object")
                    .retain(|_, v| !v.is_null());
                assert_eq!(got, expected, "{}", threat.id);
            }
        }
    }

    #[test]
    fn what_threats_share_is_written_once() {
        let (_, analysis, report) = report_of(SHOP);
        let threats = report["threats"].as_array().expect("threats");
        let rule_found: Vec<&Value> = threats.iter().filter(|t| t["rule"] != MANUAL).collect();
        assert!(rule_found.len() >= 3, "{threats:?}");
        for threat in rule_found {
            for shared in ["title", "stride", "description", "link", "location"] {
                assert!(threat.get(shared).is_none(), "{shared}: {threat}");
            }
            // A threat that absorbed others stands for their weaknesses too: its ids are written
            // with it where they are more than its rule's, and hold them.
            let rule = threat["rule"].as_str().expect("a rule id");
            for ids in ["capec", "cwe"] {
                if let Some(own) = threat.get(ids).and_then(Value::as_array) {
                    let shared = report["rules"][rule][ids]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    assert!(own.len() > shared.len(), "{ids}: {threat}");
                    assert!(shared.iter().all(|id| own.contains(id)), "{ids}: {threat}");
                }
            }
            assert!(threat.get("remediation").is_none());
        }
        // The manual threat has no rule to share with: it says its own words.
        let manual = threats
            .iter()
            .find(|t| t["id"] == "manual:coupon-abuse")
            .expect("the manual threat");
        assert_eq!(manual["title"], "Coupons are replayed");
        assert_eq!(manual["stride"], "tampering");
        assert!(report["rules"].get("manual").is_none());
        // One entry per rule, element and distinct factor, however many threats share it.
        let rules: std::collections::BTreeSet<&str> = analysis
            .findings()
            .map(|t| &*t.rule)
            .filter(|r| *r != MANUAL)
            .collect();
        let table: Vec<&str> = report["rules"]
            .as_object()
            .expect("rules")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(table, rules.into_iter().collect::<Vec<_>>());
        let factors = report["factors"].as_array().expect("factors");
        let distinct: std::collections::BTreeSet<String> =
            factors.iter().map(Value::to_string).collect();
        assert_eq!(distinct.len(), factors.len());
        let references: usize = analysis.findings().map(|t| t.factors.len()).sum();
        assert!(
            factors.len() * 2 < references,
            "{} of {references}",
            factors.len()
        );
        // Every control a mitigation names has its advice, the model's own or the catalogue's.
        let controls = report["controls"].as_object().expect("controls");
        for threat in analysis.findings() {
            let named = threat
                .mitigation
                .in_place()
                .chain(threat.mitigation.missing());
            for id in named.flat_map(|e| e.split('|')) {
                assert!(controls[id]["title"].is_string(), "{id}");
            }
        }
        assert_eq!(
            controls["input-validation"]["remediation"],
            threatforge_model::catalog().controls["input-validation"].remediation
        );
    }

    /// One threat a line, so a person can scan the register and grep it.
    #[test]
    fn each_threat_is_one_line() {
        let (model, analysis) = crate::analyzed(SHOP);
        let text = render(&model, &analysis);
        let lines: Vec<&str> = text.lines().collect();
        for threat in analysis.findings() {
            let start = format!("    {{\"id\":\"{}\",", threat.id);
            assert_eq!(
                lines.iter().filter(|l| l.starts_with(&start)).count(),
                1,
                "{}",
                threat.id
            );
        }
        assert!(lines.contains(&"  \"threats\": ["));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("    \"component:api\": {\"location\":"))
        );
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let (model, analysis) = crate::analyzed(SHOP);
        let first = render(&model, &analysis);
        let (model, analysis) = crate::analyzed(SHOP);
        assert_eq!(first, render(&model, &analysis));
    }
}
