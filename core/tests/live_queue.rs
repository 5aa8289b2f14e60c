//! Live tests of the offline write queue (issue 16) against real Radicale, Xandikos and Cyrus
//! servers on 127.0.0.1: two devices read the same event (and the same contact), both edit it offline
//! into their own `WriteQueue`, and flush one after the other, in either order, under every
//! policy. Nothing may be lost unless the policy says so, and every conflict is reported with
//! both versions.
//!
//! Ignored by a plain `cargo test`; run through `tests/servers/servers.py run` (which exports
//! `DAVKIT_RADICALE_URL`, `DAVKIT_XANDIKOS_URL`, ...) with `--features reqwest -- --ignored`,
//! like `core/tests/live.rs`. A missing Radicale or Xandikos variable is a failure, not a skip;
//! Cyrus is skipped where the rig left it out, unless `DAVKIT_REQUIRE_LIVE=1`.
//!
//! Radicale answers a PROPFIND after releasing its storage lock, so a collection deleted while
//! another test lists the home turns that listing into a 500 (see `core/tests/live.rs`): each
//! test here works in calendars and address books of its own, created once and never deleted
//! (the servers are throw-away), and the Radicale tests of this file run one at a time.

#![cfg(feature = "reqwest")]
#![allow(clippy::panic)] // test helpers report failures by panicking

mod live_support;

use live_support::unique;

use davkit::{
    CollectionProps, DavClient, DavObject, EntryState, OutcomeKind, Policy, ReqwestTransport,
    Resolution, Resolved, Service, WriteQueue,
};

type Client = DavClient<ReqwestTransport>;

static RADICALE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn radicale() -> Client {
    DavClient::connect(live_support::radicale().config()).expect("client")
}

fn xandikos() -> Client {
    DavClient::connect(live_support::xandikos().config()).expect("client")
}

/// Cyrus, or `None` when the rig left it out (`live_support::cyrus`).
fn cyrus() -> Option<Client> {
    live_support::cyrus(1).map(|alice| DavClient::connect(alice.config()).expect("client"))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Event,
    Contact,
}

/// The object both devices read, and each device's edit of it (different properties, so a
/// three-way merge keeps both; each edit bumps the modification stamp to its own time).
struct Versions {
    base: String,
    /// Device A's edit and the line that shows it.
    a: (String, &'static str),
    /// Device B's edit (made later: the newer one) and the line that shows it.
    b: (String, &'static str),
}

fn versions(kind: Kind, uid: &str) -> Versions {
    match kind {
        Kind::Event => {
            let ev = |stamp: &str, summary: &str, extra: &str| {
                format!(
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//live queue//EN\r\n\
                     BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
                     LAST-MODIFIED:{stamp}\r\nDTSTART:20260310T090000Z\r\nDURATION:PT1H\r\n\
                     SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
                )
            };
            Versions {
                base: ev("20260101T000000Z", "Planning", ""),
                a: (
                    ev("20260102T000000Z", "Planning (moved)", ""),
                    "SUMMARY:Planning (moved)",
                ),
                b: (
                    ev("20260103T000000Z", "Planning", "LOCATION:Room 4\r\n"),
                    "LOCATION:Room 4",
                ),
            }
        }
        Kind::Contact => {
            let card = |rev: &str, note: &str, extra: &str| {
                format!(
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Ada Lovelace\r\n\
                     N:Lovelace;Ada;;;\r\nNOTE:{note}\r\n{extra}REV:{rev}\r\nEND:VCARD\r\n"
                )
            };
            Versions {
                base: card("20260101T000000Z", "first note", ""),
                a: (
                    card("20260102T000000Z", "met at the conference", ""),
                    "NOTE:met at the conference",
                ),
                b: (
                    card("20260103T000000Z", "first note", "TITLE:Engineer\r\n"),
                    "TITLE:Engineer",
                ),
            }
        }
    }
}

/// A calendar and an address book of this test's own.
struct Home {
    calendar: String,
    book: String,
}

async fn home(client: &Client) -> Home {
    let found = client.discover(Service::Both).await.expect("discover");
    let cal_home = found.calendar_home_sets.first().expect("a calendar home");
    let card_home = found
        .addressbook_home_sets
        .first()
        .expect("an address book home");
    let props = |components: Vec<String>| CollectionProps {
        display_name: Some("davkit live queue".into()),
        components,
        ..CollectionProps::default()
    };
    let calendar = client
        .create_calendar(
            cal_home,
            &unique("live-queue"),
            props(vec!["VEVENT".into()]),
        )
        .await
        .expect("MKCALENDAR");
    let book = client
        .create_address_book(card_home, &unique("live-queue"), props(Vec::new()))
        .await
        .expect("MKCOL address book");
    Home {
        calendar: calendar.url,
        book: book.url,
    }
}

/// What one run left: the second flush's outcome and queue, and the object on the server.
struct Run {
    second: davkit::FlushResult,
    server: DavObject,
    versions: Versions,
    /// The device that flushed second is B.
    b_second: bool,
    url: String,
}

/// Creates the object, lets two devices (two clients, two queues) read it and edit it offline,
/// then flushes A then B (`a_first`) or B then A. The first flush must write cleanly.
async fn two_devices(
    device_a: &Client,
    device_b: &Client,
    home: &Home,
    kind: Kind,
    policy: Policy,
    a_first: bool,
) -> Run {
    let uid = unique("q");
    let v = versions(kind, &uid);
    let (collection, name) = match kind {
        Kind::Event => (&home.calendar, format!("{uid}.ics")),
        Kind::Contact => (&home.book, format!("{uid}.vcf")),
    };
    let created = device_a
        .create_object(collection, &name, &v.base)
        .await
        .expect("create");
    // Both devices read the same version.
    let read_a = device_a.get_object(&created.url).await.expect("read on A");
    let read_b = device_b.get_object(&created.url).await.expect("read on B");
    assert_eq!(read_a.etag, read_b.etag);
    let etag = read_a.etag.clone().expect("an ETag");
    // Offline: each device queues its edit, made on that version.
    let mut qa = WriteQueue::with_policy(policy);
    qa.enqueue_update(&created.url, &v.a.0, &etag, read_a.data.as_deref())
        .expect("queue on A");
    let mut qb = WriteQueue::with_policy(policy);
    qb.enqueue_update(&created.url, &v.b.0, &etag, read_b.data.as_deref())
        .expect("queue on B");
    // Back online: each stores `begin_flush`'s JSON, then flushes.
    let stored_a = qa.begin_flush();
    let stored_b = qb.begin_flush();
    assert!(WriteQueue::from_json(&stored_a).is_ok() && WriteQueue::from_json(&stored_b).is_ok());
    let ((first_client, first), (second_client, second)) = if a_first {
        ((device_a, qa), (device_b, qb))
    } else {
        ((device_b, qb), (device_a, qa))
    };
    let r1 = first_client.flush(first).await.expect("first flush");
    assert!(r1.stopped.is_none() && r1.queue.is_empty(), "{r1:?}");
    assert!(
        matches!(
            r1.outcomes[0].kind,
            OutcomeKind::Written {
                how: Resolved::Clean,
                ..
            }
        ),
        "first flush: {:?}",
        r1.outcomes
    );
    let r2 = second_client.flush(second).await.expect("second flush");
    assert!(r2.stopped.is_none(), "{r2:?}");
    assert_eq!(r2.outcomes.len(), 1, "{:?}", r2.outcomes);
    let server = device_a.get_object(&created.url).await.expect("read back");
    Run {
        second: r2,
        server,
        versions: v,
        b_second: a_first,
        url: created.url,
    }
}

fn has(obj: &DavObject, line: &str) -> bool {
    obj.data.as_deref().is_some_and(|d| d.contains(line))
}

/// Every policy, both orders, one kind of object; the assertions of issue 16.
async fn every_policy(device_a: &Client, device_b: &Client, home: &Home, kind: Kind) {
    for policy in [
        Policy::KeepBoth,
        Policy::ServerWins,
        Policy::LocalWins,
        Policy::NewestWins,
        Policy::Merge,
    ] {
        for a_first in [true, false] {
            let label = format!("{kind:?} {policy:?} a_first={a_first}");
            let run = two_devices(device_a, device_b, home, kind, policy, a_first).await;
            let (first_line, second_line) = if run.b_second {
                (run.versions.a.1, run.versions.b.1)
            } else {
                (run.versions.b.1, run.versions.a.1)
            };
            let second_data = if run.b_second {
                &run.versions.b.0
            } else {
                &run.versions.a.0
            };
            let outcome = &run.second.outcomes[0].kind;
            match policy {
                Policy::KeepBoth => {
                    // Both versions reported; the server keeps the first, the queue the second.
                    let OutcomeKind::Conflict {
                        local,
                        base,
                        server,
                        ..
                    } = outcome
                    else {
                        panic!("{label}: expected a conflict, got {outcome:?}");
                    };
                    assert_eq!(local.as_deref(), Some(second_data.as_str()), "{label}");
                    assert_eq!(base.as_deref().map(|b| b.contains("UID:")), Some(true));
                    let server = server.as_ref().expect("the server's version");
                    assert!(has(server, first_line), "{label}: {server:?}");
                    assert!(has(&run.server, first_line) && !has(&run.server, second_line));
                    let entry = &run.second.queue.entries()[0];
                    assert!(
                        matches!(entry.state, EntryState::Conflict { .. }),
                        "{label}"
                    );
                    // The app keeps its side: resolved, flushed again, written over the first.
                    let mut q = run.second.queue.clone();
                    q.resolve(entry.id, Resolution::KeepLocal).expect("resolve");
                    q.begin_flush();
                    let client = if run.b_second { device_b } else { device_a };
                    let r = client.flush(q).await.expect("flush the resolution");
                    assert!(r.queue.is_empty(), "{label}: {r:?}");
                    let now = device_a.get_object(&run.url).await.expect("read");
                    assert!(has(&now, second_line), "{label}: {now:?}");
                }
                Policy::ServerWins => {
                    // The dropped local change is reported, not lost silently.
                    let OutcomeKind::ServerKept { local, server, .. } = outcome else {
                        panic!("{label}: expected server kept, got {outcome:?}");
                    };
                    assert_eq!(local.as_deref(), Some(second_data.as_str()), "{label}");
                    assert!(server.as_ref().is_some_and(|s| has(s, first_line)));
                    assert!(has(&run.server, first_line) && !has(&run.server, second_line));
                    assert!(run.second.queue.is_empty());
                }
                Policy::LocalWins => {
                    assert!(
                        matches!(
                            outcome,
                            OutcomeKind::Written {
                                how: Resolved::LocalWins,
                                ..
                            }
                        ),
                        "{label}: {outcome:?}"
                    );
                    assert!(has(&run.server, second_line) && !has(&run.server, first_line));
                    assert!(run.second.queue.is_empty());
                }
                Policy::NewestWins => {
                    // B's edit is the newer one, whichever device flushes last.
                    let (b_line, a_line) = (run.versions.b.1, run.versions.a.1);
                    assert!(
                        has(&run.server, b_line) && !has(&run.server, a_line),
                        "{label}"
                    );
                    if run.b_second {
                        assert!(
                            matches!(
                                outcome,
                                OutcomeKind::Written {
                                    how: Resolved::LocalWins,
                                    ..
                                }
                            ),
                            "{label}: {outcome:?}"
                        );
                    } else {
                        let OutcomeKind::ServerKept { local, .. } = outcome else {
                            panic!("{label}: expected server kept, got {outcome:?}");
                        };
                        assert_eq!(local.as_deref(), Some(run.versions.a.0.as_str()));
                    }
                    assert!(run.second.queue.is_empty());
                }
                Policy::Merge => {
                    // Different properties changed: both edits are on the server.
                    assert!(
                        matches!(
                            outcome,
                            OutcomeKind::Written {
                                how: Resolved::Merged,
                                ..
                            }
                        ),
                        "{label}: {outcome:?}"
                    );
                    assert!(
                        has(&run.server, first_line) && has(&run.server, second_line),
                        "{label}: {:?}",
                        run.server.data
                    );
                    assert!(run.second.queue.is_empty());
                }
            }
            eprintln!("ok {label}");
        }
    }
}

/// One device deletes, the other edits, both offline: the edit flushed after the delete is a
/// conflict with the server's side gone (default policy), and nothing is recreated unasked.
async fn delete_against_edit(device_a: &Client, device_b: &Client, home: &Home) {
    let uid = unique("qd");
    let v = versions(Kind::Event, &uid);
    let created = device_a
        .create_object(&home.calendar, &format!("{uid}.ics"), &v.base)
        .await
        .expect("create");
    let read = device_b.get_object(&created.url).await.expect("read");
    let etag = read.etag.clone().expect("etag");
    let mut qa = WriteQueue::new();
    qa.enqueue_delete(&created.url, &etag, None)
        .expect("queue delete");
    let mut qb = WriteQueue::new();
    qb.enqueue_update(&created.url, &v.b.0, &etag, read.data.as_deref())
        .expect("queue edit");
    qa.begin_flush();
    qb.begin_flush();
    let r1 = device_a.flush(qa).await.expect("flush delete");
    assert!(
        matches!(
            r1.outcomes[0].kind,
            OutcomeKind::Deleted {
                already_gone: false,
                ..
            }
        ),
        "{r1:?}"
    );
    let r2 = device_b.flush(qb).await.expect("flush edit");
    let OutcomeKind::Conflict { local, server, .. } = &r2.outcomes[0].kind else {
        panic!("expected a conflict, got {:?}", r2.outcomes);
    };
    assert_eq!(local.as_deref(), Some(v.b.0.as_str()));
    assert!(server.is_none(), "the server's side is gone: {server:?}");
    assert_eq!(r2.queue.entries().len(), 1, "the edit stays queued");
    let gone = device_a.get_object(&created.url).await;
    assert_eq!(
        gone.err().map(|e| e.kind()),
        Some(davkit::ErrorKind::NotFound)
    );
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_two_devices_edit_the_same_event_offline() {
    let _one_at_a_time = RADICALE.lock().await;
    let (a, b) = (radicale(), radicale());
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Event).await;
    delete_against_edit(&a, &b, &home).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn radicale_two_devices_edit_the_same_contact_offline() {
    let _one_at_a_time = RADICALE.lock().await;
    let (a, b) = (radicale(), radicale());
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Contact).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_two_devices_edit_the_same_event_offline() {
    let (a, b) = (xandikos(), xandikos());
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Event).await;
    delete_against_edit(&a, &b, &home).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn xandikos_two_devices_edit_the_same_contact_offline() {
    let (a, b) = (xandikos(), xandikos());
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Contact).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_two_devices_edit_the_same_event_offline() {
    let (Some(a), Some(b)) = (cyrus(), cyrus()) else {
        return;
    };
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Event).await;
    delete_against_edit(&a, &b, &home).await;
}

#[tokio::test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
async fn cyrus_two_devices_edit_the_same_contact_offline() {
    let (Some(a), Some(b)) = (cyrus(), cyrus()) else {
        return;
    };
    let home = home(&a).await;
    every_policy(&a, &b, &home, Kind::Contact).await;
}
