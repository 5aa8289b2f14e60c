//! One inner operation at a time, run under the outer operation's own request ids: an
//! operation made of steps ([`crate::queue::FlushSteps`], [`crate::ops::schedule::RespondSteps`])
//! starts the operation that makes each step's request here and forwards what it sends and
//! what answers it.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{HttpResponse, RequestId};
use crate::op::{Operation, Poll};

/// Runs the inner operations of an outer one, one after another, numbering their requests in
/// one sequence (a driver or a test that counts attempts by request ids sees one operation).
pub(crate) struct Relay<O> {
    op: Option<O>,
    /// Outer request id -> the inner operation's id, for the current inner operation.
    ids: Vec<(RequestId, RequestId)>,
    next_id: u32,
}

impl<O: Operation> Relay<O> {
    pub(crate) fn new() -> Self {
        Relay {
            op: None,
            ids: Vec::new(),
            next_id: 1,
        }
    }

    /// Starts `op` (the one before it has finished).
    pub(crate) fn start(&mut self, op: O) {
        self.op = Some(op);
        self.ids.clear();
    }

    /// The inner operation's next step under an outer request id, its output when it is done
    /// (the relay is then free for the next one), or `None` when none is running.
    pub(crate) fn poll(&mut self) -> Option<Poll<O::Output>> {
        let op = self.op.as_mut()?;
        Some(match op.poll() {
            Poll::Send(mut request) => {
                let outer = RequestId(self.next_id);
                self.next_id = self.next_id.wrapping_add(1);
                self.ids.push((outer, request.id));
                request.id = outer;
                Poll::Send(request)
            }
            Poll::Wait => Poll::Wait,
            Poll::Done(result) => {
                self.op = None;
                self.ids.clear();
                Poll::Done(result)
            }
        })
    }

    fn route(&mut self, outer: RequestId) -> Option<(RequestId, &mut O)> {
        let index = self.ids.iter().position(|(o, _)| *o == outer)?;
        let (_, inner) = self.ids.swap_remove(index);
        self.op.as_mut().map(|op| (inner, op))
    }

    pub(crate) fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        if let Some((inner, op)) = self.route(id) {
            op.handle_response(inner, response);
        }
    }

    pub(crate) fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        if let Some((inner, op)) = self.route(id) {
            op.handle_transport_error(inner, error);
        }
    }
}

/// The error of steps asked for their next request out of turn: before the last one was
/// answered, or after they ended (one error for every kind of steps).
#[cold]
pub(crate) fn out_of_turn() -> Error {
    Error::new(
        ErrorKind::Protocol,
        "the next step was asked for before the last request was answered, or after the end",
    )
}

/// An inner operation's poll with its result, an error included, made the answer `f` builds:
/// steps read an error as an answer of its kind, so an inner operation never ends the outer
/// one (the inner operation enums of the flush and of respond).
pub(crate) fn answered<T, A>(p: Poll<T>, f: impl FnOnce(Result<T>) -> A) -> Poll<A> {
    match p {
        Poll::Send(r) => Poll::Send(r),
        Poll::Wait => Poll::Wait,
        Poll::Done(r) => Poll::Done(Ok(f(r))),
    }
}
