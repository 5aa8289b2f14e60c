//! Discovery: RFC 6764 well-known URIs, RFC 5397 current-user-principal, the RFC 4791 §6.2.1
//! and RFC 6352 §7.1.1 home sets, then the collections in them.
//!
//! Each step is skipped when the server skips it: no well-known means the server URL itself is
//! asked; no principal means the context URL is taken as the home; a URL that already is a
//! calendar or address book (Google Contacts' well-known target) is taken as it is.
//!
//! Collections and home sets are kept unique by their normalised URL ([`href::normalize`]),
//! through a set, so discovery is linear in what the server lists. One discovery asks at most
//! [`Limits::max_home_sets`] home sets (and directly found collections; default
//! [`MAX_HOME_SETS`]) and keeps at most [`Limits::max_collections`] collections (default
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
use crate::session::Session;
use crate::xml::{QName, names};

/// Most home sets (and collections found directly at the context URL) one discovery asks
/// for, both services together; each costs one PROPFIND. The default of
/// [`Limits::max_home_sets`](crate::Limits::max_home_sets); more is an
/// [`ErrorKind::LimitExceeded`] error.
pub const MAX_HOME_SETS: usize = 32;

/// Most collections one discovery returns: the default of
/// [`Limits::max_collections`](crate::Limits::max_collections); more is an
/// [`ErrorKind::LimitExceeded`] error.
pub const MAX_COLLECTIONS: usize = 10_000;

/// Which services to discover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

#[derive(Debug)]
enum Tag {
    Context { svc: Svc, well_known: bool },
    Principal,
    Home,
    Direct,
}

#[derive(Default)]
struct Found {
    context: Option<Url>,
    principal: Option<Url>,
    homes: Vec<Url>,
    direct: Vec<Url>,
}

/// The discovery operation; create it with [`Session::discover`].
pub struct Discover {
    m: Machine<Tag, Discovery>,
    found: BTreeMap<Svc, Found>,
    pending: usize,
    phase: Phase,
    result: Discovery,
    /// The normalised URLs of `result.collections`.
    seen: HashSet<String>,
    first_error: Option<Error>,
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
        let mut op = Discover {
            m: Machine::new(self.ctx.clone()),
            found: BTreeMap::new(),
            pending: 0,
            phase: Phase::Context,
            result: Discovery::default(),
            seen: HashSet::new(),
            first_error: None,
        };
        let server = self.ctx.server.clone();
        let at_root = server.path() == "/" || server.path().is_empty();
        for &svc in svcs {
            op.found.insert(svc, Found::default());
            if at_root {
                match server.join(svc.well_known()) {
                    Ok(url) => op.context_request(svc, url, true),
                    Err(_) => op.context_request(svc, server.clone(), false),
                }
            } else {
                op.context_request(svc, server.clone(), false);
            }
        }
        op
    }
}

impl Discover {
    fn context_request(&mut self, svc: Svc, url: Url, well_known: bool) {
        let props = [
            names::CURRENT_USER_PRINCIPAL,
            names::RESOURCETYPE,
            svc.home_set(),
        ];
        self.propfind(Tag::Context { svc, well_known }, url, Depth::Zero, &props);
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
        let outcome = match (reply, tag) {
            (Ok(reply), tag) => self.handle(tag, reply),
            (
                Err(e),
                Tag::Context {
                    svc,
                    well_known: true,
                },
            ) if e.kind() == ErrorKind::Transport => {
                // A browser cannot follow the well-known redirect through a CORS preflight, so
                // fetch fails: ask the server URL itself, as for any other unusable answer.
                let server = self.m.x.ctx().server.clone();
                self.context_request(svc, server, false);
                Ok(())
            }
            (Err(e), _) => Err(e),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
            return;
        }
        if self.pending == 0 {
            self.advance();
        }
    }

    fn handle(&mut self, tag: Tag, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        let url_str = url.as_str().to_owned();
        match tag {
            Tag::Context { svc, well_known } => {
                if response.status != 207 {
                    if response.status == 401 {
                        return Err(Error::from_response(&url_str, &response));
                    }
                    if well_known {
                        // No usable well-known: ask the server URL itself.
                        let server = self.m.x.ctx().server.clone();
                        self.context_request(svc, server, false);
                        return Ok(());
                    }
                    return Err(Error::from_response(&url_str, &response));
                }
                let ms = multistatus::parse_with_limits(
                    &response.body,
                    &url_str,
                    &self.m.x.ctx().limits,
                )?;
                let Some(first) = self_response(&ms.responses, &url) else {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        "the PROPFIND answer has no response",
                    )
                    .with_url(&url_str));
                };
                let principal = first
                    .prop(&names::CURRENT_USER_PRINCIPAL)
                    .and_then(|e| e.hrefs().into_iter().next())
                    .map(|h| crate::href::resolve(&url, &h))
                    .transpose()?;
                let homes = hrefs_of(
                    first,
                    &svc.home_set(),
                    &url,
                    self.m.x.ctx().limits.max_home_sets,
                )?;
                let is_collection = Collection::from_response(first).kind == svc.kind();
                let found = self.found.entry(svc).or_default();
                found.context = Some(url.clone());
                found.homes = homes;
                if is_collection {
                    found.direct.push(url.clone());
                }
                found.principal = principal;
                let bare = self.m.x.ctx().profile.bare_collection;
                if found.principal.is_none()
                    && found.homes.is_empty()
                    && found.direct.is_empty()
                    && bare == Some(svc.kind())
                {
                    // Google Contacts: the well-known URI leads straight to the address book,
                    // which reports no resourcetype and whose principal PROPFINDs fail.
                    found.direct.push(url.clone());
                }
                if found.principal.is_none()
                    && found.homes.is_empty()
                    && found.direct.is_empty()
                    && well_known
                {
                    // The well-known answered but said nothing useful: try the server URL.
                    let server = self.m.x.ctx().server.clone();
                    if !crate::href::same_resource(server.as_str(), url.as_str()) {
                        self.context_request(svc, server, false);
                    }
                }
                Ok(())
            }
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
            Tag::Home | Tag::Direct => {
                if response.status != 207 {
                    return Err(Error::from_response(&url_str, &response));
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
                    if c.kind == CollectionKind::Other
                        && matches!(tag, Tag::Direct)
                        && let Some(kind) = self.m.x.ctx().profile.bare_collection
                    {
                        c.kind = kind;
                    }
                    if c.kind == CollectionKind::Other {
                        continue;
                    }
                    if !self.seen.insert(crate::href::normalize(&c.url)) {
                        continue;
                    }
                    let max = self.m.x.ctx().limits.max_collections;
                    if self.result.collections.len() >= max {
                        return Err(crate::limits::exceeded(format!(
                            "the server lists more than {max} collections (Limits::max_collections, \
                             default discover::MAX_COLLECTIONS)"
                        ))
                        .with_url(&url_str));
                    }
                    self.result.collections.push(c);
                }
                Ok(())
            }
        }
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
                let wanted: Vec<Url> = self
                    .found
                    .values()
                    .filter(|f| f.homes.is_empty() && f.direct.is_empty())
                    .filter_map(|f| f.principal.clone())
                    .collect();
                for principal in wanted {
                    if asked
                        .iter()
                        .any(|a| crate::href::same_resource(a.as_str(), principal.as_str()))
                    {
                        continue;
                    }
                    asked.push(principal.clone());
                    let props = [
                        names::CALENDAR_HOME_SET,
                        names::ADDRESSBOOK_HOME_SET,
                        names::DISPLAYNAME,
                    ];
                    self.propfind(Tag::Principal, principal, Depth::Zero, &props);
                }
                if self.pending == 0 {
                    self.advance();
                }
            }
            Phase::Principal => {
                self.phase = Phase::Homes;
                let mut homes: Vec<Url> = Vec::new();
                let mut direct: Vec<Url> = Vec::new();
                let mut home_keys: HashSet<String> = HashSet::new();
                let mut direct_keys: HashSet<String> = HashSet::new();
                for found in self.found.values_mut() {
                    if found.homes.is_empty() && found.direct.is_empty() {
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
                    for d in &found.direct {
                        if direct_keys.insert(crate::href::normalize(d.as_str())) {
                            direct.push(d.clone());
                        }
                    }
                    if self.result.principal.is_none() {
                        self.result.principal = found.principal.as_ref().map(Url::to_string);
                    }
                }
                let max = self.m.x.ctx().limits.max_home_sets;
                if homes.len() + direct.len() > max {
                    self.m.fail(too_many_home_sets(max));
                    return;
                }
                for (svc, home) in home_sets {
                    self.result_home(svc, &home);
                }
                for h in homes {
                    self.propfind(Tag::Home, h, Depth::One, &COLLECTION_PROPS);
                }
                for d in direct {
                    self.propfind(Tag::Direct, d, Depth::Zero, &COLLECTION_PROPS);
                }
                if self.pending == 0 {
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
}
