//! READ RECORD, UPDATE RECORD, APPEND RECORD (ISO/IEC 7816-4 §11.4) on linear fixed, linear
//! variable (SIMPLE-TLV records found by their tag) and cyclic EFs.

use super::fs::{FileStructure, Hex, Op, Path};
use super::{CmdResult, Reply, VirtualCard};
use crate::apdu::{Command, Sw};

/// How P1/P2 designate a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Designation {
    /// P2 bits 3-1 `100`: record number P1 (`00` = the current record).
    Number(u8),
    /// P2 bits 3-1 `000`-`011`: the first / last / next / previous record whose SIMPLE-TLV
    /// tag (first byte) is P1.
    Tag(u8, u8),
}

fn designation(p1: u8, p2: u8) -> Result<Designation, Sw> {
    match p2 & 0x07 {
        0x04 => Ok(Designation::Number(p1)),
        m @ 0..=3 => Ok(Designation::Tag(p1, m)),
        _ => Err(Sw::WRONG_P1P2),
    }
}

impl VirtualCard {
    /// The record EF addressed by P2 bits 8-4: `00000` the current EF, 1-30 the SFI in the
    /// current DF (which becomes the current EF), `11111` refused.
    fn record_target(&mut self, p2: u8) -> Result<Path, Sw> {
        let sfi = p2 >> 3;
        if sfi == 0x1F {
            return Err(Sw::WRONG_P1P2);
        }
        if sfi != 0 {
            let i = super::fs::child_by_sfi(self.current_df(), sfi).ok_or(Sw::FILE_NOT_FOUND)?;
            let df = self.cur_df.clone();
            self.set_current(df, Some(i));
            // ISO/IEC 7816-4: the EF found by SFI becomes current, its record pointer reset.
            self.cur_record = None;
        }
        let path = self.current_ef_path().ok_or(Sw::NOT_ALLOWED)?;
        let node = self.node(&path).ok_or(Sw::NOT_ALLOWED)?;
        if !node.kind.is_record() {
            return Err(Sw::INCOMPATIBLE_FILE);
        }
        Ok(path)
    }

    /// The index of the designated record in the EF at `path`; 6A83 when there is none.
    fn find_record(&self, path: &[usize], d: Designation) -> Result<usize, Sw> {
        let node = self.node(path).ok_or(Sw::NOT_ALLOWED)?;
        let recs = &node.records;
        match d {
            Designation::Number(0) => self
                .cur_record
                .filter(|i| *i < recs.len())
                .ok_or(Sw::RECORD_NOT_FOUND),
            Designation::Number(n) => {
                let i = n as usize - 1;
                if i < recs.len() {
                    Ok(i)
                } else {
                    Err(Sw::RECORD_NOT_FOUND)
                }
            }
            Designation::Tag(tag, mode) => {
                let has = |i: &usize| recs.get(*i).and_then(|r| r.0.first()) == Some(&tag);
                let n = recs.len();
                let found = match mode {
                    0 => (0..n).find(has),
                    1 => (0..n).rev().find(has),
                    2 => {
                        let from = self.cur_record.map(|c| c + 1).unwrap_or(0);
                        (from..n).find(has)
                    }
                    _ => {
                        let to = self.cur_record.unwrap_or(n).min(n);
                        (0..to).rev().find(has)
                    }
                };
                found.ok_or(Sw::RECORD_NOT_FOUND)
            }
        }
    }

    /// Checks the length of new record data against the EF: fixed and cyclic records must be
    /// exactly the record length, variable records 1 to the maximum (6700 otherwise).
    fn check_record_len(&self, path: &[usize], len: usize) -> Result<(), Sw> {
        let node = self.node(path).ok_or(Sw::NOT_ALLOWED)?;
        let rl = node.record_len.unwrap_or(0);
        let ok = match node.kind {
            FileStructure::LinearVariable => len >= 1 && len <= rl,
            _ => len == rl,
        };
        if ok { Ok(()) } else { Err(Sw::WRONG_LENGTH) }
    }

    /// READ RECORD: the designated record. An explicit Ne (1-255) shorter than the record:
    /// 6Cxx with the record length; longer: the record with 6282. Le `00`: the record, 9000.
    pub(crate) fn read_record(&mut self, cmd: &Command) -> CmdResult {
        if !cmd.data.is_empty() {
            return Err(Sw::WRONG_LENGTH);
        }
        let d = designation(cmd.p1, cmd.p2)?;
        let path = self.record_target(cmd.p2)?;
        self.memory_check(&path)?;
        self.check_access(&path, Op::Read)?;
        let i = self.find_record(&path, d)?;
        self.cur_record = Some(i);
        let node = self.node(&path).ok_or(Sw::NOT_ALLOWED)?;
        let rec = node.records.get(i).ok_or(Sw::RECORD_NOT_FOUND)?.0.clone();
        let ne = cmd.le.unwrap_or(256);
        if rec.len() > ne {
            return Err(Sw::from_bytes(0x6C, super::short_len(rec.len())));
        }
        let sw = if rec.len() < ne && ne < 256 {
            Sw(0x6282)
        } else {
            Sw::OK
        };
        Ok(Reply { data: rec, sw })
    }

    /// UPDATE RECORD: replaces the designated record. In tag mode the new data must start
    /// with the same tag (6A80). On a cyclic EF, P2 mode `011` with P1 `00` writes a new
    /// record 1 over the oldest one (as APPEND does).
    pub(crate) fn update_record(&mut self, cmd: &Command) -> CmdResult {
        if cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        let d = designation(cmd.p1, cmd.p2)?;
        let path = self.record_target(cmd.p2)?;
        let kind = self.node(&path).map(|n| n.kind).ok_or(Sw::NOT_ALLOWED)?;
        if kind == FileStructure::Cyclic && d == Designation::Tag(0, 3) {
            return self.append_to(&path, &cmd.data);
        }
        self.check_record_len(&path, cmd.data.len())?;
        if let Designation::Tag(tag, _) = d
            && cmd.data.first() != Some(&tag)
        {
            return Err(Sw::WRONG_DATA);
        }
        self.memory_check(&path)?;
        self.check_access(&path, Op::Update)?;
        let i = self.find_record(&path, d)?;
        let node = self.node_mut(&path).ok_or(Sw::NOT_ALLOWED)?;
        let rec = node.records.get_mut(i).ok_or(Sw::RECORD_NOT_FOUND)?;
        rec.0 = cmd.data.clone();
        self.cur_record = Some(i);
        Ok(Reply::empty())
    }

    /// APPEND RECORD (P1 `00`, P2 bits 3-1 `000`): a new last record (linear EFs; 6A84 when
    /// full) or a new record 1 (cyclic EFs: the oldest record is dropped when full).
    pub(crate) fn append_record(&mut self, cmd: &Command) -> CmdResult {
        if cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        if cmd.p1 != 0 || cmd.p2 & 0x07 != 0 {
            return Err(Sw::WRONG_P1P2);
        }
        let path = self.record_target(cmd.p2)?;
        self.append_to(&path, &cmd.data)
    }

    fn append_to(&mut self, path: &Path, data: &[u8]) -> CmdResult {
        self.check_record_len(path, data.len())?;
        self.memory_check(path)?;
        self.check_access(path, Op::Update)?;
        let node = self.node_mut(path).ok_or(Sw::NOT_ALLOWED)?;
        let max = node.max_records.unwrap_or(0);
        let at = if node.kind == FileStructure::Cyclic {
            node.records.insert(0, Hex(data.to_vec()));
            node.records.truncate(max);
            0
        } else {
            if node.records.len() >= max {
                return Err(Sw::NOT_ENOUGH_MEMORY);
            }
            node.records.push(Hex(data.to_vec()));
            node.records.len() - 1
        };
        self.cur_record = Some(at);
        Ok(Reply::empty())
    }
}
