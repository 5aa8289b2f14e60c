//! Calendar API operations: calendarList.list and events.list with paging (`pageToken` /
//! `nextPageToken`, `nextSyncToken` on the last page only), incremental sync from a stored
//! `syncToken` with 410 handled by a full resync, and conditional writes.
//!
//! Paging always ends: a `nextPageToken` the listing already followed is a
//! [`ErrorKind::Protocol`] error (the server is looping), and a listing longer than
//! [`Limits::max_sync_pages`](crate::Limits::max_sync_pages) (default [`MAX_PAGES`]) is an
//! [`ErrorKind::LimitExceeded`] error. Neither returns a new
//! [`SyncState`](crate::model::SyncState), so the stored one stays valid. In a sync's listing
//! of one series by `iCalUID` either is a problem of that series, which stays pending.
//!
//! The parts: [`calendars`] (calendarList.list), [`sync`] (events.list and incremental sync,
//! with `sync/series.rs` joining recurring series), [`write`](mod@write) (events insert, patch
//! and delete), [`read`] (the answers' JSON read by hand). This file keeps the query and
//! answer types, the paging bound and the JSON helpers they share.

mod calendars;
pub(crate) mod read;
mod sync;
#[cfg(test)]
mod tests;
mod write;

pub use calendars::GcalList;
pub use sync::GcalSync;
pub use write::GcalWrite;
pub(super) use write::written;

use crate::string_set::StringSet;
use crate::url::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::Reply;
use crate::session::Session;

/// Query parameters of events.list (and events.watch). Those that cannot be combined with a
/// `syncToken` are refused before any request when a sync token is in use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "GcalEventsQuery"))]
pub struct EventsQuery {
    /// `timeMin` (RFC 3339); not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub time_min: Option<String>,
    /// `timeMax` (RFC 3339); not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub time_max: Option<String>,
    /// `updatedMin` (RFC 3339); not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub updated_min: Option<String>,
    /// `q`, free text; not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub q: Option<String>,
    /// `orderBy` (`startTime` needs `single_events`); not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_by: Option<String>,
    /// `iCalUID`; not with a sync token.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub ical_uid: Option<String>,
    /// `singleEvents`: expand recurring events into instances.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub single_events: Option<bool>,
    /// `showDeleted`; with a sync token deleted events are always included and `false` is
    /// refused.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub show_deleted: Option<bool>,
    /// `maxResults` per page (Google: default 250, at most 2500).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_results: Option<u32>,
}

impl EventsQuery {
    fn check(&self, with_sync_token: bool) -> Result<()> {
        if with_sync_token {
            let forbidden: Vec<&str> = [
                ("timeMin", self.time_min.is_some()),
                ("timeMax", self.time_max.is_some()),
                ("updatedMin", self.updated_min.is_some()),
                ("q", self.q.is_some()),
                ("orderBy", self.order_by.is_some()),
                ("iCalUID", self.ical_uid.is_some()),
                ("showDeleted=false", self.show_deleted == Some(false)),
            ]
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect();
            if !forbidden.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{} cannot be combined with a sync token (the Calendar API answers 400 \
                         syncTokenWithRequestRestrictions)",
                        forbidden.join(", ")
                    ),
                ));
            }
        }
        if self.order_by.as_deref() == Some("startTime") && self.single_events != Some(true) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "orderBy=startTime needs singleEvents=true",
            ));
        }
        if let Some(n) = self.max_results
            && !(1..=2500).contains(&n)
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "maxResults must be between 1 and 2500",
            ));
        }
        Ok(())
    }

    fn apply(&self, url: &mut Url, sync_token: Option<&str>, page_token: Option<&str>) {
        let mut q = url.query_pairs_mut();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                q.append_pair(k, &v);
            }
        };
        put("timeMin", self.time_min.clone());
        put("timeMax", self.time_max.clone());
        put("updatedMin", self.updated_min.clone());
        put("q", self.q.clone());
        put("orderBy", self.order_by.clone());
        put("iCalUID", self.ical_uid.clone());
        put("singleEvents", self.single_events.map(|b| b.to_string()));
        put("showDeleted", self.show_deleted.map(|b| b.to_string()));
        put("maxResults", self.max_results.map(|n| n.to_string()));
        put("syncToken", sync_token.map(str::to_owned));
        put("pageToken", page_token.map(str::to_owned));
        if url.query() == Some("") {
            url.set_query(None);
        }
    }
}

/// One page of events.list, as the API sent it. Its `Deserialize` is for Rust callers; the
/// sync reads a page by hand (`read.rs`), with the same fields and defaults.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EventsPage {
    /// The events (JSON objects).
    #[serde(default)]
    pub items: Vec<Value>,
    /// Present when more pages follow.
    #[serde(default, rename = "nextPageToken")]
    pub next_page_token: Option<String>,
    /// Present on the last page only.
    #[serde(default, rename = "nextSyncToken")]
    pub next_sync_token: Option<String>,
}

/// One calendar of the user's calendar list. Its `Deserialize` is for Rust callers;
/// calendarList.list reads it by hand (`read.rs`), with the same fields and aliases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "GcalCalendar"))]
pub struct CalendarListEntry {
    /// The calendar id (use it with events.list).
    pub id: String,
    /// The calendar's title.
    #[serde(default)]
    pub summary: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its IANA time zone.
    #[serde(default, alias = "timeZone")]
    pub time_zone: Option<String>,
    /// `#rrggbb`.
    #[serde(default, alias = "backgroundColor")]
    pub background_color: Option<String>,
    /// `owner`, `writer`, `reader` or `freeBusyReader`.
    #[serde(default, alias = "accessRole")]
    pub access_role: Option<String>,
    /// Whether it is the user's primary calendar.
    #[serde(default)]
    pub primary: bool,
}

/// The most pages one listing (calendarList.list, or events.list in one sync) may take before
/// the operation fails with [`ErrorKind::LimitExceeded`], against a server that never stops
/// paging: the default of [`Limits::max_sync_pages`](crate::Limits::max_sync_pages), shared
/// with the CalDAV sync. At the API's default of 250 events a page this is 2.5 million events,
/// far beyond any real calendar.
pub const MAX_PAGES: usize = 10_000;

/// The page tokens one listing has followed, so a server that sends one again (and would make
/// the client loop for ever) is caught at once, and the page count against `max` (the
/// session's `Limits::max_sync_pages`).
#[derive(Debug)]
struct Paging {
    followed: StringSet,
    max: usize,
}

impl Paging {
    fn new(max: usize) -> Self {
        Paging {
            followed: StringSet::new(),
            max,
        }
    }

    /// Accepts `token` as the next page to fetch, or says why the listing must stop.
    fn follow(&mut self, what: &str, token: &str) -> Result<()> {
        if !self.followed.insert(token.to_owned()) {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "Calendar API: {what} repeated the page token `{}`; the listing would never \
                     end",
                    crate::redact::excerpt(token.as_bytes(), 60)
                ),
            ));
        }
        // The first page has no token: `followed.len() + 1` pages once this one is fetched.
        let max = self.max;
        if self.followed.len() >= max {
            return Err(crate::limits::exceeded(format!(
                "Calendar API: {what} did not end within {max} pages (Limits::max_sync_pages, \
                 default gcal::MAX_PAGES)"
            )));
        }
        Ok(())
    }

    /// Starts a new listing (after a 410 restarts the sync from scratch).
    fn restart(&mut self) {
        self.followed.clear();
    }
}

fn api_url(session: &Session, path: &str) -> Result<Url> {
    session.url(path)
}

/// [`json_reply`] as serde_json's `Value`: an event, which callers receive as one.
pub(super) fn value_reply(reply: &Reply, max_values: usize) -> Result<Value> {
    json_reply(reply, max_values).map(crate::json_read::Json::into_value)
}

/// The JSON body of a successful Calendar API answer; any other status is the API's error,
/// and a body that weighs more than `max_values` values (`Limits::max_json_values`, weighed
/// before it is parsed) a `LimitExceeded` error.
pub(super) fn json_reply(reply: &Reply, max_values: usize) -> Result<crate::json_read::Json> {
    let response = &reply.response;
    if !response.is_success() {
        return Err(super::api_error(reply.url.as_str(), response));
    }
    let url = reply.url.as_str();
    if !crate::json_read::text::weight_within(&response.body, max_values) {
        let e = crate::limits::json_values_exceeded(max_values);
        return Err(e.with_status(response.status).with_url(url));
    }
    crate::json_read::text::parse_bytes(&response.body).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("Calendar API: unreadable JSON answer: {e}"),
        )
        .with_url(url)
    })
}
