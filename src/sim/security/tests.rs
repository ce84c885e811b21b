//! The virtual card's security, driven through `VirtualCard::process` as a host would.

use super::*;
use crate::apdu::parse_hex;
use crate::crypto::{Algorithm, Key, Secret, auth_cryptogram, encrypt_zero_padded, sm_command};
use crate::sim::CardState;
use crate::sim::fs::{Fid, FileStructure, Hex, Lcs, Node};

const PIN: [u8; 3] = [0x12, 0x34, 0x56];

fn key(alg: Algorithm, b: u8) -> Key {
    Key::new(alg, [b; 16])
}

fn entry(id: u8, usage: KeyUsage, k: Key, max: u8) -> KeyEntry {
    KeyEntry {
        id,
        usage,
        key: k,
        tries: Tries::full(max),
    }
}

/// MF (activated, create needs external authentication with test key 00) holding DF01
/// "SSSE" with PIN 00 = 123456 (3 tries), keys 04 (ext auth, 3DES, 3 tries), 05 (maintenance,
/// 3DES), 06 (PIN unblock, SM4), 07 (internal auth, SM4), 08 (ext auth, SM4, unlimited); EF05
/// read needs the PIN, update key 04; EF06 read always, update a MAC by key 05.
fn card() -> VirtualCard {
    let mut state = CardState::blank();
    state.mf.lcs = Lcs::Activated;
    state.mf.access = Hex(vec![0x00, 0x00, 0x20, 0xFF, 0x00, 0x00]);
    let mut df = Node::df(Some(Fid(0xDF01)), Some(b"SSSE".to_vec()));
    df.access = Hex(vec![0x00, 0x00, 0x24, 0xFF, 0x35, 0x35]);
    df.keys.put_pin(PinEntry {
        reference: 0,
        value: Secret::new(PIN.to_vec()),
        tries: Tries::full(3),
    });
    let ks = &mut df.keys;
    ks.put_key(entry(
        4,
        KeyUsage::ExternalAuth,
        key(Algorithm::Tdes, 0x44),
        3,
    ));
    ks.put_key(entry(
        5,
        KeyUsage::Maintenance,
        key(Algorithm::Tdes, 0x55),
        0,
    ));
    ks.put_key(entry(6, KeyUsage::PinUnblock, key(Algorithm::Sm4, 0x66), 0));
    ks.put_key(entry(
        7,
        KeyUsage::InternalAuth,
        key(Algorithm::Sm4, 0x77),
        0,
    ));
    ks.put_key(entry(
        8,
        KeyUsage::ExternalAuth,
        key(Algorithm::Sm4, 0x88),
        0,
    ));
    let mut ef5 = Node::ef(FileStructure::Transparent, Fid(0x0005), 4, 0);
    ef5.access = Hex(vec![0x10, 0x24, 0x00, 0xFF, 0x00, 0x00]);
    let mut ef6 = Node::ef(FileStructure::Transparent, Fid(0x0006), 4, 0);
    ef6.access = Hex(vec![0x00, 0x35, 0x00, 0xFF, 0x00, 0x00]);
    df.children = vec![ef5, ef6];
    state.mf.children.push(df);
    let mut c = VirtualCard::from_state(state);
    c.set_challenge_seed(Some(7));
    assert!(c.power_on().is_some());
    c
}

/// Sends an APDU; returns (data, SW).
fn tx(c: &mut VirtualCard, apdu: &[u8]) -> (Vec<u8>, u16) {
    let mut r = c.process(apdu).expect("the card answers");
    assert!(r.len() >= 2, "response too short");
    let sw = r.split_off(r.len() - 2);
    (r, u16::from_be_bytes([sw[0], sw[1]]))
}

fn sw(c: &mut VirtualCard, hex: &str) -> u16 {
    tx(c, &parse_hex(hex).unwrap()).1
}

fn challenge(c: &mut VirtualCard) -> Vec<u8> {
    let (d, s) = tx(c, &parse_hex("0084000008").unwrap());
    assert_eq!(s, 0x9000);
    assert_eq!(d.len(), 8);
    d
}

fn select_df(c: &mut VirtualCard) {
    assert_eq!(sw(c, "00A4000C02DF01"), 0x9000);
}

fn select_ef(c: &mut VirtualCard, fid: &str) {
    assert_eq!(sw(c, &format!("00A4020C02{fid}")), 0x9000);
}

fn ext_auth(c: &mut VirtualCard, id: u8, k: &Key) -> u16 {
    let ch = challenge(c);
    let crypt = auth_cryptogram(k, &ch).unwrap();
    let mut apdu = vec![0x00, 0x82, 0x00, id, crypt.len() as u8];
    apdu.extend_from_slice(&crypt);
    tx(c, &apdu).1
}

fn with_mac(c: &mut VirtualCard, k: &Key, header: [u8; 4], data: &[u8]) -> u16 {
    let ch = challenge(c);
    let apdu = sm_command(k, &ch, header, data).unwrap();
    tx(c, &apdu).1
}

#[test]
fn pin_counter_63c2_63c1_6983_and_verify_without_data_spends_nothing() {
    let mut c = card();
    select_df(&mut c);
    select_ef(&mut c, "0005");
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    assert_eq!(sw(&mut c, "00200000"), 0x63C3);
    assert_eq!(sw(&mut c, "0020000003999999"), 0x63C2);
    assert_eq!(sw(&mut c, "00200000"), 0x63C2);
    assert_eq!(sw(&mut c, "0020000003999999"), 0x63C1);
    assert_eq!(sw(&mut c, "0020000003999999"), 0x6983);
    assert_eq!(
        sw(&mut c, "0020000003123456"),
        0x6983,
        "blocked even with the right PIN"
    );
    assert_eq!(sw(&mut c, "00200000"), 0x6983);
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    assert_eq!(
        sw(&mut c, "0020000103123456"),
        0x6A88,
        "unknown PIN reference"
    );
}

#[test]
fn right_pin_opens_read_and_refills_counter() {
    let mut c = card();
    select_df(&mut c);
    select_ef(&mut c, "0005");
    assert_eq!(sw(&mut c, "0020000003999999"), 0x63C2);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x9000);
    assert_eq!(sw(&mut c, "00200000"), 0x9000, "already verified");
    assert_eq!(
        tx(&mut c, &parse_hex("00B0000004").unwrap()),
        (vec![0; 4], 0x9000)
    );
    assert_eq!(
        sw(&mut c, "0020FF00"),
        0x9000,
        "P1=FF forgets the verification"
    );
    assert_eq!(
        sw(&mut c, "00200000"),
        0x63C3,
        "counter refilled by the success"
    );
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
}

#[test]
fn security_state_lost_on_df_change_and_reset() {
    let mut c = card();
    select_df(&mut c);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x9000);
    assert_eq!(sw(&mut c, "00A4000C023F00"), 0x9000);
    select_df(&mut c);
    select_ef(&mut c, "0005");
    assert_eq!(
        sw(&mut c, "00B0000004"),
        0x6982,
        "lost on SELECT of another DF"
    );

    assert_eq!(sw(&mut c, "0020000003123456"), 0x9000);
    assert_eq!(sw(&mut c, "00B0000004"), 0x9000);
    c.power_off();
    assert!(c.power_on().is_some());
    select_df(&mut c);
    select_ef(&mut c, "0005");
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982, "lost on reset");

    // A pending challenge is lost too.
    challenge(&mut c);
    assert_eq!(sw(&mut c, "00A4000C023F00"), 0x9000);
    select_df(&mut c);
    assert_eq!(sw(&mut c, "0082000408 0000000000000000"), 0x6984);
}

#[test]
fn external_authentication_opens_update_and_counts_failures() {
    let mut c = card();
    select_df(&mut c);
    select_ef(&mut c, "0005");
    assert_eq!(sw(&mut c, "00D6000004 01020304"), 0x6982);
    assert_eq!(
        sw(&mut c, "0082000408 0000000000000000"),
        0x6984,
        "no challenge"
    );
    assert_eq!(ext_auth(&mut c, 0x0E, &key(Algorithm::Tdes, 0x44)), 0x6A88);
    assert_eq!(ext_auth(&mut c, 4, &key(Algorithm::Tdes, 0x44)), 0x9000);
    assert_eq!(sw(&mut c, "00D6000004 01020304"), 0x9000);

    // 0x45 would differ from 0x44 only in DES parity bits, i.e. be the same key.
    let wrong = key(Algorithm::Tdes, 0x46);
    assert_eq!(ext_auth(&mut c, 4, &wrong), 0x63C2);
    assert_eq!(
        sw(&mut c, "00D6000004 01020304"),
        0x6982,
        "a failure ends the proof"
    );
    assert_eq!(ext_auth(&mut c, 4, &wrong), 0x63C1);
    assert_eq!(ext_auth(&mut c, 4, &wrong), 0x6983);
    assert_eq!(ext_auth(&mut c, 4, &key(Algorithm::Tdes, 0x44)), 0x6983);
    challenge(&mut c);
    assert_eq!(sw(&mut c, "0082000408 0000000000000000"), 0x6983);
}

#[test]
fn sm4_and_unlimited_keys() {
    let mut c = card();
    select_df(&mut c);
    assert_eq!(ext_auth(&mut c, 8, &key(Algorithm::Sm4, 0x88)), 0x9000);
    assert_eq!(ext_auth(&mut c, 8, &key(Algorithm::Sm4, 0x89)), 0x6300);
    assert_eq!(ext_auth(&mut c, 8, &key(Algorithm::Sm4, 0x88)), 0x9000);
    challenge(&mut c);
    assert_eq!(
        sw(&mut c, "0082000808 0000000000000000"),
        0x6700,
        "SM4 needs 16 bytes"
    );
    // A key of another role cannot authenticate.
    assert_eq!(ext_auth(&mut c, 5, &key(Algorithm::Tdes, 0x55)), 0x6985);
}

#[test]
fn internal_authenticate() {
    let mut c = card();
    select_df(&mut c);
    let (d, s) = tx(
        &mut c,
        &parse_hex("0088000708 0102030405060708 00").unwrap(),
    );
    assert_eq!(s, 0x9000);
    let expect = encrypt_zero_padded(&key(Algorithm::Sm4, 0x77), &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(d, expect.unwrap());
    assert_eq!(sw(&mut c, "0088000408 0102030405060708 00"), 0x6985);
    assert_eq!(sw(&mut c, "0088001F08 0102030405060708 00"), 0x6A88);
}

#[test]
fn mac_protected_update() {
    let mut c = card();
    select_df(&mut c);
    select_ef(&mut c, "0006");
    let k5 = key(Algorithm::Tdes, 0x55);
    assert_eq!(sw(&mut c, "00D6000004 0A0B0C0D"), 0x6982, "no MAC");
    assert_eq!(
        sw(&mut c, "04D6000008 0A0B0C0D 01020304"),
        0x6984,
        "no challenge"
    );
    challenge(&mut c);
    assert_eq!(
        sw(&mut c, "04D6000008 0A0B0C0D 01020304"),
        0x6988,
        "wrong MAC"
    );
    assert_eq!(
        with_mac(
            &mut c,
            &key(Algorithm::Tdes, 0x44),
            [0, 0xD6, 0, 0],
            &[9; 4]
        ),
        0x6982,
        "a MAC by key 04 does not satisfy 35"
    );
    assert_eq!(
        with_mac(&mut c, &k5, [0, 0xD6, 0, 0], &[0x0A, 0x0B, 0x0C, 0x0D]),
        0x9000
    );
    assert_eq!(
        tx(&mut c, &parse_hex("00B0000004").unwrap()),
        (vec![0x0A, 0x0B, 0x0C, 0x0D], 0x9000)
    );
    // The challenge is used once.
    let ch = challenge(&mut c);
    let apdu = sm_command(&k5, &ch, [0, 0xD6, 0, 0], &[1; 4]).unwrap();
    assert_eq!(tx(&mut c, &apdu).1, 0x9000);
    assert_eq!(tx(&mut c, &apdu).1, 0x6984, "replay");
    assert_eq!(
        sw(&mut c, "0CD6000004 0A0B0C0D"),
        0x6882,
        "ISO SM objects not supported"
    );
}

#[test]
fn change_reference_data() {
    let mut c = card();
    select_df(&mut c);
    assert_eq!(
        sw(&mut c, "0024000006 999999 654321"),
        0x63C2,
        "wrong old PIN counts"
    );
    assert_eq!(
        sw(&mut c, "0024000004 123456 65"),
        0x6700,
        "new PIN too short"
    );
    assert_eq!(sw(&mut c, "0024000006 123456 654321"), 0x9000);
    assert_eq!(sw(&mut c, "00200000"), 0x9000, "verified by the change");
    assert_eq!(sw(&mut c, "0020000003123456"), 0x63C2);
    assert_eq!(sw(&mut c, "0020000003654321"), 0x9000);
    assert_eq!(
        sw(&mut c, "0024000007 654321 1234567F"),
        0x9000,
        "length may change"
    );
    assert_eq!(sw(&mut c, "00200000041234567F"), 0x9000);
}

#[test]
fn reset_retry_counter_needs_the_unblock_key_mac() {
    let mut c = card();
    select_df(&mut c);
    for _ in 0..3 {
        sw(&mut c, "0020000003999999");
    }
    assert_eq!(sw(&mut c, "00200000"), 0x6983);
    assert_eq!(sw(&mut c, "002C000002 1111"), 0x6982, "no MAC");
    let maint = key(Algorithm::Tdes, 0x55);
    assert_eq!(
        with_mac(&mut c, &maint, [0, 0x2C, 0, 0], &[0x11, 0x11]),
        0x6982
    );
    let puk = key(Algorithm::Sm4, 0x66);
    assert_eq!(with_mac(&mut c, &puk, [0, 0x2C, 0, 0], &[0x11]), 0x6700);
    assert_eq!(
        with_mac(&mut c, &puk, [0, 0x2C, 0, 0], &[0x11, 0x11]),
        0x9000
    );
    assert_eq!(sw(&mut c, "00200000"), 0x63C3, "unblocked, not verified");
    assert_eq!(sw(&mut c, "00200000021111"), 0x9000);
    // P1 = 03: counter only.
    sw(&mut c, "00200000029999");
    assert_eq!(with_mac(&mut c, &puk, [0, 0x2C, 3, 0], &[]), 0x9000);
    assert_eq!(sw(&mut c, "00200000"), 0x63C3);
}

#[test]
fn write_key_under_the_create_condition() {
    let mut c = card();
    // MF create condition: 20 (external authentication with test key 00 = 11 x 16).
    assert_eq!(
        sw(&mut c, "80D4000913 010100 0123456789ABCDEFFEDCBA9876543210"),
        0x6982
    );
    assert_eq!(ext_auth(&mut c, 0, &key(Algorithm::Tdes, 0x11)), 0x9000);
    assert_eq!(
        sw(&mut c, "80D4000913 010100 0123456789ABCDEFFEDCBA9876543210"),
        0x9000
    );
    assert_eq!(sw(&mut c, "80D4000A06 100000 123456"), 0x9000, "PIN 0A");
    assert_eq!(
        sw(&mut c, "80D4000A06 100100 123456"),
        0x6A80,
        "PIN with an algorithm"
    );
    assert_eq!(
        sw(&mut c, "80D4000B13 090100 0123456789ABCDEFFEDCBA9876543210"),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "80D4000B13 010300 0123456789ABCDEFFEDCBA9876543210"),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "80D4000B12 010100 0123456789ABCDEFFEDCBA98765432"),
        0x6700
    );
    assert_eq!(
        sw(&mut c, "80D4002013 010100 0123456789ABCDEFFEDCBA9876543210"),
        0x6A86
    );
    assert_eq!(sw(&mut c, "80D4000B02 0101"), 0x6700);
    let k = Key::from_hex(Algorithm::Tdes, "0123456789ABCDEFFEDCBA9876543210").unwrap();
    assert_eq!(ext_auth(&mut c, 9, &k), 0x9000, "the loaded key works");
    assert_eq!(sw(&mut c, "0020000A"), 0x63C3, "the loaded PIN has 3 tries");
    let mf = c.node(&[]).unwrap();
    assert_eq!(
        mf.keys.key(9).map(|k| k.usage),
        Some(KeyUsage::ExternalAuth)
    );
}

#[test]
fn application_block_unblock_and_card_block() {
    let mut c = card();
    select_df(&mut c);
    let stk = key(Algorithm::Tdes, 0x55);
    assert_eq!(sw(&mut c, "801E0000"), 0x6982, "no MAC");
    assert_eq!(sw(&mut c, "841E0000"), 0x6984, "CLA 84 without a challenge");
    assert_eq!(
        with_mac(&mut c, &key(Algorithm::Tdes, 0x44), [0x84, 0x1E, 0, 0], &[]),
        0x6982
    );
    assert_eq!(with_mac(&mut c, &stk, [0x84, 0x1E, 0, 0], &[]), 0x9000);
    assert_eq!(sw(&mut c, "00A4000C023F00"), 0x9000);
    assert_eq!(sw(&mut c, "00A4000C02DF01"), 0x6283);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x6985);
    assert_eq!(with_mac(&mut c, &stk, [0x84, 0x18, 0, 0], &[]), 0x9000);
    assert_eq!(sw(&mut c, "00A4000C023F00"), 0x9000);
    select_df(&mut c);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x9000);

    assert_eq!(with_mac(&mut c, &stk, [0x84, 0x16, 0, 0], &[]), 0x9000);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x6A81, "card blocked");
    assert_eq!(c.node(&[]).map(|n| n.lcs), Some(Lcs::Terminated));
}

#[test]
fn challenges_are_seeded_or_random_and_le_is_checked() {
    let mut a = card();
    let mut b = card();
    assert_eq!(challenge(&mut a), challenge(&mut b));
    let (short, s) = tx(&mut a, &parse_hex("0084000004").unwrap());
    assert_eq!((short.len(), s), (4, 0x9000));
    assert_eq!(sw(&mut a, "0084000010"), 0x6C08);
    assert_eq!(sw(&mut a, "0084010008"), 0x6A86);
    a.set_challenge_seed(None);
    b.set_challenge_seed(None);
    assert_ne!(challenge(&mut a), challenge(&mut b));
}

#[test]
fn four_byte_challenge_is_padded_with_zeros() {
    let mut c = card();
    select_df(&mut c);
    let (ch4, _) = tx(&mut c, &parse_hex("0084000004").unwrap());
    let mut ch = ch4.clone();
    ch.extend_from_slice(&[0; 4]);
    let k = key(Algorithm::Tdes, 0x44);
    let mut apdu = vec![0x00, 0x82, 0x00, 0x04, 0x08];
    apdu.extend_from_slice(&auth_cryptogram(&k, &ch).unwrap());
    assert_eq!(tx(&mut c, &apdu).1, 0x9000);
}

#[test]
fn no_secret_in_debug_output() {
    let mut c = card();
    select_df(&mut c);
    sw(&mut c, "0020000003123456");
    let texts = [
        format!("{c:?}"),
        format!("{:?}", c.state()),
        format!("{:?}", c.node(&[0]).map(|n| &n.keys)),
        format!("{:?}", c.security),
    ];
    for t in texts {
        for secret in ["123456", "18, 52, 86", "4444", "68, 68", "5555", "0x44"] {
            assert!(!t.contains(secret), "{secret} in {t}");
        }
    }
}

#[test]
fn key_store_image_round_trip_and_errors() {
    let c = card();
    let ks = &c.node(&[0]).unwrap().keys;
    let json = serde_json::to_string(ks).unwrap();
    assert!(json.contains(r#""usage":"pin-unblock""#), "{json}");
    let back: KeyStore = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, ks);
    let bad = r#"{"keys":[{"id":1,"usage":"maintenance","alg":"sm4","value":"0011","max_tries":0,"tries_left":0}]}"#;
    let e = serde_json::from_str::<KeyStore>(bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("16 bytes"), "{e}");
    let pin_key = bad.replace("maintenance", "pin");
    let e = serde_json::from_str::<KeyStore>(&pin_key).unwrap_err();
    assert!(e.to_string().contains("is for PINs"), "{e}");
    let bad = bad.replace("0011", "0123456789ABCDEFFEDCBA98765432");
    let e = serde_json::from_str::<KeyStore>(&bad).unwrap_err();
    assert!(e.to_string().contains("15 bytes"), "{e}");
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(
            !text.contains("0123456789") && !text.contains("FEDCBA"),
            "{text}"
        );
    }
    let bad = r#"{"pins":[{"reference":0,"value":"123456","max_tries":3,"tries_left":4}]}"#;
    assert!(serde_json::from_str::<KeyStore>(bad).is_err());
    assert!(KeyStore::default().is_empty());
    assert!(!KeyStore::blank_mf().is_empty());
}

#[test]
fn mac_protected_update_record() {
    let mut c = card();
    let mut ef = Node::ef(FileStructure::LinearFixed, Fid(0x0007), 4, 2);
    ef.access = Hex(vec![0x00, 0x35, 0x00, 0xFF, 0x00, 0x00]);
    ef.records = vec![Hex(vec![0; 4]), Hex(vec![0; 4])];
    c.node_mut(&[0]).unwrap().children.push(ef);
    select_df(&mut c);
    select_ef(&mut c, "0007");
    assert_eq!(sw(&mut c, "00DC010404 01020304"), 0x6982);
    let k5 = key(Algorithm::Tdes, 0x55);
    assert_eq!(
        with_mac(&mut c, &k5, [0, 0xDC, 1, 4], &[1, 2, 3, 4]),
        0x9000
    );
    assert_eq!(
        tx(&mut c, &parse_hex("00B2010404").unwrap()),
        (vec![1, 2, 3, 4], 0x9000)
    );
}

#[test]
fn counters_survive_power_cycles_and_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    let mut c = card();
    select_df(&mut c);
    assert_eq!(sw(&mut c, "0020000003999999"), 0x63C2);
    assert_eq!(ext_auth(&mut c, 4, &key(Algorithm::Tdes, 0x46)), 0x63C2);
    c.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"tries_left\": 2"), "{text}");

    let mut c = VirtualCard::load(&path).unwrap();
    c.set_challenge_seed(Some(1));
    assert!(c.power_on().is_some());
    select_df(&mut c);
    assert_eq!(sw(&mut c, "00200000"), 0x63C2, "PIN counter kept");
    assert_eq!(ext_auth(&mut c, 4, &key(Algorithm::Tdes, 0x46)), 0x63C1);
    assert_eq!(ext_auth(&mut c, 4, &key(Algorithm::Tdes, 0x44)), 0x9000);
    assert_eq!(sw(&mut c, "0020000003123456"), 0x9000);
}

#[test]
fn blank_card_has_the_documented_test_keys() {
    let json = serde_json::to_string(&CardState::blank()).unwrap();
    for (id, usage, byte) in [
        (0, "external-auth", "11"),
        (1, "maintenance", "22"),
        (2, "internal-auth", "33"),
    ] {
        let want = format!(
            r#"{{"id":{id},"usage":"{usage}","alg":"tdes","value":"{}","max_tries":0,"tries_left":0}}"#,
            byte.repeat(16)
        );
        assert!(json.contains(&want), "{want} not in {json}");
    }
    // And they work: EXTERNAL AUTHENTICATE with key 00 on a blank card.
    let mut c = VirtualCard::blank();
    c.set_challenge_seed(Some(3));
    assert!(c.power_on().is_some());
    assert_eq!(ext_auth(&mut c, 0, &key(Algorithm::Tdes, 0x11)), 0x9000);
}

#[test]
fn malformed_security_commands_get_a_status_word_never_a_panic() {
    let mut c = card();
    select_df(&mut c);
    let mut answers = 0usize;
    for ins in [0x84u8, 0x82, 0x88, 0x20, 0x24, 0x2C, 0xD4, 0x1E, 0x18, 0x16] {
        for cla in [0x00u8, 0x04, 0x80, 0x84, 0x0C] {
            for (p1, p2) in [(0u8, 0u8), (0, 4), (0xFF, 0x1F), (3, 0x80)] {
                for len in [0usize, 1, 3, 4, 8, 12, 16, 19, 20, 255] {
                    if cla & 0x04 != 0 {
                        challenge(&mut c);
                    }
                    let mut apdu = vec![cla, ins, p1, p2];
                    if len > 0 {
                        apdu.push(len as u8);
                        apdu.extend((0..len).map(|i| i as u8 ^ ins));
                    }
                    let r = c.process(&apdu).expect("an answer");
                    assert!(r.len() >= 2);
                    answers += 1;
                }
            }
        }
    }
    assert_eq!(answers, 10 * 5 * 4 * 10);
}
