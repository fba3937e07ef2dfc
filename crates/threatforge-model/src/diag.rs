//! Diagnostics: what is wrong with a model, where, and how to fix it.
//!
//! A diagnostic is plain data (code, severity, message, labelled spans, help) so that it can be
//! rendered for people (rustc-style, through miette) or for machines (JSON), and compared in tests.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use crate::escape;
use crate::source::{Location, SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Something the user should know that is neither wrong nor suspicious (a rule replaced, say).
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, kebab-case identifier of the kind of problem (documented in docs/diagnostics.md).
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary location.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Diagnostics in the order a reader wants them: by file, position, then severity and message.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.primary_span().map(|s| (s.file, s.start));
        key(a)
            .cmp(&key(b))
            .then(a.severity.cmp(&b.severity))
            .then(a.message.cmp(&b.message))
    });
}

/// How to draw diagnostics for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// rustc-like, with unicode rules and ANSI colors.
    Color,
    /// rustc-like, with unicode rules and no escape codes (files, CI logs, NO_COLOR).
    Plain,
}

/// Renders one diagnostic rustc-style: the message, `file:line:column`, the source lines with a
/// marker under the offending text, then the help.
///
/// Text from input (in messages, labels, help, file names and the snippet) is shown with its
/// control characters escaped ([`escape`]), and no line of the result reads as a CI command:
/// miette wraps long messages, so a wrapped line may start with text from input.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Color => miette::GraphicalTheme::unicode(),
        Style::Plain => miette::GraphicalTheme::unicode_nocolor(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let report = MietteView::new(Cow::Borrowed(diagnostic), sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // The handler only fails on a formatting error of our own; fall back to one line.
        out.clear();
        let _ = writeln!(out, "{}", one_line(diagnostic, sources));
    }
    match escape::ci_log(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(safe) => safe,
    }
}

/// `file:line:column: severity[code]: message` — for logs and editors' problem matchers. One
/// line whatever the input: text from input is shown with its control characters and line
/// breaks escaped.
pub fn one_line(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let text = match diagnostic.primary_span() {
        Some(span) => format!(
            "{}: {severity}[{}]: {}",
            sources.locate(span),
            diagnostic.code,
            diagnostic.message
        ),
        None => format!("{severity}[{}]: {}", diagnostic.code, diagnostic.message),
    };
    escape::ci_log(&escape::line(&text)).into_owned()
}

/// The machine-readable form of a diagnostic (`--format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub location: Option<Location>,
    pub labels: Vec<JsonLabel>,
    pub help: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub location: Location,
    pub message: String,
}

impl JsonDiagnostic {
    pub fn new(diagnostic: &Diagnostic, sources: &SourceMap) -> Self {
        JsonDiagnostic {
            severity: diagnostic.severity,
            code: diagnostic.code,
            message: diagnostic.message.clone(),
            location: diagnostic.primary_span().map(|s| sources.locate(s)),
            labels: diagnostic
                .labels
                .iter()
                .map(|l| JsonLabel {
                    location: sources.locate(l.span),
                    message: l.message.clone(),
                })
                .collect(),
            help: diagnostic.help.clone(),
        }
    }
}

/// Adapter from our plain diagnostic to miette's trait objects. Labels in other files than the
/// primary one become related diagnostics, since miette draws one source per report. Every
/// text it hands to miette is escaped here, since miette prints what it is given.
struct MietteView<'a> {
    diagnostic: Cow<'a, Diagnostic>,
    source: Option<miette::NamedSource<String>>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<MietteView<'a>>,
    message: String,
    help: Option<String>,
}

impl<'a> MietteView<'a> {
    fn new(diagnostic: Cow<'a, Diagnostic>, sources: &SourceMap) -> Self {
        let primary_file = diagnostic.primary_span().map(|s| s.file);
        let file = primary_file.and_then(|f| sources.get(f));
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for (i, label) in diagnostic.labels.iter().enumerate() {
            if Some(label.span.file) == primary_file {
                let text =
                    (!label.message.is_empty()).then(|| escape::line(&label.message).into_owned());
                let span = miette::SourceSpan::new(
                    (label.span.start as usize).into(),
                    label.span.len as usize,
                );
                labels.push(if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(text, span)
                } else {
                    miette::LabeledSpan::new_with_span(text, span)
                });
            } else {
                let note = Diagnostic {
                    severity: Severity::Note,
                    code: diagnostic.code,
                    message: label.message.clone(),
                    labels: vec![Label {
                        span: label.span,
                        message: String::new(),
                    }],
                    help: None,
                };
                related.push(MietteView::new(Cow::Owned(note), sources));
            }
        }
        // rustc's header (`error[code]: message`), and the position on the next line, so the
        // first two lines are enough for a log reader.
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let text = escape::line(&diagnostic.message);
        let header = if diagnostic.code.is_empty() || diagnostic.severity == Severity::Note {
            text.into_owned()
        } else {
            format!("{severity}[{}]: {text}", diagnostic.code)
        };
        let message = match diagnostic.primary_span() {
            Some(span) => format!(
                "{header}\n  at {}",
                escape::line(&sources.locate(span).to_string())
            ),
            None => header,
        };
        // The snippet shows the file's own lines: hidden characters are masked with as many
        // bytes, so the labels' byte spans still point at the same text.
        let source = file.map(|f| {
            miette::NamedSource::new(
                &*escape::line(&f.display),
                escape::masked(&f.text).into_owned(),
            )
        });
        let help = diagnostic
            .help
            .as_deref()
            .map(|h| escape::line(h).into_owned());
        MietteView {
            diagnostic,
            source,
            labels,
            related,
            message,
            help,
        }
    }
}

impl std::fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}
