//! RFC 4918 (WebDAV): PROPFIND and PROPPATCH bodies, `DAV:error` precondition bodies (§16),
//! and the multistatus parser (§13).

pub mod multistatus;
pub mod stream;

use crate::xml::writer::{el, to_document};
use crate::xml::{DAV, Element, QName, parse_element};

/// The `Depth` header (RFC 4918 §10.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// The resource only.
    Zero,
    /// The resource and its members.
    One,
}

impl Depth {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Zero => "0",
            Depth::One => "1",
        }
    }
}

/// A PROPFIND body asking for these properties (RFC 4918 §9.1).
pub fn propfind_body(props: &[QName]) -> String {
    let prop = el(DAV, "prop").with_empty(props);
    to_document(&el(DAV, "propfind").with(prop))
}

/// A property value to set with PROPPATCH, MKCALENDAR or extended MKCOL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropValue {
    /// The property.
    pub name: QName,
    /// Its text value; `None` removes the property (PROPPATCH only).
    pub value: Option<String>,
}

/// The `DAV:set` / `DAV:remove` instructions of a PROPPATCH body (RFC 4918 §9.2).
pub fn proppatch_body(changes: &[PropValue]) -> String {
    let mut root = el(DAV, "propertyupdate");
    // One loop, not two adapter chains collected (each its own `Vec` code in the wasm modules).
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    for c in changes {
        let e = Element::new(c.name.clone());
        match &c.value {
            Some(v) => sets.push(e.with_text(v.clone())),
            None => removes.push(e),
        }
    }
    if !sets.is_empty() {
        root = root.with(el(DAV, "set").with(el(DAV, "prop").with_all(sets)));
    }
    if !removes.is_empty() {
        root = root.with(el(DAV, "remove").with(el(DAV, "prop").with_all(removes)));
    }
    to_document(&root)
}

/// The precondition and postcondition names in a `DAV:error` body (RFC 4918 §16), or an
/// empty list when the body is not such a document.
pub fn error_conditions(body: &[u8]) -> Vec<QName> {
    match parse_element(body) {
        Ok(root) if root.name.is(DAV, "error") => {
            let mut names = Vec::new();
            for e in root.elements() {
                names.push(e.name.clone());
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Whether an error body names this condition.
pub fn has_condition(body: &[u8], ns: &str, local: &str) -> bool {
    // Cheap check first: most error bodies are tiny, but 403 pages can be HTML.
    if !body.windows(local.len()).any(|w| w == local.as_bytes()) {
        return false;
    }
    error_conditions(body).iter().any(|c| c.is(ns, local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::names;

    #[test]
    fn icloud_invalid_token_body() {
        let body = b"<?xml version='1.0' encoding='UTF-8'?>\n<error xmlns='DAV:'>\n<valid-sync-token/>\n</error>";
        assert!(has_condition(body, DAV, "valid-sync-token"));
        assert!(!has_condition(
            b"<html>valid-sync-token</html>",
            DAV,
            "valid-sync-token"
        ));
        assert!(error_conditions(b"<D:error xmlns:D=\"DAV:\"/>").is_empty());
    }

    #[test]
    fn proppatch_sets_and_removes() {
        let body = proppatch_body(&[
            PropValue {
                name: names::DISPLAYNAME,
                value: Some("Work & play".into()),
            },
            PropValue {
                name: names::CALENDAR_COLOR,
                value: None,
            },
        ]);
        assert!(body.contains("<d:set><d:prop><d:displayname>Work &amp; play</d:displayname>"));
        assert!(body.contains("<d:remove><d:prop><ical:calendar-color/></d:prop></d:remove>"));
    }
}
