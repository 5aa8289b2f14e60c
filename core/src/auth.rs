//! Credentials and where they may go (RFC 7617 Basic, RFC 6750 Bearer).
//!
//! The core only writes `Authorization` headers from credentials the caller provides. They are
//! attached only to requests for trusted origins: the origin of the configured server URL, plus
//! origins a provider profile names (iCloud's partition hosts), never over plain http when the
//! server URL was https, and never to another host reached through a redirect.

use std::fmt;

use base64::Engine as _;
use url::Url;

use crate::href;

/// Credentials for the server.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic (RFC 7617); iCloud wants an app-specific password here.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth 2.0 access token (RFC 6750), as Google requires.
    Bearer {
        /// The access token.
        token: String,
    },
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credentials::Bearer {
            token: token.into(),
        }
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn header_value(&self) -> Option<String> {
        match self {
            Credentials::None => None,
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            Credentials::Bearer { token } => Some(format!("Bearer {token}")),
        }
    }

    /// The scheme's name, for messages.
    pub fn scheme(&self) -> &'static str {
        match self {
            Credentials::None => "none",
            Credentials::Basic { .. } => "Basic",
            Credentials::Bearer { .. } => "Bearer",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// Decides which URLs receive the credentials.
#[derive(Clone, Debug)]
pub(crate) struct AuthScope {
    server: Url,
    trusted_host_suffixes: Vec<String>,
}

impl AuthScope {
    pub(crate) fn new(server: Url, trusted_host_suffixes: Vec<String>) -> Self {
        AuthScope {
            server,
            trusted_host_suffixes,
        }
    }

    /// Whether credentials may be sent to `url`: the server's origin, or (over https) a host
    /// under a trusted suffix that the server's own host is under too (same site). Never over
    /// plain http to a provider's host, nor from an https server.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        if self.server.scheme() == "https" && url.scheme() != "https" {
            return false;
        }
        if url.scheme() != "https" && crate::profile::is_provider_host(url) {
            return false;
        }
        if href::same_origin(&self.server, url) {
            return true;
        }
        let (Some(host), Some(server_host)) = (url.host_str(), self.server.host_str()) else {
            return false;
        };
        url.scheme() == "https"
            && self.trusted_host_suffixes.iter().any(|suffix| {
                crate::profile::host_under(host, suffix)
                    && crate::profile::host_under(server_host, suffix)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_rfc7617() {
        let c = Credentials::basic("Aladdin", "open sesame");
        assert_eq!(
            c.header_value().as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(
            Credentials::bearer("t0k").header_value().as_deref(),
            Some("Bearer t0k")
        );
        assert_eq!(Credentials::None.header_value(), None);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let shown = format!(
            "{:?} {:?}",
            Credentials::basic("alice", "hunter2"),
            Credentials::bearer("ya29.secret")
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("ya29"),
            "{shown}"
        );
        assert!(shown.contains("alice"));
    }

    #[test]
    fn scope_rules() -> Result<(), url::ParseError> {
        let scope = AuthScope::new(
            Url::parse("https://caldav.icloud.com/")?,
            vec![".icloud.com".into()],
        );
        assert!(scope.allows(&Url::parse("https://caldav.icloud.com/x")?));
        assert!(scope.allows(&Url::parse("https://p62-caldav.icloud.com:443/x")?));
        assert!(!scope.allows(&Url::parse("http://p62-caldav.icloud.com/x")?));
        assert!(!scope.allows(&Url::parse("https://evil-icloud.com/x")?));
        assert!(!scope.allows(&Url::parse("https://example.com/x")?));
        // iCloud China: its partition hosts, same site only.
        let china = AuthScope::new(
            Url::parse("https://caldav.icloud.com.cn/")?,
            vec![".icloud.com".into(), ".icloud.com.cn".into()],
        );
        assert!(china.allows(&Url::parse("https://p12-caldav.icloud.com.cn:443/x")?));
        assert!(!china.allows(&Url::parse("https://p12-caldav.icloud.com/x")?));
        assert!(!china.allows(&Url::parse("https://evil.com.cn/x")?));
        let global = AuthScope::new(
            Url::parse("https://caldav.icloud.com/")?,
            vec![".icloud.com".into(), ".icloud.com.cn".into()],
        );
        assert!(!global.allows(&Url::parse("https://p12-caldav.icloud.com.cn/x")?));
        // A suffix trusted by a profile says nothing for a server elsewhere.
        let elsewhere = AuthScope::new(
            Url::parse("https://dav.example.com/")?,
            vec![".icloud.com".into()],
        );
        assert!(!elsewhere.allows(&Url::parse("https://p1-caldav.icloud.com/x")?));
        // Never in clear to a provider's host, even as the configured origin.
        let google = AuthScope::new(
            Url::parse("http://apidata.googleusercontent.com/caldav/v2/a/user")?,
            vec![],
        );
        assert!(!google.allows(&Url::parse(
            "http://apidata.googleusercontent.com/caldav/v2/a/"
        )?));
        let plain = AuthScope::new(Url::parse("http://127.0.0.1:5232/")?, vec![]);
        assert!(plain.allows(&Url::parse("http://127.0.0.1:5232/alice/")?));
        assert!(!plain.allows(&Url::parse("http://127.0.0.1:5233/alice/")?));
        Ok(())
    }
}
