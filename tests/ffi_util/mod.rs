//! Shared by the C-library tests (`ffi_lib`, `pcscd_ffi`): where libsscard.so is, a
//! personalized virtual card image, a configuration file, and calls through Python's ctypes
//! (`tests/ffi/drive.py`).
#![allow(dead_code)]

use serde_json::Value;
use sscard::perso::demo;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python the tests drive the library with.
pub const PYTHON: &str = "/usr/bin/python3";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The target folder of this build (`target/debug`), found from the test binary's path.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary's folder");
    deps.parent().expect("the target folder").to_path_buf()
}

/// libsscard.so of this build: `target/debug/deps/libsscard.so`, built with the test binaries
/// (cargo refreshes `target/debug/libsscard.so` only on `cargo build`); fails naming the build
/// step when it is missing.
pub fn lib_path() -> PathBuf {
    let p = target_dir().join("deps").join("libsscard.so");
    assert!(
        p.exists(),
        "prerequisite missing: {} (the crate's cdylib; `cargo test` builds it with the tests)",
        p.display()
    );
    p
}

/// A personalized and enabled virtual card of `profile` ("ssc-2.00" or "ssc-3.00"), the demo
/// holder, saved to `dir/card.json`; a T=0 card when `t0`.
pub fn card_image(dir: &Path, profile: &str, t0: bool) -> PathBuf {
    let image = dir.join("card.json");
    let text = match profile {
        "ssc-2.00" => demo::SSC_200,
        _ => demo::SSC_300,
    };
    let mut t = SimTransport::new(ImageCard::open(&image).unwrap()).unwrap();
    demo::run(&mut t, text, &format!("{profile}.toml")).unwrap();
    t.close().unwrap();
    if t0 {
        // T=0 behaviour and the T=0 variant of the default ATR (same historical bytes).
        set_image(&image, "t0", Value::Bool(true));
        let atr = sscard::apdu::compact(&sscard::sim::DEFAULT_ATR_T0);
        set_image(&image, "atr", Value::String(atr));
    }
    image
}

/// Sets a top-level field of a card image (`t0`, `faults`).
pub fn set_image(image: &Path, key: &str, value: Value) {
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(image).unwrap()).unwrap();
    doc[key] = value;
    std::fs::write(image, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// A shipped profile's path.
pub fn profile_path(profile: &str) -> String {
    root()
        .join(format!("card-profiles/{profile}.toml"))
        .to_str()
        .unwrap()
        .to_string()
}

/// The test key file's path.
pub fn keys_path() -> String {
    root()
        .join("card-profiles/test-keys.toml")
        .to_str()
        .unwrap()
        .to_string()
}

/// Writes `dir/sscard.toml`: the reader, the profile, the test keys (when `keys`), PIN pad
/// from the environment, and `extra` lines.
pub fn config(dir: &Path, reader: &str, profile: &str, keys: bool, extra: &str) -> PathBuf {
    let mut text = format!(
        "reader = \"{reader}\"\nprofile = \"{}\"\n{extra}\n[pinpad]\nsource = \"env\"\n",
        profile_path(profile)
    );
    if keys {
        text.push_str(&format!(
            "[keys]\nsource = \"file\"\npath = \"{}\"\n",
            keys_path()
        ));
    }
    let p = dir.join("sscard.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// A command with a clean `SSCARD_*` environment and `HOME` in `dir` (no user file), reading
/// the configuration `cfg`.
pub fn clean(cmd: &mut Command, dir: &Path, cfg: &Path) {
    for (k, _) in std::env::vars() {
        if k.starts_with("SSCARD_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir).env("SSCARD_CONFIG", cfg);
}

/// Runs the ctypes driver with `calls` (see tests/ffi/drive.py) and `env`; returns one result
/// per call (`rc`, `out`, `overrun`).
pub fn drive(dir: &Path, cfg: &Path, env: &[(&str, &str)], calls: Value) -> Vec<Value> {
    assert!(
        Path::new(PYTHON).exists(),
        "prerequisite missing: {PYTHON} (apt-get install -y python3)"
    );
    let mut cmd = Command::new(PYTHON);
    cmd.arg(root().join("tests/ffi/drive.py"))
        .arg(lib_path())
        .arg(calls.to_string());
    clean(&mut cmd, dir, cfg);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run python3");
    assert!(
        out.status.success(),
        "drive.py failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("drive.py prints JSON");
    let list = v.as_array().expect("a list").clone();
    for r in &list {
        if let Some(o) = r.get("overrun") {
            assert_eq!(o, &Value::Bool(false), "a buffer overrun: {r}");
        }
    }
    list
}

/// The code and the first output text of one result.
pub fn rc_out(r: &Value) -> (i64, String) {
    (
        r["rc"].as_i64().expect("rc"),
        r["out"][0].as_str().unwrap_or_default().to_string(),
    )
}
