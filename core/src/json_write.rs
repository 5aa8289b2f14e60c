//! Compact JSON text written from any `Serialize` value: the one JSON writer of the project.
//! A serde [`Serializer`](ser::Serializer) that writes what `serde_json::to_string` writes
//! (the same escapes, numbers, field order and refusals), with one choice, [`Keys`]: struct
//! field names (and the tag field of an internally tagged enum, which serde writes as a struct
//! field) as they are, or in camelCase for JS. Map keys (data: hrefs, header names) and
//! variant names are always written as they are.
//!
//! The core writes its stored states with it, names kept ([`SyncState::to_json`],
//! [`WriteQueue::to_json`]): the text is byte for byte what serde_json wrote, so states written
//! by older versions and by this one read alike. The wasm binding writes every output with it,
//! camelCase, and hands the text to one `JSON.parse`. One writer instead of serde_json's
//! serializer plus the binding's own: the npm `davkit/protocol` module no longer links
//! serde_json's serializer nor the `Serialize` impls of the stored types monomorphised for it.
//!
//! Written straight to text, not through a tree: a `serde_json::Value` would sort the fields
//! (its map is a `BTreeMap` without the `preserve_order` feature).
//!
//! [`SyncState::to_json`]: crate::SyncState::to_json
//! [`WriteQueue::to_json`]: crate::queue::WriteQueue::to_json

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser;

/// How struct field names are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// As they are (what serde_json writes): the core's stored JSON.
    Kept,
    /// camelCase, `display_name` -> `displayName` (each `_` dropped, an ASCII lowercase letter
    /// after it in upper case): the wasm binding's outputs for JS.
    Camel,
}

/// A value that is not JSON: a map key that is not a string, number or boolean (or is a
/// float that is not finite), or an error of a type's own `Serialize`. Without its message: the
/// callers write a default for it (serde_json's error type, with its message, measured 4.5 KB
/// raw, 1.5 KB gzip more in the npm module).
#[derive(Debug)]
pub struct NotJson;

impl fmt::Display for NotJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not JSON")
    }
}

impl std::error::Error for NotJson {}

impl ser::Error for NotJson {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotJson
    }
}

/// `value` as compact JSON text, its struct field names as `keys` says.
pub fn to_text<T: Serialize + ?Sized>(value: &T, keys: Keys) -> Result<String, NotJson> {
    let mut w = Writer::new(keys);
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// A `serde_json::Value` as compact JSON text: the text of `Value::to_string`, without
/// serde_json's writer (the Calendar API's request bodies and event texts). A `Value` is
/// always JSON (its keys are strings, its numbers finite), so there is always a text.
pub fn value_text(value: &serde_json::Value) -> String {
    to_text(value, Keys::Kept).unwrap_or_default()
}

/// A struct field name in camelCase, as [`Keys::Camel`] writes it (unquoted).
pub fn camel(name: &str) -> String {
    let mut w = Writer::new(Keys::Camel);
    w.field_name(name);
    // `"name":` with the escapes of `name`; the names it is used for are plain.
    w.out[1..w.out.len() - 2].to_owned()
}

/// The JSON text of an object that [`to_text`] writes as it is: two structs' fields in one
/// object ([`merged`]). Through another serializer it is a string.
pub struct Fragment(String);

/// The newtype name that marks a [`Fragment`] to the writer.
const FRAGMENT: &str = "davkit::json_write::Fragment";

impl Serialize for Fragment {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(FRAGMENT, &self.0)
    }
}

/// The fields of two structs in one object, `first`'s then `second`'s, their names as `keys`
/// says: what `#[serde(flatten)]` did (which serde writes as map entries, so its keys kept
/// their Rust names). `null` if either is not an object or cannot be written.
pub fn merged<A: Serialize, B: Serialize>(first: &A, second: &B, keys: Keys) -> Fragment {
    let (Ok(mut a), Ok(b)) = (to_text(first, keys), to_text(second, keys)) else {
        return Fragment("null".into());
    };
    let inner = |t: &str| t.strip_prefix('{')?.strip_suffix('}').map(str::len);
    let (Some(a_len), Some(b_len)) = (inner(&a), inner(&b)) else {
        return Fragment("null".into());
    };
    a.pop();
    if a_len > 0 && b_len > 0 {
        a.push(',');
    }
    a.push_str(&b[1..]);
    Fragment(a)
}

/// The text being written.
struct Writer {
    out: String,
    /// Struct field names in camelCase.
    camel: bool,
    /// Writing a map key: numbers and booleans are quoted, other non-strings refused.
    key: bool,
    /// The next string is a [`Fragment`]'s JSON text: written as it is.
    raw: bool,
}

/// Whether any of the eight bytes of `word` needs a JSON escape: a control character (below
/// 0x20), `"` or `\\`. Exact for the word as a whole (the usual tests for a byte below a bound
/// and for a zero byte, which can only err in bytes above one that matches).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    control | quote | backslash != 0
}

impl Writer {
    fn new(keys: Keys) -> Writer {
        Writer {
            out: String::new(),
            camel: keys == Keys::Camel,
            key: false,
            raw: false,
        }
    }

    /// A JSON string with serde_json's escapes (`\"`, `\\`, `\b\t\n\f\r`, `\u00xx` for the
    /// other control characters): each run of bytes that needs none in one `push_str`.
    #[inline(never)]
    fn string(&mut self, s: &str) {
        self.out.push('"');
        let bytes = s.as_bytes();
        let mut from = 0;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            // Eight bytes at a time while none of them needs an escape (hrefs and ETags, most
            // of a stored state, have none or two).
            if let Some(word) = bytes
                .get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                && !needs_escape(u64::from_le_bytes(word))
            {
                i += 8;
                continue;
            }
            i += 1;
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            // `i - 1` is a character boundary: an ASCII byte's.
            self.out.push_str(&s[from..i - 1]);
            from = i;
            self.escape(b);
        }
        self.out.push_str(&s[from..]);
        self.out.push('"');
    }

    /// The escape of an ASCII byte that needs one, in one `push_str` when it is short.
    fn escape(&mut self, b: u8) {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.out.push_str("\\u00");
                self.out.push(HEX[usize::from(b >> 4)].into());
                self.out.push(HEX[usize::from(b & 0xf)].into());
                return;
            }
        };
        self.out.push_str(short);
    }

    /// A struct field's name as an object key and its colon: as it is, or camelCased
    /// ([`Keys::Camel`]: `display_name` -> `displayName`, each `_` dropped, an ASCII letter
    /// after it in upper case). They are Rust names, ASCII: ASCII case only (the Unicode
    /// `to_uppercase` tables were about 9 KB of the npm module). The runs between `_`s and
    /// escapes are written at once: character by character this was the writer's largest cost.
    #[inline(never)]
    fn field_name(&mut self, name: &str) {
        if !self.camel {
            self.string(name);
            self.out.push(':');
            return;
        }
        self.out.push('"');
        let mut from = 0;
        let mut upper = false;
        for (i, b) in name.bytes().enumerate() {
            // Each `i` cut at is an ASCII byte's: a character boundary.
            if std::mem::take(&mut upper) && b.is_ascii_lowercase() {
                self.out.push_str(&name[from..i]);
                self.out.push(b.to_ascii_uppercase().into());
                from = i + 1;
            } else if b == b'_' {
                self.out.push_str(&name[from..i]);
                from = i + 1;
                upper = true;
            } else if b < 0x20 || b == b'"' || b == b'\\' {
                self.out.push_str(&name[from..i]);
                from = i + 1;
                self.escape(b);
            }
        }
        self.out.push_str(&name[from..]);
        self.out.push_str("\":");
    }

    /// A number or boolean (quoted when it is a map key, as serde_json quotes them).
    fn scalar(&mut self, text: impl fmt::Display) {
        if self.key {
            self.out.push('"');
        }
        let _ = write!(self.out, "{text}");
        if self.key {
            self.out.push('"');
        }
    }

    /// A float as serde_json writes it (its formatter, zmij's shortest form; `null` when it
    /// is not finite, refused as a map key).
    fn float(&mut self, finite: Option<&str>) -> Result<(), NotJson> {
        match finite {
            Some(text) => self.scalar(text),
            None if self.key => return Err(NotJson),
            None => self.out.push_str("null"),
        }
        Ok(())
    }

    /// Opens an array or object (`{"variant":` first for an enum variant's).
    fn open(&mut self, variant: Option<&str>, open: char) -> Result<Compound<'_>, NotJson> {
        if self.key {
            return Err(NotJson);
        }
        if let Some(v) = variant {
            self.out.push('{');
            self.string(v);
            self.out.push(':');
        }
        self.out.push(open);
        Ok(Compound {
            close: if open == '[' { ']' } else { '}' },
            variant: variant.is_some(),
            first: true,
            w: self,
        })
    }
}

/// An array or object being written.
struct Compound<'a> {
    w: &'a mut Writer,
    close: char,
    /// Inside `{"variant": ...}`: one more `}` at the end.
    variant: bool,
    first: bool,
}

impl Compound<'_> {
    // Out of line: called from every type's `Serialize`, these are the module's bytes.
    #[inline(never)]
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotJson> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    /// A struct field: its name as [`Keys`] says.
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), NotJson> {
        self.field_name(name);
        value.serialize(&mut *self.w)
    }

    #[inline(never)]
    fn field_name(&mut self, name: &str) {
        self.comma();
        self.w.field_name(name);
    }

    fn end(self) -> Result<(), NotJson> {
        self.w.out.push(self.close);
        if self.variant {
            self.w.out.push('}');
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = NotJson;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), NotJson> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), NotJson> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), NotJson> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), NotJson> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), NotJson> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), NotJson> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), NotJson> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), NotJson> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), NotJson> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), NotJson> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), NotJson> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), NotJson> {
        // serde_json's own forms (`0.1`, not the f64 widening's digits).
        let mut b = zmij::Buffer::new();
        self.float(v.is_finite().then(|| b.format_finite(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<(), NotJson> {
        let mut b = zmij::Buffer::new();
        self.float(v.is_finite().then(|| b.format_finite(v)))
    }
    fn serialize_char(self, v: char) -> Result<(), NotJson> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), NotJson> {
        if std::mem::take(&mut self.raw) {
            self.out.push_str(v);
        } else {
            self.string(v);
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), NotJson> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), NotJson> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotJson> {
        // As a map key too (as serde_json writes it; `None` is refused).
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NotJson> {
        if self.key {
            return Err(NotJson);
        }
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), NotJson> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), NotJson> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NotJson> {
        if name == FRAGMENT {
            self.raw = true;
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), NotJson> {
        if self.key {
            return Err(NotJson);
        }
        self.out.push('{');
        self.string(variant);
        self.out.push(':');
        value.serialize(&mut *self)?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, NotJson> {
        self.open(None, '[')
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, NotJson> {
        self.open(None, '[')
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, NotJson> {
        self.open(None, '[')
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, NotJson> {
        self.open(Some(variant), '[')
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, NotJson> {
        self.open(None, '{')
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, NotJson> {
        self.open(None, '{')
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, NotJson> {
        self.open(Some(variant), '{')
    }
}

/// The sequence-like compounds (arrays): each element after a comma.
macro_rules! elements {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = NotJson;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotJson> {
                self.element(value)
            }
            fn end(self) -> Result<(), NotJson> {
                Compound::end(self)
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = NotJson;
    /// A map key, verbatim: a string, or a number or boolean written as text (as serde_json
    /// writes keys); anything else is refused.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotJson> {
        self.comma();
        #[cfg(test)]
        let at = self.w.out.len();
        self.w.key = true;
        let written = key.serialize(&mut *self.w);
        self.w.key = false;
        written?;
        #[cfg(test)]
        tests::saw_map_key(&self.w.out[at..]);
        self.w.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotJson> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), NotJson> {
        Compound::end(self)
    }
}

/// The struct-like compounds (objects): each field by its name as [`Keys`] says.
macro_rules! fields {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = NotJson;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), NotJson> {
                self.field(name, value)
            }
            fn end(self) -> Result<(), NotJson> {
                Compound::end(self)
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests;
