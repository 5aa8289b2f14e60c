//! Recurrence expansion: RFC 5545 §3.3.10 (RRULE), §3.8.5 (RDATE, EXDATE, RRULE) and §3.8.4.4
//! (RECURRENCE-ID overrides), in a time window.
//!
//! Candidates are generated as wall-clock times in the zone of DTSTART and only then turned into
//! instants, so a daily 09:00 meeting stays at 09:00 across DST changes. A wall-clock time in a
//! DST gap is read with the offset before the gap, one in an overlap as the first occurrence
//! (RFC 5545 §3.3.5).
//!
//! Cost is linear in the input and bounded by [`ExpandOptions`], whatever the rules say:
//! - the candidates of a period are never built as a set: a period holds its matching days (at
//!   most 366) and candidates are read by index from them and the BYHOUR × BYMINUTE × BYSECOND
//!   product, BYSETPOS included; duplicate BYxxx values are read once (bit sets);
//! - starts before the window are never kept: without COUNT whole periods are skipped by
//!   arithmetic; with COUNT they are counted, by arithmetic when every period has the same number
//!   of instances, else period by period; a rule no day can satisfy (BYMONTHDAY=30 with
//!   BYMONTH=2) stops at once;
//! - every step (a period, a day examined, a start produced) counts against
//!   [`ExpandOptions::max_iterations`] for the rule and [`ExpandOptions::max_total_iterations`]
//!   for the call; starts in the window against [`ExpandOptions::max_instances`] (with room for
//!   EXDATEs, for the whole series);
//! - warnings are deduplicated and capped (100, each a few hundred bytes).
//!
//! A budget that runs out gives [`Expansion::truncated`] with a [`TruncationReason`], never a
//! result that looks complete.
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

/// All bits of a BYHOUR / BYMINUTE / BYSECOND filter: no filter.
const ALL_TIMES: u64 = u64::MAX;

fn has_bit(set: &[u64], n: i64) -> bool {
    usize::try_from(n).is_ok_and(|n| {
        set.get(n / 64)
            .is_some_and(|word| word & (1u64 << (n % 64)) != 0)
    })
}

fn put_bit(set: &mut [u64], n: i64) {
    if let Ok(n) = usize::try_from(n)
        && let Some(word) = set.get_mut(n / 64)
    {
        *word |= 1u64 << (n % 64);
    }
}

/// The day-level BYxxx parts of a rule as bit sets: each test is one lookup, whatever the length
/// of the lists as written (duplicates included).
#[derive(Default)]
struct DayFilter {
    /// BYMONTH: bit m.
    months: u64,
    /// BYMONTHDAY: bit n for n, and in `month_days_neg` for -n.
    month_days: u64,
    month_days_neg: u64,
    /// BYYEARDAY, likewise (1..=366).
    year_days: [u64; 6],
    year_days_neg: [u64; 6],
    /// BYWEEKNO, likewise (1..=53).
    week_nos: u64,
    week_nos_neg: u64,
    /// BYDAY without an ordinal: bit 0 = Monday.
    plain: u64,
    /// BYDAY with an ordinal, per weekday: bit n for n, and in `nth_neg` for -n.
    nth: [u64; 7],
    nth_neg: [u64; 7],
    any_nth: bool,
    wkst: i64,
}

impl DayFilter {
    fn is_empty(&self) -> bool {
        self.months == 0 && self.only_weekdays() && self.plain == 0
    }

    /// True when nothing but plain BYDAY weekdays (if any) filters days.
    fn only_weekdays(&self) -> bool {
        self.months == 0
            && self.month_days == 0
            && self.month_days_neg == 0
            && self.year_days == [0; 6]
            && self.year_days_neg == [0; 6]
            && self.week_nos == 0
            && self.week_nos_neg == 0
            && !self.any_nth
    }

    fn month_ok(&self, m: i64) -> bool {
        self.months == 0 || has_bit(&[self.months], m)
    }

    fn matches(&self, days: i64, ctx_month: bool) -> bool {
        let (y, m, d) = civil_from_days(days);
        if !self.month_ok(m) {
            return false;
        }
        let dim = days_in_month(y, m);
        if (self.month_days | self.month_days_neg) != 0
            && !has_bit(&[self.month_days], d)
            && !has_bit(&[self.month_days_neg], dim - d + 1)
        {
            return false;
        }
        let doy = days - days_from_civil(y, 1, 1) + 1;
        let diy = days_in_year(y);
        if (self.year_days != [0; 6] || self.year_days_neg != [0; 6])
            && !has_bit(&self.year_days, doy)
            && !has_bit(&self.year_days_neg, diy - doy + 1)
        {
            return false;
        }
        if (self.week_nos | self.week_nos_neg) != 0 {
            let (wn, nweeks) = self.week_no(days);
            if !has_bit(&[self.week_nos], wn) && !has_bit(&[self.week_nos_neg], nweeks - wn + 1) {
                return false;
            }
        }
        if self.plain != 0 || self.any_nth {
            let wd = weekday_of(days);
            if !has_bit(&[self.plain], wd) {
                if !self.any_nth {
                    return false;
                }
                let (pos, len) = if ctx_month { (d, dim) } else { (doy, diy) };
                let idx = usize::try_from(wd).unwrap_or(0);
                let from_start = (pos - 1) / 7 + 1;
                let from_end = (len - pos) / 7 + 1;
                let pos_ok = self
                    .nth
                    .get(idx)
                    .is_some_and(|w| has_bit(&[*w], from_start));
                let neg_ok = self
                    .nth_neg
                    .get(idx)
                    .is_some_and(|w| has_bit(&[*w], from_end));
                if !pos_ok && !neg_ok {
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
}

/// Sorted, deduplicated; a leap second (60) is read as 59, as jiff reads `23:59:60`.
fn time_list(v: &[u8]) -> Vec<i64> {
    let mut v: Vec<i64> = v.iter().map(|&x| i64::from(x.min(59))).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn time_mask(v: &[u8]) -> u64 {
    if v.is_empty() {
        return ALL_TIMES;
    }
    let mut m = 0u64;
    for &x in v {
        put_bit(std::slice::from_mut(&mut m), i64::from(x.min(59)));
    }
    m
}

/// The most days in February, April... for a BYMONTH value.
fn max_days_in_month(m: i64) -> i64 {
    match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Generates the wall-clock times of one RRULE (without UNTIL, which needs the zone), in order,
/// starting with those at or after DTSTART. COUNT is applied.
///
/// The candidates of a period are never built as a set: a period holds the days that match
/// (at most 366) and the candidates are read by index from those days and the sorted
/// BYHOUR × BYMINUTE × BYSECOND product, so a YEARLY rule with full lists (31.6 million
/// candidates a year) costs what its days cost. BYSETPOS picks at most one candidate per
/// distinct BYSETPOS value, by index.
///
/// Work is counted in steps (a period, a day examined in it, an instance produced); past
/// `max_iterations` steps the iterator ends and sets `guard_hit`. [`RuleIter::seek`] skips the
/// periods before a time: without COUNT by arithmetic; with COUNT by arithmetic when every period
/// has the same number of instances, else by counting each period's instances without producing
/// them (one step per period and per day examined).
pub(crate) struct RuleIter {
    freq: Frequency,
    interval: i64,
    count: Option<u64>,
    start: i64,
    start_days: i64,
    start_y: i64,
    start_m: i64,
    wkst: i64,
    days: DayFilter,
    /// BYHOUR, BYMINUTE, BYSECOND where they filter (sub-daily frequencies); all bits otherwise.
    hour_mask: u64,
    minute_mask: u64,
    second_mask: u64,
    /// Offsets of a period's candidates from each base: the product of three sorted lists.
    tparts: [Vec<i64>; 3],
    ntimes: i64,
    /// Days per period when every period has the same number (see `seek`).
    const_days: Option<i64>,
    by_set_pos: Vec<i64>,
    /// index of the next period
    k: i64,
    /// the start (local seconds) of each matched day of the current period, or the period's
    /// own start for sub-daily frequencies
    bases: Vec<i64>,
    /// BYSETPOS picks of the current period
    picked: Vec<i64>,
    pos: i64,
    len: i64,
    emitted: u64,
    /// candidates before this are counted for COUNT but not produced
    floor: i64,
    steps: u64,
    budget: u64,
    horizon: i64,
    done: bool,
    /// true when stopped by the step budget
    pub(crate) guard_hit: bool,
}

impl RuleIter {
    pub(crate) fn new(rule: &RRule, dtstart: DateTime, max_iterations: usize) -> RuleIter {
        let start = local_secs(dtstart);
        let start_days = start.div_euclid(DAY);
        let (start_y, start_m, start_d) = civil_from_days(start_days);
        let mut by_month: Vec<i64> = rule.by_month.iter().map(|&m| i64::from(m)).collect();
        let mut by_month_day: Vec<i64> = rule.by_month_day.iter().map(|&m| i64::from(m)).collect();
        let mut by_day = rule.by_day.clone();
        let no_day_parts = rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty();
        if no_day_parts {
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
        let wkst = wd_index(rule.week_start);
        let mut days = DayFilter {
            wkst,
            ..DayFilter::default()
        };
        for &m in &by_month {
            put_bit(std::slice::from_mut(&mut days.months), m);
        }
        for &n in &by_month_day {
            match n {
                1.. => put_bit(std::slice::from_mut(&mut days.month_days), n),
                _ => put_bit(std::slice::from_mut(&mut days.month_days_neg), -n),
            }
        }
        for &n in &rule.by_year_day {
            let n = i64::from(n);
            match n {
                1.. => put_bit(&mut days.year_days, n),
                _ => put_bit(&mut days.year_days_neg, -n),
            }
        }
        for &n in &rule.by_week_no {
            let n = i64::from(n);
            match n {
                1.. => put_bit(std::slice::from_mut(&mut days.week_nos), n),
                _ => put_bit(std::slice::from_mut(&mut days.week_nos_neg), -n),
            }
        }
        let nth_allowed = matches!(rule.freq, Frequency::Monthly | Frequency::Yearly);
        for d in &by_day {
            let wd = wd_index(d.weekday);
            let idx = usize::try_from(wd).unwrap_or(0);
            match d.nth {
                Some(n) if nth_allowed => {
                    let n = i64::from(n);
                    days.any_nth = true;
                    let set = if n > 0 {
                        &mut days.nth
                    } else {
                        &mut days.nth_neg
                    };
                    if let Some(w) = set.get_mut(idx) {
                        put_bit(std::slice::from_mut(w), n.abs());
                    }
                }
                _ => put_bit(std::slice::from_mut(&mut days.plain), wd),
            }
        }
        // a rule no day can satisfy (BYMONTHDAY=30,31 with BYMONTH=2) produces nothing more
        let never = !by_month_day.is_empty() && {
            let months: Vec<i64> = if by_month.is_empty() {
                (1..=12).collect()
            } else {
                by_month.clone()
            };
            !months.iter().any(|&m| {
                by_month_day
                    .iter()
                    .any(|&n| n.abs() <= max_days_in_month(m))
            })
        };
        let sub_daily = rule.freq < Frequency::Daily;
        let mut hours = time_list(&rule.by_hour);
        let mut minutes = time_list(&rule.by_minute);
        let mut seconds = time_list(&rule.by_second);
        if hours.is_empty() && !sub_daily {
            hours = vec![i64::from(dtstart.hour())];
        }
        if minutes.is_empty() && rule.freq > Frequency::Minutely {
            minutes = vec![i64::from(dtstart.minute())];
        }
        if seconds.is_empty() && rule.freq > Frequency::Secondly {
            seconds = vec![i64::from(dtstart.second())];
        }
        let zero = || vec![0];
        let scale = |v: Vec<i64>, by: i64| v.into_iter().map(|x| x * by).collect::<Vec<_>>();
        let (tparts, hour_mask, minute_mask, second_mask) = match rule.freq {
            Frequency::Secondly => (
                [zero(), zero(), zero()],
                time_mask(&rule.by_hour),
                time_mask(&rule.by_minute),
                time_mask(&rule.by_second),
            ),
            Frequency::Minutely => (
                [zero(), zero(), seconds],
                time_mask(&rule.by_hour),
                time_mask(&rule.by_minute),
                ALL_TIMES,
            ),
            Frequency::Hourly => (
                [zero(), scale(minutes, 60), seconds],
                time_mask(&rule.by_hour),
                ALL_TIMES,
                ALL_TIMES,
            ),
            _ => (
                [scale(hours, 3600), scale(minutes, 60), seconds],
                ALL_TIMES,
                ALL_TIMES,
                ALL_TIMES,
            ),
        };
        let ntimes = tparts.iter().map(|p| p.len() as i64).product::<i64>();
        let const_days = match rule.freq {
            Frequency::Secondly | Frequency::Minutely | Frequency::Hourly | Frequency::Daily => {
                days.is_empty().then_some(1)
            }
            Frequency::Weekly => days.only_weekdays().then(|| match days.plain.count_ones() {
                0 => 7,
                n => i64::from(n),
            }),
            Frequency::Monthly => {
                (no_day_parts && rule.by_month.is_empty() && start_d <= 28).then_some(1)
            }
            Frequency::Yearly => {
                (no_day_parts && start_d <= 28).then(|| i64::from(days.months.count_ones()))
            }
        };
        let mut by_set_pos: Vec<i64> = rule.by_set_pos.iter().map(|&m| i64::from(m)).collect();
        by_set_pos.sort_unstable();
        by_set_pos.dedup();
        RuleIter {
            freq: rule.freq,
            interval: i64::from(rule.interval.max(1)),
            count: rule.count.map(u64::from),
            start,
            start_days,
            start_y,
            start_m,
            wkst,
            days,
            hour_mask,
            minute_mask,
            second_mask,
            tparts,
            ntimes,
            const_days,
            by_set_pos,
            k: 0,
            bases: Vec::new(),
            picked: Vec::new(),
            pos: 0,
            len: 0,
            emitted: 0,
            floor: start,
            steps: 0,
            budget: u64::try_from(max_iterations).unwrap_or(u64::MAX),
            horizon: MAX_LOCAL,
            done: rule.count == Some(0) || never,
            guard_hit: false,
        }
    }

    /// Steps taken so far (periods, days examined, instances produced).
    pub(crate) fn steps(&self) -> u64 {
        self.steps
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

    /// Produces only instances at or after `local`; the earlier ones still count for COUNT.
    /// Periods that end before `local` are skipped by arithmetic where the number of instances
    /// per period is known (always without COUNT); otherwise [`Iterator::next`] counts them one
    /// period at a time, within the step budget.
    pub(crate) fn seek(&mut self, local: i64) {
        self.floor = self.floor.max(local);
        if local <= self.start || self.done {
            return;
        }
        // every period before `target` ends before `local` (one period to spare)
        let target = match self.freq {
            Frequency::Yearly => {
                let (y, _, _) = civil_from_days(local.div_euclid(DAY));
                (y - self.start_y) / self.interval - 1
            }
            Frequency::Monthly => {
                let (y, m, _) = civil_from_days(local.div_euclid(DAY));
                ((y * 12 + m) - (self.start_y * 12 + self.start_m)) / self.interval - 1
            }
            _ => {
                (local - self.period_anchor()) / self.step_secs().saturating_mul(self.interval) - 1
            }
        };
        if target <= self.k {
            return;
        }
        let Some(count) = self.count else {
            self.k = target;
            self.pos = self.len;
            return;
        };
        let Some(per_period) = self.instances_per_period() else {
            return;
        };
        if self.k == 0 {
            // the first period may hold candidates before DTSTART, which do not count
            if !self.fill_period() {
                self.done = true;
                return;
            }
            let first = self.first_at_or_after(0, self.start);
            self.emitted = self
                .emitted
                .saturating_add(u64::try_from(self.len - first).unwrap_or(0));
            self.pos = self.len;
        }
        let jump = u64::try_from(target - self.k).unwrap_or(0);
        self.emitted = self.emitted.saturating_add(jump.saturating_mul(per_period));
        self.k = self.k.max(target);
        if self.emitted >= count {
            self.done = true;
        }
    }

    /// The number of instances in each period after the first, when it is the same for all.
    fn instances_per_period(&self) -> Option<u64> {
        let time_filters = self.hour_mask != ALL_TIMES
            || self.minute_mask != ALL_TIMES
            || self.second_mask != ALL_TIMES;
        if time_filters {
            return None;
        }
        let n = self.const_days?.saturating_mul(self.ntimes);
        if self.by_set_pos.is_empty() {
            return u64::try_from(n).ok();
        }
        let mut idx: Vec<i64> = self
            .by_set_pos
            .iter()
            .map(|&p| if p > 0 { p - 1 } else { n + p })
            .filter(|i| (0..n).contains(i))
            .collect();
        idx.sort_unstable();
        idx.dedup();
        u64::try_from(idx.len()).ok()
    }

    /// Candidate `i` of the current period, before BYSETPOS.
    fn raw(&self, i: i64) -> i64 {
        let nt = self.ntimes.max(1);
        let base = usize::try_from(i / nt)
            .ok()
            .and_then(|d| self.bases.get(d))
            .copied()
            .unwrap_or(0);
        let j = i % nt;
        let [p0, p1, p2] = &self.tparts;
        let (n1, n2) = (p1.len().max(1) as i64, p2.len().max(1) as i64);
        let part = |p: &Vec<i64>, x: i64| {
            usize::try_from(x)
                .ok()
                .and_then(|x| p.get(x))
                .copied()
                .unwrap_or(0)
        };
        base + part(p0, j / (n1 * n2)) + part(p1, (j / n2) % n1) + part(p2, j % n2)
    }

    /// Candidate `i` of the current period.
    fn cand(&self, i: i64) -> i64 {
        if self.by_set_pos.is_empty() {
            self.raw(i)
        } else {
            usize::try_from(i)
                .ok()
                .and_then(|i| self.picked.get(i))
                .copied()
                .unwrap_or(i64::MAX)
        }
    }

    /// The first index at or after `from` whose candidate is at or after `t` (candidates rise
    /// with their index).
    fn first_at_or_after(&self, from: i64, t: i64) -> i64 {
        let (mut lo, mut hi) = (from, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.cand(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Makes the next period current; false when out of range.
    fn fill_period(&mut self) -> bool {
        let k = self.k;
        self.k = self.k.saturating_add(1);
        self.steps = self.steps.saturating_add(1);
        self.bases.clear();
        self.picked.clear();
        self.pos = 0;
        self.len = 0;
        let iv = self.interval;
        match self.freq {
            Frequency::Yearly | Frequency::Monthly => {
                let (y, months, ctx_month) = if self.freq == Frequency::Yearly {
                    let y = self.start_y.saturating_add(k.saturating_mul(iv));
                    (y, 1..=12, self.days.months != 0)
                } else {
                    let mi = (self.start_y * 12 + (self.start_m - 1))
                        .saturating_add(k.saturating_mul(iv));
                    let m = mi.rem_euclid(12) + 1;
                    (mi.div_euclid(12), m..=m, true)
                };
                let first_month = *months.start();
                if y > 9999 || days_from_civil(y, first_month, 1) * DAY > self.horizon {
                    return false;
                }
                for m in months {
                    if !self.days.month_ok(m) {
                        continue;
                    }
                    let first = days_from_civil(y, m, 1);
                    for day in first..first + days_in_month(y, m) {
                        self.steps = self.steps.saturating_add(1);
                        if self.days.matches(day, ctx_month) {
                            self.bases.push(day * DAY);
                        }
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
                for day in base..base + per {
                    self.steps = self.steps.saturating_add(1);
                    if self.days.matches(day, false) {
                        self.bases.push(day * DAY);
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
                let day_ok = self.days.is_empty() || self.days.matches(day, false);
                let hour_ok = has_bit(&[self.hour_mask], sod / 3600);
                let min_ok = has_bit(&[self.minute_mask], (sod % 3600) / 60);
                let sec_ok = has_bit(&[self.second_mask], sod % 60);
                if day_ok && hour_ok && min_ok && sec_ok {
                    self.bases.push(t);
                } else {
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
                }
            }
        }
        self.len = (self.bases.len() as i64).saturating_mul(self.ntimes);
        if !self.by_set_pos.is_empty() && self.len > 0 {
            let n = self.len;
            let mut picked = std::mem::take(&mut self.picked);
            picked.extend(
                self.by_set_pos
                    .iter()
                    .map(|&p| if p > 0 { p - 1 } else { n + p })
                    .filter(|i| (0..n).contains(i))
                    .map(|i| self.raw(i)),
            );
            picked.sort_unstable();
            picked.dedup();
            self.len = picked.len() as i64;
            self.picked = picked;
        }
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
            if self.steps >= self.budget {
                self.guard_hit = true;
                self.done = true;
                return None;
            }
            if self.pos < self.len {
                let c = self.cand(self.pos);
                if c < self.start {
                    // before DTSTART (first period only): not an instance, not counted
                    self.pos = self.first_at_or_after(self.pos, self.start);
                    continue;
                }
                if c < self.floor {
                    // before the window: counted for COUNT, not produced
                    let next = self.first_at_or_after(self.pos, self.floor);
                    let skipped = u64::try_from(next - self.pos).unwrap_or(0);
                    self.emitted = self.emitted.saturating_add(skipped);
                    self.pos = next;
                    if self.count.is_some_and(|n| self.emitted >= n) {
                        self.done = true;
                    }
                    continue;
                }
                self.pos += 1;
                self.emitted = self.emitted.saturating_add(1);
                self.steps = self.steps.saturating_add(1);
                if self.count.is_some_and(|n| self.emitted >= n) {
                    self.done = true;
                }
                return Some(c);
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

/// The default of [`ExpandOptions::max_instances`] and
/// [`Limits::max_instances`](crate::Limits::max_instances).
pub const MAX_INSTANCES: usize = 10_000;

/// The default of [`ExpandOptions::max_iterations`] and
/// [`Limits::max_iterations`](crate::Limits::max_iterations).
pub const MAX_ITERATIONS: usize = 1_000_000;

/// The default of [`ExpandOptions::max_total_iterations`] and
/// [`Limits::max_total_iterations`](crate::Limits::max_total_iterations).
pub const MAX_TOTAL_ITERATIONS: usize = 10_000_000;

/// Options for [`Calendar::expand`]. [`Limits::expand_options`](crate::Limits::expand_options)
/// makes them from a client's configured budgets.
///
/// The budgets bound the work of one call whatever the input: memory stays proportional to the
/// input plus `max_instances`, and time to the input plus `max_total_iterations`. A budget that
/// runs out never gives a result that looks complete: [`Expansion::truncated`] is set and
/// [`Expansion::truncation`] says which one.
#[derive(Clone, Debug)]
pub struct ExpandOptions {
    /// Stop after this many occurrences in the window. Default 10,000. Reported as
    /// [`TruncationReason::MaxInstances`]; each series also stops generating after
    /// `4 * max_instances + 1000` starts in the window (EXDATEs and overrides may drop some).
    pub max_instances: usize,
    /// Stop one RRULE after this many steps: a step is one period (year, month, week, day,
    /// hour...) generated, one day examined in it, or one start produced. Starts before the
    /// window count, so a `COUNT` rule that must be walked from a DTSTART long before the window,
    /// or a rule that never matches, stops here. Default 1,000,000 (a few milliseconds).
    /// Reported as [`TruncationReason::RuleIterations`]; the other series are still expanded.
    pub max_iterations: usize,
    /// Stop the whole expansion after this many steps over all rules (many events whose rules
    /// never match). Default 10,000,000. Reported as [`TruncationReason::TotalIterations`].
    pub max_total_iterations: usize,
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
            max_instances: MAX_INSTANCES,
            max_iterations: MAX_ITERATIONS,
            max_total_iterations: MAX_TOTAL_ITERATIONS,
            floating_tz: TimeZone::UTC,
            tz_policy: TzPolicy::default(),
            x_wr_timezone: true,
        }
    }
}

/// Which budget of [`ExpandOptions`] stopped an expansion early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TruncationReason {
    /// More occurrences in the window than [`ExpandOptions::max_instances`].
    MaxInstances,
    /// One RRULE took more than [`ExpandOptions::max_iterations`] steps; that series may lack
    /// occurrences, the others are complete.
    RuleIterations,
    /// All rules together took more than [`ExpandOptions::max_total_iterations`] steps; the
    /// series not reached by then are missing.
    TotalIterations,
}

impl TruncationReason {
    /// A stable name: `max-instances`, `rule-iterations` or `total-iterations`.
    pub fn as_str(self) -> &'static str {
        match self {
            TruncationReason::MaxInstances => "max-instances",
            TruncationReason::RuleIterations => "rule-iterations",
            TruncationReason::TotalIterations => "total-iterations",
        }
    }
}

impl fmt::Display for TruncationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// True when a budget of [`ExpandOptions`] stopped the expansion early: occurrences may be
    /// missing.
    pub truncated: bool,
    /// The first budget that stopped it (set whenever `truncated` is).
    pub truncation: Option<TruncationReason>,
    /// Components skipped, zones not found or cut, budgets hit, in plain words: at most
    /// 100 distinct ones, each at most a few hundred bytes.
    pub warnings: Vec<String>,
}

impl Expansion {
    fn truncate(&mut self, reason: TruncationReason) {
        self.truncated = true;
        self.truncation.get_or_insert(reason);
    }
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
            Some(z) => {
                if z.is_cut() {
                    warn(warnings, || {
                        format!(
                            "VTIMEZONE {:?} has more rules than davkit reads: its later offsets \
                             may be wrong",
                            clip(tzid)
                        )
                    });
                }
                Conv::Zone(z)
            }
            None => {
                warn(warnings, || {
                    format!("unknown TZID {:?}: read as floating time", clip(tzid))
                });
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

/// What one expansion has left of [`ExpandOptions::max_total_iterations`], and whether to stop.
struct Budget {
    remaining: u64,
    stop: bool,
}

impl Calendar {
    /// Expands every VEVENT/VTODO/VJOURNAL (with their overrides) into occurrences that overlap
    /// the window `[start, end)`. An occurrence with no duration counts when it starts in the window.
    ///
    /// The work is bounded by the budgets of [`ExpandOptions`]: when one runs out the result is
    /// [`Expansion::truncated`], with the reason in [`Expansion::truncation`].
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
        let mut budget = Budget {
            remaining: u64::try_from(opts.max_total_iterations).unwrap_or(u64::MAX),
            stop: false,
        };
        for key in &order {
            let Some(series) = groups.get(key) else {
                continue;
            };
            let mut warnings = std::mem::take(&mut out.warnings);
            let done = self.expand_series(
                series,
                (ws, we),
                opts,
                (&resolver, xwr.as_ref()),
                &mut budget,
                &mut out,
                &mut warnings,
            );
            if let Err(e) = done {
                warn(&mut warnings, || {
                    format!(
                        "UID {:?} skipped: {e}",
                        clip(
                            key.as_deref()
                                .and_then(|k| k.split_once('\u{0}'))
                                .map_or("", |k| k.1)
                        )
                    )
                });
            }
            out.warnings = warnings;
            if budget.stop || out.occurrences.len() >= opts.max_instances {
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

    #[allow(clippy::too_many_arguments)]
    fn expand_series(
        &self,
        series: &Series<'_>,
        (ws, we): (i64, i64),
        opts: &ExpandOptions,
        (resolver, xwr): (&Resolver<'_>, Option<&Xwr>),
        budget: &mut Budget,
        out: &mut Expansion,
        warnings: &mut Vec<String>,
    ) -> Result<(), ValueError> {
        let floating = &opts.floating_tz;
        let fix = |v: CalDateTime| xwr_fix(xwr, v);
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
                    excluded.insert(key_of(&x, warnings));
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
            let key = key_of(&rid, warnings);
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
            let sconv = conv_for(&start, resolver, floating, warnings);
            let econv = |v: &CalDateTime| static_conv(v, resolver, floating);
            let has_end = ov.dtend()?.is_some() || ov.duration()?.is_some() || ov.due()?.is_some();
            let rule = match (master, &master_start, has_end) {
                (Some((_, m)), Some(ms), false) => {
                    let mconv = conv_for(ms, resolver, floating, warnings);
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
            return Ok(());
        };
        let Some(start) = master_start else {
            emit_overrides(out, &|_| true);
            warn(warnings, || {
                format!(
                    "UID {:?}: no DTSTART, skipped",
                    clip(&master.uid().unwrap_or_default())
                )
            });
            return Ok(());
        };
        let sconv = conv_for(&start, resolver, floating, warnings);
        let econv = |v: &CalDateTime| static_conv(v, resolver, floating);
        let rule = end_rule(master, &start, &sconv, &econv, xwr)?;
        let (start, rule) = unswap(start, rule);
        let start_local = local_secs(start.local());
        // the longest an occurrence can last, to look back before the window
        let span = match rule {
            EndRule::Local(d) | EndRule::Exact(d) => d.max(0),
            EndRule::Nominal(days, secs) => days.saturating_mul(DAY).saturating_add(secs).max(0),
        };
        // wall-clock bounds; the margin covers a DST overlap or gap around the window edges
        let margin = 6 * 3600;
        let horizon_local = sconv.to_local(we).saturating_add(margin);
        let from_local = sconv
            .to_local(ws)
            .saturating_sub(span)
            .saturating_sub(margin);
        // a RANGE=THISANDFUTURE override moves later instances: those it moves into the window
        // are generated too
        let (mut gen_from, mut gen_to) = (from_local, horizon_local);
        for &(rkey, new_su, ..) in &ranges {
            let delta = range_delta(rkey, new_su, master_is_date, &sconv);
            gen_from = gen_from.min(from_local.saturating_sub(delta));
            gen_to = gen_to.max(horizon_local.saturating_sub(delta));
        }

        // RRULEs: an empty value is ignored, an unreadable one is skipped with a warning
        let mut rules = Vec::new();
        for p in master.component().properties_named("RRULE") {
            if p.raw_value().trim().is_empty() {
                continue;
            }
            match super::rrule::RRule::parse(p.raw_value()) {
                Ok(r) => rules.push(r),
                Err(e) => warn(warnings, || format!("RRULE ignored: {e}")),
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
        // DTSTART is the first instance, unless every rule ends before it. Starts before
        // `gen_from` cannot reach the window and are not kept.
        let mut starts: Vec<i64> = Vec::new();
        let all_end_before = !rules.is_empty()
            && rules
                .iter()
                .all(|r| until_local_of(r).is_some_and(|u| u < start_local));
        if !all_end_before {
            starts.push(start_local);
        }
        // starts in the window, over every rule of the series
        let cap = opts.max_instances.saturating_mul(4).saturating_add(1000);
        let mut produced = 0usize;
        for r in &rules {
            let until_local = until_local_of(r);
            if until_local.is_some_and(|u| u < gen_from) {
                // ends before anything it makes could reach the window
                continue;
            }
            if budget.remaining == 0 {
                out.truncate(TruncationReason::TotalIterations);
                budget.stop = true;
                warn(warnings, || {
                    "the expansion ran out of its total iteration budget".to_owned()
                });
                break;
            }
            let until_utc = match (&r.until, &start) {
                (Some(CalDateTime::Utc(dt)), s)
                    if !s.is_date() && !matches!(s, CalDateTime::Floating(_)) =>
                {
                    Some(local_secs(*dt))
                }
                _ => None,
            };
            let rule_budget = u64::try_from(opts.max_iterations).unwrap_or(u64::MAX);
            let limited_by_total = budget.remaining < rule_budget;
            let mut it = RuleIter::new(
                r,
                start.local(),
                usize::try_from(rule_budget.min(budget.remaining)).unwrap_or(usize::MAX),
            );
            it.seek(gen_from);
            it.set_horizon(gen_to);
            let mut capped = false;
            for l in it.by_ref() {
                if l > gen_to {
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
                produced += 1;
                if produced > cap {
                    capped = true;
                    break;
                }
            }
            budget.remaining = budget.remaining.saturating_sub(it.steps());
            if it.guard_hit {
                let reason = if limited_by_total {
                    budget.stop = true;
                    TruncationReason::TotalIterations
                } else {
                    TruncationReason::RuleIterations
                };
                out.truncate(reason);
                warn(warnings, || {
                    format!(
                        "UID {:?}: RRULE {} stopped by the iteration budget ({reason})",
                        clip(&master.uid().unwrap_or_default()),
                        clip(&r.to_string())
                    )
                });
            }
            if capped {
                out.truncate(TruncationReason::MaxInstances);
                break;
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
                        warn(warnings, || format!("RDATE ignored: {e}"));
                        continue;
                    }
                };
                let rconv = conv_for(&rd, resolver, floating, warnings);
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
                        let eu = conv_for(&e, resolver, floating, warnings)
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
                warn(warnings, || {
                    format!("RECURRENCE-ID {rid} names no occurrence of the series: ignored")
                });
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
                out.truncate(TruncationReason::MaxInstances);
                break;
            }
            let Some(dt) = dt_from_local_secs(l) else {
                continue;
            };
            let rid = start.with_local(dt);
            // a later instance of a RANGE=THISANDFUTURE override moves by the same wall-clock
            // offset and takes the override's length and data (RFC 5545 §3.8.4.4): the last
            // override before this instance, found by binary search
            let after = ranges.partition_point(|r| r.0 < key);
            let range = after.checked_sub(1).and_then(|i| ranges.get(i));
            if let Some(&(rkey, new_su, rrule, ridx, rov)) = range {
                let delta = range_delta(rkey, new_su, master_is_date, &sconv);
                let (sl2, el2, su2, eu2) = place(l.saturating_add(delta), rrule, &sconv);
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
        Ok(())
    }
}

/// The wall-clock offset by which a RANGE=THISANDFUTURE override (named by `rkey`, now starting
/// at the instant `new_su`) moves the later instances.
fn range_delta(rkey: i64, new_su: i64, master_is_date: bool, sconv: &Conv<'_>) -> i64 {
    if master_is_date {
        sconv.to_local(new_su).saturating_sub(rkey)
    } else {
        sconv.to_local(new_su).saturating_sub(sconv.to_local(rkey))
    }
}

/// At most this many distinct warnings are kept (a broken file may repeat one per component).
const MAX_WARNINGS: usize = 100;

/// A longer warning is cut (a TZID or a UID can be as long as the input).
const MAX_WARNING_LEN: usize = 300;

/// The part of an input value (TZID, UID, rule) a warning quotes: at most 100 bytes.
fn clip(s: &str) -> String {
    const MAX: usize = 100;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut cut = MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", s.get(..cut).unwrap_or_default())
}

/// Adds a warning unless it is already there or the list is full; `w` is only formatted when it
/// may be kept, so a warning repeated for every input line costs a bounded comparison.
fn warn(warnings: &mut Vec<String>, w: impl FnOnce() -> String) {
    if warnings.len() >= MAX_WARNINGS {
        return;
    }
    let mut w = w();
    if w.len() > MAX_WARNING_LEN {
        let mut cut = MAX_WARNING_LEN;
        while !w.is_char_boundary(cut) {
            cut -= 1;
        }
        w.truncate(cut);
        w.push('…');
    }
    if !warnings.contains(&w) {
        warnings.push(w);
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
        out.truncate(TruncationReason::MaxInstances);
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
mod budget_tests;
#[cfg(test)]
mod tests;
