//! Configured `Limits` reach every place they bound: each test sets one limit small, runs a
//! whole operation against canned answers just past it, and checks the typed
//! `ErrorKind::LimitExceeded` error naming the limit (or, for expansion, the `truncated` result
//! and its reason), and that an answer at the limit still succeeds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use davkit::gcal::API_BASE;
use davkit::icalendar::{Calendar, TruncationReason};
use davkit::{
    CollectionKind, Config, Credentials, ErrorKind, HttpRequest, HttpResponse, Limits, Operation,
    Poll, Profile, Service, Session, SyncState,
};

const SERVER: &str = "https://dav.example.com/dav/";

fn session(limits: Limits) -> Session {
    let mut config = Config::new(SERVER, Credentials::basic("a", "b"));
    config.limits = limits;
    Session::new(config).unwrap()
}

/// Runs an operation, answering every request with `server`; the result and the request count.
fn run<O: Operation>(
    mut op: O,
    server: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (davkit::Result<O::Output>, usize) {
    run_on(&mut op, server)
}

/// [`run`] on an operation the caller keeps (to take its state back after).
fn run_on<O: Operation>(
    op: &mut O,
    mut server: impl FnMut(&HttpRequest) -> HttpResponse,
) -> (davkit::Result<O::Output>, usize) {
    let mut requests = 0;
    loop {
        match op.poll() {
            Poll::Send(request) => {
                requests += 1;
                let response = server(&request);
                op.handle_response(request.id, response);
            }
            Poll::Wait => panic!("every request is answered at once"),
            Poll::Done(result) => return (result, requests),
        }
    }
}

fn limit_error<T: std::fmt::Debug>(result: davkit::Result<T>, names: &str) -> davkit::Error {
    let e = result.expect_err("a limit error");
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.message().contains(names), "{e}");
    e
}

/// A listing of `n` members, padded with spaces to exactly `len` bytes when `len` is given.
fn listing(n: usize, len: Option<usize>) -> String {
    let rows: String = (0..n)
        .map(|i| {
            format!(
                "<response><href>/dav/cal/m{i}.ics</href><propstat><prop><getetag>\"{i}\"\
                 </getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
            )
        })
        .collect();
    let mut body = format!(r#"<multistatus xmlns="DAV:">{rows}</multistatus>"#);
    if let Some(len) = len {
        assert!(body.len() <= len);
        body.push_str(&" ".repeat(len - body.len()));
    }
    body
}

#[test]
fn defaults_reach_the_session() {
    let s = session(Limits::default());
    assert_eq!(*s.limits(), Limits::default());
    let small = Limits {
        max_redirects: 1,
        ..Limits::default()
    };
    let s = session(small);
    assert_eq!(s.limits().max_redirects, 1);
    // a token refresh keeps the limits
    assert_eq!(
        s.with_credentials(Credentials::bearer("t"))
            .limits()
            .max_redirects,
        1
    );
}

#[test]
fn a_body_past_max_body_bytes_is_refused_when_received() {
    let limits = Limits {
        max_body_bytes: 400,
        ..Limits::default()
    };
    let s = session(limits);
    let (result, _) = run(s.list_objects("cal/"), |_| {
        HttpResponse::new(207, listing(1, Some(401)))
    });
    let e = limit_error(result, "Limits::max_body_bytes");
    assert_eq!(e.status(), Some(207));
    assert_eq!(e.url(), Some("https://dav.example.com/dav/cal/"));
    let (result, _) = run(s.list_objects("cal/"), |_| {
        HttpResponse::new(207, listing(1, Some(400)))
    });
    assert_eq!(result.unwrap().len(), 1);
    // any answer, whatever its status: an error page past the limit too
    let (result, _) = run(s.get_object("cal/a.ics"), |_| {
        HttpResponse::new(500, "x".repeat(401))
    });
    limit_error(result, "max_body_bytes");
}

#[test]
fn redirects_stop_at_max_redirects() {
    for max in [0, 1, 3] {
        let s = session(Limits {
            max_redirects: max,
            ..Limits::default()
        });
        let (result, requests) = run(s.get_object("cal/a.ics"), |r| {
            HttpResponse::new(302, "").with_header("Location", &r.url)
        });
        limit_error(result, "Limits::max_redirects");
        assert_eq!(requests, max + 1);
    }
}

#[test]
fn xml_limits_apply_to_operations() {
    let cases: [(Limits, &str); 4] = [
        (
            Limits {
                max_xml_depth: 4,
                ..Limits::default()
            },
            "Limits::max_xml_depth",
        ),
        (
            Limits {
                max_xml_elements: 15,
                ..Limits::default()
            },
            "Limits::max_xml_elements",
        ),
        (
            Limits {
                max_xml_text_bytes: 10,
                ..Limits::default()
            },
            "Limits::max_xml_text_bytes",
        ),
        (
            Limits {
                max_xml_namespace_declarations: 0,
                ..Limits::default()
            },
            "Limits::max_xml_namespace_declarations",
        ),
    ];
    for (limits, name) in cases {
        let (result, _) = run(session(limits).list_objects("cal/"), |_| {
            HttpResponse::new(207, listing(3, None))
        });
        limit_error(result, name);
    }
    let attrs = Limits {
        max_xml_attributes: 1,
        ..Limits::default()
    };
    let body = r#"<multistatus xmlns="DAV:" a="1" b="2"></multistatus>"#;
    let (result, _) = run(session(attrs).list_objects("cal/"), |_| {
        HttpResponse::new(207, body)
    });
    limit_error(result, "Limits::max_xml_attributes");
}

#[test]
fn hrefs_per_response_apply_to_multiget() {
    let s = session(Limits {
        max_hrefs_per_response: 2,
        ..Limits::default()
    });
    let hrefs: Vec<String> = (0..3).map(|i| format!("/dav/cal/m{i}.ics")).collect();
    let body = format!(
        r#"<multistatus xmlns="DAV:"><response>{}<status>HTTP/1.1 404 Not Found</status></response></multistatus>"#,
        hrefs
            .iter()
            .map(|h| format!("<href>{h}</href>"))
            .collect::<String>()
    );
    let (result, _) = run(
        s.multiget("cal/", CollectionKind::Calendar, hrefs.clone()),
        |_| HttpResponse::new(207, body.clone()),
    );
    limit_error(result, "Limits::max_hrefs_per_response");
    let (result, _) = run(
        s.multiget("cal/", CollectionKind::Calendar, hrefs[..2].to_vec()),
        |_| HttpResponse::new(207, body.replacen("<href>/dav/cal/m2.ics</href>", "", 1)),
    );
    assert_eq!(result.unwrap().missing.len(), 2);
}

/// A CalDAV discovery: Depth 0 PROPFINDs get `context`, Depth 1 PROPFINDs of a home `home`.
fn discover(limits: Limits, context: &str, home: &str) -> (davkit::Result<usize>, usize) {
    let (result, requests) = run(session(limits).discover(Service::CalDav), |r| {
        let body = if r.header("Depth") == Some("1") {
            home
        } else {
            context
        };
        HttpResponse::new(207, body.to_owned())
    });
    (result.map(|d| d.collections.len()), requests)
}

fn context_with_homes(n: usize) -> String {
    let homes: String = (0..n).map(|i| format!("<href>/dav/h{i}/</href>")).collect();
    format!(
        r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/dav/</href><propstat><prop><C:calendar-home-set>{homes}</C:calendar-home-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#
    )
}

fn home_with_calendars(n: usize) -> String {
    let rows: String = (0..n)
        .map(|i| {
            format!(
                r#"<response><href>/dav/h0/c{i}/</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>"#
            )
        })
        .collect();
    format!(
        r#"<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">{rows}</multistatus>"#
    )
}

#[test]
fn discovery_limits_come_from_the_session() {
    let two_homes = Limits {
        max_home_sets: 2,
        ..Limits::default()
    };
    let (found, requests) = discover(two_homes, &context_with_homes(2), &home_with_calendars(1));
    assert_eq!(found.unwrap(), 1);
    assert!(requests >= 3, "{requests}");
    let (found, _) = discover(two_homes, &context_with_homes(3), &home_with_calendars(1));
    limit_error(found, "Limits::max_home_sets");

    let three_collections = Limits {
        max_collections: 3,
        ..Limits::default()
    };
    let (found, _) = discover(
        three_collections,
        &context_with_homes(1),
        &home_with_calendars(3),
    );
    assert_eq!(found.unwrap(), 3);
    let (found, _) = discover(
        three_collections,
        &context_with_homes(1),
        &home_with_calendars(4),
    );
    limit_error(found, "Limits::max_collections");
}

#[test]
fn sync_pages_stop_at_max_sync_pages() {
    let s = session(Limits {
        max_sync_pages: 3,
        ..Limits::default()
    });
    let mut state = SyncState::new("https://dav.example.com/dav/cal/");
    state.sync_token = Some("t0".into());
    // every page names a new member and a new token, and is truncated (507) again
    let mut page = 0;
    let (result, requests) = run(s.sync(state, CollectionKind::Calendar), |_| {
        page += 1;
        HttpResponse::new(
            207,
            format!(
                r#"<multistatus xmlns="DAV:"><response><href>/dav/cal/m{page}.ics</href><propstat><prop><getetag>"1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/dav/cal/</href><status>HTTP/1.1 507 Insufficient Storage</status></response><sync-token>t{page}</sync-token></multistatus>"#
            ),
        )
    });
    limit_error(result, "Limits::max_sync_pages");
    assert_eq!(requests, 3);
}

#[test]
fn calendar_api_pages_stop_at_max_sync_pages() {
    let mut config = Config::new(API_BASE, Credentials::bearer("t"));
    config.limits.max_sync_pages = 4;
    let s = Session::new(config).unwrap();
    let mut n = 0;
    let (result, requests) = run(s.gcal_calendars(), |_| {
        n += 1;
        HttpResponse::new(
            200,
            serde_json::json!({"items": [], "nextPageToken": format!("t{n}")}).to_string(),
        )
    });
    limit_error(result, "Limits::max_sync_pages");
    assert_eq!(requests, 4);
}

fn gcal_session(max_json_values: usize) -> Session {
    let mut config = Config::new(API_BASE, Credentials::bearer("t"));
    config.limits.max_json_values = max_json_values;
    Session::new(config).unwrap()
}

const EVENTS_URL: &str = "https://www.googleapis.com/calendar/v3/calendars/primary/events";

/// An events.list page of one event `id` with `extra` fields, and `next` page's token.
fn events_page(id: &str, extra: &str, next: Option<&str>) -> String {
    let last = match next {
        Some(t) => format!(r#""nextPageToken":"{t}""#),
        None => r#""nextSyncToken":"s2""#.to_owned(),
    };
    format!(
        r#"{{"items":[{{"id":"{id}","etag":"\"1\"","status":"confirmed","start":{{"dateTime":"2026-01-12T09:00:00Z"}},"end":{{"dateTime":"2026-01-12T10:00:00Z"}}{extra}}}],{last}}}"#
    )
}

#[test]
fn calendar_api_answers_past_max_json_values_are_refused() {
    let mut state = SyncState::new(EVENTS_URL);
    state.sync_token = Some("s1".into());
    state
        .etags
        .insert(format!("{EVENTS_URL}/old"), "\"0\"".into());
    // The limit is per answer: the first page at it is read, the second page one past it
    // fails the sync, which gives no new state (the one it was given comes back unchanged).
    let first = events_page("e1", "", Some("p2"));
    let max = common::json_weight(&first);
    let second = events_page("e2", r#","extendedProperties":{"private":{"k":"v"}}"#, None);
    // Two objects with members and three keys more (and their three values).
    use davkit::json_read::text::{KEY_WEIGHT, OBJECT_WEIGHT};
    let more = 3 + 2 * OBJECT_WEIGHT + 3 * KEY_WEIGHT;
    assert_eq!(common::json_weight(&second), max + more);
    let s = gcal_session(max);
    let mut op = s.gcal_sync("primary", Default::default(), state.clone());
    let mut pages = [first.clone(), second.clone()].into_iter();
    let (result, requests) = run_on(&mut op, |_| HttpResponse::new(200, pages.next().unwrap()));
    let e = limit_error(result, "Limits::max_json_values");
    assert_eq!(e.status(), Some(200));
    assert_eq!(
        e.url(),
        Some(format!("{EVENTS_URL}?syncToken=s1&pageToken=p2").as_str())
    );
    assert_eq!(requests, 2);
    assert_eq!(op.into_state(), state);
    // Raised to the second page's weight, the same answers are read.
    let s = gcal_session(max + more);
    let mut pages = [first, second].into_iter();
    let (result, _) = run(s.gcal_sync("primary", Default::default(), state), |_| {
        HttpResponse::new(200, pages.next().unwrap())
    });
    let result = result.unwrap();
    assert_eq!(result.changes.len(), 2);
    assert_eq!(result.state.sync_token.as_deref(), Some("s2"));

    // calendarList.list
    let list = r#"{"items":[{"id":"a@b","summary":"A"}]}"#;
    let n = common::json_weight(list);
    let (result, _) = run(gcal_session(n).gcal_calendars(), |_| {
        HttpResponse::new(200, list)
    });
    assert_eq!(result.unwrap().len(), 1);
    let (result, _) = run(gcal_session(n - 1).gcal_calendars(), |_| {
        HttpResponse::new(200, list)
    });
    limit_error(result, "Limits::max_json_values");

    // The event an insert answers with.
    let event = serde_json::json!({"summary": "x", "start": {"date": "2026-01-12"}});
    let answer = r#"{"id":"e9","etag":"\"2\"","summary":"x","start":{"date":"2026-01-12"},"end":{"date":"2026-01-13"}}"#;
    let n = common::json_weight(answer);
    let (result, _) = run(gcal_session(n).gcal_insert("primary", &event), |_| {
        HttpResponse::new(200, answer)
    });
    result.unwrap();
    let (result, requests) = run(gcal_session(n - 1).gcal_insert("primary", &event), |_| {
        HttpResponse::new(200, answer)
    });
    limit_error(result, "Limits::max_json_values");
    assert_eq!(requests, 1);
}

fn calendar_of(events: usize) -> String {
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    for i in 0..events {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:u{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\n"
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}

#[test]
fn content_lines_per_object() {
    // 4 lines for the calendar, 5 per event
    let limits = Limits {
        max_content_lines: 14,
        ..Limits::default()
    };
    assert!(Calendar::parse_with_limits(&calendar_of(2), &limits).is_ok());
    let e = Calendar::parse_with_limits(&calendar_of(3), &limits).unwrap_err();
    assert_eq!(
        davkit::Error::from(e.clone()).kind(),
        ErrorKind::LimitExceeded
    );
    assert!(e.to_string().contains("Limits::max_content_lines"), "{e}");
    let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEMAIL:a@b\r\nEND:VCARD\r\n";
    let four = Limits {
        max_content_lines: 4,
        ..Limits::default()
    };
    let e = davkit::vcard::VCard::parse_with_limits(card, &four).unwrap_err();
    assert_eq!(davkit::Error::from(e).kind(), ErrorKind::LimitExceeded);

    // a write that reads the object (Google CalDAV names events by UID) uses the session's limit
    let mut config = Config::new(
        "https://apidata.googleusercontent.com/caldav/v2/",
        Credentials::bearer("t"),
    );
    config.profile = Some(Profile::google_caldav());
    config.limits = limits;
    let s = Session::new(config).unwrap();
    let (result, requests) = run(s.create_object("cal/", "x.ics", &calendar_of(3)), |_| {
        HttpResponse::new(201, "")
    });
    limit_error(result, "Limits::max_content_lines");
    assert_eq!(requests, 0);
}

#[test]
fn expansion_budgets_truncate_with_a_reason() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:20250101T090000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let cal = Calendar::parse(ics).unwrap();
    let window = (
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2026-01-01T00:00:00Z".parse().unwrap(),
    );
    let limits = Limits {
        max_instances: 10,
        ..Limits::default()
    };
    let x = cal.expand(window, &limits.expand_options()).unwrap();
    assert_eq!(x.occurrences.len(), 10);
    assert!(x.truncated);
    assert_eq!(x.truncation, Some(TruncationReason::MaxInstances));
    let limits = Limits {
        max_iterations: 50,
        ..Limits::default()
    };
    let x = cal.expand(window, &limits.expand_options()).unwrap();
    assert!(x.truncated);
    assert_eq!(x.truncation, Some(TruncationReason::RuleIterations));
    let x = cal
        .expand(window, &Limits::default().expand_options())
        .unwrap();
    assert_eq!(x.occurrences.len(), 365);
    assert!(!x.truncated);
}
