//! `sscard conformance` on the virtual card: 100% on a good card, each deliberately broken
//! card caught with its evidence, the fault modes reported, the test-card flag required.

mod diag_util;

use diag_util::*;
use sscard::sim::{Defect, FaultConfig};
use std::path::Path;

const CARD_ID: &str = sscard::perso::demo::DEMO_CARD_ID;

fn run(card: &Path, profile: &str, extra: &[&str]) -> (i32, String) {
    let p = repo(profile);
    let k = repo("card-profiles/test-keys.toml");
    let mut args = vec!["conformance", "--profile", &p, "--keys", &k, "--test-card"];
    args.extend_from_slice(extra);
    let o = sscard(card, &args);
    (o.status.code().unwrap_or(-1), out(&o))
}

fn ssc300_card(dir: &Path) -> std::path::PathBuf {
    personalized(dir, SSC_300, "ssc-3.00.toml")
}

/// `run` with the 3rd-generation profile and the demo card id.
fn run300(card: &Path) -> (i32, String) {
    run(card, "card-profiles/ssc-3.00.toml", &["--card-id", CARD_ID])
}

/// The evidence section of a conformance report.
fn evidence(text: &str) -> &str {
    text.split("Evidence of the failures:").nth(1).unwrap()
}

fn line_of<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with '{needle}' in\n{text}"))
}

#[test]
fn a_good_card_passes_every_check_and_is_left_as_found() {
    let dir = tempfile::tempdir().unwrap();
    let card = ssc300_card(dir.path());
    let junit = dir.path().join("junit.xml");
    let (code, text) = run(
        &card,
        "card-profiles/ssc-3.00.toml",
        &["--card-id", CARD_ID, "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(" passed, 0 failed, 0 skipped, 0 not run"),
        "{text}"
    );
    for group in [
        "select",
        "iso-errors",
        "access",
        "pin",
        "life-cycle",
        "t0",
        "fcp",
    ] {
        assert!(
            text.contains(&format!("PASS     {group}")),
            "{group}: {text}"
        );
    }
    assert!(text.contains("Card state: restored"), "{text}");
    // Key 0D guards only the regional EF0D (empty: probed with UPDATE RECORD 1).
    for needle in [
        "UPDATE of EF 3F00/DDF1/EF0D refused without auth:regional (key 0D)",
        "UPDATE of EF 3F00/DDF1/EF0D allowed with auth:regional (key 0D)",
        "UPDATE of EF 3F00/DDF1/EF05 allowed with auth:write (key 04)",
    ] {
        assert!(line_of(&text, needle).contains("PASS"), "{text}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"failures="0" skipped="0""#), "{xml}");
    assert!(xml.contains("<testcase classname=\"pin\""), "{xml}");
    // Afterwards: enabled, PIN counter full.
    let (code, text) = run_diag(&card);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("PIN holder: 3 of 3 tries left"), "{text}");
}

fn run_diag(card: &Path) -> (i32, String) {
    let p = repo("card-profiles/ssc-3.00.toml");
    let o = sscard(card, &["diagnose", "--profile", &p, "--today", "20260101"]);
    (o.status.code().unwrap_or(-1), out(&o))
}

#[test]
fn the_2nd_generation_profile_passes_too_and_finds_the_card_id_itself() {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_200, "ssc-2.00.toml");
    let (code, text) = run(&card, "card-profiles/ssc-2.00.toml", &["--json"]);
    assert_eq!(code, 0, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert!(checks.len() > 20);
    assert!(checks.iter().all(|c| c["outcome"] == "PASS"), "{text}");
}

#[test]
fn refuses_without_the_test_card_flag() {
    let dir = tempfile::tempdir().unwrap();
    let card = ssc300_card(dir.path());
    let before = std::fs::read(&card).unwrap();
    let p = repo("card-profiles/ssc-3.00.toml");
    let o = sscard(&card, &["conformance", "--profile", &p]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--test-card"), "{err}");
    assert_eq!(std::fs::read(&card).unwrap(), before, "nothing sent");
}

/// A personalized 3rd-generation card with `fc` written into its image (keep the folder).
fn faulty(fc: FaultConfig) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let card = ssc300_card(dir.path());
    faults(&card, fc);
    (dir, card)
}

fn broken(defect: Defect) -> (tempfile::TempDir, std::path::PathBuf) {
    faulty(FaultConfig {
        defects: vec![defect],
        ..FaultConfig::default()
    })
}

#[test]
fn catches_an_access_condition_not_enforced() {
    let (_d, card) = broken(Defect::AccessNotEnforced);
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    let l = line_of(&text, "READ of EF 3F00/DDF1/EF06 refused without auth:read");
    assert!(l.contains("FAIL"), "{l}");
    assert!(line_of(&text, "UPDATE of EF 3F00/DDF1/EF06 refused without").contains("FAIL"));
    // The evidence shows the READ that should have been refused, and its 9000.
    let ev = evidence(&text);
    assert!(ev.contains("expected 6982, got 9000"), "{ev}");
    assert!(ev.contains("> 00 B2 01 04 00"), "{ev}");
    // EF05 is free to read on a 3rd-generation card: no refused-READ check for it, only
    // that it reads without a key.
    assert!(
        !text.contains("READ of EF 3F00/DDF1/EF05 refused"),
        "{text}"
    );
    assert!(
        line_of(&text, "READ of EF 3F00/DDF1/EF05 allowed without any key").contains("PASS"),
        "{text}"
    );
    // The rest of the card conforms.
    assert!(line_of(&text, "a wrong PIN counts down").contains("PASS"));
}

#[test]
fn catches_a_pin_counter_that_does_not_count() {
    let (_d, card) = broken(Defect::PinCounterStuck);
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    assert!(
        line_of(&text, "a wrong PIN counts down to 63C2").contains("FAIL"),
        "{text}"
    );
    assert!(
        line_of(&text, "blocked after 3 wrong PINs").contains("FAIL"),
        "{text}"
    );
    let ev = evidence(&text);
    assert!(ev.contains("expected 63C2, got 63C3"), "{ev}");
    assert!(ev.contains("> 00 20 00 00 03 ******"), "PIN masked: {ev}");
    assert!(!ev.contains("12 34 56"), "PIN leaked: {ev}");
}

#[test]
fn catches_a_deactivated_application_still_readable() {
    let (_d, card) = broken(Defect::DeactivatedReadable);
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    assert!(
        line_of(&text, "deactivated, its files refuse READ (6985)").contains("FAIL"),
        "{text}"
    );
    assert!(
        line_of(&text, "ACTIVATE FILE brings it back").contains("PASS"),
        "{text}"
    );
    assert!(text.contains("Card state: restored"), "{text}");
}

#[test]
fn fault_modes_fail_with_the_reason() {
    // Dead chip: one failed check, nothing else.
    let (_dir, card) = faulty(FaultConfig {
        dead: true,
        ..FaultConfig::default()
    });
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    assert!(
        line_of(&text, "the card answers to reset").contains("FAIL"),
        "{text}"
    );

    // Memory failure on EF06: the checks that read EF06 fail with 6581.
    let (_dir, card) = faulty(FaultConfig {
        memory_failure: vec!["DDF1/EF06".into()],
        ..FaultConfig::default()
    });
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    assert!(
        line_of(&text, "READ of EF 3F00/DDF1/EF06 allowed with").contains("FAIL"),
        "{text}"
    );
    assert!(
        line_of(&text, "UPDATE of EF 3F00/DDF1/EF05 allowed with").contains("PASS"),
        "{text}"
    );
    assert!(text.contains("6581"), "{text}");

    // A card that stops answering for good: the run ends, the rest is NOT RUN.
    let (_dir, card) = faulty(FaultConfig {
        power_loss_at: Some(5),
        power_loss_repeat: true,
        ..FaultConfig::default()
    });
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    assert!(text.contains("the card stopped answering"), "{text}");
}

#[test]
fn catches_an_mf_that_any_terminal_can_deactivate() {
    // A card initialised before issue 13 was fixed: the blank MF's access conditions (all
    // "always") were never replaced by the profile's.
    let dir = tempfile::tempdir().unwrap();
    let card = ssc300_card(dir.path());
    edit(&card, |c| {
        c.node_mut(&[]).unwrap().access = sscard::sim::fs::Hex(vec![0; 6]);
    });
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    let l = line_of(&text, "the MF: DEACTIVATE FILE without a key refused");
    assert!(l.contains("FAIL"), "{l}");
    // TERMINATE is not tried on a card that let DEACTIVATE through: it would end the card.
    let l = line_of(&text, "the MF: TERMINATE DF without a key refused");
    assert!(l.contains("SKIP"), "{l}");
    let ev = evidence(&text);
    assert!(ev.contains("> 00 04 00 00"), "{ev}");
    assert!(ev.contains("expected 6982 or 6985, got 9000"), "{ev}");
    // The SSSE (deactivate under the STK MAC) is refused both ways.
    for what in ["DEACTIVATE FILE", "TERMINATE DF"] {
        let l = line_of(
            &text,
            &format!("DF 3F00/DDF1: {what} without a key refused"),
        );
        assert!(l.contains("PASS"), "{l}");
    }
    // The MF was activated again: the card still diagnoses OK.
    let state = sscard::sim::VirtualCard::load_or_create(&card).unwrap();
    assert_eq!(state.state().mf.lcs, sscard::sim::fs::Lcs::Activated);
    let (code, text) = run_diag(&card);
    assert_eq!(code, 0, "{text}");
}

/// Sets the access conditions of EF08 (the photo) in the image.
fn photo_access(card: &Path, access: [u8; 6]) {
    edit_ef08(card, |ef| ef.access = sscard::sim::fs::Hex(access.to_vec()));
}

#[test]
fn the_photo_file_is_probed_as_the_profile_says() {
    let dir = tempfile::tempdir().unwrap();
    let card = ssc300_card(dir.path());
    let (code, text) = run300(&card);
    assert_eq!(code, 0, "{text}");
    for needle in [
        "EF 3F00/DDF1/EF08 selectable by FID",
        "EF 3F00/DDF1/EF08 reachable by SFI 8",
        "READ of EF 3F00/DDF1/EF08 allowed without any key (always)",
        "UPDATE of EF 3F00/DDF1/EF08 refused without auth:write (key 04) (6982)",
        "UPDATE of EF 3F00/DDF1/EF08 allowed with auth:write (key 04)",
        "EF 3F00/DDF1/EF08 FCP as declared (transparent)",
    ] {
        assert!(line_of(&text, needle).contains("PASS"), "{needle}: {text}");
    }
    // A chip that guards the photo with the read key (more closed than the profile): caught.
    photo_access(&card, [0x2A, 0x24, 0xFF, 0xFF, 0xFF, 0xFF]);
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    let l = line_of(
        &text,
        "READ of EF 3F00/DDF1/EF08 allowed without any key (always)",
    );
    assert!(l.contains("FAIL"), "{l}");
    let l = line_of(&text, "EF 3F00/DDF1/EF08 FCP as declared");
    assert!(l.contains("FAIL"), "{l}");
    assert!(
        evidence(&text).contains("READ without any key: expected 9000"),
        "{text}"
    );
    // One that lets anyone write the photo (more open): caught.
    photo_access(&card, [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]);
    let (code, text) = run300(&card);
    assert_eq!(code, 40, "{text}");
    let l = line_of(
        &text,
        "UPDATE of EF 3F00/DDF1/EF08 refused without auth:write (key 04)",
    );
    assert!(l.contains("FAIL"), "{l}");
    assert!(
        evidence(&text).contains("UPDATE without auth:write (key 04): expected 6982, got 9000"),
        "{text}"
    );
}
