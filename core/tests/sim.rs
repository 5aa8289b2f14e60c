//! Deterministic simulation of sync and writes (issue 10): thousands of seeded histories, each
//! an app mirroring a few collections through `DavClient` from a model CalDAV/CardDAV server
//! that other devices change concurrently and that injects faults, with the invariants of
//! `sim/invariants.rs` checked after every operation.
//!
//! - `cargo test -p davkit --test sim` runs 10,000 seeds over all four profiles.
//! - `SIM_SEEDS=N` runs N seeds; `SIM_SEED=S` replays seed S and prints every request;
//!   `SIM_FIRST_SEED=F` starts every run at seed F instead of 0.
//! - The `offline_queue` test (issue 16, `sim/queue_app.rs`) runs 2,000 histories of an app that
//!   edits into a `WriteQueue` offline, flushes, and crashes between any two requests;
//!   `SIM_QUEUE_SEEDS=N` and `SIM_QUEUE_SEED=S` as above.
//! - The `scheduling` test (issue 17, `sim/sched_*.rs`) runs 2,000 histories of an organizer
//!   app and an attendee app on a server that schedules implicitly, with lost requests and
//!   responses, crashes and other devices; `SIM_SCHED_SEEDS=N` and `SIM_SCHED_SEED=S`.
//! - The `gcal` test (`sim/gcal_*.rs`) runs 2,000 histories of an app that mirrors a Google
//!   calendar through the Calendar API (incremental sync, 410 resyncs, recurring series) and
//!   writes to it, under the API's faults, other devices and crashes; `SIM_GCAL_SEEDS=N` and
//!   `SIM_GCAL_SEED=S`.
//!
//! Layout: the seeded generator is `davkit_testkit::Rng` (splitmix64, shared with the other
//! crates' tests), `sim/xml.rs` (request reading, multistatus writing),
//! `sim/server.rs` (the model server and its provider quirks), `sim/faults.rs` (fault kinds),
//! `sim/world.rs` (transport, faults applied, devices, checks on the wire), `sim/client.rs`
//! (the app), `sim/invariants.rs`, `sim/stats.rs`, `sim/selftest.rs` (the checks fire on
//! hand-written bad requests; `a_lossy_app_is_caught` below shows they catch lost data).
//!
//! On a failure the test panics with, for each kind of failure, the invariant, the first seed,
//! what happened and the replay command (`SIM_SEED=S cargo test -p davkit --test sim`).

#![allow(clippy::panic)] // a failing simulation reports by panicking, with the seed

#[path = "sim/client.rs"]
mod client;
#[path = "sim/faults.rs"]
mod faults;
#[path = "sim/gcal_run.rs"]
mod gcal_run;
#[path = "sim/gcal_server.rs"]
mod gcal_server;
#[path = "sim/invariants.rs"]
mod invariants;
#[path = "sim/queue_app.rs"]
mod queue_app;
#[path = "sim/sched_app.rs"]
mod sched_app;
#[path = "sim/sched_run.rs"]
mod sched_run;
#[path = "sim/sched_server.rs"]
mod sched_server;
#[path = "sim/sched_world.rs"]
mod sched_world;
#[path = "sim/seeds.rs"]
mod seeds;
#[path = "sim/selftest.rs"]
mod selftest;
#[path = "sim/server.rs"]
mod server;
#[path = "sim/stats.rs"]
mod stats;
#[path = "sim/world.rs"]
mod world;
#[path = "sim/xml.rs"]
mod xml;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Instant;

use davkit::{Config, Credentials, DavClient, RetryPolicy};

use client::App;
use davkit_testkit::Rng;
use faults::{Fault, Injector};
use invariants::Violation;
use server::{DataInSync, Flavor, ORIGIN, ROOT, Server, member_name, object_data};
use stats::Stats;
use world::{SimTokens, SimTransport, World};

const DEFAULT_SEEDS: u64 = 10_000;
/// The client's longest wait before a retry.
const MAX_DELAY_MS: u64 = 2_000;

/// Everything a seed decides before the history starts.
#[derive(Debug)]
struct Params {
    flavor: Flavor,
    /// Per collection: calendar?, initial members, server page size.
    colls: Vec<(bool, usize, Option<usize>)>,
    steps: usize,
    fault_per_mille: u32,
    concurrent_per_mille: u32,
    between_per_mille: u32,
    fail_apply_per_mille: u32,
    writes_as_pending: bool,
    /// The app syncs in batches of this many members.
    sync_batch: Option<usize>,
    /// The server has RFC 6578 (an old generic server may have only ctags).
    sync_collection: bool,
    /// What the server does with `calendar-data` asked for in a sync report.
    data_in_sync: DataInSync,
    batch: usize,
    page_limit: Option<u32>,
    parallel: usize,
    retries: u32,
}

fn params(seed: u64, rng: &mut Rng) -> Params {
    let flavor = Flavor::ALL[(seed % Flavor::ALL.len() as u64) as usize];
    let count = match flavor {
        Flavor::GoogleCarddav => 1,
        Flavor::GoogleCaldav => rng.range(1, 2),
        _ => rng.range(1, 2),
    };
    let colls = (0..count)
        .map(|_| {
            let calendar = match flavor {
                Flavor::GoogleCaldav => true,
                Flavor::GoogleCarddav => false,
                _ => rng.chance(600),
            };
            let page = if rng.chance(500) {
                None
            } else {
                Some(rng.range(2, 6))
            };
            (calendar, rng.range(3, 12), page)
        })
        .collect();
    Params {
        flavor,
        colls,
        steps: rng.range(5, 14),
        fault_per_mille: *rng.pick(&[0, 20, 60, 120, 250]).unwrap_or(&0),
        concurrent_per_mille: *rng.pick(&[0, 0, 30, 100]).unwrap_or(&0),
        between_per_mille: *rng.pick(&[0, 300, 600]).unwrap_or(&0),
        fail_apply_per_mille: *rng.pick(&[0, 0, 0, 30]).unwrap_or(&0),
        writes_as_pending: rng.chance(500),
        sync_batch: rng.chance(300).then(|| rng.range(1, 4)),
        sync_collection: flavor != Flavor::Generic || rng.chance(750),
        data_in_sync: *rng
            .pick(&[DataInSync::Sends, DataInSync::Ignores, DataInSync::Refuses])
            .unwrap_or(&DataInSync::Sends),
        batch: match rng.below(20) {
            0..=2 => 1,
            3..=9 => rng.range(2, 8),
            _ => 100,
        },
        page_limit: if rng.chance(500) {
            None
        } else {
            Some(rng.range(1, 5) as u32)
        },
        parallel: rng.range(1, 4),
        retries: rng.range(0, 3) as u32,
    }
}

/// The seeded server with its collections and first members, the world around it (fault
/// injector from `rng.fork(1)`, other devices from `rng.fork(2)`) and the client under test,
/// as both kinds of history start them.
fn start_world(
    p: &Params,
    rng: &mut Rng,
    verbose: bool,
) -> (Rc<RefCell<World>>, DavClient<SimTransport, SimTokens>) {
    let mut server = Server::new(p.flavor);
    server.sync_collection = p.sync_collection;
    server.data_in_sync = p.data_in_sync;
    for &(calendar, members, page) in &p.colls {
        let c = server.add_collection(calendar, page);
        for _ in 0..members {
            let uid = server.fresh_uid("s");
            let data = object_data(calendar, &uid, "initial");
            server.store(c, &member_name(calendar, &uid), data);
        }
    }
    let injector = Injector::new(rng.fork(1), p.fault_per_mille);
    let mut world = World::new(server, injector, rng.fork(2), p.concurrent_per_mille);
    world.max_retries = p.retries;
    world.max_delay_ms = MAX_DELAY_MS;
    world.verbose = verbose;
    let world = Rc::new(RefCell::new(world));
    let mut config = Config::new(format!("{ORIGIN}{ROOT}"), Credentials::None);
    config.profile = Some(p.flavor.profile());
    config.multiget_batch_size = p.batch;
    config.sync_page_limit = p.page_limit;
    config.max_parallel_requests = p.parallel;
    config.retry = RetryPolicy {
        max_retries: p.retries,
        initial_delay_ms: 100,
        max_delay_ms: MAX_DELAY_MS,
    };
    let client = DavClient::with_token_provider(
        config,
        SimTransport(world.clone()),
        SimTokens(world.clone()),
    )
    .expect("the simulation's configuration is valid");
    (world, client)
}

/// Runs one history; the statistics and the first violation, if any. `lossy` swaps in an app
/// that drops changes (the harness's own test).
fn run_history(seed: u64, verbose: bool, lossy: bool) -> (Stats, Option<Violation>) {
    let mut rng = Rng::new(seed);
    let p = params(seed, &mut rng);
    if verbose {
        eprintln!("seed {seed}: {p:?}");
    }
    let (world, client) = start_world(&p, &mut rng, verbose);
    let mut app = App::new(
        world.clone(),
        client,
        rng.fork(3),
        p.fail_apply_per_mille,
        p.writes_as_pending,
    );
    app.lossy = lossy;
    app.batch = p.sync_batch;
    // Half the histories of each flavor store states as text through a `KeptSyncState` (from
    // the seed, not `rng`, so every other draw of a seed stays as it was).
    if (seed / 4) % 2 == 1 {
        app.kept = Some(davkit::KeptSyncState::new());
    }

    let mut steps = 0;
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<(), Violation> {
        for step in 0..p.steps {
            steps += 1;
            let c = rng.below(p.colls.len());
            if verbose {
                eprintln!(" step {step}");
            }
            if rng.chance(p.between_per_mille) {
                let mut w = world.borrow_mut();
                for _ in 0..rng.range(1, 2) {
                    let target = rng.below(p.colls.len());
                    w.device_change(target);
                }
            }
            match rng.below(100) {
                0..=39 => {
                    app.sync(c, 3)?;
                }
                40..=59 => app.update(c, true)?,
                60..=74 => app.create(c)?,
                75..=89 => app.delete(c, true)?,
                _ => {
                    // The server forgets its tokens (history compacted, server restored).
                    let mut w = world.borrow_mut();
                    if verbose {
                        eprintln!("  server forgets the sync tokens of c{c}");
                    }
                    w.server.forget_tokens(c);
                }
            }
        }
        app.quiesce()
    }));
    let violation = crate::invariants::outcome(run);
    let mut stats = world.borrow().stats.clone();
    stats.histories = 1;
    stats.steps = steps as u64;
    stats.histories_by_profile.insert(p.flavor.name(), 1);
    (stats, violation)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// A violation's message with names, numbers and quoted values blanked, so that histories
/// failing the same way are listed once.
fn signature(what: &str) -> String {
    what.split_whitespace()
        .map(|word| {
            if word.contains(|c: char| c.is_ascii_digit() || c == '"') {
                "_"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The failures by invariant, then by kind (signature), with the first seed of each.
fn failure_report(seeds: u64, failures: &[(u64, Violation)]) -> String {
    use std::collections::BTreeMap;
    let mut by_kind: BTreeMap<(u8, String), Vec<&(u64, Violation)>> = BTreeMap::new();
    for f in failures {
        by_kind
            .entry((f.1.invariant, signature(&f.1.what)))
            .or_default()
            .push(f);
    }
    let mut text = format!(
        "{} of {seeds} histories broke an invariant ({} kinds of failure):\n",
        failures.len(),
        by_kind.len()
    );
    for ((invariant, _), list) in &by_kind {
        let (seed, v) = list[0];
        let more: Vec<String> = list
            .iter()
            .skip(1)
            .take(5)
            .map(|(s, _)| s.to_string())
            .collect();
        text.push_str(&format!(
            "  invariant {invariant}, {} histories: seed {seed}: {}\n    replay: {}\n    also seeds {}\n",
            list.len(),
            v.what,
            replay_hint(*seed),
            if more.is_empty() { "-".into() } else { more.join(", ") }
        ));
    }
    text
}

fn replay_hint(seed: u64) -> String {
    format!("SIM_SEED={seed} cargo test -p davkit --test sim")
}

#[test]
fn simulation() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let (stats, violation) = run_history(seed, true, false);
        eprintln!("{}", stats.report());
        if let Some(v) = violation {
            panic!("seed {seed}: invariant {} broken: {}", v.invariant, v.what);
        }
        return;
    }
    let seeds = env_u64("SIM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let started = Instant::now();
    let run = seeds::run_seeds(seeds, |seed| run_history(seed, false, false), Stats::merge);
    let (total, failures, threads) = (run.total, run.failures, run.threads);
    let elapsed = started.elapsed();
    eprintln!(
        "simulation: {seeds} seeds in {:.1} s on {threads} threads\n{}",
        elapsed.as_secs_f64(),
        total.report()
    );

    let mut problems = Vec::new();
    if seeds >= 2_000 {
        let silent: Vec<String> = Fault::ALL
            .iter()
            .zip(total.faults.iter())
            .filter(|(_, n)| **n == 0)
            .map(|(f, _)| format!("{f:?}"))
            .collect();
        if !silent.is_empty() {
            problems.push(format!(
                "fault kinds that never fired: {}",
                silent.join(", ")
            ));
        }
    }
    if !failures.is_empty() {
        problems.push(failure_report(seeds, &failures));
    }
    if !problems.is_empty() {
        panic!("{}", problems.join("\n"));
    }
}

/// Seeds the long runs found breaking an invariant, replayed by every test run: each one's
/// history passes since its fix.
const FOUND_SEEDS: [u64; 1] = [
    // 2026-12-05: the app stored its own write under `p10@...` beside Google's `p10%40...`;
    // the server then deleted the member, the sync dropped one spelling and the other stayed
    // in the state. Fixed by the sync dropping a shadowed spelling (`sync/key.rs`).
    18_514_135,
];

/// The same for the offline-queue histories.
const FOUND_QUEUE_SEEDS: [u64; 1] = [
    // 2026-12-05: an update recreated by POST after another device deleted its object moved
    // to the server's new name; the app resolved its conflict with KeepServer, and kept
    // showing the old URL (no outcome names it after a resolve). The app now drops the
    // entry's `moved_from` when a resolve takes the entry out (`WriteQueue::resolve` says so).
    62_447_119,
];

#[test]
fn found_seeds_pass() {
    for seed in FOUND_SEEDS {
        let (_, violation) = run_history(seed, false, false);
        if let Some(v) = violation {
            panic!("seed {seed}: invariant {} broken: {}", v.invariant, v.what);
        }
    }
    for seed in FOUND_QUEUE_SEEDS {
        let (_, violation) = run_queue_history(seed, false);
        if let Some(v) = violation {
            panic!(
                "queue seed {seed}: invariant {} broken: {}",
                v.invariant, v.what
            );
        }
    }
}

/// The checks are not vacuous: an app that drops changes is caught in most histories.
#[test]
fn a_lossy_app_is_caught() {
    let seeds = 200;
    let caught = (0..seeds)
        .filter(|seed| {
            let (_, violation) = run_history(*seed, false, true);
            violation.is_some_and(|v| matches!(v.invariant, 1 | 2))
        })
        .count();
    assert!(
        caught >= seeds as usize / 2,
        "only {caught} of {seeds} histories with an app that drops changes broke invariant 1 or 2"
    );
}

/// Seeds of the offline-queue histories by default (`SIM_QUEUE_SEEDS=N` for more or fewer).
const DEFAULT_QUEUE_SEEDS: u64 = 2_000;

/// One offline-queue history (issue 16): the app of `sim/queue_app.rs` edits into a
/// `WriteQueue` while offline or online, flushes, syncs, crashes and restarts, with other
/// devices editing the same objects and the faults of the main simulation; then quiesces.
fn run_queue_history(seed: u64, verbose: bool) -> (Stats, Option<Violation>) {
    let mut rng = Rng::new(seed ^ 0x5155_4555);
    let p = params(seed, &mut rng);
    let policy = queue_app::POLICIES[rng.below(queue_app::POLICIES.len())];
    let crash_per_mille = *rng.pick(&[0, 150, 400]).unwrap_or(&0);
    if verbose {
        eprintln!("queue seed {seed}: {p:?}, policy {policy:?}, crashes {crash_per_mille}‰");
    }
    let (world, client) = start_world(&p, &mut rng, verbose);
    let mut app = queue_app::QueueApp::new(world.clone(), client, rng.fork(3), policy);
    app.crash_per_mille = crash_per_mille;
    // Odd seeds flush step by step, each request a client call of its own (the npm package's
    // split modules); the property is the same.
    app.by_steps = seed % 2 == 1;

    let mut steps = 0;
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<(), Violation> {
        // The app starts online with its collections synced.
        for c in 0..p.colls.len() {
            app.sync(c)?;
        }
        for step in 0..p.steps + 6 {
            steps += 1;
            let c = rng.below(p.colls.len());
            if verbose {
                eprintln!(
                    " step {step} ({})",
                    if app.online { "online" } else { "offline" }
                );
            }
            if rng.chance(p.between_per_mille.max(200)) {
                let mut w = world.borrow_mut();
                let target = rng.below(p.colls.len());
                w.device_change(target);
            }
            if rng.chance(200) {
                app.online = !app.online;
            }
            match rng.below(100) {
                0..=44 => app.edit(c)?,
                45..=64 => app.flush()?,
                65..=79 => {
                    app.sync(c)?;
                }
                80..=89 => app.resolve(500)?,
                90..=94 => app.crash("between steps")?,
                _ => world.borrow_mut().server.forget_tokens(c),
            }
            app.check_writes()?;
        }
        app.quiesce()
    }));
    let violation = crate::invariants::outcome(run);
    let mut stats = world.borrow().stats.clone();
    stats.histories = 1;
    stats.steps = steps as u64;
    stats.histories_by_profile.insert(p.flavor.name(), 1);
    (stats, violation)
}

/// The offline queue under offline periods, crashes between any two requests, other devices
/// and faults: `SIM_QUEUE_SEEDS=N` runs N seeds, `SIM_QUEUE_SEED=S` replays seed S verbosely.
#[test]
fn offline_queue() {
    if let Some(seed) = env_u64("SIM_QUEUE_SEED") {
        let (stats, violation) = run_queue_history(seed, true);
        eprintln!("{}", stats.report());
        if let Some(v) = violation {
            panic!(
                "queue seed {seed}: invariant {} broken: {}",
                v.invariant, v.what
            );
        }
        return;
    }
    let seeds = env_u64("SIM_QUEUE_SEEDS").unwrap_or(DEFAULT_QUEUE_SEEDS);
    let started = Instant::now();
    let run = seeds::run_seeds(seeds, |seed| run_queue_history(seed, false), Stats::merge);
    let (total, failures, threads) = (run.total, run.failures, run.threads);
    eprintln!(
        "offline queue: {seeds} seeds in {:.1} s on {threads} threads\n{}",
        started.elapsed().as_secs_f64(),
        total.report()
    );
    if !failures.is_empty() {
        let report = failure_report(seeds, &failures)
            .replace("SIM_SEED=", "SIM_QUEUE_SEED=")
            .replace("--test sim", "--test sim offline_queue");
        panic!("{report}");
    }
}
