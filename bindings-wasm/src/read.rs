//! Arguments read from JS: one `JSON.stringify` and one parse into a `davkit::json_read::Json` by the
//! core's parser (`davkit::json_read::text`, not serde_json's; `undefined` reads as `null`), then each field read by hand with the core's field readers
//! (`davkit::json_read`, which also reads stored sync states and write queues), wrapped here.
//!
//! Not `#[derive(Deserialize)]` with `serde_json::from_str` per options struct: each struct
//! read that way got its own copy of serde_json's deserializer (with its visitor and field
//! matcher inlined), about 2-4 KB of wasm each, 26 copies and 60 KB in all; these helpers
//! exist once. The messages follow serde's (`missing field`, `unknown field`, `unknown
//! variant`, `invalid type: ..., expected ...`), prefixed with what was read and the field.

// The smaller modules (`davkit/protocol`, `davkit/formats`) read fewer kinds of field.
#![cfg_attr(
    not(all(feature = "client", feature = "formats", feature = "gcal")),
    allow(dead_code)
)]

use std::borrow::Cow;

use davkit::json_read as rules;

use crate::convert;
use davkit::json_read::Json;
use davkit::{Error, ErrorKind};
use wasm_bindgen::JsValue;

/// A JS argument as a JSON value: `JSON.stringify`, then one parse (`undefined`, and what
/// `JSON.stringify` cannot write, read as `null`).
pub(crate) fn value(js: &JsValue) -> Json {
    if js.is_undefined() {
        return Json::Null;
    }
    let text = js_sys::JSON::stringify(js)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    parse(&text)
}

/// JSON text as a value (`null` for text that is not JSON, which `JSON.stringify` never writes).
pub(crate) fn parse(text: &str) -> Json {
    davkit::json_read::text::parse(text).unwrap_or(Json::Null)
}

/// An `InvalidInput` error about `what`.
pub(crate) fn invalid(what: &str, message: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("invalid {what}: {message}"),
    )
}

/// `invalid type: <v>, expected <expected>` about `what`.
pub(crate) fn wrong_type(what: &str, v: &Json, expected: &str) -> Error {
    invalid(what, &rules::wrong_type("", v, expected))
}

/// One of `names` (an enum's variants as JS spells them): its index, or serde's `unknown
/// variant` error.
pub(crate) fn variant(what: &str, v: &Json, names: &[&str]) -> Result<usize, Error> {
    rules::variant("", v, names).map_err(|m| invalid(what, &m))
}

/// The index of `s` in `names`, or serde's `unknown variant` error.
pub(crate) fn name(what: &str, s: &str, names: &[&str]) -> Result<usize, Error> {
    rules::name("", s, names).map_err(|m| invalid(what, &m))
}

/// A string (`what` names it in errors).
pub(crate) fn string(what: &str, v: &Json) -> Result<String, Error> {
    rules::string("", v).map_err(|m| invalid(what, &m))
}

/// The fields of a JS object (a JSON map), read one by one: the core's field readers
/// (`davkit::json_read`, one rule for what a field accepts and how a refusal reads), their
/// refusals made `InvalidInput` errors about `what`, plus the spellings only options have
/// (camelCase names with snake_case aliases, optional numbers and booleans, unknown fields
/// refused).
pub(crate) struct Fields<'a> {
    inner: rules::Fields<'a>,
    what: &'a str,
}

impl<'a> Fields<'a> {
    /// The fields of `v`, which must be an object (`expected` names it in the error).
    pub(crate) fn of(what: &'a str, v: &'a Json, expected: &str) -> Result<Self, Error> {
        let inner = rules::Fields::of("", v, expected).map_err(|m| invalid(what, &m))?;
        Ok(Fields { inner, what })
    }

    /// The fields of `v`, or `None` for `null` (an optional argument).
    pub(crate) fn optional(
        what: &'a str,
        v: &'a Json,
        expected: &str,
    ) -> Result<Option<Self>, Error> {
        if v.is_null() {
            return Ok(None);
        }
        Self::of(what, v, expected).map(Some)
    }

    /// The name `key` (a JS name, camelCase) has in this object: itself, or the core's
    /// snake_case spelling of it (`collection_url` for `collectionUrl`) when only that is
    /// present. The one casing rule for input, the inverse of the output's (`json.rs`).
    fn name<'k>(&self, key: &'k str) -> Cow<'k, str> {
        if self.inner.get(key).is_none() && key.bytes().any(|b| b.is_ascii_uppercase()) {
            let snake = convert::snake(key);
            if self.inner.get(&snake).is_some() {
                return Cow::Owned(snake);
            }
        }
        Cow::Borrowed(key)
    }

    /// A refusal from the core's readers as this object's error.
    fn ok<T>(&self, read: rules::Read<T>) -> Result<T, Error> {
        read.map_err(|m| invalid(self.what, &m))
    }

    /// The field's value (`null` included), `None` when absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Json> {
        self.inner.get(&self.name(key))
    }

    /// A required string.
    pub(crate) fn string(&self, key: &str) -> Result<String, Error> {
        self.ok(self.inner.string(&self.name(key)))
    }

    /// An optional string (absent or `null`: `None`).
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, Error> {
        self.ok(self.inner.opt_string(&self.name(key)))
    }

    /// An optional boolean (absent or `null`: `None`).
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.inner.present(&self.name(key)) {
            None => Ok(None),
            Some(_) => self.flag(key).map(Some),
        }
    }

    /// A boolean that defaults to false when absent (`null` is a type error, as with serde's
    /// `#[serde(default)]`).
    pub(crate) fn flag(&self, key: &str) -> Result<bool, Error> {
        self.ok(self.inner.flag(&self.name(key)))
    }

    /// An optional `u32`.
    pub(crate) fn opt_u32(&self, key: &str) -> Result<Option<u32>, Error> {
        let n = self.ok(self
            .inner
            .opt_uint(&self.name(key), u64::from(u32::MAX), "u32"))?;
        Ok(n.and_then(|n| u32::try_from(n).ok()))
    }

    /// An optional `u64`.
    pub(crate) fn opt_u64(&self, key: &str) -> Result<Option<u64>, Error> {
        self.ok(self.inner.opt_uint(&self.name(key), u64::MAX, "u64"))
    }

    /// An optional `usize`.
    pub(crate) fn opt_usize(&self, key: &str) -> Result<Option<usize>, Error> {
        let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        let n = self.ok(self.inner.opt_uint(&self.name(key), max, "usize"))?;
        Ok(n.and_then(|n| usize::try_from(n).ok()))
    }

    /// An optional `i64`.
    pub(crate) fn opt_i64(&self, key: &str) -> Result<Option<i64>, Error> {
        let key = self.name(key);
        let read = self.inner.present(&key).map(|v| rules::int(&key, v));
        self.ok(read.transpose())
    }

    /// An array of strings that defaults to empty when absent (`null` is a type error).
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        self.ok(self.inner.strings(&self.name(key)))
    }

    /// A required array of strings.
    pub(crate) fn required_strings(&self, key: &str) -> Result<Vec<String>, Error> {
        self.ok(self.inner.required(&self.name(key)))?;
        self.strings(key)
    }

    /// A nested object, `None` when absent or `null` (its fields named without the path, in
    /// errors about the same `what`).
    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, Error> {
        let Some(v) = self.inner.present(&self.name(key)) else {
            return Ok(None);
        };
        match v {
            Json::Object(_) => Self::of(self.what, v, "a map").map(Some),
            _ => Err(invalid(self.what, &rules::wrong_type(key, v, "a map"))),
        }
    }

    /// Refuses a field not in `known` (serde's `deny_unknown_fields`).
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), Error> {
        // A known name in the core's snake_case spelling is known too (see `name`).
        let is_known = |k: &str| known.iter().any(|n| *n == k || convert::snake(n) == k);
        match self.inner.keys().find(|k| !is_known(k)) {
            None => Ok(()),
            Some(k) => Err(invalid(self.what, &rules::unknown_field("", k, known))),
        }
    }

    /// What is read (for errors of nested values).
    pub(crate) fn what(&self) -> &'a str {
        self.what
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Json) -> Fields<'_> {
        Fields::of("options", v, "an object").unwrap()
    }

    fn message(e: Error) -> String {
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        e.message().to_owned()
    }

    #[test]
    fn strings_and_their_absence() {
        let v = parse(r#"{"a":"x","n":null,"num":5,"snake_key":"y"}"#);
        let f = fields(&v);
        assert_eq!(f.string("a").unwrap(), "x");
        assert_eq!(f.opt_string("a").unwrap().as_deref(), Some("x"));
        assert_eq!(f.opt_string("n").unwrap(), None);
        assert_eq!(f.opt_string("gone").unwrap(), None);
        assert_eq!(f.string("snakeKey").unwrap(), "y".to_owned());
        assert_eq!(
            message(f.string("gone").unwrap_err()),
            "invalid options: missing field `gone`"
        );
        assert_eq!(
            message(f.string("n").unwrap_err()),
            "invalid options: `n`: invalid type: null, expected a string"
        );
        assert_eq!(
            message(f.opt_string("num").unwrap_err()),
            "invalid options: `num`: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn numbers_in_range_only() {
        let v = parse(
            r#"{"a":5,"neg":-1,"big":5000000000,"huge":18446744073709551615,"f":1.5,"s":"7","n":null}"#,
        );
        let f = fields(&v);
        assert_eq!(f.opt_u32("a").unwrap(), Some(5));
        assert_eq!(f.opt_usize("a").unwrap(), Some(5));
        assert_eq!(f.opt_u32("n").unwrap(), None);
        assert_eq!(f.opt_u64("big").unwrap(), Some(5_000_000_000));
        assert_eq!(f.opt_i64("neg").unwrap(), Some(-1));
        assert_eq!(
            message(f.opt_u32("big").unwrap_err()),
            "invalid options: `big`: invalid value: integer `5000000000`, expected u32"
        );
        assert_eq!(
            message(f.opt_usize("neg").unwrap_err()),
            "invalid options: `neg`: invalid value: integer `-1`, expected usize"
        );
        // Integers in messages as integers, of either sign and up to u64::MAX.
        assert_eq!(
            message(f.opt_i64("huge").unwrap_err()),
            "invalid options: `huge`: invalid value: integer `18446744073709551615`, expected i64"
        );
        assert_eq!(
            message(f.opt_string("neg").unwrap_err()),
            "invalid options: `neg`: invalid type: integer `-1`, expected a string"
        );
        assert_eq!(
            message(f.opt_u64("f").unwrap_err()),
            "invalid options: `f`: invalid type: floating point, expected u64"
        );
        assert_eq!(
            message(f.opt_i64("s").unwrap_err()),
            "invalid options: `s`: invalid type: string \"7\", expected i64"
        );
    }

    #[test]
    fn booleans_lists_and_objects() {
        let v = parse(r#"{"t":true,"n":null,"l":["a","b"],"bad":["a",1],"o":{"x":"y"}}"#);
        let f = fields(&v);
        assert_eq!(f.opt_bool("t").unwrap(), Some(true));
        assert_eq!(f.opt_bool("n").unwrap(), None);
        assert!(f.flag("t").unwrap());
        assert!(!f.flag("gone").unwrap());
        assert!(f.flag("n").is_err(), "null is not a default boolean");
        assert_eq!(f.strings("l").unwrap(), ["a", "b"]);
        assert!(f.strings("gone").unwrap().is_empty());
        assert!(f.strings("n").is_err());
        assert!(f.strings("bad").is_err());
        assert!(f.required_strings("gone").is_err());
        assert_eq!(f.object("o").unwrap().unwrap().string("x").unwrap(), "y");
        assert!(f.object("n").unwrap().is_none());
        assert!(f.object("t").is_err());
    }

    #[test]
    fn unknown_fields_and_variants() {
        let v = parse(r#"{"a":1,"c":2}"#);
        assert_eq!(
            message(fields(&v).only(&["a", "b"]).unwrap_err()),
            "invalid options: unknown field `c`, expected `a` or `b`"
        );
        assert!(fields(&v).only(&["a", "c"]).is_ok());
        // the core's snake_case spelling of a JS name is that name (one casing rule)
        let v = parse(r#"{"maxResults":1,"collection_url":"/c/"}"#);
        assert!(fields(&v).only(&["maxResults", "collectionUrl"]).is_ok());
        assert_eq!(fields(&v).string("collectionUrl").unwrap(), "/c/");
        assert_eq!(fields(&v).opt_u32("maxResults").unwrap(), Some(1));
        let names = ["calendar", "addressbook", "other"];
        assert_eq!(variant("kind", &parse(r#""other""#), &names).unwrap(), 2);
        assert_eq!(
            message(variant("kind", &parse(r#""x""#), &names).unwrap_err()),
            "invalid kind: unknown variant `x`, expected one of `calendar`, `addressbook`, `other`"
        );
        assert!(variant("kind", &Json::Null, &names).is_err());
    }

    #[test]
    fn objects_and_null() {
        assert!(
            Fields::optional("o", &Json::Null, "an object")
                .unwrap()
                .is_none()
        );
        assert_eq!(
            message(Fields::of("o", &Json::Null, "an object").err().unwrap()),
            "invalid o: invalid type: null, expected an object"
        );
        assert_eq!(parse("not json"), Json::Null);
    }
}
