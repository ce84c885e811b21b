//! The virtual card's side of docs/cos.md's FCP contract: its files as [`tlv::Fcp`] (SELECT
//! responses) and CREATE FILE data read with [`tlv::Fcp::parse`], so that the card, `sscard
//! init` and every reader of a SELECT response share one encoder and one parser.
//!
//! [`tlv::Fcp`]: crate::tlv::Fcp
//! [`tlv::Fcp::parse`]: crate::tlv::Fcp::parse

use super::fs::{Fid, FileStructure, Hex, Lcs, MF_FID, Node};
use crate::apdu::Sw;
use crate::cos::SecurityAttributes;
use crate::tlv::{Fcp, FileDescriptor, RawElement};

/// Template tags of a SELECT response (ISO/IEC 7816-4 §7.4.1).
const FCP: u8 = 0x62;
const FCI: u8 = 0x6F;
const FMD: u8 = 0x64;

/// The tags [`Fcp`] reads into typed fields: one of these left in [`Fcp::other`] had a
/// form docs/cos.md does not allow (or came twice).
const TYPED_TAGS: [u8; 8] = [0x80, 0x81, 0x82, 0x83, 0x84, 0x86, 0x88, 0x8A];

/// A file's FCP data objects in a template: `82 83 84 80 88 8A 86`, as docs/cos.md fixes.
fn node_fcp(n: &Node, template: u8) -> Fcp {
    let mut f = Fcp::new(template);
    f.descriptor = Some(match n.kind {
        FileStructure::Df | FileStructure::Transparent => FileDescriptor::new(n.kind.fdb()),
        _ => FileDescriptor::records(
            n.kind.fdb(),
            n.record_len.unwrap_or(0).min(0xFFFF) as u16,
            n.max_records.unwrap_or(0).min(0xFF) as u16,
        ),
    });
    f.fid = n.fid.map(|f| f.0);
    f.df_name = n.name.as_ref().map(|h| h.0.clone());
    f.size = match n.kind {
        FileStructure::Df => None,
        FileStructure::Transparent => n.size,
        _ => Some(n.record_len.unwrap_or(0) * n.max_records.unwrap_or(0)),
    }
    .map(|s| s.min(0xFFFF) as u32);
    f.sfi = n.sfi;
    f.lcs = Some(n.lcs.byte());
    if let Some(p) = &n.proprietary {
        f.other.push(RawElement {
            tag: vec![0xA5],
            value: p.0.clone(),
        });
    }
    match <[u8; 6]>::try_from(n.access.0.as_slice()) {
        Ok(b) => f.security = Some(SecurityAttributes::from_bytes(b)),
        // Not reachable from a validated image; kept as it is rather than dropped.
        Err(_) => f.other.push(RawElement {
            tag: vec![0x86],
            value: n.access.0.clone(),
        }),
    }
    f
}

/// The FCP template: `62 L ...`.
pub fn fcp(n: &Node) -> Vec<u8> {
    node_fcp(n, FCP).to_bytes()
}

/// The FCI template: `6F L ...` with the same data objects as the FCP.
pub fn fci(n: &Node) -> Vec<u8> {
    node_fcp(n, FCI).to_bytes()
}

/// The FMD template: `64 L [84 DF-name]`.
pub fn fmd(n: &Node) -> Vec<u8> {
    let mut f = Fcp::new(FMD);
    f.df_name = n.name.as_ref().map(|h| h.0.clone());
    f.to_bytes()
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
/// Missing `88` on an EF: SFI = the low 5 bits of the FID when 1..=30 (ISO/IEC 7816-4);
/// `88` empty or `00`: no SFI. Anything else malformed: 6A80.
pub fn parse_create(data: &[u8]) -> Result<NewFile, Sw> {
    let f = Fcp::parse(data).map_err(|_| Sw::WRONG_DATA)?;
    if f.template != FCP {
        return Err(Sw::WRONG_DATA);
    }
    // `88` empty or `00` (kept in `other` by the parser) says "no SFI"; any other typed tag
    // left there was malformed.
    let mut no_sfi = false;
    let mut proprietary = None;
    for e in &f.other {
        match (e.tag.as_slice(), e.value.as_slice()) {
            ([0x88], [] | [0]) => no_sfi = true,
            ([0xA5], v) => proprietary = Some(Hex(v.to_vec())),
            ([t], _) if TYPED_TAGS.contains(t) => return Err(Sw::WRONG_DATA),
            _ => {}
        }
    }
    let small = |v: Option<u32>| v.map_or(Ok(None), |s| u16::try_from(s).map(Some));
    let size = small(f.size).map_err(|_| Sw::WRONG_DATA)?.map(usize::from);
    small(f.total_size).map_err(|_| Sw::WRONG_DATA)?;
    let sfi = match f.sfi {
        Some(s) if (1..=30).contains(&s) => Some(s),
        Some(_) => return Err(Sw::WRONG_DATA),
        None => None,
    };
    let lcs = match f.lcs {
        Some(b) => Lcs::from_byte(b).ok_or(Sw::WRONG_DATA)?,
        None => Lcs::Activated,
    };
    let access = f.security.map_or(vec![0u8; 6], |s| s.to_bytes().to_vec());
    let fdb = f.descriptor.ok_or(Sw::WRONG_DATA)?;
    let kind = FileStructure::from_fdb(fdb.fdb).ok_or(Sw::WRONG_DATA)?;
    let fid = f.fid.map(Fid);
    let name = f.df_name;
    if let Some(f) = fid
        && (f == MF_FID || f.0 == 0xFFFF || f.0 == 0x3FFF)
    {
        return Err(Sw::WRONG_DATA);
    }
    let mut node = match kind {
        FileStructure::Df => {
            if fid.is_none() && name.is_none() {
                return Err(Sw::WRONG_DATA);
            }
            Node::df(fid, name)
        }
        FileStructure::Transparent => {
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
            let (Some(rl), Some(nr)) = (fdb.max_record_len, fdb.record_count) else {
                return Err(Sw::WRONG_DATA);
            };
            let (rl, nr) = (usize::from(rl), usize::from(nr));
            if rl == 0 || rl > 255 || nr == 0 || nr > 254 {
                return Err(Sw::WRONG_DATA);
            }
            Node::ef(kind, f, rl, nr)
        }
    };
    node.lcs = lcs;
    node.access = Hex(access);
    // A DF keeps its proprietary data (the SSSE's algorithm identifier); an EF has none.
    if node.is_df() {
        node.proprietary = proprietary;
    }
    let explicit_sfi = sfi.is_some();
    if !node.is_df() {
        node.sfi = match (sfi, no_sfi) {
            (Some(s), _) => Some(s),
            (None, true) => None,
            (None, false) => fid
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
        assert_eq!(nf.node.kind, FileStructure::LinearVariable);
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
    #[test]
    fn select_responses_are_byte_exact() {
        let h = |s: &str| crate::apdu::parse_hex(s).unwrap();
        let mut ef = Node::ef(FileStructure::LinearVariable, Fid(0xEF05), 0x20, 10);
        ef.sfi = Some(5);
        ef.access = Hex(h("00 20 20 FF 20 20"));
        assert_eq!(
            fcp(&ef),
            h(
                "62 1D 82 05 04 21 00 20 0A 83 02 EF 05 80 02 01 40 88 01 28 8A 01 05 \
               86 06 00 20 20 FF 20 20"
            )
        );
        let mut df = Node::df(Some(Fid(0xDDF1)), Some(b"sx1".to_vec()));
        df.lcs = Lcs::Initialisation;
        assert_eq!(
            fci(&df),
            h("6F 17 82 01 38 83 02 DD F1 84 03 73 78 31 8A 01 03 86 06 00 00 00 00 00 00")
        );
        assert_eq!(fmd(&df), h("64 05 84 03 73 78 31"));
        assert_eq!(fmd(&Node::blank_mf()), h("64 00"));
    }

    #[test]
    fn malformed_unknown_objects_are_6a80() {
        // An unknown constructed object whose content is not BER-TLV.
        let data = [
            0x62, 0x0D, 0x82, 0x01, 0x01, 0x83, 0x02, 0x00, 0x15, 0x80, 0x01, 0x10, 0x20, 0x01,
            0x28,
        ];
        assert_eq!(parse_create(&data), Err(Sw::WRONG_DATA));
        // The same with a well-formed unknown object is accepted.
        let fine = [
            0x62, 0x0C, 0x82, 0x01, 0x01, 0x83, 0x02, 0x00, 0x15, 0x80, 0x01, 0x10, 0xA5, 0x00,
        ];
        assert_eq!(parse_create(&fine).map(|n| n.node.size), Ok(Some(16)));
    }
}
