//! Entries a lock holds back. A write answered 423 Locked (a WebDAV lock held by someone
//! else, RFC 4918 §11.3) was not applied, and may be refused for as long as the lock is held:
//! a client that never unlocks can hold it for good. Stopping the flush there, as for the other
//! refusals for now, would keep every later edit of every collection queued behind it. Instead
//! the entry stays pending and the flush goes on, without the later entries that its order
//! could matter to:
//!
//! - every entry of the same collection (a lock often covers the collection, and a server
//!   checks a UID's uniqueness within it: a create may wait for a delete of the same UID);
//! - every entry, of any collection, that carries one of its UIDs (an event moved between
//!   calendars is a delete and a create of one UID, which a server that keeps UIDs unique
//!   across a home takes only in that order).
//!
//! The first such refusal is the flush result's `stopped` when nothing else stopped it, so the
//! app knows to flush again later.

use crate::error::Error;
use crate::href;

use super::super::{Entry, merge};

/// What the locks met so far hold back.
#[derive(Default)]
pub(super) struct Held {
    /// The collections of the entries held back, normalised.
    collections: Vec<String>,
    /// Their UIDs (of the data to write and of the version it was made on).
    uids: Vec<String>,
    /// The first refusal.
    error: Option<Error>,
}

/// Whether an error is a lock's refusal (423 Locked).
pub(super) fn is_lock(error: &Error) -> bool {
    error.status() == Some(423)
}

impl Held {
    /// Holds `entry` back for `error` (a lock's refusal).
    pub(super) fn hold(&mut self, entry: &Entry, error: Error) {
        self.collections.push(collection_key(entry));
        for uid in uids(entry) {
            self.uids.push(uid);
        }
        self.error.get_or_insert(error);
    }

    /// Whether `entry` waits for one held back: same collection, or a UID in common.
    pub(super) fn holds(&self, entry: &Entry) -> bool {
        if self.error.is_none() {
            return false;
        }
        let key = collection_key(entry);
        self.collections.contains(&key) || uids(entry).iter().any(|u| self.uids.contains(u))
    }

    /// The first lock's refusal, if any entry was held back.
    pub(super) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }
}

fn collection_key(entry: &Entry) -> String {
    href::normalize(&entry.collection_url)
        .trim_end_matches('/')
        .to_owned()
}

/// The UIDs of the entry's data and of its base version (a delete has only the latter, when
/// the app gave it).
fn uids(entry: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    for data in [entry.op.data(), entry.base_data.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(uid) = merge::uid(data)
            && !out.contains(&uid)
        {
            out.push(uid);
        }
    }
    out
}
