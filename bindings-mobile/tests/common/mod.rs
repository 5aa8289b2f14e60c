//! Helpers shared by the crate's Rust tests.
#![allow(dead_code)] // not every test file uses every helper
#![allow(clippy::unwrap_used)] // test code

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use davkit_mobile::{
    Credentials, DavConfig, DavError, HttpHeader, HttpRequest, HttpResponse, HttpTransport,
};
use serde_json::Value;

/// The client configuration of a vector or scenario (`config`: `server_url` and Basic
/// `credentials`), every other setting at its default.
pub fn config(config: &Value) -> DavConfig {
    let basic = &config["credentials"]["basic"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    DavConfig::new(
        text(&config["server_url"]),
        Credentials::basic(text(&basic["username"]), text(&basic["password"])),
    )
}

/// A minimal executor: polls on this thread, parks until woken (the runtime-free way a
/// foreign executor drives the futures).
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

/// Answers from recorded exchanges as `tests/vectors/README.md` says: the first unused one with
/// the request's method and URL whose `body_contains` all appear; the expected headers are
/// checked (a `null` one must be absent) and mismatches kept in `problems`.
pub struct Replay {
    exchanges: Vec<Value>,
    used: Mutex<Vec<bool>>,
    problems: Mutex<Vec<String>>,
}

impl Replay {
    /// A transport for these exchanges.
    pub fn new(exchanges: Vec<Value>) -> Arc<Replay> {
        let used = Mutex::new(vec![false; exchanges.len()]);
        Arc::new(Replay {
            exchanges,
            used,
            problems: Mutex::default(),
        })
    }

    /// What went wrong: header mismatches, unexpected requests, exchanges never asked for.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.problems.lock().unwrap().clone();
        let used = self.used.lock().unwrap();
        for (ex, used) in self.exchanges.iter().zip(used.iter()) {
            if !used {
                out.push(format!("never requested: {}", ex["request"]["url"]));
            }
        }
        out
    }
}

#[async_trait::async_trait]
impl HttpTransport for Replay {
    async fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, DavError> {
        let body = String::from_utf8(request.body().unwrap_or_default()).unwrap_or_default();
        let (method, url) = (request.method(), request.url());
        let found = {
            let mut used = self.used.lock().unwrap();
            let found = self.exchanges.iter().enumerate().position(|(i, ex)| {
                let want = &ex["request"];
                !used[i]
                    && want["method"] == method.as_str()
                    && want["url"] == url.as_str()
                    && want["body_contains"].as_array().is_none_or(|parts| {
                        parts
                            .iter()
                            .all(|p| p.as_str().is_some_and(|p| body.contains(p)))
                    })
            });
            if let Some(i) = found {
                used[i] = true;
            }
            found
        };
        let Some(i) = found else {
            let problem = format!("unexpected request {method} {url}");
            self.problems.lock().unwrap().push(problem.clone());
            return Err(DavError::transport(problem));
        };
        for (name, want) in self.exchanges[i]["request"]["headers"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let got = request.header(name.clone());
            if got.as_deref() != want.as_str() {
                self.problems.lock().unwrap().push(format!(
                    "header {name} of {method} {url}: {got:?} != {want}"
                ));
            }
        }
        let r = &self.exchanges[i]["response"];
        let headers = r["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| HttpHeader {
                name: name.clone(),
                value: value.as_str().unwrap_or_default().to_owned(),
            })
            .collect();
        Ok(HttpResponse {
            status: u16::try_from(r["status"].as_u64().unwrap_or(0)).unwrap_or(0),
            headers,
            body: r["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
            final_url: None,
        })
    }
}
