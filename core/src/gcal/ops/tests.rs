//! Unit tests of the Calendar API operations: they run against scripted answers.

use super::*;
use crate::auth::Credentials;
use crate::gcal::events::event_url;
use crate::http::{HttpRequest, HttpResponse};
use crate::model::{Change, SyncState};
use crate::op::{Operation, Poll};
use crate::session::Config;

fn session() -> Session {
    let config = Config::new(crate::gcal::API_BASE, Credentials::bearer("t"));
    Session::new(config).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs an operation against `server`; returns its result and the requests it made.
fn run<O: Operation>(
    mut op: O,
    mut server: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (Result<O::Output>, Vec<String>) {
    let mut urls = Vec::new();
    loop {
        match op.poll() {
            Poll::Send(request) => {
                urls.push(request.url.clone());
                let response = server(&request);
                op.handle_response(request.id, response);
            }
            Poll::Wait => panic!("the operation waits with nothing in flight"),
            Poll::Done(result) => return (result, urls),
        }
    }
}

fn json(status: u16, value: &Value) -> HttpResponse {
    HttpResponse::new(status, value.to_string())
}

/// The last page of an events listing: these items and the next sync token, `s2`.
fn last_page(items: Value) -> HttpResponse {
    json(
        200,
        &serde_json::json!({"items": items, "nextSyncToken": "s2"}),
    )
}

fn event(id: &str, etag: &str) -> Value {
    serde_json::json!({
        "id": id, "etag": etag, "status": "confirmed", "summary": id,
        "start": {"dateTime": "2026-01-05T09:00:00Z"}, "end": {"dateTime": "2026-01-05T10:00:00Z"}
    })
}

fn url(id: &str) -> String {
    event_url("cal", id)
}

/// A weekly series of four with its second instance moved and its third cancelled, as
/// Google lists them with `singleEvents=false` (server-profiles §5.1).
fn weekly_series() -> Vec<Value> {
    let ny = |t: &str| serde_json::json!({"dateTime": t, "timeZone": "America/New_York"});
    vec![
        serde_json::json!({"id": "s1", "etag": "\"1\"", "status": "confirmed",
            "iCalUID": "s1@google.com", "summary": "Weekly",
            "start": ny("2026-03-02T09:00:00-05:00"), "end": ny("2026-03-02T09:30:00-05:00"),
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]}),
        serde_json::json!({"id": "s1_20260309T130000Z", "etag": "\"2\"", "status": "confirmed",
            "iCalUID": "s1@google.com", "recurringEventId": "s1", "summary": "Weekly (moved)",
            "originalStartTime": ny("2026-03-09T09:00:00-04:00"),
            "start": ny("2026-03-10T11:00:00-04:00"), "end": ny("2026-03-10T11:30:00-04:00")}),
        serde_json::json!({"id": "s1_20260316T130000Z", "etag": "\"3\"", "status": "cancelled",
            "recurringEventId": "s1", "originalStartTime": ny("2026-03-16T09:00:00-04:00")}),
    ]
}

#[test]
fn a_joined_series_expands_as_google_shows_its_instances() {
    let items = weekly_series();
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), SyncState::new("")),
        |_| {
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "s"}),
            )
        },
    );
    assert_eq!(
        urls.len(),
        1,
        "a full listing has every instance: no other request"
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(result.changes.len(), 1, "one object for the series");
    let Change::Added(obj) = &result.changes[0] else {
        panic!("not an addition: {:?}", result.changes[0]);
    };
    assert_eq!(obj.url, url("s1"));
    let cal = crate::icalendar::Calendar::parse(obj.data.as_deref().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let ts = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let expansion = cal
        .expand(
            (ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z")),
            &crate::icalendar::ExpandOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    let starts: Vec<String> = expansion
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    // Google's instances: the first and fourth where the rule puts them, the second once,
    // at its new time (Tuesday 11:00 EDT), the cancelled third not at all.
    assert_eq!(
        starts,
        [
            "2026-03-02T14:00:00Z",
            "2026-03-10T15:00:00Z",
            "2026-03-23T13:00:00Z"
        ]
    );
    assert!(expansion.occurrences[1].is_override);
    assert!(!expansion.truncated);
    // The instance ids stay with their overrides and in the JSON, to write to one instance.
    let data = obj.data.as_deref().unwrap_or_default();
    assert!(data.contains("X-DAVKIT-GCAL-ID:s1_20260309T130000Z"));
    let json: Value =
        serde_json::from_str(obj.json.as_deref().unwrap_or("{}")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["davkitExceptions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn instances_without_their_series() {
    // A full listing with a moved and a cancelled instance whose series is not listed (an
    // instance shared alone, a deleted series): the moved one stays an object of its own,
    // the cancelled one shows nothing.
    let items: Vec<Value> = weekly_series().into_iter().skip(1).collect();
    let (result, _) = run(
        session().gcal_sync("cal", EventsQuery::default(), SyncState::new("")),
        |_| {
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "s"}),
            )
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let urls: Vec<String> = result
        .changes
        .iter()
        .map(|c| match c {
            Change::Added(o) | Change::Changed(o) => o.url.clone(),
            Change::Deleted { url } => format!("deleted {url}"),
        })
        .collect();
    assert_eq!(urls, [url("s1_20260309T130000Z")]);
}

#[test]
fn single_events_keeps_instances_apart() {
    let items = weekly_series();
    let query = EventsQuery {
        single_events: Some(true),
        ..EventsQuery::default()
    };
    let (result, _) = run(
        session().gcal_sync("cal", query, SyncState::new("")),
        |_| {
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "s"}),
            )
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let added: Vec<&str> = result.changes.iter().map(Change::url).collect();
    // With singleEvents each item is an object; a cancelled instance is none (Google leaves
    // it out of a full listing anyway).
    assert_eq!(
        added,
        [url("s1").as_str(), url("s1_20260309T130000Z").as_str()]
    );
}

#[test]
fn a_series_that_cannot_be_fetched_stays_pending() {
    let moved = weekly_series().swap_remove(1);
    let mut state = SyncState::new("");
    state.sync_token = Some("t".into());
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.contains("iCalUID") {
                HttpResponse::new(500, "oops")
            } else {
                json(
                    200,
                    &serde_json::json!({"items": [moved], "nextSyncToken": "t2"}),
                )
            }
        },
    );
    assert_eq!(urls.len(), 2);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(result.changes.is_empty());
    assert_eq!(result.problems.len(), 1);
    // The series and the instance that came, which the next sync fetches again (were the
    // master absent, the instance would be an object of its own).
    let pending: Vec<&String> = result.state.pending.iter().collect();
    assert_eq!(pending, [&url("s1"), &url("s1_20260309T130000Z")]);
}

#[test]
fn a_failed_sync_hands_back_its_state_unchanged() {
    // DavClient runs a failed sync again from the state the operation hands back.
    let mut state = SyncState::new("");
    state.sync_token = Some("t".into());
    state.etags.insert(url("known"), "\"0\"".into());
    state.pending.insert(url("owed"));
    let mut op = session().gcal_sync("cal", EventsQuery::default(), state.clone());
    let (result, _) = run(&mut op, |_| HttpResponse::new(503, "busy"));
    assert!(result.is_err());
    assert_eq!(op.into_state(), state);
}

#[test]
fn calendar_list_paging_is_bounded() {
    let mut n = 0;
    let (result, urls) = run(session().gcal_calendars(), |_| {
        n += 1;
        json(
            200,
            &serde_json::json!({"items": [], "nextPageToken": format!("t{n}")}),
        )
    });
    let e = result.err().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert!(e.message().contains("10000 pages"), "{e}");
    assert_eq!(urls.len(), MAX_PAGES);
}

#[test]
fn events_paging_is_bounded() {
    let mut n = 0;
    let state = SyncState::new("");
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |_| {
            n += 1;
            json(
                200,
                &serde_json::json!({"items": [], "nextPageToken": format!("t{n}")}),
            )
        },
    );
    assert_eq!(
        result.err().map(|e| e.kind()),
        Some(ErrorKind::LimitExceeded)
    );
    assert_eq!(urls.len(), MAX_PAGES);
}

#[test]
fn a_resync_after_410_starts_a_new_listing() {
    // The abandoned incremental listing and the full one both use `p2`: not a loop.
    let mut state = SyncState::new("");
    state.sync_token = Some("old".into());
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            let body = match (r.url.contains("syncToken"), r.url.contains("pageToken=p2")) {
                (true, false) => serde_json::json!({"items": [], "nextPageToken": "p2"}),
                (true, true) => {
                    return json(
                        410,
                        &serde_json::json!({"error": {"errors": [{"reason": "fullSyncRequired"}], "code": 410}}),
                    );
                }
                (false, false) => {
                    serde_json::json!({"items": [event("a", "\"1\"")], "nextPageToken": "p2"})
                }
                (false, true) => serde_json::json!({"items": [], "nextSyncToken": "new"}),
            };
            json(200, &body)
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(result.token_was_reset);
    assert_eq!(result.state.sync_token.as_deref(), Some("new"));
    assert_eq!(urls.len(), 4);
}

#[test]
fn unreadable_events_are_problems_not_failures() {
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    state.etags.insert(url("known"), "\"0\"".into());
    let page = serde_json::json!({
        "items": [
            event("good", "\"1\""),
            {"id": 42, "summary": "an id of the wrong type"},
            "not an object",
            {"id": "badtime", "etag": "\"2\"", "start": {"dateTime": "yesterday"}},
            {"id": "known", "etag": "\"3\"", "updated": "soon"},
            {"id": "types", "etag": "\"4\"", "summary": 7, "start": "2026-01-01",
             "attendees": {"email": "x"}, "recurrence": "RRULE:FREQ=DAILY"}
        ],
        "nextSyncToken": "s2"
    });
    let (result, _) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |_| json(200, &page),
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let changed: Vec<&str> = result.changes.iter().map(Change::url).collect();
    // Fields of the wrong type are ignored, as absent ones are.
    assert_eq!(changed, [url("good").as_str(), url("types").as_str()]);
    let problems: Vec<(&str, ErrorKind)> = result
        .problems
        .iter()
        .map(|p| (p.url.as_str(), p.kind))
        .collect();
    let events = "https://www.googleapis.com/calendar/v3/calendars/cal/events";
    assert_eq!(
        problems,
        [
            // the two items without a (string) id: one problem that counts them
            (events, ErrorKind::Protocol),
            (url("badtime").as_str(), ErrorKind::Protocol),
            (url("known").as_str(), ErrorKind::Protocol),
        ]
    );
    assert!(
        result.problems[0]
            .message
            .contains("2 events without an id"),
        "{}",
        result.problems[0].message
    );
    // The state advances; the unreadable known event keeps the version the app has.
    assert_eq!(result.state.sync_token.as_deref(), Some("s2"));
    assert_eq!(
        result.state.etags.get(&url("known")).map(String::as_str),
        Some("\"0\"")
    );
    assert!(!result.state.etags.contains_key(&url("badtime")));
    assert!(
        result.state.pending.is_empty(),
        "re-fetching would not help"
    );
}

/// A pending member whose events.get is answered 200 with something that is not an event (a
/// login proxy's page, a body cut short) was not read: it stays pending, so the next sync asks
/// for it again, and its stored ETag stays. Not delivered, it must not be taken for settled.
#[test]
fn a_pending_member_answered_with_a_page_stays_pending() {
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    state.etags.insert(url("page"), "\"1\"".into());
    state.pending.insert(url("page"));
    state.pending.insert(url("cut"));
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.contains("syncToken") {
                return last_page(serde_json::json!([]));
            }
            match r.url.rsplit('/').next() {
                Some("page") => {
                    let mut page = HttpResponse::new(200, "<!DOCTYPE html><html>Sign in</html>");
                    page.headers
                        .push(("Content-Type".into(), "text/html".into()));
                    page
                }
                _ => HttpResponse::new(200, "{\"id\": \"cut\", \"etag\": \"\\\"2"),
            }
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        urls.len(),
        3,
        "the listing and a GET for each pending member"
    );
    assert!(result.changes.is_empty(), "{:?}", result.changes);
    assert_eq!(result.problems.len(), 2, "{:?}", result.problems);
    assert_eq!(
        result.state.pending.iter().collect::<Vec<_>>(),
        [&url("cut"), &url("page")]
    );
    assert_eq!(
        result.state.etags.get(&url("page")).map(String::as_str),
        Some("\"1\"")
    );
    assert_eq!(result.state.sync_token.as_deref(), Some("s2"));
}

/// One events.get answered 404 is no deletion: the event is asked for once more, and only a
/// second 404 or 410 says it is gone. A proxy's or gateway's one wrong answer would otherwise
/// delete a live event the app does not hear of again until it changes. Found by the
/// simulation's false 404 (`GFault::False404`): 246 of 40,000 histories reported a live event
/// deleted.
#[test]
fn a_pending_member_answered_404_once_is_asked_again() {
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    for id in ["back", "later", "gone"] {
        state.etags.insert(url(id), "\"1\"".into());
        state.pending.insert(url(id));
    }
    let asked = std::cell::RefCell::new(Vec::<String>::new());
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.contains("syncToken") {
                return last_page(serde_json::json!([]));
            }
            let id = r.url.rsplit('/').next().unwrap_or_default().to_owned();
            let first = !asked.borrow().contains(&id);
            asked.borrow_mut().push(id.clone());
            match (id.as_str(), first) {
                (_, true) | ("gone", false) => {
                    json(404, &serde_json::json!({"error": {"code": 404}}))
                }
                ("back", false) => json(200, &event("back", "\"2\"")),
                _ => HttpResponse::new(503, "later"),
            }
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        urls.len(),
        7,
        "the listing and two events.get for each: {urls:?}"
    );
    let mut changes = described(&result.changes);
    changes.sort();
    assert_eq!(
        changes,
        [
            format!("changed {}", url("back")),
            format!("deleted {}", url("gone"))
        ]
    );
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert_eq!(result.problems[0].status, Some(503));
    assert_eq!(
        result.state.pending.iter().collect::<Vec<_>>(),
        [&url("later")]
    );
    assert_eq!(
        result.state.etags.get(&url("later")).map(String::as_str),
        Some("\"1\"")
    );
}

#[test]
fn pending_members_are_fetched_again() {
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    for id in ["listed", "fine", "gone", "down"] {
        state.pending.insert(url(id));
    }
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state.clone()),
        |r| {
            if r.url.contains("syncToken") {
                return last_page(serde_json::json!([event("listed", "\"1\"")]));
            }
            match r.url.rsplit('/').next() {
                Some("fine") => json(200, &event("fine", "\"2\"")),
                Some("gone") => json(404, &serde_json::json!({"error": {"code": 404}})),
                _ => HttpResponse::new(503, "later"),
            }
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        urls.len(),
        5,
        "one listing, and a GET for each unlisted member (two for the one answered 404)"
    );
    assert_eq!(result.changes.len(), 3);
    assert!(
        result
            .changes
            .iter()
            .any(|c| matches!(c, Change::Deleted { url: u } if *u == url("gone")))
    );
    assert_eq!(result.problems.len(), 1);
    assert_eq!(result.problems[0].status, Some(503));
    assert_eq!(
        result.state.pending.iter().collect::<Vec<_>>(),
        [&url("down")]
    );
    assert_eq!(result.state.sync_token.as_deref(), Some("s2"));
    // A 401 fails the whole sync instead (the client refreshes its token and runs it again).
    let (result, _) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.contains("syncToken") {
                last_page(serde_json::json!([]))
            } else {
                HttpResponse::new(401, "")
            }
        },
    );
    assert_eq!(
        result.err().map(|e| e.kind()),
        Some(ErrorKind::Unauthorized)
    );
}

#[test]
fn a_full_listing_settles_pending_members() {
    let mut state = SyncState::new("");
    state.pending.insert(url("here"));
    state.pending.insert(url("absent"));
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |_| {
            json(
                200,
                &serde_json::json!({"items": [event("here", "\"1\"")], "nextSyncToken": "s1"}),
            )
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(urls.len(), 1);
    assert!(
        matches!(&result.changes[..], [Change::Added(h), Change::Deleted { url: a }]
        if *a == url("absent") && h.url == url("here"))
    );
    assert!(result.state.pending.is_empty());
}

#[test]
fn sync_token_restrictions() {
    let q = EventsQuery {
        time_min: Some("2026-01-01T00:00:00Z".into()),
        show_deleted: Some(false),
        ..EventsQuery::default()
    };
    let e = q.check(true).err();
    assert_eq!(e.as_ref().map(Error::kind), Some(ErrorKind::InvalidInput));
    assert!(e.is_some_and(|e| e.message().contains("timeMin, showDeleted=false")));
    assert!(q.check(false).is_ok());
    let ordered = EventsQuery {
        order_by: Some("startTime".into()),
        ..EventsQuery::default()
    };
    assert!(ordered.check(false).is_err());
    let single = EventsQuery {
        single_events: Some(true),
        max_results: Some(2500),
        ..EventsQuery::default()
    };
    assert!(single.check(true).is_ok());
    assert!(
        EventsQuery {
            max_results: Some(0),
            ..EventsQuery::default()
        }
        .check(false)
        .is_err()
    );
}

/// A session pointed at a proxy (or a test double) fetches pending members there too, with
/// its credentials, not around it at Google's own URL; the members keep their canonical URLs.
#[test]
fn pending_members_are_fetched_through_the_sessions_server() {
    let config = Config::new(
        "https://proxy.example.com/calendar/v3/",
        Credentials::bearer("t"),
    );
    let proxy = Session::new(config).unwrap_or_else(|e| panic!("{e}"));
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    state.pending.insert(url("e 1"));
    let (result, urls) = run(proxy.gcal_sync("cal", EventsQuery::default(), state), |r| {
        if r.url.contains("syncToken") {
            last_page(serde_json::json!([]))
        } else {
            json(200, &event("e 1", "\"2\""))
        }
    });
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        urls,
        [
            "https://proxy.example.com/calendar/v3/calendars/cal/events?syncToken=s1",
            "https://proxy.example.com/calendar/v3/calendars/cal/events/e%201",
        ]
    );
    assert!(
        matches!(&result.changes[..], [Change::Added(o)] if o.url == url("e 1")),
        "{:?}",
        result.changes
    );
    assert!(result.state.pending.is_empty());
}

/// A state that holds an event's URL under another spelling (the host's case, the default
/// port): the event's cancellation is delivered and its ETag leaves the state; a changed
/// event is a change, not an addition beside a stale entry.
#[test]
fn a_stored_url_under_another_spelling_is_the_same_event() {
    let other = |id: &str| url(id).replacen("www.googleapis.com", "WWW.googleapis.com:443", 1);
    assert_ne!(other("a"), url("a"));
    let mut state = SyncState::new("");
    state.sync_token = Some("s1".into());
    state.etags.insert(other("gone"), "\"1\"".into());
    state.etags.insert(other("kept"), "\"1\"".into());
    let (result, _) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |_| {
            let mut cancelled = event("gone", "\"2\"");
            cancelled["status"] = "cancelled".into();
            last_page(serde_json::json!([cancelled, event("kept", "\"2\"")]))
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&result.changes[..], [Change::Deleted { url: g }, Change::Changed(k)]
            if *g == url("gone") && k.url == url("kept")),
        "{:?}",
        result.changes
    );
    let stored: Vec<&String> = result.state.etags.keys().collect();
    assert_eq!(stored, [&url("kept")]);
}

/// events.delete or events.patch of an event deleted meanwhile, answered 410 without a body: the
/// event is gone (`NotFound`), not a sync token to replace.
#[test]
fn a_write_answered_410_without_reason_is_not_found() {
    let delete = session().gcal_delete("cal", "e1", "\"1\"");
    let (result, _) = run(delete, |_| HttpResponse::new(410, ""));
    let e = result.err().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.status(), Some(410));
    let patch = session().gcal_patch("cal", "e1", &serde_json::json!({"summary": "x"}), "\"1\"");
    let (result, _) = run(patch, |_| HttpResponse::new(410, ""));
    assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::NotFound));
}

/// A 410 without a reason to the listing with a sync token can only be the token: the sync
/// starts again without it, and the stored events the full listing lacks are deleted.
#[test]
fn a_sync_token_answered_410_without_reason_restarts_the_sync() {
    let mut state = SyncState::new("");
    state.sync_token = Some("old".into());
    state.etags.insert(url("kept"), "\"1\"".into());
    state.etags.insert(url("gone"), "\"1\"".into());
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.contains("syncToken") {
                HttpResponse::new(410, "")
            } else {
                json(
                    200,
                    &serde_json::json!({"items": [event("kept", "\"1\"")], "nextSyncToken": "new"}),
                )
            }
        },
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(urls.len(), 2);
    assert!(result.token_was_reset);
    assert!(
        matches!(&result.changes[..], [Change::Deleted { url: g }] if *g == url("gone")),
        "{:?}",
        result.changes
    );
    assert_eq!(result.state.sync_token.as_deref(), Some("new"));
}

/// With `singleEvents`, an instance cancelled since the last sync is a deletion, as a full
/// listing (which leaves it out) would say; one the state never had is not reported.
#[test]
fn single_events_a_cancelled_instance_is_deleted() {
    let query = EventsQuery {
        single_events: Some(true),
        ..EventsQuery::default()
    };
    let cancelled = |id: &str, day: u32| {
        serde_json::json!({"id": id, "etag": "\"2\"", "status": "cancelled",
            "recurringEventId": "s1",
            "originalStartTime": {"dateTime": format!("2026-03-{day}T13:00:00Z")}})
    };
    let mut state = SyncState::new("");
    state.sync_token = Some("t1".into());
    state
        .etags
        .insert(url("s1_20260316T130000Z"), "\"1\"".into());
    state
        .etags
        .insert(url("s1_20260330T130000Z"), "\"1\"".into());
    state.pending.insert(url("s1_20260330T130000Z"));
    let items = [
        cancelled("s1_20260316T130000Z", 16),
        cancelled("s1_20260323T130000Z", 23),
    ];
    let (result, urls) = run(session().gcal_sync("cal", query, state), |r| {
        if r.url.contains("syncToken") {
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "t2"}),
            )
        } else {
            // The pending instance, fetched again: cancelled meanwhile.
            json(200, &cancelled("s1_20260330T130000Z", 30))
        }
    });
    assert_eq!(urls.len(), 2);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let deleted: Vec<&str> = result
        .changes
        .iter()
        .map(|c| match c {
            Change::Deleted { url } => url.as_str(),
            other => panic!("not a deletion: {other:?}"),
        })
        .collect();
    assert_eq!(
        deleted,
        [
            url("s1_20260316T130000Z").as_str(),
            url("s1_20260330T130000Z").as_str()
        ]
    );
    assert!(result.state.etags.is_empty(), "{:?}", result.state.etags);
    assert!(result.state.pending.is_empty());
}

/// A series listing (events.list by iCalUID) whose server sends back the page token it was
/// asked with stops at once, as the main listing does: a problem of that series, kept
/// pending, while the rest of the sync is delivered. One that never ends stops at
/// `Limits::max_sync_pages`.
#[test]
fn a_series_listing_that_repeats_its_page_token_stops_at_once() {
    let master = weekly_series().swap_remove(0);
    let mut state = SyncState::new("");
    state.sync_token = Some("t1".into());
    let server = |repeat: bool| {
        let master = master.clone();
        let mut n = 0;
        move |r: &HttpRequest| {
            if r.url.contains("iCalUID") {
                n += 1;
                let token = if repeat {
                    "same".to_owned()
                } else {
                    format!("p{n}")
                };
                json(
                    200,
                    &serde_json::json!({"items": [master], "nextPageToken": token}),
                )
            } else {
                json(
                    200,
                    &serde_json::json!({"items": [master, event("single", "\"1\"")],
                        "nextSyncToken": "t2"}),
                )
            }
        }
    };
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state.clone()),
        server(true),
    );
    assert_eq!(
        urls.len(),
        3,
        "the listing, the series' first page and the page whose token repeats"
    );
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&result.changes[..], [Change::Added(o)] if o.url == url("single")),
        "{:?}",
        result.changes
    );
    assert_eq!(result.problems.len(), 1);
    assert_eq!(result.problems[0].url, url("s1"));
    assert_eq!(result.problems[0].kind, ErrorKind::Protocol);
    assert!(
        result.problems[0]
            .message
            .contains("repeated the page token")
    );
    assert!(result.state.pending.contains(&url("s1")));
    assert_eq!(result.state.sync_token.as_deref(), Some("t2"));
    // Ever new tokens: bounded by the session's max_sync_pages.
    let mut config = Config::new(crate::gcal::API_BASE, Credentials::bearer("t"));
    config.limits.max_sync_pages = 5;
    let limited = Session::new(config).unwrap_or_else(|e| panic!("{e}"));
    let (result, urls) = run(
        limited.gcal_sync("cal", EventsQuery::default(), state),
        server(false),
    );
    assert_eq!(urls.len(), 1 + 5);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(result.problems.len(), 1);
    assert_eq!(result.problems[0].kind, ErrorKind::LimitExceeded);
    assert!(result.state.pending.contains(&url("s1")));
}

/// An instance of a series, as Google lists it (`recurringEventId`, the series' UID).
fn instance(id: &str, etag: &str, summary: &str) -> Value {
    serde_json::json!({"id": id, "etag": etag, "status": "confirmed",
        "iCalUID": "m1@google.com", "recurringEventId": "m1", "summary": summary,
        "originalStartTime": {"dateTime": "2026-03-09T13:00:00Z"},
        "start": {"dateTime": "2026-03-09T13:00:00Z"}, "end": {"dateTime": "2026-03-09T14:00:00Z"}})
}

/// The changes of a sync as `added/changed/deleted <url>`, in order.
fn described(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Change::Added(o) => format!("added {}", o.url),
            Change::Changed(o) => format!("changed {}", o.url),
            Change::Deleted { url } => format!("deleted {url}"),
        })
        .collect()
}

/// An instance shared without its series (its master is not in the user's calendar) is an
/// object of its own; the incremental sync that brings its next edit lists the series by
/// iCalUID, finds no master there, and delivers the edit as a change: an absent master is
/// not a deleted series. Another instance of it the state has stays, untouched.
#[test]
fn an_instance_shared_without_its_series_stays_after_an_edit() {
    let (full, _) = run(
        session().gcal_sync("cal", EventsQuery::default(), SyncState::new("")),
        |_| {
            json(
                200,
                &serde_json::json!({"items": [instance("m1_a", "\"1\"", "one"),
                    instance("m1_b", "\"1\"", "other")], "nextSyncToken": "t1"}),
            )
        },
    );
    let full = full.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        described(&full.changes),
        [
            format!("added {}", url("m1_a")),
            format!("added {}", url("m1_b"))
        ]
    );
    let edited = instance("m1_a", "\"2\"", "two");
    let (inc, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), full.state),
        |r| {
            // The calendar holds of that UID the two instances only.
            let items = if r.url.contains("iCalUID") {
                serde_json::json!([edited, instance("m1_b", "\"1\"", "other")])
            } else {
                serde_json::json!([edited])
            };
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "t2"}),
            )
        },
    );
    assert_eq!(urls.len(), 2, "the listing and the series by iCalUID");
    let inc = inc.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        described(&inc.changes),
        [format!("changed {}", url("m1_a"))]
    );
    let Change::Changed(obj) = &inc.changes[0] else {
        unreachable!()
    };
    assert!(
        obj.data
            .as_deref()
            .unwrap_or_default()
            .contains("SUMMARY:two")
    );
    assert!(inc.problems.is_empty());
    let stored: Vec<(&String, &String)> = inc.state.etags.iter().collect();
    assert_eq!(
        stored,
        [
            (&url("m1_a"), &"\"2\"".to_owned()),
            (&url("m1_b"), &"\"1\"".to_owned())
        ]
    );
}

/// A series whose master leaves the calendar without a deletion (not listed by its iCalUID,
/// while one of its instances is): the series' object an older sync delivered is deleted, and
/// every live instance the calendar still has is delivered as an object of its own, so
/// nothing the user can see is lost; a cancelled one shows nothing.
#[test]
fn a_series_whose_master_is_absent_leaves_its_instances() {
    let mut state = SyncState::new("");
    state.sync_token = Some("t1".into());
    state
        .etags
        .insert(url("m1"), "W/\"davkit-series-1\"".into());
    let mut cancelled = instance("m1_c", "\"3\"", "");
    cancelled["status"] = "cancelled".into();
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            let items = if r.url.contains("iCalUID") {
                serde_json::json!([
                    instance("m1_a", "\"2\"", "two"),
                    instance("m1_b", "\"1\"", "other"),
                    cancelled
                ])
            } else {
                serde_json::json!([instance("m1_a", "\"2\"", "two")])
            };
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "t2"}),
            )
        },
    );
    assert_eq!(urls.len(), 2);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let mut changes = described(&result.changes);
    changes.sort();
    assert_eq!(
        changes,
        [
            format!("added {}", url("m1_a")),
            format!("added {}", url("m1_b")),
            format!("deleted {}", url("m1")),
        ]
    );
    let stored: Vec<&String> = result.state.etags.keys().collect();
    assert_eq!(stored, [&url("m1_a"), &url("m1_b")]);
}

/// A master that events.get answers 404 (the instances carry no UID to list the series by) is
/// absent: the live instance stays an object of its own, the cancelled one goes. A master
/// events.get answers cancelled is a deleted series: its instances go with it.
#[test]
fn a_master_fetched_absent_keeps_its_instances_a_cancelled_one_takes_them() {
    for (master_answer, kept) in [
        (
            json(404, &serde_json::json!({"error": {"code": 404}})),
            true,
        ),
        (
            json(
                200,
                &serde_json::json!({"id": "m1", "etag": "\"9\"", "status": "cancelled"}),
            ),
            false,
        ),
    ] {
        let mut state = SyncState::new("");
        state.sync_token = Some("t1".into());
        state.etags.insert(url("m1_a"), "\"1\"".into());
        state.etags.insert(url("m1_c"), "\"1\"".into());
        let mut live = instance("m1_a", "\"2\"", "two");
        live.as_object_mut().map(|o| o.remove("iCalUID"));
        let mut cancelled = instance("m1_c", "\"2\"", "");
        cancelled["status"] = "cancelled".into();
        cancelled.as_object_mut().map(|o| o.remove("iCalUID"));
        let (result, urls) = run(
            session().gcal_sync("cal", EventsQuery::default(), state),
            |r| {
                if r.url.ends_with("/events/m1") {
                    HttpResponse::new(master_answer.status, master_answer.body.clone())
                } else {
                    json(
                        200,
                        &serde_json::json!({"items": [live, cancelled], "nextSyncToken": "t2"}),
                    )
                }
            },
        );
        // (a 404 is asked twice before it counts)
        let gets = if kept { 2 } else { 1 };
        assert_eq!(
            urls.len(),
            1 + gets,
            "the listing and events.get of the master"
        );
        let result = result.unwrap_or_else(|e| panic!("{e}"));
        let expected = if kept {
            [
                format!("changed {}", url("m1_a")),
                format!("deleted {}", url("m1_c")),
            ]
        } else {
            [
                format!("deleted {}", url("m1_a")),
                format!("deleted {}", url("m1_c")),
            ]
        };
        assert_eq!(described(&result.changes), expected, "kept: {kept}");
    }
}

/// A series deleted since the last sync (its master cancelled in the listing) takes its
/// instances with it, a live one the state had as an object of its own included; nothing
/// more is fetched.
#[test]
fn a_deleted_series_takes_its_instances() {
    let mut state = SyncState::new("");
    state.sync_token = Some("t1".into());
    state.etags.insert(url("m1_a"), "\"1\"".into());
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |_| {
            json(
                200,
                &serde_json::json!({"items": [
                    {"id": "m1", "etag": "\"9\"", "status": "cancelled"},
                    instance("m1_a", "\"2\"", "two")], "nextSyncToken": "t2"}),
            )
        },
    );
    assert_eq!(urls.len(), 1);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        described(&result.changes),
        [format!("deleted {}", url("m1_a"))]
    );
    assert!(result.state.etags.is_empty());
}

/// The series' object the app had marked pending, whose master events.get now answers 404,
/// while an instance of it is listed: the series is still listed by iCalUID, so its live
/// instances come as objects of their own and the series' object goes.
#[test]
fn a_pending_master_answered_404_still_delivers_its_instances() {
    let mut state = SyncState::new("");
    state.sync_token = Some("t1".into());
    state
        .etags
        .insert(url("m1"), "W/\"davkit-series-1\"".into());
    state.pending.insert(url("m1"));
    let (result, urls) = run(
        session().gcal_sync("cal", EventsQuery::default(), state),
        |r| {
            if r.url.ends_with("/events/m1") {
                return json(404, &serde_json::json!({"error": {"code": 404}}));
            }
            let items = if r.url.contains("iCalUID") {
                serde_json::json!([
                    instance("m1_a", "\"2\"", "two"),
                    instance("m1_b", "\"1\"", "b")
                ])
            } else {
                serde_json::json!([instance("m1_a", "\"2\"", "two")])
            };
            json(
                200,
                &serde_json::json!({"items": items, "nextSyncToken": "t2"}),
            )
        },
    );
    // the listing, the master's events.get twice (its 404 asked again), the series by UID
    assert_eq!(urls.len(), 4);
    let result = result.unwrap_or_else(|e| panic!("{e}"));
    let mut changes = described(&result.changes);
    changes.sort();
    assert_eq!(
        changes,
        [
            format!("added {}", url("m1_a")),
            format!("added {}", url("m1_b")),
            format!("deleted {}", url("m1")),
        ]
    );
    assert!(result.state.pending.is_empty());
}
