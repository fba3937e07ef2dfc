//! [`Sp<T>`]: a value from a model file together with where it was written.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

use crate::source::{FileId, Span};

pub(crate) const SPANNED_MARKER: &str = "$threatforge::Sp";
pub(crate) const SPAN_FIELD: &str = "$span";
pub(crate) const VALUE_FIELD: &str = "$value";

/// A value and its span. Compares, hashes and serializes as the bare value, so it can stand in a
/// model type without changing what the model means.
#[derive(Clone, Default)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }

    /// A value that was not written in any file (a default, or built by an importer).
    pub fn synthetic(value: T) -> Self {
        Sp {
            value,
            span: Span::default(),
        }
    }
}

impl<T> Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Sp<T> {}

impl<T: PartialOrd> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: Hash> Hash for Sp<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(
            SPANNED_MARKER,
            &[SPAN_FIELD, VALUE_FIELD],
            SpVisitor(PhantomData),
        )
    }
}

struct SpVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpVisitor<T> {
    type Value = Sp<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sp<T>, A::Error> {
        let mut span = Span::default();
        let mut value = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                SPAN_FIELD => {
                    let [packed, len]: [u64; 2] = map.next_value()?;
                    span = Span {
                        file: FileId((packed >> 32) as u32),
                        start: (packed & 0xffff_ffff) as u32,
                        len: len as u32,
                    };
                }
                VALUE_FIELD => value = Some(map.next_value()?),
                _ => {
                    return Err(de::Error::custom(
                        "a spanned value can only be read from a threatforge model file",
                    ));
                }
            }
        }
        match value {
            Some(value) => Ok(Sp { value, span }),
            None => Err(de::Error::missing_field(VALUE_FIELD)),
        }
    }
}
