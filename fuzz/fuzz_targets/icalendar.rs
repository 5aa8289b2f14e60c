//! Fuzzes the RFC 5545 typed view, recurrence expansion and the VTIMEZONEs added for TZIDs
//! without one: no panic on any input, and the text with them added reads back, with nothing
//! left to add.
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
    let mut completed = cal.clone();
    let added = completed.add_missing_timezones();
    if !added.is_empty() {
        let text = completed.to_ics();
        let mut again = Calendar::parse(&text).expect("the text with VTIMEZONEs added reads back");
        assert!(again.add_missing_timezones().is_empty(), "nothing left to add: {added:?}");
    }
});
