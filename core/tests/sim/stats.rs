//! What the simulation exercised, summed over histories, so a reader sees the faults fire.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::faults::Fault;

/// How often each fault fired, by [`Fault::index`] (an array, whose `Default` stops at 32).
#[derive(Clone, Debug)]
pub struct FaultCounts(pub [u64; Fault::ALL.len()]);

impl Default for FaultCounts {
    fn default() -> Self {
        FaultCounts([0; Fault::ALL.len()])
    }
}

impl std::ops::Deref for FaultCounts {
    type Target = [u64; Fault::ALL.len()];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for FaultCounts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub histories: u64,
    pub histories_by_profile: BTreeMap<&'static str, u64>,
    pub steps: u64,
    pub requests: u64,
    /// Operations by outcome (`sync ok`, `update failed: PreconditionFailed`, ...).
    pub ops: BTreeMap<String, u64>,
    pub faults: FaultCounts,
    pub device_changes: u64,
    /// Device changes made while a client operation was in flight.
    pub concurrent_changes: u64,
    pub sleeps: u64,
    pub slept_ms: u64,
    pub token_refreshes: u64,
    pub writes_applied: u64,
    /// google-carddav: the ETag davkit compared changed before its write landed (the server
    /// ignores If-Match, so only this race can overwrite; counted, not failed).
    pub check_write_races: u64,
    /// A create applied, its answer lost, the object deleted by a device before the read-back,
    /// and the create sent again (the race documented in core/src/ops/write.rs).
    pub create_resurrections: u64,
    /// A create applied, its answer lost, read back as absent from a replica behind, sent
    /// again, and applied again because the server ignored `If-None-Match` that time (the
    /// limit documented in core/src/ops/write.rs; the same data both times).
    pub stale_create_repeats: u64,
    /// Changes the app could not apply and handed back with `SyncState::mark_pending`.
    pub marked_pending: u64,
    pub sync_problems: u64,
    /// Invariant checks made (each after a step or an operation).
    pub checks: u64,
    /// Members compared between mirror, state and server after successful syncs.
    pub members_compared: u64,
    /// Successful syncs during which nothing changed and that reported no problem: after
    /// these the whole mirror must equal the server.
    pub quiet_syncs: u64,
}

impl Stats {
    pub fn op(&mut self, key: impl Into<String>) {
        *self.ops.entry(key.into()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        self.histories += other.histories;
        for (k, v) in &other.histories_by_profile {
            *self.histories_by_profile.entry(k).or_default() += v;
        }
        self.steps += other.steps;
        self.requests += other.requests;
        for (k, v) in &other.ops {
            *self.ops.entry(k.clone()).or_default() += v;
        }
        for (a, b) in self.faults.iter_mut().zip(other.faults.iter()) {
            *a += b;
        }
        self.device_changes += other.device_changes;
        self.concurrent_changes += other.concurrent_changes;
        self.sleeps += other.sleeps;
        self.slept_ms += other.slept_ms;
        self.token_refreshes += other.token_refreshes;
        self.writes_applied += other.writes_applied;
        self.check_write_races += other.check_write_races;
        self.create_resurrections += other.create_resurrections;
        self.stale_create_repeats += other.stale_create_repeats;
        self.marked_pending += other.marked_pending;
        self.sync_problems += other.sync_problems;
        self.checks += other.checks;
        self.members_compared += other.members_compared;
        self.quiet_syncs += other.quiet_syncs;
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} histories ({}), {} steps, {} requests, {} invariant checks, {} members compared \
             after successful syncs ({} syncs with no concurrent change and no problem)",
            self.histories,
            self.histories_by_profile
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.steps,
            self.requests,
            self.checks,
            self.members_compared,
            self.quiet_syncs
        );
        let _ = writeln!(
            out,
            "{} device changes ({} during client operations), {} writes applied by the client, \
             {} check-then-write races (google-carddav), {} create resurrections, {} creates repeated after a \
             stale read, {} retry sleeps ({} ms), {} token \
             refreshes, {} changes marked pending by the app, {} member problems reported",
            self.device_changes,
            self.concurrent_changes,
            self.writes_applied,
            self.check_write_races,
            self.create_resurrections,
            self.stale_create_repeats,
            self.sleeps,
            self.slept_ms,
            self.token_refreshes,
            self.marked_pending,
            self.sync_problems
        );
        let _ = writeln!(out, "operations:");
        for (k, v) in &self.ops {
            let _ = writeln!(out, "  {v:>8}  {k}");
        }
        let _ = writeln!(out, "faults injected:");
        for (f, n) in Fault::ALL.iter().zip(self.faults.iter()) {
            let _ = writeln!(out, "  {n:>8}  {f:?}");
        }
        out
    }
}
