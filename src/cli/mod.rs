//! Command-line parsing and dispatch. One file per command; each has `Args` and `run`.

pub mod common;

mod atr;
mod batch;
mod bench;
mod conformance;
mod demo;
mod diagnose;
mod enable;
pub mod generate;
mod hsm;
mod init;
pub mod journal;
mod keys;
mod keys_hsm;
mod perso;
mod photo;
mod pin;
mod profile;
mod profile_list;
mod read;
mod readers;
pub mod region;
mod replace;
mod run;
mod send;
mod sim;
mod verify;
mod wait;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use common::Globals;

/// sscard: read, personalize, verify, enable and diagnose social security cards (社会保障卡)
/// and other ISO 7816 contact cards over PC/SC, or on the built-in virtual card.
#[derive(Parser, Debug)]
#[command(name = "sscard", version = sscard::version::LONG, about, long_about = None)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Globals,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the PC/SC readers and whether a card is present.
    Readers(readers::Args),
    /// Read and explain the card's ATR.
    Atr(atr::Args),
    /// Send one or more APDUs (hex) and print the responses.
    Send(send::Args),
    /// Wait until a card is inserted or removed.
    Wait(wait::Args),
    /// Run an APDU script (scriptor-compatible, with expectations and variables).
    Run(run::Args),
    /// List, check, show and fingerprint card profiles.
    #[command(subcommand)]
    Profile(profile::Command),
    /// Build a profile's file structure on a blank card (manufacturer step).
    Init(init::Args),
    /// Personalize a card with a holder's record, verify it and enable it.
    Perso(perso::Args),
    /// Read back every element and compare with a record.
    Verify(verify::Args),
    /// Enable (activate) the social security application after a successful verify.
    Enable(enable::Args),
    /// Disable (deactivate) the application: a lost or replaced card.
    Disable(enable::DisableArgs),
    /// PIN operations: verify, change, unblock; shows tries left.
    #[command(subcommand)]
    Pin(pin::Command),
    /// Read and decode every data element of the card.
    Read(read::Args),
    /// The holder's photo (EF08): write a JPEG/PNG to the card, or read it back.
    #[command(subcommand)]
    Photo(photo::Command),
    /// Diagnose an aged or failing chip (read-only) and give a verdict.
    Diagnose(diagnose::Args),
    /// Personalize a list of records over one or more readers, with a journal (resumable).
    Batch(batch::Args),
    /// Replace a holder's aged, damaged, lost or expired card: read the old card, issue the
    /// new one, disable the old one, record the replacement.
    Replace(Box<replace::Args>),
    /// The issuance journal / city register: show, export, stats, report a card lost.
    #[command(subcommand)]
    Journal(journal::Command),
    /// Run the conformance suite generated from a profile on a test card.
    Conformance(conformance::Args),
    /// Run the virtual card: behind pcscd's vpcd driver, or show/create an image.
    Sim(sim::Args),
    /// The main job on the built-in virtual card: init, perso, verify, enable, read.
    Demo(demo::Args),
    /// Measure APDU throughput and latency on a reader.
    Bench(bench::Args),
    /// PKCS#11 HSM helpers: load the synthetic test keys into a test token.
    #[command(subcommand)]
    Hsm(hsm::Command),
}

/// Sets up logging for `--trace` and `-v`.
pub fn init_logging(g: &Globals) {
    common::init_logging(g);
}

/// Runs the chosen command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Readers(a) => readers::run(a, g),
        Command::Atr(a) => atr::run(a, g),
        Command::Send(a) => send::run(a, g),
        Command::Wait(a) => wait::run(a, g),
        Command::Run(a) => run::run(a, g),
        Command::Profile(c) => profile::run(c, g),
        Command::Init(a) => init::run(a, g),
        Command::Perso(a) => perso::run(a, g),
        Command::Verify(a) => verify::run(a, g),
        Command::Enable(a) => enable::run(a, g),
        Command::Disable(a) => enable::run_disable(a, g),
        Command::Pin(c) => pin::run(c, g),
        Command::Read(a) => read::run(a, g),
        Command::Photo(c) => photo::run(c, g),
        Command::Diagnose(a) => diagnose::run(a, g),
        Command::Batch(a) => batch::run(a, g),
        Command::Replace(a) => replace::run(*a, g),
        Command::Journal(c) => journal::run(c, g),
        Command::Conformance(a) => conformance::run(a, g),
        Command::Sim(a) => sim::run(a, g),
        Command::Demo(a) => demo::run(a, g),
        Command::Bench(a) => bench::run(a, g),
        Command::Hsm(c) => hsm::run(c, g),
    }
}
