//! WebAssembly bindings of davkit for the npm package `davkit`.
//!
//! Every export converts its arguments, calls the core, and converts the result or error; there
//! is no DAV logic here. The transport is a JS `fetch` function (`transport::FetchTransport`).
//! The public JS API (`DavClient`, `DavError`, auth providers) is the hand-written wrapper in
//! `npm/src/`, which calls these low-level exports.
//!
//! Three modules are built from this crate, by its features: `client` (the DAV client, the
//! write queue: [`client`]), `formats` (iCalendar/vCard parsing, recurrence, zones, editors) and
//! `gcal` (the Google Calendar API, with `client`). All three: the `davkit` entry; `client`
//! alone: `davkit/protocol`; `formats` alone: `davkit/formats`.

#[cfg(feature = "formats")]
mod calendar;
#[cfg(feature = "client")]
mod client;
mod convert;
#[cfg(feature = "formats")]
mod edit;
// OAuth sends its token requests through the client's transport; the editors and OAuth are in
// the full module only: `davkit/protocol` exists to stay small.
#[cfg(all(feature = "formats", feature = "client"))]
mod oauth;
#[cfg(feature = "client")]
mod queue;
// Scheduling (invitations, free-busy, iTIP) reads iCalendar and sends through the client: the
// full module only.
#[cfg(all(feature = "formats", feature = "client"))]
mod schedule;
#[cfg(feature = "client")]
mod transport;
#[cfg(feature = "formats")]
mod zones;

use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "formats")]
pub use calendar::{expand, parse_calendar, parse_contact, parse_contacts};
#[cfg(feature = "client")]
pub use client::*;
#[cfg(feature = "formats")]
pub use edit::{ContactEditor, EventEditor, convert_contact};
#[cfg(all(feature = "formats", feature = "client"))]
pub use oauth::{OAuthClient, OAuthTokens, Pkce, TokenRefresher};
#[cfg(feature = "client")]
pub use transport::FetchTransport;
#[cfg(feature = "formats")]
pub use zones::set_zone_source;

/// The core's `Limits` as JS passes them: camelCase, every field optional, an unknown field an
/// error (read straight from the options text: no JSON value tree, which would cost wasm size).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct JsLimits {
    max_body_bytes: Option<usize>,
    max_xml_depth: Option<usize>,
    max_xml_elements: Option<usize>,
    max_xml_text_bytes: Option<usize>,
    max_xml_attributes: Option<usize>,
    max_xml_namespace_declarations: Option<usize>,
    max_hrefs_per_response: Option<usize>,
    max_content_lines: Option<usize>,
    max_instances: Option<usize>,
    max_iterations: Option<usize>,
    max_total_iterations: Option<usize>,
    max_home_sets: Option<usize>,
    max_collections: Option<usize>,
    max_sync_pages: Option<usize>,
    max_redirects: Option<usize>,
}

impl From<JsLimits> for davkit::Limits {
    fn from(l: JsLimits) -> Self {
        let d = davkit::Limits::default();
        davkit::Limits {
            max_body_bytes: l.max_body_bytes.unwrap_or(d.max_body_bytes),
            max_xml_depth: l.max_xml_depth.unwrap_or(d.max_xml_depth),
            max_xml_elements: l.max_xml_elements.unwrap_or(d.max_xml_elements),
            max_xml_text_bytes: l.max_xml_text_bytes.unwrap_or(d.max_xml_text_bytes),
            max_xml_attributes: l.max_xml_attributes.unwrap_or(d.max_xml_attributes),
            max_xml_namespace_declarations: l
                .max_xml_namespace_declarations
                .unwrap_or(d.max_xml_namespace_declarations),
            max_hrefs_per_response: l.max_hrefs_per_response.unwrap_or(d.max_hrefs_per_response),
            max_content_lines: l.max_content_lines.unwrap_or(d.max_content_lines),
            max_instances: l.max_instances.unwrap_or(d.max_instances),
            max_iterations: l.max_iterations.unwrap_or(d.max_iterations),
            max_total_iterations: l.max_total_iterations.unwrap_or(d.max_total_iterations),
            max_home_sets: l.max_home_sets.unwrap_or(d.max_home_sets),
            max_collections: l.max_collections.unwrap_or(d.max_collections),
            max_sync_pages: l.max_sync_pages.unwrap_or(d.max_sync_pages),
            max_redirects: l.max_redirects.unwrap_or(d.max_redirects),
        }
    }
}

/// `parseView(data, limits)` -> `{ events }`, `{ contact }`, `{ parseError }` or `{}`: the
/// parsed view of one object's text (what a fetch with `parse` on attaches), under `limits`
/// (the core's `Limits` in camelCase, `undefined` for the defaults). For `davkit/formats` only:
/// the other modules have `Client::parseView` (a second path through serde here cost 5 KB).
#[cfg(all(feature = "formats", not(feature = "client")))]
#[wasm_bindgen(js_name = parseView)]
pub fn parse_view(data: &str, limits: JsValue) -> Result<JsValue, JsValue> {
    let limits: Option<JsLimits> =
        convert::input(&limits, "limits").map_err(|e| convert::error(&e))?;
    let limits = limits.map_or_else(davkit::Limits::default, davkit::Limits::from);
    Ok(convert::output(&convert::view(data, &limits)))
}

/// The version of the core in this build.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
