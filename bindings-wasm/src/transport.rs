//! The `fetch` transport: one JS function `(url, init) => Promise<Response>` called per request.
//!
//! The npm wrapper passes either the app's `fetch` option or the global `fetch`, so every runtime
//! (browser, node, workers, Deno, Bun, a CORS proxy, a test double) goes through this one path.
//! Nothing here logs a header: `Authorization` only ever travels inside the `init` object.
//!
//! Bodies are read as they arrive (`response.body.getReader()`) and handed to the core chunk by
//! chunk (`Transport::send_streaming`), so a sync's multiget answer is never held whole, neither
//! by the host nor in the module's memory (which never shrinks); a response without a readable
//! stream (a test double, a runtime without streams) is read whole with `arrayBuffer()`.

use davkit::{Error, ErrorKind, HttpRequest, HttpResponse, ResponseSink, Result, Transport};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::convert::set;

/// Sends core requests through a JS `fetch`-compatible function.
#[derive(Clone, Debug)]
pub struct FetchTransport {
    fetch: Function,
    sleep: Function,
    omit_user_agent: bool,
    follow_redirects: bool,
}

impl FetchTransport {
    /// A transport over `fetch`. With `omit_user_agent`, `User-Agent` is not set (browsers do
    /// not allow it, and a CORS preflight would have to list it). With `follow_redirects`,
    /// `fetch` follows redirects (browsers must: a manual redirect is opaque there); otherwise
    /// it returns them and the core follows them, deciding where credentials go. `sleep` is
    /// `(ms) => Promise` (the core waits with it before retrying a rate-limited operation).
    pub fn new(
        fetch: Function,
        sleep: Function,
        omit_user_agent: bool,
        follow_redirects: bool,
    ) -> Self {
        FetchTransport {
            fetch,
            sleep,
            omit_user_agent,
            follow_redirects,
        }
    }
}

thread_local! {
    /// A handler that drops what it is given: one for the module's lifetime.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// The most bytes of a body chunk copied into the module's memory at a time.
const COPY_BYTES: u32 = 64 * 1024;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The `message` of a thrown JS value (never its stack or the request's headers).
pub(crate) fn js_message(e: &JsValue) -> String {
    let message = get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the fetch function failed".to_owned());
    // undici says only "fetch failed"; the reason (ECONNREFUSED, ...) is in `cause`.
    match get(&get(e, "cause"), "message").as_string() {
        Some(cause) if !cause.is_empty() => format!("{message}: {cause}"),
        _ => message,
    }
}

fn transport_error(url: &str, e: &JsValue) -> Error {
    Error::new(ErrorKind::Transport, js_message(e)).with_url(url)
}

impl Transport for FetchTransport {
    async fn sleep(&self, ms: u64) -> bool {
        let Ok(called) = self
            .sleep
            .call1(&JsValue::UNDEFINED, &JsValue::from_f64(ms as f64))
        else {
            return false;
        };
        JsFuture::from(Promise::resolve(&called)).await.is_ok()
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let url = request.url.clone();
        let (response, head) = self.send_head(request).await?;
        let body = whole_body(&response, &url).await?;
        Ok(HttpResponse { body, ..head })
    }

    /// Hands the body over as `fetch` reads it, each chunk of the stream copied into one reused
    /// buffer in the module's memory, at most [`COPY_BYTES`] at a time.
    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> Result<()> {
        let url = request.url.clone();
        let (response, head) = self.send_head(request).await?;
        let Some((reader, read)) = body_reader(&response) else {
            let body = whole_body(&response, &url).await?;
            sink.whole(HttpResponse { body, ..head });
            return Ok(());
        };
        sink.head(head);
        let mut buffer: Vec<u8> = Vec::new();
        let result = async {
            loop {
                let step = read.call0(&reader).map_err(|e| transport_error(&url, &e))?;
                let step = JsFuture::from(Promise::resolve(&step))
                    .await
                    .map_err(|e| transport_error(&url, &e))?;
                if get(&step, "done").as_bool() == Some(true) {
                    return Ok(());
                }
                let chunk: Uint8Array = get(&step, "value").dyn_into().map_err(|_| {
                    Error::new(
                        ErrorKind::Transport,
                        "the response body gave something other than bytes",
                    )
                    .with_url(&url)
                })?;
                // In pieces of at most COPY_BYTES: a host that gives a large body as one chunk
                // (a `Response` made from a string) must not make the buffer its size.
                // Copied into the buffer's spare capacity, which is never zero-filled first (a
                // zero fill as the chunk sizes of a network stream varied cost as much as the
                // copy): the buffer stays empty and only grows, to the largest piece.
                let length = chunk.length();
                let mut at = 0;
                while at < length {
                    let end = length.min(at + COPY_BYTES);
                    let size = (end - at) as usize;
                    if buffer.capacity() < size {
                        buffer = Vec::with_capacity(size);
                    }
                    let piece = &mut buffer.spare_capacity_mut()[..size];
                    sink.chunk(chunk.subarray(at, end).copy_to_uninit(piece));
                    at = end;
                }
            }
        }
        .await;
        if result.is_err() {
            // Best effort: the stream is given up (its connection released). `cancel()` answers
            // a promise, which rejects when the stream has failed (a connection that broke off,
            // the usual reason to be here): its rejection is caught and dropped, since one
            // nobody handles ends a node or Deno process by default.
            if let Ok(cancel) = get(&reader, "cancel").dyn_into::<Function>()
                && let Ok(promise) = cancel.call0(&reader)
            {
                IGNORE.with(|ignore| {
                    let _ = Promise::resolve(&promise).catch(ignore);
                });
            }
        }
        result
    }
}

impl FetchTransport {
    /// Sends the request through `fetch` and returns the response object with its head (status,
    /// headers, final URL) as an [`HttpResponse`] without a body.
    async fn send_head(&self, request: HttpRequest) -> Result<(JsValue, HttpResponse)> {
        let url = request.url.clone();
        let init = Object::new();
        set(&init, "method", &JsValue::from_str(request.method.as_str()));
        let headers = Array::new();
        for (name, value) in &request.headers {
            if self.omit_user_agent && name.eq_ignore_ascii_case("user-agent") {
                continue;
            }
            headers.push(&Array::of2(
                &JsValue::from_str(name),
                &JsValue::from_str(value),
            ));
        }
        set(&init, "headers", &headers);
        if let Some(body) = &request.body {
            // A copy, not a view into wasm memory (which detaches when memory grows).
            let bytes = Uint8Array::new_with_length(body.len() as u32);
            bytes.copy_from(body);
            set(&init, "body", &bytes);
        }
        // When fetch follows redirects, the core reads `final_url` and resolves hrefs against it.
        let redirect = if self.follow_redirects {
            "follow"
        } else {
            "manual"
        };
        set(&init, "redirect", &JsValue::from_str(redirect));
        let called = self
            .fetch
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(&url), &init)
            .map_err(|e| transport_error(&url, &e))?;
        let response = JsFuture::from(Promise::resolve(&called))
            .await
            .map_err(|e| transport_error(&url, &e))?;
        let status = get(&response, "status")
            .as_f64()
            .filter(|s| (100.0..1000.0).contains(s))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Transport,
                    "fetch returned something without a valid `status` (an opaque response?)",
                )
                .with_url(&url)
            })? as u16;
        let mut header_list = Vec::new();
        let js_headers = get(&response, "headers");
        if let Ok(Some(entries)) = js_sys::try_iter(&js_headers) {
            for entry in entries {
                let entry = entry.map_err(|e| transport_error(&url, &e))?;
                let pair: Array = entry.unchecked_into();
                if let (Some(name), Some(value)) =
                    (pair.get(0).as_string(), pair.get(1).as_string())
                {
                    header_list.push((name, value));
                }
            }
        }
        let final_url = if get(&response, "redirected").as_bool() == Some(true) {
            get(&response, "url").as_string().filter(|u| !u.is_empty())
        } else {
            None
        };
        Ok((
            response,
            HttpResponse {
                status,
                headers: header_list,
                body: Vec::new(),
                final_url,
            },
        ))
    }
}

/// The body's stream reader and its `read` function, when the response has a readable stream.
fn body_reader(response: &JsValue) -> Option<(JsValue, Function)> {
    let body = get(response, "body");
    if body.is_null() || body.is_undefined() {
        return None;
    }
    let get_reader: Function = get(&body, "getReader").dyn_into().ok()?;
    let reader = get_reader.call0(&body).ok()?;
    let read: Function = get(&reader, "read").dyn_into().ok()?;
    Some((reader, read))
}

/// The whole body, by `arrayBuffer()`.
async fn whole_body(response: &JsValue, url: &str) -> Result<Vec<u8>> {
    let array_buffer: Function = get(response, "arrayBuffer").dyn_into().map_err(|_| {
        Error::new(ErrorKind::Transport, "the response has no arrayBuffer()").with_url(url)
    })?;
    let buffer_promise = array_buffer
        .call0(response)
        .map_err(|e| transport_error(url, &e))?;
    let buffer = JsFuture::from(Promise::resolve(&buffer_promise))
        .await
        .map_err(|e| transport_error(url, &e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
