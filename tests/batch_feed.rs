//! `sscard batch` over in-process virtual card feeders (`feed:DIR`): a station's day without
//! hardware. Every record is issued exactly once: across refused cards, a torn card that comes
//! back, re-runs, and a kill -9 at several points.

mod batch_util;
use batch_util::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn once_each(journal: &str, n: usize) -> Vec<(String, String, String)> {
    let rows = issued(journal);
    let mut per_record: BTreeMap<&str, usize> = BTreeMap::new();
    for (number, _, result) in &rows {
        if result != "already-done" {
            *per_record.entry(number).or_default() += 1;
        }
    }
    assert_eq!(per_record.len(), n, "records issued: {rows:?}");
    assert!(
        per_record.values().all(|&c| c == 1),
        "a record issued twice: {rows:?}"
    );
    rows
}

#[test]
fn three_cards_issued_then_a_rerun_issues_nothing() {
    let d = tempfile::tempdir().unwrap();
    feeder(&d.path().join("feed"), 0, 3);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 3);
    let j = d.path().join("station.db").display().to_string();
    let readers = format!("feed:{}", d.path().join("feed").display());
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("batch: 3 issued, 0 refused, 0 failed; records: 0 pending, 0 torn"),
        "{out}"
    );
    let rows = once_each(&j, 3);
    // The card id came from the card (the record has none).
    assert_eq!(rows[0].1, card_id(0, 0));
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("batch: 0 issued"),
        "{}",
        describe(&o)
    );
    assert_eq!(once_each(&j, 3).len(), 3);
    // Every row names the build that wrote it: the version, commit and date of `--version`.
    let v = sscard().arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout);
    let long = v
        .trim()
        .strip_prefix("sscard ")
        .unwrap_or_default()
        .to_string();
    assert!(
        long.contains(" (commit ") && long.contains(", built "),
        "{v}"
    );
    let versions = column(&j, "sscard_version");
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert!(
        versions.iter().all(|r| *r == long),
        "{versions:?} vs {long}"
    );
}

/// One column of `journal export`, every row.
fn column(journal: &str, name: &str) -> Vec<String> {
    let o = sscard()
        .args(["journal", "export", "--journal", journal])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let at = rdr.headers().unwrap().iter().position(|h| h == name);
    let at = at.unwrap_or_else(|| panic!("no column {name} in journal export"));
    rdr.records().map(|r| r.unwrap()[at].to_string()).collect()
}

#[test]
fn a_torn_card_is_finished_when_it_comes_back() {
    let d = tempfile::tempdir().unwrap();
    let feed = d.path().join("feed");
    feeder(&feed, 0, 3);
    fault(&feed.join("card001.json"), &["--fault-power-loss-at", "20"]);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 3);
    let j = d.path().join("station.db").display().to_string();
    let readers = format!("feed:{}", feed.display());
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("2 issued, 0 refused, 1 failed; records: 0 pending, 1 torn"),
        "{out}"
    );
    assert!(
        out.contains("put those cards back and run the same command again"),
        "{out}"
    );
    // The fault was once: the card is healthy when it comes back.
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("resumed card {}", card_id(0, 1))),
        "{out}"
    );
    once_each(&j, 3);
}

#[test]
fn another_holders_card_is_refused_and_its_record_goes_to_the_next_card() {
    let d = tempfile::tempdir().unwrap();
    let feed = d.path().join("feed");
    feeder(&feed, 0, 3);
    // Card 0 already belongs to someone outside this batch.
    let other = d.path().join("other.csv");
    records(&other, 500, 1);
    let o = batch(
        &other,
        &format!("feed:{}", feed.display()),
        &d.path().join("other.db").display().to_string(),
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 2);
    let j = d.path().join("station.db").display().to_string();
    let o = batch(&rec, &format!("feed:{}", feed.display()), &j, &["--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cards: Vec<_> = events.iter().filter(|e| e["event"] == "card").collect();
    assert_eq!(cards.len(), 3, "{events:?}");
    assert_eq!(cards[0]["result"], "refused");
    assert!(
        cards[0]["reason"]
            .as_str()
            .unwrap()
            .contains("another person's data"),
        "{:?}",
        cards[0]
    );
    assert_eq!(cards[1]["result"], "issued");
    assert_eq!(
        cards[1]["record"], cards[0]["record"],
        "the refused record goes to the next card"
    );
    assert_eq!(cards[2]["result"], "issued");
    once_each(&j, 2);
}

#[test]
fn an_invalid_record_is_reported_before_any_card_is_touched() {
    let d = tempfile::tempdir().unwrap();
    let feed = d.path().join("feed");
    feeder(&feed, 0, 2);
    let before = std::fs::read(feed.join("card000.json")).unwrap();
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 2);
    let text = std::fs::read_to_string(&rec)
        .unwrap()
        .replace(",1,01,", ",7,01,");
    std::fs::write(&rec, text).unwrap();
    let j = d.path().join("station.db").display().to_string();
    let o = batch(&rec, &format!("feed:{}", feed.display()), &j, &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("problem(s) in") && err.contains("no card was touched"),
        "{err}"
    );
    assert!(
        err.contains("record 1 (line 2)") && err.contains("record 2 (line 3)"),
        "{err}"
    );
    assert_eq!(std::fs::read(feed.join("card000.json")).unwrap(), before);
}

#[test]
fn two_readers_share_one_record_list() {
    let d = tempfile::tempdir().unwrap();
    feeder(&d.path().join("a"), 1, 3);
    feeder(&d.path().join("b"), 2, 3);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 5);
    let j = d.path().join("station.db").display().to_string();
    let readers = format!(
        "feed:{},feed:{}",
        d.path().join("a").display(),
        d.path().join("b").display()
    );
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let rows = once_each(&j, 5);
    let cards: std::collections::BTreeSet<_> = rows.iter().map(|r| r.1.clone()).collect();
    assert_eq!(cards.len(), 5, "one card per record: {rows:?}");
}

#[test]
fn killed_at_several_points_every_record_is_issued_exactly_once() {
    for kill_after in [1usize, 2, 4] {
        let d = tempfile::tempdir().unwrap();
        let feed = d.path().join("feed");
        feeder(&feed, 0, 5);
        let rec = d.path().join("holders.csv");
        records(&rec, 1, 5);
        let j = d.path().join("station.db").display().to_string();
        let readers = format!("feed:{}", feed.display());
        // Run with JSON events; kill -9 as the `kill_after`-th card starts.
        let mut child = batch(&rec, &readers, &j, &["--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut started = 0;
        for line in BufReader::new(stdout).lines() {
            if line.unwrap().contains("\"event\":\"started\"") {
                started += 1;
                if started == kill_after {
                    child.kill().unwrap();
                    break;
                }
            }
        }
        let _ = child.wait();
        assert_eq!(started, kill_after, "the batch ended before the kill point");
        // The killed run left its claim; the re-run resumes and finishes everything.
        let o = batch(&rec, &readers, &j, &[]).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "kill after {kill_after}: {}",
            describe(&o)
        );
        once_each(&j, 5);
    }
}

#[test]
fn a_lost_card_found_and_disabled_is_recorded_in_the_journal() {
    let d = tempfile::tempdir().unwrap();
    let feed = d.path().join("feed");
    feeder(&feed, 0, 1);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 1);
    let j = d.path().join("station.db").display().to_string();
    let o = batch(&rec, &format!("feed:{}", feed.display()), &j, &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let id = card_id(0, 0);
    let o = sscard()
        .args(["journal", "lost", "--journal", &j, &id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    let img = format!("sim:{}", feed.join("card000.json").display());
    let o = sscard()
        .args([
            "-r",
            &img,
            "disable",
            "--profile",
            &profile(),
            "--keys",
            &keys(),
        ])
        .args(["--card-id", &id, "--journal", &j])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&format!("card {id} recorded as disabled")),
        "{}",
        describe(&o)
    );
    let o = sscard()
        .args(["journal", "card", "--journal", &j, &id])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(" disabled ") && out.ends_with(": disabled after it was reported lost\n"),
        "{out}"
    );
}

#[test]
fn ctrl_c_finishes_the_card_in_progress_then_stops_and_a_rerun_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let feed = d.path().join("feed");
    feeder(&feed, 0, 3);
    // Slow cards, so the interrupt lands while the first one is being written.
    for i in 0..3 {
        fault(
            &feed.join(format!("card{i:03}.json")),
            &["--fault-delay-ms", "20"],
        );
    }
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 3);
    let j = d.path().join("station.db").display().to_string();
    let readers = format!("feed:{}", feed.display());
    let mut child = batch(&rec, &readers, &j, &["--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("\"event\":\"started\"") {
            let ok = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(ok.success());
            break;
        }
    }
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{rest:?}");
    let cards: Vec<&String> = rest
        .iter()
        .filter(|l| l.contains("\"event\":\"card\""))
        .collect();
    assert_eq!(
        cards.len(),
        1,
        "the card in progress is finished, no other started: {rest:?}"
    );
    assert!(cards[0].contains("\"result\":\"issued\""), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("stopped on request")),
        "{rest:?}"
    );
    let o = batch(&rec, &readers, &j, &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    once_each(&j, 3);
}

#[test]
fn json_card_events_give_the_journals_own_time_apart_from_the_card_work() {
    let d = tempfile::tempdir().unwrap();
    feeder(&d.path().join("feed"), 0, 2);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 2);
    let j = d.path().join("station.db").display().to_string();
    let readers = format!("feed:{}", d.path().join("feed").display());
    let o = batch(&rec, &readers, &j, &["--json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let cards: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "card")
        .collect();
    assert_eq!(cards.len(), 2, "{}", describe(&o));
    for c in &cards {
        assert_eq!(c["result"], "issued", "{c}");
        assert!(c["ms"].is_u64(), "{c}");
        // Claiming the record and writing its row cannot take no time at all.
        assert!(c["journal_us"].as_u64().is_some_and(|us| us > 0), "{c}");
    }
}
