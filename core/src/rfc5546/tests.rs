//! Unit tests of the organizer and attendee edits and the iTIP messages, on the shapes of
//! RFC 5546 §4 and RFC 6638 Appendix B.

use super::*;
use crate::icalendar::CalAddress;

/// A weekly meeting in Berlin time, with a moved third occurrence (an override).
const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:weekly@example.com\r\nDTSTAMP:20250101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20250303T100000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n\
SUMMARY:Weekly\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly@example.com\r\nDTSTAMP:20250101T000000Z\r\n\
RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000\r\n\
DTSTART;TZID=Europe/Berlin:20250317T140000\r\nDURATION:PT1H\r\nSUMMARY:Weekly (moved)\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

const ALICE: &str = "mailto:alice@example.com";
const BOB: &str = "mailto:bob@example.com";
const CAROL: &str = "mailto:carol@example.com";

fn invited() -> Calendar {
    let mut cal = Calendar::parse(SERIES).unwrap();
    organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[
            CalAddress::from_email("bob@example.com"),
            CalAddress::from_email("carol@example.com"),
        ],
        "20250102T080000Z",
    )
    .unwrap();
    cal
}

fn rid(v: &str) -> CalDateTime {
    CalDateTime::parse(v, Some("Europe/Berlin")).unwrap()
}

#[test]
fn invite_sets_organizer_attendees_sequence_and_dtstamp_everywhere() {
    let cal = invited();
    let comps: Vec<_> = scheduling_components(&cal).collect();
    assert_eq!(comps.len(), 2);
    for c in comps {
        assert_eq!(c.property("ORGANIZER").unwrap().raw_value(), ALICE);
        assert_eq!(sequence_of(c), 0);
        assert_eq!(
            c.property("DTSTAMP").unwrap().raw_value(),
            "20250102T080000Z"
        );
        let atts: Vec<_> = c.properties_named("ATTENDEE").collect();
        assert_eq!(atts.len(), 2);
        assert_eq!(
            atts[0].param_value("PARTSTAT").as_deref(),
            Some("NEEDS-ACTION")
        );
        assert_eq!(atts[0].param_value("RSVP").as_deref(), Some("TRUE"));
    }
    let rows = status::attendee_statuses(&cal);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].recurrence_id, None);
    assert_eq!(rows[2].recurrence_id.as_deref(), Some("20250317T100000"));
}

#[test]
fn invite_keeps_schedule_agent_and_refuses_bad_input() {
    let mut cal = invited();
    assert!(organizer::set_schedule_agent(&mut cal, CAROL, "client").unwrap());
    // inviting again (a changed role) keeps SCHEDULE-AGENT
    let mut carol = CalAddress::from_email("carol@example.com");
    carol.role = Some("OPT-PARTICIPANT".into());
    organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[carol],
        "20250102T090000Z",
    )
    .unwrap();
    let rows = status::attendee_statuses(&cal);
    let c = status::status_of(&rows, CAROL, None).unwrap();
    assert_eq!(c.schedule_agent, ScheduleAgent::Client);
    assert_eq!(
        organizer::client_scheduled(&cal, true),
        vec![CAROL.to_owned()]
    );
    assert_eq!(
        organizer::client_scheduled(&cal, false),
        vec![BOB.to_owned(), CAROL.to_owned()]
    );

    let bad = CalAddress::from_email("eve@example.com\r\nATTENDEE:mailto:x@y");
    let err = organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[bad],
        "20250102T090000Z",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[],
        "20250102T090000",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(organizer::set_schedule_agent(&mut cal, CAROL, "ROBOT").is_err());
    let two_uids = SERIES.replace(
        "UID:weekly@example.com\r\nDTSTAMP:20250101T000000Z\r\nRECURRENCE-ID",
        "UID:other@example.com\r\nDTSTAMP:20250101T000000Z\r\nRECURRENCE-ID",
    );
    let mut cal = Calendar::parse(&two_uids).unwrap();
    let err = organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[],
        "20250102T090000Z",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn organizer_address_prefers_the_marked_one_then_mailto() {
    let mut s = crate::rfc6638::Scheduling {
        user_addresses: vec![
            "/principals/alice/".into(),
            "MAILTO:alice@example.com".into(),
        ],
        ..Default::default()
    };
    let a = organizer::organizer_address(&s).unwrap();
    assert_eq!(a.uri, "MAILTO:alice@example.com");
    assert_eq!(a.email.as_deref(), Some("alice@example.com"));
    s.preferred_address = Some("mailto:a@icloud.com".into());
    assert_eq!(
        organizer::organizer_address(&s).unwrap().uri,
        "mailto:a@icloud.com"
    );
    assert!(organizer::organizer_address(&crate::rfc6638::Scheduling::default()).is_none());
}

#[test]
fn update_bumps_sequence_only_on_significant_changes() {
    let old = invited();
    // SUMMARY only: not significant
    let mut new = old.clone();
    new.find_mut("weekly@example.com", None)
        .unwrap()
        .set_summary(Some("Weekly sync"));
    let ch = organizer::update(&old, &mut new, "20250105T000000Z", true).unwrap();
    assert!(ch.iter().all(|c| !c.significant && c.sequence == 0));
    // a moved start on the master: significant there, and answers reset there only
    let mut answered = old.clone();
    attendee::respond(&mut answered, &[BOB], &Answer::Accepted, None).unwrap();
    let mut new = answered.clone();
    new.find_mut("weekly@example.com", None)
        .unwrap()
        .set_dtstart(&rid("20250303T110000"));
    let ch = organizer::update(&answered, &mut new, "20250105T000000Z", true).unwrap();
    assert_eq!(
        ch[0],
        organizer::Change {
            recurrence_id: None,
            significant: true,
            sequence: 1
        }
    );
    assert!(!ch[1].significant);
    let rows = status::attendee_statuses(&new);
    assert_eq!(
        status::status_of(&rows, BOB, None).unwrap().partstat,
        PartStat::NeedsAction
    );
    assert_eq!(
        status::status_of(&rows, BOB, Some("20250317T100000"))
            .unwrap()
            .partstat,
        PartStat::Accepted
    );
    // the app raised SEQUENCE itself: not raised twice; never lowered
    let mut again = new.clone();
    again
        .find_mut("weekly@example.com", None)
        .unwrap()
        .set_sequence(5);
    let ch = organizer::update(&new, &mut again, "20250106T000000Z", false).unwrap();
    assert_eq!(ch[0].sequence, 5);
    let mut lower = again.clone();
    lower
        .find_mut("weekly@example.com", None)
        .unwrap()
        .set_sequence(0);
    let ch = organizer::update(&again, &mut lower, "20250106T000000Z", false).unwrap();
    assert_eq!(ch[0].sequence, 5);
    // a new override is significant (it starts above the series' SEQUENCE)
    let mut with_override = again.clone();
    with_override
        .override_occurrence("weekly@example.com", &rid("20250310T100000"))
        .unwrap()
        .set_location(Some("Room 2"));
    let ch = organizer::update(&again, &mut with_override, "20250106T000000Z", false).unwrap();
    let added = ch
        .iter()
        .find(|c| c.recurrence_id.as_deref() == Some("20250310T100000"))
        .unwrap();
    assert!(added.significant);
    assert_eq!(added.sequence, 6);
}

#[test]
fn cancel_one_occurrence_and_the_whole_meeting() {
    let mut cal = invited();
    organizer::cancel_occurrence(&mut cal, &rid("20250317T100000"), "20250110T000000Z").unwrap();
    let ics = cal.to_ics();
    assert!(ics.contains("EXDATE;TZID=Europe/Berlin:20250317T100000\r\n"));
    assert!(!ics.contains("RECURRENCE-ID"));
    assert_eq!(
        cal.find("weekly@example.com", None).unwrap().sequence(),
        Some(1)
    );
    let msg = itip::cancel(&cal, Some(&rid("20250317T100000"))).unwrap();
    assert!(msg.contains("METHOD:CANCEL\r\n"));
    assert!(msg.contains("RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000\r\n"));
    assert!(msg.contains("SEQUENCE:1\r\n"));
    assert!(msg.contains("STATUS:CANCELLED\r\n"));
    assert!(msg.contains("BEGIN:VTIMEZONE"));

    organizer::cancel(&mut cal, "20250111T000000Z").unwrap();
    let c = cal.find("weekly@example.com", None).unwrap();
    assert_eq!(c.status(), Some("CANCELLED"));
    assert_eq!(c.sequence(), Some(2));
}

#[test]
fn statuses_read_schedule_status_codes() {
    // an organizer copy as RFC 6638 Appendix B.1 shows it after delivery
    let ics = invited()
        .to_ics()
        .replacen(
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob",
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=2.0:mailto:bob",
            1,
        )
        .replacen(
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol",
            "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;SCHEDULE-STATUS=\"1.2,3.7\":mailto:carol",
            1,
        );
    let cal = Calendar::parse(&ics).unwrap();
    let rows = status::attendee_statuses(&cal);
    let bob = status::status_of(&rows, BOB, None).unwrap();
    assert_eq!(bob.partstat, PartStat::Accepted);
    assert!(bob.schedule_status[0].ok() && bob.schedule_status[0].delivered());
    let carol = status::status_of(&rows, "MAILTO:Carol@Example.com", None).unwrap();
    let codes: Vec<_> = carol
        .schedule_status
        .iter()
        .map(|s| s.code.as_str())
        .collect();
    assert_eq!(codes, ["1.2", "3.7"]);
    assert!(!carol.schedule_status[1].ok());
    assert!(carol.rsvp);
}

#[test]
fn attendee_answers_the_series_one_occurrence_or_delegates() {
    let mut cal = invited();
    assert_eq!(attendee::needs_action(&cal, &[BOB]).len(), 2);
    assert!(attendee::needs_action(&cal, &[ALICE]).is_empty());
    // one occurrence without an override: one is created
    attendee::respond(
        &mut cal,
        &[BOB],
        &Answer::Accepted,
        Some(&rid("20250310T100000")),
    )
    .unwrap();
    assert_eq!(
        attendee::my_partstat(&cal, &[BOB], Some(&rid("20250310T100000"))),
        Some(PartStat::Accepted)
    );
    assert_eq!(
        attendee::my_partstat(&cal, &[BOB], None),
        Some(PartStat::NeedsAction)
    );
    // the series: master and every override
    attendee::respond(
        &mut cal,
        &["mailto:BOB@example.com"],
        &Answer::Declined,
        None,
    )
    .unwrap();
    let rows = status::attendee_statuses(&cal);
    assert!(
        rows.iter()
            .filter(|r| same_address(&r.address, BOB))
            .all(|r| r.partstat == PartStat::Declined && !r.rsvp)
    );
    assert!(attendee::needs_action(&cal, &[BOB]).is_empty());
    // delegate
    attendee::respond(
        &mut cal,
        &[CAROL],
        &Answer::Delegated {
            to: "mailto:dave@example.com".into(),
        },
        None,
    )
    .unwrap();
    let rows = status::attendee_statuses(&cal);
    let carol = status::status_of(&rows, CAROL, None).unwrap();
    assert_eq!(carol.partstat, PartStat::Delegated);
    assert_eq!(carol.delegated_to, ["mailto:dave@example.com"]);
    let dave = status::status_of(&rows, "mailto:dave@example.com", None).unwrap();
    assert_eq!(dave.delegated_from, [CAROL]);
    assert_eq!(dave.partstat, PartStat::NeedsAction);
    // not invited
    let err = attendee::respond(
        &mut cal,
        &["mailto:eve@example.com"],
        &Answer::Accepted,
        None,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn request_strips_server_parameters() {
    let mut cal = invited();
    organizer::set_schedule_agent(&mut cal, CAROL, "CLIENT").unwrap();
    let ics = cal.to_ics().replace(
        "RSVP=TRUE:mailto:bob",
        "RSVP=TRUE;SCHEDULE-STATUS=1.2:mailto:bob",
    );
    let cal = Calendar::parse(&ics).unwrap();
    let msg = itip::request(&cal).unwrap();
    assert!(msg.contains("METHOD:REQUEST\r\n"));
    assert!(!msg.contains("SCHEDULE-"));
    let parsed = Message::parse(&msg).unwrap();
    assert_eq!(parsed.method, Method::Request);
    assert_eq!(parsed.uid, "weekly@example.com");
    assert_eq!(scheduling_components(&parsed.calendar).count(), 2);
    // no ORGANIZER: refused
    let err = itip::request(&Calendar::parse(SERIES).unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn parse_refuses_what_is_not_itip() {
    assert_eq!(
        Message::parse(SERIES).unwrap_err().kind(),
        ErrorKind::ICalendar
    );
    let no_org = SERIES.replace(
        "PRODID:-//test//EN\r\n",
        "PRODID:-//test//EN\r\nMETHOD:REQUEST\r\n",
    );
    assert_eq!(
        Message::parse(&no_org).unwrap_err().kind(),
        ErrorKind::ICalendar
    );
    assert_eq!(
        Message::parse("garbage").unwrap_err().kind(),
        ErrorKind::ICalendar
    );
}

/// Bob's reply to the organizer copy, with this SEQUENCE and DTSTAMP.
fn bob_reply(answer: Answer, occurrence: Option<&CalDateTime>, seq: i64, stamp: &str) -> Message {
    let mut bobs = invited();
    for c in scheduling_components_mut(&mut bobs) {
        c.set_property(Property::new("SEQUENCE", &seq.to_string()));
    }
    attendee::respond(&mut bobs, &[BOB], &answer, occurrence).unwrap();
    let text = itip::reply(&bobs, &[BOB], occurrence, stamp).unwrap();
    assert!(text.contains("METHOD:REPLY\r\n"));
    assert!(
        !text.contains("carol"),
        "a reply carries only the replying attendee"
    );
    Message::parse(&text).unwrap()
}

#[test]
fn reply_applies_in_sequence_then_dtstamp_order() {
    let mut organizer_copy = invited();
    let yes = bob_reply(Answer::Accepted, None, 0, "20250103T000000Z");
    assert_eq!(yes.replying_attendee().unwrap().uri, BOB);
    assert_eq!(
        itip::apply(&mut organizer_copy, &yes, &[ALICE]).unwrap(),
        Applied::Updated
    );
    let rows = status::attendee_statuses(&organizer_copy);
    assert_eq!(
        status::status_of(&rows, BOB, None).unwrap().partstat,
        PartStat::Accepted
    );
    // an older DTSTAMP with the same SEQUENCE: ignored
    let old_no = bob_reply(Answer::Declined, None, 0, "20250102T120000Z");
    assert_eq!(
        itip::apply(&mut organizer_copy, &old_no, &[ALICE]).unwrap(),
        Applied::Outdated
    );
    let rows = status::attendee_statuses(&organizer_copy);
    assert_eq!(
        status::status_of(&rows, BOB, None).unwrap().partstat,
        PartStat::Accepted
    );
    // the organizer moved to SEQUENCE 1: a reply to SEQUENCE 0 is ignored, one to 1 applies
    for c in scheduling_components_mut(&mut organizer_copy) {
        c.set_property(Property::new("SEQUENCE", "1"));
    }
    let late = bob_reply(Answer::Tentative, None, 0, "20250104T000000Z");
    assert_eq!(
        itip::apply(&mut organizer_copy, &late, &[ALICE]).unwrap(),
        Applied::Outdated
    );
    let fresh = bob_reply(Answer::Tentative, None, 1, "20250104T000000Z");
    assert_eq!(
        itip::apply(&mut organizer_copy, &fresh, &[ALICE]).unwrap(),
        Applied::Updated
    );
    let rows = status::attendee_statuses(&organizer_copy);
    assert_eq!(
        status::status_of(&rows, BOB, None).unwrap().partstat,
        PartStat::Tentative
    );
}

#[test]
fn reply_to_one_occurrence_makes_an_override() {
    let mut organizer_copy = invited();
    let one = bob_reply(
        Answer::Declined,
        Some(&rid("20250310T100000")),
        0,
        "20250103T000000Z",
    );
    assert_eq!(scheduling_components(&one.calendar).count(), 1);
    assert_eq!(
        itip::apply(&mut organizer_copy, &one, &[ALICE]).unwrap(),
        Applied::Updated
    );
    let rows = status::attendee_statuses(&organizer_copy);
    assert_eq!(
        status::status_of(&rows, BOB, Some("20250310T100000"))
            .unwrap()
            .partstat,
        PartStat::Declined
    );
    assert_eq!(
        status::status_of(&rows, BOB, None).unwrap().partstat,
        PartStat::NeedsAction
    );
    // a reply from a stranger changes nothing
    let eve = one_from("mailto:eve@example.com");
    assert_eq!(
        itip::apply(&mut organizer_copy, &eve, &[ALICE]).unwrap(),
        Applied::UnknownAttendee
    );
    // another event's reply is an error
    let other = Message::parse(
        &itip::request(&invited())
            .unwrap()
            .replace("weekly@", "other@"),
    )
    .unwrap();
    assert!(itip::apply(&mut organizer_copy, &other, &[ALICE]).is_err());
}

fn one_from(address: &str) -> Message {
    let text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n\
UID:weekly@example.com\r\nDTSTAMP:20250103T000000Z\r\nORGANIZER:{ALICE}\r\n\
ATTENDEE;PARTSTAT=ACCEPTED:{address}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    Message::parse(&text).unwrap()
}

#[test]
fn cancel_and_request_apply_to_the_attendee_copy() {
    let mut bobs = invited();
    attendee::respond(&mut bobs, &[BOB], &Answer::Accepted, None).unwrap();
    // a non-significant REQUEST update (same SEQUENCE) keeps Bob's answer
    let mut org = invited();
    org.find_mut("weekly@example.com", None)
        .unwrap()
        .set_location(Some("Room 1"));
    let req = Message::parse(&itip::request(&org).unwrap()).unwrap();
    assert_eq!(
        itip::apply(&mut bobs, &req, &[BOB]).unwrap(),
        Applied::Updated
    );
    assert_eq!(
        bobs.find("weekly@example.com", None)
            .unwrap()
            .location()
            .as_deref(),
        Some("Room 1")
    );
    assert_eq!(
        attendee::my_partstat(&bobs, &[BOB], None),
        Some(PartStat::Accepted)
    );
    assert!(bobs.method().is_none(), "the stored copy has no METHOD");
    // a CANCEL of one occurrence
    let mut org2 = org.clone();
    organizer::cancel_occurrence(&mut org2, &rid("20250324T100000"), "20250110T000000Z").unwrap();
    let msg = Message::parse(&itip::cancel(&org2, Some(&rid("20250324T100000"))).unwrap()).unwrap();
    assert_eq!(
        itip::apply(&mut bobs, &msg, &[BOB]).unwrap(),
        Applied::Updated
    );
    assert!(
        bobs.to_ics()
            .contains("EXDATE;TZID=Europe/Berlin:20250324T100000")
    );
    // a significant REQUEST (SEQUENCE 1) replaces the copy, answer reset to the organizer's
    let req2 = Message::parse(&itip::request(&org2).unwrap()).unwrap();
    assert_eq!(
        itip::apply(&mut bobs, &req2, &[BOB]).unwrap(),
        Applied::Updated
    );
    assert_eq!(
        attendee::my_partstat(&bobs, &[BOB], None),
        Some(PartStat::NeedsAction)
    );
    // an older REQUEST is ignored
    assert_eq!(
        itip::apply(&mut bobs, &req, &[BOB]).unwrap(),
        Applied::Outdated
    );
    // the whole meeting cancelled
    organizer::cancel(&mut org2, "20250111T000000Z").unwrap();
    let all = Message::parse(&itip::cancel(&org2, None).unwrap()).unwrap();
    assert_eq!(
        itip::apply(&mut bobs, &all, &[BOB]).unwrap(),
        Applied::Updated
    );
    assert_eq!(
        bobs.find("weekly@example.com", None).unwrap().status(),
        Some("CANCELLED")
    );
    assert!(attendee::needs_action(&bobs, &[BOB]).is_empty());
}

#[test]
fn an_occurrence_needs_a_recurring_event_or_its_own_override() {
    let single = SERIES.replace("RRULE:FREQ=WEEKLY;COUNT=4\r\n", "").replace(
        "RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000\r\n",
        "X-NOTHING:1\r\n",
    );
    let mut cal = Calendar::parse(&single).unwrap();
    let err = attendee::respond(
        &mut cal,
        &[ALICE],
        &Answer::Accepted,
        Some(&rid("20250303T100000")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // invited to one occurrence only: the copy holds just that override
    let only_override = invited().to_ics();
    let start = only_override.find("BEGIN:VEVENT").unwrap();
    let end = only_override.find("END:VEVENT\r\n").unwrap() + "END:VEVENT\r\n".len();
    let mut cal = Calendar::parse(&format!(
        "{}{}",
        &only_override[..start],
        &only_override[end..]
    ))
    .unwrap();
    assert_eq!(
        attendee::needs_action(&cal, &[BOB]),
        vec![Some(rid("20250317T100000"))]
    );
    attendee::respond(
        &mut cal,
        &[BOB],
        &Answer::Tentative,
        Some(&rid("20250317T100000")),
    )
    .unwrap();
    assert_eq!(
        attendee::my_partstat(&cal, &[BOB], Some(&rid("20250317T100000"))),
        Some(PartStat::Tentative)
    );
    assert!(attendee::needs_action(&cal, &[BOB]).is_empty());
}

#[test]
fn messages_carry_a_vtimezone_for_a_tzid_the_event_has_none_for() {
    // The series without its VTIMEZONE (as many clients and the Calendar API write events):
    // each message gets one written from the zone's rules, and the event's own is kept where
    // it has one.
    let bare = SERIES.replace(
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
        "",
    );
    assert!(!bare.contains("VTIMEZONE"));
    let mut cal = Calendar::parse(&bare).unwrap();
    organizer::invite(
        &mut cal,
        &CalAddress::from_email("alice@example.com"),
        &[CalAddress::from_email("bob@example.com")],
        "20250102T080000Z",
    )
    .unwrap();
    let written = "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n";
    let request = itip::request(&cal).unwrap();
    let cancel = itip::cancel(&cal, Some(&rid("20250317T100000"))).unwrap();
    for msg in [&request, &cancel] {
        assert_eq!(
            msg.matches("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n")
                .count(),
            1
        );
        assert!(msg.contains(written), "{msg}");
        assert!(
            msg.find("BEGIN:VTIMEZONE") < msg.find("BEGIN:VEVENT"),
            "the zone before the events"
        );
    }
    let own = itip::request(&invited()).unwrap();
    assert!(own.contains("DTSTART:19701025T030000\r\n"), "{own}");
    assert!(
        !own.contains(written),
        "the event's own VTIMEZONE is kept, not added to"
    );
}

/// A calendar of the weekly series and `n` overrides of it (a week apart, from 2025-03-10),
/// each naming Bob, with `method` when given.
fn with_overrides(n: usize, method: Option<&str>) -> String {
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    if let Some(m) = method {
        text.push_str(&format!("METHOD:{m}\r\n"));
    }
    let event = |rid: Option<&str>| {
        let rid = rid.map_or(String::new(), |r| format!("RECURRENCE-ID:{r}\r\n"));
        format!(
            "BEGIN:VEVENT\r\nUID:many@example.com\r\nDTSTAMP:20250102T000000Z\r\n{rid}\
DTSTART:20250303T090000Z\r\nORGANIZER:{ALICE}\r\nATTENDEE;PARTSTAT=ACCEPTED:{BOB}\r\n\
END:VEVENT\r\n"
        )
    };
    text.push_str(&event(None).replace("DTSTART", "RRULE:FREQ=WEEKLY\r\nDTSTART"));
    let start = jiff::civil::date(2025, 3, 10).at(9, 0, 0, 0);
    for i in 0..n {
        let day = start
            .checked_add(jiff::Span::new().days(7 * i as i64))
            .unwrap();
        text.push_str(&event(Some(&day.strftime("%Y%m%dT%H%M%SZ").to_string())));
    }
    text.push_str("END:VCALENDAR\r\n");
    text
}

/// Applying a message matches each of its components against the stored ones, so the time grew
/// with the product of the two counts (a REPLY of 4,000 occurrences took 5.9 s): past
/// `MAX_COMPONENTS` a message or a stored event is refused with a typed error instead.
#[test]
fn messages_and_events_past_max_components_are_refused() {
    let kind = |r: Result<Message>| r.err().map(|e| e.kind());
    for method in ["REPLY", "CANCEL", "REQUEST"] {
        let text = with_overrides(4_000, Some(method));
        assert_eq!(
            kind(Message::parse(&text)),
            Some(ErrorKind::LimitExceeded),
            "{method}"
        );
    }
    // at the bound a message is read
    let at_max = Message::parse(&with_overrides(MAX_COMPONENTS - 1, Some("REQUEST"))).unwrap();
    assert_eq!(at_max.calendar.events().count(), MAX_COMPONENTS);
    // a stored event past the bound is not edited
    let mut stored = Calendar::parse(&with_overrides(4_000, None)).unwrap();
    let small = Message::parse(&with_overrides(1, Some("CANCEL"))).unwrap();
    let err = itip::apply(&mut stored, &small, &[BOB]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.message().contains("MAX_COMPONENTS"), "{err}");
    let old = stored.clone();
    let err = organizer::update(&old, &mut stored, "20250103T000000Z", false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        attendee::respond(&mut stored, &[BOB], &Answer::Declined, None)
            .unwrap_err()
            .kind(),
        ErrorKind::LimitExceeded
    );
}

/// A meeting of `n` attendees, each with a property in a zone of its own and a VTIMEZONE of
/// that zone.
fn crowded(n: usize) -> Calendar {
    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n\
UID:crowd@example.com\r\nDTSTAMP:20250102T000000Z\r\nDTSTART:20250303T090000Z\r\n\
ORGANIZER:mailto:alice@example.com\r\nATTENDEE:MAILTO:Alice@Example.com\r\n",
    );
    let mut zones = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "ATTENDEE:mailto:u{i}@example.com\r\nATTENDEE:MAILTO:U{i}@EXAMPLE.COM\r\n\
ATTENDEE:urn:x:{i}/\r\nATTENDEE:urn:x:{i}\r\nX-AT;TZID=Z{i}:20250303T090000\r\n"
        ));
        zones.push_str(&format!(
            "BEGIN:VTIMEZONE\r\nTZID:Z{i}\r\nEND:VTIMEZONE\r\n"
        ));
    }
    text.push_str("END:VEVENT\r\n");
    text.push_str(&zones);
    text.push_str("END:VCALENDAR\r\n");
    Calendar::parse(&text).unwrap()
}

/// Each attendee was compared with every one listed before it: 20,000 attendees (2 MB) took
/// 18 s. Deduplicated through a set of `address_key`s, as `same_address` compares.
#[test]
fn client_scheduled_lists_thousands_of_attendees_once_each() {
    let n = 20_000;
    let out = organizer::client_scheduled(&crowded(n), false);
    assert_eq!(
        out.len(),
        2 * n,
        "a mailto: once whatever its case, a URI with or without /"
    );
    assert_eq!(out[0], "mailto:u0@example.com");
    assert_eq!(out[1], "urn:x:0/");
    assert!(
        !out.iter().any(|a| same_address(a, ALICE)),
        "not the organizer"
    );
    for (a, b, same) in [
        ("mailto:A@x", " MAILTO:a@X ", true),
        ("urn:x:1/", "urn:x:1", true),
        ("urn:x:1", "URN:x:1", false),
        ("mailto:a@x", "a@x", false),
        ("mailto:", "MAILTO:", true),
    ] {
        assert_eq!(same_address(a, b), same, "{a} {b}");
        assert_eq!(address_key(a) == address_key(b), same, "{a} {b}");
    }
}

/// Each VTIMEZONE was looked for in the list of every TZID the components use: 20,000 of each
/// took 1 s in a release build.
#[test]
fn a_message_copies_the_zones_of_thousands_of_tzids_in_one_pass() {
    let n = 20_000;
    let text = itip::request(&crowded(n)).unwrap();
    assert_eq!(text.matches("BEGIN:VTIMEZONE\r\n").count(), n);
    assert!(text.contains("TZID:Z19999\r\n"));
}

/// A weekly series in Berlin time from 2025-01-06 10:00 (09:00 UTC) with Bob invited, and
/// overrides, in Berlin time, for the occurrences of the weeks in `overridden`.
fn berlin_series(overridden: &[usize]) -> Calendar {
    let week = |w: usize| {
        jiff::civil::date(2025, 1, 6).at(10, 0, 0, 0) + jiff::Span::new().weeks(w as i64)
    };
    let event = |rid: Option<usize>| {
        let rid = rid.map_or(String::new(), |w| {
            format!(
                "RECURRENCE-ID;TZID=Europe/Berlin:{}\r\n",
                week(w).strftime("%Y%m%dT%H%M%S")
            )
        });
        format!(
            "BEGIN:VEVENT\r\nUID:berlin@example.com\r\nDTSTAMP:20250101T000000Z\r\n{rid}\
DTSTART;TZID=Europe/Berlin:20250106T100000\r\nRRULE:FREQ=WEEKLY\r\nORGANIZER:{ALICE}\r\n\
ATTENDEE;PARTSTAT=NEEDS-ACTION:{BOB}\r\nEND:VEVENT\r\n"
        )
    };
    let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    text.push_str(&event(None));
    for &w in overridden {
        text.push_str(&event(Some(w)).replace("RRULE:FREQ=WEEKLY\r\n", ""));
    }
    text.push_str("END:VCALENDAR\r\n");
    Calendar::parse(&text).unwrap()
}

/// A message from Bob about the occurrences of the weeks in `weeks`, each named in UTC.
fn bob_about(method: &str, partstat: &str, weeks: &[usize]) -> Message {
    let mut text =
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\n");
    for &w in weeks {
        let at = jiff::civil::date(2025, 1, 6).at(9, 0, 0, 0) + jiff::Span::new().weeks(w as i64);
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:berlin@example.com\r\nDTSTAMP:20250201T000000Z\r\n\
RECURRENCE-ID:{}\r\nORGANIZER:{ALICE}\r\nATTENDEE;PARTSTAT={partstat}:{BOB}\r\nEND:VEVENT\r\n",
            at.strftime("%Y%m%dT%H%M%SZ")
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    Message::parse(&text).unwrap()
}

/// Bob's PARTSTAT in each override, by the week of its RECURRENCE-ID, in the calendar's order.
fn overrides_of(cal: &Calendar) -> Vec<(String, String)> {
    cal.events()
        .filter_map(|e| {
            let rid = e.recurrence_id().ok().flatten()?;
            let bob = e
                .component()
                .properties_named("ATTENDEE")
                .find(|p| p.raw_value() == BOB)?;
            Some((
                rid.local().strftime("%m%d").to_string(),
                bob.param_value("PARTSTAT")?.to_string(),
            ))
        })
        .collect()
}

/// Applying finds each stored override by position once read (`icalendar::Occurrences`) rather
/// than by a walk per message component: a reply naming occurrences in UTC reaches the
/// overrides stored in Berlin time, makes one override for each occurrence that has none, and
/// a cancel removes exactly the overrides of the occurrences it names. (Twelve weeks, all
/// before the change to summer time, so that 10:00 in Berlin is 09:00 UTC in each.)
#[test]
fn many_occurrences_are_matched_across_forms_once_each() {
    let weeks: Vec<usize> = (0..12).collect();
    let mut stored = berlin_series(&(0..12).step_by(2).collect::<Vec<_>>());
    let reply = bob_about("REPLY", "ACCEPTED", &weeks);
    assert_eq!(
        itip::apply(&mut stored, &reply, &[BOB]).unwrap(),
        Applied::Updated
    );
    let after = overrides_of(&stored);
    assert_eq!(after.len(), 12, "one override per occurrence: {after:?}");
    assert!(after.iter().all(|(_, p)| p == "ACCEPTED"), "{after:?}");
    // the 6 stored ones first, in their order, then the 6 made, in the message's order
    let days: Vec<&str> = after.iter().map(|(d, _)| d.as_str()).collect();
    let mut sorted = days.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 12);
    assert_eq!(days[0], "0106");
    assert_eq!(days[6], "0113");
    // The same reply again changes no override and makes none.
    assert_eq!(
        itip::apply(&mut stored, &reply, &[BOB]).unwrap(),
        Applied::Updated
    );
    assert_eq!(overrides_of(&stored), after);
    // A cancel of every third occurrence: its overrides go, an EXDATE each on the master.
    let cancelled: Vec<usize> = (0..12).step_by(3).collect();
    let cancel = bob_about("CANCEL", "ACCEPTED", &cancelled);
    assert_eq!(
        itip::apply(&mut stored, &cancel, &[BOB]).unwrap(),
        Applied::Updated
    );
    let left = overrides_of(&stored);
    assert_eq!(left.len(), 12 - cancelled.len());
    let gone: Vec<&String> = after
        .iter()
        .map(|(d, _)| d)
        .filter(|d| !left.iter().any(|(l, _)| l == *d))
        .collect();
    assert_eq!(gone.len(), cancelled.len());
    let kept: Vec<&(String, String)> = after.iter().filter(|o| !gone.contains(&&o.0)).collect();
    assert_eq!(
        left.iter().collect::<Vec<_>>(),
        kept,
        "the others kept, in order"
    );
    let master = stored.find("berlin@example.com", None).unwrap();
    assert_eq!(
        master.component().properties_named("EXDATE").count(),
        cancelled.len()
    );
}

/// A CANCEL's components without RECURRENCE-ID each cancel the whole event and raise every
/// component's SEQUENCE to theirs; they are applied once at the end, but a later component of
/// the same message already sees the raised SEQUENCE: an occurrence cancelled with SEQUENCE 3
/// after the whole event was cancelled with 5 is older than its override and left alone.
#[test]
fn whole_event_cancels_raise_sequence_for_the_components_after_them() {
    let mut stored = berlin_series(&[1, 2]);
    let at = |w: usize| {
        (jiff::civil::date(2025, 1, 6).at(9, 0, 0, 0) + jiff::Span::new().weeks(w as i64))
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let component = |rid: Option<String>, seq: i64| {
        let rid = rid.map_or(String::new(), |r| format!("RECURRENCE-ID:{r}\r\n"));
        format!(
            "BEGIN:VEVENT\r\nUID:berlin@example.com\r\nDTSTAMP:20250201T000000Z\r\n\
SEQUENCE:{seq}\r\n{rid}ORGANIZER:{ALICE}\r\nATTENDEE:{BOB}\r\nEND:VEVENT\r\n"
        )
    };
    let text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:CANCEL\r\n{}{}{}{}\
END:VCALENDAR\r\n",
        component(None, 2),
        component(None, 5),
        component(Some(at(1)), 3),
        component(Some(at(2)), 6),
    );
    let cancel = Message::parse(&text).unwrap();
    assert_eq!(
        itip::apply(&mut stored, &cancel, &[BOB]).unwrap(),
        Applied::Updated
    );
    // The override of week 1 stays (3 < 5); week 2's goes (6 >= 5), with an EXDATE.
    let left: Vec<String> = overrides_of(&stored).into_iter().map(|(d, _)| d).collect();
    assert_eq!(left, ["0113"]);
    let master = stored.find("berlin@example.com", None).unwrap();
    assert_eq!(master.component().properties_named("EXDATE").count(), 1);
    for c in scheduling_components(&stored) {
        assert_eq!(
            c.property("STATUS").map(|p| p.raw_value()),
            Some("CANCELLED")
        );
        assert_eq!(sequence_of(c), 5);
    }
}
