//! The hand readers against the derived `Deserialize` they replace: the same answer (value or
//! refusal) for stored states and queues of every shape, each field removed, replaced by a
//! value of every JSON type, or joined by an unknown one, and for the text cut or with a byte
//! removed.

use serde_json::{Value, json};

use super::mutate;
use crate::error::ErrorKind;
use crate::model::SyncState;
use crate::queue::{QUEUE_FORMAT, WriteQueue};

/// States as versions of davkit wrote them: the interop vectors (read by every binding), the
/// newest fields, the least a state can be.
fn states() -> Vec<String> {
    vec![
        include_str!("../../../tests/vectors/interop/sync-state-before.txt")
            .trim()
            .to_owned(),
        include_str!("../../../tests/vectors/interop/sync-state-after.txt")
            .trim()
            .to_owned(),
        json!({"collection_url": "https://h/cal/", "sync_token": null, "ctag": "c1",
               "etags": {"https://h/cal/a.ics": "\"1\""},
               "pending": ["https://h/cal/b.ics", "https://h/cal/c.ics"], "more": true})
        .to_string(),
        r#"{"collection_url":""}"#.to_owned(),
    ]
}

/// Queues with an entry of each operation and state (as `to_json` writes them, plus older
/// texts without the fields added since).
fn queues() -> Vec<String> {
    let full = json!({"format": 1, "policy": "merge", "next_id": 6, "entries": [
        {"id": 1, "rev": 2, "collection_url": "https://h/cal/", "url": "https://h/cal/a.ics",
         "op": {"type": "create", "data": "BEGIN:VCALENDAR"}, "base_etag": null, "runs": 1,
         "sent": ["BEGIN:VCALENDAR"], "state": {"state": "pending"}},
        {"id": 2, "rev": 1, "collection_url": "https://h/cal/", "url": "https://h/cal/b.ics",
         "op": {"type": "update", "data": "U"}, "base_etag": "\"1\"", "base_data": "B",
         "policy": "local-wins", "runs": 0,
         "state": {"state": "conflict", "server": {"url": "https://h/cal/b.ics",
                   "etag": "\"2\"", "data": "S", "json": "{}"}, "reason": "changed"}},
        {"id": 3, "rev": 1, "collection_url": "https://h/cal/", "url": "https://h/cal/c.ics",
         "op": {"type": "delete"}, "base_etag": "\"1\"", "runs": 0,
         "state": {"state": "failed", "error": {"kind": "Forbidden", "message": "no",
                   "status": 403, "url": "https://h/cal/c.ics", "body_excerpt": null,
                   "retry_after": null}}},
        {"id": 5, "rev": 1, "collection_url": "https://h/cal/", "url": "https://h/cal/d.ics",
         "op": {"type": "update", "data": "D"}, "base_etag": "\"4\"", "runs": 2,
         "sent": ["C", "D"], "policy": "newest-wins",
         "state": {"state": "conflict", "server": null, "reason": "gone"}}
    ]});
    vec![
        full.to_string(),
        r#"{"format":1}"#.to_owned(),
        r#"{"format":1,"policy":"keep-both","next_id":2,"entries":[{"id":1,"rev":1,"collection_url":"u","url":"u/a","op":{"type":"delete"}}]}"#.to_owned(),
        WriteQueue::with_policy(crate::queue::Policy::ServerWins).to_json(),
    ]
}

/// The answer before the hand reader: the derived `Deserialize`, then the same checks.
fn derived_queue(text: &str) -> Option<WriteQueue> {
    let queue: WriteQueue = serde_json::from_str(text).ok()?;
    let v: Value = serde_json::from_str(text).ok()?;
    let next_id = v.get("next_id").and_then(Value::as_u64).unwrap_or(1);
    let mut ids = std::collections::HashSet::new();
    let ids_ok = queue
        .entries()
        .iter()
        .all(|e| ids.insert(e.id) && e.id < next_id);
    (queue.format != 0 && queue.format <= QUEUE_FORMAT && ids_ok).then_some(queue)
}

/// Values of every JSON type ([`mutate::of_every_type`]), and names and numbers the readers
/// know, to put in place of a field.
fn replacements() -> Vec<Value> {
    let mut out = mutate::of_every_type();
    out.extend([
        json!(1),
        json!(70000),
        json!(5_000_000_000u64),
        json!("keep-both"),
        json!("create"),
        json!("delete"),
        json!("conflict"),
        json!("failed"),
        json!("pending"),
        json!("Http"),
        json!(["a"]),
        json!([1]),
        json!({"k": "v"}),
        json!({"type": "delete"}),
        json!({"state": "pending"}),
        json!({"keep-both": null}),
    ]);
    out
}

/// Every variant of `text`: each value replaced, each field removed, an unknown field added
/// to each object, and at the text level each cut and each byte removed.
fn variants(text: &str) -> Vec<String> {
    let root: Value = serde_json::from_str(text).expect("a seed is JSON");
    let mut at = Vec::new();
    mutate::pointers(&root, String::new(), usize::MAX, &mut at);
    let mut out = Vec::new();
    for p in &at {
        for r in replacements() {
            out.push(mutate::replaced(&root, p, r).to_string());
        }
        let unknown = json!([1.5, {"a": null}]);
        out.extend(mutate::with_field(&root, p, "unknown_field", unknown).map(|v| v.to_string()));
        out.extend(mutate::without(&root, p).map(|v| v.to_string()));
    }
    out.extend(mutate::cuts(text));
    out
}

/// The spellings the derive took that no version wrote (a struct as an array, a variant as a
/// map), which the hand readers refuse.
fn never_written(text: &str) -> bool {
    text.starts_with('[') || text.contains(r#"{"keep-both":null}"#)
}

#[test]
fn states_read_as_the_derive_read_them() {
    let mut read = 0;
    let mut refused = 0;
    let mut other_spellings = 0;
    for (i, seed) in states().into_iter().enumerate() {
        let state = SyncState::from_json(&seed).expect("a stored state reads");
        assert_eq!(Some(&state), serde_json::from_str(&seed).ok().as_ref());
        if i < 2 {
            // The interop vectors, as to_json wrote them.
            assert_eq!(state.to_json(), seed, "written back byte for byte");
        }
        for text in variants(&seed) {
            let derived = serde_json::from_str::<SyncState>(&text).ok();
            if derived.is_some() && never_written(&text) {
                assert!(SyncState::from_json(&text).is_err(), "{text}");
                other_spellings += 1;
                continue;
            }
            match SyncState::from_json(&text) {
                Ok(state) => {
                    assert_eq!(Some(&state), derived.as_ref(), "{text}");
                    read += 1;
                }
                Err(e) => {
                    assert_eq!(derived, None, "{text}: {e}");
                    assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    assert!(e.message().starts_with("not a davkit sync state: "));
                    refused += 1;
                }
            }
        }
    }
    assert!(
        read > 100 && refused > 1000,
        "{read} read, {refused} refused"
    );
    assert!(other_spellings > 0);
}

#[test]
fn queues_read_as_the_derive_read_them() {
    let mut read = 0;
    let mut refused = 0;
    let mut other_spellings = 0;
    for seed in queues() {
        let queue = WriteQueue::from_json(&seed).expect("a stored queue reads");
        assert_eq!(derived_queue(&seed).as_ref(), Some(&queue));
        let back = WriteQueue::from_json(&queue.to_json()).expect("its own text reads");
        assert_eq!(back, queue);
        for text in variants(&seed) {
            let derived = derived_queue(&text);
            if derived.is_some() && never_written(&text) {
                assert!(WriteQueue::from_json(&text).is_err(), "{text}");
                other_spellings += 1;
                continue;
            }
            match WriteQueue::from_json(&text) {
                Ok(queue) => {
                    assert_eq!(Some(&queue), derived.as_ref(), "{text}");
                    read += 1;
                }
                Err(e) => {
                    assert_eq!(derived, None, "{text}: {e}");
                    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{text}: {e}");
                    refused += 1;
                }
            }
        }
    }
    assert!(
        read > 500 && refused > 3000,
        "{read} read, {refused} refused"
    );
    assert!(other_spellings > 0);
}

#[test]
fn messages_name_the_field() {
    let message = |text: &str| {
        WriteQueue::from_json(text)
            .err()
            .map(|e| e.message().to_owned())
    };
    assert_eq!(
        message(r#"{"format":1,"next_id":2,"entries":[{"id":1,"rev":1,"collection_url":"u","url":"u/a","op":{"type":"create","data":null}}]}"#).as_deref(),
        Some("not a davkit write queue: `entries[0].op.data`: invalid type: null, expected a string")
    );
    assert_eq!(
        message(r#"{"format":1,"entries":[{"id":1}]}"#).as_deref(),
        Some("not a davkit write queue: `entries[0]`: missing field `rev`")
    );
    assert_eq!(
        message(r#"{"format":1,"policy":"mine"}"#).as_deref(),
        Some(
            "not a davkit write queue: `policy`: unknown variant `mine`, expected one of `keep-both`, `server-wins`, `local-wins`, `newest-wins`, `merge`"
        )
    );
    assert_eq!(
        message(r#"{"format":1.5}"#).as_deref(),
        Some("not a davkit write queue: `format`: invalid type: floating point, expected u32")
    );
    assert_eq!(
        message(r#"{"format":2,"entries":"unread"}"#).as_deref(),
        Some("write queue format 2 is not supported (this build reads 1)")
    );
    let state = |text: &str| {
        SyncState::from_json(text)
            .err()
            .map(|e| e.message().to_owned())
    };
    assert_eq!(
        state(r#"{"collection_url":"u","etags":{"a":1}}"#).as_deref(),
        Some("not a davkit sync state: `etags`: invalid type: integer `1`, expected a string")
    );
    assert_eq!(
        state("[]").as_deref(),
        Some("not a davkit sync state: invalid type: sequence, expected a sync state object")
    );
    assert_eq!(
        state("{").as_deref(),
        Some("not a davkit sync state: EOF while parsing an object at byte 1")
    );
}

#[test]
fn too_many_entries_is_a_limit() {
    let entries: Vec<Value> = (0..=crate::queue::MAX_ENTRIES).map(|_| json!(0)).collect();
    let text = json!({"format": 1, "entries": entries}).to_string();
    let e = WriteQueue::from_json(&text).err().map(|e| e.kind());
    assert_eq!(e, Some(ErrorKind::LimitExceeded));
}

#[test]
fn spellings_no_version_wrote_are_refused() {
    // The derive took a struct as an array and a unit variant as a map.
    assert!(serde_json::from_str::<SyncState>(r#"["u"]"#).is_ok());
    assert!(SyncState::from_json(r#"["u"]"#).is_err());
    assert!(serde_json::from_str::<WriteQueue>(r#"{"format":1,"policy":{"merge":null}}"#).is_ok());
    assert!(WriteQueue::from_json(r#"{"format":1,"policy":{"merge":null}}"#).is_err());
    // A key given twice: serde refused it, the value read takes the last (as JSON.parse).
    let twice = r#"{"collection_url":"a","collection_url":"b"}"#;
    assert!(serde_json::from_str::<SyncState>(twice).is_err());
    assert_eq!(
        SyncState::from_json(twice)
            .map(|s| s.collection_url)
            .ok()
            .as_deref(),
        Some("b")
    );
}
