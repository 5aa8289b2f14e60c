//! A namespace-resolving event reader on top of the `xmlparser` tokenizer (XML 1.0 + Namespaces
//! in XML 1.0). It checks that tags nest, bounds the depth, and reports truncated documents.

use std::borrow::Cow;

use xmlparser::{ElementEnd, Token, Tokenizer};

use super::{Element, Node, QName, unescape};
use crate::error::{Error, ErrorKind, Result};

/// Deeper documents are refused, which also bounds every recursive walk over them.
pub(crate) const MAX_DEPTH: usize = 128;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

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

struct Open<'a> {
    prefix: &'a str,
    local: &'a str,
    scope_len: usize,
}

/// Reads events from a document.
pub(crate) struct Reader<'a> {
    tokens: Tokenizer<'a>,
    scopes: Vec<(&'a str, &'a str)>,
    open: Vec<Open<'a>>,
    pending_end: bool,
    seen_root: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Reader {
            tokens: Tokenizer::from(text),
            scopes: Vec::new(),
            open: Vec::new(),
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
                    return Ok(Some(Event::Text(unescape(text.as_str()))));
                }
                Token::Cdata { text, .. } => {
                    if self.open.is_empty() {
                        return Err(xml_error("CDATA outside the root element"));
                    }
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
        if self.open.len() >= MAX_DEPTH {
            return Err(xml_error("elements nest too deeply"));
        }
        let scope_len = self.scopes.len();
        let mut attributes = Vec::new();
        let empty = loop {
            match self.tokens.next() {
                Some(Ok(Token::Attribute {
                    prefix: p,
                    local: l,
                    value,
                    ..
                })) => {
                    if p.as_str() == "xmlns" {
                        self.scopes.push((l.as_str(), value.as_str()));
                    } else if p.as_str().is_empty() && l.as_str() == "xmlns" {
                        self.scopes.push(("", value.as_str()));
                    } else {
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
        self.open.push(Open {
            prefix,
            local,
            scope_len,
        });
        let ns = self.resolve(prefix)?;
        self.pending_end = empty;
        Ok(Event::Start(StartTag {
            ns,
            local,
            attributes,
        }))
    }

    fn resolve(&self, prefix: &str) -> Result<&'a str> {
        if prefix == "xml" {
            return Ok(XML_NS);
        }
        match self.scopes.iter().rev().find(|(p, _)| *p == prefix) {
            Some((_, uri)) => Ok(uri),
            None if prefix.is_empty() => Ok(""),
            None => Err(xml_error(&format!(
                "the namespace prefix `{prefix}` is not declared"
            ))),
        }
    }

    fn close_innermost(&mut self) {
        if let Some(open) = self.open.pop() {
            self.scopes.truncate(open.scope_len);
        }
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

/// Decodes a body as UTF-8 XML text (a UTF-8 BOM is allowed).
pub(crate) fn body_text(body: &[u8]) -> Result<&str> {
    std::str::from_utf8(body).map_err(|e| {
        xml_error(&format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Parses a whole document into one element tree (for small bodies such as `DAV:error`).
pub fn parse_element(body: &[u8]) -> Result<Element> {
    let text = body_text(body)?;
    let mut reader = Reader::new(text);
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
        assert!(names(&deep).is_err());
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(names(&ok).is_ok());
    }
}
