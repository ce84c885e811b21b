//! The file descriptor (tag `82`) and life cycle status of an FCP (ISO/IEC 7816-4 §7.4.5,
//! §7.4.10).

use super::TlvError;
use crate::cos::Lcs;
use serde::Serialize;

/// The file structure given by the file descriptor byte (tag `82`, byte 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// `38`: dedicated file (DF, application).
    Df,
    /// `x1`: transparent EF.
    Transparent,
    /// `x2`: linear fixed records.
    LinearFixed,
    /// `x3`: linear fixed records, SIMPLE-TLV.
    LinearFixedTlv,
    /// `x4`: linear variable records (the SSC record files).
    LinearVariable,
    /// `x5`: linear variable records, SIMPLE-TLV.
    LinearVariableTlv,
    /// `x6`: cyclic records.
    Cyclic,
    /// `x7`: cyclic records, SIMPLE-TLV.
    CyclicTlv,
    /// Anything else (the FDB is kept in the descriptor).
    Other,
}

impl FileKind {
    /// The kind of file an FDB describes.
    pub fn from_fdb(fdb: u8) -> FileKind {
        if fdb & 0x38 == 0x38 {
            return FileKind::Df;
        }
        if fdb & 0x80 != 0 {
            return FileKind::Other;
        }
        match fdb & 0x07 {
            1 => FileKind::Transparent,
            2 => FileKind::LinearFixed,
            3 => FileKind::LinearFixedTlv,
            4 => FileKind::LinearVariable,
            5 => FileKind::LinearVariableTlv,
            6 => FileKind::Cyclic,
            7 => FileKind::CyclicTlv,
            _ => FileKind::Other,
        }
    }

    /// The plain FDB for this kind (working EF, not shareable); `None` for `Other`.
    pub fn fdb(self) -> Option<u8> {
        Some(match self {
            FileKind::Df => 0x38,
            FileKind::Transparent => 0x01,
            FileKind::LinearFixed => 0x02,
            FileKind::LinearFixedTlv => 0x03,
            FileKind::LinearVariable => 0x04,
            FileKind::LinearVariableTlv => 0x05,
            FileKind::Cyclic => 0x06,
            FileKind::CyclicTlv => 0x07,
            FileKind::Other => return None,
        })
    }

    /// True for the record structures (linear fixed/variable, cyclic).
    pub fn is_record(self) -> bool {
        !matches!(self, FileKind::Df | FileKind::Transparent | FileKind::Other)
    }

    /// In words: `linear variable record EF`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Df => "DF",
            FileKind::Transparent => "transparent EF",
            FileKind::LinearFixed => "linear fixed record EF",
            FileKind::LinearFixedTlv => "linear fixed record EF (SIMPLE-TLV)",
            FileKind::LinearVariable => "linear variable record EF",
            FileKind::LinearVariableTlv => "linear variable record EF (SIMPLE-TLV)",
            FileKind::Cyclic => "cyclic record EF",
            FileKind::CyclicTlv => "cyclic record EF (SIMPLE-TLV)",
            FileKind::Other => "file of unknown structure",
        }
    }
}

/// Life cycle status byte in words (ISO/IEC 7816-4 §7.4.10).
pub fn lcs_name(lcs: u8) -> &'static str {
    match Lcs::from_byte(lcs) {
        Some(Lcs::Creation) => "creation",
        Some(Lcs::Initialisation) => "initialisation",
        Some(Lcs::Activated) => "operational, activated",
        Some(Lcs::Deactivated) => "operational, deactivated",
        Some(Lcs::Terminated) => "terminated",
        None if lcs == 0x00 => "no information",
        None => "proprietary",
    }
}

/// Tag `82`: file descriptor byte, data coding byte, record size and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FileDescriptor {
    /// File descriptor byte.
    pub fdb: u8,
    /// Data coding byte (`21` in practice).
    pub dcb: Option<u8>,
    /// Maximum record length (record EFs).
    pub max_record_len: Option<u16>,
    /// Number of records (record EFs).
    pub record_count: Option<u16>,
}

impl FileDescriptor {
    /// Just the file descriptor byte (a DF, a transparent EF).
    pub fn new(fdb: u8) -> FileDescriptor {
        FileDescriptor {
            fdb,
            dcb: None,
            max_record_len: None,
            record_count: None,
        }
    }

    /// A record EF's descriptor, `FDB 21 max-record-length(2) number-of-records` as
    /// docs/cos.md says.
    pub fn records(fdb: u8, max_record_len: u16, record_count: u16) -> FileDescriptor {
        FileDescriptor {
            fdb,
            dcb: Some(0x21),
            max_record_len: Some(max_record_len),
            record_count: Some(record_count),
        }
    }

    /// Canonical encoding: `FDB [DCB [MRL(2) [NR(1 or 2)]]]`, DCB `21` when a record size
    /// forces it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![self.fdb];
        if self.dcb.is_some() || self.max_record_len.is_some() || self.record_count.is_some() {
            v.push(self.dcb.unwrap_or(0x21));
        }
        if self.max_record_len.is_some() || self.record_count.is_some() {
            v.extend_from_slice(&self.max_record_len.unwrap_or(0).to_be_bytes());
        }
        if let Some(n) = self.record_count {
            match u8::try_from(n) {
                Ok(b) => v.push(b),
                Err(_) => v.extend_from_slice(&n.to_be_bytes()),
            }
        }
        v
    }

    pub(super) fn parse(v: &[u8]) -> Result<FileDescriptor, TlvError> {
        let be = |s: &[u8]| s.iter().fold(0u16, |a, &b| (a << 8) | u16::from(b));
        let d = FileDescriptor::new;
        Ok(match v {
            [fdb] => d(*fdb),
            [fdb, dcb, rest @ ..] if rest.len() <= 4 => {
                let (mrl, nr) = match rest {
                    [] => (None, None),
                    [_] | [_, _] => (Some(be(rest)), None),
                    [hi, lo, nr @ ..] => (Some(be(&[*hi, *lo])), Some(be(nr))),
                };
                FileDescriptor {
                    dcb: Some(*dcb),
                    max_record_len: mrl,
                    record_count: nr,
                    ..d(*fdb)
                }
            }
            _ => {
                return Err(TlvError::BadElement {
                    tag: 0x82,
                    len: v.len(),
                    expected: "the file descriptor has 1 to 6 bytes",
                });
            }
        })
    }
}
