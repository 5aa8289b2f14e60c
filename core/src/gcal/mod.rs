//! Google Calendar API v3 (<https://developers.google.com/calendar/api/v3/reference>):
//! calendarList.list, events.list with paging and incremental sync (syncToken, 410
//! `fullSyncRequired`), events insert/patch/delete with the event's ETag as `If-Match`, and push
//! notification channels (events.watch, notifications, channels.stop), all sans-IO.
//!
//! Events are mapped into davkit's model: a [`Change`](crate::Change) from
//! [`Session::gcal_sync`] is the same type a CalDAV [`Session::sync`] returns, with the event as
//! iCalendar text (so [`icalendar::Calendar`](crate::icalendar::Calendar) reads it like any
//! other) and the original JSON alongside, and the same [`SyncState`](crate::SyncState) to store.
//!
//! Create the [`Session`] with the API's base URL, [`API_BASE`], and Bearer credentials (or a
//! token provider).

mod events;
pub(crate) mod ops;
mod push;
mod scheduling;

pub use events::{event_to_ical, event_url, series_to_ical};
pub use ops::{
    CalendarListEntry, EventsPage, EventsQuery, GcalList, GcalSync, GcalWrite, MAX_PAGES,
};
pub use push::{Channel, Notification, ResourceState, WatchRequest};
pub use scheduling::{
    GcalAttendee, GcalRespond, GcalResponded, MAX_FREE_BUSY_CALENDARS, MAX_GCAL_RESPOND_ATTEMPTS,
    SendUpdates, attendee_statuses, response_status,
};

use crate::error::{Error, ErrorKind};
use crate::http::HttpResponse;

#[allow(unused_imports)] // for the doc links above
use crate::session::Session;

/// The Calendar API's base URL; use it as the session's server URL.
pub const API_BASE: &str = "https://www.googleapis.com/calendar/v3/";

/// Maps a Calendar API error (its JSON envelope, keyed on status and `reason`, never on the
/// message) to a davkit error.
pub fn api_error(url: &str, response: &HttpResponse) -> Error {
    let base = Error::from_response(url, response);
    let reasons: Vec<String> = crate::json_read::text::parse_bytes(&response.body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(|e| e.get("errors"))
                .and_then(crate::json_read::Json::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|e| e.get("reason").and_then(crate::json_read::Json::as_str))
                        .map(str::to_owned)
                        .collect()
                })
        })
        .unwrap_or_default();
    let has = |r: &str| reasons.iter().any(|x| x == r);
    let kind = match response.status {
        410 if has("fullSyncRequired") || has("updatedMinTooLongAgo") || reasons.is_empty() => {
            ErrorKind::InvalidSyncToken
        }
        410 => ErrorKind::NotFound,
        400 if has("syncTokenWithRequestRestrictions") => ErrorKind::InvalidInput,
        409 if has("duplicate") => ErrorKind::PreconditionFailed,
        _ => base.kind(),
    };
    if kind == base.kind() {
        base
    } else {
        let message = match kind {
            ErrorKind::InvalidSyncToken => {
                "the sync token is no longer valid: a full sync is required".to_owned()
            }
            _ => format!("{} ({})", base.message(), reasons.join(", ")),
        };
        let mut e = Error::new(kind, message)
            .with_status(response.status)
            .with_body(&response.body);
        if let Some(u) = base.url() {
            e = e.with_url(u);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_kinds() {
        let full = r#"{"error":{"errors":[{"domain":"calendar","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required.","locationType":"parameter","location":"syncToken"}],"code":410,"message":"Sync token is no longer valid, a full sync is required."}}"#;
        let cases = [
            (410, full, ErrorKind::InvalidSyncToken),
            (
                410,
                r#"{"error":{"errors":[{"reason":"deleted"}],"code":410}}"#,
                ErrorKind::NotFound,
            ),
            (
                400,
                r#"{"error":{"errors":[{"reason":"syncTokenWithRequestRestrictions"}],"code":400}}"#,
                ErrorKind::InvalidInput,
            ),
            (
                403,
                r#"{"error":{"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}],"code":403}}"#,
                ErrorKind::RateLimited,
            ),
            (
                412,
                r#"{"error":{"errors":[{"reason":"conditionNotMet"}],"code":412}}"#,
                ErrorKind::PreconditionFailed,
            ),
            (
                409,
                r#"{"error":{"errors":[{"reason":"duplicate"}],"code":409}}"#,
                ErrorKind::PreconditionFailed,
            ),
            (
                401,
                r#"{"error":{"errors":[{"reason":"authError"}],"code":401}}"#,
                ErrorKind::Unauthorized,
            ),
            (500, "oops", ErrorKind::Http),
        ];
        for (status, body, kind) in cases {
            let e = api_error(
                "https://www.googleapis.com/x",
                &HttpResponse::new(status, body),
            );
            assert_eq!(e.kind(), kind, "{status} {body}");
            assert_eq!(e.status(), Some(status));
        }
    }
}
