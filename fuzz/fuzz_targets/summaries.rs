//! Fuzzes the event summaries on arbitrary calendars: `Calendar::summaries()`, each object's
//! `to_summary()`, the lenient and multi-calendar parsers feeding them, and
//! `OccurrenceSummary` of a small expansion: no panic, one summary per VEVENT/VTODO/VJOURNAL,
//! the component named as it is, and every summary survives a JSON round trip (what the
//! bindings send).
#![no_main]

use davkit::icalendar::{Calendar, EventSummary, ExpandOptions, OccurrenceSummary};
use libfuzzer_sys::fuzz_target;

fn check(cal: &Calendar) {
    let summaries = cal.summaries();
    let objects: Vec<_> = cal
        .objects()
        .filter(|o| o.kind().is_recurring_kind())
        .collect();
    assert_eq!(summaries.len(), objects.len(), "one summary per object");
    for (s, o) in summaries.iter().zip(&objects) {
        assert!(
            o.component().is(&s.component),
            "summary of {} names {}",
            o.component().name(),
            s.component
        );
        let _ = o.to_summary();
        let json = serde_json::to_string(s).expect("summary serialises");
        let back: EventSummary = serde_json::from_str(&json).expect("summary reads back");
        assert_eq!(&back, s, "summary JSON round trip");
    }
    let opts = ExpandOptions {
        max_instances: 50,
        max_iterations: 20_000,
        max_total_iterations: 200_000,
        ..ExpandOptions::default()
    };
    let window = (
        "2024-01-01T00:00:00Z".parse().expect("ts"),
        "2026-01-01T00:00:00Z".parse().expect("ts"),
    );
    if let Ok(expansion) = cal.expand(window, &opts) {
        for o in &expansion.occurrences {
            let s = OccurrenceSummary::from(o);
            let json = serde_json::to_string(&s).expect("occurrence serialises");
            let back: OccurrenceSummary = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, s, "occurrence JSON round trip");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(cal) = Calendar::parse_bytes(data) {
        check(&cal);
    }
    if let Ok((cal, _repairs)) = Calendar::parse_bytes_lenient(data) {
        check(&cal);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(cals) = Calendar::parse_all(text)
    {
        for cal in cals.iter().take(4) {
            check(cal);
        }
    }
});
