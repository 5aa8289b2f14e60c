//! Content lines and components: RFC 5545 §3.1 (iCalendar) and RFC 6350 §3.3 (vCard).
//!
//! This is the lossless layer under [`crate::icalendar`] and [`crate::vcard`]. A file is unfolded
//! once; each logical line is kept exactly as written (group, name, parameters with their quoting,
//! value with its escapes) and only split into byte ranges, so unknown properties, parameters,
//! `X-` names and components survive untouched. Serialising writes CRLF line endings and folds at
//! 75 octets without splitting a UTF-8 character, so `parse -> serialise -> parse` is identical.
//!
//! ```
//! use davkit::contentline::{parse, Property};
//!
//! let text = "BEGIN:VCALENDAR\nX-FOO;X-P=\"a:b\":v\r\nBEGIN:VEVENT\nSUMMARY:Lun\r\n ch\nEND:VEVENT\nEND:VCALENDAR\n";
//! let comps = parse(text).unwrap();
//! let event = &comps[0].components()[0];
//! assert_eq!(event.property("summary").unwrap().raw_value(), "Lunch");
//! let again = parse(&comps[0].to_string()).unwrap();
//! assert_eq!(comps, again);
//! ```

mod text;

pub use text::{escape_param_value, escape_text, split_unescaped, unescape_text};

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Deepest nesting of components accepted by the parser (guards against stack exhaustion).
pub const MAX_DEPTH: usize = 64;

/// Octets per physical line when folding (RFC 5545 §3.1, RFC 6350 §3.2).
pub const FOLD_OCTETS: usize = 75;

/// Most content lines (after unfolding) one parse accepts, about a 100 MB calendar; more is a
/// [`ParseErrorKind::TooManyLines`] error, in [`parse_lenient`] too. Each property costs 24
/// bytes beside its text (a [`Property`] is a shared pointer and four offsets), so this bounds
/// what a file of tiny lines can make the parser hold.
/// The default of [`Limits::max_content_lines`](crate::Limits::max_content_lines), which
/// [`parse_with_limits`] applies.
pub const MAX_LINES: usize = 2_000_000;

/// Most repairs [`parse_lenient`] lists one by one; any more are counted in one final
/// [`ParseErrorKind::RepairsOmitted`], so the report stays small whatever the input.
pub const MAX_REPAIRS: usize = 1000;

/// Longest component name, in bytes, that a [`ParseError`] copies; a longer one is cut (at a
/// character boundary) and ends with `…`.
pub const MAX_REPORTED_NAME: usize = 64;

/// What went wrong while reading content lines.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A content line has no `:` separating name and value.
    MissingColon,
    /// A content line has an empty property name.
    EmptyName,
    /// A parameter value opened a `"` that never closes.
    UnterminatedQuote,
    /// A property appears outside of any `BEGIN`/`END` block.
    PropertyOutsideComponent,
    /// `END:<found>` closes a component that was opened as `<expected>`.
    MismatchedEnd {
        /// Name given in the `BEGIN` line (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        expected: String,
        /// Name given in the `END` line (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        found: String,
    },
    /// An `END` line with no open component.
    UnexpectedEnd,
    /// The input ended while a component was still open.
    MissingEnd {
        /// Name of the component left open (at most [`MAX_REPORTED_NAME`] bytes, then `…`).
        name: String,
    },
    /// Components nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A line longer than 4 GiB.
    LineTooLong,
    /// An input that unfolds to more than 4 GiB.
    TooLarge,
    /// More content lines than the limit ([`MAX_LINES`], or
    /// [`Limits::max_content_lines`](crate::Limits::max_content_lines) in
    /// [`parse_with_limits`]).
    TooManyLines,
    /// The bytes are not UTF-8, even after unfolding.
    InvalidUtf8,
    /// The input holds no component at all.
    Empty,
    /// [`parse_lenient`] made more than [`MAX_REPAIRS`] repairs; this many more were made and
    /// are not listed.
    RepairsOmitted {
        /// The repairs made but not listed.
        count: usize,
    },
}

/// A typed parse error with the 1-based physical line where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// 1-based physical line number (0 when not tied to a line).
    pub line: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::MissingColon => {
                write!(f, "line {}: content line without ':'", self.line)
            }
            ParseErrorKind::EmptyName => write!(f, "line {}: empty property name", self.line),
            ParseErrorKind::UnterminatedQuote => {
                write!(f, "line {}: unterminated quoted parameter value", self.line)
            }
            ParseErrorKind::PropertyOutsideComponent => {
                write!(f, "line {}: property outside of BEGIN/END", self.line)
            }
            ParseErrorKind::MismatchedEnd { expected, found } => write!(
                f,
                "line {}: END:{found} does not close BEGIN:{expected}",
                self.line
            ),
            ParseErrorKind::UnexpectedEnd => write!(f, "line {}: END without BEGIN", self.line),
            ParseErrorKind::MissingEnd { name } => write!(f, "missing END:{name}"),
            ParseErrorKind::TooDeep => write!(f, "line {}: components nested too deep", self.line),
            ParseErrorKind::LineTooLong => write!(f, "line {}: content line too long", self.line),
            ParseErrorKind::TooLarge => write!(f, "input larger than 4 GiB"),
            ParseErrorKind::TooManyLines => write!(
                f,
                "line {}: more content lines than the limit (Limits::max_content_lines, default \
                 contentline::MAX_LINES = {MAX_LINES})",
                self.line
            ),
            ParseErrorKind::InvalidUtf8 => write!(f, "line {}: invalid UTF-8", self.line),
            ParseErrorKind::Empty => write!(f, "no component found"),
            ParseErrorKind::RepairsOmitted { count } => {
                write!(f, "{count} more repairs not listed")
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// Whether the input passed a size limit (more content lines than the limit, or more than
    /// 4 GiB) rather than being malformed.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.kind,
            ParseErrorKind::TooManyLines | ParseErrorKind::TooLarge
        )
    }
}

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
    doc: Arc<String>,
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
struct Spans {
    name_end: u32,
    value_start: u32,
}

/// The parameters of a checked line, lexed again on each call: `rest` starts at a `;` (or
/// at the `:` before the value, where it ends).
struct ParamIter<'a> {
    line: &'a str,
    i: usize,
    end: usize,
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

/// A borrowed view of one parameter of a [`Property`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    name: &'a str,
    raw: Option<&'a str>,
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

fn err(kind: ParseErrorKind, line: usize) -> ParseError {
    ParseError { kind, line }
}

/// A component name as a [`ParseError`] keeps it: at most [`MAX_REPORTED_NAME`] bytes.
fn reported_name(name: &str) -> String {
    if name.len() <= MAX_REPORTED_NAME {
        return name.to_owned();
    }
    let mut cut = MAX_REPORTED_NAME;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = String::with_capacity(cut + 3);
    out.push_str(name.get(..cut).unwrap_or(""));
    out.push('…');
    out
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

    fn from_spans(doc: Arc<String>, start: u32, len: u32, s: Spans) -> Property {
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
fn lex(line: &str) -> Result<Spans, ParseErrorKind> {
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
        (
            self.group().map(str::to_owned),
            self.name().to_owned(),
            self.params()
                .map(|p| (p.name.to_owned(), p.raw.map(str::to_owned)))
                .collect(),
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
        let encoded: Vec<String> = values.iter().map(|v| escape_param_value(v)).collect();
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
        let flags: Vec<bool> = self.params().map(&mut keep).collect();
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

/// Folds `line` at [`FOLD_OCTETS`] octets (never inside a UTF-8 character) and appends it with CRLF.
pub fn fold_into(line: &str, out: &mut String) {
    if line.len() <= FOLD_OCTETS {
        out.push_str(line);
        out.push_str("\r\n");
        return;
    }
    let mut rest = line;
    let mut limit = FOLD_OCTETS;
    let mut first = true;
    while !rest.is_empty() {
        if !first {
            out.push(' ');
        }
        let mut cut = limit.min(rest.len());
        while cut > 0 && !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // cannot happen with limit >= 4, but never loop forever
            cut = rest.len();
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n");
        rest = tail;
        first = false;
        limit = FOLD_OCTETS - 1;
    }
}

/// A component: `BEGIN:NAME`, properties, sub-components, `END:NAME`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Component {
    /// Common names as written (upper case) are static, so they cost no allocation.
    name: Cow<'static, str>,
    properties: Vec<Property>,
    components: Vec<Component>,
}

/// Component names that are shared rather than copied when written exactly like this.
const KNOWN_NAMES: &[&str] = &[
    "VCALENDAR",
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VTIMEZONE",
    "STANDARD",
    "DAYLIGHT",
    "VALARM",
    "VAVAILABILITY",
    "AVAILABLE",
    "VCARD",
];

impl Component {
    /// An empty component with this name (e.g. `VEVENT`).
    pub fn new(name: &str) -> Component {
        Component {
            name: match KNOWN_NAMES.iter().find(|k| **k == name) {
                Some(k) => Cow::Borrowed(*k),
                None => Cow::Owned(name.to_owned()),
            },
            properties: Vec::new(),
            components: Vec::new(),
        }
    }

    /// The name as written in `BEGIN:`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Case-insensitive comparison of the name.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// All properties in order.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// The property list, for direct edits.
    pub fn properties_mut(&mut self) -> &mut Vec<Property> {
        &mut self.properties
    }

    /// All sub-components in order.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The sub-component list, for direct edits.
    pub fn components_mut(&mut self) -> &mut Vec<Component> {
        &mut self.components
    }

    /// The first property with this name (case-insensitive).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.is(name))
    }

    /// The first property with this name, mutable.
    pub fn property_mut(&mut self, name: &str) -> Option<&mut Property> {
        self.properties.iter_mut().find(|p| p.is(name))
    }

    /// Every property with this name.
    pub fn properties_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |p| p.is(name))
    }

    /// Every sub-component with this name.
    pub fn components_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Component> + 'a {
        self.components.iter().filter(move |c| c.is(name))
    }

    /// Appends a property.
    pub fn push_property(&mut self, p: Property) {
        self.properties.push(p);
    }

    /// Replaces the first property of the same name in place (removing any later ones of that
    /// name, in one pass), or appends it.
    pub fn set_property(&mut self, p: Property) {
        let name = p.name().to_owned();
        if let Some(pos) = self.properties.iter().position(|x| x.is(&name)) {
            let mut i = 0;
            self.properties.retain(|x| {
                let keep = i <= pos || !x.is(&name);
                i += 1;
                keep
            });
            if let Some(slot) = self.properties.get_mut(pos) {
                *slot = p;
            }
        } else {
            self.properties.push(p);
        }
    }

    /// Removes every property with this name; returns how many were removed.
    pub fn remove_properties(&mut self, name: &str) -> usize {
        let before = self.properties.len();
        self.properties.retain(|p| !p.is(name));
        before - self.properties.len()
    }

    /// Appends a sub-component.
    pub fn push_component(&mut self, c: Component) {
        self.components.push(c);
    }

    /// Appends the serialised component (CRLF, folded) to `out`.
    pub fn write_to(&self, out: &mut String) {
        fold_into(&format!("BEGIN:{}", self.name), out);
        for p in &self.properties {
            p.write_folded(out);
        }
        for c in &self.components {
            c.write_to(out);
        }
        fold_into(&format!("END:{}", self.name), out);
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_to(&mut s);
        f.write_str(&s)
    }
}

/// Serialises several top-level components one after the other.
pub fn serialize(components: &[Component]) -> String {
    let mut out = String::new();
    for c in components {
        c.write_to(&mut out);
    }
    out
}

/// Parses every top-level component in `input` (CRLF, LF or a mix; folded lines joined).
///
/// The unfolded text is stored once, shared by all properties, which keep ranges into it.
pub fn parse(input: &str) -> Result<Vec<Component>, ParseError> {
    let mut parser = Parser::default();
    parse_into(input, &mut parser)?;
    parser.finish().map(|(comps, _)| comps)
}

/// Parses like [`parse`] but repairs what it can, the way most calendar clients do, and reports
/// each repair: a line without `:` or with a broken parameter is dropped, a property outside
/// any component is dropped, an `END` that closes an outer component also closes the inner ones,
/// a stray `END` is dropped and components left open at the end are closed. Only input with no
/// component at all, or more than 4 GiB, is an error.
pub fn parse_lenient(input: &str) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
    let mut parser = Parser {
        lenient: true,
        ..Parser::default()
    };
    parse_into(input, &mut parser)?;
    parser.finish()
}

/// [`parse`] with at most [`Limits::max_content_lines`](crate::Limits::max_content_lines)
/// content lines; more is a [`ParseErrorKind::TooManyLines`] error.
pub fn parse_with_limits(
    input: &str,
    limits: &crate::Limits,
) -> Result<Vec<Component>, ParseError> {
    let mut parser = Parser {
        max_lines: limits.max_content_lines,
        ..Parser::default()
    };
    parse_into(input, &mut parser)?;
    parser.finish().map(|(comps, _)| comps)
}

/// [`parse_lenient`] for bytes; invalid UTF-8 is still an error.
pub fn parse_bytes_lenient(input: &[u8]) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
    let text = bytes_to_text(input)?;
    parse_lenient(&text)
}

fn parse_into(input: &str, parser: &mut Parser) -> Result<(), ParseError> {
    let mut cursor = Cursor::new(input);
    while cursor.step(parser)? {}
    Ok(())
}

/// Reads one logical line at a time (unfolded into the parser's current chunk) and feeds it to
/// the parser, so that each component's text is kept as soon as it is complete and nothing
/// per line is held beyond the properties themselves.
pub(crate) struct Cursor<'t> {
    input: &'t str,
    pos: usize,
    lineno: usize,
}

impl<'t> Cursor<'t> {
    pub(crate) fn new(input: &'t str) -> Cursor<'t> {
        Cursor {
            input: input.strip_prefix('\u{feff}').unwrap_or(input),
            pos: 0,
            lineno: 0,
        }
    }

    /// Feeds the next non-empty logical line to `parser`; `false` at the end of the input.
    pub(crate) fn step(&mut self, parser: &mut Parser) -> Result<bool, ParseError> {
        let input = self.input;
        let bytes = input.as_bytes();
        let len = input.len();
        loop {
            if self.pos >= len {
                return Ok(false);
            }
            self.lineno += 1;
            let start_line = self.lineno;
            let chunk = &mut parser.chunk;
            let start = chunk.len();
            let mut next;
            loop {
                let rest = input.get(self.pos..).unwrap_or("");
                let (seg, n) = match memchr_newline(rest) {
                    Some(i) => (rest.get(..i).unwrap_or(""), self.pos + i + 1),
                    None => (rest, len),
                };
                chunk.push_str(seg.strip_suffix('\r').unwrap_or(seg));
                next = n;
                if matches!(bytes.get(next), Some(b' ' | b'\t')) {
                    self.lineno += 1;
                    self.pos = next + 1;
                } else {
                    break;
                }
            }
            self.pos = next;
            let end = chunk.len();
            if end == start {
                continue;
            }
            if parser.lines >= parser.max_lines {
                return Err(err(ParseErrorKind::TooManyLines, start_line));
            }
            parser.lines += 1;
            parser.unfolded += end - start;
            if parser.unfolded > u32::MAX as usize {
                return Err(err(ParseErrorKind::TooLarge, 0));
            }
            parser.line(start, end, start_line)?;
            return Ok(true);
        }
    }
}

fn memchr_newline(s: &str) -> Option<usize> {
    s.find('\n')
}

/// Parses bytes: UTF-8 is checked after unfolding, so a fold that splits a multi-byte
/// character is accepted.
pub fn parse_bytes(input: &[u8]) -> Result<Vec<Component>, ParseError> {
    parse(&bytes_to_text(input)?)
}

fn bytes_to_text(input: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    if let Ok(s) = std::str::from_utf8(input) {
        return Ok(Cow::Borrowed(s));
    }
    let unfolded = unfold_bytes(input);
    match String::from_utf8(unfolded) {
        Ok(s) => Ok(Cow::Owned(s)),
        Err(e) => {
            let upto = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes
                .get(..upto)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
                + 1;
            Err(err(ParseErrorKind::InvalidUtf8, line))
        }
    }
}

/// Removes every fold (line break followed by one space or tab) from raw bytes.
pub fn unfold_bytes(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'\r'
            && input.get(i + 1) == Some(&b'\n')
            && matches!(input.get(i + 2), Some(b' ' | b'\t'))
        {
            i += 3;
            continue;
        }
        if b == b'\n' && matches!(input.get(i + 1), Some(b' ' | b'\t')) {
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

pub(crate) struct Parser {
    stack: Vec<Component>,
    done: Vec<Component>,
    lenient: bool,
    /// At most [`MAX_REPAIRS`]; the rest are counted in `omitted`.
    repairs: Vec<ParseError>,
    omitted: usize,
    /// [`MAX_LINES`], or the configured `Limits::max_content_lines`.
    max_lines: usize,
    /// Content lines read so far.
    lines: usize,
    /// Unfolded bytes read so far.
    unfolded: usize,
    /// The unfolded property lines since the last component that closed at depth 1 or 2; the
    /// properties read from it point at `pending` until then, when it becomes their text.
    chunk: String,
    pending: Arc<String>,
    /// How many properties of the open top-level component already have their text.
    root_done: usize,
    /// Hand each component that closes directly under a top-level one to `ready` instead of
    /// adding it to its parent (see [`Parser::streaming`]).
    detach: bool,
    /// Detached components, each with whether its parent is the first VCALENDAR.
    ready: Vec<(bool, Component)>,
    /// A top-level VCALENDAR has been closed.
    vcalendar_done: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            stack: Vec::new(),
            done: Vec::new(),
            lenient: false,
            repairs: Vec::new(),
            omitted: 0,
            max_lines: MAX_LINES,
            lines: 0,
            unfolded: 0,
            chunk: String::new(),
            pending: Arc::new(String::new()),
            root_done: 0,
            detach: false,
            ready: Vec::new(),
            vcalendar_done: false,
        }
    }
}

fn begin_end(line: &str) -> Option<(bool, &str)> {
    let b = line.as_bytes();
    if b.len() >= 6
        && b.get(5) == Some(&b':')
        && line
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN"))
    {
        return Some((true, line.get(6..).unwrap_or("")));
    }
    if b.len() >= 4
        && b.get(3) == Some(&b':')
        && line.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("END"))
    {
        return Some((false, line.get(4..).unwrap_or("")));
    }
    None
}

/// Gives every property of `c` and its sub-components that still points at `pending` its
/// text, `doc`.
fn give_text(c: &mut Component, pending: &Arc<String>, doc: &Arc<String>) {
    for p in &mut c.properties {
        if Arc::ptr_eq(&p.doc, pending) {
            p.doc = Arc::clone(doc);
        }
    }
    for sub in &mut c.components {
        give_text(sub, pending, doc);
    }
}

impl Parser {
    /// A strict parser that hands over each component directly under a top-level one as soon
    /// as it closes (in [`Parser::take_ready`]) instead of keeping it, so a caller can read a
    /// large calendar one event at a time.
    pub(crate) fn streaming(max_lines: usize) -> Parser {
        Parser {
            detach: true,
            max_lines,
            ..Parser::default()
        }
    }

    /// The components detached since the last call, each with whether its parent is the first
    /// top-level VCALENDAR.
    pub(crate) fn take_ready(&mut self) -> std::vec::Drain<'_, (bool, Component)> {
        self.ready.drain(..)
    }

    /// One logical line, unfolded at `start..end` of the chunk.
    fn line(&mut self, start: usize, end: usize, lineno: usize) -> Result<(), ParseError> {
        let line = self.chunk.get(start..end).unwrap_or("");
        if let Some((begin, name)) = begin_end(line) {
            let name = name.to_owned();
            // BEGIN and END lines are not kept: the component keeps its name
            self.chunk.truncate(start);
            return self.structural(begin, &name, lineno);
        }
        let spans = match lex(line) {
            Ok(s) => s,
            Err(k) => {
                self.chunk.truncate(start);
                return self.fail(err(k, lineno));
            }
        };
        let Some(top) = self.stack.last_mut() else {
            self.chunk.truncate(start);
            return self.fail(err(ParseErrorKind::PropertyOutsideComponent, lineno));
        };
        // both fit: the whole input unfolds to at most u32::MAX bytes (checked by the cursor)
        top.properties.push(Property::from_spans(
            Arc::clone(&self.pending),
            start as u32,
            (end - start) as u32,
            spans,
        ));
        Ok(())
    }

    /// Strict: the error. Lenient: note the repair (or count it past [`MAX_REPAIRS`]) and go on.
    fn fail(&mut self, e: ParseError) -> Result<(), ParseError> {
        if !self.lenient {
            return Err(e);
        }
        if self.repairs.len() < MAX_REPAIRS {
            self.repairs.push(e);
        } else {
            self.omitted += 1;
        }
        Ok(())
    }

    /// The chunk as the text of the properties read from it; a new, empty chunk.
    fn take_chunk(&mut self) -> Arc<String> {
        let doc = if self.chunk.len() < 1 << 20 {
            // one exact allocation; the chunk's buffer is reused for the next one
            let doc = self.chunk.as_str().to_owned();
            self.chunk.clear();
            doc
        } else {
            let mut doc = std::mem::take(&mut self.chunk);
            doc.shrink_to_fit();
            doc
        };
        Arc::new(doc)
    }

    fn close_top(&mut self) {
        let Some(mut c) = self.stack.pop() else {
            return;
        };
        c.properties.shrink_to_fit();
        c.components.shrink_to_fit();
        if self.stack.len() <= 1 && !self.chunk.is_empty() {
            let doc = self.take_chunk();
            give_text(&mut c, &self.pending, &doc);
            if let Some(root) = self.stack.first_mut() {
                for p in root.properties.iter_mut().skip(self.root_done) {
                    p.doc = Arc::clone(&doc);
                }
                self.root_done = root.properties.len();
            }
        }
        let detach = self.detach && self.stack.len() == 1;
        match self.stack.last_mut() {
            Some(parent) if detach => {
                let first = parent.is("VCALENDAR") && !self.vcalendar_done;
                self.ready.push((first, c));
            }
            Some(parent) => parent.components.push(c),
            None => {
                self.root_done = 0;
                self.vcalendar_done |= c.is("VCALENDAR");
                self.done.push(c);
            }
        }
    }

    fn structural(&mut self, begin: bool, name: &str, lineno: usize) -> Result<(), ParseError> {
        let name = name.trim();
        if begin {
            if self.stack.len() >= MAX_DEPTH {
                return Err(err(ParseErrorKind::TooDeep, lineno));
            }
            self.stack.push(Component::new(name));
            return Ok(());
        }
        let Some(top) = self.stack.last() else {
            return self.fail(err(ParseErrorKind::UnexpectedEnd, lineno));
        };
        if !top.name.eq_ignore_ascii_case(name) {
            let e = err(
                ParseErrorKind::MismatchedEnd {
                    expected: reported_name(&top.name),
                    found: reported_name(name),
                },
                lineno,
            );
            self.fail(e)?;
            // lenient: close up to the matching component, or drop a stray END
            if self.stack.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
                while self
                    .stack
                    .last()
                    .is_some_and(|c| !c.name.eq_ignore_ascii_case(name))
                {
                    self.close_top();
                }
                self.close_top();
            }
            return Ok(());
        }
        self.close_top();
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(Vec<Component>, Vec<ParseError>), ParseError> {
        if let Some(c) = self.stack.last() {
            let e = err(
                ParseErrorKind::MissingEnd {
                    name: reported_name(&c.name),
                },
                0,
            );
            self.fail(e)?;
            while !self.stack.is_empty() {
                self.close_top();
            }
        }
        if self.omitted > 0 {
            self.repairs.push(err(
                ParseErrorKind::RepairsOmitted {
                    count: self.omitted,
                },
                0,
            ));
        }
        if self.done.is_empty() {
            return Err(err(ParseErrorKind::Empty, 0));
        }
        Ok((self.done, self.repairs))
    }
}

#[cfg(test)]
mod tests;
