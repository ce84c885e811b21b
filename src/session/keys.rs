//! The card's keys for one run: what a key source hands the session, by key id, already
//! diversified for this card. Today the one source is a soft key file
//! ([`CardKeys::from_key_file`]); a PSAM or an HSM will be others.

use crate::crypto::Key;
use crate::error::ErrorChain;
use crate::profile::Profile;
use crate::profile::keys::{Factors, KeyFile};
use std::collections::BTreeMap;
use thiserror::Error;

/// The card's keys for this run, by key id (already diversified for this card). Never printed.
#[derive(Default, Clone)]
pub struct CardKeys {
    keys: BTreeMap<u8, Key>,
    unavailable: BTreeMap<u8, String>,
}

impl std::fmt::Debug for CardKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CardKeys(ids {:02X?})",
            self.keys.keys().collect::<Vec<_>>()
        )
    }
}

/// A key a step needs is not available (no master key, or no diversification factor).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("key {key_id:02X} ({label}) is needed for {purpose} but is not available: {reason}")]
pub struct MissingKey {
    /// Why it is missing.
    pub reason: String,
    /// Key id.
    pub key_id: u8,
    /// Its label.
    pub label: String,
    /// What it is needed for.
    pub purpose: String,
}

impl CardKeys {
    /// The card's keys for every key of DF `df` of the profile, from a key file's master keys
    /// diversified as the profile says (docs/crypto.md). A key the key file lacks, or whose
    /// factor is not known, is left out with the reason; a step that needs it fails with that
    /// reason.
    pub fn from_key_file(p: &Profile, df: &str, kf: &KeyFile, factors: &Factors) -> CardKeys {
        let mut out = CardKeys::default();
        let Some(df) = p.df(df) else {
            return out;
        };
        for spec in &df.keys {
            match kf.card_key(spec, factors) {
                Ok(key) => out.insert(spec.id, key),
                Err(e) => out.unavailable(spec.id, e.chain().to_string()),
            }
        }
        out
    }

    /// Adds (or replaces) the key with id `id`.
    pub fn insert(&mut self, id: u8, key: Key) {
        self.keys.insert(id, key);
    }
    /// True when no key at all is known (no key source was given).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.unavailable.is_empty()
    }
    /// The key with id `id`.
    pub fn get(&self, id: u8) -> Option<&Key> {
        self.keys.get(&id)
    }
    /// Records why key `id` is not available (no master key, no diversification factor).
    pub fn unavailable(&mut self, id: u8, reason: String) {
        self.unavailable.insert(id, reason);
    }
    /// Why key `id` is not available, if known.
    pub fn why_missing(&self, id: u8) -> Option<&str> {
        self.unavailable.get(&id).map(String::as_str)
    }
    /// The key with id `id`, or the error saying why it is missing.
    pub fn need(&self, id: u8, label: &str, purpose: &str) -> Result<&Key, MissingKey> {
        self.get(id).ok_or_else(|| MissingKey {
            key_id: id,
            label: label.to_string(),
            purpose: purpose.to_string(),
            reason: self
                .why_missing(id)
                .unwrap_or("no key file was given (--keys)")
                .to_string(),
        })
    }
}
