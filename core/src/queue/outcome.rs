//! What a flush reports: one [`Outcome`] per entry it finished, how each write came about
//! ([`Resolved`]), the app's conflict hook ([`ConflictHook`]) and the [`FlushResult`].

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::href;
use crate::model::{DavObject, Recorded, SyncState};

use super::{Entry, Policy, WriteQueue};

/// How a write of the flush came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolved {
    /// Written on the version it was made on.
    Clean,
    /// The server already held it (an earlier flush applied it and was cut off, or another
    /// device wrote the same): nothing was written again.
    AlreadyApplied,
    /// A conflict, resolved by writing the local side ([`Policy::LocalWins`], or
    /// [`Policy::NewestWins`] when the local side was newer).
    LocalWins,
    /// A conflict, resolved by writing the three-way merge ([`Policy::Merge`]).
    Merged,
}

/// What a flush did with one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The entry.
    pub id: u64,
    /// The entry's [`Entry::rev`] when the flush started.
    pub rev: u64,
    /// The object's URL on the server (after a POST, the URL the server picked).
    pub url: String,
    /// The entry's URL as queued (before a sync moved it: [`Entry::moved_from`]). When it
    /// differs from `url`, the object is at `url` now (a create the server named, or an
    /// object recreated by POST after it was deleted), and nothing is left at this one. An
    /// entry a conflict or failure leaves in the queue keeps answering for this URL, and the
    /// outcome that finally takes it out names it again.
    pub queued_url: String,
    /// What happened.
    pub kind: OutcomeKind,
}

/// What happened to an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum OutcomeKind {
    /// The object holds the entry's data (or a merge of it): the entry left the queue.
    Written {
        /// The new ETag, when the server gave one. With [`Resolved::AlreadyApplied`] it came
        /// from a read, not a write: record it with
        /// [`SyncState::record_read`](crate::SyncState::record_read) (as
        /// [`FlushResult::record_in`] does), so the next sync checks it.
        etag: Option<String>,
        /// The object as the server holds it when it was read back, else what was written.
        data: Option<String>,
        /// How the write came about.
        how: Resolved,
        /// The write was a create, and the server answered 200 or 204 instead of 201: it
        /// ignored `If-None-Match: *` and replaced an object that was already at that URL
        /// (someone else's, which is gone now): [`WriteResult::replaced`]. Never set for a
        /// clean create, an update, or a write found already applied. Absent from results
        /// stored before it existed: read as `false`.
        ///
        /// [`WriteResult::replaced`]: crate::WriteResult::replaced
        #[serde(default)]
        replaced: bool,
    },
    /// The object is deleted: the entry left the queue.
    Deleted {
        /// It was gone already (deleted by an earlier flush, or by another device).
        already_gone: bool,
        /// How the delete came about.
        how: Resolved,
    },
    /// The policy kept the server's version and dropped the local change (the entry left
    /// the queue).
    ServerKept {
        /// The local change that was dropped (`None`: a deletion).
        local: Option<String>,
        /// The server's version (`None`: gone), for the mirror: a read's answer, so record it
        /// with [`SyncState::record_read`](crate::SyncState::record_read) (as
        /// [`FlushResult::record_in`] does), so the next sync checks it.
        server: Option<DavObject>,
        /// The policy that decided.
        policy: Policy,
    },
    /// Both sides kept: the entry stays queued, marked conflicted, until resolved.
    Conflict {
        /// The local change (`None`: a deletion).
        local: Option<String>,
        /// The version it was made on, when known.
        base: Option<String>,
        /// The server's version (`None`: gone).
        server: Option<DavObject>,
        /// A short explanation.
        reason: String,
    },
    /// The server refused the change for good: the entry stays queued, marked failed.
    Failed {
        /// The error.
        error: Error,
    },
}

/// A conflict as a [`ConflictHook`] sees it: the entry, both versions and the base.
#[derive(Clone, Copy, Debug)]
pub struct ConflictCase<'a> {
    /// The queued entry (as the flush is writing it: a rebase may have moved its base).
    pub entry: &'a Entry,
    /// The local change (`None`: a deletion).
    pub local: Option<&'a str>,
    /// The version the change was made on, when the app gave it.
    pub base: Option<&'a str>,
    /// The server's version (`None`: the object is gone on the server).
    pub server: Option<&'a DavObject>,
    /// The policy that applies when the hook does not decide (the entry's, else the queue's).
    pub policy: Policy,
    /// A short explanation.
    pub reason: &'a str,
}

/// What a [`ConflictHook`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookDecision {
    /// Keep both sides, as [`Policy::KeepBoth`] does: the entry stays queued, conflicted.
    KeepBoth,
    /// The server's version stays; reported as [`OutcomeKind::ServerKept`] with
    /// [`Policy::ServerWins`].
    KeepServer,
    /// The local change is written over the server's version (as [`Policy::LocalWins`]).
    KeepLocal,
    /// This data (the app's merge) is written over the server's version (`If-Match` on the
    /// ETag just read, or `If-None-Match: *` when the object is gone), reported as
    /// [`Resolved::Merged`].
    Write(String),
}

/// The app's own conflict resolution, consulted for every conflict a flush meets before the
/// policy is ([`Flush::with_hook`](super::Flush::with_hook),
/// [`DavClient::flush_with`](crate::DavClient::flush_with)): `Some` decides, `None` leaves it
/// to the entry's [`Policy`].
///
/// ```
/// use std::sync::Arc;
/// use davkit::queue::{ConflictCase, ConflictHook, HookDecision, merge};
///
/// // Merge field by field; when both sides changed the same field, keep the server's.
/// let hook: ConflictHook = Arc::new(|c: &ConflictCase<'_>| {
///     let (local, base, server) = (c.local?, c.base?, c.server?.data.as_deref()?);
///     Some(match merge::merge(base, local, server) {
///         Some(merged) => HookDecision::Write(merged),
///         None => HookDecision::KeepServer,
///     })
/// });
/// # let _ = hook;
/// ```
pub type ConflictHook =
    std::sync::Arc<dyn Fn(&ConflictCase<'_>) -> Option<HookDecision> + Send + Sync>;

/// What a flush returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushResult {
    /// The queue given to the flush with the outcomes applied: store it (or
    /// [`WriteQueue::apply`] this result to a queue edited while the flush ran).
    pub queue: WriteQueue,
    /// One outcome per entry the flush finished, in order.
    pub outcomes: Vec<Outcome>,
    /// The error that stopped the flush early (offline, rate-limited, a server error, a
    /// refusal for now: 408, 421, 425), else the first 423 Locked, which held back its entry
    /// and the later ones of its collection or its UID while the flush went on; the entries
    /// not finished stay queued and pending for the next flush.
    #[serde(default)]
    pub stopped: Option<Error>,
    /// Entries left pending because a read answered what one answer cannot settle (see
    /// [`Entry::read_once`]): the next flush reads again. [`WriteQueue::apply`] notes each
    /// answer on its entry (the result's `queue` has them noted already). Absent from results
    /// stored before it existed: read as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_once: Vec<ReadOnce>,
}

/// A read's answer that left its entry pending until the next flush's read answers the same
/// ([`Entry::read_once`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOnce {
    /// The entry.
    pub id: u64,
    /// The entry's [`Entry::rev`] when the flush started: an entry edited since is not noted.
    pub rev: u64,
    /// What the read answered: an ETag, or `404`.
    pub answer: String,
}

impl FlushResult {
    /// Records in a collection's sync state what the flush left on the server (written,
    /// deleted, the server's version kept), so the next sync does not report the app's own
    /// writes back. A version the flush read rather than wrote (a write found already applied,
    /// the server's version kept) is recorded as [`SyncState::record_read`] does: the next
    /// sync fetches it again, as a replica behind the server may have answered that read with
    /// an older version. Outcomes of other collections are left out.
    pub fn record_in(&self, state: &mut SyncState) {
        let base = href::normalize(&state.collection_url);
        let base = base.trim_end_matches('/');
        let mut records = Vec::new();
        for o in &self.outcomes {
            let url = href::normalize(&o.url);
            let inside = url
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1);
            if !inside {
                continue;
            }
            match &o.kind {
                // Found already applied: the version came from a read, which a replica behind
                // may have answered (`SyncState::record_read`).
                OutcomeKind::Written {
                    etag,
                    how: Resolved::AlreadyApplied,
                    ..
                } => records.push(Recorded::Read(&o.url, etag.as_deref())),
                OutcomeKind::Written { etag, .. } => {
                    records.push(Recorded::Write(&o.url, etag.as_deref()));
                }
                OutcomeKind::Deleted { .. } => records.push(Recorded::Delete(&o.url)),
                OutcomeKind::ServerKept { server, .. } => match server {
                    Some(obj) => records.push(Recorded::Read(&obj.url, obj.etag.as_deref())),
                    None => records.push(Recorded::Delete(&o.url)),
                },
                OutcomeKind::Conflict { .. } | OutcomeKind::Failed { .. } => {}
            }
        }
        // All at once: each stored href is normalised once for the whole flush.
        state.record_all(&records);
    }
}
