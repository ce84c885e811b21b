//! `sscard read`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard read`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard read`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard read` is not available yet")
}
