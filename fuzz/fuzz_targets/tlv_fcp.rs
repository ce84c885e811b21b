//! SIMPLE-TLV records and FCP templates: parse any bytes; what parses re-encodes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sscard::tlv::SimpleTlv::parse_all(data);
    let _ = sscard::tlv::SimpleTlv::parse_record(data);
    if let Ok(fcp) = sscard::tlv::Fcp::parse(data) {
        let bytes = fcp.to_bytes();
        let _ = sscard::tlv::Fcp::parse(&bytes);
    }
});
