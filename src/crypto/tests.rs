//! Known-answer tests. Published vectors where they exist (FIPS 81 DES, NIST SP 800-20 TDES,
//! GB/T 32907-2016 SM4); the composite values (cryptogram, MAC, diversification) were computed
//! independently with OpenSSL 3 (`openssl enc`, commands in docs/crypto.md).

use super::*;

fn h(s: &str) -> Vec<u8> {
    parse_hex(s).unwrap()
}

const K: &str = "0123456789ABCDEF FEDCBA9876543210";
const CHALLENGE: &str = "11 22 33 44 55 66 77 88";

#[test]
fn des_fips81_vector_through_two_key_tdes_with_equal_halves() {
    // FIPS 81 example: DES(0123456789ABCDEF, "Now is t") = 3FA40E8A984D4815.
    // Two-key EDE with K1 = K2 is single DES.
    let k = Key::from_hex(Algorithm::Tdes, "0123456789ABCDEF0123456789ABCDEF").unwrap();
    assert_eq!(
        k.encrypt_ecb(&h("4E6F772069732074")).unwrap(),
        h("3FA40E8A984D4815")
    );
    assert_eq!(
        k.decrypt_ecb(&h("3FA40E8A984D4815")).unwrap(),
        h("4E6F772069732074")
    );
}

#[test]
fn tdes_nist_sp800_20_variable_plaintext_vector() {
    // SP 800-20 Table A.1, round 1: keys 0101..01, plaintext 8000000000000000.
    let k = Key::new(Algorithm::Tdes, [0x01; 16]);
    assert_eq!(
        k.encrypt_ecb(&h("8000000000000000")).unwrap(),
        h("95F8A5E5DD31D900")
    );
}

#[test]
fn tdes_two_key_distinct_halves_round_trip() {
    let k = Key::from_hex(Algorithm::Tdes, K).unwrap();
    let c = k.encrypt_ecb(&h("4E6F772069732074")).unwrap();
    assert_eq!(c, h("D80A0D8B2BAE5E4E"));
    assert_eq!(k.decrypt_ecb(&c).unwrap(), h("4E6F772069732074"));
}

#[test]
fn sm4_gbt32907_vector() {
    let k = Key::from_hex(Algorithm::Sm4, K).unwrap();
    let c = k.encrypt_ecb(&h(K)).unwrap();
    assert_eq!(c, h("681EDF34D206965E86B3E94F536E4246"));
    assert_eq!(k.decrypt_ecb(&c).unwrap(), h(K));
}

#[test]
fn ecb_refuses_partial_blocks() {
    let k = Key::from_hex(Algorithm::Sm4, K).unwrap();
    assert_eq!(
        k.encrypt_ecb(&[0; 8]),
        Err(CryptoError::Length {
            what: "ECB data (a whole number of blocks)",
            expected: 16,
            found: 8
        })
    );
    assert!(k.encrypt_ecb(&[]).is_err());
}

#[test]
fn padding_method2() {
    assert_eq!(pad_method2(&[1, 2, 3], 8), h("0102038000000000"));
    assert_eq!(pad_method2(&[0; 8], 8).len(), 16);
    assert_eq!(pad_method2(&[], 16), h("80000000000000000000000000000000"));
    assert_eq!(unpad_method2(&h("0102038000000000")).unwrap(), &[1, 2, 3]);
    assert_eq!(unpad_method2(&h("0102030000")), Err(CryptoError::Padding));
    assert_eq!(unpad_method2(&[]), Err(CryptoError::Padding));
}

#[test]
fn cryptograms() {
    let t = Key::from_hex(Algorithm::Tdes, K).unwrap();
    let s = Key::from_hex(Algorithm::Sm4, K).unwrap();
    let ch = h(CHALLENGE);
    assert_eq!(auth_cryptogram(&t, &ch).unwrap(), h("3EB3B72576BBBE83"));
    assert_eq!(
        auth_cryptogram(&s, &ch).unwrap(),
        h("EDC7AC8587C62318A01DCD93A63DB384")
    );
    assert!(check_cryptogram(&t, &ch, &h("3EB3B72576BBBE83")));
    assert!(!check_cryptogram(&t, &ch, &h("3EB3B72576BBBE84")));
    assert!(!check_cryptogram(&s, &ch, &h("EDC7AC8587C62318")));
    assert!(auth_cryptogram(&t, &ch[..4]).is_err());
}

#[test]
fn macs() {
    let t = Key::from_hex(Algorithm::Tdes, K).unwrap();
    let s = Key::from_hex(Algorithm::Sm4, K).unwrap();
    let ch = h(CHALLENGE);
    let input = sm_mac_input(0x00, 0xD6, 0x82, 0x00, &h("0102030405")).unwrap();
    assert_eq!(input, h("04D68200090102030405"));
    assert_eq!(mac(&t, &ch, &input).unwrap(), [0x87, 0x57, 0x78, 0x9D]);
    assert_eq!(mac(&s, &ch, &input).unwrap(), [0x58, 0xCC, 0xF0, 0x93]);

    let apdu = sm_command(&t, &ch, [0x00, 0xD6, 0x82, 0x00], &h("0102030405")).unwrap();
    assert_eq!(apdu, h("04D68200090102030405 8757789D"));
    let body = apdu.get(5..).unwrap();
    assert_eq!(
        verify_sm_command(&t, &ch, [0x04, 0xD6, 0x82, 0x00], body),
        Some(&h("0102030405")[..])
    );
    let mut bad = body.to_vec();
    if let Some(last) = bad.last_mut() {
        *last ^= 1;
    }
    assert_eq!(
        verify_sm_command(&t, &ch, [0x04, 0xD6, 0x82, 0x00], &bad),
        None
    );
    assert_eq!(
        verify_sm_command(&t, &ch, [0x04, 0xD6, 0x82, 0x00], &[1, 2]),
        None
    );
    assert_eq!(
        sm_mac_input(0, 0xD6, 0, 0, &[0; 252]),
        Err(CryptoError::TooLongForMac { found: 252 })
    );
}

#[test]
fn diversification() {
    let f = [1, 2, 3, 4, 5, 6, 7, 8];
    let t = Key::from_hex(Algorithm::Tdes, K).unwrap();
    let s = Key::from_hex(Algorithm::Sm4, K).unwrap();
    let dt = diversify(&t, &f).unwrap();
    assert_eq!(dt.alg, Algorithm::Tdes);
    assert_eq!(dt.bytes.to_vec(), h("A85CEB8CDADFF80836B1D1C24CE030D7"));
    let ds = diversify(&s, &f).unwrap();
    assert_eq!(ds.alg, Algorithm::Sm4);
    assert_eq!(ds.bytes.to_vec(), h("5F28A855492341D8BFE0F414481990E1"));
}

#[test]
fn key_parsing_errors_are_clear_and_secret_free() {
    let e = Key::from_hex(Algorithm::Tdes, "0123").unwrap_err();
    assert_eq!(
        e,
        CryptoError::KeyLength {
            alg: Algorithm::Tdes,
            found: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "a 3DES key is 16 bytes (32 hex digits), this one has 2 bytes"
    );
    let e = Key::from_hex(Algorithm::Sm4, "01 23 4X").unwrap_err();
    assert!(matches!(e, CryptoError::KeyHex { .. }), "{e:?}");
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!("SM4".parse::<Algorithm>(), Ok(Algorithm::Sm4));
    assert_eq!("3des".parse::<Algorithm>(), Ok(Algorithm::Tdes));
    assert!("aes".parse::<Algorithm>().is_err());
    assert_eq!(Algorithm::from_code(2), Ok(Algorithm::Sm4));
    assert_eq!(Algorithm::Tdes.code(), 1);
    assert!(Algorithm::from_code(3).is_err());
}

#[test]
fn debug_never_shows_secret_bytes() {
    let k = Key::new(Algorithm::Sm4, [0xAB; 16]);
    let dbg = format!("{k:?}");
    assert!(
        !dbg.contains("AB") && !dbg.contains("ab") && !dbg.contains("171"),
        "{dbg}"
    );
    let pin = encode_pin("123456").unwrap();
    let dbg = format!("{pin:?}");
    assert_eq!(dbg, "Secret(3 bytes, ******)");
}

#[test]
fn pin_encoding() {
    assert_eq!(encode_pin("123456").unwrap().expose(), h("123456"));
    assert_eq!(encode_pin("12345").unwrap().expose(), h("12345F"));
    let e = encode_pin("12a4").unwrap_err();
    assert_eq!(
        e.to_string(),
        "a PIN is 4 to 16 decimal digits; this one has a non-digit at position 3"
    );
    assert!(!e.to_string().contains("12a4"));
    assert!(encode_pin("123").is_err());
    assert!(encode_pin("12345678901234567").is_err());
}

#[test]
fn secret_serde_is_hex_and_eq_is_by_value() {
    let s = Secret::new(vec![0x12, 0x34]);
    let j = serde_json::to_string(&s).unwrap();
    assert_eq!(j, "\"1234\"");
    let back: Secret = serde_json::from_str(&j).unwrap();
    assert_eq!(back, s);
    assert_ne!(back, Secret::new(vec![0x12, 0x35]));
    assert!(serde_json::from_str::<Secret>("\"12G4\"").is_err());
}

#[test]
fn key_serde_round_trip() {
    let k = Key::from_hex(Algorithm::Sm4, K).unwrap();
    let j = serde_json::to_string(&k).unwrap();
    assert_eq!(
        j,
        r#"{"alg":"sm4","value":"0123456789ABCDEFFEDCBA9876543210"}"#
    );
    assert_eq!(serde_json::from_str::<Key>(&j).unwrap(), k);
    let short = r#"{"alg":"tdes","value":"0123"}"#;
    let e = serde_json::from_str::<Key>(short).unwrap_err().to_string();
    assert!(e.contains("16 bytes"), "{e}");
}

#[test]
fn mac_command_wraps_an_apdu_command() {
    let t = Key::from_hex(Algorithm::Tdes, K).unwrap();
    let cmd = crate::apdu::Command::new(0x00, 0xD6, 0x82, 0x00).with_data(h("0102030405"));
    let wrapped = mac_command(&t, &h(CHALLENGE), &cmd).unwrap();
    assert_eq!(
        wrapped.to_bytes().unwrap(),
        h("04D68200090102030405 8757789D")
    );
    let block = crate::apdu::Command::new(0x84, 0x1E, 0, 0);
    let wrapped = mac_command(&t, &h(CHALLENGE), &block).unwrap();
    assert_eq!(wrapped.cla, 0x84);
    assert_eq!(wrapped.data.len(), 4);
    assert!(verify_sm_command(&t, &h(CHALLENGE), [0x84, 0x1E, 0, 0], &wrapped.data).is_some());
}

/// The worked example of docs/crypto.md, "Diversification chains" (the doc shows these
/// numbers; this test fails when either side changes).
#[test]
fn chain_worked_example() {
    use super::derive::{Chain, Level, last8, region_7378};
    let atr = h("3B9E188131FE458031C073F02100667373636172642C");
    let f1 = region_7378("440300").unwrap();
    let f2 = last8(&atr).unwrap();
    assert_eq!(f1.to_vec(), h("3434303330307378"));
    assert_eq!(f2.to_vec(), h("667373636172642C"));
    let chain = Chain {
        levels: vec![
            Level {
                source: "region-ascii-7378".into(),
                factor: f1,
            },
            Level {
                source: "atr-last8".into(),
                factor: f2,
            },
        ],
    };
    assert_eq!(
        chain.describe(),
        "region-ascii-7378 3434303330307378 > atr-last8 667373636172642C"
    );
    let doc = include_str!("../../docs/crypto.md");
    for (alg, master, city, card) in [
        (
            Algorithm::Sm4,
            "542D534D342D57524954452D2D2D2D2D",
            "5F0AC9F2D7EDEC60426C2D0709E1CD1D",
            "C8B254FF271C1840FCC7E7FC4B940ED2",
        ),
        (
            Algorithm::Tdes,
            "542D334445532D57524954452D2D2D2D",
            "D72C7A780FAE602043A1FB1E1196A43D",
            "3F2E60B15FC10B54F7B248437F1AAF81",
        ),
    ] {
        let mk = Key::from_hex(alg, master).unwrap();
        let one = Chain {
            levels: chain.levels[..1].to_vec(),
        };
        assert_eq!(one.apply(&mk).unwrap().bytes.to_vec(), h(city), "{alg}");
        assert_eq!(chain.apply(&mk).unwrap().bytes.to_vec(), h(card), "{alg}");
        // No level: the master key itself.
        assert_eq!(Chain::default().apply(&mk).unwrap(), mk);
        for v in [master, city, card] {
            assert!(doc.contains(v), "docs/crypto.md lacks {v}");
        }
    }
    assert!(doc.contains("3434303330307378") && doc.contains("667373636172642C"));
    assert_eq!(region_7378("44030"), None);
    assert_eq!(region_7378("44030A"), None);
    assert_eq!(last8(&[1, 2, 3]), None);
}

#[test]
fn mac_padded_is_the_mac_without_its_padding_and_checks_its_lengths() {
    for alg in [Algorithm::Tdes, Algorithm::Sm4] {
        let k = Key::new(alg, [0x5A; 16]);
        let bl = alg.block_len();
        let challenge = [7u8; CHALLENGE_LEN];
        let mut iv = challenge.to_vec();
        iv.resize(bl, 0);
        let data: Vec<u8> = (0u8..21).collect();
        assert_eq!(
            mac_padded(&k, &iv, &pad_method2(&data, bl)).unwrap(),
            mac(&k, &challenge, &data).unwrap(),
            "{alg}"
        );
        assert!(mac_padded(&k, &iv[..bl - 1], &[0; 16]).is_err(), "short IV");
        assert!(mac_padded(&k, &iv, &[0; 15]).is_err(), "not whole blocks");
        assert!(mac_padded(&k, &iv, &[]).is_err(), "no data");
    }
}
