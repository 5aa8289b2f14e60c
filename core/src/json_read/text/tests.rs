//! The parser against `serde_json::from_str::<Value>` (and `from_slice`), the parser it
//! replaces: each rule by example, then the same answer (the same value to the bit, or both a
//! refusal) for generated texts, their mutations, numbers, strings and bytes.

use davkit_testkit::Rng;
use serde_json::{Value, json};

use crate::json_read::{Json, mutate};

/// The parser's value as serde_json's `Value` (`Json::into_value`): every comparison below is
/// with serde_json's.
fn parse(text: &str) -> super::Result<Value> {
    super::parse(text).map(Json::into_value)
}

/// [`parse`] for bytes.
fn parse_bytes(bytes: &[u8]) -> super::Result<Value> {
    super::parse_bytes(bytes).map(Json::into_value)
}

/// The same answer as serde_json for `text`: both refuse it, or both read the same value
/// (compared as values and as written text, which tells `-0.0` from `0.0` and every float's
/// bits apart).
fn agrees(text: &str) -> bool {
    let theirs = serde_json::from_str::<Value>(text);
    agree(parse(text), theirs)
}

fn agree(mine: super::Result<Value>, theirs: serde_json::Result<Value>) -> bool {
    match (mine, theirs) {
        (Ok(a), Ok(b)) => {
            a == b && serde_json::to_string(&a).ok() == serde_json::to_string(&b).ok()
        }
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn check(texts: impl IntoIterator<Item = String>) -> (usize, usize) {
    let (mut read, mut refused) = (0, 0);
    for text in texts {
        assert!(agrees(&text), "{text:?}: {:?}", parse(&text));
        if parse(&text).is_ok() {
            read += 1;
        } else {
            refused += 1;
        }
    }
    (read, refused)
}

fn message(text: &str) -> String {
    parse(text).map_or_else(|e| e.to_string(), |v| format!("read {v}"))
}

#[test]
fn values_of_every_type() {
    let text = r#" {"a": [1, -2, 3.5, true, false, null, "x", {}], "b": {"c": []}} "#;
    assert_eq!(
        parse(text),
        Ok(json!({"a": [1, -2, 3.5, true, false, null, "x", {}], "b": {"c": []}}))
    );
    for text in ["0", "\"\"", "[]", "{}", "true", "null", " \t\r\n1\n"] {
        assert!(agrees(text) && parse(text).is_ok(), "{text}");
    }
}

#[test]
fn only_json_whitespace_and_nothing_after_the_value() {
    for text in [
        "",
        " ",
        "\u{feff}1",
        "1 2",
        "[1,]",
        "{\"a\":1,}",
        "[1]]",
        "\u{a0}1",
        "\u{c}1",
        "// x\n1",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "'a'",
        "tru",
        "nul",
        "truex",
        "NaN",
        "Infinity",
    ] {
        assert!(parse(text).is_err() && agrees(text), "{text:?}");
    }
    assert_eq!(message(""), "EOF while parsing a value at byte 0");
    assert_eq!(message("1 x"), "trailing characters at byte 2");
    assert_eq!(message("\u{feff}1"), "expected value at byte 0");
    assert_eq!(message("[1,]"), "expected value at byte 3");
    assert_eq!(message("[1 2]"), "expected `,` or `]` at byte 3");
    assert_eq!(message("{\"a\" 1}"), "expected `:` at byte 5");
    assert_eq!(message("{1:2}"), "key must be a string at byte 1");
    assert_eq!(message("{\"a\":1"), "EOF while parsing an object at byte 6");
    assert_eq!(message("[1"), "EOF while parsing a list at byte 2");
    assert_eq!(message("trux"), "expected ident at byte 3");
}

#[test]
fn strings_and_their_escapes() {
    assert_eq!(
        parse(r#""a\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00é""#),
        Ok(json!("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{20ac}\u{1f600}é"))
    );
    // Surrogates only as a pair; control characters only escaped.
    for text in [
        r#""\ud83d""#,
        r#""\ud83dx""#,
        r#""\ud83d\n""#,
        r#""\ud83d\u0041""#,
        r#""\ud83d\ud83d""#,
        r#""\ude00""#,
        r#""\ude00\ud83d""#,
        r#""\u12""#,
        r#""\u12g4""#,
        r#""\x""#,
        r#""\'""#,
        "\"a\u{1}\"",
        "\"a\nb\"",
        "\"a",
        "\"a\\",
    ] {
        assert!(parse(text).is_err() && agrees(text), "{text:?}");
    }
    assert!(agrees("\"\u{7f}\"") && agrees(r#""\u0000""#));
    assert_eq!(
        message(r#""\ud83d""#),
        "lone surrogate in \\u escape at byte 7"
    );
    assert_eq!(message(r#""\q""#), "invalid escape at byte 2");
    assert_eq!(
        message("\"a\u{1}\""),
        "control character while parsing a string at byte 2"
    );
    assert_eq!(message("\"ab"), "EOF while parsing a string at byte 3");
}

#[test]
fn a_key_given_twice_takes_the_last_value() {
    // Both members kept, in order; `get` finds the last.
    let read = super::parse(r#"{"a":1,"b":2,"a":[3]}"#);
    let Ok(Json::Object(members)) = &read else {
        panic!("not an object: {read:?}");
    };
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a", "b", "a"]);
    assert_eq!(
        read.as_ref().ok().and_then(|v| v.get("a")),
        Some(&Json::Array(vec![Json::Number(3.into())]))
    );
    assert_eq!(
        parse(r#"{"a":1,"b":2,"a":[3]}"#),
        Ok(json!({"a": [3], "b": 2}))
    );
    assert!(agrees(r#"{"a":1,"b":2,"a":[3]}"#));
}

#[test]
fn numbers_as_serde_json_reads_them() {
    let cases = [
        ("0", json!(0)),
        ("-0", json!(-0.0)),
        ("-0.0", json!(-0.0)),
        ("18446744073709551615", json!(u64::MAX)),
        ("-9223372036854775808", json!(i64::MIN)),
        ("-9223372036854775809", json!(-9_223_372_036_854_775_809.0)),
        ("18446744073709551616", json!(18_446_744_073_709_551_616.0)),
        ("1e2", json!(100.0)),
        ("1E+2", json!(100.0)),
        ("25e-1", json!(2.5)),
        ("1e-400", json!(0.0)),
        ("-1e-400", json!(-0.0)),
        ("0e999999999999", json!(0.0)),
        ("1e-999999999999", json!(0.0)),
        ("1.7976931348623157e308", json!(f64::MAX)),
    ];
    for (text, value) in cases {
        let read = parse(text);
        assert_eq!(read, Ok(value.clone()), "{text}");
        assert_eq!(read.map(|v| v.to_string()), Ok(value.to_string()), "{text}");
        assert!(agrees(text), "{text}");
    }
    for text in [
        "1e400",
        "-1e400",
        "1e999999999999",
        "2e308",
        "01",
        "-01",
        "1.",
        "1.e5",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "1ea",
        "-a",
        "0x10",
        "1_000",
    ] {
        assert!(parse(text).is_err() && agrees(text), "{text}");
    }
    assert_eq!(message("1e400"), "number out of range at byte 5");
    assert_eq!(message("01"), "invalid number at byte 1");
    assert_eq!(message("1."), "EOF while parsing a value at byte 2");
    assert!(agrees(&format!("0.{}1", "0".repeat(400))));
    assert!(agrees(&format!("1{}.5e-300", "0".repeat(400))));
    assert!(agrees(&format!("1{}", "0".repeat(400))));
}

#[test]
fn nesting_stops_at_serde_jsons_limit() {
    let nested = |n: usize, open: &str, close: &str| open.repeat(n) + &close.repeat(n);
    for n in [126, 127, 128, 129] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = nested(n, open, close).replace(":}", ":1}");
            assert!(agrees(&text), "{n} {open}");
            assert_eq!(parse(&text).is_ok(), n < 128, "{n} {open}");
        }
    }
    // Hostile depth is refused without exhausting the stack.
    let deep = "[".repeat(1_000_000);
    assert_eq!(message(&deep), "recursion limit exceeded at byte 127");
    assert!(parse(&"{\"a\":[".repeat(100_000)).is_err());
}

#[test]
fn bytes_must_be_utf8_as_from_slice_wants() {
    let cases: [&[u8]; 7] = [
        b"\"\xff\"",
        b"\"\xc3\xa9\"",
        b"\"\xed\xa0\x80\"",
        b"\xef\xbb\xbf1",
        b"[1,\xff]",
        b"1\xff",
        b"{\"\xe2\x82\":1}",
    ];
    for bytes in cases {
        let theirs = serde_json::from_slice::<Value>(bytes);
        assert!(agree(parse_bytes(bytes), theirs), "{bytes:?}");
    }
    assert_eq!(parse_bytes(b"\"\xc3\xa9\""), Ok(json!("é")));
    assert_eq!(
        parse_bytes(b"[\"a\xff\"]").map_err(|e| e.to_string()),
        Err("invalid UTF-8 at byte 3".to_owned())
    );
}

/// A random JSON-like text: mostly well-formed values, with a few wrong tokens.
fn text(rng: &mut Rng, depth: usize, out: &mut String) {
    const TOKENS: &[&str] = &[
        "0",
        "-0",
        "1",
        "-1",
        "12.5e-3",
        "1E400",
        "1e-400",
        "18446744073709551616",
        "-9223372036854775809",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "01",
        "1.",
        "tru",
        "\"\\x\"",
        "\u{feff}",
        ",",
        ":",
        "]",
        "}",
        "",
    ];
    match rng.below(if depth > 6 { 4 } else { 9 }) {
        0 => out.push_str(rng.one::<&str>(&TOKENS[..15])),
        1 => out.push_str(rng.one::<&str>(TOKENS)),
        2 => number(rng, out),
        3 => string(rng, out),
        4 | 5 => {
            out.push('[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                space(rng, out);
                text(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                let key = ["a", "b", "é", "a"];
                out.push_str(&format!("\"{}\"", *rng.one(&key)));
                space(rng, out);
                out.push(':');
                text(rng, depth + 1, out);
            }
            out.push('}');
        }
    }
    space(rng, out);
}

fn space(rng: &mut Rng, out: &mut String) {
    if rng.chance(200) {
        out.push_str(rng.one::<&str>(&[" ", "\n", "\t", "\r", "  "]));
    }
}

/// A number of any shape: long digit runs, fractions, exponents near and past the limits.
fn number(rng: &mut Rng, out: &mut String) {
    let digits = |rng: &mut Rng, out: &mut String, n: usize| {
        for _ in 0..n {
            out.push(char::from(b'0' + rng.below(10) as u8));
        }
    };
    if rng.chance(300) {
        out.push('-');
    }
    let n = *rng.one(&[1, 1, 2, 5, 15, 19, 20, 21, 25, 40, 330]);
    digits(rng, out, n);
    if rng.chance(500) {
        out.push('.');
        let n = *rng.one(&[0, 1, 3, 10, 19, 20, 30, 400]);
        digits(rng, out, n);
    }
    if rng.chance(400) {
        out.push_str(rng.one::<&str>(&["e", "E", "e+", "e-", "E-"]));
        let n = *rng.one(&[0, 1, 2, 3, 3, 4, 10, 11]);
        digits(rng, out, n);
    }
}

/// A string with escapes of every kind, surrogates paired and not, raw non-ASCII and
/// control characters.
fn string(rng: &mut Rng, out: &mut String) {
    const PARTS: &[&str] = &[
        "a",
        "é",
        "€",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00E9",
        "\\uffff",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
        "\\ud83d",
        "\\ude00",
        "\\ud83d\\u0041",
        "\\u12",
        "\\u12x4",
        "\\q",
        "\u{1}",
        "\u{1f}",
        "\u{7f}",
        "\t",
    ];
    out.push('"');
    for _ in 0..rng.below(6) {
        out.push_str(rng.one::<&str>(PARTS));
    }
    if rng.chance(950) {
        out.push('"');
    }
}

#[test]
fn generated_texts_read_as_serde_json_reads_them() {
    let mut rng = Rng::new(0x4a50);
    let mut texts = Vec::new();
    for _ in 0..20_000 {
        let mut t = String::new();
        space(&mut rng, &mut t);
        text(&mut rng, 0, &mut t);
        texts.push(t);
    }
    let (read, refused) = check(texts);
    // Both outcomes are well represented.
    assert!(
        read > 5_000 && refused > 5_000,
        "{read} read, {refused} refused"
    );
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    let mut rng = Rng::new(0x4e55);
    let texts = (0..50_000).map(|_| {
        let mut t = String::new();
        number(&mut rng, &mut t);
        t
    });
    let (read, refused) = check(texts);
    assert!(
        read > 20_000 && refused > 1_000,
        "{read} read, {refused} refused"
    );
}

#[test]
fn mutated_texts_read_as_serde_json_reads_them() {
    let seeds = [
        include_str!("../../../../tests/vectors/interop/sync-state-after.txt").trim(),
        r#"{"a":[1,-2.5e3,{"b":"\u00e9\ud83d\ude00\n"},null,true,false],"c":{}}"#,
    ];
    let mut rng = Rng::new(0x4d55);
    let mut texts = Vec::new();
    for seed in seeds {
        // Each byte removed and each prefix.
        texts.extend(mutate::cuts(seed));
        // Bytes put in, or put in place of others, at random.
        let inserts = b"{}[]\",:\\-+.eE0 9tfnu\x01\x7f";
        for _ in 0..5_000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..rng.range(1, 3) {
                let i = rng.below(bytes.len() + 1);
                let b = *rng.one(inserts);
                if rng.chance(500) && i < bytes.len() {
                    bytes[i] = b;
                } else {
                    bytes.insert(i, b);
                }
            }
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let (read, refused) = check(texts);
    assert!(
        read > 500 && refused > 5_000,
        "{read} read, {refused} refused"
    );
}

#[test]
fn random_bytes_read_as_from_slice_reads_them() {
    let mut rng = Rng::new(0x4259);
    let pieces: &[&[u8]] = &[
        b"\"",
        b"a",
        b"\xc3\xa9",
        b"\xc3",
        b"\xa9",
        b"\xff",
        b"\xed\xa0\x80",
        b"\xf0\x9f\x98\x80",
        b"\xf4\x90\x80\x80",
        b"\xc0\xaf",
        b"\\u00e9",
        b"[",
        b"]",
        b",",
        b"1",
    ];
    let mut ok = 0;
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        for _ in 0..rng.range(1, 8) {
            bytes.extend_from_slice(rng.one::<&[u8]>(pieces));
        }
        let theirs = serde_json::from_slice::<Value>(&bytes);
        let mine = parse_bytes(&bytes);
        ok += usize::from(mine.is_ok());
        assert!(agree(mine, theirs), "{bytes:?}");
    }
    assert!(ok > 100, "{ok} read");
}

#[test]
fn powers_of_ten_are_the_nearest_f64() {
    for e in 0..=308 {
        let nearest: f64 = format!("1e{e}").parse().unwrap_or_default();
        assert_eq!(super::pow10(e).to_bits(), nearest.to_bits(), "1e{e}");
    }
}

#[test]
fn numbers_with_large_exponents_are_read_as_serde_json_reads_them() {
    // 200,000 numbers with exponents near 308 (each computed 10^e from scratch once, about
    // 2,000 128-bit multiplications: 0.6 microseconds a byte in an optimised build; now once
    // per exponent and text)
    let mut text = String::from("[");
    for i in 0..200_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(["1e308", "1.5e-300", "2E+300", "-7e307"][i % 4]);
    }
    text.push(']');
    assert!(agree(parse(&text), serde_json::from_str(&text)));
}

/// What [`super::weight_within`] weighs a parsed value: itself and every value it holds, every
/// key (both members of a key given twice, as the [`Json`] keeps them), and the weight of each
/// container with members or items.
fn weight_of(v: &Json) -> usize {
    use super::{ARRAY_WEIGHT, KEY_WEIGHT, OBJECT_WEIGHT};
    1 + match v {
        Json::Array(items) if items.is_empty() => 0,
        Json::Array(items) => ARRAY_WEIGHT + items.iter().map(weight_of).sum::<usize>(),
        Json::Object(members) if members.is_empty() => 0,
        Json::Object(members) => {
            OBJECT_WEIGHT
                + members
                    .iter()
                    .map(|(_, v)| KEY_WEIGHT + weight_of(v))
                    .sum::<usize>()
        }
        _ => 0,
    }
}

#[test]
fn weights_are_counted_without_parsing() {
    let within = |text: &str, max| super::weight_within(text.as_bytes(), max);
    let (o, a, k) = (super::OBJECT_WEIGHT, super::ARRAY_WEIGHT, super::KEY_WEIGHT);
    for (text, weight) in [
        ("0", 1),
        (" [ ] ", 1),
        (" { } ", 1),
        (r#"{"a":[1,{}],"b":"x"}"#, 5 + o + a + 2 * k),
        (r#"[[],[[]],{"k":{"k":null}}]"#, 7 + 2 * o + 2 * a + 2 * k),
        (r#" [ "a,[{:", "\"]}", {"\\":","} ] "#, 5 + o + a + k),
        ("[\n\t{ }\r,[ 1 , 2 ]]", 5 + 2 * a),
    ] {
        assert_eq!(weight_of(&super::parse(text).unwrap()), weight, "{text}");
        assert!(within(text, weight), "{text}");
        assert!(!within(text, weight - 1), "{text}");
    }
    assert!(!within("7", 0));
    assert!(!within("", 0));
    // Generated texts: every one that reads holds as many values as the scan counts.
    let mut rng = Rng::new(0x4a51);
    let mut checked = 0;
    for _ in 0..5_000 {
        let mut t = String::new();
        text(&mut rng, 0, &mut t);
        let Ok(v) = super::parse(&t) else {
            continue;
        };
        let n = weight_of(&v);
        assert!(within(&t, n) && !within(&t, n - 1), "{t}: {n}");
        checked += 1;
    }
    assert!(checked > 1_000, "{checked} texts read");
}
