//! Editing events and contacts for JS: [`EventEditor`] over the core's `icalendar::Calendar`
//! (fields, times with zones, attendees, alarms, one occurrence overridden or cancelled, a
//! series split) and [`ContactEditor`] over its `vcard::VCard` (fields, 3.0 <-> 4.0). Each
//! method converts its arguments and calls the core's one implementation, as
//! bindings-mobile's `edit.rs` does; the JS wrapper (`npm/src/edit.js`) gives them their
//! public shape and writes an edited object back with the ETag it was read with.
//!
//! A target is passed as three arguments: the UID, and for one occurrence its RECURRENCE-ID
//! (ISO or iCalendar text, as summaries print it) with the zone of that local time.

use davkit::icalendar::{
    self, AlarmAction, CalAddress, CalDateTime, CalObjectMut, Calendar, NewAlarm,
};
use davkit::vcard::{self, PartialDate, StructuredName, TypedValue, VCard, Version};
use davkit::{Error, ErrorKind};
use wasm_bindgen::prelude::*;

use crate::convert;

fn invalid(message: impl Into<String>) -> JsValue {
    convert::error(&Error::new(ErrorKind::InvalidInput, message))
}

fn ical_error(e: icalendar::Error) -> JsValue {
    convert::error(&Error::from(e))
}

fn vcard_error(e: vcard::Error) -> JsValue {
    convert::error(&Error::from(e))
}

fn edit_error(e: icalendar::EditError) -> JsValue {
    convert::error(&Error::from(e))
}

/// A date or time as `CalDateTime::parse_iso` reads it (`...Z`, a local time in `tzid`, a
/// date, or a floating time).
fn time(value: &str, tzid: Option<&str>) -> Result<CalDateTime, JsValue> {
    CalDateTime::parse_iso(value, tzid).map_err(|e| invalid(e.to_string()))
}

fn rid(recurrence_id: Option<&str>, tzid: Option<&str>) -> Result<Option<CalDateTime>, JsValue> {
    recurrence_id.map(|r| time(r, tzid)).transpose()
}

/// Counts cross as JS numbers.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One iCalendar object to read and edit (held by the JS `EventEditor`).
#[wasm_bindgen(js_name = EventEditorCore)]
pub struct EventEditor {
    cal: Calendar,
}

impl EventEditor {
    /// Runs `edit` on the target: the event (or series), or one occurrence's override, made
    /// from the series the first time.
    fn edit<T>(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        edit: impl FnOnce(&mut CalObjectMut<'_>) -> T,
    ) -> Result<T, JsValue> {
        let mut object = match rid(recurrence_id.as_deref(), tzid.as_deref())? {
            Some(rid) => self
                .cal
                .override_occurrence(uid, &rid)
                .map_err(edit_error)?,
            None => self
                .cal
                .find_mut(uid, None)
                .ok_or_else(|| invalid(format!("no event with UID {uid}")))?,
        };
        Ok(edit(&mut object))
    }

    fn occurrence(
        recurrence_id: Option<String>,
        tzid: Option<String>,
        what: &str,
    ) -> Result<CalDateTime, JsValue> {
        rid(recurrence_id.as_deref(), tzid.as_deref())?
            .ok_or_else(|| invalid(format!("{what} needs the occurrence's recurrenceId")))
    }
}

#[wasm_bindgen(js_class = EventEditorCore)]
impl EventEditor {
    /// Parses an iCalendar text; an `ICalendar` error when it is not one.
    pub fn parse(ics: &str) -> Result<EventEditor, JsValue> {
        Ok(EventEditor {
            cal: Calendar::parse(ics).map_err(ical_error)?,
        })
    }

    /// The object as iCalendar text (CRLF, folded), to PUT back: with a VTIMEZONE for each TZID
    /// it uses that has none (the core's `Calendar::to_ics_with_timezones`).
    #[wasm_bindgen(js_name = toIcs)]
    pub fn to_ics(&self) -> String {
        self.cal.to_ics_with_timezones()
    }

    /// `EventSummary[]` of its events, to-dos and journals (overrides included).
    pub fn events(&self) -> JsValue {
        convert::output(&self.cal.packed_summaries())
    }

    /// Sets (or with `undefined` removes) SUMMARY.
    #[wasm_bindgen(js_name = setSummary)]
    pub fn set_summary(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: Option<String>,
    ) -> Result<(), JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| {
            o.set_summary(value.as_deref())
        })
    }

    /// Sets or removes DESCRIPTION.
    #[wasm_bindgen(js_name = setDescription)]
    pub fn set_description(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: Option<String>,
    ) -> Result<(), JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| {
            o.set_description(value.as_deref())
        })
    }

    /// Sets or removes LOCATION.
    #[wasm_bindgen(js_name = setLocation)]
    pub fn set_location(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: Option<String>,
    ) -> Result<(), JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| {
            o.set_location(value.as_deref())
        })
    }

    /// Sets or removes STATUS.
    #[wasm_bindgen(js_name = setStatus)]
    pub fn set_status(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: Option<String>,
    ) -> Result<(), JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| o.set_status(value.as_deref()))
    }

    /// Sets DTSTART to `value` in `value_tzid` (moving one occurrence when targeted); DTEND
    /// (DUE on a to-do) moves along, so the event keeps its length (the core's `set_dtstart`).
    #[wasm_bindgen(js_name = setStart)]
    pub fn set_start(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: &str,
        value_tzid: Option<String>,
    ) -> Result<(), JsValue> {
        let start = time(value, value_tzid.as_deref())?;
        self.edit(uid, recurrence_id, tzid, |o| o.set_dtstart(&start))
    }

    /// Sets or (with `undefined`) removes DTEND (DUE on a to-do).
    #[wasm_bindgen(js_name = setEnd)]
    pub fn set_end(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        value: Option<String>,
        value_tzid: Option<String>,
    ) -> Result<(), JsValue> {
        let end = value
            .as_deref()
            .map(|v| time(v, value_tzid.as_deref()))
            .transpose()?;
        self.edit(uid, recurrence_id, tzid, |o| o.set_dtend(end.as_ref()))
    }

    /// Adds an ATTENDEE by e-mail, or replaces the one with that address.
    #[wasm_bindgen(js_name = addAttendee)]
    pub fn add_attendee(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        email: &str,
        common_name: Option<String>,
        partstat: Option<String>,
    ) -> Result<(), JsValue> {
        let mut attendee = CalAddress::from_email(email);
        attendee.cn = common_name;
        attendee.partstat = partstat;
        self.edit(uid, recurrence_id, tzid, |o| o.upsert_attendee(&attendee))
    }

    /// Removes the ATTENDEE with this address; false when there was none.
    #[wasm_bindgen(js_name = removeAttendee)]
    pub fn remove_attendee(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        address: &str,
    ) -> Result<bool, JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| o.remove_attendee(address))
    }

    /// Sets the PARTSTAT of the attendee with this e-mail; false when there is none.
    #[wasm_bindgen(js_name = setPartstat)]
    pub fn set_partstat(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        email: &str,
        partstat: &str,
    ) -> Result<bool, JsValue> {
        self.edit(uid, recurrence_id, tzid, |o| {
            o.set_partstat(email, partstat)
        })
    }

    /// `AlarmSummary[]` of the target (the occurrence's override when it has one, else the
    /// series).
    pub fn alarms(
        &self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let rid = rid(recurrence_id.as_deref(), tzid.as_deref())?;
        let object = rid
            .as_ref()
            .and_then(|rid| self.cal.find(uid, Some(rid)))
            .or_else(|| self.cal.find(uid, None))
            .ok_or_else(|| invalid(format!("no event with UID {uid}")))?;
        let alarms: Vec<_> = object.alarms().map(|a| a.to_summary()).collect();
        Ok(convert::output(&alarms))
    }

    /// Adds a VALARM: `action` `display` or `audio`, `trigger` an RFC 5545 duration from the
    /// start (or the end with `related_to_end`).
    #[wasm_bindgen(js_name = addAlarm)]
    #[allow(clippy::too_many_arguments)] // the target's three, then the alarm's four
    pub fn add_alarm(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        action: &str,
        trigger: &str,
        related_to_end: bool,
        description: Option<String>,
    ) -> Result<(), JsValue> {
        // Names by hand: serde's enum lookup would pull a JSON value tree into the module.
        let action = match action {
            "display" => AlarmAction::Display,
            "audio" => AlarmAction::Audio,
            other => {
                return Err(invalid(format!(
                    "alarm action `{other}` is not `display` or `audio`"
                )));
            }
        };
        let alarm = NewAlarm::from_text(action, trigger, related_to_end, description)
            .map_err(|e| convert::error(&Error::from(e)))?;
        self.edit(uid, recurrence_id, tzid, |o| o.add_alarm(&alarm))
    }

    /// Removes every VALARM of the target; how many went.
    #[wasm_bindgen(js_name = removeAlarms)]
    pub fn remove_alarms(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
    ) -> Result<u32, JsValue> {
        Ok(count(
            self.edit(uid, recurrence_id, tzid, |o| o.remove_alarms())?,
        ))
    }

    /// Cancels one occurrence (an EXDATE on the series; its override goes).
    #[wasm_bindgen(js_name = cancelOccurrence)]
    pub fn cancel_occurrence(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
    ) -> Result<(), JsValue> {
        let rid = Self::occurrence(recurrence_id, tzid, "cancelling an occurrence")?;
        self.cal.delete_occurrence(uid, &rid).map_err(edit_error)
    }

    /// "This and following": the series ends before the occurrence, and the returned editor
    /// holds the new series with `new_uid` from it on.
    #[wasm_bindgen(js_name = splitSeries)]
    pub fn split_series(
        &mut self,
        uid: &str,
        recurrence_id: Option<String>,
        tzid: Option<String>,
        new_uid: &str,
    ) -> Result<EventEditor, JsValue> {
        let rid = Self::occurrence(recurrence_id, tzid, "splitting a series")?;
        let cal = self
            .cal
            .split_series(uid, &rid, new_uid)
            .map_err(edit_error)?;
        Ok(EventEditor { cal })
    }
}

/// The card in `version` (`3.0` or `4.0`, also `V3`, `V4` as summaries name them): the core's
/// conversion, which refuses 2.1 (read, never written) with `InvalidInput`.
fn to_version(card: &VCard, version: &str) -> Result<VCard, JsValue> {
    let version = match version {
        "2.1" | "V2_1" => Version::V2_1,
        "3.0" | "V3" => Version::V3,
        "4.0" | "V4" => Version::V4,
        other => {
            return Err(invalid(format!(
                "vCard version `{other}`: davkit writes 3.0 or 4.0"
            )));
        }
    };
    card.to_version(version)
        .map_err(|e| convert::error(&Error::from(e)))
}

/// `convertContact(text, version)`: the vCard converted to `3.0` or `4.0`.
#[wasm_bindgen(js_name = convertContact)]
pub fn convert_contact(vcf: &str, version: &str) -> Result<String, JsValue> {
    let card = VCard::parse(vcf).map_err(vcard_error)?;
    Ok(to_version(&card, version)?.to_vcf())
}

/// One vCard to read and edit (held by the JS `ContactEditor`).
#[wasm_bindgen(js_name = ContactEditorCore)]
pub struct ContactEditor {
    card: VCard,
}

#[wasm_bindgen(js_class = ContactEditorCore)]
impl ContactEditor {
    /// Parses a vCard (2.1, 3.0 or 4.0); a `VCard` error when it is not one.
    pub fn parse(vcf: &str) -> Result<ContactEditor, JsValue> {
        Ok(ContactEditor {
            card: VCard::parse(vcf).map_err(vcard_error)?,
        })
    }

    /// The card as text, in its own version.
    #[wasm_bindgen(js_name = toVcf)]
    pub fn to_vcf(&self) -> String {
        self.card.to_vcf()
    }

    /// The card converted to `3.0` or `4.0`, as text.
    #[wasm_bindgen(js_name = toVersion)]
    pub fn to_version(&self, version: &str) -> Result<String, JsValue> {
        Ok(to_version(&self.card, version)?.to_vcf())
    }

    /// The card's `ContactSummary`.
    pub fn summary(&self) -> JsValue {
        convert::output(&self.card.summary_view())
    }

    /// Sets FN.
    #[wasm_bindgen(js_name = setFullName)]
    pub fn set_full_name(&mut self, value: &str) {
        self.card.set_full_name(value);
    }

    /// Sets N from its five parts.
    #[wasm_bindgen(js_name = setName)]
    pub fn set_name(
        &mut self,
        family: String,
        given: String,
        additional: String,
        prefixes: String,
        suffixes: String,
    ) {
        self.card.set_name(&StructuredName {
            family,
            given,
            additional,
            prefixes,
            suffixes,
        });
    }

    /// Sets or removes NOTE.
    #[wasm_bindgen(js_name = setNote)]
    pub fn set_note(&mut self, value: Option<String>) {
        self.card.set_note(value.as_deref());
    }

    /// Sets or removes TITLE.
    #[wasm_bindgen(js_name = setTitle)]
    pub fn set_title(&mut self, value: Option<String>) {
        self.card.set_title(value.as_deref());
    }

    /// Sets or removes ORG (organisation, then units).
    #[wasm_bindgen(js_name = setOrg)]
    pub fn set_org(&mut self, parts: Option<Vec<String>>) {
        let parts: Option<Vec<&str>> = parts
            .as_ref()
            .map(|p| p.iter().map(String::as_str).collect());
        self.card.set_org(parts.as_deref());
    }

    /// Replaces CATEGORIES.
    #[wasm_bindgen(js_name = setCategories)]
    pub fn set_categories(&mut self, categories: Vec<String>) {
        let cats: Vec<&str> = categories.iter().map(String::as_str).collect();
        self.card.set_categories(&cats);
    }

    /// Sets or removes BDAY (`1985-04-15`, `--04-15` or the vCard forms).
    #[wasm_bindgen(js_name = setBirthday)]
    pub fn set_birthday(&mut self, value: Option<String>) {
        let date = value.as_deref().map(PartialDate::parse);
        self.card.set_birthday(date.as_ref());
    }

    /// Adds an EMAIL, TEL or URL (`name`), from a `TypedValue`'s fields.
    #[wasm_bindgen(js_name = addTyped)]
    pub fn add_typed(
        &mut self,
        name: &str,
        value: String,
        types: Vec<String>,
        pref: Option<u8>,
        group: Option<String>,
        label: Option<String>,
    ) -> Result<(), JsValue> {
        let v = TypedValue {
            value,
            types,
            pref,
            group,
            label,
        };
        match name {
            "EMAIL" => self.card.add_email(&v),
            "TEL" => self.card.add_tel(&v),
            "URL" => self.card.add_url(&v),
            other => return Err(invalid(format!("`{other}` is not EMAIL, TEL or URL"))),
        }
        Ok(())
    }

    /// Removes every property with this name; how many went.
    #[wasm_bindgen(js_name = removeAll)]
    pub fn remove_all(&mut self, name: &str) -> u32 {
        count(self.card.remove_all(name))
    }
}
