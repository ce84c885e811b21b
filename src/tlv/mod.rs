//! TLV helpers over the `iso7816-tlv` crate: SIMPLE-TLV records (the SSC record files) and
//! BER-TLV file control parameters ([`Fcp`]), both round-tripping byte-exact.
//!
//! - [`SimpleTlv`]: one data element per record, `tag | len | value`, where len is 1 byte
//!   (0..=254) or `FF` and 2 bytes (ISO/IEC 7816-4 §5.2.1). Example: an EF06 record
//!   `08 12 <18 ASCII digits>` is `SimpleTlv::new(0x08, b"110101199012290016".to_vec())`.
//! - [`Fcp`]: the `62` (FCP) / `6F` (FCI) templates of SELECT responses and the data of
//!   CREATE FILE, as `docs/cos.md` fixes them; typed fields, a builder, and unknown elements
//!   kept as they came.

mod descriptor;
mod fcp;

/// The card-OS types an FCP carries (their home is [`crate::cos`]).
pub use crate::cos::{AccessCondition, Lcs, SecurityAttributes};
pub use descriptor::{FileDescriptor, FileKind, lcs_name};
pub use fcp::{Fcp, RawElement};

use thiserror::Error;

/// TLV data that cannot be read or built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    /// Fewer bytes than the structure announces.
    #[error("{what}: {need} byte(s) needed at offset {offset} but only {have} remain")]
    Truncated {
        /// What was being read, e.g. `SIMPLE-TLV length`.
        what: &'static str,
        /// Offset in the input.
        offset: usize,
        /// Bytes needed.
        need: usize,
        /// Bytes left.
        have: usize,
    },
    /// A tag that is not allowed (SIMPLE-TLV tags are 01..FE).
    #[error("tag {tag:02X} at offset {offset} is not a valid {kind} tag")]
    BadTag {
        /// The tag byte.
        tag: u8,
        /// Offset in the input.
        offset: usize,
        /// `SIMPLE-TLV` or `BER-TLV`.
        kind: &'static str,
    },
    /// A length encoded in more bytes than needed (it would not round-trip).
    #[error("length at offset {offset} is not minimally encoded")]
    NonMinimalLength {
        /// Offset of the length field.
        offset: usize,
    },
    /// Bytes after the element that are not padding.
    #[error("{count} unexpected byte(s) after the data element, from offset {offset}")]
    Trailing {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many.
        count: usize,
    },
    /// A value too long for its length field.
    #[error("a value of {len} bytes is too long for {what}")]
    TooLong {
        /// The length.
        len: usize,
        /// What it was for.
        what: &'static str,
    },
    /// BER-TLV that `iso7816-tlv` rejects.
    #[error("malformed BER-TLV in {what}: {detail}")]
    Ber {
        /// What was being read, e.g. `FCP template`.
        what: &'static str,
        /// The parser's words.
        detail: String,
    },
    /// The template is not `62`, `64` or `6F`.
    #[error("expected an FCP/FCI template (62, 64 or 6F) but the data starts with {0:02X}")]
    NotATemplate(u8),
    /// A known element with a value of the wrong size.
    #[error("element {tag:02X} has {len} byte(s): {expected}")]
    BadElement {
        /// The tag.
        tag: u8,
        /// Its length.
        len: usize,
        /// What it should be.
        expected: &'static str,
    },
}

/// A SIMPLE-TLV data element (ISO/IEC 7816-4 §5.2.1): one per record in the SSC record files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleTlv {
    /// The tag, `01` to `FE`.
    pub tag: u8,
    /// The value (0 to 65535 bytes).
    pub value: Vec<u8>,
}

impl SimpleTlv {
    /// A data element.
    pub fn new(tag: u8, value: Vec<u8>) -> Self {
        SimpleTlv { tag, value }
    }

    /// Encodes `tag | len | value`, length as 1 byte up to 254, else `FF` and 2 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TlvError> {
        let tag = iso7816_tlv::simple::Tag::try_from(self.tag).map_err(|_| TlvError::BadTag {
            tag: self.tag,
            offset: 0,
            kind: "SIMPLE-TLV",
        })?;
        if self.value.len() > 0xFFFF {
            return Err(TlvError::TooLong {
                len: self.value.len(),
                what: "a SIMPLE-TLV element (at most 65535)",
            });
        }
        let tlv = iso7816_tlv::simple::Tlv::new(tag, self.value.clone()).map_err(|e| {
            TlvError::TooLong {
                len: self.value.len(),
                what: if e == iso7816_tlv::TlvError::InvalidLength {
                    "a SIMPLE-TLV element"
                } else {
                    "SIMPLE-TLV"
                },
            }
        })?;
        Ok(tlv.to_vec())
    }

    /// Reads one element from the start of `input`; returns it and the bytes after it.
    pub fn parse_one(input: &[u8]) -> Result<(SimpleTlv, &[u8]), TlvError> {
        let Some((&tag, rest)) = input.split_first() else {
            return Err(TlvError::Truncated {
                what: "SIMPLE-TLV tag",
                offset: 0,
                need: 1,
                have: 0,
            });
        };
        if tag == 0x00 || tag == 0xFF {
            return Err(TlvError::BadTag {
                tag,
                offset: 0,
                kind: "SIMPLE-TLV",
            });
        }
        // Check the length field ourselves to name the offset and refuse non-minimal forms.
        let (len, header) = match rest {
            [] => {
                return Err(TlvError::Truncated {
                    what: "SIMPLE-TLV length",
                    offset: 1,
                    need: 1,
                    have: 0,
                });
            }
            [0xFF, hi, lo, ..] => {
                let len = usize::from(u16::from_be_bytes([*hi, *lo]));
                if len < 0xFF {
                    return Err(TlvError::NonMinimalLength { offset: 1 });
                }
                (len, 4)
            }
            [0xFF, ..] => {
                return Err(TlvError::Truncated {
                    what: "SIMPLE-TLV 3-byte length",
                    offset: 2,
                    need: 2,
                    have: rest.len() - 1,
                });
            }
            [l, ..] => (usize::from(*l), 2),
        };
        if input.len() < header + len {
            return Err(TlvError::Truncated {
                what: "SIMPLE-TLV value",
                offset: header,
                need: len,
                have: input.len() - header,
            });
        }
        let (parsed, after) = iso7816_tlv::simple::Tlv::parse(input);
        let parsed = parsed.map_err(|e| TlvError::Ber {
            what: "SIMPLE-TLV element",
            detail: e.to_string(),
        })?;
        let tag: u8 = parsed.tag().into();
        Ok((SimpleTlv::new(tag, parsed.value().to_vec()), after))
    }

    /// Reads a record holding one element. Trailing `00` or `FF` padding (fixed-length
    /// records) is allowed; anything else after the element is an error.
    pub fn parse_record(record: &[u8]) -> Result<SimpleTlv, TlvError> {
        let (tlv, rest) = SimpleTlv::parse_one(record)?;
        let padding = rest.iter().all(|&b| b == 0x00) || rest.iter().all(|&b| b == 0xFF);
        if !padding {
            return Err(TlvError::Trailing {
                offset: record.len() - rest.len(),
                count: rest.len(),
            });
        }
        Ok(tlv)
    }

    /// Reads a sequence of elements filling `input` exactly.
    pub fn parse_all(mut input: &[u8]) -> Result<Vec<SimpleTlv>, TlvError> {
        let total = input.len();
        let mut out = Vec::new();
        while !input.is_empty() {
            let offset = total - input.len();
            let (tlv, rest) = SimpleTlv::parse_one(input).map_err(|e| shift(e, offset))?;
            out.push(tlv);
            input = rest;
        }
        Ok(out)
    }
}

fn shift(e: TlvError, by: usize) -> TlvError {
    match e {
        TlvError::Truncated {
            what,
            offset,
            need,
            have,
        } => TlvError::Truncated {
            what,
            offset: offset + by,
            need,
            have,
        },
        TlvError::BadTag { tag, offset, kind } => TlvError::BadTag {
            tag,
            offset: offset + by,
            kind,
        },
        TlvError::NonMinimalLength { offset } => TlvError::NonMinimalLength {
            offset: offset + by,
        },
        other => other,
    }
}

/// Appends a minimal BER-TLV length (ISO/IEC 7816-4 §5.2.2.2): 1 byte up to 127, else
/// `81 xx`, `82 xx xx`, `83 ..`.
pub fn push_ber_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x83);
            out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        }
    }
}

/// Encodes one BER-TLV element with a minimal length.
pub fn ber_element(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    push_ber_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests;
