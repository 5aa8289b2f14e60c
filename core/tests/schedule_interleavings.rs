//! Every interleaving of an attendee's answer ([`Session::respond`]) with the organizer's
//! updates, and with writes lost in transit, against an in-memory server that keeps RFC 6638
//! §3.2.10's Schedule-Tag rules: an organizer update replaces the attendee's copy and changes
//! the Schedule-Tag; the attendee's own write changes the ETag only; `If-Schedule-Tag-Match`
//! fails with 412 on any other tag.
//!
//! The property: the answer never overwrites a newer organizer version. When `respond`
//! succeeds the stored copy is the organizer's latest version with the answer in it; when it
//! gives up (`PreconditionFailed` after three attempts, or a `Transport` error) the stored copy
//! is the organizer's latest version, untouched. Checked exhaustively over every choice of
//! "the organizer updates before this request is answered" and "this write is lost, applied or
//! not", for the first six requests (6^6 = 46,656 histories; a seventh request, the read
//! after a lost last write, is answered plainly).
//!
//! Also: received iTIP text mutated at random never panics `Message::parse` or `itip::apply`.

#![allow(clippy::panic)] // test helpers report failures by panicking

use davkit::icalendar::Calendar;
use davkit::rfc5546::{Answer, Message, PartStat, attendee, itip};
use davkit::{
    Config, Credentials, ErrorKind, HttpRequest, HttpResponse, Method, Operation, Poll, Session,
};

const URL: &str = "https://cal.example.com/bob/calendar/m.ics";
const BOB: &str = "mailto:bob@example.com";

fn version(seq: u32) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:m@example.com\r\n\
         DTSTAMP:20270101T000000Z\r\nDTSTART:20270104T09{seq:02}00Z\r\nDURATION:PT1H\r\n\
         SEQUENCE:{seq}\r\nLOCATION:Room {seq}\r\nORGANIZER:mailto:alice@example.com\r\n\
         ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{BOB}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Bob's copy on a scheduling server.
struct Server {
    data: String,
    etag: u32,
    tag: u32,
    /// The organizer's latest SEQUENCE.
    organizer_seq: u32,
}

impl Server {
    fn new() -> Server {
        Server {
            data: version(0),
            etag: 1,
            tag: 1,
            organizer_seq: 0,
        }
    }

    /// The organizer changes the meeting: the server replaces Bob's copy (answer reset) and
    /// changes the Schedule-Tag.
    fn organizer_update(&mut self) {
        self.organizer_seq += 1;
        self.data = version(self.organizer_seq);
        self.etag += 1;
        self.tag += 1;
    }

    fn answer(&mut self, r: &HttpRequest) -> HttpResponse {
        match r.method {
            Method::Get => HttpResponse::new(200, self.data.clone())
                .with_header("ETag", &format!("\"e{}\"", self.etag))
                .with_header("Schedule-Tag", &format!("\"t{}\"", self.tag)),
            Method::Put => {
                let tag = r
                    .header("if-schedule-tag-match")
                    .expect("a Schedule-Tag condition");
                if tag != format!("\"t{}\"", self.tag) {
                    return HttpResponse::new(412, "");
                }
                self.data = r.body_text().expect("text").to_owned();
                self.etag += 1;
                HttpResponse::new(204, "")
                    .with_header("ETag", &format!("\"e{}\"", self.etag))
                    .with_header("Schedule-Tag", &format!("\"t{}\"", self.tag))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// What happens around one request: the organizer may update first; a PUT may be lost in
/// transit after (`Some(true)`) or before (`Some(false)`) the server applied it.
#[derive(Clone, Copy, Debug)]
struct Step {
    organizer_first: bool,
    lost: Option<bool>,
}

/// The `choice`-th script of `n` steps, each one of six: the organizer updates first or not,
/// times: answered, lost after the server applied it, lost before (the loss only for a PUT).
fn steps(mut choice: u32, n: usize) -> Vec<Step> {
    (0..n)
        .map(|_| {
            let c = choice % 6;
            choice /= 6;
            Step {
                organizer_first: c % 2 == 1,
                lost: match c / 2 {
                    0 => None,
                    1 => Some(true),
                    _ => Some(false),
                },
            }
        })
        .collect()
}

fn run(
    script: &[Step],
) -> (
    Result<davkit::ops::schedule::Responded, davkit::Error>,
    Server,
) {
    let session =
        Session::new(Config::new("https://cal.example.com/", Credentials::None)).expect("session");
    let mut server = Server::new();
    let mut op = session.respond(URL, &[BOB.to_owned()], &Answer::Accepted, None);
    let mut i = 0;
    loop {
        match op.poll() {
            Poll::Send(request) => {
                let step = script.get(i).copied().unwrap_or(Step {
                    organizer_first: false,
                    lost: None,
                });
                i += 1;
                if step.organizer_first {
                    server.organizer_update();
                }
                match (request.method, step.lost) {
                    (Method::Put, Some(applied)) => {
                        if applied {
                            let _ = server.answer(&request);
                        }
                        op.handle_transport_error(
                            request.id,
                            davkit::Error::new(ErrorKind::Transport, "connection reset"),
                        );
                    }
                    _ => {
                        let response = server.answer(&request);
                        op.handle_response(request.id, response);
                    }
                }
            }
            Poll::Wait => panic!("nothing in flight but the operation waits"),
            Poll::Done(result) => return (result, server),
        }
        assert!(i < 64, "respond does not stop");
    }
}

fn stored_seq(server: &Server) -> (i64, Option<PartStat>) {
    let cal = Calendar::parse(&server.data).expect("stored copy parses");
    let ev = cal.events().next().expect("event");
    (
        ev.sequence().unwrap_or(0),
        attendee::my_partstat(&cal, &[BOB], None),
    )
}

#[test]
fn an_answer_never_overwrites_a_newer_organizer_version() {
    const N: usize = 6;
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    for choice in 0..6u32.pow(N as u32) {
        let script = steps(choice, N);
        let (result, server) = run(&script);
        let (seq, partstat) = stored_seq(&server);
        assert_eq!(
            seq,
            i64::from(server.organizer_seq),
            "{script:?}: the stored copy is older than the organizer's latest version"
        );
        let key = match &result {
            Ok(done) => {
                assert_eq!(partstat, Some(PartStat::Accepted), "{script:?}: {done:?}");
                assert!((1..=4).contains(&done.attempts), "{script:?}: {done:?}");
                format!("ok after {} read(s)", done.attempts)
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::PreconditionFailed | ErrorKind::Transport
                    ),
                    "{script:?}: {e}"
                );
                // given up: the organizer's version stands untouched
                assert_eq!(
                    server.data,
                    version(server.organizer_seq),
                    "{script:?}: {e}"
                );
                format!("gave up: {}", e.kind())
            }
        };
        *outcomes.entry(key).or_default() += 1;
    }
    // every kind of ending was reached (the enumeration is not vacuous)
    for key in [
        "ok after 1 read(s)",
        "ok after 2 read(s)",
        "ok after 3 read(s)",
        "ok after 4 read(s)",
        "gave up: PreconditionFailed",
        "gave up: Transport",
    ] {
        assert!(
            outcomes.contains_key(key),
            "{key} never happened: {outcomes:?}"
        );
    }
    eprintln!("{outcomes:#?}");
}

#[test]
fn mutated_itip_text_never_panics() {
    let reply = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n\
UID:m@example.com\r\nDTSTAMP:20270102T000000Z\r\nSEQUENCE:0\r\nRECURRENCE-ID:20270104T090000Z\r\n\
ORGANIZER:mailto:alice@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:c@x\":mailto:bob@example.com\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";
    let stored = version(0).replace("DURATION:PT1H", "DURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3");
    let pieces = [
        "",
        ";",
        ":",
        ",",
        "\r\n",
        "\r\n ",
        "\"",
        "=",
        "RECURRENCE-ID:",
        "SEQUENCE:-9",
        "SEQUENCE:99999999999999999999",
        "METHOD:CANCEL",
        "METHOD:REQUEST",
        "END:VEVENT\r\n",
        "BEGIN:VEVENT\r\n",
        "TZID=X",
        "Z",
        "T",
        "0",
    ];
    let mut rng = davkit_testkit::Rng::new(0x5eed_1234_abcd_0001);
    let mut parsed = 0;
    for _ in 0..4000 {
        let mut text = reply.to_owned();
        for _ in 0..1 + rng.below(4) {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let end = (at + rng.below(6)).min(text.len());
            let end = (end..=text.len())
                .find(|e| text.is_char_boundary(*e))
                .unwrap_or(text.len());
            text.replace_range(at..end, pieces[rng.below(pieces.len())]);
        }
        if let Ok(m) = Message::parse(&text) {
            parsed += 1;
            let mut cal = Calendar::parse(&stored).expect("stored");
            let _ = itip::apply(&mut cal, &m, &[BOB]);
            let _ = itip::reply(&cal, &[BOB], None, "20270103T000000Z");
            let _ = itip::request(&m.calendar);
        }
    }
    // some mutants stay valid messages, so apply ran on them
    assert!(parsed > 100, "only {parsed} mutants parsed");
}

/// The answer's decisions run by a host whose DAV client is its own (the npm package's formats
/// module): it asks for the read, then for the write under the Schedule-Tag read (or the ETag
/// where the profile ignores Schedule-Tags), reads again after a 412, and reports a copy
/// that already holds the answer as answered without writing.
#[test]
fn respond_steps_ask_for_each_call_and_read_its_answer() {
    use davkit::Profile;
    use davkit::ops::schedule::{
        RespondAnswer, RespondNext, RespondRequest, RespondSteps, ScheduledObject, ScheduledWrite,
    };
    fn asked(steps: &mut RespondSteps) -> RespondRequest {
        match steps.poll() {
            RespondNext::Ask(r) => r,
            RespondNext::Done(r) => panic!("ended instead of asking: {r:?}"),
        }
    }
    /// The write asked next: (data, Schedule-Tag, ETag).
    fn write_asked(steps: &mut RespondSteps) -> (String, Option<String>, Option<String>) {
        match asked(steps) {
            RespondRequest::Write {
                data,
                schedule_tag,
                etag,
                ..
            } => (data, schedule_tag, etag),
            other => panic!("a write expected, not {other:?}"),
        }
    }
    let object = |seq: u32, tag: &str| ScheduledObject {
        url: URL.to_owned(),
        etag: Some(format!("\"e{seq}\"")),
        schedule_tag: Some(tag.to_owned()),
        data: version(seq),
    };
    let me = [BOB.to_owned()];
    let limits = davkit::Limits::default();
    let generic = Profile::generic();
    let mut steps = RespondSteps::new(URL, &me, &Answer::Accepted, None, &generic, limits);
    let read = RespondRequest::Read {
        url: URL.to_owned(),
    };
    assert_eq!(asked(&mut steps), read);
    steps.answer(RespondAnswer::Read(Ok(object(0, "\"t1\""))));
    let (_, schedule_tag, etag) = write_asked(&mut steps);
    assert_eq!(
        (schedule_tag.as_deref(), etag.as_deref()),
        (Some("\"t1\""), Some("\"e0\""))
    );
    // The organizer changed it in between: 412, read again, answer the new version.
    let stale = davkit::Error::new(ErrorKind::PreconditionFailed, "412").with_status(412);
    steps.answer(RespondAnswer::Write(Err(stale)));
    assert_eq!(asked(&mut steps), read);
    steps.answer(RespondAnswer::Read(Ok(object(1, "\"t2\""))));
    let (data, schedule_tag, _) = write_asked(&mut steps);
    assert_eq!(schedule_tag.as_deref(), Some("\"t2\""));
    assert!(
        data.contains("SEQUENCE:1") && data.contains("PARTSTAT=ACCEPTED"),
        "{data}"
    );
    steps.answer(RespondAnswer::Write(Ok(ScheduledWrite {
        url: URL.to_owned(),
        etag: Some("\"e3\"".to_owned()),
        schedule_tag: Some("\"t2\"".to_owned()),
    })));
    match steps.poll() {
        RespondNext::Done(Ok(r)) => {
            assert_eq!(r.attempts, 2);
            assert_eq!(r.data, data);
            assert!(r.write.is_some());
        }
        other => panic!("{other:?}"),
    }

    // Google CalDAV ignores Schedule-Tags: the write goes under the ETag alone.
    let google = Profile::named("google-caldav").expect("a profile");
    let mut steps = RespondSteps::new(URL, &me, &Answer::Declined, None, &google, limits);
    assert_eq!(asked(&mut steps), read);
    steps.answer(RespondAnswer::Read(Ok(object(0, "\"t1\""))));
    let (_, schedule_tag, etag) = write_asked(&mut steps);
    assert_eq!((schedule_tag, etag.as_deref()), (None, Some("\"e0\"")));

    // A copy that holds the answer already is not written again; asking twice ends it.
    let mut steps = RespondSteps::new(URL, &me, &Answer::Accepted, None, &generic, limits);
    assert_eq!(asked(&mut steps), read);
    let answered = version(0).replace("PARTSTAT=NEEDS-ACTION;RSVP=TRUE", "PARTSTAT=ACCEPTED");
    steps.answer(RespondAnswer::Read(Ok(ScheduledObject {
        data: answered,
        ..object(0, "\"t1\"")
    })));
    match steps.poll() {
        RespondNext::Done(Ok(r)) => assert!(r.write.is_none()),
        other => panic!("{other:?}"),
    }
    let mut steps = RespondSteps::new(URL, &me, &Answer::Accepted, None, &generic, limits);
    assert_eq!(asked(&mut steps), read);
    match steps.poll() {
        RespondNext::Done(Err(e)) => assert_eq!(e.kind(), ErrorKind::Protocol),
        other => panic!("{other:?}"),
    }
}
