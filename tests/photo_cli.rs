//! `sscard photo write|read` and the photo in `sscard read --json`, as an operator runs them on
//! the in-process virtual card (`--reader sim:IMAGE`). Pictures are made here (photo_util).

mod photo_util;

use photo_util::{avatar_png, noise_png};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn path(rel: &str) -> String {
    root().join(rel).display().to_string()
}

fn sscard(image: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(image: &Path, args: &[&str]) -> String {
    let out = sscard(image, args);
    assert!(out.status.success(), "sscard {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A personalized, enabled ssc-3.00 virtual card (the demo's holder) in `dir`.
fn demo_card(dir: &Path) -> PathBuf {
    let image = dir.join("card.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .args(["demo", "--image", image.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    image
}

/// `sscard photo read --out JPG`, without --profile: the card's generation picks the profile.
fn photo_read(image: &Path, jpg: &Path) -> Output {
    sscard(image, &["photo", "read", "--out", jpg.to_str().unwrap()])
}

fn photo_json(image: &Path) -> serde_json::Value {
    let (p, k) = (
        path("card-profiles/ssc-3.00.toml"),
        path("card-profiles/test-keys.toml"),
    );
    let json = ok(
        image,
        &[
            "read",
            "--profile",
            &p,
            "--keys",
            &k,
            "--card-id",
            CARD_ID,
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    doc["photo"].clone()
}

#[test]
fn photo_write_then_read_out_and_read_json_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo_card(dir.path());
    let (p, k) = (
        path("card-profiles/ssc-3.00.toml"),
        path("card-profiles/test-keys.toml"),
    );
    assert_eq!(
        photo_json(&image),
        serde_json::json!({"file": "EF08", "on_card": true, "present": false, "bytes": null})
    );
    let png = dir.path().join("holder.png");
    std::fs::write(&png, avatar_png(480, 640)).unwrap();
    let saved = dir.path().join("made.jpg");
    let png_s = png.to_str().unwrap();
    let traced = sscard(
        &image,
        &[
            "--trace",
            "photo",
            "write",
            "--profile",
            &p,
            "--keys",
            &k,
            "--save",
            saved.to_str().unwrap(),
            png_s,
        ],
    );
    assert!(traced.status.success(), "{}", text(&traced));
    let out = String::from_utf8_lossy(&traced.stdout).into_owned();
    assert!(
        out.contains("PNG 480x640 -> baseline JPEG 150x180"),
        "{out}"
    );
    assert!(out.contains("read back: identical"), "{out}");
    // Without --card-id the card identification code is read from EF05 (free on 3.00) for the
    // key diversification, then the write key 04 is used.
    let trace = String::from_utf8_lossy(&traced.stderr).into_owned();
    assert!(trace.contains("> 00 B2 01 28"), "{trace}");
    assert_eq!(
        trace.matches("> 00 A4 04").count(),
        1,
        "one SELECT of SSSE: {trace}"
    );
    assert!(trace.contains("> 00 82 00 04 10 ******"), "{trace}");
    let made = std::fs::read(&saved).unwrap();
    assert!(made.len() <= 4096);

    let jpg = dir.path().join("back.jpg");
    let out = photo_read(&image, &jpg);
    assert!(out.status.success(), "{}", text(&out));
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.contains("JPEG 150x180"), "{out}");
    assert_eq!(
        std::fs::read(&jpg).unwrap(),
        made,
        "the card's photo = the JPEG made"
    );
    assert_eq!(
        photo_json(&image),
        serde_json::json!({"file": "EF08", "on_card": true, "present": true, "bytes": made.len()})
    );
}

#[test]
fn photo_write_refuses_what_it_cannot_use_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = demo_card(dir.path());
    let before = std::fs::read(&image).unwrap();
    let (p, k) = (
        path("card-profiles/ssc-3.00.toml"),
        path("card-profiles/test-keys.toml"),
    );

    // Not a picture.
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, "not a picture").unwrap();
    let out = sscard(
        &image,
        &[
            "photo",
            "write",
            "--profile",
            &p,
            "--keys",
            &k,
            txt.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not a JPEG or PNG"), "{}", text(&out));

    // Too complex for a 1024-byte photo file (a profile copy with a smaller EF08).
    let small = dir.path().join("small.toml");
    let profile = std::fs::read_to_string(&p)
        .unwrap()
        .replace("size = 4096", "size = 1024");
    std::fs::write(&small, profile).unwrap();
    let noise = dir.path().join("noise.png");
    std::fs::write(&noise, noise_png(150, 180)).unwrap();
    let out = sscard(
        &image,
        &[
            "photo",
            "write",
            "--profile",
            small.to_str().unwrap(),
            "--keys",
            &k,
            noise.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("does not fit the card"),
        "{}",
        text(&out)
    );

    // No key file: the write key is needed.
    let png = dir.path().join("holder.png");
    std::fs::write(&png, avatar_png(150, 180)).unwrap();
    let out = sscard(
        &image,
        &["photo", "write", "--profile", &p, png.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--keys"), "{}", text(&out));

    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "the card was not touched"
    );

    // Reading a card without a photo says so.
    let jpg = dir.path().join("none.jpg");
    let out = photo_read(&image, &jpg);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("holds no photo"), "{}", text(&out));
    assert!(!jpg.exists());
}
