//! The Calendar API histories: an app mirrors one Google calendar through `DavClient::gcal_sync`
//! (full, incremental, 410 resyncs, recurring series joined into one object) and writes to it
//! with `gcal_insert`/`gcal_patch`/`gcal_delete` (whole events, and single instances of a
//! series: a moved instance edited or cancelled, a cancelled one confirmed again), while other
//! devices change the calendar between and during its requests and the server injects the
//! Calendar API's faults (5xx, 429 and Google's 403 `rateLimitExceeded`, expired access
//! tokens, lost connections before and after a write is applied, listings cut short, an event
//! listed twice, a repeated page token, forgotten sync tokens). In two histories of five the
//! server's pages move while they are read. The app crashes now and then between receiving a
//! sync's result and storing it. The model server is `gcal_server.rs`.
//!
//! Invariants (each a `Violation` with the seed):
//! - G1, no false deletion: a sync never reports deleted an event that was live on the server
//!   when the sync started and when it ended and that nothing changed while it ran;
//! - G2, nothing lost: after the faults stop, syncing converges on exactly the server's
//!   calendar: every live event (a series with every one of its exceptions) at the server's
//!   ETags, nothing else, and nothing left pending;
//! - G3, no write without its precondition: every events.patch and events.delete carries the
//!   `If-Match` of a version the app was given;
//! - G0: no panic.
//!
//! `cargo test -p davkit --test sim gcal` runs 2,000 histories; `SIM_GCAL_SEEDS=N` runs N,
//! `SIM_GCAL_SEED=S` replays seed S and prints every request; `SIM_FIRST_SEED=F` as for the
//! other runs.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::{Future, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use davkit::gcal::{API_BASE, EventsQuery, event_url};
use davkit::{
    Change, Config, Credentials, DavClient, Error, ErrorKind, HttpRequest, HttpResponse, Method,
    RetryPolicy, SyncState, TokenProvider, Transport,
};
use davkit_testkit::{Rng, block_on};
use serde_json::{Value, json};

use crate::gcal_server::{CALENDAR, GAnswer, GServer, Req, error_body};
use crate::invariants::{Violation, fail};

const DEFAULT_GCAL_SEEDS: u64 = 2_000;

/// Everything a seed decides before the history starts.
#[derive(Debug)]
struct Params {
    single_events: bool,
    moving_pages: bool,
    events: usize,
    series: usize,
    page: Option<u32>,
    steps: usize,
    fault_per_mille: u32,
    concurrent_per_mille: u32,
    between_per_mille: u32,
    crash_per_mille: u32,
    retries: u32,
    parallel: usize,
}

fn params(rng: &mut Rng) -> Params {
    Params {
        single_events: rng.chance(250),
        moving_pages: rng.chance(400),
        events: rng.range(0, 6),
        series: rng.range(0, 3),
        page: (!rng.chance(300)).then(|| rng.range(1, 4) as u32),
        steps: rng.range(6, 18),
        fault_per_mille: *rng.pick(&[0, 30, 100, 250]).unwrap_or(&0),
        concurrent_per_mille: *rng.pick(&[0, 50, 150]).unwrap_or(&0),
        between_per_mille: *rng.pick(&[0, 300, 700]).unwrap_or(&0),
        crash_per_mille: *rng.pick(&[0, 0, 200]).unwrap_or(&0),
        retries: rng.range(0, 3) as u32,
        parallel: rng.range(1, 4),
    }
}

/// A login proxy's or captive portal's page.
const LOGIN_PAGE: &str =
    "<!DOCTYPE html><html><body><form action=\"/sso/login\"></form></body></html>";

/// What went wrong on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GFault {
    ServerError500,
    Unavailable503,
    RateLimited429,
    RateLimited403,
    /// The access token expires: 401 until the client refreshes it.
    Expired401,
    TransportBeforeApply,
    TransportAfterApply,
    /// A listing's body cut short.
    Truncated,
    /// One event listed twice on a page.
    Duplicated,
    /// A page whose `nextPageToken` is the one asked with.
    RepeatedPageToken,
    /// A page whose `nextPageToken` (or, on the last page, `nextSyncToken`) was lost on the
    /// way (a gateway or proxy that rewrote the JSON): the page ends with neither.
    PageTokenLost,
    /// One event of a page without its `etag` (a proxy or gateway that dropped the field).
    EtagDropped,
    /// The server forgets its sync tokens just before an incremental listing.
    TokenForgotten,
    /// A login proxy (or captive portal) in front of the API answers 200 with its HTML page;
    /// the request never reaches the server.
    LoginPage,
    /// A captive portal or single sign-on proxy redirects the request (302) to its login page
    /// on another origin, which answers 200 with HTML.
    PortalRedirect,
    /// events.get answered 404 for an event that may well exist (a proxy, or a gateway that
    /// misroutes the request).
    False404,
}

/// The world: the server, the fault stream, the other devices, the checks on the wire.
#[derive(Debug)]
pub struct GWorld {
    pub server: GServer,
    faults: Rng,
    fault_per_mille: u32,
    devices: Rng,
    concurrent_per_mille: u32,
    /// The token the client's provider hands out.
    client_token: String,
    /// A client operation is running (devices act during its requests).
    in_op: bool,
    /// Event ids other devices or the app's writes changed during the operation.
    touched: BTreeSet<String>,
    pub verbose: bool,
    pub requests: u64,
    pub counts: BTreeMap<String, u64>,
    violation: Option<Violation>,
    /// ETags the app was given, per event id (any version): what `If-Match` may name.
    pub given: BTreeMap<String, BTreeSet<String>>,
    /// Event ids whose last events.get was a false 404: the fault is one wrong answer, so
    /// the next events.get of that event is answered truly (the sync asks twice before a
    /// 404 counts).
    false_404: BTreeSet<String>,
}

impl GWorld {
    fn count(&mut self, what: impl Into<String>) {
        *self.counts.entry(what.into()).or_default() += 1;
    }

    /// Another device changes the calendar.
    pub fn device_change(&mut self) {
        let top: Vec<String> = self
            .server
            .events
            .iter()
            .filter(|(_, e)| !e.cancelled && (e.series.is_none() || self.server.alone(e)))
            .map(|(k, _)| k.clone())
            .collect();
        let masters: Vec<String> = self
            .server
            .events
            .iter()
            .filter(|(_, e)| !e.cancelled && e.recurring)
            .map(|(k, _)| k.clone())
            .collect();
        let roll = self.devices.below(100);
        let n = self.server.seq;
        let (what, id) = match roll {
            0..=19 => {
                let id = self.server.fresh_id("d");
                self.server.add(&id, &format!("device {n}"), false);
                ("adds", id)
            }
            20..=22 if !self.server.single_events => {
                let id = self
                    .server
                    .share_instance_alone(&format!("device instance alone {n}"));
                ("shares an instance alone", id)
            }
            23..=29 if !self.server.single_events => {
                let id = self.server.fresh_id("r");
                self.server.add(&id, &format!("device series {n}"), true);
                ("adds series", id)
            }
            30..=54 if !top.is_empty() => {
                let id = self.devices.one(&top).clone();
                self.server.edit(&id, &format!("device edit {n}"));
                ("edits", id)
            }
            55..=69 if !top.is_empty() => {
                let id = self.devices.one(&top).clone();
                self.server.delete(&id);
                ("deletes", id)
            }
            _ if !masters.is_empty() => {
                let id = self.devices.one(&masters).clone();
                let index = self.devices.range(1, 3) as u32;
                let cancel = self.devices.chance(500);
                self.server
                    .instance(&id, index, cancel, &format!("device instance {n}"));
                (
                    if cancel {
                        "cancels an instance of"
                    } else {
                        "moves an instance of"
                    },
                    id,
                )
            }
            _ => {
                let id = self.server.fresh_id("d");
                self.server.add(&id, &format!("device {n}"), false);
                ("adds", id)
            }
        };
        if self.verbose {
            eprintln!("    device {what} {id}");
        }
        self.count(format!("device {what}"));
        self.touched.insert(id);
    }

    fn fault(&mut self, req: &Req) -> Option<GFault> {
        if self.fault_per_mille == 0 || !self.faults.chance(self.fault_per_mille) {
            return None;
        }
        let mut candidates = vec![
            GFault::ServerError500,
            GFault::Unavailable503,
            GFault::RateLimited429,
            GFault::RateLimited403,
            GFault::Expired401,
            GFault::TransportBeforeApply,
            GFault::TransportAfterApply,
            GFault::LoginPage,
            GFault::PortalRedirect,
        ];
        if let Req::List {
            sync_token,
            page_token,
            ..
        } = req
        {
            candidates.extend([
                GFault::Truncated,
                GFault::Duplicated,
                GFault::PageTokenLost,
                GFault::EtagDropped,
            ]);
            if page_token.is_some() {
                candidates.push(GFault::RepeatedPageToken);
            }
            if sync_token.is_some() && page_token.is_none() {
                candidates.push(GFault::TokenForgotten);
            }
        }
        if let Req::Get(id) = req
            && !self.false_404.contains(id)
        {
            candidates.push(GFault::False404);
        }
        self.faults.pick(&candidates).copied()
    }

    fn handle(&mut self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        self.requests += 1;
        if !request.url.starts_with(API_BASE) {
            // Another origin: the login page a portal redirected to. The token goes to the
            // API only.
            if request.header("Authorization").is_some() && self.violation.is_none() {
                self.violation = Some(Violation {
                    invariant: 0,
                    what: format!(
                        "credentials sent to another origin: {:?} {}",
                        request.method, request.url
                    ),
                });
            }
            return Ok(HttpResponse::new(200, LOGIN_PAGE)
                .with_header("Content-Type", "text/html; charset=utf-8"));
        }
        if self.in_op
            && self.concurrent_per_mille > 0
            && self.devices.chance(self.concurrent_per_mille)
        {
            self.device_change();
        }
        let req = parse(&request);
        if let Req::Patch { id, if_match, .. } | Req::Delete { id, if_match } = &req {
            let known = self
                .given
                .get(id)
                .is_some_and(|g| if_match.as_ref().is_some_and(|m| g.contains(m)));
            if !known && self.violation.is_none() {
                self.violation = Some(Violation {
                    invariant: 3,
                    what: format!(
                        "{:?} of {id} with If-Match {if_match:?}, no version the app was given",
                        request.method
                    ),
                });
            }
        }
        let fault = self.fault(&req);
        if let Req::Get(id) = &req {
            if fault == Some(GFault::False404) {
                self.false_404.insert(id.clone());
            } else {
                self.false_404.remove(id);
            }
        }
        if let Some(f) = fault {
            self.count(format!("fault: {f:?}"));
        }
        let json_answer = |status: u16, body: String| {
            HttpResponse::new(status, body)
                .with_header("Content-Type", "application/json; charset=UTF-8")
        };
        match fault {
            Some(GFault::ServerError500) => {
                return Ok(json_answer(500, error_body(500, "backendError")));
            }
            Some(GFault::Unavailable503) => {
                return Ok(json_answer(503, error_body(503, "backendError"))
                    .with_header("Retry-After", "1"));
            }
            Some(GFault::RateLimited429) => {
                return Ok(json_answer(429, error_body(429, "rateLimitExceeded")));
            }
            Some(GFault::RateLimited403) => {
                return Ok(json_answer(403, error_body(403, "rateLimitExceeded")));
            }
            Some(GFault::Expired401) => self.server.rotate_token(),
            Some(GFault::TransportBeforeApply) => {
                return Err(Error::new(ErrorKind::Transport, "sim: connection refused"));
            }
            Some(GFault::TokenForgotten) => self.server.forget_tokens(),
            Some(GFault::False404) => {
                return Ok(json_answer(404, error_body(404, "notFound")));
            }
            Some(GFault::LoginPage) => {
                return Ok(HttpResponse::new(200, LOGIN_PAGE)
                    .with_header("Content-Type", "text/html; charset=utf-8"));
            }
            Some(GFault::PortalRedirect) => {
                let path = request.url.trim_start_matches(API_BASE);
                return Ok(HttpResponse::new(302, "").with_header(
                    "Location",
                    &format!("https://portal.sim.example/login?continue={path}"),
                ));
            }
            _ => {}
        }
        let bearer = format!("Bearer {}", self.server.token);
        if request.header("Authorization") != Some(bearer.as_str()) {
            return Ok(json_answer(401, error_body(401, "authError")));
        }
        let asked_page = match &req {
            Req::List { page_token, .. } => page_token.clone(),
            _ => None,
        };
        if asked_page.is_some() && self.server.moving_pages {
            self.count("a page of a moving listing");
        }
        let answer: GAnswer = self.server.answer(req);
        if let Some(id) = &answer.applied {
            self.touched.insert(id.clone());
        }
        let mut body = answer.body;
        match fault {
            Some(GFault::TransportAfterApply) => {
                return Err(Error::new(ErrorKind::Transport, "sim: connection reset"));
            }
            Some(GFault::Truncated) if answer.status == 200 => {
                let mut cut = body.len() / 2;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
            }
            Some(GFault::Duplicated) if answer.status == 200 => {
                if let Ok(mut v) = serde_json::from_str::<Value>(&body)
                    && let Some(items) = v.get_mut("items").and_then(Value::as_array_mut)
                    && let Some(first) = items.first().cloned()
                {
                    items.push(first);
                    body = v.to_string();
                }
            }
            Some(GFault::EtagDropped) if answer.status == 200 => {
                if let Ok(mut v) = serde_json::from_str::<Value>(&body)
                    && let Some(first) = v
                        .get_mut("items")
                        .and_then(Value::as_array_mut)
                        .and_then(|items| items.first_mut())
                        .and_then(Value::as_object_mut)
                {
                    first.remove("etag");
                    body = v.to_string();
                }
            }
            Some(GFault::PageTokenLost) if answer.status == 200 => {
                if let Ok(mut v) = serde_json::from_str::<Value>(&body)
                    && let Some(page) = v.as_object_mut()
                {
                    page.remove("nextPageToken");
                    page.remove("nextSyncToken");
                    body = v.to_string();
                }
            }
            Some(GFault::RepeatedPageToken) if answer.status == 200 => {
                body = json!({"kind": "calendar#events", "items": [], "nextPageToken": asked_page})
                    .to_string();
            }
            _ => {}
        }
        if self.verbose {
            eprintln!(
                "    {:?} {} -> {} ({} B){}",
                request.method,
                request.url.trim_start_matches(API_BASE),
                answer.status,
                body.len(),
                fault.map(|f| format!(" [{f:?}]")).unwrap_or_default()
            );
        }
        let mut response = HttpResponse::new(answer.status, body);
        if answer.status != 204 {
            response = response.with_header("Content-Type", "application/json; charset=UTF-8");
        }
        Ok(response)
    }
}

/// What the server reads in a request.
fn parse(request: &HttpRequest) -> Req {
    let Ok(url) = url::Url::parse(&request.url) else {
        return Req::Other;
    };
    let prefix = format!(
        "/calendar/v3/calendars/{}/events",
        davkit::href::encode_segment(CALENDAR)
    );
    let path = url.path();
    let Some(rest) = path.strip_prefix(prefix.as_str()) else {
        return Req::Other;
    };
    let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
    let body = || {
        request
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .unwrap_or(Value::Null)
    };
    let if_match = request.header("If-Match").map(str::to_owned);
    let id = rest.strip_prefix('/').map(davkit::href::percent_decode);
    match (&request.method, id) {
        (Method::Get, None) => Req::List {
            sync_token: query.get("syncToken").cloned(),
            page_token: query.get("pageToken").cloned(),
            ical_uid: query.get("iCalUID").cloned(),
            max: query
                .get("maxResults")
                .and_then(|m| m.parse().ok())
                .unwrap_or(250),
        },
        (Method::Get, Some(id)) => Req::Get(id),
        (Method::Post, None) => Req::Insert(body()),
        (Method::Patch, Some(id)) => Req::Patch {
            id,
            if_match,
            body: body(),
        },
        (Method::Delete, Some(id)) => Req::Delete { id, if_match },
        _ => Req::Other,
    }
}

/// The transport davkit talks to.
#[derive(Clone, Debug)]
pub struct GTransport(pub Rc<RefCell<GWorld>>);

impl Transport for GTransport {
    fn send(&self, request: HttpRequest) -> impl Future<Output = davkit::Result<HttpResponse>> {
        ready(self.0.borrow_mut().handle(request))
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        let mut w = self.0.borrow_mut();
        w.count("retry sleeps");
        if w.verbose {
            eprintln!("    (sleep {ms} ms)");
        }
        ready(true)
    }
}

/// The token provider: the token it has, the server's current one on refresh.
#[derive(Clone, Debug)]
pub struct GTokens(pub Rc<RefCell<GWorld>>);

impl TokenProvider for GTokens {
    fn token(&self, force_refresh: bool) -> impl Future<Output = davkit::Result<String>> {
        let mut w = self.0.borrow_mut();
        if force_refresh {
            w.client_token = w.server.token.clone();
        }
        ready(Ok(w.client_token.clone()))
    }
}

/// One mirrored object: its ETag and the JSON the sync gave.
#[derive(Clone, Debug)]
struct Held {
    etag: Option<String>,
    json: Value,
}

/// The app: a mirror of the calendar and the sync state stored with it.
struct GApp {
    world: Rc<RefCell<GWorld>>,
    client: DavClient<GTransport, GTokens>,
    rng: Rng,
    query: EventsQuery,
    state: SyncState,
    mirror: BTreeMap<String, Held>,
    crash_per_mille: u32,
    inserts: u64,
    /// The harness's own test: the app drops the first change of every sync it stores.
    lossy: bool,
}

/// The event id of an event URL.
/// An exception of a series as the sync joined it (`davkitExceptions`).
#[derive(Clone, Debug)]
struct Exception {
    id: String,
    etag: String,
    cancelled: bool,
}

fn exceptions_of(json: &Value) -> Vec<Exception> {
    let text = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    json.get("davkitExceptions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|x| Exception {
                    id: text(x, "id"),
                    etag: text(x, "etag"),
                    cancelled: text(x, "status") == "cancelled",
                })
                .collect()
        })
        .unwrap_or_default()
}

fn id_of(url: &str) -> String {
    davkit::href::percent_decode(url.rsplit('/').next().unwrap_or_default())
}

impl GApp {
    fn count(&self, what: impl Into<String>) {
        self.world.borrow_mut().count(what);
    }

    fn begin(&self, label: &str) -> BTreeSet<String> {
        let mut w = self.world.borrow_mut();
        if w.verbose {
            eprintln!("  app: {label}");
        }
        w.in_op = true;
        w.touched.clear();
        w.server
            .events
            .keys()
            .filter(|k| w.server.live(k))
            .cloned()
            .collect()
    }

    fn end(&self) -> Result<(), Violation> {
        let mut w = self.world.borrow_mut();
        w.in_op = false;
        match w.violation.take() {
            Some(v) => Err(v),
            None => Ok(()),
        }
    }

    /// One sync; `Ok(true)` when it succeeded with nothing to deliver.
    fn sync(&mut self) -> Result<bool, Violation> {
        let live_before = self.begin("sync");
        let run = block_on(
            self.client
                .gcal_sync(CALENDAR, self.query.clone(), self.state.clone()),
        );
        self.end()?;
        let result = match run {
            Ok(r) => r,
            Err(e) => {
                self.count(format!("sync failed: {:?}", e.kind()));
                return Ok(false);
            }
        };
        self.count("sync ok");
        if result.token_was_reset {
            self.count("sync: token reset (full resync)");
        }
        if !result.problems.is_empty() {
            self.count("sync: with problems");
        }
        {
            let w = self.world.borrow();
            for change in &result.changes {
                if let Change::Deleted { url } = change {
                    let id = id_of(url);
                    if live_before.contains(&id) && w.server.live(&id) && !w.touched.contains(&id) {
                        return fail(
                            1,
                            format!(
                                "the sync reported {id} deleted; it was live when the sync \
                                 started and when it ended, and nothing changed it"
                            ),
                        );
                    }
                }
            }
        }
        let quiet = result.changes.is_empty() && result.problems.is_empty();
        if self.rng.chance(self.crash_per_mille) {
            // The app dies before storing what it received: mirror and state stay as they were.
            self.count("app crashed before storing a sync");
            if self.world.borrow().verbose {
                eprintln!("  app: crashed before storing the sync's result");
            }
            return Ok(false);
        }
        let mut w = self.world.borrow_mut();
        let skip = usize::from(self.lossy);
        for change in result.changes.into_iter().skip(skip) {
            match change {
                Change::Added(o) | Change::Changed(o) => {
                    let json: Value = o
                        .json
                        .as_deref()
                        .and_then(|j| serde_json::from_str(j).ok())
                        .unwrap_or(Value::Null);
                    let id = id_of(&o.url);
                    if let Some(etag) = json.get("etag").and_then(Value::as_str) {
                        w.given.entry(id).or_default().insert(etag.to_owned());
                    }
                    for x in exceptions_of(&json) {
                        w.given.entry(x.id).or_default().insert(x.etag);
                    }
                    self.mirror.insert(o.url, Held { etag: o.etag, json });
                }
                Change::Deleted { url } => {
                    self.mirror.remove(&url);
                }
            }
        }
        self.state = result.state;
        Ok(quiet)
    }

    /// Patches or deletes an event of the mirror with its ETag as `If-Match`; a third of the
    /// time, when the event is a series with exceptions, one of those instead: a moved
    /// instance edited or cancelled, a cancelled one confirmed again.
    fn write(&mut self) -> Result<(), Violation> {
        let urls: Vec<String> = self.mirror.keys().cloned().collect();
        let Some(url) = self.rng.pick(&urls).cloned() else {
            return Ok(());
        };
        let held = self.mirror[&url].clone();
        let exceptions = exceptions_of(&held.json);
        let instance = if !exceptions.is_empty() && self.rng.chance(333) {
            Some(self.rng.one(&exceptions).clone())
        } else {
            None
        };
        let (id, etag, cancelled) = match &instance {
            Some(x) => (x.id.clone(), x.etag.clone(), x.cancelled),
            None => (
                id_of(&url),
                held.json
                    .get("etag")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                false,
            ),
        };
        let delete = !cancelled && self.rng.chance(300);
        let what = match (&instance, delete) {
            (None, true) => "delete",
            (None, false) => "patch",
            (Some(_), true) => "instance cancel",
            (Some(_), false) if cancelled => "instance restore",
            (Some(_), false) => "instance patch",
        };
        self.begin(what);
        let n = self.world.borrow().server.seq;
        let run = if delete {
            block_on(self.client.gcal_delete(CALENDAR, &id, &etag)).map(|()| None)
        } else {
            let mut patch = json!({"summary": format!("app edit {n}")});
            if cancelled {
                patch["status"] = json!("confirmed");
            }
            block_on(self.client.gcal_patch(CALENDAR, &id, &patch, &etag)).map(Some)
        };
        self.end()?;
        match run {
            Ok(w) => {
                self.count(format!("{what} ok"));
                if let Some(w) = w
                    && let Some(e) = w.etag
                {
                    self.world
                        .borrow_mut()
                        .given
                        .entry(id)
                        .or_default()
                        .insert(e);
                }
                if self.rng.chance(500) {
                    self.state.mark_pending(&url);
                }
            }
            Err(e) => self.count(format!("{what} failed: {:?}", e.kind())),
        }
        Ok(())
    }

    /// Inserts an event, half the time with an id of the app's own.
    fn insert(&mut self) -> Result<(), Violation> {
        self.inserts += 1;
        let mut event = json!({
            "summary": format!("app insert {}", self.inserts),
            "start": {"dateTime": "2026-03-20T09:00:00Z"},
            "end": {"dateTime": "2026-03-20T10:00:00Z"},
        });
        if self.rng.chance(500) {
            event["id"] = json!(format!("app{}x{}", self.inserts, self.rng.below(1000)));
        }
        self.begin("insert");
        let run = block_on(self.client.gcal_insert(CALENDAR, &event));
        self.end()?;
        match run {
            Ok(w) => {
                self.count("insert ok");
                if self.rng.chance(500) {
                    self.state.mark_pending(&w.url);
                }
            }
            Err(e) => self.count(format!("insert failed: {:?}", e.kind())),
        }
        Ok(())
    }

    /// The faults and the other devices stop; syncing must then converge on the server's
    /// calendar (G2).
    fn quiesce(&mut self) -> Result<(), Violation> {
        {
            let mut w = self.world.borrow_mut();
            w.fault_per_mille = 0;
            w.concurrent_per_mille = 0;
        }
        self.crash_per_mille = 0;
        let mut quiet = false;
        for _ in 0..4 {
            if self.sync()? {
                quiet = true;
                break;
            }
        }
        let w = self.world.borrow();
        let expected = w.server.expected();
        let mut problems = Vec::new();
        if !quiet {
            problems.push("four syncs without faults did not reach a quiet one".to_owned());
        }
        for (id, (etag, exceptions)) in &expected {
            let url = event_url(CALENDAR, id);
            let Some(held) = self.mirror.get(&url) else {
                problems.push(format!("{id} is missing"));
                continue;
            };
            let got_etag = held.json.get("etag").and_then(Value::as_str);
            if got_etag != Some(etag.as_str()) {
                problems.push(format!("{id} at {got_etag:?}, the server at {etag}"));
            }
            let mut got: Vec<(String, String)> = exceptions_of(&held.json)
                .into_iter()
                .map(|x| (x.id, x.etag))
                .collect();
            got.sort();
            if &got != exceptions {
                problems.push(format!(
                    "{id}'s exceptions {got:?}, the server's {exceptions:?}"
                ));
            }
            if held.etag.is_none() {
                problems.push(format!("{id} has no ETag"));
            }
        }
        for url in self.mirror.keys() {
            if !expected.contains_key(&id_of(url)) {
                problems.push(format!("{} is held but not on the server", id_of(url)));
            }
        }
        let held: BTreeSet<&String> = self.mirror.keys().collect();
        let stated: BTreeSet<&String> = self.state.etags.keys().collect();
        if held != stated {
            problems.push("the state's ETags and the mirror name different events".to_owned());
        }
        if !self.state.pending.is_empty() {
            problems.push(format!(
                "{} members still pending",
                self.state.pending.len()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            fail(
                2,
                format!("after the faults stopped: {}", problems.join("; ")),
            )
        }
    }
}

/// What the histories did, summed.
#[derive(Debug, Default)]
pub struct GStats {
    histories: u64,
    steps: u64,
    requests: u64,
    counts: BTreeMap<String, u64>,
}

impl GStats {
    fn merge(&mut self, other: &GStats) {
        self.histories += other.histories;
        self.steps += other.steps;
        self.requests += other.requests;
        for (k, v) in &other.counts {
            *self.counts.entry(k.clone()).or_default() += v;
        }
    }

    fn report(&self) -> String {
        let mut text = format!(
            "{} histories, {} steps, {} requests\n",
            self.histories, self.steps, self.requests
        );
        for (k, v) in &self.counts {
            text.push_str(&format!("  {v:>9}  {k}\n"));
        }
        text
    }
}

/// One Calendar API history.
fn run_gcal_history(seed: u64, verbose: bool, lossy: bool) -> (GStats, Option<Violation>) {
    let mut rng = Rng::new(seed ^ 0x6CA1_E7DA);
    let p = params(&mut rng);
    if verbose {
        eprintln!("gcal seed {seed}: {p:?}");
    }
    let mut server = GServer::new(p.single_events, p.moving_pages);
    for n in 0..p.events {
        let id = server.fresh_id("s");
        server.add(&id, &format!("seeded {n}"), false);
    }
    for n in 0..p.series {
        let id = server.fresh_id("r");
        server.add(&id, &format!("seeded series {n}"), true);
    }
    let client_token = server.token.clone();
    let world = Rc::new(RefCell::new(GWorld {
        server,
        faults: rng.fork(1),
        fault_per_mille: p.fault_per_mille,
        devices: rng.fork(2),
        concurrent_per_mille: p.concurrent_per_mille,
        client_token,
        in_op: false,
        touched: BTreeSet::new(),
        verbose,
        requests: 0,
        counts: BTreeMap::new(),
        violation: None,
        given: BTreeMap::new(),
        false_404: BTreeSet::new(),
    }));
    let mut config = Config::new(API_BASE, Credentials::None);
    config.max_parallel_requests = p.parallel;
    config.retry = RetryPolicy {
        max_retries: p.retries,
        initial_delay_ms: 100,
        max_delay_ms: 2_000,
    };
    let client =
        DavClient::with_token_provider(config, GTransport(world.clone()), GTokens(world.clone()))
            .expect("the simulation's configuration is valid");
    let query = EventsQuery {
        single_events: p.single_events.then_some(true),
        max_results: p.page,
        ..EventsQuery::default()
    };
    let mut app = GApp {
        world: world.clone(),
        client,
        rng: rng.fork(3),
        query,
        state: SyncState::new(""),
        mirror: BTreeMap::new(),
        crash_per_mille: p.crash_per_mille,
        inserts: 0,
        lossy,
    };

    let mut steps = 0;
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<(), Violation> {
        for step in 0..p.steps {
            steps += 1;
            if verbose {
                eprintln!(" step {step}");
            }
            if rng.chance(p.between_per_mille) {
                let mut w = world.borrow_mut();
                for _ in 0..rng.range(1, 3) {
                    w.device_change();
                }
            }
            match rng.below(100) {
                0..=49 => {
                    app.sync()?;
                }
                50..=69 => app.write()?,
                70..=79 => app.insert()?,
                80..=89 => {
                    let urls: Vec<String> = app.mirror.keys().cloned().collect();
                    if let Some(url) = rng.pick(&urls) {
                        app.state.mark_pending(url);
                        app.count("app marks an event pending");
                    }
                }
                _ => {
                    if verbose {
                        eprintln!("  server forgets its sync tokens");
                    }
                    world.borrow_mut().server.forget_tokens();
                    app.count("server forgets its sync tokens");
                }
            }
        }
        app.quiesce()
    }));
    let violation = crate::invariants::outcome(run);
    let w = world.borrow();
    let stats = GStats {
        histories: 1,
        steps,
        requests: w.requests,
        counts: w.counts.clone(),
    };
    (stats, violation)
}

/// The Calendar API sync and writes under faults, other devices and crashes:
/// `SIM_GCAL_SEEDS=N` runs N seeds, `SIM_GCAL_SEED=S` replays seed S verbosely.
#[test]
fn gcal() {
    let run = crate::seeds::Named {
        name: "gcal",
        seed_var: "SIM_GCAL_SEED",
        seeds_var: "SIM_GCAL_SEEDS",
        default_seeds: DEFAULT_GCAL_SEEDS,
        prefix: "G",
        // the histories reach what they are meant to
        must_happen: &[
            "fault: Truncated",
            "fault: Duplicated",
            "fault: RepeatedPageToken",
            "fault: PageTokenLost",
            "fault: EtagDropped",
            "fault: TokenForgotten",
            "fault: Expired401",
            "fault: TransportAfterApply",
            "sync: token reset (full resync)",
            "device moves an instance of",
            "device cancels an instance of",
            "device shares an instance alone",
            "app crashed before storing a sync",
            "patch failed: PreconditionFailed",
            "instance patch ok",
            "instance cancel ok",
            "instance restore ok",
            "a page of a moving listing",
        ],
    };
    crate::seeds::drive(
        &run,
        |seed, verbose| run_gcal_history(seed, verbose, false),
        GStats::merge,
        GStats::report,
        |s| &s.counts,
    );
}

/// The checks are not vacuous: an app that drops one change of each sync it stores is caught
/// by G2 in most histories.
#[test]
fn a_lossy_gcal_app_is_caught() {
    let seeds = 200;
    let caught = (0..seeds)
        .filter(|seed| {
            let (_, violation) = run_gcal_history(*seed, false, true);
            violation.is_some_and(|v| v.invariant == 2)
        })
        .count();
    assert!(
        caught >= seeds as usize / 2,
        "only {caught} of {seeds} histories with an app that drops changes broke G2"
    );
}
