//! The virtual PSAM in-process: every command of the pboc dialect's table (PSAM-CONTRACT.md
//! §2) and every refusal, with cryptograms and MACs equal to what `crypto::auth_cryptogram`
//! and `crypto::mac` give with the soft-diversified card key for the same chain.

mod sim_util;

use sim_util::{ok, sw, tx};
use sscard::apdu::compact;
use sscard::crypto::derive::{Chain, Level};
use sscard::crypto::{Algorithm, Key, Secret, auth_cryptogram, mac, pad_method2};
use sscard::profile::keys::KeyFile;
use sscard::sim::VirtualCard;
use sscard::sim::psam::{PsamSetup, keys_from_file};
use std::path::Path;

const KEYS: &str = "card-profiles/test-keys.toml";
const SELECT: &str = "00A4040006 D15600000590";
const F1: [u8; 8] = [0x34, 0x34, 0x30, 0x33, 0x30, 0x30, 0x73, 0x78];
const F2: [u8; 8] = [0x5E, 0x1F, 0x0C, 0x3A, 0x9D, 0x2B, 0x47, 0x11];
const F3: [u8; 8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
const CHALLENGE: [u8; 8] = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18];

fn key_file() -> KeyFile {
    KeyFile::load(Path::new(KEYS)).expect("the shipped test keys")
}

fn setup(pin: Option<&str>) -> PsamSetup {
    PsamSetup {
        keys: keys_from_file(&key_file()).expect("test keys map to PSAM keys"),
        terminal_no: "123456789012".into(),
        pin: pin.map(|p| Secret::new(p.as_bytes().to_vec())),
    }
}

/// A powered PSAM with the test keys, the application selected.
fn psam() -> VirtualCard {
    let mut c = VirtualCard::new_psam(&setup(None)).expect("PSAM");
    assert!(c.power_on().is_some());
    tx(&mut c, SELECT);
    c
}

fn master(name: &str, alg: Algorithm) -> Key {
    let kf = key_file();
    kf.masters()
        .into_iter()
        .find(|(n, k)| *n == name && k.alg == alg)
        .map(|(_, k)| k.clone())
        .expect("test master key")
}

fn chain(factors: &[[u8; 8]]) -> Chain {
    Chain {
        levels: factors
            .iter()
            .map(|f| Level {
                source: "test".into(),
                factor: *f,
            })
            .collect(),
    }
}

fn hex(b: &[u8]) -> String {
    compact(b)
}

fn init_apdu(usage: u8, version: u8, factors: &[[u8; 8]]) -> String {
    let data: Vec<u8> = factors.concat();
    if data.is_empty() {
        format!("801A{usage:02X}{version:02X}")
    } else {
        format!(
            "801A{usage:02X}{version:02X}{:02X}{}",
            data.len(),
            hex(&data)
        )
    }
}

fn encrypt_apdu(data: &[u8]) -> String {
    format!("80FA0000{:02X}{}00", data.len(), hex(data))
}

fn mac_apdu(bl: usize, challenge: &[u8], message: &[u8]) -> String {
    let mut iv = challenge.to_vec();
    iv.resize(bl, 0);
    let mut data = iv;
    data.extend(pad_method2(message, bl));
    format!("80FA0500{:02X}{}00", data.len(), hex(&data))
}

#[test]
fn select_answers_9000_and_the_terminal_number_is_readable_by_sfi() {
    let mut c = VirtualCard::new_psam(&setup(None)).unwrap();
    c.power_on().unwrap();
    let r = tx(&mut c, SELECT);
    assert!(r.ends_with("9000"), "{r}");
    assert_eq!(tx(&mut c, "00B0960006"), "1234567890129000");
}

#[test]
fn cryptograms_equal_the_soft_cryptogram_for_every_algorithm_and_chain_length() {
    let mut c = psam();
    for (alg, version) in [(Algorithm::Tdes, 0x01), (Algorithm::Sm4, 0x03)] {
        for levels in 0..=3 {
            let factors = &[F1, F2, F3][..levels];
            for (name, usage) in [("issuer", 0x20), ("irk", 0x21), ("write", 0x26)] {
                let card_key = chain(factors).apply(&master(name, alg)).unwrap();
                let want = auth_cryptogram(&card_key, &CHALLENGE).unwrap();
                ok(&mut c, &init_apdu(usage, version, factors));
                let mut block = CHALLENGE.to_vec();
                block.resize(alg.block_len(), 0);
                let got = ok(&mut c, &encrypt_apdu(&block));
                assert_eq!(got, hex(&want), "{name} {alg:?} {levels} levels");
            }
        }
    }
}

#[test]
fn macs_equal_the_soft_mac_for_every_algorithm_and_chain_length() {
    let mut c = psam();
    // A RESET RETRY COUNTER with MAC as the session layer assembles it.
    let message = [0x04, 0x2C, 0x00, 0x00, 0x07, 0x12, 0x34, 0x56];
    for (alg, version) in [(Algorithm::Tdes, 0x01), (Algorithm::Sm4, 0x03)] {
        for levels in 0..=3 {
            let factors = &[F1, F2, F3][..levels];
            for (name, usage) in [("puk", 0x23), ("stk", 0x22), ("admin", 0x28)] {
                let card_key = chain(factors).apply(&master(name, alg)).unwrap();
                let want = mac(&card_key, &CHALLENGE, &message).unwrap();
                ok(&mut c, &init_apdu(usage, version, factors));
                let got = ok(&mut c, &mac_apdu(alg.block_len(), &CHALLENGE, &message));
                assert_eq!(got, hex(&want), "{name} {alg:?} {levels} levels");
            }
        }
    }
    // A message longer than one block (several CBC rounds).
    let long: Vec<u8> = (0u8..40).collect();
    let card_key = chain(&[F1, F2])
        .apply(&master("puk", Algorithm::Tdes))
        .unwrap();
    ok(&mut c, &init_apdu(0x23, 0x01, &[F1, F2]));
    assert_eq!(
        ok(&mut c, &mac_apdu(8, &CHALLENGE, &long)),
        hex(&mac(&card_key, &CHALLENGE, &long).unwrap())
    );
}

#[test]
fn t0_answers_data_with_61xx_and_get_response() {
    let mut c = psam();
    c.set_t0(true);
    c.power_on().unwrap();
    assert!(
        sw(&mut c, SELECT).starts_with("61"),
        "FCI announced with 61xx"
    );
    assert_eq!(tx(&mut c, "00B0960006"), "1234567890129000");
    ok(&mut c, &init_apdu(0x20, 0x03, &[F1]));
    let mut block = CHALLENGE.to_vec();
    block.resize(16, 0);
    assert_eq!(tx(&mut c, &encrypt_apdu(&block)), "6110");
    let card_key = chain(&[F1])
        .apply(&master("issuer", Algorithm::Sm4))
        .unwrap();
    let want = auth_cryptogram(&card_key, &CHALLENGE).unwrap();
    assert_eq!(tx(&mut c, "00C0000010"), format!("{}9000", hex(&want)));
}

#[test]
fn compute_needs_a_prior_init_and_serves_one_computation_only() {
    let mut c = psam();
    let block = hex(&CHALLENGE);
    assert_eq!(
        sw(&mut c, &format!("80FA000008{block}00")),
        "6985",
        "no 80 1A"
    );
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    ok(&mut c, &format!("80FA000008{block}00"));
    assert_eq!(
        sw(&mut c, &format!("80FA000008{block}00")),
        "6985",
        "the derived key serves one 80 FA"
    );
    // Lost on reset, on a change of DF, and on a failed init.
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    c.power_on().unwrap();
    tx(&mut c, SELECT);
    assert_eq!(sw(&mut c, &format!("80FA000008{block}00")), "6985", "reset");
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    ok(&mut c, "00A4000C023F00");
    assert_eq!(
        sw(&mut c, &format!("80FA000008{block}00")),
        "6985",
        "DF change"
    );
    tx(&mut c, SELECT);
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    assert_eq!(sw(&mut c, &init_apdu(0x29, 0x01, &[F1])), "6A88");
    assert_eq!(
        sw(&mut c, &format!("80FA000008{block}00")),
        "6985",
        "failed init"
    );
}

#[test]
fn init_refuses_unknown_keys_ssf33_and_bad_factor_lengths() {
    let mut c = psam();
    assert_eq!(
        sw(&mut c, &init_apdu(0x29, 0x01, &[F1])),
        "6A88",
        "usage 29"
    );
    assert_eq!(
        sw(&mut c, &init_apdu(0x00, 0x01, &[F1])),
        "6A88",
        "usage 00"
    );
    assert_eq!(sw(&mut c, &init_apdu(0x20, 0x02, &[F1])), "6A88", "SSF33");
    assert_eq!(
        sw(&mut c, &init_apdu(0x20, 0x04, &[F1])),
        "6A88",
        "version 04"
    );
    assert_eq!(sw(&mut c, "801A200107 01020304050607"), "6700", "7 bytes");
    assert_eq!(
        sw(&mut c, "801A200109 010203040506070809"),
        "6700",
        "9 bytes"
    );
    assert_eq!(
        sw(&mut c, &init_apdu(0x20, 0x01, &[F1, F2, F3, F1])),
        "6700",
        "four levels"
    );
    // A PSAM loaded with 3DES keys only has no SM4 (version 03) key.
    let tdes_only = PsamSetup {
        keys: setup(None)
            .keys
            .into_iter()
            .filter(|k| k.key.alg == Algorithm::Tdes)
            .collect(),
        ..setup(None)
    };
    let mut t = VirtualCard::new_psam(&tdes_only).unwrap();
    t.power_on().unwrap();
    tx(&mut t, SELECT);
    assert_eq!(sw(&mut t, &init_apdu(0x20, 0x03, &[F1])), "6A88");
    ok(&mut t, &init_apdu(0x20, 0x01, &[F1]));
}

#[test]
fn compute_refuses_a_mac_with_an_encrypt_only_key_and_malformed_data() {
    let mut c = psam();
    ok(&mut c, &init_apdu(0x21, 0x01, &[F1]));
    assert_eq!(
        sw(&mut c, &mac_apdu(8, &CHALLENGE, &[1, 2, 3])),
        "6985",
        "irk is encrypt-only"
    );
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    assert_eq!(
        sw(&mut c, "80FA00000701020304050607 00"),
        "6700",
        "not blocks"
    );
    ok(&mut c, &init_apdu(0x20, 0x03, &[F1]));
    assert_eq!(
        sw(&mut c, &format!("80FA000008{}00", hex(&CHALLENGE))),
        "6700",
        "8 bytes is not an SM4 block"
    );
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    assert_eq!(
        sw(&mut c, &format!("80FA050008{}00", hex(&CHALLENGE))),
        "6700",
        "an IV and no data"
    );
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    assert_eq!(sw(&mut c, "80FA0100080102030405060708 00"), "6A86", "P1 01");
    assert_eq!(sw(&mut c, "80FA0001080102030405060708 00"), "6A86", "P2 01");
}

#[test]
fn init_needs_the_psam_application_selected() {
    let mut c = VirtualCard::new_psam(&setup(None)).unwrap();
    c.power_on().unwrap();
    assert_eq!(sw(&mut c, &init_apdu(0x20, 0x01, &[F1])), "6985");
}

#[test]
fn keys_are_never_readable_and_nothing_can_be_written_or_created() {
    let mut c = psam();
    ok(&mut c, "00A4000C020000");
    assert_eq!(
        sw(&mut c, "00B0000000"),
        "6982",
        "READ BINARY of the key file"
    );
    assert_eq!(sw(&mut c, "00D6000001AA"), "6982", "UPDATE of the key file");
    ok(&mut c, "00A4000C020016");
    assert_eq!(
        sw(&mut c, "00D6000001AA"),
        "6982",
        "UPDATE of the terminal number"
    );
    assert_eq!(sw(&mut c, "00E40000"), "6982", "DELETE FILE");
    let fcp = sscard::tlv::Fcp::transparent(0x0005, 8);
    assert_eq!(sim_util::create(&mut c, &fcp), "6982", "CREATE FILE");
    // The card's key commands find nothing to read or use.
    assert_eq!(
        sw(&mut c, "0084000008"),
        "9000",
        "GET CHALLENGE is harmless"
    );
    assert_ne!(sw(&mut c, "0082000008 0102030405060708"), "9000");
    // No answer anywhere contains a key's bytes.
    let kf = key_file();
    let mut answers = String::new();
    for apdu in [
        SELECT,
        "00B0960006",
        "00A4000C020000",
        "00B0000000",
        "00B2010400",
    ] {
        answers.push_str(&tx(&mut c, apdu));
    }
    for (_, k) in kf.masters() {
        assert!(!answers.contains(&hex(&k.bytes)), "a key leaked");
    }
}

#[test]
fn the_psam_pin_guards_init_and_blocks_after_three_wrong_tries() {
    let mut c = VirtualCard::new_psam(&setup(Some("123456"))).unwrap();
    c.power_on().unwrap();
    tx(&mut c, SELECT);
    assert_eq!(
        sw(&mut c, &init_apdu(0x20, 0x01, &[F1])),
        "6982",
        "PIN first"
    );
    assert_eq!(sw(&mut c, "0020000003 123457"), "63C2");
    ok(&mut c, "0020000003 123456");
    ok(&mut c, &init_apdu(0x20, 0x01, &[F1]));
    ok(&mut c, &format!("80FA000008{}00", hex(&CHALLENGE)));
    // Verified lasts until reset.
    c.power_on().unwrap();
    tx(&mut c, SELECT);
    assert_eq!(sw(&mut c, &init_apdu(0x20, 0x01, &[F1])), "6982");
    for left in ["63C2", "63C1", "6983"] {
        assert_eq!(sw(&mut c, "0020000003 999999"), left);
    }
    assert_eq!(sw(&mut c, "0020000003 123456"), "6983", "blocked");
    assert_eq!(sw(&mut c, &init_apdu(0x20, 0x01, &[F1])), "6982");
}

#[test]
fn a_psam_without_pin_has_none_to_verify() {
    let mut c = psam();
    assert_eq!(sw(&mut c, "0020000003 123456"), "6A88");
}

#[test]
fn an_ordinary_card_does_not_answer_psam_commands() {
    let mut c = VirtualCard::blank();
    c.power_on().unwrap();
    assert_eq!(sw(&mut c, &init_apdu(0x20, 0x01, &[F1])), "6D00");
    assert_eq!(sw(&mut c, "80FA0000080102030405060708 00"), "6D00");
}

#[test]
fn the_image_keeps_the_psam_and_its_pin_counter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("psam.json");
    let mut c = VirtualCard::new_psam(&setup(Some("1234"))).unwrap();
    c.power_on().unwrap();
    tx(&mut c, SELECT);
    assert_eq!(sw(&mut c, "0020000002 1235"), "63C2");
    c.save(&path).unwrap();
    let mut back = VirtualCard::load(&path).unwrap();
    assert!(back.is_psam());
    assert_eq!(back.psam_keys().unwrap().keys.len(), 18);
    back.power_on().unwrap();
    tx(&mut back, SELECT);
    assert_eq!(sw(&mut back, "0020000002 1235"), "63C1", "counter kept");
    ok(&mut back, "0020000002 1234");
    ok(&mut back, &init_apdu(0x28, 0x03, &[F1, F2]));
}

#[test]
fn loading_keys_replaces_the_same_usage_and_version() {
    let mut c = VirtualCard::new_psam(&setup(None)).unwrap();
    let other = KeyFile::parse(
        "[keys.issuer]\n3des = \"00112233445566778899AABBCCDDEEFF\"\n",
        Path::new("other.toml"),
    )
    .unwrap();
    let n = c.load_psam_keys(&keys_from_file(&other).unwrap()).unwrap();
    assert_eq!(n, 18, "replaced, not added");
    c.power_on().unwrap();
    tx(&mut c, SELECT);
    ok(&mut c, &init_apdu(0x20, 0x01, &[]));
    let k = Key::from_hex(Algorithm::Tdes, "00112233445566778899AABBCCDDEEFF").unwrap();
    assert_eq!(
        ok(&mut c, &format!("80FA000008{}00", hex(&CHALLENGE))),
        hex(&auth_cryptogram(&k, &CHALLENGE).unwrap())
    );
    let mut card = VirtualCard::blank();
    assert!(card.load_psam_keys(&[]).is_err(), "not a PSAM");
}

#[test]
fn a_key_name_without_a_usage_is_named_with_its_file() {
    let kf = KeyFile::parse(
        "[keys.mystery]\nsm4 = \"00112233445566778899AABBCCDDEEFF\"\n",
        Path::new("station-keys.toml"),
    )
    .unwrap();
    let e = keys_from_file(&kf).unwrap_err().to_string();
    assert!(
        e.contains("'mystery'") && e.contains("station-keys.toml"),
        "{e}"
    );
    assert!(e.contains("issuer, irk, stk"), "lists the known names: {e}");
    assert!(!e.contains("00112233"), "no key bytes: {e}");
    let empty = KeyFile::parse("", Path::new("empty.toml")).unwrap();
    assert!(keys_from_file(&empty).is_err());
}

#[test]
fn terminal_numbers_and_pins_are_checked() {
    let bad = PsamSetup {
        terminal_no: "12345".into(),
        ..setup(None)
    };
    let e = VirtualCard::new_psam(&bad).unwrap_err().to_string();
    assert!(
        e.contains("\"12345\"") && e.contains("12 decimal digits"),
        "{e}"
    );
    let e = VirtualCard::new_psam(&setup(Some("12a4")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("SSCARD_PSAM_PIN") && !e.contains("12a4"), "{e}");
}
