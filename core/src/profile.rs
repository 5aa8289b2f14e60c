//! Server profiles: what a provider does differently from the standards, as data.
//!
//! A profile is picked from the server URL ([`Profile::for_url`]) and can be replaced by the
//! caller. Every knob here is honoured by the core; the provider table in the docs lists them.

use serde::{Deserialize, Serialize};
use url::Url;

/// How a server deviates from the RFCs, as far as the core needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// A short name: `generic`, `icloud`, `google-caldav`, `google-carddav`.
    pub name: String,
    /// Hosts (by suffix, e.g. `.icloud.com`) that may receive the credentials besides the
    /// server URL's own origin; only over https.
    pub trusted_host_suffixes: Vec<String>,
    /// The `Depth` header for sync-collection REPORTs (RFC 6578 says 0; Google CardDAV needs 1).
    pub sync_depth: u8,
    /// Whether an empty initial sync token is accepted; if not, the first sync lists the
    /// collection by PROPFIND and only later syncs use sync-collection.
    pub empty_sync_token: bool,
    /// Whether `If-None-Match: *` is honoured on create.
    pub if_none_match: bool,
    /// Whether MKCALENDAR is supported.
    pub mkcalendar: bool,
    /// Components the server stores, when restricted (e.g. Google: VEVENT only).
    pub components: Option<Vec<String>>,
    /// Whether only Bearer (OAuth 2.0) credentials work.
    pub bearer_only: bool,
}

impl Profile {
    /// A standards-following server (Radicale, Xandikos, SabreDAV, Fastmail, ...).
    pub fn generic() -> Self {
        Profile {
            name: "generic".into(),
            trusted_host_suffixes: Vec::new(),
            sync_depth: 0,
            empty_sync_token: true,
            if_none_match: true,
            mkcalendar: true,
            components: None,
            bearer_only: false,
        }
    }

    /// Apple iCloud: home sets live on `pNN-caldav.icloud.com` / `pNN-contacts.icloud.com`.
    pub fn icloud() -> Self {
        Profile {
            name: "icloud".into(),
            trusted_host_suffixes: vec![".icloud.com".into()],
            ..Profile::generic()
        }
    }

    /// Google Calendar over CalDAV: Bearer only, VEVENT only, no MKCALENDAR, If-Match only.
    pub fn google_caldav() -> Self {
        Profile {
            name: "google-caldav".into(),
            if_none_match: false,
            mkcalendar: false,
            components: Some(vec!["VEVENT".into()]),
            bearer_only: true,
            ..Profile::generic()
        }
    }

    /// Google Contacts over CardDAV: Bearer only, sync-collection with Depth 1 and no empty
    /// initial token.
    pub fn google_carddav() -> Self {
        Profile {
            name: "google-carddav".into(),
            sync_depth: 1,
            empty_sync_token: false,
            if_none_match: false,
            mkcalendar: false,
            bearer_only: true,
            ..Profile::generic()
        }
    }

    /// The profile for a server URL.
    pub fn for_url(url: &Url) -> Self {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let path = url.path();
        if host == "icloud.com" || host.ends_with(".icloud.com") {
            Profile::icloud()
        } else if host == "apidata.googleusercontent.com" && path.starts_with("/caldav/") {
            Profile::google_caldav()
        } else if (host == "www.googleapis.com" || host == "googleapis.com")
            && path.contains("carddav")
            || host == "apidata.googleusercontent.com" && path.starts_with("/carddav/")
        {
            Profile::google_carddav()
        } else {
            Profile::generic()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_url() -> Result<(), url::ParseError> {
        let name = |u: &str| Url::parse(u).map(|u| Profile::for_url(&u).name);
        assert_eq!(name("https://caldav.icloud.com/")?, "icloud");
        assert_eq!(name("https://p62-contacts.icloud.com:443/1/")?, "icloud");
        assert_eq!(
            name("https://apidata.googleusercontent.com/caldav/v2/a@b/user")?,
            "google-caldav"
        );
        assert_eq!(
            name("https://www.googleapis.com/.well-known/carddav")?,
            "google-carddav"
        );
        assert_eq!(name("https://dav.fastmail.com/")?, "generic");
        assert_eq!(name("https://icloud.com.evil.example/")?, "generic");
        Ok(())
    }
}
