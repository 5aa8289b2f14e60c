//! Live tests against SOGo 5.8 (Debian 12's `sogo`: GNUstep, PostgreSQL, memcached) on
//! 127.0.0.1, started by `tests/servers/servers.py` with users alice, bob and carol
//! (`DAVKIT_SOGO_*`). What SOGo does differently is in docs/providers.md ("SOGo 5.8.0"); these
//! tests hold the client to it on the real server: its sync tokens count seconds, it rewrites
//! what it stores, it answers a calendar-query filtered on VCALENDAR alone with nothing, and it
//! writes a schedule-response's recipient as text.
//!
//! Ignored by a plain `cargo test`; the README's test command runs them with `--ignored`. When
//! the rig could not start SOGo they say so and skip, unless `DAVKIT_REQUIRE_LIVE=1` (set by the
//! test command), which makes that a failure.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic)] // test helpers report failures by panicking

mod live_support;

use davkit::{
    Change, CollectionKind, DavClient, ErrorKind, FreeBusyRequest, Service, SyncMethod, SyncState,
};
use live_support::{Counted, Live, Mirror, apply, card, counts, event, unique};

/// SOGo's user `n` (1 alice, 2 bob, 3 carol), or `None` when the rig left SOGo out.
fn sogo(n: usize) -> Option<Live> {
    live_support::sogo(n)
}

/// The user's principal, which is also their home: `Calendar/` and `Contacts/` are in it.
fn principal(live: &Live) -> String {
    let (user, _) = live.user.clone().expect("SOGo users have passwords");
    format!("{}{user}/", live.url)
}

fn email(n: usize) -> String {
    let live = sogo(n).expect("SOGo");
    let (user, _) = live.user.expect("user");
    format!("{user}@example.com")
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn sogo_discovery_finds_alice() {
    let Some(alice) = sogo(1) else { return };
    let transport = Counted::new();
    let client = alice.counted(&transport);
    let found = client
        .discover(Service::Both)
        .await
        .unwrap_or_else(|e| panic!("discover from {}: {e}", alice.url));
    let sent = transport.take();
    let me = principal(&alice);
    assert_eq!(found.principal.as_deref(), Some(me.as_str()), "{sent:#?}");
    let calendar = format!("{me}Calendar/personal/");
    let contacts = format!("{me}Contacts/personal/");
    live_support::assert_discovered(&found, &calendar, &contacts);
    let s = &found.scheduling;
    // SOGo's outbox is the personal calendar itself (its resourcetype says both): it stays a
    // calendar to sync.
    assert_eq!(s.outbox_url.as_deref(), Some(calendar.as_str()), "{s:?}");
    assert!(
        s.user_addresses
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&format!("mailto:{}", email(1)))),
        "{s:?}"
    );
    // Picked from the URL: SOGo's profile, which checks a name is free before a create.
    assert_eq!(client.session().profile().name, "sogo");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn sogo_wrong_password_is_unauthorized() {
    let Some(alice) = sogo(1) else { return };
    let wrong = Live {
        user: Some(("alice".into(), "not-her-password".into())),
        ..alice
    };
    let client = DavClient::connect(wrong.config()).expect("client");
    let e = client
        .discover(Service::CalDav)
        .await
        .expect_err("a wrong password must fail");
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn sogo_calendar_writes_and_sync() {
    let Some(alice) = sogo(1) else { return };
    let transport = Counted::new();
    let client = alice.counted(&transport);
    let slug = unique("live-cal");
    let url = live_support::create_test_calendar(
        &client,
        &format!("{}Calendar/", principal(&alice)),
        &slug,
    )
    .await;

    const N: usize = 12;
    let written = live_support::create_events(&client, &url, &slug, N).await;
    // SOGo replaces what is there on a PUT with `If-None-Match: *` (204); its profile has
    // davkit check that the name is free first, so a second create of a name fails and the
    // first object stays.
    live_support::second_create_refused(&client, &url).await;
    transport.take();

    let first = client
        .sync(SyncState::new(&url), CollectionKind::Calendar)
        .await
        .expect("initial sync");
    assert_eq!(first.method, SyncMethod::SyncCollection);
    assert_eq!(counts(&first.changes), (N, 0, 0), "{:?}", first.problems);
    let mut mirror = Mirror::new();
    apply(&mut mirror, &first.changes);
    // SOGo rewrites what it stores; the properties written come back.
    live_support::assert_holds_written(&mirror, &written);

    // Preconditions: a stale ETag is refused for an update (by SOGo) and a delete (SOGo
    // would delete: its profile has davkit compare the ETag first); nothing is lost.
    let e0 = format!("{url}e00.ics");
    let e1 = format!("{url}e01.ics");
    let etag0 = mirror[&e0].0.clone().expect("etag");
    let etag1 = mirror[&e1].0.clone().expect("etag");
    live_support::stale_writes_refused(&client, &e0, &etag0, &e1).await;

    // One change, one deletion, one addition, each guarded by the ETag as read.
    live_support::change_delete_add(&client, &url, &slug, (&e0, &etag0), (&e1, &etag1)).await;
    let second = client
        .sync(first.state.clone(), CollectionKind::Calendar)
        .await
        .expect("incremental sync");
    live_support::assert_changed_deleted_added(&second.changes, &e0, &e1);
    apply(&mut mirror, &second.changes);

    // SOGo's sync tokens are times in seconds: a write in the same second as the sync before
    // it must still come with the next sync. Rounds of write-then-sync as fast as they go.
    let mut state = second.state.clone();
    for round in 0..8 {
        let name = format!("fast-{round}.ics");
        let put = client
            .create_object(
                &url,
                &name,
                &event(&format!("{slug}-f{round}"), "Fast", "20260601T090000Z"),
            )
            .await
            .expect("PUT");
        let r = client
            .sync(state, CollectionKind::Calendar)
            .await
            .expect("sync");
        let delivered = r.changes.iter().find_map(|c| match c {
            Change::Added(o) if o.url.ends_with(&name) => Some(o),
            _ => None,
        });
        let Some(delivered) = delivered else {
            panic!("round {round}: {name} not delivered: {:?}", r.changes);
        };
        // SOGo stores a rewritten text under the ETag its PUT answers: the write read it back,
        // so its result is what the sync brings.
        assert_eq!(
            (&put.etag, &put.data),
            (&delivered.etag, &delivered.data),
            "round {round}: the write's result is not what SOGo holds"
        );
        apply(&mut mirror, &r.changes);
        state = r.state;
    }

    // The mirror is what the server holds; then the calendar goes.
    live_support::assert_mirror_then_delete(&client, &url, &mirror).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn sogo_address_book_sync() {
    let Some(bob) = sogo(2) else { return };
    let client = DavClient::connect(bob.config()).expect("client");
    let url = format!("{}Contacts/personal/", principal(&bob));
    let slug = unique("card");
    let first = client
        .sync(SyncState::new(&url), CollectionKind::AddressBook)
        .await
        .expect("initial sync");
    let mut mirror = Mirror::new();
    apply(&mut mirror, &first.changes);
    let a = client
        .create_object(
            &url,
            &format!("{slug}-a.vcf"),
            &card(&format!("{slug}-a"), "Ann Example"),
        )
        .await
        .expect("PUT a card");
    client
        .create_object(
            &url,
            &format!("{slug}-b.vcf"),
            &card(&format!("{slug}-b"), "Ben Example"),
        )
        .await
        .expect("PUT a card");
    let second = client
        .sync(first.state.clone(), CollectionKind::AddressBook)
        .await
        .expect("incremental sync");
    assert_eq!(counts(&second.changes), (2, 0, 0), "{:?}", second.changes);
    apply(&mut mirror, &second.changes);
    let etag = mirror[&a.url].0.clone().expect("etag");
    client
        .delete_object(&a.url, &etag)
        .await
        .expect("delete with the right ETag");
    let third = client
        .sync(second.state.clone(), CollectionKind::AddressBook)
        .await
        .expect("incremental sync");
    assert_eq!(counts(&third.changes), (0, 0, 1), "{:?}", third.changes);
    apply(&mut mirror, &third.changes);
    assert_eq!(
        mirror,
        live_support::fresh_mirror(&client, &url, CollectionKind::AddressBook).await
    );
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn sogo_invitation_reaches_bob_and_free_busy_names_him() {
    let (Some(alice), Some(bob)) = (sogo(1), sogo(2)) else {
        return;
    };
    let a = DavClient::connect(alice.config()).expect("client");
    let uid = format!("{}@example.com", unique("meeting"));
    let start = "20300304T090000Z";
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//live test//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n\
         SUMMARY:Planning\r\nORGANIZER:mailto:{}\r\n\
         ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:{}\r\n\
         ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
        email(1),
        email(1),
        email(2)
    );
    a.create_object(
        &format!("{}Calendar/personal/", principal(&alice)),
        &format!("{}.ics", unique("m")),
        &ics,
    )
    .await
    .expect("create the meeting");

    // bob: SOGo put the invitation in his calendar; pending_invitations finds it there
    // (SOGo answers a query filtered on VCALENDAR alone with nothing: it is asked for events).
    let b = DavClient::connect(bob.config()).expect("client");
    let found = b.discover(Service::CalDav).await.expect("discover bob");
    let mine = found.scheduling.user_addresses.clone();
    let bobs_calendar = format!("{}Calendar/personal/", principal(&bob));
    let pending = b
        .pending_invitations(
            found.scheduling.inbox_url.as_deref(),
            std::slice::from_ref(&bobs_calendar),
            &mine,
            None,
        )
        .await
        .expect("pending invitations");
    assert!(pending.unreadable.is_empty(), "{:?}", pending.unreadable);
    assert!(
        pending.invitations.iter().any(|i| i.uid == uid),
        "{uid} not pending for bob: {:#?}",
        pending.invitations
    );

    // alice asks bob's free-busy through her outbox; SOGo names the recipient as the
    // element's text, not in a DAV:href, and davkit reads it. (SOGo 5.8 answers with no busy
    // period at all here, even for an event of bob's own the next day: measured by hand.)
    let outbox = a
        .discover(Service::CalDav)
        .await
        .expect("discover alice")
        .scheduling
        .outbox_url
        .expect("alice has an outbox");
    let rows = a
        .outbox_free_busy(
            &outbox,
            &FreeBusyRequest {
                organizer: format!("mailto:{}", email(1)),
                attendees: vec![
                    format!("mailto:{}", email(2)),
                    "mailto:nobody@example.org".into(),
                ],
                start: "20300304T000000Z".into(),
                end: "20300305T000000Z".into(),
                uid: unique("fb"),
                dtstamp: "20300101T000000Z".into(),
            },
        )
        .await
        .expect("outbox free-busy");
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(
        rows[0]
            .recipient
            .eq_ignore_ascii_case(&format!("mailto:{}", email(2)))
            && rows[0].ok,
        "{rows:#?}"
    );
    assert!(
        rows[1].recipient == "mailto:nobody@example.org"
            && !rows[1].ok
            && rows[1].request_status.starts_with("3.7"),
        "{rows:#?}"
    );
}
