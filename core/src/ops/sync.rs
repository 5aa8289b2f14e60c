//! Synchronisation of one collection: RFC 6578 sync-collection when the server has it (pages
//! after a 507 are fetched until complete), otherwise or after a rejected token a ctag check
//! (caldav-ctag-02) and an ETag listing compared with the stored state; then the data of every
//! added or changed member by multiget.
//!
//! The new state is returned only together with every change it accounts for, so a sync that
//! fails or is interrupted leaves the caller's stored state valid: running it again delivers the
//! same changes, none lost. Deletions of hrefs the state never had are not reported.

use crate::keyed::Keyed;
use crate::string_map::StringMap;
use crate::string_set::StringSet;

use crate::url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, impl_operation};
use crate::href;
use crate::model::{
    Change, CollectionKind, DavObject, MemberProblem, SyncMethod, SyncResult, SyncState,
};
use crate::session::Session;

mod body;
mod fetch;
mod kept;
pub(crate) mod key;

pub use kept::KeptSyncState;

use key::OldKeys;
mod list;

/// Safety bound on sync-collection pages in one sync: the default of
/// [`Limits::max_sync_pages`](crate::Limits::max_sync_pages); more is an
/// [`ErrorKind::LimitExceeded`] error. Paging also stops with an [`ErrorKind::Protocol`] error
/// when a token comes back that was already asked with, or a truncated page names no member
/// version not already named in this sync, so pages are bounded by the versions reported plus
/// one.
pub const MAX_PAGES: usize = 10_000;

/// The size a member is assumed to have when the server did not report one, for cutting
/// multigets by bytes.
pub const ASSUMED_MEMBER_BYTES: u64 = 4096;

/// How many times a sync asks for a member listed as changed before reporting it as a
/// [`MemberProblem`] and keeping it pending: once by multiget, and once more by GET for what
/// the first answer did not deliver (an error row, a row without data, a row left out, a 404
/// row: a member is deleted on a GET's 404 or 410, not on a multiget row's alone).
pub const FETCH_ROUNDS: u32 = 2;

#[derive(Debug)]
enum Tag {
    Page {
        token: Option<String>,
    },
    Ctag,
    Listing,
    /// A multiget, by its number: the members it asks for carry that number in `seen`, and a
    /// row for any other href (even one asked for in another batch) is not this request's
    /// answer and is ignored.
    Fetch(usize),
    Get(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// Listed as changed, with the ETag its row named (none in an error row).
    Changed(Option<String>),
    /// Listed as deleted.
    Deleted,
    /// Held by the state and not named by a complete listing (an ETag listing, an initial
    /// report): deleted, or created since the replica that answered last caught up (an
    /// eventually consistent server lists a new member only later: iCloud's "newly created
    /// events may not appear immediately"). Its deletion when the sync before found it so too
    /// (`GONE_ONCE` in `SyncState::listed`); otherwise it is kept, owed and so marked, and the
    /// next sync fetches it (a 404 then is its deletion).
    Unlisted,
    /// Asked for by href alone (owed by the stored state, or left by this listing for a
    /// later batch), with the ETag its listing named when a batch left it for later
    /// (`SyncState::listed`); without one, its first answer is delivered and kept pending
    /// with its own ETag, which the next must match.
    Owed(Option<String>),
}

impl Seen {
    /// What the member's next answer must be at while it is owed (`SyncState::listed`): the
    /// ETag its listing named (listed without one, an empty one, which no answer matches), or
    /// for a member asked for by href alone, the one its state carried (none: its first
    /// answer's own, once it comes).
    fn check(&self) -> Option<String> {
        match self {
            Seen::Changed(etag) => Some(etag.clone().unwrap_or_default()),
            Seen::Owed(etag) => etag.clone(),
            Seen::Deleted | Seen::Unlisted => None,
        }
    }
}

/// The `SyncState::listed` value of a member a listing named whose fetch was answered 404 or
/// 410: no ETag (those are quoted), so no answer matches it, and it names no listing's claim
/// that the member is there, so the next 404 is its deletion (`Sync::listed_present`).
pub(crate) const GONE_ONCE: &str = "404";

/// An entry of `Sync::seen`: the href as the server wrote it, what it said, the page or request
/// number, the reported size and what the fetches got.
type Listed = (String, Seen, usize, Option<u64>, Option<Box<Got>>);

/// What the fetches got for a member (boxed beside its entry in `Sync::seen`, only for the
/// members asked for).
#[derive(Default)]
struct Got {
    /// The object a fetch delivered.
    delivered: Option<DavObject>,
    /// A fetch reported it gone (404/410).
    gone: bool,
    /// Why it was not delivered (last answer).
    undelivered: Option<(ErrorKind, Option<u16>, String)>,
}

/// A member version (normalised href, ETag; `None` for a deletion) as one string: the key's
/// length first, so no two versions share a string.
fn version_named(key: &str, etag: Option<&str>) -> String {
    match etag {
        Some(etag) => format!("{}:{key}E{etag}", key.len()),
        None => format!("{}:{key}D", key.len()),
    }
}

/// The sync operation; create it with [`Session::sync`].
pub struct Sync {
    m: Machine<Tag, SyncResult>,
    collection: Url,
    kind: CollectionKind,
    old: SyncState,
    /// The old state's hrefs by their normalised key.
    old_keys: OldKeys,
    /// What the server reported, by normalised href, latest report wins: the href as the
    /// server wrote it (empty when it is the key itself, see `compact_href`) and what it said.
    /// With a number: while paging, the page whose row it is (0 when not from a page; within
    /// one page the first row of a member counts); once fetching, the number of the request
    /// that last asked for the member (`Sync::ask_number`, always above `pages`), so a member
    /// asked for is one whose number is above `pages`. Then the member's size
    /// (`DAV:getcontentlength`) the listing or sync report gave (multigets are cut to stay
    /// within the body limit), and what the fetches got for it. One map rather than a map
    /// each: every map type is its own copy of the map code in the WebAssembly module.
    seen: Keyed<Listed>,
    new_token: Option<String>,
    new_ctag: Option<String>,
    method: SyncMethod,
    token_was_reset: bool,
    pages: usize,
    /// The report started from no token, so it lists every member.
    initial_report: bool,
    /// Member versions (normalised href, ETag; `None` for a deletion) named by pages so far,
    /// each as one string ([`version_named`]).
    versions_named: StringSet,
    /// Page tokens already asked for: a server that hands one out twice is looping.
    tokens_asked: StringSet,
    pending_fetches: usize,
    /// The fetch round (1 = first ask).
    round: u32,
    /// Fetch requests numbered so far (see `seen`).
    asks: usize,
    /// At most this many members are fetched (a batch); `None` fetches all.
    fetch_limit: Option<usize>,
    /// The sync report asks for the members' data (`Profile::data_in_sync_reports`: a sync of
    /// a calendar, not a batch; never a listing): a member whose row brings it is delivered
    /// from the page, the others are fetched as usual. Cleared when the server refuses the
    /// report for it or its answer passes the body limit; the report is then asked again
    /// without it.
    ask_data: bool,
    /// Members left for a later batch (kept pending, not problems), as their hrefs in reverse
    /// key order (the next to take last). They are taken out of `seen`: of a
    /// listing of 10,000 members a batch holds only the hrefs of those it does not fetch.
    deferred: Vec<String>,
    /// Pending members of a resumed batched sync that this batch does not look at: they go
    /// to the new state's `pending` as they are.
    carried: StringSet,
    /// The new state's `listed`: the ETags the listing named for the members left for a
    /// later batch.
    listed: StringMap,
    /// Bodies being read as they arrive (sync pages, multigets), by request.
    streams: Vec<(crate::http::RequestId, body::BodyRead)>,
}

impl Session {
    /// Synchronises one collection from a stored state (use [`SyncState::new`] the first time).
    /// `kind` picks calendar-multiget or addressbook-multiget for fetching data.
    pub fn sync(&self, state: SyncState, kind: CollectionKind) -> Sync {
        Sync::new(self, state, kind, None)
    }

    /// One batch of a sync: like [`Session::sync`], but fetches at most `max_members` members
    /// (at least 1). Members found but not fetched yet wait in the returned state's `pending`
    /// and [`SyncResult::more`] is set: apply the changes, store the state, and call again
    /// with it until `more` is false. Only the first batch asks the server what changed (one
    /// sync-collection report or listing); the next ones fetch what it listed, one multiget
    /// per batch, and changes made meanwhile come with the first sync after the last batch.
    /// Every returned state is a checkpoint: resuming from it (after a crash, a Ctrl-C, the
    /// next day) neither loses nor repeats a change, and the data held is bounded by the
    /// batch, not the collection (the listing's hrefs and ETags are held whole).
    pub fn sync_batch(&self, state: SyncState, kind: CollectionKind, max_members: usize) -> Sync {
        Sync::new(self, state, kind, Some(max_members.max(1)))
    }
}

impl Sync {
    fn new(
        session: &Session,
        state: SyncState,
        kind: CollectionKind,
        fetch_limit: Option<usize>,
    ) -> Self {
        let mut state = state;
        let collection = session
            .url(&state.collection_url)
            .map(|u| href::as_collection(&u));
        let resumes = fetch_limit.is_some() && state.more && !state.pending.is_empty();
        let mut carried = StringSet::new();
        if let (true, Some(limit)) = (resumes, fetch_limit) {
            // The next batch of a listing takes twice its size from the pending members (the
            // second half stands in for members that fail); the rest are carried to the new
            // state as they are. Only the ETags of the members taken are looked up. (Moved
            // over one by one: split_off and append would be more map code in the module.)
            let take = limit.saturating_mul(2);
            if state.pending.len() > take {
                for (i, h) in std::mem::take(&mut state.pending).into_iter().enumerate() {
                    if i < take {
                        state.pending.insert(h);
                    } else {
                        carried.insert(h);
                    }
                }
            }
        }
        let old_keys = OldKeys::all_without_shadowed(&mut state.etags, &state.collection_url);
        let mut op = Sync {
            m: Machine::new(session.ctx.clone()),
            collection: session.ctx.server.clone(),
            kind,
            old: state,
            old_keys,
            seen: Keyed::new(),
            new_token: None,
            new_ctag: None,
            method: SyncMethod::SyncCollection,
            token_was_reset: false,
            pages: 0,
            initial_report: false,
            versions_named: StringSet::new(),
            tokens_asked: StringSet::new(),
            pending_fetches: 0,
            round: 0,
            asks: 0,
            fetch_limit,
            ask_data: false,
            deferred: Vec::new(),
            carried,
            listed: StringMap::new(),
            streams: Vec::new(),
        };
        match collection {
            Ok(c) => op.collection = c,
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        }
        let profile = &session.ctx.profile;
        // A sync report of a calendar (not a batch) asks for the members' data too, unless the
        // server refused that earlier in this session, or the collection is DAViCal's (reached
        // through `/.well-known` from a bare host, whose answers' header a page may not see).
        op.ask_data = kind == CollectionKind::Calendar
            && fetch_limit.is_none()
            && profile.data_in_sync_reports
            && !session.ctx.sync_data_refused()
            && !crate::profile::is_davical_path(op.collection.path());
        match op.old.sync_token.clone() {
            _ if resumes => op.next_batch(),
            Some(token) if !token.is_empty() => op.request_page(Some(token)),
            _ if op.old.ctag.is_some() => op.request_ctag(),
            _ if profile.empty_sync_token => {
                op.initial_report = true;
                op.request_page(None);
            }
            _ => op.request_listing(),
        }
        op
    }

    /// The state this sync started from, as it was given (for running it again after it
    /// failed, without having kept a copy). After a sync that finished it holds no ETags.
    pub fn into_state(self) -> SyncState {
        let mut state = self.old;
        for h in self.carried {
            state.pending.insert(h);
        }
        state
    }

    /// The next batch of a batched sync whose last batch left members of its listing pending:
    /// they are fetched without a new report (which would only list again what the pending set
    /// and the token already hold). The token and ctag stay as they are, so changes made on
    /// the server since that listing are reported by the first sync after the last batch, and
    /// a pending member that changed or went meanwhile is fetched as it is now: nothing is
    /// lost or reported twice.
    fn next_batch(&mut self) {
        self.method = if self.old.sync_token.is_some() {
            SyncMethod::SyncCollection
        } else {
            SyncMethod::EtagListing
        };
        self.new_token = self.old.sync_token.clone();
        self.new_ctag = self.old.ctag.clone();
        self.fetch();
    }

    fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        let (tag, reply) = match (tag, reply) {
            (Tag::Fetch(number), Err(e))
                if e.kind() == ErrorKind::LimitExceeded && self.asked_by(number, 2).len() == 2 =>
            {
                return self.split_multiget(number);
            }
            (tag, Ok(r)) => (tag, r),
            (_, Err(e)) => return self.m.fail(e),
        };
        let outcome = match tag {
            // Read row by row, as a body read as it arrives is.
            tag @ (Tag::Page { .. } | Tag::Listing | Tag::Fetch(_))
                if reply.response.status == 207 =>
            {
                self.read_whole(tag, reply);
                Ok(())
            }
            Tag::Page { token } => self.on_page_status(token, reply),
            Tag::Ctag => self.on_ctag(reply),
            Tag::Listing | Tag::Fetch(_) => {
                Err(Error::from_response(reply.url.as_str(), &reply.response))
            }
            Tag::Get(key) => self.on_get(key, reply).map(|()| self.fetch_answered()),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    fn fetch_answered(&mut self) {
        self.pending_fetches = self.pending_fetches.saturating_sub(1);
        if self.pending_fetches == 0 {
            self.end_round();
        }
    }

    fn finish(&mut self) {
        // Every delivered object becomes a change (deletions may add some more).
        let mut changes = Vec::new();
        let mut problems = Vec::new();
        let mut etags = std::mem::take(&mut self.old.etags);
        let mut pending = StringSet::new();
        // The pending members taken, by normalised href. Most are stored as their normalised
        // href already and are looked up where they are; only the others are copied, under
        // the normalised form (which is not always idempotent, hence the check). Inserted one
        // by one (a `collect` into a set is its own copy of the set's bulk building).
        let mut pending_renamed = StringMap::new();
        for h in &self.old.pending {
            let key = href::normalize(h);
            if key != *h {
                pending_renamed.insert(key, h.clone());
            }
        }
        let old_pending = &self.old.pending;
        // The spelling of a pending member's URL the app gave.
        let pending_href = |key: &str| match pending_renamed.get(key) {
            Some(h) => Some(h.clone()),
            None => {
                (old_pending.contains(key) && href::normalize(key) == key).then(|| key.to_owned())
            }
        };
        for (key, (original, seen, _, _, got)) in std::mem::take(&mut self.seen) {
            let got = got.map(|g| *g).unwrap_or_default();
            // A member the state knows keeps the spelling of its URL the state has (the app's
            // own write, recorded as `@` where the server lists `%40`, or `%28` where it lists
            // `(`): an app that keys its copy by URL meets one spelling per member, in what its
            // writes returned and in every change after.
            // (Each looked up once: the stored href is also where a delivered or deleted
            // member's ETag is taken from; an undelivered one keeps it.)
            let stored = self.old_keys.stored(&key, &etags).map(str::to_owned);
            let owed = pending_href(&key);
            let known = stored.is_some() || owed.is_some();
            let original = match (&stored, &owed) {
                (Some(h), _) | (None, Some(h)) => h.clone(),
                (None, None) if original.is_empty() => key.clone(),
                (None, None) => original,
            };
            if seen == Seen::Unlisted
                && let Some(h) = &stored
                && self.old.listed.get(h).is_none_or(|c| c != GONE_ONCE)
            {
                // One listing without it is no deletion (see `Seen::Unlisted`): kept at the
                // ETag the state has, owed, and marked so that the next answer like it is.
                pending.insert(h.clone());
                self.listed.insert(h.clone(), GONE_ONCE.to_owned());
                continue;
            }
            let gone = matches!(seen, Seen::Deleted | Seen::Unlisted) || got.gone;
            if gone {
                // Only a 404/410 for this href, or a listing or sync report without it, gets here.
                if let Some(h) = &stored {
                    etags.remove(h);
                }
                if known {
                    changes.push(Change::Deleted { url: original });
                }
                continue;
            }
            let listing_check = seen.check();
            let (sync_etag, listed) = match seen {
                Seen::Changed(etag) => (etag, true),
                Seen::Owed(etag) => (etag, false),
                Seen::Deleted | Seen::Unlisted => continue,
            };
            let Some(obj) = got.delivered else {
                // Listed as changed but not delivered twice: owed to the app, never a deletion.
                let (kind, status, message) = got.undelivered.unwrap_or((
                    ErrorKind::Protocol,
                    None,
                    "the server did not return this member".to_owned(),
                ));
                problems.push(MemberProblem {
                    url: original.clone(),
                    kind,
                    status,
                    message,
                });
                // The ETag the listing named is what the next sync's answer must match (listed
                // without one, an empty one that no answer matches: see below). A member
                // answered 404 that a listing named is marked so, and its next 404 is its
                // deletion (`listed_present`).
                let answered_gone =
                    kind == ErrorKind::NotFound && matches!(status, Some(404 | 410));
                let check = if answered_gone {
                    Some(GONE_ONCE.to_owned())
                } else {
                    listing_check
                };
                if let Some(e) = check {
                    self.listed.insert(original.clone(), e);
                }
                pending.insert(original);
                continue;
            };
            let mut obj = obj;
            let existed = stored.and_then(|h| etags.remove(&h));
            // An answer settles a member when it is at the ETag it was last listed with, or,
            // for a member owed since an answer that was not (`SyncState::listed`), at that
            // answer's. A replica that has not caught up answers an older version (iCloud and
            // Google are eventually consistent); trusted as it is, it would stand, since the
            // new token is past the change and the server does not report it again. So an
            // answer under another ETag (a change made since, or an older version: nothing
            // tells), or for a member listed by a row without its ETag (an error row, an empty
            // `getetag`) or owed with no ETag to match (the state had none for it: an app's
            // own record, a deletion it was not sure of), is delivered and kept pending with
            // its own ETag, which the next answer must match: two answers that agree settle
            // it (seed 53624608 of the simulation with a stale listing fault kept a replica's
            // older version for a member owed so). The first answer to a
            // listing that is at the version the state already held is no evidence of anything
            // (exactly what a replica behind answers): the listing's ETag stays the check, or,
            // listed without one, an empty one that no answer matches.
            let check = match (&sync_etag, &obj.etag) {
                (c, Some(a)) if c.as_ref() != Some(a) => {
                    Some(if listed && existed.as_ref() == Some(a) {
                        c.clone().unwrap_or_default()
                    } else {
                        a.clone()
                    })
                }
                _ => None,
            };
            // No change at the version the state holds, unless the state owed it (an app that
            // lost its copy names it in `pending`) and the answer neither settles a check nor
            // is kept for one, other than the first check of a member owed without one.
            let first_check = !listed && sync_etag.is_none();
            let quiet = owed.is_none()
                || (check.is_some() && !first_check)
                || (!listed && sync_etag.is_some());
            if known {
                obj.url = original;
            }
            // An answer without an ETag (a GET whose ETag a proxy or cache dropped) is
            // delivered without one, never under the listing's: its data may be newer or older
            // than the version the listing named. It stays owed, with the listing's ETag (an
            // empty one for a member listed without) as the one its next answer must match, so
            // the listing still names it (a 404 is then no deletion yet); one no listing named
            // is taken as it comes.
            let check = match obj.etag {
                Some(_) => check,
                None => {
                    pending.insert(obj.url.clone());
                    listing_check
                }
            };
            if let Some(c) = check {
                pending.insert(obj.url.clone());
                self.listed.insert(obj.url.clone(), c);
            }
            if let Some(etag) = &obj.etag {
                etags.insert(obj.url.clone(), etag.clone());
            }
            match existed {
                Some(old) if quiet && Some(&old) == obj.etag.as_ref() => {}
                Some(_) => changes.push(Change::Changed(obj)),
                None => changes.push(Change::Added(obj)),
            }
        }
        let left = !self.deferred.is_empty() || !self.carried.is_empty();
        // Left for the next batch: owed, not problems.
        pending.extend(self.deferred.drain(..));
        // No progress: nothing delivered, and the members this batch took are all still owed
        // under the same token and ctag, so calling again now would only fail them again.
        let stuck = changes.is_empty()
            && pending == self.old.pending
            && self.new_token == self.old.sync_token
            && (self.new_ctag.is_none() || self.new_ctag == self.old.ctag);
        let more = left && !stuck;
        // The smaller set inserted into the larger (`append` would build a new tree of both,
        // holding every pending href twice for a moment).
        let mut carried = std::mem::take(&mut self.carried);
        for h in carried.iter() {
            if let Some(e) = self.old.listed.get(h) {
                self.listed.insert(h.clone(), e.clone());
            }
        }
        if carried.len() > pending.len() {
            std::mem::swap(&mut pending, &mut carried);
        }
        pending.extend(carried);
        let state = SyncState {
            collection_url: self.old.collection_url.clone(),
            sync_token: self.new_token.take(),
            ctag: self.new_ctag.take().or_else(|| self.old.ctag.take()),
            etags,
            pending,
            listed: std::mem::take(&mut self.listed),
            more,
        };
        self.m.finish(Ok(SyncResult {
            changes,
            more: state.more,
            state,
            method: self.method,
            token_was_reset: self.token_was_reset,
            problems,
        }));
    }
}

/// Takes the ETag the state has for `key`'s stored href out of `etags`, if it is still there
/// (a removal of the [`StringMap`] leaves a hole: no removal code for the map in the
/// WebAssembly modules).
pub(crate) fn take_etag(etags: &mut StringMap, keys: &OldKeys, key: &str) -> Option<String> {
    let stored = keys.stored(key, etags)?.to_owned();
    etags.remove(&stored)
}

/// An href as `seen` stores it beside its normalised key: empty when it is the key itself
/// (the usual case), so that a listing of 10,000 members holds each URL once.
fn compact_href(key: &str, href: String) -> String {
    if href == key { String::new() } else { href }
}

/// The href stored beside `key` ([`compact_href`]).
fn href_of<'a>(key: &'a str, stored: &'a str) -> &'a str {
    if stored.is_empty() { key } else { stored }
}

/// [`href_of`], taking both.
fn stored_href(key: String, stored: String) -> String {
    if stored.is_empty() { key } else { stored }
}

impl_operation!(Sync, SyncResult, streaming);
