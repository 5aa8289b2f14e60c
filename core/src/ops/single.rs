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

    /// The same exchange with its output turned into another by `f`. A host that converts
    /// the outputs of several operations to one type (JSON text, say) then drives them all
    /// with one copy of the code that runs a `SingleExchange` (in WebAssembly, about 2 KB
    /// less per operation).
    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> SingleExchange<U>
    where
        T: 'static,
    {
        let SingleExchange {
            m: Machine { x, done },
            parse,
        } = self;
        let (done, parse): (_, Option<Parse<U>>) = match (done, parse) {
            (Some(result), _) => (Some(result.map(f)), None),
            (None, Some(parse)) => (None, Some(Box::new(move |reply| parse(reply).map(f)))),
            (None, None) => (None, None),
        };
        SingleExchange {
            m: Machine { x, done },
            parse,
        }
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

#[cfg(test)]
mod tests {
    use crate::HttpResponse;
    use crate::auth::Credentials;
    use crate::error::ErrorKind;
    use crate::op::{Operation, Poll};
    use crate::session::{Config, Session};

    fn session() -> Session {
        Session::new(Config::new("https://dav.example.com/", Credentials::None)).unwrap()
    }

    #[test]
    fn a_mapped_exchange_sends_the_same_request_and_maps_its_output() {
        let s = session();
        let mut plain = s.get_object("/cal/a.ics");
        let mut mapped = s.get_object("/cal/a.ics").map(|o| (o.url, o.etag));
        let (Poll::Send(a), Poll::Send(b)) = (plain.poll(), mapped.poll()) else {
            panic!("both send");
        };
        assert_eq!(
            (a.method, &a.url, &a.headers),
            (b.method, &b.url, &b.headers)
        );
        let ok = || {
            let mut r = HttpResponse::new(200, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
            r.headers.push(("ETag".into(), "\"1\"".into()));
            r
        };
        plain.handle_response(a.id, ok());
        mapped.handle_response(b.id, ok());
        let (Poll::Done(Ok(o)), Poll::Done(Ok(m))) = (plain.poll(), mapped.poll()) else {
            panic!("both done");
        };
        assert_eq!((o.url, o.etag), m);
        // An answer the operation refuses is the same error, mapped or not.
        let mut plain = s.get_object("/cal/b.ics");
        let mut mapped = s.get_object("/cal/b.ics").map(|o| o.url);
        let (Poll::Send(a), Poll::Send(b)) = (plain.poll(), mapped.poll()) else {
            panic!("both send");
        };
        plain.handle_response(a.id, HttpResponse::new(404, ""));
        mapped.handle_response(b.id, HttpResponse::new(404, ""));
        let (Poll::Done(Err(e)), Poll::Done(Err(f))) = (plain.poll(), mapped.poll()) else {
            panic!("both fail");
        };
        assert_eq!((e.kind(), e.status()), (f.kind(), f.status()));
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_mapped_exchange_that_failed_before_sending_keeps_its_error() {
        let s = session();
        let mut mapped = s.get_object("http://[bad").map(|o| o.url);
        let Poll::Done(Err(e)) = mapped.poll() else {
            panic!("fails at once");
        };
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
