//! Fuzzes the RFC 4918 §13 multistatus parser and the RFC 6578 sync page reader: any bytes give
//! a result or a typed error, never a panic, and every parsed href is an absolute URL.
#![no_main]

use davkit::rfc4918::multistatus;
use davkit::rfc6578::read_sync_page;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = "https://dav.example.com/calendars/alice/work/";
    if let Ok(ms) = multistatus::parse(data, base) {
        for r in &ms.responses {
            assert!(url::Url::parse(&r.href).is_ok(), "{}", r.href);
        }
        let _ = read_sync_page(ms, base);
    }
    let _ = davkit::rfc4918::error_conditions(data);
});
