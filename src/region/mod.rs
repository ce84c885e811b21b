//! Regions: what a region (a city or province issuing cards) keeps on record, as the approval
//! rules ask (../shared/spec: "Life cycle at the issuing station"): the **card products** it
//! issues (manufacturer, chip, COS and version, recognised by the ATR under a mask) and the
//! **profiles it approved** (their structure fingerprint, who approved it and when). A changed
//! card file structure changes the fingerprint and so needs re-approval.
//!
//! A region is a TOML file (format: `card-profiles/README.md`, "Region files"), found by name
//! like profiles ([`find`]: `$SSCARD_REGION_PATH`, `~/.config/sscard/regions`,
//! `/etc/sscard/regions`, `/usr/share/sscard/regions`, then the compiled-in `example`).
//!
//! ```
//! let region = sscard::region::find("example")?.load()?;
//! let atr = sscard::sim::DEFAULT_ATR;
//! let check = sscard::region::check_product(Some(&region), &atr, false)?;
//! assert!(check.on_record());
//! # Ok::<(), sscard::region::RegionError>(())
//! ```

mod check;
mod error;
pub mod find;
mod raw;

pub use check::{ApprovalCheck, ProductCheck, ProductReport, check_approval, check_product};
pub use error::RegionError;
pub use find::{approve, find, locate};

use std::path::PathBuf;

/// A loaded, checked region file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The region's name (`example`, `广州市`).
    pub name: String,
    /// Its 6-digit administrative region code, when given.
    pub code: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// The card products on record.
    pub products: Vec<Product>,
    /// The approved profile structures.
    pub approvals: Vec<Approval>,
    /// The file it was read from (`built-in:example.toml` for the compiled-in copy).
    pub file: PathBuf,
}

/// A card product on record: who makes it, which chip and COS, and how its ATR looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The card manufacturer.
    pub manufacturer: String,
    /// The chip product.
    pub chip: String,
    /// The card operating system's name.
    pub cos: String,
    /// The COS version.
    pub cos_version: String,
    /// The ATR pattern (bytes where the mask has bits set must match).
    pub atr: Vec<u8>,
    /// The mask, as long as the pattern (all `FF` when not given).
    pub mask: Vec<u8>,
    /// The line of its `[[product]]` table in the region file.
    pub line: usize,
}

impl Product {
    /// True when `atr` has the pattern's length and equals it on every bit of the mask.
    pub fn matches(&self, atr: &[u8]) -> bool {
        atr.len() == self.atr.len()
            && atr
                .iter()
                .zip(&self.atr)
                .zip(&self.mask)
                .all(|((a, p), m)| a & m == p & m)
    }

    /// `manufacturer chip, COS cos version`, as reports show it.
    pub fn describe(&self) -> String {
        format!(
            "{} {}, COS {} {}",
            self.manufacturer, self.chip, self.cos, self.cos_version
        )
    }
}

/// A profile structure the region approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The profile's name when it was approved (for people; the fingerprint decides).
    pub profile: String,
    /// SHA-256 of the canonical structure (`sscard profile fingerprint`), lower-case hex.
    pub sha256: String,
    /// SM3 of the same, when recorded.
    pub sm3: Option<String>,
    /// Who approved it.
    pub by: String,
    /// When (`2026-11-29T13:30:00Z`).
    pub at: String,
    /// The line of its `[[approval]]` table in the region file.
    pub line: usize,
}

impl Region {
    /// The first product on record whose ATR pattern matches `atr`.
    pub fn product(&self, atr: &[u8]) -> Option<&Product> {
        self.products.iter().find(|p| p.matches(atr))
    }

    /// The approval of a structure with this fingerprint, if any (the SM3 must agree too
    /// when the approval recorded one).
    pub fn approval(&self, fp: &crate::profile::fingerprint::Fingerprint) -> Option<&Approval> {
        self.approvals
            .iter()
            .find(|a| a.sha256 == fp.sha256 && a.sm3.as_ref().is_none_or(|s| *s == fp.sm3))
    }
}

/// Parses and checks region `text`; `file` names it in errors.
pub fn parse(text: &str, file: &std::path::Path) -> Result<Region, RegionError> {
    raw::parse(text, file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const ONE: &str = r#"
[region]
name = "test"
code = "110100"

[[product]]
manufacturer = "Maker"
chip = "C1"
cos = "OS"
cos_version = "2.1"
atr = "3B 02 14 50"
mask = "FF FF FF F0"

[[approval]]
profile = "ssc-3.00"
sha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
by = "Station A"
at = "2026-11-29T10:00:00Z"
"#;

    #[test]
    fn a_masked_atr_pattern_matches_only_what_the_mask_keeps() {
        let r = parse(ONE, Path::new("r.toml")).unwrap();
        assert_eq!(r.products.len(), 1);
        assert_eq!(r.products[0].line, 6);
        assert!(r.product(&[0x3B, 0x02, 0x14, 0x5F]).is_some());
        assert!(r.product(&[0x3B, 0x02, 0x14, 0x40]).is_none());
        assert!(r.product(&[0x3B, 0x02, 0x14]).is_none());
        assert_eq!(r.approvals[0].line, 14);
        assert_eq!(r.products[0].describe(), "Maker C1, COS OS 2.1");
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let bad = ONE
            .replace("\"110100\"", "\"1101\"")
            .replace("FF FF FF F0", "FF FF")
            .replace("00112233", "zz112233");
        let e = parse(&bad, Path::new("r.toml")).unwrap_err().to_string();
        assert!(e.contains("r.toml:4:"), "{e}");
        assert!(e.contains("r.toml:12:"), "{e}");
        assert!(e.contains("r.toml:16:"), "{e}");
        assert!(e.contains("3 problem(s)"), "{e}");
    }

    #[test]
    fn a_syntax_error_or_unknown_key_names_file_and_line() {
        let e = parse(
            &ONE.replace("cos_version", "cos_verison"),
            Path::new("r.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("r.toml:10:"), "{e}");
        assert!(e.contains("cos_verison"), "{e}");
    }
}
