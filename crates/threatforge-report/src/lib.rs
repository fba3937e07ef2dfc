//! Outputs of threatforge. Each format is a module; every one takes the loaded model and its
//! analysis and returns text, deterministically (same input, same bytes).

pub mod csv;
pub mod diagram;
pub mod diff;
pub mod escape;
pub mod format;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod otm;
pub mod remediation;
pub mod rules_doc;
pub mod sarif;

pub use format::Format;

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

/// The threat of that id, which the test expects.
#[cfg(test)]
fn threat<'a>(
    analysis: &'a threatforge_analysis::Analysis,
    id: &str,
) -> &'a threatforge_analysis::Threat {
    analysis
        .threats
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}
