//! The app: what a calendar or contacts app does with davkit. It keeps a local mirror of each
//! collection from `SyncResult`s, stores the `SyncState` only after applying every change,
//! retries failed syncs, edits, creates and deletes members with the ETags it read, resolves
//! a 412 by syncing again, and re-reads a member after a write whose outcome it could not
//! learn. Every operation goes through `DavClient` over the simulated transport.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use davkit::{Change, CollectionKind, DavClient, ErrorKind, KeptSyncState, SyncState, WriteResult};

use crate::invariants::{self, Violation, WriteKind, fail};
use crate::server::{Flavor, Server, member_name, object_data};
use crate::world::{OpTrack, SimTokens, SimTransport, World};
use davkit_testkit::Rng;

/// Runs a future whose every await is ready at once (the simulated transport's are).
pub use davkit_testkit::block_on;

/// How one sync call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Synced {
    Failed,
    Done,
    /// A batch of a batched sync; more follow.
    More,
}

/// More batches than this for one collection is an endless batched sync (invariant 5): a
/// batch fetches at least one member, and collections stay under 40.
const MAX_BATCHES: usize = 100;

/// A member as the app holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Local {
    pub url: String,
    pub etag: Option<String>,
    pub data: String,
}

/// One collection as the app holds it.
#[derive(Debug)]
pub struct AppColl {
    pub coll: usize,
    pub url: String,
    pub kind: CollectionKind,
    pub calendar: bool,
    /// Member name -> what the app has.
    pub mirror: BTreeMap<String, Local>,
    /// The stored sync state.
    pub state: SyncState,
    /// While the stored state is a checkpoint between batches (`state.more`): the start event
    /// of the batch whose listing the pending members come from. The later batches fetch them
    /// without asking the server again, so changes made since that listing are reported by
    /// the first sync after the last batch: they are "touched while the sync ran".
    pub listed_at: Option<u64>,
}

pub struct App {
    pub world: Rc<RefCell<World>>,
    pub client: DavClient<SimTransport, SimTokens>,
    pub colls: Vec<AppColl>,
    pub rng: Rng,
    pub flavor: Flavor,
    /// Per mille of changes the app fails to apply (and hands back with `mark_pending`).
    pub fail_apply_per_mille: u32,
    /// How the app tells the stored state about its own writes: by leaving them pending
    /// without their ETag (the next sync fetches them), as `record_write` does for a write
    /// that returned none, instead of recording the ETag the write returned.
    pub writes_as_pending: bool,
    /// Sync in batches of this many members (`DavClient::sync_batch`), or all at once.
    pub batch: Option<usize>,
    /// A deliberately broken app that drops changes: the harness's own test that the
    /// invariants catch lost data.
    pub lossy: bool,
    /// The app stores each state as its JSON text, and the client keeps each result's state
    /// parsed and starts from it when given exactly that text, as the bindings do
    /// (`KeptSyncState`); `None`: the state goes to `DavClient` as it is.
    pub kept: Option<KeptSyncState>,
    next_intent: u64,
    edits: u64,
}

fn uid_of(name: &str) -> String {
    name.rsplit_once('.').map_or(name, |(u, _)| u).to_owned()
}

impl App {
    pub fn new(
        world: Rc<RefCell<World>>,
        client: DavClient<SimTransport, SimTokens>,
        rng: Rng,
        fail_apply_per_mille: u32,
        writes_as_pending: bool,
    ) -> Self {
        let (flavor, colls) = {
            let w = world.borrow();
            let colls = w
                .server
                .colls
                .iter()
                .enumerate()
                .map(|(i, c)| AppColl {
                    coll: i,
                    url: Server::coll_url(i),
                    kind: if c.calendar {
                        CollectionKind::Calendar
                    } else {
                        CollectionKind::AddressBook
                    },
                    calendar: c.calendar,
                    mirror: BTreeMap::new(),
                    state: SyncState::new(Server::coll_url(i)),
                    listed_at: None,
                })
                .collect();
            (w.server.flavor, colls)
        };
        App {
            world,
            client,
            colls,
            rng,
            flavor,
            fail_apply_per_mille,
            writes_as_pending,
            lossy: false,
            kept: None,
            batch: None,
            next_intent: 0,
            edits: 0,
        }
    }

    fn verbose(&self) -> bool {
        self.world.borrow().verbose
    }

    fn stat(&self, key: String) {
        self.world.borrow_mut().stats.op(key);
    }

    fn begin(&mut self, label: String, coll: usize, write: bool) {
        let intent = write.then(|| {
            self.next_intent += 1;
            self.next_intent
        });
        let mut w = self.world.borrow_mut();
        if w.verbose {
            eprintln!("  {label}");
        }
        let op = OpTrack {
            label,
            coll,
            intent,
            start_event: w.server.event,
            // Every name the collection has held (`changed_at`: each store and removal marks
            // its name, so its members are among them): a sync from an old token lists the
            // members deleted since as rows too (seed 29363917: five deletions paged one a
            // page into a collection left empty, then a redirect loop on the next page).
            members_at_start: w.server.colls[coll].changed_at.len(),
            ..OpTrack::default()
        };
        w.op = Some(op);
    }

    /// Ends the operation; a violation seen on the wire during it ends the history.
    fn end(&self) -> Result<OpTrack, Violation> {
        let mut w = self.world.borrow_mut();
        w.stats.checks += 1;
        let op = w.op.take().unwrap_or_default();
        match w.violation.take() {
            Some(v) => Err(v),
            None => Ok(op),
        }
    }

    fn name_in(&self, c: usize, url: &str) -> Option<String> {
        match self.world.borrow().server.target(url) {
            Some((coll, Some(name))) if coll == c => Some(name),
            _ => None,
        }
    }

    /// One sync (or one batch of a batched sync): run it, check it, apply it, check again.
    fn sync_once(&mut self, c: usize) -> Result<Synced, Violation> {
        let state = self.colls[c].state.clone();
        let mirror_before = self.colls[c].mirror.clone();
        let kind = self.colls[c].kind;
        let resumes = self.batch.is_some() && state.more && !state.pending.is_empty();
        let (start, from_kept) = match &mut self.kept {
            Some(kept) => {
                let before = kept.len();
                match kept.resume(&self.colls[c].url, Some(&state.to_json())) {
                    Ok(start) => (start, kept.len() < before),
                    Err(e) => {
                        return fail(
                            2,
                            format!("sync c{c}: the stored state's text was refused: {e}"),
                        );
                    }
                }
            }
            None => (state.clone(), false),
        };
        if from_kept {
            self.stat("sync from the kept state".to_owned());
        }
        let result = match self.batch {
            Some(max) => {
                self.begin(format!("sync c{c} (batch of {max})"), c, false);
                block_on(self.client.sync_batch(start, kind, max))
            }
            None => {
                self.begin(format!("sync c{c}"), c, false);
                block_on(self.client.sync(start, kind))
            }
        };
        let op = self.end()?;
        let res = match result {
            Ok(res) => res,
            Err(e) => {
                if self.verbose() {
                    eprintln!("    sync failed: {} {}", e.kind(), e.message());
                }
                self.stat(format!("sync failed: {}", e.kind()));
                // Invariant 2: nothing of a failed sync reaches the app.
                if self.colls[c].mirror != mirror_before || self.colls[c].state != state {
                    return fail(
                        2,
                        format!("{}: a failed sync changed the app's data", op.label),
                    );
                }
                return Ok(Synced::Failed);
            }
        };
        self.stat(format!(
            "sync ok: {:?}{}{}",
            res.method,
            if res.token_was_reset {
                ", token reset"
            } else {
                ""
            },
            if res.problems.is_empty() {
                ""
            } else {
                ", with member problems"
            }
        ));
        if self.verbose() {
            eprintln!(
                "    sync ok: {} changes, {} problems, {} pending, method {:?}",
                res.changes.len(),
                res.problems.len(),
                res.state.pending.len(),
                res.method
            );
        }
        invariants::sync_result(&self.world.borrow().server, &op, &res)?;
        self.world.borrow_mut().stats.sync_problems += res.problems.len() as u64;
        if let Some(kept) = &mut self.kept {
            kept.keep_with_text(res.state.clone(), res.state.to_json());
        }
        let mut state = res.state;
        for change in &res.changes {
            let Some(name) = self.name_in(c, change.url()) else {
                continue;
            };
            if self.lossy && self.rng.chance(300) {
                // A broken app (for the harness's own test): drops the change silently.
                continue;
            }
            if self.fail_apply_per_mille > 0 && self.rng.chance(self.fail_apply_per_mille) {
                // The app could not apply this one (a full disk, a locked row): hand it back.
                state.mark_pending(change.url());
                self.world.borrow_mut().stats.marked_pending += 1;
                continue;
            }
            let mirror = &mut self.colls[c].mirror;
            match change {
                Change::Added(o) | Change::Changed(o) => {
                    mirror.insert(
                        name,
                        Local {
                            url: o.url.clone(),
                            etag: o.etag.clone(),
                            data: o.data.clone().unwrap_or_default(),
                        },
                    );
                }
                Change::Deleted { .. } => {
                    mirror.remove(&name);
                }
            }
        }
        self.colls[c].state = state;
        // A batch that resumes a listing ran, for invariant 1, since the batch that listed.
        let since = match self.colls[c].listed_at {
            Some(listed) if resumes => listed,
            _ => op.start_event,
        };
        self.colls[c].listed_at = self.colls[c].state.more.then_some(since);
        let mut w = self.world.borrow_mut();
        let since = Some(since);
        let compared = invariants::converged(&w.server, &self.colls[c], since, 1, &op.label)?;
        w.stats.members_compared += compared as u64;
        let quiet = op.concurrent == 0 && self.colls[c].state.pending.is_empty();
        if quiet && res.problems.is_empty() {
            w.stats.quiet_syncs += 1;
        }
        Ok(if res.more { Synced::More } else { Synced::Done })
    }

    /// Syncs a collection to the end (every batch of a batched sync), retrying a failed sync
    /// up to `tries` times in all. `Ok(false)`: it did not get to the end.
    pub fn sync(&mut self, c: usize, tries: usize) -> Result<bool, Violation> {
        let mut failures = 0;
        let mut batches = 0;
        while failures < tries {
            match self.sync_once(c)? {
                Synced::Done => return Ok(true),
                Synced::Failed => failures += 1,
                Synced::More => {
                    batches += 1;
                    if batches > MAX_BATCHES {
                        return fail(
                            5,
                            format!("sync c{c}: still more to fetch after {MAX_BATCHES} batches"),
                        );
                    }
                }
            }
        }
        Ok(false)
    }

    fn with_etag(&mut self, c: usize) -> Option<(String, String, String)> {
        let candidates: Vec<(String, String, String)> = self.colls[c]
            .mirror
            .iter()
            .filter_map(|(n, l)| l.etag.clone().map(|e| (n.clone(), l.url.clone(), e)))
            .collect();
        self.rng.pick(&candidates).cloned()
    }

    /// Records in the mirror and in the stored state what the app now knows is on the server
    /// (`None`: gone), so the next sync reports later changes to it, deletions included (a
    /// sync reports only deletions of members the state has): its ETag, or the member marked
    /// pending so the next sync fetches it.
    fn record(&mut self, c: usize, url: &str, local: Option<Local>) {
        let Some(name) = self.name_in(c, url) else {
            return;
        };
        let key = davkit::href::normalize(url);
        let coll = &mut self.colls[c];
        // Keys ending in the name as written (normalising parses a URL): a key spelling it
        // otherwise (`%40` for `@`, as Google writes it) stays beside the one inserted below,
        // as it would in an app that keys by its own spelling; the next sync drops the one
        // that does not count (`OldKeys::all_without_shadowed`; seed 18514135 found it).
        coll.state
            .etags
            .retain(|k, _| !k.ends_with(name.as_str()) || davkit::href::normalize(k) != key);
        match local {
            Some(local) => {
                match &local.etag {
                    // Recorded as `record_write` does (the write is the member's latest version,
                    // no longer owed), but keeping the other spellings, as above.
                    Some(etag) if !self.writes_as_pending => {
                        coll.state.etags.insert(url.to_owned(), etag.clone());
                        coll.state.listed.insert(url.to_owned(), etag.clone());
                        coll.state
                            .pending
                            .retain(|h| davkit::href::normalize(h) != key);
                    }
                    // The ETag is unknown (or the app prefers so): the next sync fetches it
                    // whatever it hears, as `record_write` leaves a write without its ETag:
                    // pending with no check (the version the state held before the write is
                    // no answer to wait for, and `mark_pending` would make it one).
                    _ => {
                        coll.state
                            .listed
                            .retain(|k, _| davkit::href::normalize(k) != key);
                        coll.state.pending.insert(url.to_owned());
                    }
                }
                coll.mirror.insert(name, local);
            }
            None => {
                coll.mirror.remove(&name);
            }
        }
    }

    fn store_written(&mut self, c: usize, result: WriteResult, sent: String) {
        let url = result.url.clone();
        let local = Local {
            url: result.url,
            etag: result.etag,
            data: result.data.unwrap_or(sent),
        };
        self.record(c, &url, Some(local));
    }

    /// After a write whose outcome is unknown: read the member again; if that fails too, the
    /// next sync must fetch it.
    fn after_unknown_outcome(&mut self, c: usize, url: &str) -> Result<(), Violation> {
        if !self.reread(c, url)? {
            self.colls[c].state.mark_pending(url);
        }
        Ok(())
    }

    fn outcome_stat(&self, what: &str, result: &davkit::Result<impl Sized>) {
        match result {
            Ok(_) => self.stat(format!("{what} ok")),
            Err(e) => self.stat(format!("{what} failed: {}", e.kind())),
        }
    }

    /// Edits a member the app holds, with the ETag it read.
    pub fn update(&mut self, c: usize, retry: bool) -> Result<(), Violation> {
        let Some((name, url, etag)) = self.with_etag(c) else {
            return self.sync(c, 1).map(drop);
        };
        self.edits += 1;
        let data = object_data(
            self.colls[c].calendar,
            &uid_of(&name),
            &format!("app edit {}", self.edits),
        );
        self.begin(format!("update c{c}/{name} if-match {etag}"), c, true);
        let result = block_on(self.client.update_object(&url, &data, &etag));
        let op = self.end()?;
        {
            let w = &mut *self.world.borrow_mut();
            invariants::write_outcome(
                &w.server,
                &w.writes,
                &op,
                WriteKind::Update,
                result.as_ref().map(Some),
                &mut w.stats,
            )?;
        }
        self.outcome_stat("update", &result);
        match result {
            Ok(r) => self.store_written(c, r, data),
            Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                self.sync(c, 1)?;
                if retry {
                    self.update(c, false)?;
                }
            }
            Err(e) if e.kind() == ErrorKind::Transport => self.after_unknown_outcome(c, &url)?,
            Err(_) => {}
        }
        Ok(())
    }

    /// Creates a member: a new UID, or now and then one another device just created (two
    /// devices adding the same invitation), which the app has not seen yet.
    pub fn create(&mut self, c: usize) -> Result<(), Violation> {
        let calendar = self.colls[c].calendar;
        let unseen: Vec<String> = self.world.borrow().server.colls[c]
            .members
            .keys()
            .filter(|n| !self.colls[c].mirror.contains_key(*n))
            .cloned()
            .collect();
        let uid = match self.rng.pick(&unseen).cloned() {
            Some(name) if self.rng.chance(300) => uid_of(&name),
            _ => self.world.borrow_mut().server.fresh_uid("a"),
        };
        self.edits += 1;
        let name = member_name(calendar, &uid);
        let data = object_data(calendar, &uid, &format!("app create {}", self.edits));
        self.begin(format!("create c{c}/{name}"), c, true);
        let result = block_on(self.client.create_object(&self.colls[c].url, &name, &data));
        let op = self.end()?;
        {
            let w = &mut *self.world.borrow_mut();
            invariants::write_outcome(
                &w.server,
                &w.writes,
                &op,
                WriteKind::Create,
                result.as_ref().map(Some),
                &mut w.stats,
            )?;
        }
        self.outcome_stat("create", &result);
        match result {
            Ok(r) => self.store_written(c, r, data),
            Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                self.sync(c, 1)?;
            }
            Err(e) if e.kind() == ErrorKind::Transport => {
                if self.flavor == Flavor::GoogleCarddav {
                    // Created by POST: the app cannot know the URL; a sync finds out.
                    self.sync(c, 1)?;
                } else {
                    let url = format!("{}{name}", self.colls[c].url);
                    self.after_unknown_outcome(c, &url)?;
                }
            }
            Err(_) => {}
        }
        Ok(())
    }

    /// Deletes a member the app holds, with the ETag it read.
    pub fn delete(&mut self, c: usize, retry: bool) -> Result<(), Violation> {
        let Some((name, url, etag)) = self.with_etag(c) else {
            return self.sync(c, 1).map(drop);
        };
        self.begin(format!("delete c{c}/{name} if-match {etag}"), c, true);
        let result = block_on(self.client.delete_object(&url, &etag));
        let op = self.end()?;
        {
            let w = &mut *self.world.borrow_mut();
            invariants::write_outcome(
                &w.server,
                &w.writes,
                &op,
                WriteKind::Delete,
                result.as_ref().map(|_| None),
                &mut w.stats,
            )?;
        }
        self.outcome_stat("delete", &result);
        match result {
            Ok(()) => self.record(c, &url, None),
            Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                self.sync(c, 1)?;
                if retry {
                    self.delete(c, false)?;
                }
            }
            Err(e) if e.kind() == ErrorKind::Transport => self.after_unknown_outcome(c, &url)?,
            Err(_) => {}
        }
        Ok(())
    }

    /// Reads one member again after a write whose outcome is unknown; false if that failed.
    pub fn reread(&mut self, c: usize, url: &str) -> Result<bool, Violation> {
        let Some(name) = self.name_in(c, url) else {
            return Ok(false);
        };
        self.begin(format!("get c{c}/{name}"), c, false);
        let result = block_on(self.client.get_object(url));
        let op = self.end()?;
        self.outcome_stat("get", &result);
        match result {
            Ok(o) => {
                let data = o.data.unwrap_or_default();
                // Without an ETag (a proxy dropped it), the data must still be a version the
                // server stored; `record` then leaves the member to the next sync.
                let world = self.world.borrow();
                let versions = &world.server.versions;
                let real = match &o.etag {
                    Some(e) => versions.get(&(c, name.clone(), e.clone())) == Some(&data),
                    None => versions
                        .iter()
                        .any(|((vc, vn, _), d)| *vc == c && *vn == name && *d == data),
                };
                drop(world);
                if !real {
                    return fail(
                        3,
                        format!(
                            "{}: read {:?}, no version the server stored",
                            op.label, o.etag
                        ),
                    );
                }
                let etag = o.etag.clone();
                let local = Local {
                    url: o.url,
                    etag: o.etag,
                    data,
                };
                self.record(c, url, Some(local));
                // A read may come from a replica behind (an older version): shown, but handed
                // to the next sync, with the ETag read as the one its answer must match, rather
                // than that ETag standing in the state for a version the token is past.
                let state = &mut self.colls[c].state;
                if let Some(e) = etag {
                    state.etags.insert(url.to_owned(), e);
                }
                state.mark_pending(url);
                Ok(true)
            }
            // Gone, as far as this one answer says: a replica that has not caught up with a
            // member created since answers 404 too. The app drops its copy and hands the
            // member to the next sync, whose listing or report says which it is.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.record(c, url, None);
                self.colls[c].state.mark_pending(url);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Faults and other devices stop; every collection must converge (invariant 2) and stay
    /// converged (a second sync reports nothing).
    pub fn quiesce(&mut self) -> Result<(), Violation> {
        {
            let mut w = self.world.borrow_mut();
            w.faults.enabled = false;
            w.concurrent_per_mille = 0;
            if w.verbose {
                eprintln!("  -- faults and other devices stop --");
            }
        }
        self.fail_apply_per_mille = 0;
        for c in 0..self.colls.len() {
            // A batched sync stopped between batches ends first: its listing is older than
            // the faults' end, so convergence is asked of the sync after it.
            if self.colls[c].state.more && !self.sync(c, 2)? {
                return fail(
                    2,
                    format!("sync c{c}: the batches left did not end after the faults stopped"),
                );
            }
            if !self.sync(c, 2)? {
                return fail(
                    2,
                    format!("sync c{c}: no sync succeeded after the faults stopped"),
                );
            }
            // A member whose last answer came under another ETag than its listing named (a
            // device's change made during the sync, or a replica behind), or was listed
            // without one, is kept pending with the ETag the next answer must match
            // (`SyncState::listed`); two answers that agree settle it, and one at the version
            // the state held does not count as the first. So only such members may wait, for
            // at most two syncs more.
            for _ in 0..2 {
                let s = &self.colls[c].state;
                if s.pending.is_empty() || s.pending.iter().any(|h| s.listed.get(h).is_none()) {
                    break;
                }
                if !self.sync(c, 2)? {
                    return fail(
                        2,
                        format!(
                            "sync c{c}: a sync settling its checks failed after the faults stopped"
                        ),
                    );
                }
            }
            let label = format!("sync c{c} after the faults stopped");
            let mut w = self.world.borrow_mut();
            let compared = invariants::converged(&w.server, &self.colls[c], None, 2, &label)?;
            w.stats.members_compared += compared as u64;
            drop(w);
            self.begin(format!("sync c{c} again (expect no change)"), c, false);
            let again = block_on(
                self.client
                    .sync(self.colls[c].state.clone(), self.colls[c].kind),
            );
            self.end()?;
            match again {
                Ok(res) if res.changes.is_empty() && res.problems.is_empty() => {
                    self.colls[c].state = res.state;
                }
                Ok(res) => {
                    return fail(
                        2,
                        format!(
                            "sync c{c} right after a converged sync reported {} changes and {} \
                             problems (first: {:?})",
                            res.changes.len(),
                            res.problems.len(),
                            res.changes.first().map(Change::url)
                        ),
                    );
                }
                Err(e) => {
                    return fail(
                        2,
                        format!(
                            "sync c{c} without faults failed: {} {}",
                            e.kind(),
                            e.message()
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}
