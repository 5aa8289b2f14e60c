//! Answers a real server or proxy gives to discovery's and `list_collections`'s PROPFINDs:
//! none of them may turn into a shorter list of collections that looks complete (an app that
//! mirrors the list would drop a calendar it still has, with its local data).

#![allow(clippy::panic)] // test helpers report failures by panicking

mod common;

use common::run_op;

use davkit::{
    Collection, Config, Credentials, Discovery, HttpRequest, HttpResponse, Service, Session,
};

const SERVER: &str = "https://dav.example.com/p/";
const HOME: &str = "https://dav.example.com/cal/";

fn session() -> Session {
    Session::new(Config::new(SERVER, Credentials::None)).expect("a valid configuration")
}

fn multistatus(rows: &[String]) -> HttpResponse {
    HttpResponse::new(
        207,
        format!(
            "<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\" \
             xmlns:c=\"urn:ietf:params:xml:ns:caldav\">{}</d:multistatus>",
            rows.concat()
        ),
    )
}

fn row(href: &str, status: u16, props: &str) -> String {
    format!(
        "<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop>\
         <d:status>HTTP/1.1 {status} X</d:status></d:propstat></d:response>"
    )
}

fn status_row(href: &str, status: u16) -> String {
    format!(
        "<d:response><d:href>{href}</d:href><d:status>HTTP/1.1 {status} X</d:status></d:response>"
    )
}

fn home_row() -> String {
    row(
        "/cal/",
        200,
        "<d:resourcetype><d:collection/></d:resourcetype>",
    )
}

fn calendar(href: &str) -> String {
    row(
        href,
        200,
        "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>",
    )
}

/// The principal (the configured URL), which names its calendar home set.
fn principal() -> HttpResponse {
    multistatus(&[row(
        "/p/",
        200,
        "<d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>\
         <c:calendar-home-set><d:href>/cal/</d:href></c:calendar-home-set>",
    )])
}

/// Discovers calendars from the principal, whose home set answers `home`.
fn discover(home: HttpResponse) -> Result<Discovery, davkit::Error> {
    let mut home = Some(home);
    let (result, _) = run_op(
        session().discover(Service::CalDav),
        6,
        |r: &HttpRequest| match r.url.as_str() {
            SERVER => principal(),
            HOME => home.take().expect("the home set is asked once"),
            other => panic!("unexpected request for {other}"),
        },
    );
    result
}

fn list(home: HttpResponse) -> Result<Vec<Collection>, davkit::Error> {
    let mut home = Some(home);
    let (result, _) = run_op(session().list_collections(HOME), 2, |r: &HttpRequest| {
        assert_eq!(r.url, HOME);
        home.take().expect("the home set is asked once")
    });
    result
}

/// Checks that both discovery and `list_collections` fail on `answer`.
fn both_fail(answer: impl Fn() -> HttpResponse, what: &str) {
    let d = discover(answer());
    assert!(d.is_err(), "discovery took {what} as complete: {d:?}");
    let l = list(answer());
    assert!(
        l.is_err(),
        "list_collections took {what} as complete: {l:?}"
    );
}

#[test]
fn a_plain_listing_is_read() {
    let answer = || multistatus(&[home_row(), calendar("/cal/a/"), calendar("/cal/b/")]);
    assert_eq!(discover(answer()).expect("discovered").collections.len(), 2);
    assert_eq!(list(answer()).expect("listed").len(), 2);
}

#[test]
fn a_home_row_answered_404_is_no_empty_home() {
    both_fail(
        || multistatus(&[status_row("/cal/", 404)]),
        "a 404 home row",
    );
}

#[test]
fn a_home_row_answered_403_is_no_empty_home() {
    both_fail(
        || multistatus(&[status_row("/cal/", 403), calendar("/cal/a/")]),
        "a 403 home row",
    );
}

#[test]
fn a_listing_cut_with_507_is_no_complete_listing() {
    both_fail(
        || multistatus(&[home_row(), calendar("/cal/a/"), status_row("/cal/", 507)]),
        "a listing cut with 507 on the home",
    );
    both_fail(
        || multistatus(&[home_row(), calendar("/cal/a/"), status_row("/cal/zz/", 507)]),
        "a listing cut with 507 on a member",
    );
}

#[test]
fn an_empty_multistatus_is_no_empty_home() {
    both_fail(|| multistatus(&[]), "an empty 207");
}

#[test]
fn a_member_row_that_failed_is_not_dropped() {
    both_fail(
        || multistatus(&[home_row(), calendar("/cal/a/"), status_row("/cal/b/", 500)]),
        "a member answered 500",
    );
}

#[test]
fn a_member_whose_resourcetype_failed_is_not_dropped() {
    for status in [403, 500, 503] {
        both_fail(
            || {
                multistatus(&[
                    home_row(),
                    calendar("/cal/a/"),
                    row("/cal/b/", 200, "<d:displayname>Work</d:displayname>").replace(
                        "</d:response>",
                        &format!(
                            "<d:propstat><d:prop><d:resourcetype/></d:prop>\
                                 <d:status>HTTP/1.1 {status} X</d:status></d:propstat>\
                                 </d:response>"
                        ),
                    ),
                ])
            },
            "a member whose resourcetype failed",
        );
    }
}

/// iCloud's home listing (server-profiles §3.1): a plain collection, the inbox with a 404
/// propstat for displayname, and calendars. Nothing in it is an error.
#[test]
fn icloud_home_listing_is_read() {
    let inbox = "<d:response><d:href>/cal/inbox/</d:href><d:propstat><d:prop><d:resourcetype>\
         <d:collection/><c:schedule-inbox/></d:resourcetype></d:prop>\
         <d:status>HTTP/1.1 200 OK</d:status></d:propstat><d:propstat><d:prop>\
         <d:displayname/><c:calendar-color/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status>\
         </d:propstat></d:response>"
        .to_owned();
    let answer = || {
        multistatus(&[
            home_row(),
            inbox.clone(),
            calendar("/cal/a/"),
            row(
                "/cal/notification/",
                200,
                "<d:resourcetype><d:collection/></d:resourcetype>",
            ),
            calendar("/cal/b/"),
        ])
    };
    assert_eq!(discover(answer()).expect("discovered").collections.len(), 2);
    assert_eq!(list(answer()).expect("listed").len(), 2);
}

/// The principal's home-set property in a failed propstat: the home sets are unknown, and
/// the principal is not listed in their place (it holds no calendar, so the list would be
/// empty and look complete). A 404 propstat says there is none: the principal is the home.
#[test]
fn a_home_set_property_that_failed_is_no_missing_home_set() {
    let answer = |status: u16| {
        multistatus(&[format!(
            "<d:response><d:href>/p/</d:href><d:propstat><d:prop><d:current-user-principal>\
             <d:href>/p/</d:href></d:current-user-principal></d:prop>\
             <d:status>HTTP/1.1 200 OK</d:status></d:propstat><d:propstat><d:prop>\
             <c:calendar-home-set/></d:prop><d:status>HTTP/1.1 {status} X</d:status>\
             </d:propstat></d:response>"
        )])
    };
    for status in [403, 500, 503] {
        let mut asked = Vec::new();
        let (result, _) = run_op(session().discover(Service::CalDav), 6, |r: &HttpRequest| {
            asked.push(r.url.clone());
            match r.url.as_str() {
                SERVER => answer(status),
                other => panic!("unexpected request for {other}"),
            }
        });
        let e = result.expect_err("a failed home-set property is no proof of none");
        assert_eq!(e.status(), Some(status), "{e}");
        assert!(asked.iter().all(|u| u == SERVER), "{asked:?}");
    }
    // 404: no home set; the principal's own listing is the home.
    let mut listed = false;
    let (result, _) = run_op(session().discover(Service::CalDav), 6, |r: &HttpRequest| {
        if r.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("depth") && v == "1")
        {
            listed = true;
            multistatus(&[
                row(
                    "/p/",
                    200,
                    "<d:resourcetype><d:collection/></d:resourcetype>",
                ),
                calendar("/p/a/"),
            ])
        } else {
            answer(404)
        }
    });
    assert!(listed, "the principal is listed as the home");
    assert_eq!(result.expect("discovered").collections.len(), 1);
}
