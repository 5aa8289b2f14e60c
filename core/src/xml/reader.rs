//! A namespace-resolving event reader over its own byte-level tokenizer (XML 1.0 + Namespaces
//! in XML 1.0). It checks that tags nest and names are well-formed, reports truncated
//! documents, and bounds what one document may hold (see the limits in [`crate::xml`]): depth,
//! elements, attributes and namespace declarations per element, and text per element.
//!
//! Work per byte is small and constant: character data is scanned with one table lookup per
//! byte and borrowed from the document unless it holds entities; a closing tag is matched by
//! comparing its bytes with the open element's name; namespace URIs are resolved when they are
//! declared to a [`NsId`] (DAV:, CalDAV, CardDAV, ...), so elements are matched by id and local
//! name; prefix lookups go through a map of prefixes to their innermost binding, behind a cache
//! of the last few. DTDs are skipped, never expanded.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{
    Element, MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACE_DECLARATIONS, MAX_TEXT_BYTES,
    Node, QName, unescape,
};
use crate::error::{Error, ErrorKind, Result};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// How many resolved prefixes [`Reader`] remembers between changes of the bindings.
const RECENT: usize = 4;

/// A namespace the core matches on, resolved once when it is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NsId {
    /// Any other namespace (the URI is in [`StartTag::ns`]).
    Other,
    /// No namespace.
    None,
    /// `DAV:`
    Dav,
    /// CalDAV
    CalDav,
    /// CardDAV
    CardDav,
    /// Calendar Server
    CalendarServer,
    /// Apple iCal
    AppleIcal,
    /// The `xml` prefix's namespace.
    Xml,
}

impl NsId {
    fn of(uri: &str) -> NsId {
        match uri {
            super::DAV => NsId::Dav,
            super::CALDAV => NsId::CalDav,
            super::CARDDAV => NsId::CardDav,
            super::CALENDARSERVER => NsId::CalendarServer,
            super::APPLE_ICAL => NsId::AppleIcal,
            "" => NsId::None,
            XML_NS => NsId::Xml,
            _ => NsId::Other,
        }
    }

    /// The URI as a static string, for the known namespaces.
    fn uri(self) -> Option<&'static str> {
        match self {
            NsId::Dav => Some(super::DAV),
            NsId::CalDav => Some(super::CALDAV),
            NsId::CardDav => Some(super::CARDDAV),
            NsId::CalendarServer => Some(super::CALENDARSERVER),
            NsId::AppleIcal => Some(super::APPLE_ICAL),
            NsId::None => Some(""),
            NsId::Xml => Some(XML_NS),
            NsId::Other => None,
        }
    }
}

/// One event of the document.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    /// An element opens (an empty element yields `Start` then `End`).
    Start(StartTag<'a>),
    /// The innermost open element closes.
    End,
    /// Character data, with entities and CDATA resolved.
    Text(Cow<'a, str>),
}

/// An opening tag with its resolved name.
#[derive(Debug)]
pub(crate) struct StartTag<'a> {
    pub ns: &'a str,
    pub id: NsId,
    pub local: &'a str,
    pub attributes: Vec<(&'a str, &'a str)>,
}

impl StartTag<'_> {
    /// Whether this is `DAV:local`.
    pub(crate) fn is_dav(&self, local: &str) -> bool {
        self.id == NsId::Dav && self.local == local
    }

    pub(crate) fn qname(&self) -> QName {
        QName {
            ns: match self.id.uri() {
                Some(uri) => Cow::Borrowed(uri),
                None => Cow::Owned(self.ns.to_owned()),
            },
            local: intern_local(self.local),
        }
    }
}

/// Property and element names that occur in nearly every response, kept without allocating.
fn intern_local(local: &str) -> Cow<'static, str> {
    let known = match local {
        "getetag" => "getetag",
        "calendar-data" => "calendar-data",
        "address-data" => "address-data",
        "resourcetype" => "resourcetype",
        "collection" => "collection",
        "calendar" => "calendar",
        "addressbook" => "addressbook",
        "displayname" => "displayname",
        "getcontenttype" => "getcontenttype",
        "getcontentlength" => "getcontentlength",
        "getlastmodified" => "getlastmodified",
        "getctag" => "getctag",
        "sync-token" => "sync-token",
        "href" => "href",
        "principal" => "principal",
        "current-user-principal" => "current-user-principal",
        "calendar-home-set" => "calendar-home-set",
        "addressbook-home-set" => "addressbook-home-set",
        "supported-calendar-component-set" => "supported-calendar-component-set",
        "comp" => "comp",
        "current-user-privilege-set" => "current-user-privilege-set",
        "privilege" => "privilege",
        "read" => "read",
        "write" => "write",
        "calendar-color" => "calendar-color",
        "calendar-description" => "calendar-description",
        _ => return Cow::Owned(local.to_owned()),
    };
    Cow::Borrowed(known)
}

/// The bounds one [`Reader`] enforces; the defaults are the constants of [`crate::xml`], and
/// [`crate::Limits`] carries configured ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub depth: usize,
    pub elements: usize,
    pub text_bytes: usize,
    pub attributes: usize,
    pub namespace_declarations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: MAX_DEPTH,
            elements: MAX_ELEMENTS,
            text_bytes: MAX_TEXT_BYTES,
            attributes: MAX_ATTRIBUTES,
            namespace_declarations: MAX_NAMESPACE_DECLARATIONS,
        }
    }
}

/// A prefix's binding: the URI and its id.
#[derive(Clone, Copy)]
struct Binding<'a> {
    uri: &'a str,
    id: NsId,
}

struct Open<'a> {
    /// The name as written (`prefix:local`), which the closing tag must repeat.
    raw: &'a str,
    /// Length of `Reader::declared` before this element's declarations.
    scope_len: usize,
    /// Bytes of character data read so far directly inside this element.
    text_bytes: usize,
}

/// Bytes that end a run of character data or need a closer look: `<`, `&`, `]` (for `]]>`),
/// the control characters XML does not allow, and 0xEF (which starts U+FFFE and U+FFFF).
static TEXT_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b, 0x09 | 0x0A | 0x0D);
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t[b']' as usize] = true;
    t[0xEF] = true;
    t
};

/// The bytes a name may hold: 1 for an ASCII name character, 2 for `:`, 4 for every byte of
/// a non-ASCII character (checked one by one when a name has any), 0 for the rest.
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => 1,
            b':' => 2,
            0x80..=0xFF => 4,
            _ => 0,
        };
        b += 1;
    }
    t
};

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XML 1.0 `NameStartChar`, without `:` (Namespaces in XML: names are NCNames around it).
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `name` is an NCName (a name without `:`).
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// Reads events from a document.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// For each prefix (`""` for the default namespace), its bindings from outermost to
    /// innermost; the last one is in force.
    bindings: HashMap<&'a str, Vec<Binding<'a>>>,
    /// The prefixes declared by the open elements, in document order (popped on close).
    declared: Vec<&'a str>,
    /// The last few (prefix, binding) pairs resolved since the bindings last changed: most
    /// documents declare their namespaces once, on the root, so this saves the hashing.
    recent: Vec<(&'a str, Binding<'a>)>,
    open: Vec<Open<'a>>,
    elements: usize,
    limits: Limits,
    pending_end: bool,
    seen_root: bool,
}

impl<'a> Reader<'a> {
    /// A reader with the default bounds.
    #[cfg(test)]
    pub(crate) fn new(text: &'a str) -> Self {
        Self::with_limits(text, Limits::default())
    }

    /// A reader with other bounds than the defaults.
    pub(crate) fn with_limits(text: &'a str, limits: Limits) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Reader {
            text,
            pos: 0,
            bindings: HashMap::new(),
            declared: Vec::new(),
            recent: Vec::with_capacity(RECENT),
            open: Vec::with_capacity(16),
            elements: 0,
            limits,
            pending_end: false,
            seen_root: false,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn rest_starts_with(&self, prefix: &[u8]) -> bool {
        self.bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    /// The next event, or `None` at the end of a complete document.
    pub(crate) fn next(&mut self) -> Result<Option<Event<'a>>> {
        if self.pending_end {
            self.pending_end = false;
            self.close_innermost();
            return Ok(Some(Event::End));
        }
        loop {
            let bytes = self.bytes();
            let Some(&b) = bytes.get(self.pos) else {
                if !self.open.is_empty() {
                    return Err(xml_error("the document ends before its elements close"));
                }
                if !self.seen_root {
                    return Err(xml_error("the document has no root element"));
                }
                return Ok(None);
            };
            if b != b'<' {
                let start = self.pos;
                let text = self.scan_text()?;
                if self.open.is_empty() {
                    if self.text[start..self.pos].bytes().all(is_space) {
                        continue;
                    }
                    return Err(xml_error("text outside the root element"));
                }
                // counted as written, before references were resolved
                self.count_text(self.pos - start)?;
                return Ok(Some(Event::Text(text)));
            }
            match bytes.get(self.pos + 1) {
                Some(b'/') => return self.end_tag().map(Some),
                Some(b'?') => self.skip_processing_instruction()?,
                Some(b'!') => {
                    if self.rest_starts_with(b"<!--") {
                        self.skip_comment()?;
                    } else if self.rest_starts_with(b"<![CDATA[") {
                        if self.open.is_empty() {
                            return Err(xml_error("CDATA outside the root element"));
                        }
                        let start = self.pos + 9;
                        let Some(len) = find(&bytes[start..], b"]]>") else {
                            return Err(xml_error("the document ends inside CDATA"));
                        };
                        self.pos = start + len + 3;
                        let text = &self.text[start..start + len];
                        check_chars(text)?;
                        self.count_text(len)?;
                        return Ok(Some(Event::Text(Cow::Borrowed(text))));
                    } else if self.rest_starts_with(b"<!DOCTYPE") {
                        if self.seen_root {
                            return Err(xml_error("a DOCTYPE after the root element"));
                        }
                        self.skip_doctype()?;
                    } else {
                        return Err(xml_error("malformed XML: unknown markup after `<!`"));
                    }
                }
                _ => return self.start().map(Some),
            }
        }
    }

    /// Reads character data up to the next `<` or the end, with entities resolved as
    /// [`unescape`] does, in the same pass: borrowed from the document when it holds no
    /// reference.
    fn scan_text(&mut self) -> Result<Cow<'a, str>> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        // The text with references resolved, up to `copied`; only made at the first one.
        let mut out: Option<String> = None;
        let mut copied = start;
        loop {
            i = skip_plain_text(bytes, i);
            match bytes.get(i) {
                None | Some(b'<') => break,
                Some(b'&') => {
                    if let Some((c, end)) = reference_at(self.text, i) {
                        let resolved = out.get_or_insert_with(|| {
                            // room for the rest of the text, as it is before resolving
                            String::with_capacity(find_lt(bytes, i) - start)
                        });
                        resolved.push_str(&self.text[copied..i]);
                        resolved.push(c);
                        copied = end;
                        i = end;
                        continue;
                    }
                }
                Some(b']') => {
                    if bytes[i..].starts_with(b"]]>") {
                        return Err(xml_error("malformed XML: `]]>` in character data"));
                    }
                }
                Some(0xEF) => {
                    // U+FFFE and U+FFFF are not XML characters.
                    if bytes.get(i + 1) == Some(&0xBF)
                        && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                    {
                        return Err(xml_error(
                            "malformed XML: a non-character in character data",
                        ));
                    }
                }
                Some(_) => {
                    return Err(xml_error(
                        "malformed XML: a control character in character data",
                    ));
                }
            }
            i += 1;
        }
        self.pos = i;
        Ok(match out {
            None => Cow::Borrowed(&self.text[start..i]),
            Some(mut resolved) => {
                resolved.push_str(&self.text[copied..i]);
                Cow::Owned(resolved)
            }
        })
    }

    /// Reads a qualified name at the current position: the whole name, prefix and local part.
    fn qname(&mut self) -> Result<(&'a str, &'a str, &'a str)> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        // The classes of the name's bytes, or-ed: 2 for a colon, 4 for a non-ASCII byte.
        let mut classes = 0u8;
        while let Some(&b) = bytes.get(i) {
            let class = NAME_CLASS[usize::from(b)];
            if class == 0 {
                break;
            }
            classes |= class;
            i += 1;
        }
        if i == bytes.len() {
            return Err(xml_error("the document ends inside a tag"));
        }
        let raw = &self.text[start..i];
        let (prefix, local) = if classes & 2 == 0 {
            ("", raw)
        } else {
            let colon = raw.bytes().position(|b| b == b':').unwrap_or(0);
            (&raw[..colon], &raw[colon + 1..])
        };
        let well_formed = if classes & 4 == 0 {
            // Only ASCII name characters and colons got in: check the first characters and
            // that there is one colon at most.
            let starts_well = |s: &str| {
                s.as_bytes()
                    .first()
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            };
            starts_well(local)
                && (classes & 2 == 0 || (starts_well(prefix) && !local.bytes().any(|b| b == b':')))
        } else {
            is_ncname(local) && (classes & 2 == 0 || is_ncname(prefix))
        };
        if !well_formed {
            return Err(xml_error("malformed XML: an invalid name"));
        }
        self.pos = i;
        Ok((raw, prefix, local))
    }

    /// Skips white space; whether there was any.
    fn skip_spaces(&mut self) -> bool {
        let bytes = self.bytes();
        let start = self.pos;
        while self.pos < bytes.len() && is_space(bytes[self.pos]) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn start(&mut self) -> Result<Event<'a>> {
        if self.open.is_empty() {
            if self.seen_root {
                return Err(xml_error("more than one root element"));
            }
            self.seen_root = true;
        }
        let limits = self.limits;
        if self.open.len() >= limits.depth {
            return Err(limit_error(&format!(
                "elements nest deeper than {} (Limits::max_xml_depth, default xml::MAX_DEPTH)",
                limits.depth
            )));
        }
        self.elements += 1;
        if self.elements > limits.elements {
            return Err(limit_error(&format!(
                "the document has more than {} elements (Limits::max_xml_elements, default \
                 xml::MAX_ELEMENTS)",
                limits.elements
            )));
        }
        self.pos += 1;
        let (raw, prefix, local) = self.qname()?;
        let scope_len = self.declared.len();
        // Open before its attributes: the declarations among them belong to it (`scope_len`).
        self.open.push(Open {
            raw,
            scope_len,
            text_bytes: 0,
        });
        let mut attributes = Vec::new();
        let empty = loop {
            let spaced = self.skip_spaces();
            match self.bytes().get(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') => {
                    if self.bytes().get(self.pos + 1) != Some(&b'>') {
                        return Err(xml_error("malformed XML: `/` inside a tag"));
                    }
                    self.pos += 2;
                    break true;
                }
                None => return Err(xml_error("the document ends inside a tag")),
                Some(_) if !spaced => {
                    return Err(xml_error(
                        "malformed XML: attributes need white space before them",
                    ));
                }
                Some(_) => {
                    let (_, p, l) = self.qname()?;
                    let value = self.attribute_value()?;
                    self.attribute(scope_len, p, l, value, &mut attributes)?;
                }
            }
        };
        let binding = self.resolve(prefix)?;
        self.pending_end = empty;
        Ok(Event::Start(StartTag {
            ns: binding.uri,
            id: binding.id,
            local,
            attributes,
        }))
    }

    /// Reads `= "value"` after an attribute's name.
    fn attribute_value(&mut self) -> Result<&'a str> {
        self.skip_spaces();
        if self.bytes().get(self.pos) != Some(&b'=') {
            return Err(xml_error("malformed XML: an attribute without `=`"));
        }
        self.pos += 1;
        self.skip_spaces();
        let bytes = self.bytes();
        let quote = match bytes.get(self.pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            None => return Err(xml_error("the document ends inside a tag")),
            Some(_) => {
                return Err(xml_error(
                    "malformed XML: an attribute value without quotes",
                ));
            }
        };
        let start = self.pos + 1;
        let Some(len) = bytes[start..].iter().position(|&b| b == quote) else {
            return Err(xml_error("the document ends inside a tag"));
        };
        let value = &self.text[start..start + len];
        if value.len() > self.limits.text_bytes {
            return Err(limit_error(&format!(
                "an attribute value is longer than {} bytes (Limits::max_xml_text_bytes, \
                 default xml::MAX_TEXT_BYTES)",
                self.limits.text_bytes
            )));
        }
        if value.contains('<') {
            return Err(xml_error("malformed XML: `<` in an attribute value"));
        }
        check_chars(value)?;
        self.pos = start + len + 1;
        Ok(value)
    }

    /// Records one attribute of the element just opened: a namespace declaration or a plain one.
    fn attribute(
        &mut self,
        scope_len: usize,
        prefix: &'a str,
        local: &'a str,
        value: &'a str,
        attributes: &mut Vec<(&'a str, &'a str)>,
    ) -> Result<()> {
        let limits = self.limits;
        let declares = if prefix == "xmlns" {
            Some(local)
        } else if prefix.is_empty() && local == "xmlns" {
            Some("")
        } else {
            None
        };
        if let Some(declared) = declares {
            if self.declared.len() - scope_len >= limits.namespace_declarations {
                return Err(limit_error(&format!(
                    "an element declares more than {} namespaces \
                     (Limits::max_xml_namespace_declarations, default \
                     xml::MAX_NAMESPACE_DECLARATIONS)",
                    limits.namespace_declarations
                )));
            }
            self.declared.push(declared);
            self.recent.clear();
            self.bindings.entry(declared).or_default().push(Binding {
                uri: value,
                id: NsId::of(value),
            });
        } else {
            if attributes.len() >= limits.attributes {
                return Err(limit_error(&format!(
                    "an element has more than {} attributes (Limits::max_xml_attributes, \
                     default xml::MAX_ATTRIBUTES)",
                    limits.attributes
                )));
            }
            attributes.push((local, value));
        }
        Ok(())
    }

    fn end_tag(&mut self) -> Result<Event<'a>> {
        let Some(top) = self.open.last() else {
            return Err(xml_error("a closing tag has no opening tag"));
        };
        let expected = top.raw;
        let bytes = self.bytes();
        let start = self.pos + 2;
        // The usual case: the very name of the open element, then `>`.
        let end = start + expected.len();
        let matches = bytes
            .get(start..end)
            .is_some_and(|name| name == expected.as_bytes())
            && bytes
                .get(end)
                .is_some_and(|b| NAME_CLASS[usize::from(*b)] == 0);
        if !matches {
            self.pos = start;
            let (found, _, _) = self.qname()?;
            return Err(xml_error(&format!(
                "closing tag `{found}` does not match `{expected}`"
            )));
        }
        self.pos = end;
        self.skip_spaces();
        match self.bytes().get(self.pos) {
            Some(b'>') => self.pos += 1,
            None => return Err(xml_error("the document ends inside a tag")),
            Some(_) => return Err(xml_error("malformed XML: a closing tag without `>`")),
        }
        self.close_innermost();
        Ok(Event::End)
    }

    /// Skips `<?target ...?>`; the XML declaration (`<?xml ...?>`) only at the start.
    fn skip_processing_instruction(&mut self) -> Result<()> {
        let at_start = self.pos == 0;
        self.pos += 2;
        let (target, prefix, _) = self.qname()?;
        if !prefix.is_empty() {
            return Err(xml_error(
                "malformed XML: a processing instruction target with `:`",
            ));
        }
        if target.eq_ignore_ascii_case("xml") && !at_start {
            return Err(xml_error(
                "malformed XML: an XML declaration after the start",
            ));
        }
        let Some(len) = find(&self.bytes()[self.pos..], b"?>") else {
            return Err(xml_error(
                "the document ends inside a processing instruction",
            ));
        };
        self.pos += len + 2;
        Ok(())
    }

    /// Skips `<!-- ... -->`.
    fn skip_comment(&mut self) -> Result<()> {
        let start = self.pos + 4;
        let Some(len) = find(&self.bytes()[start..], b"--") else {
            return Err(xml_error("the document ends inside a comment"));
        };
        // `--` may only come right before the closing `>`.
        if self.bytes().get(start + len + 2) != Some(&b'>') {
            return Err(xml_error("malformed XML: `--` inside a comment"));
        }
        self.pos = start + len + 3;
        Ok(())
    }

    /// Skips `<!DOCTYPE ...>` with its internal subset: declarations are never read, so no
    /// entity is ever expanded.
    fn skip_doctype(&mut self) -> Result<()> {
        let bytes = self.bytes();
        let mut i = self.pos + 9;
        let mut in_subset = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' | b'\'' => {
                    let Some(len) = bytes[i + 1..].iter().position(|&c| c == b) else {
                        break;
                    };
                    i += len + 1;
                }
                b'<' if bytes[i..].starts_with(b"<!--") => {
                    let Some(len) = find(&bytes[i + 4..], b"-->") else {
                        break;
                    };
                    i += 4 + len + 2;
                }
                b'[' if !in_subset => in_subset = true,
                b']' if in_subset => in_subset = false,
                b'>' if !in_subset => {
                    self.pos = i + 1;
                    return Ok(());
                }
                _ => {}
            }
            i += 1;
        }
        Err(xml_error("the document ends inside its DOCTYPE"))
    }

    fn resolve(&mut self, prefix: &'a str) -> Result<Binding<'a>> {
        if let Some((_, binding)) = self.recent.iter().find(|(p, _)| *p == prefix) {
            return Ok(*binding);
        }
        let binding = if prefix == "xml" {
            Binding {
                uri: XML_NS,
                id: NsId::Xml,
            }
        } else {
            match self.bindings.get(prefix).and_then(|b| b.last()) {
                Some(binding) => *binding,
                None if prefix.is_empty() => Binding {
                    uri: "",
                    id: NsId::None,
                },
                None => {
                    return Err(xml_error(&format!(
                        "the namespace prefix `{prefix}` is not declared"
                    )));
                }
            }
        };
        if self.recent.len() < RECENT {
            self.recent.push((prefix, binding));
        }
        Ok(binding)
    }

    fn close_innermost(&mut self) {
        let Some(open) = self.open.pop() else {
            return;
        };
        if self.declared.len() > open.scope_len {
            self.recent.clear();
        }
        while self.declared.len() > open.scope_len {
            if let Some(prefix) = self.declared.pop()
                && let Some(uris) = self.bindings.get_mut(prefix)
            {
                uris.pop();
                // A prefix no open element binds is forgotten, so the map holds only what is
                // in scope (at most MAX_DEPTH x MAX_NAMESPACE_DECLARATIONS prefixes).
                if uris.is_empty() {
                    self.bindings.remove(prefix);
                }
            }
        }
    }

    /// Counts character data against the innermost element's text limit.
    fn count_text(&mut self, len: usize) -> Result<()> {
        let max = self.limits.text_bytes;
        if let Some(top) = self.open.last_mut() {
            top.text_bytes = top.text_bytes.saturating_add(len);
            if top.text_bytes > max {
                return Err(limit_error(&format!(
                    "an element holds more than {max} bytes of text (Limits::max_xml_text_bytes, \
                     default xml::MAX_TEXT_BYTES)"
                )));
            }
        }
        Ok(())
    }

    /// Skips the rest of the element whose `Start` was just read.
    pub(crate) fn skip(&mut self) -> Result<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Some(Event::Start(_)) => depth += 1,
                Some(Event::End) => depth -= 1,
                Some(Event::Text(_)) => {}
                None => return Err(xml_error("the document ends early")),
            }
        }
        Ok(())
    }

    /// Reads the text of the element whose `Start` was just read, ignoring nested elements.
    /// Borrowed from the document when it is one chunk without entities (the usual case).
    pub(crate) fn text(&mut self) -> Result<Cow<'a, str>> {
        let mut out: Option<Cow<'a, str>> = None;
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Some(Event::Start(_)) => depth += 1,
                Some(Event::End) => depth -= 1,
                Some(Event::Text(t)) if depth == 1 => match &mut out {
                    None => out = Some(t),
                    Some(prev) => prev.to_mut().push_str(&t),
                },
                Some(Event::Text(_)) => {}
                None => return Err(xml_error("the document ends early")),
            }
        }
        Ok(out.unwrap_or(Cow::Borrowed("")))
    }

    /// Builds the element whose `Start` tag was just read, with all its content. Every vector
    /// of the tree is allocated at its final size (a text-only element, the usual property,
    /// costs its one-child list and its text).
    pub(crate) fn element(&mut self, start: &StartTag<'a>) -> Result<Element> {
        let mut element = new_element(start);
        // The usual property: empty, or one piece of text.
        let first = match self.next()? {
            Some(Event::End) => return Ok(element),
            Some(Event::Text(t)) => match self.next()? {
                Some(Event::End) => {
                    element.children = vec![Node::Text(t.into_owned())];
                    return Ok(element);
                }
                next => {
                    let children = vec![Node::Text(t.into_owned())];
                    return self.element_rest(element, children, next);
                }
            },
            other => other,
        };
        self.element_rest(element, Vec::new(), first)
    }

    /// The rest of [`Reader::element`], from the event `pending` (already read) on.
    fn element_rest(
        &mut self,
        mut current: Element,
        mut children: Vec<Node>,
        pending: Option<Event<'a>>,
    ) -> Result<Element> {
        // Open elements, each with its children so far.
        let mut stack: Vec<(Element, Vec<Node>)> = Vec::new();
        let mut pending = Some(pending);
        loop {
            let event = match pending.take() {
                Some(event) => event,
                None => self.next()?,
            };
            match event {
                Some(Event::Start(tag)) => {
                    let parent = std::mem::replace(&mut current, new_element(&tag));
                    stack.push((parent, std::mem::take(&mut children)));
                }
                Some(Event::Text(t)) => match children.last_mut() {
                    Some(Node::Text(prev)) => prev.push_str(&t),
                    _ => children.push(Node::Text(t.into_owned())),
                },
                Some(Event::End) => {
                    current.children = exact(children);
                    match stack.pop() {
                        Some((parent, siblings)) => {
                            let done = std::mem::replace(&mut current, parent);
                            children = siblings;
                            children.push(Node::Element(done));
                        }
                        None => return Ok(current),
                    }
                }
                None => return Err(xml_error("the document ends early")),
            }
        }
    }
}

/// The vector with no spare capacity (a single push leaves room for four).
pub(crate) fn exact<T>(v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() {
        v
    } else {
        v.into_boxed_slice().into_vec()
    }
}

const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether a byte of `w` is zero (exact as to whether any is; which one does not matter).
fn has_zero(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGH
}

/// The eight bytes at `i` as one word, when there are eight.
fn word_at(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk = bytes.get(i..i + 8)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_ne_bytes(word))
}

/// The position of the next byte of character data from `i` on that [`Reader::scan_text`]
/// must look at (see [`TEXT_STOP`]), or the end: eight bytes at a time while none of them
/// can be one, else byte by byte through that word.
fn skip_plain_text(bytes: &[u8], mut i: usize) -> usize {
    loop {
        while let Some(w) = word_at(bytes, i) {
            // a byte below 0x20 (tab, LF and CR too: the byte loop below lets them pass)
            let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
            let stop = control
                | has_zero(w ^ (ONES * u64::from(b'<')))
                | has_zero(w ^ (ONES * u64::from(b'&')))
                | has_zero(w ^ (ONES * u64::from(b']')))
                | has_zero(w ^ (ONES * 0xEF));
            if stop != 0 {
                break;
            }
            i += 8;
        }
        let end = bytes.len().min(i + 8);
        while i < end {
            if TEXT_STOP[usize::from(bytes[i])] {
                return i;
            }
            i += 1;
        }
        if i == bytes.len() {
            return i;
        }
    }
}

/// The position of the first `<` from `i` on, or the end.
fn find_lt(bytes: &[u8], mut i: usize) -> usize {
    while let Some(w) = word_at(bytes, i) {
        if has_zero(w ^ (ONES * u64::from(b'<'))) != 0 {
            break;
        }
        i += 8;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(|&b| b == b'<')
        .map_or(bytes.len(), |at| i + at)
}

/// The character of the reference starting at the `&` at `at` and the position after its
/// `;`, as [`unescape`] reads it: a name of at most [`super::MAX_ENTITY_LEN`] bytes before
/// the `;`, and no `&` or `<` on the way.
fn reference_at(text: &str, at: usize) -> Option<(char, usize)> {
    let bytes = text.as_bytes();
    let window = bytes.get(at + 1..)?;
    let window = &window[..window.len().min(super::MAX_ENTITY_LEN + 1)];
    let semi = window
        .iter()
        .position(|&b| matches!(b, b';' | b'&' | b'<'))?;
    if window[semi] != b';' {
        return None;
    }
    let c = super::resolve_entity(text.get(at + 1..at + 1 + semi)?)?;
    Some((c, at + 2 + semi))
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if haystack.get(at..)?.starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Refuses the characters XML does not allow (control characters but tab, LF and CR;
/// U+FFFE, U+FFFF), for CDATA and attribute values (text is checked as it is scanned).
fn check_chars(text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    let bad = bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || (b == 0xEF
                && bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
    });
    if bad {
        return Err(xml_error("malformed XML: a character XML does not allow"));
    }
    Ok(())
}

fn new_element(tag: &StartTag<'_>) -> Element {
    Element {
        name: tag.qname(),
        attributes: tag
            .attributes
            .iter()
            .map(|(n, v)| ((*n).to_owned(), unescape(v).into_owned()))
            .collect(),
        children: Vec::new(),
    }
}

pub(crate) fn xml_error(message: &str) -> Error {
    Error::new(ErrorKind::Xml, message)
}

/// A document past one of the reader's limits (an [`ErrorKind::LimitExceeded`] error that
/// names it).
pub(crate) fn limit_error(message: &str) -> Error {
    Error::new(ErrorKind::LimitExceeded, message)
}

/// Decodes a body as UTF-8 XML text (a UTF-8 BOM is allowed).
pub(crate) fn body_text(body: &[u8]) -> Result<&str> {
    std::str::from_utf8(body).map_err(|e| {
        xml_error(&format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Parses a whole document into one element tree (for small bodies such as `DAV:error`), with
/// the default [`Limits`](crate::Limits).
pub fn parse_element(body: &[u8]) -> Result<Element> {
    parse_element_with_limits(body, &crate::Limits::default())
}

/// [`parse_element`] with the XML bounds of `limits`; a document past one is an
/// [`ErrorKind::LimitExceeded`] error.
pub fn parse_element_with_limits(body: &[u8], limits: &crate::Limits) -> Result<Element> {
    let text = body_text(body)?;
    let mut reader = Reader::with_limits(text, limits.xml());
    let root = match reader.next()? {
        Some(Event::Start(tag)) => reader.element(&tag)?,
        _ => return Err(xml_error("the document has no root element")),
    };
    // Make sure the rest is well-formed too.
    while reader.next()?.is_some() {}
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(xml: &str) -> Result<Vec<String>> {
        let mut r = Reader::new(xml);
        let mut out = Vec::new();
        while let Some(ev) = r.next()? {
            match ev {
                Event::Start(t) => out.push(format!("<{{{}}}{}", t.ns, t.local)),
                Event::End => out.push(">".into()),
                Event::Text(t) => out.push(format!("'{t}'")),
            }
        }
        Ok(out)
    }

    /// The text of `<a>{raw}</a>` as the reader gives it (one event).
    fn text_of(raw: &str) -> Result<String> {
        let xml = format!("<a>{raw}</a>");
        let mut r = Reader::new(&xml);
        let mut out = String::new();
        while let Some(ev) = r.next()? {
            if let Event::Text(t) = ev {
                out.push_str(&t);
            }
        }
        Ok(out)
    }

    #[test]
    fn text_references_resolve_as_unescape_does() -> Result<()> {
        for raw in [
            "a &lt;b&gt; &amp; &quot;c&apos;",
            "line&#13;&#10;next&#x41;",
            "AT&T & co &bogus; &#xZZ;",
            "&#1114112;",
            "&&lt;&",
            "&#x10FFFF;&#1114111;",
            "&#0000000065;",
            "&#000000065;",
            "&am&amp;p;",
            "&lt",
            "trailing &",
            "&;",
            "\u{e9}t\u{e9} &#233; \u{1F600}&#x1F600;",
        ] {
            assert_eq!(text_of(raw)?, unescape(raw), "{raw:?}");
        }
        Ok(())
    }

    #[test]
    fn every_stop_byte_is_seen_at_every_offset() {
        // The word-at-a-time scan must stop at each byte it is meant to, wherever it falls.
        for offset in 0..24 {
            let pad = "x".repeat(offset);
            assert_eq!(
                text_of(&format!("{pad}&amp;{pad}")).ok(),
                Some(format!("{pad}&{pad}"))
            );
            for bad in ["\u{1}", "]]>", "\u{FFFE}", "\u{FFFF}", "\u{1F}"] {
                let err = text_of(&format!("{pad}{bad}{pad}")).err();
                assert_eq!(
                    err.map(|e| e.kind()),
                    Some(ErrorKind::Xml),
                    "{offset} {bad:?}"
                );
            }
            for fine in ["\t", "\n", "\r", "]]", "\u{EF}\u{FFFD}\u{FEFF}", "\u{7F}"] {
                let text = format!("{pad}{fine}{pad}");
                assert_eq!(text_of(&text).ok(), Some(text.clone()), "{offset} {fine:?}");
            }
        }
    }

    #[test]
    fn resolves_prefixes_and_defaults() -> Result<()> {
        let got = names(r#"<a:x xmlns:a="DAV:"><y xmlns="urn:c"><a:z/></y></a:x>"#)?;
        assert_eq!(got, ["<{DAV:}x", "<{urn:c}y", "<{DAV:}z", ">", ">", ">"]);
        Ok(())
    }

    #[test]
    fn inner_declarations_shadow_outer() -> Result<()> {
        let got = names(r#"<d:a xmlns:d="DAV:"><d:b xmlns:d="urn:other"/><d:c/></d:a>"#)?;
        assert_eq!(
            got,
            ["<{DAV:}a", "<{urn:other}b", ">", "<{DAV:}c", ">", ">"]
        );
        Ok(())
    }

    #[test]
    fn cdata_and_entities() -> Result<()> {
        let got = names("<a>x &amp; <![CDATA[<raw> & stuff]]></a>")?;
        assert_eq!(got, ["<{}a", "'x & '", "'<raw> & stuff'", ">"]);
        Ok(())
    }

    #[test]
    fn rejects_bad_documents() {
        for bad in [
            "<a><b></a>",
            "<a>",
            "",
            "<a/><b/>",
            "<x:a/>",
            "<a>text</a>trailing",
            "<a attr='1' <b/>",
        ] {
            let err = names(bad).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Xml), "{bad:?}");
        }
    }

    #[test]
    fn bounds_depth() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        let err = names(&deep).err();
        assert!(err.is_some_and(|e| e.message().contains("xml::MAX_DEPTH")));
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(names(&ok).is_ok());
    }

    /// Reads every event with these limits; the error message on failure.
    fn read_all(xml: &str, limits: Limits) -> std::result::Result<usize, String> {
        let mut r = Reader::with_limits(xml, limits);
        let mut events = 0;
        loop {
            match r.next() {
                Ok(Some(_)) => events += 1,
                Ok(None) => return Ok(events),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
                    return Err(e.message().to_owned());
                }
            }
        }
    }

    fn small() -> Limits {
        Limits {
            depth: 8,
            elements: 10,
            text_bytes: 16,
            attributes: 2,
            namespace_declarations: 2,
        }
    }

    #[test]
    fn bounds_element_count() {
        // the root and nine children: ten elements, twenty events
        let ten = format!("<r>{}</r>", "<a/>".repeat(9));
        assert_eq!(read_all(&ten, small()), Ok(20));
        let eleven = format!("<r>{}</r>", "<a/>".repeat(10));
        let err = read_all(&eleven, small()).err();
        assert!(err.is_some_and(|m| m.contains("xml::MAX_ELEMENTS")));
    }

    #[test]
    fn bounds_text_per_element_across_pieces() {
        // 16 bytes in four pieces (text, CDATA, text after a comment) is the limit ...
        assert!(read_all("<r>abcd<![CDATA[efgh]]>ijkl<!--c-->mnop</r>", small()).is_ok());
        // ... one more byte is past it, however it is split
        let err = read_all("<r>abcd<![CDATA[efgh]]>ijkl<!--c-->mnopq</r>", small()).err();
        assert!(err.is_some_and(|m| m.contains("xml::MAX_TEXT_BYTES")));
        // text is counted per element: each child has its own budget
        let per_child = format!("<r>{}</r>", "<a>0123456789abcdef</a>".repeat(4));
        assert!(read_all(&per_child, small()).is_ok());
        let err = read_all(r#"<r a="0123456789abcdefg"/>"#, small()).err();
        assert!(err.is_some_and(|m| m.contains("xml::MAX_TEXT_BYTES")));
    }

    #[test]
    fn bounds_attributes_and_declarations_per_element() {
        assert!(read_all(r#"<r a="1" b="2" xmlns="DAV:" xmlns:x="x"/>"#, small()).is_ok());
        let err = read_all(r#"<r a="1" b="2" c="3"/>"#, small()).err();
        assert!(err.is_some_and(|m| m.contains("xml::MAX_ATTRIBUTES")));
        let err = read_all(r#"<r xmlns="DAV:" xmlns:x="x" xmlns:y="y"/>"#, small()).err();
        assert!(err.is_some_and(|m| m.contains("xml::MAX_NAMESPACE_DECLARATIONS")));
        // declarations are counted per element, not per document
        let nested = r#"<r xmlns:a="1" xmlns:b="2"><s xmlns:c="3" xmlns:d="4"><a:t/></s></r>"#;
        assert_eq!(read_all(nested, small()), Ok(6));
    }

    #[test]
    fn closed_scopes_leave_no_bindings() -> Result<()> {
        // 1,000 siblings, each declaring 3 prefixes of its own: none stays bound after its close
        let mut xml = String::from("<r>");
        for i in 0..1000 {
            xml.push_str(&format!(
                r#"<e xmlns:a{i}="1" xmlns:b{i}="2" xmlns:c{i}="3"/>"#
            ));
        }
        xml.push_str("</r>");
        let mut r = Reader::new(&xml);
        let mut most = 0;
        while r.next()?.is_some() {
            most = most.max(r.bindings.len());
        }
        assert_eq!(most, 3);
        assert!(r.bindings.is_empty() && r.declared.is_empty());
        Ok(())
    }

    #[test]
    fn prefix_bindings_unwind_on_close() -> Result<()> {
        // p is bound three times on the way down; each close restores the outer binding
        let xml =
            r#"<p:a xmlns:p="u1"><p:b xmlns:p="u2"><p:c xmlns:p="u3"/><p:d/></p:b><p:e/></p:a>"#;
        let got = names(xml)?;
        assert_eq!(
            got,
            [
                "<{u1}a", "<{u2}b", "<{u3}c", ">", "<{u2}d", ">", ">", "<{u1}e", ">", ">"
            ]
        );
        // a prefix declared only inside a closed element is no longer bound
        let err = names(r#"<r><a xmlns:q="u"/><q:b/></r>"#).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Xml));
        Ok(())
    }

    #[test]
    fn innermost_of_many_bindings_wins() -> Result<()> {
        // 64 prefixes on each of 100 nested levels (6,400 bindings in scope): every lookup is
        // one map access, and the innermost binding wins
        let mut xml = String::new();
        for level in 0..100 {
            xml.push_str("<e");
            for p in 0..MAX_NAMESPACE_DECLARATIONS {
                xml.push_str(&format!(r#" xmlns:p{p}="urn:{level}:{p}""#));
            }
            xml.push('>');
        }
        xml.push_str("<p0:leaf/>");
        xml.push_str(&"</e>".repeat(100));
        let got = names(&xml)?;
        assert_eq!(got.get(100).map(String::as_str), Some("<{urn:99:0}leaf"));
        Ok(())
    }
}
