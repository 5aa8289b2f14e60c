//! Writes of one object under an ETag condition (RFC 9110 §13.1): create with
//! `If-None-Match: *` (RFC 4791 §5.3.2) or by POST to an add-member URL (RFC 5995), update and
//! delete with `If-Match`, each adapted to the server's profile:
//!
//! - a server that ignores `If-Match` (Google Contacts) gets the ETag compared by davkit first,
//!   so a stale update is refused instead of silently overwriting;
//! - a server that rewrites what it stores (Google) is read back after the write, so the caller
//!   holds the server's version and ETag and a later sync sees no false change;
//! - a server that speaks only vCard 3.0 gets 4.0 cards converted before sending;
//! - a server that names calendar resources after their UID (Google Calendar) gets that name,
//!   and, because it ignores `If-None-Match`, a check that nothing is stored there first (a
//!   PROPFIND; a 404 lets the PUT go), so an existing event with that UID is never replaced;
//! - a create the server answers 200/204 (it replaced something) is reported with
//!   [`WriteResult::replaced`], never as a clean create.
//!
//! A write is never repeated blindly. When the request fails in transit (the server may or may
//! not have applied it), the object is read back first: a write whose data is found there is
//! reported as done; one found not applied (the version the caller read is still there, or
//! nothing is at a create's name) is sent once more, after davkit's own check of the
//! precondition once more where the server ignores it (the read may come from a replica
//! behind the write, and such a server would let the repeat replace it); anything else (the object changed by
//! someone, or gone after a delete) is reported as a [`ErrorKind::Transport`] error that says
//! the outcome is unknown. A server error that may come after the write was applied (500, 502,
//! 504) is read back the same way: found applied, the write is reported done; otherwise the
//! error stands, and nothing is sent again. The races left: a create applied, its answer
//! lost, and the object deleted by another device before the read-back is created again; and
//! a create applied, its answer lost and its read-back answered 404 by a replica behind, is
//! sent once more with `If-None-Match: *`, which a server that ignores that header only
//! sometimes (one that always does gets davkit's own name check) applies again, with the same
//! data, reported as [`WriteResult::replaced`]. A
//! POST is never repeated (its target is not known). Once the write is applied, a failed
//! read-back leaves `data` empty instead of failing (or re-running) a write that happened.
//!
//! The name check and the read that resolves a lost write ask the server to close the
//! connection after answering (`Connection: close`): their answer is usually a 404, after which
//! some servers close the connection without saying so, and the write that follows must not go
//! out on it.

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::{HttpResponse, Method};
use crate::model::WriteResult;
use crate::ops::objects::{expect_multistatus, multistatus_refusal, strong_form};
use crate::rfc4918::{Depth, has_condition, propfind_body};
use crate::session::Session;
use crate::xml::{CALDAV, CARDDAV, names};

/// The `Connection` header of the reads whose answer is usually an error (a create's name
/// check, and the read that resolves a write lost in transit, whose 404 lets it be sent again):
/// `close`, so that the write after it goes on a new connection. Some servers close a
/// connection a moment after an error answer without saying so (SOGo's `sogod` after every
/// 4xx), and a write sent on it meanwhile is reset unread, and would be reported lost.
/// HTTP/2 drops the header, and it costs nothing where the server closes anyway.
const CLOSE: &str = "close";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Post,
    Update,
    Delete,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// The server ignores If-Match: compare the ETag first.
    Check,
    /// The server ignores If-None-Match: make sure nothing is there first.
    Vacant,
    Main,
    Reread,
    /// The main request failed in transit: read the object to learn whether it was applied.
    Resolve,
}

/// A conditional write; create it with [`Session::create_object`], [`Session::update_object`],
/// [`Session::delete_object`] or [`Session::post_object`].
pub struct Write {
    m: Machine<Step, WriteResult>,
    kind: Kind,
    main: Option<Spec>,
    /// A copy of the main request, to send once more when a read shows it was not applied.
    retry: Option<Spec>,
    /// The check davkit makes before the main request for a server that ignores its
    /// precondition (`Step::Check` or `Step::Vacant`), made again before it is sent once more.
    precheck: Option<(Step, Spec)>,
    /// The transport error of the main request, while it is being resolved.
    lost: Option<Error>,
    expected_etag: Option<String>,
    /// The ETag the caller read (update, delete), to tell an applied write from one that was not.
    read_etag: Option<String>,
    reread: bool,
    /// The main request was sent a second time after a read showed the first was not applied.
    resent: bool,
    /// The main request was answered with a server error (`lost` holds it), which the server
    /// may have sent after applying the write: read back, it is done if applied, else that
    /// error, never sent again.
    answered: bool,
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
                uid_name(&body, &self.ctx.limits)?
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
    /// [`ErrorKind::PreconditionFailed`] and nothing is overwritten. `If-Match` carries `etag`
    /// in its strong form: `If-Match` compares strongly (RFC 9110 §13.1.1), so a weak `W/"x"`
    /// (one a compressing proxy made, or an app stored before davkit read GETs' ETags in
    /// their strong form) would never match, and `"x"` names the same version.
    pub fn update_object(&self, url: &str, data: &str, etag: &str) -> Write {
        let plan = self.url(url).and_then(|u| {
            require_etag(etag)?;
            let body = self.wire_data(data)?;
            let spec = Spec::new(Method::Put, u)
                .header("If-Match", strong_form(etag))
                .body(content_type(&body), body.into_bytes());
            Ok((Kind::Update, spec))
        });
        Write::start(self, plan, Some(etag.trim().to_owned()))
    }

    /// Deletes an object, only if its ETag is still `etag` (sent in its strong form, as by
    /// [`update_object`](Session::update_object)).
    pub fn delete_object(&self, url: &str, etag: &str) -> Write {
        let plan = self.url(url).and_then(|u| {
            require_etag(etag)?;
            Ok((
                Kind::Delete,
                Spec::new(Method::Delete, u).header("If-Match", strong_form(etag)),
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
        if let Some(actions) = &profile.alarm_actions
            && let Some(action) = unsupported_alarm_action(data, actions)
        {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} profile does not store {action} alarms (it stores {})",
                    profile.name,
                    actions.join(", ")
                ),
            ));
        }
        if profile.vcard3 && is_vcard(data) {
            let card = crate::vcard::VCard::parse_with_limits(data, &self.ctx.limits)
                .map_err(Error::from)?;
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
            retry: None,
            precheck: None,
            lost: None,
            expected_etag: None,
            read_etag: expected.clone(),
            reread: false,
            resent: false,
            answered: false,
            result: None,
        };
        let (kind, spec) = match plan {
            Ok(p) => p,
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        };
        // A write to SOGo's DAV root gets SOGo's checks whatever the profile: it ignores
        // `If-None-Match: *` and a DELETE's `If-Match`, and rewrites what it stores
        // (`Profile::sogo`).
        let sogo = crate::profile::is_sogo_path(spec.url.path());
        op.kind = kind;
        op.reread = (profile.reread_after_write || sogo) && kind != Kind::Delete;
        if kind != Kind::Post {
            op.retry = Some(spec.clone());
        }
        if kind == Kind::Create && (!profile.if_none_match || sogo) {
            // The server would replace whatever is there: make sure nothing is.
            let check = Spec::new(Method::Propfind, spec.url.clone())
                .header("Depth", Depth::Zero.as_str())
                .header("Connection", CLOSE)
                .xml(propfind_body(&[names::GETETAG]));
            op.main = Some(spec);
            op.precheck = Some((Step::Vacant, check.clone()));
            op.m.x.send(Step::Vacant, check);
        } else if profile.if_match_ignored && matches!(kind, Kind::Update | Kind::Delete)
            || (profile.if_match_ignored_on_delete || sogo) && kind == Kind::Delete
        {
            // The server would overwrite or delete whatever the ETag says: compare it here
            // first.
            op.expected_etag = expected;
            let check = Spec::new(Method::Propfind, spec.url.clone())
                .header("Depth", Depth::Zero.as_str())
                .xml(propfind_body(&[names::GETETAG]));
            op.main = Some(spec);
            op.precheck = Some((Step::Check, check.clone()));
            op.m.x.send(Step::Check, check);
        } else {
            op.m.x.send(Step::Main, spec);
        }
        op
    }

    fn on_reply(&mut self, step: Step, reply: Result<Reply>) {
        let outcome = match (step, reply) {
            (Step::Main, Err(e)) if e.kind() == ErrorKind::Transport => self.on_lost(e),
            // A 303 says where to read the request's outcome, not what it was (an
            // authenticating proxy answers any request so), and a 200 with an HTML page is a
            // login proxy's or captive portal's page as likely as a write's answer (CalDAV and
            // CardDAV servers answer a write 201 or 204, or 200 without a page): taken for the
            // write, it would report done a write that never reached the server. Both are
            // resolved by reading the object, as an answer lost in transit is.
            (Step::Main, Ok(reply))
                if reply.response.status == 303 || reply.response.is_html_page() =>
            {
                let e = Error::new(ErrorKind::Transport, ANSWER_SAYS_NOTHING)
                    .with_status(reply.response.status)
                    .with_url(reply.url.as_str());
                self.on_lost(e)
            }
            // A server error may come after the write was applied (a hook that failed after
            // the store, a gateway that gave up waiting: 500, 502, 504): read back, as a write
            // lost in transit is, so that an applied write is reported done.
            (Step::Main, Ok(reply))
                if matches!(reply.response.status, 500 | 502 | 504) && self.retry.is_some() =>
            {
                self.answered = true;
                let e = write_error(reply.url.as_str(), &reply.response);
                self.on_lost(e)
            }
            (Step::Reread, Err(_)) => self.reread_failed(),
            (Step::Resolve, Err(_)) if self.answered => Err(self.server_error()),
            (Step::Resolve, Err(_)) => Err(self.unknown_outcome()),
            (_, Err(e)) => Err(e),
            (Step::Check, Ok(reply)) => self.on_check(reply),
            (Step::Vacant, Ok(reply)) => self.on_vacant(reply),
            (Step::Main, Ok(reply)) => self.on_main(reply),
            (Step::Reread, Ok(reply)) => self.on_reread(reply),
            (Step::Resolve, Ok(reply)) => self.on_resolve(reply),
        };
        if let Err(e) = outcome {
            // Failed once sent again: the first send may have been applied after all (the read
            // that found it not applied may come from a replica behind it), so a refusal may
            // be of this very write, and a rate limit or a 401 must not have the client's
            // retries run the whole write again. Its outcome is unknown, not a conflict.
            let e = if self.resent && e.kind() != ErrorKind::Transport {
                self.unknown_outcome()
            } else {
                e
            };
            self.m.fail(e);
        }
    }

    fn on_check(&mut self, reply: Reply) -> Result<()> {
        let ms = expect_multistatus(&reply, &self.m.x.ctx().limits)?;
        let current = crate::ops::discover::self_response(&ms.responses, &reply.url)
            .and_then(|r| r.prop_text(&names::GETETAG));
        if current.is_none()
            || current.as_deref().map(strong_form) != self.expected_etag.as_deref().map(strong_form)
        {
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

    fn on_vacant(&mut self, reply: Reply) -> Result<()> {
        // Nothing there: a 404/410, or a 207 whose row for the name says so.
        let vacant = matches!(reply.response.status, 404 | 410) || {
            let ms = expect_multistatus(&reply, &self.m.x.ctx().limits)?;
            crate::ops::discover::self_response(&ms.responses, &reply.url)
                .is_some_and(|r| matches!(r.status, Some(404) | Some(410)))
        };
        if !vacant {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                "an object already exists at this name (checked by davkit, because this \
                 server ignores If-None-Match)",
            )
            .with_status(412)
            .with_url(reply.url.as_str()));
        }
        match self.main.take() {
            Some(spec) => {
                self.m.x.send(Step::Main, spec);
                Ok(())
            }
            None => Err(Error::new(ErrorKind::Protocol, "nothing to write")),
        }
    }

    /// The main request failed in transit: read the object before anything is repeated.
    fn on_lost(&mut self, error: Error) -> Result<()> {
        let Some(spec) = self.retry.as_ref() else {
            return Err(transport_error(
                &error,
                "the server may have applied the POST; davkit does not repeat it",
            ));
        };
        let read =
            crate::ops::objects::get_object_spec(spec.url.clone()).header("Connection", CLOSE);
        self.lost = Some(error);
        self.m.x.send(Step::Resolve, read);
        Ok(())
    }

    /// The server error a write was answered with, when the read after it did not show it
    /// applied: that error stands.
    fn server_error(&mut self) -> Error {
        self.lost.take().unwrap_or_else(|| {
            Error::new(
                ErrorKind::Http,
                "the server answered the write with an error",
            )
        })
    }

    fn unknown_outcome(&mut self) -> Error {
        let base = self
            .lost
            .take()
            .unwrap_or_else(|| Error::new(ErrorKind::Transport, "the request failed in transit"));
        transport_error(
            &base,
            "the write may or may not have been applied: read the object before writing again",
        )
    }

    /// The object as read after a write failed in transit: applied, not applied, or unknown.
    fn on_resolve(&mut self, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        let status = response.status;
        let current_etag = crate::ops::objects::object_etag(&response);
        let sent = self.retry.as_ref().and_then(|s| s.body.clone());
        let same_body = status == 200
            && sent
                .as_deref()
                .is_some_and(|b| same_data(b, &response.body));
        let untouched = status == 200
            && current_etag.is_some()
            && current_etag.as_deref() == self.read_etag.as_deref().map(strong_form);
        // Only what no other writer could have produced counts: the data sent is there.
        // A delete found gone proves nothing (another device may have deleted it first), so
        // it is reported as unknown, with the note that the object is gone now.
        let applied = match self.kind {
            Kind::Create | Kind::Update => same_body,
            Kind::Delete | Kind::Post => false,
        };
        let not_applied = match self.kind {
            Kind::Create => matches!(status, 404 | 410),
            Kind::Update | Kind::Delete => untouched,
            Kind::Post => false,
        };
        if applied {
            self.lost = None;
            let data = String::from_utf8(response.body.clone()).ok();
            self.m.finish(Ok(WriteResult {
                url: url.to_string(),
                etag: current_etag,
                data: if self.reread { data } else { None },
                replaced: false,
            }));
            return Ok(());
        }
        if self.answered && !applied {
            // Not found applied: the server's error stands (the read changed nothing).
            return Err(self.server_error());
        }
        if not_applied {
            if self.resent {
                let base = self.lost.take().unwrap_or_else(|| {
                    Error::new(ErrorKind::Transport, "the request failed in transit")
                });
                return Err(transport_error(&base, "sent twice, applied neither time"));
            }
            // Sent once more, and only once; where davkit checks the precondition itself, after
            // that check once more: the read that found the write not applied may come from a
            // replica behind the write, and the server would not refuse what replaces it.
            if let Some(spec) = self.retry.clone() {
                self.resent = true;
                match self.precheck.clone() {
                    Some((step, check)) => {
                        self.main = Some(spec);
                        self.m.x.send(step, check);
                    }
                    None => self.m.x.send(Step::Main, spec),
                }
                return Ok(());
            }
        }
        // Another object is there (ours, changed since by someone else, or someone else's), or
        // the object is gone: whether this write was applied cannot be told.
        let mut error = self.unknown_outcome();
        if matches!(status, 404 | 410) {
            error = Error::new(
                ErrorKind::Transport,
                format!("{}; the object is not there now", error.message()),
            )
            .with_url(url.as_str());
        }
        Err(error)
    }

    fn reread_failed(&mut self) -> Result<()> {
        // The write is applied; the read-back only refreshes data and ETag.
        if let Some(result) = self.result.take() {
            self.m.finish(Ok(result));
        }
        Ok(())
    }

    fn on_main(&mut self, reply: Reply) -> Result<()> {
        if !reply.response.is_success() {
            let error = write_error(reply.url.as_str(), &reply.response);
            // A POST is never repeated, by the client's retries either.
            return Err(if self.kind == Kind::Post {
                error.not_repeated()
            } else {
                error
            });
        }
        // A 207 names what the server did not do (a DELETE's locked member).
        if reply.response.status == 207 {
            multistatus_refusal(&reply, &self.m.x.ctx().limits)?;
        }
        let Reply { url, response } = reply;
        // RFC 9110 §9.3.4: a PUT that creates answers 201; 200 or 204 means it replaced something.
        let replaced = self.kind == Kind::Create && response.status != 201;
        let location = response.header("location");
        let url = match (
            self.kind,
            location.and_then(|l| located(&url, l, self.kind)),
        ) {
            (_, Some(moved)) => moved,
            (Kind::Post, _) => {
                let what = if location.is_some() {
                    "the server created the object but its Location names another origin"
                } else {
                    "the server created the object but sent no Location"
                };
                return Err(Error::new(ErrorKind::Protocol, what).with_url(url.as_str()));
            }
            (_, None) => url,
        };
        let result = WriteResult {
            url: url.to_string(),
            etag: response.header("etag").map(str::to_owned),
            data: None,
            replaced,
        };
        if self.reread {
            self.result = Some(result);
            self.m
                .x
                .send(Step::Reread, crate::ops::objects::get_object_spec(url));
        } else {
            self.m.finish(Ok(result));
        }
        Ok(())
    }

    fn on_reread(&mut self, reply: Reply) -> Result<()> {
        let Reply { url, response } = reply;
        let data = match String::from_utf8(response.body.clone()) {
            Ok(d) if response.status == 200 && crate::ops::objects::is_object_text(&d) => d,
            // The write is applied: a read-back that fails, or answers a page that is not an
            // object (a login proxy's), leaves `data` empty.
            _ => return self.reread_failed(),
        };
        let mut result = self.result.take().unwrap_or(WriteResult {
            url: url.to_string(),
            etag: None,
            data: None,
            replaced: false,
        });
        result.etag = crate::ops::objects::object_etag(&response).or(result.etag);
        result.data = Some(data);
        self.m.finish(Ok(result));
        Ok(())
    }
}

impl_operation!(Write, WriteResult);

/// What a write answered 303 See Other or 200 with a page ([`HttpResponse::is_html_page`])
/// is reported as when nothing shows whether it was applied.
///
/// [`HttpResponse::is_html_page`]: crate::http::HttpResponse::is_html_page
pub(crate) const ANSWER_SAYS_NOTHING: &str =
    "the server's answer (303 See Other, or a page) does not say whether it applied the write";

/// Refuses, as a write of unknown outcome (`Transport`), a write's 200 answer with an HTML page
/// ([`HttpResponse::is_html_page`]): a login proxy's or captive portal's page says nothing of
/// whether the server applied the write. For the writes that are not read back (scheduling,
/// collections, the Calendar API's writes and channels); an object's write reads the object
/// instead.
///
/// [`HttpResponse::is_html_page`]: crate::http::HttpResponse::is_html_page
pub(crate) fn refuse_page(url: &str, response: &crate::http::HttpResponse) -> Result<()> {
    if response.is_html_page() {
        return Err(Error::new(ErrorKind::Transport, ANSWER_SAYS_NOTHING)
            .with_status(200)
            .with_url(url));
    }
    Ok(())
}

/// Refuses a write without an ETag: davkit never writes without a precondition.
pub(crate) fn require_etag(etag: &str) -> Result<()> {
    if strong_form(etag).is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "an ETag is required: davkit never writes without a precondition (an object read \
             or written without one, by a server that sent none, has to be read again)",
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
pub(crate) fn uid_name(data: &str, limits: &crate::Limits) -> Result<String> {
    let calendar =
        crate::icalendar::Calendar::parse_with_limits(data, limits).map_err(Error::from)?;
    let uid = calendar
        .objects()
        .find_map(|o| o.uid().map(|u| u.into_owned()))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "the event has no UID"))?;
    Ok(format!("{uid}.ics"))
}

/// Whether what the server holds is what was sent: the same content lines, unfolded as RFC
/// 5545 §3.1 says ([`unfold_bytes`](crate::contentline::unfold_bytes)), in any order (servers
/// reorder properties when they store an object), trailing space and line endings aside.
pub(crate) fn same_data(sent: &[u8], stored: &[u8]) -> bool {
    sorted_lines(sent) == sorted_lines(stored)
}

/// Whether what the server holds has every content line that was sent (a server that
/// rewrites what it stores, like Google, adds properties of its own).
pub(crate) fn contains_data(sent: &[u8], stored: &[u8]) -> bool {
    let stored = sorted_lines(stored);
    sorted_lines(sent)
        .iter()
        .all(|line| stored.binary_search(line).is_ok())
}

/// The unfolded content lines, trailing space and empty lines aside, sorted.
fn sorted_lines(b: &[u8]) -> Vec<String> {
    let unfolded = crate::contentline::unfold_bytes(b);
    let mut out = Vec::new();
    for l in String::from_utf8_lossy(&unfolded).lines() {
        let l = l.trim_end();
        if !l.is_empty() {
            out.push(l.to_owned());
        }
    }
    out.sort_unstable();
    out
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

/// The first `ACTION` of a VALARM (RFC 5545 §3.8.6.1) that is not in `allowed`, in an
/// iCalendar body (content lines unfolded; parameters skipped, a quoted `:` included).
fn unsupported_alarm_action(data: &str, allowed: &[String]) -> Option<String> {
    if !data.trim_start().starts_with("BEGIN:VCALENDAR") {
        return None;
    }
    let mut lines: Vec<String> = Vec::new();
    for raw in data.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(raw.to_owned()),
        }
    }
    let mut in_alarm = 0usize;
    for line in &lines {
        let upper = line.trim_end().to_ascii_uppercase();
        if upper == "BEGIN:VALARM" {
            in_alarm += 1;
        } else if upper == "END:VALARM" {
            in_alarm = in_alarm.saturating_sub(1);
        } else if in_alarm > 0
            && upper.starts_with("ACTION")
            && matches!(upper.as_bytes().get(6), Some(b':' | b';'))
        {
            let mut quoted = false;
            let colon = upper.char_indices().find_map(|(i, c)| match c {
                '"' => {
                    quoted = !quoted;
                    None
                }
                ':' if !quoted => Some(i),
                _ => None,
            })?;
            let value = upper[colon + 1..].trim();
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
                return Some(value.to_owned());
            }
        }
    }
    None
}

/// The media type for an iCalendar or vCard body.
pub(crate) fn content_type(data: &str) -> &'static str {
    if is_vcard(data) {
        "text/vcard; charset=utf-8"
    } else {
        "text/calendar; charset=utf-8"
    }
}

/// A transport error with a note on what it means for the write.
fn transport_error(base: &Error, note: &str) -> Error {
    let e = Error::new(ErrorKind::Transport, format!("{} ({note})", base.message()));
    match base.url() {
        Some(u) => e.with_url(u),
        None => e,
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

/// Where the answer to a write of `request` says the object is (`Location`, resolved against
/// the request URL). Never another origin: a Location there is not taken (a PUT's object stays
/// where it was written, and a POST fails), so a server cannot make the app keep, and later
/// write to, a URL on another host. One repair: Xandikos 0.4.10 answers a POST with
/// `Location: //user/calendars/work/NAME.ics`, an absolute path written with a doubled slash,
/// which RFC 3986 reads as a host named `user`; read as that path, it is taken when it names a
/// member of the collection the POST went to.
fn located(request: &crate::url::Url, location: &str, kind: Kind) -> Option<crate::url::Url> {
    let resolved = href::resolve(request, location).ok()?;
    if href::same_origin(&resolved, request) {
        return Some(resolved);
    }
    let location = location.trim();
    if kind != Kind::Post || !location.starts_with("//") {
        return None;
    }
    let path = format!("/{}", location.trim_start_matches('/'));
    let member = href::resolve(request, &path).ok()?;
    let collection = request.path();
    (member.path().starts_with(collection) && member.path().len() > collection.len())
        .then_some(member)
}

#[cfg(test)]
mod tests {
    use super::{Kind, located, same_data, unsupported_alarm_action};

    #[test]
    fn a_location_is_taken_on_the_same_origin_only() {
        let url = |s: &str| crate::url::Url::parse(s).expect("url");
        let put = url("https://dav.example.com/cal/work/a.ics");
        let post = url("https://dav.example.com/cal/work/?action=add-member");
        let at =
            |req: &crate::url::Url, l: &str, kind| located(req, l, kind).map(|u| u.to_string());
        assert_eq!(
            at(&put, "/cal/work/b.ics", Kind::Create).as_deref(),
            Some("https://dav.example.com/cal/work/b.ics")
        );
        assert_eq!(
            at(&post, "x1.ics", Kind::Post).as_deref(),
            Some("https://dav.example.com/cal/work/x1.ics")
        );
        // Another origin is never taken, however it is written.
        for other in [
            "https://evil.example/cal/work/b.ics",
            "http://dav.example.com/cal/work/b.ics",
            "https://dav.example.com:8443/cal/work/b.ics",
            "//evil.example/cal/work/b.ics",
        ] {
            assert_eq!(at(&put, other, Kind::Create), None, "{other}");
            assert_eq!(at(&post, other, Kind::Post), None, "{other}");
        }
        // Xandikos 0.4.10: an absolute path with a doubled slash, read as that path when it
        // names a member of the collection posted to; not for a PUT, not outside it.
        let xandikos = url("http://127.0.0.1:8080/user/calendars/work/");
        assert_eq!(
            at(&xandikos, "//user/calendars/work/6c45.ics", Kind::Post).as_deref(),
            Some("http://127.0.0.1:8080/user/calendars/work/6c45.ics")
        );
        assert_eq!(at(&xandikos, "//user/calendars/work/", Kind::Post), None);
        assert_eq!(
            at(&xandikos, "//user/calendars/other/x.ics", Kind::Post),
            None
        );
        assert_eq!(
            at(&xandikos, "//user/calendars/work/6c45.ics", Kind::Create),
            None
        );
    }

    #[test]
    fn alarm_actions_are_read_from_valarms_only() {
        let allowed = ["DISPLAY".to_owned(), "EMAIL".to_owned()];
        let audio = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\nACTION;X-P=\"a:b\":au\r\n dio\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            unsupported_alarm_action(audio, &allowed).as_deref(),
            Some("AUDIO")
        );
        let display = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nX-ACTION:AUDIO\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(unsupported_alarm_action(display, &allowed), None);
        let outside = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nACTION:AUDIO\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(unsupported_alarm_action(outside, &allowed), None);
        assert_eq!(
            unsupported_alarm_action("BEGIN:VCARD\nACTION:AUDIO\n", &allowed),
            None
        );
    }

    #[test]
    fn same_data_ignores_order_and_folding_but_not_content() {
        let sent = b"BEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:a b\r\nEND:VEVENT\r\n";
        // Reordered, and folded after the space (RFC 5545 3.1: the space before the fold is
        // content, the one after it is the fold).
        let stored = b"BEGIN:VEVENT\nSUMMARY:a \n b\nUID:u1\nEND:VEVENT\n";
        assert!(same_data(sent, stored));
        let other = b"BEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:ab\r\nEND:VEVENT\r\n";
        assert!(!same_data(sent, other));
    }
}
