//! Calendar API operations: calendarList.list and events.list with paging (`pageToken` /
//! `nextPageToken`, `nextSyncToken` on the last page only), incremental sync from a stored
//! `syncToken` with 410 handled by a full resync, and conditional writes.
//!
//! Paging always ends: a `nextPageToken` the listing already followed is a
//! [`ErrorKind::Protocol`] error (the server is looping), and a listing longer than
//! [`Limits::max_sync_pages`](crate::Limits::max_sync_pages) (default [`MAX_PAGES`]) is an
//! [`ErrorKind::LimitExceeded`] error. Neither returns a new [`SyncState`], so the stored one
//! stays valid.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::events::{event_to_ical, event_url, is_cancelled, series_to_ical};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::href::encode_segment;
use crate::http::Method;
use crate::model::{
    Change, DavObject, MemberProblem, SyncMethod, SyncResult, SyncState, WriteResult,
};
use crate::ops::write::require_etag;
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
        drop(q);
        if url.query() == Some("") {
            url.set_query(None);
        }
    }
}

/// One page of events.list, as the API sent it.
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

/// One calendar of the user's calendar list.
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
    followed: HashSet<String>,
    max: usize,
}

impl Paging {
    fn new(max: usize) -> Self {
        Paging {
            followed: HashSet::new(),
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

/// The JSON body of a successful Calendar API answer; any other status is the API's error.
pub(super) fn json_reply(reply: &Reply) -> Result<Value> {
    if !reply.response.is_success() {
        return Err(super::api_error(reply.url.as_str(), &reply.response));
    }
    serde_json::from_slice(&reply.response.body).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("Calendar API: unreadable JSON answer: {e}"),
        )
        .with_url(reply.url.as_str())
    })
}

/// calendarList.list over all pages; create it with [`Session::gcal_calendars`]. A repeated
/// page token ([`ErrorKind::Protocol`]) or more than
/// [`Limits::max_sync_pages`](crate::Limits::max_sync_pages) pages
/// ([`ErrorKind::LimitExceeded`]) fail it.
pub struct GcalList {
    m: Machine<(), Vec<CalendarListEntry>>,
    base: Option<Url>,
    found: Vec<CalendarListEntry>,
    paging: Paging,
}

impl Session {
    /// Lists the user's calendars (calendarList.list, all pages).
    pub fn gcal_calendars(&self) -> GcalList {
        let mut op = GcalList {
            m: Machine::new(self.ctx.clone()),
            base: None,
            found: Vec::new(),
            paging: Paging::new(self.ctx.limits.max_sync_pages),
        };
        match api_url(self, "users/me/calendarList") {
            Ok(url) => {
                op.base = Some(url.clone());
                op.m.x.send((), Spec::new(Method::Get, url));
            }
            Err(e) => op.m.fail(e),
        }
        op
    }
}

impl GcalList {
    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let url = reply.as_ref().map(|r| r.url.to_string()).ok();
        let outcome = reply.and_then(|r| json_reply(&r)).and_then(|v| {
            let items = v.get("items").cloned().unwrap_or(Value::Array(Vec::new()));
            let entries: Vec<CalendarListEntry> = serde_json::from_value(items).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("Calendar API: bad calendar list: {e}"),
                )
            })?;
            self.found.extend(entries);
            Ok(v.get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_owned))
        });
        let outcome = outcome.and_then(|next| match next {
            Some(page) => match self.paging.follow("calendarList.list", &page) {
                Ok(()) => Ok(Some(page)),
                Err(e) => Err(match &url {
                    Some(url) => e.with_url(url),
                    None => e,
                }),
            },
            None => Ok(None),
        });
        match outcome {
            Ok(Some(page)) => match self.base.clone() {
                Some(mut url) => {
                    url.query_pairs_mut().append_pair("pageToken", &page);
                    self.m.x.send((), Spec::new(Method::Get, url));
                }
                None => self.m.fail(Error::new(ErrorKind::Protocol, "no base URL")),
            },
            Ok(None) => {
                let found = std::mem::take(&mut self.found);
                self.m.finish(Ok(found));
            }
            Err(e) => self.m.fail(e),
        }
    }
}

impl_operation!(GcalList, Vec<CalendarListEntry>);

/// Full or incremental events sync; create it with [`Session::gcal_sync`].
///
/// Unless the query asks for `singleEvents`, a recurring series is one object keyed by its
/// master's URL ([`series_to_ical`](super::series_to_ical)): its exceptions are
/// joined to it, and an incremental sync that brings a changed master or exception fetches
/// that series whole (events.get of the master when its UID is unknown, then events.list by
/// `iCalUID`) and delivers the series' object as a change. A series that cannot be fetched is
/// a problem and stays pending.
///
/// A repeated page token ([`ErrorKind::Protocol`]) or more than
/// [`Limits::max_sync_pages`](crate::Limits::max_sync_pages) pages
/// ([`ErrorKind::LimitExceeded`]) fail it with no new state.
///
/// An event that cannot be read (no `id`, an unreadable time, anything
/// [`event_to_ical`] refuses) does not fail the sync: it is reported in
/// [`SyncResult::problems`] (kind `Protocol` or `ICalendar`, its event URL, or the calendar's
/// events URL when it has no id), the rest is delivered and the state advances. Such an event is
/// reported, not retried: the Calendar API would return the same JSON again, so fetching it
/// once more cannot help, and it is not kept in [`SyncState::pending`]. The state keeps the
/// ETag the app last received for it, if any, so it is never reported as deleted.
///
/// Members the app marked with [`SyncState::mark_pending`] are fetched again (events.get on
/// their URL) when the listing does not mention them, and delivered as additions or, after a
/// 404/410 or a cancelled event, deletions. One that cannot be fetched for another reason is a
/// problem and stays pending (a rate limit included: the next sync asks again); a 401 or a
/// transport failure fails the sync.
pub struct GcalSync {
    m: Machine<Tag, SyncResult>,
    calendar_id: String,
    query: EventsQuery,
    events_url: Option<Url>,
    old: SyncState,
    token: Option<String>,
    token_was_reset: bool,
    paging: Paging,
    /// Event URL -> what this sync learnt of it, latest wins.
    seen: BTreeMap<String, Seen>,
    /// Events without an id, which no URL names.
    unnamed: Vec<MemberProblem>,
    /// The last page's `nextSyncToken`, once the listing is complete.
    next_sync_token: Option<String>,
    /// events.get requests for pending members still in flight.
    fetching: usize,
    /// `singleEvents` is not true: each exception of a recurring series is joined to its
    /// series' object instead of being an object of its own.
    series_mode: bool,
    /// Recurring masters this sync saw, by event id.
    masters: BTreeMap<String, Value>,
    /// Exceptions this sync saw, by series id and then exception id.
    exceptions: BTreeMap<String, BTreeMap<String, Value>>,
    /// Series whose whole set (master and exceptions) is being fetched.
    series_fetching: usize,
    /// Series that could not be fetched whole (reported as problems, left pending).
    series_failed: HashSet<String>,
    /// Whether the series were joined (the step after the listing and pending fetches).
    joined: bool,
}

#[derive(Debug)]
enum Tag {
    Page,
    /// A pending member (its URL as the state stores it).
    Pending(String),
    /// events.get of a series' master whose exceptions changed (series id).
    Master(String),
    /// events.list by `iCalUID`: a series' master and all its exceptions (series id, UID,
    /// pages fetched so far).
    Series(String, String, usize),
}

#[derive(Clone, Debug)]
enum Seen {
    Present(DavObject),
    Gone,
    /// Unreadable: reported, not retried.
    Unreadable(MemberProblem),
    /// Pending and not fetched this time: reported, still pending.
    Owed(MemberProblem),
}

impl Session {
    /// Synchronises one Google calendar through the Calendar API from a stored state (use
    /// [`SyncState::new`] with any URL, or empty, the first time). The same `query` must be
    /// given on every sync of this state. A token Google no longer accepts (410) restarts a
    /// full sync whose changes are complete relative to the stored state
    /// (`token_was_reset`). See [`GcalSync`] for events that cannot be read.
    pub fn gcal_sync(&self, calendar_id: &str, query: EventsQuery, state: SyncState) -> GcalSync {
        let series_mode = query.single_events != Some(true);
        let mut op = GcalSync {
            m: Machine::new(self.ctx.clone()),
            calendar_id: calendar_id.to_owned(),
            query,
            events_url: None,
            old: state,
            token: None,
            token_was_reset: false,
            paging: Paging::new(self.ctx.limits.max_sync_pages),
            seen: BTreeMap::new(),
            unnamed: Vec::new(),
            next_sync_token: None,
            fetching: 0,
            series_mode,
            masters: BTreeMap::new(),
            exceptions: BTreeMap::new(),
            series_fetching: 0,
            series_failed: HashSet::new(),
            joined: false,
        };
        let path = format!("calendars/{}/events", encode_segment(calendar_id));
        match api_url(self, &path) {
            Ok(url) => op.events_url = Some(url),
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        }
        op.token = op.old.sync_token.clone().filter(|t| !t.is_empty());
        if let Err(e) = op.query.check(op.token.is_some()) {
            op.m.fail(e);
            return op;
        }
        op.request(None);
        op
    }
}

impl GcalSync {
    /// The state this sync started from, as it was given (for running it again after it
    /// failed, without having kept a copy). After a sync that finished it holds no ETags.
    pub fn into_state(self) -> SyncState {
        self.old
    }

    fn request(&mut self, page_token: Option<&str>) {
        let Some(mut url) = self.events_url.clone() else {
            return self
                .m
                .fail(Error::new(ErrorKind::Protocol, "no events URL"));
        };
        self.query
            .apply(&mut url, self.token.as_deref(), page_token);
        self.m.x.send(Tag::Page, Spec::new(Method::Get, url));
    }

    fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        let reply = match reply {
            Ok(r) => r,
            Err(e) => return self.m.fail(e),
        };
        match tag {
            Tag::Page => self.on_page(reply),
            Tag::Pending(url) => {
                self.fetching = self.fetching.saturating_sub(1);
                if let Err(e) = self.on_pending(url, &reply) {
                    return self.m.fail(e);
                }
                if self.fetching == 0 {
                    self.after_fetches();
                }
            }
            Tag::Master(id) => {
                if let Err(e) = self.on_master(id, &reply) {
                    return self.m.fail(e);
                }
                self.series_answered();
            }
            Tag::Series(id, uid, pages) => match self.on_series(id, uid, pages, &reply) {
                Ok(true) => {}
                Ok(false) => self.series_answered(),
                Err(e) => self.m.fail(e),
            },
        }
    }

    fn on_page(&mut self, reply: Reply) {
        if reply.response.status == 410 && self.token.is_some() && !self.token_was_reset {
            let e = super::api_error(reply.url.as_str(), &reply.response);
            if e.kind() == ErrorKind::InvalidSyncToken {
                // Full resync; deletions are then computed against the stored state.
                self.token = None;
                self.token_was_reset = true;
                self.seen.clear();
                self.unnamed.clear();
                self.masters.clear();
                self.exceptions.clear();
                // A new listing: its page tokens owe nothing to the abandoned one's.
                self.paging.restart();
                return self.request(None);
            }
        }
        let page = match json_reply(&reply).and_then(|v| {
            serde_json::from_value::<EventsPage>(v).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("Calendar API: bad events page: {e}"),
                )
            })
        }) {
            Ok(p) => p,
            Err(e) => return self.m.fail(e),
        };
        for item in &page.items {
            self.take(item);
        }
        match page.next_page_token {
            Some(next) => match self.paging.follow("events.list", &next) {
                Ok(()) => self.request(Some(&next)),
                Err(e) => self.m.fail(e.with_url(reply.url.as_str())),
            },
            None => {
                self.next_sync_token = page.next_sync_token;
                self.fetch_pending();
            }
        }
    }

    /// Records one event of a page (or of an events.get); an unreadable one becomes a problem.
    fn take(&mut self, item: &Value) {
        let Some(id) = item
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
        else {
            let url = self
                .events_url
                .as_ref()
                .map(Url::to_string)
                .unwrap_or_default();
            self.unnamed.push(MemberProblem {
                url,
                kind: ErrorKind::Protocol,
                status: None,
                message: "Calendar API: an event without an id (it cannot be named or stored)"
                    .to_owned(),
            });
            return;
        };
        let url = event_url(&self.calendar_id, id);
        let cancelled = is_cancelled(item);
        let series = item
            .get("recurringEventId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if self.series_mode {
            if let Some(series) = series {
                // Joined to its series' object once the listing is complete.
                self.exceptions
                    .entry(series.to_owned())
                    .or_default()
                    .insert(id.to_owned(), item.clone());
                return;
            }
            if !cancelled && item.get("recurrence").is_some_and(Value::is_array) {
                self.masters.insert(id.to_owned(), item.clone());
            }
        }
        let exception = series.is_some();
        if cancelled && !exception {
            self.seen.insert(url, Seen::Gone);
            return;
        }
        // A cancelled exception of a live series stays an object: an override with
        // STATUS:CANCELLED, so the instance disappears without touching the series.
        let seen = match event_to_ical(item) {
            Ok(ical) => Seen::Present(DavObject {
                url: url.clone(),
                etag: item.get("etag").and_then(Value::as_str).map(str::to_owned),
                data: Some(ical),
                json: Some(item.to_string()),
            }),
            Err(e) => Seen::Unreadable(MemberProblem {
                url: url.clone(),
                kind: e.kind(),
                status: None,
                message: e.message().to_owned(),
            }),
        };
        self.seen.insert(url, seen);
    }

    /// After an incremental listing: events.get for each pending member it did not mention
    /// (a full listing mentions every event there is).
    fn fetch_pending(&mut self) {
        if self.token.is_some() {
            let seen: HashSet<String> = self.seen.keys().map(|k| href::normalize(k)).collect();
            let wanted: Vec<String> = self
                .old
                .pending
                .iter()
                .filter(|p| !seen.contains(&href::normalize(p)))
                .cloned()
                .collect();
            for original in wanted {
                match Url::parse(&original) {
                    Ok(url) => {
                        self.fetching += 1;
                        self.m
                            .x
                            .send(Tag::Pending(original), Spec::new(Method::Get, url));
                    }
                    Err(e) => {
                        let problem = MemberProblem {
                            url: original.clone(),
                            kind: ErrorKind::InvalidInput,
                            status: None,
                            message: format!("a pending member's URL is not valid: {e}"),
                        };
                        // Never fetchable: reported once and dropped.
                        self.seen.insert(original, Seen::Unreadable(problem));
                    }
                }
            }
        }
        if self.fetching == 0 {
            self.after_fetches();
        }
    }

    /// After the listing and the pending members' fetches: in series mode, an incremental
    /// sync fetches each touched series whole (its master and every exception, by `iCalUID`)
    /// so that its object is delivered complete; then the series are joined and the sync ends.
    fn after_fetches(&mut self) {
        if !self.series_mode || self.joined {
            return self.finish();
        }
        self.joined = true;
        if self.token.is_some() {
            let touched: BTreeSet<String> = self
                .masters
                .keys()
                .chain(self.exceptions.keys())
                .cloned()
                .collect();
            for id in touched {
                let master_url = event_url(&self.calendar_id, &id);
                if matches!(self.seen.get(&master_url), Some(Seen::Gone)) {
                    continue;
                }
                let uid = self
                    .masters
                    .get(&id)
                    .and_then(|m| m.get("iCalUID").and_then(Value::as_str))
                    .or_else(|| {
                        self.exceptions.get(&id).and_then(|list| {
                            list.values()
                                .find_map(|e| e.get("iCalUID").and_then(Value::as_str))
                        })
                    })
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned);
                match uid {
                    Some(uid) => self.request_series(id, uid, None, 0),
                    None => match self.event_api_url(&id) {
                        Some(url) => {
                            self.series_fetching += 1;
                            self.m.x.send(Tag::Master(id), Spec::new(Method::Get, url));
                        }
                        None => {
                            self.series_failed.insert(id);
                        }
                    },
                }
            }
        }
        if self.series_fetching == 0 {
            self.join_series();
            self.finish();
        }
    }

    /// An event's URL under the session's server URL (events.get), which is the API's own
    /// unless the app points the session elsewhere (a proxy, a test double).
    fn event_api_url(&self, id: &str) -> Option<Url> {
        let mut url = self.events_url.clone()?;
        url.path_segments_mut().ok()?.push(id);
        Some(url)
    }

    fn request_series(&mut self, id: String, uid: String, page_token: Option<&str>, pages: usize) {
        let Some(mut url) = self.events_url.clone() else {
            self.series_failed.insert(id);
            return;
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("iCalUID", &uid);
            q.append_pair("maxResults", "2500");
            if let Some(t) = page_token {
                q.append_pair("pageToken", t);
            }
        }
        self.series_fetching += 1;
        self.m
            .x
            .send(Tag::Series(id, uid, pages + 1), Spec::new(Method::Get, url));
    }

    fn series_answered(&mut self) {
        self.series_fetching = self.series_fetching.saturating_sub(1);
        if self.series_fetching == 0 {
            self.join_series();
            self.finish();
        }
    }

    /// A series' master fetched for its UID; then the whole series by that UID.
    fn on_master(&mut self, id: String, reply: &Reply) -> Result<()> {
        let status = reply.response.status;
        let master_url = event_url(&self.calendar_id, &id);
        if status == 404 || status == 410 {
            self.seen.insert(master_url, Seen::Gone);
            return Ok(());
        }
        let event = match json_reply(reply) {
            Ok(v) => v,
            Err(e) => return self.series_problem(id, e, Some(status)),
        };
        if is_cancelled(&event) {
            self.seen.insert(master_url, Seen::Gone);
            return Ok(());
        }
        match event.get("iCalUID").and_then(Value::as_str) {
            Some(uid) if !uid.is_empty() => {
                let uid = uid.to_owned();
                self.masters.insert(id.clone(), event);
                self.request_series(id, uid, None, 0);
                Ok(())
            }
            _ => {
                self.masters.insert(id, event);
                Ok(())
            }
        }
    }

    /// One page of a series fetched by UID; `Ok(true)` when another page was asked.
    fn on_series(&mut self, id: String, uid: String, pages: usize, reply: &Reply) -> Result<bool> {
        let status = reply.response.status;
        let page = match json_reply(reply).and_then(|v| {
            serde_json::from_value::<EventsPage>(v).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("Calendar API: bad events page: {e}"),
                )
            })
        }) {
            Ok(p) => p,
            Err(e) => {
                self.series_problem(id, e, Some(status))?;
                return Ok(false);
            }
        };
        for item in page.items {
            let Some(item_id) = item.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let series = item.get("recurringEventId").and_then(Value::as_str);
            if series == Some(id.as_str()) {
                self.exceptions
                    .entry(id.clone())
                    .or_default()
                    .insert(item_id, item);
            } else if item_id == id {
                if is_cancelled(&item) {
                    self.seen
                        .insert(event_url(&self.calendar_id, &id), Seen::Gone);
                } else {
                    self.masters.insert(item_id, item);
                }
            }
        }
        match page.next_page_token {
            Some(next) if pages < self.m.x.ctx().limits.max_sync_pages => {
                self.series_fetching = self.series_fetching.saturating_sub(1);
                self.request_series(id, uid, Some(&next), pages);
                Ok(true)
            }
            Some(_) => {
                let e = crate::limits::exceeded(format!(
                    "Calendar API: a series listing did not end within {pages} pages"
                ));
                self.series_problem(id, e, None)?;
                Ok(false)
            }
            None => {
                if !self.masters.contains_key(&id) {
                    // Nothing is left of the series.
                    self.seen
                        .insert(event_url(&self.calendar_id, &id), Seen::Gone);
                }
                Ok(false)
            }
        }
    }

    /// A series that could not be fetched whole: a problem on its URL, kept pending so the
    /// next sync asks again (a 401 fails the sync, which runs again after a refresh).
    fn series_problem(&mut self, id: String, e: Error, status: Option<u16>) -> Result<()> {
        if e.kind() == ErrorKind::Unauthorized {
            return Err(e);
        }
        let url = event_url(&self.calendar_id, &id);
        self.seen.insert(
            url.clone(),
            Seen::Owed(MemberProblem {
                url,
                kind: e.kind(),
                status,
                message: e.message().to_owned(),
            }),
        );
        self.series_failed.insert(id);
        Ok(())
    }

    /// Each series with its master becomes one object (master, EXDATEs for cancelled
    /// instances, overrides for changed ones), keyed by the master's URL; the exceptions' own
    /// URLs are gone from the state. Exceptions whose master is unknown (an instance the user
    /// sees without its series) stay objects of their own, unless cancelled; those of a
    /// deleted series go.
    fn join_series(&mut self) {
        let exceptions = std::mem::take(&mut self.exceptions);
        let mut ids: BTreeSet<String> = self.masters.keys().cloned().collect();
        ids.extend(exceptions.keys().cloned());
        for id in ids {
            if self.series_failed.contains(&id) {
                continue;
            }
            let master_url = event_url(&self.calendar_id, &id);
            let own = exceptions.get(&id);
            let gone = matches!(self.seen.get(&master_url), Some(Seen::Gone));
            let Some(master) = self.masters.get(&id).filter(|_| !gone) else {
                for (exc_id, item) in own.into_iter().flatten() {
                    let url = event_url(&self.calendar_id, exc_id);
                    if gone || is_cancelled(item) {
                        // A cancelled instance of a series that is not there shows nothing.
                        self.seen.insert(url, Seen::Gone);
                    } else {
                        let seen = single(url.clone(), item);
                        self.seen.insert(url, seen);
                    }
                }
                continue;
            };
            let list: Vec<&Value> = own.map(|m| m.values().collect()).unwrap_or_default();
            let seen = match series_to_ical(master, &list) {
                Ok(ical) => {
                    let mut json = master.clone();
                    if !list.is_empty()
                        && let Some(obj) = json.as_object_mut()
                    {
                        obj.insert(
                            "davkitExceptions".to_owned(),
                            Value::Array(list.iter().map(|v| (*v).clone()).collect()),
                        );
                    }
                    Seen::Present(DavObject {
                        url: master_url.clone(),
                        etag: series_etag(master, &list),
                        data: Some(ical),
                        json: Some(json.to_string()),
                    })
                }
                Err(e) => Seen::Unreadable(MemberProblem {
                    url: master_url.clone(),
                    kind: e.kind(),
                    status: None,
                    message: e.message().to_owned(),
                }),
            };
            self.seen.insert(master_url, seen);
            for exc_id in own.into_iter().flat_map(|m| m.keys()) {
                // Joined: an exception kept as its own object by an older state goes.
                self.seen
                    .insert(event_url(&self.calendar_id, exc_id), Seen::Gone);
            }
        }
    }

    fn on_pending(&mut self, original: String, reply: &Reply) -> Result<()> {
        let status = reply.response.status;
        if status == 404 || status == 410 {
            self.seen.insert(original, Seen::Gone);
            return Ok(());
        }
        if !reply.response.is_success() {
            let e = super::api_error(reply.url.as_str(), &reply.response);
            if e.kind() == ErrorKind::Unauthorized {
                // The whole sync runs again after a token refresh.
                return Err(e);
            }
            let problem = MemberProblem {
                url: original.clone(),
                kind: e.kind(),
                status: Some(status),
                message: e.message().to_owned(),
            };
            self.seen.insert(original, Seen::Owed(problem));
            return Ok(());
        }
        match json_reply(reply) {
            Ok(event) => self.take(&event),
            Err(e) => {
                let problem = MemberProblem {
                    url: original.clone(),
                    kind: e.kind(),
                    status: Some(status),
                    message: e.message().to_owned(),
                };
                self.seen.insert(original, Seen::Unreadable(problem));
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let full = self.token.is_none();
        let mut etags = std::mem::take(&mut self.old.etags);
        let old_pending: HashSet<String> = self
            .old
            .pending
            .iter()
            .map(|p| href::normalize(p))
            .collect();
        let mut changes = Vec::new();
        let mut problems = std::mem::take(&mut self.unnamed);
        let mut pending = BTreeSet::new();
        // Normalised URLs this sync has something to say about: none of them is "absent".
        let mut mentioned: HashSet<String> = HashSet::new();
        for (url, seen) in std::mem::take(&mut self.seen) {
            let key = href::normalize(&url);
            mentioned.insert(key.clone());
            let was_pending = old_pending.contains(&key);
            match seen {
                Seen::Gone => {
                    if etags.remove(&url).is_some() || was_pending {
                        changes.push(Change::Deleted { url });
                    }
                }
                Seen::Present(obj) => {
                    let etag = obj.etag.clone().unwrap_or_default();
                    match etags.insert(url, etag.clone()) {
                        Some(old) if old == etag && !was_pending => {}
                        Some(_) => changes.push(Change::Changed(obj)),
                        None => changes.push(Change::Added(obj)),
                    }
                }
                // The ETag the app last received (if any) stays: not a deletion.
                Seen::Unreadable(problem) => problems.push(problem),
                Seen::Owed(problem) => {
                    problems.push(problem);
                    pending.insert(url);
                }
            }
        }
        if full {
            // A full listing is complete: whatever the state had (or still owed the app) and
            // the listing lacks is gone.
            let gone: Vec<String> = etags
                .keys()
                .chain(self.old.pending.iter())
                .filter(|k| !mentioned.contains(&href::normalize(k)))
                .cloned()
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect();
            for url in gone {
                etags.remove(&url);
                changes.push(Change::Deleted { url });
            }
        }
        let collection_url = self
            .events_url
            .as_ref()
            .map(Url::to_string)
            .unwrap_or_default();
        let state = SyncState {
            collection_url,
            sync_token: self.next_sync_token.take(),
            ctag: None,
            etags,
            pending,
            more: false,
        };
        self.m.finish(Ok(SyncResult {
            changes,
            state,
            method: if full {
                SyncMethod::EtagListing
            } else {
                SyncMethod::SyncCollection
            },
            token_was_reset: self.token_was_reset,
            problems,
            more: false,
        }));
    }
}

impl_operation!(GcalSync, SyncResult);

/// One event as an object of its own (or a problem when it cannot be read).
fn single(url: String, item: &Value) -> Seen {
    match event_to_ical(item) {
        Ok(ical) => Seen::Present(DavObject {
            url,
            etag: item.get("etag").and_then(Value::as_str).map(str::to_owned),
            data: Some(ical),
            json: Some(item.to_string()),
        }),
        Err(e) => Seen::Unreadable(MemberProblem {
            url,
            kind: e.kind(),
            status: None,
            message: e.message().to_owned(),
        }),
    }
}

/// The version of a joined series: the master's ETag when it has no exceptions, else a weak
/// ETag hashing (FNV-1a, stable across runs) the master's and every exception's id and ETag,
/// so a change to any of them is a change of the series.
fn series_etag(master: &Value, exceptions: &[&Value]) -> Option<String> {
    let etag = |v: &Value| v.get("etag").and_then(Value::as_str).map(str::to_owned);
    if exceptions.is_empty() {
        return etag(master);
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain([0u8]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for v in std::iter::once(master).chain(exceptions.iter().copied()) {
        feed(v.get("id").and_then(Value::as_str).unwrap_or_default());
        feed(&etag(v).unwrap_or_default());
    }
    Some(format!("W/\"davkit-series-{hash:016x}\""))
}

/// An events insert, patch or delete; create it with [`Session::gcal_insert`],
/// [`Session::gcal_patch`] or [`Session::gcal_delete`].
pub struct GcalWrite {
    m: Machine<(), WriteResult>,
    calendar_id: String,
}

impl Session {
    /// Inserts an event (events.insert); `event` is the API's JSON event resource.
    pub fn gcal_insert(&self, calendar_id: &str, event: &Value) -> GcalWrite {
        let path = format!("calendars/{}/events", encode_segment(calendar_id));
        let spec = api_url(self, &path).map(|url| {
            Spec::new(Method::Post, url).body("application/json", event.to_string().into_bytes())
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    /// Patches an event (events.patch), only if its ETag is still `etag`.
    pub fn gcal_patch(
        &self,
        calendar_id: &str,
        event_id: &str,
        patch: &Value,
        etag: &str,
    ) -> GcalWrite {
        let spec = self.gcal_event_url(calendar_id, event_id).and_then(|url| {
            require_etag(etag)?;
            Ok(Spec::new(Method::Patch, url)
                .header("If-Match", etag.trim())
                .body("application/json", patch.to_string().into_bytes()))
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    /// Deletes an event (events.delete), only if its ETag is still `etag`.
    pub fn gcal_delete(&self, calendar_id: &str, event_id: &str, etag: &str) -> GcalWrite {
        let spec = self.gcal_event_url(calendar_id, event_id).and_then(|url| {
            require_etag(etag)?;
            Ok(Spec::new(Method::Delete, url).header("If-Match", etag.trim()))
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    fn gcal_event_url(&self, calendar_id: &str, event_id: &str) -> Result<Url> {
        if event_id.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "an event id is required",
            ));
        }
        api_url(
            self,
            &format!(
                "calendars/{}/events/{}",
                encode_segment(calendar_id),
                encode_segment(event_id)
            ),
        )
    }
}

impl GcalWrite {
    fn start(session: &Session, calendar_id: &str, spec: Result<Spec>) -> GcalWrite {
        let mut op = GcalWrite {
            m: Machine::new(session.ctx.clone()),
            calendar_id: calendar_id.to_owned(),
        };
        match spec {
            Ok(spec) => op.m.x.send((), spec),
            Err(e) => op.m.fail(e),
        }
        op
    }

    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let result = reply.and_then(|reply| {
            if reply.response.status == 204 {
                return Ok(WriteResult {
                    url: reply.url.to_string(),
                    etag: None,
                    data: None,
                    replaced: false,
                });
            }
            let event = json_reply(&reply)?;
            let id = event.get("id").and_then(Value::as_str).ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "Calendar API: the answer has no event id",
                )
            })?;
            Ok(WriteResult {
                url: event_url(&self.calendar_id, id),
                etag: event.get("etag").and_then(Value::as_str).map(str::to_owned),
                data: Some(event_to_ical(&event)?),
                replaced: false,
            })
        });
        self.m.finish(result);
    }
}

impl_operation!(GcalWrite, WriteResult);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::http::{HttpRequest, HttpResponse};
    use crate::op::{Operation, Poll};
    use crate::session::Config;

    fn session() -> Session {
        let config = Config::new(super::super::API_BASE, Credentials::bearer("t"));
        Session::new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs an operation against `server`; returns its result and the requests it made.
    fn run<O: Operation>(
        mut op: O,
        mut server: impl FnMut(&HttpRequest) -> HttpResponse,
    ) -> (Result<O::Output>, Vec<String>) {
        let mut urls = Vec::new();
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    urls.push(request.url.clone());
                    let response = server(&request);
                    op.handle_response(request.id, response);
                }
                Poll::Wait => panic!("the operation waits with nothing in flight"),
                Poll::Done(result) => return (result, urls),
            }
        }
    }

    fn json(status: u16, value: &Value) -> HttpResponse {
        HttpResponse::new(status, value.to_string())
    }

    fn event(id: &str, etag: &str) -> Value {
        serde_json::json!({
            "id": id, "etag": etag, "status": "confirmed", "summary": id,
            "start": {"dateTime": "2026-01-05T09:00:00Z"}, "end": {"dateTime": "2026-01-05T10:00:00Z"}
        })
    }

    fn url(id: &str) -> String {
        event_url("cal", id)
    }

    /// A weekly series of four with its second instance moved and its third cancelled, as
    /// Google lists them with `singleEvents=false` (server-profiles §5.1).
    fn weekly_series() -> Vec<Value> {
        let ny = |t: &str| serde_json::json!({"dateTime": t, "timeZone": "America/New_York"});
        vec![
            serde_json::json!({"id": "s1", "etag": "\"1\"", "status": "confirmed",
                "iCalUID": "s1@google.com", "summary": "Weekly",
                "start": ny("2026-03-02T09:00:00-05:00"), "end": ny("2026-03-02T09:30:00-05:00"),
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]}),
            serde_json::json!({"id": "s1_20260309T130000Z", "etag": "\"2\"", "status": "confirmed",
                "iCalUID": "s1@google.com", "recurringEventId": "s1", "summary": "Weekly (moved)",
                "originalStartTime": ny("2026-03-09T09:00:00-04:00"),
                "start": ny("2026-03-10T11:00:00-04:00"), "end": ny("2026-03-10T11:30:00-04:00")}),
            serde_json::json!({"id": "s1_20260316T130000Z", "etag": "\"3\"", "status": "cancelled",
                "recurringEventId": "s1", "originalStartTime": ny("2026-03-16T09:00:00-04:00")}),
        ]
    }

    #[test]
    fn a_joined_series_expands_as_google_shows_its_instances() {
        let items = weekly_series();
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), SyncState::new("")),
            |_| {
                json(
                    200,
                    &serde_json::json!({"items": items, "nextSyncToken": "s"}),
                )
            },
        );
        assert_eq!(
            urls.len(),
            1,
            "a full listing has every instance: no other request"
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(result.changes.len(), 1, "one object for the series");
        let Change::Added(obj) = &result.changes[0] else {
            panic!("not an addition: {:?}", result.changes[0]);
        };
        assert_eq!(obj.url, url("s1"));
        let cal = crate::icalendar::Calendar::parse(obj.data.as_deref().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let ts = |t: &str| {
            t.parse::<jiff::Timestamp>()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let expansion = cal
            .expand(
                (ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z")),
                &crate::icalendar::ExpandOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
        let starts: Vec<String> = expansion
            .occurrences
            .iter()
            .map(|o| o.start_utc.to_string())
            .collect();
        // Google's instances: the first and fourth where the rule puts them, the second once,
        // at its new time (Tuesday 11:00 EDT), the cancelled third not at all.
        assert_eq!(
            starts,
            [
                "2026-03-02T14:00:00Z",
                "2026-03-10T15:00:00Z",
                "2026-03-23T13:00:00Z"
            ]
        );
        assert!(expansion.occurrences[1].is_override);
        assert!(!expansion.truncated);
        // The instance ids stay with their overrides and in the JSON, to write to one instance.
        let data = obj.data.as_deref().unwrap_or_default();
        assert!(data.contains("X-DAVKIT-GCAL-ID:s1_20260309T130000Z"));
        let json: Value = serde_json::from_str(obj.json.as_deref().unwrap_or("{}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json["davkitExceptions"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn instances_without_their_series() {
        // A full listing with a moved and a cancelled instance whose series is not listed (an
        // instance shared alone, a deleted series): the moved one stays an object of its own,
        // the cancelled one shows nothing.
        let items: Vec<Value> = weekly_series().into_iter().skip(1).collect();
        let (result, _) = run(
            session().gcal_sync("cal", EventsQuery::default(), SyncState::new("")),
            |_| {
                json(
                    200,
                    &serde_json::json!({"items": items, "nextSyncToken": "s"}),
                )
            },
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        let urls: Vec<String> = result
            .changes
            .iter()
            .map(|c| match c {
                Change::Added(o) | Change::Changed(o) => o.url.clone(),
                Change::Deleted { url } => format!("deleted {url}"),
            })
            .collect();
        assert_eq!(urls, [url("s1_20260309T130000Z")]);
    }

    #[test]
    fn single_events_keeps_instances_apart() {
        let items = weekly_series();
        let query = EventsQuery {
            single_events: Some(true),
            ..EventsQuery::default()
        };
        let (result, _) = run(
            session().gcal_sync("cal", query, SyncState::new("")),
            |_| {
                json(
                    200,
                    &serde_json::json!({"items": items, "nextSyncToken": "s"}),
                )
            },
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            result.changes.len(),
            3,
            "with singleEvents each item is an object"
        );
    }

    #[test]
    fn a_series_that_cannot_be_fetched_stays_pending() {
        let moved = weekly_series().swap_remove(1);
        let mut state = SyncState::new("");
        state.sync_token = Some("t".into());
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |r| {
                if r.url.contains("iCalUID") {
                    HttpResponse::new(500, "oops")
                } else {
                    json(
                        200,
                        &serde_json::json!({"items": [moved], "nextSyncToken": "t2"}),
                    )
                }
            },
        );
        assert_eq!(urls.len(), 2);
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert!(result.changes.is_empty());
        assert_eq!(result.problems.len(), 1);
        assert!(result.state.pending.contains(&url("s1")));
    }

    #[test]
    fn a_failed_sync_hands_back_its_state_unchanged() {
        // DavClient runs a failed sync again from the state the operation hands back.
        let mut state = SyncState::new("");
        state.sync_token = Some("t".into());
        state.etags.insert(url("known"), "\"0\"".into());
        state.pending.insert(url("owed"));
        let mut op = session().gcal_sync("cal", EventsQuery::default(), state.clone());
        let (result, _) = run(&mut op, |_| HttpResponse::new(503, "busy"));
        assert!(result.is_err());
        assert_eq!(op.into_state(), state);
    }

    #[test]
    fn calendar_list_paging_is_bounded() {
        let mut n = 0;
        let (result, urls) = run(session().gcal_calendars(), |_| {
            n += 1;
            json(
                200,
                &serde_json::json!({"items": [], "nextPageToken": format!("t{n}")}),
            )
        });
        let e = result.err().unwrap_or_else(|| panic!("no error"));
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert!(e.message().contains("10000 pages"), "{e}");
        assert_eq!(urls.len(), MAX_PAGES);
    }

    #[test]
    fn events_paging_is_bounded() {
        let mut n = 0;
        let state = SyncState::new("");
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |_| {
                n += 1;
                json(
                    200,
                    &serde_json::json!({"items": [], "nextPageToken": format!("t{n}")}),
                )
            },
        );
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::LimitExceeded)
        );
        assert_eq!(urls.len(), MAX_PAGES);
    }

    #[test]
    fn a_resync_after_410_starts_a_new_listing() {
        // The abandoned incremental listing and the full one both use `p2`: not a loop.
        let mut state = SyncState::new("");
        state.sync_token = Some("old".into());
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |r| {
                let body = match (r.url.contains("syncToken"), r.url.contains("pageToken=p2")) {
                    (true, false) => serde_json::json!({"items": [], "nextPageToken": "p2"}),
                    (true, true) => {
                        return json(
                            410,
                            &serde_json::json!({"error": {"errors": [{"reason": "fullSyncRequired"}], "code": 410}}),
                        );
                    }
                    (false, false) => {
                        serde_json::json!({"items": [event("a", "\"1\"")], "nextPageToken": "p2"})
                    }
                    (false, true) => serde_json::json!({"items": [], "nextSyncToken": "new"}),
                };
                json(200, &body)
            },
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert!(result.token_was_reset);
        assert_eq!(result.state.sync_token.as_deref(), Some("new"));
        assert_eq!(urls.len(), 4);
    }

    #[test]
    fn unreadable_events_are_problems_not_failures() {
        let mut state = SyncState::new("");
        state.sync_token = Some("s1".into());
        state.etags.insert(url("known"), "\"0\"".into());
        let page = serde_json::json!({
            "items": [
                event("good", "\"1\""),
                {"id": 42, "summary": "an id of the wrong type"},
                "not an object",
                {"id": "badtime", "etag": "\"2\"", "start": {"dateTime": "yesterday"}},
                {"id": "known", "etag": "\"3\"", "updated": "soon"},
                {"id": "types", "etag": "\"4\"", "summary": 7, "start": "2026-01-01",
                 "attendees": {"email": "x"}, "recurrence": "RRULE:FREQ=DAILY"}
            ],
            "nextSyncToken": "s2"
        });
        let (result, _) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |_| json(200, &page),
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        let changed: Vec<&str> = result.changes.iter().map(Change::url).collect();
        // Fields of the wrong type are ignored, as absent ones are.
        assert_eq!(changed, [url("good").as_str(), url("types").as_str()]);
        let problems: Vec<(&str, ErrorKind)> = result
            .problems
            .iter()
            .map(|p| (p.url.as_str(), p.kind))
            .collect();
        let events = "https://www.googleapis.com/calendar/v3/calendars/cal/events";
        assert_eq!(
            problems,
            [
                (events, ErrorKind::Protocol),
                (events, ErrorKind::Protocol),
                (url("badtime").as_str(), ErrorKind::Protocol),
                (url("known").as_str(), ErrorKind::Protocol),
            ]
        );
        // The state advances; the unreadable known event keeps the version the app has.
        assert_eq!(result.state.sync_token.as_deref(), Some("s2"));
        assert_eq!(
            result.state.etags.get(&url("known")).map(String::as_str),
            Some("\"0\"")
        );
        assert!(!result.state.etags.contains_key(&url("badtime")));
        assert!(
            result.state.pending.is_empty(),
            "re-fetching would not help"
        );
    }

    #[test]
    fn pending_members_are_fetched_again() {
        let mut state = SyncState::new("");
        state.sync_token = Some("s1".into());
        for id in ["listed", "fine", "gone", "down"] {
            state.pending.insert(url(id));
        }
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state.clone()),
            |r| {
                if r.url.contains("syncToken") {
                    return json(
                        200,
                        &serde_json::json!({"items": [event("listed", "\"1\"")], "nextSyncToken": "s2"}),
                    );
                }
                match r.url.rsplit('/').next() {
                    Some("fine") => json(200, &event("fine", "\"2\"")),
                    Some("gone") => json(404, &serde_json::json!({"error": {"code": 404}})),
                    _ => HttpResponse::new(503, "later"),
                }
            },
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            urls.len(),
            4,
            "one listing, and a GET for each unlisted member"
        );
        assert_eq!(result.changes.len(), 3);
        assert!(
            result
                .changes
                .iter()
                .any(|c| matches!(c, Change::Deleted { url: u } if *u == url("gone")))
        );
        assert_eq!(result.problems.len(), 1);
        assert_eq!(result.problems[0].status, Some(503));
        assert_eq!(
            result.state.pending.iter().collect::<Vec<_>>(),
            [&url("down")]
        );
        assert_eq!(result.state.sync_token.as_deref(), Some("s2"));
        // A 401 fails the whole sync instead (the client refreshes its token and runs it again).
        let (result, _) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |r| {
                if r.url.contains("syncToken") {
                    json(
                        200,
                        &serde_json::json!({"items": [], "nextSyncToken": "s2"}),
                    )
                } else {
                    HttpResponse::new(401, "")
                }
            },
        );
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::Unauthorized)
        );
    }

    #[test]
    fn a_full_listing_settles_pending_members() {
        let mut state = SyncState::new("");
        state.pending.insert(url("here"));
        state.pending.insert(url("absent"));
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |_| {
                json(
                    200,
                    &serde_json::json!({"items": [event("here", "\"1\"")], "nextSyncToken": "s1"}),
                )
            },
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(urls.len(), 1);
        assert!(
            matches!(&result.changes[..], [Change::Added(h), Change::Deleted { url: a }]
            if *a == url("absent") && h.url == url("here"))
        );
        assert!(result.state.pending.is_empty());
    }

    #[test]
    fn sync_token_restrictions() {
        let q = EventsQuery {
            time_min: Some("2026-01-01T00:00:00Z".into()),
            show_deleted: Some(false),
            ..EventsQuery::default()
        };
        let e = q.check(true).err();
        assert_eq!(e.as_ref().map(Error::kind), Some(ErrorKind::InvalidInput));
        assert!(e.is_some_and(|e| e.message().contains("timeMin, showDeleted=false")));
        assert!(q.check(false).is_ok());
        let ordered = EventsQuery {
            order_by: Some("startTime".into()),
            ..EventsQuery::default()
        };
        assert!(ordered.check(false).is_err());
        let single = EventsQuery {
            single_events: Some(true),
            max_results: Some(2500),
            ..EventsQuery::default()
        };
        assert!(single.check(true).is_ok());
        assert!(
            EventsQuery {
                max_results: Some(0),
                ..EventsQuery::default()
            }
            .check(false)
            .is_err()
        );
    }
}
