//! The alias-expansion budget, in bytes. serde-saphyr bounds how many events aliases replay, not
//! what they weigh: a million replayed nodes was 174-231 MB of tree before its limit tripped, and
//! a long scalar replayed weighs its length each time. This pass over the parser's events, before
//! any tree is built, adds up what each alias would add to the tree: a node per replayed node and
//! the text of each replayed scalar. It is linear in the events: each anchored node's weight is
//! known when it ends (aliases inside it included), and an alias adds its anchor's weight.

use granit_parser::{Event, Parser, StrInput};

use super::node::Node;
use crate::limits::Limits;

/// What one node costs in the tree beside its text.
const NODE_BYTES: usize = std::mem::size_of::<Node>();

/// The alias that took the expansion over `limits.max_alias_bytes`: its byte offset and length,
/// and the bytes expanded so far. `None` when the aliases stay within the budget, and when the
/// text does not parse (serde-saphyr then reports the syntax error).
pub(crate) fn over_budget(text: &str, limits: &Limits) -> Option<(usize, usize, usize)> {
    let options = super::fast::parser_options(&super::fast::budget(limits));
    let parser = Parser::with_options(StrInput::new(text), options);
    // The weight of each anchored node, by granit-parser's anchor id (fresh per definition).
    let mut weights: Vec<usize> = Vec::new();
    // Open collections: their anchor id (0 for none) and their weight so far.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut expanded = 0usize;
    for item in parser {
        let (event, span) = item.ok()?;
        let (anchor, weight) = match event {
            Event::Scalar(value, _, anchor, _) => (anchor, NODE_BYTES.saturating_add(value.len())),
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                open.push((anchor, NODE_BYTES));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop()?,
            Event::Alias(anchor) => {
                // An alias to an anchor still open weighs nothing here: serde-saphyr refuses it.
                let weight = weights.get(anchor).copied().unwrap_or(0);
                expanded = expanded.saturating_add(weight);
                if expanded > limits.max_alias_bytes {
                    let start = span.start.byte_offset()?;
                    let end = span.end.byte_offset()?;
                    return Some((start, end.saturating_sub(start).max(1), expanded));
                }
                (0, weight)
            }
            _ => continue,
        };
        if anchor != 0 {
            if weights.len() <= anchor {
                weights.resize(anchor.saturating_add(1), 0);
            }
            weights[anchor] = weight;
        }
        if let Some((_, parent)) = open.last_mut() {
            *parent = parent.saturating_add(weight);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_alias_bytes: usize) -> Limits {
        Limits {
            max_alias_bytes,
            ..Limits::default()
        }
    }

    /// A billion-laughs document: `levels` anchors, each a list of ten aliases to the one before.
    fn laughs(levels: usize) -> String {
        let mut text = String::from("a0: &a0 [\"lol\"]\n");
        for i in 1..=levels {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        text
    }

    #[test]
    fn a_document_without_aliases_expands_nothing() {
        assert_eq!(over_budget("a: [1, 2, {b: c}]\n", &limits(0)), None);
    }

    #[test]
    fn each_alias_weighs_its_anchor_with_the_aliases_inside_it() {
        // a0 is a list and a scalar: two nodes and "lol". a1 is ten of a0.
        let a0 = 2 * NODE_BYTES + 3;
        let text = laughs(1);
        assert_eq!(over_budget(&text, &limits(10 * a0)), None);
        let (offset, len, bytes) = over_budget(&text, &limits(10 * a0 - 1)).unwrap_or_default();
        assert_eq!(bytes, 10 * a0);
        assert_eq!(&text[offset..offset + len], "*a0");
        // The tenth alias is the one over the limit.
        assert_eq!(text[..offset].matches("*a0").count(), 9);
    }

    #[test]
    fn a_long_scalar_replayed_weighs_its_length_each_time() {
        let text = format!("a: &big \"{}\"\nb: [*big, *big, *big]\n", "x".repeat(1000));
        let (_, _, bytes) = over_budget(&text, &limits(2500)).unwrap_or_default();
        assert_eq!(bytes, 3 * (NODE_BYTES + 1000));
    }

    #[test]
    fn a_billion_laughs_stops_at_the_first_alias_over_the_budget() {
        // Nine levels would be a billion nodes; the weights saturate rather than overflow.
        let text = laughs(9);
        let (offset, _, bytes) = over_budget(&text, &Limits::default()).unwrap_or_default();
        assert!(bytes > Limits::default().max_alias_bytes, "{bytes}");
        assert!(offset > 0);
    }
}
