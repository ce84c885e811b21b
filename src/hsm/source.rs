//! The HSM as a [`KeySource`]: what the session asks of any key source, answered by the token.

use super::{HsmError, Pkcs11Source};
use crate::crypto::MAC_LEN;
use crate::session::{KeySource, KeySourceError, KeyUse};

impl From<HsmError> for KeySourceError {
    fn from(e: HsmError) -> Self {
        let text = e.to_string();
        match e {
            HsmError::ModuleMissing { .. }
            | HsmError::ModuleLoad { .. }
            | HsmError::NoToken { .. } => KeySourceError::Missing(text),
            HsmError::NoKey { .. }
            | HsmError::AmbiguousKey { .. }
            | HsmError::Sm4OnSoftHsm { .. }
            | HsmError::Sm4NotConfigured { .. }
            | HsmError::MacWithoutLevel { .. } => KeySourceError::NoKey(text),
            HsmError::WrongPin { .. }
            | HsmError::PinLocked { .. }
            | HsmError::Length { .. }
            | HsmError::Pkcs11 { .. } => KeySourceError::Refused(text),
        }
    }
}

impl KeySource for Pkcs11Source {
    fn describe(&self) -> String {
        Pkcs11Source::describe(self)
    }

    fn cryptogram(&mut self, k: &KeyUse<'_>, challenge: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        Ok(Pkcs11Source::cryptogram(self, k.spec, k.chain, challenge)?)
    }

    fn mac(
        &mut self,
        k: &KeyUse<'_>,
        challenge: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], KeySourceError> {
        Ok(Pkcs11Source::mac(self, k.spec, k.chain, challenge, data)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn hsm_errors_become_the_key_source_kinds_with_their_text() {
        let missing: KeySourceError = HsmError::NoToken {
            token: "t".into(),
            module: PathBuf::from("/m.so"),
            present: "none".into(),
        }
        .into();
        assert!(matches!(missing, KeySourceError::Missing(ref s) if s.contains("'t'")));
        let pin: KeySourceError = HsmError::WrongPin { token: "t".into() }.into();
        assert!(matches!(pin, KeySourceError::Refused(ref s) if s.contains("PIN")));
        let sm4: KeySourceError = HsmError::Sm4OnSoftHsm {
            key: "issuer".into(),
            token: "t".into(),
        }
        .into();
        assert!(matches!(sm4, KeySourceError::NoKey(ref s) if s.contains("no SM4")));
    }
}
