//! `threatforge drift`: where a model and its infrastructure code disagree.

use threatforge_model::LoadOptions;

use super::find_model;
use crate::cli::DriftArgs;
use crate::terminal::{Terminal, eprint, write_output};

pub(super) fn run(args: DriftArgs, term: &Terminal) -> Result<u8, String> {
    let path = find_model(args.model.as_deref())?;
    let options = LoadOptions {
        root_dir: args.root.clone(),
        ..LoadOptions::default()
    };
    let loaded = threatforge_model::load(&path, &options);
    if loaded.has_errors() {
        eprint(&super::render_diagnostics(
            &loaded.diagnostics,
            &loaded.model.sources,
            term,
        ));
        return Err(format!(
            "`{}` has errors; fix them before comparing it with the infrastructure",
            threatforge_model::escape::line(&path.display().to_string())
        ));
    }
    let inventory = threatforge_iac::scan(&args.iac, &threatforge_iac::ScanOptions::default())
        .map_err(|e| e.to_string())?;
    for note in &inventory.notes {
        eprint(&format!(
            "note: {}\n",
            threatforge_model::escape::line(note)
        ));
    }
    let drift = threatforge_iac::drift(&loaded.model, &inventory);
    write_output(
        args.output.as_deref(),
        &threatforge_iac::render_drift(&drift, args.format),
    )?;
    Ok(if args.fail_on_drift && !drift.items.is_empty() {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::OK
    })
}
