//! Parameters of a content line (RFC 5545 §3.2, RFC 6350 §5), read from the line when asked
//! for, with multiple values and RFC 6868 caret escapes.

use std::borrow::Cow;

use super::text;

/// The parameters of a checked line, lexed again on each call: `rest` starts at a `;` (or
/// at the `:` before the value, where it ends).
pub(super) struct ParamIter<'a> {
    pub(super) line: &'a str,
    pub(super) i: usize,
    pub(super) end: usize,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;
    fn next(&mut self) -> Option<Param<'a>> {
        let bytes = self.line.as_bytes();
        while self.i < self.end && bytes.get(self.i) == Some(&b';') {
            let mut i = self.i + 1;
            let name_start = i;
            while let Some(&b) = bytes.get(i) {
                if i >= self.end || b == b'=' || b == b';' || b == b':' {
                    break;
                }
                i += 1;
            }
            let name_end = i;
            let mut raw = None;
            if i < self.end && bytes.get(i) == Some(&b'=') {
                i += 1;
                let v_start = i;
                let mut in_quote = false;
                while let Some(&b) = bytes.get(i) {
                    if i >= self.end {
                        break;
                    }
                    match b {
                        b'"' => in_quote = !in_quote,
                        b';' | b':' if !in_quote => break,
                        _ => {}
                    }
                    i += 1;
                }
                raw = Some(self.line.get(v_start..i).unwrap_or(""));
            }
            self.i = i;
            if raw.is_some() || name_end > name_start {
                return Some(Param {
                    name: self.line.get(name_start..name_end).unwrap_or(""),
                    raw,
                });
            }
        }
        self.i = self.end;
        None
    }
}

/// A borrowed view of one parameter of a [`Property`](super::property::Property).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    pub(super) name: &'a str,
    pub(super) raw: Option<&'a str>,
}

impl<'a> Param<'a> {
    /// The parameter name as written.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The raw value text as written after `=` (quotes and commas included); `None` for a
    /// vCard 2.1 style bare parameter such as `TEL;WORK:`.
    pub fn raw_value(&self) -> Option<&'a str> {
        self.raw
    }

    /// The whole value with surrounding quotes removed and RFC 6868 `^` escapes decoded.
    /// For a bare parameter (no `=`) this is the parameter name itself.
    pub fn value(&self) -> Cow<'a, str> {
        match self.raw {
            None => Cow::Borrowed(self.name),
            Some(raw) => {
                let inner = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
                    raw.get(1..raw.len() - 1).unwrap_or(raw)
                } else {
                    raw
                };
                text::decode_caret(inner)
            }
        }
    }

    /// The comma-separated values, each unquoted and RFC 6868 decoded.
    pub fn values(&self) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        let (raw, bare) = match self.raw {
            None => (self.name, true),
            Some(r) => (r, false),
        };
        ParamValues {
            rest: raw,
            done: bare && raw.is_empty(),
        }
    }

    /// True when any of the comma-separated values equals `v` (ASCII case-insensitive).
    pub fn has_value(&self, v: &str) -> bool {
        self.values().any(|x| x.eq_ignore_ascii_case(v))
    }
}

struct ParamValues<'a> {
    rest: &'a str,
    done: bool,
}

impl<'a> Iterator for ParamValues<'a> {
    type Item = Cow<'a, str>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let s = self.rest;
        let bytes = s.as_bytes();
        let mut in_quote = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes.get(i) {
                Some(b'"') => in_quote = !in_quote,
                Some(b',') if !in_quote => break,
                _ => {}
            }
            i += 1;
        }
        let item = s.get(..i).unwrap_or("");
        if i < bytes.len() {
            self.rest = s.get(i + 1..).unwrap_or("");
        } else {
            self.done = true;
        }
        let item = if item.len() >= 2 && item.starts_with('"') && item.ends_with('"') {
            item.get(1..item.len() - 1).unwrap_or(item)
        } else {
            item
        };
        Some(text::decode_caret(item))
    }
}
