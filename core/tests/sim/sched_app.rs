//! The two apps of a scheduling history, each a `DavClient` over the simulated scheduling
//! server: alice's organizer app (creates, updates and cancels meetings with the normal
//! conditional writes, SEQUENCE and DTSTAMP by `rfc5546::organizer`) and bob's attendee app
//! (lists pending invitations, answers the series or one occurrence with `respond`, which
//! writes under `If-Schedule-Tag-Match`). What each app means to do is an intent stored on
//! its "disk" before the first request; a crash between any two requests leaves the intent
//! there and the restarted app carries it out again.
//!
//! Invariants (S1 to S3 are checked by the server as writes are applied, `sched_server.rs`):
//!
//! - S1. No attendee write overwrites a newer organizer version: every attendee copy written
//!   carries the organizer's latest SEQUENCE, DTSTART, DURATION, LOCATION and STATUS.
//! - S2. SEQUENCE only grows, in the organizer's copy and in every attendee's.
//! - S3. Nothing is applied twice: an organizer intent is written at most once (its marker
//!   line is never added by two writes); an answer never rewrites the version it finds.
//! - S4. Nothing is lost: an organizer intent reported done was written by one applied write;
//!   an answer reported done is the copy's data until someone else changes it, and holds the
//!   answer; every pending invitation is listed, with the server's data and Schedule-Tag;
//!   after the end (faults, devices and crashes stopped) every intent is done and every
//!   attendee copy is the organizer's latest version.

use std::cell::RefCell;
use std::rc::Rc;

use davkit::icalendar::{CalDateTime, Calendar};
use davkit::ops::schedule::{RespondAnswer, RespondNext, RespondRequest, RespondSteps, Responded};
use davkit::rfc5546::{Answer, attendee};
use davkit::{Config, Credentials, DavClient, ErrorKind, RetryPolicy};

use crate::client::block_on;
use crate::invariants::{Violation, fail};
use crate::sched_server::{
    ORIGIN, USERS, Writer, address, calendar_url, fields, object_url, partstat,
};
use crate::sched_world::{SchedTransport, SchedWorld, new_meeting, organizer_edit, random_answer};
use davkit_testkit::Rng;

/// What alice's app means to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgKind {
    Create { daily: bool },
    Update { minutes: Option<u64> },
    Cancel,
}

#[derive(Clone, Debug)]
pub struct OrgIntent {
    pub id: u64,
    pub uid: String,
    pub kind: OrgKind,
    /// How it ended: `None` while pending.
    pub done: Option<&'static str>,
}

/// What bob's app means to do.
#[derive(Clone, Debug)]
pub struct BobIntent {
    pub uid: String,
    pub answer: Answer,
    /// RECURRENCE-ID of the occurrence answered (`None`: the series).
    pub occurrence: Option<String>,
    pub done: bool,
}

pub struct SchedApp {
    pub world: Rc<RefCell<SchedWorld>>,
    alice: DavClient<SchedTransport>,
    bob: DavClient<SchedTransport>,
    pub rng: Rng,
    pub org: Vec<OrgIntent>,
    pub answers: Vec<BobIntent>,
    pub crash_per_mille: u32,
    /// Bob's app answers carelessly (the harness's own test): it answers the copy it read
    /// first and writes it under the validators of a second read.
    pub careless: bool,
    /// Bob's answers run through `RespondSteps`, each request a client call of its own (as
    /// the npm package's formats module would ask the protocol module's client), not
    /// `DavClient::respond`.
    pub by_steps: bool,
    next_id: u64,
    /// Operations by outcome.
    pub outcomes: std::collections::BTreeMap<String, u64>,
}

fn client(world: &Rc<RefCell<SchedWorld>>, user: &str, retries: u32) -> DavClient<SchedTransport> {
    let mut config = Config::new(format!("{ORIGIN}/dav/{user}/"), Credentials::None);
    config.retry = RetryPolicy {
        max_retries: retries,
        initial_delay_ms: 10,
        max_delay_ms: 100,
    };
    DavClient::new(config, SchedTransport(world.clone())).expect("a valid configuration")
}

impl SchedApp {
    pub fn new(world: Rc<RefCell<SchedWorld>>, rng: Rng, retries: u32) -> SchedApp {
        SchedApp {
            alice: client(&world, USERS[0], retries),
            bob: client(&world, USERS[1], retries),
            world,
            rng,
            org: Vec::new(),
            answers: Vec::new(),
            crash_per_mille: 0,
            careless: false,
            by_steps: false,
            next_id: 0,
            outcomes: Default::default(),
        }
    }

    fn outcome(&mut self, what: String) {
        if self.world.borrow().verbose {
            eprintln!("  = {what}");
        }
        *self.outcomes.entry(what).or_default() += 1;
    }

    fn verbose(&self) -> bool {
        self.world.borrow().verbose
    }

    /// Arms a crash within the next few requests, sometimes.
    fn maybe_crash(&mut self) {
        if self.rng.chance(self.crash_per_mille) {
            self.world.borrow_mut().crash_in = Some(self.rng.below(4));
        }
    }

    /// Whether the app crashed during the last operation (and restarts).
    fn crashed(&mut self) -> bool {
        let crashed = self.world.borrow_mut().crash_in.take() == Some(0);
        if crashed {
            self.outcome("app crashed and restarted".into());
        }
        crashed
    }

    /// The UIDs of the meetings on the server (alive or cancelled).
    pub fn meetings(&self) -> Vec<String> {
        self.world
            .borrow()
            .server
            .meetings
            .keys()
            .cloned()
            .collect()
    }

    /// The server's check of S1 to S3, as it applied writes.
    pub fn server_violation(&self) -> Result<(), Violation> {
        match &self.world.borrow().server.violation {
            Some(v) => Err(v.clone()),
            None => Ok(()),
        }
    }

    // ---- alice, the organizer ----

    /// Records a new organizer intent on the disk and carries it out.
    pub fn organize(&mut self, kind: OrgKind, uid: Option<String>) -> Result<(), Violation> {
        self.next_id += 1;
        let id = self.next_id;
        let uid = uid.unwrap_or_else(|| format!("m{id}"));
        self.org.push(OrgIntent {
            id,
            uid,
            kind,
            done: None,
        });
        self.run_org(self.org.len() - 1)
    }

    /// Carries out organizer intent `i`: read the organizer's copy; done if it is gone (for an
    /// update or a cancel) or already holds the intent's marker; else write with `If-Match`
    /// (or `If-None-Match` to create) and read again after a 412 or a lost answer.
    fn run_org(&mut self, i: usize) -> Result<(), Violation> {
        let OrgIntent { id, uid, kind, .. } = self.org[i].clone();
        let marker = format!("a{id}");
        let url = object_url(USERS[0], &uid);
        if self.verbose() {
            eprintln!(" alice: {kind:?} {uid} ({marker})");
        }
        self.maybe_crash();
        let mut done = None;
        for _ in 0..4 {
            let read = block_on(self.alice.get_object(&url));
            let obj = match read {
                Ok(o) => Some(o),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => {
                    self.outcome(format!("organizer read failed: {}", e.kind()));
                    break;
                }
            };
            let written = match (&kind, obj) {
                (OrgKind::Create { daily }, None) => {
                    let data = new_meeting(&uid, &marker, *daily).map_err(|e| Violation {
                        invariant: 0,
                        what: format!("new meeting: {e}"),
                    })?;
                    let cal = calendar_url(USERS[0]);
                    block_on(self.alice.create_object(&cal, &format!("{uid}.ics"), &data))
                        .map(|_| ())
                }
                (OrgKind::Create { .. }, Some(_)) => {
                    done = Some("created");
                    break;
                }
                (_, None) => {
                    done = Some("meeting gone");
                    break;
                }
                (_, Some(o)) if o.data.as_deref().is_some_and(|d| has_marker(d, &marker)) => {
                    done = Some("written");
                    break;
                }
                (OrgKind::Update { minutes }, Some(o)) => {
                    let data = o.data.unwrap_or_default();
                    let new =
                        organizer_edit(&data, &uid, &marker, *minutes).map_err(|e| Violation {
                            invariant: 0,
                            what: format!("organizer edit of {uid}: {e}"),
                        })?;
                    let (old, now) = (fields(&data), fields(&new));
                    // significant when DURATION really changed (it may already be `minutes`)
                    let significant = old.duration != now.duration;
                    let (before, after) = (old.sequence, now.sequence);
                    if after < before || (significant && after <= before) {
                        return fail(
                            2,
                            format!(
                                "organizer::update wrote SEQUENCE {after} over {before} \
                                 (significant: {significant})"
                            ),
                        );
                    }
                    let etag = o.etag.unwrap_or_default();
                    block_on(self.alice.update_object(&url, &new, &etag)).map(|_| ())
                }
                (OrgKind::Cancel, Some(o)) => {
                    let etag = o.etag.unwrap_or_default();
                    block_on(self.alice.delete_object(&url, &etag))
                }
            };
            match written {
                Ok(()) => {
                    done = Some(if kind == OrgKind::Cancel {
                        "meeting gone"
                    } else {
                        "written"
                    });
                    break;
                }
                Err(e) if e.status() == Some(403) && matches!(kind, OrgKind::Create { .. }) => {
                    // the UID of a meeting cancelled (by another device) after a create
                    // whose answer was lost
                    done = Some("meeting gone");
                    break;
                }
                Err(e) => {
                    self.outcome(format!("organizer write: {} (read again)", e.kind()));
                    if !matches!(
                        e.kind(),
                        ErrorKind::PreconditionFailed | ErrorKind::Transport | ErrorKind::NotFound
                    ) {
                        break;
                    }
                }
            }
        }
        if self.crashed() {
            return Ok(());
        }
        if let Some(how) = done {
            self.org[i].done = Some(how);
            self.outcome(format!(
                "organizer {kind:?} done: {how}",
                kind = kind_name(&kind)
            ));
            self.check_org(i)?;
        }
        Ok(())
    }

    /// S3 and S4 for an organizer intent: at most one applied write carries its marker in,
    /// and one does when the app says it was written.
    fn check_org(&self, i: usize) -> Result<(), Violation> {
        let intent = &self.org[i];
        let marker = format!("a{}", intent.id);
        let w = self.world.borrow();
        let adding = w
            .server
            .log
            .iter()
            .filter(|a| a.user == USERS[0] && a.uid == intent.uid && a.writer == Writer::App)
            .filter(|a| {
                let now = a.data.as_deref().is_some_and(|d| has_marker(d, &marker));
                let before = a
                    .replaced
                    .as_deref()
                    .is_some_and(|d| has_marker(d, &marker));
                match intent.kind {
                    OrgKind::Cancel => a.method == davkit::Method::Delete && a.replaced.is_some(),
                    _ => now && !before,
                }
            })
            .count();
        let gone_before = intent.kind != OrgKind::Cancel && intent.done == Some("meeting gone");
        if adding > 1 {
            return fail(
                3,
                format!(
                    "alice's {} of {} ({marker}) was applied {adding} times",
                    kind_name(&intent.kind),
                    intent.uid
                ),
            );
        }
        if adding == 0 && intent.kind != OrgKind::Cancel && !gone_before {
            return fail(
                4,
                format!(
                    "alice's {} of {} ({marker}) was reported {:?} but no applied write \
                     carries it",
                    kind_name(&intent.kind),
                    intent.uid,
                    intent.done
                ),
            );
        }
        if intent.kind == OrgKind::Cancel && w.server.copy(USERS[0], &intent.uid).is_some() {
            return fail(
                4,
                format!("alice cancelled {} but her copy is still there", intent.uid),
            );
        }
        Ok(())
    }

    // ---- bob, an attendee ----

    /// Records a new answer on the disk and sends it.
    pub fn answer(&mut self, uid: String, occurrence: bool) -> Result<(), Violation> {
        let answer = random_answer(&mut self.rng, true);
        let occurrence = occurrence.then(|| {
            // the meetings start on 2027-01-04 at 09:00 and recur daily five times
            format!("2027010{}T090000Z", 4 + self.rng.below(5))
        });
        self.answers.push(BobIntent {
            uid,
            answer,
            occurrence,
            done: false,
        });
        self.run_answer(self.answers.len() - 1)
    }

    /// Lists bob's pending invitations (S4: every copy waiting for his answer is listed, as
    /// the server has it) and answers the first.
    pub fn list_and_answer(&mut self) -> Result<(), Violation> {
        self.maybe_crash();
        let me = vec![address(USERS[1])];
        let start = self.world.borrow().server.event;
        let listed =
            block_on(
                self.bob
                    .pending_invitations(None, &[calendar_url(USERS[1])], &me, None),
            );
        if self.crashed() {
            return Ok(());
        }
        let pending = match listed {
            Ok(p) => p,
            Err(e) => {
                self.outcome(format!("pending_invitations failed: {}", e.kind()));
                return Ok(());
            }
        };
        self.outcome(format!(
            "pending_invitations listed {}",
            pending.invitations.len()
        ));
        {
            let w = self.world.borrow();
            for inv in &pending.invitations {
                let Some(c) = w.server.copy(USERS[1], &inv.uid) else {
                    return fail(4, format!("listed {} which bob does not have", inv.uid));
                };
                let untouched = w.server.meetings[&inv.uid]
                    .touched
                    .get(USERS[1])
                    .is_none_or(|(e, _)| *e <= start);
                let tag = w.server.tags.then(|| format!("\"t{}\"", c.tag));
                if untouched && (c.data != inv.object.data || inv.object.schedule_tag != tag) {
                    return fail(
                        4,
                        format!(
                            "pending_invitations gave {} with Schedule-Tag {:?}, the server \
                             has {tag:?} and other data",
                            inv.uid, inv.object.schedule_tag
                        ),
                    );
                }
            }
            for (uid, m) in &w.server.meetings {
                let Some(c) = m.attendees.get(USERS[1]) else {
                    continue;
                };
                // a cancelled meeting waits for no answer
                let waiting = partstat(&c.data, &address(USERS[1])).as_deref()
                    == Some("NEEDS-ACTION")
                    && fields(&c.data).status != "CANCELLED";
                let listed = pending.invitations.iter().any(|i| &i.uid == uid);
                let untouched = m.touched.get(USERS[1]).is_none_or(|(e, _)| *e <= start);
                if waiting && untouched && !listed {
                    return fail(
                        4,
                        format!("{uid} waits for bob's answer but was not listed"),
                    );
                }
            }
        }
        if let Some(first) = pending.invitations.first() {
            let uid = first.uid.clone();
            return self.answer(uid, false);
        }
        Ok(())
    }

    /// Sends answer `i` with `respond` and checks what it reports (S4).
    fn run_answer(&mut self, i: usize) -> Result<(), Violation> {
        let BobIntent {
            uid,
            answer,
            occurrence,
            ..
        } = self.answers[i].clone();
        let url = object_url(USERS[1], &uid);
        let me = vec![address(USERS[1])];
        if self.verbose() {
            eprintln!(" bob: {answer:?} {uid} occurrence {occurrence:?}");
        }
        let rid = occurrence
            .as_deref()
            .map(|r| CalDateTime::parse(r, None).expect("a valid RECURRENCE-ID"));
        if self.careless {
            self.answers[i].done = true;
            return self.careless_answer(&url, &me, &answer);
        }
        self.maybe_crash();
        let start = self.world.borrow().server.event;
        let log_start = self.world.borrow().server.log.len();
        let result = if self.by_steps {
            block_on(respond_by_steps(
                &self.bob,
                &url,
                &me,
                &answer,
                rid.as_ref(),
            ))
        } else {
            block_on(self.bob.respond(&url, &me, &answer, rid.as_ref()))
        };
        if self.crashed() {
            return Ok(());
        }
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                self.outcome(format!(
                    "respond failed: {}{}",
                    e.kind(),
                    if rid.is_some() {
                        ", one occurrence"
                    } else {
                        ""
                    }
                ));
                if e.kind() == ErrorKind::InvalidInput {
                    // not an attendee any more, or no such occurrence: nothing to retry
                    self.answers[i].done = true;
                }
                return Ok(());
            }
        };
        self.outcome(format!(
            "respond ok after {} reads{}{}",
            r.attempts,
            if r.write.is_none() {
                " (already answered)"
            } else {
                ""
            },
            if rid.is_some() {
                ", one occurrence"
            } else {
                ""
            }
        ));
        self.answers[i].done = true;
        // S4: the answer is in what respond reports
        let held = Calendar::parse(&r.data)
            .ok()
            .and_then(|cal| attendee::my_partstat(&cal, &[me[0].as_str()], rid.as_ref()));
        if held != Some(answer.partstat()) {
            return fail(
                4,
                format!(
                    "respond reported {uid} answered {:?} but its data holds {held:?}",
                    answer.partstat()
                ),
            );
        }
        let w = self.world.borrow();
        let m = &w.server.meetings[&uid];
        let current = m.attendees.get(USERS[1]).map(|c| c.data.clone());
        let last_event = m.touched.get(USERS[1]).map_or(0, |t| t.0);
        if r.write.is_some() {
            let mine = w.server.log[log_start..]
                .iter()
                .rev()
                .find(|a| a.user == USERS[1] && a.uid == uid && a.writer == Writer::App);
            match mine {
                Some(a) if a.data.as_deref() == Some(r.data.as_str()) => {
                    if last_event == a.event && current.as_deref() != Some(r.data.as_str()) {
                        return fail(4, format!("bob's answer to {uid} is not what is stored"));
                    }
                }
                _ => {
                    return fail(
                        4,
                        format!(
                            "respond reported bob's answer to {uid} written, but the server \
                             applied no such write (lost)"
                        ),
                    );
                }
            }
        } else if last_event <= start && current.as_deref() != Some(r.data.as_str()) {
            return fail(
                4,
                format!("respond found {uid} answered, but the stored copy differs"),
            );
        }
        Ok(())
    }

    /// The careless answer: the body of one read, the validators of the next.
    fn careless_answer(
        &mut self,
        url: &str,
        me: &[String],
        answer: &Answer,
    ) -> Result<(), Violation> {
        let (Ok(first), Ok(second)) = (
            block_on(self.bob.get_scheduled(url)),
            block_on(self.bob.get_scheduled(url)),
        ) else {
            return Ok(());
        };
        let Ok(mut cal) = Calendar::parse(&first.data) else {
            return Ok(());
        };
        if attendee::respond(&mut cal, &[me[0].as_str()], answer, None).is_err() {
            return Ok(());
        }
        let data = cal.to_ics();
        let _ = match (&second.schedule_tag, &second.etag) {
            (Some(tag), _) => block_on(self.bob.update_scheduled(url, &data, tag)).map(|_| ()),
            (None, Some(etag)) => block_on(self.bob.update_object(url, &data, etag)).map(|_| ()),
            (None, None) => Ok(()),
        };
        Ok(())
    }

    /// Carries out every pending intent once more (the app retrying, or restarted).
    pub fn resume(&mut self) -> Result<(), Violation> {
        for i in 0..self.org.len() {
            if self.org[i].done.is_none() {
                self.run_org(i)?;
            }
        }
        for i in 0..self.answers.len() {
            if !self.answers[i].done {
                self.run_answer(i)?;
            }
        }
        Ok(())
    }

    /// Faults, devices and crashes stop; every intent is carried out; then S4 at the end.
    pub fn quiesce(&mut self) -> Result<(), Violation> {
        {
            let mut w = self.world.borrow_mut();
            w.fault_per_mille = 0;
            w.concurrent_per_mille = 0;
        }
        self.crash_per_mille = 0;
        for _ in 0..2 {
            self.resume()?;
        }
        self.server_violation()?;
        if let Some(o) = self.org.iter().find(|o| o.done.is_none()) {
            return fail(4, format!("alice's intent {o:?} never completed"));
        }
        if let Some(a) = self.answers.iter().find(|a| !a.done) {
            return fail(4, format!("bob's answer {a:?} never completed"));
        }
        let w = self.world.borrow();
        for (uid, m) in &w.server.meetings {
            for (user, c) in &m.attendees {
                if fields(&c.data) != m.latest {
                    return fail(
                        1,
                        format!("at the end {user}'s copy of {uid} is not the latest version"),
                    );
                }
            }
        }
        Ok(())
    }
}

fn kind_name(kind: &OrgKind) -> &'static str {
    match kind {
        OrgKind::Create { .. } => "create",
        OrgKind::Update { minutes: None } => "update",
        OrgKind::Update { .. } => "significant update",
        OrgKind::Cancel => "cancel",
    }
}

/// Whether a version holds the line `X-SIM-INTENT:{marker}`.
pub fn has_marker(data: &str, marker: &str) -> bool {
    data.split("\r\n")
        .any(|l| l.strip_prefix("X-SIM-INTENT:") == Some(marker))
}

/// An answer run as a host whose DAV client is apart from the formats runs it:
/// [`RespondSteps`] decides, and each [`RespondRequest`] is one call of the client.
async fn respond_by_steps(
    client: &DavClient<SchedTransport>,
    url: &str,
    me: &[String],
    answer: &Answer,
    occurrence: Option<&CalDateTime>,
) -> davkit::Result<Responded> {
    let session = client.session();
    let mut steps = RespondSteps::new(
        url,
        me,
        answer,
        occurrence,
        session.profile(),
        *session.limits(),
    );
    loop {
        let request = match steps.poll() {
            RespondNext::Ask(request) => request,
            RespondNext::Done(result) => return result,
        };
        let reply = match request {
            RespondRequest::Read { url } => {
                RespondAnswer::Read(client.run(|s| s.get_scheduled(&url)).await)
            }
            RespondRequest::Write {
                url,
                data,
                schedule_tag,
                etag,
            } => RespondAnswer::Write(
                client
                    .run(|s| s.put_scheduled(&url, &data, schedule_tag.as_deref(), etag.as_deref()))
                    .await,
            ),
        };
        steps.answer(reply);
    }
}
