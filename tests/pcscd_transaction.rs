//! Through a real pcscd, with a spy between vpcd and the card: a perso holds the card alone (a
//! second program's APDU waits or is refused, and never lands between the perso's APDUs), and
//! `sscard diagnose` prints exactly the number of commands the card received.
//! Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::spy::VpcdSpy;
use common::{ChildGuard, PrivatePcscd, describe, spawn_card_on};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
/// The second program's APDU: a SELECT of a FID no perso uses (answers 6A82).
const OTHER: &str = "00A4000C021234";
const OTHER_BYTES: [u8; 7] = [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x12, 0x34];

fn file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn sscard_sim(image: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .args(["--reader", &format!("sim:{}", image.display())])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", describe(&out));
}

fn holder(dir: &Path) -> PathBuf {
    let p = dir.join("holder.csv");
    std::fs::write(
        &p,
        format!(
            "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n\
             110101199012290016,测试一,1,01,440782,19901229,{CARD_ID},440700000000000000000001,A00000003,20250101\n"
        ),
    )
    .unwrap();
    p
}

/// An initialised ssc-3.00 card image (and with `perso`, personalized and enabled).
fn card(dir: &Path, perso: bool) -> PathBuf {
    let image = dir.join("card.json");
    let p = file("card-profiles/ssc-3.00.toml");
    let k = file("card-profiles/test-keys.toml");
    sscard_sim(
        &image,
        &["init", "--profile", &p, "--keys", &k, "--card-id", CARD_ID],
    );
    if perso {
        let r = holder(dir);
        let r = r.to_str().unwrap();
        sscard_sim(
            &image,
            &["perso", "--profile", &p, "--keys", &k, "--record", r],
        );
    }
    image
}

fn serve(pcscd: &PrivatePcscd, spy: &VpcdSpy, image: &Path) -> ChildGuard {
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &spy.card_addr(), "--image"])
        .arg(image);
    let card = spawn_card_on(pcscd.port(), &mut cmd);
    pcscd.wait_card();
    card
}

#[test]
fn a_second_program_never_lands_between_the_apdus_of_a_perso() {
    let dir = tempfile::tempdir().unwrap();
    let image = card(dir.path(), false);
    let record = holder(dir.path());
    let pcscd = PrivatePcscd::start();
    // The card "hangs" on the perso's 10th APDU until released: the perso is mid-way.
    let spy = VpcdSpy::holding(pcscd.port(), 10);
    let _card = serve(&pcscd, &spy, &image);
    let perso = pcscd
        .sscard()
        .args(["perso", "--profile", &file("card-profiles/ssc-3.00.toml")])
        .args(["--keys", &file("card-profiles/test-keys.toml")])
        .arg("--record")
        .arg(&record)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    spy.wait_held(30);
    let mut other = pcscd
        .sscard()
        .args(["--reader", common::READER, "send", OTHER])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Refused at once, or waiting: give it 10 s to come back while the perso holds the card.
    let until = Instant::now() + Duration::from_secs(10);
    let mut refused = None;
    while Instant::now() < until {
        if let Some(status) = other.try_wait().unwrap() {
            refused = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(20)); // poll interval of a condition wait
    }
    let during = spy.exchanges();
    assert!(
        !during.iter().any(|e| e.command == OTHER_BYTES),
        "the second program's APDU reached the card during the perso"
    );
    spy.release();
    let perso = perso.wait_with_output().unwrap();
    assert!(perso.status.success(), "perso: {}", describe(&perso));
    let other = other.wait_with_output().unwrap();
    let log = spy.exchanges();
    let at = log.iter().position(|e| e.command == OTHER_BYTES);
    match refused {
        Some(status) => {
            // Refused: it failed saying why, and its APDU never reached the card.
            assert!(!status.success(), "{}", describe(&other));
            assert_eq!(at, None, "a refused APDU reached the card");
            let err = common::stderr(&other);
            assert!(
                err.contains("another program")
                    || err.contains("in use")
                    || err.contains("sharing"),
                "the refusal says the card is in use: {err}"
            );
        }
        None => {
            // It waited: its APDU comes after the perso's last one.
            assert!(other.status.success(), "{}", describe(&other));
            assert_eq!(
                at,
                Some(log.len() - 1),
                "the second APDU landed inside the perso"
            );
        }
    }
    // The perso's own APDUs: all of them, in one run (nothing foreign in between).
    let perso_apdus = log.iter().filter(|e| e.command != OTHER_BYTES).count();
    assert!(perso_apdus > 30, "{perso_apdus}");
}

/// The number in diagnose's "Read-only: N commands sent" line.
fn printed_count(text: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.starts_with("Read-only: "))
        .unwrap_or_else(|| panic!("no Read-only line: {text}"));
    line["Read-only: ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

#[test]
fn diagnose_prints_the_number_of_commands_the_card_received() {
    let dir = tempfile::tempdir().unwrap();
    let image = card(dir.path(), true);
    let pcscd = PrivatePcscd::start();
    let spy = VpcdSpy::start(pcscd.port());
    let _card = serve(&pcscd, &spy, &image);
    let p = file("card-profiles/ssc-3.00.toml");
    let k = file("card-profiles/test-keys.toml");
    for with_keys in [false, true] {
        let before = spy.exchanges().len();
        let mut args = vec!["diagnose", "--profile", &p, "--today", "20260101"];
        if with_keys {
            args.extend(["--keys", &k, "--card-id", CARD_ID]);
        }
        let out = pcscd.run(&args);
        let text = common::stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let seen = &spy.exchanges()[before..];
        assert!(seen.len() > 40, "{}", seen.len());
        assert_eq!(printed_count(&text), seen.len(), "keys {with_keys}: {text}");
        let auths = seen.iter().filter(|e| e.command[1] == 0x82).count();
        if with_keys {
            assert!(auths > 0);
            assert!(
                text.contains(&format!("none writes; {auths} external authentication(s)")),
                "{text}"
            );
        } else {
            assert_eq!(auths, 0);
            assert!(text.contains("none writes or spends a try"), "{text}");
        }
    }
}
