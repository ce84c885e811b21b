//! `sscard replace` through a real pcscd with two readers: the old card served on vpcd slot 00,
//! the new card on slot 01 (`sscard sim --vpcd PORT --image ...`). The job reads and disables
//! the old card and issues the new one over PC/SC; the journal says so.
#![cfg(feature = "pcscd-tests")]

mod common;
mod replace_util;

use common::{PrivatePcscd, spawn_card_on};
use replace_util::*;
use sscard::journal::CardState;

#[test]
fn two_readers_replace_a_damaged_card_over_pcsc() {
    let s = Scene::new();
    let pcscd = PrivatePcscd::start();
    let mut cards = Vec::new();
    for (slot, img) in [s.old(), s.new_card()].into_iter().enumerate() {
        let port = pcscd.port() + slot as u16;
        let mut cmd = pcscd.sscard();
        cmd.args(["sim", "--vpcd", &port.to_string()])
            .args(["--image", &img.display().to_string()]);
        cards.push(spawn_card_on(port, &mut cmd));
    }
    pcscd.wait_card_in("Virtual PCD 00 00");
    pcscd.wait_card_in("Virtual PCD 00 01");
    let o = pcscd
        .sscard()
        .args(["replace", "--profile", &profile(), "--keys", &keys()])
        .args(["--old", "Virtual PCD 00 00", "--new", "Virtual PCD 00 01"])
        .args([
            "--reason",
            "damaged",
            "--card-number",
            &card_number("B0000002"),
        ])
        .args([
            "--journal",
            &s.journal(),
            "--station",
            "S1",
            "--operator",
            "op1",
        ])
        .args(["--today", "20261129"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}\ncards:\n{}\n{}",
        describe(&o),
        cards[0].log(),
        cards[1].log()
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("[4/5] disable-old  disabled"), "{out}");
    assert!(
        out.contains("Virtual PCD 00 01") || out.contains(NEW_ID),
        "{out}"
    );
    // The cards save their images when they stop.
    for c in &mut cards {
        c.terminate();
    }
    let new = s.read(&s.new_card());
    assert_eq!(new["enabled"], true, "{new}");
    assert_eq!(new["fields"]["ssn"], holder_ssn().as_str());
    assert_eq!(new["fields"]["card_id"], NEW_ID);
    assert_eq!(s.read(&s.old())["enabled"], false);
    let rows = s.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].old_card_id.as_str(),
            rows[0].new_card_id.as_str(),
            rows[0].old_card_outcome.as_str()
        ),
        (OLD_ID, NEW_ID, "disabled")
    );
    assert_eq!(s.card(OLD_ID).unwrap().state, CardState::Replaced);
}
