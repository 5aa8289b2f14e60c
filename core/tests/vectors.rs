//! Replays every recorded exchange in `tests/vectors/` straight into the core's state machines
//! (no HTTP at all). The same files are replayed by the JS and Kotlin/Python bindings; the
//! format is described in `tests/vectors/README.md`.

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::{block_on, response};

use std::path::{Path, PathBuf};

use std::cell::{Cell, RefCell};

use davkit::gcal::{Channel, EventsQuery, Notification, WatchRequest};
use davkit::{
    CalendarFilter, CollectionKind, CollectionProps, Config, Credentials, DavClient, HttpRequest,
    HttpResponse, Profile, RetryPolicy, Service, SyncState, TokenProvider, Transport,
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
        config.profile = Some(Profile::by_name(p).unwrap_or_else(|| panic!("unknown profile {p}")));
    }
    if let Some(n) = c.get("multiget_batch_size").and_then(Value::as_u64) {
        config.multiget_batch_size = n as usize;
    }
    if let Some(r) = c.get("retry") {
        config.retry = serde_json::from_value::<RetryPolicy>(r.clone()).expect("retry policy");
    }
    if let Some(n) = c.get("sync_page_limit").and_then(Value::as_u64) {
        config.sync_page_limit = Some(n as u32);
    }
    if let Some(l) = c.get("limits") {
        config.limits = serde_json::from_value::<davkit::Limits>(l.clone()).expect("limits");
    }
    config
}

/// The vector's stored state, read as an app's stored text is read
/// ([`SyncState::from_json`], the hand reader).
fn stored_state(op: &Value) -> SyncState {
    SyncState::from_json(&op["state"].to_string()).expect("state")
}

fn kind(v: &Value) -> CollectionKind {
    serde_json::from_value(v["kind"].clone()).expect("kind: calendar | addressbook | other")
}

struct Replay<'a> {
    name: &'a str,
    dir: &'a Path,
    exchanges: RefCell<Vec<(Value, bool)>>,
    requests: Cell<usize>,
    sleeps: RefCell<Vec<u64>>,
}

impl Replay<'_> {
    fn answer(&self, request: &HttpRequest) -> HttpResponse {
        self.requests.set(self.requests.get() + 1);
        let name = self.name;
        let mut exchanges = self.exchanges.borrow_mut();
        let index = exchanges
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
        exchanges[index].1 = true;
        let ex = exchanges[index].0.clone();
        check_request(name, &ex["request"], request);
        response(self.dir, &ex["response"])
    }
}

impl Transport for Replay<'_> {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        let response = self.answer(&request);
        // A transport failure is recorded as status 0 with the message as its body.
        if response.status == 0 {
            let message = String::from_utf8_lossy(&response.body).into_owned();
            return Err(davkit::Error::new(davkit::ErrorKind::Transport, message));
        }
        Ok(response)
    }

    async fn sleep(&self, ms: u64) -> bool {
        self.sleeps.borrow_mut().push(ms);
        true
    }
}

/// Hands out the listed tokens: the same one until a refresh is forced, then the next.
struct Tokens {
    list: Vec<String>,
    at: Cell<usize>,
}

impl TokenProvider for Tokens {
    async fn token(&self, force_refresh: bool) -> davkit::Result<String> {
        if force_refresh {
            self.at.set(self.at.get() + 1);
        }
        self.list
            .get(self.at.get())
            .cloned()
            .ok_or_else(|| davkit::Error::new(davkit::ErrorKind::Unauthorized, "no more tokens"))
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

fn execute<P: TokenProvider>(
    case: &Value,
    client: &DavClient<&Replay<'_>, P>,
) -> Result<Value, davkit::Error> {
    let op = &case["operation"];
    let s = |k: &str| str_field(op, k).to_owned();
    fn out<T: Serialize>(r: davkit::Result<T>) -> Result<Value, davkit::Error> {
        r.map(|v| serde_json::to_value(v).expect("outputs serialise"))
    }
    match str_field(op, "op") {
        "discover" => {
            let service: Service = serde_json::from_value(op["service"].clone()).expect("service");
            out(block_on(client.discover(service)))
        }
        "sync" => {
            let state = stored_state(op);
            out(block_on(client.sync(state, kind(op))))
        }
        "sync_batch" => {
            let state = stored_state(op);
            let max = op["max_members"].as_u64().expect("max_members") as usize;
            out(block_on(client.sync_batch(state, kind(op), max)))
        }
        "list_objects" => out(block_on(client.list_objects(&s("collection_url")))),
        "list_collections" => out(block_on(client.list_collections(&s("home_url")))),
        "get_collection" => out(block_on(client.get_collection(&s("url")))),
        "get_object" => out(block_on(client.get_object(&s("url")))),
        "outbox_free_busy" => {
            let request: davkit::FreeBusyRequest =
                serde_json::from_value(op["request"].clone()).expect("request");
            out(block_on(
                client.outbox_free_busy(&s("outbox_url"), &request),
            ))
        }
        "respond" => {
            let answer: davkit::rfc5546::Answer =
                serde_json::from_value(op["answer"].clone()).expect("answer");
            let me: Vec<String> = serde_json::from_value(op["my_addresses"].clone()).expect("me");
            let occurrence = opt_str(op, "occurrence")
                .map(|v| davkit::icalendar::CalDateTime::parse(&v, None).expect("occurrence"));
            out(block_on(client.respond(
                &s("url"),
                &me,
                &answer,
                occurrence.as_ref(),
            )))
        }
        "pending_invitations" => {
            let me: Vec<String> = serde_json::from_value(op["my_addresses"].clone()).expect("me");
            let calendars: Vec<String> =
                serde_json::from_value(op["calendar_urls"].clone()).expect("calendar_urls");
            let inbox = opt_str(op, "inbox_url");
            out(block_on(client.pending_invitations(
                inbox.as_deref(),
                &calendars,
                &me,
                None,
            )))
        }
        "update_scheduled" => out(block_on(client.update_scheduled(
            &s("url"),
            &s("data"),
            &s("schedule_tag"),
        ))),
        "itip_apply" => out(itip_apply(op)),
        "gcal_respond" => {
            let answer: davkit::rfc5546::Answer =
                serde_json::from_value(op["answer"].clone()).expect("answer");
            let send = serde_json::from_value(op["send"].clone()).expect("send");
            out(block_on(client.gcal_respond(
                &s("calendar_id"),
                &s("event_id"),
                &s("my_email"),
                &answer,
                send,
            )))
        }
        "gcal_set_attendees" => {
            let attendees: Vec<davkit::gcal::GcalAttendee> =
                serde_json::from_value(op["attendees"].clone()).expect("attendees");
            let send = serde_json::from_value(op["send"].clone()).expect("send");
            out(block_on(client.gcal_set_attendees(
                &s("calendar_id"),
                &s("event_id"),
                &attendees,
                &s("etag"),
                send,
            )))
        }
        "gcal_free_busy" => {
            let calendars: Vec<String> =
                serde_json::from_value(op["calendars"].clone()).expect("calendars");
            out(block_on(client.gcal_free_busy(
                &s("start"),
                &s("end"),
                &calendars,
            )))
        }
        "free_busy_query" => out(block_on(client.free_busy_query(
            &s("calendar_url"),
            &s("start"),
            &s("end"),
        ))),
        "create_object" => out(block_on(client.create_object(
            &s("collection_url"),
            &s("name"),
            &s("data"),
        ))),
        "update_object" => out(block_on(client.update_object(
            &s("url"),
            &s("data"),
            &s("etag"),
        ))),
        "delete_object" => out(block_on(client.delete_object(&s("url"), &s("etag")))),
        "post_object" => out(block_on(
            client.post_object(&s("add_member_url"), &s("data")),
        )),
        "multiget" => {
            let hrefs: Vec<String> = serde_json::from_value(op["hrefs"].clone()).expect("hrefs");
            out(block_on(client.multiget(
                &s("collection_url"),
                kind(op),
                hrefs,
            )))
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
            out(block_on(
                client.calendar_query(&s("collection_url"), filter),
            ))
        }
        "create_calendar" | "create_address_book" => {
            let props: CollectionProps =
                serde_json::from_value(op["props"].clone()).expect("props");
            if str_field(op, "op") == "create_calendar" {
                out(block_on(client.create_calendar(
                    &s("home_url"),
                    &s("slug"),
                    props,
                )))
            } else {
                out(block_on(client.create_address_book(
                    &s("home_url"),
                    &s("slug"),
                    props,
                )))
            }
        }
        "update_collection" => {
            let props: CollectionProps =
                serde_json::from_value(op["props"].clone()).expect("props");
            let read = read_collection(op);
            out(block_on(client.update_collection(
                &s("url"),
                kind(op),
                props,
                read.as_ref(),
            )))
        }
        "delete_collection" => {
            let read = read_collection(op);
            out(block_on(client.delete_collection(&s("url"), read.as_ref())))
        }
        "gcal_calendars" => out(block_on(client.gcal_calendars())),
        "gcal_sync" => {
            let state = stored_state(op);
            let query: EventsQuery =
                serde_json::from_value(op.get("query").cloned().unwrap_or(json!({})))
                    .expect("query");
            out(block_on(client.gcal_sync(&s("calendar_id"), query, state)))
        }
        "gcal_insert" => out(block_on(
            client.gcal_insert(&s("calendar_id"), &op["event"]),
        )),
        "gcal_patch" => out(block_on(client.gcal_patch(
            &s("calendar_id"),
            &s("event_id"),
            &op["patch"],
            &s("etag"),
        ))),
        "gcal_delete" => out(block_on(client.gcal_delete(
            &s("calendar_id"),
            &s("event_id"),
            &s("etag"),
        ))),
        "gcal_watch" => {
            let query: EventsQuery =
                serde_json::from_value(op.get("query").cloned().unwrap_or(json!({})))
                    .expect("query");
            let watch: WatchRequest = serde_json::from_value(op["watch"].clone()).expect("watch");
            out(block_on(client.gcal_watch(
                &s("calendar_id"),
                &query,
                &watch,
            )))
        }
        "gcal_stop" => {
            let channel: Channel = serde_json::from_value(op["channel"].clone()).expect("channel");
            out(block_on(client.gcal_stop(&channel)))
        }
        "gcal_notification" => {
            let channel: Channel = serde_json::from_value(op["channel"].clone()).expect("channel");
            let headers: Vec<(String, String)> = op["headers"]
                .as_object()
                .expect("headers object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect();
            out(Notification::parse(&headers, &channel))
        }
        other => panic!("unknown op {other}"),
    }
}

/// Applies each iTIP message of a pure `itip_apply` case to the stored event, in order: what
/// each did, and the attendees, STATUS and SEQUENCE of the series afterwards.
fn itip_apply(op: &Value) -> davkit::Result<Value> {
    use davkit::rfc5546::{Message, itip, status};
    let mut stored =
        davkit::icalendar::Calendar::parse(str_field(op, "stored")).map_err(davkit::Error::from)?;
    let me: Vec<String> = serde_json::from_value(op["my_addresses"].clone()).expect("me");
    let me: Vec<&str> = me.iter().map(String::as_str).collect();
    let mut applied = Vec::new();
    for m in op["messages"].as_array().expect("messages") {
        let message = Message::parse(m.as_str().expect("message text"))?;
        applied.push(itip::apply(&mut stored, &message, &me)?);
    }
    let master = stored
        .events()
        .find(|e| e.recurrence_id().ok().flatten().is_none());
    Ok(json!({
        "applied": applied,
        "statuses": status::attendee_statuses(&stored),
        "status": master.and_then(|m| m.status()),
        "sequence": master.and_then(|m| m.sequence()),
    }))
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

/// The optional `read` collection of update_collection / delete_collection.
fn read_collection(op: &Value) -> Option<davkit::Collection> {
    op.get("read")
        .filter(|r| !r.is_null())
        .map(|r| serde_json::from_value(r.clone()).expect("read collection"))
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
            .or_else(|_| file.strip_prefix(vectors_dir().parent().unwrap_or(Path::new("/"))))
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
        let replay = Replay {
            name: &name,
            dir,
            exchanges: RefCell::new(exchanges),
            requests: Cell::new(0),
            sleeps: RefCell::new(Vec::new()),
        };
        let outcome = match case["config"].get("token_provider") {
            Some(list) => {
                let tokens = Tokens {
                    list: serde_json::from_value(list.clone()).expect("a list of tokens"),
                    at: Cell::new(0),
                };
                DavClient::with_token_provider(config(&case), &replay, tokens)
                    .and_then(|client| execute(&case, &client))
            }
            None => {
                DavClient::new(config(&case), &replay).and_then(|client| execute(&case, &client))
            }
        };
        if let Some(expected) = case["expect"].get("sleeps_ms") {
            let sleeps = serde_json::to_value(&*replay.sleeps.borrow()).expect("numbers");
            assert_eq!(&sleeps, expected, "{name}: the delays before retries");
        }
        let unused: Vec<String> = replay
            .exchanges
            .borrow()
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
        eprintln!("ok {name} ({} requests)", replay.requests.get());
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
