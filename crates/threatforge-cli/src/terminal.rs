//! Where output goes, and whether it may be colored.
//!
//! Every write goes through [`threatforge_model::escape::ci_log`] last: a model's text must not
//! reach a CI log as a line the runner executes (`::error ...`, `##[...]`), whatever the format
//! and however a renderer wrapped it. Text from input has its control characters escaped
//! where it is inserted; this is the guarantee for the line as a whole.

use std::io::{IsTerminal, Write};
use std::path::Path;

use threatforge_model::escape::{ci_log, line};

use crate::cli::ColorChoice;

pub(crate) struct Terminal {
    /// Whether standard error may carry ANSI colors.
    pub color_stderr: bool,
    /// Whether standard output may carry ANSI colors.
    pub color_stdout: bool,
}

impl Terminal {
    pub(crate) fn new(choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let allowed = |is_tty: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_tty && !no_color,
        };
        Terminal {
            color_stderr: allowed(std::io::stderr().is_terminal()),
            color_stdout: allowed(std::io::stdout().is_terminal()),
        }
    }

    pub(crate) fn error(&self, message: &str) {
        let prefix = if self.color_stderr {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        eprint(&format!("{prefix}: {}\n", line(message)));
    }
}

/// Writes `text` to standard error.
pub(crate) fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(ci_log(text).as_bytes());
}

/// Writes `text` to the file, or to standard output for `None` and `-`.
pub(crate) fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    let text = &*ci_log(text);
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, text).map_err(|e| format!("cannot write `{}`: {e}", p.display()))
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .or_else(|e| {
                    // A closed pipe (`threatforge ... | head`) is not an error of ours.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
    }
}
