//! [`Field`]: one member of a JSON value from outside (the auth answer), deserialized by serde
//! with whatever type it has, so that the rules in `wire.rs` check its type themselves and can
//! name a field of the wrong type without quoting its value (serde's own type errors quote the
//! value, which could be a token).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A member of a JSON object, by type. Absent members are [`Field::Absent`] (`#[serde(default)]`).
#[derive(Clone, PartialEq, Debug, Default)]
pub enum Field {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array,
    Object,
}

impl Field {
    /// The type, as an error message says it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Field::Absent => "absent",
            Field::Null => "null",
            Field::Bool(_) => "a boolean",
            Field::Number(_) => "a number",
            // Lone surrogates reach Rust as U+FFFD; none of the SDK's fields holds one.
            Field::String(s) if !is_valid_unicode(s) => "a string that is not valid Unicode",
            Field::String(_) => "a string",
            Field::Array => "an array",
            Field::Object => "an object",
        }
    }

    /// A string that is valid Unicode.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::String(s) if is_valid_unicode(s) => Some(s),
            _ => None,
        }
    }

    /// A number that is a whole number where doubles are exact (up to 2^53).
    pub fn as_integer(&self) -> Option<i64> {
        const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
        match self {
            Field::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_EXACT => Some(*n as i64),
            _ => None,
        }
    }
}

/// Whether a string that came from JS was valid Unicode: lone surrogates reach Rust as U+FFFD,
/// and none of the SDK's values holds one. (A scan by `char`: `str::contains` would link the
/// substring searcher into the `.wasm`.)
pub fn is_valid_unicode(text: &str) -> bool {
    !text.chars().any(|c| c == '\u{FFFD}')
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Field, E> {
        Ok(Field::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        Field::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Field, E> {
        Ok(Field::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Field, E> {
        Ok(Field::Number(n as f64))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Field, E> {
        Ok(Field::Number(n as f64))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Field, E> {
        Ok(Field::Number(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
        Ok(Field::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Field, E> {
        Ok(Field::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Object)
    }
}
