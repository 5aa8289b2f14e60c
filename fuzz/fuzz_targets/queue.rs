//! Fuzzes the offline write queue: its stored JSON (`WriteQueue::from_json`), the steps an app
//! takes on it (enqueues, policies, `begin_flush`, a crash back to what `begin_flush` stored,
//! resolutions, `split_changes`), and flushes fed arbitrary answers. Under any finite run of
//! answers a flush finishes with a result or a typed error and never panics; every queue the
//! steps leave survives a JSON round trip (what the app stores reads back as the same queue);
//! a flush reports each entry at most once, only entries it was given, and the queue it
//! returns holds no entry it reported finished unchanged.
//!
//! Input: see `common/exchange.rs`. The configuration keys read here: `url`, `profile`,
//! `credentials`, `limits`, `parallel`; `policy` (a policy name); `queue`, a stored queue as
//! JSON; `steps`, a JSON array of steps as in `tests/queue-vectors/` (a `flush` step takes its
//! answers from the records that follow the configuration, in order).
#![no_main]

#[path = "common/exchange.rs"]
mod exchange;

use std::collections::BTreeSet;

use davkit::queue::{Policy, Resolution, WriteQueue};
use davkit::{Change, OutcomeKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// More steps than any vector has; a longer script adds nothing a shorter one could not.
const MAX_STEPS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let input = exchange::Input::parse(data);
    let Some(session) = input.session() else {
        return;
    };
    let policy = |v: Value| serde_json::from_value::<Policy>(v).ok();
    let mut q = input
        .get("policy")
        .and_then(|p| policy(Value::String(p.to_owned())))
        .map_or_else(WriteQueue::default, WriteQueue::with_policy);
    if let Some(stored) = input.get("queue")
        && let Ok(read) = WriteQueue::from_json(stored)
    {
        q = read;
    }
    round_trip(&q);
    let steps: Vec<Value> = input
        .get("steps")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut stored = q.to_json();
    let mut answers = input.answers.iter();
    for st in steps.iter().take(MAX_STEPS) {
        let s = |k: &str| st.get(k).and_then(Value::as_str).unwrap_or_default();
        let opt = |k: &str| st.get(k).and_then(Value::as_str);
        let id = st.get("id").and_then(Value::as_u64).unwrap_or(0);
        match s("op") {
            "enqueue_create" => {
                let _ = q.enqueue_create(s("collection_url"), s("name"), s("data"));
            }
            "enqueue_update" => {
                let _ = q.enqueue_update(s("url"), s("data"), s("base_etag"), opt("base_data"));
            }
            "enqueue_delete" => {
                let _ = q.enqueue_delete(s("url"), s("base_etag"), opt("base_data"));
            }
            "set_policy" => {
                if let Some(p) = st.get("policy").cloned().and_then(policy) {
                    q.policy = p;
                }
            }
            "set_entry_policy" => {
                let p = st.get("policy").cloned().and_then(policy);
                let _ = q.set_entry_policy(id, p);
            }
            "resolve" => {
                if let Some(r) = st
                    .get("resolution")
                    .cloned()
                    .and_then(|v| serde_json::from_value::<Resolution>(v).ok())
                {
                    let _ = q.resolve(id, r);
                }
            }
            "begin_flush" => stored = q.begin_flush(),
            "crash" => {
                q = WriteQueue::from_json(&stored).expect("what begin_flush stored reads back");
            }
            "split_changes" => {
                let changes: Vec<Change> = st
                    .get("changes")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default();
                let _ = q.split_changes(changes);
            }
            "flush" => {
                let given: BTreeSet<u64> = q.entries().iter().map(|e| e.id).collect();
                let Ok(result) = exchange::drive(&session, session.flush(q.clone()), &mut answers)
                else {
                    continue;
                };
                let mut reported = BTreeSet::new();
                for o in &result.outcomes {
                    assert!(
                        given.contains(&o.id),
                        "an outcome for entry {} not given",
                        o.id
                    );
                    assert!(reported.insert(o.id), "entry {} reported twice", o.id);
                    let finished = !matches!(
                        o.kind,
                        OutcomeKind::Conflict { .. } | OutcomeKind::Failed { .. }
                    );
                    if finished {
                        // Finished and not edited meanwhile (nothing edits it here): gone.
                        assert!(
                            result.queue.entry(o.id).is_none_or(|e| e.rev != o.rev),
                            "entry {} reported finished but still queued",
                            o.id
                        );
                    }
                }
                q = result.queue;
            }
            _ => {}
        }
        round_trip(&q);
    }
});

/// What the app stores reads back as the same queue.
fn round_trip(q: &WriteQueue) {
    let json = q.to_json();
    let again = WriteQueue::from_json(&json).expect("a queue's JSON reads back");
    assert_eq!(again.to_json(), json, "queue JSON round trip");
}
