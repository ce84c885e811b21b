//! What a key is for: the usage byte of WRITE KEY (docs/cos.md).

use serde::{Deserialize, Serialize};

/// The usage byte of WRITE KEY (docs/cos.md): what `sscard init` loads and the virtual card
/// stores (its image names them in kebab-case: `external-auth`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyUsage {
    /// `01`: external authentication key.
    ExternalAuth,
    /// `02`: internal authentication key.
    InternalAuth,
    /// `03`: application maintenance / MAC key (STK).
    Maintenance,
    /// `04`: PIN unblock key (PUK).
    PinUnblock,
    /// `05`: PIN reload key.
    PinReload,
    /// `10`: a PIN (key id = PIN reference).
    Pin,
}

impl KeyUsage {
    /// The usage byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyUsage::ExternalAuth => 0x01,
            KeyUsage::InternalAuth => 0x02,
            KeyUsage::Maintenance => 0x03,
            KeyUsage::PinUnblock => 0x04,
            KeyUsage::PinReload => 0x05,
            KeyUsage::Pin => 0x10,
        }
    }

    /// The usage a WRITE KEY usage byte names, if any.
    pub fn from_byte(b: u8) -> Option<KeyUsage> {
        [
            KeyUsage::ExternalAuth,
            KeyUsage::InternalAuth,
            KeyUsage::Maintenance,
            KeyUsage::PinUnblock,
            KeyUsage::PinReload,
            KeyUsage::Pin,
        ]
        .into_iter()
        .find(|u| u.byte() == b)
    }
}
