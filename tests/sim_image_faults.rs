//! The card image (save, load, create, corrupt) and every fault mode, as
//! docs/virtual-card.md documents them.

mod sim_util;

use sim_util::*;
use sscard::sim::{FaultConfig, ImageError, Intermittent, InterruptedWrite, VirtualCard};

#[test]
fn image_round_trips_the_whole_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    let mut c = ssc_card();
    c.set_t0(true);
    c.set_faults(FaultConfig {
        memory_failure: vec!["ddf1/ef06".into()],
        delay_ms: 0,
        ..FaultConfig::default()
    });
    ok(&mut c, "00A4000C 02 DF01");
    ok(&mut c, "00040000");
    c.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"format\": \"sscard-virtual-card\""),
        "{text}"
    );
    assert!(text.contains("\"0110440300D156000005005E1F0C3A9D2B47\""));
    assert!(text.contains("3F00/DDF1/EF06"));
    let mut back = VirtualCard::load(&path).unwrap();
    assert_eq!(back.state(), c.state());
    // The loaded card is the same card: same ATR, same files, same life cycle.
    assert_eq!(back.power_on().as_deref(), Some(c.atr()));
    back.set_t0(false);
    ok(&mut back, &format!("00A4040C0F{SSSE_NAME}"));
    assert_eq!(ok(&mut back, "00B20328 00"), "0304332E3030");
    assert_eq!(sw(&mut back, "00A4000C 02 DF01"), "6283");
    // No temporary file left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn missing_image_starts_a_blank_card_and_creates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.json");
    let mut c = VirtualCard::load_or_create(&path).unwrap();
    assert!(path.exists());
    assert_eq!(c.state(), VirtualCard::blank().state());
    c.power_on().unwrap();
    assert!(ok(&mut c, "00A40004").contains("8A0101"));
    // Changes persist through save + load_or_create.
    assert_eq!(
        create(&mut c, &sscard::tlv::Fcp::transparent(0x0015, 4)),
        "9000"
    );
    ok(&mut c, "00D60000 02 CAFE");
    c.save(&path).unwrap();
    let mut again = VirtualCard::load_or_create(&path).unwrap();
    again.power_on().unwrap();
    assert_eq!(ok(&mut again, "00B09500 02"), "CAFE");
}

#[test]
fn corrupt_image_is_an_error_naming_file_and_line_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    let text = "{\n  \"format\": \"sscard-virtual-card\",\n  \"version\": 1,\n  oops\n}\n";
    std::fs::write(&path, text).unwrap();
    let err = VirtualCard::load_or_create(&path).unwrap_err();
    match &err {
        ImageError::Corrupt { line, .. } => assert_eq!(*line, 4),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("bad.json") && msg.contains("line 4"), "{msg}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // Well-formed JSON describing an impossible card.
    let mut state = serde_json::to_value(VirtualCard::blank().state()).unwrap();
    state["mf"]["access"] = serde_json::json!("0000");
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    let msg = VirtualCard::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("bad.json") && msg.contains("\"access\""),
        "{msg}"
    );
    // An unknown field is refused, not ignored.
    let mut state = serde_json::to_value(VirtualCard::blank().state()).unwrap();
    state["colour"] = serde_json::json!("red");
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    assert!(matches!(
        VirtualCard::load(&path),
        Err(ImageError::Corrupt { .. })
    ));
}

#[test]
fn memory_failure_on_a_file_answers_6581_and_writes_nothing() {
    let mut c = ssc_card();
    c.set_faults(FaultConfig {
        memory_failure: vec!["3F00/0015".into(), "DDF1EF05".into()],
        ..FaultConfig::default()
    });
    ok(&mut c, "00A4000C 02 0015"); // SELECT still works
    assert_eq!(sw(&mut c, "00B00000 01"), "6581");
    assert_eq!(sw(&mut c, "00D60000 01 01"), "6581");
    ok(&mut c, &format!("00A4040C0F{SSSE_NAME}"));
    assert_eq!(sw(&mut c, "00B2012C 00"), "6581");
    assert_eq!(sw(&mut c, "00E20028 03 090100"), "6581");
    // Other files are fine; with the fault removed the failed write left nothing.
    assert_eq!(sw(&mut c, "00E20030 03 090100"), "9000");
    c.set_faults(FaultConfig::default());
    assert_eq!(
        sw(&mut c, "00B2042C 00"),
        "6A83",
        "no record 4 was appended"
    );
}

#[test]
fn intermittent_failures_follow_the_seed() {
    let run = |seed| {
        let mut c = ssc_card();
        ok(&mut c, &format!("00A4040C0F{SSSE_NAME}"));
        c.set_faults(FaultConfig {
            intermittent: Some(Intermittent {
                rate: 0.3,
                seed,
                sw: 0x6581,
            }),
            ..FaultConfig::default()
        });
        let v: Vec<String> = (0..200).map(|_| sw(&mut c, "00B2012C 00")).collect();
        (v, c.stats().injected_failures)
    };
    let (a, na) = run(7);
    let (b, _) = run(7);
    let (d, _) = run(8);
    assert_eq!(a, b, "same seed, same failures");
    assert_ne!(a, d, "another seed, other failures");
    let fails = a.iter().filter(|s| *s == "6581").count() as u64;
    assert_eq!(fails, na);
    assert!((30..=90).contains(&fails), "{fails} of 200 at 30%");
    assert!(a.iter().all(|s| s == "6581" || s == "9000"));
}

#[test]
fn slow_responses_are_delayed_by_the_configured_time() {
    let mut c = ssc_card();
    c.set_faults(FaultConfig {
        delay_ms: 3,
        ..FaultConfig::default()
    });
    for _ in 0..4 {
        assert_eq!(sw(&mut c, "00A4000C"), "9000");
    }
    assert_eq!(c.stats().delayed_ms, 12);
}

#[test]
fn power_loss_at_the_nth_apdu_drops_the_write_by_default() {
    let mut c = ssc_card();
    c.set_faults(FaultConfig {
        power_loss_at: Some(3),
        ..FaultConfig::default()
    });
    c.power_on().unwrap();
    ok(&mut c, "00A4000C 02 0015"); // 1
    ok(&mut c, "00D60000 01 11"); // 2
    let bytes = sscard::apdu::parse_hex("00D60000 01 22").unwrap();
    assert_eq!(c.process(&bytes), None, "3rd APDU: power lost");
    assert_eq!(
        c.process(&[0x00, 0xA4, 0x00, 0x0C]),
        None,
        "no power, no answer"
    );
    assert!(!c.is_powered());
    // Power back: the interrupted UPDATE was not written; the fault fired once only.
    c.power_on().unwrap();
    ok(&mut c, "00A4000C 02 0015");
    assert_eq!(ok(&mut c, "00B00000 01"), "11");
    assert_eq!(c.faults().power_loss_at, None);
    for _ in 0..5 {
        ok(&mut c, "00A4000C");
    }
    assert_eq!(c.stats().power_losses, 1);
}

#[test]
fn power_loss_with_interrupted_write_done_and_repeating() {
    let mut c = ssc_card();
    c.set_faults(FaultConfig {
        power_loss_at: Some(2),
        interrupted_write: InterruptedWrite::Done,
        power_loss_repeat: true,
        ..FaultConfig::default()
    });
    c.power_on().unwrap();
    ok(&mut c, "00A4000C 02 0015");
    let bytes = sscard::apdu::parse_hex("00D60000 01 33").unwrap();
    assert_eq!(c.process(&bytes), None);
    c.power_on().unwrap();
    ok(&mut c, "00A4000C 02 0015");
    // Written although unanswered; and power is lost again at the 2nd APDU.
    assert_eq!(
        c.process(&sscard::apdu::parse_hex("00B0000001").unwrap()),
        None
    );
    assert_eq!(c.stats().power_losses, 2);
    c.set_faults(FaultConfig::default());
    c.power_on().unwrap();
    ok(&mut c, "00A4000C 02 0015");
    assert_eq!(ok(&mut c, "00B00000 01"), "33");
}

#[test]
fn dead_chip_has_no_atr_and_no_answer() {
    let mut c = ssc_card();
    c.set_faults(FaultConfig {
        dead: true,
        ..FaultConfig::default()
    });
    assert_eq!(c.power_on(), None);
    assert_eq!(c.process(&[0x00, 0xA4, 0x00, 0x0C]), None);
    // The fault is part of the image: a dead card stays dead after save + load.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.json");
    c.save(&path).unwrap();
    let mut back = VirtualCard::load(&path).unwrap();
    assert_eq!(back.power_on(), None);
}
