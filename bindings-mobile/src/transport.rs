//! The app's HTTP stack: the [`HttpTransport`] foreign trait, and the adapter that lets the
//! core's [`davkit::Transport`] call it.

use std::future::Future;
use std::sync::Arc;

use crate::error::DavError;
use crate::http::{HttpRequest, HttpResponse};

/// The HTTP stack the app supplies (URLSession, OkHttp, `java.net.http`, urllib, ...).
///
/// `send` must send the request as given and return the response whatever its status (a 404
/// or 412 is a response, not an error). It should not follow redirects (the core does, so that
/// credentials stay on their origin); if it cannot help it, set `final_url`. On a network
/// failure or a timeout, throw `DavError.Transport` (Swift), `DavException.Transport` (Kotlin)
/// or `DavError.Transport` (Python). Any other exception it throws also becomes a `Transport`
/// error of the call; nothing the transport does can panic the Rust side.
#[uniffi::export(rust, foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends one request and returns its response.
    async fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, DavError>;
}

/// Waits before a rate-limited operation is retried (HTTP 429, 503, Google's 403
/// `rateLimitExceeded`). Optional: without one, rate limits come back at once as
/// `DavError.RateLimited` with `retry_after_seconds`. Implement it with the platform's
/// cancellable delay (`delay` in Kotlin, `Task.sleep` in Swift, `asyncio.sleep` in Python).
#[uniffi::export(rust, foreign)]
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync {
    /// Returns after `ms` milliseconds.
    async fn sleep(&self, ms: u64);
}

/// Supplies OAuth 2.0 access tokens (Google). Asked before each operation; asked again with
/// `force_refresh = true` after a 401, and the operation then runs once more. Throw a
/// `DavError` (e.g. `Unauthorized`) when no token can be had.
#[uniffi::export(rust, foreign)]
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// An access token; a fresh one when `force_refresh` is set.
    async fn token(&self, force_refresh: bool) -> Result<String, DavError>;
}

/// The core's [`davkit::TokenProvider`] over the app's [`TokenProvider`].
pub(crate) struct ForeignTokens(pub(crate) Arc<dyn TokenProvider>);

impl davkit::TokenProvider for ForeignTokens {
    fn token(&self, force_refresh: bool) -> impl Future<Output = davkit::Result<String>> {
        let tokens = Arc::clone(&self.0);
        async move { Ok(tokens.token(force_refresh).await?) }
    }
}

/// The core's [`davkit::Transport`] over the app's [`HttpTransport`] (and [`Sleeper`]).
#[derive(Clone)]
pub(crate) struct ForeignTransport {
    pub(crate) http: Arc<dyn HttpTransport>,
    pub(crate) sleeper: Option<Arc<dyn Sleeper>>,
}

impl davkit::Transport for ForeignTransport {
    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        let sleeper = self.sleeper.clone();
        async move {
            match sleeper {
                Some(s) => {
                    s.sleep(ms).await;
                    true
                }
                None => false,
            }
        }
    }

    fn send(
        &self,
        request: davkit::HttpRequest,
    ) -> impl Future<Output = davkit::Result<davkit::HttpResponse>> {
        let transport = Arc::clone(&self.http);
        async move {
            let url = request.url.clone();
            match transport.send(HttpRequest::from_core(request)).await {
                Ok(response) => Ok(response.into()),
                Err(e) => {
                    let e = davkit::Error::from(e);
                    Err(if e.url().is_none() {
                        e.with_url(&url)
                    } else {
                        e
                    })
                }
            }
        }
    }
}
