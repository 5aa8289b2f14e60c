//! Values across the boundary: JSON text both ways (one `JSON.parse` per result is much
//! cheaper than building objects property by property), snake_case (core) to camelCase (JS)
//! keys, errors as plain objects the JS wrapper turns into `DavError`, and the parsed view of
//! fetched iCalendar/vCard data attached next to the raw text.

use davkit::icalendar::Calendar;
use davkit::vcard::VCard;
use davkit::{Error, ErrorKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;

/// Keys whose object values are data maps (href -> ETag): their keys are kept verbatim.
const VERBATIM_MAPS: [&str; 1] = ["etags"];

/// `display_name` -> `displayName`.
pub(crate) fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn camelize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let v = if VERBATIM_MAPS.contains(&k.as_str()) {
                    v
                } else {
                    camelize(v)
                };
                out.insert(camel(&k), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(camelize).collect()),
        other => other,
    }
}

/// Adds `events` (iCalendar) or `contact` (vCard), or `parse_error`, to every object that looks
/// like a fetched `DavObject` (`url`, `etag` and a `data` string).
fn attach_parsed(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let parsed = match map.get("data") {
                Some(Value::String(data))
                    if map.contains_key("url") && map.contains_key("etag") =>
                {
                    Some(parse_any(data))
                }
                _ => None,
            };
            match parsed {
                Some(Some((key, parsed))) => {
                    map.insert(key.to_owned(), parsed);
                }
                Some(None) | None => {
                    for v in map.values_mut() {
                        attach_parsed(v);
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(attach_parsed),
        _ => {}
    }
}

/// The parsed view of an object's data, by its first line.
fn parse_any(data: &str) -> Option<(&'static str, Value)> {
    let head = data.trim_start_matches('\u{feff}').trim_start();
    let starts = |prefix: &str| {
        head.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    let result = if starts("BEGIN:VCALENDAR") {
        Calendar::parse(data)
            .map(|c| ("events", json(&c.summaries())))
            .map_err(|e| e.to_string())
    } else if starts("BEGIN:VCARD") {
        VCard::parse(data)
            .map(|c| ("contact", json(&c.to_summary())))
            .map_err(|e| e.to_string())
    } else {
        return None;
    };
    Some(result.unwrap_or_else(|message| ("parse_error", Value::String(message))))
}

pub(crate) fn json<T: Serialize>(value: &T) -> Value {
    // The core's output types are plain strings, numbers, vectors and maps: this cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A core output as a JS value: parsed data attached, keys camelCased, one `JSON.parse`.
pub(crate) fn output<T: Serialize>(value: &T) -> JsValue {
    let mut v = json(value);
    attach_parsed(&mut v);
    value_to_js(camelize(v))
}

/// A JSON value (already in JS naming) as a JS value.
pub(crate) fn value_to_js(v: Value) -> JsValue {
    let text = v.to_string();
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// A core output as JS, camelCased but without the parsed view (for parse functions).
pub(crate) fn plain_output<T: Serialize>(value: &T) -> JsValue {
    value_to_js(camelize(json(value)))
}

/// Reads a JS argument through JSON (`undefined` reads as `null`).
pub(crate) fn input<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, Error> {
    let text = if value.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "null".to_owned())
    };
    serde_json::from_str(&text)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("invalid {what}: {e}")))
}

/// A core error as the plain object the JS wrapper turns into a `DavError`.
pub(crate) fn error(e: &Error) -> JsValue {
    let v = serde_json::json!({
        "davkit": true,
        "kind": e.kind().as_str(),
        "message": e.message(),
        "status": e.status(),
        "url": e.url(),
        "bodyExcerpt": e.body_excerpt(),
        "retryAfter": e.retry_after(),
    });
    value_to_js(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys() {
        assert_eq!(camel("display_name"), "displayName");
        assert_eq!(camel("supports_sync_collection"), "supportsSyncCollection");
        assert_eq!(camel("url"), "url");
        let v = camelize(serde_json::json!({
            "sync_token": "t", "etags": {"/a_b.ics": "\"1\""}, "changes": [{"final_url": 1}]
        }));
        assert_eq!(
            v,
            serde_json::json!({"syncToken": "t", "etags": {"/a_b.ics": "\"1\""}, "changes": [{"finalUrl": 1}]})
        );
    }

    #[test]
    fn parsed_view_is_attached() {
        let mut v = serde_json::json!({"changes": [{"type": "added", "url": "u", "etag": null,
            "data": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Hi\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}]});
        attach_parsed(&mut v);
        assert_eq!(v["changes"][0]["events"][0]["summary"], "Hi");
        let mut card = serde_json::json!({"url": "u", "etag": "e", "data": "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n"});
        attach_parsed(&mut card);
        assert_eq!(card["contact"]["full_name"], "Ann");
        let mut bad =
            serde_json::json!({"url": "u", "etag": "e", "data": "BEGIN:VCARD\r\nFN:Ann\r\n"});
        attach_parsed(&mut bad);
        assert!(bad["parse_error"].is_string(), "{bad}");
    }
}
