//! What the output tests share: a model analyzed as `check` would, on a fixed day, so that
//! decisions with an expiry date give the same output every day.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use threatforge_analysis::{Analysis, Options, RuleSet, analyze_with};
use threatforge_model::{LoadOptions, Model, load_str};

/// The day the tests are analyzed on.
pub const TODAY: &str = "2026-11-28";

/// Analyzes a loaded model with the built-in rules, on [`TODAY`].
pub fn analyze(model: &Model) -> Analysis {
    analyze_with(
        model,
        &RuleSet::builtin(),
        &Options {
            today: Some(TODAY.to_owned()),
        },
    )
}

/// Loads a model from text (which must load without errors) and analyzes it.
pub fn from_text(text: &str) -> (Model, Analysis) {
    let loaded = load_str(
        "threatforge.yaml",
        text,
        &std::env::temp_dir(),
        &LoadOptions::default(),
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let analysis = analyze(&loaded.model);
    (loaded.model, analysis)
}
