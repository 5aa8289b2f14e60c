//! WebAssembly bindings of davkit for the npm package `davkit`.
//!
//! Every export converts its arguments, calls the core, and converts the result or error; there
//! is no DAV logic here. The transport is a JS `fetch` function (`transport::FetchTransport`).
//! The public JS API (`DavClient`, `DavError`, auth providers) is the hand-written wrapper in
//! `npm/src/`, which calls these low-level exports.
//!
//! The npm package's modules are built from this crate, by its features: `client` (the DAV
//! client: [`client`]), `formats` (iCalendar/vCard parsing, recurrence, zones, editors), `queue`
//! (the write queue), `oauth`, `gcal` (the Google Calendar API, with `client`), `dav-calls`
//! (the client's DAV calls of the flush and of scheduling, one at a time: `dav_calls`) and
//! `steps` (their decisions, answered through JS, with `formats` and `queue`: `steps`).
//! `client` alone: `davkit/protocol`; `formats` alone: `davkit/formats`; every feature:
//! `davkit/gcal`; `davkit` in two modules, `client`, `dav-calls` and `oauth`, then `steps`.

// Talc instead of the standard library's dlmalloc (2026-12-03): 6.4 KB less WebAssembly in every
// module (`davkit/protocol` 450,099 -> 443,680 B raw, 180,725 -> 177,719 B gzip), the same CPU
// in `npm/bench/cpu-profile.mjs` (interleaved runs), and one 64 KiB page more of linear memory
// after its 1,000-event syncs (2.19 -> 2.25 MiB).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

// Linked for its `memcmp` symbol (mem/src/lib.rs), which nothing names.
#[cfg(target_arch = "wasm32")]
use davkit_wasm_mem as _;

#[cfg(feature = "formats")]
mod calendar;
// The one future that runs every client method's core call.
#[cfg(feature = "client")]
mod call;
#[cfg(feature = "client")]
mod client;
// The DAV calls of the flush and of scheduling, one at a time, for the second module's steps.
mod convert;
#[cfg(feature = "dav-calls")]
mod dav_calls;
#[cfg(feature = "formats")]
mod edit;
mod json;
// OAuth sends its token requests through the same transport as the client (`oauth`: not in
// `davkit/protocol`, which exists to stay small).
#[cfg(feature = "oauth")]
mod oauth;
// The one `future_to_promise`, for the client's calls and OAuth's requests.
#[cfg(any(feature = "client", feature = "oauth"))]
mod promise;
// The offline write queue merges conflicting iCalendar/vCard edits property by property: in the
// modules with the formats (`davkit`, `davkit/gcal`), not in `davkit/protocol`.
#[cfg(feature = "queue")]
mod queue;
mod read;
// Scheduling (invitations, free-busy, iTIP) reads iCalendar: with the steps that send it.
#[cfg(feature = "steps")]
mod schedule;
// The flush's and scheduling's decisions, their DAV calls made by another module's client.
#[cfg(feature = "steps")]
mod steps;
#[cfg(feature = "client")]
mod tokens;
#[cfg(any(feature = "client", feature = "oauth"))]
mod transport;
#[cfg(feature = "formats")]
mod zones;

use wasm_bindgen::prelude::*;

#[cfg(feature = "formats")]
pub use calendar::{expand, parse_calendar, parse_contact, parse_contacts};
#[cfg(feature = "client")]
pub(crate) use call::{nothing, plain};
#[cfg(feature = "client")]
pub use client::*;
#[cfg(feature = "formats")]
pub use edit::{ContactEditor, EventEditor, convert_contact};
#[cfg(feature = "oauth")]
pub use oauth::{OAuthClient, OAuthTokens, Pkce, TokenRefresher};
#[cfg(any(feature = "client", feature = "oauth"))]
pub use transport::FetchTransport;
#[cfg(feature = "formats")]
pub use zones::set_zone_source;

/// The core's `Limits` fields as JS names them (camelCase), in the order [`limits`] fills them.
const LIMIT_KEYS: [&str; 16] = [
    "maxBodyBytes",
    "maxXmlDepth",
    "maxXmlElements",
    "maxXmlTextBytes",
    "maxXmlAttributes",
    "maxXmlNamespaceDeclarations",
    "maxHrefsPerResponse",
    "maxContentLines",
    "maxInstances",
    "maxIterations",
    "maxTotalIterations",
    "maxHomeSets",
    "maxCollections",
    "maxSyncPages",
    "maxRedirects",
    "maxJsonValues",
];

/// The core's `Limits` as JS passes them: camelCase, every field optional (left out: the
/// default), an unknown field an error.
pub(crate) fn limits(f: &read::Fields<'_>) -> Result<davkit::Limits, davkit::Error> {
    f.only(&LIMIT_KEYS)?;
    let mut l = davkit::Limits::default();
    let slots: [&mut usize; 16] = [
        &mut l.max_body_bytes,
        &mut l.max_xml_depth,
        &mut l.max_xml_elements,
        &mut l.max_xml_text_bytes,
        &mut l.max_xml_attributes,
        &mut l.max_xml_namespace_declarations,
        &mut l.max_hrefs_per_response,
        &mut l.max_content_lines,
        &mut l.max_instances,
        &mut l.max_iterations,
        &mut l.max_total_iterations,
        &mut l.max_home_sets,
        &mut l.max_collections,
        &mut l.max_sync_pages,
        &mut l.max_redirects,
        &mut l.max_json_values,
    ];
    for (key, slot) in LIMIT_KEYS.iter().zip(slots) {
        if let Some(n) = f.opt_usize(key)? {
            *slot = n;
        }
    }
    Ok(l)
}

/// The client's `Limits` as JS passes them to a function of the formats (`undefined`: the
/// defaults), read as [`limits`] reads the client options' `limits`.
#[cfg(feature = "formats")]
pub(crate) fn limits_in(value: &JsValue) -> Result<davkit::Limits, davkit::Error> {
    let v = read::value(value);
    read::Fields::optional("limits", &v, "an object")?
        .map_or_else(|| Ok(davkit::Limits::default()), |f| limits(&f))
}

/// `parseView(data, limits)` -> `{ events }`, `{ contact }`, `{ parseError }` or `{}`: the
/// parsed view of one object's text (what a fetch with `parse` on attaches), under `limits`
/// (the core's `Limits` in camelCase, `undefined` for the defaults). For `davkit/formats` only:
/// the other modules have `Client::parseView` (a second path through serde here cost 5 KB).
#[cfg(all(feature = "formats", not(feature = "client")))]
#[wasm_bindgen(js_name = parseView)]
pub fn parse_view(data: &str, limits: JsValue) -> Result<JsValue, JsValue> {
    let limits = limits_in(&limits).map_err(|e| convert::error(&e))?;
    Ok(convert::output(&convert::view(data, &limits)))
}

/// How long a request may go without progress from the server before it fails, unless the app
/// says otherwise (`idleTimeoutMs`): the core's [`davkit::REQUEST_IDLE_TIMEOUT_MS`]. The JS layer
/// hands it to node's transport, which keeps it on the socket.
#[cfg(feature = "client")]
#[wasm_bindgen(js_name = requestIdleTimeoutMs)]
pub fn request_idle_timeout_ms() -> u32 {
    davkit::REQUEST_IDLE_TIMEOUT_MS as u32
}

/// The version of the core in this build.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
