//! Calendar API push notifications (<https://developers.google.com/calendar/api/guides/push>):
//! the events.watch request and its channel, the notification headers Google posts to the
//! webhook, channels.stop, and when to renew a channel given the time the caller passes in.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ops::EventsQuery;
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::Spec;
use crate::href::encode_segment;
use crate::http::{Header, Method, find_header};
use crate::ops::single::SingleExchange;
use crate::session::Session;

/// What to ask of events.watch. Its `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRequest {
    /// The caller's channel id: unique, at most 64 characters of `A-Za-z0-9-_+/=`.
    pub channel_id: String,
    /// The https URL Google posts notifications to.
    pub address: String,
    /// A secret echoed in `X-Goog-Channel-Token`; notifications without it are refused.
    pub token: Option<String>,
    /// Requested time to live in seconds (`params.ttl`); Google may shorten it.
    pub ttl_seconds: Option<u64>,
}

/// A notification channel as Google confirmed it. Its `Debug` hides the token (what tells a
/// genuine notification from a forged one).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// The caller's channel id.
    pub id: String,
    /// Google's id for the watched resource (needed to stop the channel).
    pub resource_id: String,
    /// The watched resource.
    pub resource_uri: Option<String>,
    /// The channel token, echoed on every notification.
    pub token: Option<String>,
    /// When the channel expires, in milliseconds since the Unix epoch.
    pub expiration_ms: Option<i64>,
}

/// A channel token for printing: whether there is one, never its value.
fn redacted(token: &Option<String>) -> Option<&'static str> {
    token.as_ref().map(|_| "<redacted>")
}

impl std::fmt::Debug for WatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchRequest")
            .field("channel_id", &self.channel_id)
            .field("address", &self.address)
            .field("token", &redacted(&self.token))
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("resource_id", &self.resource_id)
            .field("resource_uri", &self.resource_uri)
            .field("token", &redacted(&self.token))
            .field("expiration_ms", &self.expiration_ms)
            .finish()
    }
}

impl Channel {
    /// Whether the channel should be replaced now: it expires within `margin_ms` of `now_ms`
    /// (Google does not renew channels; create a new one before the old one expires).
    pub fn needs_renewal(&self, now_ms: i64, margin_ms: i64) -> bool {
        match self.expiration_ms {
            Some(exp) => now_ms.saturating_add(margin_ms) >= exp,
            None => false,
        }
    }
}

/// `X-Goog-Resource-State` for Calendar resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi(name = "GcalResourceState"))]
pub enum ResourceState {
    /// The first message after watch: nothing changed yet.
    Sync,
    /// The resource changed: run an incremental sync.
    Exists,
    /// The resource was deleted.
    NotExists,
}

/// A push notification, read from the webhook request's headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "GcalNotification"))]
pub struct Notification {
    /// `X-Goog-Channel-ID`.
    pub channel_id: String,
    /// `X-Goog-Resource-ID`.
    pub resource_id: String,
    /// `X-Goog-Resource-URI`.
    pub resource_uri: Option<String>,
    /// `X-Goog-Resource-State`.
    pub state: ResourceState,
    /// `X-Goog-Message-Number`: increasing, not consecutive; for ordering and de-duplication.
    pub message_number: u64,
    /// `X-Goog-Channel-Expiration` in milliseconds since the Unix epoch.
    pub expiration_ms: Option<i64>,
}

impl Notification {
    /// Reads and checks a notification against the channel it claims to belong to: the
    /// channel id and resource id must match, and so must the token when the channel has one
    /// (a wrong or missing token is [`ErrorKind::Unauthorized`]). Notifications for other or
    /// stopped channels are [`ErrorKind::NotFound`] and should be ignored (Google has been
    /// seen sending some after a stop).
    pub fn parse(headers: &[Header], channel: &Channel) -> Result<Notification> {
        let get = |name: &str| find_header(headers, name).map(str::trim);
        let channel_id =
            get("x-goog-channel-id").ok_or_else(|| invalid("X-Goog-Channel-ID is missing"))?;
        if channel_id != channel.id {
            return Err(Error::new(
                ErrorKind::NotFound,
                "a notification for another or a stopped channel",
            ));
        }
        if let Some(expected) = &channel.token
            && get("x-goog-channel-token") != Some(expected.as_str())
        {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                "the notification's channel token does not match",
            ));
        }
        let resource_id =
            get("x-goog-resource-id").ok_or_else(|| invalid("X-Goog-Resource-ID is missing"))?;
        if resource_id != channel.resource_id {
            return Err(Error::new(
                ErrorKind::NotFound,
                "a notification for another resource",
            ));
        }
        let state = match get("x-goog-resource-state") {
            Some("sync") => ResourceState::Sync,
            Some("exists") => ResourceState::Exists,
            Some("not_exists") => ResourceState::NotExists,
            Some(other) => return Err(invalid(&format!("unknown resource state `{other}`"))),
            None => return Err(invalid("X-Goog-Resource-State is missing")),
        };
        let message_number = get("x-goog-message-number")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid("X-Goog-Message-Number is missing or not a number"))?;
        let expiration_ms = match get("x-goog-channel-expiration") {
            Some(date) => Some(rfc1123_ms(date)?),
            None => None,
        };
        Ok(Notification {
            channel_id: channel_id.to_owned(),
            resource_id: resource_id.to_owned(),
            resource_uri: get("x-goog-resource-uri").map(str::to_owned),
            state,
            message_number,
            expiration_ms,
        })
    }
}

fn invalid(message: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("push notification: {message}"),
    )
}

fn rfc1123_ms(date: &str) -> Result<i64> {
    // By hand (the HTTP date form), not by jiff's RFC 2822 parser: see `read_time`.
    crate::icalendar::read_time::http_date(date)
        .map(|t| t.as_millisecond())
        .ok_or_else(|| {
            invalid(&format!(
                "bad X-Goog-Channel-Expiration `{date}` (e.g. Tue, 19 Nov 2013 01:13:52 GMT)"
            ))
        })
}

fn channel_from(value: &Value) -> Result<Channel> {
    let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    let expiration_ms = match value.get("expiration") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(Channel {
        id: field("id").ok_or_else(|| invalid("the watch answer has no channel id"))?,
        resource_id: field("resourceId")
            .ok_or_else(|| invalid("the watch answer has no resourceId"))?,
        resource_uri: field("resourceUri"),
        token: field("token"),
        expiration_ms,
    })
}

impl Session {
    /// Starts a push channel for a calendar's events (events.watch). The query should be the
    /// one used for syncing.
    pub fn gcal_watch(
        &self,
        calendar_id: &str,
        query: &EventsQuery,
        watch: &WatchRequest,
    ) -> SingleExchange<Channel> {
        let spec = (|| {
            let id_ok = !watch.channel_id.is_empty()
                && watch.channel_id.len() <= 64
                && watch
                    .channel_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_+/=".contains(&b));
            if !id_ok {
                return Err(invalid(
                    "a channel id is 1 to 64 characters of A-Z a-z 0-9 - _ + / =",
                ));
            }
            if !watch.address.starts_with("https://") {
                return Err(invalid(
                    "Google delivers notifications to https addresses only",
                ));
            }
            let mut url = self.url(&format!(
                "calendars/{}/events/watch",
                encode_segment(calendar_id)
            ))?;
            let flags: Vec<(&str, bool)> = [
                ("singleEvents", query.single_events),
                ("showDeleted", query.show_deleted),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
            if !flags.is_empty() {
                let mut pairs = url.query_pairs_mut();
                for (k, v) in flags {
                    pairs.append_pair(k, &v.to_string());
                }
            }
            let mut body = json!({
                "id": watch.channel_id,
                "type": "web_hook",
                "address": watch.address,
            });
            if let Some(t) = &watch.token {
                body["token"] = json!(t);
            }
            if let Some(ttl) = watch.ttl_seconds {
                body["params"] = json!({ "ttl": ttl.to_string() });
            }
            Ok(Spec::new(Method::Post, url).json(&body))
        })();
        let max = self.ctx.limits.max_json_values;
        match spec {
            Ok(spec) => SingleExchange::new(self.ctx.clone(), spec, move |reply| {
                if !reply.response.is_success() {
                    return Err(super::api_error(reply.url.as_str(), &reply.response));
                }
                if !crate::json_read::text::weight_within(&reply.response.body, max) {
                    return Err(crate::limits::json_values_exceeded(max));
                }
                let value = match crate::json_read::text::parse_bytes(&reply.response.body) {
                    Ok(value) => value,
                    Err(e) => {
                        // A login proxy's or captive portal's page: whether a channel was
                        // made is unknown.
                        crate::ops::write::refuse_page(reply.url.as_str(), &reply.response)?;
                        return Err(invalid(&format!("unreadable watch answer: {e}")));
                    }
                };
                channel_from(&value.into_value())
            }),
            Err(e) => SingleExchange::failed(self.ctx.clone(), e),
        }
    }

    /// Stops a push channel (channels.stop). A page answered 200 (a login proxy's or captive
    /// portal's) is an [`ErrorKind::Transport`] error: the channel may still be running.
    pub fn gcal_stop(&self, channel: &Channel) -> SingleExchange<()> {
        let body = json!({ "id": channel.id, "resourceId": channel.resource_id });
        match self.url("channels/stop") {
            Ok(url) => {
                let spec = Spec::new(Method::Post, url).json(&body);
                SingleExchange::new(self.ctx.clone(), spec, |reply| {
                    if reply.response.is_success() {
                        // A page answered 200 (a login proxy's) is no stop: the channel may
                        // still be running.
                        crate::ops::write::refuse_page(reply.url.as_str(), &reply.response)
                    } else {
                        Err(super::api_error(reply.url.as_str(), &reply.response))
                    }
                })
            }
            Err(e) => SingleExchange::failed(self.ctx.clone(), e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel() -> Channel {
        Channel {
            id: "01234567-89ab-cdef-0123456789ab".into(),
            resource_id: "o3hgv1538sdjfh".into(),
            resource_uri: None,
            token: Some("target=myApp-myCalendarChannelDest".into()),
            expiration_ms: Some(1_426_325_213_000),
        }
    }

    fn headers(token: &str, state: &str) -> Vec<Header> {
        [
            ("Content-Type", "application/json; utf-8"),
            ("X-Goog-Channel-ID", "01234567-89ab-cdef-0123456789ab"),
            ("X-Goog-Channel-Token", token),
            ("X-Goog-Channel-Expiration", "Tue, 19 Nov 2013 01:13:52 GMT"),
            ("X-Goog-Resource-ID", "o3hgv1538sdjfh"),
            (
                "X-Goog-Resource-URI",
                "https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events",
            ),
            ("X-Goog-Resource-State", state),
            ("X-Goog-Message-Number", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn reads_the_documented_notification() -> Result<()> {
        let n = Notification::parse(
            &headers("target=myApp-myCalendarChannelDest", "sync"),
            &channel(),
        )?;
        assert_eq!(n.state, ResourceState::Sync);
        assert_eq!(n.message_number, 1);
        assert_eq!(n.expiration_ms, Some(1_384_823_632_000));
        Ok(())
    }

    #[test]
    fn refuses_wrong_token_and_other_channels() {
        let e = Notification::parse(&headers("forged", "exists"), &channel()).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Unauthorized));
        let mut other = channel();
        other.id = "another".into();
        let e = Notification::parse(
            &headers("target=myApp-myCalendarChannelDest", "exists"),
            &other,
        )
        .err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::NotFound));
        let e = Notification::parse(
            &headers("target=myApp-myCalendarChannelDest", "add"),
            &channel(),
        )
        .err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::InvalidInput));
    }

    #[test]
    fn renewal() {
        let c = channel();
        assert!(!c.needs_renewal(1_426_325_213_000 - 7_200_000, 3_600_000));
        assert!(c.needs_renewal(1_426_325_213_000 - 1_800_000, 3_600_000));
        assert!(c.needs_renewal(1_426_325_213_001, 0));
        let forever = Channel {
            expiration_ms: None,
            ..c
        };
        assert!(!forever.needs_renewal(i64::MAX, 0));
    }

    #[test]
    fn channel_answer_with_string_expiration() -> Result<()> {
        let c = channel_from(
            &json!({"kind":"api#channel","id":"c1","resourceId":"r1","resourceUri":"https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json","expiration":"1426325213000"}),
        )?;
        assert_eq!(c.expiration_ms, Some(1_426_325_213_000));
        assert!(channel_from(&json!({"id":"c1"})).is_err());
        Ok(())
    }

    #[test]
    fn debug_hides_the_channel_token() {
        let printed = format!("{:?}", channel());
        assert!(!printed.contains("myApp"), "{printed}");
        assert!(printed.contains("token: Some(\"<redacted>\")"), "{printed}");
        assert!(printed.contains("o3hgv1538sdjfh"), "{printed}");
        let watch = WatchRequest {
            channel_id: "c".into(),
            address: "https://example.com/hook".into(),
            token: Some("s3cret".into()),
            ttl_seconds: Some(60),
        };
        let printed = format!("{watch:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("https://example.com/hook"), "{printed}");
    }
}
