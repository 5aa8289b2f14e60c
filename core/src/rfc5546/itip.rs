//! iTIP messages (RFC 5546) as text: REQUEST (§3.2.2), REPLY (§3.2.3) and CANCEL (§3.2.5)
//! built from a stored event for apps whose server does not schedule (they send them by mail,
//! iMIP, RFC 6047), a received message parsed ([`Message::parse`]), and applied to the stored
//! event ([`apply`]) in RFC 5546 §2.1.5 order: a message with a lower SEQUENCE than the stored
//! component is ignored, and for a REPLY with the same SEQUENCE, one with an older DTSTAMP
//! than the last reply applied from that attendee is ignored too.
//!
//! The DTSTAMP of the last REPLY applied for an attendee is kept on that ATTENDEE as the
//! `X-CALENDARSERVER-DTSTAMP` parameter, the name Apple's Calendar Server uses for the same
//! purpose, so that servers and clients that know it read it.
//!
//! Messages carry none of RFC 6638's server parameters ([`SCHEDULING_PARAMS`]).

use serde::{Deserialize, Serialize};

use crate::contentline::{Component, Property};
use crate::error::{Error, ErrorKind, Result};
use crate::icalendar::{CalAddress, CalDateTime, CalObjectMut, Calendar, Occurrences};

use super::{
    SCHEDULING_PARAMS, invalid, is_address, rid_of, scheduling_components, sequence_of, the_uid,
    utc_stamp,
};

/// The ATTENDEE parameter that records the DTSTAMP of the last REPLY applied.
pub const REPLY_STAMP_PARAM: &str = "X-CALENDARSERVER-DTSTAMP";

/// An iTIP method (RFC 5546 §1.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "ItipMethod"))]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// `PUBLISH`.
    Publish,
    /// `REQUEST`: an invitation or an update of one.
    Request,
    /// `REPLY`: an attendee's answer.
    Reply,
    /// `ADD`: added occurrences.
    Add,
    /// `CANCEL`: the meeting or some occurrences are cancelled.
    Cancel,
    /// `REFRESH`: an attendee asks for the latest version.
    Refresh,
    /// `COUNTER`: an attendee proposes a change.
    Counter,
    /// `DECLINECOUNTER`: the organizer refuses a COUNTER.
    DeclineCounter,
    /// Any other value, upper-cased.
    Other(String),
}

impl Method {
    /// Reads a METHOD value.
    pub fn parse(value: &str) -> Method {
        let v = value.trim().to_ascii_uppercase();
        match v.as_str() {
            "PUBLISH" => Method::Publish,
            "REQUEST" => Method::Request,
            "REPLY" => Method::Reply,
            "ADD" => Method::Add,
            "CANCEL" => Method::Cancel,
            "REFRESH" => Method::Refresh,
            "COUNTER" => Method::Counter,
            "DECLINECOUNTER" => Method::DeclineCounter,
            _ => Method::Other(v),
        }
    }

    /// The METHOD text.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Reply => "REPLY",
            Method::Add => "ADD",
            Method::Cancel => "CANCEL",
            Method::Refresh => "REFRESH",
            Method::Counter => "COUNTER",
            Method::DeclineCounter => "DECLINECOUNTER",
            Method::Other(s) => s,
        }
    }
}

/// A received iTIP message: its method and the calendar it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The METHOD.
    pub method: Method,
    /// The UID every component shares.
    pub uid: String,
    /// The calendar as received (METHOD included).
    pub calendar: Calendar,
}

impl Message {
    /// Reads an iTIP message within the default [`Limits`](crate::Limits).
    pub fn parse(text: &str) -> Result<Message> {
        Self::parse_with_limits(text, &crate::Limits::default())
    }

    /// Reads an iTIP message: a VCALENDAR with a METHOD and components sharing one UID, each
    /// with an ORGANIZER (RFC 5546 §3.2: every method here requires it). Anything else is an
    /// [`ErrorKind::ICalendar`] error (or [`ErrorKind::LimitExceeded`] past the limits).
    pub fn parse_with_limits(text: &str, limits: &crate::Limits) -> Result<Message> {
        let calendar = Calendar::parse_with_limits(text, limits).map_err(Error::from)?;
        let method = calendar
            .method()
            .map(Method::parse)
            .ok_or_else(|| bad("an iTIP message needs a METHOD"))?;
        let uid = the_uid(&calendar).map_err(|e| match e.kind() {
            ErrorKind::LimitExceeded => e,
            _ => bad(e.message()),
        })?;
        if scheduling_components(&calendar).any(|c| c.property("ORGANIZER").is_none()) {
            return Err(bad("an iTIP component needs an ORGANIZER"));
        }
        for c in scheduling_components(&calendar) {
            rid_of(c)?;
        }
        Ok(Message {
            method,
            uid,
            calendar,
        })
    }

    /// The calendar to store for a new invitation: the message without METHOD.
    pub fn to_stored(&self) -> Calendar {
        let mut cal = self.calendar.clone();
        cal.component_mut().remove_properties("METHOD");
        cal
    }

    /// The sender of a REPLY: its one ATTENDEE (the first, if a client sent several).
    pub fn replying_attendee(&self) -> Option<CalAddress> {
        scheduling_components(&self.calendar)
            .find_map(|c| c.property("ATTENDEE"))
            .map(CalAddress::from_property)
    }

    /// The highest SEQUENCE of the message's components.
    pub fn sequence(&self) -> i64 {
        scheduling_components(&self.calendar)
            .map(sequence_of)
            .max()
            .unwrap_or(0)
    }
}

/// A REQUEST (RFC 5546 §3.2.2) for the whole meeting: the stored organizer copy with
/// `METHOD:REQUEST`, every component and VTIMEZONE, without the RFC 6638 parameters.
pub fn request(cal: &Calendar) -> Result<String> {
    message(cal, Method::Request, |_| true, |c| Some(c.clone()))
}

/// A CANCEL (RFC 5546 §3.2.5): of the whole meeting (`occurrence` `None`), or of one
/// occurrence (one component with its RECURRENCE-ID). Cancel in the stored copy first
/// ([`organizer::cancel`](super::organizer::cancel) or
/// [`organizer::cancel_occurrence`](super::organizer::cancel_occurrence)) so the SEQUENCE
/// sent is the new one.
pub fn cancel(cal: &Calendar, occurrence: Option<&CalDateTime>) -> Result<String> {
    let uid = the_uid(cal)?;
    let Some(rid) = occurrence else {
        return message(
            cal,
            Method::Cancel,
            |_| true,
            |c| {
                let mut c = keep(
                    c,
                    &[
                        "UID",
                        "ORGANIZER",
                        "ATTENDEE",
                        "SEQUENCE",
                        "DTSTAMP",
                        "RECURRENCE-ID",
                        "DTSTART",
                        "DTEND",
                        "DURATION",
                        "DUE",
                        "RRULE",
                        "SUMMARY",
                    ],
                );
                c.set_property(Property::new("STATUS", "CANCELLED"));
                Some(c)
            },
        );
    };
    let master = cal
        .find(&uid, None)
        .ok_or_else(|| invalid("the event has no series to cancel an occurrence of"))?
        .component()
        .clone();
    let mut c = keep(
        &master,
        &[
            "UID",
            "ORGANIZER",
            "ATTENDEE",
            "SEQUENCE",
            "DTSTAMP",
            "SUMMARY",
        ],
    );
    c.set_property(rid.to_property("RECURRENCE-ID"));
    c.set_property(Property::new("STATUS", "CANCELLED"));
    let mut out = Calendar::new("-//davkit//iTIP//EN");
    out.component_mut()
        .set_property(Property::new("METHOD", Method::Cancel.as_str()));
    copy_timezones(cal, &mut out, std::slice::from_ref(&c));
    out.component_mut().push_component(strip(c));
    Ok(out.to_ics_with_timezones())
}

/// A REPLY (RFC 5546 §3.2.3) from the attendee whose address is one of `my_addresses`, for the
/// whole series (the master and each override the attendee appears in) or for one occurrence,
/// with this attendee's current PARTSTAT as stored (answer first with
/// [`attendee::respond`](super::attendee::respond)). Each component carries UID, ORGANIZER,
/// that one ATTENDEE, SEQUENCE, RECURRENCE-ID where there is one, DTSTART and `dtstamp`.
pub fn reply(
    cal: &Calendar,
    my_addresses: &[&str],
    occurrence: Option<&CalDateTime>,
    dtstamp: &str,
) -> Result<String> {
    let stamp = utc_stamp(dtstamp)?;
    let uid = the_uid(cal)?;
    let wanted = |c: &Component| -> bool {
        match occurrence {
            None => true,
            Some(rid) => rid_of(c)
                .ok()
                .flatten()
                .is_some_and(|r| r == *rid || r.local() == rid.local()),
        }
    };
    let mut comps: Vec<Component> = Vec::new();
    for c in scheduling_components(cal).filter(|c| wanted(c)) {
        let Some(me) = c
            .properties_named("ATTENDEE")
            .find(|p| is_address(p, my_addresses))
        else {
            continue;
        };
        let mut r = keep(
            c,
            &[
                "UID",
                "ORGANIZER",
                "SEQUENCE",
                "RECURRENCE-ID",
                "DTSTART",
                "DTEND",
                "DURATION",
                "DUE",
            ],
        );
        r.push_property(me.clone());
        r.set_property(Property::new("DTSTAMP", &stamp));
        comps.push(r);
    }
    if comps.is_empty() {
        if let Some(rid) = occurrence {
            // the occurrence has no override: answer it from the series' row
            let master = cal
                .find(&uid, None)
                .ok_or_else(|| invalid("the event has no series"))?;
            let me = master
                .component()
                .properties_named("ATTENDEE")
                .find(|p| is_address(p, my_addresses))
                .ok_or_else(|| invalid("none of these addresses is an attendee of the event"))?
                .clone();
            let mut r = keep(master.component(), &["UID", "ORGANIZER", "SEQUENCE"]);
            r.set_property(rid.to_property("RECURRENCE-ID"));
            r.push_property(me);
            r.set_property(Property::new("DTSTAMP", &stamp));
            comps.push(r);
        } else {
            return Err(invalid(
                "none of these addresses is an attendee of the event",
            ));
        }
    }
    let mut out = Calendar::new("-//davkit//iTIP//EN");
    out.component_mut()
        .set_property(Property::new("METHOD", Method::Reply.as_str()));
    copy_timezones(cal, &mut out, &comps);
    for c in comps {
        out.component_mut().push_component(strip(c));
    }
    Ok(out.to_ics_with_timezones())
}

/// What [`apply`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "ItipApplied"))]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Applied {
    /// The stored event changed; write it back (conditionally).
    Updated,
    /// Nothing changed: the message is older than what is stored (a lower SEQUENCE, or a
    /// REPLY with an older DTSTAMP than the last one applied from that attendee).
    Outdated,
    /// Nothing changed: a REPLY from someone who is not an attendee (and not a delegate).
    UnknownAttendee,
    /// The method is not one [`apply`] handles (PUBLISH, ADD, REFRESH, COUNTER, ...).
    Unhandled,
}

/// Applies a received message to the stored event with the same UID:
///
/// - REPLY (organizer's copy): the attendee's PARTSTAT (and DELEGATED-TO) for each component,
///   an override created for a reply to one occurrence; a delegate named by DELEGATED-FROM is
///   added. Ignored per component when older (see the module text).
/// - CANCEL (attendee's copy): the whole event STATUS:CANCELLED with the message's SEQUENCE,
///   or one occurrence removed (EXDATE on the series, override dropped).
/// - REQUEST (attendee's copy): the stored components replaced by the message's, keeping the
///   user's own PARTSTAT when the SEQUENCE did not change (a non-significant update).
///
/// A different UID is an [`ErrorKind::InvalidInput`] error. `my_addresses` are the user's
/// addresses (used for REQUEST).
pub fn apply(stored: &mut Calendar, message: &Message, my_addresses: &[&str]) -> Result<Applied> {
    let uid = the_uid(stored)?;
    if uid != message.uid {
        return Err(invalid(
            "the message is about another event (its UID differs)",
        ));
    }
    match message.method {
        Method::Reply => apply_reply(stored, message, &uid),
        Method::Cancel => apply_cancel(stored, message, &uid),
        Method::Request => apply_request(stored, message, &uid, my_addresses),
        _ => Ok(Applied::Unhandled),
    }
}

fn apply_reply(stored: &mut Calendar, message: &Message, uid: &str) -> Result<Applied> {
    let mut outcome = Applied::UnknownAttendee;
    // The stored components found by position, read once (a `Calendar::find` per message
    // component was quadratic: about a second for 1,000 against 1,000).
    let mut occurrences = Occurrences::of(stored, uid);
    for m in scheduling_components(&message.calendar) {
        let Some(att) = m.property("ATTENDEE") else {
            continue;
        };
        let rid = rid_of(m)?;
        let m_seq = sequence_of(m);
        let m_stamp = stamp_of(m);
        let address = att.raw_value().trim().to_owned();
        let reply = CalAddress::from_property(att);
        // the stored component, or an override made for a reply to one occurrence
        let at = match occurrences.find(rid.as_ref()) {
            Some(at) => at,
            None => {
                let Some(r) = &rid else { continue };
                let master = occurrences.find(None).and_then(|at| component(stored, at));
                let Some(master) = master.filter(|c| {
                    c.properties_named("ATTENDEE")
                        .any(|p| is_address(p, &[&address]))
                }) else {
                    continue;
                };
                if m_seq < sequence_of(master) {
                    outcome = Applied::Outdated;
                    continue;
                }
                let at = stored.push_override(uid, r).map_err(Error::from)?;
                occurrences.insert(at, Some(r));
                at
            }
        };
        let Some(c) = stored.component_mut().components_mut().get_mut(at) else {
            continue;
        };
        if m_seq < sequence_of(c) {
            outcome = Applied::Outdated;
            continue;
        }
        let delegated_from = reply.delegated_from.first().cloned();
        let slot = c
            .properties()
            .iter()
            .position(|p| p.is("ATTENDEE") && is_address(p, &[&address]));
        let idx = match slot {
            Some(i) => i,
            None if delegated_from
                .as_deref()
                .is_some_and(|d| c.properties_named("ATTENDEE").any(|p| is_address(p, &[d]))) =>
            {
                c.push_property(Property::new("ATTENDEE", &address));
                c.properties().len() - 1
            }
            None => continue,
        };
        let Some(p) = c.properties_mut().get_mut(idx) else {
            continue;
        };
        if let (Some(new), Some(old)) = (&m_stamp, p.param_value(REPLY_STAMP_PARAM))
            && new.as_str() < old.as_ref()
        {
            outcome = Applied::Outdated;
            continue;
        }
        let partstat = reply
            .partstat
            .clone()
            .unwrap_or_else(|| "NEEDS-ACTION".into());
        p.set_param("PARTSTAT", &[&partstat]);
        p.remove_param("RSVP");
        if !reply.delegated_to.is_empty() {
            let v: Vec<&str> = reply.delegated_to.iter().map(String::as_str).collect();
            p.set_param("DELEGATED-TO", &v);
        }
        if let Some(d) = &delegated_from {
            p.set_param("DELEGATED-FROM", &[d]);
        }
        if let Some(s) = &m_stamp {
            p.set_param(REPLY_STAMP_PARAM, &[s]);
        }
        outcome = Applied::Updated;
    }
    Ok(outcome)
}

fn apply_cancel(stored: &mut Calendar, message: &Message, uid: &str) -> Result<Applied> {
    // Found by position, read once (see `apply_reply`); the overrides a cancelled occurrence
    // takes away are marked, and removed together at the end.
    let mut occurrences = Occurrences::of(stored, uid);
    let master = occurrences.find(None);
    let stored_seq = master.and_then(|at| component(stored, at)).map(sequence_of);
    let mut removed: Vec<usize> = Vec::new();
    // The highest SEQUENCE of the whole-event cancels applied so far: each sets STATUS and
    // raises SEQUENCE on every component, done once at the end (a pass over the stored
    // components for each of a thousand such components took 5.8 s in the npm module), and
    // read meanwhile wherever a stored SEQUENCE is.
    let mut cancelled: Option<i64> = None;
    let mut outcome = Applied::Outdated;
    for m in scheduling_components(&message.calendar) {
        let m_seq = sequence_of(m);
        match rid_of(m)? {
            None => {
                if stored_seq.is_some_and(|s| m_seq < s) {
                    continue;
                }
                cancelled = Some(cancelled.map_or(m_seq, |c| c.max(m_seq)));
                outcome = Applied::Updated;
            }
            Some(rid) => {
                let own = occurrences.find(Some(&rid));
                let own_seq = own
                    .and_then(|at| component(stored, at))
                    .map(|c| sequence_of(c).max(cancelled.unwrap_or(i64::MIN)));
                if own_seq.or(stored_seq).is_some_and(|s| m_seq < s) {
                    continue;
                }
                if master.is_some() {
                    // `Calendar::delete_occurrence`, its overrides removed below
                    stored.exclude_occurrence(uid, &rid).map_err(Error::from)?;
                    removed.extend(occurrences.remove(&rid));
                } else if let Some(c) =
                    own.and_then(|at| stored.component_mut().components_mut().get_mut(at))
                {
                    CalObjectMut::new(c).set_status(Some("CANCELLED"));
                }
                outcome = Applied::Updated;
            }
        }
    }
    if !removed.is_empty() {
        let mut at = 0;
        stored.component_mut().components_mut().retain(|_| {
            at += 1;
            !removed.contains(&(at - 1))
        });
    }
    if let Some(seq) = cancelled {
        for c in super::scheduling_components_mut(stored) {
            c.set_property(Property::new("STATUS", "CANCELLED"));
            c.set_property(Property::new(
                "SEQUENCE",
                &seq.max(sequence_of(c)).to_string(),
            ));
        }
    }
    Ok(outcome)
}

/// The calendar's component at a position that [`Occurrences`] gave.
fn component(cal: &Calendar, at: usize) -> Option<&Component> {
    cal.component().components().get(at)
}

fn apply_request(
    stored: &mut Calendar,
    message: &Message,
    uid: &str,
    me: &[&str],
) -> Result<Applied> {
    let stored_seq = stored
        .find(uid, None)
        .map(|c| sequence_of(c.component()))
        .unwrap_or(0);
    let new_seq = message
        .calendar
        .find(uid, None)
        .map(|c| sequence_of(c.component()))
        .unwrap_or_else(|| message.sequence());
    if new_seq < stored_seq {
        return Ok(Applied::Outdated);
    }
    let keep_answers = new_seq == stored_seq;
    let mut answers: Vec<(Option<CalDateTime>, Property)> = Vec::new();
    if keep_answers {
        for c in scheduling_components(stored) {
            if let Some(p) = c.properties_named("ATTENDEE").find(|p| is_address(p, me)) {
                answers.push((rid_of(c)?, p.clone()));
            }
        }
    }
    let mut fresh = message.to_stored();
    let occurrences = Occurrences::of(&fresh, uid);
    for (rid, mine) in answers {
        if let Some(c) = occurrences
            .find(rid.as_ref())
            .and_then(|at| fresh.component_mut().components_mut().get_mut(at))
            && let Some(p) = c
                .properties_mut()
                .iter_mut()
                .find(|p| p.is("ATTENDEE") && is_address(p, me))
        {
            *p = mine;
        }
    }
    *stored = fresh;
    Ok(Applied::Updated)
}

fn bad(msg: &str) -> Error {
    Error::new(ErrorKind::ICalendar, format!("iTIP: {msg}"))
}

/// The DTSTAMP of a component in its UTC text form, when readable.
fn stamp_of(c: &Component) -> Option<String> {
    c.property("DTSTAMP")
        .and_then(|p| utc_stamp(p.raw_value()).ok())
}

/// A copy of a component with only these properties (in their order) and no sub-components.
fn keep(c: &Component, names: &[&str]) -> Component {
    let mut out = Component::new(c.name());
    for p in c.properties() {
        if names.iter().any(|n| p.is(n)) {
            out.push_property(p.clone());
        }
    }
    out
}

/// Removes the RFC 6638 server parameters and the reply-stamp parameter from ORGANIZER and
/// ATTENDEE.
fn strip(mut c: Component) -> Component {
    for p in c.properties_mut().iter_mut() {
        if p.is("ATTENDEE") || p.is("ORGANIZER") {
            p.retain_params(|x| {
                !SCHEDULING_PARAMS
                    .iter()
                    .any(|n| x.name().eq_ignore_ascii_case(n))
                    && !x.name().eq_ignore_ascii_case(REPLY_STAMP_PARAM)
            });
        }
    }
    for sub in c.components_mut().iter_mut() {
        let s = std::mem::replace(sub, Component::new("X"));
        *sub = strip(s);
    }
    c
}

/// Builds a message with `method` from the components `pick` keeps, each transformed by `map`.
fn message(
    cal: &Calendar,
    method: Method,
    pick: impl Fn(&Component) -> bool,
    map: impl Fn(&Component) -> Option<Component>,
) -> Result<String> {
    the_uid(cal)?;
    if scheduling_components(cal).any(|c| c.property("ORGANIZER").is_none()) {
        return Err(invalid(
            "an iTIP message needs an ORGANIZER on every component",
        ));
    }
    let comps: Vec<Component> = scheduling_components(cal)
        .filter(|c| pick(c))
        .filter_map(&map)
        .collect();
    let mut out = Calendar::new(cal.prodid().as_deref().unwrap_or("-//davkit//iTIP//EN"));
    out.component_mut()
        .set_property(Property::new("METHOD", method.as_str()));
    copy_timezones(cal, &mut out, &comps);
    for c in comps {
        out.component_mut().push_component(strip(c));
    }
    Ok(out.to_ics_with_timezones())
}

/// Copies the VTIMEZONEs whose TZID one of `comps` uses.
fn copy_timezones(from: &Calendar, to: &mut Calendar, comps: &[Component]) {
    // a set, not a list searched for each VTIMEZONE (quadratic in a calendar of many)
    let mut used = crate::string_set::StringSet::new();
    for c in comps {
        for p in c.properties() {
            if let Some(t) = p.param_value("TZID") {
                used.insert(t.into_owned());
            }
        }
    }
    for tz in from.component().components() {
        if !tz.is("VTIMEZONE") {
            continue;
        }
        if tz
            .property("TZID")
            .is_some_and(|p| used.contains(p.raw_value().trim()))
        {
            to.component_mut().push_component(tz.clone());
        }
    }
}
