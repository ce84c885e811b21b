//! `sscard batch` on a city register in a real PostgreSQL (`--features pg-tests`, with
//! `SSCARD_TEST_PG` from `scripts/pg-cluster.sh start`, which `scripts/test.sh` runs): the same
//! journal content as SQLite, and two stations running at once over one record list issue every
//! record exactly once.
#![cfg(feature = "pg-tests")]

mod batch_util;
use batch_util::*;
use std::collections::BTreeMap;

fn fresh_register() -> String {
    fresh_pg_db("b")
}

/// The journal's rows without what differs by store (times, ids, salts, temp paths).
fn content(journal: &str) -> Vec<String> {
    let o = sscard()
        .args(["journal", "export", "--journal", journal])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let h = rdr.headers().unwrap().clone();
    let keep = [
        "station",
        "operator",
        "card_id",
        "card_number",
        "profile",
        "fingerprint",
        "result",
        "reason",
        "apdus",
        "sscard_version",
    ];
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            keep.iter()
                .map(|k| r[h.iter().position(|x| x == *k).unwrap()].to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn a_batch_writes_the_same_journal_on_sqlite_and_postgres() {
    let mut got = Vec::new();
    for store in ["sqlite", "postgres"] {
        let d = tempfile::tempdir().unwrap();
        let feed = d.path().join("feed");
        feeder(&feed, 0, 3);
        fault(&feed.join("card001.json"), &["--fault-power-loss-at", "20"]);
        let rec = d.path().join("holders.csv");
        records(&rec, 1, 3);
        let j = if store == "sqlite" {
            d.path().join("station.db").display().to_string()
        } else {
            fresh_register()
        };
        let readers = format!("feed:{}", feed.display());
        let o = batch(&rec, &readers, &j, &[]).output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{store}: {}", describe(&o));
        let o = batch(&rec, &readers, &j, &[]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{store}: {}", describe(&o));
        let dir = d.path().display().to_string();
        got.push(
            content(&j)
                .iter()
                .map(|r| r.replace(&dir, "DIR"))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(got[0].len(), 4, "{:?}", got[0]);
    assert_eq!(got[0], got[1]);
}

#[test]
fn two_stations_at_once_over_one_register_issue_every_record_once() {
    let d = tempfile::tempdir().unwrap();
    // Each station has a card for every record, so neither runs dry while records are still
    // unclaimed (it would rightly exit 3: "records left, run again"), and cards at a contact
    // card's pace (5 ms per APDU), so the second station starts while the first is at work.
    for (no, dir) in [(1, "a"), (2, "b")] {
        feeder(&d.path().join(dir), no, 8);
        for i in 0..8 {
            let image = d.path().join(dir).join(format!("card{i:03}.json"));
            fault(&image, &["--fault-delay-ms", "5"]);
        }
    }
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 8);
    let reg = fresh_register();
    let run = |dir: &str, station: &str| {
        batch_as(
            station,
            &rec,
            &format!("feed:{}", d.path().join(dir).display()),
            &reg,
            &[],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let a = run("a", "S1");
    let b = run("b", "S2");
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(oa.status.success(), "{}", describe(&oa));
    assert!(ob.status.success(), "{}", describe(&ob));
    let rows = issued(&reg);
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for (number, _, _) in &rows {
        *per.entry(number).or_default() += 1;
    }
    assert_eq!(per.len(), 8, "{rows:?}");
    assert!(per.values().all(|&n| n == 1), "{rows:?}");
    let stations = content(&reg)
        .iter()
        .map(|r| r.split('|').next().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        stations.len(),
        2,
        "both stations issued cards: {stations:?}"
    );
}
