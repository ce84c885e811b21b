//! Hex text and command APDUs: parse, re-encode, parse again; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sscard::apdu::parse_hex(text);
    }
    if let Ok(cmd) = sscard::apdu::Command::parse(data) {
        // What parses must encode to bytes that parse to the same command.
        if let Ok(bytes) = cmd.to_bytes() {
            let again = sscard::apdu::Command::parse(&bytes).expect("re-encoded command parses");
            assert_eq!(again.to_bytes().ok(), Some(bytes));
        }
    }
});
