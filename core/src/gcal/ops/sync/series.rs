//! Recurring series in a sync: each series a sync touched is fetched whole (events.get of its
//! master when its UID is unknown, then events.list by `iCalUID`), then each series is joined
//! into one object keyed by its master's URL, with an ETag that changes when any of its
//! events does.

use crate::string_set::StringSet;
use crate::url::Url;
use serde_json::Value;

use super::super::read::listed;
use super::super::{Paging, json_reply, value_reply};
use super::{GcalSync, Seen, Tag, event_etag, no_etag};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Reply, Spec};
use crate::gcal::events::{event_to_ical, event_url, is_cancelled, series_to_ical};
use crate::http::Method;
use crate::model::{DavObject, MemberProblem};

impl GcalSync {
    /// After the listing and the pending members' fetches: in series mode, an incremental
    /// sync fetches each touched series whole (its master and every exception, by `iCalUID`)
    /// so that its object is delivered complete; then the series are joined and the sync ends.
    pub(super) fn after_fetches(&mut self) {
        if !self.series_mode || self.joined {
            return self.finish();
        }
        self.joined = true;
        if self.token.is_some() {
            let touched: StringSet = self
                .masters
                .keys()
                .chain(self.exceptions.keys())
                .cloned()
                .collect();
            for id in touched {
                if self.series_deleted.get(&id) == Some(&1) {
                    // Deleted: its instances go with it, nothing to fetch.
                    continue;
                }
                let master_url = event_url(&self.calendar_id, &id);
                // A pending master fetched again and answered 404/410: absent, not deleted.
                let absent = matches!(self.seen.get(&master_url), Some(Seen::Gone));
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
                    // Listed by UID, the series' instances this calendar has are delivered
                    // even when its master is absent.
                    Some(uid) => self.request_series(id, uid, None),
                    None if absent => {}
                    None => match self.event_api_url(&id) {
                        Some(url) => {
                            self.series_fetching += 1;
                            self.m
                                .x
                                .send(Tag::Master(id, false), Spec::new(Method::Get, url));
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

    fn request_series(&mut self, id: String, uid: String, page_token: Option<&str>) {
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
            .send(Tag::Series(id, uid), Spec::new(Method::Get, url));
    }

    pub(super) fn series_answered(&mut self) {
        self.series_fetching = self.series_fetching.saturating_sub(1);
        if self.series_fetching == 0 {
            self.join_series();
            self.finish();
        }
    }

    /// A series' master fetched for its UID; then the whole series by that UID. A 404/410
    /// says the master is absent (its URL is gone, its live instances stay objects of their
    /// own); a cancelled master is a deleted series.
    pub(super) fn on_master(&mut self, id: String, reply: &Reply) -> Result<()> {
        let status = reply.response.status;
        let master_url = event_url(&self.calendar_id, &id);
        if status == 404 || status == 410 {
            self.seen.insert(master_url, Seen::Gone);
            return Ok(());
        }
        let event = match value_reply(reply, self.m.x.ctx().limits.max_json_values) {
            Ok(v) => v,
            Err(e) => return self.series_problem(id, e, Some(status)),
        };
        if is_cancelled(&event) {
            self.seen.insert(master_url, Seen::Gone);
            self.series_deleted.insert(id, 1);
            return Ok(());
        }
        match event.get("iCalUID").and_then(Value::as_str) {
            Some(uid) if !uid.is_empty() => {
                let uid = uid.to_owned();
                self.masters.insert(id.clone(), event);
                self.request_series(id, uid, None);
                Ok(())
            }
            _ => {
                self.masters.insert(id, event);
                Ok(())
            }
        }
    }

    /// One page of a series fetched by UID; `Ok(true)` when another page was asked. A page
    /// token the listing already followed, or more pages than
    /// [`Limits::max_sync_pages`](crate::Limits::max_sync_pages), is a problem of the series
    /// (kept pending), as any other failure to fetch it is.
    pub(super) fn on_series(&mut self, id: String, uid: String, reply: &Reply) -> Result<bool> {
        let status = reply.response.status;
        let page = match json_reply(reply, self.m.x.ctx().limits.max_json_values).and_then(listed) {
            Ok(p) => p,
            Err(e) => {
                self.series_problem(id, e, Some(status))?;
                return Ok(false);
            }
        };
        for item in page.items {
            let item = item.into_value();
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
                let master_url = event_url(&self.calendar_id, &id);
                if is_cancelled(&item) {
                    self.seen.insert(master_url, Seen::Gone);
                    self.series_deleted.insert(id.clone(), 1);
                } else {
                    // Listed live: it wins over a 404 to a fetch of the pending master. Not a
                    // removal from `seen` (the B-tree's removal code, a copy of its own in the
                    // module): joining the series, or its failure, writes over this, and were
                    // it left, it would keep the master pending, never delete it.
                    if matches!(self.seen.get(&master_url), Some(Seen::Gone)) {
                        let problem = MemberProblem {
                            url: master_url.clone(),
                            kind: ErrorKind::Protocol,
                            status: None,
                            message: "Calendar API: the series was listed after its master \
                                      answered 404"
                                .to_owned(),
                        };
                        self.seen.insert(master_url, Seen::Owed(problem));
                    }
                    self.masters.insert(item_id, item);
                }
            }
        }
        match page.next_page_token {
            Some(next) => {
                let max = self.m.x.ctx().limits.max_sync_pages;
                let at = match self.series_paging.iter().position(|(s, _)| *s == id) {
                    Some(at) => at,
                    None => {
                        self.series_paging.push((id.clone(), Paging::new(max)));
                        self.series_paging.len() - 1
                    }
                };
                let followed = self.series_paging[at]
                    .1
                    .follow("a series listing (events.list by iCalUID)", &next);
                match followed {
                    Ok(()) => {
                        self.series_fetching = self.series_fetching.saturating_sub(1);
                        self.request_series(id, uid, Some(&next));
                        Ok(true)
                    }
                    Err(e) => {
                        self.series_problem(id, e.with_url(reply.url.as_str()), None)?;
                        Ok(false)
                    }
                }
            }
            None => {
                if !self.masters.contains_key(&id) {
                    // The master is not in this calendar (without `showDeleted` a deleted
                    // one is not listed either, but its deletion came in the sync's own
                    // listing): its URL is gone (a deletion only if the state has it, the
                    // series' object of an older sync), and the series' live instances, all
                    // listed here, stay objects of their own.
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
    /// URLs are gone from the state. Exceptions whose master is absent (an instance the user
    /// sees without its series) stay objects of their own, unless cancelled; those of a
    /// deleted series (its master seen cancelled) go.
    fn join_series(&mut self) {
        let exceptions = std::mem::take(&mut self.exceptions);
        let mut ids: StringSet = self.masters.keys().cloned().collect();
        ids.extend(exceptions.keys().cloned());
        for id in ids {
            if self.series_failed.contains(&id) {
                // Asked again next sync, each instance too: its master may be absent.
                for exc_id in exceptions.get(&id).into_iter().flat_map(|m| m.keys()) {
                    self.owed_instances
                        .insert(event_url(&self.calendar_id, exc_id));
                }
                continue;
            }
            let master_url = event_url(&self.calendar_id, &id);
            let own = exceptions.get(&id);
            let gone = matches!(self.seen.get(&master_url), Some(Seen::Gone));
            let deleted = self.series_deleted.get(&id) == Some(&1);
            let Some(master) = self.masters.get(&id).filter(|_| !gone) else {
                for (exc_id, item) in own.into_iter().flatten() {
                    let url = event_url(&self.calendar_id, exc_id);
                    if deleted || is_cancelled(item) {
                        // An instance of a deleted series, or a cancelled instance of a series
                        // that is not there, shows nothing.
                        self.seen.insert(url, Seen::Gone);
                    } else {
                        let seen = single(url.clone(), item);
                        self.seen.insert(url, seen);
                    }
                }
                continue;
            };
            let list: Vec<&Value> = own.map(|m| m.values().collect()).unwrap_or_default();
            if event_etag(master).is_none() || list.iter().any(|e| event_etag(e).is_none()) {
                // A part without its ETag: the series cannot be delivered whole at the
                // server's versions. It stays pending, each instance too, as a series that
                // could not be fetched (the next sync fetches it again).
                self.seen
                    .insert(master_url.clone(), Seen::Owed(no_etag(master_url)));
                for exc_id in own.into_iter().flat_map(|m| m.keys()) {
                    self.owed_instances
                        .insert(event_url(&self.calendar_id, exc_id));
                }
                continue;
            }
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
                        json: Some(crate::json_write::value_text(&json)),
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
}

/// One event as an object of its own (or a problem when it cannot be read).
fn single(url: String, item: &Value) -> Seen {
    let Some(etag) = event_etag(item) else {
        return Seen::Owed(no_etag(url));
    };
    match event_to_ical(item) {
        Ok(ical) => Seen::Present(DavObject {
            url,
            etag: Some(etag),
            data: Some(ical),
            json: Some(crate::json_write::value_text(item)),
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
    if exceptions.is_empty() {
        return event_etag(master);
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
        feed(&event_etag(v).unwrap_or_default());
    }
    Some(format!(
        "{}{hash:016x}\"",
        crate::gcal::ops::write::SERIES_ETAG_PREFIX
    ))
}
