//! SARIF 2.1.0: the results of each run, with their rules' CWEs from wherever the tool puts
//! them (rule and result `taxa`, rule `relationships` to a CWE taxonomy, `properties.tags`), the
//! rule's `security-severity`, locations resolved through `uriBaseId` and `originalUriBaseIds`,
//! suppressions and baseline state. Only the fields read are typed; a tool's other fields are
//! skipped by serde without being kept.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::path::{Rejected, is_web, join, relative};
use crate::{Context, Evidence, Finding, Level};

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    taxonomies: Vec<Component>,
    original_uri_base_ids: BTreeMap<String, ArtifactLocation>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Tool {
    driver: Component,
    extensions: Vec<Component>,
}

/// A tool component: the driver, an extension or a taxonomy.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Component {
    name: String,
    rules: Vec<Descriptor>,
    taxa: Vec<Descriptor>,
}

/// A rule or a taxon.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Descriptor {
    id: String,
    help_uri: Option<String>,
    properties: Option<Value>,
    relationships: Vec<Relationship>,
    default_configuration: Option<Configuration>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Configuration {
    level: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Relationship {
    target: Reference,
}

/// A `reportingDescriptorReference`: an id or index into a tool component's rules or taxa.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Reference {
    id: Option<String>,
    index: Option<usize>,
    tool_component: Option<ComponentReference>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ComponentReference {
    name: Option<String>,
    index: Option<usize>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<usize>,
    rule: Option<Reference>,
    level: Option<String>,
    message: Message,
    locations: Vec<Location>,
    taxa: Vec<Reference>,
    properties: Option<Value>,
    suppressions: Vec<Suppression>,
    baseline_state: Option<String>,
    web_request: Option<WebRequest>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Message {
    text: Option<String>,
    markdown: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Location {
    physical_location: Option<PhysicalLocation>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ArtifactLocation {
    uri: Option<String>,
    uri_base_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Region {
    start_line: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Suppression {
    status: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct WebRequest {
    target: Option<String>,
}

pub(crate) fn read(runs: Vec<Run>, cx: &Context, evidence: &mut Evidence) {
    for run in runs {
        read_run(&run, cx, evidence);
    }
}

fn read_run(run: &Run, cx: &Context, evidence: &mut Evidence) {
    let tool = cx.cut(if run.tool.driver.name.is_empty() {
        "unnamed tool"
    } else {
        &run.tool.driver.name
    });
    // Taxonomies sit in the run (a reference's index counts them) or, as some tools put CWE,
    // in a tool extension (found by name).
    let components: Vec<&Component> = run.taxonomies.iter().chain(&run.tool.extensions).collect();
    let rule_by_id: BTreeMap<&str, &Descriptor> = run
        .tool
        .driver
        .rules
        .iter()
        .chain(run.tool.extensions.iter().flat_map(|e| &e.rules))
        .map(|r| (r.id.as_str(), r))
        .collect();
    for result in &run.results {
        if !cx.room(evidence) {
            return;
        }
        // A result the baseline says is gone is not a finding of this run.
        if result.baseline_state.as_deref() == Some("absent") {
            continue;
        }
        let rule_id = result
            .rule_id
            .as_deref()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.as_deref()))
            .unwrap_or("");
        let rule = result
            .rule_index
            .or_else(|| result.rule.as_ref().and_then(|r| r.index))
            .and_then(|i| run.tool.driver.rules.get(i))
            .or_else(|| rule_by_id.get(rule_id).copied());
        let rule_id = if rule_id.is_empty() {
            rule.map_or("", |r| r.id.as_str())
        } else {
            rule_id
        };
        let mut cwe = Vec::new();
        if let Some(rule) = rule {
            descriptor_cwes(rule, &components, &mut cwe);
        }
        for reference in &result.taxa {
            reference_cwe(reference, &components, &mut cwe);
        }
        tags_cwes(result.properties.as_ref(), &mut cwe);
        cwe.sort_unstable();
        cwe.dedup();
        let level = result
            .level
            .as_deref()
            .or_else(|| rule.and_then(|r| r.default_configuration.as_ref()?.level.as_deref()))
            .map_or(Level::Warning, level_of);
        let security_severity = rule
            .and_then(|r| security_severity(r.properties.as_ref()))
            .or_else(|| security_severity(result.properties.as_ref()));
        let message = result
            .message
            .text
            .as_deref()
            .or(result.message.markdown.as_deref())
            .unwrap_or("");
        let link = rule
            .and_then(|r| r.help_uri.as_deref())
            .filter(|u| is_web(u))
            .map(|u| cx.cut(u));
        let suppressed = result
            .suppressions
            .iter()
            .any(|s| matches!(s.status.as_deref(), None | Some("accepted")));
        let mut finding = Finding {
            tool: tool.clone(),
            rule: cx.cut(rule_id),
            cwe,
            level,
            security_severity,
            message: cx.cut(message),
            file: None,
            line: None,
            url: result
                .web_request
                .as_ref()
                .and_then(|w| w.target.as_deref())
                .map(|u| cx.cut(u)),
            link,
            source: cx.source.to_owned(),
            suppressed,
        };
        if let Some(physical) = result
            .locations
            .first()
            .and_then(|l| l.physical_location.as_ref())
        {
            locate(&mut finding, physical, run, cx, evidence);
        }
        evidence.findings.push(finding);
    }
}

/// Sets the finding's file (or, for a web address, its URL) and line.
fn locate(
    finding: &mut Finding,
    physical: &PhysicalLocation,
    run: &Run,
    cx: &Context,
    evidence: &mut Evidence,
) {
    let Some(artifact) = &physical.artifact_location else {
        return;
    };
    let Some(uri) = artifact.uri.as_deref() else {
        return;
    };
    let full = resolve(uri, artifact.uri_base_id.as_deref(), run);
    if is_web(&full) {
        finding.url.get_or_insert_with(|| cx.cut(&full));
        return;
    }
    // A base the tool resolved to where it scanned (`%SRCROOT%` as `file:///home/runner/work/
    // shop/`) is the checkout the repository's root stands for: the reference relative to it is
    // the path from the root.
    let resolved = match relative(&full, cx.root) {
        Err(Rejected::Outside) if artifact.uri_base_id.is_some() && full != uri => {
            relative(uri, cx.root)
        }
        // An absolute URI under one of the run's own bases is the path below that base.
        Err(Rejected::Outside) => run
            .original_uri_base_ids
            .keys()
            .map(|name| resolve("", Some(name), run))
            // A base at the file system's root (Trivy's `file:///`) would make any path the
            // repository's.
            .filter(|base| {
                let path = base
                    .get(7..)
                    .filter(|_| base.starts_with("file://"))
                    .unwrap_or(base);
                path.trim_matches('/').len() > 2
            })
            .find_map(|base| {
                let base = base.trim_end_matches('/');
                full.strip_prefix(base).filter(|rest| rest.starts_with('/'))
            })
            .map_or(Err(Rejected::Outside), |rest| {
                relative(rest.trim_start_matches('/'), cx.root)
            }),
        other => other,
    };
    match resolved {
        Ok(path) => {
            finding.file = Some(cx.cut(&path));
            finding.line = physical.region.as_ref().and_then(|r| r.start_line);
        }
        Err(rejected) => {
            let shown = threatforge_model::escape::line(&cx.cut(uri)).into_owned();
            let why = match rejected {
                Rejected::Outside if cx.root.is_none() => "is absolute, with no repository root",
                other => other.says(),
            };
            cx.warn(
                evidence,
                format!(
                    "{} finding `{}` at `{shown}` kept without its location: the path {why}",
                    finding.tool, finding.rule
                ),
            );
        }
    }
}

/// A location's URI with its base (`uriBaseId`) resolved through the run's
/// `originalUriBaseIds`, which may chain (bounded, against cycles). An unknown base, such as a
/// `%SRCROOT%` the tool left for the consumer, stands for the repository's root.
fn resolve(uri: &str, base: Option<&str>, run: &Run) -> String {
    let mut out = uri.to_owned();
    let mut base = base.map(str::to_owned);
    for _ in 0..8 {
        let Some(name) = base.take() else { break };
        let Some(entry) = run.original_uri_base_ids.get(&name) else {
            break;
        };
        out = join(entry.uri.as_deref().unwrap_or(""), &out);
        base = entry.uri_base_id.clone();
    }
    out
}

fn level_of(text: &str) -> Level {
    match text {
        "error" => Level::Error,
        "note" => Level::Note,
        "none" => Level::None,
        _ => Level::Warning,
    }
}

/// `security-severity`, a string ("8.8") as GitHub documents it, or a number.
fn security_severity(properties: Option<&Value>) -> Option<f64> {
    let value = properties?.get("security-severity")?;
    let number = match value {
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        other => other.as_f64()?,
    };
    (0.0..=10.0).contains(&number).then_some(number)
}

fn tags_cwes(properties: Option<&Value>, out: &mut Vec<u32>) {
    let Some(properties) = properties else { return };
    for key in ["tags", "cwe"] {
        match properties.get(key) {
            Some(Value::Array(items)) => out.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(|t| crate::cwe::parse(t, false)),
            ),
            Some(Value::String(one)) => out.extend(crate::cwe::parse(one, false)),
            _ => {}
        }
    }
}

/// A rule's CWEs: its tags, and its relationships to a CWE taxonomy (`components`: the run's
/// taxonomies, then the tool's extensions).
fn descriptor_cwes(rule: &Descriptor, components: &[&Component], out: &mut Vec<u32>) {
    tags_cwes(rule.properties.as_ref(), out);
    for relationship in &rule.relationships {
        reference_cwe(&relationship.target, components, out);
    }
}

/// The CWE a reference to a taxon names: by the taxonomy's name being CWE and the taxon's id,
/// or by index into the taxonomy's taxa (nested taxa: the reference names the taxonomy by
/// index or name, the taxon by index or id).
fn reference_cwe(reference: &Reference, components: &[&Component], out: &mut Vec<u32>) {
    let component = reference.tool_component.as_ref().and_then(|c| {
        c.index
            .and_then(|i| components.get(i).copied())
            .filter(|found| c.name.as_deref().is_none_or(|n| n == found.name))
            .or_else(|| {
                let name = c.name.as_deref()?;
                components.iter().copied().find(|t| t.name == name)
            })
    });
    let in_cwe = reference
        .tool_component
        .as_ref()
        .and_then(|c| c.name.as_deref())
        .or(component.map(|c| c.name.as_str()))
        .is_some_and(|n| n.eq_ignore_ascii_case("cwe"));
    let taxon = component.and_then(|c| {
        reference.index.and_then(|i| c.taxa.get(i)).or_else(|| {
            c.taxa
                .iter()
                .find(|t| Some(t.id.as_str()) == reference.id.as_deref())
        })
    });
    let id = reference
        .id
        .as_deref()
        .or(taxon.map(|t| t.id.as_str()))
        .unwrap_or("");
    if let Some(cwe) = crate::cwe::parse(id, in_cwe) {
        out.push(cwe);
    }
    // A taxon's own relationships (to a parent CWE, in a nested taxonomy) are not the
    // finding's: the parent is a broader class, which would confirm threats of its other
    // children. Only tags the taxon carries name it further.
    if let Some(taxon) = taxon {
        tags_cwes(taxon.properties.as_ref(), out);
    }
}
