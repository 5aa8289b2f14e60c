//! Conditional writes: events insert, patch and delete ([`GcalWrite`]).

use crate::url::Url;
use serde_json::Value;

use super::{api_url, value_reply};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::gcal::events::{event_to_ical, event_url};
use crate::href::encode_segment;
use crate::http::Method;
use crate::model::WriteResult;
use crate::ops::write::require_etag;
use crate::session::Session;

/// An events insert, patch or delete; create it with [`Session::gcal_insert`],
/// [`Session::gcal_patch`] or [`Session::gcal_delete`]. An answer that is a 200 with an HTML
/// page (a login proxy's or captive portal's; the API answers JSON) is an
/// [`ErrorKind::Transport`] error: whether the write reached Google is unknown.
pub struct GcalWrite {
    m: Machine<(), WriteResult>,
    calendar_id: String,
    /// An events.insert (a POST): never sent twice, not even after a 503.
    insert: bool,
}

/// How the ETag of a joined series begins: davkit's own (its master's and exceptions'
/// ETags hashed), which Google does not know.
pub(crate) const SERIES_ETAG_PREFIX: &str = "W/\"davkit-series-";

/// [`require_etag`], and not a joined series' ETag: as `If-Match` it could never match (a weak
/// ETag, and not Google's), so every write with it would fail with a 412.
fn require_event_etag(etag: &str) -> Result<()> {
    require_etag(etag)?;
    if etag.trim().starts_with(SERIES_ETAG_PREFIX) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "this ETag is davkit's own for a recurring series joined into one object; write \
             the series' master with the master's ETag (its `etag` in the object's `json`)",
        ));
    }
    Ok(())
}

impl Session {
    /// Inserts an event (events.insert); `event` is the API's JSON event resource.
    pub fn gcal_insert(&self, calendar_id: &str, event: &Value) -> GcalWrite {
        let path = format!("calendars/{}/events", encode_segment(calendar_id));
        let spec = api_url(self, &path).map(|url| Spec::new(Method::Post, url).json(event));
        let mut op = GcalWrite::start(self, calendar_id, spec);
        op.insert = true;
        op
    }

    /// Patches an event (events.patch), only if its ETag is still `etag`.
    pub fn gcal_patch(
        &self,
        calendar_id: &str,
        event_id: &str,
        patch: &Value,
        etag: &str,
    ) -> GcalWrite {
        let spec = self.gcal_event_url(calendar_id, event_id).and_then(|url| {
            require_event_etag(etag)?;
            Ok(Spec::new(Method::Patch, url)
                .header("If-Match", etag.trim())
                .json(patch))
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    /// Deletes an event (events.delete), only if its ETag is still `etag`.
    pub fn gcal_delete(&self, calendar_id: &str, event_id: &str, etag: &str) -> GcalWrite {
        let spec = self.gcal_event_url(calendar_id, event_id).and_then(|url| {
            require_event_etag(etag)?;
            Ok(Spec::new(Method::Delete, url).header("If-Match", etag.trim()))
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    fn gcal_event_url(&self, calendar_id: &str, event_id: &str) -> Result<Url> {
        if event_id.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "an event id is required",
            ));
        }
        api_url(
            self,
            &format!(
                "calendars/{}/events/{}",
                encode_segment(calendar_id),
                encode_segment(event_id)
            ),
        )
    }
}

impl GcalWrite {
    fn start(session: &Session, calendar_id: &str, spec: Result<Spec>) -> GcalWrite {
        let mut op = GcalWrite {
            m: Machine::new(session.ctx.clone()),
            calendar_id: calendar_id.to_owned(),
            insert: false,
        };
        match spec {
            Ok(spec) => op.m.x.send((), spec),
            Err(e) => op.m.fail(e),
        }
        op
    }

    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let max = self.m.x.ctx().limits.max_json_values;
        let result = reply.and_then(|reply| written(&self.calendar_id, &reply, max, self.insert));
        self.m.finish(result);
    }
}

/// A Calendar API write's answer as its result (every write's: insert, patch, delete, and the
/// patches of `gcal_set_attendees` and `gcal_respond`). A 204 (a delete) carries no event; any
/// other success is the event as JSON, whose id, ETag and iCalendar form the result. A 200
/// with an HTML page (a login proxy's or captive portal's; the API answers JSON) is a
/// `Transport` error: whether the write reached Google is unknown. An `insert`'s error says it
/// is not to be repeated.
pub(crate) fn written(
    calendar_id: &str,
    reply: &Reply,
    max_values: usize,
    insert: bool,
) -> Result<WriteResult> {
    crate::ops::write::refuse_page(reply.url.as_str(), &reply.response)?;
    if reply.response.status == 204 {
        return Ok(WriteResult {
            url: reply.url.to_string(),
            etag: None,
            data: None,
            replaced: false,
        });
    }
    let event =
        value_reply(reply, max_values).map_err(|e| if insert { e.not_repeated() } else { e })?;
    let id = event.get("id").and_then(Value::as_str).ok_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            "Calendar API: the answer has no event id",
        )
    })?;
    Ok(WriteResult {
        url: event_url(calendar_id, id),
        etag: event.get("etag").and_then(Value::as_str).map(str::to_owned),
        data: Some(event_to_ical(&event)?),
        replaced: false,
    })
}

impl_operation!(GcalWrite, WriteResult);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::op::{Operation, Poll};
    use crate::session::Config;

    #[test]
    fn a_joined_series_etag_is_refused_before_anything_is_sent() {
        let config = Config::new(crate::gcal::API_BASE, Credentials::bearer("t"));
        let session = Session::new(config).expect("session");
        let etag = "W/\"davkit-series-0123456789abcdef\"";
        let patch = serde_json::json!({"summary": "x"});
        for mut op in [
            session.gcal_patch("cal", "s1", &patch, etag),
            session.gcal_delete("cal", "s1", etag),
        ] {
            match op.poll() {
                Poll::Done(Err(e)) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    assert!(e.message().contains("master's ETag"), "{e}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        // The master's own ETag goes out as `If-Match`.
        let mut op = session.gcal_delete("cal", "s1", "\"3\"");
        match op.poll() {
            Poll::Send(request) => assert_eq!(request.header("if-match"), Some("\"3\"")),
            other => panic!("expected the DELETE, got {other:?}"),
        }
    }
}
