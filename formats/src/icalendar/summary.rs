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
        let mut s = EventSummary::head(o, resolver);
        s.categories = o.categories();
        s.rrule = o
            .component()
            .properties_named("RRULE")
            .map(|p| p.raw_value().to_owned())
            .collect();
        s.organizer = o.organizer();
        s.attendees = o.attendees();
        s
    }

    /// The fields of `o` but its organizer and lists, which `pack::object` copies straight
    /// from the component.
    fn head(o: &CalObject<'_>, resolver: &Resolver<'_>) -> EventSummary {
        let start = o.dtstart().ok().flatten();
        let time = |t: Option<CalDateTime>| t.map(|t| TimeSummary::build(&t, resolver));
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
            all_day: start.as_ref().is_some_and(CalDateTime::is_date),
            start: time(start),
            end: time(o.end().ok().flatten()),
            recurrence_id: time(o.recurrence_id().ok().flatten()),
            priority: o.priority(),
            percent_complete: o.percent_complete(),
            completed: time(o.completed().ok().flatten()),
            ..EventSummary::empty()
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

/// Many [`EventSummary`]s packed into one byte buffer, as [`Calendar::parse_summaries`] and
/// [`Calendar::packed_summaries`] return them: each summary costs about its text (strings
/// with a length byte or two, no struct padding, no allocation per field or list item; a
/// component without properties takes 18 bytes) instead of the 832 bytes of an
/// `EventSummary` plus an allocation for each string, each category and each attendee (272
/// bytes). Items are unpacked on access: [`Summaries::get`], [`Summaries::iter`], or serde,
/// which writes the same JSON array as a `Vec<EventSummary>`.
///
/// [`Calendar::parse_summaries`]: super::Calendar::parse_summaries
/// [`Calendar::packed_summaries`]: super::Calendar::packed_summaries
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

    /// Appends the summary of `o`, packed straight from its component: its lists (categories,
    /// RRULEs, attendees and their parameter lists) are copied one item at a time.
    pub(crate) fn push_object(&mut self, o: &CalObject<'_>, resolver: &Resolver<'_>) {
        pack::object(&mut self.buf, o, resolver);
        self.ends.push(self.buf.len());
    }

    /// The packed bytes of the summary at `index` (none past the end).
    fn bytes(&self, index: usize) -> &[u8] {
        let start = match index {
            0 => 0,
            i => self.ends.get(i - 1).copied().unwrap_or(0),
        };
        let end = self.ends.get(index).copied().unwrap_or(0);
        self.buf.get(start..end).unwrap_or_default()
    }

    fn view(&self, index: usize) -> pack::View<'_> {
        pack::Reader {
            buf: self.bytes(index),
        }
        .view()
    }

    /// The summary at `index`, unpacked.
    pub fn get(&self, index: usize) -> Option<EventSummary> {
        (index < self.len()).then(|| self.view(index).into_summary())
    }

    /// Every summary in order, unpacked one at a time.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EventSummary> + '_ {
        (0..self.len()).map(|i| self.view(i).into_summary())
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

/// Each summary is written from its packed bytes, as an `EventSummary` would be: its strings
/// borrowed, its lists read an item at a time, so however long they are nothing is unpacked.
impl Serialize for Summaries {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq((0..self.len()).map(|i| self.view(i)))
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

/// The packed form: a string as a LEB128 varint of its length plus one, then its bytes (an
/// `Option` that is `None` as a 0); a list as its items, then a 0; fixed tags for the common
/// component names and an e-mail that only repeats its `mailto:` URI. The organizer and the
/// lists come last, so [`object`] copies them from the component one item at a time.
mod pack {
    use serde::Serialize;

    use super::{CalAddress, CalObject, EventSummary, Resolver, TimeKind, TimeSummary};
    use crate::contentline::Property;

    fn varint(out: &mut Vec<u8>, mut n: u64) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
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

    fn str(out: &mut Vec<u8>, s: &str) {
        opt(out, Some(s));
    }

    fn list(out: &mut Vec<u8>, l: &[String]) {
        for s in l {
            str(out, s);
        }
        out.push(0);
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

    /// An address but its lists; it starts with the URI, a non-zero byte, so a 0 in its
    /// place ends a list of addresses (or stands for no organizer).
    fn address_head(out: &mut Vec<u8>, a: &CalAddress) {
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
        opt(out, a.sent_by.as_deref());
        opt(out, a.dir.as_deref());
    }

    fn address(out: &mut Vec<u8>, a: &CalAddress) {
        address_head(out, a);
        list(out, &a.delegated_to);
        list(out, &a.delegated_from);
        list(out, &a.member);
    }

    /// The address an ORGANIZER or ATTENDEE gives, its list parameters copied value by value.
    fn address_of(out: &mut Vec<u8>, p: &Property) {
        let (a, lists) = CalAddress::scalars_of(p);
        address_head(out, &a);
        for param in lists {
            for v in param.iter().flat_map(|x| x.values()) {
                str(out, &v);
            }
            out.push(0);
        }
    }

    const COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

    /// Everything up to the organizer.
    fn head(out: &mut Vec<u8>, s: &EventSummary) {
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
        time(out, s.start.as_ref());
        time(out, s.end.as_ref());
        out.push(u8::from(s.all_day));
        time(out, s.recurrence_id.as_ref());
        small(out, s.priority);
        small(out, s.percent_complete);
        time(out, s.completed.as_ref());
    }

    pub(super) fn summary(out: &mut Vec<u8>, s: &EventSummary) {
        head(out, s);
        match &s.organizer {
            None => out.push(0),
            Some(a) => address(out, a),
        }
        list(out, &s.categories);
        list(out, &s.rrule);
        for a in &s.attendees {
            address(out, a);
        }
        out.push(0);
    }

    /// What `summary(out, &EventSummary::build(o, resolver))` writes, without the summary:
    /// the lists go from the component to `out` an item at a time, so however long they are
    /// they cost about their text here.
    pub(super) fn object(out: &mut Vec<u8>, o: &CalObject<'_>, resolver: &Resolver<'_>) {
        head(out, &EventSummary::head(o, resolver));
        let c = o.component();
        match c.property("ORGANIZER") {
            None => out.push(0),
            Some(p) => address_of(out, p),
        }
        for v in c.text_list("CATEGORIES") {
            str(out, &v);
        }
        out.push(0);
        for p in c.properties_named("RRULE") {
            str(out, p.raw_value());
        }
        out.push(0);
        for p in c.properties_named("ATTENDEE") {
            address_of(out, p);
        }
        out.push(0);
    }

    /// A summary read in place: its strings borrowed from the packed bytes, its lists left
    /// packed. Serialises as the [`EventSummary`] it stands for.
    #[derive(Serialize)]
    #[serde(rename = "EventSummary")]
    pub(super) struct View<'a> {
        component: &'a str,
        uid: Option<&'a str>,
        summary: Option<&'a str>,
        description: Option<&'a str>,
        location: Option<&'a str>,
        status: Option<&'a str>,
        sequence: Option<i64>,
        categories: Texts<'a>,
        start: Option<TimeSummary>,
        end: Option<TimeSummary>,
        all_day: bool,
        rrule: Texts<'a>,
        recurrence_id: Option<TimeSummary>,
        priority: Option<u8>,
        percent_complete: Option<u8>,
        completed: Option<TimeSummary>,
        organizer: Option<AddressView<'a>>,
        attendees: Addresses<'a>,
    }

    /// A [`CalAddress`] read in place, as [`View`].
    #[derive(Serialize)]
    #[serde(rename = "CalAddress")]
    pub(super) struct AddressView<'a> {
        uri: &'a str,
        email: Option<&'a str>,
        cn: Option<&'a str>,
        role: Option<&'a str>,
        partstat: Option<&'a str>,
        rsvp: Option<bool>,
        cutype: Option<&'a str>,
        delegated_to: Texts<'a>,
        delegated_from: Texts<'a>,
        sent_by: Option<&'a str>,
        member: Texts<'a>,
        dir: Option<&'a str>,
    }

    /// A packed list of strings, its closing 0 included.
    #[derive(Clone, Copy)]
    pub(super) struct Texts<'a>(&'a [u8]);

    /// A packed list of addresses, its closing 0 included.
    #[derive(Clone, Copy)]
    pub(super) struct Addresses<'a>(&'a [u8]);

    impl<'a> Texts<'a> {
        fn iter(self) -> impl Iterator<Item = &'a str> {
            let mut r = Reader { buf: self.0 };
            std::iter::from_fn(move || r.opt())
        }

        fn to_vec(self) -> Vec<String> {
            let mut l = Vec::with_capacity(self.iter().count());
            l.extend(self.iter().map(str::to_owned));
            l
        }
    }

    impl<'a> Addresses<'a> {
        fn iter(self) -> impl Iterator<Item = AddressView<'a>> {
            let mut r = Reader { buf: self.0 };
            std::iter::from_fn(move || r.address())
        }
    }

    impl Serialize for Texts<'_> {
        fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
            ser.collect_seq(self.iter())
        }
    }

    impl Serialize for Addresses<'_> {
        fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
            ser.collect_seq(self.iter())
        }
    }

    fn own(s: Option<&str>) -> Option<String> {
        s.map(str::to_owned)
    }

    impl AddressView<'_> {
        fn into_address(self) -> CalAddress {
            CalAddress {
                uri: self.uri.to_owned(),
                email: own(self.email),
                cn: own(self.cn),
                role: own(self.role),
                partstat: own(self.partstat),
                rsvp: self.rsvp,
                cutype: own(self.cutype),
                delegated_to: self.delegated_to.to_vec(),
                delegated_from: self.delegated_from.to_vec(),
                sent_by: own(self.sent_by),
                member: self.member.to_vec(),
                dir: own(self.dir),
            }
        }
    }

    impl View<'_> {
        /// The summary unpacked: each list its exact length.
        pub(super) fn into_summary(self) -> EventSummary {
            let mut attendees = Vec::with_capacity(self.attendees.iter().count());
            attendees.extend(self.attendees.iter().map(AddressView::into_address));
            EventSummary {
                component: self.component.to_owned(),
                uid: own(self.uid),
                summary: own(self.summary),
                description: own(self.description),
                location: own(self.location),
                status: own(self.status),
                sequence: self.sequence,
                categories: self.categories.to_vec(),
                start: self.start,
                end: self.end,
                all_day: self.all_day,
                rrule: self.rrule.to_vec(),
                recurrence_id: self.recurrence_id,
                priority: self.priority,
                percent_complete: self.percent_complete,
                completed: self.completed,
                organizer: self.organizer.map(AddressView::into_address),
                attendees,
            }
        }
    }

    /// Reads what `summary` wrote; a short buffer (which `Summaries` never holds) reads as
    /// empty values rather than failing.
    pub(super) struct Reader<'a> {
        pub(super) buf: &'a [u8],
    }

    impl<'a> Reader<'a> {
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

        fn opt(&mut self) -> Option<&'a str> {
            let len = (self.varint().checked_sub(1)? as usize).min(self.buf.len());
            let (s, rest) = self.buf.split_at(len);
            self.buf = rest;
            Some(std::str::from_utf8(s).unwrap_or_default())
        }

        fn str(&mut self) -> &'a str {
            self.opt().unwrap_or_default()
        }

        /// The bytes `item` reads until it finds none (a list up to its closing 0).
        fn span<T>(&mut self, item: fn(&mut Reader<'a>) -> Option<T>) -> &'a [u8] {
            let start = self.buf;
            while item(self).is_some() {}
            start
                .get(..start.len() - self.buf.len())
                .unwrap_or_default()
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
                value: self.str().to_owned(),
                kind,
                tzid: own(self.opt()),
                utc: own(self.opt()),
            })
        }

        /// An address, or `None` for the 0 that ends a list of them.
        fn address(&mut self) -> Option<AddressView<'a>> {
            let uri = self.opt()?;
            let email = match self.byte() {
                0 => None,
                1 => derived_email(uri),
                _ => Some(self.str()),
            };
            Some(AddressView {
                uri,
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
                sent_by: self.opt(),
                dir: self.opt(),
                delegated_to: Texts(self.span(Reader::opt)),
                delegated_from: Texts(self.span(Reader::opt)),
                member: Texts(self.span(Reader::opt)),
            })
        }

        pub(super) fn view(&mut self) -> View<'a> {
            let component = match self.byte() {
                0 => self.str(),
                i => COMPONENTS.get(usize::from(i) - 1).copied().unwrap_or(""),
            };
            View {
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
                start: self.time(),
                end: self.time(),
                all_day: self.byte() != 0,
                recurrence_id: self.time(),
                priority: self.small(),
                percent_complete: self.small(),
                completed: self.time(),
                organizer: self.address(),
                categories: Texts(self.span(Reader::opt)),
                rrule: Texts(self.span(Reader::opt)),
                attendees: Addresses(self.span(Reader::address)),
            }
        }
    }
}
