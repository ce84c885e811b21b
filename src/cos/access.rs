//! Security attributes, tag `86`: 6 access conditions (docs/cos.md).

use serde::Serialize;
use std::fmt;

/// One access condition byte (docs/cos.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "ref", rename_all = "snake_case")]
pub enum AccessCondition {
    /// `00`: always allowed.
    Always,
    /// `1N`: PIN with reference N verified (the SSC PIN is reference 0).
    Pin(u8),
    /// `2N`: external authentication with key id N of the current DF.
    ExternalAuth(u8),
    /// `3N`: secure messaging, command MAC with key id N (CLA `04`).
    SecureMessaging(u8),
    /// `FF`: never.
    Never,
    /// Any other byte, kept as is.
    Other(u8),
}

impl AccessCondition {
    /// Decodes a byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => AccessCondition::Always,
            0xFF => AccessCondition::Never,
            0x10..=0x1F => AccessCondition::Pin(b & 0x0F),
            0x20..=0x2F => AccessCondition::ExternalAuth(b & 0x0F),
            0x30..=0x3F => AccessCondition::SecureMessaging(b & 0x0F),
            _ => AccessCondition::Other(b),
        }
    }

    /// Encodes to a byte (reference numbers above 15 are truncated to their low nibble).
    pub fn to_byte(self) -> u8 {
        match self {
            AccessCondition::Always => 0x00,
            AccessCondition::Never => 0xFF,
            AccessCondition::Pin(n) => 0x10 | (n & 0x0F),
            AccessCondition::ExternalAuth(n) => 0x20 | (n & 0x0F),
            AccessCondition::SecureMessaging(n) => 0x30 | (n & 0x0F),
            AccessCondition::Other(b) => b,
        }
    }
}

impl fmt::Display for AccessCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessCondition::Always => write!(f, "always"),
            AccessCondition::Never => write!(f, "never"),
            AccessCondition::Pin(n) => write!(f, "PIN {n} verified"),
            AccessCondition::ExternalAuth(n) => {
                write!(f, "external authentication with key {n:02X}")
            }
            AccessCondition::SecureMessaging(n) => {
                write!(f, "secure messaging (MAC) with key {n:02X}")
            }
            AccessCondition::Other(b) => write!(f, "proprietary condition {b:02X}"),
        }
    }
}

/// The 6 access conditions of tag `86`, in the order docs/cos.md fixes: read, update (and
/// append), create (in a DF), delete, activate, deactivate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SecurityAttributes {
    /// READ BINARY / READ RECORD.
    pub read: AccessCondition,
    /// UPDATE BINARY / UPDATE RECORD / APPEND RECORD.
    pub update: AccessCondition,
    /// CREATE FILE in this DF (and WRITE KEY).
    pub create: AccessCondition,
    /// DELETE FILE.
    pub delete: AccessCondition,
    /// ACTIVATE FILE.
    pub activate: AccessCondition,
    /// DEACTIVATE FILE.
    pub deactivate: AccessCondition,
}

impl SecurityAttributes {
    /// Everything always allowed.
    pub const OPEN: SecurityAttributes = SecurityAttributes {
        read: AccessCondition::Always,
        update: AccessCondition::Always,
        create: AccessCondition::Always,
        delete: AccessCondition::Always,
        activate: AccessCondition::Always,
        deactivate: AccessCondition::Always,
    };

    /// Decodes the 6 bytes.
    pub fn from_bytes(b: [u8; 6]) -> Self {
        let c = AccessCondition::from_byte;
        SecurityAttributes {
            read: c(b[0]),
            update: c(b[1]),
            create: c(b[2]),
            delete: c(b[3]),
            activate: c(b[4]),
            deactivate: c(b[5]),
        }
    }

    /// Encodes the 6 bytes.
    pub fn to_bytes(&self) -> [u8; 6] {
        [
            self.read.to_byte(),
            self.update.to_byte(),
            self.create.to_byte(),
            self.delete.to_byte(),
            self.activate.to_byte(),
            self.deactivate.to_byte(),
        ]
    }
}

impl fmt::Display for SecurityAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read: {}; update: {}; create: {}; delete: {}; activate: {}; deactivate: {}",
            self.read, self.update, self.create, self.delete, self.activate, self.deactivate
        )
    }
}
