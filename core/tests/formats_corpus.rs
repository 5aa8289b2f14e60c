//! Round-trip and robustness tests over the real-world corpus in `tests/corpus/`
//! (RFC 5545 §3.1 / RFC 6350 §3.3 content lines; origins and licences in tests/corpus/SOURCES.md).

use std::path::{Path, PathBuf};

use davkit::contentline;
use davkit::icalendar::{Calendar, ExpandOptions};
use davkit::vcard::VCard;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)) {
            out.push(p);
        }
    }
}

/// Files of the corpus that are malformed on purpose (their source tests error handling);
/// each must give a typed error, never a panic.
const EXPECTED_ERRORS: &[&str] = &[
    "ical/pypi-icalendar-7.3.0/calendars/big_bad_calendar.ics",
    "ical/pypi-icalendar-7.3.0/calendars/fuzz_testcase_0_char_in_component_name.ics",
    "ical/pypi-icalendar-7.3.0/calendars/fuzz_testcase_invalid_month.ics",
    "ical/pypi-icalendar-7.3.0/calendars/issue_104_broken_calendar.ics",
    "ical/pypi-icalendar-7.3.0/calendars/issue_168_input.ics",
    "ical/pypi-icalendar-7.3.0/calendars/issue_348_exception_parsing_value.ics",
    "ical/pypi-icalendar-7.3.0/calendars/issue_350.ics",
    "ical/pypi-icalendar-7.3.0/calendars/multiple_calendar_components.ics",
    "ical/pypi-icalendar-7.3.0/calendars/pr_480_summary_with_colon.ics",
    "ical/pypi-icalendar-7.3.0/calendars/small_bad_calendar.ics",
    "ical/pypi-icalendar-7.3.0/calendars/timezone_rdate.ics",
    "ical/pypi-icalendar-7.3.0/calendars/timezone_same_start_and_offset.ics",
    "ical/pypi-icalendar-7.3.0/events/issue_104_mark_events_broken.ics",
    "ical/pypi-recurring-ical-events-3.8.2/issue_201_test_matrix.ics",
];

#[test]
fn ical_corpus_round_trips() {
    let mut list = Vec::new();
    files(&corpus().join("ical"), "ics", &mut list);
    assert!(list.len() > 200, "corpus missing: {}", list.len());
    let window = (
        "1900-01-01T00:00:00Z".parse().expect("ts"),
        "2100-01-01T00:00:00Z".parse().expect("ts"),
    );
    let opts = ExpandOptions {
        max_instances: 2000,
        ..ExpandOptions::default()
    };
    let mut ok = 0;
    let mut lenient_ok = 0;
    let mut failed = Vec::new();
    for path in &list {
        let bytes = std::fs::read(path).expect("read");
        let name = path
            .strip_prefix(corpus())
            .unwrap_or(path)
            .display()
            .to_string();
        match contentline::parse_bytes(&bytes) {
            Ok(comps) => {
                let text = contentline::serialize(&comps);
                let again = contentline::parse(&text).expect("serialised text parses");
                assert_eq!(again, comps, "{name}: parse -> serialise -> parse differs");
                assert_eq!(
                    contentline::serialize(&again),
                    text,
                    "{name}: serialisation not stable"
                );
                assert!(
                    text.split("\r\n").all(|l| l.len() <= 75),
                    "{name}: line over 75 octets"
                );
                if let Ok(cal) = Calendar::parse_bytes(&bytes) {
                    // typed access and expansion must not panic on any real file
                    let _ = cal.summaries();
                    let _ = cal.expand(window, &opts);
                }
                ok += 1;
            }
            Err(e) => {
                failed.push(format!("{name}: {e}"));
                // the lenient parse repairs it, says so, and gives a well-formed tree
                if let Ok((comps, repairs)) = contentline::parse_bytes_lenient(&bytes) {
                    assert!(!repairs.is_empty(), "{name}: repaired without a report");
                    let text = contentline::serialize(&comps);
                    assert_eq!(
                        contentline::parse(&text).expect("repaired text parses"),
                        comps,
                        "{name}"
                    );
                    lenient_ok += 1;
                }
            }
        }
    }
    let unexpected: Vec<_> = failed
        .iter()
        .filter(|f| {
            !EXPECTED_ERRORS
                .iter()
                .any(|x| f.starts_with(&format!("{x}:")))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures: {unexpected:#?}"
    );
    assert_eq!(
        failed.len(),
        EXPECTED_ERRORS.len(),
        "expected errors that now parse: {failed:#?}"
    );
    // every rejected file is repaired by the lenient parse, except one whose only component
    // name holds a NUL and is cut off (nothing is left to repair into)
    assert!(
        lenient_ok + 1 >= failed.len(),
        "lenient parse repaired only {lenient_ok}"
    );
    println!(
        "{ok} iCalendar files round-trip, {} rejected with a typed error, {lenient_ok} of those repaired by the lenient parse",
        failed.len()
    );
}

#[test]
fn vcard_corpus_round_trips_and_converts() {
    let mut list = Vec::new();
    files(&corpus().join("vcard"), "vcf", &mut list);
    assert!(!list.is_empty());
    for path in &list {
        let bytes = std::fs::read(path).expect("read");
        let name = path.display().to_string();
        let comps = contentline::parse_bytes(&bytes)
            .map_err(|e| format!("{name}: {e}"))
            .expect("every corpus vCard parses");
        let text = contentline::serialize(&comps);
        assert_eq!(contentline::parse(&text).expect("reparse"), comps, "{name}");
        let card = VCard::parse_bytes(&bytes).expect("vcard");
        let v3 = card.to_v3();
        let back = v3.to_v4();
        // conversion keeps what the typed view reads
        assert_eq!(back.full_name(), card.full_name(), "{name}");
        assert_eq!(back.tels(), card.tels(), "{name}");
        assert_eq!(back.emails(), card.emails(), "{name}");
        assert_eq!(back.addresses(), card.addresses(), "{name}");
        assert_eq!(back.birthday(), card.birthday(), "{name}");
        assert_eq!(back.photo(), card.photo(), "{name}");
        assert_eq!(back.kind(), card.kind(), "{name}");
        assert_eq!(back.members(), card.members(), "{name}");
        assert_eq!(back.org(), card.org(), "{name}");
        let _ = serde_json::to_string(&card.to_summary()).expect("json");
    }
}
