//! calendarList.list over all pages ([`GcalList`], [`Session::gcal_calendars`]).

use crate::url::Url;

use super::read::calendar_list;
use super::{CalendarListEntry, Paging, api_url, json_reply};
use crate::error::{Error, ErrorKind, Result};
use crate::exchange::{Machine, Reply, Spec, impl_operation};
use crate::http::Method;
use crate::session::Session;

/// calendarList.list over all pages; create it with [`Session::gcal_calendars`]. A repeated
/// page token ([`ErrorKind::Protocol`]) or more than
/// [`Limits::max_sync_pages`](crate::Limits::max_sync_pages) pages
/// ([`ErrorKind::LimitExceeded`]) fail it.
pub struct GcalList {
    m: Machine<(), Vec<CalendarListEntry>>,
    base: Option<Url>,
    found: Vec<CalendarListEntry>,
    paging: Paging,
}

impl Session {
    /// Lists the user's calendars (calendarList.list, all pages).
    pub fn gcal_calendars(&self) -> GcalList {
        let mut op = GcalList {
            m: Machine::new(self.ctx.clone()),
            base: None,
            found: Vec::new(),
            paging: Paging::new(self.ctx.limits.max_sync_pages),
        };
        match api_url(self, "users/me/calendarList") {
            Ok(url) => {
                op.base = Some(url.clone());
                op.m.x.send((), Spec::new(Method::Get, url));
            }
            Err(e) => op.m.fail(e),
        }
        op
    }
}

impl GcalList {
    fn on_reply(&mut self, _tag: (), reply: Result<Reply>) {
        let url = reply.as_ref().map(|r| r.url.to_string()).ok();
        let max = self.m.x.ctx().limits.max_json_values;
        let outcome = reply.and_then(|r| json_reply(&r, max)).and_then(|v| {
            let (entries, next) = calendar_list(&v)?;
            self.found.extend(entries);
            Ok(next)
        });
        let outcome = outcome.and_then(|next| match next {
            Some(page) => match self.paging.follow("calendarList.list", &page) {
                Ok(()) => Ok(Some(page)),
                Err(e) => Err(match &url {
                    Some(url) => e.with_url(url),
                    None => e,
                }),
            },
            None => Ok(None),
        });
        match outcome {
            Ok(Some(page)) => match self.base.clone() {
                Some(mut url) => {
                    url.query_pairs_mut().append_pair("pageToken", &page);
                    self.m.x.send((), Spec::new(Method::Get, url));
                }
                None => self.m.fail(Error::new(ErrorKind::Protocol, "no base URL")),
            },
            Ok(None) => {
                let found = std::mem::take(&mut self.found);
                self.m.finish(Ok(found));
            }
            Err(e) => self.m.fail(e),
        }
    }
}

impl_operation!(GcalList, Vec<CalendarListEntry>);
