//! QA through a real private pcscd: the link breaks in the middle of a personalization (the
//! PC/SC service dies, the card side vanishes). The station must get exit 1, a message that says
//! what happened and what to do, no panic, and the same command run again must finish the card.
//! The cut is deterministic: a spy between vpcd and the card holds the APDU after the SSN's
//! write (the card "hangs" with part of the record written), then the link is broken.
//! Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::spy::VpcdSpy;
use common::{
    ChildGuard, PrivatePcscd, describe, holder_csv, initialised_card, repo_file, spawn_card_on,
};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn perso_args(record: &Path) -> Vec<String> {
    vec![
        "perso".into(),
        "--profile".into(),
        repo_file("card-profiles/ssc-3.00.toml"),
        "--keys".into(),
        repo_file("card-profiles/test-keys.toml"),
        "--record".into(),
        record.display().to_string(),
    ]
}

/// Serves `image` behind `pcscd`.
fn serve(pcscd: &PrivatePcscd, image: &Path) -> ChildGuard {
    let card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &pcscd.port().to_string(),
        "--image",
        image.to_str().unwrap(),
    ]));
    pcscd.wait_card();
    card
}

/// The perso's write of the SSN (UPDATE RECORD of tag 08 in EF06, SFI 6): the card "hangs"
/// on the APDU after it (the spy holds it), so the card holds part of the record, the SSN
/// included (how a re-run knows it is this holder's card: `sscard perso --dry-run`).
const SSN_WRITE: [u8; 4] = [0x00, 0xDC, 0x08, 0x30];

/// Serves `image` behind `pcscd` through a spy that holds the APDU after [`SSN_WRITE`];
/// `extra` are more `sscard sim` options.
fn serve_held(pcscd: &PrivatePcscd, image: &Path, extra: &[&str]) -> (ChildGuard, VpcdSpy) {
    let spy = VpcdSpy::holding_after(pcscd.port(), &SSN_WRITE);
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &spy.card_addr(), "--image"])
        .arg(image)
        .args(extra);
    let card = spawn_card_on(pcscd.port(), &mut cmd);
    pcscd.wait_card();
    (card, spy)
}

/// Starts a perso, waits until the card "hangs" on the APDU after [`SSN_WRITE`], breaks the
/// link with `cut`, returns the perso's output.
fn perso_cut(pcscd: &PrivatePcscd, spy: &VpcdSpy, record: &Path, cut: impl FnOnce()) -> Output {
    let child = pcscd
        .sscard()
        .env("RUST_BACKTRACE", "1")
        .args(perso_args(record))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sscard perso");
    spy.wait_held(30);
    let done = spy.exchanges();
    assert!(
        done.last()
            .is_some_and(|e| e.command.starts_with(&SSN_WRITE)),
        "the card holds part of the record, the SSN last, when the link breaks: {done:02X?}"
    );
    cut();
    child.wait_with_output().expect("wait for sscard perso")
}
fn assert_clean_failure(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", describe(out));
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.contains("sscard: error: personalizing"), "{err}");
    err
}

/// The re-run on a fresh pcscd finishes the interrupted card: personalized, verified, enabled.
fn rerun_finishes(image: &Path, record: &Path) {
    let pcscd = PrivatePcscd::start();
    let _card = serve(&pcscd, image);
    let out = pcscd.run(
        &perso_args(record)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "re-run: {}", describe(&out));
    assert!(text.contains("ENABLED"), "{text}");
    assert!(text.contains("14 verified byte for byte"), "{text}");
    assert!(
        text.contains("result   personalized (finished an interrupted run)"),
        "the re-run resumed the interrupted perso: {text}"
    );
}

#[test]
fn pcscd_dying_mid_perso_is_reported_and_the_rerun_finishes_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let image = initialised_card(dir.path());
    let record = holder_csv(dir.path());
    {
        let pcscd = PrivatePcscd::start();
        let (card, spy) = serve_held(&pcscd, &image, &[]);
        let pid = pcscd.pid().to_string();
        let out = perso_cut(&pcscd, &spy, &record, || {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        });
        let err = assert_clean_failure(&out);
        assert!(
            err.contains("pcscd"),
            "the message does not name pcscd: {err}"
        );
        assert!(err.contains("run the same command again"), "{err}");
        drop(card); // SIGTERM: the sim saves what the card holds
    }
    rerun_finishes(&image, &record);
}

#[test]
fn the_card_side_vanishing_mid_perso_is_reported_and_the_rerun_finishes_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let image = initialised_card(dir.path());
    let record = holder_csv(dir.path());
    {
        let pcscd = PrivatePcscd::start();
        // Saved after every change, so what the card answered is on "its chip".
        let (mut card, spy) = serve_held(&pcscd, &image, &["--save-every", "1"]);
        // SIGKILL: no goodbye, no save at exit (like a card pulled out); then the link drops.
        let out = perso_cut(&pcscd, &spy, &record, || {
            card.kill();
            spy.cut();
        });
        let err = assert_clean_failure(&out);
        assert!(
            err.contains("Virtual PCD 00 00"),
            "the message does not name the reader: {err}"
        );
    }
    rerun_finishes(&image, &record);
}
