//! `sscard bench`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard bench`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard bench`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard bench` is not available yet")
}
