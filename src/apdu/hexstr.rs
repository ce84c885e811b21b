//! Hex text as operators and scripts write it: spaces, colons and lower case allowed.

use thiserror::Error;

/// A hex string that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    /// A character that is not a hex digit, a space, a tab or a colon.
    #[error("'{ch}' at column {column} is not a hex digit")]
    BadChar {
        /// The offending character.
        ch: char,
        /// 1-based column in the input.
        column: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({digits}): every byte needs two")]
    OddDigits {
        /// How many digits were found.
        digits: usize,
    },
}

/// Parses hex, ignoring spaces, tabs and colons, in either case.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    let mut digits = 0usize;
    for (i, ch) in text.chars().enumerate() {
        let v = match ch {
            ' ' | '\t' | ':' => continue,
            _ => ch
                .to_digit(16)
                .ok_or(HexError::BadChar { ch, column: i + 1 })? as u8,
        };
        digits += 1;
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push((h << 4) | v),
        }
    }
    if high.is_some() {
        return Err(HexError::OddDigits { digits });
    }
    Ok(out)
}

/// Upper-case hex with a space between bytes: `00 A4 04 00`.
pub fn spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// Upper-case hex without separators: `00A40400`.
pub fn compact(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_parsing() {
        assert_eq!(parse_hex("00 a4:04 00").unwrap(), vec![0, 0xA4, 4, 0]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_name_the_place() {
        assert_eq!(parse_hex("00A"), Err(HexError::OddDigits { digits: 3 }));
        assert_eq!(
            parse_hex("00 G1"),
            Err(HexError::BadChar { ch: 'G', column: 4 })
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(spaced(&[0, 0xA4]), "00 A4");
        assert_eq!(compact(&[0, 0xA4]), "00A4");
    }
}
