//! What the integration tests of single rules share: a model from text, analyzed with the
//! built-in rules, and a threat by id.

use std::path::Path;

use threatforge_analysis::{Analysis, RuleSet, Threat, analyze};
use threatforge_model::{LoadOptions, load_str};

/// The model, which must load without errors, analyzed with the built-in rules, which must
/// evaluate on it without errors.
pub(crate) fn analyzed(yaml: &str) -> Analysis {
    let loaded = load_str("m.yaml", yaml, Path::new("."), &LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = analyze(&loaded.model, &RuleSet::builtin());
    assert!(
        analysis.rule_diagnostics.is_empty(),
        "{:?}",
        analysis.rule_diagnostics
    );
    analysis
}

/// The threat (or hygiene item) with this id, or the rule's threat grouped for the whole model
/// (`group: model`) that stands for this element among its members.
pub(crate) fn threat<'a>(analysis: &'a Analysis, id: &str) -> Option<&'a Threat> {
    let (rule, element) = id.split_once(':')?;
    analysis.findings().find(|t| t.id == *id).or_else(|| {
        analysis
            .findings()
            .find(|t| &*t.rule == rule && t.members.iter().any(|m| &*m.id == element))
    })
}
