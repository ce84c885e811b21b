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

/// The error text for the operator: the error and its causes joined by `: `, with a cause left
/// out when the text before it already says it (many library errors put their source into
/// their own message, and anyhow's `{:#}` would print it twice). Its first line is the reason;
/// an error that lists several problems (a record, a profile) keeps them on lines of their own.
pub fn operator_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || msg.contains(text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(text);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::operator_message;

    #[derive(Debug)]
    struct Leaf;
    impl std::fmt::Display for Leaf {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("6A82 (file or application not found)")
        }
    }
    impl std::error::Error for Leaf {}

    /// An error that prints its source in its own message and also returns it as source().
    #[derive(Debug)]
    struct Repeats(Leaf);
    impl std::fmt::Display for Repeats {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SELECT of DF SSSE refused: {}", self.0)
        }
    }
    impl std::error::Error for Repeats {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let e = anyhow::Error::new(Repeats(Leaf)).context("reading the card on sim:x.json");
        assert_eq!(
            operator_message(&e),
            "reading the card on sim:x.json: SELECT of DF SSSE refused: 6A82 (file or application not found)"
        );
    }

    #[test]
    fn a_new_cause_is_kept_and_lines_stay_lines() {
        let e = anyhow::Error::new(Leaf).context("line one\nline two");
        assert_eq!(
            operator_message(&e),
            "line one\nline two: 6A82 (file or application not found)"
        );
    }
}
