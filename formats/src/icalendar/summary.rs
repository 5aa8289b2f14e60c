//! Plain, serialisable summaries of RFC 5545 §3.6 components, for the bindings (JSON, uniffi).

use serde::{Deserialize, Serialize};

use super::civil::local_secs;
use super::recur::Occurrence;
use super::tz::Resolver;
use super::value::{CalAddress, CalDateTime};
use super::{CalObject, ObjectKind};

/// The form of a date or time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

/// Many [`EventSummary`]s packed into one byte buffer, as [`Calendar::parse_summaries`]
/// returns them: each summary costs about its text (strings with a length byte or two, no
/// struct padding, no allocation per field) instead of the 832 bytes of an `EventSummary`
/// plus an allocation for each string. Items are unpacked on access: [`Summaries::get`],
/// [`Summaries::iter`], or serde, which writes the same JSON array as a `Vec<EventSummary>`.
///
/// [`Calendar::parse_summaries`]: super::Calendar::parse_summaries
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summaries {
    buf: Vec<u8>,
    /// End of each summary in `buf`.
    ends: Vec<usize>,
}

impl Summaries {
    /// No summaries.
    pub fn new() -> Summaries {
        Summaries::default()
    }

    /// How many summaries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends one summary.
    pub fn push(&mut self, s: &EventSummary) {
        pack::summary(&mut self.buf, s);
        self.ends.push(self.buf.len());
    }

    /// The summary at `index`, unpacked.
    pub fn get(&self, index: usize) -> Option<EventSummary> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            i => *self.ends.get(i - 1)?,
        };
        let mut r = pack::Reader {
            buf: self.buf.get(start..end)?,
        };
        Some(r.summary())
    }

    /// Every summary in order, unpacked one at a time.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EventSummary> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_else(EventSummary::empty))
    }

    /// Every summary, unpacked into a `Vec` (what [`Calendar::summaries`] returns).
    ///
    /// [`Calendar::summaries`]: super::Calendar::summaries
    pub fn to_vec(&self) -> Vec<EventSummary> {
        self.iter().collect()
    }

    /// Bytes this holds (its buffers' capacity), for measurements.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl From<&[EventSummary]> for Summaries {
    fn from(list: &[EventSummary]) -> Summaries {
        let mut out = Summaries::new();
        for s in list {
            out.push(s);
        }
        out.shrink_to_fit();
        out
    }
}

impl Serialize for Summaries {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = ser.serialize_seq(Some(self.len()))?;
        for s in self.iter() {
            seq.serialize_element(&s)?;
        }
        seq.end()
    }
}

impl EventSummary {
    fn empty() -> EventSummary {
        EventSummary {
            component: String::new(),
            uid: None,
            summary: None,
            description: None,
            location: None,
            status: None,
            sequence: None,
            categories: Vec::new(),
            start: None,
            end: None,
            all_day: false,
            rrule: Vec::new(),
            recurrence_id: None,
            priority: None,
            percent_complete: None,
            completed: None,
            organizer: None,
            attendees: Vec::new(),
        }
    }
}

/// The packed form: lengths and counts as LEB128 varints, an `Option` as a leading 0 (none)
/// or the length plus one, fixed tags for the common component names and an e-mail that only
/// repeats its `mailto:` URI.
mod pack {
    use super::{CalAddress, EventSummary, TimeKind, TimeSummary};

    fn varint(out: &mut Vec<u8>, mut n: u64) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn str(out: &mut Vec<u8>, s: &str) {
        varint(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }

    fn opt(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            None => out.push(0),
            Some(s) => {
                varint(out, s.len() as u64 + 1);
                out.extend_from_slice(s.as_bytes());
            }
        }
    }

    fn list(out: &mut Vec<u8>, l: &[String]) {
        varint(out, l.len() as u64);
        for s in l {
            str(out, s);
        }
    }

    fn small(out: &mut Vec<u8>, v: Option<u8>) {
        match v {
            None => out.push(0),
            Some(v) => out.extend_from_slice(&[1, v]),
        }
    }

    fn time(out: &mut Vec<u8>, t: Option<&TimeSummary>) {
        let Some(t) = t else {
            out.push(0);
            return;
        };
        out.push(match t.kind {
            TimeKind::Date => 1,
            TimeKind::Floating => 2,
            TimeKind::Utc => 3,
            TimeKind::Zoned => 4,
        });
        str(out, &t.value);
        opt(out, t.tzid.as_deref());
        opt(out, t.utc.as_deref());
    }

    /// The e-mail that `CalAddress::from_property` derives from a `mailto:` URI.
    fn derived_email(uri: &str) -> Option<&str> {
        uri.get(..7)
            .filter(|s| s.eq_ignore_ascii_case("mailto:"))
            .and_then(|_| uri.get(7..))
    }

    fn address(out: &mut Vec<u8>, a: &CalAddress) {
        str(out, &a.uri);
        match a.email.as_deref() {
            Some(e) if derived_email(&a.uri) == Some(e) => out.push(1),
            None => out.push(0),
            Some(e) => {
                out.push(2);
                str(out, e);
            }
        }
        opt(out, a.cn.as_deref());
        opt(out, a.role.as_deref());
        opt(out, a.partstat.as_deref());
        out.push(match a.rsvp {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        opt(out, a.cutype.as_deref());
        list(out, &a.delegated_to);
        list(out, &a.delegated_from);
        opt(out, a.sent_by.as_deref());
        list(out, &a.member);
        opt(out, a.dir.as_deref());
    }

    const COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

    pub(super) fn summary(out: &mut Vec<u8>, s: &EventSummary) {
        match COMPONENTS.iter().position(|c| *c == s.component) {
            Some(i) => out.push(i as u8 + 1),
            None => {
                out.push(0);
                str(out, &s.component);
            }
        }
        opt(out, s.uid.as_deref());
        opt(out, s.summary.as_deref());
        opt(out, s.description.as_deref());
        opt(out, s.location.as_deref());
        opt(out, s.status.as_deref());
        match s.sequence {
            None => out.push(0),
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        list(out, &s.categories);
        time(out, s.start.as_ref());
        time(out, s.end.as_ref());
        out.push(u8::from(s.all_day));
        list(out, &s.rrule);
        time(out, s.recurrence_id.as_ref());
        small(out, s.priority);
        small(out, s.percent_complete);
        time(out, s.completed.as_ref());
        match &s.organizer {
            None => out.push(0),
            Some(a) => {
                out.push(1);
                address(out, a);
            }
        }
        varint(out, s.attendees.len() as u64);
        for a in &s.attendees {
            address(out, a);
        }
    }

    /// Reads what `summary` wrote; a short buffer (which `Summaries` never holds) reads as
    /// empty values rather than failing.
    pub(super) struct Reader<'a> {
        pub(super) buf: &'a [u8],
    }

    impl Reader<'_> {
        fn byte(&mut self) -> u8 {
            let (b, rest) = self
                .buf
                .split_first()
                .map_or((0, &[][..]), |(b, r)| (*b, r));
            self.buf = rest;
            b
        }

        fn varint(&mut self) -> u64 {
            let mut n = 0u64;
            let mut shift = 0;
            loop {
                let b = self.byte();
                n |= u64::from(b & 0x7f) << shift.min(63);
                if b & 0x80 == 0 || self.buf.is_empty() {
                    return n;
                }
                shift += 7;
            }
        }

        fn bytes(&mut self, len: u64) -> String {
            let len = (len as usize).min(self.buf.len());
            let (s, rest) = self.buf.split_at(len);
            self.buf = rest;
            String::from_utf8_lossy(s).into_owned()
        }

        fn str(&mut self) -> String {
            let n = self.varint();
            self.bytes(n)
        }

        fn opt(&mut self) -> Option<String> {
            match self.varint() {
                0 => None,
                n => Some(self.bytes(n - 1)),
            }
        }

        fn list(&mut self) -> Vec<String> {
            let n = self.varint() as usize;
            // each item takes at least one byte: never reserve more than is left
            let mut l = Vec::with_capacity(n.min(self.buf.len()));
            for _ in 0..n {
                if self.buf.is_empty() {
                    break;
                }
                l.push(self.str());
            }
            l
        }

        fn small(&mut self) -> Option<u8> {
            match self.byte() {
                0 => None,
                _ => Some(self.byte()),
            }
        }

        fn time(&mut self) -> Option<TimeSummary> {
            let kind = match self.byte() {
                1 => TimeKind::Date,
                2 => TimeKind::Floating,
                3 => TimeKind::Utc,
                4 => TimeKind::Zoned,
                _ => return None,
            };
            Some(TimeSummary {
                value: self.str(),
                kind,
                tzid: self.opt(),
                utc: self.opt(),
            })
        }

        fn address(&mut self) -> CalAddress {
            let uri = self.str();
            let email = match self.byte() {
                0 => None,
                1 => derived_email(&uri).map(str::to_owned),
                _ => Some(self.str()),
            };
            CalAddress {
                email,
                cn: self.opt(),
                role: self.opt(),
                partstat: self.opt(),
                rsvp: match self.byte() {
                    0 => None,
                    1 => Some(false),
                    _ => Some(true),
                },
                cutype: self.opt(),
                delegated_to: self.list(),
                delegated_from: self.list(),
                sent_by: self.opt(),
                member: self.list(),
                dir: self.opt(),
                uri,
            }
        }

        pub(super) fn summary(&mut self) -> EventSummary {
            let component = match self.byte() {
                0 => self.str(),
                i => COMPONENTS
                    .get(usize::from(i) - 1)
                    .map_or_else(String::new, |c| (*c).to_owned()),
            };
            EventSummary {
                component,
                uid: self.opt(),
                summary: self.opt(),
                description: self.opt(),
                location: self.opt(),
                status: self.opt(),
                sequence: match self.byte() {
                    0 => None,
                    _ => {
                        let mut b = [0u8; 8];
                        for x in &mut b {
                            *x = self.byte();
                        }
                        Some(i64::from_le_bytes(b))
                    }
                },
                categories: self.list(),
                start: self.time(),
                end: self.time(),
                all_day: self.byte() != 0,
                rrule: self.list(),
                recurrence_id: self.time(),
                priority: self.small(),
                percent_complete: self.small(),
                completed: self.time(),
                organizer: match self.byte() {
                    0 => None,
                    _ => Some(self.address()),
                },
                attendees: {
                    let n = self.varint() as usize;
                    let mut l = Vec::with_capacity(n.min(self.buf.len()));
                    for _ in 0..n {
                        if self.buf.is_empty() {
                            break;
                        }
                        l.push(self.address());
                    }
                    l
                },
            }
        }
    }
}
