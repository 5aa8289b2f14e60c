//! The records whose shape differs from the core's on purpose, and the core's plain data types
//! the API uses as they are. Nothing here decides anything about DAV: fields are copied.
//!
//! The core's records and enums (`Collection`, `DavObject`, `Discovery`, `SyncMethod`, ...)
//! derive their uniffi types in the core (its `uniffi` feature, namespace `davkit_core`), so
//! they are not repeated here. What stays here differs on purpose:
//! - [`DavConfig`]: the credentials as an opaque object (printing never shows a secret), every
//!   setting optional, the profile by name;
//! - [`Limits`]: every field optional (`null` keeps the core's default), `u64` where the core
//!   has `usize` (uniffi has no `usize`);
//! - [`Change`]: named `object` fields where the core has tuple variants (which Kotlin and
//!   Swift would show as `v1`);
//! - [`SyncResult`] and [`MemberProblem`]: the state as opaque JSON text (`state_json`), the
//!   problem's kind as the name `DavError.kind()` gives.

use std::sync::Arc;

pub use davkit::{
    CalendarFilter, Collection, CollectionKind, CollectionProps, DavObject, Discovery,
    MultigetResult, RetryPolicy, Scheduling, Service, SyncMethod, TimeRange, WriteResult,
};

use crate::error::DavError;
use crate::http::Credentials;

/// The client's configuration. Only `server_url` and `credentials` are required. Printing it
/// (`toString`, `repr`, `description`) shows the credentials redacted.
#[derive(Clone, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct DavConfig {
    /// Where to start: a server root, a principal or a collection URL.
    pub server_url: String,
    /// The credentials: an opaque object (`Credentials.basic(...)`), so that printing the
    /// configuration never shows the password or token.
    pub credentials: Arc<Credentials>,
    /// The `User-Agent` header; `null` for davkit's own.
    #[uniffi(default)]
    pub user_agent: Option<String>,
    /// The provider profile: `generic`, `icloud`, `google-caldav`, `google-carddav`,
    /// `google-calendar-api`, `sogo`; `null` picks one from the server URL.
    #[uniffi(default)]
    pub profile: Option<String>,
    /// How many hrefs one multiget REPORT asks for at most (default 1000; multigets are also
    /// cut by the members' reported sizes to stay within half of `limits.max_body_bytes`).
    #[uniffi(default)]
    pub multiget_batch_size: Option<u32>,
    /// How many requests an operation may have in flight at once (default 4).
    #[uniffi(default)]
    pub max_parallel_requests: Option<u32>,
    /// `DAV:limit` for sync-collection pages; `null` lets the server decide.
    #[uniffi(default)]
    pub sync_page_limit: Option<u32>,
    /// How rate-limited operations are retried (only with a `Sleeper`); `null` for the
    /// default: 3 retries, 1 s doubling, at most 32 s.
    #[uniffi(default)]
    pub retry: Option<davkit::RetryPolicy>,
    /// Bounds on bodies, XML, JSON, discovery, sync pages and redirects; `null` (or a `null`
    /// field) keeps the core's default. A limit that is hit is a `LimitExceeded` error.
    #[uniffi(default)]
    pub limits: Option<Limits>,
}

/// The core's `Limits`: every field optional, `null` keeping its default (the table in
/// ARCHITECTURE.md, "Limits", gives the defaults and what happens when each is hit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Limits {
    /// Largest response body in bytes, after decoding (default 64 MiB).
    #[uniffi(default)]
    pub max_body_bytes: Option<u64>,
    /// Deepest XML element nesting (default 128).
    #[uniffi(default)]
    pub max_xml_depth: Option<u64>,
    /// Most elements in one XML body (default 1,000,000).
    #[uniffi(default)]
    pub max_xml_elements: Option<u64>,
    /// Most bytes of text directly inside one XML element, or in one attribute (default 16 MiB).
    #[uniffi(default)]
    pub max_xml_text_bytes: Option<u64>,
    /// Most attributes on one XML element (default 256).
    #[uniffi(default)]
    pub max_xml_attributes: Option<u64>,
    /// Most namespace declarations on one XML element (default 64).
    #[uniffi(default)]
    pub max_xml_namespace_declarations: Option<u64>,
    /// Most hrefs in one `DAV:response` (default 10,000).
    #[uniffi(default)]
    pub max_hrefs_per_response: Option<u64>,
    /// Most content lines in one iCalendar or vCard object the core parses (default 2,000,000).
    #[uniffi(default)]
    pub max_content_lines: Option<u64>,
    /// Most occurrences of one recurrence expansion (default 10,000; past it: `truncated`).
    #[uniffi(default)]
    pub max_instances: Option<u64>,
    /// Most steps of one RRULE in an expansion (default 1,000,000; past it: `truncated`).
    #[uniffi(default)]
    pub max_iterations: Option<u64>,
    /// Most steps of all rules in one expansion (default 10,000,000; past it: `truncated`).
    #[uniffi(default)]
    pub max_total_iterations: Option<u64>,
    /// Most home sets one discovery asks for (default 32).
    #[uniffi(default)]
    pub max_home_sets: Option<u64>,
    /// Most collections one discovery returns (default 10,000).
    #[uniffi(default)]
    pub max_collections: Option<u64>,
    /// Most pages one sync fetches (default 10,000).
    #[uniffi(default)]
    pub max_sync_pages: Option<u64>,
    /// Most redirects one request follows (default 5).
    #[uniffi(default)]
    pub max_redirects: Option<u64>,
    /// Most values in one JSON answer of the Calendar API, weighed by what they cost parsed (a
    /// key 2, an object with members 12 more, an array with items 2 more; default 2,000,000).
    #[uniffi(default)]
    pub max_json_values: Option<u64>,
}

impl From<Limits> for davkit::Limits {
    fn from(l: Limits) -> Self {
        let d = davkit::Limits::default();
        // u64 -> usize saturates (32-bit targets): a larger value means "no lower limit".
        let pick = |v: Option<u64>, default: usize| {
            v.map_or(default, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        davkit::Limits {
            max_body_bytes: pick(l.max_body_bytes, d.max_body_bytes),
            max_xml_depth: pick(l.max_xml_depth, d.max_xml_depth),
            max_xml_elements: pick(l.max_xml_elements, d.max_xml_elements),
            max_xml_text_bytes: pick(l.max_xml_text_bytes, d.max_xml_text_bytes),
            max_xml_attributes: pick(l.max_xml_attributes, d.max_xml_attributes),
            max_xml_namespace_declarations: pick(
                l.max_xml_namespace_declarations,
                d.max_xml_namespace_declarations,
            ),
            max_hrefs_per_response: pick(l.max_hrefs_per_response, d.max_hrefs_per_response),
            max_content_lines: pick(l.max_content_lines, d.max_content_lines),
            max_instances: pick(l.max_instances, d.max_instances),
            max_iterations: pick(l.max_iterations, d.max_iterations),
            max_total_iterations: pick(l.max_total_iterations, d.max_total_iterations),
            max_home_sets: pick(l.max_home_sets, d.max_home_sets),
            max_collections: pick(l.max_collections, d.max_collections),
            max_sync_pages: pick(l.max_sync_pages, d.max_sync_pages),
            max_redirects: pick(l.max_redirects, d.max_redirects),
            max_json_values: pick(l.max_json_values, d.max_json_values),
        }
    }
}

impl DavConfig {
    /// A configuration with only the server URL and the credentials, every setting at its
    /// default: for Rust callers (Kotlin, Swift and Python get the defaults from the record).
    pub fn new(server_url: impl Into<String>, credentials: Arc<Credentials>) -> Self {
        DavConfig {
            server_url: server_url.into(),
            credentials,
            user_agent: None,
            profile: None,
            multiget_batch_size: None,
            max_parallel_requests: None,
            sync_page_limit: None,
            retry: None,
            limits: None,
        }
    }
}

impl std::fmt::Debug for DavConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field; the URL without user-info, the credentials through their redacting Debug.
        f.debug_struct("DavConfig")
            .field(
                "server_url",
                &davkit::http::url_for_display(&self.server_url),
            )
            .field("credentials", &self.credentials)
            .field("user_agent", &self.user_agent)
            .field("profile", &self.profile)
            .field("multiget_batch_size", &self.multiget_batch_size)
            .field("max_parallel_requests", &self.max_parallel_requests)
            .field("sync_page_limit", &self.sync_page_limit)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .finish()
    }
}

impl std::fmt::Display for DavConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl TryFrom<DavConfig> for davkit::Config {
    type Error = DavError;

    fn try_from(c: DavConfig) -> Result<Self, DavError> {
        let mut config = davkit::Config::new(c.server_url, c.credentials.core().clone());
        if let Some(ua) = c.user_agent {
            config.user_agent = ua;
        }
        if let Some(name) = c.profile {
            config.profile = Some(davkit::Profile::named(&name)?);
        }
        if let Some(n) = c.multiget_batch_size {
            config.multiget_batch_size = n as usize;
        }
        if let Some(n) = c.max_parallel_requests {
            config.max_parallel_requests = n as usize;
        }
        config.sync_page_limit = c.sync_page_limit;
        if let Some(r) = c.retry {
            config.retry = r;
        }
        if let Some(l) = c.limits {
            config.limits = l.into();
        }
        Ok(config)
    }
}

/// One change found by a sync. (A mirror on purpose: the core's `Added(DavObject)` tuple
/// variants would reach Kotlin and Swift as a field named `v1`.)
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum Change {
    /// A new member (with its data).
    Added {
        /// The object.
        object: DavObject,
    },
    /// A member whose ETag changed (with its new data).
    Changed {
        /// The object.
        object: DavObject,
    },
    /// A member that is gone.
    Deleted {
        /// Its URL.
        url: String,
    },
}

impl From<davkit::Change> for Change {
    fn from(c: davkit::Change) -> Self {
        match c {
            davkit::Change::Added(object) => Change::Added { object },
            davkit::Change::Changed(object) => Change::Changed { object },
            davkit::Change::Deleted { url } => Change::Deleted { url },
        }
    }
}

impl From<Change> for davkit::Change {
    fn from(c: Change) -> Self {
        match c {
            Change::Added { object } => davkit::Change::Added(object),
            Change::Changed { object } => davkit::Change::Changed(object),
            Change::Deleted { url } => davkit::Change::Deleted { url },
        }
    }
}

/// A sync's change held back by a queued local change (`WriteQueue.split_changes`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct HeldChange {
    /// The queued entry's id.
    pub entry: u64,
    /// The server's change.
    pub change: Change,
}

/// A sync's changes split by `WriteQueue.split_changes`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SplitChanges {
    /// The changes to apply to the mirror: no local change is queued for them.
    pub apply: Vec<Change>,
    /// The changes to objects with a queued local change: not applied (the local edit stays
    /// what the app shows); the flush meets the server's version and resolves it by policy.
    pub held: Vec<HeldChange>,
}

impl From<davkit::queue::SplitChanges> for SplitChanges {
    fn from(s: davkit::queue::SplitChanges) -> Self {
        SplitChanges {
            apply: s.apply.into_iter().map(Change::from).collect(),
            held: s
                .held
                .into_iter()
                .map(|h| HeldChange {
                    entry: h.entry,
                    change: h.change.into(),
                })
                .collect(),
        }
    }
}

/// The outcome of a sync.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SyncResult {
    /// Every change since the state given.
    pub changes: Vec<Change>,
    /// The state to store (after applying `changes`) and pass to the next `sync`, as JSON.
    pub state_json: String,
    /// The sync token in that state, for display or logging.
    pub sync_token: Option<String>,
    /// How the changes were found.
    pub method: SyncMethod,
    /// The server rejected the stored token and the changes come from a full listing.
    pub token_was_reset: bool,
    /// Members the server listed as changed that this sync could not deliver (an error row or
    /// no row, asked twice; a Calendar API event that cannot be read); empty when everything
    /// arrived. The state in `state_json` still owes them (its `pending` list), so the next sync
    /// fetches them again; they are never reported as deleted.
    pub problems: Vec<MemberProblem>,
    /// Calling `sync_batch` again now, with `state_json`, can make progress: this batch left
    /// members for the next one (pending in `state_json`). Apply the changes, store
    /// `state_json`, and call again while `more` is true; no other check is needed. False when
    /// no member is left, and when the batch delivered nothing and left the same members owed
    /// as it was given (the same members failed again: they stay pending and in `problems` for
    /// the next sync). Always false for `sync` and `gcal_sync`. (The core's `SyncResult::more`.)
    pub more: bool,
}

impl From<davkit::SyncResult> for SyncResult {
    fn from(r: davkit::SyncResult) -> Self {
        SyncResult::with_state(r).0
    }
}

impl SyncResult {
    /// The result as the app receives it, and the state its `state_json` is the text of.
    pub(crate) fn with_state(r: davkit::SyncResult) -> (Self, davkit::SyncState) {
        let result = SyncResult {
            changes: r.changes.into_iter().map(Into::into).collect(),
            state_json: r.state.to_json(),
            sync_token: r.state.sync_token.clone(),
            method: r.method,
            token_was_reset: r.token_was_reset,
            problems: r.problems.into_iter().map(Into::into).collect(),
            more: r.more,
        };
        (result, r.state)
    }
}

/// A member a sync could not deliver, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct MemberProblem {
    /// The member's URL.
    pub url: String,
    /// What went wrong, as an error kind name like `DavError.kind()`: `Http` for an error row,
    /// `Protocol` for a missing one.
    pub kind: String,
    /// The status the server gave for this member, when it gave one.
    pub status: Option<u16>,
    /// A short explanation.
    pub message: String,
}

impl From<davkit::MemberProblem> for MemberProblem {
    fn from(p: davkit::MemberProblem) -> Self {
        MemberProblem {
            url: p.url,
            kind: p.kind.as_str().to_owned(),
            status: p.status,
            message: p.message,
        }
    }
}

/// Marks a member the app could not apply (a row it could not store) as owed, in a stored sync
/// state: returns the state JSON in which `href` is pending and its ETag forgotten, so the next
/// `sync` fetches it again and reports what the server has then. Call it on the `state_json` a
/// sync returned, before storing it. It also clears the state's `more`, so a batch loop that
/// resumed from it would end: the next sync asks the server again. Fails with `InvalidInput`
/// when `state_json` is not a sync state. For the app's own writes, call
/// `sync_state_record_write` instead. (The core's `SyncState::mark_pending`.)
#[uniffi::export]
pub fn sync_state_mark_pending(state_json: String, href: String) -> Result<String, DavError> {
    let mut state = davkit::SyncState::from_json(&state_json)?;
    state.mark_pending(&href);
    Ok(state.to_json())
}

/// Records a write the app made itself (`create_object`, `update_object`, `put_object`, ...:
/// its result's `url` and `etag`) in a stored sync state: returns the state JSON in which the
/// member is known at that ETag, so the next `sync` does not report it back as a change, and
/// later changes of it come under this `url` whatever spelling the server lists it by (`%40`
/// for `@`, `(` for `%28`): a copy keyed by URL meets one spelling per member. A sync report
/// naming the member at another version right after is fetched to check it (a replica behind
/// the write names the version before). Without an ETag
/// (a server that gave none) the member is marked pending, so the next sync fetches the
/// server's version. Fails with `InvalidInput` when `state_json` is not a sync state. (The
/// core's `SyncState::record_write`.)
#[uniffi::export]
pub fn sync_state_record_write(
    state_json: String,
    url: String,
    etag: Option<String>,
) -> Result<String, DavError> {
    let mut state = davkit::SyncState::from_json(&state_json)?;
    state.record_write(&davkit::WriteResult {
        url,
        etag,
        data: None,
        replaced: false,
    });
    Ok(state.to_json())
}

/// Records a version the app read itself, outside a sync (`get_object`; a flush's outcome whose
/// version came from a read: written with `how` already-applied, at the outcome's `url` and
/// `etag`, or the server's object a server-wins outcome kept) in a stored sync state: returns
/// the state JSON in which the member is known at that ETag and stays pending with it as the
/// check, so the next `sync` fetches it again, reporting nothing when the server still holds
/// that version and what it holds otherwise. A replica behind the server (iCloud and Google
/// are eventually consistent) may have answered the read with an older version, which
/// `sync_state_record_write` would keep for good. Without an ETag the member is pending. Fails
/// with `InvalidInput` when `state_json` is not a sync state. (The core's
/// `SyncState::record_read`.)
#[uniffi::export]
pub fn sync_state_record_read(
    state_json: String,
    url: String,
    etag: Option<String>,
) -> Result<String, DavError> {
    let mut state = davkit::SyncState::from_json(&state_json)?;
    state.record_read(&url, etag.as_deref());
    Ok(state.to_json())
}

/// Records a deletion the app made itself (`delete_object`) in a stored sync state: returns the
/// state JSON without the member, so the next `sync` does not report it. Fails with
/// `InvalidInput` when `state_json` is not a sync state. (The core's
/// `SyncState::record_delete`.)
#[uniffi::export]
pub fn sync_state_record_delete(state_json: String, url: String) -> Result<String, DavError> {
    let mut state = davkit::SyncState::from_json(&state_json)?;
    state.record_delete(&url);
    Ok(state.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_convert_with_defaults_for_missing_fields() {
        let none: davkit::Limits = Limits::default().into();
        assert_eq!(none, davkit::Limits::default());
        let some: davkit::Limits = Limits {
            max_body_bytes: Some(100),
            max_redirects: Some(0),
            max_json_values: Some(7),
            ..Default::default()
        }
        .into();
        assert_eq!(some.max_body_bytes, 100);
        assert_eq!(some.max_redirects, 0);
        assert_eq!(some.max_json_values, 7);
        assert_eq!(some.max_xml_depth, davkit::Limits::default().max_xml_depth);
    }
}
