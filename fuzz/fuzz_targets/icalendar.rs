//! Fuzzes the RFC 5545 typed view and recurrence expansion: no panic on any input.
#![no_main]

use davkit::icalendar::{Calendar, ExpandOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cal) = Calendar::parse_bytes(data) else {
        return;
    };
    let _ = cal.summaries();
    for o in cal.objects() {
        let _ = (
            o.dtstart(),
            o.end(),
            o.rrules(),
            o.rdates(),
            o.exdates(),
            o.attendees(),
            o.categories(),
        );
    }
    let window = (
        "2000-01-01T00:00:00Z".parse().expect("ts"),
        "2001-01-01T00:00:00Z".parse().expect("ts"),
    );
    let opts = ExpandOptions {
        max_instances: 500,
        max_iterations: 20_000,
        ..ExpandOptions::default()
    };
    let _ = cal.expand(window, &opts);
});
