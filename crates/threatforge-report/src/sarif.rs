//! SARIF 2.1.0, for code scanning: one result per open threat, located at the line of the model
//! file where the element is declared, so GitHub annotates the model in a pull request.
//!
//! Written with `serde_json` rather than the `serde-sarif` builders: we emit a small, fixed part
//! of the format, and a test validates the output against the official SARIF 2.1.0 schema.

use std::collections::BTreeMap;
use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use threatforge_analysis::severity_of;
use threatforge_analysis::{Analysis, RuleSet, Threat};
use threatforge_model::{Model, SourceMap, Span, ThreatSeverity};

fn level(severity: ThreatSeverity) -> &'static str {
    match severity {
        ThreatSeverity::Critical | ThreatSeverity::High => "error",
        ThreatSeverity::Medium => "warning",
        ThreatSeverity::Low | ThreatSeverity::Info => "note",
    }
}

/// GitHub's bands of `security-severity`, by the severity code scanning shows for them.
fn github_band(severity: ThreatSeverity) -> (f64, f64) {
    match severity {
        ThreatSeverity::Critical => (9.0, 10.0),
        ThreatSeverity::High => (7.0, 8.9),
        ThreatSeverity::Medium => (4.0, 6.9),
        ThreatSeverity::Low => (0.1, 3.9),
        ThreatSeverity::Info => (0.0, 0.0),
    }
}

/// GitHub's `security-severity` (0.0-10.0) of a threat, inside the band of its severity, so
/// that code scanning shows the severity threatforge gives (a proportional 12/16 = 7.5 showed a
/// threatforge critical as high). A CVSS vector a decision gave is its score; otherwise the
/// score places it within the band: the scores of a severity (`score::severity_of`) divide the
/// band in equal steps, the highest at the band's top. A severity a decision set, which the
/// score does not support, sits at the band's middle.
fn security_severity(threat: &Threat) -> f64 {
    if let Some(cvss) = threat.rating_override.as_ref().and_then(|o| o.cvss_score) {
        return cvss;
    }
    let severity = threat.severity();
    let (low, high) = github_band(severity);
    let score = threat.residual.score;
    let scores: Vec<u8> = (1..=16).filter(|s| severity_of(*s) == severity).collect();
    let step = match (scores.first(), scores.last()) {
        (Some(&first), Some(&last)) if (first..=last).contains(&score) => {
            f64::from(score - first + 1) / f64::from(last - first + 1)
        }
        _ => 0.5,
    };
    // One decimal, as GitHub shows it; the top of a band stays inside it.
    ((low + step * (high - low)) * 10.0).round() / 10.0
}

fn pascal(id: &str) -> String {
    id.split(['-', ':'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The base every file URI is relative to: the repository's top, which code scanning resolves
/// relative URIs against.
const SRCROOT: &str = "%SRCROOT%";

/// What a URI path segment may hold unescaped (RFC 3986 unreserved characters).
const URI_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The artifact location of a span's file: relative to `root` with `%SRCROOT%` when the file
/// is inside it (from its canonical path, so neither the working directory nor the way the
/// model was named changes it), else the name it is shown by.
fn artifact_location(sources: &SourceMap, span: Span, root: &Path) -> Value {
    let Some(file) = sources.get(span.file) else {
        return json!({ "uri": "unknown" });
    };
    match file.path.strip_prefix(root) {
        Ok(relative) => {
            let segments: Vec<String> = relative
                .components()
                .map(|c| {
                    utf8_percent_encode(&c.as_os_str().to_string_lossy(), URI_SEGMENT).to_string()
                })
                .collect();
            json!({ "uri": segments.join("/"), "uriBaseId": SRCROOT })
        }
        Err(_) => json!({
            "uri": utf8_percent_encode(&file.display.replace('\\', "/"), URI_SEGMENT)
                .to_string()
                .replace("%2F", "/")
        }),
    }
}

/// A scanner's finding as a related location: its file (repository-relative, as the evidence
/// reader made it) under `%SRCROOT%` with its line, or its URL; the message says which tool and
/// rule found what.
fn finding_location(id: usize, f: &threatforge_evidence::Finding) -> Value {
    let mut location = json!({
        "id": id,
        "message": { "text": format!("Confirmed by {}", crate::evidence::finding(f)) },
    });
    if let Some(file) = &f.file {
        let uri: Vec<String> = file
            .split('/')
            .map(|s| utf8_percent_encode(s, URI_SEGMENT).to_string())
            .collect();
        let mut physical = json!({
            "artifactLocation": { "uri": uri.join("/"), "uriBaseId": SRCROOT }
        });
        if let Some(line) = f.line.filter(|l| *l > 0) {
            physical["region"] = json!({ "startLine": line });
        }
        location["physicalLocation"] = physical;
    } else if let Some(url) = &f.url {
        location["physicalLocation"] = json!({ "artifactLocation": { "uri": url } });
    }
    location
}

/// What evidence says of the threat, in the result's properties: how many findings confirm it,
/// and each control in place with its verification.
fn properties_evidence(result: &mut Value, e: &threatforge_analysis::ThreatEvidence) {
    let controls: Vec<Value> = e
        .controls
        .iter()
        .map(|c| json!({ "control": c.control, "component": c.component, "status": c.status, "tests": c.tests }))
        .collect();
    result["properties"]["evidence"] = json!({
        "confirmedBy": e.findings.len(),
        "controls": controls,
    });
}

/// The SARIF log of the open threats. File URIs are relative to `root` (canonical: the
/// repository's top, or the model's root directory outside a repository) as `%SRCROOT%`.
pub fn render(model: &Model, analysis: &Analysis, rules: &RuleSet, root: &Path) -> String {
    crate::escape::json_text(|out| write(model, analysis, rules, root, out))
}

/// The log's shape around its results, which are written one by one as they are made.
#[derive(serde::Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    original_uri_base_ids: Value,
    column_kind: &'static str,
    results: Results<'a>,
}

struct Results<'a> {
    model: &'a Model,
    open: &'a [&'a Threat],
    rule_ids: &'a [&'a str],
    root: &'a Path,
}

impl serde::Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.open
                .iter()
                .map(|t| result(self.model, t, self.rule_ids, self.root)),
        )
    }
}

/// [`render`], written to `out` result by result.
pub(crate) fn write(
    model: &Model,
    analysis: &Analysis,
    rules: &RuleSet,
    root: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let open: Vec<&Threat> = analysis.threats.iter().filter(|t| t.is_open()).collect();
    // Rules that have results, in id order; their index is their position here.
    let mut by_rule: BTreeMap<std::borrow::Cow<str>, Vec<&Threat>> = BTreeMap::new();
    for threat in &open {
        by_rule.entry(threat.kind_id()).or_default().push(threat);
    }
    let rule_ids: Vec<&str> = by_rule.keys().map(|k| &**k).collect();
    let descriptors: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let threats = &by_rule[*id];
            // The most severe result sets the rule's default, with decisions applied.
            let max = threats
                .iter()
                .map(|t| security_severity(t))
                .fold(0.0, f64::max);
            let max_severity = threats
                .iter()
                .map(|t| t.severity())
                .max()
                .unwrap_or(ThreatSeverity::Info);
            let rule = rules.get(id);
            let title = threats.first().map_or("", |t| &*t.title);
            // A manual threat is its own rule: its description is the team's.
            let description = rule.map_or_else(
                || threats[0].explanation.to_string(),
                |r| threatforge_analysis::one_line(&r.file.description),
            );
            let mut tags = vec!["security".to_owned(), format!("stride:{}", threats[0].stride)];
            if let Some(l) = threats[0].linddun {
                tags.push(format!("linddun:{l}"));
            }
            tags.extend(threats[0].cwe.iter().map(|c| format!("external/cwe/cwe-{c}")));
            let mitigations: Vec<String> = match rule {
                Some(r) => r.file.mitigations.iter().map(|m| m.value.replace('|', " or ")).collect(),
                None => {
                    let m = &threats[0].mitigation;
                    m.in_place().chain(m.missing()).map(|c| c.replace('|', " or ")).collect()
                }
            };
            let help_text = format!(
                "{description}\n\nMitigated by: {}.",
                if mitigations.is_empty() { "no control in the catalogue".to_owned() } else { mitigations.join(", ") }
            );
            // Team rules and manual threats are text from a pull request: as Markdown it is
            // escaped, so only the CWE and CAPEC links below are links.
            let help_markdown = format!(
                "{}\n\n**Mitigated by:** {}\n\n{}",
                crate::escape::markdown(&description),
                if mitigations.is_empty() { "no control in the catalogue".to_owned() } else { mitigations.iter().map(|m| crate::escape::markdown_code(m)).collect::<Vec<_>>().join(", ") },
                threats[0]
                    .cwe
                    .iter()
                    .map(|c| format!("[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)"))
                    .chain(threats[0].capec.iter().map(|c| format!("[CAPEC-{c}](https://capec.mitre.org/data/definitions/{c}.html)")))
                    .collect::<Vec<_>>()
                    .join(" · ")
            );
            let mut descriptor = json!({
                "id": id,
                "name": pascal(id),
                "shortDescription": { "text": title },
                "fullDescription": { "text": if description.is_empty() { title.to_owned() } else { description.clone() } },
                "help": { "text": help_text, "markdown": help_markdown },
                "defaultConfiguration": { "level": level(max_severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": format!("{max:.1}"),
                    "precision": "medium",
                    "problem.severity": level(max_severity),
                }
            });
            if let Some(uri) = threats[0].reference.as_deref().and_then(crate::remediation::web_link) {
                descriptor["helpUri"] = json!(uri);
            }
            descriptor
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({
                "driver": {
                    "name": "threatforge",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": descriptors,
                }
            }),
            original_uri_base_ids: json!({
                SRCROOT: { "description": { "text": "The repository's top directory." } }
            }),
            column_kind: "unicodeCodePoints",
            results: Results {
                model,
                open: &open,
                rule_ids: &rule_ids,
                root,
            },
        }],
    };
    crate::escape::json_to(&log, out)
}

/// One open threat as a SARIF result.
fn result(model: &Model, t: &Threat, rule_ids: &[&str], root: &Path) -> Value {
    let location = model.sources.locate(t.span);
    let index = rule_ids.iter().position(|r| *r == t.kind_id()).unwrap_or(0);
    let advice = crate::remediation::of(model, t);
    let missing = if !t.mitigation.has_missing() {
        String::new()
    } else {
        format!(" {}", advice.lead)
    };
    let overridden = t.rating_override.as_deref().map_or(String::new(), |o| {
        let by = o
            .cvss
            .as_deref()
            .map_or(String::new(), |v| format!(", by {v}"));
        format!(
            " Severity set to {} by a decision (computed {}{by}): {}",
            o.severity, o.computed, o.justification
        )
    });
    let mut properties = json!({
        "threatId": t.id,
        "security-severity": format!("{:.1}", security_severity(t)),
        "status": t.status.as_str(),
    });
    if let Some(o) = t.rating_override.as_deref() {
        properties["override"] = json!(o);
    }
    properties["remediation"] = json!(advice);
    let mut result = json!({
        "ruleId": t.kind_id(),
        "ruleIndex": index,
        "level": level(t.severity()),
        "message": {
            "text": format!(
                "{} ({} {}/16): {}{missing}{overridden}",
                t.title,
                t.severity(),
                t.residual.score,
                t.explanation
            )
        },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(&model.sources, t.span, root),
                "region": { "startLine": location.line.max(1), "startColumn": location.column.max(1) }
            },
            "logicalLocations": [{ "name": t.element.id, "kind": "element" }]
        }],
        "partialFingerprints": { "threatforge/threatId/v1": t.id },
        "properties": properties,
    });
    // A threat standing for several elements (`group: model`) points at each; a confirmed
    // threat at the scanners' findings that confirm it.
    let mut related: Vec<Value> = t
        .members
        .iter()
        .zip(&t.member_spans)
        .enumerate()
        .map(|(i, (member, span))| {
            let at = model.sources.locate(*span);
            json!({
                "id": i,
                "message": { "text": member.id },
                "physicalLocation": {
                    "artifactLocation": artifact_location(&model.sources, *span, root),
                    "region": { "startLine": at.line.max(1), "startColumn": at.column.max(1) }
                }
            })
        })
        .collect();
    if let Some(evidence) = t.evidence.as_deref() {
        for f in &evidence.findings {
            related.push(finding_location(related.len(), f));
        }
        properties_evidence(&mut result, evidence);
    }
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    result
}
