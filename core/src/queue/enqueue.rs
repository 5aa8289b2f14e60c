//! Recording offline edits in a [`WriteQueue`]: creates, updates and deletes, coalesced per
//! object (the table in the [module docs](super)).

use crate::error::{Error, ErrorKind, Result};
use crate::href;

use super::{Entry, EntryOp, EntryState, MAX_ENTRIES, Policy, WriteQueue, too_many};

impl WriteQueue {
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
        if let Some(i) = self.position_named(&key, false) {
            let e = &mut self.entries[i];
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
        if let Some(i) = self.position_named(&key, true) {
            let e = &mut self.entries[i];
            let conflict_only = e.conflict_only_at(&key);
            match &mut e.op {
                EntryOp::Create { data: d } | EntryOp::Update { data: d } => {
                    *d = data;
                    e.rev += 1;
                    return Ok(e.id);
                }
                // The server's version of a conflict whose local side deletes the object (under
                // the name the app queued it by): edited now, the local side is this update.
                EntryOp::Delete if conflict_only => {
                    e.op = EntryOp::Update { data };
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
        if let Some(id) = self.onto_posted(
            &parsed,
            EntryOp::Update { data: data.clone() },
            base_etag,
            base_data,
        ) {
            return Ok(id);
        }
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
        if let Some(index) = self.position_named(&key, true) {
            let e = &mut self.entries[index];
            let conflict_only = e.conflict_only_at(&key);
            match &e.op {
                // (Not when it is the server's version of a conflict that is deleted: that
                // object is on the server, and the entry becomes its deletion.)
                EntryOp::Create { .. } if e.runs == 0 && !conflict_only => {
                    let id = e.id;
                    self.entries.remove(index);
                    return Ok(id);
                }
                EntryOp::Create { .. } | EntryOp::Update { .. } => {
                    e.op = EntryOp::Delete;
                    e.rev += 1;
                    return Ok(e.id);
                }
                // The server's version of a conflict whose local side deletes it already.
                EntryOp::Delete if conflict_only => return Ok(e.id),
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
        if let Some(id) = self.onto_posted(&parsed, EntryOp::Delete, base_etag, base_data) {
            return Ok(id);
        }
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

    /// An edit of the object a queued create's earlier POST may have made (the server's version
    /// `base_data` at `url`, as [`WriteQueue::hold_version`] finds it) goes into that create's entry:
    /// it becomes this update or deletion of that object, on that version. Returns the entry's
    /// id; `None` when no such create is queued.
    fn onto_posted(
        &mut self,
        url: &crate::url::Url,
        op: EntryOp,
        base_etag: &str,
        base_data: Option<&str>,
    ) -> Option<u64> {
        let i = self.posted_at(url.as_str(), base_data?, None)?;
        let e = &mut self.entries[i];
        e.op = op;
        e.moving_to(url.as_str());
        e.rebase_on(
            url.to_string(),
            Some(base_etag.trim().to_owned()),
            base_data.map(str::to_owned),
        );
        e.rev += 1;
        Some(e.id)
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
            moved_from: None,
            read_once: None,
        });
        Ok(id)
    }

    fn entry_mut(&mut self, id: u64) -> Result<&mut Entry> {
        self.entries
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("no queue entry {id}")))
    }
}

fn absolute(url: &str) -> Result<crate::url::Url> {
    crate::url::Url::parse(url.trim()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("a queued object needs an absolute URL: {e}"),
        )
        .with_url(url)
    })
}

/// The collection an object URL is in.
pub(super) fn parent(url: &crate::url::Url) -> String {
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
