//! `DavError`: the one error of the bindings, flat, one variant per core [`ErrorKind`].
//!
//! Kotlin sees it as `sealed class DavException`, Swift as `enum DavError: Error`, Python as
//! `DavError.<Kind>`. Every variant carries the same fields, so apps can handle all of them in
//! one place. Errors the app's transport throws arrive here too (see [`crate::transport`]).

use davkit::{Error, ErrorKind};

/// Declares [`DavError`]: one variant per core [`ErrorKind`] given to it (its name and the
/// docs the generated code shows), then `Other`, every variant with the same five fields; and
/// the two conversions between a variant and its kind. The core's `davkit::error_kinds!` calls
/// it with its list of kinds, so the list is written once, in the core.
macro_rules! dav_error {
    ($($(#[doc = $doc:literal])* $kind:ident,)*) => {
        /// A davkit error: the variant is the kind (as in the core's `ErrorKind`).
        ///
        /// `detail` is a human-readable description without credentials; `status` is the HTTP status
        /// when the error came from a response; `url` is the URL concerned (without user-info);
        /// `retry_after_seconds` is the server's `Retry-After` for `RateLimited`; `body_excerpt` is
        /// the start of the server's answer when it refused with a body (the core's excerpt, as
        /// npm's `bodyExcerpt`), so an app can show or log why. A transport that throws passes none
        /// (uniffi 0.32 allows no default for an error variant's field: `#[uniffi(...)]` is
        /// refused there, and the Kotlin and Python error templates render no defaults).
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Error)]
        // Kotlin's `toString()` and Swift's `description` are then this `Display`: the kind,
        // the detail and the URL (uniffi 0.32's Python error template does not use it).
        #[uniffi::export(Display)]
        pub enum DavError {
            $(
                $(#[doc = $doc])*
                $kind {
                    /// What happened.
                    detail: String,
                    /// The HTTP status, if any.
                    status: Option<u16>,
                    /// The URL concerned, if any.
                    url: Option<String>,
                    /// Seconds to wait before retrying, if the server said.
                    retry_after_seconds: Option<u64>,
                    /// The first characters of the server's answer, if it had a body.
                    body_excerpt: Option<String>,
                },
            )*
            /// A kind without a variant of its own. None today: every core kind has one (the
            /// list comes from the core); kept so that code handling it keeps compiling.
            Other {
                /// What happened.
                detail: String,
                /// The HTTP status, if any.
                status: Option<u16>,
                /// The URL concerned, if any.
                url: Option<String>,
                /// Seconds to wait before retrying, if the server said.
                retry_after_seconds: Option<u64>,
                /// The first characters of the server's answer, if it had a body.
                body_excerpt: Option<String>,
            },
        }

        impl DavError {
            /// Every kind that has a variant of its own.
            #[cfg(test)]
            const KINDS: &[ErrorKind] = &[$(ErrorKind::$kind),*];

            fn build(kind: Option<ErrorKind>, p: Parts) -> DavError {
                let Parts {
                    detail,
                    status,
                    url,
                    retry_after_seconds,
                    body_excerpt,
                } = p;
                match kind {
                    $(Some(ErrorKind::$kind) => DavError::$kind { detail, status, url, retry_after_seconds, body_excerpt },)*
                    _ => DavError::Other { detail, status, url, retry_after_seconds, body_excerpt },
                }
            }

            fn parts(&self) -> View<'_> {
                match self {
                    $(DavError::$kind { detail, status, url, retry_after_seconds, body_excerpt } =>
                        View::new(Some(ErrorKind::$kind), detail, *status, url, *retry_after_seconds, body_excerpt),)*
                    DavError::Other { detail, status, url, retry_after_seconds, body_excerpt } =>
                        View::new(None, detail, *status, url, *retry_after_seconds, body_excerpt),
                }
            }
        }
    };
}

// The kinds come from the core's one list: a new core kind is a new variant here (and in the
// generated Kotlin, Swift and Python) without an edit, never a silent `Other`.
davkit::error_kinds!(dav_error);

/// The fields every variant carries.
#[derive(Default)]
struct Parts {
    detail: String,
    status: Option<u16>,
    url: Option<String>,
    retry_after_seconds: Option<u64>,
    body_excerpt: Option<String>,
}

/// A variant's kind and fields, borrowed.
struct View<'a> {
    kind: Option<ErrorKind>,
    detail: &'a str,
    status: Option<u16>,
    url: Option<&'a str>,
    retry_after_seconds: Option<u64>,
    body_excerpt: Option<&'a str>,
}

impl<'a> View<'a> {
    fn new(
        kind: Option<ErrorKind>,
        detail: &'a str,
        status: Option<u16>,
        url: &'a Option<String>,
        retry_after_seconds: Option<u64>,
        body_excerpt: &'a Option<String>,
    ) -> Self {
        View {
            kind,
            detail,
            status,
            url: url.as_deref(),
            retry_after_seconds,
            body_excerpt: body_excerpt.as_deref(),
        }
    }
}

impl DavError {
    /// A transport error with a message (what the app's transport should throw on failure).
    pub fn transport(detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(ErrorKind::Transport),
            Parts {
                detail: detail.into(),
                ..Parts::default()
            },
        )
    }

    /// An invalid-input error with a message.
    pub fn invalid_input(detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(ErrorKind::InvalidInput),
            Parts {
                detail: detail.into(),
                ..Parts::default()
            },
        )
    }

    /// An error of a kind with a message.
    pub fn of_kind(kind: ErrorKind, detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(kind),
            Parts {
                detail: detail.into(),
                ..Parts::default()
            },
        )
    }

    /// The kind's stable name (`"PreconditionFailed"`, ...), as the core names it.
    pub fn kind_name(&self) -> &'static str {
        self.parts().kind.map_or("Other", ErrorKind::as_str)
    }

    /// The description.
    pub fn detail(&self) -> &str {
        self.parts().detail
    }

    /// The HTTP status, if any.
    pub fn status(&self) -> Option<u16> {
        self.parts().status
    }
}

/// Accessors that work on every variant (the generated code has per-variant fields only).
#[uniffi::export]
impl DavError {
    /// The kind as the core names it: `"PreconditionFailed"`, `"Transport"`, ...
    pub fn kind(&self) -> String {
        self.kind_name().to_owned()
    }

    /// The HTTP status, when the error came from a response.
    pub fn http_status(&self) -> Option<u16> {
        self.status()
    }

    /// The URL concerned (without user-info), if any.
    pub fn error_url(&self) -> Option<String> {
        self.parts().url.map(str::to_owned)
    }

    /// The first characters of the server's answer (the core's excerpt of an error response's
    /// body, trimmed and cut short), if it had a body.
    pub fn error_body_excerpt(&self) -> Option<String> {
        self.parts().body_excerpt.map(str::to_owned)
    }
}

impl std::fmt::Display for DavError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let View { detail, url, .. } = self.parts();
        write!(f, "{}: {detail}", self.kind_name())?;
        if let Some(url) = url {
            write!(f, " ({url})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DavError {}

impl From<Error> for DavError {
    fn from(e: Error) -> Self {
        DavError::build(
            Some(e.kind()),
            Parts {
                detail: e.message().to_owned(),
                status: e.status(),
                url: e.url().map(str::to_owned),
                retry_after_seconds: e.retry_after(),
                body_excerpt: e.body_excerpt().map(str::to_owned),
            },
        )
    }
}

impl From<DavError> for Error {
    /// What an error thrown by the app's transport becomes inside the core: the same kind
    /// (`Other` becomes `Transport`), message, status, URL and retry delay; its body excerpt
    /// goes through the core's `with_body`, so it is trimmed and cut as the core cuts a
    /// response's body (an empty one is none).
    fn from(e: DavError) -> Self {
        let View {
            kind,
            detail,
            status,
            url,
            retry_after_seconds,
            body_excerpt,
        } = e.parts();
        let mut out = Error::new(kind.unwrap_or(ErrorKind::Transport), detail)
            .with_retry_after(retry_after_seconds);
        if let Some(status) = status {
            out = out.with_status(status);
        }
        if let Some(url) = url {
            out = out.with_url(url);
        }
        if let Some(excerpt) = body_excerpt {
            out = out.with_body(excerpt.as_bytes());
        }
        out
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for DavError {
    /// Any exception the app's transport throws that is not a `DavError` (an `IOException`, a
    /// Swift `URLError`, a Python `OSError`): a `Transport` error, never a panic.
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        DavError::transport(format!("the app's HTTP transport failed: {}", e.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        for &kind in DavError::KINDS {
            let core = Error::new(kind, "m")
                .with_status(412)
                .with_url("https://u:p@h/x")
                .with_body(b"no");
            let ffi = DavError::from(core.clone());
            assert_eq!(ffi.kind_name(), kind.as_str());
            assert_eq!(ffi.status(), Some(412));
            assert_eq!(ffi.error_body_excerpt().as_deref(), Some("no"));
            let back = Error::from(ffi);
            assert_eq!(back.kind(), kind);
            assert_eq!(back.url(), Some("https://h/x"));
            assert_eq!(back, core);
        }
    }

    #[test]
    fn the_body_excerpt_crosses_both_ways() {
        let response = davkit::HttpResponse {
            status: 500,
            headers: vec![],
            body: b"  <error>disk full</error>\n".to_vec(),
            final_url: None,
        };
        let core = Error::from_response("https://h/cal/a.ics", &response);
        let ffi = DavError::from(core.clone());
        let DavError::Http { body_excerpt, .. } = &ffi else {
            panic!("{ffi:?}");
        };
        assert_eq!(body_excerpt.as_deref(), Some("<error>disk full</error>"));
        assert_eq!(
            ffi.error_body_excerpt().as_deref(),
            Some("<error>disk full</error>")
        );
        assert_eq!(Error::from(ffi), core);

        // One the app's transport throws goes through the core's `with_body`: trimmed and cut
        // as the core cuts a body, and an empty one is none.
        let long = format!("  {}  ", "x".repeat(500));
        let thrown = DavError::Http {
            detail: "refused".into(),
            status: Some(500),
            url: None,
            retry_after_seconds: None,
            body_excerpt: Some(long),
        };
        let core = Error::from(thrown);
        let want = Error::new(ErrorKind::Http, "m")
            .with_body("x".repeat(500).as_bytes())
            .body_excerpt()
            .map(str::to_owned);
        assert_eq!(core.body_excerpt().map(str::to_owned), want);
        assert!(core.body_excerpt().is_some_and(|e| e.chars().count() < 300));
        let empty = DavError::Transport {
            detail: "offline".into(),
            status: None,
            url: None,
            retry_after_seconds: None,
            body_excerpt: Some(String::new()),
        };
        assert_eq!(Error::from(empty).body_excerpt(), None);
    }

    #[test]
    fn callback_errors_are_transport() {
        let e = DavError::from(uniffi::UnexpectedUniFFICallbackError {
            reason: "java.io.IOException: boom".into(),
        });
        assert_eq!(e.kind_name(), "Transport");
        assert!(e.detail().contains("boom"));
    }
}
