//! The two sides of the comparison: davkit's expansion and the oracle's (`tests/oracle/expand.py`), as
//! sorted (UID, start, end) lists.

use std::path::Path;
use std::process::Command;

use davkit::icalendar::{CalDateTime, Calendar, ExpandOptions, ObjectKind, Occurrence};
use serde_json::Value;

use crate::{python, repo};

pub(crate) fn fmt(v: &CalDateTime, utc: jiff::Timestamp) -> String {
    match v {
        CalDateTime::Date(d) => format!("D:{d}"),
        CalDateTime::Floating(dt) => format!("F:{}", dt.strftime("%Y-%m-%dT%H:%M:%S")),
        _ => format!("U:{}", utc.strftime("%Y-%m-%dT%H:%M:%SZ")),
    }
}

pub(crate) fn davkit_instances(
    path: &Path,
    start: &str,
    end: &str,
) -> Vec<(String, String, String)> {
    let bytes = std::fs::read(path).expect("read");
    let cal = Calendar::parse_bytes(&bytes).expect("parse");
    let window = (start.parse().expect("ts"), end.parse().expect("ts"));
    let opts = ExpandOptions {
        max_instances: 200_000,
        ..ExpandOptions::default()
    };
    let out = cal.expand(window, &opts).expect("expand");
    assert!(!out.truncated, "{}: truncated", path.display());
    let comps = cal.component().components();
    let mut v: Vec<(String, String, String)> = out
        .occurrences
        .iter()
        .filter(|o: &&Occurrence| {
            comps
                .get(o.component_index)
                .is_some_and(|c| ObjectKind::of(c.name()) == ObjectKind::Event)
        })
        .map(|o| {
            (
                o.uid.clone().unwrap_or_default(),
                fmt(&o.start, o.start_utc),
                fmt(&o.end, o.end_utc),
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.1, &a.0, &a.2).cmp(&(&b.1, &b.0, &b.2)));
    v
}

pub(crate) fn oracle_instances(
    path: &Path,
    start: &str,
    end: &str,
) -> Vec<(String, String, Option<String>)> {
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/expand.py"))
        .arg(path)
        .arg(start)
        .arg(end)
        .output()
        .expect("run the oracle (is the venv there? see tests/servers/setup-venv.sh)");
    assert!(
        out.status.success(),
        "oracle failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    let mut v: Vec<(String, String, Option<String>)> = json
        .as_array()
        .expect("list")
        .iter()
        .map(|i| {
            (
                i["uid"].as_str().unwrap_or_default().to_owned(),
                i["start"].as_str().unwrap_or_default().to_owned(),
                i["end"].as_str().map(str::to_owned),
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.1, &a.0, &a.2).cmp(&(&b.1, &b.0, &b.2)));
    v
}
