//! File control parameters (ISO 7816-9 CREATE FILE data; SELECT P2=04 response) of a profile's
//! DFs and EFs, built with [`crate::tlv::Fcp`] as docs/cos.md fixes them, and the comparison of
//! what a card reads back with what the profile says.

use super::model::{AccessRules, Df, Ef, EfSize};
use crate::cos::SecurityAttributes;
use crate::tlv::{Fcp, FileDescriptor};

/// The security attributes (tag 86) of a profile's access rules.
pub fn security(access: &AccessRules) -> SecurityAttributes {
    SecurityAttributes::from_bytes(access.bytes())
}

/// The FCP of a DF: `82 38`, `83 FID` (if any), `84 DF name` (if any), `8A LCS`, `86`.
pub fn df_fcp(df: &Df) -> Fcp {
    let mut f = Fcp::new(0x62);
    f.descriptor = Some(FileDescriptor {
        fdb: 0x38,
        dcb: None,
        max_record_len: None,
        record_count: None,
    });
    f.fid = df.fid;
    f.df_name = df.aid.clone();
    if let Some(a) = df.algorithm_id {
        f.other.push(crate::tlv::RawElement {
            tag: vec![0xA5],
            value: a.proprietary(),
        });
    }
    f.with_lcs(df.lcs.byte())
        .with_security(security(&df.access))
}

/// The FCP of an EF: `82` (5 bytes for record EFs), `83`, `80` (transparent), `88`, `8A`, `86`.
pub fn ef_fcp(ef: &Ef) -> Fcp {
    let mut f = Fcp::new(0x62);
    match ef.size {
        EfSize::Records { count, length } => {
            f.descriptor = Some(FileDescriptor {
                fdb: ef.structure.fdb(),
                dcb: Some(0x21),
                max_record_len: Some(length),
                record_count: Some(u16::from(count)),
            });
        }
        EfSize::Bytes(n) => {
            f.descriptor = Some(FileDescriptor {
                fdb: ef.structure.fdb(),
                dcb: None,
                max_record_len: None,
                record_count: None,
            });
            f.size = Some(u32::from(n));
        }
    }
    f.fid = Some(ef.fid);
    f.sfi = ef.sfi;
    f.with_lcs(ef.lcs.byte())
        .with_security(security(&ef.access))
}

/// The differences between the FCP a profile expects and the one a card returned, in words
/// (empty: they match). Only the fields the profile sets are compared; the life cycle is
/// compared only when `check_lcs` (it moves on after init).
pub fn compare(expected: &Fcp, got: &Fcp, check_lcs: bool) -> Vec<String> {
    let mut d = Vec::new();
    let hex = |v: &Option<Vec<u8>>| {
        v.as_ref()
            .map_or("none".into(), |b| crate::apdu::compact(b))
    };
    if expected.descriptor != got.descriptor {
        d.push(format!(
            "file descriptor (82): profile {}, card {}",
            expected
                .descriptor
                .map_or("none".into(), |x| crate::apdu::compact(&x.to_bytes())),
            got.descriptor
                .map_or("none".into(), |x| crate::apdu::compact(&x.to_bytes()))
        ));
    }
    if expected.fid != got.fid {
        d.push(format!(
            "file id (83): profile {:04X?}, card {:04X?}",
            expected.fid, got.fid
        ));
    }
    if expected.df_name.is_some() && expected.df_name != got.df_name {
        d.push(format!(
            "DF name (84): profile {}, card {}",
            hex(&expected.df_name),
            hex(&got.df_name)
        ));
    }
    if expected.size.is_some() && expected.size != got.size {
        d.push(format!(
            "size (80): profile {:?}, card {:?}",
            expected.size, got.size
        ));
    }
    if expected.sfi != got.sfi {
        d.push(format!(
            "SFI (88): profile {:?}, card {:?}",
            expected.sfi, got.sfi
        ));
    }
    if check_lcs && expected.lcs != got.lcs {
        d.push(format!(
            "life cycle (8A): profile {:02X?}, card {:02X?}",
            expected.lcs, got.lcs
        ));
    }
    let alg = |f: &Fcp| f.find_nested(&crate::cos::algid::TAG);
    if alg(expected).is_some() && alg(expected) != alg(got) {
        d.push(format!(
            "algorithm id (A5/9F0C): profile {}, card {}",
            hex(&alg(expected)),
            hex(&alg(got))
        ));
    }
    if expected.security != got.security {
        let b = |s: &Option<SecurityAttributes>| {
            s.map_or("none".into(), |s| crate::apdu::compact(&s.to_bytes()))
        };
        d.push(format!(
            "access conditions (86): profile {}, card {}",
            b(&expected.security),
            b(&got.security)
        ));
    }
    d
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
