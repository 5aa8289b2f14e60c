//! Time zone resolution for TZID values: RFC 5545 §3.6.5 (VTIMEZONE) and §3.3.5 (DST gaps and
//! overlaps), with the IANA database bundled in jiff as the other source.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use jiff::tz::TimeZone;

use super::civil::{dt_from_local_secs, local_secs};
use super::rrule::{RRule, RuleIter};
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
    /// True when a bound stopped reading the rules (see [`CustomZone::from_vtimezone`]).
    cut: bool,
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

    /// True for a VTIMEZONE whose rules were not all read (a bound of
    /// [`CustomZone::from_vtimezone`]): offsets late in its range may be wrong.
    pub(crate) fn is_cut(&self) -> bool {
        matches!(self, Zone::Custom(c) if c.cut)
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
    ///
    /// Bounded whatever the VTIMEZONE holds: at most [`MAX_ONSETS_PER_RULE`] onsets per RRULE,
    /// [`MAX_TRANSITIONS`] transitions in all, and `budget` rule steps (see
    /// `RuleIter`), which the steps taken are taken from. A zone cut by one of these says so
    /// ([`Zone::is_cut`]).
    fn from_vtimezone(comp: &Component, until_year: i16, budget: &mut u64) -> Option<CustomZone> {
        let mut transitions = Vec::new();
        let mut earliest: Option<(i64, i32)> = None;
        let mut cut = false;
        let horizon = jiff::civil::Date::new(until_year, 1, 1)
            .map(|d| local_secs(d.to_datetime(jiff::civil::Time::midnight())))
            .unwrap_or(i64::MAX);
        'observances: for obs in comp
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
            let add = |l: i64, transitions: &mut Vec<(i64, i32, i32)>| {
                if transitions.len() >= MAX_TRANSITIONS {
                    return false;
                }
                transitions.push((l - i64::from(from), from, to));
                true
            };
            if !add(start_local, &mut transitions) {
                cut = true;
                break;
            }
            for p in obs.properties_named("RRULE") {
                let Ok(rule) = RRule::parse(p.raw_value()) else {
                    continue;
                };
                if *budget == 0 {
                    cut = true;
                    continue;
                }
                let until = rule.until.as_ref().map(|u| match u {
                    CalDateTime::Utc(dt) => local_secs(*dt) + i64::from(from),
                    other => local_secs(other.local()),
                });
                let mut it = RuleIter::new(
                    &rule,
                    start.local(),
                    usize::try_from(*budget).unwrap_or(usize::MAX),
                );
                it.set_horizon(horizon);
                let mut onsets = 0;
                for l in it.by_ref() {
                    if l > horizon || until.is_some_and(|u| l > u) {
                        break;
                    }
                    onsets += 1;
                    if onsets > MAX_ONSETS_PER_RULE || !add(l, &mut transitions) {
                        cut = true;
                        break;
                    }
                }
                cut |= it.guard_hit;
                *budget = budget.saturating_sub(it.steps());
                if transitions.len() >= MAX_TRANSITIONS {
                    break 'observances;
                }
            }
            for p in obs.properties_named("RDATE") {
                if let Ok(list) = CalDateTime::list_from_property(p) {
                    for d in list {
                        let l = match d {
                            CalDateTime::Utc(dt) => local_secs(dt) + i64::from(from),
                            other => local_secs(other.local()),
                        };
                        if !add(l, &mut transitions) {
                            cut = true;
                            break 'observances;
                        }
                    }
                }
            }
        }
        let (_, initial) = earliest?;
        transitions.sort_unstable();
        transitions.dedup_by_key(|t| t.0);
        Some(CustomZone {
            transitions,
            initial,
            cut,
        })
    }
}

/// Upper bound on the transitions built from one VTIMEZONE (a real zone has a few hundred; more
/// is an attack or a broken file).
const MAX_TRANSITIONS: usize = 20_000;

/// Upper bound on the onsets read from one RRULE of an observance (a yearly rule from 1601, the
/// DTSTART Outlook writes, to 2200 has 600).
const MAX_ONSETS_PER_RULE: usize = 2000;

/// Rule steps (see `RuleIter`) for one VTIMEZONE: a real zone, two yearly rules from 1601 to
/// 2200, takes about 40,000.
const ZONE_STEPS: u64 = 200_000;

/// Rule steps for all the VTIMEZONEs one [`Resolver`] builds (an object with thousands of
/// hostile zones): past it, zones are built from their DTSTARTs and RDATEs only, and cut.
const RESOLVER_STEPS: u64 = 2_000_000;

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

/// Where IANA zones come from when the bundled database is not compiled in (the npm package
/// builds its zones from the host's `Intl`): the zone of that name, or `None`.
pub type ZoneSource = fn(&str) -> Option<TimeZone>;

static ZONE_SOURCE: std::sync::OnceLock<ZoneSource> = std::sync::OnceLock::new();

/// Sets the process-wide [`ZoneSource`], asked for every IANA name that jiff's database does
/// not know (all of them in a build without the `bundled-tzdb` feature). The first call wins;
/// returns false when one was set before.
pub fn set_zone_source(source: ZoneSource) -> bool {
    ZONE_SOURCE.set(source).is_ok()
}

/// The IANA zone of this exact name (`Europe/Berlin`, `UTC`): jiff's database, then the
/// [`ZoneSource`] set by [`set_zone_source`] (the platform's zones where no database is
/// bundled, as in the npm package). For [`ExpandOptions::floating_tz`](super::ExpandOptions)
/// from a name an app was given.
pub fn zone_named(name: &str) -> Option<TimeZone> {
    named_zone(name)
}

/// The IANA zone of this exact name: jiff's database, then the [`ZoneSource`].
fn named_zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name)
        .ok()
        .or_else(|| ZONE_SOURCE.get().and_then(|source| source(name)))
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
/// (`/mozilla.org/20050126_1/Europe/Berlin`), or a known Windows name. Only the suffixes an IANA
/// name can be are tried (two or three segments, or `UTC`), so a TZID of many segments costs
/// what its length costs.
pub(crate) fn iana_for(tzid: &str) -> Option<TimeZone> {
    let t = tzid.trim().trim_matches('"');
    if let Some(z) = named_zone(t) {
        return Some(z);
    }
    // the starts of the last three segments, longest suffix first
    let mut cuts: Vec<usize> = t.rmatch_indices('/').take(3).map(|(i, _)| i + 1).collect();
    cuts.reverse();
    for (n, &i) in cuts.iter().enumerate() {
        let rest = t.get(i..)?;
        // `cuts.len() - n` segments: a suffix of one segment only as UTC
        let segments = cuts.len() - n;
        if (segments > 1 || rest.eq_ignore_ascii_case("UTC"))
            && let Some(z) = named_zone(rest)
        {
            return Some(z);
        }
    }
    None
}

pub(crate) fn windows_for(tzid: &str) -> Option<TimeZone> {
    let t = tzid.trim();
    WINDOWS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(t))
        .and_then(|(_, iana)| named_zone(iana))
}

/// Values in first-seen order, and their index in it by key.
type Indexed<T> = (Vec<T>, BTreeMap<String, usize>);

/// Resolves TZIDs of one VCALENDAR, caching each result.
///
/// Linear in the object: VTIMEZONEs are indexed by TZID once (the first of a TZID wins), each
/// TZID is resolved once, and building zones from VTIMEZONE rules shares one step budget
/// ([`RESOLVER_STEPS`]).
pub(crate) struct Resolver<'a> {
    /// VTIMEZONEs, and their index in it by TZID (one map type, `String` to index, serves
    /// every keyed lookup of the formats module).
    vtimezones: Indexed<&'a Component>,
    policy: TzPolicy,
    /// Resolved zones, and their index in it by TZID.
    cache: RefCell<Indexed<Option<Rc<Zone>>>>,
    steps_left: Cell<u64>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Component, policy: TzPolicy) -> Resolver<'a> {
        let (mut comps, mut at) = (Vec::new(), BTreeMap::new());
        for c in root.components().iter().filter(|c| c.is("VTIMEZONE")) {
            if let Some(p) = c.property("TZID") {
                at.entry(p.raw_value().trim().to_owned())
                    .or_insert_with(|| {
                        comps.push(c);
                        comps.len() - 1
                    });
            }
        }
        Resolver {
            vtimezones: (comps, at),
            policy,
            cache: RefCell::new((Vec::new(), BTreeMap::new())),
            steps_left: Cell::new(RESOLVER_STEPS),
        }
    }

    pub(crate) fn empty(policy: TzPolicy) -> Resolver<'static> {
        Resolver {
            vtimezones: (Vec::new(), BTreeMap::new()),
            policy,
            cache: RefCell::new((Vec::new(), BTreeMap::new())),
            steps_left: Cell::new(RESOLVER_STEPS),
        }
    }

    fn vtimezone(&self, tzid: &str) -> Option<Zone> {
        let (comps, at) = &self.vtimezones;
        let comp = comps.get(*at.get(tzid.trim())?)?;
        let left = self.steps_left.get();
        let mut budget = left.min(ZONE_STEPS);
        let zone = CustomZone::from_vtimezone(comp, 2200, &mut budget);
        self.steps_left
            .set(left.saturating_sub(left.min(ZONE_STEPS) - budget));
        zone.map(Zone::Custom)
    }

    /// The zone for a TZID, or `None` when neither source knows it.
    pub(crate) fn resolve(&self, tzid: &str) -> Option<Rc<Zone>> {
        {
            let cache = self.cache.borrow();
            if let Some(z) = cache.1.get(tzid).and_then(|&i| cache.0.get(i)) {
                return z.clone();
            }
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
        let mut cache = self.cache.borrow_mut();
        let at = cache.0.len();
        cache.0.push(zone.clone());
        cache.1.insert(tzid.to_owned(), at);
        zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contentline;

    fn vtimezone(rrules: &str) -> Component {
        let text = format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\n\
             DTSTART:19700101T000000\r\n{rrules}TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n\
             END:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
        );
        let mut comps = contentline::parse(&text).expect("parse");
        comps.remove(0)
    }

    fn build(root: &Component, budget: &mut u64) -> CustomZone {
        let vtz = root
            .components()
            .iter()
            .find(|c| c.is("VTIMEZONE"))
            .expect("vtimezone");
        CustomZone::from_vtimezone(vtz, 2200, budget).expect("zone")
    }

    #[test]
    fn a_real_zone_is_read_whole() {
        let root = vtimezone("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n");
        let mut budget = ZONE_STEPS;
        let z = build(&root, &mut budget);
        assert!(!z.cut);
        // DTSTART and one onset a year from 1970 to 2199
        assert_eq!(z.transitions.len(), 1 + 230);
        assert!(
            ZONE_STEPS - budget < 10_000,
            "{} steps",
            ZONE_STEPS - budget
        );
    }

    #[test]
    fn many_rules_in_one_observance_stay_bounded() {
        // 5,000 SECONDLY rules: before, 2,000 onsets each were kept before any check (10 million)
        let root = vtimezone(&"RRULE:FREQ=SECONDLY\r\n".repeat(5000));
        let mut budget = ZONE_STEPS;
        let z = build(&root, &mut budget);
        assert!(z.cut);
        assert!(z.transitions.len() <= MAX_TRANSITIONS);
        // the full yearly product: 2,000 onsets read lazily (the first is DTSTART), then the cut
        let full = "RRULE:FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,\
                    11,12,13,14,15,16,17,18,19,20,21,22,23\r\n";
        let root = vtimezone(full);
        let mut budget = ZONE_STEPS;
        let z = build(&root, &mut budget);
        assert!(z.cut);
        assert_eq!(z.transitions.len(), MAX_ONSETS_PER_RULE);
        // a spent budget: the rules are left out, the zone still has its DTSTART
        let mut budget = 0;
        let z = build(&root, &mut budget);
        assert!(z.cut);
        assert_eq!(z.transitions.len(), 1);
    }

    #[test]
    fn the_resolver_budget_is_shared_by_all_zones() {
        let mut text = String::from("BEGIN:VCALENDAR\r\n");
        for i in 0..100 {
            text.push_str(&format!(
                "BEGIN:VTIMEZONE\r\nTZID:Z{i}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
                 RRULE:FREQ=DAILY;BYMONTH=1;BYWEEKNO=30\r\nTZOFFSETFROM:+0100\r\n\
                 TZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
            ));
        }
        text.push_str("END:VCALENDAR\r\n");
        let root = contentline::parse(&text).expect("parse").remove(0);
        let r = Resolver::new(&root, TzPolicy::PreferVtimezone);
        // each zone walks 230 years of days that never match: as many as the shared budget
        // holds are read whole, the others are cut
        let mut budget = ZONE_STEPS;
        let _ = build(&root, &mut budget);
        let per_zone = ZONE_STEPS - budget;
        let whole = (0..100)
            .filter(|i| r.resolve(&format!("Z{i}")).is_some_and(|z| !z.is_cut()))
            .count();
        assert_eq!(whole as u64, RESOLVER_STEPS / per_zone);
        assert!(whole < 20, "{whole} zones read whole");
        assert_eq!(r.steps_left.get(), 0);
    }

    #[test]
    fn the_first_vtimezone_of_a_tzid_wins() {
        let text = "BEGIN:VCALENDAR\r\n\
            BEGIN:VTIMEZONE\r\nTZID:Dup\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
            TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
            BEGIN:VTIMEZONE\r\nTZID:Dup\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
            TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
            END:VCALENDAR\r\n";
        let root = contentline::parse(text).expect("parse").remove(0);
        let r = Resolver::new(&root, TzPolicy::PreferVtimezone);
        let z = r.resolve(" Dup ").expect("zone");
        assert_eq!(z.local_to_utc(3 * 3600), 0);
    }

    #[test]
    fn iana_suffixes_are_few() {
        assert_eq!(
            iana_for("/mozilla.org/20050126_1/Europe/Berlin"),
            TimeZone::get("Europe/Berlin").ok()
        );
        assert_eq!(
            iana_for("/x/America/Argentina/Buenos_Aires"),
            TimeZone::get("America/Argentina/Buenos_Aires").ok()
        );
        assert_eq!(iana_for("/softwarestudio.org/UTC"), Some(TimeZone::UTC));
        assert_eq!(
            iana_for(&format!("{}Europe/Nowhere", "a/".repeat(50_000))),
            None
        );
    }

    #[test]
    fn the_zone_source_answers_what_the_database_does_not_know() {
        // The only test that sets the process-wide source; "Davkit/Test" is in no database.
        let fixed = || jiff::tz::Offset::from_seconds(5 * 3600 + 45 * 60).ok();
        assert!(set_zone_source(|name| {
            (name == "Davkit/Test").then(|| {
                TimeZone::fixed(
                    jiff::tz::Offset::from_seconds(20_700).unwrap_or(jiff::tz::Offset::UTC),
                )
            })
        }));
        assert!(!set_zone_source(|_| None), "the first source stays");
        let zone = iana_for("/example.com/Davkit/Test").expect("from the source");
        assert_eq!(Some(zone.to_fixed_offset().ok()).flatten(), fixed());
        assert_eq!(iana_for("Davkit/Other"), None);
        assert_eq!(
            iana_for("Europe/Berlin"),
            TimeZone::get("Europe/Berlin").ok()
        );
    }
}
