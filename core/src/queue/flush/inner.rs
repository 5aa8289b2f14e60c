//! The inner operations a flush runs (a write, a GET, a listing, a multiget) behind one type,
//! so the flush forwards their requests and answers the same way.

use crate::error::{Error, Result};
use crate::http::{HttpResponse, RequestId};
use crate::model::{DavObject, WriteResult};
use crate::op::{Operation, Poll};
use crate::ops::objects::MultigetResult;
use crate::ops::single::SingleExchange;
use crate::ops::write::Write;

pub(super) enum Inner {
    Write(Box<Write>),
    Get(SingleExchange<DavObject>),
    List(SingleExchange<Vec<String>>),
    Multiget(crate::ops::objects::Multiget),
}

pub(super) enum InnerDone {
    Write(Result<WriteResult>),
    Get(Result<DavObject>),
    List(Result<Vec<String>>),
    Multiget(Result<MultigetResult>),
}

impl Inner {
    pub(super) fn poll(&mut self) -> Poll<InnerDone> {
        fn map<T>(p: Poll<T>, f: impl FnOnce(Result<T>) -> InnerDone) -> Poll<InnerDone> {
            match p {
                Poll::Send(r) => Poll::Send(r),
                Poll::Wait => Poll::Wait,
                Poll::Done(r) => Poll::Done(Ok(f(r))),
            }
        }
        match self {
            Inner::Write(op) => map(op.poll(), InnerDone::Write),
            Inner::Get(op) => map(op.poll(), InnerDone::Get),
            Inner::List(op) => map(op.poll(), InnerDone::List),
            Inner::Multiget(op) => map(op.poll(), InnerDone::Multiget),
        }
    }

    pub(super) fn handle_response(&mut self, id: RequestId, response: HttpResponse) {
        match self {
            Inner::Write(op) => op.handle_response(id, response),
            Inner::Get(op) => op.handle_response(id, response),
            Inner::List(op) => op.handle_response(id, response),
            Inner::Multiget(op) => op.handle_response(id, response),
        }
    }

    pub(super) fn handle_transport_error(&mut self, id: RequestId, error: Error) {
        match self {
            Inner::Write(op) => op.handle_transport_error(id, error),
            Inner::Get(op) => op.handle_transport_error(id, error),
            Inner::List(op) => op.handle_transport_error(id, error),
            Inner::Multiget(op) => op.handle_transport_error(id, error),
        }
    }
}
