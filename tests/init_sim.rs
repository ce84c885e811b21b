//! `sscard init` on the in-process virtual card: the structure is built, and what SELECT
//! (P2=04) reads back matches the profile and `profile show`.

use sscard::init;
use sscard::profile::keys::{Factors, KeyFile};
use sscard::profile::{self, fcp};
use sscard::tlv::Fcp;
use std::path::{Path, PathBuf};
use std::process::Command;

const CARD_ID: &str = "440300D156000005005E1F0C3A9D2B47";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles")
}

/// The shipped 3rd-generation profile, the test keys and the factors of `CARD_ID`.
fn ssc300() -> (profile::Profile, KeyFile, Factors) {
    let p = profile::load(&dir().join("ssc-3.00.toml")).unwrap();
    let keys = KeyFile::load(&dir().join("test-keys.toml")).unwrap();
    let factors = Factors {
        card_id: Some(hex::decode(CARD_ID).unwrap()),
        ..Factors::default()
    };
    (p, keys, factors)
}

/// The FCP hex `profile show` prints for the file whose line contains `what`.
fn shown_fcp(show: &str, what: &str) -> Fcp {
    let mut lines = show.lines();
    lines
        .by_ref()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("show has no line with {what}:\n{show}"));
    let fcp_line = lines
        .find(|l| l.trim_start().starts_with("FCP "))
        .unwrap_or_else(|| panic!("no FCP line after {what}"));
    let hex = fcp_line.trim_start().trim_start_matches("FCP ");
    Fcp::parse(&sscard::apdu::parse_hex(hex).unwrap()).unwrap()
}

#[test]
fn init_builds_ssc_3_00_and_the_card_matches_show() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("card.json");
    let (p, keys, factors) = ssc300();
    let plan = init::init_plan(&p, &keys, &factors).unwrap();
    let mut t = sscard::sim::transport::open(&image).unwrap();
    init::run(&plan, &mut *t).unwrap();
    assert_eq!(
        init::verify_structure(&p, &mut *t).unwrap(),
        Vec::<String>::new()
    );

    // What the card answers to SELECT P2=04, against what `profile show` prints.
    let show = profile::show::render(&p);
    let mut card = sscard::card::Card::new(&mut *t);
    card.select_fid(0x3F00).unwrap();
    let (ssse, _) = card
        .select_fcp(sscard::card::SelectBy::Fid(0xDDF1))
        .unwrap();
    assert_eq!(
        fcp::compare(&shown_fcp(&show, "DF ssse"), &ssse, true),
        Vec::<String>::new()
    );
    assert_eq!(ssse.df_name.as_deref(), Some(&profile::SSSE_NAME[..]));
    for (fid, name) in [(0xEF05u16, "EF ef05"), (0xEF06, "EF ef06")] {
        let (got, _) = card.select_fcp(sscard::card::SelectBy::Fid(fid)).unwrap();
        assert_eq!(
            fcp::compare(&shown_fcp(&show, name), &got, true),
            Vec::<String>::new(),
            "{name}"
        );
    }
    // The SSSE is reachable by name as every reader selects it.
    card.select_fid(0x3F00).unwrap();
    card.select_name(&profile::SSSE_NAME).unwrap();
    t.close().unwrap();

    // A second init on the same (no longer blank) card is refused with the status word:
    // the closed MF's create condition is the profile's "never" (issue 13), checked before
    // the card looks for the FID (which would answer 6A89).
    let mut t = sscard::sim::transport::open(&image).unwrap();
    let e = init::run(&plan, &mut *t).unwrap_err();
    assert_eq!(e.sw(), Some(sscard::apdu::Sw(0x6982)), "{e}");
    assert!(e.to_string().contains("step 2 of"), "{e}");
}

#[test]
fn a_card_that_differs_from_the_profile_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("card.json");
    let (built, keys, factors) = ssc300();
    let mut t = sscard::sim::transport::open(&image).unwrap();
    init::run(&init::init_plan(&built, &keys, &factors).unwrap(), &mut *t).unwrap();
    // The same profile with EF06 one byte longer per record: the card no longer matches.
    let text = std::fs::read_to_string(dir().join("ssc-3.00.toml"))
        .unwrap()
        .replace("record_length = 32", "record_length = 33");
    let other = profile::parse(&text, Path::new("changed.toml")).unwrap();
    let diffs = init::verify_structure(&other, &mut *t).unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].contains("EF06") && diffs[0].contains("file descriptor"),
        "{diffs:?}"
    );
}

#[test]
fn cli_init_on_the_virtual_card() {
    let tmp = tempfile::tempdir().unwrap();
    let reader = format!("sim:{}", tmp.path().join("card.json").display());
    let run = |profile: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sscard"))
            .args(["--reader", &reader, "init", "--profile"])
            .arg(dir().join(profile))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run("ssc-3.00.toml", &["--card-id", CARD_ID]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (p, keys, factors) = ssc300();
    let plan = init::init_plan(&p, &keys, &factors).unwrap();
    let counts = format!("{} APDUs, {} bytes", plan.apdu_count(), plan.byte_count());
    assert!(stdout.contains(&counts), "{counts}: {stdout}");
    assert!(stdout.contains("matches the profile"), "{stdout}");
    // The same init again (after a cut at its last APDU, say) finds the card finished.
    let again = run("ssc-3.00.toml", &["--card-id", CARD_ID]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("nothing to do"), "{stdout}");
    assert!(stdout.contains("matches the profile"), "{stdout}");
    // Another profile's init on this (no longer blank) card is refused, saying why, once.
    let other = run("ssc-2.00.toml", &["--card-id", CARD_ID]);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr.contains("is not (part of) profile ssc-2.00"),
        "{stderr}"
    );
    assert!(stderr.contains("use a blank card"), "{stderr}");
    assert_eq!(
        stderr.matches("use a blank card").count(),
        1,
        "said once: {stderr}"
    );
    // Dry run: masked keys, a count, nothing sent.
    let dry = run("ssc-3.00.toml", &["--card-id", CARD_ID, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success());
    assert!(stdout.contains("80 D4 00 0D 13 01 02 0F ** **"), "{stdout}");
    // Without the card id the diversified keys cannot be made: a clear error.
    let tmp2 = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args([
            "--reader",
            &format!("sim:{}", tmp2.path().join("c.json").display()),
        ])
        .args(["init", "--profile"])
        .arg(dir().join("ssc-3.00.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--card-id"));
}
