//! Scheduling requests (RFC 6638 §3): reading a scheduling object with its `Schedule-Tag`,
//! writing an attendee's change with `If-Schedule-Tag-Match` (§3.2-§3.3, so a reply never
//! overwrites a newer version from the organizer), answering an invitation with a re-read and
//! retry after a 412, and listing the invitations that wait for an answer (the scheduling
//! inbox and the objects the server placed in calendars).
//!
//! The edits themselves are in [`rfc5546`](crate::rfc5546). The organizer writes through the
//! normal conditional writes ([`Session::create_object`], [`Session::update_object`],
//! [`Session::delete_object`]); a processed inbox item is removed with
//! [`Session::delete_object`] and its ETag.

use serde::{Deserialize, Serialize};

use crate::client::{DavClient, TokenProvider};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Reply, Spec};
use crate::http::{HttpResponse, Method};
use crate::icalendar::CalDateTime;
use crate::op::Transport;
use crate::ops::single::SingleExchange;
use crate::rfc4791::TimeRange;
use crate::rfc5546::{Answer, itip};
use crate::session::Session;
use crate::xml::{CALDAV, QName};

mod pending;
mod respond;
pub use pending::{PendingInvitations, ScheduledCollection, ScheduledQueries, pending_from};
pub use respond::{Respond, RespondAnswer, RespondNext, RespondRequest, RespondSteps};

/// `CALDAV:schedule-tag` (RFC 6638 §9.3).
pub const SCHEDULE_TAG: QName = QName::new(CALDAV, "schedule-tag");

/// How many times [`Session::respond`] reads and writes before giving up when the organizer
/// keeps changing the event (each 412 costs one more read and write).
pub const MAX_RESPOND_ATTEMPTS: u32 = 3;

/// A scheduling object as read: its data with the validators a scheduling write needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct ScheduledObject {
    /// The absolute URL.
    pub url: String,
    /// The ETag, verbatim.
    pub etag: Option<String>,
    /// The `Schedule-Tag` (RFC 6638 §3.2.10), verbatim: it changes only when the organizer
    /// changes the event, not when another attendee's answer is merged in. `None` on a server
    /// that does not schedule.
    pub schedule_tag: Option<String>,
    /// The iCalendar text.
    pub data: String,
}

/// What a scheduling write left on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct ScheduledWrite {
    /// The resource's URL.
    pub url: String,
    /// The new ETag, when the server sent one.
    pub etag: Option<String>,
    /// The new `Schedule-Tag`, when the server sent one.
    pub schedule_tag: Option<String>,
}

/// What [`Session::respond`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Responded {
    /// The write, or `None` when the stored copy already held this answer (nothing sent).
    pub write: Option<ScheduledWrite>,
    /// How many times the object was read (1 when the first write went through; one more
    /// for each 412 or write lost in transit; at most [`MAX_RESPOND_ATTEMPTS`], plus one read
    /// after a last write lost in transit).
    pub attempts: u32,
    /// The text that was written (or found already holding the answer).
    pub data: String,
}

/// An invitation waiting for the user: an inbox item, or an object in a calendar where the
/// user's PARTSTAT is `NEEDS-ACTION`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Invitation {
    /// The object, with its ETag and Schedule-Tag.
    pub object: ScheduledObject,
    /// True for an item of the scheduling inbox (an iTIP message: remove it with
    /// [`Session::delete_object`] once processed), false for an object in a calendar.
    pub in_inbox: bool,
    /// The iTIP METHOD of an inbox item (`REQUEST`, `CANCEL`, `REPLY` ...).
    pub method: Option<itip::Method>,
    /// The UID.
    pub uid: String,
    /// SUMMARY of the series (or of the first component).
    pub summary: Option<String>,
    /// The ORGANIZER address.
    pub organizer: Option<String>,
    /// The components waiting for the user's answer: `None` for the series, else the
    /// RECURRENCE-ID value of an override. Empty for inbox items that need no answer (a
    /// CANCEL, a REPLY).
    pub needs_action: Vec<Option<String>>,
}

/// What [`Session::pending_invitations`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Pending {
    /// The invitations, inbox items first, then by collection in the order asked.
    pub invitations: Vec<Invitation>,
    /// The URLs of objects whose data could not be read as a scheduling object (malformed,
    /// several UIDs): reported, not hidden.
    pub unreadable: Vec<String>,
}

impl Session {
    /// Reads one object with GET, with its `ETag` and `Schedule-Tag`.
    pub fn get_scheduled(&self, url: &str) -> SingleExchange<ScheduledObject> {
        let url = match self.url(url) {
            Ok(u) => u,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let spec = crate::ops::objects::get_object_spec(url);
        SingleExchange::new(self.ctx.clone(), spec, read_scheduled)
    }

    /// Writes an attendee's copy only if its `Schedule-Tag` is still `schedule_tag`
    /// (`If-Schedule-Tag-Match`, RFC 6638 §3.2.10): the organizer's newer version is never
    /// overwritten. A 412 is a [`ErrorKind::PreconditionFailed`] error: read the object again,
    /// answer again, write again ([`Session::respond`] does all of it).
    ///
    /// Refused as [`ErrorKind::Unsupported`] before any request on the `google-caldav`
    /// profile: Google CalDAV honours no `If*` header but `If-Match` (server-profiles §Google
    /// CalDAV), so the write would be unconditional.
    pub fn update_scheduled(
        &self,
        url: &str,
        data: &str,
        schedule_tag: &str,
    ) -> SingleExchange<ScheduledWrite> {
        if schedule_tag_ignored(&self.ctx.profile) {
            return SingleExchange::failed(
                self.ctx.clone(),
                Error::new(
                    ErrorKind::Unsupported,
                    "Google CalDAV honours no If* header but If-Match, so an \
                     If-Schedule-Tag-Match write would be unconditional: answer with respond \
                     (which writes under If-Match there) or write with update_object and the ETag",
                )
                .with_url(url),
            );
        }
        self.put_scheduled(url, data, Some(schedule_tag), None)
    }

    /// Writes a scheduling object under `If-Schedule-Tag-Match` when `schedule_tag` is given,
    /// else under `If-Match` with `etag` ([`ErrorKind::InvalidInput`] with neither: davkit
    /// never writes without a precondition). A 412 is an [`ErrorKind::PreconditionFailed`]
    /// error. The write [`Session::respond`] makes ([`update_scheduled`](Session::update_scheduled)
    /// checks the profile first).
    pub fn put_scheduled(
        &self,
        url: &str,
        data: &str,
        schedule_tag: Option<&str>,
        etag: Option<&str>,
    ) -> SingleExchange<ScheduledWrite> {
        let spec = match self
            .url(url)
            .and_then(|u| scheduled_put(u, data, schedule_tag, etag))
        {
            Ok(s) => s,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        SingleExchange::new(self.ctx.clone(), spec, written)
    }

    /// Answers an invitation stored at `url` (an object in one of the user's calendars): reads
    /// it, writes `answer` for the user (one of `my_addresses`) on the series or one occurrence
    /// ([`attendee::respond`](crate::rfc5546::attendee::respond)), and writes it back with
    /// `If-Schedule-Tag-Match` (or `If-Match` on a server that sends no Schedule-Tag, and
    /// always on Google CalDAV, which honours no other `If*` header). After a 412 (the
    /// organizer changed the event in between) or a write lost in transit it reads again and
    /// answers the new version, at most [`MAX_RESPOND_ATTEMPTS`] times; a copy that already
    /// holds the answer is not written again ([`RespondSteps`]).
    pub fn respond(
        &self,
        url: &str,
        my_addresses: &[String],
        answer: &Answer,
        occurrence: Option<&CalDateTime>,
    ) -> Respond {
        let steps = RespondSteps::new(
            url,
            my_addresses,
            answer,
            occurrence,
            &self.ctx.profile,
            self.ctx.limits,
        );
        Respond::new(steps, self.clone())
    }
}

/// Whether the server ignores `If-Schedule-Tag-Match`: Google CalDAV honours no `If*` header
/// but `If-Match` (server-profiles §Google CalDAV, "the If* header (except for If-Match)" is
/// unsupported), so a scheduling write there is conditioned on the ETag only.
fn schedule_tag_ignored(profile: &crate::Profile) -> bool {
    profile.name == "google-caldav"
}

fn header(r: &HttpResponse, name: &str) -> Option<String> {
    r.header(name).map(|v| v.trim().to_owned())
}

fn read_scheduled(reply: Reply) -> Result<ScheduledObject> {
    let Reply { url, response } = reply;
    if response.status != 200 {
        return Err(Error::from_response(url.as_str(), &response));
    }
    let data = String::from_utf8(response.body.clone()).map_err(|_| {
        Error::new(ErrorKind::Protocol, "the object is not UTF-8 text").with_url(url.as_str())
    })?;
    Ok(ScheduledObject {
        url: url.to_string(),
        etag: crate::ops::objects::object_etag(&response),
        schedule_tag: header(&response, "schedule-tag"),
        data,
    })
}

fn written(reply: Reply) -> Result<ScheduledWrite> {
    let Reply { url, response } = reply;
    if response.status == 412 {
        return Err(stale(url.as_str()));
    }
    if !response.is_success() {
        return Err(Error::from_response(url.as_str(), &response));
    }
    // A login proxy's or captive portal's page: whether the server applied the write is
    // unknown (read the object to know).
    crate::ops::write::refuse_page(url.as_str(), &response)?;
    Ok(ScheduledWrite {
        url: url.to_string(),
        etag: header(&response, "etag"),
        schedule_tag: header(&response, "schedule-tag"),
    })
}

fn stale(url: &str) -> Error {
    Error::new(
        ErrorKind::PreconditionFailed,
        "the organizer changed the event since it was read (Schedule-Tag or ETag no longer \
         matches): read it again and answer the new version",
    )
    .with_status(412)
    .with_url(url)
}

/// A PUT of a scheduling object under `If-Schedule-Tag-Match`, else `If-Match`.
fn scheduled_put(
    url: crate::url::Url,
    data: &str,
    schedule_tag: Option<&str>,
    etag: Option<&str>,
) -> Result<Spec> {
    let spec =
        Spec::new(Method::Put, url).body("text/calendar; charset=utf-8", data.as_bytes().to_vec());
    let etag = etag.map(crate::ops::objects::strong_form);
    match (schedule_tag.map(str::trim), etag) {
        (Some(t), _) if !t.is_empty() => Ok(spec.header("If-Schedule-Tag-Match", t)),
        (_, Some(e)) if !e.is_empty() => Ok(spec.header("If-Match", e)),
        _ => Err(Error::new(
            ErrorKind::InvalidInput,
            "a Schedule-Tag (or an ETag) is required: davkit never writes without a precondition",
        )),
    }
}

impl<T: Transport, P: TokenProvider> DavClient<T, P> {
    /// Reads a scheduling object with its ETag and Schedule-Tag: [`Session::get_scheduled`].
    pub async fn get_scheduled(&self, url: &str) -> Result<ScheduledObject> {
        self.run(|s| s.get_scheduled(url)).await
    }

    /// Writes an attendee's copy under `If-Schedule-Tag-Match`:
    /// [`Session::update_scheduled`].
    pub async fn update_scheduled(
        &self,
        url: &str,
        data: &str,
        schedule_tag: &str,
    ) -> Result<ScheduledWrite> {
        self.run(|s| s.update_scheduled(url, data, schedule_tag))
            .await
    }

    /// Answers an invitation, re-reading and retrying after a 412: [`Session::respond`].
    pub async fn respond(
        &self,
        url: &str,
        my_addresses: &[String],
        answer: &Answer,
        occurrence: Option<&CalDateTime>,
    ) -> Result<Responded> {
        self.run(|s| s.respond(url, my_addresses, answer, occurrence))
            .await
    }

    /// Lists the invitations waiting for an answer: [`Session::pending_invitations`].
    pub async fn pending_invitations(
        &self,
        inbox_url: Option<&str>,
        calendar_urls: &[String],
        my_addresses: &[String],
        range: Option<TimeRange>,
    ) -> Result<Pending> {
        self.run(|s| s.pending_invitations(inbox_url, calendar_urls, my_addresses, range.clone()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Credentials, HttpRequest, Operation, Poll};

    fn object(kind: &str, uid: &str) -> String {
        format!(
            "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:{kind}&#13;\nUID:{uid}&#13;\n\
             DTSTAMP:20270101T000000Z&#13;\nDTSTART:20270104T090000Z&#13;\n\
             ORGANIZER:mailto:alice@example.com&#13;\n\
             ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com&#13;\nEND:{kind}&#13;\n\
             END:VCALENDAR&#13;\n"
        )
    }

    fn multistatus(base: &str, rows: &[(&str, String)]) -> HttpResponse {
        let mut body = String::from(
            "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">",
        );
        for (name, data) in rows {
            body.push_str(&format!(
                "<d:response><d:href>{base}{name}</d:href><d:propstat><d:prop>\
                 <d:getetag>\"1\"</d:getetag><c:calendar-data>{data}</c:calendar-data>\
                 </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
            ));
        }
        body.push_str("</d:multistatus>");
        HttpResponse::new(207, body)
    }

    /// With a time range, events and tasks are asked in one query each (RFC 4791 filters one
    /// component type per time range), and an object both answer is listed once.
    #[test]
    fn a_time_range_lists_events_and_tasks() {
        let session = Session::new(Config::new("https://cal.example.com/", Credentials::None))
            .expect("session");
        let range = TimeRange {
            start: Some("20270101T000000Z".into()),
            end: Some("20270201T000000Z".into()),
        };
        let mut op = session.pending_invitations(
            None,
            &["https://cal.example.com/bob/cal/".to_owned()],
            &["mailto:bob@example.com".to_owned()],
            Some(range),
        );
        let mut sent: Vec<HttpRequest> = Vec::new();
        while let Poll::Send(r) = op.poll() {
            sent.push(r);
        }
        assert_eq!(sent.len(), 2, "one query for events, one for tasks");
        let both = object("VEVENT", "both");
        for r in &sent {
            let body = r.body_text().expect("a text body");
            assert!(body.contains("time-range"), "{body}");
            let rows = if body.contains("\"VEVENT\"") {
                vec![("e.ics", object("VEVENT", "e")), ("both.ics", both.clone())]
            } else {
                assert!(body.contains("\"VTODO\""), "{body}");
                vec![("t.ics", object("VTODO", "t")), ("both.ics", both.clone())]
            };
            op.handle_response(r.id, multistatus("/bob/cal/", &rows));
        }
        let Poll::Done(result) = op.poll() else {
            panic!("the operation did not finish once both queries were answered");
        };
        let pending = result.expect("pending invitations");
        let mut uids: Vec<&str> = pending.invitations.iter().map(|i| i.uid.as_str()).collect();
        uids.sort_unstable();
        assert_eq!(uids, ["both", "e", "t"]);
    }

    /// Google CalDAV stores no tasks: with a time range only the events are asked for.
    #[test]
    fn a_time_range_on_google_asks_for_events_only() {
        let mut config = Config::new(
            "https://apidata.googleusercontent.com/caldav/v2/bob%40gmail.com/events/",
            Credentials::Bearer { token: "t".into() },
        );
        config.profile = Some(crate::Profile::google_caldav());
        let session = Session::new(config).expect("session");
        let range = TimeRange {
            start: Some("20270101T000000Z".into()),
            end: Some("20270201T000000Z".into()),
        };
        let mut op = session.pending_invitations(
            None,
            &["https://apidata.googleusercontent.com/caldav/v2/bob%40gmail.com/events/".into()],
            &["mailto:bob@example.com".to_owned()],
            Some(range),
        );
        let Poll::Send(r) = op.poll() else {
            panic!("no query sent");
        };
        assert!(matches!(op.poll(), Poll::Wait), "one query only");
        let body = r.body_text().expect("a text body");
        assert!(
            body.contains("\"VEVENT\"") && !body.contains("VTODO"),
            "{body}"
        );
        let base = "/caldav/v2/bob%40gmail.com/events/";
        op.handle_response(r.id, multistatus(base, &[("e.ics", object("VEVENT", "e"))]));
        let Poll::Done(result) = op.poll() else {
            panic!("the operation did not finish");
        };
        assert_eq!(result.expect("pending").invitations.len(), 1);
    }
}
