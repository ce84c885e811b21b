//! The virtual PSAM behind a real pcscd, in the second slot of the vpcd entry
//! (`Virtual PCD 00 01`, port + 1), as a station's SAM slot: it answers the pboc dialect
//! through pcscd under T=0 (61xx / GET RESPONSE) and keeps its PIN counter in the image.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, spawn_card_on};
use std::path::Path;

const PSAM_READER: &str = "Virtual PCD 00 01";

fn root(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// Creates a PSAM image (test keys, terminal 123456789012, PIN from `pin`), T=0 when `t0`
/// (`sscard sim --t0`, saved in the image).
fn make_psam(dir: &Path, pin: Option<&str>, t0: bool) -> String {
    let image = dir.join("psam.json");
    let img = image.display().to_string();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.args(["sim", "--psam", "--create", "--image", &img])
        .args(["--load-keys", &root("card-profiles/test-keys.toml")])
        .args(["--terminal-no", "123456789012"])
        .env_remove("SSCARD_PSAM_PIN");
    if t0 {
        c.arg("--t0");
    }
    if let Some(p) = pin {
        c.env("SSCARD_PSAM_PIN", p);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    if t0 {
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("T=0 behaviour (61xx / GET RESPONSE), ATR 3B 1E 18 80"),
            "{out}"
        );
        assert!(
            std::fs::read_to_string(&image)
                .unwrap()
                .contains("\"t0\": true")
        );
    }
    img
}

#[test]
fn the_probe_passes_on_a_t0_psam_in_slot_01() {
    let d = tempfile::tempdir().unwrap();
    let img = make_psam(d.path(), None, true);
    let pcscd = PrivatePcscd::start();
    let port = pcscd.port() + 1;
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &port.to_string(), "--image", &img]);
    let psam = spawn_card_on(port, &mut cmd);
    pcscd.wait_card_in(PSAM_READER);
    let o = pcscd.run(&[
        "--reader",
        PSAM_READER,
        "run",
        &root("apdu-scripts/psam-probe.apdu"),
    ]);
    assert!(
        o.status.success(),
        "{}\npsam:\n{}",
        describe(&o),
        psam.log()
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("terminal number 123456789012"), "{out}");
    assert!(
        out.contains("== 16 exchange(s), 16 expectation(s) met, 0 not met"),
        "{out}"
    );
    // T=0 through pcscd: the cryptogram came by GET RESPONSE.
    let o = pcscd.run(&[
        "--reader",
        PSAM_READER,
        "send",
        "--raw",
        "00A4040006D15600000590",
        "801A200108 3434303330307378",
        "80FA000008 A1B2C3D4E5F60718 00",
        "00C0000008",
    ]);
    assert!(o.status.success(), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("< 6108"), "{out}");
    assert!(out.contains("< 66 D8 1E 23 DA 30 53 89 : 9000"), "{out}");
}

#[test]
fn a_psam_pin_counter_set_through_pcscd_is_kept_in_the_image() {
    let d = tempfile::tempdir().unwrap();
    let img = make_psam(d.path(), Some("246810"), false);
    let pcscd = PrivatePcscd::start();
    let port = pcscd.port() + 1;
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &port.to_string(), "--image", &img]);
    let mut psam = spawn_card_on(port, &mut cmd);
    pcscd.wait_card_in(PSAM_READER);
    let o = pcscd.run(&[
        "--reader",
        PSAM_READER,
        "send",
        "00A4040006D15600000590",
        "801A200108 3434303330307378",
        "0020000003 135791",
    ]);
    assert!(o.status.success(), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("< 6982"), "init before the PIN: {out}");
    assert!(out.contains("< 63C2"), "{out}");
    assert!(!out.contains("13 57 91"), "PIN masked: {out}");
    psam.terminate();
    let text = std::fs::read_to_string(&img).unwrap();
    assert!(text.contains("\"tries_left\": 2"), "{text}");
}
