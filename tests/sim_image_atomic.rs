//! Saving a card image is atomic: a process killed in the middle of a save (half the new image
//! written, the new image written but not renamed, renamed) leaves the old image or the new
//! one, never a broken one, and the next run works on it. The kill is deterministic: the
//! `SSCARD_FAULT_SAVE` hook aborts the process at that point of the save.

use std::path::Path;
use std::process::{Command, Output};

fn repo(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

/// `sscard --reader sim:IMAGE init ...` (a save from a blank to an initialised card), with
/// the save fault `fault`.
fn init(image: &Path, fault: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.env_remove("SSCARD_READER")
        .env_remove("SSCARD_FAULT_SAVE")
        .args(["--reader", &format!("sim:{}", image.display())])
        .args(["init", "--profile", &repo("card-profiles/ssc-3.00.toml")])
        .args(["--keys", &repo("card-profiles/test-keys.toml")])
        .args(["--card-id", CARD_ID]);
    if let Some(f) = fault {
        c.env("SSCARD_FAULT_SAVE", f);
    }
    c.output().unwrap()
}

/// A blank card image (the "old" image).
fn blank(dir: &Path) -> std::path::PathBuf {
    let image = dir.join("card.json");
    let o = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(["sim", "--create", "--image"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    image
}

/// True when the image file holds an initialised card (the application DF exists).
fn initialised(image: &Path) -> bool {
    let card = sscard::sim::VirtualCard::load(image)
        .unwrap_or_else(|e| panic!("the image is broken after the kill: {e}"));
    card.state().mf.children.iter().any(|n| n.is_df())
}

#[test]
fn a_save_killed_before_the_rename_leaves_the_old_image_and_the_next_run_works() {
    for fault in ["mid-write", "before-rename"] {
        let dir = tempfile::tempdir().unwrap();
        let image = blank(dir.path());
        let old = std::fs::read(&image).unwrap();
        let o = init(&image, Some(fault));
        assert_eq!(o.status.code(), None, "{fault}: killed by the abort: {o:?}");
        // The half or whole temporary file is there, the image is the old one, byte for byte.
        let tmp: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert_eq!(tmp.len(), 1, "{fault}: the save had started");
        assert_eq!(
            std::fs::read(&image).unwrap(),
            old,
            "{fault}: the old image"
        );
        assert!(!initialised(&image), "{fault}");
        // The next run works on it (the leftover temporary file does not get in the way).
        let o = init(&image, None);
        assert!(o.status.success(), "{fault}: {o:?}");
        assert!(initialised(&image), "{fault}");
    }
}

#[test]
fn a_save_killed_after_the_rename_leaves_the_new_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = blank(dir.path());
    let o = init(&image, Some("after-rename"));
    assert_eq!(o.status.code(), None, "killed by the abort: {o:?}");
    assert!(initialised(&image), "the new image");
    let tmp: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(tmp.is_empty(), "no temporary file left: {tmp:?}");
}
