use super::*;
use crate::contentline::{Component, Property};

const CAL: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//davkit//test//EN\r
X-WR-CALNAME:Work\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:ev1@example.com\r
DTSTAMP:20250101T120000Z\r
DTSTART;TZID=Europe/Berlin:20250110T100000\r
DTEND;TZID=Europe/Berlin:20250110T113000\r
SUMMARY:Planning\\, Q1\r
DESCRIPTION:Line 1\\nLine 2\r
LOCATION:Room 4\r
STATUS:CONFIRMED\r
SEQUENCE:2\r
CATEGORIES:Work,Meetings\r
CATEGORIES:Important\r
ORGANIZER;CN=\"Boss, The\":mailto:boss@example.com\r
ATTENDEE;CN=Ann;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:ann@example.com\r
ATTENDEE;CUTYPE=ROOM;DELEGATED-FROM=\"mailto:x@example.com\":mailto:room@example.com\r
X-CUSTOM;X-PARAM=keep:me\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
TRIGGER:-PT15M\r
DESCRIPTION:Reminder\r
END:VALARM\r
END:VEVENT\r
BEGIN:VTODO\r
UID:todo1\r
DUE;VALUE=DATE:20250201\r
SUMMARY:File taxes\r
END:VTODO\r
BEGIN:VJOURNAL\r
UID:j1\r
DTSTART;VALUE=DATE:20250105\r
END:VJOURNAL\r
BEGIN:VFREEBUSY\r
UID:fb1\r
FREEBUSY:20250101T100000Z/20250101T110000Z\r
END:VFREEBUSY\r
END:VCALENDAR\r
";

#[test]
fn typed_getters_read_the_lossless_tree() {
    let cal = Calendar::parse(CAL).expect("parse");
    assert_eq!(cal.version(), Some("2.0"));
    assert_eq!(cal.name().as_deref(), Some("Work"));
    assert_eq!(cal.events().count(), 1);
    assert_eq!(cal.todos().count(), 1);
    assert_eq!(cal.journals().count(), 1);
    assert_eq!(cal.freebusys().count(), 1);
    assert_eq!(
        cal.timezones().next().and_then(|t| t.tzid()),
        Some("Europe/Berlin")
    );
    assert_eq!(
        cal.timezones().next().map(|t| t.observances().len()),
        Some(1)
    );
    let ev = cal.events().next().expect("event");
    assert_eq!(ev.uid().as_deref(), Some("ev1@example.com"));
    assert_eq!(ev.summary().as_deref(), Some("Planning, Q1"));
    assert_eq!(ev.description().as_deref(), Some("Line 1\nLine 2"));
    assert_eq!(ev.location().as_deref(), Some("Room 4"));
    assert_eq!(ev.status(), Some("CONFIRMED"));
    assert_eq!(ev.sequence(), Some(2));
    assert_eq!(ev.categories(), vec!["Work", "Meetings", "Important"]);
    let start = ev.dtstart().expect("valid").expect("present");
    assert_eq!(start.tzid(), Some("Europe/Berlin"));
    assert_eq!(start.to_iso(), "2025-01-10T10:00:00");
    assert_eq!(
        ev.end().expect("valid").map(|e| e.to_iso()).as_deref(),
        Some("2025-01-10T11:30:00")
    );
    let org = ev.organizer().expect("organizer");
    assert_eq!(org.cn.as_deref(), Some("Boss, The"));
    assert_eq!(org.email.as_deref(), Some("boss@example.com"));
    let att = ev.attendees();
    assert_eq!(att.len(), 2);
    assert_eq!(att[0].partstat.as_deref(), Some("ACCEPTED"));
    assert_eq!(att[0].rsvp, Some(true));
    assert_eq!(att[1].cutype.as_deref(), Some("ROOM"));
    assert_eq!(att[1].delegated_from, vec!["mailto:x@example.com"]);
    let alarm = ev.alarms().next().expect("alarm");
    assert_eq!(alarm.action(), Some("DISPLAY"));
    assert_eq!(
        alarm.trigger_duration().map(|d| d.exact_seconds()),
        Some(-900)
    );
    let todo = cal.todos().next().expect("todo");
    assert_eq!(
        todo.due().expect("valid"),
        Some(CalDateTime::Date(jiff::civil::date(2025, 2, 1)))
    );
    let journal = cal.journals().next().expect("journal");
    assert_eq!(
        journal.end().expect("valid").map(|e| e.to_iso()).as_deref(),
        Some("2025-01-06")
    );
}

#[test]
fn round_trip_keeps_everything() {
    let cal = Calendar::parse(CAL).expect("parse");
    let out = cal.to_ics();
    assert_eq!(Calendar::parse(&out).expect("reparse"), cal);
    // the only difference to the input is the folding of the two long ATTENDEE lines
    let unfolded = out.replace("\r\n ", "");
    assert_eq!(unfolded, CAL);
    assert!(out.split("\r\n").all(|l| l.len() <= 75));
}

#[test]
fn setters_write_back_into_the_tree() {
    let mut cal = Calendar::parse(CAL).expect("parse");
    {
        let mut ev = cal.find_mut("ev1@example.com", None).expect("event");
        ev.set_summary(Some("Planning; v2"));
        ev.set_location(None);
        ev.bump_sequence();
        ev.set_categories(&["A,B", "C"]);
        ev.set_dtstart(&CalDateTime::Utc(jiff::civil::datetime(
            2025, 1, 11, 9, 0, 0, 0,
        )));
        ev.set_duration(Some(&Duration::parse("PT45M").expect("duration")));
        assert!(ev.set_partstat("ann@example.com", "DECLINED"));
        assert!(!ev.set_partstat("nobody@example.com", "DECLINED"));
        ev.upsert_attendee(&CalAddress {
            cn: Some("Bob".into()),
            ..CalAddress::from_email("bob@example.com")
        });
        assert!(ev.remove_attendee("room@example.com"));
        ev.set_status(Some("TENTATIVE"));
    }
    let text = cal.to_ics();
    let again = Calendar::parse(&text).expect("reparse");
    let ev = again.events().next().expect("event");
    assert_eq!(ev.summary().as_deref(), Some("Planning; v2"));
    assert!(text.contains("SUMMARY:Planning\\; v2\r\n"));
    assert_eq!(ev.location(), None);
    assert_eq!(ev.sequence(), Some(3));
    assert_eq!(ev.categories(), vec!["A,B", "C"]);
    assert_eq!(
        ev.dtstart()
            .expect("valid")
            .map(|d| d.to_ical_value())
            .as_deref(),
        Some("20250111T090000Z")
    );
    assert_eq!(ev.dtend().expect("valid"), None);
    assert_eq!(
        ev.end().expect("valid").map(|d| d.to_iso()).as_deref(),
        Some("2025-01-11T09:45:00Z")
    );
    let att = ev.attendees();
    assert_eq!(
        att.iter()
            .map(|a| a.email.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["ann@example.com", "bob@example.com"]
    );
    assert_eq!(att[0].partstat.as_deref(), Some("DECLINED"));
    assert_eq!(ev.status(), Some("TENTATIVE"));
    // untouched properties are still byte-identical
    assert!(text.contains("X-CUSTOM;X-PARAM=keep:me\r\n"));
    assert!(text.contains("ORGANIZER;CN=\"Boss, The\":mailto:boss@example.com\r\n"));
}

#[test]
fn value_parsing() {
    assert_eq!(
        CalDateTime::parse("20240229", None).map(|d| d.to_iso()),
        Ok("2024-02-29".into())
    );
    assert!(CalDateTime::parse("20230229", None).is_err());
    assert!(CalDateTime::parse("20240101T250000", None).is_err());
    assert!(CalDateTime::parse("2024", None).is_err());
    assert_eq!(
        CalDateTime::parse("20240101T000060Z", None).map(|d| d.to_iso()),
        Ok("2024-01-01T00:00:59Z".into())
    );
    assert_eq!(
        CalDateTime::parse("20240101T100000", Some("Asia/Seoul")).map(|d| d.to_string()),
        Ok("2024-01-01T10:00:00[Asia/Seoul]".into())
    );
    let d = Duration::parse("-P1W2DT3H4M5S").expect("dur");
    assert_eq!(
        (d.nominal_days(), d.exact_seconds()),
        (-9, -(3 * 3600 + 4 * 60 + 5))
    );
    assert_eq!(d.to_string(), "-P1W2DT3H4M5S");
    for bad in ["", "P", "PT", "P1H", "PT1D", "1D", "P1", "P99999999999D"] {
        assert_eq!(Duration::parse(bad), None, "{bad}");
    }
    let r =
        RRule::parse("FREQ=MONTHLY;BYDAY=-1FR,+2MO;BYSETPOS=1;X-NAME=keep;COUNT=3").expect("rrule");
    assert_eq!(
        r.to_string(),
        "FREQ=MONTHLY;COUNT=3;BYDAY=-1FR,2MO;BYSETPOS=1;X-NAME=keep"
    );
    for bad in [
        "",
        "COUNT=3",
        "FREQ=DAILY;BYMONTH=13",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;BYDAY=0MO",
        "FREQ=HOURLY;BYHOUR=24",
        "FREQ=WEEKLY;WKST=XX",
    ] {
        assert!(RRule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn summaries_serialize() {
    let cal = Calendar::parse(CAL).expect("parse");
    let s = cal.summaries();
    assert_eq!(s.len(), 3);
    let json = serde_json::to_value(&s[0]).expect("json");
    assert_eq!(json["uid"], "ev1@example.com");
    assert_eq!(json["start"]["kind"], "zoned");
    assert_eq!(json["start"]["tzid"], "Europe/Berlin");
    assert_eq!(json["start"]["utc"], "2025-01-10T09:00:00Z");
    assert_eq!(json["end"]["value"], "2025-01-10T11:30:00");
    assert_eq!(json["attendees"][0]["cn"], "Ann");
    assert_eq!(s[1].component, "VTODO");
    assert_eq!(s[1].end.as_ref().map(|e| e.kind), Some(TimeKind::Date));
}

#[test]
fn errors_are_typed() {
    assert_eq!(
        Calendar::parse("BEGIN:VCARD\nEND:VCARD\n"),
        Err(Error::NotACalendar)
    );
    assert!(matches!(
        Calendar::parse("BEGIN:VCALENDAR\n"),
        Err(Error::Parse(_))
    ));
    let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:2024XX01\nRRULE:FREQ=NEVER\nEND:VEVENT\nEND:VCALENDAR\n";
    let cal = Calendar::parse(bad).expect("structure is fine");
    let ev = cal.events().next().expect("event");
    assert!(ev.dtstart().is_err());
    assert!(ev.rrules().is_err());
    let w = (jiff::Timestamp::UNIX_EPOCH, jiff::Timestamp::MAX);
    let out = cal
        .expand(w, &ExpandOptions::default())
        .expect("expansion runs");
    assert!(out.occurrences.is_empty());
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(
        cal.expand((w.1, w.0), &ExpandOptions::default()),
        Err(ExpandError::InvalidWindow)
    );
}

const SERIES: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:x\r
BEGIN:VEVENT\r
UID:series\r
DTSTART;TZID=America/New_York:20250303T090000\r
DTEND;TZID=America/New_York:20250303T100000\r
RRULE:FREQ=DAILY;COUNT=10\r
EXDATE;TZID=America/New_York:20250304T090000,20250310T090000\r
SUMMARY:Daily\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series\r
RECURRENCE-ID;TZID=America/New_York:20250311T090000\r
DTSTART;TZID=America/New_York:20250311T140000\r
DTEND;TZID=America/New_York:20250311T150000\r
SUMMARY:Daily (late)\r
END:VEVENT\r
END:VCALENDAR\r
";

fn all(cal: &Calendar) -> Vec<String> {
    let w = (
        "2025-01-01T00:00:00Z".parse().expect("ts"),
        "2026-01-01T00:00:00Z".parse().expect("ts"),
    );
    cal.expand(w, &ExpandOptions::default())
        .expect("expand")
        .occurrences
        .iter()
        .map(|o| {
            format!(
                "{}{}",
                o.start.to_ical_value(),
                if o.is_override { "*" } else { "" }
            )
        })
        .collect()
}

#[test]
fn override_and_delete_one_occurrence() {
    let mut cal = Calendar::parse(SERIES).expect("parse");
    assert_eq!(all(&cal).len(), 8);
    let rid = CalDateTime::parse("20250305T090000", Some("America/New_York")).expect("rid");
    {
        let mut o = cal.override_occurrence("series", &rid).expect("override");
        o.set_summary(Some("Special"));
        // the copy starts at the occurrence and keeps the one-hour length
        assert_eq!(
            o.view()
                .dtend()
                .expect("valid")
                .map(|e| e.to_ical_value())
                .as_deref(),
            Some("20250305T100000")
        );
        assert_eq!(o.view().recurrence_id().expect("valid"), Some(rid.clone()));
        assert!(o.view().rrules().expect("valid").is_empty());
    }
    // asking again returns the same override rather than a second copy
    cal.override_occurrence("series", &rid)
        .expect("override")
        .set_location(Some("Hall"));
    assert_eq!(
        cal.objects()
            .filter(|o| o.recurrence_id().ok().flatten().is_some())
            .count(),
        2
    );
    let reparsed = Calendar::parse(&cal.to_ics()).expect("reparse");
    let ov = reparsed
        .find("series", Some(&rid))
        .expect("override stored");
    assert_eq!(
        (ov.summary().as_deref(), ov.location().as_deref()),
        (Some("Special"), Some("Hall"))
    );
    let got = all(&reparsed);
    assert!(got.contains(&"20250305T090000*".to_owned()));
    assert!(got.contains(&"20250311T140000*".to_owned()));

    // deleting an overridden occurrence removes the override too
    let late = CalDateTime::parse("20250311T090000", Some("America/New_York")).expect("rid");
    cal.delete_occurrence("series", &late).expect("delete");
    let got = all(&cal);
    assert_eq!(got.len(), 7);
    assert!(!got.iter().any(|s| s.starts_with("20250311")));
    assert!(
        cal.to_ics()
            .contains("EXDATE;TZID=America/New_York:20250311T090000\r\n")
    );
    assert_eq!(
        cal.delete_occurrence("nope", &late),
        Err(EditError::NotFound)
    );
}

#[test]
fn split_this_and_following() {
    let mut cal = Calendar::parse(SERIES).expect("parse");
    let before = all(&cal);
    let at = CalDateTime::parse("20250308T090000", Some("America/New_York")).expect("rid");
    let tail = cal.split_series("series", &at, "series-2").expect("split");
    let head_list = all(&cal);
    let tail_list = all(&tail);
    // nothing lost, nothing doubled
    let mut joined = head_list.clone();
    joined.extend(tail_list.iter().cloned());
    assert_eq!(joined, before);
    assert!(head_list.iter().all(|s| s.as_str() < "20250308"));
    assert_eq!(
        tail_list.first().map(String::as_str),
        Some("20250308T090000")
    );
    // old series ends with UNTIL (one second before, in UTC), COUNT dropped; new keeps the rest
    let head_rule = cal
        .find("series", None)
        .expect("master")
        .rrules()
        .expect("valid");
    assert_eq!(head_rule[0].count, None);
    assert_eq!(
        head_rule[0]
            .until
            .as_ref()
            .map(|u| u.to_ical_value())
            .as_deref(),
        Some("20250308T135959Z")
    );
    let tail_master = tail.find("series-2", None).expect("new master");
    assert_eq!(tail_master.rrules().expect("valid")[0].count, Some(5));
    assert_eq!(tail_master.exdates().expect("valid").len(), 1);
    assert!(
        tail.find(
            "series-2",
            Some(&CalDateTime::parse("20250311T090000", Some("America/New_York")).expect("rid"))
        )
        .is_some()
    );
    assert_eq!(cal.find("series", None).and_then(|m| m.sequence()), Some(1));
    assert_eq!(tail.version(), Some("2.0"));
    let first = CalDateTime::parse("20250303T090000", Some("America/New_York")).expect("rid");
    assert_eq!(
        cal.split_series("series", &first, "x").err(),
        Some(EditError::NothingBefore)
    );
}

#[test]
fn todo_fields_and_completion() {
    let text = "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:Write report\r\nPRIORITY:1\r\nDUE;TZID=Asia/Seoul:20250301T170000\r\nRELATED-TO:parent-1\r\nCLASS:PRIVATE\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    let mut cal = Calendar::parse(text).expect("parse");
    let t = cal.todos().next().expect("todo");
    assert_eq!(
        (t.priority(), t.class(), t.percent_complete()),
        (Some(1), Some("PRIVATE"), None)
    );
    assert_eq!(t.related_to(), vec!["parent-1"]);
    let when = CalDateTime::Utc(jiff::civil::datetime(2025, 2, 28, 9, 0, 0, 0));
    cal.find_mut("t1", None)
        .expect("todo")
        .set_completed(Some(&when));
    let again = Calendar::parse(&cal.to_ics()).expect("reparse");
    let t = again.todos().next().expect("todo");
    assert_eq!(t.status(), Some("COMPLETED"));
    assert_eq!(t.percent_complete(), Some(100));
    assert_eq!(t.completed().expect("valid"), Some(when));
    let s = &again.summaries()[0];
    assert_eq!(
        s.completed.as_ref().map(|c| c.value.as_str()),
        Some("2025-02-28T09:00:00Z")
    );
    assert_eq!(
        s.end.as_ref().and_then(|e| e.utc.as_deref()),
        Some("2025-03-01T08:00:00Z")
    );
    let mut cal = again;
    cal.find_mut("t1", None).expect("todo").set_completed(None);
    let t = cal.todos().next().expect("todo");
    assert_eq!(
        (t.status(), t.percent_complete()),
        (Some("NEEDS-ACTION"), None)
    );
    assert_eq!(t.completed().expect("valid"), None);
}

/// Deterministic generator for the property test below.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn text(&mut self) -> String {
        let atoms = [
            "a",
            "B c",
            ",",
            ";",
            "\\",
            "\n",
            "é",
            "회의",
            "🎉",
            ":",
            "\"",
            "x".repeat(30).leak(),
        ];
        (0..1 + self.next() % 6)
            .map(|_| atoms[(self.next() % atoms.len() as u64) as usize])
            .collect()
    }
    fn when(&mut self) -> CalDateTime {
        let dt = jiff::civil::datetime(
            2000 + (self.next() % 50) as i16,
            1 + (self.next() % 12) as i8,
            1 + (self.next() % 28) as i8,
            (self.next() % 24) as i8,
            (self.next() % 60) as i8,
            0,
            0,
        );
        match self.next() % 4 {
            0 => CalDateTime::Date(dt.date()),
            1 => CalDateTime::Floating(dt),
            2 => CalDateTime::Utc(dt),
            _ => CalDateTime::Zoned {
                local: dt,
                tzid: ["Asia/Seoul", "America/New_York", "Europe/Berlin"]
                    [(self.next() % 3) as usize]
                    .into(),
            },
        }
    }
}

#[test]
fn generated_edits_read_back_after_serialising() {
    let mut g = Gen(0xDEAD_BEEF_1234_5678);
    for i in 0..300 {
        let mut cal = Calendar::new("-//davkit//prop//EN");
        let mut ev = Component::new("VEVENT");
        ev.push_property(Property::new("UID", &format!("u{i}")));
        ev.push_property(Property::new("X-KEEP;X-P=\"a:b\"", "untouched"));
        cal.component_mut().push_component(ev);
        let (summary, location, cats) = (g.text(), g.text(), vec![g.text(), g.text()]);
        let (start, end) = (g.when(), g.when());
        let seq = (g.next() % 100) as i64;
        let att = CalAddress {
            cn: Some(g.text()),
            partstat: Some("ACCEPTED".into()),
            rsvp: Some(g.next().is_multiple_of(2)),
            ..CalAddress::from_email(&format!("p{i}@example.com"))
        };
        {
            let mut m = cal.find_mut(&format!("u{i}"), None).expect("event");
            m.set_summary(Some(&summary));
            m.set_location(Some(&location));
            let refs: Vec<&str> = cats.iter().map(String::as_str).collect();
            m.set_categories(&refs);
            m.set_dtstart(&start);
            m.set_dtend(Some(&end));
            m.set_sequence(seq);
            m.upsert_attendee(&att);
        }
        let text = cal.to_ics();
        assert!(text.split("\r\n").all(|l| l.len() <= 75));
        let back = Calendar::parse(&text).expect("reparse");
        assert_eq!(back, Calendar::parse(&back.to_ics()).expect("stable"));
        let ev = back.events().next().expect("event");
        assert_eq!(ev.summary().as_deref(), Some(summary.as_str()));
        assert_eq!(ev.location().as_deref(), Some(location.as_str()));
        // list items lose spaces around them (as after a comma); escaped characters stay
        let want_cats: Vec<String> = cats
            .iter()
            .map(|c| c.trim_matches(' ').to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(ev.categories(), want_cats);
        assert_eq!(ev.dtstart().expect("valid"), Some(start));
        assert_eq!(ev.dtend().expect("valid"), Some(end));
        assert_eq!(ev.sequence(), Some(seq));
        assert_eq!(ev.attendees(), vec![att]);
        assert_eq!(
            ev.component().property("X-KEEP").map(|p| p.as_str()),
            Some("X-KEEP;X-P=\"a:b\":untouched")
        );
    }
}

/// Every summary of `cal` read field by field from the object's getters (its lists as
/// `categories()`, `attendees()` give them), with none of the packing: what the summaries,
/// which are packed from the component straight away, must equal.
fn summaries_by_getters(cal: &Calendar) -> Vec<EventSummary> {
    let resolver = tz::Resolver::new(&cal.root, TzPolicy::default());
    let time = |t: Result<Option<CalDateTime>, _>| {
        t.ok().flatten().map(|t| TimeSummary::build(&t, &resolver))
    };
    cal.objects()
        .filter(|o| o.kind.is_recurring_kind())
        .map(|o| EventSummary {
            component: o.component().name().to_ascii_uppercase(),
            uid: o.uid().map(Cow::into_owned),
            summary: o.summary().map(Cow::into_owned),
            description: o.description().map(Cow::into_owned),
            location: o.location().map(Cow::into_owned),
            status: o.status().map(str::to_owned),
            sequence: o.sequence(),
            categories: o.categories(),
            all_day: o.dtstart().ok().flatten().is_some_and(|s| s.is_date()),
            start: time(o.dtstart()),
            end: time(o.end()),
            rrule: o
                .component()
                .properties_named("RRULE")
                .map(|p| p.raw_value().to_owned())
                .collect(),
            recurrence_id: time(o.recurrence_id()),
            priority: o.priority(),
            percent_complete: o.percent_complete(),
            completed: time(o.completed()),
            organizer: o.organizer(),
            attendees: o.attendees(),
        })
        .collect()
}

/// `parse_summaries` against `parse` then `summaries`, both against the getters, and the
/// packed form against the plain.
fn same_summaries(text: &str) {
    let plain = Calendar::parse(text).map(|c| c.summaries());
    let streamed = Calendar::parse_summaries(text).map(|s| s.to_vec());
    assert_eq!(streamed, plain, "{}", text.get(..200).unwrap_or(text));
    if let Ok(cal) = Calendar::parse(text) {
        let by_getters = summaries_by_getters(&cal);
        assert_eq!(plain.as_ref().ok(), Some(&by_getters));
        // packed from the structs and from the components: the same bytes
        assert_eq!(Summaries::from(&by_getters[..]), cal.packed_summaries());
    }
    if let Ok(list) = plain {
        let packed = Summaries::from(&list[..]);
        assert_eq!(packed.len(), list.len());
        assert_eq!(packed.to_vec(), list);
        assert_eq!(
            serde_json::to_string(&packed).expect("json"),
            serde_json::to_string(&list).expect("json")
        );
    }
}

#[test]
fn parse_summaries_is_parse_then_summaries() {
    same_summaries(CAL);
    // a VTIMEZONE after the first event (read twice), one that redefines a name later
    let zone = |id: &str, off: &str| {
        format!(
            "BEGIN:VTIMEZONE\r\nTZID:{id}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
             TZOFFSETFROM:{off}\r\nTZOFFSETTO:{off}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        )
    };
    let event = |uid: &str, tz: &str| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;TZID={tz}:20250110T100000\r\n\
             DURATION:PT1H\r\nEND:VEVENT\r\n"
        )
    };
    let late = format!(
        "BEGIN:VCALENDAR\r\n{}{}{}{}END:VCALENDAR\r\n",
        event("a", "Custom/Zone"),
        zone("Custom/Zone", "+0300"),
        event("b", "Custom/Zone"),
        zone("Custom/Zone", "-0500"),
    );
    same_summaries(&late);
    let s = Calendar::parse_summaries(&late).expect("parses");
    assert_eq!(
        s.get(0)
            .and_then(|e| e.start)
            .and_then(|t| t.utc)
            .as_deref(),
        Some("2025-01-10T07:00:00Z")
    );
    // only the first VCALENDAR counts, after any other top-level component
    same_summaries(&format!(
        "BEGIN:X\r\n{}END:X\r\nBEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n\
         BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
        event("x", "UTC"),
        event("first", "Europe/Berlin"),
        event("second", "UTC"),
    ));
    // nested and odd components, todos, journals, addresses with and without mailto
    same_summaries(
        "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nDUE;VALUE=DATE:20250101\r\nSEQUENCE:-3\r\n\
         PRIORITY:2\r\nPERCENT-COMPLETE:40\r\nCOMPLETED:20250102T000000Z\r\n\
         ORGANIZER;EMAIL=x@y;SENT-BY=\"mailto:s@y\":urn:uuid:1\r\n\
         ATTENDEE;RSVP=FALSE;CUTYPE=ROOM;DELEGATED-TO=\"mailto:a@b\",\"mailto:c@d\";\
         MEMBER=\"mailto:g@h\";DIR=\"ldap://x\":MAILTO:Room@Example.com\r\n\
         CATEGORIES:a,b\\,c,,\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VTODO\r\n\
         BEGIN:VJOURNAL\r\nUID:j\r\nDTSTART:20250101T000000\r\nEND:VJOURNAL\r\n\
         BEGIN:VFREEBUSY\r\nUID:f\r\nEND:VFREEBUSY\r\nBEGIN:X-THING\r\nX:1\r\nEND:X-THING\r\n\
         END:VCALENDAR\r\n",
    );
    // errors are the same
    for bad in [
        "",
        "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ] {
        assert!(Calendar::parse_summaries(bad).is_err());
        same_summaries(bad);
    }
    let limits = crate::contentline::ParseLimits {
        max_content_lines: 5,
    };
    assert_eq!(
        Calendar::parse_summaries_with_limits(&late, limits).map(|s| s.len()),
        Calendar::parse_with_limits(&late, limits).map(|c| c.summaries().len())
    );
}

/// Every calendar of the real-world and hostile corpora gives the same summaries (or error)
/// streamed as parsed.
#[test]
fn parse_summaries_matches_on_the_corpora() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "ics") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let mut files = Vec::new();
    walk(&root.join("corpus"), &mut files);
    walk(&root.join("hostile"), &mut files);
    assert!(files.len() > 20, "{} files", files.len());
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            same_summaries(&text);
        }
    }
}

#[test]
fn address_from_uri_reads_the_email_of_mailto_only() {
    let a = CalAddress::from_uri("MAILTO:Bob@Example.com");
    assert_eq!(a.uri, "MAILTO:Bob@Example.com");
    assert_eq!(a.email.as_deref(), Some("Bob@Example.com"));
    assert_eq!(
        CalAddress::from_uri("mailto:bob@example.com"),
        CalAddress::from_email("bob@example.com")
    );
    for other in ["urn:uuid:6f2a", "http://example.com/bob", "mailto", ""] {
        let a = CalAddress::from_uri(other);
        assert_eq!((a.uri.as_str(), a.email), (other, None));
    }
    // a property without EMAIL reads its e-mail the same way
    let p = Property::new("ATTENDEE", "Mailto:carol@example.com");
    assert_eq!(
        CalAddress::from_property(&p).email.as_deref(),
        Some("carol@example.com")
    );
}

/// A series with overrides in each form a RECURRENCE-ID takes, a second object, a VTIMEZONE
/// between them, an override whose RECURRENCE-ID does not read, and a duplicate override.
fn occurrences_calendar() -> Calendar {
    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:other\r\n\
         DTSTART:20260105T090000Z\r\nEND:VEVENT\r\n",
    );
    let rids = [
        "RECURRENCE-ID;TZID=Europe/Paris:20260105T100000",
        "RECURRENCE-ID:20260106T090000Z",
        "RECURRENCE-ID:20260107T100000",
        "RECURRENCE-ID;VALUE=DATE:20260108",
        "RECURRENCE-ID;TZID=Europe/Paris:20260109T100000",
        "RECURRENCE-ID:not a date",
        "RECURRENCE-ID;TZID=Europe/Paris:20260105T100000",
    ];
    text.push_str(
        "BEGIN:VEVENT\r\nUID:s\r\nDTSTART;TZID=Europe/Paris:20260101T100000\r\n\
         RRULE:FREQ=DAILY\r\nEND:VEVENT\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nEND:VTIMEZONE\r\n",
    );
    for (i, rid) in rids.iter().enumerate() {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:s\r\n{rid}\r\nSUMMARY:o{i}\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    Calendar::parse(&text).expect("calendar")
}

/// The position of what `Calendar::find` finds.
fn found_at(cal: &Calendar, uid: &str, rid: Option<&CalDateTime>) -> Option<usize> {
    let found = cal.find(uid, rid)?;
    cal.component()
        .components()
        .iter()
        .position(|c| std::ptr::eq(c, found.component()))
}

#[test]
fn occurrences_find_what_calendar_find_finds() {
    let cal = occurrences_calendar();
    let queries = [
        None,
        Some(CalDateTime::parse("20260105T100000", Some("Europe/Paris")).unwrap()),
        Some(CalDateTime::parse("20260105T090000Z", None).unwrap()),
        Some(CalDateTime::parse("20260106T100000", Some("Europe/Paris")).unwrap()),
        Some(CalDateTime::parse("20260106T090000Z", None).unwrap()),
        Some(CalDateTime::parse("20260107T100000", None).unwrap()),
        Some(CalDateTime::parse("20260107T100000", Some("Europe/Paris")).unwrap()),
        Some(CalDateTime::parse("20260108", None).unwrap()),
        Some(CalDateTime::parse("20260108T000000", None).unwrap()),
        Some(CalDateTime::parse("20260109T090000Z", None).unwrap()),
        Some(CalDateTime::parse("20260110T090000Z", None).unwrap()),
        Some(CalDateTime::parse("20260105T100000", Some("Not/AZone")).unwrap()),
    ];
    for uid in ["s", "other", "none"] {
        let occurrences = Occurrences::of(&cal, uid);
        for q in &queries {
            assert_eq!(
                occurrences.find(q.as_ref()),
                found_at(&cal, uid, q.as_ref()),
                "{uid} {q:?}"
            );
        }
    }
    // The ones that exist are found, the missing one is not.
    let occurrences = Occurrences::of(&cal, "s");
    assert!(occurrences.find(queries[2].as_ref()).is_some());
    assert!(occurrences.find(queries[10].as_ref()).is_none());
}

#[test]
fn occurrences_follow_an_override_added_and_the_ones_deleted() {
    let mut cal = occurrences_calendar();
    let mut occurrences = Occurrences::of(&cal, "s");
    // An override added where none is, found by either form afterwards.
    let new = CalDateTime::parse("20260110T100000", Some("Europe/Paris")).unwrap();
    assert_eq!(occurrences.find(Some(&new)), None);
    let at = cal.push_override("s", &new).unwrap();
    occurrences.insert(at, Some(&new));
    let utc = CalDateTime::parse("20260110T090000Z", None).unwrap();
    assert_eq!(occurrences.find(Some(&utc)), Some(at));
    assert_eq!(found_at(&cal, "s", Some(&utc)), Some(at));
    // Removing one occurrence takes every override `delete_occurrence` removes (both
    // spellings of the 5th, here asked for in UTC) and nothing else.
    let fifth = CalDateTime::parse("20260105T090000Z", None).unwrap();
    let gone = occurrences.remove(&fifth);
    let mut deleted = cal.clone();
    deleted.delete_occurrence("s", &fifth).unwrap();
    assert_eq!(gone.len(), 2);
    assert_eq!(
        cal.component().components().len() - gone.len(),
        deleted.component().components().len()
    );
    assert_eq!(occurrences.find(Some(&fifth)), None);
    for (q, expect) in [("20260106T090000Z", true), ("20260110T090000Z", true)] {
        let q = CalDateTime::parse(q, None).unwrap();
        assert_eq!(occurrences.find(Some(&q)).is_some(), expect);
        assert_eq!(found_at(&deleted, "s", Some(&q)).is_some(), expect);
    }
}
