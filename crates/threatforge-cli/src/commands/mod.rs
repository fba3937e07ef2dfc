//! One module per subcommand; each returns the process exit code, or a usage error message.

mod check;
mod init;
mod schema;

use std::io::Read;
use std::path::{Path, PathBuf};

use threatforge_model::{LoadOptions, Loaded};

use crate::cli::Command;
use crate::terminal::Terminal;

pub fn run(command: Command, term: &Terminal) -> Result<u8, String> {
    match command {
        Command::Check(args) => check::run(args, term),
        Command::Init(args) => init::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Completions { shell } => {
            let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "threatforge", &mut std::io::stdout());
            Ok(crate::exit::OK)
        }
    }
}

/// The names the model file is looked up by, in order.
const MODEL_FILE_NAMES: &[&str] = &["threatforge.yaml", "threatforge.yml", "threatforge.json"];

/// The model file: as given, or the nearest `threatforge.yaml` in this directory or a parent.
pub fn find_model(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    for dir in cwd.ancestors() {
        for name in MODEL_FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate
                    .strip_prefix(&cwd)
                    .map(Path::to_path_buf)
                    .unwrap_or(candidate));
            }
        }
    }
    Err(
        "no threatforge.yaml in this directory or its parents; give a model path, \
         or run `threatforge init` to write one"
            .to_owned(),
    )
}

/// Loads a model from a path, or from standard input for `-`.
pub fn load_model(path: &Path, root: Option<&Path>) -> Result<Loaded, String> {
    let options = LoadOptions {
        root_dir: root.map(Path::to_path_buf),
        ..LoadOptions::default()
    };
    if path == Path::new("-") {
        let limit = options.limits.max_file_bytes;
        let mut text = String::new();
        std::io::stdin()
            .take(limit + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let base = match root {
            Some(root) => root.to_path_buf(),
            None => std::env::current_dir()
                .map_err(|e| format!("cannot read the current directory: {e}"))?,
        };
        return Ok(threatforge_model::load_str(
            "<stdin>", &text, &base, &options,
        ));
    }
    Ok(threatforge_model::load(path, &options))
}
