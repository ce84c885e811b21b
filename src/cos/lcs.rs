//! Life cycle status of a file (ISO/IEC 7816-4 §7.4.10; byte values of FCP tag `8A`), the one
//! type the profiles, the virtual card, personalization, the session and diagnosis share.

use serde::{Deserialize, Serialize};

/// Life cycle status of a file (docs/cos.md says what each state allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lcs {
    /// `01`: creation state: every access is allowed below a DF in this state (the
    /// manufacturer's window).
    Creation,
    /// `03`: initialisation state: access conditions enforced.
    Initialisation,
    /// `05`: operational state, activated.
    Activated,
    /// `04`: operational state, deactivated: SELECT answers 6283, reads and writes 6985.
    Deactivated,
    /// `0C`: termination state: everything refused.
    Terminated,
}

impl Lcs {
    /// Every state.
    pub const ALL: [Lcs; 5] = [
        Lcs::Creation,
        Lcs::Initialisation,
        Lcs::Activated,
        Lcs::Deactivated,
        Lcs::Terminated,
    ];

    /// The `8A` byte.
    pub fn byte(self) -> u8 {
        match self {
            Lcs::Creation => 0x01,
            Lcs::Initialisation => 0x03,
            Lcs::Activated => 0x05,
            Lcs::Deactivated => 0x04,
            Lcs::Terminated => 0x0C,
        }
    }

    /// Reads an `8A` byte (the values docs/cos.md lists, plus ISO's `06`/`07` variants of
    /// the operational states and `0D`-`0F` of termination).
    pub fn from_byte(b: u8) -> Option<Lcs> {
        match b {
            0x01 => Some(Lcs::Creation),
            0x03 => Some(Lcs::Initialisation),
            0x05 | 0x07 => Some(Lcs::Activated),
            0x04 | 0x06 => Some(Lcs::Deactivated),
            0x0C..=0x0F => Some(Lcs::Terminated),
            _ => None,
        }
    }

    /// The spelling used in profiles and card images (`activated`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Lcs::Creation => "creation",
            Lcs::Initialisation => "initialisation",
            Lcs::Activated => "activated",
            Lcs::Deactivated => "deactivated",
            Lcs::Terminated => "terminated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lcs;

    #[test]
    fn bytes_and_spellings_round_trip() {
        for l in Lcs::ALL {
            assert_eq!(Lcs::from_byte(l.byte()), Some(l));
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.as_str()));
        }
        assert_eq!(Lcs::from_byte(0x07), Some(Lcs::Activated));
        assert_eq!(Lcs::from_byte(0x02), None);
    }
}
