//! Date and time texts read by hand: RFC 3339 instants, ISO dates and RFC 2822 (HTTP) dates.
//!
//! jiff's own readers (its Temporal ISO 8601 parser and its RFC 2822 parser) were about 30 KB
//! of the npm package's WebAssembly, and their internal `.unwrap()`s on jiff errors kept
//! about 20 KB of jiff's error `Debug` code alive. The callers need a few fixed forms only:
//! RFC 3339 from Google's Calendar API and from JavaScript's `Date.toISOString()` (the
//! `expand` window), `YYYY-MM-DD` dates from Google, and the HTTP date of Google's push
//! headers. Each reader returns exactly what jiff returns for those forms (the tests compare
//! with jiff's parsers over generated inputs) and refuses the rest: `None`, never a panic,
//! bounded work (every reader looks at a fixed number of bytes).

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::Offset;

/// Bytes from `at`, exactly `len` of them, all ASCII digits, as a number.
fn digits(s: &[u8], at: usize, len: usize) -> Option<i32> {
    let d = s.get(at..at.checked_add(len)?)?;
    d.iter().try_fold(0i32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0'))
    })
}

/// `YYYY-MM-DD` or `±YYYYYY-MM-DD` at the start; the date and the bytes read.
fn date_prefix(s: &[u8]) -> Option<(Date, usize)> {
    let (year, at) = match s.first()? {
        b'+' => (digits(s, 1, 6)?, 7),
        // `-000000` is refused by ISO 8601 (and jiff): there is no negative zero.
        b'-' => (-digits(s, 1, 6).filter(|y| *y != 0)?, 7),
        _ => (digits(s, 0, 4)?, 4),
    };
    if s.get(at) != Some(&b'-') || s.get(at + 3) != Some(&b'-') {
        return None;
    }
    let month = digits(s, at + 1, 2)?;
    let day = digits(s, at + 4, 2)?;
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    Some((date, at + 6))
}

/// `YYYY-MM-DD` (or `±YYYYYY-MM-DD`), as Google's Calendar API writes all-day dates.
///
/// jiff's `Date` parser also reads basic `YYYYMMDD` and a date-time whose time it drops; no
/// caller sends those.
pub fn iso_date(text: &str) -> Option<Date> {
    let s = text.as_bytes();
    let (date, end) = date_prefix(s)?;
    (end == s.len()).then_some(date)
}

/// An RFC 3339 instant: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits (`.` or
/// `,`), then `Z` or `±HH:MM`; `t`, `z` and a six-digit signed year as jiff reads them, and a
/// leap second `60` read as 59 (as jiff does).
///
/// jiff's Temporal parser also reads forms no caller sends (basic `20260101T000000Z`, no
/// seconds, `±HH` or `±HHMM` offsets, bracketed annotations); those are refused here.
pub fn rfc3339(text: &str) -> Option<Timestamp> {
    let s = text.as_bytes();
    let (date, at) = date_prefix(s)?;
    if !matches!(s.get(at), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(s, at + 1, 2)?;
    let minute = digits(s, at + 4, 2)?;
    let second = digits(s, at + 7, 2)?;
    if s.get(at + 3) != Some(&b':') || s.get(at + 6) != Some(&b':') {
        return None;
    }
    let mut at = at + 9;
    let mut nanos = 0i32;
    if matches!(s.get(at), Some(b'.' | b',')) {
        let frac = s.get(at + 1..)?;
        let len = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&len) {
            return None;
        }
        nanos = digits(frac, 0, len)? * 10i32.pow(9 - len as u32);
        at += 1 + len;
    }
    let offset = match s.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hh = digits(&[*h1, *h2], 0, 2)?;
            let mm = digits(&[*m1, *m2], 0, 2)?;
            if hh > 25 || mm > 59 {
                return None;
            }
            let secs = hh * 3600 + mm * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let dt = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(if second == 60 { 59 } else { second }).ok()?,
        nanos,
    )
    .ok()?;
    Offset::from_seconds(offset).ok()?.to_timestamp(dt).ok()
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

const WEEKDAYS: [(&[u8; 3], Weekday); 7] = [
    (b"mon", Weekday::Monday),
    (b"tue", Weekday::Tuesday),
    (b"wed", Weekday::Wednesday),
    (b"thu", Weekday::Thursday),
    (b"fri", Weekday::Friday),
    (b"sat", Weekday::Saturday),
    (b"sun", Weekday::Sunday),
];

fn lower3(s: &[u8]) -> Option<[u8; 3]> {
    match s {
        [a, b, c] => Some([
            a.to_ascii_lowercase(),
            b.to_ascii_lowercase(),
            c.to_ascii_lowercase(),
        ]),
        _ => None,
    }
}

/// An HTTP date as Google's push headers carry it (`Tue, 19 Nov 2013 01:13:52 GMT`, RFC 2822's
/// form with single spaces): optional weekday (checked against the date, as jiff does), day
/// of one or two digits, month name, four-digit year, `HH:MM` with optional `:SS` (60 read as
/// 59), then `GMT`, `UT` or `±hhmm`. Names in any case, as jiff reads them.
///
/// jiff's RFC 2822 parser also reads comments, folding white space, obsolete zone names
/// (`EST`, military letters) and two- or three-digit years; no caller sends those.
pub fn http_date(text: &str) -> Option<Timestamp> {
    let mut rest = text.as_bytes();
    let mut weekday = None;
    if rest.first().is_some_and(u8::is_ascii_alphabetic) {
        let name = lower3(rest.get(..3)?)?;
        weekday = Some(WEEKDAYS.iter().find(|(n, _)| **n == name)?.1);
        rest = rest.get(3..)?.strip_prefix(b", ")?;
    }
    let day_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=2).contains(&day_len) {
        return None;
    }
    let day = digits(rest, 0, day_len)?;
    rest = rest.get(day_len..)?.strip_prefix(b" ")?;
    let name = lower3(rest.get(..3)?)?;
    let month = MONTHS.iter().position(|m| **m == name)? + 1;
    rest = rest.get(3..)?.strip_prefix(b" ")?;
    let year = digits(rest, 0, 4)?;
    rest = rest.get(4..)?.strip_prefix(b" ")?;
    let hour = digits(rest, 0, 2)?;
    let minute = digits(rest, 3, 2)?;
    if rest.get(2) != Some(&b':') {
        return None;
    }
    rest = rest.get(5..)?;
    let mut second = 0;
    if let Some(r) = rest.strip_prefix(b":") {
        second = digits(r, 0, 2)?;
        rest = r.get(2..)?;
    }
    let zone = rest.strip_prefix(b" ")?;
    let offset = match zone {
        [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let hh = digits(&[*h1, *h2], 0, 2)?;
            let mm = digits(&[*m1, *m2], 0, 2)?;
            if mm > 59 {
                return None;
            }
            let secs = hh * 3600 + mm * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ if zone.eq_ignore_ascii_case(b"GMT") || zone.eq_ignore_ascii_case(b"UT") => 0,
        _ => return None,
    };
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    if weekday.is_some_and(|w| w != date.weekday()) {
        return None;
    }
    let dt = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(if second == 60 { 59 } else { second }).ok()?,
        0,
    )
    .ok()?;
    Offset::from_seconds(offset).ok()?.to_timestamp(dt).ok()
}

#[cfg(test)]
#[path = "read_time_tests.rs"]
mod tests;
