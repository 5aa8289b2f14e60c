//! The reader against small documents: names and namespaces, text and references, bad
//! documents, and every bound.

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
fn every_character_xml_refuses_is_seen_in_cdata_and_attributes_at_every_offset() {
    // CDATA and attribute values are checked a word at a time: every refused character must
    // be seen wherever it falls, beside the control characters XML allows (tab, LF, CR) in
    // the same word, and those alone must pass.
    let cdata = |t: &str| text_of(&format!("<![CDATA[{t}]]>"));
    let attribute = |t: &str| names(&format!("<a b=\"{t}\"/>")).map(|_| t.to_owned());
    for offset in 0..20 {
        let pad = "x\n".repeat(offset / 2) + &"y".repeat(offset % 2);
        for bad in [
            "\u{0}", "\u{1}", "\u{8}", "\u{B}", "\u{C}", "\u{E}", "\u{1F}", "\u{FFFE}", "\u{FFFF}",
        ] {
            for around in ["", "\t", "\r\n"] {
                let text = format!("{pad}{around}{bad}{around}{pad}");
                for read in [&cdata as &dyn Fn(&str) -> Result<String>, &attribute] {
                    let err = read(&text).err().map(|e| e.kind());
                    assert_eq!(err, Some(ErrorKind::Xml), "{offset} {text:?}");
                }
            }
        }
        for fine in [
            "\t",
            "\n",
            "\r",
            "\t\r\n\t\r\n\t\r\n",
            "\u{EF}\u{FFFD}\u{FEFF}",
            "\u{7F}",
            " !",
        ] {
            let text = format!("{pad}{fine}{pad}");
            assert_eq!(cdata(&text).ok(), Some(text.clone()), "{offset} {fine:?}");
            assert!(attribute(&text).is_ok(), "{offset} {fine:?}");
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
        namespaces_in_scope: 4,
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
        most = most.max(r.declared.len());
    }
    assert_eq!(most, 3);
    assert!(r.declared.is_empty() && r.recent.is_empty());
    Ok(())
}

#[test]
fn prefix_bindings_unwind_on_close() -> Result<()> {
    // p is bound three times on the way down; each close restores the outer binding
    let xml = r#"<p:a xmlns:p="u1"><p:b xmlns:p="u2"><p:c xmlns:p="u3"/><p:d/></p:b><p:e/></p:a>"#;
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
fn default_namespace_is_scoped_and_can_be_undeclared() -> Result<()> {
    let xml = r#"<a xmlns="u1"><b xmlns=""><c/></b><d/><e xmlns="u2"><f/></e><g/></a>"#;
    let got: Vec<String> = names(xml)?.into_iter().filter(|e| e != ">").collect();
    assert_eq!(
        got,
        [
            "<{u1}a", "<{}b", "<{}c", "<{u1}d", "<{u2}e", "<{u2}f", "<{u1}g"
        ]
    );
    // a prefixed declaration leaves the default namespace alone, and the reverse
    let got = names(r#"<a xmlns="u1" xmlns:p="u2"><p:b xmlns="u3"><c/><p:d/></p:b></a>"#)?;
    let got: Vec<&str> = got
        .iter()
        .map(String::as_str)
        .filter(|e| *e != ">")
        .collect();
    assert_eq!(got, ["<{u1}a", "<{u2}b", "<{u3}c", "<{u2}d"]);
    Ok(())
}

/// `levels` nested elements, each declaring the prefixes `p0` .. `p{per_level - 1}` (bound to
/// `urn:{level}:{p}`), around `<p0:leaf/>`.
fn nested_declarations(levels: usize, per_level: usize) -> String {
    let mut xml = String::new();
    for level in 0..levels {
        xml.push_str("<e");
        for p in 0..per_level {
            xml.push_str(&format!(r#" xmlns:p{p}="urn:{level}:{p}""#));
        }
        xml.push('>');
    }
    xml.push_str("<p0:leaf/>");
    xml.push_str(&"</e>".repeat(levels));
    xml
}

#[test]
fn innermost_of_many_bindings_wins() -> Result<()> {
    // 64 prefixes on each of 4 nested levels: 256 bindings in scope, the most allowed, and the
    // innermost binding wins
    let levels = MAX_NAMESPACES_IN_SCOPE / MAX_NAMESPACE_DECLARATIONS;
    let xml = nested_declarations(levels, MAX_NAMESPACE_DECLARATIONS);
    let got = names(&xml)?;
    let leaf = format!("<{{urn:{}:0}}leaf", levels - 1);
    assert_eq!(got.get(levels), Some(&leaf));
    // an outer prefix is still found behind 252 inner bindings, two on each of 126 levels
    let xml = format!(
        r#"<o:r xmlns:o="urn:o">{}<o:x/>{}</o:r>"#,
        r#"<e xmlns:p="u" xmlns:q="u">"#.repeat(126),
        "</e>".repeat(126)
    );
    let got = names(&xml)?;
    assert_eq!(got.get(127).map(String::as_str), Some("<{urn:o}x"));
    Ok(())
}

#[test]
fn bounds_declarations_in_scope() {
    // with the defaults: one declaration past 256 in scope, each element within its own 64
    let levels = MAX_NAMESPACES_IN_SCOPE / MAX_NAMESPACE_DECLARATIONS;
    let over = format!(
        r#"<r xmlns:q="u">{}</r>"#,
        nested_declarations(levels, MAX_NAMESPACE_DECLARATIONS)
    );
    let err = read_all(&over, Limits::default()).err();
    assert!(err.is_some_and(|m| m.contains("xml::MAX_NAMESPACES_IN_SCOPE") && m.contains("256")));
    // three declarations on each of 100 nested levels: 300 for a lookup to scan past
    let deep = format!(
        "<r>{}{}</r>",
        r#"<e xmlns:p="u" xmlns:q="u" xmlns:s="u">"#.repeat(100),
        "</e>".repeat(100)
    );
    let err = read_all(&deep, Limits::default()).err();
    assert!(err.is_some_and(|m| m.contains("xml::MAX_NAMESPACES_IN_SCOPE")));
    // small limits: 4 in scope, and what a closed element declared no longer counts
    let ok = r#"<r xmlns:a="1" xmlns:b="2"><s xmlns:c="3" xmlns:d="4"/><s xmlns:c="3" xmlns:d="4"/></r>"#;
    assert_eq!(read_all(ok, small()), Ok(6));
    let over = r#"<r xmlns:a="1" xmlns:b="2"><s xmlns:c="3"><t xmlns:d="4" xmlns:e="5"/></s></r>"#;
    let err = read_all(over, small()).err();
    assert!(err.is_some_and(|m| m.contains("xml::MAX_NAMESPACES_IN_SCOPE")));
}

#[test]
fn a_larger_declaration_limit_raises_the_scope_budget() {
    // Limits::max_xml_namespace_declarations above the fixed budget: one element may declare
    // that many, and no more may be in scope
    let limits = crate::Limits {
        max_xml_namespace_declarations: 300,
        ..crate::Limits::default()
    }
    .xml();
    assert_eq!(limits.namespaces_in_scope, 300);
    let xml = nested_declarations(1, 300);
    assert_eq!(read_all(&xml, limits), Ok(4));
    let err = read_all(&format!(r#"<r xmlns:q="u">{xml}</r>"#), limits).err();
    assert!(err.is_some_and(|m| m.contains("xml::MAX_NAMESPACES_IN_SCOPE")));
    // the defaults keep the fixed budget
    assert_eq!(
        crate::Limits::default().xml().namespaces_in_scope,
        MAX_NAMESPACES_IN_SCOPE
    );
}

#[test]
fn namespace_names_copied_into_a_tree_are_bounded() {
    // A 100 KB namespace name declared once and used by 1,000 six-byte elements: each element
    // of the tree owned a copy (100 MB from a 106 KB body; a 160 KB body reached 1 GB).
    let long = format!("urn:{}", "x".repeat(100_000));
    let body = format!(r#"<r xmlns:x="{long}">{}</r>"#, "<x:b/>".repeat(1000));
    let err = super::parse_element(body.as_bytes()).err();
    assert!(
        err.as_ref().is_some_and(
            |e| e.kind() == ErrorKind::LimitExceeded && e.message().contains("namespace names")
        ),
        "{err:?}"
    );
    // an honest document with many elements of a namespace the reader does not know
    let body = format!(
        r#"<r xmlns:oc="http://owncloud.org/ns">{}</r>"#,
        "<oc:id/>".repeat(100_000)
    );
    let tree = super::parse_element(body.as_bytes()).expect("read");
    assert_eq!(tree.children.len(), 100_000);
}
