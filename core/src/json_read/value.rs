//! [`Json`]: the value the core's JSON parser ([`super::text`]) gives.

use serde_json::Number;

/// A JSON value as [`super::text`] reads it: serde_json's [`Number`], and objects as their
/// members in the text's order, a key given twice included. [`Json::get`] finds a key's last
/// member: a key given twice takes its last value, as with `JSON.parse` and serde_json's
/// `Value` ([`Json::into_value`] gives that `Value`).
///
/// Not serde_json's `Value`: its objects are `BTreeMap`s, whose code for that one key and
/// value type (insertion, search, iteration, drop) was 5 KB of each WebAssembly module, for
/// objects that are read once, field by field.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json holds it (an unsigned or negative integer, or a finite float).
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: its members in the text's order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value of an object's member `key` (its last, when given twice); `None` for another
    /// kind of value.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => member(members, key),
            _ => None,
        }
    }

    /// [`get`](Json::get)'s value, taken out of the object (the rest of it dropped).
    pub fn into_member(self, key: &str) -> Option<Json> {
        match self {
            Json::Object(members) => members
                .into_iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, for a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, for an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// serde_json's `Value` of the same text (a key given twice: its last value), for the
    /// Calendar API's events, which callers receive as `Value`s.
    pub fn into_value(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(s) => Value::String(s),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.into_value());
                }
                Value::Array(out)
            }
            Json::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in members {
                    map.insert(k, v.into_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// The value of the last member named `key`.
pub(crate) fn member<'a>(members: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}
