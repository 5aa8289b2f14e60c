//! Stored JSON read by hand: one parse into a [`Json`] (by the core's own parser, [`text`], not
//! serde_json's), then each field read with the helpers here. The sync state ([`SyncState::from_json`](crate::SyncState::from_json)) and
//! the write queue ([`WriteQueue::from_json`](crate::queue::WriteQueue::from_json)) are read
//! this way; their `Serialize` (the text written) is the derived one.
//!
//! Not `serde_json::from_str` into the derived `Deserialize`: serde's type errors name a
//! number as `Unexpected::Float`, whose `f64` Display keeps Rust's float printing (flt2dec,
//! about 14 KB of the npm `davkit/protocol` module) alive; a typed read of JSON was the only
//! thing left that kept it there. The derives stay for Rust callers that embed these types.
//!
//! What is accepted is what the derived readers accept for a JSON object: missing
//! `#[serde(default)]` and `Option` fields take their default, `null` is `None` for an
//! `Option` and a type error for any other field, unknown fields are ignored (none of these
//! types denies them), numbers must be integers in range. Two spellings the derive also took
//! and no version ever wrote are refused: a struct given as an array, a unit variant given as
//! `{"name": null}`. A field given twice takes its last value (serde refused it; a map's key
//! given twice took the last with serde too, as `JSON.parse` does). Messages follow serde's (`missing field`, `invalid type: X,
//! expected Y`, `invalid value`, `unknown variant`) and name the field by its path
//! (`entries[2].op.data`), without serde's line and column, and a float without its value
//! (`invalid type: floating point, expected u64`; see `unexpected`).
//!
//! The value readers (`string`, `uint`, `int`, `variant`, `name`) and the messages
//! (`wrong_type`, `missing`, `unknown_field`) are public but hidden: the wasm binding reads the
//! options it is given from JS with them, so one rule says what a field accepts and how a
//! refusal reads, in the core and in the binding.
//!
//! Servers' JSON answers the core reads into types are read the same way: the OAuth token
//! endpoint's ([`crate::oauth`]) and the Google Calendar API's pages and calendar lists
//! (`gcal::ops::read`); their `Deserialize` derives stay for Rust callers. Those readers and
//! the derives are compared in `json_read/answers.rs`. What a parsed value holds is many times
//! its text, so a Calendar API answer is parsed only when a scan finds it weighs at most
//! [`Limits::max_json_values`](crate::Limits::max_json_values) values
//! ([`text::weight_within`]: keys and containers weighed by what they cost parsed), and a token or error answer only when it is at most 64 KiB.
//!
//! The text is parsed by [`text`], here and wherever the core or the wasm binding reads JSON
//! (the answers above, Google's error bodies, the binding's arguments): the same values and
//! refusals as `serde_json::from_str::<Value>`, without linking serde_json's `Deserializer`
//! (its visitors, number and string readers). Measured 2026-12-02 on the npm modules (names
//! stripped): `davkit/protocol` 583,780 -> 566,218 B raw, 225,968 -> 218,802 B gzip; the full
//! `davkit` 1,055,213 -> 1,037,892 B raw, 408,523 -> 401,171 B gzip. Since 2026-12-03 it
//! parses into the core's [`Json`], not serde_json's `Value` (see [`Json`] for why).
//!
//! Fields are read from the borrowed value, their strings copied. Measured 2026-12-02 (native,
//! one-off, median of 31): a state of 1,000 etags reads in 1.4-1.8x the derive's time (0.3 ms
//! against 0.2), a queue of 1,000 updates in 2.5-2.9x (3 ms against 1.1); moving the fields
//! out of the value instead (with `BTreeMap::remove`, or one walk into slots) read the state in
//! 1.1-1.2x but made the `davkit/protocol` module 4-7 KB larger, and size is this module's
//! reason to exist.

use crate::error::{Error, ErrorKind};
use crate::string_map::StringMap;
use crate::string_set::StringSet;

/// What is wrong with a value, naming where; the crate's `invalid` makes it an error.
pub type Read<T> = std::result::Result<T, String>;

pub mod text;
mod value;

pub use value::Json;
use value::member;

/// Parses JSON text (`what` names the thing stored, in the error for text that is not JSON).
pub(crate) fn parse(json: &str, what: &str) -> crate::Result<Json> {
    text::parse(json).map_err(|e| invalid(what, &e.to_string()))
}

/// The `InvalidInput` error for a stored `what` (`sync state`, `write queue`).
pub(crate) fn invalid(what: &str, message: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("not a davkit {what}: {message}"),
    )
}

/// How serde names a JSON value in its type errors (`integer \`5\``, `string "x"`, `map`).
/// A float goes without its value: printing one takes a float formatter and its tables, about
/// 2 KB of gzip in each WebAssembly module, for an error message whose path already names the
/// field.
fn unexpected(v: &Json) -> String {
    match v {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => format!("boolean `{b}`"),
        Json::Number(n) => match integer(n) {
            Some(i) => format!("integer `{i}`"),
            None => "floating point".to_owned(),
        },
        Json::String(s) => format!("string {}", crate::quoted::Quoted(s)),
        Json::Array(_) => "sequence".to_owned(),
        Json::Object(_) => "map".to_owned(),
    }
}

/// A whole number's decimal text (`None` for a float). Not the number's own `Display`, which
/// can print a float and so links the float formatter in.
fn integer(n: &serde_json::Number) -> Option<String> {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => Some(u.to_string()),
        (_, Some(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// `at` and a message: "`entries[0].url`: message", or the message alone at the top.
fn at_path(at: &str, message: &str) -> String {
    if at.is_empty() {
        message.to_owned()
    } else {
        format!("`{at}`: {message}")
    }
}

/// The path of `key` under `at`.
pub fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// `invalid type: <v>, expected <expected>` at `at`.
pub fn wrong_type(at: &str, v: &Json, expected: &str) -> String {
    at_path(
        at,
        &format!("invalid type: {}, expected {expected}", unexpected(v)),
    )
}

/// A string at `at`.
pub fn string(at: &str, v: &Json) -> Read<String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        _ => Err(wrong_type(at, v, "a string")),
    }
}

/// A whole number from 0 to `max` at `at` (`name`: the Rust type serde names, `u32`).
pub fn uint(at: &str, v: &Json, max: u64, name: &str) -> Read<u64> {
    match v {
        Json::Number(n) if n.is_u64() || n.is_i64() => match n.as_u64().filter(|n| *n <= max) {
            Some(n) => Ok(n),
            None => Err(at_path(
                at,
                &format!(
                    "invalid value: integer `{}`, expected {name}",
                    integer(n).unwrap_or_default()
                ),
            )),
        },
        _ => Err(wrong_type(at, v, name)),
    }
}

/// The index of the string `v` in `names` (an enum's variants as serialised), or serde's
/// `unknown variant` error.
pub fn variant(at: &str, v: &Json, names: &[&str]) -> Read<usize> {
    let Json::String(s) = v else {
        return Err(wrong_type(at, v, "a variant name (a string)"));
    };
    name(at, s, names)
}

/// The index of `s` in `names`, or serde's `unknown variant` error.
pub fn name(at: &str, s: &str, names: &[&str]) -> Read<usize> {
    names.iter().position(|n| *n == s).ok_or_else(|| {
        at_path(
            at,
            &format!("unknown variant `{s}`, expected {}", one_of(names)),
        )
    })
}

/// A whole number from `i64::MIN` to `i64::MAX` at `at`.
pub fn int(at: &str, v: &Json) -> Read<i64> {
    match v {
        Json::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        Json::Number(n) if n.is_u64() => Err(at_path(
            at,
            &format!(
                "invalid value: integer `{}`, expected i64",
                integer(n).unwrap_or_default()
            ),
        )),
        _ => Err(wrong_type(at, v, "i64")),
    }
}

/// Serde's `missing field` message for `key` of the object at `at`.
pub fn missing(at: &str, key: &str) -> String {
    at_path(at, &format!("missing field `{key}`"))
}

/// Serde's `unknown field` message (`deny_unknown_fields`) for `key` of the object at `at`,
/// whose fields are `known`.
pub fn unknown_field(at: &str, key: &str, known: &[&str]) -> String {
    at_path(
        at,
        &format!("unknown field `{key}`, expected {}", one_of(known)),
    )
}

/// Serde's list of expected names: `` `a` ``, `` `a` or `b` ``, `` one of `a`, `b`, `c` ``.
fn one_of(names: &[&str]) -> String {
    let mut out = String::new();
    if names.len() > 2 {
        out.push_str("one of ");
    }
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(if names.len() == 2 { " or " } else { ", " });
        }
        out.push('`');
        out.push_str(n);
        out.push('`');
    }
    out
}

/// The fields of a JSON object, read one by one.
pub struct Fields<'a> {
    map: &'a [(String, Json)],
    at: &'a str,
}

impl<'a> Fields<'a> {
    /// The fields of `v` at `at` (empty at the top), which must be an object (`expected`
    /// names it in the error).
    pub fn of(at: &'a str, v: &'a Json, expected: &str) -> Read<Self> {
        match v {
            Json::Object(map) => Ok(Fields { map, at }),
            _ => Err(wrong_type(at, v, expected)),
        }
    }

    /// The path of one of the fields (for reading a nested value).
    pub fn path(&self, key: &str) -> String {
        join(self.at, key)
    }

    /// The names of the fields, in the object's order (a name given twice, twice).
    pub fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.map.iter().map(|(k, _)| k.as_str())
    }

    /// The field's value as given (`null` included), `None` when absent.
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        member(self.map, key)
    }

    /// The field's value, neither absent nor `null`.
    pub fn present(&self, key: &str) -> Option<&'a Json> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// A required field's value (`null` included).
    pub fn required(&self, key: &str) -> Read<&'a Json> {
        self.get(key).ok_or_else(|| missing(self.at, key))
    }

    /// A required string.
    pub fn string(&self, key: &str) -> Read<String> {
        string(&self.path(key), self.required(key)?)
    }

    /// An optional string (absent or `null`: `None`).
    pub fn opt_string(&self, key: &str) -> Read<Option<String>> {
        self.present(key)
            .map(|v| string(&self.path(key), v))
            .transpose()
    }

    /// A required `u64`.
    pub fn u64(&self, key: &str) -> Read<u64> {
        uint(&self.path(key), self.required(key)?, u64::MAX, "u64")
    }

    /// A required `u32`.
    pub fn u32(&self, key: &str) -> Read<u32> {
        let n = uint(&self.path(key), self.required(key)?, u32::MAX.into(), "u32")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A whole number from 0 to `max` that is `default` when absent (`null` is a type error,
    /// as with serde's `#[serde(default)]`).
    pub fn uint_or(&self, key: &str, default: u64, max: u64, name: &str) -> Read<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => uint(&self.path(key), v, max, name),
        }
    }

    /// An optional whole number from 0 to `max` (absent or `null`: `None`).
    pub fn opt_uint(&self, key: &str, max: u64, name: &str) -> Read<Option<u64>> {
        self.present(key)
            .map(|v| uint(&self.path(key), v, max, name))
            .transpose()
    }

    /// A boolean that is false when absent (`null` is a type error).
    pub fn flag(&self, key: &str) -> Read<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Json::Bool(b)) => Ok(*b),
            Some(v) => Err(wrong_type(&self.path(key), v, "a boolean")),
        }
    }

    /// An array of strings that is empty when absent (`null` is a type error).
    pub fn strings(&self, key: &str) -> Read<Vec<String>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => {
                let at = self.path(key);
                // A loop, not a `collect` into a `Result` (its own `Vec` code in the wasm modules).
                let mut out = Vec::new();
                for i in items {
                    out.push(string(&at, i)?);
                }
                Ok(out)
            }
            Some(v) => Err(wrong_type(&self.path(key), v, "a sequence")),
        }
    }

    /// A set of strings that is empty when absent (`null` is a type error).
    pub fn string_set(&self, key: &str) -> Read<StringSet> {
        let mut set = StringSet::new();
        for s in self.strings(key)? {
            set.insert(s);
        }
        Ok(set)
    }

    /// A map of strings to strings that is empty when absent (`null` is a type error).
    pub fn string_map(&self, key: &str) -> Read<StringMap> {
        match self.get(key) {
            None => Ok(StringMap::new()),
            Some(Json::Object(map)) => {
                // Inserted one by one, in the text's order (a key given twice: its last value
                // stays), as every map and set of strings in the core is built: a `collect` is
                // its own copy of the map's sort and bulk building in the WebAssembly module.
                let at = self.path(key);
                let mut out = StringMap::new();
                for (k, v) in map {
                    out.insert(k.clone(), string(&at, v)?);
                }
                Ok(out)
            }
            Some(v) => Err(wrong_type(&self.path(key), v, "a map")),
        }
    }

    /// The variant named by a required tag field (`type`, `state`) among `names`.
    pub fn tag(&self, key: &str, names: &[&str]) -> Read<usize> {
        variant(&self.path(key), self.required(key)?, names)
    }
}

/// Serde's `duplicate field` message for `key` of the object at `at` (a field given under
/// its name and under an alias, which the derive refuses).
pub fn duplicate(at: &str, key: &str) -> String {
    at_path(at, &format!("duplicate field `{key}`"))
}

#[cfg(test)]
mod answers;
#[cfg(test)]
mod mutate;
#[cfg(test)]
mod tests;
