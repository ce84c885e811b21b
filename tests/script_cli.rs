//! `sscard run` as a user runs it, on the in-process virtual card (`--reader sim:PATH`):
//! exit codes, --check, --keep-going, --json, --block, --set/--vars, and secrets that never
//! show (not even with --trace).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shipped(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("apdu-scripts")
        .join(name)
        .display()
        .to_string()
}

fn sscard(image: &Path, args: &[&str]) -> Output {
    let reader = format!("sim:{}", image.display());
    let mut all = vec!["--reader", reader.as_str()];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(&all)
        .env_remove("SSCARD_READER")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn demo(dir: &tempfile::TempDir) -> PathBuf {
    let image = dir.path().join("card.json");
    let o = sscard(&image, &["run", &shipped("ssc-build-demo.apdu")]);
    assert!(o.status.success(), "{:?}", text(&o));
    image
}

#[test]
fn the_card_image_keeps_what_a_script_built_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo(&dir);
    let o = sscard(&image, &["run", &shipped("ssc-read-by-record-number.apdu")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("card number D12345676\n"), "{out}");
    assert!(
        out.ends_with("== 15 exchange(s), 15 expectation(s) met, 0 not met\n"),
        "{out}"
    );
}

#[test]
fn set_and_vars_feed_the_build_and_the_check_refuses_bad_values_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let record = dir.path().join("record.json");
    // A holder record as `sscard perso` takes it: text name, cn dates, a shorter card number.
    std::fs::write(
        &record,
        r#"{"card_number": "JB0001", "ssn": "110101199012290016", "name": "测试二",
            "birth_place": "440700", "issue_date": "20250101"}"#,
    )
    .unwrap();
    let vars = record.display().to_string();
    let build = shipped("ssc-build-demo.apdu");
    // A card number too long for its element: refused by the check, no image is created.
    let too_long = [
        "run",
        "--vars",
        &vars,
        "--set",
        "CARD_NUMBER=JB00000001X",
        &build,
    ];
    let o = sscard(&image, &too_long);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("ssc-build-demo.apdu:")
            && err.ends_with(
                "variable ${CARD_NUMBER}: its value is 11 bytes as ascii, more than the 9 of its place\n"
            ),
        "{err}"
    );
    assert!(!image.exists(), "nothing may be sent when the check fails");
    let o = sscard(&image, &["run", "--vars", &vars, &build]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = sscard(&image, &["run", &shipped("ssc-read-by-record-number.apdu")]);
    let (out, _) = text(&o);
    assert!(out.contains("card number JB0001\n"), "{out}");
    assert!(out.contains("name 测试二\n"), "{out}");
    assert!(out.contains("issued 20250101,"), "{out}");
    assert!(out.contains(" in 440700\n"), "{out}");
    // an, right-padded with 00 to 9 bytes.
    assert!(
        out.contains("< 07 09 4A 42 30 30 30 31 00 00 00 90 00"),
        "{out}"
    );
}

#[test]
fn check_only_sends_nothing_and_unknown_variables_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let o = sscard(&image, &["run", "--check", &shipped("sim-enable.apdu")]);
    assert!(o.status.success());
    assert!(
        text(&o)
            .0
            .ends_with("sim-enable.apdu: top level OK, nothing sent; blocks: disable, enable\n"),
        "{:?}",
        text(&o)
    );
    let s = dir.path().join("s.apdu");
    std::fs::write(&s, "00A4000C023F00\n00 A4 00 0C 02 ${FID}\n").unwrap();
    let o = sscard(&image, &["run", &s.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o).1,
        format!(
            "sscard: error: {}:2:16: unknown variable ${{FID}}: give it with --set FID=VALUE, --vars FILE, a `set` line, or capture it from an earlier response\n",
            s.display()
        )
    );
    assert!(!image.exists());
}

#[test]
fn keep_going_counts_and_json_reports_for_machines() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo(&dir);
    let s = dir.path().join("s.apdu");
    std::fs::write(
        &s,
        format!(
            "include {}\n00 B2 01 2C 12 -> 01 10 * 9000\n00 B2 02 2C 03 -> 02 01 32 9000\n00 B2 09 2C 03 -> 9000\n",
            shipped("lib/select-ssse.apdu")
        ),
    )
    .unwrap();
    let script = s.display().to_string();
    let o = sscard(&image, &["run", "--keep-going", &script]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.contains(&format!("!! {script}:3: expectation not met")),
        "{out}"
    );
    assert!(
        out.contains("data byte 3 (offset 2): expected 32, got 31"),
        "{out}"
    );
    assert!(
        out.ends_with("== 4 exchange(s), 2 expectation(s) met, 2 not met\n"),
        "{out}"
    );

    let o = sscard(&image, &["run", "--keep-going", "--json", &script]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["passed"], false);
    assert_eq!(v["exchanges"], 4);
    assert_eq!(v["failures"].as_array().unwrap().len(), 2);
    assert_eq!(v["events"][3]["sw"], "6A83");
    assert_eq!(v["events"][3]["at"]["line"], 4);
}

#[test]
fn secrets_never_show_even_with_trace() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo(&dir);
    let s = dir.path().join("pin.apdu");
    std::fs::write(
        &s,
        format!(
            "include {}\n00 20 00 00 03 ${{PIN}} -> 9000\n00 D6 00 00 03 ${{OTHER}} -> ????\necho pin ${{PIN}} other ${{OTHER}}\n",
            shipped("lib/select-ssse.apdu")
        ),
    )
    .unwrap();
    let o = sscard(
        &image,
        &[
            "--trace",
            "run",
            "--set",
            "PIN=123456",
            "--secret",
            "OTHER=A1B2C3",
            &s.display().to_string(),
        ],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for leak in ["123456", "12 34 56", "A1 B2 C3", "A1B2C3"] {
        assert!(
            !out.contains(leak) && !err.contains(leak),
            "{leak} leaked:\n{out}\n{err}"
        );
    }
    assert!(
        out.contains("> 00 20 00 00 03 ******\n< 90 00 : success"),
        "{out}"
    );
    assert!(out.contains("pin ****** other ******\n"), "{out}");
    assert!(err.contains("--trace is off for this run"), "{err}");
}

#[test]
fn a_script_on_standard_input_as_scriptor_reads_it() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(["--reader", &format!("sim:{}", image.display()), "run", "-"])
        .env_remove("SSCARD_READER")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"00 A4 00 0C 02 3F 00\n00A4000C027F7F -> 9000\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.starts_with("> 00 A4 00 0C 02 3F 00\n< 90 00 : success\n"),
        "{out}"
    );
    assert!(
        err.starts_with("sscard: error: <stdin>:2: expectation not met"),
        "{err}"
    );
}
