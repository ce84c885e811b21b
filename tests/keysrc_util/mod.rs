//! What the key source tests share: the binary run without any station setting from the
//! environment, and the shipped synthetic test keys.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The shipped synthetic test key file.
pub fn test_keys() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("card-profiles/test-keys.toml")
        .display()
        .to_string()
}

/// `sscard ARGS` with no reader, key source or PIN from the caller's environment, then `env`.
pub fn sscard_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    for v in [
        "SSCARD_READER",
        "SSCARD_KEYS",
        "SSCARD_PSAM",
        "SSCARD_PKCS11",
        "SSCARD_TOKEN",
        "SSCARD_PSAM_PIN",
        "SSCARD_HSM_PIN",
        "SSCARD_PIN",
        "SSCARD_NEW_PIN",
    ] {
        c.env_remove(v);
    }
    c.envs(env.iter().copied()).args(args).output().unwrap()
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
