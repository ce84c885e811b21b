//! The PSAM's computation commands (pboc dialect, PSAM-CONTRACT.md §2):
//! - `80 1A <USAGE> <VERSION> <Lc=8n> <FACTORS>` (n = 0..3): derives the card key from the
//!   master key (USAGE, VERSION) by the factors in chain order (PBOC diversification per
//!   level, [`crate::crypto::derive::Chain`]) and keeps it for the next `80 FA` only;
//! - `80 FA 00 00 <Lc> <DATA> 00`: ECB encryption of DATA (whole blocks);
//! - `80 FA 05 00 <Lc> <IV> <DATA> 00`: the MAC of DATA (already padded, whole blocks) from IV
//!   (one block), as [`crate::crypto::mac_padded`]: 4 bytes.
//!
//! Refusals: the PSAM application not selected, or `80 FA` without a prior `80 1A`: 6985; the
//! PSAM PIN set and not verified: 6982; no key at (USAGE, VERSION), SSF33 (version `02`):
//! 6A88; a factor length not 8n or more than 3 levels, data not whole blocks: 6700; P1/P2
//! not as above: 6A86; a MAC with an encrypt-only key: 6985.

use super::{AID, PIN_REFERENCE, Pending, SSF33_VERSION, usage_by_code};
use crate::apdu::{Command, Sw};
use crate::crypto::derive::{Chain, Level};
use crate::crypto::{FACTOR_LEN, mac_padded};
use crate::sim::{CmdResult, Reply, VirtualCard};

/// Most diversification levels `80 1A` takes.
const MAX_LEVELS: usize = 3;

/// Handles the PSAM's own commands on a PSAM image; `None` for anything else (the virtual
/// card's file system and security commands answer it).
pub(crate) fn dispatch(card: &mut VirtualCard, cmd: &Command) -> Option<CmdResult> {
    if cmd.cla != 0x80 || card.state.psam.is_none() {
        return None;
    }
    match cmd.ins {
        0x1A => Some(init(card, cmd)),
        0xFA => Some(compute(card, cmd)),
        _ => None,
    }
}

/// `80 1A`: initialise a computation.
fn init(card: &mut VirtualCard, cmd: &Command) -> CmdResult {
    card.psam_pending = None;
    let df = card.current_df();
    if df.name.as_ref().map(|n| n.0.as_slice()) != Some(&AID[..]) {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    if let Some(pin) = df.keys.pin(PIN_REFERENCE)
        && !card.security.pin_verified(pin.reference)
    {
        return Err(Sw::SECURITY_NOT_SATISFIED);
    }
    if !cmd.data.len().is_multiple_of(FACTOR_LEN) || cmd.data.len() > MAX_LEVELS * FACTOR_LEN {
        return Err(Sw::WRONG_LENGTH);
    }
    let (usage_code, version) = (cmd.p1, cmd.p2);
    if version == SSF33_VERSION {
        return Err(Sw::REF_DATA_NOT_FOUND);
    }
    let usage = usage_by_code(usage_code).ok_or(Sw::REF_DATA_NOT_FOUND)?;
    let master = card
        .state
        .psam
        .as_ref()
        .and_then(|p| p.find(usage_code, version))
        .map(|k| k.key.clone())
        .ok_or(Sw::REF_DATA_NOT_FOUND)?;
    let mut levels = Vec::new();
    for (i, f) in cmd.data.chunks_exact(FACTOR_LEN).enumerate() {
        let factor: [u8; FACTOR_LEN] = f.try_into().map_err(|_| Sw::WRONG_LENGTH)?;
        levels.push(Level {
            source: format!("level {}", i + 1),
            factor,
        });
    }
    let key = Chain { levels }
        .apply(&master)
        .map_err(|_| Sw::REF_DATA_NOT_FOUND)?;
    card.psam_pending = Some(Pending { key, usage });
    Ok(Reply::empty())
}

/// `80 FA`: encrypt (P1 `00`) or MAC (P1 `05`) with the key the last `80 1A` derived.
fn compute(card: &mut VirtualCard, cmd: &Command) -> CmdResult {
    let mac = match (cmd.p1, cmd.p2) {
        (0x00, 0x00) => false,
        (0x05, 0x00) => true,
        _ => return Err(Sw::WRONG_P1P2),
    };
    let pending = card
        .psam_pending
        .take()
        .ok_or(Sw::CONDITIONS_NOT_SATISFIED)?;
    let bl = pending.key.block_len();
    let data = &cmd.data;
    if data.is_empty() || !data.len().is_multiple_of(bl) {
        return Err(Sw::WRONG_LENGTH);
    }
    if !mac {
        let out = pending
            .key
            .encrypt_ecb(data)
            .map_err(|_| Sw::WRONG_LENGTH)?;
        return Ok(Reply::ok(out));
    }
    if !pending.usage.ops.mac() {
        return Err(Sw::CONDITIONS_NOT_SATISFIED);
    }
    let (iv, message) = data.split_at(bl);
    if message.is_empty() {
        return Err(Sw::WRONG_LENGTH);
    }
    let out = mac_padded(&pending.key, iv, message).map_err(|_| Sw::WRONG_LENGTH)?;
    Ok(Reply::ok(out.to_vec()))
}
