//! iCalendar and vCard parsing and recurrence expansion for JS: the core's summaries
//! (`EventSummary`, `ContactSummary`, `OccurrenceSummary`) with JS key names (`json.rs`).

use std::borrow::Cow;

use davkit::icalendar::{
    CalObject, Calendar, ExpandOptions, OccurrenceSummary, Summaries, TzPolicy,
};
use davkit::vcard::VCard;
use davkit::{Error, ErrorKind};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::json;
use crate::{convert, read};

fn fail(kind: ErrorKind, message: impl Into<String>) -> JsValue {
    convert::error(&Error::new(kind, message))
}

/// `parseCalendar(text)` -> `{ events: EventSummary[] }` (VEVENT, VTODO and VJOURNAL).
#[wasm_bindgen(js_name = parseCalendar)]
pub fn parse_calendar(text: &str) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct Parsed<'a> {
        name: Option<Cow<'a, str>>,
        method: Option<&'a str>,
        events: Summaries,
    }
    let cal = Calendar::parse(text).map_err(|e| convert::error(&Error::from(e)))?;
    Ok(convert::output(&Parsed {
        name: cal.name(),
        method: cal.method(),
        // packed: however many components or list items the text holds, about its size
        events: cal.packed_summaries(),
    }))
}

/// `parseContact(text)` -> `ContactSummary` of the first card.
#[wasm_bindgen(js_name = parseContact)]
pub fn parse_contact(text: &str) -> Result<JsValue, JsValue> {
    let card = VCard::parse(text).map_err(|e| convert::error(&Error::from(e)))?;
    Ok(convert::output(&card.summary_view()))
}

/// `parseContacts(text)` -> `ContactSummary[]` for a file with several cards.
#[wasm_bindgen(js_name = parseContacts)]
pub fn parse_contacts(text: &str) -> Result<JsValue, JsValue> {
    let cards = VCard::parse_all(text).map_err(|e| convert::error(&Error::from(e)))?;
    let summaries: Vec<_> = cards.iter().map(VCard::summary_view).collect();
    Ok(convert::output(&summaries))
}

/// `expand(text, { start, end, maxInstances?, floatingTimeZone?, preferVtimezone? })` ->
/// `{ occurrences, truncated, warnings }`; `start`/`end` are ISO instants (`...Z` or offset).
#[wasm_bindgen]
pub fn expand(text: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let take = || {
        let v = read::value(&options);
        let f = read::Fields::of("expand options", &v, "{ start, end }")?;
        Ok::<_, Error>((
            f.string("start")?,
            f.string("end")?,
            f.opt_usize("maxInstances")?,
            f.opt_string("floatingTimeZone")?,
            f.flag("preferVtimezone")?,
        ))
    };
    let (start, end, max_instances, floating_time_zone, prefer_vtimezone) =
        take().map_err(|e| convert::error(&e))?;
    let instant = |s: &str| {
        // `Date.toISOString()` text from api.js, read by hand (not by jiff's ISO parser).
        davkit::icalendar::read_time::rfc3339(s).ok_or_else(|| {
            fail(
                ErrorKind::InvalidInput,
                format!("`{s}` is not an instant with a zone (e.g. 2026-01-01T00:00:00Z)"),
            )
        })
    };
    let window = (instant(&start)?, instant(&end)?);
    let mut opts = ExpandOptions::default();
    if let Some(n) = max_instances {
        opts.max_instances = n;
    }
    if let Some(tz) = &floating_time_zone {
        // the core's lookup: the bundled database if any, else the host's zones (Intl)
        opts.floating_tz = davkit::icalendar::zone_named(tz).ok_or_else(|| {
            fail(
                ErrorKind::InvalidInput,
                format!("time zone `{tz}`: not found in the time zone database"),
            )
        })?;
    }
    if prefer_vtimezone {
        opts.tz_policy = TzPolicy::PreferVtimezone;
    }
    let cal = Calendar::parse(text).map_err(|e| convert::error(&Error::from(e)))?;
    let expansion = cal
        .expand(window, &opts)
        .map_err(|e| convert::error(&Error::from(e)))?;
    /// What an occurrence gets next to the core's `OccurrenceSummary` fields (in one object:
    /// [`json::merged`], as `#[serde(flatten)]` would write them but with JS key names).
    #[derive(Serialize)]
    struct Named<'a> {
        summary: Option<Cow<'a, str>>,
        location: Option<Cow<'a, str>>,
    }
    #[derive(Serialize)]
    struct ExpansionOut<'a> {
        occurrences: Vec<json::Fragment>,
        truncated: bool,
        warnings: &'a [String],
    }
    let components = cal.component().components();
    let occurrences = expansion
        .occurrences
        .iter()
        .map(|occ| {
            let obj = components.get(occ.component_index).map(CalObject::new);
            let named = Named {
                summary: obj.as_ref().and_then(CalObject::summary),
                location: obj.as_ref().and_then(CalObject::location),
            };
            json::merged(&OccurrenceSummary::from(occ), &named)
        })
        .collect();
    Ok(convert::output(&ExpansionOut {
        occurrences,
        truncated: expansion.truncated,
        warnings: &expansion.warnings,
    }))
}
