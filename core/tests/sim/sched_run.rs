//! The scheduling histories (issue 17): alice's organizer app creates, updates and cancels
//! meetings while bob's attendee app lists and answers them with `If-Schedule-Tag-Match`, on a
//! server that schedules implicitly (with Schedule-Tags, or without them as DAViCal), with
//! requests and responses lost, 503s, crashes between any two requests, and other devices
//! (alice's, bob's phone, carol) acting during requests and between steps. The invariants are
//! in `sched_app.rs`.
//!
//! `cargo test -p davkit --test sim scheduling` runs 2,000 histories; `SIM_SCHED_SEEDS=N` runs
//! N; `SIM_SCHED_SEED=S` replays seed S and prints every request.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use crate::invariants::Violation;
use crate::sched_app::{OrgKind, SchedApp};
use crate::sched_server::{Sched, Writer};
use crate::sched_world::{SchedWorld, new_meeting};
use davkit_testkit::Rng;

const DEFAULT_SCHED_SEEDS: u64 = 2_000;

/// Everything a seed decides before the history starts.
#[derive(Debug)]
struct Params {
    tags: bool,
    meetings: usize,
    steps: usize,
    fault_per_mille: u32,
    concurrent_per_mille: u32,
    between_per_mille: u32,
    crash_per_mille: u32,
    retries: u32,
}

fn params(rng: &mut Rng) -> Params {
    Params {
        tags: rng.chance(700),
        meetings: rng.range(1, 3),
        steps: rng.range(8, 20),
        fault_per_mille: *rng.pick(&[0, 50, 150, 300]).unwrap_or(&0),
        concurrent_per_mille: *rng.pick(&[0, 100, 250, 400]).unwrap_or(&0),
        between_per_mille: *rng.pick(&[0, 300, 600]).unwrap_or(&0),
        crash_per_mille: *rng.pick(&[0, 100, 300]).unwrap_or(&0),
        retries: rng.range(0, 2) as u32,
    }
}

/// What the histories did, summed.
#[derive(Debug, Default)]
pub struct SchedStats {
    histories: u64,
    with_tags: u64,
    steps: u64,
    requests: u64,
    counts: BTreeMap<String, u64>,
}

impl SchedStats {
    fn merge(&mut self, other: &SchedStats) {
        self.histories += other.histories;
        self.with_tags += other.with_tags;
        self.steps += other.steps;
        self.requests += other.requests;
        for (k, v) in &other.counts {
            *self.counts.entry(k.clone()).or_default() += v;
        }
    }

    fn report(&self) -> String {
        let mut text = format!(
            "{} histories ({} with Schedule-Tags, {} without), {} steps, {} requests\n",
            self.histories,
            self.with_tags,
            self.histories - self.with_tags,
            self.steps,
            self.requests
        );
        for (k, v) in &self.counts {
            text.push_str(&format!("  {v:>9}  {k}\n"));
        }
        text
    }
}

/// One scheduling history; `careless` swaps bob's answers for a careless app's (the harness's
/// own test).
fn run_sched_history(seed: u64, verbose: bool, careless: bool) -> (SchedStats, Option<Violation>) {
    let mut rng = Rng::new(seed ^ 0x5C4E_D01E);
    let mut p = params(&mut rng);
    if careless {
        p.concurrent_per_mille = 400;
    }
    if verbose {
        eprintln!("scheduling seed {seed}: {p:?}");
    }
    let mut server = Sched::new(p.tags);
    for n in 0..p.meetings {
        let uid = format!("s{n}");
        let data = new_meeting(&uid, &format!("s{n}"), n % 2 == 1).expect("a valid meeting");
        server.organizer_write(&uid, Some(data), Writer::Device);
    }
    let mut world = SchedWorld::new(server, &mut rng, p.fault_per_mille, p.concurrent_per_mille);
    world.verbose = verbose;
    let world = Rc::new(RefCell::new(world));
    let mut app = SchedApp::new(world.clone(), rng.fork(3), p.retries);
    app.crash_per_mille = p.crash_per_mille;
    app.careless = careless;
    // Odd seeds answer step by step, each request a client call of its own (the npm package's
    // split modules); the properties are the same.
    app.by_steps = seed % 2 == 1;

    let mut steps = 0;
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<(), Violation> {
        for step in 0..p.steps {
            steps += 1;
            let meetings = app.meetings();
            let uid = app.rng.pick(&meetings).cloned().unwrap_or_default();
            if verbose {
                eprintln!(" step {step}");
            }
            if app.rng.chance(p.between_per_mille) {
                world.borrow_mut().device_act(&uid);
            }
            match app.rng.below(100) {
                0..=29 => {
                    let daily = world
                        .borrow()
                        .server
                        .copy("bob", &uid)
                        .is_some_and(|c| c.data.contains("RRULE"));
                    let occurrence = daily && app.rng.chance(300);
                    app.answer(uid, occurrence)?;
                }
                30..=41 => app.list_and_answer()?,
                42..=66 => {
                    let significant = app.rng.chance(500);
                    let minutes = significant.then(|| 30 + app.rng.below(1000) as u64);
                    app.organize(OrgKind::Update { minutes }, Some(uid))?;
                }
                67..=71 => app.organize(OrgKind::Cancel, Some(uid))?,
                72..=79 => {
                    let daily = app.rng.chance(500);
                    app.organize(OrgKind::Create { daily }, None)?;
                }
                _ => app.resume()?,
            }
            app.server_violation()?;
        }
        app.quiesce()
    }));
    let violation = crate::invariants::outcome(run);
    let mut stats = SchedStats {
        histories: 1,
        with_tags: u64::from(p.tags),
        steps,
        requests: world.borrow().requests,
        counts: app.outcomes.clone(),
    };
    for (k, v) in &world.borrow().server.stats {
        *stats.counts.entry(k.clone()).or_default() += v;
    }
    (stats, violation)
}

/// Scheduling writes under every interleaving the seeds reach: `SIM_SCHED_SEEDS=N` runs N
/// seeds, `SIM_SCHED_SEED=S` replays seed S verbosely.
#[test]
fn scheduling() {
    let run = crate::seeds::Named {
        name: "scheduling",
        seed_var: "SIM_SCHED_SEED",
        seeds_var: "SIM_SCHED_SEEDS",
        default_seeds: DEFAULT_SCHED_SEEDS,
        prefix: "S",
        // the histories reach what they are meant to: each of these happened at least once
        must_happen: &[
            "fault: LostResponse",
            "fault: LostRequest",
            "app crashed and restarted",
            "device changes during a request",
            "respond ok after 2 reads",
            "respond failed: PreconditionFailed",
            "organizer write: PreconditionFailed (read again)",
            "replies delivered to the organizer",
        ],
    };
    crate::seeds::drive(
        &run,
        |seed, verbose| run_sched_history(seed, verbose, false),
        SchedStats::merge,
        SchedStats::report,
        |s| &s.counts,
    );
}

/// The checks are not vacuous: an attendee app that answers the copy it read first but
/// writes it under the Schedule-Tag (or ETag) of a later read (a cached body, fresh
/// validators) overwrites a newer organizer version, and S1 catches it.
#[test]
fn a_careless_attendee_is_caught() {
    let seeds = 200;
    let caught = (0..seeds)
        .filter(|seed| {
            let (_, violation) = run_sched_history(*seed, false, true);
            violation.is_some_and(|v| v.invariant == 1)
        })
        .count();
    assert!(
        caught >= seeds as usize / 5,
        "only {caught} of {seeds} histories with a careless attendee broke S1"
    );
}
