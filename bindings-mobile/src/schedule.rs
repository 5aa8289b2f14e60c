//! Scheduling (issue 17): invitations, answers, attendee statuses, free-busy and iTIP messages,
//! from the core's one implementation (`davkit::rfc5546`, `davkit::ops::schedule`,
//! `davkit::ops::freebusy`, `davkit::gcal` scheduling). The core's records and enums cross as
//! they are (their uniffi derives, some renamed: `ItipMethod`, `ItipApplied`,
//! `MeetingChange`); events cross as iCalendar text and come back as text. Every function here
//! parses its arguments, calls the core and converts the result: no scheduling rule lives here.

use davkit::gcal::{GcalAttendee, GcalResponded, SendUpdates};
use davkit::icalendar::{CalAddress, CalDateTime, Calendar};
use davkit::ops::schedule::{Pending, Responded, ScheduledObject, ScheduledWrite};
use davkit::rfc5546::organizer::Change as MeetingChange;
use davkit::rfc5546::{
    Answer, Applied, AttendeeStatus, Message, Method, attendee, itip, organizer,
};
use davkit::{FreeBusy, FreeBusyRequest, RecipientFreeBusy, Scheduling, TimeRange, WriteResult};

use crate::client::DavClient;
use crate::content::ical_error;
use crate::error::DavError;
use crate::gcal::json_arg;

type Result<T> = std::result::Result<T, DavError>;

fn calendar(ics: &str) -> Result<Calendar> {
    Calendar::parse(ics).map_err(ical_error)
}

/// An occurrence given as its RECURRENCE-ID value (`20250303T090000Z`, or a date-time without
/// `Z` for a floating one, or a DATE).
fn occurrence(value: Option<String>) -> Result<Option<CalDateTime>> {
    value.map(|v| rid(&v)).transpose()
}

fn rid(value: &str) -> Result<CalDateTime> {
    CalDateTime::parse(value.trim(), None)
        .map_err(|e| DavError::invalid_input(format!("an occurrence: {e}")))
}

fn refs(addresses: &[String]) -> Vec<&str> {
    addresses.iter().map(String::as_str).collect()
}

/// An organizer's edit of a meeting: the text to write and what changed in each component.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct MeetingUpdate {
    /// The iCalendar text to write back (conditionally, with the ETag it was read with).
    pub ics: String,
    /// One row per component: its RECURRENCE-ID, whether the change was significant and the
    /// SEQUENCE now written.
    pub changes: Vec<MeetingChange>,
}

/// A received iTIP message, read.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ItipMessage {
    /// The METHOD.
    pub method: Method,
    /// The UID every component shares.
    pub uid: String,
    /// The highest SEQUENCE of its components.
    pub sequence: i64,
    /// The sender of a REPLY (its first ATTENDEE).
    pub replying_attendee: Option<CalAddress>,
    /// The calendar to store for a new invitation (the message without METHOD).
    pub stored_ics: String,
}

/// What `itipApply` did, and the stored event afterwards.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ItipApplyResult {
    /// `Updated` (write `ics` back), `Outdated`, `UnknownAttendee` or `Unhandled`.
    pub applied: Applied,
    /// The stored event's text after the message (unchanged unless `Updated`).
    pub ics: String,
}

/// The address to write as ORGANIZER for a principal (`Discovery.scheduling`): the preferred
/// one, else the first `mailto:`, else the first; `null` when the server reported none.
#[uniffi::export]
pub fn organizer_address(scheduling: Scheduling) -> Option<CalAddress> {
    organizer::organizer_address(&scheduling)
}

/// The address of a user by e-mail (`mailto:` URI, no parameters), for `scheduleInvite`.
#[uniffi::export]
pub fn cal_address_from_email(email: String) -> CalAddress {
    CalAddress::from_email(email.trim())
}

/// Makes an event a meeting: ORGANIZER and ATTENDEEs (NEEDS-ACTION, RSVP) set, SEQUENCE 0
/// where absent, DTSTAMP `dtstamp` (UTC `YYYYMMDDTHHMMSSZ`). Returns the text to create.
#[uniffi::export]
pub fn schedule_invite(
    ics: String,
    organizer: CalAddress,
    attendees: Vec<CalAddress>,
    dtstamp: String,
) -> Result<String> {
    let mut cal = calendar(&ics)?;
    organizer::invite(&mut cal, &organizer, &attendees, &dtstamp)?;
    Ok(cal.to_ics())
}

/// Prepares an edited meeting (`new_ics`) against the version read (`old_ics`): SEQUENCE
/// bumped on a significant change, DTSTAMP set, answers reset when `reset_answers`.
#[uniffi::export]
pub fn schedule_update(
    old_ics: String,
    new_ics: String,
    dtstamp: String,
    reset_answers: bool,
) -> Result<MeetingUpdate> {
    let old = calendar(&old_ics)?;
    let mut new = calendar(&new_ics)?;
    let changes = organizer::update(&old, &mut new, &dtstamp, reset_answers)?;
    Ok(MeetingUpdate {
        ics: new.to_ics(),
        changes,
    })
}

/// Cancels the whole meeting (STATUS:CANCELLED, SEQUENCE bumped) in the organizer's copy.
#[uniffi::export]
pub fn schedule_cancel(ics: String, dtstamp: String) -> Result<String> {
    let mut cal = calendar(&ics)?;
    organizer::cancel(&mut cal, &dtstamp)?;
    Ok(cal.to_ics())
}

/// Cancels one occurrence (EXDATE on the series, override removed, SEQUENCE bumped).
#[uniffi::export]
pub fn schedule_cancel_occurrence(
    ics: String,
    recurrence_id: String,
    dtstamp: String,
) -> Result<String> {
    let mut cal = calendar(&ics)?;
    let rid = rid(&recurrence_id)?;
    organizer::cancel_occurrence(&mut cal, &rid, &dtstamp)?;
    Ok(cal.to_ics())
}

/// Sets SCHEDULE-AGENT (`SERVER`, `CLIENT`, `NONE`) on one attendee; `null` when there is no
/// such attendee, else the new text.
#[uniffi::export]
pub fn schedule_set_agent(ics: String, address: String, agent: String) -> Result<Option<String>> {
    let mut cal = calendar(&ics)?;
    Ok(organizer::set_schedule_agent(&mut cal, &address, &agent)?.then(|| cal.to_ics()))
}

/// The attendees the app must notify itself (SCHEDULE-AGENT=CLIENT, or every one when the
/// server does not schedule).
#[uniffi::export]
pub fn schedule_client_scheduled(ics: String, server_schedules: bool) -> Result<Vec<String>> {
    Ok(organizer::client_scheduled(
        &calendar(&ics)?,
        server_schedules,
    ))
}

/// Every attendee's PARTSTAT, RSVP, SCHEDULE-AGENT and SCHEDULE-STATUS, for the series and
/// each override.
#[uniffi::export]
pub fn attendee_statuses(ics: String) -> Result<Vec<AttendeeStatus>> {
    Ok(davkit::rfc5546::status::attendee_statuses(&calendar(&ics)?))
}

/// The attendees of a Calendar API event (JSON text) as the same typed rows.
#[uniffi::export]
pub fn gcal_attendee_statuses(event_json: String) -> Result<Vec<AttendeeStatus>> {
    let event = json_arg("the event", &event_json)?;
    Ok(davkit::gcal::attendee_statuses(&event))
}

/// Writes an answer in a copy held locally (no request): the series (`occurrence` `null`) or
/// one occurrence. For a copy on a scheduling server use `DavClient.respond`.
#[uniffi::export(default(occurrence = None))]
pub fn schedule_answer(
    ics: String,
    my_addresses: Vec<String>,
    answer: Answer,
    occurrence: Option<String>,
) -> Result<String> {
    let mut cal = calendar(&ics)?;
    let rid = self::occurrence(occurrence)?;
    attendee::respond(&mut cal, &refs(&my_addresses), &answer, rid.as_ref())?;
    Ok(cal.to_ics())
}

/// The components still waiting for this user's answer: `null` for the series, else the
/// RECURRENCE-ID value of an override.
#[uniffi::export]
pub fn schedule_needs_action(
    ics: String,
    my_addresses: Vec<String>,
) -> Result<Vec<Option<String>>> {
    let cal = calendar(&ics)?;
    Ok(attendee::needs_action(&cal, &refs(&my_addresses))
        .into_iter()
        .map(|r| r.map(|r| r.to_ical_value()))
        .collect())
}

/// An iTIP REQUEST for the whole meeting (for apps whose server does not schedule).
#[uniffi::export]
pub fn itip_request(ics: String) -> Result<String> {
    Ok(itip::request(&calendar(&ics)?)?)
}

/// An iTIP CANCEL of the whole meeting or of one occurrence (cancel in the copy first).
#[uniffi::export(default(occurrence = None))]
pub fn itip_cancel(ics: String, occurrence: Option<String>) -> Result<String> {
    let rid = self::occurrence(occurrence)?;
    Ok(itip::cancel(&calendar(&ics)?, rid.as_ref())?)
}

/// An iTIP REPLY from this user with the answer stored in `ics` (answer first).
#[uniffi::export(default(occurrence = None))]
pub fn itip_reply(
    ics: String,
    my_addresses: Vec<String>,
    dtstamp: String,
    occurrence: Option<String>,
) -> Result<String> {
    let rid = self::occurrence(occurrence)?;
    Ok(itip::reply(
        &calendar(&ics)?,
        &refs(&my_addresses),
        rid.as_ref(),
        &dtstamp,
    )?)
}

/// Reads a received iTIP message.
#[uniffi::export]
pub fn itip_parse(text: String) -> Result<ItipMessage> {
    let m = Message::parse(&text)?;
    Ok(ItipMessage {
        method: m.method.clone(),
        uid: m.uid.clone(),
        sequence: m.sequence(),
        replying_attendee: m.replying_attendee(),
        stored_ics: m.to_stored().to_ics(),
    })
}

/// Applies a received iTIP message to the stored event with the same UID (REPLY to the
/// organizer's copy, CANCEL or REQUEST to an attendee's).
#[uniffi::export]
pub fn itip_apply(
    stored_ics: String,
    message: String,
    my_addresses: Vec<String>,
) -> Result<ItipApplyResult> {
    let mut stored = calendar(&stored_ics)?;
    let m = Message::parse(&message)?;
    let applied = itip::apply(&mut stored, &m, &refs(&my_addresses))?;
    Ok(ItipApplyResult {
        applied,
        ics: stored.to_ics(),
    })
}

/// The RFC 6638 §5 outbox free-busy request as iCalendar text (what `outboxFreeBusy` POSTs).
#[uniffi::export]
pub fn free_busy_request_text(request: FreeBusyRequest) -> Result<String> {
    Ok(request.to_icalendar()?)
}

#[uniffi::export]
impl DavClient {
    /// Reads a scheduling object with its ETag and Schedule-Tag.
    pub async fn get_scheduled(&self, url: String) -> Result<ScheduledObject> {
        Ok(self.inner.get_scheduled(&url).await?)
    }

    /// Writes an attendee's copy under `If-Schedule-Tag-Match`; `PreconditionFailed` when the
    /// organizer changed it since.
    pub async fn update_scheduled(
        &self,
        url: String,
        data: String,
        schedule_tag: String,
    ) -> Result<ScheduledWrite> {
        Ok(self
            .inner
            .update_scheduled(&url, &data, &schedule_tag)
            .await?)
    }

    /// Answers an invitation stored at `url` for the series (`occurrence` `null`) or one
    /// occurrence (its RECURRENCE-ID value), re-reading and answering again after a 412.
    #[uniffi::method(default(occurrence = None))]
    pub async fn respond(
        &self,
        url: String,
        my_addresses: Vec<String>,
        answer: Answer,
        occurrence: Option<String>,
    ) -> Result<Responded> {
        let rid = self::occurrence(occurrence)?;
        Ok(self
            .inner
            .respond(&url, &my_addresses, &answer, rid.as_ref())
            .await?)
    }

    /// The invitations waiting for the user: inbox items and NEEDS-ACTION objects of
    /// `calendar_urls` (events and tasks overlapping `range` when one is given).
    #[uniffi::method(default(range = None))]
    pub async fn pending_invitations(
        &self,
        inbox_url: Option<String>,
        calendar_urls: Vec<String>,
        my_addresses: Vec<String>,
        range: Option<TimeRange>,
    ) -> Result<Pending> {
        Ok(self
            .inner
            .pending_invitations(inbox_url.as_deref(), &calendar_urls, &my_addresses, range)
            .await?)
    }

    /// Busy time of a calendar between `start` and `end` (UTC `YYYYMMDDTHHMMSSZ`), RFC 4791
    /// free-busy-query.
    pub async fn free_busy_query(
        &self,
        calendar_url: String,
        start: String,
        end: String,
    ) -> Result<FreeBusy> {
        Ok(self
            .inner
            .free_busy_query(&calendar_url, &start, &end)
            .await?)
    }

    /// Busy time of several users through the organizer's scheduling outbox (RFC 6638 §5).
    pub async fn outbox_free_busy(
        &self,
        outbox_url: String,
        request: FreeBusyRequest,
    ) -> Result<Vec<RecipientFreeBusy>> {
        Ok(self.inner.outbox_free_busy(&outbox_url, &request).await?)
    }

    /// Google Calendar API: sets an event's attendees under `If-Match: etag` and notifies
    /// them as `send` says.
    pub async fn gcal_set_attendees(
        &self,
        calendar_id: String,
        event_id: String,
        attendees: Vec<GcalAttendee>,
        etag: String,
        send: SendUpdates,
    ) -> Result<WriteResult> {
        Ok(self
            .inner
            .gcal_set_attendees(&calendar_id, &event_id, &attendees, &etag, send)
            .await?)
    }

    /// Google Calendar API: answers an invitation (re-read and retried after a 412);
    /// delegation is `Unsupported`.
    pub async fn gcal_respond(
        &self,
        calendar_id: String,
        event_id: String,
        my_email: String,
        answer: Answer,
        send: SendUpdates,
    ) -> Result<GcalResponded> {
        Ok(self
            .inner
            .gcal_respond(&calendar_id, &event_id, &my_email, &answer, send)
            .await?)
    }

    /// Google Calendar API: busy time of several calendars (freeBusy.query).
    pub async fn gcal_free_busy(
        &self,
        start: String,
        end: String,
        calendars: Vec<String>,
    ) -> Result<Vec<RecipientFreeBusy>> {
        Ok(self.inner.gcal_free_busy(&start, &end, &calendars).await?)
    }
}
