//! `sscard profile ...`.

use super::Globals;
use std::process::ExitCode;

/// Subcommands of `sscard profile`.
#[derive(clap::Subcommand, Debug)]
pub enum Command {}

/// Runs `sscard profile ...`.
pub fn run(cmd: Command, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = g;
    match cmd {}
}
