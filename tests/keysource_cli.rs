//! The key source options of the authenticating commands: one source only (flags or
//! environment), a missing PSAM or HSM named, nothing sent to the card before that.

use std::process::Output;

mod keysrc_util;
use keysrc_util::{sscard_env as sscard, test_keys as keys};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn two_key_sources_are_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let card = format!("sim:{}", dir.path().join("card.json").display());
    let k = keys();
    let o = sscard(
        &[
            "--reader",
            &card,
            "read",
            "--profile",
            "ssc-3.00",
            "--keys",
            &k,
            "--psam",
            "sim:p.json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--keys and --psam name different key sources"),
        "{}",
        stderr(&o)
    );
    let o = sscard(
        &["--reader", &card, "read", "--profile", "ssc-3.00"],
        &[("SSCARD_KEYS", &k), ("SSCARD_PSAM", "sim:p.json")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("SSCARD_KEYS and SSCARD_PSAM name different key sources"),
        "{}",
        stderr(&o)
    );
    // A flag wins over the environment.
    let o = sscard(
        &[
            "--reader",
            &card,
            "disable",
            "--profile",
            "ssc-3.00",
            "--psam",
            "sim:none.json",
        ],
        &[("SSCARD_KEYS", &k)],
    );
    assert!(
        stderr(&o).contains("no virtual PSAM image none.json"),
        "{}",
        stderr(&o)
    );
    // The card image was never made: nothing was sent.
    assert!(!dir.path().join("card.json").exists());
}

#[test]
fn a_missing_psam_or_hsm_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let card = format!("sim:{}", dir.path().join("card.json").display());
    let psam = dir.path().join("psam.json").display().to_string();
    let o = sscard(
        &[
            "--reader",
            &card,
            "pin",
            "unblock",
            "--profile",
            "ssc-3.00",
            "--psam",
            &format!("sim:{psam}"),
        ],
        &[],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains(&format!("the virtual PSAM {psam} cannot be reached")),
        "{e}"
    );
    assert!(e.contains("sscard sim --psam"), "{e}");
    let o = sscard(
        &[
            "--reader",
            &card,
            "disable",
            "--profile",
            "ssc-3.00",
            "--pkcs11",
            "/nowhere/libx.so",
        ],
        &[],
    );
    assert!(
        stderr(&o).contains("--pkcs11 needs the token's label"),
        "{}",
        stderr(&o)
    );
    let o = sscard(
        &[
            "--reader",
            &card,
            "enable",
            "--profile",
            "ssc-3.00",
            "--record",
            "r.json",
        ],
        &[("SSCARD_HSM_PIN", "1234")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("1234"), "{}", stderr(&o));
}
