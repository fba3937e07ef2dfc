//! `threatforge init`: a commented starter model, or (`--from`) a draft from infrastructure code.

use std::path::{Path, PathBuf};

use threatforge_model::escape::line;

use crate::cli::InitArgs;
use crate::terminal::{Terminal, eprint, write_output};

pub(super) const STARTER: &str = include_str!("../../templates/starter.yaml");

pub(super) fn run(args: InitArgs, term: &Terminal) -> Result<u8, String> {
    let to_stdout = args.path == Path::new("-");
    if !to_stdout && args.path.exists() && !args.force {
        return Err(format!(
            "`{}` already exists; use --force to overwrite it",
            line(&args.path.display().to_string())
        ));
    }
    let text = if args.from.is_empty() {
        STARTER.to_owned()
    } else {
        draft(&args.from, &args.path, to_stdout, term)?
    };
    write_output(Some(&args.path), &text)?;
    if !to_stdout {
        let path = line(&args.path.display().to_string()).into_owned();
        eprint(&format!(
            "wrote {path}; edit it, then run `threatforge check {path}`\n"
        ));
    }
    Ok(crate::exit::OK)
}

/// The draft model of the infrastructure code at `from`, checked before it is written.
fn draft(from: &[PathBuf], to: &Path, to_stdout: bool, term: &Terminal) -> Result<String, String> {
    let inventory = threatforge_iac::scan(from, &threatforge_iac::ScanOptions::default())
        .map_err(|e| e.to_string())?;
    for note in &inventory.notes {
        eprint(&format!("note: {}\n", line(note)));
    }
    if inventory.components.is_empty() {
        return Err(
            "found no component in the infrastructure code given; give Compose files, rendered \
             Kubernetes manifests or `terraform show -json` output"
                .to_owned(),
        );
    }
    let inputs: Vec<String> = from.iter().map(|p| p.display().to_string()).collect();
    let text = threatforge_iac::draft_model(&inventory, &inputs);
    // The draft promises a model that passes `check`: one that does not is our bug, and saying
    // so now beats a team finding out at its next CI run.
    let to = Some(to).filter(|_| !to_stdout);
    let errors = super::errors_in_written("draft.yaml", &text, to, term);
    if errors > 0 {
        return Err(format!(
            "the draft model does not pass `check` ({errors} errors): this is a bug in \
             threatforge's infrastructure reader; please report it with the input"
        ));
    }
    Ok(text)
}
