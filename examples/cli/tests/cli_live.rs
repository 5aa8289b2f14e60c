//! The built `davkit` binary against a live, seeded Radicale. Run with:
//!
//! ```sh
//! python3 tests/servers/servers.py --only radicale --seed run -- cargo test -p davkit-cli -- --ignored
//! ```
//!
//! The tests share one server; each writes only to objects of its own (unique names), and the
//! exact-count checks look only at the `work` calendar and the `contacts` address book, which
//! no test writes to. They still take turns ([`home_turn`]): Radicale 3.9 answers a PROPFIND's
//! properties after releasing its storage lock, so a listing of the home while another test
//! deletes its scratch calendar can be answered 500.

// Helpers outside `#[test]` functions fail the test with a message by panicking.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// One test at a time lists or changes alice's home (see the module comment).
static HOME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for this test's turn at the home; a failed test before it does not block the rest.
fn home_turn() -> std::sync::MutexGuard<'static, ()> {
    HOME.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Server {
    url: String,
    user: String,
    password: String,
}

fn server() -> Server {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: run these tests through \
                 `python3 tests/servers/servers.py --only radicale --seed run -- \
                 cargo test -p davkit-cli -- --ignored`"
            )
        })
    };
    assert_eq!(
        std::env::var("DAVKIT_SEEDED").as_deref(),
        Ok("1"),
        "the servers must be started with --seed"
    );
    Server {
        url: var("DAVKIT_RADICALE_URL"),
        user: var("DAVKIT_RADICALE_USER"),
        password: var("DAVKIT_RADICALE_PASSWORD"),
    }
}

/// Runs the CLI with the server and credentials in the environment (never on the command line).
fn davkit(args: &[&str]) -> Output {
    let s = server();
    Command::new(env!("CARGO_BIN_EXE_davkit"))
        .args(args)
        .env("DAVKIT_URL", &s.url)
        .env("DAVKIT_USER", &s.user)
        .env("DAVKIT_PASSWORD", &s.password)
        .env_remove("DAVKIT_BEARER")
        .output()
        .expect("the davkit binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the CLI, expects success and returns its JSON output.
fn davkit_json(args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = davkit(&all);
    assert!(
        out.status.success(),
        "davkit {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("davkit {args:?} printed no JSON ({e}):\n{}", stdout(&out)))
}

/// The sample data's directory and the number of resources seed.py uploads for a collection.
fn sample_count(collection: &str) -> usize {
    let dir = std::env::var("DAVKIT_SAMPLE_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/servers/sample"),
        PathBuf::from,
    );
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("collections.json")).expect("collections.json"),
    )
    .expect("collections.json is JSON");
    let entry = meta["collections"]
        .as_array()
        .expect("a collections list")
        .iter()
        .find(|c| c["name"] == collection)
        .unwrap_or_else(|| panic!("no sample collection {collection}"));
    // seed.py uploads every *.ics (calendars) or *.vcf (address books) in the entry's dir.
    let ext = if entry["kind"] == "calendar" {
        "ics"
    } else {
        "vcf"
    };
    let files = std::fs::read_dir(dir.join(entry["dir"].as_str().expect("dir")))
        .expect("sample dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == ext))
        .count();
    assert!(files > 0, "the sample {collection} collection is empty");
    files
}

/// The URL of the discovered collection whose last path segment is `name`.
fn collection_url(name: &str) -> String {
    let found = davkit_json(&["discover"]);
    found["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .filter_map(|c| c["url"].as_str())
        .find(|u| u.trim_end_matches('/').ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("discover did not find {name}: {found}"))
        .to_owned()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("davkit-cli-live-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect();
    names.sort();
    names
}

fn one_collection(report: &Value) -> &Value {
    let list = report["collections"].as_array().expect("collections");
    assert_eq!(list.len(), 1, "{report}");
    &list[0]
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn discover_finds_the_seeded_collections() {
    let _turn = home_turn();
    let found = davkit_json(&["discover"]);
    let collections = found["collections"].as_array().expect("collections");
    let kind_of = |name: &str| {
        collections
            .iter()
            .find(|c| {
                c["url"]
                    .as_str()
                    .is_some_and(|u| u.trim_end_matches('/').ends_with(&format!("/{name}")))
            })
            .map(|c| c["kind"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(kind_of("work").as_deref(), Some("calendar"), "{found}");
    assert_eq!(kind_of("personal").as_deref(), Some("calendar"), "{found}");
    assert_eq!(
        kind_of("contacts").as_deref(),
        Some("addressbook"),
        "{found}"
    );
    assert!(found["principal"].as_str().is_some(), "{found}");

    // The text form names them too, and never shows the password.
    let out = davkit(&["discover"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for name in ["Work", "Personal", "Contacts", "principal:"] {
        assert!(text.contains(name), "{name} missing in:\n{text}");
    }
    let password = server().password;
    assert!(!text.contains(&password) && !stderr(&out).contains(&password));
}

/// Without `--url` or `DAVKIT_URL`, a command that names an absolute collection or object
/// URL starts there; one that names none is a usage error (exit 2) that sends nothing.
#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn a_collection_url_serves_as_the_server_url() {
    let _turn = home_turn();
    let work = collection_url("work");
    let s = server();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_davkit"))
            .args(args)
            .env_remove("DAVKIT_URL")
            .env("DAVKIT_USER", &s.user)
            .env("DAVKIT_PASSWORD", &s.password)
            .env_remove("DAVKIT_BEARER")
            .output()
            .expect("the davkit binary runs")
    };
    let listed = run(&["--json", "ls", &work]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let objects: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(
        objects.as_array().map(Vec::len),
        Some(sample_count("work")),
        "{objects}"
    );
    let first = objects[0]["url"]
        .as_str()
        .expect("an object URL")
        .to_owned();
    let got = run(&["get", &first]);
    assert!(got.status.success(), "{}", stderr(&got));
    assert!(stdout(&got).contains("BEGIN:VCALENDAR"));

    let nothing = run(&["discover"]);
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    assert!(
        stderr(&nothing).contains("no server URL"),
        "{}",
        stderr(&nothing)
    );
    // A relative name is no URL to start from.
    let relative = run(&["ls", "/alice/work/"]);
    assert_eq!(relative.status.code(), Some(2), "{}", stderr(&relative));
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn sync_mirrors_the_work_calendar_and_a_second_sync_is_empty() {
    let _turn = home_turn();
    let expected = sample_count("work");
    let work = collection_url("work");
    let dir = TempDir::new("sync-work");

    let first = davkit_json(&["sync", &work, dir.path()]);
    let c = one_collection(&first);
    assert_eq!(c["added"], expected, "{first}");
    assert_eq!(c["changed"], 0);
    assert_eq!(c["deleted"], 0);
    assert_eq!(c["files_written"], expected);
    let files = files_with_ext(&dir.0, ".ics");
    assert_eq!(files.len(), expected, "{files:?}");
    assert!(
        files.contains(&"weekly-standup.ics".to_owned()),
        "{files:?}"
    );
    // Every file is the iCalendar text the server holds, and nothing else is in the folder.
    for f in &files {
        let text = std::fs::read_to_string(dir.0.join(f)).expect("read");
        assert!(text.starts_with("BEGIN:VCALENDAR"), "{f}: {text}");
    }
    let all: Vec<_> = std::fs::read_dir(&dir.0).expect("read_dir").collect();
    assert_eq!(all.len(), expected + 1, "only the files and the state");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.0.join(".davkit-state.json")).expect("state file"),
    )
    .expect("state is JSON");
    assert_eq!(
        state["etags"].as_object().map(|m| m.len()),
        Some(expected),
        "{state}"
    );

    let second = davkit_json(&["sync", &work, dir.path()]);
    let c = one_collection(&second);
    assert_eq!(
        (&c["added"], &c["changed"], &c["deleted"]),
        (&Value::from(0), &Value::from(0), &Value::from(0)),
        "{second}"
    );
    assert_eq!(files_with_ext(&dir.0, ".ics"), files);

    // The text summary of a third run reads as one.
    let out = davkit(&["sync", &work, dir.path()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Synced 1 collection"), "{text}");
    assert!(
        text.contains("Total: 0 added, 0 changed, 0 deleted"),
        "{text}"
    );

    // A folder that holds another collection's state is refused.
    let contacts = collection_url("contacts");
    let out = davkit(&["sync", &contacts, dir.path()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn sync_all_puts_each_collection_in_its_own_folder() {
    let _turn = home_turn();
    let dir = TempDir::new("sync-all");
    let report = davkit_json(&["sync", "--all", dir.path()]);
    let list = report["collections"].as_array().expect("collections");
    assert!(list.len() >= 3, "{report}");
    assert!(list.iter().all(|c| c["error"].is_null()), "{report}");
    assert_eq!(
        files_with_ext(&dir.0.join("work"), ".ics").len(),
        sample_count("work")
    );
    assert_eq!(
        files_with_ext(&dir.0.join("contacts"), ".vcf").len(),
        sample_count("contacts")
    );
    assert!(dir.0.join("personal/.davkit-state.json").is_file());
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn put_update_and_rm_round_trip() {
    let _turn = home_turn();
    let personal = collection_url("personal");
    let dir = TempDir::new("put");
    let uid = format!("davkit-cli-live-{}", std::process::id());
    let file = dir.0.join(format!("{uid}.ics"));
    let event = |summary: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//cli test//EN\r\n\
             BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nSUMMARY:{summary}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    std::fs::write(&file, event("first")).expect("write");
    let file_arg = file.to_str().expect("UTF-8 path");

    let created = davkit_json(&["put", &personal, file_arg]);
    assert_eq!(created["action"], "created", "{created}");
    let url = created["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with(&format!("/{uid}.ics")), "{url}");

    // The same name again: If-None-Match fails, exit code 3, nothing overwritten.
    let again = davkit(&["put", &personal, file_arg]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("PreconditionFailed"),
        "{}",
        stderr(&again)
    );

    let got = davkit_json(&["get", &url]);
    assert!(
        got["data"]
            .as_str()
            .is_some_and(|d| d.contains("SUMMARY:first"))
    );
    let etag = got["etag"].as_str().expect("etag").to_owned();
    // Plain `get` prints the data itself.
    let plain = davkit(&["get", &url]);
    assert!(
        stdout(&plain).starts_with("BEGIN:VCALENDAR"),
        "{}",
        stdout(&plain)
    );

    // Update with the current ETag, then a stale update fails with 3.
    std::fs::write(&file, event("second")).expect("write");
    let updated = davkit_json(&["put", &url, file_arg, "--etag", &etag]);
    assert_eq!(updated["action"], "updated", "{updated}");
    let stale = davkit(&["put", &url, file_arg, "--etag", &etag]);
    assert_eq!(stale.status.code(), Some(3), "{}", stderr(&stale));
    let got = davkit_json(&["get", &url]);
    assert!(
        got["data"]
            .as_str()
            .is_some_and(|d| d.contains("SUMMARY:second"))
    );

    // rm with a stale ETag is refused; without --etag it fetches the current one.
    let refused = davkit(&["rm", &url, "--etag", &etag]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let removed = davkit(&["rm", &url]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(
        stderr(&removed).contains("no --etag given"),
        "{}",
        stderr(&removed)
    );
    let gone = davkit(&["--json", "get", &url]);
    assert_eq!(gone.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&gone.stdout).expect("JSON error");
    assert_eq!(error["error"]["kind"], "NotFound", "{error}");
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn wrong_password_exits_with_4_and_hides_it() {
    let _turn = home_turn();
    let s = server();
    let secret = "not-the-password-3141";
    let out = Command::new(env!("CARGO_BIN_EXE_davkit"))
        .args(["--url", &s.url, "--user", &s.user, "discover"])
        .env("DAVKIT_PASSWORD", secret)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error: Unauthorized"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(secret) && !stdout(&out).contains(secret));

    // --password-stdin works, and --help never shows the environment's values.
    let mut child = Command::new(env!("CARGO_BIN_EXE_davkit"))
        .args(["--url", &s.url, "--user", &s.user, "--password-stdin", "ls"])
        .env_remove("DAVKIT_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{}", s.password).expect("write password");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    assert!(stdout(&out).contains("Work"), "{}", stdout(&out));

    let help = Command::new(env!("CARGO_BIN_EXE_davkit"))
        .arg("--help")
        .env("DAVKIT_PASSWORD", secret)
        .output()
        .expect("runs");
    assert!(stdout(&help).contains("DAVKIT_PASSWORD"));
    assert!(!stdout(&help).contains(secret));
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn a_member_that_cannot_be_written_is_reported_skipped_and_fetched_again() {
    let _turn = home_turn();
    let personal = collection_url("personal");
    let dir = TempDir::new("unwritable");
    let mirror = dir.0.join("mirror");
    let mirror_arg = mirror.to_str().expect("UTF-8 path").to_owned();
    let uid = format!("davkit-cli-unwritable-{}", std::process::id());
    let upload = dir.0.join(format!("{uid}.ics"));
    let event = |summary: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//cli test//EN\r\n\
             BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20260401T100000Z\r\nDTEND:20260401T110000Z\r\nSUMMARY:{summary}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    std::fs::write(&upload, event("first")).expect("write");
    let upload_arg = upload.to_str().expect("UTF-8 path");
    let created = davkit_json(&["put", &personal, upload_arg]);
    let url = created["url"].as_str().expect("url").to_owned();

    davkit_json(&["sync", &personal, &mirror_arg]);
    let file = mirror.join(format!("{uid}.ics"));
    assert!(file.is_file(), "{}", file.display());

    // The member changes on the server, but its file cannot be replaced any more.
    let etag = davkit_json(&["get", &url])["etag"]
        .as_str()
        .expect("etag")
        .to_owned();
    std::fs::write(&upload, event("second")).expect("write");
    davkit_json(&["put", &url, upload_arg, "--etag", &etag]);
    std::fs::remove_file(&file).expect("rm");
    std::fs::create_dir(&file).expect("mkdir");
    std::fs::write(file.join("in-the-way"), "x").expect("write");

    // The sync completes, reports the member and exits with 5; the state marks it pending.
    let out = davkit(&["--json", "sync", &personal, &mirror_arg]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let c = one_collection(&report);
    let problems = c["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["url"], url.as_str(), "{report}");
    assert_eq!(problems[0]["source"], "local", "{report}");
    assert!(
        stderr(&out).contains(&format!("problem: {url}")),
        "{}",
        stderr(&out)
    );
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(mirror.join(".davkit-state.json")).expect("state"),
    )
    .expect("JSON");
    assert!(
        state["pending"]
            .as_array()
            .is_some_and(|p| p.iter().any(|h| h == url.as_str())),
        "{state}"
    );

    // Every later sync tries it again (and says so) until it can be written.
    let again = davkit(&["sync", &personal, &mirror_arg]);
    assert_eq!(again.status.code(), Some(5), "{}", stderr(&again));
    std::fs::remove_dir_all(&file).expect("rmdir");
    let fixed = davkit_json(&["sync", &personal, &mirror_arg]);
    assert!(
        one_collection(&fixed)["problems"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{fixed}"
    );
    let text = std::fs::read_to_string(&file).expect("written now");
    assert!(text.contains("SUMMARY:second"), "{text}");

    let removed = davkit(&["rm", &url]);
    assert!(removed.status.success(), "{}", stderr(&removed));
}

/// A calendar of `count` events created for one test (through the davkit library, not the
/// CLI), deleted again on drop.
struct ScratchCalendar {
    client: davkit::DavClient<davkit::ReqwestTransport>,
    runtime: tokio::runtime::Runtime,
    url: String,
}

impl ScratchCalendar {
    fn new(slug: &str, count: usize) -> Self {
        let s = server();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = davkit::DavClient::connect(davkit::Config::new(
            s.url.clone(),
            davkit::Credentials::basic(s.user, s.password),
        ))
        .expect("client");
        let home = davkit_json(&["discover"])["calendar_home_sets"][0]
            .as_str()
            .expect("a calendar home")
            .to_owned();
        let props = davkit::CollectionProps {
            display_name: Some(format!("CLI batches {slug}")),
            components: vec!["VEVENT".into()],
            ..Default::default()
        };
        let created = runtime
            .block_on(client.create_calendar(&home, slug, props))
            .expect("create the calendar");
        let calendar = ScratchCalendar {
            client,
            runtime,
            url: created.url,
        };
        for i in 1..=count {
            let uid = format!("{slug}-{i:02}");
            let data = format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//cli test//EN\r\n\
                 BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
                 DTSTART:202605{i:02}T090000Z\r\nDTEND:202605{i:02}T100000Z\r\n\
                 SUMMARY:Event {i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            );
            calendar
                .runtime
                .block_on(calendar.client.create_object(
                    &calendar.url,
                    &format!("e{i:02}.ics"),
                    &data,
                ))
                .expect("create an event");
        }
        calendar
    }
}

impl Drop for ScratchCalendar {
    fn drop(&mut self) {
        let _ = self
            .runtime
            .block_on(self.client.delete_collection(&self.url, None));
    }
}

/// The `.ics` files of a folder with their contents.
fn folder_contents(dir: &Path) -> Vec<(String, String)> {
    files_with_ext(dir, ".ics")
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).expect("read");
            (n, text)
        })
        .collect()
}

fn state_file(dir: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(dir.join(".davkit-state.json")).expect("state file"),
    )
    .expect("state is JSON")
}

#[test]
#[ignore = "needs the live servers; run by the README's test command with --ignored"]
fn sync_in_batches_resumes_after_an_interrupt_to_the_same_folder() {
    let _turn = home_turn();
    let calendar = ScratchCalendar::new(&format!("cli-batches-{}", std::process::id()), 25);
    let url = calendar.url.as_str();

    // The reference: one batch holds the whole calendar.
    let whole = TempDir::new("batches-whole");
    let report = davkit_json(&["sync", "--batch", "1000", url, whole.path()]);
    let c = one_collection(&report);
    assert_eq!(
        (&c["added"], &c["batches"]),
        (&25.into(), &1.into()),
        "{report}"
    );
    let expected = folder_contents(&whole.0);
    assert_eq!(expected.len(), 25);
    let final_state = state_file(&whole.0);

    // Batches of 10, stopped right after the first one was stored (as a Ctrl-C there would).
    let dir = TempDir::new("batches-resumed");
    let out = Command::new(env!("CARGO_BIN_EXE_davkit"))
        .args(["sync", "--batch", "10", url, dir.path()])
        .env("DAVKIT_URL", server().url)
        .env("DAVKIT_USER", server().user)
        .env("DAVKIT_PASSWORD", server().password)
        .env("DAVKIT_STOP_AFTER_BATCHES", "1")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("batch 1: 10 added"),
        "{}",
        stderr(&out)
    );
    // The folder holds exactly the first batch, and the state file is its checkpoint: the
    // token, the ten members written, and the fifteen still to fetch.
    let partial = folder_contents(&dir.0);
    assert_eq!(partial.len(), 10, "{partial:?}");
    assert!(partial.iter().all(|f| expected.contains(f)), "{partial:?}");
    let checkpoint = state_file(&dir.0);
    let pending: Vec<&str> = checkpoint["pending"]
        .as_array()
        .expect("members pending after the first batch")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(pending.len(), 15, "{checkpoint}");
    let etags = checkpoint["etags"].as_object().expect("etags");
    assert_eq!(etags.len(), 10, "{checkpoint}");
    assert!(pending.iter().all(|p| !etags.contains_key(*p)));
    assert_eq!(checkpoint["sync_token"], final_state["sync_token"]);

    // The rerun fetches exactly the other fifteen (nothing repeated), in two more batches.
    let resumed = davkit_json(&["sync", "--batch", "10", url, dir.path()]);
    let c = one_collection(&resumed);
    assert_eq!(
        (&c["added"], &c["changed"], &c["deleted"], &c["batches"]),
        (&15.into(), &0.into(), &0.into(), &2.into()),
        "{resumed}"
    );
    assert_eq!(
        folder_contents(&dir.0),
        expected,
        "the same folder as one sync"
    );
    let resumed_state = state_file(&dir.0);
    assert_eq!(resumed_state["etags"], final_state["etags"]);
    assert_eq!(resumed_state["sync_token"], final_state["sync_token"]);
    assert!(
        resumed_state["pending"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{resumed_state}"
    );
    let again = davkit_json(&["sync", "--batch", "10", url, dir.path()]);
    let c = one_collection(&again);
    assert_eq!(
        (&c["added"], &c["batches"]),
        (&0.into(), &1.into()),
        "{again}"
    );

    // Uninterrupted, in text mode: one progress line per batch, the same folder.
    let text_dir = TempDir::new("batches-text");
    let out = davkit(&["sync", "--batch", "10", url, text_dir.path()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(": batch ")).collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(
        lines[0].contains("batch 1: 10 added") && lines[0].contains("15 members still to fetch"),
        "{log}"
    );
    assert!(
        lines[1].contains("batch 2: 10 added") && lines[1].contains("5 members still to fetch"),
        "{log}"
    );
    assert!(
        lines[2].contains("batch 3: 5 added") && lines[2].ends_with("done"),
        "{log}"
    );
    assert!(stdout(&out).contains("Total: 25 added"), "{}", stdout(&out));
    assert_eq!(folder_contents(&text_dir.0), expected);
}
