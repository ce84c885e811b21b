//! ATRs: parse and explain any bytes; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(atr) = sscard::atr::Atr::parse(data) {
        let _ = format!("{atr:?}");
    }
});
