//! The offline app's checks (invariants 4 and 2 of `queue_app.rs`): the writes the server
//! applied since the last check (none repeats the data it replaced, no UID created twice),
//! and the end of a history: faults, devices and crashes stop, the queue is flushed, and the
//! mirror must equal the server.

use super::*;
use davkit::Method;

impl QueueApp {
    /// Invariant 4 over the writes applied since the last check.
    pub fn check_writes(&mut self) -> Result<(), Violation> {
        let w = self.world.borrow();
        for logged in &w.writes[self.checked_writes..] {
            let write = &logged.write;
            // A create posted again after a sync listed it on the server holding these very
            // data: what another device did to it since (a deletion) would be undone.
            if write.method == Method::Post
                && let Some(data) = &write.data
                && let Some(uid) = davkit::queue::merge::uid(data)
                && self.listed.iter().any(|(u, d)| *u == uid && holds(d, data))
            {
                return fail(
                    4,
                    format!(
                        "POST c{}/{} posted again a create a sync had listed on the server",
                        write.coll, write.name
                    ),
                );
            }
            // A create that replaced something on a server that honours If-None-Match is
            // the injected server bug (`CreateAsReplacement`), not the client's doing.
            let server_bug = write.if_match.is_none() && w.server.flavor.honours_if_none_match();
            if let (Some(old), Some(new)) = (&write.replaced, &write.data)
                && strip(&old.data) == strip(new)
                && !server_bug
            {
                return fail(
                    4,
                    format!(
                        "{} c{}/{} wrote again the data the object already held (applied twice)",
                        write.method, write.coll, write.name
                    ),
                );
            }
        }
        for (c, coll) in w.server.colls.iter().enumerate() {
            let mut uids: Vec<String> = coll
                .members
                .values()
                .filter_map(|m| davkit::queue::merge::uid(&m.data))
                .collect();
            uids.sort();
            if let Some(dup) = uids.windows(2).find(|p| p[0] == p[1]) {
                return fail(
                    4,
                    format!("two members of c{c} have UID {} (created twice)", dup[0]),
                );
            }
        }
        self.checked_writes = w.writes.len();
        Ok(())
    }

    /// An outcome that says a create replaced something: this flush's create (a PUT with no
    /// `If-Match`) of that object replaced a member the server held (the server ignored
    /// `If-None-Match: *`, `CreateAsReplacement`), never a clean write.
    pub fn check_replaced(&self, res: &FlushResult, first_write: usize) -> Result<(), Violation> {
        let w = self.world.borrow();
        for o in &res.outcomes {
            if !matches!(o.kind, OutcomeKind::Written { replaced: true, .. }) {
                continue;
            }
            let target = w.server.target(&o.url);
            let found = w.writes[first_write..].iter().any(|l| {
                let write = &l.write;
                write.method == Method::Put
                    && write.if_match.is_none()
                    && write.replaced.is_some()
                    && target == Some((write.coll, Some(write.name.clone())))
            });
            if !found {
                return fail(
                    4,
                    format!(
                        "entry {} reported a create that replaced {}, but no create of this \
                         flush replaced anything there",
                        o.id, o.url
                    ),
                );
            }
        }
        Ok(())
    }

    /// Faults, devices and crashes stop; the app flushes (resolving what is left) until the
    /// queue is empty, syncs, and must equal the server.
    pub fn quiesce(&mut self) -> Result<(), Violation> {
        {
            let mut w = self.world.borrow_mut();
            w.faults.enabled = false;
            w.concurrent_per_mille = 0;
            if w.verbose {
                eprintln!("  -- faults, devices and crashes stop; online --");
            }
        }
        self.crash_per_mille = 0;
        self.online = true;
        for _ in 0..8 {
            if self.queue.is_empty() {
                break;
            }
            self.resolve(1000)?;
            if self.queue.is_empty() {
                break;
            }
            self.flush()?;
        }
        if !self.queue.is_empty() {
            return fail(
                6,
                format!(
                    "the queue still holds {} entries after 8 flushes without faults",
                    self.queue.entries().len()
                ),
            );
        }
        if let Some((id, m)) = self.live.iter().next() {
            return fail(
                6,
                format!("entry {id} ({m:?}) left the queue with no outcome for its edit"),
            );
        }
        for c in 0..self.colls.len() {
            if !(self.sync(c)? || self.sync(c)?) {
                return fail(2, format!("sync c{c} failed without faults"));
            }
            // Members kept pending with the ETag their next answer must match settle within
            // two syncs more (as in `client.rs`'s quiesce).
            for _ in 0..2 {
                let s = &self.colls[c].state;
                if s.pending.is_empty() || s.pending.iter().any(|h| s.listed.get(h).is_none()) {
                    break;
                }
                if !self.sync(c)? {
                    return fail(
                        2,
                        format!("sync c{c} settling its checks failed without faults"),
                    );
                }
            }
            self.converged(c)?;
            let before = self.colls[c].mirror.clone();
            self.begin(format!("sync c{c} again (expect no change)"), c);
            let again = block_on(
                self.client
                    .sync(self.colls[c].state.clone(), self.colls[c].kind),
            );
            self.end()?;
            match again {
                Ok(r) if r.changes.is_empty() && self.colls[c].mirror == before => {}
                Ok(r) => {
                    return fail(
                        2,
                        format!(
                            "sync c{c} after the queue drained reported {} changes",
                            r.changes.len()
                        ),
                    );
                }
                Err(e) => return fail(2, format!("sync c{c} failed: {e}")),
            }
        }
        // Invariant 6: every edit reported written is in a write the server applied.
        for marker in &self.written {
            if !self.applied_with(marker) {
                return fail(
                    6,
                    format!("{marker} was reported written but no applied write holds it"),
                );
            }
        }
        Ok(())
    }

    fn converged(&self, c: usize) -> Result<(), Violation> {
        let w = self.world.borrow();
        let server = &w.server.colls[c].members;
        let mirror = &self.colls[c].mirror;
        for (name, m) in server {
            match mirror.get(name) {
                Some(l) if l.etag.as_ref() == Some(&m.etag) && l.data == m.data => {}
                Some(l) => {
                    return fail(
                        2,
                        format!(
                            "c{c}/{name}: the mirror has {:?}, the server {} (after the queue \
                             drained)",
                            l.etag, m.etag
                        ),
                    );
                }
                None => {
                    return fail(
                        2,
                        format!("c{c}/{name} is on the server, not in the mirror"),
                    );
                }
            }
        }
        if let Some(extra) = mirror.keys().find(|n| !server.contains_key(*n)) {
            return fail(
                2,
                format!("c{c}/{extra} is in the mirror, not on the server"),
            );
        }
        Ok(())
    }
}
