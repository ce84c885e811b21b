//! Key files: loading, errors without key digits, PIN overrides, diversification factors.

use sscard::init;
use sscard::profile::keys::{Factors, KeyFile, KeyFileError};
use sscard::profile::{self, FactorSource};
use std::path::Path;

fn ssc3() -> profile::Profile {
    profile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/ssc-3.00.toml"))
        .unwrap()
}

#[test]
fn bad_key_values_are_named_without_their_digits() {
    let e = KeyFile::parse(
        "[keys.write]\nsm4 = \"0123456789ABCDEF0123\"\n",
        Path::new("k.toml"),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, KeyFileError::BadKey { .. }), "{msg}");
    assert!(
        msg.contains("key 'write'") && msg.contains("k.toml"),
        "{msg}"
    );
    assert!(!msg.contains("0123456789"), "{msg}");
    let e = KeyFile::parse("[keys.write]\naes = \"00\"\n", Path::new("k.toml")).unwrap_err();
    assert!(matches!(e, KeyFileError::Syntax { line: 2, .. }), "{e}");
}

#[test]
fn missing_keys_are_all_listed() {
    let k = KeyFile::parse(
        "[keys.write]\nsm4 = \"00112233445566778899AABBCCDDEEFF\"\n",
        Path::new("k.toml"),
    )
    .unwrap();
    let errs = k.check(&ssc3()).unwrap_err();
    assert_eq!(errs.len(), 7, "8 keys, 1 present");
    assert!(errs[0].to_string().contains("add `[keys."), "{}", errs[0]);
    assert!(!format!("{k:?}").contains("0011"), "{k:?}");
}

#[test]
fn pin_override_and_factors() {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/test-keys.toml"),
    )
    .unwrap();
    let k = KeyFile::parse(
        &format!("{base}\n[pins.holder]\ninitial = \"654321\"\n"),
        Path::new("k.toml"),
    )
    .unwrap();
    let f = Factors {
        card_id: Some(hex::decode("440300D156000005005E1F0C3A9D2B47").unwrap()),
        atr_historical: Some(vec![1, 2, 3]),
        ..Factors::default()
    };
    let plan = init::init_plan(&ssc3(), &k, &f).unwrap();
    let pin = plan
        .steps
        .iter()
        .find(|s| s.target.starts_with("PIN 00"))
        .unwrap();
    assert_eq!(pin.apdu.data, vec![0x10, 0x00, 0x03, 0x65, 0x43, 0x21]);
    assert_eq!(
        f.factor(FactorSource::CardIdLast8, "x").unwrap(),
        [0x00, 0x5E, 0x1F, 0x0C, 0x3A, 0x9D, 0x2B, 0x47]
    );
    let e = f
        .factor(FactorSource::AtrHistoricalLast8, "irk")
        .unwrap_err();
    assert!(e.to_string().contains("3 bytes"), "{e}");
    let bad =
        KeyFile::parse("[pins.holder]\ninitial = \"12a4\"\n", Path::new("k.toml")).unwrap_err();
    assert!(!bad.to_string().contains("12a4"), "{bad}");
}
