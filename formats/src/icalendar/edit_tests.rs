//! Moving a start keeps the length: `CalObjectMut::set_dtstart`, and the copies that
//! `override_occurrence` and `split_series` make of a series.

use crate::icalendar::{CalDateTime, Calendar, ExpandOptions};

fn calendar(components: &str) -> Calendar {
    let text =
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{components}END:VCALENDAR\r\n");
    Calendar::parse(&text).expect("parse")
}

fn event(kind: &str, times: &[&str]) -> String {
    let mut c = format!("BEGIN:{kind}\r\nUID:e\r\nDTSTAMP:20250101T000000Z\r\n");
    for t in times {
        c.push_str(t);
        c.push_str("\r\n");
    }
    c.push_str(&format!("END:{kind}\r\n"));
    c
}

fn t(value: &str, tzid: Option<&str>) -> CalDateTime {
    CalDateTime::parse_iso(value, tzid).expect("time")
}

/// The property lines of the component `uid`/`rid` named `name`, as written.
fn lines(cal: &Calendar, rid: Option<&CalDateTime>, name: &str) -> Vec<String> {
    let o = cal.find("e", rid).expect("component");
    o.component()
        .properties_named(name)
        .map(|p| p.as_str().to_owned())
        .collect()
}

#[test]
fn moving_the_start_keeps_the_length() {
    let berlin = Some("Europe/Berlin");
    // (component, its times, the new start, the end property then, the DURATION then)
    let cases: &[(&str, &[&str], CalDateTime, &str)] = &[
        // the review's event: 10-11 moved to 08:00 is 08-09, not 08-11
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250310T100000",
                "DTEND;TZID=Europe/Berlin:20250310T110000",
            ],
            t("2025-03-10T08:00:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250310T090000",
        ),
        // later: the end is not left before the start
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250305T093000",
                "DTEND;TZID=Europe/Berlin:20250305T094500",
            ],
            t("2025-03-05T10:00:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250305T101500",
        ),
        (
            "VEVENT",
            &["DTSTART:20250310T110000Z", "DTEND:20250310T120000Z"],
            t("2025-03-12T16:20:00Z", None),
            "DTEND:20250312T172000Z",
        ),
        (
            "VEVENT",
            &["DTSTART:20250310T110000", "DTEND:20250310T123000"],
            t("2025-03-09T23:00:00", None),
            "DTEND:20250310T003000",
        ),
        // a new zone for the start: the end goes to it too, with the same wall-clock length
        (
            "VEVENT",
            &["DTSTART:20250310T110000Z", "DTEND:20250310T120000Z"],
            t("2025-03-10T12:30:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250310T133000",
        ),
        // across a DST change (Berlin, 30 March 2025) the wall-clock length is kept: the night
        // still ends at 06:00 (7 hours that night), as the expansion places a series' nights
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250322T220000",
                "DTEND;TZID=Europe/Berlin:20250323T060000",
            ],
            t("2025-03-29T22:00:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250330T060000",
        ),
        // a conference over the DST weekend keeps its Sunday 17:00 end
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250321T090000",
                "DTEND;TZID=Europe/Berlin:20250323T170000",
            ],
            t("2025-03-28T09:00:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250330T170000",
        ),
        // all-day: whole days
        (
            "VEVENT",
            &["DTSTART;VALUE=DATE:20250310", "DTEND;VALUE=DATE:20250312"],
            t("2025-03-20", None),
            "DTEND;VALUE=DATE:20250322",
        ),
        // made all-day: the end is a DATE too, covering the days the event touched
        (
            "VEVENT",
            &["DTSTART:20250310T100000Z", "DTEND:20250310T110000Z"],
            t("2025-03-20", None),
            "DTEND;VALUE=DATE:20250321",
        ),
        (
            "VEVENT",
            &["DTSTART:20250310T230000Z", "DTEND:20250311T010000Z"],
            t("2025-03-20", None),
            "DTEND;VALUE=DATE:20250322",
        ),
        // made timed: the length in days, on the wall clock
        (
            "VEVENT",
            &["DTSTART;VALUE=DATE:20250310", "DTEND;VALUE=DATE:20250311"],
            t("2025-03-29T09:00:00", berlin),
            "DTEND;TZID=Europe/Berlin:20250330T090000",
        ),
        // DTEND in another zone (a flight, Berlin 10:00 = 09:00Z to New York 12:30 = 17:30Z):
        // the exact length, the end in its own zone; New York moved to summer time on
        // 9 March, Berlin not before 30 March, so the wall clock would give 12:30 EDT, an
        // hour short
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250308T100000",
                "DTEND;TZID=America/New_York:20250308T123000",
            ],
            t("2025-03-15T10:00:00", berlin),
            "DTEND;TZID=America/New_York:20250315T133000",
        ),
        (
            "VEVENT",
            &[
                "DTSTART;TZID=Europe/Berlin:20250328T100000",
                "DTEND:20250328T100000Z",
            ],
            t("2025-03-31T10:00:00", berlin),
            "DTEND:20250331T090000Z",
        ),
        // a to-do's DUE is its end
        (
            "VTODO",
            &["DTSTART:20250310T090000Z", "DUE:20250310T170000Z"],
            t("2025-03-14T08:00:00Z", None),
            "DUE:20250314T160000Z",
        ),
    ];
    for (kind, times, to, want) in cases {
        let mut cal = calendar(&event(kind, times));
        cal.find_mut("e", None).expect("component").set_dtstart(to);
        let name = want.split([';', ':']).next().unwrap_or_default();
        assert_eq!(
            (lines(&cal, None, "DTSTART"), lines(&cal, None, name)),
            (
                vec![to.to_property("DTSTART").as_str().to_owned()],
                vec![(*want).to_owned()]
            ),
            "{times:?} moved to {to}"
        );
        assert!(lines(&cal, None, "DURATION").is_empty());
    }
}

#[test]
fn moving_the_start_leaves_duration_and_no_end_alone() {
    let berlin = Some("Europe/Berlin");
    let mut cal = calendar(&event(
        "VEVENT",
        &[
            "DTSTART;TZID=Europe/Berlin:20250310T100000",
            "DURATION:PT45M",
        ],
    ));
    cal.find_mut("e", None)
        .expect("event")
        .set_dtstart(&t("2025-03-11T08:00:00", berlin));
    assert_eq!(lines(&cal, None, "DURATION"), vec!["DURATION:PT45M"]);
    assert!(lines(&cal, None, "DTEND").is_empty());
    let mut cal = calendar(&event("VEVENT", &["DTSTART:20250310T100000Z"]));
    cal.find_mut("e", None)
        .expect("event")
        .set_dtstart(&t("2025-03-11T08:00:00Z", None));
    assert!(lines(&cal, None, "DTEND").is_empty());
    assert_eq!(
        lines(&cal, None, "DTSTART"),
        vec!["DTSTART:20250311T080000Z"]
    );
}

#[test]
fn setting_the_end_of_a_todo_sets_due() {
    let mut cal = calendar(&event(
        "VTODO",
        &["DTSTART:20250310T090000Z", "DURATION:PT8H"],
    ));
    cal.find_mut("e", None)
        .expect("todo")
        .set_dtend(Some(&t("2025-03-11T12:00:00Z", None)));
    assert_eq!(lines(&cal, None, "DUE"), vec!["DUE:20250311T120000Z"]);
    assert!(lines(&cal, None, "DTEND").is_empty());
    assert!(lines(&cal, None, "DURATION").is_empty());
    cal.find_mut("e", None).expect("todo").set_dtend(None);
    assert!(lines(&cal, None, "DUE").is_empty());
    // an event's end stays DTEND
    let mut cal = calendar(&event(
        "VEVENT",
        &["DTSTART:20250310T090000Z", "DURATION:PT8H"],
    ));
    cal.find_mut("e", None)
        .expect("event")
        .set_dtend(Some(&t("2025-03-10T12:00:00Z", None)));
    assert_eq!(lines(&cal, None, "DTEND"), vec!["DTEND:20250310T120000Z"]);
    assert!(lines(&cal, None, "DURATION").is_empty());
}

/// Every occurrence as (RECURRENCE-ID, start, end).
fn expand(cal: &Calendar) -> Vec<(CalDateTime, CalDateTime, CalDateTime)> {
    let w = (
        "2025-01-01T00:00:00Z".parse().expect("ts"),
        "2026-01-01T00:00:00Z".parse().expect("ts"),
    );
    let x = cal.expand(w, &ExpandOptions::default()).expect("expand");
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    x.occurrences
        .into_iter()
        .map(|o| (o.recurrence_id, o.start, o.end))
        .collect()
}

/// Every occurrence as (RECURRENCE-ID, start, end) text, the instants included.
fn occurrences(cal: &Calendar) -> Vec<(String, String, String)> {
    let w = (
        "2025-01-01T00:00:00Z".parse().expect("ts"),
        "2026-01-01T00:00:00Z".parse().expect("ts"),
    );
    let x = cal.expand(w, &ExpandOptions::default()).expect("expand");
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    x.occurrences
        .iter()
        .map(|o| {
            (
                o.recurrence_id.to_string(),
                format!("{} {}", o.start, o.start_utc),
                format!("{} {}", o.end, o.end_utc),
            )
        })
        .collect()
}

/// Series with an end in each form the expansion reads: the same zone, another zone (across the
/// weeks New York is on summer time and Berlin not yet), all-day, a to-do's DUE.
const SERIES: &[(&str, &[&str])] = &[
    (
        "VEVENT",
        &[
            "DTSTART;TZID=Europe/Berlin:20250303T093000",
            "DTEND;TZID=Europe/Berlin:20250303T094500",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=13",
        ],
    ),
    (
        "VEVENT",
        &[
            "DTSTART;TZID=Europe/Berlin:20250301T100000",
            "DTEND;TZID=America/New_York:20250301T123000",
            "RRULE:FREQ=WEEKLY;COUNT=6",
        ],
    ),
    (
        "VEVENT",
        &[
            "DTSTART;TZID=Europe/Berlin:20250301T100000",
            "DTEND:20250301T110000Z",
            "RRULE:FREQ=WEEKLY;COUNT=6",
        ],
    ),
    (
        "VEVENT",
        &[
            "DTSTART;VALUE=DATE:20250301",
            "DTEND;VALUE=DATE:20250303",
            "RRULE:FREQ=WEEKLY;COUNT=6",
        ],
    ),
    (
        "VTODO",
        &[
            "DTSTART:20250303T090000Z",
            "DUE:20250303T170000Z",
            "RRULE:FREQ=DAILY;COUNT=5",
        ],
    ),
];

#[test]
fn an_override_starts_as_the_occurrence_it_replaces() {
    for (kind, times) in SERIES {
        let cal = calendar(&event(kind, times));
        let before = occurrences(&cal);
        for (rid, ..) in expand(&cal) {
            let mut one = cal.clone();
            one.override_occurrence("e", &rid)
                .expect("override")
                .set_summary(Some("changed"));
            assert_eq!(occurrences(&one), before, "{times:?}, override of {rid}");
        }
    }
}

#[test]
fn a_split_series_keeps_every_occurrence_and_its_end() {
    for (kind, times) in SERIES {
        let cal = calendar(&event(kind, times));
        let before = occurrences(&cal);
        for (rid, ..) in expand(&cal).into_iter().skip(1) {
            let mut head = cal.clone();
            let tail = head.split_series("e", &rid, "e").expect("split");
            let mut joined = occurrences(&head);
            joined.extend(occurrences(&tail));
            assert_eq!(joined, before, "{times:?}, split at {rid}");
        }
    }
}

#[test]
fn moving_an_occurrence_keeps_its_length() {
    let berlin = Some("Europe/Berlin");
    let (kind, times) = SERIES[0];
    let mut cal = calendar(&event(kind, times));
    let rid = t("2025-03-05T09:30:00", berlin);
    cal.override_occurrence("e", &rid)
        .expect("override")
        .set_dtstart(&t("2025-03-05T10:00:00", berlin));
    assert_eq!(
        lines(&cal, Some(&rid), "DTEND"),
        vec!["DTEND;TZID=Europe/Berlin:20250305T101500"]
    );
    assert!(occurrences(&cal).contains(&(
        "2025-03-05T09:30:00[Europe/Berlin]".to_owned(),
        "2025-03-05T10:00:00[Europe/Berlin] 2025-03-05T09:00:00Z".to_owned(),
        "2025-03-05T10:15:00[Europe/Berlin] 2025-03-05T09:15:00Z".to_owned(),
    )));
    // the series itself is untouched
    assert_eq!(
        lines(&cal, None, "DTEND"),
        vec!["DTEND;TZID=Europe/Berlin:20250303T094500"]
    );
}
