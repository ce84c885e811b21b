//! Command APDUs (ISO/IEC 7816-4 §5.1): cases 1 to 4, short and extended length.

use super::hexstr::{HexError, parse_hex};
use thiserror::Error;

/// A command APDU that cannot be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    /// The hex text is malformed.
    #[error("bad hex: {0}")]
    Hex(HexError),
    /// Fewer than the 4 header bytes.
    #[error("a command APDU needs at least 4 bytes (CLA INS P1 P2), got {0}")]
    TooShort(usize),
    /// Lc announces a length the data does not have.
    #[error("Lc says {lc} data byte(s) but {actual} follow")]
    LcMismatch {
        /// The length Lc announces.
        lc: usize,
        /// The bytes actually present after Lc (and before a possible Le).
        actual: usize,
    },
    /// Data longer than extended length allows (65535 bytes).
    #[error("data of {0} bytes is longer than an APDU can carry (65535)")]
    DataTooLong(usize),
    /// Le outside 1..=65536.
    #[error("Le {0} is out of range (1 to 65536)")]
    BadLe(usize),
    /// Extended-length encoding that is not well-formed.
    #[error("malformed extended-length encoding: {0}")]
    Extended(&'static str),
}

impl From<HexError> for ApduError {
    fn from(e: HexError) -> Self {
        // Not a `#[source]`: the message already carries it, and chains would repeat it.
        ApduError::Hex(e)
    }
}

/// The four cases of ISO/IEC 7816-3 §12.1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// No data, no response data expected.
    One,
    /// No data, response data expected (Le).
    Two,
    /// Data, no response data expected.
    Three,
    /// Data and response data expected.
    Four,
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc = its length).
    pub data: Vec<u8>,
    /// Expected response length Ne (1..=65536), `None` when no data is expected.
    /// In short form, 256 is encoded as `00`.
    pub le: Option<usize>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print data here: it may be a PIN. Tracing masks through `trace`.
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, Nc={}, Ne={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl Command {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Ne (256 is `00` in short form; 65536 is `0000` extended).
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Which case this command is.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => Case::One,
            (true, true) => Case::Two,
            (false, false) => Case::Three,
            (false, true) => Case::Four,
        }
    }

    /// True when the command needs extended length fields.
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|le| le > 256)
    }

    /// Encodes the command, in short form when it fits, else extended.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        if self.data.len() > 65535 {
            return Err(ApduError::DataTooLong(self.data.len()));
        }
        if let Some(le) = self.le
            && !(1..=65536).contains(&le)
        {
            return Err(ApduError::BadLe(le));
        }
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        let ext = self.is_extended();
        if !self.data.is_empty() {
            if ext {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            } else {
                out.push(self.data.len() as u8);
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if ext {
                if self.data.is_empty() {
                    out.push(0);
                }
                out.extend_from_slice(&((le % 65536) as u16).to_be_bytes());
            } else {
                out.push((le % 256) as u8);
            }
        }
        Ok(out)
    }

    /// Parses an encoded command (ISO/IEC 7816-3 §12.1.3, all cases, short and extended).
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = b else {
            return Err(ApduError::TooShort(b.len()));
        };
        let mut c = Command::new(*cla, *ins, *p1, *p2);
        let short_le = |v: u8| if v == 0 { 256 } else { v as usize };
        let ext_le = |hi: u8, lo: u8| {
            let v = u16::from_be_bytes([hi, lo]) as usize;
            if v == 0 { 65536 } else { v }
        };
        match body {
            [] => {}
            [le] => c.le = Some(short_le(*le)),
            [lc, rest @ ..] if *lc != 0 => {
                // Short case 3 or 4.
                let lc = usize::from(*lc);
                match (rest.get(..lc), rest.get(lc..)) {
                    (Some(data), Some([])) => c.data = data.to_vec(),
                    (Some(data), Some([le])) => {
                        c.data = data.to_vec();
                        c.le = Some(short_le(*le));
                    }
                    _ => {
                        return Err(ApduError::LcMismatch {
                            lc,
                            actual: rest.len(),
                        });
                    }
                }
            }
            [_, hi, lo] => c.le = Some(ext_le(*hi, *lo)),
            [_, _] => return Err(ApduError::Extended("2 bytes after the header")),
            [_, hi, lo, rest @ ..] => {
                // Extended case 3 or 4: 00 Lc1 Lc2 data [Le1 Le2].
                let lc = u16::from_be_bytes([*hi, *lo]) as usize;
                if lc == 0 {
                    return Err(ApduError::Extended("extended Lc of 0"));
                }
                match (rest.get(..lc), rest.get(lc..)) {
                    (Some(data), Some([])) => c.data = data.to_vec(),
                    (Some(data), Some([le_hi, le_lo])) => {
                        c.data = data.to_vec();
                        c.le = Some(ext_le(*le_hi, *le_lo));
                    }
                    _ => {
                        return Err(ApduError::LcMismatch {
                            lc,
                            actual: rest.len(),
                        });
                    }
                }
            }
        }
        Ok(c)
    }

    /// Parses hex text (spaces, colons, lower case allowed) into a command.
    pub fn from_hex(text: &str) -> Result<Self, ApduError> {
        Self::parse(&parse_hex(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(hex: &str) -> Command {
        let c = Command::from_hex(hex).unwrap();
        assert_eq!(
            c.to_bytes().unwrap(),
            parse_hex(hex).unwrap(),
            "round trip of {hex}"
        );
        c
    }

    #[test]
    fn four_cases_short() {
        assert_eq!(rt("00 84 00 00").case(), Case::One);
        let c = rt("0084000008");
        assert_eq!((c.case(), c.le), (Case::Two, Some(8)));
        assert_eq!(rt("00A4000C023F00").case(), Case::Three);
        let c = rt("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00");
        assert_eq!((c.case(), c.le, c.data.len()), (Case::Four, Some(256), 15));
    }

    #[test]
    fn extended() {
        let c = rt("00B0000000FFFF");
        assert_eq!((c.case(), c.le), (Case::Two, Some(65535)));
        let mut big = "00D60000000100".to_string();
        big.push_str(&"AB".repeat(256));
        let c = rt(&big);
        assert_eq!((c.case(), c.data.len()), (Case::Three, 256));
        big.push_str("0000");
        let c = rt(&big);
        assert_eq!((c.case(), c.le), (Case::Four, Some(65536)));
    }

    #[test]
    fn builder_picks_extended_when_needed() {
        let c = Command::new(0, 0xB0, 0, 0).with_le(1000);
        assert_eq!(c.to_bytes().unwrap(), vec![0, 0xB0, 0, 0, 0, 0x03, 0xE8]);
        let c = Command::new(0, 0xD6, 0, 0).with_data(vec![0u8; 70000]);
        assert_eq!(c.to_bytes(), Err(ApduError::DataTooLong(70000)));
        let c = Command::new(0, 0xB0, 0, 0).with_le(0);
        assert_eq!(c.to_bytes(), Err(ApduError::BadLe(0)));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(Command::from_hex("00A4"), Err(ApduError::TooShort(2)));
        assert!(matches!(
            Command::from_hex("00A4000"),
            Err(ApduError::Hex(_))
        ));
        assert_eq!(
            Command::from_hex("00A4000C033F00"),
            Err(ApduError::LcMismatch { lc: 3, actual: 2 })
        );
        assert_eq!(
            Command::from_hex("00A4000C013F0000"),
            Err(ApduError::LcMismatch { lc: 1, actual: 3 })
        );
        assert!(matches!(
            Command::from_hex("00B000000000"),
            Err(ApduError::Extended(_))
        ));
    }

    #[test]
    fn debug_never_shows_data() {
        let c = Command::from_hex("0020000003123456").unwrap();
        assert!(!format!("{c:?}").contains("123456"));
    }
}
