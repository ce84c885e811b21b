//! The region file as written (serde, `deny_unknown_fields`, spans), and its checks: every
//! problem at its line, all at once.

use super::{Approval, Product, Region, RegionError};
use crate::error::ErrorChain;
use crate::profile::line_col;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    region: RawMeta,
    #[serde(default)]
    product: Vec<Spanned<RawProduct>>,
    #[serde(default)]
    approval: Vec<Spanned<RawApproval>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: Spanned<String>,
    code: Option<Spanned<String>>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    manufacturer: Spanned<String>,
    chip: Spanned<String>,
    cos: Spanned<String>,
    cos_version: Spanned<String>,
    atr: Spanned<String>,
    mask: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    profile: Spanned<String>,
    sha256: Spanned<String>,
    sm3: Option<Spanned<String>>,
    by: Spanned<String>,
    at: Spanned<String>,
}

struct Ctx<'a> {
    text: &'a str,
    problems: Vec<(usize, String)>,
}

impl Ctx<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        line_col(self.text, s.span().start).0
    }
    fn problem<T>(&mut self, at: &Spanned<T>, msg: String) {
        let line = self.line(at);
        self.problems.push((line, msg));
    }
    fn text(&mut self, s: &Spanned<String>, what: &str) -> String {
        let v = s.get_ref().trim().to_string();
        if v.is_empty() {
            self.problem(s, format!("`{what}` is empty: write it as the record says"));
        }
        v
    }
    fn hex(&mut self, s: &Spanned<String>, what: &str) -> Vec<u8> {
        match crate::apdu::parse_hex(s.get_ref()) {
            Ok(b) if (2..=33).contains(&b.len()) => b,
            Ok(b) => {
                self.problem(
                    s,
                    format!("`{what}` has {} bytes: an ATR has 2 to 33", b.len()),
                );
                Vec::new()
            }
            Err(e) => {
                self.problem(s, format!("`{what}` is not hex bytes: {e}", e = e.chain()));
                Vec::new()
            }
        }
    }
    fn digest(&mut self, s: &Spanned<String>, what: &str) -> String {
        let v = s.get_ref().trim().to_ascii_lowercase();
        if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.problem(
                s,
                format!(
                    "`{what}` must be 64 hex digits, as `sscard profile fingerprint` prints it"
                ),
            );
        }
        v
    }

    fn product(&mut self, p: &Spanned<RawProduct>) -> Product {
        let line = self.line(p);
        let r = p.get_ref();
        let atr = self.hex(&r.atr, "atr");
        let mask = match &r.mask {
            Some(m) => {
                let mask = self.hex(m, "mask");
                if !atr.is_empty() && !mask.is_empty() && mask.len() != atr.len() {
                    self.problem(
                        m,
                        format!(
                            "`mask` has {} bytes but `atr` has {}: give one mask byte per ATR byte (FF = must match, 00 = any)",
                            mask.len(),
                            atr.len()
                        ),
                    );
                }
                mask
            }
            None => vec![0xFF; atr.len()],
        };
        Product {
            manufacturer: self.text(&r.manufacturer, "manufacturer"),
            chip: self.text(&r.chip, "chip"),
            cos: self.text(&r.cos, "cos"),
            cos_version: self.text(&r.cos_version, "cos_version"),
            atr,
            mask,
            line,
        }
    }

    fn approval(&mut self, a: &Spanned<RawApproval>) -> Approval {
        let line = self.line(a);
        let r = a.get_ref();
        let at = self.text(&r.at, "at");
        if !at.is_empty() && !looks_like_time(&at) {
            self.problem(
                &r.at,
                format!("`at` is `{at}`: write the time as 2026-11-29T13:30:00Z"),
            );
        }
        Approval {
            profile: self.text(&r.profile, "profile"),
            sha256: self.digest(&r.sha256, "sha256"),
            sm3: r.sm3.as_ref().map(|s| self.digest(s, "sm3")),
            by: self.text(&r.by, "by"),
            at,
            line,
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or an offset.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)
            .is_some_and(|x| x.iter().all(|c| c.is_ascii_digit()))
    };
    b.len() >= 20
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
}

/// Parses and checks a region file's text.
pub(super) fn parse(text: &str, file: &Path) -> Result<Region, RegionError> {
    let raw: RawRegion = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        RegionError::Syntax {
            file: file.to_path_buf(),
            line,
            column,
            message: crate::input::plain(e.message().trim()),
        }
    })?;
    let mut ctx = Ctx {
        text,
        problems: Vec::new(),
    };
    let name = ctx.text(&raw.region.name, "name");
    let code = raw.region.code.as_ref().map(|c| {
        let v = c.get_ref().trim().to_string();
        if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
            ctx.problem(
                c,
                format!("`code` is `{v}`: a region code has 6 digits (110100)"),
            );
        }
        v
    });
    let products = raw.product.iter().map(|p| ctx.product(p)).collect();
    let approvals = raw.approval.iter().map(|a| ctx.approval(a)).collect();
    if ctx.problems.is_empty() {
        Ok(Region {
            name,
            code,
            description: raw.region.description,
            products,
            approvals,
            file: file.to_path_buf(),
        })
    } else {
        let mut problems = ctx.problems;
        problems.sort();
        Err(RegionError::Invalid {
            file: file.to_path_buf(),
            problems,
        })
    }
}
