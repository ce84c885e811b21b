//! `sscard verify`: read back every element and compare with a record, byte for byte.

use super::Globals;
use super::perso::{load_keys, load_profile, load_record, print_report};
use anyhow::{Context, Result};
use sscard::perso::Station;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sscard verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile (TOML).
    #[arg(long, value_name = "PROFILE.toml")]
    pub profile: PathBuf,
    /// The holder's record the card must hold (JSON or CSV).
    #[arg(long, value_name = "FILE")]
    pub record: PathBuf,
    /// Which record of the file (1-based), when it holds several.
    #[arg(long, value_name = "N")]
    pub index: Option<usize>,
    /// The key file, when reading needs external authentication (3rd generation).
    #[arg(long, value_name = "KEYS.toml")]
    pub keys: Option<PathBuf>,
}

/// Runs `sscard verify`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.profile)?;
    let station = Station::new(&profile)?;
    let record = load_record(&station, &args.record, args.index)?;
    let keys = load_keys(args.keys.as_deref())?;
    let mut card = super::common::open_card(g)?;
    let name = card.name();
    let result = station.verify(card.as_mut(), &record, keys.as_ref());
    let _ = card.close();
    let r = result.with_context(|| format!("verifying {} on {name}", record.source))?;
    print_report(&name, &record, &r);
    println!("OK: every element matches the record");
    Ok(ExitCode::SUCCESS)
}
