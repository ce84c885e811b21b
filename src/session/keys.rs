//! The card's keys for one run: per key id of the application, the key source that computes
//! with it and the diversification chain for this card. Nothing here holds a master key: a
//! [`CardKey`] asks its [`KeySource`] (a key file, a PSAM, an HSM) for each result.

use super::soft::{SOFT_ADVICE, SoftKeys};
use super::source::{KeySource, KeySourceError, KeyUse, SharedSource, shared};
use crate::apdu::Sw;
use crate::crypto::derive::Chain;
use crate::crypto::{self, Key, MAC_LEN, ct_eq};
use crate::error::ErrorChain;
use crate::profile::keys::{Factors, KeyFile};
use crate::profile::{KeySpec, Profile};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{MutexGuard, PoisonError};
use thiserror::Error;

/// A key the session authenticates or computes a MAC with: a [`CardKey`] (through its key
/// source) or a [`Key`] already diversified for the card (tests, rehearsals).
pub trait SessionKey {
    /// The EXTERNAL AUTHENTICATE cryptogram over the card's challenge.
    fn cryptogram(&self, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError>;
    /// The secure-messaging MAC of `data` (not padded) with the challenge as IV.
    fn mac(&self, challenge: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], KeySourceError>;
    /// What to tell the operator when the card refuses this key (names the key source).
    fn refused_advice(&self) -> String;
    /// The status word of an earlier refusal by this card, if any: the key is not tried again.
    fn refused(&self) -> Option<Sw> {
        None
    }
    /// Remembers that the card refused this key.
    fn mark_refused(&self, _sw: Sw) {}
}

impl SessionKey for Key {
    fn cryptogram(&self, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        crypto::auth_cryptogram(self, challenge).map_err(|source| KeySourceError::Crypto {
            doing: "computing the cryptogram".into(),
            source,
        })
    }
    fn mac(&self, challenge: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], KeySourceError> {
        crypto::mac(self, challenge, data).map_err(|source| KeySourceError::Crypto {
            doing: "computing the MAC".into(),
            source,
        })
    }
    fn refused_advice(&self) -> String {
        SOFT_ADVICE.to_string()
    }
}

enum Held {
    /// A key source with this card's diversification chain.
    Source {
        source: SharedSource,
        spec: Box<KeySpec>,
        chain: Chain,
    },
    /// A key already diversified for the card.
    Fixed(Key),
}

/// One key of this card: its source and its diversification chain. Remembers a refusal by
/// the card, so that a key the card refused is never tried a second time (no try counter is
/// burnt twice). Never printed.
pub struct CardKey {
    held: Held,
    refused: AtomicU16,
}

impl Clone for CardKey {
    fn clone(&self) -> Self {
        let held = match &self.held {
            Held::Source {
                source,
                spec,
                chain,
            } => Held::Source {
                source: source.clone(),
                spec: spec.clone(),
                chain: chain.clone(),
            },
            Held::Fixed(k) => Held::Fixed(k.clone()),
        };
        CardKey {
            held,
            refused: AtomicU16::new(self.refused.load(Ordering::Relaxed)),
        }
    }
}

fn lock(source: &SharedSource) -> MutexGuard<'_, dyn KeySource + 'static> {
    source.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CardKey {
    /// A key computed by `source` with this card's `chain`.
    pub fn new(source: SharedSource, spec: KeySpec, chain: Chain) -> CardKey {
        CardKey {
            held: Held::Source {
                source,
                spec: Box::new(spec),
                chain,
            },
            refused: AtomicU16::new(0),
        }
    }

    /// Key `spec` of the card whose factors are `factors`, computed by `source`; `Err` says
    /// why it is not available (the source surely lacks it, or a factor is not known).
    pub fn for_card(
        source: &SharedSource,
        spec: &KeySpec,
        factors: &Factors,
    ) -> Result<CardKey, String> {
        lock(source)
            .has_key(spec)
            .map_err(|e| e.chain().to_string())?;
        let chain = factors
            .chain(&spec.diversification, &spec.name)
            .map_err(|e| e.chain().to_string())?;
        Ok(CardKey::new(source.clone(), spec.clone(), chain))
    }

    /// The key source for messages (`key file ...`, `PSAM in ...`).
    pub fn source_name(&self) -> String {
        match &self.held {
            Held::Source { source, .. } => lock(source).describe(),
            Held::Fixed(_) => "a key given directly".into(),
        }
    }

    /// Whether the card's INTERNAL AUTHENTICATE `answer` to `challenge` is right (compared
    /// in constant time with the cryptogram of this key).
    pub fn check_internal(&self, challenge: &[u8], answer: &[u8]) -> Result<bool, KeySourceError> {
        Ok(ct_eq(&self.cryptogram(challenge)?, answer))
    }
}

impl SessionKey for CardKey {
    fn cryptogram(&self, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        match &self.held {
            Held::Source {
                source,
                spec,
                chain,
            } => lock(source).cryptogram(&KeyUse { spec, chain }, challenge),
            Held::Fixed(k) => k.cryptogram(challenge),
        }
    }
    fn mac(&self, challenge: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], KeySourceError> {
        match &self.held {
            Held::Source {
                source,
                spec,
                chain,
            } => lock(source).mac(&KeyUse { spec, chain }, challenge, data),
            Held::Fixed(k) => k.mac(challenge, data),
        }
    }
    fn refused_advice(&self) -> String {
        match &self.held {
            Held::Source { source, .. } => lock(source).refused_advice(),
            Held::Fixed(k) => k.refused_advice(),
        }
    }
    fn refused(&self) -> Option<Sw> {
        match self.refused.load(Ordering::Relaxed) {
            0 => None,
            sw => Some(Sw(sw)),
        }
    }
    fn mark_refused(&self, sw: Sw) {
        self.refused.store(sw.0, Ordering::Relaxed);
    }
}

/// The card's keys for this run, by key id. Never printed.
#[derive(Default, Clone)]
pub struct CardKeys {
    keys: BTreeMap<u8, CardKey>,
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
    /// The card's keys for every key of DF `df` of the profile, computed by `source` with the
    /// diversification chain the profile names, its factors taken from `factors`
    /// (docs/crypto.md). A key the source surely lacks, or whose factor is not known, is
    /// left out with the reason; a step that needs it fails with that reason.
    pub fn new(source: &SharedSource, p: &Profile, df: &str, factors: &Factors) -> CardKeys {
        let mut out = CardKeys::default();
        let Some(path) = p.df_path(df) else {
            return out;
        };
        let Some(df) = path.last() else {
            return out;
        };
        // The nearest algorithm identifier at or above the DF: a source that cannot compute
        // it (a key file and SSF33) serves none of its keys.
        if let Some(alg) = path.iter().rev().find_map(|d| d.algorithm_id)
            && let Err(e) = lock(source).supports(alg)
        {
            for spec in &df.keys {
                out.unavailable(spec.id, e.chain().to_string());
            }
            return out;
        }
        for spec in &df.keys {
            match CardKey::for_card(source, spec, factors) {
                Ok(key) => {
                    out.keys.insert(spec.id, key);
                }
                Err(reason) => out.unavailable(spec.id, reason),
            }
        }
        out
    }

    /// The card's keys from a key file's master keys (a [`SoftKeys`] source), as
    /// [`CardKeys::new`].
    pub fn from_key_file(p: &Profile, df: &str, kf: &KeyFile, factors: &Factors) -> CardKeys {
        Self::new(&shared(SoftKeys::new(kf.clone())), p, df, factors)
    }

    /// Adds (or replaces) key `id` as a key already diversified for the card.
    pub fn insert(&mut self, id: u8, key: Key) {
        self.keys.insert(
            id,
            CardKey {
                held: Held::Fixed(key),
                refused: AtomicU16::new(0),
            },
        );
    }
    /// True when no key at all is known (no key source was given).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.unavailable.is_empty()
    }
    /// The key with id `id`.
    pub fn get(&self, id: u8) -> Option<&CardKey> {
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
    pub fn need(&self, id: u8, label: &str, purpose: &str) -> Result<&CardKey, MissingKey> {
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
