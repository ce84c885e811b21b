//! `sscard conformance` through a real private pcscd and vpcd on Debian's vicc, an ISO 7816
//! card nobody here wrote, with the generic profile: the suite runs to its end on a weak card
//! that crashes on some commands, and the report names what it fails.
//! Run with `--features pcscd-tests`. vicc answers ~21 APDU/s: one short run.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, start_vicc, stdout};

#[test]
fn vicc_runs_through_conformance_and_the_report_names_its_failures() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    let profile = format!(
        "{}/card-profiles/iso7816-demo.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let junit = pcscd.dir().join("vicc-junit.xml");
    let out = pcscd.run(&[
        "conformance",
        "--profile",
        &profile,
        "--test-card",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    let text = stdout(&out);
    // The run finished with a summary (it survived the card), and it failed.
    assert_eq!(out.status.code(), Some(40), "{}", describe(&out));
    assert!(text.contains(" checks: "), "{}", describe(&out));
    assert!(text.contains("Evidence of the failures:"), "{text}");
    // What vicc gets right: the ISO error for an unknown instruction.
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line '{needle}' in\n{text}"))
            .to_string()
    };
    assert!(line("INS 02 answers 6D00").contains("PASS"), "{text}");
    // What it fails, named: the profile's application is not on a bare vicc.
    assert!(
        line("DF 3F00/1000 selectable by AID").contains("FAIL"),
        "{text}"
    );
    // vicc's own deviations, with the status words it gave.
    assert!(
        line("SELECT with P1 7F answers 6A86").contains("FAIL"),
        "{text}"
    );
    assert!(text.contains("expected 6A86, got 9000"), "{text}");
    assert!(
        line("SELECT by FID with 1 byte answers 6700").contains("FAIL"),
        "{text}"
    );
    assert!(text.contains("expected 6700, got 6A80"), "{text}");
    // SELECT returning FCP kills vicc: reported, and what follows is NOT RUN, not a hang.
    assert!(text.contains("the card stopped answering"), "{text}");
    assert!(text.contains("NOT RUN"), "{text}");
    assert!(text.contains("Card state: unknown"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    assert!(xml.contains("<failure message="), "{xml}");
    println!("{text}");
}
