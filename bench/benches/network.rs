//! Network benchmark: davkit's native client (`DavClient<ReqwestTransport>`) against libdav on
//! live Radicale, Xandikos and DAViCal servers, on loopback and through a shaped link.
//!
//! Run it with `scripts/bench-network.sh`, which starts the servers (tests/servers/servers.py),
//! seeds 1,000 events (bench/seed_events.py) and runs
//! `cargo bench -p davkit-bench --bench network`. By hand, with servers already seeded:
//!
//! ```sh
//! python3 tests/servers/servers.py run -- bash -c \
//!   'python3 bench/seed_events.py ${DAVKIT_XANDIKOS_URL}user/calendars/bench/ && \
//!    cargo bench -p davkit-bench --bench network'
//! ```
//!
//! Steps, each timed by the wall clock and counted in HTTP requests, for both clients:
//!
//! - discover: from the server root to the calendars with their names (davkit:
//!   `discover(Service::CalDav)`; libdav as its `find_calendars` example: bootstrap (which
//!   checks the given URL with OPTIONS), `find_current_user_principal`, `FindCalendarHomeSet`,
//!   `FindCalendars`);
//! - full fetch: every event with its data (davkit: `calendar_query` for VEVENT; libdav:
//!   `GetCalendarResources` without hrefs, a calendar-query);
//! - initial sync: from nothing to every event with data and a token (davkit:
//!   `sync(SyncState::new(..))`; libdav: `SyncCollection` without a token, then
//!   `GetCalendarResources::with_hrefs` for what it listed, as its docs show);
//! - incremental sync: after 20 events were changed by PUTs straight to the server (not
//!   through the shaper, not counted), from the state/token of the initial sync.
//!
//! Two more rows time davkit alone: the initial sync as a `sync_batch(500)` loop (the CLI's
//! default batch) and with `multiget_batch_size` raised from 100 to the member count.
//!
//! Each run makes new clients (so discovery pays for its connections) and keeps them for its
//! steps. One warm-up run, then the median of 3 (`DAVKIT_BENCH_RUNS`); the order of the two
//! clients alternates between runs, and every step starts after a 100 ms pause
//! (`DAVKIT_BENCH_SETTLE_MS`), because both servers are Python and a large answer leaves work
//! (freeing, collection) that would otherwise land on the next step, whichever client runs it. Request counts come from a counting wrapper around each
//! client's HTTP stack: a `Transport` around davkit's `ReqwestTransport`, a tower service around
//! libdav's hyper client. The shaped pass puts one `tests/servers/shaper.py` (30 ms round trip,
//! 50 Mbit/s down, 10 Mbit/s up, one round trip per new connection) in front of each server for
//! each client and prints the bytes each client moved through it.
//!
//! Environment: `DAVKIT_RADICALE_URL`/`_USER`/`_PASSWORD`, `DAVKIT_XANDIKOS_URL` and
//! `DAVKIT_DAVICAL_URL`/`_USER3`/`_PASSWORD3` (carol's `bench` calendar: in alice's, DAViCal
//! would schedule the events, which name alice as organizer) from
//! servers.py (a server whose URL is missing is skipped); `DAVKIT_BENCH_LINK` = `loopback`,
//! `shaped` or `both` (default); `DAVKIT_BENCH_EVENTS` (1000: what the collection holds),
//! `DAVKIT_BENCH_CHANGES` (20), `DAVKIT_BENCH_RUNS` (3), `DAVKIT_BENCH_WARMUP` (1),
//! `DAVKIT_BENCH_SETTLE_MS` (100), `DAVKIT_BENCH_SHAPER_ARGS` (extra
//! arguments for shaper.py), `DAVKIT_BENCH_LOG=1` (one stderr line per request: step, method,
//! path, body kind and href count, status, bytes, time; `=body` adds each body's start).
//!
//! Both clients talk HTTP/1.1 over plain TCP. davkit's transport asks for gzip (Radicale gives
//! it); libdav's example client does not. libdav is used as its examples use it, without
//! tower-http's decompression layer.

#![allow(clippy::unwrap_used, clippy::panic)] // a benchmark: a broken setup stops it loudly

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use davkit::{
    CalendarFilter, Change, CollectionKind, Config, Credentials, DavClient, HttpRequest,
    HttpResponse, ReqwestTransport, Service as DavService, SyncState, Transport,
};
use http::Uri;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use libdav::caldav::{FindCalendarHomeSet, FindCalendars, GetCalendarResources};
use libdav::dav::{SyncCollection, WebDavClient};
use libdav::{CalDavClient, HttpClient};
use tower_http::auth::AddAuthorization;
use tower_service::Service;

/// The table's rows. The last two are davkit alone: the same initial sync as an app that
/// uses `sync_batch(500)` (the CLI's default) in a loop, and with one multiget for all members
/// (`multiget_batch_size` = the member count instead of the default 100).
const STEPS: [&str; 6] = [
    "discover",
    "full fetch",
    "initial sync",
    "incremental sync",
    "initial sync, davkit sync_batch(500) loop",
    "initial sync, davkit multiget_batch_size 1000",
];
/// Steps before the events change, and after.
const PHASES: [&[usize]; 2] = [&[0, 1, 2, 4, 5], &[3]];

// ---------------------------------------------------------------------------------------------
// Settings and targets

struct Settings {
    events: usize,
    changes: usize,
    runs: usize,
    warmup: usize,
    settle_ms: u64,
    log: bool,
    shaper_args: Vec<String>,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[derive(Clone)]
struct Target {
    name: &'static str,
    /// The server root as servers.py gives it (ends in `/`).
    url: String,
    user: Option<(String, String)>,
    /// The seeded calendar's path from the origin, e.g. `/alice/bench/` or DAViCal's
    /// `/caldav.php/carol/bench/`.
    collection: String,
}

impl Target {
    fn with_url(&self, url: &str) -> Target {
        Target {
            url: url.to_owned(),
            ..self.clone()
        }
    }

    fn collection_url(&self) -> String {
        format!("{}{}", origin(&self.url), self.collection)
    }
}

/// `http://host:port` of a URL: what precedes its path.
fn origin(url: &str) -> &str {
    let host = url.find("://").map_or(0, |i| i + 3);
    url[host..].find('/').map_or(url, |i| &url[..host + i])
}

fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    if let Ok(url) = std::env::var("DAVKIT_RADICALE_URL") {
        let user = std::env::var("DAVKIT_RADICALE_USER").unwrap_or_else(|_| "alice".into());
        let password = std::env::var("DAVKIT_RADICALE_PASSWORD").unwrap_or_default();
        out.push(Target {
            name: "Radicale",
            url,
            collection: std::env::var("DAVKIT_BENCH_RADICALE_COLLECTION")
                .unwrap_or_else(|_| format!("/{user}/bench/")),
            user: Some((user, password)),
        });
    }
    if let Ok(url) = std::env::var("DAVKIT_XANDIKOS_URL") {
        out.push(Target {
            name: "Xandikos",
            url,
            user: None,
            collection: std::env::var("DAVKIT_BENCH_XANDIKOS_COLLECTION")
                .unwrap_or_else(|_| "/user/calendars/bench/".into()),
        });
    }
    if let Ok(url) = std::env::var("DAVKIT_DAVICAL_URL") {
        // carol's calendar: the events name alice as organizer and bob as attendee, and
        // DAViCal would schedule each of alice's PUTs (an invitation to bob, no ETag).
        let user = std::env::var("DAVKIT_DAVICAL_USER3").unwrap_or_else(|_| "carol".into());
        let password = std::env::var("DAVKIT_DAVICAL_PASSWORD3").unwrap_or_default();
        let root = url[origin(&url).len()..].to_owned(); // `/caldav.php/`
        out.push(Target {
            name: "DAViCal",
            url,
            collection: std::env::var("DAVKIT_BENCH_DAVICAL_COLLECTION")
                .unwrap_or_else(|_| format!("{root}{user}/bench/")),
            user: Some((user, password)),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Request log and counting

static LABEL: Mutex<String> = Mutex::new(String::new());
static LOG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
/// `DAVKIT_BENCH_LOG=body`: the log shows the first 600 characters of each request body.
static BODIES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

fn set_label(label: String) {
    *LABEL.lock().unwrap() = label;
}

/// What a request body is: its root element and how many hrefs it names.
fn body_kind(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut rest = text.as_ref();
    let root = loop {
        let Some(i) = rest.find('<') else { break "" };
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..end];
        break name.rsplit(':').next().unwrap_or(name);
    };
    let hrefs = text.matches("href>").count() / 2;
    let kind = match (root, hrefs) {
        ("", _) if body.is_empty() => String::new(),
        ("", _) => format!("{} B", body.len()),
        (r, 0) => r.to_owned(),
        (r, n) => format!("{r} ({n} hrefs)"),
    };
    if *BODIES.get().unwrap_or(&false) && !body.is_empty() {
        let head: String = text.chars().take(600).collect();
        format!("{kind} [{}]", head.replace('\n', " "))
    } else {
        kind
    }
}

fn log_request(
    method: &str,
    url: &str,
    depth: Option<&str>,
    body: &str,
    outcome: &str,
    started: Instant,
) {
    if !*LOG.get().unwrap_or(&false) {
        return;
    }
    let path = url
        .find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
        .unwrap_or(url);
    let depth = depth.map(|d| format!(" depth={d}")).unwrap_or_default();
    eprintln!(
        "{}: {method} {path}{depth} {body} -> {outcome} in {:.1} ms",
        LABEL.lock().unwrap(),
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// davkit's transport with a request counter (and the request log).
struct Counted<T> {
    inner: T,
    count: Arc<AtomicUsize>,
}

impl<T: Transport> Transport for Counted<T> {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        self.count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let method = request.method.as_str();
        let url = request.url.clone();
        let depth = request.header("Depth").map(str::to_owned);
        let kind = request.body.as_deref().map(body_kind).unwrap_or_default();
        let result = self.inner.send(request).await;
        let outcome = match &result {
            Ok(r) => format!("{} {} B", r.status, r.body.len()),
            Err(e) => format!("error {e}"),
        };
        log_request(method, &url, depth.as_deref(), &kind, &outcome, started);
        result
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        self.inner.sleep(ms)
    }
}

/// A tower service around libdav's HTTP client with a request counter (and the request log).
#[derive(Clone)]
struct CountedService<S> {
    inner: S,
    count: Arc<AtomicUsize>,
}

impl<S, B> Service<http::Request<String>> for CountedService<S>
where
    S: Service<http::Request<String>, Response = http::Response<B>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        self.count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let method = request.method().to_string();
        let url = request.uri().to_string();
        let depth = request
            .headers()
            .get("Depth")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let kind = body_kind(request.body().as_bytes());
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let outcome = match &result {
                Ok(r) => {
                    let length = r
                        .headers()
                        .get("content-length")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("?");
                    format!("{} {length} B on the wire", r.status().as_u16())
                }
                Err(e) => format!("error {e}"),
            };
            log_request(&method, &url, depth.as_deref(), &kind, &outcome, started);
            result
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements

/// One step of one run: wall time and requests, or why it failed.
type Sample = Result<(f64, usize), String>;

/// The error of a step a client does not have (the davkit-only rows).
const NOT_APPLICABLE: &str = "n/a";

async fn measure<F, T>(count: &AtomicUsize, f: F) -> (Sample, Option<T>)
where
    F: Future<Output = Result<T, String>>,
{
    let before = count.load(Ordering::Relaxed);
    let started = Instant::now();
    let result = f.await;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let requests = count.load(Ordering::Relaxed) - before;
    match result {
        Ok(value) => (Ok((ms, requests)), Some(value)),
        Err(e) => (Err(e), None),
    }
}

/// How many of the resources libdav fetched came with their data.
fn with_data(resources: &[libdav::FetchedResource]) -> usize {
    resources.iter().filter(|r| r.content.is_ok()).count()
}

fn expect(what: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {want}"))
    }
}

// ---------------------------------------------------------------------------------------------
// davkit

struct Davkit {
    client: DavClient<Counted<ReqwestTransport>>,
    /// The same transport (one connection pool), multiget batches as large as the collection.
    wide: DavClient<Counted<ReqwestTransport>>,
    count: Arc<AtomicUsize>,
    state: Option<SyncState>,
}

impl Davkit {
    fn new(target: &Target, s: &Settings) -> Davkit {
        let credentials = match &target.user {
            Some((u, p)) => Credentials::basic(u.clone(), p.clone()),
            None => Credentials::None,
        };
        let config = Config::new(target.url.clone(), credentials);
        let transport = ReqwestTransport::new()
            .unwrap()
            .with_max_body_bytes(config.limits.max_body_bytes);
        let count = Arc::new(AtomicUsize::new(0));
        let counted = |inner: ReqwestTransport| Counted {
            inner,
            count: count.clone(),
        };
        let mut wide = config.clone();
        wide.multiget_batch_size = s.events.max(1);
        Davkit {
            wide: DavClient::new(wide, counted(transport.clone())).unwrap(),
            client: DavClient::new(config, counted(transport)).unwrap(),
            count,
            state: None,
        }
    }

    async fn step(&mut self, step: usize, target: &Target, s: &Settings) -> Sample {
        let collection = target.collection_url();
        let client = &self.client;
        match step {
            0 => {
                let f = async {
                    let found = client
                        .discover(DavService::CalDav)
                        .await
                        .map_err(|e| e.to_string())?;
                    let want = target.collection.trim_end_matches('/');
                    if found
                        .calendars()
                        .any(|c| c.url.trim_end_matches('/').ends_with(want))
                    {
                        Ok(())
                    } else {
                        Err(format!("{want} not among {:?}", found.collections))
                    }
                };
                measure(&self.count, f).await.0
            }
            1 => {
                let f = async {
                    let filter = CalendarFilter {
                        component: "VEVENT".into(),
                        time_range: None,
                    };
                    let objects = client
                        .calendar_query(&collection, filter)
                        .await
                        .map_err(|e| e.to_string())?;
                    let with_data = objects.iter().filter(|o| o.data.is_some()).count();
                    expect("events with data", with_data, s.events)
                };
                measure(&self.count, f).await.0
            }
            2 => {
                let f = async {
                    let result = client
                        .sync(SyncState::new(&collection), CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    expect("changes", result.changes.len(), s.events)?;
                    let added = result.changes.iter().filter(|c| has_data(c)).count();
                    expect("changes with data", added, s.events)?;
                    Ok(result.state)
                };
                let (sample, state) = measure(&self.count, f).await;
                self.state = state;
                sample
            }
            4 => {
                let f = async {
                    let mut state = SyncState::new(&collection);
                    let (mut changes, mut with_data) = (0, 0);
                    loop {
                        let result = client
                            .sync_batch(state, CollectionKind::Calendar, 500)
                            .await
                            .map_err(|e| e.to_string())?;
                        changes += result.changes.len();
                        with_data += result.changes.iter().filter(|c| has_data(c)).count();
                        state = result.state;
                        if !result.more {
                            break;
                        }
                    }
                    expect("changes", changes, s.events)?;
                    expect("changes with data", with_data, s.events)
                };
                measure(&self.count, f).await.0
            }
            5 => {
                let f = async {
                    let result = self
                        .wide
                        .sync(SyncState::new(&collection), CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    let added = result.changes.iter().filter(|c| has_data(c)).count();
                    expect("changes with data", added, s.events)
                };
                measure(&self.count, f).await.0
            }
            _ => {
                let Some(state) = self.state.take() else {
                    return Err("no state from the initial sync".into());
                };
                let f = async {
                    let result = client
                        .sync(state, CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    let changed = result.changes.iter().filter(|c| has_data(c)).count();
                    expect("changed with data", changed, s.changes)?;
                    expect("changes", result.changes.len(), s.changes)
                };
                measure(&self.count, f).await.0
            }
        }
    }
}

fn has_data(change: &Change) -> bool {
    match change {
        Change::Added(o) | Change::Changed(o) => o.data.is_some(),
        Change::Deleted { .. } => false,
    }
}

// ---------------------------------------------------------------------------------------------
// libdav

struct Libdav<C: HttpClient> {
    webdav: Option<WebDavClient<C>>,
    caldav: Option<CalDavClient<C>>,
    count: Arc<AtomicUsize>,
    token: Option<String>,
}

impl<C: HttpClient> Libdav<C> {
    fn new(target: &Target, http: C, count: Arc<AtomicUsize>) -> Libdav<C> {
        let base: Uri = target.url.parse().unwrap();
        Libdav {
            webdav: Some(WebDavClient::new(base, http)),
            caldav: None,
            count,
            token: None,
        }
    }

    async fn step(&mut self, step: usize, target: &Target, s: &Settings) -> Sample {
        let path = target.collection.as_str();
        match step {
            0 => {
                let Some(webdav) = self.webdav.take() else {
                    return Err("no client".into());
                };
                let f = async {
                    // As examples/find_calendars.rs does.
                    let caldav = CalDavClient::bootstrap_via_service_discovery(webdav)
                        .await
                        .map_err(|e| format!("bootstrap: {e}"))?;
                    let principal = caldav
                        .find_current_user_principal()
                        .await
                        .map_err(|e| format!("principal: {e}"))?;
                    let urls = match principal {
                        Some(principal) => {
                            let home_sets = caldav
                                .request(FindCalendarHomeSet::new(principal.path()))
                                .await
                                .map_err(|e| format!("home set: {e}"))?
                                .home_sets;
                            if home_sets.is_empty() {
                                vec![caldav.base_url().clone()]
                            } else {
                                home_sets
                            }
                        }
                        None => vec![caldav.base_url().clone()],
                    };
                    let mut found = Vec::new();
                    for url in urls {
                        let calendars = caldav
                            .request(FindCalendars::new(url.path()))
                            .await
                            .map_err(|e| format!("calendars: {e}"))?
                            .calendars;
                        found.extend(calendars.into_iter().map(|c| c.href));
                    }
                    if found.iter().any(|h| h == path) {
                        Ok(caldav)
                    } else {
                        Err(format!("{path} not among {found:?}"))
                    }
                };
                let (sample, caldav) = measure(&self.count, f).await;
                self.caldav = caldav;
                sample
            }
            1 => {
                let Some(caldav) = &self.caldav else {
                    return Err("no client (discovery failed)".into());
                };
                let f = async {
                    let fetched = caldav
                        .request(GetCalendarResources::new(path))
                        .await
                        .map_err(|e| format!("calendar-query: {e}"))?;
                    let ok = with_data(&fetched.resources);
                    expect("events with data", ok, s.events)
                };
                measure(&self.count, f).await.0
            }
            2 => {
                let Some(caldav) = &self.caldav else {
                    return Err("no client (discovery failed)".into());
                };
                let f = async {
                    let listed = caldav
                        .request(SyncCollection::new(path))
                        .await
                        .map_err(|e| format!("sync-collection: {e}"))?;
                    let hrefs: Vec<&str> = listed.changed.iter().map(|r| r.href.as_str()).collect();
                    let fetched = caldav
                        .request(GetCalendarResources::new(path).with_hrefs(hrefs))
                        .await
                        .map_err(|e| format!("multiget: {e}"))?;
                    let ok = with_data(&fetched.resources);
                    expect("events with data", ok, s.events)?;
                    Ok(listed.new_sync_token)
                };
                let (sample, token) = measure(&self.count, f).await;
                self.token = token;
                sample
            }
            4 | 5 => Err(NOT_APPLICABLE.into()),
            _ => {
                let (Some(caldav), Some(token)) = (&self.caldav, self.token.take()) else {
                    return Err("no client or token from the initial sync".into());
                };
                let f = async {
                    let listed = caldav
                        .request(SyncCollection::new(path).with_sync_token(&token))
                        .await
                        .map_err(|e| format!("sync-collection: {e}"))?;
                    let hrefs: Vec<&str> = listed.changed.iter().map(|r| r.href.as_str()).collect();
                    expect("changed", hrefs.len() + listed.deleted.len(), s.changes)?;
                    if hrefs.is_empty() {
                        return Ok(());
                    }
                    let fetched = caldav
                        .request(GetCalendarResources::new(path).with_hrefs(hrefs))
                        .await
                        .map_err(|e| format!("multiget: {e}"))?;
                    let ok = with_data(&fetched.resources);
                    expect("changed with data", ok, s.changes)
                };
                measure(&self.count, f).await.0
            }
        }
    }
}

type Plain = CountedService<Client<HttpConnector, String>>;

fn hyper_client() -> Client<HttpConnector, String> {
    Client::builder(TokioExecutor::new()).build_http()
}

// ---------------------------------------------------------------------------------------------
// Changing events on the server (not measured)

/// The same text as bench/seed_events.py's `event(i, revision)`.
fn event(i: usize, revision: u128) -> String {
    let day = i % 28 + 1;
    let hour = 8 + i % 10;
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//network bench//EN\r\n\
         BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
         BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
         DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
         BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
         DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
         END:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:bench-event-{i:05}\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART;TZID=Europe/Berlin:202603{day:02}T{hour:02}0000\r\nDURATION:PT1H\r\n\
         SUMMARY:Design review #{i} (revision {revision})\r\n\
         DESCRIPTION:Agenda: roadmap\\, budget\\, hiring. Bring numbers and the draft\r\n  \
         slides from last week.\r\n\
         LOCATION:Room 4.{}\r\n\
         ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n\
         ORGANIZER;CN=Alice:mailto:alice@example.com\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
        i % 9
    )
}

fn base64(input: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// PUTs a new revision of `changes` events spread over the collection, straight to the server.
async fn change_events(target: &Target, s: &Settings) -> Result<(), String> {
    let client = hyper_client();
    let revision = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let stride = (s.events / s.changes.max(1)).max(1);
    for k in 0..s.changes {
        let i = k * stride;
        let url = format!("{}bench-event-{i:05}.ics", target.collection_url());
        let mut request =
            http::Request::put(url.as_str()).header("Content-Type", "text/calendar; charset=utf-8");
        if let Some((u, p)) = &target.user {
            request = request.header(
                "Authorization",
                format!("Basic {}", base64(format!("{u}:{p}").as_bytes())),
            );
        }
        let request = request
            .body(event(i, revision))
            .map_err(|e| e.to_string())?;
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if !status.is_success() {
            return Err(format!("PUT {url}: {status}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The shaper

struct Shaper {
    child: Child,
    url: String,
}

impl Shaper {
    fn start(target: &str, extra: &[String]) -> Shaper {
        let script = std::env::var("DAVKIT_BENCH_SHAPER").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/servers/shaper.py").to_owned()
        });
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--target")
            .arg(target)
            .arg("--exit-on-stdin-eof")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("shaper printed {line:?}"))
            .to_owned();
        Shaper { child, url }
    }

    /// Stops the shaper; returns its totals line ("N connections, X bytes up, Y bytes down").
    fn stop(mut self) -> String {
        drop(self.child.stdin.take());
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        let totals = err
            .lines()
            .find(|l| l.starts_with("shaper: ") && l.contains("connections"));
        match totals {
            Some(line) => line.trim_start_matches("shaper: ").to_owned(),
            None => err.trim().to_owned(),
        }
    }
}

/// "12 connections, 3456 bytes up, 789012 bytes down" per run, in kB.
fn traffic(totals: &str, runs: usize) -> String {
    let numbers: Vec<f64> = totals
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers.as_slice() {
        [conns, up, down] => {
            let r = runs as f64;
            format!(
                "{:.0} kB down, {:.0} kB up, {:.0} connections per run",
                down / r / 1e3,
                up / r / 1e3,
                conns / r
            )
        }
        _ => format!("shaper said {totals:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Running and printing

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Davkit,
    Libdav,
}

struct Results {
    /// [client][step] -> samples
    samples: [[Vec<Sample>; STEPS.len()]; 2],
}

impl Results {
    fn new() -> Results {
        Results {
            samples: Default::default(),
        }
    }
}

/// Where each client connects: the server itself, or each through its own shaper (so the
/// shaper's byte totals are per client; `extra` carries davkit's two extra rows).
struct Links {
    davkit: Target,
    libdav: Target,
    extra: Target,
}

async fn run_server<C, F>(
    direct: &Target,
    links: &Links,
    link: &str,
    make_http: F,
    s: &Settings,
) -> Results
where
    C: HttpClient,
    F: Fn(Arc<AtomicUsize>) -> C,
{
    let mut results = Results::new();
    for run in 0..s.warmup + s.runs {
        let keep = run >= s.warmup;
        let order = if run % 2 == 0 {
            [Who::Davkit, Who::Libdav]
        } else {
            [Who::Libdav, Who::Davkit]
        };
        let mut davkit = Davkit::new(&links.davkit, s);
        let mut extra = Davkit::new(&links.extra, s);
        let libdav_count = Arc::new(AtomicUsize::new(0));
        let mut libdav = Libdav::new(&links.libdav, make_http(libdav_count.clone()), libdav_count);
        let tag = if keep {
            format!("run {}", run - s.warmup + 1)
        } else {
            "warm-up".to_owned()
        };
        for (phase, steps) in PHASES.iter().enumerate() {
            if phase == 1
                && let Err(e) = change_events(direct, s).await
            {
                eprintln!("network: {}: changing events failed: {e}", direct.name);
            }
            for who in order {
                for &step in *steps {
                    // Let the server finish what the last step left it (Xandikos and Radicale
                    // are Python: a large answer is followed by collection work) off the clock.
                    tokio::time::sleep(std::time::Duration::from_millis(s.settle_ms)).await;
                    let name = if who == Who::Davkit {
                        "davkit"
                    } else {
                        "libdav"
                    };
                    set_label(format!(
                        "{} {link} {tag} {name} {}",
                        direct.name, STEPS[step]
                    ));
                    let sample = match who {
                        Who::Davkit if step >= 4 => {
                            if step == 4 {
                                // Off the clock: the extra client's connections, as the main
                                // client's initial sync has them from discovery.
                                set_label(format!(
                                    "{} {link} {tag} davkit extra warm",
                                    direct.name
                                ));
                                let _ = extra.step(0, &links.extra, s).await;
                                tokio::time::sleep(std::time::Duration::from_millis(s.settle_ms))
                                    .await;
                                set_label(format!(
                                    "{} {link} {tag} {name} {}",
                                    direct.name, STEPS[step]
                                ));
                            }
                            extra.step(step, &links.extra, s).await
                        }
                        Who::Davkit => davkit.step(step, &links.davkit, s).await,
                        Who::Libdav => libdav.step(step, &links.libdav, s).await,
                    };
                    if let Err(e) = &sample
                        && e != NOT_APPLICABLE
                    {
                        eprintln!(
                            "network: {} {link} {tag}: {name} {}: {e}",
                            direct.name, STEPS[step]
                        );
                    }
                    if keep {
                        results.samples[who as usize][step].push(sample);
                    }
                }
            }
        }
    }
    results
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// "12.3" and "4" (or "4-5" when runs differ), or "error" for a step that failed in a run.
fn cells(samples: &[Sample]) -> (String, String) {
    if samples
        .iter()
        .any(|r| r.as_ref().is_err_and(|e| e == NOT_APPLICABLE))
    {
        return ("–".into(), "–".into());
    }
    if samples.is_empty() || samples.iter().any(Result::is_err) {
        return ("error".into(), "error".into());
    }
    let mut ms: Vec<f64> = samples.iter().map(|r| r.as_ref().unwrap().0).collect();
    let counts: Vec<usize> = samples.iter().map(|r| r.as_ref().unwrap().1).collect();
    let (lo, hi) = (
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0),
    );
    let requests = if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    };
    (format!("{:.1}", median(&mut ms)), requests)
}

fn print_table(title: &str, results: &Results, notes: &[String]) {
    println!("\n### {title}\n");
    println!("| step | davkit ms | davkit requests | libdav ms | libdav requests |");
    println!("|---|---:|---:|---:|---:|");
    for (step, name) in STEPS.iter().enumerate() {
        let (dm, dr) = cells(&results.samples[Who::Davkit as usize][step]);
        let (lm, lr) = cells(&results.samples[Who::Libdav as usize][step]);
        println!("| {name} | {dm} | {dr} | {lm} | {lr} |");
    }
    for note in notes {
        println!("\n{note}");
    }
}

async fn bench_server(target: &Target, link: &str, s: &Settings) {
    let shaped = link == "shaped";
    let (links, shapers) = if shaped {
        let a = Shaper::start(&target.url, &s.shaper_args);
        let b = Shaper::start(&target.url, &s.shaper_args);
        let c = Shaper::start(&target.url, &s.shaper_args);
        let links = Links {
            davkit: target.with_url(&a.url),
            libdav: target.with_url(&b.url),
            extra: target.with_url(&c.url),
        };
        (links, Some((a, b, c)))
    } else {
        let links = Links {
            davkit: target.clone(),
            libdav: target.clone(),
            extra: target.clone(),
        };
        (links, None)
    };
    let results = match &target.user {
        Some((u, p)) => {
            let (u, p) = (u.clone(), p.clone());
            run_server(
                target,
                &links,
                link,
                move |count| {
                    AddAuthorization::basic(
                        CountedService {
                            inner: hyper_client(),
                            count,
                        },
                        &u,
                        &p,
                    )
                },
                s,
            )
            .await
        }
        None => {
            run_server(
                target,
                &links,
                link,
                |count| -> Plain {
                    CountedService {
                        inner: hyper_client(),
                        count,
                    }
                },
                s,
            )
            .await
        }
    };
    let link_text = if shaped {
        if s.shaper_args.is_empty() {
            "shaped link (30 ms round trip, 50 Mbit/s down, 10 Mbit/s up)".to_owned()
        } else {
            format!("shaped link (shaper.py {})", s.shaper_args.join(" "))
        }
    } else {
        "loopback".to_owned()
    };
    let title = format!(
        "{}, {link_text}: {} events, {} changed, median of {}",
        target.name, s.events, s.changes, s.runs
    );
    let mut notes = Vec::new();
    if let Some((a, b, c)) = shapers {
        let runs = s.runs + s.warmup;
        let _ = c.stop();
        notes.push(format!(
            "Through the shaper (the four steps): davkit {}; libdav {}.",
            traffic(&a.stop(), runs),
            traffic(&b.stop(), runs)
        ));
    }
    print_table(&title, &results, &notes);
}

fn main() {
    let s = Settings {
        events: env_usize("DAVKIT_BENCH_EVENTS", 1000),
        changes: env_usize("DAVKIT_BENCH_CHANGES", 20),
        runs: env_usize("DAVKIT_BENCH_RUNS", 3).max(1),
        warmup: env_usize("DAVKIT_BENCH_WARMUP", 1),
        settle_ms: env_usize("DAVKIT_BENCH_SETTLE_MS", 100) as u64,
        log: std::env::var("DAVKIT_BENCH_LOG").is_ok_and(|v| v == "1" || v == "body"),
        shaper_args: std::env::var("DAVKIT_BENCH_SHAPER_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    let _ = LOG.set(s.log);
    let _ = BODIES.set(std::env::var("DAVKIT_BENCH_LOG").is_ok_and(|v| v == "body"));
    let links: &[&str] = match std::env::var("DAVKIT_BENCH_LINK").as_deref() {
        Ok("loopback") => &["loopback"],
        Ok("shaped") => &["shaped"],
        _ => &["loopback", "shaped"],
    };
    let targets = targets();
    if targets.is_empty() {
        eprintln!(
            "network: no DAVKIT_RADICALE_URL, DAVKIT_XANDIKOS_URL or DAVKIT_DAVICAL_URL: run it through \
             scripts/bench-network.sh (or tests/servers/servers.py run)"
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("davkit (this tree) vs libdav 0.11.2, both on one tokio current-thread runtime");
    for link in links {
        for target in &targets {
            runtime.block_on(bench_server(target, link, &s));
        }
    }
}
