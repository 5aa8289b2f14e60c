//! Values across the boundary: results as JSON text (one `JSON.parse` per result is much
//! cheaper than building objects property by property; arguments are read in `read.rs`),
//! snake_case (core) to camelCase (JS)
//! keys, errors as plain objects the JS wrapper turns into `DavError`, and the parsed view of
//! fetched iCalendar/vCard data attached next to the raw text.

#[cfg(feature = "client")]
use davkit::DavObject;
#[cfg(feature = "formats")]
use davkit::contentline::Format;
#[cfg(feature = "formats")]
use davkit::icalendar::{Calendar, Summaries};
#[cfg(feature = "formats")]
use davkit::vcard::{ContactSummary, VCard};
use davkit::{Error, Limits};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Keys whose object values are data maps (href -> ETag): their keys are kept verbatim.
const VERBATIM_MAPS: [&str; 1] = ["etags"];

/// Rewrites the object keys of compact JSON text (as `serde_json::to_string` writes it) from
/// snake_case to camelCase, leaving string values and the keys of [`VERBATIM_MAPS`] alone.
pub(crate) fn camelize_json(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    // One entry per open object/array: whether its keys are kept verbatim.
    let mut verbatim: Vec<bool> = Vec::new();
    let mut next_verbatim = false;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                verbatim.push(next_verbatim);
                next_verbatim = false;
                i += 1;
            }
            b'}' | b']' => {
                verbatim.pop();
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let is_key = bytes.get(end + 1) == Some(&b':');
                if is_key {
                    let key = &json[start..end.min(json.len())];
                    next_verbatim = VERBATIM_MAPS.contains(&key);
                    if !verbatim.last().copied().unwrap_or(false) && key.contains('_') {
                        out.push_str(&json[copied..start]);
                        out.push_str(&camel(key));
                        copied = end;
                    }
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&json[copied.min(json.len())..]);
    out
}

/// `display_name` -> `displayName`. Keys are Rust field names, ASCII: ASCII case only (the
/// Unicode `to_uppercase` tables were about 9 KB of the module).
pub(crate) fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `resourceId` -> `resource_id` (the inverse of [`camel`]).
#[cfg(any(feature = "gcal", test))]
pub(crate) fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A fetched object with its parsed view, as JS receives it.
#[derive(Serialize)]
pub(crate) struct ObjectOut<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Option<&'a str>>,
    /// The Calendar API's event JSON (as text, so its keys stay Google's).
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<&'a str>,
    #[cfg(feature = "formats")]
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Summaries>,
    #[cfg(feature = "formats")]
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<ContactSummary>,
    #[cfg(feature = "formats")]
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_error: Option<String>,
}

/// Whether fetched objects get their parsed view, and the client's limits to parse them with
/// (read only with the `formats` feature).
#[cfg(feature = "client")]
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "formats"), allow(dead_code))]
pub(crate) struct Parse {
    /// Attach `events` / `contact`.
    pub(crate) on: bool,
    /// The client's configured limits (content lines per object).
    pub(crate) limits: Limits,
}

impl<'a> ObjectOut<'a> {
    #[cfg(feature = "client")]
    fn new(o: &'a DavObject, parse: Parse) -> Self {
        #[cfg_attr(not(feature = "formats"), allow(unused_mut))]
        let mut out = ObjectOut {
            url: &o.url,
            etag: Some(o.etag.as_deref()),
            data: Some(o.data.as_deref()),
            json: o.json.as_deref(),
            #[cfg(feature = "formats")]
            events: None,
            #[cfg(feature = "formats")]
            contact: None,
            #[cfg(feature = "formats")]
            parse_error: None,
        };
        #[cfg(feature = "formats")]
        if let (true, Some(data)) = (parse.on, o.data.as_deref()) {
            out.attach(data, &parse.limits);
        }
        #[cfg(not(feature = "formats"))]
        let _ = parse;
        out
    }

    /// Parses the data in the format its first line names (the core's `Format::sniff`:
    /// iCalendar or vCard); other data is left alone.
    #[cfg(feature = "formats")]
    pub(crate) fn attach(&mut self, data: &str, limits: &Limits) {
        match Format::sniff(data) {
            // Streamed and packed: about 1.85x the text at the peak instead of 6.55x for the
            // tree plus `Vec<EventSummary>`; the same JSON.
            Some(Format::ICalendar) => match Calendar::parse_summaries_with_limits(data, limits) {
                Ok(s) => self.events = Some(s),
                Err(e) => self.parse_error = Some(e.to_string()),
            },
            Some(Format::VCard) => match VCard::parse_with_limits(data, limits) {
                Ok(c) => self.contact = Some(c.to_summary()),
                Err(e) => self.parse_error = Some(e.to_string()),
            },
            None => {}
        }
    }
}

/// The key of the parsed view [`ObjectOut::attach`] gives data of this format: `events` for
/// iCalendar, `contact` for vCard (for the JS layer's lazy views, through `viewKind`).
#[cfg(feature = "formats")]
pub(crate) fn view_key(format: Format) -> &'static str {
    match format {
        Format::ICalendar => "events",
        Format::VCard => "contact",
    }
}

/// The parsed view of one object's data alone (`{ events }`, `{ contact }` or `{ parseError }`,
/// or `{}` for other data), as a fetch with `parse` on attaches it: for the JS layer's lazy views.
#[cfg(feature = "formats")]
pub(crate) fn view(data: &str, limits: &Limits) -> ObjectOut<'static> {
    let mut out = ObjectOut {
        url: "",
        etag: None,
        data: None,
        json: None,
        events: None,
        contact: None,
        parse_error: None,
    };
    out.attach(data, limits);
    out
}

/// Objects with their parsed views (`parse` off: as they came).
#[cfg(feature = "client")]
pub(crate) fn objects<'a>(list: &'a [DavObject], parse: Parse) -> Vec<ObjectOut<'a>> {
    list.iter().map(|o| ObjectOut::new(o, parse)).collect()
}

/// One object with its parsed view.
#[cfg(feature = "client")]
pub(crate) fn object(o: &DavObject, parse: Parse) -> ObjectOut<'_> {
    ObjectOut::new(o, parse)
}

/// A core output as a JS value: keys camelCased, one `JSON.parse`.
pub(crate) fn output<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // The outputs are plain strings, numbers, vectors and maps: serialising cannot fail.
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    js_sys::JSON::parse(&camelize_json(&text)).unwrap_or(JsValue::NULL)
}

/// A core error as the plain object the JS wrapper turns into a `DavError`.
pub(crate) fn error(e: &Error) -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ErrorOut<'a> {
        davkit: bool,
        kind: &'a str,
        message: &'a str,
        status: Option<u16>,
        url: Option<&'a str>,
        body_excerpt: Option<&'a str>,
        retry_after: Option<u64>,
    }
    let out = ErrorOut {
        davkit: true,
        kind: e.kind().as_str(),
        message: e.message(),
        status: e.status(),
        url: e.url(),
        body_excerpt: e.body_excerpt(),
        retry_after: e.retry_after(),
    };
    let text = serde_json::to_string(&out).unwrap_or_else(|_| "null".to_owned());
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use davkit::ErrorKind;

    #[test]
    fn camel_case_keys() {
        assert_eq!(camel("display_name"), "displayName");
        assert_eq!(camel("supports_sync_collection"), "supportsSyncCollection");
        assert_eq!(snake("resourceId"), "resource_id");
        assert_eq!(snake("expirationMs"), "expiration_ms");
        assert_eq!(snake("ttl_seconds"), "ttl_seconds");
        assert_eq!(snake(&camel("ical_uid")), "ical_uid");
        let text = r#"{"sync_token":"a_b:c","etags":{"/a_b.ics":"\"1_2\""},"changes":[{"final_url":"x\"_y:","n_1":[{"k_k":1}]}],"z_z":null}"#;
        assert_eq!(
            camelize_json(text),
            r#"{"syncToken":"a_b:c","etags":{"/a_b.ics":"\"1_2\""},"changes":[{"finalUrl":"x\"_y:","n1":[{"kK":1}]}],"zZ":null}"#
        );
    }

    #[test]
    fn sync_output_keeps_pending_hrefs_and_problem_fields() {
        let mut state = davkit::SyncState::new("https://h/cal_1/");
        state
            .etags
            .insert("https://h/cal_1/a_b.ics".into(), "\"1\"".into());
        state.mark_pending("https://h/cal_1/x_y:z.ics");
        let problem = davkit::MemberProblem {
            url: "https://h/cal_1/x_y:z.ics".into(),
            kind: ErrorKind::Http,
            status: Some(500),
            message: "row_status 500".into(),
        };
        let text = serde_json::json!({ "state": state, "problems": [problem] }).to_string();
        let out: serde_json::Value = serde_json::from_str(&camelize_json(&text)).unwrap();
        assert_eq!(out["state"]["collectionUrl"], "https://h/cal_1/");
        assert_eq!(
            out["state"]["pending"],
            serde_json::json!(["https://h/cal_1/x_y:z.ics"])
        );
        assert_eq!(out["state"]["etags"]["https://h/cal_1/a_b.ics"], "\"1\"");
        assert_eq!(
            out["problems"],
            serde_json::json!([{ "url": "https://h/cal_1/x_y:z.ics", "kind": "Http", "status": 500, "message": "row_status 500" }])
        );
    }

    #[cfg(all(feature = "formats", feature = "client"))]
    fn parse(on: bool) -> Parse {
        Parse {
            on,
            limits: Limits::default(),
        }
    }

    #[cfg(all(feature = "formats", feature = "client"))]
    #[test]
    fn parsed_view_is_attached() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Hi\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let obj = |data: &str| DavObject {
            url: "u".into(),
            etag: None,
            data: Some(data.into()),
            json: None,
        };
        let v = serde_json::to_value(object(&obj(ics), parse(true))).unwrap();
        assert_eq!(v["events"][0]["summary"], "Hi");
        assert_eq!(v["etag"], serde_json::Value::Null);
        let card = obj("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n");
        let v = serde_json::to_value(object(&card, parse(true))).unwrap();
        assert_eq!(v["contact"]["full_name"], "Ann");
        let bad = obj("BEGIN:VCARD\r\nFN:Ann\r\n");
        let v = serde_json::to_value(object(&bad, parse(true))).unwrap();
        assert!(v["parse_error"].is_string(), "{v}");
        let v = serde_json::to_value(object(&card, parse(false))).unwrap();
        assert!(v.get("contact").is_none());
    }

    #[cfg(all(feature = "formats", feature = "client"))]
    #[test]
    fn parsed_views_use_the_client_limits() {
        let card = DavObject {
            url: "u".into(),
            etag: None,
            data: Some("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n".into()),
            json: None,
        };
        let three = Parse {
            on: true,
            limits: Limits {
                max_content_lines: 3,
                ..Limits::default()
            },
        };
        let v = serde_json::to_value(object(&card, three)).unwrap();
        assert!(v.get("contact").is_none(), "{v}");
        let error = v["parse_error"].as_str().unwrap_or_default();
        assert!(error.contains("max_content_lines"), "{v}");
    }
}
