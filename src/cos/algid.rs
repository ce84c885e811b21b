//! The algorithm identifier of the SSSE FCI: tag `9F0C` holding `86 01 xx` (proprietary
//! template `A5` of the SELECT response): `01` DES/3DES, `02` SSF33, `03` SM4. Absent means
//! `01`. SSF33 exists only in hardware (a PSAM or an encryption machine), never in software.

use std::fmt;
use std::str::FromStr;

/// The card's algorithm identifier (SSSE FCI `9F0C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgorithmId {
    /// `01`: DES / 3DES (1st and 2nd generation).
    Des,
    /// `02`: SSF33, a national algorithm available only in PSAMs and encryption machines.
    Ssf33,
    /// `03`: SM4 (3rd generation).
    Sm4,
}

/// The FCI tag that holds the algorithm identifier.
pub const TAG: [u8; 2] = [0x9F, 0x0C];

impl AlgorithmId {
    /// The identifier byte.
    pub const fn byte(self) -> u8 {
        match self {
            AlgorithmId::Des => 0x01,
            AlgorithmId::Ssf33 => 0x02,
            AlgorithmId::Sm4 => 0x03,
        }
    }

    /// The identifier for a byte, if known.
    pub const fn from_byte(b: u8) -> Option<AlgorithmId> {
        match b {
            0x01 => Some(AlgorithmId::Des),
            0x02 => Some(AlgorithmId::Ssf33),
            0x03 => Some(AlgorithmId::Sm4),
            _ => None,
        }
    }

    /// The profile spelling: `3des`, `ssf33`, `sm4`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlgorithmId::Des => "3des",
            AlgorithmId::Ssf33 => "ssf33",
            AlgorithmId::Sm4 => "sm4",
        }
    }

    /// True when no software can compute it (SSF33): the keys must be in a PSAM or an HSM.
    pub const fn hardware_only(self) -> bool {
        matches!(self, AlgorithmId::Ssf33)
    }

    /// The value of the `9F0C` element: `86 01 xx`.
    pub const fn tlv_value(self) -> [u8; 3] {
        [0x86, 0x01, self.byte()]
    }

    /// The content of the proprietary template `A5` that carries it: `9F0C 03 86 01 xx`.
    pub fn proprietary(self) -> Vec<u8> {
        let mut v = vec![TAG[0], TAG[1], 0x03];
        v.extend_from_slice(&self.tlv_value());
        v
    }

    /// The identifier byte in the value of a `9F0C` element (`86 01 xx`), if well-formed.
    pub fn byte_of(value: &[u8]) -> Option<u8> {
        match value {
            [0x86, 0x01, b] => Some(*b),
            _ => None,
        }
    }
}

impl fmt::Display for AlgorithmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlgorithmId::Des => "DES/3DES",
            AlgorithmId::Ssf33 => "SSF33",
            AlgorithmId::Sm4 => "SM4",
        })
    }
}

impl FromStr for AlgorithmId {
    type Err = String;

    /// `3des`/`des`, `ssf33`, `sm4` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "3des" | "des" | "tdes" => Ok(AlgorithmId::Des),
            "ssf33" => Ok(AlgorithmId::Ssf33),
            "sm4" => Ok(AlgorithmId::Sm4),
            other => Err(format!(
                "algorithm id '{other}' is unknown: write 3des (01), ssf33 (02) or sm4 (03)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_names_and_the_fci_value_round_trip() {
        for a in [AlgorithmId::Des, AlgorithmId::Ssf33, AlgorithmId::Sm4] {
            assert_eq!(AlgorithmId::from_byte(a.byte()), Some(a));
            assert_eq!(a.as_str().parse::<AlgorithmId>(), Ok(a));
            assert_eq!(AlgorithmId::byte_of(&a.tlv_value()), Some(a.byte()));
        }
        assert_eq!(
            AlgorithmId::Sm4.proprietary(),
            [0x9F, 0x0C, 0x03, 0x86, 0x01, 0x03]
        );
        assert!(AlgorithmId::Ssf33.hardware_only() && !AlgorithmId::Sm4.hardware_only());
        assert_eq!(AlgorithmId::from_byte(4), None);
        assert!("aes".parse::<AlgorithmId>().unwrap_err().contains("ssf33"));
    }
}
