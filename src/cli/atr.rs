//! `sscard atr`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard atr`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard atr`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard atr` is not available yet")
}
