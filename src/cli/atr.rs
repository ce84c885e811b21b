//! `sscard atr`: read the card's ATR (or take one from the command line) and explain it.

use super::Globals;
use anyhow::Context as _;
use sscard::apdu::spaced;
use sscard::atr::{Atr, names};
use std::process::ExitCode;

/// Arguments of `sscard atr`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Explain this ATR (hex; spaces and colons allowed) instead of reading the card's.
    #[arg(long, value_name = "HEX")]
    pub atr: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Do not look the ATR up in pcsc-tools' smartcard_list.txt.
    #[arg(long)]
    pub no_names: bool,
}

/// Runs `sscard atr`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let (raw, source) = match &args.atr {
        Some(hex) => (
            sscard::apdu::parse_hex(hex).context("--atr is not valid hex")?,
            None,
        ),
        None => {
            let mut t = super::common::open_card(g)?;
            let raw = t.atr();
            let name = t.name();
            t.close()?;
            (raw, Some(name))
        }
    };
    let where_ = source
        .as_deref()
        .map(|r| format!(" of the card in '{r}'"))
        .unwrap_or_default();
    let atr = Atr::parse(&raw)
        .with_context(|| format!("the ATR{where_} ({}) is malformed", spaced(&raw)))?;
    let card_names = if args.no_names {
        None
    } else {
        names::lookup(&atr.raw)
    };
    if args.json {
        let v = serde_json::json!({
            "reader": source,
            "atr": atr,
            "names": card_names,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(r) = &source {
        println!("reader      {r}");
    }
    print!("{}", atr.explain());
    match card_names {
        None if !args.no_names => println!(
            "card names  (pcsc-tools' smartcard_list.txt is not installed: `apt install pcsc-tools`)"
        ),
        None => {}
        Some(v) if v.is_empty() => println!("card names  not in smartcard_list.txt"),
        Some(v) => {
            for entry in v {
                for (i, line) in entry.iter().enumerate() {
                    let head = if i == 0 { "card name" } else { "" };
                    println!("{head:<11} {line}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
