//! `sscard enable` and `sscard disable`.

use super::Globals;
use super::perso::{HolderArgs, factor_values, load_profile, load_record, print_report};
use anyhow::{Context, Result};
use sscard::perso::{Plan, RunOptions, Station};
use sscard::session::in_transaction;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `sscard enable`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile and the holder's record (the card must hold it).
    #[command(flatten)]
    pub holder: HolderArgs,
    /// Where the card keys come from.
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
}

/// Arguments of `sscard disable`.
#[derive(clap::Args, Debug)]
pub struct DisableArgs {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// Where the card keys come from.
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// The holder's record, when the keys are diversified by the card identification code.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The card identification code (32 hex digits), instead of --record.
    #[arg(long, value_name = "HEX", conflicts_with = "record")]
    pub card_id: Option<String>,
    /// Record the disabled card in this journal / register (a card reported lost and found,
    /// or replaced): SQLite file or postgres:// URL.
    #[arg(long, value_name = "URL", env = "SSCARD_JOURNAL")]
    pub journal: Option<String>,
    /// This station's id, for the journal.
    #[arg(
        long,
        value_name = "ID",
        env = "SSCARD_STATION",
        default_value = "station"
    )]
    pub station: String,
    /// The operator, for the journal.
    #[arg(
        long,
        value_name = "NAME",
        env = "SSCARD_OPERATOR",
        default_value = "operator"
    )]
    pub operator: String,
}

/// Runs `sscard enable`: verify every element, then activate, then confirm.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.holder.profile)?;
    let station = Station::new(&profile)?.with_profile_dir(&args.holder.profile_dir());
    let record = load_record(&station, &args.holder.record, args.holder.index)?;
    let values = station.encode(&record)?;
    let plan = Plan::enable(&station.app, &values)?;
    let keys = args.keys.require("enabling")?;
    let mut card = super::common::open_card_with(g, true)?;
    let name = card.name();
    let result = station.run_plan_from(
        card.as_mut(),
        &plan,
        &values,
        Some(&keys.source),
        RunOptions::default(),
    );
    let _ = card.close();
    let r = result.with_context(|| format!("enabling the card of {} on {name}", record.source))?;
    print_report(&name, &record, &r);
    println!("OK: verified and enabled");
    Ok(ExitCode::SUCCESS)
}

/// Runs `sscard disable`.
pub fn run_disable(args: DisableArgs, g: &Globals) -> Result<ExitCode> {
    let profile = load_profile(&args.profile)?;
    let station = Station::new(&profile)?;
    let values = factor_values(&station, args.record.as_deref(), args.card_id.as_deref())?;
    let source = args.keys.require("disabling")?.source;
    let mut card = super::common::open_card_with(g, true)?;
    let name = card.name();
    let keys = station.card_keys_from(Some(&source), &values, &card.atr());
    let result = in_transaction(card.as_mut(), |s| {
        sscard::perso::enable::disable(s, &station.app, &keys)
    });
    let _ = card.close();
    let changed =
        result.with_context(|| format!("disabling {} on {name}", station.app.df_label))?;
    if changed {
        println!(
            "OK: {} on {name} is disabled (SELECT answers 6283)",
            station.app.df_label
        );
    } else {
        println!(
            "{} on {name} was already disabled: nothing done",
            station.app.df_label
        );
    }
    if let Some(url) = &args.journal {
        let card_id = values
            .iter()
            .find(|v| v.el.field == "card_id")
            .map(|v| sscard::apdu::compact(&v.value));
        let Some(card_id) = card_id else {
            anyhow::bail!(
                "the card is disabled, but --journal needs its card identification code: give --card-id or --record"
            );
        };
        let mut j = sscard::journal::Journal::open(
            url,
            sscard::journal::Station::new(&args.station, &args.operator),
        )
        .context("opening the issuance journal")?;
        let was = j.card(&card_id)?.map(|c| c.state);
        let note = match was {
            Some(sscard::journal::CardState::Lost) => "disabled after it was reported lost",
            _ => "disabled",
        };
        j.set_card_state(&card_id, sscard::journal::CardState::Disabled, note)?;
        println!("journal  {}: card {card_id} recorded as disabled", j.url());
    }
    Ok(ExitCode::SUCCESS)
}
