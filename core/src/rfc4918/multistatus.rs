//! RFC 4918 §13 and §14.16: the `207 Multi-Status` body, parsed into typed responses.
//!
//! Element order inside `response` and `propstat` does not matter, any prefix or default
//! namespace works, properties from non-2xx propstats are kept apart (a 404'd property is
//! absent, not empty), a `response` with only `href` + `status` is accepted everywhere, and the
//! RFC 6578 `sync-token` child of `multistatus` is read.
//!
//! A status-only response may name several hrefs (RFC 4918 §14.24); each becomes its own
//! [`Response`], and they share one copy of the `DAV:error` element and the location, so the
//! result stays linear in the body. At most [`Limits::max_hrefs_per_response`] hrefs (default
//! [`MAX_HREFS_PER_RESPONSE`]) are accepted in one `DAV:response`; more is an
//! [`ErrorKind::LimitExceeded`] error. The XML limits of [`Limits`] (elements, depth, text;
//! defaults in [`crate::xml`]) bound the rest.

use std::borrow::Cow;
use std::sync::Arc;

use crate::url::Url;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::limits::{Limits, exceeded};
use crate::xml::reader::{Event, NsId, Reader, body_text, xml_error};
use crate::xml::{Element, QName};

/// Most `DAV:href` elements one `DAV:response` may hold (a status-only response naming many
/// members, e.g. the 404s of a whole multiget batch): the default of
/// [`Limits::max_hrefs_per_response`]. More is an [`ErrorKind::LimitExceeded`] error.
pub const MAX_HREFS_PER_RESPONSE: usize = 10_000;

/// A parsed multistatus body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multistatus {
    /// One entry per `response` (and per extra `href` of a status-only response).
    pub responses: Vec<Response>,
    /// The RFC 6578 `DAV:sync-token`, when present.
    pub sync_token: Option<String>,
}

/// One `DAV:response`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The href resolved against the URL of the response that carried it.
    pub href: String,
    /// The href exactly as the server wrote it.
    pub raw_href: String,
    /// The response-level status (status-only responses, e.g. 404 deletions in a sync).
    pub status: Option<u16>,
    /// The property groups with their statuses.
    pub propstats: Vec<Propstat>,
    /// A `DAV:error` element (precondition) for this response; the responses made from one
    /// status-only `DAV:response` with several hrefs share it.
    #[serde(with = "shared")]
    pub error: Option<Arc<Element>>,
    /// A `DAV:location` href (resolved), for responses that moved; shared like `error`.
    #[serde(with = "shared")]
    pub location: Option<Arc<str>>,
}

/// Serde for the shared fields: written and read as the plain value (no `rc` feature needed).
mod shared {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T, S>(value: &Option<Arc<T>>, s: S) -> Result<S::Ok, S::Error>
    where
        T: ?Sized + Serialize,
        S: Serializer,
    {
        value.as_deref().serialize(s)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<Arc<T>>, D::Error>
    where
        T: ?Sized,
        Box<T>: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Option::<Box<T>>::deserialize(d)?.map(Arc::from))
    }
}

/// One `DAV:propstat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Propstat {
    /// The status of this group of properties.
    pub status: u16,
    /// The properties, each a full element.
    pub props: Vec<Element>,
}

impl Response {
    /// A property from a 2xx propstat.
    pub fn prop(&self, name: &QName) -> Option<&Element> {
        self.propstats
            .iter()
            .filter(|p| (200..300).contains(&p.status))
            .flat_map(|p| p.props.iter())
            .find(|e| e.name == *name)
    }

    /// The trimmed text of a property from a 2xx propstat, when not empty.
    pub fn prop_text(&self, name: &QName) -> Option<String> {
        self.prop(name).and_then(Element::trimmed_text)
    }

    /// The status of the propstat that carried this property.
    pub fn prop_status(&self, name: &QName) -> Option<u16> {
        self.propstats
            .iter()
            .find(|p| p.props.iter().any(|e| e.name == *name))
            .map(|p| p.status)
    }

    /// The response-level status, or 200 when it only has propstats.
    pub fn effective_status(&self) -> u16 {
        self.status.unwrap_or(200)
    }

    /// `DAV:getcontentlength` as a number, when given and valid.
    pub fn content_length(&self) -> Option<u64> {
        self.prop_text(&crate::xml::names::GETCONTENTLENGTH)
            .and_then(|s| s.trim().parse().ok())
    }
}

/// Parses a multistatus body, resolving hrefs against `base_url` (the URL the response came
/// from, after redirects), within the default [`Limits`].
pub fn parse(body: &[u8], base_url: &str) -> Result<Multistatus> {
    parse_with_limits(body, base_url, &Limits::default())
}

/// [`parse`] within `limits` (the XML bounds and [`Limits::max_hrefs_per_response`]); a body
/// past one of them is an [`ErrorKind::LimitExceeded`] error.
pub fn parse_with_limits(body: &[u8], base_url: &str, limits: &Limits) -> Result<Multistatus> {
    let mut reader = Responses::new(body, base_url, limits)?;
    let mut responses = Vec::new();
    for response in reader.by_ref() {
        responses.push(response?);
    }
    responses.shrink_to_fit();
    Ok(Multistatus {
        responses,
        sync_token: reader.sync_token,
    })
}

/// The responses of a multistatus body, read one at a time: what [`parse`] collects, for a
/// caller that turns each [`Response`] into its own record and drops it, so that memory
/// holds one response at a time rather than the typed form of the whole body.
///
/// Each item is a response or the error that ends the body (after which the iterator gives
/// nothing more). The body is checked as it is read, so a truncated or malformed end is only
/// found after the responses before it were given out: a caller that acts on them must drop
/// their effects when an error follows (as [`parse`] does, which returns the error alone).
/// The `DAV:sync-token` ([`Responses::sync_token`]) is known once the iterator is done.
pub struct Responses<'a> {
    reader: Reader<'a>,
    base: Url,
    max_hrefs: usize,
    /// The other responses of a status-only `DAV:response` with several hrefs, last first.
    queued: Vec<Response>,
    scratch: Scratch,
    sync_token: Option<String>,
    done: bool,
}

/// Lists reused from one response to the next, so that each response's own lists are
/// allocated once at their final size.
#[derive(Default)]
struct Scratch {
    propstats: Vec<Propstat>,
    props: Vec<Element>,
}

impl<'a> Responses<'a> {
    /// Starts reading `body` (checks the root element), resolving hrefs against `base_url`
    /// within `limits`.
    pub fn new(body: &'a [u8], base_url: &str, limits: &Limits) -> Result<Self> {
        Self::resume(body, base_url_of(base_url)?, limits, 0)
    }

    /// [`Responses::new`] over one piece of a larger document (see [`stream`]): the elements
    /// of the pieces before it (`elements_before`, the root counted once) count against the
    /// element limit, and this piece's root is not counted again.
    ///
    /// [`stream`]: super::stream
    pub(crate) fn resume(
        body: &'a [u8],
        base: Url,
        limits: &Limits,
        elements_before: usize,
    ) -> Result<Self> {
        let text = body_text(body)?;
        let mut reader = Reader::with_limits(text, limits.xml());
        reader.count_elements_from(elements_before.saturating_sub(1));
        let root = match reader.next()? {
            Some(Event::Start(tag)) => tag,
            _ => return Err(xml_error("the body has no root element")),
        };
        if !root.is_dav("multistatus") {
            return Err(xml_error(&format!(
                "expected a DAV:multistatus body, found {{{}}}{}",
                root.ns, root.local
            )));
        }
        Ok(Responses {
            reader,
            base,
            max_hrefs: limits.max_hrefs_per_response,
            queued: Vec::new(),
            scratch: Scratch::default(),
            sync_token: None,
            done: false,
        })
    }

    /// How many elements the document has opened so far, its root included.
    pub(crate) fn elements_read(&self) -> usize {
        self.reader.elements_read()
    }

    /// The byte offset reached in the body (after a leading BOM).
    pub(crate) fn position(&self) -> usize {
        self.reader.position()
    }

    /// The RFC 6578 `DAV:sync-token` read so far (servers put it after the responses, so it
    /// is complete once the iterator has ended without an error).
    pub fn sync_token(&self) -> Option<&str> {
        self.sync_token.as_deref()
    }

    fn advance(&mut self) -> Result<Option<Response>> {
        if let Some(next) = self.queued.pop() {
            return Ok(Some(next));
        }
        if self.done {
            return Ok(None);
        }
        let reader = &mut self.reader;
        loop {
            match reader.next()? {
                Some(Event::Start(tag)) if tag.is_dav("response") => {
                    return parse_response(
                        reader,
                        &self.base,
                        self.max_hrefs,
                        &mut self.queued,
                        &mut self.scratch,
                    )
                    .map(Some);
                }
                Some(Event::Start(tag)) if tag.is_dav("sync-token") => {
                    let token = reader.text()?;
                    let token = token.trim();
                    if !token.is_empty() {
                        self.sync_token = Some(token.to_owned());
                    }
                }
                Some(Event::Start(_)) => reader.skip()?,
                Some(Event::Text(_)) => {}
                Some(Event::End) => {
                    while reader.next()?.is_some() {}
                    self.done = true;
                    return Ok(None);
                }
                None => return Err(xml_error("the document ends early")),
            }
        }
    }
}

impl Iterator for Responses<'_> {
    type Item = Result<Response>;

    fn next(&mut self) -> Option<Result<Response>> {
        match self.advance() {
            Ok(next) => next.map(Ok),
            Err(e) => {
                self.done = true;
                self.queued.clear();
                Some(Err(e))
            }
        }
    }
}

impl std::fmt::Debug for Responses<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responses")
            .field("base", &self.base.as_str())
            .field("queued", &self.queued.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The base URL hrefs resolve against.
pub(crate) fn base_url_of(base_url: &str) -> Result<Url> {
    Url::parse(base_url).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("bad base URL: {e}")).with_url(base_url)
    })
}

/// Reads one `DAV:response` (its `Start` was just read): the response of its first href, and
/// those of the others (a status-only response naming several) into `queued`, last first.
fn parse_response(
    reader: &mut Reader<'_>,
    base: &Url,
    max_hrefs: usize,
    queued: &mut Vec<Response>,
    scratch: &mut Scratch,
) -> Result<Response> {
    let Scratch { propstats, props } = scratch;
    propstats.clear();
    let mut first = None;
    let mut extra: Vec<Cow<'_, str>> = Vec::new();
    let mut hrefs = 0usize;
    let mut status = None;
    let mut error = None;
    let mut location = None;
    loop {
        match reader.next()? {
            Some(Event::Start(tag)) if tag.id == NsId::Dav => match tag.local {
                "href" => {
                    if hrefs >= max_hrefs {
                        return Err(exceeded(format!(
                            "a DAV:response has more than {max_hrefs} hrefs \
                             (Limits::max_hrefs_per_response, default \
                             multistatus::MAX_HREFS_PER_RESPONSE)"
                        )));
                    }
                    hrefs += 1;
                    let href = reader.text()?;
                    if first.is_none() {
                        first = Some(href);
                    } else {
                        extra.push(href);
                    }
                }
                "status" => status = Some(parse_status(&reader.text()?)?),
                "propstat" => propstats.push(parse_propstat(reader, props)?),
                "error" => error = Some(Arc::new(reader.element(&tag)?)),
                "location" => {
                    let loc = reader.element(&tag)?;
                    if let Some(h) = loc.hrefs().first() {
                        location = Some(Arc::from(href::resolve(base, h)?.as_str()));
                    }
                }
                _ => reader.skip()?,
            },
            Some(Event::Start(_)) => reader.skip()?,
            Some(Event::Text(_)) => {}
            Some(Event::End) => break,
            None => return Err(xml_error("the document ends early")),
        }
    }
    let Some(first) = first else {
        return Err(Error::new(
            ErrorKind::Protocol,
            "a DAV:response has no DAV:href",
        ));
    };
    let make = |raw: &str, propstats: Vec<Propstat>| -> Result<Response> {
        Ok(Response {
            href: href::resolve_to_string(base, raw)?,
            raw_href: raw.trim().to_owned(),
            status,
            propstats,
            // shared, not copied: one status-only response may name thousands of hrefs
            error: error.clone(),
            location: location.clone(),
        })
    };
    // moved at their exact size (`mem::take` would hand over the reused capacity; `append`
    // is a copy, where `drain(..).collect()` was one more copy of iterator code in the wasm)
    let mut moved = Vec::with_capacity(propstats.len());
    moved.append(propstats);
    let response = make(&first, moved)?;
    for raw in extra.iter().rev() {
        queued.push(make(raw, Vec::new())?);
    }
    Ok(response)
}

/// Reads one `DAV:propstat`, collecting its properties in `props` (a reused list).
fn parse_propstat(reader: &mut Reader<'_>, props: &mut Vec<Element>) -> Result<Propstat> {
    let mut status = None;
    props.clear();
    loop {
        match reader.next()? {
            Some(Event::Start(tag)) if tag.is_dav("prop") => loop {
                match reader.next()? {
                    Some(Event::Start(p)) => props.push(reader.element(&p)?),
                    Some(Event::Text(_)) => {}
                    Some(Event::End) => break,
                    None => return Err(xml_error("the document ends early")),
                }
            },
            Some(Event::Start(tag)) if tag.is_dav("status") => {
                status = Some(parse_status(&reader.text()?)?);
            }
            Some(Event::Start(_)) => reader.skip()?,
            Some(Event::Text(_)) => {}
            Some(Event::End) => break,
            None => return Err(xml_error("the document ends early")),
        }
    }
    // moved at their exact size (`mem::take` would hand over the reused capacity)
    let mut moved = Vec::with_capacity(props.len());
    moved.append(props);
    let props = moved;
    Ok(Propstat {
        // A propstat without a status is out of spec; servers that do it mean success.
        status: status.unwrap_or(200),
        props,
    })
}

/// Parses an HTTP status line such as `HTTP/1.1 404 Not Found`.
pub fn parse_status(line: &str) -> Result<u16> {
    // The usual `HTTP/1.1 200 OK`, read without splitting.
    if let Some(code) = line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| match rest.as_bytes() {
            [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', tail @ ..]
                if tail.first().is_none_or(|t| *t == b' ') =>
            {
                Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
            }
            _ => None,
        })
    {
        return Ok(code);
    }
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|code| (100..600).contains(code))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("bad status line `{}`", line.trim()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::names;

    const BASE: &str = "https://dav.example.com/cal/";

    #[test]
    fn google_style_status_before_prop_and_escaped_href() -> Result<()> {
        let body = br#"<D:multistatus xmlns:D="DAV:" xmlns:caldav="urn:ietf:params:xml:ns:caldav">
          <D:response><D:href>/root/133b%40group.calendar.google.com/events/</D:href>
            <D:propstat><D:status>HTTP/1.1 200 OK</D:status>
              <D:prop><caldav:supported-calendar-component-set><caldav:comp name="VEVENT"/></caldav:supported-calendar-component-set></D:prop>
            </D:propstat></D:response></D:multistatus>"#;
        let ms = parse(body, BASE)?;
        assert_eq!(ms.responses.len(), 1);
        let r = &ms.responses[0];
        assert_eq!(
            r.href,
            "https://dav.example.com/root/133b%40group.calendar.google.com/events/"
        );
        let comps = r.prop(&names::SUPPORTED_CALENDAR_COMPONENT_SET).map(|e| {
            e.elements()
                .filter_map(|c| c.attribute("name"))
                .collect::<Vec<_>>()
        });
        assert_eq!(comps, Some(vec!["VEVENT"]));
        Ok(())
    }

    #[test]
    fn icloud_default_namespace_cdata_and_404_propstat() -> Result<()> {
        let body = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<multistatus xmlns="DAV:">
 <response xmlns="DAV:">
  <href xmlns="DAV:">/1/calendars/inbox/</href>
  <propstat><prop><resourcetype xmlns="DAV:"><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>
  <propstat><prop><displayname xmlns="DAV:"/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
 </response>
 <response><href>/1/calendars/work/e.ics</href><propstat><prop>
  <getetag>"ldp3blyq"</getetag>
  <calendar-data xmlns="urn:ietf:params:xml:ns:caldav"><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR
]]></calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <sync-token>HwoQEgwAAEtv==</sync-token>
</multistatus>"#;
        let ms = parse(body, "https://p62-caldav.icloud.com:443/1/calendars/")?;
        assert_eq!(ms.sync_token.as_deref(), Some("HwoQEgwAAEtv=="));
        let inbox = &ms.responses[0];
        assert_eq!(
            inbox.href,
            "https://p62-caldav.icloud.com/1/calendars/inbox/"
        );
        assert!(inbox.prop(&names::DISPLAYNAME).is_none());
        assert_eq!(inbox.prop_status(&names::DISPLAYNAME), Some(404));
        let event = &ms.responses[1];
        assert_eq!(
            event.prop_text(&names::GETETAG).as_deref(),
            Some("\"ldp3blyq\"")
        );
        assert_eq!(
            event
                .prop(&names::CALENDAR_DATA)
                .map(Element::text)
                .as_deref(),
            Some("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
        );
        Ok(())
    }

    #[test]
    fn escaped_calendar_data_and_status_only_responses() -> Result<()> {
        let body = br#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:response><d:href>a.ics</d:href><d:propstat><d:prop><c:calendar-data>SUMMARY:a &amp; b&#13;
</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>gone.ics</d:href><d:href>gone2.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
</d:multistatus>"#;
        let ms = parse(body, BASE)?;
        assert_eq!(ms.responses.len(), 3);
        assert_eq!(
            ms.responses[0]
                .prop(&names::CALENDAR_DATA)
                .map(Element::text)
                .as_deref(),
            Some("SUMMARY:a & b\r\n")
        );
        assert_eq!(ms.responses[1].href, "https://dav.example.com/cal/gone.ics");
        assert_eq!(
            ms.responses[2].href,
            "https://dav.example.com/cal/gone2.ics"
        );
        assert!(ms.responses[1..].iter().all(|r| r.status == Some(404)));
        Ok(())
    }

    #[test]
    fn extra_hrefs_share_one_error_element() -> Result<()> {
        // 500 hrefs of one status-only response and a DAV:error of 200 elements: 500
        // responses, one error tree (before the fix, 500 deep copies: 100,000 elements)
        let mut body = String::from(r#"<d:multistatus xmlns:d="DAV:"><d:response>"#);
        for i in 0..500 {
            body.push_str(&format!("<d:href>/cal/gone-{i}.ics</d:href>"));
        }
        body.push_str("<d:status>HTTP/1.1 403 Forbidden</d:status><d:error>");
        body.push_str(&"<d:need-privileges/>".repeat(200));
        body.push_str("</d:error><d:location><d:href>/moved/</d:href></d:location>");
        body.push_str("</d:response></d:multistatus>");
        let ms = parse(body.as_bytes(), BASE)?;
        assert_eq!(ms.responses.len(), 500);
        let first = ms.responses[0].error.as_ref().map(Arc::clone);
        assert_eq!(first.as_ref().map(|e| e.children.len()), Some(200));
        // one tree: a reference from each of the 500 responses and this test's own
        assert_eq!(first.as_ref().map(Arc::strong_count), Some(501));
        let location = ms.responses[0].location.as_ref().map(Arc::clone);
        assert_eq!(location.as_deref(), Some("https://dav.example.com/moved/"));
        assert_eq!(location.as_ref().map(Arc::strong_count), Some(501));
        assert!(ms.responses.iter().all(|r| r.status == Some(403)));
        // serde still writes and reads the plain values
        let json = serde_json::to_string(&ms.responses[1])
            .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        let back: Response = serde_json::from_str(&json)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        assert_eq!(back, ms.responses[1]);
        Ok(())
    }

    #[test]
    fn bounds_hrefs_per_response() {
        let body = |n: usize| {
            format!(
                r#"<multistatus xmlns="DAV:"><response>{}<status>HTTP/1.1 404 Not Found</status></response></multistatus>"#,
                "<href>/a</href>".repeat(n)
            )
        };
        let ok = parse(body(MAX_HREFS_PER_RESPONSE).as_bytes(), BASE);
        assert_eq!(
            ok.map(|m| m.responses.len()).ok(),
            Some(MAX_HREFS_PER_RESPONSE)
        );
        let err = parse(body(MAX_HREFS_PER_RESPONSE + 1).as_bytes(), BASE).err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::LimitExceeded)
        );
        assert!(err.is_some_and(|e| e.message().contains("MAX_HREFS_PER_RESPONSE")));
        // a configured limit, and the XML limits, come from `Limits`
        let small = Limits {
            max_hrefs_per_response: 3,
            ..Limits::default()
        };
        let ok = parse_with_limits(body(3).as_bytes(), BASE, &small);
        assert_eq!(ok.map(|m| m.responses.len()).ok(), Some(3));
        let err = parse_with_limits(body(4).as_bytes(), BASE, &small).err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::LimitExceeded)
        );
        assert!(err.is_some_and(|e| e.message().contains("Limits::max_hrefs_per_response")));
        let shallow = Limits {
            max_xml_depth: 2,
            ..Limits::default()
        };
        let err = parse_with_limits(body(1).as_bytes(), BASE, &shallow).err();
        assert_eq!(
            err.as_ref().map(Error::kind),
            Some(ErrorKind::LimitExceeded)
        );
        assert!(err.is_some_and(|e| e.message().contains("Limits::max_xml_depth")));
    }

    #[test]
    fn rejects_wrong_root_and_missing_href() {
        let e = parse(br#"<error xmlns="DAV:"><valid-sync-token/></error>"#, BASE).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Xml));
        let e = parse(
            br#"<multistatus xmlns="DAV:"><response><status>HTTP/1.1 200 OK</status></response></multistatus>"#,
            BASE,
        )
        .err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Protocol));
        let e = parse(
            br#"<multistatus xmlns="DAV:"><response><href>/a</href>"#,
            BASE,
        )
        .err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Xml));
        let e = parse(&[0xff, 0xfe], BASE).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Xml));
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status("HTTP/1.1 507 Insufficient Storage").ok(),
            Some(507)
        );
        assert_eq!(parse_status(" HTTP/1.0 200").ok(), Some(200));
        assert!(parse_status("garbage").is_err());
        assert!(parse_status("HTTP/1.1 99999 x").is_err());
    }
}
