//! Reading as the field reads, through a real private pcscd (our virtual card behind vpcd):
//! `read` without `--profile` tells the generation from the card, reads EF05 of a
//! 3rd-generation card without a key, names the key EF06 needs, and with the keys
//! authenticates exactly once and shows the bank application's PAN; `diagnose` with a profile of another generation says PROFILE
//! MISMATCH. Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, stderr, stdout};
use sscard::perso::demo::{self, DEMO_CARD_ID};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn read_and_diagnose_a_3rd_generation_card_without_profile_through_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    {
        let mut t = SimTransport::new(ImageCard::open(&image).unwrap()).unwrap();
        demo::run(&mut t, demo::SSC_300, "ssc-3.00.toml").unwrap();
        t.close().unwrap();
    }
    let pcscd = PrivatePcscd::start();
    let port = pcscd.port().to_string();
    let _card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port,
        "--image",
        image.to_str().unwrap(),
    ]));
    pcscd.wait_card();
    let reader = pcscd.reader_name();

    // No profile, no keys: EF05 is read, EF06 is named with its key.
    let out = pcscd.run(&["--reader", reader, "read"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains("profile      ssc-3.00 (the card says spec version 3.00)"),
        "{text}"
    );
    assert!(text.contains(DEMO_CARD_ID), "EF05 without a key: {text}");
    assert!(
        stderr(&out).contains("EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{}",
        describe(&out)
    );

    // With the keys: one EXTERNAL AUTHENTICATE (key 0A), after the card refused EF06.
    let keys = root().join("card-profiles/test-keys.toml");
    let out = pcscd.run(&[
        "--reader",
        reader,
        "--trace",
        "read",
        "--keys",
        keys.to_str().unwrap(),
        "--card-id",
        DEMO_CARD_ID,
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout(&out).contains("测试一"), "{}", describe(&out));
    // The bank application's PAN beside it (the demo card has one), read without a key.
    assert!(
        stdout(&out).contains("bank PAN     6200000000000000000"),
        "{}",
        describe(&out)
    );
    let trace = stderr(&out);
    let auths: Vec<&str> = trace.lines().filter(|l| l.starts_with("> 00 82")).collect();
    assert_eq!(auths.len(), 1, "{trace}");
    assert!(auths[0].starts_with("> 00 82 00 0A"), "{trace}");
    let refused = trace
        .lines()
        .position(|l| l.starts_with("< 6982"))
        .expect("a refused read first");
    let auth_at = trace
        .lines()
        .position(|l| l.starts_with("> 00 82"))
        .unwrap_or(0);
    assert!(refused < auth_at, "{trace}");

    // A profile of another generation: PROFILE MISMATCH, its own exit code.
    let p2 = root().join("card-profiles/ssc-2.00.toml");
    let out = pcscd.run(&[
        "--reader",
        reader,
        "diagnose",
        "--profile",
        p2.to_str().unwrap(),
        "--rounds",
        "2",
        "--today",
        "20260101",
    ]);
    assert_eq!(out.status.code(), Some(21), "{}", describe(&out));
    assert!(
        stdout(&out).contains("VERDICT: PROFILE MISMATCH"),
        "{}",
        describe(&out)
    );
}
