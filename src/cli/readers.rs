//! `sscard readers`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard readers`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard readers`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard readers` is not available yet")
}
