//! File administration (ISO/IEC 7816-9): CREATE FILE, DELETE FILE, ACTIVATE FILE,
//! DEACTIVATE FILE, TERMINATE DF; PUT DATA of a DF's security attributes in the creation
//! state.

use super::fcp;
use super::fs::{self, Lcs, Op, Path};
use super::{CmdResult, Reply, VirtualCard};
use crate::apdu::{Command, Sw};

/// The deepest DF nesting CREATE FILE accepts (the MF is depth 0).
pub const MAX_DEPTH: usize = 8;

impl VirtualCard {
    /// CREATE FILE `00 E0 00 00 Lc 62...` in the current DF, under its *create* access
    /// condition. The new file becomes the current file (a new DF becomes the current DF,
    /// which clears the security state like any DF change). 6A89: FID (or explicit SFI)
    /// already used in the DF; 6A8A: DF name already on the card; 6A84: no memory left (the
    /// image's `capacity`) or DFs nested deeper than 8.
    pub(crate) fn create_file(&mut self, cmd: &Command) -> CmdResult {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return Err(Sw::WRONG_P1P2);
        }
        if cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        let mut nf = fcp::parse_create(&cmd.data)?;
        let df_path = self.cur_df.clone();
        self.check_access(&df_path, Op::Create)?;
        let df = self.current_df();
        if let Some(fid) = nf.node.fid
            && (df.fid == Some(fid) || fs::child_by_fid(df, fid).is_some())
        {
            return Err(Sw::FILE_EXISTS);
        }
        if let Some(sfi) = nf.node.sfi
            && fs::child_by_sfi(df, sfi).is_some()
        {
            if nf.explicit_sfi {
                return Err(Sw::FILE_EXISTS);
            }
            nf.node.sfi = None;
        }
        if let Some(name) = &nf.node.name {
            let taken = fs::all_dfs(&self.state.mf)
                .iter()
                .filter_map(|p| self.node(p))
                .any(|n| n.name.as_ref() == Some(name));
            if taken {
                return Err(Sw(0x6A8A));
            }
        }
        if nf.node.is_df() && df_path.len() >= MAX_DEPTH {
            return Err(Sw::NOT_ENOUGH_MEMORY);
        }
        if self.state.mf.footprint() + nf.node.footprint() > self.state.capacity {
            return Err(Sw::NOT_ENOUGH_MEMORY);
        }
        let is_df = nf.node.is_df();
        let df = self.node_mut(&df_path).ok_or(Sw::FILE_NOT_FOUND)?;
        df.children.push(nf.node);
        let i = df.children.len() - 1;
        if is_df {
            let mut p = df_path;
            p.push(i);
            self.set_current(p, None);
        } else {
            self.set_current(df_path, Some(i));
        }
        Ok(Reply::empty())
    }

    /// The file DELETE/ACTIVATE/DEACTIVATE address: P1-P2 `0000` without data = the current
    /// EF, or the current DF when no EF is current (READ/UPDATE with an SFI make that EF
    /// current, ISO/IEC 7816-4); otherwise P1 as in SELECT (`00`, `01`, `02`, `04` DF name,
    /// `08`, `09`) with P2 `00`.
    fn admin_target(&self, cmd: &Command) -> Result<Path, Sw> {
        if cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        if cmd.p2 != 0 {
            return Err(Sw::WRONG_P1P2);
        }
        if cmd.p1 == 0 && cmd.data.is_empty() {
            return Ok(self
                .current_ef_path()
                .unwrap_or_else(|| self.cur_df.clone()));
        }
        match cmd.p1 {
            0x03 => Err(Sw::WRONG_P1P2),
            0x04 => self.find_by_name(&cmd.data, 0),
            p1 => self.resolve(p1, &cmd.data),
        }
    }

    /// DELETE FILE under the file's *delete* access condition. The MF cannot be deleted
    /// (6985). Deleting the current DF (or a DF above it) makes the deleted file's parent
    /// the current DF.
    pub(crate) fn delete_file(&mut self, cmd: &Command) -> CmdResult {
        let target = self.admin_target(cmd)?;
        let Some((&idx, parent)) = target.split_last() else {
            return Err(Sw::CONDITIONS_NOT_SATISFIED);
        };
        self.check_access(&target, Op::Delete)?;
        let parent = parent.to_vec();
        let pnode = self.node_mut(&parent).ok_or(Sw::FILE_NOT_FOUND)?;
        if idx >= pnode.children.len() {
            return Err(Sw::FILE_NOT_FOUND);
        }
        pnode.children.remove(idx);
        // Fix the selection: indices after `idx` in `parent` moved down by one.
        let mut cur_df = self.cur_df.clone();
        let mut cur_ef = self.cur_ef;
        let depth = parent.len();
        if cur_df.len() > depth && cur_df.starts_with(&parent) {
            match cur_df.get(depth).copied() {
                Some(i) if i == idx => {
                    cur_df = parent;
                    cur_ef = None;
                }
                Some(i) if i > idx => {
                    if let Some(slot) = cur_df.get_mut(depth) {
                        *slot = i - 1;
                    }
                }
                _ => {}
            }
        } else if cur_df == parent {
            cur_ef = match cur_ef {
                Some(e) if e == idx => None,
                Some(e) if e > idx => Some(e - 1),
                other => other,
            };
        }
        if cur_df.len() == self.cur_df.len() && cur_df != self.cur_df {
            // Same DF, renumbered: not a DF change for the security state.
            self.cur_df = cur_df;
            self.cur_ef = cur_ef;
            self.cur_record = None;
        } else {
            self.set_current(cur_df, cur_ef);
        }
        Ok(Reply::empty())
    }

    /// ACTIVATE FILE (`44`, `activate` = true) or DEACTIVATE FILE (`04`), under the file's
    /// activate / deactivate access condition. Activation moves a file in the creation,
    /// initialisation or deactivated state to activated; deactivation moves an activated file
    /// to deactivated (an already deactivated file stays so). Terminated, or deactivating a
    /// file never activated: 6985. The file becomes the current file.
    pub(crate) fn activate_file(&mut self, cmd: &Command, activate: bool) -> CmdResult {
        let target = self.admin_target(cmd)?;
        let op = if activate {
            Op::Activate
        } else {
            Op::Deactivate
        };
        self.check_access(&target, op)?;
        let node = self.node_mut(&target).ok_or(Sw::FILE_NOT_FOUND)?;
        node.lcs = match (activate, node.lcs) {
            (_, Lcs::Terminated) => return Err(Sw::CONDITIONS_NOT_SATISFIED),
            (true, _) => Lcs::Activated,
            (false, Lcs::Activated | Lcs::Deactivated) => Lcs::Deactivated,
            (false, _) => return Err(Sw::CONDITIONS_NOT_SATISFIED),
        };
        self.select_path(target);
        Ok(Reply::empty())
    }

    /// TERMINATE DF (`E6`, P1-P2 `0000`, no data): the current DF enters the termination
    /// state for good, under its *deactivate* access condition. Everything below it is then
    /// refused; SELECT answers 6285.
    pub(crate) fn terminate_df(&mut self, cmd: &Command) -> CmdResult {
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return Err(Sw::WRONG_P1P2);
        }
        if !cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        let target = self.cur_df.clone();
        self.check_access(&target, Op::Deactivate)?;
        let node = self.node_mut(&target).ok_or(Sw::FILE_NOT_FOUND)?;
        node.lcs = Lcs::Terminated;
        Ok(Reply::empty())
    }

    /// PUT DATA `00 DA 00 62 Lc 62 08 86 06 <security attributes>` (ISO/IEC 7816-4: P1-P2 the
    /// tag of the data object, here the FCP template): sets the security attributes of the
    /// current DF while the manufacturer's window is open (the DF or a DF above it in the
    /// creation state). It is how `sscard init` gives the MF, which exists on a blank card and
    /// is never created by init, the profile's access conditions before closing the window
    /// (docs/cos.md). Outside the window: 6985; another tag in P1-P2: 6A88; a template
    /// holding anything but one `86` of 6 bytes: 6A80.
    pub(crate) fn put_security(&mut self, cmd: &Command) -> CmdResult {
        if (cmd.p1, cmd.p2) != (0x00, 0x62) {
            return Err(Sw::REF_DATA_NOT_FOUND);
        }
        if cmd.data.is_empty() || cmd.le.is_some() {
            return Err(Sw::WRONG_LENGTH);
        }
        let f = crate::tlv::Fcp::parse(&cmd.data).map_err(|_| Sw::WRONG_DATA)?;
        let only_86 = f.template == 0x62
            && f.descriptor.is_none()
            && f.fid.is_none()
            && f.df_name.is_none()
            && f.size.is_none()
            && f.total_size.is_none()
            && f.sfi.is_none()
            && f.lcs.is_none()
            && f.other.is_empty();
        let Some(security) = f.security.filter(|_| only_86) else {
            return Err(Sw::WRONG_DATA);
        };
        let df_path = self.cur_df.clone();
        let open = (0..=df_path.len()).any(|depth| {
            df_path
                .get(..depth)
                .and_then(|p| self.node(p))
                .is_some_and(|n| n.lcs == Lcs::Creation)
        });
        if !open {
            return Err(Sw::CONDITIONS_NOT_SATISFIED);
        }
        let node = self.node_mut(&df_path).ok_or(Sw::FILE_NOT_FOUND)?;
        node.access = fs::Hex(security.to_bytes().to_vec());
        Ok(Reply::empty())
    }

    /// Makes the file at `path` current (as SELECT does, without a response).
    fn select_path(&mut self, path: Path) {
        let is_df = self.node(&path).is_some_and(|n| n.is_df());
        if is_df {
            self.set_current(path, None);
        } else {
            let mut df = path;
            let ef = df.pop();
            self.set_current(df, ef);
        }
    }
}
