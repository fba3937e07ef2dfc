//! Outputs of threatforge. Each format is a module; every one takes the loaded model and its
//! analysis and returns text, deterministically (same input, same bytes).

mod compliance;
mod csv;
mod diagram;
mod diff;
mod escape;
mod evidence;
mod format;
mod html;
mod json;
mod junit;
mod markdown;
mod mermaid;
mod otm;
mod plan;
mod records;
mod remediation;
mod rules_doc;
mod sarif;
mod written;

// A report is rendered through `Format` and `render`, a diagram through `DiagramFormat` and
// `render_diagram`; the report formats' own entry points are named for tests and benchmarks
// that measure one of them.
pub use compliance::{ComplianceFormat, render_compliance};
pub use diagram::{COLLAPSE_ABOVE, DiagramOptions};
pub use diff::{Paint, human as diff_human, json as diff_json, markdown as diff_markdown};
pub use escape::markdown_code;
pub use format::{DiagramFormat, Format, Input, render, render_diagram, render_to};
pub use html::{escaping_environment as html_environment, render as render_html};
pub use json::{
    SCHEMA as REPORT_SCHEMA, at_or_above, by_risk, gate, gate_passes, render as render_json,
    summary, write_check,
};
pub use markdown::render as render_markdown;
pub use otm::render as render_otm;
pub use plan::{PlanFormat, render_plan};
pub use rules_doc::{json as rules_json, markdown as rules_markdown, show as show_rule};
pub use sarif::render as render_sarif;

/// A model's text, loaded (it must be valid) and analyzed with the built-in rules, for the
/// formats' unit tests.
#[cfg(test)]
fn analyzed(text: &str) -> (threatforge_model::Model, threatforge_analysis::Analysis) {
    let loaded = threatforge_model::load_str(
        "t.yaml",
        text,
        std::path::Path::new("."),
        &Default::default(),
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis =
        threatforge_analysis::analyze(&loaded.model, &threatforge_analysis::RuleSet::builtin());
    (loaded.model, analysis)
}

/// The threat (or hygiene item) of that id, which the test expects.
#[cfg(test)]
fn threat<'a>(
    analysis: &'a threatforge_analysis::Analysis,
    id: &str,
) -> &'a threatforge_analysis::Threat {
    analysis
        .findings()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}
