//! The writer against serde_json: names kept, its text must be `serde_json::to_string`'s byte
//! for byte (the stored states written by older versions, which serde_json wrote, and by this
//! one read alike); camelCase, the same text but for the struct field names. Over odd values,
//! every character's escape, the sync state and the write queue (the queue vectors' scripts
//! up to their first flush, and a stored queue in every entry state).

#![allow(clippy::unwrap_used, clippy::panic)] // a test reports failures by panicking

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use davkit_testkit::ordered_json::Json;
use serde_json::Value;

use super::*;
use crate::SyncState;
use crate::queue::{Policy, WriteQueue};

thread_local! {
    /// The map keys the writer wrote (`saw_map_key`), for [`same_but_names`].
    static MAP_KEYS: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Called by the writer with the text of each map key it writes.
pub(super) fn saw_map_key(text: &str) {
    let key: String = serde_json::from_str(text).unwrap();
    MAP_KEYS.with(|k| k.borrow_mut().insert(key));
}

/// Walks the trees of serde_json's text (`kept`) and the camelCase text: the same but for the
/// keys, each the camelCase of serde_json's, except the map keys (data), kept as they are.
fn walk(at: &str, kept: &Json, camel_: &Json, map_keys: &BTreeSet<String>) {
    match (kept, camel_) {
        (Json::Array(a), Json::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: array lengths");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&format!("{at}[{i}]"), x, y, map_keys);
            }
        }
        (Json::Object(a), Json::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: field counts");
            for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                if ka != kb {
                    assert!(
                        !map_keys.contains(ka) && *kb == simple_camel(ka),
                        "{at}: `{kb}` for `{ka}`"
                    );
                } else if simple_camel(ka) != *ka {
                    assert!(map_keys.contains(ka), "{at}: `{ka}` not camelCased");
                }
                walk(&format!("{at}.{kb}"), va, vb, map_keys);
            }
        }
        _ => assert_eq!(kept, camel_, "{at}"),
    }
}

/// `value` names kept is serde_json's text; camelCase is the same but for the struct field
/// names. Returns the camelCase text.
fn same_but_names<T: Serialize + ?Sized>(what: &str, value: &T) -> String {
    let expected = serde_json::to_string(value).unwrap();
    assert_eq!(to_text(value, Keys::Kept).unwrap(), expected, "{what}");
    MAP_KEYS.with(|k| k.borrow_mut().clear());
    let camel_text = to_text(value, Keys::Camel).unwrap();
    let map_keys = MAP_KEYS.with(|k| k.borrow().clone());
    let kept = Json::parse(&expected);
    let camel_tree = Json::parse(&camel_text);
    walk(what, &kept, &camel_tree, &map_keys);
    camel_text
}

#[test]
fn rule_on_structs_maps_and_enums() {
    #[derive(Serialize)]
    #[serde(tag = "type_name", rename_all = "snake_case")]
    enum Internal {
        One { field_a: u8 },
    }
    #[derive(Serialize)]
    #[serde(tag = "op_type", content = "op_data")]
    enum Adjacent {
        Two { field_b: u8 },
    }
    #[derive(Serialize)]
    enum External {
        Struct { field_c: u8 },
        Tuple(u8, u8),
        Newtype(Option<u8>),
        Unit,
    }
    #[derive(Serialize)]
    struct UnitStruct;
    #[derive(Serialize)]
    struct Empty {}
    #[derive(Serialize)]
    struct Out {
        sync_token: &'static str,
        etags: BTreeMap<&'static str, &'static str>,
        props: BTreeMap<&'static str, Internal>,
        a: Internal,
        b: Adjacent,
        c: Vec<External>,
        n_1: Option<f64>,
        unit: UnitStruct,
        empty: Empty,
        empty_list: Vec<u8>,
        empty_map: BTreeMap<String, u8>,
        some_key: BTreeMap<Option<&'static str>, u8>,
    }
    let out = Out {
        sync_token: "a_b:c",
        etags: [("/a_b.ics", "\"1_2\"")].into(),
        props: [("x_y", Internal::One { field_a: 1 })].into(),
        a: Internal::One { field_a: 2 },
        b: Adjacent::Two { field_b: 3 },
        c: vec![
            External::Struct { field_c: 4 },
            External::Tuple(5, 6),
            External::Newtype(None),
            External::Unit,
        ],
        n_1: Some(f64::NAN),
        unit: UnitStruct,
        empty: Empty {},
        empty_list: Vec::new(),
        empty_map: BTreeMap::new(),
        some_key: [(Some("k_1"), 1)].into(),
    };
    assert_eq!(
        same_but_names("rule", &out),
        concat!(
            r#"{"syncToken":"a_b:c","etags":{"/a_b.ics":"\"1_2\""},"#,
            r#""props":{"x_y":{"typeName":"one","fieldA":1}},"a":{"typeName":"one","fieldA":2},"#,
            r#""b":{"opType":"Two","opData":{"fieldB":3}},"#,
            r#""c":[{"Struct":{"fieldC":4}},{"Tuple":[5,6]},"#,
            r#"{"Newtype":null},"Unit"],"n1":null,"unit":null,"empty":{},"#,
            r#""emptyList":[],"emptyMap":{},"someKey":{"k_1":1}}"#
        )
    );
    assert_eq!(camel("supports_sync_collection"), "supportsSyncCollection");
    // `merged`: two objects' fields in one, written as they are inside another value.
    #[derive(Serialize)]
    struct A {
        field_a: u8,
    }
    #[derive(Serialize)]
    struct B<'a> {
        field_b: &'a str,
    }
    #[derive(Serialize)]
    struct Both {
        list: Vec<Fragment>,
    }
    let both = Both {
        list: vec![
            merged(&A { field_a: 1 }, &B { field_b: "x\"" }, Keys::Camel),
            merged(&Empty {}, &B { field_b: "" }, Keys::Kept),
            merged(&1, &B { field_b: "" }, Keys::Kept),
        ],
    };
    assert_eq!(
        to_text(&both, Keys::Kept).unwrap(),
        r#"{"list":[{"fieldA":1,"fieldB":"x\""},{"field_b":""},null]}"#
    );
    // Through another serializer a fragment is a string.
    assert_eq!(
        serde_json::to_string(&merged(&Empty {}, &Empty {}, Keys::Kept)).unwrap(),
        r#""{}""#
    );
}

#[test]
fn text_is_serde_json_s() {
    #[derive(Serialize)]
    struct Odd {
        text: &'static str,
        chars: Vec<char>,
        numbers: (i8, i64, u64, f32, f64, Option<f64>),
        wide: (i128, u128),
        floats: Vec<f64>,
        floats32: Vec<f32>,
        by_number: BTreeMap<i32, bool>,
        by_wide: BTreeMap<i128, u8>,
        by_flag: BTreeMap<bool, ()>,
        by_char: BTreeMap<char, u8>,
        bytes: serde_bytes_like::Bytes,
        #[serde(rename = "renamed_\"field")]
        renamed: u8,
    }
    mod serde_bytes_like {
        /// Serialises with `serialize_bytes`.
        pub struct Bytes(pub &'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
    }
    let odd = Odd {
        text: "a\"b\\c\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}é\u{2028}😀/",
        chars: vec!['"', '\n', 'x'],
        numbers: (-8, i64::MIN, u64::MAX, 0.1, 1e21, Some(f64::INFINITY)),
        wide: (i128::MIN, u128::MAX),
        floats: vec![
            0.0,
            -0.0,
            1.0,
            1.5,
            -2.5e-8,
            1e15,
            1e16,
            1e300,
            f64::MIN_POSITIVE,
            5e-324,
        ],
        floats32: vec![0.0, 1.0, 3.4e38, f32::NAN, 1e-45, 16_777_216.0],
        by_number: [(-1, true), (2, false)].into(),
        by_wide: [(-1, 1)].into(),
        by_flag: [(true, ())].into(),
        by_char: [('\n', 1)].into(),
        bytes: serde_bytes_like::Bytes(b"\x00\xff"),
        renamed: 1,
    };
    let camel_text = same_but_names("odd", &odd);
    assert!(camel_text.contains(r#""renamed\"field":1"#), "{camel_text}");
    // Keys that are not strings, numbers or booleans are refused, as serde_json refuses them.
    let bad: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    assert!(to_text(&bad, Keys::Kept).is_err() && serde_json::to_string(&bad).is_err());
    let none: BTreeMap<Option<u8>, u8> = [(None, 3)].into();
    assert!(to_text(&none, Keys::Kept).is_err() && serde_json::to_string(&none).is_err());
    for x in [1.5, f64::NAN] {
        struct FloatKey(f64);
        impl Serialize for FloatKey {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(&self.0, &1)?;
                m.end()
            }
        }
        assert_eq!(
            to_text(&FloatKey(x), Keys::Kept).ok(),
            serde_json::to_string(&FloatKey(x)).ok(),
            "{x}"
        );
    }
}

/// The writer's escapes done the simple way, a character at a time (as it wrote them before it
/// wrote runs of characters at once): the reference for [`escapes_match_the_simple_writer`].
fn simple_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\u{1f}' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The camelCase rule done the simple way, a character at a time (as the writer did before).
fn simple_field_name(name: &str) -> String {
    let mut out = String::from('"');
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            '"' | '\\' | '\0'..='\u{1f}' => {
                let quoted = simple_string(c.encode_utf8(&mut [0; 4]));
                out.push_str(&quoted[1..quoted.len() - 1]);
                upper = false;
            }
            _ if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            _ => out.push(c),
        }
    }
    out.push_str("\":");
    out
}

/// The camelCase rule on a name as read back (no escapes).
fn simple_camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            _ if std::mem::take(&mut upper) => out.push(c.to_ascii_uppercase()),
            _ => out.push(c),
        }
    }
    out
}

fn written(s: &str) -> String {
    let mut w = Writer::new(Keys::Kept);
    w.string(s);
    w.out
}

fn written_name(name: &str, keys: Keys) -> String {
    let mut w = Writer::new(keys);
    w.field_name(name);
    w.out
}

#[test]
fn escapes_match_the_simple_writer() {
    // Every character up to U+FFFF (no surrogates: they are not chars), alone, between runs
    // and next to other escapes; some astral ones; all of them in one string.
    let astral = [
        '\u{10000}',
        '\u{1f600}',
        '\u{1f9d1}',
        '\u{e0041}',
        '\u{10ffff}',
    ];
    let chars: Vec<char> = (0..=0xffff_u32)
        .filter_map(char::from_u32)
        .chain(astral)
        .collect();
    assert_eq!(chars.len(), 0x10000 - 0x800 + astral.len());
    for &c in &chars {
        for s in [
            c.to_string(),
            format!("abc{c}d\u{e9}f"),
            format!("\r\n{c}{c}\"x"),
            format!("{c}\u{1}"),
        ] {
            let expected = simple_string(&s);
            assert_eq!(written(&s), expected, "{s:?}");
            assert_eq!(serde_json::to_string(&s).unwrap(), expected, "{s:?}");
        }
    }
    let all: String = chars.iter().collect();
    assert_eq!(written(&all), simple_string(&all));
    assert_eq!(serde_json::to_string(&all).unwrap(), simple_string(&all));
    // Mixed text: iCalendar with CRLF line ends, quotes, backslashes, tabs, non-ASCII.
    for s in [
        "",
        "\r\n",
        "BEGIN:VCALENDAR\r\nSUMMARY:Caf\u{e9} \"\u{1f600}\" a\\,b\tc\r\n END:VCALENDAR\r\n",
        "\u{0}\u{1f}\u{7f}\u{80}\u{2028}\u{2029}\u{feff}\u{fffd}",
        "\\\\\"\"\u{8}\u{c}",
        "\u{e9}\n",
        "\n\u{e9}",
    ] {
        assert_eq!(written(s), simple_string(s), "{s:?}");
        assert_eq!(serde_json::to_string(s).unwrap(), simple_string(s), "{s:?}");
    }
    assert_eq!(written("a\r\nb\"\u{1}"), r#""a\r\nb\"\u0001""#);
    // Field names: each `_` dropped, the character after it in ASCII upper case, escapes kept;
    // names kept: the string and its colon.
    for name in [
        "",
        "_",
        "__",
        "a",
        "display_name",
        "supports_sync_collection",
        "_a",
        "a_",
        "a__b",
        "a_B",
        "a_1b",
        "a_\u{e9}t\u{e9}",
        "a_\"b",
        "a_\\b",
        "a_\u{1}b",
        "\u{1}_b",
        "x_\u{1f600}_y",
        "renamed_\"field",
    ] {
        assert_eq!(
            written_name(name, Keys::Camel),
            simple_field_name(name),
            "{name:?}"
        );
        assert_eq!(
            written_name(name, Keys::Kept),
            format!("{}:", simple_string(name)),
            "{name:?}"
        );
    }
    assert_eq!(written_name("a__b_c", Keys::Camel), r#""aBC":"#);
    assert_eq!(written_name("a_\u{1}b", Keys::Camel), r#""a\u0001b":"#);
    for &c in &chars {
        for name in [format!("{c}_{c}"), format!("x_{c}y_{c}_")] {
            assert_eq!(
                written_name(&name, Keys::Camel),
                simple_field_name(&name),
                "{name:?}"
            );
        }
    }
}

/// Strings are scanned eight bytes at a time ([`needs_escape`]): a character that needs an
/// escape (and its neighbours in value, which must not) at every place of strings of every
/// length up to 40, alone, next to another and beside multi-byte characters, and mixed
/// strings of a pseudo-random choice of characters.
#[test]
fn escapes_are_found_at_every_place_of_a_word() {
    let special = ['\u{0}', '\u{1}', '\u{1f}', '"', '\\', '\n', '\r', '\t'];
    let near = [
        ' ',
        '!',
        '#',
        '[',
        ']',
        '\u{7f}',
        '\u{80}',
        '\u{e9}',
        '\u{2028}',
        '\u{1f600}',
    ];
    for len in 0..=40 {
        let base: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        for at in 0..=len {
            for c in special.iter().chain(&near) {
                let mut s = base.clone();
                s.insert(at, *c);
                assert_eq!(written(&s), simple_string(&s), "{s:?}");
                let mut two = s.clone();
                two.insert(at, '"');
                assert_eq!(written(&two), simple_string(&two), "{two:?}");
                let wide = format!("\u{e9}{s}\u{1f600}");
                assert_eq!(written(&wide), simple_string(&wide), "{wide:?}");
            }
        }
    }
    let pool: Vec<char> = special
        .iter()
        .chain(&near)
        .copied()
        .chain('a'..='z')
        .collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for len in 0..400 {
        let s: String = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                pool[(seed >> 33) as usize % pool.len()]
            })
            .collect();
        assert_eq!(written(&s), simple_string(&s), "{s:?}");
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            simple_string(&s),
            "{s:?}"
        );
    }
}

/// A sync state's and a write queue's `to_json` is serde_json's text; the states in every
/// shape: the queue vectors' scripts run up to their first flush, a stored queue with an entry
/// in each state.
#[test]
fn stored_states_are_serde_json_s() {
    let check = |what: &str, queue: &WriteQueue| {
        assert_eq!(
            queue.to_json(),
            serde_json::to_string(queue).unwrap(),
            "{what}"
        );
        same_but_names(what, queue);
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/queue-vectors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let (mut scripts, mut steps) = (0, 0);
    for path in &paths {
        let what = path.display().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let policy = |v: &Value| serde_json::from_value::<Option<Policy>>(v.clone()).unwrap();
        let mut queue =
            policy(&case["policy"]).map_or_else(WriteQueue::new, WriteQueue::with_policy);
        let mut stored = String::new();
        for step in case["steps"].as_array().into_iter().flatten() {
            let s = |k: &str| step[k].as_str().unwrap_or("").to_owned();
            let base_data = step["base_data"].as_str();
            match step["op"].as_str().unwrap_or("") {
                "enqueue_create" => {
                    let _ = queue.enqueue_create(&s("collection_url"), &s("name"), &s("data"));
                }
                "enqueue_update" => {
                    let _ = queue.enqueue_update(&s("url"), &s("data"), &s("base_etag"), base_data);
                }
                "enqueue_delete" => {
                    let _ = queue.enqueue_delete(&s("url"), &s("base_etag"), base_data);
                }
                "set_policy" => {
                    if let Some(p) = policy(&step["policy"]) {
                        queue.policy = p;
                    }
                }
                "set_entry_policy" => {
                    let id = step["id"].as_u64().unwrap_or(0);
                    let _ = queue.set_entry_policy(id, policy(&step["policy"]));
                }
                "begin_flush" => {
                    stored = queue.begin_flush();
                    assert_eq!(stored, serde_json::to_string(&queue).unwrap(), "{what}");
                }
                "crash" => queue = WriteQueue::from_json(&stored).unwrap(),
                _ => break,
            }
            check(&what, &queue);
            steps += 1;
        }
        scripts += 1;
    }
    assert!(
        scripts > 20 && steps > 40,
        "{scripts} scripts, {steps} steps"
    );

    // A stored queue with an entry in each state (as a flush leaves them).
    let stored = r#"{"format":1,"policy":"merge","next_id":4,"entries":[
        {"id":1,"rev":2,"collection_url":"https://h/c_1/","url":"https://h/c_1/a_b.ics",
         "op":{"type":"update","data":"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"},
         "base_etag":"\"e\"","base_data":"x","policy":"local-wins","runs":2,"sent":["y"],
         "state":{"state":"conflict","server":{"url":"https://h/c_1/a_b.ics","etag":"\"f\"",
         "data":"z"},"reason":"changed"}},
        {"id":2,"rev":1,"collection_url":"https://h/c_1/","url":"https://h/c_1/d.vcf",
         "op":{"type":"delete"},"base_etag":null,"runs":0,
         "state":{"state":"conflict","server":null,"reason":"gone"}},
        {"id":3,"rev":1,"collection_url":"https://h/c_1/","url":"https://h/c_1/e.ics",
         "op":{"type":"create","data":"d"},"base_etag":null,"runs":1,
         "state":{"state":"failed","error":{"kind":"Forbidden","message":"no \"x\"",
         "status":403,"url":"https://h/c_1/","body_excerpt":null,"retry_after":null}}}]}"#;
    let queue = WriteQueue::from_json(stored).unwrap();
    let text = queue.to_json();
    assert!(
        text.contains(r#""state":"failed""#) && text.contains(r#""state":"conflict""#),
        "{text}"
    );
    check("stored", &queue);

    // A sync state whose hrefs have `_` and characters to escape.
    let mut state = SyncState::new("https://h/cal_1/");
    state.sync_token = Some("tok\"1\\".into());
    state
        .etags
        .insert("https://h/cal_1/a_b.ics".into(), "\"1\"".into());
    state.mark_pending("https://h/cal_1/x_y:z\u{1}.ics");
    assert_eq!(state.to_json(), serde_json::to_string(&state).unwrap());
    assert_eq!(SyncState::from_json(&state.to_json()).unwrap(), state);
    same_but_names("state", &state);
    same_but_names("empty state", &SyncState::default());
}
