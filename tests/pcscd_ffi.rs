//! libsscard.so through a real private pcscd: the virtual card behind vpcd (`sscard sim
//! --vpcd`), the library called through Python's ctypes, the C example (built here with `cc`)
//! and the Python example, compared with `sscard read`; T=1 and T=0; and the codes for no
//! reader, no card, a disabled application, a blocked PIN and a chip that fails reads.
#![cfg(feature = "pcscd-tests")]

mod common;
mod ffi_util;

use common::{PrivatePcscd, READER, spawn_card_on};
use ffi_util::{card_image, config, drive, lib_path, rc_out, root, set_image};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

const CARD_ID: &str = sscard::perso::demo::DEMO_CARD_ID;

/// The demo holder's card number.
fn card_number() -> String {
    let h = sscard::perso::demo::demo_holder();
    h.get("card_number").unwrap().to_string()
}
const SLOT1: &str = "Virtual PCD 00 01";

fn serve(pcscd: &PrivatePcscd, port: u16, image: &Path) -> common::ChildGuard {
    let mut cmd = pcscd.sscard();
    cmd.args(["sim", "--vpcd", &port.to_string(), "--image"])
        .arg(image);
    spawn_card_on(port, &mut cmd)
}

fn socket(pcscd: &PrivatePcscd) -> String {
    pcscd.socket().to_str().unwrap().to_string()
}

/// `sscard read --format ireadcardbas` through this pcscd.
fn sscard_line(pcscd: &PrivatePcscd, protocol: &str) -> String {
    let out = pcscd
        .sscard()
        .args([
            "--reader",
            READER,
            "--protocol",
            protocol,
            "read",
            "--profile",
        ])
        .arg(ffi_util::profile_path("ssc-2.00"))
        .args(["--keys", &ffi_util::keys_path(), "--card-id", CARD_ID])
        .args(["--format", "ireadcardbas"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::describe(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// Builds examples/c/read_card.c against include/sscard.h and this build's library.
fn build_c_example(dir: &Path) -> PathBuf {
    let lib = lib_path();
    let libdir = lib.parent().unwrap().to_path_buf();
    let exe = dir.join("read_card");
    let out = Command::new("cc")
        .arg(root().join("examples/c/read_card.c"))
        .arg("-I")
        .arg(root().join("include"))
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", libdir.display()))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("prerequisite missing: cc (apt-get install -y gcc libc6-dev)");
    assert!(out.status.success(), "cc: {}", common::describe(&out));
    exe
}

/// A private pcscd serving a personalized ssc-2.00 card (T=0 when `t0`) in slot 00, and a
/// configuration for it with the test keys: (pcscd, folder, card server, config, protocol).
fn on_pcscd(
    t0: bool,
) -> (
    PrivatePcscd,
    tempfile::TempDir,
    common::ChildGuard,
    PathBuf,
    &'static str,
) {
    let protocol = if t0 { "T0" } else { "T1" };
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let image = card_image(dir.path(), "ssc-2.00", t0);
    let card = serve(&pcscd, pcscd.port(), &image);
    pcscd.wait_card();
    let cfg = config(
        dir.path(),
        READER,
        "ssc-2.00",
        true,
        &format!("protocol = \"{protocol}\""),
    );
    (pcscd, dir, card, cfg, protocol)
}

fn through_pcscd(t0: bool) {
    let (pcscd, dir, _card, cfg, protocol) = on_pcscd(t0);
    let expected = sscard_line(&pcscd, protocol);
    assert!(expected.contains("|测试一|"), "{expected}");
    let sock = socket(&pcscd);
    let env = [("PCSCLITE_CSOCK_NAME", sock.as_str())];
    let r = drive(
        dir.path(),
        &cfg,
        &env,
        json!([
            ["iReadCardBas", 1],
            ["iReadCard", 1, 0, "", "SSSEEF05|01|07|$SSSEEF06|08|09|$"],
            ["iWriteCard", 1, "", "SSSEEF06|0C|$", "440783|"],
            ["iReadCard", 1, 0, "", "SSSEEF06|0C|$"],
            ["iVerifyPINK", 1, "123456"],
            ["iGetReaderInfo"],
        ]),
    );
    assert_eq!(rc_out(&r[0]), (0, expected.clone()), "{protocol}");
    assert_eq!(
        rc_out(&r[1]),
        (
            0,
            format!("{CARD_ID}|{}|110101199012290016|测试一|", card_number())
        )
    );
    assert_eq!(rc_out(&r[2]), (0, "1|1|".into()));
    assert_eq!(rc_out(&r[3]), (0, "440783|".into()));
    assert_eq!(rc_out(&r[4]), (0, String::new()));
    assert_eq!(r[5]["rc"], json!(0));
    assert_eq!(r[5]["out"], json!(["FFFFFFFFFFFFFF", "000000000000"]));

    // The C example, as a C system would be built against the header.
    let exe = build_c_example(dir.path());
    let mut c = Command::new(&exe);
    ffi_util::clean(&mut c, dir.path(), &cfg);
    let out = c.env("PCSCLITE_CSOCK_NAME", &sock).output().unwrap();
    assert!(out.status.success(), "{}", common::describe(&out));
    let (text, _, bad) = encoding_rs::GBK.decode(&out.stdout);
    assert!(!bad, "the C example prints GBK");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(expected.as_str()));
    assert_eq!(
        lines.next(),
        Some("reader FFFFFFFFFFFFFF terminal 000000000000")
    );

    // The Python example.
    let mut py = Command::new(ffi_util::PYTHON);
    py.arg(root().join("examples/python/read_card.py"))
        .arg(lib_path());
    ffi_util::clean(&mut py, dir.path(), &cfg);
    let out = py.env("PCSCLITE_CSOCK_NAME", &sock).output().unwrap();
    assert!(out.status.success(), "{}", common::describe(&out));
    let text = common::stdout(&out);
    assert_eq!(text.lines().next(), Some(expected.as_str()));
    assert!(
        text.contains("name 测试一, social security number 110101199012290016"),
        "{text}"
    );
}

#[test]
fn the_library_and_its_examples_answer_as_sscard_read_through_pcscd_t1() {
    through_pcscd(false);
}

#[test]
fn the_library_and_its_examples_answer_as_sscard_read_through_pcscd_t0() {
    through_pcscd(true);
}

#[test]
fn no_reader_no_card_disabled_blocked_and_failing_chip_codes_through_pcscd() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let sock = socket(&pcscd);
    let env = [("PCSCLITE_CSOCK_NAME", sock.as_str())];
    let a_dir = dir.path().join("a");
    std::fs::create_dir_all(&a_dir).unwrap();
    let card_a = card_image(&a_dir, "ssc-2.00", false);
    set_image(
        &card_a,
        "faults",
        json!({"memory_failure": ["3F00/DDF1/EF06"]}),
    );
    let _a = serve(&pcscd, pcscd.port(), &card_a);
    pcscd.wait_card();

    let on = |reader: &str, name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        config(&d, reader, "ssc-2.00", true, "")
    };
    // No card in slot 01; no such reader; no PC/SC service at all.
    let r = drive(
        dir.path(),
        &on(SLOT1, "empty"),
        &env,
        json!([["iReadCardBas", 1]]),
    );
    assert_eq!(rc_out(&r[0]).0, -2, "{}", rc_out(&r[0]).1);
    let unknown = on("No Such Reader", "unknown");
    let r = drive(
        dir.path(),
        &unknown,
        &env,
        json!([["iReadCardBas", 1], ["iGetReaderInfo"]]),
    );
    for x in &r {
        let (rc, text) = rc_out(x);
        assert_eq!(rc, -11, "{text}");
        assert!(text.starts_with("读卡器连接错误"), "{text}");
    }
    let gone = dir.path().join("no-such-socket");
    let r = drive(
        dir.path(),
        &on(READER, "service"),
        &[("PCSCLITE_CSOCK_NAME", gone.to_str().unwrap())],
        json!([["iReadCardBas", 1], ["iGetReaderInfo"]]),
    );
    assert_eq!((rc_out(&r[0]).0, rc_out(&r[1]).0), (-11, -11), "{r:#?}");

    // Card A: EF06 fails (6581); the PIN blocks after the tries.
    let r = drive(
        dir.path(),
        &on(READER, "a"),
        &env,
        json!([
            ["iReadCardBas", 1],
            ["iVerifyPINK", 1, "999999"],
            ["iVerifyPINK", 1, "999999"],
            ["iVerifyPINK", 1, "999999"],
            ["iVerifyPINK", 1, "123456"],
        ]),
    );
    let codes: Vec<i64> = r.iter().map(|x| rc_out(x).0).collect();
    assert_eq!(codes, vec![-25985, -51, -51, -52, -52], "{r:#?}");
    assert!(rc_out(&r[0]).1.contains("6581"), "{}", rc_out(&r[0]).1);

    // Card B in slot 01: a disabled application (a lost card).
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let card_b = card_image(&b_dir, "ssc-2.00", false);
    let disabled = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args([
            "--reader",
            &format!("sim:{}", card_b.display()),
            "disable",
            "--profile",
        ])
        .arg(ffi_util::profile_path("ssc-2.00"))
        .args(["--keys", &ffi_util::keys_path(), "--card-id", CARD_ID])
        .output()
        .unwrap();
    assert!(disabled.status.success(), "{}", common::describe(&disabled));
    let _b = serve(&pcscd, pcscd.port() + 1, &card_b);
    pcscd.wait_card_in(SLOT1);
    let r = drive(
        dir.path(),
        &on(SLOT1, "b"),
        &env,
        json!([
            ["iReadCardBas", 1],
            ["iReadCard", 1, 0, "", "SSSEEF05|01|$"]
        ]),
    );
    for x in &r {
        let (rc, text) = rc_out(x);
        assert_eq!(rc, -27265, "{text}");
        assert!(text.contains("disabled"), "{text}");
    }
}

/// iChangePIN(K), iReloadPIN and iUnblockPIN through pcscd, T=1 or T=0: change with the PIN
/// given and from the PIN pad, the tries counted, a blocked PIN unblocked (PIN kept), the PIN
/// reloaded to the initial one; checked by iVerifyPINK. Then iGetReaderInfo's device number.
fn pin_functions(t0: bool) {
    let (pcscd, dir, _card, cfg, protocol) = on_pcscd(t0);
    let sock = socket(&pcscd);
    let pad = [
        ("PCSCLITE_CSOCK_NAME", sock.as_str()),
        ("SSCARD_PIN", "654321"),
        ("SSCARD_NEW_PIN", "112233"),
    ];
    let r = drive(
        dir.path(),
        &cfg,
        &pad,
        json!([
            ["iChangePINK", 1, "123456", "654321"],
            ["iVerifyPINK", 1, "654321"],
            ["iVerifyPINK", 1, "123456"],
            ["iChangePINK", 1, "654321", "123456"],
            ["iChangePIN", 1],
            ["iVerifyPINK", 1, "112233"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "000000"],
            ["iVerifyPINK", 1, "112233"],
            ["iUnblockPIN", 1, ""],
            ["iVerifyPINK", 1, "112233"],
            ["iReloadPIN", 1, ""],
            ["iVerifyPINK", 1, "112233"],
            ["iVerifyPINK", 1, "123456"],
            ["iUnblockPIN", 1, format!("|{CARD_ID}|")],
            ["iReloadPIN", 1, "|110100D15600000500A1B2C3D4E5F607|"],
        ]),
    );
    let codes: Vec<i64> = r.iter().map(|x| rc_out(x).0).collect();
    assert_eq!(
        codes,
        vec![
            0, 0, -51, -36, 0, 0, -51, -51, -52, -52, 0, 0, 0, -51, 0, 0, -22
        ],
        "{protocol}: {r:#?}"
    );
    assert!(rc_out(&r[2]).1.contains("剩余2次"), "{}", rc_out(&r[2]).1);
    assert!(
        rc_out(&r[8]).1.starts_with("PIN锁定"),
        "{}",
        rc_out(&r[8]).1
    );
    // No PIN in any output.
    for x in &r {
        let text = rc_out(x).1;
        for pin in ["123456", "654321", "112233"] {
            assert!(!text.contains(pin), "{text}");
        }
    }

    // iGetReaderInfo: vpcd gives no reader serial (SCardGetAttrib of
    // SCARD_ATTR_VENDOR_IFD_SERIAL_NO answers SCARD_E_UNSUPPORTED_FEATURE), so the device
    // number is the configured one, and the documented default without one.
    let env = [("PCSCLITE_CSOCK_NAME", sock.as_str())];
    let r = drive(dir.path(), &cfg, &env, json!([["iGetReaderInfo"]]));
    assert_eq!(r[0]["rc"], json!(0), "{r:#?}");
    assert_eq!(r[0]["out"], json!(["FFFFFFFFFFFFFF", "000000000000"]));
    let sub = dir.path().join("configured");
    std::fs::create_dir_all(&sub).unwrap();
    let terminal = format!(
        "protocol = \"{protocol}\"\n[terminal]\nnumber = \"440300000001\"\ndevice = \"RD2026A0000017\""
    );
    let cfg2 = config(&sub, READER, "ssc-2.00", true, &terminal);
    let r = drive(
        &sub,
        &cfg2,
        &env,
        json!([["iGetReaderInfo"], ["iReadCardBas", 1]]),
    );
    assert_eq!(r[0]["rc"], json!(0), "{r:#?}");
    assert_eq!(r[0]["out"], json!(["RD2026A0000017", "440300000001"]));
    assert!(
        rc_out(&r[1]).1.ends_with("|440300000001|RD2026A0000017|"),
        "{}",
        rc_out(&r[1]).1
    );
}

#[test]
fn pin_change_reload_and_unblock_through_pcscd_t1() {
    pin_functions(false);
}

#[test]
fn pin_change_reload_and_unblock_through_pcscd_t0() {
    pin_functions(true);
}
