//! What a sync tells the queue: the server's version of an object with a queued entry. When
//! that version already holds what the entry writes (its earlier flush was applied, but the
//! answer was lost in a crash or on the way), the entry has nothing left to write and becomes
//! an update of that version; a flush then only reads the object, and what the server holds
//! stands, another device's later edit or deletion included. Also a create that a flush may
//! already have posted, met under the name the server gave it (a server that names what is
//! POSTed, like Google Contacts, stores it at a URL of its own): recognised by the collection,
//! its UID and the data a flush sent. The same holds for an update whose object another
//! device deleted and whose policy created it again by POST.
//!
//! Without this, the object a lost POST answer left on the server was a stranger to the
//! queue: a sync put it in the mirror beside the queued create, an edit of it became a second
//! entry, and when another device deleted it, the flush posted the create again and the edit
//! (its policy recreating a deleted object) created it once more: two objects with one UID.
//! And an update applied with its answer lost, then deleted by another device, was recreated
//! by a policy that keeps the local side, though nothing local was left to keep.

use crate::href;

use super::{Entry, EntryOp, EntryState, WriteQueue, merge};

impl WriteQueue {
    /// The entry that holds back a sync's version of an object (its URL, ETag and data; no
    /// data for a deletion), if any: the entry queued for that URL
    /// ([`WriteQueue::entry_for`]), or else a create (or an update created again after a
    /// deletion) that a flush may already have posted and that the server stored at this URL:
    /// same collection, and `data` has the entry's UID and every content line of a version a
    /// flush sent (a server may add its own). A pending
    /// entry whose write this version shows applied (a create a flush sent, or an update whose
    /// data it holds) becomes an update of this version: a flush then writes only what
    /// changed since, or, with nothing changed, reads the object and takes what the server
    /// holds; it never creates the object again. An update created again by POST and edited
    /// since is rebased on this version, which holds data a flush sent: its newer edit goes on
    /// it. A failed or conflicted update whose data this version holds is rebased on it too:
    /// it waits for the app, and should the app try it again, the flush only reads.
    /// [`WriteQueue::split_changes`] calls this for each change.
    pub fn hold_version(
        &mut self,
        url: &str,
        etag: Option<&str>,
        data: Option<&str>,
    ) -> Option<u64> {
        self.hold_version_keyed(url, etag, data, None)
    }

    /// [`WriteQueue::hold_version`] with the entries' keys computed once for many changes
    /// ([`Keys`]; kept up to date here when an entry changes).
    pub(super) fn hold_version_keyed(
        &mut self,
        url: &str,
        etag: Option<&str>,
        data: Option<&str>,
        keys: Option<&mut Keys>,
    ) -> Option<u64> {
        let found = match keys.as_deref() {
            Some(k) => k.index_for(&href::normalize(url)),
            None => self.index_for(url),
        };
        let (i, posted) = match found {
            Some(i) => (i, false),
            None => (self.posted_at(url, data?, keys.as_deref())?, true),
        };
        let e = &mut self.entries[i];
        if let (Some(etag), Some(data)) = (etag, data)
            && let EntryOp::Create { data: d } | EntryOp::Update { data: d } = &e.op
        {
            // Applied as it is; or (a create) applied and changed since by another device: then
            // the server's version stands, as nothing local is left to write over it.
            // (A failed or conflicted update too: it waits for the app, but should it be tried
            // again, its write is known applied, and the flush only reads.)
            let now = if (e.state == EntryState::Pending
                || (!posted && matches!(e.op, EntryOp::Update { .. })))
                && applied(e, data)
            {
                Some(d.clone())
            } else if unchanged_since_sent(e)
                && merge::uid(data).is_some_and(|u| merge::uid(d) == Some(u))
            {
                Some(data.to_owned())
            } else if posted && matches!(e.op, EntryOp::Update { .. }) {
                // An update a flush created again by POST, edited since: that POST's object
                // (it holds data a flush sent) is the version the newer edit goes on, as the
                // flush's own search would rebase it; a deletion of it then deletes that object.
                Some(d.clone())
            } else {
                None
            };
            if let Some(now) = now {
                e.op = EntryOp::Update { data: now };
                e.moving_to(url);
                e.rebase_on(url.to_owned(), Some(etag.to_owned()), Some(data.to_owned()));
                // Not a new revision: the data is the same, so the outcome of a flush running
                // meanwhile still settles the entry (bumped, `apply` would take it for an edit
                // made during the flush, and recreate what that flush found deleted).
            }
        }
        let id = e.id;
        if let Some(k) = keys {
            k.refresh(i, &self.entries[i]);
        }
        Some(id)
    }

    /// The index of the create a flush may have posted that the server holds at `url` with
    /// `data`, if any (see [`WriteQueue::hold_version`]).
    pub(super) fn posted_at(&self, url: &str, data: &str, keys: Option<&Keys>) -> Option<usize> {
        // Most queues have no create a flush may have sent: nothing is parsed then.
        if !self.entries.iter().any(maybe_posted) {
            return None;
        }
        let collection = href::normalize(&super::enqueue::parent(
            &crate::url::Url::parse(url.trim()).ok()?,
        ));
        let uid = merge::uid(data)?;
        self.entries.iter().enumerate().position(|(i, e)| {
            if !maybe_posted(e) {
                return false;
            }
            let computed;
            let (entry_collection, entry_uid) = match keys.and_then(|k| k.posted(i)) {
                Some((c, u)) => (c.as_str(), u.as_deref()),
                None => {
                    computed = posted_keys(e);
                    (computed.0.as_str(), computed.1.as_deref())
                }
            };
            entry_collection == collection
                && entry_uid == Some(uid.as_str())
                && (unchanged_since_sent(e)
                    || e.sent
                        .iter()
                        .any(|s| crate::ops::write::contains_data(s.as_bytes(), data.as_bytes())))
        })
    }
}

/// A pending create that flushes were begun with holding one version only, its data now:
/// with its UID in the collection, the server holds what that POST made, whatever another
/// device changed in it since (a collection holds one object per UID), and the entry has
/// nothing of its own left to write. (With more versions sent, which one that POST carried is
/// not known: the data now may never have reached the server.)
fn unchanged_since_sent(e: &Entry) -> bool {
    e.state == EntryState::Pending
        && matches!((&e.op, e.sent.as_slice()), (EntryOp::Create { data }, [sent]) if sent == data)
}

/// Whether the server's `data` shows the entry's write applied: a create a flush sent, or an
/// update whose data it holds (every content line: a server may add its own).
fn applied(e: &Entry, data: &str) -> bool {
    let holds = |d: &str| crate::ops::write::contains_data(d.as_bytes(), data.as_bytes());
    match &e.op {
        EntryOp::Create { data: d } => {
            !e.sent.is_empty() && (holds(d) || e.sent.iter().any(|s| holds(s)))
        }
        EntryOp::Update { data: d } => holds(d),
        EntryOp::Delete => false,
    }
}

/// A pending create or update that a flush was begun with: its POST may have been applied.
/// (An update is POSTed too, where the server names what is POSTed, when its object was
/// deleted on the server and its policy creates it again.) A failed or conflicted one waits
/// for the app's resolution, which may drop it: the server's object then belongs in the
/// mirror, not held back for it.
/// What [`WriteQueue::posted_at`] compares of an entry: its collection's normalised URL and
/// its data's UID.
fn posted_keys(e: &Entry) -> (String, Option<String>) {
    (
        href::normalize(&e.collection_url),
        e.op.data().and_then(merge::uid),
    )
}

/// Each entry's normalised URL and former URL ([`Entry::names`]), and for a create a flush
/// may have posted its [`posted_keys`]: computed once for a sync's changes, not once per
/// change and entry ([`WriteQueue::split_changes`]; 20,000 changes against 20,000 entries
/// took 53 s, each change normalising every entry's URL).
pub(super) struct Keys(Vec<EntryKeys>);

struct EntryKeys {
    url: String,
    moved_from: Option<String>,
    posted: Option<(String, Option<String>)>,
}

impl Keys {
    pub(super) fn of(entries: &[Entry]) -> Keys {
        Keys(entries.iter().map(EntryKeys::of).collect())
    }

    /// What [`WriteQueue::index_for`] finds, for a normalised URL.
    fn index_for(&self, key: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|k| k.url == key || k.moved_from.as_deref() == Some(key))
    }

    fn posted(&self, i: usize) -> Option<&(String, Option<String>)> {
        self.0.get(i).and_then(|k| k.posted.as_ref())
    }

    /// After entry `i` changed.
    fn refresh(&mut self, i: usize, e: &Entry) {
        if let Some(k) = self.0.get_mut(i) {
            *k = EntryKeys::of(e);
        }
    }
}

impl EntryKeys {
    fn of(e: &Entry) -> EntryKeys {
        EntryKeys {
            url: href::normalize(&e.url),
            moved_from: e.moved_from.as_deref().map(href::normalize),
            posted: maybe_posted(e).then(|| posted_keys(e)),
        }
    }
}

fn maybe_posted(e: &Entry) -> bool {
    e.state == EntryState::Pending
        && matches!(e.op, EntryOp::Create { .. } | EntryOp::Update { .. })
        && !e.sent.is_empty()
}
