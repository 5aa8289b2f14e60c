//! The mutations both differential test files apply to a seed JSON text (the stored states and
//! queues in `tests.rs`, the servers' answers in `answers.rs`): every value's pointer, a value
//! replaced, a field or element removed, a field added, and at the text level each cut and
//! each byte removed.

use serde_json::{Value, json};

/// Every value in `v` down to `depth` levels below `at`, as JSON pointers (`at` itself last).
pub(super) fn pointers(v: &Value, at: String, depth: usize, out: &mut Vec<String>) {
    if depth > 0 {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    pointers(child, format!("{at}/{k}"), depth - 1, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    pointers(child, format!("{at}/{i}"), depth - 1, out);
                }
            }
            _ => {}
        }
    }
    out.push(at);
}

/// A value of every JSON type (and the edges of each) to put in place of a field; each test
/// file adds the names and numbers its readers know.
pub(super) fn of_every_type() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
    ]
}

/// `root` with the value at `pointer` replaced by `value`.
pub(super) fn replaced(root: &Value, pointer: &str, value: Value) -> Value {
    let mut v = root.clone();
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = value;
    }
    v
}

/// `root` with the object at `pointer` given the field `key` (`None` when it is no object).
pub(super) fn with_field(root: &Value, pointer: &str, key: &str, value: Value) -> Option<Value> {
    let mut v = root.clone();
    let Some(Value::Object(map)) = v.pointer_mut(pointer) else {
        return None;
    };
    map.insert(key.into(), value);
    Some(v)
}

/// `root` without the field or element at `pointer` (`None` for the root itself).
pub(super) fn without(root: &Value, pointer: &str) -> Option<Value> {
    let (parent, key) = pointer.rsplit_once('/')?;
    let mut v = root.clone();
    match v.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>() {
                items.remove(i);
            }
        }
        _ => {}
    }
    Some(v)
}

/// Each byte of `text` removed, and each of its prefixes (a text cut short).
pub(super) fn cuts(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..bytes.len() {
        let mut cut = bytes.to_vec();
        cut.remove(i);
        out.push(String::from_utf8_lossy(&cut).into_owned());
        out.push(String::from_utf8_lossy(&bytes[..i]).into_owned());
    }
    out
}
