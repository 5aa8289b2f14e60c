//! Hostile rules stay bounded (issue 11): every test checks a count (instances, steps,
//! warnings) or a typed result, never a time.

use super::super::Calendar;
use super::super::rrule::RRule;
use super::*;
use jiff::civil::DateTime;

fn cal(dtstart: &str, extra: &str) -> Calendar {
    let text = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:t\r\nDTSTART{dtstart}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    Calendar::parse(&text).expect("parse")
}

fn window(a: &str, b: &str) -> (Timestamp, Timestamp) {
    (a.parse().expect("ts"), b.parse().expect("ts"))
}

fn year_2025() -> (Timestamp, Timestamp) {
    window("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
}

fn local(s: &str) -> i64 {
    local_secs(s.parse::<DateTime>().expect("datetime"))
}

/// The rule's iterator from `dtstart`, sought to `from`, with no step budget.
fn iter(rule: &str, dtstart: &str, from: &str) -> RuleIter {
    let r = RRule::parse(rule).expect("rule");
    let mut it = RuleIter::new(&r, dtstart.parse().expect("datetime"), usize::MAX);
    it.seek(local(from));
    it
}

fn hms_lists(hours: bool, minutes: bool, seconds: bool) -> String {
    let list = |n: u32| (0..n).map(|x| x.to_string()).collect::<Vec<_>>().join(",");
    let mut parts = Vec::new();
    if hours {
        parts.push(format!("BYHOUR={}", list(24)));
    }
    if minutes {
        parts.push(format!("BYMINUTE={}", list(60)));
    }
    if seconds {
        parts.push(format!("BYSECOND={}", list(60)));
    }
    parts.join(";")
}

#[test]
fn starts_before_the_window_are_counted_not_kept() {
    // 1440 starts a day, COUNT=20,000,000 from 1970: used up in 2008. Before, every start was
    // kept (601 MB); now the whole stretch is one arithmetic step.
    let rule = format!("FREQ=DAILY;COUNT=20000000;{}", hms_lists(true, true, false));
    let mut it = iter(&rule, "1970-01-01T00:00:00", "2025-01-01T00:00:00");
    assert_eq!(it.next(), None);
    assert!(!it.guard_hit);
    assert!(it.steps() < 10, "{} steps", it.steps());
    let c = cal(":19700101T000000Z", &format!("RRULE:{rule}\r\n"));
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    assert_eq!(out.occurrences.len(), 0);
    assert!(!out.truncated);
    assert_eq!(out.truncation, None);

    // COUNT=2,000,000,000 SECONDLY from 1970 reaches the window: exactly where it should
    let c = cal(
        ":19700101T000000Z",
        "RRULE:FREQ=SECONDLY;COUNT=2000000000\r\n",
    );
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    assert_eq!(out.occurrences.len(), 10_000);
    assert_eq!(out.truncation, Some(TruncationReason::MaxInstances));
    assert_eq!(
        out.occurrences[0].start_utc.to_string(),
        "2025-01-01T00:00:00Z"
    );
    // a COUNT that ends 10 s into the window leaves 11 instances (00:00:00 to 00:00:10)
    let n = 1_735_689_600 + 10 + 1;
    let c = cal(
        ":19700101T000000Z",
        &format!("RRULE:FREQ=SECONDLY;COUNT={n}\r\n"),
    );
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    assert_eq!(out.occurrences.len(), 11);
    assert!(!out.truncated);
    assert_eq!(
        out.occurrences.last().map(|o| o.start_utc.to_string()),
        Some("2025-01-01T00:00:10Z".to_owned())
    );
}

#[test]
fn count_rules_that_must_be_walked_stop_at_the_rule_budget() {
    // every Monday minute since 1970: no arithmetic for this one, so the periods before the
    // window are counted one by one, and the budget ends it with a typed reason
    let c = cal(
        ":19700105T000000Z",
        "RRULE:FREQ=MINUTELY;BYDAY=MO;COUNT=2000000000\r\n",
    );
    let opts = ExpandOptions {
        max_iterations: 50_000,
        ..ExpandOptions::default()
    };
    let out = c.expand(year_2025(), &opts).expect("expand");
    assert!(out.truncated);
    assert_eq!(out.truncation, Some(TruncationReason::RuleIterations));
    assert!(out.warnings.iter().any(|w| w.contains("rule-iterations")));
    // the budget counts steps, starts before the window included
    let r = RRule::parse("FREQ=MINUTELY;BYDAY=MO;COUNT=2000000000").expect("rule");
    let mut it = RuleIter::new(&r, "1970-01-05T00:00:00".parse().expect("dt"), 50_000);
    it.seek(local("2025-01-01T00:00:00"));
    assert_eq!(it.next(), None);
    assert!(it.guard_hit);
    assert!(it.steps() <= 50_000 + 400, "{} steps", it.steps());
}

#[test]
fn full_byxxx_lists_are_read_by_index() {
    // 31.6 million candidates a year; before, one year's were built as a set (2.2 GB)
    let rule = format!(
        "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;{}",
        hms_lists(true, true, true)
    );
    let mut it = iter(&rule, "2020-01-01T00:00:00", "2025-01-01T00:00:00");
    let first: Vec<i64> = it.by_ref().take(3).collect();
    let t = local("2025-01-01T00:00:00");
    assert_eq!(first, [t, t + 1, t + 2]);
    // the 366 days of 2024 examined once, 2025's, and the three starts
    assert!(it.steps() < 2 * 400, "{} steps", it.steps());
    let c = cal(":20200101T000000Z", &format!("RRULE:{rule}\r\n"));
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    assert_eq!(out.occurrences.len(), 10_000);
    assert_eq!(out.truncation, Some(TruncationReason::MaxInstances));

    // BYSETPOS picks by index, without the set
    let c = cal(
        ":20200101T000000Z",
        &format!("RRULE:{rule};BYMONTH=1,12;BYSETPOS=-1,1\r\n"),
    );
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    let starts: Vec<String> = out
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(starts, ["2025-01-01T00:00:00Z", "2025-12-31T23:59:59Z"]);
    assert!(!out.truncated);

    // with COUNT from 1970, whole years before the window are counted without producing their
    // candidates (every second of every day, so the COUNT is in seconds since 1970): a COUNT
    // that ends 10 s into 2025 leaves 11 instances
    let n = 1_735_689_600 + 10 + 1;
    let r = RRule::parse(&format!("{rule};COUNT={n}")).expect("rule");
    let mut it = RuleIter::new(&r, "1970-01-01T00:00:00".parse().expect("dt"), usize::MAX);
    it.seek(local("2025-01-01T00:00:00"));
    let got: Vec<i64> = it.by_ref().collect();
    assert_eq!(got.len(), 11);
    assert_eq!(got.first(), Some(&t));
    // 55 years of at most 367 steps, and the 11 starts
    assert!(it.steps() < 56 * 367 + 11, "{} steps", it.steps());
}

#[test]
fn duplicate_byxxx_values_cost_nothing() {
    let many = |v: &str, n: usize| vec![v; n].join(",");
    let plain = "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYSETPOS=1";
    let dup = format!(
        "FREQ=MONTHLY;BYMONTHDAY={};BYHOUR={};BYSETPOS={}",
        many("1", 10_000),
        many("9", 10_000),
        many("1", 10_000)
    );
    let mut a = iter(plain, "2025-01-01T09:00:00", "2025-01-01T00:00:00");
    let mut b = iter(&dup, "2025-01-01T09:00:00", "2025-01-01T00:00:00");
    let xa: Vec<i64> = a.by_ref().take(12).collect();
    let xb: Vec<i64> = b.by_ref().take(12).collect();
    assert_eq!(xa.len(), 12);
    assert_eq!(xa, xb);
    assert_eq!(a.steps(), b.steps());
}

#[test]
fn rules_that_never_match_stop_within_the_budgets() {
    // no day can satisfy it: not a single step
    let r = RRule::parse("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30,31;COUNT=5").expect("rule");
    let mut it = RuleIter::new(&r, "1900-01-01T09:00:00".parse().expect("dt"), usize::MAX);
    it.seek(local("2025-01-01T00:00:00"));
    assert_eq!(it.next(), None);
    assert_eq!(it.steps(), 0);
    assert!(!it.guard_hit);
    // BYMONTHDAY=31 with the 30-day months, BYMONTHDAY=-30 with February
    for rule in [
        "FREQ=YEARLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-30",
    ] {
        let r = RRule::parse(rule).expect("rule");
        let mut it = RuleIter::new(&r, "2025-01-01T09:00:00".parse().expect("dt"), 100);
        assert_eq!(it.next(), None, "{rule}");
        assert_eq!(it.steps(), 0, "{rule}");
    }
    // but February 29 exists
    let r = RRule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29").expect("rule");
    let mut it = RuleIter::new(&r, "2025-01-01T09:00:00".parse().expect("dt"), usize::MAX);
    assert_eq!(it.next(), Some(local("2028-02-29T09:00:00")));

    // many events whose rules only walking can rule out: the total budget stops the call
    let mut text = String::from("BEGIN:VCALENDAR\r\n");
    for i in 0..50 {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:n{i}\r\nDTSTART:19000101T090000Z\r\n\
             RRULE:FREQ=DAILY;BYMONTH=1;BYWEEKNO=30;COUNT=5\r\nEND:VEVENT\r\n"
        ));
    }
    text.push_str("END:VCALENDAR\r\n");
    let c = Calendar::parse(&text).expect("parse");
    let opts = ExpandOptions {
        max_iterations: 1_000_000,
        max_total_iterations: 500_000,
        ..ExpandOptions::default()
    };
    let out = c.expand(year_2025(), &opts).expect("expand");
    assert!(out.truncated);
    assert_eq!(out.truncation, Some(TruncationReason::TotalIterations));
    // each rule walks 125 years (two steps a day): five of them fit, not fifty
    let walked = out
        .warnings
        .iter()
        .filter(|w| w.contains("iteration budget"))
        .count();
    assert!(walked <= 2, "{:?}", out.warnings);
}

#[test]
fn budgets_saturate_instead_of_overflowing() {
    let c = cal(":20250101T090000Z", "RRULE:FREQ=DAILY\r\n");
    let huge = ExpandOptions {
        max_instances: usize::MAX,
        max_iterations: usize::MAX,
        max_total_iterations: usize::MAX,
        ..ExpandOptions::default()
    };
    let out = c.expand(year_2025(), &huge).expect("expand");
    assert_eq!(out.occurrences.len(), 365);
    assert!(!out.truncated);
    // a huge max_instances is still bounded by the rule budget
    let c = cal(":20250101T000000Z", "RRULE:FREQ=SECONDLY\r\n");
    let opts = ExpandOptions {
        max_instances: usize::MAX,
        max_iterations: 20_000,
        ..ExpandOptions::default()
    };
    let out = c.expand(year_2025(), &opts).expect("expand");
    assert_eq!(out.truncation, Some(TruncationReason::RuleIterations));
    assert!(out.occurrences.len() <= 20_000);
    // zero budgets give an empty, truncated answer, not a complete-looking one
    let opts = ExpandOptions {
        max_total_iterations: 0,
        ..ExpandOptions::default()
    };
    let c = cal(":20250101T090000Z", "RRULE:FREQ=DAILY\r\n");
    let out = c.expand(year_2025(), &opts).expect("expand");
    assert_eq!(out.truncation, Some(TruncationReason::TotalIterations));
}

#[test]
fn the_instance_cap_covers_every_rule_of_a_series() {
    // 200 SECONDLY rules: before, each could keep 4 * max_instances + 1000 starts
    let rules = "RRULE:FREQ=SECONDLY\r\n".repeat(200);
    let c = cal(":20250101T000000Z", &rules);
    let opts = ExpandOptions {
        max_instances: 100,
        ..ExpandOptions::default()
    };
    let out = c.expand(year_2025(), &opts).expect("expand");
    assert_eq!(out.occurrences.len(), 100);
    assert_eq!(out.truncation, Some(TruncationReason::MaxInstances));
}

#[test]
fn warnings_stay_few_and_short() {
    // 5,000 EXDATEs, each in its own unknown zone, and one TZID as long as the input
    let mut extra = String::from("RRULE:FREQ=DAILY;COUNT=10\r\n");
    for i in 0..5000 {
        extra.push_str(&format!("EXDATE;TZID=Nowhere/Zone-{i}:20240101T090000\r\n"));
    }
    let long = "x".repeat(20_000);
    extra.push_str(&format!("RDATE;TZID={long}:20250301T090000\r\n"));
    let c = cal(":20250101T090000Z", &extra);
    let out = c
        .expand(year_2025(), &ExpandOptions::default())
        .expect("expand");
    assert_eq!(out.occurrences.len(), 11);
    assert_eq!(out.warnings.len(), MAX_WARNINGS);
    assert!(
        out.warnings
            .iter()
            .all(|w| w.len() <= MAX_WARNING_LEN + '…'.len_utf8())
    );
}

#[test]
fn this_and_future_moves_instances_from_before_the_window() {
    // a daily series whose instances from 2024-01-05 on were moved one year later: the window
    // at the start of 2025 shows the override and the instances it moved there
    let text = "BEGIN:VCALENDAR\r
BEGIN:VEVENT\r
UID:m\r
DTSTART:20240101T090000Z\r
RRULE:FREQ=DAILY\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:m\r
RECURRENCE-ID;RANGE=THISANDFUTURE:20240105T090000Z\r
DTSTART:20250105T090000Z\r
END:VEVENT\r
END:VCALENDAR\r
";
    let c = Calendar::parse(text).expect("parse");
    let out = c
        .expand(
            window("2025-01-01T00:00:00Z", "2025-01-10T00:00:00Z"),
            &ExpandOptions::default(),
        )
        .expect("expand");
    let starts: Vec<String> = out
        .occurrences
        .iter()
        .map(|o| o.start_utc.to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2025-01-05T09:00:00Z",
            "2025-01-06T09:00:00Z",
            "2025-01-07T09:00:00Z",
            "2025-01-08T09:00:00Z",
            "2025-01-09T09:00:00Z"
        ]
    );
    assert!(out.occurrences.iter().all(|o| o.is_override));
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn list(&mut self, n: u64, f: impl Fn(&mut Rng) -> String) -> String {
        let k = 1 + self.below(n);
        (0..k).map(|_| f(self)).collect::<Vec<_>>().join(",")
    }
}

/// Seeking to a time (arithmetic for whole periods, counting for COUNT) gives exactly what
/// walking every instance from DTSTART gives, on 3,000 generated rules.
#[test]
fn seeking_agrees_with_walking_from_dtstart() {
    const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let mut r = Rng(0x005E_EC0F_F5E7_u64);
    let mut cases = 0;
    for _ in 0..3000 {
        let freqs = [
            ("YEARLY", 40 * 365),
            ("MONTHLY", 20 * 365),
            ("WEEKLY", 5 * 365),
            ("DAILY", 3 * 365),
            ("HOURLY", 60),
            ("MINUTELY", 2),
            ("SECONDLY", 0),
        ];
        let (freq, reach_days) = freqs[r.below(freqs.len() as u64) as usize];
        let mut parts = vec![format!("FREQ={freq}")];
        if r.chance(40) {
            parts.push(format!("INTERVAL={}", 1 + r.below(4)));
        }
        if r.chance(60) {
            parts.push(format!("COUNT={}", 1 + r.below(3000)));
        }
        if r.chance(25) {
            parts.push(format!(
                "BYMONTH={}",
                r.list(4, |r| (1 + r.below(12)).to_string())
            ));
        }
        if r.chance(20) {
            parts.push(format!(
                "BYMONTHDAY={}",
                r.list(3, |r| {
                    let d = 1 + r.below(31) as i64;
                    (if r.chance(30) { -d } else { d }).to_string()
                })
            ));
        }
        if freq == "YEARLY" && r.chance(10) {
            parts.push(format!(
                "BYYEARDAY={}",
                r.list(3, |r| (1 + r.below(366)).to_string())
            ));
        }
        if freq == "YEARLY" && r.chance(10) {
            parts.push(format!(
                "BYWEEKNO={}",
                r.list(2, |r| (1 + r.below(53)).to_string())
            ));
        }
        if r.chance(30) {
            parts.push(format!(
                "BYDAY={}",
                r.list(3, |r| {
                    let d = DAYS[r.below(7) as usize];
                    if r.chance(30) {
                        format!("{}{d}", 1 + r.below(4))
                    } else {
                        d.to_owned()
                    }
                })
            ));
        }
        if r.chance(25) {
            parts.push(format!("BYHOUR={}", r.list(3, |r| r.below(24).to_string())));
        }
        if r.chance(20) {
            parts.push(format!(
                "BYMINUTE={}",
                r.list(3, |r| r.below(60).to_string())
            ));
        }
        if r.chance(15) {
            parts.push(format!(
                "BYSECOND={}",
                r.list(2, |r| r.below(61).to_string())
            ));
        }
        if r.chance(15) {
            parts.push(format!(
                "BYSETPOS={}",
                r.list(2, |r| {
                    let p = 1 + r.below(5) as i64;
                    (if r.chance(40) { -p } else { p }).to_string()
                })
            ));
        }
        let rule = parts.join(";");
        let dtstart = format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
            1990 + r.below(10),
            1 + r.below(12),
            1 + r.below(28),
            r.below(24),
            r.below(60),
            r.below(60)
        );
        let start = local(&dtstart);
        let reach = i64::from(reach_days) * DAY + 7200;
        let from = start + i64::try_from(r.below(reach as u64)).unwrap_or(0);
        let horizon = from + reach / 4 + 3600;
        let r_rule = RRule::parse(&rule).expect("rule");
        let dt: DateTime = dtstart.parse().expect("dt");
        let mut walk = RuleIter::new(&r_rule, dt, 5_000_000);
        walk.set_horizon(horizon);
        let expected: Vec<i64> = walk
            .by_ref()
            .take_while(|&l| l <= horizon)
            .filter(|&l| l >= from)
            .take(500)
            .collect();
        if walk.guard_hit {
            continue;
        }
        let mut sought = RuleIter::new(&r_rule, dt, 5_000_000);
        sought.seek(from);
        sought.set_horizon(horizon);
        let got: Vec<i64> = sought
            .by_ref()
            .take_while(|&l| l <= horizon)
            .take(500)
            .collect();
        assert_eq!(got, expected, "{rule} from {dtstart}, seek {from}");
        assert!(sought.steps() <= walk.steps(), "{rule} from {dtstart}");
        cases += 1;
    }
    assert!(cases > 2500, "only {cases} cases ran");
}

/// Extreme values everywhere (INTERVAL and COUNT at their maximum, DTSTART in years 1 and 9999,
/// BYSETPOS=-366, BYSECOND=60, a window over all time): no panic, no overflow (the debug build
/// checks), and a truncated result always says why.
#[test]
fn extreme_rules_neither_panic_nor_overflow() {
    let mut r = Rng(0x0BAD_CAFE_F00D_1234);
    let parts = [
        "INTERVAL=4294967295",
        "INTERVAL=1",
        "INTERVAL=7",
        "COUNT=4294967295",
        "COUNT=0",
        "COUNT=1",
        "UNTIL=99991231T235959Z",
        "UNTIL=00010101",
        "BYSETPOS=-366,366,1,-1",
        "BYSECOND=60,0,59",
        "BYMINUTE=0,59",
        "BYHOUR=23,0",
        "BYMONTHDAY=-31,31,1",
        "BYYEARDAY=-366,366,1",
        "BYWEEKNO=-53,53,1",
        "BYDAY=-53MO,53SU,-1FR,1TU,WE",
        "BYMONTH=2,12",
        "WKST=SU",
    ];
    let freqs = [
        "YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY",
    ];
    let starts = [
        ":00010101T000000Z",
        ":99991231T235959Z",
        ";VALUE=DATE:99991231",
        ":20250101T000000",
        ";TZID=Europe/Berlin:20250330T023000",
    ];
    let windows = [
        ("0001-01-01T00:00:00Z", "9999-12-30T00:00:00Z"),
        ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"),
        ("9999-12-29T00:00:00Z", "9999-12-30T00:00:00Z"),
    ];
    let opts = ExpandOptions {
        max_instances: 200,
        max_iterations: 20_000,
        max_total_iterations: 50_000,
        ..ExpandOptions::default()
    };
    for _ in 0..1500 {
        let mut rule = vec![format!("FREQ={}", freqs[r.below(7) as usize])];
        for _ in 0..r.below(5) {
            rule.push(parts[r.below(parts.len() as u64) as usize].to_owned());
        }
        let start = starts[r.below(starts.len() as u64) as usize];
        let c = cal(
            start,
            &format!(
                "RRULE:{}\r\nDURATION:P{}W\r\n",
                rule.join(";"),
                r.below(2) * 4_294_967_295
            ),
        );
        let (a, b) = windows[r.below(windows.len() as u64) as usize];
        let out = c.expand(window(a, b), &opts).expect("expand");
        assert_eq!(out.truncated, out.truncation.is_some(), "{rule:?} {start}");
        assert!(out.occurrences.len() <= 200);
    }
}
