//! Values across the boundary: results as JSON text (one `JSON.parse` per result is much
//! cheaper than building objects property by property; arguments are read in `read.rs`) with
//! JS key names (`json.rs`: struct fields camelCase, map keys as they are), errors as plain
//! objects the JS wrapper turns into `DavError`, and the parsed view of fetched
//! iCalendar/vCard data attached next to the raw text.

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

use crate::json;

/// `resourceId` -> `resource_id` (the inverse of the struct field rule of `json.rs`): the
/// core's spelling of a JS name, which every options reader accepts too (`read.rs`).
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

/// One object with its parsed view.
#[cfg(feature = "client")]
pub(crate) fn object(o: &DavObject, parse: Parse) -> ObjectOut<'_> {
    ObjectOut::new(o, parse)
}

/// A core output as JSON text with JS key names ([`json`]: struct fields camelCase, map keys
/// as they are).
pub(crate) fn output_text<T: Serialize + ?Sized>(value: &T) -> String {
    // The outputs are plain strings, numbers, vectors and maps with string keys: serialising
    // cannot fail.
    json::to_text(value).unwrap_or_else(|_| "null".to_owned())
}

/// A core output as a JS value: [`output_text`], one `JSON.parse`.
pub(crate) fn output<T: Serialize + ?Sized>(value: &T) -> JsValue {
    js_sys::JSON::parse(&output_text(value)).unwrap_or(JsValue::NULL)
}

/// A core error as the plain object the JS wrapper turns into a `DavError`.
pub(crate) fn error(e: &Error) -> JsValue {
    js_sys::JSON::parse(&error_text(e)).unwrap_or(JsValue::NULL)
}

/// The text of [`error`]'s object.
fn error_text(e: &Error) -> String {
    #[derive(Serialize)]
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
    output_text(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use davkit::ErrorKind;

    #[test]
    fn snake_case_keys() {
        assert_eq!(snake("resourceId"), "resource_id");
        assert_eq!(snake("expirationMs"), "expiration_ms");
        assert_eq!(snake("ttl_seconds"), "ttl_seconds");
        assert_eq!(snake(&json::camel("ical_uid")), "ical_uid");
    }

    #[test]
    fn errors_have_js_names() {
        let e = Error::new(ErrorKind::Http, "x_y");
        let v: serde_json::Value = serde_json::from_str(&error_text(&e)).unwrap();
        assert_eq!(v["kind"], "Http");
        assert_eq!(v["message"], "x_y");
        assert!(
            v.get("bodyExcerpt").is_some() && v.get("retryAfter").is_some(),
            "{v}"
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
