//! Malformed-input corpus for the multistatus parser (RFC 4918 §13): every 207 body of the
//! recorded vectors, cut at every length and with bytes flipped deterministically, must give a
//! result or a typed error, never a panic; a document cut before its end is always an error.

use std::path::Path;

use davkit::ErrorKind;
use davkit::rfc4918::multistatus;
use serde_json::Value;

fn bodies() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("vectors dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).expect("read"))
                    .expect("json");
                for ex in v["exchanges"].as_array().into_iter().flatten() {
                    let r = &ex["response"];
                    if r["status"] == 207
                        && let Some(b) = r["body"].as_str()
                        && b.trim_start().starts_with('<')
                    {
                        out.push(b.as_bytes().to_vec());
                    }
                }
            }
        }
    }
    out
}

const BASE: &str = "https://dav.example.com/calendars/alice/work/";

#[test]
fn truncated_bodies_are_errors_never_panics() {
    let bodies = bodies();
    assert!(
        bodies.len() > 30,
        "expected the vector bodies, found {}",
        bodies.len()
    );
    let mut cuts = 0;
    for body in &bodies {
        let whole_ok = multistatus::parse(body, BASE).is_ok();
        let end = body
            .iter()
            .rposition(|b| *b == b'>')
            .map_or(body.len(), |i| i + 1);
        for len in 0..end {
            cuts += 1;
            let result = multistatus::parse(&body[..len], BASE);
            if whole_ok {
                // Cut before the final '>': the root element cannot be closed.
                let kind = result.err().map(|e| e.kind());
                assert!(
                    matches!(kind, Some(ErrorKind::Xml | ErrorKind::Protocol)),
                    "a body cut at {len} of {end} parsed or failed oddly: {kind:?}"
                );
            }
        }
    }
    assert!(cuts > 10_000);
}

#[test]
fn flipped_bytes_never_panic() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = [0usize; 2];
    for body in bodies() {
        for _ in 0..200 {
            let mut b = body.clone();
            for _ in 0..(1 + next() % 4) {
                let i = (next() % b.len() as u64) as usize;
                b[i] = match next() % 5 {
                    0 => b'<',
                    1 => b'&',
                    2 => b'"',
                    3 => 0xff,
                    _ => (next() & 0xff) as u8,
                };
            }
            outcomes[usize::from(multistatus::parse(&b, BASE).is_ok())] += 1;
        }
    }
    // Both outcomes occur: the mutations reach past the first byte checks.
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
}
