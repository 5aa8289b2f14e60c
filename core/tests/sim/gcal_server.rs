//! The model Google Calendar API v3 server of the Calendar API histories (`gcal_run.rs`): one
//! calendar's events with ETags and an update counter, single events and recurring series
//! with their exceptions (moved or cancelled instances, each an event of its own with
//! `recurringEventId`), cancelled events kept as tombstones until the server forgets its sync
//! tokens, and the requests davkit sends: events.list (full, incremental from a `syncToken`,
//! by `iCalUID`, paged), events.get, insert, patch and delete with `If-Match`.
//!
//! What it answers follows Google's documentation as `../shared/reference/server-profiles.md`
//! §5.1 cites it: an incremental listing holds every event changed after the token, cancelled
//! ones included (a deleted event as its id and status only); a listing without a token leaves
//! cancelled events out, except cancelled instances of series when `singleEvents` is not true;
//! a token the server no longer knows is answered 410 `fullSyncRequired`. A paged listing
//! answers from the events as they were at its first page, and its `nextSyncToken` is that
//! moment's: what changes while the pages are read comes in the next incremental listing.
//! Some histories run a server whose pages move instead (`moving_pages`): each page is read
//! when it is asked for, in the order of the events' last change, so an event changed while
//! the pages are read is listed a second time, and the `nextSyncToken` is the last page's.
//! A cancelled instance of a live series comes back when a patch sets `status: confirmed`.
//! An instance can be shared without its series (`share_instance_alone`): its master is not in
//! the calendar, and the app holds it as an object of its own.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The calendar every history syncs.
pub const CALENDAR: &str = "alice@example.com";

/// One event as the server stores it.
#[derive(Clone, Debug)]
pub struct Ev {
    pub etag: String,
    /// The server's counter at the event's last change.
    pub updated: u64,
    pub cancelled: bool,
    pub summary: String,
    pub uid: String,
    /// A recurring series' master (an RRULE).
    pub recurring: bool,
    /// An exception of this series (its master's id), with its original start (day index).
    pub series: Option<(String, u32)>,
    /// Day of the month the event (or instance) starts on.
    pub day: u32,
}

/// A listing being paged: the items still to send (or, on a server whose pages move, what the
/// listing asked and the last id sent) and the token its last page hands out.
#[derive(Debug)]
struct Paging {
    rest: Vec<Value>,
    sync_token: Option<String>,
    /// Pages that move: each page is read from the events as they are when it is asked for,
    /// after the last id sent; `rest` is unused.
    live: Option<LiveCursor>,
}

/// Where a moving listing stands.
#[derive(Debug, Clone)]
struct LiveCursor {
    since: Option<u64>,
    ical_uid: Option<String>,
    /// The last event sent: its change counter and id.
    after: Option<(u64, String)>,
    /// The server's counter at the first page.
    started: u64,
}

/// The server.
#[derive(Debug, Default)]
pub struct GServer {
    pub events: BTreeMap<String, Ev>,
    /// The change counter.
    pub seq: u64,
    /// Tokens for counters below this are forgotten (410).
    pub floor: u64,
    /// The Bearer token the server accepts now.
    pub token: String,
    token_counter: u64,
    pagings: BTreeMap<String, Paging>,
    page_counter: u64,
    next_id: u64,
    /// Whether listings expand series (`singleEvents=true`): then the calendar holds no
    /// series (the model does not expand instances).
    pub single_events: bool,
    /// Whether a paged listing reads each page from the events as they are then (in the order
    /// of their last change, after the last one sent) instead of from the moment of its first
    /// page: an event changed while the pages are read moves behind the others and is listed
    /// again, a second version in one listing (deleted: as a tombstone, in a full listing
    /// too). Its `nextSyncToken` is then the moment of its last page: a client that keeps the
    /// first version it read of an event loses the change.
    pub moving_pages: bool,
}

/// What a request asked, as the server reads it.
#[derive(Debug)]
pub enum Req {
    List {
        sync_token: Option<String>,
        page_token: Option<String>,
        ical_uid: Option<String>,
        max: usize,
    },
    Get(String),
    Insert(Value),
    Patch {
        id: String,
        if_match: Option<String>,
        body: Value,
    },
    Delete {
        id: String,
        if_match: Option<String>,
    },
    Other,
}

/// An answer: status and JSON body (empty for 204).
#[derive(Debug)]
pub struct GAnswer {
    pub status: u16,
    pub body: String,
    /// The write this request applied (an event id), for the checks.
    pub applied: Option<String>,
}

impl GAnswer {
    fn json(status: u16, v: &Value) -> Self {
        GAnswer {
            status,
            body: v.to_string(),
            applied: None,
        }
    }
}

/// A Calendar API error envelope.
pub fn error_body(code: u16, reason: &str) -> String {
    json!({"error": {"errors": [{"domain": "global", "reason": reason, "message": reason}],
        "code": code, "message": reason}})
    .to_string()
}

impl GServer {
    pub fn new(single_events: bool, moving_pages: bool) -> Self {
        let mut s = GServer {
            single_events,
            moving_pages,
            ..GServer::default()
        };
        s.rotate_token();
        s
    }

    /// The access token expires: a new one is valid from now on.
    pub fn rotate_token(&mut self) {
        self.token_counter += 1;
        self.token = format!("ya29.sim-{}", self.token_counter);
    }

    fn bump(&mut self, id: &str) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(e) = self.events.get_mut(id) {
            e.updated = seq;
            e.etag = format!("\"{}\"", 3_400_000_000_000_000 + seq);
        }
    }

    pub fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// Adds a single event or (with `recurring`) a series' master.
    pub fn add(&mut self, id: &str, summary: &str, recurring: bool) {
        // Days 1-6: with instances up to three weeks on (and a moved one a day later) all in March.
        let day = 1 + (self.next_id % 6) as u32;
        self.events.insert(
            id.to_owned(),
            Ev {
                etag: String::new(),
                updated: 0,
                cancelled: false,
                summary: summary.to_owned(),
                uid: format!("{id}@google.com"),
                recurring: recurring && !self.single_events,
                series: None,
                day,
            },
        );
        self.bump(id);
    }

    /// Changes an event's summary.
    pub fn edit(&mut self, id: &str, summary: &str) {
        if let Some(e) = self.events.get_mut(id) {
            e.summary = summary.to_owned();
            e.cancelled = false;
        }
        self.bump(id);
    }

    /// Deletes an event: a tombstone; a series' master takes its exceptions with it.
    pub fn delete(&mut self, id: &str) {
        let exceptions: Vec<String> = self
            .events
            .iter()
            .filter(|(_, e)| e.series.as_ref().is_some_and(|(m, _)| m == id) && !e.cancelled)
            .map(|(k, _)| k.clone())
            .collect();
        for x in exceptions.iter().map(String::as_str).chain([id]) {
            if let Some(e) = self.events.get_mut(x) {
                e.cancelled = true;
            }
            self.bump(x);
        }
    }

    /// Moves (`cancel` false) or cancels one instance of a live series: a new exception, or a
    /// change of the one the instance has.
    pub fn instance(&mut self, master: &str, index: u32, cancel: bool, summary: &str) {
        let Some(m) = self
            .events
            .get(master)
            .filter(|m| m.recurring && !m.cancelled)
        else {
            return;
        };
        let (uid, day) = (m.uid.clone(), m.day + 7 * index);
        let id = format!("{master}_{index}");
        let e = self.events.entry(id.clone()).or_insert(Ev {
            etag: String::new(),
            updated: 0,
            cancelled: false,
            summary: String::new(),
            uid,
            recurring: false,
            series: Some((master.to_owned(), day)),
            day: day + 1,
        });
        e.cancelled = cancel;
        e.summary = summary.to_owned();
        self.bump(&id);
    }

    /// An instance of a series shared without its series (the user was invited to that one
    /// instance): an exception whose master is not in this calendar. Google lists it with its
    /// `recurringEventId` and the series' `iCalUID`; events.get of the master is 404.
    pub fn share_instance_alone(&mut self, summary: &str) -> String {
        let master = self.fresh_id("o");
        let day = 1 + (self.next_id % 6) as u32;
        let id = format!("{master}_1");
        self.events.insert(
            id.clone(),
            Ev {
                etag: String::new(),
                updated: 0,
                cancelled: false,
                summary: summary.to_owned(),
                uid: format!("{master}@google.com"),
                recurring: false,
                series: Some((master, day + 7)),
                day: day + 7,
            },
        );
        self.bump(&id);
        id
    }

    /// Whether the event is an instance whose series is not in this calendar.
    pub fn alone(&self, e: &Ev) -> bool {
        e.series
            .as_ref()
            .is_some_and(|(m, _)| !self.events.contains_key(m))
    }

    /// The server forgets its sync tokens (and the tombstones of deleted events, as Google
    /// does after a while): every token handed out so far is answered 410.
    pub fn forget_tokens(&mut self) {
        self.seq += 1;
        self.floor = self.seq;
        let live_masters: Vec<String> = self
            .events
            .iter()
            .filter(|(_, e)| e.recurring && !e.cancelled)
            .map(|(k, _)| k.clone())
            .collect();
        let ids: Vec<String> = self.events.keys().cloned().collect();
        self.events.retain(|_, e| match &e.series {
            // A cancelled instance of a live series is part of that series; a live instance
            // shared without its series stays.
            Some((m, _)) => live_masters.contains(m) || (!ids.contains(m) && !e.cancelled),
            None => !e.cancelled,
        });
        self.pagings.clear();
    }

    fn sync_token(&self) -> String {
        format!("sync-{}", self.seq)
    }

    /// The event's JSON resource as the API returns it (a deleted one as Google does: id and
    /// status, with the series fields for a cancelled instance).
    pub fn resource(&self, id: &str) -> Option<Value> {
        let e = self.events.get(id)?;
        let at =
            |day: u32, hour: u32| json!({"dateTime": format!("2026-03-{day:02}T{hour:02}:00:00Z")});
        if e.cancelled {
            let mut v =
                json!({"kind": "calendar#event", "etag": e.etag, "id": id, "status": "cancelled"});
            if let Some((m, orig)) = &e.series {
                v["recurringEventId"] = json!(m);
                v["originalStartTime"] = at(*orig, 9);
            }
            return Some(v);
        }
        let mut v = json!({
            "kind": "calendar#event", "etag": e.etag, "id": id, "status": "confirmed",
            "summary": e.summary, "iCalUID": e.uid, "sequence": 0,
            "updated": format!("2026-01-01T00:00:00.{:03}Z", e.updated % 1000),
            "start": at(e.day, 9), "end": at(e.day, 10),
        });
        if e.recurring {
            v["recurrence"] = json!(["RRULE:FREQ=WEEKLY;COUNT=4"]);
        }
        if let Some((m, orig)) = &e.series {
            v["recurringEventId"] = json!(m);
            v["originalStartTime"] = at(*orig, 9);
        }
        Some(v)
    }

    /// Whether a listing without a sync token shows this event: live events, and cancelled
    /// instances of series when instances are not expanded.
    fn listed_in_full(&self, e: &Ev) -> bool {
        !e.cancelled || (e.series.is_some() && !self.single_events)
    }

    pub fn answer(&mut self, req: Req) -> GAnswer {
        match req {
            Req::List {
                sync_token,
                page_token,
                ical_uid,
                max,
            } => self.list(sync_token, page_token, ical_uid, max.max(1)),
            Req::Get(id) => match self.resource(&id) {
                Some(v) => GAnswer::json(200, &v),
                None => GAnswer {
                    status: 404,
                    body: error_body(404, "notFound"),
                    applied: None,
                },
            },
            Req::Insert(body) => {
                let id = body
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| self.fresh_id("i"));
                if self.events.contains_key(&id) {
                    return GAnswer {
                        status: 409,
                        body: error_body(409, "duplicate"),
                        applied: None,
                    };
                }
                let summary = body.get("summary").and_then(Value::as_str).unwrap_or("");
                self.add(&id, summary, false);
                let mut a = GAnswer::json(200, &self.resource(&id).unwrap_or_default());
                a.applied = Some(id);
                a
            }
            Req::Patch { id, if_match, body } => {
                // A cancelled instance of a live series comes back when a patch confirms it.
                let restores = body.get("status").and_then(Value::as_str) == Some("confirmed")
                    && self
                        .events
                        .get(&id)
                        .and_then(|e| e.series.as_ref())
                        .is_some_and(|(m, _)| self.live(m));
                if let Err(a) = self.precondition(&id, if_match.as_deref(), restores) {
                    return a;
                }
                let summary = body.get("summary").and_then(Value::as_str).unwrap_or("");
                self.edit(&id, summary);
                let mut a = GAnswer::json(200, &self.resource(&id).unwrap_or_default());
                a.applied = Some(id);
                a
            }
            Req::Delete { id, if_match } => {
                if let Err(a) = self.precondition(&id, if_match.as_deref(), false) {
                    return a;
                }
                self.delete(&id);
                GAnswer {
                    status: 204,
                    body: String::new(),
                    applied: Some(id),
                }
            }
            Req::Other => GAnswer {
                status: 400,
                body: error_body(400, "badRequest"),
                applied: None,
            },
        }
    }

    fn precondition(
        &self,
        id: &str,
        if_match: Option<&str>,
        cancelled_ok: bool,
    ) -> Result<(), GAnswer> {
        let fail = |status: u16, reason: &str| GAnswer {
            status,
            body: error_body(status, reason),
            applied: None,
        };
        match self.events.get(id) {
            None => Err(fail(404, "notFound")),
            Some(e) if e.cancelled && !cancelled_ok => Err(fail(410, "deleted")),
            Some(e) if if_match != Some(e.etag.as_str()) => Err(fail(412, "conditionNotMet")),
            Some(_) => Ok(()),
        }
    }

    fn list(
        &mut self,
        sync_token: Option<String>,
        page_token: Option<String>,
        ical_uid: Option<String>,
        max: usize,
    ) -> GAnswer {
        let paging = match page_token {
            Some(p) => match self.pagings.remove(&p) {
                Some(paging) => paging,
                None => {
                    return GAnswer {
                        status: 400,
                        body: error_body(400, "invalidPageToken"),
                        applied: None,
                    };
                }
            },
            None => {
                let since = match &sync_token {
                    Some(t) => match t.strip_prefix("sync-").and_then(|n| n.parse::<u64>().ok()) {
                        Some(n) if n >= self.floor => Some(n),
                        _ => {
                            return GAnswer {
                                status: 410,
                                body: error_body(410, "fullSyncRequired"),
                                applied: None,
                            };
                        }
                    },
                    None => None,
                };
                let cursor = LiveCursor {
                    since,
                    ical_uid: ical_uid.clone(),
                    after: None,
                    started: self.seq,
                };
                Paging {
                    rest: if self.moving_pages {
                        Vec::new()
                    } else {
                        self.listing(&cursor, usize::MAX)
                    },
                    sync_token: ical_uid.is_none().then(|| self.sync_token()),
                    live: self.moving_pages.then_some(cursor),
                }
            }
        };
        let mut paging = paging;
        if let Some(cursor) = &mut paging.live {
            // One more than a page tells whether another page follows.
            paging.rest = self.listing(cursor, max + 1);
            if let Some(last) = paging.rest.iter().take(max).next_back()
                && let Some(id) = last.get("id").and_then(Value::as_str)
                && let Some(e) = self.events.get(id)
            {
                cursor.after = Some((e.updated, id.to_owned()));
            }
        }
        let take = paging.rest.len().min(max);
        let items: Vec<Value> = paging.rest.drain(..take).collect();
        let more = !paging.rest.is_empty();
        if paging.live.is_some() {
            paging.rest.clear();
            if !more && paging.sync_token.is_some() {
                paging.sync_token = Some(self.sync_token());
            }
        }
        let mut body = json!({"kind": "calendar#events", "summary": CALENDAR, "items": items});
        if !more {
            if let Some(t) = &paging.sync_token {
                body["nextSyncToken"] = json!(t);
            }
        } else {
            self.page_counter += 1;
            let token = format!("page-{}", self.page_counter);
            body["nextPageToken"] = json!(token);
            self.pagings.insert(token, paging);
        }
        GAnswer::json(200, &body)
    }

    /// Up to `max` resources a listing sends from `cursor` on: in id order for a listing read
    /// at its first page, in the order of their last change for a moving one.
    fn listing(&self, cursor: &LiveCursor, max: usize) -> Vec<Value> {
        let mut keys: Vec<(u64, &String)> = self
            .events
            .iter()
            .filter(|(_, e)| match (&cursor.ical_uid, cursor.since) {
                (Some(uid), _) => e.uid == *uid && self.listed_in_full(e),
                (None, Some(n)) => e.updated > n,
                (None, None) => {
                    self.listed_in_full(e) || (self.moving_pages && e.updated > cursor.started)
                }
            })
            .map(|(id, e)| (if self.moving_pages { e.updated } else { 0 }, id))
            .filter(|(u, id)| {
                cursor
                    .after
                    .as_ref()
                    .is_none_or(|(au, aid)| (*u, *id) > (*au, aid))
            })
            .collect();
        keys.sort();
        keys.into_iter()
            .take(max)
            .filter_map(|(_, id)| self.resource(id))
            .collect()
    }

    /// The objects an app in sync holds: per top-level live event its URL's id, with the
    /// event's ETag and (for a series) every exception's id and ETag.
    pub fn expected(&self) -> BTreeMap<String, (String, Vec<(String, String)>)> {
        let mut out = BTreeMap::new();
        for (id, e) in &self.events {
            if e.cancelled || (e.series.is_some() && !self.alone(e)) {
                continue;
            }
            let exceptions = self
                .events
                .iter()
                .filter(|(_, x)| x.series.as_ref().is_some_and(|(m, _)| m == id))
                .map(|(xid, x)| (xid.clone(), x.etag.clone()))
                .collect();
            out.insert(id.clone(), (e.etag.clone(), exceptions));
        }
        out
    }

    /// Whether a top-level event (single, master, or an instance shared without its series)
    /// is live.
    pub fn live(&self, id: &str) -> bool {
        self.events
            .get(id)
            .is_some_and(|e| !e.cancelled && (e.series.is_none() || self.alone(e)))
    }
}
