//! What each attendee answered and what the server did with the invitation: PARTSTAT
//! (RFC 5545 §3.2.12), SCHEDULE-STATUS (RFC 6638 §7.3, codes of RFC 5546 §3.6) and
//! SCHEDULE-AGENT (RFC 6638 §7.1), read from the organizer's copy as typed rows.

use serde::{Deserialize, Serialize};

use crate::contentline::Property;
use crate::icalendar::{CalAddress, Calendar};

use super::{rid_of, scheduling_components};

/// An attendee's participation status (RFC 5545 §3.2.12).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "kebab-case")]
pub enum PartStat {
    /// `NEEDS-ACTION`, also what an absent PARTSTAT means.
    NeedsAction,
    /// `ACCEPTED`.
    Accepted,
    /// `DECLINED`.
    Declined,
    /// `TENTATIVE`.
    Tentative,
    /// `DELEGATED`.
    Delegated,
    /// Any other value (`COMPLETED`, `IN-PROCESS` on tasks, `X-` values), upper-cased.
    Other(String),
}

impl PartStat {
    /// Reads a PARTSTAT value (absent means `NEEDS-ACTION`).
    pub fn parse(value: Option<&str>) -> PartStat {
        let v = value
            .map(|v| v.trim().to_ascii_uppercase())
            .unwrap_or_default();
        match v.as_str() {
            "" | "NEEDS-ACTION" => PartStat::NeedsAction,
            "ACCEPTED" => PartStat::Accepted,
            "DECLINED" => PartStat::Declined,
            "TENTATIVE" => PartStat::Tentative,
            "DELEGATED" => PartStat::Delegated,
            _ => PartStat::Other(v),
        }
    }

    /// The iCalendar text.
    pub fn as_str(&self) -> &str {
        match self {
            PartStat::NeedsAction => "NEEDS-ACTION",
            PartStat::Accepted => "ACCEPTED",
            PartStat::Declined => "DECLINED",
            PartStat::Tentative => "TENTATIVE",
            PartStat::Delegated => "DELEGATED",
            PartStat::Other(s) => s,
        }
    }
}

/// Who delivers scheduling messages for an attendee (RFC 6638 §7.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleAgent {
    /// `SERVER` (also the default): the server delivers invitations and replies.
    Server,
    /// `CLIENT`: the app sends the iTIP message itself (by mail, iMIP), see
    /// [`itip`](super::itip); the server does not.
    Client,
    /// `NONE`: nobody sends anything to this attendee.
    None,
    /// Another value, upper-cased as written.
    Other(String),
}

impl ScheduleAgent {
    /// Reads a SCHEDULE-AGENT value (absent means `SERVER`).
    pub fn parse(value: Option<&str>) -> ScheduleAgent {
        let v = value
            .map(|v| v.trim().to_ascii_uppercase())
            .unwrap_or_default();
        match v.as_str() {
            "" | "SERVER" => ScheduleAgent::Server,
            "CLIENT" => ScheduleAgent::Client,
            "NONE" => ScheduleAgent::None,
            _ => ScheduleAgent::Other(v),
        }
    }
}

/// One SCHEDULE-STATUS code (RFC 6638 §7.3 with the statuses of RFC 5546 §3.6): what the
/// server did with the last scheduling message for this attendee.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct ScheduleStatus {
    /// The code as written: `1.0` pending, `1.1` sent, `1.2` delivered, `2.0` success,
    /// `3.7` invalid calendar user, `3.8` no authority, `5.1` could not deliver, `5.2`
    /// invalid date, `5.3` no scheduling support for the user ...
    pub code: String,
}

impl ScheduleStatus {
    /// True for the 1.x (pending, sent, delivered) and 2.x (success) codes.
    pub fn ok(&self) -> bool {
        self.code.starts_with("1.") || self.code.starts_with("2.")
    }

    /// True when the message reached the attendee (`1.2` delivered or a `2.x` success).
    pub fn delivered(&self) -> bool {
        self.code.starts_with("1.2") || self.code.starts_with("2.")
    }
}

/// One attendee of one component (the series or one occurrence), as the stored copy says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct AttendeeStatus {
    /// The RECURRENCE-ID of the override this row comes from (its iCalendar value), `None` for
    /// the series (the master component).
    pub recurrence_id: Option<String>,
    /// The address (`mailto:bob@example.com`).
    pub address: String,
    /// The display name (CN).
    pub name: Option<String>,
    /// The answer.
    pub partstat: PartStat,
    /// Whether the organizer asked for an answer (RSVP=TRUE).
    pub rsvp: bool,
    /// Who delivers messages to this attendee.
    pub schedule_agent: ScheduleAgent,
    /// The server's delivery codes (empty when the server set none: a server that does not
    /// schedule, or an attendee copy).
    pub schedule_status: Vec<ScheduleStatus>,
    /// DELEGATED-TO addresses.
    pub delegated_to: Vec<String>,
    /// DELEGATED-FROM addresses.
    pub delegated_from: Vec<String>,
}

impl AttendeeStatus {
    /// Reads one ATTENDEE (or ORGANIZER) property.
    pub fn from_property(p: &Property, recurrence_id: Option<String>) -> AttendeeStatus {
        let a = CalAddress::from_property(p);
        let schedule_status = p
            .param("SCHEDULE-STATUS")
            .map(|s| {
                s.values()
                    .flat_map(|v| {
                        v.split(',')
                            .map(|c| c.trim().to_owned())
                            .filter(|c| !c.is_empty())
                            .collect::<Vec<_>>()
                    })
                    .map(|code| ScheduleStatus { code })
                    .collect()
            })
            .unwrap_or_default();
        AttendeeStatus {
            recurrence_id,
            partstat: PartStat::parse(a.partstat.as_deref()),
            rsvp: a.rsvp.unwrap_or(false),
            schedule_agent: ScheduleAgent::parse(p.param_value("SCHEDULE-AGENT").as_deref()),
            schedule_status,
            name: a.cn,
            delegated_to: a.delegated_to,
            delegated_from: a.delegated_from,
            address: a.uri,
        }
    }
}

/// Every attendee of every component (the series first, then each override in the order
/// stored), with its answer and the server's delivery status. Components whose
/// RECURRENCE-ID cannot be read are reported with the raw value.
pub fn attendee_statuses(cal: &Calendar) -> Vec<AttendeeStatus> {
    let mut out = Vec::new();
    let mut comps: Vec<_> = scheduling_components(cal).collect();
    comps.sort_by_key(|c| c.property("RECURRENCE-ID").is_some());
    for c in comps {
        let rid = match rid_of(c) {
            Ok(r) => r.map(|r| r.to_ical_value()),
            Err(_) => c
                .property("RECURRENCE-ID")
                .map(|p| p.raw_value().trim().to_owned()),
        };
        for p in c.properties_named("ATTENDEE") {
            out.push(AttendeeStatus::from_property(p, rid.clone()));
        }
    }
    out
}

/// The row of `address` for the series (`recurrence_id` `None`) or one occurrence, from
/// [`attendee_statuses`]' output; an occurrence without an override of its own answers
/// with the series' row.
pub fn status_of<'a>(
    rows: &'a [AttendeeStatus],
    address: &str,
    recurrence_id: Option<&str>,
) -> Option<&'a AttendeeStatus> {
    let find = |rid: Option<&str>| {
        rows.iter()
            .find(|r| r.recurrence_id.as_deref() == rid && super::same_address(&r.address, address))
    };
    find(recurrence_id).or_else(|| recurrence_id.and_then(|_| find(None)))
}
