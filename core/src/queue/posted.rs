//! A create that a flush may already have posted, met again under the name the server gave
//! it (a server that names what is POSTed, like Google Contacts, stores it at a URL of its
//! own): recognised by the collection, its UID and the data a flush sent.
//!
//! Without this, the object a lost POST answer left on the server was a stranger to the
//! queue: a sync put it in the mirror beside the queued create, an edit of it became a second
//! entry, and when another device deleted it, the flush posted the create again and the edit
//! (its policy recreating a deleted object) created it once more: two objects with one UID.
//! Now a sync's change to it is held back for the create's entry, and an edit or deletion of
//! it goes into that entry, which from then on updates (or deletes) that object.

use crate::href;

use super::{Entry, EntryOp, WriteQueue, merge};

impl WriteQueue {
    /// The entry a server version of an object belongs to: the entry queued for its URL
    /// ([`WriteQueue::entry_for`]), or else a create that a flush may already have posted and
    /// that the server stored at this URL: same collection, and `data` has the create's UID
    /// and every content line of a version a flush sent (a server may add its own).
    /// [`WriteQueue::split_changes`] holds a sync's change back for that entry.
    pub fn entry_for_version(&self, url: &str, data: Option<&str>) -> Option<&Entry> {
        if let Some(e) = self.entry_for(url) {
            return Some(e);
        }
        let i = self.posted_at(url, data?)?;
        self.entries.get(i)
    }

    /// The index of the create a flush may have posted that the server holds at `url` with
    /// `data`, if any (see [`WriteQueue::entry_for_version`]).
    pub(super) fn posted_at(&self, url: &str, data: &str) -> Option<usize> {
        // Most queues have no create a flush may have sent: nothing is parsed then.
        if !self.entries.iter().any(maybe_posted) {
            return None;
        }
        let collection = href::normalize(&super::enqueue::parent(
            &crate::url::Url::parse(url.trim()).ok()?,
        ));
        let uid = merge::uid(data)?;
        self.entries.iter().position(|e| {
            maybe_posted(e)
                && href::normalize(&e.collection_url) == collection
                && e.op.data().and_then(merge::uid).as_deref() == Some(uid.as_str())
                && e.sent
                    .iter()
                    .any(|s| crate::ops::write::contains_data(s.as_bytes(), data.as_bytes()))
        })
    }
}

/// A create that a flush was begun with: its POST may have been applied.
fn maybe_posted(e: &Entry) -> bool {
    matches!(e.op, EntryOp::Create { .. }) && !e.sent.is_empty()
}
