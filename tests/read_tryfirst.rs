//! Reading as the field reads, on the in-process virtual card: `read` and `verify` read what
//! the card allows, authenticate only where the card answers 6982 and only with a key that was
//! given, say which elements need which key otherwise, and report a card more open than its
//! profile as a note.

use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::perso::read::read_card;
use sscard::perso::{PersoError, Station};
use sscard::profile::Profile;
use sscard::session::CardKeys;
use sscard::session::Session;
use sscard::sim::transport::{ImageCard, SimTransport};

fn blank(dir: &tempfile::TempDir) -> SimTransport {
    SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap()
}

fn shipped() -> Profile {
    demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap()
}

/// The ssc-3.00 profile with every EF readable without a key (a card more open than the
/// shipped profile says).
fn open_profile() -> Profile {
    let text = SSC_300.replace(r#"read = "auth:read""#, r#"read = "always""#);
    assert_ne!(text, SSC_300, "the profile must have auth:read files");
    sscard::profile::parse(&text, "open.toml".as_ref()).unwrap()
}

/// A card made (init + perso) with `profile`.
fn made_with(dir: &tempfile::TempDir, profile: &Profile) -> SimTransport {
    let mut t = blank(dir);
    let keys = demo::shipped_keys().unwrap();
    demo::init_card(&mut t, profile, &keys, DEMO_CARD_ID).unwrap();
    let station = Station::new(profile).unwrap();
    station
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&keys),
            Default::default(),
        )
        .unwrap();
    // A fresh power-up, as when the card is next inserted: no security state left.
    sscard::transport::Transport::reset(&mut t, sscard::transport::ResetKind::Cold).unwrap();
    t
}

/// The card keys of the demo card for `profile` (from the test key file).
fn card_keys(station: &Station<'_>, t: &SimTransport) -> CardKeys {
    use sscard::transport::Transport;
    let keys = demo::shipped_keys().unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    station.card_keys(Some(&keys), &values, &t.atr())
}

fn auths(headers: &[[u8; 4]]) -> usize {
    headers.iter().filter(|h| h[1] == 0x82).count()
}

#[test]
fn a_card_more_open_than_its_profile_is_read_without_authentication_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = made_with(&dir, &open_profile());
    let profile = shipped();
    let station = Station::new(&profile).unwrap();
    let keys = card_keys(&station, &t);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let content = read_card(&mut s, &station.app, &keys).unwrap();
    assert_eq!(
        auths(s.headers()),
        0,
        "no authentication when none is needed"
    );
    assert_eq!(content.authentications, 0);
    assert_eq!(content.values.len(), station.app.elements.len(), "all read");
    assert!(content.needs.is_empty());
    assert!(
        content
            .notes
            .iter()
            .any(|n| n.starts_with("EF06 was read without read key 0A")
                && n.contains("more open than the profile's")),
        "{:?}",
        content.notes
    );
    // One SELECT and one READ RECORD per element, nothing else.
    assert_eq!(s.stats().apdus, 1 + station.app.elements.len());
}

#[test]
fn a_card_that_wants_the_read_key_gets_it_once_and_only_after_6982() {
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped();
    let mut t = made_with(&dir, &profile);
    let station = Station::new(&profile).unwrap();
    let keys = card_keys(&station, &t);
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let content = read_card(&mut s, &station.app, &keys).unwrap();
    assert!(content.needs.is_empty() && content.notes.is_empty());
    assert_eq!(content.values.len(), station.app.elements.len());
    assert_eq!(auths(s.headers()), 1, "one authentication while it holds");
    // The first READ RECORD that needs the key comes before the authentication.
    let h = s.headers();
    let first_auth = h.iter().position(|h| h[1] == 0x82).unwrap();
    assert_eq!(h[first_auth - 2][1], 0xB2, "a refused READ RECORD first");
    assert_eq!(h[first_auth - 1][1], 0x84, "then GET CHALLENGE");
}

#[test]
fn without_keys_the_elements_that_need_one_are_named_with_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped();
    let mut t = made_with(&dir, &profile);
    let station = Station::new(&profile).unwrap();
    let none = CardKeys::default();
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let content = read_card(&mut s, &station.app, &none).unwrap();
    assert_eq!(auths(s.headers()), 0);
    let missing = content.missing().unwrap();
    assert!(
        missing.contains("EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{missing}"
    );
    // One refused READ RECORD per file, not one per element.
    let refused_files = content.needs.len();
    assert_eq!(
        s.stats().apdus,
        1 + content.values.len() + refused_files,
        "{:?}",
        content.needs
    );
}

#[test]
fn verify_reads_first_and_names_the_key_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let profile = shipped();
    let mut t = made_with(&dir, &profile);
    let station = Station::new(&profile).unwrap();
    let err = station
        .verify(&mut t, &demo::demo_holder(), None)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            sscard::perso::JobError::Run(PersoError::NotRead { .. })
        ),
        "{msg}"
    );
    assert!(
        msg.contains("EF06 08-0D need read key 0A (读密钥 RKSSSE): give --keys"),
        "{msg}"
    );
    let keys = demo::shipped_keys().unwrap();
    let r = station
        .verify(&mut t, &demo::demo_holder(), Some(&keys))
        .unwrap();
    assert_eq!(r.verified, station.app.elements.len());
    assert_eq!(auths(&r.headers), 1);
    assert!(r.notes.is_empty());
}

#[test]
fn verify_on_a_more_open_card_authenticates_never_and_notes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = made_with(&dir, &open_profile());
    let profile = shipped();
    let station = Station::new(&profile).unwrap();
    let keys = demo::shipped_keys().unwrap();
    let r = station
        .verify(&mut t, &demo::demo_holder(), Some(&keys))
        .unwrap();
    assert_eq!(r.verified, station.app.elements.len());
    assert_eq!(auths(&r.headers), 0);
    assert!(
        r.notes.iter().any(|n| n.contains("more open")),
        "{:?}",
        r.notes
    );
}
