//! Resuming a torn `sscard init`: power lost after any APDU of the plan leaves part of the
//! structure on the card. Before building, init looks at what the card holds (SELECT with
//! FCP of every DF and EF of the profile, READ RECORD of the blank records) and checks it
//! against the profile:
//! - nothing there: the whole plan;
//! - a partial structure made from this profile, the MF still in the creation state (the
//!   manufacturer's window, where the COS allows everything): the plan without what exists
//!   (DFs and EFs whose FCP matches, blank records already appended), an EF whose records do
//!   not match deleted and created again, keys and PINs written again (WRITE KEY replaces);
//! - the structure complete and the MF out of the creation state (the last APDU, ACTIVATE
//!   FILE, was done): nothing to do;
//! - anything else (another profile's files, a closed card that differs): refused, nothing
//!   is written.
//!
//! A profile whose MF is not in the creation state has no such window: its plan is run whole
//! (a second init then stops at the first CREATE FILE with `6A89`).

use super::plan::{self, InitError, Plan, by_of, df_words};
use crate::apdu::Sw;
use crate::card::{Card, CardError, Ef, RecordRef, SelectBy, SelectReturn};
use crate::cos::Lcs;
use crate::error::ErrorChain;
use crate::profile::fcp;
use crate::profile::keys::{Factors, KeyFile};
use crate::profile::{Df, Profile};
use crate::transport::Transport;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// What a torn init left of one EF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EfHave {
    /// The EF exists with the profile's FCP and its first N blank records (all of a
    /// transparent EF: nothing to add).
    Records(usize),
    /// The EF exists with the profile's FCP but records that are not the blank ones in order:
    /// delete it and create it again.
    Redo,
}

/// What the card already holds of a profile's structure.
#[derive(Debug, Clone, Default)]
pub struct Have {
    dfs: BTreeSet<String>,
    efs: BTreeMap<String, EfHave>,
}

fn key(path: &[&Df]) -> String {
    path.iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

impl Have {
    /// True when the DF at the end of `path` (from the MF) exists.
    pub fn has_df(&self, path: &[&Df]) -> bool {
        self.dfs.contains(&key(path))
    }

    /// What exists of EF `fid` in the DF at the end of `path`.
    pub fn ef(&self, path: &[&Df], fid: u16) -> Option<EfHave> {
        self.efs.get(&format!("{}/{fid:04X}", key(path))).copied()
    }

    /// Number of DFs and EFs found.
    pub fn files(&self) -> usize {
        self.dfs.len() + self.efs.len()
    }

    /// EFs that will be deleted and created again.
    pub fn redo(&self) -> usize {
        self.efs.values().filter(|e| **e == EfHave::Redo).count()
    }
}

/// What init found on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No file of the profile: a blank card.
    Blank,
    /// Part of the structure (a torn init): `files` DFs/EFs of `total` exist, `redo` EFs are
    /// rebuilt.
    Partial {
        /// DFs and EFs found.
        files: usize,
        /// DFs and EFs of the profile (the MF excluded).
        total: usize,
        /// EFs deleted and created again.
        redo: usize,
    },
    /// The whole structure, the MF out of the creation state: nothing to do.
    Complete,
}

/// The plan that finishes the card, and what was found.
#[derive(Debug, Clone)]
pub struct Resume {
    /// What the card held.
    pub found: Found,
    /// The APDUs still to send (empty when [`Found::Complete`]).
    pub plan: Plan,
}

/// Why init cannot build or finish the structure on this card.
#[derive(Debug, Error)]
pub enum ResumeError {
    /// Reading the card failed.
    #[error("looking at what the card already holds failed")]
    Card(#[from] CardError),
    /// The plan cannot be built.
    #[error(transparent)]
    Init(#[from] InitError),
    /// The card holds files that are not this profile's.
    #[error(
        "the card is not blank and what it holds is not (part of) profile {profile}: {}; \
         nothing was written: use a blank card, or the profile this card was built with",
        .diffs.join("; ")
    )]
    Foreign {
        /// The profile's name.
        profile: String,
        /// The differences.
        diffs: Vec<String>,
    },
}

fn missing(e: &CardError) -> bool {
    e.sw() == Some(Sw::FILE_NOT_FOUND)
}

/// Looks at the card and returns the plan that builds or finishes `profile` on it.
pub fn resume_plan(
    profile: &Profile,
    keys: &KeyFile,
    factors: &Factors,
    t: &mut dyn Transport,
) -> Result<Resume, ResumeError> {
    let closes = profile.mf.lcs == Lcs::Creation;
    if !closes {
        // No manufacturer's window in this profile: nothing can be deleted or checked
        // before it is built (some cards cannot even answer SELECT with FCP): the whole plan.
        return Ok(Resume {
            found: Found::Blank,
            plan: plan::init_plan(profile, keys, factors)?,
        });
    }
    let mf_open = {
        let mut card = Card::new(&mut *t);
        let (mf, _) = card.select_fcp(SelectBy::Mf)?;
        mf.lcs.is_none_or(|b| b == Lcs::Creation.byte())
    };
    if !mf_open {
        // The window was closed: init ran to its last APDU (or this is another card).
        let diffs = plan::verify_structure(profile, t).or_else(|e| {
            if missing(&e) {
                Ok(vec![e.chain().to_string()])
            } else {
                Err(e)
            }
        })?;
        if diffs.is_empty() {
            return Ok(Resume {
                found: Found::Complete,
                plan: Plan::default(),
            });
        }
        return Err(ResumeError::Foreign {
            profile: profile.meta.name.clone(),
            diffs,
        });
    }
    let mut have = Have::default();
    let mut diffs = Vec::new();
    let mut total = 0;
    let mut card = Card::new(&mut *t);
    'dfs: for path in profile.dfs() {
        let Some((df, above)) = path.split_last() else {
            continue;
        };
        total += df.efs.len() + usize::from(!above.is_empty());
        if !above.is_empty() && !have.dfs.contains(&key(above)) && above.len() > 1 {
            continue;
        }
        card.select(SelectBy::Mf, SelectReturn::Nothing)?;
        for d in above.iter().skip(1) {
            card.select(by_of(d), SelectReturn::Nothing)?;
        }
        if !above.is_empty() {
            match card.select_fcp(by_of(df)) {
                Err(e) if missing(&e) => continue 'dfs,
                Err(e) => return Err(e.into()),
                Ok((got, _)) => {
                    let d = fcp::compare(&fcp::df_fcp(df), &got, false);
                    if !d.is_empty() {
                        diffs.push(format!("{}: {}", df_words(df), d.join(", ")));
                        continue 'dfs;
                    }
                    have.dfs.insert(key(&path));
                }
            }
        }
        for ef in &df.efs {
            let got = match card.select_fcp(SelectBy::Fid(ef.fid)) {
                Err(e) if missing(&e) => continue,
                Err(e) => return Err(e.into()),
                Ok((got, _)) => got,
            };
            let d = fcp::compare(&fcp::ef_fcp(ef), &got, true);
            if !d.is_empty() {
                diffs.push(format!(
                    "EF {} ({:04X}) in {}: {}",
                    ef.name,
                    ef.fid,
                    df.name,
                    d.join(", ")
                ));
                continue;
            }
            let state = if ef.sfi.is_some() && ef.structure.is_record() {
                {
                    let blanks: Vec<Vec<u8>> = plan::blank_records(ef)
                        .into_iter()
                        .map(|(_, b)| b)
                        .collect();
                    records(&mut card, &blanks)?
                }
            } else {
                EfHave::Records(0)
            };
            have.efs
                .insert(format!("{}/{:04X}", key(&path), ef.fid), state);
        }
    }
    if !diffs.is_empty() {
        return Err(ResumeError::Foreign {
            profile: profile.meta.name.clone(),
            diffs,
        });
    }
    let found = if have.files() == 0 {
        Found::Blank
    } else {
        Found::Partial {
            files: have.files(),
            total,
            redo: have.redo(),
        }
    };
    let plan = plan::plan_with(profile, keys, factors, Some(&have))?;
    Ok(Resume { found, plan })
}

/// Compares the records of the current EF with the blank records init appends.
fn records(card: &mut Card<'_>, blanks: &[Vec<u8>]) -> Result<EfHave, CardError> {
    let mut n = 0usize;
    loop {
        let Ok(number) = u8::try_from(n + 1) else {
            return Ok(EfHave::Redo);
        };
        let got = match card.read_record(Ef::Current, RecordRef::Number(number), 256) {
            Err(e) if e.sw() == Some(Sw::RECORD_NOT_FOUND) => return Ok(EfHave::Records(n)),
            Err(e) => return Err(e),
            Ok(r) => r,
        };
        match blanks.get(n) {
            Some(b) if *b == got => n += 1,
            _ => return Ok(EfHave::Redo),
        }
    }
}
