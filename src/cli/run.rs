//! `sscard run`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard run`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard run`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard run` is not available yet")
}
