//! Reading objects in a collection: listing (RFC 4918 PROPFIND), calendar-query (RFC 4791
//! §7.8), multiget in batches (RFC 4791 §7.9, RFC 6352 §8.7) and GET. Writes are in
//! [`write`](crate::ops::write).

use crate::url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::href;
use crate::http::Method;
use crate::limits::Limits;
use crate::model::{CollectionKind, DavObject};
use crate::ops::single::SingleExchange;
use crate::rfc4791::{CalendarFilter, calendar_multiget_body, calendar_query_body};
use crate::rfc4918::multistatus::{self, Multistatus, Responses};
use crate::rfc4918::{Depth, propfind_body};
use crate::rfc6352::addressbook_multiget_body;
use crate::session::Session;
use crate::xml::names;

/// The objects found by a listing, query or multiget.
pub type Objects = Vec<DavObject>;

/// What a GET's 200 that is not an object ([`is_object_text`]) is reported as.
pub(crate) const NOT_AN_OBJECT: &str =
    "GET answered 200 with something that is not an iCalendar or vCard object";

/// Whether a GET's text is an iCalendar or vCard object: `BEGIN:` first (case aside), after
/// a byte order mark and white space. A captive portal's or a login proxy's page answered
/// 200 is not, and never stands for a member.
pub(crate) fn is_object_text(text: &str) -> bool {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    rest.get(..6)
        .is_some_and(|b| b.eq_ignore_ascii_case("BEGIN:"))
}

/// A GET of one object: asks for it uncompressed (`Accept-Encoding: identity`), so that a
/// proxy that compresses answers on the way keeps the origin's strong ETag on it (see
/// [`object_etag`]).
pub(crate) fn get_object_spec(url: Url) -> Spec {
    Spec::new(Method::Get, url).header("Accept-Encoding", "identity")
}

/// The `ETag` of a GET's answer, as `If-Match` can use it: a weak validator's `W/` dropped.
/// A proxy that compresses the answer on the way makes the origin's strong ETag weak (nginx
/// with `gzip` on, since 1.7.3: Nextcloud's recommended configuration compresses vCards of 256
/// bytes and more), and a browser's `fetch` asks for compression whatever the request says
/// ([`get_object_spec`]'s `identity` is a header it may not set). The transports hand over the
/// decoded body, the bytes the origin's strong ETag names, and `If-Match` compares strongly
/// (RFC 9110 §13.1.1): kept weak, the ETag would never match, and every write made on this
/// read would be refused 412 (and a sync's listing, which names the strong form, would
/// fetch the member again). Multistatus `getetag` values travel inside the body and are
/// untouched by compression; they are read as they are.
pub(crate) fn object_etag(response: &crate::http::HttpResponse) -> Option<String> {
    let strong = strong_form(response.header("etag")?);
    (!strong.is_empty()).then(|| strong.to_owned())
}

/// An ETag without a weak validator's `W/` (and trimmed; an ETag is a quoted tag, with `W/`
/// before it when weak): the form [`object_etag`] reads, so
/// that two ETags davkit compares itself (a write's check where the server ignores `If-Match`,
/// the read after a write lost in transit) are the same version whichever of the two forms
/// each came in.
pub(crate) fn strong_form(etag: &str) -> &str {
    let etag = etag.trim();
    etag.strip_prefix("W/").unwrap_or(etag)
}

impl Session {
    /// Lists the members of a collection with their ETags (no data). A member whose row is an
    /// error (but 404 or 410) is listed without an ETag; a listing the server cut short (507)
    /// or whose collection row answered 404 or 410 is an error.
    pub fn list_objects(&self, collection_url: &str) -> SingleExchange<Objects> {
        let url = match self.url(collection_url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let body = propfind_body(&[names::RESOURCETYPE, names::GETETAG, names::GETCONTENTTYPE]);
        let spec = Spec::new(Method::Propfind, url)
            .header("Depth", Depth::One.as_str())
            .xml(body);
        let limits = self.ctx.limits;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            members(
                expect_responses(&reply, &limits)?,
                reply.url.as_str(),
                Rows::Listing,
            )
        })
    }

    /// Runs a calendar-query: the objects with a component overlapping a time range, with
    /// their data. Servers expand nothing here; recurrence is matched by the server's rules.
    pub fn calendar_query(
        &self,
        collection_url: &str,
        filter: CalendarFilter,
    ) -> SingleExchange<Objects> {
        let url = match self.url(collection_url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        let body = calendar_query_body(&[names::GETETAG, names::CALENDAR_DATA], &filter);
        let spec = Spec::new(Method::Report, url)
            .header("Depth", Depth::One.as_str())
            .xml(body);
        let limits = self.ctx.limits;
        SingleExchange::new(self.ctx.clone(), spec, move |reply| {
            members(
                expect_responses(&reply, &limits)?,
                reply.url.as_str(),
                Rows::Query,
            )
        })
    }

    /// Fetches these members of a collection with calendar-multiget or addressbook-multiget,
    /// in batches sent in parallel. Members the server reports missing (404, 410) are listed in
    /// [`MultigetResult::missing`]; members the answer leaves out or answers with a failed row
    /// are listed in [`MultigetResult::unanswered`], never taken as gone.
    pub fn multiget(
        &self,
        collection_url: &str,
        kind: CollectionKind,
        hrefs: Vec<String>,
    ) -> Multiget {
        Multiget::new(self, collection_url, kind, hrefs)
    }

    /// Fetches one object with GET. A 200 whose body is not an iCalendar or vCard object (a
    /// login proxy's or captive portal's page) is an [`ErrorKind::Protocol`] error, never the
    /// object's data.
    pub fn get_object(&self, url: &str) -> SingleExchange<DavObject> {
        let url = match self.url(url) {
            Ok(u) => u,
            Err(e) => return SingleExchange::failed(self.ctx.clone(), e),
        };
        SingleExchange::new(self.ctx.clone(), get_object_spec(url), |reply| {
            let Reply { url, response } = reply;
            if response.status != 200 {
                return Err(Error::from_response(url.as_str(), &response));
            }
            let etag = object_etag(&response);
            // (Not UTF-8 is not an object either.)
            match String::from_utf8(response.body) {
                Ok(data) if is_object_text(&data) => Ok(DavObject {
                    url: url.to_string(),
                    etag,
                    data: Some(data),
                    json: None,
                }),
                _ => Err(Error::new(ErrorKind::Protocol, NOT_AN_OBJECT).with_url(url.as_str())),
            }
        })
    }
}

/// A `207` answer parsed within the session's `limits`; any other status is its error.
pub(crate) fn expect_multistatus(reply: &Reply, limits: &Limits) -> Result<Multistatus> {
    if reply.response.status != 207 {
        return Err(Error::from_response(reply.url.as_str(), &reply.response));
    }
    multistatus::parse_with_limits(&reply.response.body, reply.url.as_str(), limits)
}

/// A write answered `207 Multi-Status` (RFC 4918 §9.6.1: a DELETE that could not remove
/// everything names what it could not, a locked or forbidden member, each with its status): an
/// error with the first status that is not a success, so that the write is never reported
/// done while the server still holds what it refused to remove. A 207 whose rows all
/// succeeded is the write's success; one that cannot be read is its error.
pub(crate) fn multistatus_refusal(reply: &Reply, limits: &Limits) -> Result<()> {
    for r in expect_responses(reply, limits)? {
        let r = r?;
        let status = r.effective_status();
        if !(200..300).contains(&status) {
            return Err(Error::new(
                crate::error::ErrorKind::for_status(status),
                format!(
                    "the server answered 207 Multi-Status with {status} for {}: the write was \
                     not done",
                    r.href
                ),
            )
            .with_status(status)
            .with_url(reply.url.as_str()));
        }
    }
    Ok(())
}

/// A `207` answer read one response at a time within the session's `limits` (so that the
/// typed form of the whole body is never held); any other status is its error.
pub(crate) fn expect_responses<'a>(reply: &'a Reply, limits: &Limits) -> Result<Responses<'a>> {
    if reply.response.status != 207 {
        return Err(Error::from_response(reply.url.as_str(), &reply.response));
    }
    Responses::new(&reply.response.body, reply.url.as_str(), limits)
}

/// A member listing (PROPFIND `Depth: 1`) that cannot tell which members are gone: a 507
/// under any href (the server cut it short: no member answers 507, and the collection's own
/// row may come under a backend's host), or the collection's own row answered 404 or 410 (the
/// listing is not of this collection: gone, or a proxy sent the request elsewhere). The
/// error, else `None`. One rule for the sync's ETag listing, [`Session::list_objects`] and
/// [`Session::calendar_query`].
pub(crate) fn listing_refused(r: &multistatus::Response, own: bool, url: &str) -> Option<Error> {
    let error = match r.status {
        Some(507) => Error::new(
            ErrorKind::Protocol,
            "the server truncated the member listing (507), so deletions cannot be told",
        ),
        Some(status @ (404 | 410)) if own => Error::new(
            ErrorKind::NotFound,
            format!("the collection itself answered {status} in its member listing"),
        ),
        _ => return None,
    };
    Some(error.with_status(r.status?).with_url(url))
}

/// What a multistatus of members answers, for [`members`].
pub(crate) enum Rows<'m> {
    /// A listing (PROPFIND `Depth: 1`, no data).
    Listing,
    /// A calendar-query: the members it matched, with their data.
    Query,
    /// A multiget: the members asked, with their data; the hrefs answered 404 or 410 go to
    /// the list.
    Multiget(&'m mut Vec<String>),
}

/// The members in a multistatus: not the collection itself, not sub-collections, the first
/// row of a duplicate href, never filtered by file extension. A listing or query that cannot
/// tell which members it left out is an error ([`listing_refused`]); a multiget's unanswered
/// members are fetched again by its caller instead. A listing keeps a member whose row is an
/// error (but 404 or 410: gone) without an ETag: it exists and its state is unknown, so an app
/// that compares ETags reads it again rather than taking it for deleted. A query or multiget
/// leaves out failed rows and members without data. Each response is dropped once read, its
/// data moved into the object.
pub(crate) fn members(
    responses: Responses<'_>,
    collection_url: &str,
    mut rows: Rows<'_>,
) -> Result<Objects> {
    let own = href::normalize(collection_url);
    let mut seen = crate::string_set::StringSet::new();
    let mut out = Vec::new();
    for r in responses {
        let mut r = r?;
        let key = href::normalize(&r.href);
        if let Rows::Multiget(missing) = &mut rows {
            if matches!(r.status, Some(404) | Some(410)) {
                missing.push(r.href.clone());
            }
        } else if let Some(e) = listing_refused(&r, key == own, collection_url) {
            return Err(e);
        }
        let listing = matches!(rows, Rows::Listing);
        let status = r.effective_status();
        let dropped = status != 200 && (!listing || matches!(status, 404 | 410));
        if key == own || dropped || !seen.insert(key) {
            continue;
        }
        if r.prop(&names::RESOURCETYPE)
            .is_some_and(|t| t.child(crate::xml::DAV, "collection").is_some())
        {
            continue;
        }
        let data = if listing { None } else { take_data(&mut r) };
        if !listing && data.is_none() {
            // iCloud lists the collection (or empty objects) with a 404 calendar-data.
            continue;
        }
        out.push(DavObject {
            etag: (status == 200)
                .then(|| r.prop_text(&names::GETETAG))
                .flatten(),
            url: r.href,
            data,
            json: None,
        });
    }
    Ok(out)
}

/// The text of the response's calendar-data, else address-data (from a 2xx propstat, as
/// [`multistatus::Response::prop`] finds it), moved out when it is one piece (so the answer is
/// never also held as a parsed tree); `None` when it is not an iCalendar or vCard object
/// ([`is_object_text`]: empty, or a server's or proxy's error text), which is no member's data
/// and never stands for one. One rule for listings, queries, multigets and sync pages.
pub(crate) fn take_data(r: &mut multistatus::Response) -> Option<String> {
    take_text(r).filter(|d| is_object_text(d))
}

fn take_text(r: &mut multistatus::Response) -> Option<String> {
    for name in [&names::CALENDAR_DATA, &names::ADDRESS_DATA] {
        let found = r
            .propstats
            .iter_mut()
            .filter(|p| (200..300).contains(&p.status))
            .flat_map(|p| p.props.iter_mut())
            .find(|e| e.name == *name);
        if let Some(e) = found {
            return Some(match e.children.as_mut_slice() {
                [crate::xml::Node::Text(t)] => std::mem::take(t),
                _ => e.text(),
            });
        }
    }
    None
}

/// Fetches objects by href in parallel batches; create it with [`Session::multiget`].
pub struct Multiget {
    m: Machine<usize, MultigetResult>,
    collection: String,
    result: MultigetResult,
    pending: usize,
    /// The hrefs asked for, resolved against the collection.
    asked: Vec<String>,
    /// Each request's hrefs, normalised: a row for any other href (even one another request
    /// asks for) is not that request's answer, and is ignored.
    batches: Vec<crate::string_set::StringSet>,
}

/// What a multiget found.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct MultigetResult {
    /// The objects with their data and ETags.
    pub objects: Objects,
    /// Hrefs the server reported missing (404), as absolute URLs.
    pub missing: Vec<String>,
    /// Hrefs asked for that the answer neither delivered nor reported missing: left out of
    /// the multistatus (DAViCal leaves out hrefs it does not have) or answered with a failed
    /// row. As absolute URLs. Nothing is known about them: not a deletion; ask again.
    #[serde(default)]
    pub unanswered: Vec<String>,
}

impl Multiget {
    fn new(
        session: &Session,
        collection_url: &str,
        kind: CollectionKind,
        hrefs: Vec<String>,
    ) -> Self {
        let mut op = Multiget {
            m: Machine::new(session.ctx.clone()),
            collection: String::new(),
            result: MultigetResult::default(),
            pending: 0,
            asked: Vec::new(),
            batches: Vec::new(),
        };
        let url = match session.url(collection_url) {
            Ok(u) => href::as_collection(&u),
            Err(e) => {
                op.m.fail(e);
                return op;
            }
        };
        op.collection = url.to_string();
        for h in &hrefs {
            op.asked
                .push(href::resolve_to_string(&url, h).unwrap_or_else(|_| h.clone()));
        }
        if hrefs.is_empty() {
            op.m.finish(Ok(MultigetResult::default()));
            return op;
        }
        let batch = session.ctx.batch_size;
        for (i, chunk) in hrefs.chunks(batch).enumerate() {
            let mut ours = crate::string_set::StringSet::new();
            for a in &op.asked[i * batch..i * batch + chunk.len()] {
                ours.insert(href::normalize(a));
            }
            op.batches.push(ours);
            op.m.x.send(i, multiget_spec(&url, kind, chunk));
            op.pending += 1;
        }
        op
    }

    fn on_reply(&mut self, batch: usize, reply: Result<Reply>) {
        let limits = self.m.x.ctx().limits;
        let mut missing = Vec::new();
        let objects = reply.and_then(|r| {
            members(
                expect_responses(&r, &limits)?,
                &self.collection,
                Rows::Multiget(&mut missing),
            )
        });
        let objects = match objects {
            Ok(objects) => objects,
            Err(e) => return self.m.fail(e),
        };
        // Only the rows for this request's hrefs: an unasked row (a 404 for a member whose own
        // row failed elsewhere) would otherwise count as that member's answer.
        let ours = |u: &str| {
            self.batches
                .get(batch)
                .is_some_and(|s| s.contains(&href::normalize(u)))
        };
        let (mut kept, mut gone) = (Vec::new(), Vec::new());
        for o in objects {
            if ours(&o.url) {
                kept.push(o);
            }
        }
        for m in missing {
            if ours(&m) {
                gone.push(m);
            }
        }
        self.result.objects.extend(kept);
        self.result.missing.extend(gone);
        self.pending -= 1;
        if self.pending == 0 {
            let mut result = std::mem::take(&mut self.result);
            result.unanswered = unanswered(&self.asked, &result);
            self.m.finish(Ok(result));
        }
    }
}

impl_operation!(Multiget, MultigetResult);

/// The hrefs of `asked` that `result` neither delivers nor reports missing, each once, in the
/// order asked.
fn unanswered(asked: &[String], result: &MultigetResult) -> Vec<String> {
    // Inserted one by one: each `collect` into a set is its own copy of the set's bulk
    // building (a sort, a de-duplication, a vector of that iterator) in the WebAssembly module.
    let mut answered = crate::string_set::StringSet::new();
    for o in &result.objects {
        answered.insert(href::normalize(&o.url));
    }
    for m in &result.missing {
        answered.insert(href::normalize(m));
    }
    let mut left = Vec::new();
    for a in asked {
        if answered.insert(href::normalize(a)) {
            left.push(a.clone());
        }
    }
    left
}

/// A calendar-multiget or addressbook-multiget REPORT for some members of a collection.
pub(crate) fn multiget_spec(collection: &Url, kind: CollectionKind, hrefs: &[String]) -> Spec {
    let mut paths = Vec::new();
    for h in hrefs {
        paths.push(request_href(collection, h));
    }
    let body = match kind {
        CollectionKind::AddressBook => {
            addressbook_multiget_body(&[names::GETETAG, names::ADDRESS_DATA], &paths)
        }
        _ => calendar_multiget_body(&[names::GETETAG, names::CALENDAR_DATA], &paths),
    };
    Spec::new(Method::Report, collection.clone())
        .header("Depth", Depth::One.as_str())
        .xml(body)
}

/// An href for a request body: the path when on the collection's origin, else the full URL.
///
/// A member written as the collection's own `scheme://authority` and a plain path (nearly all:
/// the sync resolves the listing's hrefs against the collection) is its path as it is, without
/// parsing it: the parser would keep both parts unchanged. Parsing each of 1,000 members was
/// 10 ms of an initial sync in the npm package's module (CPU profile, 2026-12-02).
fn request_href(collection: &Url, member: &str) -> String {
    if let Some(path) = member.strip_prefix(collection.before_path())
        && path.starts_with('/')
        && href::is_plain_path(path)
    {
        return path.to_owned();
    }
    parsed_request_href(collection, member)
}

/// [`request_href`] by parsing `member`.
fn parsed_request_href(collection: &Url, member: &str) -> String {
    match Url::parse(member) {
        Ok(u) if href::same_origin(&u, collection) => {
            let mut path = u.path().to_owned();
            if let Some(q) = u.query() {
                path.push('?');
                path.push_str(q);
            }
            path
        }
        Ok(u) => u.to_string(),
        Err(_) => member.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GET's ETag as `If-Match` matches it: `W/` dropped from a weak validator, anything
    /// else as it came (trimmed); none for a missing or empty header.
    #[test]
    fn a_gets_etag_is_read_in_its_strong_form() {
        let etag = |value: Option<&str>| {
            let mut r = crate::http::HttpResponse::new(200, "BEGIN:VCALENDAR");
            if let Some(v) = value {
                r = r.with_header("ETag", v);
            }
            object_etag(&r)
        };
        assert_eq!(etag(Some("W/\"abc\"")).as_deref(), Some("\"abc\""));
        assert_eq!(etag(Some(" W/\"abc\" ")).as_deref(), Some("\"abc\""));
        assert_eq!(etag(Some("\"abc\"")).as_deref(), Some("\"abc\""));
        assert_eq!(etag(Some("abc")).as_deref(), Some("abc"));
        assert_eq!(etag(Some("  ")), None);
        assert_eq!(etag(None), None);
        // The comparisons davkit makes itself see one version in both forms.
        assert_eq!(strong_form("W/\"abc\""), strong_form("\"abc\" "));
        assert_ne!(strong_form("W/\"abc\""), strong_form("\"abd\""));
    }

    /// The shortcut gives what parsing gives, for members on and off the collection's origin,
    /// written plainly or not.
    #[test]
    fn request_href_without_parsing_is_the_parsed_one() {
        let collections = [
            "https://dav.example.com/cal/home/",
            "http://127.0.0.1:5232/alice/bench/",
            "https://u:p@dav.example.com/cal/",
            "http://localhost:8080/dav/",
        ];
        let origins = [
            "https://dav.example.com",
            "http://127.0.0.1:5232",
            "https://u:p@dav.example.com",
            "http://localhost:8080",
            "https://DAV.example.com",
            "https://dav.example.com:443",
            "http://127.0.0.1:80",
            "https://other.example.com",
            "http://localhost:8081",
            "https://dav.example.com.",
        ];
        let paths = [
            "/cal/home/e1.ics",
            "/alice/bench/bench-event-00001.ics",
            "/cal/a;b=c/d@e:f!$&'()*+,~_-.ics",
            "/cal/./e.ics",
            "/cal/../e.ics",
            "/cal/..",
            "/cal/e%20f.ics",
            "/cal/e f.ics",
            "/cal/é.ics",
            "/cal/e.ics?x=1",
            "/cal/e.ics#frag",
            "//cal//e.ics",
            "/cal\\e.ics",
            "/",
            "",
            "?q",
        ];
        let mut checked = 0;
        for c in collections {
            let collection = Url::parse(c).expect("collection");
            for o in origins {
                for p in paths {
                    let member = format!("{o}{p}");
                    assert_eq!(
                        request_href(&collection, &member),
                        parsed_request_href(&collection, &member),
                        "{member} in {c}"
                    );
                    checked += 1;
                }
            }
            assert_eq!(
                request_href(&collection, "not a url"),
                parsed_request_href(&collection, "not a url")
            );
        }
        assert_eq!(checked, collections.len() * origins.len() * paths.len());
        let c = Url::parse("http://127.0.0.1:5232/alice/bench/").expect("collection");
        assert_eq!(
            request_href(&c, "http://127.0.0.1:5232/alice/bench/e1.ics"),
            "/alice/bench/e1.ics"
        );
    }
}
