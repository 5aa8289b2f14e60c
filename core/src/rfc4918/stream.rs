//! A multistatus read as it arrives: [`MultistatusStream`] takes the body in chunks of any size
//! and hands out each [`Response`] as soon as its `DAV:response` element is complete, holding
//! only the bytes not read yet (at most one partial response) and the root's start tag, and
//! while it reads a group of complete responses a copy of that group (at most 64 KB, or one
//! larger response).
//!
//! How: a small scanner finds where each child of the root ends (it knows tags, quoted
//! attribute values, comments, CDATA sections and processing instructions, nothing more), and
//! each such piece (the complete children found in a chunk, up to 64 KB of them together) is
//! read by the same reader as a whole body ([`Responses`]), as the document
//! `root start tag + piece + root end tag`. So the checks are the whole-body reader's: the
//! root's namespace bindings are in force in every piece, and the element limit counts the
//! pieces together. Where the scanner and the reader could disagree (malformed markup), the
//! piece fails to read, as the whole body would: a piece can only be cut short, never made
//! well-formed, by the scanner. A body that ends before its root closes is the reader's
//! "ends early" error, never a shorter list of responses.
//!
//! Text directly inside the root (white space between responses) is checked against
//! [`Limits::max_xml_text_bytes`] piece by piece rather than as one total.

use crate::bytes::{find, find_byte};
use crate::url::Url;

use crate::error::Result;
use crate::limits::Limits;

use super::multistatus::{Response, Responses, base_url_of};

/// Complete children of the root read together as one piece, up to this many bytes (a single
/// child may be larger): what a piece costs beyond its bytes is paid once per group.
const GROUP_BYTES: usize = 64 * 1024;

/// The largest root start tag (`<d:multistatus xmlns:d="DAV:" ...>`) a body is read piece by
/// piece after: each piece is read after a copy of it. A server's is a few hundred bytes; past
/// this the body is read whole at the end, in one pass.
const MAX_STREAMED_ROOT_TAG: usize = 8 * 1024;

/// A multistatus body read chunk by chunk; see the [module documentation](self).
///
/// Feed every chunk to [`feed`](Self::feed), then call [`finish`](Self::finish): each completes
/// the responses it can and passes them to the callback in document order. The first error
/// ends the stream (later calls return it again): a caller that acted on responses already
/// given must drop those effects, as with [`Responses`].
#[derive(Debug)]
pub struct MultistatusStream {
    base: Url,
    limits: Limits,
    /// The bytes not read yet: the piece being scanned (and, before the first piece is read,
    /// the prolog and the root's start tag).
    buf: Vec<u8>,
    /// Reused for `root start tag + piece + root end tag`.
    scratch: Vec<u8>,
    scan: Scan,
    /// The root's start tag as written, once the first piece has been read.
    root_start: Vec<u8>,
    /// `</` + the root's name + `>`.
    root_end: Vec<u8>,
    /// Whether the first piece (prolog, root start tag, first child) has been read.
    started: bool,
    /// The scanner disagreed with the reader about the root: the rest is read whole at the end.
    whole: bool,
    /// Elements read so far, the root counted once.
    elements: usize,
    sync_token: Option<String>,
    failed: Option<crate::Error>,
}

/// Where the scanner is in `buf`.
#[derive(Debug, Default)]
struct Scan {
    /// Bytes before this are scanned.
    pos: usize,
    /// Inside a construct that started before `pos` (and was not complete then).
    open: Option<Construct>,
    /// Open elements, the root included.
    depth: usize,
    root_seen: bool,
    root_closed: bool,
    /// The root's start tag in `buf`, once scanned.
    root_span: Option<(usize, usize)>,
    /// Ends of complete children of the root found in `buf` and not read yet.
    cuts: Vec<usize>,
}

/// A construct the scanner is inside, and where it started.
#[derive(Debug, Clone, Copy)]
enum Construct {
    /// A start or end tag; `quote` is the open attribute quote, if any.
    Tag { start: usize, quote: Option<u8> },
    /// `<!-- ... -->`
    Comment,
    /// `<![CDATA[ ... ]]>`
    Cdata,
    /// `<? ... ?>`
    Pi,
    /// `<!DOCTYPE ...>` (or other `<!` markup): brackets and quotes counted.
    Decl { bracket: usize, quote: Option<u8> },
}

impl MultistatusStream {
    /// A stream whose hrefs resolve against `base_url` (the URL the body came from), read
    /// within `limits`.
    pub fn new(base_url: &str, limits: &Limits) -> Result<Self> {
        Ok(MultistatusStream {
            base: base_url_of(base_url)?,
            limits: *limits,
            buf: Vec::new(),
            scratch: Vec::new(),
            scan: Scan::default(),
            root_start: Vec::new(),
            root_end: Vec::new(),
            started: false,
            whole: false,
            elements: 0,
            sync_token: None,
            failed: None,
        })
    }

    /// The RFC 6578 `DAV:sync-token` read so far (complete after [`finish`](Self::finish)).
    pub fn sync_token(&self) -> Option<&str> {
        self.sync_token.as_deref()
    }

    /// How many bytes are held (not read yet): at most one partial response, plus the
    /// prolog before the first response is complete.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next chunk of the body, and passes every response it completes to `each`.
    /// An error from `each` ends the stream like a body error.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(Response) -> Result<()>,
    ) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.whole {
            self.buf.extend_from_slice(chunk);
            return Ok(());
        }
        let result = if self.buf.is_empty() {
            // Nothing held: the chunk is read where it is and only what it leaves unread is
            // kept, so a body handed over whole is never copied whole.
            let (read, result) = self.scan_and_read(chunk, &mut each);
            self.buf
                .extend_from_slice(chunk.get(read..).unwrap_or_default());
            result
        } else {
            self.buf.extend_from_slice(chunk);
            let mut buf = std::mem::take(&mut self.buf);
            let (read, result) = self.scan_and_read(&buf, &mut each);
            buf.drain(..read);
            self.buf = buf;
            result
        };
        self.keep(result)
    }

    /// Ends the body: reads what is left (which must close the root) and returns the
    /// `DAV:sync-token`, if any. A body that ends inside a response is an error.
    pub fn finish(
        mut self,
        mut each: impl FnMut(Response) -> Result<()>,
    ) -> Result<Option<String>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let rest = std::mem::take(&mut self.buf);
        if self.started && !self.whole {
            self.read_piece(&rest, true, &mut each)?;
        } else {
            // Nothing cut yet (or the scanner gave up): the whole body as one document.
            let mut responses = Responses::new(&rest, self.base.as_str(), &self.limits)?;
            for response in responses.by_ref() {
                each(response?)?;
            }
            if let Some(token) = responses.sync_token() {
                self.sync_token = Some(token.to_owned());
            }
        }
        Ok(self.sync_token)
    }

    fn keep(&mut self, result: Result<()>) -> Result<()> {
        if let Err(e) = &result {
            self.failed = Some(e.clone());
            self.buf = Vec::new();
            self.scratch = Vec::new();
        }
        result
    }

    /// Scans `data` (the bytes held, the new ones included, which start where the scanner's
    /// positions count from) and reads every complete piece. Returns how many bytes of `data`
    /// were read (0 when the scanner gave up and the whole body is read at the end), the
    /// scanner's positions moved to count from there.
    fn scan_and_read(
        &mut self,
        data: &[u8],
        each: &mut impl FnMut(Response) -> Result<()>,
    ) -> (usize, Result<()>) {
        scan(data, &mut self.scan);
        if self.scan.cuts.is_empty() {
            return (0, Ok(()));
        }
        let mut cuts = std::mem::take(&mut self.scan.cuts);
        let mut from = 0;
        let mut result = Ok(());
        let mut next = 0;
        while let Some(&cut) = cuts.get(next) {
            let to = if !self.started {
                result = self.read_first(data.get(from..cut).unwrap_or_default(), each);
                if self.whole {
                    // Keep everything; it is read whole at the end.
                    return (0, result);
                }
                next += 1;
                cut
            } else {
                // The complete children that fit in GROUP_BYTES (at least one) as one piece:
                // reading each child as a document of its own cost more than the child itself
                // in the wasm build (the root's start tag read again, a copy, a reader set up).
                let mut to = cut;
                next += 1;
                while let Some(&later) = cuts.get(next) {
                    if later - from > GROUP_BYTES {
                        break;
                    }
                    to = later;
                    next += 1;
                }
                result = self.read_piece(data.get(from..to).unwrap_or_default(), false, each);
                to
            };
            if result.is_err() {
                break;
            }
            from = to;
        }
        self.scan.pos -= from;
        self.scan.root_span = None;
        self.scan.open = match self.scan.open {
            Some(Construct::Tag { start, quote }) => Some(Construct::Tag {
                start: start - from,
                quote,
            }),
            other => other,
        };
        cuts.clear();
        self.scan.cuts = cuts;
        (from, result)
    }

    /// The first piece: prolog, root start tag and first child, read as they are (with the
    /// root's end tag added). The root's start tag is kept for the next pieces.
    fn read_first(
        &mut self,
        piece: &[u8],
        each: &mut impl FnMut(Response) -> Result<()>,
    ) -> Result<()> {
        let Some((start, end)) = self.scan.root_span else {
            self.whole = true;
            return Ok(());
        };
        let (Some(tag), Some(name)) = (piece.get(start..end), root_name(piece, start)) else {
            self.whole = true;
            return Ok(());
        };
        if tag.len() > MAX_STREAMED_ROOT_TAG {
            // Every later piece is read after a copy of this tag: a huge one (a hostile server's
            // attributes) would make the reading cost its size times the number of pieces.
            self.whole = true;
            return Ok(());
        }
        let mut root_end = Vec::with_capacity(name.len() + 3);
        root_end.extend_from_slice(b"</");
        root_end.extend_from_slice(name);
        root_end.push(b'>');
        let mut doc = std::mem::take(&mut self.scratch);
        doc.clear();
        doc.extend_from_slice(piece);
        doc.extend_from_slice(&root_end);
        let bom = if piece.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut responses = Responses::resume(&doc, self.base.clone(), &self.limits, 0)?;
        // The reader's root must be the scanner's: otherwise read the body whole at the end.
        if responses.position() + bom != end {
            self.whole = true;
            drop(responses);
            self.scratch = doc;
            return Ok(());
        }
        self.root_start = tag.to_vec();
        self.root_end = root_end;
        self.started = true;
        for response in responses.by_ref() {
            each(response?)?;
        }
        self.elements = responses.elements_read();
        if let Some(token) = responses.sync_token() {
            self.sync_token = Some(token.to_owned());
        }
        drop(responses);
        self.scratch = doc;
        Ok(())
    }

    /// A later piece, read as `root start tag + piece (+ root end tag unless `last`)`.
    fn read_piece(
        &mut self,
        piece: &[u8],
        last: bool,
        each: &mut impl FnMut(Response) -> Result<()>,
    ) -> Result<()> {
        let mut doc = std::mem::take(&mut self.scratch);
        doc.clear();
        doc.extend_from_slice(&self.root_start);
        doc.extend_from_slice(piece);
        if !last {
            doc.extend_from_slice(&self.root_end);
        }
        let result = (|| {
            let mut responses =
                Responses::resume(&doc, self.base.clone(), &self.limits, self.elements)?;
            for response in responses.by_ref() {
                each(response?)?;
            }
            self.elements = responses.elements_read();
            if let Some(token) = responses.sync_token() {
                self.sync_token = Some(token.to_owned());
            }
            Ok(())
        })();
        // Keep the allocation for the next piece unless it grew past a few responses.
        if doc.capacity() <= 1 << 20 {
            self.scratch = doc;
        }
        result
    }
}

/// The root element's name as written, from its start tag at `start` in `piece`.
fn root_name(piece: &[u8], start: usize) -> Option<&[u8]> {
    let rest = piece.get(start + 1..)?;
    let len = rest
        .iter()
        .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))?;
    (len > 0).then(|| &rest[..len])
}

/// Scans `buf` from `s.pos`, recording in `s.cuts` the end of every child of the root that
/// completes. Stops at the end of `buf`, inside a construct if need be (resumed next time).
fn scan(buf: &[u8], s: &mut Scan) {
    let mut i = s.pos;
    loop {
        if let Some(open) = s.open {
            match finish_construct(buf, i, open) {
                Ok(end) => {
                    s.open = None;
                    i = end;
                    if let Construct::Tag { start, .. } = open {
                        tag_done(buf, start, end, s);
                    }
                }
                Err(resume) => {
                    s.open = Some(resume.0);
                    s.pos = resume.1;
                    return;
                }
            }
        }
        let Some(at) = buf
            .get(i..)
            .and_then(|rest| find_byte(rest, b'<'))
            .map(|at| i + at)
        else {
            s.pos = buf.len();
            return;
        };
        let rest = &buf[at..];
        let construct = match rest.get(1) {
            None => {
                s.pos = at;
                return;
            }
            Some(b'?') => (Construct::Pi, at + 2),
            Some(b'!') => {
                if rest.starts_with(b"<!--") {
                    (Construct::Comment, at + 4)
                } else if rest.starts_with(b"<![CDATA[") {
                    (Construct::Cdata, at + 9)
                } else if b"<!--".starts_with(rest) || b"<![CDATA[".starts_with(rest) {
                    // Not enough bytes to tell yet.
                    s.pos = at;
                    return;
                } else {
                    (
                        Construct::Decl {
                            bracket: 0,
                            quote: None,
                        },
                        at + 2,
                    )
                }
            }
            Some(_) => (
                Construct::Tag {
                    start: at,
                    quote: None,
                },
                at + 1,
            ),
        };
        s.open = Some(construct.0);
        i = construct.1;
    }
}

/// Finds the end of `open` from `i`: the index after it, or (the state to resume in, the
/// index to resume from) when `buf` ends first.
fn finish_construct(
    buf: &[u8],
    i: usize,
    open: Construct,
) -> std::result::Result<usize, (Construct, usize)> {
    let rest = buf.get(i..).unwrap_or_default();
    let until = |end: &[u8]| match find(rest, end) {
        Some(p) => Ok(i + p + end.len()),
        // Resume where a terminator split by the chunk boundary could still begin.
        None => Err((open, buf.len().saturating_sub(end.len() - 1).max(i))),
    };
    match open {
        Construct::Comment => until(b"-->"),
        Construct::Cdata => until(b"]]>"),
        Construct::Pi => until(b"?>"),
        Construct::Tag { start, mut quote } => {
            for (k, &b) in rest.iter().enumerate() {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None if b == b'>' => return Ok(i + k + 1),
                    None => {}
                }
            }
            Err((Construct::Tag { start, quote }, buf.len()))
        }
        Construct::Decl {
            mut bracket,
            mut quote,
        } => {
            for (k, &b) in rest.iter().enumerate() {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None => match b {
                        b'"' | b'\'' => quote = Some(b),
                        b'[' => bracket += 1,
                        b']' => bracket = bracket.saturating_sub(1),
                        b'>' if bracket == 0 => return Ok(i + k + 1),
                        _ => {}
                    },
                }
            }
            Err((Construct::Decl { bracket, quote }, buf.len()))
        }
    }
}

/// A tag from `start` to `end` (after its `>`) is complete: track the depth, note the root,
/// and cut after each child of the root.
fn tag_done(buf: &[u8], start: usize, end: usize, s: &mut Scan) {
    let closing = buf.get(start + 1) == Some(&b'/');
    let empty = !closing && end >= 2 && buf.get(end - 2) == Some(&b'/');
    if s.root_closed {
        return;
    }
    if !s.root_seen {
        if closing {
            // An end tag before any root: the reader reports it at the end.
            s.root_closed = true;
            return;
        }
        s.root_seen = true;
        s.root_span = Some((start, end));
        if empty {
            s.root_closed = true;
        } else {
            s.depth = 1;
        }
        return;
    }
    if closing {
        s.depth = s.depth.saturating_sub(1);
        match s.depth {
            0 => s.root_closed = true,
            1 => s.cuts.push(end),
            _ => {}
        }
    } else if empty {
        if s.depth == 1 {
            s.cuts.push(end);
        }
    } else {
        s.depth += 1;
    }
}

#[cfg(test)]
mod tests;
