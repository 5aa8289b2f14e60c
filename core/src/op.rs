//! The operation contract: state machines that emit requests and consume responses, and the one
//! async helper, [`drive`], that runs them over any [`Transport`].

use std::future::{Future, poll_fn};
use std::pin::Pin;
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
    /// timeout). The operation may recover (discovery falls back from a well-known URI a
    /// browser cannot follow) or finish with the error; keep polling afterwards.
    fn handle_transport_error(&mut self, id: RequestId, error: Error);
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
}

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
}

/// Runs an operation to completion over a transport.
///
/// Requests that the operation releases together are sent concurrently. There is no executor
/// and no `Send` bound here, so this works on wasm and in any async runtime.
pub async fn drive<O, T>(mut op: O, transport: &T) -> Result<O::Output>
where
    O: Operation,
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
        let sends = batch.into_iter().map(|request| {
            let id = request.id;
            async move { (id, transport.send(request).await) }
        });
        for (id, result) in join_all(sends.collect()).await {
            match result {
                Ok(response) => op.handle_response(id, response),
                Err(error) => op.handle_transport_error(id, error),
            }
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
}
