//! `sscard demo`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard demo`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard demo`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard demo` is not available yet")
}
