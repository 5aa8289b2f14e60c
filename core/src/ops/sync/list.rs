//! Finding what changed: the sync-collection report and its pages, or the ctag check and the
//! ETag listing compared with the stored state.

use crate::string_set::StringSet;
use crate::url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Reply, Spec};
use crate::http::Method;
use crate::model::{CollectionKind, DavObject, SyncMethod};
use crate::ops::objects::expect_multistatus;
use crate::rfc4918::multistatus::Response;
use crate::rfc4918::{Depth, propfind_body};
use crate::rfc6578::{SyncRow, is_invalid_token, is_refused_token, sync_collection_body};
use crate::xml::{QName, names};

use super::{Got, Seen, Sync, Tag, version_named};
use crate::href;

impl Sync {
    pub(super) fn request_page(&mut self, token: Option<String>) {
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

    pub(super) fn request_ctag(&mut self) {
        let spec = Spec::new(Method::Propfind, self.collection.clone())
            .header("Depth", Depth::Zero.as_str())
            .xml(propfind_body(&[names::GETCTAG, names::SYNC_TOKEN]));
        self.m.x.send(Tag::Ctag, spec);
    }

    pub(super) fn request_listing(&mut self) {
        // A listing names the members only (its rows are not read for data).
        self.ask_data = false;
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
        const WITH_DATA: &[QName] = &[names::GETETAG, names::CALENDAR_DATA];
        if self.kind == CollectionKind::AddressBook {
            WITH_SIZE
        } else if self.ask_data {
            WITH_DATA
        } else {
            ETAG_ONLY
        }
    }

    /// The sync report again from the token the sync started with, without asking for the
    /// members' data (`ask_data`): what the pages said so far is dropped, as a sync that
    /// starts then would not have it.
    pub(super) fn restart_without_data(&mut self) {
        self.ask_data = false;
        self.seen.clear();
        self.versions_named.clear();
        self.tokens_asked.clear();
        self.new_token = None;
        self.request_page(self.old.sync_token.clone());
    }

    /// The properties of an ETag listing (PROPFIND `Depth: 1`): the member properties of
    /// [`Self::member_props`] and the collection's change markers.
    fn listing_props(&self) -> Vec<QName> {
        let mut props = vec![names::RESOURCETYPE];
        props.extend_from_slice(self.member_props());
        props.extend_from_slice(&[names::GETCTAG, names::SYNC_TOKEN]);
        props
    }

    /// A sync page answered with another status than 207 (a 207 is read row by row, as it
    /// arrives or by `read_whole`): a refused token or no sync-collection falls back to a
    /// listing; anything else is the error.
    pub(super) fn on_page_status(&mut self, token: Option<String>, reply: Reply) -> Result<()> {
        let response = &reply.response;
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
        if self.ask_data && matches!(response.status, 400 | 415 | 422 | 501) {
            // A token report refused, perhaps for the data asked for: asked again as it was
            // before, and not asked with the data again in this session.
            self.m.x.ctx().refuse_sync_data();
            self.restart_without_data();
            return Ok(());
        }
        if is_invalid_token(response) {
            return Err(crate::rfc6578::invalid_token_error(
                reply.url.as_str(),
                response,
            ));
        }
        Err(Error::from_response(reply.url.as_str(), response))
    }

    /// One response of a sync page: the collection's own (a 507 there means the page was
    /// truncated) or a member's row, recorded unless the page named the member already (the
    /// first row of a member in a page counts; a later page's row replaces an earlier one).
    /// A changed member's row that brings its ETag and data (`ask_data`) delivers it.
    pub(super) fn page_row(&mut self, collection_key: &str, truncated: &mut bool, mut r: Response) {
        let key = href::normalize(&r.href);
        // A 507 is the server cutting the page short, whatever href its row has (the
        // collection's own written under a backend's host): no member answers 507, and an
        // initial report read as complete would delete the members past the cut.
        if key == collection_key || r.status == Some(507) {
            if r.status == Some(507) {
                *truncated = true;
            }
            return;
        }
        if self
            .seen
            .get(&key)
            .is_some_and(|(_, _, page, ..)| *page == self.pages)
        {
            return;
        }
        let data = if self.ask_data {
            let data = crate::ops::objects::take_data(&mut r);
            if data.is_none() && super::fetch::data_failed(&r) {
                // The server does not send the data here: the session's later syncs do not
                // ask for it (this one fetches the member as usual).
                self.m.x.ctx().refuse_sync_data();
            }
            data
        } else {
            None
        };
        let (href, seen, size) = split_row(crate::rfc6578::row(r));
        let object = match (&seen, data) {
            // A member changed, with its ETag and data: delivered from the page, unless the
            // state holds a version the app wrote or read itself and the page names another
            // (see `checked_elsewhere`).
            (Seen::Changed(Some(etag)), Some(data)) if !self.checked_elsewhere(&key, etag) => {
                Some(DavObject {
                    url: href.clone(),
                    etag: Some(etag.clone()),
                    data: Some(data),
                    json: None,
                })
            }
            _ => None,
        };
        self.record(key, href, seen, size, object);
    }

    /// Whether the state holds the member at a version the app wrote or read itself (its
    /// ETag is also its `SyncState::listed` check: `record_write`, `record_read`,
    /// `mark_pending`) and `etag` is another. A page from a replica that has not caught up
    /// with the app's write names the version before, with its data: one answer, so it is
    /// fetched instead and the answer checked against the page's ETag, like any member a
    /// listing names (simulation: a stale sync page, seed 54,241,024, had a SOGo client's
    /// mirror keep the version its own write replaced).
    fn checked_elsewhere(&self, key: &str, etag: &str) -> bool {
        let old = &self.old;
        self.old_keys.stored(key, &old.etags).is_some_and(|h| {
            let held = old.etags.get(h);
            held.is_some_and(|e| e != etag) && old.listed.get(h) == held
        })
    }

    /// After the last row of a sync page (`body_token` its `DAV:sync-token`): the next page
    /// when it was truncated, else the fetch.
    pub(super) fn end_page(
        &mut self,
        token: Option<String>,
        body_token: Option<String>,
        truncated: bool,
        reply_url: &Url,
    ) -> Result<()> {
        if token.is_some() && self.members_elsewhere(reply_url) {
            // The collection answered from another URL (it moved, and a redirect led there):
            // the page names its changes under that URL, which the state's members are not
            // under, so a deletion there would match nothing and be lost behind the new
            // token. A listing compares every member instead (those under the old URL are
            // gone from it, those under the new one added), after which the state's members
            // are where the collection answers and token reports serve again.
            self.request_listing();
            return Ok(());
        }
        let limits = self.m.x.ctx().limits;
        // A truncated page must name at least one member version (href and ETag, or a
        // deletion) not named before in this sync: otherwise the server is paging without
        // progress (and could do so forever). A member changed again during paging is progress.
        // The first row of a member in the page counts (the one recorded with this page).
        let mut progressed = false;
        if truncated {
            for (key, (_, seen, page, ..)) in self.seen.iter() {
                if *page != self.pages {
                    continue;
                }
                let etag = match seen {
                    Seen::Changed(etag) => etag.as_deref(),
                    Seen::Deleted | Seen::Unlisted | Seen::Owed(_) => None,
                };
                progressed |= self.versions_named.insert(version_named(key, etag));
            }
        }
        if body_token.is_none() {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the sync-collection answer has no sync-token",
            )
            .with_url(reply_url.as_str()));
        }
        self.new_token = body_token;
        if truncated {
            let repeated = self
                .new_token
                .as_ref()
                .is_some_and(|t| self.tokens_asked.contains(t.as_str()));
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
            for (key, original) in self.old_keys.pairs(&self.old.etags) {
                self.seen
                    .insert_if_absent(key, || (original, Seen::Unlisted, 0, None, None));
            }
        }
        self.fetch();
        Ok(())
    }

    /// Whether a sync page came from another URL than the collection (after redirects) while
    /// the state holds members that are not under that URL: the page's hrefs cannot be
    /// compared with theirs.
    fn members_elsewhere(&self, reply_url: &Url) -> bool {
        let answered = href::normalize(reply_url.as_str());
        if answered == href::normalize(self.collection.as_str()) {
            return false;
        }
        let under = format!("{answered}/");
        for stored in self.old.etags.keys() {
            if !href::normalize(stored).starts_with(&under) {
                return true;
            }
        }
        false
    }

    /// Records what a sync page says of a member (a later page's row replaces an earlier one,
    /// and what was delivered for it), and the object the row brought, delivered.
    fn record(
        &mut self,
        key: String,
        href: String,
        seen: Seen,
        size: Option<u64>,
        delivered: Option<DavObject>,
    ) {
        let href = super::compact_href(&key, href);
        let got = delivered.map(|object| {
            Box::new(Got {
                delivered: Some(object),
                ..Got::default()
            })
        });
        self.seen.insert(key, (href, seen, self.pages, size, got));
    }

    pub(super) fn on_ctag(&mut self, reply: Reply) -> Result<()> {
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

    /// One response of an ETag listing (PROPFIND `Depth: 1`): the collection's own (its
    /// ctag and token; a 507 there fails the sync, since a cut listing cannot tell what was
    /// deleted) or a member's row (the first row of an href counts). `present` collects the
    /// hrefs listed, for [`Self::end_listing`].
    pub(super) fn listing_row(
        &mut self,
        own_key: &str,
        present: &mut StringSet,
        url: &Url,
        r: Response,
    ) -> Result<()> {
        let key = href::normalize(&r.href);
        // A cut listing, or one not of this collection, says nothing of what was deleted.
        if let Some(e) = crate::ops::objects::listing_refused(&r, key == own_key, url.as_str()) {
            return Err(e);
        }
        if key == own_key {
            self.new_ctag = r.prop_text(&names::GETCTAG);
            self.new_token = r.prop_text(&names::SYNC_TOKEN);
            return Ok(());
        }
        let status = r.effective_status();
        // Reported gone: absent, as if not listed (so a later row of the href counts). Tested
        // before the href is recorded as present rather than recorded and removed again:
        // a removal would be the map's removal code in the module.
        if matches!(status, 404 | 410) || !present.insert(key.clone()) {
            return Ok(());
        }
        if r.prop(&names::RESOURCETYPE)
            .is_some_and(|t| t.child(crate::xml::DAV, "collection").is_some())
        {
            return Ok(());
        }
        // Any other row is a member; one whose row is an error is fetched to find out (and
        // one listed with the ETag the state holds is dropped again by `fetch`).
        let etag = (status == 200)
            .then(|| r.prop_text(&names::GETETAG))
            .flatten();
        // A row without a size keeps the size an earlier row of the member gave.
        let size = r
            .content_length()
            .or_else(|| self.seen.get(&key).and_then(|(_, _, _, size, _)| *size));
        let href = super::compact_href(&key, r.href);
        self.seen
            .insert(key, (href, Seen::Changed(etag), 0, size, None));
        Ok(())
    }

    /// After the last row of a complete listing: what the state has and the listing does not
    /// name is gone; then the fetch.
    pub(super) fn end_listing(&mut self, present: &StringSet) {
        for (key, original) in self.old_keys.pairs(&self.old.etags) {
            if !present.contains(key.as_str()) {
                self.seen
                    .insert(key, (original, Seen::Unlisted, 0, None, None));
            }
        }
        self.fetch();
    }
}

/// A sync page's row as href, what it says, and the member's size.
fn split_row(row: SyncRow) -> (String, Seen, Option<u64>) {
    match row {
        SyncRow::Changed(c) => (c.href, Seen::Changed(c.etag), c.size),
        SyncRow::Deleted(href) => (href, Seen::Deleted, None),
    }
}
