//! A namespace-resolving event reader on top of the `xmlparser` tokenizer (XML 1.0 + Namespaces
//! in XML 1.0). It checks that tags nest, reports truncated documents, and bounds what one
//! document may hold (see the limits in [`crate::xml`]): depth, elements, attributes and
//! namespace declarations per element, and text per element. Work per token is constant: prefix
//! lookups go through a map of prefixes to their innermost binding.

use std::borrow::Cow;
use std::collections::HashMap;

use xmlparser::{ElementEnd, Token, Tokenizer};

use super::{
    Element, MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACE_DECLARATIONS, MAX_TEXT_BYTES,
    Node, QName, unescape,
};
use crate::error::{Error, ErrorKind, Result};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

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
    pub local: &'a str,
    pub attributes: Vec<(&'a str, &'a str)>,
}

impl StartTag<'_> {
    pub(crate) fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns == ns
    }

    pub(crate) fn qname(&self) -> QName {
        QName {
            ns: intern_ns(self.ns),
            local: intern_local(self.local),
        }
    }
}

/// Property and element names that occur in nearly every response, kept without allocating.
const KNOWN_LOCAL_NAMES: [&str; 24] = [
    "getetag",
    "calendar-data",
    "address-data",
    "resourcetype",
    "collection",
    "calendar",
    "addressbook",
    "displayname",
    "getcontenttype",
    "getctag",
    "sync-token",
    "href",
    "principal",
    "current-user-principal",
    "calendar-home-set",
    "addressbook-home-set",
    "supported-calendar-component-set",
    "comp",
    "current-user-privilege-set",
    "privilege",
    "read",
    "write",
    "calendar-color",
    "calendar-description",
];

fn intern_local(local: &str) -> Cow<'static, str> {
    match KNOWN_LOCAL_NAMES.iter().find(|k| **k == local) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(local.to_owned()),
    }
}

fn intern_ns(ns: &str) -> Cow<'static, str> {
    for known in [
        super::DAV,
        super::CALDAV,
        super::CARDDAV,
        super::CALENDARSERVER,
        super::APPLE_ICAL,
    ] {
        if ns == known {
            return Cow::Borrowed(known);
        }
    }
    Cow::Owned(ns.to_owned())
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

struct Open<'a> {
    prefix: &'a str,
    local: &'a str,
    /// Length of `Reader::declared` before this element's declarations.
    scope_len: usize,
    /// Bytes of character data read so far directly inside this element.
    text_bytes: usize,
}

/// Reads events from a document.
pub(crate) struct Reader<'a> {
    tokens: Tokenizer<'a>,
    /// For each prefix (`""` for the default namespace), its bindings from outermost to
    /// innermost; the last one is in force.
    bindings: HashMap<&'a str, Vec<&'a str>>,
    /// The prefixes declared by the open elements, in document order (popped on close).
    declared: Vec<&'a str>,
    /// The last few (prefix, namespace) pairs resolved since the bindings last changed: most
    /// documents declare their namespaces once, on the root, so this saves the hashing.
    recent: Vec<(&'a str, &'a str)>,
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
            tokens: Tokenizer::from(text),
            bindings: HashMap::new(),
            declared: Vec::new(),
            recent: Vec::with_capacity(RECENT),
            open: Vec::new(),
            elements: 0,
            limits,
            pending_end: false,
            seen_root: false,
        }
    }

    /// The next event, or `None` at the end of a complete document.
    pub(crate) fn next(&mut self) -> Result<Option<Event<'a>>> {
        if self.pending_end {
            self.pending_end = false;
            self.close_innermost();
            return Ok(Some(Event::End));
        }
        loop {
            let token = match self.tokens.next() {
                None => {
                    if !self.open.is_empty() {
                        return Err(xml_error("the document ends before its elements close"));
                    }
                    if !self.seen_root {
                        return Err(xml_error("the document has no root element"));
                    }
                    return Ok(None);
                }
                Some(Err(e)) => return Err(xml_error(&format!("malformed XML: {e}"))),
                Some(Ok(t)) => t,
            };
            match token {
                Token::ElementStart { prefix, local, .. } => {
                    return self.start(prefix.as_str(), local.as_str()).map(Some);
                }
                Token::ElementEnd {
                    end: ElementEnd::Close(prefix, local),
                    ..
                } => {
                    let Some(top) = self.open.last() else {
                        return Err(xml_error("a closing tag has no opening tag"));
                    };
                    if top.prefix != prefix.as_str() || top.local != local.as_str() {
                        return Err(xml_error(&format!(
                            "closing tag `{}` does not match `{}`",
                            local.as_str(),
                            top.local
                        )));
                    }
                    self.close_innermost();
                    return Ok(Some(Event::End));
                }
                Token::ElementEnd { .. } => {
                    return Err(xml_error("unexpected end of a tag"));
                }
                Token::Text { text } => {
                    if self.open.is_empty() {
                        if text.as_str().trim().is_empty() {
                            continue;
                        }
                        return Err(xml_error("text outside the root element"));
                    }
                    self.count_text(text.as_str().len())?;
                    return Ok(Some(Event::Text(unescape(text.as_str()))));
                }
                Token::Cdata { text, .. } => {
                    if self.open.is_empty() {
                        return Err(xml_error("CDATA outside the root element"));
                    }
                    self.count_text(text.as_str().len())?;
                    return Ok(Some(Event::Text(Cow::Borrowed(text.as_str()))));
                }
                Token::Attribute { .. } => {
                    return Err(xml_error("an attribute outside a tag"));
                }
                Token::Declaration { .. }
                | Token::ProcessingInstruction { .. }
                | Token::Comment { .. }
                | Token::DtdStart { .. }
                | Token::EmptyDtd { .. }
                | Token::EntityDeclaration { .. }
                | Token::DtdEnd { .. } => continue,
            }
        }
    }

    fn start(&mut self, prefix: &'a str, local: &'a str) -> Result<Event<'a>> {
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
        let scope_len = self.declared.len();
        // Open before its attributes: the declarations among them belong to it (`scope_len`).
        self.open.push(Open {
            prefix,
            local,
            scope_len,
            text_bytes: 0,
        });
        let mut attributes = Vec::new();
        let empty = loop {
            match self.tokens.next() {
                Some(Ok(Token::Attribute {
                    prefix: p,
                    local: l,
                    value,
                    ..
                })) => {
                    let declares = if p.as_str() == "xmlns" {
                        Some(l.as_str())
                    } else if p.as_str().is_empty() && l.as_str() == "xmlns" {
                        Some("")
                    } else {
                        None
                    };
                    if value.as_str().len() > limits.text_bytes {
                        return Err(limit_error(&format!(
                            "an attribute value is longer than {} bytes (Limits::max_xml_text_bytes, \
                             default xml::MAX_TEXT_BYTES)",
                            limits.text_bytes
                        )));
                    }
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
                        self.bindings
                            .entry(declared)
                            .or_default()
                            .push(value.as_str());
                    } else {
                        if attributes.len() >= limits.attributes {
                            return Err(limit_error(&format!(
                                "an element has more than {} attributes (Limits::max_xml_attributes, \
                                 default xml::MAX_ATTRIBUTES)",
                                limits.attributes
                            )));
                        }
                        attributes.push((l.as_str(), value.as_str()));
                    }
                }
                Some(Ok(Token::ElementEnd {
                    end: ElementEnd::Open,
                    ..
                })) => break false,
                Some(Ok(Token::ElementEnd {
                    end: ElementEnd::Empty,
                    ..
                })) => break true,
                Some(Ok(_)) => return Err(xml_error("unexpected content inside a tag")),
                Some(Err(e)) => return Err(xml_error(&format!("malformed XML: {e}"))),
                None => return Err(xml_error("the document ends inside a tag")),
            }
        };
        let ns = self.resolve(prefix)?;
        self.pending_end = empty;
        Ok(Event::Start(StartTag {
            ns,
            local,
            attributes,
        }))
    }

    fn resolve(&mut self, prefix: &'a str) -> Result<&'a str> {
        if let Some((_, uri)) = self.recent.iter().find(|(p, _)| *p == prefix) {
            return Ok(uri);
        }
        let uri = if prefix == "xml" {
            XML_NS
        } else {
            match self.bindings.get(prefix).and_then(|uris| uris.last()) {
                Some(uri) => uri,
                None if prefix.is_empty() => "",
                None => {
                    return Err(xml_error(&format!(
                        "the namespace prefix `{prefix}` is not declared"
                    )));
                }
            }
        };
        if self.recent.len() < RECENT {
            self.recent.push((prefix, uri));
        }
        Ok(uri)
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

    /// Builds the element whose `Start` tag was just read, with all its content.
    pub(crate) fn element(&mut self, start: &StartTag<'a>) -> Result<Element> {
        let mut stack: Vec<Element> = vec![new_element(start)];
        loop {
            match self.next()? {
                Some(Event::Start(tag)) => stack.push(new_element(&tag)),
                Some(Event::Text(t)) => {
                    if let Some(top) = stack.last_mut() {
                        match top.children.last_mut() {
                            Some(Node::Text(prev)) => prev.push_str(&t),
                            _ => top.children.push(Node::Text(t.into_owned())),
                        }
                    }
                }
                Some(Event::End) => {
                    let Some(done) = stack.pop() else {
                        return Err(xml_error("unbalanced element"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(done)),
                        None => return Ok(done),
                    }
                }
                None => return Err(xml_error("the document ends early")),
            }
        }
    }
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
