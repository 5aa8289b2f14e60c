//! Fuzzes the Google Calendar API path fed arbitrary answers: events.list sync (full and
//! incremental, paging, 410 resync, recurring series fetched whole by `iCalUID` and joined,
//! pending members by events.get) and the writes (insert, patch, delete). Under any finite run
//! of answers each operation finishes with a result or a typed error and never panics; every
//! state a sync returns is for the calendar's events URL and survives a JSON round trip, so it
//! can be stored and resumed; a change names an event of that calendar by the API's own URL
//! (or a URL the stored state held); no member is both delivered and kept pending.
//! Up to three syncs run in a row, each from the state the one before returned.
//!
//! Input: see `common/exchange.rs`. The configuration keys read here: `url` (the API's base
//! by default), `credentials`, `limits`, `parallel`; `calendar` (the calendar id,
//! `alice@example.com` by default); `state`, the stored state as JSON (a fresh one when absent
//! or refused); `single-events` (`true` expands series); `max-results`; `op`, one of
//! `gcal-insert`, `gcal-patch`, `gcal-delete` to run that write before syncing.
#![no_main]

#[path = "common/exchange.rs"]
mod exchange;

use davkit::gcal::{API_BASE, EventsQuery, event_url};
use davkit::{Change, SyncState};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let input = exchange::Input::parse(data);
    let input = input.with_default("url", API_BASE);
    let Some(session) = input.session() else {
        return;
    };
    let calendar = input
        .get("calendar")
        .unwrap_or("alice@example.com")
        .to_owned();
    let mut answers = input.answers.iter();

    if let Some(op) = input.get("op") {
        let event = json!({"summary": "fuzz", "start": {"dateTime": "2026-03-01T09:00:00Z"},
            "end": {"dateTime": "2026-03-01T10:00:00Z"}});
        let write = match op {
            "gcal-insert" => session.gcal_insert(&calendar, &event),
            "gcal-patch" => session.gcal_patch(&calendar, "e1", &event, "\"1\""),
            "gcal-delete" => session.gcal_delete(&calendar, "e1", "\"1\""),
            _ => return,
        };
        if let Ok(done) = exchange::drive(&session, write, &mut answers) {
            assert!(url::Url::parse(&done.url).is_ok(), "write URL {}", done.url);
        }
    }

    let query = EventsQuery {
        single_events: input.get("single-events").map(|v| v == "true"),
        max_results: input.number("max-results").map(|n| n as u32),
        ..EventsQuery::default()
    };
    let mut state = input
        .get("state")
        .and_then(|json| serde_json::from_str::<SyncState>(json).ok())
        .unwrap_or_else(|| SyncState::new(""));
    for _ in 0..3 {
        let op = session.gcal_sync(&calendar, query.clone(), state.clone());
        let Ok(result) = exchange::drive(&session, op, &mut answers) else {
            return;
        };
        let events_url = result.state.collection_url.clone();
        assert!(
            events_url.ends_with("/events"),
            "the state's URL is no events URL: {events_url}"
        );
        if !state.collection_url.is_empty() {
            // A stored state of another calendar is refused, never answered for (the same
            // calendar's URL may be spelt another way: a host's case, an escape).
            assert_eq!(
                davkit::href::normalize(&events_url),
                davkit::href::normalize(&state.collection_url),
                "a state of another calendar"
            );
        }
        exchange::check_state(&result.state, &events_url);
        for change in &result.changes {
            let stored =
                state.etags.contains_key(change.url()) || state.pending.contains(change.url());
            // Events are named by the API's own URLs (`event_url`), whatever server the
            // session talks to.
            assert!(
                stored || change.url().starts_with(&event_url(&calendar, "")),
                "change URL {} is no event of {calendar}",
                change.url()
            );
            if !matches!(change, Change::Deleted { .. }) {
                assert!(
                    !result.state.pending.contains(change.url()),
                    "{} delivered and kept pending",
                    change.url()
                );
            }
        }
        state = result.state;
    }
});
