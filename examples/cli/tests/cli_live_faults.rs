//! The `davkit` binary mirrors a calendar and an address book through a fault-injecting proxy
//! (`tests/servers/faultproxy.py`) in front of live Radicale and Xandikos, while this test
//! changes the collections directly on the servers between rounds. After every round the
//! folder must equal the server's collection: no member lost, none kept after it was deleted,
//! no data diverged, and every round converges within a bounded number of CLI runs. Runs of
//! the CLI may fail under faults (that is allowed: the next run must repair everything).
//!
//! ```sh
//! python3 tests/servers/servers.py --seed run -- cargo test -p davkit-cli --test cli_live_faults -- --ignored
//! ```
//!
//! `DAVKIT_FAULT_SEEDS=1,2,3` and `DAVKIT_FAULT_ROUNDS=N` change the seeds (default 1-5) and
//! rounds (default 6). A failure names the server, seed and round; the same seed gives the
//! same changes and the same fault draws (the proxy draws per request from the seed, the
//! request and how often it was seen).

// Helpers outside `#[test]` functions fail the test with a message by panicking.
#![allow(clippy::panic)]

#[path = "cli_live_faults/changes.rs"]
mod changes;
#[path = "cli_live_faults/check.rs"]
mod check;
#[path = "cli_live_faults/proxy.rs"]
mod proxy;
#[path = "cli_live_faults/rounds.rs"]
mod rounds;
#[path = "cli_live_faults/servers.rs"]
mod servers;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::time::Duration;

use crate::rounds::{Outcome, run_server};
use crate::servers::{Server, servers};

/// CLI runs allowed for one sync to succeed under faults before the round counts as stuck.
const SYNC_ATTEMPTS: usize = 20;
/// CLI runs allowed for one write (`put`, `rm`) through the proxy.
const WRITE_ATTEMPTS: usize = 10;
/// Every fault kind faultproxy.py injects (its log's `kind` values).
const FAULT_KINDS: [&str; 12] = [
    "http_5xx",
    "http_429",
    "unauthorized_401",
    "close_before",
    "redirect_307",
    "close_after_write",
    "row_status",
    "row_drop",
    "row_duplicate",
    "row_ghost",
    "truncated",
    "keepalive_close",
];
/// A CLI run that takes longer than this is killed and counts as stuck.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn seeds_and_rounds() -> (Vec<u64>, usize) {
    let seeds = std::env::var("DAVKIT_FAULT_SEEDS")
        .ok()
        .map(|s| {
            s.split(',')
                .filter(|x| !x.trim().is_empty())
                .map(|x| x.trim().parse().expect("DAVKIT_FAULT_SEEDS: numbers"))
                .collect()
        })
        .unwrap_or_else(|| (1..=5).collect());
    let rounds = std::env::var("DAVKIT_FAULT_ROUNDS")
        .ok()
        .map(|s| s.parse().expect("DAVKIT_FAULT_ROUNDS: a number"))
        .unwrap_or(6);
    (seeds, rounds)
}

/// Prints where cargo's capture does not hide it (these numbers are the test's report).
fn report(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn cli_sync_converges_through_injected_faults() {
    let (seeds, rounds) = seeds_and_rounds();
    let servers = servers();
    let outcomes: Vec<(Server, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .map(|s| {
                let seeds = seeds.clone();
                scope.spawn(move || (s.clone(), run_server(s, &seeds, rounds)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });

    let mut text = String::from("\nCLI sync through faultproxy.py\n");
    let mut kinds: Vec<&str> = FAULT_KINDS.to_vec();
    for (_, o) in &outcomes {
        for k in o.faults.keys() {
            if !kinds.contains(&k.as_str()) {
                kinds.push(k);
            }
        }
    }
    text.push_str(&format!("  {:<20}", "fault"));
    for (s, _) in &outcomes {
        text.push_str(&format!("{:>10}", s.name));
    }
    text.push('\n');
    for kind in kinds {
        text.push_str(&format!("  {kind:<20}"));
        for (_, o) in &outcomes {
            text.push_str(&format!("{:>10}", o.faults.get(kind).copied().unwrap_or(0)));
        }
        text.push('\n');
    }
    text.push_str(&format!("  {:<20}", "total"));
    for (_, o) in &outcomes {
        text.push_str(&format!("{:>10}", o.faults.values().sum::<usize>()));
    }
    text.push('\n');
    for (s, o) in &outcomes {
        let runs = |m: &BTreeMap<i32, usize>| {
            m.iter()
                .map(|(code, n)| format!("exit {code}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        text.push_str(&format!(
            "  {}: {} seeds x {} rounds x 2 collections = {} checks in {:.1} s: {} lost, {} diverged, \
             {} kept after deletion, {} state mismatches, {} stuck\n    sync runs ({}), writes ({}), \
             {} writes applied although their run failed, {} write outcomes misreported, {} writes \
             stuck\n",
            s.name,
            o.seeds,
            rounds,
            o.checks,
            o.secs,
            o.lost,
            o.diverged,
            o.stale,
            o.state,
            o.stuck,
            runs(&o.sync_runs),
            runs(&o.write_runs),
            o.ambiguous_writes_applied,
            o.write_misreports,
            o.write_stuck,
        ));
        for f in o.failures.iter().take(12) {
            text.push_str(&format!("    FAILED {f}\n"));
        }
        if o.failures.len() > 12 {
            text.push_str(&format!("    ... and {} more\n", o.failures.len() - 12));
        }
    }
    report(&text);
    let failures: Vec<&String> = outcomes.iter().flat_map(|(_, o)| &o.failures).collect();
    assert!(
        failures.is_empty(),
        "{} round(s) failed (replay one seed with DAVKIT_FAULT_SEEDS=N):\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (s, o) in &outcomes {
        assert!(
            o.faults.values().sum::<usize>() > 0,
            "{}: no fault was injected",
            s.name
        );
    }
    // A full run exercises every kind of fault the proxy has (a check of the proxy itself).
    if seeds.len() * rounds >= 30 {
        let seen: BTreeSet<&str> = outcomes
            .iter()
            .flat_map(|(_, o)| o.faults.keys().map(String::as_str))
            .collect();
        let missing: Vec<&str> = FAULT_KINDS
            .iter()
            .copied()
            .filter(|k| !seen.contains(k))
            .collect();
        assert!(missing.is_empty(), "never injected: {missing:?}");
    }
}
