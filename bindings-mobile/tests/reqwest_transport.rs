//! The built-in reqwest transport (feature `reqwest`) against the Radicale that
//! `tests/servers/servers.py --only radicale run -- cargo test -p davkit-mobile --features reqwest`
//! starts; without DAVKIT_RADICALE_URL it checks only that the transport can be made.
#![cfg(feature = "reqwest")]

mod common;
use common::block_on;

use davkit_mobile::{
    CollectionKind, CollectionProps, Credentials, DavClient, DavConfig, DavError, Service,
    reqwest_sleeper, reqwest_transport,
};

#[test]
fn discovery_crud_and_sync_over_reqwest() -> Result<(), DavError> {
    let transport = reqwest_transport()?;
    let Ok(url) = std::env::var("DAVKIT_RADICALE_URL") else {
        eprintln!("DAVKIT_RADICALE_URL not set: only the transport was built");
        return Ok(());
    };
    let config = DavConfig::new(
        url.clone(),
        Credentials::basic(
            std::env::var("DAVKIT_RADICALE_USER").unwrap_or_default(),
            std::env::var("DAVKIT_RADICALE_PASSWORD").unwrap_or_default(),
        ),
    );
    let client = DavClient::new(config, transport, Some(reqwest_sleeper()?), None)?;
    block_on(async {
        let found = client.discover(Service::Both).await?;
        assert_eq!(
            found.principal.as_deref(),
            Some(format!("{url}alice/").as_str())
        );
        let home = found.calendar_home_sets[0].clone();
        let cal = client
            .create_calendar(home, "reqwest-live".into(), CollectionProps::default())
            .await?;
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000Z\r\nSUMMARY:R\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let w = client
            .create_object(cal.url.clone(), "r1.ics".into(), ics.into())
            .await?;
        let stale = client
            .update_object(w.url.clone(), ics.into(), "\"stale\"".into())
            .await;
        assert_eq!(stale.map_err(|e| e.kind_name()), Err("PreconditionFailed"));
        let synced = client
            .sync(cal.url.clone(), CollectionKind::Calendar, None)
            .await?;
        assert_eq!(synced.changes.len(), 1);
        client.delete_collection(cal.url, None).await?;
        Ok(())
    })
}
