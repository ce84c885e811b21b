//! What every command shares: global options, opening the card link, logging.

use anyhow::Result;
use sscard::transport::Transport;
use sscard::transport::pcsc::ProtocolChoice;

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
    /// PC/SC transmission protocol: any, T0 or T1.
    #[arg(long, global = true, default_value = "any", value_name = "PROTO")]
    pub protocol: ProtocolChoice,
}

/// Sets up the log subscriber (stderr).
///
/// Default: warnings only. `--trace`: the APDU trace (`sscard::trace`) at INFO, printed as
/// bare lines. `-v`: INFO for everything, `-vv`: DEBUG, `-vvv`: TRACE, with levels and
/// targets. `RUST_LOG` replaces the filter (`--trace` still shows the trace).
pub fn init_logging(g: &Globals) {
    use tracing_subscriber::EnvFilter;
    let base = match g.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let directive = if g.trace {
        format!("{base},sscard::trace=info")
    } else {
        format!("{base},sscard::trace=off")
    };
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directive));
    if g.trace {
        // `--trace` wins over a RUST_LOG that does not mention the trace.
        if let Ok(d) = "sscard::trace=info".parse() {
            filter = filter.add_directive(d);
        }
    }
    let plain = g.verbose == 0;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_level(!plain)
        .with_target(!plain)
        .try_init();
}

/// Opens the card chosen by `--reader`: `sim:PATH` is the in-process virtual card, anything
/// else a PC/SC reader.
pub fn open_card(g: &Globals) -> Result<Box<dyn Transport>> {
    open_card_with(g, false)
}

/// Like `open_card`, with exclusive access for PC/SC (personalization, conformance).
///
/// With `--trace` the link is tapped with [`sscard::trace::trace`], the one place APDUs are
/// shown (secrets masked), so every command and workflow is traced the same way.
pub fn open_card_with(g: &Globals, exclusive: bool) -> Result<Box<dyn Transport>> {
    let card = sscard::transport::open(g.reader.as_deref(), exclusive, g.protocol)?;
    if g.trace {
        tracing::info!(
            target: "sscard::trace",
            "= {} ATR {}",
            card.name(),
            sscard::apdu::spaced(&card.atr())
        );
        Ok(Box::new(sscard::transport::Tap::new(
            card,
            sscard::trace::trace(),
        )))
    } else {
        Ok(card)
    }
}
