//! OWASP ZAP's traditional JSON report: sites, their alerts with a CWE id and a risk code, and
//! each alert's instances (one finding per instance, at its URL).

use serde::Deserialize;

use crate::{Context, Evidence, Finding, Level};

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct Site {
    #[serde(rename = "@name")]
    name: String,
    alerts: Vec<Alert>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Alert {
    pluginid: Text,
    alert: String,
    name: String,
    riskcode: Text,
    cweid: Text,
    instances: Vec<Instance>,
    reference: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Instance {
    uri: String,
}

/// ZAP writes numbers as strings (`"riskcode": "3"`); other tools that write this shape use
/// numbers. Either is read.
#[derive(Default, Deserialize)]
#[serde(untagged)]
enum Text {
    #[default]
    Missing,
    Number(i64),
    String(String),
}

impl Text {
    fn number(&self) -> Option<i64> {
        match self {
            Text::Number(n) => Some(*n),
            Text::String(s) => s.trim().parse().ok(),
            Text::Missing => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Text::Number(n) => n.to_string(),
            Text::String(s) => s.clone(),
            Text::Missing => String::new(),
        }
    }
}

pub(crate) fn read(sites: Vec<Site>, cx: &Context, evidence: &mut Evidence) {
    for site in sites {
        for alert in &site.alerts {
            let level = match alert.riskcode.number() {
                Some(3..) => Level::Error,
                Some(2) => Level::Warning,
                Some(1) => Level::Note,
                _ => Level::None,
            };
            let cwe: Vec<u32> = alert
                .cweid
                .number()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n > 0)
                .into_iter()
                .collect();
            let title = if alert.alert.is_empty() {
                &alert.name
            } else {
                &alert.alert
            };
            // The first link of the reference text, when it is one.
            let link = alert
                .reference
                .split(|c: char| c.is_whitespace() || c == '<' || c == '>')
                .find(|w| crate::path::is_web(w))
                .map(|w| cx.cut(w));
            let urls: Vec<&str> = if alert.instances.is_empty() {
                vec![site.name.as_str()]
            } else {
                alert.instances.iter().map(|i| i.uri.as_str()).collect()
            };
            for url in urls {
                if !cx.room(evidence) {
                    return;
                }
                evidence.findings.push(Finding {
                    tool: "OWASP ZAP".to_owned(),
                    rule: cx.cut(&alert.pluginid.text()),
                    cwe: cwe.clone(),
                    level,
                    security_severity: None,
                    message: cx.cut(title),
                    file: None,
                    line: None,
                    url: (!url.is_empty()).then(|| cx.cut(url)),
                    link: link.clone(),
                    source: cx.source.to_owned(),
                    suppressed: false,
                });
            }
        }
    }
}
