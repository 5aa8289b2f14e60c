//! Batched sync (`sync_batch`) against the live servers: Radicale, Xandikos, DAViCal and Cyrus on
//! 127.0.0.1 (`tests/servers/servers.py`). Every batch runs in a new client from the state the
//! batch before stored as JSON, as an app killed after each batch would, and the mirror built
//! that way must equal a fresh one-shot sync of the collection, also when the collection
//! changes in the middle of a batched sync.
//!
//! Ignored by a plain `cargo test`; the README's test command runs them with `--ignored`. A
//! missing Radicale or Xandikos variable is a failure; DAViCal skips with a message when the
//! rig left it out, unless `DAVKIT_REQUIRE_LIVE=1`, and so does Cyrus.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod live_support;

use davkit::{CollectionKind, CollectionProps, Service};
use live_support::{
    Counted, Live, Mirror, batched_with_restarts, counts, event, fresh_mirror, unique,
};

/// Events in the calendar, and members per batch: 5 batches, the last one short.
const N: usize = 23;
const MAX: usize = 5;
/// Events changed before the second batched sync: 3 batches of it.
const CHANGED: usize = 12;

async fn batched_sync_resumes_after_every_batch(live: Live) {
    let transport = Counted::new();
    let client = live.counted(&transport);
    let found = client
        .discover(Service::CalDav)
        .await
        .unwrap_or_else(|e| panic!("{}: discover: {e}", live.name));
    let home = found
        .calendar_home_sets
        .first()
        .expect("a calendar home set")
        .clone();
    let slug = unique("live-batch");
    let url = client
        .create_calendar(
            &home,
            &slug,
            CollectionProps {
                display_name: Some("Batches".into()),
                components: vec!["VEVENT".into()],
                ..CollectionProps::default()
            },
        )
        .await
        .expect("MKCALENDAR")
        .url;
    let name = |i: usize| format!("{url}e{i:02}.ics");
    for i in 0..N {
        client
            .create_object(
                &url,
                &format!("e{i:02}.ics"),
                &event(
                    &format!("{slug}-{i}"),
                    &format!("Event {i}"),
                    "20260301T090000Z",
                ),
            )
            .await
            .expect("PUT");
    }
    transport.take();

    // The initial sync in batches: one sync-collection report, then one multiget per batch.
    let mut mirror = Mirror::new();
    let (state, batches) = batched_with_restarts(
        &live,
        &transport,
        &url,
        CollectionKind::Calendar,
        MAX,
        &mut mirror,
        None,
        |_, _| async {},
    )
    .await;
    let sent = transport.take();
    assert_eq!(batches, N.div_ceil(MAX), "{}: {sent:#?}", live.name);
    assert_eq!(sent.len(), 1 + N.div_ceil(MAX), "{}: {sent:#?}", live.name);
    assert_eq!(mirror.len(), N);
    assert_eq!(
        mirror,
        fresh_mirror(&client, &url, CollectionKind::Calendar).await,
        "{}",
        live.name
    );

    // Change some events, then sync in batches again from the stored state; after the first
    // batch, delete a member that is still pending, change one already delivered and add one.
    for i in 0..CHANGED {
        let etag = mirror[&name(i)].0.clone().expect("an ETag");
        client
            .update_object(
                &name(i),
                &event(
                    &format!("{slug}-{i}"),
                    &format!("Changed {i}"),
                    "20260302T090000Z",
                ),
                &etag,
            )
            .await
            .expect("update");
    }
    let touched = std::cell::RefCell::new(Vec::new());
    let (state, batches) = batched_with_restarts(
        &live,
        &transport,
        &url,
        CollectionKind::Calendar,
        MAX,
        &mut mirror,
        Some(state.to_json()),
        |n, state| {
            let client = &client;
            let url = &url;
            let slug = &slug;
            let touched = &touched;
            async move {
                if n != 1 {
                    return;
                }
                let pending = state
                    .pending
                    .iter()
                    .next()
                    .expect("members pending")
                    .clone();
                let (i, delivered) = (0..CHANGED)
                    .map(|i| (i, name(i)))
                    .find(|(_, u)| !state.pending.contains(u))
                    .expect("a changed member already delivered");
                let etag = client.get_object(&pending).await.expect("GET").etag;
                client
                    .delete_object(&pending, etag.as_deref().expect("an ETag"))
                    .await
                    .expect("delete a pending member");
                let etag = client.get_object(&delivered).await.expect("GET").etag;
                client
                    .update_object(
                        &delivered,
                        &event(&format!("{slug}-{i}"), "Changed again", "20260303T090000Z"),
                        etag.as_deref().expect("an ETag"),
                    )
                    .await
                    .expect("change a delivered member");
                let added = client
                    .create_object(
                        url,
                        "late.ics",
                        &event(&format!("{slug}-late"), "Late", "20260304T090000Z"),
                    )
                    .await
                    .expect("add a member");
                touched.borrow_mut().extend([pending, delivered, added.url]);
            }
        },
    )
    .await;
    assert_eq!(batches, CHANGED.div_ceil(MAX), "{}", live.name);
    let touched = touched.into_inner();
    assert_eq!(
        touched.len(),
        3,
        "{}: the collection was changed mid-sync",
        live.name
    );
    // The changes made during the batched sync come with the next one (a pending member that
    // was deleted meanwhile may already be gone from the mirror).
    let mut final_state = state;
    let (last, _) = batched_with_restarts(
        &live,
        &transport,
        &url,
        CollectionKind::Calendar,
        MAX,
        &mut mirror,
        Some(final_state.to_json()),
        |_, _| async {},
    )
    .await;
    final_state = last;
    assert!(final_state.pending.is_empty() && !final_state.more);
    let expected = fresh_mirror(&client, &url, CollectionKind::Calendar).await;
    assert_eq!(mirror, expected, "{}", live.name);
    assert_eq!(mirror.len(), N, "{}: one deleted, one added", live.name);
    assert!(!mirror.contains_key(&touched[0]));
    assert!(mirror[&touched[1]].1.contains("Changed again"));
    assert!(mirror.contains_key(&touched[2]));
    assert_eq!(final_state.etags.len(), N);

    // Nothing changed since: a batched sync finds nothing, in one request.
    transport.take();
    let client2 = live.counted(&transport);
    let r = client2
        .sync_batch(final_state, CollectionKind::Calendar, MAX)
        .await
        .expect("an empty sync");
    assert_eq!(
        counts(&r.changes),
        (0, 0, 0),
        "{}: {:?}",
        live.name,
        r.changes
    );
    assert!(!r.more);
    assert_eq!(transport.take().len(), 1, "{}", live.name);

    client
        .delete_collection(&url, None)
        .await
        .expect("delete the calendar");
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_batched_sync_resumes_after_every_batch() {
    batched_sync_resumes_after_every_batch(live_support::radicale()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_batched_sync_resumes_after_every_batch() {
    batched_sync_resumes_after_every_batch(live_support::xandikos()).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn davical_batched_sync_resumes_after_every_batch() {
    let Some(alice) = live_support::davical(1) else {
        return;
    };
    batched_sync_resumes_after_every_batch(alice).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_batched_sync_resumes_after_every_batch() {
    let Some(alice) = live_support::cyrus(1) else {
        return;
    };
    batched_sync_resumes_after_every_batch(alice).await;
}
