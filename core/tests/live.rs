//! Live tests against real Radicale, Xandikos and Cyrus servers on 127.0.0.1.
//!
//! They are ignored by a plain `cargo test`; the README's test command starts the servers with
//! `tests/servers/servers.py run` (which exports `DAVKIT_RADICALE_URL`, `DAVKIT_XANDIKOS_URL`,
//! `DAVKIT_CYRUS_URL`, ...) and runs them with `--ignored`. A missing Radicale or Xandikos
//! variable is a failure, not a skip; Cyrus, from Debian's packages, is skipped where the rig
//! cannot install it, unless `DAVKIT_REQUIRE_LIVE=1` (as DAViCal in `live_davical.rs`).

#![allow(clippy::panic)] // test helpers report failures by panicking

use std::cell::RefCell;

use davkit::{
    CalendarFilter, Change, CollectionKind, CollectionProps, Config, Credentials, DavClient,
    Discovery, ErrorKind, FbType, HttpRequest, HttpResponse, ReqwestTransport, Service, SyncMethod,
    SyncState, TimeRange, Transport,
};

mod live_support;

type Client = DavClient<ReqwestTransport>;

/// A transport that lists the requests it sends (method, URL, Depth), to pin request counts.
struct Counted {
    inner: ReqwestTransport,
    sent: RefCell<Vec<String>>,
}

impl Transport for Counted {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let depth = request.header("Depth").unwrap_or("-").to_owned();
        // A sync report says so, and whether it asks for the members' data.
        let body = request.body_text().unwrap_or("");
        let report = match (
            body.contains("sync-collection"),
            body.contains("calendar-data"),
        ) {
            (true, true) => " sync-collection with data",
            (true, false) => " sync-collection",
            _ => "",
        };
        self.sent.borrow_mut().push(format!(
            "{:?} {} (Depth {depth}){report}",
            request.method, request.url
        ));
        self.inner.send(request).await
    }
}

/// Discovers from `url` and returns the result with the requests discovery sent.
async fn discover_counted(
    url: &str,
    credentials: Credentials,
    service: Service,
) -> (Discovery, Vec<String>) {
    let transport = Counted {
        inner: ReqwestTransport::new().expect("transport"),
        sent: RefCell::new(Vec::new()),
    };
    let client = DavClient::new(Config::new(url, credentials), &transport).expect("client");
    let found = client
        .discover(service)
        .await
        .unwrap_or_else(|e| panic!("discover from {url}: {e}"));
    drop(client);
    (found, transport.sent.into_inner())
}

/// Discovers from `url` and checks the number of requests, printing them if it differs.
async fn assert_requests(
    url: &str,
    credentials: Credentials,
    service: Service,
    expected: usize,
) -> Discovery {
    let (found, sent) = discover_counted(url, credentials, service).await;
    assert_eq!(
        sent.len(),
        expected,
        "discovery from {url} ({service:?}) sent {sent:#?}"
    );
    found
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test through tests/servers/servers.py run")
    })
}

/// Radicale 3.9 answers a PROPFIND's properties after releasing its storage lock, so a
/// collection another test deletes meanwhile turns a listing into a 500. The tests that
/// change or list alice's home take this lock; the request-count test uses bob, whose home
/// nothing else touches.
static RADICALE_HOME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn radicale() -> Client {
    let config = Config::new(
        env("DAVKIT_RADICALE_URL"),
        Credentials::basic(env("DAVKIT_RADICALE_USER"), env("DAVKIT_RADICALE_PASSWORD")),
    );
    DavClient::connect(config).expect("client")
}

fn xandikos() -> Client {
    let config = Config::new(env("DAVKIT_XANDIKOS_URL"), Credentials::None);
    DavClient::connect(config).expect("client")
}

/// Cyrus 3.6 answers a `Depth: 1` listing of alice's home with a 500 row for a collection
/// another test is making or deleting at that moment (CI run 51: discovery's listing of her
/// address-book home while `cyrus_carddav` made and deleted an address book there), which
/// discovery rightly refuses as an incomplete listing. The tests that change or list alice's
/// homes on Cyrus take this lock, as the Radicale ones take [`RADICALE_HOME`].
static CYRUS_HOME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// alice on Cyrus, or `None` when the rig left Cyrus out (`live_support::cyrus`).
fn cyrus() -> Option<Client> {
    live_support::cyrus(1).map(|alice| DavClient::connect(alice.config()).expect("client"))
}

fn event(uid: &str, summary: &str, start: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//live test//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn card(uid: &str, name: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n\
         EMAIL;TYPE=INTERNET:{uid}@example.com\r\nEND:VCARD\r\n"
    )
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{nanos}")
}

fn counts(changes: &[Change]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for change in changes {
        match change {
            Change::Added(_) => c.0 += 1,
            Change::Changed(_) => c.1 += 1,
            Change::Deleted { .. } => c.2 += 1,
        }
    }
    c
}

async fn calendar_round_trip(client: &Client) {
    let found = client.discover(Service::Both).await.expect("discover");
    assert!(found.principal.is_some(), "no principal: {found:?}");
    let home = found
        .calendar_home_sets
        .first()
        .expect("a calendar home set")
        .clone();

    // Create a calendar and see it in discovery with its properties.
    let slug = unique("live-cal");
    let props = CollectionProps {
        display_name: Some("Live test ✓".into()),
        description: Some("made by davkit's live test".into()),
        color: Some("#1BADF8FF".into()),
        components: vec!["VEVENT".into()],
    };
    let created = client
        .create_calendar(&home, &slug, props)
        .await
        .expect("MKCALENDAR");
    let again = client.discover(Service::CalDav).await.expect("rediscover");
    let listed = again
        .calendars()
        .find(|c| c.url == created.url)
        .unwrap_or_else(|| panic!("{} not in {:?}", created.url, again.collections));
    assert_eq!(listed.display_name.as_deref(), Some("Live test ✓"));
    assert!(listed.supports_component("VEVENT"));

    // PROPPATCH the name, guarded by the name as read: a stale read is refused.
    let rename = |name: &str| CollectionProps {
        display_name: Some(name.into()),
        ..CollectionProps::default()
    };
    client
        .update_collection(
            &created.url,
            CollectionKind::Calendar,
            rename("Renamed"),
            Some(listed),
        )
        .await
        .expect("PROPPATCH");
    let read = client.get_collection(&created.url).await.expect("PROPFIND");
    assert_eq!(read.display_name.as_deref(), Some("Renamed"));
    let stale = client
        .update_collection(
            &created.url,
            CollectionKind::Calendar,
            rename("Stale"),
            Some(listed),
        )
        .await;
    assert_eq!(
        stale.err().map(|e| e.kind()),
        Some(davkit::ErrorKind::PreconditionFailed)
    );

    // Three events, then a create that collides and updates with the wrong ETag.
    let mut etags = Vec::new();
    for (i, start) in ["20260301T090000Z", "20260302T090000Z", "20260401T090000Z"]
        .iter()
        .enumerate()
    {
        let name = format!("e{i}.ics");
        let w = client
            .create_object(
                &created.url,
                &name,
                &event(&format!("uid-{i}"), "Meeting", start),
            )
            .await
            .expect("PUT create");
        etags.push((w.url.clone(), w.etag.clone()));
    }
    let dup = client
        .create_object(
            &created.url,
            "e0.ics",
            &event("uid-0", "Clash", "20260301T090000Z"),
        )
        .await
        .expect_err("a second create of the same name must fail");
    assert_eq!(dup.kind(), ErrorKind::PreconditionFailed, "{dup}");

    // Initial sync: exactly the three events, with data.
    let first = client
        .sync(SyncState::new(&created.url), CollectionKind::Calendar)
        .await
        .expect("initial sync");
    assert_eq!(counts(&first.changes), (3, 0, 0), "{:?}", first.changes);
    assert!(first.changes.iter().all(|c| {
        match c {
            Change::Added(o) => o
                .data
                .as_deref()
                .is_some_and(|d| d.contains("BEGIN:VEVENT")),
            _ => false,
        }
    }));
    assert_eq!(first.state.etags.len(), 3);

    // Conflict: update with a stale ETag is refused and nothing is overwritten.
    let (url0, _) = &etags[0];
    let current = client.get_object(url0).await.expect("GET");
    let current_etag = current.etag.clone().expect("an ETag on GET");
    let stale = client
        .update_object(
            url0,
            &event("uid-0", "Overwrite", "20260301T090000Z"),
            "\"stale\"",
        )
        .await
        .expect_err("stale ETag must fail");
    assert_eq!(stale.kind(), ErrorKind::PreconditionFailed, "{stale}");
    let after = client.get_object(url0).await.expect("GET");
    assert!(
        after
            .data
            .as_deref()
            .is_some_and(|d| d.contains("SUMMARY:Meeting"))
    );

    // One change, one deletion, one addition.
    client
        .update_object(
            url0,
            &event("uid-0", "Moved meeting", "20260301T100000Z"),
            &current_etag,
        )
        .await
        .expect("update with the right ETag");
    let (url1, _) = &etags[1];
    let etag1 = client
        .get_object(url1)
        .await
        .expect("GET")
        .etag
        .expect("etag");
    client.delete_object(url1, &etag1).await.expect("DELETE");
    client
        .create_object(
            &created.url,
            "e3.ics",
            &event("uid-3", "New", "20260501T090000Z"),
        )
        .await
        .expect("PUT");

    let second = client
        .sync(first.state.clone(), CollectionKind::Calendar)
        .await
        .expect("incremental sync");
    assert_eq!(counts(&second.changes), (1, 1, 1), "{:?}", second.changes);
    assert_eq!(second.method, SyncMethod::SyncCollection);
    assert_eq!(second.state.etags.len(), 3);

    // Nothing changed since: an empty sync.
    let third = client
        .sync(second.state.clone(), CollectionKind::Calendar)
        .await
        .expect("empty sync");
    assert_eq!(counts(&third.changes), (0, 0, 0), "{:?}", third.changes);

    // A token the server never issued: the sync falls back to an ETag listing, which finds
    // exactly the change and the addition made since the stored state. The member it no
    // longer lists stays owed (one listing without it is no deletion: a replica behind lists
    // a member created a moment ago only later), and the next sync, finding it gone too,
    // reports its deletion.
    let mut bogus = first.state.clone();
    bogus.sync_token = Some("http://radicale.org/ns/sync/0000".into());
    let reset = client
        .sync(bogus, CollectionKind::Calendar)
        .await
        .expect("sync after a rejected token");
    assert!(reset.token_was_reset);
    assert_eq!(reset.method, SyncMethod::EtagListing);
    assert_eq!(counts(&reset.changes), (1, 1, 0), "{:?}", reset.changes);
    assert!(
        reset.state.pending.contains(url1.as_str()),
        "{:?}",
        reset.state
    );
    let confirmed = client
        .sync(reset.state.clone(), CollectionKind::Calendar)
        .await
        .expect("sync after the listing");
    assert_eq!(
        counts(&confirmed.changes),
        (0, 0, 1),
        "{:?}",
        confirmed.changes
    );
    assert!(
        matches!(&confirmed.changes[0], Change::Deleted { url } if url == url1),
        "{:?}",
        confirmed.changes
    );
    assert!(confirmed.state.pending.is_empty(), "{:?}", confirmed.state);

    // Time-range query: only the March events overlap March.
    let march = client
        .calendar_query(
            &created.url,
            CalendarFilter {
                component: "VEVENT".into(),
                time_range: Some(TimeRange {
                    start: Some("20260301T000000Z".into()),
                    end: Some("20260401T000000Z".into()),
                }),
            },
        )
        .await
        .expect("calendar-query");
    assert_eq!(march.len(), 1, "{march:?}");
    assert!(
        march[0]
            .data
            .as_deref()
            .is_some_and(|d| d.contains("Moved meeting"))
    );

    // A delete guarded by a read from before the changes above is refused; a fresh read passes.
    let before = read;
    if before.ctag.is_some() || before.sync_token.is_some() {
        let refused = client.delete_collection(&created.url, Some(&before)).await;
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(davkit::ErrorKind::PreconditionFailed)
        );
        let fresh = client.get_collection(&created.url).await.expect("PROPFIND");
        client
            .delete_collection(&created.url, Some(&fresh))
            .await
            .expect("delete calendar");
    } else {
        client
            .delete_collection(&created.url, None)
            .await
            .expect("delete calendar");
    }
    let gone = client.get_collection(&created.url).await;
    assert!(gone.is_err(), "the calendar is still there");
}

async fn addressbook_round_trip(client: &Client) {
    let found = client.discover(Service::CardDav).await.expect("discover");
    let home = found
        .addressbook_home_sets
        .first()
        .expect("an address book home set")
        .clone();
    let slug = unique("live-book");
    let book = client
        .create_address_book(
            &home,
            &slug,
            CollectionProps {
                display_name: Some("Live contacts".into()),
                ..CollectionProps::default()
            },
        )
        .await
        .expect("extended MKCOL");
    let mut urls = Vec::new();
    for (i, name) in ["Ada Lovelace", "김민준"].iter().enumerate() {
        let w = client
            .create_object(
                &book.url,
                &format!("c{i}.vcf"),
                &card(&format!("card-{i}"), name),
            )
            .await
            .expect("PUT vCard");
        urls.push(w.url);
    }
    let first = client
        .sync(SyncState::new(&book.url), CollectionKind::AddressBook)
        .await
        .expect("initial sync");
    assert_eq!(counts(&first.changes), (2, 0, 0));
    assert!(first.changes.iter().any(|c| match c {
        Change::Added(o) => o.data.as_deref().is_some_and(|d| d.contains("김민준")),
        _ => false,
    }));

    // Multiget of one existing and one missing card.
    let mut hrefs = vec![urls[0].clone()];
    hrefs.push(format!("{}missing.vcf", book.url));
    let got = client
        .multiget(&book.url, CollectionKind::AddressBook, hrefs)
        .await
        .expect("multiget");
    assert_eq!(got.objects.len(), 1);
    assert_eq!(got.missing.len(), 1);

    let listed = client.list_objects(&book.url).await.expect("PROPFIND");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|o| o.etag.is_some()));

    client
        .delete_collection(&book.url, None)
        .await
        .expect("delete book");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_caldav() {
    let _home = RADICALE_HOME.lock().await;
    calendar_round_trip(&radicale()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_carddav() {
    let _home = RADICALE_HOME.lock().await;
    addressbook_round_trip(&radicale()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_caldav() {
    calendar_round_trip(&xandikos()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_carddav() {
    addressbook_round_trip(&xandikos()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_wrong_password_is_unauthorized() {
    let config = Config::new(
        env("DAVKIT_RADICALE_URL"),
        Credentials::basic(env("DAVKIT_RADICALE_USER"), "wrong-password"),
    );
    let client = DavClient::connect(config).expect("client");
    let err = client
        .discover(Service::CalDav)
        .await
        .expect_err("wrong password");
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!format!("{err:?}").contains("wrong-password"));
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_discovery_request_counts() {
    let root = env("DAVKIT_RADICALE_URL");
    let bob = || {
        Credentials::basic(
            env("DAVKIT_RADICALE_USER2"),
            env("DAVKIT_RADICALE_PASSWORD2"),
        )
    };
    // A calendar in bob's home, for the listings to show (there already when the test runs
    // again on the same server: the discoveries below check that bob has collections).
    let transport = ReqwestTransport::new().expect("transport");
    let client = DavClient::new(Config::new(&root, bob()), &transport).expect("client");
    let home = format!(
        "{}/{}/",
        root.trim_end_matches('/'),
        env("DAVKIT_RADICALE_USER2")
    );
    let _ = client
        .create_calendar(&home, "counted", CollectionProps::default())
        .await;
    drop(client);
    // From the root: the root names the principal, whose Depth 1 answer names both homes
    // (itself) and lists them; no well-known URI. The same for one service or both.
    let both = assert_requests(&root, bob(), Service::Both, 2).await;
    let principal = both.principal.clone().expect("a principal");
    assert_eq!(both.calendar_home_sets, std::slice::from_ref(&principal));
    assert_eq!(both.addressbook_home_sets, std::slice::from_ref(&principal));
    assert_requests(&root, bob(), Service::CalDav, 2).await;
    assert_requests(&root, bob(), Service::CardDav, 2).await;
    // From the principal (which is also the home): the first answer has the home sets.
    let again = assert_requests(&principal, bob(), Service::Both, 2).await;
    assert_eq!(again.principal, both.principal);
    assert_eq!(again.calendar_home_sets, both.calendar_home_sets);
    assert_eq!(again.addressbook_home_sets, both.addressbook_home_sets);
    let urls = |d: &Discovery| {
        let mut u: Vec<String> = d.collections.iter().map(|c| c.url.clone()).collect();
        u.sort();
        u
    };
    assert!(!both.collections.is_empty(), "bob's collections");
    assert_eq!(urls(&both), urls(&again), "the principal's listing");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_discovery_request_counts() {
    let root = env("DAVKIT_XANDIKOS_URL");
    let none = || Credentials::None;
    // From the root: root (principal), principal (home sets), one listing per home, and
    // for calendars an OPTIONS on the calendar home beside its listing (Xandikos says
    // `calendar-auto-schedule` only there).
    let cal = assert_requests(&root, none(), Service::CalDav, 4).await;
    assert_eq!(cal.scheduling.auto_schedule, Some(true));
    assert_requests(&root, none(), Service::CardDav, 3).await;
    let both = assert_requests(&root, none(), Service::Both, 5).await;
    let principal = both.principal.clone().expect("a principal");
    let cal_home = both
        .calendar_home_sets
        .first()
        .expect("a calendar home")
        .clone();
    assert_eq!(cal.calendar_home_sets, both.calendar_home_sets);
    assert_eq!(both.addressbook_home_sets.len(), 1);
    // From the principal: it names its home sets itself.
    let p = assert_requests(&principal, none(), Service::CalDav, 3).await;
    assert_eq!(p.calendar_home_sets, both.calendar_home_sets);
    let p = assert_requests(&principal, none(), Service::Both, 4).await;
    assert_eq!(p.addressbook_home_sets, both.addressbook_home_sets);
    // From the calendar home: it does not name itself as a home set, so the principal is
    // asked (it could list more homes) before the listing.
    let h = assert_requests(&cal_home, none(), Service::CalDav, 4).await;
    assert_eq!(h.calendar_home_sets, both.calendar_home_sets);
    // From a calendar (created by `xandikos --defaults`): one request reads it whole.
    let url = format!("{cal_home}calendar/");
    let one = assert_requests(&url, none(), Service::CalDav, 1).await;
    assert_eq!(one.principal.as_deref(), Some(principal.as_str()));
    assert_eq!(one.collections.len(), 1);
    assert_eq!(one.collections[0].url, url);
    assert_eq!(one.collections[0].kind, CollectionKind::Calendar);
}

/// RFC 4791 §7.10 free-busy-query on a calendar the test fills: two overlapping busy events,
/// a tentative one and a transparent (free) one; the answer is clipped to the window and
/// merged per FBTYPE.
async fn free_busy_round_trip(client: &Client) {
    let found = client.discover(Service::CalDav).await.expect("discover");
    let home = found
        .calendar_home_sets
        .first()
        .expect("a calendar home set")
        .clone();
    let props = CollectionProps {
        components: vec!["VEVENT".into()],
        ..CollectionProps::default()
    };
    let cal = client
        .create_calendar(&home, &unique("live-fb"), props)
        .await
        .expect("MKCALENDAR");
    let put = |uid: &'static str, extra: &'static str, start: &'static str| {
        let data = event(uid, uid, start).replace("SUMMARY:", &format!("{extra}SUMMARY:"));
        let url = cal.url.clone();
        async move {
            client
                .create_object(&url, &format!("{uid}.ics"), &data)
                .await
                .expect("PUT")
        }
    };
    put("fb-a", "", "20270104T090000Z").await; // 09:00-10:00
    put("fb-b", "", "20270104T093000Z").await; // 09:30-10:30, merged with a
    put("fb-c", "STATUS:TENTATIVE\r\n", "20270104T140000Z").await;
    put("fb-d", "TRANSP:TRANSPARENT\r\n", "20270104T160000Z").await; // free: not listed
    put("fb-e", "", "20270105T230000Z").await; // 23:00-00:00, clipped at the window's end
    let fb = client
        .free_busy_query(&cal.url, "20270104T000000Z", "20270105T233000Z")
        .await
        .expect("free-busy-query");
    let busy: Vec<(String, String, FbType)> = fb
        .busy
        .into_iter()
        .map(|p| (p.start, p.end, p.fb_type))
        .collect();
    let p = |s: &str, e: &str, t: FbType| (s.to_owned(), e.to_owned(), t);
    assert_eq!(
        busy,
        [
            p("20270104T090000Z", "20270104T103000Z", FbType::Busy),
            p(
                "20270104T140000Z",
                "20270104T150000Z",
                FbType::BusyTentative
            ),
            p("20270105T230000Z", "20270105T233000Z", FbType::Busy),
        ]
    );
    client
        .delete_collection(&cal.url, None)
        .await
        .expect("delete calendar");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_free_busy() {
    let _home = RADICALE_HOME.lock().await;
    free_busy_round_trip(&radicale()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_free_busy() {
    free_busy_round_trip(&xandikos()).await;
}

/// RFC 6638 properties come with the PROPFINDs discovery sends anyway: Radicale names the
/// principal as its one calendar-user address and says (DAV header on its PROPFIND answer)
/// that it does not schedule; Xandikos reports an inbox and an outbox, and its OPTIONS answer
/// that it schedules.
#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn scheduling_in_discovery() {
    let _home = RADICALE_HOME.lock().await;
    let r = radicale()
        .discover(Service::CalDav)
        .await
        .expect("discover");
    let principal = r.principal.clone().expect("a principal");
    assert_eq!(
        r.scheduling.auto_schedule,
        Some(false),
        "{:?}",
        r.scheduling
    );
    assert!(
        r.scheduling
            .user_addresses
            .iter()
            .any(|a| principal.ends_with(a.as_str())),
        "{:?}",
        r.scheduling
    );
    assert_eq!(r.scheduling.outbox_url, None);
    let x = xandikos()
        .discover(Service::CalDav)
        .await
        .expect("discover");
    let base = x.principal.clone().expect("a principal");
    assert_eq!(x.scheduling.inbox_url, Some(format!("{base}inbox")));
    assert_eq!(x.scheduling.outbox_url, Some(format!("{base}outbox")));
    // said only to OPTIONS, which discovery sends to the calendar home
    assert_eq!(x.scheduling.auto_schedule, Some(true));
}

/// RFC 6638 §5 free-busy through the outbox discovery found: Xandikos 0.4.10 answers the POST
/// with a schedule-response, one row per attendee; with no calendar-user address on its
/// principal it has no authority to answer (`3.8`), which comes back typed, not as an error.
#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_outbox_free_busy() {
    let client = xandikos();
    let found = client.discover(Service::CalDav).await.expect("discover");
    let outbox = found.scheduling.outbox_url.clone().expect("an outbox");
    let attendees = vec![
        "mailto:bob@example.com".to_owned(),
        "mailto:carol@example.com".to_owned(),
    ];
    let request = davkit::FreeBusyRequest {
        organizer: "mailto:user@example.com".into(),
        attendees: attendees.clone(),
        start: "20270104T000000Z".into(),
        end: "20270111T000000Z".into(),
        uid: unique("fb-request"),
        dtstamp: "20270101T000000Z".into(),
    };
    let rows = client
        .outbox_free_busy(&outbox, &request)
        .await
        .expect("outbox POST");
    let recipients: Vec<&str> = rows.iter().map(|r| r.recipient.as_str()).collect();
    assert_eq!(recipients, attendees);
    for row in &rows {
        assert!(row.request_status.starts_with("3.8"), "{row:?}");
        assert!(!row.ok && row.busy.is_empty(), "{row:?}");
    }
}

/// A new calendar, `prefix` and a unique suffix, in the first calendar home discovery finds.
async fn scratch_calendar<T: Transport>(client: &DavClient<T>, prefix: &str) -> davkit::Collection {
    let found = client.discover(Service::CalDav).await.expect("discover");
    let home = found.calendar_home_sets.first().expect("a home").clone();
    client
        .create_calendar(&home, &unique(prefix), CollectionProps::default())
        .await
        .expect("MKCALENDAR")
}

/// A calendar's initial sync, and an incremental one after one event changed: Radicale and
/// Cyrus send the events' data in the sync report (one request each); Xandikos answers 404 for
/// `calendar-data` there, and the events come by multiget (two each), the session not asking
/// for the data again after the first report; DAViCal (reached under `caldav.php`, and naming
/// itself in every answer) is never asked for it (it computes the data for every member before
/// answering 404). Either
/// way the change holds the new data. `asks`: whether each of the two sync reports asks for
/// the data.
async fn incremental_sync_requests(
    url: String,
    credentials: Credentials,
    expected: usize,
    asks: [bool; 2],
) {
    let asked = |sent: &[String]| {
        let reports: Vec<bool> = sent
            .iter()
            .filter(|s| s.contains("sync-collection"))
            .map(|s| s.ends_with("with data"))
            .collect();
        match reports.as_slice() {
            [one] => *one,
            _ => panic!("{url}: one sync report expected in {sent:#?}"),
        }
    };
    let transport = Counted {
        inner: ReqwestTransport::new().expect("transport"),
        sent: RefCell::new(Vec::new()),
    };
    let client = DavClient::new(Config::new(&url, credentials), &transport).expect("client");
    let cal = scratch_calendar(&client, "live-data").await;
    let w = client
        .create_object(
            &cal.url,
            "a.ics",
            &event("data-a", "Before", "20260301T090000Z"),
        )
        .await
        .expect("create");
    transport.sent.borrow_mut().clear();
    let first = client
        .sync(SyncState::new(&cal.url), CollectionKind::Calendar)
        .await
        .expect("first sync");
    let sent = transport.sent.take();
    assert_eq!(
        sent.len(),
        expected,
        "{url}: the initial sync sent {sent:#?}"
    );
    assert_eq!(
        asked(&sent),
        asks[0],
        "{url}: the initial sync sent {sent:#?}"
    );
    assert_eq!(first.changes.len(), 1);
    let etag = w.etag.or_else(|| first.state.etags.get(&w.url).cloned());
    client
        .update_object(
            &w.url,
            &event("data-a", "After", "20260301T090000Z"),
            etag.as_deref().expect("an ETag"),
        )
        .await
        .expect("update");
    transport.sent.borrow_mut().clear();
    let next = client
        .sync(first.state, CollectionKind::Calendar)
        .await
        .expect("incremental sync");
    let sent = transport.sent.take();
    assert_eq!(
        sent.len(),
        expected,
        "{url}: the incremental sync sent {sent:#?}"
    );
    assert_eq!(
        asked(&sent),
        asks[1],
        "{url}: the incremental sync sent {sent:#?}"
    );
    assert_eq!(next.method, SyncMethod::SyncCollection);
    match next.changes.as_slice() {
        [Change::Changed(o)] => {
            assert!(
                o.data
                    .as_deref()
                    .is_some_and(|d| d.contains("SUMMARY:After"))
            );
            assert_eq!(next.state.etags.get(&o.url), o.etag.as_ref());
        }
        other => panic!("{url}: expected one change, got {other:?}"),
    }
    client
        .delete_collection(&cal.url, None)
        .await
        .expect("delete calendar");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn a_sync_takes_the_data_from_the_report_where_the_server_sends_it() {
    let alice = Credentials::basic(env("DAVKIT_RADICALE_USER"), env("DAVKIT_RADICALE_PASSWORD"));
    {
        // alice's home: the other tests that change it hold this lock too.
        let _home = RADICALE_HOME.lock().await;
        incremental_sync_requests(env("DAVKIT_RADICALE_URL"), alice, 1, [true, true]).await;
    }
    incremental_sync_requests(
        env("DAVKIT_XANDIKOS_URL"),
        Credentials::None,
        2,
        [true, false],
    )
    .await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_sync_requests() {
    let Some(alice) = live_support::davical(1) else {
        return;
    };
    incremental_sync_requests(alice.url.clone(), alice.credentials(), 2, [false, false]).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_caldav() {
    let _home = CYRUS_HOME.lock().await;
    let Some(client) = cyrus() else { return };
    calendar_round_trip(&client).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_carddav() {
    let _home = CYRUS_HOME.lock().await;
    let Some(client) = cyrus() else { return };
    addressbook_round_trip(&client).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_free_busy() {
    let _home = CYRUS_HOME.lock().await;
    let Some(client) = cyrus() else { return };
    free_busy_round_trip(&client).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_sync_requests() {
    let _home = CYRUS_HOME.lock().await;
    let Some(alice) = live_support::cyrus(1) else {
        return;
    };
    incremental_sync_requests(alice.url.clone(), alice.credentials(), 1, [true, true]).await;
}

/// Cyrus 3.6 (Fastmail's server) from the root: the root names only the principal; the
/// principal, asked with `Depth: 1`, is no collection and lists nothing, and names one home
/// set per service, each listed once, and for calendars an OPTIONS on the calendar home
/// beside its listing (Cyrus sends its `DAV` header only there). The homes list the
/// scheduling inbox and outbox beside the calendars, and discovery leaves them out.
#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_discovery() {
    let _home = CYRUS_HOME.lock().await;
    let Some(alice) = live_support::cyrus(1) else {
        return;
    };
    let root = alice.url.clone();
    let creds = || alice.credentials();
    let both = assert_requests(&root, creds(), Service::Both, 5).await;
    assert_requests(&root, creds(), Service::CalDav, 4).await;
    assert_requests(&root, creds(), Service::CardDav, 3).await;
    let principal = format!("{root}dav/principals/user/alice/");
    let cal_home = format!("{root}dav/calendars/user/alice/");
    let card_home = format!("{root}dav/addressbooks/user/alice/");
    assert_eq!(both.principal.as_deref(), Some(principal.as_str()));
    assert_eq!(both.calendar_home_sets, std::slice::from_ref(&cal_home));
    assert_eq!(both.addressbook_home_sets, std::slice::from_ref(&card_home));
    // The default collections Cyrus made on alice's first request.
    let calendar = both
        .calendars()
        .find(|c| c.url == format!("{cal_home}Default/"))
        .unwrap_or_else(|| panic!("no default calendar in {:#?}", both.collections));
    assert!(calendar.supports_component("VEVENT"));
    assert_eq!(calendar.supports_sync_collection, Some(true));
    assert!(
        both.address_books()
            .any(|c| c.url == format!("{card_home}Default/")),
        "no default address book in {:#?}",
        both.collections
    );
    assert!(
        !both
            .collections
            .iter()
            .any(|c| c.url.ends_with("/Inbox/") || c.url.ends_with("/Outbox/")),
        "{:#?}",
        both.collections
    );
    // RFC 6638, from the principal's answer.
    let s = &both.scheduling;
    assert_eq!(s.inbox_url, Some(format!("{cal_home}Inbox/")), "{s:?}");
    assert_eq!(s.outbox_url, Some(format!("{cal_home}Outbox/")), "{s:?}");
    assert_eq!(s.auto_schedule, Some(true), "{s:?}");
    assert!(
        s.user_addresses
            .iter()
            .any(|a| a == "mailto:alice@example.com"),
        "{s:?}"
    );

    // From the principal: its own answer names the homes.
    let p = assert_requests(&principal, creds(), Service::Both, 4).await;
    assert_eq!(p.calendar_home_sets, both.calendar_home_sets);
    assert_eq!(p.addressbook_home_sets, both.addressbook_home_sets);
    // From the well-known URI: a 301 to /dav/calendars (no trailing slash), whose answer
    // names the principal.
    let w = assert_requests(
        &format!("{root}.well-known/caldav"),
        creds(),
        Service::CalDav,
        5,
    )
    .await;
    assert_eq!(w.principal, both.principal);
    assert_eq!(w.calendar_home_sets, both.calendar_home_sets);
}

/// bob cannot read alice's calendar: Cyrus redirects the request into bob's own namespace
/// (a relative `Location`), where it is refused. The answer is an error, never an empty
/// calendar.
#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_another_users_calendar_is_forbidden() {
    let (Some(alice), Some(bob)) = (live_support::cyrus(1), live_support::cyrus(2)) else {
        return;
    };
    let url = format!("{}dav/calendars/user/alice/Default/", alice.url);
    let client = DavClient::connect(bob.config()).expect("client");
    let listed = client.list_objects(&url).await;
    assert_eq!(
        listed.as_ref().err().map(|e| e.kind()),
        Some(ErrorKind::Forbidden),
        "{listed:?}"
    );
    let synced = client
        .sync(SyncState::new(&url), CollectionKind::Calendar)
        .await;
    assert!(synced.is_err(), "{synced:?}");
}

/// RFC 5995: a calendar that names an add-member URL takes a new event by POST, and the
/// server names it (`Location`). The event is then read, synced and deleted as any other.
async fn post_to_add_member(client: &Client) {
    let cal = scratch_calendar(client, "live-post").await;
    let read = client.get_collection(&cal.url).await.expect("PROPFIND");
    let add_member = read
        .add_member_url
        .clone()
        .unwrap_or_else(|| panic!("no add-member URL on {read:#?}"));
    let uid = unique("posted");
    let w = client
        .post_object(&add_member, &event(&uid, "Posted", "20260601T090000Z"))
        .await
        .expect("POST");
    assert!(
        w.url.starts_with(&cal.url) && w.url != cal.url && w.url != add_member,
        "{w:?}"
    );
    let got = client.get_object(&w.url).await.expect("GET the new member");
    assert!(
        got.data.as_deref().is_some_and(|d| d.contains(&uid)),
        "{got:?}"
    );
    let etag = got.etag.clone().expect("an ETag");
    if let Some(posted) = &w.etag {
        assert_eq!(posted, &etag, "the POST's ETag is the stored one");
    }
    let synced = client
        .sync(SyncState::new(&cal.url), CollectionKind::Calendar)
        .await
        .expect("sync");
    match synced.changes.as_slice() {
        [Change::Added(o)] => assert_eq!(o.url, w.url),
        other => panic!("expected the posted event alone, got {other:?}"),
    }
    client.delete_object(&w.url, &etag).await.expect("DELETE");
    client
        .delete_collection(&cal.url, None)
        .await
        .expect("delete calendar");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_post_to_add_member() {
    post_to_add_member(&xandikos()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_post_to_add_member() {
    let _home = CYRUS_HOME.lock().await;
    let Some(client) = cyrus() else { return };
    post_to_add_member(&client).await;
}
