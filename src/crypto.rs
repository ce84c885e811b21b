//! Card cryptography shared by the virtual card and the host: block ciphers (3DES, SM4),
//! ISO 9797-1 method 2 padding, the external-authentication cryptogram, the 4-byte MAC of
//! secure messaging, and PBOC-style key diversification. Defined once, used by both sides.
//!
//! Owner: the virtual-card issue (this file holds the agreed signatures).

use std::fmt;

/// A block cipher the card knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Two-key triple DES (16-byte key, 8-byte block).
    Tdes,
    /// SM4 (16-byte key, 16-byte block).
    Sm4,
}

/// A 16-byte symmetric key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// The cipher.
    pub alg: Algorithm,
    /// Key bytes.
    pub bytes: [u8; 16],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?}, ******)", self.alg)
    }
}
