//! `sscard atr` against Debian's vicc `iso7816` card behind a real private pcscd.
//! Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, start_vicc, stdout};

#[test]
fn atr_of_the_vicc_card_human_and_json() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();

    let out = pcscd.run(&["--reader", "0", "atr"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    for needle in [
        "reader      Virtual PCD 00 00",
        "ATR  3B 95 13 81 01 80 73 FF 01 00 0B",
        "TA1  13  Fi=372 Di=4 fmax=5 MHz: 38400 bit/s at 3.57 MHz",
        "TCK  0B  correct",
        "protocols   T=1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }

    let out = pcscd.run(&[
        "--reader",
        "Virtual PCD 00 00",
        "atr",
        "--json",
        "--no-names",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["reader"], "Virtual PCD 00 00");
    assert_eq!(v["atr"]["raw"], "3B951381018073FF01000B");
    assert_eq!(v["atr"]["protocols"], serde_json::json!([1]));
    assert_eq!(v["names"], serde_json::Value::Null);
}
