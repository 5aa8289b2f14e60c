//! Scheduling over the Calendar API v3: the attendees of an event and their
//! `responseStatus` (events.patch with `sendUpdates`), an attendee's answer written back
//! under the event's ETag with a re-read and retry after a 412, and busy time of several
//! calendars (freeBusy.query), returned as the same typed rows as CalDAV's outbox free-busy
//! ([`RecipientFreeBusy`]).
//!
//! What the API does not have is refused before any request with
//! [`ErrorKind::Unsupported`]: delegation (no DELEGATED-TO in the API's attendee resource).
//! Google's CalDAV endpoint answers no free-busy (server-profiles: "No free-busy lookup",
//! free-busy-query unsupported), so [`Session::free_busy_query`] and
//! [`Session::outbox_free_busy`] refuse it there; use [`Session::gcal_free_busy`].
//!
//! Patching `attendees` replaces the whole list (the API's patch semantics for arrays), so
//! every write here sends the full list as read or as given.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ops::{value_reply, written};
use crate::client::{DavClient, TokenProvider};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href::encode_segment;
use crate::http::Method;
use crate::model::WriteResult;
use crate::op::Transport;
use crate::ops::freebusy::{FbType, RecipientFreeBusy, merge, parse_utc};
use crate::ops::single::SingleExchange;
use crate::ops::write::require_etag;
use crate::rfc5546::{Answer, AttendeeStatus, PartStat, ScheduleAgent};
use crate::session::Session;

/// Most calendars one freeBusy.query may name (the API's `calendarExpansionMax` maximum).
pub const MAX_FREE_BUSY_CALENDARS: usize = 50;

/// Most times [`Session::gcal_respond`] reads and writes when the organizer keeps changing
/// the event.
pub const MAX_GCAL_RESPOND_ATTEMPTS: u32 = 3;

/// Who Google notifies about a change (`sendUpdates`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "kebab-case")]
pub enum SendUpdates {
    /// `all`: every guest.
    All,
    /// `externalOnly`: only guests who do not use Google Calendar (they get iMIP mail).
    ExternalOnly,
    /// `none` (the API's default): nobody; the change only shows in Google Calendar.
    #[default]
    None,
}

impl SendUpdates {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            SendUpdates::All => "all",
            SendUpdates::ExternalOnly => "externalOnly",
            SendUpdates::None => "none",
        }
    }
}

/// One attendee as the Calendar API writes it (`attendees[]` of an event).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct GcalAttendee {
    /// The e-mail address (required).
    pub email: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `optional`: an optional attendee (ROLE=OPT-PARTICIPANT).
    #[serde(default)]
    pub optional: bool,
    /// `responseStatus`: `needsAction` (default for a new attendee), `accepted`, `declined`,
    /// `tentative`.
    #[serde(default)]
    pub response_status: Option<String>,
}

impl GcalAttendee {
    fn to_json(&self) -> Value {
        let mut v = json!({ "email": self.email.trim() });
        if let Some(n) = &self.display_name {
            v["displayName"] = json!(n);
        }
        if self.optional {
            v["optional"] = json!(true);
        }
        v["responseStatus"] = json!(self.response_status.as_deref().unwrap_or("needsAction"));
        v
    }
}

/// The `responseStatus` of an answer; delegation has none (the API has no delegation).
pub fn response_status(answer: &Answer) -> Result<&'static str> {
    match answer {
        Answer::Accepted => Ok("accepted"),
        Answer::Declined => Ok("declined"),
        Answer::Tentative => Ok("tentative"),
        Answer::Delegated { .. } => Err(Error::new(
            ErrorKind::Unsupported,
            "the Google Calendar API has no delegation (no DELEGATED-TO in its attendee resource)",
        )),
    }
}

/// Each attendee of an event resource (the API's JSON) as the same typed row CalDAV gives
/// ([`AttendeeStatus`]): address `mailto:` + email, PARTSTAT from `responseStatus`, no
/// SCHEDULE-STATUS (the API reports none). The recurrence id is the event's
/// `originalStartTime` for an instance.
pub fn attendee_statuses(event: &Value) -> Vec<AttendeeStatus> {
    let rid = event
        .get("originalStartTime")
        .and_then(|o| o.get("dateTime").or_else(|| o.get("date")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let list = event.get("attendees").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|a| {
            let email = a.get("email").and_then(Value::as_str)?;
            let status = a
                .get("responseStatus")
                .and_then(Value::as_str)
                .unwrap_or("");
            Some(AttendeeStatus {
                recurrence_id: rid.clone(),
                address: format!("mailto:{email}"),
                name: a
                    .get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                partstat: match status {
                    "accepted" => PartStat::Accepted,
                    "declined" => PartStat::Declined,
                    "tentative" => PartStat::Tentative,
                    "needsAction" | "" => PartStat::NeedsAction,
                    other => PartStat::Other(other.to_owned()),
                },
                rsvp: status == "needsAction",
                schedule_agent: ScheduleAgent::Server,
                schedule_status: Vec::new(),
                delegated_to: Vec::new(),
                delegated_from: Vec::new(),
            })
        })
        .collect()
}

fn event_path(calendar_id: &str, event_id: &str) -> Result<String> {
    if event_id.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "an event id is required",
        ));
    }
    Ok(format!(
        "calendars/{}/events/{}",
        encode_segment(calendar_id),
        encode_segment(event_id)
    ))
}

fn patch_spec(
    session: &Session,
    calendar_id: &str,
    event_id: &str,
    attendees: &Value,
    etag: &str,
    send: SendUpdates,
) -> Result<Spec> {
    require_etag(etag)?;
    let mut url = session.url(&event_path(calendar_id, event_id)?)?;
    url.query_pairs_mut()
        .append_pair("sendUpdates", send.as_str());
    Ok(Spec::new(Method::Patch, url)
        .header("If-Match", etag.trim())
        .json(&json!({ "attendees": attendees })))
}

impl Session {
    /// Sets the attendees of an event the user organizes (events.patch of `attendees`, the
    /// whole list, under `If-Match: etag`), and has Google notify them as `send` says. A new
    /// attendee without a `response_status` is written `needsAction`. Empty or control-bearing
    /// e-mails are an [`ErrorKind::InvalidInput`] error before anything is sent; a stale ETag
    /// is [`ErrorKind::PreconditionFailed`]; an answer that is an HTML page (a login proxy's)
    /// is an [`ErrorKind::Transport`] error, its outcome unknown.
    pub fn gcal_set_attendees(
        &self,
        calendar_id: &str,
        event_id: &str,
        attendees: &[GcalAttendee],
        etag: &str,
        send: SendUpdates,
    ) -> SingleExchange<WriteResult> {
        let checked = attendees
            .iter()
            .try_for_each(|a| crate::rfc5546::checked_address(&a.email).map(|_| ()));
        let list: Vec<Value> = attendees.iter().map(GcalAttendee::to_json).collect();
        let spec =
            checked.and_then(|_| patch_spec(self, calendar_id, event_id, &json!(list), etag, send));
        let cid = calendar_id.to_owned();
        let max = self.ctx.limits.max_json_values;
        match spec {
            Ok(spec) => SingleExchange::new(self.ctx.clone(), spec, move |r| {
                written(&cid, &r, max, false)
            }),
            Err(e) => SingleExchange::failed(self.ctx.clone(), e),
        }
    }

    /// Answers an invitation in the user's Google calendar: reads the event (for one
    /// occurrence, pass the instance's id), sets the `responseStatus` of the attendee marked
    /// `self` (or with the e-mail `my_email`), and patches the attendee list back under the
    /// ETag it read, notifying as `send` says. After a 412 (the organizer changed the event)
    /// it reads and answers again, at most [`MAX_GCAL_RESPOND_ATTEMPTS`] times; an event that
    /// already holds the answer is not written. Delegation is
    /// [`ErrorKind::Unsupported`] before any request.
    pub fn gcal_respond(
        &self,
        calendar_id: &str,
        event_id: &str,
        my_email: &str,
        answer: &Answer,
        send: SendUpdates,
    ) -> GcalRespond {
        GcalRespond::new(self, calendar_id, event_id, my_email, answer, send)
    }

    /// Busy time of several calendars (or users' primary calendars, by e-mail) between
    /// `start` and `end` (UTC, `YYYYMMDDTHHMMSSZ`) with freeBusy.query: one row per calendar
    /// asked, in the order asked, with `request_status` `2.0` and the busy periods (clipped to
    /// the window, merged), or the API's error reasons and `ok` false (a calendar the user
    /// may not see answers `notFound`). More than [`MAX_FREE_BUSY_CALENDARS`] calendars, none,
    /// or a bad window is [`ErrorKind::InvalidInput`] before anything is sent.
    pub fn gcal_free_busy(
        &self,
        start: &str,
        end: &str,
        calendars: &[String],
    ) -> SingleExchange<Vec<RecipientFreeBusy>> {
        let plan = (|| {
            let window = match (parse_utc(start), parse_utc(end)) {
                (Some(s), Some(e)) if s < e => (s, e),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "a free-busy window is two UTC times YYYYMMDDTHHMMSSZ, start before end",
                    ));
                }
            };
            if calendars.is_empty() || calendars.len() > MAX_FREE_BUSY_CALENDARS {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("freeBusy.query takes 1 to {MAX_FREE_BUSY_CALENDARS} calendars"),
                ));
            }
            for c in calendars {
                crate::rfc5546::checked_address(c)?;
            }
            let body = json!({
                "timeMin": window.0.to_string(),
                "timeMax": window.1.to_string(),
                "items": calendars.iter().map(|c| json!({ "id": c.trim() })).collect::<Vec<_>>(),
            });
            let url = self.url("freeBusy")?;
            Ok((Spec::new(Method::Post, url).json(&body), window))
        })();
        let (spec, window) = match plan {
            Ok(p) => p,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let asked: Vec<String> = calendars.iter().map(|c| c.trim().to_owned()).collect();
        let max = self.ctx.limits.max_json_values;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            let v = value_reply(&reply, max)?;
            read_free_busy(&v, &asked, window).map_err(|e| e.with_url(reply.url.as_str()))
        })
    }
}

fn read_free_busy(
    v: &Value,
    asked: &[String],
    window: (Timestamp, Timestamp),
) -> Result<Vec<RecipientFreeBusy>> {
    let calendars = v
        .get("calendars")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "Calendar API: freeBusy answer without calendars",
            )
        })?;
    let mut out = Vec::with_capacity(asked.len());
    for id in asked {
        let Some(entry) = calendars.get(id) else {
            out.push(RecipientFreeBusy {
                recipient: id.clone(),
                request_status: "5.1;not in the answer".into(),
                ok: false,
                busy: Vec::new(),
            });
            continue;
        };
        let reasons: Vec<String> = entry
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("reason").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if !reasons.is_empty() {
            out.push(RecipientFreeBusy {
                recipient: id.clone(),
                request_status: format!("3.7;{}", reasons.join(",")),
                ok: false,
                busy: Vec::new(),
            });
            continue;
        }
        let list = entry.get("busy").and_then(Value::as_array);
        if list.map_or(0, Vec::len) > crate::ops::freebusy::MAX_BUSY_PERIODS {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                "more busy periods than MAX_BUSY_PERIODS",
            ));
        }
        let mut raw = Vec::new();
        for p in list.into_iter().flatten() {
            let t = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .and_then(crate::icalendar::read_time::rfc3339)
            };
            let (Some(s), Some(e)) = (t("start"), t("end")) else {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "Calendar API: a busy period without a readable start and end",
                ));
            };
            let (s, e) = (s.max(window.0), e.min(window.1));
            if s < e {
                raw.push((s, e, FbType::Busy));
            }
        }
        out.push(RecipientFreeBusy {
            recipient: id.clone(),
            request_status: "2.0;Success".into(),
            ok: true,
            busy: merge(raw),
        });
    }
    Ok(out)
}

#[derive(Debug)]
enum Step {
    Read,
    Write,
}

/// What [`Session::gcal_respond`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct GcalResponded {
    /// The patched event, or `None` when it already held the answer.
    pub write: Option<WriteResult>,
    /// How many times the event was read.
    pub attempts: u32,
}

/// Answers a Google invitation; create it with [`Session::gcal_respond`].
pub struct GcalRespond {
    m: Machine<Step, GcalResponded>,
    calendar_id: String,
    event_id: String,
    me: String,
    status: &'static str,
    send: SendUpdates,
    attempts: u32,
    session: Session,
}

impl std::fmt::Debug for GcalRespond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcalRespond")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl GcalRespond {
    fn new(
        session: &Session,
        calendar_id: &str,
        event_id: &str,
        my_email: &str,
        answer: &Answer,
        send: SendUpdates,
    ) -> GcalRespond {
        let mut op = GcalRespond {
            m: Machine::new(session.ctx.clone()),
            calendar_id: calendar_id.to_owned(),
            event_id: event_id.to_owned(),
            me: my_email.trim().to_ascii_lowercase(),
            status: "",
            send,
            attempts: 0,
            session: session.clone(),
        };
        match response_status(answer) {
            Ok(s) => {
                op.status = s;
                op.read();
            }
            Err(e) => op.m.fail(e),
        }
        op
    }

    fn read(&mut self) {
        let url = event_path(&self.calendar_id, &self.event_id).and_then(|p| self.session.url(&p));
        match url {
            Ok(u) => {
                self.attempts += 1;
                self.m.x.send(Step::Read, Spec::new(Method::Get, u));
            }
            Err(e) => self.m.fail(e),
        }
    }

    fn on_reply(&mut self, step: Step, reply: Result<Reply>) {
        let max = self.m.x.ctx().limits.max_json_values;
        let outcome = match (step, reply) {
            (_, Err(e)) => Err(e),
            (Step::Read, Ok(r)) => self.on_read(&r),
            (Step::Write, Ok(r)) if r.response.status == 412 => {
                if self.attempts >= MAX_GCAL_RESPOND_ATTEMPTS {
                    Err(super::api_error(r.url.as_str(), &r.response))
                } else {
                    self.read();
                    Ok(())
                }
            }
            (Step::Write, Ok(r)) => written(&self.calendar_id, &r, max, false).map(|w| {
                self.m.finish(Ok(GcalResponded {
                    write: Some(w),
                    attempts: self.attempts,
                }))
            }),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    fn on_read(&mut self, reply: &Reply) -> Result<()> {
        let event = value_reply(reply, self.m.x.ctx().limits.max_json_values)?;
        let etag = event
            .get("etag")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::new(ErrorKind::Protocol, "Calendar API: the event has no etag"))?
            .to_owned();
        let mut attendees: Vec<Value> = event
            .get("attendees")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let me = &self.me;
        let mine = attendees.iter_mut().find(|a| {
            a.get("self").and_then(Value::as_bool) == Some(true)
                || a.get("email")
                    .and_then(Value::as_str)
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case(me))
        });
        let Some(mine) = mine else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the user is not an attendee of this event",
            )
            .with_url(reply.url.as_str()));
        };
        if mine.get("responseStatus").and_then(Value::as_str) == Some(self.status) {
            self.m.finish(Ok(GcalResponded {
                write: None,
                attempts: self.attempts,
            }));
            return Ok(());
        }
        mine["responseStatus"] = json!(self.status);
        let spec = patch_spec(
            &self.session,
            &self.calendar_id,
            &self.event_id,
            &json!(attendees),
            &etag,
            self.send,
        )?;
        self.m.x.send(Step::Write, spec);
        Ok(())
    }
}

impl_operation!(GcalRespond, GcalResponded);

impl<T: Transport, P: TokenProvider> DavClient<T, P> {
    /// Sets an event's attendees and notifies them: [`Session::gcal_set_attendees`].
    pub async fn gcal_set_attendees(
        &self,
        calendar_id: &str,
        event_id: &str,
        attendees: &[GcalAttendee],
        etag: &str,
        send: SendUpdates,
    ) -> Result<WriteResult> {
        self.run(|s| s.gcal_set_attendees(calendar_id, event_id, attendees, etag, send))
            .await
    }

    /// Answers a Google invitation with re-read and retry: [`Session::gcal_respond`].
    pub async fn gcal_respond(
        &self,
        calendar_id: &str,
        event_id: &str,
        my_email: &str,
        answer: &Answer,
        send: SendUpdates,
    ) -> Result<GcalResponded> {
        self.run(|s| s.gcal_respond(calendar_id, event_id, my_email, answer, send))
            .await
    }

    /// Busy time of several calendars: [`Session::gcal_free_busy`].
    pub async fn gcal_free_busy(
        &self,
        start: &str,
        end: &str,
        calendars: &[String],
    ) -> Result<Vec<RecipientFreeBusy>> {
        self.run(|s| s.gcal_free_busy(start, end, calendars)).await
    }
}
