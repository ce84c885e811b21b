//! Codec errors, in the words a station operator reads.

use thiserror::Error;

/// A character as an error shows it: `'x'`, or `U+001B` for a control or invisible one (never
/// sent raw to the operator's terminal).
pub fn shown(ch: char) -> String {
    if ch.is_control() || ch == '\u{FEFF}' || ch == '\u{200B}' {
        format!("U+{:04X} (a control character)", u32::from(ch))
    } else {
        format!("'{ch}'")
    }
}

/// A value that cannot be encoded or decoded, or breaks an identity rule.
///
/// Positions are 1-based characters of the operator's text (or bytes of the card value).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// A profile names a format this tool does not know.
    #[error("unknown format '{0}' (known: an, cn, n, b, gbk, date)")]
    UnknownFormat(String),
    /// A profile names a padding this tool does not know.
    #[error("unknown padding '{0}' (known: a byte in hex such as 00 or FF, F, leading-zero, none)")]
    UnknownPadding(String),
    /// A character that GBK cannot represent (never replaced by '?').
    #[error(
        "character {} (U+{code:04X}) at position {pos} cannot be written in GBK; \
         the card cannot hold it: correct the input (use the officially registered form)",
        shown(*.ch)
    )]
    NotGbk {
        /// The character.
        ch: char,
        /// Its code point.
        code: u32,
        /// 1-based character position.
        pos: usize,
    },
    /// A character the format does not allow.
    #[error("character {} at position {pos} is not allowed: {expected}", shown(*.ch))]
    BadChar {
        /// The character.
        ch: char,
        /// 1-based character position.
        pos: usize,
        /// What is allowed, in words.
        expected: &'static str,
    },
    /// The encoded value does not fit the element.
    #[error("is {actual} bytes when encoded but the card field holds at most {max}")]
    TooLong {
        /// Encoded length.
        actual: usize,
        /// Room on the card.
        max: usize,
    },
    /// The value must fill the element exactly (no padding).
    #[error("must be exactly {expected} bytes, got {actual}")]
    WrongLength {
        /// Required length.
        expected: usize,
        /// Given length.
        actual: usize,
    },
    /// The text must have a fixed number of characters.
    #[error("must be {expected} characters long, got {actual}")]
    WrongChars {
        /// Required number of characters.
        expected: usize,
        /// Given number of characters.
        actual: usize,
    },
    /// Hex text for a `b` element is malformed.
    #[error("is not valid hex")]
    Hex(#[from] crate::apdu::HexError),
    /// Not a calendar date.
    #[error("'{value}' is not a valid date YYYYMMDD: {reason}")]
    BadDate {
        /// The text.
        value: String,
        /// What is wrong (month 13, 30 February, ...).
        reason: String,
    },
    /// A card value has a byte that is not BCD where it should be.
    #[error("card value byte {pos} ({byte:02X}) is not BCD")]
    BadBcd {
        /// 1-based byte position.
        pos: usize,
        /// The byte.
        byte: u8,
    },
    /// A card `an` value holds a byte that is not printable ASCII.
    #[error("card value byte {pos} ({byte:02X}) is not printable ASCII")]
    NotAscii {
        /// 1-based byte position.
        pos: usize,
        /// The byte.
        byte: u8,
    },
    /// A card `gbk` value is not valid GBK.
    #[error("card value is not valid GBK text (bytes {hex})")]
    BadGbkBytes {
        /// The bytes, in hex.
        hex: String,
    },
    /// The social security number's check character is wrong.
    #[error(
        "check character is '{got}' but the first 17 characters give '{expected}': \
         a digit is probably mistyped; compare with the ID card"
    )]
    CheckChar {
        /// What the number ends with.
        got: char,
        /// What the check computes.
        expected: char,
    },
    /// The card number's check character (its 9th) is wrong.
    #[error(
        "card number check character is '{got}' but the first 8 characters give '{expected}': \
         a character is probably mistyped; compare with the card face or the issuing register"
    )]
    CardCheckChar {
        /// What the number ends with.
        got: char,
        /// What the check computes.
        expected: char,
    },
    /// A value breaks a rule (form of an identifier, consistency between fields, value set).
    #[error("{0}")]
    Rule(String),
}

/// A [`CodecError`] for one named field: what the operator sees.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{label} ({field})")]
pub struct FieldError {
    /// Machine field name (`ssn`, `name`, ...).
    pub field: String,
    /// Operator label (`社会保障号码`).
    pub label: String,
    /// What is wrong.
    #[source]
    pub source: CodecError,
}

impl FieldError {
    /// Names `source` as a problem of `field`.
    pub fn new(field: impl Into<String>, label: impl Into<String>, source: CodecError) -> Self {
        FieldError {
            field: field.into(),
            label: label.into(),
            source,
        }
    }
}
