//! `sscard profile list`: every profile found by name, where from, its fingerprint; a local
//! profile that differs from the shipped one of the same name is flagged.

use sscard::profile::find::{Found, Origin, Search};
use sscard::profile::fingerprint;
use std::collections::HashSet;
use std::fmt::Write;

/// One row: a profile found, checked and fingerprinted.
struct Row<'a> {
    found: &'a Found,
    /// `sha256:` + 16 hex digits, or why there is none.
    fingerprint: Result<String, String>,
    /// The first of its name: the one `--profile NAME` uses.
    used: bool,
    /// The compiled-in copy of the same name has another fingerprint.
    differs_from: Option<String>,
}

fn short(sha256: &str) -> String {
    format!("sha256:{}", sha256.get(..16).unwrap_or(sha256))
}

fn fingerprint_of(found: &Found) -> Result<String, String> {
    match found.load() {
        Ok(p) => Ok(short(&fingerprint::fingerprint(&p).sha256)),
        Err(e) => Err(format!(
            "INVALID ({} problem(s)): sscard profile check {}",
            e.issues().len().max(1),
            found.file().display()
        )),
    }
}

/// The listing of `found` (in search order, as [`Search::list`] gives it) for `search`.
pub fn render(search: &Search, found: &[Found]) -> String {
    let builtin: Vec<(String, Result<String, String>)> = found
        .iter()
        .filter(|f| f.origin == Origin::Builtin)
        .map(|f| (f.name.clone(), fingerprint_of(f)))
        .collect();
    let mut seen = HashSet::new();
    let rows: Vec<Row<'_>> = found
        .iter()
        .map(|f| {
            let fingerprint = if f.origin == Origin::Builtin {
                builtin
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .map_or_else(|| fingerprint_of(f), |(_, fp)| fp.clone())
            } else {
                fingerprint_of(f)
            };
            let shipped = builtin
                .iter()
                .find(|(n, _)| *n == f.name)
                .and_then(|(_, fp)| fp.as_ref().ok());
            let differs_from = match (&fingerprint, shipped) {
                (Ok(mine), Some(theirs)) if f.origin != Origin::Builtin && mine != theirs => {
                    Some(theirs.clone())
                }
                _ => None,
            };
            Row {
                found: f,
                used: seen.insert(f.name.clone()),
                fingerprint,
                differs_from,
            }
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "{}", sscard::version::describe());
    let _ = writeln!(
        out,
        "profiles by name: --profile NAME uses the first of each name (\"used\")"
    );
    let name_w = rows
        .iter()
        .map(|r| r.found.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:name_w$}  {:8}  {:8}  {:23}  FILE",
        "NAME", "FROM", "USE", "FINGERPRINT"
    );
    for r in &rows {
        let file = match &r.found.path {
            Some(p) => p.display().to_string(),
            None => "(compiled into sscard)".to_string(),
        };
        let fp = match &r.fingerprint {
            Ok(fp) => fp.clone(),
            Err(_) => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{:name_w$}  {:8}  {:8}  {:23}  {}",
            r.found.name,
            r.found.origin.word(),
            if r.used { "used" } else { "shadowed" },
            fp,
            file
        );
        if let Err(why) = &r.fingerprint {
            let _ = writeln!(out, "{:name_w$}  ! {why}", "");
        }
        if let Some(theirs) = &r.differs_from {
            let what = if r.found.origin.is_shipped() {
                "the installed package's copy differs from the one compiled into this sscard (another version?)"
            } else {
                "a local profile: its structure is not the shipped one; use it only if it is approved"
            };
            let _ = writeln!(
                out,
                "{:name_w$}  ! DIFFERS from the shipped {} ({theirs}): {what}",
                "", r.found.name
            );
        }
    }
    let _ = writeln!(out, "searched, in order:");
    if !search.dirs.iter().any(|(o, _)| *o == Origin::Env) {
        let _ = writeln!(
            out,
            "  {:8}  ${} (not set)",
            Origin::Env.word(),
            sscard::profile::find::PATH_VAR
        );
    }
    for (origin, dir) in &search.dirs {
        let state = if dir.is_dir() {
            ""
        } else {
            " (no such folder)"
        };
        let _ = writeln!(out, "  {:8}  {}{state}", origin.word(), dir.display());
    }
    if search.builtin {
        let _ = writeln!(out, "  {:8}  compiled into sscard", Origin::Builtin.word());
    }
    out
}
