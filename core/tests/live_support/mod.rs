//! Helpers shared by the live tests (`live_batch.rs`, `live_davical.rs`, `live.rs`'s Cyrus tests): a transport that
//! lists the requests it sends, the servers' clients from the rig's environment
//! (`tests/servers/servers.py`), a mirror that applies sync changes, and the
//! interrupt-after-every-batch check.

#![allow(dead_code)] // each test crate uses its own share of these
#![allow(clippy::panic)] // test helpers report failures by panicking

use std::cell::RefCell;
use std::collections::BTreeMap;

use davkit::{
    Change, CollectionKind, Config, Credentials, DavClient, HttpRequest, HttpResponse,
    ReqwestTransport, SyncResult, SyncState, Transport,
};

/// A transport that lists the requests it sends (method, URL, Depth), to pin request counts.
pub struct Counted {
    inner: ReqwestTransport,
    sent: RefCell<Vec<String>>,
}

impl Counted {
    pub fn new() -> Self {
        Counted {
            inner: ReqwestTransport::new().expect("transport"),
            sent: RefCell::new(Vec::new()),
        }
    }

    /// The requests sent since the last call.
    pub fn take(&self) -> Vec<String> {
        self.sent.take()
    }
}

impl Transport for Counted {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let depth = request.header("Depth").unwrap_or("-").to_owned();
        let body = request.body_text().unwrap_or("");
        // The report's kind, so that a count failure says what was sent.
        let report = [
            "sync-collection",
            "calendar-multiget",
            "addressbook-multiget",
        ]
        .into_iter()
        .find(|k| body.contains(k))
        .unwrap_or("");
        self.sent.borrow_mut().push(format!(
            "{:?} {} (Depth {depth}) {report}",
            request.method, request.url
        ));
        self.inner.send(request).await
    }
}

/// A live server as the rig describes it: the DAV root and the credentials.
#[derive(Clone, Debug)]
pub struct Live {
    pub name: &'static str,
    pub url: String,
    pub user: Option<(String, String)>,
}

impl Live {
    pub fn credentials(&self) -> Credentials {
        match &self.user {
            Some((u, p)) => Credentials::basic(u.clone(), p.clone()),
            None => Credentials::None,
        }
    }

    pub fn config(&self) -> Config {
        Config::new(self.url.clone(), self.credentials())
    }

    /// A client over a [`Counted`] transport.
    pub fn counted<'t>(&self, transport: &'t Counted) -> DavClient<&'t Counted> {
        DavClient::new(self.config(), transport).expect("client")
    }
}

/// A variable the rig always sets (Radicale, Xandikos): missing is a failure, as in `live.rs`.
pub fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test through tests/servers/servers.py run")
    })
}

pub fn radicale() -> Live {
    Live {
        name: "radicale",
        url: required("DAVKIT_RADICALE_URL"),
        user: Some((
            required("DAVKIT_RADICALE_USER"),
            required("DAVKIT_RADICALE_PASSWORD"),
        )),
    }
}

pub fn xandikos() -> Live {
    Live {
        name: "xandikos",
        url: required("DAVKIT_XANDIKOS_URL"),
        user: None,
    }
}

/// DAViCal's user `n` (1 alice, 2 bob, 3 carol), or `None` when the rig did not start DAViCal
/// (it leaves DAViCal out where it cannot install it). That skip is announced, and it is a
/// failure when `DAVKIT_REQUIRE_LIVE=1` (the README's test command sets it).
pub fn davical(n: usize) -> Option<Live> {
    packaged("davical", "DAVICAL", "DAViCal", n)
}

/// Cyrus's user `n` (1 alice, 2 bob), or `None` when the rig did not start Cyrus, as
/// [`davical`] says.
pub fn cyrus(n: usize) -> Option<Live> {
    packaged("cyrus", "CYRUS", "Cyrus", n)
}

/// A server the rig runs from Debian's packages (`DAVKIT_<VAR>_URL`, `_USER<n>`,
/// `_PASSWORD<n>`), or `None`, announced, when the rig left it out (a failure under
/// `DAVKIT_REQUIRE_LIVE=1`).
fn packaged(name: &'static str, var: &str, label: &str, n: usize) -> Option<Live> {
    let Ok(url) = std::env::var(format!("DAVKIT_{var}_URL")) else {
        if std::env::var("DAVKIT_REQUIRE_LIVE").as_deref() == Ok("1") {
            panic!(
                "DAVKIT_{var}_URL is not set but DAVKIT_REQUIRE_LIVE=1: run this test through \
                 tests/servers/servers.py run (which starts {label})"
            );
        }
        eprintln!(
            "skipped: DAVKIT_{var}_URL is not set (the rig left {label} out); \
             DAVKIT_REQUIRE_LIVE=1 makes this a failure"
        );
        return None;
    };
    let suffix = if n == 1 { String::new() } else { n.to_string() };
    Some(Live {
        name,
        url,
        user: Some((
            required(&format!("DAVKIT_{var}_USER{suffix}")),
            required(&format!("DAVKIT_{var}_PASSWORD{suffix}")),
        )),
    })
}

pub fn event(uid: &str, summary: &str, start: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//live test//EN\r\nBEGIN:VEVENT\r\n\
         UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

pub fn card(uid: &str, name: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n\
         EMAIL;TYPE=INTERNET:{uid}@example.com\r\nEND:VCARD\r\n"
    )
}

pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{nanos}")
}

/// (added, changed, deleted)
pub fn counts(changes: &[Change]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for change in changes {
        match change {
            Change::Added(_) => c.0 += 1,
            Change::Changed(_) => c.1 += 1,
            Change::Deleted { .. } => c.2 += 1,
        }
    }
    c
}

/// What an app keeps of a collection: URL to (ETag, data).
pub type Mirror = BTreeMap<String, (Option<String>, String)>;

/// Applies a sync's changes as an app would; every addition and change carries its data.
pub fn apply(mirror: &mut Mirror, changes: &[Change]) {
    for change in changes {
        match change {
            Change::Added(o) | Change::Changed(o) => {
                let data = o
                    .data
                    .clone()
                    .unwrap_or_else(|| panic!("{} came without data", o.url));
                mirror.insert(o.url.clone(), (o.etag.clone(), data));
            }
            Change::Deleted { url } => {
                mirror.remove(url);
            }
        }
    }
}

/// The mirror of a fresh one-shot sync: what the server holds now.
pub async fn fresh_mirror<T: Transport>(
    client: &DavClient<T>,
    url: &str,
    kind: CollectionKind,
) -> Mirror {
    let r = client
        .sync(SyncState::new(url), kind)
        .await
        .unwrap_or_else(|e| panic!("one-shot sync of {url}: {e}"));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let mut m = Mirror::new();
    apply(&mut m, &r.changes);
    m
}

/// Runs a batched sync of `url` to the end, starting from the `stored` JSON (or a fresh
/// state), with every batch in a new client built from the state stored as JSON after the
/// batch before (as an app killed after each batch would), applying the changes to `mirror`.
/// The clients share `transport` only so that the requests can be counted. `between` runs
/// after each batch but the last, with the state just stored (to change the collection
/// mid-sync). Returns the last state and the number of batches.
#[allow(clippy::too_many_arguments)]
pub async fn batched_with_restarts<F, Fut>(
    live: &Live,
    transport: &Counted,
    url: &str,
    kind: CollectionKind,
    max_members: usize,
    mirror: &mut Mirror,
    stored: Option<String>,
    mut between: F,
) -> (SyncState, usize)
where
    F: FnMut(usize, SyncState) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut stored = stored;
    let mut batches = 0;
    loop {
        // A new process: nothing but the stored JSON survives.
        let client = live.counted(transport);
        let state = SyncState::resume(url, stored.as_deref()).expect("the stored state");
        let r: SyncResult = client
            .sync_batch(state, kind, max_members)
            .await
            .unwrap_or_else(|e| panic!("{}: batch {} of {url}: {e}", live.name, batches + 1));
        batches += 1;
        // The bound is on members fetched: deletions come free.
        let (added, changed, _) = counts(&r.changes);
        assert!(
            added + changed <= max_members,
            "{}: a batch fetched {} members, more than {max_members}",
            live.name,
            added + changed
        );
        assert!(r.problems.is_empty(), "{}: {:?}", live.name, r.problems);
        assert_eq!(r.more, r.state.more);
        apply(mirror, &r.changes);
        stored = Some(r.state.to_json());
        if !r.more {
            return (r.state, batches);
        }
        assert!(batches < 1000, "{}: batches must end", live.name);
        between(batches, r.state).await;
    }
}
