//! HTTP Digest authentication (RFC 7616) answered by the core: scripted exchanges with a server
//! that checks each answer itself (SHA-256 here; MD5 and the RFC's worked example are unit
//! tests in `auth.rs`). Covers the first challenge, a stale nonce, a wrong password, the nonce
//! count, and a redirect to another origin (no credentials there, followed by the core or by
//! the host).

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use davkit::{Config, Credentials, ErrorKind, HttpRequest, HttpResponse, Operation, Session};
use sha2::{Digest as _, Sha256};

const REALM: &str = "SabreDAV";
const USER: &str = "alice";
const PASSWORD: &str = "s3cret pw";

fn sha(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The parameters of an `Authorization: Digest ...` header (quoted values unquoted).
fn params(header: &str) -> Vec<(String, String)> {
    let rest = header
        .strip_prefix("Digest ")
        .unwrap_or_else(|| panic!("not Digest: {header}"));
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == ',') {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.is_empty() {
            return out;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next()),
                    '"' => break,
                    c => v.push(c),
                }
            }
            v
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect()
        };
        out.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

/// A server that accepts a Digest answer for `nonce` only (SHA-256, qop=auth), as RFC 7616
/// §3.4.1 computes it with the password it knows.
fn valid(request: &HttpRequest, nonce: &str, password: &str) -> bool {
    let Some(header) = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
    else {
        return false;
    };
    let p = params(header);
    let get = |n: &str| {
        p.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let url = url::Url::parse(&request.url).unwrap_or_else(|e| panic!("{e}"));
    let ha1 = sha(&format!("{USER}:{REALM}:{password}"));
    let ha2 = sha(&format!("{}:{}", request.method.as_str(), url.path()));
    let expected = sha(&format!(
        "{ha1}:{nonce}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    get("username") == USER
        && get("realm") == REALM
        && get("nonce") == nonce
        && get("uri") == url.path()
        && get("algorithm") == "SHA-256"
        && get("qop") == "auth"
        && get("opaque") == "op4que"
        && get("response") == expected
}

fn challenge(nonce: &str, stale: bool) -> HttpResponse {
    let mut value = format!(
        r#"Basic realm="{REALM}", Digest realm="{REALM}", qop="auth", algorithm=SHA-256, nonce="{nonce}", opaque="op4que""#
    );
    if stale {
        value.push_str(", stale=true");
    }
    HttpResponse::new(401, "").with_header("WWW-Authenticate", &value)
}

fn ics() -> HttpResponse {
    HttpResponse::new(
        200,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .with_header("ETag", "\"1\"")
}

/// Runs `op`, answering each request with `server`; returns the result and the requests.
fn run<O: Operation>(
    op: O,
    server: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (Result<O::Output, davkit::Error>, Vec<HttpRequest>) {
    common::run_op(op, 20, server)
}

fn session(password: &str) -> Session {
    Session::new(Config::new(
        "http://127.0.0.1:5232/",
        Credentials::digest(USER, password),
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn authorization(r: &HttpRequest) -> Option<&str> {
    r.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_challenge_is_answered_and_the_nonce_counted() {
    let s = session(PASSWORD);
    let server = |r: &HttpRequest| {
        if valid(r, "n1", PASSWORD) {
            ics()
        } else {
            challenge("n1", false)
        }
    };
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), server);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(requests.len(), 2, "the challenge, then the answer");
    assert_eq!(
        authorization(&requests[0]),
        None,
        "nothing before the challenge"
    );
    let first = authorization(&requests[1]).unwrap_or_default().to_owned();
    assert!(first.contains("nc=00000001"), "{first}");
    assert!(!first.contains(PASSWORD), "the password never travels");
    // The session keeps the challenge: the next operation answers at once, counting on.
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), server);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(requests.len(), 1);
    assert!(authorization(&requests[0]).is_some_and(|h| h.contains("nc=00000002")));
}

#[test]
fn a_stale_nonce_is_answered_again() {
    let s = session(PASSWORD);
    let mut nonce = "n1";
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), |r| {
        if valid(r, "n2", PASSWORD) {
            return ics();
        }
        if valid(r, "n1", PASSWORD) {
            // The right password with an expired nonce.
            nonce = "n2";
            return challenge("n2", true);
        }
        challenge(nonce, false)
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        requests.len(),
        3,
        "challenge, answer with a stale nonce, answer again"
    );
}

#[test]
fn a_wrong_password_is_unauthorized_after_one_answer() {
    let s = session("wrong");
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), |r| {
        if valid(r, "n1", PASSWORD) {
            ics()
        } else {
            challenge("n1", false)
        }
    });
    let e = result.err().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(requests.len(), 2, "never a loop of answers");
    assert!(
        !format!("{e} {e:?}").contains("wrong"),
        "no password in errors"
    );
}

#[test]
fn no_answer_for_another_origin() {
    let s = session(PASSWORD);
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), |r| {
        if r.url.starts_with("http://127.0.0.1:5232/") {
            if valid(r, "n1", PASSWORD) {
                HttpResponse::new(301, "")
                    .with_header("Location", "http://127.0.0.1:8080/alice/cal/a.ics")
            } else {
                challenge("n1", false)
            }
        } else {
            challenge("n9", false)
        }
    });
    let e = result.err().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(requests.len(), 3);
    assert_eq!(
        authorization(&requests[2]),
        None,
        "credentials never follow a redirect to another origin"
    );
}

#[test]
fn digest_is_not_for_bearer_only_profiles() {
    let e = Session::new(Config::new(
        "https://apidata.googleusercontent.com/caldav/v2/a%40b/user",
        Credentials::digest("a", "b"),
    ))
    .err();
    assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::InvalidInput));
}

/// A host that follows redirects itself (browser `fetch`) hands the core a 401 from wherever
/// the redirect led, with `final_url` saying where. A Digest challenge from another origin is
/// not answered: the answer (a hash of the password under that origin's realm and nonce) would
/// be computed for a server that may not see the password, and its challenge would replace the
/// configured server's in the session.
#[test]
fn no_answer_to_a_challenge_from_another_origin_the_host_redirected_to() {
    let s = session(PASSWORD);
    let (result, requests) = run(s.get_object("/alice/cal/a.ics"), |r| {
        let mut answer = challenge("evil-nonce", false);
        if r.url.starts_with("http://127.0.0.1:5232/") && authorization(r).is_none() {
            answer.final_url = Some("http://127.0.0.1:8080/alice/cal/a.ics".to_owned());
        }
        answer
    });
    let e = result.err().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(
        requests.iter().all(|r| authorization(r).is_none()),
        "no Digest answer to another origin's challenge: {requests:?}"
    );
}
