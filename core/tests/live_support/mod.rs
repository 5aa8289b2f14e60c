//! Helpers shared by the live tests (`live_batch.rs`, `live_davical.rs`, `live.rs`'s Cyrus tests): a transport that
//! lists the requests it sends, the servers' clients from the rig's environment
//! (`tests/servers/servers.py`), a mirror that applies sync changes, and the
//! interrupt-after-every-batch check.

#![allow(dead_code)] // each test crate uses its own share of these
#![allow(clippy::panic)] // test helpers report failures by panicking

use std::cell::RefCell;
use std::collections::BTreeMap;

use davkit::{
    Change, CollectionKind, Config, Credentials, DavClient, ErrorKind, HttpRequest, HttpResponse,
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

/// SOGo's user `n` (1 alice, 2 bob, 3 carol), or `None` when the rig did not start SOGo, as
/// [`davical`] says.
pub fn sogo(n: usize) -> Option<Live> {
    packaged("sogo", "SOGO", "SOGo", n)
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

/// Discovery found `calendar` among its calendars and `address_book` among its address books.
pub fn assert_discovered(found: &davkit::Discovery, calendar: &str, address_book: &str) {
    assert!(
        found.calendars().any(|c| c.url == calendar),
        "{calendar} not in {:#?}",
        found.collections
    );
    assert!(
        found.address_books().any(|c| c.url == address_book),
        "{address_book} not in {:#?}",
        found.collections
    );
}

/// Creates `n` events `e00.ics`, `e01.ics`, ... in `url` (UIDs `{slug}-{i}`, summaries
/// `Event {i}`), each with the profile's create precondition; returns what was written, by
/// URL, with the ETag each PUT answered (if any).
pub async fn create_events<T: Transport>(
    client: &DavClient<T>,
    url: &str,
    slug: &str,
    n: usize,
) -> Mirror {
    let mut written = Mirror::new();
    for i in 0..n {
        let data = event(
            &format!("{slug}-{i}"),
            &format!("Event {i}"),
            "20260301T090000Z",
        );
        let w = client
            .create_object(url, &format!("e{i:02}.ics"), &data)
            .await
            .expect("create (If-None-Match: *, or the name checked first)");
        written.insert(w.url, (w.etag, data));
    }
    written
}

/// MKCALENDAR of a VEVENT calendar `slug` in `home`, displayed as "Live test ✓"; returns its
/// URL, after checking the server reads back the name and has a sync token for it.
pub async fn create_test_calendar<T: Transport>(
    client: &DavClient<T>,
    home: &str,
    slug: &str,
) -> String {
    let created = client
        .create_calendar(
            home,
            slug,
            davkit::CollectionProps {
                display_name: Some("Live test ✓".into()),
                components: vec!["VEVENT".into()],
                ..davkit::CollectionProps::default()
            },
        )
        .await
        .expect("MKCALENDAR");
    let read = client.get_collection(&created.url).await.expect("PROPFIND");
    assert_eq!(read.display_name.as_deref(), Some("Live test ✓"));
    assert!(read.sync_token.is_some(), "a sync token: {read:?}");
    created.url
}

/// The mirror an initial sync made holds what [`create_events`] wrote: the same URLs, and in
/// each the UID and SUMMARY written (a server may re-serialise the rest).
pub fn assert_holds_written(mirror: &Mirror, written: &Mirror) {
    assert_eq!(
        mirror.keys().collect::<Vec<_>>(),
        written.keys().collect::<Vec<_>>()
    );
    for (u, (_, data)) in mirror {
        for line in written[u]
            .1
            .lines()
            .filter(|l| l.starts_with("UID:") || l.starts_with("SUMMARY:"))
        {
            assert!(data.contains(line), "{u}: {line} not in {data}");
        }
    }
}

/// A second create of `e00.ics` in `url` fails with `PreconditionFailed`, and the event there
/// is still `Event 0`.
pub async fn second_create_refused<T: Transport>(client: &DavClient<T>, url: &str) {
    let dup = client
        .create_object(url, "e00.ics", &event("other", "Clash", "20260301T090000Z"))
        .await
        .expect_err("a second create of the same name must fail");
    assert_eq!(dup.kind(), ErrorKind::PreconditionFailed, "{dup}");
    let kept = client
        .get_object(&format!("{url}e00.ics"))
        .await
        .expect("GET");
    assert!(
        kept.data
            .as_deref()
            .is_some_and(|d| d.contains("SUMMARY:Event 0")),
        "{kept:?}"
    );
}

/// An update of `e0` and a delete of `e1` under a stale ETag are refused with
/// `PreconditionFailed`, and `e0` still holds `Event 0` under `etag0`: nothing is lost.
pub async fn stale_writes_refused<T: Transport>(
    client: &DavClient<T>,
    e0: &str,
    etag0: &str,
    e1: &str,
) {
    let stale = client
        .update_object(
            e0,
            &event("x", "Overwrite", "20260301T090000Z"),
            "\"stale\"",
        )
        .await
        .expect_err("a stale ETag must fail");
    assert_eq!(stale.kind(), ErrorKind::PreconditionFailed, "{stale}");
    let refused = client
        .delete_object(e1, "\"stale\"")
        .await
        .expect_err("a stale ETag must fail");
    assert_eq!(refused.kind(), ErrorKind::PreconditionFailed, "{refused}");
    let got = client.get_object(e0).await.expect("GET");
    assert_eq!(got.etag.as_deref(), Some(etag0));
    assert!(
        got.data
            .as_deref()
            .is_some_and(|d| d.contains("SUMMARY:Event 0"))
    );
}

/// One change (`e0` moved, summary `Moved`), one deletion (`e1`) and one addition (`new.ics`
/// in `url`), each under the ETag as read; [`assert_changed_deleted_added`] checks what the
/// next sync reports.
pub async fn change_delete_add<T: Transport>(
    client: &DavClient<T>,
    url: &str,
    slug: &str,
    (e0, etag0): (&str, &str),
    (e1, etag1): (&str, &str),
) {
    let moved = event(&format!("{slug}-0"), "Moved", "20260301T100000Z");
    client
        .update_object(e0, &moved, etag0)
        .await
        .expect("update with the right ETag");
    client
        .delete_object(e1, etag1)
        .await
        .expect("delete with the right ETag");
    client
        .create_object(
            url,
            "new.ics",
            &event(&format!("{slug}-new"), "New", "20260501T090000Z"),
        )
        .await
        .expect("PUT");
}

/// The changes of the sync after [`change_delete_add`]: `e0` changed (with its new data), `e1`
/// deleted, one addition.
pub fn assert_changed_deleted_added(changes: &[Change], e0: &str, e1: &str) {
    assert_eq!(counts(changes), (1, 1, 1), "{changes:?}");
    assert!(changes.iter().any(|c| matches!(c,
        Change::Changed(o) if o.url == e0 && o.data.as_deref().is_some_and(|d| d.contains("SUMMARY:Moved")))));
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Deleted { url } if url == e1))
    );
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

/// The end of a mirroring test: `mirror` is what the server holds in the calendar `url` (a
/// fresh one-shot sync's mirror), and the calendar is then deleted with its ctag and token as
/// read (a delete that would refuse if another writer had changed it).
pub async fn assert_mirror_then_delete<T: Transport>(
    client: &DavClient<T>,
    url: &str,
    mirror: &Mirror,
) {
    assert_eq!(
        mirror,
        &fresh_mirror(client, url, CollectionKind::Calendar).await
    );
    let fresh = client.get_collection(url).await.expect("PROPFIND");
    client
        .delete_collection(url, Some(&fresh))
        .await
        .expect("delete the calendar");
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
        // A member a batch left for later and a device deleted meanwhile is answered 404 when
        // its batch comes: no deletion yet (the listing named it; a replica behind answers so
        // for a member created since), a problem, and the next sync's report deletes it.
        assert!(
            r.problems.iter().all(|p| p.kind == ErrorKind::NotFound),
            "{}: {:?}",
            live.name,
            r.problems
        );
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
