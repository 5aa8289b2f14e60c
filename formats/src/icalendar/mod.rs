//! iCalendar objects: RFC 5545 §3.4–§3.8 (VCALENDAR and its components), with RFC 7986 fields.
//!
//! [`Calendar`] owns the lossless [`Component`] tree from [`crate::contentline`]; the typed
//! accessors read from it and the setters write back into it, so every property the library does not
//! model is kept exactly as it came.
//!
//! Reading, expanding and editing an event:
//!
//! ```
//! use davkit_formats::icalendar::{Calendar, CalDateTime, ExpandOptions};
//! use jiff::Timestamp;
//!
//! let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n\
//! BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20250101T000000Z\r\n\
//! DTSTART;TZID=Europe/Berlin:20250303T093000\r\nDURATION:PT15M\r\n\
//! SUMMARY:Stand-up\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13\r\n\
//! END:VEVENT\r\nEND:VCALENDAR\r\n";
//! let mut cal = Calendar::parse(ics)?;
//!
//! // Typed access without a second parse.
//! let event = cal.events().next().expect("one event");
//! assert_eq!(event.summary().as_deref(), Some("Stand-up"));
//! assert_eq!(event.dtstart()?.map(|d| d.to_iso()).as_deref(), Some("2025-03-03T09:30:00"));
//!
//! // Expand the series in a window (zones resolved with the bundled IANA database).
//! let window = ("2025-03-01T00:00:00Z".parse::<Timestamp>()?, "2025-04-01T00:00:00Z".parse::<Timestamp>()?);
//! let expanded = cal.expand(window, &ExpandOptions::default())?;
//! assert_eq!(expanded.occurrences.len(), 13);
//! // 31 March is after the switch to summer time: 09:30 in Berlin is 07:30 UTC.
//! assert_eq!(expanded.occurrences[12].start_utc.to_string(), "2025-03-31T07:30:00Z");
//!
//! // Move one occurrence (adds an override) and cancel another (adds an EXDATE).
//! let second = expanded.occurrences[1].recurrence_id.clone();
//! let mut moved = cal.override_occurrence("standup@example.com", &second)?;
//! moved.set_summary(Some("Stand-up (moved)"));
//! moved.set_dtstart(&second.with_local(second.local() + jiff::Span::new().hours(1)));
//! let third = expanded.occurrences[2].recurrence_id.clone();
//! cal.delete_occurrence("standup@example.com", &third)?;
//!
//! let again = cal.expand(window, &ExpandOptions::default())?;
//! assert_eq!(again.occurrences.len(), 12);
//! assert_eq!(again.occurrences[1].start_utc.to_string(), "2025-03-05T09:30:00Z");
//! assert!(cal.to_ics().contains("EXDATE;TZID=Europe/Berlin:20250307T093000\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alarm;
mod civil;
mod edit;
mod object;
mod object_mut;
mod occurrences;
pub mod read_time;
pub mod recur;
mod rrule;
mod summary;
mod tz;
mod value;
mod vtimezone;

use std::borrow::Cow;
use std::fmt;

pub use alarm::{AlarmAction, AlarmSummary, InvalidTrigger, NewAlarm};
pub use civil::utc_text_from_unix_ms;
pub use edit::EditError;
pub use object::CalObject;
pub use object_mut::CalObjectMut;
pub use occurrences::Occurrences;
pub use recur::{
    ExpandError, ExpandOptions, Expansion, MAX_INSTANCES, MAX_ITERATIONS, MAX_TOTAL_ITERATIONS,
    Occurrence, TruncationReason,
};
pub use rrule::{Frequency, RRule, WeekdayNum};
pub use summary::{EventSummary, OccurrenceSummary, Summaries, TimeKind, TimeSummary};
pub use tz::{TzPolicy, ZoneSource, set_zone_source, zone_named};
pub use value::{CalAddress, CalDateTime, Duration, ValueError};
pub use vtimezone::{
    MAX_ZONES_ADDED, VTIMEZONE_HORIZON_YEAR, ZONE_LINES_FREE, ZONE_LINES_PER_LINE,
};

use crate::contentline::{self, Component, ParseError, Property};

/// Why an iCalendar text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The content lines or component structure are malformed.
    Parse(ParseError),
    /// The text holds components but no VCALENDAR.
    NotACalendar,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "iCalendar: {e}"),
            Error::NotACalendar => f.write_str("iCalendar: no VCALENDAR component"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether the text passed a size limit (more content lines than the limit, or more than
    /// 4 GiB: [`ParseError::is_limit`]) rather than being malformed.
    pub fn is_limit(&self) -> bool {
        matches!(self, Error::Parse(e) if e.is_limit())
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

/// The kind of a calendar component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// VEVENT
    Event,
    /// VTODO
    Todo,
    /// VJOURNAL
    Journal,
    /// VFREEBUSY
    FreeBusy,
    /// VTIMEZONE
    Timezone,
    /// VALARM
    Alarm,
    /// Anything else (IANA or X- components).
    Other,
}

impl ObjectKind {
    /// The kind for a component name.
    pub fn of(name: &str) -> ObjectKind {
        let up = |s: &str| name.eq_ignore_ascii_case(s);
        if up("VEVENT") {
            ObjectKind::Event
        } else if up("VTODO") {
            ObjectKind::Todo
        } else if up("VJOURNAL") {
            ObjectKind::Journal
        } else if up("VFREEBUSY") {
            ObjectKind::FreeBusy
        } else if up("VTIMEZONE") {
            ObjectKind::Timezone
        } else if up("VALARM") {
            ObjectKind::Alarm
        } else {
            ObjectKind::Other
        }
    }

    /// True for VEVENT, VTODO and VJOURNAL (the components that recur).
    pub fn is_recurring_kind(self) -> bool {
        matches!(
            self,
            ObjectKind::Event | ObjectKind::Todo | ObjectKind::Journal
        )
    }

    /// True for the kinds [`Calendar::objects`] lists: VEVENT, VTODO, VJOURNAL and VFREEBUSY.
    pub fn is_object(self) -> bool {
        self.is_recurring_kind() || self == ObjectKind::FreeBusy
    }
}

/// A VCALENDAR: the lossless tree plus typed access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    root: Component,
}

impl Calendar {
    /// Parses the first VCALENDAR in `text`.
    pub fn parse(text: &str) -> Result<Calendar, Error> {
        Self::from_components(contentline::parse(text)?)
    }

    /// Parses bytes (UTF-8 checked after unfolding).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Calendar, Error> {
        Self::from_components(contentline::parse_bytes(bytes)?)
    }

    /// [`Calendar::parse`] with at most
    /// [`ParseLimits::max_content_lines`](contentline::ParseLimits::max_content_lines) content
    /// lines (a [`TooManyLines`](contentline::ParseErrorKind::TooManyLines) error past it).
    pub fn parse_with_limits(
        text: &str,
        limits: impl Into<contentline::ParseLimits>,
    ) -> Result<Calendar, Error> {
        Self::from_components(contentline::parse_with_limits(text, limits)?)
    }

    /// Parses the first VCALENDAR, repairing what it can (see
    /// [`contentline::parse_lenient`]); the repairs come back beside the calendar.
    pub fn parse_lenient(text: &str) -> Result<(Calendar, Vec<ParseError>), Error> {
        let (comps, repairs) = contentline::parse_lenient(text)?;
        Ok((Self::from_components(comps)?, repairs))
    }

    /// [`Calendar::parse_lenient`] for bytes.
    pub fn parse_bytes_lenient(bytes: &[u8]) -> Result<(Calendar, Vec<ParseError>), Error> {
        let (comps, repairs) = contentline::parse_bytes_lenient(bytes)?;
        Ok((Self::from_components(comps)?, repairs))
    }

    /// Parses every VCALENDAR in `text` (other top-level components are skipped).
    pub fn parse_all(text: &str) -> Result<Vec<Calendar>, Error> {
        let cals: Vec<Calendar> = contentline::parse(text)?
            .into_iter()
            .filter(|c| c.is("VCALENDAR"))
            .map(|root| Calendar { root })
            .collect();
        if cals.is_empty() {
            return Err(Error::NotACalendar);
        }
        Ok(cals)
    }

    fn from_components(comps: Vec<Component>) -> Result<Calendar, Error> {
        comps
            .into_iter()
            .find(|c| c.is("VCALENDAR"))
            .map(|root| Calendar { root })
            .ok_or(Error::NotACalendar)
    }

    /// An empty VCALENDAR with VERSION and PRODID.
    pub fn new(prodid: &str) -> Calendar {
        let mut root = Component::new("VCALENDAR");
        root.push_property(Property::new("VERSION", "2.0"));
        root.push_property(Property::text("PRODID", prodid));
        Calendar { root }
    }

    /// Wraps an existing VCALENDAR component.
    pub fn from_component(root: Component) -> Result<Calendar, Error> {
        if root.is("VCALENDAR") {
            Ok(Calendar { root })
        } else {
            Err(Error::NotACalendar)
        }
    }

    /// The lossless tree.
    pub fn component(&self) -> &Component {
        &self.root
    }

    /// The lossless tree, mutable.
    pub fn component_mut(&mut self) -> &mut Component {
        &mut self.root
    }

    /// Unwraps the lossless tree.
    pub fn into_component(self) -> Component {
        self.root
    }

    /// Serialises with CRLF and 75-octet folding.
    pub fn to_ics(&self) -> String {
        self.root.to_string()
    }

    /// VERSION.
    pub fn version(&self) -> Option<&str> {
        self.root.property("VERSION").map(Property::raw_value)
    }

    /// PRODID.
    pub fn prodid(&self) -> Option<Cow<'_, str>> {
        self.root.property("PRODID").map(Property::text_value)
    }

    /// METHOD (iTIP).
    pub fn method(&self) -> Option<&str> {
        self.root.property("METHOD").map(Property::raw_value)
    }

    /// NAME (RFC 7986) or X-WR-CALNAME.
    pub fn name(&self) -> Option<Cow<'_, str>> {
        self.root
            .property("NAME")
            .or_else(|| self.root.property("X-WR-CALNAME"))
            .map(Property::text_value)
    }

    /// Every VEVENT, VTODO, VJOURNAL and VFREEBUSY, in order.
    pub fn objects(&self) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.root
            .components()
            .iter()
            .map(CalObject::new)
            .filter(|o| o.kind.is_object())
    }

    fn of_kind(&self, kind: ObjectKind) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.root
            .components()
            .iter()
            .map(CalObject::new)
            .filter(move |o| o.kind == kind)
    }

    /// Every VEVENT.
    pub fn events(&self) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.of_kind(ObjectKind::Event)
    }

    /// Every VTODO.
    pub fn todos(&self) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.of_kind(ObjectKind::Todo)
    }

    /// Every VJOURNAL.
    pub fn journals(&self) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.of_kind(ObjectKind::Journal)
    }

    /// Every VFREEBUSY.
    pub fn freebusys(&self) -> impl Iterator<Item = CalObject<'_>> + '_ {
        self.of_kind(ObjectKind::FreeBusy)
    }

    /// Every VTIMEZONE.
    pub fn timezones(&self) -> impl Iterator<Item = TimezoneRef<'_>> + '_ {
        self.root
            .components()
            .iter()
            .filter(|c| c.is("VTIMEZONE"))
            .map(|c| TimezoneRef { comp: c })
    }

    /// Mutable views of every VEVENT/VTODO/VJOURNAL/VFREEBUSY.
    pub fn objects_mut(&mut self) -> impl Iterator<Item = CalObjectMut<'_>> + '_ {
        self.root
            .components_mut()
            .iter_mut()
            .filter(|c| ObjectKind::of(c.name()).is_object())
            .map(|comp| CalObjectMut { comp })
    }

    /// The master (no RECURRENCE-ID) or the override for `recurrence_id` of the object with `uid`.
    pub fn find(&self, uid: &str, recurrence_id: Option<&CalDateTime>) -> Option<CalObject<'_>> {
        self.objects().find(|o| {
            o.uid().as_deref() == Some(uid)
                && same_rid(o.recurrence_id().ok().flatten().as_ref(), recurrence_id)
        })
    }

    /// Mutable form of [`Calendar::find`].
    pub fn find_mut(
        &mut self,
        uid: &str,
        recurrence_id: Option<&CalDateTime>,
    ) -> Option<CalObjectMut<'_>> {
        self.objects_mut().find(|o| {
            let v = o.view();
            v.uid().as_deref() == Some(uid)
                && same_rid(v.recurrence_id().ok().flatten().as_ref(), recurrence_id)
        })
    }

    /// Summaries of every VEVENT/VTODO/VJOURNAL, ready for serde.
    ///
    /// Each summary is an 832-byte struct, and each of its strings, categories and attendees
    /// (272 bytes) an allocation of its own, whatever the text: 24 bytes make an empty VEVENT,
    /// 2 a category. For text from strangers, [`Calendar::packed_summaries`] (or
    /// [`Calendar::parse_summaries`], without the tree) costs about the text instead and gives
    /// the same summaries one at a time, and the same JSON.
    pub fn summaries(&self) -> Vec<EventSummary> {
        let resolver = tz::Resolver::new(&self.root, TzPolicy::default());
        self.objects()
            .filter(|o| o.kind.is_recurring_kind())
            .map(|o| EventSummary::build(&o, &resolver))
            .collect()
    }

    /// [`Calendar::summaries`] packed ([`Summaries`]): about the size of their text, however
    /// many components or list items the calendar holds.
    pub fn packed_summaries(&self) -> Summaries {
        let resolver = tz::Resolver::new(&self.root, TzPolicy::default());
        let mut out = Summaries::new();
        for o in self.objects().filter(|o| o.kind.is_recurring_kind()) {
            out.push_object(&o, &resolver);
        }
        out.shrink_to_fit();
        out
    }

    /// `Calendar::parse(text)?.summaries()` without keeping the calendar, for large calendars:
    /// each component is summarised as soon as its `END` is read and then dropped, and the
    /// summaries are packed ([`Summaries`]), so the cost is about the summaries' text rather
    /// than the whole tree plus an 832-byte struct and a dozen allocations per event (a
    /// 50 MB calendar of 100,000 events: see `tests/hostile/README.md`). The summaries and
    /// the errors are the same as parsing first; a calendar whose VTIMEZONEs come after its
    /// first event is read twice (once for the zones).
    pub fn parse_summaries(text: &str) -> Result<Summaries, Error> {
        Self::parse_summaries_with_limits(text, contentline::ParseLimits::default())
    }

    /// [`Calendar::parse_summaries`] with at most
    /// [`ParseLimits::max_content_lines`](contentline::ParseLimits::max_content_lines) content
    /// lines.
    pub fn parse_summaries_with_limits(
        text: &str,
        limits: impl Into<contentline::ParseLimits>,
    ) -> Result<Summaries, Error> {
        let limits = limits.into();
        match summary_pass(text, limits, None)? {
            Pass::Done(out) => Ok(out),
            Pass::LateZones(zones) => match summary_pass(text, limits, Some(zones))? {
                Pass::Done(out) => Ok(out),
                // cannot happen: with the zones given, no zone is late
                Pass::LateZones(_) => {
                    Ok(Calendar::parse_with_limits(text, limits)?.packed_summaries())
                }
            },
        }
    }
}

/// What one streaming pass over a calendar gave.
enum Pass {
    Done(Summaries),
    /// A VTIMEZONE came after the first event: every VTIMEZONE, in order, for a second pass.
    LateZones(Component),
}

/// One pass of [`Calendar::parse_summaries`]: the first VCALENDAR's components one at a
/// time. Without `zones`, the VTIMEZONEs before the first event are the zones; with them
/// (every VTIMEZONE of the calendar), the calendar's own are skipped.
fn summary_pass(
    text: &str,
    limits: contentline::ParseLimits,
    zones: Option<Component>,
) -> Result<Pass, Error> {
    let mut parser = contentline::Parser::streaming(limits.max_content_lines);
    let mut cursor = contentline::Cursor::new(text);
    let given = zones.is_some();
    let mut zones = zones.unwrap_or_else(|| Component::new("VCALENDAR"));
    // until the first object: collect the zones
    let mut early = Vec::new();
    while early.is_empty() && cursor.step(&mut parser)? {
        for (ours, c) in parser.take_ready() {
            if !ours {
                continue;
            }
            if !early.is_empty() || ObjectKind::of(c.name()).is_recurring_kind() {
                early.push(c);
            } else if c.is("VTIMEZONE") && !given {
                zones.push_component(c);
            }
        }
    }
    let resolver = tz::Resolver::new(&zones, TzPolicy::default());
    let mut out = Summaries::new();
    let mut late = Vec::new();
    let mut summarise = |c: Component, late: &mut Vec<Component>| {
        if c.is("VTIMEZONE") {
            if !given {
                late.push(c);
            }
        } else {
            let o = CalObject::new(&c);
            if o.kind.is_recurring_kind() {
                out.push_object(&o, &resolver);
            }
        }
    };
    for c in early {
        summarise(c, &mut late);
    }
    while cursor.step(&mut parser)? {
        for (ours, c) in parser.take_ready() {
            if ours {
                summarise(c, &mut late);
            }
        }
    }
    let (roots, _) = parser.finish()?;
    if !roots.iter().any(|c| c.is("VCALENDAR")) {
        return Err(Error::NotACalendar);
    }
    drop(resolver);
    if late.is_empty() {
        out.shrink_to_fit();
        return Ok(Pass::Done(out));
    }
    for c in late {
        zones.push_component(c);
    }
    Ok(Pass::LateZones(zones))
}

fn same_rid(a: Option<&CalDateTime>, b: Option<&CalDateTime>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (a.local() == b.local()) || recur::same_instant(a, b),
        _ => false,
    }
}

/// One STANDARD/DAYLIGHT observance as written: (is_daylight, DTSTART, TZOFFSETFROM, TZOFFSETTO).
pub type Observance<'a> = (bool, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// A read-only view of a VTIMEZONE.
#[derive(Clone, Copy, Debug)]
pub struct TimezoneRef<'a> {
    comp: &'a Component,
}

impl<'a> TimezoneRef<'a> {
    /// TZID.
    pub fn tzid(&self) -> Option<&'a str> {
        self.comp.property("TZID").map(|p| p.raw_value().trim())
    }

    /// The lossless component.
    pub fn component(&self) -> &'a Component {
        self.comp
    }

    /// The STANDARD and DAYLIGHT observances: (is_daylight, DTSTART, TZOFFSETFROM, TZOFFSETTO) as written.
    pub fn observances(&self) -> Vec<Observance<'a>> {
        self.comp
            .components()
            .iter()
            .filter(|c| c.is("STANDARD") || c.is("DAYLIGHT"))
            .map(|c| {
                (
                    c.is("DAYLIGHT"),
                    c.property("DTSTART").map(Property::raw_value),
                    c.property("TZOFFSETFROM").map(Property::raw_value),
                    c.property("TZOFFSETTO").map(Property::raw_value),
                )
            })
            .collect()
    }
}

/// A read-only view of a VALARM.
#[derive(Clone, Copy, Debug)]
pub struct AlarmRef<'a> {
    comp: &'a Component,
}

impl<'a> AlarmRef<'a> {
    /// ACTION (AUDIO, DISPLAY, EMAIL).
    pub fn action(&self) -> Option<&'a str> {
        self.comp.property("ACTION").map(|p| p.raw_value().trim())
    }

    /// TRIGGER as a duration relative to start (or end with `RELATED=END`), when it is one.
    pub fn trigger_duration(&self) -> Option<Duration> {
        self.comp
            .property("TRIGGER")
            .and_then(|p| Duration::parse(p.raw_value()))
    }

    /// TRIGGER as an absolute date-time, when it is one.
    pub fn trigger_absolute(&self) -> Option<CalDateTime> {
        self.comp
            .property("TRIGGER")
            .filter(|p| {
                p.param_value("VALUE")
                    .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
            })
            .and_then(|p| CalDateTime::from_property(p).ok())
    }

    /// True when the trigger is relative to the end (`RELATED=END`).
    pub fn related_to_end(&self) -> bool {
        self.comp
            .property("TRIGGER")
            .and_then(|p| p.param_value("RELATED"))
            .is_some_and(|r| r.eq_ignore_ascii_case("END"))
    }

    /// DESCRIPTION.
    pub fn description(&self) -> Option<Cow<'a, str>> {
        self.comp.property("DESCRIPTION").map(Property::text_value)
    }

    /// The lossless component.
    pub fn component(&self) -> &'a Component {
        self.comp
    }
}

#[cfg(test)]
mod tests;
