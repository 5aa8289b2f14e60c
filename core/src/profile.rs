//! Server profiles: what a provider does differently from the standards, as data.
//!
//! A profile is picked from the server URL ([`Profile::for_url`]) and can be replaced by the
//! caller. Every knob here is honoured by the core; the provider table in the docs lists them.

use crate::url::Url;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::model::CollectionKind;

/// How a server deviates from the RFCs, as far as the core needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// A short name: `generic`, `icloud`, `google-caldav`, `google-carddav`,
    /// `google-calendar-api`, `sogo`.
    pub name: String,
    /// Hosts (by suffix, e.g. `.icloud.com`) that may receive the credentials besides the
    /// server URL's own origin: only over https, and a suffix only counts for a server URL
    /// whose own host is under it (same site: a server under `icloud.com.cn` never sends its
    /// credentials to `icloud.com`, nor the other way round).
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
    /// The server ignores `If-Match` on DELETE only (it honours it on PUT): davkit compares
    /// the ETag itself before deleting.
    #[serde(default)]
    pub if_match_ignored_on_delete: bool,
    /// The server rewrites what it stores: read the object back after each write.
    pub reread_after_write: bool,
    /// A collection that reports no `resourcetype` (Google Contacts): when discovery lands on
    /// a URL with no principal and no home set, that URL is taken as a collection of this kind,
    /// and so is a member of a home set that reports none.
    pub bare_collection: Option<CollectionKind>,
    /// Statuses that, answering a sync-collection REPORT with a stored token, mean "this token
    /// is no good" even without a `DAV:valid-sync-token` body (which is recognised on 400, 403,
    /// 409 and 412 whatever the profile): the sync falls back to a full listing compared with
    /// the stored state. A provider's rate-limit answer is never taken as one.
    #[serde(default = "default_refused_token_statuses")]
    pub refused_token_statuses: Vec<u16>,
    /// Whether MKCOL (RFC 5689 extended MKCOL, for address books) is supported.
    #[serde(default = "yes")]
    pub mkcol: bool,
    /// The collection properties PROPPATCH may set, by local name (`displayname`,
    /// `calendar-description`, `addressbook-description`, `calendar-color`); `None` allows
    /// any, an empty list means the server has no PROPPATCH. Others are refused as
    /// `Unsupported` before sending.
    #[serde(default)]
    pub settable_props: Option<Vec<String>>,
    /// VALARM actions the server stores (Google: no `AUDIO`); `None` allows any. An object
    /// with another action is refused as `Unsupported` before sending.
    #[serde(default)]
    pub alarm_actions: Option<Vec<String>>,
    /// Whether a calendar's sync-collection report (initial or from a token; not a batch)
    /// asks for `calendar-data`, so that the changed events come with their ETags and no
    /// multiget follows (one request instead of two). Radicale and Cyrus send the data;
    /// Xandikos and DAViCal answer 404 for that property, and their events are fetched as
    /// before. A session stops asking (the client's later syncs) once its server has answered
    /// the property with a failed status in a report, or refused a token report for it (400,
    /// 415, 422 or 501 without a stale-token condition: that report is asked again without
    /// it), or named itself DAViCal in any answer (`X-DAViCal-Version`); a session whose server
    /// URL has a `caldav.php` path segment (DAViCal's entry point) never asks, nor does any
    /// session for a collection whose URL has one. DAViCal computes
    /// every member's data before answering 404, 1.2-1.4 s for 1,000 events against 45 ms
    /// without it. An answer past the body limit is asked again without it too. Off where
    /// nobody measured it (the Google and iCloud profiles).
    #[serde(default = "yes")]
    pub data_in_sync_reports: bool,
    /// Whether discovery asks the principal for its home sets with `Depth: 1` and the
    /// collection properties, so that a principal that is its own home set (Radicale, DAViCal)
    /// answers with its calendars and address books too and is not asked again for them: one
    /// request fewer. A server that refuses that request is asked again with `Depth: 0`. Off
    /// where nobody recorded the answer (the Google and iCloud profiles).
    #[serde(default = "yes")]
    pub principal_listing: bool,
    /// Whether discovery asks the calendar home set with OPTIONS for `calendar-auto-schedule`
    /// (RFC 6638 §2) when the principal has a scheduling inbox or outbox and no PROPFIND
    /// answer carried a `DAV` header (Cyrus and Xandikos send it only to OPTIONS): one request
    /// more, sent beside the home listing. Off where nobody recorded the answer (the Google
    /// and iCloud profiles).
    #[serde(default = "yes")]
    pub scheduling_options: bool,
}

fn default_refused_token_statuses() -> Vec<u16> {
    vec![410]
}

fn yes() -> bool {
    true
}

/// The DNS suffixes of the providers davkit has profiles for. They speak https only: an
/// `http://` URL on one of them is refused before anything is sent, and credentials are never
/// attached to a plain-http request to one of them (whatever the profile).
pub const PROVIDER_DOMAINS: [&str; 5] = [
    "googleapis.com",
    "googleusercontent.com",
    "google.com",
    "icloud.com",
    "icloud.com.cn",
];

/// Whether `host` is `domain` or a name under it (`p62-caldav.icloud.com` under `icloud.com`),
/// compared case-insensitively; `icloud.com.evil.example` is not under `icloud.com`.
pub(crate) fn host_under(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    let domain = domain.trim_start_matches('.');
    host.eq_ignore_ascii_case(domain)
        || host.len() > domain.len()
            && host.is_char_boundary(host.len() - domain.len() - 1)
            && host[host.len() - domain.len() - 1..].starts_with('.')
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
}

/// Whether `url`'s host belongs to Google or iCloud ([`PROVIDER_DOMAINS`]).
pub fn is_provider_host(url: &Url) -> bool {
    url.host_str()
        .is_some_and(|h| PROVIDER_DOMAINS.iter().any(|d| host_under(h, d)))
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
            if_match_ignored_on_delete: false,
            reread_after_write: false,
            bare_collection: None,
            refused_token_statuses: default_refused_token_statuses(),
            mkcol: true,
            settable_props: None,
            alarm_actions: None,
            data_in_sync_reports: true,
            principal_listing: true,
            scheduling_options: true,
        }
    }

    /// Apple iCloud: home sets live on `pNN-caldav.icloud.com` / `pNN-contacts.icloud.com`
    /// (China: under `icloud.com.cn`); VJOURNAL is answered with 500, so it is refused before
    /// sending; a 403 (iCloud's stale-token answer) or 412 to a token sync falls back to a
    /// listing.
    pub fn icloud() -> Self {
        Profile {
            name: "icloud".into(),
            trusted_host_suffixes: vec![".icloud.com".into(), ".icloud.com.cn".into()],
            components: Some(vec!["VEVENT".into(), "VTODO".into()]),
            refused_token_statuses: vec![403, 410, 412],
            data_in_sync_reports: false,
            principal_listing: false,
            scheduling_options: false,
            ..Profile::generic()
        }
    }

    /// SOGo (Alinto's groupware, DAV under `/SOGo/dav/`). Measured on SOGo 5.8.0: a PUT with
    /// `If-None-Match: *` onto a name that is taken replaces the object there (204), and a
    /// DELETE with a stale `If-Match` deletes (204; a PUT with one is refused, 412). So davkit
    /// checks that the name is free before a create and compares the ETag before a delete, and
    /// reads each object it writes back, since it stores a rewritten version under the ETag it
    /// answers (and does all this for a write to a URL under `/SOGo/dav/` whatever the
    /// profile); otherwise
    /// as [`Profile::generic`] (docs/providers.md, "SOGo 5.8.0", says what else it does).
    pub fn sogo() -> Self {
        Profile {
            name: "sogo".into(),
            if_none_match: false,
            if_match_ignored_on_delete: true,
            reread_after_write: true,
            ..Profile::generic()
        }
    }

    /// Google Calendar over CalDAV: Bearer only, VEVENT only, no MKCALENDAR or MKCOL, no dead
    /// properties, no AUDIO alarms, If-Match only; any 400, 403, 409 or 410 to a token sync
    /// falls back to a listing (Google documents no answer for a stale token).
    pub fn google_caldav() -> Self {
        Profile {
            name: "google-caldav".into(),
            if_none_match: false,
            mkcalendar: false,
            components: Some(vec!["VEVENT".into()]),
            bearer_only: true,
            name_by_uid: true,
            reread_after_write: true,
            refused_token_statuses: vec![400, 403, 409, 410],
            mkcol: false,
            settable_props: Some(vec!["displayname".into(), "calendar-description".into()]),
            alarm_actions: Some(vec!["DISPLAY".into(), "EMAIL".into()]),
            data_in_sync_reports: false,
            principal_listing: false,
            scheduling_options: false,
            ..Profile::generic()
        }
    }

    /// Google Contacts over CardDAV: Bearer only, sync-collection with Depth 1 and no empty
    /// initial token, no MKCOL and no PROPPATCH; any 400, 403, 409 or 410 to a token sync falls
    /// back to a listing.
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
            refused_token_statuses: vec![400, 403, 409, 410],
            mkcol: false,
            settable_props: Some(Vec::new()),
            data_in_sync_reports: false,
            principal_listing: false,
            scheduling_options: false,
            ..Profile::generic()
        }
    }

    /// The Google Calendar API v3 (JSON, not DAV): Bearer only.
    pub fn google_calendar_api() -> Self {
        Profile {
            name: "google-calendar-api".into(),
            if_none_match: false,
            mkcalendar: false,
            mkcol: false,
            bearer_only: true,
            data_in_sync_reports: false,
            principal_listing: false,
            scheduling_options: false,
            ..Profile::generic()
        }
    }

    /// A profile by its name (`generic`, `icloud`, `google-caldav`, `google-carddav`,
    /// `google-calendar-api`, `sogo`).
    pub fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "generic" => Profile::generic(),
            "icloud" => Profile::icloud(),
            "google-caldav" => Profile::google_caldav(),
            "google-carddav" => Profile::google_carddav(),
            "google-calendar-api" => Profile::google_calendar_api(),
            "sogo" => Profile::sogo(),
            _ => return None,
        })
    }

    /// [`Profile::by_name`] for a name a caller gave (a binding's configuration): an unknown
    /// name is an [`ErrorKind::InvalidInput`] error that lists the known ones.
    pub fn named(name: &str) -> Result<Self, Error> {
        Profile::by_name(name).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "unknown profile `{name}` (generic, icloud, google-caldav, google-carddav, \
                     google-calendar-api, sogo)"
                ),
            )
        })
    }

    /// The profile for a server URL (whatever its scheme: an `http://` URL on a provider's
    /// host is refused when the session is created, before any request).
    pub fn for_url(url: &Url) -> Self {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let path = url.path();
        if host_under(&host, "icloud.com") || host_under(&host, "icloud.com.cn") {
            Profile::icloud()
        } else if host == "apidata.googleusercontent.com" && path.starts_with("/caldav/")
            || is_deprecated_google_caldav(&host, path)
        {
            Profile::google_caldav()
        } else if host == "www.googleapis.com" && path.starts_with("/calendar/") {
            Profile::google_calendar_api()
        } else if (host == "www.googleapis.com" || host == "googleapis.com")
            // A window search, not `str::contains`: the only substring search of the
            // protocol module, whose searcher is 1 KB of it.
            && (path.as_bytes().windows(7).any(|w| w == b"carddav") || path == "/" || path.is_empty())
            || host == "apidata.googleusercontent.com" && path.starts_with("/carddav/")
        {
            // `https://www.googleapis.com/` itself: its only DAV service is Contacts, found
            // through its well-known URI.
            Profile::google_carddav()
        } else if is_sogo_path(path) {
            Profile::sogo()
        } else {
            Profile::generic()
        }
    }
}

/// Whether a URL path is under SOGo's DAV root, `/SOGo/dav/`, where its installations serve
/// it: [`Profile::for_url`] picks [`Profile::sogo`] for such a server URL, and a write to
/// such a URL gets SOGo's checks whatever the profile (a server URL of the bare host reaches
/// SOGo through `/.well-known` and gets the generic profile).
pub(crate) fn is_sogo_path(path: &str) -> bool {
    path == "/SOGo/dav" || path.starts_with("/SOGo/dav/")
}

/// Whether a URL path goes through DAViCal's entry point, a `caldav.php` segment
/// (`/caldav.php/` on a default install): a session whose server URL does is never asked for
/// the members' data in sync reports (see `Context::sync_data_refused`), nor is a collection
/// whose URL does (`ops::sync`).
pub(crate) fn is_davical_path(path: &str) -> bool {
    path.split('/').any(|segment| segment == "caldav.php")
}

/// Google's CalDAV endpoint before v2, `https://www.google.com/calendar/dav/{calendar id}/…`:
/// deprecated by Google's guide (a client of that era got 405 there).
fn is_deprecated_google_caldav(host: &str, path: &str) -> bool {
    matches!(host, "www.google.com" | "google.com") && path.starts_with("/calendar/dav/")
}

/// The URL and checks the session applies to a configured server URL, before any request:
///
/// - an `http://` URL on a provider's host ([`is_provider_host`]) is refused with
///   [`ErrorKind::InvalidInput`]: Google and iCloud speak https only, and credentials (a
///   Bearer token, an app password) must never travel in clear;
/// - Google's deprecated CalDAV endpoint `www.google.com/calendar/dav/{id}/…` is rewritten to
///   the current one, `apidata.googleusercontent.com/caldav/v2/{id}/…` (same layout).
pub(crate) fn check_server_url(url: &mut Url) -> Result<(), Error> {
    if url.scheme() != "https" && is_provider_host(url) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} speaks https only: refusing a plain-http server URL, which would send the \
                 credentials in clear; use https://",
                url.host_str().unwrap_or_default()
            ),
        )
        .with_url(url.as_str()));
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(rest) = url.path().strip_prefix("/calendar/dav/")
        && is_deprecated_google_caldav(&host, url.path())
    {
        let current = format!(
            "https://apidata.googleusercontent.com/caldav/v2/{rest}{}",
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        );
        *url = Url::parse(&current).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("not a URL: {e}")).with_url(url.as_str())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_url() -> Result<(), crate::url::ParseError> {
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
        assert_eq!(name("https://caldav.icloud.com.cn/")?, "icloud");
        assert_eq!(name("https://contacts.icloud.com.cn/")?, "icloud");
        assert_eq!(name("https://p12-caldav.icloud.com.cn:443/1/")?, "icloud");
        assert_eq!(name("https://www.googleapis.com/")?, "google-carddav");
        assert_eq!(name("https://www.googleapis.com")?, "google-carddav");
        assert_eq!(
            name("https://www.googleapis.com/calendar/v3/")?,
            "google-calendar-api"
        );
        assert_eq!(
            name("https://www.google.com/calendar/dav/a@b/user")?,
            "google-caldav"
        );
        assert_eq!(name("https://www.google.com/search")?, "generic");
        assert_eq!(name("https://icloud.com.cn.evil.example/")?, "generic");
        assert_eq!(name("https://evilicloud.com/")?, "generic");
        assert_eq!(name("https://icloud.com.evil.example/")?, "generic");
        assert_eq!(name("https://mail.example.org/SOGo/dav/")?, "sogo");
        assert_eq!(name("https://mail.example.org/SOGo/dav")?, "sogo");
        assert_eq!(
            name("http://127.0.0.1:20000/SOGo/dav/alice/Calendar/")?,
            "sogo"
        );
        assert_eq!(name("https://mail.example.org/SOGo/")?, "generic");
        assert_eq!(name("https://mail.example.org/SOGo/davx/")?, "generic");
        assert_eq!(name("https://mail.example.org/dav/SOGo/dav/")?, "generic");
        for n in [
            "generic",
            "icloud",
            "google-caldav",
            "google-carddav",
            "google-calendar-api",
            "sogo",
        ] {
            assert_eq!(Profile::by_name(n).map(|p| p.name), Some(n.to_owned()));
            assert!(Profile::named(n).is_ok_and(|p| p.name == n));
            assert!(Profile::named("nope").is_err_and(|e| e.message().contains(n)));
        }
        assert_eq!(Profile::by_name("nope"), None);
        let unknown = Profile::named("nope").err().map(|e| e.kind());
        assert_eq!(unknown, Some(ErrorKind::InvalidInput));
        Ok(())
    }

    #[test]
    fn http_provider_urls_are_refused() -> Result<(), crate::url::ParseError> {
        for u in [
            "http://apidata.googleusercontent.com/caldav/v2/a%40b/user",
            "http://www.googleapis.com/.well-known/carddav",
            "http://caldav.icloud.com/",
            "http://p12-caldav.icloud.com.cn/1/",
            "http://www.google.com/calendar/dav/a@b/user",
        ] {
            let mut url = Url::parse(u)?;
            let e = check_server_url(&mut url).err();
            assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::InvalidInput), "{u}");
        }
        let mut local = Url::parse("http://127.0.0.1:5232/")?;
        assert!(check_server_url(&mut local).is_ok());
        Ok(())
    }

    #[test]
    fn deprecated_google_endpoint_is_rewritten() -> Result<(), Box<dyn std::error::Error>> {
        let mut url = Url::parse("https://www.google.com/calendar/dav/alice%40gmail.com/user")?;
        check_server_url(&mut url)?;
        assert_eq!(
            url.as_str(),
            "https://apidata.googleusercontent.com/caldav/v2/alice%40gmail.com/user"
        );
        assert_eq!(Profile::for_url(&url).name, "google-caldav");
        Ok(())
    }

    #[test]
    fn hosts_under_domains() {
        assert!(host_under("p62-caldav.icloud.com", "icloud.com"));
        assert!(host_under("p62-caldav.icloud.com", ".icloud.com"));
        assert!(host_under("ICLOUD.COM", "icloud.com"));
        assert!(!host_under("evilicloud.com", "icloud.com"));
        assert!(!host_under("icloud.com.cn", "icloud.com"));
        assert!(host_under("caldav.icloud.com.cn", ".icloud.com.cn"));
        assert!(!host_under("com", "icloud.com"));
    }
}
