//! Fuzzes RRULE parsing (RFC 5545 §3.3.10) and expansion with a fixed DTSTART: no panic, no hang.
#![no_main]

use davkit::icalendar::{Calendar, ExpandOptions, RRule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = std::str::from_utf8(data) else {
        return;
    };
    if rule.contains(['\r', '\n']) {
        return;
    }
    if let Ok(r) = RRule::parse(rule) {
        let _ = RRule::parse(&r.to_string()).expect("written rule parses again");
    }
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART;TZID=Europe/Berlin:20250330T023000\r\nRRULE:{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let Ok(cal) = Calendar::parse(&text) else {
        return;
    };
    let window = (
        "2025-01-01T00:00:00Z".parse().expect("ts"),
        "2027-01-01T00:00:00Z".parse().expect("ts"),
    );
    let opts = ExpandOptions {
        max_instances: 1000,
        max_iterations: 50_000,
        ..ExpandOptions::default()
    };
    let _ = cal.expand(window, &opts);
});
