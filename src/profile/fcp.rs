//! File control parameters (ISO 7816-9 CREATE FILE data; SELECT P2=04 response) as
//! docs/cos.md fixes them, built from a profile's DFs and EFs, and read back for comparison.

use super::model::{AccessRules, Df, Ef, EfSize, Lcs, Structure};
use thiserror::Error;

/// The FCP fields sscard writes and compares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FcpInfo {
    /// Tag 82: FDB, and for record EFs `21`, max record length, number of records.
    pub descriptor: Vec<u8>,
    /// Tag 83: file id.
    pub fid: Option<u16>,
    /// Tag 84: DF name.
    pub df_name: Option<Vec<u8>>,
    /// Tag 80: size of a transparent EF.
    pub size: Option<u16>,
    /// Tag 88: SFI (already shifted back: 1..=30).
    pub sfi: Option<u8>,
    /// Tag 8A: life cycle status.
    pub lcs: Option<u8>,
    /// Tag 86: security attributes.
    pub security: Option<Vec<u8>>,
}

/// An FCP that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FcpError {
    /// Not a `62` template or a broken length.
    #[error("the file control parameters are malformed ({0}); bytes: {1}")]
    Malformed(&'static str, String),
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    push_len(out, value.len());
    out.extend_from_slice(value);
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

fn template(body: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 3);
    push_tlv(&mut out, 0x62, &body);
    out
}

/// The FCP info of a DF.
pub fn df_info(df: &Df) -> FcpInfo {
    FcpInfo {
        descriptor: vec![0x38],
        fid: df.fid,
        df_name: df.aid.clone(),
        size: None,
        sfi: None,
        lcs: Some(df.lcs.byte()),
        security: Some(df.access.bytes().to_vec()),
    }
}

/// The FCP info of an EF.
pub fn ef_info(ef: &Ef) -> FcpInfo {
    let (descriptor, size) = match (ef.structure, ef.size) {
        (_, EfSize::Records { count, length }) => {
            let [hi, lo] = length.to_be_bytes();
            (vec![ef.structure.fdb(), 0x21, hi, lo, count], None)
        }
        (Structure::Transparent, EfSize::Bytes(n)) | (_, EfSize::Bytes(n)) => {
            (vec![ef.structure.fdb()], Some(n))
        }
    };
    FcpInfo {
        descriptor,
        fid: Some(ef.fid),
        df_name: None,
        size,
        sfi: ef.sfi,
        lcs: Some(ef.lcs.byte()),
        security: Some(ef.access.bytes().to_vec()),
    }
}

impl FcpInfo {
    /// Encodes as `62 L { 82 | 83 | 84 | 80 | 88 | 8A | 86 }` (docs/cos.md order).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        push_tlv(&mut b, 0x82, &self.descriptor);
        if let Some(f) = self.fid {
            push_tlv(&mut b, 0x83, &f.to_be_bytes());
        }
        if let Some(n) = &self.df_name {
            push_tlv(&mut b, 0x84, n);
        }
        if let Some(s) = self.size {
            push_tlv(&mut b, 0x80, &s.to_be_bytes());
        }
        if let Some(s) = self.sfi {
            push_tlv(&mut b, 0x88, &[s << 3]);
        }
        if let Some(l) = self.lcs {
            push_tlv(&mut b, 0x8A, &[l]);
        }
        if let Some(s) = &self.security {
            push_tlv(&mut b, 0x86, s);
        }
        template(b)
    }

    /// Reads an FCP (`62` template); unknown tags are skipped.
    pub fn parse(bytes: &[u8]) -> Result<FcpInfo, FcpError> {
        let bad = |why| FcpError::Malformed(why, crate::apdu::compact(bytes));
        let (tag, body, _) = read_tlv(bytes).ok_or_else(|| bad("no TLV"))?;
        if tag != 0x62 {
            return Err(bad("not an FCP template (62)"));
        }
        let mut info = FcpInfo::default();
        let mut rest = body;
        while !rest.is_empty() {
            let (t, v, next) = read_tlv(rest).ok_or_else(|| bad("broken TLV inside"))?;
            match (t, v) {
                (0x82, _) => info.descriptor = v.to_vec(),
                (0x83, [a, b]) => info.fid = Some(u16::from_be_bytes([*a, *b])),
                (0x84, _) => info.df_name = Some(v.to_vec()),
                (0x80, [a, b]) => info.size = Some(u16::from_be_bytes([*a, *b])),
                (0x88, [s]) => info.sfi = Some(s >> 3),
                (0x8A, [l]) => info.lcs = Some(*l),
                (0x86, _) => info.security = Some(v.to_vec()),
                _ => {}
            }
            rest = next;
        }
        Ok(info)
    }
}

/// One BER-TLV with a one-byte tag: (tag, value, rest).
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = match l0 {
        0..=0x7F => (usize::from(l0), rest),
        0x81 => {
            let (&l, r) = rest.split_first()?;
            (usize::from(l), r)
        }
        0x82 => {
            let hi = *rest.first()?;
            let lo = *rest.get(1)?;
            (usize::from(u16::from_be_bytes([hi, lo])), rest.get(2..)?)
        }
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let (v, next) = rest.split_at(len);
    Some((tag, v, next))
}

/// The FCP bytes for CREATE FILE of a DF.
pub fn df_fcp(df: &Df) -> Vec<u8> {
    df_info(df).to_bytes()
}

/// The FCP bytes for CREATE FILE of an EF.
pub fn ef_fcp(ef: &Ef) -> Vec<u8> {
    ef_info(ef).to_bytes()
}

/// The security attribute as text: `read=00 update=20 ...`.
pub fn describe_security(access: &AccessRules) -> String {
    AccessRules::OPERATIONS
        .iter()
        .zip(access.bytes())
        .map(|(op, b)| format!("{op}={b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The LCS name for a byte (or its hex).
pub fn lcs_name(byte: u8) -> String {
    Lcs::ALL
        .into_iter()
        .find(|l| l.byte() == byte)
        .map_or_else(|| format!("{byte:02X}"), |l| l.as_str().to_string())
}
