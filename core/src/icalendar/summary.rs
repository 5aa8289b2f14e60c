//! Plain, serialisable summaries of RFC 5545 §3.6 components, for the bindings (JSON, uniffi).

use serde::{Deserialize, Serialize};

use super::recur::{Occurrence, local_secs};
use super::tz::Resolver;
use super::value::{CalAddress, CalDateTime};
use super::{CalObject, ObjectKind};

/// The form of a date or time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeKind {
    /// All-day (`VALUE=DATE`).
    Date,
    /// Local time with no zone.
    Floating,
    /// UTC.
    Utc,
    /// Local time in a TZID.
    Zoned,
}

/// A date or time as ISO 8601 text with its zone information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSummary {
    /// `2024-01-02`, `2024-01-02T03:04:05` or `2024-01-02T03:04:05Z`.
    pub value: String,
    /// The form of the value.
    pub kind: TimeKind,
    /// TZID for zoned values.
    pub tzid: Option<String>,
    /// The instant in UTC (`...Z`) when it could be resolved (UTC and zoned values).
    pub utc: Option<String>,
}

impl TimeSummary {
    pub(crate) fn build(v: &CalDateTime, resolver: &Resolver<'_>) -> TimeSummary {
        let (kind, utc) = match v {
            CalDateTime::Date(_) => (TimeKind::Date, None),
            CalDateTime::Floating(_) => (TimeKind::Floating, None),
            CalDateTime::Utc(_) => (TimeKind::Utc, Some(v.to_iso())),
            CalDateTime::Zoned { local, tzid } => (
                TimeKind::Zoned,
                resolver
                    .resolve(tzid)
                    .and_then(|z| {
                        jiff::Timestamp::from_second(z.local_to_utc(local_secs(*local))).ok()
                    })
                    .map(|t| t.to_string()),
            ),
        };
        TimeSummary {
            value: v.to_iso(),
            kind,
            tzid: v.tzid().map(str::to_owned),
            utc,
        }
    }
}

/// The fields most apps show for a VEVENT, VTODO or VJOURNAL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    /// `VEVENT`, `VTODO` or `VJOURNAL`.
    pub component: String,
    /// UID.
    pub uid: Option<String>,
    /// SUMMARY.
    pub summary: Option<String>,
    /// DESCRIPTION.
    pub description: Option<String>,
    /// LOCATION.
    pub location: Option<String>,
    /// STATUS.
    pub status: Option<String>,
    /// SEQUENCE.
    pub sequence: Option<i64>,
    /// CATEGORIES.
    pub categories: Vec<String>,
    /// DTSTART.
    pub start: Option<TimeSummary>,
    /// DTEND, or DTSTART + DURATION (DUE for a VTODO).
    pub end: Option<TimeSummary>,
    /// True when DTSTART is a DATE.
    pub all_day: bool,
    /// RRULE values as written.
    pub rrule: Vec<String>,
    /// RECURRENCE-ID of an overriding instance.
    pub recurrence_id: Option<TimeSummary>,
    /// PRIORITY.
    pub priority: Option<u8>,
    /// PERCENT-COMPLETE (VTODO).
    pub percent_complete: Option<u8>,
    /// COMPLETED (VTODO).
    pub completed: Option<TimeSummary>,
    /// ORGANIZER.
    pub organizer: Option<CalAddress>,
    /// ATTENDEEs.
    pub attendees: Vec<CalAddress>,
}

impl EventSummary {
    pub(crate) fn build(o: &CalObject<'_>, resolver: &Resolver<'_>) -> EventSummary {
        let start = o.dtstart().ok().flatten();
        EventSummary {
            component: match o.kind() {
                ObjectKind::Todo => "VTODO".into(),
                ObjectKind::Journal => "VJOURNAL".into(),
                ObjectKind::Event => "VEVENT".into(),
                _ => o.component().name().to_ascii_uppercase(),
            },
            uid: o.uid().map(|s| s.into_owned()),
            summary: o.summary().map(|s| s.into_owned()),
            description: o.description().map(|s| s.into_owned()),
            location: o.location().map(|s| s.into_owned()),
            status: o.status().map(str::to_owned),
            sequence: o.sequence(),
            categories: o.categories(),
            all_day: start.as_ref().is_some_and(CalDateTime::is_date),
            start: start.as_ref().map(|s| TimeSummary::build(s, resolver)),
            end: o
                .end()
                .ok()
                .flatten()
                .map(|e| TimeSummary::build(&e, resolver)),
            rrule: o
                .component()
                .properties_named("RRULE")
                .map(|p| p.raw_value().to_owned())
                .collect(),
            recurrence_id: o
                .recurrence_id()
                .ok()
                .flatten()
                .map(|r| TimeSummary::build(&r, resolver)),
            priority: o.priority(),
            percent_complete: o.percent_complete(),
            completed: o
                .completed()
                .ok()
                .flatten()
                .map(|c| TimeSummary::build(&c, resolver)),
            organizer: o.organizer(),
            attendees: o.attendees(),
        }
    }
}

/// One occurrence in plain form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceSummary {
    /// UID.
    pub uid: Option<String>,
    /// RECURRENCE-ID (the original start) as written.
    pub recurrence_id: String,
    /// Start (same form as DTSTART).
    pub start: String,
    /// End.
    pub end: String,
    /// Start instant, UTC.
    pub start_utc: String,
    /// End instant, UTC.
    pub end_utc: String,
    /// TZID of start, if zoned.
    pub tzid: Option<String>,
    /// True for an all-day occurrence.
    pub all_day: bool,
    /// True when an overriding component supplies this occurrence.
    pub is_override: bool,
}

impl From<&Occurrence> for OccurrenceSummary {
    fn from(o: &Occurrence) -> Self {
        OccurrenceSummary {
            uid: o.uid.clone(),
            recurrence_id: o.recurrence_id.to_iso(),
            start: o.start.to_iso(),
            end: o.end.to_iso(),
            start_utc: o.start_utc.to_string(),
            end_utc: o.end_utc.to_string(),
            tzid: o.start.tzid().map(str::to_owned),
            all_day: o.start.is_date(),
            is_override: o.is_override,
        }
    }
}
