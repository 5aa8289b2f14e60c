//! The app's HTTP stack: the [`HttpTransport`] foreign trait, and the adapter that lets the
//! core's [`davkit::Transport`] call it.

use std::future::Future;
use std::sync::Arc;

use crate::error::DavError;
use crate::types::{HttpRequest, HttpResponse};

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
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, DavError>;
}

/// The core's [`davkit::Transport`] over the app's [`HttpTransport`].
#[derive(Clone)]
pub(crate) struct ForeignTransport(pub(crate) Arc<dyn HttpTransport>);

impl davkit::Transport for ForeignTransport {
    fn send(
        &self,
        request: davkit::HttpRequest,
    ) -> impl Future<Output = davkit::Result<davkit::HttpResponse>> {
        let transport = Arc::clone(&self.0);
        async move {
            let url = request.url.clone();
            match transport.send(request.into()).await {
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
