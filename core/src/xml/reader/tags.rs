//! Markup: start tags and their attributes and namespace declarations, end tags, and the
//! processing instructions, comments and DOCTYPE that are skipped.

use crate::error::Result;

use super::chars::{NAME_CLASS, check_chars};
use super::ns::{Binding, NsId};
use super::{Event, Open, Reader, StartTag, limit_error, xml_error};
use crate::bytes::find;

impl<'a> Reader<'a> {
    pub(super) fn start(&mut self) -> Result<Event<'a>> {
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
            if self.declared.len() >= limits.namespaces_in_scope {
                return Err(limit_error(&format!(
                    "more than {} namespace declarations are in scope at once \
                     (xml::MAX_NAMESPACES_IN_SCOPE)",
                    limits.namespaces_in_scope
                )));
            }
            self.recent.clear();
            self.declared.push((
                declared,
                Binding {
                    uri: value,
                    id: NsId::of(value),
                },
            ));
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

    pub(super) fn end_tag(&mut self) -> Result<Event<'a>> {
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
    pub(super) fn skip_processing_instruction(&mut self) -> Result<()> {
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
    pub(super) fn skip_comment(&mut self) -> Result<()> {
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
    pub(super) fn skip_doctype(&mut self) -> Result<()> {
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
}
