//! Writing VTIMEZONEs (RFC 5545 §3.6.5) for the TZIDs an object uses without one.
//!
//! §3.2.19: "An individual VTIMEZONE calendar component MUST be specified for each unique TZID
//! parameter value specified in the iCalendar object." Readers that do not know IANA names (or
//! that prefer the object's own rules) place a time whose TZID has no VTIMEZONE wrongly or drop
//! the event (todoman#263: DAVx5). [`Calendar::add_missing_timezones`] writes one for each such
//! TZID that names a zone this library knows (an IANA name, a prefixed one, a Windows name),
//! from that zone's transitions over the object's years and on to [`VTIMEZONE_HORIZON_YEAR`]:
//!
//! - the transitions of one kind (standard or daylight, the same offsets) that follow a yearly
//!   rule in consecutive years (the same month and local time, and the same nth or last
//!   weekday, weekday on or after a day, or day of the month) become one observance with
//!   `RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=..` (or `BYMONTHDAY`),
//!   `UNTIL` its last onset unless the rule still holds at the horizon (the zone's rule today,
//!   which then goes on for ever, as every client writes it);
//! - any other transition is one `RDATE` of an observance of its kind;
//! - the rules start in the year before the object's earliest time (the same text for every
//!   object of a year), with the observance in force then included from its onset (or, in a
//!   zone with no transition before it, from the start of that year).
//!
//! No TZNAME is written (it is optional, and the zones' abbreviations differ between sources:
//! the npm package's zones come from the host's `Intl`, which names none), so that every
//! platform writes the same bytes for the same zone. Bounded: at most [`MAX_TRANSITIONS`]
//! transitions are read for one zone.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Calendar;
use super::civil::{DAY, civil_from_days, days_in_month, weekday_of};
use super::tz::{iana_for, windows_for};
use super::value::CalDateTime;
use crate::contentline::{Component, Property};

/// The rules written run at least to the start of this year (and a year past the object's last
/// time): an open-ended series needs the zone's rules of today and of the years ahead that tzdb
/// already knows (Casablanca's are listed to 2087), and this library has no clock. A zone whose
/// rules are yearly ones is written as such whatever the span; one that has none (Casablanca)
/// gets a date for each change to this year.
pub const VTIMEZONE_HORIZON_YEAR: i64 = 2100;

/// At most this many transitions are read for one zone (a real zone has two a year; from 1900
/// to the horizon about 400).
const MAX_TRANSITIONS: usize = 2_000;

/// At most this many VTIMEZONEs are added to one calendar (a real object names one to three
/// zones; a hostile one could name thousands, each a distinct spelling of a known zone, and
/// each VTIMEZONE is up to 2,000 lines), and at most four times as many TZIDs
/// are looked up. The TZIDs past these are left as they are.
pub const MAX_ZONES_ADDED: usize = 64;

/// The VTIMEZONEs added to one object hold at most this many lines, plus
/// [`ZONE_LINES_PER_LINE`] for each line of the object: a real object's zones take tens of lines
/// each (a few hundred for a zone whose rules changed often, written from 1900); a hostile one
/// naming 64 zones with long histories in a few KB would get 170 KB of them (and a page of
/// Calendar API events, each its own object, 40 times its size). The zones past the budget are
/// left as they are.
pub const ZONE_LINES_FREE: usize = 1_000;

/// See [`ZONE_LINES_FREE`].
pub const ZONE_LINES_PER_LINE: usize = 4;

/// The lines of `c` (its properties, and its components' with their BEGIN and END).
fn lines(c: &Component) -> usize {
    let mut n = 2 + c.properties().len();
    for child in c.components() {
        n += lines(child);
    }
    n
}

/// The earliest year a VTIMEZONE written here covers (older times keep the offset of 1900).
const FIRST_YEAR: i64 = 1900;

/// One change of offset: its onset in local time before it (what DTSTART says, in
/// TZOFFSETFROM), the offsets, and whether the new one is daylight time.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Onset {
    local: i64,
    from: i32,
    to: i32,
    daylight: bool,
}

impl Onset {
    /// What observance it belongs to.
    fn kind(&self) -> (bool, i32, i32) {
        (self.daylight, self.from, self.to)
    }
}

/// The yearly rule an onset fits: (year, month, day, weekday 0 = Monday, nth weekday of the
/// month from 1, whether it is the last such weekday, seconds into the day).
fn rule_of(local: i64) -> (i64, i64, i64, i64, i64, bool, i64) {
    let days = local.div_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let nth = (d - 1) / 7 + 1;
    let last = d + 7 > days_in_month(y, m);
    (y, m, d, weekday_of(days), nth, last, local.rem_euclid(DAY))
}

/// `YYYYMMDDTHHMMSS` for local seconds.
fn local_text(local: i64) -> String {
    let (y, m, d) = civil_from_days(local.div_euclid(DAY));
    let s = local.rem_euclid(DAY);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `YYYYMMDDTHHMMSSZ` for UTC seconds.
fn utc_text(utc: i64) -> String {
    format!("{}Z", local_text(utc))
}

/// `+HHMM`, or `+HHMMSS` when the offset has seconds (local mean time before 1900).
fn offset_text(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a % 3600 / 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// The offsets of `zone` changing from `from` (UTC seconds; the change in force then is the
/// first) to `to`, at most [`MAX_TRANSITIONS`].
fn onsets(zone: &TimeZone, from: i64, to: i64) -> Vec<Onset> {
    let at = |utc: i64| Timestamp::from_second(utc).unwrap_or(Timestamp::MIN);
    let start = at(from);
    let first = zone.to_offset_info(start);
    let mut out = Vec::new();
    let mut offset = first.offset().seconds();
    // (jiff's `preceding` and `following` leave out a change at the instant given: one at
    // `from` itself is the change in force, found from the second after)
    match zone.preceding(at(from + 1)).next() {
        Some(t) => {
            let utc = t.timestamp().as_second();
            let before = zone.to_offset(at(utc - 1)).seconds();
            out.push(Onset {
                local: utc + i64::from(before),
                from: before,
                to: offset,
                daylight: first.dst().is_dst(),
            });
        }
        None => out.push(Onset {
            local: from + i64::from(offset),
            from: offset,
            to: offset,
            daylight: first.dst().is_dst(),
        }),
    }
    for t in zone.following(start) {
        let utc = t.timestamp().as_second();
        if utc > to || out.len() >= MAX_TRANSITIONS {
            break;
        }
        let next = t.offset().seconds();
        out.push(Onset {
            local: utc + i64::from(offset),
            from: offset,
            to: next,
            daylight: t.dst().is_dst(),
        });
        offset = next;
    }
    out
}

/// One observance: its kind's properties, its first onset and what follows it.
fn observance(first: &Onset, rest: Rest) -> Component {
    let mut c = Component::new(if first.daylight {
        "DAYLIGHT"
    } else {
        "STANDARD"
    });
    c.push_property(Property::new("DTSTART", &local_text(first.local)));
    c.push_property(Property::new("TZOFFSETFROM", &offset_text(first.from)));
    c.push_property(Property::new("TZOFFSETTO", &offset_text(first.to)));
    match rest {
        Rest::Rule { by_day, until } => {
            let (_, month, ..) = rule_of(first.local);
            let mut rule = format!("FREQ=YEARLY;BYMONTH={month};{by_day}");
            if let Some(until) = until {
                rule.push_str(";UNTIL=");
                rule.push_str(&utc_text(until));
            }
            c.push_property(Property::new("RRULE", &rule));
        }
        Rest::Dates(dates) => {
            for local in dates {
                c.push_property(Property::new("RDATE", &local_text(local)));
            }
        }
    }
    c
}

/// What an observance has after its DTSTART.
enum Rest {
    /// A yearly rule (its parts after `BYMONTH`), ending at `until` (UTC) or never.
    Rule { by_day: String, until: Option<i64> },
    /// More onsets (local times).
    Dates(Vec<i64>),
}

/// The yearly run of onsets starting at `onsets[i]`: how many there are, and the rule's parts
/// after `BYMONTH` (`BYDAY=-1SU`, `BYDAY=2SU`, `BYMONTHDAY=1` for a fixed day, or
/// `BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8` for "the Sunday on or after the 2nd", which tzdb writes
/// `Sun>=2`). Runs of fewer than three are not rules, nor of fewer than seven for an
/// on-or-after day: only seven years show every weekday the month's first day can fall on, so
/// a shorter run could name a later first day than the zone's rule.
fn run_at(onsets: &[Onset], i: usize) -> Option<(usize, String)> {
    let (y0, m0, d0, wd0, nth0, last0, t0) = rule_of(onsets.get(i)?.local);
    let mut n = 1;
    // what the run so far fits: a weekday (last, nth, or within seven days), or one day
    let (mut weekly, mut all_last, mut same_nth, mut lo, mut hi) = (true, last0, nth0 <= 4, d0, d0);
    let mut same_day = true;
    while let Some(next) = onsets.get(i + n) {
        let (y, m, d, wd, nth, last, t) = rule_of(next.local);
        if y != y0 + n as i64 || m != m0 || t != t0 {
            break;
        }
        let (l, h) = (lo.min(d), hi.max(d));
        let week =
            weekly && wd == wd0 && ((all_last && last) || (same_nth && nth == nth0) || h - l <= 6);
        let day = same_day && d == d0;
        if !week && !day {
            break;
        }
        weekly = week;
        same_day = day;
        all_last &= last;
        same_nth &= nth == nth0;
        (lo, hi) = (l, h);
        n += 1;
    }
    let day = WEEKDAYS[wd0 as usize];
    let rule = if weekly && all_last {
        format!("BYDAY=-1{day}")
    } else if weekly && same_nth {
        format!("BYDAY={nth0}{day}")
    } else if same_day {
        format!("BYMONTHDAY={d0}")
    } else if weekly && n >= 7 && lo + 6 <= days_in_month(2001, m0) {
        // (the seven days exist in the month every year: 2001's February is the shorter)
        let mut rule = format!("BYDAY={day};BYMONTHDAY={lo}");
        for d in lo + 1..lo + 7 {
            rule.push_str(&format!(",{d}"));
        }
        rule
    } else {
        return None;
    };
    (n >= 3).then_some((n, rule))
}

/// The span (local seconds) a VTIMEZONE for times `first` to `last` covers: from the start of
/// the year before the first time's (the same VTIMEZONE for any object of that year, so moving
/// an event within its year leaves the zone's text as it was) to a year past the last, and at
/// least to [`VTIMEZONE_HORIZON_YEAR`].
fn span(first: i64, last: i64) -> (i64, i64) {
    let year_start = |y: i64| super::civil::days_from_civil(y, 1, 1) * DAY;
    let from = year_start(rule_of(first).0 - 1).max(year_start(FIRST_YEAR));
    let to = (last + 366 * DAY).max(year_start(VTIMEZONE_HORIZON_YEAR));
    (from, to)
}

/// At most this many VTIMEZONEs are remembered ([`written`]).
const REMEMBERED: usize = 16;

/// A VTIMEZONE written ([`written`]): its TZID, its span and the component.
type Written = (String, (i64, i64), Component);

thread_local! {
    /// The VTIMEZONEs written last, newest last, by TZID and span: the Calendar API's events
    /// are converted one by one (each its own VCALENDAR), and most of a calendar's share a zone
    /// and a year. A zone's rules do not change in a process (the database is built in, or the
    /// zone source answers once per name).
    static WRITTEN: std::cell::RefCell<Vec<Written>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The VTIMEZONE for `tzid` over `first` to `last` ([`vtimezone`]): one written before for
/// the same TZID and span, or a new one when the TZID names a zone this library knows.
fn written(tzid: &str, first: i64, last: i64) -> Option<Component> {
    let key = span(first, last);
    let known = WRITTEN.with(|w| {
        let w = w.borrow();
        w.iter()
            .find(|(t, k, _)| t == tzid && *k == key)
            .map(|(_, _, c)| c.clone())
    });
    if known.is_some() {
        return known;
    }
    let zone = iana_for(tzid).or_else(|| windows_for(tzid))?;
    let c = vtimezone(tzid, &zone, first, last);
    WRITTEN.with(|w| {
        let mut w = w.borrow_mut();
        if w.len() == REMEMBERED {
            w.remove(0);
        }
        w.push((tzid.to_owned(), key, c.clone()));
    });
    Some(c)
}

/// The VTIMEZONE for `tzid` with `zone`'s rules, covering local times `first` to `last`
/// (seconds) and on to [`VTIMEZONE_HORIZON_YEAR`] ([`span`]).
pub(crate) fn vtimezone(tzid: &str, zone: &TimeZone, first: i64, last: i64) -> Component {
    let (from, to) = span(first, last);
    let all = onsets(zone, from, to);
    // The year the rules written must reach to be the zone's rules from then on (the last
    // onset's, where MAX_TRANSITIONS stopped the reading).
    let end_year = match all.last() {
        Some(o) if all.len() >= MAX_TRANSITIONS => rule_of(o.local).0 + 1,
        _ => rule_of(to).0,
    };
    let mut out = Component::new("VTIMEZONE");
    out.push_property(Property::new("TZID", tzid));
    // Observances in the order of their first onset; each kind's onsets split into yearly
    // runs and single dates.
    // (Loops rather than adapter chains and sorts: each is its own code in the WebAssembly
    // modules.)
    let mut done = vec![false; all.len()];
    let mut pieces: Vec<(i64, Component)> = Vec::new();
    for (k, onset) in all.iter().enumerate() {
        if done[k] {
            continue;
        }
        let mut kind: Vec<Onset> = Vec::new();
        for j in k..all.len() {
            if !done[j] && all[j].kind() == onset.kind() {
                done[j] = true;
                kind.push(all[j]);
            }
        }
        let mut singles: Vec<i64> = Vec::new();
        let mut i = 0;
        while i < kind.len() {
            match run_at(&kind, i) {
                Some((n, by_day)) => {
                    let last_onset = kind[i + n - 1];
                    let open = i + n == kind.len() && rule_of(last_onset.local).0 >= end_year - 1;
                    let until = (!open).then(|| last_onset.local - i64::from(last_onset.from));
                    let c = observance(&kind[i], Rest::Rule { by_day, until });
                    pieces.push((kind[i].local, c));
                    i += n;
                }
                None => {
                    singles.push(kind[i].local);
                    i += 1;
                }
            }
        }
        if let Some((&head, tail)) = singles.split_first() {
            let first = Onset {
                local: head,
                ..*onset
            };
            pieces.push((head, observance(&first, Rest::Dates(tail.to_vec()))));
        }
    }
    // in the order of their first onsets (a few: picked one by one)
    while !pieces.is_empty() {
        let mut first = 0;
        for (i, (at, _)) in pieces.iter().enumerate() {
            if *at < pieces[first].0 {
                first = i;
            }
        }
        out.push_component(pieces.remove(first).1);
    }
    out
}

/// Each TZID used (trimmed) with the earliest and latest local time (seconds) of its values, in
/// first-seen order, and their index in it by TZID (the one `String` to index map type of the
/// formats module).
type Used = (Vec<(String, i64, i64)>, BTreeMap<String, usize>);

/// The local times of every value with a TZID in `comp` and its components (not VTIMEZONEs),
/// into `out`. Linear in the values: each TZID is looked up in the index.
fn zoned_times(comp: &Component, out: &mut Used) {
    for p in comp.properties() {
        let Some(tzid) = p.param_value("TZID") else {
            continue;
        };
        let tzid = tzid.trim();
        let Ok(values) = CalDateTime::list_from_property(p) else {
            continue;
        };
        for v in values {
            let local = super::civil::local_secs(v.local());
            let (times, at) = &mut *out;
            match at.get(tzid).and_then(|&i| times.get_mut(i)) {
                Some((_, lo, hi)) => {
                    *lo = (*lo).min(local);
                    *hi = (*hi).max(local);
                }
                None => {
                    at.insert(tzid.to_owned(), times.len());
                    times.push((tzid.to_owned(), local, local));
                }
            }
        }
    }
    for c in comp.components().iter().filter(|c| !c.is("VTIMEZONE")) {
        zoned_times(c, out);
    }
}

impl Calendar {
    /// Adds a VTIMEZONE for every TZID the calendar's values use without one, when the TZID
    /// names a zone this library knows (an IANA name, one after a prefix such as
    /// `/mozilla.org/20050126_1/`, a common Windows name): RFC 5545 §3.2.19 asks for one per
    /// TZID, and readers that do not know IANA names need it. At most [`MAX_ZONES_ADDED`] are
    /// added, in the order the TZIDs first appear, and while their lines stay within
    /// [`ZONE_LINES_FREE`] plus [`ZONE_LINES_PER_LINE`] a line of the calendar; a TZID with a comma, semicolon, backslash,
    /// quote or control character is left alone (no known zone is named so). Each is written from the zone's
    /// transitions over the calendar's years and on to [`VTIMEZONE_HORIZON_YEAR`], as yearly rules where
    /// the zone has them (see the module). TZIDs nobody knows are left as they are. The new
    /// VTIMEZONEs go before the first component that is not one. Returns the TZIDs added.
    pub fn add_missing_timezones(&mut self) -> Vec<String> {
        let mut used: Used = (Vec::new(), BTreeMap::new());
        for c in self.component().components() {
            if !c.is("VTIMEZONE") {
                zoned_times(c, &mut used);
            }
        }
        // the TZIDs that have a VTIMEZONE (inserted and looked up: the map code the module
        // has; no B-tree removal)
        let mut has = BTreeMap::new();
        for t in self.timezones() {
            if let Some(id) = t.tzid() {
                has.insert(id.trim().to_owned(), 0);
            }
        }
        let mut added = Vec::new();
        let mut zones = Vec::new();
        let mut asked = 0;
        let budget = ZONE_LINES_FREE
            .saturating_add(lines(self.component()).saturating_mul(ZONE_LINES_PER_LINE));
        let mut spent = 0usize;
        for (tzid, first, last) in used.0 {
            if added.len() == MAX_ZONES_ADDED || asked == 4 * MAX_ZONES_ADDED {
                break;
            }
            // A TZID that TEXT would write escaped (or that holds a control character, which
            // RFC 6868's `^n` can put in a parameter) is left alone: its VTIMEZONE's TZID would
            // not be the same text.
            let plain = !tzid
                .bytes()
                .any(|b| b < 0x20 || matches!(b, 0x7f | b',' | b';' | b'\\' | b'"'));
            if !plain || has.contains_key(&tzid) {
                continue;
            }
            asked += 1;
            let Some(zone) = written(&tzid, first, last) else {
                continue;
            };
            spent = spent.saturating_add(lines(&zone));
            if spent > budget {
                break;
            }
            zones.push(zone);
            added.push(tzid);
        }
        let children = self.component_mut().components_mut();
        let mut at = 0;
        while children.get(at).is_some_and(|c| c.is("VTIMEZONE")) {
            at += 1;
        }
        for zone in zones {
            children.insert(at, zone);
            at += 1;
        }
        added
    }

    /// The text to write: [`Calendar::to_ics`] of the calendar with
    /// [`Calendar::add_missing_timezones`] applied (to a copy: `self` is left as it is). What
    /// the editors of the bindings, the iTIP messages, an attendee's answer written back and the
    /// Calendar API's events write. The
    /// last 16 VTIMEZONEs written are remembered (per thread) for the same TZID and span.
    pub fn to_ics_with_timezones(&self) -> String {
        let mut cal = self.clone();
        cal.add_missing_timezones();
        cal.to_ics()
    }
}

#[cfg(test)]
#[path = "vtimezone_tests.rs"]
mod tests;
