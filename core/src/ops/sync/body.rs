//! Reading sync pages, ETag listings and multiget answers row by row as their bodies arrive (or from a whole
//! body, the same way): each `DAV:response` is folded into the listing or made into its object
//! as soon as it is complete, and only the bytes of one partial response are held.

use crate::string_set::StringSet;
use crate::url::Url;

use crate::error::{Error, Result};
use crate::exchange::Reply;
use crate::http::{HttpResponse, RequestId};
use crate::rfc4918::multistatus::Response;
use crate::rfc4918::stream::MultistatusStream;

use super::{Sync, Tag};
use crate::href;

/// A `207` body being read: a sync page or a multiget answer.
pub(super) struct BodyRead {
    tag: Tag,
    url: Url,
    reader: MultistatusStream,
    /// Body bytes so far, held to `Limits::max_body_bytes`.
    bytes: usize,
    /// The collection's own href (a sync page's row for it is not a member).
    collection_key: String,
    /// A sync page's collection row said 507.
    truncated: bool,
    /// The hrefs an ETag listing named (its deletions are what the state has beyond them).
    present: StringSet,
}

impl Sync {
    /// Whether a request's body is read row by row: sync pages, ETag listings, multigets.
    fn streams_tag(tag: &Tag) -> bool {
        matches!(tag, Tag::Page { .. } | Tag::Listing | Tag::Fetch(_))
    }

    /// A reader for a `207` body; when it cannot start (a bad URL), the request fails.
    fn start_read(&mut self, tag: Tag, url: Url) -> Option<BodyRead> {
        // A listing's own row is the URL it came from (after redirects); a page's, the
        // collection's.
        let collection_key = match tag {
            Tag::Listing => href::normalize(url.as_str()),
            _ => href::normalize(self.collection.as_str()),
        };
        match MultistatusStream::new(url.as_str(), &self.m.x.ctx().limits) {
            Ok(reader) => Some(BodyRead {
                tag,
                url,
                reader,
                bytes: 0,
                collection_key,
                truncated: false,
                present: StringSet::new(),
            }),
            Err(e) => {
                self.on_reply(tag, Err(e));
                None
            }
        }
    }

    /// Offered a response's head: a `207` to a sync page or multiget is taken, and its body
    /// read as it arrives.
    pub(super) fn on_head(&mut self, id: RequestId, head: &HttpResponse) -> bool {
        let Some((tag, url)) = self.m.x.receive_head(id, head, Self::streams_tag) else {
            return false;
        };
        if let Some(read) = self.start_read(tag, url) {
            self.streams.push((id, read));
        }
        true
    }

    pub(super) fn on_chunk(&mut self, id: RequestId, chunk: &[u8]) {
        let Some(index) = self.streams.iter().position(|(i, _)| *i == id) else {
            return;
        };
        let (id, mut read) = self.streams.swap_remove(index);
        match self.read_chunk(&mut read, chunk) {
            Ok(()) => self.streams.push((id, read)),
            Err((e, too_large)) => self.read_failed(read.tag, e, too_large),
        }
    }

    pub(super) fn on_end(&mut self, id: RequestId) {
        if let Some(index) = self.streams.iter().position(|(i, _)| *i == id) {
            let (_, read) = self.streams.swap_remove(index);
            self.end_read(read);
        }
    }

    /// A streamed body that broke off fails its request like a transport error; any other
    /// request's error is handed back.
    pub(super) fn on_stream_error(&mut self, id: RequestId, error: Error) -> Option<Error> {
        let Some(index) = self.streams.iter().position(|(i, _)| *i == id) else {
            return Some(error);
        };
        let (_, read) = self.streams.swap_remove(index);
        self.on_reply(read.tag, Err(error));
        None
    }

    /// A whole `207` body (a host that hands over whole responses), read as a streamed one.
    pub(super) fn read_whole(&mut self, tag: Tag, reply: Reply) {
        let Reply { url, response } = reply;
        let Some(mut read) = self.start_read(tag, url) else {
            return;
        };
        let result = self.read_chunk(&mut read, &response.body);
        drop(response);
        match result {
            Ok(()) => self.end_read(read),
            Err((e, too_large)) => self.read_failed(read.tag, e, too_large),
        }
    }

    /// Feeds a chunk, folding every response it completes. The error says whether the body
    /// passed the body limit (which splits a multiget) or is malformed (which fails the sync).
    fn read_chunk(
        &mut self,
        read: &mut BodyRead,
        chunk: &[u8],
    ) -> std::result::Result<(), (Error, bool)> {
        read.bytes = read.bytes.saturating_add(chunk.len());
        let limits = self.m.x.ctx().limits;
        if let Err(e) = limits.check_body(read.bytes) {
            return Err((e.with_status(207).with_url(read.url.as_str()), true));
        }
        let BodyRead {
            tag,
            url,
            reader,
            collection_key,
            truncated,
            present,
            ..
        } = read;
        reader
            .feed(chunk, |r| {
                self.read_row(tag, url, collection_key, truncated, present, r)
            })
            .map_err(|e| (e.with_url(url.as_str()), false))
    }

    fn read_row(
        &mut self,
        tag: &Tag,
        url: &Url,
        collection_key: &str,
        truncated: &mut bool,
        present: &mut StringSet,
        r: Response,
    ) -> Result<()> {
        match tag {
            Tag::Page { .. } => self.page_row(collection_key, truncated, r),
            Tag::Listing => return self.listing_row(collection_key, present, url, r),
            Tag::Fetch(number) => self.fetch_row(*number, r),
            Tag::Ctag | Tag::Get(_) => {}
        }
        Ok(())
    }

    /// The body has ended: the rest is read (a body cut inside a response is an error, never
    /// fewer rows), then the page or the multiget is done.
    fn end_read(&mut self, read: BodyRead) {
        let BodyRead {
            tag,
            url,
            reader,
            collection_key,
            mut truncated,
            mut present,
            ..
        } = read;
        let token = reader.finish(|r| {
            self.read_row(&tag, &url, &collection_key, &mut truncated, &mut present, r)
        });
        let token = match token {
            Ok(token) => token,
            Err(e) => return self.read_failed(tag, e.with_url(url.as_str()), false),
        };
        let outcome = match tag {
            Tag::Page { token: asked } => self.end_page(asked, token, truncated, &url),
            Tag::Listing => {
                self.end_listing(&present);
                Ok(())
            }
            Tag::Fetch(_) => {
                self.fetch_answered();
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            self.m.fail(e);
        }
    }

    /// A body past the limit goes the way of a transport's limit error (a multiget of several
    /// members is split; a sync page that asked for the members' data is asked again without
    /// it); a malformed one fails the sync.
    fn read_failed(&mut self, tag: Tag, error: Error, too_large: bool) {
        if too_large && self.ask_data && matches!(tag, Tag::Page { .. }) {
            // The changes with their data are more than one answer may hold: the report again
            // from the start, without the data (which the multigets then fetch in bodies cut
            // to the limit).
            self.restart_without_data();
        } else if too_large {
            self.on_reply(tag, Err(error));
        } else {
            // Malformed, or past an XML limit (which asking in halves would not help).
            self.m.fail(error);
        }
    }
}
