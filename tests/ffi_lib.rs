//! libsscard.so, the field's reader interface, called as existing systems call it: through
//! Python's ctypes (tests/ffi/drive.py), on the in-process virtual card (`sim:` reader). The
//! same library through a real pcscd is tests/pcscd_ffi.rs.

mod ffi_util;

use ffi_util::{card_image, config, drive, lib_path, rc_out, root, set_image};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const CARD_ID: &str = sscard::perso::demo::DEMO_CARD_ID;

/// The demo holder's card number.
fn card_number() -> String {
    let h = sscard::perso::demo::demo_holder();
    h.get("card_number").unwrap().to_string()
}

fn sim(image: &Path) -> String {
    format!("sim:{}", image.display())
}

fn sscard_line(dir: &Path, image: &Path, profile: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env("HOME", dir)
        .args(["--reader", &sim(image), "read", "--profile"])
        .arg(ffi_util::profile_path(profile))
        .args(["--keys", &ffi_util::keys_path(), "--card-id", CARD_ID])
        .args(["--format", "ireadcardbas"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn the_header_declares_exactly_what_the_library_exports() {
    let lib = lib_path();
    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("prerequisite missing: nm (apt-get install -y binutils)");
    assert!(
        nm.status.success(),
        "{}",
        String::from_utf8_lossy(&nm.stderr)
    );
    let exported: BTreeSet<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() == 3 && cols[1] == "T").then(|| cols[2].to_string())
        })
        .collect();
    let header = std::fs::read_to_string(root().join("include/sscard.h")).unwrap();
    let declared: BTreeSet<String> = header
        .lines()
        .filter_map(|l| l.strip_prefix("long "))
        .filter_map(|l| l.split('(').next())
        .map(|n| n.trim().to_string())
        .collect();
    assert_eq!(
        declared,
        exported,
        "include/sscard.h vs nm -D of {}",
        lib.display()
    );
    for f in [
        "iReadCardBas",
        "iReadCard",
        "iWriteCard",
        "iVerifyPIN",
        "iChangePIN",
        "iReloadPIN",
        "iUnblockPIN",
        "iGetReaderInfo",
    ] {
        assert!(exported.contains(f), "{f} is not exported");
    }
}

fn ireadcardbas_as_sscard_read(profile: &str) {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), profile, false);
    let cfg = config(dir.path(), &sim(&image), profile, true, "");
    let expected = sscard_line(dir.path(), &image, profile);
    assert!(expected.contains("|测试一|"), "{expected}");
    let r = drive(
        dir.path(),
        &cfg,
        &[],
        json!([
            ["iReadCardBas", 1],
            ["iReadCardBas", 3],
            ["threads", 4, ["iReadCardBas", 1]]
        ]),
    );
    assert_eq!(rc_out(&r[0]), (0, expected.clone()));
    assert_eq!(
        rc_out(&r[1]),
        (0, expected.clone()),
        "iType 3: contact first"
    );
    // Four threads at once on one reader: each waits for the card and gets the same line.
    for t in r[2]["threads"].as_array().unwrap() {
        assert_eq!(rc_out(t), (0, expected.clone()));
    }
}

#[test]
fn ireadcardbas_through_ctypes_is_the_line_of_sscard_read_2nd_generation() {
    ireadcardbas_as_sscard_read("ssc-2.00");
}

#[test]
fn ireadcardbas_through_ctypes_is_the_line_of_sscard_read_3rd_generation() {
    ireadcardbas_as_sscard_read("ssc-3.00");
}

#[test]
fn a_third_generation_card_without_keys_gives_ef05_and_refuses_ef06() {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-3.00", false);
    let cfg = config(dir.path(), &sim(&image), "ssc-3.00", false, "");
    let r = drive(
        dir.path(),
        &cfg,
        &[],
        json!([
            ["iReadCard", 1, 0, "", "SSSEEF05|01|07|$"],
            ["iReadCard", 1, 0, "", "SSSEEF06|08|$"],
            ["iReadCardBas", 1],
        ]),
    );
    assert_eq!(rc_out(&r[0]), (0, format!("{CARD_ID}|{}|", card_number())));
    for x in &r[1..] {
        let (rc, text) = rc_out(x);
        assert_eq!(rc, -2201, "the read key RKSSSE, no key source: {text}");
        assert!(text.contains("[keys]"), "{text}");
    }
}

#[test]
fn read_and_write_by_file_address_go_through_the_perso_rules() {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-2.00", false);
    let cfg = config(dir.path(), &sim(&image), "ssc-2.00", true, "");
    let addr = "SSSEEF05|01|07|$SSSEEF06|08|09|$";
    let r = drive(
        dir.path(),
        &cfg,
        &[],
        json!([
            ["iReadCard", 1, 0, "", addr],
            ["iWriteCard", 1, "", "SSSEEF06|09|0C|$", "测试二|440783|"],
            ["iReadCard", 1, 0, CARD_ID, "SSSEEF06|09|0C|$"],
            // Another holder's SSN: the perso rule refuses to overwrite someone else's card.
            ["iWriteCard", 1, "", "SSSEEF06|08|$", "110101199003070070|"],
            ["iWriteCard", 1, "", "SSSEEF06|0D|$", "20251345|"],
            ["iWriteCard", 1, "", "SSSEEF06|09|0C|$", "测试三|"],
            ["iReadCard", 1, 0, "", "SSSEEF05|7F|$"],
            ["iReadCard", 1, 0, "", "SSSEEF05|1|$"],
            [
                "iReadCard",
                1,
                0,
                "440700D156000005008A3F21C4E5B600",
                "SSSEEF05|01|$"
            ],
            [
                "iReadCard",
                1,
                0,
                "440700D156000005008A3F21C4E5B6ZZ",
                "SSSEEF05|01|$"
            ],
        ]),
    );
    assert_eq!(
        rc_out(&r[0]),
        (
            0,
            format!("{CARD_ID}|{}|110101199012290016|测试一|", card_number())
        )
    );
    assert_eq!(rc_out(&r[1]), (0, "2|2|".into()), "2 written, 2 verified");
    assert_eq!(rc_out(&r[2]), (0, "测试二|440783|".into()));
    let (rc, text) = rc_out(&r[3]);
    assert_eq!(rc, -22, "{text}");
    assert!(text.contains("another person"), "{text}");
    assert_eq!(rc_out(&r[4]).0, -23, "{}", rc_out(&r[4]).1);
    assert_eq!(rc_out(&r[5]).0, -14, "{}", rc_out(&r[5]).1);
    assert_eq!(rc_out(&r[6]).0, -27267, "{}", rc_out(&r[6]).1);
    assert_eq!(rc_out(&r[7]).0, -14, "{}", rc_out(&r[7]).1);
    assert_eq!(
        rc_out(&r[8]).0,
        -22,
        "another card's id: {}",
        rc_out(&r[8]).1
    );
    assert_eq!(rc_out(&r[9]).0, -20, "{}", rc_out(&r[9]).1);
}

#[test]
fn the_pin_functions_give_tries_left_blocked_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-3.00", false);
    let cfg = config(dir.path(), &sim(&image), "ssc-3.00", true, "");
    let r = drive(
        dir.path(),
        &cfg,
        &[("SSCARD_PIN", "123456"), ("SSCARD_NEW_PIN", "222222")],
        json!([
            ["iVerifyPINK", 1, "123456"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "123456"],
            ["iUnblockPIN", 1, CARD_ID],
            ["iVerifyPIN", 1],
            ["iChangePINK", 1, "123456", "123456"],
            ["iChangePINK", 1, "123456", "654321"],
            ["iVerifyPINK", 1, "654321"],
            ["iReloadPIN", 1, CARD_ID],
            ["iChangePIN", 1],
            ["iVerifyPINK", 1, "222222"],
            ["iVerifyPINK", 1, "12"],
        ]),
    );
    let codes: Vec<i64> = r.iter().map(|x| rc_out(x).0).collect();
    assert_eq!(
        codes,
        vec![0, -51, -51, -52, -52, 0, 0, -36, 0, 0, 0, 0, 0, -33],
        "{r:#?}"
    );
    assert!(rc_out(&r[1]).1.contains("剩余2次"), "{}", rc_out(&r[1]).1);
    assert!(rc_out(&r[2]).1.contains("剩余1次"), "{}", rc_out(&r[2]).1);
    assert!(
        rc_out(&r[3]).1.starts_with("PIN锁定"),
        "{}",
        rc_out(&r[3]).1
    );
}

#[test]
fn refusals_have_the_documented_codes() {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-2.00", false);
    let reader = sim(&image);
    let cfg = config(dir.path(), &reader, "ssc-2.00", false, "");
    let r = drive(
        dir.path(),
        &cfg,
        &[],
        json!([
            ["iReadCardBas", 2],
            ["iReadCardBas", 7],
            ["null:iReadCardBas", 1],
            ["null:iGetReaderInfo"],
            ["iReadCard", 1, 0, "", null],
            ["iWriteCard", 1, "", "SSSEEF06|0C|$", "440783|"],
            ["iVerifyPINK", 1, "123456"],
            ["iGetReaderInfo"],
        ]),
    );
    let codes: Vec<i64> = r.iter().map(|x| rc_out(x).0).collect();
    assert_eq!(codes, vec![-13, -14, -14, -14, -14, -2201, 0, 0], "{r:#?}");
    assert!(rc_out(&r[4]).1.contains("pFileAddr"), "{}", rc_out(&r[4]).1);
    assert_eq!(
        r[7]["out"],
        json!(["FFFFFFFFFFFFFF", "000000000000"]),
        "the default terminal numbers"
    );

    // No profile configured: the library says what to set.
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, format!("reader = \"{reader}\"\n")).unwrap();
    let r = drive(dir.path(), &bare, &[], json!([["iReadCardBas", 1]]));
    let (rc, text) = rc_out(&r[0]);
    assert_eq!(rc, -5);
    assert!(text.contains("profile"), "{text}");
    // Configured terminal numbers from the environment.
    let r = drive(
        dir.path(),
        &cfg,
        &[
            ("SSCARD_TERMINAL_NO", "123456789012"),
            ("SSCARD_TERMINAL_DEVICE", "RDR00000000001"),
        ],
        json!([["iGetReaderInfo"], ["iReadCardBas", 1]]),
    );
    assert_eq!(r[0]["out"], json!(["RDR00000000001", "123456789012"]));
    assert!(
        rc_out(&r[1]).1.ends_with("|123456789012|RDR00000000001|"),
        "{}",
        rc_out(&r[1]).1
    );
}

#[test]
fn a_disabled_application_and_a_failing_chip_have_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-2.00", false);
    let cfg = config(dir.path(), &sim(&image), "ssc-2.00", true, "");
    set_image(
        &image,
        "faults",
        json!({"memory_failure": ["3F00/DDF1/EF06"]}),
    );
    let r = drive(dir.path(), &cfg, &[], json!([["iReadCardBas", 1]]));
    let (rc, text) = rc_out(&r[0]);
    assert_eq!(rc, -0x6581, "memory failure 6581: {text}");
    set_image(&image, "faults", json!({}));
    let disabled = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env("HOME", dir.path())
        .args(["--reader", &sim(&image), "disable", "--profile"])
        .arg(ffi_util::profile_path("ssc-2.00"))
        .args(["--keys", &ffi_util::keys_path(), "--record"])
        .arg(holder(dir.path()))
        .output()
        .unwrap();
    assert!(
        disabled.status.success(),
        "{}",
        String::from_utf8_lossy(&disabled.stderr)
    );
    let r = drive(
        dir.path(),
        &cfg,
        &[],
        json!([["iReadCardBas", 1], ["iVerifyPINK", 1, "123456"]]),
    );
    for x in &r {
        let (rc, text) = rc_out(x);
        assert_eq!(rc, -27265, "{text}");
        assert!(text.contains("disabled"), "{text}");
    }
}

fn holder(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("holder.json");
    let h = sscard::perso::demo::demo_holder();
    let fields: serde_json::Map<String, serde_json::Value> = [
        "ssn",
        "name",
        "sex",
        "ethnicity",
        "birth_place",
        "birth_date",
        "card_id",
        "init_org",
        "card_number",
        "issue_date",
    ]
    .iter()
    .map(|k| (k.to_string(), json!(h.get(k).unwrap())))
    .collect();
    std::fs::write(&p, serde_json::Value::Object(fields).to_string()).unwrap();
    p
}
