//! Server profiles: what a provider does differently from the standards, as data.
//!
//! A profile is picked from the server URL ([`Profile::for_url`]) and can be replaced by the
//! caller. Every knob here is honoured by the core; the provider table in the docs lists them.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::model::CollectionKind;

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
    /// Create objects by POST to the collection (RFC 5995); the server names them.
    pub create_by_post: bool,
    /// The server stores calendar objects as `{UID}.ics` whatever name was asked for.
    pub name_by_uid: bool,
    /// The server speaks vCard 3.0 only: 4.0 cards are converted before sending.
    pub vcard3: bool,
    /// The server ignores `If-Match`: davkit compares the ETag itself before writing.
    pub if_match_ignored: bool,
    /// The server rewrites what it stores: read the object back after each write.
    pub reread_after_write: bool,
    /// A collection that reports no `resourcetype` (Google Contacts): when discovery lands on
    /// a URL with no principal and no home set, that URL is taken as a collection of this kind.
    pub bare_collection: Option<CollectionKind>,
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
            create_by_post: false,
            name_by_uid: false,
            vcard3: false,
            if_match_ignored: false,
            reread_after_write: false,
            bare_collection: None,
        }
    }

    /// Apple iCloud: home sets live on `pNN-caldav.icloud.com` / `pNN-contacts.icloud.com`;
    /// VJOURNAL is answered with 500, so it is refused before sending.
    pub fn icloud() -> Self {
        Profile {
            name: "icloud".into(),
            trusted_host_suffixes: vec![".icloud.com".into()],
            components: Some(vec!["VEVENT".into(), "VTODO".into()]),
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
            name_by_uid: true,
            reread_after_write: true,
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
            create_by_post: true,
            vcard3: true,
            if_match_ignored: true,
            reread_after_write: true,
            bare_collection: Some(CollectionKind::AddressBook),
            ..Profile::generic()
        }
    }

    /// The Google Calendar API v3 (JSON, not DAV): Bearer only.
    pub fn google_calendar_api() -> Self {
        Profile {
            name: "google-calendar-api".into(),
            if_none_match: false,
            mkcalendar: false,
            bearer_only: true,
            ..Profile::generic()
        }
    }

    /// A profile by its name (`generic`, `icloud`, `google-caldav`, `google-carddav`,
    /// `google-calendar-api`).
    pub fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "generic" => Profile::generic(),
            "icloud" => Profile::icloud(),
            "google-caldav" => Profile::google_caldav(),
            "google-carddav" => Profile::google_carddav(),
            "google-calendar-api" => Profile::google_calendar_api(),
            _ => return None,
        })
    }

    /// The profile for a server URL.
    pub fn for_url(url: &Url) -> Self {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let path = url.path();
        if host == "icloud.com" || host.ends_with(".icloud.com") {
            Profile::icloud()
        } else if host == "apidata.googleusercontent.com" && path.starts_with("/caldav/") {
            Profile::google_caldav()
        } else if host == "www.googleapis.com" && path.starts_with("/calendar/") {
            Profile::google_calendar_api()
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
        for n in [
            "generic",
            "icloud",
            "google-caldav",
            "google-carddav",
            "google-calendar-api",
        ] {
            assert_eq!(Profile::by_name(n).map(|p| p.name), Some(n.to_owned()));
        }
        assert_eq!(Profile::by_name("nope"), None);
        Ok(())
    }
}
