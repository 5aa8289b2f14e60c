//! The sync state has one format, the core's: `tests/vectors/interop/` holds a state written by
//! Rust and the state a sync from it writes, byte for byte. This test checks that the Rust core
//! writes exactly those bytes (through the mobile `DavClient`, replaying the recorded exchanges
//! of `tests/vectors/sync/pending-member-fetched-next-time.json`); the Python and Kotlin suites
//! read the same files and must write the same bytes. `DAVKIT_WRITE_INTEROP=1` rewrites the
//! two files from what Rust writes (then review the diff).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

mod common;
use common::{Replay, block_on};

use std::path::{Path, PathBuf};

use davkit_mobile::{CollectionKind, DavClient};
use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Compares what Rust wrote with the file, or rewrites the file under DAVKIT_WRITE_INTEROP=1.
fn check(path: &Path, written: &str) {
    if std::env::var_os("DAVKIT_WRITE_INTEROP").is_some() {
        std::fs::write(path, written).unwrap();
    }
    assert_eq!(written, read(path), "{}", path.display());
}

#[test]
fn rust_writes_the_interop_states_byte_for_byte() {
    let dir = vectors().join("interop");
    let case: Value = serde_json::from_str(&read(
        &vectors().join("sync/pending-member-fetched-next-time.json"),
    ))
    .unwrap();

    // The state the vector starts from, as the core writes it.
    let state = davkit::SyncState::from_json(&case["operation"]["state"].to_string()).unwrap();
    check(&dir.join("sync-state-before.txt"), &state.to_json());
    let before = read(&dir.join("sync-state-before.txt"));
    assert_eq!(
        davkit::SyncState::from_json(&before).unwrap().to_json(),
        before
    );

    // A sync resumed from those bytes writes the second file's bytes.
    let replay = Replay::new(case["exchanges"].as_array().unwrap().clone());
    let client =
        DavClient::new(common::config(&case["config"]), replay.clone(), None, None).unwrap();
    let collection = state.collection_url.clone();
    let result = block_on(client.sync(
        collection.clone(),
        CollectionKind::Calendar,
        Some(before.clone()),
    ))
    .unwrap();
    check(&dir.join("sync-state-after.txt"), &result.state_json);
    assert_eq!(replay.problems(), Vec::<String>::new());

    // Another collection's state is refused, not synced.
    let other = block_on(client.sync(
        "http://127.0.0.1:5232/alice/home/".into(),
        CollectionKind::Calendar,
        Some(before),
    ))
    .unwrap_err();
    assert_eq!(other.kind_name(), "InvalidInput");
}
