//! The offline app (issue 16): every edit goes into a `WriteQueue` first, the app goes offline
//! and online, flushes with `DavClient::flush` when online, crashes (in the middle of a flush or
//! a sync, or after one before storing its result) and restarts from what it stored last, and
//! other devices edit the same objects. Conflicts the policy keeps are resolved by the app at
//! random (keep server, keep local, or its own replacement).
//!
//! What the app stores (its "disk"): the queue JSON (after every edit, before every flush, and
//! after applying a flush), and each collection's mirror and sync state (after applying a
//! flush or a sync). A crash goes back to the disk.
//!
//! Invariants (numbered after `invariants.rs`):
//!
//! 4. No write is applied twice: no applied PUT replaces a version holding the data it writes
//!    (a blind repeat), and no two members of a collection share a UID (a create made twice).
//! 6. No local edit is lost unless the policy or the app's own resolution says so: every edit
//!    is superseded by a later local edit of the same object, or reported written (and then
//!    found in a write the server applied), or dropped by `ServerWins`/`NewestWins` or the app's
//!    keep-server resolution; a `ServerKept` outcome only under those policies; the queue is
//!    empty at the end.
//! 7. Every conflict is reported with both versions: the local side as queued, the server's a
//!    version the server really stored.
//! 2. At the end (faults and devices stopped, the queue flushed): the mirror equals the
//!    server, and a sync after it reports nothing.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use davkit::queue::{FlushAnswer, FlushNext, FlushRequest, FlushSteps};
use davkit::{
    CollectionKind, DavClient, DavObject, Entry, EntryOp, EntryState, FlushResult, OutcomeKind,
    Policy, Resolution, Resolved, SyncState, WriteQueue,
};

use crate::client::{Local, block_on};
use crate::invariants::{Violation, fail};
use crate::server::{Server, member_name, object_data};
use crate::world::{OpTrack, SimTokens, SimTransport, World};
use davkit_testkit::Rng;

// The checks made after steps and at the end (invariants 4 and 2, quiescing).
#[path = "queue_app/checks.rs"]
mod checks;

pub const POLICIES: [Policy; 5] = [
    Policy::KeepBoth,
    Policy::ServerWins,
    Policy::LocalWins,
    Policy::NewestWins,
    Policy::Merge,
];

#[derive(Clone, Debug)]
struct Coll {
    url: String,
    kind: CollectionKind,
    calendar: bool,
    mirror: BTreeMap<String, Local>,
    state: SyncState,
}

/// What the app stored last.
#[derive(Clone, Debug)]
struct Disk {
    queue: String,
    colls: Vec<Coll>,
}

pub struct QueueApp {
    world: Rc<RefCell<World>>,
    client: DavClient<SimTransport, SimTokens>,
    rng: Rng,
    colls: Vec<Coll>,
    queue: WriteQueue,
    disk: Disk,
    pub online: bool,
    /// Flushes through [`FlushSteps`], each request made by a client call of its own (as the
    /// npm package's formats module asks the protocol module's client), not [`DavClient::flush`].
    pub by_steps: bool,
    /// Per mille of flushes and syncs the app crashes in (or right after, before storing).
    pub crash_per_mille: u32,
    /// Entry id -> the marker of its local data (`None`: a deletion).
    live: HashMap<u64, Option<String>>,
    /// Markers of edits reported written: each must be in a write the server applied.
    written: Vec<String>,
    /// Writes already checked for blind repeats.
    checked_writes: usize,
    edits: u64,
    /// Another device changed the server during the last flush.
    concurrent: bool,
    /// The versions the app's syncs listed (UID, data): a create a sync saw on the server
    /// holding what the app created is never posted again (invariant 4, `checks.rs`).
    listed: Vec<(String, String)>,
}

impl QueueApp {
    pub fn new(
        world: Rc<RefCell<World>>,
        client: DavClient<SimTransport, SimTokens>,
        rng: Rng,
        policy: Policy,
    ) -> Self {
        let colls: Vec<Coll> = world
            .borrow()
            .server
            .colls
            .iter()
            .enumerate()
            .map(|(i, c)| Coll {
                url: Server::coll_url(i),
                kind: if c.calendar {
                    CollectionKind::Calendar
                } else {
                    CollectionKind::AddressBook
                },
                calendar: c.calendar,
                mirror: BTreeMap::new(),
                state: SyncState::new(Server::coll_url(i)),
            })
            .collect();
        let queue = WriteQueue::with_policy(policy);
        let disk = Disk {
            queue: queue.to_json(),
            colls: colls.clone(),
        };
        QueueApp {
            world,
            client,
            rng,
            colls,
            queue,
            disk,
            online: true,
            by_steps: false,
            crash_per_mille: 0,
            live: HashMap::new(),
            written: Vec::new(),
            checked_writes: 0,
            edits: 0,
            concurrent: false,
            listed: Vec::new(),
        }
    }

    fn verbose(&self) -> bool {
        self.world.borrow().verbose
    }

    fn stat(&self, key: impl Into<String>) {
        self.world.borrow_mut().stats.op(key.into());
    }

    fn store(&mut self) {
        self.disk = Disk {
            queue: self.queue.to_json(),
            colls: self.colls.clone(),
        };
    }

    /// The app dies and starts again from its disk.
    pub fn crash(&mut self, why: &str) -> Result<(), Violation> {
        if self.verbose() {
            eprintln!("  !! the app crashes ({why}) and restarts from its stored data");
        }
        self.stat(format!("queue: crash {why}"));
        self.queue = match WriteQueue::from_json(&self.disk.queue) {
            Ok(q) => q,
            Err(e) => return fail(6, format!("the stored queue does not load: {e}")),
        };
        self.colls = self.disk.colls.clone();
        Ok(())
    }

    fn begin(&mut self, label: String, coll: usize) {
        let mut w = self.world.borrow_mut();
        if w.verbose {
            eprintln!("  {label}");
        }
        let members: usize = w.server.colls.iter().map(|c| c.members.len()).sum();
        w.op = Some(OpTrack {
            label,
            coll,
            intent: None,
            start_event: w.server.event,
            members_at_start: members + 3 * self.queue.entries().len(),
            ..OpTrack::default()
        });
    }

    fn end(&self) -> Result<OpTrack, Violation> {
        let mut w = self.world.borrow_mut();
        w.stats.checks += 1;
        let op = w.op.take().unwrap_or_default();
        match w.violation.take() {
            Some(v) => Err(v),
            None => Ok(op),
        }
    }

    fn name_in(&self, url: &str) -> Option<(usize, String)> {
        match self.world.borrow().server.target(url) {
            Some((c, Some(name))) => Some((c, name)),
            _ => None,
        }
    }

    /// Objects the user can edit in a collection: (url, base ETag, base data, current data).
    fn editable(&self, c: usize) -> Vec<(String, String, Option<String>, String)> {
        let coll = &self.colls[c];
        let mut out = Vec::new();
        for local in coll.mirror.values() {
            let queued = self.queue.entry_for(&local.url);
            match queued.map(|e| &e.op) {
                Some(EntryOp::Delete) => {}
                Some(EntryOp::Create { data }) | Some(EntryOp::Update { data }) => {
                    out.push((local.url.clone(), String::new(), None, data.clone()));
                }
                None => {
                    if let Some(etag) = &local.etag {
                        out.push((
                            local.url.clone(),
                            etag.clone(),
                            Some(local.data.clone()),
                            local.data.clone(),
                        ));
                    }
                }
            }
        }
        for e in self.queue.entries() {
            if let EntryOp::Create { data } = &e.op
                && e.collection_url == coll.url
                && !coll.mirror.values().any(|l| l.url == e.url)
            {
                out.push((e.url.clone(), String::new(), None, data.clone()));
            }
        }
        out
    }

    fn marker(&mut self, what: &str) -> String {
        self.edits += 1;
        format!("app {what} {}", self.edits)
    }

    fn note(&mut self, id: u64, marker: Option<String>) {
        if self.queue.entry(id).is_some() {
            self.live.insert(id, marker);
        } else {
            self.live.remove(&id);
        }
    }

    /// One local edit (online or not): update, create or delete, into the queue.
    pub fn edit(&mut self, c: usize) -> Result<(), Violation> {
        let calendar = self.colls[c].calendar;
        let candidates = self.editable(c);
        let roll = self.rng.below(100);
        let pick = self.rng.pick(&candidates).cloned();
        let result = match (roll, pick) {
            (0..=54, Some((url, etag, base, current))) => {
                let marker = self.marker("edit");
                let title = self.rng.chance(400);
                let data = edit_data(&current, calendar, &marker, title);
                if self.verbose() {
                    eprintln!("  edit {url} ({marker}) on {etag:?}");
                }
                self.queue
                    .enqueue_update(&url, &data, &etag, base.as_deref())
                    .map(|id| (id, Some(marker)))
            }
            (55..=74, Some((url, etag, base, _))) => {
                if self.verbose() {
                    eprintln!("  delete {url} on {etag:?}");
                }
                self.queue
                    .enqueue_delete(&url, &etag, base.as_deref())
                    .map(|id| (id, None))
            }
            _ => {
                let uid = self.world.borrow_mut().server.fresh_uid("a");
                let marker = self.marker("create");
                let name = member_name(calendar, &uid);
                let data = object_data(calendar, &uid, &marker);
                if self.verbose() {
                    eprintln!("  create c{c}/{name} ({marker})");
                }
                let url = self.colls[c].url.clone();
                self.queue
                    .enqueue_create(&url, &name, &data)
                    .map(|id| (id, Some(marker)))
            }
        };
        match result {
            Ok((id, marker)) => {
                self.note(id, marker);
                if self.rng.chance(200) && self.queue.entry(id).is_some() {
                    let policy = self.rng.pick(&POLICIES).copied();
                    if self.queue.set_entry_policy(id, policy).is_err() {
                        return fail(6, format!("entry {id} vanished after its enqueue"));
                    }
                }
                self.stat("queue: edit queued");
                self.store();
                Ok(())
            }
            Err(e) => fail(
                6,
                format!(
                    "the queue refused an edit the app may make: {} {}",
                    e.kind(),
                    e.message()
                ),
            ),
        }
    }

    /// Flushes the queue (when online), maybe crashing on the way.
    pub fn flush(&mut self) -> Result<(), Violation> {
        if !self.online {
            return Ok(());
        }
        self.disk.queue = self.queue.begin_flush();
        let before = self.queue.clone();
        let crash = self.rng.chance(self.crash_per_mille);
        if crash {
            self.world.borrow_mut().crash_in = Some(self.rng.below(7));
        }
        self.begin(format!("flush ({} entries)", before.entries().len()), 0);
        let first_write = self.world.borrow().writes.len();
        let result = if self.by_steps {
            block_on(flush_by_steps(
                &self.world,
                &self.client,
                self.queue.clone(),
            ))
        } else {
            block_on(self.client.flush(self.queue.clone()))
        };
        let crashed = self.world.borrow_mut().crash_in.take() == Some(0);
        let op = self.end()?;
        self.concurrent = op.concurrent > 0;
        self.check_writes()?;
        if crash && (crashed || self.rng.chance(500)) {
            // Died during the flush, or after it before storing what it returned.
            return self.crash(if crashed {
                "in a flush"
            } else {
                "after a flush, before storing it"
            });
        }
        match result {
            Ok(res) => {
                self.check_replaced(&res, first_write)?;
                self.apply_flush(&before, res)
            }
            Err(e) => fail(
                6,
                format!("a begun flush failed: {} {}", e.kind(), e.message()),
            ),
        }
    }

    fn apply_flush(&mut self, before: &WriteQueue, res: FlushResult) -> Result<(), Violation> {
        match &res.stopped {
            Some(e) => self.stat(format!("queue: flush stopped: {}", e.kind())),
            None => self.stat("queue: flush done"),
        }
        for o in &res.outcomes {
            let entry = before.entry(o.id).cloned();
            let label = match &o.kind {
                OutcomeKind::Written { how, replaced, .. } => {
                    format!(
                        "written ({how:?}{})",
                        if *replaced { ", replaced" } else { "" }
                    )
                }
                OutcomeKind::Deleted { already_gone, .. } => {
                    format!("deleted (already gone: {already_gone})")
                }
                OutcomeKind::ServerKept { policy, .. } => format!("server kept ({policy:?})"),
                OutcomeKind::Conflict { server, .. } => {
                    format!("conflict (server side gone: {})", server.is_none())
                }
                OutcomeKind::Failed { error } => format!("failed ({})", error.kind()),
            };
            self.stat(format!("queue outcome: {label}"));
            if self.verbose() {
                eprintln!("    entry {} -> {label} at {}", o.id, o.url);
            }
            let moved = o.url != o.queued_url
                && matches!(
                    o.kind,
                    OutcomeKind::Written { .. }
                        | OutcomeKind::ServerKept { .. }
                        | OutcomeKind::Deleted { .. }
                );
            if moved {
                self.record(&o.queued_url, None);
            }
            match &o.kind {
                OutcomeKind::Written { etag, data, .. } => {
                    if let Some(Some(marker)) = self.live.remove(&o.id) {
                        // What a write returns may be read back after another device changed
                        // it; without such a change it holds the edit.
                        // Or, for a write made earlier (a create whose POST answer was lost,
                        // then listed by a sync), after that: the edit is in a write the server
                        // applied.
                        if !self.concurrent
                            && !data.as_deref().is_some_and(|d| d.contains(&marker))
                            && !self.applied_with(&marker)
                        {
                            return fail(
                                6,
                                format!(
                                    "entry {} reported written without its edit {marker}",
                                    o.id
                                ),
                            );
                        }
                        self.written.push(marker);
                    }
                    let local = Local {
                        url: o.url.clone(),
                        etag: etag.clone(),
                        data: data.clone().unwrap_or_default(),
                    };
                    // A write found already applied was read, not written: the app records it
                    // as a read (`SyncState::record_read`), as `FlushResult::record_in` does.
                    let read = matches!(
                        o.kind,
                        OutcomeKind::Written {
                            how: Resolved::AlreadyApplied,
                            ..
                        }
                    );
                    self.record_as(&o.url, Some(local), read);
                }
                OutcomeKind::Deleted { .. } => {
                    self.live.remove(&o.id);
                    self.record(&o.url, None);
                }
                OutcomeKind::ServerKept { server, policy, .. } => {
                    let own = entry
                        .as_ref()
                        .and_then(|e| e.policy)
                        .unwrap_or(before.policy);
                    if !matches!(policy, Policy::ServerWins | Policy::NewestWins) || *policy != own
                    {
                        return fail(
                            6,
                            format!(
                                "entry {} dropped its local change under {policy:?} (its policy: \
                                 {own:?})",
                                o.id
                            ),
                        );
                    }
                    self.live.remove(&o.id);
                    self.record_server(&o.url, server.as_ref());
                }
                OutcomeKind::Conflict { local, server, .. } => {
                    let queued = entry.as_ref().and_then(|e| e.op.data().map(str::to_owned));
                    if *local != queued {
                        return fail(
                            7,
                            format!(
                                "entry {}: the conflict's local side is not the queued one",
                                o.id
                            ),
                        );
                    }
                    if let Some(obj) = server {
                        self.real_version(obj, o.id)?;
                    }
                    // The mirror is the server's side: it takes the version the conflict saw
                    // (or its deletion); the local side waits in the queue.
                    self.record_server(&o.url, server.as_ref());
                }
                // Kept queued, marked failed: the app resolves it (keep local tries again).
                OutcomeKind::Failed { .. } => {}
            }
        }
        self.queue = res.queue;
        self.store();
        Ok(())
    }

    /// Whether a write the server applied holds the edit with this marker.
    fn applied_with(&self, marker: &str) -> bool {
        self.world.borrow().writes.iter().any(|l| {
            l.write
                .data
                .as_deref()
                .is_some_and(|d| contains_marker(d, marker))
        })
    }

    /// Invariant 7: a server version reported is one the server stored.
    fn real_version(&self, obj: &DavObject, id: u64) -> Result<(), Violation> {
        let Some((c, name)) = self.name_in(&obj.url) else {
            return fail(7, format!("entry {id}: a server version at {}", obj.url));
        };
        let w = self.world.borrow();
        let real = obj.etag.as_ref().is_some_and(|e| {
            w.server.versions.get(&(c, name.clone(), e.clone())) == obj.data.as_ref()
        });
        if !real {
            return fail(
                7,
                format!(
                    "entry {id}: the conflict's server side ({:?}) is no version the server stored",
                    obj.etag
                ),
            );
        }
        Ok(())
    }

    /// What the app now knows is on the server, in mirror and state (written by it).
    fn record(&mut self, url: &str, local: Option<Local>) {
        self.record_as(url, local, false);
    }

    /// [`QueueApp::record`], for a version the app wrote, or (`read`) one a flush read: recorded
    /// with `SyncState::record_read`, which the next sync checks.
    fn record_as(&mut self, url: &str, local: Option<Local>, read: bool) {
        let Some((c, name)) = self.name_in(url) else {
            return;
        };
        let coll = &mut self.colls[c];
        match local {
            Some(local) => {
                match &local.etag {
                    Some(etag) if read => coll.state.record_read(url, Some(etag)),
                    Some(etag) => coll.state.record_write(&davkit::WriteResult {
                        url: url.to_owned(),
                        etag: Some(etag.clone()),
                        data: None,
                        replaced: false,
                    }),
                    None => coll.state.mark_pending(url),
                }
                coll.mirror.insert(name, local);
            }
            None => {
                coll.state.record_delete(url);
                coll.mirror.remove(&name);
            }
        }
    }

    fn record_server(&mut self, url: &str, server: Option<&DavObject>) {
        match server {
            Some(obj) => {
                let local = Local {
                    url: obj.url.clone(),
                    etag: obj.etag.clone(),
                    data: obj.data.clone().unwrap_or_default(),
                };
                self.record_as(&obj.url, Some(local), true);
            }
            None => self.record(url, None),
        }
    }

    /// The app resolves conflicted entries (each with probability `per_mille`).
    pub fn resolve(&mut self, per_mille: u32) -> Result<(), Violation> {
        let stuck: Vec<Entry> = self
            .queue
            .entries()
            .iter()
            .filter(|e| e.state != EntryState::Pending)
            .cloned()
            .collect();
        for e in stuck {
            if !self.rng.chance(per_mille) {
                continue;
            }
            let server = match &e.state {
                EntryState::Conflict { server, .. } => server.clone(),
                _ => None,
            };
            let calendar = self
                .colls
                .iter()
                .find(|c| c.url == e.collection_url)
                .is_some_and(|c| c.calendar);
            let roll = self.rng.below(10);
            let (resolution, marker) = match roll {
                0..=3 => (Resolution::KeepServer, None),
                4..=7 => (
                    Resolution::KeepLocal,
                    self.live.get(&e.id).cloned().flatten(),
                ),
                _ => {
                    // The app's own merge: the server's version with a new edit.
                    let marker = self.marker("merge");
                    let from = server
                        .as_ref()
                        .and_then(|o| o.data.clone())
                        .or_else(|| e.op.data().map(str::to_owned))
                        .unwrap_or_else(|| object_data(calendar, "x", "x"));
                    let data = edit_data(&from, calendar, &marker, false);
                    (Resolution::Replace(data), Some(marker))
                }
            };
            if self.verbose() {
                eprintln!("  resolve entry {} with {resolution:?}", e.id);
            }
            self.stat(format!(
                "queue: resolved {}",
                match &resolution {
                    Resolution::KeepServer => "keep server",
                    Resolution::KeepLocal => "keep local",
                    Resolution::Replace(_) => "replace",
                }
            ));
            let dropped = match self.queue.resolve(e.id, resolution.clone()) {
                Ok(dropped) => dropped,
                Err(err) => return fail(6, format!("resolving entry {} failed: {err}", e.id)),
            };
            // An entry that left the queue here, after a sync moved it from the URL it was
            // queued under, leaves nothing at that URL: the app drops what it shows there, as
            // for an outcome's `queued_url` (seed 62447119 kept a ghost there).
            if let Some(from) = dropped {
                self.record(&from, None);
            }
            match resolution {
                Resolution::KeepServer => {
                    self.live.remove(&e.id);
                    match &e.state {
                        EntryState::Conflict { server, .. } => {
                            // The server's version the conflict saw may be old by now (a sync
                            // held later changes back): shown, and fetched again next sync.
                            self.record_server(&e.url, server.as_ref());
                            let url = server.as_ref().map_or(e.url.clone(), |o| o.url.clone());
                            if let Some((c, _)) = self.name_in(&url) {
                                self.colls[c].state.mark_pending(&url);
                            }
                        }
                        _ => {
                            if let Some((c, _)) = self.name_in(&e.url) {
                                self.colls[c].state.mark_pending(&e.url);
                            }
                        }
                    }
                }
                _ => self.note(e.id, marker),
            }
        }
        self.store();
        Ok(())
    }

    /// Syncs a collection (when online); changes to objects with queued edits are held back.
    pub fn sync(&mut self, c: usize) -> Result<bool, Violation> {
        if !self.online {
            return Ok(false);
        }
        let crash = self.rng.chance(self.crash_per_mille / 2);
        if crash {
            self.world.borrow_mut().crash_in = Some(self.rng.below(4));
        }
        self.begin(format!("sync c{c}"), c);
        let result = block_on(
            self.client
                .sync(self.colls[c].state.clone(), self.colls[c].kind),
        );
        let crashed = self.world.borrow_mut().crash_in.take() == Some(0);
        self.end()?;
        if crashed {
            self.crash("in a sync")?;
            return Ok(false);
        }
        let res = match result {
            Ok(r) => r,
            Err(e) => {
                self.stat(format!("queue: sync failed: {}", e.kind()));
                return Ok(false);
            }
        };
        for change in &res.changes {
            if let davkit::Change::Added(o) | davkit::Change::Changed(o) = change
                && let Some(data) = &o.data
                && let Some(uid) = davkit::queue::merge::uid(data)
            {
                self.listed.push((uid, data.clone()));
            }
        }
        let split = self.queue.split_changes(res.changes);
        if !split.held.is_empty() {
            self.stat(format!(
                "queue: sync held back {} changes",
                split.held.len()
            ));
        }
        for change in &split.apply {
            let Some((cc, name)) = self.name_in(change.url()) else {
                continue;
            };
            if cc != c {
                continue;
            }
            match change {
                davkit::Change::Added(o) | davkit::Change::Changed(o) => {
                    self.colls[c].mirror.insert(
                        name,
                        Local {
                            url: o.url.clone(),
                            etag: o.etag.clone(),
                            data: o.data.clone().unwrap_or_default(),
                        },
                    );
                }
                davkit::Change::Deleted { .. } => {
                    self.colls[c].mirror.remove(&name);
                }
            }
        }
        self.colls[c].state = res.state;
        self.store();
        Ok(true)
    }
}

/// The data without the properties the simulated Google adds when it stores.
fn strip(data: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = data
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with("X-SIM-STORED"))
        .collect();
    lines.sort_unstable();
    lines
}

/// Whether `stored` holds every line of `sent` (the simulated Google adds its own).
fn holds(stored: &str, sent: &str) -> bool {
    let stored = strip(stored);
    strip(sent).iter().all(|l| stored.contains(l))
}

fn contains_marker(data: &str, marker: &str) -> bool {
    data.split("\r\n").any(|l| l.ends_with(marker))
}

/// A local edit: the title, or (so that a merge with another device's title change works) a
/// property devices never touch (`LOCATION`, `NOTE`).
fn edit_data(data: &str, calendar: bool, marker: &str, title: bool) -> String {
    let (prop, end) = match (calendar, title) {
        (true, true) => ("SUMMARY", "END:VEVENT"),
        (true, false) => ("LOCATION", "END:VEVENT"),
        (false, true) => ("FN", "END:VCARD"),
        (false, false) => ("NOTE", "END:VCARD"),
    };
    let line = format!("{prop}:{marker}");
    let mut out: Vec<String> = Vec::new();
    let mut done = false;
    for l in data.split("\r\n") {
        if !done && l.starts_with(&format!("{prop}:")) {
            out.push(line.clone());
            done = true;
        } else if !done && l == end {
            out.push(line.clone());
            out.push(l.to_owned());
            done = true;
        } else {
            out.push(l.to_owned());
        }
    }
    // A later stamp than any device writes, so newest-wins has a side to pick.
    out.join("\r\n")
        .replace("DTSTAMP:20260101T000000Z", "DTSTAMP:20260201T000000Z")
}

/// A flush run as a host whose DAV client is apart from the queue runs it: [`FlushSteps`]
/// decides, and each [`FlushRequest`] is one call of the client (its own retry loop: token
/// refresh, rate limits), whose result is the [`FlushAnswer`]. Each call is bounded as a client
/// operation of its own (invariant 5: its runs and retry sleeps).
async fn flush_by_steps(
    world: &Rc<RefCell<World>>,
    client: &DavClient<SimTransport, SimTokens>,
    queue: WriteQueue,
) -> davkit::Result<FlushResult> {
    let session = client.session();
    let mut steps = FlushSteps::new(queue, session.profile().clone(), *session.limits());
    loop {
        let request = match steps.poll() {
            FlushNext::Ask(request) => request,
            FlushNext::Done(result) => return result,
        };
        if let Some(op) = world.borrow_mut().op.as_mut() {
            op.attempts = 0;
            op.sleeps = 0;
            op.retry_after_ms = None;
        }
        let answer = match request {
            FlushRequest::Get { url } => FlushAnswer::Get(client.get_object(&url).await),
            FlushRequest::Create {
                collection,
                name,
                data,
            } => FlushAnswer::Write(client.create_object(&collection, &name, &data).await),
            FlushRequest::Update { url, data, etag } => {
                FlushAnswer::Write(client.update_object(&url, &data, &etag).await)
            }
            FlushRequest::Delete { url, etag } => {
                FlushAnswer::Write(client.run(|s| s.delete_object(&url, &etag)).await)
            }
            FlushRequest::List { collection } => {
                FlushAnswer::List(client.run(|s| s.list_members(&collection)).await)
            }
            FlushRequest::Multiget {
                collection,
                kind,
                hrefs,
            } => FlushAnswer::Multiget(client.multiget(&collection, kind, hrefs).await),
        };
        steps.answer(answer);
    }
}
