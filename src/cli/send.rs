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
//! `--expect-ok`, the first status word other than 9000 stops and exits 1. A link failure
//! (no card, card removed, a response shorter than 2 bytes) exits 1 with a one-line reason.
//! `--raw` turns off GET RESPONSE on 61xx and the re-send on 6Cxx; `--reset warm|cold`,
//! `--transaction` and `--exclusive` control the PC/SC session.

use super::Globals;
use super::common::open_card_with;
use anyhow::Context;
use sscard::apdu::{Command, spaced};
use sscard::exchange::{ExchangeOptions, exchange};
use sscard::trace::mask_command;
use sscard::transport::{ResetKind, Transport};
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
    /// Reset the card first (warm: RST only; cold: power cycle) and print the new ATR.
    #[arg(long, value_name = "KIND")]
    pub reset: Option<Reset>,
    /// Send all APDUs inside one PC/SC transaction (no other program interleaves).
    #[arg(long)]
    pub transaction: bool,
    /// Connect in exclusive mode (other programs get a sharing violation meanwhile).
    #[arg(long)]
    pub exclusive: bool,
}

/// How `--reset` resets the card.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum Reset {
    /// Warm reset (RST toggled, power kept).
    Warm,
    /// Cold reset (power removed and applied again).
    Cold,
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
    let mut card = open_card_with(g, args.exclusive)?;
    let name = card.name();
    if let Some(kind) = args.reset {
        let kind = match kind {
            Reset::Warm => ResetKind::Warm,
            Reset::Cold => ResetKind::Cold,
        };
        let atr = card.reset(kind)?;
        println!("= {kind:?} reset, ATR {}", spaced(&atr));
    }
    // The APDU error matters most; end the transaction and close the card anyway.
    let (result, ended) = if args.transaction {
        let mut tx = card.transaction()?;
        let result = send_all(&mut tx, &cmds, &opts, args.expect_ok, &name);
        (result, tx.end())
    } else {
        (
            send_all(card.as_mut(), &cmds, &opts, args.expect_ok, &name),
            Ok(()),
        )
    };
    let closed = card.close();
    result?;
    ended?;
    closed?;
    Ok(ExitCode::SUCCESS)
}

fn send_all(
    card: &mut dyn Transport,
    cmds: &[Command],
    opts: &ExchangeOptions,
    expect_ok: bool,
    name: &str,
) -> anyhow::Result<()> {
    let n = cmds.len();
    for (i, cmd) in cmds.iter().enumerate() {
        let bytes = cmd.to_bytes()?;
        println!("> {}", mask_command(&bytes));
        let resp = exchange(card, cmd, opts)
            .with_context(|| format!("APDU {} of {n} on '{name}'", i + 1))?;
        if resp.data.is_empty() {
            println!("< {}", resp.sw);
        } else {
            println!("< {} : {}", spaced(&resp.data), resp.sw);
        }
        if expect_ok && !resp.is_ok() {
            anyhow::bail!("APDU {} of {n} ended with {} (--expect-ok)", i + 1, resp.sw);
        }
    }
    Ok(())
}
