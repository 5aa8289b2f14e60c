//! Scaling (issue 11): linear cost, and the memory of honest data at scale.
//!
//! `cargo bench -p davkit-bench --bench scaling` prints two tables:
//!
//! - **Cost at 1x, 10x and 100x input** for the multistatus parser (a calendar-multiget answer
//!   of 100 to 10,000 responses), iCalendar parsing (`Calendar::parse`, 1,000 to 100,000
//!   events), iCalendar summaries (`Calendar::parse_summaries`), vCard parsing
//!   (`VCard::parse_all`, 1,000 to 100,000 cards), CalDAV discovery (the sans-IO
//!   `Session::discover` fed answers listing 50 to 5,000 calendars) and an iTIP reply applied
//!   (`rfc5546::itip::apply`: a REPLY naming 10 to 999 occurrences in UTC, to a series with an
//!   override in Tokyo time for each, up to `rfc5546::MAX_COMPONENTS`) and the offline write
//!   queue's enqueues (`WriteQueue::enqueue_create` of 200 to 20,000 contacts, then an update
//!   of each, which finds that contact's entry). Each figure is the
//!   fastest of several wall-clock runs (at least 5 and about 1.5 s per cell; the thread CPU
//!   clock ticks in 4 ms here), as time per MB of input and per item, with the 10x/1x and
//!   100x/1x ratios of that per-unit cost: 1.00 is linear.
//! - **Peak memory of a 100,000-event calendar** (about 54 MB, generated here, never a file):
//!   each way of reading it runs in a child process of its own (this binary again, with the
//!   argument `memory <way>`), which prints the input size, its peak RSS (`VmHWM`), the
//!   ratio of the two, and the time.
//!
//! Arguments: `memory` prints only the memory table; `memory stream` or `memory tree` is
//! the child (`scripts/bench-hostile.sh` runs those under `/usr/bin/time`); `scaling` prints
//! only the cost table. Every input is generated deterministically.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)] // a benchmark: a wrong input or answer stops it

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use davkit::contentline;
use davkit::icalendar::Calendar;
use davkit::queue::WriteQueue;
use davkit::rfc4918::multistatus;
use davkit::rfc5546::itip;
use davkit::vcard::VCard;
use davkit::{Config, Credentials, HttpResponse, Operation, Poll, Service, Session};

use davkit_testkit::Rng;

const WORDS: &[&str] = &[
    "planning", "review", "Müller", "café", "회의", "sync", "budget", "offsite", "lunch", "call",
    "design", "roadmap", "séance", "ops", "retro", "standup", "1:1", "hiring", "demo", "release",
];

const PEOPLE: &[&str] = &[
    "Ann Example",
    "Jörg Müller",
    "Søren Kim",
    "Zoë Ng",
    "José García",
    "Emma O'Brien",
    "Li Smith",
];

fn sentence(r: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let word = *r.one(WORDS);
        s.push_str(word);
    }
    s
}

fn line(out: &mut String, l: &str) {
    contentline::fold_into(l, out);
}

/// A VCALENDAR of `events` honest events with a VTIMEZONE, each with UID, DTSTAMP, zoned
/// DTSTART/DTEND, SUMMARY, LOCATION, an organizer, and some with a DESCRIPTION, ATTENDEEs, an
/// RRULE with EXDATEs and a VALARM: about 500 bytes an event.
fn calendar(events: usize) -> String {
    let mut r = Rng::new(0x5EED_CAFE_F00D_1234);
    let mut out = String::with_capacity(events * 520 + 1024);
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davkit//bench scaling//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        line(&mut out, l);
    }
    for i in 0..events {
        let day = 1 + r.below(28);
        let month = 1 + r.below(12);
        let hour = 7 + r.below(11);
        line(&mut out, "BEGIN:VEVENT");
        line(
            &mut out,
            &format!("UID:{i:08x}-{:012x}@example.com", r.next_u64() >> 16),
        );
        line(&mut out, "DTSTAMP:20250101T120000Z");
        line(
            &mut out,
            &format!("DTSTART;TZID=Europe/Berlin:2025{month:02}{day:02}T{hour:02}0000"),
        );
        line(
            &mut out,
            &format!(
                "DTEND;TZID=Europe/Berlin:2025{month:02}{day:02}T{:02}3000",
                hour + 1
            ),
        );
        let n = 2 + r.below(4);
        line(&mut out, &format!("SUMMARY:{}", sentence(&mut r, n)));
        if r.below(2) == 0 {
            let n = 6 + r.below(20);
            line(
                &mut out,
                &format!(
                    "DESCRIPTION:{}\\n{}",
                    sentence(&mut r, n),
                    sentence(&mut r, 3)
                ),
            );
        }
        line(
            &mut out,
            &format!(
                "LOCATION:Room {}\\, Building {}",
                r.below(500),
                *r.one(&["A", "B", "C"])
            ),
        );
        if r.below(4) == 0 {
            line(
                &mut out,
                &format!("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT={}", 4 + r.below(20)),
            );
            line(
                &mut out,
                &format!(
                    "EXDATE;TZID=Europe/Berlin:2025{month:02}{:02}T{hour:02}0000",
                    day + 1
                ),
            );
        }
        line(&mut out, "ORGANIZER;CN=Boss:mailto:boss@example.com");
        for _ in 0..r.below(4) {
            let who = *r.one(PEOPLE);
            line(
                &mut out,
                &format!(
                    "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN={who}:mailto:p{}@example.com",
                    r.below(1000)
                ),
            );
        }
        if r.below(3) == 0 {
            for l in [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                "TRIGGER:-PT15M",
                "DESCRIPTION:Reminder",
                "END:VALARM",
            ] {
                line(&mut out, l);
            }
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out.shrink_to_fit();
    out
}

/// Peak resident set of this process in kB (Linux `VmHWM`).
fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `count` vCards, 3.0 and 4.0 mixed, about 330 bytes each.
fn vcards(count: usize) -> String {
    let mut r = Rng::new(0xC0FF_EE00_DEAD_BEEF);
    let mut out = String::with_capacity(count * 340);
    for i in 0..count {
        let v4 = r.below(2) == 0;
        let who = *r.one(PEOPLE);
        let (given, family) = who.split_once(' ').unwrap_or((who, ""));
        line(&mut out, "BEGIN:VCARD");
        line(&mut out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
        line(
            &mut out,
            &format!(
                "UID:urn:uuid:{i:08x}-0000-4000-8000-{:012x}",
                r.next_u64() >> 16
            ),
        );
        line(&mut out, &format!("FN:{who}"));
        line(&mut out, &format!("N:{family};{given};;;"));
        let tel = if v4 {
            "TEL;TYPE=cell;PREF=1"
        } else {
            "TEL;TYPE=CELL,VOICE,PREF"
        };
        line(&mut out, &format!("{tel}:+1 555 {:04}", r.below(10_000)));
        line(
            &mut out,
            &format!("EMAIL;TYPE=work:{i}.{}@example.com", r.below(100)),
        );
        line(
            &mut out,
            &format!(
                "ADR;TYPE=home:;;{} Main St;Springfield;IL;{:05};USA",
                r.below(999),
                r.below(99_999)
            ),
        );
        line(&mut out, &format!("ORG:{} Inc.", *r.one(WORDS)));
        let n = 3 + r.below(10);
        line(&mut out, &format!("NOTE:{}", sentence(&mut r, n)));
        line(&mut out, "REV:20250101T000000Z");
        line(&mut out, "END:VCARD");
    }
    out
}

/// A calendar-multiget answer of `count` responses, each an ETag and an escaped event.
fn multistatus_body(count: usize) -> String {
    let mut out = String::with_capacity(count * 900 + 200);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" \
         xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\n",
    );
    for i in 0..count {
        let day = i % 28 + 1;
        out.push_str(&format!(
            "<d:response><d:href>/calendars/alice/work/event-{i:06}.ics</d:href><d:propstat>\
             <d:prop><d:getetag>\"{:016x}\"</d:getetag><c:calendar-data>BEGIN:VCALENDAR&#13;\n\
             VERSION:2.0&#13;\nPRODID:-//davkit//bench//EN&#13;\nBEGIN:VEVENT&#13;\n\
             UID:event-{i:06}@example.com&#13;\nDTSTAMP:20260101T000000Z&#13;\n\
             DTSTART;TZID=Europe/Berlin:202603{day:02}T090000&#13;\nDURATION:PT1H&#13;\n\
             SUMMARY:Design review &amp; planning #{i}&#13;\n\
             DESCRIPTION:Agenda: roadmap\\, budget &lt;draft&gt;\\, hiring.&#13;\n\
             ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com&#13;\n\
             END:VEVENT&#13;\nEND:VCALENDAR&#13;\n</c:calendar-data></d:prop>\
             <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
    }
    out.push_str("</d:multistatus>\n");
    out
}

const SERVER: &str = "https://dav.example.com/dav/";

/// The answers of a CalDAV server with one home of `count` calendars: the context (Depth 0)
/// names the principal and the home; the home's Depth 1 listing has every calendar with its
/// name, colour, components and ctag.
fn discovery_answers(count: usize) -> (String, String) {
    let context = "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\
        <d:response><d:href>/dav/</d:href><d:propstat><d:prop>\
        <d:current-user-principal><d:href>/dav/principals/alice/</d:href></d:current-user-principal>\
        <c:calendar-home-set><d:href>/dav/calendars/alice/</d:href></c:calendar-home-set>\
        </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
        .to_owned();
    let mut home = String::from(
        "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" \
         xmlns:cs=\"http://calendarserver.org/ns/\" xmlns:a=\"http://apple.com/ns/ical/\">\
         <d:response><d:href>/dav/calendars/alice/</d:href><d:propstat><d:prop>\
         <d:resourcetype><d:collection/></d:resourcetype></d:prop>\
         <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>",
    );
    for i in 0..count {
        home.push_str(&format!(
            "<d:response><d:href>/dav/calendars/alice/cal-{i:05}/</d:href><d:propstat><d:prop>\
             <d:resourcetype><d:collection/><c:calendar/></d:resourcetype>\
             <d:displayname>Calendar {i}</d:displayname><a:calendar-color>#{:06x}</a:calendar-color>\
             <c:supported-calendar-component-set><c:comp name=\"VEVENT\"/><c:comp name=\"VTODO\"/>\
             </c:supported-calendar-component-set><cs:getctag>\"ctag-{i}\"</cs:getctag>\
             <d:sync-token>https://dav.example.com/sync/{i}</d:sync-token></d:prop>\
             <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>",
            i * 2_654_435 % 0xFF_FFFF
        ));
    }
    home.push_str("</d:multistatus>");
    (context, home)
}

/// Runs a discovery against the answers; the number of collections found.
fn discover(context: &str, home: &str) -> usize {
    let session = Session::new(Config::new(SERVER, Credentials::basic("a", "b"))).unwrap();
    let mut op = session.discover(Service::CalDav);
    loop {
        match op.poll() {
            Poll::Send(request) => {
                let body = if request.header("Depth") == Some("1") {
                    home
                } else {
                    context
                };
                op.handle_response(request.id, HttpResponse::new(207, body.to_owned()));
            }
            Poll::Wait => panic!("every request is answered at once"),
            Poll::Done(result) => return result.unwrap().collections.len(),
        }
    }
}

/// The fastest of at least five runs and about 1.5 s of runs, by the wall clock.
fn fastest<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    let started = Instant::now();
    let mut runs = 0;
    while runs < 5 || (started.elapsed() < Duration::from_millis(1500) && runs < 10_000) {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

/// One task at three sizes: its name, the item, and for each size the input and the run.
struct Task {
    name: &'static str,
    item: &'static str,
    sizes: [usize; 3],
    input: fn(usize) -> Vec<String>,
    run: fn(&[String]) -> usize,
}

fn tasks() -> [Task; 7] {
    [
        Task {
            name: "multistatus parse (calendar-multiget)",
            item: "response",
            sizes: [100, 1_000, 10_000],
            input: |n| vec![multistatus_body(n)],
            run: |i| {
                multistatus::parse(
                    i[0].as_bytes(),
                    "https://dav.example.com/calendars/alice/work/",
                )
                .unwrap()
                .responses
                .len()
            },
        },
        Task {
            name: "iCalendar parse (Calendar::parse)",
            item: "event",
            sizes: [1_000, 10_000, 100_000],
            input: |n| vec![calendar(n)],
            run: |i| Calendar::parse(&i[0]).unwrap().events().count(),
        },
        Task {
            name: "iCalendar summaries (Calendar::parse_summaries)",
            item: "event",
            sizes: [1_000, 10_000, 100_000],
            input: |n| vec![calendar(n)],
            run: |i| Calendar::parse_summaries(&i[0]).unwrap().len(),
        },
        Task {
            name: "vCard parse (VCard::parse_all)",
            item: "card",
            sizes: [1_000, 10_000, 100_000],
            input: |n| vec![vcards(n)],
            run: |i| VCard::parse_all(&i[0]).unwrap().len(),
        },
        Task {
            name: "discovery (Session::discover, one home)",
            item: "calendar",
            sizes: [50, 500, 5_000],
            input: |n| {
                let (context, home) = discovery_answers(n);
                vec![context, home]
            },
            run: |i| discover(&i[0], &i[1]),
        },
        Task {
            name: "iTIP reply applied (rfc5546::itip::apply)",
            item: "occurrence",
            sizes: [10, 100, 999],
            input: |n| vec![itip_series(n), itip_reply(n)],
            run: |i| {
                let mut stored = Calendar::parse(&i[0]).unwrap();
                let reply = itip::Message::parse(&i[1]).unwrap();
                itip::apply(&mut stored, &reply, &["mailto:a@example.com"]).unwrap();
                stored
                    .events()
                    .filter(|e| {
                        e.component()
                            .properties_named("ATTENDEE")
                            .any(|p| p.param_value("PARTSTAT").as_deref() == Some("ACCEPTED"))
                    })
                    .count()
            },
        },
        Task {
            name: "write queue enqueue (WriteQueue::enqueue_create, then an update of each)",
            item: "object",
            sizes: [200, 2_000, 20_000],
            input: queue_cards,
            run: |cards| {
                let mut queue = WriteQueue::new();
                let collection = "https://dav.example.com/addressbooks/alice/contacts/";
                for (i, card) in cards.iter().enumerate() {
                    queue
                        .enqueue_create(collection, &format!("c{i}.vcf"), card)
                        .unwrap();
                }
                // Each update finds its object's entry among all of them (and changes it).
                for (i, card) in cards.iter().enumerate() {
                    let url = format!("{collection}c{i}.vcf");
                    queue.enqueue_update(&url, card, "\"e1\"", None).unwrap();
                }
                queue.entries().len()
            },
        },
    ]
}

/// `n` small distinct vCards, as an app queues contacts imported while offline.
fn queue_cards(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c{i}\r\nFN:Person {i}\r\nEND:VCARD\r\n")
        })
        .collect()
}

/// The day of occurrence `i` of the daily series below (a different day for each of 999).
fn itip_day(i: usize) -> String {
    format!(
        "{}{:02}{:02}",
        2026 + i / 336,
        1 + (i / 28) % 12,
        1 + i % 28
    )
}

/// A daily series at 10:00 in Tokyo time with `n` overrides, each naming the attendee.
fn itip_series(n: usize) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n");
    let event = |rid: String| {
        format!(
            "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n{rid}\
             DTSTART;TZID=Asia/Tokyo:20260101T100000\r\nDURATION:PT1H\r\n\
             ORGANIZER:mailto:o@example.com\r\n\
             ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:a@example.com\r\nEND:VEVENT\r\n"
        )
    };
    s += &event("RRULE:FREQ=DAILY\r\n".into()).replace("DTSTAMP", "SUMMARY:series\r\nDTSTAMP");
    for i in 0..n {
        let day = itip_day(i);
        s += &event(format!("RECURRENCE-ID;TZID=Asia/Tokyo:{day}T100000\r\n"));
    }
    s + "END:VCALENDAR\r\n"
}

/// The attendee's REPLY accepting each of those occurrences, named in UTC (01:00: Tokyo
/// keeps one offset all year).
fn itip_reply(n: usize) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\n");
    for i in 0..n {
        let day = itip_day(i);
        s += &format!(
            "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260201T000000Z\r\nRECURRENCE-ID:{day}T010000Z\r\n\
             ORGANIZER:mailto:o@example.com\r\n\
             ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\nEND:VEVENT\r\n"
        );
    }
    s + "END:VCALENDAR\r\n"
}

/// One run of a task, on its own so that callgrind can count it alone
/// (`--toggle-collect=*measured*`).
#[inline(never)]
fn measured(task: &Task, input: &[String]) -> usize {
    (task.run)(input)
}

fn scaling_table() {
    let tasks = tasks();
    println!(
        "| task | scale | items | input MB | time ms | ms per MB | µs per item | per-item cost vs 1x |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for task in &tasks {
        let mut first = None;
        for (scale, &n) in ["1x", "10x", "100x"].iter().zip(&task.sizes) {
            let input = (task.input)(n);
            let bytes: usize = input.iter().map(String::len).sum();
            let items = (task.run)(&input);
            assert_eq!(items, n, "{}: every item read", task.name);
            let t = fastest(|| (task.run)(&input));
            let ms = t.as_secs_f64() * 1e3;
            let per_item = t.as_secs_f64() * 1e6 / n as f64;
            let base = *first.get_or_insert(per_item);
            println!(
                "| {} | {scale} | {n} {}s | {:.2} | {ms:.2} | {:.2} | {per_item:.2} | {:.2} |",
                task.name,
                task.item,
                bytes as f64 / 1e6,
                ms / (bytes as f64 / 1e6),
                per_item / base,
            );
        }
    }
}

/// The child: reads the 100,000-event calendar one way and prints one table row.
fn memory_child(way: &str) {
    let text = calendar(100_000);
    let before = peak_rss_kb().unwrap_or(0);
    let t = Instant::now();
    let (what, n) = match way {
        "tree" => {
            let cal = Calendar::parse(&text).unwrap();
            ("Calendar::parse, then summaries()", cal.summaries().len())
        }
        "parse" => {
            let cal = Calendar::parse(&text).unwrap();
            ("Calendar::parse (the tree only)", cal.events().count())
        }
        _ => (
            "Calendar::parse_summaries (streamed, packed)",
            Calendar::parse_summaries(&text).unwrap().len(),
        ),
    };
    let took = t.elapsed();
    let peak = peak_rss_kb().unwrap_or(0);
    let mb = text.len() as f64 / 1e6;
    println!(
        "| {what} | {n} | {mb:.1} | {:.1} | {:.1} | {:.2} | {:.2} |",
        before as f64 / 1e3,
        peak as f64 / 1e3,
        peak as f64 / 1e3 / mb,
        took.as_secs_f64()
    );
}

/// Instructions of one run of each task at each size, counted by callgrind in a child process
/// (`cell <task> <items>`) that generates the input and runs the task once.
fn count_table() {
    let exe = std::env::current_exe().unwrap();
    println!(
        "| task | scale | items | input MB | instructions | per MB | per item | per-item count vs 1x |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (t, task) in tasks().iter().enumerate() {
        let mut first = None;
        for (scale, &n) in ["1x", "10x", "100x"].iter().zip(&task.sizes) {
            let out = Command::new("valgrind")
                .args([
                    "--tool=callgrind",
                    "--callgrind-out-file=/dev/null",
                    "--toggle-collect=*measured*",
                ])
                .arg(&exe)
                .args(["cell", &t.to_string(), &n.to_string()])
                .output()
                .expect("valgrind runs");
            let err = String::from_utf8_lossy(&out.stderr);
            let Some(count) = err
                .lines()
                .find_map(|l| l.split("Collected :").nth(1))
                .and_then(|c| c.trim().parse::<u64>().ok())
            else {
                println!("| {} | {scale} | callgrind failed |", task.name);
                continue;
            };
            let bytes: usize = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .unwrap_or(0);
            let mb = bytes as f64 / 1e6;
            let per_item = count as f64 / n as f64;
            let base = *first.get_or_insert(per_item);
            println!(
                "| {} | {scale} | {n} {}s | {mb:.2} | {count} | {:.0} | {per_item:.0} | {:.3} |",
                task.name,
                task.item,
                count as f64 / mb,
                per_item / base
            );
        }
    }
}

fn memory_table() {
    println!(
        "| read with | events | input MB | RSS before MB | peak RSS MB | peak / input | time s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for way in ["stream", "parse", "tree"] {
        let out = Command::new(&exe).args(["memory", way]).output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "cell") {
        let task: usize = args.get(i + 1).and_then(|t| t.parse().ok()).unwrap_or(0);
        let n: usize = args.get(i + 2).and_then(|t| t.parse().ok()).unwrap_or(1);
        let tasks = tasks();
        let task = tasks.get(task).expect("a task number");
        let input = (task.input)(n);
        black_box(measured(task, &input));
        println!("{}", input.iter().map(String::len).sum::<usize>());
        return;
    }
    if args.iter().any(|a| a == "count") {
        println!("Instructions at 1x, 10x and 100x input (callgrind, one run):\n");
        count_table();
        return;
    }
    let memory = args.iter().position(|a| a == "memory");
    if let Some(way) = memory.and_then(|i| args.get(i + 1)) {
        memory_child(way);
        return;
    }
    let only_scaling = args.iter().any(|a| a == "scaling");
    if memory.is_none() {
        println!("Cost at 1x, 10x and 100x input (fastest wall-clock run):\n");
        scaling_table();
        println!();
    }
    if !only_scaling {
        println!("Peak memory reading a 100,000-event calendar (one child process per row):\n");
        memory_table();
    }
}
