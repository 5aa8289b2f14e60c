//! Free-busy: the RFC 4791 §7.10 `free-busy-query` REPORT on a calendar over a time range,
//! answered by a `VFREEBUSY` (RFC 5545 §3.6.4) whose `FREEBUSY` lines (§3.8.2.6) are read into
//! typed [`BusyPeriod`]s, clipped to the window and merged.
//!
//! A `FREEBUSY` line holds one or more comma-separated periods, each `start/end` or
//! `start/duration`, in UTC, with an optional `FBTYPE` parameter (default `BUSY`). Periods
//! typed `FREE` are dropped (the answer is about busy time); the others are sorted, clipped to
//! the asked window and merged where they overlap or touch **with the same type** (a tentative
//! hour inside a busy afternoon stays reported as both, so the app decides which wins).
//!
//! Bounds: the body is bounded by [`Limits::max_body_bytes`](crate::Limits::max_body_bytes), its
//! lines by [`Limits::max_content_lines`](crate::Limits::max_content_lines), and the periods by
//! [`MAX_BUSY_PERIODS`]; past any of them the answer is a
//! [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error, never a shortened list.

mod outbox;

pub use outbox::{
    FreeBusyRequest, MAX_FREE_BUSY_ATTENDEES, RecipientFreeBusy, ScheduleResponseRow,
    parse_schedule_response, read_schedule_response, recipients_free_busy,
};

use jiff::Timestamp;
use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use crate::contentline::{self, Component};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Reply, Spec};
use crate::href;
use crate::http::Method;
use crate::icalendar::Duration;
use crate::limits::Limits;
use crate::ops::single::SingleExchange;
use crate::rfc4918::Depth;
use crate::session::Session;
use crate::xml::CALDAV;
use crate::xml::writer::{el, to_document};

/// Most periods one free-busy answer may hold (before merging); more is a
/// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error.
pub const MAX_BUSY_PERIODS: usize = 100_000;

/// The longest `FBTYPE` name read (an `X-` or IANA name; the registered ones have at most 16
/// bytes). Each period of a line holds its own copy of the name, so a longer one would make a
/// short answer (a long name, then many short periods) many times its size in memory; past it
/// the answer is a [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error.
pub const MAX_FBTYPE_BYTES: usize = 64;

/// The `FBTYPE` of a period (RFC 5545 §3.2.9).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "kebab-case")]
pub enum FbType {
    /// `BUSY` (also the default when the parameter is absent).
    Busy,
    /// `BUSY-UNAVAILABLE`: out of office, outside working hours.
    BusyUnavailable,
    /// `BUSY-TENTATIVE`: tentatively scheduled.
    BusyTentative,
    /// An `X-` or IANA type, upper-cased as written; RFC 5545 says to treat it as `BUSY`.
    Other(String),
}

impl FbType {
    /// Reads a `FBTYPE` value; `None` for `FREE`.
    fn parse(value: &str) -> Option<FbType> {
        let v = value.trim().to_ascii_uppercase();
        Some(match v.as_str() {
            "FREE" => return None,
            "BUSY" | "" => FbType::Busy,
            "BUSY-UNAVAILABLE" => FbType::BusyUnavailable,
            "BUSY-TENTATIVE" => FbType::BusyTentative,
            _ => FbType::Other(v),
        })
    }
}

/// One busy period, in UTC, as `YYYYMMDDTHHMMSSZ` (the form of [`TimeRange`]).
///
/// [`TimeRange`]: crate::TimeRange
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct BusyPeriod {
    /// Inclusive start.
    pub start: String,
    /// Exclusive end (after `start`).
    pub end: String,
    /// What kind of busy.
    pub fb_type: FbType,
}

/// The busy time of a calendar over a window: what [`Session::free_busy_query`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct FreeBusy {
    /// The window asked, `YYYYMMDDTHHMMSSZ`.
    pub start: String,
    /// The end of the window asked (exclusive).
    pub end: String,
    /// The busy periods within the window, sorted by start then type, merged per type.
    pub busy: Vec<BusyPeriod>,
}

/// What a `free-busy-query` REPORT answered, before it is read as busy periods
/// ([`Session::free_busy_report`]; [`read`](FreeBusyText::read) makes it the [`FreeBusy`] that
/// [`Session::free_busy_query`] gives).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeBusyText {
    /// The window asked, `YYYYMMDDTHHMMSSZ`.
    pub start: String,
    /// The end of the window asked (exclusive).
    pub end: String,
    /// The server's iCalendar text (its `VFREEBUSY`).
    pub text: String,
}

impl FreeBusyText {
    /// The busy periods of the text within its window, merged per type (an
    /// [`ErrorKind::InvalidInput`] error when the window is not two UTC times, start first).
    pub fn read(self, limits: &Limits) -> Result<FreeBusy> {
        let window = utc_window(&self.start, &self.end)?;
        let busy = parse_free_busy(&self.text, window, limits)?;
        Ok(FreeBusy {
            start: self.start,
            end: self.end,
            busy,
        })
    }
}

/// A free-busy window: two UTC times `YYYYMMDDTHHMMSSZ`, start before end.
pub(crate) fn utc_window(start: &str, end: &str) -> Result<(Timestamp, Timestamp)> {
    match (parse_utc(start), parse_utc(end)) {
        (Some(s), Some(e)) if s < e => Ok((s, e)),
        _ => Err(window_refused()),
    }
}

/// [`utc_window`]'s check without the timestamps: the two times as the query writes them
/// ([`utc_text`]). Checked by hand, so that a DAV client that only sends the query (the npm
/// package's first module) links none of jiff's date arithmetic.
fn utc_window_text(start: &str, end: &str) -> Result<(String, String)> {
    match (utc_text(start), utc_text(end)) {
        // One fixed width of digits: the order of the texts is the order of the times.
        (Some(s), Some(e)) if s < e => Ok((s, e)),
        _ => Err(window_refused()),
    }
}

fn window_refused() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "a free-busy window is two UTC times YYYYMMDDTHHMMSSZ, start before end",
    )
}

/// The `free-busy-query` REPORT body (RFC 4791 §7.10) for a UTC window.
pub fn free_busy_query_body(start: &str, end: &str) -> String {
    to_document(
        &el(CALDAV, "free-busy-query").with(
            el(CALDAV, "time-range")
                .with_attr("start", start.to_owned())
                .with_attr("end", end.to_owned()),
        ),
    )
}

impl Session {
    /// Asks the server which time is busy in a calendar between `start` and `end` (UTC,
    /// `YYYYMMDDTHHMMSSZ`), with the RFC 4791 §7.10 `free-busy-query` REPORT (one request).
    ///
    /// A window that is not two UTC times with `start` before `end` is an
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput) error before anything is sent; an answer
    /// other than `200` with a readable `VFREEBUSY` is an error of its status, or `Protocol`.
    pub fn free_busy_query(
        &self,
        calendar_url: &str,
        start: &str,
        end: &str,
    ) -> SingleExchange<FreeBusy> {
        let limits = self.ctx.limits;
        self.free_busy_exchange(calendar_url, start, end, move |t| t.read(&limits))
    }

    /// The `free-busy-query` REPORT of [`free_busy_query`](Session::free_busy_query), its
    /// answer's text not yet read ([`FreeBusyText::read`] reads it): for a host that reads
    /// iCalendar apart from its DAV client.
    pub fn free_busy_report(
        &self,
        calendar_url: &str,
        start: &str,
        end: &str,
    ) -> SingleExchange<FreeBusyText> {
        self.free_busy_exchange(calendar_url, start, end, Ok)
    }

    fn free_busy_exchange<T: 'static>(
        &self,
        calendar_url: &str,
        start: &str,
        end: &str,
        finish: impl FnOnce(FreeBusyText) -> Result<T> + Send + 'static,
    ) -> SingleExchange<T> {
        if let Err(e) = self.refuse_google_free_busy() {
            return SingleExchange::failed(self.ctx.clone(), e);
        }
        let (start, end) = match utc_window_text(start, end) {
            Ok(w) => w,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let url = match self.url(calendar_url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let spec = Spec::new(Method::Report, url)
            .header("Depth", Depth::One.as_str())
            .xml(free_busy_query_body(&start, &end));
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            let Reply { url, response } = reply;
            if response.status != 200 {
                return Err(Error::from_response(url.as_str(), &response));
            }
            let text = String::from_utf8(response.body).map_err(|_| {
                Error::new(
                    ErrorKind::Protocol,
                    "the free-busy answer is not UTF-8 text",
                )
                .with_url(url.as_str())
            })?;
            finish(FreeBusyText { start, end, text }).map_err(|e| e.with_url(url.as_str()))
        })
    }

    /// Google's CalDAV endpoint answers no free-busy (no `free-busy-query`, a "trivial inbox,
    /// which is always empty", server-profiles §Google CalDAV): refused before any request,
    /// pointing at the Calendar API's freeBusy.query ([`Session::gcal_free_busy`]).
    fn refuse_google_free_busy(&self) -> Result<()> {
        if self.ctx.profile.name == "google-caldav" {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "Google CalDAV has no free-busy (neither free-busy-query nor an outbox POST): \
                 use the Calendar API's freeBusy.query (Session::gcal_free_busy)",
            ));
        }
        Ok(())
    }
}

/// Reads the busy periods of every `VFREEBUSY` in an iCalendar text, clipped to `window`
/// and merged per type (see the [module](self) docs).
pub fn parse_free_busy(
    text: &str,
    window: (Timestamp, Timestamp),
    limits: &Limits,
) -> Result<Vec<BusyPeriod>> {
    let components = contentline::parse_with_limits(text, limits).map_err(|e| {
        let kind = if e.is_limit() {
            ErrorKind::LimitExceeded
        } else {
            ErrorKind::Protocol
        };
        Error::new(kind, format!("the free-busy answer is not iCalendar: {e}"))
    })?;
    let mut found = false;
    let mut raw: Vec<(Timestamp, Timestamp, FbType)> = Vec::new();
    let mut stack: Vec<&Component> = components.iter().collect();
    while let Some(c) = stack.pop() {
        stack.extend(c.components());
        if !c.is("VFREEBUSY") {
            continue;
        }
        found = true;
        for p in c.properties_named("FREEBUSY") {
            let fb_type = p.param_value("FBTYPE").unwrap_or_default();
            if fb_type.trim().len() > MAX_FBTYPE_BYTES {
                return Err(crate::limits::exceeded(format!(
                    "a FREEBUSY line's FBTYPE is longer than {MAX_FBTYPE_BYTES} bytes \
                     (freebusy::MAX_FBTYPE_BYTES)"
                )));
            }
            let Some(fb_type) = FbType::parse(&fb_type) else {
                continue;
            };
            for part in p.raw_value().split(',') {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let (s, e) = parse_period(part).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!("a FREEBUSY period is not start/end or start/duration: {part:.64}"),
                    )
                })?;
                if raw.len() >= MAX_BUSY_PERIODS {
                    return Err(crate::limits::exceeded(format!(
                        "the free-busy answer has more than {MAX_BUSY_PERIODS} periods \
                         (freebusy::MAX_BUSY_PERIODS)"
                    )));
                }
                // clipped to the window; what lies outside it is dropped
                let (s, e) = (s.max(window.0), e.min(window.1));
                if s < e {
                    raw.push((s, e, fb_type.clone()));
                }
            }
        }
    }
    if !found {
        return Err(Error::new(
            ErrorKind::Protocol,
            "the free-busy answer has no VFREEBUSY",
        ));
    }
    Ok(merge(raw))
}

/// Sorts by type then start and merges overlapping or touching periods of one type; the
/// result is sorted by start, then type.
pub(crate) fn merge(mut raw: Vec<(Timestamp, Timestamp, FbType)>) -> Vec<BusyPeriod> {
    raw.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    let mut merged: Vec<(Timestamp, Timestamp, FbType)> = Vec::with_capacity(raw.len());
    for (s, e, t) in raw {
        match merged.last_mut() {
            Some(last) if last.2 == t && s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e, t)),
        }
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    merged
        .into_iter()
        .map(|(s, e, fb_type)| BusyPeriod {
            start: format_utc(s),
            end: format_utc(e),
            fb_type,
        })
        .collect()
}

/// A PERIOD value (RFC 5545 §3.3.9): `start/end` or `start/duration`, UTC, end after start.
fn parse_period(text: &str) -> Option<(Timestamp, Timestamp)> {
    let (start, rest) = text.split_once('/')?;
    let start = parse_utc(start)?;
    let end = if rest.starts_with(['P', 'p', '+']) {
        let d = Duration::parse(rest)?;
        if d.negative {
            return None;
        }
        // in UTC a nominal day is 24 hours
        let secs = d
            .nominal_days()
            .checked_mul(86_400)?
            .checked_add(d.exact_seconds())?;
        start
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .ok()?
    } else {
        parse_utc(rest)?
    };
    (start < end).then_some((start, end))
}

/// `YYYYMMDDTHHMMSSZ` as a timestamp; anything else (no `Z`, a date) is `None`.
pub(crate) fn parse_utc(text: &str) -> Option<Timestamp> {
    let [year, month, day, hour, minute, second] = utc_fields(text)?;
    let narrow = |n: i16| i8::try_from(n).ok();
    let dt = DateTime::new(
        year,
        narrow(month)?,
        narrow(day)?,
        narrow(hour)?,
        narrow(minute)?,
        narrow(second)?,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// A UTC time `YYYYMMDDTHHMMSSZ` as it is written into a query: trimmed, its `Z` upper case
/// (what [`format_utc`] writes of [`parse_utc`]'s timestamp); anything else is `None`.
fn utc_text(text: &str) -> Option<String> {
    utc_fields(text)?;
    let t = text.trim();
    Some(format!("{}Z", t.get(..15)?))
}

/// The fields of `YYYYMMDDTHHMMSSZ` (year, month, day, hours, minutes, seconds) when they name
/// a time: a day of the proleptic Gregorian calendar (leap years included), hours below 24,
/// minutes and seconds below 60, up to the last instant of a jiff `Timestamp` (the times
/// [`parse_utc`] takes); anything else is `None`.
/// By hand, not by jiff's strtime parser (about 11 KB of the WebAssembly module for this one
/// fixed layout): digits, `T` at 8.
fn utc_fields(text: &str) -> Option<[i16; 6]> {
    let local = text.trim().strip_suffix(['Z', 'z'])?;
    if local.len() != 15 || !local.is_ascii() {
        return None;
    }
    let date = local.get(..8)?;
    let time = local.get(8..)?.strip_prefix('T')?;
    let num = |s: &str, at: usize, len: usize| -> Option<i16> {
        let d = s.get(at..at + len)?;
        if !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    };
    let (year, month, day) = (num(date, 0, 4)?, num(date, 4, 2)?, num(date, 6, 2)?);
    let (hour, minute, second) = (num(time, 0, 2)?, num(time, 2, 2)?, num(time, 4, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    // The last instant a timestamp holds is 9999-12-30T22:00:00Z (jiff's `Timestamp::MAX`).
    let past_end = year == 9999 && month == 12 && (day, hour, minute, second) > (30, 22, 0, 0);
    ((1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60 && !past_end)
        .then_some([year, month, day, hour, minute, second])
}

/// `20240102T030405Z` (the iCalendar UTC form, as `strftime("%Y%m%dT%H%M%SZ")` writes it, without
/// jiff's strftime: its printer and parser were about 23 KB of the npm package's WebAssembly).
pub(crate) fn format_utc(t: Timestamp) -> String {
    crate::icalendar::CalDateTime::Utc(jiff::tz::Offset::UTC.to_datetime(t)).to_ical_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_are_written_as_strftime_writes_them() {
        for t in [
            "2026-03-01T09:30:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-30T21:59:59.9Z",
            "-000005-03-04T05:06:07Z",
        ] {
            let t: Timestamp = t.parse().unwrap();
            assert_eq!(format_utc(t), t.strftime("%Y%m%dT%H%M%SZ").to_string());
        }
    }

    #[test]
    fn utc_times_are_read_by_hand() {
        let t = |s: &str| parse_utc(s).map(|t| t.to_string());
        assert_eq!(
            t("20260301T093000Z").as_deref(),
            Some("2026-03-01T09:30:00Z")
        );
        assert_eq!(
            t(" 19991231T235959z ").as_deref(),
            Some("1999-12-31T23:59:59Z")
        );
        for bad in [
            "20260301T093000",
            "20260230T000000Z",
            "2026030XT093000Z",
            "20260301 093000Z",
            "+0260301T093000Z",
            "20260301T250000Z",
            "20260301T09300Z",
            "20260301",
            "",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_hand_check_takes_the_times_jiff_takes_and_writes_them_as_format_utc_does() {
        let mut valid = Vec::new();
        for year in [0, 4, 100, 1900, 2000, 2023, 2024, 9998, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    for (hour, minute, second) in
                        [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60)]
                    {
                        let text =
                            format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z");
                        let jiff = DateTime::new(year, month, day, hour, minute, second, 0)
                            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
                            .is_ok();
                        assert_eq!(utc_fields(&text).is_some(), jiff, "{text}");
                        assert_eq!(utc_text(&text), parse_utc(&text).map(format_utc), "{text}");
                        if jiff {
                            valid.push(text);
                        }
                    }
                }
            }
        }
        // The order of the texts is the order of the times (the window's check).
        for pair in valid.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(a < b, parse_utc(a) < parse_utc(b), "{a} {b}");
        }
        assert_eq!(
            utc_text(" 19991231T235959z ").as_deref(),
            Some("19991231T235959Z")
        );
        assert!(utc_window_text("20060105T000000Z", "20060104T000000Z").is_err());
        assert!(utc_window_text("20060104T000000Z", "20060104T000000Z").is_err());
        assert!(utc_window_text("20060104T000000Z", "20060104T000001Z").is_ok());
    }

    fn window() -> (Timestamp, Timestamp) {
        (
            parse_utc("20060104T140000Z").unwrap(),
            parse_utc("20060105T220000Z").unwrap(),
        )
    }

    /// RFC 4791 §7.10.1's example answer.
    const RFC_4791_EXAMPLE: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example Corp.//CalDAV Server//EN\r\n\
BEGIN:VFREEBUSY\r\n\
DTSTAMP:20050125T090000Z\r\n\
DTSTART:20060104T140000Z\r\n\
DTEND:20060105T220000Z\r\n\
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20060104T150000Z/PT1H\r\n\
FREEBUSY:20060104T190000Z/PT1H\r\n\
END:VFREEBUSY\r\n\
END:VCALENDAR\r\n";

    fn p(start: &str, end: &str, fb_type: FbType) -> BusyPeriod {
        BusyPeriod {
            start: start.into(),
            end: end.into(),
            fb_type,
        }
    }

    #[test]
    fn reads_the_rfc_4791_example() {
        let busy = parse_free_busy(RFC_4791_EXAMPLE, window(), &Limits::default()).unwrap();
        assert_eq!(
            busy,
            [
                p(
                    "20060104T150000Z",
                    "20060104T160000Z",
                    FbType::BusyTentative
                ),
                p("20060104T190000Z", "20060104T200000Z", FbType::Busy),
            ]
        );
    }

    #[test]
    fn several_periods_per_line_clipped_and_merged_per_type() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n\
FREEBUSY:20060104T120000Z/20060104T150000Z,20060104T143000Z/PT1H\r\n\
FREEBUSY;FBTYPE=BUSY:20060104T153000Z/PT30M\r\n\
FREEBUSY;FBTYPE=FREE:20060104T160000Z/PT1H\r\n\
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20060105T210000Z/P1D\r\n\
FREEBUSY;FBTYPE=X-OOO:20060105T000000Z/P1W,20050101T000000Z/PT1H\r\n\
END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let busy = parse_free_busy(text, window(), &Limits::default()).unwrap();
        assert_eq!(
            busy,
            [
                // 12:00-15:00 clipped to 14:00, joined with 14:30-15:30 and the touching 15:30-16:00
                p("20060104T140000Z", "20060104T160000Z", FbType::Busy),
                p(
                    "20060105T000000Z",
                    "20060105T220000Z",
                    FbType::Other("X-OOO".into())
                ),
                p(
                    "20060105T210000Z",
                    "20060105T220000Z",
                    FbType::BusyUnavailable
                ),
            ]
        );
    }

    /// Merging against a minute-grid oracle on seeded random periods: for each type, the
    /// merged periods cover exactly the minutes the input covers within the window, and no
    /// two of them overlap or touch.
    #[test]
    fn merge_matches_a_minute_grid() {
        let w0 = parse_utc("20060104T000000Z").unwrap();
        let minutes = 24 * 60;
        let w1 = w0
            .checked_add(jiff::SignedDuration::from_mins(minutes))
            .unwrap();
        let types = [FbType::Busy, FbType::BusyTentative, FbType::BusyUnavailable];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: i64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) % n as u64) as i64
        };
        for _round in 0..200 {
            let mut lines = String::new();
            let mut grid = vec![[false; 3]; minutes as usize];
            for _ in 0..next(12) {
                let t = next(3) as usize;
                // periods may start before and end after the window
                let start = next(minutes + 240) - 120;
                let len = 1 + next(300);
                let s = w0
                    .checked_add(jiff::SignedDuration::from_mins(start))
                    .unwrap();
                let fbtype = ["BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"][t];
                lines.push_str(&format!(
                    "FREEBUSY;FBTYPE={fbtype}:{}/PT{len}M\r\n",
                    format_utc(s)
                ));
                for m in start.max(0)..(start + len).min(minutes) {
                    grid[m as usize][t] = true;
                }
            }
            let text = format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n{lines}END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
            );
            let busy = parse_free_busy(&text, (w0, w1), &Limits::default()).unwrap();
            let mut got = vec![[false; 3]; minutes as usize];
            for (t, ty) in types.iter().enumerate() {
                let mine: Vec<&BusyPeriod> = busy.iter().filter(|p| &p.fb_type == ty).collect();
                for pair in mine.windows(2) {
                    assert!(pair[0].end < pair[1].start, "{pair:?} overlap or touch");
                }
                for p in mine {
                    let s = parse_utc(&p.start).unwrap().duration_since(w0).as_mins();
                    let e = parse_utc(&p.end).unwrap().duration_since(w0).as_mins();
                    assert!(0 <= s && s < e && e <= minutes, "{p:?}");
                    for m in s..e {
                        got[m as usize][t] = true;
                    }
                }
            }
            assert_eq!(got, grid, "{text}");
        }
    }

    #[test]
    fn bad_answers_are_typed_errors() {
        let kind = |text: &str| {
            parse_free_busy(text, window(), &Limits::default())
                .err()
                .map(|e| e.kind())
        };
        let wrap = |line: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n{line}\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
            )
        };
        assert_eq!(
            kind("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            Some(ErrorKind::Protocol)
        );
        assert_eq!(kind("<html>"), Some(ErrorKind::Protocol));
        for bad in [
            "FREEBUSY:20060104T150000/PT1H",              // not UTC
            "FREEBUSY:20060104T150000Z",                  // no end
            "FREEBUSY:20060104T150000Z/-PT1H",            // negative
            "FREEBUSY:20060104T150000Z/20060104T140000Z", // end before start
            "FREEBUSY:20060104T150000Z/P99999999999W",    // overflow
            "FREEBUSY:20061304T150000Z/PT1H",             // month 13
        ] {
            assert_eq!(kind(&wrap(bad)), Some(ErrorKind::Protocol), "{bad}");
        }
        let many: String = (0..=MAX_BUSY_PERIODS)
            .map(|_| "20060104T150000Z/PT1H")
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            kind(&wrap(&format!("FREEBUSY:{many}"))),
            Some(ErrorKind::LimitExceeded)
        );
        let limits = Limits {
            max_content_lines: 3,
            ..Limits::default()
        };
        assert_eq!(
            parse_free_busy(&wrap("FREEBUSY:20060104T150000Z/PT1H"), window(), &limits)
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::LimitExceeded)
        );
    }

    /// Each period holds its own copy of its line's FBTYPE: a long name over many short
    /// periods was a 2 MB answer taking 2 GB; past `MAX_FBTYPE_BYTES` it is refused.
    #[test]
    fn a_long_fbtype_is_refused_rather_than_copied_into_each_period() {
        let text = |name: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n\
FREEBUSY;FBTYPE={name}:20060104T150000Z/PT1H,20060104T170000Z/PT1H\r\n\
END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
            )
        };
        let longest = format!("X-{}", "A".repeat(MAX_FBTYPE_BYTES - 2));
        let busy = parse_free_busy(&text(&longest), window(), &Limits::default()).unwrap();
        assert_eq!(busy.len(), 2);
        assert_eq!(busy[1].fb_type, FbType::Other(longest.clone()));
        let err = parse_free_busy(&text(&format!("{longest}A")), window(), &Limits::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert!(err.message().contains("MAX_FBTYPE_BYTES"), "{err}");
    }

    #[test]
    fn the_request_and_a_bad_window() {
        use crate::auth::Credentials;
        use crate::op::{Operation, Poll};
        use crate::session::Config;
        let session =
            Session::new(Config::new("https://cal.example.com/", Credentials::None)).unwrap();
        let mut op =
            session.free_busy_query("/cal/bob/work", "20060104T140000Z", "20060105T220000Z");
        let Poll::Send(req) = op.poll() else {
            panic!("a request");
        };
        assert_eq!(req.method.as_str(), "REPORT");
        assert_eq!(req.url, "https://cal.example.com/cal/bob/work/");
        assert_eq!(req.header("Depth"), Some("1"));
        let body = req.body_text().unwrap_or_default();
        assert!(body.contains("free-busy-query"), "{body}");
        assert!(
            body.contains("start=\"20060104T140000Z\" end=\"20060105T220000Z\""),
            "{body}"
        );
        op.handle_response(
            req.id,
            crate::HttpResponse::new(200, RFC_4791_EXAMPLE)
                .with_header("Content-Type", "text/calendar"),
        );
        let Poll::Done(Ok(fb)) = op.poll() else {
            panic!("done");
        };
        assert_eq!(fb.busy.len(), 2);
        // The same REPORT in two parts (a host that reads iCalendar apart from its DAV
        // client): its text, then the busy time read from it; the same answer.
        let mut report =
            session.free_busy_report("/cal/bob/work", "20060104T140000Z", "20060105T220000Z");
        let Poll::Send(sent) = report.poll() else {
            panic!("a request");
        };
        assert_eq!(
            (sent.url.as_str(), &sent.body),
            (req.url.as_str(), &req.body)
        );
        report.handle_response(sent.id, crate::HttpResponse::new(200, RFC_4791_EXAMPLE));
        let Poll::Done(Ok(text)) = report.poll() else {
            panic!("done");
        };
        assert_eq!(text.text, RFC_4791_EXAMPLE);
        assert_eq!(text.read(&Limits::default()).ok(), Some(fb));
        for (s, e) in [
            ("20060105T220000Z", "20060104T140000Z"),
            ("2006-01-04", "20060105T220000Z"),
            ("20060104T140000", "20060105T220000Z"),
        ] {
            let mut op = session.free_busy_query("/cal/bob/work", s, e);
            let Poll::Done(Err(err)) = op.poll() else {
                panic!("refused before sending");
            };
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
    }
}
