//! What an operator sees when things go wrong: the binary run on the in-process virtual card
//! with bad input (records, images, profiles, `--reader`). Each test pins one problem found in
//! QA: the message says what and where, the exit code is 1, nothing panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SSC3: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/card-profiles/ssc-3.00.toml");
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/card-profiles/test-keys.toml");
const HEADER: &str =
    "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n";
const GOOD_ROW: &str = "110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n";

fn sscard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "1")
        .args(args)
        .output()
        .expect("run sscard")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 1, one `sscard: error:` line, no panic.
fn failed_cleanly(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(err.contains("sscard: error: "), "{err}");
    err
}

/// `sscard perso --profile SSC3 --record RECORD --dry-run`.
fn dry_run(record: &Path) -> Output {
    sscard(&[
        "perso",
        "--profile",
        SSC3,
        "--record",
        record.to_str().unwrap(),
        "--dry-run",
    ])
}

fn reader(image: &Path) -> String {
    format!("sim:{}", image.display())
}

#[test]
fn a_card_error_is_said_once_not_repeated_by_the_error_chain() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("h.csv");
    std::fs::write(&record, format!("{HEADER}{GOOD_ROW}")).unwrap();
    // A blank card: the SSSE is not there, SELECT answers 6A82.
    let image = dir.path().join("blank.json");
    let out = sscard(&[
        "--reader",
        &reader(&image),
        "perso",
        "--profile",
        SSC3,
        "--keys",
        KEYS,
        "--record",
        record.to_str().unwrap(),
    ]);
    let err = failed_cleanly(&out);
    assert!(err.contains("h.csv record 1 (line 2)"), "{err}");
    assert!(
        err.contains("6A82 (file or application not found)"),
        "{err}"
    );
    assert!(err.contains("sscard init"), "{err}");
    assert_eq!(err.matches("6A82").count(), 1, "said more than once: {err}");
}

#[test]
fn a_record_file_saved_as_gbk_names_the_line_of_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("gbk.csv");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"110101199012290016,");
    bytes.extend_from_slice(&[0xB2, 0xE2, 0xCA, 0xD4, 0xD2, 0xBB]); // 测试一 in GBK
    bytes.extend_from_slice(b",1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n");
    std::fs::write(&record, bytes).unwrap();
    let out = dry_run(&record);
    let err = failed_cleanly(&out);
    assert!(err.contains("gbk.csv:2: not UTF-8"), "{err}");
    assert!(err.contains("save the file as UTF-8"), "{err}");
}

#[test]
fn a_json_number_too_long_to_be_exact_is_refused_not_mangled() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("n.json");
    // init_org as a bare number: 24 digits do not fit an integer; JSON readers round it.
    std::fs::write(
        &record,
        r#"{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
            "birth_place": "440782", "birth_date": "19901229",
            "card_id": "440700D156000005008A3F21C4E5B607", "init_org": 440700000000000000000001,
            "card_number": "A00000003", "issue_date": "20250101"}"#,
    )
    .unwrap();
    let out = dry_run(&record);
    let err = failed_cleanly(&out);
    assert!(err.contains("field `init_org`"), "{err}");
    assert!(err.contains("write the value as text in quotes"), "{err}");
}

fn personalized_image(dir: &Path) -> PathBuf {
    let image = dir.join("card.json");
    let out = sscard(&["demo", "--image", image.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    image
}

#[test]
fn an_image_with_two_files_of_one_sfi_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let image = personalized_image(dir.path());
    let text = std::fs::read_to_string(&image).unwrap();
    // EF06 gets EF05's SFI: a chip could not tell them apart.
    let broken = text.replacen("\"sfi\": 6", "\"sfi\": 5", 1);
    assert_ne!(broken, text, "the image layout changed: fix this test");
    std::fs::write(&image, &broken).unwrap();
    let out = sscard(&["--reader", &reader(&image), "send", "00A4000C023F00"]);
    let err = failed_cleanly(&out);
    assert!(err.contains("card.json is not a valid card"), "{err}");
    assert!(err.contains("/3F00/DDF1: two children have sfi 5"), "{err}");
    assert_eq!(std::fs::read_to_string(&image).unwrap(), broken);
}

#[test]
fn an_image_with_a_key_id_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let image = personalized_image(dir.path());
    let text = std::fs::read_to_string(&image).unwrap();
    // The MF's test keys are ids 0, 1, 2: make the second one id 0 again.
    let broken = text.replacen("\"id\": 1,", "\"id\": 0,", 1);
    assert_ne!(broken, text, "the image layout changed: fix this test");
    std::fs::write(&image, &broken).unwrap();
    let out = sscard(&["--reader", &reader(&image), "atr"]);
    let err = failed_cleanly(&out);
    assert!(err.contains("key 00 is there twice"), "{err}");
}

#[test]
fn an_empty_sim_path_says_what_is_missing() {
    let out = sscard(&["--reader", "sim:", "atr"]);
    let err = failed_cleanly(&out);
    assert!(
        err.contains("--reader sim: needs the virtual card's image file"),
        "{err}"
    );
}

#[test]
fn a_profile_problem_is_located_as_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("dup.toml");
    let text = std::fs::read_to_string(SSC3).unwrap();
    let broken = text.replacen("sfi = 6", "sfi = 5", 1);
    assert_ne!(broken, text, "the profile layout changed: fix this test");
    std::fs::write(&profile, broken).unwrap();
    let out = sscard(&["profile", "check", profile.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("SFI 5 is already used"))
        .unwrap_or_else(|| panic!("no duplicate-SFI problem: {err}"));
    let rest = line
        .strip_prefix(&format!("{}:", profile.display()))
        .unwrap_or_else(|| panic!("not file:line:column: {line}"));
    let mut parts = rest.splitn(3, ':');
    for what in ["line", "column"] {
        let n = parts.next().unwrap_or_default();
        assert!(
            !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()),
            "{what} is not a number in {line}"
        );
    }
}

#[test]
fn a_malformed_pin_is_described_without_its_digits() {
    let dir = tempfile::tempdir().unwrap();
    let image = personalized_image(dir.path());
    let out = sscard(&[
        "--reader",
        &reader(&image),
        "pin",
        "verify",
        "--profile",
        SSC3,
        "--pin",
        "98ab",
    ]);
    let err = failed_cleanly(&out);
    assert!(
        err.contains("the PIN given is not usable: a PIN is 4 to 16 decimal digits"),
        "{err}"
    );
    assert!(!err.contains("98ab"), "the PIN in the error: {err}");
}

#[test]
fn reading_a_3rd_generation_card_without_the_card_id_names_the_option_read_takes() {
    let dir = tempfile::tempdir().unwrap();
    let image = personalized_image(dir.path());
    // A card (and its profile) that guards EF05 with the read key too: the card
    // identification code cannot be read from the card, so the operator must give it.
    let text = std::fs::read_to_string(&image).unwrap();
    let strict = text.replacen(
        "\"access\": \"0024FFFFFFFF\"",
        "\"access\": \"2A24FFFFFFFF\"",
        1,
    );
    assert_ne!(strict, text, "the image layout changed: fix this test");
    std::fs::write(&image, strict).unwrap();
    let shipped = std::fs::read_to_string(SSC3).unwrap();
    let profile_text = shipped.replacen(
        r#"access = { read = "always", update = "auth:write" }"#,
        r#"access = { read = "auth:read", update = "auth:write" }"#,
        1,
    );
    assert_ne!(
        profile_text, shipped,
        "the profile layout changed: fix this test"
    );
    let profile = dir.path().join("strict.toml");
    std::fs::write(&profile, profile_text).unwrap();
    let out = sscard(&[
        "--reader",
        &reader(&image),
        "read",
        "--profile",
        profile.to_str().unwrap(),
        "--keys",
        KEYS,
    ]);
    let err = failed_cleanly(&out);
    assert!(err.contains("need read key 0A"), "{err}");
    assert!(err.contains("take it from `--record FILE`"), "{err}");
}
