//! Card profiles: a card's approved file structure as declarative, validated, versioned data
//! (`card-profiles/*.toml`, format in `card-profiles/README.md`).
//!
//! A profile says *what* a card holds: the file tree (MF, DFs by FID and/or AID, EFs with FID,
//! SFI, structure, size), keys and PINs, access conditions, and the data elements of each
//! record EF. The code knows *how* to write it ([`plan`] for `sscard init`, `perso` for the
//! holder data). [`fingerprint`] makes any structural change impossible to miss.
//!
//! ```no_run
//! let p = sscard::profile::load(std::path::Path::new("card-profiles/ssc-3.00.toml"))?;
//! let ssn = p.element("ssn").expect("the SSC profiles name it");
//! assert_eq!((ssn.ef.sfi, ssn.element.tag), (Some(6), 0x08));
//! # Ok::<(), sscard::profile::ProfileError>(())
//! ```

mod check;
mod check_access;
mod check_ef;
mod error;
pub mod fcp;
pub mod find;
pub mod fingerprint;
pub mod keys;
mod load;
mod model;
mod raw;
pub mod show;

pub use check_ef::tlv_header_len;
pub use error::{Issue, IssueKind, ProfileError, line_col};
pub use find::{Found, Origin, find, locate, shipped};
pub use load::{load, parse};
pub use model::*;

/// The SSSE DF name `sx1.sh.社会保障`: ASCII `sx1.sh.` + GBK `社会保障` (15 bytes).
pub const SSSE_NAME: [u8; 15] = [
    0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF,
];

/// The bank (PBOC debit) application's AID beside the social security one, `A000000333010101`:
/// stations read its PAN (tag 5A).
pub const BANK_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01];

/// The bytes of a `text:` AID: ASCII stays ASCII, Chinese is GBK.
pub fn text_bytes(text: &str) -> Result<Vec<u8>, crate::codec::CodecError> {
    crate::codec::gbk_bytes(text)
}

/// An EF with the DFs above it.
#[derive(Debug, Clone)]
pub struct EfRef<'a> {
    /// The DFs from the MF down to the EF's DF (MF first).
    pub dfs: Vec<&'a Df>,
    /// The DF holding the EF (the last of `dfs`).
    pub df: &'a Df,
    /// The EF.
    pub ef: &'a Ef,
}

impl Profile {
    /// Every DF, depth first (MF first), with its ancestors.
    pub fn dfs(&self) -> Vec<Vec<&Df>> {
        fn walk<'a>(df: &'a Df, above: &mut Vec<&'a Df>, out: &mut Vec<Vec<&'a Df>>) {
            above.push(df);
            out.push(above.clone());
            for c in &df.dfs {
                walk(c, above, out);
            }
            above.pop();
        }
        let mut out = Vec::new();
        walk(&self.mf, &mut Vec::new(), &mut out);
        out
    }

    /// The DF named `name` (`mf`, `ssse`, ...).
    pub fn df(&self, name: &str) -> Option<&Df> {
        self.dfs()
            .into_iter()
            .filter_map(|path| path.last().copied())
            .find(|d| d.name == name)
    }

    /// The path of DFs from the MF to the DF named `name` (MF first).
    pub fn df_path(&self, name: &str) -> Option<Vec<&Df>> {
        self.dfs()
            .into_iter()
            .find(|p| p.last().is_some_and(|d| d.name == name))
    }

    /// Every EF, depth first, with its DFs.
    pub fn efs(&self) -> Vec<EfRef<'_>> {
        self.dfs()
            .into_iter()
            .flat_map(|path| {
                let df = path.last().copied();
                df.into_iter()
                    .flat_map(|d| d.efs.iter().map(move |ef| (d, ef)))
                    .map(|(df, ef)| EfRef {
                        dfs: path.clone(),
                        df,
                        ef,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The EF `ef` in DF `df` (`("ssse", "ef06")`).
    pub fn ef(&self, df: &str, ef: &str) -> Option<EfRef<'_>> {
        self.efs()
            .into_iter()
            .find(|r| r.df.name == df && r.ef.name == ef)
    }

    /// Every data element in card order (DF tree, EF, record number) with its files.
    pub fn elements(&self) -> Vec<(EfRef<'_>, &Element)> {
        self.efs()
            .into_iter()
            .flat_map(|r| {
                r.ef.elements
                    .iter()
                    .map(|e| (r.clone(), e))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The element named `name` (`ssn`, `name`, `card_number`, ...).
    pub fn element(&self, name: &str) -> Option<ElementLoc<'_>> {
        self.elements()
            .into_iter()
            .find(|(_, e)| e.name == name)
            .map(|(r, element)| ElementLoc {
                dfs: r.dfs,
                df: r.df,
                ef: r.ef,
                element,
            })
    }

    /// The key named `name` anywhere in the profile, with the DF that holds it.
    pub fn key(&self, name: &str) -> Option<(&Df, &KeySpec)> {
        self.all_keys().into_iter().find(|(_, k)| k.name == name)
    }

    /// Every key with its DF, depth first.
    pub fn all_keys(&self) -> Vec<(&Df, &KeySpec)> {
        self.dfs()
            .into_iter()
            .filter_map(|p| p.last().copied())
            .flat_map(|d| d.keys.iter().map(move |k| (d, k)))
            .collect()
    }

    /// The keys with role `role`, with their DFs.
    pub fn keys_by_role(&self, role: KeyRole) -> Vec<(&Df, &KeySpec)> {
        self.all_keys()
            .into_iter()
            .filter(|(_, k)| k.role == role)
            .collect()
    }

    /// The PIN named `name`, with its DF.
    pub fn pin(&self, name: &str) -> Option<(&Df, &PinSpec)> {
        self.dfs()
            .into_iter()
            .filter_map(|p| p.last().copied())
            .flat_map(|d| d.pins.iter().map(move |p| (d, p)))
            .find(|(_, p)| p.name == name)
    }
}

/// Where an element is: the DFs from the MF down, the EF, the element.
#[derive(Debug, Clone)]
pub struct ElementLoc<'a> {
    /// The DFs from the MF down to the EF's DF (MF first).
    pub dfs: Vec<&'a Df>,
    /// The DF holding the EF.
    pub df: &'a Df,
    /// The EF.
    pub ef: &'a Ef,
    /// The element.
    pub element: &'a Element,
}
