//! The station's job through a real private pcscd with the master keys in an HSM (a private
//! SoftHSMv2 token over PKCS#11): our virtual 3DES card (ssc-2.00) behind vpcd, init with the
//! key file (the manufacturer's step), then perso, verify, read and disable with
//! `--pkcs11 MODULE.so --token LABEL`. What the station reads is what the `--keys` run reads
//! (the same snapshots as tests/pcscd_perso.rs). Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;
mod hsm_util;

use common::{PrivatePcscd, describe, stdout};
use hsm_util::{MODULE, Token};
use std::path::PathBuf;

const CARD_ID: &str = sscard::perso::demo::DEMO_CARD_ID;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn station_job_through_pcscd_with_the_keys_in_softhsm() {
    let tok = Token::with_test_keys("pcscd-station", "");
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let mut blank = sscard::sim::VirtualCard::load_or_create(&image).unwrap();
    sscard::sim::bank::install(&mut blank, sscard::sim::bank::DEMO_PAN).unwrap();
    blank.save(&image).unwrap();
    let _card = pcscd.serve_image(&image);
    let reader = pcscd.reader_name();
    let keys = hsm_util::test_keys().display().to_string();
    let record = hsm_util::record(dir.path());
    let run = |args: &[&str], hsm: bool| {
        let mut c = pcscd.sscard();
        tok.env(&mut c)
            .env_remove("SSCARD_KEYS")
            .env_remove("SSCARD_PKCS11")
            .env_remove("SSCARD_TOKEN")
            .args(["--reader", reader])
            .args(args);
        if hsm {
            c.args(["--pkcs11", MODULE, "--token", "pcscd-station"]);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "sscard {args:?}: {}\npcscd log:\n{}",
            describe(&out),
            pcscd.log()
        );
        stdout(&out)
    };
    run(
        &[
            "init",
            "--profile",
            "ssc-2.00",
            "--keys",
            &keys,
            "--card-id",
            CARD_ID,
        ],
        false,
    );
    let text = run(
        &["perso", "--profile", "ssc-2.00", "--record", &record],
        true,
    );
    assert!(text.contains("ENABLED"), "{text}");
    let text = run(
        &["verify", "--profile", "ssc-2.00", "--record", &record],
        true,
    );
    assert!(text.contains("every element matches"), "{text}");
    let json = run(
        &[
            "read",
            "--profile",
            "ssc-2.00",
            "--record",
            &record,
            "--json",
        ],
        true,
    );
    let expected =
        std::fs::read_to_string(root().join("tests/snapshots/read-ssc-2.00.json")).unwrap();
    assert_eq!(
        json, expected,
        "read --json with the HSM = the --keys snapshot"
    );
    let text = run(
        &["disable", "--profile", "ssc-2.00", "--record", &record],
        true,
    );
    assert!(text.contains("disabled"), "{text}");
}
