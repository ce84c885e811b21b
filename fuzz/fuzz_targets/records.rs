//! Holder records, JSON and CSV: parse any text; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sscard::record::parse_json("fuzz.json".as_ref(), text);
        let _ = sscard::record::parse_csv("fuzz.csv".as_ref(), text);
    }
});
