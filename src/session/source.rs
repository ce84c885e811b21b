//! Key sources: where the card's cryptograms and MACs are computed. The session never holds
//! a master key; it asks a [`KeySource`] for "the cryptogram of key K of this card over this
//! challenge" and "the MAC of this message". A key file in software ([`super::SoftKeys`]) is
//! one source; a PSAM in a second reader and an HSM over PKCS#11 are others. Key bytes never
//! leave a PSAM or HSM, and no error of a source carries key, cryptogram, MAC or PIN bytes.

use crate::crypto::derive::Chain;
use crate::crypto::{CryptoError, MAC_LEN};
use crate::profile::KeySpec;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// What a key source is asked about: one card key, and how it is diversified for this card.
#[derive(Debug, Clone, Copy)]
pub struct KeyUse<'a> {
    /// The profile's key: its name (= the key-file section, PSAM key usage, HSM label), its
    /// id on the card and its algorithm.
    pub spec: &'a KeySpec,
    /// The diversification levels with their 8-byte factors, master key first.
    pub chain: &'a Chain,
}

/// A place that computes the card's cryptograms and MACs from master keys it holds.
///
/// Results equal what [`crate::crypto`] gives with the card key (the master key diversified
/// by `k.chain`), so the card sees the same APDUs whatever the source.
pub trait KeySource: Send {
    /// The source for messages: `key file card-profiles/test-keys.toml`,
    /// `PSAM in 'Virtual PCD 00 01'`, `HSM token 'sscard-test' (/usr/lib/.../libsofthsm2.so)`.
    fn describe(&self) -> String;

    /// What the source can tell without asking hardware: `Err` when it surely lacks the key
    /// (a key file without it). Hardware sources answer `Ok` and report a missing key when
    /// asked for a result.
    fn has_key(&self, _spec: &KeySpec) -> Result<(), KeySourceError> {
        Ok(())
    }

    /// Whether the source can compute with the card's algorithm (its FCI's `9F0C`): `Err`
    /// says why not (a key file cannot compute SSF33). Hardware sources answer `Ok`.
    fn supports(&self, _alg: crate::cos::AlgorithmId) -> Result<(), KeySourceError> {
        Ok(())
    }

    /// The EXTERNAL AUTHENTICATE cryptogram: what [`crate::crypto::auth_cryptogram`] gives
    /// with the card key over `challenge`. Also the expected INTERNAL AUTHENTICATE answer.
    fn cryptogram(&mut self, k: &KeyUse<'_>, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError>;

    /// The secure-messaging MAC: what [`crate::crypto::mac`] gives with the card key over
    /// `data` (not yet padded) with the card's `challenge` as IV.
    fn mac(
        &mut self,
        k: &KeyUse<'_>,
        challenge: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], KeySourceError>;

    /// The terminal number for the `iReadCardBas` line (12 digits); `None` when the source
    /// has none (a key file).
    fn terminal_number(&mut self) -> Result<Option<String>, KeySourceError> {
        Ok(None)
    }

    /// What to tell the operator when the card refused this source's cryptogram.
    fn refused_advice(&self) -> String {
        format!(
            "The {} does not hold this card's keys (another region's or another issuer's master keys) \
             or the diversification is wrong; the same key is not tried again",
            self.describe()
        )
    }
}

/// One key source shared by every card of a run (batch workers share one PSAM).
pub type SharedSource = Arc<Mutex<dyn KeySource>>;

/// Wraps a source for sharing.
pub fn shared(source: impl KeySource + 'static) -> SharedSource {
    Arc::new(Mutex::new(source))
}

/// A key source failed. Never carries key, cryptogram, MAC or PIN bytes.
#[derive(Debug, Error)]
pub enum KeySourceError {
    /// Something the source needs is not there: the reader, the PSAM card, the token, the
    /// module, the key file. The text names it and says what to do.
    #[error("{0}")]
    Missing(String),
    /// The source does not hold the key (or not for this algorithm).
    #[error("{0}")]
    NoKey(String),
    /// The source refused or failed an operation (a PSAM status word, a PKCS#11 return code).
    #[error("{0}")]
    Refused(String),
    /// A computation in software failed.
    #[error("{doing}")]
    Crypto {
        /// What was being computed.
        doing: String,
        /// The error.
        #[source]
        source: CryptoError,
    },
}
