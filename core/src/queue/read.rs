//! [`WriteQueue::from_json`]: a stored queue read by hand from a JSON value
//! ([`crate::json_read`] says why and what is accepted), checked (format, size, entry ids).

use crate::json_read::Json;

use super::{Entry, EntryOp, EntryState, MAX_ENTRIES, Policy, QUEUE_FORMAT, WriteQueue, too_many};
use crate::error::{Error, ErrorKind, Result};
use crate::json_read::{self, Fields, Read};
use crate::model::DavObject;

/// [`Policy`]'s variants as serialised, in their order.
const POLICIES: [&str; 5] = [
    "keep-both",
    "server-wins",
    "local-wins",
    "newest-wins",
    "merge",
];

/// What the errors say is being read.
const WHAT: &str = "write queue";

fn bad(message: String) -> Error {
    json_read::invalid(WHAT, &message)
}

/// Reads and checks a stored queue: a format newer than this build is refused before its
/// entries are read, more than [`MAX_ENTRIES`] entries before they are.
pub(super) fn from_json(json: &str) -> Result<WriteQueue> {
    let value = json_read::parse(json, WHAT)?;
    let f = Fields::of("", &value, "a write queue object").map_err(bad)?;
    let format = f.u32("format").map_err(bad)?;
    if format == 0 || format > QUEUE_FORMAT {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "write queue format {format} is not supported (this build reads {QUEUE_FORMAT})"
            ),
        ));
    }
    let policy = match f.get("policy") {
        None => Policy::default(),
        Some(v) => policy(&f.path("policy"), v).map_err(bad)?,
    };
    let next_id = f.uint_or("next_id", 1, u64::MAX, "u64").map_err(bad)?;
    let entries = match f.get("entries") {
        None => Vec::new(),
        Some(Json::Array(items)) if items.len() > MAX_ENTRIES => return Err(too_many()),
        Some(Json::Array(items)) => {
            // A loop, not a `collect` into a `Result` (its own `Vec` code in the wasm modules).
            let mut entries = Vec::new();
            for (i, v) in items.iter().enumerate() {
                entries.push(entry(&format!("entries[{i}]"), v).map_err(bad)?);
            }
            entries
        }
        Some(v) => return Err(bad(json_read::wrong_type("entries", v, "a sequence"))),
    };
    // Sorted, a repeated id is next to itself (a vector: no set code for one check).
    let mut ids = Vec::new();
    for e in &entries {
        ids.push(e.id);
    }
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) || ids.last().is_some_and(|&id| id >= next_id) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the write queue has duplicate or out-of-range entry ids",
        ));
    }
    Ok(WriteQueue {
        format,
        policy,
        next_id,
        entries,
        url_keys: Default::default(),
    })
}

fn policy(at: &str, v: &Json) -> Read<Policy> {
    Ok(match json_read::variant(at, v, &POLICIES)? {
        0 => Policy::KeepBoth,
        1 => Policy::ServerWins,
        2 => Policy::LocalWins,
        3 => Policy::NewestWins,
        _ => Policy::Merge,
    })
}

fn entry(at: &str, v: &Json) -> Read<Entry> {
    let f = Fields::of(at, v, "an entry object")?;
    Ok(Entry {
        id: f.u64("id")?,
        rev: f.u64("rev")?,
        collection_url: f.string("collection_url")?,
        url: f.string("url")?,
        op: op(&f.path("op"), f.required("op")?)?,
        base_etag: f.opt_string("base_etag")?,
        base_data: f.opt_string("base_data")?,
        policy: f
            .present("policy")
            .map(|v| policy(&f.path("policy"), v))
            .transpose()?,
        runs: u32::try_from(f.uint_or("runs", 0, u32::MAX.into(), "u32")?).unwrap_or(u32::MAX),
        sent: f.strings("sent")?,
        state: match f.get("state") {
            None => EntryState::Pending,
            Some(v) => state(&f.path("state"), v)?,
        },
        moved_from: f.opt_string("moved_from")?,
        read_once: f.opt_string("read_once")?,
    })
}

/// [`EntryOp`], tagged by `type` (other fields of `delete` are ignored, as serde's derive does).
fn op(at: &str, v: &Json) -> Read<EntryOp> {
    let f = Fields::of(at, v, "an operation object")?;
    Ok(match f.tag("type", &["create", "update", "delete"])? {
        0 => EntryOp::Create {
            data: f.string("data")?,
        },
        1 => EntryOp::Update {
            data: f.string("data")?,
        },
        _ => EntryOp::Delete,
    })
}

/// [`EntryState`], tagged by `state`.
fn state(at: &str, v: &Json) -> Read<EntryState> {
    let f = Fields::of(at, v, "an entry state object")?;
    Ok(match f.tag("state", &["pending", "conflict", "failed"])? {
        0 => EntryState::Pending,
        1 => EntryState::Conflict {
            server: f
                .present("server")
                .map(|v| object(&f.path("server"), v))
                .transpose()?,
            reason: f.string("reason")?,
        },
        _ => EntryState::Failed {
            error: Error::read_json(&f.path("error"), f.required("error")?)?,
        },
    })
}

fn object(at: &str, v: &Json) -> Read<DavObject> {
    let f = Fields::of(at, v, "an object")?;
    Ok(DavObject {
        url: f.string("url")?,
        etag: f.opt_string("etag")?,
        data: f.opt_string("data")?,
        json: f.opt_string("json")?,
    })
}
