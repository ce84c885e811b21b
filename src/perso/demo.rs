//! The main job on the built-in virtual card, for `sscard demo`, the README and the tests: a
//! manufacturer's `init` of a blank card, a station's perso (write, verify, enable) for a
//! synthetic holder, and what an operator then reads from the card.
//!
//! The shipped profiles and the synthetic test keys are compiled in, so the demo runs from
//! anywhere. Every personal value here is invented.

use super::encode::{card_fields, decode_found};
use super::read::{CardContent, Terminal, ireadcardbas, read_bank, read_card};
use super::{JobError, Report, RunOptions, Station};
use crate::error::ErrorChain;
use crate::profile::Profile;
use crate::profile::keys::{Factors, KeyFile};
use crate::record::HolderRecord;
use crate::transport::Transport;
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

pub use crate::profile::find::{SSC_200, SSC_300};
/// The shipped synthetic test keys.
pub const TEST_KEYS: &str = include_str!("../../card-profiles/test-keys.toml");

/// The synthetic holder's card identification code (region 440700).
pub const DEMO_CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

/// A synthetic holder (the spec's example number; invented name).
pub fn demo_holder() -> HolderRecord {
    HolderRecord::from_pairs(
        "<demo holder>",
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
    )
}

/// A failure of the demo, step by step.
#[derive(Debug, Error)]
pub enum DemoError {
    /// A shipped file does not load (a build problem).
    #[error("the compiled-in {what} does not load: {reason}")]
    Shipped {
        /// Which file.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The virtual card cannot be opened.
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
    /// The manufacturer's init failed.
    #[error("init (manufacturer step)")]
    Init(#[from] crate::init::InitError),
    /// Personalization failed.
    #[error("perso (station step)")]
    Perso(#[from] JobError),
    /// Reading back failed.
    #[error("read")]
    Read(#[from] super::PersoError),
}

/// Loads a compiled-in profile (`SSC_300` or `SSC_200`).
pub fn shipped_profile(text: &str, name: &str) -> Result<Profile, DemoError> {
    crate::profile::parse(text, Path::new(name)).map_err(|e| DemoError::Shipped {
        what: "profile",
        reason: e.chain().to_string(),
    })
}

/// Loads the compiled-in test keys.
pub fn shipped_keys() -> Result<KeyFile, DemoError> {
    KeyFile::parse(TEST_KEYS, Path::new("card-profiles/test-keys.toml")).map_err(|e| {
        DemoError::Shipped {
            what: "test key file",
            reason: e.chain().to_string(),
        }
    })
}

/// The manufacturer's step: builds the profile on a blank card, keys diversified for
/// `card_id` (hex) and the card's ATR. Returns the number of APDUs.
pub fn init_card(
    t: &mut dyn Transport,
    profile: &Profile,
    keys: &KeyFile,
    card_id: &str,
) -> Result<usize, DemoError> {
    let factors = Factors::new(crate::apdu::parse_hex(card_id).ok(), Some(&t.atr()));
    let plan = crate::init::init_plan(profile, keys, &factors)?;
    crate::init::run(&plan, t)?;
    Ok(plan.apdu_count())
}

/// What an operator sees after reading a card.
#[derive(Debug, Clone)]
pub struct ReadOut {
    /// The raw content.
    pub content: CardContent,
    /// Decoded elements, in profile order.
    pub decoded: Vec<(super::ElementRef, Option<String>)>,
    /// Fields by name (name joined with its extension).
    pub fields: BTreeMap<String, String>,
    /// The `iReadCardBas` line.
    pub ireadcardbas: String,
    /// The `photo` member of `sscard read --json` (EF08), when the profile has a photo file.
    pub photo: Option<serde_json::Value>,
}

/// Reads and decodes every element of a card.
pub fn read_out(
    t: &mut dyn Transport,
    station: &Station<'_>,
    keys: Option<&KeyFile>,
    values: &[super::Encoded],
) -> Result<ReadOut, DemoError> {
    let card_keys = station.card_keys(keys, values, &t.atr());
    let (content, photo) = crate::session::in_transaction(t, |s| {
        let mut content = read_card(s, &station.app, &card_keys)?;
        let photo = crate::photo::read_json_member(s, station.profile, &card_keys, &content);
        read_bank(s, &mut content);
        Ok::<_, super::PersoError>((content, photo))
    })?;
    let decoded = decode_found(station.profile, &content.values);
    let fields = card_fields(station.profile, &decoded);
    let historical = crate::atr::Atr::parse(&content.atr)
        .map(|a| a.historical.bytes)
        .unwrap_or_default();
    let line = ireadcardbas(&fields, &historical, &Terminal::default());
    Ok(ReadOut {
        content,
        decoded,
        fields,
        ireadcardbas: line,
        photo,
    })
}

/// The whole demo on one virtual card: init, perso (verify and enable included), read.
pub struct DemoRun {
    /// APDUs of the manufacturer's init.
    pub init_apdus: usize,
    /// The personalization report.
    pub perso: Report,
    /// The plan's APDU count (what the run was expected to send).
    pub planned_apdus: usize,
    /// What the operator reads back.
    pub read: ReadOut,
}

/// Runs the demo on `card` (a blank virtual card) with the compiled-in `profile_text`. The
/// card also gets a small bank application with the synthetic PAN
/// [`crate::sim::bank::DEMO_PAN`], as the manufacturer of a real card would put there.
pub fn run(
    card: &mut crate::sim::transport::SimTransport,
    profile_text: &str,
    name: &str,
) -> Result<DemoRun, DemoError> {
    let profile = shipped_profile(profile_text, name)?;
    crate::sim::bank::install(card.image().card_mut(), crate::sim::bank::DEMO_PAN).map_err(
        |reason| DemoError::Shipped {
            what: "bank application",
            reason,
        },
    )?;
    let t: &mut dyn Transport = card;
    let keys = shipped_keys()?;
    let init_apdus = init_card(t, &profile, &keys, DEMO_CARD_ID)?;
    let station = Station::new(&profile).map_err(|e| DemoError::Shipped {
        what: "profile",
        reason: e.chain().to_string(),
    })?;
    let holder = demo_holder();
    let values = station.encode(&holder).map_err(JobError::from)?;
    let plan = station
        .plan(&values, super::PlanOptions::default())
        .map_err(JobError::from)?;
    let perso = station.run_plan(t, &plan, &values, Some(&keys), RunOptions::default())?;
    // The operator reads the card as it is next inserted: powered up afresh, no security
    // state left from personalization.
    t.reset(crate::transport::ResetKind::Cold)?;
    let read = read_out(t, &station, Some(&keys), &values)?;
    Ok(DemoRun {
        init_apdus,
        perso,
        planned_apdus: plan.apdu_count(),
        read,
    })
}
