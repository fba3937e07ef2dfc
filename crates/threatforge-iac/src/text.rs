//! Reading an input's text: YAML within the loader's budgets, JSON, and the lines things are on.

use serde_json::Value;
use threatforge_model::Limits;

use crate::error::IacError;

/// Nesting deeper than this is not infrastructure code (a CRD's schema nests about 30 deep).
const MAX_DEPTH: usize = 64;
/// Most YAML documents in one file (`helm template` of a large chart writes a few hundred).
pub(crate) const MAX_DOCUMENTS: usize = 10_000;

fn options() -> serde_saphyr::Options {
    let limits = Limits::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = limits.max_nodes;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_events = limits.max_nodes.saturating_mul(2);
    budget.max_documents = MAX_DOCUMENTS;
    serde_saphyr::options! {
        budget: Some(budget),
        with_snippet: false,
    }
}

/// Every document of a YAML text (empty documents dropped).
pub(crate) fn yaml_documents(file: &str, text: &str) -> Result<Vec<Value>, IacError> {
    let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| yaml_error(file, &e))?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

fn yaml_error(file: &str, e: &serde_saphyr::Error) -> IacError {
    let raw = e.to_string();
    let first = raw.lines().next().unwrap_or(&raw);
    let message = match first.find(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let (line, column) = e
        .location()
        .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
    IacError::at(file, line, column, format!("invalid YAML: {message}"))
        .with_help("fix the YAML; threatforge reads rendered manifests, not templates")
}

/// A JSON text.
pub(crate) fn json(file: &str, text: &str) -> Result<Value, IacError> {
    serde_json::from_str(text).map_err(|e| {
        IacError::at(file, e.line(), e.column(), format!("invalid JSON: {e}"))
            .with_help("give the output of `terraform show -json PLANFILE` as it was written")
    })
}

/// Line starts of a text, to turn byte offsets into lines.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// The 1-based line of the first mapping key `key:` among the keys of the block that starts
    /// after line `from` (those indented as its first key), else `from`.
    pub(crate) fn find_key(&self, key: &str, from: usize) -> usize {
        let indent = |l: &str| l.len() - l.trim_start().len();
        let content = |l: &&str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
        let Some(first) = self.text.lines().skip(from).find(content) else {
            return from.max(1);
        };
        let width = indent(first);
        let spellings = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ];
        self.text
            .lines()
            .enumerate()
            .skip(from)
            .find(|(_, l)| {
                indent(l) == width
                    && spellings
                        .iter()
                        .any(|s| l.trim_start().starts_with(s.as_str()))
            })
            .map_or(from.max(1), |(i, _)| i + 1)
    }

    /// The 1-based line of the first occurrence of `needle` at or after line `from` (1-based),
    /// else `from`: the line is where a reviewer should look, and a guess near it beats none.
    pub(crate) fn find(&self, needle: &str, from: usize) -> usize {
        let start = self
            .starts
            .get(from.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        self.text[start..]
            .find(needle)
            .map_or(from.max(1), |i| self.line_of(start + i))
    }
}

/// A string at `path` of `value`, if it is one.
pub(crate) fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(value, path)?.as_str()
}

pub(crate) fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// The items of an array at `path`, or none.
pub(crate) fn items<'v>(value: &'v Value, path: &[&str]) -> &'v [Value] {
    at(value, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A boolean, also when YAML or HCL wrote it as a string.
pub(crate) fn truthy(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A scalar as text (ports and numbers are written either way).
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A name for a comment or a reference: at most 120 characters, one line.
pub(crate) fn short(text: &str) -> String {
    threatforge_model::escape::line(&text.chars().take(120).collect::<String>()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_searches_from_a_line_and_falls_back_to_it() {
        let lines = Lines::new("a: 1\nb: 2\na: 3\n");
        assert_eq!(lines.find("a:", 2), 3);
        assert_eq!(lines.find("zzz", 2), 2);
        let lines = Lines::new("services:\n  api:\n    depends_on:\n      db: {}\n  db:\n");
        assert_eq!(lines.find_key("db", 1), 5);
    }

    #[test]
    fn an_alias_bomb_is_refused_within_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = yaml_documents("bomb.yaml", &text).expect_err("refused");
        assert_eq!(error.file, "bomb.yaml");
    }
}
