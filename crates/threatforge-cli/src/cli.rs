//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "threatforge",
    version,
    about = "Threat modeling as code: describe your system in YAML, find and track its threats.",
    after_help = "Exit codes: 0 clean, 1 the risk gate failed, 2 invalid input or usage.\n\
                  Colors appear only on a terminal; NO_COLOR turns them off."
)]
pub struct Cli {
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a model and report every problem. The CI gate.
    Check(CheckArgs),
    /// Write a commented starter model that passes `check`.
    Init(InitArgs),
    /// Print the JSON Schema of the model language, for editors.
    Schema(SchemaArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The model file; `-` reads standard input. Default: `threatforge.yaml` in this directory
    /// or the nearest parent that has one.
    pub model: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Write the output to this file instead of standard output (`-` for standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,

    /// Directory that includes may not leave. Default: the root model file's directory.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// rustc-style diagnostics with source snippets.
    Human,
    /// One line per diagnostic: `file:line:column: severity[code]: message`.
    Short,
    /// Machine-readable JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the model; `-` writes to standard output.
    #[arg(default_value = "threatforge.yaml")]
    pub path: PathBuf,

    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}
