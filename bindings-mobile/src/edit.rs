//! Editing events and contacts: [`EventEditor`] over the core's `icalendar::Calendar` (fields,
//! attendees, one occurrence overridden or cancelled, a series split) and [`ContactEditor`] over
//! its `vcard::VCard`. Each method converts its arguments and calls the core's one
//! implementation; the edited text is the core's serialisation. An editor made with
//! `fromObject` remembers the object's URL and ETag, and `DavClient.saveEvent` /
//! `saveContact` write it back with that ETag (`If-Match`, `PreconditionFailed` if it changed).

use std::sync::{Arc, Mutex, MutexGuard};

use davkit::icalendar::{
    AlarmAction, AlarmSummary, CalAddress, CalDateTime, CalObjectMut, Calendar, NewAlarm,
};
use davkit::vcard::{PartialDate, VCard};

use crate::content::{
    ContactSummary, EventSummary, StructuredName, TypedValue, VCardVersion, ical_error, to_version,
    vcard_error,
};
use crate::error::DavError;
use crate::types::{DavObject, WriteResult};

/// Where an edited object was read from: its URL and the ETag it had then.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origin(Option<(String, Option<String>)>);

impl Origin {
    fn of(object: &DavObject) -> Origin {
        Origin(Some((object.url.clone(), object.etag.clone())))
    }

    /// The URL and ETag to write back to (an empty ETag when it was read without one, which
    /// the core's write refuses, as it refuses npm's); `InvalidInput` for an editor that was
    /// not read from the server.
    pub(crate) fn target(&self) -> Result<(String, String), DavError> {
        match &self.0 {
            None => Err(DavError::invalid_input(
                "this editor was not read from the server: make it with fromObject",
            )),
            Some((url, etag)) => Ok((url.clone(), etag.clone().unwrap_or_default())),
        }
    }

    /// After a write: the object now has the ETag the server returned (none: read it again).
    pub(crate) fn written(&mut self, result: &WriteResult) {
        self.0 = Some((result.url.clone(), result.etag.clone()));
    }
}

fn data_of(object: &DavObject) -> Result<&str, DavError> {
    object.data.as_deref().ok_or_else(|| {
        DavError::invalid_input(format!(
            "{} was listed without its data: get it first",
            object.url
        ))
    })
}

fn edit_error(e: davkit::icalendar::EditError) -> DavError {
    davkit::Error::from(e).into()
}

/// Which component an edit applies to: the event (or the whole series) by `uid`, or, with
/// `recurrence_id`, one occurrence of the series. `recurrence_id` is the occurrence's original
/// start as `expandEvents` or `EventSummary.recurrenceId` print it (`2025-03-05T09:30:00`, or
/// the iCalendar form `20250305T093000`), with `tzid` when it is a local time in a zone.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct EventTarget {
    /// UID of the event or series.
    pub uid: String,
    /// One occurrence's RECURRENCE-ID; `null` for the event or the whole series.
    #[uniffi(default)]
    pub recurrence_id: Option<String>,
    /// TZID of `recurrence_id`, when it is a local time in a zone.
    #[uniffi(default)]
    pub tzid: Option<String>,
}

impl EventTarget {
    fn recurrence_id(&self) -> Result<Option<CalDateTime>, DavError> {
        self.recurrence_id
            .as_deref()
            .map(|r| CalDateTime::parse_iso(r, self.tzid.as_deref()))
            .transpose()
            .map_err(|e| DavError::invalid_input(e.to_string()))
    }
}

/// A date or time to set: `2025-03-05T09:30:00` (or `20250305T093000`) in `tzid`, `...Z` for
/// UTC, `2025-03-05` for an all-day date, no `tzid` for a floating time.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct EventTime {
    /// The value.
    pub value: String,
    /// The time zone (an IANA name), if any.
    #[uniffi(default)]
    pub tzid: Option<String>,
}

impl EventTime {
    fn parse(&self) -> Result<CalDateTime, DavError> {
        CalDateTime::parse_iso(&self.value, self.tzid.as_deref())
            .map_err(|e| DavError::invalid_input(e.to_string()))
    }
}

/// One iCalendar object (a calendar object resource, e.g. `DavObject.data`) to read and edit.
/// An edit of one occurrence (a target with `recurrenceId`) goes to its override, which is made
/// from the series the first time; the series itself is untouched.
#[derive(uniffi::Object)]
pub struct EventEditor(Mutex<Calendar>, Mutex<Origin>);

impl std::fmt::Debug for EventEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventEditor").finish_non_exhaustive()
    }
}

impl EventEditor {
    /// Where it was read from (for `DavClient.save_event`).
    pub(crate) fn origin(&self) -> MutexGuard<'_, Origin> {
        self.1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn calendar(&self) -> MutexGuard<'_, Calendar> {
        // An edit that panicked cannot have left the tree half-written in a way that matters
        // more than losing the editor; keep using it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `edit` on the target component.
    fn edit<T>(
        &self,
        target: &EventTarget,
        edit: impl FnOnce(&mut CalObjectMut<'_>) -> T,
    ) -> Result<T, DavError> {
        let rid = target.recurrence_id()?;
        let mut cal = self.calendar();
        let mut object = match &rid {
            Some(rid) => cal
                .override_occurrence(&target.uid, rid)
                .map_err(edit_error)?,
            None => cal.find_mut(&target.uid, None).ok_or_else(|| {
                DavError::invalid_input(format!("no event with UID {}", target.uid))
            })?,
        };
        Ok(edit(&mut object))
    }
}

#[uniffi::export]
impl EventEditor {
    /// Parses an iCalendar text; `ICalendar` when it is not iCalendar.
    #[uniffi::constructor]
    pub fn parse(ics: String) -> Result<Arc<Self>, DavError> {
        let cal = Calendar::parse(&ics).map_err(ical_error)?;
        Ok(Arc::new(EventEditor(Mutex::new(cal), Mutex::default())))
    }

    /// Parses an object read from the server (`getObject`, a sync change) and remembers its URL
    /// and ETag, so that `DavClient.saveEvent` writes it back only if it did not change since.
    #[uniffi::constructor]
    pub fn from_object(object: DavObject) -> Result<Arc<Self>, DavError> {
        let cal = Calendar::parse(data_of(&object)?).map_err(ical_error)?;
        Ok(Arc::new(EventEditor(
            Mutex::new(cal),
            Mutex::new(Origin::of(&object)),
        )))
    }

    /// The object as iCalendar text (CRLF line ends, folded), to PUT back: with a VTIMEZONE for
    /// each TZID it uses that has none (the core's `Calendar::to_ics_with_timezones`).
    pub fn to_ics(&self) -> String {
        self.calendar().to_ics_with_timezones()
    }

    /// Summaries of its events, to-dos and journals (overrides included), as `parseEvents`.
    pub fn events(&self) -> Vec<EventSummary> {
        self.calendar().summaries()
    }

    /// Sets or removes SUMMARY.
    pub fn set_summary(&self, target: EventTarget, value: Option<String>) -> Result<(), DavError> {
        self.edit(&target, |o| o.set_summary(value.as_deref()))
    }

    /// Sets or removes DESCRIPTION.
    pub fn set_description(
        &self,
        target: EventTarget,
        value: Option<String>,
    ) -> Result<(), DavError> {
        self.edit(&target, |o| o.set_description(value.as_deref()))
    }

    /// Sets or removes LOCATION.
    pub fn set_location(&self, target: EventTarget, value: Option<String>) -> Result<(), DavError> {
        self.edit(&target, |o| o.set_location(value.as_deref()))
    }

    /// Sets or removes STATUS (`CONFIRMED`, `TENTATIVE`, `CANCELLED`, ...).
    pub fn set_status(&self, target: EventTarget, value: Option<String>) -> Result<(), DavError> {
        self.edit(&target, |o| o.set_status(value.as_deref()))
    }

    /// Sets DTSTART (moving one occurrence when the target names one); DTEND (DUE on a to-do)
    /// moves along, so the event keeps its length (the core's `set_dtstart`). To set both
    /// ends, set the start first.
    pub fn set_start(&self, target: EventTarget, start: EventTime) -> Result<(), DavError> {
        let start = start.parse()?;
        self.edit(&target, |o| o.set_dtstart(&start))
    }

    /// Sets or removes DTEND (DUE on a to-do).
    pub fn set_end(&self, target: EventTarget, end: Option<EventTime>) -> Result<(), DavError> {
        let end = end.map(|e| e.parse()).transpose()?;
        self.edit(&target, |o| o.set_dtend(end.as_ref()))
    }

    /// Adds an ATTENDEE by e-mail (`mailto:`), or replaces the one with that address, with an
    /// optional display name (CN) and participation status (PARTSTAT).
    #[uniffi::method(default(common_name = None, partstat = None))]
    pub fn add_attendee(
        &self,
        target: EventTarget,
        email: String,
        common_name: Option<String>,
        partstat: Option<String>,
    ) -> Result<(), DavError> {
        let mut attendee = CalAddress::from_email(&email);
        attendee.cn = common_name;
        attendee.partstat = partstat;
        self.edit(&target, |o| o.upsert_attendee(&attendee))
    }

    /// Removes the ATTENDEE with this address (URI or e-mail); false when there was none.
    pub fn remove_attendee(&self, target: EventTarget, address: String) -> Result<bool, DavError> {
        self.edit(&target, |o| o.remove_attendee(&address))
    }

    /// Sets the PARTSTAT of the attendee with this e-mail; false when there is none.
    pub fn set_partstat(
        &self,
        target: EventTarget,
        email: String,
        partstat: String,
    ) -> Result<bool, DavError> {
        self.edit(&target, |o| o.set_partstat(&email, &partstat))
    }

    /// The VALARMs of the target (of the occurrence's override when the target names one that
    /// has one, else of the series), as `AlarmSummary` records; `InvalidInput` when there is no
    /// event with that UID.
    pub fn alarms(&self, target: EventTarget) -> Result<Vec<AlarmSummary>, DavError> {
        let rid = target.recurrence_id()?;
        let cal = self.calendar();
        let object = rid
            .as_ref()
            .and_then(|rid| cal.find(&target.uid, Some(rid)))
            .or_else(|| cal.find(&target.uid, None))
            .ok_or_else(|| DavError::invalid_input(format!("no event with UID {}", target.uid)))?;
        Ok(object.alarms().map(|a| a.to_summary()).collect())
    }

    /// Adds a VALARM: `action` (`Display` or `Audio`) at `trigger`, an RFC 5545 duration
    /// relative to the start (`-PT15M`: 15 minutes before, `PT0S`: at the start), or
    /// to the end with `related_to_end`. A display alarm shows `description`, or the event's
    /// SUMMARY when `null`. `InvalidInput` for a trigger that is not a duration.
    #[uniffi::method(default(related_to_end = false, description = None))]
    pub fn add_alarm(
        &self,
        target: EventTarget,
        action: AlarmAction,
        trigger: String,
        related_to_end: bool,
        description: Option<String>,
    ) -> Result<(), DavError> {
        let alarm = NewAlarm::from_text(action, &trigger, related_to_end, description)
            .map_err(davkit::Error::from)?;
        self.edit(&target, |o| o.add_alarm(&alarm))
    }

    /// Removes every VALARM of the target and returns how many went.
    pub fn remove_alarms(&self, target: EventTarget) -> Result<u32, DavError> {
        let n = self.edit(&target, |o| o.remove_alarms())?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Cancels one occurrence of a series (an EXDATE on the series; any override of it goes).
    /// The target must name the occurrence.
    pub fn cancel_occurrence(&self, target: EventTarget) -> Result<(), DavError> {
        let rid = target.recurrence_id()?.ok_or_else(|| {
            DavError::invalid_input("cancelling an occurrence needs its recurrence_id")
        })?;
        self.calendar()
            .delete_occurrence(&target.uid, &rid)
            .map_err(edit_error)
    }

    /// Edits "this and following": the series ends just before the target occurrence, and the
    /// returned editor holds a new series with `new_uid` that starts at it (same rule, the
    /// overrides and exceptions from there on). Store the new one as a new resource
    /// (`createObject`) and this one with `updateObject`.
    pub fn split_series(
        &self,
        target: EventTarget,
        new_uid: String,
    ) -> Result<Arc<EventEditor>, DavError> {
        let rid = target.recurrence_id()?.ok_or_else(|| {
            DavError::invalid_input("splitting a series needs the recurrence_id to split at")
        })?;
        let new = self
            .calendar()
            .split_series(&target.uid, &rid, &new_uid)
            .map_err(edit_error)?;
        Ok(Arc::new(EventEditor(Mutex::new(new), Mutex::default())))
    }
}

/// One vCard (an address book member, e.g. `DavObject.data`) to read and edit.
#[derive(uniffi::Object)]
pub struct ContactEditor(Mutex<VCard>, Mutex<Origin>);

impl std::fmt::Debug for ContactEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactEditor").finish_non_exhaustive()
    }
}

impl ContactEditor {
    /// Where it was read from (for `DavClient.save_contact`).
    pub(crate) fn origin(&self) -> MutexGuard<'_, Origin> {
        self.1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn card(&self) -> MutexGuard<'_, VCard> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[uniffi::export]
impl ContactEditor {
    /// Parses a vCard (3.0 or 4.0); `VCard` when it is not one.
    #[uniffi::constructor]
    pub fn parse(vcf: String) -> Result<Arc<Self>, DavError> {
        let card = VCard::parse(&vcf).map_err(vcard_error)?;
        Ok(Arc::new(ContactEditor(Mutex::new(card), Mutex::default())))
    }

    /// Parses a contact read from the server and remembers its URL and ETag, so that
    /// `DavClient.saveContact` writes it back only if it did not change since.
    #[uniffi::constructor]
    pub fn from_object(object: DavObject) -> Result<Arc<Self>, DavError> {
        let card = VCard::parse(data_of(&object)?).map_err(vcard_error)?;
        Ok(Arc::new(ContactEditor(
            Mutex::new(card),
            Mutex::new(Origin::of(&object)),
        )))
    }

    /// The card as vCard text, in its own version, to PUT back.
    pub fn to_vcf(&self) -> String {
        self.card().to_vcf()
    }

    /// The card converted to 3.0 or 4.0 (what a server accepts), as text; `V2_1` is refused
    /// with `InvalidInput` (read, never written).
    pub fn to_version(&self, version: VCardVersion) -> Result<String, DavError> {
        Ok(to_version(&self.card(), version)?.to_vcf())
    }

    /// The card's fields, as `parseContact`.
    pub fn summary(&self) -> ContactSummary {
        self.card().to_summary()
    }

    /// Sets FN.
    pub fn set_full_name(&self, value: String) {
        self.card().set_full_name(&value);
    }

    /// Sets N.
    pub fn set_name(&self, name: StructuredName) {
        self.card().set_name(&name);
    }

    /// Sets or removes NOTE.
    pub fn set_note(&self, value: Option<String>) {
        self.card().set_note(value.as_deref());
    }

    /// Sets or removes TITLE.
    pub fn set_title(&self, value: Option<String>) {
        self.card().set_title(value.as_deref());
    }

    /// Sets or removes ORG (organisation, then units).
    pub fn set_org(&self, parts: Option<Vec<String>>) {
        let parts: Option<Vec<&str>> = parts
            .as_ref()
            .map(|p| p.iter().map(String::as_str).collect());
        self.card().set_org(parts.as_deref());
    }

    /// Replaces CATEGORIES.
    pub fn set_categories(&self, categories: Vec<String>) {
        let cats: Vec<&str> = categories.iter().map(String::as_str).collect();
        self.card().set_categories(&cats);
    }

    /// Sets or removes BDAY: `1985-04-15`, `--04-15` (no year) or the vCard forms.
    pub fn set_birthday(&self, value: Option<String>) {
        let date = value.as_deref().map(PartialDate::parse);
        self.card().set_birthday(date.as_ref());
    }

    /// Adds an EMAIL.
    pub fn add_email(&self, email: TypedValue) {
        self.card().add_email(&email);
    }

    /// Adds a TEL.
    pub fn add_tel(&self, tel: TypedValue) {
        self.card().add_tel(&tel);
    }

    /// Adds a URL.
    pub fn add_url(&self, url: TypedValue) {
        self.card().add_url(&url);
    }

    /// Removes every property with this name (`TEL`, `EMAIL`, ...) and returns how many went.
    pub fn remove_all(&self, name: String) -> u32 {
        u32::try_from(self.card().remove_all(&name)).unwrap_or(u32::MAX)
    }
}
