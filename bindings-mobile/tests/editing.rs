//! Runs `tests/editing/scenarios.json` (events, contacts, PKCE) through the mobile crate's own
//! API from Rust, like the Python and Kotlin runners; results are compared in the core's JSON
//! shape (the core's serialised summaries of the edited text). Rules: tests/editing/README.md.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::sync::Arc;

mod common;
use common::{Replay, block_on};

use davkit_mobile::{
    ContactEditor, DavClient, DavObject, EventEditor, EventTarget, EventTime, Pkce, StructuredName,
    TypedValue, VCardVersion, convert_contact,
};
use serde_json::{Value, json};

fn editing_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/editing")
}

/// The scenario's `interop` file: compared with what Rust wrote (or rewritten under
/// DAVKIT_WRITE_INTEROP=1), and read back and written again unchanged.
fn check_interop(
    scenario: &Value,
    written: &str,
    reparse: impl Fn(String) -> String,
) -> Vec<String> {
    let Some(file) = scenario["interop"].as_str() else {
        return Vec::new();
    };
    let path = editing_dir().join(file);
    if std::env::var_os("DAVKIT_WRITE_INTEROP").is_some() {
        std::fs::write(&path, written).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap();
    let mut problems = Vec::new();
    if stored != written {
        problems.push(format!("{file}: the edit wrote\n{written}\nnot\n{stored}"));
    }
    if reparse(stored.clone()) != stored {
        problems.push(format!("{file}: read and written again, it changed"));
    }
    problems
}

fn scenarios() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/editing/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// `expected` is contained in `actual` (objects by key, arrays element by element).
fn subset(path: &str, expected: &Value, actual: &Value, problems: &mut Vec<String>) {
    match expected {
        Value::Object(m) => {
            for (k, ev) in m {
                subset(
                    &format!("{path}.{k}"),
                    ev,
                    actual.get(k).unwrap_or(&Value::Null),
                    problems,
                );
            }
        }
        Value::Array(a) => match actual.as_array() {
            Some(b) if a.len() == b.len() => {
                for (i, (ev, av)) in a.iter().zip(b).enumerate() {
                    subset(&format!("{path}[{i}]"), ev, av, problems);
                }
            }
            _ => problems.push(format!("{path}: expected {expected}, got {actual}")),
        },
        _ => {
            if expected != actual {
                problems.push(format!("{path}: expected {expected}, got {actual}"));
            }
        }
    }
}

fn target(t: &Value) -> EventTarget {
    EventTarget {
        uid: s(&t["uid"]).unwrap(),
        recurrence_id: s(&t["recurrence_id"]),
        tzid: s(&t["tzid"]),
    }
}

fn time(t: &Value) -> EventTime {
    EventTime {
        value: s(&t["value"]).unwrap(),
        tzid: s(&t["tzid"]),
    }
}

/// Applies one step; `Ok(Some(editor))` for a split, `Ok(None)` or the returned value otherwise.
fn event_step(
    e: &EventEditor,
    step: &Value,
) -> Result<(Option<Arc<EventEditor>>, Value), davkit_mobile::DavError> {
    let t = target(&step["target"]);
    let v = s(&step["value"]);
    let out = match step["op"].as_str().unwrap() {
        "set_summary" => e.set_summary(t, v).map(|()| Value::Null),
        "set_location" => e.set_location(t, v).map(|()| Value::Null),
        "set_description" => e.set_description(t, v).map(|()| Value::Null),
        "set_status" => e.set_status(t, v).map(|()| Value::Null),
        "set_start" => e.set_start(t, time(&step["time"])).map(|()| Value::Null),
        "set_end" => e
            .set_end(t, step.get("time").map(time))
            .map(|()| Value::Null),
        "add_attendee" => e
            .add_attendee(
                t,
                s(&step["email"]).unwrap(),
                s(&step["common_name"]),
                s(&step["partstat"]),
            )
            .map(|()| Value::Null),
        "remove_attendee" => e
            .remove_attendee(t, s(&step["address"]).unwrap())
            .map(Value::Bool),
        "set_partstat" => e
            .set_partstat(t, s(&step["email"]).unwrap(), s(&step["partstat"]).unwrap())
            .map(Value::Bool),
        "cancel_occurrence" => e.cancel_occurrence(t).map(|()| Value::Null),
        "alarms" => e.alarms(t).map(|list| serde_json::to_value(list).unwrap()),
        "add_alarm" => e
            .add_alarm(
                t,
                serde_json::from_value(step["action"].clone()).unwrap(),
                s(&step["trigger"]).unwrap(),
                step["related_to_end"].as_bool().unwrap_or(false),
                s(&step["description"]),
            )
            .map(|()| Value::Null),
        "remove_alarms" => e.remove_alarms(t).map(Value::from),
        "split_series" => {
            return e
                .split_series(t, s(&step["new_uid"]).unwrap())
                .map(|n| (Some(n), Value::Null));
        }
        op => panic!("unknown event op {op}"),
    }?;
    Ok((None, out))
}

fn check_events(path: &str, e: &EventEditor, expect: &Value, problems: &mut Vec<String>) {
    let text = e.to_ics();
    let cal = davkit::icalendar::Calendar::parse(&text).unwrap();
    if let Some(events) = expect.get("events") {
        let actual = serde_json::to_value(cal.summaries()).unwrap();
        subset(&format!("{path}.events"), events, &actual, problems);
    }
    for c in expect["contains"].as_array().into_iter().flatten() {
        if !text.contains(c.as_str().unwrap()) {
            problems.push(format!("{path}: {c} not in\n{text}"));
        }
    }
    for c in expect["not_contains"].as_array().into_iter().flatten() {
        if text.contains(c.as_str().unwrap()) {
            problems.push(format!("{path}: {c} in\n{text}"));
        }
    }
}

#[test]
fn event_scenarios() {
    let doc = scenarios();
    let mut problems = Vec::new();
    let list = doc["events"].as_array().unwrap();
    assert!(!list.is_empty());
    for scenario in list {
        let name = scenario["name"].as_str().unwrap();
        let editor = EventEditor::parse(s(&scenario["ics"]).unwrap()).unwrap();
        let mut split: Option<Arc<EventEditor>> = None;
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let on = if step["on"] == "split" {
                split.clone().unwrap()
            } else {
                Arc::clone(&editor)
            };
            let before = on.to_ics();
            match (event_step(&on, step), step.get("error")) {
                (Err(e), Some(kind)) => {
                    if e.kind_name() != kind {
                        problems.push(format!("{name} step {i}: {e} is not {kind}"));
                    }
                    if on.to_ics() != before {
                        problems.push(format!("{name} step {i}: a refused edit changed the text"));
                    }
                }
                (Ok(_), Some(kind)) => problems.push(format!("{name} step {i}: no {kind} error")),
                (Err(e), None) => problems.push(format!("{name} step {i}: {e}")),
                (Ok((new, out)), None) => {
                    if new.is_some() {
                        split = new;
                    } else if let Some(want) = step.get("expect")
                        && *want != out
                    {
                        problems.push(format!("{name} step {i}: {out} != {want}"));
                    }
                }
            }
        }
        check_events(name, &editor, &scenario["expect"], &mut problems);
        problems.extend(check_interop(scenario, &editor.to_ics(), |t| {
            EventEditor::parse(t).unwrap().to_ics()
        }));
        if let Some(want) = scenario["expect"].get("split") {
            match &split {
                Some(n) => check_events(&format!("{name}.split"), n, want, &mut problems),
                None => problems.push(format!("{name}: no split")),
            }
        }
    }
    assert_eq!(Vec::<String>::new(), problems);
}

fn typed(v: &Value) -> TypedValue {
    TypedValue {
        value: s(&v["value"]).unwrap(),
        types: v["types"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(s)
            .collect(),
        pref: v["pref"].as_u64().map(|p| u8::try_from(p).unwrap()),
        group: None,
        label: None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(s).collect()
}

/// Applies one contact step; the value the call returns, as JSON.
fn contact_step(c: &ContactEditor, step: &Value) -> Value {
    let v = &step["value"];
    match step["op"].as_str().unwrap() {
        "set_full_name" => json!(c.set_full_name(s(v).unwrap())),
        "set_note" => json!(c.set_note(s(v))),
        "set_title" => json!(c.set_title(s(v))),
        "set_org" => json!(c.set_org(v.as_array().map(|_| strings(v)))),
        "set_categories" => json!(c.set_categories(strings(v))),
        "set_birthday" => json!(c.set_birthday(s(v))),
        "set_name" => json!(c.set_name(StructuredName {
            family: s(&v["family"]).unwrap(),
            given: s(&v["given"]).unwrap(),
            additional: s(&v["additional"]).unwrap(),
            prefixes: s(&v["prefixes"]).unwrap(),
            suffixes: s(&v["suffixes"]).unwrap(),
        })),
        "add_email" => json!(c.add_email(typed(v))),
        "add_tel" => json!(c.add_tel(typed(v))),
        "add_url" => json!(c.add_url(typed(v))),
        "remove_all" => json!(c.remove_all(s(&step["name"]).unwrap())),
        op => panic!("unknown contact op {op}"),
    }
}

#[test]
fn contact_scenarios() {
    let doc = scenarios();
    let mut problems = Vec::new();
    for scenario in doc["contacts"].as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap();
        let c = ContactEditor::parse(s(&scenario["vcf"]).unwrap()).unwrap();
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let out = contact_step(&c, step);
            if let Some(want) = step.get("expect")
                && *want != out
            {
                problems.push(format!("{name} step {i}: {out} != {want}"));
            }
        }
        problems.extend(check_interop(scenario, &c.to_vcf(), |t| {
            ContactEditor::parse(t).unwrap().to_vcf()
        }));
        let expect = &scenario["expect"];
        let summary = |text: &str| {
            serde_json::to_value(davkit::vcard::VCard::parse(text).unwrap().to_summary()).unwrap()
        };
        if let Some(want) = expect.get("summary") {
            subset(name, want, &summary(&c.to_vcf()), &mut problems);
        }
        for part in strings(&expect["contains"]) {
            if !c.to_vcf().contains(&part) {
                problems.push(format!("{name}: {part} not in the card"));
            }
        }
        for (version, key) in [(VCardVersion::V3, "v3"), (VCardVersion::V4, "v4")] {
            let Some(want) = expect.get(key) else {
                continue;
            };
            let text = c.to_version(version).unwrap();
            if convert_contact(c.to_vcf(), version).unwrap() != text {
                problems.push(format!(
                    "{name}.{key}: toVersion differs from convertContact"
                ));
            }
            for part in strings(&want["contains"]) {
                if !text.contains(&part) {
                    problems.push(format!("{name}.{key}: {part} not in\n{text}"));
                }
            }
            if let Some(w) = want.get("summary") {
                subset(&format!("{name}.{key}"), w, &summary(&text), &mut problems);
            }
        }
    }
    assert_eq!(Vec::<String>::new(), problems);
}

#[test]
fn pkce_scenarios() {
    let doc = scenarios();
    for case in doc["pkce"].as_array().unwrap() {
        let made = match case.get("random_bytes_hex").and_then(Value::as_str) {
            Some(hex) => {
                let bytes = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                Pkce::from_random_bytes(bytes)
            }
            None => Pkce::from_verifier(s(&case["verifier"]).unwrap()),
        };
        match (made, case.get("error")) {
            (Err(e), Some(kind)) => assert_eq!(e.kind_name(), kind),
            (Ok(p), None) => {
                assert_eq!(p.verifier(), case["verifier"]);
                if let Some(c) = case.get("challenge") {
                    assert_eq!(p.challenge(), *c);
                }
                assert!(!format!("{p} {p:?}").contains(&p.verifier()));
            }
            (made, want) => panic!("{}: {made:?} vs {want:?}", case["source"]),
        }
    }
}

#[test]
fn write_back_scenarios() {
    let doc = scenarios();
    let mut problems = Vec::new();
    for scenario in doc["write_back"].as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap();
        let o = &scenario["object"];
        let object = DavObject {
            url: s(&o["url"]).unwrap(),
            etag: s(&o["etag"]),
            data: s(&o["data"]),
            json: None,
        };
        let event = scenario["kind"] == "event";
        let (ev, card) = if event {
            (Some(EventEditor::from_object(object).unwrap()), None)
        } else {
            (None, Some(ContactEditor::from_object(object).unwrap()))
        };
        for step in scenario["steps"].as_array().unwrap() {
            match (&ev, &card) {
                (Some(e), _) => drop(event_step(e, step).unwrap()),
                (_, Some(c)) => drop(contact_step(c, step)),
                _ => unreachable!(),
            }
        }
        for (i, save) in scenario["saves"].as_array().unwrap().iter().enumerate() {
            let replay = Replay::new(save.get("exchange").into_iter().cloned().collect());
            let client = DavClient::new(
                common::config(&scenario["config"]),
                replay.clone(),
                None,
                None,
            )
            .unwrap();
            let result = match (&ev, &card) {
                (Some(e), _) => block_on(client.save_event(Arc::clone(e))),
                (_, Some(c)) => block_on(client.save_contact(Arc::clone(c))),
                _ => unreachable!(),
            };
            let expect = &save["expect"];
            match (result, expect.get("error")) {
                (Err(e), Some(kind)) if e.kind_name() == kind => {}
                (Ok(w), None) => {
                    let actual = json!({"url": w.url, "etag": w.etag, "data": w.data, "replaced": w.replaced});
                    subset(
                        &format!("{name} save {i}"),
                        &expect["result"],
                        &actual,
                        &mut problems,
                    );
                }
                (got, _) => problems.push(format!("{name} save {i}: {got:?} vs {expect}")),
            }
            problems.extend(
                replay
                    .problems()
                    .into_iter()
                    .map(|p| format!("{name} save {i}: {p}")),
            );
        }
    }
    assert_eq!(Vec::<String>::new(), problems);
}
