//! The world one history runs in: the model server, the fault injector, the other devices
//! that change the server concurrently, and the transport and token provider davkit talks to.
//! Checks that need the wire (preconditions sent, versions overwritten, request bounds) are
//! made here, as requests pass.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::{Future, ready};
use std::rc::Rc;

use davkit::{Error, ErrorKind, HttpRequest, HttpResponse, RequestId, TokenProvider, Transport};

use crate::faults::{Fault, Injector};
use crate::invariants::Violation;
use crate::server::{Answer, AppliedWrite, Body, Class, Flavor, Server, member_name, object_data};
use crate::stats::Stats;
use crate::xml::{Row, RowBody};
use davkit_testkit::Rng;

/// What the world knows about the client operation in progress (one `DavClient` call).
#[derive(Debug, Default)]
pub struct OpTrack {
    pub label: String,
    pub coll: usize,
    /// The app's write intent this operation carries out, if it is a write.
    pub intent: Option<u64>,
    /// `Server::event` when the operation started.
    pub start_event: u64,
    pub members_at_start: usize,
    /// Changes other devices made while it ran.
    pub concurrent: usize,
    pub requests: usize,
    /// Runs of the operation (`DavClient` runs it again after a rate limit or a 401).
    pub attempts: usize,
    pub attempt_requests: usize,
    /// sync-collection requests in this run.
    pub attempt_pages: usize,
    pub sleeps: usize,
    /// The smallest `Retry-After` (ms) answered since the last retry sleep.
    pub retry_after_ms: Option<u64>,
    /// Member paths this run of the operation read before writing, with the ETag it saw
    /// (`None`: it saw that nothing was there).
    pub checked: HashMap<String, Option<String>>,
    pub redirect_loop: Option<String>,
    pub exhausted: bool,
    /// A create in this operation replaced something because the server ignored
    /// `If-None-Match` (a fault): the outcome must say so.
    pub replaced_by_fault: bool,
    /// A GET in this operation was answered by a replica behind (`Fault::GetStale`).
    pub stale_read: bool,
}

/// A client write the server applied, with the intent it belonged to.
#[derive(Clone, Debug)]
pub struct LoggedWrite {
    pub intent: Option<u64>,
    pub write: AppliedWrite,
}

#[derive(Debug)]
pub struct World {
    pub server: Server,
    pub faults: Injector,
    pub devices: Rng,
    /// Per mille of requests during which another device changes the collection.
    pub concurrent_per_mille: u32,
    pub op: Option<OpTrack>,
    pub stats: Stats,
    pub verbose: bool,
    /// The Bearer token the client's provider hands out.
    pub client_token: String,
    /// The first violation seen on the wire.
    pub violation: Option<Violation>,
    pub writes: Vec<LoggedWrite>,
    pub max_retries: u32,
    /// `RetryPolicy::max_delay_ms` of the client.
    pub max_delay_ms: u64,
    /// The app crashes after this many more requests: the ones after it never reach the
    /// server (they fail as the dying process's would), and the app drops what it held.
    pub crash_in: Option<usize>,
    stuck_tokens: HashSet<String>,
    stuck_counter: u64,
    answers: u64,
}

impl World {
    pub fn new(server: Server, faults: Injector, devices: Rng, concurrent_per_mille: u32) -> Self {
        let client_token = server.valid_token.clone();
        World {
            server,
            faults,
            devices,
            concurrent_per_mille,
            op: None,
            stats: Stats::default(),
            verbose: false,
            client_token,
            violation: None,
            writes: Vec::new(),
            max_retries: 0,
            max_delay_ms: 0,
            crash_in: None,
            stuck_tokens: HashSet::new(),
            stuck_counter: 0,
            answers: 0,
        }
    }

    fn violate(&mut self, invariant: u8, what: String) {
        if self.verbose {
            eprintln!("    !! invariant {invariant}: {what}");
        }
        if self.violation.is_none() {
            self.violation = Some(Violation { invariant, what });
        }
    }

    /// Another device changes a collection: adds, edits or deletes one member.
    pub fn device_change(&mut self, coll: usize) {
        self.device_change_near(coll, None);
    }

    /// Another device changes a collection, half the time the member `near` (the one the
    /// client is reading or writing right now: two people editing the same event).
    fn device_change_near(&mut self, coll: usize, near: Option<&str>) {
        let calendar = self.server.colls[coll].calendar;
        let mut names: Vec<String> = self.server.colls[coll].members.keys().cloned().collect();
        if let Some(near) = near.filter(|n| names.iter().any(|m| m == n))
            && self.devices.chance(500)
        {
            names = vec![near.to_owned()];
        }
        let roll = self.devices.below(10);
        self.stats.device_changes += 1;
        let what = if names.is_empty() || (roll < 4 && names.len() < 20 && near.is_none()) {
            let uid = self.server.fresh_uid("d");
            let name = member_name(calendar, &uid);
            let data = object_data(calendar, &uid, &format!("device {}", self.server.event));
            self.server.store(coll, &name, data);
            format!("adds {name}")
        } else {
            let name = self.devices.pick(&names).cloned().unwrap_or_default();
            if roll < 8 {
                // An edit keeps the object's UID (a member the server named, after a POST, is
                // not named after it).
                let uid = self.server.colls[coll]
                    .members
                    .get(&name)
                    .and_then(|m| davkit::queue::merge::uid(&m.data))
                    .unwrap_or_else(|| {
                        name.rsplit_once('.')
                            .map_or(name.as_str(), |(u, _)| u)
                            .to_owned()
                    });
                let data = object_data(calendar, &uid, &format!("device {}", self.server.event));
                self.server.store(coll, &name, data);
                format!("edits {name}")
            } else {
                self.server.remove(coll, &name);
                format!("deletes {name}")
            }
        };
        if self.verbose {
            eprintln!("    device {what} in c{coll}");
        }
    }

    /// Handles one request from davkit: concurrency, faults, the server, the checks.
    pub fn handle(&mut self, req: HttpRequest) -> davkit::Result<HttpResponse> {
        if let Some(left) = &mut self.crash_in {
            if *left == 0 {
                return Err(Error::new(ErrorKind::Transport, "sim: the app crashed"));
            }
            *left -= 1;
        }
        self.stats.requests += 1;
        if !req
            .url
            .strip_prefix(crate::server::ORIGIN)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            // Another origin: the login page a portal redirected to. Credentials go to the
            // server's origin only.
            if req.header("authorization").is_some() {
                self.violate(
                    0,
                    format!(
                        "credentials sent to another origin: {} {}",
                        req.method, req.url
                    ),
                );
            }
            let response = HttpResponse::new(200, LOGIN_PAGE)
                .with_header("Content-Type", "text/html; charset=utf-8");
            self.log(
                &format!("{} {}", req.method, req.url),
                &req,
                "portal",
                Some(&response),
            );
            return Ok(response);
        }
        let class = self.server.classify(&req);
        let label = format!(
            "{} {}",
            req.method,
            req.url.trim_start_matches(crate::server::ORIGIN)
        );
        if let Some(early) = self.track(&req, &class) {
            self.log(&label, &req, "budget", None);
            return Err(early);
        }
        if let Some(coll) = class.coll()
            && self.concurrent_per_mille > 0
            && self.devices.chance(self.concurrent_per_mille)
        {
            self.stats.concurrent_changes += 1;
            if let Some(op) = &mut self.op {
                op.concurrent += 1;
            }
            let near = match &class {
                Class::Check(_, name)
                | Class::Get(_, name)
                | Class::Put { name, .. }
                | Class::Delete(_, name) => Some(name.clone()),
                _ => None,
            };
            self.device_change_near(coll, near.as_deref());
        }
        let expected = format!("Bearer {}", self.server.valid_token);
        if req.header("authorization") != Some(expected.as_str()) {
            let response = HttpResponse::new(401, "").with_header("WWW-Authenticate", "Bearer");
            self.log(&label, &req, "", Some(&response));
            return Ok(response);
        }
        if let Some(op) = &self.op
            && op.redirect_loop.as_deref() == Some(req.url.as_str())
        {
            let response = HttpResponse::new(307, "").with_header("Location", &path_of(&req.url));
            self.log(&label, &req, "loop", Some(&response));
            return Ok(response);
        }
        if class.is_write() {
            self.check_precondition(&req, &class);
        }
        let collision = matches!(class, Class::Put { exists: true, .. })
            && req.header("if-none-match").is_some();
        let stuck = matches!(&class, Class::SyncPage { token: Some(t), .. } if self.stuck_tokens.contains(t));
        let fault = if stuck {
            // A server that never finishes paging does so deterministically.
            None
        } else {
            self.faults.pick(&class, collision, self.server.flavor)
        };
        let result = self.answer(&req, &class, fault);
        match &result {
            Ok(r) => self.log(&label, &req, &fault_name(fault), Some(r)),
            Err(e) => self.log(
                &label,
                &req,
                &format!("{} {}", fault_name(fault), e.message()),
                None,
            ),
        }
        result
    }

    fn answer(
        &mut self,
        req: &HttpRequest,
        class: &Class,
        fault: Option<Fault>,
    ) -> davkit::Result<HttpResponse> {
        let transport = |what: &str| Err(Error::new(ErrorKind::Transport, what.to_owned()));
        // Faults that stop the request before the server acts.
        let early = match fault {
            Some(Fault::ServerError) => Some(HttpResponse::new(
                if self.faults.rng.chance(500) {
                    500
                } else {
                    502
                },
                "oops",
            )),
            Some(Fault::Unavailable503) => {
                let after = self.faults.rng.below(4) as u64;
                self.asked_to_wait(after);
                let r = HttpResponse::new(503, "");
                Some(r.with_header("Retry-After", &after.to_string()))
            }
            Some(Fault::RateLimited429) => {
                let r = HttpResponse::new(429, "");
                Some(match self.faults.rng.below(6) as u64 {
                    0 => {
                        self.asked_to_wait(0);
                        r
                    }
                    n => {
                        self.asked_to_wait(n - 1);
                        r.with_header("Retry-After", &(n - 1).to_string())
                    }
                })
            }
            Some(Fault::Unauthorized401) => {
                self.server.rotate_token();
                Some(HttpResponse::new(401, "").with_header("WWW-Authenticate", "Bearer"))
            }
            Some(Fault::Redirect) => {
                let status = if self.faults.rng.chance(500) {
                    301
                } else {
                    307
                };
                Some(HttpResponse::new(status, "").with_header("Location", &path_of(&req.url)))
            }
            Some(Fault::Locked423) => Some(
                HttpResponse::new(
                    423,
                    format!(
                        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
                         <d:error xmlns:d=\"DAV:\"><d:lock-token-submitted>\
                         <d:href>{}</d:href></d:lock-token-submitted></d:error>",
                        path_of(&req.url)
                    ),
                )
                .with_header("Content-Type", "application/xml; charset=utf-8"),
            ),
            Some(Fault::PortalRedirect) => Some(HttpResponse::new(302, "").with_header(
                "Location",
                &format!("{PORTAL}/login?continue={}", path_of(&req.url)),
            )),
            Some(Fault::LoginPage) => Some(
                HttpResponse::new(200, LOGIN_PAGE)
                    .with_header("Content-Type", "text/html; charset=utf-8"),
            ),
            Some(Fault::RedirectLoop) => {
                if let Some(op) = &mut self.op {
                    op.redirect_loop = Some(req.url.clone());
                }
                Some(HttpResponse::new(307, "").with_header("Location", &path_of(&req.url)))
            }
            _ => None,
        };
        if let Some(response) = early {
            self.count(fault);
            return Ok(response);
        }
        match fault {
            Some(Fault::TransportBeforeApply) => {
                self.count(fault);
                return transport("connection refused (sim)");
            }
            Some(Fault::StaleConnection) => {
                self.count(fault);
                return transport("connection closed before message completed (sim)");
            }
            _ => {}
        }
        let mut answer = self.server_answer(req, class, fault);
        if let Some(w) = answer.applied.take() {
            self.on_applied(req, w, fault);
        }
        if let (Some(f @ (Fault::GetStale | Fault::GetNoEtag)), Class::Get(coll, name)) =
            (fault, class)
            && self.get_fault(f, *coll, name, &mut answer)
        {
            self.count(fault);
            if let (Fault::GetStale, Some(op)) = (f, &mut self.op) {
                op.stale_read = true;
            }
            if self.verbose {
                eprintln!("    ({f:?} on {name})");
            }
        }
        if let (Some(f), Body::Rows { rows, .. }) = (fault, &mut answer.body)
            && f.is_row_fault()
        {
            let requested = crate::xml::texts(req.body_text().unwrap_or(""), "href");
            if let Some(hit) = self.row_fault(f, class, rows, &requested) {
                self.count(fault);
                if self.verbose {
                    eprintln!("    ({f:?} on {hit})");
                }
            }
        }
        if fault == Some(Fault::TransportAfterApply) {
            self.count(fault);
            return transport("connection reset after the request was sent (sim)");
        }
        let checked = match class {
            Class::Check(coll, name) | Class::Get(coll, name) => {
                let seen = self.server.colls[*coll]
                    .members
                    .get(name)
                    .map(|m| m.etag.clone());
                Some((Server::member_path(*coll, name), seen))
            }
            _ => None,
        };
        self.answers += 1;
        let mut response = answer.render(self.server.flavor, self.answers);
        match fault {
            Some(Fault::TruncatedBody) if !response.body.is_empty() => {
                self.count(fault);
                let len = response.body.len();
                let cut = len / 3 + self.faults.rng.below(len - len / 3 - 1);
                response.body.truncate(cut);
                return Ok(response);
            }
            Some(Fault::MalformedBody) => {
                if let Some(at) = response.body.windows(2).rposition(|w| w == b"</") {
                    self.count(fault);
                    response.body.insert(at + 2, b'x');
                    return Ok(response);
                }
            }
            _ => {}
        }
        if let (Some((path, seen)), Some(op)) = (checked, &mut self.op)
            && matches!(response.status, 200 | 207 | 404)
        {
            op.checked.insert(path, seen);
        }
        Ok(response)
    }

    /// The server's answer, or the paging and token faults that replace it.
    fn server_answer(&mut self, req: &HttpRequest, class: &Class, fault: Option<Fault>) -> Answer {
        if let Class::SyncPage {
            coll,
            token: Some(token),
        } = class
        {
            if self.stuck_tokens.contains(token) || fault == Some(Fault::EndlessPaging) {
                if fault.is_some() {
                    self.count(fault);
                }
                self.stuck_counter += 1;
                let base = token.split("-stuck").next().unwrap_or(token);
                let next = format!("{base}-stuck{}", self.stuck_counter);
                self.stuck_tokens.insert(next.clone());
                return self.server.stuck_page(*coll, next);
            }
            let status = match fault {
                Some(Fault::TokenInvalid403) => Some(403),
                Some(Fault::TokenInvalid409) => Some(409),
                Some(Fault::TokenGone410) => Some(410),
                _ => None,
            };
            if let Some(status) = status {
                self.count(fault);
                self.server.forget_tokens(*coll);
                return self.server.invalid_token(status);
            }
            if fault == Some(Fault::RepeatedPageToken) {
                self.count(fault);
                let mut answer = self.server.handle(req, class, false);
                if let Body::Rows { rows, token: t, .. } = &mut answer.body {
                    rows.push(Row {
                        href: Server::coll_path(*coll),
                        body: RowBody::Truncated,
                    });
                    *t = Some(token.clone());
                }
                return answer;
            }
        }
        if fault == Some(Fault::SyncTokenDropped) && matches!(class, Class::SyncPage { .. }) {
            let mut answer = self.server.handle(req, class, false);
            if let Body::Rows { token, .. } = &mut answer.body
                && token.take().is_some()
            {
                self.count(fault);
            }
            return answer;
        }
        let ignore_inm = fault == Some(Fault::CreateAsReplacement);
        if ignore_inm {
            self.count(fault);
        }
        self.server.handle(req, class, ignore_inm)
    }

    /// Remembers a `Retry-After`: the next retry sleep must wait at least that long (up to
    /// the policy's cap).
    fn asked_to_wait(&mut self, seconds: u64) {
        if let Some(op) = &mut self.op {
            let ms = seconds * 1_000;
            op.retry_after_ms = Some(op.retry_after_ms.map_or(ms, |m| m.min(ms)));
        }
    }

    fn count(&mut self, fault: Option<Fault>) {
        if let Some(f) = fault {
            self.stats.faults[f.index()] += 1;
        }
    }

    /// Changes rows of a multistatus; the href hit, or `None` when there was nothing to hit.
    /// A GET's answer changed by `GetStale` or `GetNoEtag`; whether the fault changed it.
    fn get_fault(&mut self, f: Fault, coll: usize, name: &str, answer: &mut Answer) -> bool {
        if answer.status != 200 {
            return false;
        }
        let is_etag = |(k, _): &(String, String)| k.eq_ignore_ascii_case("etag");
        if f == Fault::GetNoEtag {
            let before = answer.headers.len();
            answer.headers.retain(|h| !is_etag(h));
            return answer.headers.len() != before;
        }
        let c = &mut self.server.colls[coll];
        if c.stale_served.contains(name) {
            return false;
        }
        match c.prior.get(name) {
            Some(p) => {
                answer.headers.retain(|h| !is_etag(h));
                answer.headers.push(("ETag".into(), p.etag.clone()));
                answer.body = crate::server::Body::Text(p.data.clone());
            }
            // Created since the replica last caught up.
            None => *answer = Answer::new(404),
        }
        c.stale_served.insert(name.to_owned());
        true
    }

    fn row_fault(
        &mut self,
        fault: Fault,
        class: &Class,
        rows: &mut Vec<Row>,
        requested: &[String],
    ) -> Option<String> {
        let coll = class.coll()?;
        let own = Server::coll_path(coll);
        let members: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.href != own && !matches!(r.body, RowBody::Collection { .. } | RowBody::Truncated)
            })
            .map(|(i, _)| i)
            .collect();
        let rng = &mut self.faults.rng;
        let pick = rng.pick(&members).copied();
        let hit = pick.map(|i| rows[i].href.clone()).unwrap_or_default();
        match (fault, pick) {
            (Fault::RowError500, Some(i)) => rows[i].body = RowBody::Status(500),
            (Fault::RowError503, Some(i)) => rows[i].body = RowBody::Status(503),
            (Fault::RowError403, Some(i)) => rows[i].body = RowBody::Status(403),
            (Fault::RowNoData404, Some(i)) => match &rows[i].body {
                RowBody::Member { etag, .. } => {
                    rows[i].body = RowBody::NoData { etag: etag.clone() };
                }
                _ => return None,
            },
            (Fault::RowEmptyData, Some(i)) => match &mut rows[i].body {
                RowBody::Member { data: Some(d), .. } => d.clear(),
                _ => return None,
            },
            (Fault::RowEmptyEtag, Some(i)) => match &mut rows[i].body {
                RowBody::Member { etag, .. } => etag.clear(),
                _ => return None,
            },
            (Fault::RowStale, Some(i)) => {
                let href = &rows[i].href;
                let c = &mut self.server.colls[coll];
                let prior = c
                    .prior
                    .iter()
                    .find(|(n, _)| names(href, coll, n))
                    .filter(|(n, _)| !c.stale_served.contains(*n))
                    .map(|(n, m)| (n.clone(), m.clone()));
                match (&mut rows[i].body, prior) {
                    (
                        RowBody::Member {
                            etag,
                            data: Some(d),
                        },
                        Some((name, p)),
                    ) if *etag != p.etag => {
                        *etag = p.etag;
                        *d = p.data;
                        c.stale_served.insert(name);
                    }
                    _ => return None,
                }
            }
            (Fault::RowOmitted, Some(i)) => {
                rows.remove(i);
            }
            (Fault::ListStale, Some(i)) => {
                let href = rows[i].href.clone();
                let c = &mut self.server.colls[coll];
                let name = c
                    .members
                    .keys()
                    .find(|n| names(&href, coll, n))
                    .filter(|n| !c.stale_served.contains(*n))
                    .cloned()?;
                if !c.client_latest.contains(&name) {
                    // A version the client never knew, listed as before: nothing can tell.
                    return None;
                }
                match c.prior.get(&name) {
                    Some(p) => match &mut rows[i].body {
                        RowBody::Member { etag, data } if *etag != p.etag => {
                            *etag = p.etag.clone();
                            // A sync page that carries the data carries the version before's.
                            if let Some(d) = data {
                                *d = p.data.clone();
                            }
                        }
                        _ => return None,
                    },
                    // Created by the client since the replica last caught up.
                    None => {
                        rows.remove(i);
                    }
                }
                c.stale_served.insert(name);
            }
            (Fault::RowFalse404, Some(i)) => match rows[i].body {
                RowBody::Member { .. } | RowBody::NoData { .. } => {
                    rows[i].body = RowBody::Status(404);
                }
                _ => return None,
            },
            (Fault::RowDuplicated, Some(i)) => {
                let copy = rows[i].clone();
                rows.insert(i + 1, copy);
            }
            (Fault::RowUnrequested, _) => {
                let calendar = self.server.colls[coll].calendar;
                let uid = format!("ghost{}", rng.below(1000));
                let href = Server::member_path(coll, &member_name(calendar, &uid));
                rows.push(Row {
                    href: href.clone(),
                    body: RowBody::Member {
                        etag: "\"ghost\"".into(),
                        data: Some(object_data(calendar, &uid, "nobody wrote this")),
                    },
                });
                return Some(href);
            }
            (Fault::RowUnrequested404, _) => {
                let others: Vec<String> = self.server.colls[coll]
                    .members
                    .keys()
                    .map(|n| Server::member_path(coll, n))
                    .filter(|p| {
                        !requested
                            .iter()
                            .any(|r| davkit::href::percent_decode(r).ends_with(p.as_str()))
                    })
                    .collect();
                let path = rng.pick(&others).cloned()?;
                rows.push(Row {
                    href: path.clone(),
                    body: RowBody::Status(404),
                });
                return Some(path);
            }
            _ => return None,
        }
        Some(hit)
    }

    /// Op accounting and the request bound (invariant 5). An error ends an operation that
    /// went over its budget.
    fn track(&mut self, req: &HttpRequest, class: &Class) -> Option<Error> {
        let max_attempts = self.max_retries as usize + 2;
        let op = self.op.as_mut()?;
        op.requests += 1;
        if req.id == RequestId(1) {
            op.attempts += 1;
            op.attempt_requests = 0;
            op.attempt_pages = 0;
            op.checked.clear();
        }
        op.attempt_requests += 1;
        if matches!(class, Class::SyncPage { .. }) {
            op.attempt_pages += 1;
        }
        let members = op.members_at_start + op.concurrent;
        let per_attempt = 6 * (10 + 4 * members);
        // Every truncated page but the last must carry a member; a redirect may double one.
        let pages = 2 * (2 + members) + 5;
        if !op.exhausted
            && (op.attempt_requests > per_attempt
                || op.attempt_pages > pages
                || op.attempts > max_attempts)
        {
            op.exhausted = true;
            let what = format!(
                "{} went over its bound: run {} of at most {max_attempts} (retries + 2), request \
                 {} of at most {per_attempt} per run (6 hops x (10 + 4 x {members} members)), \
                 sync page {} of at most {pages} per run (2 x (2 + {members} members) + 5)",
                op.label, op.attempts, op.attempt_requests, op.attempt_pages
            );
            self.violate(5, what);
        }
        let op = self.op.as_ref()?;
        op.exhausted
            .then(|| Error::new(ErrorKind::Transport, "sim: request budget exhausted"))
    }

    /// Invariant 4: a write goes out only with the precondition its profile requires.
    fn check_precondition(&mut self, req: &HttpRequest, class: &Class) {
        let flavor = self.server.flavor;
        let path = member_key(&req.url);
        let checked = self
            .op
            .as_ref()
            .is_some_and(|op| op.checked.contains_key(&path));
        let if_match = req.header("if-match").is_some();
        let inm = req.header("if-none-match") == Some("*");
        let ok = match (class, flavor) {
            (Class::Put { .. }, Flavor::Generic | Flavor::Icloud) => if_match || inm,
            (Class::Put { .. }, Flavor::GoogleCaldav) => if_match || checked,
            (Class::Put { .. }, Flavor::GoogleCarddav) => if_match && checked,
            (Class::Put { .. }, Flavor::Sogo) => if_match || checked,
            (Class::Delete(..), Flavor::GoogleCarddav | Flavor::Sogo) => if_match && checked,
            (Class::Delete(..), _) => if_match,
            (Class::Post(_), f) => f == Flavor::GoogleCarddav,
            _ => true,
        };
        if !ok {
            let what = format!(
                "{} {path} sent without the precondition the {} profile needs (If-Match: {}, \
                 If-None-Match: {}, read first in this run: {checked})",
                req.method,
                flavor.name(),
                req.header("if-match").unwrap_or("-"),
                req.header("if-none-match").unwrap_or("-"),
            );
            self.violate(4, what);
        }
    }

    /// Invariant 4: an applied write overwrote only the version the client read.
    fn on_applied(&mut self, req: &HttpRequest, write: AppliedWrite, fault: Option<Fault>) {
        let path = member_key(&req.url);
        // Known to the client only when the answer reaches it (a create whose answer was lost
        // is a member it has never seen, which no client can tell from one never listed).
        if write.new_etag.is_some() && fault != Some(Fault::TransportAfterApply) {
            self.server.colls[write.coll]
                .client_latest
                .insert(write.name.clone());
        }
        let intent = self.op.as_ref().and_then(|op| op.intent);
        if let Some(old) = &write.replaced {
            let checked = self
                .op
                .as_ref()
                .and_then(|op| op.checked.get(&path).cloned());
            match &write.if_match {
                Some(expected) if *expected == old.etag => {}
                Some(expected) => {
                    if checked == Some(Some(expected.clone())) {
                        // Compared by davkit, changed by someone else before the write landed.
                        self.stats.check_write_races += 1;
                    } else {
                        let what = format!(
                            "{} {path} overwrote version {} although the client read {expected}",
                            write.method, old.etag
                        );
                        self.violate(4, what);
                    }
                }
                None if fault == Some(Fault::CreateAsReplacement) => {
                    if let Some(op) = &mut self.op {
                        op.replaced_by_fault = true;
                    }
                }
                None if checked == Some(None) => self.stats.check_write_races += 1,
                None => {
                    let what = format!(
                        "create {path} replaced version {} that the client never read",
                        old.etag
                    );
                    self.violate(4, what);
                }
            }
        }
        self.stats.writes_applied += 1;
        self.writes.push(LoggedWrite { intent, write });
    }

    fn log(&self, label: &str, req: &HttpRequest, note: &str, response: Option<&HttpResponse>) {
        if !self.verbose {
            return;
        }
        let mut conds = String::new();
        for h in ["if-match", "if-none-match", "depth"] {
            if let Some(v) = req.header(h) {
                conds.push_str(&format!(" {h}={v}"));
            }
        }
        if let Some(body) = req.body_text() {
            if body.contains("sync-collection")
                && let Some(t) = crate::xml::text(body, "sync-token")
            {
                conds.push_str(&format!(" token={t:?}"));
            }
            let hrefs: Vec<String> = crate::xml::texts(body, "href")
                .iter()
                .map(|h| h.rsplit('/').next().unwrap_or(h).to_owned())
                .collect();
            if !hrefs.is_empty() {
                conds.push_str(&format!(" hrefs=[{}]", hrefs.join(" ")));
            }
        }
        let outcome = match response {
            Some(r) => format!("{} ({} bytes)", r.status, r.body.len()),
            None => "transport error".into(),
        };
        eprintln!("    #{} {label}{conds} -> {outcome} {note}", req.id.0);
    }
}

fn fault_name(fault: Option<Fault>) -> String {
    fault.map(|f| format!("[fault {f:?}]")).unwrap_or_default()
}

/// The path (and query) of an absolute URL.
/// A login proxy's or captive portal's page.
const LOGIN_PAGE: &str =
    "<!DOCTYPE html><html><body><form action=\"/sso/login\"></form></body></html>";

/// The origin a captive portal redirects to.
const PORTAL: &str = "https://portal.sim.example";

pub fn path_of(url: &str) -> String {
    url.strip_prefix(crate::server::ORIGIN)
        .unwrap_or(url)
        .to_owned()
}

/// The transport davkit sends through: every future is ready at once.
#[derive(Clone, Debug)]
pub struct SimTransport(pub Rc<RefCell<World>>);

impl Transport for SimTransport {
    fn send(&self, request: HttpRequest) -> impl Future<Output = davkit::Result<HttpResponse>> {
        ready(self.0.borrow_mut().handle(request))
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        let mut world = self.0.borrow_mut();
        world.stats.sleeps += 1;
        world.stats.slept_ms += ms;
        let max = world.max_retries as usize;
        let cap = world.max_delay_ms;
        let mut over = None;
        if let Some(op) = &mut world.op {
            op.sleeps += 1;
            if op.sleeps > max {
                over = Some(format!(
                    "{} slept {} times, more than its {max} retries",
                    op.label, op.sleeps
                ));
            }
            if let Some(asked) = op.retry_after_ms.take()
                && ms < asked.min(cap)
            {
                over = Some(format!(
                    "{} waited {ms} ms before a retry; the server asked for {asked} ms (cap \
                     {cap} ms)",
                    op.label
                ));
            }
        }
        if let Some(what) = over {
            world.violate(5, what);
        }
        if world.verbose {
            eprintln!("    (sleep {ms} ms)");
        }
        ready(true)
    }
}

/// The token provider: hands out the token it has, and the server's current one on refresh.
#[derive(Clone, Debug)]
pub struct SimTokens(pub Rc<RefCell<World>>);

impl TokenProvider for SimTokens {
    fn token(&self, force_refresh: bool) -> impl Future<Output = davkit::Result<String>> {
        let mut world = self.0.borrow_mut();
        if force_refresh {
            world.stats.token_refreshes += 1;
            world.client_token = world.server.valid_token.clone();
        }
        ready(Ok(world.client_token.clone()))
    }
}

/// The decoded path of a member URL: how the checks name it, however it was spelled.
fn member_key(url: &str) -> String {
    davkit::href::percent_decode(&path_of(url))
}

/// Whether a row's href names member `name` of collection `coll` (as written, or
/// percent-encoded).
fn names(href: &str, coll: usize, name: &str) -> bool {
    let path = Server::member_path(coll, name);
    href == path || davkit::href::percent_decode(href) == path
}
