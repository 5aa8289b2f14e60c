//! # davkit: a sans-IO CalDAV and CardDAV client core
//!
//! davkit builds HTTP requests as plain data, parses responses into typed results, and runs
//! each protocol operation (discovery, sync, reads, writes) as a state machine. It has no
//! sockets, no clock and no async runtime: the host sends the requests with whatever HTTP stack
//! it has (`fetch` in the browser, URLSession or OkHttp on mobile, reqwest natively) and feeds
//! the responses back.
//!
//! ## The run loop
//!
//! Every operation implements [`Operation`]: call [`poll`](Operation::poll) until it returns
//! [`Poll::Wait`] or [`Poll::Done`]; send every request it returned (they may go in parallel);
//! feed each response to [`handle_response`](Operation::handle_response); poll again.
//!
//! ```
//! use davkit::{Config, Credentials, HttpResponse, Operation, Poll, Service, Session};
//!
//! let session = Session::new(Config::new(
//!     "https://dav.example.com/",
//!     Credentials::basic("alice", "app-password"),
//! ))?;
//! let mut op = session.discover(Service::CalDav);
//! let discovery = loop {
//!     match op.poll() {
//!         Poll::Send(request) => {
//!             // Hand `request` to an HTTP stack. Here a canned answer stands in for it:
//!             // every PROPFIND names the principal and no home set (so the principal is the
//!             // home); the well-known URI, asked only when the root says nothing, is missing.
//!             let response = match request.url.as_str() {
//!                 "https://dav.example.com/.well-known/caldav" => HttpResponse::new(404, ""),
//!                 url => HttpResponse::new(207, format!(
//!                     r#"<multistatus xmlns="DAV:"><response><href>{url}</href>
//!                        <propstat><prop><current-user-principal><href>/p/alice/</href>
//!                        </current-user-principal></prop><status>HTTP/1.1 200 OK</status>
//!                        </propstat></response></multistatus>"#
//!                 )),
//!             };
//!             op.handle_response(request.id, response);
//!         }
//!         Poll::Wait => unreachable!("this loop answers every request at once"),
//!         Poll::Done(result) => break result?,
//!     }
//! };
//! assert_eq!(discovery.principal.as_deref(), Some("https://dav.example.com/p/alice/"));
//! # Ok::<(), davkit::Error>(())
//! ```
//!
//! With an async transport, [`drive`] runs that loop, and [`DavClient`] wraps every operation
//! in one async method. The `reqwest` feature adds a ready native transport:
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo() -> davkit::Result<()> {
//! use davkit::{Config, Credentials, DavClient, Service, SyncState};
//!
//! let client = DavClient::connect(Config::new(
//!     "https://dav.example.com/",
//!     Credentials::basic("alice", "app-password"),
//! ))?;
//! let found = client.discover(Service::Both).await?;
//! for calendar in found.calendars() {
//!     let result = client.sync(SyncState::new(&calendar.url), calendar.kind).await?;
//!     println!("{}: {} changes", calendar.url, result.changes.len());
//!     // Store result.state (JSON) after applying result.changes; pass it to the next sync.
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things are
//!
//! - [`http`]: the plain request/response data; [`op`]: the operation contract and [`drive`].
//! - [`rfc4918`] (WebDAV: PROPFIND, PROPPATCH, multistatus), [`rfc4791`] (CalDAV), [`rfc6352`]
//!   (CardDAV, extended MKCOL), [`rfc6578`] (sync-collection), [`xml`], [`href`].
//! - [`ops`]: discovery (RFC 6764, RFC 5397), collections, objects, sync.
//! - [`icalendar`], [`vcard`], [`contentline`]: the content formats, from the crate
//!   `davkit-formats` (which has no DAV code and is usable alone), re-exported here.
//! - [`Error`] with a stable [`ErrorKind`]; credentials never appear in `Debug` or messages.

// The uniffi scaffolding of the plain data types (namespace `davkit_core`), only with the
// `uniffi` feature that the mobile bindings turn on.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("davkit_core");

pub mod auth;
mod bytes;
pub mod client;
pub mod error;
mod exchange;
#[cfg(feature = "reqwest")]
#[doc = include_str!("../../docs/google-calendar-api.md")]
pub mod gcal_guide {}
pub mod gcal;
mod hash;
pub mod href;
pub mod http;
// Public only for the wasm binding, which reads its options with the same value readers (one set
// of rules and messages); not part of the API.
#[doc(hidden)]
pub mod json_read;
// Public only for the wasm binding, which writes its outputs with the same writer (camelCase
// field names); not part of the API.
#[doc(hidden)]
pub mod json_write;
mod keyed;
pub mod limits;
pub mod model;
pub mod oauth;
pub mod op;
pub mod ops;
pub mod profile;
pub mod queue;
pub mod string_map;
pub mod string_set;
#[cfg(feature = "reqwest")]
#[doc = include_str!("../../README.md")]
#[allow(rustdoc::broken_intra_doc_links)]
pub mod readme {}
#[cfg(feature = "reqwest")]
#[doc = include_str!("../../docs/providers.md")]
#[allow(rustdoc::broken_intra_doc_links)] // [DOC], [OBS] are evidence tags, not links
pub mod providers_guide {}
#[cfg(feature = "reqwest")]
#[doc = include_str!("../../docs/scheduling.md")]
pub mod scheduling_guide {}
mod redact;
#[cfg(feature = "reqwest")]
pub mod reqwest_transport;
pub mod retry;
pub mod rfc4791;
pub mod rfc4918;
pub mod rfc5546;
pub mod rfc6352;
pub mod rfc6578;
pub mod rfc6638;
pub mod session;
pub mod url;
pub mod xml;

/// The content formats, from the crate `davkit-formats` (usable alone, without the DAV side):
/// content lines, iCalendar and vCard, at the same paths as before they moved
/// (`davkit::icalendar::Calendar`), and base64 (vCard's inline data, Basic credentials, PKCE).
pub use davkit_formats::{base64, contentline, icalendar, quoted, vcard};

pub use auth::Credentials;
pub use client::{DavClient, NoTokenProvider, TokenProvider};
pub use error::{Error, ErrorKind, Result};
pub use exchange::MAX_REDIRECTS;
pub use http::{HttpRequest, HttpResponse, Method, RequestId};
/// The date-time crate behind recurrence expansion, re-exported so callers and bindings use
/// the same version (`davkit::jiff::Timestamp` for expansion windows).
pub use jiff;
pub use limits::Limits;
pub use model::{
    Change, Collection, CollectionKind, DavObject, Discovery, MemberProblem, SyncMethod,
    SyncResult, SyncState, WriteResult,
};
pub use op::{Operation, Poll, REQUEST_IDLE_TIMEOUT_MS, ResponseSink, Transport, drive};
pub use ops::collections::{CollectionProps, CollectionWrite};
pub use ops::discover::{Discover, REDISCOVER_AFTER_MS, Service, needs_rediscovery};
pub use ops::freebusy::{
    BusyPeriod, FbType, FreeBusy, FreeBusyRequest, FreeBusyText, RecipientFreeBusy,
};
pub use ops::objects::{Multiget, MultigetResult};
pub use ops::single::SingleExchange;
pub use ops::sync::{KeptSyncState, Sync};
pub use ops::write::Write;
pub use profile::Profile;
pub use queue::{
    Entry, EntryOp, EntryState, Flush, FlushResult, Outcome, OutcomeKind, Policy, Resolution,
    Resolved, WriteQueue,
};
#[cfg(feature = "reqwest")]
pub use reqwest_transport::ReqwestTransport;
pub use retry::RetryPolicy;
pub use rfc4791::{CalendarFilter, TimeRange};
pub use rfc6638::Scheduling;
pub use session::{Config, Session};
pub use string_map::StringMap;
pub use string_set::StringSet;
