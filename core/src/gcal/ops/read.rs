//! Calendar API answers read by hand from the parsed JSON value: an events.list page
//! ([`Listed`], the fields of [`EventsPage`](super::EventsPage)) and a calendarList.list page
//! ([`CalendarListEntry`]s and the next page's token). [`crate::json_read`] says why not
//! through the derived `Deserialize` (it kept float printing in the npm module); the derives
//! stay for Rust callers.
//!
//! Accepted as the derives accepted them: unknown fields ignored (Google adds fields), the
//! optional ones absent or `null` as `None`, `items` absent as none (but `null` or another
//! type refused), a calendar's camelCase names (`timeZone`) or their snake_case aliases, not
//! both. An answer given as an array (the derive's sequence spelling of a struct) is refused:
//! the API never sends one.

use crate::json_read::Json;

use super::CalendarListEntry;
#[cfg(test)]
use super::EventsPage;
use crate::error::{Error, ErrorKind, Result};
use crate::json_read::{self, Fields, Read};

/// One events.list page as the derived `Deserialize` reads it, for the tests that compare the
/// two (`json_read/answers.rs`); the sync reads a page as [`Listed`].
#[cfg(test)]
pub(crate) fn events_page(v: Json) -> Result<EventsPage> {
    let page = listed(v)?;
    Ok(EventsPage {
        items: page.items.into_iter().map(Json::into_value).collect(),
        next_page_token: page.next_page_token,
        next_sync_token: page.next_sync_token,
    })
}

/// An events.list page (a page holds up to 2,500 events), its events still the parsed JSON:
/// a sync makes each the `Value` callers receive when it takes it, so a page is never held as
/// both trees (a `Value`'s object, a B-tree node, costs several times the parsed one).
pub(crate) struct Listed {
    /// The events.
    pub items: Vec<Json>,
    /// Present when more pages follow.
    pub next_page_token: Option<String>,
    /// Present on the last page only.
    pub next_sync_token: Option<String>,
}

/// One events.list page, its events left as they were parsed.
pub(crate) fn listed(v: Json) -> Result<Listed> {
    read_events_page(v).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("Calendar API: bad events page: {e}"),
        )
    })
}

fn read_events_page(v: Json) -> Read<Listed> {
    let (next_page_token, next_sync_token) = {
        let f = Fields::of("", &v, "struct EventsPage")?;
        if let Some(items) = f.get("items").filter(|i| !i.is_array()) {
            return Err(json_read::wrong_type("items", items, "a sequence"));
        }
        (
            f.opt_string("nextPageToken")?,
            f.opt_string("nextSyncToken")?,
        )
    };
    let items = match v.into_member("items") {
        Some(Json::Array(list)) => list,
        _ => Vec::new(),
    };
    Ok(Listed {
        items,
        next_page_token,
        next_sync_token,
    })
}

/// One calendarList.list page: its calendars and, when another page follows, its token. An
/// answer that is not an object has none of either, and a `nextPageToken` that is not a
/// string is no token (both as before).
pub(crate) fn calendar_list(v: &Json) -> Result<(Vec<CalendarListEntry>, Option<String>)> {
    let entries = match v.get("items") {
        None => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| calendar(&format!("items[{i}]"), item))
            .collect::<Read<_>>()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("Calendar API: bad calendar list: {e}"),
                )
            })?,
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "Calendar API: bad calendar list: {}",
                    json_read::wrong_type("items", other, "a sequence")
                ),
            ));
        }
    };
    let next = v
        .get("nextPageToken")
        .and_then(Json::as_str)
        .map(str::to_owned);
    Ok((entries, next))
}

/// One calendar of the list.
pub(crate) fn calendar(at: &str, v: &Json) -> Read<CalendarListEntry> {
    let f = Fields::of(at, v, "struct CalendarListEntry")?;
    Ok(CalendarListEntry {
        id: f.string("id")?,
        summary: f.opt_string("summary")?,
        description: f.opt_string("description")?,
        time_zone: aliased(at, &f, "time_zone", "timeZone")?,
        background_color: aliased(at, &f, "background_color", "backgroundColor")?,
        access_role: aliased(at, &f, "access_role", "accessRole")?,
        primary: f.flag("primary")?,
    })
}

/// An optional string under its name or its alias; both present is the derive's
/// `duplicate field` refusal (whatever their values).
fn aliased(at: &str, f: &Fields<'_>, name: &str, alias: &str) -> Read<Option<String>> {
    match (f.get(name), f.get(alias)) {
        (Some(_), Some(_)) => Err(json_read::duplicate(at, name)),
        (None, Some(_)) => f.opt_string(alias),
        _ => f.opt_string(name),
    }
}
