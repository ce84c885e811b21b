//! Snapshots of what `sscard read` prints for a card personalized by the demo: the `--json`
//! document and the `--format ireadcardbas` line, for ssc-3.00 and ssc-2.00. The expected
//! files are in tests/snapshots/; to accept a deliberate change, run with
//! `SSCARD_UPDATE_SNAPSHOTS=1` and review the diff.

use sscard::perso::demo::{self, SSC_200, SSC_300};
use sscard::perso::read::to_json;
use sscard::sim::transport::{ImageCard, SimTransport};
use std::path::PathBuf;

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("SSCARD_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} missing ({e}); create it with SSCARD_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} differs (SSCARD_UPDATE_SNAPSHOTS=1 to accept)",
        path.display()
    );
}

fn snapshot(profile_text: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("c.json")).unwrap()).unwrap();
    let run = demo::run(&mut t, profile_text, &format!("{name}.toml")).unwrap();
    let mut doc = to_json(
        name,
        "社会保障系统环境 SSSE",
        &run.read.content,
        &run.read.decoded,
        &run.read.fields,
    );
    // `sscard read --json` adds the photo file's state (EF08).
    if let (Some(obj), Some(photo)) = (doc.as_object_mut(), run.read.photo.clone()) {
        obj.insert("photo".into(), photo);
    }
    check(
        &format!("read-{name}.json"),
        &(serde_json::to_string_pretty(&doc).unwrap() + "\n"),
    );
    check(
        &format!("ireadcardbas-{name}.txt"),
        &(run.read.ireadcardbas.clone() + "\n"),
    );
}

#[test]
fn read_outputs_ssc_300() {
    snapshot(SSC_300, "ssc-3.00");
}

#[test]
fn read_outputs_ssc_200() {
    snapshot(SSC_200, "ssc-2.00");
}
