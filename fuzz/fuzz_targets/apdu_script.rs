//! APDU scripts (scriptor syntax and sscard's additions): parse any text; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Includes resolve relative to a folder that holds nothing.
        let _ = sscard::script::Script::parse_str("/nonexistent/fuzz.apdu".as_ref(), text);
    }
});
