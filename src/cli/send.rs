//! `sscard send`: send APDUs given in hex and print the responses.
//!
//! ```text
//! $ sscard send 00A4000C023F00 00B0000004
//! > 00 A4 00 0C 02 3F 00
//! < 9000 (success)
//! > 00 B0 00 00 04
//! < 01 02 03 04 : 9000 (success)
//! ```
//! Secrets (VERIFY PINs, cryptograms, WRITE KEY values) are masked in the `>` lines, as in the
//! trace. Exit code 0 when every APDU got a response, whatever its status word; with
//! `--expect-ok`, the first status word other than 9000 stops and exits 1.

use super::Globals;
use super::common::open_card;
use anyhow::Context;
use sscard::apdu::{Command, spaced};
use sscard::exchange::{ExchangeOptions, exchange};
use sscard::trace::mask_command;
use std::process::ExitCode;

/// Arguments of `sscard send`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// APDUs in hex (spaces inside need quotes; colons and lower case are fine), sent in order.
    #[arg(required = true, value_name = "APDU")]
    pub apdus: Vec<String>,
    /// Raw exchange: no automatic GET RESPONSE on 61xx, no re-send on 6Cxx.
    #[arg(long)]
    pub raw: bool,
    /// CLA byte of the automatic GET RESPONSE, in hex.
    #[arg(long, default_value = "00", value_name = "HEX", value_parser = parse_cla)]
    pub get_response_cla: u8,
    /// Stop at the first status word other than 9000 and exit 1.
    #[arg(long)]
    pub expect_ok: bool,
}

fn parse_cla(s: &str) -> Result<u8, String> {
    u8::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|_| format!("'{s}' is not one hex byte"))
}

/// Runs `sscard send`.
pub fn run(args: Args, g: &Globals) -> anyhow::Result<ExitCode> {
    // Parse everything first: a typo in the third APDU must not leave the card half-done.
    let mut cmds = Vec::with_capacity(args.apdus.len());
    for (i, text) in args.apdus.iter().enumerate() {
        let cmd = Command::from_hex(text)
            .with_context(|| format!("APDU {} of {} is not valid", i + 1, args.apdus.len()))?;
        cmds.push(cmd);
    }
    let opts = ExchangeOptions {
        auto: !args.raw,
        get_response_cla: args.get_response_cla,
    };
    let mut card = open_card(g)?;
    let name = card.name();
    let n = cmds.len();
    for (i, cmd) in cmds.iter().enumerate() {
        let bytes = cmd.to_bytes()?;
        println!("> {}", mask_command(&bytes));
        let resp = exchange(card.as_mut(), cmd, &opts)
            .with_context(|| format!("APDU {} of {n} on '{name}'", i + 1))?;
        if resp.data.is_empty() {
            println!("< {}", resp.sw);
        } else {
            println!("< {} : {}", spaced(&resp.data), resp.sw);
        }
        if args.expect_ok && !resp.is_ok() {
            card.close()?;
            anyhow::bail!("APDU {} of {n} ended with {} (--expect-ok)", i + 1, resp.sw);
        }
    }
    card.close()?;
    Ok(ExitCode::SUCCESS)
}
