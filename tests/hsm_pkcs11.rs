//! The PKCS#11 key source against a private SoftHSMv2 token (tests/hsm_util): the HSM's
//! cryptograms and MACs equal the soft ones (`crypto::auth_cryptogram`, `crypto::mac` with the
//! key-file key diversified in software) for 1- and 2-level chains; clear refusals for a
//! missing module, token or key, a wrong PIN and SM4 on SoftHSM.

mod hsm_util;

use hsm_util::{MODULE, PIN, Token, in_child, test_keys};
use sscard::crypto::derive::{Chain, Level, region_7378};
use sscard::crypto::{Secret, auth_cryptogram, mac};
use sscard::hsm::{HsmError, Pkcs11Config, Pkcs11Source};
use sscard::perso::demo::{DEMO_CARD_ID, SSC_200, SSC_300, shipped_profile};
use sscard::profile::keys::{Factors, KeyFile};
use sscard::profile::{KeySpec, Profile};
use std::path::Path;

fn profile(text: &str, name: &str) -> Profile {
    shipped_profile(text, name).unwrap()
}

fn pin() -> Secret {
    Secret::new(PIN.as_bytes().to_vec())
}

fn open(token: &str, cfg: &Pkcs11Config) -> Pkcs11Source {
    Pkcs11Source::open(Path::new(MODULE), token, &pin(), cfg).unwrap()
}

/// Every key of the profile: HSM cryptogram and MACs (1, 2 and 3 blocks) equal the soft ones.
fn assert_equal_to_soft(src: &mut Pkcs11Source, p: &Profile, chain_of: impl Fn(&KeySpec) -> Chain) {
    let kf = KeyFile::load(&test_keys()).unwrap();
    let challenge = hex::decode("1122334455667788").unwrap();
    let mut checked = 0;
    for (_, spec) in p.all_keys() {
        let chain = chain_of(spec);
        let soft = chain.apply(kf.master(spec).unwrap()).unwrap();
        assert_eq!(
            src.cryptogram(spec, &chain, &challenge).unwrap(),
            auth_cryptogram(&soft, &challenge).unwrap(),
            "cryptogram of {}",
            spec.name
        );
        for len in [0usize, 3, 8, 12, 20] {
            let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            assert_eq!(
                src.mac(spec, &chain, &challenge, &data).unwrap(),
                mac(&soft, &challenge, &data).unwrap(),
                "MAC of {} over {len} bytes",
                spec.name
            );
        }
        checked += 1;
    }
    assert_eq!(src.session_objects().unwrap(), 0, "derived keys destroyed");
    assert!(checked >= 6, "only {checked} keys checked");
}

#[test]
fn hsm_cryptograms_and_macs_equal_soft_keys_one_level() {
    in_child(
        "hsm_cryptograms_and_macs_equal_soft_keys_one_level",
        "sscard-one",
        "",
        |token| {
            let p = profile(SSC_200, "ssc-2.00.toml");
            let mut src = open(token, &Pkcs11Config::default());
            let factors = Factors::new(Some(hex::decode(DEMO_CARD_ID).unwrap()), None);
            assert_equal_to_soft(&mut src, &p, |spec| {
                let c = factors.chain(&spec.diversification, &spec.name).unwrap();
                assert_eq!(c.levels.len(), 1, "ssc-2.00 diversifies {} once", spec.name);
                c
            });
        },
    );
}

#[test]
fn hsm_cryptograms_and_macs_equal_soft_keys_two_levels_with_label_prefix() {
    in_child(
        "hsm_cryptograms_and_macs_equal_soft_keys_two_levels_with_label_prefix",
        "sscard-two",
        "ssc-",
        |token| {
            let p = profile(SSC_200, "ssc-2.00.toml");
            let cfg = Pkcs11Config {
                label_prefix: "ssc-".into(),
                ..Pkcs11Config::default()
            };
            let mut src = open(token, &cfg);
            assert!(
                src.describe().contains("'sscard-two'"),
                "{}",
                src.describe()
            );
            let card = hex::decode(DEMO_CARD_ID).unwrap();
            assert_equal_to_soft(&mut src, &p, |_| Chain {
                levels: vec![
                    Level {
                        source: "region-ascii-7378".into(),
                        factor: region_7378("440700").unwrap(),
                    },
                    Level {
                        source: "card-id-last8".into(),
                        factor: card[8..].try_into().unwrap(),
                    },
                ],
            });
            // Without the prefix the keys are not found: the error names the label and token.
            let mut plain = open(token, &Pkcs11Config::default());
            let (_, spec) = p.all_keys()[0];
            let e = plain
                .cryptogram(spec, &Chain::default(), &[0; 8])
                .unwrap_err();
            assert!(matches!(e, HsmError::NoKey { .. }), "{e:?}");
            let text = e.to_string();
            assert!(
                text.contains(&format!("labelled '{}'", spec.name)),
                "{text}"
            );
            assert!(text.contains("'sscard-two'"), "{text}");
            assert!(text.contains("label_prefix"), "{text}");
        },
    );
}

#[test]
fn hsm_refuses_sm4_on_softhsm_and_names_missing_module_token_and_wrong_pin() {
    in_child(
        "hsm_refuses_sm4_on_softhsm_and_names_missing_module_token_and_wrong_pin",
        "sscard-errs",
        "",
        |token| {
            let cfg = Pkcs11Config::default();
            // A wrong PIN: said, without the PIN. (First: once this process is logged in to
            // the token, PKCS#11 answers "already logged in" without checking the PIN.)
            let wrong = Secret::new(b"97531357".to_vec());
            let e = Pkcs11Source::open(Path::new(MODULE), token, &wrong, &cfg).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(matches!(e, HsmError::WrongPin { .. }), "{e:?}");
            assert!(text.contains("PIN") && text.contains("is wrong"), "{text}");
            assert!(!text.contains("97531357") && !text.contains(PIN), "{text}");
            // A missing token: named, with the tokens present.
            let e =
                Pkcs11Source::open(Path::new(MODULE), "no-such-token", &pin(), &cfg).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("'no-such-token'"), "{text}");
            assert!(
                text.contains(&format!("'{token}'")),
                "tokens present: {text}"
            );
            // A missing module: named, with the package.
            let e = Pkcs11Source::open(Path::new("/opt/none/libhsm.so"), token, &pin(), &cfg)
                .unwrap_err();
            assert!(e.to_string().contains("/opt/none/libhsm.so"), "{e}");
            // SM4 (ssc-3.00): SoftHSM has no SM4.
            let p3 = profile(SSC_300, "ssc-3.00.toml");
            let mut src = open(token, &cfg);
            let (_, spec) = p3.all_keys()[0];
            let e = src
                .cryptogram(spec, &Chain::default(), &[0; 8])
                .unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, HsmError::Sm4OnSoftHsm { .. }), "{e:?}");
            assert!(text.contains("SoftHSM, which has no SM4"), "{text}");
            assert!(text.contains("--psam") && text.contains("--keys"), "{text}");
        },
    );
}

#[test]
fn import_test_keys_writes_every_3des_key_and_replaces_on_rerun() {
    let t = Token::empty("sscard-import");
    let out = t.import("");
    let text = hsm_util::describe(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("9 3DES master keys written"), "{text}");
    assert!(text.contains("(0 replaced)"), "{text}");
    assert!(!text.contains("542D"), "no key bytes in the output: {text}");
    // Again: the same labels are replaced, not doubled.
    let text = hsm_util::describe(&t.import(""));
    assert!(text.contains("(9 replaced)"), "{text}");
    // As another PKCS#11 client (OpenSC's pkcs11-tool) sees them: 9 sensitive keys that can
    // only encrypt and derive.
    let tool = "/usr/bin/pkcs11-tool";
    assert!(
        Path::new(tool).exists(),
        "{tool} missing: apt-get install -y opensc"
    );
    let out = t
        .env(&mut std::process::Command::new(tool))
        .args([
            "--module",
            MODULE,
            "--token-label",
            "sscard-import",
            "--login",
            "--pin",
            PIN,
            "-O",
        ])
        .output()
        .unwrap();
    let text = hsm_util::describe(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("Secret Key Object").count(), 9, "{text}");
    assert_eq!(
        text.matches("Usage:      encrypt, derive\n").count(),
        9,
        "{text}"
    );
    assert_eq!(text.matches("Access:     sensitive").count(), 9, "{text}");
    assert!(text.contains("label:      issuer"), "{text}");
}
