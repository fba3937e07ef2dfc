//! The inventory and the hygiene checklist of a large model as data for the page's script, as
//! the register is (`register.rs` documents the three documents). Written as rows in the page they
//! were 5.3 and 2.3 MB at 5,000 components, and about 18,000 table rows that Chromium had to
//! parse and hold before the page answered; as data they are 1.0 and 1.3 MB, and the script makes
//! a page of rows when the section comes near the view (report-tables.js).
//!
//! Written row by row from the model, with what rows share (short texts, control titles) in
//! tables after them, so that no table is ever in memory as text whole.

use std::io::{self, Write};

use indexmap::{IndexMap, IndexSet};
use serde_json::{Value, json};
use threatforge_analysis::{Analysis, Element};
use threatforge_model::{DecisionStatus, Model, catalog};

use super::register::{shown, write_json};
use super::view::{Structure, Tally, status_label};

/// Texts rows share, and the titles of controls, technologies and protocols, by index.
#[derive(Default)]
struct Shared {
    strings: IndexSet<String>,
    /// (what, id) -> title; `what` keeps a technology and a control of one name apart.
    titles: IndexMap<(&'static str, String), Option<String>>,
}

impl Shared {
    fn string(&mut self, text: &str) -> usize {
        let text = shown(text);
        match self.strings.get_index_of(text.as_ref()) {
            Some(i) => i,
            None => self.strings.insert_full(text.into_owned()).0,
        }
    }

    fn optional(&mut self, text: Option<&str>) -> i64 {
        text.map_or(-1, |t| self.string(t) as i64)
    }

    fn title(
        &mut self,
        what: &'static str,
        id: &str,
        title: impl FnOnce() -> Option<String>,
    ) -> usize {
        match self.titles.get_index_of(&(what, id.to_owned())) {
            Some(i) => i,
            None => self.titles.insert_full((what, id.to_owned()), title()).0,
        }
    }

    fn control(&mut self, model: &Model, id: &str) -> usize {
        self.title("control", id, || super::view::control(model, id).title)
    }
}

/// A reference to a row of another table: its index, or the id itself when the table has no
/// such row (a model the loader accepted always has it).
fn reference(index: Option<usize>, id: &str) -> Value {
    match index {
        Some(i) => json!(i),
        None => json!(shown(id)),
    }
}

fn component(model: &Model, id: &str) -> Value {
    reference(model.components.get_index_of(id), id)
}

fn data(model: &Model, ids: &[threatforge_model::Sp<String>]) -> Vec<Value> {
    ids.iter()
        .map(|d| reference(model.data.get_index_of(&d.value), &d.value))
        .collect()
}

fn boundary(model: &Model, id: Option<&str>) -> Value {
    match id {
        Some(id) => reference(model.boundaries.get_index_of(id), id),
        None => json!(-1),
    }
}

fn text(value: Option<&String>) -> Value {
    json!(value.map(|t| shown(t)))
}

/// Writes `rows` as the JSON list `"name":[...]`, one row to a line.
fn write_rows(
    out: &mut dyn Write,
    buffer: &mut String,
    name: &str,
    first: bool,
    rows: impl Iterator<Item = Value>,
) -> io::Result<()> {
    if !first {
        out.write_all(b",\n")?;
    }
    out.write_all(format!("\"{name}\":[").as_bytes())?;
    for (i, row) in rows.enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        write_json(out, buffer, &row)?;
    }
    out.write_all(b"]")
}

/// Writes the inventory's document (its format is in `register.rs`).
pub(super) fn write_inventory(
    model: &Model,
    structure: &Structure,
    tally: &Tally,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut shared = Shared::default();
    let mut buffer = String::new();
    let counts = |kind: Element, id: &str| {
        let (threats, open) = tally.of(kind, id);
        [json!(threats), json!(open)]
    };
    out.write_all(b"{\"v\":1,\n")?;
    let components = model.components.values().map(|c| {
        let id = &c.id.value;
        let technology = c.technology.as_ref().map_or(-1, |t| {
            shared.title("technology", &t.value, || {
                catalog().technology(&t.value).map(|x| x.title.clone())
            }) as i64
        });
        let controls: Vec<usize> = c
            .controls
            .iter()
            .map(|x| shared.control(model, &x.value))
            .collect();
        let mut row = vec![
            json!(shown(id)),
            text(c.name.as_ref()),
            text(c.description.as_ref()),
            json!(shared.string(c.effective_kind().as_str())),
            json!(technology),
            json!(shared.optional(c.exposure.map(|e| e.as_str()))),
            boundary(model, structure.parent(model, id)),
            json!(shared.string(model.criticality_of(c).as_str())),
            json!(data(model, &c.processes)),
            json!(data(model, &c.stores)),
            json!(controls),
            json!(shared.optional(c.owner.as_deref())),
            text(c.out_of_scope.as_ref()),
        ];
        row.extend(counts(Element::Component, id));
        Value::Array(row)
    });
    write_rows(out, &mut buffer, "components", true, components)?;
    let data_rows = model.data.values().map(|d| {
        let id = &d.id.value;
        let categories: Vec<usize> = d
            .categories
            .iter()
            .map(|c| shared.string(c.value.as_str()))
            .collect();
        let handled_by: Vec<Value> = structure
            .data_users(id)
            .iter()
            .map(|u| component(model, u))
            .collect();
        let mut row = vec![
            json!(shown(id)),
            text(d.name.as_ref()),
            text(d.description.as_ref()),
            json!(shared.string(d.classification.as_str())),
            json!(shared.string(d.integrity.as_str())),
            json!(shared.string(d.availability.as_str())),
            json!(categories),
            json!(shared.optional(d.quantity.map(|q| q.as_str()))),
            json!(shared.optional(d.owner.as_deref())),
            json!(handled_by),
        ];
        row.extend(counts(Element::Data, id));
        Value::Array(row)
    });
    write_rows(out, &mut buffer, "data", false, data_rows)?;
    let flows = model.flows.values().map(|f| {
        let id = &f.id.value;
        // Most flows are named by their ends, which the row has already.
        let own_id = (*id != format!("{}->{}", f.source.value, f.target.value)).then(|| shown(id));
        let protocol = f.protocol.as_ref().map_or(-1, |p| {
            shared.title("protocol", &p.value, || {
                catalog().protocol(&p.value).map(|x| x.title.clone())
            }) as i64
        });
        let controls: Vec<usize> = f
            .controls
            .iter()
            .map(|x| shared.control(model, &x.value))
            .collect();
        let mut row = vec![
            json!(own_id),
            component(model, &f.source.value),
            component(model, &f.target.value),
            text(f.name.as_ref()),
            text(f.description.as_ref()),
            json!(protocol),
            json!(u8::from(f.is_encrypted())),
            json!(shared.string(f.authentication().as_str())),
            json!(shared.string(f.authorization().as_str())),
            json!(data(model, &f.data)),
            json!(data(model, &f.returns)),
            json!(controls),
            json!(shared.optional(f.usage.map(|u| u.as_str()))),
            json!(u8::from(f.readonly)),
            text(f.out_of_scope.as_ref()),
        ];
        row.extend(counts(Element::Flow, id));
        Value::Array(row)
    });
    write_rows(out, &mut buffer, "flows", false, flows)?;
    let boundaries = model.boundaries.values().map(|b| {
        let id = &b.id.value;
        // A member is a component's index, or a boundary's as -1 - index.
        let contains: Vec<Value> = b
            .contains
            .iter()
            .map(|m| match model.boundaries.get_index_of(&m.value) {
                Some(i) => json!(-1 - i as i64),
                None => component(model, &m.value),
            })
            .collect();
        let mut row = vec![
            json!(shown(id)),
            text(b.name.as_ref()),
            text(b.description.as_ref()),
            json!(shared.string(b.kind.as_str())),
            json!(shared.string(b.trust.as_str())),
            boundary(model, structure.parent(model, id)),
            json!(contains),
        ];
        row.extend(counts(Element::Boundary, id));
        Value::Array(row)
    });
    write_rows(out, &mut buffer, "boundaries", false, boundaries)?;
    let runtimes = model.runtimes.values().map(|r| {
        let id = &r.id.value;
        let runs: Vec<Value> = r.runs.iter().map(|c| component(model, &c.value)).collect();
        let mut row = vec![
            json!(shown(id)),
            text(r.name.as_ref()),
            text(r.description.as_ref()),
            json!(shared.string(r.kind.as_str())),
            json!(runs),
        ];
        row.extend(counts(Element::Runtime, id));
        Value::Array(row)
    });
    write_rows(out, &mut buffer, "runtimes", false, runtimes)?;
    out.write_all(b",\n\"strings\":")?;
    write_json(out, &mut buffer, &shared.strings)?;
    out.write_all(b",\n\"titles\":")?;
    let titles: Vec<Value> = shared
        .titles
        .iter()
        .map(|((_, id), title)| json!([shown(id), title.as_deref().map(shown)]))
        .collect();
    write_json(out, &mut buffer, &titles)?;
    out.write_all(b"}\n")
}

/// Writes the hygiene checklist's document (its format is in `register.rs`).
pub(super) fn write_hygiene(
    model: &Model,
    analysis: &Analysis,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut shared = Shared::default();
    let mut buffer = String::new();
    out.write_all(b"{\"v\":1,\n")?;
    let items = analysis.hygiene.iter().map(|t| {
        let element = &*t.element.id;
        let id = t.id.to_string();
        let own_id = (id != format!("{}:{element}", t.rule)).then(|| shown(&id).into_owned());
        let status = DecisionStatus::ALL
            .iter()
            .position(|s| *s == t.status)
            .unwrap_or(0);
        // A decision's justification is shown with the decision, as in the small page.
        let reason = t
            .reason
            .as_deref()
            .filter(|r| t.decision.as_ref().and_then(|d| d.justification.as_deref()) != Some(*r))
            .map(|r| shown(r).into_owned());
        let missing: Vec<Vec<usize>> = t
            .mitigation
            .missing()
            .map(|m| m.split('|').map(|c| shared.string(c)).collect())
            .collect();
        let lead = crate::remediation::of(model, t).lead;
        // Most leads are `On <kind> <id>, ` and words every element missing the same controls
        // shares: those words are a string the script puts the element before.
        let on = format!("On {} {element}, ", t.element.kind);
        let lead = match lead.strip_prefix(&on) {
            Some(rest) if t.element.kind != Element::Model => json!(shared.string(rest)),
            _ => json!(shown(&lead)),
        };
        json!([
            shared.string(&t.rule),
            shared.string(&t.title),
            shared.string(element),
            shared.string(t.element.kind.as_str()),
            own_id,
            status,
            reason,
            shown(&t.explanation),
            missing,
            lead,
        ])
    });
    write_rows(out, &mut buffer, "items", true, items)?;
    out.write_all(b",\n\"strings\":")?;
    write_json(out, &mut buffer, &shared.strings)?;
    let status: Vec<Value> = DecisionStatus::ALL
        .iter()
        .map(|s| json!([s.as_str(), status_label(*s)]))
        .collect();
    out.write_all(b",\n\"status\":")?;
    write_json(out, &mut buffer, &status)?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "</script><!--<img src=x onerror=alert(1)> & ##[error] \u{2028}";

    fn model_text() -> String {
        // YAML double-quoted: the line separator written as an escape.
        let h = HOSTILE.replace('\u{2028}', "\\u2028");
        format!(
            "system: {{ name: Clinic, criticality: high }}
data:
  records: {{ name: \"{h}\", owner: \"{h}\", classification: secret, categories: [health] }}
components:
  patient: {{ technology: browser, exposure: internet }}
  portal: {{ name: \"{h}\", description: \"{h}\", owner: \"{h}\", technology: web-application, processes: [records], controls: [input-validation] }}
  db: {{ technology: postgresql, stores: [records], out_of_scope: \"{h}\" }}
flows:
  - patient -> portal: {{ name: \"{h}\", protocol: https, data: [records] }}
  - portal -> db: {{ id: reads, protocol: postgres-tls, authentication: credentials, data: [records], returns: [records] }}
boundaries:
  dmz: {{ kind: network, trust: low, contains: [portal] }}
  hospital: {{ name: \"{h}\", kind: network, trust: high, contains: [dmz, db] }}
runtimes:
  cluster: {{ kind: cluster, runs: [portal, db] }}
"
        )
    }

    fn written(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> (String, Value) {
        let mut out = Vec::new();
        f(&mut out).expect("written");
        let text = String::from_utf8(out).expect("UTF-8");
        for forbidden in ["<", ">", "&", "##[", "\u{2028}", "\u{2029}"] {
            assert!(!text.contains(forbidden), "{forbidden:?} in {text}");
        }
        let value = serde_json::from_str(&text).expect("JSON");
        (text, value)
    }

    fn inventory(model: &Model, analysis: &Analysis) -> (String, Value) {
        let structure = Structure::new(model);
        let tally = Tally::new(analysis);
        written(|out| write_inventory(model, &structure, &tally, out))
    }

    #[test]
    fn the_inventory_is_inert_complete_and_the_same_every_time() {
        let (model, analysis) = crate::analyzed(&model_text());
        let (text, d) = inventory(&model, &analysis);
        assert_eq!(text, inventory(&model, &analysis).0, "two writes differ");

        let shown = threatforge_model::escape::block(HOSTILE).into_owned();
        assert_ne!(shown, HOSTILE, "the line separator is shown escaped");
        let components = d["components"].as_array().expect("components");
        assert_eq!(components.len(), 3);
        let portal = &components[1];
        assert_eq!(portal[0], "portal");
        assert_eq!(portal[1], shown.as_str());
        assert_eq!(portal[2], shown.as_str());
        assert_eq!(
            d["strings"][portal[11].as_u64().expect("owner") as usize],
            shown.as_str()
        );
        assert_eq!(
            d["titles"][portal[4].as_u64().expect("technology") as usize][0],
            "web-application"
        );
        assert_eq!(
            d["titles"][portal[10][0].as_u64().expect("control") as usize][0],
            "input-validation"
        );
        // The portal is in the dmz, the dmz and the database in the hospital.
        assert_eq!(
            d["boundaries"][portal[6].as_u64().expect("boundary") as usize][0],
            "dmz"
        );
        assert_eq!(components[2][12], shown.as_str(), "out of scope, as text");
        assert_eq!(d["boundaries"][1][6], json!([-1, 2]), "the dmz, then db");
        assert_eq!(
            d["data"][0][9],
            json!([1, 2]),
            "handled by the portal and db"
        );

        // Flows refer to their ends; only an id of its own is written.
        let flows = d["flows"].as_array().expect("flows");
        assert_eq!(flows[0][0], Value::Null);
        assert_eq!((&flows[0][1], &flows[0][2]), (&json!(0), &json!(1)));
        assert_eq!(flows[0][3], shown.as_str());
        assert_eq!(flows[1][0], "reads");
        assert_eq!(d["runtimes"][0][4], json!([1, 2]));

        // Every element's counts are the analysis's.
        let tally = Tally::new(&analysis);
        for (row, id) in components.iter().zip(model.components.keys()) {
            let (threats, open) = tally.of(Element::Component, id);
            assert_eq!(
                (&row[13], &row[14]),
                (&json!(threats), &json!(open)),
                "{id}"
            );
        }
        assert!(components.iter().any(|c| c[13].as_u64() > Some(0)));
    }

    #[test]
    fn the_checklist_gives_back_every_items_id_and_advice() {
        let (model, analysis) = crate::analyzed(&model_text());
        assert!(!analysis.hygiene.is_empty(), "no hygiene items to test");
        let write = |out: &mut Vec<u8>| write_hygiene(&model, &analysis, out);
        let (text, d) = written(write);
        assert_eq!(text, written(write).0, "two writes differ");
        let items = d["items"].as_array().expect("items");
        assert_eq!(items.len(), analysis.hygiene.len());
        let s = |v: &Value| {
            d["strings"][v.as_u64().expect("a string index") as usize]
                .as_str()
                .expect("a string")
                .to_owned()
        };
        for (item, t) in items.iter().zip(&analysis.hygiene) {
            // What the script makes of the item: its id and its lead, as the small page has them.
            let id = match item[4].as_str() {
                Some(id) => id.to_owned(),
                None => format!("{}:{}", s(&item[0]), s(&item[2])),
            };
            assert_eq!(id, t.id.to_string());
            let lead = match &item[9] {
                Value::String(lead) => lead.clone(),
                rest => format!("On {} {}, {}", s(&item[3]), s(&item[2]), s(rest)),
            };
            assert_eq!(lead, crate::remediation::of(&model, t).lead);
            assert_eq!(s(&item[1]), *t.title);
            assert_eq!(
                d["status"][item[5].as_u64().expect("status") as usize][0],
                t.status.as_str()
            );
        }
        let leads: Vec<&Value> = items.iter().map(|i| &i[9]).collect();
        assert!(leads.iter().any(|l| l.is_u64()), "no lead shares its words");
    }
}
