//! The virtual PSAM: the virtual card acting as a station's secure access module, the card
//! in the reader's SAM slot that holds the master keys and computes cryptograms and MACs for
//! the holder's card without ever giving a key out (docs/virtual-card.md, "The virtual
//! PSAM"; the commands are the `pboc` dialect of PSAM-CONTRACT.md and docs/crypto.md).
//!
//! A PSAM is an ordinary card image with a `"psam"` section (its master keys, [`PsamKeys`]):
//! the file system (MF, the application `D15600000590` with the terminal-number EF and the
//! key file) and the PSAM PIN are the virtual card's own, so SELECT, READ BINARY, VERIFY,
//! T=0 / T=1 and GET RESPONSE behave as on the virtual card. This module adds:
//! - `usage`: the table of key usages (name, code, allowed operations) and key versions;
//! - `setup`: building a PSAM image from a key file;
//! - `commands`: `80 1A` (initialise: derive the card key from a master key and factors)
//!   and `80 FA` (encrypt or MAC with it, once).

mod commands;
mod setup;
mod usage;

pub use setup::{DEFAULT_TERMINAL_NO, PsamError, PsamSetup, keys_from_file};
pub use usage::{KeyOps, SSF33_VERSION, USAGES, Usage, usage_by_code, usage_by_name, version_of};

use crate::crypto::{Algorithm, Key, Secret};
use serde::{Deserialize, Serialize};

/// The PSAM application's DF name (AID).
pub const AID: [u8; 6] = [0xD1, 0x56, 0x00, 0x00, 0x05, 0x90];
/// The PSAM application's file identifier.
pub const ADF_FID: u16 = 0x1001;
/// The terminal-number EF: file identifier (its SFI is `16h`).
pub const TERMINAL_FID: u16 = 0x0016;
/// The terminal-number EF's short file identifier (READ BINARY `00 B0 96 00 06`).
pub const TERMINAL_SFI: u8 = 0x16;
/// The key file's file identifier: it can be selected, never read or written (6982).
pub const KEY_FILE_FID: u16 = 0x0000;
/// The PSAM PIN's reference (VERIFY `00 20 00 00`).
pub const PIN_REFERENCE: u8 = 0x00;
/// Tries of the PSAM PIN.
pub const PIN_TRIES: u8 = 3;

/// The master keys of a PSAM: the image's `"psam"` section. Its presence makes the image a
/// PSAM. Key values are stored like the virtual card's own keys (hex in the image; the image
/// is as sensitive as a key file: docs/virtual-card.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsamKeys {
    /// The master keys, sorted by usage then version.
    #[serde(default)]
    pub keys: Vec<PsamKey>,
}

/// One master key of a PSAM, addressed by (KEY_USAGE, KEY_VERSION).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PsamKeyText", into = "PsamKeyText")]
pub struct PsamKey {
    /// KEY_USAGE (`20`..`28`, [`USAGES`]).
    pub usage: u8,
    /// The key (its algorithm gives KEY_VERSION: [`version_of`]).
    pub key: Key,
}

impl PsamKey {
    /// KEY_VERSION: `01` 3DES, `03` SM4.
    pub fn version(&self) -> u8 {
        version_of(self.key.alg)
    }

    /// The usage's name and allowed operations.
    pub fn usage_entry(&self) -> Option<&'static Usage> {
        usage_by_code(self.usage)
    }
}

/// The image form of a PSAM key: `{"usage": "21", "name": "irk", "alg": "sm4", "value": HEX}`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PsamKeyText {
    usage: String,
    /// Informative (the usage table's name); checked when read.
    name: String,
    alg: Algorithm,
    value: Secret,
}

impl TryFrom<PsamKeyText> for PsamKey {
    type Error = String;

    fn try_from(t: PsamKeyText) -> Result<Self, String> {
        let code = u8::from_str_radix(t.usage.trim(), 16)
            .map_err(|_| format!("PSAM key usage \"{}\" is not one hex byte", t.usage))?;
        let entry = usage_by_code(code)
            .ok_or_else(|| format!("PSAM key usage {code:02X} is not in the usage table"))?;
        if entry.name != t.name {
            return Err(format!(
                "PSAM key usage {code:02X} is named \"{}\", not \"{}\"",
                entry.name, t.name
            ));
        }
        let key = Key::from_slice(t.alg, t.value.expose())
            .map_err(|e| format!("PSAM key {code:02X}: {e}"))?;
        Ok(PsamKey { usage: code, key })
    }
}

impl From<PsamKey> for PsamKeyText {
    fn from(k: PsamKey) -> Self {
        PsamKeyText {
            usage: format!("{:02X}", k.usage),
            name: usage_by_code(k.usage)
                .map(|u| u.name.to_string())
                .unwrap_or_default(),
            alg: k.key.alg,
            value: Secret::new(k.key.bytes.to_vec()),
        }
    }
}

impl PsamKeys {
    /// The key at (usage, version).
    pub fn find(&self, usage: u8, version: u8) -> Option<&PsamKey> {
        self.keys
            .iter()
            .find(|k| k.usage == usage && k.version() == version)
    }

    /// Adds or replaces the key at its (usage, version); keeps the list sorted.
    pub fn put(&mut self, key: PsamKey) {
        self.keys
            .retain(|k| !(k.usage == key.usage && k.version() == key.version()));
        self.keys.push(key);
        self.keys.sort_by_key(|k| (k.usage, k.version()));
    }

    /// Checks what serde cannot: each (usage, version) once.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for k in &self.keys {
            if !seen.insert((k.usage, k.version())) {
                return Err(format!(
                    "psam.keys: usage {:02X} version {:02X} is there twice",
                    k.usage,
                    k.version()
                ));
            }
        }
        Ok(())
    }
}

/// The card key `80 1A` derived, waiting for the one `80 FA` it serves (volatile: lost on
/// reset, power-off, a change of DF and after that `80 FA`).
#[derive(Clone)]
pub(crate) struct Pending {
    key: Key,
    usage: &'static Usage,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pending({}, ******)", self.usage.name)
    }
}

pub(crate) use commands::dispatch;
