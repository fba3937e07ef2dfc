//! What goes wrong reading infrastructure code, with where: shared by the scan and by each
//! source's reader, so that neither depends on the other for it.

use std::fmt;

/// Why the inputs could not be read: a file, a position when there is one, what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IacError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl IacError {
    pub(crate) fn new(file: &str, message: impl Into<String>) -> Self {
        IacError {
            file: file.to_owned(),
            line: None,
            column: None,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn at(file: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        IacError {
            line: Some(line),
            column: Some(column),
            ..IacError::new(file, message)
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for IacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = threatforge_model::escape::line(&self.file);
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{file}:{line}:{column}: {}", self.message)?,
            _ => write!(f, "{file}: {}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}
