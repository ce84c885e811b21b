//! End to end through a real private pcscd, the vpcd driver and Debian's vicc `iso7816` card:
//! code nobody here wrote proves our PC/SC path. Run with `--features pcscd-tests`.
//! vicc answers about 21 APDU/s, so these tests stay few and short.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, start_vicc, stderr, stdout};

const VICC_ATR: &str = "3B 95 13 81 01 80 73 FF 01 00 0B";

#[test]
fn readers_lists_the_vicc_card_and_wrong_names_list_readers() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    let out = pcscd.run(&["readers"]);
    assert!(out.status.success(), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("0: Virtual PCD 00 00  card, ATR {VICC_ATR}")),
        "{}",
        describe(&out)
    );
    assert!(text.contains("1: Virtual PCD 00 01  no card"), "{text}");

    // An unknown reader name: exit 1 and a one-line error listing the readers.
    let out = pcscd.run(&["--reader", "Gemalto", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stderr(&out);
    assert!(err.contains("no reader matches 'Gemalto'"), "{err}");
    assert!(err.contains("0: \"Virtual PCD 00 00\" (card)"), "{err}");
    assert!(err.contains("1: \"Virtual PCD 00 01\" (empty)"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // An ambiguous part of a name.
    let out = pcscd.run(&["--reader", "virtual pcd", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("matches several readers"),
        "{}",
        describe(&out)
    );

    // The empty slot: no card.
    let out = pcscd.run(&["--reader", "1", "send", "00A4000C023F00"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("no card in reader 'Virtual PCD 00 01'"),
        "{}",
        describe(&out)
    );
}

#[test]
fn send_select_create_read_and_traced_verify() {
    let pcscd = PrivatePcscd::start();
    let _vicc = start_vicc(pcscd.port());
    pcscd.wait_card();
    let out = pcscd.run(&["--reader", "00 00", "send", "00a4000c:02:3f00"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        stdout(&out),
        "> 00 A4 00 0C 02 3F 00\n< 9000 (success)\n",
        "{}",
        describe(&out)
    );
}
