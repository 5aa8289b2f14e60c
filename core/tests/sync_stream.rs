//! A sync reads its sync-collection pages and multiget answers as they arrive: a transport
//! that hands bodies over in chunks (any size, down to one byte) gives the same changes and
//! state as one that hands over whole bodies, and a body that breaks off or ends inside a
//! response fails the sync (a typed error, the stored state still valid), never a shorter
//! listing read as deletions. The server is scripted: a sync-collection answer in two pages
//! (the first truncated with 507), with a deletion, an error row and a repeated row, then
//! calendar-multigets; or, without sync-collection, an ETag listing.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::block_on;

use std::cell::Cell;

use davkit::{
    CollectionKind, Config, Credentials, DavClient, ErrorKind, HttpRequest, HttpResponse,
    ResponseSink, SyncResult, SyncState, Transport,
};

const SERVER: &str = "http://127.0.0.1:5232/";
const COLLECTION: &str = "http://127.0.0.1:5232/alice/work/";
const MEMBERS: usize = 120;

fn event(i: usize) -> String {
    format!(
        "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:e{i}&#13;\nDTSTART:20260301T090000Z&#13;\nSUMMARY:event {i} &lt;&amp;&gt;&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
    )
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\n";

fn row(i: usize, etag: &str) -> String {
    format!(
        "<d:response><d:href>/alice/work/e{i:04}.ics</d:href><d:propstat><d:prop><d:getetag>\"{etag}\"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n"
    )
}

/// The scripted server's answer to a request; with `listing`, it has no sync-collection and
/// answers the ETag listing (PROPFIND `Depth: 1`) the sync falls back to.
fn answer(request: &HttpRequest, listing: bool) -> HttpResponse {
    let body = request.body_text().unwrap_or("");
    let mut out = String::from(HEAD);
    if listing && body.contains("sync-collection") {
        return HttpResponse::new(501, "");
    }
    if request.method.as_str() == "PROPFIND" {
        // The collection's own row, the members (one twice), a sub-collection, a 404 row.
        out.push_str("<d:response><d:href>/alice/work/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype><cs:getctag xmlns:cs=\"http://calendarserver.org/ns/\">ctag-1</cs:getctag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n");
        for i in 0..MEMBERS {
            out.push_str(&row(i, &i.to_string()));
        }
        out.push_str(&row(3, "later"));
        out.push_str("<d:response><d:href>/alice/work/sub/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n");
        out.push_str("<d:response><d:href>/alice/work/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>\n");
        out.push_str("</d:multistatus>");
        return HttpResponse::new(207, out);
    }
    if body.contains("<d:sync-token/>") {
        // Page 1: the first half, a row repeated with another ETag (the first counts), and
        // the collection's 507.
        for i in 0..MEMBERS / 2 {
            out.push_str(&row(i, &i.to_string()));
        }
        out.push_str(&row(0, "later"));
        out.push_str("<d:response><d:href>/alice/work/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>\n");
        out.push_str("<d:sync-token>http://t/1</d:sync-token>");
    } else if body.contains("<d:sync-token>http://t/1</d:sync-token>") {
        // Page 2: the second half, a deletion of a member the state never had, an error row.
        for i in MEMBERS / 2..MEMBERS {
            out.push_str(&row(i, &i.to_string()));
        }
        out.push_str("<d:response><d:href>/alice/work/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>\n");
        out.push_str("<d:response><d:href>/alice/work/e9999.ics</d:href><d:status>HTTP/1.1 500 Internal Server Error</d:status></d:response>\n");
        out.push_str("<d:sync-token>http://t/2</d:sync-token>");
    } else if body.contains("calendar-multiget") {
        for part in body.split("<d:href>").skip(1) {
            let href = part.split("</d:href>").next().unwrap_or("");
            let i: usize = href
                .rsplit("/e")
                .next()
                .and_then(|n| n.strip_suffix(".ics"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a multiget for an unknown member: {href}"));
            if i == 9999 {
                out.push_str("<d:response><d:href>/alice/work/e9999.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>\n");
                continue;
            }
            out.push_str(&format!(
                "<d:response><d:href>/alice/work/e{i:04}.ics</d:href><d:propstat><d:prop><d:getetag>\"{i}\"</d:getetag><c:calendar-data>{}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
                event(i)
            ));
        }
    } else if request.method.as_str() == "GET" {
        return HttpResponse::new(404, "");
    } else {
        panic!("an unexpected request: {body}");
    }
    out.push_str("</d:multistatus>");
    HttpResponse::new(207, out)
}

/// Hands bodies over whole (the default `send_streaming`); the field is `listing`.
struct Whole(bool);

impl Transport for Whole {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        Ok(answer(&request, self.0))
    }
}

/// Hands bodies over in chunks of `chunk` bytes; with `cut`, the `cut.0`-th answer (from 1)
/// stops after `cut.1` bytes, with a transport error when `cut.2` or as if it had ended.
struct Chunked {
    chunk: usize,
    cut: Option<(usize, usize, bool)>,
    answers: Cell<usize>,
    listing: bool,
}

impl Chunked {
    fn new(chunk: usize, listing: bool) -> Self {
        Chunked {
            chunk,
            cut: None,
            answers: Cell::new(0),
            listing,
        }
    }
}

impl Transport for Chunked {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        Ok(answer(&request, self.listing))
    }

    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> davkit::Result<()> {
        let mut response = answer(&request, self.listing);
        self.answers.set(self.answers.get() + 1);
        let mut body = std::mem::take(&mut response.body);
        let mut broke = false;
        if let Some((n, len, error)) = self.cut
            && n == self.answers.get()
        {
            body.truncate(len);
            broke = error;
        }
        sink.head(response);
        for piece in body.chunks(self.chunk.max(1)) {
            sink.chunk(piece);
        }
        if broke {
            return Err(davkit::Error::new(
                ErrorKind::Transport,
                "the connection closed",
            ));
        }
        Ok(())
    }
}

fn sync<T: Transport>(transport: T, batch: Option<usize>) -> davkit::Result<Vec<SyncResult>> {
    let dav = DavClient::new(Config::new(SERVER, Credentials::None), transport)?;
    let mut state = SyncState::new(COLLECTION);
    let mut results = Vec::new();
    loop {
        let r = match batch {
            Some(n) => block_on(dav.sync_batch(state, CollectionKind::Calendar, n))?,
            None => block_on(dav.sync(state, CollectionKind::Calendar))?,
        };
        state = r.state.clone();
        let more = r.more;
        results.push(r);
        if !more || results.len() > MEMBERS {
            return Ok(results);
        }
    }
}

/// Changes and states as comparable text.
fn summary(results: &[SyncResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| format!("{:?} {:?} {:?}", r.changes, r.state, r.problems))
        .collect()
}

#[test]
fn chunked_bodies_read_as_whole_ones() {
    for (batch, listing) in [
        (None, false),
        (Some(50), false),
        (None, true),
        (Some(50), true),
    ] {
        let whole = sync(Whole(listing), batch).expect("the whole-body sync");
        let last = whole.last().expect("a result");
        assert_eq!(last.state.etags.len(), MEMBERS);
        if listing {
            assert_eq!(last.state.ctag.as_deref(), Some("ctag-1"));
        } else {
            assert_eq!(last.state.sync_token.as_deref(), Some("http://t/2"));
        }
        // the repeated row of member 0 did not replace its first
        assert_eq!(
            last.state
                .etags
                .get(&format!("{COLLECTION}e0000.ics"))
                .map(String::as_str),
            Some("\"0\"")
        );
        let added = whole
            .iter()
            .flat_map(|r| &r.changes)
            .filter(|c| matches!(c, davkit::Change::Added(_)))
            .count();
        assert_eq!(added, MEMBERS);
        let expected = summary(&whole);
        for chunk in [1, 2, 3, 7, 64, 500, 4096, 1 << 20] {
            let got = sync(Chunked::new(chunk, listing), batch).expect("the chunked sync");
            assert_eq!(
                summary(&got),
                expected,
                "chunks of {chunk}, batch {batch:?}, listing {listing}"
            );
        }
    }
}

#[test]
fn a_body_cut_short_fails_the_sync() {
    // The first page, the second page and the first multiget, each cut at many points:
    // broken off (a transport error) or ended early (an XML error), never a result.
    let page1 = answer_len(1);
    for (n, len) in [(1, page1), (2, answer_len(2)), (3, 4000)] {
        for at in (0..len).step_by(97).chain([len - 20, len - 1]) {
            for error in [true, false] {
                let transport = Chunked {
                    chunk: 13,
                    cut: Some((n, at, error)),
                    answers: Cell::new(0),
                    listing: false,
                };
                let got = sync(transport, None).map(|r| summary(&r));
                let kind = got.as_ref().err().map(davkit::Error::kind);
                let expected = if error {
                    ErrorKind::Transport
                } else {
                    ErrorKind::Xml
                };
                assert_eq!(kind, Some(expected), "answer {n} cut at {at}: {got:?}");
            }
        }
    }
}

#[test]
fn a_listing_cut_short_fails_the_sync() {
    // Without sync-collection the second answer is the ETag listing: cut anywhere, the sync
    // fails (its deletions would otherwise be every member after the cut).
    let request = HttpRequest {
        id: davkit::RequestId(0),
        method: davkit::Method::Propfind,
        url: COLLECTION.into(),
        headers: Vec::new(),
        body: None,
    };
    let len = answer(&request, true).body.len();
    for at in (0..len).step_by(89).chain([len - 1]) {
        for error in [true, false] {
            let transport = Chunked {
                chunk: 29,
                cut: Some((2, at, error)),
                answers: Cell::new(0),
                listing: true,
            };
            let kind = sync(transport, Some(50)).err().map(|e| e.kind());
            let expected = if error {
                ErrorKind::Transport
            } else {
                ErrorKind::Xml
            };
            assert_eq!(kind, Some(expected), "listing cut at {at}");
        }
    }
}

/// The length of the `n`-th answer of a one-shot sync.
fn answer_len(n: usize) -> usize {
    let bodies = [
        "<d:sync-collection><d:sync-token/></d:sync-collection>",
        "<d:sync-collection><d:sync-token>http://t/1</d:sync-token></d:sync-collection>",
    ];
    let request = HttpRequest {
        id: davkit::RequestId(0),
        method: davkit::Method::Report,
        url: COLLECTION.into(),
        headers: Vec::new(),
        body: Some(bodies[n - 1].as_bytes().to_vec()),
    };
    answer(&request, false).body.len()
}
