//! `sscard hsm import-test-keys`: loads the synthetic test master keys into a PKCS#11 test
//! token (SoftHSMv2), so a station's IT, and the test suite, can try `--pkcs11 ... --token ...`
//! end to end. Real master keys are loaded with the HSM's own tools, never from a file.

use super::Globals;
use anyhow::Result;
use sscard::hsm::{Pkcs11Config, import::import_tdes};
use sscard::profile::keys::KeyFile;
use std::path::PathBuf;
use std::process::ExitCode;

/// `sscard hsm` commands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Load a key file's 3DES master keys into a TEST token (for trials; SM4 keys are left out).
    ImportTestKeys(ImportArgs),
}

/// Arguments of `sscard hsm import-test-keys`. The token's user PIN comes from
/// `SSCARD_HSM_PIN` or a prompt.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The PKCS#11 module (SoftHSMv2: /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, value_name = "MODULE.so")]
    pub pkcs11: PathBuf,
    /// The token's label.
    #[arg(long, value_name = "LABEL")]
    pub token: String,
    /// The key file (card-profiles/test-keys.toml: synthetic keys).
    #[arg(long, value_name = "FILE")]
    pub keys: PathBuf,
    /// Label prefix (as `[pkcs11] label_prefix` in the configuration): label = prefix + key name.
    #[arg(long, default_value = "", value_name = "PREFIX")]
    pub label_prefix: String,
}

/// Runs `sscard hsm ...`.
pub fn run(cmd: Command, g: &Globals) -> Result<ExitCode> {
    let _ = g;
    let Command::ImportTestKeys(a) = cmd;
    let kf = KeyFile::load(&a.keys)?;
    let pin = super::keys::hsm_pin()?;
    let cfg = Pkcs11Config {
        label_prefix: a.label_prefix,
        ..Pkcs11Config::default()
    };
    let done = import_tdes(&a.pkcs11, &a.token, &pin, &kf, &cfg)?;
    println!(
        "token '{}': {} 3DES master keys written from {} ({} replaced): {}",
        a.token,
        done.labels.len(),
        a.keys.display(),
        done.replaced,
        done.labels.join(", ")
    );
    println!("for test cards only: a station's real master keys never come from a file");
    Ok(ExitCode::SUCCESS)
}
