//! `sscard conformance`: the suite generated from a profile, on a test card.

use super::Globals;
use anyhow::{Context, Result, bail};
use sscard::conformance::{Options, junit_xml, no_answer_report, run_suite_with};
use sscard::error::ErrorChain;
use sscard::transport::TransportError;
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER: &str = "\
The suite WRITES to the card: wrong PINs (counted, then restored with the PIN-unblock key),
DEACTIVATE/ACTIVATE of the applications, records rewritten with their own content. Run it only
on test cards; it refuses to start without --test-card. It lists what it changed.

Exit codes: 0 every check passed (or was skipped), 40 a check failed or was not run,
1 sscard itself could not run, 2 bad arguments. See docs/diagnose.md.";

/// Arguments of `sscard conformance`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER)]
pub struct Args {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file, the one the product is approved with.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
    /// Where the test card's keys come from (authentication, MAC and PIN unblock; a key
    /// file's initial PINs override the profile's).
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// Confirms the card is a test card: the suite writes to it.
    #[arg(long)]
    pub test_card: bool,
    /// The card identification code (hex), when keys are diversified by it.
    #[arg(long, value_name = "HEX")]
    pub card_id: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The region: the card must be a product on record there.
    #[command(flatten)]
    pub region: super::region::RegionArgs,
}

/// Runs `sscard conformance`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    if !args.test_card {
        bail!(
            "conformance writes to the card (wrong PINs, deactivation, rewritten records): \
             add --test-card to confirm the card in the reader is a test card"
        );
    }
    let profile = super::perso::load_profile(&args.profile)?;
    let keys = args.keys.open()?;
    let card_id = match &args.card_id {
        Some(h) => Some(sscard::apdu::parse_hex(h).with_context(|| format!("--card-id '{h}'"))?),
        None => None,
    };
    let opts = Options { card_id };
    let region = args.region.load()?;
    let report = match super::common::open_card_with(g, true) {
        Ok(mut card) => {
            match args.region.check_product(region.as_ref(), &card.atr()) {
                Ok(c) => {
                    if let (Some(l), false) = (c.line(), args.json) {
                        println!("{l}");
                    }
                }
                Err(e) => {
                    let _ = card.close();
                    return Err(e.context("conformance not run"));
                }
            }
            let r = run_suite_with(
                card.as_mut(),
                &profile,
                keys.as_ref().and_then(|k| k.file.as_ref()),
                keys.as_ref().map(|k| k.source.clone()),
                &opts,
            );
            let _ = card.close();
            r
        }
        Err(e) => match e.downcast_ref::<TransportError>() {
            Some(te @ TransportError::Unresponsive { reader }) => {
                no_answer_report(reader, &profile, &te.chain().to_string())
            }
            _ => return Err(e),
        },
    };
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_xml(&report))
            .with_context(|| format!("writing the JUnit report {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(ExitCode::from(if report.passed() { 0 } else { 40 }))
}
