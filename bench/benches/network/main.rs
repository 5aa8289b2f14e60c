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
//! Each of davkit's sync steps ends with its state written as JSON (`SyncState::to_json`, what
//! an app stores after a sync, as the README's example does): the npm package's and the mobile
//! bindings' results carry that text already, so the steps compare the same work.
//!
//! Two more rows time davkit alone: the initial sync as a `sync_batch(500)` loop (the CLI's
//! default batch) and with `multiget_batch_size` raised from 100 to the member count.
//!
//! Each run makes new clients (so discovery pays for its connections) and keeps them for its
//! steps. One warm-up run, then the median of 3 (`DAVKIT_BENCH_RUNS`); the order of the two
//! clients alternates between runs, and every step starts after a 100 ms pause
//! (`DAVKIT_BENCH_SETTLE_MS`), because both servers are Python and a large answer leaves work
//! (freeing, collection) that would otherwise land on the next step, whichever client runs it. Request counts come from a counting wrapper around each
//! client's HTTP stack: a `Transport` around davkit's `ReqwestTransport` (which passes bodies
//! on as they arrive, through `send_streaming`, so davkit reads a listing or a multiget answer
//! while it is still coming, as an app on `DavClient<ReqwestTransport>` does;
//! `DAVKIT_BENCH_WHOLE=1` reads each body whole first instead), a tower service around
//! libdav's hyper client. The shaped pass puts one `tests/servers/shaper.py` (30 ms round trip,
//! 50 Mbit/s down, 10 Mbit/s up, one round trip per new connection) in front of each server for
//! each client and prints the bytes each client moved through it.
//!
//! Environment: `DAVKIT_RADICALE_URL`/`_USER`/`_PASSWORD`, `DAVKIT_XANDIKOS_URL` and
//! `DAVKIT_DAVICAL_URL`/`_USER3`/`_PASSWORD3` (carol's `bench` calendar: in alice's, DAViCal
//! would schedule the events, which name alice as organizer) and
//! `DAVKIT_CYRUS_URL`/`_USER3`/`_PASSWORD3` (carol's too, for the same reason) from
//! servers.py (a server whose URL is missing is skipped); `DAVKIT_BENCH_LINK` = `loopback`,
//! `shaped` or `both` (default); `DAVKIT_BENCH_EVENTS` (1000: what the collection holds),
//! `DAVKIT_BENCH_CHANGES` (20), `DAVKIT_BENCH_RUNS` (3), `DAVKIT_BENCH_WARMUP` (1),
//! `DAVKIT_BENCH_SETTLE_MS` (100), `DAVKIT_BENCH_STEPS` (e.g. `discover`: only the steps
//! named, by their beginnings, comma-separated), `DAVKIT_BENCH_SHAPER_ARGS` (extra
//! arguments for shaper.py), `DAVKIT_BENCH_LOG=1` (one stderr line per request: step, method,
//! path, body kind and href count, status, bytes, time to the head and to the body's end for
//! davkit, to the head for libdav with a line when libdav has read and parsed the body, and
//! each step's total; `=body` adds each body's start), `DAVKIT_BENCH_WHOLE=1` (above),
//! `DAVKIT_BENCH_SERVE=1` (no tables: the native client as a peer of the npm bench, one step
//! per command on stdin; see `serve.rs`).
//!
//! Both clients talk HTTP/1.1 over plain TCP. davkit's transport asks for gzip (Radicale gives
//! it); libdav's example client does not. libdav is used as its examples use it, without
//! tower-http's decompression layer.

#![allow(clippy::unwrap_used, clippy::panic)] // a benchmark: a broken setup stops it loudly

mod changes;
mod counting;
mod davkit_client;
mod libdav_client;
mod run;
mod serve;
mod shaper;

use crate::counting::{BODIES, LOG};
use crate::run::bench_server;

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
    /// `DAVKIT_BENCH_WHOLE=1`: davkit's transport reads each body whole before the core sees
    /// it (as a host with its own HTTP stack hands bodies over), instead of handing it over
    /// as it arrives (`ReqwestTransport::send_streaming`, what an app using
    /// `DavClient<ReqwestTransport>` gets).
    whole_bodies: bool,
    shaper_args: Vec<String>,
    /// The steps to run (indices into [`STEPS`]): `DAVKIT_BENCH_STEPS`, a comma-separated list
    /// of step names or their beginnings (`discover`, `full fetch`, `initial sync`, ...);
    /// every step when unset. A step that needs an earlier one's result (libdav's fetches need
    /// its discovery) reports an error without it.
    steps: Vec<usize>,
}

/// The steps `DAVKIT_BENCH_STEPS` names (see [`Settings::steps`]).
fn selected_steps(list: Option<&str>) -> Vec<usize> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return (0..STEPS.len()).collect();
    };
    let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
    (0..STEPS.len())
        .filter(|&i| {
            wanted
                .iter()
                .any(|w| !w.is_empty() && STEPS[i].starts_with(w))
        })
        .collect()
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
    if let Ok(url) = std::env::var("DAVKIT_CYRUS_URL") {
        // carol's calendar, as on DAViCal: Cyrus would schedule alice's events with bob.
        let user = std::env::var("DAVKIT_CYRUS_USER3").unwrap_or_else(|_| "carol".into());
        let password = std::env::var("DAVKIT_CYRUS_PASSWORD3").unwrap_or_default();
        out.push(Target {
            name: "Cyrus",
            url,
            collection: std::env::var("DAVKIT_BENCH_CYRUS_COLLECTION")
                .unwrap_or_else(|_| format!("/dav/calendars/user/{user}/bench/")),
            user: Some((user, password)),
        });
    }
    out
}

fn main() {
    let s = Settings {
        events: env_usize("DAVKIT_BENCH_EVENTS", 1000),
        changes: env_usize("DAVKIT_BENCH_CHANGES", 20),
        runs: env_usize("DAVKIT_BENCH_RUNS", 3).max(1),
        warmup: env_usize("DAVKIT_BENCH_WARMUP", 1),
        settle_ms: env_usize("DAVKIT_BENCH_SETTLE_MS", 100) as u64,
        log: std::env::var("DAVKIT_BENCH_LOG").is_ok_and(|v| v == "1" || v == "body"),
        whole_bodies: std::env::var("DAVKIT_BENCH_WHOLE").is_ok_and(|v| v == "1"),
        shaper_args: std::env::var("DAVKIT_BENCH_SHAPER_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        steps: selected_steps(std::env::var("DAVKIT_BENCH_STEPS").ok().as_deref()),
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
    if std::env::var("DAVKIT_BENCH_SERVE").is_ok_and(|v| v == "1") {
        runtime.block_on(serve::serve(&targets, &s));
        return;
    }
    println!("davkit (this tree) vs libdav 0.11.2, both on one tokio current-thread runtime");
    for link in links {
        for target in &targets {
            runtime.block_on(bench_server(target, link, &s));
        }
    }
}
