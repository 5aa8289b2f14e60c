//! Request bookkeeping shared by every operation: request ids, standard headers, credentials
//! by origin, and redirects (RFC 9110 §15.4) followed by the core itself.
//!
//! A redirect is re-issued with the same method and body (as RFC 6764 discovery needs for
//! PROPFIND), at most [`Limits::max_redirects`](crate::Limits::max_redirects) times (default
//! [`MAX_REDIRECTS`]), never from https to http, and without credentials when it leaves the
//! trusted origins. A write (any method but GET, HEAD, OPTIONS, PROPFIND and REPORT) never
//! follows a redirect to another origin, nor takes an answer that came from one: it fails
//! with [`ErrorKind::Redirect`] instead (what answers there is a captive portal or a login
//! page, never the server, and its 200 is not the write).
//!
//! Every response an operation receives passes through [`Exchanger::receive`], which refuses a
//! body longer than [`Limits::max_body_bytes`](crate::Limits::max_body_bytes) with an
//! [`ErrorKind::LimitExceeded`] error before any step reads it: the one check that holds for
//! every transport, including hosts that hand the core whole bodies (`fetch`, URLSession,
//! OkHttp).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::url::Url;

use crate::auth::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Header, HttpRequest, HttpResponse, Method, RequestId};
use crate::session::Context;

/// How many redirects one request may follow: the default of
/// [`Limits::max_redirects`](crate::Limits::max_redirects).
pub const MAX_REDIRECTS: u8 = 5;

/// A request before ids and standard headers are added.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<Header>,
    pub body: Option<Vec<u8>>,
}

impl Spec {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        Spec {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn xml(self, body: String) -> Self {
        let mut s = self.header("Content-Type", "application/xml; charset=utf-8");
        s.body = Some(body.into_bytes());
        s
    }

    /// A JSON body (the Calendar API's), written by the core's writer
    /// ([`json_write::value_text`](crate::json_write::value_text)).
    pub(crate) fn json(self, body: &serde_json::Value) -> Self {
        self.body(
            "application/json",
            crate::json_write::value_text(body).into_bytes(),
        )
    }

    pub(crate) fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers
            .push(("Content-Type".to_owned(), content_type.to_owned()));
        self.body = Some(body);
        self
    }
}

/// A response routed back to the step that asked for it.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The URL the response really came from (after redirects); hrefs resolve against it.
    pub url: Url,
    /// The response.
    pub response: HttpResponse,
}

/// One request as the exchanger tracks it: the step's tag and everything else, which is the
/// same for every operation ([`Hop`]).
struct Flight<T> {
    tag: T,
    hop: Hop,
}

/// A request's progress, whatever operation sent it. The exchanger's logic works on this and
/// on [`Requests`] alone, so it is compiled once, not once per operation's tag type.
struct Hop {
    id: RequestId,
    spec: Spec,
    hops: usize,
    credentials_allowed: bool,
    /// Digest challenges answered for this request (RFC 7616): one, and one more when the
    /// server says the nonce was stale.
    digest_tries: u8,
}

/// What became of a response: the request goes out again (a redirect followed or a Digest
/// challenge answered, under a new id), or the step gets the answer.
enum Routed {
    Again,
    Answer(Result<Reply>),
}

/// The part of an exchanger that does not depend on the tag type: the session's context and
/// the request ids.
struct Requests {
    ctx: Arc<Context>,
    next_id: u32,
}

/// Owns the requests of one operation.
pub(crate) struct Exchanger<T> {
    requests: Requests,
    queue: VecDeque<Flight<T>>,
    sent: Vec<Flight<T>>,
}

impl<T> Exchanger<T> {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Exchanger {
            requests: Requests { ctx, next_id: 1 },
            queue: VecDeque::new(),
            sent: Vec::new(),
        }
    }

    pub(crate) fn ctx(&self) -> &Context {
        &self.requests.ctx
    }

    /// Queues a request.
    pub(crate) fn send(&mut self, tag: T, spec: Spec) {
        let hop = self.requests.hop(spec);
        self.queue.push_back(Flight { tag, hop });
    }

    /// The next request to hand to the transport, within the parallelism limit.
    pub(crate) fn next_request(&mut self) -> Option<HttpRequest> {
        if self.sent.len() >= self.requests.ctx.max_parallel {
            return None;
        }
        let flight = self.queue.pop_front()?;
        let request = self.requests.materialize(&flight.hop);
        self.sent.push(flight);
        Some(request)
    }

    /// Whether requests are queued or in flight.
    pub(crate) fn busy(&self) -> bool {
        !self.queue.is_empty() || !self.sent.is_empty()
    }

    /// Forgets everything queued or in flight (the operation is finished).
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.sent.clear();
    }

    /// Takes the request with this id out of the ones in flight.
    fn take_sent(&mut self, id: RequestId) -> Option<Flight<T>> {
        let index = self.sent.iter().position(|f| f.hop.id == id)?;
        Some(self.sent.swap_remove(index))
    }

    /// Routes a transport failure to the step that sent the request.
    pub(crate) fn fail(&mut self, id: RequestId, error: Error) -> Option<(T, Result<Reply>)> {
        let flight = self.take_sent(id)?;
        Some((flight.tag, Err(error)))
    }

    /// Routes a response. Returns `None` for unknown ids and for redirects the exchanger
    /// re-issued itself. A body past `Limits::max_body_bytes` is routed as an error.
    pub(crate) fn receive(
        &mut self,
        id: RequestId,
        response: HttpResponse,
    ) -> Option<(T, Result<Reply>)> {
        let mut flight = self.take_sent(id)?;
        match self.requests.route(&mut flight.hop, response) {
            Routed::Again => {
                self.queue.push_front(flight);
                None
            }
            Routed::Answer(answer) => Some((flight.tag, answer)),
        }
    }

    /// Routes the head of a response whose body the step wants to read as it arrives: a
    /// `207` to a request whose tag `wants`, from a known id. Returns the tag and the URL the
    /// response came from, and forgets the request (its body then goes to the step alone,
    /// which must check it against `Limits::max_body_bytes`). Anything else (a redirect, a
    /// 401 to answer, an error status) returns `None` and is read whole through
    /// [`Exchanger::receive`].
    pub(crate) fn receive_head(
        &mut self,
        id: RequestId,
        head: &HttpResponse,
        wants: impl Fn(&T) -> bool,
    ) -> Option<(T, Url)> {
        if head.status != 207 {
            return None;
        }
        let index = self
            .sent
            .iter()
            .position(|f| f.hop.id == id && wants(&f.tag))?;
        // Only an answer taken here: any other goes through `receive`, which notes it.
        self.requests.ctx.note_answer(head);
        let flight = self.sent.swap_remove(index);
        let effective = effective_url(head, &flight.hop);
        Some((flight.tag, effective))
    }
}

/// The URL a response really came from: the host's report of where it was redirected when
/// that is an http(s) URL (hrefs resolve against it, so another scheme would lead the next
/// requests there), else the request's.
fn effective_url(response: &HttpResponse, hop: &Hop) -> Url {
    match response.final_url.as_deref().map(crate::href::parse_url) {
        Some(Ok(url)) => url,
        _ => hop.spec.url.clone(),
    }
}

impl Requests {
    fn fresh_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    /// A new request's progress, with its id and whether credentials may go with it.
    fn hop(&mut self, spec: Spec) -> Hop {
        Hop {
            id: self.fresh_id(),
            credentials_allowed: self.ctx.auth_scope.allows(&spec.url),
            spec,
            hops: 0,
            digest_tries: 0,
        }
    }

    fn materialize(&self, hop: &Hop) -> HttpRequest {
        let mut headers = Vec::with_capacity(hop.spec.headers.len() + 2);
        headers.push(("User-Agent".to_owned(), self.ctx.user_agent.clone()));
        if let Some(value) = self
            .ctx
            .credentials
            .header_value()
            .filter(|v| hop.credentials_allowed && crate::auth::fits_header(v))
        {
            headers.push(("Authorization".to_owned(), value));
        }
        if let Credentials::Digest { username, password } = &self.ctx.credentials
            && hop.credentials_allowed
        {
            let url = &hop.spec.url;
            let target = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            let mut digest = self
                .ctx
                .digest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(value) =
                digest.authorization(username, password, hop.spec.method.as_str(), &target)
            {
                headers.push(("Authorization".to_owned(), value));
            }
        }
        headers.extend(hop.spec.headers.iter().cloned());
        // SOGo closes the connection after a REPORT's answer without saying so, and resets a
        // request written on it meanwhile: said here, the next request takes a new one.
        if hop.spec.method == Method::Report && crate::profile::is_sogo_path(hop.spec.url.path()) {
            headers.push(("Connection".to_owned(), "close".to_owned()));
        }
        HttpRequest {
            id: hop.id,
            method: hop.spec.method,
            url: hop.spec.url.to_string(),
            headers,
            body: hop.spec.body.clone(),
        }
    }

    /// What a response to `hop` means: the body limit, a Digest challenge to answer, a
    /// redirect to follow (the request then goes again under a new id), or the answer.
    fn route(&mut self, hop: &mut Hop, response: HttpResponse) -> Routed {
        self.ctx.note_answer(&response);
        let effective = effective_url(&response, hop);
        if let Err(e) = self.ctx.limits.check_body(response.body.len()) {
            let e = e.with_status(response.status).with_url(effective.as_str());
            return Routed::Answer(Err(e));
        }
        // A Digest challenge is answered only from the origin the request went to: a host that
        // followed a redirect itself (browser `fetch`) may hand over another origin's 401,
        // whose realm and nonce the answer must not be computed for (nor kept for the session).
        if response.status == 401
            && hop.credentials_allowed
            && matches!(self.ctx.credentials, Credentials::Digest { .. })
            && crate::href::same_origin(&effective, &hop.spec.url)
            && self.answer_digest(hop, &response)
        {
            hop.id = self.fresh_id();
            return Routed::Again;
        }
        // A write is the server's to answer: one whose answer came from another origin (a host
        // that followed a redirect itself) met a captive portal or a login page, whose 200 is
        // not the write (and the data went there).
        let write = !hop.spec.method.is_safe();
        if write && !crate::href::same_origin(&effective, &hop.spec.url) {
            return Routed::Answer(Err(off_origin_write(&effective)));
        }
        // A 303 names where to GET the outcome of a request, not where to send it again: only
        // a GET or HEAD is followed there. Any other method (a write above all, whose outcome
        // a GET of some page must not stand for) gets the 303 itself as its answer.
        let see_other_kept =
            response.status == 303 && !matches!(hop.spec.method, Method::Get | Method::Head);
        if is_redirect(response.status) && !see_other_kept {
            match self.redirect_target(hop, &effective, &response) {
                // Nor is a write sent to another origin by a redirect.
                Ok(Some(target)) if write && !crate::href::same_origin(&hop.spec.url, &target) => {
                    return Routed::Answer(Err(off_origin_write(&target)));
                }
                Ok(Some(target)) => {
                    hop.hops += 1;
                    // Credentials never follow a redirect to another origin.
                    hop.credentials_allowed = hop.credentials_allowed
                        && crate::href::same_origin(&hop.spec.url, &target)
                        && self.ctx.auth_scope.allows(&target);
                    hop.spec.url = target;
                    hop.id = self.fresh_id();
                    return Routed::Again;
                }
                Ok(None) => {}
                Err(e) => return Routed::Answer(Err(e)),
            }
        }
        Routed::Answer(Ok(Reply {
            url: effective,
            response,
        }))
    }

    /// Takes a 401's Digest challenge and says whether to send the request again with it:
    /// once, and once more if the server says the nonce was stale (the password was right).
    /// A second plain 401 is a wrong password and goes back to the operation as 401.
    fn answer_digest(&self, hop: &mut Hop, response: &HttpResponse) -> bool {
        let mut values = Vec::new();
        for (n, v) in &response.headers {
            if n.eq_ignore_ascii_case("www-authenticate") {
                values.push(v.as_str());
            }
        }
        let Some(challenge) = crate::auth::digest_challenge(&values) else {
            return false;
        };
        let again = match hop.digest_tries {
            0 => true,
            1 => challenge.stale,
            _ => false,
        };
        if again {
            hop.digest_tries += 1;
            self.ctx
                .digest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .accept(challenge);
        }
        again
    }

    fn redirect_target(
        &self,
        hop: &Hop,
        effective: &Url,
        response: &HttpResponse,
    ) -> Result<Option<Url>> {
        let Some(location) = response.header("location") else {
            return Ok(None);
        };
        let target = effective.join(location.trim()).map_err(|e| match e {
            crate::url::ParseError::UnsupportedScheme => Error::new(
                ErrorKind::Redirect,
                format!(
                    "refused a redirect to a `{}` URL",
                    crate::href::scheme_name(location)
                ),
            ),
            e => Error::new(
                ErrorKind::Redirect,
                format!("the redirect target is not a URL: {e}"),
            )
            .with_url(effective.as_str()),
        })?;
        let max = self.ctx.limits.max_redirects;
        if hop.hops >= max {
            return Err(crate::limits::exceeded(format!(
                "more than {max} redirects (Limits::max_redirects, default MAX_REDIRECTS)"
            ))
            .with_url(effective.as_str()));
        }
        match (effective.scheme(), target.scheme()) {
            ("https", "http") => Err(Error::new(
                ErrorKind::Redirect,
                "refused a redirect from https to plain http",
            )
            .with_url(target.as_str())),
            // `Url` is http(s) only: other schemes were refused by `join` above.
            _ => Ok(Some(target)),
        }
    }
}

/// A write not sent to (or answered from) `target`, another origin than the one it was made
/// for: not applied by the server (it redirected the write away, or a host followed that
/// redirect and the answer is another site's).
#[cold]
fn off_origin_write(target: &Url) -> Error {
    Error::new(
        ErrorKind::Redirect,
        "refused a redirect of a write to another origin (a captive portal or a login page \
         answers there, not the server): the write was not applied",
    )
    .with_url(target.as_str())
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The parts every operation state machine shares: an exchanger and the final result.
pub(crate) struct Machine<T, O> {
    pub(crate) x: Exchanger<T>,
    pub(crate) done: Option<Result<O>>,
}

impl<T, O> Machine<T, O> {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Machine {
            x: Exchanger::new(ctx),
            done: None,
        }
    }

    /// Finishes the operation (later responses are ignored).
    pub(crate) fn finish(&mut self, result: Result<O>) {
        if self.done.is_none() {
            self.done = Some(result);
        }
        self.x.clear();
    }

    pub(crate) fn fail(&mut self, error: Error) {
        self.finish(Err(error));
    }

    /// The shared `poll` logic: requests first, then the result.
    pub(crate) fn poll(&mut self) -> crate::op::Poll<O> {
        if let Some(request) = self.x.next_request() {
            return crate::op::Poll::Send(request);
        }
        if let Some(result) = self.done.take() {
            return crate::op::Poll::Done(result);
        }
        if !self.x.busy() {
            return crate::op::Poll::Done(Err(Error::new(
                ErrorKind::Protocol,
                "the operation stopped without a result",
            )));
        }
        crate::op::Poll::Wait
    }
}

/// Implements [`crate::op::Operation`] for a state machine struct with a `m: Machine` field
/// and an `on_reply(&mut self, tag, Result<Reply>)` method: `impl_operation!(Type, Output)`,
/// `impl_operation!([T] Type<T>, Output)` for a generic one, or `impl_operation!(Type, Output,
/// streaming)` for one that reads some bodies as they arrive. That one has `on_head(id,
/// &HttpResponse) -> bool`, `on_chunk(id, &[u8])`, `on_end(id)` and `on_stream_error(id, Error)
/// -> Option<Error>` (the error back when `id` is not one of its streams). Both forms share one
/// body (`@impl`): the streaming form adds its error filter and the three body methods.
macro_rules! impl_operation {
    (@impl [$($g:ident)?] $ty:ty, $out:ty, $($stream_error:ident,)? { $($streaming:tt)* }) => {
        impl<$($g)?> $crate::op::Operation for $ty {
            type Output = $out;

            fn poll(&mut self) -> $crate::op::Poll<$out> {
                self.m.poll()
            }

            fn handle_response(
                &mut self,
                id: $crate::http::RequestId,
                response: $crate::http::HttpResponse,
            ) {
                if self.m.done.is_some() {
                    return;
                }
                if let Some((tag, reply)) = self.m.x.receive(id, response) {
                    self.on_reply(tag, reply);
                }
            }

            fn handle_transport_error(
                &mut self,
                id: $crate::http::RequestId,
                error: $crate::error::Error,
            ) {
                if self.m.done.is_some() {
                    return;
                }
                $(
                    let Some(error) = self.$stream_error(id, error) else {
                        return;
                    };
                )?
                if let Some((tag, failed)) = self.m.x.fail(id, error) {
                    self.on_reply(tag, failed);
                }
            }

            $($streaming)*
        }
    };
    ([$($g:ident)?] $ty:ty, $out:ty) => {
        impl_operation!(@impl [$($g)?] $ty, $out, {});
    };
    ($ty:ty, $out:ty) => {
        impl_operation!(@impl [] $ty, $out, {});
    };
    ($ty:ty, $out:ty, streaming) => {
        impl_operation!(@impl [] $ty, $out, on_stream_error, {
            fn handle_head(
                &mut self,
                id: $crate::http::RequestId,
                head: &$crate::http::HttpResponse,
            ) -> bool {
                self.m.done.is_none() && self.on_head(id, head)
            }

            fn handle_body_chunk(&mut self, id: $crate::http::RequestId, chunk: &[u8]) {
                if self.m.done.is_none() {
                    self.on_chunk(id, chunk);
                }
            }

            fn handle_body_end(&mut self, id: $crate::http::RequestId) {
                if self.m.done.is_none() {
                    self.on_end(id);
                }
            }
        });
    };
}
pub(crate) use impl_operation;

#[cfg(test)]
mod tests {
    use crate::http::HttpResponse;
    use crate::op::{Operation, Poll};
    use crate::{Config, Credentials, Service, Session};

    /// Found by the `discover` fuzz target: a `final_url` of `httws://...` became the base of
    /// the hrefs in the answer, and the next request went to an `httws:` URL.
    #[test]
    fn final_url_counts_only_when_http_or_https() {
        let session = Session::new(Config::new(
            "https://dav.example.com/dav/",
            Credentials::None,
        ))
        .unwrap();
        for (final_url, next) in [
            (
                "httws://dav.example.com/x/",
                "https://dav.example.com/dav/principals/alice/",
            ),
            ("not a url", "https://dav.example.com/dav/principals/alice/"),
            (
                "https://dav.example.com/x/",
                "https://dav.example.com/x/principals/alice/",
            ),
        ] {
            let mut op = session.discover(Service::CalDav);
            let Poll::Send(first) = op.poll() else {
                panic!("no first request");
            };
            let mut answer = HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\"><response><href>./</href><propstat><prop>\
                 <current-user-principal><href>principals/alice/</href></current-user-principal>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            );
            answer.final_url = Some(final_url.to_owned());
            op.handle_response(first.id, answer);
            let Poll::Send(second) = op.poll() else {
                panic!("{final_url}: no principal request");
            };
            assert_eq!(second.url, next, "{final_url}");
        }
    }
}
