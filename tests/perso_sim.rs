//! Personalization end to end on the in-process virtual card: init, perso, verify, enable,
//! read; APDU counts; refusals.

use sscard::perso::Outcome;
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_200, SSC_300};
use sscard::sim::transport::{ImageCard, SimTransport};

fn blank(dir: &tempfile::TempDir) -> SimTransport {
    SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap()
}

#[test]
fn demo_personalizes_ssc_300_and_sends_exactly_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = blank(&dir);
    let run = demo::run(&mut card, SSC_300, "ssc-3.00.toml").unwrap();
    assert_eq!(run.perso.outcome, Outcome::Personalized);
    assert!(run.perso.enabled);
    assert_eq!(
        run.perso.stats.apdus, run.planned_apdus,
        "no APDU beyond the plan"
    );
    assert!(run.read.content.enabled());
    assert_eq!(
        run.read.fields.get("name").map(String::as_str),
        Some("测试一")
    );
    assert_eq!(
        run.read.fields.get("card_id").map(String::as_str),
        Some(DEMO_CARD_ID)
    );
    assert_eq!(
        run.read.fields.get("expiry_date").map(String::as_str),
        Some("20350101")
    );
}

#[test]
fn demo_personalizes_ssc_200() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = blank(&dir);
    let run = demo::run(&mut card, SSC_200, "ssc-2.00.toml").unwrap();
    assert!(run.perso.enabled);
    assert_eq!(run.perso.stats.apdus, run.planned_apdus);
    assert_eq!(
        run.read.fields.get("spec_version").map(String::as_str),
        Some("2.00")
    );
}
