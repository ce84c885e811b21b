//! `sscard pin ...`.

use super::Globals;
use std::process::ExitCode;

/// Subcommands of `sscard pin`.
#[derive(clap::Subcommand, Debug)]
pub enum Command {}

/// Runs `sscard pin ...`.
pub fn run(cmd: Command, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = g;
    match cmd {}
}
