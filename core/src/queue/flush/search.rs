//! Looking up a create by POST that an earlier flush may have sent: the collection is listed
//! and its members fetched once per flush, then the entry is found by UID.

use crate::keyed::Keyed;

use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::model::CollectionKind;
use crate::model::DavObject;
use crate::ops::objects::MultigetResult;

use super::super::merge;
use super::super::{Entry, EntryOp, OutcomeKind, Resolved};
use super::{FlushRequest, FlushSteps, GONE_ONCE, Step};

/// A collection searched by UID in this flush.
pub(super) struct Found {
    /// The collection's URL.
    collection: String,
    /// Its members, by UID.
    by_uid: Keyed<DavObject>,
}

impl FlushSteps {
    /// Whether the entry's write is a POST that an earlier flush may have sent (the entry was
    /// in an earlier flush), or the deletion of what such a POST may have created (the server
    /// named it: only its UID finds it), not yet looked up by UID: then it is looked up first.
    pub(super) fn search_first(&mut self) -> bool {
        let Some(w) = &mut self.work else {
            return false;
        };
        if w.searched || !self.profile.create_by_post || !posted_earlier(&w.entry) {
            return false;
        }
        w.searched = true;
        let collection = w.entry.collection_url.clone();
        if self.found.iter().any(|f| f.collection == collection) {
            self.after_search();
        } else {
            self.searching = Some(collection.clone());
            self.run(Step::FindList, FlushRequest::List { collection });
        }
        true
    }

    pub(super) fn on_list(&mut self, result: Result<Vec<String>>) {
        let hrefs = match result {
            Ok(h) => h,
            Err(e) => return self.stop(e),
        };
        let collection = self.searching.clone().unwrap_or_default();
        if hrefs.is_empty() {
            self.found.push(Found {
                collection,
                by_uid: Keyed::new(),
            });
            return self.after_search();
        }
        self.listed = hrefs.clone();
        let kind = match created(self.current()) {
            Some(d) if d.trim_start().starts_with("BEGIN:VCARD") => CollectionKind::AddressBook,
            _ => CollectionKind::Calendar,
        };
        let request = FlushRequest::Multiget {
            collection,
            kind,
            hrefs,
        };
        self.run(Step::FindFetch, request);
    }

    pub(super) fn on_fetch(&mut self, result: Result<MultigetResult>) {
        let fetched = match result {
            Ok(r) => r,
            Err(e) => return self.stop(e),
        };
        // Every member listed must be read with its data. A multiget row that answers 404 for
        // a member the listing just named proves nothing (a proxy, or a server that misreads
        // the href, answers so), and that member could be the earlier POST: each member the
        // multiget did not deliver is read by GET, whose answer for the member's own URL
        // decides, as in a sync.
        // So is a member whose row came without its ETag (a proxy or a server that dropped
        // it): found without one, the earlier POST could be neither written on nor handed to
        // the app as a conflict's side.
        let listed = std::mem::take(&mut self.listed);
        // Loops, not an adapter chain: each chain collected is its own copy of `Vec`'s
        // collecting code in the WebAssembly module.
        let mut delivered = Vec::new();
        let mut objects = Vec::new();
        for o in fetched.objects {
            if o.data.is_some() && o.etag.is_some() {
                delivered.push(href::normalize(&o.url));
                objects.push(o);
            }
        }
        // sorted, so that each listed member is one binary search: n log n for a listing of n
        // members, not n x n
        delivered.sort_unstable();
        for h in listed {
            if delivered.binary_search(&href::normalize(&h)).is_err() {
                self.listed.push(h);
            }
        }
        self.fetched = objects;
        self.confirm_next();
    }

    /// Reads the next member the multiget did not deliver, or, when none is left, indexes
    /// the collection's members by UID.
    fn confirm_next(&mut self) {
        if let Some(h) = self.listed.pop() {
            return self.run(Step::FindConfirm, FlushRequest::Get { url: h });
        }
        let mut by_uid = Keyed::new();
        for obj in std::mem::take(&mut self.fetched) {
            if let Some(uid) = obj.data.as_deref().and_then(merge::uid) {
                by_uid.insert_if_absent(uid, || obj);
            }
        }
        let collection = self.searching.take().unwrap_or_default();
        self.found.push(Found { collection, by_uid });
        self.after_search();
    }

    /// A member's GET: an object joins the search, a 404 or 410 leaves it out (deleted since
    /// the listing, or not yet seen by the replica that answered: not finding the entry is
    /// confirmed by the next flush's search, as always), and anything else (a 200 that is
    /// not an object included: [`Session::get_object`](crate::Session::get_object)) stops
    /// the flush, since that member could be the earlier POST.
    pub(super) fn on_confirm(&mut self, result: Result<DavObject>) {
        match result {
            Ok(obj) => self.fetched.push(obj),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return self.stop(e),
        }
        self.confirm_next();
    }

    /// The collection was searched: the earlier POST is there or not.
    pub(super) fn after_search(&mut self) {
        let e = self.current().clone();
        let Some(uid) = created(&e).and_then(merge::uid) else {
            return self.fail(Error::new(
                ErrorKind::InvalidInput,
                "a create an earlier flush may have posted has no UID to look it up by; \
                 resolve it (keep local posts it again)",
            ));
        };
        let hit = self
            .found
            .iter()
            .find(|f| f.collection == e.collection_url)
            .and_then(|f| f.by_uid.get(&uid))
            .cloned();
        let Some(obj) = hit else {
            // Not found is no answer alone: a server that is eventually consistent lists an
            // object created a moment ago only later (iCloud: "newly created events may not
            // appear immediately"), and a replica behind answers a GET of it 404. Posted again
            // on one search, the earlier POST would be there twice; the entry waits, and not
            // finding it stands when the next flush's search says the same
            // ([`FlushSteps::believed`]).
            if !self.believed(GONE_ONCE, None) {
                return;
            }
            if e.op == EntryOp::Delete {
                // Never created, or deleted since: nothing of ours is left to delete.
                return self.already_gone();
            }
            return self.write();
        };
        let s = obj.data.clone().unwrap_or_default();
        if obj.etag.is_none() && !e.op.data().is_some_and(|l| self.holds(l, &s)) {
            // Read without its ETag (a GET's that a proxy or cache dropped): as after a 412,
            // the flush stops and the entry waits for the next.
            return self.refused(super::read_without_etag());
        }
        if e.op.data().is_some_and(|l| self.holds(l, &s)) {
            let (url, etag) = (obj.url.clone(), obj.etag.clone());
            return self.outcome(
                url,
                OutcomeKind::Written {
                    etag,
                    data: Some(s),
                    how: Resolved::AlreadyApplied,
                    replaced: false,
                },
            );
        }
        if let Some(earlier) = e.sent.iter().find(|d| self.holds(d, &s)).cloned() {
            return self.rebase(obj, Some(earlier), None);
        }
        self.conflict(
            e,
            Some(obj),
            "an object with this UID, not holding this queue's data, is on the server",
        );
    }
}

/// A create in an earlier flush (its POST may have been applied), or a deletion of such a
/// create that no version was read for (its base is what that POST made).
pub(super) fn posted_earlier(e: &Entry) -> bool {
    e.runs >= 2
        && match e.op {
            EntryOp::Create { .. } => true,
            EntryOp::Delete => e.base_etag.is_none() && !e.sent.is_empty(),
            EntryOp::Update { .. } => false,
        }
}

/// The data the entry creates, or for such a deletion the data last sent.
fn created(e: &Entry) -> Option<&str> {
    e.op.data().or(e.sent.last().map(String::as_str))
}
