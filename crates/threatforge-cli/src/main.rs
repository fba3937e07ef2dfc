//! The `threatforge` command line: the top of the pipeline (model -> analysis -> outputs).

mod cli;
mod commands;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as documented in the README.
pub mod exit {
    /// Clean: the model is valid and the gate, if any, passed.
    pub const OK: u8 = 0;
    /// The risk gate failed.
    pub const GATE_FAILED: u8 = 1;
    /// The input is invalid or the usage is wrong.
    pub const INVALID: u8 = 2;
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let term = terminal::Terminal::new(args.color);
    let code = match commands::run(args.command, &term) {
        Ok(code) => code,
        Err(message) => {
            term.error(&message);
            exit::INVALID
        }
    };
    ExitCode::from(code)
}
