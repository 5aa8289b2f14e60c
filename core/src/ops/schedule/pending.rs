//! Listing the invitations that wait for the user's answer ([`Session::pending_invitations`])
//! in two parts: the calendar-queries that read the scheduling objects of the inbox and the
//! calendars ([`Session::scheduled_queries`], sent together), and the reading of each object
//! as an invitation ([`pending_from`]). [`PendingInvitations`] reads each collection's objects
//! as its answer comes; a host whose DAV client is apart from its formats runs the queries
//! there and reads their objects here.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::Method;
use crate::icalendar::Calendar;
use crate::limits::Limits;
use crate::ops::objects::expect_responses;
use crate::rfc4791::{CalendarFilter, TimeRange, calendar_query_body};
use crate::rfc4918::Depth;
use crate::rfc5546::{attendee, itip};
use crate::session::Session;
use crate::xml::writer::{el, to_document};
use crate::xml::{CALDAV, DAV, names};

use super::{Invitation, Pending, SCHEDULE_TAG, ScheduledObject};

/// The scheduling objects one calendar-query of [`Session::scheduled_queries`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledCollection {
    /// The query was of the scheduling inbox (every item listed), not of a calendar (only
    /// objects that wait for the user's answer).
    pub in_inbox: bool,
    /// The objects with their data, `ETag` and `Schedule-Tag`.
    pub objects: Vec<ScheduledObject>,
}

impl Session {
    /// Lists the invitations waiting for the user: every item of the scheduling inbox
    /// (`inbox_url`, from [`Scheduling::inbox_url`](crate::Scheduling::inbox_url)), and the
    /// objects of `calendar_urls` where one of `my_addresses` is an attendee with PARTSTAT
    /// `NEEDS-ACTION`. The calendar-query REPORTs are sent together: two per calendar, for its
    /// events and for its tasks (overlapping `range` when given: RFC 4791 filters one
    /// component type per time range; SOGo answers a VCALENDAR-only filter with nothing; only
    /// events on Google CalDAV, which stores no tasks), and one for the inbox asking for every
    /// object (two like a calendar's when `range` is given); an object both answer is listed
    /// once.
    pub fn pending_invitations(
        &self,
        inbox_url: Option<&str>,
        calendar_urls: &[String],
        my_addresses: &[String],
        range: Option<TimeRange>,
    ) -> PendingInvitations {
        PendingInvitations {
            m: Machine::new(self.ctx.clone()),
            me: my_addresses.to_vec(),
            slots: Vec::new(),
        }
        .start(query_specs(self, inbox_url, calendar_urls, range))
    }

    /// The calendar-queries of [`pending_invitations`](Session::pending_invitations), their
    /// objects not yet read as invitations ([`pending_from`] reads them): for a host that reads
    /// iCalendar apart from its DAV client.
    pub fn scheduled_queries(
        &self,
        inbox_url: Option<&str>,
        calendar_urls: &[String],
        range: Option<TimeRange>,
    ) -> ScheduledQueries {
        ScheduledQueries {
            m: Machine::new(self.ctx.clone()),
            slots: Vec::new(),
        }
        .start(query_specs(self, inbox_url, calendar_urls, range))
    }
}

/// The queries, each with whether it is of the inbox.
fn query_specs(
    session: &Session,
    inbox_url: Option<&str>,
    calendar_urls: &[String],
    range: Option<TimeRange>,
) -> Result<Vec<(bool, Spec)>> {
    let props = [names::GETETAG, SCHEDULE_TAG, names::CALENDAR_DATA];
    // A calendar is asked for its events and its tasks, the components an attendee answers
    // (RFC 5546 §3.2 and §3.4; journals carry no answers, §3.5), in one query each, those the
    // server stores (Google CalDAV: events only): RFC 4791 puts a time-range inside one
    // component filter and sibling component filters must all match. Asked the same way with
    // no range: SOGo 5.8 answers a filter of VCALENDAR alone with no objects at all, while
    // every server answers a component's filter (as Thunderbird asks).
    let by_component: Vec<String> = ["VEVENT", "VTODO"]
        .iter()
        .filter(|c| {
            session
                .ctx
                .profile
                .components
                .as_ref()
                .is_none_or(|stored| stored.iter().any(|s| s.eq_ignore_ascii_case(c)))
        })
        .map(|component| {
            calendar_query_body(
                &props,
                &CalendarFilter {
                    component: (*component).into(),
                    time_range: range.clone(),
                },
            )
        })
        .collect();
    // The inbox is asked for every object (its iTIP messages, of any component) unless a
    // range narrows it to events and tasks (SOGo delivers invitations into the calendars and
    // leaves its inbox empty).
    let inbox_bodies = match range {
        Some(_) => by_component.clone(),
        None => vec![to_document(
            &el(CALDAV, "calendar-query")
                .with(el(DAV, "prop").with_empty(&props))
                .with(
                    el(CALDAV, "filter")
                        .with(el(CALDAV, "comp-filter").with_attr("name", "VCALENDAR")),
                ),
        )],
    };
    let mut specs = Vec::new();
    let targets = inbox_url
        .map(|u| (true, u))
        .into_iter()
        .chain(calendar_urls.iter().map(|u| (false, u.as_str())));
    for (is_inbox, u) in targets {
        let url = session.url(u)?;
        let bodies = if is_inbox {
            &inbox_bodies
        } else {
            &by_component
        };
        for body in bodies {
            let spec = Spec::new(Method::Report, href::as_collection(&url))
                .header("Depth", Depth::One.as_str())
                .xml(body.clone());
            specs.push((is_inbox, spec));
        }
    }
    Ok(specs)
}

/// Sends the queries together, a slot for each answer; with none, `m` ends with `empty()`, and
/// with an error (a URL that is not one) before anything is sent.
fn send_queries<O, S>(
    m: &mut Machine<usize, O>,
    slots: &mut Vec<(bool, Option<S>)>,
    specs: Result<Vec<(bool, Spec)>>,
    empty: fn() -> O,
) {
    match specs {
        Err(e) => m.fail(e),
        Ok(specs) if specs.is_empty() => m.finish(Ok(empty())),
        Ok(specs) => {
            for (i, (is_inbox, spec)) in specs.into_iter().enumerate() {
                slots.push((is_inbox, None));
                m.x.send(i, spec);
            }
        }
    }
}

/// Lists pending invitations; create it with [`Session::pending_invitations`].
pub struct PendingInvitations {
    m: Machine<usize, Pending>,
    me: Vec<String>,
    /// Per query (the inbox's first when asked): whether it is of the inbox, and its answer.
    slots: Vec<(bool, Option<Pending>)>,
}

impl std::fmt::Debug for PendingInvitations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingInvitations")
            .field("collections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl PendingInvitations {
    fn start(mut self, specs: Result<Vec<(bool, Spec)>>) -> Self {
        send_queries(&mut self.m, &mut self.slots, specs, Pending::default);
        self
    }

    fn on_reply(&mut self, index: usize, reply: Result<Reply>) {
        let limits = self.m.x.ctx().limits;
        let is_inbox = self.slots.get(index).is_some_and(|s| s.0);
        let found = reply
            .and_then(|r| scheduled_rows(&r, &limits))
            .map(|objects| invitations_in(objects, is_inbox, &self.me, &limits));
        match found {
            Ok(p) => {
                if let Some(slot) = self.slots.get_mut(index) {
                    slot.1 = Some(p);
                }
            }
            Err(e) => return self.m.fail(e),
        }
        if self.slots.iter().all(|s| s.1.is_some()) {
            let all = merge(self.slots.drain(..).filter_map(|(_, p)| p));
            self.m.finish(Ok(all));
        }
    }
}

impl_operation!(PendingInvitations, Pending);

/// Runs the calendar-queries of the invitations; create it with
/// [`Session::scheduled_queries`].
pub struct ScheduledQueries {
    m: Machine<usize, Vec<ScheduledCollection>>,
    /// Per query: whether it is of the inbox, and its objects.
    slots: Vec<(bool, Option<Vec<ScheduledObject>>)>,
}

impl std::fmt::Debug for ScheduledQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledQueries")
            .field("collections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl ScheduledQueries {
    fn start(mut self, specs: Result<Vec<(bool, Spec)>>) -> Self {
        send_queries(&mut self.m, &mut self.slots, specs, Vec::new);
        self
    }

    fn on_reply(&mut self, index: usize, reply: Result<Reply>) {
        let limits = self.m.x.ctx().limits;
        match reply.and_then(|r| scheduled_rows(&r, &limits)) {
            Ok(objects) => {
                if let Some(slot) = self.slots.get_mut(index) {
                    slot.1 = Some(objects);
                }
            }
            Err(e) => return self.m.fail(e),
        }
        if self.slots.iter().all(|s| s.1.is_some()) {
            let all = self
                .slots
                .drain(..)
                .map(|(in_inbox, objects)| ScheduledCollection {
                    in_inbox,
                    objects: objects.unwrap_or_default(),
                })
                .collect();
            self.m.finish(Ok(all));
        }
    }
}

impl_operation!(ScheduledQueries, Vec<ScheduledCollection>);

/// The invitations among the objects of [`Session::scheduled_queries`], read as
/// [`Session::pending_invitations`] reads them: every inbox item, and each calendar object in
/// which one of `my_addresses` is an attendee with PARTSTAT `NEEDS-ACTION`; an object two
/// queries found is listed once, and one that cannot be read is listed as unreadable.
pub fn pending_from(
    collections: Vec<ScheduledCollection>,
    my_addresses: &[String],
    limits: &Limits,
) -> Pending {
    merge(
        collections
            .into_iter()
            .map(|c| invitations_in(c.objects, c.in_inbox, my_addresses, limits)),
    )
}

/// The answers of several queries as one: an object two of them found is listed once.
fn merge(parts: impl Iterator<Item = Pending>) -> Pending {
    let mut all = Pending::default();
    // an object holding both an event and a task in the window is answered by both of a
    // collection's queries: listed once
    let mut seen = crate::string_set::StringSet::new();
    for p in parts {
        for i in p.invitations {
            if seen.insert(href::normalize(&i.object.url)) {
                all.invitations.push(i);
            }
        }
        for u in p.unreadable {
            if seen.insert(href::normalize(&u)) {
                all.unreadable.push(u);
            }
        }
    }
    all
}

/// The objects of one calendar-query's answer with their data (not the collection itself,
/// not failed rows; no data or empty data, an object deleted while the server answered,
/// lists nothing). An answer cut short (507) or of a gone collection is an error, as a query's
/// is (`listing_refused`): the invitations past the cut are unknown, not absent.
fn scheduled_rows(reply: &Reply, limits: &Limits) -> Result<Vec<ScheduledObject>> {
    let own = href::normalize(reply.url.as_str());
    let mut out = Vec::new();
    for r in expect_responses(reply, limits)? {
        let r = r?;
        let own_row = href::normalize(&r.href) == own;
        if let Some(e) = crate::ops::objects::listing_refused(&r, own_row, reply.url.as_str()) {
            return Err(e);
        }
        if own_row || r.effective_status() != 200 {
            continue;
        }
        let Some(data) = r
            .prop(&names::CALENDAR_DATA)
            .map(|e| e.text())
            .filter(|d| !d.trim().is_empty())
        else {
            continue;
        };
        out.push(ScheduledObject {
            etag: r.prop_text(&names::GETETAG),
            schedule_tag: r.prop_text(&SCHEDULE_TAG),
            url: r.href,
            data,
        });
    }
    Ok(out)
}

/// The invitations among one query's objects.
fn invitations_in(
    objects: Vec<ScheduledObject>,
    is_inbox: bool,
    me: &[String],
    limits: &Limits,
) -> Pending {
    let me: Vec<&str> = me.iter().map(String::as_str).collect();
    let mut out = Pending::default();
    for object in objects {
        let url = object.url.clone();
        match invitation(object, is_inbox, &me, limits) {
            Ok(Some(i)) => out.invitations.push(i),
            Ok(None) => {}
            Err(_) => out.unreadable.push(url),
        }
    }
    out
}

fn invitation(
    object: ScheduledObject,
    in_inbox: bool,
    me: &[&str],
    limits: &Limits,
) -> Result<Option<Invitation>> {
    let cal = Calendar::parse_with_limits(&object.data, limits).map_err(Error::from)?;
    let uid = crate::rfc5546::the_uid(&cal)?;
    let needs_action: Vec<Option<String>> = attendee::needs_action(&cal, me)
        .into_iter()
        .map(|r| r.map(|r| r.to_ical_value()))
        .collect();
    if !in_inbox && needs_action.is_empty() {
        return Ok(None);
    }
    let master = cal.find(&uid, None).or_else(|| cal.events().next());
    Ok(Some(Invitation {
        in_inbox,
        method: cal.method().map(itip::Method::parse),
        summary: master.and_then(|m| m.summary().map(|s| s.into_owned())),
        organizer: master.and_then(|m| m.organizer().map(|o| o.uri)),
        uid,
        needs_action,
        object,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::op::{Operation, Poll};
    use crate::session::Config;

    const ME: &str = "mailto:bob@example.com";

    fn event(uid: &str, partstat: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n\
             UID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270104T090000Z\r\nSUMMARY:{uid}\r\n\
             ORGANIZER:mailto:alice@example.com\r\nATTENDEE;PARTSTAT={partstat}:{ME}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    fn answer(rows: &[(&str, &str)]) -> crate::HttpResponse {
        let mut body = String::from(
            "<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">",
        );
        for (href, data) in rows {
            body.push_str(&format!(
                "<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>\"1\"\
                 </d:getetag><c:calendar-data>{data}</c:calendar-data></d:prop>\
                 <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
            ));
        }
        crate::HttpResponse::new(207, body + "</d:multistatus>")
    }

    /// Feeds each request of `op` the answer for its collection; its output.
    fn run<O: Operation>(mut op: O) -> Result<O::Output> {
        let inbox = answer(&[("/bob/inbox/i1.ics", &event("i1", "ACCEPTED"))]);
        let calendar = answer(&[
            ("/bob/cal/a.ics", &event("a", "NEEDS-ACTION")),
            ("/bob/cal/b.ics", &event("b", "ACCEPTED")),
            ("/bob/cal/bad.ics", "BEGIN:VCALENDAR\r\nnot an event"),
        ]);
        loop {
            match op.poll() {
                Poll::Send(r) => {
                    let a = if r.url.contains("/inbox/") {
                        inbox.clone()
                    } else {
                        calendar.clone()
                    };
                    op.handle_response(r.id, a);
                }
                Poll::Wait => panic!("every request was answered"),
                Poll::Done(out) => return out,
            }
        }
    }

    /// The queries in one module and the reading in another give what the one operation gives.
    #[test]
    fn queries_then_reading_are_the_pending_invitations() -> Result<()> {
        let session = Session::new(Config::new("https://cal.example.com/", Credentials::None))?;
        let (inbox, calendars) = (Some("/bob/inbox/"), ["/bob/cal/".to_owned()]);
        let me = [ME.to_owned()];
        let whole = run(session.pending_invitations(inbox, &calendars, &me, None))?;
        let uids: Vec<_> = whole.invitations.iter().map(|i| i.uid.as_str()).collect();
        assert_eq!(uids, ["i1", "a"]);
        assert_eq!(
            whole.unreadable,
            ["https://cal.example.com/bob/cal/bad.ics"]
        );
        let collections = run(session.scheduled_queries(inbox, &calendars, None))?;
        // the inbox's one query, the calendar's two (events, tasks), which list the same objects
        let counts: Vec<_> = collections
            .iter()
            .map(|c| (c.in_inbox, c.objects.len()))
            .collect();
        assert_eq!(counts, [(true, 1), (false, 3), (false, 3)]);
        assert_eq!(pending_from(collections, &me, &Limits::default()), whole);
        Ok(())
    }
}
