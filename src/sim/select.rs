//! SELECT (ISO/IEC 7816-4 §11.2.2): by FID, by path, by DF name, parent; FCP/FCI/FMD or no
//! response data as P2 asks.

use super::fs::{self, Fid, Lcs, MF_FID, Path};
use super::{CmdResult, Reply, VirtualCard, fcp};
use crate::apdu::{Command, Sw};

/// The FIDs of a path (2 bytes each); `None` on an odd length.
pub(crate) fn fids(data: &[u8]) -> Option<Vec<Fid>> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    Some(
        data.chunks_exact(2)
            .filter_map(|c| match c {
                [hi, lo] => Some(Fid(u16::from_be_bytes([*hi, *lo]))),
                _ => None,
            })
            .collect(),
    )
}

/// A 2-byte FID from command data (6700 otherwise).
fn one_fid(data: &[u8]) -> Result<Fid, Sw> {
    match data {
        [hi, lo] => Ok(Fid(u16::from_be_bytes([*hi, *lo]))),
        _ => Err(Sw::WRONG_LENGTH),
    }
}

impl VirtualCard {
    /// SELECT. P1: `00` FID (no data: the MF), `01` child DF, `02` EF of the current DF,
    /// `03` parent DF, `04` DF name (right-truncated names match), `08` path from the MF,
    /// `09` path from the current DF. P2 bits 4-3: `00` FCI, `04` FCP, `08` FMD, `0C` none;
    /// bits 2-1 (DF name only): first, last, next, previous occurrence.
    pub(crate) fn select(&mut self, cmd: &Command) -> CmdResult {
        if cmd.p2 & 0xF0 != 0 {
            return Err(Sw::WRONG_P1P2);
        }
        let occurrence = cmd.p2 & 0x03;
        if occurrence != 0 && cmd.p1 != 0x04 {
            return Err(Sw::WRONG_P1P2);
        }
        let target = if cmd.p1 == 0x04 {
            self.find_by_name(&cmd.data, occurrence)?
        } else {
            self.resolve(cmd.p1, &cmd.data)?
        };
        let node = self.node(&target).ok_or(Sw::FILE_NOT_FOUND)?;
        let data = match (cmd.p2 >> 2) & 0x03 {
            0 => fcp::fci(node),
            1 => fcp::fcp(node),
            2 => fcp::fmd(node),
            _ => Vec::new(),
        };
        let is_df = node.is_df();
        let sw = self.lcs_warning(&target);
        if is_df {
            self.set_current(target, None);
        } else {
            let mut df = target;
            let ef = df.pop();
            self.set_current(df, ef);
        }
        Ok(Reply { data, sw })
    }

    /// 6285 when the file or a DF above it is terminated, 6283 when deactivated, else 9000.
    fn lcs_warning(&self, target: &[usize]) -> Sw {
        let mut sw = Sw::OK;
        for depth in 0..=target.len() {
            match target
                .get(..depth)
                .and_then(|t| self.node(t))
                .map(|n| n.lcs)
            {
                Some(Lcs::Terminated) => return Sw(0x6285),
                Some(Lcs::Deactivated) => sw = Sw::FILE_DEACTIVATED,
                _ => {}
            }
        }
        sw
    }

    /// Finds the file a SELECT-style P1 and data designate (P1 `00`, `01`, `02`, `03`, `08`,
    /// `09`), without selecting it. Also used by DELETE, ACTIVATE and DEACTIVATE FILE.
    pub(crate) fn resolve(&self, p1: u8, data: &[u8]) -> Result<Path, Sw> {
        let cur = self.cur_df.clone();
        let df = self.current_df();
        match p1 {
            0x00 => {
                if data.is_empty() {
                    return Ok(Vec::new());
                }
                let fid = one_fid(data)?;
                if fid == MF_FID {
                    return Ok(Vec::new());
                }
                if let Some(i) = fs::child_by_fid(df, fid) {
                    let mut p = cur;
                    p.push(i);
                    return Ok(p);
                }
                if df.fid == Some(fid) {
                    return Ok(cur);
                }
                if let Some((_, parent_path)) = cur.split_last() {
                    let parent = self.node(parent_path).ok_or(Sw::FILE_NOT_FOUND)?;
                    if parent.fid == Some(fid) {
                        return Ok(parent_path.to_vec());
                    }
                    if let Some(i) = fs::child_by_fid(parent, fid) {
                        let mut p = parent_path.to_vec();
                        p.push(i);
                        return Ok(p);
                    }
                }
                Err(Sw::FILE_NOT_FOUND)
            }
            0x01 | 0x02 => {
                let fid = one_fid(data)?;
                let i = fs::child_by_fid(df, fid).ok_or(Sw::FILE_NOT_FOUND)?;
                let child = df.children.get(i).ok_or(Sw::FILE_NOT_FOUND)?;
                if child.is_df() != (p1 == 0x01) {
                    return Err(Sw::FILE_NOT_FOUND);
                }
                let mut p = cur;
                p.push(i);
                Ok(p)
            }
            0x03 => {
                if !data.is_empty() {
                    return Err(Sw::WRONG_LENGTH);
                }
                match cur.split_last() {
                    Some((_, parent)) => Ok(parent.to_vec()),
                    None => Err(Sw::FILE_NOT_FOUND),
                }
            }
            0x08 | 0x09 => {
                if data.is_empty() {
                    return Err(Sw::WRONG_LENGTH);
                }
                let mut list = fids(data).ok_or(Sw::WRONG_LENGTH)?;
                let mut path = if p1 == 0x08 {
                    if list.first() == Some(&MF_FID) {
                        list.remove(0);
                    }
                    Vec::new()
                } else {
                    cur
                };
                for fid in list {
                    let here = self.node(&path).ok_or(Sw::FILE_NOT_FOUND)?;
                    if !here.is_df() {
                        return Err(Sw::FILE_NOT_FOUND);
                    }
                    path.push(fs::child_by_fid(here, fid).ok_or(Sw::FILE_NOT_FOUND)?);
                }
                Ok(path)
            }
            0x04 => Err(Sw::FUNC_NOT_SUPPORTED),
            _ => Err(Sw::WRONG_P1P2),
        }
    }

    /// SELECT by DF name: the DFs whose name starts with `name`, in depth-first order from
    /// the MF; `occurrence` `00` first, `01` last, `02` next after the current DF, `03`
    /// previous. No name at all selects the MF.
    pub(crate) fn find_by_name(&self, name: &[u8], occurrence: u8) -> Result<Path, Sw> {
        if name.is_empty() {
            return if occurrence == 0 {
                Ok(Vec::new())
            } else {
                Err(Sw::FILE_NOT_FOUND)
            };
        }
        if name.len() > 16 {
            return Err(Sw::WRONG_LENGTH);
        }
        let all = fs::all_dfs(&self.state.mf);
        let matches = |p: &Path| {
            self.node(p)
                .and_then(|n| n.name.as_ref())
                .is_some_and(|n| n.0.starts_with(name))
        };
        let pos = all.iter().position(|p| *p == self.cur_df).unwrap_or(0);
        let found = match occurrence {
            0 => all.iter().find(|p| matches(p)),
            1 => all.iter().rev().find(|p| matches(p)),
            2 => all.iter().skip(pos + 1).find(|p| matches(p)),
            _ => all.iter().take(pos).rev().find(|p| matches(p)),
        };
        found.cloned().ok_or(Sw::FILE_NOT_FOUND)
    }
}
