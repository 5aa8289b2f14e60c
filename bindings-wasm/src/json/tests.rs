//! The outputs against the rewriter the writer replaced: `camelize_json` (kept here only, as
//! the oracle) on `serde_json::to_string`'s text, over the repository's iCalendar/vCard files,
//! the DAV vectors replayed through the core, the write queue's stored states and the
//! recurrence expansions. The two must write the same JSON, in the same order, except the map
//! keys that contain `_`: data (hrefs), which the rewriter wrongly camelCased. The writer
//! itself (`davkit::json_write`) is compared with serde_json in the core's tests.

#![allow(clippy::unwrap_used, clippy::panic)] // a test reports failures by panicking

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use davkit::contentline::Format;
use davkit::icalendar::{Calendar, EventSummary, ExpandOptions, OccurrenceSummary};
use davkit::vcard::VCard;
use davkit::{
    CalendarFilter, CollectionKind, Config, Credentials, DavClient, DavObject, HttpRequest,
    HttpResponse, Limits, Service, SyncState, Transport,
};
use davkit_testkit::block_on;
use davkit_testkit::ordered_json::Json;
use serde_json::Value;

use super::*;
use crate::convert;

/// Keys whose object values are data maps (href -> ETag): their keys are kept verbatim.
const VERBATIM_MAPS: [&str; 1] = ["etags"];

/// The rewriter the serializer replaced (the oracle): rewrites the object keys of compact JSON
/// text from snake_case to camelCase, leaving string values and the keys of [`VERBATIM_MAPS`]
/// alone.
fn camelize_json(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    // One entry per open object/array: whether its keys are kept verbatim.
    let mut verbatim: Vec<bool> = Vec::new();
    let mut next_verbatim = false;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                verbatim.push(next_verbatim);
                next_verbatim = false;
                i += 1;
            }
            b'}' | b']' => {
                verbatim.pop();
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let is_key = bytes.get(end + 1) == Some(&b':');
                if is_key {
                    let key = &json[start..end.min(json.len())];
                    next_verbatim = VERBATIM_MAPS.contains(&key);
                    if !verbatim.last().copied().unwrap_or(false) && key.contains('_') {
                        out.push_str(&json[copied..start]);
                        out.push_str(&camel(key));
                        copied = end;
                    }
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&json[copied.min(json.len())..]);
    out
}

/// A map key of data (an href): it has a character no struct field name has.
fn data_key(key: &str) -> bool {
    !key.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Compares the two paths over many values and counts what it compared.
#[derive(Default)]
struct Oracle {
    values: usize,
    bytes: usize,
    /// Map keys the rewriter changed and the serializer keeps: old -> new.
    map_keys: BTreeMap<String, String>,
}

impl Oracle {
    /// `camelize_json(serde_json::to_string(value))` against `convert::output_text(value)`.
    fn check<T: Serialize + ?Sized>(&mut self, what: &str, value: &T) {
        let old = camelize_json(&serde_json::to_string(value).unwrap());
        let new = convert::output_text(value);
        self.compare(what, &old, &new);
    }

    fn compare(&mut self, what: &str, old: &str, new: &str) {
        self.values += 1;
        self.bytes += new.len();
        if old == new {
            return;
        }
        let old_tree = Json::parse(old);
        let new_tree = Json::parse(new);
        self.walk(what, "$", &old_tree, &new_tree);
    }

    fn walk(&mut self, what: &str, at: &str, old: &Json, new: &Json) {
        match (old, new) {
            (Json::Array(a), Json::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{what}: {at}: array lengths");
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.walk(what, &format!("{at}[{i}]"), x, y);
                }
            }
            (Json::Object(a), Json::Object(b)) => {
                assert_eq!(a.len(), b.len(), "{what}: {at}: field counts");
                for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                    if ka != kb {
                        // Only a map key (data: an href, with characters no field name has) may
                        // differ: the rewriter camelCased it. (That struct field names are all
                        // camelCased and map keys never is the core's test of the writer.)
                        assert!(
                            data_key(kb) && camel(kb) == *ka,
                            "{what}: {at}: key `{kb}`, was `{ka}`, is not a map key"
                        );
                        self.map_keys.insert(ka.clone(), kb.clone());
                    }
                    self.walk(what, &format!("{at}.{kb}"), va, vb);
                }
            }
            _ => assert_eq!(old, new, "{what}: {at}"),
        }
    }
}

#[test]
fn merged_is_flatten_with_js_names() {
    #[derive(Serialize)]
    struct Extra {
        summary: &'static str,
        is_new: bool,
    }
    #[derive(Serialize)]
    struct Flattened<'a> {
        #[serde(flatten)]
        occurrence: &'a OccurrenceSummary,
        summary: &'static str,
        is_new: bool,
    }
    let occ = OccurrenceSummary {
        uid: Some("u".into()),
        recurrence_id: "2026-01-01T10:00:00".into(),
        start: "2026-01-01T10:00:00".into(),
        end: "2026-01-01T11:00:00".into(),
        start_utc: "2026-01-01T10:00:00Z".into(),
        end_utc: "2026-01-01T11:00:00Z".into(),
        tzid: None,
        all_day: false,
        is_override: false,
    };
    let extra = Extra {
        summary: "s",
        is_new: true,
    };
    let merged = convert::output_text(&merged(&occ, &extra));
    let mut old = serde_json::to_string(&Flattened {
        occurrence: &occ,
        summary: "s",
        is_new: true,
    })
    .unwrap();
    // flatten wrote the fields as map entries, which the rewriter camelCased as any key
    old = camelize_json(&old);
    assert_eq!(merged, old);
    assert!(
        merged.contains(r#""startUtc":"2026-01-01T10:00:00Z""#),
        "{merged}"
    );
    assert_eq!(convert::output_text(&super::merged(&1, &"x")), "null");
    assert_eq!(convert::output_text(&super::merged(&(), &extra)), "null");
}

/// Every file under `dir` (recursively), sorted.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn repo_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// The old `expand` output (`#[serde(flatten)]`), the oracle of `calendar.rs`'s.
#[derive(Serialize)]
struct OccurrenceOut<'a> {
    #[serde(flatten)]
    occurrence: OccurrenceSummary,
    summary: Option<std::borrow::Cow<'a, str>>,
    location: Option<std::borrow::Cow<'a, str>>,
}

/// The parsed views, summaries and expansion of one iCalendar or vCard text.
fn check_text(oracle: &mut Oracle, what: &str, text: &str) {
    let limits = Limits::default();
    oracle.check(what, &convert::view(text, &limits));
    match Format::sniff(text) {
        Some(Format::ICalendar) => {
            let Ok(cal) = Calendar::parse(text) else {
                return;
            };
            let summaries: Vec<EventSummary> = cal.summaries();
            oracle.check(what, &summaries);
            oracle.check(what, &(cal.name(), cal.method()));
            let window = (
                jiff::Timestamp::from_second(946_684_800).unwrap(), // 2000-01-01
                jiff::Timestamp::from_second(1_893_456_000).unwrap(), // 2030-01-01
            );
            let opts = ExpandOptions {
                max_instances: 40,
                ..ExpandOptions::default()
            };
            let Ok(expansion) = cal.expand(window, &opts) else {
                return;
            };
            let components = cal.component().components();
            for occ in &expansion.occurrences {
                let obj = components
                    .get(occ.component_index)
                    .map(davkit::icalendar::CalObject::new);
                let summary = obj.as_ref().and_then(|o| o.summary());
                let location = obj.as_ref().and_then(|o| o.location());
                let old = OccurrenceOut {
                    occurrence: OccurrenceSummary::from(occ),
                    summary: summary.clone(),
                    location: location.clone(),
                };
                #[derive(Serialize)]
                struct Named<'a> {
                    summary: Option<std::borrow::Cow<'a, str>>,
                    location: Option<std::borrow::Cow<'a, str>>,
                }
                let new = merged(&OccurrenceSummary::from(occ), &Named { summary, location });
                let old = camelize_json(&serde_json::to_string(&old).unwrap());
                oracle.compare(what, &old, &convert::output_text(&new));
            }
            oracle.check(what, &expansion.warnings);
        }
        Some(Format::VCard) => {
            if let Ok(cards) = VCard::parse_all(text) {
                let summaries: Vec<_> = cards.iter().map(VCard::to_summary).collect();
                oracle.check(what, &summaries);
            }
        }
        None => {}
    }
}

/// The iCalendar and vCard bodies of a vector file (its answers and its operation's texts).
fn texts_in(v: &Value, dir: &Path, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("BEGIN:") => out.push(s.clone()),
        Value::Object(m) => {
            if let Some(file) = m.get("body_file").and_then(Value::as_str)
                && let Ok(text) = std::fs::read_to_string(dir.join(file))
            {
                out.push(text);
            }
            for (_, x) in m {
                texts_in(x, dir, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| texts_in(x, dir, out)),
        _ => {}
    }
}

/// Answers each request with the first unused recorded exchange of its method and URL whose
/// body holds the recorded parts (as `core/tests/vectors.rs` replays them, without checking
/// the requests).
struct Replay {
    dir: PathBuf,
    exchanges: RefCell<Vec<(Value, bool)>>,
}

impl Replay {
    fn answer(&self, request: &HttpRequest) -> Option<HttpResponse> {
        let body = request.body_text().unwrap_or("");
        let mut exchanges = self.exchanges.borrow_mut();
        let (ex, used) = exchanges.iter_mut().find(|(ex, used)| {
            let r = &ex["request"];
            !used
                && r["method"] == request.method.as_str()
                && r["url"] == request.url.as_str()
                && r["body_contains"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|p| p.as_str().is_some_and(|p| body.contains(p)))
        })?;
        *used = true;
        let r = &ex["response"];
        let body = match r.get("body_file").and_then(Value::as_str) {
            Some(file) => std::fs::read(self.dir.join(file)).unwrap(),
            None => r["body"].as_str().unwrap_or("").as_bytes().to_vec(),
        };
        let headers = r["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect();
        Some(HttpResponse {
            status: r["status"].as_u64().unwrap_or(0) as u16,
            headers,
            body,
            final_url: r["final_url"].as_str().map(str::to_owned),
        })
    }
}

impl Transport for &Replay {
    async fn send(&self, request: HttpRequest) -> davkit::Result<HttpResponse> {
        // Not recorded, or recorded as a failure to send (status 0).
        match self.answer(&request) {
            Some(r) if r.status != 0 => Ok(r),
            _ => Err(davkit::Error::new(davkit::ErrorKind::Transport, "replay")),
        }
    }
}

/// A replay of `exchanges`, and the vector's `config` as the core's.
fn replay(c: &Value, exchanges: &Value, dir: &Path) -> Option<(Replay, Config)> {
    let server = c["server_url"].as_str()?;
    let credentials = match c.get("credentials") {
        Some(Value::Object(m)) if m.contains_key("basic") => Credentials::basic(
            m["basic"]["username"].as_str().unwrap_or(""),
            m["basic"]["password"].as_str().unwrap_or(""),
        ),
        Some(Value::Object(m)) if m.contains_key("bearer") => {
            Credentials::bearer(m["bearer"].as_str().unwrap_or(""))
        }
        _ => Credentials::None,
    };
    let mut config = Config::new(server, credentials);
    if let Some(p) = c["profile"].as_str() {
        config.profile = davkit::Profile::by_name(p);
    }
    if let Some(l) = c.get("limits") {
        config.limits = serde_json::from_value(l.clone()).ok()?;
    }
    let replay = Replay {
        dir: dir.to_owned(),
        exchanges: RefCell::new(
            exchanges
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| (e.clone(), false))
                .collect(),
        ),
    };
    Some((replay, config))
}

fn out<T: Serialize>(oracle: &mut Oracle, what: &str, r: davkit::Result<T>) {
    match r {
        Ok(v) => oracle.check(what, &v),
        Err(e) => oracle.check(what, &e),
    }
}

/// The parsed view a fetch with `parse` on attaches to each object, through both paths.
fn check_views(oracle: &mut Oracle, what: &str, objects: &[DavObject]) {
    for data in objects.iter().filter_map(|o| o.data.as_deref()) {
        oracle.check(what, &convert::view(data, &Limits::default()));
    }
}

/// One vector's operation through the core, its output (or error) through both paths; the
/// operations whose inputs are plain strings, a sync state or a collection kind. Returns
/// whether it ran.
fn check_vector(oracle: &mut Oracle, what: &str, case: &Value, dir: &Path) -> bool {
    let op = &case["operation"];
    let Some((replay, config)) = replay(&case["config"], &case["exchanges"], dir) else {
        return false;
    };
    let Ok(client) = DavClient::new(config, &replay) else {
        return false;
    };
    let s = |k: &str| op[k].as_str().unwrap_or("").to_owned();
    let kind = || serde_json::from_value::<CollectionKind>(op["kind"].clone()).unwrap();
    let state = || SyncState::from_json(&op["state"].to_string()).unwrap();
    match op["op"].as_str().unwrap_or("") {
        "discover" => {
            let service: Service = serde_json::from_value(op["service"].clone()).unwrap();
            out(oracle, what, block_on(client.discover(service)));
        }
        "sync" => out(oracle, what, block_on(client.sync(state(), kind()))),
        "sync_batch" => {
            let max = op["max_members"].as_u64().unwrap() as usize;
            out(
                oracle,
                what,
                block_on(client.sync_batch(state(), kind(), max)),
            );
        }
        "list_objects" => match block_on(client.list_objects(&s("collection_url"))) {
            Ok(l) => {
                oracle.check(what, &l);
                check_views(oracle, what, &l);
            }
            Err(e) => oracle.check(what, &e),
        },
        "get_object" => match block_on(client.get_object(&s("url"))) {
            Ok(o) => {
                oracle.check(what, &o);
                check_views(oracle, what, std::slice::from_ref(&o));
            }
            Err(e) => oracle.check(what, &e),
        },
        "multiget" => {
            let hrefs: Vec<String> = serde_json::from_value(op["hrefs"].clone()).unwrap();
            out(
                oracle,
                what,
                block_on(client.multiget(&s("collection_url"), kind(), hrefs)),
            );
        }
        "calendar_query" => {
            let f = &op["filter"];
            let filter = CalendarFilter {
                component: f["component"].as_str().unwrap_or("").to_owned(),
                time_range: f.get("time_range").map(|t| davkit::TimeRange {
                    start: t["start"].as_str().map(str::to_owned),
                    end: t["end"].as_str().map(str::to_owned),
                }),
            };
            let list = block_on(client.calendar_query(&s("collection_url"), filter));
            if let Ok(l) = &list {
                check_views(oracle, what, l);
            }
            out(oracle, what, list);
        }
        "list_collections" => out(
            oracle,
            what,
            block_on(client.list_collections(&s("home_url"))),
        ),
        "get_collection" => out(oracle, what, block_on(client.get_collection(&s("url")))),
        "free_busy_query" => out(
            oracle,
            what,
            block_on(client.free_busy_query(&s("calendar_url"), &s("start"), &s("end"))),
        ),
        "create_object" => out(
            oracle,
            what,
            block_on(client.create_object(&s("collection_url"), &s("name"), &s("data"))),
        ),
        "update_object" => out(
            oracle,
            what,
            block_on(client.update_object(&s("url"), &s("data"), &s("etag"))),
        ),
        "update_scheduled" => out(
            oracle,
            what,
            block_on(client.update_scheduled(&s("url"), &s("data"), &s("schedule_tag"))),
        ),
        "gcal_calendars" => out(oracle, what, block_on(client.gcal_calendars())),
        "gcal_sync" => {
            let query = serde_json::from_value(op.get("query").cloned().unwrap_or_default())
                .unwrap_or_default();
            out(
                oracle,
                what,
                block_on(client.gcal_sync(&s("calendar_id"), query, state())),
            );
        }
        "gcal_insert" => out(
            oracle,
            what,
            block_on(client.gcal_insert(&s("calendar_id"), &op["event"])),
        ),
        _ => return false,
    }
    true
}

/// One write-queue script (`tests/queue-vectors/`): the queue's entries after every step and
/// each step's result, through both paths.
fn check_queue_script(oracle: &mut Oracle, what: &str, case: &Value, dir: &Path) {
    use davkit::queue::{Policy, Resolution, WriteQueue};
    let policy = |v: &Value| serde_json::from_value::<Option<Policy>>(v.clone()).unwrap();
    let mut queue = policy(&case["policy"]).map_or_else(WriteQueue::new, WriteQueue::with_policy);
    let mut stored = None;
    for step in case["steps"].as_array().into_iter().flatten() {
        let s = |k: &str| step[k].as_str().unwrap_or("").to_owned();
        let base_data = step["base_data"].as_str();
        match step["op"].as_str().unwrap_or("") {
            "enqueue_create" => {
                let r = queue.enqueue_create(&s("collection_url"), &s("name"), &s("data"));
                out(oracle, what, r);
            }
            "enqueue_update" => {
                let r = queue.enqueue_update(&s("url"), &s("data"), &s("base_etag"), base_data);
                out(oracle, what, r);
            }
            "enqueue_delete" => {
                let r = queue.enqueue_delete(&s("url"), &s("base_etag"), base_data);
                out(oracle, what, r);
            }
            "set_entry_policy" => {
                let id = step["id"].as_u64().unwrap_or(0);
                out(
                    oracle,
                    what,
                    queue.set_entry_policy(id, policy(&step["policy"])),
                );
            }
            "begin_flush" => stored = Some(queue.begin_flush()),
            "crash" => {
                queue = WriteQueue::from_json(stored.as_deref().unwrap_or("")).unwrap();
            }
            "flush" => {
                let (replay, config) = replay(&case["config"], &step["exchanges"], dir).unwrap();
                let client = DavClient::new(config, &replay).unwrap();
                match block_on(client.flush(queue.clone())) {
                    Ok(result) => {
                        oracle.check(what, &result);
                        oracle.check(what, &result.outcomes);
                        queue = result.queue;
                    }
                    Err(e) => oracle.check(what, &e),
                }
            }
            "resolve" => {
                let id = step["id"].as_u64().unwrap_or(0);
                let resolution: Resolution =
                    serde_json::from_value(step["resolution"].clone()).unwrap();
                out(oracle, what, queue.resolve(id, resolution));
            }
            "split_changes" => {
                let changes = serde_json::from_value(step["changes"].clone()).unwrap();
                oracle.check(what, &queue.split_changes(changes));
            }
            _ => continue,
        }
        oracle.check(what, queue.entries());
    }
}

#[test]
fn serializer_matches_the_rewriter_over_the_corpus() {
    let mut oracle = Oracle::default();
    let mut paths = Vec::new();
    files(&repo_tests(), &mut paths);
    let (mut texts, mut vectors, mut queues) = (0, 0, 0);
    for path in &paths {
        let what = path.display().to_string();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if what.contains("/servers/") && !what.contains("/sample") {
            continue;
        }
        if matches!(ext, "ics" | "vcf" | "ifb") {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            check_text(&mut oracle, &what, &text);
            texts += 1;
        } else if ext == "json" {
            let Ok(case) = serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap())
            else {
                continue;
            };
            let dir = path.parent().unwrap();
            let mut bodies = Vec::new();
            texts_in(&case, dir, &mut bodies);
            for text in &bodies {
                check_text(&mut oracle, &what, text);
            }
            texts += bodies.len();
            if case.get("exchanges").is_some() && check_vector(&mut oracle, &what, &case, dir) {
                vectors += 1;
            }
            if case.get("steps").is_some() {
                check_queue_script(&mut oracle, &what, &case, dir);
                queues += 1;
            }
        }
    }
    // A sync state whose hrefs have `_` (the map the rewriter kept by its exception list).
    let mut state = SyncState::new("https://h/cal_1/");
    state
        .etags
        .insert("https://h/cal_1/a_b.ics".into(), "\"1\"".into());
    state.mark_pending("https://h/cal_1/x_y:z.ics");
    oracle.check("state", &state);
    let obj = DavObject {
        url: "https://h/cal_1/x_y.ics".into(),
        etag: None,
        data: Some("BEGIN:VCARD\r\nFN:Ann\r\n".into()),
        json: None,
    };
    oracle.check("object", &obj);
    check_views(&mut oracle, "object", std::slice::from_ref(&obj));
    eprintln!(
        "compared {} values ({} bytes of JSON): {texts} iCalendar/vCard texts, {vectors} vectors \
         replayed, {queues} write-queue scripts; map keys the rewriter changed: {:?}",
        oracle.values, oracle.bytes, oracle.map_keys
    );
    assert!(
        texts > 300 && vectors > 100 && queues > 10,
        "the corpus is missing"
    );
}
