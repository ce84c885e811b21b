//! Card images: any JSON is a card (validated) or an error; a valid one powers up and
//! answers a SELECT; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if sscard::input::json_without_duplicate_keys(text).is_err() {
        return;
    }
    let Ok(state) = serde_json::from_str::<sscard::sim::CardState>(text) else {
        return;
    };
    if state.validate().is_err() {
        return;
    }
    let mut card = sscard::sim::VirtualCard::from_state(state);
    // Faults may make it slow or dead on purpose: no delay here.
    let mut faults = card.state().faults.clone();
    faults.delay_ms = 0;
    card.set_faults(faults);
    if card.power_on().is_some() {
        let _ = card.process(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00, 0x00]);
        let _ = card.image_text();
    }
});
