//! File commands: SELECT, READ/UPDATE BINARY, READ/UPDATE/APPEND RECORD, CREATE/DELETE/
//! ACTIVATE/DEACTIVATE FILE.

use super::{Card, CardError, build, describe_name};
use crate::apdu::{Command, Sw};
use crate::error::ErrorChain;
use crate::tlv::{Fcp, SimpleTlv};

/// What SELECT selects (P1 and data; ISO/IEC 7816-4 §7.1.1, Table 39).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectBy<'d> {
    /// The MF (`P1 00`, data `3F00`).
    Mf,
    /// Any file by file identifier (`P1 00`).
    Fid(u16),
    /// A child DF of the current DF (`P1 01`).
    ChildDf(u16),
    /// An EF under the current DF (`P1 02`).
    ChildEf(u16),
    /// The parent DF of the current DF (`P1 03`, no data).
    Parent,
    /// A DF by name / AID (`P1 04`), first or only occurrence.
    Name(&'d [u8]),
    /// The next DF with this name prefix (`P1 04`, `P2` bit 2).
    NextName(&'d [u8]),
    /// A path from the MF, without `3F00` (`P1 08`).
    PathFromMf(&'d [u8]),
    /// A path from the current DF (`P1 09`).
    PathFromCurrent(&'d [u8]),
}

impl SelectBy<'_> {
    pub(super) fn p1_data(&self) -> (u8, Vec<u8>) {
        match self {
            SelectBy::Mf => (0x00, vec![0x3F, 0x00]),
            SelectBy::Fid(f) => (0x00, f.to_be_bytes().to_vec()),
            SelectBy::ChildDf(f) => (0x01, f.to_be_bytes().to_vec()),
            SelectBy::ChildEf(f) => (0x02, f.to_be_bytes().to_vec()),
            SelectBy::Parent => (0x03, Vec::new()),
            SelectBy::Name(n) | SelectBy::NextName(n) => (0x04, n.to_vec()),
            SelectBy::PathFromMf(p) => (0x08, p.to_vec()),
            SelectBy::PathFromCurrent(p) => (0x09, p.to_vec()),
        }
    }

    /// In words, for messages: `3F00`, `EF05`, `DF 'sx1.sh.社会保障'`, `path 3F00/DDF1/EF05`.
    pub fn describe(&self) -> String {
        let path = |p: &[u8], from: &str| {
            let parts: Vec<String> = p.chunks(2).map(crate::apdu::compact).collect();
            format!("path {from}{}", parts.join("/"))
        };
        match self {
            SelectBy::Mf => "MF 3F00".into(),
            SelectBy::Fid(f) | SelectBy::ChildDf(f) | SelectBy::ChildEf(f) => format!("{f:04X}"),
            SelectBy::Parent => "the parent DF".into(),
            SelectBy::Name(n) | SelectBy::NextName(n) => describe_name(n),
            SelectBy::PathFromMf(p) => path(p, "3F00/"),
            SelectBy::PathFromCurrent(p) => path(p, "./"),
        }
    }
}

/// What SELECT should return (P2 bits 4-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectReturn {
    /// FCI template `6F` (`P2 00`).
    Fci,
    /// FCP template `62` (`P2 04`).
    Fcp,
    /// No response data (`P2 0C`).
    Nothing,
}

/// The answer to SELECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// `9000`, or a warning such as `6283` (selected file deactivated).
    pub sw: Sw,
    /// The response data as received.
    pub data: Vec<u8>,
    /// The parsed FCP/FCI, when data came back and parses (use `Fcp::parse(&data)` for the
    /// reason when it does not).
    pub fcp: Option<Fcp>,
}

impl Selected {
    /// True when the card says the selected file is deactivated (`6283`).
    pub fn deactivated(&self) -> bool {
        self.sw == Sw::FILE_DEACTIVATED
    }
}

/// Which EF a record or binary command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ef {
    /// The currently selected EF.
    Current,
    /// The EF with this short identifier (1..=30) in the current DF.
    Sfi(u8),
}

impl Ef {
    fn sfi(self, command: &'static str) -> Result<u8, CardError> {
        match self {
            Ef::Current => Ok(0),
            Ef::Sfi(s @ 1..=30) => Ok(s),
            Ef::Sfi(s) => Err(CardError::BadArgument {
                command,
                problem: format!("SFI {s} is out of range (1 to 30)"),
            }),
        }
    }

    fn describe(self) -> String {
        match self {
            Ef::Current => "the current EF".into(),
            Ef::Sfi(s) => format!("SFI {s}"),
        }
    }
}

/// How a record is addressed (ISO/IEC 7816-4 §7.3.1): `P1` and the low bits of `P2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef {
    /// Record number P1 (`P2 = SFI<<3 | 4`), from 1.
    Number(u8),
    /// First record whose identifier (the SIMPLE-TLV tag) is P1 (`P2 = SFI<<3 | 0`).
    Tag(u8),
}

impl RecordRef {
    fn check(self, command: &'static str) -> Result<(), CardError> {
        match self {
            RecordRef::Number(0) => Err(CardError::BadArgument {
                command,
                problem: "record numbers start at 1".into(),
            }),
            _ => Ok(()),
        }
    }

    /// P1 and the mode bits of P2, unchecked (see [`check`](Self::check)).
    pub(super) fn p1_mode_raw(self) -> (u8, u8) {
        match self {
            RecordRef::Number(n) => (n, 0x04),
            RecordRef::Tag(t) => (t, 0x00),
        }
    }

    fn describe(self, ef: Ef) -> String {
        match self {
            RecordRef::Number(n) => format!("{} record {n}", ef.describe()),
            RecordRef::Tag(t) => format!("{} tag {t:02X}", ef.describe()),
        }
    }
}

fn check_len(command: &'static str, data: &[u8]) -> Result<(), CardError> {
    if data.is_empty() || data.len() > 255 {
        return Err(CardError::BadArgument {
            command,
            problem: format!("{} data bytes (1 to 255 allowed)", data.len()),
        });
    }
    Ok(())
}

impl Card<'_> {
    /// SELECT (ISO/IEC 7816-4 §7.1.1). Succeeds on `9000` and on the `62xx` warnings (e.g.
    /// `6283`, deactivated: see [`Selected::deactivated`]).
    pub fn select(&mut self, by: SelectBy<'_>, ret: SelectReturn) -> Result<Selected, CardError> {
        let cmd = self.with_cla(build::select(by, ret));
        let r = self.transmit(&cmd)?;
        if r.sw != Sw::OK && r.sw.sw1() != 0x62 {
            return Err(CardError::Status {
                command: "SELECT",
                ins: cmd.ins,
                target: by.describe(),
                sw: r.sw,
            });
        }
        let fcp = (!r.data.is_empty())
            .then(|| Fcp::parse(&r.data).ok())
            .flatten();
        Ok(Selected {
            sw: r.sw,
            data: r.data,
            fcp,
        })
    }

    /// SELECT by file identifier, no response data (`00 A4 00 0C 02 FID`).
    pub fn select_fid(&mut self, fid: u16) -> Result<Selected, CardError> {
        self.select(SelectBy::Fid(fid), SelectReturn::Nothing)
    }

    /// SELECT by DF name, FCI returned (`00 A4 04 00 Lc name 00`), as SSC readers do.
    pub fn select_name(&mut self, name: &[u8]) -> Result<Selected, CardError> {
        self.select(SelectBy::Name(name), SelectReturn::Fci)
    }

    /// SELECT and return the parsed FCP (`P2 04`); an error if the card gives none.
    pub fn select_fcp(&mut self, by: SelectBy<'_>) -> Result<(Fcp, Sw), CardError> {
        let s = self.select(by, SelectReturn::Fcp)?;
        let fcp = Fcp::parse(&s.data).map_err(|e| CardError::BadResponse {
            command: "SELECT",
            target: by.describe(),
            problem: format!(
                "the file control parameters cannot be read: {e}",
                e = e.chain()
            ),
        })?;
        Ok((fcp, s.sw))
    }

    /// READ BINARY (ISO/IEC 7816-4 §7.2.3): `le` bytes from `offset` (with an SFI the offset
    /// is at most 255).
    pub fn read_binary(&mut self, ef: Ef, offset: u16, le: usize) -> Result<Vec<u8>, CardError> {
        let sfi = binary_sfi("READ BINARY", ef, offset)?;
        let cmd = self.with_cla(build::read_binary(sfi, offset, le));
        let target = format!("{} offset {offset}", ef.describe());
        Ok(self.transmit_checked(&cmd, "READ BINARY", target)?.data)
    }

    /// UPDATE BINARY (ISO/IEC 7816-4 §7.2.5): writes `data` at `offset`.
    pub fn update_binary(&mut self, ef: Ef, offset: u16, data: &[u8]) -> Result<(), CardError> {
        check_len("UPDATE BINARY", data)?;
        let sfi = binary_sfi("UPDATE BINARY", ef, offset)?;
        let cmd = self.with_cla(build::update_binary(sfi, offset, data));
        let target = format!("{} offset {offset}", ef.describe());
        self.transmit_checked(&cmd, "UPDATE BINARY", target)?;
        Ok(())
    }

    /// READ RECORD (ISO/IEC 7816-4 §7.3.3): one record by number or by tag; `le` 256 reads
    /// it whole (`Le 00`).
    pub fn read_record(&mut self, ef: Ef, rec: RecordRef, le: usize) -> Result<Vec<u8>, CardError> {
        let sfi = ef.sfi("READ RECORD")?;
        rec.check("READ RECORD")?;
        let cmd = self.with_cla(build::read_record(sfi, rec, le));
        Ok(self
            .transmit_checked(&cmd, "READ RECORD", rec.describe(ef))?
            .data)
    }

    /// UPDATE RECORD (ISO/IEC 7816-4 §7.3.5): replaces a record, e.g.
    /// `00 DC 08 30 14 08 12 <18 bytes>` for tag 08 of SFI 6.
    pub fn update_record(&mut self, ef: Ef, rec: RecordRef, data: &[u8]) -> Result<(), CardError> {
        check_len("UPDATE RECORD", data)?;
        let sfi = ef.sfi("UPDATE RECORD")?;
        rec.check("UPDATE RECORD")?;
        let cmd = self.with_cla(build::update_record(sfi, rec, data));
        self.transmit_checked(&cmd, "UPDATE RECORD", rec.describe(ef))?;
        Ok(())
    }

    /// READ RECORD of a whole record (`Le 00`) holding one SIMPLE-TLV data element, parsed:
    /// the way the SSC record files are read (`00 B2 08 30 00` for tag 08 of SFI 6).
    pub fn read_element(&mut self, ef: Ef, rec: RecordRef) -> Result<SimpleTlv, CardError> {
        let data = self.read_record(ef, rec, 256)?;
        let tlv = SimpleTlv::parse_record(&data).map_err(|e| CardError::BadResponse {
            command: "READ RECORD",
            target: rec.describe(ef),
            problem: format!(
                "the record is not one SIMPLE-TLV data element: {e}",
                e = e.chain()
            ),
        })?;
        if let RecordRef::Tag(t) = rec
            && tlv.tag != t
        {
            return Err(CardError::BadResponse {
                command: "READ RECORD",
                target: rec.describe(ef),
                problem: format!("asked for tag {t:02X}, the card gave tag {:02X}", tlv.tag),
            });
        }
        Ok(tlv)
    }

    /// UPDATE RECORD of the record identified by `element.tag`, with the encoded element:
    /// `00 DC <tag> <SFI<<3> Lc <tag> <len> <value>`, as personalization writes the SSC
    /// records.
    pub fn update_element(&mut self, ef: Ef, element: &SimpleTlv) -> Result<(), CardError> {
        let rec = RecordRef::Tag(element.tag);
        let data = element.to_bytes().map_err(|e| CardError::BadArgument {
            command: "UPDATE RECORD",
            problem: format!("{} cannot be encoded: {e}", rec.describe(ef), e = e.chain()),
        })?;
        self.update_record(ef, rec, &data)
    }

    /// APPEND RECORD (ISO/IEC 7816-4 §7.3.6): adds a record at the end (`P1 00`,
    /// `P2 = SFI<<3`).
    pub fn append_record(&mut self, ef: Ef, data: &[u8]) -> Result<(), CardError> {
        check_len("APPEND RECORD", data)?;
        let sfi = ef.sfi("APPEND RECORD")?;
        let cmd = self.with_cla(build::append_record(sfi, data));
        self.transmit_checked(&cmd, "APPEND RECORD", ef.describe())?;
        Ok(())
    }

    /// CREATE FILE (ISO/IEC 7816-9) in the current DF, with the FCP of docs/cos.md
    /// (`00 E0 00 00 Lc 62 ...`).
    pub fn create_file(&mut self, fcp: &Fcp) -> Result<(), CardError> {
        let cmd = self.with_cla(build::create_file(fcp));
        check_len("CREATE FILE", &cmd.data)?;
        let target = match (fcp.fid, &fcp.df_name) {
            (Some(f), _) => format!("{f:04X}"),
            (None, Some(n)) => describe_name(n),
            (None, None) => "a file without identifier".into(),
        };
        self.transmit_checked(&cmd, "CREATE FILE", target)?;
        Ok(())
    }

    /// DELETE FILE (ISO/IEC 7816-9): the file `fid` under the current DF, or the
    /// current file when `None`.
    pub fn delete_file(&mut self, fid: Option<u16>) -> Result<(), CardError> {
        self.file_op(build::delete_file(fid), "DELETE FILE", fid)
    }

    /// ACTIVATE FILE (ISO/IEC 7816-9, INS `44`): the file `fid`, or the current one.
    pub fn activate_file(&mut self, fid: Option<u16>) -> Result<(), CardError> {
        self.file_op(build::activate_file(fid), "ACTIVATE FILE", fid)
    }

    /// DEACTIVATE FILE (ISO/IEC 7816-9, INS `04`): the file `fid`, or the current one.
    pub fn deactivate_file(&mut self, fid: Option<u16>) -> Result<(), CardError> {
        self.file_op(build::deactivate_file(fid), "DEACTIVATE FILE", fid)
    }

    fn file_op(
        &mut self,
        cmd: Command,
        command: &'static str,
        fid: Option<u16>,
    ) -> Result<(), CardError> {
        let cmd = self.with_cla(cmd);
        let target = match fid {
            Some(f) => format!("{f:04X}"),
            None => "the current file".into(),
        };
        self.transmit_checked(&cmd, command, target)?;
        Ok(())
    }
}

/// The SFI (0: current EF) of a binary command, once `offset` fits its P1-P2.
fn binary_sfi(command: &'static str, ef: Ef, offset: u16) -> Result<u8, CardError> {
    match ef {
        Ef::Current if offset <= 0x7FFF => Ok(0),
        Ef::Current => Err(CardError::BadArgument {
            command,
            problem: format!("offset {offset} is beyond 32767"),
        }),
        Ef::Sfi(_) => {
            let sfi = ef.sfi(command)?;
            if offset > 0xFF {
                return Err(CardError::BadArgument {
                    command,
                    problem: format!(
                        "with an SFI the offset is at most 255, not {offset}: select the EF first"
                    ),
                });
            }
            Ok(sfi)
        }
    }
}
