//! `sscard sim --psam`: make a virtual PSAM from a key file, or load keys into one.

use super::Args;
use anyhow::{Context, bail};
use sscard::crypto::Secret;
use sscard::profile::keys::KeyFile;
use sscard::sim::VirtualCard;
use sscard::sim::psam::{DEFAULT_TERMINAL_NO, PsamKeys, PsamSetup, keys_from_file, usage_by_code};
use std::path::Path;

/// The environment variable the PSAM PIN comes from (never a flag: it would show in the
/// process list).
pub const PIN_ENV: &str = "SSCARD_PSAM_PIN";

/// Writes a new PSAM image at `image` (`--psam --create`): keys from `--load-keys`, the
/// terminal number from `--terminal-no`, the PIN from `SSCARD_PSAM_PIN` (if set).
pub fn create(args: &Args, image: &Path) -> anyhow::Result<()> {
    let Some(file) = &args.load_keys else {
        bail!(
            "a PSAM needs its master keys: add --load-keys KEYFILE (for tests: \
             card-profiles/test-keys.toml)"
        );
    };
    let kf = KeyFile::load(file)?;
    let keys = keys_from_file(&kf)?;
    let pin = match std::env::var(PIN_ENV) {
        Ok(v) if !v.is_empty() => Some(Secret::new(v.into_bytes())),
        Ok(_) => None,
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("{PIN_ENV} is not plain text: a PSAM PIN is 4 to 16 decimal digits")
        }
    };
    let setup = PsamSetup {
        keys,
        terminal_no: args
            .terminal_no
            .clone()
            .unwrap_or_else(|| DEFAULT_TERMINAL_NO.to_string()),
        pin,
    };
    let card = VirtualCard::new_psam(&setup)?;
    card.save(image)?;
    println!(
        "PSAM image written to {}: {}; terminal number {}; {}",
        image.display(),
        describe_keys(card.psam_keys()),
        setup.terminal_no,
        if setup.pin.is_some() {
            format!("PIN from {PIN_ENV}")
        } else {
            "no PIN".to_string()
        }
    );
    Ok(())
}

/// Loads the keys of `file` into the PSAM `card` (`--load-keys` on an existing image).
pub fn load(card: &mut VirtualCard, file: &Path, image: &Path) -> anyhow::Result<()> {
    let kf = KeyFile::load(file)?;
    let keys = keys_from_file(&kf)?;
    card.load_psam_keys(&keys)
        .with_context(|| format!("cannot load keys into {}", image.display()))?;
    println!(
        "{} master keys from {} loaded into the PSAM {}: {}",
        keys.len(),
        file.display(),
        image.display(),
        describe_keys(card.psam_keys())
    );
    Ok(())
}

/// `N master keys (usage/version name, ...)`: never values.
pub fn describe_keys(keys: Option<&PsamKeys>) -> String {
    let Some(keys) = keys else {
        return "not a PSAM".into();
    };
    let list: Vec<String> = keys
        .keys
        .iter()
        .map(|k| {
            format!(
                "{:02X}/{:02X} {}",
                k.usage,
                k.version(),
                usage_by_code(k.usage).map_or("?", |u| u.name)
            )
        })
        .collect();
    format!("{} master keys ({})", keys.keys.len(), list.join(", "))
}
