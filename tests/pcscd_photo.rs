//! The photo file EF08 through a real private pcscd: the virtual card behind vpcd, `sscard
//! photo write|read` and `read --json` as a station runs them; then a card that loses power in
//! the middle of the photo, put back, and the same command finishing. Run with
//! `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;
mod photo_util;

use common::{PrivatePcscd, describe, stdout};
use photo_util::avatar_png;
use std::path::{Path, PathBuf};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn path(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn ok(pcscd: &PrivatePcscd, args: &[&str]) -> String {
    let out = pcscd.run(args);
    assert!(
        out.status.success(),
        "sscard {args:?}: {}\npcscd log:\n{}",
        describe(&out),
        pcscd.log()
    );
    stdout(&out)
}

/// A personalized ssc-3.00 virtual card image (the demo's holder) in `dir`, with `faults`.
fn demo_image(pcscd: &PrivatePcscd, dir: &Path, faults: &[&str]) -> PathBuf {
    let image = dir.join("card.json");
    let img = image.to_str().unwrap();
    ok(pcscd, &["demo", "--image", img]);
    if !faults.is_empty() {
        let mut a = vec!["sim", "--image", img];
        a.extend_from_slice(faults);
        ok(pcscd, &a);
    }
    image
}

/// `sscard read --json` through pcscd: the text and the document.
fn read_json(pcscd: &PrivatePcscd, reader: &str, p: &str, k: &str) -> (String, serde_json::Value) {
    let args = [
        "--reader",
        reader,
        "read",
        "--profile",
        p,
        "--keys",
        k,
        "--card-id",
        CARD_ID,
        "--json",
    ];
    let json = ok(pcscd, &args);
    let doc = serde_json::from_str(&json).unwrap();
    (json, doc)
}

fn write_args<'a>(reader: &'a str, p: &'a str, k: &'a str, png: &'a str) -> Vec<&'a str> {
    vec![
        "--reader",
        reader,
        "photo",
        "write",
        "--profile",
        p,
        "--keys",
        k,
        "--card-id",
        CARD_ID,
        png,
    ]
}

#[test]
fn photo_round_trip_and_a_cut_write_finished_through_pcscd() {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    // Power is lost at the 10th APDU after power-on: SELECT SSSE, GET CHALLENGE, EXTERNAL
    // AUTHENTICATE, SELECT EF08, the UPDATE BINARY over the start marker, then the chunks.
    let image = demo_image(&pcscd, dir.path(), &["--fault-power-loss-at", "10"]);
    let port = pcscd.port().to_string();
    let _card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port,
        "--image",
        image.to_str().unwrap(),
        "--reinsert-after-ms",
        "100",
    ]));
    pcscd.wait_card();
    let reader = pcscd.reader_name();
    let (p, k) = (
        path("card-profiles/ssc-3.00.toml"),
        path("card-profiles/test-keys.toml"),
    );
    let png = dir.path().join("holder.png");
    std::fs::write(&png, avatar_png(300, 360)).unwrap();
    let png_s = png.to_str().unwrap();
    let args = write_args(reader, &p, &k, png_s);

    let first = pcscd.run(&args);
    assert!(
        !first.status.success(),
        "power was lost: {}",
        describe(&first)
    );
    assert!(
        describe(&first).contains("run the same command again"),
        "{}",
        describe(&first)
    );
    pcscd.wait_card();
    let (json, doc) = read_json(&pcscd, reader, &p, &k);
    assert_eq!(
        doc["photo"]["present"], false,
        "a cut write leaves no photo: {json}"
    );

    let text = ok(&pcscd, &args);
    assert!(text.contains("read back: identical"), "{text}");
    let made: usize = text
        .lines()
        .next()
        .unwrap_or_default()
        .split(", ")
        .find_map(|w| w.strip_suffix(" bytes (file EF08 holds 4096)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in: {text}"));
    assert!(made <= 4096);

    let jpg = dir.path().join("back.jpg");
    let text = ok(
        &pcscd,
        &[
            "--reader",
            reader,
            "photo",
            "read",
            "--profile",
            &p,
            "--out",
            jpg.to_str().unwrap(),
        ],
    );
    assert!(text.contains("JPEG 150x180"), "{text}");
    let back = std::fs::read(&jpg).unwrap();
    assert_eq!(back.len(), made);
    assert_eq!(&back[..2], &[0xFF, 0xD8]);
    let (json, doc) = read_json(&pcscd, reader, &p, &k);
    assert_eq!(doc["photo"]["present"], true, "{json}");
    assert_eq!(doc["photo"]["bytes"], made, "{json}");
}
