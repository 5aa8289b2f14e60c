//! The one future every `Client` method runs (the `client` feature): a method reads its
//! arguments and builds the core's `Call` of its operation (`SyncCall` for the syncs)
//! synchronously, and [`drive`] runs it through the core's retry loop (`DavClient::run_dyn`)
//! and converts its output. One
//! `async` block for all methods, not one each: each held the core's retry loop inlined, about
//! 1.3 KB of wasm apiece (36 of them, 47 KB of the full module).

use std::rc::Rc;

use davkit::Error;
use davkit::client::{Attempts, Call};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::client::Core;
use crate::{Client, convert};

pub(crate) use crate::promise::{Out, spawn};

/// One method's call as the shared driver ([`drive`]) sees it: the core's attempts of its
/// operation, and how the operation's output becomes the JS value the Promise resolves to.
pub(crate) trait JsCall {
    /// The attempts, for `DavClient::run_dyn`.
    fn attempts(&mut self) -> &mut dyn Attempts;
    /// The converted output, from what `run_dyn` returned.
    fn finish(&mut self, run: davkit::Result<()>, parse: &convert::Parse) -> Out;
}

/// How a method's output becomes its JS value (with the client's `parse` setting, for the
/// methods that return objects).
pub(crate) type Convert<T> = fn(T, &convert::Parse) -> Out;

/// A [`JsCall`] of a core [`Call`] and its conversion.
struct Typed<I, O: davkit::Operation> {
    call: Call<'static, I, O>,
    convert: Convert<O::Output>,
}

impl<I, O> JsCall for Typed<I, O>
where
    I: Send,
    O: davkit::Operation + Send,
    O::Output: Send,
{
    fn attempts(&mut self) -> &mut dyn Attempts {
        &mut self.call
    }

    fn finish(&mut self, run: davkit::Result<()>, parse: &convert::Parse) -> Out {
        run?;
        (self.convert)(self.call.output()?, parse)
    }
}

/// The output as JS receives it (the core's serde form, camelCase keys).
pub(crate) fn plain<T: serde::Serialize>(output: T, _: &convert::Parse) -> Out {
    Ok(convert::output(&output))
}

/// `undefined`, for the methods that resolve to nothing.
pub(crate) fn nothing<T>(_: T, _: &convert::Parse) -> Out {
    Ok(JsValue::UNDEFINED)
}

impl Client {
    /// Runs one core call as a Promise that resolves to its output converted by `convert`, or
    /// rejects with the error object (at once when the arguments could not be read).
    ///
    /// The method builds the core's [`Call`] here, synchronously; every method's call is then
    /// run by the one future of [`drive`] (each method had its own async block, about 1.3 KB
    /// of wasm apiece with the core's retry loop inlined).
    pub(crate) fn call<I, O>(
        &self,
        call: Result<Call<'static, I, O>, Error>,
        convert: Convert<O::Output>,
    ) -> Promise
    where
        I: Send + 'static,
        O: davkit::Operation + Send + 'static,
        O::Output: Send,
    {
        let call = call.map(|call| Box::new(Typed { call, convert }) as Box<dyn JsCall>);
        drive(self.inner.clone(), self.parse.clone(), call)
    }
}

/// The one future behind every method of [`Client`] that runs a core call: the core's retry
/// loop (`DavClient::run_dyn`: token refresh, rate-limit retries, the sync state moved from
/// attempt to attempt) over the call, then its conversion with the client's
/// `parse` setting (held here, once, rather than in each method's call).
pub(crate) fn drive(
    client: Rc<Core>,
    parse: convert::Parse,
    call: Result<Box<dyn JsCall>, Error>,
) -> Promise {
    spawn(Box::pin(async move {
        let mut call = call?;
        let run = client.run_dyn(call.attempts()).await;
        call.finish(run, &parse)
    }))
}
