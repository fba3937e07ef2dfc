//! What the importers' tests share: loading an imported model, and insisting that it loads
//! without errors, as `threatforge check` would read it.

// Each test binary uses what it needs of this module.
#![allow(dead_code)]

use std::path::Path;

use std::collections::BTreeSet;

use threatforge_analysis::{Element, Threat};
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

/// Whether a boundary holds the component, directly or through nested boundaries.
pub(crate) fn boundary_holds(model: &Model, boundary: &str, component: &str) -> bool {
    let mut stack = vec![boundary.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(b) = stack.pop() {
        if !seen.insert(b.clone()) {
            continue;
        }
        let Some(decl) = model.boundaries.get(b.as_str()) else {
            continue;
        };
        for member in &decl.contains {
            if member.value.as_str() == component {
                return true;
            }
            stack.push(member.value.to_string());
        }
    }
    false
}

/// Whether a threat is on the component, a flow touching it, the boundary or runtime holding it,
/// or the model as a whole (a rule's threats grouped into one: when one of its members is).
pub(crate) fn touches(model: &Model, threat: &Threat, component: &str) -> bool {
    threat
        .elements()
        .any(|e| element_touches(model, e.kind, &e.id, component))
}

pub(crate) fn element_touches(model: &Model, kind: Element, id: &str, component: &str) -> bool {
    match kind {
        Element::Component => id == component,
        Element::Flow => model.flows.get(id).is_some_and(|f| {
            f.source.value.as_str() == component || f.target.value.as_str() == component
        }),
        // Threagile reports some risks on a trust boundary itself (missing cloud hardening).
        Element::Boundary => id == component || boundary_holds(model, id, component),
        // Threagile reports missing cloud hardening on a shared runtime itself too.
        Element::Runtime => {
            id == component
                || model
                    .runtimes
                    .get(id)
                    .is_some_and(|r| r.runs.iter().any(|c| c.value.as_str() == component))
        }
        Element::Model => true,
        // Threagile reports an unused data asset on the data asset.
        Element::Data => id == component,
    }
}
