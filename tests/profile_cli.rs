//! `sscard profile check|show|fingerprint` as an operator runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles")
}

fn sscard(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .arg("profile")
        .args(args)
        .args(files)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn check_passes_the_shipped_profiles() {
    let files: Vec<PathBuf> = [
        "ssc-1.00.toml",
        "ssc-2.00.toml",
        "ssc-3.00.toml",
        "iso7816-demo.toml",
    ]
    .iter()
    .map(|n| dir().join(n))
    .collect();
    let out = sscard(&["check"], &files);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches(": ok (").count(), 4);
}

#[test]
fn check_reports_every_problem_of_every_file_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(dir().join("ssc-3.00.toml")).unwrap();
    let bad1 = tmp.path().join("bad1.toml");
    std::fs::write(
        &bad1,
        good.replace("sfi = 6", "sfi = 31")
            .replace("update = \"auth:write\" }", "update = \"auth:wrte\" }"),
    )
    .unwrap();
    let bad2 = tmp.path().join("bad2.toml");
    std::fs::write(&bad2, good.replace("records = 7", "recrods = 7")).unwrap();
    let out = sscard(
        &["check"],
        &[bad1.clone(), dir().join("ssc-3.00.toml"), bad2.clone()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bad1.toml:"), "{err}");
    assert!(err.contains("SFI 31 is outside 1 to 30"), "{err}");
    assert_eq!(
        err.matches("no key named 'wrte'").count(),
        3,
        "EF05, EF06 and EF08: {err}"
    );
    assert!(
        err.contains("bad2.toml:") && err.contains("recrods"),
        "{err}"
    );
    assert!(err.contains("2 of 3 profile(s) have problems"), "{err}");
    assert!(text(&out.stdout).contains("ssc-3.00.toml: ok"));
}

#[test]
fn show_prints_the_tree_with_labels_sizes_and_access() {
    let out = sscard(&["show"], &[dir().join("ssc-3.00.toml")]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for want in [
        "DF ssse  社会保障系统环境 SSSE  FID DDF1  AID 7378312E73682EC9E7BBE1B1A3D5CF (\"sx1.sh.社会保障\")",
        "EF ef06  持卡人基本信息  FID EF06  SFI 6  linear-variable, 7 records of up to 32 bytes",
        "access: read auth:read (2A), update auth:write (24); others never",
        "key 04 write (external-auth, SM4, diversified by card-id-last8, 15 tries)",
        "key 0D regional (external-auth, SM4, diversified by card-id-last8, 15 tries)",
        "EF ef05  发卡机构数据  FID EF05  SFI 5  linear-variable, 7 records of up to 18 bytes",
        "access: read always, update auth:write (24); others never",
        "access: read always, update auth:regional (2D); others never",
        "社会保障号码  [check ssn]",
        "continues name",
        "fingerprint sha256:",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
}

#[test]
fn fingerprint_prints_both_hashes() {
    let out = sscard(&["fingerprint"], &[dir().join("ssc-3.00.toml")]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 2, "{s}");
    assert!(
        lines[0].starts_with("sha256 ") && lines[0].len() == 7 + 64,
        "{s}"
    );
    assert!(
        lines[1].starts_with("sm3    ") && lines[1].len() == 7 + 64,
        "{s}"
    );
    let canon = sscard(
        &["fingerprint", "--canonical"],
        &[dir().join("ssc-3.00.toml")],
    );
    assert!(text(&canon.stdout).starts_with("sscard-profile-structure v1\n"));
}

#[test]
fn check_recognises_a_key_file() {
    let out = sscard(&["check"], &[dir().join("test-keys.toml")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("looks like a key file"),
        "{}",
        text(&out.stderr)
    );
}
