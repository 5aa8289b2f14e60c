//! The stream reads every chunking of a body as the whole-body reader reads the body: the
//! same responses and token, or an error of the same kind.

use super::*;
use crate::error::{Error, ErrorKind};
use crate::rfc4918::multistatus::parse_with_limits;

const BASE: &str = "https://dav.example.com/cal/";

/// A body with what could confuse a scanner: a BOM, a declaration, a DOCTYPE whose internal
/// subset holds `>`, comments and CDATA holding markup, `>` and `/>` in attribute values,
/// prefixes declared on the root and on responses, a multi-href status-only response, text
/// and unknown elements between responses, and the token last.
const SAMPLE: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>
<!DOCTYPE multistatus [ <!ENTITY x \"a>b\"> <!-- ] > --> ]>
<!-- a comment with <d:response> in it -->
<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" a=\"x > y\" b='/>'>
 <d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop>
  <d:getetag>\"1\"</d:getetag>
  <c:calendar-data><![CDATA[BEGIN:VCALENDAR
SUMMARY:</d:response> <d:response> ]] ]]]>&amp; more</c:calendar-data>
 </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
 <!-- between -->
 <?pi some > thing?>
 <d:response xmlns:e=\"DAV:\"><e:href>/cal/b%20c.ics</e:href><d:propstat><d:prop><d:getetag a=\"q>/\">\"2\"</d:getetag><d:resourcetype/></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
 text between
 <d:responsedescription>skipped <d:x/></d:responsedescription>
 <x:unknown xmlns:x=\"urn:x\"><d:response><d:href>/hidden</d:href></d:response></x:unknown>
 <d:response><d:href>/cal/gone1.ics</d:href><d:href>/cal/gone2.ics</d:href>
  <d:status>HTTP/1.1 404 Not Found</d:status></d:response>
 <d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>
 <d:empty/>
 <d:sync-token>http://t/42</d:sync-token>
</d:multistatus>
<!-- trailing -->
";

type Outcome = std::result::Result<(Vec<Response>, Option<String>), ErrorKind>;

fn whole(body: &[u8], limits: &Limits) -> Outcome {
    parse_with_limits(body, BASE, limits)
        .map(|ms| (ms.responses, ms.sync_token))
        .map_err(|e| e.kind())
}

/// Feeds `body` cut at `cuts` (increasing offsets).
fn streamed(body: &[u8], limits: &Limits, cuts: &[usize]) -> Outcome {
    let mut out = Vec::new();
    let run = |out: &mut Vec<Response>| -> Result<Option<String>> {
        let mut stream = MultistatusStream::new(BASE, limits)?;
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
            let cut = cut.clamp(from, body.len());
            stream.feed(&body[from..cut], |r| {
                out.push(r);
                Ok(())
            })?;
            from = cut;
        }
        stream.finish(|r| {
            out.push(r);
            Ok(())
        })
    };
    match run(&mut out) {
        Ok(token) => Ok((out, token)),
        Err(e) => Err(e.kind()),
    }
}

/// A small deterministic generator (no dependency).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn random_cuts(len: usize, rng: &mut Lcg, max_piece: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < len {
        at += 1 + rng.below(max_piece);
        cuts.push(at.min(len));
    }
    cuts
}

/// Every chunking tried: whole, every byte alone, every single split point, random splits.
fn chunkings(len: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new(), (1..len).collect()];
    // every split point of a small body, 64 of a larger one
    let step = (len / 64).max(1);
    all.extend((1..len).step_by(step).map(|k| vec![k]));
    let mut rng = Lcg(seed);
    for max_piece in [2, 7, 40, 300] {
        for _ in 0..4 {
            all.push(random_cuts(len, &mut rng, max_piece));
        }
    }
    all
}

fn same_in_every_chunking(body: &[u8], limits: &Limits) -> Outcome {
    let expected = whole(body, limits);
    for cuts in chunkings(body.len(), body.len() as u64) {
        let got = streamed(body, limits, &cuts);
        assert_eq!(got, expected, "cut at {cuts:?}");
    }
    expected
}

#[test]
fn every_chunking_gives_the_whole_reading() {
    let expected = same_in_every_chunking(SAMPLE.as_bytes(), &Limits::default());
    let (responses, token) = expected.unwrap_or_default();
    let hrefs: Vec<&str> = responses.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(
        hrefs,
        [
            "https://dav.example.com/cal/a.ics",
            "https://dav.example.com/cal/b%20c.ics",
            "https://dav.example.com/cal/gone1.ics",
            "https://dav.example.com/cal/gone2.ics",
            "https://dav.example.com/cal/",
        ]
    );
    assert_eq!(token.as_deref(), Some("http://t/42"));
    let data = responses[0]
        .prop(&crate::xml::names::CALENDAR_DATA)
        .map(crate::xml::Element::text);
    assert_eq!(
        data.as_deref(),
        Some("BEGIN:VCALENDAR\nSUMMARY:</d:response> <d:response> ]] ]& more")
    );
}

#[test]
fn every_truncation_is_the_whole_readers_error() {
    // A body cut anywhere before its root closes is an error (never fewer responses), in
    // every chunking; cut after the root closes it reads whole.
    let body = SAMPLE.as_bytes();
    let close = SAMPLE.find("</d:multistatus>").unwrap_or(0) + "</d:multistatus>".len();
    let mut rng = Lcg(7);
    for len in 0..body.len() {
        let cut = &body[..len];
        if !SAMPLE.is_char_boundary(len) {
            continue;
        }
        let expected = whole(cut, &Limits::default());
        if len < close {
            assert!(expected.is_err(), "{len}");
        }
        let mut tries = vec![Vec::new(), random_cuts(len, &mut rng, 60)];
        if len % 5 == 0 {
            tries.push(random_cuts(len, &mut rng, 5));
        }
        for cuts in tries {
            assert_eq!(streamed(cut, &Limits::default(), &cuts), expected, "{len}");
        }
    }
}

#[test]
fn damaged_bodies_fail_alike() {
    // Every byte of the sample replaced by markup characters, or removed: whatever the whole
    // reader says (responses or an error kind), the stream says in several chunkings.
    let body = SAMPLE.as_bytes();
    let mut rng = Lcg(11);
    let mut failures = 0;
    for at in 0..body.len() {
        for replace in [Some(b'<'), Some(b'>'), Some(b'"'), Some(b'/'), None] {
            let mut damaged = body.to_vec();
            match replace {
                Some(b) => damaged[at] = b,
                None => {
                    damaged.remove(at);
                }
            }
            let expected = whole(&damaged, &Limits::default());
            failures += usize::from(expected.is_err());
            let mut tries = vec![Vec::new(), random_cuts(damaged.len(), &mut rng, 50)];
            if at % 7 == 0 {
                tries.push(random_cuts(damaged.len(), &mut rng, 3));
            }
            for cuts in tries {
                assert_eq!(
                    streamed(&damaged, &Limits::default(), &cuts),
                    expected,
                    "byte {at} -> {replace:?}"
                );
            }
        }
    }
    assert!(
        failures > body.len(),
        "the damage was mostly harmless: {failures}"
    );
}

#[test]
fn hostile_bodies_fail_alike() {
    let docs: &[&str] = &[
        "",
        "   ",
        "<error xmlns=\"DAV:\"><valid-sync-token/></error>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:wrong></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response></d:multistatus><d:response/>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response></d:multistatus>tail",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href a=\"<\">/a</d:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href a=\"x>/a</d:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><x:href>/a</x:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:status>HTTP/1.1 200 OK</d:status></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href><d:status>bad</d:status></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"></d:response><d:response><d:href>/a</d:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"/>",
        "<d:multistatus xmlns:d=\"DAV:\"/><d:multistatus xmlns:d=\"DAV:\"/>",
        "</d:multistatus><d:multistatus xmlns:d=\"DAV:\"/>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><!-- open",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><![CDATA[x",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><d:multistatus><d:response><d:href>/b</d:href></d:response></d:multistatus></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><d:response><d:href>/b</d:href></d:response></d:multistatus><!DOCTYPE x>",
        "<!DOCTYPE [[[ <d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response></d:multistatus>",
        "<!-- <d:multistatus xmlns:d=\"DAV:\"> --><d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><d:response><d:href>/b</d:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><d:response><d:href>/b\u{0}</d:href></d:response></d:multistatus>",
        "<d:multistatus xmlns:d=\"DAV:\" xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response></d:multistatus>",
        "<multistatus xmlns=\"DAV:\"><response><href>/a</href></response><response xmlns=\"urn:x\"><href>/b</href></response></multistatus>",
    ];
    let mut reads = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if same_in_every_chunking(doc.as_bytes(), &Limits::default()).is_ok() {
            reads.push(i);
        }
    }
    // only these are well-formed multistatus bodies: an empty root, a nested multistatus
    // skipped as an unknown element, a root after a comment, a prefix declared twice (which
    // the reader lets by), a response in another namespace
    assert_eq!(reads, [13, 18, 21, 23, 24]);
    // Invalid UTF-8 in a later response.
    let mut bytes = b"<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>/a</d:href></d:response><d:response><d:href>/".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"</d:href></d:response></d:multistatus>");
    assert_eq!(
        same_in_every_chunking(&bytes, &Limits::default()),
        Err(ErrorKind::Xml)
    );
}

fn many(n: usize) -> String {
    let mut body = String::from("<d:multistatus xmlns:d=\"DAV:\">");
    for i in 0..n {
        body.push_str(&format!(
            "<d:response><d:href>/cal/{i}.ics</d:href><d:propstat><d:prop><d:getetag>\"{i}\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n"
        ));
    }
    body.push_str("<d:sync-token>t</d:sync-token></d:multistatus>");
    body
}

#[test]
fn limits_hold_across_pieces() {
    // 6 elements per response: 40 responses are 242 elements with the root and the token.
    let body = many(40);
    for (elements, ok) in [(243, true), (242, true), (241, false), (100, false)] {
        let limits = Limits {
            max_xml_elements: elements,
            ..Limits::default()
        };
        let got = same_in_every_chunking(body.as_bytes(), &limits);
        assert_eq!(got.is_ok(), ok, "{elements}");
        if !ok {
            assert_eq!(got.err(), Some(ErrorKind::LimitExceeded));
        }
    }
    let shallow = Limits {
        max_xml_depth: 4,
        ..Limits::default()
    };
    assert_eq!(
        same_in_every_chunking(body.as_bytes(), &shallow).err(),
        Some(ErrorKind::LimitExceeded)
    );
    let hrefs = Limits {
        max_hrefs_per_response: 1,
        ..Limits::default()
    };
    let two = "<multistatus xmlns=\"DAV:\"><response><href>/a</href></response><response><href>/b</href><href>/c</href><status>HTTP/1.1 404 Not Found</status></response></multistatus>";
    assert_eq!(
        same_in_every_chunking(two.as_bytes(), &hrefs).err(),
        Some(ErrorKind::LimitExceeded)
    );
}

#[test]
fn large_chunks_are_read_in_groups_as_the_whole_reader_reads_them() {
    // 1,000 responses (about 160 KB): a chunk holds many complete responses, read together up
    // to GROUP_BYTES at a time; the same responses, token and limits as the whole reading.
    let body = many(1000);
    let len = body.len();
    assert!(len > 2 * GROUP_BYTES, "{len}");
    let mut rng = Lcg(7);
    let mut all: Vec<Vec<usize>> = vec![Vec::new(), vec![GROUP_BYTES], vec![GROUP_BYTES + 1]];
    all.extend((1..len).step_by(len / 16).map(|k| vec![k]));
    for max_piece in [3_000, GROUP_BYTES - 1, GROUP_BYTES + 1, 3 * GROUP_BYTES] {
        for _ in 0..3 {
            all.push(random_cuts(len, &mut rng, max_piece));
        }
    }
    // 6 elements per response, the root and the token: 6,002 in all
    for (elements, ok) in [(6_002, true), (6_001, false), (3_000, false)] {
        let limits = Limits {
            max_xml_elements: elements,
            ..Limits::default()
        };
        let expected = whole(body.as_bytes(), &limits);
        assert_eq!(expected.is_ok(), ok, "{elements}");
        for cuts in &all {
            assert_eq!(
                streamed(body.as_bytes(), &limits, cuts),
                expected,
                "{elements} elements, cut at {cuts:?}"
            );
        }
    }
    let (responses, token) = whole(body.as_bytes(), &Limits::default()).unwrap_or_default();
    assert_eq!((responses.len(), token.as_deref()), (1000, Some("t")));
}

#[test]
fn holds_one_partial_response_at_a_time() -> Result<()> {
    let body = many(2000);
    let response_len = body.find("</d:response>").unwrap_or(0) + 16;
    let mut stream = MultistatusStream::new(BASE, &Limits::default())?;
    let mut count = 0;
    let mut most = 0;
    for piece in body.as_bytes().chunks(100) {
        stream.feed(piece, |_| {
            count += 1;
            Ok(())
        })?;
        most = most.max(stream.buffered());
    }
    let token = stream.finish(|_| {
        count += 1;
        Ok(())
    })?;
    assert_eq!((count, token.as_deref()), (2000, Some("t")));
    // One response, the chunk that completed it, and the root tag: never the body (320 KB).
    assert!(
        most < response_len + 200,
        "{most} bytes held, a response is {response_len}"
    );
    Ok(())
}

#[test]
fn errors_stay_and_callback_errors_end_the_stream() -> Result<()> {
    let body = many(3);
    let mut stream = MultistatusStream::new(BASE, &Limits::default())?;
    let mut count = 0;
    let stop = stream.feed(body.as_bytes(), |_| {
        count += 1;
        Err(Error::new(ErrorKind::Protocol, "stop"))
    });
    assert_eq!(stop.map_err(|e| e.kind()), Err(ErrorKind::Protocol));
    assert_eq!(count, 1);
    assert!(stream.feed(b"", |_| Ok(())).is_err());
    assert!(stream.finish(|_| Ok(())).is_err());
    assert!(MultistatusStream::new("not a url", &Limits::default()).is_err());
    Ok(())
}

#[test]
fn a_huge_root_tag_is_read_whole_in_one_pass() -> Result<()> {
    // Each piece is read after a copy of the root's start tag: with a hostile 200 KB one and
    // a row per chunk, that was 200 KB read again for every row (13 s for a 48 MB answer).
    let attrs: String = (0..200).map(|i| format!(" a{i}=\"{:0990}\"", 0)).collect();
    let body = many(300).replacen("<d:multistatus ", &format!("<d:multistatus{attrs} "), 1);
    assert!(body.len() > 180_000, "{}", body.len());
    let limits = Limits::default();
    let mut stream = MultistatusStream::new(BASE, &limits)?;
    let mut count = 0;
    for piece in body.as_bytes().chunks(300) {
        stream.feed(piece, |_| {
            count += 1;
            Ok(())
        })?;
    }
    assert!(
        stream.whole,
        "a root tag past MAX_STREAMED_ROOT_TAG is read whole"
    );
    assert_eq!(count, 0, "nothing read piece by piece");
    let token = stream.finish(|_| {
        count += 1;
        Ok(())
    })?;
    assert_eq!((count, token.as_deref()), (300, Some("t")));
    // And what it reads is what the whole reader reads, however it is cut.
    assert_eq!(
        same_in_every_chunking(body.as_bytes(), &limits),
        whole(body.as_bytes(), &limits)
    );
    Ok(())
}
