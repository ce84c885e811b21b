//! The station commands as an operator runs them, on the in-process virtual card
//! (`--reader sim:IMAGE`): demo, perso --dry-run, read, verify, pin, disable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sscard(image: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .env_remove("SSCARD_PIN")
        .env_remove("SSCARD_NEW_PIN")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
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

/// The header line of a holder CSV file.
macro_rules! csv_header {
    () => {
        "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n"
    };
}

/// `sscard VERB --profile P --record RECORD --keys K EXTRA...` (shipped profile, test keys).
fn with_record(image: &Path, verb: &str, record: &str, extra: &[&str]) -> Output {
    let (p, k) = (profile(), keys());
    let mut a = vec![verb, "--profile", &p, "--record", record, "--keys", &k];
    a.extend_from_slice(extra);
    sscard(image, &a)
}

/// `sscard read --profile P --keys K --card-id CARD_ID EXTRA...`.
fn read_keyed(image: &Path, extra: &[&str]) -> Output {
    let (p, k) = (profile(), keys());
    let mut a = vec!["read", "--profile", &p, "--keys", &k, "--card-id", CARD_ID];
    a.extend_from_slice(extra);
    sscard(image, &a)
}

fn demo_card(dir: &Path) -> PathBuf {
    let image = dir.join("card.json");
    let out = sscard(&image, &["demo", "--image", image.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("ENABLED") && t.contains("iReadCardBas: 440700|"),
        "{t}"
    );
    image
}

#[test]
fn read_of_the_demo_card_matches_the_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo_card(dir.path());
    let p = profile();
    let out = read_keyed(&image, &["--format", "ireadcardbas"]);
    assert!(out.status.success(), "{}", text(&out));
    let want =
        std::fs::read_to_string(root().join("tests/snapshots/ireadcardbas-ssc-3.00.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    let out = read_keyed(&image, &["--json"]);
    let want = std::fs::read_to_string(root().join("tests/snapshots/read-ssc-3.00.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    // Without keys, 3rd-generation reading shows what the card gives and says which
    // elements need which key.
    let out = sscard(&image, &["read", "--profile", &p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{}",
        text(&out)
    );
}

#[test]
fn pin_tries_block_unblock_and_change() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo_card(dir.path());
    let p = profile();
    let pin = |args: &[&str]| {
        let mut a = vec!["pin"];
        a.extend_from_slice(args);
        sscard(&image, &a)
    };
    let o = pin(&["status", "--profile", &p]);
    assert!(text(&o).contains("3 tries left"), "{}", text(&o));
    let o = pin(&["verify", "--profile", &p, "--pin", "999999"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("2 tries left"), "{}", text(&o));
    assert!(!text(&o).contains("999999"), "PIN printed: {}", text(&o));
    for _ in 0..2 {
        pin(&["verify", "--profile", &p, "--pin", "999999"]);
    }
    let o = pin(&["status", "--profile", &p]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("BLOCKED"), "{}", text(&o));
    let k = keys();
    let o = pin(&[
        "unblock",
        "--profile",
        &p,
        "--keys",
        &k,
        "--card-id",
        CARD_ID,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 tries left"), "{}", text(&o));
    let o = pin(&[
        "change",
        "--profile",
        &p,
        "--pin",
        "123456",
        "--new-pin",
        "246810",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = pin(&["verify", "--profile", &p, "--pin", "246810"]);
    assert!(text(&o).contains("PIN correct"), "{}", text(&o));
}

#[test]
fn dry_run_masks_the_pin_and_bad_records_list_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("untouched.json");
    let p = profile();
    let rec = dir.path().join("h.csv");
    std::fs::write(
        &rec,
        concat!(
            csv_header!(),
            "110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n"
        ),
    )
    .unwrap();
    let out = sscard(
        &image,
        &[
            "perso",
            "--profile",
            &p,
            "--record",
            rec.to_str().unwrap(),
            "--dry-run",
        ],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("80 D4 00 00 06 10 00 03 <PIN 3 bytes>"), "{t}");
    assert!(!t.contains("12 34 56"), "PIN in the plan: {t}");
    assert!(t.contains("40 APDUs"), "{t}");
    assert!(!image.exists(), "a dry run touches no card");
    std::fs::write(
        &rec,
        concat!(
            csv_header!(),
            "110101199012290017,测试一,3,01,440782,19901329,440700D156000005008A3F21C4E5B607,440700000000000000000001,A000000012,20250101\n"
        ),
    )
    .unwrap();
    let out = sscard(
        &image,
        &[
            "perso",
            "--profile",
            &p,
            "--record",
            rec.to_str().unwrap(),
            "--keys",
            &keys(),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for f in ["(ssn)", "(sex)", "(birth_date)", "(card_number)", "line 2"] {
        assert!(t.contains(f), "{f} missing: {t}");
    }
    assert!(!image.exists(), "an invalid record touches no card");
}

#[test]
fn verify_and_disable_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo_card(dir.path());
    let (p, k) = (profile(), keys());
    let rec = dir.path().join("h.json");
    std::fs::write(
        &rec,
        format!(
            r#"[{{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
                "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
                "init_org": "440700000000000000000001", "card_number": "A00000003",
                "issue_date": "20250101"}}]"#
        ),
    )
    .unwrap();
    let r = rec.to_str().unwrap();
    let out = with_record(&image, "verify", r, &[]);
    assert!(out.status.success(), "{}", text(&out));
    // Same holder again: nothing written.
    let out = with_record(&image, "perso", r, &[]);
    assert!(text(&out).contains("nothing written"), "{}", text(&out));
    let out = sscard(
        &image,
        &["disable", "--profile", &p, "--keys", &k, "--record", r],
    );
    assert!(
        text(&out).contains("is disabled (SELECT answers 6283)"),
        "{}",
        text(&out)
    );
    let out = with_record(&image, "verify", r, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("replacement card"), "{}", text(&out));
}

#[test]
fn a_file_of_several_records_needs_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let (p, k) = (profile(), keys());
    let out = sscard(
        &image,
        &["init", "--profile", &p, "--keys", &k, "--card-id", CARD_ID],
    );
    assert!(out.status.success(), "{}", text(&out));
    let rec = dir.path().join("batch.csv");
    std::fs::write(
        &rec,
        concat!(
            csv_header!(),
            "110101199003070011,测试二,1,01,110101,19900307,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000011,20250101\n\
         110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n"
        ),
    )
    .unwrap();
    let r = rec.to_str().unwrap();
    let out = with_record(&image, "perso", r, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--index N (1 to 2)"), "{}", text(&out));
    let out = with_record(&image, "perso", r, &["--index", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("测试一 110101199012290016"),
        "{}",
        text(&out)
    );
    let out = with_record(&image, "verify", r, &["--index", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("verification failed"), "{}", text(&out));
}
