//! The client's retry loop around a flush: a flush stopped by a rate limit or a 401 goes on from
//! the queue it returned (after the policy's delay, or with a fresh token), the outcomes of
//! every run come back together; a flush that cannot go on returns what it did with the error
//! that stopped it; a token that cannot be had fails the call.

use std::cell::{Cell, RefCell};

use super::*;
use crate::http::{HttpRequest, HttpResponse};
use crate::queue::WriteQueue;

use davkit_testkit::block_on;

/// Answers requests from a script, in order, and records them; sleeps when `can_sleep`.
struct Script {
    answers: RefCell<Vec<(&'static str, &'static str, HttpResponse)>>,
    sent: RefCell<Vec<(String, String, Option<String>)>>,
    can_sleep: bool,
    slept: Cell<u32>,
}

impl Script {
    fn new(can_sleep: bool, answers: Vec<(&'static str, &'static str, HttpResponse)>) -> Self {
        Script {
            answers: RefCell::new(answers.into_iter().rev().collect()),
            sent: RefCell::new(Vec::new()),
            can_sleep,
            slept: Cell::new(0),
        }
    }

    fn sent(&self) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .map(|(m, u, a)| format!("{m} {u} {}", a.as_deref().unwrap_or("-")))
            .collect()
    }
}

impl Transport for Script {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let auth = request.header("authorization").map(str::to_owned);
        self.sent.borrow_mut().push((
            request.method.as_str().to_owned(),
            request.url.clone(),
            auth,
        ));
        let (method, url, response) = self
            .answers
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| panic!("unexpected request {} {}", request.method, request.url));
        assert_eq!(
            (method, url),
            (request.method.as_str(), request.url.as_str())
        );
        Ok(response)
    }

    async fn sleep(&self, _ms: u64) -> bool {
        self.slept.set(self.slept.get() + 1);
        self.can_sleep
    }
}

/// Tokens `t1`, `t2`, ... on each call, or an error from call `fail_at` on.
struct Tokens {
    calls: Cell<u32>,
    fail_at: u32,
}

impl TokenProvider for Tokens {
    async fn token(&self, _force_refresh: bool) -> Result<String> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if n >= self.fail_at {
            return Err(Error::new(ErrorKind::Unauthorized, "no token"));
        }
        Ok(format!("t{n}"))
    }
}

const A: &str = "https://dav.example/cal/a.ics";
const B: &str = "https://dav.example/cal/b.ics";
const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n\
                   UID:u\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\n\
                   END:VEVENT\r\nEND:VCALENDAR\r\n";

/// Two updates, begun.
fn queue() -> WriteQueue {
    let mut q = WriteQueue::new();
    q.enqueue_update(A, ICS, "\"a1\"", None).expect("a");
    q.enqueue_update(B, ICS, "\"b1\"", None).expect("b");
    q.begin_flush();
    q
}

fn written(etag: &str) -> HttpResponse {
    HttpResponse::new(204, "").with_header("ETag", etag)
}

fn rate_limited() -> HttpResponse {
    HttpResponse::new(429, "").with_header("Retry-After", "1")
}

fn config() -> Config {
    Config::new("https://dav.example/", Credentials::None)
}

fn ids(result: &crate::FlushResult) -> Vec<u64> {
    result.outcomes.iter().map(|o| o.id).collect()
}

#[test]
fn a_rate_limited_flush_goes_on_from_the_queue_it_returned() {
    let script = Script::new(
        true,
        vec![
            ("PUT", A, written("\"a2\"")),
            ("PUT", B, rate_limited()),
            ("PUT", B, written("\"b2\"")),
        ],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let result = block_on(client.flush(queue())).expect("flush");
    assert!(result.stopped.is_none(), "{:?}", result.stopped);
    assert_eq!(ids(&result), [1, 2], "both runs' outcomes");
    assert!(
        result.queue.entries().is_empty(),
        "{:?}",
        result.queue.entries()
    );
    assert_eq!(script.slept.get(), 1);
}

#[test]
fn a_rate_limited_flush_that_cannot_wait_returns_what_it_did_and_the_error() {
    let script = Script::new(
        false,
        vec![("PUT", A, written("\"a2\"")), ("PUT", B, rate_limited())],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let result = block_on(client.flush(queue())).expect("flush");
    let stopped = result.stopped.as_ref().expect("stopped");
    assert_eq!(stopped.kind(), ErrorKind::RateLimited);
    assert_eq!(ids(&result), [1]);
    let left: Vec<&str> = result
        .queue
        .entries()
        .iter()
        .map(|e| e.url.as_str())
        .collect();
    assert_eq!(left, [B], "b stays queued");
}

#[test]
fn a_401_refreshes_the_token_once_and_the_flush_goes_on() {
    let script = Script::new(
        false,
        vec![
            ("PUT", A, written("\"a2\"")),
            ("PUT", B, HttpResponse::new(401, "")),
            ("PUT", B, written("\"b2\"")),
        ],
    );
    let tokens = Tokens {
        calls: Cell::new(0),
        fail_at: u32::MAX,
    };
    let client = DavClient::with_token_provider(config(), &script, tokens).expect("client");
    let result = block_on(client.flush(queue())).expect("flush");
    assert!(result.stopped.is_none(), "{:?}", result.stopped);
    assert_eq!(ids(&result), [1, 2]);
    assert_eq!(
        script.sent(),
        [
            format!("PUT {A} Bearer t1"),
            format!("PUT {B} Bearer t1"),
            format!("PUT {B} Bearer t2"),
        ]
    );
}

#[test]
fn a_second_401_stops_the_flush_with_what_it_did() {
    let script = Script::new(
        false,
        vec![
            ("PUT", A, HttpResponse::new(401, "")),
            ("PUT", A, written("\"a2\"")),
            ("PUT", B, HttpResponse::new(401, "")),
        ],
    );
    let tokens = Tokens {
        calls: Cell::new(0),
        fail_at: u32::MAX,
    };
    let client = DavClient::with_token_provider(config(), &script, tokens).expect("client");
    let result = block_on(client.flush(queue())).expect("flush");
    let stopped = result.stopped.as_ref().expect("stopped");
    assert_eq!(stopped.kind(), ErrorKind::Unauthorized);
    assert_eq!(ids(&result), [1], "the outcome of the second run is kept");
    assert_eq!(result.queue.entries().len(), 1);
}

#[test]
fn a_token_that_cannot_be_refreshed_fails_the_flush() {
    let script = Script::new(
        false,
        vec![
            ("PUT", A, written("\"a2\"")),
            ("PUT", B, HttpResponse::new(401, "")),
        ],
    );
    let tokens = Tokens {
        calls: Cell::new(0),
        fail_at: 2,
    };
    let client = DavClient::with_token_provider(config(), &script, tokens).expect("client");
    let error = block_on(client.flush(queue())).expect_err("the refresh failed");
    assert_eq!(
        error.to_string(),
        Error::new(ErrorKind::Unauthorized, "no token").to_string()
    );
}

#[test]
fn no_first_token_no_flush() {
    let script = Script::new(false, vec![]);
    let tokens = Tokens {
        calls: Cell::new(0),
        fail_at: 1,
    };
    let client = DavClient::with_token_provider(config(), &script, tokens).expect("client");
    let error = block_on(client.flush(queue())).expect_err("no token");
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    assert!(script.sent().is_empty());
}

#[test]
fn a_queue_not_begun_is_refused_without_a_retry() {
    let mut q = WriteQueue::new();
    q.enqueue_update(A, ICS, "\"a1\"", None).expect("a");
    let script = Script::new(true, vec![]);
    let client = DavClient::new(config(), &script).expect("client");
    let error = block_on(client.flush(q)).expect_err("not begun");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(script.slept.get(), 0);
}

/// A token provider's answer goes into a header verbatim: one holding CR LF (or another
/// control character, or a non-ASCII one) is refused before any request, with an error that does
/// not show it. Sent, it would start another header, and the HTTP stacks that refuse it quote
/// it in their message (undici, Python's http.client), which became the call's error.
#[test]
fn a_token_that_cannot_travel_in_a_header_is_refused_unseen() {
    struct Bad;
    impl TokenProvider for Bad {
        async fn token(&self, _force_refresh: bool) -> Result<String> {
            Ok("ya29.s3cret\r\nX-Injected: 1".to_owned())
        }
    }
    let script = Script::new(false, vec![]);
    let client = DavClient::with_token_provider(config(), &script, Bad).expect("client");
    let error = block_on(client.get_object(A)).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(
        !format!("{error} {error:?}").contains("s3cret"),
        "{error:?}"
    );
    assert!(script.sent().is_empty(), "{:?}", script.sent());
}

const ADD_MEMBER: &str = "https://dav.example/book/;add-member";
const CARD: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:A\r\nEND:VCARD\r\n";
const INSERT: &str = "https://www.googleapis.com/calendar/v3/calendars/cal/events";

fn unavailable() -> HttpResponse {
    HttpResponse::new(
        503,
        r#"{"error":{"errors":[{"reason":"backendError"}],"code":503}}"#,
    )
}

fn created() -> HttpResponse {
    HttpResponse::new(201, "").with_header("Location", "/book/c1.vcf")
}

fn inserted() -> HttpResponse {
    HttpResponse::new(200, r#"{"id":"e2","etag":"\"1\"","summary":"x"}"#)
}

fn gcal_client(script: &Script) -> DavClient<&Script> {
    let config = Config::new(crate::gcal::API_BASE, Credentials::bearer("tok"));
    DavClient::new(config, script).expect("client")
}

#[test]
fn a_post_answered_503_is_not_sent_again() {
    // A 503 may come after the server applied the POST: sent again, it would make a second
    // object. The retries that follow a rate limit leave it alone.
    let script = Script::new(true, vec![("POST", ADD_MEMBER, unavailable())]);
    let client = DavClient::new(config(), &script).expect("client");
    let error = block_on(client.post_object(ADD_MEMBER, CARD)).expect_err("a 503");
    assert_eq!((error.kind(), error.status()), (ErrorKind::Http, Some(503)));
    assert!(error.message().contains("may have been applied"), "{error}");
    assert_eq!(script.sent().len(), 1, "{:?}", script.sent());
    assert_eq!(script.slept.get(), 0);

    let script = Script::new(true, vec![("POST", INSERT, unavailable())]);
    let client = gcal_client(&script);
    let event = serde_json::json!({"summary": "x"});
    let error = block_on(client.gcal_insert("cal", &event)).expect_err("a 503");
    assert_eq!((error.kind(), error.status()), (ErrorKind::Http, Some(503)));
    assert_eq!(script.sent().len(), 1, "{:?}", script.sent());
}

#[test]
fn a_post_refused_by_a_rate_limit_is_sent_again_after_the_wait() {
    // A 429 refuses the request before it is read: waiting and sending it again is safe.
    let script = Script::new(
        true,
        vec![
            ("POST", ADD_MEMBER, rate_limited()),
            ("POST", ADD_MEMBER, created()),
        ],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let written = block_on(client.post_object(ADD_MEMBER, CARD)).expect("created");
    assert_eq!(written.url, "https://dav.example/book/c1.vcf");
    assert_eq!(script.slept.get(), 1);

    let script = Script::new(
        true,
        vec![
            ("POST", INSERT, rate_limited()),
            ("POST", INSERT, inserted()),
        ],
    );
    let client = gcal_client(&script);
    let event = serde_json::json!({"summary": "x"});
    let written = block_on(client.gcal_insert("cal", &event)).expect("inserted");
    assert!(written.url.ends_with("/e2"), "{}", written.url);
    assert_eq!(script.sent().len(), 2);
}

#[test]
fn a_put_answered_503_is_still_retried_under_its_precondition() {
    // A PUT carries If-Match: sent again after a 503 that had applied it, it is refused
    // (412), never applied twice.
    let script = Script::new(
        true,
        vec![("PUT", A, unavailable()), ("PUT", A, written("\"a2\""))],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let written = block_on(client.update_object(A, ICS, "\"a1\"")).expect("written");
    assert_eq!(written.etag.as_deref(), Some("\"a2\""));
    assert_eq!(script.slept.get(), 1);
}

#[test]
fn a_408_or_425_is_sent_again_once_at_once() {
    // RFC 9110 §15.5.9: a 408 says the request did not arrive whole; sent again, under its
    // precondition, without a wait. 425 (RFC 8470) likewise.
    for status in [408, 425] {
        let script = Script::new(
            false,
            vec![
                ("PUT", A, HttpResponse::new(status, "")),
                ("PUT", A, written("\"a2\"")),
            ],
        );
        let client = DavClient::new(config(), &script).expect("client");
        let written = block_on(client.update_object(A, ICS, "\"a1\"")).expect("written");
        assert_eq!(written.etag.as_deref(), Some("\"a2\""));
        assert_eq!(script.slept.get(), 0, "no wait");
    }
    // Twice in a row: the call's error, after two requests.
    let script = Script::new(
        true,
        vec![
            ("PUT", A, HttpResponse::new(408, "")),
            ("PUT", A, HttpResponse::new(408, "")),
        ],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let error = block_on(client.update_object(A, ICS, "\"a1\"")).expect_err("two 408s");
    assert_eq!(error.status(), Some(408));
    assert_eq!(script.sent().len(), 2);
}

#[test]
fn a_flush_stopped_by_a_408_goes_on_once() {
    let script = Script::new(
        false,
        vec![
            ("PUT", A, written("\"a2\"")),
            ("PUT", B, HttpResponse::new(408, "")),
            ("PUT", B, written("\"b2\"")),
        ],
    );
    let client = DavClient::new(config(), &script).expect("client");
    let result = block_on(client.flush(queue())).expect("flush");
    assert!(result.stopped.is_none(), "{:?}", result.stopped);
    assert_eq!(ids(&result), [1, 2], "both runs' outcomes");
    assert!(result.queue.entries().is_empty());
}
