//! Fuzzes discovery (RFC 6764 well-known URIs, RFC 5397 principal, RFC 4791 §6.2.1 / RFC 6352
//! §7.1.1 home sets, the Depth 1 home listings) fed arbitrary answers: for every service kind
//! and the provider profiles, the operation finishes with a result or a typed error under any
//! finite run of answers, never panics, sends credentials only where they may go, and returns
//! no more collections or home sets than the limits allow, each an absolute URL.
//!
//! Input: see `common/exchange.rs`. The configuration keys read here are `url`, `profile`,
//! `credentials`, `service` (`caldav`, `carddav`, `both`; default from the first input byte),
//! `limits`.
#![no_main]

#[path = "common/exchange.rs"]
mod exchange;

use davkit::Service;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = exchange::Input::parse(data);
    let Some(session) = input.session() else {
        return;
    };
    let service = match input.get("service") {
        Some("caldav") => Service::CalDav,
        Some("carddav") => Service::CardDav,
        Some("both") => Service::Both,
        _ => match data.first().copied().unwrap_or(0) % 3 {
            0 => Service::CalDav,
            1 => Service::CardDav,
            _ => Service::Both,
        },
    };
    let limits = *session.limits();
    let Ok(found) = exchange::drive(
        &session,
        session.discover(service),
        &mut input.answers.iter(),
    ) else {
        return;
    };
    assert!(
        found.collections.len() <= limits.max_collections,
        "{} collections",
        found.collections.len()
    );
    assert!(
        found.calendar_home_sets.len() + found.addressbook_home_sets.len() <= limits.max_home_sets,
        "{} + {} home sets",
        found.calendar_home_sets.len(),
        found.addressbook_home_sets.len()
    );
    for url in found
        .collections
        .iter()
        .map(|c| &c.url)
        .chain(&found.calendar_home_sets)
        .chain(&found.addressbook_home_sets)
        .chain(&found.principal)
    {
        assert!(url::Url::parse(url).is_ok(), "not an absolute URL: {url}");
    }
    if service == Service::CalDav {
        assert!(
            found.addressbook_home_sets.is_empty(),
            "CardDAV home sets for CalDAV"
        );
    }
    if service == Service::CardDav {
        assert!(
            found.calendar_home_sets.is_empty(),
            "CalDAV home sets for CardDAV"
        );
    }
});
