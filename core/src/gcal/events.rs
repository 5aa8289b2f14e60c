//! Calendar API events (JSON) mapped to iCalendar (RFC 5545) VEVENTs, so one typed view reads
//! both protocols.
//!
//! Mapping: `iCalUID` (else `id`) -> UID; `start`/`end` -> DTSTART/DTEND (all-day `date` as
//! `VALUE=DATE`, `dateTime` with `timeZone` as TZID local time, else UTC); `recurrence` lines
//! verbatim; `originalStartTime` -> RECURRENCE-ID; `status` -> STATUS; `summary`,
//! `description`, `location`, `sequence`, `organizer`, `attendees`, `created`, `updated`. The
//! event's `id` is kept as `X-DAVKIT-GCAL-ID` and a series' id as
//! `X-DAVKIT-GCAL-RECURRING-EVENT-ID` (a cancelled exception carries no `iCalUID`).
//! [`series_to_ical`] joins a series' master and its exceptions into one object.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::href::encode_segment;
// The iCalendar forms written by hand, not by jiff's strftime (23 KB of the npm module).
use crate::icalendar::CalDateTime;
use crate::ops::freebusy::format_utc;

/// The URL of an event resource, which davkit uses as the event's key in a
/// [`SyncState`](crate::SyncState).
pub fn event_url(calendar_id: &str, event_id: &str) -> String {
    format!(
        "{}calendars/{}/events/{}",
        super::API_BASE,
        encode_segment(calendar_id),
        encode_segment(event_id)
    )
}

/// The iCalendar text (a VCALENDAR with one VEVENT) for a Calendar API event.
pub fn event_to_ical(event: &Value) -> Result<String> {
    let mut out = String::with_capacity(512);
    out.push_str(VCALENDAR_START);
    vevent(&mut out, event, None, &[])?;
    finish_calendar(out)
}

/// The iCalendar text of a recurring series as one object (RFC 5545 §3.8.4.4): the master
/// VEVENT with an EXDATE for each cancelled exception, and an overriding VEVENT (same UID,
/// `RECURRENCE-ID` = the instance's original start) for each moved or changed one. Google
/// gives each exception its own `id` and no `iCalUID` to a cancelled one; they all take the
/// master's UID here, and keep their own id as `X-DAVKIT-GCAL-ID` (to write to one instance).
pub fn series_to_ical(master: &Value, exceptions: &[&Value]) -> Result<String> {
    let id = str_of(master, "id").ok_or_else(|| bad("an event without an id"))?;
    let uid = str_of(master, "iCalUID").unwrap_or(id);
    let cancelled: Vec<&Value> = exceptions
        .iter()
        .copied()
        .filter(|e| is_cancelled(e))
        .collect();
    let mut out = String::with_capacity(512 * (1 + exceptions.len()));
    out.push_str(VCALENDAR_START);
    vevent(&mut out, master, None, &cancelled)?;
    for e in exceptions.iter().filter(|e| !is_cancelled(e)) {
        vevent(&mut out, e, Some(uid), &[])?;
    }
    finish_calendar(out)
}

/// Whether an event is cancelled (a deleted event, or a cancelled instance of a series).
pub(crate) fn is_cancelled(event: &Value) -> bool {
    str_of(event, "status") == Some("cancelled")
}

const VCALENDAR_START: &str =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//Google Calendar API v3//EN\r\n";

fn finish_calendar(mut out: String) -> Result<String> {
    out.push_str("END:VCALENDAR\r\n");
    // Re-serialise through the content-line layer so long lines are folded at 75 octets, with
    // a VTIMEZONE for each `timeZone` the event names (RFC 5545 §3.2.19: a library that reads
    // the text, ical.js among them, places a TZID without one as floating time).
    crate::icalendar::Calendar::parse(&out)
        .map(|c| c.to_ics_with_timezones())
        .map_err(|e| Error::new(ErrorKind::ICalendar, e.to_string()))
}

/// One VEVENT for `event`: with `uid` when it is an override of that series, and an EXDATE
/// for the original start of each of `excluded` (cancelled instances).
fn vevent(out: &mut String, event: &Value, uid: Option<&str>, excluded: &[&Value]) -> Result<()> {
    let id = str_of(event, "id").ok_or_else(|| bad("an event without an id"))?;
    out.push_str("BEGIN:VEVENT\r\n");
    let uid = uid.or_else(|| str_of(event, "iCalUID")).unwrap_or(id);
    line(out, "UID", &escape(uid));
    line(out, "X-DAVKIT-GCAL-ID", &escape(id));
    if let Some(series) = str_of(event, "recurringEventId") {
        line(out, "X-DAVKIT-GCAL-RECURRING-EVENT-ID", &escape(series));
    }
    if let Some(updated) = str_of(event, "updated") {
        line(out, "DTSTAMP", &utc_basic(updated)?);
        line(out, "LAST-MODIFIED", &utc_basic(updated)?);
    }
    if let Some(created) = str_of(event, "created") {
        line(out, "CREATED", &utc_basic(created)?);
    }
    if let Some(t) = event.get("start") {
        time_prop(out, "DTSTART", t)?;
    }
    if let Some(t) = event.get("end") {
        time_prop(out, "DTEND", t)?;
    }
    if let Some(t) = event.get("originalStartTime") {
        time_prop(out, "RECURRENCE-ID", t)?;
    }
    for cancelled in excluded {
        if let Some(t) = cancelled.get("originalStartTime") {
            time_prop(out, "EXDATE", t)?;
        }
    }
    if let Some(rules) = event.get("recurrence").and_then(Value::as_array) {
        for rule in rules.iter().filter_map(Value::as_str) {
            // RRULE/EXRULE/RDATE/EXDATE lines, already in RFC 5545 syntax (one with a control
            // character is not, and a line break would start another property).
            if !rule.contains(|c: char| c.is_control()) && !rule.is_empty() {
                out.push_str(rule);
                out.push_str("\r\n");
            }
        }
    }
    let status = match str_of(event, "status") {
        Some("confirmed") => Some("CONFIRMED"),
        Some("tentative") => Some("TENTATIVE"),
        Some("cancelled") => Some("CANCELLED"),
        _ => None,
    };
    if let Some(s) = status {
        line(out, "STATUS", s);
    }
    for (key, name) in [
        ("summary", "SUMMARY"),
        ("description", "DESCRIPTION"),
        ("location", "LOCATION"),
    ] {
        // Text of control characters only is no text.
        if let Some(v) = str_of(event, key).map(escape).filter(|v| !v.is_empty()) {
            line(out, name, &v);
        }
    }
    if let Some(seq) = event.get("sequence").and_then(Value::as_i64) {
        line(out, "SEQUENCE", &seq.to_string());
    }
    if let Some(org) = event.get("organizer")
        && let Some(email) = str_of(org, "email")
    {
        let mut name = "ORGANIZER".to_owned();
        if let Some(cn) = str_of(org, "displayName") {
            let _ = write!(name, ";CN={}", param(cn));
        }
        line(out, &name, &mailto(email));
    }
    for attendee in event
        .get("attendees")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(email) = str_of(attendee, "email") else {
            continue;
        };
        let mut name = "ATTENDEE".to_owned();
        if let Some(cn) = str_of(attendee, "displayName") {
            let _ = write!(name, ";CN={}", param(cn));
        }
        let partstat = match str_of(attendee, "responseStatus") {
            Some("accepted") => "ACCEPTED",
            Some("declined") => "DECLINED",
            Some("tentative") => "TENTATIVE",
            _ => "NEEDS-ACTION",
        };
        let role = if attendee.get("optional").and_then(Value::as_bool) == Some(true) {
            "OPT-PARTICIPANT"
        } else {
            "REQ-PARTICIPANT"
        };
        let _ = write!(name, ";PARTSTAT={partstat};ROLE={role}");
        line(out, &name, &mailto(email));
    }
    out.push_str("END:VEVENT\r\n");
    Ok(())
}

fn bad(message: &str) -> Error {
    Error::new(ErrorKind::Protocol, format!("Calendar API: {message}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn line(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push(':');
    out.push_str(value);
    out.push_str("\r\n");
}

/// RFC 5545 §3.3.11 TEXT escaping. TEXT holds no control character but HTAB: a line break (LF,
/// CRLF or a lone CR) is written `\n`, and every other control character (U+0000 to U+001F,
/// U+007F: pasted text, a form feed, an escape sequence) is dropped, so it can neither reach an
/// app's parser nor end the content line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            // CRLF is one line break (its LF writes it); a lone CR is one too.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_ascii_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A `mailto:` address as a CAL-ADDRESS value: a URI holds no control character, and a line
/// break in one would end the content line and start another property.
fn mailto(email: &str) -> String {
    let clean: String = email.chars().filter(|c| !c.is_control()).collect();
    format!("mailto:{clean}")
}

/// A parameter value, quoted when it holds `:`, `;` or `,` (RFC 5545 §3.2); DQUOTE and
/// control characters cannot appear in one and are dropped.
fn param(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

fn timestamp(rfc3339: &str) -> Result<jiff::Timestamp> {
    // By hand (RFC 3339 only), not by jiff's ISO parser: see `read_time`.
    crate::icalendar::read_time::rfc3339(rfc3339).ok_or_else(|| {
        bad(&format!(
            "unreadable time `{rfc3339}` (RFC 3339, e.g. 2026-01-01T10:00:00-05:00)"
        ))
    })
}

fn utc_basic(rfc3339: &str) -> Result<String> {
    Ok(format_utc(timestamp(rfc3339)?))
}

fn time_prop(out: &mut String, name: &str, t: &Value) -> Result<()> {
    if let Some(date) = str_of(t, "date") {
        let d = crate::icalendar::read_time::iso_date(date)
            .ok_or_else(|| bad(&format!("unreadable date `{date}` (YYYY-MM-DD)")))?;
        line(
            out,
            &format!("{name};VALUE=DATE"),
            &CalDateTime::Date(d).to_ical_value(),
        );
        return Ok(());
    }
    let Some(dt) = str_of(t, "dateTime") else {
        return Ok(());
    };
    let ts = timestamp(dt)?;
    match str_of(t, "timeZone").map(|tz| (tz, ts.in_tz(tz))) {
        Some((tz, Ok(zoned))) => {
            let local = CalDateTime::Floating(zoned.datetime()).to_ical_value();
            line(out, &format!("{name};TZID={}", param(tz)), &local);
        }
        _ => line(out, name, &format_utc(ts)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::icalendar::Calendar;

    #[test]
    fn maps_a_zoned_recurring_event() -> Result<()> {
        let event: Value = serde_json::json!({
            "kind": "calendar#event", "etag": "\"3422132730590000\"", "id": "abc123",
            "status": "confirmed", "summary": "Stand-up; daily, short",
            "created": "2026-01-05T10:00:00.000Z", "updated": "2026-01-06T11:30:00.000Z",
            "start": {"dateTime": "2026-01-05T09:00:00-05:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2026-01-05T09:15:00-05:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"],
            "iCalUID": "abc123@google.com", "sequence": 2,
            "organizer": {"email": "alice@example.com", "displayName": "Alice, A."},
            "attendees": [{"email": "bob@example.com", "responseStatus": "accepted", "optional": true}]
        });
        let ics = event_to_ical(&event)?;
        assert!(ics.contains("UID:abc123@google.com\r\n"));
        assert!(ics.contains("DTSTART;TZID=America/New_York:20260105T090000\r\n"));
        // the zone's VTIMEZONE, before the event
        assert!(ics.contains(
            "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\n\
             DTSTART:20241103T020000\r\n"
        ));
        assert!(ics.find("BEGIN:VTIMEZONE") < ics.find("BEGIN:VEVENT"));
        assert!(ics.contains("SUMMARY:Stand-up\\; daily\\, short\r\n"));
        assert!(ics.contains("ORGANIZER;CN=\"Alice, A.\":mailto:alice@example.com"));
        assert!(
            ics.contains("ATTENDEE;PARTSTAT=ACCEPTED;ROLE=OPT-PARTICIPANT:mailto:bob@example.com")
        );
        let cal = Calendar::parse(&ics).map_err(|e| bad(&e.to_string()))?;
        let ev = cal.events().next().ok_or_else(|| bad("no event"))?;
        assert_eq!(ev.summary().as_deref(), Some("Stand-up; daily, short"));
        assert!(ev.is_recurring());
        Ok(())
    }

    #[test]
    fn maps_all_day_and_cancelled_exception() -> Result<()> {
        let event: Value = serde_json::json!({
            "id": "abc123_20260107T140000Z", "status": "cancelled",
            "recurringEventId": "abc123",
            "originalStartTime": {"dateTime": "2026-01-07T09:00:00-05:00", "timeZone": "America/New_York"}
        });
        let ics = event_to_ical(&event)?;
        assert!(ics.contains("RECURRENCE-ID;TZID=America/New_York:20260107T090000"));
        assert!(ics.contains("STATUS:CANCELLED"));
        assert!(ics.contains("X-DAVKIT-GCAL-RECURRING-EVENT-ID:abc123"));
        let holiday: Value = serde_json::json!({
            "id": "h1", "summary": "Holiday",
            "start": {"date": "2026-12-25"}, "end": {"date": "2026-12-26"}
        });
        let ics = event_to_ical(&holiday)?;
        assert!(ics.contains("DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226"));
        Ok(())
    }

    #[test]
    fn series_joins_exceptions() -> Result<()> {
        let master: Value = serde_json::json!({
            "id": "s1", "iCalUID": "s1@google.com", "summary": "Weekly",
            "start": {"dateTime": "2026-03-02T14:00:00Z"}, "end": {"dateTime": "2026-03-02T15:00:00Z"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]
        });
        let moved: Value = serde_json::json!({
            "id": "s1_m", "recurringEventId": "s1", "summary": "Moved",
            "originalStartTime": {"dateTime": "2026-03-09T14:00:00Z"},
            "start": {"dateTime": "2026-03-10T15:00:00Z"}, "end": {"dateTime": "2026-03-10T16:00:00Z"}
        });
        let cancelled: Value = serde_json::json!({
            "id": "s1_c", "recurringEventId": "s1", "status": "cancelled",
            "originalStartTime": {"dateTime": "2026-03-16T14:00:00Z"}
        });
        let ics = series_to_ical(&master, &[&moved, &cancelled])?;
        let cal = Calendar::parse(&ics).map_err(|e| bad(&e.to_string()))?;
        assert_eq!(
            cal.events().count(),
            2,
            "the master and one override: {ics}"
        );
        assert!(ics.contains("EXDATE:20260316T140000Z\r\n"), "{ics}");
        assert!(ics.contains("RECURRENCE-ID:20260309T140000Z\r\n"), "{ics}");
        assert_eq!(ics.matches("UID:s1@google.com\r\n").count(), 2, "{ics}");
        assert!(ics.contains("X-DAVKIT-GCAL-ID:s1_m\r\n"));
        assert!(
            !ics.contains("s1_c"),
            "a cancelled instance is an EXDATE only"
        );
        Ok(())
    }

    /// TEXT holds no control character but HTAB (RFC 5545 §3.3.11): pasted text with a NUL,
    /// a bell, a vertical tab, a form feed, an escape or a DEL loses it; line breaks (LF, CRLF,
    /// a lone CR) are written `\n`; no raw CR or LF ends a value early, in the text or in an
    /// address.
    #[test]
    fn control_characters_are_not_written() -> Result<()> {
        let event: Value = serde_json::json!({
            "id": "e1", "summary": "a\u{0}b\u{7}c\u{b}d\u{c}e\u{1b}[0mf\u{7f}g\th\u{85}i\u{2028}j",
            "description": "one\ntwo\r\nthree\rfour",
            "location": "\u{1}\u{1f}",
            "organizer": {"email": "alice@example.com\r\nATTACH:http://x.example/"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=2\u{c}", "RRULE:FREQ=WEEKLY;COUNT=2"],
            "start": {"dateTime": "2026-01-05T09:00:00Z"}, "end": {"dateTime": "2026-01-05T10:00:00Z"}
        });
        let ics = event_to_ical(&event)?;
        assert!(
            ics.contains("SUMMARY:abcde[0mfg\th\u{85}i\u{2028}j\r\n"),
            "{ics:?}"
        );
        assert!(
            ics.contains("DESCRIPTION:one\\ntwo\\nthree\\nfour\r\n"),
            "{ics:?}"
        );
        assert!(!ics.contains("LOCATION"), "{ics:?}");
        assert!(
            ics.contains("ORGANIZER:mailto:alice@example.comATTACH:http://x.example/\r\n"),
            "{ics:?}"
        );
        assert!(!ics.contains("\r\nATTACH"), "{ics:?}");
        assert!(!ics.contains("FREQ=DAILY"), "{ics:?}");
        assert!(ics.contains("RRULE:FREQ=WEEKLY;COUNT=2\r\n"), "{ics:?}");
        let stray = |c: char| c.is_ascii_control() && !matches!(c, '\t' | '\r' | '\n');
        assert!(!ics.contains(stray), "{ics:?}");
        // Every CR ends a line.
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
        let cal = Calendar::parse(&ics).map_err(|e| bad(&e.to_string()))?;
        let ev = cal.events().next().ok_or_else(|| bad("no event"))?;
        assert_eq!(
            ev.summary().as_deref(),
            Some("abcde[0mfg\th\u{85}i\u{2028}j")
        );
        Ok(())
    }

    #[test]
    fn rejects_bad_events() {
        assert!(event_to_ical(&serde_json::json!({"summary": "no id"})).is_err());
        let bad_time = serde_json::json!({"id": "x", "start": {"dateTime": "yesterday"}});
        assert_eq!(
            event_to_ical(&bad_time).err().map(|e| e.kind()),
            Some(ErrorKind::Protocol)
        );
    }

    #[test]
    fn urls_encode_ids() {
        assert_eq!(
            event_url("alice@gmail.com", "abc 1"),
            "https://www.googleapis.com/calendar/v3/calendars/alice@gmail.com/events/abc%201"
        );
    }
}
