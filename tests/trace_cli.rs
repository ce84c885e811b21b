//! `--trace` and `send` on the in-process virtual card: secrets never reach the output.

use std::process::Command;

#[test]
fn traced_send_masks_pins_keys_and_cryptograms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let image = dir.path().join("card.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .env_remove("RUST_LOG")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args([
            "--trace",
            "send",
            "00A4000C023F00",
            "0020000003 123456",
            "0024000006 123456 654321",
            "80D4000106 100005 987654",
            "0082000108 A1A2A3A4A5A6A7A8",
        ])
        .output()
        .expect("run sscard");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for text in [&stdout, &stderr] {
        assert!(text.contains("> 00 A4 00 0C 02 3F 00\n"), "{text}");
        assert!(text.contains("> 00 20 00 00 03 ******\n"), "{text}");
        assert!(text.contains("> 00 24 00 00 06 ******\n"), "{text}");
        assert!(
            text.contains("> 80 D4 00 01 06 10 00 05 ******\n"),
            "{text}"
        );
        assert!(text.contains("> 00 82 00 01 08 ******\n"), "{text}");
        for secret in [
            "12 34 56", "123456", "65 43 21", "654321", "98 76 54", "987654", "A1 A2", "A1A2",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    // The trace has one response line per command, with its duration.
    assert_eq!(
        stderr.matches("\n< ").count() + usize::from(stderr.starts_with("< ")),
        5,
        "{stderr}"
    );
    assert!(
        stderr.contains(" us]") || stderr.contains(" ms]"),
        "{stderr}"
    );
}
