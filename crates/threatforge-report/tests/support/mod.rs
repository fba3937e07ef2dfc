//! What the output tests share: a model loaded and analyzed through the pipeline `check` runs
//! (`Project`), on a fixed day, so that decisions with an expiry date give the same output every
//! day.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use std::path::Path;

use threatforge_analysis::{Analysis, Project, ProjectOptions, Source};
use threatforge_model::Model;

/// The day the tests are analyzed on.
pub(crate) const TODAY: &str = "2026-11-28";

/// Loads a model (which must load without errors) and analyzes it with the built-in rules, on
/// [`TODAY`].
pub(crate) fn from_source(source: Source<'_>) -> (Model, Analysis) {
    let options = ProjectOptions {
        today: Some(TODAY.to_owned()),
        ..ProjectOptions::default()
    };
    let analyzed = Project::load(source, &options);
    assert!(!analyzed.has_errors(), "{:?}", analyzed.diagnostics());
    (analyzed.loaded.model, analyzed.analysis)
}

/// A model from text.
pub(crate) fn from_text(text: &str) -> (Model, Analysis) {
    from_source(Source::Text {
        name: "threatforge.yaml",
        text,
        dir: &std::env::temp_dir(),
    })
}

/// A model file.
pub(crate) fn from_path(path: &Path) -> (Model, Analysis) {
    from_source(Source::Path(path))
}
