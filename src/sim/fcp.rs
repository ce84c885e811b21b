//! File control parameters as docs/cos.md defines them: the FCP template (`62`) the card
//! returns on SELECT and reads in CREATE FILE, the FCI (`6F`) and FMD (`64`) templates.

use super::fs::{Fid, Hex, Kind, Lcs, MF_FID, Node};
use crate::apdu::Sw;

/// Appends a BER-TLV with a one-byte tag.
fn put(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    put_len(out, value.len());
    out.extend_from_slice(value);
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
}

/// The FCP data objects of a file (without the `62` wrapper), in the order
/// `82 83 84 80 88 8A 86`.
pub fn fcp_content(n: &Node) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    match n.kind {
        Kind::Df | Kind::Transparent => put(&mut v, 0x82, &[n.kind.fdb()]),
        _ => {
            let rl = n.record_len.unwrap_or(0).min(0xFFFF) as u16;
            let nr = n.max_records.unwrap_or(0).min(0xFF) as u8;
            let [hi, lo] = rl.to_be_bytes();
            put(&mut v, 0x82, &[n.kind.fdb(), 0x21, hi, lo, nr]);
        }
    }
    if let Some(f) = n.fid {
        put(&mut v, 0x83, &f.0.to_be_bytes());
    }
    if let Some(name) = &n.name {
        put(&mut v, 0x84, &name.0);
    }
    let size = match n.kind {
        Kind::Df => None,
        Kind::Transparent => n.size,
        _ => Some(n.record_len.unwrap_or(0) * n.max_records.unwrap_or(0)),
    };
    if let Some(s) = size {
        put(&mut v, 0x80, &(s.min(0xFFFF) as u16).to_be_bytes());
    }
    if let Some(sfi) = n.sfi {
        put(&mut v, 0x88, &[sfi << 3]);
    }
    put(&mut v, 0x8A, &[n.lcs.byte()]);
    put(&mut v, 0x86, &n.access.0);
    v
}

/// The FCP template: `62 L ...`.
pub fn fcp(n: &Node) -> Vec<u8> {
    let mut out = Vec::with_capacity(44);
    put(&mut out, 0x62, &fcp_content(n));
    out
}

/// The FCI template: `6F L ...` with the same data objects as the FCP.
pub fn fci(n: &Node) -> Vec<u8> {
    let mut out = Vec::with_capacity(44);
    put(&mut out, 0x6F, &fcp_content(n));
    out
}

/// The FMD template: `64 L [84 DF-name]`.
pub fn fmd(n: &Node) -> Vec<u8> {
    let mut inner = Vec::new();
    if let Some(name) = &n.name {
        put(&mut inner, 0x84, &name.0);
    }
    let mut out = Vec::new();
    put(&mut out, 0x64, &inner);
    out
}

/// Reads one BER-TLV (tag of one or two bytes) from `b`; returns tag, value and the rest.
pub fn next_tlv(b: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let (&t0, rest) = b.split_first()?;
    let (tag, rest) = if t0 & 0x1F == 0x1F {
        let (&t1, rest) = rest.split_first()?;
        (u16::from_be_bytes([t0, t1]), rest)
    } else {
        (t0 as u16, rest)
    };
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0..=0x7F => (l0 as usize, rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (l as usize, rest)
        }
        0x82 => {
            let (l, rest) = rest.split_at_checked(2)?;
            (u16::from_be_bytes([*l.first()?, *l.get(1)?]) as usize, rest)
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

/// A file described by CREATE FILE data, before it is placed in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFile {
    /// The file, with empty content.
    pub node: Node,
    /// True when the SFI was given explicitly in tag `88` (a clash is then an error rather
    /// than "no SFI").
    pub explicit_sfi: bool,
}

/// Parses CREATE FILE data: `62 L { 82 83 84 80/81 88 8A 86 }` (docs/cos.md). Unknown data
/// objects are ignored. Missing `8A`: activated. Missing `86`: every access "always".
/// Missing `88` on an EF: SFI = the low 5 bits of the FID when 1..=30 (ISO/IEC 7816-4).
pub fn parse_create(data: &[u8]) -> Result<NewFile, Sw> {
    let (tag, body, rest) = next_tlv(data).ok_or(Sw::WRONG_DATA)?;
    if tag != 0x62 || !rest.is_empty() {
        return Err(Sw::WRONG_DATA);
    }
    let mut fdb: Option<&[u8]> = None;
    let mut fid = None;
    let mut name = None;
    let mut size = None;
    let mut sfi: Option<Option<u8>> = None;
    let mut lcs = Lcs::Activated;
    let mut access = vec![0u8; 6];
    let mut cur = body;
    while !cur.is_empty() {
        let (t, v, rest) = next_tlv(cur).ok_or(Sw::WRONG_DATA)?;
        cur = rest;
        match t {
            0x82 => fdb = Some(v),
            0x83 => match v {
                [hi, lo] => fid = Some(Fid(u16::from_be_bytes([*hi, *lo]))),
                _ => return Err(Sw::WRONG_DATA),
            },
            0x84 => {
                if v.is_empty() || v.len() > 16 {
                    return Err(Sw::WRONG_DATA);
                }
                name = Some(v.to_vec());
            }
            0x80 | 0x81 => match v {
                [hi, lo] => {
                    if t == 0x80 {
                        size = Some(u16::from_be_bytes([*hi, *lo]) as usize);
                    }
                }
                [b] => {
                    if t == 0x80 {
                        size = Some(*b as usize);
                    }
                }
                _ => return Err(Sw::WRONG_DATA),
            },
            0x88 => match v {
                [] | [0] => sfi = Some(None),
                [b] if (1..=30).contains(&(b >> 3)) && b & 0x07 == 0 => sfi = Some(Some(b >> 3)),
                _ => return Err(Sw::WRONG_DATA),
            },
            0x8A => match v {
                [b] => lcs = Lcs::from_byte(*b).ok_or(Sw::WRONG_DATA)?,
                _ => return Err(Sw::WRONG_DATA),
            },
            0x86 => {
                if v.len() != 6 {
                    return Err(Sw::WRONG_DATA);
                }
                access = v.to_vec();
            }
            _ => {}
        }
    }
    let fdb = fdb.ok_or(Sw::WRONG_DATA)?;
    let kind = Kind::from_fdb(*fdb.first().ok_or(Sw::WRONG_DATA)?).ok_or(Sw::WRONG_DATA)?;
    if let Some(f) = fid
        && (f == MF_FID || f.0 == 0xFFFF || f.0 == 0x3FFF)
    {
        return Err(Sw::WRONG_DATA);
    }
    let mut node = match kind {
        Kind::Df => {
            if fid.is_none() && name.is_none() {
                return Err(Sw::WRONG_DATA);
            }
            Node::df(fid, name)
        }
        Kind::Transparent => {
            if name.is_some() {
                return Err(Sw::WRONG_DATA);
            }
            let f = fid.ok_or(Sw::WRONG_DATA)?;
            Node::ef(kind, f, size.ok_or(Sw::WRONG_DATA)?, 0)
        }
        _ => {
            if name.is_some() {
                return Err(Sw::WRONG_DATA);
            }
            let f = fid.ok_or(Sw::WRONG_DATA)?;
            let (rl, nr) = match fdb {
                [_, _, hi, lo, n] => (u16::from_be_bytes([*hi, *lo]) as usize, *n as usize),
                [_, _, hi, lo, n1, n2] => (
                    u16::from_be_bytes([*hi, *lo]) as usize,
                    u16::from_be_bytes([*n1, *n2]) as usize,
                ),
                _ => return Err(Sw::WRONG_DATA),
            };
            if rl == 0 || rl > 255 || nr == 0 || nr > 254 {
                return Err(Sw::WRONG_DATA);
            }
            Node::ef(kind, f, rl, nr)
        }
    };
    node.lcs = lcs;
    node.access = Hex(access);
    let explicit_sfi = matches!(sfi, Some(Some(_)));
    if !node.is_df() {
        node.sfi = match sfi {
            Some(s) => s,
            None => fid
                .map(|f| (f.0 & 0x1F) as u8)
                .filter(|s| (1..=30).contains(s)),
        };
    } else if explicit_sfi {
        return Err(Sw::WRONG_DATA);
    }
    Ok(NewFile { node, explicit_sfi })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ef_round_trips_through_fcp() {
        let data = [
            0x62, 0x19, 0x82, 0x05, 0x04, 0x21, 0x00, 0x20, 0x0A, 0x83, 0x02, 0xEF, 0x05, 0x88,
            0x01, 0x28, 0x8A, 0x01, 0x05, 0x86, 0x06, 0x00, 0x20, 0x20, 0xFF, 0x20, 0x20,
        ];
        let nf = parse_create(&data).unwrap();
        assert_eq!(nf.node.kind, Kind::LinearVariable);
        assert_eq!(nf.node.sfi, Some(5));
        assert_eq!(nf.node.record_len, Some(0x20));
        assert_eq!(nf.node.max_records, Some(10));
        let out = fcp(&nf.node);
        // Same objects, plus 80 (size) which CREATE did not carry.
        assert!(
            out.windows(7)
                .any(|w| w == [0x82, 0x05, 0x04, 0x21, 0x00, 0x20, 0x0A])
        );
        assert!(
            out.windows(8)
                .any(|w| w == [0x86, 0x06, 0x00, 0x20, 0x20, 0xFF, 0x20, 0x20])
        );
    }

    #[test]
    fn sfi_defaults_to_low_fid_bits() {
        let data = [
            0x62, 0x0B, 0x82, 0x01, 0x01, 0x83, 0x02, 0x00, 0x15, 0x80, 0x02, 0x00, 0x10,
        ];
        let nf = parse_create(&data).unwrap();
        assert_eq!(nf.node.sfi, Some(0x15));
        assert_eq!(nf.node.size, Some(16));
        assert!(!nf.explicit_sfi);
    }

    #[test]
    fn bad_fcp_is_6a80() {
        for bad in [
            &[][..],
            &[0x62],
            &[0x62, 0x03, 0x83, 0x02, 0x00],
            &[0x6F, 0x03, 0x82, 0x01, 0x38],
            &[0x62, 0x03, 0x82, 0x01, 0x38], // DF with neither FID nor name
            &[0x62, 0x07, 0x82, 0x01, 0x01, 0x83, 0x02, 0x00, 0x01], // no size
            &[0x62, 0x07, 0x82, 0x01, 0x99, 0x83, 0x02, 0x00, 0x01], // bad FDB
        ] {
            assert_eq!(parse_create(bad), Err(Sw::WRONG_DATA), "{bad:02X?}");
        }
    }
}
