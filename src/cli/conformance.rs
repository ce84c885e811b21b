//! `sscard conformance`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard conformance`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard conformance`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard conformance` is not available yet")
}
