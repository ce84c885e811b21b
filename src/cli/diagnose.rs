//! `sscard diagnose`: is this aged card still good? Strictly read-only.

use super::Globals;
use anyhow::Result;
use sscard::diagnose::{Options, Report, diagnose_with_keys, no_response};
use sscard::error::ErrorChain;
use sscard::region::ProductReport;
use sscard::transport::TransportError;
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER: &str = "\
Verdicts and exit codes:
   0  OK
  10  OK, EXPIRED           (an expired card stays usable)
  11  NOT ENABLED           (application not enabled, disabled or terminated)
  12  PIN BLOCKED           (unblock at the counter)
  20  DATA DAMAGED          (re-personalize or replace)
  21  PROFILE MISMATCH      (the card's spec version is of another generation than --profile)
  22  NOT ISSUABLE          (security not enforced: finish init)
  30  CHIP FAILING          (replace the card)
  31  NO RESPONSE           (replace the card)
   1  sscard itself could not run (bad profile, no reader, ...); 2 bad arguments

Without --profile, the card's spec version (EF05 tag 03) picks the shipped profile. Every
element is read as the card allows; the read key is used only where the card answers 6982.
Without --keys, data the card refuses (3rd generation: EF06) is not checked, a 'not read'
line names the elements and the key, and the verdict says so (exit code unchanged). A read
key the card refuses (wrong key file or card id) is a note, not a fault: the verdict keeps
its code and says 'check the key file / card id'.

Nothing is written and no counter moves: only SELECT, READ, GET RESPONSE, GET DATA and
VERIFY without data reach the card; with --keys also GET CHALLENGE and EXTERNAL
AUTHENTICATE with the read key (at most one refused attempt per application). See
docs/diagnose.md.";

/// Arguments of `sscard diagnose`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER)]
pub struct Args {
    /// The card profile the card was made with: a name (`ssc-3.00`, see `sscard profile list`)
    /// or a TOML file. Without it, the card's spec version
    /// (EF05 tag 03) picks the shipped profile (1.x: ssc-1.00, 2.x: ssc-2.00, 3.x: ssc-3.00).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Resets for the power-up check (cold and warm alternately).
    #[arg(long, default_value_t = 4)]
    pub resets: usize,
    /// Harmless commands for the link check.
    #[arg(long, default_value_t = 32)]
    pub rounds: usize,
    /// Compare the expiry date with this date (YYYYMMDD) instead of today.
    #[arg(long, value_name = "YYYYMMDD")]
    pub today: Option<String>,
    /// Where the read key comes from, to read data it protects (3rd generation). Only the
    /// read key is used, only for external authentication.
    #[command(flatten)]
    pub keys: super::keys::KeyArgs,
    /// A record giving the card identification code, when the read key is diversified by it
    /// (without it and --card-id, the code is read from the card: EF05 tag 01).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The card identification code (32 hex digits), when the read key is diversified by it.
    #[arg(long, value_name = "HEX", conflicts_with = "record")]
    pub card_id: Option<String>,
    /// The region whose card products on record the card is identified among: a name
    /// (`example`) or a TOML file (default: `region` of sscard.toml). Without one the product
    /// is not checked.
    #[arg(long, value_name = "NAME|FILE", env = "SSCARD_REGION")]
    pub region: Option<PathBuf>,
}

/// Runs `sscard diagnose`.
pub fn run(args: Args, g: &Globals) -> Result<ExitCode> {
    let given = args
        .profile
        .as_deref()
        .map(super::perso::load_profile)
        .transpose()?;
    if let Some(t) = &args.today
        && (t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()))
    {
        anyhow::bail!("--today wants a date YYYYMMDD, got '{t}'");
    }
    if (args.record.is_some() || args.card_id.is_some()) && !args.keys.given()? {
        anyhow::bail!(
            "--record and --card-id diversify the read key: give the key source too (--keys FILE, --psam READER or --pkcs11 MODULE.so --token LABEL)"
        );
    }
    let region = super::region::load(args.region.as_ref())?;
    let opts = Options {
        resets: args.resets,
        link_rounds: args.rounds,
        today: args.today.clone(),
    };
    let mut card = match super::common::open_card(g) {
        Ok(card) => card,
        Err(e) => match e.downcast_ref::<TransportError>() {
            Some(
                te @ (TransportError::Unresponsive { reader }
                | TransportError::CardRemoved { reader }),
            ) => {
                let name = given
                    .as_ref()
                    .map_or("(none: not detected)", |p| &p.meta.name);
                let report = no_response(reader, name, &te.chain().to_string());
                return print(&report, args.json);
            }
            _ => return Err(e),
        },
    };
    let profile = match given {
        Some(p) => p,
        None => super::read::profile_or_detect(None, card.as_mut())?.0,
    };
    let keys = match args.keys.open()? {
        Some(k) => {
            let station = sscard::perso::Station::new(&profile)?;
            let values = super::read::factors_or_card(
                &station,
                args.record.as_deref(),
                args.card_id.as_deref(),
                true,
                card.as_mut(),
            )?;
            Some(station.card_keys_from(Some(&k.source), &values, &card.atr()))
        }
        None => None,
    };
    let mut report = diagnose_with_keys(card.as_mut(), &profile, &opts, keys.as_ref());
    report.product = Some(ProductReport::new(region.as_ref(), &card.atr()));
    let _ = card.close();
    print(&report, args.json)
}

fn print(report: &Report, json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(ExitCode::from(report.exit_code))
}
