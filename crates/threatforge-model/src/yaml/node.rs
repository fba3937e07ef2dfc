//! A YAML document as a tree of nodes that remember where they are.
//!
//! serde-saphyr parses the text (with its budgets against alias bombs and deep nesting) into this
//! tree through the `Deserialize` impls below, which define the tree's spans and values;
//! the `fast` module builds the same tree straight from the parser's events for the documents it is
//! sure to read the same way. The `de` module then deserializes typed model structs from the tree.
//! Going through a tree costs one extra copy, and buys two things the direct path cannot give:
//! every entity of a model is deserialized on its own, so one bad component does not hide the
//! problems of the next, and every error carries the exact position of the node it is about.

use compact_str::CompactString;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Position of a node inside its file, as a byte range plus the 1-based line and column that
/// serde-saphyr reported (kept for inputs where byte offsets are not known).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeSpan {
    pub start: u32,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: NodeSpan,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Inline up to 24 bytes: most keys and values of a model allocate nothing.
    Str(CompactString),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What the value is, as a user would call it in an error message.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Removes, anywhere below this node, the mapping entry whose key starts at `key_start`, and
    /// returns its key. Used to retry a deserialization after reporting an error in that entry.
    pub fn remove_key_at(&mut self, key_start: u32) -> Option<Node> {
        match &mut self.value {
            Value::Map(entries) => {
                if let Some(i) = entries.iter().position(|(k, _)| k.span.start == key_start) {
                    return Some(entries.remove(i).0);
                }
                entries
                    .iter_mut()
                    .find_map(|(_, v)| v.remove_key_at(key_start))
            }
            Value::Seq(items) => items.iter_mut().find_map(|n| n.remove_key_at(key_start)),
            _ => None,
        }
    }
}

/// A mapping key given again: where it was first, and where again (the later entry is dropped).
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    pub key: String,
    pub first: NodeSpan,
    pub again: NodeSpan,
}

/// Mappings with more entries than this find duplicates with a hash map; smaller ones compare
/// every pair (a model's mappings have two to ten keys).
const PAIRWISE_UP_TO: usize = 16;

impl Node {
    /// Removes, anywhere in the tree, every mapping entry whose key an earlier entry of the same
    /// mapping already has, and says which. The first definition is the one kept: it is the one
    /// a reader meets first, and the model stays what the file says at its first mention.
    pub fn drop_duplicate_keys(&mut self, found: &mut Vec<Duplicate>) {
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.drop_duplicate_keys(found)),
            Value::Map(entries) => {
                let again = duplicate_entries(entries);
                for (first, later) in again.iter().rev() {
                    let (key, _) = entries.remove(*later);
                    found.push(Duplicate {
                        key: key_text(&key.value),
                        first: *first,
                        again: key.span,
                    });
                }
                for (_, value) in entries.iter_mut() {
                    value.drop_duplicate_keys(found);
                }
            }
            _ => {}
        }
    }
}

/// The entries whose key an earlier entry has: (the first entry's key span, the later index), in
/// order of the later index.
fn duplicate_entries(entries: &[(Node, Node)]) -> Vec<(NodeSpan, usize)> {
    let mut again = Vec::new();
    if entries.len() <= PAIRWISE_UP_TO {
        for (i, (key, _)) in entries.iter().enumerate() {
            if let Some((first, _)) = entries[..i].iter().find(|(k, _)| k.value == key.value) {
                again.push((first.span, i));
            }
        }
        return again;
    }
    let mut seen = std::collections::HashMap::with_capacity(entries.len());
    for (i, (key, _)) in entries.iter().enumerate() {
        // Keys are compared as serde-saphyr compares them: by their text for strings, and by
        // value otherwise (`1` and `1.0` are told apart, as there).
        let text = match &key.value {
            Value::Str(s) => format!("s{s}"),
            other => format!("v{other:?}"),
        };
        match seen.get(&text) {
            Some(first) => again.push((*first, i)),
            None => {
                seen.insert(text, key.span);
            }
        }
    }
    again
}

fn key_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.to_string(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => value.kind().to_owned(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(deserializer)?;
        let span = spanned.referenced.span();
        let start = span.byte_offset().unwrap_or(0);
        let len = span.byte_len().unwrap_or(0);
        Ok(Node {
            span: NodeSpan {
                start: u32::try_from(start).unwrap_or(u32::MAX),
                len: u32::try_from(len).unwrap_or(0),
            },
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(CompactString::new(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(CompactString::from(v)))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(CompactString::from_utf8_lossy(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(node) = seq.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, start: u32) -> Node {
        Node {
            span: NodeSpan { start, len: 1 },
            value: Value::Str(CompactString::new(s)),
        }
    }

    /// Both ways of finding duplicates (pairwise for small mappings, hashed for large ones) keep
    /// the first entry of each key and report every later one.
    #[test]
    fn later_duplicates_are_dropped_and_reported_in_small_and_large_mappings() {
        for size in [3u32, 40] {
            let mut entries: Vec<(Node, Node)> = (0..size)
                .map(|i| (text(&format!("k{i}"), i * 10), text("first", i * 10 + 1)))
                .collect();
            entries.push((text("k1", 1000), text("again", 1001)));
            entries.push((text("k2", 1010), text("again", 1011)));
            entries.push((text("k1", 1020), text("again", 1021)));
            let mut node = Node {
                span: NodeSpan::default(),
                value: Value::Seq(vec![Node {
                    span: NodeSpan::default(),
                    value: Value::Map(entries),
                }]),
            };
            let mut found = Vec::new();
            node.drop_duplicate_keys(&mut found);
            found.sort_by_key(|d| d.again.start);
            let seen: Vec<(&str, u32, u32)> = found
                .iter()
                .map(|d| (d.key.as_str(), d.first.start, d.again.start))
                .collect();
            assert_eq!(seen, [("k1", 10, 1000), ("k2", 20, 1010), ("k1", 10, 1020)]);
            let Value::Seq(items) = &node.value else {
                panic!("still a list")
            };
            let Value::Map(kept) = &items[0].value else {
                panic!("still a mapping")
            };
            assert_eq!(kept.len(), size as usize);
            assert!(kept.iter().all(|(_, v)| v.as_str() == Some("first")));
        }
    }
}
