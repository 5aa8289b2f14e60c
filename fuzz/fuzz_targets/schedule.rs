//! Fuzzes scheduling (RFC 6638 / RFC 5546): the attendee's answer with its re-read and retry
//! (`Session::respond`), the pending-invitations listing, the Calendar API's answer and
//! free/busy (`gcal_respond`, `gcal_free_busy`), fed arbitrary answers; and iTIP text
//! (`Message::parse`, `itip::apply` to a stored event, the REQUEST/REPLY/CANCEL builders).
//! Under any finite run of answers each operation finishes with a result or a typed error,
//! never panics, and sends credentials only where they may go (the rules of
//! `common/exchange.rs`); `respond` never writes without a precondition and reads at most
//! four times; every returned URL is absolute.
//!
//! Input: see `common/exchange.rs`. Keys read here: `url`, `profile`, `credentials`,
//! `limits`, and `op`: `respond` (default), `pending`, `gcal-respond`, `gcal-free-busy`, or
//! `itip`, for which the first answer record is the message text and the second, when given,
//! the stored event (else a fixed weekly meeting).
#![no_main]

#[path = "common/exchange.rs"]
mod exchange;

use davkit::icalendar::{CalDateTime, Calendar};
use davkit::rfc5546::{Answer, Message, itip, status};
use libfuzzer_sys::fuzz_target;

const BOB: &str = "mailto:bob@example.com";

const STORED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\n\
UID:m@example.com\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270104T090000Z\r\nDURATION:PT1H\r\n\
RRULE:FREQ=DAILY;COUNT=5\r\nSEQUENCE:0\r\nORGANIZER:mailto:alice@example.com\r\n\
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fuzz_target!(|data: &[u8]| {
    let input = exchange::Input::parse(data);
    let op = input.get("op").unwrap_or("respond");
    if op == "itip" {
        return itip_text(&input);
    }
    let Some(session) = input.session() else {
        return;
    };
    let base = session.server_url().to_owned();
    let mut answers = input.answers.iter();
    let me = vec![BOB.to_owned()];
    match op {
        "respond" | "respond-one" => {
            let occurrence = (op == "respond-one")
                .then(|| CalDateTime::parse("20270106T090000Z", None).ok())
                .flatten();
            let url = format!("{base}bob/calendar/m.ics");
            let answer = Answer::Accepted;
            let run = session.respond(&url, &me, &answer, occurrence.as_ref());
            if let Ok(done) = exchange::drive(&session, Preconditioned(run), &mut answers) {
                assert!((1..=4).contains(&done.attempts), "{} reads", done.attempts);
                if let Some(w) = &done.write {
                    assert!(url::Url::parse(&w.url).is_ok(), "write URL {}", w.url);
                }
            }
        }
        "pending" => {
            let run = session.pending_invitations(
                Some(&format!("{base}bob/inbox/")),
                &[format!("{base}bob/calendar/")],
                &me,
                None,
            );
            if let Ok(found) = exchange::drive(&session, run, &mut answers) {
                for i in &found.invitations {
                    assert!(url::Url::parse(&i.object.url).is_ok(), "{}", i.object.url);
                }
            }
        }
        "gcal-respond" => {
            let run = session.gcal_respond(
                "primary",
                "evt123",
                "bob@example.com",
                &Answer::Declined,
                davkit::gcal::SendUpdates::All,
            );
            let _ = exchange::drive(&session, run, &mut answers);
        }
        "gcal-free-busy" => {
            let cals = ["bob@example.com".to_owned(), "carol@example.com".to_owned()];
            let run = session.gcal_free_busy("20270104T000000Z", "20270111T000000Z", &cals);
            if let Ok(rows) = exchange::drive(&session, run, &mut answers) {
                assert_eq!(rows.len(), 2);
                for row in rows {
                    for p in row.busy {
                        assert!(p.start < p.end, "{} >= {}", p.start, p.end);
                    }
                }
            }
        }
        _ => {}
    }
});

/// Passes an operation through, checking that every PUT it sends carries a precondition.
struct Preconditioned<O>(O);

impl<O: davkit::Operation> davkit::Operation for Preconditioned<O> {
    type Output = O::Output;

    fn poll(&mut self) -> davkit::Poll<O::Output> {
        let next = self.0.poll();
        if let davkit::Poll::Send(r) = &next
            && r.method == davkit::Method::Put
        {
            assert!(
                r.header("if-schedule-tag-match").is_some() || r.header("if-match").is_some(),
                "an answer written without a precondition"
            );
        }
        next
    }

    fn handle_response(&mut self, id: davkit::RequestId, response: davkit::HttpResponse) {
        self.0.handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: davkit::RequestId, error: davkit::Error) {
        self.0.handle_transport_error(id, error);
    }
}

fn itip_text(input: &exchange::Input<'_>) {
    let Some(text) = input.answers.first().map(|b| String::from_utf8_lossy(b)) else {
        return;
    };
    let stored = input
        .answers
        .get(1)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| STORED.to_owned());
    let Ok(mut cal) = Calendar::parse(&stored) else {
        return;
    };
    let _ = itip::reply(&cal, &[BOB], None, "20270103T000000Z");
    let _ = itip::request(&cal);
    let _ = itip::cancel(&cal, None);
    let Ok(message) = Message::parse(&text) else {
        return;
    };
    let _ = itip::apply(&mut cal, &message, &[BOB]);
    let _ = status::attendee_statuses(&cal);
    let _ = davkit::rfc5546::attendee::needs_action(&cal, &[BOB]);
    let _ = cal.to_ics();
}
