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
//! never a shortened list that looks complete.
//!
//! [`Limits::max_home_sets`]: crate::Limits::max_home_sets
//! [`Limits::max_collections`]: crate::Limits::max_collections
//!
//! [`href::normalize`]: crate::href::normalize

use std::collections::{BTreeMap, HashSet};

use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::http::Method;
use crate::model::{Collection, CollectionKind, Discovery};
use crate::rfc4918::multistatus::{self, Response};
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

/// The properties asked for on each collection.
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

/// Step 1: the principal and both home sets (whatever the services, as on the principal),
/// and, since the URL may be a calendar or address book itself, every one of
/// [`COLLECTION_PROPS`] so that it is read whole at once; and the RFC 6638 scheduling
/// properties, for a configured URL that is the principal.
static CONTEXT_PROPS: [QName; 18] = [
    names::CURRENT_USER_PRINCIPAL,
    names::CALENDAR_HOME_SET,
    names::ADDRESSBOOK_HOME_SET,
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
    rfc6638::CALENDAR_USER_ADDRESS_SET,
    rfc6638::SCHEDULE_INBOX_URL,
    rfc6638::SCHEDULE_OUTBOX_URL,
    rfc6638::SCHEDULE_DEFAULT_CALENDAR_URL,
];

#[derive(Debug)]
enum Tag {
    /// The first PROPFIND for one service, or for every service asked (`None`): on the
    /// configured URL, or (`well_known`) on the service's RFC 6764 well-known URI; `lean`:
    /// without `sync-token` (the retry after a 5xx, see [`Discover::on_context`]).
    Context {
        svc: Option<Svc>,
        well_known: bool,
        lean: bool,
    },
    Principal,
    Home,
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
/// 2. PROPFIND (Depth 0) on the principal for its home sets, unless step 1 gave them or was
///    the principal itself.
/// 3. PROPFIND (Depth 1) on each home set for the collections in it.
///
/// That is 3 requests on a server that answers PROPFIND at its root (Radicale, Xandikos), 2
/// from the principal of a server that names its home sets there, and 1 from a collection.
/// A 5xx answer to step 1 is asked once more without `sync-token` (DAViCal's DAV root fails
/// on it; its root names the home sets, so DAViCal takes 3 requests from there as well).
///
/// For calendars, the PROPFINDs of steps 1 and 2 also ask for the RFC 6638 scheduling
/// properties, and the `DAV` headers of their answers are read for `calendar-auto-schedule`
/// ([`Discovery::scheduling`]): no request is added for them.
///
/// [`Profile::bare_collection`]: crate::profile::Profile::bare_collection
pub struct Discover {
    m: Machine<Tag, Discovery>,
    found: BTreeMap<Svc, Found>,
    pending: usize,
    phase: Phase,
    result: Discovery,
    /// The normalised URLs of `result.collections`.
    seen: HashSet<String>,
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
            found: BTreeMap::new(),
            pending: 0,
            phase: Phase::Context,
            result: Discovery::default(),
            seen: HashSet::new(),
            first_error: None,
            at_root,
            asked: 0,
            direct_asked: 0,
            well_known_asked: 0,
            direct_error: None,
            read: Vec::new(),
        };
        for &svc in svcs {
            op.found.insert(svc, Found::default());
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
            lean: false,
        };
        self.propfind(tag, url, Depth::Zero, &CONTEXT_PROPS);
    }

    fn propfind(&mut self, tag: Tag, url: Url, depth: Depth, props: &[QName]) {
        self.pending += 1;
        let spec = Spec::new(Method::Propfind, url)
            .header("Depth", depth.as_str())
            .xml(propfind_body(props));
        self.m.x.send(tag, spec);
    }

    fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        self.pending = self.pending.saturating_sub(1);
        let outcome = match tag {
            Tag::Context {
                svc,
                well_known,
                lean,
            } => self.on_context(svc, well_known, lean, reply),
            tag => reply.and_then(|reply| self.handle(tag, reply)),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
            return;
        }
        if self.pending == 0 {
            self.advance();
        }
    }

    /// The answer of step 1 for `only` (`None`: every service asked).
    ///
    /// A 5xx is asked once more without `sync-token`: DAViCal 1.1.12 answers 500 to a
    /// PROPFIND for it on its DAV root (`/caldav.php/`, no collection: a failed database
    /// insert), and answers the same PROPFIND without it. A collection read whole by that
    /// retry has no sync token (its ctag is still read).
    fn on_context(
        &mut self,
        only: Option<Svc>,
        well_known: bool,
        lean: bool,
        reply: Result<Reply>,
    ) -> Result<()> {
        let reply = match reply {
            Ok(reply) => reply,
            // A browser cannot follow the well-known redirect through a CORS preflight, so
            // fetch fails: as for any other unusable well-known answer.
            Err(e) if well_known && e.kind() == ErrorKind::Transport => {
                return self.unusable(only, well_known);
            }
            Err(e) => return Err(e),
        };
        let Reply { url, response } = reply;
        let url_str = url.as_str().to_owned();
        if response.status == 401 {
            return Err(Error::from_response(&url_str, &response));
        }
        if (500..600).contains(&response.status) && !lean {
            let props: Vec<QName> = CONTEXT_PROPS
                .iter()
                .filter(|p| **p != names::SYNC_TOKEN)
                .cloned()
                .collect();
            let tag = Tag::Context {
                svc: only,
                well_known,
                lean: true,
            };
            self.propfind(tag, url, Depth::Zero, &props);
            return Ok(());
        }
        let ms = if response.status == 207 {
            Some(multistatus::parse_with_limits(
                &response.body,
                &url_str,
                &self.m.x.ctx().limits,
            )?)
        } else {
            None
        };
        let Some(first) = ms
            .as_ref()
            .and_then(|ms| self_response(&ms.responses, &url))
        else {
            if !well_known {
                self.direct_error = Some(if response.status == 207 {
                    Error::new(ErrorKind::Protocol, "the PROPFIND answer has no response")
                        .with_url(&url_str)
                } else {
                    Error::from_response(&url_str, &response)
                });
            }
            return self.unusable(only, well_known);
        };
        self.read_scheduling(first, &url, &response);
        let principal = first
            .prop(&names::CURRENT_USER_PRINCIPAL)
            .and_then(|e| e.hrefs().into_iter().next())
            .map(|h| crate::href::resolve(&url, &h))
            .transpose()?;
        let bare = self.m.x.ctx().profile.bare_collection;
        let max_home_sets = self.m.x.ctx().limits.max_home_sets;
        let mask = self.mask(only);
        for svc in [Svc::Cal, Svc::Card] {
            if mask & svc.bit() == 0 {
                continue;
            }
            let homes = hrefs_of(first, &svc.home_set(), &url, max_home_sets)?;
            let mut collection = Collection::from_response(first);
            if collection.kind != svc.kind()
                && principal.is_none()
                && homes.is_empty()
                && bare == Some(svc.kind())
            {
                // Google Contacts: the well-known URI leads straight to the address book,
                // which reports no resourcetype and whose principal PROPFINDs fail.
                collection.kind = svc.kind();
            }
            let is_collection = collection.kind == svc.kind();
            let fallback = (bare == Some(svc.kind())
                && !is_collection
                && lacks_resourcetype(first))
            .then(|| Collection {
                kind: svc.kind(),
                ..collection.clone()
            });
            let found = self.found.entry(svc).or_default();
            found.fallback = fallback;
            if principal.is_none() && homes.is_empty() && !is_collection {
                // Nothing useful here; the configured URL stays the fallback home.
                if found.context.is_none() {
                    found.context = Some(url.clone());
                }
                self.unusable(Some(svc), well_known)?;
                continue;
            }
            found.context = Some(url.clone());
            found.principal = principal.clone();
            found.homes = homes;
            if is_collection {
                found.read = true;
                self.read.push(collection);
            }
        }
        Ok(())
    }

    /// The context request for `only` failed or said nothing useful. From the configured URL
    /// at a server root, the well-known URI is next; from the well-known URI, the configured
    /// URL if it was not asked yet. Otherwise the configured URL's failure is reported (a
    /// useless answer leaves that URL as the fallback home).
    fn unusable(&mut self, only: Option<Svc>, well_known: bool) -> Result<()> {
        let mask = self.mask(only);
        for svc in [Svc::Cal, Svc::Card] {
            let bit = svc.bit();
            if mask & bit == 0 {
                continue;
            }
            if well_known && self.direct_asked & bit == 0 {
                self.direct_request(Some(svc));
            } else if !well_known && self.at_root && self.well_known_asked & bit == 0 {
                self.well_known_request(svc);
            } else if let Some(e) = self.direct_error.take() {
                return Err(e);
            }
        }
        Ok(())
    }

    fn handle(&mut self, tag: Tag, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        let url_str = url.as_str().to_owned();
        match tag {
            Tag::Context { .. } => Ok(()),
            Tag::Principal => {
                if response.status != 207 {
                    if response.status == 401 {
                        return Err(Error::from_response(&url_str, &response));
                    }
                    // Google Contacts: the principal PROPFIND fails; fall back to the context.
                    self.note_error(Error::from_response(&url_str, &response));
                    return Ok(());
                }
                let ms = multistatus::parse_with_limits(
                    &response.body,
                    &url_str,
                    &self.m.x.ctx().limits,
                )?;
                if let Some(first) = self_response(&ms.responses, &url) {
                    self.read_scheduling(first, &url, &response);
                    for (svc, found) in self.found.iter_mut() {
                        let same = found
                            .principal
                            .as_ref()
                            .is_some_and(|p| crate::href::same_resource(p.as_str(), url.as_str()));
                        if same && found.homes.is_empty() {
                            found.homes = hrefs_of(
                                first,
                                &svc.home_set(),
                                &url,
                                self.m.x.ctx().limits.max_home_sets,
                            )?;
                        }
                    }
                }
                Ok(())
            }
            Tag::Home => {
                let bare = self.m.x.ctx().profile.bare_collection;
                if response.status != 207 {
                    let e = Error::from_response(&url_str, &response);
                    if response.status != 401 && self.has_fallback() {
                        // Google Contacts: the home set's PROPFIND may fail; the address book
                        // the well-known URI led to is still known.
                        self.note_error(e);
                        return Ok(());
                    }
                    return Err(e);
                }
                let ms = multistatus::parse_with_limits(
                    &response.body,
                    &url_str,
                    &self.m.x.ctx().limits,
                )?;
                for r in &ms.responses {
                    if r.effective_status() != 200 && r.propstats.is_empty() {
                        continue;
                    }
                    let mut c = Collection::from_response(r);
                    if let Some(kind) = bare
                        && c.kind == CollectionKind::Other
                        && lacks_resourcetype(r)
                        && !crate::href::same_resource(&c.url, url.as_str())
                    {
                        // Google Contacts reports no resourcetype on its address books.
                        c.kind = kind;
                    }
                    self.add_collection(c, &url_str)?;
                }
                Ok(())
            }
        }
    }

    /// Adds a calendar or address book to the result once (by normalised URL).
    fn add_collection(&mut self, c: Collection, url_str: &str) -> Result<()> {
        if c.kind == CollectionKind::Other {
            return Ok(());
        }
        if !self.seen.insert(crate::href::normalize(&c.url)) {
            return Ok(());
        }
        let max = self.m.x.ctx().limits.max_collections;
        if self.result.collections.len() >= max {
            return Err(crate::limits::exceeded(format!(
                "the server lists more than {max} collections (Limits::max_collections, \
                 default discover::MAX_COLLECTIONS)"
            ))
            .with_url(url_str));
        }
        self.result.collections.push(c);
        Ok(())
    }

    /// Reads the scheduling properties and `DAV` header of a step 1 or step 2 answer, when
    /// calendars are asked.
    fn read_scheduling(&mut self, r: &Response, url: &Url, response: &crate::http::HttpResponse) {
        if self.asked & Svc::Cal.bit() != 0 {
            self.result.scheduling.read_response(r, url);
            self.result.scheduling.read_headers(response);
        }
    }

    fn has_fallback(&self) -> bool {
        self.found.values().any(|f| f.fallback.is_some())
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
                let wanted: Vec<Url> =
                    self.found
                        .values()
                        .filter(|f| f.homes.is_empty() && !f.read)
                        .filter_map(|f| {
                            // The context answer already said which home sets the principal has
                            // when it was the principal itself.
                            let p = f.principal.as_ref()?;
                            let asked_there = f.context.as_ref().is_some_and(|c| {
                                crate::href::same_resource(c.as_str(), p.as_str())
                            });
                            (!asked_there).then(|| p.clone())
                        })
                        .collect();
                for principal in wanted {
                    if asked
                        .iter()
                        .any(|a| crate::href::same_resource(a.as_str(), principal.as_str()))
                    {
                        continue;
                    }
                    asked.push(principal.clone());
                    let mut props = vec![
                        names::CALENDAR_HOME_SET,
                        names::ADDRESSBOOK_HOME_SET,
                        names::DISPLAYNAME,
                    ];
                    if self.asked & Svc::Cal.bit() != 0 {
                        props.extend(rfc6638::SCHEDULING_PROPS);
                    }
                    self.propfind(Tag::Principal, principal, Depth::Zero, &props);
                }
                if self.pending == 0 {
                    self.advance();
                }
            }
            Phase::Principal => {
                self.phase = Phase::Homes;
                let mut homes: Vec<Url> = Vec::new();
                let mut home_keys: HashSet<String> = HashSet::new();
                let mut read = false;
                for found in self.found.values_mut() {
                    if found.homes.is_empty() && !found.read {
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
                for (svc, home) in home_sets {
                    self.result_home(svc, &home);
                }
                for h in homes {
                    self.propfind(Tag::Home, h, Depth::One, &COLLECTION_PROPS);
                }
                if self.pending == 0 {
                    if read {
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

/// The response describing the requested resource itself: the one whose href matches, or the
/// only one (servers that answer under another href are tolerated for Depth 0).
pub(crate) fn self_response<'a>(responses: &'a [Response], url: &Url) -> Option<&'a Response> {
    let key = crate::href::normalize(url.as_str());
    responses
        .iter()
        .find(|r| crate::href::normalize(&r.href) == key)
        .or_else(|| (responses.len() == 1).then(|| &responses[0]))
}

/// Whether a response reports no `resourcetype`, or an empty one (Google Contacts).
fn lacks_resourcetype(r: &Response) -> bool {
    r.prop(&names::RESOURCETYPE).is_none_or(|e| {
        !e.children
            .iter()
            .any(|n| matches!(n, crate::xml::Node::Element(_)))
    })
}

fn too_many_home_sets(max: usize) -> Error {
    crate::limits::exceeded(format!(
        "the server lists more than {max} home sets (Limits::max_home_sets, default \
         discover::MAX_HOME_SETS)"
    ))
}

fn hrefs_of(response: &Response, name: &QName, base: &Url, max: usize) -> Result<Vec<Url>> {
    let mut out = Vec::new();
    let mut keys = HashSet::new();
    if let Some(e) = response.prop(name) {
        for h in e.hrefs() {
            let url = crate::href::resolve(base, &h)?;
            if !keys.insert(crate::href::normalize(url.as_str())) {
                continue;
            }
            if out.len() >= max {
                return Err(too_many_home_sets(max).with_url(base.as_str()));
            }
            out.push(url);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::http::HttpResponse;
    use crate::op::{Operation, Poll};
    use crate::session::Config;

    const SERVER: &str = "https://dav.example.com/dav/";

    #[test]
    fn rediscovery_after_two_weeks() {
        let day = 24 * 3600 * 1000;
        let t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        assert!(!needs_rediscovery(t0, t0));
        assert!(!needs_rediscovery(t0, t0 + 13 * day));
        assert!(needs_rediscovery(t0, t0 + 14 * day));
        assert!(needs_rediscovery(t0, t0 - 1), "a clock that went backwards");
        assert!(needs_rediscovery(i64::MIN, i64::MAX));
    }

    /// Runs a CalDAV discovery at [`SERVER`]: Depth 0 PROPFINDs get `context(url)`, the Depth 1
    /// PROPFIND of the home gets `home`. Returns the result and the number of requests.
    fn run(context: impl Fn(&str) -> String, home: &str) -> (Result<Discovery>, usize) {
        let session = Session::new(Config::new(SERVER, Credentials::basic("a", "b")));
        let Ok(session) = session else {
            return (Err(Error::new(ErrorKind::InvalidInput, "config")), 0);
        };
        let mut op = session.discover(Service::CalDav);
        let mut requests = 0;
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    requests += 1;
                    let depth_one = request
                        .headers
                        .iter()
                        .any(|(n, v)| n == "Depth" && v == "1");
                    let body = if depth_one {
                        home.to_owned()
                    } else {
                        context(&request.url)
                    };
                    op.handle_response(request.id, HttpResponse::new(207, body));
                }
                Poll::Wait => {
                    return (Err(Error::new(ErrorKind::Protocol, "waits")), requests);
                }
                Poll::Done(result) => return (result, requests),
            }
        }
    }

    fn context_with_homes(homes: &[String]) -> impl Fn(&str) -> String {
        let hrefs: String = homes.iter().map(|h| format!("<href>{h}</href>")).collect();
        move |url: &str| {
            format!(
                r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>{url}</href><propstat><prop><C:calendar-home-set>{hrefs}</C:calendar-home-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#
            )
        }
    }

    fn listing(hrefs: impl Iterator<Item = String>) -> String {
        let mut body =
            String::from(r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">"#);
        for h in hrefs {
            body.push_str(&format!(
                "<response><href>{h}</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
            ));
        }
        body.push_str("</multistatus>");
        body
    }

    #[test]
    fn collections_are_unique_by_normalised_url() {
        // 3,000 calendars, each listed three times in the forms servers mix up: a trailing
        // slash, an escaped `@`, an absolute URL with the default port and an upper-case host
        let hrefs = (0..3000).flat_map(|i| {
            [
                format!("/dav/home/a@b-{i}/"),
                format!("/dav/home/a%40b-{i}"),
                format!("https://DAV.example.com:443/dav/home/a@b-{i}/"),
            ]
        });
        let home = listing(hrefs);
        let (result, requests) = run(context_with_homes(&["/dav/home/".into()]), &home);
        let found = result.map(|d| d.collections.len());
        assert_eq!(found.ok(), Some(3000));
        assert_eq!(requests, 2);
    }

    #[test]
    fn bounds_collections() {
        let homes = ["/dav/home/".to_owned()];
        let home = listing((0..=MAX_COLLECTIONS).map(|i| format!("/dav/home/c{i}/")));
        let err = run(context_with_homes(&homes), &home).0.err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::LimitExceeded)
        );
        assert!(err.is_some_and(|e| e.message().contains("MAX_COLLECTIONS")));
        let home = listing((0..MAX_COLLECTIONS).map(|i| format!("/dav/home/c{i}/")));
        let found = run(context_with_homes(&homes), &home).0;
        assert_eq!(
            found.map(|d| d.collections.len()).ok(),
            Some(MAX_COLLECTIONS)
        );
    }

    #[test]
    fn bounds_home_sets() {
        let home = listing(std::iter::empty());
        // 32 distinct home sets, each listed twice: 32 PROPFINDs after the context one
        let homes: Vec<String> = (0..MAX_HOME_SETS)
            .flat_map(|i| [format!("/dav/h{i}/"), format!("/dav/h{i}")])
            .collect();
        let (result, requests) = run(context_with_homes(&homes), &home);
        assert_eq!(result.map(|d| d.calendar_home_sets.len()).ok(), Some(32));
        assert_eq!(requests, 1 + MAX_HOME_SETS);
        // one more distinct home set is refused before any home is asked
        let homes: Vec<String> = (0..=MAX_HOME_SETS).map(|i| format!("/dav/h{i}/")).collect();
        let (result, requests) = run(context_with_homes(&homes), &home);
        let err = result.err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::LimitExceeded)
        );
        assert!(err.is_some_and(|e| e.message().contains("MAX_HOME_SETS")));
        assert_eq!(requests, 1);
    }

    /// Runs a discovery from `server`, answering each request with `answer(url, depth)`.
    /// Returns the result and the requests as `URL (Depth n)`.
    fn run_at(
        server: &str,
        service: Service,
        answer: impl Fn(&str, &str) -> HttpResponse,
    ) -> (Result<Discovery>, Vec<String>) {
        let Ok(session) = Session::new(Config::new(server, Credentials::basic("a", "b"))) else {
            return (
                Err(Error::new(ErrorKind::InvalidInput, "config")),
                Vec::new(),
            );
        };
        let mut op = session.discover(service);
        let mut sent = Vec::new();
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    let depth = request.header("Depth").unwrap_or("-").to_owned();
                    sent.push(format!("{} (Depth {depth})", request.url));
                    let response = answer(&request.url, &depth);
                    op.handle_response(request.id, response);
                }
                Poll::Wait => return (Err(Error::new(ErrorKind::Protocol, "waits")), sent),
                Poll::Done(result) => return (result, sent),
            }
        }
    }

    const ROOT: &str = "https://dav.example.com/";

    #[test]
    fn the_first_request_reads_a_collection_whole() {
        for p in &COLLECTION_PROPS {
            assert!(
                CONTEXT_PROPS.contains(p),
                "{p:?} missing from CONTEXT_PROPS"
            );
        }
    }

    /// DAViCal 1.1.12 answers 500 to a PROPFIND for `sync-token` on its DAV root (measured
    /// live): the context request is asked once more without it, and discovery goes on.
    /// A server that keeps failing is reported after that one retry.
    #[test]
    fn a_5xx_context_answer_is_asked_again_without_the_sync_token() {
        const DAV_ROOT: &str = "http://127.0.0.1:8080/caldav.php/";
        const HOME: &str = "http://127.0.0.1:8080/caldav.php/alice/";
        let run = |always_fail: bool| {
            let session =
                Session::new(Config::new(DAV_ROOT, Credentials::basic("a", "b"))).expect("config");
            let mut op = session.discover(Service::Both);
            let mut sent = Vec::new();
            loop {
                match op.poll() {
                    Poll::Send(request) => {
                        let depth = request.header("Depth").unwrap_or("-").to_owned();
                        let token = request.body_text().unwrap_or("").contains("sync-token");
                        sent.push(format!(
                            "{} (Depth {depth}){}",
                            request.url,
                            if token { " sync-token" } else { "" }
                        ));
                        let response = match (request.url.as_str(), depth.as_str()) {
                            (DAV_ROOT, _) if token || always_fail => {
                                HttpResponse::new(500, "DAViCal Fatal Error")
                            }
                            (DAV_ROOT, _) => HttpResponse::new(
                                207,
                                "<multistatus xmlns=\"DAV:\"><response><href>/caldav.php/</href>\
                                 <propstat><prop><current-user-principal><href>/caldav.php/alice/\
                                 </href></current-user-principal></prop><status>HTTP/1.1 200 OK\
                                 </status></propstat></response></multistatus>",
                            ),
                            (HOME, "0") => HttpResponse::new(
                                207,
                                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                                 xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response>\
                                 <href>/caldav.php/alice/</href><propstat><prop>\
                                 <C:calendar-home-set><href>/caldav.php/alice/</href>\
                                 </C:calendar-home-set><R:addressbook-home-set>\
                                 <href>/caldav.php/alice/</href></R:addressbook-home-set></prop>\
                                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
                            ),
                            _ => HttpResponse::new(
                                207,
                                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
                                 <response><href>/caldav.php/alice/calendar/</href><propstat><prop>\
                                 <resourcetype><collection/><C:calendar/></resourcetype>\
                                 <sync-token>data:,1</sync-token></prop>\
                                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
                            ),
                        };
                        op.handle_response(request.id, response);
                    }
                    Poll::Wait => panic!("waits"),
                    Poll::Done(result) => return (result, sent),
                }
            }
        };
        let (result, sent) = run(false);
        let found = result.expect("discovery after the retry");
        assert_eq!(found.principal.as_deref(), Some(HOME));
        assert_eq!(
            found
                .calendars()
                .map(|c| c.url.as_str())
                .collect::<Vec<_>>(),
            ["http://127.0.0.1:8080/caldav.php/alice/calendar/"]
        );
        assert_eq!(
            sent,
            [
                "http://127.0.0.1:8080/caldav.php/ (Depth 0) sync-token",
                "http://127.0.0.1:8080/caldav.php/ (Depth 0)",
                "http://127.0.0.1:8080/caldav.php/alice/ (Depth 0)",
                "http://127.0.0.1:8080/caldav.php/alice/ (Depth 1) sync-token",
            ]
        );
        let (result, sent) = run(true);
        let err = result.expect_err("a server that keeps failing");
        assert_eq!(err.kind(), ErrorKind::Http);
        assert_eq!(err.status(), Some(500));
        assert_eq!(sent.len(), 2, "{sent:?}");
    }

    #[test]
    fn unauthorized_at_the_root_ends_discovery_without_the_well_known() {
        let (result, sent) = run_at(ROOT, Service::Both, |_, _| HttpResponse::new(401, ""));
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::Unauthorized)
        );
        assert_eq!(sent, ["https://dav.example.com/ (Depth 0)"]);
    }

    #[test]
    fn both_services_share_the_root_the_principal_and_the_home() {
        let (result, sent) = run_at(ROOT, Service::Both, |url, depth| {
            let body = match (url, depth) {
                ("https://dav.example.com/", _) => {
                    "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>\
                     <current-user-principal><href>/p/</href></current-user-principal>\
                     </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
                }
                (_, "0") => {
                    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                     xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response><href>/p/</href>\
                     <propstat><prop><C:calendar-home-set><href>/h/</href></C:calendar-home-set>\
                     <R:addressbook-home-set><href>/h/</href></R:addressbook-home-set></prop>\
                     <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
                }
                _ => "<multistatus xmlns=\"DAV:\"/>",
            };
            HttpResponse::new(207, body)
        });
        let found = result.ok();
        assert_eq!(
            found.as_ref().map(|d| d.addressbook_home_sets.clone()),
            Some(vec!["https://dav.example.com/h/".to_owned()])
        );
        assert_eq!(
            sent,
            [
                "https://dav.example.com/ (Depth 0)",
                "https://dav.example.com/p/ (Depth 0)",
                "https://dav.example.com/h/ (Depth 1)",
            ]
        );
    }

    #[test]
    fn scheduling_comes_with_the_principal_propfind() {
        // SabreDAV's shape: the root names the principal, the principal its home set and
        // the RFC 6638 properties, with `calendar-auto-schedule` in its DAV header.
        let (result, sent) = run_at(ROOT, Service::CalDav, |url, depth| match (url, depth) {
            ("https://dav.example.com/", _) => HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>\
                 <current-user-principal><href>/p/alice/</href></current-user-principal>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            )
            .with_header("DAV", "1, 3, extended-mkcol"),
            (_, "0") => HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
                 <response><href>/p/alice/</href><propstat><prop>\
                 <C:calendar-home-set><href>/cal/alice/</href></C:calendar-home-set>\
                 <C:calendar-user-address-set><href>mailto:alice@example.com</href>\
                 <href>/p/alice/</href></C:calendar-user-address-set>\
                 <C:schedule-inbox-URL><href>/cal/alice/inbox/</href></C:schedule-inbox-URL>\
                 <C:schedule-outbox-URL><href>/cal/alice/outbox/</href></C:schedule-outbox-URL>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat>\
                 <propstat><prop><C:schedule-default-calendar-URL/></prop>\
                 <status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>",
            )
            .with_header("DAV", "1, 3, calendar-access, calendar-auto-schedule"),
            _ => HttpResponse::new(207, "<multistatus xmlns=\"DAV:\"/>"),
        });
        let s = result.map(|d| d.scheduling).ok();
        assert_eq!(
            s,
            Some(crate::Scheduling {
                user_addresses: vec!["mailto:alice@example.com".into(), "/p/alice/".into()],
                preferred_address: None,
                inbox_url: Some("https://dav.example.com/cal/alice/inbox/".into()),
                outbox_url: Some("https://dav.example.com/cal/alice/outbox/".into()),
                default_calendar_url: None,
                auto_schedule: Some(true),
            })
        );
        assert_eq!(sent.len(), 3, "no request added: {sent:?}");
    }

    #[test]
    fn address_books_only_ask_no_scheduling() {
        // the root is an address book that also (oddly) reports an outbox
        let (result, _) = run_at(ROOT, Service::CardDav, |_, _| {
            HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                 xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response><href>/</href>\
                 <propstat><prop><resourcetype><collection/><R:addressbook/></resourcetype>\
                 <C:schedule-outbox-URL><href>/o/</href></C:schedule-outbox-URL></prop>\
                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            )
            .with_header("DAV", "1, calendar-auto-schedule")
        });
        let found = result.ok();
        assert_eq!(found.as_ref().map(|d| d.collections.len()), Some(1));
        assert_eq!(found.map(|d| d.scheduling.is_empty()), Some(true));
    }

    #[test]
    fn a_failing_root_asks_each_well_known_uri_once() {
        let (result, sent) = run_at(ROOT, Service::Both, |url, depth| match (url, depth) {
            ("https://dav.example.com/", _) => HttpResponse::new(405, ""),
            (url, "0") if url.contains(".well-known") => HttpResponse::new(
                207,
                format!(
                    "<multistatus xmlns=\"DAV:\"><response><href>{url}</href><propstat><prop>\
                     <current-user-principal><href>/p/</href></current-user-principal></prop>\
                     <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
                ),
            ),
            (_, "0") => HttpResponse::new(404, ""),
            _ => HttpResponse::new(207, "<multistatus xmlns=\"DAV:\"/>"),
        });
        // The principal names no home set (404), so it is the home of both services.
        let found = result.ok();
        assert_eq!(
            found.as_ref().and_then(|d| d.principal.clone()).as_deref(),
            Some("https://dav.example.com/p/")
        );
        assert_eq!(
            sent,
            [
                "https://dav.example.com/ (Depth 0)",
                "https://dav.example.com/.well-known/caldav (Depth 0)",
                "https://dav.example.com/.well-known/carddav (Depth 0)",
                "https://dav.example.com/p/ (Depth 0)",
                "https://dav.example.com/p/ (Depth 1)",
            ]
        );
    }
}
