//! The key source options every authenticating command shares: exactly one of `--keys FILE`,
//! `--psam READER`, `--pkcs11 MODULE.so --token LABEL`, or the same from `SSCARD_KEYS`,
//! `SSCARD_PSAM`, `SSCARD_PKCS11` + `SSCARD_TOKEN`. PINs come from `SSCARD_PSAM_PIN` /
//! `SSCARD_HSM_PIN` or a prompt, never from a flag (a flag shows in the process list).

use anyhow::{Context, Result, bail};
use sscard::crypto::Secret;
use sscard::profile::keys::KeyFile;
use sscard::psam::{Dialect, PsamSource};
use sscard::session::{SharedSource, SoftKeys, shared};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where the card keys come from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// The key file with the master keys (test cards and rehearsals; env SSCARD_KEYS).
    #[arg(long, value_name = "KEYS.toml")]
    pub keys: Option<PathBuf>,
    /// The PSAM holding the master keys: its PC/SC reader (the SAM slot, e.g. 'Virtual PCD
    /// 00 01') or sim:psam.json (env SSCARD_PSAM; its PIN from SSCARD_PSAM_PIN).
    #[arg(long, value_name = "READER")]
    pub psam: Option<String>,
    /// The PSAM dialect: a built-in name (pboc) or a dialect TOML file (docs/crypto.md).
    #[arg(long, value_name = "NAME|FILE", default_value = "pboc")]
    pub psam_dialect: String,
    /// The PKCS#11 module of the HSM holding the master keys (env SSCARD_PKCS11; with
    /// --token; its PIN from SSCARD_HSM_PIN or a prompt).
    #[arg(long, value_name = "MODULE.so")]
    pub pkcs11: Option<PathBuf>,
    /// The HSM token's label (env SSCARD_TOKEN).
    #[arg(long, value_name = "LABEL")]
    pub token: Option<String>,
}

/// The chosen key source, opened.
pub struct Keys {
    /// The source the session asks for cryptograms and MACs.
    pub source: SharedSource,
    /// The key file, when the source is one (its initial PINs override the profile's).
    pub file: Option<KeyFile>,
}

/// Which source, before opening it.
#[derive(Debug, PartialEq, Eq)]
enum Choice {
    File(PathBuf),
    Psam(String),
    Pkcs11(PathBuf, Option<String>),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl KeyArgs {
    /// The key source of the command line, else of the environment; `None` when neither
    /// names one. Two sources at once is an error naming both.
    fn choice(&self) -> Result<Option<Choice>> {
        let flags: Vec<(&str, Choice)> = [
            self.keys.clone().map(|p| ("--keys", Choice::File(p))),
            self.psam.clone().map(|r| ("--psam", Choice::Psam(r))),
            self.pkcs11
                .clone()
                .map(|m| ("--pkcs11", Choice::Pkcs11(m, self.token.clone()))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.token.is_some() && self.pkcs11.is_none() && env("SSCARD_PKCS11").is_none() {
            bail!("--token names an HSM token: give the PKCS#11 module with --pkcs11 MODULE.so");
        }
        if let Some(c) = one(flags, "give one key source on the command line")? {
            return Ok(Some(c));
        }
        let from_env: Vec<(&str, Choice)> = [
            env("SSCARD_KEYS").map(|p| ("SSCARD_KEYS", Choice::File(p.into()))),
            env("SSCARD_PSAM").map(|r| ("SSCARD_PSAM", Choice::Psam(r))),
            env("SSCARD_PKCS11").map(|m| {
                let token = self.token.clone().or_else(|| env("SSCARD_TOKEN"));
                ("SSCARD_PKCS11", Choice::Pkcs11(m.into(), token))
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        one(from_env, "set one key source in the environment")
    }

    /// True when a key source is named (flag or environment).
    pub fn given(&self) -> Result<bool> {
        Ok(self.choice()?.is_some())
    }

    /// The key file, when the key source is one (for its initial PINs); nothing is opened
    /// otherwise.
    pub fn key_file(&self) -> Result<Option<KeyFile>> {
        match self.choice()? {
            Some(Choice::File(path)) => Ok(Some(KeyFile::load(&path)?)),
            _ => Ok(None),
        }
    }

    /// Opens the key source named by the flags or the environment; `None` when none is.
    pub fn open(&self) -> Result<Option<Keys>> {
        let Some(choice) = self.choice()? else {
            return Ok(None);
        };
        Ok(Some(match choice {
            Choice::File(path) => {
                let kf = KeyFile::load(&path)?;
                Keys {
                    source: shared(SoftKeys::new(kf.clone())),
                    file: Some(kf),
                }
            }
            Choice::Psam(reader) => {
                let dialect = Dialect::load(&self.psam_dialect).context("--psam-dialect")?;
                let pin = env("SSCARD_PSAM_PIN").map(|p| Secret::new(p.into_bytes()));
                let mut psam = PsamSource::open(&reader, dialect, pin.as_ref())
                    .with_context(|| format!("--psam {reader}"))?;
                if pin.is_none() && std::io::stdin().is_terminal() {
                    psam = psam.with_pin_prompt(Box::new(|| {
                        rpassword::prompt_password("PSAM PIN: ")
                            .ok()
                            .map(|p| Secret::new(p.into_bytes()))
                    }));
                }
                Keys {
                    source: shared(psam),
                    file: None,
                }
            }
            Choice::Pkcs11(module, token) => {
                let token = token
                    .context("--pkcs11 needs the token's label: --token LABEL (or SSCARD_TOKEN)")?;
                Keys {
                    source: super::keys_hsm::open(&module, &token, hsm_pin)?,
                    file: None,
                }
            }
        }))
    }

    /// Opens the key source; a command that cannot work without one says so.
    pub fn require(&self, purpose: &str) -> Result<Keys> {
        self.open()?.with_context(|| {
            format!(
                "{purpose} needs the card keys: give --keys KEYS.toml, --psam READER or \
                 --pkcs11 MODULE.so --token LABEL (or SSCARD_KEYS / SSCARD_PSAM / SSCARD_PKCS11)"
            )
        })
    }
}

fn one(mut found: Vec<(&str, Choice)>, what: &str) -> Result<Option<Choice>> {
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|f| f.0).collect();
        bail!(
            "{} name different key sources: {what} (--keys FILE, --psam READER or --pkcs11 MODULE.so --token LABEL)",
            names.join(" and ")
        );
    }
    Ok(found.pop().map(|f| f.1))
}

/// The HSM user PIN: `SSCARD_HSM_PIN`, else a prompt on a terminal.
pub(super) fn hsm_pin() -> Result<Secret> {
    if let Some(p) = env("SSCARD_HSM_PIN") {
        return Ok(Secret::new(p.into_bytes()));
    }
    if !std::io::stdin().is_terminal() {
        bail!("the HSM token's PIN: set SSCARD_HSM_PIN (no terminal to ask on)");
    }
    let p = rpassword::prompt_password("HSM token PIN: ").context("reading the HSM PIN")?;
    Ok(Secret::new(p.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(keys: Option<&str>, psam: Option<&str>, pkcs11: Option<&str>) -> KeyArgs {
        KeyArgs {
            keys: keys.map(PathBuf::from),
            psam: psam.map(str::to_string),
            psam_dialect: "pboc".into(),
            pkcs11: pkcs11.map(PathBuf::from),
            token: pkcs11.map(|_| "t".to_string()),
        }
    }

    #[test]
    fn two_sources_on_the_command_line_are_refused_naming_both() {
        let e = args(Some("k.toml"), Some("sim:p.json"), None)
            .choice()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--keys and --psam name different key sources"),
            "{e}"
        );
        let c = args(None, Some("Virtual PCD 00 01"), None)
            .choice()
            .unwrap();
        assert_eq!(c, Some(Choice::Psam("Virtual PCD 00 01".into())));
    }
}
