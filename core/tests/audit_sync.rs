//! Answers a real server or proxy gives that the simulation's model server never gives, each
//! fed to a whole operation through a scripted transport: the "nothing is ever lost" rules
//! (ARCHITECTURE.md, guarantees 1-4) must hold for them too.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::block_on;

use std::cell::RefCell;
use std::collections::VecDeque;

use davkit::{Config, Credentials, DavClient, HttpRequest, HttpResponse, Transport};

/// A transport that answers each request with the next scripted answer, after checking its
/// method and URL; every request is logged as `METHOD URL`.
struct Script {
    answers: RefCell<VecDeque<(&'static str, String, HttpResponse)>>,
    log: RefCell<Vec<String>>,
}

impl Script {
    fn new(answers: Vec<(&'static str, &str, HttpResponse)>) -> Self {
        Script {
            answers: RefCell::new(
                answers
                    .into_iter()
                    .map(|(m, u, r)| (m, u.to_owned(), r))
                    .collect(),
            ),
            log: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for &Script {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let line = format!("{} {}", request.method.as_str(), request.url);
        self.log.borrow_mut().push(line.clone());
        let Some((method, url, response)) = self.answers.borrow_mut().pop_front() else {
            panic!("no answer scripted for {line}");
        };
        assert_eq!(
            (method, url.as_str()),
            (request.method.as_str(), request.url.as_str()),
            "unexpected request"
        );
        Ok(response)
    }
}

fn with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut r = HttpResponse::new(status, body);
    r.headers = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    r
}

fn client(server: &str, script: &Script) -> DavClient<&'static Script> {
    // The script lives for the test; leaking it keeps the client's type simple.
    let script: &'static Script = Box::leak(Box::new(Script {
        answers: RefCell::new(std::mem::take(&mut *script.answers.borrow_mut())),
        log: RefCell::new(Vec::new()),
    }));
    DavClient::new(Config::new(server, Credentials::None), script).expect("a valid configuration")
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\nSUMMARY:old\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

// ---------------------------------------------------------------------------------------
// Writes answered 303 See Other.

/// A DELETE answered `303 See Other` (an authenticating proxy, a server that "moved" the
/// object) is followed by the exchanger as a GET; that GET's 200 (the object, still there)
/// must not be reported as the DELETE's success.
#[test]
fn a_delete_answered_303_is_not_reported_done() {
    let url = "https://dav.example.com/cal/a.ics";
    let script = Script::new(vec![
        ("DELETE", url, with_headers(303, &[("Location", url)], "")),
        // Only reached when the 303 is followed as a GET (the object is still there).
        ("GET", url, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
        ("DELETE", url, with_headers(303, &[("Location", url)], "")),
        ("GET", url, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let outcome = block_on(c.delete_object(url, "\"1\""));
    assert!(
        outcome.is_err(),
        "a DELETE the server answered 303 was reported done, while the object is still there"
    );
}

/// The same for an update: a PUT answered 303 is not a successful write of that data.
#[test]
fn an_update_answered_303_is_not_reported_done() {
    let url = "https://dav.example.com/cal/a.ics";
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    let script = Script::new(vec![
        ("PUT", url, with_headers(303, &[("Location", url)], "")),
        ("GET", url, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
        ("PUT", url, with_headers(303, &[("Location", url)], "")),
        ("GET", url, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let outcome = block_on(c.update_object(url, &new, "\"1\""));
    assert!(
        outcome.is_err(),
        "a PUT the server answered 303 was reported written: {outcome:?}"
    );
}
