//! Data-element codecs of the social security card (and any card whose profile uses them):
//! `an` (ASCII, right-padded with `00`), `cn` (BCD digits, right-padded with `F`), `n` (BCD,
//! right-aligned, left-padded with `0`), `b` (raw bytes, written as hex), `gbk` (Chinese text in
//! GBK, padded like `an`) and `date` (`cn` YYYYMMDD with a calendar check).
//!
//! Values cross this module as operator text (`"D12345676"`, `"20211203"`, hex for `b`); the
//! card side is the exact value bytes of one SIMPLE-TLV record. Nothing is ever substituted
//! silently: a character that cannot be written is an error naming its position.
//!
//! The identity rules of the spec (social security number check character, card number form,
//! card identification code form, holder consistency) are in [`rules`].

mod bcd;
mod error;
pub mod rules;
mod text;
mod today;

pub use error::{CodecError, FieldError};
pub use text::{gbk_bytes, join_gbk, split_gbk};
pub use today::today_yyyymmdd;

use std::fmt;
use std::str::FromStr;

/// How a data element is written on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// ASCII text, left-aligned, right-padded (with `00` unless the profile says otherwise).
    An,
    /// Compressed numeric: BCD digits, left-aligned, right-padded with `F`.
    Cn,
    /// Numeric: BCD digits, right-aligned, left-padded with `0`.
    N,
    /// Raw bytes; the operator writes them as hex.
    B,
    /// Chinese text in GBK, left-aligned, right-padded like `an`.
    Gbk,
    /// A calendar date `YYYYMMDD` stored as `cn` (4 bytes).
    Date,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 6] = [
        Format::An,
        Format::Cn,
        Format::N,
        Format::B,
        Format::Gbk,
        Format::Date,
    ];

    /// The name used in profiles (`an`, `cn`, `n`, `b`, `gbk`, `date`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::An => "an",
            Format::Cn => "cn",
            Format::N => "n",
            Format::B => "b",
            Format::Gbk => "gbk",
            Format::Date => "date",
        }
    }

    /// The padding a profile gets when it names none.
    pub fn default_padding(self) -> Padding {
        match self {
            Format::An | Format::Gbk => Padding::Byte(0x00),
            Format::Cn | Format::Date => Padding::NibbleF,
            Format::N => Padding::LeadingZero,
            Format::B => Padding::None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = CodecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| CodecError::UnknownFormat(s.to_string()))
    }
}

/// How a value shorter than its element is filled up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    /// Right-padded with this byte (`00` for `an`/`gbk`; `20` or `FF` on some chips).
    Byte(u8),
    /// BCD right-padded with `F` nibbles (`cn`, `date`).
    NibbleF,
    /// BCD right-aligned with leading `0` nibbles (`n`).
    LeadingZero,
    /// No padding: the value must fill the element exactly.
    None,
}

impl Padding {
    /// The profile spelling: `00`, `20`, `FF`, ..., `F`, `leading-zero`, `none`.
    pub fn as_string(self) -> String {
        match self {
            Padding::Byte(b) => format!("{b:02X}"),
            Padding::NibbleF => "F".into(),
            Padding::LeadingZero => "leading-zero".into(),
            Padding::None => "none".into(),
        }
    }
}

impl fmt::Display for Padding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl FromStr for Padding {
    type Err = CodecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "F" | "f" => Ok(Padding::NibbleF),
            "leading-zero" => Ok(Padding::LeadingZero),
            "none" => Ok(Padding::None),
            _ if s.len() == 2 => u8::from_str_radix(s, 16)
                .map(Padding::Byte)
                .map_err(|_| CodecError::UnknownPadding(s.to_string())),
            _ => Err(CodecError::UnknownPadding(s.to_string())),
        }
    }
}

/// Encodes operator text `value` as exactly `len` bytes in `format`, filled with `padding`.
pub fn encode(
    format: Format,
    len: usize,
    padding: Padding,
    value: &str,
) -> Result<Vec<u8>, CodecError> {
    match format {
        Format::An => text::encode_an(value, len, padding),
        Format::Gbk => text::encode_gbk(value, len, padding),
        Format::B => text::encode_b(value, len, padding),
        Format::Cn => bcd::encode_cn(value, len, padding),
        Format::N => bcd::encode_n(value, len),
        Format::Date => {
            rules::check_date(value)?;
            bcd::encode_cn(value, len, padding)
        }
    }
}

/// Decodes the value bytes of an element back into operator text (padding removed).
pub fn decode(format: Format, padding: Padding, bytes: &[u8]) -> Result<String, CodecError> {
    match format {
        Format::An => text::decode_an(bytes, padding),
        Format::Gbk => text::decode_gbk(bytes, padding),
        Format::B => Ok(crate::apdu::compact(bytes)),
        Format::Cn => bcd::decode_cn(bytes),
        Format::N => bcd::decode_n(bytes),
        Format::Date => {
            let s = bcd::decode_cn(bytes)?;
            rules::check_date(&s)?;
            Ok(s)
        }
    }
}
