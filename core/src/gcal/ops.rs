//! Calendar API operations: calendarList.list and events.list with paging (`pageToken` /
//! `nextPageToken`, `nextSyncToken` on the last page only), incremental sync from a stored
//! `syncToken` with 410 handled by a full resync, and conditional writes.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::events::{event_to_ical, event_url};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href::encode_segment;
use crate::http::Method;
use crate::model::{Change, DavObject, SyncMethod, SyncResult, SyncState, WriteResult};
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

/// calendarList.list over all pages; create it with [`Session::gcal_calendars`].
pub struct GcalList {
    m: Machine<(), Vec<CalendarListEntry>>,
    base: Option<Url>,
    found: Vec<CalendarListEntry>,
}

impl Session {
    /// Lists the user's calendars (calendarList.list, all pages).
    pub fn gcal_calendars(&self) -> GcalList {
        let mut op = GcalList {
            m: Machine::new(self.ctx.clone()),
            base: None,
            found: Vec::new(),
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

/// Bound on pages in one sync, against a server that never stops paging.
const MAX_PAGES: usize = 100_000;

/// Full or incremental events sync; create it with [`Session::gcal_sync`].
pub struct GcalSync {
    m: Machine<(), SyncResult>,
    calendar_id: String,
    query: EventsQuery,
    events_url: Option<Url>,
    old: SyncState,
    token: Option<String>,
    token_was_reset: bool,
    pages: usize,
    /// Event URL -> (etag, ical, json, cancelled-series flag), latest wins.
    seen: BTreeMap<String, Seen>,
}

#[derive(Clone, Debug)]
enum Seen {
    Present(DavObject),
    Gone,
}

impl Session {
    /// Synchronises one Google calendar through the Calendar API from a stored state (use
    /// [`SyncState::new`] with any URL, or empty, the first time). The same `query` must be
    /// given on every sync of this state. A token Google no longer accepts (410) restarts a
    /// full sync whose changes are complete relative to the stored state
    /// (`token_was_reset`).
    pub fn gcal_sync(&self, calendar_id: &str, query: EventsQuery, state: SyncState) -> GcalSync {
        let mut op = GcalSync {
            m: Machine::new(self.ctx.clone()),
            calendar_id: calendar_id.to_owned(),
            query,
            events_url: None,
            old: state,
            token: None,
            token_was_reset: false,
            pages: 0,
            seen: BTreeMap::new(),
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
        self.pages += 1;
        self.query
            .apply(&mut url, self.token.as_deref(), page_token);
        self.m.x.send((), Spec::new(Method::Get, url));
    }

    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let reply = match reply {
            Ok(r) => r,
            Err(e) => return self.m.fail(e),
        };
        if reply.response.status == 410 && self.token.is_some() && !self.token_was_reset {
            let e = super::api_error(reply.url.as_str(), &reply.response);
            if e.kind() == ErrorKind::InvalidSyncToken {
                // Full resync; deletions are then computed against the stored state.
                self.token = None;
                self.token_was_reset = true;
                self.seen.clear();
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
            if let Err(e) = self.take(item) {
                return self.m.fail(e);
            }
        }
        match page.next_page_token {
            Some(next) if self.pages < MAX_PAGES => self.request(Some(&next)),
            Some(_) => self.m.fail(Error::new(
                ErrorKind::Protocol,
                "Calendar API: too many pages",
            )),
            None => self.finish(page.next_sync_token),
        }
    }

    fn take(&mut self, item: &Value) -> Result<()> {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::new(ErrorKind::Protocol, "Calendar API: an event without id"))?;
        let url = event_url(&self.calendar_id, id);
        let cancelled = item.get("status").and_then(Value::as_str) == Some("cancelled");
        let exception = item.get("recurringEventId").is_some();
        if cancelled && !exception {
            self.seen.insert(url, Seen::Gone);
            return Ok(());
        }
        // A cancelled exception of a live series stays an object: an override with
        // STATUS:CANCELLED, so the instance disappears without touching the series.
        let object = DavObject {
            url: url.clone(),
            etag: item.get("etag").and_then(Value::as_str).map(str::to_owned),
            data: Some(event_to_ical(item)?),
            json: Some(item.to_string()),
        };
        self.seen.insert(url, Seen::Present(object));
        Ok(())
    }

    fn finish(&mut self, next_sync_token: Option<String>) {
        let full = self.token.is_none();
        let mut etags = std::mem::take(&mut self.old.etags);
        let mut changes = Vec::new();
        let mut present: HashSet<String> = HashSet::new();
        for (url, seen) in std::mem::take(&mut self.seen) {
            match seen {
                Seen::Gone => {
                    if etags.remove(&url).is_some() {
                        changes.push(Change::Deleted { url });
                    }
                }
                Seen::Present(obj) => {
                    present.insert(url.clone());
                    let etag = obj.etag.clone().unwrap_or_default();
                    match etags.insert(url, etag.clone()) {
                        Some(old) if old == etag => {}
                        Some(_) => changes.push(Change::Changed(obj)),
                        None => changes.push(Change::Added(obj)),
                    }
                }
            }
        }
        if full {
            // A full listing is complete: whatever the state had and the listing lacks is gone.
            let gone: Vec<String> = etags
                .keys()
                .filter(|k| !present.contains(*k))
                .cloned()
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
            sync_token: next_sync_token,
            ctag: None,
            etags,
            pending: Default::default(),
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
            problems: Vec::new(),
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
