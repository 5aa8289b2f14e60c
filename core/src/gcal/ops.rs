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

use super::events::{event_to_ical, event_url};
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
pub struct EventsQuery {
    /// `timeMin` (RFC 3339); not with a sync token.
    pub time_min: Option<String>,
    /// `timeMax` (RFC 3339); not with a sync token.
    pub time_max: Option<String>,
    /// `updatedMin` (RFC 3339); not with a sync token.
    pub updated_min: Option<String>,
    /// `q`, free text; not with a sync token.
    pub q: Option<String>,
    /// `orderBy` (`startTime` needs `single_events`); not with a sync token.
    pub order_by: Option<String>,
    /// `iCalUID`; not with a sync token.
    pub ical_uid: Option<String>,
    /// `singleEvents`: expand recurring events into instances.
    pub single_events: Option<bool>,
    /// `showDeleted`; with a sync token deleted events are always included and `false` is
    /// refused.
    pub show_deleted: Option<bool>,
    /// `maxResults` per page (Google: default 250, at most 2500).
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

fn json_reply(reply: &Reply) -> Result<Value> {
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
}

#[derive(Debug)]
enum Tag {
    Page,
    /// A pending member (its URL as the state stores it).
    Pending(String),
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
                    self.finish();
                }
            }
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
        let cancelled = item.get("status").and_then(Value::as_str) == Some("cancelled");
        let exception = item.get("recurringEventId").is_some();
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
            self.finish();
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
