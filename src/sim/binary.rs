//! READ BINARY and UPDATE BINARY (ISO/IEC 7816-4 §11.3.3, §11.3.5) on transparent EFs.

use super::fs::{FileStructure, Op, Path};
use super::{CmdResult, Reply, VirtualCard};
use crate::apdu::{Command, Sw};

impl VirtualCard {
    /// The EF a binary command addresses and the offset: P1 bit 8 set → SFI in P1 bits 5-1
    /// (bits 7-6 zero) and an offset of P2 (0-255); otherwise the current EF at offset
    /// P1-P2 (15 bits). An EF found by SFI becomes the current EF.
    fn binary_target(&mut self, p1: u8, p2: u8) -> Result<(Path, usize), Sw> {
        let (path, offset) = if p1 & 0x80 != 0 {
            let sfi = p1 & 0x1F;
            if p1 & 0x60 != 0 || sfi == 0 || sfi == 0x1F {
                return Err(Sw::WRONG_P1P2);
            }
            let i = super::fs::child_by_sfi(self.current_df(), sfi).ok_or(Sw::FILE_NOT_FOUND)?;
            let df = self.cur_df.clone();
            self.set_current(df, Some(i));
            (self.current_ef_path().ok_or(Sw::NOT_ALLOWED)?, p2 as usize)
        } else {
            let path = self.current_ef_path().ok_or(Sw::NOT_ALLOWED)?;
            (path, u16::from_be_bytes([p1, p2]) as usize)
        };
        let node = self.node(&path).ok_or(Sw::NOT_ALLOWED)?;
        if node.kind != FileStructure::Transparent {
            return Err(Sw::INCOMPATIBLE_FILE);
        }
        Ok((path, offset))
    }

    /// READ BINARY: up to Ne bytes from the offset. Fewer bytes left than an explicit Ne
    /// (1-255): the bytes there are with 6282. Le `00` (256) reads what is there with 9000.
    /// An offset at or past the end: 6B00.
    pub(crate) fn read_binary(&mut self, cmd: &Command) -> CmdResult {
        if !cmd.data.is_empty() {
            return Err(Sw::WRONG_LENGTH);
        }
        let (path, offset) = self.binary_target(cmd.p1, cmd.p2)?;
        self.memory_check(&path)?;
        self.check_access(&path, Op::Read)?;
        let node = self.node(&path).ok_or(Sw::NOT_ALLOWED)?;
        let content = node.data.as_ref().map(|d| d.0.as_slice()).unwrap_or(&[]);
        let rest = content.get(offset..).ok_or(Sw::WRONG_P1P2_OFFSET)?;
        if rest.is_empty() {
            return Err(Sw::WRONG_P1P2_OFFSET);
        }
        let ne = cmd.le.unwrap_or(256);
        let n = ne.min(rest.len());
        let data = rest.get(..n).unwrap_or(rest).to_vec();
        let sw = if n < ne && ne < 256 {
            Sw(0x6282)
        } else {
            Sw::OK
        };
        Ok(Reply { data, sw })
    }

    /// UPDATE BINARY: writes the data at the offset. Offset past the end: 6B00; data running
    /// past the end: 6A84 (nothing written).
    pub(crate) fn update_binary(&mut self, cmd: &Command) -> CmdResult {
        if cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        let (path, offset) = self.binary_target(cmd.p1, cmd.p2)?;
        self.memory_check(&path)?;
        self.check_access(&path, Op::Update)?;
        let node = self.node_mut(&path).ok_or(Sw::NOT_ALLOWED)?;
        let content = &mut node.data.get_or_insert_with(Default::default).0;
        if offset > content.len() {
            return Err(Sw::WRONG_P1P2_OFFSET);
        }
        let end = offset
            .checked_add(cmd.data.len())
            .ok_or(Sw::NOT_ENOUGH_MEMORY)?;
        let dst = content.get_mut(offset..end).ok_or(Sw::NOT_ENOUGH_MEMORY)?;
        dst.copy_from_slice(&cmd.data);
        Ok(Reply::empty())
    }
}
