//! The PSAM client against a scripted PSAM: the APDUs of the `pboc` dialect byte for byte,
//! results passed through, refusals named.

use super::*;
use crate::crypto::Algorithm;
use crate::crypto::derive::{Chain, Level};
use crate::profile::{KeyRole, KeySpec};
use crate::session::{KeySource, KeySourceError, KeyUse};
use crate::transport::fake::Scripted;

const SELECT: (&str, &str) = ("00A4040006D15600000590", "9000");
const TERMINAL: (&str, &str) = ("00B0960006", "1234567890129000");
const FACTOR: &str = "3434303330307378";
const CHALLENGE: [u8; 8] = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18];

fn spec(name: &str, alg: Algorithm) -> KeySpec {
    KeySpec {
        name: name.into(),
        label: name.into(),
        id: 4,
        role: KeyRole::ExternalAuth,
        algorithm: alg,
        diversification: Vec::new(),
        max_tries: 3,
    }
}

fn one_level() -> Chain {
    Chain {
        levels: vec![Level {
            source: "region-ascii-7378".into(),
            factor: [0x34, 0x34, 0x30, 0x33, 0x30, 0x30, 0x73, 0x78],
        }],
    }
}

fn psam(steps: &[(&str, &str)]) -> PsamSource {
    let mut all = vec![SELECT, TERMINAL];
    all.extend_from_slice(steps);
    let link: PsamLink = Box::new(Scripted::new(&all));
    let dialect = Dialect::load("pboc").unwrap();
    PsamSource::on_link(link, "PSAM in reader 'slot 01'".into(), dialect, None).unwrap()
}

#[test]
fn a_cryptogram_is_init_with_the_factors_then_encrypt_of_the_padded_challenge() {
    let mut p = psam(&[
        (&format!("801A26 01 08 {FACTOR}"), "9000"),
        ("80FA000008 A1B2C3D4E5F60718 00", "0102030405060708 9000"),
        // SM4: the challenge zero-padded to 16 bytes, key version 03
        (&format!("801A26 03 08 {FACTOR}"), "9000"),
        (
            "80FA000010 A1B2C3D4E5F60718 0000000000000000 00",
            "00112233445566778899AABBCCDDEEFF 9000",
        ),
    ]);
    assert_eq!(
        p.terminal_number().unwrap().as_deref(),
        Some("123456789012")
    );
    let (t, s) = (
        spec("write", Algorithm::Tdes),
        spec("write", Algorithm::Sm4),
    );
    let chain = one_level();
    let c = p
        .cryptogram(
            &KeyUse {
                spec: &t,
                chain: &chain,
            },
            &CHALLENGE,
        )
        .unwrap();
    assert_eq!(c, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    let c = p
        .cryptogram(
            &KeyUse {
                spec: &s,
                chain: &chain,
            },
            &CHALLENGE,
        )
        .unwrap();
    assert_eq!(c.len(), 16);
}

#[test]
fn a_mac_sends_the_challenge_as_iv_and_the_padded_message() {
    let mut p = psam(&[
        // no diversification: 80 1A without Lc
        ("801A2201", "9000"),
        (
            "80FA050010 A1B2C3D4E5F60718 841E000480000000 00",
            "CAFEBABE9000",
        ),
    ]);
    let stk = spec("stk", Algorithm::Tdes);
    let chain = Chain::default();
    let mac = p
        .mac(
            &KeyUse {
                spec: &stk,
                chain: &chain,
            },
            &CHALLENGE,
            &[0x84, 0x1E, 0x00, 0x04],
        )
        .unwrap();
    assert_eq!(mac, [0xCA, 0xFE, 0xBA, 0xBE]);
}

#[test]
fn refusals_name_the_psam_and_the_key_and_carry_no_result_bytes() {
    let mut p = psam(&[(&format!("801A26 01 08 {FACTOR}"), "6A88")]);
    let t = spec("write", Algorithm::Tdes);
    let chain = one_level();
    let k = KeyUse {
        spec: &t,
        chain: &chain,
    };
    let e = p.cryptogram(&k, &CHALLENGE).unwrap_err();
    assert!(matches!(e, KeySourceError::NoKey(_)), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("PSAM in reader 'slot 01'"), "{msg}");
    assert!(msg.contains("key 'write'"), "{msg}");
    assert!(msg.contains("6A88"), "{msg}");
    // A key name the dialect has no usage for: nothing is sent.
    let other = spec("maintenance", Algorithm::Tdes);
    let e = p
        .cryptogram(
            &KeyUse {
                spec: &other,
                chain: &chain,
            },
            &CHALLENGE,
        )
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("no key usage for key 'maintenance'"), "{msg}");
    assert!(msg.contains("pboc (built in)"), "{msg}");
}

#[test]
fn the_psam_pin_is_verified_masked_and_a_wrong_one_is_not_retried() {
    let link: PsamLink = Box::new(Scripted::new(&[SELECT, ("0020000003123456", "63C2")]));
    let pin = crate::crypto::Secret::new(b"123456".to_vec());
    let e = PsamSource::on_link(
        link,
        "PSAM x".into(),
        Dialect::load("pboc").unwrap(),
        Some(&pin),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("wrong PSAM PIN"), "{msg}");
    assert!(!msg.contains("123456"), "{msg}");
}

#[test]
fn a_card_that_is_not_a_psam_is_named_missing() {
    let link: PsamLink = Box::new(Scripted::new(&[("00A4040006D15600000590", "6A82")]));
    let e = PsamSource::on_link(
        link,
        "PSAM in reader 'r'".into(),
        Dialect::load("pboc").unwrap(),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, KeySourceError::Missing(_)), "{e}");
    assert!(
        e.to_string().contains("is it a PSAM of dialect pboc"),
        "{e}"
    );
}

#[test]
fn a_psam_that_wants_its_pin_is_asked_once_then_computes() {
    let mut p = psam(&[
        ("801A2201", "6982"),
        ("0020000003123456", "9000"),
        ("801A2201", "9000"),
        ("80FA000008 A1B2C3D4E5F60718 00", "0102030405060708 9000"),
    ])
    .with_pin_prompt(Box::new(|| {
        Some(crate::crypto::Secret::new(b"123456".to_vec()))
    }));
    let stk = spec("stk", Algorithm::Tdes);
    let chain = Chain::default();
    let k = KeyUse {
        spec: &stk,
        chain: &chain,
    };
    assert_eq!(
        p.cryptogram(&k, &CHALLENGE).unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7, 8]
    );
}
