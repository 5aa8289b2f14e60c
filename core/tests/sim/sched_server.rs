//! The model scheduling server (RFC 6638) of the scheduling histories: alice organizes
//! meetings that bob and carol attend; each user has one calendar, `/dav/{user}/cal/`. The
//! server schedules implicitly: a write of the organizer's copy replaces every attendee's copy
//! with the new version (a new `Schedule-Tag`); an attendee's write of their own copy changes
//! its ETag only and delivers the answer (a REPLY) to the organizer's copy; deleting the
//! organizer's copy cancels the meeting (every attendee's copy becomes a cancelled version with
//! a higher SEQUENCE). `If-Schedule-Tag-Match`, `If-Match` and `If-None-Match` are honoured; a
//! write without a precondition is applied as real servers apply it.
//!
//! The flavor without Schedule-Tags is DAViCal's (docs/providers.md): no tag is sent and an
//! attendee's write can only be conditioned on the ETag.
//!
//! What must hold is checked as each write is applied (`Sched::check_*`): an attendee's write
//! carries the organizer's latest version (invariant S1), no copy's SEQUENCE goes down (S2),
//! no write repeats one already applied (S3).

use std::collections::BTreeMap;

use davkit::{HttpRequest, HttpResponse, Method};

use crate::invariants::Violation;

/// Where the simulated scheduling server lives.
pub const ORIGIN: &str = "https://sched.sim.test";
/// The users: the organizer first.
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// A user's calendar-user address.
pub fn address(user: &str) -> String {
    format!("mailto:{user}@sched.sim.test")
}

/// A user's calendar URL.
pub fn calendar_url(user: &str) -> String {
    format!("{ORIGIN}/dav/{user}/cal/")
}

/// The URL of a meeting in a user's calendar.
pub fn object_url(user: &str, uid: &str) -> String {
    format!("{}{uid}.ics", calendar_url(user))
}

/// Who wrote a version: the app under test or another device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    App,
    Device,
    /// The server's implicit scheduling.
    Server,
}

/// One user's copy of a meeting.
#[derive(Clone, Debug)]
pub struct Copy {
    pub etag: u64,
    pub tag: u64,
    pub data: String,
}

/// One meeting: the organizer's copy (gone once cancelled) and each attendee's.
#[derive(Debug)]
pub struct Meeting {
    pub uid: String,
    pub organizer: Option<Copy>,
    pub attendees: BTreeMap<&'static str, Copy>,
    /// The organizer's latest version's fields (SEQUENCE, DTSTART, ...), what every
    /// attendee's copy must carry.
    pub latest: Fields,
    /// `Sched::event` of the last change to each user's copy, and who made it.
    pub touched: BTreeMap<&'static str, (u64, Writer)>,
}

/// A write the server applied.
#[derive(Clone, Debug)]
pub struct Applied {
    pub user: &'static str,
    pub uid: String,
    pub method: Method,
    pub writer: Writer,
    pub replaced: Option<String>,
    pub data: Option<String>,
    pub event: u64,
}

/// The organizer's fields of a version (the master component's), as the server reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub sequence: i64,
    pub dtstart: String,
    pub duration: String,
    pub location: String,
    pub status: String,
}

/// The server.
#[derive(Debug)]
pub struct Sched {
    /// Whether Schedule-Tags exist (an RFC 6638 server) or not (DAViCal).
    pub tags: bool,
    pub meetings: BTreeMap<String, Meeting>,
    counter: u64,
    /// Counts every change to any copy.
    pub event: u64,
    pub log: Vec<Applied>,
    pub violation: Option<Violation>,
    pub stats: BTreeMap<String, u64>,
}

impl Sched {
    pub fn new(tags: bool) -> Sched {
        Sched {
            tags,
            meetings: BTreeMap::new(),
            counter: 0,
            event: 0,
            log: Vec::new(),
            violation: None,
            stats: BTreeMap::new(),
        }
    }

    pub fn stat(&mut self, key: &str) {
        *self.stats.entry(key.to_owned()).or_default() += 1;
    }

    fn violate(&mut self, invariant: u8, what: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation { invariant, what });
        }
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Which user's copy of which meeting a URL names.
    pub fn target(url: &str) -> Option<(&'static str, Option<String>)> {
        let rest = url
            .strip_prefix(ORIGIN)
            .unwrap_or(url)
            .strip_prefix("/dav/")?;
        let (user, rest) = rest.split_once('/')?;
        let user = *USERS.iter().find(|u| **u == user)?;
        let rest = rest.strip_prefix("cal/")?;
        if rest.is_empty() {
            return Some((user, None));
        }
        let uid = davkit::href::percent_decode(rest.strip_suffix(".ics")?);
        Some((user, Some(uid)))
    }

    /// The copy a user has of a meeting.
    pub fn copy(&self, user: &str, uid: &str) -> Option<&Copy> {
        let m = self.meetings.get(uid)?;
        if user == USERS[0] {
            m.organizer.as_ref()
        } else {
            m.attendees.get(user)
        }
    }

    /// Stores the organizer's version: the organizer's copy, then (implicit scheduling) every
    /// attendee's copy replaced with it under a new Schedule-Tag. `None` cancels the meeting.
    pub fn organizer_write(&mut self, uid: &str, data: Option<String>, writer: Writer) {
        self.event += 1;
        let event = self.event;
        let etag = self.next();
        let fields = match &data {
            Some(d) => fields(d),
            None => {
                let old = self
                    .meetings
                    .get(uid)
                    .map(|m| m.latest.clone())
                    .unwrap_or_default();
                Fields {
                    sequence: old.sequence + 1,
                    status: "CANCELLED".into(),
                    ..old
                }
            }
        };
        let attendee_data = match &data {
            Some(d) => d.clone(),
            None => {
                let old = self
                    .meetings
                    .get(uid)
                    .and_then(|m| m.organizer.as_ref())
                    .map(|c| c.data.clone())
                    .unwrap_or_default();
                cancelled(&old, fields.sequence)
            }
        };
        let m = self
            .meetings
            .entry(uid.to_owned())
            .or_insert_with(|| Meeting {
                uid: uid.to_owned(),
                organizer: None,
                attendees: BTreeMap::new(),
                latest: Fields::default(),
                touched: BTreeMap::new(),
            });
        let replaced = m.organizer.as_ref().map(|c| c.data.clone());
        m.organizer = data.clone().map(|d| Copy {
            etag,
            tag: 0,
            data: d,
        });
        let old_seq = m.latest.sequence;
        m.latest = fields.clone();
        m.touched.insert(USERS[0], (event, writer));
        let unfolded = attendee_data.replace("\r\n ", "").replace("\r\n\t", "");
        for user in &USERS[1..] {
            if !unfolded.contains(&address(user)) {
                continue;
            }
            self.counter += 1;
            let etag = self.counter;
            let c = m.attendees.entry(user).or_insert(Copy {
                etag: 0,
                tag: 0,
                data: String::new(),
            });
            c.etag = etag;
            c.tag += 1;
            c.data = attendee_data.clone();
            m.touched.insert(user, (event, Writer::Server));
        }
        if let Some(old) = &replaced
            && fields.sequence < fields_of(old).sequence
        {
            let what = format!(
                "the organizer's copy of {uid} went from SEQUENCE {} to {} ({writer:?})",
                fields_of(old).sequence,
                fields.sequence
            );
            self.violate(2, what);
        }
        if fields.sequence < old_seq {
            let what = format!(
                "the organizer's latest version of {uid} went from SEQUENCE {old_seq} to {}",
                fields.sequence
            );
            self.violate(2, what);
        }
        self.log.push(Applied {
            user: USERS[0],
            uid: uid.to_owned(),
            method: if data.is_some() {
                Method::Put
            } else {
                Method::Delete
            },
            writer,
            replaced,
            data,
            event,
        });
    }

    /// Stores an attendee's own copy and delivers its answer to the organizer's copy.
    pub fn attendee_write(&mut self, user: &'static str, uid: &str, data: String, writer: Writer) {
        self.event += 1;
        let event = self.event;
        let etag = self.next();
        let Some(m) = self.meetings.get_mut(uid) else {
            return;
        };
        let latest = m.latest.clone();
        let Some(c) = m.attendees.get_mut(user) else {
            return;
        };
        let replaced = c.data.clone();
        c.etag = etag;
        c.data = data.clone();
        let previous = m.touched.insert(user, (event, writer));
        let written = fields(&data);
        // The REPLY: the organizer takes an answer to its current SEQUENCE.
        let reply = (written.sequence == latest.sequence)
            .then(|| partstat(&data, &address(user)))
            .flatten();
        let mut replied = false;
        if let (Some(p), Some(org)) = (reply, m.organizer.as_mut())
            && partstat(&org.data, &address(user)).as_deref() != Some(p.as_str())
        {
            org.data = set_partstat(&org.data, &address(user), &p);
            self.counter += 1;
            org.etag = self.counter;
            m.touched.insert(USERS[0], (event, Writer::Server));
            replied = true;
        }
        if replied {
            self.stat("replies delivered to the organizer");
        }
        if written != latest {
            let what = format!(
                "{user}'s write ({writer:?}) of {uid} carries {written:?}, not the organizer's \
                 latest version {latest:?}: a reply overwrote a newer organizer version"
            );
            self.violate(1, what);
        }
        let before = fields_of(&replaced).sequence;
        if written.sequence < before {
            let what = format!(
                "{user}'s copy of {uid} went from SEQUENCE {before} to {}",
                written.sequence
            );
            self.violate(2, what);
        }
        if writer == Writer::App
            && replaced == data
            && previous.is_some_and(|(_, w)| w == Writer::App)
        {
            let what = format!(
                "{user}'s write of {uid} repeats the version already stored (an answer applied \
                 twice)"
            );
            self.violate(3, what);
        }
        self.log.push(Applied {
            user,
            uid: uid.to_owned(),
            method: Method::Put,
            writer,
            replaced: Some(replaced),
            data: Some(data),
            event,
        });
    }

    /// Answers one request of the app (after the world decided on faults).
    pub fn handle(&mut self, req: &HttpRequest) -> HttpResponse {
        let Some((user, uid)) = Sched::target(&req.url) else {
            return HttpResponse::new(404, "");
        };
        match (req.method, uid) {
            (Method::Get, Some(uid)) => match self.copy(user, &uid) {
                Some(c) => {
                    let r = HttpResponse::new(200, c.data.clone())
                        .with_header("ETag", &format!("\"e{}\"", c.etag));
                    if self.tags && user != USERS[0] {
                        r.with_header("Schedule-Tag", &format!("\"t{}\"", c.tag))
                    } else {
                        r
                    }
                }
                None => HttpResponse::new(404, ""),
            },
            (Method::Put, Some(uid)) => self.put(req, user, &uid),
            (Method::Delete, Some(uid)) => self.delete(req, user, &uid),
            (Method::Report, None) => self.report(user),
            _ => HttpResponse::new(405, ""),
        }
    }

    fn precondition(&self, req: &HttpRequest, copy: Option<&Copy>, attendee: bool) -> bool {
        if let Some(t) = req.header("if-schedule-tag-match") {
            // DAViCal ignores the header (docs/providers.md); an RFC 6638 server checks it.
            if self.tags && attendee {
                return copy.is_some_and(|c| t.trim() == format!("\"t{}\"", c.tag));
            }
        }
        if let Some(e) = req.header("if-match") {
            return copy.is_some_and(|c| e.trim() == format!("\"e{}\"", c.etag));
        }
        if req.header("if-none-match") == Some("*") {
            return copy.is_none();
        }
        true
    }

    fn put(&mut self, req: &HttpRequest, user: &'static str, uid: &str) -> HttpResponse {
        let data = req.body_text().unwrap_or("").to_owned();
        let copy = self.copy(user, uid).cloned();
        if user == USERS[0] {
            if !self.precondition(req, copy.as_ref(), false) {
                return HttpResponse::new(412, "");
            }
            if copy.is_none() && self.meetings.contains_key(uid) {
                // a cancelled meeting's UID is not reused
                return HttpResponse::new(403, "");
            }
            self.organizer_write(uid, Some(data), Writer::App);
            self.stat("organizer writes applied");
        } else {
            let Some(ref copy) = copy else {
                // an attendee does not create copies: the server places them
                return HttpResponse::new(403, "");
            };
            if !self.precondition(req, Some(copy), true) {
                return HttpResponse::new(412, "");
            }
            self.attendee_write(user, uid, data, Writer::App);
            self.stat("attendee writes applied");
        }
        let c = self.copy(user, uid).cloned();
        let mut r = HttpResponse::new(if copy.is_some() { 204 } else { 201 }, "");
        if let Some(c) = c {
            r = r.with_header("ETag", &format!("\"e{}\"", c.etag));
            if self.tags && user != USERS[0] {
                r = r.with_header("Schedule-Tag", &format!("\"t{}\"", c.tag));
            }
        }
        r
    }

    fn delete(&mut self, req: &HttpRequest, user: &'static str, uid: &str) -> HttpResponse {
        if user != USERS[0] {
            return HttpResponse::new(403, "");
        }
        let copy = self.copy(user, uid).cloned();
        if !self.precondition(req, copy.as_ref(), false) {
            return HttpResponse::new(412, "");
        }
        if copy.is_none() {
            return HttpResponse::new(404, "");
        }
        self.organizer_write(uid, None, Writer::App);
        self.stat("organizer cancels applied");
        HttpResponse::new(204, "")
    }

    /// A calendar-query on a calendar: every copy with ETag, Schedule-Tag and data.
    fn report(&self, user: &str) -> HttpResponse {
        let mut body = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" \
             xmlns:c=\"urn:ietf:params:xml:ns:caldav\">",
        );
        for m in self.meetings.values() {
            let Some(c) = self.copy(user, &m.uid) else {
                continue;
            };
            let tag = if self.tags && user != USERS[0] {
                format!("<c:schedule-tag>\"t{}\"</c:schedule-tag>", c.tag)
            } else {
                String::new()
            };
            body.push_str(&format!(
                "<d:response><d:href>/dav/{user}/cal/{}.ics</d:href><d:propstat><d:prop>\
                 <d:getetag>\"e{}\"</d:getetag>{tag}<c:calendar-data>{}</c:calendar-data>\
                 </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>",
                m.uid,
                c.etag,
                escape(&c.data)
            ));
        }
        body.push_str("</d:multistatus>");
        HttpResponse::new(207, body).with_header("Content-Type", "application/xml; charset=utf-8")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#13;")
}

/// The lines of the master component (the first VEVENT without RECURRENCE-ID), unfolded.
fn master_lines(data: &str) -> Vec<String> {
    let unfolded = data.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in unfolded.split("\r\n") {
        if line == "BEGIN:VEVENT" {
            current = Some(Vec::new());
        } else if line == "END:VEVENT" {
            if let Some(c) = current.take()
                && !c.iter().any(|l| l.starts_with("RECURRENCE-ID"))
            {
                return c;
            }
        } else if let Some(c) = &mut current
            && !line.starts_with("BEGIN:")
        {
            c.push(line.to_owned());
        } else if line.starts_with("BEGIN:") && current.is_some() {
            // a nested component (VALARM): its lines are not the event's
            out.clear();
        }
    }
    out
}

fn value_of(lines: &[String], name: &str) -> String {
    lines
        .iter()
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with(':') || r.starts_with(';'))
        })
        .and_then(|l| l.split_once(':').map(|(_, v)| v.to_owned()))
        .unwrap_or_default()
}

/// The organizer's fields of a version.
pub fn fields(data: &str) -> Fields {
    let lines = master_lines(data);
    Fields {
        sequence: value_of(&lines, "SEQUENCE").parse().unwrap_or(0),
        dtstart: value_of(&lines, "DTSTART"),
        duration: value_of(&lines, "DURATION"),
        location: value_of(&lines, "LOCATION"),
        status: value_of(&lines, "STATUS"),
    }
}

fn fields_of(data: &str) -> Fields {
    if data.is_empty() {
        Fields::default()
    } else {
        fields(data)
    }
}

/// The PARTSTAT of an attendee in the master component.
pub fn partstat(data: &str, address: &str) -> Option<String> {
    let lines = master_lines(data);
    let line = lines
        .iter()
        .find(|l| l.starts_with("ATTENDEE") && l.to_ascii_lowercase().ends_with(address))?;
    let params = line.split_once(':')?.0;
    Some(
        params
            .split(';')
            .find_map(|p| p.strip_prefix("PARTSTAT="))
            .unwrap_or("NEEDS-ACTION")
            .to_owned(),
    )
}

/// The data with an attendee's PARTSTAT set in the master component (what a REPLY does to
/// the organizer's copy).
fn set_partstat(data: &str, address: &str, partstat: &str) -> String {
    let unfolded = data.replace("\r\n ", "").replace("\r\n\t", "");
    let mut in_master = false;
    let mut out = Vec::new();
    let mut seen_master = false;
    for line in unfolded.split("\r\n") {
        if line == "BEGIN:VEVENT" && !seen_master {
            in_master = true;
        }
        if line.starts_with("RECURRENCE-ID") {
            in_master = false;
        }
        if line == "END:VEVENT" && in_master {
            in_master = false;
            seen_master = true;
        }
        if in_master
            && line.starts_with("ATTENDEE")
            && line.to_ascii_lowercase().ends_with(address)
            && let Some((params, value)) = line.split_once(':')
        {
            let kept: Vec<&str> = params
                .split(';')
                .filter(|p| !p.starts_with("PARTSTAT=") && !p.starts_with("RSVP="))
                .collect();
            out.push(format!("{};PARTSTAT={partstat}:{value}", kept.join(";")));
        } else {
            out.push(line.to_owned());
        }
    }
    out.join("\r\n")
}

/// The attendees' copy of a cancelled meeting: STATUS:CANCELLED, SEQUENCE raised.
fn cancelled(data: &str, sequence: i64) -> String {
    let unfolded = data.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = Vec::new();
    for line in unfolded.split("\r\n") {
        if line.starts_with("SEQUENCE:") || line.starts_with("STATUS:") {
            continue;
        }
        out.push(line.to_owned());
        if line == "BEGIN:VEVENT" {
            out.push(format!("SEQUENCE:{sequence}"));
            out.push("STATUS:CANCELLED".into());
        }
    }
    out.join("\r\n")
}
