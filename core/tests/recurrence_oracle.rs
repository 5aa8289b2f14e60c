//! Differential recurrence tests (RFC 5545 §3.3.10, §3.8.5): davkit's expansion against an
//! independent oracle, the PyPI packages `icalendar` + `recurring-ical-events` run by
//! `tests/oracle/expand.py`. Instances must agree one by one (UID, start, end), across DST
//! changes in Asia/Seoul, America/New_York and Europe zones.
//!
//! Needs the Python venv made by `tests/servers/setup-venv.sh` (`<repo>/.venv/bin/python`) or
//! `DAVKIT_PYTHON`; run with `cargo test --test recurrence_oracle -- --ignored`.

#[path = "recurrence_oracle/cases.rs"]
mod cases;
#[path = "recurrence_oracle/rules.rs"]
mod rules;
#[path = "recurrence_oracle/sides.rs"]
mod sides;

use std::path::{Path, PathBuf};

use cases::CASES;
use rules::{Rng, random_rule};
use sides::{davkit_instances, oracle_instances};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> PathBuf {
    match std::env::var_os("DAVKIT_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => repo().join(".venv/bin/python"),
    }
}
#[test]
#[ignore = "needs the PyPI oracle venv; run by the test command with --ignored"]
fn davkit_agrees_with_recurring_ical_events() {
    let base = repo().join("tests/corpus/ical");
    let mut report = Vec::new();
    let mut total = 0;
    for (file, start, end) in CASES {
        let path = base.join(file);
        let ours = davkit_instances(&path, start, end);
        let theirs = oracle_instances(&path, start, end);
        total += theirs.len();
        let ours_cmp: Vec<(String, String, Option<String>)> = ours
            .iter()
            .zip(theirs.iter())
            .map(|(o, t)| (o.0.clone(), o.1.clone(), t.2.as_ref().map(|_| o.2.clone())))
            .collect();
        if ours.len() != theirs.len() || ours_cmp != theirs {
            let first = ours_cmp.iter().zip(theirs.iter()).position(|(a, b)| a != b);
            report.push(format!(
                "{file}: davkit {} instances, oracle {}; first difference at {:?}: davkit {:?} oracle {:?}",
                ours.len(),
                theirs.len(),
                first,
                first.and_then(|i| ours.get(i)),
                first.and_then(|i| theirs.get(i)),
            ));
        }
    }
    assert!(report.is_empty(), "disagreements:\n{}", report.join("\n"));
    assert!(total > 500, "too few instances compared: {total}");
    println!("{} calendars, {total} instances agree", CASES.len());
}

#[test]
#[ignore = "needs the PyPI oracle venv; run by the test command with --ignored"]
fn random_rules_agree_with_the_oracle() {
    let mut r = Rng(0x0DDB_1A5E_5BAD_5EED);
    let zones = [
        "Asia/Seoul",
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
    ];
    let mut ics =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//random rules//EN\r\n");
    let n = 1000;
    for i in 0..n {
        let (y, m, d) = (2025 + r.below(2), 1 + r.below(12), 1 + r.below(28));
        let (h, mi) = (r.below(24), r.below(4) * 15);
        let start = match r.below(6) {
            0 => format!(";VALUE=DATE:{y}{m:02}{d:02}"),
            1 => format!(":{y}{m:02}{d:02}T{h:02}{mi:02}00Z"),
            2 => format!(":{y}{m:02}{d:02}T{h:02}{mi:02}00"),
            _ => format!(
                ";TZID={}:{y}{m:02}{d:02}T{h:02}{mi:02}00",
                zones[r.below(zones.len() as u64) as usize]
            ),
        };
        let mut rule = random_rule(&mut r);
        if start.contains("VALUE=DATE") {
            // sub-daily rules make no sense for all-day events
            rule = rule
                .replace("FREQ=HOURLY", "FREQ=DAILY")
                .replace("FREQ=MINUTELY", "FREQ=DAILY");
            rule = rule.replace("T120000Z", "");
            // and neither do times of day
            rule = rule
                .split(';')
                .filter(|p| !p.starts_with("BYHOUR") && !p.starts_with("BYMINUTE"))
                .collect::<Vec<_>>()
                .join(";");
        }
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:rule-{i}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART{start}\r\nRRULE:{rule}\r\nSUMMARY:{rule}\r\nEND:VEVENT\r\n"
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    let path = std::env::temp_dir().join(format!("davkit-random-rules-{}.ics", std::process::id()));
    std::fs::write(&path, &ics).expect("write the generated calendar");
    let (start, end) = ("2024-01-01T00:00:00Z", "2035-01-01T00:00:00Z");
    let ours = davkit_instances(&path, start, end);
    let theirs = oracle_instances(&path, start, end);
    let _ = std::fs::remove_file(&path);
    let mut differing = Vec::new();
    for i in 0..n {
        let uid = format!("rule-{i}");
        let a: Vec<_> = ours
            .iter()
            .filter(|x| x.0 == uid)
            .map(|x| (x.1.clone(), x.2.clone()))
            .collect();
        let b: Vec<_> = theirs
            .iter()
            .filter(|x| x.0 == uid)
            .map(|x| (x.1.clone(), x.2.clone().unwrap_or_default()))
            .collect();
        if a != b {
            let rule = ics
                .split("BEGIN:VEVENT")
                .find(|e| e.contains(&format!("UID:{uid}\r")))
                .unwrap_or_default()
                .to_owned();
            differing.push(format!(
                "{uid}: davkit {} vs oracle {}\n{rule}\n davkit {:?}\n oracle {:?}",
                a.len(),
                b.len(),
                a.iter().take(4).collect::<Vec<_>>(),
                b.iter().take(4).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {n} rules differ:\n{}",
        differing.len(),
        differing.join("\n")
    );
    println!("{n} random rules, {} instances agree", theirs.len());
}
