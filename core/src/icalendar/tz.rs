//! Time zone resolution for TZID values: RFC 5545 §3.6.5 (VTIMEZONE) and §3.3.5 (DST gaps and
//! overlaps), with the IANA database bundled in jiff as the other source.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use jiff::tz::TimeZone;

use super::recur::{RuleIter, dt_from_local_secs, local_secs};
use super::rrule::RRule;
use super::value::CalDateTime;
use crate::contentline::Component;

/// Which source wins when a TZID names an IANA zone and the object also carries a VTIMEZONE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TzPolicy {
    /// Use the IANA database when the TZID is (or ends with) an IANA name, else the VTIMEZONE.
    /// This is what most clients do: embedded VTIMEZONEs often carry only today's rules.
    #[default]
    PreferIana,
    /// Use the object's VTIMEZONE when there is one, else the IANA database.
    PreferVtimezone,
}

/// A resolved zone: local wall-clock seconds <-> UTC seconds.
#[derive(Debug)]
pub(crate) enum Zone {
    Iana(TimeZone),
    Custom(CustomZone),
}

#[derive(Debug)]
pub(crate) struct CustomZone {
    /// (utc seconds of the transition, offset before, offset after), sorted.
    transitions: Vec<(i64, i32, i32)>,
    initial: i32,
}

impl Zone {
    /// Local -> UTC seconds; a gap uses the offset before the transition and an overlap takes
    /// the first occurrence (RFC 5545 §3.3.5).
    pub(crate) fn local_to_utc(&self, local: i64) -> i64 {
        match self {
            Zone::Iana(tz) => dt_from_local_secs(local)
                .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
                .map_or(local, |ts| ts.as_second()),
            Zone::Custom(c) => c.local_to_utc(local),
        }
    }

    pub(crate) fn utc_to_local(&self, utc: i64) -> i64 {
        match self {
            Zone::Iana(tz) => jiff::Timestamp::from_second(utc)
                .map(|ts| i64::from(tz.to_offset(ts).seconds()) + utc)
                .unwrap_or(utc),
            Zone::Custom(c) => utc + i64::from(c.offset_at(utc)),
        }
    }
}

impl CustomZone {
    fn offset_at(&self, utc: i64) -> i32 {
        let k = self.transitions.partition_point(|t| t.0 <= utc);
        match k.checked_sub(1).and_then(|i| self.transitions.get(i)) {
            Some(t) => t.2,
            None => self.initial,
        }
    }

    fn local_to_utc(&self, local: i64) -> i64 {
        let k = self
            .transitions
            .partition_point(|t| t.0 + i64::from(t.1.max(t.2)) <= local);
        if let Some(t) = self.transitions.get(k)
            && t.0 + i64::from(t.1.min(t.2)) <= local
        {
            return local - i64::from(t.1);
        }
        let off = match k.checked_sub(1).and_then(|i| self.transitions.get(i)) {
            Some(t) => t.2,
            None => self.initial,
        };
        local - i64::from(off)
    }

    /// Builds the transition table from STANDARD/DAYLIGHT observances, up to `until_year`.
    fn from_vtimezone(comp: &Component, until_year: i16) -> Option<CustomZone> {
        let mut transitions = Vec::new();
        let mut earliest: Option<(i64, i32)> = None;
        let horizon = dt_from_local_secs(0)
            .and_then(|_| jiff::civil::Date::new(until_year, 1, 1).ok())
            .map(|d| local_secs(d.to_datetime(jiff::civil::Time::midnight())))
            .unwrap_or(i64::MAX);
        for obs in comp
            .components()
            .iter()
            .filter(|c| c.is("STANDARD") || c.is("DAYLIGHT"))
        {
            let Some(start) = obs
                .property("DTSTART")
                .and_then(|p| CalDateTime::from_property(p).ok())
            else {
                continue;
            };
            let Some(from) = obs
                .property("TZOFFSETFROM")
                .and_then(|p| parse_offset(p.raw_value()))
            else {
                continue;
            };
            let Some(to) = obs
                .property("TZOFFSETTO")
                .and_then(|p| parse_offset(p.raw_value()))
            else {
                continue;
            };
            let start_local = local_secs(start.local());
            if earliest.is_none_or(|(s, _)| start_local < s) {
                earliest = Some((start_local, from));
            }
            let mut onsets = vec![start_local];
            for p in obs.properties_named("RRULE") {
                let Ok(rule) = RRule::parse(p.raw_value()) else {
                    continue;
                };
                let until = rule.until.as_ref().map(|u| match u {
                    CalDateTime::Utc(dt) => local_secs(*dt) + i64::from(from),
                    other => local_secs(other.local()),
                });
                let mut it = RuleIter::new(&rule, start.local(), 100_000);
                it.set_horizon(horizon);
                for _ in 0..2000 {
                    let Some(l) = it.next() else { break };
                    if l > horizon || until.is_some_and(|u| l > u) {
                        break;
                    }
                    onsets.push(l);
                }
            }
            for p in obs.properties_named("RDATE") {
                if let Ok(list) = CalDateTime::list_from_property(p) {
                    onsets.extend(list.iter().map(|d| match d {
                        CalDateTime::Utc(dt) => local_secs(*dt) + i64::from(from),
                        other => local_secs(other.local()),
                    }));
                }
            }
            transitions.extend(onsets.into_iter().map(|l| (l - i64::from(from), from, to)));
            if transitions.len() > MAX_TRANSITIONS {
                // a real zone has a few hundred; more is an attack or a broken file
                break;
            }
        }
        let (_, initial) = earliest?;
        transitions.sort_unstable();
        transitions.dedup_by_key(|t| t.0);
        Some(CustomZone {
            transitions,
            initial,
        })
    }
}

/// Upper bound on the transitions built from one VTIMEZONE.
const MAX_TRANSITIONS: usize = 20_000;

/// Parses `+HHMM`, `-HHMM` or `+HHMMSS` into seconds.
pub(crate) fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => (1, s),
    };
    if !(rest.len() == 4 || rest.len() == 6) || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = rest.get(0..2)?.parse().ok()?;
    let m: i32 = rest.get(2..4)?.parse().ok()?;
    let sec: i32 = if rest.len() == 6 {
        rest.get(4..6)?.parse().ok()?
    } else {
        0
    };
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + sec))
}

/// Common Windows zone names seen in Outlook/Exchange TZIDs, mapped to IANA names.
const WINDOWS: &[(&str, &str)] = &[
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("GMT Standard Time", "Europe/London"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("China Standard Time", "Asia/Shanghai"),
    ("India Standard Time", "Asia/Kolkata"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("UTC", "UTC"),
];

/// Finds an IANA zone for a TZID: the name itself, a suffix after a `/`-separated prefix
/// (`/mozilla.org/20050126_1/Europe/Berlin`), or a known Windows name.
pub(crate) fn iana_for(tzid: &str) -> Option<TimeZone> {
    let t = tzid.trim().trim_matches('"');
    if let Ok(z) = TimeZone::get(t) {
        return Some(z);
    }
    let mut rest = t;
    while let Some(i) = rest.find('/') {
        rest = rest.get(i + 1..)?;
        if (rest.contains('/') || rest.eq_ignore_ascii_case("UTC"))
            && let Ok(z) = TimeZone::get(rest)
        {
            return Some(z);
        }
    }
    None
}

fn windows_for(tzid: &str) -> Option<TimeZone> {
    let t = tzid.trim();
    WINDOWS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(t))
        .and_then(|(_, iana)| TimeZone::get(iana).ok())
}

/// Resolves TZIDs of one VCALENDAR, caching each result.
pub(crate) struct Resolver<'a> {
    vtimezones: Vec<&'a Component>,
    policy: TzPolicy,
    cache: RefCell<HashMap<String, Option<Rc<Zone>>>>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Component, policy: TzPolicy) -> Resolver<'a> {
        Resolver {
            vtimezones: root
                .components()
                .iter()
                .filter(|c| c.is("VTIMEZONE"))
                .collect(),
            policy,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub(crate) fn empty(policy: TzPolicy) -> Resolver<'static> {
        Resolver {
            vtimezones: Vec::new(),
            policy,
            cache: RefCell::new(HashMap::new()),
        }
    }

    fn vtimezone(&self, tzid: &str) -> Option<Zone> {
        let comp = self.vtimezones.iter().find(|c| {
            c.property("TZID")
                .is_some_and(|p| p.raw_value().trim() == tzid.trim())
        })?;
        CustomZone::from_vtimezone(comp, 2200).map(Zone::Custom)
    }

    /// The zone for a TZID, or `None` when neither source knows it.
    pub(crate) fn resolve(&self, tzid: &str) -> Option<Rc<Zone>> {
        if let Some(z) = self.cache.borrow().get(tzid) {
            return z.clone();
        }
        let zone = match self.policy {
            TzPolicy::PreferIana => iana_for(tzid)
                .map(Zone::Iana)
                .or_else(|| self.vtimezone(tzid))
                .or_else(|| windows_for(tzid).map(Zone::Iana)),
            TzPolicy::PreferVtimezone => self
                .vtimezone(tzid)
                .or_else(|| iana_for(tzid).map(Zone::Iana))
                .or_else(|| windows_for(tzid).map(Zone::Iana)),
        }
        .map(Rc::new);
        self.cache
            .borrow_mut()
            .insert(tzid.to_owned(), zone.clone());
        zone
    }
}
