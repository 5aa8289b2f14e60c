//! Placing an instance in time: wall-clock seconds to instants in the zone of DTSTART (or
//! floating, or X-WR-TIMEZONE), and the end of each instance from DTEND or DURATION.

use crate::quoted::Quoted;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::super::civil::*;
use super::super::tz::{Resolver, Zone, iana_for};
use super::super::value::{CalDateTime, Duration, ValueError};
use super::super::{CalObject, ObjectKind};
use super::{clip, warn};

/// Local <-> UTC for one value form.
pub(super) enum Conv<'z> {
    Utc,
    Zone(std::rc::Rc<Zone>),
    Floating(&'z TimeZone),
}

impl Conv<'_> {
    pub(super) fn to_utc(&self, local: i64) -> i64 {
        match self {
            Conv::Utc => local,
            Conv::Zone(z) => z.local_to_utc(local),
            Conv::Floating(tz) => dt_from_local_secs(local)
                .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
                .map_or(local, |t| t.as_second()),
        }
    }
    pub(super) fn to_local(&self, utc: i64) -> i64 {
        match self {
            Conv::Utc => utc,
            Conv::Zone(z) => z.utc_to_local(utc),
            Conv::Floating(tz) => Timestamp::from_second(utc)
                .map(|ts| utc + i64::from(tz.to_offset(ts).seconds()))
                .unwrap_or(utc),
        }
    }
}

pub(super) fn conv_for<'z>(
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
                            "VTIMEZONE {} has more rules than davkit reads: its later offsets \
                             may be wrong",
                            Quoted(&clip(tzid))
                        )
                    });
                }
                Conv::Zone(z)
            }
            None => {
                warn(warnings, || {
                    format!(
                        "unknown TZID {}: read as floating time",
                        Quoted(&clip(tzid))
                    )
                });
                Conv::Floating(floating)
            }
        },
    }
}

pub(super) fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The calendar-wide zone of `X-WR-TIMEZONE` (Google Calendar exports): floating and UTC values
/// are read as wall-clock times in it, as Google and the x-wr-timezone package do.
pub(crate) struct Xwr {
    pub(super) tzid: String,
    pub(super) zone: std::rc::Rc<Zone>,
}

pub(super) fn xwr_fix(xwr: Option<&Xwr>, v: CalDateTime) -> CalDateTime {
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
pub(super) enum EndRule {
    /// Wall-clock seconds after the start (DTEND in the same form as DTSTART).
    Local(i64),
    /// Exact seconds after the start (DTEND in another zone).
    Exact(i64),
    /// DURATION: nominal days on the wall clock, then exact seconds.
    Nominal(i64, i64),
}

pub(super) fn end_rule(
    obj: &CalObject<'_>,
    start: &CalDateTime,
    sconv: &Conv<'_>,
    econv_of: &dyn Fn(&CalDateTime) -> Conv<'static>,
    xwr: Option<&Xwr>,
) -> Result<EndRule, ValueError> {
    let end = if obj.kind() == ObjectKind::Todo {
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
pub(super) fn place(local: i64, rule: EndRule, conv: &Conv<'_>) -> (i64, i64, i64, i64) {
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
pub(super) fn unswap(start: CalDateTime, rule: EndRule) -> (CalDateTime, EndRule) {
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
    matches!((utc_secs(a), utc_secs(b)), (Some(x), Some(y)) if x == y)
}

/// The instant a UTC or zoned value names, in seconds, its TZID resolved through the IANA
/// database (what [`same_instant`] compares); `None` for dates, floating times and unknown zones.
pub(crate) fn utc_secs(v: &CalDateTime) -> Option<i64> {
    match v {
        CalDateTime::Utc(dt) => Some(local_secs(*dt)),
        CalDateTime::Zoned { local, tzid } => {
            let z = Zone::Iana(iana_for(tzid)?);
            Some(z.local_to_utc(local_secs(*local)))
        }
        _ => None,
    }
}

pub(super) fn static_conv(
    v: &CalDateTime,
    resolver: &Resolver<'_>,
    floating: &TimeZone,
) -> Conv<'static> {
    match v {
        CalDateTime::Utc(_) => Conv::Utc,
        CalDateTime::Zoned { tzid, .. } => match resolver.resolve(tzid) {
            Some(z) => Conv::Zone(z),
            None => Conv::Zone(std::rc::Rc::new(Zone::Iana(floating.clone()))),
        },
        _ => Conv::Zone(std::rc::Rc::new(Zone::Iana(floating.clone()))),
    }
}
