//! Helpers shared by the replay tests (`vectors.rs`, `queue.rs`, `sync_requests.rs`), the
//! scripted ones (`digest.rs`, `hostile_origins.rs`, `proxy_answers.rs`) and the native
//! transport's tests (`reqwest_body_limit.rs`, `reqwest_idle_timeout.rs`), and the runners of
//! `tests/hostile/` ([`hostile`]).

#![allow(dead_code, unused_imports)] // each test crate uses its own share of these
#![allow(clippy::panic)] // test helpers report failures by panicking

pub mod hostile;

use std::path::Path;

use davkit::{HttpRequest, HttpResponse, Method, Operation, Poll, RequestId};
use serde_json::Value;

/// Runs a future that never waits for anything outside (a replay or script answers at once).
pub use davkit_testkit::block_on;

/// A recorded response (`tests/vectors/README.md`): `status`, `headers`, the body as `body`,
/// `body_file` (beside the vector) or `body_base64`, `final_url`; `transport_error` is a
/// failure to send, status 0 with the message as its body.
pub fn response(dir: &Path, r: &Value) -> HttpResponse {
    let body: Vec<u8> = if let Some(file) = r.get("body_file").and_then(Value::as_str) {
        std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("body_file {file}: {e}"))
    } else if let Some(b64) = r.get("body_base64").and_then(Value::as_str) {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("body_base64")
    } else {
        r.get("body")
            .and_then(Value::as_str)
            .unwrap_or("")
            .as_bytes()
            .to_vec()
    };
    let headers = match r.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    if let Some(message) = r.get("transport_error").and_then(Value::as_str) {
        return HttpResponse::new(0, message);
    }
    HttpResponse {
        status: r["status"].as_u64().expect("status") as u16,
        headers,
        body,
        final_url: r
            .get("final_url")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

/// A bare `GET` of `url` (no headers, no body), for sending straight to a transport.
pub fn get(url: &str) -> HttpRequest {
    HttpRequest {
        id: RequestId(1),
        method: Method::Get,
        url: url.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

/// Runs `op` for at most `steps` requests, answering each with `server`; returns the result and
/// every request it made.
pub fn run_op<O: Operation>(
    mut op: O,
    steps: usize,
    mut server: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (Result<O::Output, davkit::Error>, Vec<HttpRequest>) {
    let mut seen = Vec::new();
    for _ in 0..steps {
        match op.poll() {
            Poll::Send(request) => {
                let response = server(&request);
                let id = request.id;
                seen.push(request);
                op.handle_response(id, response);
            }
            Poll::Wait => panic!("waiting with nothing in flight"),
            Poll::Done(result) => return (result, seen),
        }
    }
    panic!("the operation did not end");
}

/// What `Limits::max_json_values` weighs a JSON text (without a key given twice), computed
/// from its parse, apart from the core's scan: every value 1, every key
/// `davkit::json_read::text::KEY_WEIGHT`, and `OBJECT_WEIGHT` or `ARRAY_WEIGHT` more for each
/// object with members or array with items.
pub fn json_weight(text: &str) -> usize {
    use davkit::json_read::text::{ARRAY_WEIGHT, KEY_WEIGHT, OBJECT_WEIGHT};
    fn weigh(v: &Value) -> usize {
        1 + match v {
            Value::Array(items) if items.is_empty() => 0,
            Value::Array(items) => ARRAY_WEIGHT + items.iter().map(weigh).sum::<usize>(),
            Value::Object(members) if members.is_empty() => 0,
            Value::Object(members) => {
                OBJECT_WEIGHT
                    + members
                        .values()
                        .map(|v| KEY_WEIGHT + weigh(v))
                        .sum::<usize>()
            }
            _ => 0,
        }
    }
    weigh(&serde_json::from_str(text).expect("JSON"))
}
