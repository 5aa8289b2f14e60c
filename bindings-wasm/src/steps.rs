//! The decisions of the operations that read iCalendar, in a module without a DAV client (the
//! `steps` feature: the `davkit` entry's second module). Each asks for its DAV calls one at a
//! time; the JS layer makes each call with the first module's client (`dav_calls.rs` there)
//! and hands back what it resolved or rejected with, unchanged: the write queue's flush
//! ([`FlushMachine`] over the core's `FlushSteps`), answering an invitation
//! ([`RespondMachine`] over `RespondSteps`), and the readings of pending invitations and of
//! free-busy answers. Nothing is decided here: the answers are read back into the core's
//! types, and the core decides.

use davkit::ops::freebusy::ScheduleResponseRow;
use davkit::ops::schedule::{
    RespondAnswer, RespondNext, RespondRequest, RespondSteps, ScheduledCollection, ScheduledObject,
    ScheduledWrite,
};
use davkit::queue::{FlushAnswer, FlushNext, FlushRequest, FlushSteps};
use davkit::{DavObject, Error, ErrorKind, FreeBusyText, MultigetResult, Profile, WriteResult};
use js_sys::Object;
use wasm_bindgen::prelude::*;

use crate::convert::{self, set};
use crate::queue::{FlushOutput, Queue};
use crate::schedule;

fn js<T>(r: davkit::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| convert::error(&e))
}

#[wasm_bindgen]
extern "C" {
    /// What a client call of the first module settled with: a plain object or an array.
    type Settled;

    /// `value[key]`, for an object (checked first: reading a property of `null` throws).
    #[wasm_bindgen(method, structural, indexing_getter)]
    fn get(this: &Settled, key: &str) -> JsValue;
}

/// A value the first module's client gave that is not what its call gives: read as a
/// `Protocol` error, never as a success.
fn unreadable(what: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("the client's answer is not {what}"),
    )
}

/// The properties of an object a client call settled with, read one by one (not through
/// `JSON.stringify`, which would also read the getters of a fetched object's lazy views).
struct Props<'a> {
    value: &'a Settled,
    what: &'static str,
}

impl<'a> Props<'a> {
    fn of(value: &'a JsValue, what: &'static str) -> davkit::Result<Self> {
        if !value.is_object() {
            return Err(unreadable(what));
        }
        Ok(Props {
            value: value.unchecked_ref(),
            what,
        })
    }

    fn string(&self, key: &str) -> davkit::Result<String> {
        self.value
            .get(key)
            .as_string()
            .ok_or_else(|| unreadable(self.what))
    }

    /// A string, or `None` for `null` or absent.
    fn opt_string(&self, key: &str) -> davkit::Result<Option<String>> {
        let v = self.value.get(key);
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        v.as_string().map(Some).ok_or_else(|| unreadable(self.what))
    }

    /// A boolean, `false` when absent.
    fn flag(&self, key: &str) -> davkit::Result<bool> {
        let v = self.value.get(key);
        if v.is_undefined() {
            return Ok(false);
        }
        v.as_bool().ok_or_else(|| unreadable(self.what))
    }

    fn items(&self, key: &str) -> davkit::Result<Vec<JsValue>> {
        items(&self.value.get(key), self.what)
    }

    fn strings(&self, key: &str) -> davkit::Result<Vec<String>> {
        strings(&self.value.get(key), self.what)
    }
}

/// The items of an array.
fn items(value: &JsValue, what: &'static str) -> davkit::Result<Vec<JsValue>> {
    if !js_sys::Array::is_array(value) {
        return Err(unreadable(what));
    }
    Ok(js_sys::Array::from(value).to_vec())
}

/// An array of strings.
fn strings(value: &JsValue, what: &'static str) -> davkit::Result<Vec<String>> {
    items(value, what)?
        .into_iter()
        .map(|s| s.as_string().ok_or_else(|| unreadable(what)))
        .collect()
}

/// A client call's rejection as the core's error: the object the first module rejects with
/// (`{ kind, message, status, url, bodyExcerpt, retryAfter }`), its kind by name. Anything
/// else is a `Transport` error (the request's fate is unknown).
fn error_in(value: &JsValue) -> Error {
    let Ok(f) = Props::of(value, "an error") else {
        return Error::new(ErrorKind::Transport, "the request failed");
    };
    let text = |k: &str| f.opt_string(k).ok().flatten();
    let kind = text("kind")
        .and_then(|k| ErrorKind::from_name(&k))
        .unwrap_or(ErrorKind::Transport);
    let mut e = Error::new(kind, text("message").unwrap_or_default());
    if let Some(status) = f.value.get("status").as_f64() {
        e = e.with_status(status as u16);
    }
    if let Some(url) = text("url") {
        e = e.with_url(&url);
    }
    if let Some(body) = text("bodyExcerpt") {
        e = e.with_body(body.as_bytes());
    }
    if let Some(after) = f.value.get("retryAfter").as_f64() {
        e = e.with_retry_after(Some(after as u64));
    }
    e
}

/// What a client call settled with: its value read by `read_ok`, or (`error` not
/// `undefined`) its rejection.
fn settled<T>(
    result: &JsValue,
    error: &JsValue,
    read_ok: impl FnOnce(&JsValue) -> davkit::Result<T>,
) -> davkit::Result<T> {
    if !error.is_undefined() {
        return Err(error_in(error));
    }
    read_ok(result)
}

/// A fetched object (`getObject`, or one of `multiget`'s): its URL, ETag and data.
fn object(v: &JsValue) -> davkit::Result<DavObject> {
    let f = Props::of(v, "an object")?;
    Ok(DavObject {
        url: f.string("url")?,
        etag: f.opt_string("etag")?,
        data: f.opt_string("data")?,
        json: f.opt_string("json")?,
    })
}

/// A write's result (`createObject`, `updateObject`, `deleteObject`).
fn write_result(v: &JsValue) -> davkit::Result<WriteResult> {
    let f = Props::of(v, "a write result")?;
    Ok(WriteResult {
        url: f.string("url")?,
        etag: f.opt_string("etag")?,
        data: f.opt_string("data")?,
        replaced: f.flag("replaced")?,
    })
}

/// `multiget`'s `{ objects, missing, unanswered }`.
fn multiget(v: &JsValue) -> davkit::Result<MultigetResult> {
    let f = Props::of(v, "a multiget result")?;
    Ok(MultigetResult {
        objects: f
            .items("objects")?
            .iter()
            .map(object)
            .collect::<davkit::Result<_>>()?,
        missing: f.strings("missing")?,
        unanswered: f.strings("unanswered")?,
    })
}

/// A scheduling object (`getScheduled`, and each of `scheduledQueries`'s).
fn scheduled(v: &JsValue) -> davkit::Result<ScheduledObject> {
    let f = Props::of(v, "a scheduling object")?;
    Ok(ScheduledObject {
        url: f.string("url")?,
        etag: f.opt_string("etag")?,
        schedule_tag: f.opt_string("scheduleTag")?,
        data: f.string("data")?,
    })
}

/// A scheduling write's result (`putScheduled`).
fn scheduled_write(v: &JsValue) -> davkit::Result<ScheduledWrite> {
    let f = Props::of(v, "a scheduling write")?;
    Ok(ScheduledWrite {
        url: f.string("url")?,
        etag: f.opt_string("etag")?,
        schedule_tag: f.opt_string("scheduleTag")?,
    })
}

/// A request for the JS layer: `{ call, args }`, `call` naming the first module's client
/// method and `args` its arguments in order.
fn ask(call: &str, args: &[JsValue]) -> JsValue {
    let o = Object::new();
    set(&o, "call", &JsValue::from_str(call));
    let list = js_sys::Array::new();
    for a in args {
        list.push(a);
    }
    set(&o, "args", &list);
    o.into()
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// The flush of a write queue (the core's `FlushSteps`), its requests made by another
/// module's client: `poll()` gives the next request or the result, `answer` takes what the
/// request's call settled with.
#[wasm_bindgen]
pub struct FlushMachine {
    steps: FlushSteps,
    /// The kind of the request asked and not yet answered.
    asked: Option<Asked>,
}

/// Which answer the request asked expects.
#[derive(Clone, Copy)]
enum Asked {
    Get,
    Write,
    List,
    Multiget,
}

#[wasm_bindgen]
impl FlushMachine {
    /// A flush of a snapshot of `queue` (taken now) to a server of profile `profile` (the
    /// client's: `Client.profile` of the first module), under the client's `limits`.
    #[wasm_bindgen(constructor)]
    pub fn new(queue: &Queue, profile: &str, limits: JsValue) -> Result<FlushMachine, JsValue> {
        let profile = js(Profile::named(profile))?;
        let limits = js(crate::limits_in(&limits))?;
        Ok(FlushMachine {
            steps: FlushSteps::new(queue.inner.clone(), profile, limits),
            asked: None,
        })
    }

    /// The next request, `{ call, args }` (`call`: `getObject(url)`,
    /// `createObject(collection, name, data)`, `updateObject(url, data, etag)`,
    /// `deleteObject(url, etag)`, `listMembers(collection)` or
    /// `multiget(collection, kind, hrefs)`), or `{ done }` with the `FlushOutput` for
    /// `Queue::applyResult`.
    pub fn poll(&mut self) -> Result<JsValue, JsValue> {
        let request = match self.steps.poll() {
            FlushNext::Done(result) => {
                let o = Object::new();
                set(&o, "done", &FlushOutput { inner: js(result)? }.into());
                return Ok(o.into());
            }
            FlushNext::Ask(request) => request,
        };
        let (asked, out) = match &request {
            FlushRequest::Get { url } => (Asked::Get, ask("getObject", &[text(url)])),
            FlushRequest::Create {
                collection,
                name,
                data,
            } => (
                Asked::Write,
                ask("createObject", &[text(collection), text(name), text(data)]),
            ),
            FlushRequest::Update { url, data, etag } => (
                Asked::Write,
                ask("updateObject", &[text(url), text(data), text(etag)]),
            ),
            FlushRequest::Delete { url, etag } => {
                (Asked::Write, ask("deleteObject", &[text(url), text(etag)]))
            }
            FlushRequest::List { collection } => {
                (Asked::List, ask("listMembers", &[text(collection)]))
            }
            FlushRequest::Multiget {
                collection,
                kind,
                hrefs,
            } => {
                let kind = match kind {
                    davkit::CollectionKind::Calendar => "calendar",
                    davkit::CollectionKind::AddressBook => "addressbook",
                    davkit::CollectionKind::Other => "other",
                };
                let list = js_sys::Array::new();
                for h in hrefs {
                    list.push(&text(h));
                }
                (
                    Asked::Multiget,
                    ask("multiget", &[text(collection), text(kind), list.into()]),
                )
            }
        };
        self.asked = Some(asked);
        Ok(out)
    }

    /// What the call of the last request settled with: its value, or (`error` not
    /// `undefined`) what it rejected with. A value that does not read as that call's result
    /// is a `Protocol` error for the step (which stops the flush), never a success.
    pub fn answer(&mut self, result: JsValue, error: JsValue) {
        let Some(asked) = self.asked.take() else {
            return;
        };
        let (r, e) = (&result, &error);
        let answer = match asked {
            Asked::Get => FlushAnswer::Get(settled(r, e, object)),
            Asked::Write => FlushAnswer::Write(settled(r, e, write_result)),
            Asked::List => FlushAnswer::List(settled(r, e, |v| strings(v, "a list of hrefs"))),
            Asked::Multiget => FlushAnswer::Multiget(settled(r, e, multiget)),
        };
        self.steps.answer(answer);
    }
}

/// Answering an invitation (the core's `RespondSteps`), its requests made by another
/// module's client, as [`FlushMachine`] runs the flush.
#[wasm_bindgen]
pub struct RespondMachine {
    steps: RespondSteps,
    asked: Option<bool>,
}

#[wasm_bindgen]
impl RespondMachine {
    /// Answers the invitation at `url` for one of `myAddresses` with `answer` (as
    /// `Client.respond` takes them) on the series or `occurrence`, on a server of profile
    /// `profile`, under `limits`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: &str,
        my_addresses: Vec<String>,
        answer: JsValue,
        occurrence: Option<String>,
        profile: &str,
        limits: JsValue,
    ) -> Result<RespondMachine, JsValue> {
        let answer = js(schedule::answer(&answer))?;
        let occurrence = js(schedule::occurrence(occurrence))?;
        let profile = js(Profile::named(profile))?;
        let limits = js(crate::limits_in(&limits))?;
        Ok(RespondMachine {
            steps: RespondSteps::new(
                url,
                &my_addresses,
                &answer,
                occurrence.as_ref(),
                &profile,
                limits,
            ),
            asked: None,
        })
    }

    /// The next request (`{ call: 'getScheduled', args: [url] }` or
    /// `{ call: 'putScheduled', args: [url, data, scheduleTag, etag] }`), or `{ done }` with
    /// `{ write, attempts, data }`.
    pub fn poll(&mut self) -> Result<JsValue, JsValue> {
        match self.steps.poll() {
            RespondNext::Done(result) => {
                let o = Object::new();
                set(&o, "done", &convert::output(&js(result)?));
                Ok(o.into())
            }
            RespondNext::Ask(RespondRequest::Read { url }) => {
                self.asked = Some(false);
                Ok(ask("getScheduled", &[text(&url)]))
            }
            RespondNext::Ask(RespondRequest::Write {
                url,
                data,
                schedule_tag,
                etag,
            }) => {
                self.asked = Some(true);
                let args = [
                    text(&url),
                    text(&data),
                    opt_text(schedule_tag.as_deref()),
                    opt_text(etag.as_deref()),
                ];
                Ok(ask("putScheduled", &args))
            }
        }
    }

    /// What the call of the last request settled with (as [`FlushMachine::answer`]).
    pub fn answer(&mut self, result: JsValue, error: JsValue) {
        let (r, e) = (&result, &error);
        let answer = match self.asked.take() {
            None => return,
            Some(false) => RespondAnswer::Read(settled(r, e, scheduled)),
            Some(true) => RespondAnswer::Write(settled(r, e, scheduled_write)),
        };
        self.steps.answer(answer);
    }
}

/// `pendingFrom(queries, myAddresses, limits)` -> `{ invitations, unreadable }`: what
/// `scheduledQueries` resolved with, read as `pendingInvitations` reads it.
#[wasm_bindgen(js_name = pendingFrom)]
pub fn pending_from(
    queries: JsValue,
    my_addresses: Vec<String>,
    limits: JsValue,
) -> Result<JsValue, JsValue> {
    let limits = js(crate::limits_in(&limits))?;
    let query = |q: JsValue| -> davkit::Result<ScheduledCollection> {
        let f = Props::of(&q, "a query's objects")?;
        Ok(ScheduledCollection {
            in_inbox: f.flag("inInbox")?,
            objects: f
                .items("objects")?
                .iter()
                .map(scheduled)
                .collect::<davkit::Result<_>>()?,
        })
    };
    let read = || -> davkit::Result<Vec<ScheduledCollection>> {
        items(&queries, "a list of queries")?
            .into_iter()
            .map(query)
            .collect()
    };
    let queries = js(read())?;
    Ok(convert::output(&davkit::ops::schedule::pending_from(
        queries,
        &my_addresses,
        &limits,
    )))
}

/// `readFreeBusy(report, limits)` -> `{ start, end, busy }`: what `freeBusyReport` resolved
/// with, read as `freeBusyQuery` reads it.
#[wasm_bindgen(js_name = readFreeBusy)]
pub fn read_free_busy(report: JsValue, limits: JsValue) -> Result<JsValue, JsValue> {
    let limits = js(crate::limits_in(&limits))?;
    let read = || -> davkit::Result<davkit::FreeBusy> {
        let f = Props::of(&report, "a free-busy report")?;
        FreeBusyText {
            start: f.string("start")?,
            end: f.string("end")?,
            text: f.string("text")?,
        }
        .read(&limits)
    };
    Ok(convert::output(&js(read())?))
}

/// `readOutboxAnswer(request, rows, limits)` -> `[{ recipient, requestStatus, ok, busy }]`:
/// what `outboxPost` resolved with for `request` (sent as `freeBusyRequestText` wrote it),
/// read as `outboxFreeBusy` reads it.
#[wasm_bindgen(js_name = readOutboxAnswer)]
pub fn read_outbox_answer(
    request: JsValue,
    rows: JsValue,
    limits: JsValue,
) -> Result<JsValue, JsValue> {
    let limits = js(crate::limits_in(&limits))?;
    let request = js(schedule::free_busy_request(&request))?;
    let row = |r: JsValue| -> davkit::Result<ScheduleResponseRow> {
        let f = Props::of(&r, "a schedule-response row")?;
        Ok(ScheduleResponseRow {
            recipient: f.string("recipient")?,
            request_status: f.string("requestStatus")?,
            calendar_data: f.opt_string("calendarData")?,
        })
    };
    let read = || -> davkit::Result<Vec<davkit::RecipientFreeBusy>> {
        let rows = items(&rows, "a schedule-response")?
            .into_iter()
            .map(row)
            .collect::<davkit::Result<Vec<_>>>()?;
        request.read_answer(rows, &limits)
    };
    Ok(convert::output(&js(read())?))
}
