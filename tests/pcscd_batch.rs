//! `sscard batch` through a real pcscd: two vpcd slots, each served by a card feeder
//! (`sscard sim --vpcd PORT --feed DIR`) that takes a card out when the host is done with it and
//! puts the next one in. The batch waits for each card with SCardGetStatusChange, personalizes
//! it, waits for its removal, and issues every record exactly once.
#![cfg(feature = "pcscd-tests")]

mod batch_util;
mod common;

use batch_util::{card_id, describe, feeder, keys, profile, records};
use common::{PrivatePcscd, spawn_card_on};

#[test]
fn two_readers_with_card_feeders_issue_every_record_once() {
    let d = tempfile::tempdir().unwrap();
    feeder(&d.path().join("a"), 1, 2);
    feeder(&d.path().join("b"), 2, 2);
    let rec = d.path().join("holders.csv");
    records(&rec, 1, 4);
    let journal = d.path().join("station.db").display().to_string();
    let pcscd = PrivatePcscd::start();
    let mut cards = Vec::new();
    for (slot, dir) in ["a", "b"].into_iter().enumerate() {
        let port = pcscd.port() + slot as u16;
        let mut cmd = pcscd.sscard();
        cmd.args(["sim", "--vpcd", &port.to_string()])
            .args(["--feed", &d.path().join(dir).display().to_string()]);
        cards.push(spawn_card_on(port, &mut cmd));
    }
    pcscd.wait_card_in("Virtual PCD 00 00");
    pcscd.wait_card_in("Virtual PCD 00 01");
    let o = pcscd
        .sscard()
        .args(["batch", "--profile", &profile(), "--keys", &keys()])
        .args(["--records", &rec.display().to_string()])
        .args(["--readers", "Virtual PCD 00 00,Virtual PCD 00 01"])
        .args([
            "--journal",
            &journal,
            "--station",
            "S1",
            "--operator",
            "op1",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\ncards:\n{}\n{}",
        describe(&o),
        cards[0].log(),
        cards[1].log()
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("batch: 4 issued, 0 refused, 0 failed; records: 0 pending, 0 torn"),
        "{out}"
    );
    assert!(
        out.contains("Virtual PCD 00 00: take the card out"),
        "{out}"
    );
    let rows = batch_util::issued(&journal);
    let mut numbers: Vec<_> = rows.iter().map(|r| r.0.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 4, "{rows:?}");
    let mut ids: Vec<_> = rows.iter().map(|r| r.1.clone()).collect();
    ids.sort();
    let mut want = vec![card_id(1, 0), card_id(1, 1), card_id(2, 0), card_id(2, 1)];
    want.sort();
    assert_eq!(ids, want, "every fed card was issued once");
    // The feeders ejected every card after use, and stopped once empty.
    for c in &mut cards {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while c.running() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(!c.running(), "the feeder did not stop: {}", c.log());
        assert!(
            c.log().contains("taken out; the feeder is empty"),
            "{}",
            c.log()
        );
    }
}
