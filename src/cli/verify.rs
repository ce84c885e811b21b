//! `sscard verify`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard verify`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard verify`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard verify` is not available yet")
}
