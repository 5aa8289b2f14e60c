//! Replays every recorded exchange in `tests/vectors/` straight into the core's state machines
//! (no HTTP at all). The same files are replayed by the JS and Kotlin/Python bindings; the
//! format is described in `tests/vectors/README.md`.

#![allow(clippy::panic)] // test helpers report failures by panicking

use std::path::{Path, PathBuf};

use davkit::{
    CalendarFilter, CollectionKind, CollectionProps, Config, Credentials, HttpRequest,
    HttpResponse, Operation, Poll, Profile, Service, Session, SyncState,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string field `{key}` in {v}"))
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn config(case: &Value) -> Config {
    let c = &case["config"];
    let credentials = match c.get("credentials") {
        Some(Value::Object(m)) if m.contains_key("basic") => Credentials::basic(
            str_field(&m["basic"], "username"),
            str_field(&m["basic"], "password"),
        ),
        Some(Value::Object(m)) if m.contains_key("bearer") => {
            Credentials::bearer(m["bearer"].as_str().expect("bearer token string"))
        }
        _ => Credentials::None,
    };
    let mut config = Config::new(str_field(c, "server_url"), credentials);
    config.user_agent = "davkit-vectors".into();
    if let Some(p) = c.get("profile").and_then(Value::as_str) {
        config.profile = Some(match p {
            "generic" => Profile::generic(),
            "icloud" => Profile::icloud(),
            "google-caldav" => Profile::google_caldav(),
            "google-carddav" => Profile::google_carddav(),
            other => panic!("unknown profile {other}"),
        });
    }
    if let Some(n) = c.get("multiget_batch_size").and_then(Value::as_u64) {
        config.multiget_batch_size = n as usize;
    }
    if let Some(n) = c.get("sync_page_limit").and_then(Value::as_u64) {
        config.sync_page_limit = Some(n as u32);
    }
    config
}

fn kind(v: &Value) -> CollectionKind {
    serde_json::from_value(v["kind"].clone()).expect("kind: calendar | addressbook | other")
}

struct Replay<'a> {
    name: &'a str,
    dir: &'a Path,
    exchanges: Vec<(Value, bool)>,
    requests: usize,
}

impl Replay<'_> {
    fn answer(&mut self, request: &HttpRequest) -> HttpResponse {
        self.requests += 1;
        let name = self.name;
        let index = self
            .exchanges
            .iter()
            .position(|(ex, used)| {
                !used
                    && ex["request"]["method"] == request.method.as_str()
                    && ex["request"]["url"] == request.url.as_str()
                    && body_matches(&ex["request"], request)
            })
            .unwrap_or_else(|| {
                panic!(
                    "{name}: unexpected request {} {} (no unused exchange matches)",
                    request.method, request.url
                )
            });
        self.exchanges[index].1 = true;
        let ex = self.exchanges[index].0.clone();
        check_request(name, &ex["request"], request);
        response(self.dir, &ex["response"])
    }
}

fn body_matches(expected: &Value, request: &HttpRequest) -> bool {
    let body = request.body_text().unwrap_or("");
    match expected.get("body_contains") {
        Some(Value::Array(parts)) => parts
            .iter()
            .all(|p| p.as_str().is_some_and(|p| body.contains(p))),
        _ => true,
    }
}

fn check_request(name: &str, expected: &Value, request: &HttpRequest) {
    if let Some(Value::Object(headers)) = expected.get("headers") {
        for (header, value) in headers {
            let got = request.header(header);
            match value {
                Value::Null => assert!(
                    got.is_none(),
                    "{name}: {} {} must not carry `{header}`",
                    request.method,
                    request.url
                ),
                Value::String(v) => assert_eq!(
                    got,
                    Some(v.as_str()),
                    "{name}: header `{header}` of {} {}",
                    request.method,
                    request.url
                ),
                other => panic!("{name}: bad header expectation {other}"),
            }
        }
    }
}

fn response(dir: &Path, r: &Value) -> HttpResponse {
    let body: Vec<u8> = if let Some(file) = r.get("body_file").and_then(Value::as_str) {
        std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("body_file {file}: {e}"))
    } else if let Some(b64) = r.get("body_base64").and_then(Value::as_str) {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("body_base64")
    } else {
        r.get("body")
            .and_then(Value::as_str)
            .unwrap_or("")
            .as_bytes()
            .to_vec()
    };
    let headers = match r.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    HttpResponse {
        status: r["status"].as_u64().expect("status") as u16,
        headers,
        body,
        final_url: opt_str(r, "final_url"),
    }
}

fn run<O>(mut op: O, replay: &mut Replay<'_>) -> Result<Value, davkit::Error>
where
    O: Operation,
    O::Output: Serialize,
{
    loop {
        let mut batch = Vec::new();
        let done = loop {
            match op.poll() {
                Poll::Send(r) => batch.push(r),
                Poll::Wait => break None,
                Poll::Done(result) => break Some(result),
            }
        };
        if let Some(result) = done {
            return result.map(|v| serde_json::to_value(v).expect("outputs serialise"));
        }
        assert!(
            !batch.is_empty(),
            "{}: Wait with nothing to send",
            replay.name
        );
        for request in batch {
            let response = replay.answer(&request);
            op.handle_response(request.id, response);
        }
    }
}

fn execute(
    case: &Value,
    session: &Session,
    replay: &mut Replay<'_>,
) -> Result<Value, davkit::Error> {
    let op = &case["operation"];
    let s = |k: &str| str_field(op, k).to_owned();
    match str_field(op, "op") {
        "discover" => {
            let service: Service = serde_json::from_value(op["service"].clone()).expect("service");
            run(session.discover(service), replay)
        }
        "sync" => {
            let state: SyncState = serde_json::from_value(op["state"].clone()).expect("state");
            run(session.sync(state, kind(op)), replay)
        }
        "list_objects" => run(session.list_objects(&s("collection_url")), replay),
        "list_collections" => run(session.list_collections(&s("home_url")), replay),
        "get_collection" => run(session.get_collection(&s("url")), replay),
        "get_object" => run(session.get_object(&s("url")), replay),
        "create_object" => run(
            session.create_object(&s("collection_url"), &s("name"), &s("data")),
            replay,
        ),
        "update_object" => run(
            session.update_object(&s("url"), &s("data"), &s("etag")),
            replay,
        ),
        "delete_object" => run(session.delete_object(&s("url"), &s("etag")), replay),
        "post_object" => run(
            session.post_object(&s("add_member_url"), &s("data")),
            replay,
        ),
        "multiget" => {
            let hrefs: Vec<String> = serde_json::from_value(op["hrefs"].clone()).expect("hrefs");
            run(
                session.multiget(&s("collection_url"), kind(op), hrefs),
                replay,
            )
        }
        "calendar_query" => {
            let filter = op["filter"].clone();
            let filter = CalendarFilter {
                component: str_field(&filter, "component").to_owned(),
                time_range: filter.get("time_range").map(|t| davkit::TimeRange {
                    start: opt_str(t, "start"),
                    end: opt_str(t, "end"),
                }),
            };
            run(session.calendar_query(&s("collection_url"), filter), replay)
        }
        "create_calendar" | "create_address_book" => {
            let props: CollectionProps =
                serde_json::from_value(op["props"].clone()).expect("props");
            if str_field(op, "op") == "create_calendar" {
                run(
                    session.create_calendar(&s("home_url"), &s("slug"), props),
                    replay,
                )
            } else {
                run(
                    session.create_address_book(&s("home_url"), &s("slug"), props),
                    replay,
                )
            }
        }
        "update_collection" => {
            let props: CollectionProps =
                serde_json::from_value(op["props"].clone()).expect("props");
            run(
                session.update_collection(&s("url"), kind(op), props),
                replay,
            )
        }
        "delete_collection" => run(session.delete_collection(&s("url")), replay),
        other => panic!("unknown op {other}"),
    }
}

/// `expected` is contained in `actual`: objects by key (recursively), arrays element by
/// element with equal lengths, scalars equal.
fn assert_subset(path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a.get(k).unwrap_or(&Value::Null);
                assert_subset(&format!("{path}.{k}"), v, got);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(
                e.len(),
                a.len(),
                "{path}: expected {} items, got {}: {actual:#}",
                e.len(),
                a.len()
            );
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_subset(&format!("{path}[{i}]"), ev, av);
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

#[test]
fn replay_all_vectors() {
    let mut files = Vec::new();
    collect(&vectors_dir(), &mut files);
    assert!(
        files.len() >= 10,
        "expected the vector corpus, found {}",
        files.len()
    );
    for file in &files {
        let name = file
            .strip_prefix(vectors_dir())
            .unwrap_or(file)
            .display()
            .to_string();
        let text = std::fs::read_to_string(file).expect("vector file");
        let case: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        assert!(
            case.get("source").and_then(Value::as_str).is_some(),
            "{name}: every vector names its source"
        );
        let exchanges: Vec<(Value, bool)> = case["exchanges"]
            .as_array()
            .map(|a| a.iter().cloned().map(|e| (e, false)).collect())
            .unwrap_or_default();
        let dir = file.parent().expect("parent dir");
        let mut replay = Replay {
            name: &name,
            dir,
            exchanges,
            requests: 0,
        };
        let outcome = match Session::new(config(&case)) {
            Ok(session) => execute(&case, &session, &mut replay),
            Err(e) => Err(e),
        };
        let unused: Vec<String> = replay
            .exchanges
            .iter()
            .filter(|(_, used)| !used)
            .map(|(e, _)| format!("{} {}", e["request"]["method"], e["request"]["url"]))
            .collect();
        assert!(
            unused.is_empty(),
            "{name}: exchanges never requested: {unused:?}"
        );
        let expect = &case["expect"];
        match (outcome, expect.get("error")) {
            (Ok(value), None) => {
                if let Some(result) = expect.get("result") {
                    assert_subset(&name, result, &value);
                }
            }
            (Err(e), Some(expected)) => {
                let actual = json!({
                    "kind": e.kind().as_str(),
                    "status": e.status(),
                    "url": e.url(),
                });
                assert_subset(&name, expected, &actual);
                let shown = format!("{e} {e:?}");
                if let Some(Value::Object(creds)) = case["config"].get("credentials") {
                    for secret in secrets(creds) {
                        assert!(!shown.contains(&secret), "{name}: the error shows a secret");
                    }
                }
            }
            (Ok(value), Some(_)) => panic!("{name}: expected an error, got {value:#}"),
            (Err(e), None) => panic!("{name}: unexpected error {e} ({e:?})"),
        }
        eprintln!("ok {name} ({} requests)", replay.requests);
    }
}

fn secrets(creds: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(b) = creds.get("basic") {
        out.extend(opt_str(b, "password"));
    }
    if let Some(t) = creds.get("bearer").and_then(Value::as_str) {
        out.push(t.to_owned());
    }
    out
}
