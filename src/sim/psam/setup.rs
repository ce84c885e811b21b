//! Making a virtual PSAM: its file system (MF, the application `D15600000590` with the
//! terminal-number EF `0016` (SFI `16h`) and the key file `0000`, everything but READ of the
//! terminal number "never"), its PIN, and its master keys loaded from a key file (each key
//! name to its KEY_USAGE by the usage table, each algorithm to its KEY_VERSION).

use super::{
    ADF_FID, AID, KEY_FILE_FID, PIN_REFERENCE, PIN_TRIES, PsamKey, PsamKeys, TERMINAL_FID,
    TERMINAL_SFI, USAGES, usage_by_name,
};
use crate::crypto::{CryptoError, Secret, encode_pin};
use crate::profile::keys::KeyFile;
use crate::sim::fs::{Fid, FileStructure, Hex, Lcs, MF_FID, Node};
use crate::sim::security::{PinEntry, Tries};
use crate::sim::{CardState, VirtualCard};
use std::path::PathBuf;
use thiserror::Error;

/// The terminal number a PSAM gets when none is given.
pub const DEFAULT_TERMINAL_NO: &str = "000000000001";

/// What a new virtual PSAM holds.
#[derive(Debug, Clone)]
pub struct PsamSetup {
    /// The master keys.
    pub keys: Vec<PsamKey>,
    /// The terminal number: 12 decimal digits.
    pub terminal_no: String,
    /// The PSAM PIN digits (4 to 16), if it has one.
    pub pin: Option<Secret>,
}

/// A virtual PSAM that cannot be made or loaded. Never carries key or PIN digits.
#[derive(Debug, Error)]
pub enum PsamError {
    /// A key-file section whose name has no KEY_USAGE.
    #[error(
        "key '{key}' in {}: a PSAM has no key usage for this name (it knows {}); \
         rename the section or use a key file without it",
        file.display(), known_names()
    )]
    UnknownKey {
        /// The key name.
        key: String,
        /// The key file.
        file: PathBuf,
    },
    /// A key file with no master key.
    #[error("key file {} holds no master key: there is nothing to load into the PSAM", file.display())]
    NoKeys {
        /// The key file.
        file: PathBuf,
    },
    /// A terminal number that is not 12 digits.
    #[error("terminal number \"{text}\": a PSAM terminal number is 12 decimal digits")]
    TerminalNo {
        /// What was given (not secret).
        text: String,
    },
    /// A malformed PSAM PIN (the digits are never shown).
    #[error("the PSAM PIN (SSCARD_PSAM_PIN)")]
    Pin {
        /// What is wrong.
        #[source]
        source: CryptoError,
    },
    /// Keys loaded into an image that is not a PSAM.
    #[error(
        "this card image is not a PSAM: create one with `sscard sim --psam --create --image FILE --load-keys KEYFILE`"
    )]
    NotPsam,
}

fn known_names() -> String {
    let names: Vec<&str> = USAGES.iter().map(|u| u.name).collect();
    names.join(", ")
}

/// The PSAM keys of a key file: every master key, by its name's KEY_USAGE and its
/// algorithm's KEY_VERSION. A name with no usage is an error naming it.
pub fn keys_from_file(file: &KeyFile) -> Result<Vec<PsamKey>, PsamError> {
    let mut out = Vec::new();
    for (name, key) in file.masters() {
        let usage = usage_by_name(name).ok_or_else(|| PsamError::UnknownKey {
            key: name.to_string(),
            file: file.path().to_path_buf(),
        })?;
        out.push(PsamKey {
            usage: usage.code,
            key: key.clone(),
        });
    }
    if out.is_empty() {
        return Err(PsamError::NoKeys {
            file: file.path().to_path_buf(),
        });
    }
    Ok(out)
}

/// The 12 terminal-number digits as 6 BCD bytes.
fn terminal_bcd(text: &str) -> Result<Vec<u8>, PsamError> {
    let d = text.as_bytes();
    if d.len() != 12 || !d.iter().all(u8::is_ascii_digit) {
        return Err(PsamError::TerminalNo {
            text: text.escape_debug().to_string(),
        });
    }
    Ok(d.chunks(2)
        .map(|p| match p {
            [h, l] => ((h - b'0') << 4) | (l - b'0'),
            _ => 0,
        })
        .collect())
}

/// Access conditions: read always, everything else never.
const READ_ONLY: [u8; 6] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
const NEVER: [u8; 6] = [0xFF; 6];

impl VirtualCard {
    /// A new virtual PSAM (powered off): the default ATR, the PSAM file system, the PIN (if
    /// any, [`PIN_TRIES`] tries) and the keys.
    pub fn new_psam(setup: &PsamSetup) -> Result<VirtualCard, PsamError> {
        let terminal = terminal_bcd(&setup.terminal_no)?;
        let mut ef16 = Node::ef(FileStructure::Transparent, Fid(TERMINAL_FID), 6, 0);
        ef16.sfi = Some(TERMINAL_SFI);
        ef16.data = Some(Hex(terminal));
        ef16.access = Hex(READ_ONLY.to_vec());
        let mut key_file = Node::ef(FileStructure::Transparent, Fid(KEY_FILE_FID), 0, 0);
        key_file.access = Hex(NEVER.to_vec());
        let mut adf = Node::df(Some(Fid(ADF_FID)), Some(AID.to_vec()));
        adf.access = Hex(READ_ONLY.to_vec());
        adf.children = vec![key_file, ef16];
        if let Some(digits) = &setup.pin {
            let text = std::str::from_utf8(digits.expose()).map_err(|_| PsamError::Pin {
                source: CryptoError::PinFormat {
                    problem: "is not plain text".into(),
                },
            })?;
            let value = encode_pin(text).map_err(|source| PsamError::Pin { source })?;
            adf.keys.put_pin(PinEntry {
                reference: PIN_REFERENCE,
                value,
                tries: Tries::full(PIN_TRIES),
            });
        }
        let mut mf = Node::df(Some(MF_FID), None);
        mf.lcs = Lcs::Activated;
        mf.access = Hex(READ_ONLY.to_vec());
        mf.children = vec![adf];
        let mut state = CardState::blank();
        state.mf = mf;
        let mut keys = PsamKeys::default();
        for k in &setup.keys {
            keys.put(k.clone());
        }
        state.psam = Some(keys);
        Ok(VirtualCard::from_state(state))
    }

    /// True when this card is a PSAM (its image has a `"psam"` section).
    pub fn is_psam(&self) -> bool {
        self.state.psam.is_some()
    }

    /// The PSAM's master keys (`None`: not a PSAM).
    pub fn psam_keys(&self) -> Option<&PsamKeys> {
        self.state.psam.as_ref()
    }

    /// Loads master keys into this PSAM (a key at the same usage and version is replaced).
    /// Returns how many keys it holds afterwards.
    pub fn load_psam_keys(&mut self, keys: &[PsamKey]) -> Result<usize, PsamError> {
        let store = self.state.psam.as_mut().ok_or(PsamError::NotPsam)?;
        for k in keys {
            store.put(k.clone());
        }
        Ok(store.keys.len())
    }
}
