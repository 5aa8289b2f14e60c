//! Recurrence expansion: RFC 5545 §3.3.10 (RRULE), §3.8.5 (RDATE, EXDATE, RRULE) and §3.8.4.4
//! (RECURRENCE-ID overrides), in a time window.
//!
//! Candidates are generated as wall-clock times in the zone of DTSTART and only then turned into
//! instants, so a daily 09:00 meeting stays at 09:00 across DST changes. A wall-clock time in a
//! DST gap is read with the offset before the gap, one in an overlap as the first occurrence
//! (RFC 5545 §3.3.5). Every rule is guarded: at most [`ExpandOptions::max_instances`] instances
//! and [`ExpandOptions::max_iterations`] generation steps, after which the result says
//! `truncated`.
//!
//! Where RFC 5545 leaves room, expansion reads files the way the common clients do (and agrees,
//! instance by instance, with the PyPI `recurring-ical-events` package on its test calendars and
//! on 1,000 generated rules, see `core/tests/recurrence_oracle.rs`):
//! - DTSTART is the first instance even when the rule does not match it, unless every RRULE
//!   ends (UNTIL) before it;
//! - a DATE `UNTIL` on a DATE-TIME series ends at the start of that day; a negative `COUNT` is
//!   ignored; an empty or unreadable RRULE is skipped with a warning (RDATEs still count);
//! - several masters with one UID: the highest SEQUENCE wins; several overrides of one
//!   instance: likewise; an override whose RECURRENCE-ID is excluded by EXDATE is dropped, and
//!   one that names no instance of the series is ignored with a warning;
//! - `RANGE=THISANDFUTURE` moves every later instance by the override's wall-clock offset and
//!   gives it the override's length and data;
//! - a DTEND before DTSTART is read the other way round; an RDATE `PERIOD` gives its own end;
//! - `X-WR-TIMEZONE` places floating and UTC times in that zone
//!   ([`ExpandOptions::x_wr_timezone`]); an unknown TZID is read as floating time, with a
//!   warning.

use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use super::rrule::{Frequency, RRule};
use super::tz::{Resolver, TzPolicy, Zone, iana_for};
use super::value::{CalDateTime, Duration, ValueError};
use super::{CalObject, Calendar};

const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------------------------
// civil arithmetic on "local seconds" (seconds since 1970-01-01T00:00 wall clock)

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

fn days_in_year(y: i64) -> i64 {
    if is_leap(y) { 366 } else { 365 }
}

/// 0 = Monday .. 6 = Sunday
fn weekday_of(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

fn wd_index(w: Weekday) -> i64 {
    i64::from(w.to_monday_zero_offset())
}

/// Wall-clock seconds since 1970-01-01T00:00.
pub(crate) fn local_secs(dt: DateTime) -> i64 {
    days_from_civil(
        i64::from(dt.year()),
        i64::from(dt.month()),
        i64::from(dt.day()),
    ) * DAY
        + i64::from(dt.hour()) * 3600
        + i64::from(dt.minute()) * 60
        + i64::from(dt.second())
}

/// The civil date-time for wall-clock seconds, if within jiff's range.
pub(crate) fn dt_from_local_secs(s: i64) -> Option<DateTime> {
    let days = s.div_euclid(DAY);
    let sod = s.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
    let time = Time::new(
        (sod / 3600) as i8,
        ((sod % 3600) / 60) as i8,
        (sod % 60) as i8,
        0,
    )
    .ok()?;
    Some(date.to_datetime(time))
}

const MIN_LOCAL: i64 = -62_135_596_800; // 0001-01-01
const MAX_LOCAL: i64 = 253_402_300_799; // 9999-12-31T23:59:59

// ---------------------------------------------------------------------------------------------
// the RRULE iterator

/// Generates the wall-clock times of one RRULE (without UNTIL, which needs the zone), in order,
/// starting with those at or after DTSTART. COUNT is applied.
pub(crate) struct RuleIter {
    freq: Frequency,
    interval: i64,
    count: Option<u32>,
    start: i64,
    start_days: i64,
    start_y: i64,
    start_m: i64,
    start_h: u8,
    start_mi: u8,
    start_s: u8,
    wkst: i64,
    by_month: Vec<i64>,
    by_month_day: Vec<i64>,
    by_year_day: Vec<i64>,
    by_week_no: Vec<i64>,
    by_day_plain: [bool; 7],
    any_plain: bool,
    by_day_nth: Vec<(i64, i64)>,
    by_hour: Vec<u8>,
    by_minute: Vec<u8>,
    by_second: Vec<u8>,
    by_set_pos: Vec<i64>,
    /// index of the current period
    k: i64,
    pending: Vec<i64>,
    pending_pos: usize,
    emitted: u32,
    iterations: usize,
    max_iterations: usize,
    horizon: i64,
    done: bool,
    /// true when stopped by the iteration guard
    pub(crate) guard_hit: bool,
}

fn sorted_u8(v: &[u8]) -> Vec<u8> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl RuleIter {
    pub(crate) fn new(rule: &RRule, dtstart: DateTime, max_iterations: usize) -> RuleIter {
        let start = local_secs(dtstart);
        let start_days = start.div_euclid(DAY);
        let (start_y, start_m, start_d) = civil_from_days(start_days);
        let mut by_month: Vec<i64> = rule.by_month.iter().map(|&m| i64::from(m)).collect();
        let mut by_month_day: Vec<i64> = rule.by_month_day.iter().map(|&m| i64::from(m)).collect();
        let mut by_day = rule.by_day.clone();
        if rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty()
        {
            match rule.freq {
                Frequency::Yearly => {
                    if by_month.is_empty() {
                        by_month = vec![start_m];
                    }
                    by_month_day = vec![start_d];
                }
                Frequency::Monthly => by_month_day = vec![start_d],
                Frequency::Weekly => {
                    by_day = vec![super::rrule::WeekdayNum {
                        nth: None,
                        weekday: dtstart.weekday(),
                    }]
                }
                _ => {}
            }
        }
        let nth_allowed = matches!(rule.freq, Frequency::Monthly | Frequency::Yearly);
        let mut by_day_plain = [false; 7];
        let mut by_day_nth = Vec::new();
        let mut any_plain = false;
        for d in &by_day {
            match d.nth {
                Some(n) if nth_allowed => by_day_nth.push((i64::from(n), wd_index(d.weekday))),
                _ => {
                    if let Some(slot) = by_day_plain.get_mut(wd_index(d.weekday) as usize) {
                        *slot = true;
                    }
                    any_plain = true;
                }
            }
        }
        let sub_daily = rule.freq < Frequency::Daily;
        let mut by_hour = sorted_u8(&rule.by_hour);
        let mut by_minute = sorted_u8(&rule.by_minute);
        let mut by_second = sorted_u8(&rule.by_second);
        if by_hour.is_empty() && !sub_daily {
            by_hour = vec![dtstart.hour() as u8];
        }
        if by_minute.is_empty() && rule.freq > Frequency::Minutely {
            by_minute = vec![dtstart.minute() as u8];
        }
        if by_second.is_empty() && rule.freq > Frequency::Secondly {
            by_second = vec![dtstart.second() as u8];
        }
        RuleIter {
            freq: rule.freq,
            interval: i64::from(rule.interval.max(1)),
            count: rule.count,
            start,
            start_days,
            start_y,
            start_m,
            start_h: dtstart.hour() as u8,
            start_mi: dtstart.minute() as u8,
            start_s: dtstart.second() as u8,
            wkst: wd_index(rule.week_start),
            by_month,
            by_month_day,
            by_year_day: rule.by_year_day.iter().map(|&m| i64::from(m)).collect(),
            by_week_no: rule.by_week_no.iter().map(|&m| i64::from(m)).collect(),
            by_day_plain,
            any_plain,
            by_day_nth,
            by_hour,
            by_minute,
            by_second,
            by_set_pos: rule.by_set_pos.iter().map(|&m| i64::from(m)).collect(),
            k: 0,
            pending: Vec::new(),
            pending_pos: 0,
            emitted: 0,
            iterations: 0,
            max_iterations,
            horizon: MAX_LOCAL,
            done: rule.count == Some(0),
            guard_hit: false,
        }
    }

    fn step_secs(&self) -> i64 {
        match self.freq {
            Frequency::Hourly => 3600,
            Frequency::Minutely => 60,
            Frequency::Secondly => 1,
            Frequency::Daily => DAY,
            Frequency::Weekly => 7 * DAY,
            _ => 0,
        }
    }

    fn period_anchor(&self) -> i64 {
        match self.freq {
            Frequency::Weekly => {
                let back = (weekday_of(self.start_days) - self.wkst).rem_euclid(7);
                (self.start_days - back) * DAY
            }
            Frequency::Daily => self.start_days * DAY,
            Frequency::Hourly => self.start - self.start.rem_euclid(3600),
            Frequency::Minutely => self.start - self.start.rem_euclid(60),
            _ => self.start,
        }
    }

    /// Stops generating once a period starts after `local`.
    pub(crate) fn set_horizon(&mut self, local: i64) {
        self.horizon = local.min(MAX_LOCAL);
    }

    /// Skips whole periods that end before `local` (only when COUNT is absent: counting needs
    /// every period).
    pub(crate) fn skip_to(&mut self, local: i64) {
        if self.count.is_some() || local <= self.start {
            return;
        }
        let k = match self.freq {
            Frequency::Yearly => {
                let (y, _, _) = civil_from_days(local.div_euclid(DAY));
                (y - self.start_y) / self.interval - 1
            }
            Frequency::Monthly => {
                let (y, m, _) = civil_from_days(local.div_euclid(DAY));
                ((y * 12 + m) - (self.start_y * 12 + self.start_m)) / self.interval - 1
            }
            _ => (local - self.period_anchor()) / (self.step_secs() * self.interval) - 1,
        };
        if k > self.k {
            self.k = k;
        }
    }

    fn day_matches(&self, days: i64, ctx_month: bool) -> bool {
        let (y, m, d) = civil_from_days(days);
        if !self.by_month.is_empty() && !self.by_month.contains(&m) {
            return false;
        }
        let dim = days_in_month(y, m);
        if !self.by_month_day.is_empty()
            && !self
                .by_month_day
                .iter()
                .any(|&n| n == d || n == d - dim - 1)
        {
            return false;
        }
        let doy = days - days_from_civil(y, 1, 1) + 1;
        let diy = days_in_year(y);
        if !self.by_year_day.is_empty()
            && !self
                .by_year_day
                .iter()
                .any(|&n| n == doy || n == doy - diy - 1)
        {
            return false;
        }
        if !self.by_week_no.is_empty() {
            let (wn, nweeks) = self.week_no(days);
            if !self
                .by_week_no
                .iter()
                .any(|&n| n == wn || n == wn - nweeks - 1)
            {
                return false;
            }
        }
        if self.any_plain || !self.by_day_nth.is_empty() {
            let wd = weekday_of(days);
            let plain = self.by_day_plain.get(wd as usize).copied().unwrap_or(false);
            if !plain {
                let nth_ok = self.by_day_nth.iter().any(|&(n, w)| {
                    if w != wd {
                        return false;
                    }
                    let (pos, len) = if ctx_month { (d, dim) } else { (doy, diy) };
                    if n > 0 {
                        (pos - 1) / 7 + 1 == n
                    } else {
                        (len - pos) / 7 + 1 == -n
                    }
                });
                if !nth_ok {
                    return false;
                }
            }
        }
        true
    }

    fn week1_start(&self, y: i64) -> i64 {
        let jan1 = days_from_civil(y, 1, 1);
        let ws = jan1 - (weekday_of(jan1) - self.wkst).rem_euclid(7);
        if jan1 - ws <= 3 { ws } else { ws + 7 }
    }

    /// (week number, weeks in that week-year) for a day, weeks starting on WKST.
    fn week_no(&self, days: i64) -> (i64, i64) {
        let ws = days - (weekday_of(days) - self.wkst).rem_euclid(7);
        let (wy, _, _) = civil_from_days(ws + 3);
        let w1 = self.week1_start(wy);
        let next = self.week1_start(wy + 1);
        ((ws - w1) / 7 + 1, (next - w1) / 7)
    }

    fn times(&self) -> Vec<i64> {
        let mut out =
            Vec::with_capacity(self.by_hour.len() * self.by_minute.len() * self.by_second.len());
        for &h in &self.by_hour {
            for &mi in &self.by_minute {
                for &s in &self.by_second {
                    out.push(i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s));
                }
            }
        }
        out
    }

    /// Fills `pending` with the next period's candidates; false when out of range.
    fn fill_period(&mut self) -> bool {
        let k = self.k;
        self.k += 1;
        let iv = self.interval;
        let mut cands: Vec<i64> = Vec::new();
        match self.freq {
            Frequency::Yearly | Frequency::Monthly => {
                let (first, ndays, ctx_month) = if self.freq == Frequency::Yearly {
                    let y = self.start_y + k * iv;
                    if y > 9999 || days_from_civil(y, 1, 1) * DAY > self.horizon {
                        return false;
                    }
                    (
                        days_from_civil(y, 1, 1),
                        days_in_year(y),
                        !self.by_month.is_empty(),
                    )
                } else {
                    let mi = self.start_y * 12 + (self.start_m - 1) + k * iv;
                    let (y, m) = (mi.div_euclid(12), mi.rem_euclid(12) + 1);
                    if y > 9999 || days_from_civil(y, m, 1) * DAY > self.horizon {
                        return false;
                    }
                    (days_from_civil(y, m, 1), days_in_month(y, m), true)
                };
                let times = self.times();
                for day in first..first + ndays {
                    if self.day_matches(day, ctx_month) {
                        cands.extend(times.iter().map(|t| day * DAY + t));
                    }
                }
            }
            Frequency::Weekly | Frequency::Daily => {
                let per = if self.freq == Frequency::Weekly { 7 } else { 1 };
                let base = self
                    .period_anchor()
                    .div_euclid(DAY)
                    .saturating_add(k.saturating_mul(iv).saturating_mul(per));
                if base.saturating_mul(DAY) > self.horizon {
                    return false;
                }
                let n = if self.freq == Frequency::Weekly { 7 } else { 1 };
                let times = self.times();
                for day in base..base + n {
                    if self.day_matches(day, false) {
                        cands.extend(times.iter().map(|t| day * DAY + t));
                    }
                }
            }
            Frequency::Hourly | Frequency::Minutely | Frequency::Secondly => {
                let step = self.step_secs() * iv;
                let t = self.period_anchor().saturating_add(k.saturating_mul(step));
                if t > self.horizon {
                    return false;
                }
                let day = t.div_euclid(DAY);
                let sod = t.rem_euclid(DAY);
                let (h, mi, s) = (
                    (sod / 3600) as u8,
                    ((sod % 3600) / 60) as u8,
                    (sod % 60) as u8,
                );
                let day_ok = self.day_matches(day, false);
                let hour_ok = self.by_hour.is_empty() || self.by_hour.contains(&h);
                let min_ok = self.freq > Frequency::Minutely
                    || self.by_minute.is_empty()
                    || self.by_minute.contains(&mi);
                let sec_ok = self.freq > Frequency::Secondly
                    || self.by_second.is_empty()
                    || self.by_second.contains(&s);
                if !day_ok || !hour_ok || !min_ok || !sec_ok {
                    // jump whole periods to the next day / hour / minute that could match
                    let next = if !day_ok {
                        (day + 1) * DAY
                    } else if !hour_ok {
                        t - sod.rem_euclid(3600) + 3600
                    } else if !min_ok {
                        t - sod.rem_euclid(60) + 60
                    } else {
                        t + 1
                    };
                    let skip = (next - t + step - 1) / step;
                    if skip > 1 {
                        self.k = self.k.saturating_add(skip - 1);
                    }
                } else {
                    let base = t - sod;
                    match self.freq {
                        Frequency::Hourly => {
                            for &m2 in &self.by_minute {
                                for &s2 in &self.by_second {
                                    cands.push(
                                        base + i64::from(h) * 3600
                                            + i64::from(m2) * 60
                                            + i64::from(s2),
                                    );
                                }
                            }
                        }
                        Frequency::Minutely => {
                            for &s2 in &self.by_second {
                                cands.push(
                                    base + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s2),
                                );
                            }
                        }
                        _ => cands.push(t),
                    }
                }
                let _ = (self.start_h, self.start_mi, self.start_s);
            }
        }
        cands.sort_unstable();
        if !self.by_set_pos.is_empty() && !cands.is_empty() {
            let n = cands.len() as i64;
            let mut picked: Vec<i64> = self
                .by_set_pos
                .iter()
                .filter_map(|&p| {
                    let idx = if p > 0 { p - 1 } else { n + p };
                    if (0..n).contains(&idx) {
                        cands.get(idx as usize).copied()
                    } else {
                        None
                    }
                })
                .collect();
            picked.sort_unstable();
            picked.dedup();
            cands = picked;
        }
        cands.retain(|&c| c >= self.start);
        self.pending = cands;
        self.pending_pos = 0;
        true
    }
}

impl Iterator for RuleIter {
    type Item = i64;
    fn next(&mut self) -> Option<i64> {
        loop {
            if self.done {
                return None;
            }
            if let Some(&c) = self.pending.get(self.pending_pos) {
                self.pending_pos += 1;
                self.emitted += 1;
                if self.count.is_some_and(|n| self.emitted >= n) {
                    self.done = true;
                }
                return Some(c);
            }
            self.iterations += 1;
            if self.iterations > self.max_iterations {
                self.guard_hit = true;
                self.done = true;
                return None;
            }
            if !self.fill_period() {
                self.done = true;
                return None;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// expansion of a calendar

/// Options for [`Calendar::expand`].
#[derive(Clone, Debug)]
pub struct ExpandOptions {
    /// Stop after this many occurrences in the window (then `truncated` is set).
    pub max_instances: usize,
    /// Stop a rule after this many generated periods (guards against rules that never match).
    pub max_iterations: usize,
    /// The zone for floating and all-day values when comparing with the window (default UTC).
    pub floating_tz: TimeZone,
    /// Which source resolves a TZID.
    pub tz_policy: TzPolicy,
    /// Read floating and UTC times in the calendar's `X-WR-TIMEZONE`, when it has one (as
    /// Google Calendar and most clients do for such files). Default true.
    pub x_wr_timezone: bool,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            max_instances: 10_000,
            max_iterations: 1_000_000,
            floating_tz: TimeZone::UTC,
            tz_policy: TzPolicy::default(),
            x_wr_timezone: true,
        }
    }
}

/// One occurrence in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// UID of the series.
    pub uid: Option<String>,
    /// The RECURRENCE-ID that names this occurrence (its original start).
    pub recurrence_id: CalDateTime,
    /// Start, in the form of DTSTART (same TZID, or date, or floating).
    pub start: CalDateTime,
    /// End, in the same form.
    pub end: CalDateTime,
    /// Start as an instant.
    pub start_utc: Timestamp,
    /// End as an instant.
    pub end_utc: Timestamp,
    /// True when an overriding component (with RECURRENCE-ID) supplies this occurrence.
    pub is_override: bool,
    /// Index in [`crate::contentline::Component::components`] of the VCALENDAR of the component
    /// that supplies the data (master or override), for typed access.
    pub component_index: usize,
}

/// The result of [`Calendar::expand`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Occurrences sorted by start.
    pub occurrences: Vec<Occurrence>,
    /// True when a guard stopped the expansion early.
    pub truncated: bool,
    /// Components skipped or zones not found, in plain words.
    pub warnings: Vec<String>,
}

/// Why an expansion could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpandError {
    /// The window ends before it starts.
    InvalidWindow,
    /// A value needed for the expansion is malformed.
    Value(ValueError),
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::InvalidWindow => f.write_str("window end is before its start"),
            ExpandError::Value(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExpandError {}

impl From<ValueError> for ExpandError {
    fn from(e: ValueError) -> Self {
        ExpandError::Value(e)
    }
}

/// Local <-> UTC for one value form.
enum Conv<'z> {
    Utc,
    Zone(std::rc::Rc<Zone>),
    Floating(&'z TimeZone),
}

impl Conv<'_> {
    fn to_utc(&self, local: i64) -> i64 {
        match self {
            Conv::Utc => local,
            Conv::Zone(z) => z.local_to_utc(local),
            Conv::Floating(tz) => dt_from_local_secs(local)
                .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
                .map_or(local, |t| t.as_second()),
        }
    }
    fn to_local(&self, utc: i64) -> i64 {
        match self {
            Conv::Utc => utc,
            Conv::Zone(z) => z.utc_to_local(utc),
            Conv::Floating(tz) => Timestamp::from_second(utc)
                .map(|ts| utc + i64::from(tz.to_offset(ts).seconds()))
                .unwrap_or(utc),
        }
    }
}

fn conv_for<'z>(
    v: &CalDateTime,
    resolver: &Resolver<'_>,
    floating: &'z TimeZone,
    warnings: &mut Vec<String>,
) -> Conv<'z> {
    match v {
        CalDateTime::Utc(_) => Conv::Utc,
        CalDateTime::Date(_) | CalDateTime::Floating(_) => Conv::Floating(floating),
        CalDateTime::Zoned { tzid, .. } => match resolver.resolve(tzid) {
            Some(z) => Conv::Zone(z),
            None => {
                let w = format!("unknown TZID {tzid:?}: read as floating time");
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
                Conv::Floating(floating)
            }
        },
    }
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The calendar-wide zone of `X-WR-TIMEZONE` (Google Calendar exports): floating and UTC values
/// are read as wall-clock times in it, as Google and the x-wr-timezone package do.
pub(crate) struct Xwr {
    tzid: String,
    zone: std::rc::Rc<Zone>,
}

fn xwr_fix(xwr: Option<&Xwr>, v: CalDateTime) -> CalDateTime {
    let Some(x) = xwr else { return v };
    match v {
        CalDateTime::Floating(dt) => CalDateTime::Zoned {
            local: dt,
            tzid: x.tzid.clone(),
        },
        CalDateTime::Utc(dt) => match dt_from_local_secs(x.zone.utc_to_local(local_secs(dt))) {
            Some(local) => CalDateTime::Zoned {
                local,
                tzid: x.tzid.clone(),
            },
            None => CalDateTime::Utc(dt),
        },
        other => other,
    }
}

/// How the end of each occurrence follows from its start.
#[derive(Clone, Copy)]
enum EndRule {
    /// Wall-clock seconds after the start (DTEND in the same form as DTSTART).
    Local(i64),
    /// Exact seconds after the start (DTEND in another zone).
    Exact(i64),
    /// DURATION: nominal days on the wall clock, then exact seconds.
    Nominal(i64, i64),
}

fn end_rule(
    obj: &CalObject<'_>,
    start: &CalDateTime,
    sconv: &Conv<'_>,
    econv_of: &dyn Fn(&CalDateTime) -> Conv<'static>,
    xwr: Option<&Xwr>,
) -> Result<EndRule, ValueError> {
    let end = if obj.kind() == super::ObjectKind::Todo {
        obj.due()?
    } else {
        obj.dtend()?
    };
    let end = end.map(|e| xwr_fix(xwr, e));
    if let Some(end) = end {
        let same_form = std::mem::discriminant(&end) == std::mem::discriminant(start)
            && end.tzid() == start.tzid();
        if same_form {
            return Ok(EndRule::Local(
                local_secs(end.local()) - local_secs(start.local()),
            ));
        }
        let s = sconv.to_utc(local_secs(start.local()));
        let e = econv_of(&end).to_utc(local_secs(end.local()));
        return Ok(EndRule::Exact(e - s));
    }
    if let Some(d) = obj.duration()? {
        return Ok(EndRule::Nominal(d.nominal_days(), d.exact_seconds()));
    }
    Ok(if start.is_date() {
        EndRule::Local(DAY)
    } else {
        EndRule::Local(0)
    })
}

/// Start and end (local and UTC) for one occurrence start.
fn place(local: i64, rule: EndRule, conv: &Conv<'_>) -> (i64, i64, i64, i64) {
    let su = conv.to_utc(local);
    let (el, eu) = match rule {
        EndRule::Local(d) => {
            let el = local + d;
            (el, conv.to_utc(el))
        }
        EndRule::Exact(d) => {
            let eu = su + d;
            (conv.to_local(eu), eu)
        }
        EndRule::Nominal(days, secs) => {
            let mid = conv.to_utc(local + days * DAY);
            let eu = mid + secs;
            (conv.to_local(eu), eu)
        }
    };
    (local, el, su, eu)
}

/// A DTEND written before DTSTART (seen in the wild) is read the other way round.
fn unswap(start: CalDateTime, rule: EndRule) -> (CalDateTime, EndRule) {
    match rule {
        EndRule::Local(d) if d < 0 => {
            let l = local_secs(start.local()) + d;
            match dt_from_local_secs(l) {
                Some(dt) => (start.with_local(dt), EndRule::Local(-d)),
                None => (start, EndRule::Local(0)),
            }
        }
        other => (start, other),
    }
}

/// Wall-clock `start + duration` (no zone): used for the typed `end()` of a single component.
pub(crate) fn add_duration_local(start: &CalDateTime, d: Option<&Duration>) -> CalDateTime {
    let l = local_secs(start.local());
    let add = match d {
        Some(d) => {
            if start.is_date() {
                d.nominal_days() * DAY
            } else {
                d.nominal_days() * DAY + d.exact_seconds()
            }
        }
        None if start.is_date() => DAY,
        None => 0,
    };
    dt_from_local_secs(l.saturating_add(add))
        .map_or_else(|| start.clone(), |dt| start.with_local(dt))
}

/// True when two values name the same instant, resolving TZIDs through the IANA database.
pub(crate) fn same_instant(a: &CalDateTime, b: &CalDateTime) -> bool {
    fn utc(v: &CalDateTime) -> Option<i64> {
        match v {
            CalDateTime::Utc(dt) => Some(local_secs(*dt)),
            CalDateTime::Zoned { local, tzid } => {
                let z = Zone::Iana(iana_for(tzid)?);
                Some(z.local_to_utc(local_secs(*local)))
            }
            _ => None,
        }
    }
    matches!((utc(a), utc(b)), (Some(x), Some(y)) if x == y)
}

struct Series<'c> {
    master: Option<(usize, CalObject<'c>)>,
    overrides: Vec<(usize, CalObject<'c>)>,
}

impl Calendar {
    /// Expands every VEVENT/VTODO/VJOURNAL (with their overrides) into occurrences that overlap
    /// the window `[start, end)`. An occurrence with no duration counts when it starts in the window.
    pub fn expand(
        &self,
        window: (Timestamp, Timestamp),
        opts: &ExpandOptions,
    ) -> Result<Expansion, ExpandError> {
        let (ws, we) = (window.0.as_second(), window.1.as_second());
        if we < ws {
            return Err(ExpandError::InvalidWindow);
        }
        let resolver = Resolver::new(self.component(), opts.tz_policy);
        let mut out = Expansion::default();
        // group by UID, keeping order of first appearance
        let mut order: Vec<Option<String>> = Vec::new();
        let mut groups: HashMap<Option<String>, Series<'_>> = HashMap::new();
        for (idx, comp) in self.component().components().iter().enumerate() {
            let obj = CalObject::new(comp);
            if !obj.kind().is_recurring_kind() {
                continue;
            }
            let uid = obj.uid().map(|u| u.into_owned());
            // components without UID never group together
            // components without UID never group together; a VEVENT and a VTODO sharing a UID
            // are separate series
            let key = match &uid {
                None => Some(format!("\u{0}#{idx}")),
                Some(u) => Some(format!("{:?}\u{0}{u}", obj.kind())),
            };
            let entry = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                Series {
                    master: None,
                    overrides: Vec::new(),
                }
            });
            if comp.property("RECURRENCE-ID").is_some() {
                entry.overrides.push((idx, obj));
            } else {
                // several masters with one UID: the highest SEQUENCE (then the last) wins
                let replace = entry
                    .master
                    .as_ref()
                    .is_none_or(|(_, m)| obj.sequence().unwrap_or(0) >= m.sequence().unwrap_or(0));
                if replace {
                    entry.master = Some((idx, obj));
                }
            }
        }
        let xwr = if opts.x_wr_timezone {
            self.component()
                .property("X-WR-TIMEZONE")
                .map(|p| p.raw_value().trim().to_owned())
                .and_then(|tzid| resolver.resolve(&tzid).map(|zone| Xwr { tzid, zone }))
        } else {
            None
        };
        for key in &order {
            let Some(series) = groups.get(key) else {
                continue;
            };
            if let Err(e) =
                self.expand_series(series, (ws, we), opts, &resolver, xwr.as_ref(), &mut out)
            {
                add_warning(&mut out, format!("UID {key:?} skipped: {e}"));
            }
            if out.truncated {
                break;
            }
        }
        out.occurrences.sort_by(|a, b| {
            a.start_utc
                .cmp(&b.start_utc)
                .then_with(|| a.uid.cmp(&b.uid))
        });
        Ok(out)
    }

    fn expand_series(
        &self,
        series: &Series<'_>,
        (ws, we): (i64, i64),
        opts: &ExpandOptions,
        resolver: &Resolver<'_>,
        xwr: Option<&Xwr>,
        out: &mut Expansion,
    ) -> Result<(), ValueError> {
        let floating = &opts.floating_tz;
        let fix = |v: CalDateTime| xwr_fix(xwr, v);
        let mut warnings = Vec::new();
        let master = series.master.as_ref();
        let master_start = match master {
            Some((_, m)) => m.dtstart()?.map(fix),
            None => None,
        };
        let master_is_date = master_start.as_ref().is_some_and(CalDateTime::is_date);
        // An occurrence is named by its instant, or by its date when the series is all-day
        // (a RECURRENCE-ID written with a time still names that day).
        let key_of = |v: &CalDateTime, warnings: &mut Vec<String>| -> i64 {
            if master_is_date {
                local_secs(v.date().to_datetime(Time::midnight()))
            } else {
                conv_for(v, resolver, floating, warnings).to_utc(local_secs(v.local()))
            }
        };

        // EXDATE
        let mut excluded: HashSet<i64> = HashSet::new();
        let mut ex_dates: HashSet<Date> = HashSet::new();
        if let Some((_, m)) = master {
            for x in m.exdates()?.into_iter().map(fix) {
                if x.is_date() && !master_is_date {
                    ex_dates.insert(x.date());
                } else {
                    excluded.insert(key_of(&x, &mut warnings));
                }
            }
        }

        // overrides: one per RECURRENCE-ID (the highest SEQUENCE wins); an EXDATE cancels it
        let mut chosen: HashMap<i64, (usize, CalObject<'_>)> = HashMap::new();
        let mut chosen_order: Vec<i64> = Vec::new();
        for (idx, ov) in &series.overrides {
            let Some(rid) = ov.recurrence_id()?.map(fix) else {
                continue;
            };
            let key = key_of(&rid, &mut warnings);
            if excluded.contains(&key) || ex_dates.contains(&rid.date()) {
                continue;
            }
            match chosen.get(&key) {
                Some((_, prev)) if prev.sequence().unwrap_or(0) > ov.sequence().unwrap_or(0) => {}
                Some(_) => {
                    chosen.insert(key, (*idx, *ov));
                }
                None => {
                    chosen.insert(key, (*idx, *ov));
                    chosen_order.push(key);
                }
            }
        }
        let replaced: HashSet<i64> = chosen.keys().copied().collect();
        let mut placed_overrides = Vec::new();
        // RANGE=THISANDFUTURE overrides: (key, new start instant, end rule, index, component)
        let mut ranges: Vec<(i64, i64, EndRule, usize, CalObject<'_>)> = Vec::new();
        for key in &chosen_order {
            let Some((idx, ov)) = chosen.get(key) else {
                continue;
            };
            let Some(rid) = ov.recurrence_id()?.map(fix) else {
                continue;
            };
            let start = ov.dtstart()?.map(fix).unwrap_or_else(|| rid.clone());
            let sconv = conv_for(&start, resolver, floating, &mut warnings);
            let econv = |v: &CalDateTime| static_conv(v, resolver, floating);
            let has_end = ov.dtend()?.is_some() || ov.duration()?.is_some() || ov.due()?.is_some();
            let rule = match (master, &master_start, has_end) {
                (Some((_, m)), Some(ms), false) => {
                    let mconv = conv_for(ms, resolver, floating, &mut warnings);
                    end_rule(m, ms, &mconv, &econv, xwr)?
                }
                _ => end_rule(ov, &start, &sconv, &econv, xwr)?,
            };
            let (start, rule) = unswap(start, rule);
            let placed = place(local_secs(start.local()), rule, &sconv);
            if ov.is_this_and_future() {
                ranges.push((*key, placed.2, rule, *idx, *ov));
            }
            placed_overrides.push((*key, *idx, *ov, rid, start, placed));
        }
        ranges.sort_by_key(|r| r.0);
        let emit_overrides = |out: &mut Expansion, keep: &dyn Fn(i64) -> bool| {
            for (key, idx, ov, rid, start, (sl, el, su, eu)) in &placed_overrides {
                if keep(*key) && overlaps(*su, *eu, ws, we) {
                    push(
                        out,
                        ov,
                        *idx,
                        rid.clone(),
                        start,
                        *sl,
                        *el,
                        *su,
                        *eu,
                        true,
                        opts,
                    );
                }
            }
        };

        let Some((midx, master)) = master else {
            emit_overrides(out, &|_| true);
            merge_warnings(out, warnings);
            return Ok(());
        };
        let Some(start) = master_start else {
            emit_overrides(out, &|_| true);
            warnings.push(format!("UID {:?}: no DTSTART, skipped", master.uid()));
            merge_warnings(out, warnings);
            return Ok(());
        };
        let sconv = conv_for(&start, resolver, floating, &mut warnings);
        let econv = |v: &CalDateTime| static_conv(v, resolver, floating);
        let rule = end_rule(master, &start, &sconv, &econv, xwr)?;
        let (start, rule) = unswap(start, rule);
        let start_local = local_secs(start.local());
        // the longest an occurrence can last, to look back before the window
        let span = match rule {
            EndRule::Local(d) | EndRule::Exact(d) => d.max(0),
            EndRule::Nominal(days, secs) => (days * DAY + secs).max(0),
        };
        // wall-clock bounds; the margin covers a DST overlap or gap around the window edges
        let margin = 6 * 3600;
        let horizon_local = sconv.to_local(we) + margin;
        let from_local = sconv.to_local(ws) - span - margin;

        // RRULEs: an empty value is ignored, an unreadable one is skipped with a warning
        let mut rules = Vec::new();
        for p in master.component().properties_named("RRULE") {
            if p.raw_value().trim().is_empty() {
                continue;
            }
            match super::rrule::RRule::parse(p.raw_value()) {
                Ok(r) => rules.push(r),
                Err(e) => warnings.push(format!("RRULE ignored: {e}")),
            }
        }
        let until_local_of = |r: &super::rrule::RRule| match &r.until {
            None => None,
            // a DATE UNTIL on a DATE-TIME series: midnight at the start of that day, as dateutil
            // and most clients read it (RFC 5545 wants both of the same type)
            Some(CalDateTime::Date(d)) if !start.is_date() => {
                Some(local_secs(d.to_datetime(Time::midnight())))
            }
            Some(CalDateTime::Date(d)) => {
                Some(local_secs(d.to_datetime(Time::midnight())) + DAY - 1)
            }
            Some(CalDateTime::Utc(dt)) if !start.is_date() => Some(sconv.to_local(local_secs(*dt))),
            Some(u) => Some(local_secs(u.local())),
        };
        // DTSTART is the first instance, unless every rule ends before it
        let mut starts: Vec<i64> = Vec::new();
        let all_end_before = !rules.is_empty()
            && rules
                .iter()
                .all(|r| until_local_of(r).is_some_and(|u| u < start_local));
        if !all_end_before {
            starts.push(start_local);
        }
        for r in &rules {
            let until_local = until_local_of(r);
            let until_utc = match (&r.until, &start) {
                (Some(CalDateTime::Utc(dt)), s)
                    if !s.is_date() && !matches!(s, CalDateTime::Floating(_)) =>
                {
                    Some(local_secs(*dt))
                }
                _ => None,
            };
            let mut it = RuleIter::new(r, start.local(), opts.max_iterations);
            it.skip_to(from_local);
            it.set_horizon(horizon_local);
            let mut produced = 0usize;
            for l in it.by_ref() {
                if l > horizon_local {
                    break;
                }
                let past_until = match until_utc {
                    Some(u) => sconv.to_utc(l) > u,
                    None => until_local.is_some_and(|u| l > u),
                };
                if past_until {
                    break;
                }
                starts.push(l);
                if l >= from_local {
                    produced += 1;
                }
                if produced > opts.max_instances.saturating_mul(4) + 1000 {
                    out.truncated = true;
                    break;
                }
            }
            if it.guard_hit {
                out.truncated = true;
                warnings.push(format!("RRULE {r} stopped by the iteration guard"));
            }
        }
        // RDATE, with the end of a PERIOD value
        let mut period_ends: HashMap<i64, EndRule> = HashMap::new();
        for p in master.component().properties_named("RDATE") {
            let tzid = p.param_value("TZID");
            for part in p
                .raw_value()
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
            {
                let (first, second) = match part.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (part, None),
                };
                let rd = match CalDateTime::parse(first, tzid.as_deref()) {
                    Ok(v) => fix(v),
                    Err(e) => {
                        warnings.push(format!("RDATE ignored: {e}"));
                        continue;
                    }
                };
                let rconv = conv_for(&rd, resolver, floating, &mut warnings);
                let l = match (&rd, &start) {
                    (CalDateTime::Date(d), s) if !s.is_date() => {
                        local_secs(d.to_datetime(start.local().time()))
                    }
                    (CalDateTime::Utc(_) | CalDateTime::Zoned { .. }, _) => {
                        sconv.to_local(rconv.to_utc(local_secs(rd.local())))
                    }
                    _ => local_secs(rd.local()),
                };
                if let Some(second) = second {
                    let su = rconv.to_utc(local_secs(rd.local()));
                    if let Some(d) = Duration::parse(second) {
                        period_ends
                            .insert(l, EndRule::Nominal(d.nominal_days(), d.exact_seconds()));
                    } else if let Ok(e) = CalDateTime::parse(second, tzid.as_deref()).map(fix) {
                        let eu = conv_for(&e, resolver, floating, &mut warnings)
                            .to_utc(local_secs(e.local()));
                        period_ends.insert(l, EndRule::Exact(eu - su));
                    }
                }
                starts.push(l);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut generated: HashSet<i64> = HashSet::new();
        let key_of_local = |l: i64| {
            if master_is_date {
                l - l.rem_euclid(DAY)
            } else {
                sconv.to_utc(l)
            }
        };
        for &l in &starts {
            generated.insert(key_of_local(l));
        }
        // an override whose RECURRENCE-ID names no occurrence of the series is ignored (when the
        // expansion covered that time and could tell)
        let covered = |key: i64| {
            let l = if master_is_date {
                key
            } else {
                sconv.to_local(key)
            };
            l >= from_local && l <= horizon_local
        };
        let orphan = |key: i64| covered(key) && !generated.contains(&key);
        for (key, _, _, rid, ..) in &placed_overrides {
            if orphan(*key) {
                warnings.push(format!(
                    "RECURRENCE-ID {rid} names no occurrence of the series: ignored"
                ));
            }
        }
        emit_overrides(out, &|key| !orphan(key));
        for l in starts {
            if !(MIN_LOCAL..=MAX_LOCAL).contains(&l) {
                continue;
            }
            let this_rule = period_ends.get(&l).copied().unwrap_or(rule);
            let (sl, el, su, eu) = place(l, this_rule, &sconv);
            let key = key_of_local(l);
            if excluded.contains(&key) || replaced.contains(&key) {
                continue;
            }
            if !ex_dates.is_empty()
                && dt_from_local_secs(l).is_some_and(|dt| ex_dates.contains(&dt.date()))
            {
                continue;
            }
            if out.occurrences.len() >= opts.max_instances {
                out.truncated = true;
                break;
            }
            let Some(dt) = dt_from_local_secs(l) else {
                continue;
            };
            let rid = start.with_local(dt);
            // a later instance of a RANGE=THISANDFUTURE override moves by the same wall-clock
            // offset and takes the override's length and data (RFC 5545 §3.8.4.4)
            let range = ranges.iter().rev().find(|r| r.0 < key);
            if let Some(&(rkey, new_su, rrule, ridx, rov)) = range {
                let delta = if master_is_date {
                    sconv.to_local(new_su) - rkey
                } else {
                    sconv.to_local(new_su) - sconv.to_local(rkey)
                };
                let (sl2, el2, su2, eu2) = place(l + delta, rrule, &sconv);
                let Some(dt2) = dt_from_local_secs(sl2) else {
                    continue;
                };
                if overlaps(su2, eu2, ws, we) {
                    let moved = rid.with_local(dt2);
                    push(
                        out,
                        &rov,
                        ridx,
                        rid.clone(),
                        &moved,
                        sl2,
                        el2,
                        su2,
                        eu2,
                        true,
                        opts,
                    );
                }
                continue;
            }
            if !overlaps(su, eu, ws, we) {
                continue;
            }
            push(
                out,
                master,
                *midx,
                rid.clone(),
                &rid,
                sl,
                el,
                su,
                eu,
                false,
                opts,
            );
        }
        merge_warnings(out, warnings);
        Ok(())
    }
}

fn merge_warnings(out: &mut Expansion, warnings: Vec<String>) {
    for w in warnings {
        add_warning(out, w);
    }
}

/// At most this many distinct warnings are kept (a broken file may repeat one per component).
const MAX_WARNINGS: usize = 100;

fn add_warning(out: &mut Expansion, w: String) {
    if out.warnings.len() < MAX_WARNINGS && !out.warnings.contains(&w) {
        out.warnings.push(w);
    }
}

fn static_conv(v: &CalDateTime, resolver: &Resolver<'_>, floating: &TimeZone) -> Conv<'static> {
    match v {
        CalDateTime::Utc(_) => Conv::Utc,
        CalDateTime::Zoned { tzid, .. } => match resolver.resolve(tzid) {
            Some(z) => Conv::Zone(z),
            None => Conv::Zone(std::rc::Rc::new(Zone::Iana(floating.clone()))),
        },
        _ => Conv::Zone(std::rc::Rc::new(Zone::Iana(floating.clone()))),
    }
}

fn overlaps(su: i64, eu: i64, ws: i64, we: i64) -> bool {
    if eu <= su {
        su >= ws && su < we
    } else {
        su < we && eu > ws
    }
}

#[allow(clippy::too_many_arguments)]
fn push(
    out: &mut Expansion,
    obj: &CalObject<'_>,
    idx: usize,
    rid: CalDateTime,
    start: &CalDateTime,
    sl: i64,
    el: i64,
    su: i64,
    eu: i64,
    is_override: bool,
    opts: &ExpandOptions,
) {
    if out.occurrences.len() >= opts.max_instances {
        out.truncated = true;
        return;
    }
    let (Some(sdt), Some(edt)) = (dt_from_local_secs(sl), dt_from_local_secs(el)) else {
        return;
    };
    out.occurrences.push(Occurrence {
        uid: obj.uid().map(|u| u.into_owned()),
        recurrence_id: rid,
        start: start.with_local(sdt),
        end: start.with_local(edt),
        start_utc: ts(su),
        end_utc: ts(eu),
        is_override,
        component_index: idx,
    });
}

#[cfg(test)]
mod tests;
