//! iCalendar objects: RFC 5545 §3.4–§3.8 (VCALENDAR and its components), with RFC 7986 fields.
//!
//! [`Calendar`] owns the lossless [`Component`] tree from [`crate::contentline`]; the typed
//! accessors read from it and the setters write back into it, so every property the library does not
//! model is kept exactly as it came.
//!
//! Reading, expanding and editing an event:
//!
//! ```
//! use davkit::icalendar::{Calendar, CalDateTime, ExpandOptions};
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
pub mod recur;
mod rrule;
mod summary;
mod tz;
mod value;

use std::borrow::Cow;
use std::fmt;

pub use alarm::{AlarmAction, AlarmSummary, NewAlarm};
pub use edit::EditError;
pub use recur::{
    ExpandError, ExpandOptions, Expansion, MAX_INSTANCES, MAX_ITERATIONS, MAX_TOTAL_ITERATIONS,
    Occurrence, TruncationReason,
};
pub use rrule::{Frequency, RRule, WeekdayNum};
pub use summary::{EventSummary, OccurrenceSummary, Summaries, TimeKind, TimeSummary};
pub use tz::{TzPolicy, ZoneSource, set_zone_source};
pub use value::{CalAddress, CalDateTime, Duration, ValueError};

use crate::contentline::{self, Component, ParseError, Property, split_unescaped, unescape_text};

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
    /// The core [`ErrorKind`](crate::ErrorKind) for this error:
    /// [`LimitExceeded`](crate::ErrorKind::LimitExceeded) for more content lines than the
    /// limit, [`ICalendar`](crate::ErrorKind::ICalendar) otherwise.
    pub fn error_kind(&self) -> crate::ErrorKind {
        match self {
            Error::Parse(e) if e.is_limit() => crate::ErrorKind::LimitExceeded,
            _ => crate::ErrorKind::ICalendar,
        }
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
    /// [`Limits::max_content_lines`](crate::Limits::max_content_lines) content lines (a
    /// [`TooManyLines`](contentline::ParseErrorKind::TooManyLines) error past it).
    pub fn parse_with_limits(text: &str, limits: &crate::Limits) -> Result<Calendar, Error> {
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
            .filter(|o| {
                matches!(
                    o.kind,
                    ObjectKind::Event
                        | ObjectKind::Todo
                        | ObjectKind::Journal
                        | ObjectKind::FreeBusy
                )
            })
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
            .filter(|c| {
                matches!(
                    ObjectKind::of(c.name()),
                    ObjectKind::Event
                        | ObjectKind::Todo
                        | ObjectKind::Journal
                        | ObjectKind::FreeBusy
                )
            })
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
    pub fn summaries(&self) -> Vec<EventSummary> {
        let resolver = tz::Resolver::new(&self.root, TzPolicy::default());
        self.objects()
            .filter(|o| o.kind.is_recurring_kind())
            .map(|o| EventSummary::build(&o, &resolver))
            .collect()
    }

    /// `Calendar::parse(text)?.summaries()` without keeping the calendar, for large calendars:
    /// each component is summarised as soon as its `END` is read and then dropped, and the
    /// summaries are packed ([`Summaries`]), so the cost is about the summaries' text rather
    /// than the whole tree plus an 832-byte struct and a dozen allocations per event (a
    /// 50 MB calendar of 100,000 events: see `tests/hostile/README.md`). The summaries and
    /// the errors are the same as parsing first; a calendar whose VTIMEZONEs come after its
    /// first event is read twice (once for the zones).
    pub fn parse_summaries(text: &str) -> Result<Summaries, Error> {
        Self::parse_summaries_with_limits(text, &crate::Limits::default())
    }

    /// [`Calendar::parse_summaries`] with at most
    /// [`Limits::max_content_lines`](crate::Limits::max_content_lines) content lines.
    pub fn parse_summaries_with_limits(
        text: &str,
        limits: &crate::Limits,
    ) -> Result<Summaries, Error> {
        match summary_pass(text, limits, None)? {
            Pass::Done(out) => Ok(out),
            Pass::LateZones(zones) => match summary_pass(text, limits, Some(zones))? {
                Pass::Done(out) => Ok(out),
                // cannot happen: with the zones given, no zone is late
                Pass::LateZones(_) => Ok(Summaries::from(
                    &Calendar::parse_with_limits(text, limits)?.summaries()[..],
                )),
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
    limits: &crate::Limits,
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
                out.push(&EventSummary::build(&o, &resolver));
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

/// A read-only typed view of one VEVENT, VTODO, VJOURNAL or VFREEBUSY (or any component).
#[derive(Clone, Copy, Debug)]
pub struct CalObject<'a> {
    comp: &'a Component,
    kind: ObjectKind,
}

impl<'a> CalObject<'a> {
    /// A view over any component.
    pub fn new(comp: &'a Component) -> CalObject<'a> {
        CalObject {
            comp,
            kind: ObjectKind::of(comp.name()),
        }
    }

    /// The kind of component.
    pub fn kind(&self) -> ObjectKind {
        self.kind
    }

    /// The lossless component.
    pub fn component(&self) -> &'a Component {
        self.comp
    }

    fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.comp.property(name).map(Property::text_value)
    }

    fn date(&self, name: &str) -> Result<Option<CalDateTime>, ValueError> {
        self.comp
            .property(name)
            .map(CalDateTime::from_property)
            .transpose()
    }

    /// UID.
    pub fn uid(&self) -> Option<Cow<'a, str>> {
        self.text("UID")
    }

    /// SUMMARY.
    pub fn summary(&self) -> Option<Cow<'a, str>> {
        self.text("SUMMARY")
    }

    /// DESCRIPTION.
    pub fn description(&self) -> Option<Cow<'a, str>> {
        self.text("DESCRIPTION")
    }

    /// LOCATION.
    pub fn location(&self) -> Option<Cow<'a, str>> {
        self.text("LOCATION")
    }

    /// STATUS (TENTATIVE, CONFIRMED, CANCELLED, NEEDS-ACTION, COMPLETED, IN-PROCESS, DRAFT, FINAL).
    pub fn status(&self) -> Option<&'a str> {
        self.comp.property("STATUS").map(|p| p.raw_value().trim())
    }

    /// SEQUENCE (`None` when absent or not a number).
    pub fn sequence(&self) -> Option<i64> {
        self.comp
            .property("SEQUENCE")
            .and_then(|p| p.raw_value().trim().parse().ok())
    }

    /// CATEGORIES, from every CATEGORIES property, split and unescaped.
    pub fn categories(&self) -> Vec<String> {
        self.comp
            .properties_named("CATEGORIES")
            .flat_map(|p| split_unescaped(p.raw_value(), ','))
            .map(|s| unescape_text(s.trim()).into_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// DTSTART.
    pub fn dtstart(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("DTSTART")
    }

    /// DTEND.
    pub fn dtend(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("DTEND")
    }

    /// DUE (VTODO).
    pub fn due(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("DUE")
    }

    /// DTSTAMP.
    pub fn dtstamp(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("DTSTAMP")
    }

    /// LAST-MODIFIED.
    pub fn last_modified(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("LAST-MODIFIED")
    }

    /// DURATION.
    pub fn duration(&self) -> Result<Option<Duration>, ValueError> {
        self.comp
            .property("DURATION")
            .map(|p| {
                Duration::parse(p.raw_value())
                    .ok_or_else(|| value::verr("DURATION", p.raw_value(), "invalid duration"))
            })
            .transpose()
    }

    /// RECURRENCE-ID (set on an overridden instance).
    pub fn recurrence_id(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("RECURRENCE-ID")
    }

    /// True when RECURRENCE-ID carries `RANGE=THISANDFUTURE`.
    pub fn is_this_and_future(&self) -> bool {
        self.comp
            .property("RECURRENCE-ID")
            .and_then(|p| p.param_value("RANGE"))
            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
    }

    /// Every RRULE.
    pub fn rrules(&self) -> Result<Vec<RRule>, ValueError> {
        self.comp
            .properties_named("RRULE")
            .map(|p| RRule::parse(p.raw_value()))
            .collect()
    }

    /// All RDATE values (PERIOD values give their start).
    pub fn rdates(&self) -> Result<Vec<CalDateTime>, ValueError> {
        let mut out = Vec::new();
        for p in self.comp.properties_named("RDATE") {
            out.extend(CalDateTime::list_from_property(p)?);
        }
        Ok(out)
    }

    /// All EXDATE values.
    pub fn exdates(&self) -> Result<Vec<CalDateTime>, ValueError> {
        let mut out = Vec::new();
        for p in self.comp.properties_named("EXDATE") {
            out.extend(CalDateTime::list_from_property(p)?);
        }
        Ok(out)
    }

    /// PRIORITY (0 undefined, 1 highest .. 9 lowest).
    pub fn priority(&self) -> Option<u8> {
        self.comp
            .property("PRIORITY")
            .and_then(|p| p.raw_value().trim().parse().ok())
    }

    /// CLASS (PUBLIC, PRIVATE, CONFIDENTIAL).
    pub fn class(&self) -> Option<&'a str> {
        self.comp.property("CLASS").map(|p| p.raw_value().trim())
    }

    /// TRANSP (OPAQUE, TRANSPARENT).
    pub fn transparency(&self) -> Option<&'a str> {
        self.comp.property("TRANSP").map(|p| p.raw_value().trim())
    }

    /// URL.
    pub fn url(&self) -> Option<&'a str> {
        self.comp.property("URL").map(|p| p.raw_value().trim())
    }

    /// COLOR (RFC 7986).
    pub fn color(&self) -> Option<&'a str> {
        self.comp.property("COLOR").map(|p| p.raw_value().trim())
    }

    /// PERCENT-COMPLETE (VTODO).
    pub fn percent_complete(&self) -> Option<u8> {
        self.comp
            .property("PERCENT-COMPLETE")
            .and_then(|p| p.raw_value().trim().parse().ok())
    }

    /// COMPLETED (VTODO).
    pub fn completed(&self) -> Result<Option<CalDateTime>, ValueError> {
        self.date("COMPLETED")
    }

    /// RELATED-TO values (parent tasks and the like), as written.
    pub fn related_to(&self) -> Vec<String> {
        self.comp
            .properties_named("RELATED-TO")
            .map(|p| p.raw_value().trim().to_owned())
            .collect()
    }

    /// True when the component has RRULE or RDATE.
    pub fn is_recurring(&self) -> bool {
        self.comp.property("RRULE").is_some() || self.comp.property("RDATE").is_some()
    }

    /// ORGANIZER.
    pub fn organizer(&self) -> Option<CalAddress> {
        self.comp
            .property("ORGANIZER")
            .map(CalAddress::from_property)
    }

    /// Every ATTENDEE.
    pub fn attendees(&self) -> Vec<CalAddress> {
        let mut list: Vec<CalAddress> = self
            .comp
            .properties_named("ATTENDEE")
            .map(CalAddress::from_property)
            .collect();
        // `collect` reserves room for four 272-byte addresses at least
        list.shrink_to_fit();
        list
    }

    /// The VALARM sub-components.
    pub fn alarms(&self) -> impl Iterator<Item = AlarmRef<'a>> + 'a {
        self.comp
            .components()
            .iter()
            .filter(|c| c.is("VALARM"))
            .map(|c| AlarmRef { comp: c })
    }

    /// The effective end: DTEND (or DUE), else DTSTART + DURATION, else DTSTART (+1 day for an
    /// all-day start), as RFC 5545 §3.6.1 says. Wall-clock arithmetic; see [`recur`] for instants.
    pub fn end(&self) -> Result<Option<CalDateTime>, ValueError> {
        let end = if self.kind == ObjectKind::Todo {
            self.due()?
        } else {
            self.dtend()?
        };
        if end.is_some() {
            return Ok(end);
        }
        let Some(start) = self.dtstart()? else {
            return Ok(None);
        };
        Ok(Some(recur::add_duration_local(
            &start,
            self.duration()?.as_ref(),
        )))
    }

    /// A plain summary for serde.
    pub fn to_summary(&self) -> EventSummary {
        EventSummary::build(self, &tz::Resolver::empty(TzPolicy::default()))
    }
}

/// A mutable typed view: setters write into the lossless tree.
#[derive(Debug)]
pub struct CalObjectMut<'a> {
    comp: &'a mut Component,
}

impl<'a> CalObjectMut<'a> {
    /// A mutable view over any component.
    pub fn new(comp: &'a mut Component) -> CalObjectMut<'a> {
        CalObjectMut { comp }
    }

    /// A read-only view of the same component.
    pub fn view(&self) -> CalObject<'_> {
        CalObject::new(self.comp)
    }

    /// The lossless component, mutable.
    pub fn component(&mut self) -> &mut Component {
        self.comp
    }

    fn set_text(&mut self, name: &str, v: Option<&str>) {
        match v {
            Some(v) => {
                if let Some(p) = self.comp.property_mut(name) {
                    p.set_text(v);
                } else {
                    self.comp.push_property(Property::text(name, v));
                }
            }
            None => {
                self.comp.remove_properties(name);
            }
        }
    }

    fn set_date(&mut self, name: &str, v: Option<&CalDateTime>) {
        match v {
            Some(v) => self.comp.set_property(v.to_property(name)),
            None => {
                self.comp.remove_properties(name);
            }
        }
    }

    /// Sets UID.
    pub fn set_uid(&mut self, uid: &str) {
        self.set_text("UID", Some(uid));
    }

    /// Sets or removes SUMMARY.
    pub fn set_summary(&mut self, v: Option<&str>) {
        self.set_text("SUMMARY", v);
    }

    /// Sets or removes DESCRIPTION.
    pub fn set_description(&mut self, v: Option<&str>) {
        self.set_text("DESCRIPTION", v);
    }

    /// Sets or removes LOCATION.
    pub fn set_location(&mut self, v: Option<&str>) {
        self.set_text("LOCATION", v);
    }

    /// Sets or removes STATUS.
    pub fn set_status(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.comp.set_property(Property::new("STATUS", v)),
            None => {
                self.comp.remove_properties("STATUS");
            }
        }
    }

    /// Sets SEQUENCE.
    pub fn set_sequence(&mut self, n: i64) {
        self.comp
            .set_property(Property::new("SEQUENCE", &n.to_string()));
    }

    /// Increments SEQUENCE (from 0 when absent), as a significant change requires.
    pub fn bump_sequence(&mut self) {
        let n = self.view().sequence().unwrap_or(0);
        self.set_sequence(n.saturating_add(1));
    }

    /// Replaces all CATEGORIES with one property holding `cats`.
    pub fn set_categories(&mut self, cats: &[&str]) {
        self.comp.remove_properties("CATEGORIES");
        if !cats.is_empty() {
            let v: Vec<String> = cats
                .iter()
                .map(|c| contentline::escape_text(c).into_owned())
                .collect();
            self.comp
                .push_property(Property::new("CATEGORIES", &v.join(",")));
        }
    }

    /// Sets DTSTART.
    pub fn set_dtstart(&mut self, v: &CalDateTime) {
        self.set_date("DTSTART", Some(v));
    }

    /// Sets or removes DTEND (removes DURATION when set).
    pub fn set_dtend(&mut self, v: Option<&CalDateTime>) {
        if v.is_some() {
            self.comp.remove_properties("DURATION");
        }
        self.set_date("DTEND", v);
    }

    /// Sets or removes DUE.
    pub fn set_due(&mut self, v: Option<&CalDateTime>) {
        self.set_date("DUE", v);
    }

    /// Sets or removes DURATION (removes DTEND when set).
    pub fn set_duration(&mut self, v: Option<&Duration>) {
        match v {
            Some(d) => {
                self.comp.remove_properties("DTEND");
                self.comp
                    .set_property(Property::new("DURATION", &d.to_string()));
            }
            None => {
                self.comp.remove_properties("DURATION");
            }
        }
    }

    /// Sets or removes PRIORITY.
    pub fn set_priority(&mut self, v: Option<u8>) {
        match v {
            Some(n) => self
                .comp
                .set_property(Property::new("PRIORITY", &n.to_string())),
            None => {
                self.comp.remove_properties("PRIORITY");
            }
        }
    }

    /// Marks a VTODO completed at `when` (STATUS:COMPLETED, PERCENT-COMPLETE:100, COMPLETED),
    /// or reopens it (`None`: STATUS:NEEDS-ACTION, the other two removed).
    pub fn set_completed(&mut self, when: Option<&CalDateTime>) {
        match when {
            Some(t) => {
                self.comp.set_property(Property::new("STATUS", "COMPLETED"));
                self.comp
                    .set_property(Property::new("PERCENT-COMPLETE", "100"));
                self.set_date("COMPLETED", Some(t));
            }
            None => {
                self.comp
                    .set_property(Property::new("STATUS", "NEEDS-ACTION"));
                self.comp.remove_properties("PERCENT-COMPLETE");
                self.comp.remove_properties("COMPLETED");
            }
        }
    }

    /// Sets or removes RECURRENCE-ID.
    pub fn set_recurrence_id(&mut self, v: Option<&CalDateTime>) {
        self.set_date("RECURRENCE-ID", v);
    }

    /// Replaces every RRULE with `rule` (or removes them).
    pub fn set_rrule(&mut self, rule: Option<&RRule>) {
        match rule {
            Some(r) => self
                .comp
                .set_property(Property::new("RRULE", &r.to_string())),
            None => {
                self.comp.remove_properties("RRULE");
            }
        }
    }

    /// Adds one EXDATE (same form as the value: TZID or VALUE=DATE as needed).
    pub fn add_exdate(&mut self, v: &CalDateTime) {
        self.comp.push_property(v.to_property("EXDATE"));
    }

    /// Adds one RDATE.
    pub fn add_rdate(&mut self, v: &CalDateTime) {
        self.comp.push_property(v.to_property("RDATE"));
    }

    /// Sets or removes ORGANIZER.
    pub fn set_organizer(&mut self, org: Option<&CalAddress>) {
        match org {
            Some(o) => self.comp.set_property(o.to_property("ORGANIZER")),
            None => {
                self.comp.remove_properties("ORGANIZER");
            }
        }
    }

    /// Adds an ATTENDEE, or replaces the one with the same address.
    pub fn upsert_attendee(&mut self, a: &CalAddress) {
        let prop = a.to_property("ATTENDEE");
        let slot =
            self.comp.properties_mut().iter_mut().find(|p| {
                p.is("ATTENDEE") && p.raw_value().trim().eq_ignore_ascii_case(a.uri.trim())
            });
        match slot {
            Some(p) => *p = prop,
            None => self.comp.push_property(prop),
        }
    }

    /// Removes the ATTENDEE whose address (URI or e-mail) matches; returns true if one was removed.
    pub fn remove_attendee(&mut self, address: &str) -> bool {
        let before = self.comp.properties().len();
        self.comp.properties_mut().retain(|p| {
            !(p.is("ATTENDEE") && {
                let a = CalAddress::from_property(p);
                a.uri.eq_ignore_ascii_case(address)
                    || a.email.is_some_and(|e| e.eq_ignore_ascii_case(address))
            })
        });
        self.comp.properties().len() != before
    }

    /// Sets PARTSTAT of the attendee with this e-mail; returns false when there is none.
    pub fn set_partstat(&mut self, email: &str, partstat: &str) -> bool {
        for p in self.comp.properties_mut().iter_mut() {
            if p.is("ATTENDEE")
                && CalAddress::from_property(p)
                    .email
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            {
                p.set_param("PARTSTAT", &[partstat]);
                return true;
            }
        }
        false
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
