//! The session: validated configuration shared by every operation, and the factory of
//! operations (`session.discover()`, `session.sync(..)`, ...).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::url::Url;

use crate::auth::{AuthScope, Credentials};
use crate::error::{Error, ErrorKind, Result};
use crate::href;
use crate::http::HttpResponse;
use crate::limits::Limits;
use crate::profile::Profile;
use crate::retry::RetryPolicy;

/// What a caller configures.
#[derive(Clone)]
pub struct Config {
    /// Where to start: a server root (`https://dav.example.com/`), a well-known host, a
    /// principal or a collection URL.
    pub server_url: String,
    /// The credentials.
    pub credentials: Credentials,
    /// The `User-Agent` header (always sent: some servers misbehave without one).
    pub user_agent: String,
    /// The provider profile; `None` picks one from the server URL.
    pub profile: Option<Profile>,
    /// How many hrefs one multiget REPORT asks for at most (default 1,000, so a 1,000-event
    /// initial sync is one sync-collection and one multiget). A sync also cuts its multigets
    /// by the members' reported sizes to stay within half of
    /// [`Limits::max_body_bytes`], and asks again in halves when an answer is over it.
    pub multiget_batch_size: usize,
    /// How many requests an operation may have in flight at once.
    pub max_parallel_requests: usize,
    /// `DAV:limit` for sync-collection pages; `None` lets the server decide.
    pub sync_page_limit: Option<u32>,
    /// How [`DavClient`](crate::DavClient) retries rate-limited operations.
    pub retry: RetryPolicy,
    /// Bounds on response bodies, XML, discovery, sync paging and redirects (and the defaults
    /// for parsing and expanding the data of this client); [`Limits::default`] unless changed.
    pub limits: Limits,
}

impl Config {
    /// A configuration with defaults for everything but the URL and credentials.
    pub fn new(server_url: impl Into<String>, credentials: Credentials) -> Self {
        Config {
            server_url: server_url.into(),
            credentials,
            user_agent: concat!("davkit/", env!("CARGO_PKG_VERSION")).to_owned(),
            profile: None,
            multiget_batch_size: 1000,
            max_parallel_requests: 4,
            sync_page_limit: None,
            retry: RetryPolicy::default(),
            limits: Limits::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "server_url",
                &crate::redact::url_for_display(&self.server_url),
            )
            .field("credentials", &self.credentials)
            .field("user_agent", &self.user_agent)
            .field("profile", &self.profile)
            .field("multiget_batch_size", &self.multiget_batch_size)
            .field("max_parallel_requests", &self.max_parallel_requests)
            .field("sync_page_limit", &self.sync_page_limit)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .finish()
    }
}

#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) server: Url,
    pub(crate) credentials: Credentials,
    pub(crate) auth_scope: AuthScope,
    /// The server's last Digest challenge and nonce count (RFC 7616), shared by operations.
    pub(crate) digest: std::sync::Mutex<crate::auth::DigestSession>,
    pub(crate) user_agent: String,
    pub(crate) profile: Profile,
    pub(crate) batch_size: usize,
    pub(crate) max_parallel: usize,
    pub(crate) sync_limit: Option<u32>,
    pub(crate) retry: RetryPolicy,
    pub(crate) limits: Limits,
    /// The server does not send the members' data in a calendar's sync report, so the
    /// session's later syncs do not ask for it: it refused a token report that asked for it
    /// (400, 415, 422 or 501; each later one would cost a refused request), it answered a
    /// member's `calendar-data` there with a failed status (Xandikos and DAViCal: 404), or an
    /// answer said it is DAViCal (its `X-DAViCal-Version` header) or the server URL does (a
    /// `caldav.php` path segment, DAViCal's entry point): DAViCal computes that data
    /// for every member and then answers 404: 1.2-1.4 s for 1,000 events on the local DAViCal,
    /// against 45 ms for the report without it and 65 ms for the multiget that follows. Read
    /// and set through [`Context::sync_data_refused`] and [`Context::refuse_sync_data`]. (A
    /// collection whose own URL has that segment is not asked either: `ops::sync`.)
    sync_data_refused: AtomicBool,
}

impl Context {
    /// Whether this session's server refused the members' data in a sync report
    /// (`ops::sync` then asks for none).
    pub(crate) fn sync_data_refused(&self) -> bool {
        self.sync_data_refused.load(Ordering::Relaxed)
    }

    /// Notes that the server refused the members' data in a sync report.
    pub(crate) fn refuse_sync_data(&self) {
        self.sync_data_refused.store(true, Ordering::Relaxed);
    }

    /// Takes what an answer's head says about the server: DAViCal names itself on every
    /// answer, and is then not asked for the members' data in sync reports (see
    /// `sync_data_refused`).
    pub(crate) fn note_answer(&self, head: &HttpResponse) {
        if head.header("x-davical-version").is_some() {
            self.refuse_sync_data();
        }
    }
}

/// A validated configuration, cheap to clone, that creates operations.
#[derive(Clone, Debug)]
pub struct Session {
    pub(crate) ctx: Arc<Context>,
}

impl Session {
    /// Validates the configuration.
    pub fn new(config: Config) -> Result<Self> {
        config.credentials.check()?;
        let mut server = href::parse_url(&config.server_url)?;
        if !server.username().is_empty() || server.password().is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "put credentials in `credentials`, not in the server URL",
            ));
        }
        server.set_fragment(None);
        crate::profile::check_server_url(&mut server)?;
        let profile = config.profile.unwrap_or_else(|| Profile::for_url(&server));
        if profile.bearer_only
            && matches!(
                config.credentials,
                Credentials::Basic { .. } | Credentials::Digest { .. }
            )
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the {} profile accepts only OAuth 2.0 Bearer tokens, not {} credentials",
                    profile.name,
                    config.credentials.scheme()
                ),
            ));
        }
        let auth_scope = AuthScope::new(server.clone(), profile.trusted_host_suffixes.clone());
        // DAViCal's entry point in the URL: the session starts as one whose server has named
        // itself DAViCal (a page sees its header only when the server exposes it to CORS).
        let davical = crate::profile::is_davical_path(server.path());
        Ok(Session {
            ctx: Arc::new(Context {
                server,
                credentials: config.credentials,
                auth_scope,
                digest: Default::default(),
                user_agent: config.user_agent,
                profile,
                batch_size: config.multiget_batch_size.clamp(1, 1000),
                max_parallel: config.max_parallel_requests.clamp(1, 64),
                sync_limit: config.sync_page_limit.filter(|n| *n > 0),
                retry: config.retry,
                limits: config.limits,
                sync_data_refused: AtomicBool::new(davical),
            }),
        })
    }

    /// The same session with other credentials (after a token refresh). A Bearer token that
    /// an HTTP header cannot carry is never sent (no `Authorization` goes with the requests);
    /// [`DavClient`](crate::DavClient) refuses one from its token provider with an error.
    pub fn with_credentials(&self, credentials: Credentials) -> Session {
        let ctx = &self.ctx;
        Session {
            ctx: Arc::new(Context {
                server: ctx.server.clone(),
                credentials,
                auth_scope: ctx.auth_scope.clone(),
                digest: Default::default(),
                user_agent: ctx.user_agent.clone(),
                profile: ctx.profile.clone(),
                batch_size: ctx.batch_size,
                max_parallel: ctx.max_parallel,
                sync_limit: ctx.sync_limit,
                retry: ctx.retry,
                limits: ctx.limits,
                sync_data_refused: AtomicBool::new(ctx.sync_data_refused()),
            }),
        }
    }

    /// The retry policy configured.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.ctx.retry
    }

    /// The limits configured.
    pub fn limits(&self) -> &Limits {
        &self.ctx.limits
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.ctx.credentials
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.ctx.profile
    }

    /// The server URL as configured.
    pub fn server_url(&self) -> &str {
        self.ctx.server.as_str()
    }

    /// Parses a caller-supplied URL, relative ones against the server URL. Like the server URL,
    /// it must be http or https: a stored sync state or an app's URL naming another scheme
    /// (`ftp:`, `file:`) is refused before any request is made of the host.
    pub(crate) fn url(&self, input: &str) -> Result<Url> {
        self.ctx
            .server
            .join(input.trim())
            .map_err(|e| crate::href::url_error(input, e, "not a URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CollectionKind, SyncState};
    use crate::op::{Operation, Poll};

    fn session() -> Session {
        Session::new(Config::new("https://dav.example.com/", Credentials::None)).unwrap()
    }

    /// DAViCal's entry point anywhere in the server URL's path, as a whole segment.
    #[test]
    fn a_caldav_php_segment_names_davical() {
        let refused = |url: &str| {
            Session::new(Config::new(url, Credentials::None))
                .unwrap()
                .ctx
                .sync_data_refused()
        };
        assert!(refused("http://127.0.0.1:8080/caldav.php/"));
        assert!(refused("https://cal.example.org/davical/caldav.php/alice/"));
        assert!(refused("https://cal.example.org/caldav.php"));
        assert!(!refused("https://cal.example.org/caldav.php5/"));
        assert!(!refused("https://cal.example.org/dav.php/"));
        assert!(!refused("https://cal.example.org/"));
    }

    /// A server URL that carries credentials but does not parse (a typo in the host, the
    /// scheme left out, an `@` in the password) is refused without showing them: not in the
    /// message, not in the error's URL, not in `Display` or `Debug`.
    #[test]
    fn an_unparsable_server_url_with_credentials_does_not_show_them() {
        for bad in [
            "alice:s3cret@dav.example.com/",
            "https://alice:p@ss-s3cret@dav example.com/",
            "https://alice:s3cret@dav example.com/",
            "https:alice:s3cret@dav example.com/",
            "https:\\\\alice:s3cret@dav example.com/",
            "  https://alice:s3cret@[::1/",
            "https://alice:p/s3cret@dav.example.com/",
        ] {
            let Err(e) = Session::new(Config::new(bad, Credentials::None)) else {
                panic!("{bad}: accepted");
            };
            let shown = format!("{e} {e:?} {:?}", e.url());
            assert!(!shown.contains("s3cret"), "{bad}: {shown}");
        }
    }

    /// A Bearer token goes into the `Authorization` header verbatim: one that a header cannot
    /// carry (CR LF would start another header) is refused, and the error does not show it.
    #[test]
    fn a_bearer_token_a_header_cannot_carry_is_refused_unseen() {
        for bad in [
            "ya29.s3cret\r\nX-Injected: 1",
            "ya29.s3cret\n",
            "ya29.s3cret\0",
            "ya29.s3cret\u{20ac}",
        ] {
            let Err(e) = Session::new(Config::new(
                "https://dav.example.com/",
                Credentials::bearer(bad),
            )) else {
                panic!("{bad:?}: accepted");
            };
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
        }
        for good in ["ya29.a0AfB_byC-~+/=", ""] {
            assert!(
                Session::new(Config::new(
                    "https://dav.example.com/",
                    Credentials::bearer(good)
                ))
                .is_ok(),
                "{good}"
            );
        }
    }

    /// Found by the `sync` fuzz target: a stored state naming `httr://...` made a request for
    /// the host to send to that URL.
    #[test]
    fn caller_urls_must_be_http_or_https() {
        let s = session();
        for bad in [
            "httr://dav.example.com/cal/",
            "ftp://dav.example.com/",
            "file:///etc/",
        ] {
            let Poll::Done(Err(e)) = s.sync(SyncState::new(bad), CollectionKind::Calendar).poll()
            else {
                panic!("{bad}: a request was made");
            };
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
            assert!(e.to_string().contains("unsupported URL scheme"), "{e}");
            let Poll::Done(Err(e)) = s.delete_object(bad, "\"1\"").poll() else {
                panic!("{bad}: a delete was sent");
            };
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        }
        assert_eq!(
            s.url("/cal/work/").unwrap().as_str(),
            "https://dav.example.com/cal/work/"
        );
        assert_eq!(
            s.url("http://other.example.com/x").unwrap().as_str(),
            "http://other.example.com/x"
        );
    }

    /// Found by the `sync` fuzz target: a stored state with a pending member named
    /// `httmp://...` made a GET to that URL. It is reported as a problem and kept pending.
    #[test]
    fn pending_member_with_another_scheme_is_not_fetched() {
        let s = session();
        let bad = "httmp://dav.example.com/cal/a.ics";
        let mut state = SyncState::new("https://dav.example.com/cal/");
        state.sync_token = Some("t1".into());
        state.pending.insert(bad.into());
        let mut op = s.sync(state, CollectionKind::Other);
        let answer = "<multistatus xmlns=\"DAV:\"><sync-token>t2</sync-token></multistatus>";
        let mut requests = 0;
        let result = loop {
            match op.poll() {
                Poll::Send(request) => {
                    assert!(request.url.starts_with("https://"), "{}", request.url);
                    requests += 1;
                    assert!(requests < 10, "the sync keeps asking");
                    op.handle_response(request.id, crate::HttpResponse::new(207, answer));
                }
                Poll::Wait => panic!("waits with nothing to answer"),
                Poll::Done(result) => break result.unwrap(),
            }
        };
        assert!(result.problems.iter().any(|p| p.url == bad), "{result:?}");
        assert!(result.state.pending.contains(bad), "{:?}", result.state);
    }
}
