//! The card's keys for one run: master keys from the key file, diversified per card as the
//! profile says (docs/crypto.md: PBOC-style, factor from the card identification code or the
//! ATR historical bytes).

use super::run::CardKeys;
use super::spec::{AppSpec, Diversify};
use crate::crypto::{FACTOR_LEN, Key, diversify};
use thiserror::Error;

/// A key that cannot be made for this card.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The key file has no value for a key the profile declares.
    #[error("the key file has no key `{name}` (key {id:02X}) that profile DF {df} declares: add it to the key file")]
    Missing {
        /// Key name in the profile.
        name: String,
        /// Key id.
        id: u8,
        /// DF label.
        df: String,
    },
    /// The key file's key has another algorithm than the profile says.
    #[error("key `{name}` in the key file is {found:?} but the profile says {wanted:?}: use the key file made for this profile")]
    Algorithm {
        /// Key name.
        name: String,
        /// In the key file.
        found: crate::crypto::Algorithm,
        /// In the profile.
        wanted: crate::crypto::Algorithm,
    },
    /// The diversification factor is not known.
    #[error("key `{name}` is diversified by {source_name}, which is not known: {hint}")]
    NoFactor {
        /// Key name.
        name: String,
        /// The factor's source.
        source_name: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// Diversification failed.
    #[error("diversifying key `{name}`: {source}")]
    Crypto {
        /// Key name.
        name: String,
        /// The error.
        #[source]
        source: crate::crypto::CryptoError,
    },
}

/// What a diversification factor can be taken from.
#[derive(Debug, Clone, Default)]
pub struct FactorInputs {
    /// The card identification code's value bytes (EF05 tag 01), when known.
    pub card_id: Option<Vec<u8>>,
    /// The ATR historical bytes.
    pub historical: Vec<u8>,
}

fn last8(bytes: &[u8]) -> [u8; FACTOR_LEN] {
    let mut f = [0u8; FACTOR_LEN];
    let take = bytes.len().min(FACTOR_LEN);
    let src = bytes.get(bytes.len() - take..).unwrap_or_default();
    let dst = f.get_mut(FACTOR_LEN - take..).unwrap_or_default();
    dst.copy_from_slice(src);
    f
}

/// The 8-byte factor for `how`, if it can be known.
pub fn factor(how: Diversify, inputs: &FactorInputs) -> Option<[u8; FACTOR_LEN]> {
    match how {
        Diversify::None => None,
        Diversify::CardId => inputs.card_id.as_deref().map(last8),
        Diversify::AtrHistorical => (!inputs.historical.is_empty()).then(|| last8(&inputs.historical)),
    }
}

/// Makes the card's keys: for every key of the application that the key file holds (looked up
/// by its profile name), the master key diversified for this card when the profile says so.
/// Keys the key file lacks are left out (a run that needs one says so); keys that cannot be
/// diversified are errors.
pub fn card_keys(
    app: &AppSpec,
    master: &dyn Fn(&str) -> Option<Key>,
    inputs: &FactorInputs,
) -> Result<CardKeys, KeyError> {
    let mut out = CardKeys::default();
    for k in &app.keys {
        let Some(mk) = master(&k.label) else {
            continue;
        };
        if mk.alg != k.alg {
            return Err(KeyError::Algorithm {
                name: k.label.clone(),
                found: mk.alg,
                wanted: k.alg,
            });
        }
        let key = match k.diversify {
            Diversify::None => mk,
            how => {
                let f = factor(how, inputs).ok_or(match how {
                    Diversify::CardId => KeyError::NoFactor {
                        name: k.label.clone(),
                        source_name: "the card identification code (card_id)",
                        hint: "give card_id in the record (it is printed on the card's chip data sheet)",
                    },
                    _ => KeyError::NoFactor {
                        name: k.label.clone(),
                        source_name: "the ATR historical bytes",
                        hint: "the card's ATR has no historical bytes",
                    },
                })?;
                diversify(&mk, &f).map_err(|source| KeyError::Crypto {
                    name: k.label.clone(),
                    source,
                })?
            }
        };
        out.insert(k.id, key);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last8_pads_and_cuts() {
        assert_eq!(last8(&[1, 2]), [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(last8(&[9, 1, 2, 3, 4, 5, 6, 7, 8]), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(last8(&[]), [0; 8]);
    }
}
