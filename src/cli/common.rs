//! What every command shares: global options, opening the card link, logging.

use anyhow::Result;
use sscard::transport::Transport;

/// Options every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Globals {
    /// Reader: index, exact name, unique part of the name, or `sim:IMAGE.json` for the
    /// in-process virtual card.
    #[arg(long, short = 'r', global = true, env = "SSCARD_READER")]
    pub reader: Option<String>,
    /// Show every APDU and response with its duration and status word meaning (PINs masked).
    #[arg(long, global = true)]
    pub trace: bool,
    /// More log output (repeat for more).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Sets up the log subscriber (stderr).
pub fn init_logging(g: &Globals) {
    let _ = g;
}

/// Opens the card chosen by `--reader`: `sim:PATH` is the in-process virtual card, anything
/// else a PC/SC reader.
pub fn open_card(g: &Globals) -> Result<Box<dyn Transport>> {
    open_card_with(g, false)
}

/// Like `open_card`, with exclusive access for PC/SC (personalization, conformance).
pub fn open_card_with(g: &Globals, exclusive: bool) -> Result<Box<dyn Transport>> {
    if let Some(path) = g.reader.as_deref().and_then(|r| r.strip_prefix("sim:")) {
        return Ok(sscard::sim::transport::open(std::path::Path::new(path))?);
    }
    let opts = sscard::transport::pcsc::ConnectOptions {
        reader: g.reader.clone(),
        exclusive,
    };
    Ok(sscard::transport::pcsc::connect(&opts)?)
}
