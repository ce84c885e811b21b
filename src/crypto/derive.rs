//! Key diversification chains (docs/crypto.md, "Diversification chains"): a card key is the
//! master key diversified level by level, each level by an 8-byte factor taken from the card
//! or the region. The chain is data ([`Chain`]: the levels with their factor bytes), apart
//! from the software computation ([`Chain::apply`]), so that a hardware key source (a PSAM
//! or an HSM holding the master key) can be handed the same levels and derive the same key.
//!
//! Factor builders, one per kind of source:
//! - [`last8`]: the last 8 bytes of a value (card identification code, ATR, historical bytes);
//! - [`region_7378`]: the 6-digit region code in ASCII followed by `73 78` (ASCII `sx`).

use super::{CryptoError, FACTOR_LEN, Key, diversify};
use std::fmt;

/// One level of a chain: where its factor comes from (for people and logs) and the factor.
/// Factors are card data, not secrets: they may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Level {
    /// What the factor was computed from (`card-id-last8`, `region-ascii-7378`, ...).
    pub source: String,
    /// The 8 factor bytes.
    pub factor: [u8; FACTOR_LEN],
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.source, hex::encode_upper(self.factor))
    }
}

/// A diversification chain: master key, then each level in order. No level: the card holds
/// the master key itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    /// The levels, applied first to last.
    pub levels: Vec<Level>,
}

impl Chain {
    /// The card key from a master key held in software: `k0 = master`,
    /// `k(i+1) = diversify(k(i), factor(i))` (PBOC style, [`diversify`]), the last one returned.
    pub fn apply(&self, master: &Key) -> Result<Key, CryptoError> {
        let mut key = master.clone();
        for level in &self.levels {
            key = diversify(&key, &level.factor)?;
        }
        Ok(key)
    }

    /// The levels as text, `source FACTOR > source FACTOR` (`none` for no level).
    pub fn describe(&self) -> String {
        if self.levels.is_empty() {
            return "none".into();
        }
        let parts: Vec<String> = self.levels.iter().map(|l| format!("{l:?}")).collect();
        parts.join(" > ")
    }
}

/// The last 8 bytes of `value`; `None` when it is shorter.
pub fn last8(value: &[u8]) -> Option<[u8; FACTOR_LEN]> {
    let start = value.len().checked_sub(FACTOR_LEN)?;
    value.get(start..)?.try_into().ok()
}

/// The city-level factor: the 6-digit region code in ASCII followed by `73 78`
/// (`440300` -> `34 34 30 33 30 30 73 78`). `None` unless `region` is 6 ASCII digits.
pub fn region_7378(region: &str) -> Option<[u8; FACTOR_LEN]> {
    let b = region.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut f = [0u8; FACTOR_LEN];
    f.iter_mut()
        .zip(b.iter().chain(&[0x73, 0x78]))
        .for_each(|(o, i)| *o = *i);
    Some(f)
}
