//! The model CalDAV/CardDAV server: collections of members (name, ETag, data), a change
//! version per collection for sync tokens, and the provider quirks of davkit's profiles. It
//! answers davkit's real `HttpRequest`s; faults are added around it by `world.rs`.

use std::collections::{BTreeMap, HashMap};

use davkit::{HttpRequest, HttpResponse, Method, Profile};

use crate::xml::{self, Row, RowBody, Style};

/// Where the simulated server lives.
pub const ORIGIN: &str = "https://sim.test";
/// The root under which the collections are.
pub const ROOT: &str = "/dav/";

/// Which provider the server behaves like (one per davkit profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    /// Honours everything (Radicale, Xandikos, SabreDAV).
    Generic,
    /// 404 rows for deletions, its collection's own row in sync answers, opaque tokens.
    Icloud,
    /// Ignores If-None-Match (replaces and answers 204), stores events as `{UID}.ics`,
    /// rewrites what it stores.
    GoogleCaldav,
    /// Ignores If-Match, creates by POST, rewrites what it stores, Depth 1 sync, no empty
    /// initial token.
    GoogleCarddav,
    /// Ignores If-None-Match (replaces and answers 204) and a DELETE's If-Match (deletes),
    /// honours a PUT's If-Match: SOGo 5.8 as measured (docs/providers.md).
    Sogo,
}

impl Flavor {
    pub const ALL: [Flavor; 5] = [
        Flavor::Generic,
        Flavor::Icloud,
        Flavor::GoogleCaldav,
        Flavor::GoogleCarddav,
        Flavor::Sogo,
    ];

    pub fn profile(self) -> Profile {
        match self {
            Flavor::Generic => Profile::generic(),
            Flavor::Icloud => Profile::icloud(),
            Flavor::GoogleCaldav => Profile::google_caldav(),
            Flavor::GoogleCarddav => Profile::google_carddav(),
            Flavor::Sogo => Profile::sogo(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Generic => "generic",
            Flavor::Icloud => "icloud",
            Flavor::GoogleCaldav => "google-caldav",
            Flavor::GoogleCarddav => "google-carddav",
            Flavor::Sogo => "sogo",
        }
    }

    pub fn honours_if_match(self) -> bool {
        self != Flavor::GoogleCarddav
    }

    /// Whether a DELETE's If-Match is honoured (SOGo honours it on PUT only).
    pub fn honours_if_match_on_delete(self) -> bool {
        self.honours_if_match() && self != Flavor::Sogo
    }

    pub fn honours_if_none_match(self) -> bool {
        matches!(self, Flavor::Generic | Flavor::Icloud)
    }

    fn rewrites(self) -> bool {
        matches!(self, Flavor::GoogleCaldav | Flavor::GoogleCarddav)
    }

    /// The XML style of one answer; `n` counts answers, so href spellings vary between them
    /// (except iCloud's, which are always paths).
    fn style(self, n: u64) -> Style {
        Style {
            default_ns: self == Flavor::Icloud,
            cr_as_ref: matches!(self, Flavor::Icloud | Flavor::GoogleCarddav),
            encode_at: n % 3 == 1,
            full_urls: self != Flavor::Icloud && n % 5 == 2,
        }
    }
}

/// What the server does with `calendar-data` asked for in a sync-collection report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataInSync {
    /// Each changed member's row brings its data (Radicale, SabreDAV).
    Sends,
    /// The rows have no data (Xandikos and DAViCal answer 404 for the property).
    Ignores,
    /// The report is refused with a 400.
    Refuses,
}

/// A stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub etag: String,
    pub data: String,
}

/// A calendar or address book.
#[derive(Debug)]
pub struct Coll {
    pub calendar: bool,
    pub members: BTreeMap<String, Member>,
    /// Bumped by every member change; sync tokens name a version.
    pub version: u64,
    /// The version of each name's latest change (kept after deletion, for sync reports).
    pub changed_at: BTreeMap<String, u64>,
    /// Bumped when the server forgets its tokens (every older token is then invalid).
    pub epoch: u64,
    /// The server's own page size for sync-collection (besides the client's `limit`).
    pub page_size: Option<usize>,
    /// `Server::event` of each name's latest change and latest deletion.
    pub last_event: HashMap<String, u64>,
    pub last_delete: HashMap<String, u64>,
    /// Each name's version before its latest change: what a replica that has not caught up
    /// answers (`Fault::RowStale`).
    pub prior: BTreeMap<String, Member>,
    /// The names whose latest version a replica has already answered stale for (once per
    /// version: cleared by the name's next change).
    pub stale_served: std::collections::BTreeSet<String>,
    /// The names whose latest version the client wrote: the members whose newer version the
    /// client knows, which a listing from a replica behind names at their version before, or
    /// leaves out when the client created them (`Fault::ListStale`; a version the client
    /// never knew, so listed, is a gap no client can tell).
    pub client_latest: std::collections::BTreeSet<String>,
}

/// A write by the client that the server applied.
#[derive(Clone, Debug)]
pub struct AppliedWrite {
    pub coll: usize,
    pub name: String,
    pub method: Method,
    /// The version the write replaced or deleted.
    pub replaced: Option<Member>,
    /// The ETag after the write (none for a delete).
    pub new_etag: Option<String>,
    pub if_match: Option<String>,
    /// The body written (PUT, POST), as the client sent it.
    pub data: Option<String>,
}

/// What a request is about, for the fault injector and the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    SyncPage {
        coll: usize,
        token: Option<String>,
    },
    Listing(usize),
    CollProps(usize),
    Multiget(usize),
    Check(usize, String),
    Get(usize, String),
    Put {
        coll: usize,
        name: String,
        exists: bool,
    },
    Delete(usize, String),
    Post(usize),
    Other,
}

impl Class {
    pub fn coll(&self) -> Option<usize> {
        match self {
            Class::SyncPage { coll, .. }
            | Class::Listing(coll)
            | Class::CollProps(coll)
            | Class::Multiget(coll)
            | Class::Check(coll, _)
            | Class::Get(coll, _)
            | Class::Put { coll, .. }
            | Class::Delete(coll, _)
            | Class::Post(coll) => Some(*coll),
            Class::Other => None,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(self, Class::Put { .. } | Class::Delete(..) | Class::Post(_))
    }
}

/// An answer before faults and rendering.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The client write this request applied, if any.
    pub applied: Option<AppliedWrite>,
}

#[derive(Debug)]
pub enum Body {
    Text(String),
    Rows {
        rows: Vec<Row>,
        token: Option<String>,
        calendar: bool,
    },
}

impl Answer {
    /// An answer of `status` with no body (the fault injector makes them too).
    pub fn new(status: u16) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            body: Body::Text(String::new()),
            applied: None,
        }
    }

    fn text(status: u16, text: String) -> Self {
        Answer {
            body: Body::Text(text),
            ..Answer::new(status)
        }
    }

    fn rows(rows: Vec<Row>, token: Option<String>, calendar: bool) -> Self {
        Answer {
            status: 207,
            headers: vec![(
                "Content-Type".into(),
                "application/xml; charset=utf-8".into(),
            )],
            body: Body::Rows {
                rows,
                token,
                calendar,
            },
            applied: None,
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The response; `n` (an answer counter) picks how hrefs are spelled.
    pub fn render(self, flavor: Flavor, n: u64) -> HttpResponse {
        let body = match self.body {
            Body::Text(text) => text,
            Body::Rows {
                rows,
                token,
                calendar,
            } => {
                let prop = if calendar {
                    "c:calendar-data"
                } else {
                    "card:address-data"
                };
                xml::multistatus(flavor.style(n), &rows, prop, token.as_deref())
            }
        };
        HttpResponse {
            status: self.status,
            headers: self.headers,
            body: body.into_bytes(),
            final_url: None,
        }
    }
}

/// The server.
#[derive(Debug)]
pub struct Server {
    pub flavor: Flavor,
    pub colls: Vec<Coll>,
    etag_counter: u64,
    name_counter: u64,
    /// Counts every member change anywhere (device or client): what happened during an op.
    pub event: u64,
    /// Every version ever stored: (collection, name, ETag) -> data.
    pub versions: HashMap<(usize, String, String), String>,
    /// The Bearer token the server accepts now.
    pub valid_token: String,
    /// Whether the server has RFC 6578 sync-collection (an old generic server has only
    /// ctags and ETag listings).
    pub sync_collection: bool,
    /// What a sync report that asks for `calendar-data` gets.
    pub data_in_sync: DataInSync,
    token_counter: u64,
    /// Requests handled: varies how the server spells answers that may differ.
    handled: u64,
}

/// The data of an object: a one-event calendar or a vCard 3.0.
pub fn object_data(calendar: bool, uid: &str, summary: &str) -> String {
    if calendar {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sim//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:{summary}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    } else {
        format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{summary}\r\nEND:VCARD\r\n")
    }
}

/// The member name for a UID.
pub fn member_name(calendar: bool, uid: &str) -> String {
    if calendar {
        format!("{uid}.ics")
    } else {
        format!("{uid}.vcf")
    }
}

impl Server {
    pub fn new(flavor: Flavor) -> Self {
        Server {
            flavor,
            colls: Vec::new(),
            etag_counter: 0,
            name_counter: 0,
            event: 0,
            versions: HashMap::new(),
            valid_token: "tok-0".into(),
            sync_collection: true,
            data_in_sync: DataInSync::Sends,
            token_counter: 0,
            handled: 0,
        }
    }

    pub fn add_collection(&mut self, calendar: bool, page_size: Option<usize>) -> usize {
        self.colls.push(Coll {
            calendar,
            members: BTreeMap::new(),
            version: 0,
            changed_at: BTreeMap::new(),
            epoch: 1,
            page_size,
            last_event: HashMap::new(),
            last_delete: HashMap::new(),
            prior: BTreeMap::new(),
            stale_served: std::collections::BTreeSet::new(),
            client_latest: std::collections::BTreeSet::new(),
        });
        self.colls.len() - 1
    }

    pub fn coll_path(coll: usize) -> String {
        format!("{ROOT}c{coll}/")
    }

    pub fn coll_url(coll: usize) -> String {
        format!("{ORIGIN}{}", Server::coll_path(coll))
    }

    pub fn member_path(coll: usize, name: &str) -> String {
        format!("{}{name}", Server::coll_path(coll))
    }

    /// A fresh UID (devices and the app never reuse one, except on purpose).
    pub fn fresh_uid(&mut self, prefix: &str) -> String {
        self.name_counter += 1;
        let n = self.name_counter;
        // Some UIDs carry characters that hrefs spell in more than one way (Google's event
        // UIDs end in `@google.com`; people put spaces in file names).
        match n % 7 {
            3 => format!("{prefix}{n}@sim.test"),
            5 => format!("{prefix} {n}"),
            _ => format!("{prefix}{n}"),
        }
    }

    /// A new Bearer token (the old one stops working): the next request with it gets 401.
    pub fn rotate_token(&mut self) {
        self.token_counter += 1;
        self.valid_token = format!("tok-{}", self.token_counter);
    }

    /// Stores data under a name (create or replace), as any writer does. Returns the ETag.
    pub fn store(&mut self, coll: usize, name: &str, data: String) -> String {
        self.etag_counter += 1;
        let etag = match self.flavor {
            Flavor::Icloud => format!("\"lx{:x}\"", self.etag_counter + 1000),
            _ => format!("\"{}\"", 63_000_000 + self.etag_counter),
        };
        let data = if self.flavor.rewrites() {
            rewrite(&data, self.etag_counter)
        } else {
            data
        };
        self.versions
            .insert((coll, name.to_owned(), etag.clone()), data.clone());
        let c = &mut self.colls[coll];
        c.version += 1;
        c.changed_at.insert(name.to_owned(), c.version);
        let before = c.members.insert(
            name.to_owned(),
            Member {
                etag: etag.clone(),
                data,
            },
        );
        // The version a replica behind still has: the one replaced, or none for a member new
        // (or new again after a deletion).
        match before {
            Some(before) => c.prior.insert(name.to_owned(), before),
            None => c.prior.remove(name),
        };
        c.stale_served.remove(name);
        c.client_latest.remove(name);
        self.event += 1;
        c.last_event.insert(name.to_owned(), self.event);
        etag
    }

    /// Removes a member, as any writer does.
    pub fn remove(&mut self, coll: usize, name: &str) -> Option<Member> {
        let c = &mut self.colls[coll];
        let gone = c.members.remove(name)?;
        c.client_latest.remove(name);
        c.version += 1;
        c.changed_at.insert(name.to_owned(), c.version);
        self.event += 1;
        c.last_event.insert(name.to_owned(), self.event);
        c.last_delete.insert(name.to_owned(), self.event);
        Some(gone)
    }

    /// Makes every sync token of a collection invalid.
    pub fn forget_tokens(&mut self, coll: usize) {
        self.colls[coll].epoch += 1;
    }

    pub fn token(&self, coll: usize, version: u64) -> String {
        let epoch = self.colls[coll].epoch;
        match self.flavor {
            Flavor::Generic | Flavor::Sogo => {
                format!("http://sim.test/ns/sync/c{coll}/{epoch}/{version}")
            }
            Flavor::Icloud => format!("HwoQ{coll:02X}{epoch:04X}{version:010X}AA=="),
            Flavor::GoogleCaldav | Flavor::GoogleCarddav => format!("g{coll}.{epoch}.{version}"),
        }
    }

    /// The version a token names, if it is one of this collection's valid tokens.
    fn token_version(&self, coll: usize, token: &str) -> Option<u64> {
        let (c, epoch, version) = match self.flavor {
            Flavor::Generic | Flavor::Sogo => {
                let rest = token.strip_prefix("http://sim.test/ns/sync/c")?;
                let mut parts = rest.split('/');
                (
                    parts.next()?.parse::<usize>().ok()?,
                    parts.next()?.parse::<u64>().ok()?,
                    parts.next()?.parse::<u64>().ok()?,
                )
            }
            Flavor::Icloud => {
                let hex = token.strip_prefix("HwoQ")?.strip_suffix("AA==")?;
                if hex.len() != 16 {
                    return None;
                }
                (
                    usize::from_str_radix(hex.get(0..2)?, 16).ok()?,
                    u64::from_str_radix(hex.get(2..6)?, 16).ok()?,
                    u64::from_str_radix(hex.get(6..16)?, 16).ok()?,
                )
            }
            Flavor::GoogleCaldav | Flavor::GoogleCarddav => {
                let mut parts = token.strip_prefix('g')?.split('.');
                (
                    parts.next()?.parse::<usize>().ok()?,
                    parts.next()?.parse::<u64>().ok()?,
                    parts.next()?.parse::<u64>().ok()?,
                )
            }
        };
        let col = self.colls.get(coll)?;
        (c == coll && epoch == col.epoch && version <= col.version).then_some(version)
    }

    /// Which collection or member an absolute URL or absolute path names.
    pub fn target(&self, url: &str) -> Option<(usize, Option<String>)> {
        let path = url.strip_prefix(ORIGIN).unwrap_or(url);
        let rest = path.strip_prefix(ROOT)?.strip_prefix('c')?;
        let (index, name) = match rest.split_once('/') {
            Some((i, n)) => (i, n),
            None => (rest, ""),
        };
        let coll: usize = index.parse().ok()?;
        if coll >= self.colls.len() || name.contains('/') {
            return None;
        }
        let name = davkit::href::percent_decode(name);
        Some((coll, (!name.is_empty()).then_some(name)))
    }

    pub fn classify(&self, req: &HttpRequest) -> Class {
        let Some((coll, name)) = self.target(&req.url) else {
            return Class::Other;
        };
        let body = req.body_text().unwrap_or("");
        let depth = req.header("depth").unwrap_or("");
        match (req.method, name) {
            (Method::Report, None) if body.contains("sync-collection") => Class::SyncPage {
                coll,
                token: xml::text(body, "sync-token").filter(|t| !t.is_empty()),
            },
            (Method::Report, None) if body.contains("multiget") => Class::Multiget(coll),
            (Method::Propfind, None) if depth == "0" => Class::CollProps(coll),
            (Method::Propfind, None) => Class::Listing(coll),
            (Method::Post, None) => Class::Post(coll),
            (Method::Propfind, Some(name)) => Class::Check(coll, name),
            (Method::Get, Some(name)) => Class::Get(coll, name),
            (Method::Put, Some(name)) => {
                let exists = self.colls[coll].members.contains_key(&name);
                Class::Put { coll, name, exists }
            }
            (Method::Delete, Some(name)) => Class::Delete(coll, name),
            _ => Class::Other,
        }
    }

    /// Answers a request. `ignore_if_none_match` makes a create replace what is there (a
    /// server that ignores the header). `applied` in the answer says whether a write happened.
    pub fn handle(
        &mut self,
        req: &HttpRequest,
        class: &Class,
        ignore_if_none_match: bool,
    ) -> Answer {
        let body = req.body_text().unwrap_or("");
        match class.clone() {
            Class::SyncPage { coll, token } => self.sync_page(req, coll, token.as_deref(), body),
            Class::Listing(coll) => self.listing(coll, true),
            Class::CollProps(coll) => self.listing(coll, false),
            Class::Multiget(coll) => self.multiget(coll, body),
            Class::Check(coll, name) => {
                let body = match self.colls[coll].members.get(&name) {
                    Some(m) => RowBody::Member {
                        etag: m.etag.clone(),
                        data: None,
                    },
                    // Servers answer a PROPFIND on nothing with 404, or with a 404 row.
                    None if self.handled.is_multiple_of(2) => return Answer::new(404),
                    None => RowBody::Status(404),
                };
                let href = Server::member_path(coll, &name);
                Answer::rows(vec![Row { href, body }], None, self.colls[coll].calendar)
            }
            Class::Get(coll, name) => match self.colls[coll].members.get(&name) {
                Some(m) => Answer::text(200, m.data.clone())
                    .header("ETag", &m.etag)
                    .header("Content-Type", content_type(self.colls[coll].calendar)),
                None => Answer::new(404),
            },
            Class::Put { coll, name, .. } => self.put(req, coll, &name, ignore_if_none_match),
            Class::Delete(coll, name) => self.delete(req, coll, &name),
            Class::Post(coll) => self.post(req, coll),
            Class::Other => Answer::new(405),
        }
    }

    fn sync_page(
        &mut self,
        req: &HttpRequest,
        coll: usize,
        token: Option<&str>,
        body: &str,
    ) -> Answer {
        let depth_ok = match self.flavor {
            Flavor::GoogleCarddav => req.header("depth") == Some("1"),
            _ => true,
        };
        if !self.sync_collection {
            return Answer::new(501);
        }
        if !depth_ok || (token.is_none() && self.flavor == Flavor::GoogleCarddav) {
            return Answer::new(400);
        }
        let asks_data = body.contains("calendar-data");
        if asks_data && self.data_in_sync == DataInSync::Refuses {
            return Answer::new(400);
        }
        let with_data = asks_data && self.data_in_sync == DataInSync::Sends;
        let since = match token {
            None => None,
            Some(t) => match self.token_version(coll, t) {
                Some(v) => Some(v),
                None => return self.invalid_token(403),
            },
        };
        let c = &self.colls[coll];
        let mut changed: Vec<(u64, &String)> = c
            .changed_at
            .iter()
            .filter(|(name, v)| match since {
                Some(s) => **v > s,
                None => c.members.contains_key(*name),
            })
            .map(|(name, v)| (*v, name))
            .collect();
        changed.sort();
        let limit = xml::text(body, "nresults")
            .and_then(|n| n.parse::<usize>().ok())
            .into_iter()
            .chain(c.page_size)
            .min();
        let mut truncated = false;
        let mut upto = c.version;
        if let Some(limit) = limit.filter(|l| changed.len() > *l && *l > 0) {
            changed.truncate(limit);
            truncated = true;
            upto = changed.last().map_or(upto, |(v, _)| *v);
        }
        let mut rows: Vec<Row> = changed
            .iter()
            .map(|(_, name)| Row {
                href: Server::member_path(coll, name),
                body: match c.members.get(*name) {
                    Some(m) => RowBody::Member {
                        etag: m.etag.clone(),
                        data: with_data.then(|| m.data.clone()),
                    },
                    None => RowBody::Status(404),
                },
            })
            .collect();
        if self.flavor == Flavor::Icloud && !rows.is_empty() {
            // iCloud lists its collection with an ETag among the changes.
            rows.insert(
                0,
                Row {
                    href: Server::coll_path(coll),
                    body: RowBody::Collection {
                        props: format!("<getetag>\"c{}\"</getetag>", c.version),
                    },
                },
            );
        }
        if truncated {
            rows.push(Row {
                href: Server::coll_path(coll),
                body: RowBody::Truncated,
            });
        }
        let calendar = c.calendar;
        Answer::rows(rows, Some(self.token(coll, upto)), calendar)
    }

    /// The answer to a token the server does not know (any of the signals servers use).
    pub fn invalid_token(&self, status: u16) -> Answer {
        match status {
            410 => Answer::new(410),
            s => Answer::text(s, xml::error_body("valid-sync-token"))
                .header("Content-Type", "application/xml; charset=utf-8"),
        }
    }

    /// A stuck page: truncated with the given token and no members.
    pub fn stuck_page(&self, coll: usize, token: String) -> Answer {
        let rows = vec![Row {
            href: Server::coll_path(coll),
            body: RowBody::Truncated,
        }];
        Answer::rows(rows, Some(token), self.colls[coll].calendar)
    }

    fn listing(&self, coll: usize, members: bool) -> Answer {
        let c = &self.colls[coll];
        let ctag = format!("ctag-{}-{}", c.epoch, c.version);
        let mut rows = vec![Row {
            href: Server::coll_path(coll),
            body: RowBody::Collection {
                props: xml::collection_props(
                    self.flavor.style(0),
                    c.calendar,
                    &ctag,
                    self.sync_collection
                        .then(|| self.token(coll, c.version))
                        .as_deref(),
                ),
            },
        }];
        if members {
            rows.extend(c.members.iter().map(|(name, m)| Row {
                href: Server::member_path(coll, name),
                body: RowBody::Member {
                    etag: m.etag.clone(),
                    data: None,
                },
            }));
            if self.flavor == Flavor::Generic && self.handled % 4 == 1 {
                // A child collection is listed too; it is not a member.
                rows.push(Row {
                    href: format!("{}inbox/", Server::coll_path(coll)),
                    body: RowBody::Collection {
                        props: xml::child_collection_props(self.flavor.style(0)),
                    },
                });
            }
        }
        Answer::rows(rows, None, c.calendar)
    }

    fn multiget(&self, coll: usize, body: &str) -> Answer {
        let c = &self.colls[coll];
        let mut rows = xml::texts(body, "href")
            .into_iter()
            .map(|href| {
                let (href, member) = match self.target(&href) {
                    Some((t, Some(name))) if t == coll => {
                        (Server::member_path(coll, &name), c.members.get(&name))
                    }
                    _ => (href, None),
                };
                Row {
                    body: match member {
                        Some(m) => RowBody::Member {
                            etag: m.etag.clone(),
                            data: Some(m.data.clone()),
                        },
                        None => RowBody::Status(404),
                    },
                    href,
                }
            })
            .collect::<Vec<_>>();
        if self.handled % 3 == 2 {
            // Rows need not come in the order asked.
            rows.reverse();
        }
        Answer::rows(rows, None, c.calendar)
    }

    fn put(&mut self, req: &HttpRequest, coll: usize, name: &str, ignore_inm: bool) -> Answer {
        let current = self.colls[coll].members.get(name).cloned();
        let if_match = req.header("if-match").map(str::to_owned);
        let if_none_match = req.header("if-none-match") == Some("*");
        if self.flavor.honours_if_match()
            && let Some(expected) = &if_match
            && current.as_ref().map(|m| &m.etag) != Some(expected)
        {
            return Answer::new(412);
        }
        if if_none_match && self.flavor.honours_if_none_match() && !ignore_inm && current.is_some()
        {
            return Answer::new(412);
        }
        let data = req.body_text().unwrap_or("").to_owned();
        let etag = self.store(coll, name, data);
        let mut answer = Answer::new(if current.is_some() { 204 } else { 201 });
        // A server that stores the bytes as sent may say the new ETag (most do, not all).
        if !self.flavor.rewrites() && !self.handled.is_multiple_of(4) {
            answer = answer.header("ETag", &etag);
        }
        answer.applied = Some(AppliedWrite {
            coll,
            name: name.to_owned(),
            method: Method::Put,
            replaced: current,
            new_etag: Some(etag),
            if_match,
            data: req.body_text().map(str::to_owned),
        });
        answer
    }

    fn delete(&mut self, req: &HttpRequest, coll: usize, name: &str) -> Answer {
        let current = self.colls[coll].members.get(name).cloned();
        let if_match = req.header("if-match").map(str::to_owned);
        if self.flavor.honours_if_match_on_delete()
            && let Some(expected) = &if_match
            && current.as_ref().map(|m| &m.etag) != Some(expected)
        {
            return Answer::new(412);
        }
        if current.is_none() {
            return Answer::new(404);
        }
        let replaced = self.remove(coll, name);
        let mut answer = Answer::new(204);
        answer.applied = Some(AppliedWrite {
            coll,
            name: name.to_owned(),
            method: Method::Delete,
            replaced,
            new_etag: None,
            if_match,
            data: None,
        });
        answer
    }

    fn post(&mut self, req: &HttpRequest, coll: usize) -> Answer {
        if self.flavor != Flavor::GoogleCarddav {
            return Answer::new(405);
        }
        let uid = self.fresh_uid("p");
        let name = member_name(self.colls[coll].calendar, &uid);
        let data = req.body_text().unwrap_or("").to_owned();
        let etag = self.store(coll, &name, data);
        let location = Server::member_path(coll, &name).replace(' ', "%20");
        let mut answer = Answer::new(201).header("Location", &location);
        answer.applied = Some(AppliedWrite {
            coll,
            name,
            method: Method::Post,
            replaced: None,
            new_etag: Some(etag),
            if_match: None,
            data: req.body_text().map(str::to_owned),
        });
        answer
    }
}

fn content_type(calendar: bool) -> &'static str {
    if calendar {
        "text/calendar; charset=utf-8"
    } else {
        "text/vcard; charset=utf-8"
    }
}

/// What Google does to stored objects: adds its own property, so a read-back is needed.
fn rewrite(data: &str, n: u64) -> String {
    let end = data
        .rfind("END:VCALENDAR")
        .or_else(|| data.rfind("END:VCARD"))
        .unwrap_or(data.len());
    format!("{}X-SIM-STORED:{n}\r\n{}", &data[..end], &data[end..])
}
