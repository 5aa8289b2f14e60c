//! The wire checks of `world.rs` fire: requests written by hand, as a broken client would
//! send them, are caught.

use davkit::{HttpRequest, Method, RequestId};

use crate::faults::Injector;
use crate::server::{Flavor, Server, member_name, object_data};
use crate::world::{OpTrack, World};
use davkit_testkit::Rng;

/// A world with one calendar holding one event, and an operation in progress.
fn world(flavor: Flavor) -> (World, String, String) {
    let mut server = Server::new(flavor);
    let c = server.add_collection(true, None);
    let name = member_name(true, "x1");
    let etag = server.store(c, &name, object_data(true, "x1", "one"));
    let mut world = World::new(server, Injector::new(Rng::new(1), 0), Rng::new(2), 0);
    world.op = Some(OpTrack {
        label: "hand-written write".into(),
        intent: Some(1),
        ..OpTrack::default()
    });
    (world, format!("{}{name}", Server::coll_url(c)), etag)
}

fn request(
    world: &World,
    id: u32,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
) -> HttpRequest {
    let mut all = vec![(
        "Authorization".to_owned(),
        format!("Bearer {}", world.server.valid_token),
    )];
    all.extend(
        headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    HttpRequest {
        id: RequestId(id),
        method,
        url: url.to_owned(),
        headers: all,
        body: (method == Method::Put).then(|| object_data(true, "x1", "two").into_bytes()),
    }
}

fn invariant(world: &World) -> Option<u8> {
    world.violation.as_ref().map(|v| v.invariant)
}

#[test]
fn a_conditional_update_passes() {
    let (mut w, url, etag) = world(Flavor::Generic);
    let req = request(&w, 1, Method::Put, &url, &[("If-Match", &etag)]);
    let response = w.handle(req).expect("answered");
    assert_eq!(response.status, 204);
    assert_eq!(invariant(&w), None);
}

#[test]
fn an_unconditional_put_is_caught() {
    let (mut w, url, _) = world(Flavor::Generic);
    let req = request(&w, 1, Method::Put, &url, &[]);
    let _ = w.handle(req);
    assert_eq!(invariant(&w), Some(4));
}

#[test]
fn an_unchecked_write_where_if_match_is_ignored_is_caught() {
    let (mut w, url, _) = world(Flavor::GoogleCarddav);
    let req = request(&w, 1, Method::Put, &url, &[("If-Match", "\"stale\"")]);
    let _ = w.handle(req);
    assert_eq!(invariant(&w), Some(4));
}

#[test]
fn an_unchecked_delete_on_sogo_is_caught() {
    // SOGo deletes whatever a DELETE's If-Match says: the ETag must be compared first.
    let (mut w, url, etag) = world(Flavor::Sogo);
    let req = request(&w, 1, Method::Delete, &url, &[("If-Match", &etag)]);
    let _ = w.handle(req);
    assert_eq!(invariant(&w), Some(4));
}

#[test]
fn a_sogo_create_without_a_check_is_caught() {
    // SOGo replaces what is at a name whatever If-None-Match says.
    let (mut w, url, _) = world(Flavor::Sogo);
    let req = request(&w, 1, Method::Put, &url, &[("If-None-Match", "*")]);
    let _ = w.handle(req);
    assert_eq!(invariant(&w), Some(4));
}

#[test]
fn a_google_caldav_create_over_an_unread_event_is_caught() {
    let (mut w, url, _) = world(Flavor::GoogleCaldav);
    let check = request(&w, 1, Method::Propfind, &url, &[("Depth", "0")]);
    let _ = w.handle(check);
    // The check saw the event and the create goes ahead anyway.
    let req = request(&w, 2, Method::Put, &url, &[]);
    let _ = w.handle(req);
    assert_eq!(invariant(&w), Some(4));
}

#[test]
fn a_request_loop_is_cut_off() {
    let (mut w, url, _) = world(Flavor::Generic);
    for id in 1..1_000 {
        let req = request(&w, id, Method::Get, &url, &[]);
        if w.handle(req).is_err() {
            break;
        }
    }
    assert_eq!(invariant(&w), Some(5));
}
