//! 3rd-generation access as real cards and stations do it (shared/spec/ssc-card.md,
//! "Corrections from public station code"): EF05 is read without any authentication, the read
//! key RKSSSE (0A) guards EF06 only, personalization writes after EXTERNAL AUTHENTICATE with
//! key 04, and key 0D guards only the regional EF0D. On the in-process virtual card, through
//! the `sscard` binary as an operator runs it.

mod sim_cli;

use sim_cli::{file, sscard};
use std::path::{Path, PathBuf};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
/// SELECT SSSE by name.
const SELECT_SSSE: &str = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF";

fn ok(image: &Path, args: &[&str]) -> String {
    let o = sscard(image, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "sscard {args:?}: {text}");
    text
}

fn holder(dir: &Path) -> String {
    let p = dir.join("holder.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
                "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
                "init_org": "440700000000000000000001", "card_number": "A00000003",
                "issue_date": "20250101"}}"#
        ),
    )
    .unwrap();
    p.display().to_string()
}

/// A card initialised and personalized with `profile`; returns the image and the perso trace.
fn personalized(dir: &Path, profile: &str) -> (PathBuf, String) {
    let image = dir.join("card.json");
    let (p, k, r) = (
        file(profile),
        file("card-profiles/test-keys.toml"),
        holder(dir),
    );
    ok(
        &image,
        &["init", "--profile", &p, "--keys", &k, "--card-id", CARD_ID],
    );
    let trace = ok(
        &image,
        &[
            "--trace",
            "perso",
            "--profile",
            &p,
            "--record",
            &r,
            "--keys",
            &k,
        ],
    );
    (image, trace)
}

#[test]
fn perso_of_a_3rd_generation_card_writes_after_key_04() {
    let dir = tempfile::tempdir().unwrap();
    let (_image, trace) = personalized(dir.path(), "card-profiles/ssc-3.00.toml");
    assert!(trace.contains("ENABLED"), "{trace}");
    // EXTERNAL AUTHENTICATE with key 04 and a 16-byte SM4 cryptogram (masked), then writes.
    assert!(trace.contains("> 00 82 00 04 10 ******"), "{trace}");
    assert!(
        !trace.contains("> 00 82 00 0D"),
        "key 0D is regional: {trace}"
    );
    let auth04 = trace.find("> 00 82 00 04").unwrap();
    let first_update = trace.find("> 00 DC").unwrap();
    assert!(
        auth04 < first_update,
        "key 04 before the first UPDATE RECORD"
    );
}

#[test]
fn perso_of_a_2nd_generation_card_writes_after_key_04_with_an_8_byte_cryptogram() {
    let dir = tempfile::tempdir().unwrap();
    let (_image, trace) = personalized(dir.path(), "card-profiles/ssc-2.00.toml");
    assert!(trace.contains("> 00 82 00 04 08 ******"), "{trace}");
    assert!(!trace.contains("> 00 82 00 0D"), "{trace}");
}

#[test]
fn a_3rd_generation_card_gives_ef05_without_keys_and_ef06_only_after_the_read_key() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = personalized(dir.path(), "card-profiles/ssc-3.00.toml");
    // No key file, no authentication: EF05 record 1 (card id) by SFI 5 and record 7.
    let out = ok(&image, &["send", SELECT_SSSE, "00B2012C12", "00B2072C0B"]);
    assert!(
        out.contains("01 10 44 07 00 D1 56 00 00 05 00 8A 3F 21 C4 E5 B6 07"),
        "{out}"
    );
    assert!(out.contains("07 09 41 30 30 30 30 30 30 30 33"), "{out}");
    assert!(!out.contains("6982"), "{out}");
    // EF06 needs the read key.
    let out = ok(&image, &["send", SELECT_SSSE, "00B2013400"]);
    assert!(out.contains("6982"), "{out}");
    // diagnose without keys: EF05 checked, only EF06 left unread.
    let p = file("card-profiles/ssc-3.00.toml");
    let text = ok(&image, &["diagnose", "--profile", &p]);
    assert!(
        text.contains("VERDICT: OK (data not checked: give --keys and --card-id to read EF06)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("3F00/DDF1/EF05") && l.contains("7 of 7 elements ok")),
        "{text}"
    );
}
