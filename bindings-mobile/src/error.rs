//! `DavError`: the one error of the bindings, flat, one variant per core [`ErrorKind`].
//!
//! Kotlin sees it as `sealed class DavException`, Swift as `enum DavError: Error`, Python as
//! `DavError.<Kind>`. Every variant carries the same fields, so apps can handle all of them in
//! one place. Errors the app's transport throws arrive here too (see [`crate::transport`]).

use davkit::{Error, ErrorKind};

/// Declares [`DavError`]: one variant per core [`ErrorKind`] given to it (its name and the
/// docs the generated code shows), then `Other`, every variant with the same four fields; and
/// the two conversions between a variant and its kind. The core's `davkit::error_kinds!` calls
/// it with its list of kinds, so the list is written once, in the core.
macro_rules! dav_error {
    ($($(#[doc = $doc:literal])* $kind:ident,)*) => {
        /// A davkit error: the variant is the kind (as in the core's `ErrorKind`).
        ///
        /// `detail` is a human-readable description without credentials; `status` is the HTTP status
        /// when the error came from a response; `url` is the URL concerned (without user-info);
        /// `retry_after_seconds` is the server's `Retry-After` for `RateLimited`.
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Error)]
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
                } = p;
                match kind {
                    $(Some(ErrorKind::$kind) => DavError::$kind { detail, status, url, retry_after_seconds },)*
                    _ => DavError::Other { detail, status, url, retry_after_seconds },
                }
            }

            fn parts(
                &self,
            ) -> (
                Option<ErrorKind>,
                &str,
                Option<u16>,
                Option<&str>,
                Option<u64>,
            ) {
                match self {
                    $(DavError::$kind { detail, status, url, retry_after_seconds } =>
                        (Some(ErrorKind::$kind), detail.as_str(), *status, url.as_deref(), *retry_after_seconds),)*
                    DavError::Other { detail, status, url, retry_after_seconds } =>
                        (None, detail.as_str(), *status, url.as_deref(), *retry_after_seconds),
                }
            }
        }
    };
}

// The kinds come from the core's one list: a new core kind is a new variant here (and in the
// generated Kotlin, Swift and Python) without an edit, never a silent `Other`.
davkit::error_kinds!(dav_error);

/// The fields every variant carries.
struct Parts {
    detail: String,
    status: Option<u16>,
    url: Option<String>,
    retry_after_seconds: Option<u64>,
}

impl DavError {
    /// A transport error with a message (what the app's transport should throw on failure).
    pub fn transport(detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(ErrorKind::Transport),
            Parts {
                detail: detail.into(),
                status: None,
                url: None,
                retry_after_seconds: None,
            },
        )
    }

    /// An invalid-input error with a message.
    pub fn invalid_input(detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(ErrorKind::InvalidInput),
            Parts {
                detail: detail.into(),
                status: None,
                url: None,
                retry_after_seconds: None,
            },
        )
    }

    /// An error of a kind with a message.
    pub fn of_kind(kind: ErrorKind, detail: impl Into<String>) -> DavError {
        DavError::build(
            Some(kind),
            Parts {
                detail: detail.into(),
                status: None,
                url: None,
                retry_after_seconds: None,
            },
        )
    }

    /// The kind's stable name (`"PreconditionFailed"`, ...), as the core names it.
    pub fn kind_name(&self) -> &'static str {
        self.parts().0.map_or("Other", ErrorKind::as_str)
    }

    /// The description.
    pub fn detail(&self) -> &str {
        self.parts().1
    }

    /// The HTTP status, if any.
    pub fn status(&self) -> Option<u16> {
        self.parts().2
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
        self.parts().3.map(str::to_owned)
    }
}

impl std::fmt::Display for DavError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, detail, _, url, _) = self.parts();
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
            },
        )
    }
}

impl From<DavError> for Error {
    /// What an error thrown by the app's transport becomes inside the core: the same kind
    /// (`Other` becomes `Transport`), message, status and URL.
    fn from(e: DavError) -> Self {
        let (kind, detail, status, url, retry) = e.parts();
        let mut out =
            Error::new(kind.unwrap_or(ErrorKind::Transport), detail).with_retry_after(retry);
        if let Some(status) = status {
            out = out.with_status(status);
        }
        if let Some(url) = url {
            out = out.with_url(url);
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
                .with_url("https://u:p@h/x");
            let ffi = DavError::from(core.clone());
            assert_eq!(ffi.kind_name(), kind.as_str());
            assert_eq!(ffi.status(), Some(412));
            let back = Error::from(ffi);
            assert_eq!(back.kind(), kind);
            assert_eq!(back.url(), Some("https://h/x"));
        }
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
