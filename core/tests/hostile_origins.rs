//! What a hostile server can name (a principal, home sets, collections, members, a write's
//! `Location`) on another origin, over plain http, or under another scheme: the credentials go
//! only to the configured origin, and nothing but an http(s) URL is ever requested. Each case
//! answers every request from a script and checks every request the operation made.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use davkit::{
    CollectionKind, Config, Credentials, HttpRequest, HttpResponse, Operation, Service, Session,
    SyncState,
};

const SERVER: &str = "https://dav.example.com/";

/// Runs `op`, answering each request with `server`, and returns every request it made.
fn run<O: Operation>(op: O, server: impl FnMut(&HttpRequest) -> HttpResponse) -> Vec<HttpRequest> {
    common::run_op(op, 50, server).1
}

/// Every request is http(s), and only those to the configured origin carry credentials.
fn check(requests: &[HttpRequest]) {
    assert!(!requests.is_empty());
    for r in requests {
        assert!(
            r.url.starts_with("https://") || r.url.starts_with("http://"),
            "a request to {}",
            r.url
        );
        let auth = r.header("authorization");
        if !r.url.starts_with(SERVER) {
            assert_eq!(auth, None, "credentials sent to {}", r.url);
        }
    }
    assert!(
        requests[0].header("authorization").is_some(),
        "the credentials were used: {requests:?}"
    );
}

fn session() -> Session {
    Session::new(Config::new(SERVER, Credentials::basic("alice", "s3cret")))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn multistatus(href: &str, props: &str) -> HttpResponse {
    HttpResponse::new(
        207,
        format!(
            "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" \
             xmlns:a=\"urn:ietf:params:xml:ns:carddav\"><d:response><d:href>{href}</d:href>\
             <d:propstat><d:prop>{props}</d:prop><d:status>HTTP/1.1 200 OK</d:status>\
             </d:propstat></d:response></d:multistatus>"
        ),
    )
}

const ELSEWHERE: [&str; 7] = [
    "https://evil.example/x/",
    "http://dav.example.com/x/",
    "https://dav.example.com:8443/x/",
    "//evil.example/x/",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "ftp://dav.example.com/x/",
];

#[test]
fn a_principal_elsewhere_gets_no_credentials() {
    for target in ELSEWHERE {
        let requests = run(session().discover(Service::Both), |r| {
            if r.url == SERVER {
                multistatus(
                    "/",
                    &format!(
                        "<d:current-user-principal><d:href>{target}</d:href></d:current-user-principal>"
                    ),
                )
            } else {
                HttpResponse::new(401, "")
            }
        });
        check(&requests);
    }
}

#[test]
fn home_sets_and_collections_elsewhere_get_no_credentials() {
    for target in ELSEWHERE {
        let requests = run(session().discover(Service::Both), |r| {
            if r.url == SERVER {
                multistatus(
                    "/",
                    "<d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>",
                )
            } else if r.url == format!("{SERVER}p/") {
                multistatus(
                    "/p/",
                    &format!(
                        "<c:calendar-home-set><d:href>{target}</d:href></c:calendar-home-set>\
                         <a:addressbook-home-set><d:href>{target}card/</d:href></a:addressbook-home-set>\
                         <c:schedule-outbox-URL><d:href>{target}out/</d:href></c:schedule-outbox-URL>"
                    ),
                )
            } else {
                multistatus(
                    "/",
                    "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>",
                )
            }
        });
        check(&requests);
    }
}

#[test]
fn members_elsewhere_get_no_credentials() {
    for target in ELSEWHERE {
        let state = SyncState::new(format!("{SERVER}cal/"));
        let requests = run(session().sync(state, CollectionKind::Calendar), |r| {
            if r.url == format!("{SERVER}cal/") && r.method.as_str() == "REPORT" {
                HttpResponse::new(
                    207,
                    format!(
                        "<d:multistatus xmlns:d=\"DAV:\"><d:response><d:href>{target}a.ics</d:href>\
                         <d:propstat><d:prop><d:getetag>\"1\"</d:getetag></d:prop>\
                         <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\
                         <d:sync-token>t1</d:sync-token></d:multistatus>"
                    ),
                )
            } else {
                HttpResponse::new(
                    200,
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                )
                .with_header("ETag", "\"1\"")
            }
        });
        check(&requests);
    }
}

#[test]
fn a_location_elsewhere_gets_no_credentials() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n\
               DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    for target in ELSEWHERE {
        for status in [201, 301, 302, 303, 307, 308] {
            let op = session().create_object(&format!("{SERVER}cal/"), "a.ics", ics);
            let requests = run(op, |r| {
                if r.url.starts_with(SERVER) {
                    HttpResponse::new(status, "").with_header("Location", &format!("{target}a.ics"))
                } else {
                    HttpResponse::new(401, "")
                }
            });
            check(&requests);
        }
    }
}
