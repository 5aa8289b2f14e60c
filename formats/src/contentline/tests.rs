use super::*;

const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nX-WR-CALNAME;X-EMPTY=;X-Q=\"a;b:c\",plain:My \\, cal\r\nBEGIN:VEVENT\r\nUID:1@x\r\nDESCRIPTION:line one\\nline two\\, with comma\r\nX-UNKNOWN;FOO=bar:baz\r\nBEGIN:X-CUSTOM\r\nX-A:1\r\nEND:X-CUSTOM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn round_trip_is_byte_identical_for_canonical_input() {
    let comps = parse(SAMPLE).expect("parse");
    assert_eq!(serialize(&comps), SAMPLE);
}

#[test]
fn unknown_names_params_and_components_survive() {
    let comps = parse(SAMPLE).expect("parse");
    let cal = &comps[0];
    let p = cal.property("x-wr-calname").expect("prop");
    assert_eq!(p.raw_value(), "My \\, cal");
    assert_eq!(p.text_value(), "My , cal");
    let q = p.param("X-Q").expect("param");
    assert_eq!(q.raw_value(), Some("\"a;b:c\",plain"));
    let vals: Vec<_> = q.values().collect();
    assert_eq!(vals, vec!["a;b:c", "plain"]);
    assert_eq!(p.param("x-empty").and_then(|p| p.raw_value()), Some(""));
    let ev = &cal.components()[0];
    assert_eq!(ev.components()[0].name(), "X-CUSTOM");
    assert_eq!(
        ev.property("X-UNKNOWN")
            .and_then(|p| p.param_value("foo"))
            .as_deref(),
        Some("bar")
    );
}

#[test]
fn lf_and_crlf_and_folds_are_accepted() {
    let text = "BEGIN:VCARD\nVERSION:4.0\nNOTE:abc\r\n def\n\tghi\nFN:X\r\nEND:VCARD";
    let comps = parse(text).expect("parse");
    assert_eq!(
        comps[0].property("NOTE").map(Property::raw_value),
        Some("abcdefghi")
    );
    assert_eq!(comps[0].property("FN").map(Property::raw_value), Some("X"));
}

#[test]
fn output_folds_at_75_octets_without_splitting_characters() {
    let long: String = "é漢🎉a".repeat(40);
    let mut c = Component::new("VCARD");
    c.push_property(Property::text("NOTE", &long));
    let out = c.to_string();
    for line in out.split("\r\n") {
        assert!(line.len() <= 75, "line too long: {}", line.len());
    }
    assert!(out.ends_with("\r\n"));
    let back = parse(&out).expect("parse");
    assert_eq!(
        back[0]
            .property("NOTE")
            .map(|p| p.text_value().into_owned()),
        Some(long)
    );
}

#[test]
fn fold_inside_multibyte_character_parses_from_bytes() {
    // "ü" is C3 BC; fold between the two bytes.
    let mut bytes = b"BEGIN:VCARD\r\nFN:M\xC3\r\n \xBCller\r\nEND:VCARD\r\n".to_vec();
    let comps = parse_bytes(&bytes).expect("parse");
    assert_eq!(
        comps[0].property("FN").map(Property::raw_value),
        Some("Müller")
    );
    bytes[16] = 0xFF;
    let e = parse_bytes(&bytes).expect_err("invalid utf8");
    assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
    assert_eq!(e.line, 2);
}

#[test]
fn groups_and_bare_params() {
    let comps =
        parse("BEGIN:VCARD\nitem1.TEL;WORK;type=voice:+1\nitem1.X-ABLabel:Office\nEND:VCARD\n")
            .expect("parse");
    let tel = comps[0].property("TEL").expect("tel");
    assert_eq!(tel.group(), Some("item1"));
    assert_eq!(tel.name(), "TEL");
    let params: Vec<_> = tel
        .params()
        .map(|p| (p.name().to_owned(), p.raw_value().map(str::to_owned)))
        .collect();
    assert_eq!(
        params,
        vec![("WORK".into(), None), ("type".into(), Some("voice".into()))]
    );
    assert!(tel.param("work").expect("bare").has_value("WORK"));
}

#[test]
fn caret_encoding_round_trips_through_set_param() {
    let mut p = Property::new("ATTENDEE", "mailto:a@b");
    p.set_param("CN", &["Joe \"Jr\" Bloggs; Esq"]);
    assert_eq!(
        p.as_str(),
        "ATTENDEE;CN=\"Joe ^'Jr^' Bloggs; Esq\":mailto:a@b"
    );
    assert_eq!(
        p.param_value("cn").as_deref(),
        Some("Joe \"Jr\" Bloggs; Esq")
    );
    p.set_param("ROLE", &["CHAIR"]);
    p.set_param("cn", &["X"]);
    assert_eq!(p.as_str(), "ATTENDEE;CN=X;ROLE=CHAIR:mailto:a@b");
    assert_eq!(p.remove_param("ROLE"), 1);
    assert_eq!(p.as_str(), "ATTENDEE;CN=X:mailto:a@b");
    p.set_text("new, value");
    assert_eq!(p.as_str(), "ATTENDEE;CN=X:new\\, value");
}

#[test]
fn typed_errors_for_bad_structure() {
    let cases: &[(&str, ParseErrorKind, usize)] = &[
        ("BEGIN:A\nNOCOLON\nEND:A\n", ParseErrorKind::MissingColon, 2),
        ("BEGIN:A\n:x\nEND:A\n", ParseErrorKind::EmptyName, 2),
        (
            "BEGIN:A\nX;P=\"abc:x\nEND:A\n",
            ParseErrorKind::UnterminatedQuote,
            2,
        ),
        ("X:1\n", ParseErrorKind::PropertyOutsideComponent, 1),
        (
            "BEGIN:A\nEND:B\n",
            ParseErrorKind::MismatchedEnd {
                expected: "A".into(),
                found: "B".into(),
            },
            2,
        ),
        ("END:B\n", ParseErrorKind::UnexpectedEnd, 1),
        (
            "BEGIN:A\nX:1\n",
            ParseErrorKind::MissingEnd { name: "A".into() },
            0,
        ),
        ("", ParseErrorKind::Empty, 0),
    ];
    for (text, kind, line) in cases {
        let e = parse(text).expect_err(text);
        assert_eq!(&e.kind, kind, "{text}");
        assert_eq!(e.line, *line, "{text}");
        assert!(!e.to_string().is_empty());
    }
    let deep = "BEGIN:A\n".repeat(MAX_DEPTH + 1);
    assert_eq!(
        parse(&deep).expect_err("deep").kind,
        ParseErrorKind::TooDeep
    );
}

#[test]
fn huge_line_parses() {
    let text = format!("BEGIN:A\nX:{}\nEND:A\n", "a".repeat(1 << 20));
    let comps = parse(&text).expect("parse");
    assert_eq!(
        comps[0].property("X").map(|p| p.raw_value().len()),
        Some(1 << 20)
    );
}

/// Small deterministic generator (xorshift) for property-style round-trip tests.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn text(&mut self) -> String {
        let atoms = [
            "a",
            "Zz",
            " ",
            "\\,",
            "\\;",
            "\\n",
            "é",
            "漢字",
            "🎉",
            ":",
            "\"",
            "=",
            ";",
            "x".repeat(40).leak(),
        ];
        let n = self.next() % 12;
        (0..n).map(|_| self.pick(&atoms)).collect()
    }
    fn component(&mut self, depth: usize) -> Component {
        let names = ["VEVENT", "VTODO", "X-THING", "vcard", "VALARM"];
        let mut c = Component::new(self.pick(&names));
        for _ in 0..self.next() % 6 {
            let pname = self.pick(&["SUMMARY", "X-FOO", "item2.TEL", "attendee", "X-A-B"]);
            let mut p = Property::new(pname, &self.text().replace(['\r', '\n'], ""));
            for _ in 0..self.next() % 3 {
                let v = self.text();
                p.set_param(self.pick(&["CN", "X-P", "TYPE"]), &[&v, "b"]);
            }
            c.push_property(p);
        }
        if depth < 3 {
            for _ in 0..self.next() % 3 {
                let sub = self.component(depth + 1);
                c.push_component(sub);
            }
        }
        c
    }
}

#[test]
fn generated_components_round_trip() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for _ in 0..500 {
        let c = g.component(0);
        let text = c.to_string();
        let back = parse(&text).expect("generated text parses");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0], c);
        assert_eq!(serialize(&back), text);
        for line in text.split("\r\n") {
            assert!(line.len() <= 75);
        }
        let bytes = parse_bytes(text.as_bytes()).expect("bytes");
        assert_eq!(bytes[0], c);
    }
}

#[test]
fn escape_helpers() {
    assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    assert_eq!(
        unescape_text("a\\,b\\;c\\\\d\\ne\\Nf\\x"),
        "a,b;c\\d\ne\nf\\x"
    );
    assert_eq!(
        split_unescaped("a;b\\;c;;d", ';'),
        vec!["a", "b\\;c", "", "d"]
    );
    assert_eq!(escape_param_value("plain"), "plain");
    assert_eq!(escape_param_value("a,b"), "\"a,b\"");
}

#[test]
fn many_parameters_keep_their_order() {
    let line = "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=\"A, B\";X-NUM=6:mailto:a@b";
    let p = Property::parse(line).expect("parse");
    let names: Vec<&str> = p.params().map(|x| x.name()).collect();
    assert_eq!(names, ["CUTYPE", "ROLE", "PARTSTAT", "RSVP", "CN", "X-NUM"]);
    assert_eq!(p.param_value("x-num").as_deref(), Some("6"));
    assert_eq!(p.param_value("CN").as_deref(), Some("A, B"));
    assert_eq!(p.raw_value(), "mailto:a@b");
    let mut q = p.clone();
    q.remove_param("ROLE");
    assert_eq!(q.params().count(), 5);
    assert_eq!(Property::parse(q.as_str()).expect("reparse"), q);
}

#[test]
fn lenient_parse_repairs_and_reports() {
    let text = "X-BEFORE:1\nBEGIN:VCALENDAR\nVERSION\nBEGIN:VEVENT\nUID:1\nSUMMARY=oops\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VEVENT\nEND:VTOOD\nBEGIN:VTODO\nUID:2\n";
    assert!(parse(text).is_err());
    let (comps, repairs) = parse_lenient(text).expect("lenient");
    assert_eq!(comps.len(), 1);
    let cal = &comps[0];
    assert_eq!(cal.name(), "VCALENDAR");
    let names: Vec<&str> = cal.components().iter().map(Component::name).collect();
    assert_eq!(names, ["VEVENT", "VTODO"]);
    let ev = &cal.components()[0];
    assert_eq!(ev.components()[0].name(), "VALARM");
    assert_eq!(ev.property("UID").map(Property::raw_value), Some("1"));
    assert_eq!(
        cal.components()[1].property("UID").map(Property::raw_value),
        Some("2")
    );
    let kinds: Vec<(ParseErrorKind, usize)> =
        repairs.into_iter().map(|e| (e.kind, e.line)).collect();
    assert_eq!(
        kinds,
        [
            (ParseErrorKind::PropertyOutsideComponent, 1),
            (ParseErrorKind::MissingColon, 3),
            (ParseErrorKind::MissingColon, 6),
            (
                ParseErrorKind::MismatchedEnd {
                    expected: "VALARM".into(),
                    found: "VEVENT".into()
                },
                9
            ),
            (
                ParseErrorKind::MismatchedEnd {
                    expected: "VCALENDAR".into(),
                    found: "VTOOD".into()
                },
                10
            ),
            (
                ParseErrorKind::MissingEnd {
                    name: "VTODO".into()
                },
                0
            ),
        ]
    );
    // what the lenient parse returns is itself well-formed
    assert_eq!(parse(&serialize(&comps)).expect("strict reparse"), comps);
    assert_eq!(
        parse_lenient("").map(|_| ()),
        Err(ParseError {
            kind: ParseErrorKind::Empty,
            line: 0
        })
    );
}

#[test]
fn lenient_repairs_are_compact_and_capped() {
    // a 10,000-byte component name, then 5,000 stray `END:x` lines: each repair names the open
    // component, cut to MAX_REPORTED_NAME bytes, and only MAX_REPAIRS are listed
    let name = "X".repeat(10_000);
    let mut text = format!("BEGIN:{name}\n");
    text.push_str(&"END:x\n".repeat(5000));
    text.push_str(&format!("END:{name}\n"));
    let (comps, repairs) = parse_lenient(&text).expect("lenient");
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0].name().len(), 10_000);
    assert_eq!(repairs.len(), MAX_REPAIRS + 1);
    let cut = format!("{}…", "X".repeat(MAX_REPORTED_NAME));
    assert_eq!(
        repairs[0].kind,
        ParseErrorKind::MismatchedEnd {
            expected: cut.clone(),
            found: "x".into()
        }
    );
    assert_eq!(repairs[0].line, 2);
    let listed = repairs
        .iter()
        .filter(|r| matches!(&r.kind, ParseErrorKind::MismatchedEnd { expected, .. } if *expected == cut))
        .count();
    assert_eq!(listed, MAX_REPAIRS);
    assert_eq!(
        repairs.last().map(|r| &r.kind),
        Some(&ParseErrorKind::RepairsOmitted {
            count: 5000 - MAX_REPAIRS
        })
    );
    // a name cut inside a multi-byte character keeps whole characters
    let wide = "é".repeat(100);
    let (_, repairs) = parse_lenient(&format!("BEGIN:{wide}\n")).expect("lenient");
    let kept = match &repairs[0].kind {
        ParseErrorKind::MissingEnd { name } => name.clone(),
        _ => String::new(),
    };
    assert_eq!(kept, format!("{}…", "é".repeat(MAX_REPORTED_NAME / 2)));
}

#[test]
fn retain_params_rewrites_once() {
    let mut p = Property::parse("TEL;A;TYPE=cell;B;X-Y=1;C:+1").expect("parse");
    assert_eq!(p.retain_params(|x| x.raw_value().is_some()), 3);
    assert_eq!(p.as_str(), "TEL;TYPE=cell;X-Y=1:+1");
    assert_eq!(p.retain_params(|_| true), 0);
    assert_eq!(p.remove_param("type"), 1);
    assert_eq!(p.as_str(), "TEL;X-Y=1:+1");
}

#[test]
fn set_property_drops_every_later_duplicate() {
    let mut c = Component::new("VCARD");
    c.push_property(Property::new("FN", "a"));
    for i in 0..20_000 {
        c.push_property(Property::new("REV", &i.to_string()));
        c.push_property(Property::new("NOTE", "n"));
    }
    c.set_property(Property::new("REV", "new"));
    assert_eq!(c.properties().len(), 1 + 1 + 20_000);
    assert_eq!(c.properties()[1].as_str(), "REV:new");
    assert_eq!(c.properties_named("REV").count(), 1);
}

#[test]
fn names_and_groups_are_found_in_the_line() {
    let p = Property::parse("item1.TEL;TYPE=cell:+1").expect("parse");
    assert!(p.is("tel") && !p.is("item1.TEL") && !p.is("EL") && !p.is("TELX"));
    assert_eq!((p.group(), p.name()), (Some("item1"), "TEL"));
    // the group ends at the first dot; the name may hold more
    let p = Property::parse("a.b.c:x").expect("parse");
    assert_eq!((p.group(), p.name()), (Some("a"), "b.c"));
    assert!(p.is("B.C") && !p.is("c"));
    // a leading dot is part of the name
    let p = Property::parse(".X:1").expect("parse");
    assert_eq!((p.group(), p.name()), (None, ".X"));
    assert!(p.is(".x"));
    assert_eq!(std::mem::size_of::<Property>(), 24);
    // parameters are found again in the line, quoted separators included
    let p = Property::parse("A;X=\"a;b:c\";Y;;Z=:v").expect("parse");
    let params: Vec<(&str, Option<&str>)> = p.params().map(|q| (q.name(), q.raw_value())).collect();
    assert_eq!(
        params,
        [("X", Some("\"a;b:c\"")), ("Y", None), ("Z", Some(""))]
    );
    assert_eq!(p.raw_value(), "v");
}

#[test]
fn a_line_that_continues_nothing_is_read_without_its_white_space() {
    // A blank line, then a folded-looking line: it unfolds to " Y:2", which written back at
    // the start of a line would be read as a fold of "X:1" (the `contentline` fuzz target).
    for input in [
        "BEGIN:A\r\nX:1\r\n\r\n  Y:2\r\nEND:A\r\n",
        "BEGIN:A\r\nX:1\r\n\r\n\tY:2\r\nEND:A\r\n",
        " BEGIN:A\r\nX:1\r\n\r\n \r\nY:2\r\nEND:A\r\n",
    ] {
        let comps = parse(input).unwrap();
        let names: Vec<&str> = comps[0].properties().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["X", "Y"], "{input:?}");
        let text = serialize(&comps);
        assert_eq!(text, "BEGIN:A\r\nX:1\r\nY:2\r\nEND:A\r\n");
        assert_eq!(parse(&text).unwrap(), comps);
    }
}

/// A raw value, a name or a group holding a line break (only TEXT and parameter values are
/// escaped) is written without it: written as it is, it ended the line and the rest was read
/// back as a content line of its own.
#[test]
fn a_line_break_put_in_a_raw_value_or_a_name_never_starts_a_line() {
    let mut event = Component::new("VEVENT");
    event.push_property(Property::new(
        "STATUS",
        "CONFIRMED\r\nATTENDEE:mailto:eve@example.com",
    ));
    let mut p = Property::new("X-A", "v");
    p.set_name("X-B\nORGANIZER");
    event.push_property(p);
    let mut p = Property::new("X-C", "lone\rcr");
    p.set_group(Some("g\r\nATTENDEE"));
    event.push_property(p);
    let text = serialize(std::slice::from_ref(&event));
    let back = parse(&text).expect("reads back");
    let names: Vec<&str> = back[0].properties().iter().map(Property::name).collect();
    assert_eq!(names.len(), 3, "{text}");
    assert!(
        !names.contains(&"ATTENDEE") && !names.contains(&"ORGANIZER"),
        "{text}"
    );
    assert!(
        !text.contains("\r\nATTENDEE") && !text.contains("lone\r"),
        "{text}"
    );
}

/// A CR that ends no line is no content: left out when read (some readers end a line there),
/// so what is read is what is written back.
#[test]
fn a_lone_cr_is_left_out_when_read() {
    let text = "BEGIN:VEVENT\r\nSUMMARY:a\rb\r\nX-A:1\r\nEND:VEVENT\r\n";
    let read = parse(text).expect("reads");
    assert_eq!(read[0].properties()[0].as_str(), "SUMMARY:ab");
    let written = serialize(&read);
    assert_eq!(
        written,
        "BEGIN:VEVENT\r\nSUMMARY:ab\r\nX-A:1\r\nEND:VEVENT\r\n"
    );
    assert_eq!(parse(&written).expect("reads back"), read);
}
