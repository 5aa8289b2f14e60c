//! Fuzzes recurrence expansion (RFC 5545 §3.3.10, §3.8.5) with arbitrary windows and
//! `ExpandOptions`: any calendar, window and budgets give occurrences or a typed error, never a
//! panic or an overflow; what comes back holds the budgets (at most `max_instances`
//! occurrences, `truncated` exactly when a reason is given), is sorted by start and lies in the
//! window.
//!
//! Input: 32 option bytes (missing ones read as 0), then the calendar:
//!
//! | bytes | field |
//! |---|---|
//! | 0 | flags: bit 0 `TzPolicy::PreferVtimezone`, bit 1 `x_wr_timezone` off, bits 2-3 the floating zone (UTC, Europe/Berlin, America/St_Johns, Pacific/Kiritimati), bit 5 a reversed window, bit 6 `max_instances = usize::MAX` |
//! | 1..5 | `max_instances` (u32 LE; 0: the default, else modulo 200,001) |
//! | 5..13 | `max_iterations` (u64 LE; 0: the default, else any value up to `u64::MAX`) |
//! | 13..17 | `max_total_iterations` (u32 LE; 0 or more than 1,000,000: 1,000,000) |
//! | 17..25 | window start (i64 LE; 0: 2025-01-01, else anywhere from -9999 to 9999) |
//! | 25..32 | window length in seconds (56 bits LE; 0: one year, else up to the whole range) |
//!
//! The total budget is what bounds the time, so it stays at most one million steps (its default
//! of ten million takes about 0.4 s in a release build but over 2 s with the fuzzer's
//! instrumentation, past `-timeout=2`), and when `max_instances` is unbounded it is cut to
//! 200,000, so memory stays bounded by the budgets; every other value may be as large as its
//! type allows.
#![no_main]

use davkit::icalendar::{Calendar, ExpandError, ExpandOptions, TzPolicy};
use davkit::jiff::Timestamp;
use davkit::jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

const HEADER: usize = 32;
/// The most steps of all rules together (see above).
const MAX_TOTAL: u64 = 1_000_000;

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fuzz_target!(|data: &[u8]| {
    let mut h = [0u8; HEADER];
    let n = data.len().min(HEADER);
    h[..n].copy_from_slice(&data[..n]);
    let Ok(cal) = Calendar::parse_bytes(&data[n..]) else {
        return;
    };

    let flags = h[0];
    let mut opts = ExpandOptions::default();
    if flags & 1 != 0 {
        opts.tz_policy = TzPolicy::PreferVtimezone;
    }
    opts.x_wr_timezone = flags & 2 == 0;
    let zone = [
        "UTC",
        "Europe/Berlin",
        "America/St_Johns",
        "Pacific/Kiritimati",
    ][usize::from((flags >> 2) & 3)];
    opts.floating_tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let instances = le(&h[1..5]);
    if instances != 0 {
        opts.max_instances = (instances % 200_001) as usize;
    }
    let iterations = le(&h[5..13]);
    if iterations != 0 {
        opts.max_iterations = usize::try_from(iterations).unwrap_or(usize::MAX);
    }
    let total = le(&h[13..17]);
    opts.max_total_iterations = match total {
        1..=MAX_TOTAL => total as usize,
        _ => MAX_TOTAL as usize,
    };
    if flags & 64 != 0 {
        opts.max_instances = usize::MAX;
        opts.max_total_iterations = opts.max_total_iterations.min(200_000);
    }

    let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    let span = (max - min) as u64;
    let start = match le(&h[17..25]) {
        0 => 1_735_689_600, // 2025-01-01T00:00:00Z
        raw => min + (raw % (span + 1)) as i64,
    };
    let len = match le(&h[25..32]) {
        0 => 365 * 86_400,
        raw => raw % (span + 1),
    };
    let end = start.saturating_add(len as i64).min(max);
    let (ws, we) = if flags & 32 != 0 {
        (end, start)
    } else {
        (start, end)
    };
    let window = (
        Timestamp::from_second(ws).expect("in range"),
        Timestamp::from_second(we).expect("in range"),
    );

    let expansion = match cal.expand(window, &opts) {
        Ok(e) => e,
        Err(ExpandError::InvalidWindow) => {
            assert!(we < ws, "a window [{ws}, {we}) refused");
            return;
        }
        Err(_) => return,
    };
    assert!(we >= ws, "a reversed window [{ws}, {we}) expanded");
    assert!(
        expansion.occurrences.len() <= opts.max_instances,
        "{} occurrences over max_instances {}",
        expansion.occurrences.len(),
        opts.max_instances
    );
    assert_eq!(
        expansion.truncated,
        expansion.truncation.is_some(),
        "truncated without a reason, or a reason without truncated"
    );
    for pair in expansion.occurrences.windows(2) {
        assert!(
            pair[0].start_utc <= pair[1].start_utc,
            "occurrences not sorted by start"
        );
    }
    for o in &expansion.occurrences {
        let (s, e) = (o.start_utc.as_second(), o.end_utc.as_second());
        if e > s {
            assert!(
                s < we && e > ws,
                "occurrence [{s}, {e}) outside [{ws}, {we})"
            );
        } else if e == s {
            assert!(s >= ws && s < we, "instant {s} outside [{ws}, {we})");
        }
    }
});
