//! Reading discovery's answers: the configured URL or well-known URI (step 1), the principal
//! (step 2) and the home sets (step 3), into home sets, collections and scheduling.

use crate::string_set::StringSet;
use crate::url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::Reply;
use crate::model::{Collection, CollectionKind};
use crate::rfc4918::multistatus::{self, Response};
use crate::xml::{QName, names};

use super::{Discover, Svc, Tag};

impl Discover {
    pub(super) fn on_reply(&mut self, tag: Tag, reply: Result<Reply>) {
        self.pending = self.pending.saturating_sub(1);
        let outcome = match tag {
            Tag::Context { svc, well_known } => self.on_context(svc, well_known, reply),
            Tag::Options => {
                // Only its `DAV` header is read; whatever goes wrong leaves it unknown.
                if let Ok(Reply { response, .. }) = reply
                    && (200..300).contains(&response.status)
                {
                    self.result.scheduling.read_headers(&response);
                }
                Ok(())
            }
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
    fn on_context(
        &mut self,
        only: Option<Svc>,
        well_known: bool,
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
            let found = super::found_entry(&mut self.found, svc);
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
            found.home_set_failed = home_set_failure(first, &svc.home_set(), &url);
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
            Tag::Context { .. } | Tag::Options => Ok(()),
            Tag::Principal { listing } => {
                if response.status != 207 {
                    if response.status == 401 {
                        return Err(Error::from_response(&url_str, &response));
                    }
                    if listing {
                        // A server that refuses `Depth: 1` on a principal: asked as before.
                        self.principal_request(url, false);
                        return Ok(());
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
                let own = if listing {
                    // With `Depth: 1` the principal's own answer is the one under its URL;
                    // without one, the answer cannot be told from its members', and the
                    // principal is asked again with `Depth: 0`.
                    let own = own_response(&ms.responses, &url);
                    if own.is_none() {
                        self.principal_request(url, false);
                        return Ok(());
                    }
                    // Its listing, read as step 3 reads a home set's, in case the principal
                    // turns out to be its own home set (or the home for want of one).
                    // One that may lack collections is not kept: a home set there is
                    // asked on its own in step 3.
                    if check_listing(&ms.responses, &url).is_ok() {
                        let listed = self.listing(&ms.responses, &url);
                        self.listings
                            .push((crate::href::normalize(url.as_str()), listed));
                    }
                    own
                } else {
                    self_response(&ms.responses, &url)
                };
                if let Some(first) = own {
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
                            found.home_set_failed = home_set_failure(first, &svc.home_set(), &url);
                        }
                    }
                }
                Ok(())
            }
            Tag::Home { services } => {
                if response.status != 207 {
                    let e = Error::from_response(&url_str, &response);
                    if response.status != 401 && self.has_fallback(services) {
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
                if let Err(e) = check_listing(&ms.responses, &url) {
                    if !self.has_fallback(services) {
                        return Err(e);
                    }
                    // As for a failed PROPFIND, with the address book of Google Contacts known.
                    self.note_error(e);
                    return Ok(());
                }
                for c in self.listing(&ms.responses, &url) {
                    self.add_collection(c, &url_str)?;
                }
                Ok(())
            }
        }
    }

    /// The calendars and address books a `Depth: 1` answer for `url` lists, at most one more
    /// than [`Limits::max_collections`](crate::Limits::max_collections), which
    /// [`Discover::add_collection`] reports when they are added.
    fn listing(&self, responses: &[Response], url: &Url) -> Vec<Collection> {
        let bare = self.m.x.ctx().profile.bare_collection;
        let max = self.m.x.ctx().limits.max_collections;
        let mut out = Vec::new();
        for r in responses {
            if out.len() > max {
                break;
            }
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
            if c.kind != CollectionKind::Other {
                out.push(c);
            }
        }
        out
    }

    /// Adds a calendar or address book to the result once (by normalised URL).
    pub(super) fn add_collection(&mut self, c: Collection, url_str: &str) -> Result<()> {
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
}

/// The response describing the requested resource itself: the one whose href matches, or the
/// only one (servers that answer under another href are tolerated for Depth 0).
pub(crate) fn self_response<'a>(responses: &'a [Response], url: &Url) -> Option<&'a Response> {
    own_response(responses, url).or_else(|| (responses.len() == 1).then(|| &responses[0]))
}

/// The response whose href names `url` itself.
fn own_response<'a>(responses: &'a [Response], url: &Url) -> Option<&'a Response> {
    let key = crate::href::normalize(url.as_str());
    responses
        .iter()
        .find(|r| crate::href::normalize(&r.href) == key)
}

/// Refuses a `Depth: 1` listing of `url` that may lack collections: no response at all, the
/// collection's own row failed, a 507 (the server cut the listing), a member row that failed
/// (but 404/410) or whose `resourcetype` failed (but 404). Such an answer is never read as
/// the complete list, which an app mirrors by dropping what it lacks.
pub(crate) fn check_listing(responses: &[Response], url: &Url) -> Result<()> {
    let key = crate::href::normalize(url.as_str());
    let mut bad = if responses.is_empty() { Some(0) } else { None };
    for r in responses {
        if bad.is_some() {
            break;
        }
        let status = r.effective_status();
        let own = crate::href::normalize(&r.href) == key;
        if !(200..300).contains(&status) && (own || !matches!(status, 404 | 410)) {
            bad = Some(status);
        } else if let Some(s) = r.prop_status(&names::RESOURCETYPE)
            && leaves_unknown(s)
        {
            bad = Some(s);
        }
    }
    match bad {
        None => Ok(()),
        Some(status) => Err(status_error(status, "incomplete collection listing", url)),
    }
}

/// The error of a home-set property `r` answered with a failed propstat (anything but 2xx
/// or 404, which says the server has none): the home sets are unknown, not absent.
fn home_set_failure(r: &Response, name: &QName, url: &Url) -> Option<Error> {
    let status = r.prop_status(name).filter(|&s| leaves_unknown(s))?;
    Some(status_error(status, "the home set could not be read", url))
}

/// Whether a property's propstat `status` leaves it unknown: neither given (2xx) nor
/// absent on the server (404).
fn leaves_unknown(status: u16) -> bool {
    !(200..300).contains(&status) && status != 404
}

/// The error of an answer for `url` that left `what` unknown, classified by its `status`.
fn status_error(status: u16, what: &str, url: &Url) -> Error {
    Error::new(ErrorKind::for_status(status), format!("{what} ({status})"))
        .with_status(status)
        .with_url(url.as_str())
}

/// Whether a response reports no `resourcetype`, or an empty one (Google Contacts).
fn lacks_resourcetype(r: &Response) -> bool {
    r.prop(&names::RESOURCETYPE).is_none_or(|e| {
        !e.children
            .iter()
            .any(|n| matches!(n, crate::xml::Node::Element(_)))
    })
}

pub(super) fn too_many_home_sets(max: usize) -> Error {
    crate::limits::exceeded(format!(
        "the server lists more than {max} home sets (Limits::max_home_sets, default \
         discover::MAX_HOME_SETS)"
    ))
}

fn hrefs_of(response: &Response, name: &QName, base: &Url, max: usize) -> Result<Vec<Url>> {
    let mut out = Vec::new();
    let mut keys = StringSet::new();
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
