//! Feature `reqwest`: a built-in [`HttpTransport`] and [`Sleeper`] over the core's reqwest
//! transport (rustls with ring, gzip, no redirects followed), for apps that do not want to
//! write one. reqwest needs tokio, so this feature starts a small runtime of its own (two
//! worker threads, on first use) and awaits its tasks from the caller's executor; the default
//! build of the bindings links no runtime at all.

use std::sync::{Arc, OnceLock};

use crate::error::DavError;
use crate::http::{HttpRequest, HttpResponse};
use crate::transport::{HttpTransport, Sleeper};

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime, DavError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("davkit-http")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| DavError::transport(format!("cannot start the HTTP runtime: {e}")))
}

/// The built-in transport.
struct NativeTransport {
    inner: Arc<davkit::ReqwestTransport>,
}

#[async_trait::async_trait]
impl HttpTransport for NativeTransport {
    async fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, DavError> {
        let core = request.core().clone();
        let inner = Arc::clone(&self.inner);
        let task = runtime()?.spawn(async move { davkit::Transport::send(&*inner, core).await });
        let response = task
            .await
            .map_err(|e| DavError::transport(format!("the HTTP task failed: {e}")))??;
        Ok(response.into())
    }
}

#[async_trait::async_trait]
impl Sleeper for NativeTransport {
    async fn sleep(&self, ms: u64) {
        if let Ok(rt) = runtime() {
            let _ = rt
                .spawn(tokio::time::sleep(std::time::Duration::from_millis(ms)))
                .await;
        }
    }
}

fn native() -> Result<Arc<NativeTransport>, DavError> {
    Ok(Arc::new(NativeTransport {
        inner: Arc::new(davkit::ReqwestTransport::new()?),
    }))
}

/// The built-in HTTP transport (feature `reqwest`): pass it to `DavClient` instead of writing
/// one. A request fails when the server makes no progress on it for 60 s
/// (`davkit::REQUEST_IDLE_TIMEOUT_MS`).
#[uniffi::export]
pub fn reqwest_transport() -> Result<Arc<dyn HttpTransport>, DavError> {
    Ok(native()?)
}

/// A `Sleeper` on the built-in transport's runtime (feature `reqwest`), for rate-limit retries.
#[uniffi::export]
pub fn reqwest_sleeper() -> Result<Arc<dyn Sleeper>, DavError> {
    Ok(native()?)
}
