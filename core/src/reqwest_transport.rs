//! The native driver (feature `reqwest`): a [`Transport`] over reqwest with rustls (ring
//! provider) and gzip. It follows no redirects itself: the core does, so that credentials stay
//! on their origin.
//!
//! # Body size
//!
//! Bodies are read in chunks, after gzip decoding, and reading stops as soon as the decoded body
//! passes the limit: [`DEFAULT_MAX_BODY_BYTES`] (64 MiB) unless
//! [`ReqwestTransport::with_max_body_bytes`] sets another ([`DavClient::connect`] sets the
//! configured [`Limits::max_body_bytes`](crate::Limits::max_body_bytes)). A larger body is an
//! [`ErrorKind::LimitExceeded`] error naming the limit, so a gzip bomb (a few kilobytes that
//! decode to gigabytes) costs at most the limit in memory. Hosts with their own transport
//! (`fetch`, URLSession, OkHttp) hand the core whole bodies, and every operation refuses one
//! past `Limits::max_body_bytes` when it receives it.
//!
//! # Connections closed without notice
//!
//! Servers and proxies with idle timeouts close a kept-alive connection after an answer
//! without saying so (no `Connection: close`). The next request written on that connection
//! fails with a reset or "connection closed before message completed", before any response.
//! reqwest's pool drops such a connection, so the transport sends the request once more, on a
//! new connection, when both of these hold:
//!
//! - the method is safe (RFC 9110 §9.2.1): `GET`, `HEAD`, `OPTIONS`, `PROPFIND`, `REPORT`;
//! - the failure came before any response and is about the connection: connecting failed, or
//!   the source chain shows it closed or was reset (an [`std::io::Error`] such as
//!   `ConnectionReset`, `BrokenPipe` or `UnexpectedEof`, or hyper's incomplete-message or
//!   canceled errors). Timeouts are not retried (they would only double the wait).
//!
//! It retries exactly once; a second failure is returned as an [`ErrorKind::Transport`] error.
//!
//! Writes (`PUT`, `DELETE`, `POST`, `PATCH`, `PROPPATCH`, `MKCOL`, `MKCALENDAR`) are never
//! retried here: the server may have received and applied a write whose answer was lost, and
//! sending it again blindly could apply it twice or overwrite a newer version. The failure is
//! returned, and the core's write operation resolves it by reading the resource again before
//! anything is repeated. The reads whose answer is usually an error, after which such a
//! server closes the connection (a create's name check, the read that resolves a lost write),
//! are sent with `Connection: close`, so the write after them takes a new connection.

use std::time::Duration;

use crate::client::DavClient;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::op::{REQUEST_IDLE_TIMEOUT_MS, ResponseSink, Transport};
use crate::session::Config;

/// The largest response body, after `Content-Encoding` is decoded, that a [`ReqwestTransport`]
/// reads unless [`ReqwestTransport::with_max_body_bytes`] says otherwise: 64 MiB, the default
/// of [`Limits::max_body_bytes`](crate::Limits::max_body_bytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = crate::limits::MAX_BODY_BYTES;

/// A [`Transport`] over a `reqwest::Client`.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl ReqwestTransport {
    /// A transport that fails a request when the server makes no progress on it for
    /// [`REQUEST_IDLE_TIMEOUT_MS`] (reqwest's read timeout: to the answer's head, then between
    /// pieces of the body; no limit on the whole, so a large answer on a slow link finishes).
    pub fn new() -> Result<Self> {
        Self::with_idle_timeout(Some(Duration::from_millis(REQUEST_IDLE_TIMEOUT_MS)))
    }

    /// [`ReqwestTransport::new`] with another wait for progress (`None`: wait forever).
    pub fn with_idle_timeout(idle: Option<Duration>) -> Result<Self> {
        // Several parts of a program may call this; only the first install wins, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(idle) = idle {
            builder = builder.read_timeout(idle);
        }
        let client = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        Ok(ReqwestTransport::with_client(client))
    }

    /// A transport over a client the caller configured (it should not follow redirects).
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Sets the largest decoded response body this transport reads (default
    /// [`DEFAULT_MAX_BODY_BYTES`]); a larger one fails the request with an
    /// [`ErrorKind::LimitExceeded`] error once that many bytes have been decoded.
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The largest decoded response body this transport reads.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

impl ReqwestTransport {
    /// Sends the request once, without retrying.
    async fn send_once(
        &self,
        method: &reqwest::Method,
        request: &HttpRequest,
    ) -> reqwest::Result<reqwest::Response> {
        let mut builder = self.client.request(method.clone(), &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        builder.send().await
    }
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let url = request.url.clone();
        let (response, head) = self.send_head(request).await?;
        let body = self.read_body(response, &url, head.status).await?;
        Ok(HttpResponse { body, ..head })
    }

    /// Sleeps on tokio's timer (the runtime reqwest needs anyway).
    async fn sleep(&self, ms: u64) -> bool {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        true
    }

    /// Hands the body over chunk by chunk as reqwest decodes it, within the same limit as
    /// [`send`](Transport::send): an operation that reads as it goes (a sync's listing and
    /// multigets) never holds the whole body.
    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> Result<()> {
        let url = request.url.clone();
        let (mut response, head) = self.send_head(request).await?;
        let status = head.status;
        sink.head(head);
        let max = self.max_body_bytes;
        let mut read = 0usize;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(&url, &e))?
        {
            if chunk.len() > max - read {
                return Err(too_large(max, status, &url));
            }
            read += chunk.len();
            sink.chunk(&chunk);
        }
        Ok(())
    }
}

impl ReqwestTransport {
    /// Sends the request (once more on a new connection when a kept-alive one was found
    /// dead) and returns the response with its head as an [`HttpResponse`] without a body.
    async fn send_head(&self, request: HttpRequest) -> Result<(reqwest::Response, HttpResponse)> {
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad method: {e}")))?;
        let response = match self.send_once(&method, &request).await {
            Ok(response) => response,
            // Once, on a new connection (the pool dropped the dead one): see the module doc.
            Err(e) if is_safe(request.method) && connection_lost(&e) => self
                .send_once(&method, &request)
                .await
                .map_err(|e| transport_error(&request.url, &e))?,
            Err(e) => return Err(transport_error(&request.url, &e)),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok((
            response,
            HttpResponse {
                status,
                headers,
                body: Vec::new(),
                final_url: None,
            },
        ))
    }
}

impl ReqwestTransport {
    /// Reads the decoded body chunk by chunk, stopping past [`Self::max_body_bytes`].
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &str,
        status: u16,
    ) -> Result<Vec<u8>> {
        let max = self.max_body_bytes;
        let mut body = Vec::new();
        // Content-Length is only a hint (absent when decoding); a false one costs at most `max`.
        if let Some(len) = response.content_length() {
            body.reserve(usize::try_from(len).unwrap_or(usize::MAX).min(max));
        }
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(url, &e))?
        {
            if chunk.len() > max - body.len() {
                return Err(too_large(max, status, url));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The error for a body past `max` bytes once decoded.
fn too_large(max: usize, status: u16, url: &str) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "the response body is larger than {max} bytes once decoded \
             (Limits::max_body_bytes, ReqwestTransport::max_body_bytes)"
        ),
    )
    .with_status(status)
    .with_url(url)
}

/// Methods that change nothing on the server (RFC 9110 §9.2.1; RFC 4918 PROPFIND, RFC 3253
/// REPORT), so sending one twice is harmless.
fn is_safe(method: Method) -> bool {
    matches!(
        method,
        Method::Get | Method::Head | Method::Options | Method::Propfind | Method::Report
    )
}

/// Whether the request failed on the connection before any response: connecting failed, or
/// the connection was closed or reset under it. A timeout is not such a failure.
fn connection_lost(e: &reqwest::Error) -> bool {
    if e.is_timeout() || !(e.is_request() || e.is_connect()) {
        return false;
    }
    if e.is_connect() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::NotConnected
            )
        {
            return true;
        }
        // hyper's own errors (hyper is not a direct dependency, so by their fixed texts):
        // `IncompleteMessage` and `Canceled` (the connection closed while the request waited).
        let text = s.to_string();
        if text.starts_with("connection closed before message completed")
            || text.starts_with("operation was canceled")
        {
            return true;
        }
        source = s.source();
    }
    false
}

fn transport_error(url: &str, e: &reqwest::Error) -> Error {
    // reqwest's Display includes the URL; show our redacted one instead.
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the response body could not be read"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let message = if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    };
    Error::new(ErrorKind::Transport, message).with_url(url)
}

impl DavClient<ReqwestTransport> {
    /// A client over a fresh [`ReqwestTransport`] that stops reading a body past the configured
    /// [`Limits::max_body_bytes`](crate::Limits::max_body_bytes).
    pub fn connect(config: Config) -> Result<Self> {
        let transport = ReqwestTransport::new()?.with_max_body_bytes(config.limits.max_body_bytes);
        DavClient::new(config, transport)
    }
}
