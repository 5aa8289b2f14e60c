//! Scheduling (issue 17) for JS, in the modules with the formats and the steps (`davkit`,
//! `davkit/gcal`): invitations, answers, attendee statuses, free-busy requests and iTIP
//! messages from the core's one implementation (`davkit::rfc5546`, the Calendar API's
//! scheduling with `gcal`); the operations that send are `steps.rs` with `dav_calls.rs`. Events cross as iCalendar text; results are the core's JSON with
//! camelCase keys (enum values as the core spells them: `needs-action`, `{ other: 'X-..' }`).
//! The JS wrapper (`npm/src/api.js`) calls these; nothing is decided here.

#[cfg(feature = "gcal")]
use davkit::client::Call;
use davkit::icalendar::{CalAddress, CalDateTime, Calendar};
use davkit::json_read::Json;
use davkit::rfc5546::{Answer, Message, attendee, itip, organizer, status};
use davkit::{Error, ErrorKind, FreeBusyRequest, Scheduling};
#[cfg(feature = "gcal")]
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "gcal")]
use crate::{Client, plain};
use crate::{convert, read};

fn js<T>(r: davkit::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| convert::error(&e))
}

fn calendar(ics: &str) -> davkit::Result<Calendar> {
    Calendar::parse(ics).map_err(Error::from)
}

/// An occurrence as its RECURRENCE-ID value (`20250303T090000Z`).
pub(crate) fn occurrence(value: Option<String>) -> davkit::Result<Option<CalDateTime>> {
    value
        .map(|v| {
            CalDateTime::parse(v.trim(), None)
                .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("an occurrence: {e}")))
        })
        .transpose()
}

fn refs(addresses: &[String]) -> Vec<&str> {
    addresses.iter().map(String::as_str).collect()
}

/// ORGANIZER or ATTENDEE as JS passes it (the wrapper turns a plain address into `{ uri }`):
/// `{ uri, cn?, role?, partstat?, rsvp?, cutype? }`.
fn address(what: &str, v: &Json) -> davkit::Result<CalAddress> {
    let f = read::Fields::of(what, v, "{ uri }")?;
    Ok(CalAddress {
        cn: f.opt_string("cn")?,
        role: f.opt_string("role")?,
        partstat: f.opt_string("partstat")?,
        rsvp: f.opt_bool("rsvp")?,
        cutype: f.opt_string("cutype")?,
        ..CalAddress::from_uri(&f.string("uri")?)
    })
}

/// Each element of a JS array, read by `item`.
fn each<T>(
    what: &str,
    v: &Json,
    item: impl Fn(&Json) -> davkit::Result<T>,
) -> davkit::Result<Vec<T>> {
    match v {
        Json::Array(list) => list.iter().map(item).collect(),
        _ => Err(read::wrong_type(what, v, "a sequence")),
    }
}

/// An answer as the JS wrapper passes it: `{ answer: 'accepted' | 'declined' | 'tentative' }`
/// or `{ answer: 'delegated', to }` (the core's serde form).
pub(crate) fn answer(value: &JsValue) -> davkit::Result<Answer> {
    const WHAT: &str = "answer";
    let v = read::value(value);
    let f = read::Fields::of(WHAT, &v, "an answer")?;
    let names = ["accepted", "declined", "tentative", "delegated"];
    Ok(match read::name(WHAT, &f.string("answer")?, &names)? {
        0 => Answer::Accepted,
        1 => Answer::Declined,
        2 => Answer::Tentative,
        _ => Answer::Delegated {
            to: f.string("to")?,
        },
    })
}

/// An RFC 6638 free-busy request: `{ organizer, attendees, start, end, uid, dtstamp }`.
pub(crate) fn free_busy_request(value: &JsValue) -> davkit::Result<FreeBusyRequest> {
    let v = read::value(value);
    let f = read::Fields::of("free-busy request", &v, "a free-busy request")?;
    Ok(FreeBusyRequest {
        organizer: f.string("organizer")?,
        attendees: f.required_strings("attendees")?,
        start: f.string("start")?,
        end: f.string("end")?,
        uid: f.string("uid")?,
        dtstamp: f.string("dtstamp")?,
    })
}

/// `sendUpdates` as JS spells it: `all`, `external-only` or `none`.
#[cfg(feature = "gcal")]
fn send_updates(value: &JsValue) -> davkit::Result<davkit::gcal::SendUpdates> {
    use davkit::gcal::SendUpdates;
    let names = ["all", "external-only", "none"];
    let what = "sendUpdates (all, external-only, none)";
    Ok(match read::variant(what, &read::value(value), &names)? {
        0 => SendUpdates::All,
        1 => SendUpdates::ExternalOnly,
        _ => SendUpdates::None,
    })
}

/// Calendar API attendees as JS passes them: `[{ email, displayName?, optional?,
/// responseStatus? }]`.
#[cfg(feature = "gcal")]
fn gcal_attendees(value: &JsValue) -> davkit::Result<Vec<davkit::gcal::GcalAttendee>> {
    const WHAT: &str = "attendees";
    each(WHAT, &read::value(value), |v| {
        let f = read::Fields::of(WHAT, v, "{ email }")?;
        Ok(davkit::gcal::GcalAttendee {
            email: f.string("email")?,
            display_name: f.opt_string("displayName")?,
            optional: f.flag("optional")?,
            response_status: f.opt_string("responseStatus")?,
        })
    })
}

#[derive(Serialize)]
struct Updated {
    ics: String,
    changes: Vec<organizer::Change>,
}

#[derive(Serialize)]
struct Parsed {
    method: itip::Method,
    uid: String,
    sequence: i64,
    replying_attendee: Option<CalAddress>,
    stored_ics: String,
}

#[derive(Serialize)]
struct AppliedOut {
    applied: itip::Applied,
    ics: String,
}

/// Runs a synchronous call, its result converted (camelCase keys) or its error thrown.
fn out<T: Serialize>(r: davkit::Result<T>) -> Result<JsValue, JsValue> {
    js(r).map(|v| convert::output(&v))
}

/// `scheduleOrganizerAddress(scheduling)` -> CalAddress | null.
#[wasm_bindgen(js_name = scheduleOrganizerAddress)]
pub fn schedule_organizer_address(scheduling: JsValue) -> Result<JsValue, JsValue> {
    out((|| {
        let v = read::value(&scheduling);
        let f = read::Fields::of("scheduling", &v, "discovery.scheduling")?;
        let s = Scheduling {
            user_addresses: f.strings("userAddresses")?,
            preferred_address: f.opt_string("preferredAddress")?,
            ..Scheduling::default()
        };
        Ok(organizer::organizer_address(&s))
    })())
}

/// `scheduleInvite(ics, organizer, attendees, dtstamp)` -> text.
#[wasm_bindgen(js_name = scheduleInvite)]
pub fn schedule_invite(
    ics: &str,
    organizer: JsValue,
    attendees: JsValue,
    dtstamp: &str,
) -> Result<String, JsValue> {
    js((|| {
        let org = address("organizer ({ uri })", &read::value(&organizer))?;
        let what = "attendees ([{ uri }])";
        let list = each(what, &read::value(&attendees), |v| address(what, v))?;
        let mut cal = calendar(ics)?;
        organizer::invite(&mut cal, &org, &list, dtstamp)?;
        Ok(cal.to_ics())
    })())
}

/// `scheduleUpdate(oldIcs, newIcs, dtstamp, resetAnswers)` -> `{ ics, changes }`.
#[wasm_bindgen(js_name = scheduleUpdate)]
pub fn schedule_update(
    old_ics: &str,
    new_ics: &str,
    dtstamp: &str,
    reset_answers: bool,
) -> Result<JsValue, JsValue> {
    out((|| {
        let old = calendar(old_ics)?;
        let mut new = calendar(new_ics)?;
        let changes = organizer::update(&old, &mut new, dtstamp, reset_answers)?;
        Ok(Updated {
            ics: new.to_ics(),
            changes,
        })
    })())
}

/// `scheduleCancel(ics, dtstamp, occurrence?)` -> text: the whole meeting, or one occurrence.
#[wasm_bindgen(js_name = scheduleCancel)]
pub fn schedule_cancel(
    ics: &str,
    dtstamp: &str,
    occurrence: Option<String>,
) -> Result<String, JsValue> {
    js((|| {
        let mut cal = calendar(ics)?;
        match self::occurrence(occurrence)? {
            Some(rid) => organizer::cancel_occurrence(&mut cal, &rid, dtstamp)?,
            None => organizer::cancel(&mut cal, dtstamp)?,
        }
        Ok(cal.to_ics())
    })())
}

/// `scheduleAnswer(ics, myAddresses, answer, occurrence?)` -> text (a copy held locally).
#[wasm_bindgen(js_name = scheduleAnswer)]
pub fn schedule_answer(
    ics: &str,
    my_addresses: Vec<String>,
    answer: JsValue,
    occurrence: Option<String>,
) -> Result<String, JsValue> {
    js((|| {
        let answer = self::answer(&answer)?;
        let mut cal = calendar(ics)?;
        let rid = self::occurrence(occurrence)?;
        attendee::respond(&mut cal, &refs(&my_addresses), &answer, rid.as_ref())?;
        Ok(cal.to_ics())
    })())
}

/// `scheduleNeedsAction(ics, myAddresses)` -> `(string | null)[]`.
#[wasm_bindgen(js_name = scheduleNeedsAction)]
pub fn schedule_needs_action(ics: &str, my_addresses: Vec<String>) -> Result<JsValue, JsValue> {
    out(calendar(ics).map(|cal| {
        attendee::needs_action(&cal, &refs(&my_addresses))
            .into_iter()
            .map(|r| r.map(|r| r.to_ical_value()))
            .collect::<Vec<_>>()
    }))
}

/// `attendeeStatuses(ics)` -> AttendeeStatus[].
#[wasm_bindgen(js_name = attendeeStatuses)]
pub fn attendee_statuses(ics: &str) -> Result<JsValue, JsValue> {
    out(calendar(ics).map(|cal| status::attendee_statuses(&cal)))
}

/// `gcalAttendeeStatuses(event)` -> AttendeeStatus[] of a Calendar API event.
#[cfg(feature = "gcal")]
#[wasm_bindgen(js_name = gcalAttendeeStatuses)]
pub fn gcal_attendee_statuses(event: JsValue) -> Result<JsValue, JsValue> {
    out(Ok(davkit::gcal::attendee_statuses(
        &read::value(&event).into_value(),
    )))
}

/// `itipRequest(ics)` -> text.
#[wasm_bindgen(js_name = itipRequest)]
pub fn itip_request(ics: &str) -> Result<String, JsValue> {
    js(calendar(ics).and_then(|cal| itip::request(&cal)))
}

/// `itipCancel(ics, occurrence?)` -> text.
#[wasm_bindgen(js_name = itipCancel)]
pub fn itip_cancel(ics: &str, occurrence: Option<String>) -> Result<String, JsValue> {
    js((|| {
        itip::cancel(&calendar(ics)?, self::occurrence(occurrence)?.as_ref())
    })())
}

/// `itipReply(ics, myAddresses, dtstamp, occurrence?)` -> text.
#[wasm_bindgen(js_name = itipReply)]
pub fn itip_reply(
    ics: &str,
    my_addresses: Vec<String>,
    dtstamp: &str,
    occurrence: Option<String>,
) -> Result<String, JsValue> {
    js((|| {
        let rid = self::occurrence(occurrence)?;
        itip::reply(&calendar(ics)?, &refs(&my_addresses), rid.as_ref(), dtstamp)
    })())
}

/// `itipParse(text)` -> `{ method, uid, sequence, replyingAttendee, storedIcs }`.
#[wasm_bindgen(js_name = itipParse)]
pub fn itip_parse(text: &str) -> Result<JsValue, JsValue> {
    out(Message::parse(text).map(|m| Parsed {
        method: m.method.clone(),
        uid: m.uid.clone(),
        sequence: m.sequence(),
        replying_attendee: m.replying_attendee(),
        stored_ics: m.to_stored().to_ics(),
    }))
}

/// `itipApply(storedIcs, message, myAddresses)` -> `{ applied, ics }`.
#[wasm_bindgen(js_name = itipApply)]
pub fn itip_apply(
    stored_ics: &str,
    message: &str,
    my_addresses: Vec<String>,
) -> Result<JsValue, JsValue> {
    out((|| {
        let mut stored = calendar(stored_ics)?;
        let m = Message::parse(message)?;
        let applied = itip::apply(&mut stored, &m, &refs(&my_addresses))?;
        Ok(AppliedOut {
            applied,
            ics: stored.to_ics(),
        })
    })())
}

/// `freeBusyRequestText(request)` -> the VFREEBUSY REQUEST text `outboxFreeBusy` posts.
#[wasm_bindgen(js_name = freeBusyRequestText)]
pub fn free_busy_request_text(request: JsValue) -> Result<String, JsValue> {
    js(free_busy_request(&request).and_then(|r| r.to_icalendar()))
}

#[cfg(feature = "gcal")]
#[wasm_bindgen]
impl Client {
    /// `gcalSetAttendees(calendarId, eventId, attendees, etag, send)` -> `WriteResult`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalSetAttendees)]
    pub fn gcal_set_attendees(
        &self,
        calendar_id: String,
        event_id: String,
        attendees: JsValue,
        etag: String,
        send: JsValue,
    ) -> Promise {
        let call = (|| {
            let (list, send) = (gcal_attendees(&attendees)?, send_updates(&send)?);
            Ok(Call::new(move |s| {
                s.gcal_set_attendees(&calendar_id, &event_id, &list, &etag, send)
            }))
        })();
        self.call(call, plain)
    }

    /// `gcalRespond(calendarId, eventId, myEmail, answer, send)` -> `{ write, attempts }`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalRespond)]
    pub fn gcal_respond(
        &self,
        calendar_id: String,
        event_id: String,
        my_email: String,
        answer: JsValue,
        send: JsValue,
    ) -> Promise {
        let call = (|| {
            let (answer, send) = (self::answer(&answer)?, send_updates(&send)?);
            Ok(Call::new(move |s| {
                s.gcal_respond(&calendar_id, &event_id, &my_email, &answer, send)
            }))
        })();
        self.call(call, plain)
    }

    /// `gcalFreeBusy(start, end, calendars)` -> `[{ recipient, requestStatus, ok, busy }]`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalFreeBusy)]
    pub fn gcal_free_busy(&self, start: String, end: String, calendars: Vec<String>) -> Promise {
        let call = Call::new(move |s| s.gcal_free_busy(&start, &end, &calendars));
        self.call(Ok(call), plain)
    }
}
