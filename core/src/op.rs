//! The operation contract: state machines that emit requests and consume responses, and the one
//! async helper, [`drive`], that runs them over any [`Transport`].

mod relay;
pub(crate) use relay::{Relay, answered, out_of_turn};

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::Poll as TaskPoll;

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpRequest, HttpResponse, RequestId};

/// What an operation wants next.
#[derive(Debug)]
#[must_use]
pub enum Poll<T> {
    /// Send this request and feed its response to [`Operation::handle_response`]. Keep polling:
    /// several `Send`s in a row may be sent in parallel.
    Send(HttpRequest),
    /// Nothing to send until a response arrives.
    Wait,
    /// The operation is finished.
    Done(Result<T>),
}

/// A sans-IO operation (discovery, sync, a write, ...).
///
/// The run loop: call [`poll`](Operation::poll) until it returns [`Poll::Wait`] or
/// [`Poll::Done`]; send every request it returned; feed each response to
/// [`handle_response`](Operation::handle_response); poll again.
pub trait Operation {
    /// The result of the operation.
    type Output;

    /// The next thing to do. Call again after every `handle_response`.
    fn poll(&mut self) -> Poll<Self::Output>;

    /// Feeds the response to a request this operation emitted. Unknown ids are ignored.
    fn handle_response(&mut self, id: RequestId, response: HttpResponse);

    /// Tells the operation that the host could not send a request (network, TLS, CORS,
    /// timeout), or that a body it was taking in chunks broke off. The operation may recover
    /// (discovery falls back from a well-known URI a browser cannot follow) or finish with the
    /// error; keep polling afterwards.
    fn handle_transport_error(&mut self, id: RequestId, error: Error);

    /// Offers the head of a response (status, headers, `final_url`; `head.body` is empty)
    /// before its body arrives, for hosts that read bodies as they come ([`drive`] with a
    /// [`Transport`] that overrides [`Transport::send_streaming`]). Returning `true` takes the
    /// body in pieces: [`handle_body_chunk`](Operation::handle_body_chunk) for each, then
    /// [`handle_body_end`](Operation::handle_body_end), or
    /// [`handle_transport_error`](Operation::handle_transport_error) if it breaks off.
    /// Returning `false`, the default, has the whole response given to
    /// [`handle_response`](Operation::handle_response) as usual, so a host that always hands
    /// over whole responses never needs to call these three.
    fn handle_head(&mut self, id: RequestId, head: &HttpResponse) -> bool {
        let _ = (id, head);
        false
    }

    /// The next piece of a body whose head this operation took
    /// ([`handle_head`](Operation::handle_head) returned `true`). Ignored by default.
    fn handle_body_chunk(&mut self, id: RequestId, chunk: &[u8]) {
        let _ = (id, chunk);
    }

    /// The body whose head this operation took has ended. Ignored by default.
    fn handle_body_end(&mut self, id: RequestId) {
        let _ = id;
    }
}

/// An operation driven through a reference (so that the caller keeps it after [`drive`]).
impl<O: Operation + ?Sized> Operation for &mut O {
    type Output = O::Output;

    fn poll(&mut self) -> Poll<Self::Output> {
        (**self).poll()
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        (**self).handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        (**self).handle_transport_error(id, error);
    }

    fn handle_head(&mut self, id: RequestId, head: &HttpResponse) -> bool {
        (**self).handle_head(id, head)
    }

    fn handle_body_chunk(&mut self, id: RequestId, chunk: &[u8]) {
        (**self).handle_body_chunk(id, chunk);
    }

    fn handle_body_end(&mut self, id: RequestId) {
        (**self).handle_body_end(id);
    }
}

/// Where a [`Transport`] that reads bodies as they arrive puts a response: the head first,
/// then the body in pieces ([`Transport::send_streaming`]).
pub trait ResponseSink {
    /// The status, headers and (when the stack followed redirects) final URL; `head.body` is
    /// empty. Called once, before any chunk.
    fn head(&mut self, head: HttpResponse);

    /// The next piece of the decoded body (after `Content-Encoding`).
    fn chunk(&mut self, bytes: &[u8]);

    /// The whole response at once, for a transport that reads bodies whole; the same as
    /// [`head`](ResponseSink::head) then one [`chunk`](ResponseSink::chunk).
    fn whole(&mut self, response: HttpResponse) {
        let mut response = response;
        let body = std::mem::take(&mut response.body);
        self.head(response);
        self.chunk(&body);
    }
}

/// How long davkit's own transports wait for the server to make progress on one request before
/// they fail it with an [`ErrorKind::Transport`] error ("timed out"): from sending it to the
/// answer's head, and then between pieces of its body. Each piece starts the wait again, so a
/// large answer on a slow link takes as long as it needs, and a server or a connection that has
/// gone silent (a peer gone without a reset, a proxy that holds the request) does not hold an
/// operation forever; the body's size is bounded apart ([`Limits::max_body_bytes`]). A failed
/// read is reported like any transport failure: a sync fails without advancing its state, a
/// write is read back before anything is repeated. Applied by
/// [`ReqwestTransport`](crate::ReqwestTransport) (native, and the mobile bindings' built-in
/// transport) and by the npm package's `fetch` transport (its `idleTimeoutMs` option); an app's
/// own transport chooses its own.
///
/// [`Limits::max_body_bytes`]: crate::Limits::max_body_bytes
pub const REQUEST_IDLE_TIMEOUT_MS: u64 = 60_000;

/// The host's HTTP stack.
///
/// Implementations send the request as given (method, URL, headers, body), should not follow
/// redirects themselves when they can avoid it (the core follows them and decides where
/// credentials may go), decode any `Content-Encoding`, and report failures as
/// [`ErrorKind::Transport`] errors. When the stack did follow redirects (browser `fetch`),
/// set [`HttpResponse::final_url`].
pub trait Transport {
    /// Sends one request.
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse>>;

    /// Waits `ms` milliseconds before a rate-limited operation is retried. Returns `false`
    /// when this transport cannot wait, which is the default and turns retries off.
    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        let _ = ms;
        std::future::ready(false)
    }

    /// Sends one request and hands its response to `sink` as it arrives: the head once, then
    /// the body in chunks; the future ends with the body. An error after the head means the
    /// body broke off (the sink has had part of it). The default sends with
    /// [`send`](Transport::send) and hands over the whole response
    /// ([`ResponseSink::whole`]); a stack that reads bodies in pieces (reqwest) overrides it,
    /// so that an operation can read a large answer as it comes instead of holding it whole.
    /// [`drive`] uses this method.
    fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> impl Future<Output = Result<()>> {
        async move {
            sink.whole(self.send(request).await?);
            Ok(())
        }
    }
}

/// Runs an operation to completion over a transport.
///
/// Requests that the operation releases together are sent concurrently. There is no executor
/// and no `Send` bound here, so this works on wasm and in any async runtime.
///
/// This is a thin typed shell: the loop itself (`drive_erased`) drives the operation as a
/// `&mut dyn Operation<Output = ()>` (`Erased` keeps the typed output aside), so its code
/// exists once per transport type, not once per operation type (each DavClient method's future
/// carried a copy of about 4 KB in the npm module).
pub async fn drive<O, T>(op: O, transport: &T) -> Result<O::Output>
where
    O: Operation,
    T: Transport + ?Sized,
{
    let mut erased = Erased { op, output: None };
    drive_erased::<dyn Operation<Output = ()>, T>(&mut erased, transport).await?;
    erased.output.ok_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            "the operation finished without an output",
        )
    })
}

/// An operation seen without its output type: [`Poll::Done`] with a value puts the value in
/// `output` and reports `Done(Ok(()))`; everything else passes through unchanged.
pub(crate) struct Erased<O: Operation> {
    /// The operation.
    pub(crate) op: O,
    /// Its output, once it finished with one.
    pub(crate) output: Option<O::Output>,
}

impl<O: Operation> Erased<O> {
    /// `op`, not finished yet.
    pub(crate) fn new(op: O) -> Self {
        Erased { op, output: None }
    }
}

impl<O: Operation> Operation for Erased<O> {
    type Output = ();

    fn poll(&mut self) -> Poll<()> {
        match self.op.poll() {
            Poll::Send(request) => Poll::Send(request),
            Poll::Wait => Poll::Wait,
            Poll::Done(Ok(value)) => {
                self.output = Some(value);
                Poll::Done(Ok(()))
            }
            Poll::Done(Err(error)) => Poll::Done(Err(error)),
        }
    }

    fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        self.op.handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        self.op.handle_transport_error(id, error);
    }

    fn handle_head(&mut self, id: RequestId, head: &HttpResponse) -> bool {
        self.op.handle_head(id, head)
    }

    fn handle_body_chunk(&mut self, id: RequestId, chunk: &[u8]) {
        self.op.handle_body_chunk(id, chunk);
    }

    fn handle_body_end(&mut self, id: RequestId) {
        self.op.handle_body_end(id);
    }
}

/// The loop behind [`drive`], for an operation seen through `D` (a `dyn Operation`), so that
/// there is one copy per transport type and `D`, not one per operation type.
pub(crate) async fn drive_erased<D, T>(op: &mut D, transport: &T) -> Result<()>
where
    D: Operation<Output = ()> + ?Sized,
    T: Transport + ?Sized,
{
    loop {
        let mut batch = Vec::new();
        loop {
            match op.poll() {
                Poll::Send(request) => batch.push(request),
                Poll::Wait => break,
                Poll::Done(result) => return result,
            }
        }
        if batch.is_empty() {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the operation is waiting but has no request in flight",
            ));
        }
        // The operation is shared by the requests of a round: each takes it (never across an
        // await) to offer it a head and to hand it the chunks of a body it took.
        let shared: Mutex<&mut D> = Mutex::new(&mut *op);
        let sends = batch.into_iter().map(|request| {
            let shared = &shared;
            async move {
                let mut sink = DriveSink {
                    op: shared,
                    id: request.id,
                    state: SinkState::Waiting,
                };
                let result = transport.send_streaming(request, &mut sink).await;
                (sink.id, sink.state, result)
            }
        });
        let outcomes = join_all(sends.collect()).await;
        // Ends, whole responses and failures in request order, as before bodies were streamed.
        for (id, state, result) in outcomes {
            match (state, result) {
                (_, Err(error)) => op.handle_transport_error(id, error),
                (SinkState::Taken, Ok(())) => op.handle_body_end(id),
                (SinkState::Whole(response), Ok(())) => op.handle_response(id, response),
                (SinkState::Waiting, Ok(())) => op.handle_transport_error(
                    id,
                    Error::new(ErrorKind::Transport, "the transport gave no response"),
                ),
            }
        }
    }
}

/// What [`drive`] has of one response.
enum SinkState {
    /// No head yet.
    Waiting,
    /// The operation takes the body in chunks.
    Taken,
    /// Read whole (the body so far), for [`Operation::handle_response`].
    Whole(HttpResponse),
}

/// The sink [`drive`] hands the transport for one request.
struct DriveSink<'a, 'o, D: ?Sized> {
    op: &'a Mutex<&'o mut D>,
    id: RequestId,
    state: SinkState,
}

impl<'o, D: Operation + ?Sized> DriveSink<'_, 'o, D> {
    fn op(&self) -> std::sync::MutexGuard<'_, &'o mut D> {
        self.op
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<D: Operation + ?Sized> ResponseSink for DriveSink<'_, '_, D> {
    fn head(&mut self, head: HttpResponse) {
        if !matches!(self.state, SinkState::Waiting) {
            return;
        }
        let taken = self.op().handle_head(self.id, &head);
        self.state = if taken {
            SinkState::Taken
        } else {
            SinkState::Whole(head)
        };
    }

    fn chunk(&mut self, bytes: &[u8]) {
        match &mut self.state {
            SinkState::Taken => {
                let id = self.id;
                self.op().handle_body_chunk(id, bytes);
            }
            SinkState::Whole(response) => response.body.extend_from_slice(bytes),
            SinkState::Waiting => {}
        }
    }

    fn whole(&mut self, response: HttpResponse) {
        if !matches!(self.state, SinkState::Waiting) {
            return;
        }
        let id = self.id;
        let taken = self.op().handle_head(id, &response);
        if taken {
            // The operation reads the body from the response as it is, without a copy.
            self.op().handle_body_chunk(id, &response.body);
            self.state = SinkState::Taken;
        } else {
            self.state = SinkState::Whole(response);
        }
    }
}

/// Polls several futures at once and returns their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    TaskPoll::Ready(value) => *output = Some(value),
                    TaskPoll::Pending => pending = true,
                }
            }
        }
        if pending {
            TaskPoll::Pending
        } else {
            TaskPoll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse>> {
        (**self).send(request)
    }

    fn sleep(&self, ms: u64) -> impl Future<Output = bool> {
        (**self).sleep(ms)
    }

    fn send_streaming<S: ResponseSink>(
        &self,
        request: HttpRequest,
        sink: &mut S,
    ) -> impl Future<Output = Result<()>> {
        (**self).send_streaming(request, sink)
    }
}
