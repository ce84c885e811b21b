//! The algorithm ids of WRITE KEY (docs/cos.md): which block cipher a key is for.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A block cipher the card knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Two-key triple DES (16-byte key, 8-byte block).
    Tdes,
    /// SM4 (16-byte key, 16-byte block).
    Sm4,
}

impl Algorithm {
    /// Block length in bytes: 8 for 3DES, 16 for SM4.
    pub const fn block_len(self) -> usize {
        match self {
            Algorithm::Tdes => 8,
            Algorithm::Sm4 => 16,
        }
    }

    /// The algorithm byte of WRITE KEY (docs/cos.md): `01` 3DES, `02` SM4.
    pub const fn code(self) -> u8 {
        match self {
            Algorithm::Tdes => 0x01,
            Algorithm::Sm4 => 0x02,
        }
    }

    /// The algorithm for a WRITE KEY algorithm byte.
    pub fn from_code(code: u8) -> Result<Self, UnknownAlgorithm> {
        match code {
            0x01 => Ok(Algorithm::Tdes),
            0x02 => Ok(Algorithm::Sm4),
            other => Err(UnknownAlgorithm::Code(other)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Tdes => "3DES",
            Algorithm::Sm4 => "SM4",
        })
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts `3des`, `tdes`, `des3` and `sm4` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "3des" | "tdes" | "des3" => Ok(Algorithm::Tdes),
            "sm4" => Ok(Algorithm::Sm4),
            _ => Err(UnknownAlgorithm::Name(s.trim().to_string())),
        }
    }
}

/// An algorithm byte or name the card does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UnknownAlgorithm {
    /// An algorithm byte other than `01`/`02`.
    #[error("algorithm code {0:02X} is unknown: 01 is 3DES, 02 is SM4")]
    Code(u8),
    /// An algorithm name other than 3DES/SM4.
    #[error("algorithm '{0}' is unknown: write 3des or sm4")]
    Name(String),
}
