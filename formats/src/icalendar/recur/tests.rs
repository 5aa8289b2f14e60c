use super::super::Calendar;
use super::*;

fn cal(dtstart: &str, extra: &str) -> Calendar {
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:t\r\nDTSTART{dtstart}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    Calendar::parse(&text).expect("parse")
}

fn window(a: &str, b: &str) -> (Timestamp, Timestamp) {
    (a.parse().expect("ts"), b.parse().expect("ts"))
}

/// Local starts as `YYYYMMDDTHHMMSS` (or `YYYYMMDD`).
fn starts(c: &Calendar, w: (Timestamp, Timestamp)) -> Vec<String> {
    let out = c.expand(w, &ExpandOptions::default()).expect("expand");
    out.occurrences
        .iter()
        .map(|o| o.start.to_ical_value())
        .collect()
}

fn ny(rule: &str, start: &str) -> Vec<String> {
    let c = cal(
        &format!(";TZID=America/New_York:{start}"),
        &format!("RRULE:{rule}\r\n"),
    );
    starts(&c, window("1990-01-01T00:00:00Z", "2010-01-01T00:00:00Z"))
}

fn days(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.get(..8).unwrap_or("")).collect()
}

// The examples of RFC 5545 §3.8.5.3, with the dates the RFC lists.
#[test]
fn rfc5545_examples() {
    let v = ny("FREQ=DAILY;COUNT=10", "19970902T090000");
    assert_eq!(v.len(), 10);
    assert_eq!(v[9], "19970911T090000");
    let v = ny("FREQ=DAILY;UNTIL=19971224T000000Z", "19970902T090000");
    assert_eq!(v.len(), 113);
    assert_eq!(v.last().map(String::as_str), Some("19971223T090000"));
    assert_eq!(
        days(&ny("FREQ=DAILY;INTERVAL=10;COUNT=5", "19970902T090000")),
        ["19970902", "19970912", "19970922", "19971002", "19971012"]
    );
    let v = ny(
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
        "19980101T090000",
    );
    assert_eq!(v.len(), 93);
    assert_eq!(
        days(&ny(
            "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,TH;COUNT=8",
            "19970902T090000"
        )),
        [
            "19970902", "19970904", "19970916", "19970918", "19970930", "19971002", "19971014",
            "19971016"
        ]
    );
    assert_eq!(
        days(&ny("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", "19970905T090000")),
        [
            "19970905", "19971003", "19971107", "19971205", "19980102", "19980206", "19980306",
            "19980403", "19980501", "19980605"
        ]
    );
    assert_eq!(
        days(&ny("FREQ=MONTHLY;BYMONTHDAY=-3;COUNT=6", "19970928T090000")),
        [
            "19970928", "19971029", "19971128", "19971229", "19980129", "19980226"
        ]
    );
    assert_eq!(
        days(&ny("FREQ=YEARLY;BYDAY=20MO;COUNT=3", "19970519T090000")),
        ["19970519", "19980518", "19990517"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;COUNT=3",
            "19970512T090000"
        )),
        ["19970512", "19980511", "19990517"]
    );
    let c = cal(
        ";TZID=America/New_York:19970902T090000",
        "EXDATE;TZID=America/New_York:19970902T090000\r\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=5\r\n",
    );
    assert_eq!(
        days(&starts(
            &c,
            window("1990-01-01T00:00:00Z", "2010-01-01T00:00:00Z")
        )),
        ["19980213", "19980313", "19981113", "19990813", "20001013"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=MONTHLY;BYDAY=TU,WE,TH;BYSETPOS=3;COUNT=3",
            "19970904T090000"
        )),
        ["19970904", "19971007", "19971106"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2;COUNT=7",
            "19970929T090000"
        )),
        [
            "19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330"
        ]
    );
    assert_eq!(
        ny("FREQ=MINUTELY;INTERVAL=15;COUNT=6", "19970902T090000"),
        [
            "19970902T090000",
            "19970902T091500",
            "19970902T093000",
            "19970902T094500",
            "19970902T100000",
            "19970902T101500"
        ]
    );
    let v = ny(
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40;COUNT=30",
        "19970902T090000",
    );
    assert_eq!(v[23], "19970902T164000");
    assert_eq!(v[24], "19970903T090000");
    assert_eq!(
        days(&ny(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "19970805T090000"
        )),
        ["19970805", "19970810", "19970819", "19970824"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "19970805T090000"
        )),
        ["19970805", "19970817", "19970819", "19970831"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
            "20070115T090000"
        )),
        ["20070115", "20070130", "20070215", "20070315", "20070330"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8;COUNT=3",
            "19961105T090000"
        )),
        ["19961105", "20001107", "20041102"]
    );
    assert_eq!(
        days(&ny(
            "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
            "19970101T090000"
        )),
        [
            "19970101", "19970410", "19970719", "20000101", "20000409", "20000718", "20030101",
            "20030410", "20030719", "20060101"
        ]
    );
}

#[test]
fn dst_gap_and_overlap_follow_rfc5545() {
    // 02:30 does not exist in New York on 2025-03-09: read with the offset before (EST) -> 07:30Z.
    let c = cal(
        ";TZID=America/New_York:20250308T023000",
        "RRULE:FREQ=DAILY;COUNT=3\r\n",
    );
    let out = c
        .expand(
            window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let utc: Vec<String> = out
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "2025-03-08T07:30:00Z",
            "2025-03-09T07:30:00Z",
            "2025-03-10T06:30:00Z"
        ]
    );
    // 01:30 happens twice on 2025-11-02: the first (EDT) is meant.
    let c = cal(
        ";TZID=America/New_York:20251101T013000",
        "RRULE:FREQ=DAILY;COUNT=3\r\n",
    );
    let out = c
        .expand(
            window("2025-10-01T00:00:00Z", "2025-12-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let utc: Vec<String> = out
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "2025-11-01T05:30:00Z",
            "2025-11-02T05:30:00Z",
            "2025-11-03T06:30:00Z"
        ]
    );
    // Seoul has no DST: always +09:00.
    let c = cal(
        ";TZID=Asia/Seoul:20250101T090000",
        "RRULE:FREQ=MONTHLY;COUNT=12\r\n",
    );
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    assert_eq!(out.occurrences.len(), 12);
    assert!(
        out.occurrences
            .iter()
            .all(|o| o.start_utc.to_string().ends_with("T00:00:00Z"))
    );
}

const CUSTOM_TZ: &str = "BEGIN:VTIMEZONE\r
TZID:My Eastern\r
BEGIN:STANDARD\r
DTSTART:19671029T020000\r
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r
TZOFFSETFROM:-0400\r
TZOFFSETTO:-0500\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19870405T020000\r
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0400\r
END:DAYLIGHT\r
END:VTIMEZONE\r
";

#[test]
fn vtimezone_rules_resolve_a_non_iana_tzid() {
    let text = format!(
        "BEGIN:VCALENDAR\r\n{CUSTOM_TZ}BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=My Eastern:20250308T023000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;TZID=My Eastern:20251101T013000\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let c = Calendar::parse(&text).expect("parse");
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let utc: Vec<String> = out
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "2025-03-08T07:30:00Z",
            "2025-03-09T07:30:00Z",
            "2025-03-10T06:30:00Z",
            "2025-11-01T05:30:00Z",
            "2025-11-02T05:30:00Z",
            "2025-11-03T06:30:00Z"
        ]
    );
    assert_eq!(
        out.occurrences[0].end_utc.to_string(),
        "2025-03-08T08:30:00Z"
    );
}

#[test]
fn overrides_exdates_rdates_and_all_day() {
    let text = "BEGIN:VCALENDAR\r
BEGIN:VEVENT\r
UID:s\r
DTSTART;VALUE=DATE:20250101\r
RRULE:FREQ=WEEKLY;COUNT=5\r
EXDATE;VALUE=DATE:20250108\r
RDATE;VALUE=DATE:20250103\r
SUMMARY:Weekly\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:s\r
RECURRENCE-ID;VALUE=DATE:20250115\r
DTSTART;VALUE=DATE:20250116\r
SUMMARY:Moved\r
END:VEVENT\r
END:VCALENDAR\r
";
    let c = Calendar::parse(text).expect("parse");
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let got: Vec<(String, String, bool)> = out
        .occurrences
        .iter()
        .map(|o| (o.start.to_iso(), o.end.to_iso(), o.is_override))
        .collect();
    assert_eq!(
        got,
        [
            ("2025-01-01".into(), "2025-01-02".into(), false),
            ("2025-01-03".into(), "2025-01-04".into(), false),
            ("2025-01-16".into(), "2025-01-17".into(), true),
            ("2025-01-22".into(), "2025-01-23".into(), false),
            ("2025-01-29".into(), "2025-01-30".into(), false),
        ]
    );
    let moved = &out.occurrences[2];
    assert_eq!(moved.recurrence_id.to_iso(), "2025-01-15");
    let comp = &c.component().components()[moved.component_index];
    assert_eq!(
        comp.property("SUMMARY").map(|p| p.raw_value()),
        Some("Moved")
    );
}

#[test]
fn guards_stop_unbounded_rules() {
    // never matches: the horizon ends it quickly; only DTSTART itself (always the first
    // instance) is produced
    let c = cal(
        ":20250101T000000Z",
        "RRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30\r\n",
    );
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    assert_eq!(out.occurrences.len(), 1);
    assert!(!out.truncated);
    // secondly for years: capped by max_instances and reported
    let c = cal(":20250101T000000Z", "RRULE:FREQ=SECONDLY\r\n");
    let opts = ExpandOptions {
        max_instances: 500,
        ..ExpandOptions::default()
    };
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2035-01-01T00:00:00Z"),
            &opts,
        )
        .expect("expand");
    assert_eq!(out.occurrences.len(), 500);
    assert!(out.truncated);
    // an iteration cap on a rule with COUNT that can never be reached (week 30 is never in
    // January, which only walking the days finds out)
    let c = cal(
        ":20250101T000000Z",
        "RRULE:FREQ=DAILY;BYMONTH=1;BYWEEKNO=30;COUNT=5\r\n",
    );
    let opts = ExpandOptions {
        max_iterations: 10_000,
        ..ExpandOptions::default()
    };
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "9999-01-01T00:00:00Z"),
            &opts,
        )
        .expect("expand");
    assert!(out.truncated);
    assert_eq!(out.truncation, Some(TruncationReason::RuleIterations));
    // one no day can satisfy stops at once, and the answer is complete
    let c = cal(
        ":20250101T000000Z",
        "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5\r\n",
    );
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "9999-01-01T00:00:00Z"),
            &opts,
        )
        .expect("expand");
    assert_eq!(out.occurrences.len(), 1);
    assert!(!out.truncated);
    assert_eq!(out.truncation, None);
    // a window far from an old start is reached without walking every period
    let c = cal(":19700101T000000Z", "RRULE:FREQ=SECONDLY;INTERVAL=7\r\n");
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let (a, b) = (1_735_689_600_i64, 1_735_689_660_i64);
    assert_eq!(out.occurrences.len(), (a..b).filter(|s| s % 7 == 0).count());
    assert!(
        out.occurrences
            .iter()
            .all(|o| o.start_utc.as_second() % 7 == 0)
    );
    assert!(!out.truncated);
}

#[test]
fn this_and_future_override_moves_later_instances() {
    let text = "BEGIN:VCALENDAR\r
BEGIN:VEVENT\r
UID:r\r
DTSTART;TZID=Europe/Berlin:20250324T090000\r
DTEND;TZID=Europe/Berlin:20250324T100000\r
RRULE:FREQ=DAILY;COUNT=6\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:r\r
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20250326T090000\r
DTSTART;TZID=Europe/Berlin:20250326T110000\r
DTEND;TZID=Europe/Berlin:20250326T113000\r
SUMMARY:later and shorter from here on\r
END:VEVENT\r
END:VCALENDAR\r
";
    let c = Calendar::parse(text).expect("parse");
    let out = c
        .expand(
            window("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let got: Vec<(String, String, bool)> = out
        .occurrences
        .iter()
        .map(|o| {
            (
                o.start.to_ical_value(),
                o.end.to_ical_value(),
                o.is_override,
            )
        })
        .collect();
    let want = [
        ("20250324T090000", "20250324T100000", false),
        ("20250325T090000", "20250325T100000", false),
        ("20250326T110000", "20250326T113000", true),
        ("20250327T110000", "20250327T113000", true),
        ("20250328T110000", "20250328T113000", true),
        ("20250329T110000", "20250329T113000", true),
    ];
    let want: Vec<(String, String, bool)> = want
        .iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), *c))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        out.occurrences[4].recurrence_id.to_ical_value(),
        "20250328T090000"
    );
}

#[test]
fn x_wr_timezone_places_utc_and_floating_times() {
    let text = "BEGIN:VCALENDAR\r
X-WR-TIMEZONE:Europe/Berlin\r
BEGIN:VEVENT\r
UID:w\r
DTSTART:20250324T080000Z\r
DURATION:PT1H\r
RRULE:FREQ=WEEKLY;COUNT=2\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:f\r
DTSTART:20250401T090000\r
END:VEVENT\r
END:VCALENDAR\r
";
    let c = Calendar::parse(text).expect("parse");
    let w = window("2025-03-01T00:00:00Z", "2025-05-01T00:00:00Z");
    let on = c.expand(w, &ExpandOptions::default()).expect("expand");
    let utc: Vec<String> = on
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    // 09:00 in Berlin stays 09:00 after the change to summer time; floating 09:00 is Berlin too
    assert_eq!(
        utc,
        [
            "2025-03-24T08:00:00Z",
            "2025-03-31T07:00:00Z",
            "2025-04-01T07:00:00Z"
        ]
    );
    assert_eq!(on.occurrences[0].start.tzid(), Some("Europe/Berlin"));
    let off = c
        .expand(
            w,
            &ExpandOptions {
                x_wr_timezone: false,
                ..ExpandOptions::default()
            },
        )
        .expect("expand");
    let utc: Vec<String> = off
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "2025-03-24T08:00:00Z",
            "2025-03-31T08:00:00Z",
            "2025-04-01T09:00:00Z"
        ]
    );
}
