//! HTTP Digest (RFC 7616) against a real implementation: Debian's Apache with mod_auth_digest
//! (MD5, `qop=auth`) as a reverse proxy in front of Radicale, on 127.0.0.1. Ignored by default;
//! run them with the proxy started:
//!
//! ```sh
//! python3 tests/servers/servers.py --only radicale run -- \
//!   bash scripts/digest-proxy.sh cargo test -p davkit --test digest_live -- --ignored
//! ```
//!
//! A missing variable is a failure, not a skip. The requests go through a minimal blocking
//! HTTP/1.0 client over `std::net` (one connection per request), so the test needs no feature.

#![allow(clippy::panic)] // test helpers report failures by panicking

use std::io::{Read, Write};
use std::net::TcpStream;

use davkit::{
    Config, Credentials, ErrorKind, HttpRequest, HttpResponse, Operation, Poll, Service, Session,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run under tests/servers/servers.py and scripts/digest-proxy.sh")
    })
}

/// Sends one request over HTTP/1.0 (the answer ends with the connection).
fn send(request: &HttpRequest) -> HttpResponse {
    let url = url::Url::parse(&request.url).unwrap_or_else(|e| panic!("{e}"));
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    let mut stream = TcpStream::connect((host, port)).unwrap_or_else(|e| panic!("{e}"));
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let body = request.body.clone().unwrap_or_default();
    let mut head = format!(
        "{} {target} HTTP/1.0\r\nHost: {host}:{port}\r\nContent-Length: {}\r\n",
        request.method.as_str(),
        body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let mut response = HttpResponse::new(status, raw[split + 4..].to_vec());
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            response = response.with_header(name.trim(), value.trim());
        }
    }
    response
}

/// What one operation sent and got: (URL, Authorization present, status, WWW-Authenticate).
type Log = Vec<(String, bool, u16, String)>;

fn run<O: Operation>(mut op: O) -> (Result<O::Output, davkit::Error>, Log) {
    let mut log = Vec::new();
    for _ in 0..50 {
        match op.poll() {
            Poll::Send(request) => {
                let response = send(&request);
                let has_auth = request
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
                log.push((
                    request.url.clone(),
                    has_auth,
                    response.status,
                    response
                        .header("www-authenticate")
                        .unwrap_or_default()
                        .to_owned(),
                ));
                op.handle_response(request.id, response);
            }
            Poll::Wait => panic!("waiting with nothing in flight"),
            Poll::Done(result) => return (result, log),
        }
    }
    panic!("the operation did not end: {log:?}");
}

fn session(password: &str) -> Session {
    Session::new(Config::new(
        env("DAVKIT_DIGEST_URL"),
        Credentials::digest(env("DAVKIT_DIGEST_USER"), password),
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
#[ignore = "needs scripts/digest-proxy.sh (Apache mod_auth_digest in front of Radicale)"]
fn discovery_through_apache_digest() {
    let s = session(&env("DAVKIT_DIGEST_PASSWORD"));
    let (result, log) = run(s.discover(Service::CalDav));
    let found = result.unwrap_or_else(|e| panic!("{e} {log:?}"));
    let user = env("DAVKIT_RADICALE_USER");
    assert!(
        found
            .principal
            .as_deref()
            .is_some_and(|p| p.contains(&user)),
        "{found:?}"
    );
    assert_eq!(log[0].2, 401, "Apache challenges first: {log:?}");
    assert!(log[0].3.starts_with("Digest"), "{log:?}");
    assert!(
        log[1..]
            .iter()
            .all(|(_, auth, status, _)| *auth && *status != 401),
        "{log:?}"
    );
}

#[test]
#[ignore = "needs scripts/digest-proxy.sh (Apache mod_auth_digest in front of Radicale)"]
fn a_wrong_password_is_unauthorized() {
    let (result, log) = run(session("not the password").discover(Service::CalDav));
    let e = result.err().unwrap_or_else(|| panic!("no error: {log:?}"));
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(log.len(), 2, "one answer, no loop: {log:?}");
    assert!(!format!("{e} {e:?}").contains("not the password"));
}

#[test]
#[ignore = "needs scripts/digest-proxy.sh (Apache mod_auth_digest in front of Radicale)"]
fn a_stale_nonce_is_answered_again() {
    let s = session(&env("DAVKIT_DIGEST_PASSWORD"));
    let (first, log) = run(s.discover(Service::CalDav));
    assert!(first.is_ok(), "{first:?} {log:?}");
    // Apache's nonces here live 2 s: the next request's nonce is stale.
    std::thread::sleep(std::time::Duration::from_millis(3_000));
    let (second, log) = run(s.discover(Service::CalDav));
    assert!(second.is_ok(), "{second:?} {log:?}");
    assert!(
        log.iter().any(|(_, auth, status, challenge)| *auth
            && *status == 401
            && challenge.to_ascii_lowercase().contains("stale=true")),
        "Apache said the nonce was stale: {log:?}"
    );
}

#[test]
#[ignore = "needs scripts/digest-proxy.sh (Apache mod_auth_digest in front of Radicale)"]
fn no_answer_after_a_redirect_to_another_origin() {
    let s = session(&env("DAVKIT_DIGEST_PASSWORD"));
    let (result, log) = run(s.get_object("elsewhere/cal/a.ics"));
    let e = result.err().unwrap_or_else(|| panic!("no error: {log:?}"));
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e} {log:?}");
    let other = env("DAVKIT_DIGEST_OTHER_URL");
    let there: Vec<_> = log.iter().filter(|(u, ..)| u.starts_with(&other)).collect();
    assert!(!there.is_empty(), "the redirect was followed: {log:?}");
    assert!(
        there.iter().all(|(_, auth, ..)| !auth),
        "no credentials for another origin: {log:?}"
    );
}
