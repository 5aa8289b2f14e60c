//! CalDAV scheduling (RFC 6638): the principal properties that say where a user's scheduling
//! inbox and outbox are and which calendar-user addresses are theirs, and whether the server
//! schedules at all (`calendar-auto-schedule` in the `DAV` response header, RFC 6638 §2).
//!
//! Discovery ([`Session::discover`](crate::Session::discover)) asks for these properties in
//! the PROPFIND it already sends to the principal, so a server that does not schedule costs
//! no extra request; the result is [`Scheduling`], in
//! [`Discovery::scheduling`](crate::model::Discovery::scheduling).

use crate::url::Url;
use serde::{Deserialize, Serialize};

use crate::http::HttpResponse;
use crate::rfc4918::multistatus::Response;
use crate::xml::{CALDAV, DAV, QName};

/// `CALDAV:calendar-user-address-set` (RFC 6638 §2.4.1): the user's addresses (`mailto:` ...).
pub const CALENDAR_USER_ADDRESS_SET: QName = QName::new(CALDAV, "calendar-user-address-set");
/// `CALDAV:schedule-inbox-URL` (RFC 6638 §2.2.1).
pub const SCHEDULE_INBOX_URL: QName = QName::new(CALDAV, "schedule-inbox-URL");
/// `CALDAV:schedule-outbox-URL` (RFC 6638 §2.1.1).
pub const SCHEDULE_OUTBOX_URL: QName = QName::new(CALDAV, "schedule-outbox-URL");
/// `CALDAV:schedule-default-calendar-URL` (RFC 6638 §9.2).
pub const SCHEDULE_DEFAULT_CALENDAR_URL: QName =
    QName::new(CALDAV, "schedule-default-calendar-URL");

/// The scheduling properties discovery asks of the principal.
pub const SCHEDULING_PROPS: [QName; 4] = [
    CALENDAR_USER_ADDRESS_SET,
    SCHEDULE_INBOX_URL,
    SCHEDULE_OUTBOX_URL,
    SCHEDULE_DEFAULT_CALENDAR_URL,
];

/// Most calendar-user addresses kept from one `calendar-user-address-set`; the rest are
/// dropped (a principal has a handful: its `mailto:` addresses and its own URL).
pub const MAX_USER_ADDRESSES: usize = 64;

/// What the server says about scheduling for the discovered principal (RFC 6638 §2).
///
/// Every field is empty when the server did not say: a server that does not schedule reports
/// none of the properties, and a principal without an outbox cannot send free-busy requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct Scheduling {
    /// `calendar-user-address-set`: the principal's calendar-user addresses, as the server
    /// wrote them (`mailto:alice@example.com`, a principal URL ...), in the server's order.
    #[serde(default)]
    pub user_addresses: Vec<String>,
    /// The address the server marks `preferred="1"` in `calendar-user-address-set` (iCloud's
    /// answers carry this attribute, server-profiles §iCloud props); the one to use as
    /// ORGANIZER. `None` when none is marked.
    #[serde(default)]
    pub preferred_address: Option<String>,
    /// `schedule-inbox-URL`, absolute.
    #[serde(default)]
    pub inbox_url: Option<String>,
    /// `schedule-outbox-URL`, absolute.
    #[serde(default)]
    pub outbox_url: Option<String>,
    /// `schedule-default-calendar-URL`, absolute: where the server files the invitations it
    /// accepts on the user's behalf.
    #[serde(default)]
    pub default_calendar_url: Option<String>,
    /// Whether a `DAV` response header listed `calendar-auto-schedule` (the server delivers
    /// invitations itself when an organizer's event is written); `None` when no answer seen
    /// by discovery carried a `DAV` header: neither its PROPFIND answers nor, where the
    /// principal has a scheduling inbox or outbox, the answer to the OPTIONS it then sends to
    /// the calendar home set (RFC 6638 §2; Cyrus and Xandikos send the header only there).
    #[serde(default)]
    pub auto_schedule: Option<bool>,
}

impl Scheduling {
    /// Whether anything at all was reported.
    pub fn is_empty(&self) -> bool {
        *self == Scheduling::default()
    }

    /// Fills the fields still empty from a PROPFIND response of the principal (hrefs resolved
    /// against `base`). Unresolvable hrefs are skipped: they are the server's to fix, and the
    /// rest of discovery does not depend on them.
    pub fn read_response(&mut self, response: &Response, base: &Url) {
        let url_of = |name: &QName| {
            response
                .prop(name)
                .and_then(|e| e.hrefs().into_iter().next())
                .and_then(|h| crate::href::resolve(base, &h).ok())
                .map(|u| u.to_string())
        };
        if self.inbox_url.is_none() {
            self.inbox_url = url_of(&SCHEDULE_INBOX_URL);
        }
        if self.outbox_url.is_none() {
            self.outbox_url = url_of(&SCHEDULE_OUTBOX_URL);
        }
        if self.default_calendar_url.is_none() {
            self.default_calendar_url = url_of(&SCHEDULE_DEFAULT_CALENDAR_URL);
        }
        if self.user_addresses.is_empty()
            && let Some(set) = response.prop(&CALENDAR_USER_ADDRESS_SET)
        {
            for e in set.elements().filter(|e| e.name.is(DAV, "href")) {
                let Some(h) = e.trimmed_text() else {
                    continue;
                };
                let preferred = e
                    .attribute("preferred")
                    .is_some_and(|v| matches!(v.trim(), "1" | "true"));
                if preferred && self.preferred_address.is_none() {
                    self.preferred_address = Some(h.clone());
                }
                if self.user_addresses.contains(&h) {
                    continue;
                }
                if self.user_addresses.len() >= MAX_USER_ADDRESSES {
                    break;
                }
                self.user_addresses.push(h);
            }
        }
    }

    /// Notes the `DAV` headers of an answer: `calendar-auto-schedule` among them sets
    /// [`auto_schedule`](Self::auto_schedule); a `DAV` header without it sets it to `false`
    /// unless an earlier answer said `true`.
    pub fn read_headers(&mut self, response: &HttpResponse) {
        if let Some(found) = auto_schedule(response) {
            self.auto_schedule = Some(self.auto_schedule == Some(true) || found);
        }
    }
}

/// Whether the `DAV` header(s) of an answer list `calendar-auto-schedule`; `None` when the
/// answer has no `DAV` header.
pub fn auto_schedule(response: &HttpResponse) -> Option<bool> {
    let mut seen = false;
    for (name, value) in &response.headers {
        if !name.eq_ignore_ascii_case("DAV") {
            continue;
        }
        seen = true;
        if value
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("calendar-auto-schedule"))
        {
            return Some(true);
        }
    }
    seen.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc4918::multistatus;

    /// RFC 6638 §2.4.1's example property, with the inbox and outbox of §2.1.1 / §2.2.1 and
    /// the default calendar of §9.2, as one principal answer.
    const PRINCIPAL: &str = r#"<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:response><D:href>/principals/users/cyrus/</D:href>
    <D:propstat><D:prop>
      <C:calendar-user-address-set>
        <D:href>mailto:cdaboo@example.com</D:href>
        <D:href>mailto:cyrus@example.com</D:href>
        <D:href>mailto:cyrus@example.com</D:href>
      </C:calendar-user-address-set>
      <C:schedule-inbox-URL><D:href>/home/cyrus/inbox/</D:href></C:schedule-inbox-URL>
      <C:schedule-outbox-URL><D:href>https://cal.example.com/home/cyrus/outbox/</D:href></C:schedule-outbox-URL>
      <C:schedule-default-calendar-URL><D:href>/home/cyrus/calendars/work/</D:href></C:schedule-default-calendar-URL>
    </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
</D:multistatus>"#;

    #[test]
    fn reads_the_rfc_example_properties() {
        let base =
            Url::parse("https://cal.example.com/principals/users/cyrus/").expect("test input");
        let ms = multistatus::parse(PRINCIPAL.as_bytes(), base.as_str()).expect("test input");
        let mut s = Scheduling::default();
        s.read_response(&ms.responses[0], &base);
        assert_eq!(
            s.user_addresses,
            ["mailto:cdaboo@example.com", "mailto:cyrus@example.com"]
        );
        assert_eq!(
            s.inbox_url.as_deref(),
            Some("https://cal.example.com/home/cyrus/inbox/")
        );
        assert_eq!(
            s.outbox_url.as_deref(),
            Some("https://cal.example.com/home/cyrus/outbox/")
        );
        assert_eq!(
            s.default_calendar_url.as_deref(),
            Some("https://cal.example.com/home/cyrus/calendars/work/")
        );
        assert_eq!(s.auto_schedule, None);
    }

    #[test]
    fn icloud_marks_the_preferred_address() {
        // the shape server-profiles.md describes for iCloud's calendar-user-address-set
        let body = r#"<multistatus xmlns="DAV:"><response><href>/17149682/principal/</href><propstat><prop><calendar-user-address-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">urn:uuid:abc</href><href xmlns="DAV:" preferred="1">mailto:alice@icloud.com</href><href xmlns="DAV:">/17149682/principal/</href></calendar-user-address-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
        let base = Url::parse("https://p42-caldav.icloud.com/17149682/principal/").unwrap();
        let ms = multistatus::parse(body.as_bytes(), base.as_str()).unwrap();
        let mut s = Scheduling::default();
        s.read_response(&ms.responses[0], &base);
        assert_eq!(
            s.preferred_address.as_deref(),
            Some("mailto:alice@icloud.com")
        );
        assert_eq!(s.user_addresses.len(), 3);
    }

    #[test]
    fn dav_header_tokens() {
        let r = HttpResponse::new(207, "")
            .with_header("DAV", "1, 3, access-control")
            .with_header("dav", "calendar-access, Calendar-Auto-Schedule");
        assert_eq!(auto_schedule(&r), Some(true));
        let r = HttpResponse::new(207, "").with_header("DAV", "1, 2, calendar-access");
        assert_eq!(auto_schedule(&r), Some(false));
        assert_eq!(auto_schedule(&HttpResponse::new(207, "")), None);
        // a later answer without the token does not undo an earlier one with it
        let mut s = Scheduling::default();
        s.read_headers(&HttpResponse::new(207, "").with_header("DAV", "calendar-auto-schedule"));
        s.read_headers(&HttpResponse::new(207, "").with_header("DAV", "1"));
        assert_eq!(s.auto_schedule, Some(true));
    }

    #[test]
    fn bounds_the_address_set() {
        let hrefs: String = (0..1000)
            .map(|i| format!("<D:href>mailto:u{i}@example.com</D:href>"))
            .collect();
        let body = format!(
            r#"<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/p/</D:href><D:propstat><D:prop><C:calendar-user-address-set>{hrefs}</C:calendar-user-address-set></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#
        );
        let base = Url::parse("https://cal.example.com/p/").expect("test input");
        let ms = multistatus::parse(body.as_bytes(), base.as_str()).expect("test input");
        let mut s = Scheduling::default();
        s.read_response(&ms.responses[0], &base);
        assert_eq!(s.user_addresses.len(), MAX_USER_ADDRESSES);
    }
}
