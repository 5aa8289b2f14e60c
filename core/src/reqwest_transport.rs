//! The native driver (feature `reqwest`): a [`Transport`] over reqwest with rustls (ring
//! provider) and gzip. It follows no redirects itself: the core does, so that credentials stay
//! on their origin.

use std::time::Duration;

use crate::client::DavClient;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::op::Transport;
use crate::session::Config;

/// A [`Transport`] over a `reqwest::Client`.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a 60-second timeout per request.
    pub fn new() -> Result<Self> {
        // Several parts of a program may call this; only the first install wins, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(ReqwestTransport { client })
    }

    /// A transport over a client the caller configured (it should not follow redirects).
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad method: {e}")))?;
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&request.url, &e))?;
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
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(&request.url, &e))?
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
            final_url: None,
        })
    }

    /// Sleeps on tokio's timer (the runtime reqwest needs anyway).
    async fn sleep(&self, ms: u64) -> bool {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        true
    }
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
    /// A client over a fresh [`ReqwestTransport`].
    pub fn connect(config: Config) -> Result<Self> {
        DavClient::new(config, ReqwestTransport::new()?)
    }
}
