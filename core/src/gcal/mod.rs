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
/// message) to a davkit error. A 410 is [`ErrorKind::InvalidSyncToken`] only with the reason
/// `fullSyncRequired` or `updatedMinTooLongAgo`; any other 410, one without a reason included,
/// is [`ErrorKind::NotFound`]: the resource is gone (events.delete or events.patch of a deleted
/// event). [`Session::gcal_sync`] also reads a 410 without a reason to its listing with a sync
/// token as an expired token.
pub fn api_error(url: &str, response: &HttpResponse) -> Error {
    error_of(url, response, false)
}

/// [`api_error`] for the answer to an events.list with a sync token, where a 410 without a
/// reason (an empty body, a proxy's page) can only mean that the token expired.
pub(crate) fn sync_listing_error(url: &str, response: &HttpResponse) -> Error {
    error_of(url, response, true)
}

fn error_of(url: &str, response: &HttpResponse, sync_listing: bool) -> Error {
    let base = Error::from_response(url, response);
    let reasons: Vec<String> = crate::error::error_json(&response.body)
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
        410 if has("fullSyncRequired")
            || has("updatedMinTooLongAgo")
            || (sync_listing && reasons.is_empty()) =>
        {
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

    /// An error answer is read for its reasons only up to `limits::MAX_SMALL_ANSWER_BYTES`: one
    /// past it has none (its status alone says what it is), whatever it says.
    #[test]
    fn error_answers_past_the_bound_are_read_for_no_reasons() {
        let url = "https://www.googleapis.com/calendar/v3/calendars/cal/events";
        // `reason`'s envelope, padded with spaces to `len` bytes.
        let body = |reason: &str, len: usize| {
            let mut b = format!(r#"{{"error":{{"errors":[{{"reason":"{reason}"}}]}}}}"#);
            b.push_str(&" ".repeat(len - b.len()));
            b
        };
        let max = crate::limits::MAX_SMALL_ANSWER_BYTES;
        let limited = |len| HttpResponse::new(403, body("rateLimitExceeded", len));
        assert_eq!(api_error(url, &limited(max)).kind(), ErrorKind::RateLimited);
        assert_eq!(
            api_error(url, &limited(max + 1)).kind(),
            ErrorKind::Forbidden
        );
        let gone = |len| HttpResponse::new(410, body("deleted", len));
        assert_eq!(
            sync_listing_error(url, &gone(max)).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            sync_listing_error(url, &gone(max + 1)).kind(),
            ErrorKind::InvalidSyncToken
        );
    }

    /// A 410 without a reason is a gone resource (a write to a deleted event), except to a
    /// listing with a sync token, where it can only be the token that expired.
    #[test]
    fn a_410_without_reason_is_an_expired_token_only_to_a_sync_listing() {
        let url = "https://www.googleapis.com/calendar/v3/calendars/cal/events/e1";
        for body in ["", "gone", r#"{"error":{"code":410,"message":"Gone"}}"#] {
            let response = HttpResponse::new(410, body);
            let e = api_error(url, &response);
            assert_eq!(e.kind(), ErrorKind::NotFound, "{body:?}");
            assert_eq!(e.status(), Some(410));
            assert_eq!(
                sync_listing_error(url, &response).kind(),
                ErrorKind::InvalidSyncToken,
                "{body:?}"
            );
        }
        let deleted = HttpResponse::new(410, r#"{"error":{"errors":[{"reason":"deleted"}]}}"#);
        assert_eq!(
            sync_listing_error(url, &deleted).kind(),
            ErrorKind::NotFound
        );
    }
}
