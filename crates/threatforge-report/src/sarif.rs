//! SARIF 2.1.0, for code scanning: one result per open threat, located at the line of the model
//! file where the element is declared, so GitHub annotates the model in a pull request.
//!
//! Written with `serde_json` rather than the `serde-sarif` builders: we emit a small, fixed part
//! of the format, and a test validates the output against the official SARIF 2.1.0 schema.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use threatforge_analysis::{Analysis, RuleSet, Threat};
use threatforge_model::{Model, ThreatSeverity};

fn level(severity: ThreatSeverity) -> &'static str {
    match severity {
        ThreatSeverity::Critical | ThreatSeverity::High => "error",
        ThreatSeverity::Medium => "warning",
        ThreatSeverity::Low | ThreatSeverity::Info => "note",
    }
}

/// GitHub's `security-severity`: a CVSS-like 0.0-10.0 number, from the 1-16 score.
fn security_severity(score: u8) -> String {
    format!("{:.1}", f64::from(score) * 10.0 / 16.0)
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

fn uri(path: &str) -> String {
    path.replace('\\', "/")
}

pub fn render(model: &Model, analysis: &Analysis, rules: &RuleSet) -> String {
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
            let max = threats.iter().map(|t| t.residual.score).max().unwrap_or(1);
            let rule = rules.get(id);
            let title = threats.first().map_or("", |t| &*t.title);
            // A manual threat is its own rule: its description is the team's.
            let description = rule.map_or_else(
                || threats[0].explanation.to_string(),
                |r| r.file.description.split_whitespace().collect::<Vec<_>>().join(" "),
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
            json!({
                "id": id,
                "name": pascal(id),
                "shortDescription": { "text": title },
                "fullDescription": { "text": if description.is_empty() { title.to_owned() } else { description.clone() } },
                "help": { "text": help_text, "markdown": help_markdown },
                "defaultConfiguration": { "level": level(threatforge_analysis::score::severity_of(max)) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(max),
                    "precision": "medium",
                    "problem.severity": level(threatforge_analysis::score::severity_of(max)),
                }
            })
        })
        .collect();
    let results: Vec<Value> = open
        .iter()
        .map(|t| {
            let location = model.sources.locate(t.span);
            let index = rule_ids.iter().position(|r| *r == t.kind_id()).unwrap_or(0);
            let missing = if !t.mitigation.has_missing() {
                String::new()
            } else {
                format!(" Missing controls: {}.", threatforge_analysis::engine::join(t.mitigation.missing(), ", ").replace('|', " or "))
            };
            json!({
                "ruleId": t.kind_id(),
                "ruleIndex": index,
                "level": level(t.severity()),
                "message": {
                    "text": format!(
                        "{} ({} {}/16): {}{missing}",
                        t.title,
                        t.severity(),
                        t.residual.score,
                        t.explanation
                    )
                },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&location.file) },
                        "region": { "startLine": location.line.max(1), "startColumn": location.column.max(1) }
                    },
                    "logicalLocations": [{ "name": t.element.id, "kind": "element" }]
                }],
                "partialFingerprints": { "threatforge/threatId/v1": t.id },
                "properties": {
                    "threatId": t.id,
                    "security-severity": security_severity(t.residual.score),
                    "status": t.status.as_str(),
                }
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "threatforge",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    crate::escape::json(&log)
}
