//! Recurrence expansion: RFC 5545 §3.3.10 (RRULE), §3.8.5 (RDATE, EXDATE, RRULE) and §3.8.4.4
//! (RECURRENCE-ID overrides), in a time window. The starts of one rule come from the RRULE
//! iterator (`rrule::iter`); `place` turns wall-clock starts into instants and ends; `options`
//! holds what a caller passes and gets back.
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

mod options;
mod place;

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Time};

pub use options::{
    ExpandError, ExpandOptions, Expansion, MAX_INSTANCES, MAX_ITERATIONS, MAX_TOTAL_ITERATIONS,
    Occurrence, TruncationReason,
};
use place::*;
pub(crate) use place::{add_duration_local, same_instant, utc_secs};

use super::civil::*;
use super::rrule::RuleIter;
use super::tz::Resolver;
use super::value::{CalDateTime, Duration, ValueError};
use super::{CalObject, Calendar};
use crate::quoted::Quoted;

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
        // one map type (String -> index) serves every keyed lookup of this module
        let mut series_list: Vec<(String, Series<'_>)> = Vec::new();
        let mut groups: BTreeMap<String, usize> = BTreeMap::new();
        for (idx, comp) in self.component().components().iter().enumerate() {
            let obj = CalObject::new(comp);
            if !obj.kind().is_recurring_kind() {
                continue;
            }
            let uid = obj.uid().map(|u| u.into_owned());
            // components without UID never group together; a VEVENT and a VTODO sharing a UID
            // are separate series
            let key = match &uid {
                None => format!("\u{0}#{idx}"),
                Some(u) => format!("{:?}\u{0}{u}", obj.kind()),
            };
            let at = *groups.entry(key.clone()).or_insert_with(|| {
                series_list.push((
                    key,
                    Series {
                        master: None,
                        overrides: Vec::new(),
                    },
                ));
                series_list.len() - 1
            });
            let entry = &mut series_list[at].1;
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
        for (key, series) in &series_list {
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
                        "UID {} skipped: {e}",
                        Quoted(&clip(key.split_once('\u{0}').map_or("", |k| k.1)))
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
        let mut excluded = Vec::new();
        let mut ex_dates = Vec::new();
        if let Some((_, m)) = master {
            for x in m.exdates()?.into_iter().map(fix) {
                if x.is_date() && !master_is_date {
                    ex_dates.push(day_key(x.date()));
                } else {
                    excluded.push(key_of(&x, warnings));
                }
            }
        }
        let (excluded, ex_dates) = (Keys::of(excluded), Keys::of(ex_dates));

        // overrides: one per RECURRENCE-ID (the highest SEQUENCE wins); an EXDATE cancels it
        // in order of first appearance, indexed by key
        let mut chosen: Vec<(i64, usize, CalObject<'_>)> = Vec::new();
        let mut chosen_at: BTreeMap<i64, usize> = BTreeMap::new();
        for (idx, ov) in &series.overrides {
            let Some(rid) = ov.recurrence_id()?.map(fix) else {
                continue;
            };
            let key = key_of(&rid, warnings);
            if excluded.contains(key) || ex_dates.contains(day_key(rid.date())) {
                continue;
            }
            match chosen_at.get(&key).and_then(|&at| chosen.get_mut(at)) {
                Some((_, _, prev)) if prev.sequence().unwrap_or(0) > ov.sequence().unwrap_or(0) => {
                }
                Some(slot) => *slot = (key, *idx, *ov),
                None => {
                    chosen_at.insert(key, chosen.len());
                    chosen.push((key, *idx, *ov));
                }
            }
        }
        let replaced = Keys::of(chosen.iter().map(|c| c.0).collect());
        let mut placed_overrides = Vec::new();
        // RANGE=THISANDFUTURE overrides: (key, new start instant, end rule, index, component)
        let mut ranges: Vec<(i64, i64, EndRule, usize, CalObject<'_>)> = Vec::new();
        for (key, idx, ov) in &chosen {
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
                    "UID {}: no DTSTART, skipped",
                    Quoted(&clip(&master.uid().unwrap_or_default()))
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
                        "UID {}: RRULE {} stopped by the iteration budget ({reason})",
                        Quoted(&clip(&master.uid().unwrap_or_default())),
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
        // the last PERIOD end given for a start wins
        let mut period_ends: Vec<EndRule> = Vec::new();
        let mut period_at: BTreeMap<i64, usize> = BTreeMap::new();
        let mut set_end = |l: i64, rule: EndRule| match period_at.get(&l) {
            Some(&at) => period_ends[at] = rule,
            None => {
                period_at.insert(l, period_ends.len());
                period_ends.push(rule);
            }
        };
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
                        set_end(l, EndRule::Nominal(d.nominal_days(), d.exact_seconds()));
                    } else if let Ok(e) = CalDateTime::parse(second, tzid.as_deref()).map(fix) {
                        let eu = conv_for(&e, resolver, floating, warnings)
                            .to_utc(local_secs(e.local()));
                        set_end(l, EndRule::Exact(eu - su));
                    }
                }
                starts.push(l);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let key_of_local = |l: i64| {
            if master_is_date {
                l - l.rem_euclid(DAY)
            } else {
                sconv.to_utc(l)
            }
        };
        let generated = Keys::of(starts.iter().map(|&l| key_of_local(l)).collect());
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
        let orphan = |key: i64| covered(key) && !generated.contains(key);
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
            let this_rule = period_at
                .get(&l)
                .and_then(|&at| period_ends.get(at))
                .copied()
                .unwrap_or(rule);
            let (sl, el, su, eu) = place(l, this_rule, &sconv);
            let key = key_of_local(l);
            if excluded.contains(key) || replaced.contains(key) {
                continue;
            }
            if !ex_dates.is_empty()
                && dt_from_local_secs(l).is_some_and(|dt| ex_dates.contains(day_key(dt.date())))
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

/// A set of instants or days, as a list sorted once it is filled: a set type would be its own
/// copy of hash or tree code in the WebAssembly module, where sorting `i64`s is there already.
struct Keys(Vec<i64>);

impl Keys {
    fn of(mut keys: Vec<i64>) -> Keys {
        keys.sort_unstable();
        keys.dedup();
        Keys(keys)
    }

    fn contains(&self, key: i64) -> bool {
        self.0.binary_search(&key).is_ok()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A day as one number, in the days' order.
fn day_key(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod tests;
