//! RFC 6638 §5 free-busy through the scheduling outbox: the organizer POSTs one `VFREEBUSY`
//! request for several calendar users and reads the `schedule-response`, one status and one
//! `VFREEBUSY` reply per recipient.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::contentline;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Reply, Spec};
use crate::http::Method;
use crate::limits::Limits;
use crate::ops::single::SingleExchange;
use crate::session::Session;
use crate::xml::CALDAV;

use super::{BusyPeriod, MAX_BUSY_PERIODS, parse_free_busy, parse_utc};

/// Most attendees one outbox free-busy request may ask about; more is an
/// [`InvalidInput`](crate::ErrorKind::InvalidInput) error before anything is sent.
pub const MAX_FREE_BUSY_ATTENDEES: usize = 1_000;

/// An RFC 6638 §5 free-busy request: the organizer asks the server, through their scheduling
/// outbox, for the busy time of several calendar users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct FreeBusyRequest {
    /// The organizer's calendar-user address (one of
    /// [`Scheduling::user_addresses`](crate::Scheduling::user_addresses), e.g.
    /// `mailto:alice@example.com`).
    pub organizer: String,
    /// The calendar users asked about (`mailto:` addresses).
    pub attendees: Vec<String>,
    /// Start of the window, UTC `YYYYMMDDTHHMMSSZ`.
    pub start: String,
    /// End of the window (exclusive), UTC `YYYYMMDDTHHMMSSZ`.
    pub end: String,
    /// The request's `UID` (any unique text; the core makes up nothing).
    pub uid: String,
    /// The request's `DTSTAMP`, UTC `YYYYMMDDTHHMMSSZ`: now (the core has no clock).
    pub dtstamp: String,
}

/// One recipient's answer in an outbox free-busy request (RFC 6638 §10.1
/// `schedule-response`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct RecipientFreeBusy {
    /// The recipient, as the server wrote it.
    pub recipient: String,
    /// The iTIP `REQUEST-STATUS` (RFC 5545 §3.8.8.3), e.g. `2.0;Success` or
    /// `3.7;Invalid calendar user`.
    pub request_status: String,
    /// Whether the status is a success (`2.x`) and the busy time was read.
    pub ok: bool,
    /// The recipient's busy periods in the window, merged per type (empty unless `ok`).
    pub busy: Vec<BusyPeriod>,
}

impl FreeBusyRequest {
    /// The `METHOD:REQUEST` `VFREEBUSY` text (RFC 6638 §5, RFC 5546 §3.3.2), or an
    /// `InvalidInput` error for a window that is not two ordered UTC times, no attendee, more
    /// than [`MAX_FREE_BUSY_ATTENDEES`], or a value with a line break or control character.
    pub fn to_icalendar(&self) -> Result<String> {
        self.checked().map(|(text, _)| text)
    }

    /// The rows of the outbox's answer to this request ([`Session::outbox_post`]) read as
    /// [`Session::outbox_free_busy`] reads them: each recipient's busy periods within this
    /// request's window ([`recipients_free_busy`]), or the request's `InvalidInput` error.
    pub fn read_answer(
        &self,
        rows: Vec<ScheduleResponseRow>,
        limits: &Limits,
    ) -> Result<Vec<RecipientFreeBusy>> {
        let (_, window) = self.checked()?;
        recipients_free_busy(rows, window, limits)
    }

    /// The request text and its window.
    fn checked(&self) -> Result<(String, (Timestamp, Timestamp))> {
        let invalid = |m: &str| Error::new(ErrorKind::InvalidInput, m.to_owned());
        let window = match (
            parse_utc(&self.start),
            parse_utc(&self.end),
            parse_utc(&self.dtstamp),
        ) {
            (Some(s), Some(e), Some(_)) if s < e => (s, e),
            _ => {
                return Err(invalid(
                    "a free-busy request's start, end and dtstamp are UTC times \
                     YYYYMMDDTHHMMSSZ, start before end",
                ));
            }
        };
        if self.attendees.is_empty() || self.attendees.len() > MAX_FREE_BUSY_ATTENDEES {
            return Err(invalid(
                "a free-busy request asks about 1 to MAX_FREE_BUSY_ATTENDEES attendees",
            ));
        }
        let clean = |v: &str| {
            !v.trim().is_empty() && !v.chars().any(|c| c.is_control()) && !v.contains('"')
        };
        if !clean(&self.organizer) || !clean(&self.uid) || !self.attendees.iter().all(|a| clean(a))
        {
            return Err(invalid(
                "a free-busy request's organizer, attendees and UID are non-empty text \
                 without control characters or quotes",
            ));
        }
        let mut out = String::new();
        let mut line = |l: String| contentline::fold_into(&l, &mut out);
        line("BEGIN:VCALENDAR".into());
        line("VERSION:2.0".into());
        line("PRODID:-//davkit//free-busy//EN".into());
        line("METHOD:REQUEST".into());
        line("BEGIN:VFREEBUSY".into());
        line(format!("UID:{}", self.uid));
        line(format!("DTSTAMP:{}", self.dtstamp));
        line(format!("DTSTART:{}", self.start));
        line(format!("DTEND:{}", self.end));
        line(format!("ORGANIZER:{}", self.organizer));
        for a in &self.attendees {
            line(format!("ATTENDEE:{a}"));
        }
        line("END:VFREEBUSY".into());
        line("END:VCALENDAR".into());
        Ok((out, window))
    }
}

/// One recipient's row of an RFC 6638 §10.1 `schedule-response`, its `VFREEBUSY` reply not
/// yet read ([`Session::outbox_post`]; [`recipients_free_busy`] reads the rows).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleResponseRow {
    /// The recipient, as the server wrote it.
    pub recipient: String,
    /// The iTIP `REQUEST-STATUS`, e.g. `2.0;Success`.
    pub request_status: String,
    /// The row's `calendar-data` (the recipient's `VFREEBUSY` reply), if any.
    pub calendar_data: Option<String>,
}

impl Session {
    /// Asks, through the organizer's scheduling outbox
    /// ([`Scheduling::outbox_url`](crate::Scheduling::outbox_url)), for the busy time of
    /// several calendar users: one POST of a `VFREEBUSY` request (RFC 6638 §5), answered by a
    /// `schedule-response` with one status and one `VFREEBUSY` reply per recipient.
    ///
    /// A recipient the server could not ask is reported with its status and `ok: false`, not
    /// as an error; an answer that is not a readable `schedule-response` is an error of its
    /// status, or `Protocol`.
    pub fn outbox_free_busy(
        &self,
        outbox_url: &str,
        request: &FreeBusyRequest,
    ) -> SingleExchange<Vec<RecipientFreeBusy>> {
        if let Err(e) = self.refuse_google_free_busy() {
            return SingleExchange::failed(self.ctx.clone(), e);
        }
        let (body, window) = match request.checked() {
            Ok(b) => b,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let limits = self.ctx.limits;
        self.outbox_exchange(outbox_url, body, move |rows| {
            recipients_free_busy(rows, window, &limits)
        })
    }

    /// The POST of [`outbox_free_busy`](Session::outbox_free_busy) with a request text made
    /// already ([`FreeBusyRequest::to_icalendar`]), its answer's rows not yet read as busy time
    /// ([`recipients_free_busy`] reads them): for a host that reads iCalendar apart from its
    /// DAV client.
    pub fn outbox_post(
        &self,
        outbox_url: &str,
        request_text: &str,
    ) -> SingleExchange<Vec<ScheduleResponseRow>> {
        self.outbox_exchange(outbox_url, request_text.to_owned(), Ok)
    }

    fn outbox_exchange<T: 'static>(
        &self,
        outbox_url: &str,
        body: String,
        finish: impl FnOnce(Vec<ScheduleResponseRow>) -> Result<T> + Send + 'static,
    ) -> SingleExchange<T> {
        if let Err(e) = self.refuse_google_free_busy() {
            return SingleExchange::failed(self.ctx.clone(), e);
        }
        let url = match self.url(outbox_url) {
            Ok(u) => u,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let spec =
            Spec::new(Method::Post, url).body("text/calendar; charset=utf-8", body.into_bytes());
        let limits = self.ctx.limits;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            let Reply { url, response } = reply;
            if response.status != 200 {
                return Err(Error::from_response(url.as_str(), &response));
            }
            read_schedule_response(&response.body, &limits)
                .and_then(finish)
                .map_err(|e| e.with_url(url.as_str()))
        })
    }
}

/// Reads an RFC 6638 §10.1 `schedule-response`: per recipient, the request status and the
/// busy periods of its `VFREEBUSY` reply within `window`.
pub fn parse_schedule_response(
    body: &[u8],
    window: (Timestamp, Timestamp),
    limits: &Limits,
) -> Result<Vec<RecipientFreeBusy>> {
    recipients_free_busy(read_schedule_response(body, limits)?, window, limits)
}

/// The rows of an RFC 6638 §10.1 `schedule-response`.
pub fn read_schedule_response(body: &[u8], limits: &Limits) -> Result<Vec<ScheduleResponseRow>> {
    let root = crate::xml::reader::parse_element_with_limits(body, limits)?;
    if !root.name.is(CALDAV, "schedule-response") {
        return Err(Error::new(
            ErrorKind::Protocol,
            "the outbox answer is not a CALDAV:schedule-response",
        ));
    }
    let mut out = Vec::new();
    for r in root.elements().filter(|e| e.name.is(CALDAV, "response")) {
        // RFC 6638 §10.1 wraps the address in a `DAV:href`; SOGo writes it as the element's
        // text (`<C:recipient>mailto:bob@example.com</C:recipient>`), which is read too.
        let recipient = r
            .child(CALDAV, "recipient")
            .and_then(|e| e.hrefs().into_iter().next().or_else(|| e.trimmed_text()))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "a schedule-response row names no recipient",
                )
            })?;
        let request_status = r
            .child(CALDAV, "request-status")
            .and_then(|e| e.trimmed_text())
            .unwrap_or_default();
        let calendar_data = r.child(CALDAV, "calendar-data").map(|e| e.text());
        out.push(ScheduleResponseRow {
            recipient,
            request_status,
            calendar_data,
        });
    }
    Ok(out)
}

/// Each row's busy periods within `window` (a success, `2.x`, with its `VFREEBUSY` reply), or
/// `ok: false` with none.
pub fn recipients_free_busy(
    rows: Vec<ScheduleResponseRow>,
    window: (Timestamp, Timestamp),
    limits: &Limits,
) -> Result<Vec<RecipientFreeBusy>> {
    let mut out = Vec::new();
    let mut periods = 0usize;
    for row in rows {
        let mut ok = row.request_status.starts_with("2.");
        let mut busy = Vec::new();
        if ok {
            match row.calendar_data {
                Some(text) if !text.trim().is_empty() => {
                    busy = parse_free_busy(&text, window, limits)?;
                    periods += busy.len();
                    if periods > MAX_BUSY_PERIODS {
                        return Err(crate::limits::exceeded(format!(
                            "the schedule-response has more than {MAX_BUSY_PERIODS} periods \
                             (freebusy::MAX_BUSY_PERIODS)"
                        )));
                    }
                }
                // a success without the data asked for says nothing about busy time
                _ => ok = false,
            }
        }
        out.push(RecipientFreeBusy {
            recipient: row.recipient,
            request_status: row.request_status,
            ok,
            busy,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> FreeBusyRequest {
        FreeBusyRequest {
            organizer: "mailto:cyrus@example.com".into(),
            attendees: vec![
                "mailto:wilfredo@example.com".into(),
                "mailto:bernard@example.net".into(),
                "mailto:mike@example.org".into(),
            ],
            start: "20090602T000000Z".into(),
            end: "20090604T000000Z".into(),
            uid: "4FD3AD926350".into(),
            dtstamp: "20090602T190420Z".into(),
        }
    }

    /// An answer in the shape of RFC 6638 Appendix B.5's (organizer requesting busy time),
    /// written for this test: one recipient with busy time, one the server does not know, one
    /// it cannot ask.
    const RESPONSE: &str = r#"<?xml version="1.0" encoding="utf-8" ?>
<C:schedule-response xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:response>
<C:recipient><D:href>mailto:wilfredo@example.com</D:href></C:recipient>
<C:request-status>2.0;Success</C:request-status>
<C:calendar-data>BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Server//EN
METHOD:REPLY
BEGIN:VFREEBUSY
UID:4FD3AD926350
DTSTAMP:20090602T200733Z
DTSTART:20090602T000000Z
DTEND:20090604T000000Z
ORGANIZER;CN="Cyrus Daboo":mailto:cyrus@example.com
ATTENDEE;CN="Wilfredo Sanchez Vega":mailto:wilfredo@example.com
FREEBUSY;FBTYPE=BUSY:20090602T110000Z/20090602T120000Z
FREEBUSY;FBTYPE=BUSY:20090603T170000Z/20090603T180000Z
END:VFREEBUSY
END:VCALENDAR
</C:calendar-data>
</C:response>
<C:response>
<C:recipient><D:href>mailto:bernard@example.net</D:href></C:recipient>
<C:request-status>3.7;Invalid calendar user</C:request-status>
</C:response>
<C:response>
<C:recipient><D:href>mailto:mike@example.org</D:href></C:recipient>
<C:request-status>5.3;No scheduling support for user</C:request-status>
</C:response>
</C:schedule-response>"#;

    #[test]
    fn the_request_text() {
        let text = request().to_icalendar().unwrap();
        assert!(
            text.contains("\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nORGANIZER:mailto:cyrus@example.com\r\n"));
        assert_eq!(text.matches("\r\nATTENDEE:").count(), 3);
        // the text is iCalendar the core reads back
        assert!(contentline::parse(&text).is_ok());
        let mut bad = request();
        bad.attendees
            .push("mailto:x@example.com\r\nATTENDEE:mailto:y@example.com".into());
        assert_eq!(
            bad.to_icalendar().err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
        let mut bad = request();
        bad.attendees.clear();
        assert_eq!(
            bad.to_icalendar().err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
        let mut bad = request();
        bad.end = bad.start.clone();
        assert_eq!(
            bad.to_icalendar().err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn reads_the_rfc_6638_schedule_response() {
        let window = (
            parse_utc("20090602T000000Z").unwrap(),
            parse_utc("20090604T000000Z").unwrap(),
        );
        let got = parse_schedule_response(RESPONSE.as_bytes(), window, &Limits::default()).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].recipient, "mailto:wilfredo@example.com");
        assert!(got[0].ok);
        assert_eq!(
            got[0]
                .busy
                .iter()
                .map(|p| (p.start.as_str(), p.end.as_str()))
                .collect::<Vec<_>>(),
            [
                ("20090602T110000Z", "20090602T120000Z"),
                ("20090603T170000Z", "20090603T180000Z")
            ]
        );
        assert_eq!(got[1].request_status, "3.7;Invalid calendar user");
        assert!(!got[1].ok && got[1].busy.is_empty());
        assert!(!got[2].ok);
        // not a schedule-response
        let e = parse_schedule_response(
            b"<D:multistatus xmlns:D=\"DAV:\"/>",
            window,
            &Limits::default(),
        );
        assert_eq!(e.err().map(|e| e.kind()), Some(ErrorKind::Protocol));
    }

    #[test]
    fn the_post() {
        use crate::auth::Credentials;
        use crate::op::{Operation, Poll};
        use crate::session::Config;
        let session =
            Session::new(Config::new("https://cal.example.com/", Credentials::None)).unwrap();
        let mut op = session.outbox_free_busy("/home/cyrus/outbox/", &request());
        let Poll::Send(req) = op.poll() else {
            panic!("a request");
        };
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url, "https://cal.example.com/home/cyrus/outbox/");
        assert!(
            req.header("Content-Type")
                .is_some_and(|c| c.starts_with("text/calendar"))
        );
        op.handle_response(req.id, crate::HttpResponse::new(200, RESPONSE));
        let Poll::Done(Ok(got)) = op.poll() else {
            panic!("done");
        };
        assert_eq!(got.iter().filter(|r| r.ok).count(), 1);

        // The same POST in two parts (a host that reads iCalendar apart from its DAV client):
        // the request text, the rows, then their busy time; the same answer.
        let text = request().to_icalendar().unwrap();
        let mut post = session.outbox_post("/home/cyrus/outbox/", &text);
        let Poll::Send(sent) = post.poll() else {
            panic!("a request");
        };
        assert_eq!(
            (sent.url.as_str(), &sent.body),
            (req.url.as_str(), &req.body)
        );
        post.handle_response(sent.id, crate::HttpResponse::new(200, RESPONSE));
        let Poll::Done(Ok(rows)) = post.poll() else {
            panic!("done");
        };
        assert_eq!(rows.len(), 3);
        assert!(rows[1].calendar_data.is_none());
        let window = (
            parse_utc(&request().start).unwrap(),
            parse_utc(&request().end).unwrap(),
        );
        assert_eq!(
            recipients_free_busy(rows.clone(), window, &Limits::default()).unwrap(),
            got
        );
        // The request reads the rows within its own window.
        assert_eq!(
            request()
                .read_answer(rows.clone(), &Limits::default())
                .unwrap(),
            got
        );
        let mut backwards = request();
        std::mem::swap(&mut backwards.start, &mut backwards.end);
        let refused = backwards.read_answer(rows, &Limits::default()).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    }
}
