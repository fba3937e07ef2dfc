//! The risk register of a large model as data for the report's script: one JSON document in a
//! `<script type="application/json">` element, written threat by threat, which the script pages,
//! sorts, filters and expands (report.js). A page with a row and a section per threat took 29 s,
//! 1 GB and 189 MB at 10,000 components; this keeps what repeats in tables that threats refer to
//! by index, and never holds more than one threat's text at a time.
//!
//! The document (version 1), every list in register order:
//!
//! ```text
//! { "v": 1,
//!   "threats": [ [rule s, title s, element e, stride, status, inherent, residual, coverage,
//!                 in_place [c], missing [[c]], factors [f], explanation, description s|-1,
//!                 reason|null, lead s|text, advice [a], link s|-1, capec [], cwe [], linddun|null,
//!                 [file s, line], components [e], decision|null, override|null,
//!                 evidence|null], ... ],
//!   "strings": [...],                                  s: texts threats share
//!   "elements": [[kind, id, label, short, anchor, show_id], ...],     e
//!   "controls": [[id, title|null], ...],               c
//!   "factors": [[on, factor, effect, reason], ...],    f
//!   "advice": [[id, title, remediation], ...],         a
//!   "stride": [[key, label]], "status": [[key, label]], "severity": [key], "levels": [label] }
//! ```
//!
//! A score is `[likelihood, impact, score, severity index]` (a level's word is `levels[min(level,
//! 4)]`); the lead of what to do, an index when it is `On <kind> <id>, ` then that string; a
//! decision `[selector, status, owner, justification, ticket, date, expires, expired]`; an override
//! `[severity, cvss, cvss score, justification]`; evidence `[[effect, reason]|null, findings
//! [[tool, rule, cwe, place, message, link]], controls [[control, status, tests]]]`.
//!
//! The inventory and the hygiene checklist of the same page are two more documents, each in its
//! own element (`inventory-json`, `hygiene-json`; written by `tables.rs`, rendered by
//! report-tables.js a page of rows at a time, when their section comes near the view or a link
//! points into them). The inventory (version 1), every table in model order:
//!
//! ```text
//! { "v": 1,
//!   "components": [[id, name|null, description|null, kind s, technology t|-1, exposure s|-1,
//!                   boundary b|-1, criticality s, processes [d], stores [d], controls [t],
//!                   owner s|-1, out_of_scope|null, threats, open], ...],
//!   "data":       [[id, name|null, description|null, classification s, integrity s,
//!                   availability s, categories [s], quantity s|-1, owner s|-1,
//!                   handled_by [c], threats, open], ...],
//!   "flows":      [[id|null, source c, target c, name|null, description|null, protocol t|-1,
//!                   encrypted 0|1, authentication s, authorization s, data [d], returns [d],
//!                   controls [t], usage s|-1, readonly 0|1, out_of_scope|null, threats,
//!                   open], ...],
//!   "boundaries": [[id, name|null, description|null, kind s, trust s, parent b|-1,
//!                   contains [c|-1-b], threats, open], ...],
//!   "runtimes":   [[id, name|null, description|null, kind s, runs [c], threats, open], ...],
//!   "strings": [...],                                  s: short texts rows share
//!   "titles": [[id, title|null], ...] }                t: controls, technologies, protocols
//! ```
//!
//! `c`, `d` and `b` are a row's index in `components`, `data` and `boundaries` (a boundary's
//! member that is a boundary is `-1 - index`), or the id itself when the model has no such
//! element (a model the loader accepted always has it). A flow's id is null when it is
//! `<source>-><target>`. `threats` and `open` count the element's threats and its open ones.
//!
//! The checklist (version 1), in the analysis's order (by id):
//!
//! ```text
//! { "v": 1,
//!   "items": [[rule s, title s, element s, kind s, id|null, status, reason|null, explanation,
//!              missing [[s]], lead s|text], ...],
//!   "strings": [...], "status": [[key, label]] }
//! ```
//!
//! An item's id is null when it is `<rule>:<element>`; its lead of what to do, a string index
//! when it reads `On <kind> <element>, ` then that string, as in the register.
//!
//! Safety, for the three documents: the text is inside a script element, so `<`, `>` and `&` are
//! written as `\u003c`, `\u003e` and `\u0026` (no `</script>` or `<!--` can end or change it),
//! U+2028 and U+2029 escaped too, and `#` as `\u0023` so that no line reads as a CI runner's `##[`
//! command (the CLI would rewrite it, breaking the JSON). Control and invisible characters are
//! shown escaped, as everywhere else. The script inserts every text with `textContent`.

use std::borrow::Cow;
use std::io::{self, Write};

use indexmap::{IndexMap, IndexSet};
use serde::Serialize;
use serde_json::{Value, json};
use threatforge_analysis::{Analysis, Coverage, Element, Threat};
use threatforge_model::escape::block;
use threatforge_model::{DecisionStatus, Model, ThreatSeverity};

use super::view::{
    STRIDE, Structure, control, effect, element_view, level_label, status_label, stride_label,
};

/// Tables of what threats share, filled as threats are written and written after them.
#[derive(Default)]
struct Tables<'a> {
    strings: IndexSet<String>,
    elements: IndexMap<(Element, String), ()>,
    controls: IndexSet<String>,
    factors: IndexMap<(&'static str, &'static str, i8, &'a str), ()>,
    advice: IndexSet<String>,
}

impl<'a> Tables<'a> {
    fn string(&mut self, text: &str) -> usize {
        match self.strings.get_index_of(text) {
            Some(i) => i,
            None => self.strings.insert_full(text.to_owned()).0,
        }
    }

    fn element(&mut self, kind: Element, id: &str) -> usize {
        match self.elements.get_index_of(&(kind, id.to_owned())) {
            Some(i) => i,
            None => self.elements.insert_full((kind, id.to_owned()), ()).0,
        }
    }

    fn control(&mut self, id: &str) -> usize {
        match self.controls.get_index_of(id) {
            Some(i) => i,
            None => self.controls.insert_full(id.to_owned()).0,
        }
    }

    fn advice(&mut self, id: &str) -> usize {
        match self.advice.get_index_of(id) {
            Some(i) => i,
            None => self.advice.insert_full(id.to_owned()).0,
        }
    }
}

/// Model text as every format shows it: control and invisible characters escaped.
pub(super) fn shown(text: &str) -> Cow<'_, str> {
    block(text)
}

fn score(s: &threatforge_analysis::Score) -> Value {
    json!([
        s.likelihood,
        s.impact,
        s.score,
        ThreatSeverity::ALL
            .iter()
            .position(|x| *x == s.severity)
            .unwrap_or(0),
    ])
}

/// The lead of what to do: most say `On <kind> <id>, ` and then what is shared by every element
/// missing the same controls, so that rest is an index into the strings (the script puts the
/// element back); any other lead is written whole.
fn lead(tables: &mut Tables, t: &Threat, lead: &str) -> Value {
    let on = format!("On {} {}, ", t.element.kind, t.element.id);
    match lead.strip_prefix(&on) {
        Some(rest) if t.element.kind != Element::Model => json!(tables.string(&shown(rest))),
        _ => json!(shown(lead)),
    }
}

/// One threat's row, a JSON array (see the module's documentation for its fields).
fn row<'a>(
    model: &Model,
    structure: &Structure,
    tables: &mut Tables<'a>,
    t: &'a Threat,
) -> Vec<Value> {
    let rule = tables.string(&shown(&t.rule));
    let title = tables.string(&shown(&t.title));
    let element = tables.element(t.element.kind, &t.element.id);
    let stride = STRIDE.iter().position(|s| *s == t.stride).unwrap_or(0);
    let status = DecisionStatus::ALL
        .iter()
        .position(|s| *s == t.status)
        .unwrap_or(0);
    let coverage = match t.mitigation.coverage {
        Coverage::None => 0,
        Coverage::Partial => 1,
        Coverage::Full => 2,
    };
    let in_place: Vec<usize> = t
        .mitigation
        .in_place()
        .map(|id| tables.control(id))
        .collect();
    let missing: Vec<Vec<usize>> = t
        .mitigation
        .missing()
        .map(|m| m.split('|').map(|id| tables.control(id)).collect())
        .collect();
    let factors: Vec<usize> = t
        .factors
        .iter()
        .map(|f| {
            let key = (f.on, f.factor, f.effect, &*f.reason);
            match tables.factors.get_index_of(&key) {
                Some(i) => i,
                None => tables.factors.insert_full(key, ()).0,
            }
        })
        .collect();
    // A manual threat's description is its explanation already.
    let description = if *t.description == *t.explanation {
        -1
    } else {
        tables.string(&shown(&t.description)) as i64
    };
    // A decision's justification is shown with the decision.
    let reason = t
        .reason
        .as_deref()
        .filter(|r| t.decision.as_ref().and_then(|d| d.justification.as_deref()) != Some(*r))
        .map(|r| shown(r).into_owned());
    let advice = crate::remediation::of(model, t);
    let advice_ids: Vec<usize> = advice
        .controls
        .iter()
        .filter(|c| !c.remediation.is_empty())
        .map(|c| tables.advice(&c.id))
        .collect();
    let link = match advice
        .link
        .as_deref()
        .and_then(crate::remediation::web_link)
    {
        Some(l) => tables.string(l) as i64,
        None => -1,
    };
    let at = model.sources.locate(t.span);
    let location = json!([tables.string(&shown(&at.file)), at.line]);
    let components: Vec<usize> = structure
        .components_of(model, t)
        .iter()
        .map(|id| tables.element(Element::Component, id))
        .collect();
    let decision = t.decision.as_ref().map(|d| {
        json!([
            shown(&d.selector),
            DecisionStatus::ALL
                .iter()
                .position(|s| *s == d.status)
                .unwrap_or(0),
            d.owner.as_deref().map(shown),
            d.justification.as_deref().map(shown),
            d.ticket.as_deref().map(shown),
            d.date.as_deref().map(shown),
            d.expires.as_deref().map(shown),
            d.expired,
        ])
    });
    let rating_override = t.rating_override.as_ref().map(|o| {
        json!([
            o.severity.as_str(),
            o.cvss.as_deref().map(shown),
            o.cvss_score.map(|s| format!("{s:.1}")),
            shown(&o.justification),
        ])
    });
    let evidence = t.evidence.as_deref().map(|e| {
        json!([
            e.factor
                .as_ref()
                .map(|f| json!([f.effect, shown(&f.reason)])),
            e.findings
                .iter()
                .map(|f| json!([
                    shown(&f.tool),
                    shown(&f.rule),
                    f.cwe,
                    shown(&f.location()),
                    shown(&f.message),
                    f.link.as_deref().map(shown),
                ]))
                .collect::<Vec<_>>(),
            e.controls
                .iter()
                .map(|c| json!([
                    shown(&format!("{}.{}", c.component, c.control)),
                    c.status.as_str(),
                    shown(&c.tests.join(", ")),
                ]))
                .collect::<Vec<_>>(),
        ])
    });
    vec![
        json!(rule),
        json!(title),
        json!(element),
        json!(stride),
        json!(status),
        score(&t.inherent),
        score(&t.residual),
        json!(coverage),
        json!(in_place),
        json!(missing),
        json!(factors),
        json!(shown(&t.explanation)),
        json!(description),
        json!(reason),
        lead(tables, t, &advice.lead),
        json!(advice_ids),
        json!(link),
        json!(&*t.capec),
        json!(&*t.cwe),
        json!(t.linddun.map(|l| l.as_str())),
        location,
        json!(components),
        json!(decision),
        json!(rating_override),
        json!(evidence),
    ]
}

/// Writes `value` as JSON, with the escapes that keep it inert inside a script element.
pub(super) fn write_json(
    out: &mut dyn Write,
    buffer: &mut String,
    value: &impl Serialize,
) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    buffer.clear();
    for c in text.chars() {
        match c {
            '<' => buffer.push_str("\\u003c"),
            '>' => buffer.push_str("\\u003e"),
            '&' => buffer.push_str("\\u0026"),
            '#' => buffer.push_str("\\u0023"),
            '\u{2028}' => buffer.push_str("\\u2028"),
            '\u{2029}' => buffer.push_str("\\u2029"),
            c => buffer.push(c),
        }
    }
    out.write_all(buffer.as_bytes())
}

/// Writes the register's document: the threats in register order, one to a line, then the tables
/// they refer to.
pub(super) fn write(
    model: &Model,
    analysis: &Analysis,
    structure: &Structure,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut tables = Tables::default();
    let mut buffer = String::new();
    out.write_all(b"{\"v\":1,\"threats\":[\n")?;
    for (i, t) in crate::json::by_risk(analysis).into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        let values = row(model, structure, &mut tables, t);
        write_json(out, &mut buffer, &values)?;
    }
    out.write_all(b"\n],\n\"strings\":")?;
    write_json(out, &mut buffer, &tables.strings)?;
    out.write_all(b",\n\"elements\":[")?;
    for (i, (kind, id)) in tables.elements.keys().enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        let e = element_view(model, *kind, id);
        write_json(
            out,
            &mut buffer,
            &json!([
                e.kind,
                shown(&e.id),
                shown(&e.label),
                shown(&e.short),
                e.anchor.as_deref().map(shown),
                e.show_id
            ]),
        )?;
    }
    out.write_all(b"],\n\"controls\":")?;
    let controls: Vec<Value> = tables
        .controls
        .iter()
        .map(|id| {
            let c = control(model, id);
            json!([shown(&c.id), c.title.as_deref().map(shown)])
        })
        .collect();
    write_json(out, &mut buffer, &controls)?;
    out.write_all(b",\n\"factors\":")?;
    let factors: Vec<Value> = tables
        .factors
        .keys()
        .map(|(on, factor, e, reason)| json!([on, factor, effect(*e), shown(reason)]))
        .collect();
    write_json(out, &mut buffer, &factors)?;
    out.write_all(b",\n\"advice\":")?;
    let advice: Vec<Value> = tables
        .advice
        .iter()
        .map(|id| {
            let a = crate::remediation::advice(model, id);
            json!([shown(&a.id), shown(&a.title), shown(&a.remediation)])
        })
        .collect();
    write_json(out, &mut buffer, &advice)?;
    let stride: Vec<Value> = STRIDE
        .iter()
        .map(|s| json!([s.as_str(), stride_label(*s)]))
        .collect();
    let status: Vec<Value> = DecisionStatus::ALL
        .iter()
        .map(|s| json!([s.as_str(), status_label(*s)]))
        .collect();
    let severity: Vec<&str> = ThreatSeverity::ALL.iter().map(|s| s.as_str()).collect();
    let levels: Vec<&str> = (0..=4).map(level_label).collect();
    out.write_all(b",\n\"stride\":")?;
    write_json(out, &mut buffer, &stride)?;
    out.write_all(b",\n\"status\":")?;
    write_json(out, &mut buffer, &status)?;
    out.write_all(b",\n\"severity\":")?;
    write_json(out, &mut buffer, &severity)?;
    out.write_all(b",\n\"levels\":")?;
    write_json(out, &mut buffer, &levels)?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_in_the_data_can_end_the_script_element() {
        let mut out = Vec::new();
        let mut buffer = String::new();
        let hostile = "</script><!-- <img src=x onerror=alert(1)> & ##[error] \u{2028}\u{2029}";
        write_json(&mut out, &mut buffer, &json!([hostile])).expect("written");
        let text = String::from_utf8(out).expect("UTF-8");
        for forbidden in ["<", ">", "&", "##[", "\u{2028}", "\u{2029}"] {
            assert!(!text.contains(forbidden), "{forbidden:?} in {text}");
        }
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, json!([hostile]));
    }
}
