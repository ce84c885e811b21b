//! The station's configuration without code changes: which reader, which card profile, where
//! the keys come from, the terminal numbers and where a PIN pad's PIN comes from.
//!
//! Used by the C library (`libsscard.so`, [`crate::ffi`]) and meant for every program of the
//! package. Sources, later ones overriding earlier ones field by field:
//! 1. `/etc/sscard/sscard.toml` (the system's), then `~/.config/sscard/sscard.toml` (the user's);
//!    when `SSCARD_CONFIG` names a file, that file is read instead of both;
//! 2. environment variables `SSCARD_READER`, `SSCARD_PROTOCOL`, `SSCARD_PROFILE`, `SSCARD_KEYS`
//!    (a key file path), `SSCARD_TERMINAL_NO`, `SSCARD_TERMINAL_DEVICE`, `SSCARD_PIN_SOURCE`,
//!    `SSCARD_REGION`.
//!
//! ```toml
//! reader = "Virtual PCD 00 00"      # index, exact name or unique part; default: the reader with a card
//! protocol = "any"                  # any, T0 or T1
//! profile = "ssc-3.00"              # a profile name (`sscard profile list`) or a .toml file
//! region = "/etc/sscard/regions/110100.toml"  # products on record, approved profiles
//!
//! [keys]                            # where the card keys come from
//! source = "file"                   # "none" | "file" (later: "psam", "pkcs11")
//! path = "/etc/sscard/keys.toml"
//!
//! [terminal]                        # the two last fields of the iReadCardBas line
//! number = "000000000000"
//! device = "FFFFFFFFFFFFFF"
//!
//! [pinpad]                          # where iVerifyPIN/iChangePIN get the holder's PIN
//! source = "env"                    # "env" (SSCARD_PIN, SSCARD_NEW_PIN) | "command" | "none"
//!
//! [pkcs11]                          # an HSM key source (`--pkcs11 MODULE.so --token LABEL`)
//! label_prefix = ""                 # master key label = prefix + profile key name
//! des3_derive = 0x1102              # mechanism numbers: docs/crypto.md, "HSM over PKCS#11"
//! ```
//! Unknown keys are refused, with the file and line.

use crate::error::ErrorChain;
use crate::transport::pcsc::ProtocolChoice;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The system-wide configuration file.
pub const SYSTEM_FILE: &str = "/etc/sscard/sscard.toml";
/// The user's configuration file, below `$HOME`.
pub const USER_FILE: &str = ".config/sscard/sscard.toml";

/// The whole configuration. Every field is optional: a missing one keeps the default (or the
/// value of an earlier source).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The reader: index, exact name or a unique part of the name. `None`: the one reader that
    /// holds a card.
    pub reader: Option<String>,
    /// The transmission protocol: `any`, `T0` or `T1`.
    pub protocol: Option<String>,
    /// The card profile: a path to a profile file, or a profile name.
    pub profile: Option<String>,
    /// The region file (a name or a .toml file): the card products on record and the approved
    /// profiles. Set, `init`/`perso`/`conformance` check them ([`crate::region`]).
    pub region: Option<String>,
    /// Where the card keys come from.
    pub keys: Option<KeySource>,
    /// Terminal numbers shown in the `iReadCardBas` line.
    #[serde(default)]
    pub terminal: TerminalConfig,
    /// Where the PIN-pad variants of the reader interface get the holder's PIN.
    pub pinpad: Option<PinSource>,
    /// How master keys are found in a PKCS#11 HSM and which mechanisms it is asked for
    /// (`[pkcs11]`, docs/crypto.md "HSM over PKCS#11"); `None`: the standard ones.
    pub pkcs11: Option<crate::hsm::Pkcs11Config>,
}

/// Where the card keys come from. New sources (a PSAM in a second reader, a PKCS#11 HSM) are
/// new variants with their own fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeySource {
    /// No keys: only what the card gives without authentication can be read.
    None,
    /// A soft key file (card-profiles/README.md, "Key files"): for test cards and training.
    File {
        /// The key file.
        path: PathBuf,
    },
}

/// The terminal numbers of the `iReadCardBas` line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// Terminal number (12 characters; `000000000000` without a PSAM).
    pub number: Option<String>,
    /// Terminal device number (the reader's serial; `FFFFFFFFFFFFFF` when unknown).
    pub device: Option<String>,
}

/// Where a PIN-pad function gets the holder's PIN.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum PinSource {
    /// No PIN pad: the PIN-pad functions answer "not supported" (use the `...K` variants).
    None,
    /// The environment: `SSCARD_PIN` (the PIN, or the old PIN) and `SSCARD_NEW_PIN`.
    Env,
    /// A program that asks the holder (a PIN pad's helper): run with one argument, `pin` or
    /// `new-pin`, it prints the digits on its standard output.
    Command {
        /// The program and its first arguments.
        command: Vec<String>,
    },
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid (the message has the line and column).
    #[error("the configuration file {path} is not valid: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// A value is not valid.
    #[error("{what} is not valid: {reason}")]
    Value {
        /// Which setting (and from where).
        what: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

impl Config {
    /// Parses one configuration file's text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            reason: e.chain().to_string().trim().replace('\n', " "),
        })
    }

    /// Reads one configuration file.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// `over`'s settings replace this one's, field by field.
    pub fn merge(self, over: Config) -> Config {
        Config {
            reader: over.reader.or(self.reader),
            protocol: over.protocol.or(self.protocol),
            profile: over.profile.or(self.profile),
            region: over.region.or(self.region),
            keys: over.keys.or(self.keys),
            terminal: TerminalConfig {
                number: over.terminal.number.or(self.terminal.number),
                device: over.terminal.device.or(self.terminal.device),
            },
            pinpad: over.pinpad.or(self.pinpad),
            pkcs11: over.pkcs11.or(self.pkcs11),
        }
    }

    /// The settings given by `SSCARD_*` variables (`env` looks a variable up; empty values
    /// count as not set).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let pinpad = match get("SSCARD_PIN_SOURCE").as_deref() {
            None => None,
            Some("env") => Some(PinSource::Env),
            Some("none") => Some(PinSource::None),
            Some(other) => {
                return Err(ConfigError::Value {
                    what: "SSCARD_PIN_SOURCE".into(),
                    reason: format!(
                        "`{other}`: use env or none (a PIN-pad command is set in the configuration file)"
                    ),
                });
            }
        };
        Ok(Config {
            reader: get("SSCARD_READER"),
            protocol: get("SSCARD_PROTOCOL"),
            profile: get("SSCARD_PROFILE"),
            region: get("SSCARD_REGION"),
            keys: get("SSCARD_KEYS").map(|p| KeySource::File { path: p.into() }),
            terminal: TerminalConfig {
                number: get("SSCARD_TERMINAL_NO"),
                device: get("SSCARD_TERMINAL_DEVICE"),
            },
            pinpad,
            pkcs11: None,
        })
    }

    /// The files read, in order: `SSCARD_CONFIG` alone when set, else the system file and the
    /// user's file (those that exist).
    pub fn files(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
        if let Some(p) = env("SSCARD_CONFIG").filter(|v| !v.trim().is_empty()) {
            return vec![PathBuf::from(p)];
        }
        let mut out = vec![PathBuf::from(SYSTEM_FILE)];
        if let Some(home) = env("HOME").filter(|v| !v.trim().is_empty()) {
            out.push(Path::new(&home).join(USER_FILE));
        }
        out.into_iter().filter(|p| p.exists()).collect()
    }

    /// The configuration from the files and the environment of `env`. A file named by
    /// `SSCARD_CONFIG` must exist.
    pub fn load_with(env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        for path in Self::files(env) {
            cfg = cfg.merge(Self::read(&path)?);
        }
        Ok(cfg.merge(Self::from_env(env)?))
    }

    /// The configuration of this process (files and `SSCARD_*` variables).
    pub fn load() -> Result<Config, ConfigError> {
        Self::load_with(&|k| std::env::var(k).ok())
    }

    /// The protocol setting, checked.
    pub fn protocol_choice(&self) -> Result<ProtocolChoice, ConfigError> {
        match &self.protocol {
            None => Ok(ProtocolChoice::Any),
            Some(p) => p.parse().map_err(|reason| ConfigError::Value {
                what: "protocol (SSCARD_PROTOCOL)".into(),
                reason,
            }),
        }
    }

    /// The profile file: the setting when it names a file, else `NAME.toml` in the profile
    /// folders (`/etc/sscard/profiles`, `/usr/share/sscard/profiles`). `None` when
    /// no profile is configured.
    pub fn profile_path(&self) -> Result<Option<PathBuf>, ConfigError> {
        let Some(p) = self.profile.as_deref() else {
            return Ok(None);
        };
        let direct = PathBuf::from(p);
        if p.contains('/') || p.ends_with(".toml") || direct.exists() {
            return Ok(Some(direct));
        }
        for dir in PROFILE_DIRS {
            let f = Path::new(dir).join(format!("{p}.toml"));
            if f.exists() {
                return Ok(Some(f));
            }
        }
        Err(ConfigError::Value {
            what: format!("profile `{p}`"),
            reason: format!(
                "no file {p}.toml in {}: give the profile file's path",
                PROFILE_DIRS.join(" or ")
            ),
        })
    }

    /// The terminal number (default `000000000000`).
    pub fn terminal_number(&self) -> String {
        self.terminal
            .number
            .clone()
            .unwrap_or_else(|| "000000000000".into())
    }

    /// The terminal device number (default `FFFFFFFFFFFFFF`).
    pub fn terminal_device(&self) -> String {
        self.terminal
            .device
            .clone()
            .unwrap_or_else(|| "FFFFFFFFFFFFFF".into())
    }
}

/// Folders searched for a profile given by name.
pub const PROFILE_DIRS: &[&str] = &["/etc/sscard/profiles", "/usr/share/sscard/profiles"];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn a_full_file_parses() {
        let c = Config::parse(
            r#"reader = "Virtual PCD 00 00"
protocol = "T0"
profile = "/p/ssc-3.00.toml"
[keys]
source = "file"
path = "/k.toml"
[terminal]
number = "123456789012"
[pinpad]
source = "command"
command = ["/usr/lib/pinpad", "--beep"]
"#,
            Path::new("x.toml"),
        )
        .unwrap();
        assert_eq!(c.reader.as_deref(), Some("Virtual PCD 00 00"));
        assert_eq!(c.protocol_choice().unwrap(), ProtocolChoice::T0);
        assert_eq!(
            c.keys,
            Some(KeySource::File {
                path: "/k.toml".into()
            })
        );
        assert_eq!(c.terminal_number(), "123456789012");
        assert_eq!(c.terminal_device(), "FFFFFFFFFFFFFF");
        assert_eq!(
            c.pinpad,
            Some(PinSource::Command {
                command: vec!["/usr/lib/pinpad".into(), "--beep".into()]
            })
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_the_line() {
        let e = Config::parse(
            "reader = \"x\"\nreaderr = \"y\"\n",
            Path::new("/etc/x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/etc/x.toml"), "{e}");
        assert!(e.contains("readerr"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = Config::parse("[keys]\nsource = \"psam\"\n", Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("psam"), "{e}");
    }

    #[test]
    fn the_environment_wins_over_the_file_and_sscard_config_replaces_the_search() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "reader = \"file reader\"\nprofile = \"/a.toml\"\n").unwrap();
        let env = env_of(&[
            ("SSCARD_CONFIG", f.to_str().unwrap()),
            ("SSCARD_READER", "env reader"),
            ("SSCARD_KEYS", "/keys.toml"),
            ("SSCARD_PIN_SOURCE", "env"),
        ]);
        assert_eq!(Config::files(&env), vec![f.clone()]);
        let c = Config::load_with(&env).unwrap();
        assert_eq!(c.reader.as_deref(), Some("env reader"));
        assert_eq!(c.profile.as_deref(), Some("/a.toml"));
        assert_eq!(
            c.keys,
            Some(KeySource::File {
                path: "/keys.toml".into()
            })
        );
        assert_eq!(c.pinpad, Some(PinSource::Env));
        let bad = env_of(&[("SSCARD_CONFIG", "/nonexistent/sscard.toml")]);
        let e = Config::load_with(&bad).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/sscard.toml"), "{e}");
    }

    #[test]
    fn the_user_file_overrides_the_system_file_field_by_field() {
        let sys = Config::parse(
            "reader = \"a\"\nprofile = \"p\"\n[terminal]\nnumber = \"1\"\ndevice = \"2\"\n",
            Path::new("s"),
        )
        .unwrap();
        let user = Config::parse(
            "reader = \"b\"\n[terminal]\ndevice = \"3\"\n",
            Path::new("u"),
        )
        .unwrap();
        let c = sys.merge(user);
        assert_eq!(c.reader.as_deref(), Some("b"));
        assert_eq!(c.profile.as_deref(), Some("p"));
        assert_eq!(c.terminal_number(), "1");
        assert_eq!(c.terminal_device(), "3");
    }

    #[test]
    fn the_pkcs11_table_sets_label_prefix_and_mechanisms_and_refuses_unknown_keys() {
        let c = Config::parse(
            "[pkcs11]\nlabel_prefix = \"ssc-\"\nsm4_ecb = 0x80000012\n",
            Path::new("s"),
        )
        .unwrap();
        let p = c.pkcs11.clone().unwrap();
        assert_eq!(p.label("issuer"), "ssc-issuer");
        assert_eq!(p.des3_derive, 0x1102, "default kept");
        assert_eq!(p.sm4_ecb, Some(0x8000_0012));
        let c = Config::default().merge(c);
        assert!(c.pkcs11.is_some(), "merge keeps [pkcs11]");
        let e = Config::parse("[pkcs11]\nlabel = \"x\"\n", Path::new("s")).unwrap_err();
        assert!(e.to_string().contains("label"), "{e}");
    }

    #[test]
    fn a_bad_protocol_or_profile_name_says_what_to_do() {
        let c = Config {
            protocol: Some("T2".into()),
            profile: Some("no-such-profile-name".into()),
            ..Config::default()
        };
        assert!(c.protocol_choice().unwrap_err().to_string().contains("T0"));
        let e = c.profile_path().unwrap_err().to_string();
        assert!(e.contains("no-such-profile-name.toml"), "{e}");
    }
}
