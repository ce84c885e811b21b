//! Hostile text: control characters and `|` in holder fields, duplicate keys, card data with
//! control characters, script secrets whatever their names, BOMs, non-UTF-8 files, parser
//! jargon and follow-on errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn profile() -> String {
    root()
        .join("card-profiles/ssc-3.00.toml")
        .display()
        .to_string()
}

fn keys() -> String {
    root()
        .join("card-profiles/test-keys.toml")
        .display()
        .to_string()
}

fn sscard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn record(name: &str, card_number: &str) -> String {
    format!(
        r#"{{ "ssn": "110101199012290016", "name": "{name}", "sex": "1", "ethnicity": "01",
  "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
  "card_number": "{card_number}", "init_org": "440700000000000000000001",
  "issue_date": "20250101" }}"#
    )
}

fn dry_run(dir: &Path, rec: &str) -> Output {
    let path = dir.join("h.json");
    std::fs::write(&path, rec).unwrap();
    let (p, k) = (profile(), keys());
    let image = format!("sim:{}", dir.join("card.json").display());
    sscard(&[
        "--reader",
        &image,
        "perso",
        "--profile",
        &p,
        "--keys",
        &k,
        "--record",
        path.to_str().unwrap(),
        "--dry-run",
    ])
}

/// No raw control character reaches the operator's terminal.
fn no_raw_controls(o: &Output) {
    let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    assert!(
        !all.iter().any(|b| *b == 0x1B || *b == 0x07),
        "raw control bytes in the output: {}",
        text(o)
    );
}

#[test]
fn control_characters_and_bars_in_holder_text_are_refused_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(dry_run(d, &record("测试一", "A00000003")).status.success());
    let out = dry_run(d, &record("测\\u001b[2J一", "A00000003"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("U+001B (a control character) at position 2"),
        "{}",
        text(&out)
    );
    no_raw_controls(&out);
    let out = dry_run(d, &record("测试|一", "A00000003"));
    assert!(text(&out).contains("'|' at position 3"), "{}", text(&out));
    assert!(text(&out).contains("iReadCardBas"), "{}", text(&out));
    let out = dry_run(d, &record("测试一", "A0000\\u0007003"));
    assert!(text(&out).contains("U+0007"), "{}", text(&out));
    no_raw_controls(&out);
    let out = dry_run(d, &record("测试\\u009b一", "A00000003"));
    assert!(text(&out).contains("U+009B"), "{}", text(&out));
}

#[test]
fn duplicate_keys_are_refused_in_records_profiles_key_files_and_images() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rec = record("测试一", "A00000003").replacen(
        "\"sex\": \"1\"",
        "\"sex\": \"1\", \"ssn\": \"110101199003070011\"",
        1,
    );
    let out = dry_run(d, &rec);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("\"ssn\" appears twice"),
        "{}",
        text(&out)
    );

    let p = std::fs::read_to_string(profile()).unwrap();
    let dup = p.replacen("fid = \"DDF1\"", "fid = \"DDF1\"\nfid = \"DDF2\"", 1);
    let f = d.join("dup.toml");
    std::fs::write(&f, dup).unwrap();
    let out = sscard(&["profile", "check", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).to_lowercase().contains("duplicate"),
        "{}",
        text(&out)
    );

    let k = std::fs::read_to_string(keys()).unwrap();
    let line = k.lines().find(|l| l.starts_with("sm4 = ")).unwrap();
    let dup = k.replacen(line, &format!("{line}\n{line}"), 1);
    let kf = d.join("keys.toml");
    std::fs::write(&kf, dup).unwrap();
    let image = format!("sim:{}", d.join("c.json").display());
    let out = sscard(&[
        "--reader",
        &image,
        "init",
        "--profile",
        &profile(),
        "--keys",
        kf.to_str().unwrap(),
        "--card-id",
        CARD_ID,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).to_lowercase().contains("duplicate"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("542D"), "no key bytes: {}", text(&out));

    let img = d.join("img.json");
    let out = sscard(&["--reader", &format!("sim:{}", img.display()), "atr"]);
    assert!(out.status.success(), "{}", text(&out));
    let j = std::fs::read_to_string(&img)
        .unwrap()
        .replacen('{', "{\"atr\": \"3B00\",", 1);
    std::fs::write(&img, &j).unwrap();
    let out = sscard(&["--reader", &format!("sim:{}", img.display()), "atr"]);
    assert!(
        text(&out).contains("\"atr\" appears twice"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&img).unwrap(), j, "left untouched");
}

#[test]
fn card_data_with_control_characters_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let reader = format!("sim:{}", image.display());
    let out = sscard(&[
        "--reader",
        &reader,
        "demo",
        "--image",
        image.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // Another tool wrote ESC [ 2 J into the name (GBK of 测试 replaced).
    let j = std::fs::read_to_string(&image).unwrap();
    assert!(j.contains("B2E2CAD4"), "the demo name in the image");
    std::fs::write(&image, j.replacen("B2E2CAD4", "1B5B324A", 1)).unwrap();
    let (p, k) = (profile(), keys());
    let out = sscard(&[
        "--reader",
        &reader,
        "read",
        "--profile",
        &p,
        "--keys",
        &k,
        "--card-id",
        CARD_ID,
    ]);
    no_raw_controls(&out);
    assert!(text(&out).contains("\\x1B[2J"), "{}", text(&out));
    let out = sscard(&[
        "--reader",
        &reader,
        "read",
        "--profile",
        &p,
        "--keys",
        &k,
        "--card-id",
        CARD_ID,
        "--format",
        "ireadcardbas",
    ]);
    no_raw_controls(&out);
}

#[test]
fn script_values_used_as_pins_or_keys_are_masked_whatever_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let image = d.join("card.json");
    let reader = format!("sim:{}", image.display());
    let out = sscard(&[
        "--reader",
        &reader,
        "demo",
        "--image",
        image.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // A BOM first (accepted like in profiles and records); names that say nothing secret.
    let script = d.join("s.apdu");
    std::fs::write(
        &script,
        "\u{FEFF}set PASSCODE = 123456\n\
         echo code ${PASSCODE}\n\
         set COPY = ${PASSCODE}\n\
         echo copy ${COPY}\n\
         echo new ${NEWPIN} and ${RKSSSE}\n\
         00 A4 04 0C 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF -> 9000\n\
         00 20 00 00 03 ${PASSCODE} -> 9000\n\
         00 24 00 00 06 ${PASSCODE} ${NEWPIN} -> 9000\n\
         00 84 00 00 08 -> * 9000\n\
         00 82 00 0A 10 ${RKSSSE} -> 6300 | 63C? | 6982 | 6985 | 6A88 | 9000\n",
    )
    .unwrap();
    let out = sscard(&[
        "--reader",
        &reader,
        "run",
        "--set",
        "NEWPIN=654321",
        "--set",
        "RKSSSE=00112233445566778899AABBCCDDEEFF",
        script.to_str().unwrap(),
    ]);
    let t = text(&out);
    assert!(t.contains("code ******"), "{t}");
    assert!(t.contains("copy ******"), "{t}");
    for secret in ["123456", "654321", "00112233", "00 11 22 33"] {
        assert!(!t.contains(secret), "{secret} shown: {t}");
    }
    // Not UTF-8: the line and the byte.
    let gbk = d.join("gbk.apdu");
    std::fs::write(&gbk, b"echo ok\necho \xB2\xE2\n").unwrap();
    let out = sscard(&["--reader", &reader, "run", gbk.to_str().unwrap()]);
    assert!(
        text(&out).contains("line 2, byte 6 (0xB2)"),
        "{}",
        text(&out)
    );
}

#[test]
fn parser_messages_have_no_rust_type_names_and_no_follow_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = std::fs::read_to_string(profile()).unwrap();
    let big = d.join("big.toml");
    std::fs::write(
        &big,
        p.replacen("max_tries = 3", "max_tries = 99999999999999999999999", 1),
    )
    .unwrap();
    let bad_id = d.join("id.toml");
    std::fs::write(&bad_id, p.replacen("id = 0x01", "id = 0x1FF", 1)).unwrap();
    let img = d.join("img.json");
    let out = sscard(&["--reader", &format!("sim:{}", img.display()), "atr"]);
    assert!(out.status.success());
    let j = std::fs::read_to_string(&img).unwrap();
    std::fs::write(
        &img,
        j.replacen('{', "{\"faults\": {\"delay_ms\": 1e12},", 1),
    )
    .unwrap();
    let outs = [
        sscard(&["profile", "check", big.to_str().unwrap()]),
        sscard(&["--reader", &format!("sim:{}", img.display()), "atr"]),
        sscard(&["profile", "check", bad_id.to_str().unwrap()]),
    ];
    let re = ["i128", "i64", "u64", "u8", "usize", "struct ", "enum "];
    for o in &outs {
        assert_eq!(o.status.code(), Some(1), "{}", text(o));
        for r in re {
            assert!(!text(o).contains(r), "{r} in: {}", text(o));
        }
    }
    let t = text(&outs[2]);
    assert!(t.contains("511 is out of range"), "{t}");
    assert!(
        t.contains("1 problem(s)"),
        "the bad id alone, no follow-on: {t}"
    );
}
