//! `sscard init`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard init`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard init`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard init` is not available yet")
}
