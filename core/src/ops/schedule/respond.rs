//! Answering an invitation ([`Session::respond`]) in two parts, as the write queue's flush is:
//! [`RespondSteps`] decides, one [`RespondRequest`] at a time (read the object with its
//! `Schedule-Tag`, write the answered copy under it), and [`Respond`] makes each request
//! through the session's own operations ([`Session::get_scheduled`],
//! [`Session::put_scheduled`]). A host whose DAV client is elsewhere can run the steps and
//! answer them with that client's calls of the same names.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpResponse, RequestId};
use crate::icalendar::{CalDateTime, Calendar};
use crate::limits::Limits;
use crate::op::{Operation, Poll, Relay, answered, out_of_turn};
use crate::ops::single::SingleExchange;
use crate::profile::Profile;
use crate::rfc5546::{Answer, attendee};
use crate::session::Session;

use super::{MAX_RESPOND_ATTEMPTS, Responded, ScheduledObject, ScheduledWrite};

/// A call [`RespondSteps`] asks of the server; answer it with the [`RespondAnswer`] of the
/// same kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RespondRequest {
    /// Read the object with its validators ([`Session::get_scheduled`]):
    /// [`RespondAnswer::Read`].
    Read {
        /// The object's URL.
        url: String,
    },
    /// Write the answered copy under `schedule_tag`, else `etag`
    /// ([`Session::put_scheduled`]): [`RespondAnswer::Write`].
    Write {
        /// The object's URL (as the read found it).
        url: String,
        /// The iCalendar text to write.
        data: String,
        /// The `Schedule-Tag` it was read with (`None` where the server ignores it).
        schedule_tag: Option<String>,
        /// The `ETag` it was read with.
        etag: Option<String>,
    },
}

/// What the server answered a [`RespondRequest`].
#[derive(Debug)]
pub enum RespondAnswer {
    /// To [`RespondRequest::Read`].
    Read(Result<ScheduledObject>),
    /// To [`RespondRequest::Write`].
    Write(Result<ScheduledWrite>),
}

/// What [`RespondSteps::poll`] asks for.
#[derive(Debug)]
pub enum RespondNext {
    /// Make this request and give its answer to [`RespondSteps::answer`], then ask again.
    Ask(RespondRequest),
    /// Finished: the same result [`Respond`] gives.
    Done(Result<Responded>),
}

/// The decisions of answering an invitation: read the object, set the user's PARTSTAT on the
/// series or one occurrence ([`attendee::respond`]), write it back under the version read, and
/// after a 412 (the organizer changed the event in between) or a write lost in transit read
/// again and answer the new version, at most [`MAX_RESPOND_ATTEMPTS`] times; a copy that
/// already holds the answer is not written again.
pub struct RespondSteps {
    me: Vec<String>,
    answer: Answer,
    occurrence: Option<CalDateTime>,
    limits: Limits,
    /// The server ignores `If-Schedule-Tag-Match`: write under `If-Match` only.
    tag_ignored: bool,
    url: String,
    attempts: u32,
    /// The text of the last write sent.
    sent: Option<String>,
    /// The error to report when the read after a lost last write shows it was not applied.
    given_up: Option<Error>,
    /// The request to hand out next.
    request: Option<RespondRequest>,
    /// A request was handed out and not answered yet: whether it is the write.
    asked: Option<bool>,
    /// The result, once decided.
    result: Option<Result<Responded>>,
    done: bool,
}

impl std::fmt::Debug for RespondSteps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RespondSteps")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl RespondSteps {
    /// The steps of answering the invitation at `url` for the user (one of `my_addresses`),
    /// on a server of this profile, reading its objects under `limits`.
    pub fn new(
        url: &str,
        my_addresses: &[String],
        answer: &Answer,
        occurrence: Option<&CalDateTime>,
        profile: &Profile,
        limits: Limits,
    ) -> Self {
        let mut steps = RespondSteps {
            me: my_addresses.to_vec(),
            answer: answer.clone(),
            occurrence: occurrence.cloned(),
            limits,
            tag_ignored: super::schedule_tag_ignored(profile),
            url: url.to_owned(),
            attempts: 0,
            sent: None,
            given_up: None,
            request: None,
            asked: None,
            result: None,
            done: false,
        };
        if my_addresses.is_empty() {
            steps.result = Some(Err(Error::new(
                ErrorKind::InvalidInput,
                "the user's calendar-user addresses are needed to find their ATTENDEE",
            )));
        } else {
            steps.read();
        }
        steps
    }

    /// The next request to make, or the result. Called again before the last request was
    /// answered, it ends with an [`ErrorKind::Protocol`] error.
    pub fn poll(&mut self) -> RespondNext {
        if self.done || self.asked.is_some() {
            self.done = true;
            return RespondNext::Done(Err(out_of_turn()));
        }
        if let Some(request) = self.request.take().filter(|_| self.result.is_none()) {
            self.asked = Some(matches!(request, RespondRequest::Write { .. }));
            return RespondNext::Ask(request);
        }
        self.done = true;
        RespondNext::Done(self.result.take().unwrap_or_else(|| Err(out_of_turn())))
    }

    /// The answer to the request [`poll`](RespondSteps::poll) gave last (ignored when no
    /// request is waiting for one, or when it answers a request of another kind).
    pub fn answer(&mut self, answer: RespondAnswer) {
        let outcome = match (self.asked.take(), answer) {
            (Some(false), RespondAnswer::Read(r)) => r.and_then(|object| self.on_read(object)),
            (Some(true), RespondAnswer::Write(r)) => match r {
                Ok(w) => {
                    self.result = Some(Ok(Responded {
                        write: Some(w),
                        attempts: self.attempts,
                        data: self.sent.take().unwrap_or_default(),
                    }));
                    Ok(())
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Transport | ErrorKind::PreconditionFailed
                    ) =>
                {
                    self.again(e)
                }
                Err(e) => Err(e),
            },
            (asked, _) => {
                self.asked = asked;
                Ok(())
            }
        };
        if let Err(e) = outcome {
            self.result = Some(Err(e));
        }
    }

    fn read(&mut self) {
        self.attempts += 1;
        self.request = Some(RespondRequest::Read {
            url: self.url.clone(),
        });
    }

    /// After a 412 or a lost write: read again, unless the attempts are spent. A write lost
    /// in transit is always followed by one more read (a read changes nothing), so that a
    /// write the server did apply is reported as done rather than as a failure.
    fn again(&mut self, error: Error) -> Result<()> {
        let spent = self.attempts >= MAX_RESPOND_ATTEMPTS;
        let given_up = gave_up(&error, self.attempts);
        if spent && error.kind() != ErrorKind::Transport {
            return Err(given_up);
        }
        self.given_up = spent.then_some(given_up);
        self.read();
        Ok(())
    }

    fn on_read(&mut self, object: ScheduledObject) -> Result<()> {
        let mut cal = Calendar::parse_with_limits(&object.data, &self.limits)
            .map_err(|e| Error::from(e).with_url(&object.url))?;
        let me: Vec<&str> = self.me.iter().map(String::as_str).collect();
        let before = cal.clone();
        attendee::respond(&mut cal, &me, &self.answer, self.occurrence.as_ref())
            .map_err(|e| e.with_url(&object.url))?;
        if cal == before {
            self.given_up = None;
            self.result = Some(Ok(Responded {
                write: None,
                attempts: self.attempts,
                data: object.data,
            }));
            return Ok(());
        }
        if let Some(e) = self.given_up.take() {
            // the read after a lost last write shows it was not applied
            return Err(e);
        }
        let tag = object
            .schedule_tag
            .filter(|t| !self.tag_ignored && !t.trim().is_empty());
        let etag = object.etag.filter(|e| !e.trim().is_empty());
        if tag.is_none() && etag.is_none() {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the server sent neither a Schedule-Tag nor an ETag with the object, so it \
                 cannot be written conditionally",
            )
            .with_url(&object.url));
        }
        let data = cal.to_ics_with_timezones();
        self.sent = Some(data.clone());
        self.request = Some(RespondRequest::Write {
            url: object.url,
            data,
            schedule_tag: tag,
            etag,
        });
        Ok(())
    }
}

/// `error` with "gave up after N attempts" added (kind, status and URL kept).
fn gave_up(error: &Error, attempts: u32) -> Error {
    let msg = format!("{} (gave up after {attempts} attempts)", error.message());
    let mut e = Error::new(error.kind(), msg);
    if let Some(s) = error.status() {
        e = e.with_status(s);
    }
    if let Some(u) = error.url() {
        e = e.with_url(u);
    }
    e
}

/// A [`RespondRequest`] being made by the session's own operation.
enum Inner {
    Read(SingleExchange<ScheduledObject>),
    Write(SingleExchange<ScheduledWrite>),
}

impl Inner {
    fn start(request: RespondRequest, session: &Session) -> Inner {
        match request {
            RespondRequest::Read { url } => Inner::Read(session.get_scheduled(&url)),
            RespondRequest::Write {
                url,
                data,
                schedule_tag,
                etag,
            } => Inner::Write(session.put_scheduled(
                &url,
                &data,
                schedule_tag.as_deref(),
                etag.as_deref(),
            )),
        }
    }
}

impl Operation for Inner {
    type Output = RespondAnswer;

    fn poll(&mut self) -> Poll<RespondAnswer> {
        match self {
            Inner::Read(op) => answered(op.poll(), RespondAnswer::Read),
            Inner::Write(op) => answered(op.poll(), RespondAnswer::Write),
        }
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        match self {
            Inner::Read(op) => op.handle_response(id, response),
            Inner::Write(op) => op.handle_response(id, response),
        }
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        match self {
            Inner::Read(op) => op.handle_transport_error(id, error),
            Inner::Write(op) => op.handle_transport_error(id, error),
        }
    }
}

/// Answers an invitation; create it with [`Session::respond`]. It runs [`RespondSteps`],
/// making each of its requests through the session's operations.
pub struct Respond {
    steps: RespondSteps,
    session: Session,
    relay: Relay<Inner>,
}

impl std::fmt::Debug for Respond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Respond")
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl Respond {
    pub(super) fn new(steps: RespondSteps, session: Session) -> Self {
        Respond {
            steps,
            session,
            relay: Relay::new(),
        }
    }
}

impl Operation for Respond {
    type Output = Responded;

    fn poll(&mut self) -> Poll<Responded> {
        loop {
            match self.relay.poll() {
                Some(Poll::Done(Ok(answer))) => self.steps.answer(answer),
                Some(Poll::Done(Err(e))) => return Poll::Done(Err(e)),
                Some(Poll::Send(request)) => return Poll::Send(request),
                Some(Poll::Wait) => return Poll::Wait,
                None => {}
            }
            match self.steps.poll() {
                RespondNext::Ask(request) => {
                    self.relay.start(Inner::start(request, &self.session));
                }
                RespondNext::Done(result) => return Poll::Done(result),
            }
        }
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        self.relay.handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        self.relay.handle_transport_error(id, error);
    }
}
