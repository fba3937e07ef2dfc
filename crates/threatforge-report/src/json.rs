//! The JSON report: a documented, versioned shape (docs/report-json.md). `schema_version` changes
//! only when a field changes meaning or disappears; new fields may appear in any version.

use indexmap::IndexMap;
use serde::Serialize;
use threatforge_analysis::{Analysis, Analyzed, Threat};
use threatforge_model::JsonDiagnostic;
use threatforge_model::{DecisionStatus, Location, Model, Severity, ThreatSeverity};

pub(crate) const SCHEMA_VERSION: u32 = 2;

/// The JSON Schema of this report (`threatforge schema --output-format report`), written by hand
/// as the documented contract; a test validates real reports against it.
pub const SCHEMA: &str = include_str!("report.schema.json");

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    system: System<'a>,
    summary: Summary,
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

#[derive(Serialize)]
struct ThreatEntry<'a> {
    #[serde(flatten)]
    threat: &'a Threat,
    location: Location,
    description: &'a str,
    remediation: crate::remediation::Remediation,
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
    crate::escape::json_to(&report(model, analysis, diagnostics, fail_on), out)
}

fn report<'a>(
    model: &'a Model,
    analysis: &'a Analysis,
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
        threats: entries(model, &analysis.threats),
        hygiene: entries(model, &analysis.hygiene),
        diagnostics,
        evidence: analysis.evidence.as_deref(),
    }
}

fn entries<'a>(model: &'a Model, threats: &'a [Threat]) -> Entries<'a> {
    Entries { model, threats }
}

/// The threats as the report lists them, each entry made as it is written: at 50,000 components a
/// list of 300,000 entries with their remediations would be held beside the threats.
struct Entries<'a> {
    model: &'a Model,
    threats: &'a [Threat],
}

impl Serialize for Entries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.threats.iter().map(|t| ThreatEntry {
            threat: t,
            location: self.model.sources.locate(t.span),
            description: &t.description,
            remediation: crate::remediation::of(self.model, t),
        }))
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
/// model's and the rules').
pub fn render_check(analyzed: &Analyzed, path: &str, fail_on: Option<ThreatSeverity>) -> String {
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
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            rules: rules.rules.len(),
        },
        report: report(model, analysis, Vec::new(), fail_on),
    };
    let mut value = serde_json::to_value(&check).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "diagnostics".into(),
            serde_json::to_value(&diagnostics).unwrap_or_default(),
        );
    }
    crate::escape::json(&value)
}
