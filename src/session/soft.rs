//! Soft keys: master keys from a key file, diversified in software (docs/crypto.md). For test
//! cards and rehearsals; a real station keeps its keys in a PSAM or an HSM.

use super::source::{KeySource, KeySourceError, KeyUse};
use crate::crypto::{self, Key, MAC_LEN};
use crate::error::ErrorChain;
use crate::profile::KeySpec;
use crate::profile::keys::KeyFile;

/// A key file as a key source.
#[derive(Debug, Clone)]
pub struct SoftKeys {
    file: KeyFile,
}

impl SoftKeys {
    /// The source of a loaded key file.
    pub fn new(file: KeyFile) -> SoftKeys {
        SoftKeys { file }
    }

    /// The key file (for its initial PINs).
    pub fn key_file(&self) -> &KeyFile {
        &self.file
    }

    fn card_key(&self, k: &KeyUse<'_>) -> Result<Key, KeySourceError> {
        let master = self
            .file
            .master(k.spec)
            .map_err(|e| KeySourceError::NoKey(e.chain().to_string()))?;
        k.chain
            .apply(master)
            .map_err(|source| KeySourceError::Crypto {
                doing: format!("diversifying key '{}'", k.spec.name),
                source,
            })
    }
}

/// Why a key file cannot serve a card whose algorithm is `alg`: SSF33 exists only in
/// hardware. `Ok` for DES/3DES and SM4.
pub fn refuse_hardware_only(alg: crate::cos::AlgorithmId) -> Result<(), KeySourceError> {
    if alg.hardware_only() {
        return Err(KeySourceError::NoKey(format!(
            "the card's algorithm is {alg} (FCI 9F0C 86 01 {:02X}): {alg} exists only in hardware \
             (a PSAM or an HSM / encryption machine), a key file cannot compute it: give the PSAM \
             (--psam READER) or the HSM (--pkcs11 MODULE.so --token LABEL) instead of --keys",
            alg.byte()
        )));
    }
    Ok(())
}

/// The words the session uses when the card refuses a soft key.
pub(super) const SOFT_ADVICE: &str = "The key in the key file is not this card's key \
     (wrong key file, wrong master key or wrong diversification)";

impl KeySource for SoftKeys {
    fn describe(&self) -> String {
        format!("key file {}", self.file.path().display())
    }

    fn supports(&self, alg: crate::cos::AlgorithmId) -> Result<(), KeySourceError> {
        refuse_hardware_only(alg)
    }

    fn has_key(&self, spec: &KeySpec) -> Result<(), KeySourceError> {
        self.file
            .master(spec)
            .map(|_| ())
            .map_err(|e| KeySourceError::NoKey(e.chain().to_string()))
    }

    fn cryptogram(&mut self, k: &KeyUse<'_>, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        let key = self.card_key(k)?;
        crypto::auth_cryptogram(&key, challenge).map_err(|source| KeySourceError::Crypto {
            doing: format!("computing the cryptogram of key '{}'", k.spec.name),
            source,
        })
    }

    fn mac(
        &mut self,
        k: &KeyUse<'_>,
        challenge: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], KeySourceError> {
        let key = self.card_key(k)?;
        crypto::mac(&key, challenge, data).map_err(|source| KeySourceError::Crypto {
            doing: format!("computing the MAC with key '{}'", k.spec.name),
            source,
        })
    }

    fn refused_advice(&self) -> String {
        SOFT_ADVICE.to_string()
    }
}
