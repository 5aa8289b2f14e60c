//! Fuzzes the sync state machine (RFC 6578 sync-collection with 507 paging, the ctag and ETag
//! listing fallback, multiget and GET fetches) and the object writes, fed arbitrary answers:
//! under any finite run of answers each operation finishes with a result or a typed error,
//! never panics, sends credentials only where they may go, and every state it returns is for
//! the same collection and survives a JSON round trip, so it can be stored and resumed.
//! Up to three syncs run in a row, each from the state the one before returned.
//!
//! Input: see `common/exchange.rs`. The configuration keys read here: `url`, `profile`,
//! `credentials`, `limits`, `page-limit`, `multiget`, `parallel`; `kind` (`calendar`,
//! `addressbook`, `other`); `state`, the stored state as JSON (a fresh state for `url` when
//! absent or refused); `batch`, a `sync_batch` size; `op`, one of `create`, `update`,
//! `delete`, `post` to run that write of a small object before syncing.
#![no_main]

#[path = "common/exchange.rs"]
mod exchange;

use davkit::{Change, CollectionKind, SyncState};
use libfuzzer_sys::fuzz_target;

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\n\
UID:fuzz-1\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250101T100000Z\r\nSUMMARY:fuzz\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

fuzz_target!(|data: &[u8]| {
    let input = exchange::Input::parse(data);
    let Some(session) = input.session() else {
        return;
    };
    let collection = format!("{}calendars/alice/work/", session.server_url());
    let mut answers = input.answers.iter();

    if let Some(op) = input.get("op") {
        let member = format!("{collection}fuzz-1.ics");
        let write = match op {
            "create" => session.create_object(&collection, "fuzz-1.ics", EVENT),
            "update" => session.update_object(&member, EVENT, "\"1\""),
            "delete" => session.delete_object(&member, "\"1\""),
            "post" => session.post_object(&collection, EVENT),
            _ => return,
        };
        if let Ok(done) = exchange::drive(&session, write, &mut answers) {
            assert!(url::Url::parse(&done.url).is_ok(), "write URL {}", done.url);
        }
    }

    let kind = match input.get("kind") {
        Some("addressbook") => CollectionKind::AddressBook,
        Some("other") => CollectionKind::Other,
        _ => CollectionKind::Calendar,
    };
    let mut state = input
        .get("state")
        .and_then(|json| serde_json::from_str::<SyncState>(json).ok())
        .unwrap_or_else(|| SyncState::new(collection));
    let batch = input.number("batch").map(|n| n as usize);
    for _ in 0..3 {
        let op = match batch {
            Some(n) => session.sync_batch(state.clone(), kind, n),
            None => session.sync(state.clone(), kind),
        };
        let Ok(result) = exchange::drive(&session, op, &mut answers) else {
            return;
        };
        exchange::check_state(&result.state, &state.collection_url);
        for change in &result.changes {
            // A deletion names the member as the stored state held it, whatever that was.
            let stored =
                state.etags.contains_key(change.url()) || state.pending.contains(change.url());
            assert!(
                stored || url::Url::parse(change.url()).is_ok(),
                "change URL {}",
                change.url()
            );
        }
        if let Some(n) = batch {
            let fetched = result
                .changes
                .iter()
                .filter(|c| !matches!(c, Change::Deleted { .. }))
                .count();
            assert!(
                fetched <= n.max(1),
                "{fetched} members fetched in a batch of {n}"
            );
        } else {
            assert!(!result.more, "a one-shot sync left more");
        }
        state = result.state;
    }
});
