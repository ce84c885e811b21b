//! End to end through a real, private pcscd: our virtual card behind the vpcd driver
//! (`sscard sim --vpcd`), driven by `sscard send` and by OpenSC's `opensc-tool`, which must get
//! the same answers; the card image outlives the bridge.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, spawn_card_on};
use std::path::Path;
use std::process::Command;

const SLOT0: &str = "Virtual PCD 00 00";
const SLOT1: &str = "Virtual PCD 00 01";

/// The APDUs both clients send, in one session each (hex, no spaces).
const APDUS: [&str; 7] = [
    // SELECT MF, no response data.
    "00A4000C023F00",
    // SELECT MF, FCP.
    "00A40004023F00",
    // CREATE FILE EF01: transparent, 16 bytes, every access condition "always".
    "00E000001562138201018302EF01800200108606000000000000",
    // SELECT it.
    "00A4020C02EF01",
    // UPDATE BINARY 5 bytes, then READ BINARY them back.
    "00D60000050102030405",
    "00B0000005",
    // SELECT with wrong P1 (0x7F is no selection method).
    "00A47F0C023F00",
];

/// One response: data and SW, as upper-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    data: String,
    sw: String,
}

/// Parses `opensc-tool --send-apdu` output: `Received (SW1=0x90, SW2=0x00)` and, when there is
/// data, a colon and hex-dump lines (`XX XX .. ascii`, 16 bytes a line).
fn parse_opensc(out: &str) -> Vec<Answer> {
    let mut answers: Vec<Answer> = Vec::new();
    let mut in_data = false;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("Received (SW1=0x") {
            let sw1 = rest.get(..2).unwrap_or_default();
            let sw2 = rest
                .split("SW2=0x")
                .nth(1)
                .and_then(|s| s.get(..2))
                .unwrap_or_default();
            answers.push(Answer {
                data: String::new(),
                sw: format!("{sw1}{sw2}").to_uppercase(),
            });
            in_data = rest.ends_with("):");
        } else if line.starts_with("Sending:") || line.starts_with("Using reader") {
            in_data = false;
        } else if in_data {
            // n bytes take "XX " each, then n ASCII characters.
            let n = line.len() / 4;
            let hex: String = line
                .get(..3 * n)
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            if let Some(a) = answers.last_mut() {
                a.data.push_str(&hex.to_uppercase());
            }
        }
    }
    answers
}

/// Parses `sscard send` output: one `< [DATA : ]SW (meaning)` line per APDU.
fn parse_sscard(out: &str) -> Vec<Answer> {
    out.lines()
        .filter_map(|l| l.strip_prefix("< "))
        .map(|l| {
            let (data, rest) = l.rsplit_once(" : ").unwrap_or(("", l));
            Answer {
                data: data.split_whitespace().collect::<String>().to_uppercase(),
                sw: rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_uppercase(),
            }
        })
        .collect()
}

fn start_sim(pcscd: &PrivatePcscd, port: u16, image: &Path) -> common::ChildGuard {
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &port.to_string(), "--image"])
        .arg(image);
    spawn_card_on(port, &mut cmd)
}

fn opensc(pcscd: &PrivatePcscd, reader_index: &str, apdus: &[&str]) -> std::process::Output {
    let (k, v) = pcscd.env();
    let mut cmd = Command::new("opensc-tool");
    cmd.env(k, v).args(["--reader", reader_index]);
    for a in apdus {
        cmd.args(["--send-apdu", a]);
    }
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run opensc-tool ({e}): install it with apt-get install -y opensc"),
    }
}

#[test]
fn sscard_send_and_opensc_tool_get_the_same_answers() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().expect("temp dir");
    // Two fresh cards, one per slot: sscard drives slot 0, opensc-tool slot 1, same APDUs.
    let img0 = dir.path().join("card0.json");
    let img1 = dir.path().join("card1.json");
    let _sim0 = start_sim(&pcscd, pcscd.port(), &img0);
    let _sim1 = start_sim(&pcscd, pcscd.port() + 1, &img1);
    pcscd.wait_card_in(SLOT0);
    pcscd.wait_card_in(SLOT1);

    let theirs = opensc(&pcscd, "1", &APDUS);
    assert!(
        theirs.status.success(),
        "opensc-tool: {}",
        describe(&theirs)
    );
    let theirs = parse_opensc(&common::stdout(&theirs));
    assert_eq!(theirs.len(), APDUS.len(), "one answer per APDU: {theirs:?}");

    // What the card must answer, whoever asks.
    let sws: Vec<&str> = theirs.iter().map(|a| a.sw.as_str()).collect();
    assert_eq!(&sws[..6], ["9000"; 6], "{theirs:?}");
    assert!(theirs[1].data.starts_with("62"), "FCP template: {theirs:?}");
    assert_eq!(theirs[5].data, "0102030405");
    assert!(
        theirs[6].sw.starts_with("6A") || theirs[6].sw.starts_with("6B"),
        "wrong P1 must be refused with 6Axx/6Bxx: {theirs:?}"
    );

    // sscard, the same APDUs in one session (sscard resets the card when it disconnects).
    let mut args = vec!["--reader", SLOT0, "send"];
    args.extend(APDUS);
    let out = pcscd.run(&args);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        parse_sscard(&common::stdout(&out)),
        theirs,
        "sscard send must get the answers opensc-tool got; {}",
        describe(&out)
    );
}

#[test]
fn the_image_outlives_the_bridge() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("card.json");
    {
        let _sim = start_sim(&pcscd, pcscd.port(), &img);
        pcscd.wait_card();
        let out = opensc(&pcscd, "0", &APDUS[2..5]);
        assert!(out.status.success(), "{}", describe(&out));
        let answers = parse_opensc(&common::stdout(&out));
        let sws: Vec<&str> = answers.iter().map(|a| a.sw.as_str()).collect();
        assert_eq!(sws, ["9000"; 3], "{answers:?}");
        // Dropping the guard sends SIGTERM: the bridge saves and exits.
    }
    // pcscd notices the removal at its next poll: wait for it, so the next card is a new one.
    let out = pcscd.run(&["--reader", SLOT0, "wait", "--removal", "--timeout", "15"]);
    assert!(out.status.success(), "card not removed: {}", describe(&out));
    assert!(
        img.exists(),
        "the bridge left no image at {}",
        img.display()
    );
    let text = std::fs::read_to_string(&img).expect("read image");
    assert!(text.contains("sscard-virtual-card"), "{text}");

    // A second bridge on the same image: the file and its content are still there.
    let _sim = start_sim(&pcscd, pcscd.port(), &img);
    pcscd.wait_card();
    let out = opensc(&pcscd, "0", &["00A4020C02EF01", "00B0000005"]);
    let answers = parse_opensc(&common::stdout(&out));
    assert_eq!(
        answers.last(),
        Some(&Answer {
            data: "0102030405".into(),
            sw: "9000".into()
        }),
        "{}",
        describe(&out)
    );

    // And the in-process link reads the same card from the same file.
    drop(_sim);
    let out = pcscd.run(&[
        "--reader",
        &format!("sim:{}", img.display()),
        "send",
        "00A4020C02EF01",
        "00B0000005",
    ]);
    assert_eq!(
        parse_sscard(&common::stdout(&out)).last(),
        Some(&Answer {
            data: "0102030405".into(),
            sw: "9000".into()
        }),
        "{}",
        describe(&out)
    );
}

#[test]
fn output_parsers() {
    assert_eq!(
        parse_sscard("> 00 B0 00 00 02\n< 01 02 : 9000 (success)\n> 00 A4\n< 6A86 (wrong P1-P2)\n"),
        vec![
            Answer {
                data: "0102".into(),
                sw: "9000".into()
            },
            Answer {
                data: String::new(),
                sw: "6A86".into()
            }
        ]
    );
    let out = "Using reader with a card: Virtual PCD 00 01\nSending: 00 B0 00 00 05 \n\
               Received (SW1=0x90, SW2=0x00):\n01 02 03 04 05 .....\nSending: 00 A4 \n\
               Received (SW1=0x6A, SW2=0x86)\n";
    assert_eq!(
        parse_opensc(out),
        vec![
            Answer {
                data: "0102030405".into(),
                sw: "9000".into()
            },
            Answer {
                data: String::new(),
                sw: "6A86".into()
            }
        ]
    );
}

#[test]
fn power_lost_card_leaves_the_reader_and_comes_back() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("flaky.json");
    let img_s = img.to_str().expect("utf-8 path");
    let out = pcscd.run(&[
        "sim",
        "--image",
        img_s,
        "--create",
        "--fault-power-loss-at",
        "2",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &pcscd.port().to_string(), "--image", img_s])
        .args(["--reinsert-after-ms", "300"]);
    let _sim = spawn_card_on(pcscd.port(), &mut cmd);
    pcscd.wait_card();

    // The second APDU after power-on loses power: the card is gone, sscard says so.
    let two_selects = [
        "--reader",
        SLOT0,
        "send",
        "00A4000C023F00",
        "00A4000C023F00",
    ];
    let out = pcscd.run(&two_selects);
    assert!(!out.status.success(), "{}", describe(&out));
    assert_eq!(
        parse_sscard(&common::stdout(&out))
            .first()
            .map(|a| a.sw.as_str()),
        Some("9000"),
        "{}",
        describe(&out)
    );
    assert!(
        common::stderr(&out).contains("removed"),
        "the error must say the card was removed: {}",
        describe(&out)
    );

    // Re-inserted by the bridge (--reinsert-after-ms), powered up again: it answers.
    pcscd.wait_card();
    let out = pcscd.run(&two_selects);
    assert!(out.status.success(), "{}", describe(&out));
    let sws: Vec<String> = parse_sscard(&common::stdout(&out))
        .into_iter()
        .map(|a| a.sw)
        .collect();
    assert_eq!(sws, ["9000", "9000"], "{}", describe(&out));
}

#[test]
fn dead_chip_leaves_the_reader_empty() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("dead.json");
    let img_s = img.to_str().expect("utf-8 path");
    let out = pcscd.run(&["sim", "--image", img_s, "--create", "--fault-dead"]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut cmd = pcscd.sscard();
    cmd.args([
        "-vvv",
        "sim",
        "--vpcd",
        &pcscd.port().to_string(),
        "--image",
    ])
    .arg(&img);
    let sim = spawn_card_on(pcscd.port(), &mut cmd);
    // pcscd has asked the card for its ATR (its presence poll) and taken the (empty) answer:
    // the reader is empty because the card said so, not because nobody asked yet.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while atr_polls(&sim.log()) < 1 || !common::link_idle(pcscd.port()) {
        assert!(
            std::time::Instant::now() < until,
            "pcscd did not poll the card within 15 s: {}",
            sim.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(20)); // poll interval of a condition wait
    }
    let out = pcscd.run(&["--reader", SLOT0, "send", "00A4000C023F00"]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        common::stderr(&out).contains("no card"),
        "a dead chip must look like an empty reader: {}",
        describe(&out)
    );
}

/// How many ATR requests (vpcd control byte `04`) the card side has logged at `-vvv`.
fn atr_polls(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("vpcd frame") && l.contains("first=Some(4)"))
        .count()
}
