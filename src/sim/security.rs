//! The virtual card's security: keys and PINs per DF, the security state, access-condition
//! evaluation, secure messaging and the security commands.
//!
//! Owner: helper `simsec`. This file is the plug-in point the file system (`sim/mod.rs` and
//! friends, helper `sim`) calls; the stubs below allow everything and answer no security
//! command, so the card works as an open card until this module is filled in.
//!
//! The hooks the rest of the card calls (keep their signatures, or change both sides):
//! - [`KeyStore`]: the keys and PINs of one DF, stored in the DF's node (`Node::keys`), so it
//!   must stay `serde` (it is written into the card image) and `Default` (= no keys).
//!   [`KeyStore::blank_mf`] gives the documented test keys of a blank card's MF.
//! - [`SecurityState`]: what has been verified / authenticated since the last reset. Not
//!   saved. The card calls [`SecurityState::clear`] when another DF becomes current and on
//!   power-off / reset.
//! - [`evaluate`]: called by `VirtualCard::check_access` before every READ, UPDATE/APPEND,
//!   CREATE (and WRITE KEY), DELETE, ACTIVATE and DEACTIVATE, with the access-condition byte
//!   of docs/cos.md and the path of the DF whose keys apply. Life-cycle rules (creation state
//!   allows all, deactivated / terminated refuse) are applied by the caller before this.
//! - [`unwrap_secure_messaging`]: called for every command whose CLA has secure-messaging
//!   bits (`CLA & 0x0C != 0`); returns the plain command (MAC removed) and records in
//!   `SmContext` which key verified the MAC, for `evaluate` to check `3N` conditions.
//! - [`dispatch`]: called for every INS the file system does not handle (GET CHALLENGE,
//!   EXTERNAL/INTERNAL AUTHENTICATE, VERIFY, CHANGE/RESET RETRY COUNTER, WRITE KEY,
//!   APPLICATION BLOCK/UNBLOCK, ...). Returns `None` when the INS is unknown (the card then
//!   answers 6D00).

use super::VirtualCard;
use super::fs::Path;
use crate::apdu::{Command, Sw};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The keys and PINs of one DF (serde: part of the card image).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyStore {}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key values or PINs.
        write!(f, "KeyStore(..)")
    }
}

impl KeyStore {
    /// True when the DF holds no key and no PIN (the image then omits the field).
    pub fn is_empty(&self) -> bool {
        true
    }

    /// The keys of a blank card's MF (the documented test keys).
    pub fn blank_mf() -> KeyStore {
        KeyStore::default()
    }
}

/// What has been proven since the last reset or DF change. Not saved in the image.
#[derive(Clone, Default, Debug)]
pub struct SecurityState {}

impl SecurityState {
    /// Forgets every verified PIN and authentication (DF change, reset, power-off).
    pub fn clear(&mut self) {}
}

/// What secure messaging proved for the command being processed (reset for every APDU).
#[derive(Clone, Default, Debug)]
pub struct SmContext {
    /// The key id whose MAC over this command was verified, if any.
    pub mac_key: Option<u8>,
}

/// Evaluates access condition `ac` (docs/cos.md: `00`, `1N`, `2N`, `3N`, `FF`) for the
/// command being processed, with the keys of the DF at `df`. Stub: allows everything.
pub fn evaluate(card: &VirtualCard, df: &[usize], ac: u8) -> Result<(), Sw> {
    let _ = (card, df, ac);
    Ok(())
}

/// Checks and removes secure messaging from `cmd` (CLA `x4`/`xC`), with the keys of the
/// current DF. Stub: secure messaging is not supported (6882).
pub fn unwrap_secure_messaging(
    card: &mut VirtualCard,
    cmd: Command,
) -> Result<(Command, SmContext), Sw> {
    let _ = (card, cmd);
    Err(Sw::SM_NOT_SUPPORTED)
}

/// Handles the security commands. `None`: not a security INS (the card answers 6D00).
/// `Some(Ok(data))`: success, data to return with 9000 (or via GET RESPONSE in T=0 mode).
pub fn dispatch(card: &mut VirtualCard, cmd: &Command) -> Option<Result<Vec<u8>, Sw>> {
    let _ = (card, cmd);
    None
}

/// Where keys of the current DF live: the path of the current DF (helper for handlers).
pub fn current_df(card: &VirtualCard) -> Path {
    card.current_df_path().to_vec()
}
