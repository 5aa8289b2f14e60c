//! Fuzzes the core's JSON parser (`davkit::json_read::text`) against serde_json's, the parser it
//! replaced: for any bytes both refuse them or both read the same value (the same written text
//! too, so floats agree to the bit), and nothing panics or recurses without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let mine = davkit::json_read::text::parse_bytes(data);
    let theirs = serde_json::from_slice::<Value>(data);
    match (&mine, &theirs) {
        (Ok(a), Ok(b)) => {
            // The core's value keeps a repeated key's members, serde_json's the last: compared
            // as the core hands its values to serde_json's callers (`Json::into_value`).
            let a = a.clone().into_value();
            assert_eq!(&a, b);
            assert_eq!(a.to_string(), b.to_string());
        }
        (Err(_), Err(_)) => {}
        _ => panic!("davkit: {mine:?}, serde_json: {theirs:?}"),
    }
});
