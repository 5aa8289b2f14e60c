//! Changing events straight on the server between the syncs (not measured, not counted).

use http_body_util::BodyExt;

use crate::libdav_client::hyper_client;
use crate::{Settings, Target};

/// The same text as bench/seed_events.py's `event(i, revision)`.
pub(crate) fn event(i: usize, revision: u128) -> String {
    let day = i % 28 + 1;
    let hour = 8 + i % 10;
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//network bench//EN\r\n\
         BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
         BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
         DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
         BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
         DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
         END:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:bench-event-{i:05}\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART;TZID=Europe/Berlin:202603{day:02}T{hour:02}0000\r\nDURATION:PT1H\r\n\
         SUMMARY:Design review #{i} (revision {revision})\r\n\
         DESCRIPTION:Agenda: roadmap\\, budget\\, hiring. Bring numbers and the draft\r\n  \
         slides from last week.\r\n\
         LOCATION:Room 4.{}\r\n\
         ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n\
         ORGANIZER;CN=Alice:mailto:alice@example.com\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
        i % 9
    )
}

/// PUTs a new revision of `changes` events spread over the collection, straight to the server.
pub(crate) async fn change_events(target: &Target, s: &Settings) -> Result<(), String> {
    let client = hyper_client();
    let revision = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let stride = (s.events / s.changes.max(1)).max(1);
    for k in 0..s.changes {
        let i = k * stride;
        let url = format!("{}bench-event-{i:05}.ics", target.collection_url());
        let mut request =
            http::Request::put(url.as_str()).header("Content-Type", "text/calendar; charset=utf-8");
        if let Some((u, p)) = &target.user {
            request = request.header(
                "Authorization",
                format!(
                    "Basic {}",
                    davkit::base64::encode(format!("{u}:{p}").as_bytes())
                ),
            );
        }
        let request = request
            .body(event(i, revision))
            .map_err(|e| e.to_string())?;
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if !status.is_success() {
            return Err(format!("PUT {url}: {status}"));
        }
    }
    Ok(())
}
