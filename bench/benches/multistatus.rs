//! Multistatus (RFC 4918 §13) parsing: davkit's parse into typed responses (and its
//! one-response-at-a-time reader, each response turned into a record and dropped) against two
//! extractors that pull what a sync needs from each response (href, status, getetag,
//! calendar-data or address-data text, entities resolved) and keep only that:
//!
//! - `quick-xml (ns)`: quick-xml's `NsReader`, matching names by namespace as davkit does;
//! - `xmlparser extractor`: the `xmlparser` tokenizer with names matched by local name only
//!   (no namespace resolution, no limits), the least work a parser on that tokenizer can do.
//!
//! Two bodies of 10,000 responses: a sync-collection answer (href, getetag, status; every tenth
//! a status-only 404) and a calendar-multiget answer with entity-escaped calendar-data.
//!
//! `cargo bench -p davkit-bench --bench multistatus` prints one table per body:
//!
//! - time per MB of input: the best of 7 samples, each parses for at least 100 ms, timed by the
//!   thread's CPU time where Linux provides it (so other work on the machine does not skew the
//!   ratios), else by the wall clock;
//! - instructions per byte: one parse under `valgrind --tool=callgrind`, counting only the
//!   parse (`--toggle-collect`), when valgrind is installed (`DAVKIT_BENCH_CALLGRIND=0` skips);
//! - memory: one parse in a fresh process, the peak resident memory above what the process
//!   held before it (`/proc/self/clear_refs` resets the peak), and what stays resident while
//!   the result is held. Page-granular, allocator included: what the parse costs the process.
//!
//! Every parser's result is checked against davkit's (same responses, hrefs, ETags and data
//! bytes) before anything is timed.

use std::borrow::Cow;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use davkit::rfc4918::multistatus;
use davkit::xml::names;

const RESPONSES: usize = 10_000;
const BASE: &str = "https://dav.example.com/calendars/alice/work/";

/// A sync-collection answer: href, ETag and status per member, every tenth member deleted
/// (status-only 404), and the new sync token.
fn etags_body() -> String {
    let mut out = String::with_capacity(RESPONSES * 250);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" \
         xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\n",
    );
    for i in 0..RESPONSES {
        if i % 10 == 9 {
            out.push_str(&format!(
                "<d:response><d:href>/calendars/alice/work/event-{i:05}.ics</d:href>\
                 <d:status>HTTP/1.1 404 Not Found</d:status></d:response>\n"
            ));
        } else {
            out.push_str(&format!(
                "<d:response><d:href>/calendars/alice/work/event-{i:05}.ics</d:href><d:propstat>\
                 <d:prop><d:getetag>\"{:016x}\"</d:getetag></d:prop>\
                 <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
                (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ));
        }
    }
    out.push_str(
        "<d:sync-token>http://example.com/ns/sync/1234</d:sync-token>\n</d:multistatus>\n",
    );
    out
}

/// A calendar-multiget answer: each response has an ETag and an entity-escaped event.
fn calendar_body() -> String {
    let mut out = String::with_capacity(RESPONSES * 900);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" \
         xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\n",
    );
    for i in 0..RESPONSES {
        let day = i % 28 + 1;
        out.push_str(&format!(
            "<d:response><d:href>/calendars/alice/work/event-{i:05}.ics</d:href><d:propstat>\
             <d:prop><d:getetag>\"{:016x}\"</d:getetag><c:calendar-data>BEGIN:VCALENDAR&#13;\n\
             VERSION:2.0&#13;\nPRODID:-//davkit//bench//EN&#13;\nBEGIN:VEVENT&#13;\n\
             UID:event-{i:05}@example.com&#13;\nDTSTAMP:20260101T000000Z&#13;\n\
             DTSTART;TZID=Europe/Berlin:202603{day:02}T090000&#13;\nDURATION:PT1H&#13;\n\
             SUMMARY:Design review &amp; planning #{i}&#13;\n\
             DESCRIPTION:Agenda: roadmap\\, budget &lt;draft&gt;\\, hiring. Bring numbers.&#13;\n\
             LOCATION:Room 4.{}&#13;\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com&#13;\n\
             END:VEVENT&#13;\nEND:VCALENDAR&#13;\n</c:calendar-data></d:prop>\
             <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            i % 9
        ));
    }
    out.push_str("</d:multistatus>\n");
    out
}

/// What an extractor keeps of one response.
#[derive(Default)]
struct Record<'a> {
    href: Cow<'a, str>,
    status: Option<u16>,
    etag: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
}

/// The field whose text is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Href,
    Status,
    Etag,
    Data,
}

fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Appends a piece of text to the field being read (borrowed while it is one piece).
fn append<'a>(acc: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    match acc {
        None => *acc = Some(piece),
        Some(prev) => prev.to_mut().push_str(&piece),
    }
}

fn finish<'a>(record: &mut Record<'a>, field: Field, text: Option<Cow<'a, str>>) {
    let text = text.unwrap_or(Cow::Borrowed(""));
    match field {
        Field::Href => record.href = text,
        Field::Status => record.status = status_code(&text),
        Field::Etag => record.etag = Some(text),
        Field::Data => record.data = Some(text),
        Field::None => {}
    }
}

fn field_of(local: &str) -> Field {
    match local {
        "href" => Field::Href,
        "status" => Field::Status,
        "getetag" => Field::Etag,
        "calendar-data" | "address-data" => Field::Data,
        _ => Field::None,
    }
}

/// The xmlparser extractor: local names only, entities resolved in the fields it keeps.
fn xmlparser_extract(text: &str) -> Vec<Record<'_>> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut out = Vec::new();
    let mut record = Record::default();
    let mut field = Field::None;
    let mut acc: Option<Cow<'_, str>> = None;
    for token in Tokenizer::from(text) {
        match token.expect("the benchmark body is well-formed") {
            Token::ElementStart { local, .. } => {
                field = field_of(local.as_str());
                acc = None;
            }
            Token::Text { text } if field != Field::None => {
                append(&mut acc, davkit::xml::unescape(text.as_str()));
            }
            Token::Cdata { text, .. } if field != Field::None => {
                append(&mut acc, Cow::Borrowed(text.as_str()));
            }
            Token::ElementEnd {
                end: ElementEnd::Close(_, local),
                ..
            } => {
                finish(&mut record, field, acc.take());
                field = Field::None;
                if local.as_str() == "response" {
                    out.push(std::mem::take(&mut record));
                }
            }
            Token::ElementEnd {
                end: ElementEnd::Empty,
                ..
            } => {
                finish(&mut record, field, None);
                field = Field::None;
            }
            _ => {}
        }
    }
    out
}

/// The quick-xml extractor: names matched by (namespace, local name) through `NsReader`.
fn quick_xml_extract(text: &str) -> Vec<Record<'_>> {
    use quick_xml::events::Event;
    use quick_xml::name::{Namespace, ResolveResult};
    let mut reader = quick_xml::NsReader::from_str(text);
    let mut out = Vec::new();
    let mut record = Record::default();
    let mut field = Field::None;
    let mut acc: Option<Cow<'_, str>> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .expect("the benchmark body is well-formed");
        let known = |ns: &ResolveResult<'_>| -> bool {
            matches!(
                ns,
                ResolveResult::Bound(Namespace(
                    "DAV:" | "urn:ietf:params:xml:ns:caldav" | "urn:ietf:params:xml:ns:carddav"
                ))
            )
        };
        match event {
            Event::Start(e) => {
                field = if known(&ns) {
                    field_of(e.local_name().as_ref())
                } else {
                    Field::None
                };
                acc = None;
            }
            Event::Empty(_) => {}
            Event::Text(t) if field != Field::None => append(&mut acc, t.into_inner()),
            Event::CData(t) if field != Field::None => append(&mut acc, t.into_inner()),
            Event::GeneralRef(r) if field != Field::None => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => quick_xml::escape::resolve_predefined_entity(&r)
                        .and_then(|s| s.chars().next()),
                };
                if let Some(c) = resolved {
                    append(&mut acc, Cow::Owned(c.to_string()));
                }
            }
            Event::End(e) => {
                finish(&mut record, field, acc.take());
                field = Field::None;
                if known(&ns) && e.local_name().as_ref() == "response" {
                    out.push(std::mem::take(&mut record));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// davkit read one response at a time ([`multistatus::Responses`]), each turned into the
/// same record as the extractors keep (its strings moved, not copied) and then dropped: the
/// typed form of the whole body is never held.
fn davkit_records(text: &str) -> Vec<Record<'static>> {
    let limits = davkit::Limits::default();
    let responses = multistatus::Responses::new(text.as_bytes(), BASE, &limits)
        .expect("the benchmark body parses");
    responses
        .map(|r| record_of(r.expect("the benchmark body parses")))
        .collect()
}

/// The text of a property element, moved out when it is one piece (the usual case).
fn take_text(mut e: davkit::xml::Element) -> String {
    match e.children.pop() {
        Some(davkit::xml::Node::Text(t)) if e.children.is_empty() => t,
        Some(last) => {
            e.children.push(last);
            e.text()
        }
        None => String::new(),
    }
}

fn record_of(r: multistatus::Response) -> Record<'static> {
    let mut record = Record {
        href: Cow::Owned(r.raw_href),
        status: r.status.or_else(|| r.propstats.last().map(|p| p.status)),
        etag: None,
        data: None,
    };
    for propstat in r.propstats {
        if !(200..300).contains(&propstat.status) {
            continue;
        }
        for prop in propstat.props {
            if prop.name == names::GETETAG {
                record.etag = Some(Cow::Owned(take_text(prop)));
            } else if prop.name == names::CALENDAR_DATA || prop.name == names::ADDRESS_DATA {
                record.data = Some(Cow::Owned(take_text(prop)));
            }
        }
    }
    record
}

/// What a result holds, to check that every parser read the same: responses, bytes of
/// hrefs, ETags and data, and the sum of the statuses.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    responses: usize,
    href_bytes: usize,
    etag_bytes: usize,
    data_bytes: usize,
    statuses: u64,
}

fn summarise_records(records: &[Record<'_>]) -> Summary {
    Summary {
        responses: records.len(),
        href_bytes: records.iter().map(|r| r.href.len()).sum(),
        etag_bytes: records
            .iter()
            .filter_map(|r| r.etag.as_ref())
            .map(|e| e.len())
            .sum(),
        data_bytes: records
            .iter()
            .filter_map(|r| r.data.as_ref())
            .map(|d| d.len())
            .sum(),
        statuses: records.iter().filter_map(|r| r.status).map(u64::from).sum(),
    }
}

fn summarise_davkit(ms: &multistatus::Multistatus) -> Summary {
    let r = &ms.responses;
    let data = |x: &multistatus::Response| {
        x.prop(&names::CALENDAR_DATA)
            .or_else(|| x.prop(&names::ADDRESS_DATA))
            .map(|e| e.text().len())
    };
    Summary {
        responses: r.len(),
        href_bytes: r.iter().map(|x| x.raw_href.len()).sum(),
        etag_bytes: r
            .iter()
            .filter_map(|x| x.prop(&names::GETETAG))
            .map(|e| e.text().len())
            .sum(),
        data_bytes: r.iter().filter_map(data).sum(),
        statuses: r
            .iter()
            .map(|x| {
                x.status
                    .or_else(|| x.propstats.last().map(|p| p.status))
                    .map_or(0, u64::from)
            })
            .sum(),
    }
}

const PARSERS: [&str; 4] = ["davkit", "davkit-records", "quick-xml", "xmlparser"];
const BODIES: [&str; 2] = ["etags", "calendar-data"];

fn body(name: &str) -> String {
    match name {
        "etags" => etags_body(),
        _ => calendar_body(),
    }
}

/// One parse by one parser, kept out of line so callgrind can count it alone.
#[inline(never)]
fn measured_parse(parser: &str, text: &str) -> usize {
    match parser {
        "davkit" => {
            let ms = multistatus::parse(text.as_bytes(), BASE).expect("the benchmark body parses");
            black_box(&ms);
            ms.responses.len()
        }
        "davkit-records" => black_box(davkit_records(text)).len(),
        "quick-xml" => black_box(quick_xml_extract(text)).len(),
        _ => black_box(xmlparser_extract(text)).len(),
    }
}

/// CPU time this thread has run, from Linux's schedstat (not disturbed by other processes on
/// a busy machine); wall-clock time where that file is missing.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Time of one call of `f`: the best of `samples` samples of `reps` calls each, divided by
/// `reps` (CPU time when available).
fn best_per_call(samples: usize, reps: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..samples {
        let (wall, cpu) = (Instant::now(), cpu_time());
        for _ in 0..reps {
            black_box(f());
        }
        let took = match (cpu, cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall.elapsed(),
        };
        best = best.min(took);
    }
    best / u32::try_from(reps).unwrap_or(1)
}

/// A `kB` field of `/proc/self/status`.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `f` and returns the peak and the retained resident kB above the resident memory
/// before it, holding its result while measuring.
fn resident_cost<T>(f: impl FnOnce() -> T) -> Option<(u64, u64)> {
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        return None;
    }
    let before = status_kb("VmRSS:")?;
    let kept = f();
    let (peak, now) = (status_kb("VmHWM:")?, status_kb("VmRSS:")?);
    black_box(&kept);
    Some((peak.saturating_sub(before), now.saturating_sub(before)))
}

/// In a child process: one parse, printing the peak and the retained resident kB.
fn memory_child(parser: &str, text: &str) {
    // Touch every page of the body first: it is not part of the cost.
    black_box(text.bytes().map(usize::from).sum::<usize>());
    let cost = match parser {
        "davkit" => resident_cost(|| multistatus::parse(text.as_bytes(), BASE).ok()),
        "davkit-records" => resident_cost(|| davkit_records(text)),
        "quick-xml" => resident_cost(|| quick_xml_extract(text)),
        _ => resident_cost(|| xmlparser_extract(text)),
    };
    if let Some((peak, kept)) = cost {
        println!("{peak} {kept}");
    }
}

/// Re-runs this bench in a child with `DAVKIT_BENCH_CHILD` set, under `wrapper` if any.
fn child(wrapper: &[&str], what: &str) -> Option<std::process::Output> {
    let exe = std::env::current_exe().ok()?;
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.env("DAVKIT_BENCH_CHILD", what).output().ok()
}

/// Instructions of one parse, counted by callgrind in a child process.
fn instructions(parser: &str, body: &str) -> Option<u64> {
    let out = child(
        &[
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*measured_parse*",
        ],
        &format!("measure:{parser}:{body}"),
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':')
        .next()?
        .trim()
        .replace(',', "")
        .parse()
        .ok()
}

/// Peak and retained resident kB of one parse, from a child process.
fn memory(parser: &str, body: &str) -> Option<(u64, u64)> {
    let out = child(&[], &format!("memory:{parser}:{body}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut it = stdout.split_whitespace().map(|n| n.parse::<u64>().ok());
    Some((it.next()??, it.next()??))
}

fn main() {
    // Children: one parse to count (callgrind) or to measure (memory), then exit.
    if let Ok(what) = std::env::var("DAVKIT_BENCH_CHILD") {
        let mut parts = what.splitn(3, ':');
        let (kind, parser, name) = (parts.next(), parts.next(), parts.next());
        let (Some(kind), Some(parser), Some(name)) = (kind, parser, name) else {
            return;
        };
        let text = body(name);
        match kind {
            "measure" => {
                black_box(measured_parse(parser, &text));
            }
            _ => memory_child(parser, &text),
        }
        return;
    }
    // For profilers (`perf record`): one parser, 50 parses of one body, nothing else.
    if let Ok(only) = std::env::var("DAVKIT_BENCH_ONLY") {
        let (parser, name) = only
            .split_once(':')
            .unwrap_or((only.as_str(), "calendar-data"));
        let text = body(name);
        for _ in 0..50 {
            black_box(measured_parse(parser, &text));
        }
        return;
    }
    let callgrind = std::env::var("DAVKIT_BENCH_CALLGRIND").as_deref() != Ok("0")
        && Command::new("valgrind").arg("--version").output().is_ok();
    let clock = if cpu_time().is_some() {
        "thread CPU time"
    } else {
        "wall clock"
    };
    for name in BODIES {
        let text = body(name);
        let mb = text.len() as f64 / 1e6;

        // The same responses, hrefs, ETags, data and statuses from all three.
        let ms = multistatus::parse(text.as_bytes(), BASE).expect("the benchmark body parses");
        let expected = summarise_davkit(&ms);
        drop(ms);
        assert_eq!(summarise_records(&davkit_records(&text)), expected);
        assert_eq!(summarise_records(&quick_xml_extract(&text)), expected);
        assert_eq!(summarise_records(&xmlparser_extract(&text)), expected);
        assert_eq!(expected.responses, RESPONSES);

        let samples = 7;
        println!(
            "\nmultistatus, {name}: {RESPONSES} responses, {:.2} MB; time: best of {samples} \
             samples of at least 100 ms ({clock}); instructions: callgrind, one parse; memory: \
             resident MB above the body, one parse in a fresh process",
            mb
        );
        println!(
            "| parser | ms per MB | MB/s | speed vs xmlparser extractor | instr/byte | peak extra MB | \
             kept MB |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let times: Vec<Duration> = PARSERS
            .iter()
            .map(|p| {
                // enough parses per sample that the clock's tick is noise (100 ms or more)
                let once = best_per_call(1, 1, || measured_parse(p, &text));
                let reps = (0.1 / once.as_secs_f64().max(1e-6)).ceil() as usize;
                best_per_call(samples, reps.clamp(5, 1000), || measured_parse(p, &text))
            })
            .collect();
        let reference = times[3];
        for (parser, time) in PARSERS.iter().zip(&times) {
            let instr = if callgrind {
                instructions(parser, name).map_or("–".to_owned(), |n| {
                    format!("{:.1}", n as f64 / text.len() as f64)
                })
            } else {
                "–".to_owned()
            };
            let (peak, kept) =
                memory(parser, name).map_or(("–".into(), "–".into()), |(p, k)| {
                    (
                        format!("{:.1}", p as f64 / 1024.0),
                        format!("{:.1}", k as f64 / 1024.0),
                    )
                });
            let label = match *parser {
                "davkit" => "davkit `parse` (typed responses)",
                "davkit-records" => "davkit `Responses`, one at a time, kept as records",
                "quick-xml" => "quick-xml 0.42 extractor (ns)",
                _ => "xmlparser 0.13 extractor",
            };
            println!(
                "| {label} | {:.2} | {:.0} | {:.2}x | {instr} | {peak} | {kept} |",
                time.as_secs_f64() * 1e3 / mb,
                mb / time.as_secs_f64(),
                reference.as_secs_f64() / time.as_secs_f64(),
            );
        }
    }
}
