//! Explanations and factor reasons with an interpolation that rendered empty ("stores , handles",
//! "rated critical for availability: .", "on `` is"). Only the rendered text is left, so the
//! detector looks for what an empty value leaves behind: punctuation after a space or after
//! other punctuation, empty brackets, quotes and code spans, doubled spaces, a dangling colon.
//! The model's own names and ids are masked first, since a team may name a component
//! "AWS APIs (STS, IAM ...)" and those characters are not the template's.

use std::sync::LazyLock;

use regex::Regex;
use threatforge_model::Model;

static EMPTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\s[,.;:!?)\]}]",          // "stores , handles", "availability: ."
        r"|[,:;]\s*[,.;:]",         // "stores,, handles", "data:."
        r"|[(\[{]\s*[)\]}]",        // "()", "[ ]"
        r#"|""|“”|''"#,             // an empty quoted value
        r"|(?:^|[^`])``(?:[^`]|$)", // an empty code span, not a fence
        r"|\S {2,}\S",              // "stores  and"
        r"|^\s*[,.;:]",             // a text that starts with punctuation
        r"|[,:;(]\s*$",             // a text that ends before its value
    ))
    .expect("the pattern is valid")
});

/// Finds empty interpolations in texts rendered for one model.
#[derive(Debug, Default)]
pub struct Detector {
    /// The model's names and ids, longest first, so that a name is masked before its parts.
    names: Vec<String>,
}

impl Detector {
    pub fn new(model: &Model) -> Detector {
        let named = (model.components.iter().map(|(id, c)| (id, &c.name)))
            .chain(model.flows.iter().map(|(id, f)| (id, &f.name)))
            .chain(model.data.iter().map(|(id, d)| (id, &d.name)))
            .chain(model.boundaries.iter().map(|(id, b)| (id, &b.name)))
            .chain(model.runtimes.iter().map(|(id, r)| (id, &r.name)));
        let mut names: Vec<String> = vec![model.system_name().to_owned()];
        for (id, name) in named {
            names.push(id.clone());
            names.extend(name.clone());
        }
        names.retain(|n| !n.trim().is_empty());
        names.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        names.dedup();
        Detector { names }
    }

    /// The stretch of `text` around its first empty interpolation, if it has one.
    pub fn find(&self, text: &str) -> Option<String> {
        if text.trim().is_empty() {
            return Some(String::new());
        }
        // Each name becomes as many `x` as it has bytes, so that positions in the masked text
        // are positions in the original, which the excerpt shows.
        let mut masked = text.to_owned();
        for name in &self.names {
            if masked.contains(name.as_str()) {
                masked = masked.replace(name.as_str(), &"x".repeat(name.len()));
            }
        }
        EMPTY
            .find(&masked)
            .map(|m| excerpt(text, m.start(), m.end()))
    }
}

/// Up to 30 characters either side of `start..end`, on character boundaries.
fn excerpt(text: &str, start: usize, end: usize) -> String {
    const AROUND: usize = 30;
    let start = floor_boundary(text, start);
    let end = floor_boundary(text, end).max(start);
    let from = text[..start]
        .char_indices()
        .rev()
        .nth(AROUND - 1)
        .map_or(0, |(i, _)| i);
    let to = text[end..]
        .char_indices()
        .nth(AROUND)
        .map_or(text.len(), |(i, _)| end + i);
    let mut out = String::new();
    if from > 0 {
        out.push_str("...");
    }
    out.push_str(text[from..to].trim());
    if to < text.len() {
        out.push_str("...");
    }
    out
}

/// The nearest character boundary at or before `i` (a match may end inside a masked name).
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use threatforge_model::{LoadOptions, load_str};

    use super::*;

    fn detector(model: &str) -> Detector {
        let loaded = load_str("m.yaml", model, Path::new("."), &LoadOptions::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        Detector::new(&loaded.model)
    }

    fn plain() -> Detector {
        detector("system: { name: shop }\ncomponents:\n  app: { technology: api-service }\n")
    }

    #[test]
    fn empty_interpolations_are_found() {
        let d = plain();
        for text in [
            "app has criticality level 2 (3 is critical), stores , handles confidential data.",
            "and data on the flow rated critical for availability: .",
            "the components on `` is not reachable from any untrusted zone",
            "app stores  and forwards it",
            "app calls app across ; app has criticality level 2",
            "data rated critical for availability:",
            "the store keeps () for others",
            "its members \"\" are exposed",
            ", the rest of the sentence",
            "",
        ] {
            assert!(d.find(text).is_some(), "not found in {text:?}");
        }
    }

    #[test]
    fn complete_texts_pass() {
        let d = plain();
        for text in [
            "app has criticality level 2 (3 is critical), stores orders, handles confidential data, is internet-facing: false, and is an administration interface: false.",
            "every path from an untrusted zone to app authenticates",
            "from here an attacker reaches 5+ more components",
            "The `shop` component's data is rated lowest for integrity.",
            "```\ncode\n```",
        ] {
            assert_eq!(d.find(text), None, "{text}");
        }
    }

    #[test]
    fn the_models_own_names_are_not_mistaken_for_empty_values() {
        let model = "system: { name: s }\ncomponents:\n  aws:\n    name: \"AWS APIs (STS, IAM, EC2, RDS ...)\"\n    technology: external-service\n";
        let text = "build-agent calls AWS APIs (STS, IAM, EC2, RDS ...) across the tooling VPC";
        assert_eq!(detector(model).find(text), None);
        // Without the name to mask, the same text would be flagged: the masking is what passes it.
        assert!(plain().find(text).is_some());
    }

    #[test]
    fn the_excerpt_shows_the_original_text_even_inside_names() {
        let model = "system: { name: s }\ncomponents:\n  café:\n    name: \"Café ÄÖÜ  (old)\"\n    technology: api-service\n";
        // The name is masked, so its doubled space and brackets are not reported ...
        let d = detector(&model.replace("café", "cafe"));
        assert_eq!(d.find("Café ÄÖÜ  (old) handles data"), None);
        // ... and an empty value next to it is shown with the name, as written.
        let found = d.find("Café ÄÖÜ  (old) stores , handles").expect("found");
        assert!(
            found.contains("Café ÄÖÜ  (old) stores , handles"),
            "{found}"
        );
        assert_eq!(excerpt("ÄÖÜ", 1, 3), "ÄÖÜ");
    }

    #[test]
    fn the_excerpt_shows_the_place() {
        let d = plain();
        let found = d
            .find("a long introduction that goes on and on before it finally stores , handles confidential data and more text after it")
            .expect("found");
        assert!(found.contains("stores , handles"), "{found}");
        assert!(
            found.starts_with("...") && found.ends_with("..."),
            "{found}"
        );
    }
}
