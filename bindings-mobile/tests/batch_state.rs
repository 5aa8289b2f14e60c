//! `sync_batch` starts from the state it kept parsed only when given exactly that state's text
//! (the core's `KeptSyncState`): two collections' batches interleaved on one client, an older
//! checkpoint synced again and a state the app changed give what separate clients give, each
//! batch from its text. The server is a small in-memory CalDAV collection per URL.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

mod common;
use common::block_on;

use davkit_mobile::{
    Change, CollectionKind, Credentials, DavClient, DavConfig, DavError, HttpHeader, HttpRequest,
    HttpResponse, HttpTransport, SyncResult,
};
use serde_json::Value;

const SERVER: &str = "https://dav.example.com/";
const A: &str = "https://dav.example.com/alice/a/";
const B: &str = "https://dav.example.com/alice/b/";
const MEMBERS: usize = 10;

/// Collections of `MEMBERS` events each, at version 1: a sync-collection report lists every
/// member (its data left out, as a server that ignores `calendar-data` there does), a multiget
/// answers the hrefs it names.
struct Server {
    requests: Mutex<Vec<String>>,
}

fn path_of(url: &str) -> &str {
    url.strip_prefix(SERVER.trim_end_matches('/'))
        .unwrap_or(url)
}

fn member(collection: &str, i: usize) -> String {
    format!("{}{i:02}.ics", path_of(collection))
}

fn event(href: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{href}\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:{href}\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n"
    )
}

fn row(href: &str, data: bool) -> String {
    let data = if data {
        format!("<C:calendar-data>{}</C:calendar-data>", event(href))
    } else {
        String::new()
    };
    format!(
        "<D:response><D:href>{href}</D:href><D:propstat><D:prop><D:getetag>\"1\"</D:getetag>\
         {data}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    )
}

/// The texts of the `href` elements, in order.
fn hrefs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in body.split('<').filter(|p| !p.starts_with('/')) {
        if let Some((tag, text)) = piece.split_once('>')
            && (tag == "href" || tag.ends_with(":href"))
        {
            out.push(text.to_owned());
        }
    }
    out
}

#[async_trait::async_trait]
impl HttpTransport for Server {
    async fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, DavError> {
        let body = String::from_utf8(request.body().unwrap_or_default()).unwrap();
        let (method, url) = (request.method(), request.url());
        let rows = if method == "REPORT" && body.contains("sync-collection") {
            self.requests
                .lock()
                .unwrap()
                .push(format!("sync {}", path_of(&url)));
            let rows: String = (0..MEMBERS).map(|i| row(&member(&url, i), false)).collect();
            format!("{rows}<D:sync-token>{url}token-1</D:sync-token>")
        } else if method == "REPORT" && body.contains("calendar-multiget") {
            let named = hrefs(&body);
            self.requests
                .lock()
                .unwrap()
                .push(format!("multiget {}", named.join(" ")));
            named.iter().map(|h| row(h, true)).collect()
        } else {
            panic!("unexpected request {method} {url}");
        };
        Ok(HttpResponse {
            status: 207,
            headers: vec![HttpHeader {
                name: "Content-Type".into(),
                value: "application/xml; charset=utf-8".into(),
            }],
            body: format!(
                "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\" \
                 xmlns:C=\"urn:ietf:params:xml:ns:caldav\">{rows}</D:multistatus>"
            )
            .into_bytes(),
            final_url: None,
        })
    }
}

fn client() -> (Arc<DavClient>, Arc<Server>) {
    let server = Arc::new(Server {
        requests: Mutex::default(),
    });
    let config = DavConfig::new(SERVER, Credentials::basic("alice".into(), "pw".into()));
    let client = DavClient::new(config, server.clone(), None, None).unwrap();
    (client, server)
}

/// The URL of a change.
fn url(c: &Change) -> String {
    match c {
        Change::Added { object } | Change::Changed { object } => object.url.clone(),
        Change::Deleted { url } => url.clone(),
    }
}

/// What a batch gave the app: the changes' URLs and the state's text.
fn seen(r: &SyncResult) -> (Vec<String>, String, bool) {
    (
        r.changes.iter().map(url).collect(),
        r.state_json.clone(),
        r.more,
    )
}

fn batch(client: &DavClient, url: &str, state: Option<&str>) -> SyncResult {
    block_on(client.sync_batch(
        url.into(),
        CollectionKind::Calendar,
        state.map(str::to_owned),
        3,
    ))
    .unwrap()
}

/// Every batch of one collection on a client of its own, from nothing.
fn alone(url: &str) -> Vec<(Vec<String>, String, bool)> {
    let (client, _) = client();
    let mut out = Vec::new();
    let mut state: Option<String> = None;
    loop {
        let r = batch(&client, url, state.as_deref());
        out.push(seen(&r));
        state = Some(r.state_json);
        if !r.more {
            return out;
        }
    }
}

#[test]
fn interleaved_batches_on_one_client_give_what_separate_clients_give() {
    let (want_a, want_b) = (alone(A), alone(B));
    assert_eq!(want_a.len(), 4, "10 members in batches of 3");
    assert!(
        want_a
            .last()
            .is_some_and(|(urls, _, more)| urls.len() == 1 && !more)
    );

    let (client, _) = client();
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    let (mut state_a, mut state_b): (Option<String>, Option<String>) = (None, None);
    for _ in 0..4 {
        let r = batch(&client, A, state_a.as_deref());
        got_a.push(seen(&r));
        state_a = Some(r.state_json);
        let r = batch(&client, B, state_b.as_deref());
        got_b.push(seen(&r));
        state_b = Some(r.state_json);
    }
    assert_eq!(got_a, want_a);
    assert_eq!(got_b, want_b);
}

#[test]
fn a_one_shot_sync_between_batches_changes_no_batch() {
    // A one-shot sync of the other collection comes between A's batches: its state is kept
    // beside A's (the core's `KeptSyncState`, one state per collection), and A's next batches
    // give what a client of their own gives.
    let want = alone(A);
    let (client, _) = client();
    let first = batch(&client, A, None);
    assert_eq!(seen(&first), want[0]);
    let other = block_on(client.sync(B.into(), CollectionKind::Calendar, None)).unwrap();
    assert_eq!(other.changes.len(), MEMBERS);
    assert!(!other.more);
    let mut state = first.state_json;
    for want in &want[1..] {
        let r = batch(&client, A, Some(&state));
        assert_eq!(&seen(&r), want);
        state = r.state_json;
    }
}

#[test]
fn one_shot_syncs_from_the_texts_the_client_returned_give_what_a_fresh_client_gives() {
    // Each result's state is kept (one per collection), and a one-shot sync given exactly its
    // text starts from it: A's last batch, then A's one-shot syncs with B's between them, each
    // compared with a client that reads the same text.
    let want = alone(A);
    let (client, _) = client();
    let mut state = None;
    for _ in &want {
        state = Some(batch(&client, A, state.as_deref()).state_json);
    }
    let sync = |client: &DavClient, url: &str, state: &Option<String>| {
        block_on(client.sync(url.into(), CollectionKind::Calendar, state.clone())).unwrap()
    };
    let b = sync(&client, B, &None);
    for _ in 0..2 {
        let (fresh, _) = self::client();
        let expected = sync(&fresh, A, &state);
        let got = sync(&client, A, &state);
        assert_eq!(seen(&got), seen(&expected));
        let other = sync(&client, B, &Some(b.state_json.clone()));
        assert_eq!(
            seen(&other),
            seen(&sync(&fresh, B, &Some(b.state_json.clone())))
        );
        state = Some(got.state_json);
    }
}

#[test]
fn an_older_checkpoint_synced_again_gives_the_same_batches() {
    let want = alone(A);
    let (client, _) = client();
    let first = batch(&client, A, None);
    let second = batch(&client, A, Some(&first.state_json));
    assert_eq!(seen(&second), want[1]);
    // The app was stopped after storing the first batch's state, and starts from it again,
    // while the client keeps the second batch's state.
    let again = batch(&client, A, Some(&first.state_json));
    assert_eq!(seen(&again), want[1]);
    let third = batch(&client, A, Some(&again.state_json));
    assert_eq!(seen(&third), want[2]);
}

#[test]
fn a_state_the_app_changed_is_read_from_its_text() {
    let (client, server) = client();
    let first = batch(&client, A, None);
    assert!(first.more);
    // The app could not store the first member: it moves it from `etags` to `pending` in the
    // stored text (what `mark_pending` does), and the next batch fetches it again.
    let mut state: Value = serde_json::from_str(&first.state_json).unwrap();
    let refetch = format!("{A}00.ics");
    let etags = state["etags"].as_object_mut().unwrap();
    assert!(etags.remove(&refetch).is_some(), "{refetch} in {etags:?}");
    state["pending"]
        .as_array_mut()
        .unwrap()
        .push(Value::from(refetch.clone()));
    let changed = state.to_string();
    assert_ne!(changed, first.state_json);

    let next = batch(&client, A, Some(&changed));
    let urls: Vec<String> = next.changes.iter().map(url).collect();
    assert!(urls.contains(&refetch), "{urls:?}");
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests
            .last()
            .is_some_and(|m| m.contains("/alice/a/00.ics")),
        "{requests:?}"
    );
}

#[test]
fn a_state_of_another_collection_is_refused_even_when_kept() {
    let (client, _) = client();
    let first = batch(&client, A, None);
    let e = block_on(client.sync_batch(
        B.into(),
        CollectionKind::Calendar,
        Some(first.state_json.clone()),
        3,
    ))
    .unwrap_err();
    assert_eq!(e.kind(), "InvalidInput");
    // and the same text for its own collection still syncs
    let next = batch(&client, A, Some(&first.state_json));
    assert_eq!(next.changes.len(), 3);
}

/// The keys of the batches' states, to show the fixtures are what the tests assume.
#[test]
fn the_first_batch_leaves_the_rest_pending() {
    let (client, _) = client();
    let first = batch(&client, A, None);
    let state: BTreeMap<String, Value> = serde_json::from_str(&first.state_json).unwrap();
    assert_eq!(state["etags"].as_object().unwrap().len(), 3);
    assert_eq!(state["pending"].as_array().unwrap().len(), MEMBERS - 3);
    assert_eq!(state["more"], Value::Bool(true));
}
