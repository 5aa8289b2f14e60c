//! Fuzzes the RFC 5545 §3.1 / RFC 6350 §3.3 content-line parser: no panic, and whatever parses
//! must survive serialise -> parse unchanged.
#![no_main]

use davkit::contentline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(comps) = contentline::parse_bytes(data) {
        let text = contentline::serialize(&comps);
        let again = contentline::parse(&text).expect("serialised output parses");
        assert_eq!(again, comps);
        assert_eq!(contentline::serialize(&again), text);
    }
});
