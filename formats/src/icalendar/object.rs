//! Reading one VEVENT, VTODO, VJOURNAL or VFREEBUSY (RFC 5545 §3.6, §3.8) through typed getters
//! over the lossless component.

use std::borrow::Cow;

use super::value::{CalAddress, CalDateTime, Duration, ValueError};
use super::{AlarmRef, EventSummary, ObjectKind, RRule, TzPolicy, recur, tz, value};
use crate::contentline::{Component, Property};

/// A read-only typed view of one VEVENT, VTODO, VJOURNAL or VFREEBUSY (or any component).
#[derive(Clone, Copy, Debug)]
pub struct CalObject<'a> {
    pub(super) comp: &'a Component,
    pub(super) kind: ObjectKind,
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

    pub(super) fn date(&self, name: &str) -> Result<Option<CalDateTime>, ValueError> {
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
            .text_list("CATEGORIES")
            .map(Cow::into_owned)
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

    /// The property that ends this component: DUE on a VTODO, DTEND on the others.
    pub(super) fn end_name(&self) -> &'static str {
        if self.kind == ObjectKind::Todo {
            "DUE"
        } else {
            "DTEND"
        }
    }

    /// The effective end: DTEND (or DUE), else DTSTART + DURATION, else DTSTART (+1 day for an
    /// all-day start), as RFC 5545 §3.6.1 says. Wall-clock arithmetic; see [`recur`] for instants.
    pub fn end(&self) -> Result<Option<CalDateTime>, ValueError> {
        let end = self.date(self.end_name())?;
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
