//! File control parameters (ISO/IEC 7816-4 §7.4; docs/cos.md): the `62` FCP / `6F` FCI /
//! `64` FMD templates of SELECT responses and the data field of CREATE FILE.
//!
//! ```
//! use sscard::tlv::{Fcp, FileKind, SecurityAttributes, AccessCondition};
//! // EF06 of the SSC application: linear variable records, SFI 6.
//! let ef = Fcp::record_file(0xEF06, FileKind::LinearVariable, 0x30, 8)
//!     .with_sfi(6)
//!     .with_lcs(0x03)
//!     .with_security(SecurityAttributes {
//!         update: AccessCondition::ExternalAuth(4),
//!         ..SecurityAttributes::OPEN
//!     });
//! let bytes = ef.to_bytes();
//! assert_eq!(Fcp::parse(&bytes).unwrap(), ef);
//! ```

use super::descriptor::{FileDescriptor, FileKind, lcs_name};
use super::{SecurityAttributes, TlvError, ber_element, push_ber_len};
use crate::apdu::compact;
use serde::Serialize;

/// An element kept as it came (proprietary `85`/`A5`, `9F0C`, an unusual form of a known one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawElement {
    /// Tag bytes.
    #[serde(serialize_with = "crate::apdu::hexser::bytes")]
    pub tag: Vec<u8>,
    /// Value bytes (for a constructed element: its encoded content).
    #[serde(serialize_with = "crate::apdu::hexser::bytes")]
    pub value: Vec<u8>,
}

/// An element as parsed: its tag, its value in canonical form at parse time, its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Original {
    tag: Vec<u8>,
    value: Vec<u8>,
    raw: Vec<u8>,
}

/// File control parameters: typed fields for what docs/cos.md uses, the rest kept raw.
///
/// Build one with [`Fcp::df`], [`Fcp::transparent`] or [`Fcp::record_file`] and the `with_`
/// methods; [`Fcp::to_bytes`] gives the `62 L ...` data for CREATE FILE. [`Fcp::parse`] reads
/// a SELECT response (`62`, `6F` or `64`). A parsed FCP encodes back to the same bytes, even
/// in unusual but valid forms, as long as its fields are not changed (changed fields are
/// encoded canonically, in place).
#[derive(Debug, Clone, Serialize)]
pub struct Fcp {
    /// Template tag: `62` FCP, `6F` FCI, `64` FMD.
    #[serde(serialize_with = "crate::apdu::hexser::byte")]
    pub template: u8,
    /// `82`: file descriptor.
    pub descriptor: Option<FileDescriptor>,
    /// `83`: file identifier.
    #[serde(serialize_with = "crate::apdu::hexser::opt_u16")]
    pub fid: Option<u16>,
    /// `84`: DF name (AID), 1 to 16 bytes.
    #[serde(serialize_with = "crate::apdu::hexser::opt_bytes")]
    pub df_name: Option<Vec<u8>>,
    /// `80`: number of data bytes in the file (transparent EF) or size.
    pub size: Option<u32>,
    /// `81`: total file size including structural information.
    pub total_size: Option<u32>,
    /// `88`: short EF identifier (the SFI value 1..30; encoded `SFI << 3`).
    pub sfi: Option<u8>,
    /// `8A`: life cycle status byte.
    pub lcs: Option<u8>,
    /// `86`: the 6 access conditions of docs/cos.md.
    pub security: Option<SecurityAttributes>,
    /// Every other element, in order.
    pub other: Vec<RawElement>,
    #[serde(skip)]
    original: Vec<Original>,
    #[serde(skip)]
    outer_len: Vec<u8>,
}

/// Equality compares the fields, not how the bytes were laid out.
impl PartialEq for Fcp {
    fn eq(&self, o: &Fcp) -> bool {
        (
            self.template,
            &self.descriptor,
            self.fid,
            &self.df_name,
            self.size,
            self.total_size,
            self.sfi,
            self.lcs,
            &self.security,
            &self.other,
        ) == (
            o.template,
            &o.descriptor,
            o.fid,
            &o.df_name,
            o.size,
            o.total_size,
            o.sfi,
            o.lcs,
            &o.security,
            &o.other,
        )
    }
}
impl Eq for Fcp {}

fn size_bytes(v: u32) -> Vec<u8> {
    match u16::try_from(v) {
        Ok(s) => s.to_be_bytes().to_vec(),
        Err(_) => v.to_be_bytes().to_vec(),
    }
}

impl Fcp {
    /// An empty template (`62` FCP, `6F` FCI or `64` FMD).
    pub fn new(template: u8) -> Fcp {
        Fcp {
            template,
            descriptor: None,
            fid: None,
            df_name: None,
            size: None,
            total_size: None,
            sfi: None,
            lcs: None,
            security: None,
            other: Vec::new(),
            original: Vec::new(),
            outer_len: Vec::new(),
        }
    }

    /// A DF: FDB `38`, its FID and, if given, its DF name (AID).
    pub fn df(fid: u16, name: Option<&[u8]>) -> Fcp {
        let mut f = Fcp::new(0x62);
        f.descriptor = Some(FileDescriptor::new(0x38));
        f.fid = Some(fid);
        f.df_name = name.map(<[u8]>::to_vec);
        f
    }

    /// A transparent EF of `size` bytes.
    pub fn transparent(fid: u16, size: u16) -> Fcp {
        let mut f = Fcp::new(0x62);
        f.descriptor = Some(FileDescriptor::new(0x01));
        f.fid = Some(fid);
        f.size = Some(u32::from(size));
        f
    }

    /// A record EF (`kind` linear fixed/variable or cyclic): tag 82 is
    /// `FDB 21 max-record-length(2) number-of-records(1)` as docs/cos.md says.
    pub fn record_file(fid: u16, kind: FileKind, max_record_len: u16, records: u8) -> Fcp {
        let mut f = Fcp::new(0x62);
        f.descriptor = Some(FileDescriptor::records(
            kind.fdb().unwrap_or(0x04),
            max_record_len,
            u16::from(records),
        ));
        f.fid = Some(fid);
        f
    }

    /// Sets the SFI (1..=30).
    pub fn with_sfi(mut self, sfi: u8) -> Fcp {
        self.sfi = Some(sfi);
        self
    }

    /// Sets the life cycle status byte (`01` creation, `03` initialisation, `05` activated).
    pub fn with_lcs(mut self, lcs: u8) -> Fcp {
        self.lcs = Some(lcs);
        self
    }

    /// Sets the 6 access conditions (tag 86).
    pub fn with_security(mut self, sec: SecurityAttributes) -> Fcp {
        self.security = Some(sec);
        self
    }

    /// Sets the DF name (tag 84).
    pub fn with_df_name(mut self, name: &[u8]) -> Fcp {
        self.df_name = Some(name.to_vec());
        self
    }

    /// Sets the size (tag 80).
    pub fn with_size(mut self, size: u32) -> Fcp {
        self.size = Some(size);
        self
    }

    /// The file's structure, from tag 82.
    pub fn kind(&self) -> Option<FileKind> {
        self.descriptor.map(|d| FileKind::from_fdb(d.fdb))
    }

    /// True when tag 82 says DF.
    pub fn is_df(&self) -> bool {
        self.kind() == Some(FileKind::Df)
    }

    /// The value of a top-level element kept in `other` (e.g. `[0xA5]`).
    pub fn find(&self, tag: &[u8]) -> Option<&[u8]> {
        self.other
            .iter()
            .find(|e| e.tag == tag)
            .map(|e| e.value.as_slice())
    }

    /// The value of an element anywhere in `other`, looking inside constructed ones (e.g.
    /// `9F0C` inside `A5` in the SSSE FCI).
    pub fn find_nested(&self, tag: &[u8]) -> Option<Vec<u8>> {
        let want =
            iso7816_tlv::ber::Tag::try_from(tag.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)))
                .ok()?;
        for e in &self.other {
            if e.tag == tag {
                return Some(e.value.clone());
            }
            let Ok(t) = iso7816_tlv::ber::Tlv::from_bytes(&ber_element(&e.tag, &e.value)) else {
                continue;
            };
            if let Some(found) = t.find(&want)
                && let iso7816_tlv::ber::Value::Primitive(v) = found.value()
            {
                return Some(v.clone());
            }
        }
        None
    }

    /// The elements with their canonical values, in the canonical order.
    fn elements(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        if let Some(d) = &self.descriptor {
            v.push((vec![0x82], d.to_bytes()));
        }
        if let Some(fid) = self.fid {
            v.push((vec![0x83], fid.to_be_bytes().to_vec()));
        }
        if let Some(n) = &self.df_name {
            v.push((vec![0x84], n.clone()));
        }
        if let Some(s) = self.size {
            v.push((vec![0x80], size_bytes(s)));
        }
        if let Some(s) = self.total_size {
            v.push((vec![0x81], size_bytes(s)));
        }
        if let Some(sfi) = self.sfi {
            v.push((vec![0x88], vec![sfi << 3]));
        }
        if let Some(l) = self.lcs {
            v.push((vec![0x8A], vec![l]));
        }
        if let Some(s) = &self.security {
            v.push((vec![0x86], s.to_bytes().to_vec()));
        }
        for e in &self.other {
            v.push((e.tag.clone(), e.value.clone()));
        }
        v
    }

    /// Encodes the template: the elements in the order they were parsed (unchanged ones
    /// byte-exact), new ones after them in the order 82 83 84 80 81 88 8A 86, then the rest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let current = self.elements();
        let mut used = vec![false; current.len()];
        let mut content = Vec::new();
        for o in &self.original {
            // The same element unchanged first (a tag may appear twice: once typed, once
            // kept raw), else the element with this tag that was changed.
            let free = |i: &usize, exact: bool| {
                used.get(*i) == Some(&false)
                    && current
                        .get(*i)
                        .is_some_and(|(t, v)| *t == o.tag && (!exact || *v == o.value))
            };
            let exact = (0..current.len()).find(|i| free(i, true));
            let Some(idx) = exact.or_else(|| (0..current.len()).find(|i| free(i, false))) else {
                continue;
            };
            let (Some(slot), Some((tag, value))) = (used.get_mut(idx), current.get(idx)) else {
                continue;
            };
            *slot = true;
            if *value == o.value {
                content.extend_from_slice(&o.raw);
            } else {
                content.extend(ber_element(tag, value));
            }
        }
        for ((tag, value), used) in current.iter().zip(&used) {
            if !used {
                content.extend(ber_element(tag, value));
            }
        }
        let mut out = vec![self.template];
        if read_ber_len(&self.outer_len).is_ok_and(|(l, _)| l == content.len()) {
            out.extend_from_slice(&self.outer_len);
        } else {
            push_ber_len(&mut out, content.len());
        }
        out.extend(content);
        out
    }

    /// Parses an FCP (`62`), FCI (`6F`) or FMD (`64`) template, e.g. a SELECT response.
    pub fn parse(data: &[u8]) -> Result<Fcp, TlvError> {
        let template = *data.first().ok_or(TlvError::Truncated {
            what: "FCP template",
            offset: 0,
            need: 2,
            have: 0,
        })?;
        if !matches!(template, 0x62 | 0x64 | 0x6F) {
            return Err(TlvError::NotATemplate(template));
        }
        let ber = |what: &'static str| {
            move |e: iso7816_tlv::TlvError| TlvError::Ber {
                what,
                detail: e.to_string(),
            }
        };
        // The template header is read here (the crate refuses non-minimal lengths inside a
        // constructed element); each element is read by the crate.
        let (len, lsize) = read_ber_len(data.get(1..).unwrap_or(&[]))?;
        let body = data.get(1 + lsize..).unwrap_or(&[]);
        if body.len() < len {
            return Err(TlvError::Truncated {
                what: "FCP template",
                offset: 1 + lsize,
                need: len,
                have: body.len(),
            });
        }
        if body.len() > len {
            return Err(TlvError::Trailing {
                offset: 1 + lsize + len,
                count: body.len() - len,
            });
        }
        let mut content = body;
        let mut f = Fcp::new(template);
        f.outer_len = data.get(1..1 + lsize).unwrap_or(&[]).to_vec();
        while !content.is_empty() {
            let (t, rest) = iso7816_tlv::ber::Tlv::parse(content);
            let t = t.map_err(ber("an FCP element"))?;
            let raw = content
                .get(..content.len() - rest.len())
                .unwrap_or(&[])
                .to_vec();
            content = rest;
            let tag = t.tag().to_bytes().to_vec();
            let after_tag = raw.get(tag.len()..).unwrap_or(&[]);
            let value = after_tag
                .get(read_ber_len(after_tag)?.1..)
                .unwrap_or(&[])
                .to_vec();
            let canonical = f.take(&tag, &value)?;
            f.original.push(Original {
                tag,
                value: canonical,
                raw,
            });
        }
        Ok(f)
    }

    /// Stores one element in its typed field (or in `other`) and returns its canonical value.
    fn take(&mut self, tag: &[u8], v: &[u8]) -> Result<Vec<u8>, TlvError> {
        let bad = |tag: u8, expected| TlvError::BadElement {
            tag,
            len: v.len(),
            expected,
        };
        let be = |s: &[u8]| s.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        match (tag, v) {
            ([0x82], _) if self.descriptor.is_none() => {
                let d = FileDescriptor::parse(v)?;
                self.descriptor = Some(d);
                return Ok(d.to_bytes());
            }
            ([0x83], [a, b]) if self.fid.is_none() => {
                self.fid = Some(u16::from_be_bytes([*a, *b]));
                return Ok(v.to_vec());
            }
            ([0x83], _) if self.fid.is_none() => {
                return Err(bad(0x83, "a file identifier has 2 bytes"));
            }
            ([0x84], _) if self.df_name.is_none() && (1..=16).contains(&v.len()) => {
                self.df_name = Some(v.to_vec());
                return Ok(v.to_vec());
            }
            ([0x80], _) if self.size.is_none() && (1..=4).contains(&v.len()) => {
                self.size = Some(be(v));
                return Ok(size_bytes(be(v)));
            }
            ([0x81], _) if self.total_size.is_none() && (1..=4).contains(&v.len()) => {
                self.total_size = Some(be(v));
                return Ok(size_bytes(be(v)));
            }
            ([0x88], [b]) if self.sfi.is_none() && b & 0x07 == 0 && *b != 0 => {
                self.sfi = Some(b >> 3);
                return Ok(v.to_vec());
            }
            ([0x8A], [b]) if self.lcs.is_none() => {
                self.lcs = Some(*b);
                return Ok(v.to_vec());
            }
            ([0x86], [a, b, c, d, e, g]) if self.security.is_none() => {
                self.security = Some(SecurityAttributes::from_bytes([*a, *b, *c, *d, *e, *g]));
                return Ok(v.to_vec());
            }
            _ => {}
        }
        self.other.push(RawElement {
            tag: tag.to_vec(),
            value: v.to_vec(),
        });
        Ok(v.to_vec())
    }

    /// One line for operators: `EF06 linear variable record EF, 8 records of up to 48 bytes,
    /// SFI 6, LCS 03 (initialisation)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut head = self.fid.map(|f| format!("{f:04X}")).unwrap_or_default();
        if let Some(k) = self.kind() {
            if !head.is_empty() {
                head.push(' ');
            }
            head.push_str(k.name());
        }
        if !head.is_empty() {
            parts.push(head);
        }
        if let Some(n) = &self.df_name {
            let text = n
                .iter()
                .all(|b| b.is_ascii_graphic())
                .then(|| String::from_utf8_lossy(n).into_owned());
            parts.push(match text {
                Some(t) => format!("name {} ({t})", compact(n)),
                None => format!("name {}", compact(n)),
            });
        }
        if let Some(d) = &self.descriptor
            && let (Some(m), Some(c)) = (d.max_record_len, d.record_count)
        {
            parts.push(format!("{c} records of up to {m} bytes"));
        }
        if let Some(s) = self.size {
            parts.push(format!("{s} bytes"));
        }
        if let Some(s) = self.sfi {
            parts.push(format!("SFI {s}"));
        }
        if let Some(l) = self.lcs {
            parts.push(format!("LCS {l:02X} ({})", lcs_name(l)));
        }
        if let Some(s) = &self.security {
            parts.push(format!("access {s}"));
        }
        parts.join(", ")
    }
}

/// Reads a BER length field at the start of `b`: (length, size of the field).
fn read_ber_len(b: &[u8]) -> Result<(usize, usize), TlvError> {
    let trunc = |need, have| TlvError::Truncated {
        what: "BER-TLV length",
        offset: 0,
        need,
        have,
    };
    match b.split_first() {
        None => Err(trunc(1, 0)),
        Some((&l, _)) if l < 0x80 => Ok((usize::from(l), 1)),
        Some((&l, rest)) => {
            let n = usize::from(l & 0x7F);
            if n == 0 || n > 3 {
                return Err(TlvError::Ber {
                    what: "a length field",
                    detail: format!("length byte {l:02X} is not supported"),
                });
            }
            let bytes = rest.get(..n).ok_or(trunc(n, rest.len()))?;
            Ok((
                bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)),
                1 + n,
            ))
        }
    }
}
