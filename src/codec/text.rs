//! Text formats: `an` (ASCII), `gbk` (Chinese text), `b` (hex), and the name split over two
//! elements (tag 09 + tag 4E).

use super::{CodecError, Padding};
use encoding_rs::GBK;

fn pad_right(mut v: Vec<u8>, len: usize, padding: Padding) -> Result<Vec<u8>, CodecError> {
    if v.len() > len {
        return Err(CodecError::TooLong {
            actual: v.len(),
            max: len,
        });
    }
    match padding {
        Padding::Byte(b) => v.resize(len, b),
        Padding::NibbleF => v.resize(len, 0xFF),
        Padding::LeadingZero => {
            let mut out = vec![0u8; len - v.len()];
            out.extend_from_slice(&v);
            v = out;
        }
        Padding::None if v.len() != len => {
            return Err(CodecError::WrongLength {
                expected: len,
                actual: v.len(),
            });
        }
        Padding::None => {}
    }
    Ok(v)
}

fn strip_right(bytes: &[u8], padding: Padding) -> &[u8] {
    let pad = match padding {
        Padding::Byte(b) => b,
        Padding::NibbleF => 0xFF,
        Padding::LeadingZero | Padding::None => return bytes,
    };
    let end = bytes.iter().rposition(|&b| b != pad).map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or(bytes)
}

/// Holder text may hold no control character (C0, DEL, C1: an ESC sequence would drive the
/// operator's terminal) and no `|` (it separates the fields of the iReadCardBas line that
/// legacy systems parse).
fn check_holder_text(value: &str) -> Result<(), CodecError> {
    for (i, ch) in value.chars().enumerate() {
        if ch.is_control() {
            return Err(CodecError::BadChar {
                ch,
                pos: i + 1,
                expected: "no control characters (ESC, BEL, tab, line breaks...) in card text",
            });
        }
        if ch == '|' {
            return Err(CodecError::BadChar {
                ch,
                pos: i + 1,
                expected: "no '|' (it separates the fields of the iReadCardBas line)",
            });
        }
    }
    Ok(())
}

/// Card text for display: control characters shown as `\x1B` / `\u{9B}`, never raw (a card
/// written by another tool may hold them).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match u32::from(ch) {
            c if ch.is_control() && c < 0x100 => out.push_str(&format!("\\x{c:02X}")),
            c if ch.is_control() => out.push_str(&format!("\\u{{{c:X}}}")),
            _ => out.push(ch),
        }
    }
    out
}

/// `an`: printable ASCII, right-padded.
pub(super) fn encode_an(value: &str, len: usize, padding: Padding) -> Result<Vec<u8>, CodecError> {
    check_holder_text(value)?;
    for (i, ch) in value.chars().enumerate() {
        if !(' '..='~').contains(&ch) {
            return Err(CodecError::BadChar {
                ch,
                pos: i + 1,
                expected: "only letters, digits and ASCII punctuation (no Chinese or full-width characters)",
            });
        }
    }
    pad_right(value.as_bytes().to_vec(), len, padding)
}

pub(super) fn decode_an(bytes: &[u8], padding: Padding) -> Result<String, CodecError> {
    let v = strip_right(bytes, padding);
    let mut s = String::with_capacity(v.len());
    for (i, &b) in v.iter().enumerate() {
        if !(0x20..=0x7E).contains(&b) {
            return Err(CodecError::NotAscii {
                pos: i + 1,
                byte: b,
            });
        }
        s.push(char::from(b));
    }
    Ok(s)
}

/// GBK bytes of `value` (ASCII stays ASCII), or an error naming the first character GBK
/// cannot hold (never a substituted `?`).
pub fn gbk_bytes(value: &str) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(value.len());
    let mut buf = [0u8; 4];
    for (i, ch) in value.chars().enumerate() {
        // encoding_rs would write an HTML entity for an unmappable character: check each one.
        let (bytes, _, had_errors) = GBK.encode(ch.encode_utf8(&mut buf));
        if had_errors || ch == '\0' {
            return Err(CodecError::NotGbk {
                ch,
                code: u32::from(ch),
                pos: i + 1,
            });
        }
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

/// `gbk`: Chinese text, right-padded.
pub(super) fn encode_gbk(value: &str, len: usize, padding: Padding) -> Result<Vec<u8>, CodecError> {
    check_holder_text(value)?;
    pad_right(gbk_bytes(value)?, len, padding)
}

pub(super) fn decode_gbk(bytes: &[u8], padding: Padding) -> Result<String, CodecError> {
    let v = strip_right(bytes, padding);
    GBK.decode_without_bom_handling_and_without_replacement(v)
        .map(|c| escape_controls(&c))
        .ok_or_else(|| CodecError::BadGbkBytes {
            hex: crate::apdu::compact(v),
        })
}

/// `b`: hex text; padded only if the profile names a padding byte.
pub(super) fn encode_b(value: &str, len: usize, padding: Padding) -> Result<Vec<u8>, CodecError> {
    let v = crate::apdu::parse_hex(value)?;
    pad_right(v, len, padding)
}

/// Splits a name over two GBK elements: the first `first_max` bytes (never cutting a
/// character) and the rest (at most `ext_max` bytes, empty when the name fits the first).
///
/// This is how a name longer than 30 bytes is written over tag 09 and tag 4E.
pub fn split_gbk(
    value: &str,
    first_max: usize,
    ext_max: usize,
) -> Result<(Vec<u8>, Vec<u8>), CodecError> {
    check_holder_text(value)?;
    let mut first = Vec::new();
    let mut rest = Vec::new();
    let mut buf = [0u8; 4];
    for (i, ch) in value.chars().enumerate() {
        let b = gbk_bytes(ch.encode_utf8(&mut buf)).map_err(|_| CodecError::NotGbk {
            ch,
            code: u32::from(ch),
            pos: i + 1,
        })?;
        if rest.is_empty() && first.len() + b.len() <= first_max {
            first.extend_from_slice(&b);
        } else {
            rest.extend_from_slice(&b);
        }
    }
    if rest.len() > ext_max {
        return Err(CodecError::TooLong {
            actual: first.len() + rest.len(),
            max: first_max + ext_max,
        });
    }
    Ok((first, rest))
}

/// Joins the decoded name (tag 09) and name extension (tag 4E): the full name.
pub fn join_gbk(name: &str, ext: &str) -> String {
    let mut s = String::with_capacity(name.len() + ext.len());
    s.push_str(name);
    s.push_str(ext);
    s
}
