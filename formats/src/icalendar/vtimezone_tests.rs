use super::*;
use crate::icalendar::civil::{days_from_civil, local_secs};
use crate::icalendar::tz::{Resolver, TzPolicy, Zone};

/// Zones with every kind of history: yearly rules north and south, rules that changed (the US
/// in 2007), daylight time given up (Moscow 2011/2014, São Paulo 2019, Tehran 2022), negative
/// daylight time (Dublin), half-hour and 45-minute offsets and daylight steps (Lord Howe,
/// Chatham, Kathmandu, St John's), a skipped day (Apia 2011), rules that no yearly rule says
/// (Casablanca's Ramadan breaks, Santiago), none at all (UTC, Etc/GMT+5, Kolkata).
const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Europe/Moscow",
    "America/Sao_Paulo",
    "Asia/Tehran",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Apia",
    "Africa/Casablanca",
    "America/Santiago",
    "UTC",
    "Etc/GMT+5",
    "Asia/Kolkata",
    "Asia/Jerusalem",
];

/// Zones whose changes today follow no yearly rule written here: Cairo's "last Thursday
/// 24:00" can fall on 1 November, Gaza's follow Ramadan. Their changes are dates, written to
/// the horizon, so they are checked to it.
const ZONES_TO_HORIZON: &[&str] = &["Africa/Cairo", "Asia/Gaza", "America/Havana"];

fn local(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * DAY + 12 * 3600
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A written VTIMEZONE's text.
fn text_of(vtz: &Component) -> String {
    crate::contentline::serialize(std::slice::from_ref(vtz))
}

fn offset_at(tz: &TimeZone, utc: i64) -> i64 {
    i64::from(tz.to_offset(Timestamp::from_second(utc).unwrap()).seconds())
}

/// The VTIMEZONE read back as this library reads an object's own (`PreferVtimezone`).
fn read_back(vtz: &Component, tzid: &str) -> std::rc::Rc<Zone> {
    let mut root = Component::new("VCALENDAR");
    root.push_component(vtz.clone());
    let resolver = Resolver::new(&root, TzPolicy::PreferVtimezone);
    let zone = resolver.resolve(tzid).expect("the VTIMEZONE is read");
    assert!(!zone.is_cut(), "{tzid}: read whole");
    zone
}

/// Checks the written rules against the zone at every transition from `from` to 2190 (the
/// second before, the second of, and points between): the open rules must also say what the
/// zone says after the horizon (this library reads an object's VTIMEZONE to 2200).
fn check_round_trip(name: &str, first: i64, last: i64) {
    let tz = zone(name);
    let vtz = vtimezone(name, &tz, first, last);
    // (the rules start at the latest a year before `first`: checked from there)
    let from = (first - 366 * DAY).max(days_from_civil(FIRST_YEAR, 1, 1) * DAY) + DAY;
    let end = if ZONES_TO_HORIZON.contains(&name) {
        VTIMEZONE_HORIZON_YEAR
    } else {
        2190
    };
    check_zone(&tz, &vtz, name, from, days_from_civil(end, 1, 1) * DAY);
}

/// [`check_round_trip`]'s comparison: `vtz` read back against `tz` from `from` to `end` (UTC
/// seconds).
fn check_zone(tz: &TimeZone, vtz: &Component, name: &str, from: i64, end: i64) {
    let back = read_back(vtz, name);
    let mut points = vec![from];
    let mut prev = from;
    for t in tz.following(Timestamp::from_second(from).unwrap()) {
        let u = t.timestamp().as_second();
        if u > end {
            break;
        }
        points.extend([
            prev + (u - prev) / 3,
            prev + (u - prev) / 2,
            u - 1,
            u,
            u + 1,
        ]);
        prev = u;
    }
    points.extend([prev + DAY, end]);
    for utc in points {
        let want = offset_at(tz, utc);
        let got = back.utc_to_local(utc) - utc;
        assert_eq!(
            got,
            want,
            "{name} from {}: offset at {} UTC\n{}",
            local_text(from),
            utc_text(utc),
            text_of(vtz)
        );
    }
}

#[test]
fn written_rules_give_the_zone_offsets_from_the_object_on() {
    for name in ZONES.iter().chain(ZONES_TO_HORIZON) {
        for (a, b) in [
            (local(1975, 6, 1), local(1975, 6, 1)),
            (local(2000, 1, 15), local(2003, 8, 1)),
            (local(2026, 12, 5), local(2026, 12, 5)),
            (local(2045, 3, 1), local(2046, 3, 1)),
        ] {
            check_round_trip(name, a, b);
        }
    }
}

#[test]
fn a_zone_with_todays_rule_is_two_open_yearly_rules() {
    let tz = zone("Europe/Berlin");
    let vtz = vtimezone("Europe/Berlin", &tz, local(2026, 6, 1), local(2026, 6, 1));
    let text = text_of(&vtz);
    assert_eq!(
        text,
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
         BEGIN:STANDARD\r\nDTSTART:20241027T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
         BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
         END:VTIMEZONE\r\n"
    );
}

#[test]
fn a_rule_that_ended_gets_its_until() {
    // The US rule of 1987-2006 (first Sunday of April), then the one since 2007 (second Sunday
    // of March), open.
    let tz = zone("America/New_York");
    let vtz = vtimezone(
        "America/New_York",
        &tz,
        local(2000, 6, 1),
        local(2000, 6, 1),
    );
    let text = text_of(&vtz);
    assert!(
        text.contains("RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z\r\n"),
        "{text}"
    );
    assert!(
        text.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"),
        "{text}"
    );
    assert!(
        text.contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"),
        "{text}"
    );
}

#[test]
fn a_zone_without_transitions_is_one_observance() {
    for (name, offset) in [("UTC", "+0000"), ("Etc/GMT+5", "-0500")] {
        let vtz = vtimezone(name, &zone(name), local(2026, 1, 1), local(2026, 1, 1));
        assert_eq!(vtz.components().len(), 1, "{name}");
        let obs = &vtz.components()[0];
        assert!(obs.is("STANDARD"), "{name}");
        assert_eq!(obs.property("TZOFFSETFROM").unwrap().raw_value(), offset);
        assert_eq!(obs.property("TZOFFSETTO").unwrap().raw_value(), offset);
    }
}

#[test]
fn far_years_stay_bounded() {
    let tz = zone("Europe/Berlin");
    let vtz = vtimezone(
        "Europe/Berlin",
        &tz,
        super::super::civil::MIN_LOCAL,
        super::super::civil::MAX_LOCAL,
    );
    let onsets: usize = vtz
        .components()
        .iter()
        .map(|c| 1 + c.properties_named("RDATE").count())
        .sum();
    assert!(onsets <= MAX_TRANSITIONS, "{onsets}");
    // from 1900 (the earliest written) on, still right (to 2199: this library reads an
    // object's VTIMEZONE to 2200)
    let back = read_back(&vtz, "Europe/Berlin");
    for y in [1900, 1950, 2026, 2150, 2199] {
        let utc = local(y, 7, 1);
        assert_eq!(back.utc_to_local(utc) - utc, offset_at(&tz, utc), "{y}");
    }
}

const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20261210T100000\r\nDTEND;TZID=America/New_York:20261210T060000\r\n\
RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=Europe/Berlin:20261217T100000,20271217T100000\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DATE-TIME:20261210T080000Z\r\nEND:VALARM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Custom/Zone:20261210T100000\r\n\
DUE;TZID=Mars/Olympus_Mons:20261210T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=/mozilla.org/20050126_1/Asia/Tokyo:20261210T100000\r\n\
RECURRENCE-ID;TZID=W. Europe Standard Time:20261210T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn every_known_tzid_without_a_vtimezone_gets_one_before_the_objects() {
    let mut cal = Calendar::parse(EVENT).unwrap();
    let added = cal.add_missing_timezones();
    assert_eq!(
        added,
        [
            "Europe/Berlin",
            "America/New_York",
            "/mozilla.org/20050126_1/Asia/Tokyo",
            "W. Europe Standard Time"
        ],
        "the custom zone has its own, nobody knows Mars/Olympus_Mons"
    );
    let names: Vec<String> = cal
        .component()
        .components()
        .iter()
        .map(|c| match c.property("TZID") {
            Some(id) => format!("{} {}", c.name(), id.raw_value()),
            None => c.name().to_owned(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "VTIMEZONE Custom/Zone",
            "VTIMEZONE Europe/Berlin",
            "VTIMEZONE America/New_York",
            "VTIMEZONE /mozilla.org/20050126_1/Asia/Tokyo",
            "VTIMEZONE W. Europe Standard Time",
            "VEVENT",
            "VEVENT",
            "VEVENT"
        ]
    );
    // Berlin's rules from the change in force at the start of the year before the earliest
    // time's (2026: 1 January 2025), open.
    let berlin = cal
        .timezones()
        .find(|t| t.tzid() == Some("Europe/Berlin"))
        .unwrap();
    assert_eq!(
        berlin.component().components()[0]
            .property("DTSTART")
            .unwrap()
            .raw_value(),
        "20241027T030000"
    );
    // A second call adds nothing, and the text reads back the same.
    assert!(cal.add_missing_timezones().is_empty());
    let again = Calendar::parse(&cal.to_ics()).unwrap();
    assert_eq!(again.to_ics(), cal.to_ics());
}

#[test]
fn the_object_reads_the_same_from_the_written_rules() {
    let mut cal = Calendar::parse(EVENT).unwrap();
    cal.add_missing_timezones();
    let text = cal.to_ics();
    let cal = Calendar::parse(&text).unwrap();
    let window = (
        "2026-12-01T00:00:00Z".parse::<Timestamp>().unwrap(),
        "2027-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
    );
    let expand = |policy| {
        let options = super::super::ExpandOptions {
            tz_policy: policy,
            ..Default::default()
        };
        cal.expand(window, &options)
            .unwrap()
            .occurrences
            .iter()
            .map(|o| (o.uid.clone(), o.start_utc, o.end_utc))
            .collect::<Vec<_>>()
    };
    let iana = expand(TzPolicy::PreferIana);
    assert_eq!(iana.len(), 4, "a: 3 weeks less one EXDATE; b; c");
    assert_eq!(expand(TzPolicy::PreferVtimezone), iana);
    let a = iana.iter().find(|o| o.0.as_deref() == Some("a")).unwrap();
    let nine = local_secs(jiff::civil::date(2026, 12, 10).at(9, 0, 0, 0));
    assert_eq!(a.1.as_second(), nine, "10:00 in Berlin is 09:00 UTC");
}

#[test]
fn every_object_of_a_year_gets_the_same_text() {
    let tz = zone("America/New_York");
    let text = |first: i64| {
        let vtz = vtimezone("America/New_York", &tz, first, first);
        text_of(&vtz)
    };
    let january = text(local(2026, 1, 2));
    assert_eq!(text(local(2026, 7, 1)), january);
    assert_eq!(text(local(2026, 12, 31)), january);
    assert_ne!(text(local(2027, 1, 2)), january);
}

#[test]
fn many_tzids_are_bounded() {
    // 5,000 spellings of known zones (a prefix before an IANA name is read as that name) and
    // 5,000 unknown ones, each on its own value: linear, at most MAX_ZONES_ADDED added.
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    ics.push_str("BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n");
    ics.push_str("DTSTART:20260101T000000Z\r\n");
    for i in 0..5_000 {
        ics.push_str(&format!(
            "RDATE;TZID=/x{i}/Europe/Berlin:20261210T100000\r\n"
        ));
        ics.push_str(&format!("EXDATE;TZID=Nowhere/Zone{i}:20261210T100000\r\n"));
    }
    ics.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let mut cal = Calendar::parse(&ics).unwrap();
    let added = cal.add_missing_timezones();
    assert_eq!(added.len(), MAX_ZONES_ADDED);
    assert_eq!(cal.timezones().count(), MAX_ZONES_ADDED);
    assert_eq!(added[0], "/x0/Europe/Berlin");
}

#[test]
fn the_zones_added_to_a_small_object_are_bounded_in_lines() {
    // A few KB naming 64 zones with long histories, each from 1900: each VTIMEZONE is up to
    // hundreds of lines, 170 KB in all before the budget. Now at most ZONE_LINES_FREE plus
    // ZONE_LINES_PER_LINE a line of the object, and the zones first named are still added.
    let names = [
        "America/New_York",
        "Europe/London",
        "Europe/Paris",
        "America/Havana",
        "Asia/Gaza",
        "Africa/Casablanca",
        "Europe/Berlin",
        "America/Chicago",
        "Australia/Sydney",
        "America/Sao_Paulo",
        "Europe/Moscow",
        "Asia/Tehran",
        "America/Santiago",
        "Europe/Dublin",
        "Pacific/Auckland",
        "America/Mexico_City",
    ];
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    ics.push_str("BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n");
    ics.push_str("DTSTART:20260101T000000Z\r\n");
    for i in 0..64 {
        // four spellings of each (a prefix before an IANA name is read as that name)
        let name = names[i % names.len()];
        ics.push_str(&format!("RDATE;TZID=/{i}/{name}:19000101T000000\r\n"));
    }
    ics.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let mut cal = Calendar::parse(&ics).unwrap();
    let object_lines = ics.lines().count();
    let added = cal.add_missing_timezones();
    assert!(
        !added.is_empty() && added.len() < 64,
        "{} added",
        added.len()
    );
    assert_eq!(added[0], "/0/America/New_York");
    let mut zone_lines = 0;
    for c in cal.component().components() {
        if c.is("VTIMEZONE") {
            zone_lines += text_of(c).lines().count();
        }
    }
    assert!(
        zone_lines <= ZONE_LINES_FREE + ZONE_LINES_PER_LINE * object_lines,
        "{zone_lines} lines of VTIMEZONE for an object of {object_lines}"
    );
    // while a real object naming the three zones with the most irregular changes, from
    // 1900, gets all three
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    ics.push_str("BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n");
    ics.push_str("DTSTART;TZID=Africa/Casablanca:19000101T000000\r\n");
    ics.push_str("DTEND;TZID=Asia/Gaza:19000101T010000\r\n");
    ics.push_str("RDATE;TZID=America/Havana:19000102T000000\r\n");
    ics.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let mut cal = Calendar::parse(&ics).unwrap();
    assert_eq!(cal.add_missing_timezones().len(), 3);
}

#[test]
fn a_tzid_that_text_would_escape_is_left_alone() {
    // `^n` in a quoted parameter is a newline (RFC 6868): written as a TZID property it would
    // start a new content line.
    let ics = EVENT.replace(
        "DTSTART;TZID=Europe/Berlin:",
        "DTSTART;TZID=\"a^nBEGIN:VEVENT/Europe/Berlin\":",
    );
    let ics = ics.replace(
        "DTEND;TZID=America/New_York:",
        "DTEND;TZID=\"x,y/America/New_York\":",
    );
    let mut cal = Calendar::parse(&ics).unwrap();
    let added = cal.add_missing_timezones();
    assert!(
        added.iter().all(|t| !t.contains('\n') && !t.contains(',')),
        "{added:?}"
    );
    let text = cal.to_ics();
    assert!(!text.contains("\nBEGIN:VEVENT/"), "{text}");
    assert_eq!(Calendar::parse(&text).unwrap().to_ics(), text);
}

#[test]
fn a_change_at_the_first_instant_is_the_one_in_force() {
    // Daylight time from 1 January 00:00 UTC: the change at the very start of the rules (1
    // January of the year before the object's) is the observance in force there.
    let tz = TimeZone::posix("STD0DST-1,J1/0,J180/0").unwrap();
    let vtz = vtimezone("Test/Zone", &tz, local(2026, 7, 1), local(2026, 7, 1));
    let first = &vtz.components()[0];
    let value = |name: &str| first.property(name).unwrap().raw_value().to_owned();
    assert_eq!(
        [value("DTSTART"), value("TZOFFSETFROM"), value("TZOFFSETTO")],
        ["20250101T000000", "+0000", "+0100"]
    );
    let (from, end) = (days_from_civil(2025, 1, 1), days_from_civil(2190, 1, 1));
    check_zone(&tz, &vtz, "Test/Zone", from * DAY, end * DAY);
}

/// Every zone of the IANA database this build carries (598), written for objects of 1975,
/// 2000 and 2026 and read back to the horizon (about 2 s in a debug build).
#[test]
fn every_iana_zone_reads_back_to_the_horizon() {
    let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
    let end = days_from_civil(VTIMEZONE_HORIZON_YEAR, 1, 1) * DAY;
    for name in &names {
        let tz = zone(name);
        for year in [1975, 2000, 2026] {
            let first = local(year, 6, 1);
            let vtz = vtimezone(name, &tz, first, first);
            check_zone(
                &tz,
                &vtz,
                name,
                days_from_civil(year - 1, 1, 1) * DAY + DAY,
                end,
            );
        }
    }
    assert!(names.len() > 500, "{} zones", names.len());
}

#[test]
fn a_remembered_vtimezone_is_the_one_written_anew() {
    // more TZIDs and spans than are remembered, twice over, against vtimezone() each time
    for round in 0..2 {
        for (i, name) in ZONES.iter().enumerate() {
            for year in [2001, 2026] {
                let first = local(year, 1 + (i as i64 + round) % 12, 10);
                let last = first + 400 * DAY;
                let want = vtimezone(name, &zone(name), first, last);
                assert_eq!(written(name, first, last), Some(want), "{name} {year}");
            }
        }
    }
    assert_eq!(
        written("Nowhere/Zone", local(2026, 1, 1), local(2026, 1, 1)),
        None
    );
}
