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
