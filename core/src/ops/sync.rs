//! Synchronisation of one collection: RFC 6578 sync-collection when the server has it (pages
//! after a 507 are fetched until complete), otherwise or after a rejected token a ctag check
//! (caldav-ctag-02) and an ETag listing compared with the stored state; then the data of every
//! added or changed member by multiget.
//!
//! The new state is returned only together with every change it accounts for, so a sync that
//! fails or is interrupted leaves the caller's stored state valid: running it again delivers the
//! same changes, none lost. Deletions of hrefs the state never had are not reported.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::Method;
use crate::model::{
    Change, CollectionKind, DavObject, MemberProblem, SyncMethod, SyncResult, SyncState,
};
use crate::ops::objects::{expect_multistatus, expect_responses, multiget_spec};
use crate::rfc4918::{Depth, propfind_body};
use crate::rfc6578::{
    SyncRow, is_invalid_token, is_refused_token, read_sync_rows, sync_collection_body,
};
use crate::session::Session;
use crate::xml::{QName, names};

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
/// the first answer did not deliver (an error row, a row without data, a row left out).
pub const FETCH_ROUNDS: u32 = 2;

#[derive(Debug)]
enum Tag {
    Page {
        token: Option<String>,
    },
    Ctag,
    Listing,
    /// A multiget, with the normalised hrefs it asked for: a row for any other href (even one
    /// asked for in another batch) is not this request's answer and is ignored.
    Fetch(HashSet<String>),
    Get(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Changed(Option<String>),
    Deleted,
}

/// The sync operation; create it with [`Session::sync`].
pub struct Sync {
    m: Machine<Tag, SyncResult>,
    collection: Url,
    kind: CollectionKind,
    old: SyncState,
    /// Normalised href -> href as stored in the old state.
    old_keys: HashMap<String, String>,
    /// What the server reported, by normalised href, latest report wins.
    seen: BTreeMap<String, (String, Seen)>,
    new_token: Option<String>,
    new_ctag: Option<String>,
    method: SyncMethod,
    token_was_reset: bool,
    pages: usize,
    /// The report started from no token, so it lists every member.
    initial_report: bool,
    /// Member versions (normalised href, ETag; `None` for a deletion) named by pages so far.
    versions_named: HashSet<(String, Option<String>)>,
    /// Page tokens already asked for: a server that hands one out twice is looping.
    tokens_asked: HashSet<String>,
    pending_fetches: usize,
    /// The fetch round (1 = first ask).
    round: u32,
    /// Normalised hrefs asked for in this sync.
    asked: BTreeSet<String>,
    /// What the fetches delivered, by normalised href.
    delivered: HashMap<String, DavObject>,
    /// Normalised hrefs a fetch reported gone (404/410).
    gone: HashSet<String>,
    /// Why an asked member was not delivered (last answer), by normalised href.
    undelivered: HashMap<String, (ErrorKind, Option<u16>, String)>,
    /// Member sizes (`DAV:getcontentlength`) the listing or sync report gave, by normalised
    /// href: multigets are cut to stay within the body limit.
    sizes: HashMap<String, u64>,
    /// At most this many members are fetched (a batch); `None` fetches all.
    fetch_limit: Option<usize>,
    /// Members left for a later batch (kept pending, not problems), as their hrefs in reverse
    /// key order (the next to take last). They are taken out of `seen` and `sizes`: of a
    /// listing of 10,000 members a batch holds only the hrefs of those it does not fetch.
    deferred: Vec<String>,
    /// Pending members of a resumed batched sync that this batch does not look at: they go
    /// to the new state's `pending` as they are.
    carried: BTreeSet<String>,
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
        let mut carried = BTreeSet::new();
        let old_keys = if let (true, Some(limit)) = (resumes, fetch_limit) {
            // The next batch of a listing takes twice its size from the pending members (the
            // second half stands in for members that fail); the rest are carried to the new
            // state as they are, and only the ETags of the members taken are looked at.
            if let Some(first_left) = state.pending.iter().nth(limit.saturating_mul(2)).cloned() {
                carried = state.pending.split_off(&first_left);
            }
            let taken: HashSet<String> = state.pending.iter().map(|h| href::normalize(h)).collect();
            state
                .etags
                .keys()
                .filter_map(|k| {
                    let key = href::normalize(k);
                    taken.contains(&key).then(|| (key, k.clone()))
                })
                .collect()
        } else {
            state
                .etags
                .keys()
                .map(|k| (href::normalize(k), k.clone()))
                .collect()
        };
        let mut op = Sync {
            m: Machine::new(session.ctx.clone()),
            collection: session.ctx.server.clone(),
            kind,
            old: state,
            old_keys,
            seen: BTreeMap::new(),
            new_token: None,
            new_ctag: None,
            method: SyncMethod::SyncCollection,
            token_was_reset: false,
            pages: 0,
            initial_report: false,
            versions_named: HashSet::new(),
            tokens_asked: HashSet::new(),
            pending_fetches: 0,
            round: 0,
            asked: BTreeSet::new(),
            delivered: HashMap::new(),
            gone: HashSet::new(),
            undelivered: HashMap::new(),
            sizes: HashMap::new(),
            fetch_limit,
            deferred: Vec::new(),
            carried,
        };
        match collection {
            Ok(c) => op.collection = c,
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        }
        let profile = &session.ctx.profile;
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
        let mut carried = self.carried;
        state.pending.append(&mut carried);
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

    fn request_page(&mut self, token: Option<String>) {
        self.pages += 1;
        if let Some(t) = &token {
            self.tokens_asked.insert(t.clone());
        }
        let ctx = self.m.x.ctx();
        let body = sync_collection_body(token.as_deref(), ctx.sync_limit, self.member_props());
        let depth = if ctx.profile.sync_depth == 1 {
            "1"
        } else {
            "0"
        };
        let spec = Spec::new(Method::Report, self.collection.clone())
            .header("Depth", depth)
            .xml(body);
        self.m.x.send(Tag::Page { token }, spec);
    }

    fn request_ctag(&mut self) {
        let spec = Spec::new(Method::Propfind, self.collection.clone())
            .header("Depth", Depth::Zero.as_str())
            .xml(propfind_body(&[names::GETCTAG, names::SYNC_TOKEN]));
        self.m.x.send(Tag::Ctag, spec);
    }

    fn request_listing(&mut self) {
        self.method = SyncMethod::EtagListing;
        self.seen.clear();
        let spec = Spec::new(Method::Propfind, self.collection.clone())
            .header("Depth", Depth::One.as_str())
            .xml(propfind_body(&self.listing_props()));
        self.m.x.send(Tag::Listing, spec);
    }

    /// The member properties a sync report asks for. `DAV:getcontentlength` lets multigets be
    /// cut by bytes, which pays for address books (photos make one contact 100 B or 5 MB).
    /// Calendar objects are small and alike, so [`ASSUMED_MEMBER_BYTES`] cuts them well, and
    /// the size is not free on every server: Xandikos reads each object to compute it (a
    /// 1,000-member sync report took 130-170 ms with it against 43-56 ms without, measured
    /// by the network bench). A batch over the body limit is still split in halves.
    fn member_props(&self) -> &'static [QName] {
        const WITH_SIZE: &[QName] = &[names::GETETAG, names::GETCONTENTLENGTH];
        const ETAG_ONLY: &[QName] = &[names::GETETAG];
        if self.kind == CollectionKind::AddressBook {
            WITH_SIZE
        } else {
            ETAG_ONLY
        }
    }

    /// The properties of an ETag listing (PROPFIND `Depth: 1`): the member properties of
    /// [`Self::member_props`] and the collection's change markers.
    fn listing_props(&self) -> Vec<QName> {
        let mut props = vec![names::RESOURCETYPE];
        props.extend_from_slice(self.member_props());
        props.extend_from_slice(&[names::GETCTAG, names::SYNC_TOKEN]);
        props
    }

    fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        let (tag, reply) = match (tag, reply) {
            (Tag::Fetch(keys), Err(e))
                if e.kind() == ErrorKind::LimitExceeded && keys.len() > 1 =>
            {
                return self.split_multiget(&keys);
            }
            (tag, Ok(r)) => (tag, r),
            (_, Err(e)) => return self.m.fail(e),
        };
        let outcome = match tag {
            Tag::Page { token } => self.on_page(token, reply),
            Tag::Ctag => self.on_ctag(reply),
            Tag::Listing => self.on_listing(reply),
            Tag::Fetch(batch) => self.on_fetch(&batch, reply).map(|()| self.fetch_answered()),
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

    fn on_page(&mut self, token: Option<String>, reply: Reply) -> Result<()> {
        let response = &reply.response;
        if response.status != 207 {
            let refused = &self.m.x.ctx().profile.refused_token_statuses;
            if token.is_some() && is_refused_token(response, refused) {
                // The stored token is no longer valid (as the server or its profile says it):
                // list everything and compare ETags.
                self.token_was_reset = true;
                self.request_listing();
                return Ok(());
            }
            if token.is_none() && matches!(response.status, 400 | 403 | 405 | 415 | 501) {
                // No sync-collection (or no empty token) here: fall back to a listing.
                self.request_listing();
                return Ok(());
            }
            if is_invalid_token(response) {
                return Err(crate::rfc6578::invalid_token_error(
                    reply.url.as_str(),
                    response,
                ));
            }
            return Err(Error::from_response(reply.url.as_str(), response));
        }
        let limits = self.m.x.ctx().limits;
        // Read row by row, and the body dropped before the rows are recorded: a large initial
        // report is held as its body and its rows, never as a whole parsed multistatus.
        let page = read_sync_rows(
            &response.body,
            reply.url.as_str(),
            self.collection.as_str(),
            &limits,
        )?;
        let Reply { url, response } = reply;
        drop(response);
        let reply_url = url;
        // A truncated page must name at least one member version (href and ETag, or a
        // deletion) not named before in this sync: otherwise the server is paging without
        // progress (and could do so forever). A member changed again during paging is progress.
        // Within a page the first row of a member counts: a truncated page's rows are taken in
        // order, skipping repeats (and its versions kept for the next page's check); the last
        // page's in reverse, so that the first row is recorded last, with no set of its hrefs.
        let mut progressed = false;
        if page.truncated {
            let mut in_page = HashSet::new();
            for row in page.rows {
                let (href, seen, size) = split_row(row);
                let key = href::normalize(&href);
                if !in_page.insert(key.clone()) {
                    continue;
                }
                let etag = match &seen {
                    Seen::Changed(etag) => etag.clone(),
                    Seen::Deleted => None,
                };
                progressed |= self.versions_named.insert((key.clone(), etag));
                self.record(key, href, seen, size);
            }
        } else {
            for row in page.rows.into_iter().rev() {
                let (href, seen, size) = split_row(row);
                self.record(href::normalize(&href), href, seen, size);
            }
        }
        if page.token.is_none() {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the sync-collection answer has no sync-token",
            )
            .with_url(reply_url.as_str()));
        }
        self.new_token = page.token;
        if page.truncated {
            let repeated = self
                .new_token
                .as_ref()
                .is_some_and(|t| self.tokens_asked.contains(t));
            if repeated || !progressed || self.new_token == token {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "the server truncated the sync without progress (a repeated token, or a \
                     page naming no new member version)",
                )
                .with_url(reply_url.as_str()));
            }
            if self.pages >= limits.max_sync_pages {
                return Err(crate::limits::exceeded(format!(
                    "the sync did not end within {} pages (Limits::max_sync_pages, default \
                     sync::MAX_PAGES)",
                    limits.max_sync_pages
                ))
                .with_url(reply_url.as_str()));
            }
            self.request_page(self.new_token.clone());
            return Ok(());
        }
        if self.initial_report {
            // An initial report lists every member: what the state has and it does not list
            // is gone (members the app recorded itself, or a state kept without a token).
            for (key, original) in &self.old_keys {
                self.seen
                    .entry(key.clone())
                    .or_insert_with(|| (original.clone(), Seen::Deleted));
            }
        }
        self.fetch();
        Ok(())
    }

    /// Records what a sync page says of a member (a later page's row replaces an earlier one).
    fn record(&mut self, key: String, href: String, seen: Seen, size: Option<u64>) {
        match size {
            Some(size) => {
                self.sizes.insert(key.clone(), size);
            }
            None => {
                self.sizes.remove(&key);
            }
        }
        self.seen.insert(key, (href, seen));
    }

    fn on_ctag(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply, &self.m.x.ctx().limits)?;
        let me = crate::ops::discover::self_response(&ms.responses, &reply.url);
        let ctag = me.and_then(|r| r.prop_text(&names::GETCTAG));
        if ctag.is_some() && ctag == self.old.ctag {
            self.method = SyncMethod::CtagUnchanged;
            self.new_ctag = ctag;
            self.new_token = self.old.sync_token.clone();
            // Nothing changed on the server; members still owed are fetched all the same.
            self.fetch();
            return Ok(());
        }
        self.request_listing();
        Ok(())
    }

    fn on_listing(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply, &self.m.x.ctx().limits)?;
        let own_key = href::normalize(reply.url.as_str());
        let mut present = HashSet::new();
        for r in ms.responses {
            let key = href::normalize(&r.href);
            if key == own_key {
                if r.status == Some(507) {
                    // A listing the server cut short cannot tell what was deleted.
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        "the server truncated the member listing (507), so deletions cannot be told",
                    )
                    .with_status(507)
                    .with_url(reply.url.as_str()));
                }
                self.new_ctag = r.prop_text(&names::GETCTAG);
                self.new_token = r.prop_text(&names::SYNC_TOKEN);
                continue;
            }
            if !present.insert(key.clone()) {
                continue;
            }
            let status = r.effective_status();
            if matches!(status, 404 | 410) {
                // Reported gone: absent, as if not listed.
                present.remove(&key);
                continue;
            }
            if r.prop(&names::RESOURCETYPE)
                .is_some_and(|t| t.child(crate::xml::DAV, "collection").is_some())
            {
                continue;
            }
            // Any other row is a member; one whose row is an error is fetched to find out (and
            // one listed with the ETag the state holds is dropped again by `fetch`).
            let etag = (status == 200)
                .then(|| r.prop_text(&names::GETETAG))
                .flatten();
            if let Some(size) = r.content_length() {
                self.sizes.insert(key.clone(), size);
            }
            self.seen.insert(key, (r.href, Seen::Changed(etag)));
        }
        for (key, original) in &self.old_keys {
            if !present.contains(key) {
                self.seen
                    .insert(key.clone(), (original.clone(), Seen::Deleted));
            }
        }
        self.fetch();
        Ok(())
    }

    /// Fetches every member listed as changed and every member still pending.
    fn fetch(&mut self) {
        let (old, old_keys) = (&self.old, &self.old_keys);
        // Listed with the ETag the state already has: nothing to fetch.
        self.seen.retain(|key, (_, seen)| match seen {
            Seen::Changed(Some(etag)) => {
                old_keys.get(key).and_then(|k| old.etags.get(k)) != Some(etag)
            }
            _ => true,
        });
        // Members owed from before come first, so a batch limit cannot starve them.
        let mut want = Vec::new();
        for original in &self.old.pending {
            let key = href::normalize(original);
            match self.seen.get(&key) {
                Some((_, Seen::Deleted)) => {}
                Some(_) => want.push(key),
                None => {
                    self.seen
                        .insert(key.clone(), (original.clone(), Seen::Changed(None)));
                    want.push(key);
                }
            }
        }
        let owed: HashSet<&String> = want.iter().collect();
        let listed: Vec<String> = self
            .seen
            .iter()
            .filter(|(key, (_, seen))| matches!(seen, Seen::Changed(_)) && !owed.contains(key))
            .map(|(key, _)| key.clone())
            .collect();
        drop(owed);
        want.extend(listed);
        if let Some(limit) = self.fetch_limit
            && want.len() > limit
        {
            let rest = want.split_off(limit);
            self.deferred.reserve_exact(rest.len());
            for key in rest.into_iter().rev() {
                self.sizes.remove(&key);
                if let Some((h, _)) = self.seen.remove(&key) {
                    self.deferred.push(h);
                }
            }
        }
        // Only the members asked for now are paired with their hrefs.
        let want = want
            .into_iter()
            .filter_map(|key| {
                self.seen
                    .get(&key)
                    .map(|(h, _)| h.clone())
                    .map(|h| (key, h))
            })
            .collect();
        self.request_round(Vec::new(), want);
    }

    /// Asks for members (one round): `get` one GET each, `multi` by multiget (GET too for a
    /// collection of unknown kind); finishes when there is nothing to ask.
    fn request_round(&mut self, get: Vec<(String, String)>, multi: Vec<(String, String)>) {
        self.round += 1;
        if get.is_empty() && multi.is_empty() {
            self.finish();
            return;
        }
        for (key, _) in get.iter().chain(&multi) {
            self.asked.insert(key.clone());
        }
        let (get, multi) = if self.kind == CollectionKind::Other {
            // Unknown collection type: no multiget REPORT to rely on, GET each member.
            (get.into_iter().chain(multi).collect(), Vec::new())
        } else {
            (get, multi)
        };
        for (key, h) in get {
            match href::parse_url(&h) {
                Ok(u) => {
                    self.pending_fetches += 1;
                    self.m.x.send(Tag::Get(key), Spec::new(Method::Get, u));
                }
                Err(e) => {
                    self.undelivered.insert(
                        key,
                        (
                            ErrorKind::Protocol,
                            None,
                            format!("the member's URL is not valid: {e}"),
                        ),
                    );
                }
            }
        }
        for chunk in self.chunks(multi) {
            self.send_multiget(chunk);
        }
        if self.pending_fetches == 0 {
            self.end_round();
        }
    }

    /// Cuts members into multigets of at most `batch_size` hrefs whose sizes (as reported;
    /// [`ASSUMED_MEMBER_BYTES`] when not) add up to at most half the body limit (escaping in the
    /// XML answer can double the data).
    fn chunks(&self, members: Vec<(String, String)>) -> Vec<Vec<(String, String)>> {
        let ctx = self.m.x.ctx();
        let max_count = ctx.batch_size.max(1);
        let max_bytes = (ctx.limits.max_body_bytes / 2).max(1) as u64;
        let mut out: Vec<Vec<(String, String)>> = Vec::new();
        let mut bytes = 0u64;
        for member in members {
            let size = self
                .sizes
                .get(&member.0)
                .copied()
                .unwrap_or(ASSUMED_MEMBER_BYTES);
            match out.last_mut() {
                Some(last) if last.len() < max_count && bytes.saturating_add(size) <= max_bytes => {
                    bytes = bytes.saturating_add(size);
                    last.push(member);
                }
                _ => {
                    bytes = size;
                    out.push(vec![member]);
                }
            }
        }
        out
    }

    fn send_multiget(&mut self, chunk: Vec<(String, String)>) {
        self.pending_fetches += 1;
        let hrefs: Vec<String> = chunk.iter().map(|(_, h)| h.clone()).collect();
        let keys = chunk.into_iter().map(|(k, _)| k).collect();
        let spec = multiget_spec(&self.collection, self.kind, &hrefs);
        self.m.x.send(Tag::Fetch(keys), spec);
    }

    /// A multiget whose answer was over the body limit is asked again in two halves (sizes
    /// the server did not report can make a batch too large); a single member over the limit
    /// fails the sync with the limit error.
    fn split_multiget(&mut self, keys: &HashSet<String>) {
        let mut members: Vec<(String, String)> = keys
            .iter()
            .filter_map(|k| self.seen.get(k).map(|(h, _)| (k.clone(), h.clone())))
            .collect();
        members.sort();
        let second = members.split_off(members.len() / 2);
        self.pending_fetches = self.pending_fetches.saturating_sub(1);
        self.send_multiget(members);
        self.send_multiget(second);
    }

    fn on_get(&mut self, key: String, reply: Reply) -> Result<()> {
        let status = reply.response.status;
        if status == 200 {
            let data = String::from_utf8(reply.response.body.clone()).map_err(|_| {
                Error::new(ErrorKind::Protocol, "the object is not UTF-8 text")
                    .with_url(reply.url.as_str())
            })?;
            self.deliver(
                key,
                DavObject {
                    url: reply.url.to_string(),
                    etag: reply.response.header("etag").map(str::to_owned),
                    data: Some(data),
                    json: None,
                },
            );
        } else if matches!(status, 404 | 410) {
            self.gone.insert(key);
        } else {
            self.undelivered.insert(
                key,
                (
                    Error::from_response(reply.url.as_str(), &reply.response).kind(),
                    Some(status),
                    format!("GET answered {status}"),
                ),
            );
        }
        Ok(())
    }

    fn on_fetch(&mut self, batch: &HashSet<String>, reply: Reply) -> Result<()> {
        // Read one response at a time, each one's data moved into its object: the answer is
        // held as its body and the objects made so far, never also as a parsed tree. A body
        // that turns out malformed after some rows fails the whole sync, so those rows go
        // nowhere.
        let limits = self.m.x.ctx().limits;
        for r in expect_responses(&reply, &limits)? {
            let mut r = r?;
            let key = href::normalize(&r.href);
            if !batch.contains(&key) || self.delivered.contains_key(&key) {
                // Not asked for in this request, or a duplicate row: ignored.
                continue;
            }
            let status = r.effective_status();
            if matches!(r.status, Some(404) | Some(410)) {
                self.gone.insert(key);
                continue;
            }
            let data = r
                .propstats
                .iter_mut()
                .filter(|p| p.status == 200)
                .flat_map(|p| p.props.iter_mut())
                .find(|e| e.name == names::CALENDAR_DATA || e.name == names::ADDRESS_DATA)
                .map(|e| match e.children.as_mut_slice() {
                    [crate::xml::Node::Text(t)] => std::mem::take(t),
                    _ => e.text(),
                });
            match data {
                Some(data) if status == 200 => {
                    let etag = r.prop_text(&names::GETETAG);
                    self.deliver(
                        key,
                        DavObject {
                            url: r.href,
                            etag,
                            data: Some(data),
                            json: None,
                        },
                    );
                }
                _ => {
                    // An error row, or a row without the data: ambiguous, never a deletion.
                    let data_status = r
                        .prop_status(&names::CALENDAR_DATA)
                        .or_else(|| r.prop_status(&names::ADDRESS_DATA));
                    let shown = if status != 200 {
                        Some(status)
                    } else {
                        data_status
                    };
                    let kind = shown.map_or(ErrorKind::Protocol, ErrorKind::for_status);
                    self.undelivered.insert(
                        key,
                        (
                            kind,
                            shown,
                            match shown {
                                Some(s) => format!("the multiget row answered {s}"),
                                None => "the multiget row has no data".to_owned(),
                            },
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn deliver(&mut self, key: String, obj: DavObject) {
        self.undelivered.remove(&key);
        self.gone.remove(&key);
        self.delivered.insert(key, obj);
    }

    /// After every answer of a round: ask once more for what is still owed, then finish.
    fn end_round(&mut self) {
        let owed: Vec<(String, String)> = self
            .asked
            .iter()
            .filter(|k| !self.delivered.contains_key(*k) && !self.gone.contains(*k))
            .filter_map(|k| self.seen.get(k).map(|(h, _)| (k.clone(), h.clone())))
            .collect();
        if owed.is_empty() || self.round >= FETCH_ROUNDS {
            self.finish();
            return;
        }
        // The second round asks again by GET (some servers cannot serve a member through
        // multiget: Xandikos answers a 404 calendar-data for a member it stores without a
        // calendar media type, but serves it by GET). In a batch, as many members as failed
        // are taken from those left for later, so members that keep failing cannot use up
        // every batch and the batches always move on.
        let mut backfill = Vec::new();
        while backfill.len() < owed.len() {
            let Some(h) = self.deferred.pop() else {
                break;
            };
            let key = href::normalize(&h);
            // Asked for as a pending member of a later batch is: by href, ETag unknown.
            self.seen
                .insert(key.clone(), (h.clone(), Seen::Changed(None)));
            backfill.push((key, h));
        }
        self.request_round(owed, backfill);
    }

    fn finish(&mut self) {
        let mut changes = Vec::new();
        let mut problems = Vec::new();
        let mut etags = std::mem::take(&mut self.old.etags);
        let mut pending = BTreeSet::new();
        let old_pending: HashSet<String> = self
            .old
            .pending
            .iter()
            .map(|h| href::normalize(h))
            .collect();
        let remove =
            |etags: &mut BTreeMap<String, String>, keys: &HashMap<String, String>, key: &str| {
                keys.get(key).and_then(|k| etags.remove(k))
            };
        let mut delivered = std::mem::take(&mut self.delivered);
        for (key, (original, seen)) in std::mem::take(&mut self.seen) {
            let gone = matches!(seen, Seen::Deleted) || self.gone.contains(&key);
            if gone {
                // Only a 404/410 for this href, or a listing or sync report without it, gets here.
                let had = remove(&mut etags, &self.old_keys, &key).is_some();
                if had || old_pending.contains(&key) {
                    changes.push(Change::Deleted { url: original });
                }
                continue;
            }
            let Seen::Changed(sync_etag) = seen else {
                continue;
            };
            let Some(mut obj) = delivered.remove(&key) else {
                // Listed as changed but not delivered twice: owed to the app, never a deletion.
                let (kind, status, message) = self.undelivered.remove(&key).unwrap_or((
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
                pending.insert(original);
                continue;
            };
            if obj.etag.is_none() {
                obj.etag = sync_etag;
            }
            let existed = remove(&mut etags, &self.old_keys, &key);
            if let Some(etag) = &obj.etag {
                etags.insert(obj.url.clone(), etag.clone());
            }
            match existed {
                Some(old) if Some(&old) == obj.etag.as_ref() && !old_pending.contains(&key) => {}
                Some(_) => changes.push(Change::Changed(obj)),
                None => changes.push(Change::Added(obj)),
            }
        }
        let more = !self.deferred.is_empty() || !self.carried.is_empty();
        // Left for the next batch: owed, not problems.
        pending.extend(self.deferred.drain(..));
        pending.append(&mut self.carried);
        let state = SyncState {
            collection_url: self.old.collection_url.clone(),
            sync_token: self.new_token.take(),
            ctag: self.new_ctag.take().or_else(|| self.old.ctag.take()),
            etags,
            pending,
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

/// A sync page's row as href, what it says, and the member's size.
fn split_row(row: SyncRow) -> (String, Seen, Option<u64>) {
    match row {
        SyncRow::Changed(c) => (c.href, Seen::Changed(c.etag), c.size),
        SyncRow::Deleted(href) => (href, Seen::Deleted, None),
    }
}

impl_operation!(Sync, SyncResult);
