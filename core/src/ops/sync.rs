//! Synchronisation of one collection: RFC 6578 sync-collection when the server has it (pages
//! after a 507 are fetched until complete), otherwise or after a rejected token a ctag check
//! (caldav-ctag-02) and an ETag listing compared with the stored state; then the data of every
//! added or changed member by multiget.
//!
//! The new state is returned only together with every change it accounts for, so a sync that
//! fails or is interrupted leaves the caller's stored state valid: running it again delivers the
//! same changes, none lost. Deletions of hrefs the state never had are not reported.

use std::collections::{BTreeMap, HashMap};

use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::Method;
use crate::model::{Change, CollectionKind, DavObject, SyncMethod, SyncResult, SyncState};
use crate::ops::objects::{expect_multistatus, members, multiget_spec};
use crate::rfc4918::{Depth, propfind_body};
use crate::rfc6578::{is_invalid_token, read_sync_page, sync_collection_body};
use crate::session::Session;
use crate::xml::names;

/// Safety bound on sync-collection pages in one sync.
const MAX_PAGES: usize = 10_000;

#[derive(Debug)]
enum Tag {
    Page { token: Option<String> },
    Ctag,
    Listing,
    Fetch,
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
    pending_fetches: usize,
    fetched: Vec<DavObject>,
    missing: Vec<String>,
}

impl Session {
    /// Synchronises one collection from a stored state (use [`SyncState::new`] the first time).
    /// `kind` picks calendar-multiget or addressbook-multiget for fetching data.
    pub fn sync(&self, state: SyncState, kind: CollectionKind) -> Sync {
        Sync::new(self, state, kind)
    }
}

impl Sync {
    fn new(session: &Session, state: SyncState, kind: CollectionKind) -> Self {
        let collection = session
            .url(&state.collection_url)
            .map(|u| href::as_collection(&u));
        let old_keys = state
            .etags
            .keys()
            .map(|k| (href::normalize(k), k.clone()))
            .collect();
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
            pending_fetches: 0,
            fetched: Vec::new(),
            missing: Vec::new(),
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
            Some(token) if !token.is_empty() => op.request_page(Some(token)),
            _ if op.old.ctag.is_some() => op.request_ctag(),
            _ if profile.empty_sync_token => op.request_page(None),
            _ => op.request_listing(),
        }
        op
    }

    fn request_page(&mut self, token: Option<String>) {
        self.pages += 1;
        let ctx = self.m.x.ctx();
        let body = sync_collection_body(token.as_deref(), ctx.sync_limit, &[names::GETETAG]);
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
            .xml(propfind_body(&[
                names::RESOURCETYPE,
                names::GETETAG,
                names::GETCTAG,
                names::SYNC_TOKEN,
            ]));
        self.m.x.send(Tag::Listing, spec);
    }

    fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        let reply = match reply {
            Ok(r) => r,
            Err(e) => return self.m.fail(e),
        };
        let outcome = match tag {
            Tag::Page { token } => self.on_page(token, reply),
            Tag::Ctag => self.on_ctag(reply),
            Tag::Listing => self.on_listing(reply),
            Tag::Fetch => self.on_fetch(reply),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    fn on_page(&mut self, token: Option<String>, reply: Reply) -> Result<()> {
        let response = &reply.response;
        if response.status != 207 {
            if is_invalid_token(response) && token.is_some() {
                // The stored token is no longer valid: list everything and compare ETags.
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
        let ms = crate::rfc4918::multistatus::parse(&response.body, reply.url.as_str())?;
        let page = read_sync_page(ms, self.collection.as_str());
        for c in page.changed {
            self.seen
                .insert(href::normalize(&c.href), (c.href, Seen::Changed(c.etag)));
        }
        for d in page.deleted {
            self.seen.insert(href::normalize(&d), (d, Seen::Deleted));
        }
        if page.token.is_none() {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the sync-collection answer has no sync-token",
            )
            .with_url(reply.url.as_str()));
        }
        self.new_token = page.token;
        if page.truncated {
            if self.new_token == token || self.pages >= MAX_PAGES {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "the server truncated the sync without advancing its token",
                )
                .with_url(reply.url.as_str()));
            }
            self.request_page(self.new_token.clone());
            return Ok(());
        }
        self.fetch();
        Ok(())
    }

    fn on_ctag(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply)?;
        let me = crate::ops::discover::self_response(&ms.responses, &reply.url);
        let ctag = me.and_then(|r| r.prop_text(&names::GETCTAG));
        if ctag.is_some() && ctag == self.old.ctag {
            self.method = SyncMethod::CtagUnchanged;
            self.new_ctag = ctag;
            self.new_token = self.old.sync_token.clone();
            self.finish();
            return Ok(());
        }
        self.request_listing();
        Ok(())
    }

    fn on_listing(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply)?;
        let own = ms
            .responses
            .iter()
            .find(|r| href::same_resource(&r.href, reply.url.as_str()));
        if let Some(me) = own {
            self.new_ctag = me.prop_text(&names::GETCTAG);
            self.new_token = me.prop_text(&names::SYNC_TOKEN);
        }
        let listed = members(ms, reply.url.as_str(), false);
        let mut present = std::collections::HashSet::new();
        for obj in listed {
            let key = href::normalize(&obj.url);
            present.insert(key.clone());
            let unchanged = self
                .old_keys
                .get(&key)
                .and_then(|k| self.old.etags.get(k))
                .is_some_and(|old| Some(old) == obj.etag.as_ref());
            if !unchanged {
                self.seen.insert(key, (obj.url, Seen::Changed(obj.etag)));
            }
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

    fn fetch(&mut self) {
        let hrefs: Vec<String> = self
            .seen
            .values()
            .filter(|(_, s)| matches!(s, Seen::Changed(_)))
            .map(|(h, _)| h.clone())
            .collect();
        if hrefs.is_empty() {
            self.finish();
            return;
        }
        if self.kind == CollectionKind::Other {
            // Unknown collection type: no multiget REPORT to rely on, GET each member.
            for h in hrefs {
                if let Ok(u) = Url::parse(&h) {
                    self.pending_fetches += 1;
                    self.m.x.send(Tag::Fetch, Spec::new(Method::Get, u));
                }
            }
        } else {
            let batch = self.m.x.ctx().batch_size;
            for chunk in hrefs.chunks(batch) {
                self.pending_fetches += 1;
                let spec = multiget_spec(&self.collection, self.kind, chunk);
                self.m.x.send(Tag::Fetch, spec);
            }
        }
        if self.pending_fetches == 0 {
            self.finish();
        }
    }

    fn on_fetch(&mut self, reply: Reply) -> Result<()> {
        if reply.response.status == 200 {
            let data = String::from_utf8(reply.response.body.clone()).map_err(|_| {
                Error::new(ErrorKind::Protocol, "the object is not UTF-8 text")
                    .with_url(reply.url.as_str())
            })?;
            self.fetched.push(DavObject {
                url: reply.url.to_string(),
                etag: reply.response.header("etag").map(str::to_owned),
                data: Some(data),
                json: None,
            });
        } else {
            let ms = expect_multistatus(&reply)?;
            for r in &ms.responses {
                if matches!(r.status, Some(404) | Some(410)) {
                    self.missing.push(r.href.clone());
                }
            }
            self.fetched
                .extend(members(ms, self.collection.as_str(), true));
        }
        self.pending_fetches = self.pending_fetches.saturating_sub(1);
        if self.pending_fetches == 0 {
            self.finish();
        }
        Ok(())
    }

    fn finish(&mut self) {
        let mut changes = Vec::new();
        let mut etags = std::mem::take(&mut self.old.etags);
        let remove =
            |etags: &mut BTreeMap<String, String>, keys: &HashMap<String, String>, key: &str| {
                keys.get(key).and_then(|k| etags.remove(k))
            };
        // Objects that vanished between listing and fetching are deletions too.
        for m in std::mem::take(&mut self.missing) {
            let key = href::normalize(&m);
            if let Some((original, _)) = self.seen.get(&key).cloned() {
                self.seen.insert(key, (original, Seen::Deleted));
            }
        }
        let mut fetched: HashMap<String, DavObject> = std::mem::take(&mut self.fetched)
            .into_iter()
            .map(|o| (href::normalize(&o.url), o))
            .collect();
        for (key, (original, seen)) in std::mem::take(&mut self.seen) {
            match seen {
                Seen::Deleted => {
                    if remove(&mut etags, &self.old_keys, &key).is_some() {
                        changes.push(Change::Deleted { url: original });
                    }
                }
                Seen::Changed(sync_etag) => {
                    let Some(mut obj) = fetched.remove(&key) else {
                        // Listed as changed but not returned by the multiget: treat as gone.
                        if remove(&mut etags, &self.old_keys, &key).is_some() {
                            changes.push(Change::Deleted { url: original });
                        }
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
                        Some(old) if Some(&old) == obj.etag.as_ref() => {}
                        Some(_) => changes.push(Change::Changed(obj)),
                        None => changes.push(Change::Added(obj)),
                    }
                }
            }
        }
        let state = SyncState {
            collection_url: self.old.collection_url.clone(),
            sync_token: self.new_token.take(),
            ctag: self.new_ctag.take().or_else(|| self.old.ctag.take()),
            etags,
        };
        self.m.finish(Ok(SyncResult {
            changes,
            state,
            method: self.method,
            token_was_reset: self.token_was_reset,
        }));
    }
}

impl_operation!(Sync, SyncResult);
