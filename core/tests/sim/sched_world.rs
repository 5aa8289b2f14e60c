//! The world of a scheduling history: the model scheduling server of `sched_server.rs`, the
//! faults around it (a request lost before the server sees it, a response lost after the
//! server applied the request, 503), crashes of the app between any two requests, and the
//! other devices: alice's other device updating or cancelling a meeting, bob's phone and carol
//! answering, concurrently with the app's requests on the same meeting and between steps.

use std::cell::RefCell;
use std::future::{Future, ready};
use std::rc::Rc;

use davkit::contentline::Property;
use davkit::icalendar::{CalAddress, Calendar};
use davkit::rfc5546::{Answer, attendee, organizer};
use davkit::{Error, ErrorKind, HttpRequest, HttpResponse, Transport};

use crate::sched_server::{Sched, USERS, Writer, address};
use davkit_testkit::Rng;

/// A lost request or response, or a refusal, injected around one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedFault {
    /// The connection fails before the server sees the request.
    LostRequest,
    /// The server applies the request, then the response is lost.
    LostResponse,
    /// 503, nothing applied.
    Unavailable,
}

pub struct SchedWorld {
    pub server: Sched,
    pub faults: Rng,
    pub fault_per_mille: u32,
    pub devices: Rng,
    pub concurrent_per_mille: u32,
    /// The app crashes after this many more requests (the ones after it never arrive).
    pub crash_in: Option<usize>,
    pub verbose: bool,
    pub requests: u64,
    /// Writes made by devices so far (their markers are `d{n}`).
    device_edits: u64,
}

impl SchedWorld {
    pub fn new(server: Sched, rng: &mut Rng, fault_per_mille: u32, concurrent: u32) -> Self {
        SchedWorld {
            server,
            faults: rng.fork(11),
            fault_per_mille,
            devices: rng.fork(12),
            concurrent_per_mille: concurrent,
            crash_in: None,
            verbose: false,
            requests: 0,
            device_edits: 0,
        }
    }

    /// Another device acts on a meeting: alice's other device updates (significantly or
    /// not) or, rarely, cancels it; bob's phone or carol answers.
    pub fn device_act(&mut self, uid: &str) {
        let roll = self.devices.below(100);
        let what = match roll {
            0..=34 => {
                let Some(old) = self.server.copy(USERS[0], uid).map(|c| c.data.clone()) else {
                    return;
                };
                self.device_edits += 1;
                let significant = self.devices.chance(500);
                let marker = format!("d{}", self.device_edits);
                let minutes = 200 + self.device_edits;
                let Ok(new) = organizer_edit(&old, uid, &marker, significant.then_some(minutes))
                else {
                    return;
                };
                self.server.organizer_write(uid, Some(new), Writer::Device);
                self.server.stat("device: organizer updates");
                format!("alice's other device updates {uid} (significant: {significant})")
            }
            35..=37 => {
                if self.server.copy(USERS[0], uid).is_none() {
                    return;
                }
                self.server.organizer_write(uid, None, Writer::Device);
                self.server.stat("device: organizer cancels");
                format!("alice's other device cancels {uid}")
            }
            _ => {
                let user = if roll < 70 { USERS[1] } else { USERS[2] };
                let Some(old) = self.server.copy(user, uid).map(|c| c.data.clone()) else {
                    return;
                };
                let answer = random_answer(&mut self.devices, false);
                let Ok(mut cal) = Calendar::parse(&old) else {
                    return;
                };
                let me = address(user);
                if attendee::respond(&mut cal, &[me.as_str()], &answer, None).is_err() {
                    return;
                }
                let new = cal.to_ics();
                if new == old {
                    return;
                }
                self.server.attendee_write(user, uid, new, Writer::Device);
                self.server.stat("device: answers");
                format!("{user}'s other device answers {uid}: {answer:?}")
            }
        };
        if self.verbose {
            eprintln!("    device: {what}");
        }
    }

    pub fn handle(&mut self, req: HttpRequest) -> davkit::Result<HttpResponse> {
        if let Some(left) = &mut self.crash_in {
            if *left == 0 {
                return Err(Error::new(ErrorKind::Transport, "sim: the app crashed"));
            }
            *left -= 1;
        }
        self.requests += 1;
        if let Some((_, Some(uid))) = Sched::target(&req.url)
            && self.devices.chance(self.concurrent_per_mille)
        {
            self.server.stat("device changes during a request");
            self.device_act(&uid);
        }
        let fault = self.faults.chance(self.fault_per_mille).then(|| {
            *self
                .faults
                .pick(&[
                    SchedFault::LostRequest,
                    SchedFault::LostResponse,
                    SchedFault::Unavailable,
                ])
                .unwrap_or(&SchedFault::LostRequest)
        });
        if let Some(f) = fault {
            self.server.stat(&format!("fault: {f:?}"));
        }
        let result = match fault {
            Some(SchedFault::LostRequest) => {
                Err(Error::new(ErrorKind::Transport, "connection refused (sim)"))
            }
            Some(SchedFault::Unavailable) => {
                Ok(HttpResponse::new(503, "").with_header("Retry-After", "0"))
            }
            Some(SchedFault::LostResponse) => {
                let _ = self.server.handle(&req);
                Err(Error::new(
                    ErrorKind::Transport,
                    "connection reset after the request was sent (sim)",
                ))
            }
            None => Ok(self.server.handle(&req)),
        };
        if self.verbose {
            let conds: Vec<String> = ["if-match", "if-schedule-tag-match", "if-none-match"]
                .iter()
                .filter_map(|h| req.header(h).map(|v| format!(" {h}={v}")))
                .collect();
            let outcome = match &result {
                Ok(r) => r.status.to_string(),
                Err(e) => e.message().to_owned(),
            };
            eprintln!(
                "    {} {}{} -> {outcome}",
                req.method,
                req.url.trim_start_matches(crate::sched_server::ORIGIN),
                conds.join("")
            );
        }
        result
    }
}

/// An answer at random (a delegation one time in twenty when `delegate`).
pub fn random_answer(rng: &mut Rng, delegate: bool) -> Answer {
    match rng.below(20) {
        0 if delegate => Answer::Delegated {
            to: "mailto:dave@sched.sim.test".into(),
        },
        0..=7 => Answer::Accepted,
        8..=14 => Answer::Declined,
        _ => Answer::Tentative,
    }
}

/// The organizer's edit of a meeting, as alice's apps make it: LOCATION set to `Room
/// {marker}`, an `X-SIM-INTENT:{marker}` line added (so a later read tells whether the edit
/// is in), DURATION set to `minutes` (a significant change) when given; then SEQUENCE and
/// DTSTAMP by davkit ([`organizer::update`]), answers reset on a significant change.
pub fn organizer_edit(
    old: &str,
    uid: &str,
    marker: &str,
    minutes: Option<u64>,
) -> davkit::Result<String> {
    let before =
        Calendar::parse(old).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
    let mut new = before.clone();
    {
        let mut m = new
            .find_mut(uid, None)
            .ok_or_else(|| Error::new(ErrorKind::Protocol, "no master"))?;
        let c = m.component();
        c.set_property(Property::new("LOCATION", &format!("Room {marker}")));
        c.push_property(Property::new("X-SIM-INTENT", marker));
        if let Some(minutes) = minutes {
            c.set_property(Property::new("DURATION", &format!("PT{minutes}M")));
        }
    }
    organizer::update(&before, &mut new, "20270101T000000Z", true)?;
    Ok(new.to_ics())
}

/// A new meeting by alice for bob and carol (recurring when `daily`), written by davkit's
/// [`organizer::invite`].
pub fn new_meeting(uid: &str, marker: &str, daily: bool) -> davkit::Result<String> {
    let rrule = if daily {
        "RRULE:FREQ=DAILY;COUNT=5\r\n"
    } else {
        ""
    };
    let text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sim//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20270101T000000Z\r\nDTSTART:20270104T090000Z\r\nDURATION:PT1H\r\n{rrule}\
         SUMMARY:Meeting {uid}\r\nLOCATION:Room {marker}\r\nX-SIM-INTENT:{marker}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let mut cal =
        Calendar::parse(&text).map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))?;
    let attendees: Vec<CalAddress> = USERS[1..]
        .iter()
        .map(|u| CalAddress::from_email(&format!("{u}@sched.sim.test")))
        .collect();
    organizer::invite(
        &mut cal,
        &CalAddress::from_email(&format!("{}@sched.sim.test", USERS[0])),
        &attendees,
        "20270101T000000Z",
    )?;
    Ok(cal.to_ics())
}

/// The transport davkit sends through: every future is ready at once.
#[derive(Clone)]
pub struct SchedTransport(pub Rc<RefCell<SchedWorld>>);

impl Transport for SchedTransport {
    fn send(&self, request: HttpRequest) -> impl Future<Output = davkit::Result<HttpResponse>> {
        ready(self.0.borrow_mut().handle(request))
    }

    fn sleep(&self, _ms: u64) -> impl Future<Output = bool> {
        ready(true)
    }
}
