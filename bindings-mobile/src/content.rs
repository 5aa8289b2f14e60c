//! Parsed content: the core's iCalendar summaries and recurrence expansion, and its vCard
//! summaries and 3.0 <-> 4.0 conversion. The summaries are the formats' records (uniffi derives in
//! davkit-formats: `EventSummary`, `TimeSummary`, `CalAddress`, `ContactSummary`, `StructuredName`,
//! `TypedValue`, `PostalAddress`, `VCardVersion`); [`Occurrence`] and [`Expansion`] are shaped
//! here on purpose (instants as `SystemTime`, the component's summary and location joined in).

use std::time::SystemTime;

use davkit::icalendar::{self, CalObject, Calendar, ExpandOptions};
use davkit::vcard::{self, VCard};

pub use davkit::icalendar::{
    AlarmAction, AlarmSummary, CalAddress, EventSummary, TimeKind, TimeSummary,
};
pub use davkit::vcard::{
    Address as PostalAddress, ContactSummary, StructuredName, TypedValue, Version as VCardVersion,
};

use crate::error::DavError;

/// The core's iCalendar error as a `DavError` of its kind.
pub(crate) fn ical_error(e: icalendar::Error) -> DavError {
    DavError::from(davkit::Error::from(e))
}

/// The core's vCard error as a `DavError` of its kind.
pub(crate) fn vcard_error(e: vcard::Error) -> DavError {
    DavError::from(davkit::Error::from(e))
}

/// One occurrence of a (possibly recurring) event in a window.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
// Shaped here on purpose, not the core's `OccurrenceSummary` forwarded: that record is the
// JSON the npm package's `expand` returns (serde, flattened there with the same two texts) and
// the fuzz target reads back, so it carries instants as ISO text only, while apps here get
// native ones (`start_instant`/`end_instant`: Kotlin `Instant`, Swift `Date`, Python
// `datetime`), which JSON cannot hold; deriving uniffi on it would also move the type from
// `dev.davkit`/`davkit_mobile` to the formats module, an API break. Its nine fields are copied
// from `OccurrenceSummary::from` (the core's one conversion), the instants from the core's
// `Occurrence`, and SUMMARY/LOCATION are those of the component the core's expansion names.
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
#[uniffi::export(Debug)]
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
    Ok(summaries.to_vec())
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
    let expansion = cal
        .expand(window, &opts)
        .map_err(|e| DavError::from(davkit::Error::from(e)))?;
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

/// The summary of one vCard (e.g. `DavObject.data` of an address book member). Fails with
/// `VCard` when the text is not a vCard.
#[uniffi::export]
pub fn parse_contact(vcf: String) -> Result<ContactSummary, DavError> {
    Ok(VCard::parse(&vcf).map_err(vcard_error)?.to_summary())
}

/// The summaries of every vCard in a text (a `.vcf` export may hold many).
#[uniffi::export]
pub fn parse_contacts(vcf: String) -> Result<Vec<ContactSummary>, DavError> {
    let cards = VCard::parse_all(&vcf).map_err(vcard_error)?;
    Ok(cards.iter().map(VCard::to_summary).collect())
}

/// Converts a vCard to 3.0 or 4.0 (what a server accepts), keeping what it does not model.
/// `V2_1` is refused with `InvalidInput`: davkit reads 2.1 but never writes it.
#[uniffi::export]
pub fn convert_contact(vcf: String, version: VCardVersion) -> Result<String, DavError> {
    let card = VCard::parse(&vcf).map_err(vcard_error)?;
    Ok(to_version(&card, version)?.to_vcf())
}

/// The card converted to a version davkit writes (3.0 or 4.0); 2.1 is the core's
/// `InvalidInput` (read, never written).
pub(crate) fn to_version(card: &VCard, version: VCardVersion) -> Result<VCard, DavError> {
    card.to_version(version)
        .map_err(|e| DavError::from(davkit::Error::from(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nN:A;Ann;;;\r\nEND:VCARD\r\n";

    #[test]
    fn the_version_is_the_cores_enum_and_2_1_is_never_written() {
        assert_eq!(
            parse_contact(CARD.into()).unwrap().version,
            Some(VCardVersion::V3)
        );
        let v4 = convert_contact(CARD.into(), VCardVersion::V4).unwrap();
        assert_eq!(parse_contact(v4).unwrap().version, Some(VCardVersion::V4));
        let e = convert_contact(CARD.into(), VCardVersion::V2_1).unwrap_err();
        assert_eq!(e.kind_name(), "InvalidInput");
    }
}
