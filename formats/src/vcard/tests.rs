use super::*;

const V4: &str = "BEGIN:VCARD\r
VERSION:4.0\r
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r
FN:Dr. Ann B. Example\r
N:Example;Ann;B.;Dr.;\r
NICKNAME:Annie,AB\r
TEL;VALUE=uri;TYPE=\"voice,home\";PREF=1:tel:+1-555-555-5555;ext=5555\r
TEL;TYPE=cell:+33 1 23 45 67\r
EMAIL;TYPE=work:ann@example.com\r
ADR;TYPE=home;LABEL=\"123 Main St\\nAnytown\":;Apt 4;123 Main St;Anytown;CA;91921;U.S.A.\r
ORG:Example Corp;R&D\\; Labs\r
TITLE:Engineer\r
BDAY:--0415\r
ANNIVERSARY:20090808T1430-0500\r
NOTE:Met at the conference\\, 2019\r
URL:https://example.com/ann\r
PHOTO:data:image/png;base64,iVBORw0KGgo=\r
REV:20250101T000000Z\r
CATEGORIES:friends,work\r
X-SOCIAL;TYPE=mastodon:@ann@example.social\r
END:VCARD\r
";

const V3_APPLE: &str = "BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//iOS 17//EN\r
N:Müller;Jörg;;;\r
FN:Jörg Müller\r
item1.EMAIL;type=INTERNET;type=pref:jm@example.de\r
item1.X-ABLabel:_$!<Other>!$_\r
item2.TEL;type=CELL;type=VOICE:+49 170 000000\r
item2.X-ABLabel:Handy\r
BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-01\r
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ==\r
X-ADDRESSBOOKSERVER-KIND:group\r
X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:111\r
GEO:48.1;11.5\r
END:VCARD\r
";

#[test]
fn v4_typed_getters() {
    let c = VCard::parse(V4).expect("parse");
    assert_eq!(c.version(), Some(Version::V4));
    assert_eq!(
        c.uid().as_deref(),
        Some("urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1")
    );
    assert_eq!(c.full_name().as_deref(), Some("Dr. Ann B. Example"));
    let n = c.name().expect("N");
    assert_eq!(
        (n.family.as_str(), n.given.as_str(), n.prefixes.as_str()),
        ("Example", "Ann", "Dr.")
    );
    assert_eq!(c.nicknames(), vec!["Annie", "AB"]);
    let tels = c.tels();
    assert_eq!(tels[0].value, "+1-555-555-5555;ext=5555");
    assert_eq!(tels[0].types, vec!["voice", "home"]);
    assert_eq!(tels[0].pref, Some(1));
    assert_eq!(tels[1].types, vec!["cell"]);
    assert_eq!(c.emails()[0].value, "ann@example.com");
    let adr = &c.addresses()[0];
    assert_eq!(
        (
            adr.extended.as_str(),
            adr.street.as_str(),
            adr.country.as_str()
        ),
        ("Apt 4", "123 Main St", "U.S.A.")
    );
    assert_eq!(adr.label.as_deref(), Some("123 Main St\\nAnytown"));
    assert_eq!(
        c.org(),
        Some(vec!["Example Corp".to_owned(), "R&D; Labs".to_owned()])
    );
    assert_eq!(c.title().as_deref(), Some("Engineer"));
    let b = c.birthday().expect("bday");
    assert_eq!((b.year, b.month, b.day), (None, Some(4), Some(15)));
    assert_eq!(b.to_iso(), "--04-15");
    assert_eq!(
        c.anniversary().map(|a| a.to_iso()).as_deref(),
        Some("2009-08-08")
    );
    assert_eq!(c.note().as_deref(), Some("Met at the conference, 2019"));
    assert_eq!(c.urls()[0].value, "https://example.com/ann");
    assert_eq!(
        c.photo(),
        Some(Photo::Inline {
            media_type: Some("image/png".into()),
            data: vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]
        })
    );
    assert_eq!(c.rev(), Some("20250101T000000Z"));
    assert_eq!(c.categories(), vec!["friends", "work"]);
    assert_eq!(c.kind(), "individual");
    // unknown properties survive a round trip exactly
    let again = VCard::parse(&c.to_vcf()).expect("reparse");
    assert_eq!(again, c);
    assert!(
        c.to_vcf()
            .contains("X-SOCIAL;TYPE=mastodon:@ann@example.social\r\n")
    );
}

#[test]
fn v3_apple_groups_kind_and_photo() {
    let c = VCard::parse(V3_APPLE).expect("parse");
    assert_eq!(c.version(), Some(Version::V3));
    assert_eq!(c.groups(), vec!["item1", "item2"]);
    assert_eq!(c.group_properties("ITEM2").count(), 2);
    let e = &c.emails()[0];
    assert_eq!(e.types, vec!["internet"]);
    assert_eq!(e.pref, Some(1));
    assert_eq!(e.label.as_deref(), Some("_$!<Other>!$_"));
    assert_eq!(c.tels()[0].label.as_deref(), Some("Handy"));
    let b = c.birthday().expect("bday");
    assert_eq!((b.year, b.month, b.day), (None, Some(7), Some(1)));
    assert!(
        matches!(c.photo(), Some(Photo::Inline { media_type: Some(ref m), ref data }) if m == "image/jpeg" && data.starts_with(&[0xFF, 0xD8]))
    );
    assert_eq!(c.kind(), "group");
    assert_eq!(c.members(), vec!["urn:uuid:111"]);
}

#[test]
fn convert_3_to_4_and_back() {
    let c3 = VCard::parse(V3_APPLE).expect("parse");
    let c4 = c3.to_v4();
    let out = c4.to_vcf();
    assert!(out.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
    assert!(
        out.contains("item1.EMAIL;PREF=1:jm@example.de\r\n"),
        "{out}"
    );
    assert!(
        out.contains("item2.TEL;TYPE=cell,voice:+49 170 000000\r\n"),
        "{out}"
    );
    assert!(out.contains("BDAY:--0701\r\n"));
    assert!(out.contains("PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==\r\n"));
    assert!(out.contains("KIND:group\r\nMEMBER:urn:uuid:111\r\n"));
    assert!(out.contains("GEO:geo:48.1,11.5\r\n"));
    assert!(out.contains("item2.X-ABLabel:Handy\r\n"));
    // typed data is the same on both sides
    assert_eq!(c4.photo(), c3.photo());
    assert_eq!(c4.birthday(), c3.birthday());
    assert_eq!(c4.kind(), c3.kind());
    assert_eq!(c4.members(), c3.members());
    assert_eq!(c4.tels(), c3.tels());
    assert_eq!(c4.emails()[0].pref, Some(1));

    let back = c4.to_v3();
    let out3 = back.to_vcf();
    assert!(out3.contains("VERSION:3.0\r\n"));
    assert!(
        out3.contains("item1.EMAIL;TYPE=PREF:jm@example.de\r\n"),
        "{out3}"
    );
    assert!(out3.contains("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ==\r\n"));
    assert!(out3.contains("BDAY:--07-01\r\n"));
    assert!(out3.contains("X-ADDRESSBOOKSERVER-KIND:group\r\n"));
    assert!(out3.contains("GEO:48.1;11.5\r\n"));
    assert_eq!(back.photo(), c3.photo());
    assert_eq!(back.birthday(), c3.birthday());
    assert_eq!(back.tels(), c3.tels());
}

#[test]
fn convert_4_to_3_for_google() {
    let c4 = VCard::parse(V4).expect("parse");
    let c3 = c4.to_v3();
    let out = c3.to_vcf();
    assert!(
        out.contains("TEL;TYPE=VOICE,HOME,PREF:+1-555-555-5555;ext=5555\r\n"),
        "{out}"
    );
    assert!(out.contains("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=\r\n"));
    assert!(out.contains("BDAY:--04-15\r\n"));
    assert!(!out.contains("KIND"));
    assert_eq!(c3.tels()[0].value, c4.tels()[0].value);
    assert_eq!(c3.photo(), c4.photo());
    // back to 4.0 gives the same typed values
    let again = c3.to_v4();
    assert_eq!(again.tels(), c4.tels());
    assert_eq!(again.birthday(), c4.birthday());
    assert_eq!(again.photo(), c4.photo());
    // a card without N gets an empty one in 3.0
    let bare = VCard::parse("BEGIN:VCARD\nVERSION:4.0\nFN:X\nEND:VCARD\n").expect("parse");
    assert!(bare.to_v3().name().is_some());
}

#[test]
fn setters_write_back() {
    let mut c = VCard::new(Version::V4, "New Person");
    c.set_uid("urn:uuid:1");
    c.set_name(&StructuredName {
        family: "Person".into(),
        given: "New".into(),
        ..StructuredName::default()
    });
    c.add_tel(&TypedValue {
        value: "+1 555".into(),
        types: vec!["cell".into()],
        pref: Some(1),
        ..TypedValue::default()
    });
    c.add_email(&TypedValue {
        value: "a,b@example.com".into(),
        group: Some("item1".into()),
        ..TypedValue::default()
    });
    c.set_birthday(Some(&PartialDate::parse("--1224")));
    c.set_photo(Some(&Photo::Inline {
        media_type: Some("image/jpeg".into()),
        data: vec![1, 2, 3],
    }));
    c.set_org(Some(&["Org; Inc", "Unit"]));
    c.set_nicknames(&["N1"]);
    c.set_categories(&["a", "b,c"]);
    c.set_kind("group");
    c.add_member("urn:uuid:2");
    c.set_note(Some("multi\nline"));
    c.set_title(Some("Boss"));
    c.set_rev("20250101T000000Z");
    let text = c.to_vcf();
    let r = VCard::parse(&text).expect("reparse");
    assert_eq!(r.full_name().as_deref(), Some("New Person"));
    assert_eq!(r.name().map(|n| n.family), Some("Person".into()));
    assert_eq!(r.tels()[0].pref, Some(1));
    assert_eq!(r.emails()[0].value, "a,b@example.com");
    assert_eq!(r.emails()[0].group.as_deref(), Some("item1"));
    assert_eq!(r.birthday().map(|b| b.to_iso()).as_deref(), Some("--12-24"));
    assert!(matches!(r.photo(), Some(Photo::Inline { data, .. }) if data == vec![1, 2, 3]));
    assert_eq!(r.org(), Some(vec!["Org; Inc".into(), "Unit".into()]));
    assert_eq!(r.categories(), vec!["a", "b,c"]);
    assert_eq!(r.kind(), "group");
    assert_eq!(r.members(), vec!["urn:uuid:2"]);
    assert_eq!(r.note().as_deref(), Some("multi\nline"));
    assert_eq!(r.remove_all_count_for_test(), 1);
    let json = serde_json::to_value(r.to_summary()).expect("json");
    assert_eq!(json["tels"][0]["types"][0], "cell");
    assert_eq!(json["birthday"], "--12-24");
    assert_eq!(json["has_photo"], true);
    assert_eq!(json["version"], "V4");
}

impl VCard {
    fn remove_all_count_for_test(&self) -> usize {
        let mut c = self.clone();
        c.remove_all("TITLE")
    }
}

#[test]
fn partial_dates() {
    let cases = [
        ("19850415", (Some(1985), Some(4), Some(15))),
        ("1985-04-15", (Some(1985), Some(4), Some(15))),
        ("--0415", (None, Some(4), Some(15))),
        ("--04-15", (None, Some(4), Some(15))),
        ("---15", (None, None, Some(15))),
        ("1985-04", (Some(1985), Some(4), None)),
        ("19850415T120000Z", (Some(1985), Some(4), Some(15))),
    ];
    for (raw, want) in cases {
        let d = PartialDate::parse(raw);
        assert_eq!((d.year, d.month, d.day), want, "{raw}");
        assert_eq!(d.text, None);
    }
    for bad in ["", "circa 1800", "--13-01", "19851301"] {
        assert!(PartialDate::parse(bad).text.is_some(), "{bad}");
    }
}

#[test]
fn errors_are_typed() {
    assert_eq!(
        VCard::parse("BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
        Err(Error::NotAVCard)
    );
    assert!(matches!(
        VCard::parse("BEGIN:VCARD\nFN:x\n"),
        Err(Error::Parse(_))
    ));
    let many = format!("{V4}{V3_APPLE}");
    assert_eq!(VCard::parse_all(&many).map(|v| v.len()), Ok(2));
    assert!(VCard::parse_bytes(b"BEGIN:VCARD\r\nFN:\xff\r\nEND:VCARD\r\n").is_err());
}

#[test]
fn many_groups_labels_and_types_are_read_in_one_pass() {
    // 5,000 grouped TELs, each with its label after it; one TEL with 2,000 TYPE values (every
    // one twice, in two cases) and 2,000 bare 2.1-style parameters
    let mut text = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nN:;;;;\r\n");
    for i in 0..5000 {
        text.push_str(&format!(
            "item{i}.TEL:+{i}\r\nITEM{i}.X-ABLabel:label {i}\r\nitem{i}.X-ABLabel:second\r\n"
        ));
    }
    text.push_str("TEL;TYPE=");
    let types: Vec<String> = (0..2000)
        .flat_map(|i| [format!("t{i}"), format!("T{i}")])
        .collect();
    text.push_str(&types.join(","));
    for i in 0..2000 {
        text.push_str(&format!(";b{i}"));
    }
    text.push_str(":+0\r\nEND:VCARD\r\n");
    let card = VCard::parse(&text).expect("parse");
    let summary = card.to_summary();
    assert_eq!(summary.tels.len(), 5001);
    let labelled = summary
        .tels
        .iter()
        .enumerate()
        .filter(|(i, t)| t.label.as_deref() == Some(format!("label {i}").as_str()))
        .count();
    assert_eq!(labelled, 5000);
    // 2,000 TYPE values and 2,000 bare parameters, each once
    assert_eq!(summary.tels[5000].types.len(), 4000);
    assert_eq!(card.groups().len(), 5000);
    let v4 = card.to_v4();
    let tel = v4.tels().into_iter().last().expect("tel");
    assert_eq!(tel.types.len(), 4000);
    let line = v4
        .component()
        .properties()
        .iter()
        .rfind(|p| p.is("TEL"))
        .expect("line");
    assert_eq!(line.params().count(), 1);
    assert_eq!(v4.to_v3().tels().len(), 5001);
}

#[test]
fn v2_1_is_read_never_written() {
    let old = VCard::parse("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Ex;Ann\r\nFN:Ann Ex\r\nEND:VCARD\r\n")
        .unwrap();
    assert_eq!(old.version(), Some(Version::V2_1));
    let v3 = old.to_version(Version::V3).unwrap();
    assert_eq!(v3, old.to_v3());
    assert_eq!(v3.version(), Some(Version::V3));
    let v4 = old.to_version(Version::V4).unwrap();
    assert_eq!(v4, old.to_v4());
    assert_eq!(v4.version(), Some(Version::V4));
    assert_eq!(v4.full_name().as_deref(), Some("Ann Ex"));
    for card in [&old, &v3, &v4] {
        let e = card.to_version(Version::V2_1).unwrap_err();
        assert_eq!(e, UnwrittenVersion(Version::V2_1));
        assert_eq!(
            e.to_string(),
            "vCard 2.1 is read but never written: convert to 3.0 or 4.0"
        );
    }
}

#[test]
fn many_distinct_type_values_are_each_kept_once() {
    // 50,000 distinct TYPE values in descending order, each named twice: each was inserted at
    // the front of a sorted list (quadratic: 200,000 took 40 s in a debug build to read the
    // TEL's types), now into a map.
    let mut types = String::new();
    for i in (0..50_000).rev().chain(0..50_000) {
        if !types.is_empty() {
            types.push(',');
        }
        types.push_str(&format!("t{i:07}"));
    }
    let text = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nTEL;TYPE={types}:1\r\nEND:VCARD\r\n");
    let card = VCard::parse(&text).expect("parse");
    let read = &card.tels()[0].types;
    assert_eq!(read.len(), 50_000);
    assert_eq!(
        (read[0].as_str(), read[49_999].as_str()),
        ("t0049999", "t0000000")
    );
    let v4 = card.to_v4();
    assert_eq!(v4.tels()[0].types.len(), 50_000);
}

/// An Android-style vCard 2.1 export (`tests/vectors/interop/quoted-printable-2.1.vcf`, which
/// every binding reads): quoted-printable UTF-8 in FN, N and ADR, a NOTE whose value goes on
/// after soft line breaks (`=` at the end, the next line not indented), a bare
/// `QUOTED-PRINTABLE` parameter with a Latin-1 charset, and a Windows-1252 one.
#[cfg(feature = "quoted-printable")]
const V21_QP: &str = include_str!("../../../tests/vectors/interop/quoted-printable-2.1.vcf");
/// Its 4.0 conversion, as every binding writes it.
#[cfg(feature = "quoted-printable")]
const V21_QP_AS_V4: &str =
    include_str!("../../../tests/vectors/interop/quoted-printable-2.1-as-4.0.vcf");

#[cfg(feature = "quoted-printable")]
#[test]
fn quoted_printable_values_are_read_as_the_text_they_encode() {
    let card = VCard::parse(V21_QP).expect("parse");
    assert_eq!(card.version(), Some(Version::V2_1));
    assert_eq!(card.full_name().as_deref(), Some("Jürgen Müller"));
    let n = card.name().expect("N");
    assert_eq!((n.family.as_str(), n.given.as_str()), ("Müller", "Jürgen"));
    let adr = &card.addresses()[0];
    assert_eq!(
        (
            adr.street.as_str(),
            adr.locality.as_str(),
            adr.country.as_str()
        ),
        ("Straße 1", "Köln", "Deutschland")
    );
    assert_eq!(
        card.note().as_deref(),
        Some("first line\nsecond line continues = equals")
    );
    assert_eq!(card.org(), Some(vec!["Café Müller".to_owned()]));
    assert_eq!(card.title().as_deref(), Some("“Chef” €"));
    assert_eq!(card.to_v4().to_vcf(), V21_QP_AS_V4);

    // The conversions write plain text: neither 3.0 nor 4.0 allows quoted-printable.
    for out in [card.to_v4().to_vcf(), card.to_v3().to_vcf()] {
        assert!(out.contains("FN:Jürgen Müller\r\n"), "{out}");
        assert!(
            out.contains("NOTE:first line\\nsecond line continues = equals\r\n"),
            "{out}"
        );
        assert!(
            out.contains(":;;Straße 1;Köln;;50667;Deutschland\r\n"),
            "{out}"
        );
        let decoded: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("QUOTED-PRINTABLE") || l.contains("CHARSET"))
            .collect();
        assert!(decoded.is_empty(), "{decoded:?}");
    }
    // The same through every way in: all cards of a file, leniently, from a component.
    let all = VCard::parse_all(V21_QP).expect("parse_all");
    assert_eq!(all[0].full_name().as_deref(), Some("Jürgen Müller"));
    let (lenient, repairs) = VCard::parse_all_lenient(V21_QP).expect("lenient");
    assert!(repairs.is_empty(), "{repairs:?}");
    assert_eq!(lenient[0].note(), card.note());
    let comps = crate::contentline::parse(V21_QP).expect("components");
    let wrapped = VCard::from_component(comps[0].clone()).expect("wrap");
    assert_eq!(wrapped.full_name().as_deref(), Some("Jürgen Müller"));
}

#[cfg(feature = "quoted-printable")]
#[test]
fn quoted_printable_edges() {
    let card = |line: &str| {
        VCard::parse(&format!(
            "BEGIN:VCARD\r\nVERSION:2.1\r\n{line}\r\nEND:VCARD\r\n"
        ))
        .expect("parse")
    };
    // No charset named: UTF-8 when the bytes are, else Latin-1.
    assert_eq!(
        card("FN;ENCODING=QUOTED-PRINTABLE:=C3=A9")
            .full_name()
            .as_deref(),
        Some("é")
    );
    assert_eq!(
        card("FN;ENCODING=QUOTED-PRINTABLE:=E9")
            .full_name()
            .as_deref(),
        Some("é")
    );
    // Lower-case hex, and an `=` that starts no escape, are read as written.
    assert_eq!(
        card("FN;ENCODING=quoted-printable:=c3=a9 a=b =ZZ")
            .full_name()
            .as_deref(),
        Some("é a=b =ZZ")
    );
    // A charset this does not read: left as written, encoding and all.
    let other = card("X-OTHER;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=82=A0");
    let other = other.component().property("X-OTHER").expect("X-OTHER");
    assert_eq!(other.raw_value(), "=82=A0");
    assert!(other.param("ENCODING").is_some());
    // Named UTF-8 that is not: left as written.
    let bad = card("FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E9");
    assert_eq!(bad.full_name().as_deref(), Some("=E9"));
    // A stray `=` at the end of the last value does not take `END:VCARD` with it.
    let stray = card("FN;ENCODING=QUOTED-PRINTABLE:Ann=");
    assert_eq!(stray.full_name().as_deref(), Some("Ann"));
    // Without the encoding, a value's `=` at the end of a line is text, and no break.
    let plain = VCard::parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a=\r\nNOTE:b\r\nEND:VCARD\r\n")
        .expect("parse");
    assert_eq!(
        (plain.full_name().as_deref(), plain.note().as_deref()),
        (Some("a="), Some("b"))
    );
    // A 4.0 card keeps its bytes: nothing to decode.
    let v4 = VCard::parse(V4).expect("parse");
    assert_eq!(
        v4.to_vcf(),
        VCard::parse(&v4.to_vcf()).expect("again").to_vcf()
    );
}

#[test]
fn only_pref_1_becomes_type_pref_in_3_0() {
    let text = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nTEL;PREF=50:1\r\nTEL;PREF=1:2\r\nTEL:3\r\n\
                EMAIL;PREF=1:a@example.com\r\nEMAIL;PREF=1:b@example.com\r\nEND:VCARD\r\n";
    let v3 = VCard::parse(text).expect("parse").to_v3();
    let prefs = |list: Vec<TypedValue>| -> Vec<(String, Option<u8>)> {
        list.into_iter().map(|t| (t.value, t.pref)).collect()
    };
    assert_eq!(
        prefs(v3.tels()),
        [
            ("1".into(), None),
            ("2".into(), Some(1)),
            ("3".into(), None)
        ]
    );
    assert_eq!(
        prefs(v3.emails()),
        [
            ("a@example.com".into(), Some(1)),
            ("b@example.com".into(), Some(1))
        ]
    );
    // Back in 4.0, one number is preferred, not two.
    let back = v3.to_v4();
    assert_eq!(back.tels().iter().filter(|t| t.pref.is_some()).count(), 1);
}

/// `summary_view` writes what `to_summary` does (names kept and in the same order), for the
/// cards above and every card of the real-world and hostile corpora.
#[test]
fn summary_view_serialises_as_the_summary() {
    fn same(text: &str) -> usize {
        let Ok((cards, _)) = VCard::parse_all_lenient(text) else {
            return 0;
        };
        for c in &cards {
            let plain = serde_json::to_string(&c.to_summary()).expect("json");
            let view = serde_json::to_string(&c.summary_view()).expect("json");
            assert_eq!(view, plain);
        }
        cards.len()
    }
    let mut seen = 0;
    for text in [V4, V3_APPLE] {
        seen += same(text);
    }
    // structured values shorter and longer than their fields, escapes, labels, no PHOTO
    seen += same(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:One\r\nADR:;;a\\;b;c;d;e;f;g;h\r\nORG:\r\n\
         g.TEL;TYPE=pref:tel:1\r\nG.X-ABLabel:l\r\nEMAIL:\r\nURL:x\r\nCATEGORIES:,\r\n\
         KIND:ORG\r\nMEMBER: m \r\nPHOTO:http://p\r\nEND:VCARD\r\n",
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let mut dirs = vec![root.join("corpus/vcard"), root.join("hostile")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "vcf")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                seen += same(&text);
            }
        }
    }
    assert!(seen > 12, "{seen} cards");
}
