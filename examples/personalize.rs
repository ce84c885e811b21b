//! Personalize a social security card from Rust: profile, key file, holder record, card.
//! Runs on the built-in virtual card (initialised first, as a manufacturer would); give
//! `--reader`-style access to a real card by opening `sscard::transport::pcsc::connect` instead.
//!
//! `cargo run --example personalize`

use sscard::perso::demo::{DEMO_CARD_ID, SSC_300, TEST_KEYS, init_card};
use sscard::perso::{RunOptions, Station};
use sscard::profile::keys::KeyFile;
use sscard::record::HolderRecord;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let profile = sscard::profile::parse(SSC_300, Path::new("card-profiles/ssc-3.00.toml"))?;
    let keys = KeyFile::parse(TEST_KEYS, Path::new("card-profiles/test-keys.toml"))?;
    let holder = HolderRecord::from_pairs(
        "example",
        [
            ("ssn", "110101199012290016"),
            ("name", "测试一"),
            ("sex", "1"),
            ("ethnicity", "01"),
            ("birth_place", "440782"),
            ("birth_date", "19901229"),
            ("card_id", DEMO_CARD_ID),
            ("init_org", "440700000000000000000001"),
            ("card_number", "A00000003"),
            ("issue_date", "20250101"),
        ],
    );
    let image = std::env::temp_dir().join(format!("sscard-example-{}.json", std::process::id()));
    let mut card = sscard::sim::transport::open(&image)?;
    init_card(card.as_mut(), &profile, &keys, DEMO_CARD_ID)?; // the manufacturer's step
    let station = Station::new(&profile)?;
    let report = station.personalize(card.as_mut(), &holder, Some(&keys), RunOptions::default())?;
    println!(
        "{:?}: {} written, {} verified, enabled: {}, {} APDUs",
        report.outcome, report.written, report.verified, report.enabled, report.stats.apdus
    );
    let _ = std::fs::remove_file(&image);
    Ok(())
}
