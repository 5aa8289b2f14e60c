//! Collections: create a calendar (RFC 4791 §5.3.1 MKCALENDAR) or an address book (RFC 5689
//! extended MKCOL), change name, colour and description (RFC 4918 §9.2 PROPPATCH), list,
//! read and delete them.
//!
//! A change or a deletion can be made conditional on what the caller last read
//! ([`Session::update_collection`], [`Session::delete_collection`] with `Some(read)`): the
//! collection is read first and the write goes ahead only if the server still has what the
//! caller saw. WebDAV has no ETag precondition that servers honour on collections, so this is a
//! check before the write; `None` is the caller's explicit choice to write unconditionally.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::Method;
use crate::limits::Limits;
use crate::model::{Collection, CollectionKind};
use crate::ops::discover::{COLLECTION_PROPS, check_listing, self_response};
use crate::ops::objects::{expect_multistatus, multistatus_refusal};
use crate::ops::single::SingleExchange;
use crate::ops::write::refuse_page;
use crate::rfc4791::mkcalendar_body;
use crate::rfc4918::{Depth, PropValue, propfind_body, proppatch_body};
use crate::rfc6352::extended_mkcol_body;
use crate::session::Session;
use crate::xml::names;

/// Properties to set on a collection. `None` leaves a property as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct CollectionProps {
    /// `DAV:displayname`
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub display_name: Option<String>,
    /// The calendar or address book description.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
    /// Apple's `calendar-color`, e.g. `#1BADF8`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub color: Option<String>,
    /// For calendars: the component types it will hold (`VEVENT`, `VTODO`, ...).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub components: Vec<String>,
}

impl CollectionProps {
    fn values(&self, kind: CollectionKind) -> Vec<PropValue> {
        let description = match kind {
            CollectionKind::AddressBook => names::ADDRESSBOOK_DESCRIPTION,
            _ => names::CALENDAR_DESCRIPTION,
        };
        let mut values = Vec::new();
        for (name, value) in [
            (names::DISPLAYNAME, &self.display_name),
            (description, &self.description),
            (names::CALENDAR_COLOR, &self.color),
        ] {
            if let Some(v) = value {
                values.push(PropValue {
                    name,
                    value: Some(v.clone()),
                });
            }
        }
        values
    }
}

impl Session {
    /// Creates a calendar named `slug` inside a calendar home set. An answer that is a 200 with
    /// an HTML page (a login proxy's or captive portal's) is an [`ErrorKind::Transport`] error:
    /// whether the calendar was made is unknown.
    pub fn create_calendar(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> SingleExchange<Collection> {
        if !self.ctx.profile.mkcalendar {
            let e = Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile cannot create calendars",
                    self.ctx.profile.name
                ),
            );
            return SingleExchange::failed(self.ctx.clone(), e);
        }
        let url = match self.member_collection_url(home_url, slug) {
            Ok(u) => u,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let body = mkcalendar_body(&props.values(CollectionKind::Calendar), &props.components);
        let spec = Spec::new(Method::Mkcalendar, url).xml(body);
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            created(reply, CollectionKind::Calendar, props)
        })
    }

    /// Creates an address book named `slug` inside an address book home set; a page answered
    /// 200 is a [`ErrorKind::Transport`] error, as for [`Session::create_calendar`].
    pub fn create_address_book(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> SingleExchange<Collection> {
        if !self.ctx.profile.mkcol {
            let e = Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile cannot create address books (no MKCOL)",
                    self.ctx.profile.name
                ),
            );
            return SingleExchange::failed(self.ctx.clone(), e);
        }
        let url = match self.member_collection_url(home_url, slug) {
            Ok(u) => u,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let body = extended_mkcol_body(
            &[names::COLLECTION, names::ADDRESSBOOK],
            &props.values(CollectionKind::AddressBook),
        );
        let spec = Spec::new(Method::Mkcol, url).xml(body);
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            created(reply, CollectionKind::AddressBook, props)
        })
    }

    /// Changes a collection's name, description or colour. With `read` (the collection as the
    /// caller last read it, from discovery or [`Session::get_collection`]), each property being
    /// changed must still have the value the caller read, else the change fails with
    /// [`ErrorKind::PreconditionFailed`] and nothing is written; `None` writes unconditionally.
    pub fn update_collection(
        &self,
        url: &str,
        kind: CollectionKind,
        props: CollectionProps,
        read: Option<&Collection>,
    ) -> CollectionWrite {
        let values = props.values(kind);
        let result = self.url(url).and_then(|u| {
            if values.is_empty() {
                return Err(Error::new(ErrorKind::InvalidInput, "nothing to change"));
            }
            self.check_settable(&values)?;
            Ok(href::as_collection(&u))
        });
        let guard = read.map(|r| Guard::Props {
            read: r.clone(),
            changing: props.clone(),
        });
        let plan = result.map(|url| {
            (
                Spec::new(Method::Proppatch, url).xml(proppatch_body(&values)),
                Main::Proppatch,
            )
        });
        CollectionWrite::start(self, plan, guard)
    }

    /// Deletes a collection and everything in it. With `read` (the collection as the caller
    /// last read it), the deletion goes ahead only if its ctag and sync-token are still what
    /// the caller read (nothing was added, changed or removed since), else it fails with
    /// [`ErrorKind::PreconditionFailed`]; `None` deletes unconditionally. A page answered 200
    /// is a [`ErrorKind::Transport`] error, as for [`Session::create_calendar`].
    pub fn delete_collection(&self, url: &str, read: Option<&Collection>) -> CollectionWrite {
        let plan = self.url(url).and_then(|u| {
            if let Some(r) = read
                && r.ctag.is_none()
                && r.sync_token.is_none()
            {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "the collection as read has no ctag or sync-token to compare; read it with \
                     get_collection, or pass no read collection to delete unconditionally",
                ));
            }
            Ok((
                Spec::new(Method::Delete, href::as_collection(&u)),
                Main::Delete,
            ))
        });
        CollectionWrite::start(self, plan, read.map(|r| Guard::Version(r.clone())))
    }

    /// Refuses, before sending, a PROPPATCH of properties the profile's server does not let
    /// clients set ([`Profile::settable_props`](crate::Profile::settable_props)).
    fn check_settable(&self, values: &[PropValue]) -> Result<()> {
        let profile = &self.ctx.profile;
        let Some(settable) = &profile.settable_props else {
            return Ok(());
        };
        if settable.is_empty() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile cannot change collection properties (no PROPPATCH)",
                    profile.name
                ),
            ));
        }
        match values
            .iter()
            .find(|v| !settable.iter().any(|n| *n == *v.name.local))
        {
            Some(v) => Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile cannot set the {} property (it sets only {})",
                    profile.name,
                    v.name.local,
                    settable.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// Lists the calendars and address books inside a home set.
    pub fn list_collections(&self, home_url: &str) -> SingleExchange<Vec<Collection>> {
        let url = match self.url(home_url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let spec = Spec::new(Method::Propfind, url)
            .header("Depth", Depth::One.as_str())
            .xml(propfind_body(&COLLECTION_PROPS));
        let limits = self.ctx.limits;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            let ms = expect_multistatus(&reply, &limits)?;
            check_listing(&ms.responses, &reply.url)?;
            let mut collections = Vec::new();
            for r in &ms.responses {
                let c = Collection::from_response(r);
                if c.kind != CollectionKind::Other {
                    collections.push(c);
                }
            }
            Ok(collections)
        })
    }

    /// Reads one collection's properties (ctag, sync token, name, ...).
    pub fn get_collection(&self, url: &str) -> SingleExchange<Collection> {
        let url = match self.url(url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let spec = Spec::new(Method::Propfind, url)
            .header("Depth", Depth::Zero.as_str())
            .xml(propfind_body(&COLLECTION_PROPS));
        let limits = self.ctx.limits;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            read_collection(reply, &limits)
        })
    }

    fn member_collection_url(&self, home_url: &str, slug: &str) -> Result<crate::url::Url> {
        if slug.is_empty() || slug.contains('/') {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a collection name must be non-empty and contain no '/'",
            ));
        }
        let home = href::as_collection(&self.url(home_url)?);
        home.join(&format!("{}/", href::encode_segment(slug)))
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad name: {e}")))
    }
}

pub(crate) fn read_collection(reply: Reply, limits: &Limits) -> Result<Collection> {
    let ms = expect_multistatus(&reply, limits)?;
    let me = self_response(&ms.responses, &reply.url).ok_or_else(|| {
        Error::new(ErrorKind::Protocol, "the PROPFIND answer has no response")
            .with_url(reply.url.as_str())
    })?;
    // Xandikos answers a PROPFIND on a missing collection with 207 and an inner 404.
    let status = me.effective_status();
    if !(200..300).contains(&status) {
        let kind = if status == 404 || status == 410 {
            ErrorKind::NotFound
        } else {
            ErrorKind::Http
        };
        return Err(Error::new(
            kind,
            format!("the server answered {status} for the collection"),
        )
        .with_status(status)
        .with_url(reply.url.as_str()));
    }
    Ok(Collection::from_response(me))
}

fn created(reply: Reply, kind: CollectionKind, props: CollectionProps) -> Result<Collection> {
    let Reply { url, response } = reply;
    if !response.is_success() {
        return Err(Error::from_response(url.as_str(), &response));
    }
    // A login proxy's or captive portal's page is no creation.
    refuse_page(url.as_str(), &response)?;
    Ok(Collection {
        url: url.to_string(),
        kind,
        display_name: props.display_name,
        description: props.description,
        color: props.color,
        ctag: None,
        sync_token: None,
        components: props.components,
        privileges: Vec::new(),
        resource_types: Vec::new(),
        add_member_url: None,
        supports_sync_collection: None,
    })
}

/// What a guarded collection write compares before writing.
#[derive(Debug)]
enum Guard {
    /// The ctag and sync-token the caller read.
    Version(Collection),
    /// The values of the properties being changed, as the caller read them.
    Props {
        read: Collection,
        changing: CollectionProps,
    },
}

#[derive(Clone, Copy, Debug)]
enum Main {
    Proppatch,
    Delete,
}

#[derive(Debug)]
enum Step {
    Check,
    Main(Main),
}

/// A collection change or deletion, checked first when the caller says what it read; create
/// it with [`Session::update_collection`] or [`Session::delete_collection`].
pub struct CollectionWrite {
    m: Machine<Step, ()>,
    guard: Option<Guard>,
    main: Option<(Spec, Main)>,
}

impl std::fmt::Debug for CollectionWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectionWrite").finish_non_exhaustive()
    }
}

impl CollectionWrite {
    fn start(session: &Session, plan: Result<(Spec, Main)>, guard: Option<Guard>) -> Self {
        let mut op = CollectionWrite {
            m: Machine::new(session.ctx.clone()),
            guard,
            main: None,
        };
        let (spec, main) = match plan {
            Ok(p) => p,
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        };
        if op.guard.is_some() {
            let check = Spec::new(Method::Propfind, spec.url.clone())
                .header("Depth", Depth::Zero.as_str())
                .xml(propfind_body(&COLLECTION_PROPS));
            op.main = Some((spec, main));
            op.m.x.send(Step::Check, check);
        } else {
            op.m.x.send(Step::Main(main), spec);
        }
        op
    }

    fn on_reply(&mut self, step: Step, reply: Result<Reply>) {
        let outcome = reply.and_then(|reply| match step {
            Step::Check => self.on_check(reply),
            Step::Main(Main::Proppatch) => {
                proppatched(reply, &self.m.x.ctx().limits).map(|()| self.m.finish(Ok(())))
            }
            Step::Main(Main::Delete) => {
                deleted(reply, &self.m.x.ctx().limits).map(|()| self.m.finish(Ok(())))
            }
        });
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    fn on_check(&mut self, reply: Reply) -> Result<()> {
        let url = reply.url.to_string();
        let now = read_collection(reply, &self.m.x.ctx().limits)?;
        let changed: Vec<&str> = match &self.guard {
            Some(Guard::Version(read)) => {
                let mut c = Vec::new();
                if read.ctag.is_some() && read.ctag != now.ctag {
                    c.push("ctag");
                }
                if read.sync_token.is_some() && read.sync_token != now.sync_token {
                    c.push("sync-token");
                }
                c
            }
            Some(Guard::Props { read, changing }) => {
                let mut c = Vec::new();
                if changing.display_name.is_some() && read.display_name != now.display_name {
                    c.push("display name");
                }
                if changing.description.is_some() && read.description != now.description {
                    c.push("description");
                }
                if changing.color.is_some() && read.color != now.color {
                    c.push("colour");
                }
                c
            }
            None => Vec::new(),
        };
        if !changed.is_empty() {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                format!(
                    "the collection changed on the server since it was read ({})",
                    changed.join(", ")
                ),
            )
            .with_status(412)
            .with_url(&url));
        }
        match self.main.take() {
            Some((spec, main)) => self.m.x.send(Step::Main(main), spec),
            None => return Err(Error::new(ErrorKind::Protocol, "nothing to write")),
        }
        Ok(())
    }
}

impl_operation!(CollectionWrite, ());

/// The result of a DELETE: a 207 names the members the server could not delete (a locked
/// one, one the user may not delete), and the collection is still there; a 200 page is a
/// login proxy's or captive portal's, no deletion.
fn deleted(reply: Reply, limits: &Limits) -> Result<()> {
    if reply.response.status == 207 {
        multistatus_refusal(&reply, limits)
    } else if reply.response.is_success() {
        refuse_page(reply.url.as_str(), &reply.response)
    } else {
        Err(Error::from_response(reply.url.as_str(), &reply.response))
    }
}

/// The result of a PROPPATCH: every property set, or the ones the server refused.
fn proppatched(reply: Reply, limits: &Limits) -> Result<()> {
    let ms = expect_multistatus(&reply, limits)?;
    // Loops, not an adapter chain (its own collecting code in the WebAssembly module).
    let mut failed = Vec::new();
    for p in ms.responses.iter().flat_map(|r| r.propstats.iter()) {
        if !(200..300).contains(&p.status) {
            for e in &p.props {
                failed.push(format!("{} ({})", e.name.local, p.status));
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Http,
            format!("the server refused to set: {}", failed.join(", ")),
        )
        .with_url(reply.url.as_str()))
    }
}
