//! Key files for test cards: the master keys (and optionally initial PINs) that `sscard init`
//! loads and `sscard perso` authenticates with. Format in `card-profiles/README.md`; the
//! shipped `card-profiles/test-keys.toml` holds synthetic keys only.
//!
//! ```toml
//! [keys.write]            # the profile's key name
//! sm4 = "32 hex digits"   # master key for profiles that say algorithm = "sm4"
//! 3des = "32 hex digits"  # ... and for "3des"
//! [pins.holder]
//! initial = "123456"      # overrides the profile's initial PIN (optional)
//! ```
//!
//! Key bytes never appear in Debug output or errors.

use super::error::{line_col, table_above};
use super::model::{FactorSource, KeySpec, PinSpec, Profile};
use crate::crypto::derive::{Chain, Level};
use crate::crypto::{Algorithm, CryptoError, FACTOR_LEN, Key, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A key-file problem. Never carries key or PIN digits.
#[derive(Debug, Error)]
pub enum KeyFileError {
    /// The file cannot be read.
    #[error("cannot read key file {}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or an unknown key (the parser's text is withheld when it could quote a key).
    #[error("{}:{line}:{column}: {message}{}", file.display(), table.as_ref().map(|t| format!(" (in [{t}])")).unwrap_or_default())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The table above.
        table: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The profile names a key the file does not hold for its algorithm.
    #[error("key file {} has no {alg} value for key '{key}' (add `[keys.{key}]` with `{}`)", file.display(), alg_field(*alg))]
    MissingKey {
        /// The file.
        file: PathBuf,
        /// Key name.
        key: String,
        /// Wanted algorithm.
        alg: Algorithm,
    },
    /// A key value is malformed.
    #[error("key '{key}' ({alg}) in {}", file.display())]
    BadKey {
        /// The file.
        file: PathBuf,
        /// Key name.
        key: String,
        /// Algorithm.
        alg: Algorithm,
        /// What is wrong.
        #[source]
        source: CryptoError,
    },
    /// A PIN override is malformed.
    #[error("initial PIN '{pin}' in {}", file.display())]
    BadPin {
        /// The file.
        file: PathBuf,
        /// PIN name.
        pin: String,
        /// What is wrong.
        #[source]
        source: CryptoError,
    },
    /// A key is diversified but the card value it needs is not known.
    #[error("key '{key}' is diversified by {source_name}, which is not known yet: {hint}")]
    MissingFactor {
        /// Key name.
        key: String,
        /// The factor source.
        source_name: &'static str,
        /// Where to give it.
        hint: &'static str,
    },
    /// The factor source value is too short.
    #[error(
        "key '{key}': {source_name} ({len} bytes) cannot give an 8-byte diversification factor"
    )]
    ShortFactor {
        /// Key name.
        key: String,
        /// The factor source.
        source_name: &'static str,
        /// Bytes available.
        len: usize,
    },
    /// Diversification failed.
    #[error("key '{key}': diversification failed")]
    Diversify {
        /// Key name.
        key: String,
        /// The crypto error.
        #[source]
        source: CryptoError,
    },
}

fn alg_field(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Sm4 => "sm4 = \"<32 hex digits>\"",
        Algorithm::Tdes => "3des = \"<32 hex digits>\"",
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyFile {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    keys: BTreeMap<String, RawKeyEntry>,
    #[serde(default)]
    pins: BTreeMap<String, RawPinEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyEntry {
    sm4: Option<String>,
    #[serde(rename = "3des")]
    tdes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPinEntry {
    initial: String,
}

/// Master keys and PIN overrides from a key file.
#[derive(Clone)]
pub struct KeyFile {
    file: PathBuf,
    /// What the file says about itself.
    pub description: Option<String>,
    keys: std::collections::HashMap<(String, Algorithm), Key>,
    pins: BTreeMap<String, Secret>,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.keys.keys().map(|(k, a)| format!("{k}/{a}")).collect();
        names.sort();
        write!(
            f,
            "KeyFile({}, keys: {names:?}, ******)",
            self.file.display()
        )
    }
}

/// The card values keys are diversified by.
#[derive(Debug, Clone, Default)]
pub struct Factors {
    /// The card identification code (EF05 tag 01), 16 bytes.
    pub card_id: Option<Vec<u8>>,
    /// The ATR historical bytes.
    pub atr_historical: Option<Vec<u8>>,
    /// The whole ATR.
    pub atr: Option<Vec<u8>>,
}

impl Factors {
    /// The factors of a card with this identification code (if known) and ATR (if known).
    pub fn new(card_id: Option<Vec<u8>>, atr: Option<&[u8]>) -> Factors {
        Factors {
            card_id,
            atr_historical: atr
                .and_then(|a| crate::atr::Atr::parse(a).ok())
                .map(|a| a.historical.bytes),
            atr: atr.map(<[u8]>::to_vec),
        }
    }

    /// The 8-byte factor `source` gives, for key `key`.
    pub fn factor(
        &self,
        source: FactorSource,
        key: &str,
    ) -> Result<[u8; FACTOR_LEN], KeyFileError> {
        use crate::crypto::derive::{last8, region_7378};
        const CARD_ID_HINT: &str = "give the card identification code (`init --card-id HEX`; \
             `read`, `verify` and `enable` take it from `--record FILE`)";
        const ATR_HINT: &str = "it is read from the card in the reader (`init --dry-run` \
             takes it from `--atr HEX`)";
        let (v, name, hint) = match source {
            FactorSource::CardIdLast8 | FactorSource::RegionAscii7378 => {
                (&self.card_id, "the card identification code", CARD_ID_HINT)
            }
            FactorSource::AtrHistoricalLast8 => {
                (&self.atr_historical, "the ATR historical bytes", ATR_HINT)
            }
            FactorSource::AtrLast8 => (&self.atr, "the ATR", ATR_HINT),
        };
        let v = v.as_ref().ok_or_else(|| KeyFileError::MissingFactor {
            key: key.to_string(),
            source_name: name,
            hint,
        })?;
        let short = || KeyFileError::ShortFactor {
            key: key.to_string(),
            source_name: name,
            len: v.len(),
        };
        match source {
            // The region is the card identification code's first 6 digits (3 BCD bytes).
            FactorSource::RegionAscii7378 => {
                let region = hex::encode_upper(v.get(..3).ok_or_else(short)?);
                region_7378(&region).ok_or_else(short)
            }
            _ => last8(v).ok_or_else(short),
        }
    }

    /// The diversification chain of key `key`: each level of `chain` with its factor bytes
    /// computed from these card values. A key source applies it to its master key.
    pub fn chain(&self, chain: &[FactorSource], key: &str) -> Result<Chain, KeyFileError> {
        let mut levels = Vec::with_capacity(chain.len());
        for &source in chain {
            levels.push(Level {
                source: source.as_str().to_string(),
                factor: self.factor(source, key)?,
            });
        }
        Ok(Chain { levels })
    }
}

impl KeyFile {
    /// A key file with no keys (for profiles that load none).
    pub fn empty() -> KeyFile {
        KeyFile {
            file: PathBuf::from("(no key file)"),
            description: None,
            keys: std::collections::HashMap::new(),
            pins: BTreeMap::new(),
        }
    }

    /// The file the keys were read from.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Loads a key file.
    pub fn load(path: &Path) -> Result<KeyFile, KeyFileError> {
        let text = crate::input::read_text(path, crate::input::TEXT_MAX).map_err(|source| {
            KeyFileError::Io {
                file: path.to_path_buf(),
                source,
            }
        })?;
        Self::parse(&text, path)
    }

    /// Parses key-file text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<KeyFile, KeyFileError> {
        let raw: RawKeyFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            let msg = crate::input::plain(e.message().trim());
            KeyFileError::Syntax {
                file: file.to_path_buf(),
                line,
                column,
                table: table_above(text, line),
                message: if msg.contains('"') || msg.contains('\'') {
                    "malformed entry (the parser's text is not shown because it could quote a key)"
                        .into()
                } else {
                    msg.to_string()
                },
            }
        })?;
        let mut keys = std::collections::HashMap::new();
        for (name, entry) in raw.keys {
            for (alg, v) in [(Algorithm::Sm4, entry.sm4), (Algorithm::Tdes, entry.tdes)] {
                if let Some(hex) = v {
                    let key = Key::from_hex(alg, &hex).map_err(|source| KeyFileError::BadKey {
                        file: file.to_path_buf(),
                        key: name.clone(),
                        alg,
                        source,
                    })?;
                    keys.insert((name.clone(), alg), key);
                }
            }
        }
        let mut pins = BTreeMap::new();
        for (name, p) in raw.pins {
            // Check the form now; keep the digits.
            crate::crypto::encode_pin(&p.initial).map_err(|source| KeyFileError::BadPin {
                file: file.to_path_buf(),
                pin: name.clone(),
                source,
            })?;
            pins.insert(name, Secret::new(p.initial.into_bytes()));
        }
        Ok(KeyFile {
            file: file.to_path_buf(),
            description: raw.description,
            keys,
            pins,
        })
    }

    /// The 3DES master keys by name, sorted (for loading them into a test HSM token).
    pub fn tdes_masters(&self) -> Vec<(&str, &Key)> {
        let mut out: Vec<(&str, &Key)> = self
            .keys
            .iter()
            .filter(|((_, alg), _)| *alg == Algorithm::Tdes)
            .map(|((name, _), key)| (name.as_str(), key))
            .collect();
        out.sort_by_key(|(name, _)| *name);
        out
    }

    /// The master key for a profile key.
    pub fn master(&self, spec: &KeySpec) -> Result<&Key, KeyFileError> {
        self.keys
            .get(&(spec.name.clone(), spec.algorithm))
            .ok_or_else(|| KeyFileError::MissingKey {
                file: self.file.clone(),
                key: spec.name.clone(),
                alg: spec.algorithm,
            })
    }

    /// Every master key of the file as (key name, key), sorted by name then algorithm (3DES
    /// first). What `sscard sim --psam --load-keys` loads into a virtual PSAM.
    pub fn masters(&self) -> Vec<(&str, &Key)> {
        let mut out: Vec<(&str, &Key)> = self
            .keys
            .iter()
            .map(|((name, _), key)| (name.as_str(), key))
            .collect();
        out.sort_by_key(|(name, key)| (*name, key.alg.code()));
        out
    }

    /// The key this card holds: the master key, diversified when the profile says so.
    pub fn card_key(&self, spec: &KeySpec, factors: &Factors) -> Result<Key, KeyFileError> {
        let master = self.master(spec)?;
        let chain = factors.chain(&spec.diversification, &spec.name)?;
        chain
            .apply(master)
            .map_err(|source| KeyFileError::Diversify {
                key: spec.name.clone(),
                source,
            })
    }

    /// The initial PIN digits: the key file's override, else the profile's.
    pub fn initial_pin(&self, spec: &PinSpec) -> Secret {
        self.pins
            .get(&spec.name)
            .cloned()
            .unwrap_or_else(|| Secret::new(spec.initial.clone().into_bytes()))
    }

    /// Checks that every key of `profile` has a master key here (all missing ones at once).
    pub fn check(&self, profile: &Profile) -> Result<(), Vec<KeyFileError>> {
        let errs: Vec<KeyFileError> = profile
            .all_keys()
            .into_iter()
            .filter_map(|(_, k)| self.master(k).err())
            .collect();
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}
