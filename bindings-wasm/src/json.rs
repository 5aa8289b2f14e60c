//! The one key casing rule for JS: every output is written by the core's JSON writer
//! ([`davkit::json_write`]) with struct field names (and the tag field of an internally tagged
//! enum, which serde writes as a struct field) in camelCase, while map keys (data: hrefs,
//! header names) and variant names stay as they are. `convert::output` hands the text to one
//! `JSON.parse`.
//!
//! The text is what `serde_json::to_string` writes (same escapes, same field order), only the
//! struct field names differ: the core's tests compare the writer with serde_json, names kept
//! and camelCase; `json/tests.rs` compares the outputs with the text rewriter it replaced. The
//! same writer writes the core's stored states (names kept), so the module links one JSON
//! writer, not serde_json's serializer as well.

use davkit::json_write::{self, Keys, NotJson};
use serde::Serialize;

/// `value` as compact JSON text with JS key names; [`NotJson`] for a value that is not JSON
/// (`convert::output` writes `null` for it).
pub(crate) fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, NotJson> {
    json_write::to_text(value, Keys::Camel)
}

/// `display_name` -> `displayName` (the rule of the writer's field names as a string).
#[cfg(test)]
pub(crate) fn camel(key: &str) -> String {
    json_write::camel(key)
}

/// The JSON text of an object that [`to_text`] writes as it is ([`merged`]).
#[cfg(feature = "formats")]
pub(crate) use json_write::Fragment;

/// The fields of two structs in one object, `first`'s then `second`'s, with JS key names:
/// what `#[serde(flatten)]` did (which serde writes as map entries, so its keys kept their Rust
/// names). `null` if either is not an object (or cannot be serialised, as `convert::output`
/// writes `null` for a value it cannot serialise). For `expand` (the `formats` feature).
#[cfg(feature = "formats")]
pub(crate) fn merged<A: Serialize, B: Serialize>(first: &A, second: &B) -> Fragment {
    json_write::merged(first, second, Keys::Camel)
}

#[cfg(all(test, feature = "client", feature = "formats"))]
mod tests;
