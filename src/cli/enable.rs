//! `sscard enable` and `sscard disable`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard enable`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Arguments of `sscard disable`.
#[derive(clap::Args, Debug)]
pub struct DisableArgs {}

/// Runs `sscard enable`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard enable` is not available yet")
}

/// Runs `sscard disable`.
pub fn run_disable(args: DisableArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard disable` is not available yet")
}
