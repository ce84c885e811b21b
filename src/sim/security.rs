//! The virtual card's security: keys and PINs per DF, the security state, access-condition
//! evaluation, secure messaging and the security commands. The cryptography itself is
//! `crate::crypto` (shared with the host); the definitions are in docs/crypto.md.
//!
//! The hooks the rest of the card calls:
//! - [`KeyStore`]: the keys and PINs of one DF, stored in the DF's node (`Node::keys`), serde
//!   (card image). [`KeyStore::blank_mf`] gives the documented test keys of a blank MF.
//! - [`SecurityState`]: what has been verified / authenticated, and the pending challenge.
//!   Not saved. [`SecurityState::clear`] runs when another DF becomes current and on reset.
//! - [`evaluate`]: called by `VirtualCard::check_access` with an access-condition byte
//!   (docs/cos.md: `00` always, `1N` PIN N verified, `2N` external authentication with key N
//!   done, `3N` this command carries a MAC by key N, `FF` never; any other value: never).
//! - [`unwrap_secure_messaging`]: called for every command whose CLA has SM bits; checks the
//!   MAC (CLA `x4` only; `x8`/`xC` answer 6882) and returns the plain command.
//! - [`dispatch`]: the security commands (GET CHALLENGE, EXTERNAL/INTERNAL AUTHENTICATE,
//!   VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, WRITE KEY, APPLICATION BLOCK/UNBLOCK,
//!   CARD BLOCK) in `commands`.
//!
//! Keys and PINs are looked up in the current DF first, then in its parents up to the MF; a
//! nearer DF's id hides the same id further up.

mod commands;
mod keys;

pub use keys::{
    DEFAULT_PIN_TRIES, KeyEntry, KeyStore, KeyUsage, MAX_ID, PinEntry, Tries, pin_len_ok,
};

use super::VirtualCard;
use super::fs::Path;
use crate::apdu::{Command, Sw};
use crate::crypto::{self, CHALLENGE_LEN};

/// Where challenges come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChallengeSource {
    /// The operating system's random generator (the default).
    #[default]
    Random,
    /// A reproducible sequence from a seed (tests, demos, comparable traces).
    Seeded {
        /// The seed.
        seed: u64,
        /// Challenges handed out so far.
        counter: u64,
    },
}

/// What has been proven since the last reset or DF change, and the pending challenge.
/// Not saved in the image.
#[derive(Clone, Default, Debug)]
pub struct SecurityState {
    /// Bit N: PIN reference N verified.
    pins: u32,
    /// Bit N: external authentication with key N done.
    auths: u32,
    /// The challenge of the last GET CHALLENGE, until used once.
    challenge: Option<[u8; CHALLENGE_LEN]>,
    /// Kept across `clear`.
    source: ChallengeSource,
}

impl SecurityState {
    /// Forgets every verified PIN, authentication and the pending challenge (DF change,
    /// reset, power-off). The challenge source stays.
    pub fn clear(&mut self) {
        self.pins = 0;
        self.auths = 0;
        self.challenge = None;
    }

    /// Whether PIN `reference` has been verified.
    pub fn pin_verified(&self, reference: u8) -> bool {
        bit(self.pins, reference)
    }

    /// Whether external authentication with key `id` has been done.
    pub fn authenticated(&self, id: u8) -> bool {
        bit(self.auths, id)
    }

    /// Whether any external authentication holds (in the current DF: a DF change clears
    /// them): the issuer's station has proven itself (docs/cos.md, deactivated state).
    pub fn any_auth(&self) -> bool {
        self.auths != 0
    }

    fn set_pin(&mut self, reference: u8, on: bool) {
        set_bit(&mut self.pins, reference, on);
    }

    fn set_auth(&mut self, id: u8, on: bool) {
        set_bit(&mut self.auths, id, on);
    }

    /// Takes the pending challenge (it is used once).
    fn take_challenge(&mut self) -> Option<[u8; CHALLENGE_LEN]> {
        self.challenge.take()
    }

    /// Draws a new 8-byte challenge and remembers it.
    fn new_challenge(&mut self) -> Result<[u8; CHALLENGE_LEN], Sw> {
        let mut c = [0u8; CHALLENGE_LEN];
        match &mut self.source {
            ChallengeSource::Random => getrandom::fill(&mut c).map_err(|_| Sw::UNKNOWN)?,
            ChallengeSource::Seeded { seed, counter } => {
                *counter = counter.wrapping_add(1);
                c = splitmix64(seed.wrapping_add(*counter)).to_be_bytes();
            }
        }
        self.challenge = Some(c);
        Ok(c)
    }

    /// Remembers a challenge (GET CHALLENGE with Le 4: `random(4) || 00 00 00 00`).
    fn set_challenge(&mut self, c: [u8; CHALLENGE_LEN]) {
        self.challenge = Some(c);
    }
}

fn bit(mask: u32, n: u8) -> bool {
    n <= MAX_ID && mask & (1u32 << n) != 0
}

fn set_bit(mask: &mut u32, n: u8, on: bool) {
    if n <= MAX_ID {
        if on {
            *mask |= 1u32 << n;
        } else {
            *mask &= !(1u32 << n);
        }
    }
}

/// SplitMix64: a small, well-mixed sequence for seeded challenges (not for secrets).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl VirtualCard {
    /// Makes GET CHALLENGE reproducible (`Some(seed)`) or random again (`None`).
    pub fn set_challenge_seed(&mut self, seed: Option<u64>) {
        self.security.source = match seed {
            Some(seed) => ChallengeSource::Seeded { seed, counter: 0 },
            None => ChallengeSource::Random,
        };
    }
}

/// What secure messaging proved for the command being processed (reset for every APDU).
#[derive(Clone, Default, Debug)]
pub struct SmContext {
    /// The key id whose MAC over this command was verified, if any.
    pub mac_key: Option<u8>,
}

/// Evaluates access condition `ac` (docs/cos.md: `00`, `1N`, `2N`, `3N`, `FF`) for the
/// command being processed, with the keys of the DF at `df`. Refusal: 6982.
pub fn evaluate(card: &VirtualCard, df: &[usize], ac: u8) -> Result<(), Sw> {
    let n = ac & 0x0F;
    let ok = match ac >> 4 {
        0x0 if ac == 0x00 => true,
        0x1 => card.security.pin_verified(n),
        0x2 => card.security.authenticated(n),
        0x3 => card.sm.mac_key == Some(n) && find_key(card, df, n).is_some(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Sw::SECURITY_NOT_SATISFIED)
    }
}

/// Checks and removes secure messaging from `cmd`: CLA `x4` with a 4-byte MAC at the end of
/// the data (docs/crypto.md), computed with the challenge of the last GET CHALLENGE (used
/// once). The MAC is tried with every key in scope of the current DF (see the module doc);
/// the first whose MAC matches is recorded in the returned [`SmContext`]. No challenge: 6984;
/// no matching key: 6988; CLA `x8`/`xC` (ISO SM data objects): 6882.
pub fn unwrap_secure_messaging(
    card: &mut VirtualCard,
    cmd: Command,
) -> Result<(Command, SmContext), Sw> {
    if cmd.cla & 0x0C != 0x04 {
        return Err(Sw::SM_NOT_SUPPORTED);
    }
    let challenge = card
        .security
        .take_challenge()
        .ok_or(Sw::REF_DATA_NOT_USABLE)?;
    let header = [cmd.cla, cmd.ins, cmd.p1, cmd.p2];
    let df = current_df(card);
    let mut found = None;
    for (owner, id) in keys_in_scope(card, &df) {
        let Some(entry) = card.node(&owner).and_then(|n| n.keys.key(id)) else {
            continue;
        };
        if entry.tries.blocked() {
            continue;
        }
        if let Some(plain) = crypto::verify_sm_command(&entry.key, &challenge, header, &cmd.data) {
            found = Some((id, plain.to_vec()));
            break;
        }
    }
    let (id, data) = found.ok_or(Sw::SM_DATA_INCORRECT)?;
    let plain = Command {
        cla: cmd.cla & !0x0C,
        ins: cmd.ins,
        p1: cmd.p1,
        p2: cmd.p2,
        data,
        le: cmd.le,
    };
    Ok((plain, SmContext { mac_key: Some(id) }))
}

/// Handles the security commands. `None`: not a security INS (the card answers 6D00).
/// `Some(Ok(data))`: success, data to return with 9000 (or via GET RESPONSE in T=0 mode).
pub fn dispatch(card: &mut VirtualCard, cmd: &Command) -> Option<Result<Vec<u8>, Sw>> {
    commands::dispatch(card, cmd)
}

/// Where keys of the current DF live: the path of the current DF (helper for handlers).
pub fn current_df(card: &VirtualCard) -> Path {
    card.current_df_path().to_vec()
}

/// The DF paths from `df` up to the MF (nearest first).
fn scope(df: &[usize]) -> impl Iterator<Item = &[usize]> {
    (0..=df.len()).rev().filter_map(move |n| df.get(..n))
}

/// The path of the DF holding the key `id` visible from `df`.
fn find_key(card: &VirtualCard, df: &[usize], id: u8) -> Option<Path> {
    scope(df)
        .find(|p| card.node(p).is_some_and(|n| n.keys.key(id).is_some()))
        .map(<[usize]>::to_vec)
}

/// The path of the DF holding PIN `reference` visible from `df`.
fn find_pin(card: &VirtualCard, df: &[usize], reference: u8) -> Option<Path> {
    scope(df)
        .find(|p| {
            card.node(p)
                .is_some_and(|n| n.keys.pin(reference).is_some())
        })
        .map(<[usize]>::to_vec)
}

/// Every visible key as (owner DF, id), nearest DF first, ids hidden by a nearer DF left out.
fn keys_in_scope(card: &VirtualCard, df: &[usize]) -> Vec<(Path, u8)> {
    let mut seen = 0u32;
    let mut out = Vec::new();
    for p in scope(df) {
        let Some(node) = card.node(p) else { continue };
        for k in &node.keys.keys {
            if !bit(seen, k.id) {
                set_bit(&mut seen, k.id, true);
                out.push((p.to_vec(), k.id));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
