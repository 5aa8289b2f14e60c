//! The rounds: writes and syncs through the proxy until they converge, per server and seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::changes::{Coll, Kind, Rng, change_directly, member_data};
use crate::check::{compare, decoded_path, present};
use crate::proxy::{Proxy, davkit};
use crate::servers::{Server, expect_status, http, list_members, split_url};
use crate::{SYNC_ATTEMPTS, WRITE_ATTEMPTS};

#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) seeds: usize,
    pub(crate) rounds: usize,
    pub(crate) checks: usize,
    pub(crate) lost: usize,
    pub(crate) diverged: usize,
    pub(crate) stale: usize,
    pub(crate) state: usize,
    pub(crate) stuck: usize,
    /// CLI `sync` runs by exit code (`-1`: killed after the timeout).
    pub(crate) sync_runs: BTreeMap<i32, usize>,
    /// CLI `put`/`rm` runs by exit code.
    pub(crate) write_runs: BTreeMap<i32, usize>,
    /// Writes that a failed run had applied anyway (found on the server afterwards).
    pub(crate) ambiguous_writes_applied: usize,
    /// Writes whose reported outcome was not what the server did.
    pub(crate) write_misreports: usize,
    /// Writes that did not succeed within [`WRITE_ATTEMPTS`] runs.
    pub(crate) write_stuck: usize,
    pub(crate) faults: BTreeMap<String, usize>,
    pub(crate) failures: Vec<String>,
    pub(crate) secs: f64,
}

pub(crate) fn create_collection(server: &Server, kind: Kind, name: &str) -> Coll {
    let home = match kind {
        Kind::Calendar => &server.calendar_home,
        Kind::AddressBook => &server.addressbook_home,
    };
    let url = format!("{}{home}{name}/", server.url);
    let (method, body) = match kind {
        Kind::Calendar => (
            "MKCALENDAR",
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>fault test</D:displayname></D:prop></D:set></C:mkcalendar>"#,
        ),
        Kind::AddressBook => (
            "MKCOL",
            r#"<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>fault test</D:displayname></D:prop></D:set></D:mkcol>"#,
        ),
    };
    let create = || {
        http(
            server,
            method,
            &url,
            &[("Content-Type", "application/xml; charset=utf-8")],
            body.as_bytes(),
        )
    };
    let mut r = create();
    if !matches!(r.status, 200 | 201) {
        // Left over from an interrupted run against the same servers: start afresh.
        http(server, "DELETE", &url, &[], b"");
        r = create();
    }
    expect_status(&r, &[200, 201], &format!("{method} {url}"));
    Coll {
        kind,
        path: split_url(&url).1,
        url,
        version: 0,
    }
}

/// Deletes the test's collections when dropped (also after a failed assertion).
pub(crate) struct Cleanup<'a> {
    pub(crate) server: &'a Server,
    pub(crate) urls: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for url in &self.urls {
            let r = http(self.server, "DELETE", url, &[], b"");
            if !matches!(r.status, 200 | 204 | 404) && !std::thread::panicking() {
                panic!("DELETE {url}: {}", r.status);
            }
        }
    }
}

pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("davkit-cli-faults-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Creates one member through the proxy with `davkit put` (If-None-Match), repeating failed
/// runs; a run that failed may still have been applied (the proxy closes the connection after
/// forwarding a write), which the repeat then sees as 412 and the server confirms.
pub(crate) fn put_through_proxy(
    server: &Server,
    proxy: &Proxy,
    coll: &mut Coll,
    name: &str,
    work: &Path,
    out: &mut Outcome,
) -> Result<(), String> {
    coll.version += 1;
    let data = member_data(coll.kind, &coll.path, name, coll.version);
    let file = work.join(format!("upload.{}", coll.kind.ext()));
    std::fs::write(&file, &data).expect("write upload");
    let collection = format!("{}{}", proxy.url.trim_end_matches('/'), coll.path);
    let target = format!("{}{name}", coll.url);
    let mut failed_before = false;
    for _ in 0..WRITE_ATTEMPTS {
        let run = davkit(
            server,
            proxy,
            &[
                "put",
                &collection,
                file.to_str().expect("utf-8"),
                "--name",
                name,
            ],
        );
        *out.write_runs.entry(run.code.unwrap_or(-1)).or_insert(0) += 1;
        match run.code {
            Some(0) => return Ok(()),
            Some(3) => {
                // Already there: applied by an earlier run whose answer was lost.
                let r = http(server, "GET", &target, &[], b"");
                if r.status == 200 && failed_before {
                    out.ambiguous_writes_applied += 1;
                    return Ok(());
                }
                out.write_misreports += 1;
                let what = if r.status == 200 {
                    "the first run reported 412, but the object is the one it created"
                } else {
                    "412, but the server has no such object"
                };
                return Err(format!(
                    "put {name}: {what} (GET: {}; {}; {})",
                    r.status,
                    run.stderr.trim(),
                    proxy.faults_at(name)
                ));
            }
            _ => failed_before = true,
        }
    }
    out.write_stuck += 1;
    Err(format!("put {name}: no success in {WRITE_ATTEMPTS} runs"))
}

/// Deletes one member through the proxy with `davkit rm --etag`, repeating failed runs until
/// the server no longer has it.
pub(crate) fn rm_through_proxy(
    server: &Server,
    proxy: &Proxy,
    href: &str,
    etag: &str,
    out: &mut Outcome,
) -> Result<(), String> {
    let url = format!("{}{href}", proxy.url.trim_end_matches('/'));
    let direct = format!("{}{href}", server.url.trim_end_matches('/'));
    for _ in 0..WRITE_ATTEMPTS {
        let run = davkit(server, proxy, &["rm", &url, "--etag", etag]);
        *out.write_runs.entry(run.code.unwrap_or(-1)).or_insert(0) += 1;
        if run.code == Some(0) {
            return Ok(());
        }
        let r = http(server, "GET", &direct, &[], b"");
        if r.status == 404 {
            out.ambiguous_writes_applied += 1;
            return Ok(());
        }
    }
    out.write_stuck += 1;
    Err(format!("rm {href}: no success in {WRITE_ATTEMPTS} runs"))
}

/// Runs `davkit sync` through the proxy until a run succeeds (exit 0) or the attempts are used
/// up. Returns the number of runs, or the last run's output when none succeeded.
pub(crate) fn sync_through_proxy(
    server: &Server,
    proxy: &Proxy,
    coll: &Coll,
    dir: &Path,
    out: &mut Outcome,
) -> Result<usize, String> {
    let collection = format!("{}{}", proxy.url.trim_end_matches('/'), coll.path);
    // The server does not change while the CLI runs: a member with a file now must keep one
    // through every run, failed or not.
    let on_server: BTreeSet<String> = list_members(server, &coll.url)
        .keys()
        .map(|h| decoded_path(h))
        .collect();
    let before = present(dir, &on_server);
    let mut last = String::new();
    let mut reported: BTreeMap<String, usize> = BTreeMap::new();
    for attempt in 1..=SYNC_ATTEMPTS {
        let run = davkit(
            server,
            proxy,
            &["--json", "sync", &collection, dir.to_str().expect("utf-8")],
        );
        *out.sync_runs.entry(run.code.unwrap_or(-1)).or_insert(0) += 1;
        let now = present(dir, &on_server);
        let gone: Vec<&String> = before.keys().filter(|p| !now.contains_key(*p)).collect();
        if !gone.is_empty() {
            out.lost += gone.len();
            return Err(format!(
                "run {attempt} (exit {:?}) removed the files of members the server still has: \
                 {gone:?}; {}",
                run.code,
                run.stderr.trim()
            ));
        }
        match run.code {
            // Done, unless members stay owed with the ETag their next answer must match (an
            // answer that came under another ETag than its listing's, or for a member listed
            // without one, after a fault): two answers that agree settle them, so the next
            // run does.
            Some(0) if !checking(&crate::check::stored_state(dir)) => return Ok(attempt),
            Some(0) => {}
            // 1 failure, 4 an injected 401, 5 members not delivered: all allowed under faults.
            Some(1 | 4 | 5) => {}
            other => {
                out.stuck += 1;
                return Err(format!(
                    "sync exited with {other:?} (not a fault outcome): {} {}",
                    run.stderr.trim(),
                    run.stdout.trim()
                ));
            }
        }
        for line in run.stderr.lines() {
            if let Some(rest) = line.strip_prefix("problem: ") {
                let url = rest.split(": ").next().unwrap_or(rest).to_owned();
                *reported.entry(url).or_insert(0usize) += 1;
            }
        }
        last = format!("exit {:?}: {}", run.code, run.stderr.trim());
    }
    out.stuck += 1;
    // What kept it from converging: the member reported most often, as the server has it.
    let diagnosis = reported
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(url, n)| {
            let path = split_url(url).1;
            let r = http(
                server,
                "GET",
                &format!("{}{path}", server.url.trim_end_matches('/')),
                &[],
                b"",
            );
            let ctype = r
                .head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
                .unwrap_or("no Content-Type")
                .to_owned();
            format!(
                "; {path} was a problem in {n} of {SYNC_ATTEMPTS} runs, and a direct GET answers \
                 {} ({ctype})",
                r.status
            )
        })
        .unwrap_or_default();
    Err(format!(
        "no successful sync in {SYNC_ATTEMPTS} runs{diagnosis}; last {last}"
    ))
}

pub(crate) fn run_server(server: &Server, seeds: &[u64], rounds: usize) -> Outcome {
    let started = Instant::now();
    let mut out = Outcome::default();
    let tmp = TempDir::new(server.name);
    for &seed in seeds {
        out.seeds += 1;
        let proxy = Proxy::start(&server.url, seed, &tmp.0);
        // The same names on every run, so that the proxy's draws (keyed by path) repeat.
        let tag = format!("faults-s{seed}");
        let mut colls = [
            create_collection(server, Kind::Calendar, &format!("{tag}-cal")),
            create_collection(server, Kind::AddressBook, &format!("{tag}-ab")),
        ];
        let _cleanup = Cleanup {
            server,
            urls: colls.iter().map(|c| c.url.clone()).collect(),
        };
        let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ server.name.len() as u64);
        let dirs: Vec<PathBuf> = colls
            .iter()
            .map(|c| tmp.0.join(format!("s{seed}-{}", c.kind.ext())))
            .collect();
        for round in 1..=rounds {
            out.rounds += 1;
            for (coll, dir) in colls.iter_mut().zip(&dirs) {
                change_directly(server, coll, &mut rng);
                // One create and one delete through the proxy, with the CLI.
                let name = format!("cli-r{round}.{}", coll.kind.ext());
                let mut problems = Vec::new();
                if let Err(e) = put_through_proxy(server, &proxy, coll, &name, &tmp.0, &mut out) {
                    problems.push(e);
                }
                let members = list_members(server, &coll.url);
                if members.len() > 3 {
                    let pick = rng.below(members.len());
                    if let Some((href, etag)) = members.iter().nth(pick)
                        && let Err(e) = rm_through_proxy(server, &proxy, href, etag, &mut out)
                    {
                        problems.push(e);
                    }
                }
                out.checks += 1;
                let context = format!(
                    "{} seed {seed} round {round} {}",
                    server.name,
                    coll.kind.label()
                );
                match sync_through_proxy(server, &proxy, coll, dir, &mut out) {
                    Err(e) => problems.push(e),
                    Ok(_) => {
                        let d = compare(server, coll, dir);
                        out.lost += d.lost.len();
                        out.diverged += d.diverged.len();
                        out.stale += d.stale.len();
                        out.state += d.state.len();
                        if !d.is_empty() {
                            problems.push(d.describe());
                        }
                    }
                }
                if !problems.is_empty() {
                    // Later rounds of a failed seed still run and are counted.
                    out.failures
                        .push(format!("{context}: {}", problems.join("; ")));
                }
            }
        }
        for (kind, n) in proxy.faults() {
            *out.faults.entry(kind).or_insert(0) += n;
        }
    }
    out.secs = started.elapsed().as_secs_f64();
    out
}

/// Whether a stored state owes members, every one with the ETag its next answer must match
/// (`SyncState::listed`).
fn checking(state: &serde_json::Value) -> bool {
    let pending = state["pending"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    !pending.is_empty()
        && pending
            .iter()
            .all(|h| h.as_str().is_some_and(|h| state["listed"].get(h).is_some()))
}
