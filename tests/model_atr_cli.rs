//! `sscard atr --atr HEX`: no card needed.

use std::process::Command;

fn sscard(args: &[&str], list: Option<&std::path::Path>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.args(args).env_remove("SSCARD_READER");
    match list {
        Some(p) => c.env("SSCARD_SMARTCARD_LIST", p),
        None => c.env("SSCARD_SMARTCARD_LIST", "/nonexistent/smartcard_list.txt"),
    };
    let out = c.output().expect("the sscard binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const VICC: &str = "3B 95 13 81 01 80 73 FF 01 00 0B";

#[test]
fn human_breakdown_with_names_from_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("smartcard_list.txt");
    std::fs::write(
        &list,
        "# test list\n3B 95 13 81 01 80 73 FF 01 .. 0B\n\tSynthetic vicc entry\n\tsecond line\n\n3B 00\n\tother\n",
    )
    .unwrap();
    let (code, out, err) = sscard(&["atr", "--atr", VICC], Some(&list));
    assert_eq!(code, 0, "stderr: {err}");
    assert!(
        out.contains("TA1  13  Fi=372 Di=4 fmax=5 MHz: 38400 bit/s at 3.57 MHz"),
        "{out}"
    );
    assert!(out.contains("TCK  0B  correct"), "{out}");
    assert!(
        out.contains("card name   Synthetic vicc entry\n            second line\n"),
        "{out}"
    );
    assert!(!out.contains("other"), "{out}");
}

#[test]
fn json_output() {
    let (code, out, err) = sscard(
        &[
            "atr",
            "--json",
            "--atr",
            "3b:6e:00:00:80:31:80:66:b0:84:12:01:6e:01:83:00:90:00",
        ],
        None,
    );
    assert_eq!(code, 0, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["atr"]["protocols"], serde_json::json!([0]));
    assert_eq!(v["atr"]["tck"], serde_json::Value::Null);
    assert_eq!(v["atr"]["clock"]["bit_rate_default_clock"], 9600);
    assert_eq!(v["reader"], serde_json::Value::Null);
    // The list file does not exist: no names, and JSON says so with null.
    assert_eq!(v["names"], serde_json::Value::Null);
}

#[test]
fn malformed_atr_is_one_line_naming_the_byte() {
    let (code, out, err) = sscard(&["atr", "--atr", "3B 95 13 81 01 80 73 FF 01 00 0C"], None);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("TCK (byte 10) is 0C but should be 0B"),
        "{err}"
    );
    let (code, _, err) = sscard(&["atr", "--atr", "3B 9"], None);
    assert_eq!(code, 1);
    assert!(err.contains("not valid hex"), "{err}");
}
