//! The one error type of the core, with a flat, stable [`ErrorKind`] that bindings expose.
//!
//! Errors carry what a caller needs to act (kind, status, URL, a short body excerpt) and never
//! credentials: URLs are shown without their user-info part and no header values are kept.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::http::{HttpResponse, status_text};
use crate::redact;
use crate::{icalendar, vcard};

/// Hands the list of every [`ErrorKind`] to a macro, once, in order: `$callback! { $(docs
/// Variant,)* }`, each variant preceded by its doc comment. The core declares [`ErrorKind`] and
/// its names through it, and the mobile binding its error enum (one variant per kind), so a new
/// kind appears in every place at once instead of being copied. An implementation detail of the
/// bindings, not an API.
#[doc(hidden)]
#[macro_export]
macro_rules! error_kinds {
    ($callback:ident) => {
        $callback! {
            /// The server answered with an unexpected HTTP status.
            Http,
            /// 401: the credentials were missing, wrong or expired.
            Unauthorized,
            /// 403 without a more specific meaning.
            Forbidden,
            /// 404 or 410 for a resource (not a sync token).
            NotFound,
            /// 412 or a UID conflict: the `If-Match` / `If-None-Match` condition (or the
            /// server's one-UID-per-collection rule) failed; nothing was overwritten.
            PreconditionFailed,
            /// The server rejected the sync token (RFC 6578 `valid-sync-token`, or 410); a full
            /// resynchronisation is needed.
            InvalidSyncToken,
            /// 429, 503 or a provider's rate-limit answer; the error carries the seconds to wait
            /// when the server sent `Retry-After`.
            RateLimited,
            /// The body was not the XML that was expected (malformed, truncated, wrong root).
            Xml,
            /// An iCalendar object could not be parsed (or expanded).
            ICalendar,
            /// A vCard could not be parsed.
            VCard,
            /// The server broke the protocol (a multistatus without hrefs, a redirect loop, ...).
            Protocol,
            /// The caller passed something unusable (a bad URL, an empty UID, a sync state of
            /// another collection, ...).
            InvalidInput,
            /// The server or its profile does not support this operation (checked before sending).
            Unsupported,
            /// A redirect was refused (to another scheme, an https to http downgrade, a target that
            /// is not a URL, a write sent to another origin). Too many hops are `LimitExceeded`.
            Redirect,
            /// The host's HTTP stack failed (network, TLS, timeout, an error the app's transport
            /// threw).
            Transport,
            /// An input passed one of the configured limits (a body too large, XML nested too
            /// deep, too many hrefs, home sets, collections, sync pages or redirects): the server
            /// or data is hostile or far beyond what was expected, rather than malformed. The
            /// message names the limit.
            LimitExceeded,
        }
    };
}

/// Declares [`ErrorKind`] and its names from the list `error_kinds!` gives.
macro_rules! declare_error_kind {
    ($($(#[doc = $doc:literal])* $kind:ident,)*) => {
        /// What went wrong, as a flat and stable list. Bindings expose this as a string or enum.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            /// The kind's stable name (its variant's name), as bindings show it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => stringify!($kind),)*
                }
            }

            /// The kind named `name` (as [`ErrorKind::as_str`] writes it), if there is one:
            /// for bindings reading back an error their host was given.
            pub fn from_name(name: &str) -> Option<ErrorKind> {
                match name {
                    $(stringify!($kind) => Some(ErrorKind::$kind),)*
                    _ => None,
                }
            }

            /// Every kind's name, in the list's order (as [`ErrorKind::as_str`] and its
            /// `Serialize` write them).
            pub(crate) const NAMES: &[&str] = &[$(stringify!($kind),)*];

            /// Every kind, in the order of [`ErrorKind::NAMES`].
            pub(crate) const ALL: &[ErrorKind] = &[$(ErrorKind::$kind,)*];
        }
    };
}

error_kinds!(declare_error_kind);

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
        let usage = if status == 403 {
            google_usage_limit(&response.body)
        } else {
            None
        };
        let kind = match usage {
            Some(UsageLimit::Rate) => ErrorKind::RateLimited,
            // A daily quota is not retried: it is Forbidden until Google's quota resets.
            _ => ErrorKind::for_status(status),
        };
        let retry_after = if kind == ErrorKind::RateLimited {
            response.header("retry-after").and_then(parse_retry_after)
        } else {
            None
        };
        let reason = status_text(status);
        let mut message = if reason.is_empty() {
            format!("the server answered {status}")
        } else {
            format!("the server answered {status} {reason}")
        };
        if usage == Some(UsageLimit::Daily) {
            message.push_str(
                " (Google's daily usage quota is exceeded; retrying before it resets will not help)",
            );
        }
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

    /// This error with each of `secrets` (the credentials' [`secrets`](crate::Credentials))
    /// replaced by `<redacted>` in its message and body excerpt: a server may echo a request's
    /// `Authorization` header or password in its error page, also escaped as XML, HTML, JSON
    /// or a URL would have it ([`redact::encoded_forms`]). An excerpt that was cut and ends
    /// with the start of a secret (four characters or more) loses that end too.
    pub(crate) fn without_secrets(mut self, secrets: &[String]) -> Self {
        for secret in secrets {
            for form in redact::encoded_forms(secret) {
                self.redact(&form);
            }
        }
        self
    }

    /// [`without_secrets`](Self::without_secrets) for one form of one secret.
    fn redact(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        redact(&mut self.message, secret);
        let Some(excerpt) = self.body_excerpt.as_mut() else {
            return;
        };
        redact(excerpt, secret);
        if let Some(kept) = excerpt.strip_suffix('…') {
            // The longest start of the secret (four bytes or more) the cut excerpt ends with.
            let mut end = secret.len();
            while end >= 4 {
                if secret.is_char_boundary(end) && kept.ends_with(&secret[..end]) {
                    *excerpt = format!("{}{REDACTED}…", &kept[..kept.len() - end]);
                    break;
                }
                end -= 1;
            }
        }
    }

    /// This error, as the answer to a request that must not be sent twice (a POST, which makes
    /// a new object each time it is applied): a `503` is then no longer a rate limit that the
    /// client's retries run the operation again for, because a server (or a gateway before it)
    /// may answer 503 after the request was applied. It becomes an [`ErrorKind::Http`] error
    /// that says so. A `429`, and Google's `403 rateLimitExceeded`, refuse the request before
    /// it is read, and stay rate limits.
    pub(crate) fn not_repeated(mut self) -> Self {
        if self.kind == ErrorKind::RateLimited && self.status == Some(503) {
            self.kind = ErrorKind::Http;
            self.message.push_str(
                "; the request may have been applied, so davkit does not send it again (a sync \
                 or a read shows whether it was)",
            );
        }
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// An error as its `Serialize` wrote it (in a stored write queue's failed entry), read
    /// by hand ([`crate::json_read`]); `at` is its path, for messages.
    pub(crate) fn read_json(at: &str, v: &crate::json_read::Json) -> crate::json_read::Read<Error> {
        let f = crate::json_read::Fields::of(at, v, "an error object")?;
        let kind = f.tag("kind", ErrorKind::NAMES)?;
        Ok(Error {
            kind: ErrorKind::ALL.get(kind).copied().unwrap_or(ErrorKind::Http),
            message: f.string("message")?,
            status: f
                .opt_uint("status", u16::MAX.into(), "u16")?
                .and_then(|s| u16::try_from(s).ok()),
            url: f.opt_string("url")?,
            body_excerpt: f.opt_string("body_excerpt")?,
            retry_after: f.opt_uint("retry_after", u64::MAX, "u64")?,
        })
    }
}

/// An error answer's JSON, read for its reasons: none past
/// [`MAX_SMALL_ANSWER_BYTES`](crate::limits::MAX_SMALL_ANSWER_BYTES) or when it is not JSON.
pub(crate) fn error_json(body: &[u8]) -> Option<crate::json_read::Json> {
    if body.len() > crate::limits::MAX_SMALL_ANSWER_BYTES {
        return None;
    }
    crate::json_read::text::parse_bytes(body).ok()
}

/// Google's usage-limit answers (server-profiles §5.2, §5.3; the CalDAV API shares the
/// Calendar API's quotas): a short-term rate limit, retried with backoff, or a daily quota
/// (`quotaExceeded`, `dailyLimitExceeded`), which no retry within seconds can pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UsageLimit {
    Rate,
    Daily,
}

/// The reasons Google gives for a daily quota.
const DAILY_REASONS: [&str; 2] = ["quotaExceeded", "dailyLimitExceeded"];
/// The reasons Google gives for a rate limit.
const RATE_REASONS: [&str; 2] = ["rateLimitExceeded", "userRateLimitExceeded"];

/// Reads Google's usage-limit answer from a 403 body: the JSON envelope's `errors[].reason`
/// (or, without a known reason, the `usageLimits` domain: a rate limit). A body that is not
/// JSON (the DAV endpoints document no error format) is searched for the reason names as
/// words. A daily quota wins over a rate limit.
fn google_usage_limit(body: &[u8]) -> Option<UsageLimit> {
    let trimmed = body.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        let has_word = |word: &str| {
            let w = word.as_bytes();
            body.windows(w.len()).enumerate().any(|(i, win)| {
                win == w
                    && (i == 0 || !body[i - 1].is_ascii_alphanumeric())
                    && body
                        .get(i + w.len())
                        .is_none_or(|b| !b.is_ascii_alphanumeric())
            })
        };
        return if DAILY_REASONS.iter().any(|r| has_word(r)) {
            Some(UsageLimit::Daily)
        } else if RATE_REASONS.iter().any(|r| has_word(r)) {
            Some(UsageLimit::Rate)
        } else {
            None
        };
    }
    let value = error_json(body)?;
    let list = value
        .get("error")
        .and_then(|e| e.get("errors"))
        .and_then(crate::json_read::Json::as_array)?;
    let mut found = None;
    for e in list {
        let reason = e.get("reason").and_then(crate::json_read::Json::as_str);
        let domain = e.get("domain").and_then(crate::json_read::Json::as_str);
        if reason.is_some_and(|r| DAILY_REASONS.contains(&r)) {
            return Some(UsageLimit::Daily);
        }
        if reason.is_some_and(|r| RATE_REASONS.contains(&r)) || domain == Some("usageLimits") {
            found = Some(UsageLimit::Rate);
        }
    }
    found
}

/// Whether a body is any of Google's usage-limit answers (a rate limit or a daily quota).
pub(crate) fn is_google_usage_limit(body: &[u8]) -> bool {
    google_usage_limit(body).is_some()
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

// One conversion per error of the formats (davkit-formats), so the core and every binding
// report the same kind for the same failure.

/// `LimitExceeded` for a text past a size limit (more content lines than
/// [`Limits::max_content_lines`](crate::Limits::max_content_lines)), `ICalendar` otherwise.
impl From<icalendar::Error> for Error {
    fn from(e: icalendar::Error) -> Self {
        let kind = if e.is_limit() {
            ErrorKind::LimitExceeded
        } else {
            ErrorKind::ICalendar
        };
        Error::new(kind, e.to_string())
    }
}

/// `LimitExceeded` for a text past a size limit (more content lines than
/// [`Limits::max_content_lines`](crate::Limits::max_content_lines)), `VCard` otherwise.
impl From<vcard::Error> for Error {
    fn from(e: vcard::Error) -> Self {
        let kind = if e.is_limit() {
            ErrorKind::LimitExceeded
        } else {
            ErrorKind::VCard
        };
        Error::new(kind, e.to_string())
    }
}

/// `InvalidInput` for an edit this object cannot take (no series with the UID, no RRULE,
/// nothing before the split), `ICalendar` for a value of the object that could not be read.
impl From<icalendar::EditError> for Error {
    fn from(e: icalendar::EditError) -> Self {
        let kind = match e {
            icalendar::EditError::Value(_) => ErrorKind::ICalendar,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, e.to_string())
    }
}

/// `InvalidInput`: a conversion to a vCard version davkit never writes (2.1) is the caller's
/// request, not the card's fault.
impl From<vcard::UnwrittenVersion> for Error {
    fn from(e: vcard::UnwrittenVersion) -> Self {
        Error::new(ErrorKind::InvalidInput, e.to_string())
    }
}

/// `InvalidInput`: an alarm trigger that is not an RFC 5545 duration is the caller's text.
impl From<icalendar::InvalidTrigger> for Error {
    fn from(e: icalendar::InvalidTrigger) -> Self {
        Error::new(ErrorKind::InvalidInput, e.to_string())
    }
}

/// `InvalidInput` for a window that ends before it starts (the caller's input), `ICalendar` for
/// a value of the calendar the expansion could not read.
impl From<icalendar::ExpandError> for Error {
    fn from(e: icalendar::ExpandError) -> Self {
        let kind = match e {
            icalendar::ExpandError::InvalidWindow => ErrorKind::InvalidInput,
            _ => ErrorKind::ICalendar,
        };
        Error::new(kind, e.to_string())
    }
}

/// What [`Error::without_secrets`] puts in place of a secret.
const REDACTED: &str = "<redacted>";

/// Replaces each occurrence of `secret` in `text` by [`REDACTED`]. A loop over the bytes:
/// `str::replace` and its searcher were 0.8 KB of gzip in the `davkit/protocol` module.
fn redact(text: &mut String, secret: &str) {
    let needle = secret.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    while at + needle.len() <= bytes.len() {
        if bytes[at..].starts_with(needle) {
            // `at` starts a match of a whole `str`, so it and the match's end are on char
            // boundaries.
            out.push_str(&text[copied..at]);
            out.push_str(REDACTED);
            at += needle.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    if copied > 0 {
        out.push_str(&text[copied..]);
        *text = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vcard_version_never_written_is_invalid_input() {
        let card =
            vcard::VCard::parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n").unwrap();
        let e = Error::from(card.to_version(vcard::Version::V2_1).unwrap_err());
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("2.1"), "{e}");
    }

    #[test]
    fn an_alarm_trigger_not_a_duration_is_invalid_input() {
        let action = icalendar::AlarmAction::Display;
        let e = icalendar::NewAlarm::from_text(action, "in 15 minutes", false, None).unwrap_err();
        let e = Error::from(e);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("in 15 minutes"), "{e}");
    }

    #[test]
    fn expansion_errors_have_one_kind() {
        let cal = icalendar::Calendar::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T090000Z\r\n\
             RRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let (jan, feb) = (
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2026-02-01T00:00:00Z".parse().unwrap(),
        );
        let options = icalendar::ExpandOptions::default();
        assert_eq!(
            cal.expand((jan, feb), &options).unwrap().occurrences.len(),
            2
        );
        let backwards = Error::from(cal.expand((feb, jan), &options).unwrap_err());
        assert_eq!(backwards.kind(), ErrorKind::InvalidInput);
        assert!(backwards.message().contains("window"), "{backwards}");

        // A value the expansion could not read (today such a series is skipped with a warning
        // instead; the conversion is the same whichever way the formats report it).
        let dtend = icalendar::ValueError {
            property: "DTEND".into(),
            value: "not-a-time".into(),
            reason: "not a date or date-time",
        };
        let unreadable = Error::from(icalendar::ExpandError::Value(dtend));
        assert_eq!(unreadable.kind(), ErrorKind::ICalendar);
        assert!(unreadable.message().contains("DTEND"), "{unreadable}");
    }

    /// Every kind in the order of the one list (`error_kinds!`).
    macro_rules! all_kinds {
        ($($(#[doc = $doc:literal])* $kind:ident,)*) => {
            [$(ErrorKind::$kind),*]
        };
    }

    #[test]
    fn a_kind_is_named_as_serialized() {
        let kinds = error_kinds!(all_kinds);
        assert_eq!(kinds.len(), 16);
        for kind in kinds {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(ErrorKind::PreconditionFailed.as_str(), "PreconditionFailed");
    }

    /// npm's `DavErrorKind` (a TypeScript union in `npm/index.d.ts`, which cannot be generated
    /// from this crate's list) names every kind, in the list's order, and nothing else. Skipped
    /// where the file is absent (this crate packaged on its own).
    #[test]
    fn npm_names_every_kind() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../npm/index.d.ts");
        let Ok(dts) = std::fs::read_to_string(path) else {
            return;
        };
        let union = dts
            .split("export type DavErrorKind =")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_default();
        let named: Vec<&str> = union
            .split('|')
            .map(|k| k.trim().trim_matches('\''))
            .filter(|k| !k.is_empty())
            .collect();
        let kinds: Vec<&str> = error_kinds!(all_kinds).map(ErrorKind::as_str).to_vec();
        assert_eq!(named, kinds, "npm/index.d.ts DavErrorKind");
    }

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
    fn google_daily_quota_is_not_a_rate_limit() {
        let quota = r#"{"error":{"errors":[{"domain":"usageLimits","reason":"quotaExceeded","message":"Calendar usage limits exceeded."}],"code":403,"message":"Calendar usage limits exceeded."}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, quota));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(e.message().contains("daily usage quota"));
        let daily =
            r#"{"error":{"errors":[{"domain":"usageLimits","reason":"dailyLimitExceeded"}]}}"#;
        let e = Error::from_response("https://h/", &HttpResponse::new(403, daily));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(is_google_usage_limit(daily.as_bytes()));
        // Not JSON: the reason names as words.
        let xml = b"<D:error xmlns:D=\"DAV:\"><G:reason>rateLimitExceeded</G:reason></D:error>";
        let e = Error::from_response("https://h/", &HttpResponse::new(403, &xml[..]));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let text = b"Error 403: quotaExceeded";
        let e = Error::from_response("https://h/", &HttpResponse::new(403, &text[..]));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let not_a_word = b"<x>norateLimitExceededs</x>";
        let e = Error::from_response("https://h/", &HttpResponse::new(403, &not_a_word[..]));
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        let empty = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<D:error xmlns:D=\"DAV:\"/>";
        assert!(!is_google_usage_limit(empty));
    }

    #[test]
    fn retry_after_seconds() {
        let r = HttpResponse::new(429, "").with_header("Retry-After", "120");
        let e = Error::from_response("https://h/", &r);
        assert_eq!(e.retry_after(), Some(120));
        assert_eq!(e.body_excerpt(), None);
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let secrets = crate::Credentials::basic("alice", "pw-secret-4711").secrets();
        let basic = crate::base64::encode(b"alice:pw-secret-4711");
        assert_eq!(secrets, ["pw-secret-4711".to_owned(), basic.clone()]);
        let body = format!("wrong password pw-secret-4711 for Authorization: Basic {basic}");
        let e = Error::from_response("https://h/", &HttpResponse::new(401, body.as_str()))
            .without_secrets(&secrets);
        assert_eq!(
            e.body_excerpt(),
            Some("wrong password <redacted> for Authorization: Basic <redacted>")
        );
        // Cut in the middle of the secret: the start that was kept goes too.
        let long = format!("{} pw-secret-4711", "x".repeat(EXCERPT_CHARS - 8));
        let e = Error::from_response("https://h/", &HttpResponse::new(500, long.as_str()))
            .without_secrets(&secrets);
        let excerpt = e.body_excerpt().unwrap();
        assert!(excerpt.ends_with("x <redacted>…"), "{excerpt}");
        assert!(!excerpt.contains("pw-s"), "{excerpt}");
        // Nothing to redact: unchanged; no credentials: no secrets.
        let plain = Error::from_response("https://h/", &HttpResponse::new(500, "disk full"));
        assert_eq!(plain.clone().without_secrets(&secrets), plain);
        assert!(crate::Credentials::None.secrets().is_empty());
        assert!(crate::Credentials::basic("", "").secrets() == [crate::base64::encode(b":")]);
        // Non-ASCII secrets, repeated, at either end of the text.
        let mut text = "pässwörd, then pässwörd again: pässwörd".to_owned();
        redact(&mut text, "pässwörd");
        assert_eq!(text, "<redacted>, then <redacted> again: <redacted>");
        let mut short = "pä".to_owned();
        redact(&mut short, "pässwörd");
        assert_eq!(short, "pä");
    }

    #[test]
    fn an_echoed_secret_is_redacted_however_the_server_escaped_it() {
        let password = "S3cr&t<pw>\"Zq9".to_owned();
        for echoed in [
            "bad login for alice: S3cr&amp;t&lt;pw&gt;&quot;Zq9",
            "bad login for alice: S3cr%26t%3Cpw%3E%22Zq9",
            r#"{"error":"bad login for alice: S3cr&t<pw>\"Zq9"}"#,
        ] {
            let response = HttpResponse::new(500, echoed);
            let e = Error::from_response("https://h/x", &response)
                .without_secrets(std::slice::from_ref(&password));
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("Zq9"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }

    #[test]
    fn display_has_no_credentials() {
        let e = Error::new(ErrorKind::Http, "boom").with_url("https://bob:hunter2@h/x");
        assert!(!e.to_string().contains("hunter2"));
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
