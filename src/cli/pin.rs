//! `sscard pin status|verify|change|unblock`: the holder's PIN, with the tries left.
//! PIN values come from `--pin`/`--new-pin`, the environment (`SSCARD_PIN`, `SSCARD_NEW_PIN`)
//! or a prompt without echo; they are never printed.

use super::Globals;
use super::perso::{factor_values, load_profile};
use anyhow::{Context, Result, bail};
use sscard::card::PinState;
use sscard::perso::Station;
use sscard::perso::pin;
use sscard::profile::KeyRole;
use sscard::session::in_transaction;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every `sscard pin` subcommand takes.
#[derive(clap::Args, Debug)]
pub struct Common {
    /// The card profile: a name (`ssc-3.00`, see `sscard profile list`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: PathBuf,
}

/// Subcommands of `sscard pin`.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Show the tries left without spending one.
    Status {
        /// Profile.
        #[command(flatten)]
        c: Common,
    },
    /// Check a PIN (a wrong one spends a try; the tries left are shown).
    Verify {
        /// Profile.
        #[command(flatten)]
        c: Common,
        /// The PIN (else env SSCARD_PIN, else a prompt).
        #[arg(long, env = "SSCARD_PIN", hide_env_values = true)]
        pin: Option<PinArg>,
    },
    /// Change the PIN (old PIN, then the new one).
    Change {
        /// Profile.
        #[command(flatten)]
        c: Common,
        /// The current PIN (else env SSCARD_PIN, else a prompt).
        #[arg(long, env = "SSCARD_PIN", hide_env_values = true)]
        pin: Option<PinArg>,
        /// The new PIN (else env SSCARD_NEW_PIN, else a prompt, asked twice).
        #[arg(long, env = "SSCARD_NEW_PIN", hide_env_values = true)]
        new_pin: Option<PinArg>,
    },
    /// Unblock the PIN with the PIN-unblock key (at the counter), optionally setting a new one.
    Unblock {
        /// Profile.
        #[command(flatten)]
        c: Common,
        /// Where the PIN-unblock key comes from.
        #[command(flatten)]
        keys: super::keys::KeyArgs,
        /// The holder's record (gives the card identification code for key diversification).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// The card identification code (32 hex digits), instead of --record.
        #[arg(long, value_name = "HEX", conflicts_with = "record")]
        card_id: Option<String>,
        /// A new PIN to set while unblocking (else the PIN is kept).
        #[arg(long, env = "SSCARD_NEW_PIN", hide_env_values = true)]
        new_pin: Option<PinArg>,
    },
}

/// A PIN given on the command line or in the environment: never shown by `Debug`.
#[derive(Clone)]
pub struct PinArg(String);

impl std::fmt::Debug for PinArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinArg(******)")
    }
}

impl std::str::FromStr for PinArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(PinArg(s.to_string()))
    }
}

fn ask(given: Option<PinArg>, prompt: &str) -> Result<String> {
    match given {
        Some(p) => Ok(p.0),
        None => rpassword::prompt_password(prompt)
            .context("reading the PIN from the terminal (or give --pin / SSCARD_PIN)"),
    }
}

fn ask_new(given: Option<PinArg>) -> Result<String> {
    if let Some(p) = given {
        return Ok(p.0);
    }
    let a = ask(None, "new PIN: ")?;
    let b = ask(None, "new PIN again: ")?;
    if a != b {
        bail!("the two new PINs differ: nothing changed");
    }
    Ok(a)
}

fn print_state(what: &str, st: PinState) -> ExitCode {
    println!("{what}: {}", pin::describe(st));
    match st {
        PinState::Verified => ExitCode::SUCCESS,
        PinState::TriesLeft(_) => ExitCode::from(2),
        PinState::Blocked => ExitCode::from(3),
    }
}

/// Runs `sscard pin ...`. Exit code: 0 PIN correct / done, 2 wrong PIN (tries left shown),
/// 3 blocked, 1 other errors.
pub fn run(cmd: Command, g: &Globals) -> Result<ExitCode> {
    let profile_path = match &cmd {
        Command::Status { c }
        | Command::Verify { c, .. }
        | Command::Change { c, .. }
        | Command::Unblock { c, .. } => c.profile.clone(),
    };
    let profile = load_profile(&profile_path)?;
    let station = Station::new(&profile)?;
    let app = &station.app;
    let mut card = super::common::open_card(g)?;
    let name = card.name();
    let result = match cmd {
        Command::Status { .. } => {
            in_transaction(card.as_mut(), |s| pin::status(s, app)).map(|st| match st {
                PinState::Verified | PinState::TriesLeft(_) => {
                    println!("PIN: {}", pin::describe(st));
                    ExitCode::SUCCESS
                }
                PinState::Blocked => print_state("PIN", st),
            })
        }
        Command::Verify { pin, .. } => {
            let p = ask(pin, "PIN: ")?;
            in_transaction(card.as_mut(), |s| pin::verify(s, app, &p))
                .map(|st| print_state("verify", st))
        }
        Command::Change { pin, new_pin, .. } => {
            let old = ask(pin, "current PIN: ")?;
            let new = ask_new(new_pin)?;
            in_transaction(card.as_mut(), |s| pin::change(s, app, &old, &new)).map(|st| match st {
                PinState::Verified => {
                    println!("change: PIN changed");
                    ExitCode::SUCCESS
                }
                other => print_state("change: PIN NOT changed", other),
            })
        }
        Command::Unblock {
            keys,
            record,
            card_id,
            new_pin,
            ..
        } => {
            let values = factor_values(&station, record.as_deref(), card_id.as_deref())?;
            let source = keys.require("unblocking the PIN")?.source;
            let card_keys = station.card_keys_from(Some(&source), &values, &card.atr());
            let puk = profile
                .df(&app.profile_df)
                .and_then(|df| df.keys.iter().find(|k| k.role == KeyRole::PinUnblock))
                .map(|k| k.id)
                .context("the profile declares no PIN-unblock key (role pin-unblock) in the application DF")?;
            // GET CHALLENGE then the MAC'd RESET RETRY COUNTER: one transaction, so no other
            // program can take the challenge between the two.
            in_transaction(card.as_mut(), |s| {
                pin::unblock(
                    s,
                    app,
                    &card_keys,
                    puk,
                    new_pin.as_ref().map(|p| p.0.as_str()),
                )
            })
            .map(|st| {
                println!("unblock: done, {}", pin::describe(st));
                ExitCode::SUCCESS
            })
        }
    };
    let _ = card.close();
    result.with_context(|| format!("PIN of {} on {name}", app.df_label))
}
