//! The organizer's side (RFC 5546 §2.1.4, §3.2; RFC 6638 §3.2): who organizes (from the
//! principal's `calendar-user-address-set`), who is invited, and the SEQUENCE and DTSTAMP of
//! each version.
//!
//! Write the result through the normal conditional writes: a new meeting with
//! [`Session::create_object`](crate::Session::create_object) (`If-None-Match: *`), a change
//! with [`Session::update_object`](crate::Session::update_object) (`If-Match`), cancelling the
//! whole meeting with [`Session::delete_object`](crate::Session::delete_object). A server
//! that schedules (RFC 6638) then sends REQUEST and CANCEL messages itself; for one that does
//! not, build them with [`itip`](super::itip).

use serde::{Deserialize, Serialize};

use crate::contentline::{Component, Property};
use crate::error::{Error, Result};
use crate::icalendar::{CalAddress, CalDateTime, Calendar};
use crate::rfc6638::Scheduling;

use super::{
    checked_address, invalid, is_address, rid_of, scheduling_components, scheduling_components_mut,
    sequence_of, the_uid, utc_stamp,
};

/// The properties whose change is significant (RFC 5545 §3.8.7.4: a change "that would affect
/// the scheduling of the calendar component"): the organizer bumps SEQUENCE and attendees are
/// asked again.
pub const SIGNIFICANT: [&str; 9] = [
    "DTSTART", "DTEND", "DURATION", "DUE", "RRULE", "RDATE", "EXDATE", "EXRULE", "STATUS",
];

/// The address to write as ORGANIZER for a principal: the one the server marks preferred,
/// else the first `mailto:` address, else the first address; `None` when the server reported
/// no `calendar-user-address-set` (it does not schedule).
pub fn organizer_address(scheduling: &Scheduling) -> Option<CalAddress> {
    let uri = scheduling
        .preferred_address
        .as_deref()
        .or_else(|| {
            scheduling
                .user_addresses
                .iter()
                .map(String::as_str)
                .find(|a| CalAddress::from_uri(a).email.is_some())
        })
        .or_else(|| scheduling.user_addresses.first().map(String::as_str))?;
    Some(CalAddress::from_uri(uri))
}

/// Makes `cal` a meeting organized by `organizer` with these attendees: ORGANIZER set on every
/// component, each attendee added (or updated, keeping the parameters davkit does not model,
/// such as SCHEDULE-AGENT) with `PARTSTAT=NEEDS-ACTION`, `RSVP=TRUE` and
/// `ROLE=REQ-PARTICIPANT` unless the [`CalAddress`] says otherwise (the organizer listed as
/// an attendee gets `PARTSTAT=ACCEPTED`, `ROLE=CHAIR` and no RSVP), SEQUENCE 0 where absent,
/// DTSTAMP set to `dtstamp`.
///
/// Refused ([`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)) when the calendar holds no component with a UID or
/// several UIDs, when an address is empty or holds a control character, or when `dtstamp` is
/// not a UTC date-time.
pub fn invite(
    cal: &mut Calendar,
    organizer: &CalAddress,
    attendees: &[CalAddress],
    dtstamp: &str,
) -> Result<()> {
    let stamp = utc_stamp(dtstamp)?;
    the_uid(cal)?;
    checked_address(&organizer.uri)?;
    for a in attendees {
        checked_address(&a.uri)?;
    }
    for c in scheduling_components_mut(cal) {
        set_organizer(c, organizer);
        for a in attendees {
            let mut a = a.clone();
            if super::same_address(&a.uri, &organizer.uri) {
                // the organizer listed as an attendee: no answer asked of them
                a.partstat.get_or_insert_with(|| "ACCEPTED".into());
                a.role.get_or_insert_with(|| "CHAIR".into());
            } else {
                a.partstat.get_or_insert_with(|| "NEEDS-ACTION".into());
                a.rsvp.get_or_insert(true);
                a.role.get_or_insert_with(|| "REQ-PARTICIPANT".into());
            }
            upsert_attendee(c, &a);
        }
        if c.property("SEQUENCE").is_none() {
            c.push_property(Property::new("SEQUENCE", "0"));
        }
        c.set_property(Property::new("DTSTAMP", &stamp));
    }
    Ok(())
}

/// Sets SCHEDULE-AGENT (RFC 6638 §7.1: `SERVER`, `CLIENT` or `NONE`) on the attendee with this
/// address in every component; returns false when there is no such attendee. With `CLIENT`
/// the server leaves that attendee to the app, which sends the [`itip`](super::itip) message
/// itself ([`client_scheduled`] lists them).
pub fn set_schedule_agent(cal: &mut Calendar, address: &str, agent: &str) -> Result<bool> {
    let agent = agent.trim().to_ascii_uppercase();
    if !matches!(agent.as_str(), "SERVER" | "CLIENT" | "NONE") {
        return Err(invalid("SCHEDULE-AGENT is SERVER, CLIENT or NONE"));
    }
    let mut found = false;
    for c in scheduling_components_mut(cal) {
        for p in c.properties_mut().iter_mut() {
            if p.is("ATTENDEE") && is_address(p, &[address]) {
                p.set_param("SCHEDULE-AGENT", &[&agent]);
                found = true;
            }
        }
    }
    Ok(found)
}

/// The attendees the app must send iTIP messages to itself: those with
/// `SCHEDULE-AGENT=CLIENT` when the server schedules, every attendee except the organizer
/// and those with `SCHEDULE-AGENT=NONE` when it does not (`server_schedules` false).
/// Deduplicated, in order of first appearance.
pub fn client_scheduled(cal: &Calendar, server_schedules: bool) -> Vec<String> {
    let organizer = scheduling_components(cal)
        .find_map(|c| c.property("ORGANIZER"))
        .map(|p| p.raw_value().trim().to_owned());
    let mut out: Vec<String> = Vec::new();
    // the addresses listed, by `address_key` (a search of `out` for each was quadratic)
    let mut listed = crate::string_set::StringSet::new();
    for c in scheduling_components(cal) {
        for p in c.properties_named("ATTENDEE") {
            let agent = super::ScheduleAgent::parse(p.param_value("SCHEDULE-AGENT").as_deref());
            let wanted = if server_schedules {
                agent == super::ScheduleAgent::Client
            } else {
                agent != super::ScheduleAgent::None
            };
            let uri = p.raw_value().trim().to_owned();
            let is_org = organizer
                .as_deref()
                .is_some_and(|o| super::same_address(o, &uri));
            if wanted && !is_org && listed.insert(super::address_key(&uri)) {
                out.push(uri);
            }
        }
    }
    out
}

/// What [`update`] did to one component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "MeetingChange"))]
pub struct Change {
    /// The component's RECURRENCE-ID value, `None` for the series.
    pub recurrence_id: Option<String>,
    /// Whether a [`SIGNIFICANT`] property changed (or the component is new).
    pub significant: bool,
    /// The SEQUENCE now written.
    pub sequence: i64,
}

/// Prepares an edited meeting for writing (RFC 5546 §2.1.4): each component of `new` is
/// compared with the same component (UID and RECURRENCE-ID) of `old`, the version read from
/// the server. A significant change ([`SIGNIFICANT`]; a new override counts) makes SEQUENCE
/// one more than the old one (unless the app already raised it); otherwise SEQUENCE never goes
/// below the old one. DTSTAMP becomes `dtstamp` everywhere. With `reset_answers`, a
/// significant change also sets every attendee's PARTSTAT back to `NEEDS-ACTION` with
/// `RSVP=TRUE` (the organizer asks again; the organizer's own row is left alone).
pub fn update(
    old: &Calendar,
    new: &mut Calendar,
    dtstamp: &str,
    reset_answers: bool,
) -> Result<Vec<Change>> {
    let stamp = utc_stamp(dtstamp)?;
    let uid = the_uid(new)?;
    if the_uid(old)? != uid {
        return Err(invalid("the old and new versions have different UIDs"));
    }
    let old_master_seq = scheduling_components(old)
        .find(|c| c.property("RECURRENCE-ID").is_none())
        .map(sequence_of)
        .unwrap_or(0);
    let mut olds: Vec<(Option<CalDateTime>, &Component)> = Vec::new();
    for c in scheduling_components(old) {
        olds.push((rid_of(c)?, c));
    }
    let mut changes = Vec::new();
    for c in scheduling_components_mut(new) {
        let rid = rid_of(c)?;
        let before = olds
            .iter()
            .find(|(r, _)| same_rid(r.as_ref(), rid.as_ref()))
            .map(|(_, c)| *c);
        let old_seq = before.map(sequence_of).unwrap_or(old_master_seq);
        let significant = match before {
            Some(b) => SIGNIFICANT.iter().any(|n| lines(b, n) != lines(c, n)),
            None => true,
        };
        let mut seq = sequence_of(c).max(old_seq);
        if significant && seq <= old_seq {
            seq = old_seq.saturating_add(1);
        }
        c.set_property(Property::new("SEQUENCE", &seq.to_string()));
        c.set_property(Property::new("DTSTAMP", &stamp));
        if significant && reset_answers {
            let org = c
                .property("ORGANIZER")
                .map(|p| p.raw_value().trim().to_owned());
            for p in c.properties_mut().iter_mut() {
                let is_org = org.as_deref().is_some_and(|o| is_address(p, &[o]));
                if p.is("ATTENDEE") && !is_org {
                    p.set_param("PARTSTAT", &["NEEDS-ACTION"]);
                    p.set_param("RSVP", &["TRUE"]);
                }
            }
        }
        changes.push(Change {
            recurrence_id: rid.map(|r| r.to_ical_value()),
            significant,
            sequence: seq,
        });
    }
    Ok(changes)
}

/// Cancels one occurrence of a recurring meeting (RFC 5546 §3.2.5 for one instance): an
/// EXDATE on the series, the occurrence's override removed, the series' SEQUENCE bumped and
/// DTSTAMP set. Write it with `update_object`; a scheduling server sends the CANCEL.
pub fn cancel_occurrence(
    cal: &mut Calendar,
    recurrence_id: &CalDateTime,
    dtstamp: &str,
) -> Result<()> {
    let stamp = utc_stamp(dtstamp)?;
    let uid = the_uid(cal)?;
    cal.delete_occurrence(&uid, recurrence_id)
        .map_err(Error::from)?;
    if let Some(mut m) = cal.find_mut(&uid, None) {
        m.bump_sequence();
        m.component().set_property(Property::new("DTSTAMP", &stamp));
    }
    Ok(())
}

/// Marks the whole meeting cancelled (STATUS:CANCELLED, SEQUENCE bumped, DTSTAMP set on every
/// component), for a copy the organizer keeps or for an iTIP CANCEL. On a scheduling server,
/// deleting the organizer's resource is the cancel (RFC 6638 §3.2.1.3).
pub fn cancel(cal: &mut Calendar, dtstamp: &str) -> Result<()> {
    let stamp = utc_stamp(dtstamp)?;
    the_uid(cal)?;
    for c in scheduling_components_mut(cal) {
        let seq = sequence_of(c).saturating_add(1);
        c.set_property(Property::new("STATUS", "CANCELLED"));
        c.set_property(Property::new("SEQUENCE", &seq.to_string()));
        c.set_property(Property::new("DTSTAMP", &stamp));
    }
    Ok(())
}

fn set_organizer(c: &mut Component, organizer: &CalAddress) {
    match c.properties_mut().iter_mut().find(|p| p.is("ORGANIZER")) {
        Some(p) if super::same_address(p.raw_value(), &organizer.uri) => merge_params(p, organizer),
        _ => c.set_property(organizer.to_property("ORGANIZER")),
    }
}

/// Adds an ATTENDEE, or sets the given parameters on the existing one (other parameters,
/// SCHEDULE-AGENT and SCHEDULE-STATUS among them, stay).
fn upsert_attendee(c: &mut Component, a: &CalAddress) {
    let existing = c
        .properties_mut()
        .iter_mut()
        .find(|p| p.is("ATTENDEE") && super::same_address(p.raw_value(), &a.uri));
    match existing {
        Some(p) => merge_params(p, a),
        None => c.push_property(a.to_property("ATTENDEE")),
    }
}

fn merge_params(p: &mut Property, a: &CalAddress) {
    let fresh = a.to_property(p.name());
    let params: Vec<(String, Vec<String>)> = fresh
        .params()
        .map(|x| {
            (
                x.name().to_owned(),
                x.values().map(|v| v.into_owned()).collect(),
            )
        })
        .collect();
    for (name, values) in params {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        p.set_param(&name, &values);
    }
}

/// The lines of one property name, sorted (the order of RDATE or EXDATE lines is no change).
fn lines(c: &Component, name: &str) -> Vec<String> {
    let mut v: Vec<String> = c
        .properties_named(name)
        .map(|p| p.as_str().trim_end().to_owned())
        .collect();
    v.sort_unstable();
    v
}

fn same_rid(a: Option<&CalDateTime>, b: Option<&CalDateTime>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || a.local() == b.local(),
        _ => false,
    }
}
