//! Shared by the diagnose and conformance tests: personalized virtual cards in every state,
//! built with the perso library (init + perso + enable), and running the CLI on them.
#![allow(dead_code)]

use sscard::perso::Station;
use sscard::perso::demo::{self, DEMO_CARD_ID, demo_holder, shipped_keys, shipped_profile};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, VirtualCard};
use std::path::{Path, PathBuf};
use std::process::Output;

pub const SSC_200: &str = sscard::perso::demo::SSC_200;
pub const SSC_300: &str = sscard::perso::demo::SSC_300;

/// The repository's file, absolute.
pub fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// A card personalized and enabled with the demo holder, with `profile_text`.
pub fn personalized(dir: &Path, profile_text: &str, name: &str) -> PathBuf {
    let path = dir.join("card.json");
    let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
    let run = demo::run(&mut t, profile_text, name).unwrap();
    assert!(run.perso.enabled, "the demo card is enabled");
    use sscard::transport::Transport;
    t.close().unwrap();
    path
}

/// A card only initialised (structure, keys, PIN), never personalized nor enabled.
pub fn initialised_only(dir: &Path) -> PathBuf {
    let path = dir.join("card.json");
    let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
    let profile = shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    demo::init_card(&mut t, &profile, &shipped_keys().unwrap(), DEMO_CARD_ID).unwrap();
    use sscard::transport::Transport;
    t.close().unwrap();
    path
}

/// Changes the card in the image file.
pub fn edit(path: &Path, f: impl FnOnce(&mut VirtualCard)) {
    let mut card = VirtualCard::load_or_create(path).unwrap();
    f(&mut card);
    card.save(path).unwrap();
}

/// Changes EF08 (the photo file, in the SSSE DDF1) in the image file.
pub fn edit_ef08(path: &Path, f: impl FnOnce(&mut sscard::sim::fs::Node)) {
    edit(path, |c| {
        let fid =
            |n: &sscard::sim::fs::Node, want: &str| n.fid.is_some_and(|x| x.to_string() == want);
        let mf = &c.state().mf;
        let i = mf.children.iter().position(|n| fid(n, "DDF1")).unwrap();
        let j = mf.children[i]
            .children
            .iter()
            .position(|n| fid(n, "EF08"))
            .unwrap();
        f(c.node_mut(&[i, j]).unwrap());
    });
}

/// Sets the fault configuration.
pub fn faults(path: &Path, fc: FaultConfig) {
    edit(path, |c| c.set_faults(fc));
}

/// Opens the card as a transport (the same as `--reader sim:PATH`).
pub fn open(path: &Path) -> Box<dyn sscard::transport::Transport> {
    sscard::sim::transport::open(path).unwrap()
}

/// Disables (deactivates) the application with the library, as `sscard disable` does.
pub fn disable(path: &Path, profile_text: &str) {
    let profile = shipped_profile(profile_text, "p.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo_holder()).unwrap();
    let kf = shipped_keys().unwrap();
    let mut t = open(path);
    let keys = station.card_keys(Some(&kf), &values, &t.atr());
    {
        let mut tx = sscard::transport::Tx::begin(t.as_mut()).unwrap();
        let mut s = sscard::session::Session::new(&mut tx);
        assert!(sscard::perso::enable::disable(&mut s, &station.app, &keys).unwrap());
    }
    t.close().unwrap();
}

/// Runs `sscard ARGS... --reader sim:PATH`.
pub fn sscard(path: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(args)
        .arg("--reader")
        .arg(format!("sim:{}", path.display()))
        .env_remove("SSCARD_READER")
        .output()
        .unwrap()
}

/// Stdout as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
