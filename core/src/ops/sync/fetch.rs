//! Fetching what changed: multigets cut to the body limit, a second round by GET for what a
//! multiget did not deliver, and the members left for a later batch.

use crate::keyed::Keyed;
use crate::string_set::StringSet;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::Reply;
use crate::href;
use crate::model::{CollectionKind, DavObject};
use crate::ops::objects::{
    NOT_AN_OBJECT, get_object_spec, is_object_text, multiget_spec, object_etag, take_data,
};
use crate::rfc4918::multistatus::Response;
use crate::xml::names;

use super::{
    ASSUMED_MEMBER_BYTES, FETCH_ROUNDS, GONE_ONCE, Got, Seen, Sync, Tag, compact_href, href_of,
    stored_href,
};

impl Sync {
    /// Fetches every member listed as changed and every member still pending.
    pub(super) fn fetch(&mut self) {
        let (old, old_keys) = (&self.old, &self.old_keys);
        // Listed with the ETag the state already has: nothing to fetch, unless the member is
        // owed since an answer without it (`GONE_ONCE`: a listing that left it out, a 404),
        // which this listing contradicts: fetched, its answer is checked against this
        // listing's ETag like any member listed, so one that agrees settles it now.
        // (The listing is rebuilt rather than retained: `retain` would be more map code in the
        // module.)
        let unchanged = |key: &str, seen: &Seen| match seen {
            Seen::Changed(Some(etag)) => old_keys.stored(key, &old.etags).is_some_and(|k| {
                old.etags.get(k) == Some(etag) && old.listed.get(k).is_none_or(|c| c != GONE_ONCE)
            }),
            _ => false,
        };
        // (Loops over the listing rather than iterator adapters: each adapter chain is its own
        // copy of iteration code in the WebAssembly module.)
        let mut any_unchanged = false;
        for (key, (_, seen, ..)) in self.seen.iter() {
            if unchanged(key, seen) {
                any_unchanged = true;
                break;
            }
        }
        if any_unchanged {
            for (key, entry) in std::mem::take(&mut self.seen) {
                if !unchanged(&key, &entry.1) {
                    self.seen.insert(key, entry);
                }
            }
        }
        // Members owed from before come first, so a batch limit cannot starve them.
        let mut want = Vec::new();
        for original in &self.old.pending {
            let key = href::normalize(original);
            match self.seen.get_mut(&key) {
                Some((_, Seen::Deleted | Seen::Unlisted, ..)) => {}
                // Delivered by the sync report's own row at the ETag its next answer must be
                // at: two answers that agree.
                Some((_, Seen::Changed(Some(e)), .., got))
                    if delivered(got) && self.old.listed.get(original) == Some(&*e) => {}
                // Any other answer of the report's own row is one answer, which a replica
                // behind the app's write or read could have given (the version before, with
                // its data): fetched, and checked against the row's ETag.
                Some((.., got)) => {
                    *got = None;
                    want.push(key);
                }
                None => {
                    // Stored as the key alone when it is the key (see `compact_href`).
                    let stored = if *original == key {
                        String::new()
                    } else {
                        original.clone()
                    };
                    self.seen.insert(
                        key.clone(),
                        (
                            stored,
                            Seen::Owed(self.old.listed.get(original).cloned()),
                            0,
                            None,
                            None,
                        ),
                    );
                    want.push(key);
                }
            }
        }
        // Inserted one by one (a `collect` into a set is its own copy of the set's bulk
        // building).
        let mut owed = StringSet::new();
        for key in &want {
            owed.insert(key.clone());
        }
        let limit = self.fetch_limit.unwrap_or(usize::MAX);
        let mut rest = if want.len() > limit {
            want.split_off(limit)
        } else {
            Vec::new()
        };
        let is_listed = |key: &String, seen: &Seen, got: &Option<Box<Got>>| {
            matches!(seen, Seen::Changed(_) | Seen::Owed(_))
                && !delivered(got)
                && !owed.contains(key.as_str())
        };
        let room = limit - want.len();
        let mut listed = 0;
        for (key, (_, seen, .., got)) in self.seen.iter() {
            if is_listed(key, seen, got) {
                listed += 1;
            }
        }
        // Hrefs of the members left for a later batch, in the order they would be taken.
        let mut later = Vec::new();
        if listed <= room {
            for (key, (_, seen, .., got)) in self.seen.iter() {
                if is_listed(key, seen, got) {
                    want.push(key.clone());
                }
            }
        } else {
            // A batch of a large listing: the members it does not take are moved out of the
            // listing as their hrefs alone (no copy of their keys is made). `later` grows as
            // the listing's nodes are freed behind the move rather than being reserved whole
            // up front (which held both at their fullest: 24 bytes a member more at the peak).
            let mut kept = Keyed::new();
            for (key, entry) in std::mem::take(&mut self.seen) {
                if !is_listed(&key, &entry.1, &entry.4) {
                    kept.insert(key, entry);
                } else if want.len() < limit {
                    want.push(key.clone());
                    kept.insert(key, entry);
                } else {
                    // What its answer must match (listed without an ETag: an empty one, which
                    // none matches; see `Sync::finish`).
                    let h = stored_href(key, entry.0);
                    if let Some(check) = entry.1.check() {
                        self.listed.insert(h.clone(), check);
                    }
                    later.push(h);
                }
            }
            self.seen = kept;
        }
        drop(owed);
        // Owed members past the limit go first, then the listed ones; `deferred` holds them
        // with the next to take last. Reversed where they are, and handed over rather than
        // copied into a second vector.
        later.reverse();
        for key in rest.drain(..).rev() {
            if let Some((h, seen, ..)) = self.seen.remove(&key) {
                let h = stored_href(key, h);
                if let Some(check) = seen.check() {
                    self.listed.insert(h.clone(), check);
                }
                later.push(h);
            }
        }
        later.shrink_to_fit();
        if self.deferred.is_empty() {
            self.deferred = later;
        } else {
            self.deferred.append(&mut later);
        }
        // Only the members asked for now are paired with their hrefs.
        let mut asked = Vec::with_capacity(want.len());
        for key in want {
            if let Some((h, ..)) = self.seen.get(&key) {
                let h = href_of(&key, h).to_owned();
                asked.push((key, h));
            }
        }
        self.request_round(Vec::new(), asked);
    }

    /// Asks for members (one round): `get` one GET each, `multi` by multiget (GET too for a
    /// collection of unknown kind); finishes when there is nothing to ask.
    fn request_round(&mut self, get: Vec<(String, String)>, multi: Vec<(String, String)>) {
        self.round += 1;
        if get.is_empty() && multi.is_empty() {
            self.finish();
            return;
        }
        let (get, multi) = if self.kind == CollectionKind::Other {
            // Unknown collection type: no multiget REPORT to rely on, GET each member.
            (get.into_iter().chain(multi).collect(), Vec::new())
        } else {
            (get, multi)
        };
        let number = self.ask_number();
        for (key, _) in &get {
            self.mark_asked(key, number);
        }
        for (key, h) in get {
            match href::parse_url(&h) {
                Ok(u) => {
                    self.pending_fetches += 1;
                    self.m.x.send(Tag::Get(key), get_object_spec(u));
                }
                Err(e) => {
                    self.undelivered(
                        &key,
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
                .seen
                .get(&member.0)
                .and_then(|(_, _, _, size, _)| *size)
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

    /// A new number for a fetch request (see `Sync::seen`): above every page number.
    fn ask_number(&mut self) -> usize {
        self.asks += 1;
        self.pages + self.asks
    }

    /// Records that request `number` asks for the member `key`.
    fn mark_asked(&mut self, key: &str, number: usize) {
        if let Some((_, _, n, ..)) = self.seen.get_mut(key) {
            *n = number;
        }
    }

    /// The members (normalised href, href) request `number` asks for, in key order; at most
    /// `max` of them.
    pub(super) fn asked_by(&self, number: usize, max: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, (h, _, n, ..)) in self.seen.iter() {
            if out.len() == max {
                break;
            }
            if *n == number {
                out.push((k.clone(), href_of(k, h).to_owned()));
            }
        }
        out
    }

    /// Sends one multiget; its members are marked with its number (no set of its keys is
    /// kept beside the listing).
    fn send_multiget(&mut self, chunk: Vec<(String, String)>) {
        self.pending_fetches += 1;
        let number = self.ask_number();
        let mut hrefs = Vec::with_capacity(chunk.len());
        for (key, h) in chunk {
            self.mark_asked(&key, number);
            hrefs.push(h);
        }
        let spec = multiget_spec(&self.collection, self.kind, &hrefs);
        self.m.x.send(Tag::Fetch(number), spec);
    }

    /// A multiget whose answer was over the body limit is asked again in two halves (sizes
    /// the server did not report can make a batch too large); a single member over the limit
    /// fails the sync with the limit error.
    pub(super) fn split_multiget(&mut self, number: usize) {
        let mut members = self.asked_by(number, usize::MAX);
        let second = members.split_off(members.len() / 2);
        self.pending_fetches = self.pending_fetches.saturating_sub(1);
        self.send_multiget(members);
        self.send_multiget(second);
    }

    pub(super) fn on_get(&mut self, key: String, reply: Reply) -> Result<()> {
        let status = reply.response.status;
        if status == 200 {
            // What a GET answers 200 is delivered only when it is an object: a captive portal's
            // or a login proxy's page, delivered with the ETag the collection listed, would
            // stand for the member until it next changed. Anything else is a problem, and the
            // member stays owed.
            let data = match String::from_utf8(reply.response.body.clone()) {
                Ok(data) if is_object_text(&data) => data,
                Ok(_) | Err(_) => {
                    self.undelivered(
                        &key,
                        (ErrorKind::Protocol, Some(status), NOT_AN_OBJECT.to_owned()),
                    );
                    return Ok(());
                }
            };
            // The member keeps the href the collection names it by, not the URL a redirect
            // of its GET led to: the collection's later reports (a deletion above all) name it
            // by that href, and the state must find it there.
            let url = match self.seen.get(&key) {
                Some((h, ..)) => href_of(&key, h).to_owned(),
                None => reply.url.to_string(),
            };
            self.deliver(
                key,
                DavObject {
                    url,
                    etag: object_etag(&reply.response),
                    data: Some(data),
                    json: None,
                },
            );
        } else if matches!(status, 404 | 410) {
            if !self.listed_present(&key) {
                self.gone(&key);
                return Ok(());
            }
            // Against the listing that named the member: a replica that has not caught up
            // with a member created since answers so (iCloud and Google are eventually
            // consistent), to a multiget and to a GET alike. Read as a deletion, it would have
            // the app drop a member the server has, and the new token is past the listing, so
            // the server would not report it again until it changes. It stays owed: a member
            // deleted after the listing is in the next sync's report as deleted (or missing
            // from its listing), and one that is there is fetched.
            self.undelivered(
                &key,
                (
                    ErrorKind::NotFound,
                    Some(status),
                    format!("GET answered {status} for a member the listing names"),
                ),
            );
        } else {
            self.undelivered(
                &key,
                (
                    Error::from_response(reply.url.as_str(), &reply.response).kind(),
                    Some(status),
                    format!("GET answered {status}"),
                ),
            );
        }
        Ok(())
    }

    /// Whether a listing names member `key` as present: this sync's (a row that is no 404, with
    /// an ETag or not), or one whose ETag the state carries for it (`SyncState::listed`: a
    /// batch left it for later, a fetch failed), unless a fetch since was answered 404
    /// (`GONE_ONCE`). A fetch's 404 for it is then no deletion yet: a member deleted since the
    /// listing is in the next sync's report (or missing from its listing), and a replica
    /// behind answers 404 for a member created since. The member stays owed, marked, and its
    /// next 404 is its deletion. So for a member owed with no ETag to match (the app's own
    /// write recorded without one: a replica behind that write answers 404 just the same;
    /// simulation seed 54,455,384).
    fn listed_present(&self, key: &str) -> bool {
        self.seen.get(key).is_some_and(|(_, seen, ..)| match seen {
            Seen::Changed(_) => true,
            Seen::Owed(check) => check.as_deref() != Some(GONE_ONCE),
            Seen::Deleted | Seen::Unlisted => false,
        })
    }

    /// One response of a multiget answer: its data moved into its object (so the answer is
    /// never also held as a parsed tree), a 404/410 gone, or why it was not delivered. A row
    /// for an href this request did not ask for, or a repeated row, is ignored. A body that
    /// turns out malformed after some rows fails the sync (or, past the body limit, has the
    /// request split), so what those rows delivered is asked again or goes nowhere.
    pub(super) fn fetch_row(&mut self, number: usize, mut r: Response) {
        let key = href::normalize(&r.href);
        let asked_here = self.seen.get(&key).is_some_and(|(_, _, n, _, got)| {
            *n == number && got.as_ref().is_none_or(|g| g.delivered.is_none())
        });
        if !asked_here {
            // Not asked for in this request, or a duplicate row: ignored.
            return;
        }
        let status = r.effective_status();
        if let Some(s @ (404 | 410)) = r.status {
            // Not a deletion yet: it contradicts the listing that named the member (one
            // deleted between the two, or a proxy or server that misreads the href in a
            // multiget), and read as one, a wrong row would have the app delete a member the
            // server still has, and not hear of it again until it changes. The next round asks
            // by GET, which serves it if the row was wrong; a 404 there is no deletion of a
            // listed member either (`listed_present`).
            let why = "the multiget row answered 404 or 410".to_owned();
            self.undelivered(&key, (ErrorKind::NotFound, Some(s), why));
            return;
        }
        let data = take_data(&mut r);
        // The data is the member's only with the ETag it was read under: without it (a
        // `getetag` the row lacks or left empty) the listing's ETag would stand for data that
        // may be newer than it, and a member fetched because it was pending would be stored
        // with none, so the next round asks by GET, whose answer carries both.
        let etag = r.prop_text(&names::GETETAG);
        match (data, etag) {
            (Some(data), Some(etag)) if status == 200 => {
                self.deliver(
                    key,
                    DavObject {
                        url: r.href,
                        etag: Some(etag),
                        data: Some(data),
                        json: None,
                    },
                );
            }
            (Some(_), None) if status == 200 => {
                let why = "the multiget row has data but no ETag".to_owned();
                self.undelivered(&key, (ErrorKind::Protocol, None, why));
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
                self.undelivered(
                    &key,
                    (
                        kind,
                        shown,
                        match shown {
                            Some(s) => format!("the multiget row answered {s}"),
                            None => "the multiget row has no data, or data that is not an \
                                     iCalendar or vCard object"
                                .to_owned(),
                        },
                    ),
                );
            }
        }
    }

    /// What the fetches got for member `key`, when it is in the listing (what they get for
    /// another is never looked at).
    fn got(&mut self, key: &str) -> Option<&mut Got> {
        let (.., got) = self.seen.get_mut(key)?;
        Some(got.get_or_insert_with(Default::default))
    }

    fn deliver(&mut self, key: String, obj: DavObject) {
        if let Some(got) = self.got(&key) {
            got.undelivered = None;
            got.gone = false;
            got.delivered = Some(obj);
        }
    }

    fn gone(&mut self, key: &str) {
        if let Some(got) = self.got(key) {
            got.gone = true;
        }
    }

    fn undelivered(&mut self, key: &str, why: (ErrorKind, Option<u16>, String)) {
        if let Some(got) = self.got(key) {
            got.undelivered = Some(why);
        }
    }

    /// After every answer of a round: ask once more for what is still owed, then finish.
    pub(super) fn end_round(&mut self) {
        // Asked for in this sync: numbered above the pages (see `Sync::seen`).
        let mut owed = Vec::new();
        for (k, (h, _, n, _, got)) in self.seen.iter() {
            if *n > self.pages
                && !got
                    .as_ref()
                    .is_some_and(|g| g.delivered.is_some() || g.gone)
            {
                owed.push((k.clone(), href_of(k, h).to_owned()));
            }
        }
        if owed.is_empty() || self.round >= FETCH_ROUNDS {
            self.finish();
            return;
        }
        // The second round asks again by GET (some servers cannot serve a member through
        // multiget: Xandikos answers a 404 calendar-data for a member it stores without a
        // calendar media type, but serves it by GET; a 404 row is confirmed by GET). In a
        // batch, as many members as failed are taken from those left for later, so members
        // that keep failing cannot use up every batch and the batches always move on.
        let mut backfill = Vec::new();
        while backfill.len() < owed.len() {
            let Some(h) = self.deferred.pop() else {
                break;
            };
            let key = href::normalize(&h);
            // Asked for as a pending member of a later batch is: by href, with the ETag the
            // listing named.
            let listed = self.listed.remove(&h);
            self.seen.insert(
                key.clone(),
                (
                    compact_href(&key, h.clone()),
                    Seen::Owed(listed),
                    0,
                    None,
                    None,
                ),
            );
            backfill.push((key, h));
        }
        // All by GET: a member first asked for now has no round left for a GET to confirm a
        // multiget's 404.
        owed.extend(backfill);
        self.request_round(owed, Vec::new());
    }
}

/// Whether a fetch or the sync report's own row delivered the member.
fn delivered(got: &Option<Box<Got>>) -> bool {
    got.as_ref().is_some_and(|g| g.delivered.is_some())
}

/// Whether a property is a member's data: `calendar-data` or `address-data`.
fn is_data(e: &crate::xml::Element) -> bool {
    e.name == names::CALENDAR_DATA || e.name == names::ADDRESS_DATA
}

/// Whether a row answers its `calendar-data` or `address-data` with a failed status (a
/// propstat other than 2xx naming it).
pub(super) fn data_failed(r: &Response) -> bool {
    r.propstats
        .iter()
        .filter(|p| !(200..300).contains(&p.status))
        .flat_map(|p| p.props.iter())
        .any(is_data)
}
