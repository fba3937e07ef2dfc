//! YAML input with budgets, into `serde_json::Value` so that importers of YAML and JSON formats
//! walk the same tree.

use crate::ImportError;

/// Nesting deeper than this is not a threat model.
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str, max_bytes: usize) -> Result<serde_json::Value, ImportError> {
    if text.len() > max_bytes {
        return Err(ImportError::new(format!(
            "the input is {} bytes; the limit is {max_bytes} bytes",
            text.len()
        )));
    }
    if text.trim().is_empty() {
        return Err(ImportError::new("the input is empty"));
    }
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = 2_000_000;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_events = 4_000_000;
    budget.max_documents = 1;
    let options = serde_saphyr::options! {
        budget: Some(budget),
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<serde_json::Value>(text, options).map_err(|e| {
        let message = clean(&e.to_string());
        match e.location() {
            Some(l) => ImportError::at(
                format!("invalid YAML: {message}"),
                l.line() as usize,
                l.column() as usize,
            ),
            None => ImportError::new(format!("invalid YAML: {message}")),
        }
    })
}

/// serde-saphyr's message without its own position suffix (we report line and column apart).
fn clean(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or(raw);
    match first.find(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}
