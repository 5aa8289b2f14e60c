//! iCalendar (RFC 5545) and vCard (RFC 6350 / RFC 2426) parsing speed: davkit against the
//! calcard, icalendar and ical crates on a deterministic 10,000-event calendar and 10,000 vCards.
//!
//! `cargo bench -p davkit-bench --bench formats` prints one table. Each figure is the best of
//! several runs, in MB/s of input text, timed with the thread's CPU time on Linux (so a busy
//! machine disturbs it less) and with the wall clock elsewhere.

use std::hint::black_box;
use std::io::BufReader;
use std::time::{Duration, Instant};

use davkit::contentline;
use davkit::icalendar::Calendar;
use davkit::vcard::VCard;

/// Small deterministic generator (xorshift64*), so every run parses the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "planning", "review", "Müller", "café", "회의", "sync", "budget", "offsite", "lunch", "call",
    "design", "roadmap", "séance", "ops", "retro", "standup", "1:1", "hiring", "demo", "release",
];

fn sentence(r: &mut Rng, n: u64) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(r.pick(WORDS));
    }
    s
}

/// Appends `line` folded at 75 octets (never inside a character), like real producers do.
fn push_line(out: &mut String, line: &str) {
    contentline::fold_into(line, out);
}

fn calendar(events: usize) -> String {
    let mut r = Rng(0x5EED_CAFE_F00D_1234);
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
            &format!("UID:{i:08x}-{:016x}@bench.davkit", r.next()),
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
                r.pick(&["A", "B", "C"])
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
            &format!("CATEGORIES:{},{}", r.pick(WORDS), r.pick(WORDS)),
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
    let mut r = Rng(0xC0FF_EE00_DEAD_BEEF);
    let mut out = String::with_capacity(n * 600);
    let photo: String = (0..300).map(|i| (b'A' + (i % 26) as u8) as char).collect();
    for i in 0..n {
        let v4 = r.below(2) == 0;
        let given = r.pick(&["Ann", "Jörg", "Søren", "민준", "Zoë", "Li", "José", "Emma"]);
        let family = r.pick(&[
            "Example", "Müller", "Kim", "Ng", "García", "O'Brien", "Smith",
        ]);
        push_line(&mut out, "BEGIN:VCARD");
        push_line(&mut out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
        push_line(
            &mut out,
            &format!(
                "UID:urn:uuid:{:08x}-0000-4000-8000-{:012x}",
                i,
                r.next() & 0xFFFF_FFFF_FFFF
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
            &format!("ORG:{} Inc.;{}", r.pick(WORDS), r.pick(WORDS)),
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

/// CPU time of this thread in nanoseconds (Linux: `/proc/thread-self/schedstat`), so that other
/// work on a busy machine does not count; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// A clock: thread CPU time where the system offers it, else wall-clock time.
fn now() -> (Instant, Option<u64>) {
    (Instant::now(), thread_cpu_ns())
}

fn since(t: (Instant, Option<u64>)) -> Duration {
    match (t.1, thread_cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
        _ => t.0.elapsed(),
    }
}

/// Best time of `f` over several runs (at least 15, and about 3 s in total): the minimum is
/// the figure least disturbed by other work on the machine.
fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    let started = Instant::now();
    let mut runs = 0;
    while runs < 15 || (started.elapsed() < Duration::from_secs(3) && runs < 200) {
        let t = now();
        black_box(f());
        best = best.min(since(t));
        runs += 1;
    }
    best
}

struct Row {
    input: &'static str,
    library: &'static str,
    task: &'static str,
    time: Duration,
    bytes: usize,
}

fn mbps(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let ics = calendar(10_000);
    let vcf = vcards(10_000);
    if let Some(dir) = std::env::var_os("DAVKIT_BENCH_DUMP") {
        // write the generated inputs, e.g. to profile one parser alone
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("bench-10k-events.ics"), &ics).expect("write .ics");
        std::fs::write(dir.join("bench-10k-cards.vcf"), &vcf).expect("write .vcf");
    }
    let mut rows = Vec::new();
    let ics_len = ics.len();
    let vcf_len = vcf.len();

    // --- iCalendar ---
    rows.push(Row {
        input: "10k events",
        library: "davkit",
        task: "lossless parse (contentline)",
        time: best(|| contentline::parse(&ics).map(|c| c.len()).unwrap_or(0)),
        bytes: ics_len,
    });
    rows.push(Row {
        input: "10k events",
        library: "davkit",
        task: "parse + UID/DTSTART/SUMMARY of every event",
        time: best(|| {
            let cal = Calendar::parse(&ics).expect("bench calendar parses");
            let mut n = 0usize;
            for ev in cal.events() {
                n += ev.uid().map_or(0, |u| u.len());
                n += ev.summary().map_or(0, |s| s.len());
                n += usize::from(ev.dtstart().ok().flatten().is_some());
            }
            n
        }),
        bytes: ics_len,
    });
    rows.push(Row {
        input: "10k events",
        library: "davkit",
        task: "serialise (fold at 75 octets)",
        time: {
            let cal = Calendar::parse(&ics).expect("parses");
            best(|| cal.to_ics().len())
        },
        bytes: ics_len,
    });
    rows.push(Row {
        input: "10k events",
        library: "calcard 0.3",
        task: "parse",
        time: best(|| {
            let mut p = calcard::Parser::new(&ics);
            let mut n = 0;
            loop {
                match p.entry() {
                    calcard::Entry::Eof => break,
                    calcard::Entry::ICalendar(c) => n += c.components.len(),
                    _ => n += 1,
                }
            }
            n
        }),
        bytes: ics_len,
    });
    rows.push(Row {
        input: "10k events",
        library: "icalendar 0.17",
        task: "unfold + parse",
        time: best(|| {
            let unfolded = icalendar::parser::unfold(&ics);
            icalendar::parser::read_calendar(&unfolded)
                .map(|c| c.components.len())
                .unwrap_or(0)
        }),
        bytes: ics_len,
    });
    rows.push(Row {
        input: "10k events",
        library: "ical 0.11",
        task: "parse",
        time: best(|| {
            ical::IcalParser::new(BufReader::new(ics.as_bytes()))
                .map(|c| c.map(|c| c.events.len()).unwrap_or(0))
                .sum::<usize>()
        }),
        bytes: ics_len,
    });

    // --- vCard ---
    rows.push(Row {
        input: "10k vCards",
        library: "davkit",
        task: "lossless parse (contentline)",
        time: best(|| contentline::parse(&vcf).map(|c| c.len()).unwrap_or(0)),
        bytes: vcf_len,
    });
    rows.push(Row {
        input: "10k vCards",
        library: "davkit",
        task: "parse + FN/EMAIL of every card",
        time: best(|| {
            let cards = VCard::parse_all(&vcf).expect("bench cards parse");
            cards
                .iter()
                .map(|c| c.full_name().map_or(0, |f| f.len()) + c.emails().len())
                .sum::<usize>()
        }),
        bytes: vcf_len,
    });
    rows.push(Row {
        input: "10k vCards",
        library: "calcard 0.3",
        task: "parse",
        time: best(|| {
            let mut p = calcard::Parser::new(&vcf);
            let mut n = 0;
            loop {
                match p.entry() {
                    calcard::Entry::Eof => break,
                    calcard::Entry::VCard(c) => n += c.entries.len(),
                    _ => n += 1,
                }
            }
            n
        }),
        bytes: vcf_len,
    });
    rows.push(Row {
        input: "10k vCards",
        library: "ical 0.11",
        task: "parse",
        time: best(|| {
            ical::VcardParser::new(BufReader::new(vcf.as_bytes()))
                .map(|c| c.map(|c| c.properties.len()).unwrap_or(0))
                .sum::<usize>()
        }),
        bytes: vcf_len,
    });

    println!();
    println!(
        "clock: {}",
        if thread_cpu_ns().is_some() {
            "thread CPU time (best of runs)"
        } else {
            "wall clock (best of runs)"
        }
    );
    println!(
        "input: {:.1} MB calendar (10,000 VEVENTs), {:.1} MB of vCards (10,000 cards)",
        ics_len as f64 / 1e6,
        vcf_len as f64 / 1e6
    );
    println!();
    println!("| input | library | task | ms | MB/s | vs calcard |");
    println!("| --- | --- | --- | ---: | ---: | ---: |");
    for r in &rows {
        let calcard = rows
            .iter()
            .find(|x| x.input == r.input && x.library.starts_with("calcard"))
            .map(|x| mbps(x.bytes, x.time));
        let speed = mbps(r.bytes, r.time);
        println!(
            "| {} | {} | {} | {:.1} | {:.0} | {} |",
            r.input,
            r.library,
            r.task,
            r.time.as_secs_f64() * 1e3,
            speed,
            calcard.map_or("-".into(), |c| format!("{:.2}x", speed / c)),
        );
    }
}
