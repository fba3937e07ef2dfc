//! A serde `Deserializer` over a [`Node`] tree, with errors that know their position.
//!
//! Written by hand because no YAML crate lets a typed deserialization go on after the first error;
//! here each entity is deserialized from its own subtree, so the loader reports every broken
//! entity in one run. It also gives [`Sp`] (a value with its span) and structured errors for
//! unknown keys and values, from which the loader builds "did you mean" suggestions.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::node::{Node, NodeSpan, Value};
use crate::source::{FileId, Span};
use crate::sp::SPANNED_MARKER;

/// What went wrong, in a form the loader can turn into a precise diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    DuplicateField(&'static str),
    InvalidType {
        found: String,
        expected: String,
    },
    Custom(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Error {
    pub kind: ErrorKind,
    /// The node the error is about; set by the innermost node deserializer that saw the error.
    pub span: Option<NodeSpan>,
    /// The key of the innermost mapping entry the error is in (for an unknown key, that key), so
    /// the loader can report the error, drop the entry and read the rest again.
    pub key_start: Option<u32>,
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            span: None,
            key_start: None,
        }
    }

    fn at(mut self, span: NodeSpan) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::UnknownField { field, .. } => write!(f, "unknown key `{field}`"),
            ErrorKind::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            ErrorKind::MissingField(field) => write!(f, "missing required key `{field}`"),
            ErrorKind::DuplicateField(field) => write!(f, "key `{field}` is given twice"),
            ErrorKind::InvalidType { found, expected } => {
                write!(f, "expected {expected}, found {found}")
            }
            ErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Custom(msg.to_string()))
    }

    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Error::new(ErrorKind::InvalidType {
            found: describe_unexpected(&unexp),
            expected: exp.to_string(),
        })
    }

    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Error::new(ErrorKind::InvalidType {
            found: describe_unexpected(&unexp),
            expected: exp.to_string(),
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorKind::UnknownVariant {
            variant: variant.to_owned(),
            expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorKind::UnknownField {
            field: field.to_owned(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(ErrorKind::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Error::new(ErrorKind::DuplicateField(field))
    }
}

fn describe_unexpected(unexp: &de::Unexpected) -> String {
    match unexp {
        de::Unexpected::Map => "a mapping".into(),
        de::Unexpected::Seq => "a list".into(),
        de::Unexpected::Unit | de::Unexpected::Option => "nothing (null)".into(),
        de::Unexpected::Str(s) => format!("the string `{s}`"),
        other => other.to_string(),
    }
}

/// Deserializes from one node of a file.
#[derive(Clone, Copy)]
pub(crate) struct NodeDeserializer<'a> {
    node: &'a Node,
    file: FileId,
}

impl<'a> NodeDeserializer<'a> {
    pub(crate) fn new(node: &'a Node, file: FileId) -> Self {
        NodeDeserializer { node, file }
    }

    fn child(&self, node: &'a Node) -> Self {
        NodeDeserializer {
            node,
            file: self.file,
        }
    }

    fn span(&self) -> NodeSpan {
        self.node.span
    }

    fn invalid_type(&self, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::InvalidType {
            found: self.node.value.kind().to_owned(),
            expected: expected.to_string(),
        })
        .at(self.span())
    }
}

/// Deserializes a `T` from a node, with the error positioned.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(
    node: &Node,
    file: FileId,
) -> Result<T, Error> {
    T::deserialize(NodeDeserializer::new(node, file))
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.span();
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDeserializer {
                parent: self,
                items: items.iter(),
            }),
            Value::Map(entries) => visitor.visit_map(MapDeserializer {
                parent: self,
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    /// Scalars given where text is expected (`version: 2`) are read as their text: users should
    /// not have to quote a version number.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.span();
        let result = match &self.node.value {
            Value::Str(s) => visitor.visit_str(s),
            Value::Int(i) => visitor.visit_string(i.to_string()),
            Value::Float(f) => visitor.visit_string(f.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            _ => Err(self.invalid_type(&visitor)),
        };
        result.map_err(|e| e.at(span))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let span = self.span();
        visitor.visit_newtype_struct(self).map_err(|e| e.at(span))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED_MARKER {
            let span = self.node.span;
            let full = Span {
                file: self.file,
                start: span.start,
                len: span.len,
            };
            return visitor.visit_map(SpannedAccess {
                value: Some(self),
                span: Some(full),
            });
        }
        let _ = fields;
        match self.node.value {
            Value::Map(_) => self.deserialize_any(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Seq(_) => self.deserialize_any(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Map(_) => self.deserialize_any(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let span = self.span();
        let result = match &self.node.value {
            Value::Str(_) => visitor.visit_enum(EnumDeserializer {
                variant: self,
                value: None,
            }),
            Value::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(EnumDeserializer {
                    variant: self.child(key),
                    value: Some(self.child(value)),
                })
            }
            _ => Err(self.invalid_type(&visitor)),
        };
        result.map_err(|e| e.at(span))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
        deserialize_byte_buf deserialize_unit
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }
}

struct SeqDeserializer<'a> {
    parent: NodeDeserializer<'a>,
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for SeqDeserializer<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(self.parent.child(node))
                .map(Some)
                .map_err(|e| e.at(node.span)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDeserializer<'a> {
    parent: NodeDeserializer<'a>,
    entries: std::slice::Iter<'a, (Node, Node)>,
    /// The entry whose key was read last: its value is read next.
    value: Option<&'a (Node, Node)>,
}

impl<'de> MapAccess<'de> for MapDeserializer<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some(entry) => {
                let key = &entry.0;
                self.value = Some(entry);
                seed.deserialize(self.parent.child(key))
                    .map(Some)
                    .map_err(|mut e| {
                        if matches!(e.kind, ErrorKind::UnknownField { .. }) {
                            e.key_start = Some(key.span.start);
                        }
                        e.at(key.span)
                    })
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            // The innermost entry whose value is wrong is the one to drop for a retry.
            Some((key, node)) => seed.deserialize(self.parent.child(node)).map_err(|mut e| {
                e.key_start.get_or_insert(key.span.start);
                e.at(node.span)
            }),
            None => Err(de::Error::custom("a mapping value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDeserializer<'a> {
    variant: NodeDeserializer<'a>,
    value: Option<NodeDeserializer<'a>>,
}

impl<'de, 'a> EnumAccess<'de> for EnumDeserializer<'a> {
    type Error = Error;
    type Variant = VariantDeserializer<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let span = self.variant.span();
        let variant = seed.deserialize(self.variant).map_err(|e| e.at(span))?;
        Ok((
            variant,
            VariantDeserializer {
                value: self.value,
                span,
            },
        ))
    }
}

struct VariantDeserializer<'a> {
    value: Option<NodeDeserializer<'a>>,
    span: NodeSpan,
}

impl<'de> VariantAccess<'de> for VariantDeserializer<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None => Ok(()),
            Some(value) => Err(Error::new(ErrorKind::InvalidType {
                found: value.node.value.kind().to_owned(),
                expected: "a plain name".to_owned(),
            })
            .at(value.span())),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(Error::new(ErrorKind::InvalidType {
                found: "a plain name".to_owned(),
                expected: "a mapping with one key".to_owned(),
            })
            .at(self.span)),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_seq(visitor),
            None => Err(Error::new(ErrorKind::Custom("expected a list".into())).at(self.span)),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(value) => value.deserialize_map(visitor),
            None => Err(Error::new(ErrorKind::Custom("expected a mapping".into())).at(self.span)),
        }
    }
}

/// Feeds [`crate::sp::Sp`]'s visitor the span fields, then the value itself.
struct SpannedAccess<'a> {
    value: Option<NodeDeserializer<'a>>,
    span: Option<Span>,
}

impl<'de> MapAccess<'de> for SpannedAccess<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = if self.span.is_some() {
            crate::sp::SPAN_FIELD
        } else if self.value.is_some() {
            crate::sp::VALUE_FIELD
        } else {
            return Ok(None);
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if let Some(span) = self.span.take() {
            let packed = (u64::from(span.file.0) << 32) | u64::from(span.start);
            let packed = [packed, u64::from(span.len)];
            return seed.deserialize(de::value::SeqDeserializer::new(packed.into_iter()));
        }
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("spanned value read twice")),
        }
    }
}
