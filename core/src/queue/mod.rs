//! Offline edits: a write queue the app stores as JSON (like
//! [`SyncState`](crate::SyncState)), that coalesces edits of the same object, and a flush
//! ([`Session::flush`](crate::Session::flush)) that sends it with the write preconditions of
//! [`write`](crate::ops::write) and resolves conflicts by a [`Policy`].
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
//!    transport, rate-limit or server error, or refusal for now (408, 421, 425): that entry and
//!    the rest stay queued and pending. A 423 Locked keeps its entry pending with the later
//!    entries of its collection or its UID, and the flush goes on with the others (a lock may
//!    never be released). Any other refusal marks its entry failed and the flush goes on. A create the server answered 200 or 204 instead of 201
//!    replaced an object already at that URL (the server ignored `If-None-Match: *`): its
//!    outcome says so ([`OutcomeKind::Written`]'s `replaced`). Apply the outcomes to the
//!    mirror (and [`FlushResult::record_in`] a [`SyncState`](crate::SyncState)), store `result.queue`; or, when
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
//! | create a flush may have posted | update, delete of it under the server's name | that update or delete, on the version edited |
//!
//! With a sync: [`WriteQueue::split_changes`] holds back the server changes to objects with
//! queued local changes (the flush resolves them by policy), so a sync never overwrites a local
//! edit in the mirror. A create whose POST answer was lost is such an object when the sync
//! lists it under the name the server gave it ([`WriteQueue::hold_version`]: same collection,
//! its UID and the data a flush sent): its entry becomes an update of that object, so it never
//! sits in the mirror beside its own queued create, and is never created twice (nor again
//! after another device deleted it).

mod apply;
mod enqueue;
mod flush;
pub mod merge;
mod outcome;
mod posted;
mod read;

use serde::{Deserialize, Serialize};

#[cfg(doc)]
use crate::error::ErrorKind;
use crate::error::{Error, Result};
use crate::href;
use crate::model::{Change, DavObject};

pub use flush::{Flush, FlushAnswer, FlushNext, FlushRequest, FlushSteps};
pub use outcome::{
    ConflictCase, ConflictHook, FlushResult, HookDecision, Outcome, OutcomeKind, ReadOnce, Resolved,
};

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
    /// The URL the entry was queued under, when a sync (or an edit) found its earlier write
    /// under another name and the entry moved there: an update created again by POST after
    /// another device deleted its object, or a create, on a server that names what is POSTed.
    /// The flush's outcome names it as [`Outcome::queued_url`], so the app drops what it
    /// still shows there (and so does an app that resolves the entry out of the queue with
    /// [`WriteQueue::resolve`], which no outcome follows); until then the entry answers for that URL too
    /// ([`WriteQueue::entry_for`], the enqueues, a sync's changes of it), so an edit the app
    /// makes there goes into this entry instead of recreating the object beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// What a flush's read answered once where it could not believe one answer: the ETag of
    /// another version than the one an update with nothing to write was made on, or `404` for
    /// the object a deletion reads first (or after a 412). A replica behind the server answers
    /// an older version, or 404 for an object created since: the entry stays pending, and the
    /// next flush's read must answer the same before it stands. Cleared when the entry is
    /// rebased on another version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_once: Option<String>,
}

impl Entry {
    fn key(&self) -> String {
        href::normalize(&self.url)
    }

    /// Whether the entry is the queued change of the object with this normalised URL: where it
    /// is, or where it was queued before a sync moved it ([`Entry::moved_from`]; the app may
    /// still show the object there, and an edit of it belongs to this entry).
    fn names(&self, key: &str) -> bool {
        self.names_given(&self.key(), key)
    }

    /// [`Entry::names`], given the entry's own key (`own`, kept by [`UrlKeys`]).
    fn names_given(&self, own: &str, key: &str) -> bool {
        own == key
            || self
                .moved_from
                .as_deref()
                .is_some_and(|m| href::normalize(m) == key)
    }

    /// Whether an edit of the object at this normalised URL belongs to this entry (whose own
    /// key is `own`): it [`names`](Entry::names) it, or the entry's open conflict carries the
    /// server's version of it (a create an earlier POST made under the server's name, say).
    /// The app holds that version from the conflict's outcome, and an edit of it is a newer
    /// local side of the same conflict, not a second change of the object: as a second entry,
    /// both could be resolved by writing, and a gone object be created twice.
    fn edited_by(&self, own: &str, key: &str) -> bool {
        self.names_given(own, key) || self.conflict_url_is(key)
    }

    /// Whether this normalised URL is that of the server's version the entry's open conflict
    /// carries, and not one of the entry's own.
    fn conflict_only_at(&self, key: &str) -> bool {
        !self.names(key) && self.conflict_url_is(key)
    }

    /// Whether the entry's open conflict carries the server's version at this normalised URL.
    fn conflict_url_is(&self, key: &str) -> bool {
        matches!(&self.state, EntryState::Conflict { server: Some(obj), .. }
            if href::normalize(&obj.url) == key)
    }

    /// Makes the entry's change one made on this server version (at `url`): what earlier
    /// flushes may have sent and how many were begun no longer matter.
    fn rebase_on(&mut self, url: String, etag: Option<String>, data: Option<String>) {
        self.url = url;
        self.base_etag = etag;
        self.base_data = data;
        self.sent.clear();
        self.runs = 0;
        self.read_once = None;
    }

    /// Before the entry moves to the URL where the server holds its earlier write
    /// ([`Entry::rebase_on`] sets it): remembers the URL it was queued under (the first, if it
    /// moves more than once) for the outcome.
    fn moving_to(&mut self, url: &str) {
        if self.moved_from.is_none() && href::normalize(url) != self.key() {
            self.moved_from = Some(self.url.clone());
        }
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
    /// which the conflict carries, and drops what it shows at the entry's
    /// [`Entry::moved_from`], if any).
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
    /// The entries' URL keys, for the enqueues' lookups ([`UrlKeys`]); not stored.
    #[serde(skip)]
    url_keys: UrlKeys,
}

/// The entries' URL keys (`href::normalize` of [`Entry::url`]) by position, each with the URL
/// it was made from and used only while the entry at that position has that very URL: a key
/// depends on its URL alone, so however the entries change, a stale key is never used, and
/// no change of the queue has to remember to drop one. An enqueue compares each entry's URL
/// with a kept one instead of normalising it (which allocates, and parses a URL not in
/// plain form): 20,000 creates took 21.5 s when each normalised every entry.
/// Not stored, not cloned and not compared: a cache.
#[derive(Default)]
struct UrlKeys(Vec<(String, String)>);

impl Clone for UrlKeys {
    fn clone(&self) -> Self {
        UrlKeys::default()
    }
}

impl PartialEq for UrlKeys {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for UrlKeys {}

impl std::fmt::Debug for UrlKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlKeys")
    }
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

impl WriteQueue {
    /// An empty queue with the default policy ([`Policy::KeepBoth`]).
    pub fn new() -> Self {
        WriteQueue {
            format: QUEUE_FORMAT,
            policy: Policy::KeepBoth,
            next_id: 1,
            entries: Vec::new(),
            url_keys: UrlKeys::default(),
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
        self.entries.get(self.index_for(url)?)
    }

    /// The index of the entry queued for an object, by URL (any spelling of it).
    fn index_for(&self, url: &str) -> Option<usize> {
        let key = href::normalize(url);
        self.entries.iter().position(|e| e.names(&key))
    }

    /// The first entry that [`names`](Entry::names) the object with this normalised URL or,
    /// with `conflicts`, that an edit of it belongs to ([`Entry::edited_by`]): the enqueues'
    /// lookup, with the entries' keys kept ([`UrlKeys`]).
    fn position_named(&mut self, key: &str, conflicts: bool) -> Option<usize> {
        let kept = &mut self.url_keys.0;
        kept.truncate(self.entries.len());
        for (i, e) in self.entries.iter().enumerate() {
            match kept.get_mut(i) {
                Some(slot) if slot.0 == e.url => {}
                Some(slot) => *slot = (e.url.clone(), href::normalize(&e.url)),
                None => kept.push((e.url.clone(), href::normalize(&e.url))),
            }
            let own = &kept[i].1;
            let hit = if conflicts {
                e.edited_by(own, key)
            } else {
                e.names_given(own, key)
            };
            if hit {
                return Some(i);
            }
        }
        None
    }

    /// The queue as JSON.
    pub fn to_json(&self) -> String {
        // Plain strings, numbers and enums: writing cannot fail. The text is serde_json's
        // (`json_write`).
        crate::json_write::to_text(self, crate::json_write::Keys::Kept).unwrap_or_default()
    }

    /// Reads a queue from JSON (as [`WriteQueue::to_json`] writes it, this version or an
    /// older one); a format newer than this build, or more than [`MAX_ENTRIES`] entries, is
    /// refused. Anything else is [`ErrorKind::InvalidInput`], naming the field.
    pub fn from_json(json: &str) -> Result<Self> {
        read::from_json(json)
    }
}

fn too_many() -> Error {
    crate::limits::exceeded(format!(
        "the write queue holds {MAX_ENTRIES} entries (MAX_ENTRIES)"
    ))
}
