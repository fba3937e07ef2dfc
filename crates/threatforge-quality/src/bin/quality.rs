//! `quality`: measures the built-in rules against the expectations in tests/quality and compares
//! the numbers with the baseline. Exit codes: 0 no regression, 1 worse than the baseline, 2 the
//! models, the expectations or the baseline cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use threatforge_quality::baseline::{self, Baseline};

#[derive(Parser)]
#[command(
    name = "quality",
    about = "Measure threatforge's threats against the experts' expectations in tests/quality"
)]
struct Args {
    /// The repository root (default: the one this tool was built from).
    #[arg(long)]
    root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write tests/quality/baseline.json from this run instead of comparing with it.
    #[arg(long)]
    write_baseline: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

const REGRESSED: u8 = 1;
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let args = Args::parse();
    let root = args.root.unwrap_or_else(threatforge_quality::default_root);
    let suite = match threatforge_quality::run(&root) {
        Ok(suite) => suite,
        Err(errors) => {
            for error in errors {
                eprintln!("{}", error.trim_end());
            }
            return ExitCode::from(BAD_INPUT);
        }
    };
    let path = threatforge_quality::baseline_path(&root);
    let comparison = if args.write_baseline {
        if let Err(error) = Baseline::of(&suite).write(&path) {
            eprintln!("{}: cannot write: {error}", path.display());
            return ExitCode::from(BAD_INPUT);
        }
        eprintln!("wrote {}", path.display());
        None
    } else if path.is_file() {
        match Baseline::read(&path) {
            Ok(base) => Some(baseline::compare(&base, &suite)),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(BAD_INPUT);
            }
        }
    } else {
        eprintln!(
            "{}: no baseline yet; write one with --write-baseline",
            path.display()
        );
        None
    };
    match args.format {
        Format::Human => print!(
            "{}",
            threatforge_quality::render::human(&suite, comparison.as_ref())
        ),
        Format::Json => {
            let value = serde_json::json!({ "suite": suite, "baseline": comparison });
            match serde_json::to_string_pretty(&value) {
                Ok(text) => println!("{text}"),
                Err(error) => {
                    eprintln!("cannot write the report: {error}");
                    return ExitCode::from(BAD_INPUT);
                }
            }
        }
    }
    match comparison {
        Some(c) if !c.regressions.is_empty() => ExitCode::from(REGRESSED),
        _ => ExitCode::SUCCESS,
    }
}
