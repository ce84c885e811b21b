//! `sscard wait`: block until a card is inserted (or removed) in the chosen reader.

use super::Globals;
use sscard::apdu::spaced;
use sscard::transport::pcsc::{self, CardEvent};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `sscard wait`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Wait for the card to be removed instead of inserted.
    #[arg(long)]
    pub removal: bool,
    /// Give up after this many seconds (default: wait forever). Exit code 1 on timeout.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
}

/// Runs `sscard wait`. Returns at once when the reader is already in the wanted state.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    if g.reader.as_deref().is_some_and(|r| r.starts_with("sim:")) {
        anyhow::bail!("`sscard wait` needs a PC/SC reader; the virtual card is always present");
    }
    let timeout = match args.timeout {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            anyhow::bail!("--timeout must be a number of seconds >= 0, got {s}")
        }
        Some(s) => Some(Duration::from_secs_f64(s)),
        None => None,
    };
    let event = if args.removal {
        CardEvent::Removed
    } else {
        CardEvent::Inserted
    };
    let r = pcsc::wait_for(g.reader.as_deref(), event, timeout)?;
    match event {
        CardEvent::Inserted => println!(
            "card present in {}: \"{}\" (ATR {})",
            r.index,
            r.name,
            r.atr.as_deref().map(spaced).unwrap_or_else(|| "-".into())
        ),
        CardEvent::Removed => println!("no card in {}: \"{}\"", r.index, r.name),
    }
    Ok(ExitCode::SUCCESS)
}
