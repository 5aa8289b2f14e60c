//! The calls a flush makes to the server, described ([`FlushRequest`]) and answered
//! ([`FlushAnswer`]), and the operations that make them here ([`Inner`]): a write with its
//! precondition, a GET, a listing or a multiget, one at a time.
//!
//! [`FlushSteps`](super::FlushSteps) decides and [`Flush`](super::Flush) runs each request
//! through the session's own operations; a host whose DAV client lives elsewhere (the npm
//! package's formats module) can answer the same requests with that client's calls.

use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::http::{HttpResponse, RequestId};
use crate::model::{CollectionKind, DavObject, WriteResult};
use crate::op::{Operation, Poll, answered};
use crate::ops::objects::MultigetResult;
use crate::ops::single::SingleExchange;
use crate::ops::write::Write;
use crate::session::Session;

/// A call a flush asks of the server; answer it with the [`FlushAnswer`] of the same kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlushRequest {
    /// Read an object ([`Session::get_object`]): [`FlushAnswer::Get`].
    Get {
        /// The object's URL.
        url: String,
    },
    /// Create an object named `name` in `collection`, never over another
    /// ([`Session::create_object`]): [`FlushAnswer::Write`].
    Create {
        /// The collection's URL.
        collection: String,
        /// The object's name (its last path segment, decoded).
        name: String,
        /// The iCalendar or vCard text.
        data: String,
    },
    /// Replace an object if it is still version `etag` ([`Session::update_object`]):
    /// [`FlushAnswer::Write`].
    Update {
        /// The object's URL.
        url: String,
        /// The iCalendar or vCard text.
        data: String,
        /// The version it replaces.
        etag: String,
    },
    /// Delete an object if it is still version `etag` ([`Session::delete_object`]):
    /// [`FlushAnswer::Write`].
    Delete {
        /// The object's URL.
        url: String,
        /// The version it deletes.
        etag: String,
    },
    /// Every member of a collection ([`Session::list_members`]): [`FlushAnswer::List`].
    List {
        /// The collection's URL.
        collection: String,
    },
    /// The listed members with their data ([`Session::multiget`]): [`FlushAnswer::Multiget`].
    Multiget {
        /// The collection's URL.
        collection: String,
        /// A calendar or an address book.
        kind: CollectionKind,
        /// The members' hrefs.
        hrefs: Vec<String>,
    },
}

/// What the server answered a [`FlushRequest`] (an error included: the flush decides what
/// each error means for its entry).
#[derive(Debug)]
pub enum FlushAnswer {
    /// To [`FlushRequest::Create`], [`Update`](FlushRequest::Update) or
    /// [`Delete`](FlushRequest::Delete).
    Write(Result<WriteResult>),
    /// To [`FlushRequest::Get`].
    Get(Result<DavObject>),
    /// To [`FlushRequest::List`].
    List(Result<Vec<String>>),
    /// To [`FlushRequest::Multiget`].
    Multiget(Result<MultigetResult>),
}

/// A [`FlushRequest`] being made by the session's own operation.
pub(super) enum Inner {
    Write(Box<Write>),
    Get(SingleExchange<DavObject>),
    List(SingleExchange<Vec<String>>),
    Multiget(crate::ops::objects::Multiget),
}

impl Inner {
    /// The operation that makes `request`.
    pub(super) fn start(request: FlushRequest, session: &Session) -> Inner {
        match request {
            FlushRequest::Get { url } => Inner::Get(session.get_object(&url)),
            FlushRequest::Create {
                collection,
                name,
                data,
            } => Inner::Write(Box::new(session.create_object(&collection, &name, &data))),
            FlushRequest::Update { url, data, etag } => {
                Inner::Write(Box::new(session.update_object(&url, &data, &etag)))
            }
            FlushRequest::Delete { url, etag } => {
                Inner::Write(Box::new(session.delete_object(&url, &etag)))
            }
            FlushRequest::List { collection } => Inner::List(session.list_members(&collection)),
            FlushRequest::Multiget {
                collection,
                kind,
                hrefs,
            } => Inner::Multiget(session.multiget(&collection, kind, hrefs)),
        }
    }
}

impl Operation for Inner {
    type Output = FlushAnswer;

    fn poll(&mut self) -> Poll<FlushAnswer> {
        match self {
            Inner::Write(op) => answered(op.poll(), FlushAnswer::Write),
            Inner::Get(op) => answered(op.poll(), FlushAnswer::Get),
            Inner::List(op) => answered(op.poll(), FlushAnswer::List),
            Inner::Multiget(op) => answered(op.poll(), FlushAnswer::Multiget),
        }
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        match self {
            Inner::Write(op) => op.handle_response(id, response),
            Inner::Get(op) => op.handle_response(id, response),
            Inner::List(op) => op.handle_response(id, response),
            Inner::Multiget(op) => op.handle_response(id, response),
        }
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        match self {
            Inner::Write(op) => op.handle_transport_error(id, error),
            Inner::Get(op) => op.handle_transport_error(id, error),
            Inner::List(op) => op.handle_transport_error(id, error),
            Inner::Multiget(op) => op.handle_transport_error(id, error),
        }
    }
}

impl Session {
    /// Every member of a collection (a PROPFIND of depth 1), or an error when the listing
    /// cannot rule one out (a member's row with an error status): a flush's search for an
    /// earlier POST must see the whole collection. Sub-collections and the collection's own
    /// row are left out, and so are members answered 404 or 410 (gone since).
    pub fn list_members(&self, collection: &str) -> SingleExchange<Vec<String>> {
        let ctx = self.ctx.clone();
        let url = match self.url(collection) {
            Ok(u) => href::as_collection(&u),
            Err(e) => return SingleExchange::failed(ctx, e),
        };
        let body = crate::rfc4918::propfind_body(&[
            crate::xml::names::RESOURCETYPE,
            crate::xml::names::GETETAG,
        ]);
        let spec = crate::exchange::Spec::new(crate::http::Method::Propfind, url)
            .header("Depth", crate::rfc4918::Depth::One.as_str())
            .xml(body);
        let limits = ctx.limits;
        SingleExchange::new(ctx, spec, move |reply| {
            if reply.response.status != 207 {
                return Err(Error::from_response(reply.url.as_str(), &reply.response));
            }
            let ms = crate::rfc4918::multistatus::parse_with_limits(
                &reply.response.body,
                reply.url.as_str(),
                &limits,
            )?;
            let own = href::normalize(reply.url.as_str());
            let mut hrefs = Vec::new();
            // A set beside the list: a check of the list itself was quadratic in the members.
            let mut seen = crate::string_set::StringSet::new();
            for r in &ms.responses {
                if href::normalize(&r.href) == own
                    || matches!(r.effective_status(), 404 | 410)
                    || r.prop(&crate::xml::names::RESOURCETYPE)
                        .is_some_and(|t| t.child(crate::xml::DAV, "collection").is_some())
                {
                    continue;
                }
                if r.effective_status() != 200 {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        "the listing has an error row: a create an earlier flush may have \
                         posted cannot be ruled out, so it is not posted now",
                    )
                    .with_url(&r.href));
                }
                if seen.insert(r.href.clone()) {
                    hrefs.push(r.href.clone());
                }
            }
            Ok(hrefs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // test code

    use crate::op::{Operation, Poll};
    use crate::{Config, Credentials, HttpResponse, Session};

    fn listed(body: &str) -> crate::Result<Vec<String>> {
        let config = Config::new("https://dav.example.com/", Credentials::basic("a", "b"));
        let mut op = Session::new(config).unwrap().list_members("cal/");
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    op.handle_response(request.id, HttpResponse::new(207, body.to_string()))
                }
                Poll::Wait => panic!("every request is answered at once"),
                Poll::Done(result) => return result,
            }
        }
    }

    /// A member's row: with its ETag when `status` is 200, else with `status` alone.
    fn row(href: &str, status: &str) -> String {
        if status.starts_with("200") {
            format!(
                "<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>\"1\"\
                 </d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>\
                 </d:response>"
            )
        } else {
            format!(
                "<d:response><d:href>{href}</d:href><d:status>HTTP/1.1 {status}</d:status>\
                 </d:response>"
            )
        }
    }

    fn multistatus(rows: &[String]) -> String {
        format!(
            "<d:multistatus xmlns:d=\"DAV:\">{}</d:multistatus>",
            rows.concat()
        )
    }

    #[test]
    fn members_are_listed_once_each_in_the_order_first_seen() {
        // 2,000 members, each after a repeat of one of the first seven
        let mut rows = vec![row("/cal/", "200 OK")];
        let mut sent = Vec::new();
        for i in 0..2_000 {
            for h in [format!("/cal/{}.ics", i % 7), format!("/cal/{i}.ics")] {
                rows.push(row(&h, "200 OK"));
                sent.push(h);
            }
        }
        rows.push(row("/cal/gone.ics", "404 Not Found"));
        let hrefs = listed(&multistatus(&rows)).unwrap();
        assert_eq!(hrefs.len(), 2_000);
        let url = |i: usize| format!("https://dav.example.com/cal/{i}.ics");
        assert_eq!(hrefs[..3], [url(0), url(1), url(2)]);
        assert_eq!(hrefs[7], url(7));
        assert_eq!(hrefs[1_999], url(1_999));
        let mut first_seen: Vec<String> = sent
            .iter()
            .map(|h| format!("https://dav.example.com{h}"))
            .collect();
        let mut unique = crate::string_set::StringSet::new();
        first_seen.retain(|h| unique.insert(h.clone()));
        assert_eq!(hrefs, first_seen);
    }

    #[test]
    fn an_error_row_refuses_the_listing() {
        let rows = [row("/cal/a.ics", "200 OK"), row("/cal/b.ics", "500 Oops")];
        let e = listed(&multistatus(&rows)).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Protocol);
        assert_eq!(e.url(), Some("https://dav.example.com/cal/b.ics"));
    }
}
