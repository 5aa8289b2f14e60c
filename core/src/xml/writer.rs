//! Serialising [`Element`] trees into request bodies, with every namespace declared once on
//! the root element under a conventional prefix.

use super::{APPLE_ICAL, CALDAV, CALENDARSERVER, CARDDAV, DAV, Element, Node, QName, escape};

const KNOWN_PREFIXES: [(&str, &str); 5] = [
    (DAV, "d"),
    (CALDAV, "c"),
    (CARDDAV, "card"),
    (CALENDARSERVER, "cs"),
    (APPLE_ICAL, "ical"),
];

impl Element {
    /// Adds a child element (builder style).
    pub fn with(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Adds several child elements (builder style). A `Vec`, not any iterator: each iterator
    /// type would be its own copy of this code in the WebAssembly modules.
    pub fn with_all(mut self, children: Vec<Element>) -> Self {
        for child in children {
            self.children.push(Node::Element(child));
        }
        self
    }

    /// Adds an empty child element for each name (builder style): a PROPFIND's `DAV:prop`.
    pub fn with_empty(mut self, names: &[QName]) -> Self {
        for name in names {
            self.children
                .push(Node::Element(Element::new(name.clone())));
        }
        self
    }

    /// Adds text content (builder style).
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Adds an attribute (builder style).
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.push((name.to_owned(), value.into()));
        self
    }
}

/// An element named by a static name (shorthand for request builders).
pub fn el(ns: &'static str, local: &'static str) -> Element {
    Element::new(QName::new(ns, local))
}

/// Serialises a document: XML declaration plus the root element.
pub fn to_document(root: &Element) -> String {
    let mut namespaces: Vec<(String, String)> = Vec::new();
    collect_namespaces(root, &mut namespaces);
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_element(root, &namespaces, true, &mut out);
    out
}

fn collect_namespaces(element: &Element, namespaces: &mut Vec<(String, String)>) {
    let ns = element.name.ns.as_ref();
    if !namespaces.iter().any(|(uri, _)| uri == ns) {
        let prefix = KNOWN_PREFIXES
            .iter()
            .find(|(uri, _)| *uri == ns)
            .map(|(_, p)| (*p).to_owned())
            .unwrap_or_else(|| format!("x{}", namespaces.len()));
        namespaces.push((ns.to_owned(), prefix));
    }
    for child in element.elements() {
        collect_namespaces(child, namespaces);
    }
}

fn write_element(element: &Element, namespaces: &[(String, String)], root: bool, out: &mut String) {
    let prefix = namespaces
        .iter()
        .find(|(uri, _)| uri.as_str() == element.name.ns.as_ref())
        .map(|(_, p)| p.as_str())
        .unwrap_or("d");
    out.push('<');
    out.push_str(prefix);
    out.push(':');
    out.push_str(&element.name.local);
    if root {
        for (uri, p) in namespaces {
            out.push_str(" xmlns:");
            out.push_str(p);
            out.push_str("=\"");
            out.push_str(&escape(uri));
            out.push('"');
        }
    }
    for (name, value) in &element.attributes {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape(value));
        out.push('"');
    }
    if element.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &element.children {
        match child {
            Node::Element(e) => write_element(e, namespaces, false, out),
            Node::Text(t) => out.push_str(&escape(t)),
        }
    }
    out.push_str("</");
    out.push_str(prefix);
    out.push(':');
    out.push_str(&element.name.local);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_prefixed_document() {
        let doc = el(DAV, "propfind").with(
            el(DAV, "prop")
                .with(el(DAV, "displayname"))
                .with(el(CALENDARSERVER, "getctag"))
                .with(Element::new(QName::owned("urn:x", "custom"))),
        );
        let xml = to_document(&doc);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:propfind xmlns:d=\"DAV:\" \
             xmlns:cs=\"http://calendarserver.org/ns/\" xmlns:x2=\"urn:x\"><d:prop>\
             <d:displayname/><cs:getctag/><x2:custom/></d:prop></d:propfind>"
        );
    }

    #[test]
    fn escapes_text_and_attributes() {
        let doc = el(CALDAV, "comp-filter")
            .with_attr("name", "a\"b")
            .with_text("x<y");
        let xml = to_document(&doc);
        assert!(xml.contains("name=\"a&quot;b\""));
        assert!(xml.contains(">x&lt;y<"));
    }
}
