//! The offline queue's three-way merge (`davkit::queue::merge::merge`) on large and deeply
//! nested objects: peak memory and time of one merge, per shape of input.
//!
//! `cargo bench -p davkit-bench --bench merge` runs each shape at two sizes (256 KB and 1 MB
//! per side), each in a child process of its own (this binary again, with the arguments
//! `child <shape> <KB>`), and prints one table row per run: the sizes, whether the sides
//! merged, the merged text's length and FNV-1a hash (to compare the result across versions),
//! the resident memory before the merge (the three texts generated) and its peak after the
//! first merge (`VmHWM`, what `/usr/bin/time -f %M` reports), the peak the merge added over
//! the sum of the three sides, and the merge's wall time (the fastest of [`RUNS`]). Names of
//! shapes as arguments run only those. A benchmark, not a test: it prints, it does not judge.
//!
//! Shapes (local and server each change something different, so every shape merges):
//!
//! - `deep`: 64 nested components (VCALENDAR > VEVENT > VALARM > X-L3 > ... > X-L63, the
//!   parser's `contentline::MAX_DEPTH`), the bulk as properties of the innermost one; both
//!   sides change a different property there, so the merge descends through every level.
//! - `deep-spread`: the same nesting, the bulk spread evenly over the 64 levels.
//! - `deep-added`: the same nesting, small; locally a large component is added at the
//!   deepest level, on the server the event's title changed.
//! - `siblings`: thousands of events side by side; each side changes a different one.
//! - `wide`: one event with thousands of distinct properties; one changed, one added.
//! - `attendees`: one event with thousands of attendees; one answered, one added.
//! - `long-line`: one event whose description is one line as large as the side.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)] // a benchmark: a wrong input stops it

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use davkit::queue::merge::merge;

const SHAPES: [&str; 7] = [
    "deep",
    "deep-spread",
    "deep-added",
    "siblings",
    "wide",
    "attendees",
    "long-line",
];

/// Merges timed per row; the fastest counts (the machine is shared).
const RUNS: usize = 5;

/// Components in the nested shapes: the parser's limit.
const DEPTH: usize = davkit::contentline::MAX_DEPTH;

fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `n` properties `X-<prefix><i>` of about 64 bytes each.
fn props(out: &mut String, prefix: &str, n: usize) {
    for i in 0..n {
        writeln!(out, "X-{prefix}{i}:{:0>50}\r", i).unwrap();
    }
}

/// The name of nesting level `d` (0 is the VCALENDAR).
fn level(d: usize) -> String {
    match d {
        0 => "VCALENDAR".to_owned(),
        1 => "VEVENT".to_owned(),
        2 => "VALARM".to_owned(),
        _ => format!("X-L{d}"),
    }
}

/// 64 nested components; `fill(d, out)` writes the properties of level `d`.
fn nested(fill: &dyn Fn(usize, &mut String)) -> String {
    let mut out = String::new();
    for d in 0..DEPTH {
        write!(out, "BEGIN:{}\r\n", level(d)).unwrap();
        match d {
            0 => out.push_str("VERSION:2.0\r\nPRODID:-//davkit//merge bench//EN\r\n"),
            1 => out.push_str("UID:e1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Deep\r\n"),
            2 => out.push_str("ACTION:DISPLAY\r\nTRIGGER:-PT5M\r\n"),
            _ => {}
        }
        fill(d, &mut out);
    }
    for d in (0..DEPTH).rev() {
        write!(out, "END:{}\r\n", level(d)).unwrap();
    }
    out
}

fn event(body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//merge bench//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Wide\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Base, local and server texts of one shape, each side about `kb` KB.
fn sides(shape: &str, kb: usize) -> (String, String, String) {
    let bytes = kb * 1024;
    let lines = bytes / 64;
    // a property line of `props` (same length, a different value)
    let prop = |prefix: &str, i: usize| format!("X-{prefix}{i}:{:0>50}\r\n", i);
    let changed = |prefix: &str, i: usize| format!("X-{prefix}{i}:{:x>50}\r\n", i);
    let swap = |text: &str, old: &str, new: &str| {
        assert!(text.contains(old), "{old} in the base");
        text.replacen(old, new, 1)
    };
    match shape {
        "deep" | "deep-spread" => {
            let base = if shape == "deep" {
                nested(&|d, out| {
                    if d == DEPTH - 1 {
                        props(out, "P", lines);
                    }
                })
            } else {
                nested(&|d, out| props(out, &format!("S{d}-"), lines / DEPTH))
            };
            let p = if shape == "deep" {
                "P".to_owned()
            } else {
                format!("S{}-", DEPTH - 1)
            };
            let local = swap(&base, &prop(&p, 0), &changed(&p, 0));
            let server = swap(&base, &prop(&p, 1), &changed(&p, 1));
            (base, local, server)
        }
        "deep-added" => {
            let base = nested(&|_, _| {});
            let mut added = "BEGIN:X-ADDED\r\n".to_owned();
            props(&mut added, "A", lines);
            added.push_str("END:X-ADDED\r\n");
            let bottom = format!("END:{}\r\n", level(DEPTH - 1));
            let local = swap(&base, &bottom, &format!("{bottom}{added}"));
            let server = swap(&base, "SUMMARY:Deep\r\n", "SUMMARY:Deeper\r\n");
            (base, local, server)
        }
        "siblings" => {
            let n = bytes / 110;
            let mut body = String::new();
            for i in 0..n {
                write!(
                    body,
                    "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Event {i}\r\nEND:VEVENT\r\n"
                )
                .unwrap();
            }
            let base = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//merge bench//EN\r\n{body}END:VCALENDAR\r\n"
            );
            let local = swap(&base, "SUMMARY:Event 0\r\n", "SUMMARY:Event zero\r\n");
            let last = format!("SUMMARY:Event {}\r\n", n - 1);
            let server = swap(&base, &last, "SUMMARY:The last event\r\n");
            (base, local, server)
        }
        "wide" => {
            let mut body = String::new();
            props(&mut body, "P", lines);
            let base = event(&body);
            let local = swap(&base, &prop("P", 0), &changed("P", 0));
            let server = swap(&base, "SUMMARY:Wide\r\n", "SUMMARY:Wide\r\nX-ADDED:1\r\n");
            (base, local, server)
        }
        "attendees" => {
            let mut body = String::new();
            for i in 0..bytes / 70 {
                writeln!(body, "ATTENDEE;CN=Person {i}:mailto:p{i}@example.com\r").unwrap();
            }
            let base = event(&body);
            let local = swap(
                &base,
                "ATTENDEE;CN=Person 0:",
                "ATTENDEE;CN=Person 0;PARTSTAT=ACCEPTED:",
            );
            let server = swap(
                &base,
                "SUMMARY:Wide\r\n",
                "SUMMARY:Wide\r\nATTENDEE:mailto:new@example.com\r\n",
            );
            (base, local, server)
        }
        "long-line" => {
            let base = event(&format!("DESCRIPTION:{}\r\n", "a".repeat(bytes)));
            let local = swap(&base, "SUMMARY:Wide\r\n", "SUMMARY:Long\r\n");
            let server = swap(&base, "a\r\n", "b\r\n");
            (base, local, server)
        }
        other => panic!("no shape {other}"),
    }
}

/// The child: one merge of one shape, one table row.
fn child(shape: &str, kb: usize) {
    let (base, local, server) = sides(shape, kb);
    let input = base.len() + local.len() + server.len();
    let before = peak_rss_kb().unwrap_or(0);
    let t = Instant::now();
    let merged = merge(&base, &local, &server);
    let mut took = t.elapsed();
    let peak = peak_rss_kb().unwrap_or(0);
    for _ in 1..RUNS {
        let t = Instant::now();
        black_box(merge(&base, &local, &server));
        took = took.min(t.elapsed());
    }
    let (ok, len, hash) = match &merged {
        Some(m) => ("yes", m.len(), fnv(m)),
        None => ("no", 0, 0),
    };
    let mb = |b: f64| b / 1e6;
    println!(
        "| {shape} | {kb} | {:.2} | {ok} | {len} | {hash:016x} | {:.1} | {:.1} | {:.1} | {:.0} |",
        mb(input as f64),
        mb(before as f64 * 1024.0),
        mb(peak as f64 * 1024.0),
        (peak.saturating_sub(before) * 1024) as f64 / input as f64,
        took.as_secs_f64() * 1e3
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "child") {
        let shape = args.get(i + 1).expect("a shape");
        let kb = args.get(i + 2).and_then(|k| k.parse().ok()).unwrap_or(1024);
        child(shape, kb);
        return;
    }
    // `cargo bench` passes `--bench`; any other argument names the shapes to run
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    println!("Three-way merge, one child process per row:\n");
    println!(
        "| shape | KB per side | input MB (3 sides) | merged | merged bytes | FNV-1a | RSS before MB | peak RSS MB | added peak / input | merge ms |"
    );
    println!("|---|---:|---:|---|---:|---|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for shape in SHAPES {
        if !only.is_empty() && !only.iter().any(|o| *o == shape) {
            continue;
        }
        for kb in [256, 1024] {
            let out = Command::new(&exe)
                .args(["child", shape, &kb.to_string()])
                .output()
                .unwrap();
            if out.status.success() {
                print!("{}", String::from_utf8_lossy(&out.stdout));
            } else {
                println!("| {shape} | {kb} | failed: {} |", out.status);
            }
        }
    }
}
