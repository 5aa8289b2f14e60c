//! iCalendar (RFC 5545) and vCard (RFC 6350 / RFC 2426) parsing speed: davkit against the
//! calcard, icalendar and ical crates on a deterministic 10,000-event calendar and 10,000 vCards.
//!
//! `cargo bench -p davkit-bench --bench formats` prints one table. Two clocks, because the
//! thread CPU clock of `/proc` advances in scheduler ticks (4 ms here) and under-reports short
//! parses:
//!
//! - wall time: the best of 7 samples, each of as many repetitions as fill at least 200 ms,
//!   divided by the repetitions (a tick or a preemption is then a small part of a sample);
//! - instructions: one call of the task under `valgrind --tool=callgrind`, counting only that
//!   call (`--toggle-collect`), in a child process; exact, and not moved by the load of a shared
//!   machine (`DAVKIT_BENCH_CALLGRIND=0` skips it; about a minute).
//!
//! Parsers are compared like with like: "parse" rows build each library's tree; "typed" rows
//! also read UID, SUMMARY, DTSTART (as a date-time) and every ATTENDEE (address, CN, PARTSTAT) of
//! every event, or FN and the EMAILs of every card, through each library's own accessors. The
//! ratio columns are against calcard's row of the same kind.

use std::hint::black_box;
use std::io::BufReader;
use std::process::Command;
use std::time::{Duration, Instant};

use davkit::contentline;
use davkit::icalendar::Calendar;
use davkit::vcard::VCard;

use davkit_testkit::Rng;

const WORDS: &[&str] = &[
    "planning", "review", "Müller", "café", "회의", "sync", "budget", "offsite", "lunch", "call",
    "design", "roadmap", "séance", "ops", "retro", "standup", "1:1", "hiring", "demo", "release",
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

/// Appends `line` folded at 75 octets (never inside a character), like real producers do.
fn push_line(out: &mut String, line: &str) {
    contentline::fold_into(line, out);
}

fn calendar(events: usize) -> String {
    let mut r = Rng::new(0x5EED_CAFE_F00D_1234);
    let mut out = String::with_capacity(events * 700);
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//davkit//bench//EN",
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
        push_line(&mut out, l);
    }
    for i in 0..events {
        let day = 1 + r.below(28);
        let month = 1 + r.below(12);
        let hour = 7 + r.below(11);
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(
            &mut out,
            &format!("UID:{i:08x}-{:016x}@bench.davkit", r.next_u64()),
        );
        push_line(&mut out, "DTSTAMP:20250101T120000Z");
        push_line(&mut out, &format!("CREATED:2024{month:02}{day:02}T090000Z"));
        push_line(
            &mut out,
            &format!("DTSTART;TZID=Europe/Berlin:2025{month:02}{day:02}T{hour:02}0000"),
        );
        push_line(
            &mut out,
            &format!(
                "DTEND;TZID=Europe/Berlin:2025{month:02}{day:02}T{:02}3000",
                hour + 1
            ),
        );
        let n = 2 + r.below(4);
        let summary = sentence(&mut r, n);
        push_line(&mut out, &format!("SUMMARY:{summary}"));
        if r.below(2) == 0 {
            let n = 10 + r.below(40);
            let desc = sentence(&mut r, n).replace("1:1", "one\\, on one");
            push_line(
                &mut out,
                &format!("DESCRIPTION:{desc}\\n{}", sentence(&mut r, 5)),
            );
        }
        push_line(
            &mut out,
            &format!(
                "LOCATION:Room {}\\, Building {}",
                r.below(500),
                *r.one(&["A", "B", "C"])
            ),
        );
        push_line(&mut out, "STATUS:CONFIRMED");
        push_line(&mut out, &format!("SEQUENCE:{}", r.below(4)));
        if r.below(4) == 0 {
            push_line(
                &mut out,
                &format!("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT={}", 2 + r.below(20)),
            );
        }
        push_line(
            &mut out,
            "ORGANIZER;CN=\"Boss, The\":mailto:boss@example.com",
        );
        for a in 0..r.below(4) {
            push_line(
                &mut out,
                &format!(
                    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Person {a}:mailto:person{a}.{i}@example.com"
                ),
            );
        }
        push_line(
            &mut out,
            &format!("CATEGORIES:{},{}", *r.one(WORDS), *r.one(WORDS)),
        );
        push_line(&mut out, "X-MICROSOFT-CDO-BUSYSTATUS:BUSY");
        if r.below(3) == 0 {
            push_line(&mut out, "BEGIN:VALARM");
            push_line(&mut out, "ACTION:DISPLAY");
            push_line(&mut out, "TRIGGER:-PT15M");
            push_line(&mut out, "DESCRIPTION:Reminder");
            push_line(&mut out, "END:VALARM");
        }
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

fn vcards(n: usize) -> String {
    let mut r = Rng::new(0xC0FF_EE00_DEAD_BEEF);
    let mut out = String::with_capacity(n * 600);
    let photo: String = (0..300).map(|i| (b'A' + (i % 26) as u8) as char).collect();
    for i in 0..n {
        let v4 = r.below(2) == 0;
        let given = *r.one(&["Ann", "Jörg", "Søren", "민준", "Zoë", "Li", "José", "Emma"]);
        let family = *r.one(&[
            "Example", "Müller", "Kim", "Ng", "García", "O'Brien", "Smith",
        ]);
        push_line(&mut out, "BEGIN:VCARD");
        push_line(&mut out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
        push_line(
            &mut out,
            &format!(
                "UID:urn:uuid:{:08x}-0000-4000-8000-{:012x}",
                i,
                r.next_u64() & 0xFFFF_FFFF_FFFF
            ),
        );
        push_line(&mut out, &format!("FN:{given} {family}"));
        push_line(&mut out, &format!("N:{family};{given};;;"));
        if v4 {
            push_line(
                &mut out,
                &format!("TEL;TYPE=cell;PREF=1:+1 555 {:04}", r.below(10_000)),
            );
            push_line(
                &mut out,
                &format!("EMAIL;TYPE=work:{}.{}@example.com", i, r.below(100)),
            );
        } else {
            push_line(
                &mut out,
                &format!("TEL;TYPE=CELL,VOICE,PREF:+1 555 {:04}", r.below(10_000)),
            );
            push_line(
                &mut out,
                &format!(
                    "item1.EMAIL;type=INTERNET:{}.{}@example.com",
                    i,
                    r.below(100)
                ),
            );
            push_line(&mut out, "item1.X-ABLabel:_$!<Other>!$_");
        }
        push_line(
            &mut out,
            &format!(
                "ADR;TYPE=home:;;{} Main St;Springfield;IL;{:05};USA",
                r.below(999),
                r.below(99_999)
            ),
        );
        push_line(
            &mut out,
            &format!("ORG:{} Inc.;{}", *r.one(WORDS), *r.one(WORDS)),
        );
        push_line(&mut out, &format!("TITLE:{}", sentence(&mut r, 2)));
        if r.below(3) == 0 {
            push_line(
                &mut out,
                &format!("BDAY:{}", if v4 { "--0415" } else { "1985-04-15" }),
            );
        }
        let n = 5 + r.below(30);
        push_line(&mut out, &format!("NOTE:{}", sentence(&mut r, n)));
        if r.below(5) == 0 {
            if v4 {
                push_line(&mut out, &format!("PHOTO:data:image/jpeg;base64,{photo}"));
            } else {
                push_line(&mut out, &format!("PHOTO;ENCODING=b;TYPE=JPEG:{photo}"));
            }
        }
        push_line(&mut out, "REV:20250101T000000Z");
        push_line(&mut out, "END:VCARD");
    }
    out
}

/// The tasks, in table order: (input, library, kind, what it does). `kind` pairs a row with
/// calcard's row of the same kind for the ratio columns ("-": not compared).
const TASKS: &[(&str, &str, &str, &str)] = &[
    ("ics", "davkit", "-", "lossless parse (contentline)"),
    ("ics", "davkit", "parse", "Calendar::parse"),
    (
        "ics",
        "davkit",
        "typed",
        "parse + UID/SUMMARY/DTSTART/attendees",
    ),
    ("ics", "davkit", "-", "serialise (fold at 75 octets)"),
    ("ics", "calcard 0.3", "parse", "Parser::entry"),
    (
        "ics",
        "calcard 0.3",
        "typed",
        "parse + UID/SUMMARY/DTSTART/attendees",
    ),
    ("ics", "icalendar 0.17", "parse", "unfold + parse"),
    ("ics", "ical 0.11", "parse", "parse"),
    ("vcf", "davkit", "-", "lossless parse (contentline)"),
    ("vcf", "davkit", "parse", "VCard::parse_all"),
    ("vcf", "davkit", "typed", "parse + FN/EMAILs"),
    ("vcf", "calcard 0.3", "parse", "Parser::entry"),
    ("vcf", "calcard 0.3", "typed", "parse + FN/EMAILs"),
    ("vcf", "ical 0.11", "parse", "parse"),
];

/// The inputs, and a calendar already parsed (for the serialiser).
struct Inputs {
    ics: String,
    vcf: String,
    parsed: Calendar,
}

/// One call of task `i`, kept out of line so callgrind can count it alone.
#[inline(never)]
fn measured(i: usize, inputs: &Inputs) -> usize {
    let (ics, vcf) = (inputs.ics.as_str(), inputs.vcf.as_str());
    match i {
        0 => contentline::parse(ics).map(|c| c.len()).unwrap_or(0),
        1 => usize::from(black_box(Calendar::parse(ics)).is_ok()),
        2 => {
            let cal = Calendar::parse(ics).expect("bench calendar parses");
            let mut n = 0usize;
            for ev in cal.events() {
                n += ev.uid().map_or(0, |u| u.len());
                n += ev.summary().map_or(0, |s| s.len());
                n += usize::from(ev.dtstart().ok().flatten().is_some());
                for a in ev.attendees() {
                    n += a.uri.len() + a.cn.map_or(0, |c| c.len());
                    n += a.partstat.map_or(0, |p| p.len());
                }
            }
            n
        }
        3 => inputs.parsed.to_ics().len(),
        4 => calcard_entries(ics, |e| match e {
            calcard::Entry::ICalendar(c) => c.components.len(),
            _ => 1,
        }),
        5 => calcard_entries(ics, |e| match e {
            calcard::Entry::ICalendar(c) => calcard_typed(&c),
            _ => 1,
        }),
        6 => {
            let unfolded = icalendar::parser::unfold(ics);
            icalendar::parser::read_calendar(&unfolded)
                .map(|c| c.components.len())
                .unwrap_or(0)
        }
        7 => ical::IcalParser::new(BufReader::new(ics.as_bytes()))
            .map(|c| c.map(|c| c.events.len()).unwrap_or(0))
            .sum::<usize>(),
        8 => contentline::parse(vcf).map(|c| c.len()).unwrap_or(0),
        9 => VCard::parse_all(vcf).map(|c| c.len()).unwrap_or(0),
        10 => {
            let cards = VCard::parse_all(vcf).expect("bench cards parse");
            cards
                .iter()
                .map(|c| {
                    c.full_name().map_or(0, |f| f.len())
                        + c.emails().iter().map(|e| e.value.len()).sum::<usize>()
                })
                .sum::<usize>()
        }
        11 => calcard_entries(vcf, |e| match e {
            calcard::Entry::VCard(c) => c.entries.len(),
            _ => 1,
        }),
        12 => calcard_entries(vcf, |e| match e {
            calcard::Entry::VCard(c) => {
                let mut n = 0;
                for entry in &c.entries {
                    match entry.name {
                        calcard::vcard::VCardProperty::Fn
                        | calcard::vcard::VCardProperty::Email => {
                            n += entry
                                .values
                                .first()
                                .and_then(|v| v.as_text())
                                .map_or(0, str::len);
                        }
                        _ => {}
                    }
                }
                n
            }
            _ => 1,
        }),
        _ => ical::VcardParser::new(BufReader::new(vcf.as_bytes()))
            .map(|c| c.map(|c| c.properties.len()).unwrap_or(0))
            .sum::<usize>(),
    }
}

/// Every entry calcard's parser reads from `text`, each handed to `f`.
fn calcard_entries(text: &str, mut f: impl FnMut(calcard::Entry) -> usize) -> usize {
    let mut p = calcard::Parser::new(text);
    let mut n = 0;
    loop {
        match p.entry() {
            calcard::Entry::Eof => break,
            e => n += f(e),
        }
    }
    n
}

/// UID, SUMMARY, DTSTART (a date-time) and each ATTENDEE's address, CN and PARTSTAT of every
/// VEVENT, read through calcard's accessors.
fn calcard_typed(cal: &calcard::icalendar::ICalendar) -> usize {
    use calcard::icalendar::{
        ICalendarComponentType, ICalendarParameterName, ICalendarParameterValue, ICalendarProperty,
    };
    let mut n = 0usize;
    for c in &cal.components {
        if c.component_type != ICalendarComponentType::VEvent {
            continue;
        }
        n += c.uid().map_or(0, str::len);
        n += c
            .property(&ICalendarProperty::Summary)
            .and_then(|e| e.values.first())
            .and_then(|v| v.as_text())
            .map_or(0, str::len);
        n += usize::from(
            c.property(&ICalendarProperty::Dtstart)
                .and_then(|e| e.values.first())
                .and_then(|v| v.as_partial_date_time())
                .is_some(),
        );
        for a in c.properties(&ICalendarProperty::Attendee) {
            n += a.calendar_address().map_or(0, str::len);
            n += match a.parameter(&ICalendarParameterName::Cn) {
                Some(ICalendarParameterValue::Text(t)) => t.len(),
                _ => 0,
            };
            n += usize::from(a.parameter(&ICalendarParameterName::Partstat).is_some());
        }
    }
    n
}

/// Wall time of one call of task `i`: the best of 7 samples of as many calls as fill 200 ms.
fn wall_per_call(i: usize, inputs: &Inputs) -> Duration {
    let t = Instant::now();
    black_box(measured(i, inputs));
    let one = t.elapsed().max(Duration::from_micros(1));
    let reps = (Duration::from_millis(200).as_secs_f64() / one.as_secs_f64()).ceil() as u32;
    let reps = reps.clamp(1, 100_000);
    let mut best = Duration::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..reps {
            black_box(measured(i, inputs));
        }
        best = best.min(t.elapsed());
    }
    best / reps
}

/// Instructions of one call of task `i`, counted by callgrind in a child process.
fn instructions(i: usize) -> Option<u64> {
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*measured*",
        ])
        .arg(std::env::current_exe().ok()?)
        .env("DAVKIT_BENCH_CHILD", i.to_string())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':')
        .next()?
        .trim()
        .replace(',', "")
        .parse()
        .ok()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let ics = calendar(10_000);
    let vcf = vcards(10_000);
    let parsed = Calendar::parse(&ics).expect("bench calendar parses");
    let inputs = Inputs { ics, vcf, parsed };
    if let Ok(child) = std::env::var("DAVKIT_BENCH_CHILD") {
        // Under callgrind: one call of one task.
        if let Ok(i) = child.parse::<usize>() {
            black_box(measured(i, &inputs));
        }
        return;
    }
    if let Some(dir) = std::env::var_os("DAVKIT_BENCH_DUMP") {
        // write the generated inputs, e.g. to profile one parser alone
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("bench-10k-events.ics"), &inputs.ics).expect("write .ics");
        std::fs::write(dir.join("bench-10k-cards.vcf"), &inputs.vcf).expect("write .vcf");
    }
    let callgrind = std::env::var("DAVKIT_BENCH_CALLGRIND").as_deref() != Ok("0")
        && Command::new("valgrind").arg("--version").output().is_ok();
    let mut rows = Vec::new();
    for (i, task) in TASKS.iter().enumerate() {
        let time = wall_per_call(i, &inputs);
        let instr = if callgrind { instructions(i) } else { None };
        eprintln!(
            "formats: {} {} {}: {:.2} ms",
            task.0,
            task.1,
            task.3,
            time.as_secs_f64() * 1e3
        );
        rows.push((task, time, instr));
    }
    let bytes = |input: &str| {
        if input == "ics" {
            inputs.ics.len()
        } else {
            inputs.vcf.len()
        }
    };
    println!();
    println!(
        "input: {:.1} MB calendar (10,000 VEVENTs), {:.1} MB of vCards (10,000 cards); wall time \
         per call: best of 7 samples of at least 200 ms; instructions: callgrind, one call",
        inputs.ics.len() as f64 / 1e6,
        inputs.vcf.len() as f64 / 1e6
    );
    println!();
    println!(
        "| input | library | kind | task | ms | MB/s | speed vs calcard (wall) | instructions | instr/byte | vs calcard (instructions) |"
    );
    println!("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for ((input, library, kind, what), time, instr) in &rows {
        let calcard = rows.iter().find(|((inp, lib, k, _), _, _)| {
            inp == input && lib.starts_with("calcard") && k == kind && *kind != "-"
        });
        let b = bytes(input);
        let speed = b as f64 / 1e6 / time.as_secs_f64().max(1e-9);
        let wall_ratio = calcard.map_or("-".into(), |(_, t, _)| {
            format!("{:.2}x", t.as_secs_f64() / time.as_secs_f64().max(1e-12))
        });
        let instr_ratio = match (calcard.and_then(|(_, _, c)| *c), instr) {
            (Some(c), Some(d)) => format!("{:.2}x", c as f64 / (*d).max(1) as f64),
            _ => "-".into(),
        };
        println!(
            "| {} | {library} | {kind} | {what} | {:.2} | {speed:.0} | {wall_ratio} | {} | {} | {instr_ratio} |",
            if *input == "ics" {
                "10k events"
            } else {
                "10k vCards"
            },
            time.as_secs_f64() * 1e3,
            instr.map_or("-".into(), |n| n.to_string()),
            instr.map_or("-".into(), |n| format!("{:.1}", n as f64 / b as f64)),
        );
    }
}
