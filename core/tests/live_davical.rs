//! Live tests against DAViCal 1.1.12 (PostgreSQL + PHP) on 127.0.0.1, started by
//! `tests/servers/servers.py` with users alice, bob and carol (`DAVKIT_DAVICAL_*`).
//!
//! Ignored by a plain `cargo test`; the README's test command runs them with `--ignored`. When
//! the rig could not start DAViCal they say so and skip, unless `DAVKIT_REQUIRE_LIVE=1` (set
//! by the test command), which makes that a failure. The batched sync on DAViCal is in
//! `live_batch.rs`, with Radicale's and Xandikos'.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod live_support;

use davkit::{
    Change, CollectionKind, CollectionProps, Credentials, DavClient, ErrorKind, Service,
    SyncMethod, SyncState,
};
use live_support::{Counted, Live, Mirror, apply, card, counts, davical, unique};

/// The Depth-1 listing of the home lists every collection: calendar/ and addresses/ (made by
/// the rig), the scheduling inbox and outbox. Each test works in a collection of its own.
fn home(live: &Live) -> String {
    let (user, _) = live.user.clone().expect("DAViCal users have passwords");
    format!("{}{user}/", live.url)
}

async fn discover_counted(
    live: &Live,
    url: &str,
    service: Service,
) -> (davkit::Discovery, Vec<String>) {
    let transport = Counted::new();
    let client =
        DavClient::new(davkit::Config::new(url, live.credentials()), &transport).expect("client");
    let found = client
        .discover(service)
        .await
        .unwrap_or_else(|e| panic!("discover from {url}: {e}"));
    drop(client);
    (found, transport.take())
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_discovery_finds_alice_in_2_requests() {
    let Some(alice) = davical(1) else { return };
    let root = alice.url.clone();
    let home = home(&alice);

    // From the DAV root: the root names the principal and its home sets (one URL for both),
    // then one listing of the home. (Asked for `sync-token`, the root answers 500: discovery
    // asks no collection state.)
    let (both, sent) = discover_counted(&alice, &root, Service::Both).await;
    assert_eq!(sent.len(), 2, "discovery from {root} sent {sent:#?}");
    assert_eq!(both.principal.as_deref(), Some(home.as_str()));
    assert_eq!(both.calendar_home_sets, std::slice::from_ref(&home));
    assert_eq!(both.addressbook_home_sets, std::slice::from_ref(&home));
    let calendar = format!("{home}calendar/");
    let addresses = format!("{home}addresses/");
    live_support::assert_discovered(&both, &calendar, &addresses);
    // The scheduling inbox and outbox are not calendars to sync.
    assert!(
        !both
            .collections
            .iter()
            .any(|c| c.url.ends_with("/.in/") || c.url.ends_with("/.out/")),
        "{:#?}",
        both.collections
    );

    // RFC 6638, from the same answers.
    let s = &both.scheduling;
    assert_eq!(s.auto_schedule, Some(true), "{s:?}");
    assert_eq!(s.inbox_url.as_deref(), Some(format!("{home}.in/").as_str()));
    assert_eq!(
        s.outbox_url.as_deref(),
        Some(format!("{home}.out/").as_str())
    );
    let email = std::env::var("DAVKIT_DAVICAL_EMAIL").expect("DAVKIT_DAVICAL_EMAIL");
    assert!(
        s.user_addresses.contains(&format!("mailto:{email}")),
        "{s:?}"
    );

    // One service at a time costs the same, and so does the principal.
    for service in [Service::CalDav, Service::CardDav] {
        let (_, sent) = discover_counted(&alice, &root, service).await;
        assert_eq!(sent.len(), 2, "{service:?} from {root} sent {sent:#?}");
    }
    let (again, sent) = discover_counted(&alice, &home, Service::Both).await;
    assert_eq!(sent.len(), 2, "discovery from {home} sent {sent:#?}");
    assert_eq!(again.principal, both.principal);
    assert_eq!(again.collections.len(), both.collections.len());

    // From the bare server root (what a user may type): DAViCal's Apache answers nothing
    // useful there, so discovery goes through /.well-known/caldav and finds the same.
    let origin = root.trim_end_matches("caldav.php/").to_owned();
    let (found, sent) = discover_counted(&alice, &origin, Service::CalDav).await;
    assert_eq!(found.principal, both.principal, "{sent:#?}");
    assert!(found.calendars().any(|c| c.url == calendar), "{sent:#?}");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_wrong_password_is_unauthorized() {
    let Some(alice) = davical(1) else { return };
    let config = davkit::Config::new(
        alice.url.clone(),
        Credentials::basic(alice.user.clone().expect("a user").0, "wrong-password"),
    );
    let err = DavClient::connect(config)
        .expect("client")
        .discover(Service::CalDav)
        .await
        .expect_err("wrong password");
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!format!("{err:?}").contains("wrong-password"));
}

/// Writes with preconditions and sync-collection, initial and incremental, with the number of
/// requests each sync takes: the initial sync of N events is one sync-collection report and one
/// multiget; an incremental one with changes is the same two; with none, the report alone.
#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_calendar_writes_and_sync() {
    let Some(alice) = davical(1) else { return };
    let transport = Counted::new();
    let client = alice.counted(&transport);
    let slug = unique("live-cal");
    let url = live_support::create_test_calendar(&client, &home(&alice), &slug).await;

    const N: usize = 30;
    let written = live_support::create_events(&client, &url, &slug, N).await;
    assert!(
        written.values().all(|(etag, _)| etag.is_some()),
        "DAViCal answers a PUT with an ETag"
    );
    live_support::second_create_refused(&client, &url).await;
    transport.take();

    // Initial sync: every event with its data, in two requests.
    let first = client
        .sync(SyncState::new(&url), CollectionKind::Calendar)
        .await
        .expect("initial sync");
    let sent = transport.take();
    assert_eq!(sent.len(), 2, "initial sync of {N} events sent {sent:#?}");
    assert_eq!(first.method, SyncMethod::SyncCollection);
    assert_eq!(counts(&first.changes), (N, 0, 0));
    let mut mirror = Mirror::new();
    apply(&mut mirror, &first.changes);
    live_support::assert_holds_written(&mirror, &written);
    for (u, (etag, _)) in &mirror {
        assert_eq!(
            etag, &written[u].0,
            "{u}: the ETag of the PUT is the ETag synced"
        );
    }

    // Preconditions: a stale ETag is refused for an update and a delete; nothing is lost.
    let e0 = format!("{url}e00.ics");
    let e1 = format!("{url}e01.ics");
    let etag0 = written[&e0].0.clone().expect("etag");
    let etag1 = written[&e1].0.clone().expect("etag");
    live_support::stale_writes_refused(&client, &e0, &etag0, &e1).await;

    // One change, one deletion, one addition, each guarded by the ETag as read.
    live_support::change_delete_add(&client, &url, &slug, (&e0, &etag0), (&e1, &etag1)).await;
    transport.take();

    let second = client
        .sync(first.state.clone(), CollectionKind::Calendar)
        .await
        .expect("incremental sync");
    let sent = transport.take();
    assert_eq!(sent.len(), 2, "incremental sync sent {sent:#?}");
    assert_eq!(second.method, SyncMethod::SyncCollection);
    live_support::assert_changed_deleted_added(&second.changes, &e0, &e1);
    apply(&mut mirror, &second.changes);

    // Nothing changed since: one report, no changes.
    let third = client
        .sync(second.state.clone(), CollectionKind::Calendar)
        .await
        .expect("empty sync");
    let sent = transport.take();
    assert_eq!(sent.len(), 1, "an empty incremental sync sent {sent:#?}");
    assert!(third.changes.is_empty(), "{:?}", third.changes);

    // The mirror is what the server holds; then the calendar goes.
    live_support::assert_mirror_then_delete(&client, &url, &mirror).await;
    assert!(client.get_collection(&url).await.is_err());
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_address_book_sync() {
    let Some(alice) = davical(1) else { return };
    let transport = Counted::new();
    let client = alice.counted(&transport);
    let book = client
        .create_address_book(
            &home(&alice),
            &unique("live-book"),
            CollectionProps {
                display_name: Some("Live contacts".into()),
                ..CollectionProps::default()
            },
        )
        .await
        .expect("extended MKCOL");
    let mut urls = Vec::new();
    for (i, name) in ["Ada Lovelace", "김민준", "Jürgen Groß"].iter().enumerate() {
        let w = client
            .create_object(
                &book.url,
                &format!("c{i}.vcf"),
                &card(&format!("card-{i}"), name),
            )
            .await
            .expect("PUT vCard");
        // DAViCal 1.1.12 answers a vCard PUT without an ETag (a calendar PUT has one):
        // the write result says so, and a GET tells it.
        assert_eq!(w.etag, None, "DAViCal now sends an ETag on a vCard PUT");
        let etag = client.get_object(&w.url).await.expect("GET").etag;
        urls.push((w.url, etag.expect("an ETag on GET")));
    }
    transport.take();
    let first = client
        .sync(SyncState::new(&book.url), CollectionKind::AddressBook)
        .await
        .expect("initial sync");
    let sent = transport.take();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(counts(&first.changes), (3, 0, 0));
    assert!(first.changes.iter().any(|c| match c {
        Change::Added(o) => o.data.as_deref().is_some_and(|d| d.contains("김민준")),
        _ => false,
    }));

    // A multiget of one existing and one missing card. DAViCal 1.1.12 leaves the missing
    // one out of its answer (no 404 row), so it is in neither list.
    let missing = format!("{}missing.vcf", book.url);
    let got = client
        .multiget(
            &book.url,
            CollectionKind::AddressBook,
            vec![urls[0].0.clone(), missing.clone()],
        )
        .await
        .expect("multiget");
    assert_eq!(
        got.objects
            .iter()
            .map(|o| o.url.as_str())
            .collect::<Vec<_>>(),
        [urls[0].0.as_str()],
        "{got:?}"
    );
    assert!(
        got.missing.is_empty() || got.missing == [missing],
        "{got:?}"
    );

    let (u2, e2) = &urls[2];
    client
        .update_object(u2, &card("card-2", "Jürgen Groß-Weber"), e2)
        .await
        .expect("update");
    transport.take();
    let second = client
        .sync(first.state.clone(), CollectionKind::AddressBook)
        .await
        .expect("incremental sync");
    let sent = transport.take();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(counts(&second.changes), (0, 1, 0), "{:?}", second.changes);

    client
        .delete_collection(&book.url, None)
        .await
        .expect("delete the address book");
}
