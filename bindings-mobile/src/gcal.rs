//! The Google Calendar API v3 (`davkit::gcal`): calendar list, full and incremental event sync
//! (the same `SyncResult` as CalDAV), writes with ETags, and push channels. The core's records
//! cross as they are (`GcalCalendar`, `GcalEventsQuery`, `GcalNotification`,
//! `GcalResourceState` are the core's `CalendarListEntry`, `EventsQuery`, `Notification` and
//! `ResourceState`, named by their uniffi derives); event resources cross as JSON text. Mirrors:
//! [`GcalWatchRequest`] and [`GcalChannel`] (the token and lifetime optional with defaults, in
//! this namespace as apps import them); they print through the core's types, which hide the
//! channel token.

use davkit::gcal;
pub use davkit::gcal::{
    CalendarListEntry as GcalCalendar, EventsQuery as GcalEventsQuery,
    Notification as GcalNotification, ResourceState as GcalResourceState,
};

use crate::error::DavError;
use crate::http::HttpHeader;

/// What `gcalWatch` asks Google for. Printing it hides the token.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct GcalWatchRequest {
    /// A unique channel id chosen by the app (a UUID).
    pub channel_id: String,
    /// The HTTPS webhook address.
    pub address: String,
    /// A token Google echoes in every notification.
    #[uniffi(default)]
    pub token: Option<String>,
    /// Requested lifetime.
    #[uniffi(default)]
    pub ttl_seconds: Option<u64>,
}

// Printed as the core's types print them: the token hidden.
print_as_core!(GcalWatchRequest => gcal::WatchRequest);
print_as_core!(GcalChannel => gcal::Channel);

impl From<GcalWatchRequest> for gcal::WatchRequest {
    fn from(w: GcalWatchRequest) -> Self {
        gcal::WatchRequest {
            channel_id: w.channel_id,
            address: w.address,
            token: w.token,
            ttl_seconds: w.ttl_seconds,
        }
    }
}

/// A push channel (store it to check notifications and to stop it). Printing it hides the
/// token (it is what tells a genuine notification from a forged one).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct GcalChannel {
    /// The channel id.
    pub id: String,
    /// Google's id of the watched resource.
    pub resource_id: String,
    /// The watched resource's URI.
    pub resource_uri: Option<String>,
    /// The token notifications must carry.
    pub token: Option<String>,
    /// Expiry, milliseconds since the epoch.
    pub expiration_ms: Option<i64>,
}

impl From<gcal::Channel> for GcalChannel {
    fn from(c: gcal::Channel) -> Self {
        GcalChannel {
            id: c.id,
            resource_id: c.resource_id,
            resource_uri: c.resource_uri,
            token: c.token,
            expiration_ms: c.expiration_ms,
        }
    }
}

impl From<GcalChannel> for gcal::Channel {
    fn from(c: GcalChannel) -> Self {
        gcal::Channel {
            id: c.id,
            resource_id: c.resource_id,
            resource_uri: c.resource_uri,
            token: c.token,
            expiration_ms: c.expiration_ms,
        }
    }
}

/// Reads a push notification from the headers of the request Google sent to the webhook, for
/// a channel the app stored. A wrong token is refused; another channel's message is NotFound.
#[uniffi::export]
pub fn gcal_parse_notification(
    headers: Vec<HttpHeader>,
    channel: GcalChannel,
) -> Result<GcalNotification, DavError> {
    let headers: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
    Ok(gcal::Notification::parse(&headers, &channel.into())?)
}

/// Whether a channel expires within `margin_ms` of `now_ms` (both ms since the epoch).
#[uniffi::export]
pub fn gcal_channel_needs_renewal(channel: GcalChannel, now_ms: i64, margin_ms: i64) -> bool {
    gcal::Channel::from(channel).needs_renewal(now_ms, margin_ms)
}

/// Parses an event resource given as JSON text.
pub(crate) fn json_arg(what: &str, text: &str) -> Result<serde_json::Value, DavError> {
    serde_json::from_str(text)
        .map_err(|e| DavError::invalid_input(format!("{what} is not JSON: {e}")))
}
