//! `sscard diagnose` and the holder's photo (EF08, issue 10): whether the card holds one, its
//! size and whether it decodes as a JPEG, read-only; a damaged photo is DATA DAMAGED.

mod diag_util;
mod photo_util;

use diag_util::*;
use sscard::sim::fs::Hex;
use std::path::Path;

fn diagnose(card: &Path, json: bool) -> (i32, String) {
    let p = repo("card-profiles/ssc-3.00.toml");
    let mut args = vec!["diagnose", "--profile", &p, "--today", "20260101"];
    if json {
        args.push("--json");
    }
    let o = sscard(card, &args);
    (o.status.code().unwrap_or(-1), out(&o))
}

/// Puts `data` (padded with zeros to the file's size) into EF08 of the SSSE.
fn put_photo_bytes(card: &Path, data: &[u8]) {
    edit_ef08(card, |ef| {
        let mut v = data.to_vec();
        v.resize(ef.size.unwrap(), 0);
        ef.data = Some(Hex(v));
    });
}

#[test]
fn diagnose_says_whether_the_card_holds_a_photo_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_300, "ssc-3.00.toml");
    let (code, text) = diagnose(&card, false);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Photo     EF08: none (never written, or a write was cut)"),
        "{text}"
    );
    let (_, json) = diagnose(&card, true);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["photo"]["present"], false, "{json}");
    assert_eq!(v["photo"]["limit"], 4096, "{json}");

    // Write a photo as a station does, then diagnose again.
    let png = dir.path().join("holder.png");
    std::fs::write(&png, photo_util::avatar_png(480, 640)).unwrap();
    let (p, k) = (
        repo("card-profiles/ssc-3.00.toml"),
        repo("card-profiles/test-keys.toml"),
    );
    let o = sscard(
        &card,
        &[
            "photo",
            "write",
            "--profile",
            &p,
            "--keys",
            &k,
            png.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let before = std::fs::read(&card).unwrap();
    let (code, text) = diagnose(&card, false);
    assert_eq!(code, 0, "{text}");
    let line = text.lines().find(|l| l.starts_with("Photo")).unwrap();
    assert!(
        line.contains(" bytes, JPEG 150x180 (the file holds 4096)"),
        "{line}"
    );
    let (_, json) = diagnose(&card, true);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["photo"]["present"], true, "{json}");
    assert_eq!(
        v["photo"]["pixels"],
        serde_json::json!([150, 180]),
        "{json}"
    );
    let bytes = v["photo"]["bytes"].as_u64().unwrap();
    assert!(bytes > 500 && bytes <= 4096, "{bytes}");
    // Read-only: the card image is byte for byte what it was.
    assert_eq!(std::fs::read(&card).unwrap(), before);
}

#[test]
fn a_damaged_photo_is_data_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_300, "ssc-3.00.toml");
    // The start of a JPEG (SOI, an APP0 segment) and then nothing: no end marker.
    put_photo_bytes(
        &card,
        &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0x01],
    );
    let (code, text) = diagnose(&card, false);
    assert_eq!(code, 20, "{text}");
    assert!(text.contains("DATA DAMAGED"), "{text}");
    assert!(
        text.contains("the photo in EF08 on") && text.contains("no end marker"),
        "{text}"
    );
    assert!(text.contains("Photo     EF08: damaged"), "{text}");

    // Start and end markers but nothing between: not a picture.
    put_photo_bytes(&card, &[0xFF, 0xD8, 0xFF, 0xD9]);
    let (code, text) = diagnose(&card, false);
    assert_eq!(code, 20, "{text}");
    assert!(
        text.contains("Photo     EF08: 4 bytes that do not decode as a JPEG"),
        "{text}"
    );
}
