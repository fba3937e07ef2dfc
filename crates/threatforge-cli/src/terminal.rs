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

/// Writes what `write` produces to the file, or to standard output for `None` and `-`, as it is
/// produced (a report of 50,000 components need not exist whole in memory), through
/// [`ci_log`] line by line.
pub(crate) fn write_streamed(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) if p != Path::new("-") => std::fs::File::create(p)
            .and_then(|file| CiLog::new(std::io::BufWriter::new(file)).finish(write))
            .map_err(|e| format!("cannot write `{}`: {e}", p.display())),
        _ => CiLog::new(std::io::BufWriter::new(std::io::stdout().lock()))
            .finish(write)
            .or_else(|e| {
                // A closed pipe (`threatforge ... | head`) is not an error of ours.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| format!("cannot write to standard output: {e}")),
    }
}

/// A writer that passes text on through [`ci_log`]: a line is judged whole, so what comes is held
/// until its line ends.
struct CiLog<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> CiLog<W> {
    fn new(inner: W) -> Self {
        CiLog {
            inner,
            pending: Vec::new(),
        }
    }

    /// Writes whole lines on, filtered.
    fn pass_on(inner: &mut W, lines: &[u8]) -> std::io::Result<()> {
        inner.write_all(ci_log(&String::from_utf8_lossy(lines)).as_bytes())
    }

    /// Runs `write` into this writer and writes out what its last line held. What `write` gives
    /// is buffered before the filter sees it: a serializer writes a report in pieces of a few
    /// bytes, and the filter's work per call (finding the last line end) is then paid per
    /// buffer, not per piece.
    fn finish(
        self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, self);
        write(&mut buffered)?;
        buffered.into_inner().map_err(|e| e.into_error())?.flush()
    }
}

impl<W: Write> Write for CiLog<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Only the new bytes are searched, so a long line is not searched again for every piece;
        // whole lines given at once are not copied (a page of hundreds of megabytes comes so).
        let Some(at) = buf.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(buf);
            return Ok(buf.len());
        };
        let (lines, rest) = buf.split_at(at + 1);
        if self.pending.is_empty() {
            Self::pass_on(&mut self.inner, lines)?;
        } else {
            self.pending.extend_from_slice(lines);
            Self::pass_on(&mut self.inner, &self.pending)?;
            self.pending.clear();
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Self::pass_on(&mut self.inner, &self.pending)?;
        self.pending.clear();
        self.inner.flush()
    }
}

/// Writes `text` to the file, or to standard output for `None` and `-`.
pub(crate) fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    write_streamed(path, |out| out.write_all(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_written_in_pieces_is_escaped_as_the_whole_would_be() {
        let whole = "ok\n::error::x\n  a ##[warning]b\n#\u{200d}#[error]c\nlast ::x";
        // Cut inside every command (one byte at a time), at once, and in two pieces mid-line.
        let bytes: Vec<&[u8]> = whole.as_bytes().chunks(1).collect();
        let (a, b) = whole.split_at(8);
        for pieces in [
            bytes,
            vec![whole.as_bytes()],
            vec![a.as_bytes(), b.as_bytes()],
        ] {
            let mut out = Vec::new();
            CiLog::new(&mut out)
                .finish(|w| pieces.iter().try_for_each(|p| w.write_all(p)))
                .expect("written");
            assert_eq!(String::from_utf8(out).expect("UTF-8"), ci_log(whole));
        }
        assert_ne!(ci_log(whole), whole, "the text has commands to escape");
    }
}
