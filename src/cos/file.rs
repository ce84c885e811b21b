//! File structures (ISO/IEC 7816-4 §7.4.5: the file descriptor byte of FCP tag `82`) as the
//! card OS creates them: what CREATE FILE takes, what the virtual card stores and what a
//! profile's EF structure maps to.

use serde::{Deserialize, Serialize};

/// The structure of a file (FDB, FCP tag `82` byte 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStructure {
    /// Dedicated file (`38`).
    Df,
    /// Transparent EF (`01`).
    Transparent,
    /// Linear fixed record EF (`02`).
    LinearFixed,
    /// Linear variable record EF (`04`), SIMPLE-TLV records on the social security card.
    LinearVariable,
    /// Cyclic record EF (`06`): record 1 is the newest.
    Cyclic,
}

impl FileStructure {
    /// The FDB byte.
    pub fn fdb(self) -> u8 {
        match self {
            FileStructure::Df => 0x38,
            FileStructure::Transparent => 0x01,
            FileStructure::LinearFixed => 0x02,
            FileStructure::LinearVariable => 0x04,
            FileStructure::Cyclic => 0x06,
        }
    }

    /// Reads an FDB byte (`03`, `05`, `07`, the TLV-structured variants, are accepted too).
    pub fn from_fdb(b: u8) -> Option<FileStructure> {
        match b {
            0x38 => Some(FileStructure::Df),
            0x01 => Some(FileStructure::Transparent),
            0x02 | 0x03 => Some(FileStructure::LinearFixed),
            0x04 | 0x05 => Some(FileStructure::LinearVariable),
            0x06 | 0x07 => Some(FileStructure::Cyclic),
            _ => None,
        }
    }

    /// True for the three record structures.
    pub fn is_record(self) -> bool {
        matches!(
            self,
            FileStructure::LinearFixed | FileStructure::LinearVariable | FileStructure::Cyclic
        )
    }
}
