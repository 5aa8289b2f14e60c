//! Writes of one object under an ETag condition (RFC 9110 §13.1): create with
//! `If-None-Match: *` (RFC 4791 §5.3.2) or by POST to an add-member URL (RFC 5995), update and
//! delete with `If-Match`, each adapted to the server's profile:
//!
//! - a server that ignores `If-Match` (Google Contacts) gets the ETag compared by davkit first,
//!   so a stale update is refused instead of silently overwriting;
//! - a server that rewrites what it stores (Google) is read back after the write, so the caller
//!   holds the server's version and ETag and a later sync sees no false change;
//! - a server that speaks only vCard 3.0 gets 4.0 cards converted before sending;
//! - a server that names calendar resources after their UID (Google Calendar) gets that name.

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::{HttpResponse, Method};
use crate::model::WriteResult;
use crate::ops::objects::expect_multistatus;
use crate::rfc4918::{Depth, has_condition, propfind_body};
use crate::session::Session;
use crate::xml::{CALDAV, CARDDAV, names};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Post,
    Update,
    Delete,
}

#[derive(Debug)]
enum Step {
    Check,
    Main,
    Reread,
}

/// A conditional write; create it with [`Session::create_object`], [`Session::update_object`],
/// [`Session::delete_object`] or [`Session::post_object`].
pub struct Write {
    m: Machine<Step, WriteResult>,
    kind: Kind,
    main: Option<Spec>,
    expected_etag: Option<String>,
    reread: bool,
    result: Option<WriteResult>,
}

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Creates a new object named `name` in a collection; fails with
    /// [`ErrorKind::PreconditionFailed`] if something already exists there. Where the
    /// profile creates by POST (Google Contacts), the server picks the name instead; where it
    /// names events after their UID (Google Calendar), that name is used.
    pub fn create_object(&self, collection_url: &str, name: &str, data: &str) -> Write {
        let plan = self.url(collection_url).and_then(|collection| {
            let collection = href::as_collection(&collection);
            let body = self.wire_data(data)?;
            let profile = &self.ctx.profile;
            if profile.create_by_post {
                let spec = Spec::new(Method::Post, collection)
                    .body(content_type(&body), body.into_bytes());
                return Ok((Kind::Post, spec));
            }
            let name = if profile.name_by_uid {
                uid_name(&body)?
            } else {
                checked_name(name)?.to_owned()
            };
            let url = collection
                .join(&href::encode_segment(&name))
                .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad name: {e}")))?;
            let mut spec = Spec::new(Method::Put, url).body(content_type(&body), body.into_bytes());
            if profile.if_none_match {
                spec = spec.header("If-None-Match", "*");
            }
            Ok((Kind::Create, spec))
        });
        Write::start(self, plan, None)
    }

    /// Replaces an object, only if its ETag is still `etag`; a 412 becomes
    /// [`ErrorKind::PreconditionFailed`] and nothing is overwritten.
    pub fn update_object(&self, url: &str, data: &str, etag: &str) -> Write {
        let plan = self.url(url).and_then(|u| {
            require_etag(etag)?;
            let body = self.wire_data(data)?;
            let spec = Spec::new(Method::Put, u)
                .header("If-Match", etag.trim())
                .body(content_type(&body), body.into_bytes());
            Ok((Kind::Update, spec))
        });
        Write::start(self, plan, Some(etag.trim().to_owned()))
    }

    /// Deletes an object, only if its ETag is still `etag`.
    pub fn delete_object(&self, url: &str, etag: &str) -> Write {
        let plan = self.url(url).and_then(|u| {
            require_etag(etag)?;
            Ok((
                Kind::Delete,
                Spec::new(Method::Delete, u).header("If-Match", etag.trim()),
            ))
        });
        Write::start(self, plan, Some(etag.trim().to_owned()))
    }

    /// Creates an object by POST to a collection's RFC 5995 add-member URL; the server picks
    /// the name and says it in `Location`.
    pub fn post_object(&self, add_member_url: &str, data: &str) -> Write {
        let plan = self.url(add_member_url).and_then(|u| {
            let body = self.wire_data(data)?;
            Ok((
                Kind::Post,
                Spec::new(Method::Post, u).body(content_type(&body), body.into_bytes()),
            ))
        });
        Write::start(self, plan, None)
    }

    /// The body as this server wants it: components it stores, vCard version it speaks.
    fn wire_data(&self, data: &str) -> Result<String> {
        let profile = &self.ctx.profile;
        if let Some(allowed) = &profile.components
            && let Some(comp) = unsupported_component(data, allowed)
        {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile does not store {comp} components",
                    profile.name
                ),
            ));
        }
        if profile.vcard3 && is_vcard(data) {
            let card = crate::vcard::VCard::parse(data)
                .map_err(|e| Error::new(ErrorKind::VCard, e.to_string()))?;
            if card.version() != Some(crate::vcard::Version::V3) {
                return Ok(card.to_v3().to_vcf());
            }
        }
        Ok(data.to_owned())
    }
}

impl Write {
    fn start(session: &Session, plan: Result<(Kind, Spec)>, expected: Option<String>) -> Write {
        let profile = &session.ctx.profile;
        let mut op = Write {
            m: Machine::new(session.ctx.clone()),
            kind: Kind::Create,
            main: None,
            expected_etag: None,
            reread: false,
            result: None,
        };
        let (kind, spec) = match plan {
            Ok(p) => p,
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        };
        op.kind = kind;
        op.reread = profile.reread_after_write && kind != Kind::Delete;
        if profile.if_match_ignored && matches!(kind, Kind::Update | Kind::Delete) {
            // The server would overwrite whatever the ETag says: compare it here first.
            op.expected_etag = expected;
            let check = Spec::new(Method::Propfind, spec.url.clone())
                .header("Depth", Depth::Zero.as_str())
                .xml(propfind_body(&[names::GETETAG]));
            op.main = Some(spec);
            op.m.x.send(Step::Check, check);
        } else {
            op.m.x.send(Step::Main, spec);
        }
        op
    }

    fn on_reply(&mut self, step: Step, reply: Result<Reply>) {
        let outcome = reply.and_then(|reply| match step {
            Step::Check => self.on_check(reply),
            Step::Main => self.on_main(reply),
            Step::Reread => self.on_reread(reply),
        });
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    fn on_check(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply)?;
        let current = crate::ops::discover::self_response(&ms.responses, &reply.url)
            .and_then(|r| r.prop_text(&names::GETETAG));
        if current.is_none() || current != self.expected_etag {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                "the object changed on the server (ETag compared by davkit, because this \
                 server ignores If-Match)",
            )
            .with_status(412)
            .with_url(reply.url.as_str()));
        }
        match self.main.take() {
            Some(spec) => self.m.x.send(Step::Main, spec),
            None => return Err(Error::new(ErrorKind::Protocol, "nothing to write")),
        }
        Ok(())
    }

    fn on_main(&mut self, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        if !response.is_success() {
            return Err(write_error(url.as_str(), &response));
        }
        let location = response.header("location").map(|l| href::resolve(&url, l));
        let url = match (self.kind, location) {
            (_, Some(Ok(moved))) => moved,
            (Kind::Post, _) => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "the server created the object but sent no Location",
                )
                .with_url(url.as_str()));
            }
            (_, _) => url,
        };
        let result = WriteResult {
            url: url.to_string(),
            etag: response.header("etag").map(str::to_owned),
            data: None,
        };
        if self.reread {
            self.result = Some(result);
            let spec = Spec::new(Method::Get, url).header("Accept-Encoding", "identity");
            self.m.x.send(Step::Reread, spec);
        } else {
            self.m.finish(Ok(result));
        }
        Ok(())
    }

    fn on_reread(&mut self, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        if response.status != 200 {
            return Err(Error::from_response(url.as_str(), &response));
        }
        let data = String::from_utf8(response.body.clone()).map_err(|_| {
            Error::new(ErrorKind::Protocol, "the object is not UTF-8 text").with_url(url.as_str())
        })?;
        let mut result = self.result.take().unwrap_or(WriteResult {
            url: url.to_string(),
            etag: None,
            data: None,
        });
        result.etag = response.header("etag").map(str::to_owned).or(result.etag);
        result.data = Some(data);
        self.m.finish(Ok(result));
        Ok(())
    }
}

impl_operation!(Write, WriteResult);

/// Refuses a write without an ETag: davkit never writes without a precondition.
pub(crate) fn require_etag(etag: &str) -> Result<()> {
    if etag.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "an ETag is required: davkit never writes without a precondition",
        ));
    }
    Ok(())
}

fn checked_name(name: &str) -> Result<&str> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "an object name must be non-empty, not `.` or `..`, and contain no '/'",
        ));
    }
    Ok(name)
}

/// `{UID}.ics` for a calendar object (Google Calendar stores events under that name whatever
/// the client asked for).
fn uid_name(data: &str) -> Result<String> {
    let calendar = crate::icalendar::Calendar::parse(data)
        .map_err(|e| Error::new(ErrorKind::ICalendar, e.to_string()))?;
    let uid = calendar
        .objects()
        .find_map(|o| o.uid().map(|u| u.into_owned()))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "the event has no UID"))?;
    Ok(format!("{uid}.ics"))
}

fn is_vcard(data: &str) -> bool {
    data.trim_start().starts_with("BEGIN:VCARD")
}

/// The first VEVENT/VTODO/VJOURNAL in the data that the profile does not store.
fn unsupported_component(data: &str, allowed: &[String]) -> Option<String> {
    if !data.trim_start().starts_with("BEGIN:VCALENDAR") {
        return None;
    }
    data.lines()
        .filter_map(|line| line.trim_end().strip_prefix("BEGIN:"))
        .map(|c| c.trim().to_ascii_uppercase())
        .find(|c| {
            matches!(c.as_str(), "VEVENT" | "VTODO" | "VJOURNAL")
                && !allowed.iter().any(|a| a.eq_ignore_ascii_case(c))
        })
}

/// The media type for an iCalendar or vCard body.
pub(crate) fn content_type(data: &str) -> &'static str {
    if is_vcard(data) {
        "text/vcard; charset=utf-8"
    } else {
        "text/calendar; charset=utf-8"
    }
}

fn write_error(url: &str, response: &HttpResponse) -> Error {
    let uid_conflict = has_condition(&response.body, CALDAV, "no-uid-conflict")
        || has_condition(&response.body, CARDDAV, "no-uid-conflict");
    if uid_conflict {
        return Error::new(
            ErrorKind::PreconditionFailed,
            "another object in this collection already has this UID",
        )
        .with_status(response.status)
        .with_url(url)
        .with_body(&response.body);
    }
    Error::from_response(url, response)
}
