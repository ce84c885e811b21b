//! `sscard diagnose`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard diagnose`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard diagnose`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard diagnose` is not available yet")
}
