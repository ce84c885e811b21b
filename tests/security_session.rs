//! The host side (`session`, `crypto`) against the virtual card through the in-process link:
//! the cryptogram, the MAC and key diversification agree on both sides; refusals come back
//! as typed errors with their status word; counters and keys survive the card image.

use sscard::apdu::{Command, Sw, parse_hex};
use sscard::crypto::{Algorithm, Key, diversify};
use sscard::session::{Session, SessionError};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;
use std::path::Path;

const MASTER: &str = "404142434445464748494A4B4C4D4E4F";
const FACTOR: [u8; 8] = [0x44, 0x07, 0x00, 0x15, 0x29, 0x47, 0xB2, 0x97];
const STK: &str = "5555555555555555AAAAAAAAAAAAAAAA";
const PUK: &str = "66666666666666666666666666666666";

fn write_key() -> Key {
    diversify(&Key::from_hex(Algorithm::Tdes, MASTER).unwrap(), &FACTOR).unwrap()
}

fn stk() -> Key {
    Key::from_hex(Algorithm::Tdes, STK).unwrap()
}

fn puk() -> Key {
    Key::from_hex(Algorithm::Sm4, PUK).unwrap()
}

fn apdu(hex: &str) -> Command {
    Command::parse(&parse_hex(hex).unwrap()).unwrap()
}

/// Sends raw hex; returns the status word.
fn sw(s: &mut Session<'_>, hex: &str) -> Sw {
    s.send(&apdu(hex), "test").unwrap().sw
}

/// Personalizes a blank image the way `init` would, in the MF's creation window: DF "SSSE"
/// (LCS 03; create needs key 04, (de)activation a MAC by key 05) with key 04 (external
/// authentication, diversified, 3 tries), 05 (STK), 06 (PUK, SM4), PIN 00 = 123456; EF05
/// (read: PIN, update: key 04) and EF06 (read: always, update: MAC by key 05). Then ACTIVATE
/// FILE on the MF closes the window.
fn personalize(path: &Path) {
    let mut t = SimTransport::new(ImageCard::open(path).unwrap()).unwrap();
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let k = hex::encode_upper(write_key().bytes);
    for cmd in [
        "00E000001A 6218 820138 8302DF01 840453535345 8A0103 8606000024FF3535".to_string(),
        format!("80D4000413 010103 {k}"),
        format!("80D4000513 030100 {STK}"),
        format!("80D4000613 040200 {PUK}"),
        "80D4000006 100003 123456".to_string(),
        "00E0000015 6213 820101 83020005 80020004 8606102400FF0000".to_string(),
        "00E0000015 6213 820101 83020006 80020004 8606003500FF0000".to_string(),
        "00A4000C023F00".to_string(),
        "00440000".to_string(),
    ] {
        assert_eq!(sw(&mut s, &cmd), Sw::OK, "{cmd}");
    }
    drop(s);
    tx.end().unwrap();
    t.close().unwrap();
}

/// A personalized card image in a fresh temporary folder (keep the folder).
fn personalized() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    personalize(&path);
    (dir, path)
}

fn open(path: &Path) -> SimTransport {
    SimTransport::new(ImageCard::open(path).unwrap()).unwrap()
}

#[test]
fn external_authentication_with_a_diversified_key() {
    let (_dir, path) = personalized();
    let mut t = open(&path);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    s.select_df(b"SSSE", "SSSE").unwrap();
    assert_eq!(
        sw(&mut s, "00D6850004 01020304"),
        Sw::SECURITY_NOT_SATISFIED
    );
    assert!(s.authenticate(4, "write key", &write_key()).unwrap());
    assert_eq!(sw(&mut s, "00D6850004 01020304"), Sw::OK);

    // The undiversified master key is not the card key: a counted failure.
    s.forget();
    s.select_df(b"SSSE", "SSSE").unwrap();
    let master = Key::from_hex(Algorithm::Tdes, MASTER).unwrap();
    let e = s.authenticate(4, "write key", &master).unwrap_err();
    assert!(matches!(e, SessionError::AuthFailed { .. }), "{e}");
    assert_eq!(e.sw(), Some(Sw(0x63C2)));
    let text = format!("{e} {e:?}");
    assert!(!text.contains(MASTER) && !text.contains("404142"), "{text}");
}

#[test]
fn mac_protected_update_pin_unblock_and_application_block() {
    let (_dir, path) = personalized();
    let mut t = open(&path);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    s.select_df(b"SSSE", "SSSE").unwrap();

    let update = apdu("00D6860004 0A0B0C0D");
    assert_eq!(
        s.send(&update, "plain").unwrap().sw,
        Sw::SECURITY_NOT_SATISFIED
    );
    let wrong = s
        .send_with_mac(&update, &puk(), "MAC by the PUK")
        .unwrap_err();
    assert_eq!(wrong.sw(), Some(Sw::SECURITY_NOT_SATISFIED), "{wrong}");
    let other = Key::from_hex(Algorithm::Tdes, MASTER).unwrap();
    let wrong = s
        .send_with_mac(&update, &other, "MAC by no key")
        .unwrap_err();
    assert_eq!(wrong.sw(), Some(Sw::SM_DATA_INCORRECT), "{wrong}");
    s.send_with_mac(&update, &stk(), "UPDATE with MAC").unwrap();
    let r = s.send(&apdu("00B0860004"), "read").unwrap();
    assert_eq!(
        (r.data.as_slice(), r.sw),
        (&[0x0A, 0x0B, 0x0C, 0x0D][..], Sw::OK)
    );

    // PIN: 63C2, 63C1, 6983; unblocked with a new PIN under the PUK's MAC.
    assert_eq!(sw(&mut s, "0020000003999999"), Sw(0x63C2));
    assert_eq!(sw(&mut s, "0020000003999999"), Sw(0x63C1));
    assert_eq!(sw(&mut s, "0020000003999999"), Sw::AUTH_BLOCKED);
    assert_eq!(sw(&mut s, "0020000003123456"), Sw::AUTH_BLOCKED);
    let unblock = apdu("002C020003 654321");
    s.send_with_mac(&unblock, &puk(), "RESET RETRY COUNTER")
        .unwrap();
    assert_eq!(sw(&mut s, "00200000"), Sw(0x63C3));
    assert_eq!(sw(&mut s, "0020000003654321"), Sw::OK);
    assert_eq!(s.send(&apdu("00B0850004"), "read").unwrap().sw, Sw::OK);

    // Application block (temporary) and unblock, both under the STK's MAC.
    s.send_with_mac(&Command::new(0x84, 0x1E, 0, 0), &stk(), "APPLICATION BLOCK")
        .unwrap();
    let st = s.reselect_df(b"SSSE", "SSSE").unwrap();
    assert!(st.is_deactivated(), "{:?}", st.sw);
    assert_eq!(st.sw, Sw::FILE_DEACTIVATED);
    assert_eq!(sw(&mut s, "00B0860004"), Sw::CONDITIONS_NOT_SATISFIED);
    s.send_with_mac(
        &Command::new(0x84, 0x18, 0, 0),
        &stk(),
        "APPLICATION UNBLOCK",
    )
    .unwrap();
    assert_eq!(s.reselect_df(b"SSSE", "SSSE").unwrap().sw, Sw::OK);
}

#[test]
fn counters_and_keys_survive_the_image() {
    let (_dir, path) = personalized();
    {
        let mut t = open(&path);
        let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
        let mut s = Session::new(&mut tx);
        s.select_df(b"SSSE", "SSSE").unwrap();
        assert_eq!(sw(&mut s, "0020000003999999"), Sw(0x63C2));
        drop(s);
        tx.end().unwrap();
        t.close().unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"usage\": \"external-auth\""), "{text}");
    let mut t = open(&path);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    s.select_df(b"SSSE", "SSSE").unwrap();
    assert_eq!(
        sw(&mut s, "00200000"),
        Sw(0x63C2),
        "the PIN counter is persistent"
    );
    assert!(s.authenticate(4, "write key", &write_key()).unwrap());
}
