//! `sscard sim --psam` as an operator runs it: creating a virtual PSAM from a key file,
//! loading keys into it, showing it, and using it in-process with `sscard send` / `sscard run`
//! (`--reader sim:psam.json`), including the shipped apdu-scripts/psam-probe.apdu.

use sscard::crypto::derive::{Chain, Level};
use sscard::crypto::{Algorithm, auth_cryptogram, mac, pad_method2};
use sscard::profile::keys::KeyFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn sscard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.args(args)
        .env_remove("SSCARD_READER")
        .env_remove("SSCARD_PSAM_PIN")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn create(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (PathBuf, Output) {
    let image = dir.join("psam.json");
    let img = image.display().to_string();
    let keys = root("card-profiles/test-keys.toml");
    let mut args = vec![
        "sim",
        "--psam",
        "--create",
        "--image",
        &img,
        "--load-keys",
        &keys,
    ];
    args.extend_from_slice(extra);
    let o = sscard(&args, env);
    (image, o)
}

/// A synthetic key file `dir/file` with one key `name` (algorithm field `alg`); its path.
fn write_keys(dir: &Path, file: &str, name: &str, alg: &str) -> String {
    let path = dir.join(file);
    let text = format!("[keys.{name}]\n{alg} = \"00112233445566778899AABBCCDDEEFF\"\n");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn create_writes_a_psam_with_every_key_of_the_file_and_show_lists_them_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let (image, o) = create(dir.path(), &["--terminal-no", "440300000017"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("18 master keys (20/01 issuer, 20/03 issuer, 21/01 irk"),
        "{out}"
    );
    assert!(
        out.contains("terminal number 440300000017; no PIN"),
        "{out}"
    );
    let img = image.display().to_string();
    let o = sscard(&["sim", "--image", &img, "--show"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let show = String::from_utf8_lossy(&o.stdout);
    assert!(show.contains("PSAM:     18 master keys"), "{show}");
    assert!(show.contains("1001 DF name D1 56 00 00 05 90"), "{show}");
    assert!(!show.contains("542D"), "no key value in --show: {show}");
    // Refuses to overwrite.
    let (_, o) = create(dir.path(), &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));
}

#[test]
fn send_and_the_probe_script_run_on_the_in_process_psam() {
    let dir = tempfile::tempdir().unwrap();
    let (image, o) = create(dir.path(), &["--terminal-no", "123456789012"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let reader = format!("sim:{}", image.display());
    let o = sscard(
        &[
            "--reader",
            &reader,
            "send",
            "00A4040006D15600000590",
            "00B0960006",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("< 12 34 56 78 90 12 : 9000"),
        "{}",
        text(&o)
    );
    let o = sscard(
        &[
            "--reader",
            &reader,
            "run",
            &root("apdu-scripts/psam-probe.apdu"),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("== 16 exchange(s), 16 expectation(s) met, 0 not met"),
        "{out}"
    );
    // The captured results are what the soft key source computes.
    let kf = KeyFile::load(Path::new(&root("card-profiles/test-keys.toml"))).unwrap();
    let (_, master) = kf
        .masters()
        .into_iter()
        .find(|(n, k)| *n == "issuer" && k.alg == Algorithm::Tdes)
        .unwrap();
    let chain = Chain {
        levels: vec![Level {
            source: "region".into(),
            factor: [0x34, 0x34, 0x30, 0x33, 0x30, 0x30, 0x73, 0x78],
        }],
    };
    let key = chain.apply(master).unwrap();
    let challenge = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18];
    let crypt = hex::encode_upper(auth_cryptogram(&key, &challenge).unwrap());
    // The probe's MAC covers one block that is only padding: the MAC of empty data.
    assert_eq!(pad_method2(&[], 8), [0x80, 0, 0, 0, 0, 0, 0, 0]);
    let m = hex::encode_upper(mac(&key, &challenge, &[]).unwrap());
    assert!(
        out.contains(&format!("3DES {crypt} / MAC {m}")),
        "want {crypt} / {m}: {out}"
    );
}

#[test]
fn load_keys_replaces_keys_in_an_existing_psam_and_refuses_a_card_image() {
    let dir = tempfile::tempdir().unwrap();
    let (image, o) = create(dir.path(), &[], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let oth = write_keys(dir.path(), "other-keys.toml", "issuer", "3des");
    let img = image.display().to_string();
    let o = sscard(&["sim", "--image", &img, "--load-keys", &oth], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 master keys from"),
        "{}",
        text(&o)
    );
    let text_img = std::fs::read_to_string(&image).unwrap();
    assert!(text_img.contains("00112233445566778899AABBCCDDEEFF"));
    assert!(
        !text_img.contains("542D334445532D4953535545522D2D2D"),
        "replaced"
    );
    // A card image is not a PSAM.
    let card = dir.path().join("card.json");
    let cimg = card.display().to_string();
    assert!(
        sscard(&["sim", "--create", "--image", &cimg], &[])
            .status
            .success()
    );
    let o = sscard(&["sim", "--image", &cimg, "--load-keys", &oth], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not a PSAM"), "{}", text(&o));
    let o = sscard(&["sim", "--psam", "--image", &cimg, "--show"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("is a card image, not a PSAM"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_input_is_named_and_writes_no_image() {
    let dir = tempfile::tempdir().unwrap();
    let (image, o) = create(dir.path(), &["--terminal-no", "12AB"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("terminal number \"12AB\""),
        "{}",
        text(&o)
    );
    assert!(!image.exists());
    let (image, o) = create(dir.path(), &[], &[("SSCARD_PSAM_PIN", "12x456")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("SSCARD_PSAM_PIN"), "{}", text(&o));
    assert!(!text(&o).contains("12x456"), "{}", text(&o));
    assert!(!image.exists());
    let st = write_keys(dir.path(), "strange.toml", "mystery", "sm4");
    let img = image.display().to_string();
    let o = sscard(
        &[
            "sim",
            "--psam",
            "--create",
            "--image",
            &img,
            "--load-keys",
            &st,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("key 'mystery' in"), "{}", text(&o));
    assert!(!image.exists());
    let o = sscard(&["sim", "--psam", "--create", "--image", &img], &[]);
    assert!(text(&o).contains("--load-keys KEYFILE"), "{}", text(&o));
    assert!(!image.exists());
    // Serving a PSAM that was never made does not make a blank card in its place.
    let o = sscard(
        &["sim", "--psam", "--image", &img, "--vpcd", "127.0.0.1:9"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("create the PSAM first"), "{}", text(&o));
    assert!(!image.exists());
}

#[test]
fn a_pin_from_the_environment_guards_the_psam() {
    let dir = tempfile::tempdir().unwrap();
    let (image, o) = create(dir.path(), &[], &[("SSCARD_PSAM_PIN", "246810")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("PIN from SSCARD_PSAM_PIN"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("246810"), "{}", text(&o));
    let reader = format!("sim:{}", image.display());
    let o = sscard(
        &[
            "--reader",
            &reader,
            "send",
            "00A4040006D15600000590",
            "801A200108 3434303330307378",
            "0020000003 246810",
            "801A200108 3434303330307378",
        ],
        &[],
    );
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("< 6982"), "{out}");
    assert!(!out.contains("24 68 10"), "PIN masked: {out}");
    assert!(out.ends_with("< 9000 (success)\n"), "{out}");
}
