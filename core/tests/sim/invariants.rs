//! The invariants, checked after every operation of every history. Each returns the first
//! violation it finds; the runner prints it with the seed and stops that history.
//!
//! 1. After a successful sync, every member nothing touched while the sync ran, and that is
//!    not pending in the returned state, is in the mirror exactly as on the server (presence,
//!    ETag, data), and the state holds its ETag. With no concurrent change and no problem
//!    reported that is "the mirror equals the server". A batched sync runs from the batch
//!    that listed (the later ones fetch what it listed) to the one that returns `more` false.
//! 2. A failed sync changes neither the mirror nor the stored state; once faults stop, the
//!    next successful sync converges (mirror, state and server agree, nothing pending) and a
//!    sync after it reports no change.
//! 3. No `Deleted` for a member that exists and was not deleted while the sync ran; no change
//!    reported twice; every delivered object is a version the server really stored.
//! 4. Writes carry the precondition their profile needs, are applied at most once, overwrite
//!    only the version the client read (checked on the wire, `world.rs`), and their reported
//!    outcome is what the server did. Two races that no client can rule out are counted, not
//!    failed: google-carddav's check-then-write, and a create applied with its answer lost and
//!    deleted by another device before the read-back (sent again, or sent again and refused:
//!    `create_resurrections`).
//! 5. Every operation ends within its stated request bound (checked on the wire, `world.rs`).

use std::collections::{BTreeSet, HashSet};

use davkit::{Change, Error, ErrorKind, SyncResult, WriteResult};

use crate::client::AppColl;
use crate::server::Server;
use crate::stats::Stats;
use crate::world::{LoggedWrite, OpTrack};

/// A broken invariant: its number and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: u8,
    pub what: String,
}

pub fn fail<T>(invariant: u8, what: String) -> Result<T, Violation> {
    Err(Violation { invariant, what })
}

/// What a history run under `catch_unwind` found: nothing, its broken invariant, or a panic
/// (invariant 0: the library or the model panicked).
pub fn outcome(run: std::thread::Result<Result<(), Violation>>) -> Option<Violation> {
    match run {
        Ok(Ok(())) => None,
        Ok(Err(v)) => Some(v),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".into());
            Some(Violation {
                invariant: 0,
                what: format!("the history panicked: {what}"),
            })
        }
    }
}

/// The member name a URL names inside collection `coll`.
fn name_in(server: &Server, coll: usize, url: &str) -> Option<String> {
    match server.target(url) {
        Some((c, Some(name))) if c == coll => Some(name),
        _ => None,
    }
}

/// Invariant 3, on a sync's result before the app applies it.
pub fn sync_result(server: &Server, op: &OpTrack, result: &SyncResult) -> Result<(), Violation> {
    let coll = op.coll;
    let mut seen = HashSet::new();
    for change in &result.changes {
        let url = change.url();
        let Some(name) = name_in(server, coll, url) else {
            return fail(
                3,
                format!(
                    "{}: a change for {url}, which is not a member of c{coll}",
                    op.label
                ),
            );
        };
        if !seen.insert(name.clone()) {
            return fail(
                3,
                format!("{}: {name} is reported twice in one result", op.label),
            );
        }
        match change {
            Change::Deleted { .. } => {
                let deleted_during = server.colls[coll]
                    .last_delete
                    .get(&name)
                    .is_some_and(|e| *e > op.start_event);
                if server.colls[coll].members.contains_key(&name) && !deleted_during {
                    return fail(
                        3,
                        format!(
                            "{}: reported {name} deleted, but it exists on the server ({}) and \
                             was not deleted while the sync ran",
                            op.label, server.colls[coll].members[&name].etag
                        ),
                    );
                }
            }
            Change::Added(o) | Change::Changed(o) => {
                let Some(data) = &o.data else {
                    return fail(3, format!("{}: {name} reported without its data", op.label));
                };
                let real = match &o.etag {
                    Some(etag) => {
                        server.versions.get(&(coll, name.clone(), etag.clone())) == Some(data)
                    }
                    None => server
                        .versions
                        .iter()
                        .any(|((c, n, _), d)| *c == coll && *n == name && d == data),
                };
                if !real {
                    return fail(
                        3,
                        format!(
                            "{}: delivered {name} with ETag {:?} and data the server never stored \
                             under that ETag",
                            op.label, o.etag
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// Invariants 1 and 2: the mirror and the state agree with the server for every member not
/// touched since `since_event` (all members when `None`) and not pending. Returns how many
/// members were compared.
pub fn converged(
    server: &Server,
    app: &AppColl,
    since_event: Option<u64>,
    invariant: u8,
    label: &str,
) -> Result<usize, Violation> {
    let coll = app.coll;
    let mut compared = 0;
    let pending: BTreeSet<String> = app
        .state
        .pending
        .iter()
        .filter_map(|h| name_in(server, coll, h))
        .collect();
    if since_event.is_none() && !pending.is_empty() {
        return fail(
            invariant,
            format!("{label}: members still pending after a sync without faults: {pending:?}"),
        );
    }
    let mut state_etags = std::collections::BTreeMap::new();
    for (href, etag) in &app.state.etags {
        match name_in(server, coll, href) {
            Some(name) => {
                state_etags.insert(name, etag.clone());
            }
            None => {
                return fail(
                    invariant,
                    format!("{label}: the state lists {href}, outside c{coll}"),
                );
            }
        }
    }
    let members = &server.colls[coll].members;
    let names: BTreeSet<&String> = members
        .keys()
        .chain(app.mirror.keys())
        .chain(state_etags.keys())
        .collect();
    for name in names {
        if pending.contains(name) {
            continue;
        }
        if let Some(since) = since_event
            && server.colls[coll]
                .last_event
                .get(name.as_str())
                .is_some_and(|e| *e > since)
        {
            continue;
        }
        compared += 1;
        let on_server = members.get(name);
        let local = app.mirror.get(name);
        let agree = match (on_server, local) {
            (None, None) => true,
            (Some(s), Some(l)) => l.etag.as_deref() == Some(s.etag.as_str()) && l.data == s.data,
            _ => false,
        };
        if !agree {
            return fail(
                invariant,
                format!(
                    "{label}: c{coll}/{name}: the mirror has {} but the server has {}",
                    local.map_or("nothing".into(), |l| format!(
                        "{:?} ({} bytes)",
                        l.etag,
                        l.data.len()
                    )),
                    on_server.map_or("nothing".into(), |s| format!(
                        "{} ({} bytes)",
                        s.etag,
                        s.data.len()
                    )),
                ),
            );
        }
        if state_etags.get(name) != on_server.map(|s| &s.etag) {
            return fail(
                invariant,
                format!(
                    "{label}: c{coll}/{name}: the stored state says {:?} but the server has {:?}",
                    state_etags.get(name),
                    on_server.map(|s| &s.etag)
                ),
            );
        }
    }
    Ok(compared)
}

/// What the app asked a write to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
    Delete,
}

/// Invariant 4: the outcome davkit reported for a write is what the server did.
pub fn write_outcome(
    server: &Server,
    writes: &[LoggedWrite],
    op: &OpTrack,
    kind: WriteKind,
    outcome: Result<Option<&WriteResult>, &Error>,
    stats: &mut Stats,
) -> Result<(), Violation> {
    let mut applied: Vec<&LoggedWrite> = writes
        .iter()
        .filter(|w| w.intent.is_some() && w.intent == op.intent)
        .collect();
    let label = &op.label;
    if applied.len() == 2 && kind == WriteKind::Create && op.stale_read && op.replaced_by_fault {
        // The documented limit (core/src/ops/write.rs): a create applied, its answer lost, read
        // back as absent from a replica behind, sent once more with `If-None-Match: *`, which
        // the server ignored that time, so it applied the same data twice. Counted, not failed.
        stats.stale_create_repeats += 1;
        applied.remove(0);
    } else if applied.len() == 2 && kind == WriteKind::Create && op.concurrent > 0 {
        // The documented race (core/src/ops/write.rs): a create applied, its answer lost, and
        // the new object deleted by another device before davkit read it back (404), so the
        // create was sent once more. Counted, not failed, like the check-then-write races.
        stats.create_resurrections += 1;
        applied.remove(0);
    } else if applied.len() == 1
        && kind == WriteKind::Create
        && op.concurrent > 0
        && outcome.is_err()
        && !server.colls[applied[0].write.coll]
            .members
            .contains_key(&applied[0].write.name)
    {
        // The same race, with the create sent once more and refused (a 429, a 503): davkit
        // reports what the second attempt met, and the server holds nothing, as that error
        // says (found with SIM_FIRST_SEED, seed 2151858).
        stats.create_resurrections += 1;
        applied.clear();
    }
    if applied.len() > 1 {
        return fail(
            4,
            format!(
                "{label}: the server applied this write {} times",
                applied.len()
            ),
        );
    }
    match outcome {
        Ok(result) => {
            let Some(w) = applied.first() else {
                return fail(
                    4,
                    format!("{label}: reported success, but the server applied nothing"),
                );
            };
            let Some(r) = result else { return Ok(()) };
            let w = &w.write;
            if name_in(server, w.coll, &r.url).as_ref() != Some(&w.name) {
                return fail(
                    4,
                    format!(
                        "{label}: reported URL {} but the server wrote {}",
                        r.url, w.name
                    ),
                );
            }
            let key = |etag: &String| (w.coll, w.name.clone(), etag.clone());
            let real = match (&r.etag, &r.data) {
                (Some(etag), Some(data)) => server.versions.get(&key(etag)) == Some(data),
                // No read-back: the ETag must be the one this write produced.
                (Some(etag), None) => w.new_etag.as_ref() == Some(etag),
                (None, _) => true,
            };
            if !real {
                return fail(
                    4,
                    format!(
                        "{label}: reported ETag {:?} (data {}) that is no version of {}",
                        r.etag,
                        if r.data.is_some() { "given" } else { "absent" },
                        w.name
                    ),
                );
            }
            if kind == WriteKind::Create && r.replaced != w.replaced.is_some() {
                return fail(
                    4,
                    format!(
                        "{label}: reported replaced={} but the create {} (server ignored \
                         If-None-Match: {})",
                        r.replaced,
                        if w.replaced.is_some() {
                            "replaced an existing member"
                        } else {
                            "made a new member"
                        },
                        op.replaced_by_fault
                    ),
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::Transport => Ok(()),
        Err(e) => match applied.first() {
            None => Ok(()),
            Some(_) => fail(
                4,
                format!(
                    "{label}: reported {} ({}) but the server applied the write",
                    e.kind(),
                    e.message()
                ),
            ),
        },
    }
}
