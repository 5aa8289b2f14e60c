//! Editing one VEVENT, VTODO, VJOURNAL or VFREEBUSY (RFC 5545 §3.6, §3.8): setters that write
//! into the lossless component and keep what they do not model.

use super::civil::{DAY, dt_from_local_secs, local_secs};
use super::tz::{Resolver, TzPolicy};
use super::value::{CalAddress, CalDateTime, Duration};
use super::{CalObject, RRule};
use crate::contentline::{self, Component, Property};

/// A mutable typed view: setters write into the lossless tree.
#[derive(Debug)]
pub struct CalObjectMut<'a> {
    pub(super) comp: &'a mut Component,
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

    /// Sets DTSTART and keeps the length, as a calendar app moves an event: DTEND (DUE on a
    /// VTODO) moves along; DURATION, which says the length itself, is left as it is. To set
    /// both ends, set the start first.
    ///
    /// The length is the one the expansion ([`Calendar::expand`](super::Calendar::expand))
    /// gives each occurrence of a series, so a moved occurrence keeps the length it was shown
    /// with:
    /// - DTSTART and DTEND in one form (one TZID, both UTC, both floating, both dates): the
    ///   wall-clock length in that zone, the end in the form of the new start. A 22:00-06:00
    ///   night moved onto the night clocks go forward still ends at 06:00 (7 hours that
    ///   night), a Friday 09:00 to Sunday 17:00 conference still ends on Sunday at 17:00.
    ///   (RFC 5545 §3.8.5.3 speaks of the exact duration of a DTEND series; like common
    ///   clients, the expansion keeps the wall clock, and moving follows it.)
    /// - DTSTART and DTEND in different zones (a flight, a UTC end): the exact time between
    ///   them, the end in its own zone, wherever the zones' DST changes fall.
    /// - a new start that is a DATE (the event made all-day): DTEND becomes the DATE after the
    ///   last day the event touched (at least one day); a DATE-TIME start for an all-day event
    ///   keeps its days on the wall clock.
    ///
    /// TZIDs are resolved through the IANA database here (one only a VTIMEZONE defines is read
    /// as UTC); the copies [`Calendar::override_occurrence`](super::Calendar::override_occurrence)
    /// makes also read the calendar's VTIMEZONEs.
    pub fn set_dtstart(&mut self, v: &CalDateTime) {
        self.move_start(v, &Resolver::empty(TzPolicy::default()));
    }

    /// [`CalObjectMut::set_dtstart`] with the zones of `zones`.
    pub(super) fn move_start(&mut self, v: &CalDateTime, zones: &Resolver<'_>) {
        let view = self.view();
        let name = view.end_name();
        let end = match (view.dtstart(), view.date(name)) {
            (Ok(Some(s)), Ok(Some(e))) => Some(moved_end(&s, &e, v, zones)),
            _ => None,
        };
        if end.is_some() {
            self.set_date(name, end.as_ref());
        }
        self.set_date("DTSTART", Some(v));
    }

    /// Sets or removes the end: DTEND, or DUE on a VTODO, which has no DTEND (RFC 5545
    /// §3.6.2); DURATION goes when it is set. Written as given: an end before the start, or
    /// of another value type than DTSTART, is the caller's to avoid.
    pub fn set_dtend(&mut self, v: Option<&CalDateTime>) {
        if v.is_some() {
            self.comp.remove_properties("DURATION");
        }
        self.set_date(self.view().end_name(), v);
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

/// Where the end goes when the start moves from `start` to `to`, the length kept as
/// [`CalObjectMut::set_dtstart`] says.
fn moved_end(
    start: &CalDateTime,
    end: &CalDateTime,
    to: &CalDateTime,
    zones: &Resolver<'_>,
) -> CalDateTime {
    let (s, e, t) = (
        local_secs(start.local()),
        local_secs(end.local()),
        local_secs(to.local()),
    );
    let one_form =
        std::mem::discriminant(start) == std::mem::discriminant(end) && start.tzid() == end.tzid();
    let (form, at) = if to.is_date() {
        let days = (e - s + s.rem_euclid(DAY) + DAY - 1).div_euclid(DAY);
        (to, t + days.max(1) * DAY)
    } else if one_form || start.is_date() || end.is_date() {
        (to, t + e - s)
    } else {
        let zone = |v: &CalDateTime| v.tzid().and_then(|z| zones.resolve(z));
        let utc = |v: &CalDateTime, l: i64| zone(v).map_or(l, |z| z.local_to_utc(l));
        let at = utc(to, t) + utc(end, e) - utc(start, s);
        (end, zone(end).map_or(at, |z| z.utc_to_local(at)))
    };
    dt_from_local_secs(at).map_or_else(|| end.clone(), |dt| form.with_local(dt))
}
