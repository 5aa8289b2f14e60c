//! How many requests a sync of a large collection takes, one-shot and in batches: an initial
//! sync of 1,000 events is one sync-collection report and one multiget per batch (the
//! multiget holds up to 1,000 members), so 2 requests at once and 3 in batches of 500. The
//! exchanges are answered by a scripted server in the shape of Radicale's recorded answers
//! (`tests/vectors/sync/`), and every request is logged and checked against that script.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::block_on;

use std::cell::RefCell;

use davkit::{
    Change, CollectionKind, Config, Credentials, DavClient, HttpRequest, HttpResponse, SyncResult,
    SyncState, Transport,
};

const SERVER: &str = "http://127.0.0.1:5232/";
const COLLECTION: &str = "http://127.0.0.1:5232/alice/work/";
const TOKEN: &str = "http://radicale.org/ns/sync/1000";

/// A collection of `members` events answering sync-collection (the initial report lists them
/// all; the token it hands out stays current, so a report from it lists nothing) and
/// calendar-multiget, logging each request as
/// `"sync-collection"` or `"multiget N"` (N members asked for).
struct Scripted {
    members: usize,
    log: RefCell<Vec<String>>,
}

fn name(i: usize) -> String {
    format!("e{i:05}.ics")
}

fn event(i: usize) -> String {
    format!(
        "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:e{i}&#13;\nDTSTAMP:20260101T000000Z&#13;\nDTSTART:20260301T090000Z&#13;\nSUMMARY:event {i}&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
    )
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\n";

impl Scripted {
    fn new(members: usize) -> Self {
        Scripted {
            members,
            log: RefCell::new(Vec::new()),
        }
    }

    fn answer(&self, request: &HttpRequest) -> HttpResponse {
        let body = request.body_text().unwrap_or("");
        assert_eq!(
            request.method.as_str(),
            "REPORT",
            "only REPORTs are expected"
        );
        assert_eq!(request.url.as_str(), COLLECTION);
        let mut out = String::from(HEAD);
        if body.contains("<d:sync-collection") {
            if body.contains(&format!("<d:sync-token>{TOKEN}</d:sync-token>")) {
                // Nothing changed since the token.
                self.log
                    .borrow_mut()
                    .push("sync-collection from the token".into());
                out.push_str(&format!(
                    "<d:sync-token>{TOKEN}</d:sync-token></d:multistatus>"
                ));
                return HttpResponse::new(207, out);
            }
            assert!(body.contains("<d:sync-token/>"), "an unknown token: {body}");
            self.log.borrow_mut().push("sync-collection".into());
            for i in 0..self.members {
                out.push_str(&format!(
                    "<d:response><d:href>/alice/work/{}</d:href><d:propstat><d:prop><d:getetag>\"{i}\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
                    name(i)
                ));
            }
            out.push_str(&format!("<d:sync-token>{TOKEN}</d:sync-token>"));
        } else if body.contains("calendar-multiget") {
            let mut asked = 0;
            for part in body.split("<d:href>").skip(1) {
                let href = part.split("</d:href>").next().unwrap_or("");
                let i: usize = href
                    .rsplit("/e")
                    .next()
                    .and_then(|n| n.strip_suffix(".ics"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("a multiget for an unknown member: {href}"));
                asked += 1;
                out.push_str(&format!(
                    "<d:response><d:href>/alice/work/{}</d:href><d:propstat><d:prop><d:getetag>\"{i}\"</d:getetag><c:calendar-data>{}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
                    name(i),
                    event(i)
                ));
            }
            self.log.borrow_mut().push(format!("multiget {asked}"));
        } else {
            panic!("an unexpected REPORT: {body}");
        }
        out.push_str("</d:multistatus>");
        HttpResponse::new(207, out)
    }
}

impl Transport for &Scripted {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        Ok(self.answer(&request))
    }
}

fn client(server: &Scripted) -> DavClient<&Scripted> {
    DavClient::new(Config::new(SERVER, Credentials::None), server).expect("a valid configuration")
}

/// Every member added exactly once, and the final state holds every ETag and the token.
fn check_complete(members: usize, results: &[SyncResult]) {
    let mut added: Vec<&str> = results
        .iter()
        .flat_map(|r| &r.changes)
        .map(|c| match c {
            Change::Added(o) => o.url.as_str(),
            other => panic!("only additions are expected: {other:?}"),
        })
        .collect();
    added.sort_unstable();
    let expected: Vec<String> = (0..members)
        .map(|i| format!("{COLLECTION}{}", name(i)))
        .collect();
    assert_eq!(added, expected);
    let last = results.last().expect("at least one result");
    assert!(!last.more);
    assert!(last.state.pending.is_empty());
    assert!(!last.state.more);
    assert_eq!(last.state.etags.len(), members);
    assert_eq!(last.state.sync_token.as_deref(), Some(TOKEN));
    assert!(results.iter().all(|r| r.problems.is_empty()));
}

fn batched(members: usize, max: usize) -> (Vec<String>, Vec<SyncResult>) {
    let server = Scripted::new(members);
    let dav = client(&server);
    let mut state = SyncState::new(COLLECTION);
    let mut results = Vec::new();
    loop {
        let r = block_on(dav.sync_batch(state, CollectionKind::Calendar, max)).expect("a batch");
        assert!(r.changes.len() <= max, "a batch delivers at most its size");
        assert_eq!(
            r.state.more, r.more,
            "the state records whether batches remain"
        );
        state = r.state.clone();
        let more = r.more;
        results.push(r);
        if !more {
            break;
        }
        assert!(results.len() <= members, "batches must end");
    }
    check_complete(members, &results);
    (server.log.take(), results)
}

#[test]
fn one_shot_initial_sync_of_1000_events_takes_2_requests() {
    let server = Scripted::new(1000);
    let r = block_on(client(&server).sync(SyncState::new(COLLECTION), CollectionKind::Calendar))
        .expect("the sync");
    assert!(!r.more && !r.state.more);
    check_complete(1000, &[r]);
    assert_eq!(server.log.take(), ["sync-collection", "multiget 1000"]);
}

#[test]
fn batched_initial_sync_is_one_report_and_one_multiget_per_batch() {
    let (log, results) = batched(1000, 500);
    assert_eq!(log, ["sync-collection", "multiget 500", "multiget 500"]);
    assert_eq!(results.len(), 2);
    assert!(results[0].more && results[0].state.more);
    assert_eq!(results[0].state.pending.len(), 500);

    let (log, results) = batched(1000, 250);
    assert_eq!(
        log,
        [
            "sync-collection",
            "multiget 250",
            "multiget 250",
            "multiget 250",
            "multiget 250"
        ]
    );
    assert_eq!(results.len(), 4);

    let (log, _) = batched(1000, 300);
    assert_eq!(
        log,
        [
            "sync-collection",
            "multiget 300",
            "multiget 300",
            "multiget 300",
            "multiget 100"
        ]
    );
}

#[test]
fn a_batch_resumed_from_a_stored_checkpoint_asks_nothing_again() {
    let server = Scripted::new(10);
    let dav = client(&server);
    let first = block_on(dav.sync_batch(SyncState::new(COLLECTION), CollectionKind::Calendar, 4))
        .expect("the first batch");
    assert!(first.more);
    // The app stores the checkpoint as JSON and stops; later it resumes from the stored text.
    let stored = first.state.to_json();
    assert!(stored.contains("\"more\":true"), "{stored}");
    let resumed = SyncState::resume(COLLECTION, Some(&stored)).expect("the stored state");
    let mut results = vec![first];
    let mut state = resumed;
    loop {
        let r = block_on(dav.sync_batch(state, CollectionKind::Calendar, 4)).expect("a batch");
        state = r.state.clone();
        let more = r.more;
        results.push(r);
        if !more {
            break;
        }
    }
    check_complete(10, &results);
    assert_eq!(
        server.log.take(),
        ["sync-collection", "multiget 4", "multiget 4", "multiget 2"]
    );
    // A one-shot sync from the same checkpoint asks the server again (it ignores `more`)
    // and fetches every pending member.
    let server = Scripted::new(10);
    let dav = client(&server);
    let first = block_on(dav.sync_batch(SyncState::new(COLLECTION), CollectionKind::Calendar, 4))
        .expect("the first batch");
    let rest = block_on(dav.sync(first.state.clone(), CollectionKind::Calendar));
    let rest = rest.expect("a one-shot sync from the checkpoint");
    check_complete(10, &[first, rest]);
    assert_eq!(
        server.log.take(),
        [
            "sync-collection",
            "multiget 4",
            "sync-collection from the token",
            "multiget 6"
        ]
    );
}

/// Answers every request with the same 207 body, logging the request bodies.
struct Fixed {
    body: String,
    log: RefCell<Vec<String>>,
}

impl Transport for &Fixed {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let body = request.body_text().unwrap_or("").to_owned();
        assert!(
            body.contains("sync-collection"),
            "only the report is expected, not {body}"
        );
        self.log.borrow_mut().push(body);
        Ok(HttpResponse::new(207, self.body.clone()))
    }
}

#[test]
fn the_first_row_of_a_member_in_a_sync_answer_counts() {
    // a.ics is listed first with the ETag the state holds, then again with another: the first
    // row counts, so nothing is fetched. b.ics is listed gone, then changed: it is gone.
    let body = format!(
        "{HEAD}<d:response><d:href>/alice/work/a.ics</d:href><d:propstat><d:prop><d:getetag>\"1\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/alice/work/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
<d:response><d:href>/alice/work/a.ics</d:href><d:propstat><d:prop><d:getetag>\"2\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/alice/work/b.ics</d:href><d:propstat><d:prop><d:getetag>\"3\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:sync-token>{TOKEN}</d:sync-token></d:multistatus>"
    );
    let server = Fixed {
        body,
        log: RefCell::new(Vec::new()),
    };
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let mut state = state_from_token();
    state
        .etags
        .insert(format!("{COLLECTION}a.ics"), "\"1\"".into());
    state
        .etags
        .insert(format!("{COLLECTION}b.ics"), "\"1\"".into());
    for batch in [None, Some(1)] {
        let r = match batch {
            None => block_on(dav.sync(state.clone(), CollectionKind::Calendar)),
            Some(n) => block_on(dav.sync_batch(state.clone(), CollectionKind::Calendar, n)),
        }
        .expect("the sync");
        let changes: Vec<String> = r.changes.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(r.changes.len(), 1, "{changes:?}");
        assert!(
            matches!(&r.changes[0], Change::Deleted { url } if url.ends_with("/b.ics")),
            "{changes:?}"
        );
        assert_eq!(
            r.state
                .etags
                .get(&format!("{COLLECTION}a.ics"))
                .map(String::as_str),
            Some("\"1\"")
        );
        assert!(!r.more && r.state.pending.is_empty());
    }
    assert_eq!(
        server.log.take().len(),
        2,
        "one report per sync, no multiget"
    );
}

/// [`Scripted`], but every `fail_every`-th request is answered 429 (retry at once), and the
/// transport can wait, so the client runs the operation again.
struct RateLimited {
    inner: Scripted,
    fail_every: usize,
    count: RefCell<usize>,
}

impl Transport for &RateLimited {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let n = {
            let mut count = self.count.borrow_mut();
            *count += 1;
            *count
        };
        if n % self.fail_every == 0 {
            self.inner.log.borrow_mut().push("429".into());
            let mut r = HttpResponse::new(429, "");
            r.headers.push(("Retry-After".into(), "0".into()));
            return Ok(r);
        }
        Ok(self.inner.answer(&request))
    }

    async fn sleep(&self, _ms: u64) -> bool {
        true
    }
}

#[test]
fn a_rate_limited_batch_is_run_again_from_the_same_state() {
    // The client hands the state to the operation (no copy per attempt) and takes it back
    // from the failed one: the retried batch starts from the same checkpoint, in the middle of
    // a batched sync (pending members carried past the batch included).
    let server = RateLimited {
        inner: Scripted::new(10),
        fail_every: 3,
        count: RefCell::new(0),
    };
    let dav =
        DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("a configuration");
    let mut state = SyncState::new(COLLECTION);
    let mut results = Vec::new();
    loop {
        let r = block_on(dav.sync_batch(state, CollectionKind::Calendar, 2)).expect("a batch");
        state = r.state.clone();
        let more = r.more;
        results.push(r);
        if !more {
            break;
        }
        assert!(results.len() <= 10, "batches must end");
    }
    check_complete(10, &results);
    assert_eq!(
        server.inner.log.take(),
        [
            "sync-collection",
            "multiget 2",
            "429",
            "multiget 2",
            "multiget 2",
            "429",
            "multiget 2",
            "multiget 2"
        ]
    );
}

/// A state synced before, at the token `…/sync/1`: the next sync starts from that token.
fn state_from_token() -> SyncState {
    let mut state = SyncState::new(COLLECTION);
    state.sync_token = Some("http://radicale.org/ns/sync/1".into());
    state
}

/// Answers a sync report that asks for `calendar-data` with `refuse` (a status), any other
/// with no change since the token; logs whether each report asked for the data.
struct DataRefusing {
    refuse: Option<u16>,
    log: RefCell<Vec<bool>>,
}

impl Transport for &DataRefusing {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let body = request.body_text().unwrap_or("");
        assert!(
            body.contains("<d:sync-collection"),
            "only the report: {body}"
        );
        let asks = body.contains("calendar-data");
        self.log.borrow_mut().push(asks);
        Ok(match self.refuse.filter(|_| asks) {
            Some(status) => HttpResponse::new(status, "unsupported property"),
            None => HttpResponse::new(
                207,
                format!("{HEAD}<d:sync-token>{TOKEN}</d:sync-token></d:multistatus>"),
            ),
        })
    }
}

#[test]
fn a_calendar_sync_asks_for_the_data_and_asks_again_without_it_when_refused() {
    let run = |refuse: Option<u16>, kind: CollectionKind, batch: Option<usize>| {
        let server = DataRefusing {
            refuse,
            log: RefCell::new(Vec::new()),
        };
        let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
        let r = match batch {
            None => block_on(dav.sync(state_from_token(), kind)),
            Some(max) => block_on(dav.sync_batch(state_from_token(), kind, max)),
        };
        (r.map(|r| r.state.sync_token), server.log.take())
    };
    // Asked for once; a server that does not refuse it answers the report.
    let (r, log) = run(None, CollectionKind::Calendar, None);
    assert_eq!(r.ok().flatten().as_deref(), Some(TOKEN));
    assert_eq!(log, [true]);
    // Refused for it (no valid-sync-token condition): asked again without it, from the token.
    for status in [400, 415, 422, 501] {
        let (r, log) = run(Some(status), CollectionKind::Calendar, None);
        assert_eq!(r.ok().flatten().as_deref(), Some(TOKEN), "{status}");
        assert_eq!(log, [true, false], "{status}");
    }
    // A 403 is about the account, not the data: an error, the report not asked again.
    let (r, log) = run(Some(403), CollectionKind::Calendar, None);
    assert!(r.is_err());
    assert_eq!(log, [true]);
    // An initial report (no token) asks for it too.
    let server = DataRefusing {
        refuse: None,
        log: RefCell::new(Vec::new()),
    };
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let r = block_on(dav.sync(SyncState::new(COLLECTION), CollectionKind::Calendar));
    assert_eq!(
        r.ok().and_then(|r| r.state.sync_token).as_deref(),
        Some(TOKEN)
    );
    assert_eq!(server.log.take(), [true]);
    // Address books (photos make a contact megabytes) and batches (bounded by the batch) never
    // ask for the data in the report.
    assert_eq!(run(None, CollectionKind::AddressBook, None).1, [false]);
    assert_eq!(run(None, CollectionKind::Calendar, Some(10)).1, [false]);
}

#[test]
fn a_session_whose_server_refused_the_data_does_not_ask_for_it_again() {
    let server = DataRefusing {
        refuse: Some(400),
        log: RefCell::new(Vec::new()),
    };
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let sync = || {
        let r = block_on(dav.sync(state_from_token(), CollectionKind::Calendar));
        assert_eq!(
            r.ok().and_then(|r| r.state.sync_token).as_deref(),
            Some(TOKEN)
        );
        server.log.take()
    };
    // The first sync learns it (refused, then asked without the data); the next ones ask
    // without it at once: one request each instead of two.
    assert_eq!(sync(), [true, false]);
    assert_eq!(sync(), [false]);
    assert_eq!(sync(), [false]);
    // A new client (another session) asks again.
    let other = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let r = block_on(other.sync(state_from_token(), CollectionKind::Calendar));
    assert!(r.is_ok());
    assert_eq!(server.log.take(), [true, false]);
    // A server that answers the data is asked for it every time.
    let answering = DataRefusing {
        refuse: None,
        log: RefCell::new(Vec::new()),
    };
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &answering).expect("config");
    for _ in 0..2 {
        assert!(block_on(dav.sync(state_from_token(), CollectionKind::Calendar)).is_ok());
    }
    assert_eq!(answering.log.take(), [true, true]);
}

/// A calendar (and an address book beside it) with one member, `e00001.ics`, changed since
/// any token, on a server that does not send the data in a sync report: it answers the
/// member's `calendar-data` there with 404 (Xandikos, DAViCal), and a multiget with the data.
/// With `davical`, every answer names DAViCal (`X-DAViCal-Version`). Logs, for each sync
/// report, whether it asked for the data, and `"multiget"` for each multiget.
struct DataNotInReports {
    davical: bool,
    log: RefCell<Vec<String>>,
}

impl DataNotInReports {
    /// Such a server, naming itself DAViCal or not, with an empty log.
    fn new(davical: bool) -> Self {
        DataNotInReports {
            davical,
            log: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for &DataNotInReports {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let body = request.body_text().unwrap_or("");
        let path = request
            .url
            .strip_prefix(SERVER.trim_end_matches('/'))
            .unwrap_or("/");
        let href = format!("{path}{}", name(1));
        let row = |props: &str, missing: &str| {
            let missing = if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "<d:propstat><d:prop>{missing}</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"
                )
            };
            format!(
                "<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>{missing}</d:response>"
            )
        };
        let answer = if body.contains("<d:sync-collection") {
            let asks = body.contains("calendar-data");
            self.log
                .borrow_mut()
                .push(format!("report, data asked: {asks}"));
            let missing = if asks { "<c:calendar-data/>" } else { "" };
            let row = row("<d:getetag>\"2\"</d:getetag>", missing);
            format!("{HEAD}{row}<d:sync-token>{TOKEN}</d:sync-token></d:multistatus>")
        } else {
            assert!(
                body.contains("multiget"),
                "a report or a multiget: {} {} {body}",
                request.method.as_str(),
                request.url
            );
            self.log.borrow_mut().push("multiget".into());
            let data = if body.contains("addressbook-multiget") {
                "<r:address-data xmlns:r=\"urn:ietf:params:xml:ns:carddav\">BEGIN:VCARD&#13;\nVERSION:4.0&#13;\nFN:A&#13;\nUID:a&#13;\nEND:VCARD&#13;\n</r:address-data>".to_owned()
            } else {
                format!("<c:calendar-data>{}</c:calendar-data>", event(1))
            };
            format!(
                "{HEAD}{}</d:multistatus>",
                row(&format!("<d:getetag>\"2\"</d:getetag>{data}"), "")
            )
        };
        let response = HttpResponse::new(207, answer);
        Ok(if self.davical {
            response.with_header("X-DAViCal-Version", "DAViCal/1.1.12; DB/1.3.5")
        } else {
            response
        })
    }
}

#[test]
fn a_server_that_answers_the_data_404_in_a_report_is_not_asked_for_it_again() {
    let server = DataNotInReports::new(false);
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let sync = || {
        let r = block_on(dav.sync(state_from_token(), CollectionKind::Calendar)).expect("sync");
        // The member is delivered either way, by the multiget.
        assert_eq!(r.changes.len(), 1);
        assert!(
            matches!(&r.changes[0], Change::Added(o) | Change::Changed(o) if o.data.as_deref().is_some_and(|d| d.contains("UID:e1")))
        );
        server.log.take()
    };
    // The first sync asks and learns that the data does not come in the report; the next
    // ones do not ask (the report is cheaper to answer without it).
    assert_eq!(sync(), ["report, data asked: true", "multiget"]);
    assert_eq!(sync(), ["report, data asked: false", "multiget"]);
    // A new client (another session) asks again.
    let other = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    assert!(block_on(other.sync(state_from_token(), CollectionKind::Calendar)).is_ok());
    assert_eq!(server.log.take(), ["report, data asked: true", "multiget"]);
}

#[test]
fn davical_is_never_asked_for_the_data_in_a_report_once_it_has_named_itself() {
    let server = DataNotInReports::new(true);
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    // An answer (here an address book's sync, which never asks for the data) names DAViCal:
    // the calendar's first sync of the session already asks without it, initial or not.
    let book = SyncState::new("http://127.0.0.1:5232/alice/contacts/");
    let r = block_on(dav.sync(book, CollectionKind::AddressBook)).expect("address book sync");
    assert_eq!(r.changes.len(), 1);
    assert_eq!(server.log.take(), ["report, data asked: false", "multiget"]);
    for state in [SyncState::new(COLLECTION), state_from_token()] {
        let r = block_on(dav.sync(state, CollectionKind::Calendar)).expect("sync");
        assert_eq!(r.changes.len(), 1);
        assert_eq!(server.log.take(), ["report, data asked: false", "multiget"]);
    }
}

#[test]
fn a_session_whose_server_url_is_under_caldav_php_never_asks_for_the_data() {
    // DAViCal's entry point in the server URL: the first sync of the session already asks
    // without the data, before any answer has named DAViCal (a browser may not see its header).
    let server = DataNotInReports::new(false);
    let config = Config::new("http://127.0.0.1:5232/caldav.php/", Credentials::None);
    let dav = DavClient::new(config, &server).expect("config");
    let collection = "http://127.0.0.1:5232/caldav.php/alice/work/";
    let r = block_on(dav.sync(SyncState::new(collection), CollectionKind::Calendar)).expect("sync");
    assert_eq!(r.changes.len(), 1);
    assert_eq!(server.log.take(), ["report, data asked: false", "multiget"]);
}

#[test]
fn a_collection_under_caldav_php_is_never_asked_for_the_data() {
    // A server URL of the bare host (DAViCal reached through `/.well-known`), and no answer
    // naming DAViCal (a page may not see its header): the collection's own URL says it.
    let server = DataNotInReports::new(false);
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), &server).expect("config");
    let davical = "http://127.0.0.1:5232/caldav.php/alice/work/";
    let r = block_on(dav.sync(SyncState::new(davical), CollectionKind::Calendar)).expect("sync");
    assert_eq!(r.changes.len(), 1);
    assert_eq!(server.log.take(), ["report, data asked: false", "multiget"]);
    // Another collection of the same session is still asked (nothing was refused).
    let r = block_on(dav.sync(state_from_token(), CollectionKind::Calendar)).expect("sync");
    assert_eq!(r.changes.len(), 1);
    assert_eq!(server.log.take(), ["report, data asked: true", "multiget"]);
}
