//! The DAV client for JS (the `client` feature: the `davkit` and `davkit/protocol` modules):
//! `Client` over the core's `DavClient` with a `fetch` transport, its options, sync state and
//! collection arguments read from JSON, and the Google Calendar API calls (`gcal`).

use std::cell::RefCell;
use std::rc::Rc;

use davkit::client::Call;
#[cfg(any(feature = "formats", feature = "dav-calls"))]
use davkit::contentline::Format;
#[cfg(feature = "gcal")]
use davkit::gcal::{Channel, EventsQuery, Notification, WatchRequest};
use davkit::json_read::Json;
use davkit::{
    CalendarFilter, CollectionKind, CollectionProps, Config, Credentials, DavClient, Error,
    KeptSyncState, Profile, RetryPolicy, Service, SyncState, TimeRange,
};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::convert::{put, set};
use crate::tokens::JsTokens;
use crate::{FetchTransport, convert, nothing, plain, read};

/// Credentials as JS passes them: `{ basic: { username, password } }`,
/// `{ digest: { username, password } }` or `{ bearer: token }` (`null`: none).
fn credentials(f: &read::Fields<'_>) -> Result<Credentials, Error> {
    match f.get("credentials").filter(|v| !v.is_null()) {
        None => Ok(Credentials::None),
        Some(v) => credentials_in(f.what(), v),
    }
}

/// One credential object (see [`credentials`]): the client options' `credentials`, or what the
/// app's `auth` function answered (`tokens.rs`).
pub(crate) fn credentials_in(what: &str, v: &Json) -> Result<Credentials, Error> {
    const NAMES: [&str; 3] = ["basic", "digest", "bearer"];
    let one = match v {
        // One member (`JSON.stringify` never writes a key twice).
        Json::Object(members) if members.len() == 1 => members.first().map(|(k, v)| (k, v)),
        _ => None,
    };
    let Some((name, inner)) = one else {
        return Err(read::wrong_type(
            what,
            v,
            "an object with one of basic, digest, bearer",
        ));
    };
    match read::name(what, name, &NAMES)? {
        2 => Ok(Credentials::bearer(read::string(what, inner)?)),
        n => {
            let pair = read::Fields::of(what, inner, "{ username, password }")?;
            let (user, password) = (pair.string("username")?, pair.string("password")?);
            Ok(if n == 0 {
                Credentials::basic(user, password)
            } else {
                Credentials::digest(user, password)
            })
        }
    }
}

/// The rate-limit retry policy; missing fields keep the core's defaults.
fn retry(f: &read::Fields<'_>) -> Result<RetryPolicy, Error> {
    let d = RetryPolicy::default();
    Ok(RetryPolicy {
        max_retries: f.opt_u32("maxRetries")?.unwrap_or(d.max_retries),
        initial_delay_ms: f.opt_u64("initialDelayMs")?.unwrap_or(d.initial_delay_ms),
        max_delay_ms: f.opt_u64("maxDelayMs")?.unwrap_or(d.max_delay_ms),
    })
}

/// The client options after the JS wrapper resolved `auth` into credentials, and whether
/// fetched objects get their parsed view (`parse`, default true) or, without it, are handed to
/// `lazy` (the JS layer's marker for its lazy views).
fn config(
    value: &JsValue,
    lazy: Option<Function>,
) -> Result<(Config, convert::Parse, bool, bool), Error> {
    let v = read::value(value);
    let f = read::Fields::of("client options", &v, "an object")?;
    let mut config = Config::new(f.string("serverUrl")?, credentials(&f)?);
    if let Some(p) = f.opt_string("profile")? {
        config.profile = Some(Profile::named(&p)?);
    }
    if let Some(ua) = f.opt_string("userAgent")? {
        config.user_agent = ua;
    }
    if let Some(n) = f.opt_usize("multigetBatchSize")? {
        config.multiget_batch_size = n;
    }
    if let Some(n) = f.opt_usize("maxParallelRequests")? {
        config.max_parallel_requests = n;
    }
    config.sync_page_limit = f.opt_u32("syncPageLimit")?;
    if let Some(r) = f.object("retry")? {
        config.retry = retry(&r)?;
    }
    if let Some(l) = f.object("limits")? {
        config.limits = crate::limits(&l)?;
    }
    let on = f.opt_bool("parse")?.unwrap_or(true);
    let parse = convert::Parse {
        // Without the `formats` feature there is nothing to attach.
        on: cfg!(feature = "formats") && on,
        #[cfg(any(feature = "formats", feature = "dav-calls"))]
        lazy: lazy.filter(|_| !on).map(|f| Rc::new(f.unchecked_into())),
        limits: config.limits,
    };
    #[cfg(not(any(feature = "formats", feature = "dav-calls")))]
    let _ = lazy;
    Ok((
        config,
        parse,
        f.flag("omitUserAgent")?,
        f.flag("followRedirects")?,
    ))
}

/// `SyncState` as JS stores it: camelCase, or the core's snake_case JSON (`null`: none), read
/// by the core's reader of the state.
fn sync_state(value: &JsValue) -> Result<Option<SyncState>, Error> {
    let v = read::value(value);
    if v.is_null() {
        return Ok(None);
    }
    SyncState::from_value(&v).map(Some)
}

/// The collection properties to set (`null`: none).
fn read_props(props: &JsValue) -> Result<CollectionProps, Error> {
    let v = read::value(props);
    let Some(f) = read::Fields::optional("collection properties", &v, "an object")? else {
        return Ok(CollectionProps::default());
    };
    Ok(CollectionProps {
        display_name: f.opt_string("displayName")?,
        description: f.opt_string("description")?,
        color: f.opt_string("color")?,
        components: f.strings("components")?,
    })
}

/// A calendar-query filter: `{ component, start?, end? }`, each bound the UTC text the query
/// takes or an instant in milliseconds (a `Date`'s number), which the core writes as that text.
fn filter(value: &JsValue) -> Result<CalendarFilter, Error> {
    let v = read::value(value);
    let f = read::Fields::of("calendar query filter", &v, "{ component, start?, end? }")?;
    let component = f.string("component")?;
    let ms = |key| match f.get(key) {
        Some(Json::Number(_)) => f.opt_i64(key).map(Some),
        _ => Ok(None),
    };
    let (start_ms, end_ms) = (ms("start")?, ms("end")?);
    let written = TimeRange::from_unix_ms(start_ms.flatten(), end_ms.flatten())?;
    let start = match start_ms {
        Some(_) => written.start,
        None => f.opt_string("start")?,
    };
    let end = match end_ms {
        Some(_) => written.end,
        None => f.opt_string("end")?,
    };
    let time_range = (start.is_some() || end.is_some()).then_some(TimeRange { start, end });
    Ok(CalendarFilter {
        component,
        time_range,
    })
}

/// The names of `CollectionKind` as JS spells them (the core's serde names).
const KINDS: [&str; 3] = ["calendar", "addressbook", "other"];

/// The kind at an index of [`KINDS`].
fn kind_at(i: usize) -> CollectionKind {
    match i {
        0 => CollectionKind::Calendar,
        1 => CollectionKind::AddressBook,
        _ => CollectionKind::Other,
    }
}

/// The collection an app last read, as JS holds it (camelCase or the core's snake_case;
/// `null`: none).
fn read_collection(value: &JsValue) -> Result<Option<davkit::Collection>, Error> {
    let v = read::value(value);
    let Some(f) = read::Fields::optional("collection", &v, "a collection")? else {
        return Ok(None);
    };
    let kind = match f.get("kind") {
        None => CollectionKind::Other,
        Some(k) => kind_at(read::variant("collection", k, &KINDS)?),
    };
    Ok(Some(davkit::Collection {
        url: f.string("url")?,
        kind,
        display_name: f.opt_string("displayName")?,
        description: f.opt_string("description")?,
        color: f.opt_string("color")?,
        ctag: f.opt_string("ctag")?,
        sync_token: f.opt_string("syncToken")?,
        components: Vec::new(),
        privileges: Vec::new(),
        resource_types: Vec::new(),
        add_member_url: None,
        supports_sync_collection: None,
    }))
}

fn kind(name: &str) -> Result<CollectionKind, Error> {
    let what = "collection kind (calendar, addressbook, other)";
    Ok(kind_at(read::name(what, name, &KINDS)?))
}

/// The core client behind [`Client`]: `fetch` for HTTP, the app's `auth` function (when it
/// gave one) for tokens.
pub(crate) type Core = DavClient<FetchTransport, JsTokens>;

/// A client: one core `DavClient` over `fetch`. Built by the JS wrapper, not by apps.
#[wasm_bindgen]
pub struct Client {
    pub(crate) inner: Rc<Core>,
    pub(crate) parse: convert::Parse,
    /// The states the last `sync` and `syncBatch` results handed out (one per collection),
    /// kept parsed under the numbers they crossed with (`stateId`): the core's
    /// [`KeptSyncState`], so that the next sync, given that number with that state unchanged,
    /// starts from it without reading the state again.
    kept: Rc<RefCell<KeptSyncState>>,
}

impl Client {
    /// The state a sync of `collection_url` starts from: the one kept under `state_id`, else
    /// `state` read.
    fn start_state(
        &self,
        collection_url: &str,
        state: &JsValue,
        state_id: u32,
    ) -> Result<SyncState, Error> {
        match self.kept.borrow_mut().take(state_id, collection_url)? {
            Some(kept) => Ok(kept),
            None => StateIn::read(state).resume(collection_url),
        }
    }

    /// Runs a `sync` or `syncBatch` call ([`SyncCall`]).
    fn sync_call(&self, call: Result<Call<'static, SyncState, davkit::Sync>, Error>) -> Promise {
        let call = call.map(|call| {
            Box::new(SyncCall {
                call,
                kept: self.kept.clone(),
            }) as Box<dyn crate::call::JsCall>
        });
        crate::call::drive(self.inner.clone(), self.parse.clone(), call)
    }
}

/// A `sync` or `syncBatch` call: the core's call, and the client's kept states, where its
/// result's state goes.
struct SyncCall {
    call: Call<'static, SyncState, davkit::Sync>,
    kept: Rc<RefCell<KeptSyncState>>,
}

impl crate::call::JsCall for SyncCall {
    fn attempts(&mut self) -> &mut dyn davkit::client::Attempts {
        &mut self.call
    }

    fn finish(&mut self, run: davkit::Result<()>, parse: &convert::Parse) -> crate::call::Out {
        run?;
        let r = self.call.output()?;
        let (out, state) = sync_parts(r, parse);
        let id = self.kept.borrow_mut().keep(state);
        set(&out, "stateId", &JsValue::from(id));
        Ok(out.into())
    }
}

/// The small part of a sync result, as one JSON text (the changes and the state cross apart).
#[derive(serde::Serialize)]
struct SyncHead<'a> {
    method: davkit::SyncMethod,
    token_was_reset: bool,
    problems: &'a [davkit::MemberProblem],
    /// A batched sync left members for the next batch (pending in `state`).
    more: bool,
}

fn text_or_null(text: Option<&str>) -> JsValue {
    text.map_or(JsValue::NULL, JsValue::from_str)
}

/// [`sync_parts`]'s object alone (the Calendar API's sync keeps no state).
#[cfg(feature = "gcal")]
fn sync_out(r: davkit::SyncResult, parse: &convert::Parse) -> JsValue {
    sync_parts(r, parse).0.into()
}

/// A sync result as JS receives it: `{ changes, state, method, tokenWasReset, problems, more }`
/// with `state` as the core's JSON text (`SyncState::to_json`; the JS layer gives the app the
/// object when it reads it, and passes the text back for the next batch).
///
/// The changes cross one by one, each object built from its fields (its text handed over as a
/// string, with no JSON escaping), and each is dropped from the module's memory once it has
/// crossed: no JSON text of the whole batch is ever built, which the module's memory (that never
/// shrinks) would keep the size of for good. The same objects as before: `type`, `url`, `etag`,
/// `data` (`json` for the Calendar API) and, with `parse` on, the parsed view. Returned with
/// the state whose text it holds.
fn sync_parts(r: davkit::SyncResult, parse: &convert::Parse) -> (js_sys::Object, SyncState) {
    let out = js_sys::Object::new();
    let changes = js_sys::Array::new_with_length(r.changes.len() as u32);
    set(&out, "changes", &changes);
    set(&out, "state", &JsValue::from_str(&r.state.to_json()));
    let head = SyncHead {
        method: r.method,
        token_was_reset: r.token_was_reset,
        problems: &r.problems,
        more: r.more,
    };
    js_sys::Object::assign(&out, &convert::output(&head).unchecked_into());
    for (i, change) in r.changes.into_iter().enumerate() {
        changes.set(i as u32, change_out(change, parse).into());
    }
    (out, r.state)
}

/// The JS strings of a change's keys and kinds, made once per module instance rather than once
/// per change: each `JsValue::from_str` decodes its text into a new JS string, and a sync of
/// 1,000 events made 6,000 of them.
struct ChangeKeys {
    r#type: JsValue,
    url: JsValue,
    etag: JsValue,
    data: JsValue,
    json: JsValue,
    added: JsValue,
    changed: JsValue,
    deleted: JsValue,
    #[cfg(any(feature = "formats", feature = "dav-calls"))]
    events: JsValue,
    #[cfg(any(feature = "formats", feature = "dav-calls"))]
    contact: JsValue,
}

thread_local! {
    static CHANGE_KEYS: ChangeKeys = ChangeKeys {
        r#type: JsValue::from_str("type"),
        url: JsValue::from_str("url"),
        etag: JsValue::from_str("etag"),
        data: JsValue::from_str("data"),
        json: JsValue::from_str("json"),
        added: JsValue::from_str("added"),
        changed: JsValue::from_str("changed"),
        deleted: JsValue::from_str("deleted"),
        #[cfg(any(feature = "formats", feature = "dav-calls"))]
        events: JsValue::from_str(convert::view_key(Format::ICalendar)),
        #[cfg(any(feature = "formats", feature = "dav-calls"))]
        contact: JsValue::from_str(convert::view_key(Format::VCard)),
    };
}

/// One change as the object JS receives (the fields in the order they always had).
fn change_out(change: davkit::Change, parse: &convert::Parse) -> js_sys::Object {
    CHANGE_KEYS.with(|k| {
        let obj = js_sys::Object::new();
        let (kind, o) = match change {
            davkit::Change::Added(o) => (&k.added, o),
            davkit::Change::Changed(o) => (&k.changed, o),
            davkit::Change::Deleted { url } => {
                put(&obj, &k.r#type, &k.deleted);
                put(&obj, &k.url, &JsValue::from_str(&url));
                return obj;
            }
        };
        put(&obj, &k.r#type, kind);
        object_into(&obj, &o, parse, k);
        obj
    })
}

/// A fetched object's fields set on `obj` (in the order they always had: `url` when there is
/// one, `etag`, `data`, `json` for the Calendar API, then the parsed view with `parse` on).
///
/// With lazy views (`parse: 'lazy'`, the JS default), the JS layer's marker is called with the
/// object and the key of the view its data gets (`events` or `contact`, by the core's
/// `Format::sniff` of its first line): it puts its getters there. The format is decided here,
/// where the text already is, rather than by a call per object that reads it back from JS.
fn object_into(
    obj: &js_sys::Object,
    o: &davkit::DavObject,
    parse: &convert::Parse,
    k: &ChangeKeys,
) {
    if !o.url.is_empty() {
        put(obj, &k.url, &JsValue::from_str(&o.url));
    }
    put(obj, &k.etag, &text_or_null(o.etag.as_deref()));
    put(obj, &k.data, &text_or_null(o.data.as_deref()));
    if let Some(json) = &o.json {
        put(obj, &k.json, &JsValue::from_str(json));
    }
    #[cfg(any(feature = "formats", feature = "dav-calls"))]
    if let Some(data) = o.data.as_deref() {
        #[cfg(feature = "formats")]
        if parse.on {
            let view = convert::output(&convert::view(data, &parse.limits));
            js_sys::Object::assign(obj, &view.unchecked_into());
            return;
        }
        if let Some(mark) = &parse.lazy {
            match Format::sniff(data) {
                Some(Format::ICalendar) => mark.mark(obj, &k.events),
                Some(Format::VCard) => mark.mark(obj, &k.contact),
                None => {}
            }
        }
    }
    #[cfg(not(any(feature = "formats", feature = "dav-calls")))]
    let _ = parse;
}

/// One fetched object as the JS object `getObject` gives (the fields of [`object_into`]).
fn object_out(o: &davkit::DavObject, parse: &convert::Parse) -> js_sys::Object {
    let obj = js_sys::Object::new();
    CHANGE_KEYS.with(|k| object_into(&obj, o, parse, k));
    obj
}

/// Fetched objects as the JS array of objects `listObjects`, `calendarQuery` and `multiget`
/// give, built object by object as a sync's changes are: no JSON text of the whole list (a
/// full fetch of 1,000 events was a megabyte of it, written into the module's memory, decoded
/// and parsed again in JS).
fn objects_out(list: &[davkit::DavObject], parse: &convert::Parse) -> js_sys::Array {
    let out = js_sys::Array::new_with_length(list.len() as u32);
    CHANGE_KEYS.with(|k| {
        for (i, o) in list.iter().enumerate() {
            let obj = js_sys::Object::new();
            object_into(&obj, o, parse, k);
            out.set(i as u32, obj.into());
        }
    });
    out
}

/// The state a sync starts from: `null` (from nothing), the core's JSON text as a sync result
/// gives it (`SyncState::resume`: read straight into the state), or a state object
/// ([`sync_state`]); refused when it belongs to another collection.
enum StateIn {
    Text(String),
    Object(Result<Option<SyncState>, Error>),
}

impl StateIn {
    /// Read now, before the call's future runs (a JS value cannot wait in it).
    fn read(value: &JsValue) -> Self {
        match value.as_string() {
            Some(text) => StateIn::Text(text),
            None => StateIn::Object(sync_state(value)),
        }
    }

    fn resume(self, collection_url: &str) -> Result<SyncState, Error> {
        match self {
            StateIn::Text(text) => SyncState::resume(collection_url, Some(&text)),
            // `SyncState::resume` for a state already read: the same collection check.
            StateIn::Object(state) => match state? {
                None => Ok(SyncState::new(collection_url)),
                Some(state) => state.check_collection(collection_url).map(|()| state),
            },
        }
    }
}

/// `multiget`'s lists besides its objects, as JS receives them.
#[derive(serde::Serialize)]
struct MultigetRest<'a> {
    missing: &'a [String],
    unanswered: &'a [String],
}

#[wasm_bindgen]
impl Client {
    /// A client for `config` (see `config`) sending through `fetch`, waiting with `sleep`, and
    /// asking `tokens` (`(context: { refresh }) => Promise<credentials>`, or `undefined`) for
    /// credentials before each operation and again after a 401 (the core's `TokenProvider`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        config: JsValue,
        fetch: Function,
        sleep: Function,
        tokens: Option<Function>,
        lazy: Option<Function>,
    ) -> Result<Client, JsValue> {
        let build = || -> Result<Client, Error> {
            let (config, parse, omit_user_agent, follow_redirects) = self::config(&config, lazy)?;
            let transport = FetchTransport::new(fetch, sleep, omit_user_agent, follow_redirects);
            Ok(Client {
                inner: Rc::new(DavClient::with_tokens(
                    config,
                    transport,
                    JsTokens::new(tokens),
                )?),
                parse,
                kept: Rc::default(),
            })
        };
        build().map_err(|e| convert::error(&e))
    }

    /// `discover("caldav" | "carddav" | "both")` -> `Discovery`.
    pub fn discover(&self, service: String) -> Promise {
        let service =
            read::name("service", &service, &["caldav", "carddav", "both"]).map(|n| match n {
                0 => Service::CalDav,
                1 => Service::CardDav,
                _ => Service::Both,
            });
        self.call(service.map(|v| Call::new(move |s| s.discover(v))), plain)
    }

    /// `listCollections(homeUrl)` -> `Collection[]`.
    #[wasm_bindgen(js_name = listCollections)]
    pub fn list_collections(&self, home_url: String) -> Promise {
        self.call(Ok(Call::new(move |s| s.list_collections(&home_url))), plain)
    }

    /// `getCollection(url)` -> `Collection`.
    #[wasm_bindgen(js_name = getCollection)]
    pub fn get_collection(&self, url: String) -> Promise {
        self.call(Ok(Call::new(move |s| s.get_collection(&url))), plain)
    }

    /// `createCollection(kind, homeUrl, slug, props)` -> `Collection`.
    #[wasm_bindgen(js_name = createCollection)]
    pub fn create_collection(
        &self,
        kind_name: String,
        home_url: String,
        slug: String,
        props: JsValue,
    ) -> Promise {
        let call = (|| {
            let props = read_props(&props)?;
            let book = kind(&kind_name)? == CollectionKind::AddressBook;
            Ok(Call::new(move |s| {
                if book {
                    s.create_address_book(&home_url, &slug, props.clone())
                } else {
                    s.create_calendar(&home_url, &slug, props.clone())
                }
            }))
        })();
        self.call(call, plain)
    }

    /// `updateCollection(url, kind, props, read)` -> `undefined`; `read` (or `null`) is the
    /// collection as the app last read it.
    #[wasm_bindgen(js_name = updateCollection)]
    pub fn update_collection(
        &self,
        url: String,
        kind_name: String,
        props: JsValue,
        read: JsValue,
    ) -> Promise {
        let call = (|| {
            let read = read_collection(&read)?;
            let kind = kind(&kind_name)?;
            let props = read_props(&props)?;
            Ok(Call::new(move |s| {
                s.update_collection(&url, kind, props.clone(), read.as_ref())
            }))
        })();
        self.call(call, nothing)
    }

    /// `deleteCollection(url, read)` -> `undefined`; `read` (or `null`) is the collection as
    /// the app last read it.
    #[wasm_bindgen(js_name = deleteCollection)]
    pub fn delete_collection(&self, url: String, read: JsValue) -> Promise {
        let call = read_collection(&read)
            .map(|read| Call::new(move |s| s.delete_collection(&url, read.as_ref())));
        self.call(call, nothing)
    }

    /// `listObjects(collectionUrl)` -> `DavObject[]` (URLs and ETags).
    #[wasm_bindgen(js_name = listObjects)]
    pub fn list_objects(&self, collection_url: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| s.list_objects(&collection_url))),
            |list, parse| Ok(objects_out(&list, parse).into()),
        )
    }

    /// `calendarQuery(collectionUrl, { component, start?, end? })` -> `DavObject[]`.
    #[wasm_bindgen(js_name = calendarQuery)]
    pub fn calendar_query(&self, collection_url: String, filter: JsValue) -> Promise {
        let call = self::filter(&filter)
            .map(|f| Call::new(move |s| s.calendar_query(&collection_url, f.clone())));
        self.call(call, |list, parse| Ok(objects_out(&list, parse).into()))
    }

    /// `multiget(collectionUrl, kind, hrefs)` -> `{ objects, missing, unanswered }`.
    pub fn multiget(
        &self,
        collection_url: String,
        kind_name: String,
        hrefs: Vec<String>,
    ) -> Promise {
        let call = kind(&kind_name)
            .map(|k| Call::new(move |s| s.multiget(&collection_url, k, hrefs.clone())));
        self.call(call, |result, parse| {
            let out = js_sys::Object::new();
            set(&out, "objects", &objects_out(&result.objects, parse));
            let rest = MultigetRest {
                missing: &result.missing,
                unanswered: &result.unanswered,
            };
            js_sys::Object::assign(&out, &convert::output(&rest).unchecked_into());
            Ok(out.into())
        })
    }

    /// `parseView(data)` -> `{ events }`, `{ contact }`, `{ parseError }` or `{}`: the parsed
    /// view a fetch with `parse` on attaches, under this client's limits (for `parse: 'lazy'`).
    #[cfg(feature = "formats")]
    #[wasm_bindgen(js_name = parseView)]
    pub fn parse_view(&self, data: &str) -> JsValue {
        convert::output(&convert::view(data, &self.parse.limits))
    }

    /// `getObject(url)` -> `DavObject`.
    #[wasm_bindgen(js_name = getObject)]
    pub fn get_object(&self, url: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| s.get_object(&url))),
            |object, parse| Ok(object_out(&object, parse).into()),
        )
    }

    /// `createObject(collectionUrl, name, data)` -> `WriteResult`.
    #[wasm_bindgen(js_name = createObject)]
    pub fn create_object(&self, collection_url: String, name: String, data: String) -> Promise {
        let call = Call::new(move |s| s.create_object(&collection_url, &name, &data));
        self.call(Ok(call), plain)
    }

    /// `updateObject(url, data, etag)` -> `WriteResult`.
    #[wasm_bindgen(js_name = updateObject)]
    pub fn update_object(&self, url: String, data: String, etag: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| s.update_object(&url, &data, &etag))),
            plain,
        )
    }

    /// `deleteObject(url, etag)` -> `WriteResult` (the JS wrapper resolves with `undefined`;
    /// a flush's steps read the result's URL).
    #[wasm_bindgen(js_name = deleteObject)]
    pub fn delete_object(&self, url: String, etag: String) -> Promise {
        self.call(Ok(Call::new(move |s| s.delete_object(&url, &etag))), plain)
    }

    /// `postObject(addMemberUrl, data)` -> `WriteResult`.
    #[wasm_bindgen(js_name = postObject)]
    pub fn post_object(&self, add_member_url: String, data: String) -> Promise {
        self.call(
            Ok(Call::new(move |s| s.post_object(&add_member_url, &data))),
            plain,
        )
    }

    /// `sync(collectionUrl, state, kind, stateId)` -> `{ changes, state, method,
    /// tokenWasReset, problems, more, stateId }` with `state` as JSON text ([`sync_out`]).
    /// `state`: `null` starts from nothing, else a state object or the JSON text a result gave;
    /// a state of another collection is refused by the core (`SyncState::resume`). `stateId`
    /// numbers the state this client keeps parsed ([`KeptSyncState`]); passed back (`stateId`)
    /// when `state` is that state unchanged (the JS layer checks), else 0, it starts the sync
    /// from the kept state without reading `state`.
    pub fn sync(
        &self,
        collection_url: String,
        state: JsValue,
        kind_name: String,
        state_id: u32,
    ) -> Promise {
        let call = (|| {
            let state = self.start_state(&collection_url, &state, state_id)?;
            Ok(Call::sync(state, kind(&kind_name)?))
        })();
        self.sync_call(call)
    }

    /// `syncBatch(collectionUrl, state, kind, maxMembers, stateId)` -> `{ changes, state,
    /// method, tokenWasReset, problems, more, stateId }`: one batch of a sync, fetching at most
    /// `maxMembers` members (the core's `DavClient::sync_batch`). While `more` is true the rest
    /// are pending in the returned `state`, a checkpoint to store and sync again from. `state`
    /// and `stateId` as in `sync`.
    #[wasm_bindgen(js_name = syncBatch)]
    pub fn sync_batch(
        &self,
        collection_url: String,
        state: JsValue,
        kind_name: String,
        max_members: u32,
        state_id: u32,
    ) -> Promise {
        let call = (|| {
            let state = self.start_state(&collection_url, &state, state_id)?;
            let max = usize::try_from(max_members).unwrap_or(usize::MAX);
            Ok(Call::sync_batch(state, kind(&kind_name)?, max))
        })();
        self.sync_call(call)
    }

    /// `gcalCalendars()` -> `CalendarListEntry[]` (Google Calendar API calendarList).
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalCalendars)]
    pub fn gcal_calendars(&self) -> Promise {
        self.call(Ok(Call::new(|s| s.gcal_calendars())), plain)
    }

    /// `gcalSync(calendarId, query, state)` -> `{ changes, state, method, tokenWasReset,
    /// problems }`, `state` as in `sync`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalSync)]
    pub fn gcal_sync(&self, calendar_id: String, query: JsValue, state: JsValue) -> Promise {
        let call = (|| {
            let state = match StateIn::read(&state) {
                StateIn::Text(text) => SyncState::from_json(&text)?,
                StateIn::Object(state) => state?.unwrap_or_else(|| SyncState::new("")),
            };
            Ok(Call::gcal_sync(calendar_id, gcal_query(&query)?, state))
        })();
        self.call(call, |r, parse| Ok(sync_out(r, parse)))
    }

    /// `gcalInsert(calendarId, event)` -> `WriteResult`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalInsert)]
    pub fn gcal_insert(&self, calendar_id: String, event: JsValue) -> Promise {
        let event = read::value(&event).into_value();
        self.call(
            Ok(Call::new(move |s| s.gcal_insert(&calendar_id, &event))),
            plain,
        )
    }

    /// `gcalPatch(calendarId, eventId, patch, etag)` -> `WriteResult`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalPatch)]
    pub fn gcal_patch(
        &self,
        calendar_id: String,
        event_id: String,
        patch: JsValue,
        etag: String,
    ) -> Promise {
        let patch = read::value(&patch).into_value();
        let call = Call::new(move |s| s.gcal_patch(&calendar_id, &event_id, &patch, &etag));
        self.call(Ok(call), plain)
    }

    /// `gcalDelete(calendarId, eventId, etag)` -> `undefined`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalDelete)]
    pub fn gcal_delete(&self, calendar_id: String, event_id: String, etag: String) -> Promise {
        let call = Call::new(move |s| s.gcal_delete(&calendar_id, &event_id, &etag));
        self.call(Ok(call), nothing)
    }

    /// `gcalWatch(calendarId, query, watch)` -> `Channel`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalWatch)]
    pub fn gcal_watch(&self, calendar_id: String, query: JsValue, watch: JsValue) -> Promise {
        let call = (|| {
            let (query, watch) = (gcal_query(&query)?, watch_request(&watch)?);
            Ok(Call::new(move |s| {
                s.gcal_watch(&calendar_id, &query, &watch)
            }))
        })();
        self.call(call, plain)
    }

    /// `gcalStop(channel)` -> `undefined`.
    #[cfg(feature = "gcal")]
    #[wasm_bindgen(js_name = gcalStop)]
    pub fn gcal_stop(&self, channel: JsValue) -> Promise {
        let call = self::channel(&channel).map(|ch| Call::new(move |s| s.gcal_stop(&ch)));
        self.call(call, nothing)
    }
}

#[cfg(feature = "gcal")]
/// The events.list query as JS passes it (camelCase or snake_case keys; `undefined` is none).
fn gcal_query(query: &JsValue) -> Result<EventsQuery, Error> {
    let v = read::value(query);
    let Some(f) = read::Fields::optional("events query", &v, "an events query")? else {
        return Ok(EventsQuery::default());
    };
    Ok(EventsQuery {
        time_min: f.opt_string("timeMin")?,
        time_max: f.opt_string("timeMax")?,
        updated_min: f.opt_string("updatedMin")?,
        q: f.opt_string("q")?,
        order_by: f.opt_string("orderBy")?,
        ical_uid: f.opt_string("icalUid")?,
        single_events: f.opt_bool("singleEvents")?,
        show_deleted: f.opt_bool("showDeleted")?,
        max_results: f.opt_u32("maxResults")?,
    })
}

#[cfg(feature = "gcal")]
/// What to ask of events.watch (camelCase or snake_case keys).
fn watch_request(value: &JsValue) -> Result<WatchRequest, Error> {
    let v = read::value(value);
    let f = read::Fields::of("watch request", &v, "a watch request")?;
    Ok(WatchRequest {
        channel_id: f.string("channelId")?,
        address: f.string("address")?,
        token: f.opt_string("token")?,
        ttl_seconds: f.opt_u64("ttlSeconds")?,
    })
}

#[cfg(feature = "gcal")]
/// A push channel as Google confirmed it (camelCase or snake_case keys).
fn channel(value: &JsValue) -> Result<Channel, Error> {
    let v = read::value(value);
    let f = read::Fields::of("channel", &v, "a channel")?;
    Ok(Channel {
        id: f.string("id")?,
        resource_id: f.string("resourceId")?,
        resource_uri: f.opt_string("resourceUri")?,
        token: f.opt_string("token")?,
        expiration_ms: f.opt_i64("expirationMs")?,
    })
}

#[cfg(feature = "gcal")]
/// Notification headers: `[name, value][]`.
fn headers(value: &JsValue) -> Result<Vec<(String, String)>, Error> {
    const WHAT: &str = "notification headers";
    let v = read::value(value);
    let Json::Array(list) = &v else {
        return Err(read::wrong_type(WHAT, &v, "a sequence"));
    };
    list.iter()
        .map(|pair| match pair {
            Json::Array(p) if p.len() == 2 => {
                Ok((read::string(WHAT, &p[0])?, read::string(WHAT, &p[1])?))
            }
            _ => Err(read::wrong_type(WHAT, pair, "a tuple of size 2")),
        })
        .collect()
}

/// `parseNotification(headers, channel)` -> `Notification`: reads and checks the `X-Goog-*`
/// headers of a Calendar API push notification (`[name, value][]`) against the stored channel.
#[cfg(feature = "gcal")]
#[wasm_bindgen(js_name = parseNotification)]
pub fn parse_notification(headers: JsValue, channel: JsValue) -> Result<JsValue, JsValue> {
    let read = || -> Result<JsValue, Error> {
        let headers = self::headers(&headers)?;
        let channel = self::channel(&channel)?;
        Ok(convert::output(&Notification::parse(&headers, &channel)?))
    };
    read().map_err(|e| convert::error(&e))
}

/// `channelNeedsRenewal(channel, nowMs, marginMs)`: whether the channel expires within
/// `marginMs` of `nowMs` (the core's `Channel::needs_renewal`).
#[cfg(feature = "gcal")]
#[wasm_bindgen(js_name = channelNeedsRenewal)]
pub fn channel_needs_renewal(
    channel: JsValue,
    now_ms: f64,
    margin_ms: f64,
) -> Result<bool, JsValue> {
    let channel = self::channel(&channel).map_err(|e| convert::error(&e))?;
    Ok(channel.needs_renewal(now_ms as i64, margin_ms as i64))
}

/// `editState(state, how, url, etag)` -> `SyncState`: a copy of the state (an object, or the
/// JSON text a sync result gave as `stateJson`; the one given is not changed) in which the
/// core's `SyncState` recorded, by `how`: 0, `mark_pending(url)` (the app could not apply the
/// member: the next sync fetches it again); 1, `record_write` of the app's own write of `url`
/// with `etag` (`''` for none: an ETag is a quoted string, never empty); 2, `record_delete(url)`;
/// 3, `record_read` of a version the app read at `url` with `etag` (`''` for none).
/// One export for `api.js`'s `markPending`, `recordWrite`, `recordDelete` and `recordRead`.
#[wasm_bindgen(js_name = editState)]
pub fn edit_state_by(
    state: JsValue,
    how: u8,
    url: String,
    etag: String,
) -> Result<JsValue, JsValue> {
    edit_state(&state, &mut |s| match how {
        0 => s.mark_pending(&url),
        1 => s.record_write(&davkit::WriteResult {
            url: url.clone(),
            etag: (!etag.is_empty()).then(|| etag.clone()),
            data: None,
            replaced: false,
        }),
        3 => s.record_read(&url, (!etag.is_empty()).then_some(etag.as_str())),
        _ => s.record_delete(&url),
    })
}

/// A copy of a state given by JS (an object, or the JSON text a sync result gave as
/// `stateJson`; the one given is not changed) with `edit` applied, as an object.
fn edit_state(state: &JsValue, edit: &mut dyn FnMut(&mut SyncState)) -> Result<JsValue, JsValue> {
    let read = || -> Result<SyncState, Error> {
        match StateIn::read(state) {
            StateIn::Text(text) => SyncState::from_json(&text),
            StateIn::Object(state) => {
                state?.ok_or_else(|| read::wrong_type("sync state", &Json::Null, "a sync state"))
            }
        }
    };
    let mut state = read().map_err(|e| convert::error(&e))?;
    edit(&mut state);
    Ok(convert::output(&state))
}
