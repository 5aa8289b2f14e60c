//! XML for WebDAV (RFC 4918 §14): namespace names, a small element tree for property values,
//! entity unescaping, and the writer that builds request bodies.
//!
//! Names are always matched as (namespace URI, local name), never by prefix: servers use `D:`,
//! `d:`, `A:` or a default namespace re-declared on every element, and all must read the same.
//!
//! # Limits
//!
//! The reader's work is linear in the document, and a document past any of these limits is
//! refused with an [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) error that
//! names the limit (never a partial result). The constants are the defaults; operations use
//! the [`Limits`](crate::Limits) of their session (`max_xml_*`):
//!
//! | limit | default | bounds |
//! |---|---|---|
//! | [`MAX_DEPTH`] | 128 | element nesting (and so every recursive walk over a tree) |
//! | [`MAX_ELEMENTS`] | 1,000,000 | elements in one document |
//! | [`MAX_TEXT_BYTES`] | 16 MiB | character data directly inside one element, and one attribute value |
//! | [`MAX_ATTRIBUTES`] | 256 | attributes of one element |
//! | [`MAX_NAMESPACE_DECLARATIONS`] | 64 | `xmlns` declarations on one element |
//!
//! One more is fixed rather than configurable, as no honest document comes near it:
//! [`MAX_NAMESPACES_IN_SCOPE`] (256) `xmlns` declarations in scope at once, those of all the
//! open elements together. It keeps every prefix lookup, a scan of those declarations, short.
//!
//! Entities are resolved in one pass ([`unescape`]); DTD entities are never expanded. The whole
//! body is limited by [`Limits::max_body_bytes`](crate::Limits::max_body_bytes) when an
//! operation receives it (and the native transport, feature `reqwest`, stops reading there).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) mod reader;
pub mod writer;

pub use reader::{parse_element, parse_element_with_limits};

/// Deepest element nesting the reader accepts; deeper documents are refused, which also bounds
/// every recursive walk over an element tree.
pub const MAX_DEPTH: usize = 128;

/// Most elements one document may hold (a PROPFIND listing of about 160,000 members with ETags).
pub const MAX_ELEMENTS: usize = 1_000_000;

/// Most bytes of character data directly inside one element (all its text and CDATA pieces
/// together, counted before entities are resolved), and the longest attribute value.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Most attributes on one element, namespace declarations not counted.
pub const MAX_ATTRIBUTES: usize = 256;

/// Most namespace declarations (`xmlns`, `xmlns:p`) on one element.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 64;

/// Most namespace declarations in scope at once: those of all the open elements together (or
/// [`Limits::max_xml_namespace_declarations`](crate::Limits::max_xml_namespace_declarations),
/// when that is set higher, so that one element may always declare as many as it allows).
/// Fixed, not a field of [`Limits`](crate::Limits): servers declare fewer than 20, and the
/// reader finds a prefix's binding by scanning the declarations in scope from the innermost,
/// which this keeps to a few hundred comparisons (a map of prefixes costs the npm modules its
/// hash table code). A document past it is a
/// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error naming this constant.
pub const MAX_NAMESPACES_IN_SCOPE: usize = 256;

/// The WebDAV namespace (RFC 4918).
pub const DAV: &str = "DAV:";
/// The CalDAV namespace (RFC 4791).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// The CardDAV namespace (RFC 6352).
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
/// The Calendar Server namespace (`getctag`, caldav-ctag-02).
pub const CALENDARSERVER: &str = "http://calendarserver.org/ns/";
/// Apple's iCal namespace (`calendar-color`, `calendar-order`).
pub const APPLE_ICAL: &str = "http://apple.com/ns/ical/";

/// A namespaced XML name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QName {
    /// The namespace URI (empty for no namespace).
    pub ns: Cow<'static, str>,
    /// The local name.
    pub local: Cow<'static, str>,
}

impl QName {
    /// A name from static strings (the common case for known properties).
    pub const fn new(ns: &'static str, local: &'static str) -> Self {
        QName {
            ns: Cow::Borrowed(ns),
            local: Cow::Borrowed(local),
        }
    }

    /// A name from owned strings (for caller-supplied properties).
    pub fn owned(ns: impl Into<String>, local: impl Into<String>) -> Self {
        QName {
            ns: Cow::Owned(ns.into()),
            local: Cow::Owned(local.into()),
        }
    }

    /// Whether this name is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns == ns
    }
}

impl fmt::Debug for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.ns, self.local)
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.ns, self.local)
    }
}

/// Well-known property and element names.
pub mod names {
    use super::{APPLE_ICAL, CALDAV, CALENDARSERVER, CARDDAV, DAV, QName};

    /// `DAV:displayname`
    pub const DISPLAYNAME: QName = QName::new(DAV, "displayname");
    /// `DAV:resourcetype`
    pub const RESOURCETYPE: QName = QName::new(DAV, "resourcetype");
    /// `DAV:getetag`
    pub const GETETAG: QName = QName::new(DAV, "getetag");
    /// `DAV:getcontenttype`
    pub const GETCONTENTTYPE: QName = QName::new(DAV, "getcontenttype");
    /// `DAV:getcontentlength`
    pub const GETCONTENTLENGTH: QName = QName::new(DAV, "getcontentlength");
    /// `DAV:sync-token` (RFC 6578 §4)
    pub const SYNC_TOKEN: QName = QName::new(DAV, "sync-token");
    /// `DAV:current-user-principal` (RFC 5397)
    pub const CURRENT_USER_PRINCIPAL: QName = QName::new(DAV, "current-user-principal");
    /// `DAV:current-user-privilege-set` (RFC 3744 §5.4)
    pub const CURRENT_USER_PRIVILEGE_SET: QName = QName::new(DAV, "current-user-privilege-set");
    /// `DAV:supported-report-set` (RFC 3253 §3.1.5)
    pub const SUPPORTED_REPORT_SET: QName = QName::new(DAV, "supported-report-set");
    /// `DAV:add-member` (RFC 5995 §3.2)
    pub const ADD_MEMBER: QName = QName::new(DAV, "add-member");
    /// `DAV:collection` (a resourcetype value)
    pub const COLLECTION: QName = QName::new(DAV, "collection");
    /// `DAV:principal` (a resourcetype value)
    pub const PRINCIPAL: QName = QName::new(DAV, "principal");
    /// `CALDAV:calendar` (a resourcetype value)
    pub const CALENDAR: QName = QName::new(CALDAV, "calendar");
    /// `CALDAV:calendar-home-set` (RFC 4791 §6.2.1)
    pub const CALENDAR_HOME_SET: QName = QName::new(CALDAV, "calendar-home-set");
    /// `CALDAV:calendar-description`
    pub const CALENDAR_DESCRIPTION: QName = QName::new(CALDAV, "calendar-description");
    /// `CALDAV:calendar-timezone`
    pub const CALENDAR_TIMEZONE: QName = QName::new(CALDAV, "calendar-timezone");
    /// `CALDAV:supported-calendar-component-set`
    pub const SUPPORTED_CALENDAR_COMPONENT_SET: QName =
        QName::new(CALDAV, "supported-calendar-component-set");
    /// `CALDAV:calendar-data`
    pub const CALENDAR_DATA: QName = QName::new(CALDAV, "calendar-data");
    /// `CARDDAV:addressbook` (a resourcetype value)
    pub const ADDRESSBOOK: QName = QName::new(CARDDAV, "addressbook");
    /// `CARDDAV:addressbook-home-set` (RFC 6352 §7.1.1)
    pub const ADDRESSBOOK_HOME_SET: QName = QName::new(CARDDAV, "addressbook-home-set");
    /// `CARDDAV:addressbook-description`
    pub const ADDRESSBOOK_DESCRIPTION: QName = QName::new(CARDDAV, "addressbook-description");
    /// `CARDDAV:address-data`
    pub const ADDRESS_DATA: QName = QName::new(CARDDAV, "address-data");
    /// `CS:getctag` (caldav-ctag-02)
    pub const GETCTAG: QName = QName::new(CALENDARSERVER, "getctag");
    /// `ICAL:calendar-color` (Apple)
    pub const CALENDAR_COLOR: QName = QName::new(APPLE_ICAL, "calendar-color");
    /// `ICAL:calendar-order` (Apple)
    pub const CALENDAR_ORDER: QName = QName::new(APPLE_ICAL, "calendar-order");
}

/// An XML element as kept for property values: name, attributes and children.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// The element's name.
    pub name: QName,
    /// Attributes as (local name, value); namespace declarations are not kept.
    pub attributes: Vec<(String, String)>,
    /// Child nodes in document order.
    pub children: Vec<Node>,
}

/// A child of an [`Element`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (entities and CDATA already resolved).
    Text(String),
}

impl Element {
    /// An empty element.
    pub fn new(name: QName) -> Self {
        Element {
            name,
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// All character data directly inside this element, concatenated.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for child in &self.children {
            if let Node::Text(t) = child {
                out.push_str(t);
            }
        }
        out
    }

    /// The text with surrounding white space removed, or `None` when that leaves nothing.
    pub fn trimmed_text(&self) -> Option<String> {
        let t = self.text();
        let trimmed = t.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this name.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.name.is(ns, local))
    }

    /// The texts of the `DAV:href` children (trimmed), in order.
    pub fn hrefs(&self) -> Vec<String> {
        // A loop, not an adapter chain: each chain collected is its own copy of `Vec`'s
        // collecting code in the WebAssembly module.
        let mut hrefs = Vec::new();
        for e in self.elements() {
            if e.name.is(DAV, "href")
                && let Some(text) = e.trimmed_text()
            {
                hrefs.push(text);
            }
        }
        hrefs
    }

    /// The value of an attribute by local name.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == local)
            .map(|(_, v)| v.as_str())
    }
}

/// Longest entity name between `&` and `;` that [`unescape`] resolves (`#x10FFFF` and
/// `#1114111` are the longest references).
pub(crate) const MAX_ENTITY_LEN: usize = 10;

/// Resolves the five predefined entities and character references, in one pass over `raw`.
///
/// Unknown named entities and a bare `&` are kept literally (the core never expands DTD
/// entities). A reference's name is at most ten bytes (`#x10FFFF`), so only the eleven bytes
/// after an `&` are looked at for its `;`, and the cost is linear in the input however many bare
/// `&` it holds.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    let mut pieces = raw.split('&');
    let first = pieces.next().unwrap_or("");
    if first.len() == raw.len() {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    out.push_str(first);
    // Each piece followed an `&` and holds no other: a reference ends within its first bytes.
    for piece in pieces {
        let window = &piece.as_bytes()[..piece.len().min(MAX_ENTITY_LEN + 1)];
        let resolved = window
            .iter()
            .position(|&b| b == b';')
            .and_then(|semi| Some((resolve_entity(piece.get(..semi)?)?, semi)));
        match resolved {
            Some((c, semi)) => {
                out.push(c);
                out.push_str(&piece[semi + 1..]);
            }
            None => {
                out.push('&');
                out.push_str(piece);
            }
        }
    }
    Cow::Owned(out)
}

/// The character an entity name (between `&` and `;`) stands for.
pub(crate) fn resolve_entity(entity: &str) -> Option<char> {
    // The usual reference in calendar data, `&#13;`: a few decimal digits.
    if let [b'#', digits @ ..] = entity.as_bytes()
        && (1..=7).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
    {
        let code = digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        return char::from_u32(code);
    }
    match entity {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let code = if let Some(hex) = entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
            {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = entity.strip_prefix('#') {
                dec.parse::<u32>().ok()
            } else {
                None
            };
            code.and_then(char::from_u32)
        }
    }
}

/// Escapes text for element content or a double-quoted attribute.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '>', '&', '"', '\'', '\r']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal CR would be normalised away by the reader; keep it.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_entities() {
        assert_eq!(unescape("a &lt;b&gt; &amp; &quot;c&apos;"), "a <b> & \"c'");
        assert_eq!(unescape("line&#13;&#10;next&#x41;"), "line\r\nnextA");
        assert_eq!(
            unescape("AT&T & co &bogus; &#xZZ;"),
            "AT&T & co &bogus; &#xZZ;"
        );
        assert_eq!(unescape("&#1114112;"), "&#1114112;");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
        assert_eq!(unescape("&&lt;&"), "&<&");
        assert_eq!(unescape("&#x10FFFF;&#1114111;"), "\u{10FFFF}\u{10FFFF}");
        // the `;` must come within MAX_ENTITY_LEN bytes of the `&`
        assert_eq!(unescape("&#0000000065;"), "&#0000000065;");
        assert_eq!(unescape("&#000000065;"), "A");
    }

    #[test]
    fn unescape_is_one_pass_over_bare_ampersands() {
        // 100,000 bare `&` and one `;` at the very end: every `&` stays, the text is the same.
        let raw = "&".repeat(100_000) + ";";
        assert_eq!(unescape(&raw), raw.as_str());
        let mixed = "a&b&amp;".repeat(10_000);
        assert_eq!(unescape(&mixed), "a&b&".repeat(10_000));
    }

    #[test]
    fn escape_round_trips() {
        let s = "BEGIN:VCALENDAR\r\nSUMMARY:<b> & 'x' \"y\"\r\n";
        assert_eq!(unescape(&escape(s)), s);
    }
}
