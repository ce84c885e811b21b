//! A PSAM dialect: how profile keys are addressed on a PSAM (key usage by key name, key
//! version by algorithm) and the named-block APDU script that computes. A TOML file beside
//! its script; the `pboc` dialect is built in. Format: docs/crypto.md "PSAM dialects".

use crate::crypto::Algorithm;
use crate::profile::KeySpec;
use crate::script::{Script, ScriptError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The blocks every dialect script has.
pub const BLOCKS: [&str; 5] = ["select", "terminal-number", "verify-pin", "encrypt", "mac"];

/// The built-in dialects: (name, TOML, script).
const BUILT_IN: [(&str, &str, &str); 1] = [(
    "pboc",
    include_str!("../../psam-dialects/pboc.toml"),
    include_str!("../../psam-dialects/pboc.apdu"),
)];

/// A dialect file that cannot be used.
#[derive(Debug, Error)]
pub enum DialectError {
    /// Not a built-in name and no such file.
    #[error(
        "PSAM dialect '{arg}': not a built-in dialect ({}) and not a readable file",
        BUILT_IN.map(|b| b.0).join(", ")
    )]
    Io {
        /// What was given.
        arg: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed.
    #[error("{}: {message}", file.display())]
    Format {
        /// The file.
        file: PathBuf,
        /// What is wrong (with line and column).
        message: String,
    },
    /// The script is malformed or lacks a block.
    #[error("PSAM dialect {}", file.display())]
    Script {
        /// The dialect file.
        file: PathBuf,
        /// The script's error.
        #[source]
        source: Box<ScriptError>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDialect {
    name: String,
    #[serde(default)]
    description: String,
    script: String,
    usage: BTreeMap<String, String>,
    version: BTreeMap<String, String>,
}

/// A loaded dialect.
#[derive(Debug, Clone)]
pub struct Dialect {
    /// Its name (`pboc`).
    pub name: String,
    /// Where it came from, for messages (`pboc (built in)` or the TOML file).
    pub origin: String,
    /// What it is.
    pub description: String,
    usage: BTreeMap<String, u8>,
    version: std::collections::HashMap<Algorithm, u8>,
    /// The script with the blocks.
    pub script: Script,
}

fn hex_byte(file: &Path, table: &str, key: &str, v: &str) -> Result<u8, DialectError> {
    let t = v.trim();
    (t.len() == 2)
        .then(|| u8::from_str_radix(t, 16).ok())
        .flatten()
        .ok_or_else(|| DialectError::Format {
            file: file.to_path_buf(),
            message: format!(
                "[{table}] {key} = \"{v}\": write one byte as 2 hex digits, e.g. \"20\""
            ),
        })
}

impl Dialect {
    /// A built-in dialect by name, or a dialect TOML file (its script relative to it).
    pub fn load(arg: &str) -> Result<Dialect, DialectError> {
        if let Some((name, toml, apdu)) = BUILT_IN.iter().find(|b| b.0 == arg) {
            let file = PathBuf::from(format!("psam-dialects/{name}.toml"));
            let script = Script::parse_str(Path::new(&format!("psam-dialects/{name}.apdu")), apdu)
                .map_err(|source| DialectError::Script {
                    file: file.clone(),
                    source: Box::new(source),
                })?;
            return Self::parse(toml, &file, format!("{name} (built in)"), Some(script));
        }
        let path = Path::new(arg);
        let text = crate::input::read_text(path, crate::input::TEXT_MAX).map_err(|source| {
            DialectError::Io {
                arg: arg.to_string(),
                source,
            }
        })?;
        Self::parse(&text, path, path.display().to_string(), None)
    }

    /// Parses dialect TOML; `script` is the already loaded script (else the file it names
    /// is loaded, relative to `file`).
    pub fn parse(
        text: &str,
        file: &Path,
        origin: String,
        script: Option<Script>,
    ) -> Result<Dialect, DialectError> {
        let raw: RawDialect = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map_or((0, 0), |s| crate::profile::line_col(text, s.start));
            DialectError::Format {
                file: file.to_path_buf(),
                message: format!("{line}:{col}: {}", crate::input::plain(e.message().trim())),
            }
        })?;
        let script = match script {
            Some(s) => s,
            None => {
                let p = file.parent().unwrap_or(Path::new(".")).join(&raw.script);
                Script::load(&p).map_err(|source| DialectError::Script {
                    file: file.to_path_buf(),
                    source: Box::new(source),
                })?
            }
        };
        if let Some(missing) = BLOCKS.iter().find(|b| !script.has_block(b)) {
            return Err(DialectError::Format {
                file: file.to_path_buf(),
                message: format!(
                    "its script {} has no block '{missing}' (a dialect has the blocks {})",
                    script.path().display(),
                    BLOCKS.join(", ")
                ),
            });
        }
        let mut usage = BTreeMap::new();
        for (k, v) in &raw.usage {
            usage.insert(k.clone(), hex_byte(file, "usage", k, v)?);
        }
        let mut version = std::collections::HashMap::new();
        for (k, v) in &raw.version {
            let alg = match k.as_str() {
                "3des" => Algorithm::Tdes,
                "sm4" => Algorithm::Sm4,
                other => {
                    return Err(DialectError::Format {
                        file: file.to_path_buf(),
                        message: format!(
                            "[version] {other}: sscard computes with \"3des\" and \"sm4\" only"
                        ),
                    });
                }
            };
            version.insert(alg, hex_byte(file, "version", k, v)?);
        }
        Ok(Dialect {
            name: raw.name,
            origin,
            description: raw.description,
            usage,
            version,
            script,
        })
    }

    /// KEY_USAGE and KEY_VERSION of a profile key; `Err` names the key and the dialect.
    pub fn address(&self, spec: &KeySpec) -> Result<(u8, u8), String> {
        let usage = self.usage.get(&spec.name).ok_or_else(|| {
            format!(
                "the PSAM dialect {} has no key usage for key '{}' (add `{} = \"NN\"` under [usage])",
                self.origin, spec.name, spec.name
            )
        })?;
        let version = self.version.get(&spec.algorithm).ok_or_else(|| {
            format!(
                "the PSAM dialect {} has no key version for {} (key '{}'; add it under [version])",
                self.origin, spec.algorithm, spec.name
            )
        })?;
        Ok((*usage, *version))
    }
}
