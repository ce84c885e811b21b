//! `sscard readers`: the PC/SC readers, whether a card is in each, and its ATR.

use super::Globals;
use sscard::apdu::spaced;
use std::process::ExitCode;

/// Arguments of `sscard readers`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON (one array of {index, name, card_present, exclusive, atr}).
    #[arg(long)]
    pub json: bool,
}

/// Runs `sscard readers`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = g;
    let readers = sscard::transport::pcsc::list_readers()?;
    if args.json {
        let v: Vec<serde_json::Value> = readers
            .iter()
            .map(|r| {
                serde_json::json!({
                    "index": r.index,
                    "name": r.name,
                    "card_present": r.card_present,
                    "exclusive": r.exclusive,
                    "atr": r.atr.as_deref().map(sscard::apdu::compact),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    if readers.is_empty() {
        println!("no readers (pcscd runs but sees no reader: plug one in)");
        return Ok(ExitCode::SUCCESS);
    }
    for r in &readers {
        let state = match (&r.atr, r.card_present) {
            (Some(atr), _) => format!("card, ATR {}", spaced(atr)),
            (None, true) => "card (no ATR yet)".to_string(),
            (None, false) => "no card".to_string(),
        };
        let excl = if r.exclusive {
            " [in exclusive use]"
        } else {
            ""
        };
        println!("{}: {}  {state}{excl}", r.index, r.name);
    }
    Ok(ExitCode::SUCCESS)
}
