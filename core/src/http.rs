//! Plain HTTP data at the sans-IO seam (RFC 9110 methods plus the WebDAV extension methods).
//!
//! Requests and responses are owned values with no lifetimes, so they map one to one onto a
//! uniffi record, a JS object, a `fetch` call or a reqwest request.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Identifies one request an operation emitted, so its response can be routed back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId(pub u32);

/// An HTTP method, including the WebDAV, CalDAV and CardDAV extension methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `PUT`
    Put,
    /// `POST` (RFC 5995 add-member)
    Post,
    /// `PATCH` (RFC 5789; the Google Calendar API)
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
    /// `PROPFIND` (RFC 4918 §9.1)
    Propfind,
    /// `PROPPATCH` (RFC 4918 §9.2)
    Proppatch,
    /// `MKCOL` (RFC 4918 §9.3, extended by RFC 5689)
    Mkcol,
    /// `MKCALENDAR` (RFC 4791 §5.3.1)
    Mkcalendar,
    /// `REPORT` (RFC 3253 §3.6)
    Report,
}

impl Method {
    /// Whether the method only reads (RFC 9110 §9.2.1, and WebDAV's PROPFIND and REPORT).
    pub fn is_safe(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Propfind | Method::Report
        )
    }

    /// The method name as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Propfind => "PROPFIND",
            Method::Proppatch => "PROPPATCH",
            Method::Mkcol => "MKCOL",
            Method::Mkcalendar => "MKCALENDAR",
            Method::Report => "REPORT",
        }
    }

    /// Parses a method name (case-sensitive, as HTTP methods are).
    pub fn parse(name: &str) -> Option<Method> {
        Some(match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "PROPFIND" => Method::Propfind,
            "PROPPATCH" => Method::Proppatch,
            "MKCOL" => Method::Mkcol,
            "MKCALENDAR" => Method::Mkcalendar,
            "REPORT" => Method::Report,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header, name and value as sent or received.
pub type Header = (String, String);

/// A request for the host's HTTP stack to send.
///
/// The `Debug` output hides the value of `Authorization` so that requests can be logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Routes the response back to the operation that asked.
    pub id: RequestId,
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Headers in the order they should be sent.
    pub headers: Vec<Header>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body as UTF-8 text, if there is a body and it is valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        self.body
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("url", &crate::redact::url_for_display(&self.url))
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

struct RedactedHeaders<'a>(&'a [Header]);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.0 {
            if crate::redact::is_secret_header(name) {
                list.entry(&(name.as_str(), "<redacted>"));
            } else {
                list.entry(&(name.as_str(), value.as_str()));
            }
        }
        list.finish()
    }
}

/// A response as the host's HTTP stack received it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers as received.
    pub headers: Vec<Header>,
    /// The body (already decoded from any `Content-Encoding` by the host).
    pub body: Vec<u8>,
    /// The URL after redirects the host followed by itself (browser `fetch` always does).
    /// `None` when the host did not follow any.
    pub final_url: Option<String>,
}

impl HttpResponse {
    /// A response with a status and a body and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
            final_url: None,
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether this is a 200 with an HTML page (`Content-Type: text/html`): as an answer to a
    /// write, a login proxy's or captive portal's page as likely as the server's (CalDAV and
    /// CardDAV servers answer a write 201 or 204, or 200 without a page), so it never says
    /// that a write was applied (`ops::write::refuse_page`, and a write's read-back).
    pub(crate) fn is_html_page(&self) -> bool {
        self.status == 200
            && self
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body_len", &self.body.len())
            .field(
                "final_url",
                &self
                    .final_url
                    .as_deref()
                    .map(crate::redact::url_for_display),
            )
            .finish()
    }
}

/// Whether a header's value is a secret that logs, `Debug` output and error messages must hide
/// (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, ASCII case-insensitive).
/// Bindings use it so that their printed headers hide the same values as the core's.
pub fn is_secret_header(name: &str) -> bool {
    crate::redact::is_secret_header(name)
}

/// A URL fit for messages and logs: any `user:password@` part is removed. Bindings use it when
/// they print a configuration.
pub fn url_for_display(url: &str) -> String {
    crate::redact::url_for_display(url)
}

pub(crate) fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The reason phrase-free status class names used in messages.
pub(crate) fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_authorization() {
        let req = HttpRequest {
            id: RequestId(1),
            method: Method::Propfind,
            url: "https://user:secret@example.com/dav/".into(),
            headers: vec![
                ("Authorization".into(), "Basic c2VjcmV0".into()),
                ("Depth".into(), "0".into()),
            ],
            body: None,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("Depth"));
    }

    #[test]
    fn methods_round_trip() {
        for m in [
            Method::Get,
            Method::Head,
            Method::Put,
            Method::Post,
            Method::Patch,
            Method::Delete,
            Method::Options,
            Method::Propfind,
            Method::Proppatch,
            Method::Mkcol,
            Method::Mkcalendar,
            Method::Report,
        ] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("propfind"), None);
    }
}
