//! Values across the boundary: results as JSON text with JS key names (`json.rs`: struct
//! fields camelCase, map keys as they are; one `JSON.parse` per result), errors as plain
//! objects the JS wrapper turns into `DavError`, and the parsed view of fetched
//! iCalendar/vCard data. Fetched objects themselves are built field by field in `client.rs`
//! (their text crosses once, as a JS string); arguments are read in `read.rs`.

#[cfg(any(feature = "formats", feature = "dav-calls"))]
use davkit::contentline::Format;
#[cfg(feature = "formats")]
use davkit::icalendar::{Calendar, Summaries};
#[cfg(feature = "formats")]
use davkit::vcard::VCard;
#[cfg(all(feature = "client", any(feature = "formats", feature = "dav-calls")))]
use std::rc::Rc;

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

/// The parsed view of one fetched object's data, as JS receives it beside the object's fields
/// (`{ events }`, `{ contact }`, `{ parseError }` or `{}`).
#[cfg(feature = "formats")]
#[derive(Serialize, Default)]
pub(crate) struct ViewOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Summaries>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_error: Option<String>,
}

/// A card, written as its `ContactSummary` (`VCard::summary_view`: each list read from the
/// card as it is written, none held beside it).
#[cfg(feature = "formats")]
pub(crate) struct Contact(pub(crate) VCard);

#[cfg(feature = "formats")]
impl Serialize for Contact {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.0.summary_view().serialize(ser)
    }
}

/// Whether fetched objects get their parsed view, and the client's limits to parse them with
/// (read only with the `formats` feature).
#[cfg(feature = "client")]
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "formats"), allow(dead_code))]
pub(crate) struct Parse {
    /// Attach `events` / `contact`.
    pub(crate) on: bool,
    /// Without `on`: the JS layer's marker for its lazy views (`parse: 'lazy'`), called with
    /// each object and the key of the view its data gets (also in a module without the
    /// formats whose views another module reads: `dav-calls`).
    #[cfg(any(feature = "formats", feature = "dav-calls"))]
    pub(crate) lazy: Option<Rc<LazyMarker>>,
    /// The client's configured limits (content lines per object).
    pub(crate) limits: Limits,
}

#[cfg(feature = "formats")]
impl ViewOut {
    /// Parses the data in the format its first line names (the core's `Format::sniff`:
    /// iCalendar or vCard); other data is left alone.
    fn attach(&mut self, data: &str, limits: &Limits) {
        match Format::sniff(data) {
            // Streamed and packed: about 1.85x the text at the peak instead of 6.55x for the
            // tree plus `Vec<EventSummary>`; the same JSON.
            Some(Format::ICalendar) => match Calendar::parse_summaries_with_limits(data, limits) {
                Ok(s) => self.events = Some(s),
                Err(e) => self.parse_error = Some(e.to_string()),
            },
            Some(Format::VCard) => match VCard::parse_with_limits(data, limits) {
                Ok(c) => self.contact = Some(Contact(c)),
                Err(e) => self.parse_error = Some(e.to_string()),
            },
            None => {}
        }
    }
}

/// The key of the parsed view [`view`] gives data of this format: `events` for
/// iCalendar, `contact` for vCard (the key a lazy view's getter takes).
#[cfg(all(feature = "client", any(feature = "formats", feature = "dav-calls")))]
pub(crate) fn view_key(format: Format) -> &'static str {
    match format {
        Format::ICalendar => "events",
        Format::VCard => "contact",
    }
}

/// The parsed view of one object's data (`{ events }`, `{ contact }` or `{ parseError }`, or
/// `{}` for other data): what a fetch with `parse` on attaches to each object, and what the JS
/// layer's lazy views ask for.
#[cfg(feature = "formats")]
pub(crate) fn view(data: &str, limits: &Limits) -> ViewOut {
    let mut out = ViewOut::default();
    out.attach(data, limits);
    out
}

#[cfg(any(feature = "client", feature = "queue", feature = "oauth"))]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A plain object the module builds, as the target of a property assignment.
    type Built;

    /// `target[key] = value`, without `Reflect.set`'s catching glue (a `try`, and the
    /// exception taken back out of the module on every call).
    #[wasm_bindgen(method, structural, indexing_setter)]
    fn set(this: &Built, key: &JsValue, value: &JsValue);
}

#[cfg(all(feature = "client", any(feature = "formats", feature = "dav-calls")))]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The JS layer's function `(object, key) => void` that gives a fetched object its lazy
    /// view's getters (`npm/src/api.js` `lazyMarker`).
    #[derive(Debug)]
    pub(crate) type LazyMarker;

    /// Calls it (without the catching glue: it defines two properties on a plain object the
    /// module just created, which cannot throw).
    #[wasm_bindgen(method, structural, js_name = call)]
    fn call(this: &LazyMarker, this_arg: &JsValue, object: &JsValue, key: &JsValue);
}

#[cfg(all(feature = "client", any(feature = "formats", feature = "dav-calls")))]
impl LazyMarker {
    /// Marks `object` as one whose view `key` is read lazily.
    pub(crate) fn mark(&self, object: &js_sys::Object, key: &JsValue) {
        self.call(&JsValue::UNDEFINED, object, key);
    }
}

/// Sets `key` on a plain object the module just created (an assignment that cannot throw).
#[cfg(any(feature = "client", feature = "queue", feature = "oauth"))]
pub(crate) fn put(target: &js_sys::Object, key: &JsValue, value: &JsValue) {
    use wasm_bindgen::JsCast;
    target.unchecked_ref::<Built>().set(key, value);
}

/// [`put`] with the key given as text.
#[cfg(any(feature = "client", feature = "queue", feature = "oauth"))]
pub(crate) fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    put(target, &JsValue::from_str(key), value);
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

    #[cfg(feature = "formats")]
    #[test]
    fn parsed_view_by_format() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Hi\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let limits = Limits::default();
        let v = serde_json::to_value(view(ics, &limits)).unwrap();
        assert_eq!(v["events"][0]["summary"], "Hi");
        assert!(
            v.get("contact").is_none() && v.get("parse_error").is_none(),
            "{v}"
        );
        let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n";
        let v = serde_json::to_value(view(card, &limits)).unwrap();
        assert_eq!(v["contact"]["full_name"], "Ann");
        let v = serde_json::to_value(view("BEGIN:VCARD\r\nFN:Ann\r\n", &limits)).unwrap();
        assert!(v["parse_error"].is_string(), "{v}");
        let v = serde_json::to_value(view("{\"id\": 1}", &limits)).unwrap();
        assert_eq!(v, serde_json::json!({}));
    }

    #[cfg(feature = "formats")]
    #[test]
    fn parsed_views_use_the_client_limits() {
        let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann\r\nEND:VCARD\r\n";
        let three = Limits {
            max_content_lines: 3,
            ..Limits::default()
        };
        let v = serde_json::to_value(view(card, &three)).unwrap();
        assert!(v.get("contact").is_none(), "{v}");
        let error = v["parse_error"].as_str().unwrap_or_default();
        assert!(error.contains("max_content_lines"), "{v}");
    }
}
