//! Key files: any text is a key file or an error that shows no key bytes; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sscard::profile::keys::KeyFile::parse(text, "fuzz-keys.toml".as_ref());
    }
});
