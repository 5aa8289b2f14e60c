//! A namespace-resolving event reader over its own byte-level tokenizer (XML 1.0 + Namespaces
//! in XML 1.0). It checks that tags nest and names are well-formed, reports truncated
//! documents, and bounds what one document may hold (see the limits in [`crate::xml`]): depth,
//! elements, attributes and namespace declarations per element, namespace declarations in
//! scope, and text per element.
//!
//! Work per byte is small and constant: character data is scanned with one table lookup per
//! byte and borrowed from the document unless it holds entities; a closing tag is matched by
//! comparing its bytes with the open element's name; namespace URIs are resolved when they are
//! declared to a [`NsId`] (DAV:, CalDAV, CardDAV, ...), so elements are matched by id and local
//! name; a prefix is looked up by scanning the declarations in scope from the innermost (at
//! most [`MAX_NAMESPACES_IN_SCOPE`](super::MAX_NAMESPACES_IN_SCOPE) of them), behind a cache of
//! the last few. DTDs are skipped, never expanded.

mod chars;
mod ns;
mod tags;

pub(crate) use ns::NsId;

use crate::bytes::find;
use chars::{NAME_CLASS, check_chars, find_lt, is_ncname, is_space, reference_at, skip_plain_text};
use ns::{Binding, intern_local};

use std::borrow::Cow;

use super::{
    Element, MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACE_DECLARATIONS,
    MAX_NAMESPACES_IN_SCOPE, MAX_TEXT_BYTES, Node, QName, unescape,
};
use crate::error::{Error, ErrorKind, Result};

/// How many resolved prefixes [`Reader`] remembers between changes of the bindings.
const RECENT: usize = 4;

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

/// The bounds one [`Reader`] enforces; the defaults are the constants of [`crate::xml`], and
/// [`crate::Limits`] carries configured ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub depth: usize,
    pub elements: usize,
    pub text_bytes: usize,
    pub attributes: usize,
    pub namespace_declarations: usize,
    /// Namespace declarations of all the open elements together: a prefix lookup scans them.
    pub namespaces_in_scope: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: MAX_DEPTH,
            elements: MAX_ELEMENTS,
            text_bytes: MAX_TEXT_BYTES,
            attributes: MAX_ATTRIBUTES,
            namespace_declarations: MAX_NAMESPACE_DECLARATIONS,
            namespaces_in_scope: MAX_NAMESPACES_IN_SCOPE,
        }
    }
}

struct Open<'a> {
    /// The name as written (`prefix:local`), which the closing tag must repeat.
    raw: &'a str,
    /// Length of `Reader::declared` before this element's declarations.
    scope_len: usize,
    /// Bytes of character data read so far directly inside this element.
    text_bytes: usize,
}

/// Reads events from a document.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// The namespace declarations of the open elements, in document order (each element's are
    /// dropped when it closes): the prefix (`""` for the default namespace) and its binding. The
    /// last one of a prefix is in force. At most `limits.namespaces_in_scope`, so the scan
    /// from the end that finds it is bounded (a hash map would bring its table code into the
    /// npm modules).
    declared: Vec<(&'a str, Binding<'a>)>,
    /// The last few (prefix, binding) pairs resolved since the bindings last changed: most
    /// documents declare their namespaces once, on the root, so this saves the scan.
    recent: Vec<(&'a str, Binding<'a>)>,
    open: Vec<Open<'a>>,
    elements: usize,
    limits: Limits,
    pending_end: bool,
    seen_root: bool,
    /// Bytes of namespace names copied into element trees so far (see [`Reader::new_element`]).
    ns_copied: usize,
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
            declared: Vec::new(),
            recent: Vec::with_capacity(RECENT),
            open: Vec::with_capacity(16),
            elements: 0,
            limits,
            pending_end: false,
            seen_root: false,
            ns_copied: 0,
        }
    }

    /// The byte offset reached in the document (after a leading BOM, which is not counted).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// How many elements have been opened so far (counted against the element limit).
    pub(crate) fn elements_read(&self) -> usize {
        self.elements
    }

    /// Counts `n` elements as already read, so that a document read in pieces (a multistatus
    /// read as it arrives, one response at a time) is held to one element limit as a whole.
    pub(crate) fn count_elements_from(&mut self, n: usize) {
        self.elements = n;
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
        let mut element = self.new_element(start)?;
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
                    let parent = std::mem::replace(&mut current, self.new_element(&tag)?);
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

impl Reader<'_> {
    /// The element of a tree for `tag`. An element in a namespace without a [`NsId`] owns a
    /// copy of its namespace name, so a long name declared once and used by many short
    /// elements (`<x:b/>`, six bytes, copying a 100 KB name) would cost far more than the
    /// document: the names copied count, and past twice the document's length plus
    /// [`Limits::text_bytes`] the document is refused.
    fn new_element(&mut self, tag: &StartTag<'_>) -> Result<Element> {
        if tag.id.uri().is_none() {
            self.ns_copied = self.ns_copied.saturating_add(tag.ns.len());
            let max = self
                .text
                .len()
                .saturating_mul(2)
                .saturating_add(self.limits.text_bytes);
            if self.ns_copied > max {
                return Err(limit_error(&format!(
                    "the elements' namespace names add up to more than {max} bytes (twice the \
                     document, plus Limits::max_xml_text_bytes)"
                )));
            }
        }
        Ok(new_element(tag))
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

fn new_element(tag: &StartTag<'_>) -> Element {
    let mut attributes = Vec::with_capacity(tag.attributes.len());
    for (n, v) in &tag.attributes {
        attributes.push(((*n).to_owned(), unescape(v).into_owned()));
    }
    Element {
        name: tag.qname(),
        attributes,
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
mod tests;
