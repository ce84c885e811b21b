//! `--pkcs11 MODULE.so --token LABEL`: the HSM key source (helper `hsm` provides it).

use anyhow::{Result, bail};
use sscard::crypto::Secret;
use sscard::session::SharedSource;
use std::path::Path;

/// Opens the HSM token `token` through the PKCS#11 module `module`; `pin` asks for the user
/// PIN when it is needed.
pub fn open(module: &Path, token: &str, _pin: fn() -> Result<Secret>) -> Result<SharedSource> {
    bail!(
        "--pkcs11 {} --token {token}: the PKCS#11 (HSM) key source is not available in this build yet; \
         use --psam READER or --keys FILE",
        module.display()
    )
}
