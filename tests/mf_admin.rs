//! Issue 13 (found by the `card_commands` fuzz target): on a finished card, DEACTIVATE FILE,
//! TERMINATE DF and DELETE FILE of the MF and of the SSSE need the profile's key; without it
//! the card refuses and nothing changes. Init gives the MF (which exists on a blank card,
//! every access "always") the profile's access conditions with PUT DATA while the
//! manufacturer's window is open; PUT DATA is refused once the window is closed.

mod sim_util;

use sim_util::{blank, ok, sw};
use sscard::perso::demo::{self, SSC_300};
use sscard::sim::fs::Lcs;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::{ResetKind, Transport};

const SSSE: &str = "00A4040C 0F 7378312E73682EC9E7BBE1B1A3D5CF";

fn send(t: &mut SimTransport, apdu: &str) -> String {
    let r = t.transmit(&sscard::apdu::parse_hex(apdu).unwrap()).unwrap();
    sscard::apdu::compact(&r)
}

/// A card made by `sscard demo` (init, perso, enabled): the ssc-3.00 profile.
fn finished_card(dir: &std::path::Path) -> SimTransport {
    let mut t = SimTransport::new(ImageCard::open(&dir.join("card.json")).unwrap()).unwrap();
    let run = demo::run(&mut t, SSC_300, "ssc-3.00.toml").unwrap();
    assert!(run.perso.enabled);
    t
}

fn lcs_of_mf_and_ssse(t: &mut SimTransport) -> (Lcs, Lcs) {
    let img = t.image();
    let mf = &img.card().state().mf;
    let ssse = mf
        .children
        .iter()
        .find(|c| c.fid.is_some_and(|f| f.to_string() == "DDF1"))
        .expect("SSSE on the card");
    (mf.lcs, ssse.lcs)
}

#[test]
fn a_finished_card_refuses_deactivate_terminate_and_delete_of_the_mf_and_ssse_without_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = finished_card(dir.path());
    let before = lcs_of_mf_and_ssse(&mut t);
    assert_eq!(before, (Lcs::Activated, Lcs::Activated));
    // What the fuzzer sent: right after power-on (the MF is current).
    t.reset(ResetKind::Cold).unwrap();
    assert_eq!(
        send(&mut t, "00040000"),
        "6982",
        "DEACTIVATE after power-on"
    );
    for (what, apdu) in [
        ("DEACTIVATE FILE", "00040000"),
        ("TERMINATE DF", "00E60000"),
        ("ACTIVATE FILE", "00440000"),
        ("DELETE FILE", "00E40000"),
        ("DEACTIVATE FILE by FID", "00040000 02 3F00"),
        (
            "PUT DATA of the access conditions",
            "00DA0062 0A 6208 8606 000000000000",
        ),
    ] {
        t.reset(ResetKind::Cold).unwrap();
        assert_eq!(send(&mut t, "00A4000C"), "9000");
        let got = send(&mut t, apdu);
        assert!(got == "6982" || got == "6985", "MF {what}: {got}");
    }
    for (what, apdu) in [
        ("DEACTIVATE FILE", "00040000"),
        ("TERMINATE DF", "00E60000"),
        ("DELETE FILE", "00E40000"),
    ] {
        t.reset(ResetKind::Cold).unwrap();
        assert_eq!(send(&mut t, SSSE), "9000");
        let got = send(&mut t, apdu);
        assert!(got == "6982" || got == "6985", "SSSE {what}: {got}");
    }
    assert_eq!(lcs_of_mf_and_ssse(&mut t), before, "nothing changed");
    // The card still works: the MF and the SSSE select, EF05 reads without a key.
    t.reset(ResetKind::Cold).unwrap();
    assert_eq!(send(&mut t, SSSE), "9000");
    assert!(send(&mut t, "00B2012C00").ends_with("9000"));
}

#[test]
fn init_gives_the_mf_the_profiles_access_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = finished_card(dir.path());
    let img = t.image();
    // ssc-3.00: read always, everything else never.
    assert_eq!(
        img.card().state().mf.access.0,
        vec![0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    );
}

#[test]
fn put_data_of_the_access_conditions_only_in_the_creation_state() {
    let mut c = blank();
    // Blank MF in the creation state: malformed, then accepted.
    assert_eq!(sw(&mut c, "00DA0063 0A 6208 8606 00FFFFFFFFFF"), "6A88");
    assert_eq!(
        sw(&mut c, "00DA0062 0D 620B 8606 00FFFFFFFFFF 8A0105"),
        "6A80",
        "only 86 may be set"
    );
    assert_eq!(sw(&mut c, "00DA0062 07 6205 8603 00FFFF"), "6A80");
    ok(&mut c, "00DA0062 0A 6208 8606 00FFFFFFFFFF");
    let fcp = ok(&mut c, "00A40004 02 3F00 00");
    assert!(fcp.contains("860600FFFFFFFFFF"), "{fcp}");
    // Still in the window: everything allowed, and it may be set again.
    ok(&mut c, "00DA0062 0A 6208 8606 00FFFFFFFF00");
    ok(&mut c, "00DA0062 0A 6208 8606 00FFFFFFFFFF");
    // Close the window: the MF's own conditions now hold, PUT DATA is refused.
    ok(&mut c, "00440000");
    assert_eq!(sw(&mut c, "00DA0062 0A 6208 8606 000000000000"), "6985");
    assert_eq!(sw(&mut c, "00040000"), "6982");
    assert_eq!(sw(&mut c, "00E60000"), "6982");
}
