//! The flush: a sans-IO operation that sends a [`WriteQueue`]'s entries one after another
//! through the conditional [`Write`](crate::Write) operation (and GETs, listings and multigets
//! to verify and to read the server's side of a conflict), forwarding the inner operations'
//! requests under its own request ids.
//!
//! Two parts: [`FlushSteps`] decides, one [`FlushRequest`] at a time (a GET, a create, an
//! update or a delete with its precondition, a listing, a multiget), and [`Flush`] makes each
//! request through the session's own operations. A host whose DAV client is elsewhere can run
//! [`FlushSteps`] itself and answer its requests with that client's calls of the same names.
//!
//! Per entry:
//!
//! 1. A create by POST (Google Contacts) of an entry that an earlier flush may have sent is
//!    first looked up by UID (one listing and one multiget of the collection per flush, and a
//!    GET for each member the multiget did not deliver): found holding our data, it is done;
//!    found changed, it is a conflict; not found by two flushes' searches, it is posted (one
//!    search is no answer: an eventually consistent server lists a new object only later). A
//!    create whose earlier POST may have applied is never posted blindly: a member that none
//!    of these could read stops the flush.
//! 2. The write, with the entry's base ETag (`If-Match`) or `If-None-Match: *`, adapted to the
//!    profile by [`Write`]. A delete whose base is unknown (a create a flush may have sent,
//!    then deleted locally) reads the object first and deletes it only if it holds our data
//!    (where the server names what is POSTed, it is looked up by UID as in 1).
//! 3. A 412, or a 404 for an update or delete, reads the object: if it holds the entry's data,
//!    the write was applied (by an earlier flush cut off before it was confirmed) and is not
//!    repeated; if it holds data an earlier flush sent, or the data of the version the entry
//!    was made on (under another ETag: one the server changed without changing the data, or a
//!    weak one whose strong form the server does not match either), the entry
//!    is rebased on it and written once more; otherwise it is a conflict, resolved by the
//!    entry's [`Policy`].
//!    An update whose base version holds its data already writes nothing: the object is read,
//!    and what the server holds stands (written, or deleted by another device), whatever the
//!    policy (a create an earlier POST made, met by a sync under the server's name:
//!    [`WriteQueue::hold_version`]).
//!    A read that a replica behind the server could have answered does not end an entry on its
//!    own: a 404 for a deletion, and for such an update a 404 or another version than its base,
//!    leave the entry pending with the answer noted ([`Entry::read_once`]); it stands when the
//!    next flush's read answers the same.
//! 4. A transport failure, rate limit, 401, server error (5xx) or a refusal for now (408, 421,
//!    425) stops the flush (the entry stays queued and pending, and is verified next time). A
//!    423 Locked keeps the entry pending too, with the later entries of its collection or its
//!    UID, and the flush goes on with the others ([`held`]: a lock may never be released). An
//!    error that retrying cannot fix (any other 4xx) marks the entry failed, skipped by later
//!    flushes until it is resolved, and the flush goes on.

use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::http::{HttpResponse, RequestId};
use crate::limits::Limits;
use crate::model::{DavObject, WriteResult};
use crate::op::{Operation, Poll, Relay, out_of_turn};
use crate::ops::sync::GONE_ONCE;
use crate::profile::Profile;
use crate::session::Session;

use super::{
    ConflictHook, Entry, EntryOp, EntryState, FlushResult, Outcome, OutcomeKind, Policy, ReadOnce,
    Resolved, WriteQueue,
};

/// How many times one entry may be written again after a conflict or a rebase in one flush
/// (another device that keeps changing the object wins the race; the entry is then kept as a
/// conflict).
const MAX_ROUNDS: u8 = 3;

mod conflict;
mod held;
mod inner;
mod search;

use held::Held;

use inner::Inner;
pub use inner::{FlushAnswer, FlushRequest};

/// What the current inner operation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The write itself.
    Main,
    /// Reading the server's version after a 412 or 404.
    Read,
    /// Reading the object before a delete whose base is unknown.
    ReadBeforeDelete,
    /// Listing the collection to find earlier POSTs by UID.
    FindList,
    /// Fetching the listed members to find earlier POSTs by UID.
    FindFetch,
    /// Reading by GET a listed member the multiget did not deliver.
    FindConfirm,
    /// Reading the object of an update with nothing to write.
    Verify,
}

/// The entry being worked on.
struct Work {
    entry: Entry,
    step: Step,
    rounds: u8,
    how: Resolved,
    /// The collection was searched for this entry's UID (before a POST).
    searched: bool,
}

/// Sends a [`WriteQueue`]; create it with [`Session::flush`]. Its output is a
/// [`FlushResult`]; it fails only when the queue was not begun ([`WriteQueue::begin_flush`]).
/// It runs [`FlushSteps`], making each of its requests through the session's operations.
pub struct Flush {
    steps: FlushSteps,
    session: Session,
    /// The operation making the current request.
    relay: Relay<Inner>,
}

/// What [`FlushSteps::poll`] asks for.
#[derive(Debug)]
pub enum FlushNext {
    /// Make this request and give its answer to [`FlushSteps::answer`], then ask again.
    Ask(FlushRequest),
    /// The flush is finished: the same result [`Flush`] gives.
    Done(Result<FlushResult>),
}

/// The flush's decisions: which [`FlushRequest`] comes next, and what each answer means for the
/// entry (done, written again on the server's version, a conflict for the policy, failed, or
/// the flush stopped). Run by [`Flush`]; a host that makes the requests with a DAV client of
/// its own runs it directly: [`poll`](FlushSteps::poll), make the request,
/// [`answer`](FlushSteps::answer), until [`FlushNext::Done`].
pub struct FlushSteps {
    /// The server's profile (what it names, how it stores what it is sent).
    profile: Profile,
    limits: Limits,
    start: WriteQueue,
    /// The entries to send, in order (the pending ones when the flush was made).
    todo: std::vec::IntoIter<Entry>,
    work: Option<Work>,
    /// The request to hand out next.
    request: Option<FlushRequest>,
    /// A request was handed out and not answered yet.
    asked: bool,
    outcomes: Vec<Outcome>,
    stopped: Option<Error>,
    /// Objects of a collection by UID, for POST verification (per collection URL; a flush
    /// searches few collections, so they are a list).
    found: Vec<search::Found>,
    /// The members listed by `FindList`, all of which `FindFetch` must deliver; after it,
    /// those it did not deliver, each read by GET (`FindConfirm`).
    listed: Vec<String>,
    /// What `FindFetch` and `FindConfirm` delivered of the collection being searched.
    fetched: Vec<DavObject>,
    /// The collection being searched by `FindList`/`FindFetch`.
    searching: Option<String>,
    failed: Option<Error>,
    done: bool,
    /// The app's conflict resolution, asked before the policy.
    hook: Option<ConflictHook>,
    /// Entries a lock refused, and what they hold back ([`held`]).
    held: Held,
    /// Answers that left their entry pending ([`FlushSteps::believed`]).
    read_once: Vec<ReadOnce>,
    /// Entries not to start: noted by an earlier attempt of the same call
    /// ([`FlushSteps::skipping`]).
    skip: Vec<u64>,
}

impl std::fmt::Debug for Flush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flush")
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FlushSteps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlushSteps")
            .field("outcomes", &self.outcomes.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Sends a write queue (see [`crate::queue`]): call [`WriteQueue::begin_flush`] and store
    /// its JSON first, then run this with the queue. Entries conflicted or failed earlier are
    /// skipped; the result holds the queue without the entries the server confirmed, and one
    /// outcome per entry finished.
    pub fn flush(&self, queue: WriteQueue) -> Flush {
        Flush {
            steps: FlushSteps::new(queue, self.ctx.profile.clone(), self.ctx.limits),
            session: self.clone(),
            relay: Relay::new(),
        }
    }
}

impl Flush {
    /// Asks `hook` about every conflict before the entry's policy (see [`ConflictHook`]).
    pub fn with_hook(mut self, hook: ConflictHook) -> Self {
        self.steps.hook = Some(hook);
        self
    }

    /// [`FlushSteps::skipping`].
    pub(crate) fn skipping(mut self, ids: Vec<u64>) -> Self {
        self.steps = self.steps.skipping(ids);
        self
    }
}

impl FlushSteps {
    /// The steps of a flush of `queue` to a server of this profile, reading its answers under
    /// `limits` (what [`Session::flush`] runs, with the session's profile and limits).
    pub fn new(queue: WriteQueue, profile: Profile, limits: Limits) -> Self {
        let failed = queue
            .entries
            .iter()
            .any(|e| e.state == EntryState::Pending && !e.ready())
            .then(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    "the write queue has entries changed since its flush began: begin the flush \
                     (beginFlush, begin_flush) and store the JSON it returns before flushing",
                )
            });
        let mut todo = Vec::new();
        for e in &queue.entries {
            if e.state == EntryState::Pending {
                todo.push(e.clone());
            }
        }
        FlushSteps {
            profile,
            limits,
            start: queue,
            todo: todo.into_iter(),
            work: None,
            request: None,
            asked: false,
            outcomes: Vec::new(),
            stopped: None,
            found: Vec::new(),
            searching: None,
            listed: Vec::new(),
            fetched: Vec::new(),
            failed,
            done: false,
            hook: None,
            held: Held::default(),
            read_once: Vec::new(),
            skip: Vec::new(),
        }
    }

    /// Asks `hook` about every conflict before the entry's policy (see [`ConflictHook`]).
    pub fn with_hook(mut self, hook: ConflictHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Leaves these entries pending without sending or reading anything for them: an attempt
    /// that follows a stopped one in the same call ([`DavClient::flush`](crate::DavClient::flush))
    /// skips the entries that attempt noted a read for, whose answer must be confirmed by a
    /// later flush, not by a read a moment later.
    pub(crate) fn skipping(mut self, ids: Vec<u64>) -> Self {
        self.skip = ids;
        self
    }

    /// The next request to make, or the flush's result. Called again before the last request
    /// was answered, it ends the flush with an [`ErrorKind::Protocol`] error.
    pub fn poll(&mut self) -> FlushNext {
        if let Some(e) = self.failed.take() {
            self.done = true;
            return FlushNext::Done(Err(e));
        }
        loop {
            if self.done || self.asked {
                self.done = true;
                return FlushNext::Done(Err(out_of_turn()));
            }
            if let Some(request) = self.request.take() {
                self.asked = true;
                return FlushNext::Ask(request);
            }
            if self.work.is_some() {
                // A step finished without starting another: the entry is done.
                self.work = None;
            }
            if self.stopped.is_some() {
                return self.finish();
            }
            match self.todo.next() {
                // Waits for an entry a lock held back: it stays pending.
                Some(entry) if self.held.holds(&entry) || self.skip.contains(&entry.id) => {}
                Some(entry) => self.start_entry(entry),
                None => return self.finish(),
            }
        }
    }

    /// The answer to the request [`poll`](FlushSteps::poll) gave last (ignored when no request
    /// is waiting for one).
    pub fn answer(&mut self, answer: FlushAnswer) {
        if std::mem::take(&mut self.asked) {
            self.on_done(answer);
        }
    }
}

impl Operation for Flush {
    type Output = FlushResult;

    fn poll(&mut self) -> Poll<FlushResult> {
        loop {
            match self.relay.poll() {
                Some(Poll::Done(Ok(answer))) => self.steps.answer(answer),
                Some(Poll::Done(Err(e))) => {
                    self.steps.asked = false;
                    self.steps.stop(e);
                }
                Some(Poll::Send(request)) => return Poll::Send(request),
                Some(Poll::Wait) => return Poll::Wait,
                None => {}
            }
            match self.steps.poll() {
                FlushNext::Ask(request) => self.relay.start(Inner::start(request, &self.session)),
                FlushNext::Done(result) => return Poll::Done(result),
            }
        }
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        self.relay.handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        self.relay.handle_transport_error(id, error);
    }
}

/// Errors that stop a flush: the next flush may succeed (offline, rate-limited, a token to
/// refresh, a server in trouble or refusing for now, a garbled answer, a write redirected away
/// by a captive portal). The entry stays pending; any other error marks it failed, skipped by
/// later flushes until the app resolves it.
fn stops(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Transport
        | ErrorKind::Redirect
        | ErrorKind::RateLimited
        | ErrorKind::Unauthorized
        | ErrorKind::Xml
        | ErrorKind::Protocol => true,
        ErrorKind::Http => e
            .status()
            .is_none_or(|s| s >= 500 || REFUSED_FOR_NOW.contains(&s)),
        _ => false,
    }
}

/// Statuses below 500 that refuse a request for now, not for good: 408 Request Timeout (the
/// server gave up waiting for the request, RFC 9110 §15.5.9), 421 Misdirected Request (sent
/// on a connection that cannot answer for that origin; another connection can, §15.5.20),
/// 423 Locked (a WebDAV lock held by someone else, RFC 4918 §11.3: it holds back only what
/// waits for the entry, [`held`]) and 425 Too Early (RFC 8470 §5.2). None of them applied the
/// write. (429 and 503 are [`ErrorKind::RateLimited`].)
const REFUSED_FOR_NOW: [u16; 4] = [408, 421, 423, 425];

impl FlushSteps {
    fn finish(&mut self) -> FlushNext {
        self.done = true;
        let mut queue = std::mem::take(&mut self.start);
        let outcomes = std::mem::take(&mut self.outcomes);
        let result = FlushResult {
            queue: WriteQueue::new(),
            outcomes,
            stopped: self.stopped.take().or_else(|| self.held.take_error()),
            read_once: std::mem::take(&mut self.read_once),
        };
        queue.apply(&result);
        FlushNext::Done(Ok(FlushResult { queue, ..result }))
    }

    fn stop(&mut self, error: Error) {
        self.stopped = Some(error);
        self.work = None;
    }

    /// An error that the next flush may not meet ([`stops`]): a lock's refusal holds back the
    /// entry and those waiting for it ([`held`]) while the flush goes on; any other stops it.
    fn refused(&mut self, error: Error) {
        if held::is_lock(&error)
            && let Some(w) = self.work.take()
        {
            return self.held.hold(&w.entry, error);
        }
        self.stop(error);
    }

    fn policy(&self, entry: &Entry) -> Policy {
        entry.policy.unwrap_or(self.start.policy)
    }

    fn run(&mut self, step: Step, request: FlushRequest) {
        if let Some(w) = &mut self.work {
            w.step = step;
        }
        self.request = Some(request);
    }

    fn start_entry(&mut self, entry: Entry) {
        // (Where the server names what is POSTed, the search by UID finds it instead.)
        let read_first = entry.op == EntryOp::Delete
            && entry.base_etag.is_none()
            && !(self.profile.create_by_post && search::posted_earlier(&entry));
        self.work = Some(Work {
            entry,
            step: Step::Main,
            rounds: 0,
            how: Resolved::Clean,
            searched: false,
        });
        if let Some(w) = &self.work
            && let (EntryOp::Update { data }, Some(base)) = (&w.entry.op, &w.entry.base_data)
            && self.holds(data, base)
        {
            // Nothing to write: the version it was made on holds its data already (a create
            // an earlier POST made, which a sync met under the server's name, or an edit
            // undone). The object is read, and what the server holds now stands.
            let url = w.entry.url.clone();
            return self.run(Step::Verify, FlushRequest::Get { url });
        }
        if read_first {
            let url = self.current().url.clone();
            self.run(Step::ReadBeforeDelete, FlushRequest::Get { url });
        } else {
            self.write();
        }
    }

    fn current(&self) -> &Entry {
        // Only called while an entry is being worked on.
        match &self.work {
            Some(w) => &w.entry,
            None => unreachable_entry(),
        }
    }

    /// Sends the entry's write as it stands.
    fn write(&mut self) {
        if self.search_first() {
            return;
        }
        let Some(w) = &self.work else { return };
        let e = &w.entry;
        let request = match (&e.op, &e.base_etag) {
            (EntryOp::Create { data }, _) => FlushRequest::Create {
                collection: e.collection_url.clone(),
                name: last_segment(&e.url),
                data: data.clone(),
            },
            (EntryOp::Update { data }, Some(etag)) => FlushRequest::Update {
                url: e.url.clone(),
                data: data.clone(),
                etag: etag.clone(),
            },
            (EntryOp::Delete, Some(etag)) => FlushRequest::Delete {
                url: e.url.clone(),
                etag: etag.clone(),
            },
            (_, None) => {
                let error = Error::new(
                    ErrorKind::InvalidInput,
                    "a queued update or delete without a base ETag",
                );
                return self.fail(error);
            }
        };
        self.run(Step::Main, request);
    }

    fn on_done(&mut self, done: FlushAnswer) {
        let Some(step) = self.work.as_ref().map(|w| w.step) else {
            return;
        };
        match (step, done) {
            (Step::Main, FlushAnswer::Write(r)) => self.on_write(r),
            (Step::Read, FlushAnswer::Get(r)) => self.on_read(r, false),
            (Step::ReadBeforeDelete, FlushAnswer::Get(r)) => self.on_read(r, true),
            (Step::Verify, FlushAnswer::Get(r)) => self.on_verify(r),
            (Step::FindList, FlushAnswer::List(r)) => self.on_list(r),
            (Step::FindFetch, FlushAnswer::Multiget(r)) => self.on_fetch(r),
            (Step::FindConfirm, FlushAnswer::Get(r)) => self.on_confirm(r),
            _ => self.stop(Error::new(
                ErrorKind::Protocol,
                "the flush got an answer for a step it was not in",
            )),
        }
    }

    fn outcome(&mut self, url: String, kind: OutcomeKind) {
        let Some(w) = self.work.take() else { return };
        let rev = self.start.entry(w.entry.id).map_or(w.entry.rev, |e| e.rev);
        let queued_url = self.start.entry(w.entry.id).map_or_else(
            || w.entry.url.clone(),
            |e| e.moved_from.clone().unwrap_or_else(|| e.url.clone()),
        );
        self.outcomes.push(Outcome {
            id: w.entry.id,
            rev,
            url,
            queued_url,
            kind,
        });
    }

    /// The entry's deletion is done: nothing of ours is on the server.
    fn already_gone(&mut self) {
        let how = self.work.as_ref().map_or(Resolved::Clean, |w| w.how);
        let url = self.current().url.clone();
        self.outcome(
            url,
            OutcomeKind::Deleted {
                already_gone: true,
                how,
            },
        );
    }

    fn fail(&mut self, error: Error) {
        let url = self.current().url.clone();
        self.outcome(url, OutcomeKind::Failed { error });
    }

    fn on_write(&mut self, result: Result<WriteResult>) {
        let (kind_is_delete, how) = match &self.work {
            Some(w) => (w.entry.op == EntryOp::Delete, w.how),
            None => return,
        };
        match result {
            Ok(r) if kind_is_delete => self.outcome(
                r.url,
                OutcomeKind::Deleted {
                    already_gone: false,
                    how,
                },
            ),
            Ok(r) => {
                let data = r
                    .data
                    .or_else(|| self.current().op.data().map(str::to_owned));
                self.outcome(
                    r.url,
                    OutcomeKind::Written {
                        etag: r.etag,
                        data,
                        how,
                        replaced: r.replaced,
                    },
                );
            }
            Err(e) if kind_is_delete && e.kind() == ErrorKind::NotFound => self.already_gone(),
            Err(e)
                if e.kind() == ErrorKind::PreconditionFailed
                    || (e.kind() == ErrorKind::NotFound
                        && !matches!(self.current().op, EntryOp::Create { .. })) =>
            {
                let url = self.target_url();
                self.run(Step::Read, FlushRequest::Get { url });
            }
            Err(e) if stops(&e) => self.refused(e),
            Err(e) => self.fail(e),
        }
    }

    /// Where the entry's object is on the server: its URL, or for a create on a server that
    /// names objects after their UID (Google Calendar), that name.
    fn target_url(&self) -> String {
        let e = self.current();
        if let EntryOp::Create { data } = &e.op
            && self.profile.name_by_uid
            && let Ok(name) = crate::ops::write::uid_name(data, &self.limits)
            && let Ok(base) = crate::url::Url::parse(&e.collection_url)
            && let Ok(u) = href::as_collection(&base).join(&href::encode_segment(&name))
        {
            return u.to_string();
        }
        e.url.clone()
    }

    /// Whether the server's data is this data as written (a server that rewrites what it
    /// stores, like Google, may add properties).
    fn holds(&self, sent: &str, server: &str) -> bool {
        if crate::ops::write::same_data(sent.as_bytes(), server.as_bytes()) {
            return true;
        }
        self.profile.reread_after_write
            && crate::ops::write::contains_data(sent.as_bytes(), server.as_bytes())
    }

    /// The object of an update with nothing to write: what the server holds stands, as the
    /// entry has no change to set against it (no policy applies; a policy that kept the local
    /// side would undo another device's edit or deletion with data the server already had).
    fn on_verify(&mut self, result: Result<DavObject>) {
        let answer = match &result {
            Ok(obj) => obj.etag.as_deref(),
            Err(e) if e.kind() == ErrorKind::NotFound => Some(GONE_ONCE),
            Err(_) => None,
        };
        if let Some(answer) = answer {
            // (The base in the strong form a read's ETag comes in.)
            let base = self.current().base_etag.clone();
            let base = base.as_deref().map(crate::ops::objects::strong_form);
            if !self.believed(answer, base) {
                return;
            }
        }
        match result {
            Ok(obj) => self.outcome(
                obj.url.clone(),
                OutcomeKind::Written {
                    etag: obj.etag,
                    data: obj.data,
                    how: Resolved::AlreadyApplied,
                    replaced: false,
                },
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => self.already_gone(),
            Err(e) if stops(&e) => self.refused(e),
            Err(e) => self.fail(e),
        }
    }

    /// The server's version, after a 412/404 (or before a delete with no base).
    fn on_read(&mut self, result: Result<DavObject>, before_delete: bool) {
        let server = match result {
            Ok(obj) => Some(obj),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) if stops(&e) => return self.refused(e),
            Err(e) => return self.fail(e),
        };
        let e = self.current().clone();
        let server_data = server.as_ref().and_then(|o| o.data.clone());
        // Done already: the server holds the entry's data, or the object to delete is gone.
        if let (Some(local), Some(s), Some(obj)) = (e.op.data(), &server_data, &server)
            && self.holds(local, s)
        {
            let (url, etag, data) = (obj.url.clone(), obj.etag.clone(), obj.data.clone());
            return self.outcome(
                url,
                OutcomeKind::Written {
                    etag,
                    data,
                    how: Resolved::AlreadyApplied,
                    replaced: false,
                },
            );
        }
        if e.op == EntryOp::Delete && server.is_none() {
            // (Unlike a DELETE's own 404, a read's may come from a replica behind the server.)
            if self.believed(GONE_ONCE, None) {
                self.already_gone();
            }
            return;
        }
        // The server's version without its ETag (a proxy or cache dropped it) can be neither
        // written over nor handed to the app as a conflict's side to resolve on: the flush
        // stops, as on any answer it cannot read, and the entry waits for the next.
        if server.as_ref().is_some_and(|o| o.etag.is_none()) {
            return self.refused(read_without_etag());
        }
        // An earlier flush's write is there: go on from it.
        if let (Some(s), Some(obj)) = (&server_data, &server)
            && let Some(earlier) = e.sent.iter().find(|sent| self.holds(sent, s)).cloned()
        {
            return self.rebase(obj.clone(), Some(earlier), None);
        }
        // The server still holds the version the change was made on, under another ETag (one
        // it changed without changing the data, or a weak one it answered a write with whose
        // strong form it does not match either): no conflict, the change goes on from it.
        if !before_delete
            && let (Some(s), Some(base), Some(obj)) = (&server_data, &e.base_data, &server)
            && crate::ops::write::same_data(base.as_bytes(), s.as_bytes())
        {
            return self.rebase(obj.clone(), None, None);
        }
        if before_delete {
            // A delete of what a flush may have created: the object there is not ours.
            return self.conflict(
                e,
                server,
                "the object there is not the one this queue created",
            );
        }
        let reason = match &server {
            // A create's 412: the name was taken, by another object (not an earlier write of
            // this entry, nor the version it was made on: both are handled above).
            Some(_) if matches!(e.op, EntryOp::Create { .. }) => {
                "another object is on the server under this name"
            }
            Some(_) => "the object changed on the server",
            None => "the object is gone on the server",
        };
        self.conflict(e, server, reason);
    }

    /// Whether a read's `answer` for the entry (the object's ETag, or [`GONE_ONCE`] for a 404)
    /// stands: it is the version the entry expects there (`expected`), or the answer the last
    /// flush's read gave ([`Entry::read_once`]). Otherwise it may come from a replica behind the
    /// server (an older version, or a 404 for an object created since), which reads that take
    /// it at its word turn into a lost version or a deletion that never happened: it is noted
    /// on the entry, which stays pending (no outcome), and the next flush reads again.
    fn believed(&mut self, answer: &str, expected: Option<&str>) -> bool {
        let Some(w) = self.work.take() else {
            return false;
        };
        if expected == Some(answer) || w.entry.read_once.as_deref() == Some(answer) {
            self.work = Some(w);
            return true;
        }
        let rev = self.start.entry(w.entry.id).map_or(w.entry.rev, |e| e.rev);
        self.read_once.push(ReadOnce {
            id: w.entry.id,
            rev,
            answer: answer.to_owned(),
        });
        false
    }

    /// Writes the entry again on the server's version `obj` (with `data`, else the entry's).
    fn rebase(&mut self, obj: DavObject, base_data: Option<String>, how: Option<Resolved>) {
        let Some(w) = &mut self.work else { return };
        w.rounds += 1;
        if w.rounds > MAX_ROUNDS {
            let e = w.entry.clone();
            return self.conflict_kept(
                e,
                Some(obj),
                "the object kept changing on the server while the flush wrote it",
            );
        }
        if let Some(how) = how {
            w.how = how;
        }
        let e = &mut w.entry;
        e.url = obj.url.clone();
        e.base_etag = obj.etag.clone();
        e.base_data = base_data.or(obj.data);
        if let EntryOp::Create { data } = &e.op {
            e.op = EntryOp::Update { data: data.clone() };
        }
        self.write();
    }
}

/// A read of the server's version answered without its ETag (a proxy or cache dropped it): it
/// can be neither written over nor handed to the app as a conflict's side, so the flush stops
/// as on any answer it cannot read, and the entry waits for the next.
fn read_without_etag() -> Error {
    Error::new(
        ErrorKind::Protocol,
        "the server answered the object's read without an ETag",
    )
}

fn last_segment(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let seg = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    href::percent_decode(seg)
}

#[cold]
fn unreachable_entry() -> &'static Entry {
    static EMPTY: std::sync::OnceLock<Entry> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Entry {
        id: 0,
        rev: 0,
        collection_url: String::new(),
        url: String::new(),
        op: EntryOp::Delete,
        base_etag: None,
        base_data: None,
        policy: None,
        runs: 0,
        sent: Vec::new(),
        state: EntryState::Pending,
        moved_from: None,
        read_once: None,
    })
}
