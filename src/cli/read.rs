//! `sscard read`: read and decode every data element of the card.

use super::Globals;
use super::perso::{factor_values, load_profile};
use anyhow::{Context, Result};
use sscard::perso::bank::BankApp;
use sscard::perso::detect::{self, Detected};
use sscard::perso::encode::{card_fields, decode_found};
use sscard::perso::read::{Terminal, ireadcardbas, read_bank, read_card, render_table, to_json};
use sscard::perso::{Encoded, Station};
use sscard::profile::Profile;
use sscard::session::in_transaction;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `sscard read`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table with the Chinese labels.
    Table,
    /// JSON for programs.
    Json,
    /// The one-line `|`-separated output of the MOHRSS reader interface (iReadCardBas).
    Ireadcardbas,
}

/// Arguments of `sscard read`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file.
    /// Without it, the card's spec version (EF05 tag 03) picks the shipped profile (1.x:
    /// ssc-1.00, 2.x: ssc-2.00, 3.x: ssc-3.00).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
    /// Where the card keys come from, when reading needs external authentication (3rd
    /// generation).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// A record giving the card identification code, when the read key is diversified by it
    /// (without it and --card-id, the code is read from the card: EF05 tag 01).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The card identification code (32 hex digits), when the read key is diversified by it.
    #[arg(long, value_name = "HEX", conflicts_with = "record")]
    pub card_id: Option<String>,
    /// Terminal number for --format ireadcardbas: 12 hex digits [default: the PSAM's
    /// terminal number with --psam, else 000000000000].
    #[arg(long, value_parser = Terminal::check_number)]
    pub terminal_no: Option<String>,
    /// Terminal device number for --format ireadcardbas: 14 letters or digits (the reader's
    /// serial number).
    #[arg(long, default_value = "FFFFFFFFFFFFFF", value_parser = Terminal::check_device)]
    pub terminal_device: String,
}

/// The profile given with `--profile`, or the shipped one the card's spec version names
/// (EF05 tag 03, read without a key). Returns the profile and, when detected, the version.
pub(super) fn profile_or_detect(
    given: Option<&Path>,
    card: &mut dyn sscard::transport::Transport,
) -> Result<(Profile, Option<Detected>)> {
    if let Some(path) = given {
        return Ok((load_profile(path)?, None));
    }
    let name = card.name();
    let found = in_transaction(card, detect::detect)
        .with_context(|| format!("no --profile given, and the card on {name} does not say"))?;
    let profile = shipped(found.profile)?;
    Ok((profile, Some(found)))
}

/// The diversification inputs: `--card-id`/`--record`, or, when a key file was given without
/// either, the card identification code read from the card itself (EF05 tag 01, free to read
/// on every generation), as stations do before computing a key diversified by it.
pub(super) fn factors_or_card(
    station: &Station<'_>,
    record: Option<&Path>,
    card_id: Option<&str>,
    keys_given: bool,
    card: &mut dyn sscard::transport::Transport,
) -> Result<Vec<Encoded>> {
    let values = factor_values(station, record, card_id)?;
    if !values.is_empty() || !keys_given {
        return Ok(values);
    }
    let Some(el) = station.app.element("card_id") else {
        return Ok(values);
    };
    // A card that refuses it: the key's own message says what is missing.
    Ok(in_transaction(card, detect::card_id)
        .map(|value| {
            vec![Encoded {
                el: el.clone(),
                value,
            }]
        })
        .unwrap_or(values))
}

/// The profile of a detected generation, by name: a local or packaged copy first (as for
/// `--profile NAME`), else the one compiled in.
fn shipped(name: &str) -> Result<Profile> {
    Ok(sscard::profile::find(name)?.load()?)
}

/// Runs `sscard read`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let given = args.profile.as_deref().map(load_profile).transpose()?;
    let source = args.keys.open()?.map(|k| k.source);
    let mut card = super::common::open_card(g)?;
    let name = card.name();
    let (profile, detected) = match given {
        Some(p) => (p, None),
        None => profile_or_detect(None, card.as_mut())?,
    };
    let station = Station::new(&profile)?;
    let values = factors_or_card(
        &station,
        args.record.as_deref(),
        args.card_id.as_deref(),
        source.is_some(),
        card.as_mut(),
    )?;
    let keys = station.card_keys_from(source.as_ref(), &values, &card.atr());
    let result = in_transaction(card.as_mut(), |s| {
        read_card(s, &station.app, &keys).map(|mut content| {
            let photo = sscard::photo::read_json_member(s, &profile, &keys, &content);
            read_bank(s, &mut content);
            (content, photo)
        })
    });
    let _ = card.close();
    let (content, photo) = result.with_context(|| format!("reading the card on {name}"))?;
    let decoded = decode_found(&profile, &content.values);
    let fields = card_fields(&profile, &decoded);
    let historical = sscard::atr::Atr::parse(&content.atr)
        .map(|a| a.historical.bytes)
        .unwrap_or_default();
    let format = if args.json { Format::Json } else { args.format };
    match format {
        Format::Ireadcardbas => {
            let t = Terminal {
                number: terminal_number(args.terminal_no, source.as_ref())?,
                device: args.terminal_device,
            };
            println!("{}", ireadcardbas(&fields, &historical, &t));
        }
        Format::Json => {
            let mut doc = to_json(
                &profile.meta.name,
                &station.app.df_label,
                &content,
                &decoded,
                &fields,
            );
            if let (Some(obj), Some(photo)) = (doc.as_object_mut(), photo) {
                obj.insert("photo".into(), photo);
            }
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Table => {
            println!("card         {name}");
            println!("ATR          {}", sscard::apdu::spaced(&content.atr));
            match &detected {
                Some(d) => println!(
                    "profile      {} (the card says spec version {})",
                    profile.meta.name, d.spec_version
                ),
                None => println!("profile      {}", profile.meta.name),
            }
            println!(
                "application  {} {}",
                station.app.df_label,
                content.state_text()
            );
            println!("algorithm    {}", content.algorithm_text());
            print!("{}", render_table(&decoded, ""));
            for n in &content.needs {
                println!("not read     {n}");
            }
            if let Some(BankApp::Pan(pan)) = &content.bank {
                println!("bank PAN     {pan} (application A000000333010101, tag 5A)");
            }
            for note in &content.notes {
                println!("note         {note}");
            }
        }
    }
    if format != Format::Table {
        for note in &content.notes {
            eprintln!("note: {note}");
        }
    }
    if let Some(missing) = content.missing() {
        anyhow::bail!("not everything on the card on {name} was read: {missing}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The terminal number of the `iReadCardBas` line: `--terminal-no`, else the key source's
/// (a PSAM's), else `000000000000`.
fn terminal_number(
    given: Option<String>,
    source: Option<&sscard::session::SharedSource>,
) -> Result<String> {
    if let Some(n) = given {
        return Ok(n);
    }
    let from_source = match source {
        Some(s) => {
            let mut s = s.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            s.terminal_number()
                .with_context(|| format!("the terminal number of the {}", s.describe()))?
        }
        None => None,
    };
    Ok(from_source.unwrap_or_else(|| "000000000000".into()))
}
