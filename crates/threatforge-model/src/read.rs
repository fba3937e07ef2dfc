//! Reading one YAML text: parsing it into nodes within the limits, and deserializing typed
//! entities from them with located diagnostics. The model loader, the catalogues, rule files and
//! the quality harness's expectations all read through here, so their errors read alike; this
//! module knows nothing of models, so the catalogue can use it without depending on the loader.

use crate::codes::Code;
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::diag::Diagnostic;
use crate::limits::Limits;
use crate::source::{FileId, SourceFile, Span};
use crate::suggest;
use crate::yaml::de::{Error as DeError, ErrorKind, from_node};
use crate::yaml::node::{Duplicate, Node, NodeSpan, Value};

/// Parses one file's text into nodes, within `limits`: an error that stops the parse is one
/// diagnostic, located in `source` and labelled with `file`. A key given twice in a mapping is
/// reported beside the tree, which keeps its first definition, so the rest is still read.
pub(crate) fn parse(
    file: FileId,
    source: &SourceFile,
    text: &str,
    limits: &Limits,
) -> Result<(Node, Vec<Diagnostic>), Box<Diagnostic>> {
    if text.trim().is_empty() {
        let empty = Node {
            span: NodeSpan::default(),
            value: Value::Null,
        };
        return Ok((empty, Vec::new()));
    }
    // Most models are read by the fast path; it declines anything it is not certain to
    // read exactly as serde-saphyr does (errors and duplicate keys included), and serde-saphyr
    // reads that.
    if let Some(node) = crate::yaml::fast::parse_fast(text, limits) {
        return Ok((node, Vec::new()));
    }
    // serde-saphyr bounds what aliases replay in events, not in memory.
    if let Some((offset, len, bytes)) = crate::yaml::aliases::over_budget(text, limits) {
        return Err(Box::new(
            Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "the YAML's aliases expand to at least {bytes} bytes, over the limit of {} (raise it \
                     with --max-alias-bytes)",
                    limits.max_alias_bytes
                ),
            )
            .with_label(Span::new(file, offset, len), "this alias goes over the limit")
            .with_help("a threatforge model needs no YAML aliases; write the values out"),
        ));
    }
    match crate::yaml::fast::parse_slow(text, limits) {
        Ok(mut node) => {
            let mut found = Vec::new();
            node.drop_duplicate_keys(&mut found);
            let diagnostics = found
                .iter()
                .map(|d| duplicate_key(file, source, d))
                .collect();
            Ok((node, diagnostics))
        }
        Err(error) => {
            let offset = error
                .location()
                .map(|l| source.offset_of(l.line() as usize, l.column() as usize))
                .unwrap_or(0);
            let raw = error.to_string();
            let (code, message, help) = if matches!(error, serde_saphyr::Error::Budget { .. })
                || raw.contains("budget breached")
            {
                (
                    Code::LimitExceeded,
                    format!(
                        "the YAML is too large once its aliases are expanded ({})",
                        clean_parse_message(&raw)
                    ),
                    "a threatforge model needs no YAML aliases; write the values out".to_owned(),
                )
            } else if raw.contains("recursion limit")
                || raw.contains("nesting")
                || raw.contains("depth")
            {
                (
                    Code::LimitExceeded,
                    format!(
                        "the YAML is nested more than {} levels deep",
                        limits.max_depth
                    ),
                    "a threatforge model needs only a few levels; is this the right file?"
                        .to_owned(),
                )
            } else {
                (
                    Code::YamlSyntax,
                    clean_parse_message(&raw),
                    "fix the YAML syntax; the rest of the file is not read until then".to_owned(),
                )
            };
            Err(Box::new(
                Diagnostic::new(code, message)
                    .with_label(Span::new(file, offset, 1), "here")
                    .with_help(help),
            ))
        }
    }
}

/// Reads one YAML file into a `T` with the same parsing, limits and diagnostics as a model file.
/// Rule files and the catalogues use it, so a rule's errors read like a model's. The file is one
/// that the caller's source map holds as `own` (the map itself is not needed, so that several
/// files can be read at once: the built-in rules are read in parallel).
pub fn read_typed_as<T: DeserializeOwned>(
    own: FileId,
    display: String,
    path: PathBuf,
    text: Arc<str>,
    what: &str,
) -> (Option<T>, Vec<Diagnostic>) {
    read_typed_in(own, &SourceFile::new(display, path, text), what)
}

/// [`read_typed_as`] for a file whose `SourceFile` the caller already made (the built-in rules,
/// which are in the rule set's source map before they are read): its index of lines is then
/// computed once, not twice.
pub fn read_typed_in<T: DeserializeOwned>(
    own: FileId,
    source: &SourceFile,
    what: &str,
) -> (Option<T>, Vec<Diagnostic>) {
    match parse(own, source, &source.text, &Limits::default()) {
        Ok((node, mut diagnostics)) => {
            let (value, more) = read_entity::<T>(own, &node, what);
            diagnostics.extend(more);
            (value, diagnostics)
        }
        Err(diagnostic) => (None, vec![*diagnostic]),
    }
}

/// A key given twice in one mapping: both definitions, the first with its line and column so
/// that the one-line form (`--format short`, editors) says where it is too.
fn duplicate_key(file: FileId, source: &SourceFile, duplicate: &Duplicate) -> Diagnostic {
    let (line, column) = source.line_col(duplicate.first.start);
    Diagnostic::new(
        Code::DuplicateKey,
        format!(
            "key `{}` is defined twice (first at {line}:{column})",
            duplicate.key
        ),
    )
    .with_label(span(file, duplicate.again), "defined again here")
    .with_label(
        span(file, duplicate.first),
        format!("first defined here, at {line}:{column}"),
    )
    .with_help(
        "this later definition is skipped and the first one is used; merge the two, or rename one",
    )
}

/// Deserializes one entity, and when a key or a value is wrong, reports it and tries again
/// without that entry, so that one bad entry does not hide the entity's other problems. The entity
/// read in the end (without its bad entries) is returned too, so that the whole-model checks see
/// the rest of it (an unknown protocol beside a wrong `readonly`).
pub(crate) fn read_entity<T: DeserializeOwned>(
    file: FileId,
    node: &Node,
    what: &str,
) -> (Option<T>, Vec<Diagnostic>) {
    const MAX_RETRIES: usize = 64;
    let mut diagnostics = Vec::new();
    let mut current: Cow<Node> = Cow::Borrowed(node);
    // Keys dropped for a wrong value: a required one is then missing, which is no news.
    let mut dropped: Vec<String> = Vec::new();
    for _ in 0..MAX_RETRIES {
        match from_node::<T>(&current, file) {
            Ok(value) => return (Some(value), diagnostics),
            Err(error) => {
                if let ErrorKind::MissingField(field) = &error.kind
                    && dropped.iter().any(|d| d == field)
                {
                    return (None, diagnostics);
                }
                diagnostics.push(de_diagnostic(file, &error, what));
                let Some(start) = error.key_start else {
                    return (None, diagnostics);
                };
                match current.to_mut().remove_key_at(start) {
                    Some(key) => dropped.extend(key.as_str().map(str::to_owned)),
                    None => return (None, diagnostics),
                }
            }
        }
    }
    (None, diagnostics)
}

pub(crate) fn key_help(name: &str, expected: &[&str]) -> String {
    match suggest::nearest(name, expected.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("expected one of {}", suggest::one_of(expected)),
    }
}

/// Turns a deserialization error into a diagnostic with a suggestion.
fn de_diagnostic(file: FileId, error: &DeError, what: &str) -> Diagnostic {
    let at = error
        .span
        .map(|s| span(file, s))
        .unwrap_or(Span::new(file, 0, 0));
    match &error.kind {
        ErrorKind::UnknownField { field, expected } => {
            Diagnostic::new(Code::UnknownKey, format!("unknown key `{field}` in {what}"))
                .with_label(at, "not a known key")
                .with_help(key_help(field, expected))
        }
        ErrorKind::UnknownVariant { variant, expected } => {
            let help = match suggest::nearest(variant, expected.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("expected one of {}", suggest::one_of(expected)),
            };
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{variant}` is not a valid value in {what}"),
            )
            .with_label(at, "not one of the allowed values")
            .with_help(help)
        }
        ErrorKind::MissingField(field) => Diagnostic::new(
            Code::MissingKey,
            format!("{what} is missing the required key `{field}`"),
        )
        .with_label(at, format!("add `{field}:` here")),
        ErrorKind::DuplicateField(field) => Diagnostic::new(
            Code::DuplicateKey,
            format!("key `{field}` is given twice in {what}"),
        )
        .with_label(at, "given again here"),
        ErrorKind::InvalidType { found, expected } => {
            let expected = expected
                .replace("a sequence", "a list")
                .replace("a map", "a mapping");
            // YAML 1.1 read `yes` and `on` as booleans; YAML 1.2, which we read, as text.
            let yaml11_boolean = expected == "a boolean"
                && ["yes", "no", "on", "off", "y", "n"]
                    .iter()
                    .any(|w| found.eq_ignore_ascii_case(&format!("the string `{w}`")));
            Diagnostic::new(
                Code::InvalidType,
                format!("in {what}: expected {expected}, found {found}"),
            )
            .with_label(at, format!("expected {expected}"))
            .with_help_opt(
                yaml11_boolean.then(|| {
                    "write `true` or `false`; `yes` and `no` are text in YAML 1.2".to_owned()
                }),
            )
        }
        ErrorKind::Custom(message) => {
            Diagnostic::new(Code::InvalidValue, format!("in {what}: {message}"))
                .with_label(at, "here")
        }
    }
}

/// serde-saphyr appends "at line L column C" to its messages; the diagnostic shows that already.
fn clean_parse_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    // The library's advice on its own options means nothing to a model's author.
    let first = first
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first);
    let first = first.split(" (defined at").next().unwrap_or(first);
    let trimmed = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    trimmed.trim().trim_end_matches(':').to_owned()
}

pub(crate) fn span(file: FileId, node: NodeSpan) -> Span {
    Span {
        file,
        start: node.start,
        len: node.len,
    }
}
