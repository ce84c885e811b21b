//! The bank application's PAN beside the social security application: read without a key
//! (SELECT A000000333010101, READ RECORD for tag 5A), shown by `read` and `read --json`; a
//! card without one gets a note, never an error.

use sscard::perso::Station;
use sscard::perso::bank::{self, BankApp};
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_200};
use sscard::perso::read::{read_bank, read_card};
use sscard::session::CardKeys;
use sscard::session::Session;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;
use std::process::Command;

fn demo_card(dir: &tempfile::TempDir) -> SimTransport {
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap();
    demo::run(&mut t, SSC_200, "ssc-2.00.toml").unwrap();
    t.reset(sscard::transport::ResetKind::Cold).unwrap();
    t
}

/// A 2nd-generation card made by init + perso only: no bank application.
fn card_without_bank(dir: &tempfile::TempDir) -> SimTransport {
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap();
    let profile = demo::shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    demo::init_card(&mut t, &profile, &keys, DEMO_CARD_ID).unwrap();
    Station::new(&profile)
        .unwrap()
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&keys),
            Default::default(),
        )
        .unwrap();
    t
}

#[test]
fn the_demo_card_has_a_synthetic_pan_read_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = demo_card(&dir);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let bank = bank::read_pan(&mut s).unwrap();
    let BankApp::Pan(pan) = bank else {
        panic!("no PAN: {bank:?}")
    };
    assert_eq!(pan, sscard::sim::bank::DEMO_PAN);
    assert!((16..=19).contains(&pan.len()), "{pan}");
    assert!(bank::luhn_ok(&pan), "a valid Luhn digit: {pan}");
    assert!(pan.starts_with("62000000"), "obviously test data: {pan}");
    let ins: Vec<u8> = s.headers().iter().map(|h| h[1]).collect();
    assert_eq!(ins, [0xA4, 0xB2], "SELECT, one READ RECORD, no key");
}

#[test]
fn a_card_without_a_bank_application_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = card_without_bank(&dir);
    let profile = demo::shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let mut content = read_card(&mut s, &station.app, &CardKeys::default()).unwrap();
    read_bank(&mut s, &mut content);
    assert_eq!(content.bank, Some(BankApp::Absent));
    assert_eq!(content.notes, ["no bank application on this card"]);
    assert_eq!(content.values.len(), station.app.elements.len());
    let json = sscard::perso::read::to_json("ssc-2.00", "SSSE", &content, &[], &Default::default());
    assert_eq!(json["bank"]["pan"], serde_json::Value::Null);
    assert_eq!(json["bank"]["note"], "no bank application on this card");
    // The command line reads it with exit 0 and says so.
    drop(s);
    tx.end().unwrap();
    t.close().unwrap();
    let o = sscard(&dir.path().join("card.json"), &["read"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("note         no bank application on this card"),
        "{out}"
    );
    assert!(!out.contains("bank PAN"), "{out}");
}

#[test]
fn read_and_read_json_show_the_pan() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = demo_card(&dir);
    t.close().unwrap();
    let image = dir.path().join("card.json");
    let o = sscard(&image, &["read"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("bank PAN     6200000000000000000 (application A000000333010101, tag 5A)"),
        "{out}"
    );
    let o = sscard(&image, &["read", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["bank"]["aid"], "A000000333010101");
    assert_eq!(doc["bank"]["pan"], "6200000000000000000");
}

fn sscard(image: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args(args)
        .output()
        .unwrap()
}
