//! What the importers' tests share: loading an imported model, and insisting that it loads
//! without errors, as `threatforge check` would read it.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use std::path::Path;

use threatforge_analysis::Threat;
use threatforge_import::Options;
use threatforge_model::{LoadOptions, Loaded, Model};

/// Import options naming the file the input came from.
pub(crate) fn options(source_name: &str) -> Options {
    Options {
        source_name: Some(source_name.to_owned()),
        ..Options::default()
    }
}

/// Loads an imported model as `imported.yaml`.
pub(crate) fn load(yaml: &str) -> Loaded {
    threatforge_model::load_str(
        "imported.yaml",
        yaml,
        Path::new("."),
        &LoadOptions::default(),
    )
}

/// Fails the test, showing the YAML and the errors, when the model has any.
pub(crate) fn assert_loads_cleanly(loaded: &Loaded, yaml: &str) {
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{yaml}\n{errors:#?}");
}

/// Loads an imported model and insists that it loads without errors.
pub(crate) fn assert_valid(yaml: &str) -> Loaded {
    let loaded = load(yaml);
    assert_loads_cleanly(&loaded, yaml);
    loaded
}

/// Whether a threat is on the component, a flow touching it, the boundary or runtime holding it
/// (Threagile reports some risks on a trust boundary or a shared runtime itself), or the model
/// as a whole.
pub(crate) fn touches(model: &Model, threat: &Threat, component: &str) -> bool {
    threat.concerns(model, component)
}
