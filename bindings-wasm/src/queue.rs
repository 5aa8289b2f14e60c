//! The offline write queue for JS: the core's [`davkit::WriteQueue`] as a wasm object (its state
//! is the core's JSON: `toJson`, `fromJson`, the text `beginFlush` returns), and
//! `Client::flush`, which runs the core's flush on a snapshot and resolves to a [`FlushOutput`]
//! for [`Queue::apply_result`]. The JS wrapper (`WriteQueue` in
//! `npm/src/api.js`) calls these; nothing is decided here.

use davkit::{Error, ErrorKind, FlushResult, Policy, Resolution, WriteQueue};
use wasm_bindgen::prelude::*;

use crate::{convert, read};

/// Entry ids cross as JS numbers (a queue never reaches 2^53 entries).
fn id_in(id: f64) -> Result<u64, JsValue> {
    if id.fract() == 0.0 && (0.0..9.007_199_254_740_992e15).contains(&id) {
        Ok(id as u64)
    } else {
        Err(convert::error(&Error::new(
            ErrorKind::InvalidInput,
            "a queue entry id is a whole number",
        )))
    }
}

/// A resolution as JS passes it: `{ type: 'keep-server' | 'keep-local' }` or
/// `{ type: 'replace', data }` (the core's serde form).
fn resolution(value: &JsValue) -> Result<Resolution, Error> {
    const WHAT: &str =
        "resolution ({ type: 'keep-server' | 'keep-local' } or { type: 'replace', data })";
    let v = read::value(value);
    let f = read::Fields::of(WHAT, &v, "a resolution")?;
    let names = ["keep-server", "keep-local", "replace"];
    Ok(match read::name(WHAT, &f.string("type")?, &names)? {
        0 => Resolution::KeepServer,
        1 => Resolution::KeepLocal,
        _ => Resolution::Replace(f.string("data")?),
    })
}

/// Policy names, by hand: serde's name lookup would pull a JSON value tree into the module.
const POLICIES: [(&str, Policy); 5] = [
    ("keep-both", Policy::KeepBoth),
    ("server-wins", Policy::ServerWins),
    ("local-wins", Policy::LocalWins),
    ("newest-wins", Policy::NewestWins),
    ("merge", Policy::Merge),
];

fn policy(name: &str) -> Result<Policy, JsValue> {
    POLICIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .ok_or_else(|| {
            convert::error(&Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "unknown queue policy `{name}` (keep-both, server-wins, local-wins, \
                     newest-wins, merge)"
                ),
            ))
        })
}

fn js<T>(r: davkit::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| convert::error(&e))
}

/// The core's write queue, held by the JS `WriteQueue`.
#[wasm_bindgen]
pub struct Queue {
    pub(crate) inner: WriteQueue,
}

#[wasm_bindgen]
impl Queue {
    /// An empty queue with a policy by name (`keep-both` when `undefined`).
    #[wasm_bindgen(constructor)]
    pub fn new(policy_name: Option<String>) -> Result<Queue, JsValue> {
        let p = match policy_name {
            Some(name) => policy(&name)?,
            None => Policy::default(),
        };
        Ok(Queue {
            inner: WriteQueue::with_policy(p),
        })
    }

    /// The queue stored earlier.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<Queue, JsValue> {
        Ok(Queue {
            inner: js(WriteQueue::from_json(json))?,
        })
    }

    /// The queue as JSON text (the core's format), to store.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Queues a create; the entry's id.
    #[wasm_bindgen(js_name = enqueueCreate)]
    pub fn enqueue_create(
        &mut self,
        collection_url: &str,
        name: &str,
        data: &str,
    ) -> Result<f64, JsValue> {
        Ok(js(self.inner.enqueue_create(collection_url, name, data))? as f64)
    }

    /// Queues an update made on `base_etag` (and `base_data` for merges); the entry's id.
    #[wasm_bindgen(js_name = enqueueUpdate)]
    pub fn enqueue_update(
        &mut self,
        url: &str,
        data: &str,
        base_etag: &str,
        base_data: Option<String>,
    ) -> Result<f64, JsValue> {
        let id = self
            .inner
            .enqueue_update(url, data, base_etag, base_data.as_deref());
        Ok(js(id)? as f64)
    }

    /// Queues a delete made on `base_etag`; the entry's id.
    #[wasm_bindgen(js_name = enqueueDelete)]
    pub fn enqueue_delete(
        &mut self,
        url: &str,
        base_etag: &str,
        base_data: Option<String>,
    ) -> Result<f64, JsValue> {
        let id = self
            .inner
            .enqueue_delete(url, base_etag, base_data.as_deref());
        Ok(js(id)? as f64)
    }

    /// The queue's policy by name.
    #[wasm_bindgen(getter)]
    pub fn policy(&self) -> String {
        let name = POLICIES.iter().find(|(_, p)| *p == self.inner.policy);
        name.map_or("", |(n, _)| n).to_owned()
    }

    /// Sets the queue's policy by name.
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(&mut self, name: &str) -> Result<(), JsValue> {
        self.inner.policy = policy(name)?;
        Ok(())
    }

    /// Sets one entry's policy by name (`undefined`: the queue's).
    #[wasm_bindgen(js_name = setEntryPolicy)]
    pub fn set_entry_policy(&mut self, id: f64, name: Option<String>) -> Result<(), JsValue> {
        let p = name.as_deref().map(policy).transpose()?;
        js(self.inner.set_entry_policy(id_in(id)?, p))
    }

    /// Marks the pending entries as being sent; the JSON to store before flushing.
    #[wasm_bindgen(js_name = beginFlush)]
    pub fn begin_flush(&mut self) -> String {
        self.inner.begin_flush()
    }

    /// Resolves an entry: `{ type: 'keep-server' | 'keep-local' }` or
    /// `{ type: 'replace', data }`. Returns the URL the app must drop (the entry's `movedFrom`
    /// when it left the queue), or `undefined`.
    pub fn resolve(&mut self, id: f64, resolution: JsValue) -> Result<Option<String>, JsValue> {
        let r = js(self::resolution(&resolution))?;
        js(self.inner.resolve(id_in(id)?, r))
    }

    /// How many entries the queue holds (without converting them, as `entries()` would).
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.inner.entries().len() as f64
    }

    /// The entries (camelCase keys).
    pub fn entries(&self) -> JsValue {
        convert::output(self.inner.entries())
    }

    /// The id of the entry queued for an object (any spelling of its URL), or `undefined`.
    #[wasm_bindgen(js_name = entryFor)]
    pub fn entry_for(&self, url: &str) -> Option<f64> {
        self.inner.entry_for(url).map(|e| e.id as f64)
    }

    /// The core's `WriteQueue::hold_version`: the id of the entry that holds back a sync's
    /// version of an object (its URL, ETag and data; `null`s for a deletion), if any: the
    /// entry queued for that URL, or a create a flush may have posted that the server stored
    /// there (its entry becomes an update of that object).
    #[wasm_bindgen(js_name = holdVersion)]
    pub fn hold_version(
        &mut self,
        url: &str,
        etag: Option<String>,
        data: Option<String>,
    ) -> Option<f64> {
        self.inner
            .hold_version(url, etag.as_deref(), data.as_deref())
            .map(|id| id as f64)
    }

    /// Applies a flush's result (what `Client::flush` resolved to) to this queue, which may
    /// have been edited meanwhile; returns `{ outcomes, stopped, readOnce }` for the app
    /// (camelCase, `stopped` an error object or `null`, `readOnce` the entries left pending
    /// until the next flush's read answers the same).
    #[wasm_bindgen(js_name = applyResult)]
    pub fn apply_result(&mut self, result: &FlushOutput) -> JsValue {
        let r = &result.inner;
        self.inner.apply(r);
        let out = js_sys::Object::new();
        convert::set(&out, "outcomes", &convert::output(&r.outcomes));
        let stopped = r.stopped.as_ref().map_or(JsValue::NULL, convert::error);
        convert::set(&out, "stopped", &stopped);
        convert::set(&out, "readOnce", &convert::output(&r.read_once));
        out.into()
    }
}

/// A flush's result, kept in the module until `Queue::applyResult` (no JSON round trip).
#[wasm_bindgen]
pub struct FlushOutput {
    pub(crate) inner: FlushResult,
}
