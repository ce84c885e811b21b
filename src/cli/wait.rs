//! `sscard wait`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard wait`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard wait`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard wait` is not available yet")
}
