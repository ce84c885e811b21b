//! The shipped scripts on the in-process virtual card: build a demo card by hand, read it in
//! both READ RECORD modes, PIN tries, the T=0 walk, the health probe, the enable block; and an
//! expectation that fails with a precise message when one byte differs.

use sscard::script::{Event, RunOptions, RunReport, Script, ScriptError, Vars};
use sscard::sim::transport::{ImageCard, SimTransport};
use std::path::{Path, PathBuf};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("apdu-scripts")
        .join(name)
}

/// A blank virtual card (its image path does not exist yet).
fn blank(dir: &tempfile::TempDir) -> SimTransport {
    SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap()
}

fn run_on(
    card: &mut SimTransport,
    script: &Path,
    block: Option<&str>,
    vars: &Vars,
    opts: RunOptions,
) -> (Result<RunReport, ScriptError>, String) {
    let s = Script::load(script).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    let mut on = |e: &Event| {
        out.push_str(&e.to_text());
        out.push('\n');
    };
    let r = match block {
        Some(b) => s.run_block_with(b, card, vars, &opts, &mut on),
        None => s.run(card, vars, &opts, &mut on),
    };
    (r, out)
}

fn ok_on(card: &mut SimTransport, name: &str) -> (RunReport, String) {
    let (r, out) = run_on(
        card,
        &shipped(name),
        None,
        &Vars::new(),
        RunOptions::default(),
    );
    match r {
        Ok(r) => (r, out),
        Err(e) => panic!("{name}: {e}\n{out}"),
    }
}

/// A virtual card with the demo structure and data built by the shipped script.
fn demo_card(dir: &tempfile::TempDir) -> SimTransport {
    let mut card = blank(dir);
    let (r, out) = ok_on(&mut card, "ssc-build-demo.apdu");
    assert!(r.passed());
    assert!(!out.contains("12 34 56"), "the PIN leaked:\n{out}");
    card
}

#[test]
fn create_files_by_hand_on_a_blank_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = blank(&dir);
    let (r, out) = ok_on(&mut card, "create-files.apdu");
    assert_eq!(r.failures.len(), 0);
    assert_eq!(r.expectations_met, r.exchanges, "{out}");
    assert!(
        out.contains("> 00 B0 81 00 04\n< DE AD BE EF 90 00 : success"),
        "{out}"
    );
}

#[test]
fn build_then_read_in_both_record_modes() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    let (r, out) = ok_on(&mut card, "ssc-read-by-record-number.apdu");
    assert_eq!(
        r.vars.get("CARD_NUMBER"),
        Some("4431323334353637 36".replace(' ', "").as_str())
    );
    assert!(out.contains("card number D12345676\n"), "{out}");
    assert!(
        out.contains("social security number 110101199012290016\n"),
        "{out}"
    );
    assert!(out.contains("name 测试一\n"), "{out}");
    assert!(out.contains("card type 1, spec version 3.00\n"), "{out}");
    let (r2, out) = ok_on(&mut card, "ssc-read-by-tag.apdu");
    assert_eq!(r2.vars.get("SSN"), r.vars.get("SSN"));
    assert!(
        out.contains("holder 测试一, 110101199012290016, sex 1, born 19901229\n"),
        "{out}"
    );
}

#[test]
fn one_differing_byte_fails_with_a_precise_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    let t = dir.path().join("check.apdu");
    // The card number is D12345676: expect D12345677.
    std::fs::write(
        &t,
        "include SSSE\n00 B2 07 2C 0B -> 07 09 44 31 32 33 34 35 36 37 37 9000\n".replace(
            "SSSE",
            &shipped("lib/select-ssse.apdu").display().to_string(),
        ),
    )
    .unwrap();
    let (r, _) = run_on(&mut card, &t, None, &Vars::new(), RunOptions::default());
    assert_eq!(
        r.unwrap_err().to_string(),
        format!(
            "{}:2: expectation not met for `00 B2 07 2C 0B`: expected 07 09 44 31 32 33 34 35 36 37 37 90 00, got 07 09 44 31 32 33 34 35 36 37 36 90 00 (9000 (success)); data byte 11 (offset 10): expected 37, got 36",
            t.display()
        )
    );
    // The same line with the right byte passes.
    std::fs::write(
        &t,
        "include SSSE\n00 B2 07 2C 0B -> 07 09 44 31 32 33 34 35 36 37 36 9000\n".replace(
            "SSSE",
            &shipped("lib/select-ssse.apdu").display().to_string(),
        ),
    )
    .unwrap();
    let (r, _) = run_on(&mut card, &t, None, &Vars::new(), RunOptions::default());
    assert_eq!(r.unwrap().expectations_met, 2);
}

#[test]
fn pin_tries_left_without_spending_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    let (r, out) = ok_on(&mut card, "pin-tries.apdu");
    assert_eq!(r.vars.get("TRIES"), Some("C3"), "{out}");
    let (r, _) = ok_on(&mut card, "pin-tries.apdu");
    assert_eq!(r.vars.get("TRIES"), Some("C3"), "asking spends no try");
}

#[test]
fn the_t0_walk_shows_61xx_then_get_response() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    card.image().card_mut().set_t0(true);
    let (r, out) = ok_on(&mut card, "t0-get-response.apdu");
    assert_eq!(r.exchanges, 6);
    assert!(out.contains("> 00 A4 00 04 02 3F 00\n< 61 "), "{out}");
    assert!(out.contains("> 00 C0 00 00 "), "{out}");
    assert!(
        out.contains(
            "> 00 B2 01 2C 05\n< 6C 12 : wrong Le, the card expects 18\n> 00 B2 01 2C 12\n"
        ),
        "{out}"
    );
    // On T=1 the same SELECT answers with its data at once, and the script says so.
    card.image().card_mut().set_t0(false);
    let (r, _) = run_on(
        &mut card,
        &shipped("t0-get-response.apdu"),
        None,
        &Vars::new(),
        RunOptions::default(),
    );
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains(
            ":9: expectation not met for `00 A4 00 04 02 3F 00`: expected 61 ${LEN:1}, got 62 "
        ),
        "{e}"
    );
}

#[test]
fn health_probe_passes_on_a_good_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    let (r, out) = ok_on(&mut card, "health-probe.apdu");
    assert!(r.passed());
    assert!(out.starts_with("> RESET\n< OK: 3B"), "{out}");
    assert_ne!(r.vars.get("R1"), r.vars.get("R2"), "two challenges alike");
}

#[test]
fn the_enable_and_disable_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = demo_card(&dir);
    let s = Script::load(&shipped("sim-enable.apdu")).unwrap();
    let r = s.run_block("enable", &mut card, &Vars::new()).unwrap();
    assert_eq!(r.expectations_met, 3);
    let r = s.run_block("disable", &mut card, &Vars::new()).unwrap();
    assert_eq!(r.expectations_met, 3);
    // Deactivated: reading below the SSSE is refused; enable again brings it back.
    let (r, _) = run_on(
        &mut card,
        &shipped("ssc-read-by-tag.apdu"),
        None,
        &Vars::new(),
        RunOptions::default(),
    );
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("select-ssse.apdu:3: expectation not met") && e.contains("6283"),
        "{e}"
    );
    s.run_block("enable", &mut card, &Vars::new()).unwrap();
    ok_on(&mut card, "ssc-read-by-tag.apdu");
}
