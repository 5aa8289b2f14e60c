//! Answers a real server or proxy gives that the simulation's model server never gives, each
//! fed to a whole operation through a scripted transport: the "nothing is ever lost" rules
//! (ARCHITECTURE.md, guarantees 1-4) must hold for them too.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::block_on;

use std::cell::RefCell;
use std::collections::VecDeque;

use davkit::{
    Change, CollectionKind, Config, Credentials, DavClient, ErrorKind, HttpRequest, HttpResponse,
    SyncResult, SyncState, Transport,
};

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

// ---------------------------------------------------------------------------------------
// Writes answered 200 with an HTML page.

const LOGIN_PAGE: &str =
    "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>";

fn html(status: u16, body: &str) -> HttpResponse {
    with_headers(
        status,
        &[("Content-Type", "text/html; charset=utf-8")],
        body,
    )
}

/// A login proxy (SSO in front of the server) or a captive portal answering a PUT with its
/// page and 200: the write never reached the server, and reported done, a write queue would
/// drop the edit. The page is no answer of the server's: the object is read, and that read is
/// answered with the page too, so the outcome is unknown (an error), not a success.
#[test]
fn an_update_answered_200_with_a_login_page_is_not_reported_done() {
    let url = "https://dav.example.com/cal/a.ics";
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    let script = Script::new(vec![
        ("PUT", url, html(200, LOGIN_PAGE)),
        ("GET", url, html(200, LOGIN_PAGE)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let outcome = block_on(c.update_object(url, &new, "\"1\""));
    match outcome {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Transport, "{e}"),
        Ok(w) => panic!("a PUT a login page answered was reported written: {w:?}"),
    }
}

/// The same for a DELETE.
#[test]
fn a_delete_answered_200_with_a_login_page_is_not_reported_done() {
    let url = "https://dav.example.com/cal/a.ics";
    let script = Script::new(vec![
        ("DELETE", url, html(200, LOGIN_PAGE)),
        ("GET", url, html(200, LOGIN_PAGE)),
    ]);
    let c = client("https://dav.example.com/", &script);
    assert!(
        block_on(c.delete_object(url, "\"1\"")).is_err(),
        "a DELETE a login page answered was reported done"
    );
}

/// A server that does answer a write with a page of its own costs one read: the object holds
/// the data sent, so the write is reported done, with the ETag the read gave.
#[test]
fn an_update_a_server_answered_with_a_page_is_done_once_read_back() {
    let url = "https://dav.example.com/cal/a.ics";
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    let script = Script::new(vec![
        ("PUT", url, html(200, "<html><body>Saved</body></html>")),
        ("GET", url, with_headers(200, &[("ETag", "\"2\"")], &new)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let written = block_on(c.update_object(url, &new, "\"1\"")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written.etag.as_deref(), Some("\"2\""));
}

// ---------------------------------------------------------------------------------------
// A sync whose collection answers from another URL.

const MS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">";

/// A multistatus of one row for `/cal/a.ics` (`row`: its propstats or status), with `token`
/// as the sync token when there is one.
fn a_ics_page(row: &str, token: Option<&str>) -> String {
    let token = token.map_or(String::new(), |t| {
        format!("<d:sync-token>{t}</d:sync-token>")
    });
    format!("{MS}<d:response><d:href>/cal/a.ics</d:href>{row}</d:response>{token}</d:multistatus>")
}

/// The URLs a sync reported deleted.
fn deletions(result: &SyncResult) -> Vec<&str> {
    let mut out = Vec::new();
    for ch in &result.changes {
        if let Change::Deleted { url } = ch {
            out.push(url.as_str());
        }
    }
    out
}

/// A token page listing `/cal/a.ics` with ETag "2" (token t2), from `coll`.
fn a_listed(coll: &str) -> (&'static str, &str, HttpResponse) {
    let row = "<d:propstat><d:prop><d:getetag>\"2\"</d:getetag></d:prop>\
               <d:status>HTTP/1.1 200 OK</d:status></d:propstat>";
    (
        "REPORT",
        coll,
        HttpResponse::new(207, a_ics_page(row, Some("t2"))),
    )
}

/// A multiget of `coll` answering 500 for `/cal/a.ics`.
fn a_refused(coll: &str) -> (&'static str, &str, HttpResponse) {
    let row = "<d:status>HTTP/1.1 500 Internal Server Error</d:status>";
    (
        "REPORT",
        coll,
        HttpResponse::new(207, a_ics_page(row, None)),
    )
}

/// A collection moved on the server (301 to its new URL, the token still valid there): the
/// sync report's rows name members under the new URL, while the stored state holds them
/// under the old one. A deletion reported there must reach the app (or the sync must fail),
/// never be skipped while the token moves past it.
#[test]
fn a_deletion_in_a_redirected_sync_report_is_not_lost() {
    let old = "https://dav.example.com/cal/";
    let new = "https://dav.example.com/calendars/alice/cal/";
    let page = format!(
        "{MS}<d:response><d:href>/calendars/alice/cal/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response><d:sync-token>t2</d:sync-token></d:multistatus>"
    );
    let listing = format!(
        "{MS}<d:response><d:href>/calendars/alice/cal/</d:href><d:propstat><d:prop><d:sync-token>t3</d:sync-token></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\
         <d:response><d:href>/calendars/alice/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
    );
    let multiget = format!(
        "{MS}<d:response><d:href>/calendars/alice/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag><c:calendar-data>{EVENT}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
    );
    let script = Script::new(vec![
        ("REPORT", old, with_headers(301, &[("Location", new)], "")),
        ("REPORT", new, HttpResponse::new(207, page)),
        // After the fix: the members compared by a listing where the collection answers.
        ("PROPFIND", old, with_headers(301, &[("Location", new)], "")),
        ("PROPFIND", new, HttpResponse::new(207, listing)),
        ("REPORT", old, with_headers(301, &[("Location", new)], "")),
        ("REPORT", new, HttpResponse::new(207, multiget)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(old);
    state.sync_token = Some("t1".into());
    state.etags.insert(format!("{old}a.ics"), "\"1\"".into());
    state.etags.insert(format!("{old}b.ics"), "\"1\"".into());
    match block_on(c.sync(state, CollectionKind::Calendar)) {
        Err(_) => {}
        Ok(result) => {
            let deleted_b = result
                .changes
                .iter()
                .any(|ch| matches!(ch, Change::Deleted { url } if url.ends_with("/b.ics")));
            let token_moved = result
                .state
                .sync_token
                .as_deref()
                .is_some_and(|t| t != "t1");
            // Still owed (`pending`: a listing without it once is no deletion yet, and the
            // next sync asks for it) is not lost either.
            let owed_b = result.state.pending.iter().any(|h| h.ends_with("/b.ics"));
            assert!(
                deleted_b || owed_b || !token_moved,
                "b.ics was deleted on the server; the state moved to t2 without telling the \
                 app: changes {:?}, state {:?}",
                result.changes,
                result.state
            );
            // a.ics is there, under the collection's new URL.
            assert!(
                result
                    .changes
                    .iter()
                    .any(|ch| matches!(ch, Change::Added(o) if o.url == format!("{new}a.ics"))),
                "{:?}",
                result.changes
            );
        }
    }
}

/// A member the multiget did not deliver is fetched again by GET; when that GET is redirected
/// (a server that serves objects from another path), the object must stay known under the
/// href the collection lists, or its later deletion, reported under that href, is lost.
#[test]
fn a_member_fetched_through_a_redirect_is_still_deleted_later() {
    let coll = "https://dav.example.com/cal/";
    let member = "https://dav.example.com/cal/a.ics";
    let moved = "https://dav.example.com/files/a.ics";
    let page2 = a_ics_page("<d:status>HTTP/1.1 404 Not Found</d:status>", Some("t3"));
    let script = Script::new(vec![
        a_listed(coll),
        a_refused(coll),
        ("GET", member, with_headers(302, &[("Location", moved)], "")),
        ("GET", moved, with_headers(200, &[("ETag", "\"2\"")], EVENT)),
        ("REPORT", coll, HttpResponse::new(207, page2)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(coll);
    state.sync_token = Some("t1".into());
    // The sync report is asked without the data here, as for a batch or after a refusal.
    let first = block_on(c.sync_batch(state, CollectionKind::Calendar, 100)).expect("first sync");
    assert_eq!(first.changes.len(), 1, "{:?}", first.changes);
    let added_url = first.changes[0].url().to_owned();
    assert_eq!(
        added_url, member,
        "delivered under the URL the collection lists it by"
    );
    let second = block_on(c.sync(first.state, CollectionKind::Calendar)).expect("second sync");
    let deleted: Vec<&str> = second
        .changes
        .iter()
        .filter_map(|ch| match ch {
            Change::Deleted { url } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        deleted.contains(&added_url.as_str()),
        "the member was delivered as {added_url}; its deletion on the server was reported as \
         {deleted:?} (state {:?})",
        second.state
    );
}

// ---------------------------------------------------------------------------------------
// An ETag listing whose collection row is not found.

/// A PROPFIND listing (here after a refused token) answered 207 whose only row is the
/// collection's own with 404 (a proxy routing to the wrong backend, a collection moved): no
/// member is listed, but that is not a complete listing of the collection, so no member the
/// state holds is a deletion.
#[test]
fn a_listing_whose_collection_row_is_404_deletes_nothing() {
    let coll = "https://dav.example.com/cal/";
    let listing = format!(
        "{MS}<d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response></d:multistatus>"
    );
    let refused =
        "<?xml version=\"1.0\"?><d:error xmlns:d=\"DAV:\"><d:valid-sync-token/></d:error>";
    let script = Script::new(vec![
        ("REPORT", coll, HttpResponse::new(403, refused)),
        ("PROPFIND", coll, HttpResponse::new(207, listing)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(coll);
    state.sync_token = Some("t1".into());
    state.etags.insert(format!("{coll}a.ics"), "\"1\"".into());
    let error = block_on(c.sync(state, CollectionKind::Calendar))
        .expect_err("a listing whose collection answered 404 is no listing of it");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
}

/// The same in an initial sync report (no token, over a stored state): the 507 row, under the
/// backend's host, cuts the page, so the members past it (b.ics) come on the next page and
/// are not deleted for being absent from the first.
#[test]
fn an_initial_report_cut_under_another_host_deletes_nothing() {
    let coll = "https://dav.example.com/cal/";
    let row = |href: &str| {
        format!(
            "<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        )
    };
    let first = format!(
        "{MS}{}<d:response><d:href>http://backend:8080/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response><d:sync-token>t1</d:sync-token></d:multistatus>",
        row("/cal/a.ics")
    );
    let second = format!(
        "{MS}{}<d:sync-token>t2</d:sync-token></d:multistatus>",
        row("/cal/b.ics")
    );
    let script = Script::new(vec![
        ("REPORT", coll, HttpResponse::new(207, first)),
        ("REPORT", coll, HttpResponse::new(207, second)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(coll);
    for m in ["a.ics", "b.ics"] {
        state.etags.insert(format!("{coll}{m}"), "\"1\"".into());
    }
    let result = block_on(c.sync(state, CollectionKind::Calendar)).expect("sync");
    assert_eq!(deletions(&result), Vec::<&str>::new());
    assert_eq!(result.state.etags.len(), 2, "{:?}", result.state);
    assert_eq!(result.state.sync_token.as_deref(), Some("t2"));
}

/// A 507 (truncated listing) on the collection's row, written with another host than the
/// request (an absolute href from a backend behind a proxy): the listing is cut, so deletions
/// cannot be told from it.
#[test]
fn a_truncated_listing_under_another_host_deletes_nothing() {
    let coll = "https://dav.example.com/cal/";
    let listing = format!(
        "{MS}<d:response><d:href>http://backend:8080/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>\
         <d:response><d:href>http://backend:8080/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"
    );
    let refused =
        "<?xml version=\"1.0\"?><d:error xmlns:d=\"DAV:\"><d:valid-sync-token/></d:error>";
    let script = Script::new(vec![
        ("REPORT", coll, HttpResponse::new(403, refused)),
        ("PROPFIND", coll, HttpResponse::new(207, listing)),
        // Only reached when the 507 row is taken for a member: asked for by multiget, then GET.
        (
            "REPORT",
            coll,
            HttpResponse::new(207, format!("{MS}</d:multistatus>")),
        ),
        (
            "GET",
            "http://backend:8080/cal/",
            HttpResponse::new(500, ""),
        ),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(coll);
    state.sync_token = Some("t1".into());
    state
        .etags
        .insert("http://backend:8080/cal/a.ics".into(), "\"1\"".into());
    state
        .etags
        .insert("http://backend:8080/cal/b.ics".into(), "\"1\"".into());
    let error = block_on(c.sync(state, CollectionKind::Calendar))
        .expect_err("a listing cut short tells no deletion");
    assert_eq!(error.status(), Some(507), "{error}");
}

// ---------------------------------------------------------------------------------------
// The Calendar API: full listings that do not list every event.

const API: &str = "https://www.googleapis.com/calendar/v3/";
const EVENTS: &str = "https://www.googleapis.com/calendar/v3/calendars/alice@gmail.com/events";

fn gcal_client(script: &Script) -> DavClient<&'static Script> {
    let script: &'static Script = Box::leak(Box::new(Script {
        answers: RefCell::new(std::mem::take(&mut *script.answers.borrow_mut())),
        log: RefCell::new(Vec::new()),
    }));
    DavClient::new(
        Config::new(
            API,
            Credentials::Bearer {
                token: "ya29.t".into(),
            },
        ),
        script,
    )
    .expect("a valid configuration")
}

fn gcal_event(id: &str) -> String {
    format!(
        "{{\"kind\":\"calendar#event\",\"etag\":\"\\\"{id}1\\\"\",\"id\":\"{id}\",\"status\":\"confirmed\",\"updated\":\"2026-01-02T10:00:00.000Z\",\"summary\":\"{id}\",\"iCalUID\":\"{id}@google.com\",\"start\":{{\"dateTime\":\"2026-01-05T09:00:00Z\"}},\"end\":{{\"dateTime\":\"2026-01-05T10:00:00Z\"}}}}"
    )
}

fn gcal_state() -> SyncState {
    let mut state = SyncState::new(EVENTS);
    state.etags.insert(format!("{EVENTS}/e1"), "\"e11\"".into());
    state.etags.insert(format!("{EVENTS}/e2"), "\"e21\"".into());
    state
}

/// `updatedMin` lists only the events changed since then: a full listing with it names e2 only
/// because e1 did not change, not because e1 is gone.
#[test]
fn gcal_a_listing_filtered_by_updated_min_deletes_nothing() {
    let body = format!(
        "{{\"kind\":\"calendar#events\",\"items\":[{}],\"nextSyncToken\":\"s2\"}}",
        gcal_event("e2")
    );
    let url = format!("{EVENTS}?updatedMin=2026-01-02T00%3A00%3A00Z");
    let script = Script::new(vec![("GET", &url, HttpResponse::new(200, body))]);
    let c = gcal_client(&script);
    let query = davkit::gcal::EventsQuery {
        updated_min: Some("2026-01-02T00:00:00Z".into()),
        ..Default::default()
    };
    let result = block_on(c.gcal_sync("alice@gmail.com", query, gcal_state())).expect("sync");
    assert_eq!(
        deletions(&result),
        Vec::<&str>::new(),
        "e1 exists (it was only not updated since updatedMin)"
    );
}

/// `q` (free text) lists only the events that match.
#[test]
fn gcal_a_listing_filtered_by_q_deletes_nothing() {
    let body = format!(
        "{{\"kind\":\"calendar#events\",\"items\":[{}],\"nextSyncToken\":\"s2\"}}",
        gcal_event("e2")
    );
    let url = format!("{EVENTS}?q=e2");
    let script = Script::new(vec![("GET", &url, HttpResponse::new(200, body))]);
    let c = gcal_client(&script);
    let query = davkit::gcal::EventsQuery {
        q: Some("e2".into()),
        ..Default::default()
    };
    let result = block_on(c.gcal_sync("alice@gmail.com", query, gcal_state())).expect("sync");
    assert_eq!(
        deletions(&result),
        Vec::<&str>::new(),
        "events that do not match q are not deleted"
    );
}

/// A 200 whose JSON is not an events page (`{}` from a proxy or a gateway) is no listing: it
/// names no event because it lists nothing, not because the calendar is empty.
#[test]
fn gcal_an_answer_without_items_deletes_nothing() {
    let script = Script::new(vec![("GET", EVENTS, HttpResponse::new(200, "{}"))]);
    let c = gcal_client(&script);
    let error = block_on(c.gcal_sync("alice@gmail.com", Default::default(), gcal_state()))
        .expect_err("an answer without items lists nothing");
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
}

// ---------------------------------------------------------------------------------------
// A GET answered by a captive portal.

/// A member the multiget did not deliver is fetched by GET; a captive portal or a login proxy
/// answers that with its own page, 200 (here even with the ETag the collection listed). The
/// page is not the member: it is not delivered, the member is a problem and stays owed, so the
/// next sync fetches it again rather than the state holding the page's version for good.
#[test]
fn a_page_a_get_is_answered_with_is_not_delivered_as_the_member() {
    let coll = "https://dav.example.com/cal/";
    let member = "https://dav.example.com/cal/a.ics";
    let portal = "<!DOCTYPE html><html><body>Sign in to the hotel's Wi-Fi</body></html>";
    let script = Script::new(vec![
        a_listed(coll),
        a_refused(coll),
        (
            "GET",
            member,
            with_headers(
                200,
                &[("ETag", "\"2\""), ("Content-Type", "text/html")],
                portal,
            ),
        ),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut state = SyncState::new(coll);
    state.sync_token = Some("t1".into());
    let result = block_on(c.sync_batch(state, CollectionKind::Calendar, 100)).expect("sync");
    assert!(result.changes.is_empty(), "{:?}", result.changes);
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert!(result.state.etags.is_empty(), "{:?}", result.state);
    assert!(result.state.pending.contains(member), "{:?}", result.state);
}

// ---------------------------------------------------------------------------------------
// Writes: answers the model server never gives.

const OBJ: &str = "https://dav.example.com/cal/a.ics";

/// A 207 Multi-Status to a DELETE reports the members it could not delete (RFC 4918 §9.6.1):
/// a locked member here. The collection is still there.
fn delete_refused_207(member: &str, status: &str) -> HttpResponse {
    with_headers(
        207,
        &[("Content-Type", "application/xml; charset=utf-8")],
        &format!(
            "{MS}<d:response><d:href>{member}</d:href><d:status>HTTP/1.1 {status}</d:status>\
             </d:response></d:multistatus>"
        ),
    )
}

/// A collection's DELETE answered 207 with a member it could not delete (locked) did not
/// delete the collection: it is not reported deleted.
#[test]
fn a_collection_delete_answered_207_is_not_reported_done() {
    let coll = "https://dav.example.com/cal/";
    let script = Script::new(vec![(
        "DELETE",
        coll,
        delete_refused_207("/cal/a.ics", "423 Locked"),
    )]);
    let c = client("https://dav.example.com/", &script);
    let error = block_on(c.delete_collection(coll, None))
        .expect_err("the collection is still there, with the locked member");
    assert_eq!(error.status(), Some(423), "{error}");
}

/// The same for an object: a 207 whose row for it is an error is no deletion.
#[test]
fn an_object_delete_answered_207_is_not_reported_done() {
    let script = Script::new(vec![(
        "DELETE",
        OBJ,
        delete_refused_207("/cal/a.ics", "403 Forbidden"),
    )]);
    let c = client("https://dav.example.com/", &script);
    let error = block_on(c.delete_object(OBJ, "\"1\"")).expect_err("the object is still there");
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{error}");
}

/// A queued deletion answered so stays queued: the object is still on the server, and a
/// flush that dropped the entry (and a `record_in` that took the object out of the sync
/// state) would leave the mirror without it for good.
#[test]
fn a_queued_delete_answered_207_stays_queued() {
    let script = Script::new(vec![(
        "DELETE",
        OBJ,
        delete_refused_207("/cal/a.ics", "423 Locked"),
    )]);
    let c = client("https://dav.example.com/", &script);
    let mut q = davkit::WriteQueue::new();
    q.enqueue_delete(OBJ, "\"1\"", None).expect("enqueue");
    q.begin_flush();
    let result = block_on(c.flush(q)).expect("flush");
    for o in &result.outcomes {
        assert!(
            !matches!(o.kind, davkit::OutcomeKind::Deleted { .. }),
            "reported deleted: {o:?}"
        );
    }
    assert_eq!(result.queue.entries().len(), 1, "{:?}", result.queue);
}

/// A write that a redirect would send to another origin (a captive portal, a single sign-on
/// page) is not sent there: what answers there is not the server, and its 200 is not the
/// write. A queued update so answered stays queued (pending: the flush stops, as offline).
#[test]
fn a_write_redirected_to_another_origin_is_not_reported_written() {
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    let portal = "https://portal.example.net/login";
    let answers = || {
        vec![
            ("PUT", OBJ, with_headers(302, &[("Location", portal)], "")),
            // Only reached when the redirect is followed.
            (
                "PUT",
                portal,
                with_headers(
                    200,
                    &[("Content-Type", "text/html")],
                    "<html>Sign in</html>",
                ),
            ),
        ]
    };
    let c = client("https://dav.example.com/", &Script::new(answers()));
    let outcome = block_on(c.update_object(OBJ, &new, "\"1\""));
    assert!(outcome.is_err(), "reported written: {outcome:?}");

    let c = client("https://dav.example.com/", &Script::new(answers()));
    let mut q = davkit::WriteQueue::new();
    q.enqueue_update(OBJ, &new, "\"1\"", None).expect("enqueue");
    q.begin_flush();
    let result = block_on(c.flush(q)).expect("flush");
    assert!(result.outcomes.is_empty(), "{:?}", result.outcomes);
    assert!(result.stopped.is_some(), "{result:?}");
    assert_eq!(result.queue.entries().len(), 1, "{:?}", result.queue);
    assert_eq!(
        result.queue.entries()[0].state,
        davkit::EntryState::Pending,
        "{:?}",
        result.queue
    );
}
/// An update queued on a weak ETag (`W/"1"`, as a server may answer a PUT: If-Match compares
/// strongly, RFC 9110 §13.1.1, so it never matches) is refused 412; the read shows the
/// server still holds the version the edit was made on. That is no conflict: the edit is
/// written on it, not dropped by `ServerWins` (nor held as a conflict by `KeepBoth`).
#[test]
fn an_update_refused_over_a_weak_etag_on_an_unchanged_object_is_written() {
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    let script = Script::new(vec![
        ("PUT", OBJ, HttpResponse::new(412, "")),
        ("GET", OBJ, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
        ("PUT", OBJ, with_headers(204, &[("ETag", "\"2\"")], "")),
    ]);
    let c = client("https://dav.example.com/", &script);
    let mut q = davkit::WriteQueue::new();
    q.policy = davkit::Policy::ServerWins;
    q.enqueue_update(OBJ, &new, "W/\"1\"", Some(EVENT))
        .expect("enqueue");
    q.begin_flush();
    let result = block_on(c.flush(q)).expect("flush");
    assert_eq!(result.outcomes.len(), 1, "{result:?}");
    assert!(
        matches!(
            &result.outcomes[0].kind,
            davkit::OutcomeKind::Written { etag: Some(e), .. } if e == "\"2\""
        ),
        "{:?}",
        result.outcomes[0]
    );
    assert!(result.queue.is_empty(), "{:?}", result.queue);
}

/// A server error may come after the write was applied (a hook that failed after the store,
/// a gateway that gave up waiting): read back, an update found applied is reported done
/// with the server's ETag, instead of an error after which the app (or a queue) would meet
/// its own write as a 412 and a conflict.
#[test]
fn an_update_answered_500_after_it_was_applied_is_reported_done() {
    let new = EVENT.replace("SUMMARY:old", "SUMMARY:new");
    for status in [500, 502, 504] {
        let script = Script::new(vec![
            ("PUT", OBJ, HttpResponse::new(status, "")),
            ("GET", OBJ, with_headers(200, &[("ETag", "\"2\"")], &new)),
        ]);
        let c = client("https://dav.example.com/", &script);
        let written = block_on(c.update_object(OBJ, &new, "\"1\"")).expect("applied");
        assert_eq!(written.etag.as_deref(), Some("\"2\""), "{status}");
    }
    // Not applied: the server's error stands, and the write is not sent again.
    let script = Script::new(vec![
        ("PUT", OBJ, HttpResponse::new(500, "")),
        ("GET", OBJ, with_headers(200, &[("ETag", "\"1\"")], EVENT)),
    ]);
    let c = client("https://dav.example.com/", &script);
    let error = block_on(c.update_object(OBJ, &new, "\"1\"")).expect_err("not applied");
    assert_eq!(error.status(), Some(500), "{error}");
}
