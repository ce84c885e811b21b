//! PC/SC errors that need no pcscd at all: the service is not running.

use std::process::Command;

fn sscard_without_pcscd(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        // A socket path where no pcscd listens, for this child only.
        .env("PCSCLITE_CSOCK_NAME", dir.path().join("no-pcscd.comm"))
        .env_remove("SSCARD_READER")
        .args(args)
        .output()
        .expect("run sscard")
}

#[test]
fn pcscd_not_running_says_how_to_start_it() {
    for args in [
        &["readers"][..],
        &["send", "00A4000C023F00"][..],
        &["wait", "--timeout", "1"][..],
    ] {
        let out = sscard_without_pcscd(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("the PC/SC service (pcscd) is not running: start it with `pcscd`"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_hex_is_refused_before_touching_any_reader() {
    let out = sscard_without_pcscd(&["send", "00A4000C023F00", "00A4 0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("APDU 2 of 2 is not valid"), "{err}");
    assert!(!err.contains("pcscd"), "{err}");
}
