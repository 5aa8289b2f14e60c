//! The typed results operations return: collections, objects, discovery, sync state and changes.
//!
//! Everything here is plain, serialisable data so that bindings can pass it on unchanged.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::json_read;
use crate::rfc4918::multistatus::Response;
use crate::string_map::StringMap;
use crate::string_set::StringSet;
use crate::xml::{CALDAV, CARDDAV, DAV, Element, names};

/// What a collection holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CollectionKind {
    /// A CalDAV calendar (RFC 4791).
    Calendar,
    /// A CardDAV address book (RFC 6352).
    AddressBook,
    /// Any other collection (a home set, a scheduling inbox, ...).
    Other,
}

/// A calendar, an address book or another collection, with its properties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Collection {
    /// The absolute URL.
    pub url: String,
    /// What it holds.
    pub kind: CollectionKind,
    /// `DAV:displayname`
    pub display_name: Option<String>,
    /// `CALDAV:calendar-description` or `CARDDAV:addressbook-description`
    pub description: Option<String>,
    /// Apple's `calendar-color` (`#RRGGBB` or `#RRGGBBAA`)
    pub color: Option<String>,
    /// `CS:getctag`: changes whenever anything in the collection changes. Read by
    /// `list_collections` and `get_collection`; `None` from discovery, which does not ask it.
    pub ctag: Option<String>,
    /// `DAV:sync-token` (RFC 6578), opaque. Read by `list_collections` and `get_collection`
    /// (and every sync); `None` from discovery, which does not ask it.
    pub sync_token: Option<String>,
    /// `CALDAV:supported-calendar-component-set` (e.g. `VEVENT`, `VTODO`); empty when the
    /// server did not say (which means all).
    pub components: Vec<String>,
    /// The user's privileges from `DAV:current-user-privilege-set` (e.g. `read`, `write`).
    pub privileges: Vec<String>,
    /// Every resource type, as `{namespace}name`.
    pub resource_types: Vec<String>,
    /// The RFC 5995 `DAV:add-member` URL, when the collection accepts POST to create members.
    pub add_member_url: Option<String>,
    /// Whether `DAV:supported-report-set` lists sync-collection; `None` when not reported.
    pub supports_sync_collection: Option<bool>,
}

impl Collection {
    /// Reads a collection from a PROPFIND response.
    pub fn from_response(response: &Response) -> Collection {
        // Loops, not adapter chains collected (each its own `Vec` code in the wasm modules).
        let mut resource_types = Vec::new();
        if let Some(e) = response.prop(&names::RESOURCETYPE) {
            for t in e.elements() {
                resource_types.push(t.name.to_string());
            }
        }
        let kind = match response.prop(&names::RESOURCETYPE) {
            Some(rt) if rt.child(CALDAV, "calendar").is_some() => CollectionKind::Calendar,
            Some(rt) if rt.child(CARDDAV, "addressbook").is_some() => CollectionKind::AddressBook,
            _ => CollectionKind::Other,
        };
        let description = response
            .prop_text(&names::CALENDAR_DESCRIPTION)
            .or_else(|| response.prop_text(&names::ADDRESSBOOK_DESCRIPTION));
        let mut components = Vec::new();
        if let Some(set) = response.prop(&names::SUPPORTED_CALENDAR_COMPONENT_SET) {
            for c in set.elements() {
                if c.name.is(CALDAV, "comp")
                    && let Some(name) = c.attribute("name")
                {
                    components.push(name.to_ascii_uppercase());
                }
            }
        }
        let privileges = response
            .prop(&names::CURRENT_USER_PRIVILEGE_SET)
            .map(privilege_names)
            .unwrap_or_default();
        let add_member_url = response
            .prop(&names::ADD_MEMBER)
            .and_then(|e| e.hrefs().into_iter().next())
            .and_then(|h| {
                crate::url::Url::parse(&response.href)
                    .ok()
                    .and_then(|base| crate::href::resolve(&base, &h).ok())
            })
            .map(|u| u.to_string());
        let supports_sync_collection = response.prop(&names::SUPPORTED_REPORT_SET).map(|set| {
            set.elements().any(|sr| {
                sr.elements()
                    .filter(|r| r.name.is(DAV, "report"))
                    .any(|r| r.child(DAV, "sync-collection").is_some())
            })
        });
        Collection {
            url: response.href.clone(),
            kind,
            display_name: response.prop_text(&names::DISPLAYNAME),
            description,
            color: response.prop_text(&names::CALENDAR_COLOR),
            ctag: response.prop_text(&names::GETCTAG),
            sync_token: response.prop_text(&names::SYNC_TOKEN),
            components,
            privileges,
            resource_types,
            add_member_url,
            supports_sync_collection,
        }
    }

    /// Whether the collection can hold this component (`VEVENT`, `VTODO`, ...).
    pub fn supports_component(&self, component: &str) -> bool {
        self.components.is_empty()
            || self
                .components
                .iter()
                .any(|c| c.eq_ignore_ascii_case(component))
    }
}

fn privilege_names(set: &Element) -> Vec<String> {
    let mut out = Vec::new();
    for privilege in set.elements().filter(|e| e.name.is(DAV, "privilege")) {
        for p in privilege.elements() {
            out.push(p.name.local.to_string());
        }
    }
    out
}

/// Where an account's data lives, as found by discovery.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Discovery {
    /// The principal URL (RFC 5397), when the server has one.
    pub principal: Option<String>,
    /// `CALDAV:calendar-home-set` URLs.
    pub calendar_home_sets: Vec<String>,
    /// `CARDDAV:addressbook-home-set` URLs.
    pub addressbook_home_sets: Vec<String>,
    /// The calendars and address books found in the home sets, without `ctag` and
    /// `sync_token`: discovery does not ask them (servers compute them from every member);
    /// [`Session::list_collections`](crate::Session::list_collections) reads them.
    pub collections: Vec<Collection>,
    /// What the principal says about scheduling (RFC 6638): its calendar-user addresses,
    /// scheduling inbox and outbox, default calendar, and whether the server schedules.
    /// Empty when discovery looked for calendars only on a server that said nothing, or
    /// for address books only. Absent in JSON stored by older versions.
    #[serde(default)]
    pub scheduling: crate::rfc6638::Scheduling,
}

impl Discovery {
    /// The calendars.
    pub fn calendars(&self) -> impl Iterator<Item = &Collection> {
        self.collections
            .iter()
            .filter(|c| c.kind == CollectionKind::Calendar)
    }

    /// The address books.
    pub fn address_books(&self) -> impl Iterator<Item = &Collection> {
        self.collections
            .iter()
            .filter(|c| c.kind == CollectionKind::AddressBook)
    }
}

/// A calendar object or vCard resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct DavObject {
    /// The absolute URL.
    pub url: String,
    /// The ETag, verbatim (quotes included), when the server gave one.
    pub etag: Option<String>,
    /// The iCalendar or vCard text, when it was fetched.
    pub data: Option<String>,
    /// The original JSON, for objects that came from the Google Calendar API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub json: Option<String>,
}

/// What a write left on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct WriteResult {
    /// The resource's URL (from `Location` after a POST).
    pub url: String,
    /// The new ETag, when the server returned one. Servers that rewrite the data (Google) may
    /// return none or a weak one; their profile reads the object back, see `data`.
    pub etag: Option<String>,
    /// The object as the server stored it, when the profile reads it back after writing
    /// (servers that rewrite what they store).
    #[serde(default)]
    pub data: Option<String>,
    /// A create found something already at that URL and replaced it: the server ignored
    /// `If-None-Match: *` and answered 200 or 204 instead of 201. Never set for a clean create.
    #[serde(default)]
    pub replaced: bool,
}

/// The hrefs among `hrefs` whose normalised form is `key`, copied out so that the caller can
/// drop them from the map it is iterating.
fn hrefs_matching<'a>(hrefs: impl Iterator<Item = &'a String>, key: &str) -> Vec<String> {
    // A loop, not `filter` and `collect`: an adapter chain is its own copy of iteration code
    // in the WebAssembly module.
    let mut out = Vec::new();
    for k in hrefs {
        if crate::href::normalize(k) == key {
            out.push(k.clone());
        }
    }
    out
}

/// Drops the entries of `map` under every href whose normalised form is `key`; the value of
/// the last one dropped.
fn forget(map: &mut StringMap, key: &str) -> Option<String> {
    let mut dropped = None;
    for href in hrefs_matching(map.keys(), key) {
        dropped = map.remove(&href);
    }
    dropped
}

/// A write or deletion the app made, for [`SyncState::record_all`].
#[derive(Clone, Copy)]
pub(crate) enum Recorded<'a> {
    /// A write to a URL, with the ETag it answered (none: the member is pending).
    Write(&'a str, Option<&'a str>),
    /// A deletion of a URL.
    Delete(&'a str),
    /// A version read from the server outside a sync, at a URL with its ETag (none: the member
    /// is pending): known at that ETag and pending with it as the check
    /// ([`SyncState::record_read`]).
    Read(&'a str, Option<&'a str>),
}

impl Recorded<'_> {
    fn url(&self) -> &str {
        match self {
            Recorded::Write(url, _) | Recorded::Read(url, _) | Recorded::Delete(url) => url,
        }
    }
}

/// The per-collection state a sync starts from and returns; store it as JSON between syncs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The collection's URL.
    pub collection_url: String,
    /// The RFC 6578 token of the last complete sync.
    #[serde(default)]
    pub sync_token: Option<String>,
    /// The ctag of the last complete sync.
    #[serde(default)]
    pub ctag: Option<String>,
    /// Every member delivered so far, href to ETag.
    #[serde(default)]
    pub etags: StringMap,
    /// Members still owed to the app: the server listed them as changed but the sync could not
    /// deliver them (an error row, a row left out), or the app could not apply them
    /// ([`SyncState::mark_pending`]). The next sync fetches each of them whatever the server
    /// reports, so a state that moved past their token loses nothing.
    #[serde(default, skip_serializing_if = "StringSet::is_empty")]
    pub pending: StringSet,
    /// For members of `pending` (by their href there), the ETag the next answer must be at:
    /// the one the listing named for a member a batched sync left for a later batch, or that
    /// the app held for one it handed back ([`SyncState::mark_pending`]), or the one of an
    /// answer to a member owed without one, or of an answer that came under another ETag than
    /// its listing's (a replica that has not caught
    /// up answers an older version; a change made since, a newer one; empty for a member
    /// listed without an ETag). An answer at another ETag is delivered and kept pending once
    /// more, with its own ETag to match: two answers that agree settle a member, so an older
    /// version never stands for the one the listing named. `404` (no ETag: those are quoted)
    /// marks a member a listing named whose fetch was answered 404 or 410: a replica behind
    /// answers so for a member created since, so that is no deletion yet, and the next 404 is.
    /// For a member not pending, an entry equal to its ETag in `etags` marks a version the app
    /// wrote itself ([`SyncState::record_write`]): a sync page's data at another ETag is not
    /// taken for it alone (nor for a pending member, unless the page's ETag is its check); the
    /// member is fetched. A sync rebuilds it whole.
    #[serde(default, skip_serializing_if = "StringMap::is_empty")]
    pub listed: StringMap,
    /// A batched sync ([`Session::sync_batch`](crate::Session::sync_batch)) stopped here with
    /// members of its listing left in `pending` (the `more` of the result that returned this
    /// state). The next batch fetches them without asking the server for changes again: the
    /// token (or ctag) already accounts for them, and changes made since are reported by the
    /// first sync after the last batch. A one-shot sync ignores it. A batch loop goes on while
    /// the state it passes next has it: it is the result's [`SyncResult::more`], cleared by
    /// [`SyncState::mark_pending`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

impl SyncState {
    /// A fresh state for a collection (the first sync fetches everything).
    pub fn new(collection_url: impl Into<String>) -> Self {
        SyncState {
            collection_url: collection_url.into(),
            ..SyncState::default()
        }
    }

    /// The state to sync `collection_url` from: the stored JSON when there is one (refused when
    /// it belongs to another collection, so one collection's ETags never stand for another's),
    /// else a fresh state.
    pub fn resume(collection_url: &str, stored_json: Option<&str>) -> Result<Self> {
        let Some(json) = stored_json.filter(|j| !j.trim().is_empty()) else {
            return Ok(SyncState::new(collection_url));
        };
        let state = SyncState::from_json(json)?;
        state.check_collection(collection_url)?;
        Ok(state)
    }

    /// Refuses a state of another collection (an empty `collection_url`, a state never synced,
    /// belongs to any): one collection's ETags never stand for another's. [`SyncState::resume`]
    /// checks this; a binding that receives the state as an object (not the JSON text) calls it
    /// itself.
    pub fn check_collection(&self, collection_url: &str) -> Result<()> {
        if self.collection_url.is_empty()
            || crate::href::same_resource(&self.collection_url, collection_url)
        {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "this sync state belongs to {}, not to {}",
                crate::redact::url_for_display(&self.collection_url),
                crate::redact::url_for_display(collection_url)
            ),
        ))
    }

    /// Drops the ETags of every stored href whose normalised form is `key`; the last one
    /// dropped.
    fn forget_etags(&mut self, key: &str) -> Option<String> {
        forget(&mut self.etags, key)
    }

    /// Marks a member as not applied by the app (a file it could not write, a row it could not
    /// store): the next sync fetches it again and reports what the server has then, as an
    /// addition or a deletion. Call it on the state a sync returned, before storing it. The
    /// version the state held is what the next answer must be at; for the app's own write,
    /// call [`SyncState::record_write`] instead (without an ETag when the write returned
    /// none), since the version before the write is no answer to wait for.
    ///
    /// It also ends a batched run ([`SyncState::more`] becomes false): a member the app cannot
    /// store now (a full disk) would otherwise be fetched and handed back batch after batch.
    /// The next sync asks the server for changes again and fetches every pending member, so
    /// nothing is lost.
    pub fn mark_pending(&mut self, href: &str) {
        let key = crate::href::normalize(href);
        // The version delivered is what the next answer must be at (see `listed`): a replica
        // behind would otherwise hand back an older one, taken as it came.
        if let Some(etag) = self.forget_etags(&key)
            && self.listed.get(href).is_none()
        {
            self.listed.insert(href.to_owned(), etag);
        }
        self.pending.insert(href.to_owned());
        self.more = false;
    }

    /// Records a write the app made itself, so the next sync does not report it back as a
    /// change: with an ETag the member is known at that version; without one (a server that
    /// gave none) it is marked pending, so the next sync fetches the server's version. Later
    /// changes of the member come under the write's URL as recorded, whatever spelling the
    /// server lists it by (`%40` for `@`, `(` for `%28`): a member the state knows keeps the
    /// state's spelling. The ETag written is also the member's `listed` mark until the next
    /// sync: a sync page that names the member at another ETag with its data is then one
    /// answer (a replica that has not caught up with the write names the version before), so
    /// the member is fetched and checked against the page's ETag rather than taken from it.
    pub fn record_write(&mut self, result: &WriteResult) {
        self.record_one(&Recorded::Write(&result.url, result.etag.as_deref()));
    }

    /// Records a deletion the app made itself: the member is no longer in the state, and the
    /// next sync does not report it.
    pub fn record_delete(&mut self, url: &str) {
        self.record_one(&Recorded::Delete(url));
    }

    /// Records a version the app read itself, outside a sync (a GET; a write queue's outcome
    /// whose version came from a read: a write found already applied, the server's version a
    /// conflict or [`Policy::ServerWins`](crate::Policy::ServerWins) kept). The member is
    /// known at that ETag and stays pending with it as the check (`listed`): the next sync
    /// fetches it again, delivers nothing when the server still holds that version, and
    /// delivers what it holds otherwise. A replica behind the server (iCloud and Google are
    /// eventually consistent) may have answered that read with an older version; recorded as
    /// a write, it would stand for good once the state's token is past the newer one. Without
    /// an ETag the member is pending, as for [`SyncState::record_write`].
    pub fn record_read(&mut self, url: &str, etag: Option<&str>) {
        self.record_one(&Recorded::Read(url, etag));
    }

    /// One record, as [`SyncState::record_all`] takes each: every stored spelling of the
    /// member's URL goes, then a write's URL comes back (with its ETag, else pending). Apart
    /// from `record_all` so that the WebAssembly modules without the write queue, which records
    /// a flush's outcomes all at once, link only this.
    fn record_one(&mut self, record: &Recorded<'_>) {
        let key = crate::href::normalize(record.url());
        self.forget_etags(&key);
        // (`retain` leaves a set that keeps every string as it is, untouched.)
        self.pending.retain(|h| crate::href::normalize(h) != key);
        // A check left from before (a read's, a write's) is not this record's.
        forget(&mut self.listed, &key);
        match *record {
            Recorded::Write(url, Some(etag)) => {
                self.etags.insert(url.to_owned(), etag.to_owned());
                self.listed.insert(url.to_owned(), etag.to_owned());
            }
            Recorded::Read(url, Some(etag)) => {
                self.etags.insert(url.to_owned(), etag.to_owned());
                self.listed.insert(url.to_owned(), etag.to_owned());
                self.pending.insert(url.to_owned());
            }
            Recorded::Write(url, None) | Recorded::Read(url, None) => {
                self.pending.insert(url.to_owned());
            }
            Recorded::Delete(_) => {}
        }
    }

    /// Records the app's writes and deletions in order, each as [`SyncState::record_write`] or
    /// [`SyncState::record_delete`] does: every spelling of the member's URL the state holds
    /// goes, then a write's URL comes back with its ETag (or pending without one). Each stored
    /// href is normalised once for all of them (once per record, a flush of 2,000 outcomes into
    /// a state of 40,000 members took 12 s).
    pub(crate) fn record_all(&mut self, records: &[Recorded<'_>]) {
        let mut keys = StringSet::new();
        for r in records {
            keys.insert(crate::href::normalize(r.url()));
        }
        // The stored spellings of those members with their keys, of ETags and of checks (a
        // check left from before, a read's or a write's, is not these records').
        let mut spellings: Vec<(String, String)> = Vec::new();
        for map in [&self.etags, &self.listed] {
            for h in map.keys() {
                let k = crate::href::normalize(h);
                if keys.contains(&k) {
                    spellings.push((k, h.clone()));
                }
            }
        }
        // Every pending spelling of them goes, in one pass (`retain`: taking them out one by
        // one would link the B-tree's removal code into the WebAssembly modules); a write
        // without an ETag puts its URL back below, unless a later record of the member takes
        // it out again.
        self.pending
            .retain(|h| !keys.contains(&crate::href::normalize(h)));
        let mut pending: Vec<(String, String)> = Vec::new();
        for r in records {
            let key = crate::href::normalize(r.url());
            for (k, h) in &spellings {
                if *k == key {
                    self.etags.remove(h);
                    self.listed.remove(h);
                }
            }
            pending.retain(|(k, _)| *k != key);
            match *r {
                Recorded::Write(url, Some(etag)) => {
                    self.etags.insert(url.to_owned(), etag.to_owned());
                    self.listed.insert(url.to_owned(), etag.to_owned());
                    spellings.push((key, url.to_owned()));
                }
                Recorded::Read(url, Some(etag)) => {
                    self.etags.insert(url.to_owned(), etag.to_owned());
                    self.listed.insert(url.to_owned(), etag.to_owned());
                    spellings.push((key.clone(), url.to_owned()));
                    pending.push((key, url.to_owned()));
                }
                Recorded::Write(url, None) | Recorded::Read(url, None) => {
                    pending.push((key, url.to_owned()));
                }
                Recorded::Delete(_) => {}
            }
        }
        for (_, url) in pending {
            self.pending.insert(url);
        }
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        // Plain strings and maps: writing cannot fail. The text is serde_json's (`json_write`).
        crate::json_write::to_text(self, crate::json_write::Keys::Kept).unwrap_or_default()
    }

    /// Reads a state from JSON (as [`SyncState::to_json`] writes it, this version or an
    /// older one, or with the two-word fields named as the npm package's state object names
    /// them: `collectionUrl`, `syncToken`, the text `JSON.stringify` makes of that object);
    /// anything else is [`ErrorKind::InvalidInput`], naming the field.
    pub fn from_json(json: &str) -> Result<Self> {
        // Read by hand from a JSON value, not through the derived `Deserialize`: see
        // `json_read` (it keeps float printing out of the npm module).
        SyncState::from_value(&json_read::parse(json, "sync state")?)
    }

    /// A state from its parsed JSON, read as [`SyncState::from_json`] reads the text: the
    /// wasm binding reads the object an app passes this way, so one reader says what a state
    /// accepts.
    #[doc(hidden)]
    pub fn from_value(value: &json_read::Json) -> Result<Self> {
        SyncState::read(value).map_err(|m| json_read::invalid("sync state", &m))
    }

    fn read(v: &json_read::Json) -> json_read::Read<Self> {
        let f = json_read::Fields::of("", v, "a sync state object")?;
        // The core's name, or the npm package's when only that one is there.
        let name = |core: &'static str, js: &'static str| {
            if f.get(core).is_none() && f.get(js).is_some() {
                js
            } else {
                core
            }
        };
        Ok(SyncState {
            collection_url: f.string(name("collection_url", "collectionUrl"))?,
            sync_token: f.opt_string(name("sync_token", "syncToken"))?,
            ctag: f.opt_string("ctag")?,
            etags: f.string_map("etags")?,
            pending: f.string_set("pending")?,
            listed: f.string_map("listed")?,
            more: f.flag("more")?,
        })
    }
}

/// One change found by a sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Change {
    /// A member that was not in the state before.
    Added(DavObject),
    /// A member whose ETag changed.
    Changed(DavObject),
    /// A member that is gone.
    Deleted {
        /// Its URL.
        url: String,
    },
}

impl Change {
    /// The URL the change is about.
    pub fn url(&self) -> &str {
        match self {
            Change::Added(o) | Change::Changed(o) => &o.url,
            Change::Deleted { url } => url,
        }
    }
}

/// How a sync found its changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncMethod {
    /// RFC 6578 sync-collection with a token.
    SyncCollection,
    /// The ctag had not changed, so nothing was listed.
    CtagUnchanged,
    /// A full listing of ETags compared with the state.
    EtagListing,
}

/// The outcome of a sync: the changes and the state to store for next time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResult {
    /// Every change since the state given, each with its data for additions and changes.
    pub changes: Vec<Change>,
    /// The state to pass to the next sync (store it only after applying `changes`).
    pub state: SyncState,
    /// How the changes were found.
    pub method: SyncMethod,
    /// The server rejected the stored token and the changes come from a full listing.
    pub token_was_reset: bool,
    /// Members the server listed as changed that this sync could not deliver (an error row or
    /// no row in the multiget, asked twice; a Calendar API event that cannot be read). Each is
    /// in `state.pending` where fetching it again can help, and is never reported as deleted.
    #[serde(default)]
    pub problems: Vec<MemberProblem>,
    /// Calling [`Session::sync_batch`](crate::Session::sync_batch) again now, from `state`,
    /// can make progress: this batch left members for the next one (they are in
    /// `state.pending`). Apply the changes, store the state, and sync again from it while
    /// `more` is true; that is the whole loop rule, no binding needs another.
    ///
    /// False when no member is left, and also when the batch made no progress: it delivered no
    /// change and returns the same pending members it took, under the same token and ctag (the
    /// same members failed again). Those stay in `state.pending` and in `problems`, and the
    /// next sync (a later run, after the server has been asked for changes) tries them again.
    /// Always false for a one-shot sync.
    #[serde(default)]
    pub more: bool,
}

/// A member a sync could not deliver, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProblem {
    /// The member's URL.
    pub url: String,
    /// What went wrong, as an error kind (`Http` for an error row, `Protocol` for a missing one).
    pub kind: ErrorKind,
    /// The status the server gave for it, when it gave one.
    pub status: Option<u16>,
    /// A short explanation.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_checks_the_collection() -> Result<()> {
        let fresh = SyncState::resume("https://h/cal/", None)?;
        assert_eq!(fresh.collection_url, "https://h/cal/");
        let mut stored = SyncState::new("https://h/cal");
        stored.sync_token = Some("t1".into());
        let json = stored.to_json();
        assert_eq!(
            SyncState::resume("https://h/cal/", Some(&json))?
                .sync_token
                .as_deref(),
            Some("t1")
        );
        let other = SyncState::resume("https://h/other/", Some(&json));
        assert_eq!(other.err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
        assert!(SyncState::resume("https://h/cal/", Some("{not json")).is_err());
        Ok(())
    }

    /// A state of `https://h/cal/` holding these ETags and pending members.
    fn state_with(etags: &[(&str, &str)], pending: &[&str]) -> SyncState {
        let mut state = SyncState::new("https://h/cal/");
        for (href, etag) in etags {
            state.etags.insert((*href).into(), (*etag).into());
        }
        state
            .pending
            .extend(pending.iter().map(|href| (*href).into()));
        state
    }

    #[test]
    fn a_member_handed_back_ends_a_batched_run() {
        let mut state = state_with(
            &[("https://h/cal/a.ics", "\"1\"")],
            &["https://h/cal/b.ics"],
        );
        state.more = true;
        state.mark_pending("https://h/cal/a.ics");
        assert!(!state.more, "the next sync asks the server again");
        assert!(state.etags.is_empty());
        assert_eq!(
            state.pending.len(),
            2,
            "the member left for the next batch stays owed"
        );
    }

    #[test]
    fn reads_the_npm_packages_field_names_too() -> Result<()> {
        let state = SyncState {
            sync_token: Some("t-1".into()),
            ctag: Some("c".into()),
            ..state_with(
                &[("https://h/cal/a.ics", "\"1\"")],
                &["https://h/cal/b.ics"],
            )
        };
        // What `JSON.stringify` makes of the npm package's state object.
        let js = state
            .to_json()
            .replace("\"collection_url\"", "\"collectionUrl\"")
            .replace("\"sync_token\"", "\"syncToken\"");
        assert!(
            js.contains("collectionUrl") && js.contains("syncToken"),
            "{js}"
        );
        assert_eq!(SyncState::from_json(&js)?, state);
        assert_eq!(SyncState::from_json(&state.to_json())?, state);
        // Neither name: the error names the core's.
        let err = SyncState::from_json(r#"{"etags":{}}"#).unwrap_err();
        assert!(err.to_string().contains("collection_url"), "{err}");
        // Both names: the core's counts.
        let both = r#"{"collection_url":"https://h/cal/","collectionUrl":"https://other/","sync_token":null,"syncToken":"x"}"#;
        let read = SyncState::from_json(both)?;
        assert_eq!(read.collection_url, "https://h/cal/");
        assert_eq!(read.sync_token, None);
        Ok(())
    }

    #[test]
    fn records_the_apps_own_writes() {
        let mut state = SyncState::new("https://h/cal/");
        state.mark_pending("https://h/cal/a.ics");
        state.record_write(&WriteResult {
            url: "https://h/cal/a.ics".into(),
            etag: Some("\"2\"".into()),
            data: None,
            replaced: false,
        });
        assert!(state.pending.is_empty());
        assert_eq!(
            state.etags.get("https://h/cal/a.ics").map(String::as_str),
            Some("\"2\"")
        );
        state.record_write(&WriteResult {
            url: "https://h/cal/b.ics".into(),
            etag: None,
            data: None,
            replaced: false,
        });
        assert!(state.pending.contains("https://h/cal/b.ics"));
        state.record_delete("https://h/cal/a.ics");
        state.record_delete("https://h/cal/b.ics");
        assert!(state.etags.is_empty() && state.pending.is_empty());
    }

    /// A flush's outcomes recorded all at once (`record_all`), and each record on its own
    /// (`record_one`, behind `record_write` and `record_delete`), leave the state each recorded
    /// in turn leaves, by the rule as it reads (every stored spelling of the URL goes, then a write's URL comes
    /// back): writes and deletions of one member under several spellings, in every order.
    #[test]
    fn records_recorded_at_once_leave_the_state_recorded_one_by_one() {
        fn one_by_one(state: &mut SyncState, r: &Recorded<'_>) {
            let key = crate::href::normalize(r.url());
            state.etags.retain(|k, _| crate::href::normalize(k) != key);
            state.pending.retain(|k| crate::href::normalize(k) != key);
            state.listed.retain(|k, _| crate::href::normalize(k) != key);
            match *r {
                Recorded::Write(url, Some(etag)) => {
                    state.etags.insert(url.to_owned(), etag.to_owned());
                    state.listed.insert(url.to_owned(), etag.to_owned());
                }
                Recorded::Read(url, Some(etag)) => {
                    state.etags.insert(url.to_owned(), etag.to_owned());
                    state.listed.insert(url.to_owned(), etag.to_owned());
                    state.pending.insert(url.to_owned());
                }
                Recorded::Write(url, None) | Recorded::Read(url, None) => {
                    state.pending.insert(url.to_owned());
                }
                Recorded::Delete(_) => {}
            }
        }
        let spellings = [
            "https://h/cal/a%40b.ics",
            "https://H/cal/a@b.ics",
            "https://h:443/cal/a@b.ics",
            "https://h/cal/c.ics",
        ];
        let choices: Vec<Recorded<'_>> = spellings
            .iter()
            .flat_map(|u| {
                [
                    Recorded::Write(u, Some("\"9\"")),
                    Recorded::Write(u, None),
                    Recorded::Read(u, Some("\"8\"")),
                    Recorded::Read(u, None),
                    Recorded::Delete(u),
                ]
            })
            .collect();
        // every sequence of three records (20^3), from a state holding two spellings
        let n = choices.len();
        for i in 0..n * n * n {
            let picked = [&choices[i % n], &choices[i / n % n], &choices[i / n / n]];
            let mut start = state_with(
                &[
                    ("https://h/cal/a%40b.ics", "\"1\""),
                    ("https://h/cal/c.ics", "\"3\""),
                ],
                &["https://H/cal/a@b.ics", "https://h/cal/d.ics"],
            );
            // Checks from before: a pending member's, and a write's mark.
            start
                .listed
                .insert("https://H/cal/a@b.ics".into(), "\"0\"".into());
            start
                .listed
                .insert("https://h/cal/c.ics".into(), "\"3\"".into());
            let mut expected = start.clone();
            for r in picked {
                one_by_one(&mut expected, r);
            }
            let mut each = start.clone();
            for r in picked {
                each.record_one(r);
            }
            assert_eq!(
                each, expected,
                "records {i} one by one (record_write, record_read, record_delete)"
            );
            let mut at_once = start;
            at_once.record_all(&picked.map(|r| *r));
            assert_eq!(at_once, expected, "records {i}");
        }
    }

    #[test]
    fn the_apps_own_writes_match_hrefs_as_normalised() {
        let mut state = state_with(
            &[
                ("https://h/cal/a%40b.ics", "\"1\""),
                ("https://h/cal/c.ics", "\"3\""),
            ],
            &["https://H/cal/a@b.ics", "https://h/cal/d.ics"],
        );
        state.record_write(&WriteResult {
            url: "https://h:443/cal/a@b.ics".into(),
            etag: Some("\"2\"".into()),
            data: None,
            replaced: false,
        });
        let etags: Vec<(&str, &str)> = state
            .etags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            etags,
            [
                ("https://h/cal/c.ics", "\"3\""),
                ("https://h:443/cal/a@b.ics", "\"2\"")
            ],
            "the other spelling's ETag is replaced, the unrelated member kept"
        );
        assert_eq!(
            state.pending.iter().collect::<Vec<_>>(),
            ["https://h/cal/d.ics"],
            "the written member is no longer owed, the other one is"
        );
        state.mark_pending("https://h/cal/a%40b.ics");
        assert_eq!(
            state.etags.keys().collect::<Vec<_>>(),
            ["https://h/cal/c.ics"]
        );
        assert_eq!(
            state.pending.iter().collect::<Vec<_>>(),
            ["https://h/cal/a%40b.ics", "https://h/cal/d.ics"]
        );
    }
}
