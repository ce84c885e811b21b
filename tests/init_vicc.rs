//! `sscard init` of the generic demo profile on Debian's vicc through a private pcscd: a card
//! nobody here wrote builds the structure. Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, start_vicc, stdout};
use std::path::Path;

#[test]
fn init_builds_the_demo_profile_on_vicc() {
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/iso7816-demo.toml");
    let profile = profile.to_string_lossy().to_string();
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    // vicc cannot answer SELECT with FCP (it crashes): no read-back there.
    let out = pcscd.run(&["init", "--profile", &profile, "--no-verify"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stdout(&out).contains("built profile iso7816-demo on 'Virtual PCD 00 00': 6 APDUs"),
        "{}",
        describe(&out)
    );
    // The files are there: select them and read the 64 zero bytes of EF 0001.
    let out = pcscd.run(&[
        "send",
        "--expect-ok",
        "00A4000C021000",
        "00A4000C020001",
        "00B0000040",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains(&"00 ".repeat(63)), "{text}");
    // A second init finds the DF already there and stops with the status word.
    let out = pcscd.run(&["init", "--profile", &profile, "--no-verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        common::stderr(&out).contains("CREATE FILE"),
        "{}",
        describe(&out)
    );
}
