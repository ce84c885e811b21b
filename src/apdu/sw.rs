//! Status words (ISO/IEC 7816-4 §5.6) with the names a card-making station meets.

use std::fmt;

/// A status word: SW1 and SW2 of a response APDU, as one `u16`.
///
/// Prints as `6A82 (file or application not found)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sw(pub u16);

impl Sw {
    /// `9000`: normal processing.
    pub const OK: Sw = Sw(0x9000);
    /// `6283`: selected file deactivated.
    pub const FILE_DEACTIVATED: Sw = Sw(0x6283);
    /// `6581`: memory failure.
    pub const MEMORY_FAILURE: Sw = Sw(0x6581);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: Sw = Sw(0x6700);
    /// `6882`: secure messaging not supported.
    pub const SM_NOT_SUPPORTED: Sw = Sw(0x6882);
    /// `6981`: command incompatible with file structure.
    pub const INCOMPATIBLE_FILE: Sw = Sw(0x6981);
    /// `6982`: security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: Sw = Sw(0x6982);
    /// `6983`: authentication method blocked.
    pub const AUTH_BLOCKED: Sw = Sw(0x6983);
    /// `6984`: reference data not usable.
    pub const REF_DATA_NOT_USABLE: Sw = Sw(0x6984);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Sw = Sw(0x6985);
    /// `6986`: command not allowed (no current EF).
    pub const NOT_ALLOWED: Sw = Sw(0x6986);
    /// `6988`: incorrect secure messaging data objects (wrong MAC).
    pub const SM_DATA_INCORRECT: Sw = Sw(0x6988);
    /// `6A80`: incorrect parameters in the data field.
    pub const WRONG_DATA: Sw = Sw(0x6A80);
    /// `6A81`: function not supported.
    pub const FUNC_NOT_SUPPORTED: Sw = Sw(0x6A81);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: Sw = Sw(0x6A82);
    /// `6A83`: record not found.
    pub const RECORD_NOT_FOUND: Sw = Sw(0x6A83);
    /// `6A84`: not enough memory space in the file.
    pub const NOT_ENOUGH_MEMORY: Sw = Sw(0x6A84);
    /// `6A86`: incorrect parameters P1-P2.
    pub const WRONG_P1P2: Sw = Sw(0x6A86);
    /// `6A88`: referenced data or reference data not found.
    pub const REF_DATA_NOT_FOUND: Sw = Sw(0x6A88);
    /// `6A89`: file already exists.
    pub const FILE_EXISTS: Sw = Sw(0x6A89);
    /// `6B00`: wrong parameters P1-P2 (offset outside the EF).
    pub const WRONG_P1P2_OFFSET: Sw = Sw(0x6B00);
    /// `6D00`: instruction code not supported or invalid.
    pub const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);
    /// `6F00`: no precise diagnosis.
    pub const UNKNOWN: Sw = Sw(0x6F00);

    /// Builds a status word from SW1 and SW2.
    pub const fn from_bytes(sw1: u8, sw2: u8) -> Sw {
        Sw(((sw1 as u16) << 8) | sw2 as u16)
    }
    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    /// SW2.
    pub const fn sw2(self) -> u8 {
        (self.0 & 0xFF) as u8
    }
    /// The two bytes, SW1 first.
    pub const fn to_bytes(self) -> [u8; 2] {
        [self.sw1(), self.sw2()]
    }
    /// `9000`, or `61xx` (success with more data waiting).
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000 || self.sw1() == 0x61
    }
    /// A warning (`62xx`, `63xx`): processed, with something to report.
    pub const fn is_warning(self) -> bool {
        self.sw1() == 0x62 || self.sw1() == 0x63
    }
    /// For `61xx`: how many bytes GET RESPONSE can fetch (`00` means 256).
    pub const fn bytes_available(self) -> Option<usize> {
        self.length_after(0x61)
    }
    /// For `6Cxx`: the exact Le the card wants (`00` means 256).
    pub const fn correct_le(self) -> Option<usize> {
        self.length_after(0x6C)
    }
    /// SW2 as a length (`00` means 256) when SW1 is `sw1`.
    const fn length_after(self, sw1: u8) -> Option<usize> {
        match (self.sw1() == sw1, self.sw2()) {
            (false, _) => None,
            (true, 0) => Some(256),
            (true, n) => Some(n as usize),
        }
    }
    /// For `63Cx`: tries left of a PIN or key.
    pub const fn tries_left(self) -> Option<u8> {
        if self.sw1() == 0x63 && self.sw2() & 0xF0 == 0xC0 {
            Some(self.sw2() & 0x0F)
        } else {
            None
        }
    }

    /// What the status word means, in words an operator can read.
    pub fn meaning(self) -> String {
        match self.sw1() {
            0x61 => {
                return format!(
                    "{} more bytes available (GET RESPONSE)",
                    self.bytes_available().unwrap_or(0)
                );
            }
            0x6C => {
                return format!(
                    "wrong Le, the card expects {}",
                    self.correct_le().unwrap_or(0)
                );
            }
            0x63 if self.sw2() & 0xF0 == 0xC0 => {
                let n = self.sw2() & 0x0F;
                return match n {
                    0 => "verification failed, no tries left".to_string(),
                    1 => "verification failed, 1 try left".to_string(),
                    _ => format!("verification failed, {n} tries left"),
                };
            }
            _ => {}
        }
        let s = match self.0 {
            0x9000 => "success",
            0x6200 => "warning, state of non-volatile memory unchanged",
            0x6281 => "part of returned data may be corrupted",
            0x6282 => "end of file or record reached before reading Le bytes",
            0x6283 => "selected file deactivated",
            0x6284 => "file control information not formatted correctly",
            0x6285 => "selected file in termination state",
            0x6300 => "verification failed",
            0x6400 => "execution error, state of non-volatile memory unchanged",
            0x6500 => "execution error, state of non-volatile memory changed",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6800 => "function in CLA not supported",
            0x6881 => "logical channel not supported",
            0x6882 => "secure messaging not supported",
            0x6883 => "last command of the chain expected",
            0x6884 => "command chaining not supported",
            0x6900 => "command not allowed",
            0x6981 => "command incompatible with file structure",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6987 => "expected secure messaging data objects missing",
            0x6988 => "incorrect secure messaging data objects",
            0x6A00 => "wrong parameters P1-P2",
            0x6A80 => "incorrect parameters in the data field",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A83 => "record not found",
            0x6A84 => "not enough memory space in the file",
            0x6A85 => "Nc inconsistent with TLV structure",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A87 => "Nc inconsistent with parameters P1-P2",
            0x6A88 => "referenced data or reference data not found",
            0x6A89 => "file already exists",
            0x6A8A => "DF name already exists",
            0x6B00 => "wrong parameters P1-P2 (offset outside the file)",
            0x6D00 => "instruction code not supported or invalid",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            0x9303 => "application permanently blocked",
            _ => match self.sw1() {
                0x62 => "warning, state of non-volatile memory unchanged",
                0x63 => "warning, state of non-volatile memory changed",
                0x64 => "execution error, state of non-volatile memory unchanged",
                0x65 => "execution error, state of non-volatile memory changed",
                0x66 => "security-related issue",
                0x67 => "wrong length",
                0x68 => "functions in CLA not supported",
                0x69 => "command not allowed",
                0x6A => "wrong parameters P1-P2",
                0x6B => "wrong parameters P1-P2",
                0x6D => "instruction code not supported or invalid",
                0x6E => "class not supported",
                0x6F => "no precise diagnosis",
                _ => "unknown status word",
            },
        };
        s.to_string()
    }
}

impl From<u16> for Sw {
    fn from(v: u16) -> Sw {
        Sw(v)
    }
}

impl fmt::Display for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}

impl fmt::Debug for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sw({:04X})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_code_and_meaning() {
        assert_eq!(
            Sw(0x6A82).to_string(),
            "6A82 (file or application not found)"
        );
        assert_eq!(Sw(0x9000).to_string(), "9000 (success)");
        assert_eq!(
            Sw(0x63C2).to_string(),
            "63C2 (verification failed, 2 tries left)"
        );
        assert_eq!(
            Sw(0x6110).to_string(),
            "6110 (16 more bytes available (GET RESPONSE))"
        );
    }

    #[test]
    fn every_station_status_word_has_a_specific_name() {
        let codes = [
            0x9000, 0x6110, 0x6281, 0x6282, 0x6283, 0x6284, 0x63C3, 0x6581, 0x6700, 0x6882, 0x6982,
            0x6983, 0x6984, 0x6985, 0x6986, 0x6A80, 0x6A81, 0x6A82, 0x6A83, 0x6A84, 0x6A85, 0x6A86,
            0x6A87, 0x6A88, 0x6A89, 0x6B00, 0x6C12, 0x6D00, 0x6E00, 0x6F00,
        ];
        for c in codes {
            let m = Sw(c).meaning();
            assert_ne!(m, "unknown status word", "{c:04X}");
        }
        // Distinct names for the 6A8x family.
        let names: std::collections::HashSet<_> =
            (0x6A80..=0x6A89).map(|c| Sw(c).meaning()).collect();
        assert_eq!(names.len(), 10);
    }

    #[test]
    fn payload_accessors() {
        assert_eq!(Sw(0x6100).bytes_available(), Some(256));
        assert_eq!(Sw(0x6C05).correct_le(), Some(5));
        assert_eq!(Sw(0x63C0).tries_left(), Some(0));
        assert_eq!(Sw(0x6300).tries_left(), None);
        assert!(Sw(0x6108).is_success());
        assert!(!Sw(0x6982).is_success());
        assert_eq!(Sw::from_bytes(0x6A, 0x82), Sw::FILE_NOT_FOUND);
    }
}
