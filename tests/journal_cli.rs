//! `sscard journal show|export|stats|lost|card` on a SQLite journal written by the library.

use sscard::journal::*;
use std::process::Command;

fn sscard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(args)
        .env_remove("SSCARD_JOURNAL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CARD: &str = "110100D15600000500A1B2C3D4E5F607";

fn journal(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("station.db").to_str().unwrap().to_string();
    let mut j = Journal::open(&path, Station::new("S1", "op1")).unwrap();
    for (i, (card, result)) in [
        (CARD, AttemptResult::Issued),
        ("110100D15600000500A1B2C3D4E5F608", AttemptResult::Refused),
    ]
    .into_iter()
    .enumerate()
    {
        let n = i.to_string();
        let key = j.record_key([("n", n.as_str())]);
        j.claim(&key).unwrap();
        j.record_attempt(&NewAttempt {
            record_key: key,
            reader: "Virtual PCD 00 00".into(),
            card_id: card.into(),
            card_number: "A00000003".into(),
            ssn: "110101199012290016".into(),
            profile: "ssc-3.00".into(),
            fingerprint: "sha256:ab".into(),
            result,
            reason: if i == 1 {
                "another holder's card, with a \"quote\"".into()
            } else {
                String::new()
            },
            apdus: 39,
            duration_ms: 120,
        })
        .unwrap();
    }
    path
}

#[test]
fn stats_show_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(&dir);
    let (code, out, err) = sscard(&["journal", "stats", "--journal", &j]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("attempts 2\n"), "{out}");
    assert!(out.contains("cards issued 1\n"), "{out}");
    assert!(
        out.contains("reader Virtual PCD 00 00: issued 1, refused 1\n"),
        "{out}"
    );

    let (code, out, _) = sscard(&["journal", "show", "--journal", &j, "--result", "refused"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("refused: another holder's card"), "{out}");

    let csv_path = dir.path().join("out.csv");
    let (code, _, err) = sscard(&[
        "journal",
        "export",
        "--journal",
        &j,
        "--out",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("exported 2 attempts"), "{err}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,time_utc,time_local,station,operator,reader,card_id")
    );
    assert!(
        csv.contains("\"another holder's card, with a \"\"quote\"\"\""),
        "{csv}"
    );
    assert!(
        !csv.contains("110101199012290016"),
        "the clear citizen number must not be exported: {csv}"
    );
}

#[test]
fn lost_and_card_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let j = journal(&dir);
    let (code, out, _) = sscard(&[
        "journal",
        "card",
        "--journal",
        &j,
        &CARD.to_ascii_lowercase(),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!(
            "card {CARD} issued (card number A00000003, station S1"
        )),
        "{out}"
    );
    let (code, out, _) = sscard(&[
        "journal",
        "lost",
        "--journal",
        &j,
        CARD,
        "--note",
        "holder called",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("card {CARD} marked lost in {j}\n"));
    let (_, out, _) = sscard(&["journal", "card", "--journal", &j, CARD]);
    assert!(
        out.contains(" lost ") && out.ends_with(": holder called\n"),
        "{out}"
    );
    let (code, _, err) = sscard(&["journal", "lost", "--journal", &j, "1234"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("\"1234\" is not a card identification code"),
        "{err}"
    );
    let (code, out, _) = sscard(&[
        "journal",
        "card",
        "--journal",
        &j,
        "110100D15600000500FFFFFFFFFFFFFF",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("is not in"), "{out}");
}

#[test]
fn a_journal_that_is_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.txt");
    std::fs::write(
        &bad,
        "this is not a database, just some text that fills the header page",
    )
    .unwrap();
    let (code, _, err) = sscard(&["journal", "stats", "--journal", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("notes.txt"), "{err}");
}
