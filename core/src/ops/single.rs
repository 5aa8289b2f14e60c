//! An operation made of one request and one parse step (GET, PUT, DELETE, PROPPATCH, ...).

use crate::error::{Error, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::session::Context;

type Parse<T> = Box<dyn FnOnce(Reply) -> Result<T> + Send>;

/// A one-request operation. Its output type says what it returns.
pub struct SingleExchange<T> {
    m: Machine<(), T>,
    parse: Option<Parse<T>>,
}

impl<T> SingleExchange<T> {
    pub(crate) fn new(
        ctx: std::sync::Arc<Context>,
        spec: Spec,
        parse: impl FnOnce(Reply) -> Result<T> + Send + 'static,
    ) -> Self {
        let mut m = Machine::new(ctx);
        m.x.send((), spec);
        SingleExchange {
            m,
            parse: Some(Box::new(parse)),
        }
    }

    /// An operation that fails at once, before sending anything.
    pub(crate) fn failed(ctx: std::sync::Arc<Context>, error: Error) -> Self {
        let mut m = Machine::new(ctx);
        m.fail(error);
        SingleExchange { m, parse: None }
    }

    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let result = match (reply, self.parse.take()) {
            (Ok(reply), Some(parse)) => parse(reply),
            (Err(e), _) => Err(e),
            (Ok(_), None) => return,
        };
        self.m.finish(result);
    }
}

impl<T> std::fmt::Debug for SingleExchange<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleExchange").finish_non_exhaustive()
    }
}

impl_operation!([T] SingleExchange<T>, T);
