//! What carries a secret across the boundary, made safe to print in every language.
//!
//! uniffi generates `toString()` (Kotlin data classes), `__str__`/`__repr__` (Python) and
//! `description` (Swift) for records and enums from their fields, so a record holding a
//! password prints it. Here:
//! - [`Credentials`] is an opaque object: the app can build one but not read the secret back;
//!   it prints as the core's redacted `Debug` (`Basic { username: "alice", password:
//!   "<redacted>" }`).
//! - [`HttpRequest`] is an opaque object around the core's request (accessor methods for the
//!   transport); it prints as the core's `Debug`, which hides `Authorization` and shows only the
//!   body's length (a token request's body holds a refresh token or code verifier).
//! - [`HttpHeader`] and [`HttpResponse`] stay records (the app builds them), with `Display` and
//!   `Debug` exported so that their generated `toString`/`repr`/`description` hide secret header
//!   values (the core's list: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`)
//!   and show a body only by its length.
//!
//! Nothing here decides anything about HTTP: the core builds and reads every request.

use std::fmt;
use std::sync::Arc;

use crate::error::DavError;

/// How to authenticate. Opaque: built with `Credentials.basic(...)`, `Credentials.digest(...)`,
/// `Credentials.bearer(...)` or `Credentials.none()`; printing it never shows the password or
/// token.
#[derive(Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Debug, Display, Eq)]
pub struct Credentials(davkit::Credentials);

impl Credentials {
    /// The core's credentials.
    pub(crate) fn core(&self) -> &davkit::Credentials {
        &self.0
    }
}

// The core's Debug shows the user name and hides the password or token.
print_as_core!(Credentials);

#[uniffi::export]
impl Credentials {
    /// No `Authorization` header.
    #[uniffi::constructor]
    pub fn none() -> Arc<Self> {
        Arc::new(Credentials(davkit::Credentials::None))
    }

    /// HTTP Basic (iCloud: an app-specific password).
    #[uniffi::constructor]
    pub fn basic(username: String, password: String) -> Arc<Self> {
        Arc::new(Credentials(davkit::Credentials::basic(username, password)))
    }

    /// HTTP Digest (RFC 7616: SHA-256 or MD5, `qop=auth`), as Baikal and other SabreDAV
    /// servers offer: the core answers the server's 401 challenge itself and sends the
    /// credentials only to the configured origin.
    #[uniffi::constructor]
    pub fn digest(username: String, password: String) -> Arc<Self> {
        Arc::new(Credentials(davkit::Credentials::digest(username, password)))
    }

    /// An OAuth 2.0 access token (Google).
    #[uniffi::constructor]
    pub fn bearer(token: String) -> Arc<Self> {
        Arc::new(Credentials(davkit::Credentials::bearer(token)))
    }

    /// The scheme: `none`, `Basic`, `Digest` or `Bearer`.
    pub fn scheme(&self) -> String {
        self.0.scheme().to_owned()
    }
}

/// One HTTP header. Printing it hides the value of a secret header (`Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie`).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display, Eq)]
pub struct HttpHeader {
    /// The name as sent or received.
    pub name: String,
    /// The value.
    pub value: String,
}

impl fmt::Display for HttpHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if davkit::http::is_secret_header(&self.name) {
            write!(f, "{}: <redacted>", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

impl fmt::Debug for HttpHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpHeader({self})")
    }
}

/// A request for the app's HTTP stack: send it as given (`method()`, `url()`, `headers()`,
/// `body()`); `is_safe()` says whether it may be sent again after a failed connection. The core follows redirects itself, so the transport should not (or should report
/// `final_url`). Opaque, so that printing it never shows the `Authorization` header or the body.
#[derive(Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Debug, Display, Eq)]
pub struct HttpRequest(davkit::HttpRequest);

impl HttpRequest {
    /// Wraps the core's request.
    pub(crate) fn from_core(request: davkit::HttpRequest) -> Arc<Self> {
        Arc::new(HttpRequest(request))
    }

    /// The core's request (for the built-in transport).
    #[cfg(feature = "reqwest")]
    pub(crate) fn core(&self) -> &davkit::HttpRequest {
        &self.0
    }
}

// The core's Debug: URL without user-info, secret headers hidden, body by length.
print_as_core!(HttpRequest);

#[uniffi::export]
impl HttpRequest {
    /// A request built by hand, to test a transport without a client. Fails with
    /// `InvalidInput` for a method davkit does not know.
    #[uniffi::constructor(default(body = None))]
    pub fn new(
        method: String,
        url: String,
        headers: Vec<HttpHeader>,
        body: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, DavError> {
        let method = davkit::Method::parse(&method)
            .ok_or_else(|| DavError::invalid_input(format!("unsupported method {method}")))?;
        Ok(HttpRequest::from_core(davkit::HttpRequest {
            id: davkit::RequestId(0),
            method,
            url,
            headers: headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body,
        }))
    }

    /// `GET`, `PUT`, `PROPFIND`, `REPORT`, `MKCALENDAR`, ...
    pub fn method(&self) -> String {
        self.0.method.as_str().to_owned()
    }

    /// Whether the method only reads (`GET`, `HEAD`, `OPTIONS`, `PROPFIND`, `REPORT`): the
    /// core's rule (`Method::is_safe`). A transport may send such a request again when its
    /// connection failed; a write (every other method) must go out at most once, since davkit
    /// reads the object back to learn whether a write lost in transit was applied.
    pub fn is_safe(&self) -> bool {
        self.0.method.is_safe()
    }

    /// The absolute URL.
    pub fn url(&self) -> String {
        self.0.url.clone()
    }

    /// Headers in order (including `Authorization` when the core added credentials).
    pub fn headers(&self) -> Vec<HttpHeader> {
        self.0
            .headers
            .iter()
            .map(|(name, value)| HttpHeader {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }

    /// The first header with this name (ASCII case-insensitive), if any.
    pub fn header(&self, name: String) -> Option<String> {
        self.0.header(&name).map(str::to_owned)
    }

    /// The body, if any.
    pub fn body(&self) -> Option<Vec<u8>> {
        self.0.body.clone()
    }
}

/// The app's HTTP stack's answer. Printing it shows the status, the headers (secret values
/// hidden) and the body's length only.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers as received.
    pub headers: Vec<HttpHeader>,
    /// The body, already decoded from any `Content-Encoding`.
    pub body: Vec<u8>,
    /// The URL after redirects the HTTP stack followed by itself; `null` when it followed none.
    #[uniffi(default)]
    pub final_url: Option<String>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("final_url", &self.final_url)
            .finish()
    }
}

impl fmt::Display for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<davkit::HttpResponse> for HttpResponse {
    fn from(r: davkit::HttpResponse) -> Self {
        HttpResponse {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
            final_url: r.final_url,
        }
    }
}

impl From<HttpResponse> for davkit::HttpResponse {
    fn from(r: HttpResponse) -> Self {
        davkit::HttpResponse {
            status: r.status,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
            final_url: r.final_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "pw-secret-4711";

    #[test]
    fn nothing_that_carries_a_secret_prints_it() {
        let creds = Credentials::basic("alice".into(), SECRET.into());
        let digest = Credentials::digest("alice".into(), SECRET.into());
        let bearer = Credentials::bearer(SECRET.into());
        let request = HttpRequest::new(
            "PUT".into(),
            format!("https://alice:{SECRET}@dav.example.com/a.ics"),
            vec![HttpHeader {
                name: "Authorization".into(),
                value: format!("Basic {SECRET}"),
            }],
            Some(SECRET.as_bytes().to_vec()),
        )
        .unwrap();
        let response = HttpResponse {
            status: 200,
            headers: vec![HttpHeader {
                name: "set-cookie".into(),
                value: SECRET.into(),
            }],
            body: SECRET.as_bytes().to_vec(),
            final_url: None,
        };
        for shown in [
            format!("{creds} {creds:?} {digest} {digest:?} {bearer} {bearer:?}"),
            format!("{request} {request:?}"),
            format!("{response} {response:?}"),
        ] {
            assert!(!shown.contains(SECRET), "{shown}");
        }
        assert!(format!("{creds}").contains("alice"));
        assert!(format!("{digest}").contains("alice"));
        assert_eq!(digest.scheme(), "Digest");
        assert_eq!(
            request.header("authorization".into()).unwrap(),
            format!("Basic {SECRET}")
        );
        let plain = HttpHeader {
            name: "ETag".into(),
            value: "\"1\"".into(),
        };
        assert_eq!(plain.to_string(), "ETag: \"1\"");
    }

    #[test]
    fn safe_is_the_cores_rule() {
        for name in [
            "GET",
            "HEAD",
            "OPTIONS",
            "PROPFIND",
            "REPORT",
            "PUT",
            "POST",
            "PATCH",
            "DELETE",
            "PROPPATCH",
            "MKCOL",
            "MKCALENDAR",
        ] {
            let request = HttpRequest::new(name.into(), "https://x/".into(), vec![], None).unwrap();
            let core = davkit::Method::parse(name).unwrap();
            assert_eq!(request.is_safe(), core.is_safe(), "{name}");
        }
        let get = HttpRequest::new("GET".into(), "https://x/".into(), vec![], None).unwrap();
        let put = HttpRequest::new("PUT".into(), "https://x/".into(), vec![], None).unwrap();
        assert!(get.is_safe() && !put.is_safe());
    }

    #[test]
    fn an_unknown_method_is_invalid_input() {
        let e = HttpRequest::new("BREW".into(), "https://x/".into(), vec![], None).unwrap_err();
        assert_eq!(e.kind_name(), "InvalidInput");
    }
}
