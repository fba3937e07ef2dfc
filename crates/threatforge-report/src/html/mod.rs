//! The HTML report: one self-contained file for people (a security team, an auditor) with a
//! summary, the data-flow diagram, a sortable and filterable risk register, a section per threat
//! and the inventory of the model.
//!
//! Safety: the model comes from a pull request, so every text from it is untrusted. The page is
//! rendered by a minijinja template (`report.html`) with HTML auto-escaping on for every value,
//! including attribute values; only the static stylesheet and script, and the diagram's SVG (which
//! the diagram module escapes), are inserted as they are. No model text goes into the script: it
//! reads what it filters and sorts from `data-*` attributes, and sets only `hidden`, `textContent`
//! and attributes. A large model's register, inventory and hygiene checklist are data instead
//! (`register.rs`, `tables.rs`: JSON in `<script type="application/json">` elements, escaped so
//! that nothing in them can end the element), which the scripts turn into rows with
//! `textContent` alone. The
//! Content-Security-Policy forbids every fetch, and allows the page's scripts by their hashes
//! (see `csp.rs`).
//!
//! Same input, same bytes: no timestamps, everything in model or sorted order.

mod csp;
mod register;
mod tables;
mod view;

use std::borrow::Cow;
use std::io;
use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context, escape_formatter};
use threatforge_analysis::{Analysis, Compliance, ComplianceStatus};
use threatforge_model::Model;
use threatforge_model::escape::block;

const TEMPLATE: &str = include_str!("report.html");
const SECTIONS: &str = include_str!("sections.html");
const ROWS: &str = include_str!("rows.html");
const COMPLIANCE: &str = include_str!("compliance.html");
const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
/// The script of a large model's page only, which renders its inventory and checklist from their
/// data: a page below the threshold has neither, so it keeps its one script and policy.
const TABLES_SCRIPT: &str = include_str!("report-tables.js");

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = escaping_environment();
        env.add_template("report.html", TEMPLATE)
            .expect("the report template is valid");
        env.add_template("sections.html", SECTIONS)
            .expect("the sections template is valid");
        env.add_template("rows.html", ROWS)
            .expect("the rows template is valid");
        env.add_template("compliance.html", COMPLIANCE)
            .expect("the compliance template is valid");
        env
    })
}

/// A template environment that renders model text as the report does: HTML-escaped in text and
/// attributes, control characters shown escaped, a misspelled field an error. Every page of
/// model text (the report, the dashboard) is rendered through one.
pub fn escaping_environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Every value is HTML-escaped, whatever the template's name says.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // And text shows its control characters escaped, as every output does: a browser
    // ignores them, a terminal showing the file does not.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if !value.is_safe() => match block(text) {
            Cow::Borrowed(_) => escape_formatter(out, state, value),
            Cow::Owned(shown) => escape_formatter(out, state, &Value::from(shown)),
        },
        _ => escape_formatter(out, state, value),
    });
    // A misspelled field is an error (caught by the tests), not an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env
}

/// Above this many threats the register is written as data that the page's script renders on
/// demand (`register.rs`), and the threats' sections are left to it but for the top open risks:
/// a row and a section per threat made 189 MB of HTML at 10,000 components. The inventory and
/// the hygiene checklist are data too (`tables.rs`): their 18,000 rows at 5,000 components kept
/// Chromium busy for seconds. Below it the page works as it always did, without a script too.
pub(crate) const SCRIPTED_ABOVE: usize = 1_000;

/// The report as one HTML document, ending with a newline.
pub fn render(model: &Model, analysis: &Analysis) -> String {
    crate::written::as_text(|out| write(model, analysis, out))
}

/// Writes the report into `out`: the page around the documents, then a large model's register
/// row by row where the page left its mark, so that it is never in memory whole, and the
/// inventory and checklist, rendered into memory beside it (33 MB at 50,000 components),
/// at theirs.
pub(crate) fn write(
    model: &Model,
    analysis: &Analysis,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let scripted = analysis.threats.len() > SCRIPTED_ABOVE;
    // The diagram is laid out on the second core while the page's view is built.
    let ((structure, tally), (diagram, min_width)) = rayon::join(
        || (view::Structure::new(model), view::Tally::new(analysis)),
        || {
            crate::diagram::svg_with_min_width(
                model,
                analysis,
                &crate::diagram::DiagramOptions::default(),
            )
        },
    );
    let report = view::Report::new(model, analysis, &structure, &tally, scripted);
    let result = environment().get_template("report.html").and_then(|t| {
        t.render(context! {
            r => Value::from_serialize(&report),
            csp => Value::from_safe_string(if scripted {
                csp::policy(&[SCRIPT, TABLES_SCRIPT])
            } else {
                csp::policy(&[SCRIPT])
            }),
            style => Value::from_safe_string(STYLE.to_owned()),
            script => Value::from_safe_string(SCRIPT.to_owned()),
            tables_script => Value::from_safe_string(
                if scripted { TABLES_SCRIPT } else { "" }.to_owned()
            ),
            diagram => Value::from_safe_string(inline_svg(&diagram).to_owned()),
            diagram_min_width => min_width as u64,
            compliance => Value::from_serialize(declared_compliance(model, analysis)),
            plan => declared_plan(model, analysis),
        })
    });
    drop(report);
    drop(diagram);
    let html = page(result, "report");
    if !scripted || result_failed(&html) {
        return out.write_all(html.as_bytes());
    }
    // The page has the documents left out, each at its mark. The register comes first; the
    // inventory and the checklist need nothing of it, so they are rendered into memory on the
    // second core while the register is written row by row on this one (at 50,000 components
    // the register took 1.75 s, the other two 0.64 s). The sink need not be `Send`
    // (`in_place_scope`).
    let mut inventory: io::Result<Vec<u8>> = Ok(Vec::new());
    let mut hygiene: io::Result<Vec<u8>> = Ok(Vec::new());
    let mut rest = html.as_str();
    rayon::in_place_scope(|scope| -> io::Result<()> {
        scope.spawn(|_| {
            inventory = crate::written::as_bytes(|buffer| {
                tables::write_inventory(model, &structure, &tally, buffer)
            });
        });
        scope.spawn(|_| {
            hygiene =
                crate::written::as_bytes(|buffer| tables::write_hygiene(model, analysis, buffer))
        });
        if let Some((at, Part::Register)) = next_mark(rest) {
            out.write_all(&rest.as_bytes()[..at])?;
            rest = &rest[at + Part::Register.mark().len()..];
            register::write(model, analysis, &structure, out)?;
        }
        Ok(())
    })?;
    let (inventory, hygiene) = (inventory?, hygiene?);
    while let Some((at, part)) = next_mark(rest) {
        out.write_all(&rest.as_bytes()[..at])?;
        rest = &rest[at + part.mark().len()..];
        match part {
            Part::Register => register::write(model, analysis, &structure, out)?,
            Part::Inventory => out.write_all(&inventory)?,
            Part::Hygiene => out.write_all(&hygiene)?,
        }
    }
    out.write_all(rest.as_bytes())
}

/// The documents of a large model's page, each written where the template left its mark. (The
/// inventory's is `inventory-json`: `inventory-data` is the id of its data assets' heading.)
#[derive(Clone, Copy)]
enum Part {
    Register,
    Inventory,
    Hygiene,
}

impl Part {
    const ALL: [Part; 3] = [Part::Register, Part::Inventory, Part::Hygiene];

    /// Model text cannot make a mark (every `<` of it is escaped), and the template has each once.
    fn mark(self) -> &'static str {
        match self {
            Part::Register => "<!-- register-data -->",
            Part::Inventory => "<!-- inventory-json -->",
            Part::Hygiene => "<!-- hygiene-json -->",
        }
    }
}

/// The first mark in `text`: where it is and what goes there.
fn next_mark(text: &str) -> Option<(usize, Part)> {
    Part::ALL
        .into_iter()
        .filter_map(|part| text.find(part.mark()).map(|at| (at, part)))
        .min_by_key(|(at, _)| *at)
}

/// Whether `page` said the template failed rather than rendering the report.
fn result_failed(page: &str) -> bool {
    page.contains("<p>The report could not be rendered: ")
}

/// A rendered page ending with a newline; only a defect of a template gives an error, which
/// is said in a page rather than a panic.
fn page(result: Result<String, minijinja::Error>, what: &str) -> String {
    match result {
        Ok(mut html) => {
            if !html.ends_with('\n') {
                html.push('\n');
            }
            html
        }
        Err(error) => format!(
            "<!doctype html>\n<meta charset=\"utf-8\">\n<title>threatforge {what}</title>\n\
             <p>The {what} could not be rendered: {}</p>\n",
            minijinja::HtmlEscape(&error.to_string())
        ),
    }
}

/// A framework's assessment as the templates read it: counts as lists, in status order.
#[derive(serde::Serialize)]
struct ComplianceView<'a> {
    #[serde(flatten)]
    c: Option<&'a Compliance>,
    title: String,
    level: Option<String>,
    error: Option<String>,
    summary_list: Vec<Count>,
    chapter_list: Vec<ChapterRow>,
    record_rows: Vec<RecordRow>,
}

#[derive(serde::Serialize)]
struct Count {
    label: &'static str,
    count: usize,
}

#[derive(serde::Serialize)]
struct ChapterRow {
    id: String,
    title: String,
    counts: Vec<usize>,
}

#[derive(serde::Serialize)]
struct RecordRow {
    data: String,
    name: String,
    values: Vec<String>,
}

fn compliance_view(c: &Compliance) -> ComplianceView<'_> {
    ComplianceView {
        c: Some(c),
        title: c.title.clone(),
        level: c.level.clone(),
        error: None,
        summary_list: ComplianceStatus::ALL
            .iter()
            .map(|s| Count {
                label: s.as_str(),
                count: c.summary.get(*s),
            })
            .collect(),
        chapter_list: c
            .chapters
            .iter()
            .map(|ch| ChapterRow {
                id: ch.id.clone(),
                title: ch.title.clone(),
                counts: ComplianceStatus::ALL
                    .iter()
                    .map(|s| ch.counts.get(*s))
                    .collect(),
            })
            .collect(),
        record_rows: c
            .records
            .iter()
            .flatten()
            .map(|r| RecordRow {
                data: r.data.clone(),
                name: r.name.clone(),
                values: crate::records::record_rows(r)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            })
            .collect(),
    }
}

/// The frameworks the model declares (`system.compliance`), assessed; one that cannot be
/// resolved is shown with why, so the report still renders.
fn declared_compliance(model: &Model, analysis: &Analysis) -> Vec<Value> {
    let names = model.system.as_ref().map_or(&[][..], |s| &s.compliance[..]);
    names
        .iter()
        .map(|name| {
            match threatforge_analysis::resolve_framework(&name.value, None).and_then(
                |(f, level)| threatforge_analysis::assess_compliance(model, analysis, f, level),
            ) {
                Ok(c) => Value::from_serialize(compliance_view(&c)),
                Err(error) => Value::from_serialize(ComplianceView {
                    c: None,
                    title: name.value.clone(),
                    level: None,
                    error: Some(error),
                    summary_list: Vec::new(),
                    chapter_list: Vec::new(),
                    record_rows: Vec::new(),
                }),
            }
        })
        .collect()
}

/// The control plan, when the model declares `system.plan`.
fn declared_plan(model: &Model, analysis: &Analysis) -> Value {
    if model
        .system
        .as_ref()
        .and_then(|s| s.plan.as_ref())
        .is_none()
    {
        return Value::from(());
    }
    match threatforge_analysis::plan_controls(model, analysis, Default::default()) {
        Ok(plan) => Value::from_serialize(&plan),
        Err(error) => Value::from_serialize(context! { error => error }),
    }
}

/// The standalone page of `threatforge compliance --format html`.
pub(crate) fn compliance_page(model: &Model, c: &Compliance) -> String {
    let result = environment().get_template("compliance.html").and_then(|t| {
        t.render(context! {
            system => model.system_name(),
            c => Value::from_serialize(compliance_view(c)),
            csp => Value::from_safe_string(csp::policy(&[""])),
            style => Value::from_safe_string(STYLE.to_owned()),
        })
    });
    page(result, "compliance page")
}

/// The SVG element of a standalone SVG document: without an XML declaration or doctype, which
/// have no place inside HTML.
fn inline_svg(document: &str) -> &str {
    match document.find("<svg") {
        Some(start) => document[start..].trim_end(),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_element_is_kept_without_prolog() {
        let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg xmlns=\"x\"><g/></svg>\n";
        assert_eq!(inline_svg(doc), "<svg xmlns=\"x\"><g/></svg>");
        assert_eq!(inline_svg("nothing"), "");
    }

    #[test]
    fn the_template_compiles() {
        assert!(environment().get_template("report.html").is_ok());
        assert!(environment().get_template("compliance.html").is_ok());
    }
}
