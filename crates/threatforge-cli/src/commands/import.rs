//! `threatforge import`: a model from another tool, as threatforge YAML.

use std::io::Read;
use std::path::Path;

use threatforge_import::{DEFAULT_MAX_BYTES, Format, Options};
use threatforge_model::escape::{block, line};
use threatforge_model::{Refused, read_regular};

use super::threagile_risks;
use crate::cli::ImportArgs;
use crate::terminal::{Terminal, eprint, write_output};

pub(super) fn run(args: ImportArgs, term: &Terminal) -> Result<u8, String> {
    let from_stdin = args.file == Path::new("-");
    let bytes = read_input(&args.file, from_stdin)?;
    let format = match args.from {
        Some(f) => f,
        None => threatforge_import::detect((!from_stdin).then_some(args.file.as_path()), &bytes)
            .ok_or_else(|| {
                let names: Vec<String> = Format::ALL
                    .iter()
                    .map(|f| format!("{} ({})", f.as_str(), f.title()))
                    .collect();
                format!(
                    "cannot tell the format of `{}`; give it with --from, one of: {}",
                    args.file.display(),
                    names.join(", ")
                )
            })?,
    };
    let mut options = Options {
        source_name: Some(if from_stdin {
            "<stdin>".to_owned()
        } else {
            args.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| args.file.display().to_string())
        }),
        ..Options::default()
    };
    let import = |options: &Options| {
        threatforge_import::import(&bytes, format, options).map_err(|e| {
            format!(
                "cannot import `{}` as {}: {e}",
                args.file.display(),
                format.title()
            )
        })
    };
    // Read before the import, so that a missing or unreadable file fails before any output.
    let risks = match &args.compare {
        Some(_) if format != Format::Threagile => {
            return Err(format!(
                "--compare takes the risks Threagile reported; `{}` is {}",
                args.file.display(),
                format.title()
            ));
        }
        Some(path) => Some((path, read_input(path, false)?)),
        None => None,
    };
    let mut imported = import(&options)?;
    // A tracked risk that maps to several threatforge rules gets a decision on each; those on
    // rules that do not fire on the imported model would only be orphaned-decision warnings.
    // A second import, told which they are, keeps the team's triage on the threats that fire.
    // The analysis is made only when something needs it, and kept for the comparison unless a
    // second import changed the decisions.
    let mut analyzed = (imported.tracked_alternatives > 0 || risks.is_some())
        .then(|| threagile_risks::analyze_imported(&imported.yaml));
    if let Some(first) = analyzed
        .as_ref()
        .filter(|_| imported.tracked_alternatives > 0)
    {
        options.unmatched = threagile_risks::unmatched_decisions(first);
        if !options.unmatched.is_empty() {
            imported = import(&options)?;
            analyzed = risks
                .is_some()
                .then(|| threagile_risks::analyze_imported(&imported.yaml));
        }
    }
    for warning in &imported.warnings {
        eprint(&format!("warning: {}\n", line(warning)));
    }

    // The importer promises a model that passes `check`; a model that does not is our bug, and
    // saying so now beats a user finding out at their next CI run.
    let to_file = args.output.as_deref().filter(|p| *p != Path::new("-"));
    write_output(to_file, &imported.yaml)?;
    let errors = super::errors_in_written("imported.yaml", &imported.yaml, to_file, term);
    if errors > 0 {
        return Err(format!(
            "the imported model does not pass `check` ({errors} errors): this is a bug in \
             threatforge's {} importer; please report it with the input file",
            format.title()
        ));
    }
    if let Some(path) = to_file {
        let path = line(&path.display().to_string()).into_owned();
        eprint(&format!(
            "imported {} model into {path}; run `threatforge check {path}`\n",
            format.title(),
        ));
    }
    if let (Some((path, bytes)), Some(analyzed)) = (risks, &analyzed) {
        let comparison = threagile_risks::compare(&bytes, &imported, analyzed)
            .map_err(|e| format!("cannot compare with `{}`: {e}", path.display()))?;
        eprint(&block(&comparison));
    }
    Ok(crate::exit::OK)
}

fn read_input(path: &Path, from_stdin: bool) -> Result<Vec<u8>, String> {
    let limit = DEFAULT_MAX_BYTES as u64;
    let too_large = || {
        format!(
            "`{}` is larger than {} MiB; that is not a threat model",
            path.display(),
            limit / (1024 * 1024)
        )
    };
    if !from_stdin {
        // A FIFO or a device named here would block or never end; only regular files are read.
        return read_regular(path, limit).map_err(|refused| match refused {
            Refused::TooLarge(_) => too_large(),
            refused => format!(
                "{}; {}",
                refused.message(&path.display().to_string(), "its directory"),
                refused.help()
            ),
        });
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}
