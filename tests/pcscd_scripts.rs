//! The shipped scripts through a real private pcscd, against our virtual card behind vpcd
//! (`sscard sim --vpcd`), run by the `sscard run` binary as a station would. And scriptor
//! compatibility: pcsc-tools' own `scriptor` and `sscard run` send the same APDUs to the same
//! card and print the same exchanges.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, stdout};
use std::path::{Path, PathBuf};
use std::process::Output;

fn shipped(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("apdu-scripts")
        .join(name)
        .display()
        .to_string()
}

/// A private pcscd with our virtual card (blank image in `dir`) in slot 0.
fn with_sim(dir: &tempfile::TempDir) -> (PrivatePcscd, common::ChildGuard) {
    let pcscd = PrivatePcscd::start();
    let image: PathBuf = dir.path().join("card.json");
    let port = pcscd.port().to_string();
    let card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port,
        "--image",
        &image.display().to_string(),
    ]));
    pcscd.wait_card();
    (pcscd, card)
}

fn run_ok(pcscd: &PrivatePcscd, args: &[&str]) -> String {
    let mut all = vec!["--reader", common::READER, "run"];
    all.extend_from_slice(args);
    let out = pcscd.run(&all);
    assert!(out.status.success(), "sscard {all:?}: {}", describe(&out));
    stdout(&out)
}

fn run_fails(pcscd: &PrivatePcscd, args: &[&str]) -> Output {
    let mut all = vec!["--reader", common::READER, "run"];
    all.extend_from_slice(args);
    let out = pcscd.run(&all);
    assert_eq!(
        out.status.code(),
        Some(1),
        "sscard {all:?}: {}",
        describe(&out)
    );
    out
}

#[test]
fn shipped_scripts_run_on_the_virtual_card_behind_pcscd() {
    let dir = tempfile::tempdir().unwrap();
    let (pcscd, _card) = with_sim(&dir);

    let out = run_ok(&pcscd, &[&shipped("ssc-build-demo.apdu")]);
    assert!(
        out.contains("> 80 D4 00 00 06 10 00 03 ******\n< 90 00 : success"),
        "{out}"
    );
    assert!(!out.contains("12 34 56"), "PIN shown:\n{out}");

    let out = run_ok(&pcscd, &[&shipped("ssc-read-by-record-number.apdu")]);
    assert!(out.contains("card number D12345676\n"), "{out}");
    assert!(out.contains("name 测试一\n"), "{out}");
    assert!(
        out.contains("== 15 exchange(s), 15 expectation(s) met, 0 not met"),
        "{out}"
    );

    let out = run_ok(&pcscd, &[&shipped("ssc-read-by-tag.apdu")]);
    assert!(
        out.contains("holder 测试一, 110101199012290016, sex 1, born 19901229"),
        "{out}"
    );

    let out = run_ok(&pcscd, &[&shipped("pin-tries.apdu")]);
    assert!(
        out.contains("< 63 C3 : verification failed, 3 tries left\nSW2 = C3: "),
        "{out}"
    );

    let out = run_ok(&pcscd, &["--keep-going", &shipped("health-probe.apdu")]);
    assert!(out.starts_with("> RESET\n< OK: 3B"), "{out}");
    assert!(out.contains(" 0 not met"), "{out}");

    let out = run_ok(&pcscd, &["--block", "enable", &shipped("sim-enable.apdu")]);
    assert!(out.contains("> 00 44 00 00\n< 90 00 : success"), "{out}");
    let out = run_ok(&pcscd, &["--block", "disable", &shipped("sim-enable.apdu")]);
    assert!(
        out.contains(" 62 83 : selected file deactivated\n"),
        "{out}"
    );
    let out = run_fails(&pcscd, &[&shipped("ssc-read-by-tag.apdu")]);
    let err = common::stderr(&out);
    assert!(
        err.contains("select-ssse.apdu:3: expectation not met") && err.contains("got 6F "),
        "{err}"
    );
    run_ok(&pcscd, &["--block", "enable", &shipped("sim-enable.apdu")]);
    run_ok(&pcscd, &[&shipped("ssc-read-by-tag.apdu")]);

    let out = run_ok(&pcscd, &[&shipped("create-files.apdu")]);
    assert!(out.contains("< DE AD BE EF 90 00 : success"), "{out}");

    // Machines: one JSON document.
    let out = run_ok(&pcscd, &["--json", &shipped("pin-tries.apdu")]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["passed"], true);
    assert_eq!(v["reader"], common::READER);
    assert_eq!(v["events"][1]["sw"], "63C3");
}

#[test]
fn a_one_byte_difference_fails_with_file_line_expected_and_actual() {
    let dir = tempfile::tempdir().unwrap();
    let (pcscd, _card) = with_sim(&dir);
    run_ok(&pcscd, &[&shipped("ssc-build-demo.apdu")]);
    let t = dir.path().join("check.apdu");
    std::fs::write(
        &t,
        format!(
            "include {}\n00 B2 07 2C 0B -> 07 09 44 31 32 33 34 35 36 37 37 9000\n",
            shipped("lib/select-ssse.apdu")
        ),
    )
    .unwrap();
    let out = run_fails(&pcscd, &[&t.display().to_string()]);
    assert_eq!(
        common::stderr(&out).trim_end(),
        format!(
            "sscard: error: {}:2: expectation not met for `00 B2 07 2C 0B`: expected 07 09 44 31 32 33 34 35 36 37 37 90 00, got 07 09 44 31 32 33 34 35 36 37 36 90 00 (9000 (success)); data byte 11 (offset 10): expected 37, got 36",
            t.display()
        )
    );
}

/// The (command, response) hex pairs of a scriptor-style output: `> ` lines and the `< `
/// line after each (status word text and the `OK: ` of a reset removed).
fn exchanges(out: &str) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut cmd: Option<String> = None;
    for line in out.lines() {
        if let Some(c) = line.strip_prefix("> ") {
            cmd = Some(c.split_whitespace().collect::<Vec<_>>().join(" "));
        } else if let Some(r) = line.strip_prefix("< ") {
            let r = r.strip_prefix("OK: ").unwrap_or(r);
            let r = r.split(" : ").next().unwrap_or(r);
            let r = r.split_whitespace().collect::<Vec<_>>().join(" ");
            v.push((cmd.take().unwrap_or_default(), r));
        }
    }
    v
}

#[test]
fn a_scriptor_script_runs_unchanged_with_the_same_exchanges_as_scriptor() {
    let scriptor = "/usr/bin/scriptor";
    assert!(
        Path::new(scriptor).exists(),
        "prerequisite missing: pcsc-tools' scriptor ({scriptor}); apt-get install -y pcsc-tools"
    );
    let dir = tempfile::tempdir().unwrap();
    let (pcscd, _card) = with_sim(&dir);
    run_ok(&pcscd, &[&shipped("ssc-build-demo.apdu")]);
    // Written for scriptor: column-1 comments, reset, compact and spaced hex, a continuation,
    // an error status word, and exit before a last line.
    let script = dir.path().join("plain.apdu");
    std::fs::write(
        &script,
        "# select MF, then SSSE by name, then read three EF05 records\n\
         reset\n\
         00 A4 00 0C 02 3F 00\n\
         00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF\n\
         00 B2 02 2C 03\n\
         00 B2 03 2C \\\n\
         06\n\
         00B2072C0B\n\
         # a file that is not there\n\
         00 A4 00 0C 02 7F 7F\n\
         exit\n\
         00 B2 01 2C 12\n",
    )
    .unwrap();
    let (k, v) = pcscd.env();
    let out = std::process::Command::new(scriptor)
        .args(["-r", common::READER, &script.display().to_string()])
        .env(k, v)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "scriptor: {}", describe(&out));
    let theirs = exchanges(&stdout(&out));
    let ours_out = run_ok(&pcscd, &[&script.display().to_string()]);
    let ours = exchanges(&ours_out);
    assert_eq!(theirs.len(), 7, "scriptor output:\n{}", stdout(&out));
    assert_eq!(
        ours,
        theirs,
        "sscard:\n{ours_out}\nscriptor:\n{}",
        stdout(&out)
    );
    assert_eq!(ours[0].0, "RESET");
    assert_eq!(ours[5].1, "07 09 44 31 32 33 34 35 36 37 36 90 00");
    assert_eq!(ours[6].1, "6A 82");
}

#[test]
fn the_t0_walk_through_pcscd_on_a_card_in_t0_mode() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("t0.json");
    let pcscd = PrivatePcscd::start();
    let img = image.display().to_string();
    let out = pcscd.run(&["sim", "--create", "--image", &img]);
    assert!(out.status.success(), "{}", describe(&out));
    // Switch the image to T=0 behaviour (61xx / GET RESPONSE, 6Cxx on a wrong Le).
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&image).unwrap()).unwrap();
    v["t0"] = serde_json::Value::Bool(true);
    std::fs::write(&image, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let port = pcscd.port().to_string();
    let _card = pcscd.spawn_card(
        pcscd
            .sscard()
            .args(["sim", "--vpcd", &port, "--image", &img]),
    );
    pcscd.wait_card();
    // The build and the reads see complete responses: sscard fetches 61xx data itself.
    run_ok(&pcscd, &[&shipped("ssc-build-demo.apdu")]);
    let out = run_ok(&pcscd, &[&shipped("ssc-read-by-tag.apdu")]);
    assert!(out.contains("holder 测试一"), "{out}");
    // The walk (raw on) shows 61xx, then GET RESPONSE; 6Cxx, then the re-send.
    let out = run_ok(&pcscd, &[&shipped("t0-get-response.apdu")]);
    assert!(out.contains("> 00 A4 00 04 02 3F 00\n< 61 "), "{out}");
    assert!(out.contains("\n> 00 C0 00 00 "), "{out}");
    assert!(
        out.contains(
            "> 00 B2 01 2C 05\n< 6C 12 : wrong Le, the card expects 18\n> 00 B2 01 2C 12\n< 01 10 "
        ),
        "{out}"
    );
    assert!(
        out.contains("== 6 exchange(s), 6 expectation(s) met, 0 not met"),
        "{out}"
    );
    // --raw on a script written for automatic handling: the read sees 61xx and says so.
    let out = run_fails(&pcscd, &["--raw", &shipped("ssc-read-by-tag.apdu")]);
    let err = common::stderr(&out);
    assert!(
        err.contains("select-ssse.apdu:3: expectation not met"),
        "{err}"
    );
    assert!(err.contains("got 61 "), "{err}");
}
