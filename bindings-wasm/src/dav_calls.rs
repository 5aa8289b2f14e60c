//! The DAV calls of the operations whose decisions read iCalendar (the write queue's flush,
//! scheduling), one client call each, for a host that makes those decisions elsewhere: the
//! `davkit` entry's second module (formats, queue and scheduling, without a DAV client) asks
//! for them one at a time, and its JS loop answers each with one of these calls on this
//! module's client (in `davkit/gcal`, one module has both halves, and its JS layer runs them
//! the same way). Each is one `Session` operation of the core, converted.

use davkit::client::Call;
use davkit::{Error, TimeRange};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::convert::output_text;
use crate::{Client, read};

/// The JSON text a call's output was turned into (`SingleExchange::map` with
/// [`output_text`]), as the JS value it resolves to: every call here then shares one copy of
/// the code that drives a `SingleExchange` (each output type had its own, about 2 KB of wasm).
fn parsed(text: String, _: &crate::convert::Parse) -> crate::call::Out {
    Ok(js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL))
}

/// The output as JSON text, for [`parsed`].
fn text<T: serde::Serialize>(output: T) -> String {
    output_text(&output)
}

/// A time range as JS passes it (`{ start?, end? }`, UTC `YYYYMMDDTHHMMSSZ`; `null`: none).
pub(crate) fn time_range(value: &JsValue) -> Result<Option<TimeRange>, Error> {
    let v = read::value(value);
    let Some(f) = read::Fields::optional("time range", &v, "{ start?, end? }")? else {
        return Ok(None);
    };
    Ok(Some(TimeRange {
        start: f.opt_string("start")?,
        end: f.opt_string("end")?,
    }))
}

#[wasm_bindgen]
impl Client {
    /// The name of the provider profile this client's session uses (the app's, or the one the
    /// core picked from the server URL): the second module's decisions run under it.
    #[wasm_bindgen(getter)]
    pub fn profile(&self) -> String {
        self.inner.session().profile().name.to_string()
    }

    /// `listMembers(collectionUrl)` -> the hrefs of every member, or an error when the listing
    /// cannot rule one out (`Session::list_members`: the listing a flush's search needs).
    #[wasm_bindgen(js_name = listMembers)]
    pub fn list_members(&self, collection_url: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| {
                s.list_members(&collection_url).map(text)
            })),
            parsed,
        )
    }

    /// `getScheduled(url)` -> `{ url, etag, scheduleTag, data }`.
    #[wasm_bindgen(js_name = getScheduled)]
    pub fn get_scheduled(&self, url: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| s.get_scheduled(&url).map(text))),
            parsed,
        )
    }

    /// `updateScheduled(url, data, scheduleTag)` -> `{ url, etag, scheduleTag }`.
    #[wasm_bindgen(js_name = updateScheduled)]
    pub fn update_scheduled(&self, url: String, data: String, schedule_tag: String) -> Promise {
        let call = Call::new(move |s| s.update_scheduled(&url, &data, &schedule_tag).map(text));
        self.call(Ok(call), parsed)
    }

    /// `putScheduled(url, data, scheduleTag?, etag?)` -> `{ url, etag, scheduleTag }`: the
    /// write under `If-Schedule-Tag-Match`, else `If-Match` (`Session::put_scheduled`).
    #[wasm_bindgen(js_name = putScheduled)]
    pub fn put_scheduled(
        &self,
        url: String,
        data: String,
        schedule_tag: Option<String>,
        etag: Option<String>,
    ) -> Promise {
        let call = Call::new(move |s| {
            s.put_scheduled(&url, &data, schedule_tag.as_deref(), etag.as_deref())
                .map(text)
        });
        self.call(Ok(call), parsed)
    }

    /// `scheduledQueries(inboxUrl?, calendarUrls, range?)` -> `[{ inInbox, objects }]`: the
    /// calendar-queries of `pendingInvitations`, their objects not yet read as invitations.
    #[wasm_bindgen(js_name = scheduledQueries)]
    pub fn scheduled_queries(
        &self,
        inbox_url: Option<String>,
        calendar_urls: Vec<String>,
        range: JsValue,
    ) -> Promise {
        let call = time_range(&range).map(|range| {
            Call::new(move |s| {
                s.scheduled_queries(inbox_url.as_deref(), &calendar_urls, range.clone())
            })
        });
        self.call(call, crate::plain)
    }

    /// `freeBusyReport(calendarUrl, start, end)` -> `{ start, end, text }`: the
    /// free-busy-query REPORT, its `VFREEBUSY` text not yet read.
    #[wasm_bindgen(js_name = freeBusyReport)]
    pub fn free_busy_report(&self, calendar_url: String, start: String, end: String) -> Promise {
        let call = Call::new(move |s| s.free_busy_report(&calendar_url, &start, &end).map(text));
        self.call(Ok(call), parsed)
    }

    /// `outboxPost(outboxUrl, requestText)` -> `[{ recipient, requestStatus, calendarData }]`:
    /// the outbox POST of a free-busy request, its rows' `VFREEBUSY` replies not yet read.
    #[wasm_bindgen(js_name = outboxPost)]
    pub fn outbox_post(&self, outbox_url: String, request_text: String) -> Promise {
        let call = Call::new(move |s| s.outbox_post(&outbox_url, &request_text).map(text));
        self.call(Ok(call), parsed)
    }
}
