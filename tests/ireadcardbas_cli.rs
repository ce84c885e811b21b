//! `sscard read --format ireadcardbas`: the name field is tag 09 followed by tag 4E, the
//! terminal number and device number come from `--terminal-no` / `--terminal-device`
//! (checked before the card is touched), defaults `000000000000` / `FFFFFFFFFFFFFF`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
/// 16 characters, 32 GBK bytes: 15 fit tag 09 (30 bytes), the last goes to tag 4E.
const LONG_NAME: &str = "欧阳测试一二三四五六七八九十甲乙";

fn file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn sscard(image: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_ok(image: &Path, args: &[&str]) -> String {
    let o = sscard(image, args);
    assert!(
        o.status.success(),
        "sscard {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A 2nd-generation card (readable without keys) personalized with a name over 30 bytes.
fn long_name_card(dir: &Path) -> PathBuf {
    let image = dir.join("card.json");
    let record = dir.join("holder.json");
    std::fs::write(
        &record,
        format!(
            r#"{{"ssn": "110101199012290016", "name": "{LONG_NAME}", "sex": "1",
                "ethnicity": "01", "birth_place": "440782", "birth_date": "19901229",
                "card_id": "{CARD_ID}", "init_org": "440700000000000000000001",
                "card_number": "A00000003", "issue_date": "20250101"}}"#
        ),
    )
    .unwrap();
    let (p, k) = (
        file("card-profiles/ssc-2.00.toml"),
        file("card-profiles/test-keys.toml"),
    );
    let r = record.display().to_string();
    stdout_ok(
        &image,
        &["init", "--profile", &p, "--keys", &k, "--card-id", CARD_ID],
    );
    stdout_ok(
        &image,
        &["perso", "--profile", &p, "--record", &r, "--keys", &k],
    );
    image
}

fn read_line(image: &Path, extra: &[&str]) -> Output {
    let p = file("card-profiles/ssc-2.00.toml");
    let mut args = vec!["read", "--profile", &p, "--format", "ireadcardbas"];
    args.extend_from_slice(extra);
    sscard(image, &args)
}

#[test]
fn the_name_is_tag_09_then_tag_4e_and_the_terminal_fields_are_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let image = long_name_card(dir.path());
    // The card holds the name split over the two tags.
    let p = file("card-profiles/ssc-2.00.toml");
    let table = stdout_ok(&image, &["read", "--profile", &p]);
    assert!(
        table.contains("EF06 09  姓名            欧阳测试一二三四五六七八九十甲\n"),
        "{table}"
    );
    assert!(table.contains("EF06 4E  姓名扩展        乙\n"), "{table}");

    let o = read_line(&image, &[]);
    assert!(o.status.success());
    let line = String::from_utf8(o.stdout).unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 12, "11 fields and the trailing |: {line}");
    assert_eq!(fields[4], LONG_NAME, "{line}");
    assert_eq!((fields[9], fields[10]), ("000000000000", "FFFFFFFFFFFFFF"));

    let o = read_line(
        &image,
        &[
            "--terminal-no",
            "4407000000ab",
            "--terminal-device",
            "RD2026A0000017",
        ],
    );
    assert!(o.status.success());
    let line = String::from_utf8(o.stdout).unwrap();
    assert!(
        line.ends_with(&format!(
            "|{LONG_NAME}|8031C073F0210066737363617264|2.00|20250101|20350101|4407000000AB|RD2026A0000017|\n"
        )),
        "{line}"
    );
}

#[test]
fn bad_terminal_fields_are_refused_before_the_card_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("never.json");
    for (flag, value, why) in [
        ("--terminal-no", "12345", "12 characters are needed"),
        ("--terminal-no", "12345678901G", "character 12 ('G')"),
        ("--terminal-device", "RD|2026A000001", "character 3 ('|')"),
        ("--terminal-device", "FFFF", "14 characters are needed"),
    ] {
        let o = read_line(&image, &[flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(flag) && err.contains(why), "{err}");
        assert!(!image.exists(), "no card was opened");
    }
}
