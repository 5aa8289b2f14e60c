//! Differential tests of `davkit::url::Url` against the `url` crate: for every input, parsing
//! and joining give the same serialization and parts, or both refuse. Where the `url` crate
//! gives a scheme other than http(s), davkit refuses.

use davkit::url::Url;
use davkit_testkit::Rng;

const BASES: &[&str] = &[
    "https://caldav.example.com/17149682/calendars/",
    "http://127.0.0.1:5232/alice/work/",
    "https://p62-caldav.icloud.com:443/x/y",
    "https://u:p@h.example.com:8443/a/b/c.ics?q=1#f",
    "http://[::1]:8080/dav/",
    "https://h/",
    "https://h/a/b/",
    "https://h/a?x#y",
];

const HANDWRITTEN: &[&str] = &[
    "",
    "/",
    "a",
    "./a",
    "../a",
    "../../../../a",
    "/a/../../b",
    "/a/%2e%2e/b",
    "/a/%2E./b",
    "/a/.%2e",
    "/a/%2e",
    "/a/./",
    ".",
    "..",
    "?",
    "?q",
    "#",
    "#f",
    "?a#b",
    "//other/x",
    "//other",
    "\\\\other\\x",
    "/\\other/x",
    "\\x\\y",
    "http:x",
    "https:x",
    "http:/x",
    "http:\\\\x/y",
    "HTTP://EXAMPLE.COM/A",
    "https://Example.COM:443/",
    "https://example.com:0443/",
    "http://example.com:80/",
    "http://example.com:8080",
    "http://example.com:65535/",
    "http://example.com:65536/",
    "http://example.com:99999999999999999999999/",
    "http://example.com:/",
    "http://example.com:8a/",
    "http://example.com:-1/",
    "http://:80/",
    "http://",
    "http:///",
    "http://@/",
    "http://@h/",
    "http://u@h/",
    "http://u:@h/",
    "http://:p@h/",
    "http://u:p:q@h/",
    "http://a@b@h/",
    "http://a b@h/",
    "http://user%40x:p%3Aw@h/",
    "http://ü:é@h/",
    "http://h/a b",
    "http://h/a%20b",
    "http://h/a%zz",
    "http://h/é.ics",
    "http://h/😀",
    "http://h/a\"<>`{}^|b",
    "http://h/?a b\"<>'`{}^|",
    "http://h/#a b\"<>'`{}^|#",
    "http://h/\u{0}\u{1}\u{7f}",
    "http://h/a\tb\nc\rd",
    "  http://h/ \n",
    "\u{0}http://h/\u{1f}",
    "http://h/a;b=c:d@e!$&'*,",
    "http://h/~user/(1)+[2].ics",
    "http://h/a//b",
    "http://h/a/./b/../c",
    "http://EXAMPLE.com./",
    "http://a..b/",
    "http://./",
    "http://../",
    "http://h_h/",
    "http://h!$&'()*+,;=/",
    "http://h%41/",
    "http://h%2F/",
    "http://h%25/",
    "http://h%zz/",
    "http://%c3%bc/",
    "http://%ff/",
    "http://h:x@/",
    "http://h#x/",
    "http://h?x/",
    "http://h\\x/",
    "http://h^/",
    "http://h|/",
    "http://h<>/",
    "http://1.2.3.4/",
    "http://1.2.3.4.5/",
    "http://1.2.3/",
    "http://1.2/",
    "http://1/",
    "http://4294967295/",
    "http://4294967296/",
    "http://0x7f.1/",
    "http://0x/",
    "http://0X7F000001/",
    "http://017700000001/",
    "http://08/",
    "http://09.1/",
    "http://1.2.3.256/",
    "http://256.1.1.1/",
    "http://1.2.3.4./",
    "http://1.2.3.4../",
    "http://a.1/",
    "http://1.a/",
    "http://a.0x1/",
    "http://a.0xg/",
    "http://[::1]/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]:80/",
    "http://[1:0:0:2:0:0:0:3]/",
    "http://[1:0:0:0:2:0:0:3]/",
    "http://[1::2::3]/",
    "http://[::ffff:1.2.3.4]/",
    "http://[::1.2.3.4]/",
    "http://[::1.2.3]/",
    "http://[::1.2.3.04]/",
    "http://[::1.2.3.256]/",
    "http://[1:2:3:4:5:6:7:8]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[1:2:3:4:5:6:7::]/",
    "http://[::1%25eth0]/",
    "http://[fe80::1%eth0]/",
    "http://[::1/",
    "http://::1]/",
    "http://[::1]x/",
    "http://[::1]:x/",
    "http://[ABCD::]/",
    "http://[:1]/",
    "http://[1:]/",
    "http://[12345::]/",
    "http://xn--nxasmq6b.com/",
    "http://XN--NXASMQ6B.com/",
    "http://xn--zz/",
    "http://xn--/",
    "http://bücher.example/",
    "http://BÜCHER.example/",
    "http://☃.net/",
    "http://a\u{00ad}b/",
    "http://ﬀ.com/",
    "http://ex\u{3002}ample/",
    "mailto:a@b",
    "ftp://h/",
    "file:///etc/passwd",
    "data:text/plain,x",
    "javascript:alert(1)",
    "ws://h/",
    "a:b.vcf",
    "c:\\x",
    "1http://h/",
    "+x:y",
    "http//h/",
    "https:////h//x",
    "http:h:80/",
];

fn hrefs_from_vectors() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests");
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "xml" || x == "json" || x == "txt")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                for part in text.split("href>").skip(1) {
                    if let Some(end) = part.find('<')
                        && end < 400
                    {
                        out.push(part[..end].to_owned());
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check(base: Option<&str>, input: &str) {
    let theirs = match base {
        Some(b) => url::Url::parse(b).and_then(|b| b.join(input)),
        None => url::Url::parse(input),
    };
    let ours = match base {
        Some(b) => Url::parse(b).and_then(|b| b.join(input)),
        None => Url::parse(input),
    };
    let theirs = theirs
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    assert_eq!(
        theirs.is_some(),
        ours.is_ok(),
        "base {base:?} input {input:?}: url gives {:?}, davkit gives {:?}",
        theirs.as_ref().map(url::Url::as_str),
        ours.as_ref().map(Url::as_str)
    );
    if let (Some(t), Ok(o)) = (&theirs, &ours) {
        let ctx = format!("base {base:?} input {input:?}");
        assert_eq!(o.as_str(), t.as_str(), "{ctx}");
        assert_eq!(o.scheme(), t.scheme(), "{ctx}");
        assert_eq!(o.host_str(), t.host_str(), "{ctx}");
        assert_eq!(o.port(), t.port(), "{ctx}");
        assert_eq!(
            o.port_or_known_default(),
            t.port_or_known_default(),
            "{ctx}"
        );
        assert_eq!(o.path(), t.path(), "{ctx}");
        assert_eq!(o.query(), t.query(), "{ctx}");
        assert_eq!(o.fragment(), t.fragment(), "{ctx}");
        assert_eq!(o.username(), t.username(), "{ctx}");
        assert_eq!(o.password(), t.password(), "{ctx}");
        assert_eq!(o.before_path(), &t[..url::Position::BeforePath], "{ctx}");
        // The serialization parses back to itself.
        assert_eq!(Url::parse(o.as_str()).as_ref(), Ok(o), "{ctx}");
    }
}

fn check_all(input: &str) {
    check(None, input);
    for b in BASES {
        check(Some(b), input);
    }
}

#[test]
fn handwritten_inputs_match_the_url_crate() {
    for input in HANDWRITTEN {
        check_all(input);
    }
}

#[test]
fn recorded_hrefs_match_the_url_crate() {
    let hrefs = hrefs_from_vectors();
    assert!(hrefs.len() > 50, "only {} hrefs found", hrefs.len());
    for h in &hrefs {
        check_all(h);
    }
}

const PIECES: &[&str] = &[
    "http:",
    "https:",
    "HTTPS:",
    "//",
    "/",
    "\\",
    "h",
    "H.example.COM",
    "1.2.3.4",
    "0x10",
    "[::1]",
    "[1:2::3]",
    "[::ffff:1.2.3.4]",
    ":",
    ":80",
    ":443",
    ":8080",
    ":99999",
    "@",
    "u:p@",
    "a",
    "b c",
    ".",
    "..",
    "%2e",
    "%2E%2e",
    "%",
    "%4",
    "%41",
    "%zz",
    "?",
    "#",
    "&",
    "=",
    "+",
    "é",
    "😀",
    "\t",
    "\n",
    "\u{0}",
    " ",
    "\"",
    "<",
    ">",
    "`",
    "{",
    "}",
    "^",
    "|",
    "'",
    "~",
    "xn--",
    "ü",
    "0",
    "08",
    "255",
    "256",
    ".ics",
    ";",
    ",",
    "!",
    "$",
    "*",
    "(",
    ")",
];

#[test]
fn generated_inputs_match_the_url_crate() {
    let mut rng = Rng::new(0x005e_ed0f_u64);
    for _ in 0..20_000 {
        let mut s = String::new();
        for _ in 0..rng.range(1, 12) {
            let piece = *rng.one(PIECES);
            s.push_str(piece);
        }
        check_all(&s);
    }
}

#[test]
fn mutated_recorded_hrefs_match_the_url_crate() {
    let hrefs = hrefs_from_vectors();
    let mut rng = Rng::new(0x0b5e55ed);
    for _ in 0..5_000 {
        let mut s = rng.one(&hrefs).clone();
        for _ in 0..rng.range(1, 4) {
            let at = rng.below(s.len() + 1);
            let at = (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
            let piece = *rng.one(PIECES);
            s.insert_str(at, piece);
        }
        check_all(&s);
    }
}

#[test]
fn mutators_match_the_url_crate() {
    let values = [
        "", "a", "a b", "/x/y", "x/../y", "/a/./b/", "?#", "%41%zz", "é", "\t", ".", "..", "%2e",
        "a/b\\c", "&=+",
    ];
    for b in BASES {
        for v in values {
            let mut t = url::Url::parse(b).expect("base");
            let mut o = Url::parse(b).expect("base");
            t.set_path(v);
            o.set_path(v);
            assert_eq!(o.as_str(), t.as_str(), "set_path {b} {v:?}");

            let mut t = url::Url::parse(b).expect("base");
            let mut o = Url::parse(b).expect("base");
            t.path_segments_mut().expect("base").push(v);
            o.path_segments_mut().expect("base").push(v);
            assert_eq!(o.as_str(), t.as_str(), "push {b} {v:?}");

            let mut t = url::Url::parse(b).expect("base");
            let mut o = Url::parse(b).expect("base");
            t.query_pairs_mut().append_pair(v, v).append_pair("k", v);
            o.query_pairs_mut().append_pair(v, v).append_pair("k", v);
            assert_eq!(o.as_str(), t.as_str(), "append_pair {b} {v:?}");
            let theirs: Vec<(String, String)> = t.query_pairs().into_owned().collect();
            assert_eq!(o.query_pairs(), theirs, "query_pairs {b} {v:?}");

            for q in [None, Some(v)] {
                let mut t = url::Url::parse(b).expect("base");
                let mut o = Url::parse(b).expect("base");
                t.set_query(q);
                o.set_query(q);
                assert_eq!(o.as_str(), t.as_str(), "set_query {b} {q:?}");
                t.set_fragment(q);
                o.set_fragment(q);
                assert_eq!(o.as_str(), t.as_str(), "set_fragment {b} {q:?}");
            }

            let mut t = url::Url::parse(b).expect("base");
            let mut o = Url::parse(b).expect("base");
            let _ = t.set_username(v);
            let _ = o.set_username(v);
            assert_eq!(o.as_str(), t.as_str(), "set_username {b} {v:?}");
            let _ = t.set_password(Some(v));
            let _ = o.set_password(Some(v));
            assert_eq!(o.as_str(), t.as_str(), "set_password {b} {v:?}");
            let _ = t.set_password(None);
            let _ = o.set_password(None);
            let _ = t.set_username("");
            let _ = o.set_username("");
            assert_eq!(o.as_str(), t.as_str(), "clear credentials {b} {v:?}");
        }
    }
    let mut t = url::Url::parse("https://h/").expect("base");
    let mut o = Url::parse("https://h/").expect("base");
    drop(t.query_pairs_mut());
    o.query_pairs_mut();
    assert_eq!(o.as_str(), t.as_str());
}

#[test]
fn form_serializer_matches_form_urlencoded() {
    let values = ["", "a b", "x=y&z", "é😀", "*-._~!'()", "+%"];
    let mut t = url::form_urlencoded::Serializer::new(String::new());
    let mut o = davkit::url::FormSerializer::new();
    for v in values {
        t.append_pair(v, v);
        o.append_pair(v, v);
    }
    assert_eq!(o.finish(), t.finish());
}

#[test]
fn debug_hides_credentials() {
    let u = Url::parse("https://alice:s3cret@h.example.com/x").expect("url");
    let shown = format!("{u:?}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("alice"),
        "{shown}"
    );
    assert!(shown.contains("h.example.com/x"), "{shown}");
}

#[test]
fn long_inputs_stay_linear() {
    // 200,000 dot segments and slashes: quadratic work would take minutes.
    let long = "../".repeat(100_000) + &"a/".repeat(100_000);
    let u = Url::parse("https://h/x/").and_then(|b| b.join(&long));
    let t = url::Url::parse("https://h/x/").and_then(|b| b.join(&long));
    assert_eq!(u.map(String::from).ok(), t.map(String::from).ok());
}
