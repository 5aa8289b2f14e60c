//! Parsed content: the core's iCalendar summaries and recurrence expansion, and its vCard
//! summaries and 3.0 <-> 4.0 conversion, as plain records.

use std::time::SystemTime;

use davkit::ErrorKind;
use davkit::icalendar::{self, CalObject, Calendar, ExpandOptions};
use davkit::vcard::{self, VCard};

use crate::error::DavError;

/// The core's iCalendar error as a `DavError` of its kind.
pub(crate) fn ical_error(e: icalendar::Error) -> DavError {
    DavError::of_kind(e.error_kind(), e.to_string())
}

/// The core's vCard error as a `DavError` of its kind.
pub(crate) fn vcard_error(e: vcard::Error) -> DavError {
    DavError::of_kind(e.error_kind(), e.to_string())
}

/// The form of a date or time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
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

/// A date or time as ISO 8601 text with its zone.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TimeSummary {
    /// `2024-01-02`, `2024-01-02T03:04:05` or `2024-01-02T03:04:05Z`.
    pub value: String,
    /// The form of the value.
    pub kind: TimeKind,
    /// TZID for zoned values.
    pub tzid: Option<String>,
    /// The instant in UTC when it could be resolved.
    pub utc: Option<String>,
}

impl From<icalendar::TimeSummary> for TimeSummary {
    fn from(t: icalendar::TimeSummary) -> Self {
        TimeSummary {
            value: t.value,
            kind: match t.kind {
                icalendar::TimeKind::Date => TimeKind::Date,
                icalendar::TimeKind::Floating => TimeKind::Floating,
                icalendar::TimeKind::Utc => TimeKind::Utc,
                icalendar::TimeKind::Zoned => TimeKind::Zoned,
            },
            tzid: t.tzid,
            utc: t.utc,
        }
    }
}

/// ORGANIZER or ATTENDEE with its parameters.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CalAddress {
    /// The address URI as written (`mailto:...`).
    pub uri: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// CN: display name.
    pub cn: Option<String>,
    /// ROLE.
    pub role: Option<String>,
    /// PARTSTAT.
    pub partstat: Option<String>,
    /// RSVP.
    pub rsvp: Option<bool>,
    /// CUTYPE.
    pub cutype: Option<String>,
    /// DELEGATED-TO.
    pub delegated_to: Vec<String>,
    /// DELEGATED-FROM.
    pub delegated_from: Vec<String>,
    /// SENT-BY.
    pub sent_by: Option<String>,
    /// MEMBER.
    pub member: Vec<String>,
    /// DIR.
    pub dir: Option<String>,
}

impl From<icalendar::CalAddress> for CalAddress {
    fn from(a: icalendar::CalAddress) -> Self {
        CalAddress {
            uri: a.uri,
            email: a.email,
            cn: a.cn,
            role: a.role,
            partstat: a.partstat,
            rsvp: a.rsvp,
            cutype: a.cutype,
            delegated_to: a.delegated_to,
            delegated_from: a.delegated_from,
            sent_by: a.sent_by,
            member: a.member,
            dir: a.dir,
        }
    }
}

/// The fields most apps show for a VEVENT, VTODO or VJOURNAL.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
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
    /// True when DTSTART is a date.
    pub all_day: bool,
    /// RRULE values as written.
    pub rrule: Vec<String>,
    /// RECURRENCE-ID of an overriding instance.
    pub recurrence_id: Option<TimeSummary>,
    /// ORGANIZER.
    pub organizer: Option<CalAddress>,
    /// ATTENDEEs.
    pub attendees: Vec<CalAddress>,
}

impl From<icalendar::EventSummary> for EventSummary {
    fn from(e: icalendar::EventSummary) -> Self {
        EventSummary {
            component: e.component,
            uid: e.uid,
            summary: e.summary,
            description: e.description,
            location: e.location,
            status: e.status,
            sequence: e.sequence,
            categories: e.categories,
            start: e.start.map(Into::into),
            end: e.end.map(Into::into),
            all_day: e.all_day,
            rrule: e.rrule,
            recurrence_id: e.recurrence_id.map(Into::into),
            organizer: e.organizer.map(Into::into),
            attendees: e.attendees.into_iter().map(Into::into).collect(),
        }
    }
}

/// One occurrence of a (possibly recurring) event in a window.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Occurrence {
    /// UID of the series.
    pub uid: Option<String>,
    /// RECURRENCE-ID (the original start) as ISO text: pass it to identify this occurrence.
    pub recurrence_id: String,
    /// Start, in the form of DTSTART (ISO text).
    pub start: String,
    /// End, in the same form.
    pub end: String,
    /// Start instant, UTC, as ISO text (`...Z`).
    pub start_utc: String,
    /// End instant, UTC, as ISO text.
    pub end_utc: String,
    /// Start instant (Kotlin `Instant`, Swift `Date`, Python `datetime`).
    pub start_instant: SystemTime,
    /// End instant.
    pub end_instant: SystemTime,
    /// TZID of the start, if zoned.
    pub tzid: Option<String>,
    /// True for an all-day occurrence.
    pub all_day: bool,
    /// True when an overriding component (RECURRENCE-ID) supplies this occurrence.
    pub is_override: bool,
    /// SUMMARY of the component that supplies this occurrence (the override's when moved).
    pub summary: Option<String>,
    /// LOCATION of that component.
    pub location: Option<String>,
}

/// The occurrences in a window.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Expansion {
    /// Occurrences sorted by start.
    pub occurrences: Vec<Occurrence>,
    /// True when a guard (`max_instances`) stopped the expansion early.
    pub truncated: bool,
    /// Components skipped or zones not found, in plain words.
    pub warnings: Vec<String>,
}

/// Summaries of every VEVENT, VTODO and VJOURNAL in an iCalendar text (one calendar object
/// resource, e.g. `DavObject.data`). Fails with `ICalendar` when the text is not iCalendar.
#[uniffi::export]
pub fn parse_events(ics: String) -> Result<Vec<EventSummary>, DavError> {
    // The core's streaming pass: each component is summarised and dropped as it is read.
    let summaries = Calendar::parse_summaries(&ics).map_err(ical_error)?;
    Ok(summaries.iter().map(Into::into).collect())
}

/// Expands the events, to-dos and journals of an iCalendar text (RRULE, RDATE, EXDATE and
/// RECURRENCE-ID overrides, time zones from the bundled IANA database) into the occurrences
/// that overlap `[start, end)`. `max_instances` (default 10 000) bounds the result.
#[uniffi::export(default(max_instances = None))]
pub fn expand_events(
    ics: String,
    start: SystemTime,
    end: SystemTime,
    max_instances: Option<u32>,
) -> Result<Expansion, DavError> {
    let cal = Calendar::parse(&ics).map_err(ical_error)?;
    let instant = |t: SystemTime| {
        davkit::jiff::Timestamp::try_from(t)
            .map_err(|e| DavError::invalid_input(format!("time out of range: {e}")))
    };
    let window = (instant(start)?, instant(end)?);
    let mut opts = ExpandOptions::default();
    if let Some(n) = max_instances {
        opts.max_instances = n as usize;
    }
    let expansion = cal.expand(window, &opts).map_err(|e| match e {
        icalendar::ExpandError::InvalidWindow => DavError::invalid_input(e.to_string()),
        other => DavError::of_kind(ErrorKind::ICalendar, other.to_string()),
    })?;
    let components = cal.component().components();
    let occurrences = expansion
        .occurrences
        .iter()
        .map(|o| {
            let s = icalendar::OccurrenceSummary::from(o);
            let source = components.get(o.component_index).map(CalObject::new);
            Occurrence {
                uid: s.uid,
                recurrence_id: s.recurrence_id,
                start: s.start,
                end: s.end,
                start_utc: s.start_utc,
                end_utc: s.end_utc,
                start_instant: SystemTime::from(o.start_utc),
                end_instant: SystemTime::from(o.end_utc),
                tzid: s.tzid,
                all_day: s.all_day,
                is_override: s.is_override,
                summary: source
                    .as_ref()
                    .and_then(|c| c.summary().map(|v| v.into_owned())),
                location: source
                    .as_ref()
                    .and_then(|c| c.location().map(|v| v.into_owned())),
            }
        })
        .collect();
    Ok(Expansion {
        occurrences,
        truncated: expansion.truncated,
        warnings: expansion.warnings,
    })
}

/// A vCard version that davkit writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum VCardVersion {
    /// vCard 3.0 (RFC 2426).
    V3,
    /// vCard 4.0 (RFC 6350).
    V4,
}

/// N: the structured name.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StructuredName {
    /// Family names.
    pub family: String,
    /// Given names.
    pub given: String,
    /// Additional names.
    pub additional: String,
    /// Honorific prefixes.
    pub prefixes: String,
    /// Honorific suffixes.
    pub suffixes: String,
}

/// A TEL, EMAIL or URL value with its types.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TypedValue {
    /// The value.
    pub value: String,
    /// TYPE values, lower-cased.
    #[uniffi(default)]
    pub types: Vec<String>,
    /// PREF (1 = most preferred).
    #[uniffi(default)]
    pub pref: Option<u8>,
    /// The group (`item1`), if any.
    #[uniffi(default)]
    pub group: Option<String>,
    /// Apple's `X-ABLabel` for the group, if any.
    #[uniffi(default)]
    pub label: Option<String>,
}

impl From<vcard::TypedValue> for TypedValue {
    fn from(t: vcard::TypedValue) -> Self {
        TypedValue {
            value: t.value,
            types: t.types,
            pref: t.pref,
            group: t.group,
            label: t.label,
        }
    }
}

/// ADR: a postal address.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PostalAddress {
    /// Post office box.
    pub po_box: String,
    /// Extended address.
    pub extended: String,
    /// Street.
    pub street: String,
    /// City.
    pub locality: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// Country.
    pub country: String,
    /// TYPE values.
    pub types: Vec<String>,
    /// PREF.
    pub pref: Option<u8>,
    /// LABEL.
    pub label: Option<String>,
    /// The group.
    pub group: Option<String>,
}

impl From<vcard::Address> for PostalAddress {
    fn from(a: vcard::Address) -> Self {
        PostalAddress {
            po_box: a.po_box,
            extended: a.extended,
            street: a.street,
            locality: a.locality,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
            types: a.types,
            pref: a.pref,
            label: a.label,
            group: a.group,
        }
    }
}

/// The fields most apps show for a contact.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ContactSummary {
    /// VERSION: `2.1`, `3.0` or `4.0`.
    pub version: Option<String>,
    /// UID.
    pub uid: Option<String>,
    /// FN.
    pub full_name: Option<String>,
    /// N.
    pub name: Option<StructuredName>,
    /// NICKNAME.
    pub nicknames: Vec<String>,
    /// EMAIL.
    pub emails: Vec<TypedValue>,
    /// TEL.
    pub tels: Vec<TypedValue>,
    /// ADR.
    pub addresses: Vec<PostalAddress>,
    /// ORG (organisation, then units).
    pub org: Option<Vec<String>>,
    /// TITLE.
    pub title: Option<String>,
    /// BDAY as ISO text (`--04-15` without year).
    pub birthday: Option<String>,
    /// NOTE.
    pub note: Option<String>,
    /// URL.
    pub urls: Vec<TypedValue>,
    /// CATEGORIES.
    pub categories: Vec<String>,
    /// KIND (`individual`, `group`, ...).
    pub kind: String,
    /// MEMBER URIs of a group.
    pub members: Vec<String>,
    /// PHOTO when it is a URI.
    pub photo_uri: Option<String>,
    /// True when the card has a PHOTO.
    pub has_photo: bool,
    /// REV.
    pub rev: Option<String>,
}

impl From<vcard::ContactSummary> for ContactSummary {
    fn from(c: vcard::ContactSummary) -> Self {
        ContactSummary {
            version: c.version.map(|v| {
                match v {
                    vcard::Version::V2_1 => "2.1",
                    vcard::Version::V3 => "3.0",
                    vcard::Version::V4 => "4.0",
                }
                .to_owned()
            }),
            uid: c.uid,
            full_name: c.full_name,
            name: c.name.map(|n| StructuredName {
                family: n.family,
                given: n.given,
                additional: n.additional,
                prefixes: n.prefixes,
                suffixes: n.suffixes,
            }),
            nicknames: c.nicknames,
            emails: c.emails.into_iter().map(Into::into).collect(),
            tels: c.tels.into_iter().map(Into::into).collect(),
            addresses: c.addresses.into_iter().map(Into::into).collect(),
            org: c.org,
            title: c.title,
            birthday: c.birthday,
            note: c.note,
            urls: c.urls.into_iter().map(Into::into).collect(),
            categories: c.categories,
            kind: c.kind,
            members: c.members,
            photo_uri: c.photo_uri,
            has_photo: c.has_photo,
            rev: c.rev,
        }
    }
}

/// The summary of one vCard (e.g. `DavObject.data` of an address book member). Fails with
/// `VCard` when the text is not a vCard.
#[uniffi::export]
pub fn parse_contact(vcf: String) -> Result<ContactSummary, DavError> {
    Ok(VCard::parse(&vcf).map_err(vcard_error)?.to_summary().into())
}

/// The summaries of every vCard in a text (a `.vcf` export may hold many).
#[uniffi::export]
pub fn parse_contacts(vcf: String) -> Result<Vec<ContactSummary>, DavError> {
    let cards = VCard::parse_all(&vcf).map_err(vcard_error)?;
    Ok(cards.iter().map(|c| c.to_summary().into()).collect())
}

/// Converts a vCard to 3.0 or 4.0 (what a server accepts), keeping what it does not model.
#[uniffi::export]
pub fn convert_contact(vcf: String, version: VCardVersion) -> Result<String, DavError> {
    let card = VCard::parse(&vcf).map_err(vcard_error)?;
    Ok(match version {
        VCardVersion::V3 => card.to_v3(),
        VCardVersion::V4 => card.to_v4(),
    }
    .to_vcf())
}
