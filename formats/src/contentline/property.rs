//! One content line (`group.NAME;PARAM=value:value`, RFC 5545 §3.1, RFC 6350 §3.3): lexed once
//! into offsets, read and edited in place.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::error::ParseErrorKind;
use super::fold::fold_into;
use super::params::{Param, ParamIter};
use super::text::{escape_param_value, escape_text, unescape_text};

type Parts = (
    Option<String>,
    String,
    Vec<(String, Option<String>)>,
    String,
);

/// One unfolded content line, kept verbatim and split into ranges.
///
/// `group.NAME;PARAM=value;...:value`
///
/// 24 bytes: a shared pointer to the text it lives in (the unfolded text of one component
/// and its sub-components when parsed, a buffer of its own when built or edited) and four
/// offsets. The group and the parameters are found again in the line when asked for (it was
/// checked when parsed), rather than stored as spans.
#[derive(Clone)]
pub struct Property {
    pub(super) doc: Arc<String>,
    /// Start of the line in `doc`.
    start: u32,
    /// Length of the line.
    len: u32,
    /// End of `group.NAME`, from the line start.
    name_end: u32,
    /// Start of the value (after `:`), from the line start.
    value_start: u32,
}

impl PartialEq for Property {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
            && self.name_end == other.name_end
            && self.value_start == other.value_start
    }
}

impl Eq for Property {}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Property({:?})", self.as_str())
    }
}

/// Where the name ends and the value starts in a lexed line.
pub(super) struct Spans {
    name_end: u32,
    value_start: u32,
}

impl Property {
    /// Parses one unfolded content line (without its line ending).
    pub fn parse(line: &str) -> Result<Property, ParseErrorKind> {
        Self::parse_owned(line.to_owned())
    }

    fn parse_owned(line: String) -> Result<Property, ParseErrorKind> {
        let spans = lex(&line)?;
        let len = line.len() as u32;
        Ok(Property::from_spans(Arc::new(line), 0, len, spans))
    }

    pub(super) fn from_spans(doc: Arc<String>, start: u32, len: u32, s: Spans) -> Property {
        Property {
            doc,
            start,
            len,
            name_end: s.name_end,
            value_start: s.value_start,
        }
    }
}

/// Checks one line and finds where its name ends and its value starts.
pub(super) fn lex(line: &str) -> Result<Spans, ParseErrorKind> {
    if line.len() > u32::MAX as usize {
        return Err(ParseErrorKind::LineTooLong);
    }
    let bytes = line.as_bytes();
    let mut i = 0usize;
    let mut group_len = 0usize;
    // name (with optional group)
    while let Some(&b) = bytes.get(i) {
        match b {
            b';' | b':' => break,
            b'.' if group_len == 0 && i > 0 => group_len = i,
            _ => {}
        }
        i += 1;
    }
    if i >= bytes.len() {
        return Err(ParseErrorKind::MissingColon);
    }
    let name_start = if group_len > 0 { group_len + 1 } else { 0 };
    if i <= name_start {
        return Err(ParseErrorKind::EmptyName);
    }
    let name_end = i as u32;
    // parameters: only checked here; `Property::params` finds them again
    while bytes.get(i) == Some(&b';') {
        i += 1;
        while let Some(&b) = bytes.get(i) {
            if b == b'=' || b == b';' || b == b':' {
                break;
            }
            i += 1;
        }
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            let mut in_quote = false;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => in_quote = !in_quote,
                    b';' | b':' if !in_quote => break,
                    _ => {}
                }
                i += 1;
            }
            if in_quote {
                return Err(ParseErrorKind::UnterminatedQuote);
            }
        }
    }
    if bytes.get(i) != Some(&b':') {
        return Err(ParseErrorKind::MissingColon);
    }
    Ok(Spans {
        name_end,
        value_start: (i + 1) as u32,
    })
}

impl Property {
    /// Builds a property from a name and a raw (already escaped) value.
    pub fn new(name: &str, raw_value: &str) -> Property {
        let mut line = String::with_capacity(name.len() + raw_value.len() + 1);
        line.push_str(name);
        line.push(':');
        line.push_str(raw_value);
        Property::parse_owned(line).unwrap_or_else(|_| Property::fallback(name, raw_value))
    }

    /// Builds a property whose value is TEXT, escaping `\`, `;`, `,` and newlines.
    pub fn text(name: &str, value: &str) -> Property {
        Property::new(name, &escape_text(value))
    }

    fn fallback(name: &str, raw_value: &str) -> Property {
        // A name containing `;`, `:` or nothing at all: keep only safe name characters.
        let safe: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let safe = if safe.is_empty() {
            "X-INVALID".to_owned()
        } else {
            safe
        };
        let line = format!("{safe}:{raw_value}");
        let name_end = safe.len() as u32;
        let len = line.len() as u32;
        Property {
            doc: Arc::new(line),
            start: 0,
            len,
            name_end,
            value_start: name_end + 1,
        }
    }

    /// The whole unfolded line as written (no line ending).
    pub fn as_str(&self) -> &str {
        let start = self.start as usize;
        self.doc.get(start..start + self.len as usize).unwrap_or("")
    }

    fn slice(&self, start: u32, end: u32) -> &str {
        self.as_str()
            .get(start as usize..end as usize)
            .unwrap_or("")
    }

    /// The group (`item1` in `item1.TEL:...`), if any.
    pub fn group(&self) -> Option<&str> {
        match self.group_len() {
            0 => None,
            n => Some(self.slice(0, n)),
        }
    }

    /// Length of the group prefix (without the dot), 0 when there is none: the first `.` of
    /// the name after its first byte, as `lex` found it.
    fn group_len(&self) -> u32 {
        let name = self.slice(0, self.name_end).as_bytes();
        name.get(1..)
            .and_then(|rest| rest.iter().position(|&b| b == b'.'))
            .map_or(0, |p| p as u32 + 1)
    }

    /// The property name as written (without group).
    pub fn name(&self) -> &str {
        let start = match self.group_len() {
            0 => 0,
            n => n + 1,
        };
        self.slice(start, self.name_end)
    }

    /// Case-insensitive comparison of the name.
    pub fn is(&self, name: &str) -> bool {
        // the name is the end of `group.NAME`: compare that end first, and only look for the
        // group when the line has one
        let full = self.slice(0, self.name_end);
        let Some(cut) = full.len().checked_sub(name.len()) else {
            return false;
        };
        let tail_matches = full
            .as_bytes()
            .get(cut..)
            .is_some_and(|t| t.eq_ignore_ascii_case(name.as_bytes()));
        tail_matches
            && if cut == 0 {
                // the whole `group.NAME` matched: right only when it has no group
                !name.as_bytes().get(1..).is_some_and(|n| n.contains(&b'.'))
            } else {
                self.name().len() == name.len()
            }
    }

    /// The value exactly as written (escapes not decoded).
    pub fn raw_value(&self) -> &str {
        self.as_str().get(self.value_start as usize..).unwrap_or("")
    }

    /// The value as TEXT with `\n`, `\,`, `\;`, `\\` decoded.
    pub fn text_value(&self) -> Cow<'_, str> {
        unescape_text(self.raw_value())
    }

    /// All parameters in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'_>> + '_ {
        ParamIter {
            line: self.as_str(),
            i: self.name_end as usize,
            end: (self.value_start as usize).saturating_sub(1),
        }
    }

    /// The first parameter with this name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'_>> {
        self.params().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The unquoted, decoded value of the first parameter with this name.
    pub fn param_value(&self, name: &str) -> Option<Cow<'_, str>> {
        self.param(name).map(|p| p.value())
    }

    fn rebuild(
        &mut self,
        group: Option<&str>,
        name: &str,
        params: &[(String, Option<String>)],
        value: &str,
    ) {
        let mut line = String::with_capacity(self.as_str().len() + 16);
        if let Some(g) = group {
            line.push_str(g);
            line.push('.');
        }
        line.push_str(name);
        for (n, v) in params {
            line.push(';');
            line.push_str(n);
            if let Some(v) = v {
                line.push('=');
                line.push_str(v);
            }
        }
        line.push(':');
        line.push_str(value);
        if let Ok(p) = Property::parse_owned(line) {
            *self = p;
        }
    }

    fn parts(&self) -> Parts {
        // Loops, not adapter chains collected: each is its own copy of `Vec`'s collecting
        // code in the WebAssembly modules.
        let mut params = Vec::new();
        for p in self.params() {
            params.push((p.name.to_owned(), p.raw.map(str::to_owned)));
        }
        (
            self.group().map(str::to_owned),
            self.name().to_owned(),
            params,
            self.raw_value().to_owned(),
        )
    }

    /// Replaces the raw value (the caller escapes it).
    pub fn set_raw_value(&mut self, raw: &str) {
        let head = self.as_str().get(..self.value_start as usize).unwrap_or("");
        let mut line = String::with_capacity(head.len() + raw.len());
        line.push_str(head);
        line.push_str(raw);
        self.len = line.len() as u32;
        self.start = 0;
        self.doc = Arc::new(line);
    }

    /// Replaces the value with TEXT, escaping it.
    pub fn set_text(&mut self, value: &str) {
        let v = escape_text(value);
        self.set_raw_value(&v);
    }

    /// Sets (or replaces) a parameter; values are quoted and `^`-encoded as needed.
    pub fn set_param(&mut self, name: &str, values: &[&str]) {
        let (group, pname, mut params, value) = self.parts();
        let mut encoded = Vec::new();
        for v in values {
            encoded.push(escape_param_value(v));
        }
        let joined = Some(encoded.join(","));
        if let Some(slot) = params
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            slot.1 = joined;
        } else {
            params.push((name.to_owned(), joined));
        }
        // drop duplicates of the same name after the first
        let mut seen = false;
        params.retain(|(n, _)| {
            if n.eq_ignore_ascii_case(name) {
                let keep = !seen;
                seen = true;
                keep
            } else {
                true
            }
        });
        self.rebuild(group.as_deref(), &pname, &params, &value);
    }

    /// Removes every parameter with this name; returns how many were removed.
    pub fn remove_param(&mut self, name: &str) -> usize {
        self.retain_params(|p| !p.name().eq_ignore_ascii_case(name))
    }

    /// Keeps only the parameters for which `keep` is true, rewriting the line once; returns
    /// how many were removed.
    pub fn retain_params(&mut self, mut keep: impl FnMut(Param<'_>) -> bool) -> usize {
        self.retain_params_by(&mut keep)
    }

    /// [`Property::retain_params`] compiled once, not once per closure.
    fn retain_params_by(&mut self, keep: &mut dyn FnMut(Param<'_>) -> bool) -> usize {
        let mut flags = Vec::new();
        for p in self.params() {
            flags.push(keep(p));
        }
        let removed = flags.iter().filter(|k| !**k).count();
        if removed == 0 {
            return 0;
        }
        let (group, pname, mut params, value) = self.parts();
        let mut flags = flags.into_iter();
        params.retain(|_| flags.next().unwrap_or(true));
        self.rebuild(group.as_deref(), &pname, &params, &value);
        removed
    }

    /// Changes the group (`None` removes it).
    pub fn set_group(&mut self, group: Option<&str>) {
        let (_, pname, params, value) = self.parts();
        self.rebuild(group, &pname, &params, &value);
    }

    /// Changes the property name, keeping group, parameters and value.
    pub fn set_name(&mut self, name: &str) {
        let (group, _, params, value) = self.parts();
        self.rebuild(group.as_deref(), name, &params, &value);
    }

    /// Appends the folded line and CRLF to `out`.
    pub fn write_folded(&self, out: &mut String) {
        fold_into(self.as_str(), out);
    }
}
