//! The attendee's side (RFC 5546 §3.2.3, RFC 6638 §3.2.2): answer the series or one
//! occurrence in the attendee's own copy, which is then written back with
//! `If-Schedule-Tag-Match` ([`Session::respond`](crate::Session::respond) does the read, the
//! edit, the write and the retry after the organizer changed the event). The server turns
//! the change into a REPLY to the organizer; for a server that does not schedule, send
//! [`itip::reply`](super::itip::reply).

use serde::{Deserialize, Serialize};

use crate::contentline::{Component, Property};
use crate::error::{Error, Result};
use crate::icalendar::{CalAddress, CalDateTime, Calendar};

use super::status::PartStat;
use super::{checked_address, invalid, is_address, rid_of, scheduling_components, the_uid};

/// An attendee's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "kebab-case", tag = "answer")]
pub enum Answer {
    /// PARTSTAT=ACCEPTED.
    Accepted,
    /// PARTSTAT=DECLINED.
    Declined,
    /// PARTSTAT=TENTATIVE.
    Tentative,
    /// PARTSTAT=DELEGATED with DELEGATED-TO this address (`mailto:carol@example.com`); the
    /// delegate is added as an attendee with DELEGATED-FROM, `NEEDS-ACTION` and `RSVP=TRUE`
    /// (RFC 5546 §2.1.5 delegation).
    Delegated {
        /// The delegate's calendar-user address.
        to: String,
    },
}

impl Answer {
    /// The PARTSTAT this answer writes.
    pub fn partstat(&self) -> PartStat {
        match self {
            Answer::Accepted => PartStat::Accepted,
            Answer::Declined => PartStat::Declined,
            Answer::Tentative => PartStat::Tentative,
            Answer::Delegated { .. } => PartStat::Delegated,
        }
    }
}

/// Writes `answer` for the attendee whose address is one of `my_addresses` (the principal's
/// `calendar-user-address-set`): for the whole series (`occurrence` `None`: the master and
/// every override where the attendee appears), or for one occurrence (its override, created
/// from the series when there is none yet). SEQUENCE and the organizer's data are left as they
/// are (an attendee does not change them, RFC 5546 §2.1.4).
///
/// A copy that holds only the override (the user was invited to that one occurrence) is
/// answered there.
///
/// Refused ([`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)) when none of the
/// addresses is an attendee of the component answered, when an occurrence is asked of an event
/// that does not recur, or when a delegate address is empty or holds a control character.
pub fn respond(
    cal: &mut Calendar,
    my_addresses: &[&str],
    answer: &Answer,
    occurrence: Option<&CalDateTime>,
) -> Result<()> {
    let uid = the_uid(cal)?;
    if let Answer::Delegated { to } = answer {
        checked_address(to)?;
    }
    let partstat = answer.partstat();
    if let Some(rid) = occurrence {
        if cal.find(&uid, Some(rid)).is_none() {
            // no override yet: made from the series, which must recur
            let master = cal
                .find(&uid, None)
                .ok_or_else(|| invalid("the event has no such occurrence"))?;
            if !master.is_recurring() {
                return Err(invalid(
                    "the event does not recur: answer it without an occurrence",
                ));
            }
            cal.override_occurrence(&uid, rid).map_err(Error::from)?;
        }
        let mut o = cal
            .find_mut(&uid, Some(rid))
            .ok_or_else(|| invalid("the event has no such occurrence"))?;
        if !answer_in(o.component(), my_addresses, answer, &partstat) {
            return Err(invalid(
                "none of these addresses is an attendee of the event",
            ));
        }
        return Ok(());
    }
    let mut any = false;
    for c in super::scheduling_components_mut(cal) {
        any |= answer_in(c, my_addresses, answer, &partstat);
    }
    if !any {
        return Err(invalid(
            "none of these addresses is an attendee of the event",
        ));
    }
    Ok(())
}

fn answer_in(c: &mut Component, me: &[&str], answer: &Answer, partstat: &PartStat) -> bool {
    let mut mine: Option<String> = None;
    for p in c.properties_mut().iter_mut() {
        if p.is("ATTENDEE") && is_address(p, me) {
            p.set_param("PARTSTAT", &[partstat.as_str()]);
            p.remove_param("RSVP");
            match answer {
                Answer::Delegated { to } => p.set_param("DELEGATED-TO", &[to.trim()]),
                _ => {
                    p.remove_param("DELEGATED-TO");
                }
            }
            mine = Some(p.raw_value().trim().to_owned());
            break;
        }
    }
    let Some(mine) = mine else {
        return false;
    };
    if let Answer::Delegated { to } = answer {
        let to = to.trim();
        let exists = c
            .properties_mut()
            .iter_mut()
            .find(|p| p.is("ATTENDEE") && is_address(p, &[to]));
        match exists {
            Some(p) => p.set_param("DELEGATED-FROM", &[&mine]),
            None => {
                let mut d = CalAddress {
                    uri: to.to_owned(),
                    partstat: Some("NEEDS-ACTION".into()),
                    rsvp: Some(true),
                    role: Some("REQ-PARTICIPANT".into()),
                    ..CalAddress::default()
                }
                .to_property("ATTENDEE");
                d.set_param("DELEGATED-FROM", &[&mine]);
                c.push_property(d);
            }
        }
    }
    true
}

/// The occurrences that still wait for this user's answer: `None` for the series, or the
/// RECURRENCE-ID of an override, where the user's ATTENDEE has PARTSTAT `NEEDS-ACTION` (or no
/// PARTSTAT). Empty when the user answered everything or is not invited (the organizer's own
/// copy, for one).
pub fn needs_action(cal: &Calendar, my_addresses: &[&str]) -> Vec<Option<CalDateTime>> {
    let mut out = Vec::new();
    for c in scheduling_components(cal) {
        let organizer_is_me = c
            .property("ORGANIZER")
            .is_some_and(|p| is_address(p, my_addresses));
        if organizer_is_me
            || c.property("STATUS")
                .is_some_and(|p| p.raw_value().trim().eq_ignore_ascii_case("CANCELLED"))
        {
            continue;
        }
        let waiting = c.properties_named("ATTENDEE").any(|p| {
            is_address(p, my_addresses)
                && PartStat::parse(p.param_value("PARTSTAT").as_deref()) == PartStat::NeedsAction
        });
        if waiting && let Ok(rid) = rid_of(c) {
            out.push(rid);
        }
    }
    out
}

/// The user's own PARTSTAT in one component (`None` for the series); `None` when the user is
/// not an attendee there.
pub fn my_partstat(
    cal: &Calendar,
    my_addresses: &[&str],
    occurrence: Option<&CalDateTime>,
) -> Option<PartStat> {
    let uid = the_uid(cal).ok()?;
    let o = cal
        .find(&uid, occurrence)
        .or_else(|| cal.find(&uid, None))?;
    o.component()
        .properties_named("ATTENDEE")
        .find(|p| is_address(p, my_addresses))
        .map(|p: &Property| PartStat::parse(p.param_value("PARTSTAT").as_deref()))
}
