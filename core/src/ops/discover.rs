//! Discovery: RFC 6764 well-known URIs, RFC 5397 current-user-principal, the RFC 4791 §6.2.1
//! and RFC 6352 §7.1.1 home sets, then the collections in them.
//!
//! The configured URL is asked first; the well-known URI only when a server root fails or
//! names nothing (see [`Discover`] for the requests). Each step is skipped when the server
//! skips it: no principal means the context URL is taken as the home; a URL that already is a
//! calendar or address book (Google Contacts' well-known target) is taken as it is.
//!
//! Collections and home sets are kept unique by their normalised URL ([`href::normalize`]),
//! through a set, so discovery is linear in what the server lists. One discovery asks at most
//! [`Limits::max_home_sets`] home sets (default [`MAX_HOME_SETS`]) and keeps at most [`Limits::max_collections`] collections (default
//! [`MAX_COLLECTIONS`]); a server that lists more gets an [`ErrorKind::LimitExceeded`] error,
//! never a shortened list that looks complete. Nor is a home-set listing that may lack
//! collections (`check_listing`, for [`Session::list_collections`] too): an empty 207, the
//! home's own row failed, a 507, a member row or its `resourcetype` failed; each is an error.
//!
//! [`Limits::max_home_sets`]: crate::Limits::max_home_sets
//! [`Limits::max_collections`]: crate::Limits::max_collections
//!
//! [`href::normalize`]: crate::href::normalize

mod reply;

use reply::too_many_home_sets;
pub(crate) use reply::{check_listing, self_response};

use crate::string_set::StringSet;
use crate::url::Url;

use crate::error::{Error, ErrorKind};
use crate::exchange::{Machine, Spec, impl_operation};
use crate::http::Method;
use crate::model::{Collection, CollectionKind, Discovery};
use crate::rfc4918::{Depth, propfind_body};
use crate::rfc6638;
use crate::session::Session;
use crate::xml::{QName, names};

/// Most home sets one discovery asks for, both services together; each costs one PROPFIND. The default of
/// [`Limits::max_home_sets`](crate::Limits::max_home_sets); more is an
/// [`ErrorKind::LimitExceeded`] error.
pub const MAX_HOME_SETS: usize = 32;

/// Most collections one discovery returns: the default of
/// [`Limits::max_collections`](crate::Limits::max_collections); more is an
/// [`ErrorKind::LimitExceeded`] error.
pub const MAX_COLLECTIONS: usize = 10_000;

/// How long a discovery result is used before discovering again: 14 days. Google's guides
/// say its DAV URLs must not be hard-coded because they can change at any time (server-profiles
/// §2.1 [DOC GCARD]); issue 15 restates Google's advice as re-checking the well-known redirect
/// every 2 to 4 weeks, and this is the short end of that.
pub const REDISCOVER_AFTER_MS: i64 = 14 * 24 * 3600 * 1000;

/// Whether a discovery made at `discovered_at_ms` should be run again at `now_ms` (both
/// milliseconds since the Unix epoch; the core has no clock): after
/// [`REDISCOVER_AFTER_MS`], or when the clock went backwards. Store the time with the
/// discovered collections and check it before a sync; a collection that has moved also shows
/// as a 404 or 301 on sync, which calls for the same.
pub fn needs_rediscovery(discovered_at_ms: i64, now_ms: i64) -> bool {
    now_ms < discovered_at_ms || now_ms.saturating_sub(discovered_at_ms) >= REDISCOVER_AFTER_MS
}

/// Which services to discover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Service {
    /// Calendars only.
    CalDav,
    /// Address books only.
    CardDav,
    /// Both.
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Svc {
    Cal,
    Card,
}

impl Svc {
    /// This service in a set of services ([`Discover::asked`] and the like).
    fn bit(self) -> u8 {
        match self {
            Svc::Cal => 1,
            Svc::Card => 2,
        }
    }

    fn well_known(self) -> &'static str {
        match self {
            Svc::Cal => "/.well-known/caldav",
            Svc::Card => "/.well-known/carddav",
        }
    }

    fn home_set(self) -> QName {
        match self {
            Svc::Cal => names::CALENDAR_HOME_SET,
            Svc::Card => names::ADDRESSBOOK_HOME_SET,
        }
    }

    fn kind(self) -> CollectionKind {
        match self {
            Svc::Cal => CollectionKind::Calendar,
            Svc::Card => CollectionKind::AddressBook,
        }
    }
}

/// The properties of a collection read by [`Session::list_collections`] and
/// [`Session::get_collection`]: [`LISTING_PROPS`] and the two state properties, `getctag` and
/// `sync-token`.
pub(crate) const COLLECTION_PROPS: [QName; 11] = [
    names::RESOURCETYPE,
    names::DISPLAYNAME,
    names::CALENDAR_DESCRIPTION,
    names::ADDRESSBOOK_DESCRIPTION,
    names::CALENDAR_COLOR,
    names::GETCTAG,
    names::SYNC_TOKEN,
    names::SUPPORTED_CALENDAR_COMPONENT_SET,
    names::CURRENT_USER_PRIVILEGE_SET,
    names::SUPPORTED_REPORT_SET,
    names::ADD_MEMBER,
];

/// The properties discovery asks of each collection: [`COLLECTION_PROPS`] without `getctag`
/// and `sync-token`. Radicale computes both from every member of a calendar (about 100 and
/// 150 ms for 1,000 events on loopback, 262 ms together, where the other nine take 11 ms:
/// bench/README.md, "Discovery's home-set PROPFIND"), and DAViCal's DAV root answers 500 to a
/// `sync-token` PROPFIND. A discovered collection has neither (`None`): the first sync reads the token;
/// [`Session::list_collections`] reads every collection's state in one request when an app
/// wants to know which changed.
pub(crate) const LISTING_PROPS: [QName; 9] = [
    names::RESOURCETYPE,
    names::DISPLAYNAME,
    names::CALENDAR_DESCRIPTION,
    names::ADDRESSBOOK_DESCRIPTION,
    names::CALENDAR_COLOR,
    names::SUPPORTED_CALENDAR_COMPONENT_SET,
    names::CURRENT_USER_PRIVILEGE_SET,
    names::SUPPORTED_REPORT_SET,
    names::ADD_MEMBER,
];

/// The principal and both home sets: what step 1 asks before [`LISTING_PROPS`].
const CONTEXT_HEAD: [QName; 3] = [
    names::CURRENT_USER_PRINCIPAL,
    names::CALENDAR_HOME_SET,
    names::ADDRESSBOOK_HOME_SET,
];

/// Step 1: the principal and both home sets (whatever the services, as on the principal),
/// and, since the URL may be a calendar or address book itself, every one of
/// [`LISTING_PROPS`] so that it is read whole at once; and the RFC 6638 scheduling
/// properties, for a configured URL that is the principal. In this order (the request's
/// body, which the vectors check).
fn context_props() -> Vec<QName> {
    [
        &CONTEXT_HEAD[..],
        &LISTING_PROPS,
        &rfc6638::SCHEDULING_PROPS,
    ]
    .concat()
}

#[derive(Debug)]
enum Tag {
    /// The first PROPFIND for one service, or for every service asked (`None`): on the
    /// configured URL, or (`well_known`) on the service's RFC 6764 well-known URI.
    Context { svc: Option<Svc>, well_known: bool },
    /// Step 2 on a principal: with `Depth: 1` and the collection properties
    /// ([`Profile::principal_listing`](crate::profile::Profile::principal_listing)), or the
    /// home sets alone with `Depth: 0`.
    Principal { listing: bool },
    /// Step 3 on a home set, of the services in `services` (bits of [`Svc::bit`]).
    Home { services: u8 },
    /// An OPTIONS on the calendar home set for its `DAV` header
    /// ([`Discover::ask_auto_schedule`]).
    Options,
}

/// The entry of `svc` in `found` (kept in service order), made empty when it is not there.
/// A list: there are at most two services, and a map of them is its own copy of map code in
/// the WebAssembly module.
fn found_entry(found: &mut Vec<(Svc, Found)>, svc: Svc) -> &mut Found {
    let at = match found.binary_search_by(|(s, _)| s.cmp(&svc)) {
        Ok(at) => at,
        Err(at) => {
            found.insert(at, (svc, Found::default()));
            at
        }
    };
    &mut found[at].1
}

#[derive(Default)]
struct Found {
    /// The URL whose answer is taken as the home when no principal or home set turns up.
    context: Option<Url>,
    principal: Option<Url>,
    homes: Vec<Url>,
    /// Whether the context URL was a collection read whole (kept in [`Discover`]'s `read`).
    read: bool,
    /// For a profile whose collections report no `resourcetype`
    /// ([`Profile::bare_collection`](crate::profile::Profile::bare_collection)): the context
    /// URL read as such a collection, kept when it also named a principal or home set (Google
    /// Contacts' documented answer at the well-known target, which is the address book). It
    /// is the result when the home sets list no collection of this service.
    fallback: Option<Collection>,
    /// The home-set property came back failed (a 5xx, a 403: anything but 2xx or 404) in the
    /// last answer that should have named it. The principal is then not taken for the home:
    /// home sets that could not be read are no proof that there are none.
    home_set_failed: Option<Error>,
}

/// The discovery operation; create it with [`Session::discover`].
///
/// Requests, in order, each step only when the one before left something to find:
///
/// 1. PROPFIND (Depth 0) on the configured URL for `current-user-principal`, both home sets
///    and the collection properties, one request for both services: a URL that already is a
///    calendar or address book needs nothing more. The well-known URI (RFC 6764) is asked
///    only when this fails or names nothing useful at a server root (or first, for a profile
///    whose well-known URI leads straight to a collection, [`Profile::bare_collection`]).
/// 2. PROPFIND on the principal for its home sets, unless step 1 gave them or was the
///    principal itself: with `Depth: 1` and the collection properties
///    ([`Profile::principal_listing`], all but the Google and iCloud profiles), so that a
///    principal that is its own home set (Radicale) lists its calendars and address books in
///    the same answer; with `Depth: 0` for those profiles, and again for a server that refuses
///    the `Depth: 1` request or answers it without the principal's own response.
/// 3. PROPFIND (Depth 1) on each home set for the collections in it, but for a home set that
///    step 2 listed already.
///
/// That is 2 requests from Radicale's root (the root names the principal, the principal is its
/// own home set), 3 from Xandikos's root for address books (its principal is no collection,
/// and its home sets are listed apart) and 4 for calendars (the OPTIONS below), 2 from a root
/// or principal that names its home sets (DAViCal's DAV root), and 1 from a collection.
///
/// No step asks a collection's `getctag` or `sync-token`: servers compute them from every
/// member, which made the home-set PROPFIND the slowest request of discovery. The collections
/// found have neither; [`Session::list_collections`] on a home set reads them for every
/// collection in one request.
///
/// For calendars, the PROPFINDs of steps 1 and 2 also ask for the RFC 6638 scheduling
/// properties, and the `DAV` headers of their answers are read for `calendar-auto-schedule`
/// ([`Discovery::scheduling`]). A server that sends that header only to OPTIONS (Cyrus,
/// Xandikos) and has a scheduling inbox or outbox gets one OPTIONS on its calendar home set
/// beside step 3's listing: a request more, which over HTTP/1.1 opens a second connection (a
/// round trip more through a 30 ms link on Xandikos: 171 against 135 ms, bench/README.md,
/// thirteenth run), and shares the connection over HTTP/2.
///
/// [`Profile::bare_collection`]: crate::profile::Profile::bare_collection
/// [`Profile::principal_listing`]: crate::profile::Profile::principal_listing
pub struct Discover {
    m: Machine<Tag, Discovery>,
    found: Vec<(Svc, Found)>,
    pending: usize,
    phase: Phase,
    result: Discovery,
    /// The normalised URLs of `result.collections`.
    seen: StringSet,
    first_error: Option<Error>,
    /// Whether the configured URL is a server root (the only place a well-known URI is tried).
    at_root: bool,
    /// The services asked, the ones whose configured URL was asked and the ones whose
    /// well-known URI was asked ([`Svc::bit`]s).
    asked: u8,
    direct_asked: u8,
    well_known_asked: u8,
    /// The configured URL's failure, reported when the well-known URI does no better.
    direct_error: Option<Error>,
    /// Calendars and address books read whole in step 1.
    read: Vec<Collection>,
    /// The principals answered with `Depth: 1` in step 2, by normalised URL, with their
    /// listing: what step 3 would read again on a principal that is its own home set.
    listings: Vec<(String, Vec<Collection>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Context,
    Principal,
    Homes,
}

impl Session {
    /// Discovers the principal, home sets and collections for the configured account.
    pub fn discover(&self, service: Service) -> Discover {
        let svcs: &[Svc] = match service {
            Service::CalDav => &[Svc::Cal],
            Service::CardDav => &[Svc::Card],
            Service::Both => &[Svc::Cal, Svc::Card],
        };
        let server = self.ctx.server.clone();
        let at_root = server.path() == "/" || server.path().is_empty();
        let mut op = Discover {
            m: Machine::new(self.ctx.clone()),
            found: Vec::new(),
            pending: 0,
            phase: Phase::Context,
            result: Discovery::default(),
            seen: StringSet::new(),
            first_error: None,
            at_root,
            asked: 0,
            direct_asked: 0,
            well_known_asked: 0,
            direct_error: None,
            read: Vec::new(),
            listings: Vec::new(),
        };
        for &svc in svcs {
            *found_entry(&mut op.found, svc) = Found::default();
            op.asked |= svc.bit();
        }
        if at_root && self.ctx.profile.bare_collection.is_some() {
            // Google Contacts: the root is no DAV resource; the well-known URI leads to the
            // address book itself.
            for &svc in svcs {
                op.well_known_request(svc);
            }
        } else {
            op.direct_request(None);
        }
        op
    }
}

impl Discover {
    /// The services a context request for `only` (`None`: every service asked) covers.
    fn mask(&self, only: Option<Svc>) -> u8 {
        match only {
            Some(svc) => svc.bit(),
            None => self.asked,
        }
    }

    /// Step 1 on the configured URL, for `only` (`None`: every service asked).
    fn direct_request(&mut self, only: Option<Svc>) {
        self.direct_asked |= self.mask(only);
        let server = self.m.x.ctx().server.clone();
        self.context_request(only, server, false);
    }

    /// Step 1 on the well-known URI of `svc`; the configured URL when it has none.
    fn well_known_request(&mut self, svc: Svc) {
        self.well_known_asked |= svc.bit();
        let server = self.m.x.ctx().server.clone();
        match server.join(svc.well_known()) {
            Ok(url) => self.context_request(Some(svc), url, true),
            Err(_) => self.direct_request(Some(svc)),
        }
    }

    fn context_request(&mut self, only: Option<Svc>, url: Url, well_known: bool) {
        let tag = Tag::Context {
            svc: only,
            well_known,
        };
        self.propfind(tag, url, Depth::Zero, &context_props());
    }

    fn propfind(&mut self, tag: Tag, url: Url, depth: Depth, props: &[QName]) {
        self.pending += 1;
        let spec = Spec::new(Method::Propfind, url)
            .header("Depth", depth.as_str())
            .xml(propfind_body(props));
        self.m.x.send(tag, spec);
    }

    /// Step 2 on `principal`: its home sets (and the RFC 6638 scheduling properties when
    /// calendars are asked); with `listing`, `Depth: 1` and [`LISTING_PROPS`] too, so that a
    /// principal that is its own home set is listed by the same request.
    fn principal_request(&mut self, principal: Url, listing: bool) {
        let mut props = vec![names::CALENDAR_HOME_SET, names::ADDRESSBOOK_HOME_SET];
        let depth = if listing {
            props.extend(LISTING_PROPS);
            Depth::One
        } else {
            props.push(names::DISPLAYNAME);
            Depth::Zero
        };
        if self.asked & Svc::Cal.bit() != 0 {
            props.extend(rfc6638::SCHEDULING_PROPS);
        }
        self.propfind(Tag::Principal { listing }, principal, depth, &props);
    }

    /// RFC 6638 §2 puts `calendar-auto-schedule` in the `DAV` header of an OPTIONS answer.
    /// Some servers send that header with every answer (DAViCal, Radicale), others only to
    /// OPTIONS (Cyrus, Xandikos). When calendars are asked, the principal has a scheduling
    /// inbox or outbox, and no answer so far carried a `DAV` header, one OPTIONS on the first
    /// calendar home set goes out with step 3, beside its listing (over HTTP/1.1 on a
    /// connection of its own), unless the profile says not to
    /// ([`Profile::scheduling_options`]). Its failure changes nothing but leaves
    /// [`Scheduling::auto_schedule`] unknown.
    ///
    /// [`Profile::scheduling_options`]: crate::profile::Profile::scheduling_options
    /// [`Scheduling::auto_schedule`]: crate::Scheduling::auto_schedule
    fn ask_auto_schedule(&mut self) {
        let s = &self.result.scheduling;
        if self.asked & Svc::Cal.bit() == 0
            || s.auto_schedule.is_some()
            || (s.inbox_url.is_none() && s.outbox_url.is_none())
            || !self.m.x.ctx().profile.scheduling_options
        {
            return;
        }
        let home = self
            .found
            .iter()
            .find(|(svc, _)| *svc == Svc::Cal)
            .and_then(|(_, f)| f.homes.first().cloned());
        if let Some(home) = home {
            self.pending += 1;
            self.m
                .x
                .send(Tag::Options, Spec::new(Method::Options, home));
        }
    }

    /// Whether every service in `services` has a fallback collection (Google Contacts' address
    /// book), which stands when its home set cannot be listed.
    fn has_fallback(&self, services: u8) -> bool {
        services != 0
            && self
                .found
                .iter()
                .filter(|(svc, _)| services & svc.bit() != 0)
                .all(|(_, f)| f.fallback.is_some())
    }

    fn note_error(&mut self, e: Error) {
        if self.first_error.is_none() {
            self.first_error = Some(e);
        }
    }

    fn advance(&mut self) {
        match self.phase {
            Phase::Context => {
                self.phase = Phase::Principal;
                let mut asked: Vec<Url> = Vec::new();
                let mut wanted: Vec<Url> = Vec::new();
                for (_, f) in &self.found {
                    if !f.homes.is_empty() || f.read {
                        continue;
                    }
                    let Some(p) = &f.principal else {
                        continue;
                    };
                    // The context answer already said which home sets the principal has when
                    // it was the principal itself.
                    let asked_there = f
                        .context
                        .as_ref()
                        .is_some_and(|c| crate::href::same_resource(c.as_str(), p.as_str()));
                    if !asked_there {
                        wanted.push(p.clone());
                    }
                }
                for principal in wanted {
                    if asked
                        .iter()
                        .any(|a| crate::href::same_resource(a.as_str(), principal.as_str()))
                    {
                        continue;
                    }
                    asked.push(principal.clone());
                    let listing = self.m.x.ctx().profile.principal_listing;
                    self.principal_request(principal, listing);
                }
                if self.pending == 0 {
                    self.advance();
                }
            }
            Phase::Principal => {
                self.phase = Phase::Homes;
                let mut homes: Vec<Url> = Vec::new();
                let mut home_keys: StringSet = StringSet::new();
                let mut read = false;
                for (_, found) in self.found.iter_mut() {
                    if found.homes.is_empty() && !found.read {
                        if found.fallback.is_none()
                            && let Some(e) = found.home_set_failed.take()
                        {
                            self.m.fail(e);
                            return;
                        }
                        // No home set anywhere: the principal, else the context, is the home.
                        if let Some(fallback) = found.principal.clone().or(found.context.clone()) {
                            found.homes.push(fallback);
                        }
                    }
                }
                let mut home_sets: Vec<(Svc, Url)> = Vec::new();
                for (svc, found) in &self.found {
                    for h in &found.homes {
                        home_sets.push((*svc, h.clone()));
                        if home_keys.insert(crate::href::normalize(h.as_str())) {
                            homes.push(h.clone());
                        }
                    }
                    read |= found.read;
                    if self.result.principal.is_none() {
                        self.result.principal = found.principal.as_ref().map(Url::to_string);
                    }
                }
                let max = self.m.x.ctx().limits.max_home_sets;
                if homes.len() > max {
                    self.m.fail(too_many_home_sets(max));
                    return;
                }
                for (svc, home) in &home_sets {
                    self.result_home(*svc, home);
                }
                self.ask_auto_schedule();
                for h in homes {
                    let key = crate::href::normalize(h.as_str());
                    match self.listings.iter().position(|(k, _)| *k == key) {
                        // The principal is this home set, and its answer listed it already.
                        Some(at) => {
                            let (_, listed) = self.listings.swap_remove(at);
                            for c in listed {
                                if let Err(e) = self.add_collection(c, h.as_str()) {
                                    self.m.fail(e);
                                    return;
                                }
                            }
                        }
                        None => {
                            let mut services = 0;
                            for (svc, home) in &home_sets {
                                if crate::href::normalize(home.as_str()) == key {
                                    services |= svc.bit();
                                }
                            }
                            self.propfind(Tag::Home { services }, h, Depth::One, &LISTING_PROPS);
                        }
                    }
                }
                self.listings.clear();
                if self.pending == 0 {
                    if read || !home_keys.is_empty() {
                        self.advance();
                        return;
                    }
                    let e = self.first_error.take().unwrap_or_else(|| {
                        Error::new(
                            ErrorKind::Protocol,
                            "discovery found neither a principal nor a home set",
                        )
                    });
                    self.m.fail(e);
                }
            }
            Phase::Homes => {
                // Collections read whole in step 1 come after the home listings, as when
                // they were asked on their own; a fallback only when its service found none.
                let mut read = std::mem::take(&mut self.read);
                for (svc, found) in self.found.iter_mut() {
                    let kind = svc.kind();
                    let none = !self.result.collections.iter().any(|c| c.kind == kind)
                        && !read.iter().any(|c| c.kind == kind);
                    if let Some(c) = found.fallback.take()
                        && none
                    {
                        read.push(c);
                    }
                }
                for c in read {
                    let url = c.url.clone();
                    if let Err(e) = self.add_collection(c, &url) {
                        self.m.fail(e);
                        return;
                    }
                }
                let result = std::mem::take(&mut self.result);
                self.m.finish(Ok(result));
            }
        }
    }

    fn result_home(&mut self, svc: Svc, home: &Url) {
        let list = match svc {
            Svc::Cal => &mut self.result.calendar_home_sets,
            Svc::Card => &mut self.result.addressbook_home_sets,
        };
        let s = home.to_string();
        if !list.contains(&s) {
            list.push(s);
        }
    }
}

impl_operation!(Discover, Discovery);
#[cfg(test)]
mod tests;
