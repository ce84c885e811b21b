//! Transactions through a real private pcscd: while `sscard pin unblock` holds a card between
//! GET CHALLENGE and the MAC'd RESET RETRY COUNTER, a second PC/SC client cannot reach the
//! card (it would take the challenge the MAC is computed over). The card "hangs" on the
//! RESET RETRY COUNTER deterministically: a spy between vpcd and the card holds it.
//! Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::spy::VpcdSpy;
use common::{PrivatePcscd, describe, spawn_card_on, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// `sscard --reader sim:IMAGE ARGS` (in-process virtual card, no pcscd).
fn on_image(image: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .args(["--reader", &format!("sim:{}", image.display())])
        .args(args)
        .output()
        .expect("run sscard")
}

/// A demo card (ssc-3.00, personalized, enabled) whose PIN is blocked by three wrong PINs.
fn blocked_card(dir: &Path, name: &str) -> PathBuf {
    let image = dir.join(name);
    let out = on_image(&image, &["demo", "--image", image.to_str().unwrap()]);
    assert!(out.status.success(), "demo: {}", describe(&out));
    let p = file("card-profiles/ssc-3.00.toml");
    for _ in 0..3 {
        on_image(
            &image,
            &["pin", "verify", "--profile", &p, "--pin", "999999"],
        );
    }
    let out = on_image(&image, &["pin", "status", "--profile", &p]);
    assert_eq!(out.status.code(), Some(3), "blocked: {}", describe(&out));
    image
}

fn unblock_args() -> Vec<String> {
    vec![
        "pin".into(),
        "unblock".into(),
        "--profile".into(),
        file("card-profiles/ssc-3.00.toml"),
        "--keys".into(),
        file("card-profiles/test-keys.toml"),
        "--card-id".into(),
        CARD_ID.into(),
    ]
}

/// Serves `image` behind `pcscd` through `spy`.
fn serve(pcscd: &PrivatePcscd, spy: &VpcdSpy, image: &Path) -> common::ChildGuard {
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &spy.card_addr(), "--image"])
        .arg(image);
    let card = spawn_card_on(pcscd.port(), &mut cmd);
    pcscd.wait_card();
    card
}

/// The 1-based number of the RESET RETRY COUNTER among the APDUs of `sscard pin unblock`,
/// from a run on a copy of the card (nothing held).
fn reset_retry_counter_position(image: &Path) -> usize {
    let pcscd = PrivatePcscd::start();
    let spy = VpcdSpy::start(pcscd.port());
    let _card = serve(&pcscd, &spy, image);
    let args = unblock_args();
    let out = pcscd.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "unblock: {}", describe(&out));
    let sent = spy.exchanges();
    let at = sent
        .iter()
        .position(|e| e.command.get(1) == Some(&0x2C))
        .unwrap_or_else(|| panic!("no RESET RETRY COUNTER was sent: {sent:02X?}"));
    assert_eq!(
        sent.get(at.wrapping_sub(1)).and_then(|e| e.command.get(1)),
        Some(&0x84),
        "GET CHALLENGE comes right before the MAC'd command: {sent:02X?}"
    );
    at + 1
}

#[test]
fn a_second_client_cannot_interleave_during_pin_unblock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let probe = blocked_card(dir.path(), "probe.json");
    let image = blocked_card(dir.path(), "card.json");
    let hold_at = reset_retry_counter_position(&probe);

    let pcscd = PrivatePcscd::start();
    let spy = VpcdSpy::holding(pcscd.port(), hold_at);
    let _card = serve(&pcscd, &spy, &image);
    let unblock = pcscd
        .sscard()
        .args(unblock_args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sscard pin unblock");
    // The challenge is answered; the MAC'd RESET RETRY COUNTER is at the card, held.
    spy.wait_held(30);

    // A second client tries to take the challenge in between: it must not reach the card.
    let intruder = pcscd.run(&["send", "0084000008"]);
    assert!(
        !intruder.status.success(),
        "the second client got through: {}",
        describe(&intruder)
    );
    assert!(
        stderr(&intruder).contains("sharing violation"),
        "the second client is told another program holds the card: {}",
        describe(&intruder)
    );
    assert_eq!(
        spy.exchanges().len(),
        hold_at - 1,
        "nothing of the second client reached the card"
    );

    spy.release();
    let out = unblock
        .wait_with_output()
        .expect("wait for sscard pin unblock");
    assert!(out.status.success(), "unblock: {}", describe(&out));
    assert!(stdout(&out).contains("unblock: done"), "{}", describe(&out));
    assert!(stdout(&out).contains("3 tries left"), "{}", describe(&out));
    // After the unblock ends its transaction, the card is free for others again.
    let after = pcscd.run(&["send", "0084000008"]);
    assert!(after.status.success(), "after: {}", describe(&after));
}
