//! The CLI on an in-process virtual card (`--reader sim:IMAGE`), shared by the CLI tests that
//! need no pcscd: the repository's files, one `sscard` run with a clean environment, and its
//! output as text for assertion messages.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of the repository, by its path from the root.
pub fn file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// `sscard --reader sim:IMAGE ARGS` with `env` set, and none of the station settings of the
/// machine running the tests (reader, region, configuration, log level).
pub fn run(image: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    for v in [
        "SSCARD_READER",
        "SSCARD_REGION",
        "SSCARD_CONFIG",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c.envs(env.iter().copied())
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args(args)
        .output()
        .unwrap()
}

/// [`run`] with no extra environment.
pub fn sscard(image: &Path, args: &[&str]) -> Output {
    run(image, args, &[])
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
