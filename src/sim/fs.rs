//! The virtual card's file system (ISO/IEC 7816-4 §7): one tree of DFs and EFs, each with its
//! file identifier, optional DF name or SFI, life cycle status and six access-condition bytes
//! (docs/cos.md). The tree is what the card image stores, so every type here is serde and
//! readable as JSON (bytes as upper-case hex strings).

use super::security::KeyStore;
pub use crate::cos::FileStructure;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bytes stored as an upper-case hex string in the image (spaces and colons are accepted when
/// reading it back).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({} bytes)", self.0.len())
    }
}

impl Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::apdu::parse_hex(&s)
            .map(Hex)
            .map_err(serde::de::Error::custom)
    }
}

/// A 2-byte file identifier, stored as 4 hex digits (`"3F00"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fid(pub u16);

impl fmt::Debug for Fid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl fmt::Display for Fid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl Serialize for Fid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:04X}", self.0))
    }
}

impl<'de> Deserialize<'de> for Fid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let b = crate::apdu::parse_hex(&s).map_err(serde::de::Error::custom)?;
        match b.as_slice() {
            [hi, lo] => Ok(Fid(u16::from_be_bytes([*hi, *lo]))),
            _ => Err(serde::de::Error::custom(format!(
                "a file identifier is 4 hex digits, got \"{s}\""
            ))),
        }
    }
}

/// The file identifier of the MF.
pub const MF_FID: Fid = Fid(0x3F00);

pub use crate::cos::Lcs;

/// An operation guarded by one byte of the security attributes (tag `86`, docs/cos.md order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// READ BINARY / READ RECORD (byte 1).
    Read,
    /// UPDATE BINARY / UPDATE RECORD / APPEND RECORD (byte 2).
    Update,
    /// CREATE FILE in this DF, WRITE KEY into this DF (byte 3).
    Create,
    /// DELETE FILE of this file (byte 4).
    Delete,
    /// ACTIVATE FILE (byte 5).
    Activate,
    /// DEACTIVATE FILE (byte 6).
    Deactivate,
}

impl Op {
    /// Index of this operation's byte in the security attributes.
    pub fn index(self) -> usize {
        match self {
            Op::Read => 0,
            Op::Update => 1,
            Op::Create => 2,
            Op::Delete => 3,
            Op::Activate => 4,
            Op::Deactivate => 5,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn always() -> Hex {
    Hex(vec![0; 6])
}

/// One file of the tree. Which fields matter depends on `kind`: `children` and `keys` for a
/// DF, `size` and `data` for a transparent EF, `record_len`, `max_records` and `records` for
/// record EFs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// File structure.
    pub kind: FileStructure,
    /// File identifier (a DF created by name only may have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fid: Option<Fid>,
    /// DF name (AID), DFs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Hex>,
    /// Short EF identifier 1..=30, EFs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sfi: Option<u8>,
    /// Life cycle status.
    pub lcs: Lcs,
    /// The six access-condition bytes (read, update, create, delete, activate, deactivate).
    #[serde(default = "always")]
    pub access: Hex,
    /// Transparent EF: its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    /// Transparent EF: its content (always `size` bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Hex>,
    /// Record EF: the (maximum) record length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_len: Option<usize>,
    /// Record EF: the maximum number of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_records: Option<usize>,
    /// Record EF: the records, record 1 first (for a cyclic EF record 1 is the newest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<Hex>,
    /// DF: its keys and PINs (owned by the security module).
    #[serde(default, skip_serializing_if = "KeyStore::is_empty")]
    pub keys: KeyStore,
    /// DF: its children, in creation order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
    /// Set by the fault configuration, never by a command: every access to the content of
    /// this file answers 6581 (kept here so that it travels with the file).
    #[serde(default, skip_serializing_if = "is_false")]
    pub memory_failure: bool,
    /// DF: the content of the proprietary template `A5` given at CREATE FILE (the SSSE's
    /// algorithm identifier `9F0C 03 86 01 xx`), returned in its FCP/FCI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proprietary: Option<Hex>,
}

impl Node {
    /// An empty MF in the creation state, every access condition "always".
    pub fn blank_mf() -> Node {
        let mut mf = Node::df(Some(MF_FID), None);
        mf.lcs = Lcs::Creation;
        mf.keys = KeyStore::blank_mf();
        mf
    }

    /// A DF in the activated state with every access condition "always".
    pub fn df(fid: Option<Fid>, name: Option<Vec<u8>>) -> Node {
        Node {
            kind: FileStructure::Df,
            fid,
            name: name.map(Hex),
            sfi: None,
            lcs: Lcs::Activated,
            access: always(),
            size: None,
            data: None,
            record_len: None,
            max_records: None,
            records: Vec::new(),
            keys: KeyStore::default(),
            children: Vec::new(),
            memory_failure: false,
            proprietary: None,
        }
    }

    /// An EF of the given structure, activated, every access condition "always". `size` is
    /// the byte size of a transparent EF or the maximum record length of a record EF.
    pub fn ef(kind: FileStructure, fid: Fid, size: usize, max_records: usize) -> Node {
        let mut n = Node::df(Some(fid), None);
        n.kind = kind;
        if kind == FileStructure::Transparent {
            n.size = Some(size);
            n.data = Some(Hex(vec![0; size]));
        } else {
            n.record_len = Some(size);
            n.max_records = Some(max_records);
        }
        n
    }

    /// True for a DF (the MF included).
    pub fn is_df(&self) -> bool {
        self.kind == FileStructure::Df
    }

    /// The access condition byte for `op`.
    pub fn ac(&self, op: Op) -> u8 {
        self.access.0.get(op.index()).copied().unwrap_or(0xFF)
    }

    /// Bytes of memory this file takes (data plus a fixed 32-byte header), for the capacity.
    pub fn footprint(&self) -> usize {
        let own = match self.kind {
            FileStructure::Df => 0,
            FileStructure::Transparent => self.size.unwrap_or(0),
            _ => self.record_len.unwrap_or(0) * self.max_records.unwrap_or(0),
        };
        32 + own + self.children.iter().map(Node::footprint).sum::<usize>()
    }

    /// A DF's children must be told apart as a chip tells them apart: no FID, SFI or DF name
    /// twice, no child called 3F00; its key file holds each key id and PIN reference once.
    fn validate_unique(&self, here: &str) -> Result<(), String> {
        let mut fids = std::collections::BTreeSet::new();
        let mut sfis = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for c in &self.children {
            if let Some(f) = c.fid {
                if f == MF_FID {
                    return Err(format!("{here}: a child has the MF's fid {f}"));
                }
                if !fids.insert(f) {
                    return Err(format!("{here}: two children have fid {f}"));
                }
            }
            if let Some(s) = c.sfi
                && !sfis.insert(s)
            {
                return Err(format!("{here}: two children have sfi {s}"));
            }
            if let Some(n) = &c.name
                && !names.insert(n.0.clone())
            {
                return Err(format!(
                    "{here}: two children have the DF name {}",
                    hex::encode_upper(&n.0)
                ));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        if let Some(k) = self.keys.keys.iter().find(|k| !ids.insert(k.id)) {
            return Err(format!("{here}: key {:02X} is there twice", k.id));
        }
        let mut refs = std::collections::BTreeSet::new();
        if let Some(p) = self.keys.pins.iter().find(|p| !refs.insert(p.reference)) {
            return Err(format!("{here}: PIN {:02X} is there twice", p.reference));
        }
        Ok(())
    }

    /// Checks the invariants a loaded image must keep; returns what is wrong, naming the file.
    pub fn validate(&self, where_: &str) -> Result<(), String> {
        let here = match (self.fid, &self.name) {
            (Some(f), _) => format!("{where_}/{f}"),
            (None, Some(n)) => format!("{where_}/[{}]", hex::encode_upper(&n.0)),
            (None, None) => format!("{where_}/?"),
        };
        if self.access.0.len() != 6 {
            return Err(format!(
                "{here}: \"access\" must be 6 bytes, got {}",
                self.access.0.len()
            ));
        }
        if !self.is_df() && self.fid.is_none() {
            return Err(format!("{here}: an EF needs a \"fid\""));
        }
        if let Some(s) = self.sfi
            && !(1..=30).contains(&s)
        {
            return Err(format!("{here}: \"sfi\" must be 1 to 30, got {s}"));
        }
        match self.kind {
            FileStructure::Df => {
                self.validate_unique(&here)?;
                for c in &self.children {
                    c.validate(&here)?;
                }
            }
            FileStructure::Transparent => {
                let size = self
                    .size
                    .ok_or(format!("{here}: a transparent EF needs \"size\""))?;
                let len = self.data.as_ref().map(|d| d.0.len()).unwrap_or(0);
                if len != size {
                    return Err(format!(
                        "{here}: \"data\" has {len} bytes but \"size\" is {size}"
                    ));
                }
            }
            _ => {
                let rl = self
                    .record_len
                    .ok_or(format!("{here}: a record EF needs \"record_len\""))?;
                let max = self
                    .max_records
                    .ok_or(format!("{here}: a record EF needs \"max_records\""))?;
                if self.records.len() > max {
                    return Err(format!(
                        "{here}: {} records but \"max_records\" is {max}",
                        self.records.len()
                    ));
                }
                for (i, r) in self.records.iter().enumerate() {
                    let bad = if self.kind == FileStructure::LinearVariable {
                        r.0.len() > rl
                    } else {
                        r.0.len() != rl
                    };
                    if bad {
                        return Err(format!(
                            "{here}: record {} has {} bytes, \"record_len\" is {rl}",
                            i + 1,
                            r.0.len()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A file's place in the tree: the child indices from the MF (empty = the MF).
pub type Path = Vec<usize>;

/// The node at `path` below `root`.
pub fn node_at<'a>(root: &'a Node, path: &[usize]) -> Option<&'a Node> {
    let mut n = root;
    for &i in path {
        n = n.children.get(i)?;
    }
    Some(n)
}

/// The node at `path` below `root`, mutable.
pub fn node_at_mut<'a>(root: &'a mut Node, path: &[usize]) -> Option<&'a mut Node> {
    let mut n = root;
    for &i in path {
        n = n.children.get_mut(i)?;
    }
    Some(n)
}

/// Index of the child of `df` with file identifier `fid`.
pub fn child_by_fid(df: &Node, fid: Fid) -> Option<usize> {
    df.children.iter().position(|c| c.fid == Some(fid))
}

/// Index of the EF child of `df` with short identifier `sfi`.
pub fn child_by_sfi(df: &Node, sfi: u8) -> Option<usize> {
    df.children
        .iter()
        .position(|c| !c.is_df() && c.sfi == Some(sfi))
}

/// Every DF of the tree in depth-first order (the MF first), as paths.
pub fn all_dfs(root: &Node) -> Vec<Path> {
    fn walk(n: &Node, path: &mut Path, out: &mut Vec<Path>) {
        if !n.is_df() {
            return;
        }
        out.push(path.clone());
        for (i, c) in n.children.iter().enumerate() {
            path.push(i);
            walk(c, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

/// A readable name for the file at `path`: its FIDs from the MF, e.g. `3F00/DDF1/EF05`.
pub fn describe(root: &Node, path: &[usize]) -> String {
    let mut s = String::from("3F00");
    let mut n = root;
    for &i in path {
        match n.children.get(i) {
            Some(c) => {
                s.push('/');
                match (c.fid, &c.name) {
                    (Some(f), _) => s.push_str(&f.to_string()),
                    (None, Some(nm)) => s.push_str(&format!("[{}]", hex::encode_upper(&nm.0))),
                    (None, None) => s.push('?'),
                }
                n = c;
            }
            None => break,
        }
    }
    s
}

/// Resolves a path written with FIDs (`3F00/DDF1/EF05`, `DDF1/EF05`, `DDF1EF05`) to tree
/// indices; `None` when a file on the way does not exist.
pub fn resolve_fid_path(root: &Node, text: &str) -> Option<Path> {
    let bytes = crate::apdu::parse_hex(&text.replace('/', "")).ok()?;
    let mut fids: Vec<Fid> = super::select::fids(&bytes)?;
    if fids.first() == Some(&MF_FID) {
        fids.remove(0);
    }
    let mut path = Vec::new();
    let mut n = root;
    for f in fids {
        let i = child_by_fid(n, f)?;
        path.push(i);
        n = n.children.get(i)?;
    }
    Some(path)
}
