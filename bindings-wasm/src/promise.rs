//! The one `future_to_promise` of the module: every client method's call (`call.rs`) and
//! OAuth's requests (`oauth.rs`) run their futures through [`spawn`].

use davkit::Error;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::convert;

/// What a future ends with: the JS value the Promise resolves to, or the error it rejects
/// with.
pub(crate) type Out = Result<JsValue, Error>;

/// One `future_to_promise` for every method (not one per method: each copy was about 4 KB of
/// wasm); the futures come boxed.
pub(crate) fn spawn(call: std::pin::Pin<Box<dyn std::future::Future<Output = Out>>>) -> Promise {
    future_to_promise(async move { call.await.map_err(|e| convert::error(&e)) })
}
