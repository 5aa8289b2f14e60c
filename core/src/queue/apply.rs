//! A [`WriteQueue`] around a flush: marking the entries a flush is about to send, applying a
//! flush's result, resolving a conflicted or failed entry, and holding back a sync's changes
//! to objects with queued edits.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Change;

use super::{
    EntryOp, EntryState, FlushResult, HeldChange, MAX_SENT, OutcomeKind, Resolution, SplitChanges,
    WriteQueue,
};

impl WriteQueue {
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
    ///
    /// Returns the URL the app must drop, if any: when the entry leaves the queue here
    /// ([`Resolution::KeepServer`], or keeping a local deletion of an object already gone)
    /// after a sync moved it ([`Entry::moved_from`]), nothing is left at the URL it was queued
    /// under, and no outcome will name it again (as an outcome's [`Outcome::queued_url`]
    /// would): the app drops what it shows there.
    ///
    /// [`Entry::moved_from`]: super::Entry::moved_from
    /// [`Outcome::queued_url`]: super::Outcome::queued_url
    pub fn resolve(&mut self, id: u64, resolution: Resolution) -> Result<Option<String>> {
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
                return Ok(self.entries.remove(index).moved_from);
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
                    return Ok(self.entries.remove(index).moved_from);
                }
            },
        }
        Ok(None)
    }

    /// Splits a sync's changes: those to apply to the mirror, and those held back because
    /// the object has a queued local change (the flush meets that server version and resolves
    /// it by policy, with both versions reported). A queued create that a flush may already
    /// have posted, listed by the sync under the name the server gave it, is that object's
    /// local change: its entry becomes an update of it ([`WriteQueue::hold_version`]), so
    /// **store the queue** afterwards, with the sync's state.
    pub fn split_changes(&mut self, changes: Vec<Change>) -> SplitChanges {
        let mut out = SplitChanges::default();
        let mut keys = super::posted::Keys::of(&self.entries);
        for change in changes {
            let (etag, data) = match &change {
                Change::Added(o) | Change::Changed(o) => (o.etag.as_deref(), o.data.as_deref()),
                Change::Deleted { .. } => (None, None),
            };
            match self.hold_version_keyed(change.url(), etag, data, Some(&mut keys)) {
                Some(entry) => out.held.push(HeldChange { entry, change }),
                None => out.apply.push(change),
            }
        }
        out
    }

    /// Applies a flush's result to this queue, which the app may have changed while the flush
    /// ran: finished entries leave it (or are marked conflicted or failed); an entry edited
    /// meanwhile is kept, rebased on what the flush left on the server.
    pub fn apply(&mut self, result: &FlushResult) {
        for r in &result.read_once {
            if let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| e.id == r.id && e.rev == r.rev)
            {
                e.read_once = Some(r.answer.clone());
            }
        }
        for o in &result.outcomes {
            let Some(index) = self.entries.iter().position(|e| e.id == o.id) else {
                continue;
            };
            let unchanged = self.entries[index].rev == o.rev;
            let e = &mut self.entries[index];
            // The outcome named the URL the entry was queued under, and the app drops what it
            // shows there once the entry's write or deletion is done: an entry kept after that
            // goes on from where it is. One left in conflict or failed still answers for that
            // URL, and the outcome that finally takes it out of the queue names it again.
            if !matches!(
                o.kind,
                OutcomeKind::Conflict { .. } | OutcomeKind::Failed { .. }
            ) {
                e.moved_from = None;
            }
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
                    e.rebase_on(o.url.clone(), etag.clone(), data.clone());
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
                        e.rebase_on(obj.url.clone(), obj.etag.clone(), obj.data.clone());
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
