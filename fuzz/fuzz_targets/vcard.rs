//! Fuzzes the RFC 6350 / RFC 2426 typed view and the 3.0 <-> 4.0 conversion: no panic.
#![no_main]

use davkit::vcard::VCard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(card) = VCard::parse_bytes(data) else {
        return;
    };
    let _ = card.to_summary();
    let v4 = card.to_v4();
    let v3 = v4.to_v3();
    let _ = (
        v3.to_summary(),
        v4.photo(),
        v3.photo(),
        v4.to_vcf(),
        v3.to_vcf(),
    );
});
