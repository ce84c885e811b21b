//! `--pkcs11 MODULE.so --token LABEL`: the HSM key source ([`sscard::hsm::Pkcs11Source`]),
//! with the `[pkcs11]` table of the configuration (labels, mechanism numbers).

use anyhow::Result;
use sscard::crypto::Secret;
use sscard::hsm::{HsmError, Pkcs11Source};
use sscard::session::{SharedSource, shared};
use std::path::Path;

/// Opens the HSM token `token` through the PKCS#11 module `module`; `pin` asks for the user
/// PIN, only once the module is known to be there.
pub fn open(module: &Path, token: &str, pin: fn() -> Result<Secret>) -> Result<SharedSource> {
    if !module.is_file() {
        return Err(HsmError::ModuleMissing {
            module: module.to_path_buf(),
        }
        .into());
    }
    let config = sscard::config::Config::load()?.pkcs11.unwrap_or_default();
    let pin = pin()?;
    Ok(shared(Pkcs11Source::open(module, token, &pin, &config)?))
}
