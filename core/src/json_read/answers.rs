//! The hand readers of servers' answers against the derived `Deserialize` they replace: the
//! OAuth token endpoint's answers ([`parse_token_response`]) and the Calendar API's events
//! and calendar list pages (`gcal::ops::read`), from the recorded answers (every JSON body of
//! `tests/vectors/gcal*`, the OAuth scenario of `tests/editing/scenarios.json`) with each
//! field removed, replaced by a value of every JSON type (floats for integers, numbers as
//! strings), an object given a field more (an unknown one, an alias of a known one), and for
//! the token endpoint's text, each cut and each byte removed.

use std::path::Path;

/// `v` as the core's parser reads its text (the readers take a [`Json`](super::Json)).
fn j(v: &Value) -> super::Json {
    super::text::parse(&v.to_string()).expect("a serde_json value is JSON")
}

use serde::Deserialize;
use serde_json::{Value, json};

use super::mutate;
use crate::error::ErrorKind;
use crate::gcal::ops::read::{calendar_list, events_page};
use crate::gcal::{CalendarListEntry, EventsPage};
use crate::http::HttpResponse;
use crate::oauth::{GOOGLE_TOKEN_URL, OAuthErrorBody, TokenResponse, parse_token_response};

/// The error body's derive as it was before the hand reader.
#[derive(Deserialize)]
struct DerivedErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Every JSON text of a `body` field (at any depth) in a vector file.
fn bodies(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match child {
                    Value::String(text) if k == "body" => {
                        if serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()) {
                            out.push(text.clone());
                        }
                    }
                    _ => bodies(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| bodies(i, out)),
        _ => {}
    }
}

fn vector_bodies(dirs: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("the vectors are there")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("a vector reads");
            let v: Value = serde_json::from_str(&text).expect("a vector is JSON");
            bodies(&v, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The Calendar API's recorded answers, and calendar lists in the snake_case spelling the
/// derive also took.
fn gcal_seeds() -> Vec<String> {
    let mut seeds = vector_bodies(&["tests/vectors/gcal", "tests/vectors/gcal-scheduling"]);
    seeds.push(
        json!({"items": [{"id": "a", "time_zone": "UTC", "background_color": "#fff",
                          "access_role": "owner", "primary": true},
                         {"id": "b", "timeZone": "Europe/Paris", "summary": null}],
               "nextPageToken": "p2"})
        .to_string(),
    );
    seeds.push(json!({"items": []}).to_string());
    seeds.push(json!({}).to_string());
    seeds
}

/// The token endpoint's answers: the recorded scenario, Google's own shapes (an `id_token`,
/// `refresh_token_expires_in`), the least an answer can be.
fn oauth_seeds() -> Vec<String> {
    let mut seeds = vector_bodies(&["tests/editing"]);
    seeds.extend(
        [
            r#"{"access_token":"ya29.x","expires_in":3599,"refresh_token":"1//r","scope":"https://www.googleapis.com/auth/calendar","token_type":"Bearer"}"#,
            r#"{"access_token":"ya29.y","expires_in":3599,"scope":"openid https://www.googleapis.com/auth/calendar","token_type":"Bearer","id_token":"eyJ.x.y","refresh_token_expires_in":604799}"#,
            r#"{"access_token":"a"}"#,
            r#"{"error":"invalid_client","error_description":"Unauthorized"}"#,
            r#"{"error":"invalid_grant"}"#,
        ]
        .map(str::to_owned),
    );
    assert!(seeds.len() >= 7, "the recorded OAuth answers are found");
    seeds
}

/// Values of every JSON type to put in place of a field ([`mutate::of_every_type`]), and
/// the numbers and shapes Google's answers have.
fn replacements() -> Vec<Value> {
    let mut out = mutate::of_every_type();
    out.extend([
        json!(3599),
        json!(3599.0),
        json!(-0.0),
        json!(i64::MIN),
        json!("3599"),
        json!(["x"]),
        json!(["a", 1, null]),
        json!([{"id": "c"}]),
        json!({"id": "c"}),
        json!({"access_token": "t"}),
    ]);
    out
}

/// Fields added to each object: unknown ones, and the names and aliases the readers know.
const EXTRA: [&str; 12] = [
    "unknown_field",
    "items",
    "nextPageToken",
    "nextSyncToken",
    "time_zone",
    "timeZone",
    "accessRole",
    "background_color",
    "primary",
    "expires_in",
    "error_description",
    "access_token",
];

/// Every variant of `text` as a value: each value replaced, each field removed, a field
/// added to each object (pages' events are kept as they are below three levels: deeper
/// changes cannot alter how a page reads).
fn variants(text: &str) -> Vec<Value> {
    let root: Value = serde_json::from_str(text).expect("a seed is JSON");
    let mut at = Vec::new();
    mutate::pointers(&root, String::new(), 3, &mut at);
    let mut out = Vec::new();
    for p in &at {
        for r in replacements() {
            out.push(mutate::replaced(&root, p, r));
        }
        for key in EXTRA {
            for value in [json!("x"), json!(null), json!([1.5, {"a": null}])] {
                out.extend(mutate::with_field(&root, p, key, value));
            }
        }
        out.extend(mutate::without(&root, p));
    }
    out
}

/// The text variants of a token answer: the value variants, and each cut and each byte
/// removed.
fn text_variants(text: &str) -> Vec<String> {
    let mut out: Vec<String> = variants(text).iter().map(Value::to_string).collect();
    out.extend(mutate::cuts(text));
    out
}

/// How calendarList.list read a page before: its `items` through the derive, its
/// `nextPageToken` when a string.
fn derived_calendar_list(v: &Value) -> Option<(Vec<CalendarListEntry>, Option<String>)> {
    let items = v.get("items").cloned().unwrap_or(Value::Array(Vec::new()));
    let entries: Vec<CalendarListEntry> = serde_json::from_value(items).ok()?;
    let next = v
        .get("nextPageToken")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((entries, next))
}

/// A struct given as an array (the derive's sequence spelling, which no server sends): at
/// the top, or as one of `items`.
fn array_spelling(v: &Value, in_items: bool) -> bool {
    v.is_array()
        || (in_items
            && v.get("items")
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(Value::is_array)))
}

#[test]
fn calendar_api_pages_read_as_the_derive_read_them() {
    let (mut read, mut refused, mut other_spellings) = (0, 0, 0);
    for seed in gcal_seeds() {
        for v in variants(&seed) {
            // An events page.
            let derived = serde_json::from_value::<EventsPage>(v.clone()).ok();
            match events_page(j(&v)) {
                Ok(page) => {
                    assert_eq!(Some(&page), derived.as_ref(), "{v}");
                    read += 1;
                }
                Err(e) if derived.is_some() => {
                    assert!(array_spelling(&v, false), "{v}: {e}");
                    other_spellings += 1;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Protocol);
                    assert!(e.message().starts_with("Calendar API: bad events page: "));
                    refused += 1;
                }
            }
            // A calendar list page.
            let derived = derived_calendar_list(&v);
            match calendar_list(&j(&v)) {
                Ok(list) => {
                    assert_eq!(Some(&list), derived.as_ref(), "{v}");
                    read += 1;
                }
                Err(e) if derived.is_some() => {
                    assert!(array_spelling(&v, true), "{v}: {e}");
                    other_spellings += 1;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Protocol);
                    assert!(e.message().starts_with("Calendar API: bad calendar list: "));
                    refused += 1;
                }
            }
        }
    }
    assert!(
        read > 30_000 && refused > 3_000 && other_spellings > 0,
        "{read} read, {refused} refused, {other_spellings} in other spellings"
    );
}

#[test]
fn token_answers_read_as_the_derive_read_them() {
    let (mut read, mut refused, mut other_spellings) = (0, 0, 0);
    for seed in oauth_seeds() {
        for text in text_variants(&seed) {
            let derived = serde_json::from_str::<TokenResponse>(&text);
            let answer = HttpResponse::new(200, text.as_str());
            match parse_token_response(GOOGLE_TOKEN_URL, &answer) {
                Ok(token) => match &derived {
                    Ok(d) => {
                        assert_eq!(&token, d, "{text}");
                        read += 1;
                    }
                    // A field given twice, which the value keeps the last of.
                    Err(e) => {
                        assert!(e.to_string().contains("duplicate field"), "{text}: {e}");
                        other_spellings += 1;
                    }
                },
                Err(e) if derived.is_ok() => {
                    assert!(text.starts_with('['), "{text}: {e}");
                    other_spellings += 1;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Protocol);
                    assert!(
                        e.message()
                            .starts_with("the token endpoint sent an unreadable answer: ")
                    );
                    refused += 1;
                }
            }
            // The same text as an error answer.
            let derived = serde_json::from_str::<DerivedErrorBody>(&text)
                .ok()
                .map(|b| (b.error, b.error_description));
            let hand = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| crate::oauth::read_refusal(&j(&v)).ok())
                .map(|b: OAuthErrorBody| (b.error, b.error_description));
            if hand != derived {
                assert!(hand.is_none() && text.starts_with('['), "{text}");
            }
        }
    }
    assert!(
        read > 500 && refused > 1_000 && other_spellings > 0,
        "{read} read, {refused} refused, {other_spellings} in other spellings"
    );
}

#[test]
fn refusals_name_the_field() {
    let message = |status: u16, text: &str| {
        parse_token_response(GOOGLE_TOKEN_URL, &HttpResponse::new(status, text))
            .err()
            .map(|e| (e.kind(), e.message().to_owned()))
    };
    assert_eq!(
        message(200, r#"{"access_token":"a","expires_in":3599.5}"#),
        Some((
            ErrorKind::Protocol,
            "the token endpoint sent an unreadable answer: `expires_in`: invalid type: \
             floating point, expected u64"
                .to_owned()
        ))
    );
    assert_eq!(
        message(200, r#"{"expires_in":"3599"}"#),
        Some((
            ErrorKind::Protocol,
            "the token endpoint sent an unreadable answer: missing field `access_token`".to_owned()
        ))
    );
    // An error answer whose body is not RFC 6749's is the HTTP status's error.
    let not_rfc6749 = HttpResponse::new(400, r#"{"error":5}"#);
    assert_eq!(
        message(400, r#"{"error":5}"#),
        Some((
            ErrorKind::Http,
            crate::error::Error::from_response(GOOGLE_TOKEN_URL, &not_rfc6749)
                .message()
                .to_owned()
        ))
    );
    assert_eq!(
        message(400, r#"{"error":"invalid_scope","error_description":null}"#),
        Some((
            ErrorKind::InvalidInput,
            "the token endpoint refused (invalid_scope)".to_owned()
        ))
    );
    let page = |v: Value| events_page(j(&v)).err().map(|e| e.message().to_owned());
    assert_eq!(
        page(json!({"items": null})).as_deref(),
        Some("Calendar API: bad events page: `items`: invalid type: null, expected a sequence")
    );
    assert_eq!(
        page(json!({"nextSyncToken": 7})).as_deref(),
        Some(
            "Calendar API: bad events page: `nextSyncToken`: invalid type: integer `7`, \
             expected a string"
        )
    );
    let list = |v: Value| calendar_list(&j(&v)).err().map(|e| e.message().to_owned());
    assert_eq!(
        list(json!({"items": [{"id": "a"}, {"summary": "b"}]})).as_deref(),
        Some("Calendar API: bad calendar list: `items[1]`: missing field `id`")
    );
    assert_eq!(
        list(json!({"items": [{"id": "a", "timeZone": "UTC", "time_zone": null}]})).as_deref(),
        Some("Calendar API: bad calendar list: `items[0]`: duplicate field `time_zone`")
    );
    assert_eq!(
        list(json!({"items": [{"id": "a", "primary": 1.0}]})).as_deref(),
        Some(
            "Calendar API: bad calendar list: `items[0].primary`: invalid type: floating \
             point, expected a boolean"
        )
    );
}

#[test]
fn what_the_value_parser_and_ignored_fields_differ_on() {
    // Checked here so a change of serde_json's is seen: a number out of f64's range in a field
    // the derive skipped (IgnoredAny scans it unread), and a field given twice.
    let huge = r#"{"access_token":"a","x":1e400}"#;
    let twice = r#"{"access_token":"a","access_token":"b"}"#;
    let derived = |t: &str| serde_json::from_str::<TokenResponse>(t).map(|t| t.access_token);
    let hand = |t: &str| {
        parse_token_response(GOOGLE_TOKEN_URL, &HttpResponse::new(200, t))
            .map(|t| t.access_token)
            .map_err(|e| e.kind())
    };
    assert_eq!(derived(huge).ok().as_deref(), Some("a"));
    assert_eq!(hand(huge), Err(ErrorKind::Protocol));
    assert!(derived(twice).is_err());
    assert_eq!(hand(twice).ok().as_deref(), Some("b"));
}
