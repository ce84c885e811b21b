//! BCD formats: `cn` (left-aligned, `F`-padded) and `n` (right-aligned, `0`-padded).

use super::{CodecError, Padding};

fn digits(value: &str) -> Result<Vec<u8>, CodecError> {
    value
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            ch.to_digit(10).map(|d| d as u8).ok_or(CodecError::BadChar {
                ch,
                pos: i + 1,
                expected: "only digits 0-9",
            })
        })
        .collect()
}

fn pack(nibbles: &[u8]) -> Vec<u8> {
    nibbles
        .chunks(2)
        .map(|c| {
            let hi = c.first().copied().unwrap_or(0xF);
            let lo = c.get(1).copied().unwrap_or(0xF);
            (hi << 4) | lo
        })
        .collect()
}

pub(super) fn encode_cn(value: &str, len: usize, padding: Padding) -> Result<Vec<u8>, CodecError> {
    let mut d = digits(value)?;
    if d.len() > len * 2 {
        return Err(CodecError::TooLong {
            actual: d.len().div_ceil(2),
            max: len,
        });
    }
    if padding == Padding::None && d.len() != len * 2 {
        return Err(CodecError::WrongChars {
            expected: len * 2,
            actual: d.len(),
        });
    }
    d.resize(len * 2, 0xF);
    Ok(pack(&d))
}

pub(super) fn encode_n(value: &str, len: usize) -> Result<Vec<u8>, CodecError> {
    let d = digits(value)?;
    if d.len() > len * 2 {
        return Err(CodecError::TooLong {
            actual: d.len().div_ceil(2),
            max: len,
        });
    }
    let mut all = vec![0u8; len * 2 - d.len()];
    all.extend_from_slice(&d);
    Ok(pack(&all))
}

pub(super) fn decode_cn(bytes: &[u8]) -> Result<String, CodecError> {
    let mut s = String::with_capacity(bytes.len() * 2);
    let mut ended = false;
    for (i, &b) in bytes.iter().enumerate() {
        for nib in [b >> 4, b & 0x0F] {
            match nib {
                0..=9 if !ended => s.push(char::from(b'0' + nib)),
                0xF => ended = true,
                _ => {
                    return Err(CodecError::BadBcd {
                        pos: i + 1,
                        byte: b,
                    });
                }
            }
        }
    }
    Ok(s)
}

pub(super) fn decode_n(bytes: &[u8]) -> Result<String, CodecError> {
    let mut s = String::with_capacity(bytes.len() * 2);
    for (i, &b) in bytes.iter().enumerate() {
        for nib in [b >> 4, b & 0x0F] {
            if nib > 9 {
                return Err(CodecError::BadBcd {
                    pos: i + 1,
                    byte: b,
                });
            }
            s.push(char::from(b'0' + nib));
        }
    }
    Ok(s)
}
