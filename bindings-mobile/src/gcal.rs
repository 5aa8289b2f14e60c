//! The Google Calendar API v3 (`davkit::gcal`): calendar list, full and incremental event sync
//! (the same `SyncResult` as CalDAV), writes with ETags, and push channels. Records mirror the
//! core's; event resources cross as JSON text.

use davkit::gcal;

use crate::error::DavError;
use crate::http::HttpHeader;

/// One calendar of the user's calendar list.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GcalCalendar {
    /// The calendar id (pass it to `gcalSync`).
    pub id: String,
    /// The title.
    pub summary: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// Its IANA time zone.
    pub time_zone: Option<String>,
    /// `#rrggbb`.
    pub background_color: Option<String>,
    /// `owner`, `writer`, `reader` or `freeBusyReader`.
    pub access_role: Option<String>,
    /// Whether it is the user's primary calendar.
    pub primary: bool,
}

impl From<gcal::CalendarListEntry> for GcalCalendar {
    fn from(c: gcal::CalendarListEntry) -> Self {
        GcalCalendar {
            id: c.id,
            summary: c.summary,
            description: c.description,
            time_zone: c.time_zone,
            background_color: c.background_color,
            access_role: c.access_role,
            primary: c.primary,
        }
    }
}

/// events.list parameters. With a sync token only `single_events`, `show_deleted` (not false)
/// and `max_results` are allowed; the others are refused before any request.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct GcalEventsQuery {
    /// `timeMin` (RFC 3339).
    #[uniffi(default)]
    pub time_min: Option<String>,
    /// `timeMax` (RFC 3339).
    #[uniffi(default)]
    pub time_max: Option<String>,
    /// `updatedMin` (RFC 3339).
    #[uniffi(default)]
    pub updated_min: Option<String>,
    /// `q`, free text.
    #[uniffi(default)]
    pub q: Option<String>,
    /// `orderBy`.
    #[uniffi(default)]
    pub order_by: Option<String>,
    /// `iCalUID`.
    #[uniffi(default)]
    pub ical_uid: Option<String>,
    /// `singleEvents`.
    #[uniffi(default)]
    pub single_events: Option<bool>,
    /// `showDeleted`.
    #[uniffi(default)]
    pub show_deleted: Option<bool>,
    /// `maxResults` per page.
    #[uniffi(default)]
    pub max_results: Option<u32>,
}

impl From<GcalEventsQuery> for gcal::EventsQuery {
    fn from(q: GcalEventsQuery) -> Self {
        gcal::EventsQuery {
            time_min: q.time_min,
            time_max: q.time_max,
            updated_min: q.updated_min,
            q: q.q,
            order_by: q.order_by,
            ical_uid: q.ical_uid,
            single_events: q.single_events,
            show_deleted: q.show_deleted,
            max_results: q.max_results,
        }
    }
}

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

/// A token for printing: whether there is one, never its value.
fn redacted(token: &Option<String>) -> Option<&'static str> {
    token.as_ref().map(|_| "<redacted>")
}

impl std::fmt::Debug for GcalWatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcalWatchRequest")
            .field("channel_id", &self.channel_id)
            .field("address", &self.address)
            .field("token", &redacted(&self.token))
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

impl std::fmt::Display for GcalWatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::fmt::Debug for GcalChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcalChannel")
            .field("id", &self.id)
            .field("resource_id", &self.resource_id)
            .field("resource_uri", &self.resource_uri)
            .field("token", &redacted(&self.token))
            .field("expiration_ms", &self.expiration_ms)
            .finish()
    }
}

impl std::fmt::Display for GcalChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

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

/// `X-Goog-Resource-State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum GcalResourceState {
    /// The first message after watch: nothing changed yet.
    Sync,
    /// The resource changed: run an incremental sync.
    Exists,
    /// The resource was deleted.
    NotExists,
}

/// A push notification read from the webhook request's headers.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GcalNotification {
    /// `X-Goog-Channel-ID`.
    pub channel_id: String,
    /// `X-Goog-Resource-ID`.
    pub resource_id: String,
    /// `X-Goog-Resource-URI`.
    pub resource_uri: Option<String>,
    /// What happened.
    pub state: GcalResourceState,
    /// `X-Goog-Message-Number`.
    pub message_number: u64,
    /// `X-Goog-Channel-Expiration`, ms since the epoch.
    pub expiration_ms: Option<i64>,
}

impl From<gcal::Notification> for GcalNotification {
    fn from(n: gcal::Notification) -> Self {
        GcalNotification {
            channel_id: n.channel_id,
            resource_id: n.resource_id,
            resource_uri: n.resource_uri,
            state: match n.state {
                gcal::ResourceState::Sync => GcalResourceState::Sync,
                gcal::ResourceState::Exists => GcalResourceState::Exists,
                gcal::ResourceState::NotExists => GcalResourceState::NotExists,
            },
            message_number: n.message_number,
            expiration_ms: n.expiration_ms,
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
    Ok(gcal::Notification::parse(&headers, &channel.into())?.into())
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
