//! The one key casing rule for JS, applied where serde knows what a key is: a serde
//! [`Serializer`](ser::Serializer) that writes compact JSON text in which struct field names
//! (and the tag field of an internally tagged enum, which serde writes as a struct field)
//! become camelCase, while map keys (data: hrefs, header names) and variant names stay as they
//! are. `convert::output` hands the text to one `JSON.parse`.
//!
//! The text is what `serde_json::to_string` writes (same escapes, same field order), only the
//! struct field names differ; `json/tests.rs` compares it with the text rewriter it replaced.
//! Written straight to text, not through a tree: a `serde_json::Value` would sort the fields
//! (its map is a `BTreeMap` without the `preserve_order` feature), and an ordered tree of its
//! own measured 2.4-4.4 KB gzip more per module than the rewriter, this 0.9 KB at most.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser;

/// A value that is not JSON: a map key that is not a string, number or boolean, or an error
/// of a type's own `Serialize`. Without its message: `convert::output` writes `null` for it
/// (serde_json's error type, with its message, measured 4.5 KB raw, 1.5 KB gzip more).
#[derive(Debug)]
pub(crate) struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not JSON")
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Error
    }
}

/// `value` as compact JSON text with JS key names.
pub(crate) fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut w = Writer::default();
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// `display_name` -> `displayName` (the rule of [`Writer::field_name`] as a string).
#[cfg(test)]
pub(crate) fn camel(key: &str) -> String {
    let mut w = Writer::default();
    w.field_name(key);
    serde_json::from_str(&w.out[..w.out.len() - 1]).unwrap_or_default()
}

/// The JSON text of an object that [`to_text`] writes as it is: two structs' fields in one
/// object ([`merged`]). Through another serializer it is a string.
#[cfg(feature = "formats")]
pub(crate) struct Fragment(String);

/// The newtype name that marks a [`Fragment`] to the [`Writer`].
#[cfg(feature = "formats")]
const FRAGMENT: &str = "davkit::json::Fragment";

#[cfg(feature = "formats")]
impl Serialize for Fragment {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(FRAGMENT, &self.0)
    }
}

/// The fields of two structs in one object, `first`'s then `second`'s, with JS key names:
/// what `#[serde(flatten)]` did (which serde writes as map entries, so its keys kept their Rust
/// names). `null` if either is not an object (or cannot be serialised, as `convert::output`
/// writes `null` for a value it cannot serialise). For `expand` (the `formats` feature).
#[cfg(feature = "formats")]
pub(crate) fn merged<A: Serialize, B: Serialize>(first: &A, second: &B) -> Fragment {
    let (Ok(mut a), Ok(b)) = (to_text(first), to_text(second)) else {
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
#[derive(Default)]
struct Writer {
    out: String,
    /// Writing a map key: numbers and booleans are quoted, other non-strings refused.
    key: bool,
    /// The next string is a [`Fragment`]'s JSON text: written as it is.
    raw: bool,
}

impl Writer {
    /// A JSON string with serde_json's escapes (`\"`, `\\`, `\b\t\n\f\r`, `\u00xx` for the
    /// other control characters): each run of bytes that needs none in one `push_str`.
    #[inline(never)]
    fn string(&mut self, s: &str) {
        self.out.push('"');
        let mut from = 0;
        for (i, b) in s.bytes().enumerate() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            // `i` is a character boundary: an ASCII byte's.
            self.out.push_str(&s[from..i]);
            from = i + 1;
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

    /// A struct field's name as an object key and its colon, camelCased: the rule for
    /// struct field names, `display_name` -> `displayName` (each `_` dropped, an ASCII letter
    /// after it in upper case). They are Rust names, ASCII: ASCII case only (the Unicode
    /// `to_uppercase` tables were about 9 KB of the module). The runs between `_`s and escapes
    /// are written at once: character by character this was the writer's largest cost.
    fn field_name(&mut self, name: &str) {
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

    /// A number or boolean (quoted when it is a map key).
    fn scalar(&mut self, text: impl std::fmt::Display) {
        if self.key {
            self.out.push('"');
        }
        let _ = write!(self.out, "{text}");
        if self.key {
            self.out.push('"');
        }
    }

    /// Opens an array or object (`{"variant":` first for an enum variant's).
    fn open(&mut self, variant: Option<&str>, open: char) -> Result<Compound<'_>, Error> {
        if self.key {
            return Err(Error);
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

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    /// A struct field: its name camelCased.
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        self.field_name(name);
        value.serialize(&mut *self.w)
    }

    #[inline(never)]
    fn field_name(&mut self, name: &str) {
        self.comma();
        self.w.field_name(name);
    }

    fn end(self) -> Result<(), Error> {
        self.w.out.push(self.close);
        if self.variant {
            self.w.out.push('}');
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.scalar(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // serde_json's own forms (`0.1`, not the f64 widening; `null` for NaN and infinities).
        self.serialize_f64_text(serde_json::to_string(&v).map_err(|_| Error)?)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.serialize_f64_text(serde_json::to_string(&v).map_err(|_| Error)?)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if std::mem::take(&mut self.raw) {
            self.out.push_str(v);
        } else {
            self.string(v);
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        if self.key {
            return Err(Error);
        }
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        #[cfg(feature = "formats")]
        if _name == FRAGMENT {
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
    ) -> Result<(), Error> {
        if self.key {
            return Err(Error);
        }
        self.out.push('{');
        self.string(variant);
        self.out.push(':');
        value.serialize(&mut *self)?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(None, '[')
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        self.open(None, '[')
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open(None, '[')
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open(Some(variant), '[')
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(None, '{')
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        self.open(None, '{')
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open(Some(variant), '{')
    }
}

impl Writer {
    /// A float as serde_json wrote it (`null` when it is not finite): quoted as a map key, as
    /// serde_json quotes finite float keys.
    fn serialize_f64_text(&mut self, text: String) -> Result<(), Error> {
        if self.key && text == "null" {
            return Err(Error);
        }
        self.scalar(text);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    /// A map key, verbatim: a string, or a number or boolean written as text (as serde_json
    /// writes keys); anything else is refused.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        #[cfg(all(test, feature = "client", feature = "formats"))]
        let at = self.w.out.len();
        self.w.key = true;
        let written = key.serialize(&mut *self.w);
        self.w.key = false;
        written?;
        #[cfg(all(test, feature = "client", feature = "formats"))]
        tests::saw_map_key(&self.w.out[at..]);
        self.w.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(name, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(name, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

#[cfg(all(test, feature = "client", feature = "formats"))]
mod tests;
