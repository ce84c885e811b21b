//! `sscard sim`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard sim`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard sim`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard sim` is not available yet")
}
