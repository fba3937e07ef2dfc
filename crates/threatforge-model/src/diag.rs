//! Diagnostics: what is wrong with a model, where, and how to fix it.
//!
//! A diagnostic is plain data (code, severity, message, labelled spans, help) so that it can be
//! rendered for people (rustc-style, through miette) or for machines (JSON), and compared in tests.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

use crate::codes::Code;
pub(crate) use crate::codes::Severity;
use crate::escape;
use crate::source::{Location, SourceFile, SourceMap, Span};

/// Longest line a snippet shows whole, in bytes. A longer line (a minified JSON model is one
/// line) is shown as a window around its labels: miette pads the marker under a label to the
/// label's column with a formatting width, which panics past 65,535 columns (`u16::MAX`,
/// "Formatting argument out of range"), and a line of megabytes helps no reader.
const MAX_SHOWN_LINE: usize = 160;
/// How much of a long line its window shows, in bytes, and how much of that before the label.
const WINDOW: usize = 120;
const WINDOW_BEFORE: usize = 40;
/// Most lines a label's marker spans: a longer label (a block scalar of a million lines) is
/// marked on its first line only.
const MAX_LABEL_LINES: usize = 8;
/// Longest message, label or help shown, in bytes: they quote the input (an unknown key, an
/// id), which may be megabytes long.
const MAX_TEXT: usize = 1000;
/// Stands for the text a snippet or a message leaves out.
const ELLIPSIS: &str = "…";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, kebab-case identifier of the kind of problem: a [`Code`]'s name (docs/diagnostics.md
    /// is generated from them).
    pub code: &'static str,
    pub message: String,
    /// The first label is the primary location.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code`, with the severity the code has in the registry (`codes.rs`).
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code: code.name(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
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
        // Lines break at spaces only: by default they also break after a hyphen, which cut ids
        // in lists of valid values (`object-` / `storage`), and inside a word too long for a line.
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_links(false)
        .with_context_lines(1);
    let report = MietteView::new(bounded(diagnostic), sources);
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
    let message = clipped(&diagnostic.message);
    let text = match diagnostic.primary_span() {
        Some(span) => format!(
            "{}: {severity}[{}]: {message}",
            sources.locate(span),
            diagnostic.code,
        ),
        None => format!("{severity}[{}]: {message}", diagnostic.code),
    };
    escape::ci_log(&escape::line(&text)).into_owned()
}

/// A text cut to [`MAX_TEXT`] bytes, with an ellipsis where it was cut.
fn clipped(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_TEXT {
        return Cow::Borrowed(text);
    }
    let cut = floor_char_boundary(text, MAX_TEXT);
    Cow::Owned(format!("{}{ELLIPSIS}", &text[..cut]))
}

/// The diagnostic with its message, labels and help [`clipped`].
fn bounded(diagnostic: &Diagnostic) -> Cow<'_, Diagnostic> {
    let long = |text: &str| text.len() > MAX_TEXT;
    if !long(&diagnostic.message)
        && !diagnostic.labels.iter().any(|l| long(&l.message))
        && !diagnostic.help.as_deref().is_some_and(long)
    {
        return Cow::Borrowed(diagnostic);
    }
    Cow::Owned(Diagnostic {
        message: clipped(&diagnostic.message).into_owned(),
        labels: diagnostic
            .labels
            .iter()
            .map(|l| Label {
                span: l.span,
                message: clipped(&l.message).into_owned(),
            })
            .collect(),
        help: diagnostic.help.as_deref().map(|h| clipped(h).into_owned()),
        ..diagnostic.clone()
    })
}

/// The largest char boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The part of a file a diagnostic shows, as miette reads it: the lines around its labels, each
/// line longer than [`MAX_SHOWN_LINE`] cut to a window, with an ellipsis for what is left out,
/// and the lines between them empty. Labels are moved into it with [`Snippet::span`]; the line
/// and column numbers miette prints stay the file's.
struct Snippet {
    name: String,
    text: String,
    /// 0-based index in the file of the snippet's first line.
    first_line: usize,
    lines: Vec<ShownLine>,
    /// The labels' byte ranges in the file, as shown (see [`MAX_LABEL_LINES`]).
    labels: Vec<Range<usize>>,
}

/// One line of a [`Snippet`].
struct ShownLine {
    /// Where the line starts in the file.
    start: usize,
    /// The part of the line shown, as a range of the file.
    shown: Range<usize>,
    /// Where that part starts in the snippet's text.
    at: usize,
    /// Whether an ellipsis stands before and after it.
    cut_before: bool,
    cut_after: bool,
}

impl Snippet {
    /// The lines of `file` that labels over `spans` (byte ranges, the primary label's first)
    /// show, with one line of context either side as [`render`]'s handler draws them.
    fn new(file: &SourceFile, spans: &[Range<usize>]) -> Snippet {
        let len = file.text.len();
        let labels: Vec<Range<usize>> = spans
            .iter()
            .map(|s| {
                let start = s.start.min(len);
                let end = s.end.clamp(start, len);
                let line = file.line_index(start);
                if file.line_index(end) - line <= MAX_LABEL_LINES {
                    return start..end;
                }
                let first = file.line_range(line).unwrap_or(start..end);
                start..first.end - usize::from(file.text[first].ends_with('\n'))
            })
            .collect();
        let around: Vec<_> = labels
            .iter()
            .map(|s| file.line_index(s.start).saturating_sub(1)..=file.line_index(s.end) + 1)
            .collect();
        let first_line = around.iter().map(|r| *r.start()).min().unwrap_or(0);
        let last_line = around.iter().map(|r| *r.end()).max().unwrap_or(0);
        let mut snippet = Snippet {
            name: file.display.clone(),
            text: String::new(),
            first_line,
            lines: Vec::new(),
            labels: Vec::new(),
        };
        for line in first_line..=last_line {
            let Some(range) = file.line_range(line) else {
                break;
            };
            if around.iter().any(|r| r.contains(&line)) {
                snippet.push_line(&file.text, range, &labels);
            } else {
                // Never drawn: only its line break, to keep the count of lines.
                snippet.lines.push(ShownLine {
                    start: range.start,
                    shown: range.start..range.start,
                    at: snippet.text.len(),
                    cut_before: false,
                    cut_after: false,
                });
                snippet.text.push('\n');
            }
        }
        snippet.labels = labels;
        // The snippet shows the file's own lines: hidden characters are masked with as many
        // bytes, so the labels' byte spans still point at the same text.
        if let Cow::Owned(masked) = escape::masked(&snippet.text) {
            snippet.text = masked;
        }
        snippet.name = escape::line(&snippet.name).into_owned();
        snippet
    }

    fn push_line(&mut self, text: &str, line: Range<usize>, spans: &[Range<usize>]) {
        let end = if text[line.clone()].ends_with('\n') {
            line.end - 1
        } else {
            line.end
        };
        let shown = if end - line.start <= MAX_SHOWN_LINE {
            line.start..end
        } else {
            // Around the primary label if it starts on this line (so that its position can be
            // read back exactly), else the first label that starts or ends here.
            let here = |offset: &usize| (line.start..=end).contains(offset);
            let anchor = spans
                .first()
                .map(|s| s.start)
                .filter(here)
                .or_else(|| spans.iter().map(|s| s.start).filter(here).min())
                .or_else(|| spans.iter().map(|s| s.end).filter(here).min())
                .unwrap_or(line.start);
            let from =
                floor_char_boundary(text, anchor.saturating_sub(WINDOW_BEFORE)).max(line.start);
            from..floor_char_boundary(text, (from + WINDOW).min(end))
        };
        let cut_before = shown.start > line.start;
        let cut_after = shown.end < end;
        if cut_before {
            self.text.push_str(ELLIPSIS);
        }
        let at = self.text.len();
        self.text.push_str(&text[shown.clone()]);
        if cut_after {
            self.text.push_str(ELLIPSIS);
        }
        self.text.push_str(&text[end..line.end]);
        self.lines.push(ShownLine {
            start: line.start,
            shown,
            at,
            cut_before,
            cut_after,
        });
    }

    /// Where a byte offset of the file is in the snippet. An offset in a part left out maps to
    /// the ellipsis that stands for it, so that a label reaching there covers the ellipsis.
    fn offset(&self, offset: usize, is_end: bool) -> usize {
        let index = self
            .lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1);
        let Some(line) = self.lines.get(index) else {
            return 0;
        };
        if line.cut_before && offset < line.shown.start {
            return if is_end {
                line.at
            } else {
                line.at - ELLIPSIS.len()
            };
        }
        let after = line.at + line.shown.len();
        if line.cut_after && offset > line.shown.end {
            return if is_end {
                after + ELLIPSIS.len()
            } else {
                after
            };
        }
        line.at + offset.saturating_sub(line.shown.start)
    }

    /// Where the `index`th label given to [`Snippet::new`] is in the snippet.
    fn span(&self, index: usize) -> miette::SourceSpan {
        let Some(label) = self.labels.get(index) else {
            return miette::SourceSpan::new(0.into(), 0);
        };
        let start = self.offset(label.start, false);
        let end = self.offset(label.end, true).max(start);
        miette::SourceSpan::new(start.into(), end - start)
    }
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let mut column = inner.column();
        // Without context, the column is the span's, in bytes: give the file's.
        if context_lines_before == 0
            && let Some(line) = self.lines.get(inner.line())
        {
            let cut = if line.cut_before { ELLIPSIS.len() } else { 0 };
            column = line.shown.start - line.start + column.saturating_sub(cut);
        }
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + inner.line(),
            column,
            inner.line_count(),
        )))
    }
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
    source: Option<Snippet>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<MietteView<'a>>,
    message: String,
    help: Option<String>,
}

impl<'a> MietteView<'a> {
    fn new(diagnostic: Cow<'a, Diagnostic>, sources: &SourceMap) -> Self {
        let primary_file = diagnostic.primary_span().map(|s| s.file);
        let in_primary: Vec<Range<usize>> = diagnostic
            .labels
            .iter()
            .filter(|l| Some(l.span.file) == primary_file)
            .map(|l| l.span.start as usize..l.span.end() as usize)
            .collect();
        let source = primary_file
            .and_then(|f| sources.get(f))
            .map(|f| Snippet::new(f, &in_primary));
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for (i, label) in diagnostic.labels.iter().enumerate() {
            if Some(label.span.file) == primary_file {
                let text =
                    (!label.message.is_empty()).then(|| escape::line(&label.message).into_owned());
                let span = match &source {
                    // The snippet holds this file's labels in this order.
                    Some(snippet) => snippet.span(labels.len()),
                    None => miette::SourceSpan::new(
                        (label.span.start as usize).into(),
                        label.span.len as usize,
                    ),
                };
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::source::FileId;

    fn one_file(text: &str) -> SourceMap {
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new(
            "m.json".into(),
            PathBuf::from("/m.json"),
            text.into(),
        ));
        sources
    }

    fn warning_at(start: usize, len: usize) -> Diagnostic {
        Diagnostic::new(Code::IsolatedComponent, "component `x` has no flows")
            .with_label(
                Span::new(FileId(0), start, len),
                "nothing flows to or from it",
            )
            .with_help("add its flows")
    }

    #[test]
    fn a_label_far_along_a_long_line_is_drawn_in_a_window() {
        // Past column 65,535 miette's own padding panics; the window keeps the marker near.
        let text = format!("{}\"x\":{{}}{}\n", "a".repeat(70_000), "b".repeat(70_000));
        let sources = one_file(&text);
        let out = render(&warning_at(70_000, 3), &sources, Style::Plain);
        assert!(out.contains("at m.json:1:70001"), "{out}");
        assert!(out.contains("[m.json:1:70001]"), "{out}");
        assert!(out.contains("…aaaa"), "{out}");
        assert!(out.contains("\"x\":{}bbb"), "{out}");
        assert!(out.contains("nothing flows to or from it"), "{out}");
        assert!(out.lines().all(|l| l.len() < 400), "{out}");
        // The marker stands under `"x"`: as many columns in as the window shows before it.
        let source_line = out
            .lines()
            .find(|l| l.contains("\"x\""))
            .expect("source line");
        let marker = out.lines().find(|l| l.contains('┬')).expect("marker");
        let column =
            |line: &str, pattern: &str| line[..line.find(pattern).unwrap_or(0)].chars().count();
        assert_eq!(column(source_line, "\"x\""), column(marker, "─┬─"), "{out}");
    }

    #[test]
    fn long_lines_of_context_are_cut_too() {
        let text = format!(
            "{}\nshort: {{}}\n{}\n",
            "c".repeat(100_000),
            "é".repeat(50_000)
        );
        let sources = one_file(&text);
        let at = 100_001 + "short: ".len();
        let out = render(&warning_at(at, 2), &sources, Style::Plain);
        assert!(out.contains(" 2 │ short: {}"), "{out}");
        assert!(out.contains(" 1 │ cccc"), "{out}");
        assert!(out.contains(" 3 │ éééé"), "{out}");
        assert!(out.len() < 2_000, "{} bytes:\n{out}", out.len());
    }

    #[test]
    fn a_label_reaching_past_the_window_covers_the_ellipsis() {
        let text = format!("{{\"a\": [{}]}}", "1,".repeat(50_000));
        let sources = one_file(&text);
        let out = render(&warning_at(1, text.len() - 1), &sources, Style::Plain);
        assert!(out.contains("[m.json:1:2]"), "{out}");
        assert!(out.contains(",1,1…"), "{out}");
        assert!(out.len() < 2_000, "{} bytes:\n{out}", out.len());
    }

    #[test]
    fn a_label_over_many_lines_is_marked_on_its_first() {
        let body: String = (0..100_000).map(|i| format!("  line {i}\n")).collect();
        let sources = one_file(&format!("system: |\n{body}"));
        let out = render(&warning_at(10, body.len() - 2), &sources, Style::Plain);
        assert!(out.contains(" 2 │   line 0"), "{out}");
        assert!(!out.contains("line 10\n"), "{out}");
        assert!(out.len() < 1_000, "{} bytes:\n{out}", out.len());
    }

    #[test]
    fn labels_far_apart_show_their_own_lines() {
        let text: String = (1..=100_000).map(|i| format!("k{i}: v\n")).collect();
        let sources = one_file(&text);
        let second = text.find("k99999:").expect("line 99,999");
        let diagnostic = warning_at(text.find("k2:").expect("line 2"), 2)
            .with_label(Span::new(FileId(0), second, 6), "and here");
        let out = render(&diagnostic, &sources, Style::Plain);
        for line in [
            " 1 │ k1: v",
            " 2 │ k2: v",
            " 99999 │ k99999: v",
            " 100000 │ k100000",
        ] {
            assert!(out.contains(line), "{line}:\n{out}");
        }
        assert!(!out.contains("k50000"), "{out}");
        assert!(out.len() < 1_500, "{} bytes:\n{out}", out.len());
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let line = format!("k: {}", "v".repeat(MAX_SHOWN_LINE - 3));
        let sources = one_file(&format!("{line}\n"));
        let out = render(&warning_at(3, 1), &sources, Style::Plain);
        assert!(out.contains(&line), "{out}");
        assert!(!out.contains(ELLIPSIS), "{out}");
    }

    #[test]
    fn long_messages_are_cut() {
        let sources = one_file("x: 1\n");
        let key = "k".repeat(1_000_000);
        let diagnostic = Diagnostic::new(Code::UnknownKey, format!("unknown key `{key}`"))
            .with_label(Span::new(FileId(0), 0, 1), format!("`{key}`"))
            .with_help(format!("remove `{key}`"));
        let out = render(&diagnostic, &sources, Style::Plain);
        assert!(out.len() < 8_000, "{} bytes:\n{out}", out.len());
        assert!(
            out.contains("unknown key") && out.contains("`kkkk"),
            "{out}"
        );
        let line = one_line(&diagnostic, &sources);
        assert!(line.starts_with("m.json:1:1: error[unknown-key]: unknown key `kkk"));
        assert!(
            line.len() < MAX_TEXT + 100 && line.ends_with(ELLIPSIS),
            "{line}"
        );
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        let text = "é".repeat(MAX_TEXT);
        let cut = clipped(&text);
        assert!(cut.len() <= MAX_TEXT + ELLIPSIS.len() && cut.ends_with(ELLIPSIS));
        let sources = one_file(&format!("{}x{}", "é".repeat(5_000), "€".repeat(5_000)));
        let out = render(&warning_at(10_000, 1), &sources, Style::Plain);
        assert!(out.contains("[m.json:1:10001]"), "{out}");
        assert!(out.contains("éx€"), "{out}");
    }
}
