//! `sscard send`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard send`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard send`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard send` is not available yet")
}
