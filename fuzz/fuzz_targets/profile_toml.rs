//! Profiles: any text is a profile or a list of problems; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = sscard::profile::parse(text, "fuzz.toml".as_ref()) {
            let _ = sscard::profile::show::render(&p);
        }
    }
});
