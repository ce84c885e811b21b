//! The PSAM's key table: KEY_USAGE by the key's name (the key-file section name, the same
//! table as the `pboc` dialect's `psam-dialects/pboc.toml`), what each usage may compute, and
//! KEY_VERSION by algorithm (the card's FCI tag `9F0C`). One table for the code and the docs
//! (docs/virtual-card.md, "What the virtual PSAM enforces").

use crate::crypto::Algorithm;

/// What a key may compute after `80 1A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOps {
    /// `80 FA 00 00` only (cryptograms, internal-authentication checks).
    EncryptOnly,
    /// `80 FA 00 00` and `80 FA 05 00`.
    EncryptAndMac,
}

impl KeyOps {
    /// Whether `80 FA 05 00` (MAC) is allowed.
    pub fn mac(self) -> bool {
        self == KeyOps::EncryptAndMac
    }

    /// As the docs write it.
    pub fn describe(self) -> &'static str {
        match self {
            KeyOps::EncryptOnly => "encrypt",
            KeyOps::EncryptAndMac => "encrypt, MAC",
        }
    }
}

/// One KEY_USAGE of the PSAM.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    /// KEY_USAGE byte (`80 1A` P1).
    pub code: u8,
    /// The profile's / key file's key name.
    pub name: &'static str,
    /// What it may compute.
    pub ops: KeyOps,
}

/// The usage table (pboc dialect). The internal-authentication key only ever checks the
/// card's answer (encryption); every other key computes cryptograms and MACs.
pub const USAGES: [Usage; 9] = [
    Usage {
        code: 0x20,
        name: "issuer",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x21,
        name: "irk",
        ops: KeyOps::EncryptOnly,
    },
    Usage {
        code: 0x22,
        name: "stk",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x23,
        name: "puk",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x24,
        name: "reload",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x25,
        name: "read",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x26,
        name: "write",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x27,
        name: "regional",
        ops: KeyOps::EncryptAndMac,
    },
    Usage {
        code: 0x28,
        name: "admin",
        ops: KeyOps::EncryptAndMac,
    },
];

/// KEY_VERSION `02` (SSF33): never held, `80 1A` answers 6A88 (sscard has no SSF33).
pub const SSF33_VERSION: u8 = 0x02;

/// The usage with this KEY_USAGE byte.
pub fn usage_by_code(code: u8) -> Option<&'static Usage> {
    USAGES.iter().find(|u| u.code == code)
}

/// The usage of the key named `name`.
pub fn usage_by_name(name: &str) -> Option<&'static Usage> {
    USAGES.iter().find(|u| u.name == name)
}

/// KEY_VERSION of an algorithm: `01` 3DES, `03` SM4.
pub fn version_of(alg: Algorithm) -> u8 {
    match alg {
        Algorithm::Tdes => 0x01,
        Algorithm::Sm4 => 0x03,
    }
}
