//! Memory benchmark: the peak resident memory of an initial sync, one-shot and in batches,
//! of a large calendar and a large address book on a live Radicale.
//!
//! Run it with `scripts/bench-memory.sh`, which starts Radicale (tests/servers/servers.py),
//! writes 10,000 events and 2,000 contacts with photos straight into its storage
//! (tests/servers/bulk_seed.py) and runs `cargo bench -p davkit-bench --bench memory`.
//!
//! Each configuration runs in a child process of its own (this binary again, with
//! `DAVKIT_MEMORY_CHILD` set): it makes a `DavClient<ReqwestTransport>` on a current-thread
//! tokio runtime, discovers the account, then syncs the collection from `SyncState::new`, once
//! (`sync`) or in batches (`sync_batch(n)` until `more` is false, each batch's changes dropped
//! as an app does once it has written them), and prints its peak RSS (`VmHWM` from
//! `/proc/self/status`). The baseline is the same child doing the discovery only. "One
//! batch's bytes" is the largest multiget answer the child received (for a one-shot sync of
//! 10,000 events there are 10 multigets of 1,000, and the sync holds every object they
//! delivered until it returns).
//!
//! Environment: `DAVKIT_RADICALE_URL`/`_USER`/`_PASSWORD` (servers.py),
//! `DAVKIT_MEMORY_CALENDAR` and `DAVKIT_MEMORY_ADDRESSBOOK` (collection URLs; a missing one
//! is skipped), `DAVKIT_MEMORY_BATCHES` (batch sizes, default `250,1000`),
//! `DAVKIT_MEMORY_RUNS` (runs per configuration, default 3; the median is printed),
//! `DAVKIT_MEMORY_BODIES` (`chunks,whole`: bodies handed to the core as reqwest reads them,
//! and whole as hosts with their own HTTP stack hand them over),
//! `DAVKIT_MEMORY_TRACE` (set: each child prints its RSS after every batch and the sync's wall
//! time on stderr).
//!
//! `DAVKIT_MEMORY_INPROC=<events>` (no server needed) instead syncs that many events from an
//! in-memory server shaped like Radicale's answers (each configuration in a child process),
//! and prints the peak RSS over the child's peak before its sync, for bodies handed over in
//! 16 KiB chunks and whole: a quick check of what the sync itself holds, without a server's
//! timing (run it under valgrind's massif for the heap by allocation site).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use davkit::{
    CollectionKind, Config, Credentials, DavClient, HttpRequest, HttpResponse, ReqwestTransport,
    ResponseSink, Service, SyncState, Transport,
};
use davkit_testkit::block_on;

/// The system allocator, counting the bytes in use and their peak (the in-memory mode reads
/// them: heap figures without the allocator's and the kernel's rounding that RSS carries).
struct CountingAlloc;

static HEAP_NOW: AtomicUsize = AtomicUsize::new(0);
static HEAP_PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to `System` unchanged; the counters are only read.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            let now = HEAP_NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            HEAP_PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        HEAP_NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = HEAP_NOW.fetch_add(grown, Ordering::Relaxed) + grown;
                HEAP_PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                HEAP_NOW.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Heap bytes in use now.
fn heap_now() -> usize {
    HEAP_NOW.load(Ordering::Relaxed)
}

/// Starts a new peak at the bytes in use now.
fn heap_reset_peak() {
    HEAP_PEAK.store(heap_now(), Ordering::Relaxed);
}

fn heap_peak() -> usize {
    HEAP_PEAK.load(Ordering::Relaxed)
}

/// The bytes of a batch's objects as the app holds them: each object's text, URL and ETag.
fn objects_bytes(changes: &[davkit::Change]) -> usize {
    changes
        .iter()
        .map(|c| match c {
            davkit::Change::Added(o) | davkit::Change::Changed(o) => {
                o.url.len()
                    + o.etag.as_ref().map_or(0, String::len)
                    + o.data.as_ref().map_or(0, String::len)
            }
            davkit::Change::Deleted { url } => url.len(),
        })
        .sum()
}

/// Largest answers seen, by kind, and the request count.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    max_multiget: AtomicUsize,
    max_listing: AtomicUsize,
}

struct Measured {
    inner: ReqwestTransport,
    seen: Arc<Seen>,
    /// Hand the core whole bodies (as hosts with their own HTTP stack do) instead of chunks.
    whole: bool,
}

impl Measured {
    /// Counts the request and picks the slot its answer's size goes to.
    fn slot(&self, request: &HttpRequest) -> Option<&AtomicUsize> {
        self.seen.requests.fetch_add(1, Ordering::Relaxed);
        let body = request.body_text().unwrap_or("");
        if body.contains("multiget") {
            Some(&self.seen.max_multiget)
        } else if body.contains("sync-collection") {
            Some(&self.seen.max_listing)
        } else {
            None
        }
    }
}

impl Transport for Measured {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let slot = self.slot(&request);
        let response = self.inner.send(request).await?;
        if let Some(slot) = slot {
            slot.fetch_max(response.body.len(), Ordering::Relaxed);
        }
        Ok(response)
    }

    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> davkit::Result<()> {
        if self.whole {
            sink.whole(self.send(request).await?);
            return Ok(());
        }
        let slot = self.slot(&request);
        let mut counting = Counting { sink, bytes: 0 };
        self.inner.send_streaming(request, &mut counting).await?;
        if let Some(slot) = slot {
            slot.fetch_max(counting.bytes, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// A sink that counts the body bytes it passes on.
struct Counting<'a, S> {
    sink: &'a mut S,
    bytes: usize,
}

impl<S: ResponseSink> ResponseSink for Counting<'_, S> {
    fn head(&mut self, head: HttpResponse) {
        self.sink.head(head);
    }

    fn chunk(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len();
        self.sink.chunk(bytes);
    }
}

/// The in-memory server of `DAVKIT_MEMORY_INPROC`: `members` events with Radicale-like
/// hrefs and ETags, answering sync-collection (initial) and calendar-multiget; with `chunks`
/// each answer is made and handed over 16 KiB at a time (never held whole by the server).
struct Fake {
    members: usize,
    chunks: bool,
    max_multiget: AtomicUsize,
}

const FAKE_COLLECTION: &str = "http://127.0.0.1:5232/alice/memory-events/";

fn fake_href(i: usize) -> String {
    format!("/alice/memory-events/{i:08x}-7c1e-4b6a-9d2f-{i:012x}.ics")
}

fn fake_event(i: usize) -> String {
    // About 820 bytes, like the network bench's events.
    let mut e = format!(
        "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nPRODID:-//davkit//bench//EN&#13;\nBEGIN:VEVENT&#13;\nUID:{i:08x}-7c1e-4b6a-9d2f-{i:012x}&#13;\nDTSTAMP:20260101T000000Z&#13;\nDTSTART;TZID=Europe/Berlin:20260301T090000&#13;\nDTEND;TZID=Europe/Berlin:20260301T100000&#13;\nSUMMARY:Event {i}&#13;\nORGANIZER;CN=Alice:mailto:alice@example.com&#13;\nATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com&#13;\nDESCRIPTION:"
    );
    e.push_str(&"x".repeat(300));
    e.push_str("&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n");
    e
}

impl Fake {
    /// The answer's pieces, made one at a time.
    fn pieces<'a>(&'a self, request: &'a HttpRequest) -> Box<dyn Iterator<Item = String> + 'a> {
        let head = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">".to_owned();
        let body = request.body_text().unwrap_or("");
        if body.contains("sync-collection") {
            let rows = (0..self.members).map(|i| {
                format!(
                    "<response><href>{}</href><propstat><prop><getetag>\"{i:08x}-{i:016x}\"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>",
                    fake_href(i)
                )
            });
            let tail = std::iter::once(
                "<sync-token>http://radicale.org/ns/sync/1</sync-token></multistatus>".to_owned(),
            );
            return Box::new(std::iter::once(head).chain(rows).chain(tail));
        }
        let hrefs: Vec<usize> = body
            .split("<d:href>")
            .skip(1)
            .filter_map(|part| part.split("</d:href>").next())
            .filter_map(|h| h.rsplit('-').next()?.strip_suffix(".ics"))
            .filter_map(|n| usize::from_str_radix(n, 16).ok())
            .collect();
        let rows = hrefs.into_iter().map(|i| {
            format!(
                "<response><href>{}</href><propstat><prop><getetag>\"{i:08x}-{i:016x}\"</getetag><C:calendar-data>{}</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>",
                fake_href(i),
                fake_event(i)
            )
        });
        Box::new(
            std::iter::once(head)
                .chain(rows)
                .chain(std::iter::once("</multistatus>".to_owned())),
        )
    }
}

impl Transport for Fake {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let body: String = self.pieces(&request).collect();
        if request.body_text().unwrap_or("").contains("multiget") {
            self.max_multiget.fetch_max(body.len(), Ordering::Relaxed);
        }
        Ok(HttpResponse::new(207, body))
    }

    async fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> davkit::Result<()> {
        if !self.chunks {
            sink.whole(self.send(request).await?);
            return Ok(());
        }
        sink.head(HttpResponse::new(207, Vec::new()));
        let mut chunk = String::with_capacity(16 * 1024);
        let mut total = 0;
        for piece in self.pieces(&request) {
            chunk.push_str(&piece);
            if chunk.len() >= 16 * 1024 {
                total += chunk.len();
                sink.chunk(chunk.as_bytes());
                chunk.clear();
            }
        }
        total += chunk.len();
        sink.chunk(chunk.as_bytes());
        if request.body_text().unwrap_or("").contains("multiget") {
            self.max_multiget.fetch_max(total, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// `DAVKIT_MEMORY_INPROC`, in a child: one initial sync from the in-memory server
/// (`inproc <members> <batch> <chunks|whole>`, batch 0 one-shot). Prints the peak RSS before
/// the sync (the process set up, the client made) and after it, and from the counting
/// allocator, over the heap in use before the sync: the peak (`heap_peak`), the largest
/// batch's objects as held by the app (`batch_heap`, and their text, URL and ETag bytes as
/// `batch_bytes`), the state the last call returned (`state_heap`), and the largest peak of a
/// call over the state that call returned (`beyond_state`: what the sync holds beside the
/// state, the batch included).
fn inproc_child(words: &[&str]) {
    let members: usize = words[1].parse().unwrap();
    let batch: usize = words[2].parse().unwrap();
    let fake = Fake {
        members,
        chunks: words[3] == "chunks",
        max_multiget: AtomicUsize::new(0),
    };
    let config = Config::new("http://127.0.0.1:5232/", Credentials::None);
    let client = DavClient::new(config, &fake).unwrap();
    let before = status_kib("VmHWM:");
    let base = heap_now();
    heap_reset_peak();
    let mut state = SyncState::new(FAKE_COLLECTION);
    let (mut added, mut peak, mut batch_bytes, mut batch_heap) = (0, 0, 0, 0);
    let mut beyond_state = 0;
    let mut state_heap;
    loop {
        heap_reset_peak();
        let result =
            block_on(futures_sync(&client, state, (batch > 0).then_some(batch))).expect("sync");
        peak = peak.max(heap_peak().saturating_sub(base));
        added += result.changes.len();
        batch_bytes = batch_bytes.max(objects_bytes(&result.changes));
        let more = result.more;
        let with_changes = heap_now();
        let davkit::SyncResult {
            changes,
            state: next,
            ..
        } = result;
        drop(changes);
        batch_heap = batch_heap.max(with_changes.saturating_sub(heap_now()));
        state = next;
        state_heap = heap_now().saturating_sub(base);
        beyond_state = beyond_state.max(heap_peak().saturating_sub(base + state_heap));
        if !more {
            break;
        }
    }
    assert_eq!(added, members);
    // Then one sync from that state, as an app's next sync: the in-memory server lists every
    // member again with the same ETags (as a server that cannot sync incrementally would),
    // so nothing is fetched, and the peak beyond the state is what comparing costs.
    let peak_kib = status_kib("VmHWM:");
    heap_reset_peak();
    let before_next = heap_now();
    let next =
        block_on(futures_sync(&client, state, (batch > 0).then_some(batch))).expect("next sync");
    assert!(next.changes.is_empty());
    let next_beyond = heap_peak().saturating_sub(before_next);
    println!(
        "before_kib={before} peak_kib={peak_kib} max_multiget={} heap_peak={peak} batch_bytes={batch_bytes} batch_heap={batch_heap} state_heap={state_heap} beyond_state={beyond_state} next_beyond={next_beyond}",
        fake.max_multiget.load(Ordering::Relaxed)
    );
}

/// `DAVKIT_MEMORY_INPROC`: the peak RSS and heap of initial syncs from the in-memory server,
/// each in a child process, over the child before its sync.
fn inproc(members: usize, batches: &[usize], runs: usize) {
    println!(
        "#### Initial sync of {members} events from an in-memory server: peaks over the process before the sync, median of {runs} (by peak heap)\n"
    );
    println!(
        "One batch = the batch's objects as the app holds them: iCalendar text, URL and ETag bytes (heap with allocation overhead in brackets). State = the heap of the `SyncState` the last call returned (10,000 URLs and ETags). Beyond state = the largest peak of one call over the state it returned. Next sync = one more call from the final state, the server listing every member again unchanged (nothing fetched): its peak over the heap before it.\n"
    );
    println!(
        "| configuration | bodies | batch size | peak RSS over start MiB | peak heap over start MiB | one batch MiB (heap) | ratio heap / batch | state MiB | beyond state MiB | ratio beyond state / batch | largest multiget answer MiB | next sync beyond state MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for bodies in ["chunks", "whole"] {
        for batch in std::iter::once(0).chain(batches.iter().copied()) {
            let spec = format!("inproc {members} {batch} {bodies}");
            let mut samples: Vec<[u64; 8]> = (0..runs)
                .map(|_| {
                    let out = Command::new(std::env::current_exe().unwrap())
                        .env("DAVKIT_MEMORY_CHILD", &spec)
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "child `{spec}` failed");
                    let text = String::from_utf8_lossy(&out.stdout).into_owned();
                    let field = |k: &str| -> u64 {
                        text.split_whitespace()
                            .find_map(|p| p.strip_prefix(k))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0)
                    };
                    [
                        field("heap_peak="),
                        field("peak_kib=").saturating_sub(field("before_kib=")) * 1024,
                        field("batch_bytes="),
                        field("batch_heap="),
                        field("state_heap="),
                        field("beyond_state="),
                        field("max_multiget="),
                        field("next_beyond="),
                    ]
                })
                .collect();
            samples.sort_unstable();
            let [heap, rss, one, one_heap, state, beyond, multiget, next] =
                samples[samples.len() / 2];
            let m = |b: u64| b as f64 / 1048576.0;
            println!(
                "| {} | {bodies} | {} | {:.1} | {:.2} | {:.2} ({:.2}) | {:.1} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} |",
                if batch == 0 {
                    "sync (one-shot)"
                } else {
                    "sync_batch loop"
                },
                if batch == 0 {
                    "all".to_owned()
                } else {
                    batch.to_string()
                },
                m(rss),
                m(heap),
                m(one),
                m(one_heap),
                heap as f64 / one.max(1) as f64,
                m(state),
                m(beyond),
                beyond as f64 / one.max(1) as f64,
                m(multiget),
                m(next),
            );
        }
    }
    println!();
}

/// One call: `sync` or `sync_batch`.
async fn futures_sync(
    client: &DavClient<&Fake>,
    state: SyncState,
    batch: Option<usize>,
) -> davkit::Result<davkit::SyncResult> {
    match batch {
        None => client.sync(state, CollectionKind::Calendar).await,
        Some(n) => client.sync_batch(state, CollectionKind::Calendar, n).await,
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A field of `/proc/self/status` in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One configuration, in this process: `discover`, or `sync <calendar|addressbook> <batch>
/// <chunks|whole>` (batch 0: one-shot; bodies handed to the core as they arrive or whole).
/// Prints `key=value` pairs on one line.
fn child(spec: &str) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let url = env("DAVKIT_RADICALE_URL").expect("DAVKIT_RADICALE_URL");
    let credentials = Credentials::basic(
        env("DAVKIT_RADICALE_USER").unwrap_or_default(),
        env("DAVKIT_RADICALE_PASSWORD").unwrap_or_default(),
    );
    let config = Config::new(url, credentials);
    let seen = Arc::new(Seen::default());
    let transport = Measured {
        inner: ReqwestTransport::new()
            .unwrap()
            .with_max_body_bytes(config.limits.max_body_bytes),
        seen: seen.clone(),
        whole: words.get(3) == Some(&"whole"),
    };
    let client = DavClient::new(config, transport).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (members, batches, data_bytes, max_rss_between) = runtime.block_on(async {
        let found = client.discover(Service::Both).await.expect("discovery");
        assert!(!found.collections.is_empty(), "no collections found");
        if words[0] == "discover" {
            return (0, 0, 0, 0);
        }
        let (collection, kind) = match words[1] {
            "calendar" => (
                env("DAVKIT_MEMORY_CALENDAR").unwrap(),
                CollectionKind::Calendar,
            ),
            _ => (
                env("DAVKIT_MEMORY_ADDRESSBOOK").unwrap(),
                CollectionKind::AddressBook,
            ),
        };
        let batch: usize = words[2].parse().unwrap();
        let started = std::time::Instant::now();
        let mut state = SyncState::new(collection);
        let (mut members, mut batches, mut data_bytes, mut max_rss) = (0, 0, 0, 0);
        loop {
            let result = if batch == 0 {
                client.sync(state, kind).await
            } else {
                client.sync_batch(state, kind, batch).await
            }
            .expect("sync");
            batches += 1;
            max_rss = max_rss.max(status_kib("VmRSS:"));
            if env("DAVKIT_MEMORY_TRACE").is_some() {
                eprintln!(
                    "batch {batches}: rss {} hwm {}",
                    status_kib("VmRSS:"),
                    status_kib("VmHWM:")
                );
            }
            for change in &result.changes {
                if let davkit::Change::Added(o) = change {
                    members += 1;
                    data_bytes += o.data.as_ref().map_or(0, String::len);
                }
            }
            assert!(result.problems.is_empty(), "{:?}", result.problems);
            let more = result.more;
            state = result.state;
            // The app has applied the changes and stored the state: the batch is dropped.
            if !more {
                break;
            }
        }
        if env("DAVKIT_MEMORY_TRACE").is_some() {
            eprintln!("sync took {:.3} s", started.elapsed().as_secs_f64());
        }
        (members, batches, data_bytes, max_rss)
    });
    println!(
        "peak_kib={} rss_after_batch_kib={} members={members} batches={batches} data_bytes={data_bytes} requests={} max_multiget={} listing={}",
        status_kib("VmHWM:"),
        max_rss_between,
        seen.requests.load(Ordering::Relaxed),
        seen.max_multiget.load(Ordering::Relaxed),
        seen.max_listing.load(Ordering::Relaxed),
    );
}

#[derive(Clone, Debug, Default)]
struct Sample {
    peak_kib: u64,
    members: u64,
    batches: u64,
    data_bytes: u64,
    requests: u64,
    max_multiget: u64,
    listing: u64,
}

fn run_child(spec: &str) -> Sample {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("DAVKIT_MEMORY_CHILD", spec)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child `{spec}` failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut s = Sample::default();
    for pair in text.split_whitespace() {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v: u64 = v.parse().unwrap_or(0);
        match k {
            "peak_kib" => s.peak_kib = v,
            "members" => s.members = v,
            "batches" => s.batches = v,
            "data_bytes" => s.data_bytes = v,
            "requests" => s.requests = v,
            "max_multiget" => s.max_multiget = v,
            "listing" => s.listing = v,
            _ => {}
        }
    }
    s
}

/// The run with the median peak of `runs` runs.
fn median(spec: &str, runs: usize) -> Sample {
    let mut samples: Vec<Sample> = (0..runs).map(|_| run_child(spec)).collect();
    samples.sort_by_key(|s| s.peak_kib);
    samples[samples.len() / 2].clone()
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn main() {
    if let Some(spec) = env("DAVKIT_MEMORY_CHILD") {
        let words: Vec<&str> = spec.split_whitespace().collect();
        if words.first() == Some(&"inproc") {
            inproc_child(&words);
        } else {
            child(&spec);
        }
        return;
    }
    let batch_sizes = || -> Vec<usize> {
        env("DAVKIT_MEMORY_BATCHES")
            .unwrap_or_else(|| "250,1000".into())
            .split(',')
            .filter_map(|b| b.trim().parse().ok())
            .filter(|b| *b > 0)
            .collect()
    };
    if let Some(members) = env("DAVKIT_MEMORY_INPROC").and_then(|n| n.parse().ok()) {
        let runs = env("DAVKIT_MEMORY_RUNS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(3usize)
            .max(1);
        inproc(members, &batch_sizes(), runs);
        return;
    }
    if env("DAVKIT_RADICALE_URL").is_none() {
        println!("memory bench: DAVKIT_RADICALE_URL is not set; run scripts/bench-memory.sh");
        return;
    }
    let runs: usize = env("DAVKIT_MEMORY_RUNS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let batches = batch_sizes();
    // How the bodies reach the core: `chunks` as reqwest reads them (what `DavClient::connect`
    // does), `whole` as a host with its own HTTP stack hands them over.
    let modes: Vec<String> = env("DAVKIT_MEMORY_BODIES")
        .unwrap_or_else(|| "chunks,whole".into())
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| m == "chunks" || m == "whole")
        .collect();
    let base = median("discover", runs);
    println!(
        "\nBaseline (discovery only, same process setup): peak RSS {} MiB, median of {runs}\n",
        mib(base.peak_kib)
    );
    for (var, kind, what) in [
        ("DAVKIT_MEMORY_CALENDAR", "calendar", "events"),
        ("DAVKIT_MEMORY_ADDRESSBOOK", "addressbook", "contacts"),
    ] {
        if env(var).is_none() {
            continue;
        }
        let mut rows = Vec::new();
        let mut members = 0;
        for bodies in &modes {
            for batch in std::iter::once(0).chain(batches.iter().copied()) {
                let s = median(&format!("sync {kind} {batch} {bodies}"), runs);
                members = s.members;
                rows.push((bodies, batch, s));
            }
        }
        println!(
            "#### Initial sync of {members} {what}: peak RSS over baseline, median of {runs}\n"
        );
        println!(
            "| configuration | bodies | batch size | requests | peak RSS over baseline MiB | one batch's bytes (largest multiget answer) MiB | ratio | listing answer MiB | data delivered MiB |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for (bodies, batch, s) in rows {
            let over = s.peak_kib.saturating_sub(base.peak_kib);
            let one = s.max_multiget as f64 / 1024.0;
            println!(
                "| {} | {bodies} | {} | {} | {} | {:.2} | {:.1} | {:.1} | {:.1} |",
                if batch == 0 {
                    "sync (one-shot)"
                } else {
                    "sync_batch loop"
                },
                if batch == 0 {
                    "all".to_owned()
                } else {
                    batch.to_string()
                },
                s.requests.saturating_sub(base.requests),
                mib(over),
                one / 1024.0,
                over as f64 / one.max(1.0),
                s.listing as f64 / 1024.0 / 1024.0,
                s.data_bytes as f64 / 1024.0 / 1024.0,
            );
        }
        println!();
    }
}
