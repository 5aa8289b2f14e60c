//! What the app sees of a server's refusal: the core's error, with the excerpt of the answer's
//! body, reaches `DavError` through `DavClient` over the app's transport (here a replay), and so
//! does an excerpt the app's transport puts in the `DavError` it throws.
#![allow(clippy::panic, clippy::unwrap_used)] // test code

use std::sync::Arc;

mod common;
use common::{Replay, block_on};

use davkit_mobile::{
    Credentials, DavClient, DavConfig, DavError, HttpRequest, HttpResponse, HttpTransport,
};
use serde_json::json;

const SECRET: &str = "pw-secret-4711";
const URL: &str = "https://dav.example.com/cal/a.ics";

fn client(transport: Arc<dyn HttpTransport>) -> Arc<DavClient> {
    let config = DavConfig::new(
        "https://dav.example.com/",
        Credentials::basic("alice".into(), SECRET.into()),
    );
    DavClient::new(config, transport, None, None).unwrap()
}

#[test]
fn an_http_error_carries_the_excerpt_of_its_body() {
    let body = format!(
        "  <error>quota of {} bytes exceeded</error>\n",
        "9".repeat(300)
    );
    let replay = Replay::new(vec![json!({
        "request": {"method": "GET", "url": URL},
        "response": {"status": 507, "headers": {"Content-Type": "text/xml"}, "body": body},
    })]);
    let e = block_on(client(replay.clone()).get_object(URL.into())).unwrap_err();
    assert_eq!(replay.problems(), Vec::<String>::new());
    let DavError::Http {
        status,
        url,
        body_excerpt,
        ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert_eq!((*status, url.as_deref()), (Some(507), Some(URL)));
    // The core's excerpt: trimmed, cut short, marked as cut.
    let excerpt = body_excerpt.as_deref().unwrap();
    assert!(excerpt.starts_with("<error>quota of 999"), "{excerpt}");
    assert!(
        excerpt.ends_with('…') && excerpt.chars().count() < body.len(),
        "{excerpt}"
    );
    assert_eq!(e.error_body_excerpt().as_deref(), Some(excerpt));
    assert!(!format!("{e} {e:?}").contains(SECRET));
}

/// A transport that throws one error.
struct Throwing(DavError);

#[async_trait::async_trait]
impl HttpTransport for Throwing {
    async fn send(&self, _: Arc<HttpRequest>) -> Result<HttpResponse, DavError> {
        Err(self.0.clone())
    }
}

#[test]
fn an_excerpt_the_transport_throws_reaches_the_app() {
    let thrown = DavError::Forbidden {
        detail: "the proxy refused".into(),
        status: Some(403),
        url: None,
        retry_after_seconds: None,
        body_excerpt: Some(" blocked by policy \n".into()),
    };
    let e = block_on(client(Arc::new(Throwing(thrown))).get_object(URL.into())).unwrap_err();
    let DavError::Forbidden {
        url, body_excerpt, ..
    } = &e
    else {
        panic!("{e:?}");
    };
    // The core filled in the request's URL and trimmed the excerpt as it trims a body.
    assert_eq!(url.as_deref(), Some(URL));
    assert_eq!(body_excerpt.as_deref(), Some("blocked by policy"));
}

#[test]
fn a_secret_the_server_echoes_is_redacted_in_the_excerpt() {
    let replay = Replay::new(vec![json!({
        "request": {"method": "GET", "url": URL},
        "response": {"status": 401, "headers": {}, "body": format!("bad password {SECRET}")},
    })]);
    let e = block_on(client(replay).get_object(URL.into())).unwrap_err();
    let DavError::Unauthorized { body_excerpt, .. } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(body_excerpt.as_deref(), Some("bad password <redacted>"));
}
