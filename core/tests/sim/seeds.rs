//! Runs a range of seeds over the machine's threads (up to 8), each thread taking every
//! `threads`-th seed, and adds up what the histories report: the one seed loop of the
//! simulation's three runs (sync, offline queue, scheduling).

use crate::invariants::Violation;

/// What a run of many seeds found: the merged statistics, every broken invariant by seed
/// (sorted), and how many threads ran them.
pub struct SeedRun<S> {
    /// The statistics of every history, merged.
    pub total: S,
    /// The seeds whose history broke an invariant, in seed order.
    pub failures: Vec<(u64, Violation)>,
    /// How many threads ran the seeds.
    pub threads: u64,
}

/// Runs `history` for `seeds` seeds in parallel and merges each result with `merge`: seeds
/// `0..seeds`, or `F..F + seeds` with `SIM_FIRST_SEED=F` (the long runs can then try histories
/// no earlier run tried; a failing seed replays by its own number as before).
pub fn run_seeds<S: Default + Send>(
    seeds: u64,
    history: impl Fn(u64) -> (S, Option<Violation>) + Sync,
    merge: impl Fn(&mut S, &S) + Sync,
) -> SeedRun<S> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8) as u64;
    let first = std::env::var("SIM_FIRST_SEED")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let end = first.saturating_add(seeds);
    let (history, merge) = (&history, &merge);
    let results: Vec<(S, Vec<(u64, Violation)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut total = S::default();
                    let mut failures = Vec::new();
                    let mut seed = first + t;
                    while seed < end {
                        let (stats, violation) = history(seed);
                        merge(&mut total, &stats);
                        if let Some(v) = violation {
                            failures.push((seed, v));
                        }
                        seed += threads;
                    }
                    (total, failures)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a simulation thread panicked"))
            .collect()
    });
    let mut total = S::default();
    let mut failures = Vec::new();
    for (stats, f) in results {
        merge(&mut total, &stats);
        failures.extend(f);
    }
    failures.sort_by_key(|(seed, _)| *seed);
    SeedRun {
        total,
        failures,
        threads,
    }
}

/// One named run of histories as a test drives it: its environment variables, its default
/// size, and the events every large enough run must reach.
pub struct Named<'a> {
    /// How reports name it (`scheduling`, `gcal`).
    pub name: &'a str,
    /// The variable that replays one seed verbosely (`SIM_SCHED_SEED`).
    pub seed_var: &'a str,
    /// The variable that sets how many seeds run (`SIM_SCHED_SEEDS`).
    pub seeds_var: &'a str,
    pub default_seeds: u64,
    /// How a broken invariant's number is prefixed (`S`, `G`).
    pub prefix: &'a str,
    /// Counted events a run of at least `default_seeds` seeds must reach at least once.
    pub must_happen: &'a [&'a str],
}

/// Replays one seed (its variable set) or runs the seeds, prints the merged statistics, and
/// panics with every failure and every event of `must_happen` that never happened.
pub fn drive<S: Default + Send>(
    run: &Named<'_>,
    history: impl Fn(u64, bool) -> (S, Option<Violation>) + Sync,
    merge: impl Fn(&mut S, &S) + Sync,
    report: impl Fn(&S) -> String,
    counts: impl Fn(&S) -> &std::collections::BTreeMap<String, u64>,
) {
    let name = run.name;
    if let Some(seed) = crate::env_u64(run.seed_var) {
        let (stats, violation) = history(seed, true);
        eprintln!("{}", report(&stats));
        if let Some(v) = violation {
            panic!(
                "{name} seed {seed}: invariant {}{} broken: {}",
                run.prefix, v.invariant, v.what
            );
        }
        return;
    }
    let seeds = crate::env_u64(run.seeds_var).unwrap_or(run.default_seeds);
    let started = std::time::Instant::now();
    let result = run_seeds(seeds, |seed| history(seed, false), merge);
    eprintln!(
        "{name}: {seeds} seeds in {:.1} s on {} threads\n{}",
        started.elapsed().as_secs_f64(),
        result.threads,
        report(&result.total)
    );
    let mut problems = Vec::new();
    if seeds >= run.default_seeds {
        let counted = counts(&result.total);
        for key in run.must_happen {
            if counted.get(*key).copied().unwrap_or(0) == 0 {
                problems.push(format!("never happened: {key}"));
            }
        }
    }
    if !result.failures.is_empty() {
        problems.push(
            crate::failure_report(seeds, &result.failures)
                .replace("SIM_SEED=", &format!("{}=", run.seed_var))
                .replace("--test sim", &format!("--test sim {name}")),
        );
    }
    if !problems.is_empty() {
        panic!("{}", problems.join("\n"));
    }
}
