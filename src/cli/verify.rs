//! `sscard verify`: read back every element and compare with a record, byte for byte.

use super::Globals;
use super::perso::{HolderArgs, load_profile, load_record, print_report};
use anyhow::{Context, Result};
use sscard::perso::Station;
use std::process::ExitCode;

/// Arguments of `sscard verify`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile and the holder's record (the card must hold it).
    #[command(flatten)]
    pub holder: HolderArgs,
    /// Where the card keys come from, when reading needs external authentication (3rd
    /// generation).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
}

/// Runs `sscard verify`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.holder.profile)?;
    let station = Station::new(&profile)?;
    let record = load_record(&station, &args.holder.record, args.holder.index)?;
    let keys = args.keys.open()?;
    let mut card = super::common::open_card(g)?;
    let name = card.name();
    let result = station.verify_with(card.as_mut(), &record, keys.as_ref().map(|k| &k.source));
    let _ = card.close();
    let r = result.with_context(|| format!("verifying {} on {name}", record.source))?;
    print_report(&name, &record, &r);
    for note in &r.notes {
        println!("note     {note}");
    }
    println!("OK: every element matches the record");
    Ok(ExitCode::SUCCESS)
}
