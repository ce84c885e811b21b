//! `sscard perso`.

use super::Globals;
use std::process::ExitCode;

/// Arguments of `sscard perso`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs `sscard perso`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    let _ = (args, g);
    anyhow::bail!("`sscard perso` is not available yet")
}
