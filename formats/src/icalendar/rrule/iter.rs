//! The RRULE iterator (RFC 5545 §3.3.10): the wall-clock starts of one rule, in order, bounded
//! by a step budget. Parsing and writing a rule is in the parent module.

use jiff::civil::DateTime;

use super::{Frequency, RRule};
use crate::icalendar::civil::*;

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
                    by_day = vec![super::WeekdayNum {
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
