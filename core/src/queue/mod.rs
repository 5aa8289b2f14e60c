//! Offline edits: a write queue the app stores as JSON (like [`SyncState`]), that coalesces
//! edits of the same object, and a flush ([`Session::flush`](crate::Session::flush)) that sends
//! it with the write preconditions of [`write`](crate::ops::write) and resolves conflicts by a
//! [`Policy`].
//!
//! The life of a queue:
//!
//! 1. The app edits offline: [`WriteQueue::enqueue_create`], [`enqueue_update`](WriteQueue::enqueue_update)
//!    and [`enqueue_delete`](WriteQueue::enqueue_delete) record each change against the version
//!    it was made on (its ETag, and its data for a merge). Changes of one object coalesce into
//!    one entry (table below). Store [`WriteQueue::to_json`] after each change.
//! 2. Back online: [`WriteQueue::begin_flush`] marks every pending entry as being sent and
//!    returns the JSON to store **before** the flush starts. After a crash the stored queue says
//!    which entries may already be on the server, and the flush verifies them before writing:
//!    a PUT or DELETE is conditional anyway (a 412 is followed by a read: the server holds our
//!    data = it was applied), and a create by POST (Google Contacts) is looked up by UID before
//!    it is posted again. Nothing is created twice or applied twice.
//! 3. [`Session::flush`](crate::Session::flush) (or [`DavClient::flush`](crate::DavClient::flush))
//!    sends the entries in order and returns a [`FlushResult`]: the queue without the entries
//!    the server confirmed, and one [`Outcome`] per entry it finished. A flush stops at the first
//!    transport, rate-limit or server error (the rest stays queued). Apply the outcomes to the
//!    mirror (and [`FlushResult::record_in`] a [`SyncState`]), store `result.queue`; or, when
//!    the app edited while the flush ran, [`WriteQueue::apply`] the result to the queue it holds.
//! 4. Conflicts (a 412, or the object changed or gone on the server) are resolved by the entry's
//!    [`Policy`] (per entry, else the queue's). The default, [`Policy::KeepBoth`], keeps the entry
//!    queued and marked conflicted with the server's version, reports both versions, and skips it
//!    in later flushes until [`WriteQueue::resolve`] is called. No policy drops a side silently:
//!    [`Policy::ServerWins`] reports the local change it dropped as [`OutcomeKind::ServerKept`].
//!
//! | queued        | then           | becomes                                          |
//! |---------------|----------------|--------------------------------------------------|
//! | create        | update         | create with the new data                         |
//! | create        | delete         | nothing (or, if a flush may have sent the create, a delete of what it created) |
//! | update        | update         | the last update, on the first base               |
//! | update        | delete         | delete on the first base                         |
//! | delete        | create         | update on the first base with the new data       |
//! | delete        | update, delete | refused ([`ErrorKind::InvalidInput`])            |
//! | create/update | create         | refused ([`ErrorKind::InvalidInput`])            |
//!
//! With a sync: [`WriteQueue::split_changes`] holds back the server changes to objects with
//! queued local changes (the flush resolves them by policy), so a sync never overwrites a local
//! edit in the mirror.

mod flush;
pub mod merge;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::model::{Change, DavObject, SyncState};

pub use flush::Flush;

/// The version of the queue's JSON format this build writes and reads.
pub const QUEUE_FORMAT: u32 = 1;

/// Most entries a queue holds; more is an [`ErrorKind::LimitExceeded`] error.
pub const MAX_ENTRIES: usize = 100_000;

/// Most earlier data versions an entry remembers as possibly sent (see [`Entry::sent`]).
const MAX_SENT: usize = 8;

/// How a conflict is resolved (a 412, or the object changed or gone on the server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Keep both sides: the entry stays queued, marked conflicted with the server's version,
    /// reported as [`OutcomeKind::Conflict`] and skipped by later flushes until
    /// [`WriteQueue::resolve`].
    #[default]
    KeepBoth,
    /// The server's version stays; the local change is dropped and reported
    /// ([`OutcomeKind::ServerKept`], with the server's version for the mirror).
    ServerWins,
    /// The local change is written over the server's version, still conditionally: `If-Match`
    /// on the ETag just read, or `If-None-Match: *` to recreate an object that is gone.
    LocalWins,
    /// The side with the later `LAST-MODIFIED` (else `DTSTAMP`) or vCard `REV` wins; a tie, a
    /// missing time, or a side that is a deletion keeps both.
    NewestWins,
    /// A field-level three-way merge ([`merge::merge`]) of base, local and server when the
    /// sides changed different properties (written with `If-Match`); otherwise both are kept.
    Merge,
}

/// The change an entry makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EntryOp {
    /// Create the object.
    Create {
        /// The iCalendar or vCard text.
        data: String,
    },
    /// Replace the object.
    Update {
        /// The iCalendar or vCard text.
        data: String,
    },
    /// Delete the object.
    Delete,
}

impl EntryOp {
    /// The data written, if any.
    pub fn data(&self) -> Option<&str> {
        match self {
            EntryOp::Create { data } | EntryOp::Update { data } => Some(data),
            EntryOp::Delete => None,
        }
    }
}

/// Where an entry stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum EntryState {
    /// Waiting for a flush.
    #[default]
    Pending,
    /// The server's version differs from the one the change was made on, and the policy kept
    /// both: skipped by flushes until [`WriteQueue::resolve`].
    Conflict {
        /// The server's version (`None`: the object is gone on the server).
        server: Option<DavObject>,
        /// A short explanation.
        reason: String,
    },
    /// The server refused the change for good (a 403, data it does not store, ...): skipped
    /// by flushes until [`WriteQueue::resolve`] (keep local to try again, keep server to drop).
    Failed {
        /// The error.
        error: Error,
    },
}

/// One queued change of one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's id in this queue.
    pub id: u64,
    /// Bumped by every change of the entry (coalescing, resolving), so
    /// [`WriteQueue::apply`] can tell an entry edited while a flush ran.
    pub rev: u64,
    /// The collection's URL.
    pub collection_url: String,
    /// The object's URL. For a create, the collection's URL and the name given (a server that
    /// picks names, like Google's, may store it elsewhere: the outcome says where).
    pub url: String,
    /// The change.
    pub op: EntryOp,
    /// The ETag of the version the change was made on (`None` for a create).
    pub base_etag: Option<String>,
    /// The data of that version, when the app gave it (needed by [`Policy::Merge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_data: Option<String>,
    /// This entry's policy, over the queue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// How many flushes were begun ([`WriteQueue::begin_flush`]) with this entry in them: more
    /// than one means an earlier flush may have applied it, which a flush verifies first.
    #[serde(default)]
    pub runs: u32,
    /// The data this entry may already have written (each version a flush was begun with),
    /// so a flush recognises its own earlier write on the server after a crash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<String>,
    /// Pending, conflicted or failed.
    #[serde(default)]
    pub state: EntryState,
}

impl Entry {
    fn key(&self) -> String {
        href::normalize(&self.url)
    }

    /// Whether the flush begun last covers the entry as it is now.
    fn ready(&self) -> bool {
        self.runs > 0
            && self
                .op
                .data()
                .is_none_or(|d| self.sent.iter().any(|s| s == d))
    }
}

/// A resolution of a conflicted or failed entry ([`WriteQueue::resolve`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum Resolution {
    /// Drop the local change: the entry leaves the queue (the app takes the server's version,
    /// which the conflict carries).
    KeepServer,
    /// Write the local change over the server's version seen in the conflict (`If-Match` its
    /// ETag; recreated with `If-None-Match` when it was gone). On a failed entry: try again.
    KeepLocal,
    /// Write this data (the app merged the two) over the server's version seen in the conflict.
    Replace(String),
}

/// The offline write queue: plain data, stored as JSON by the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteQueue {
    /// The format version ([`QUEUE_FORMAT`]).
    pub format: u32,
    /// The policy of entries that have none of their own.
    #[serde(default)]
    pub policy: Policy,
    #[serde(default = "one")]
    next_id: u64,
    #[serde(default)]
    entries: Vec<Entry>,
}

fn one() -> u64 {
    1
}

impl Default for WriteQueue {
    fn default() -> Self {
        WriteQueue::new()
    }
}

/// A server change held back from the mirror because the object has a queued local change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldChange {
    /// The queued entry.
    pub entry: u64,
    /// The server's change.
    pub change: Change,
}

/// The changes of a sync split by [`WriteQueue::split_changes`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitChanges {
    /// Changes to apply to the mirror: no local change is queued for them.
    pub apply: Vec<Change>,
    /// Changes to objects with a queued local change: not applied (the local edit stays what
    /// the app shows); the flush meets the server's version and resolves it by policy.
    pub held: Vec<HeldChange>,
}

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
    /// The entry's URL as queued. When it differs from `url`, the object is at `url` now (a
    /// create the server named, or an object recreated by POST after it was deleted), and
    /// nothing is left at this one.
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
        /// The new ETag, when the server gave one.
        etag: Option<String>,
        /// The object as the server holds it when it was read back, else what was written.
        data: Option<String>,
        /// How the write came about.
        how: Resolved,
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
        /// The server's version (`None`: gone), for the mirror.
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
/// policy is ([`Flush::with_hook`], [`DavClient::flush_with`](crate::DavClient::flush_with)):
/// `Some` decides, `None` leaves it to the entry's [`Policy`].
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
    /// The error that stopped the flush early (offline, rate-limited, a server error); the
    /// entries not finished stay queued for the next flush.
    #[serde(default)]
    pub stopped: Option<Error>,
}

impl FlushResult {
    /// Records in a collection's sync state what the flush left on the server (written,
    /// deleted, the server's version kept), so the next sync does not report the app's own
    /// writes back. Outcomes of other collections are left out.
    pub fn record_in(&self, state: &mut SyncState) {
        let base = href::normalize(&state.collection_url);
        let base = base.trim_end_matches('/');
        for o in &self.outcomes {
            let url = href::normalize(&o.url);
            let inside = url
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1);
            if !inside {
                continue;
            }
            match &o.kind {
                OutcomeKind::Written { etag, .. } => {
                    state.record_write(&crate::model::WriteResult {
                        url: o.url.clone(),
                        etag: etag.clone(),
                        data: None,
                        replaced: false,
                    });
                }
                OutcomeKind::Deleted { .. } => state.record_delete(&o.url),
                OutcomeKind::ServerKept { server, .. } => match server {
                    Some(obj) => state.record_write(&crate::model::WriteResult {
                        url: obj.url.clone(),
                        etag: obj.etag.clone(),
                        data: None,
                        replaced: false,
                    }),
                    None => state.record_delete(&o.url),
                },
                OutcomeKind::Conflict { .. } | OutcomeKind::Failed { .. } => {}
            }
        }
    }
}

impl WriteQueue {
    /// An empty queue with the default policy ([`Policy::KeepBoth`]).
    pub fn new() -> Self {
        WriteQueue {
            format: QUEUE_FORMAT,
            policy: Policy::KeepBoth,
            next_id: 1,
            entries: Vec::new(),
        }
    }

    /// An empty queue with this policy.
    pub fn with_policy(policy: Policy) -> Self {
        WriteQueue {
            policy,
            ..WriteQueue::new()
        }
    }

    /// The entries, in the order they are flushed.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One entry.
    pub fn entry(&self, id: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry queued for an object, by URL (any spelling of it).
    pub fn entry_for(&self, url: &str) -> Option<&Entry> {
        let key = href::normalize(url);
        self.entries.iter().find(|e| e.key() == key)
    }

    /// The queue as JSON.
    pub fn to_json(&self) -> String {
        // Plain strings, numbers and enums: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a queue from JSON; a format newer than this build, or more than
    /// [`MAX_ENTRIES`] entries, is refused.
    pub fn from_json(json: &str) -> Result<Self> {
        let queue: WriteQueue = serde_json::from_str(json).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("not a davkit write queue: {e}"),
            )
        })?;
        if queue.format == 0 || queue.format > QUEUE_FORMAT {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "write queue format {} is not supported (this build reads {QUEUE_FORMAT})",
                    queue.format
                ),
            ));
        }
        if queue.entries.len() > MAX_ENTRIES {
            return Err(too_many());
        }
        let mut ids = std::collections::HashSet::new();
        for e in &queue.entries {
            if !ids.insert(e.id) || e.id >= queue.next_id {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "the write queue has duplicate or out-of-range entry ids",
                ));
            }
        }
        Ok(queue)
    }

    /// Queues the creation of an object named `name` in a collection. Coalesces with a queued
    /// deletion of the same object (into an update on that deletion's base).
    pub fn enqueue_create(&mut self, collection_url: &str, name: &str, data: &str) -> Result<u64> {
        let collection = href::as_collection(&absolute(collection_url)?);
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "an object name must be non-empty, not `.` or `..`, and contain no '/'",
            ));
        }
        let url = collection
            .join(&href::encode_segment(name))
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad name: {e}")))?;
        let data = data.to_owned();
        let key = href::normalize(url.as_str());
        if let Some(e) = self.entries.iter_mut().find(|e| e.key() == key) {
            match &e.op {
                EntryOp::Delete => {
                    // Deleted then created again: an update of the version the delete was made
                    // on; or, after a create the flush may have sent, a create again.
                    e.op = if e.base_etag.is_some() {
                        EntryOp::Update { data }
                    } else {
                        EntryOp::Create { data }
                    };
                    e.rev += 1;
                    return Ok(e.id);
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "this object is already queued to be created or updated",
                    )
                    .with_url(url.as_str()));
                }
            }
        }
        self.push(
            collection.to_string(),
            url.to_string(),
            EntryOp::Create { data },
            None,
            None,
        )
    }

    /// Queues an update of an object, made on the version with ETag `base_etag` (and, for
    /// [`Policy::Merge`], data `base_data`). On a queued create it changes the data created;
    /// on a queued update it keeps that update's base.
    pub fn enqueue_update(
        &mut self,
        url: &str,
        data: &str,
        base_etag: &str,
        base_data: Option<&str>,
    ) -> Result<u64> {
        let parsed = absolute(url)?;
        let key = href::normalize(parsed.as_str());
        let data = data.to_owned();
        if let Some(e) = self.entries.iter_mut().find(|e| e.key() == key) {
            match &mut e.op {
                EntryOp::Create { data: d } | EntryOp::Update { data: d } => {
                    *d = data;
                    e.rev += 1;
                    return Ok(e.id);
                }
                EntryOp::Delete => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "this object is queued to be deleted: an update after it is refused",
                    )
                    .with_url(url));
                }
            }
        }
        crate::ops::write::require_etag(base_etag)?;
        self.push(
            parent(&parsed),
            parsed.to_string(),
            EntryOp::Update { data },
            Some(base_etag.trim().to_owned()),
            base_data.map(str::to_owned),
        )
    }

    /// Queues the deletion of an object, made on the version with ETag `base_etag`. A queued
    /// create of it is dropped (nothing reaches the server), unless a flush may already have
    /// sent it: then the flush deletes what it created, and only that.
    pub fn enqueue_delete(
        &mut self,
        url: &str,
        base_etag: &str,
        base_data: Option<&str>,
    ) -> Result<u64> {
        let parsed = absolute(url)?;
        let key = href::normalize(parsed.as_str());
        if let Some(index) = self.entries.iter().position(|e| e.key() == key) {
            let e = &mut self.entries[index];
            match &e.op {
                EntryOp::Create { .. } if e.runs == 0 => {
                    let id = e.id;
                    self.entries.remove(index);
                    return Ok(id);
                }
                EntryOp::Create { .. } | EntryOp::Update { .. } => {
                    e.op = EntryOp::Delete;
                    e.rev += 1;
                    return Ok(e.id);
                }
                EntryOp::Delete => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "this object is already queued to be deleted",
                    )
                    .with_url(url));
                }
            }
        }
        crate::ops::write::require_etag(base_etag)?;
        self.push(
            parent(&parsed),
            parsed.to_string(),
            EntryOp::Delete,
            Some(base_etag.trim().to_owned()),
            base_data.map(str::to_owned),
        )
    }

    /// Sets one entry's policy (`None`: the queue's).
    pub fn set_entry_policy(&mut self, id: u64, policy: Option<Policy>) -> Result<()> {
        let e = self.entry_mut(id)?;
        e.policy = policy;
        e.rev += 1;
        Ok(())
    }

    fn push(
        &mut self,
        collection_url: String,
        url: String,
        op: EntryOp,
        base_etag: Option<String>,
        base_data: Option<String>,
    ) -> Result<u64> {
        if self.entries.len() >= MAX_ENTRIES {
            return Err(too_many());
        }
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push(Entry {
            id,
            rev: 0,
            collection_url,
            url,
            op,
            base_etag,
            base_data,
            policy: None,
            runs: 0,
            sent: Vec::new(),
            state: EntryState::Pending,
        });
        Ok(id)
    }

    fn entry_mut(&mut self, id: u64) -> Result<&mut Entry> {
        self.entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("no queue entry {id}")))
    }

    /// Marks every pending entry as being sent by the flush about to start and returns the
    /// queue's JSON: **store it before the flush sends anything**. After a crash, the stored
    /// queue tells the next flush which entries may already be on the server.
    pub fn begin_flush(&mut self) -> String {
        for e in &mut self.entries {
            if e.state != EntryState::Pending {
                continue;
            }
            e.runs = e.runs.saturating_add(1);
            if let Some(data) = e.op.data()
                && !e.sent.iter().any(|s| s == data)
            {
                if e.sent.len() >= MAX_SENT {
                    e.sent.remove(0);
                }
                e.sent.push(data.to_owned());
            }
        }
        self.to_json()
    }

    /// Resolves a conflicted or failed entry (see [`Resolution`]).
    pub fn resolve(&mut self, id: u64, resolution: Resolution) -> Result<()> {
        let index = self
            .entries
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("no queue entry {id}")))?;
        let e = &mut self.entries[index];
        let server = match &e.state {
            EntryState::Pending => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("queue entry {id} has no conflict or failure to resolve"),
                ));
            }
            EntryState::Conflict { server, .. } => Some(server.clone()),
            EntryState::Failed { .. } => None,
        };
        let data = match resolution {
            Resolution::KeepServer => {
                self.entries.remove(index);
                return Ok(());
            }
            Resolution::KeepLocal => e.op.data().map(str::to_owned),
            Resolution::Replace(data) => Some(data),
        };
        e.rev += 1;
        e.state = EntryState::Pending;
        match server {
            // A failed entry: try again (with the new data, if any).
            None => {
                if let (Some(d), EntryOp::Create { data } | EntryOp::Update { data }) =
                    (data, &mut e.op)
                {
                    *data = d;
                }
            }
            // Over the server's version seen in the conflict.
            Some(Some(obj)) => {
                e.url = obj.url.clone();
                e.base_etag = obj.etag.clone();
                e.base_data = obj.data.clone();
                e.op = match data {
                    Some(data) => EntryOp::Update { data },
                    None => EntryOp::Delete,
                };
            }
            // The object is gone: create it again, or nothing is left to delete.
            Some(None) => match data {
                Some(data) => {
                    e.op = EntryOp::Create { data };
                    e.base_etag = None;
                    e.base_data = None;
                }
                None => {
                    self.entries.remove(index);
                }
            },
        }
        Ok(())
    }

    /// Splits a sync's changes: those to apply to the mirror, and those held back because
    /// the object has a queued local change (the flush meets that server version and resolves
    /// it by policy, with both versions reported).
    pub fn split_changes(&self, changes: Vec<Change>) -> SplitChanges {
        let mut out = SplitChanges::default();
        for change in changes {
            match self.entry_for(change.url()) {
                Some(e) => out.held.push(HeldChange {
                    entry: e.id,
                    change,
                }),
                None => out.apply.push(change),
            }
        }
        out
    }

    /// Applies a flush's result to this queue, which the app may have changed while the flush
    /// ran: finished entries leave it (or are marked conflicted or failed); an entry edited
    /// meanwhile is kept, rebased on what the flush left on the server.
    pub fn apply(&mut self, result: &FlushResult) {
        for o in &result.outcomes {
            let Some(index) = self.entries.iter().position(|e| e.id == o.id) else {
                continue;
            };
            let unchanged = self.entries[index].rev == o.rev;
            let e = &mut self.entries[index];
            match &o.kind {
                OutcomeKind::Conflict { server, reason, .. } => {
                    e.state = EntryState::Conflict {
                        server: server.clone(),
                        reason: reason.clone(),
                    };
                }
                OutcomeKind::Failed { error } => {
                    e.state = EntryState::Failed {
                        error: error.clone(),
                    };
                }
                _ if unchanged => {
                    self.entries.remove(index);
                }
                OutcomeKind::Written { etag, data, .. } => {
                    // The server holds what the flush wrote; the newer local change goes on it.
                    e.url = o.url.clone();
                    e.base_etag = etag.clone();
                    e.base_data = data.clone();
                    e.sent.clear();
                    e.runs = 0;
                    if let EntryOp::Create { data } = &e.op {
                        e.op = EntryOp::Update { data: data.clone() };
                    }
                    if e.base_etag.is_none() {
                        // Nothing to make the next write conditional on: the object must be
                        // read again, which a conflict asks the app to do.
                        e.state = EntryState::Conflict {
                            server: None,
                            reason: "written by a flush without an ETag; read it again".into(),
                        };
                    }
                }
                OutcomeKind::Deleted { .. } => match e.op.data() {
                    Some(data) => {
                        e.op = EntryOp::Create {
                            data: data.to_owned(),
                        };
                        e.base_etag = None;
                        e.base_data = None;
                        e.sent.clear();
                        e.runs = 0;
                    }
                    None => {
                        self.entries.remove(index);
                    }
                },
                OutcomeKind::ServerKept { server, .. } => match (server, e.op.data()) {
                    (Some(obj), _) => {
                        e.url = obj.url.clone();
                        e.base_etag = obj.etag.clone();
                        e.base_data = obj.data.clone();
                        e.sent.clear();
                        e.runs = 0;
                        if let EntryOp::Create { data } = &e.op {
                            e.op = EntryOp::Update { data: data.clone() };
                        }
                    }
                    (None, Some(data)) => {
                        e.op = EntryOp::Create {
                            data: data.to_owned(),
                        };
                        e.base_etag = None;
                        e.base_data = None;
                        e.sent.clear();
                        e.runs = 0;
                    }
                    (None, None) => {
                        self.entries.remove(index);
                    }
                },
            }
        }
    }
}

fn too_many() -> Error {
    crate::limits::exceeded(format!(
        "the write queue holds {MAX_ENTRIES} entries (MAX_ENTRIES)"
    ))
}

fn absolute(url: &str) -> Result<url::Url> {
    url::Url::parse(url.trim()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("a queued object needs an absolute URL: {e}"),
        )
        .with_url(url)
    })
}

/// The collection an object URL is in.
fn parent(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let path = u.path().trim_end_matches('/');
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    let dir = dir.to_owned();
    u.set_path(&dir);
    u.to_string()
}
