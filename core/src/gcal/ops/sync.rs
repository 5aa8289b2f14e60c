//! events.list with paging, and incremental sync from a stored `syncToken` with 410 handled by
//! a full resync ([`GcalSync`], [`Session::gcal_sync`]): the operation, its state, the reply
//! dispatch, the events read from pages and events.get of pending members, and the result.
//! Joining recurring series is in `series.rs`.

mod series;

use std::collections::BTreeMap;

use crate::string_set::StringSet;
use crate::url::Url;
use serde_json::Value;

use super::read::listed;
use super::{EventsQuery, Paging, api_url, json_reply, value_reply};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::gcal::events::{event_to_ical, event_url, is_cancelled};
use crate::href;
use crate::href::encode_segment;
use crate::http::Method;
use crate::model::{Change, DavObject, MemberProblem, SyncMethod, SyncResult, SyncState};
use crate::ops::sync::key::OldKeys;
use crate::ops::sync::take_etag;
use crate::session::Session;

/// Full or incremental events sync; create it with [`Session::gcal_sync`].
///
/// Unless the query asks for `singleEvents`, a recurring series is one object keyed by its
/// master's URL ([`series_to_ical`](crate::gcal::series_to_ical)): its exceptions are
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
/// [`SyncResult::problems`] (kind `Protocol` or `ICalendar`, its event URL; events without an
/// id are one problem, at the calendar's events URL, that says how many), the rest is delivered and the state advances. Such an event is
/// reported, not retried: the Calendar API would return the same JSON again, so fetching it
/// once more cannot help, and it is not kept in [`SyncState::pending`]. The state keeps the
/// ETag the app last received for it, if any, so it is never reported as deleted.
///
/// Members the app marked with [`SyncState::mark_pending`] are fetched again (events.get, under
/// the session's server URL like every request of the sync) when the listing does not mention
/// them, and delivered as additions or, after a
/// cancelled event or a 404/410 (asked for twice: one 404 is asked again, and only a second
/// says the event is gone), deletions. One that cannot be fetched for another reason is a
/// problem and stays pending (a rate limit included: the next sync asks again), and so is one
/// answered 200 with something that is no event (a login proxy's page, a body cut short, JSON
/// without an `id`): that answer did not deliver it. A 401 or a transport failure fails the
/// sync.
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
    /// Events without an id, which no URL names: counted, and reported as one problem (a
    /// page of a million `{}` items would otherwise be a million identical problems).
    unnamed: usize,
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
    series_failed: StringSet,
    /// Instances of series that could not be fetched whole, kept pending under their own
    /// URLs (the problem is reported under the master's): the next sync fetches them again,
    /// so one whose master turns out absent is still delivered.
    owed_instances: StringSet,
    /// Series whose master this sync saw deleted (cancelled in the listing, in the series'
    /// listing or from events.get): their instances go with it. A master that is only absent
    /// (not in the series' listing, events.get answering 404/410: an instance shared without
    /// its series) leaves its live instances objects of their own. By series id, the latest
    /// verdict: 1 deleted, 0 listed live after that (a map rather than a set, whose removal
    /// would be a copy of the B-tree's removal code of its own in the WebAssembly module).
    series_deleted: BTreeMap<String, usize>,
    /// Each series listing's page tokens, by series id: a repeated one or too many pages is a
    /// problem of that series, as in the main listing.
    /// (A list: a sync touches few series, and a map of its own would be a copy of the
    /// B-tree's code in the WebAssembly module.)
    series_paging: Vec<(String, Paging)>,
    /// Whether the series were joined (the step after the listing and pending fetches).
    joined: bool,
}

#[derive(Debug)]
enum Tag {
    Page,
    /// A pending member (its URL as the state stores it), and whether this asks again after
    /// a 404 or 410 ([`GcalSync::asked_again`]).
    Pending(String, bool),
    /// events.get of a series' master whose exceptions changed (series id), and whether this
    /// asks again after a 404 or 410.
    Master(String, bool),
    /// events.list by `iCalUID`: a series' master and all its exceptions (series id, UID).
    Series(String, String),
}

#[derive(Clone, Debug)]
enum Seen {
    Present(DavObject),
    Gone,
    /// Unreadable: reported, not retried.
    Unreadable(MemberProblem),
    /// Pending and not fetched (or not read) this time: reported, still pending.
    Owed(MemberProblem),
}

impl Session {
    /// Synchronises one Google calendar through the Calendar API from a stored state (use
    /// [`SyncState::new`] with an empty URL the first time; a state of another calendar is
    /// refused with `InvalidInput`). The same `query` must be
    /// given on every sync of this state. A token Google no longer accepts (410) restarts a
    /// full sync whose changes are complete relative to the stored state
    /// (`token_was_reset`). A full listing reports the events it lacks deleted only when it is
    /// complete: no `timeMin`, `timeMax`, `updatedMin`, `q` or `iCalUID`, and a last page that
    /// carries `nextSyncToken` (as Google's does for every query without `orderBy`; a page
    /// with neither page token nor sync token is reported as a problem, and the next sync lists
    /// again). See [`GcalSync`] for events that cannot be read.
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
            unnamed: 0,
            next_sync_token: None,
            fetching: 0,
            series_mode,
            masters: BTreeMap::new(),
            exceptions: BTreeMap::new(),
            series_fetching: 0,
            series_failed: StringSet::new(),
            owed_instances: StringSet::new(),
            series_deleted: BTreeMap::new(),
            series_paging: Vec::new(),
            joined: false,
        };
        let path = format!("calendars/{}/events", encode_segment(calendar_id));
        match api_url(self, &path) {
            // A stored state of another calendar is refused, as `SyncState::resume` refuses a
            // CalDAV state of another collection.
            Ok(url) => match op.old.check_collection(url.as_str()) {
                Ok(()) => op.events_url = Some(url),
                Err(e) => {
                    op.m.fail(e);
                    return op;
                }
            },
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
            Tag::Pending(url, again) => {
                if self.asked_again(again, &reply, || Tag::Pending(url.clone(), true)) {
                    return;
                }
                self.fetching = self.fetching.saturating_sub(1);
                if let Err(e) = self.on_pending(url, &reply) {
                    return self.m.fail(e);
                }
                if self.fetching == 0 {
                    self.after_fetches();
                }
            }
            Tag::Master(id, again) => {
                if self.asked_again(again, &reply, || Tag::Master(id.clone(), true)) {
                    return;
                }
                if let Err(e) = self.on_master(id, &reply) {
                    return self.m.fail(e);
                }
                self.series_answered();
            }
            Tag::Series(id, uid) => match self.on_series(id, uid, &reply) {
                Ok(true) => {}
                Ok(false) => self.series_answered(),
                Err(e) => self.m.fail(e),
            },
        }
    }

    fn on_page(&mut self, reply: Reply) {
        if reply.response.status == 410 && self.token.is_some() && !self.token_was_reset {
            let e = crate::gcal::sync_listing_error(reply.url.as_str(), &reply.response);
            if e.kind() == ErrorKind::InvalidSyncToken {
                // Full resync; deletions are then computed against the stored state.
                self.token = None;
                self.token_was_reset = true;
                self.seen.clear();
                self.unnamed = 0;
                self.masters.clear();
                self.exceptions.clear();
                // A new listing: its page tokens owe nothing to the abandoned one's.
                self.paging.restart();
                return self.request(None);
            }
        }
        let page = match json_reply(&reply, self.m.x.ctx().limits.max_json_values)
            .and_then(listed_events)
            .and_then(listed)
        {
            Ok(p) => p,
            Err(e) => return self.m.fail(e),
        };
        // Each event becomes the `Value` callers receive as it is taken, and is dropped then.
        for item in page.items {
            self.take(&item.into_value());
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
        let Some(id) = event_id(item) else {
            self.unnamed += 1;
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
            if cancelled {
                // A deleted event; if it is a series' master, its instances go with it.
                self.series_deleted.insert(id.to_owned(), 1);
            } else {
                // The latest of an event the listing names twice wins.
                self.series_deleted.insert(id.to_owned(), 0);
                if item.get("recurrence").is_some_and(Value::is_array) {
                    self.masters.insert(id.to_owned(), item.clone());
                }
            }
        }
        // A cancelled event is gone: a deleted event, and with `singleEvents` a cancelled
        // instance too, which a full listing leaves out (in series mode a cancelled instance
        // was joined to its series above, where it is an EXDATE).
        if cancelled {
            self.seen.insert(url, Seen::Gone);
            return;
        }
        let Some(etag) = event_etag(item) else {
            self.seen.insert(url.clone(), Seen::Owed(no_etag(url)));
            return;
        };
        let seen = match event_to_ical(item) {
            Ok(ical) => Seen::Present(DavObject {
                url: url.clone(),
                etag: Some(etag),
                data: Some(ical),
                json: Some(crate::json_write::value_text(item)),
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

    /// Whether this sync's listing names every event of the calendar: a full listing (no sync
    /// token) whose query filters nothing out. `timeMin`, `timeMax`, `updatedMin`, `q` and
    /// `iCalUID` list only the events that match, so an event such a listing lacks may well
    /// be there.
    fn lists_every_event(&self) -> bool {
        let q = &self.query;
        !self.cut_short()
            && self.token.is_none()
            && q.time_min.is_none()
            && q.time_max.is_none()
            && q.updated_min.is_none()
            && q.q.is_none()
            && q.ical_uid.is_none()
    }

    /// The calendar's events URL, as the state and the problems name it.
    fn events_url_text(&self) -> String {
        self.events_url
            .as_ref()
            .map(Url::to_string)
            .unwrap_or_default()
    }

    /// Whether the listing, once it has ended, may have been cut short: its last page (no
    /// `nextPageToken`) brought no `nextSyncToken`. Google ends every listing it can give a
    /// sync token for (any query
    /// without `orderBy`, which a sync token refuses) with one: "exactly one of
    /// `nextPageToken` and `nextSyncToken` is present". A page with neither is a page whose
    /// `nextPageToken` was lost (a gateway, a proxy that rewrote the JSON, a server fault),
    /// and the pages after it were never read: nothing the listing lacks is taken as deleted,
    /// pending members not seen are fetched as after an incremental listing, and the state
    /// keeps no token, so the next sync lists everything again.
    fn cut_short(&self) -> bool {
        self.next_sync_token.as_deref().is_none_or(str::is_empty) && self.query.order_by.is_none()
    }

    /// After a listing that does not name every event (incremental, or filtered): events.get
    /// for each pending member it did not mention (a complete listing mentions every event
    /// there is).
    fn fetch_pending(&mut self) {
        if !self.lists_every_event() {
            let seen: StringSet = self.seen.keys().map(|k| href::normalize(k)).collect();
            let wanted: Vec<String> = self
                .old
                .pending
                .iter()
                .filter(|p| !seen.contains(&href::normalize(p)))
                .cloned()
                .collect();
            for original in wanted {
                match self.pending_request_url(&original) {
                    Ok(url) => {
                        self.fetching += 1;
                        self.m
                            .x
                            .send(Tag::Pending(original, false), Spec::new(Method::Get, url));
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

    /// Where to fetch a pending member: an event of this calendar is named by the API's own URL
    /// ([`event_url`]) and fetched under the session's server URL, as every other request of
    /// the sync is (the same URL unless the app points the session at a proxy or a test
    /// double: then the fetch goes there too, with the session's credentials, not around it
    /// to Google). Any other URL is fetched as it is.
    fn pending_request_url(
        &self,
        original: &str,
    ) -> std::result::Result<Url, crate::url::ParseError> {
        let canonical = event_url(&self.calendar_id, "");
        if let (Some(id), Some(events)) = (original.strip_prefix(&canonical), &self.events_url)
            && !id.is_empty()
            && !id.contains(['/', '?', '#'])
        {
            return Url::parse(&format!("{events}/{id}"));
        }
        Url::parse(original)
    }

    /// An events.get answered 404 or 410 is asked once more before the answer counts (`again`:
    /// this is that second answer), as a DAV sync's fetch is (`ops::sync::fetch`): one wrong
    /// answer (a proxy, a gateway that misroutes the request) would report a live event
    /// deleted, or a series' master absent, and the app would not hear of it again until it
    /// changes. Whether the request went out again (under `tag`; the answer is then awaited).
    fn asked_again(&mut self, again: bool, reply: &Reply, tag: impl FnOnce() -> Tag) -> bool {
        if again || !matches!(reply.response.status, 404 | 410) {
            return false;
        }
        self.m
            .x
            .send(tag(), Spec::new(Method::Get, reply.url.clone()));
        true
    }

    fn on_pending(&mut self, original: String, reply: &Reply) -> Result<()> {
        let status = reply.response.status;
        if status == 404 || status == 410 {
            self.seen.insert(original, Seen::Gone);
            return Ok(());
        }
        if !reply.response.is_success() {
            let e = crate::gcal::api_error(reply.url.as_str(), &reply.response);
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
        // A 200 that is no event (a login proxy's page, a body cut short, an answer without
        // an id) did not deliver the member: it stays owed, and the next sync asks again.
        let read = value_reply(reply, self.m.x.ctx().limits.max_json_values).and_then(|event| {
            match event_id(&event) {
                Some(_) => Ok(event),
                None => Err(Error::new(
                    ErrorKind::Protocol,
                    "Calendar API: the events.get answer names no event",
                )),
            }
        });
        match read {
            Ok(event) => self.take(&event),
            Err(e) => {
                let problem = MemberProblem {
                    url: original.clone(),
                    kind: e.kind(),
                    status: Some(status),
                    message: e.message().to_owned(),
                };
                self.seen.insert(original, Seen::Owed(problem));
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let full = self.token.is_none();
        let complete = self.lists_every_event();
        let mut etags = std::mem::take(&mut self.old.etags);
        // The state's URLs by their key: one it holds under another spelling (a state written
        // by an app, or under another encoding of the calendar id) is the same event's, so its
        // deletion is delivered and its ETag replaced, not left beside the new one.
        let old_keys = OldKeys::all_without_shadowed(&mut etags, "");
        let old_pending: StringSet = self
            .old
            .pending
            .iter()
            .map(|p| href::normalize(p))
            .collect();
        let mut changes = Vec::new();
        let mut problems = Vec::new();
        if self.cut_short() {
            problems.push(MemberProblem {
                url: self.events_url_text(),
                kind: ErrorKind::Protocol,
                status: None,
                message: "Calendar API: the listing's last page has no nextSyncToken, so it may \
                          have been cut short: no event it lacks is taken as deleted, and the next \
                          sync lists again"
                    .to_owned(),
            });
        }
        if self.unnamed > 0 {
            problems.push(MemberProblem {
                url: self.events_url_text(),
                kind: ErrorKind::Protocol,
                status: None,
                message: match self.unnamed {
                    1 => "Calendar API: an event without an id (it cannot be named or stored)"
                        .to_owned(),
                    n => format!(
                        "Calendar API: {n} events without an id (they cannot be named or stored)"
                    ),
                },
            });
        }
        let mut pending = StringSet::new();
        // Normalised URLs this sync has something to say about: none of them is "absent".
        let mut mentioned: StringSet = StringSet::new();
        for (url, seen) in std::mem::take(&mut self.seen) {
            let key = href::normalize(&url);
            mentioned.insert(key.clone());
            let was_pending = old_pending.contains(&key);
            match seen {
                Seen::Gone => {
                    let had = take_etag(&mut etags, &old_keys, &key).is_some();
                    if had || was_pending {
                        changes.push(Change::Deleted { url });
                    }
                }
                Seen::Present(obj) => {
                    let etag = obj.etag.clone().unwrap_or_default();
                    let existed = take_etag(&mut etags, &old_keys, &key);
                    etags.insert(url, etag.clone());
                    match existed {
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
        for url in std::mem::take(&mut self.owed_instances) {
            // Their stored ETags stay as they were.
            if !mentioned.contains(&href::normalize(&url)) {
                pending.insert(url);
            }
        }
        if complete {
            // A full listing of every event: whatever the state had (or still owed the app)
            // and the listing lacks is gone.
            let gone: Vec<String> = etags
                .keys()
                .chain(self.old.pending.iter())
                .filter(|k| !mentioned.contains(&href::normalize(k)))
                .cloned()
                .collect::<StringSet>()
                .into_iter()
                .collect();
            for url in gone {
                etags.remove(&url);
                changes.push(Change::Deleted { url });
            }
        }
        let collection_url = self.events_url_text();
        let state = SyncState {
            collection_url,
            sync_token: self.next_sync_token.take(),
            ctag: None,
            etags,
            pending,
            listed: crate::string_map::StringMap::new(),
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

/// An event's `etag`, when it has one that is not empty. An event listed without one (a
/// proxy or gateway that dropped the field) is not delivered: stored without its ETag, the app
/// could not write it, and a token sync would not list it again until it changed. It stays
/// pending ([`no_etag`]), and the next sync fetches it with events.get.
pub(super) fn event_etag(event: &Value) -> Option<String> {
    event
        .get("etag")
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
        .map(str::to_owned)
}

/// The problem of an event (or a series) given without its ETag, which stays pending.
pub(super) fn no_etag(url: String) -> MemberProblem {
    MemberProblem {
        url,
        kind: ErrorKind::Protocol,
        status: None,
        message: "Calendar API: the event came without its etag; it stays pending and the next \
                  sync fetches it"
            .to_owned(),
    }
}

/// An event's `id`, when it has one that is not empty: an event without one cannot be named
/// or stored ([`GcalSync::take`] counts it as a problem; a pending member's events.get that
/// answers one stays owed).
fn event_id(event: &Value) -> Option<&str> {
    event
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}

/// An events.list answer is a page only when it has its `items` (the Calendar API always
/// sends them, `[]` for none): a `{}` or another resource's JSON from a proxy or a gateway
/// lists nothing, and read as the last page of a full listing it would delete every event
/// the state holds.
fn listed_events(json: crate::json_read::Json) -> Result<crate::json_read::Json> {
    if json.get("items").is_none() {
        return Err(Error::new(
            ErrorKind::Protocol,
            "Calendar API: the events.list answer has no items",
        ));
    }
    Ok(json)
}

impl_operation!(GcalSync, SyncResult);
