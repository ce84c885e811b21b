//! The issuance journal on both stores: SQLite (always) and a real PostgreSQL register
//! (`--features pg-tests`, with `SSCARD_TEST_PG` from `scripts/pg-cluster.sh start`, which
//! `scripts/test.sh` runs). The same scenario gives the same content on both; two stations
//! racing over one register issue every record exactly once.

#[cfg(feature = "pg-tests")]
mod batch_util;

use sscard::journal::*;

const SSN: &str = "110101199012290016";

fn row_content(rows: &[AttemptRow]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{:?}",
                r.station,
                r.operator,
                r.reader,
                r.card_id,
                r.card_number,
                r.result,
                r.reason,
                r.apdus,
                r.profile,
                r.sscard_version,
                r.holder_ssn
            )
        })
        .collect()
}

/// A station's small day: 3 records, one refused card, one lost card, one replacement.
/// Returns what the journal holds, without times, ids and salts.
fn scenario(url: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut j = Journal::open(url, Station::new("S1", "op1")).unwrap();
    let mut keys = Vec::new();
    for i in 0..3 {
        let n = i.to_string();
        keys.push(j.record_key([("ssn", SSN), ("n", n.as_str())]));
    }
    let issue = |j: &mut Journal, key: &str, card: &str, result: AttemptResult| {
        let reason = if result == AttemptResult::Refused {
            "another holder's card"
        } else {
            ""
        };
        j.record_attempt(&NewAttempt {
            record_key: key.into(),
            reader: "feed:0".into(),
            card_id: card.into(),
            card_number: "A00000003".into(),
            ssn: SSN.into(),
            profile: "ssc-3.00".into(),
            fingerprint: "sha256:ab".into(),
            result,
            reason: reason.into(),
            apdus: 39,
            duration_ms: 10,
        })
        .unwrap();
    };
    assert_eq!(j.claim(&keys[0]).unwrap(), ClaimOutcome::Claimed);
    issue(&mut j, &keys[0], "C0", AttemptResult::Issued);
    assert_eq!(j.claim(&keys[1]).unwrap(), ClaimOutcome::Claimed);
    issue(&mut j, &keys[1], "CX", AttemptResult::Refused);
    j.release(&keys[1]).unwrap();
    assert_eq!(j.claim(&keys[1]).unwrap(), ClaimOutcome::Claimed);
    issue(&mut j, &keys[1], "C1", AttemptResult::Issued);
    assert!(
        matches!(j.claim(&keys[0]).unwrap(), ClaimOutcome::Issued { card_id, .. } if card_id == "C0")
    );
    assert!(
        j.set_card_state("C0", CardState::Lost, "reported lost")
            .unwrap()
    );
    j.record_replacement(&NewReplacement {
        old_card_id: "C0".into(),
        new_card_id: "C2".into(),
        new_card_number: "B12345671".into(),
        ssn: SSN.into(),
        reason: "lost".into(),
        applicant: "holder".into(),
        agent_ssn: String::new(),
        old_card_outcome: "lost".into(),
    })
    .unwrap();
    let attempts = row_content(&j.attempts(&AttemptFilter::default()).unwrap());
    let cards = ["C0", "C1", "C2", "CX"]
        .iter()
        .map(|c| {
            j.card(c)
                .unwrap()
                .map(|e| format!("{} {} {} {}", e.card_id, e.state, e.card_number, e.note))
                .unwrap_or_else(|| format!("{c} unknown"))
        })
        .collect();
    let repl = j
        .replacements()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} -> {} {} {} {}",
                r.old_card_id, r.new_card_id, r.reason, r.applicant, r.old_card_outcome
            )
        })
        .collect();
    (attempts, cards, repl)
}

#[test]
fn sqlite_journal_holds_a_station_day() {
    let dir = tempfile::tempdir().unwrap();
    let (attempts, cards, repl) = scenario(dir.path().join("station.db").to_str().unwrap());
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts[1].contains("|refused|another holder's card|"),
        "{attempts:?}"
    );
    assert_eq!(
        cards,
        [
            "C0 lost A00000003 replaced by C2 (lost)",
            "C1 issued A00000003 ",
            "C2 issued B12345671 replaces C0",
            "CX unknown"
        ]
    );
    assert_eq!(repl, ["C0 -> C2 lost holder lost"]);
}

#[cfg(feature = "pg-tests")]
mod pg {
    use super::*;

    fn fresh_db() -> String {
        super::batch_util::fresh_pg_db("t")
    }

    #[test]
    fn postgres_register_holds_the_same_content_as_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let lite = scenario(dir.path().join("station.db").to_str().unwrap());
        let pg = scenario(&fresh_db());
        assert_eq!(pg, lite);
    }

    #[test]
    fn two_stations_racing_over_one_register_issue_every_record_once() {
        let url = fresh_db();
        // Create the schema once, so both racers start on the same register.
        drop(Journal::open(&url, Station::new("S0", "op")).unwrap());
        let n = 60;
        let run = |station: &'static str| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut j = Journal::open(&url, Station::new(station, "op")).unwrap();
                let mut mine = Vec::new();
                for i in 0..n {
                    let k = i.to_string();
                    let key = j.record_key([("ssn", SSN), ("n", k.as_str())]);
                    if j.claim(&key).unwrap() == ClaimOutcome::Claimed {
                        j.record_attempt(&NewAttempt {
                            record_key: key.clone(),
                            reader: format!("{station}-r"),
                            card_id: format!("{station}-{i}"),
                            ssn: SSN.into(),
                            result: AttemptResult::Issued,
                            ..NewAttempt::default()
                        })
                        .unwrap();
                        mine.push(i);
                    }
                }
                mine
            })
        };
        let (a, b) = (run("S1"), run("S2"));
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        let mut all: Vec<_> = a.iter().chain(b.iter()).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>(), "S1 {a:?} S2 {b:?}");
        let mut j = Journal::open(&url, Station::new("S3", "op")).unwrap();
        let rows = j.attempts(&AttemptFilter::default()).unwrap();
        assert_eq!(rows.len(), n);
        let stats = j.stats().unwrap();
        assert_eq!(stats.cards_issued, n);
    }

    #[test]
    fn an_unreachable_register_says_so_without_the_password() {
        let e = Journal::open(
            "postgres://issuer:s3cret@127.0.0.1:1/register",
            Station::new("S", "o"),
        )
        .unwrap_err();
        let text = format!("{e}");
        assert!(text.contains("cannot connect"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
