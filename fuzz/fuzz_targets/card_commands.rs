//! The virtual card fed arbitrary APDU sequences, from a personalized, enabled card (the
//! shipped ssc-3.00 profile, synthetic keys). Invariants, checked after every APDU:
//! - no panic, and an answer of at least a status word;
//! - files never change: every write to this card needs an external authentication or a
//!   MAC with a card key, which random bytes never make (a change is a write that passed
//!   without the security state);
//! - keys never change (WRITE KEY needs the issuer key);
//! - a PIN or key counter never goes up, except by a command that may reset it (VERIFY,
//!   CHANGE REFERENCE DATA, RESET RETRY COUNTER, EXTERNAL AUTHENTICATE) answered 9000.
//!
//! Input: a sequence of `length byte, APDU bytes`; length `FF` powers the card off and on.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const IMAGE: &str = include_str!("../fixtures/personalized.json");

fn base() -> &'static sscard::sim::CardState {
    static BASE: OnceLock<sscard::sim::CardState> = OnceLock::new();
    BASE.get_or_init(|| serde_json::from_str(IMAGE).expect("the fixture image loads"))
}

/// The files (everything but key counters) and the counters, from the image.
fn snapshot(card: &sscard::sim::VirtualCard) -> (Value, BTreeMap<String, u64>) {
    let mut v: Value = serde_json::to_value(card.state()).expect("state serializes");
    let mut counters = BTreeMap::new();
    strip(&mut v, "", &mut counters);
    (v, counters)
}

fn strip(v: &mut Value, path: &str, counters: &mut BTreeMap<String, u64>) {
    match v {
        Value::Object(map) => {
            if let (Some(left), Some(id)) = (map.get("tries_left").and_then(Value::as_u64), map.get("id").or(map.get("reference"))) {
                counters.insert(format!("{path}/{id}"), left);
                map.remove("tries_left");
            }
            for (k, child) in map.iter_mut() {
                strip(child, &format!("{path}/{k}"), counters);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                strip(child, &format!("{path}/{i}"), counters);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut card = sscard::sim::VirtualCard::from_state(base().clone());
    if card.power_on().is_none() {
        return;
    }
    let (files, mut counters) = snapshot(&card);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0xFF {
            card.power_off();
            assert!(card.power_on().is_some());
            rest = tail;
            continue;
        }
        let n = usize::from(len).min(tail.len());
        let (apdu, after) = tail.split_at(n);
        rest = after;
        let Some(answer) = card.process(apdu) else {
            continue;
        };
        assert!(answer.len() >= 2, "an answer holds a status word: {apdu:02X?}");
        let sw = &answer[answer.len() - 2..];
        let (now_files, now_counters) = snapshot(&card);
        assert_eq!(now_files, files, "the card changed without the security state: {apdu:02X?} -> {answer:02X?}");
        let may_reset = sw == [0x90, 0x00]
            && apdu.get(1).is_some_and(|ins| matches!(ins, 0x20 | 0x24 | 0x2C | 0x82));
        for (k, left) in &now_counters {
            let before = counters.get(k).copied().unwrap_or(*left);
            assert!(
                *left <= before || may_reset,
                "counter {k} went up from {before} to {left}: {apdu:02X?} -> {answer:02X?}"
            );
        }
        counters = now_counters;
    }
});
