//! The one error type of the core, with a flat, stable [`ErrorKind`] that bindings expose.
//!
//! Errors carry what a caller needs to act (kind, status, URL, a short body excerpt) and never
//! credentials: URLs are shown without their user-info part and no header values are kept.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::http::{HttpResponse, status_text};
use crate::redact;

/// What went wrong, as a flat and stable list. Bindings expose this as a string or enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an unexpected HTTP status.
    Http,
    /// 401: the credentials were missing, wrong or expired.
    Unauthorized,
    /// 403 without a more specific meaning.
    Forbidden,
    /// 404 or 410 for a resource (not a sync token).
    NotFound,
    /// 412: the `If-Match` / `If-None-Match` condition failed; nothing was overwritten.
    PreconditionFailed,
    /// The server rejected the sync token (RFC 6578 `valid-sync-token`, or 410); a full
    /// resynchronisation is needed.
    InvalidSyncToken,
    /// 429, 503 or a provider's rate-limit answer; see [`Error::retry_after`].
    RateLimited,
    /// The body was not the XML that was expected (malformed, truncated, wrong root).
    Xml,
    /// An iCalendar object could not be parsed.
    ICalendar,
    /// A vCard could not be parsed.
    VCard,
    /// The server broke the protocol (a multistatus without hrefs, a redirect loop, ...).
    Protocol,
    /// The caller passed something unusable (a bad URL, an empty UID, ...).
    InvalidInput,
    /// The server or its profile does not support this operation (checked before sending).
    Unsupported,
    /// A redirect was refused (to another scheme, an https to http downgrade, a target that
    /// is not a URL). Too many hops are [`ErrorKind::LimitExceeded`].
    Redirect,
    /// The host's HTTP stack failed (network, TLS, timeout, a thrown transport error).
    Transport,
    /// An input passed one of the configured [`Limits`](crate::Limits) (a body too large, XML
    /// nested too deep, too many hrefs, home sets, collections, sync pages or redirects): the
    /// server or data is hostile or far beyond what was expected, rather than malformed. The
    /// message names the limit.
    LimitExceeded,
}

impl ErrorKind {
    /// The kind of an error status on its own (without a body to look into).
    pub(crate) fn for_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            412 => ErrorKind::PreconditionFailed,
            429 | 503 => ErrorKind::RateLimited,
            _ => ErrorKind::Http,
        }
    }

    /// The kind's stable name, as bindings show it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Http => "Http",
            ErrorKind::Unauthorized => "Unauthorized",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::PreconditionFailed => "PreconditionFailed",
            ErrorKind::InvalidSyncToken => "InvalidSyncToken",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::Xml => "Xml",
            ErrorKind::ICalendar => "ICalendar",
            ErrorKind::VCard => "VCard",
            ErrorKind::Protocol => "Protocol",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Redirect => "Redirect",
            ErrorKind::Transport => "Transport",
            ErrorKind::LimitExceeded => "LimitExceeded",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every core operation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    url: Option<String>,
    body_excerpt: Option<String>,
    retry_after: Option<u64>,
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

const EXCERPT_CHARS: usize = 240;

impl Error {
    /// A new error of this kind with a message. The message must not contain credentials.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            url: None,
            body_excerpt: None,
            retry_after: None,
        }
    }

    /// Attaches the URL the error is about (shown without user-info).
    pub fn with_url(mut self, url: &str) -> Self {
        self.url = Some(redact::url_for_display(url));
        self
    }

    /// Attaches the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Attaches a short excerpt of a response body.
    pub fn with_body(mut self, body: &[u8]) -> Self {
        if !body.is_empty() {
            self.body_excerpt = Some(redact::excerpt(body, EXCERPT_CHARS));
        }
        self
    }

    /// Attaches a server-requested delay in seconds (rate limits).
    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds;
        self
    }

    /// An error for an unexpected HTTP response, classified by its status.
    pub fn from_response(url: &str, response: &HttpResponse) -> Self {
        let status = response.status;
        let kind = match status {
            403 if is_google_rate_limit(&response.body) => ErrorKind::RateLimited,
            _ => ErrorKind::for_status(status),
        };
        let retry_after = if kind == ErrorKind::RateLimited {
            response.header("retry-after").and_then(parse_retry_after)
        } else {
            None
        };
        let reason = status_text(status);
        let message = if reason.is_empty() {
            format!("the server answered {status}")
        } else {
            format!("the server answered {status} {reason}")
        };
        Error::new(kind, message)
            .with_status(status)
            .with_url(url)
            .with_body(&response.body)
            .with_retry_after(retry_after)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A human-readable description (no credentials).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The URL concerned, without user-info.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The first characters of the response body, when there was one.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.body_excerpt.as_deref()
    }

    /// For [`ErrorKind::RateLimited`]: seconds the server asked to wait (`Retry-After`), when
    /// given in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

/// Google answers rate limits with 403 and a JSON envelope whose `errors[].reason` is
/// `rateLimitExceeded` or `userRateLimitExceeded`, or whose domain is `usageLimits`
/// (server-profiles §5.2; the CalDAV API shares the Calendar API's quotas).
fn is_google_rate_limit(body: &[u8]) -> bool {
    if !body.trim_ascii_start().starts_with(b"{") {
        return false;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let errors = value
        .get("error")
        .and_then(|e| e.get("errors"))
        .and_then(serde_json::Value::as_array);
    errors.is_some_and(|list| {
        list.iter().any(|e| {
            let reason = e.get("reason").and_then(serde_json::Value::as_str);
            let domain = e.get("domain").and_then(serde_json::Value::as_str);
            matches!(reason, Some("rateLimitExceeded" | "userRateLimitExceeded"))
                || domain == Some("usageLimits")
        })
    })
}

/// `Retry-After` in delta-seconds. HTTP dates are not converted: the core has no clock.
fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("status", &self.status)
            .field("url", &self.url)
            .field("body_excerpt", &self.body_excerpt)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(url) = &self.url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        let cases = [
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::NotFound),
            (412, ErrorKind::PreconditionFailed),
            (429, ErrorKind::RateLimited),
            (503, ErrorKind::RateLimited),
            (500, ErrorKind::Http),
        ];
        for (status, kind) in cases {
            let e = Error::from_response("https://h/x", &HttpResponse::new(status, "oops"));
            assert_eq!(e.kind(), kind, "{status}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.body_excerpt(), Some("oops"));
        }
    }

    #[test]
    fn google_rate_limit_403() {
        let body = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,"message":"Rate Limit Exceeded"}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, body));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let forbidden = r#"{"error":{"errors":[{"domain":"calendar","reason":"forbiddenForNonOrganizer"}],"code":403}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, forbidden));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let e = Error::from_response("https://h/", &HttpResponse::new(403, "{not json"));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }

    #[test]
    fn retry_after_seconds() {
        let r = HttpResponse::new(429, "").with_header("Retry-After", "120");
        let e = Error::from_response("https://h/", &r);
        assert_eq!(e.retry_after(), Some(120));
        assert_eq!(e.body_excerpt(), None);
    }

    #[test]
    fn display_has_no_credentials() {
        let e = Error::new(ErrorKind::Http, "boom").with_url("https://bob:hunter2@h/x");
        assert!(!e.to_string().contains("hunter2"));
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
