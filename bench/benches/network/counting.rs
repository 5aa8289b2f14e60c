//! Counting and logging each client's requests, and timing one step.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use davkit::{HttpRequest, HttpResponse, ResponseSink, Transport};
use tower_service::Service;

pub(crate) static LABEL: Mutex<String> = Mutex::new(String::new());
pub(crate) static LOG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
/// `DAVKIT_BENCH_LOG=body`: the log shows the first 600 characters of each request body.
pub(crate) static BODIES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

pub(crate) fn set_label(label: String) {
    *LABEL.lock().unwrap() = label;
}

/// What a request body is: its root element and how many hrefs it names.
pub(crate) fn body_kind(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut rest = text.as_ref();
    let root = loop {
        let Some(i) = rest.find('<') else { break "" };
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..end];
        break name.rsplit(':').next().unwrap_or(name);
    };
    let hrefs = text.matches("href>").count() / 2;
    let kind = match (root, hrefs) {
        ("", _) if body.is_empty() => String::new(),
        ("", _) => format!("{} B", body.len()),
        (r, 0) => r.to_owned(),
        (r, n) => format!("{r} ({n} hrefs)"),
    };
    if *BODIES.get().unwrap_or(&false) && !body.is_empty() {
        let head: String = text.chars().take(600).collect();
        format!("{kind} [{}]", head.replace('\n', " "))
    } else {
        kind
    }
}

pub(crate) fn log_request(
    method: &str,
    url: &str,
    depth: Option<&str>,
    body: &str,
    outcome: &str,
    started: Instant,
) {
    if !*LOG.get().unwrap_or(&false) {
        return;
    }
    let path = url
        .find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
        .unwrap_or(url);
    let depth = depth.map(|d| format!(" depth={d}")).unwrap_or_default();
    eprintln!(
        "{}: {method} {path}{depth} {body} -> {outcome} in {:.1} ms",
        LABEL.lock().unwrap(),
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// davkit's transport with a request counter (and the request log). It hands bodies over as
/// the inner transport reads them (`send_streaming`, as `DavClient<ReqwestTransport>` does
/// for an app), unless `whole` (`DAVKIT_BENCH_WHOLE=1`: every body read whole first, then
/// handed over, as a host with its own HTTP stack does).
pub(crate) struct Counted<T> {
    pub(crate) inner: T,
    pub(crate) count: Arc<AtomicUsize>,
    pub(crate) whole: bool,
}

/// What the log says of a davkit request: method, URL, depth and body kind.
struct Asked {
    method: &'static str,
    url: String,
    depth: Option<String>,
    kind: String,
}

impl Asked {
    fn of(request: &HttpRequest) -> Asked {
        Asked {
            method: request.method.as_str(),
            url: request.url.clone(),
            depth: request.header("Depth").map(str::to_owned),
            kind: request.body.as_deref().map(body_kind).unwrap_or_default(),
        }
    }
}

/// A sink that notes when the head came and how many body bytes followed.
struct Noting<'a, S> {
    sink: &'a mut S,
    started: Instant,
    status: u16,
    head_ms: f64,
    bytes: usize,
}

impl<S: ResponseSink> ResponseSink for Noting<'_, S> {
    fn head(&mut self, head: HttpResponse) {
        self.status = head.status;
        self.head_ms = self.started.elapsed().as_secs_f64() * 1e3;
        self.sink.head(head);
    }

    fn chunk(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len();
        self.sink.chunk(bytes);
    }
}

impl<T: Transport> Transport for Counted<T> {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        self.count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let asked = Asked::of(&request);
        let result = self.inner.send(request).await;
        let outcome = match &result {
            Ok(r) => format!("{} {} B, read whole", r.status, r.body.len()),
            Err(e) => format!("error {e}"),
        };
        log_request(
            asked.method,
            &asked.url,
            asked.depth.as_deref(),
            &asked.kind,
            &outcome,
            started,
        );
        result
    }

    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> davkit::Result<()> {
        if self.whole {
            let response = self.send(request).await?;
            sink.whole(response);
            return Ok(());
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let asked = Asked::of(&request);
        let mut noting = Noting {
            sink,
            started: Instant::now(),
            status: 0,
            head_ms: 0.0,
            bytes: 0,
        };
        let result = self.inner.send_streaming(request, &mut noting).await;
        let outcome = match &result {
            Ok(()) => format!(
                "{} {} B, head at {:.1} ms, body read as it came",
                noting.status, noting.bytes, noting.head_ms
            ),
            Err(e) => format!("error {e}"),
        };
        log_request(
            asked.method,
            &asked.url,
            asked.depth.as_deref(),
            &asked.kind,
            &outcome,
            noting.started,
        );
        result
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        self.inner.sleep(ms)
    }
}

/// A tower service around libdav's HTTP client with a request counter (and the request log).
#[derive(Clone)]
pub(crate) struct CountedService<S> {
    pub(crate) inner: S,
    pub(crate) count: Arc<AtomicUsize>,
}

impl<S, B> Service<http::Request<String>> for CountedService<S>
where
    S: Service<http::Request<String>, Response = http::Response<B>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        self.count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let method = request.method().to_string();
        let url = request.uri().to_string();
        let depth = request
            .headers()
            .get("Depth")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let kind = body_kind(request.body().as_bytes());
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let outcome = match &result {
                Ok(r) => {
                    let length = r
                        .headers()
                        .get("content-length")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("?");
                    format!("{} {length} B on the wire, head", r.status().as_u16())
                }
                Err(e) => format!("error {e}"),
            };
            log_request(&method, &url, depth.as_deref(), &kind, &outcome, started);
            result
        })
    }
}

/// Logs that a libdav request is done: its body read and parsed (the request's own line, at
/// its head, comes from [`CountedService`]), `started` being when the step began.
pub(crate) fn log_done(what: &str, started: Instant) {
    if *LOG.get().unwrap_or(&false) {
        eprintln!(
            "{}: {what} read and parsed at {:.1} ms into the step",
            LABEL.lock().unwrap(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
}

// Measurements

/// One step of one run: wall time and requests, or why it failed.
pub(crate) type Sample = Result<(f64, usize), String>;

/// The error of a step a client does not have (the davkit-only rows).
pub(crate) const NOT_APPLICABLE: &str = "n/a";

pub(crate) async fn measure<F, T>(count: &AtomicUsize, f: F) -> (Sample, Option<T>)
where
    F: Future<Output = Result<T, String>>,
{
    let before = count.load(Ordering::Relaxed);
    let started = Instant::now();
    let result = f.await;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let requests = count.load(Ordering::Relaxed) - before;
    if *LOG.get().unwrap_or(&false) {
        eprintln!(
            "{}: step {} in {ms:.1} ms, {requests} requests",
            LABEL.lock().unwrap(),
            if result.is_ok() { "done" } else { "failed" }
        );
    }
    match result {
        Ok(value) => (Ok((ms, requests)), Some(value)),
        Err(e) => (Err(e), None),
    }
}

/// How many of the resources libdav fetched came with their data.
pub(crate) fn with_data(resources: &[libdav::FetchedResource]) -> usize {
    resources.iter().filter(|r| r.content.is_ok()).count()
}

pub(crate) fn expect(what: &str, got: usize, want: usize) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {want}"))
    }
}
