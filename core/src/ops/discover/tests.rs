//! Discovery run against scripted answers: bounds, request counts per server shape, retries
//! and fallbacks.

use super::*;
use crate::auth::Credentials;
use crate::error::Result;
use crate::http::HttpResponse;
use crate::op::{Operation, Poll};
use crate::session::Config;

const SERVER: &str = "https://dav.example.com/dav/";

#[test]
fn rediscovery_after_two_weeks() {
    let day = 24 * 3600 * 1000;
    let t0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    assert!(!needs_rediscovery(t0, t0));
    assert!(!needs_rediscovery(t0, t0 + 13 * day));
    assert!(needs_rediscovery(t0, t0 + 14 * day));
    assert!(needs_rediscovery(t0, t0 - 1), "a clock that went backwards");
    assert!(needs_rediscovery(i64::MIN, i64::MAX));
}

/// Runs a CalDAV discovery at [`SERVER`]: Depth 0 PROPFINDs get `context(url)`, the Depth 1
/// PROPFIND of the home gets `home`. Returns the result and the number of requests.
fn run(context: impl Fn(&str) -> String, home: &str) -> (Result<Discovery>, usize) {
    let session = Session::new(Config::new(SERVER, Credentials::basic("a", "b")));
    let Ok(session) = session else {
        return (Err(Error::new(ErrorKind::InvalidInput, "config")), 0);
    };
    let mut op = session.discover(Service::CalDav);
    let mut requests = 0;
    loop {
        match op.poll() {
            Poll::Send(request) => {
                requests += 1;
                let depth_one = request
                    .headers
                    .iter()
                    .any(|(n, v)| n == "Depth" && v == "1");
                let body = if depth_one {
                    home.to_owned()
                } else {
                    context(&request.url)
                };
                op.handle_response(request.id, HttpResponse::new(207, body));
            }
            Poll::Wait => {
                return (Err(Error::new(ErrorKind::Protocol, "waits")), requests);
            }
            Poll::Done(result) => return (result, requests),
        }
    }
}

fn context_with_homes(homes: &[String]) -> impl Fn(&str) -> String {
    let hrefs: String = homes.iter().map(|h| format!("<href>{h}</href>")).collect();
    move |url: &str| {
        format!(
            r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>{url}</href><propstat><prop><C:calendar-home-set>{hrefs}</C:calendar-home-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#
        )
    }
}

fn listing(hrefs: impl Iterator<Item = String>) -> String {
    let mut body =
        String::from(r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">"#);
    for h in hrefs {
        body.push_str(&format!(
            "<response><href>{h}</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
        ));
    }
    body.push_str("</multistatus>");
    body
}

#[test]
fn collections_are_unique_by_normalised_url() {
    // 3,000 calendars, each listed three times in the forms servers mix up: a trailing
    // slash, an escaped `@`, an absolute URL with the default port and an upper-case host
    let hrefs = (0..3000).flat_map(|i| {
        [
            format!("/dav/home/a@b-{i}/"),
            format!("/dav/home/a%40b-{i}"),
            format!("https://DAV.example.com:443/dav/home/a@b-{i}/"),
        ]
    });
    let home = listing(hrefs);
    let (result, requests) = run(context_with_homes(&["/dav/home/".into()]), &home);
    let found = result.map(|d| d.collections.len());
    assert_eq!(found.ok(), Some(3000));
    assert_eq!(requests, 2);
}

#[test]
fn bounds_collections() {
    let homes = ["/dav/home/".to_owned()];
    let home = listing((0..=MAX_COLLECTIONS).map(|i| format!("/dav/home/c{i}/")));
    let err = run(context_with_homes(&homes), &home).0.err();
    assert_eq!(
        err.as_ref().map(Error::kind),
        Some(ErrorKind::LimitExceeded)
    );
    assert!(err.is_some_and(|e| e.message().contains("MAX_COLLECTIONS")));
    let home = listing((0..MAX_COLLECTIONS).map(|i| format!("/dav/home/c{i}/")));
    let found = run(context_with_homes(&homes), &home).0;
    assert_eq!(
        found.map(|d| d.collections.len()).ok(),
        Some(MAX_COLLECTIONS)
    );
}

#[test]
fn bounds_home_sets() {
    // A home answered with one calendar (an empty answer is no listing).
    let home = listing(std::iter::once("/dav/c/".to_owned()));
    // 32 distinct home sets, each listed twice: 32 PROPFINDs after the context one
    let homes: Vec<String> = (0..MAX_HOME_SETS)
        .flat_map(|i| [format!("/dav/h{i}/"), format!("/dav/h{i}")])
        .collect();
    let (result, requests) = run(context_with_homes(&homes), &home);
    assert_eq!(result.map(|d| d.calendar_home_sets.len()).ok(), Some(32));
    assert_eq!(requests, 1 + MAX_HOME_SETS);
    // one more distinct home set is refused before any home is asked
    let homes: Vec<String> = (0..=MAX_HOME_SETS).map(|i| format!("/dav/h{i}/")).collect();
    let (result, requests) = run(context_with_homes(&homes), &home);
    let err = result.err();
    assert_eq!(
        err.as_ref().map(Error::kind),
        Some(ErrorKind::LimitExceeded)
    );
    assert!(err.is_some_and(|e| e.message().contains("MAX_HOME_SETS")));
    assert_eq!(requests, 1);
}

/// Runs a discovery from `server`, answering each request with `answer(url, depth)`.
/// Returns the result and the requests as `URL (Depth n)`.
fn run_at(
    server: &str,
    service: Service,
    answer: impl Fn(&str, &str) -> HttpResponse,
) -> (Result<Discovery>, Vec<String>) {
    run_with(
        Config::new(server, Credentials::basic("a", "b")),
        service,
        answer,
    )
}

/// [`run_at`] with a configuration of its own.
fn run_with(
    config: Config,
    service: Service,
    answer: impl Fn(&str, &str) -> HttpResponse,
) -> (Result<Discovery>, Vec<String>) {
    let Ok(session) = Session::new(config) else {
        return (
            Err(Error::new(ErrorKind::InvalidInput, "config")),
            Vec::new(),
        );
    };
    let mut op = session.discover(service);
    let mut sent = Vec::new();
    loop {
        match op.poll() {
            Poll::Send(request) => {
                // An OPTIONS is answered as depth "OPTIONS"; a status 0 is a transport error.
                let depth = if request.method == Method::Options {
                    sent.push(format!("OPTIONS {}", request.url));
                    "OPTIONS".to_owned()
                } else {
                    let depth = request.header("Depth").unwrap_or("-").to_owned();
                    sent.push(format!("{} (Depth {depth})", request.url));
                    depth
                };
                let response = answer(&request.url, &depth);
                if response.status == 0 {
                    op.handle_transport_error(
                        request.id,
                        Error::new(ErrorKind::Transport, "connection reset"),
                    );
                } else {
                    op.handle_response(request.id, response);
                }
            }
            Poll::Wait => return (Err(Error::new(ErrorKind::Protocol, "waits")), sent),
            Poll::Done(result) => return (result, sent),
        }
    }
}

const ROOT: &str = "https://dav.example.com/";

/// The first PROPFIND asks the principal and home sets, then every one of `LISTING_PROPS`
/// (the URL may be a collection, read whole at once), then the RFC 6638 properties: in this
/// order, the body it has always sent.
#[test]
fn the_first_request_reads_a_collection_whole() {
    let context = context_props();
    let asked: Vec<&str> = context.iter().map(|q| &*q.local).collect();
    assert_eq!(
        asked.join(" "),
        "current-user-principal calendar-home-set addressbook-home-set resourcetype \
         displayname calendar-description addressbook-description calendar-color \
         supported-calendar-component-set current-user-privilege-set supported-report-set \
         add-member calendar-user-address-set schedule-inbox-URL schedule-outbox-URL \
         schedule-default-calendar-URL"
    );
    assert!(LISTING_PROPS.iter().all(|p| context.contains(p)));
}

#[test]
fn discovery_asks_no_collection_state() {
    for state in [names::GETCTAG, names::SYNC_TOKEN] {
        assert!(
            !context_props().contains(&state),
            "{state:?} in the first request"
        );
        assert!(
            !LISTING_PROPS.contains(&state),
            "{state:?} in LISTING_PROPS"
        );
        assert!(
            COLLECTION_PROPS.contains(&state),
            "list_collections and get_collection still read {state:?}"
        );
    }
    for p in &LISTING_PROPS {
        assert!(
            COLLECTION_PROPS.contains(p),
            "{p:?} missing from COLLECTION_PROPS"
        );
    }
}

/// DAViCal 1.1.12 answers 500 to a PROPFIND for `sync-token` on its DAV root (measured
/// live), and names the principal and both home sets there. Discovery asks no state, so the
/// root answers and the home set is listed next: 2 requests, none with `getctag` or
/// `sync-token`. A 5xx is reported as it is, without a retry.
#[test]
fn from_davicals_root_in_two_requests_without_state() {
    const DAV_ROOT: &str = "http://127.0.0.1:8080/caldav.php/";
    const HOME: &str = "http://127.0.0.1:8080/caldav.php/alice/";
    let run = |always_fail: bool| {
        let session =
            Session::new(Config::new(DAV_ROOT, Credentials::basic("a", "b"))).expect("config");
        let mut op = session.discover(Service::Both);
        let mut sent = Vec::new();
        loop {
            match op.poll() {
                Poll::Send(request) => {
                    let depth = request.header("Depth").unwrap_or("-").to_owned();
                    let body = request.body_text().unwrap_or("");
                    let state = body.contains("sync-token") || body.contains("getctag");
                    sent.push(format!(
                        "{} (Depth {depth}){}",
                        request.url,
                        if state { " state" } else { "" }
                    ));
                    let response = match (request.url.as_str(), depth.as_str()) {
                        (DAV_ROOT, _) if state || always_fail => {
                            HttpResponse::new(500, "DAViCal Fatal Error")
                        }
                        (DAV_ROOT, _) => HttpResponse::new(
                            207,
                            "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                             xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response>\
                             <href>/caldav.php/</href><propstat><prop><current-user-principal>\
                             <href>/caldav.php/alice/</href></current-user-principal>\
                             <C:calendar-home-set><href>/caldav.php/alice/</href>\
                             </C:calendar-home-set><R:addressbook-home-set>\
                             <href>/caldav.php/alice/</href></R:addressbook-home-set>\
                             <resourcetype><collection/></resourcetype></prop>\
                             <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
                        ),
                        _ => HttpResponse::new(
                            207,
                            "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
                             <response><href>/caldav.php/alice/calendar/</href><propstat><prop>\
                             <resourcetype><collection/><C:calendar/></resourcetype>\
                             <displayname>Calendar</displayname></prop>\
                             <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
                        ),
                    };
                    op.handle_response(request.id, response);
                }
                Poll::Wait => panic!("waits"),
                Poll::Done(result) => return (result, sent),
            }
        }
    };
    let (result, sent) = run(false);
    let found = result.expect("discovery");
    assert_eq!(found.principal.as_deref(), Some(HOME));
    let calendars: Vec<&Collection> = found.calendars().collect();
    assert_eq!(calendars.len(), 1, "{found:?}");
    assert_eq!(
        calendars[0].url,
        "http://127.0.0.1:8080/caldav.php/alice/calendar/"
    );
    assert_eq!(
        (&calendars[0].ctag, &calendars[0].sync_token),
        (&None, &None)
    );
    assert_eq!(
        sent,
        [
            "http://127.0.0.1:8080/caldav.php/ (Depth 0)",
            "http://127.0.0.1:8080/caldav.php/alice/ (Depth 1)",
        ]
    );
    let (result, sent) = run(true);
    let err = result.expect_err("a server that fails");
    assert_eq!(err.kind(), ErrorKind::Http);
    assert_eq!(err.status(), Some(500));
    assert_eq!(sent.len(), 1, "{sent:?}");
}

#[test]
fn unauthorized_at_the_root_ends_discovery_without_the_well_known() {
    let (result, sent) = run_at(ROOT, Service::Both, |_, _| HttpResponse::new(401, ""));
    assert_eq!(
        result.err().map(|e| e.kind()),
        Some(ErrorKind::Unauthorized)
    );
    assert_eq!(sent, ["https://dav.example.com/ (Depth 0)"]);
}

#[test]
fn both_services_share_the_root_the_principal_and_the_home() {
    let (result, sent) = run_at(ROOT, Service::Both, |url, depth| {
        let body = match (url, depth) {
            ("https://dav.example.com/", _) => {
                "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>\
                 <current-user-principal><href>/p/</href></current-user-principal>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
            }
            ("https://dav.example.com/p/", _) => {
                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                 xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response><href>/p/</href>\
                 <propstat><prop><C:calendar-home-set><href>/h/</href></C:calendar-home-set>\
                 <R:addressbook-home-set><href>/h/</href></R:addressbook-home-set></prop>\
                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
            }
            _ => {
                "<multistatus xmlns=\"DAV:\"><response><href>/h/</href><propstat><prop>\
                 <resourcetype><collection/></resourcetype></prop>\
                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
            }
        };
        HttpResponse::new(207, body)
    });
    let found = result.ok();
    assert_eq!(
        found.as_ref().map(|d| d.addressbook_home_sets.clone()),
        Some(vec!["https://dav.example.com/h/".to_owned()])
    );
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/p/ (Depth 1)",
            "https://dav.example.com/h/ (Depth 1)",
        ]
    );
}

#[test]
fn scheduling_comes_with_the_principal_propfind() {
    // SabreDAV's shape: the root names the principal, the principal its home set and
    // the RFC 6638 properties, with `calendar-auto-schedule` in its DAV header.
    let root = principal_at("/p/alice/");
    let (result, sent) = run_at(ROOT, Service::CalDav, |url, depth| match (url, depth) {
        ("https://dav.example.com/", _) => {
            root(url, depth).with_header("DAV", "1, 3, extended-mkcol")
        }
        ("https://dav.example.com/p/alice/", _) => HttpResponse::new(
            207,
            "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
             <response><href>/p/alice/</href><propstat><prop>\
             <C:calendar-home-set><href>/cal/alice/</href></C:calendar-home-set>\
             <C:calendar-user-address-set><href>mailto:alice@example.com</href>\
             <href>/p/alice/</href></C:calendar-user-address-set>\
             <C:schedule-inbox-URL><href>/cal/alice/inbox/</href></C:schedule-inbox-URL>\
             <C:schedule-outbox-URL><href>/cal/alice/outbox/</href></C:schedule-outbox-URL>\
             </prop><status>HTTP/1.1 200 OK</status></propstat>\
             <propstat><prop><C:schedule-default-calendar-URL/></prop>\
             <status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>",
        )
        .with_header("DAV", "1, 3, calendar-access, calendar-auto-schedule"),
        _ => HttpResponse::new(
            207,
            "<multistatus xmlns=\"DAV:\"><response><href>/cal/alice/</href><propstat>\
             <prop><resourcetype><collection/></resourcetype></prop>\
             <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
        ),
    });
    let s = result.map(|d| d.scheduling).ok();
    assert_eq!(
        s,
        Some(crate::Scheduling {
            user_addresses: vec!["mailto:alice@example.com".into(), "/p/alice/".into()],
            preferred_address: None,
            inbox_url: Some("https://dav.example.com/cal/alice/inbox/".into()),
            outbox_url: Some("https://dav.example.com/cal/alice/outbox/".into()),
            default_calendar_url: None,
            auto_schedule: Some(true),
        })
    );
    assert_eq!(sent.len(), 3, "no request added: {sent:?}");
}

#[test]
fn address_books_only_ask_no_scheduling() {
    // the root is an address book that also (oddly) reports an outbox
    let (result, _) = run_at(ROOT, Service::CardDav, |_, _| {
        HttpResponse::new(
            207,
            "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
             xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response><href>/</href>\
             <propstat><prop><resourcetype><collection/><R:addressbook/></resourcetype>\
             <C:schedule-outbox-URL><href>/o/</href></C:schedule-outbox-URL></prop>\
             <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
        )
        .with_header("DAV", "1, calendar-auto-schedule")
    });
    let found = result.ok();
    assert_eq!(found.as_ref().map(|d| d.collections.len()), Some(1));
    assert_eq!(found.map(|d| d.scheduling.is_empty()), Some(true));
}

#[test]
fn a_failing_root_asks_each_well_known_uri_once() {
    let (result, sent) = run_at(ROOT, Service::Both, |url, depth| match (url, depth) {
        ("https://dav.example.com/", _) => HttpResponse::new(405, ""),
        (url, "0") if url.contains(".well-known") => HttpResponse::new(
            207,
            format!(
                "<multistatus xmlns=\"DAV:\"><response><href>{url}</href><propstat><prop>\
                 <current-user-principal><href>/p/</href></current-user-principal></prop>\
                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
            ),
        ),
        (_, "1") => HttpResponse::new(
            207,
            "<multistatus xmlns=\"DAV:\"><response><href>/p/</href><propstat><prop>\
             <resourcetype><collection/></resourcetype></prop>\
             <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
        ),
        _ => HttpResponse::new(404, ""),
    });
    // The principal names no home set, so it is the home of both services, and its answer
    // listed it already.
    let found = result.ok();
    assert_eq!(
        found.as_ref().and_then(|d| d.principal.clone()).as_deref(),
        Some("https://dav.example.com/p/")
    );
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/.well-known/caldav (Depth 0)",
            "https://dav.example.com/.well-known/carddav (Depth 0)",
            "https://dav.example.com/p/ (Depth 1)",
        ]
    );
}

/// Radicale's shape: the root names the principal, and the principal is its own home set,
/// so its `Depth: 1` answer lists the calendars and no third request is made.
#[test]
fn a_principal_that_is_its_own_home_is_listed_with_its_home_sets() {
    let root = principal_at("/alice/");
    let (result, sent) = run_at(ROOT, Service::Both, |url, depth| match (url, depth) {
        ("https://dav.example.com/alice/", "1") => HttpResponse::new(207, PRINCIPAL_AND_HOME),
        _ => root(url, depth),
    });
    let found = result.expect("discovery");
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/alice/ (Depth 1)",
        ]
    );
    let urls: Vec<&str> = found.collections.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://dav.example.com/alice/work/",
            "https://dav.example.com/alice/contacts/",
        ]
    );
    assert_eq!(found.calendar_home_sets, ["https://dav.example.com/alice/"]);
    assert_eq!(
        found.addressbook_home_sets,
        ["https://dav.example.com/alice/"]
    );
}

/// A principal whose `Depth: 1` answer lists a calendar, with a calendar home set elsewhere:
/// the home set is listed as before, and nothing the principal listed is taken.
const PRINCIPAL_ELSEWHERE: &str = "<multistatus xmlns=\"DAV:\" \
     xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><response><href>/p/alice/</href><propstat>\
     <prop><C:calendar-home-set><href>/cal/alice/</href></C:calendar-home-set></prop>\
     <status>HTTP/1.1 200 OK</status></propstat></response><response>\
     <href>/p/alice/stray/</href><propstat><prop><resourcetype><collection/><C:calendar/>\
     </resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>\
     </multistatus>";

/// The principal of [`a_principal_that_is_its_own_home_is_listed_with_its_home_sets`]: its
/// own response names it as both home sets, and it lists a calendar and an address book.
const PRINCIPAL_AND_HOME: &str = "<multistatus xmlns=\"DAV:\" \
     xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:R=\"urn:ietf:params:xml:ns:carddav\">\
     <response><href>/alice/</href><propstat><prop>\
     <C:calendar-home-set><href>/alice/</href></C:calendar-home-set>\
     <R:addressbook-home-set><href>/alice/</href></R:addressbook-home-set>\
     <resourcetype><collection/><principal/></resourcetype></prop>\
     <status>HTTP/1.1 200 OK</status></propstat></response>\
     <response><href>/alice/work/</href><propstat><prop><resourcetype><collection/>\
     <C:calendar/></resourcetype><displayname>Work</displayname></prop>\
     <status>HTTP/1.1 200 OK</status></propstat></response>\
     <response><href>/alice/contacts/</href><propstat><prop><resourcetype><collection/>\
     <R:addressbook/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>\
     </response></multistatus>";

/// The calendar home set of [`PRINCIPAL_ELSEWHERE`], listing one calendar.
fn cal_alice_home() -> HttpResponse {
    HttpResponse::new(207, listing(["/cal/alice/home/".to_owned()].into_iter()))
}

fn principal_at(principal: &'static str) -> impl Fn(&str, &str) -> HttpResponse {
    move |url, _| match url {
        "https://dav.example.com/" => HttpResponse::new(
            207,
            format!(
                "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>\
                 <current-user-principal><href>{principal}</href></current-user-principal>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
            ),
        ),
        _ => HttpResponse::new(404, ""),
    }
}

#[test]
fn a_principal_listing_is_taken_only_for_its_own_home_set() {
    let root = principal_at("/p/alice/");
    let (result, sent) = run_at(ROOT, Service::CalDav, |url, depth| match url {
        "https://dav.example.com/p/alice/" => HttpResponse::new(207, PRINCIPAL_ELSEWHERE),
        "https://dav.example.com/cal/alice/" => cal_alice_home(),
        _ => root(url, depth),
    });
    let urls: Vec<String> = result
        .expect("discovery")
        .collections
        .into_iter()
        .map(|c| c.url)
        .collect();
    assert_eq!(urls, ["https://dav.example.com/cal/alice/home/"]);
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/p/alice/ (Depth 1)",
            "https://dav.example.com/cal/alice/ (Depth 1)",
        ]
    );
}

#[test]
fn a_principal_that_refuses_depth_one_is_asked_with_depth_zero() {
    // 403 to `Depth: 1`; and an answer at `Depth: 1` without the principal's own response
    // (members only): both are asked again as before.
    for refusal in [
        HttpResponse::new(403, ""),
        HttpResponse::new(207, listing(["/p/alice/x/".to_owned()].into_iter())),
    ] {
        let root = principal_at("/p/alice/");
        let (result, sent) = run_at(ROOT, Service::CalDav, |url, depth| match (url, depth) {
            ("https://dav.example.com/p/alice/", "1") => refusal.clone(),
            ("https://dav.example.com/p/alice/", "0") => {
                HttpResponse::new(207, PRINCIPAL_ELSEWHERE)
            }
            ("https://dav.example.com/cal/alice/", "1") => cal_alice_home(),
            _ => root(url, depth),
        });
        assert_eq!(result.map(|d| d.collections.len()).ok(), Some(1));
        assert_eq!(
            sent,
            [
                "https://dav.example.com/ (Depth 0)",
                "https://dav.example.com/p/alice/ (Depth 1)",
                "https://dav.example.com/p/alice/ (Depth 0)",
                "https://dav.example.com/cal/alice/ (Depth 1)",
            ]
        );
    }
}

#[test]
fn a_profile_without_principal_listing_asks_depth_zero() {
    let mut config = Config::new(ROOT, Credentials::basic("a", "b"));
    config.profile = Some(crate::profile::Profile {
        principal_listing: false,
        ..crate::profile::Profile::generic()
    });
    let root = principal_at("/p/alice/");
    let (result, sent) = run_with(config, Service::CalDav, |url, depth| match url {
        "https://dav.example.com/p/alice/" => HttpResponse::new(207, PRINCIPAL_ELSEWHERE),
        "https://dav.example.com/cal/alice/" => cal_alice_home(),
        _ => root(url, depth),
    });
    assert_eq!(result.map(|d| d.collections.len()).ok(), Some(1));
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/p/alice/ (Depth 0)",
            "https://dav.example.com/cal/alice/ (Depth 1)",
        ]
    );
}

/// Cyrus's shape: the root names the principal; the principal (no collection) names its
/// calendar home set and a scheduling inbox and outbox; no answer carries a `DAV` header.
fn cyrus_like(options: HttpResponse) -> impl Fn(&str, &str) -> HttpResponse {
    let root = principal_at("/p/alice/");
    move |url, depth| match (url, depth) {
        (_, "OPTIONS") => options.clone(),
        ("https://dav.example.com/p/alice/", _) => HttpResponse::new(
            207,
            "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\
             <response><href>/p/alice/</href><propstat><prop><resourcetype><principal/>\
             </resourcetype><C:calendar-home-set><href>/cal/alice/</href></C:calendar-home-set>\
             <C:schedule-inbox-URL><href>/cal/alice/Inbox/</href></C:schedule-inbox-URL>\
             <C:schedule-outbox-URL><href>/cal/alice/Outbox/</href></C:schedule-outbox-URL>\
             </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
        ),
        ("https://dav.example.com/cal/alice/", "1") => cal_alice_home(),
        _ => root(url, depth),
    }
}

#[test]
fn auto_schedule_is_asked_with_options_where_no_propfind_answer_said() {
    let (result, sent) = run_at(
        ROOT,
        Service::CalDav,
        cyrus_like(
            HttpResponse::new(200, "")
                .with_header("DAV", "1, 2, 3, access-control")
                .with_header("DAV", "calendar-access, calendar-auto-schedule"),
        ),
    );
    let found = result.expect("discovery");
    assert_eq!(found.scheduling.auto_schedule, Some(true));
    assert_eq!(found.collections.len(), 1);
    assert_eq!(
        sent,
        [
            "https://dav.example.com/ (Depth 0)",
            "https://dav.example.com/p/alice/ (Depth 1)",
            "OPTIONS https://dav.example.com/cal/alice/",
            "https://dav.example.com/cal/alice/ (Depth 1)",
        ],
        "the OPTIONS goes out with the home listing"
    );
    // A DAV header without the token: the server does not schedule.
    let (result, _) = run_at(
        ROOT,
        Service::CalDav,
        cyrus_like(HttpResponse::new(200, "").with_header("DAV", "1, 2, calendar-access")),
    );
    assert_eq!(
        result.map(|d| d.scheduling.auto_schedule).ok(),
        Some(Some(false))
    );
}

#[test]
fn a_failed_options_leaves_auto_schedule_unknown() {
    for failure in [
        HttpResponse::new(405, ""),
        HttpResponse::new(500, "").with_header("DAV", "1, calendar-auto-schedule"),
        HttpResponse::new(200, ""),
        HttpResponse::new(0, ""),
    ] {
        let (result, sent) = run_at(ROOT, Service::CalDav, cyrus_like(failure.clone()));
        let found = result.unwrap_or_else(|e| panic!("{failure:?}: {e}"));
        assert_eq!(found.scheduling.auto_schedule, None, "{failure:?}");
        assert_eq!(found.collections.len(), 1, "{failure:?}");
        assert!(
            found.scheduling.inbox_url.is_some(),
            "the rest is kept: {failure:?}"
        );
        assert!(sent.iter().any(|s| s.starts_with("OPTIONS")), "{sent:?}");
    }
}

#[test]
fn no_options_without_an_inbox_or_with_the_profile_off() {
    // Address books only, or a principal without scheduling collections: nothing to ask.
    let (result, sent) = run_at(
        ROOT,
        Service::CardDav,
        cyrus_like(HttpResponse::new(500, "")),
    );
    assert!(result.is_ok());
    assert!(!sent.iter().any(|s| s.starts_with("OPTIONS")), "{sent:?}");
    let mut config = Config::new(ROOT, Credentials::basic("a", "b"));
    config.profile = Some(crate::profile::Profile {
        scheduling_options: false,
        ..crate::profile::Profile::generic()
    });
    let (result, sent) = run_with(
        config,
        Service::CalDav,
        cyrus_like(HttpResponse::new(500, "")),
    );
    assert_eq!(result.map(|d| d.scheduling.auto_schedule).ok(), Some(None));
    assert!(!sent.iter().any(|s| s.starts_with("OPTIONS")), "{sent:?}");
}

/// Under `Service::Both` with a profile whose address books report no `resourcetype` (Google
/// Contacts' rule): the address book found at the configured URL stands in for an address-book
/// home set that cannot be listed, never for a calendar home set. A calendar home answered 500
/// fails discovery instead of leaving every calendar out of an `Ok` result.
#[test]
fn a_fallback_address_book_does_not_excuse_a_failed_calendar_home() {
    let mut config = Config::new(ROOT, Credentials::basic("a", "b"));
    config.profile = Some(crate::profile::Profile {
        bare_collection: Some(CollectionKind::AddressBook),
        ..crate::profile::Profile::generic()
    });
    let answer = |card_home: u16| {
        move |url: &str, _: &str| match url {
            "https://dav.example.com/" => HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\"><response><href>/</href><propstat><prop>\
                 <current-user-principal><href>/p/</href></current-user-principal>\
                 </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            ),
            "https://dav.example.com/p/" => HttpResponse::new(
                207,
                "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" \
                 xmlns:R=\"urn:ietf:params:xml:ns:carddav\"><response><href>/p/</href>\
                 <propstat><prop><C:calendar-home-set><href>/cal/</href></C:calendar-home-set>\
                 <R:addressbook-home-set><href>/card/</href></R:addressbook-home-set></prop>\
                 <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
            ),
            "https://dav.example.com/card/" => HttpResponse::new(card_home, "down"),
            _ => HttpResponse::new(500, "down"),
        }
    };
    let (result, sent) = run_with(config.clone(), Service::Both, answer(500));
    let e = result.expect_err("a calendar home that failed is no empty calendar home");
    assert_eq!(e.status(), Some(500), "{e}: {sent:?}");
    // Address books alone: the fallback stands for their home set that failed.
    let (result, _) = run_with(config, Service::CardDav, answer(500));
    let found = result.expect("the address book found at the configured URL stands");
    assert_eq!(found.collections.len(), 1);
    assert_eq!(found.collections[0].kind, CollectionKind::AddressBook);
}
