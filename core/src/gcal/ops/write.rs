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
/// [`Session::gcal_patch`] or [`Session::gcal_delete`].
pub struct GcalWrite {
    m: Machine<(), WriteResult>,
    calendar_id: String,
}

impl Session {
    /// Inserts an event (events.insert); `event` is the API's JSON event resource.
    pub fn gcal_insert(&self, calendar_id: &str, event: &Value) -> GcalWrite {
        let path = format!("calendars/{}/events", encode_segment(calendar_id));
        let spec = api_url(self, &path).map(|url| Spec::new(Method::Post, url).json(event));
        GcalWrite::start(self, calendar_id, spec)
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
            require_etag(etag)?;
            Ok(Spec::new(Method::Patch, url)
                .header("If-Match", etag.trim())
                .json(patch))
        });
        GcalWrite::start(self, calendar_id, spec)
    }

    /// Deletes an event (events.delete), only if its ETag is still `etag`.
    pub fn gcal_delete(&self, calendar_id: &str, event_id: &str, etag: &str) -> GcalWrite {
        let spec = self.gcal_event_url(calendar_id, event_id).and_then(|url| {
            require_etag(etag)?;
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
        };
        match spec {
            Ok(spec) => op.m.x.send((), spec),
            Err(e) => op.m.fail(e),
        }
        op
    }

    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let result = reply.and_then(|reply| {
            if reply.response.status == 204 {
                return Ok(WriteResult {
                    url: reply.url.to_string(),
                    etag: None,
                    data: None,
                    replaced: false,
                });
            }
            let event = value_reply(&reply)?;
            let id = event.get("id").and_then(Value::as_str).ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "Calendar API: the answer has no event id",
                )
            })?;
            Ok(WriteResult {
                url: event_url(&self.calendar_id, id),
                etag: event.get("etag").and_then(Value::as_str).map(str::to_owned),
                data: Some(event_to_ical(&event)?),
                replaced: false,
            })
        });
        self.m.finish(result);
    }
}

impl_operation!(GcalWrite, WriteResult);
