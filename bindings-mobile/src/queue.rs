//! The offline write queue: the core's [`davkit::WriteQueue`] as one object whose state is the
//! core's JSON (store [`WriteQueue::to_json`] or the text [`WriteQueue::begin_flush`] returns,
//! read it back with [`WriteQueue::from_json`]), policies by name, and
//! [`DavClient::flush`] returning the core's `FlushResult` as JSON. Nothing is decided here:
//! every method converts its arguments and calls the core.
//!
//! Policy names: `keep-both` (default), `server-wins`, `local-wins`, `newest-wins`, `merge`.

use std::sync::{Arc, Mutex, MutexGuard};

use davkit::{Error, ErrorKind, Policy, Resolution};

use crate::client::DavClient;
use crate::error::DavError;
use crate::types::{Change, SplitChanges};

type Result<T> = std::result::Result<T, DavError>;

/// Offline edits of calendar and contact objects, coalesced per object and sent by
/// [`DavClient::flush`]; see the core's `davkit::queue` for the rules. Thread-safe: every
/// method takes the queue's lock for the time of one core call.
#[derive(Debug, uniffi::Object)]
pub struct WriteQueue {
    inner: Mutex<davkit::WriteQueue>,
}

fn policy(name: &str) -> std::result::Result<Policy, Error> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "unknown queue policy `{name}` (keep-both, server-wins, local-wins, \
                 newest-wins, merge)"
            ),
        )
    })
}

fn policy_name(policy: Policy) -> String {
    match serde_json::to_value(policy) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

impl WriteQueue {
    fn lock(&self) -> MutexGuard<'_, davkit::WriteQueue> {
        // A panic while holding the lock cannot leave a half-made change: every core call
        // either changes the queue or returns an error first.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[uniffi::export]
impl WriteQueue {
    /// An empty queue with a policy (`keep-both` when `null`).
    #[uniffi::constructor(default(policy = None))]
    pub fn new(policy: Option<String>) -> Result<Arc<Self>> {
        let policy = policy.as_deref().map(self::policy).transpose()?;
        Ok(Arc::new(WriteQueue {
            inner: Mutex::new(davkit::WriteQueue::with_policy(policy.unwrap_or_default())),
        }))
    }

    /// The queue stored earlier (`InvalidInput` for text that is not a queue, or a newer
    /// format).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>> {
        Ok(Arc::new(WriteQueue {
            inner: Mutex::new(davkit::WriteQueue::from_json(&json)?),
        }))
    }

    /// The queue as JSON, to store after each change.
    pub fn to_json(&self) -> String {
        self.lock().to_json()
    }

    /// Queues the creation of `name` in a collection; returns the entry's id.
    pub fn enqueue_create(
        &self,
        collection_url: String,
        name: String,
        data: String,
    ) -> Result<u64> {
        Ok(self.lock().enqueue_create(&collection_url, &name, &data)?)
    }

    /// Queues an update made on the version with ETag `base_etag` (and data `base_data`,
    /// which the `merge` policy needs); returns the entry's id.
    #[uniffi::method(default(base_data = None))]
    pub fn enqueue_update(
        &self,
        url: String,
        data: String,
        base_etag: String,
        base_data: Option<String>,
    ) -> Result<u64> {
        Ok(self
            .lock()
            .enqueue_update(&url, &data, &base_etag, base_data.as_deref())?)
    }

    /// Queues a deletion made on the version with ETag `base_etag`; returns the entry's id.
    #[uniffi::method(default(base_data = None))]
    pub fn enqueue_delete(
        &self,
        url: String,
        base_etag: String,
        base_data: Option<String>,
    ) -> Result<u64> {
        Ok(self
            .lock()
            .enqueue_delete(&url, &base_etag, base_data.as_deref())?)
    }

    /// The queue's policy by name.
    pub fn policy(&self) -> String {
        policy_name(self.lock().policy)
    }

    /// Sets the queue's policy by name.
    pub fn set_policy(&self, policy: String) -> Result<()> {
        self.lock().policy = self::policy(&policy)?;
        Ok(())
    }

    /// Sets one entry's policy by name (`null`: the queue's).
    pub fn set_entry_policy(&self, id: u64, policy: Option<String>) -> Result<()> {
        let policy = policy.as_deref().map(self::policy).transpose()?;
        Ok(self.lock().set_entry_policy(id, policy)?)
    }

    /// Marks the pending entries as being sent and returns the JSON to store **before**
    /// calling [`DavClient::flush`] (after a crash it tells the next flush what to verify).
    pub fn begin_flush(&self) -> String {
        self.lock().begin_flush()
    }

    /// Resolves a conflicted or failed entry: `keep-server` (drop the local change),
    /// `keep-local` (write it over the server's version seen), or `replace` with `data` (write
    /// the app's merge). Returns the URL the app must drop, if any: an entry that leaves the
    /// queue here (`keep-server`, or keeping the deletion of an object already gone) after a
    /// sync moved it (`moved_from`) leaves nothing at the URL it was queued under, and no
    /// outcome names it again (as an outcome's `queued_url` would).
    #[uniffi::method(default(data = None))]
    pub fn resolve(
        &self,
        id: u64,
        resolution: String,
        data: Option<String>,
    ) -> Result<Option<String>> {
        let resolution = match (resolution.as_str(), data) {
            ("keep-server", None) => Resolution::KeepServer,
            ("keep-local", None) => Resolution::KeepLocal,
            ("replace", Some(data)) => Resolution::Replace(data),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "a resolution is keep-server, keep-local, or replace with data",
                )
                .into());
            }
        };
        Ok(self.lock().resolve(id, resolution)?)
    }

    /// The entries as the core's JSON array (id, url, op, base, policy, state: `pending`,
    /// `conflict` with the server's version, or `failed` with the error).
    pub fn entries_json(&self) -> String {
        serde_json::to_string(self.lock().entries()).unwrap_or_default()
    }

    /// How many entries are queued.
    pub fn len(&self) -> u64 {
        self.lock().entries().len() as u64
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The id of the entry queued for an object (any spelling of its URL), if any: a sync's
    /// change to that object is held back instead of overwriting the local edit.
    pub fn entry_for(&self, url: String) -> Option<u64> {
        self.lock().entry_for(&url).map(|e| e.id)
    }

    /// Splits a sync's changes (`SyncResult.changes`) into those to apply to the mirror and
    /// those held back because of a queued local change (a queued create a flush may have
    /// posted, listed under the name the server gave it, becomes an update of that object:
    /// store the queue afterwards).
    pub fn split_changes(&self, changes: Vec<Change>) -> SplitChanges {
        let changes = changes.into_iter().map(davkit::Change::from).collect();
        self.lock().split_changes(changes).into()
    }

    /// [`split_changes`](Self::split_changes) over the core's `Change` JSON array (as the
    /// recorded queue vectors hold them), giving `{ apply, held }` as JSON: the
    /// changes to apply to the mirror and those held back because of a queued local change (a
    /// queued create a flush may have posted, listed under the name the server gave it, becomes
    /// an update of that object: store the queue afterwards).
    pub fn split_changes_json(&self, changes_json: String) -> Result<String> {
        let changes: Vec<davkit::Change> = serde_json::from_str(&changes_json).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("not a list of changes: {e}"),
            )
        })?;
        let split = self.lock().split_changes(changes);
        Ok(serde_json::to_string(&split).unwrap_or_default())
    }
}

#[uniffi::export]
impl DavClient {
    /// Sends the queue (`WriteQueue::begin_flush` first, and store its JSON): entries the
    /// server confirmed leave it, conflicts are resolved by policy or kept with both versions.
    /// The queue object is updated in place (edits made while the flush ran are kept, rebased);
    /// the result is the core's `FlushResult` JSON: `outcomes` (one per entry finished:
    /// `written` with `etag`, `data`, `how` and `replaced` (true when a create was answered 200
    /// or 204: the server ignored `If-None-Match: *` and overwrote an object already there),
    /// `deleted` with `already_gone`, `server-kept`, `conflict` with `local`, `base` and
    /// `server`, or `failed`), `stopped` (the error that stopped the flush early, else the first
    /// 423 Locked, which held back its entry and the later ones of its collection or UID while
    /// the flush sent the others, else `null`), `read_once` (when present: entries left
    /// pending because a read answered what one answer cannot settle, a 404 or another version
    /// that a replica behind the server may have given, each with `id`, `rev` and `answer`; the
    /// next flush reads again) and `queue`. Record a version a flush read (`written` with `how`
    /// `already-applied`, the `server` of `server-kept`) with `sync_state_record_read`.
    /// Store `queue.toJson()` afterwards.
    pub async fn flush(&self, queue: Arc<WriteQueue>) -> Result<String> {
        let start = queue.lock().clone();
        let result = self.inner.flush(start).await?;
        queue.lock().apply(&result);
        Ok(serde_json::to_string(&result).unwrap_or_default())
    }
}
