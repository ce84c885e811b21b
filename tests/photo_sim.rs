//! The photo file EF08 on the virtual card, in-process: a synthetic picture made here (no
//! photo of anyone) is resized and re-encoded under the file's size, written in chunks of at
//! most the profile's maximum after authentication with the write key, read back byte for
//! byte; the card enforces the file's access conditions; a write cut at any APDU leaves no
//! half photo, and running it again finishes.

mod photo_util;

use photo_util::{Sent, avatar_png, noise_png};
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::perso::{Encoded, Station};
use sscard::photo::{PhotoError, PhotoFile, jpeg, probe, read_photo, write_photo};
use sscard::profile::Profile;
use sscard::session::CardKeys;
use sscard::session::Session;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite, VirtualCard};
use sscard::transport::{ResetKind, Tap, Transport, Tx};

fn profile() -> Profile {
    demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap()
}

/// The card's keys, diversified by the demo card id.
fn keys(p: &Profile, atr: &[u8]) -> CardKeys {
    let station = Station::new(p).unwrap();
    let el = station.app.element("card_id").unwrap().clone();
    let value = hex::decode(DEMO_CARD_ID).unwrap();
    let kf = demo::shipped_keys().unwrap();
    station.card_keys(Some(&kf), &[Encoded { el, value }], atr)
}

/// A freshly initialised ssc-3.00 card in `dir/name`.
fn card(dir: &std::path::Path, name: &str, p: &Profile) -> SimTransport {
    let mut t = SimTransport::new(ImageCard::open(&dir.join(name)).unwrap()).unwrap();
    demo::init_card(&mut t, p, &demo::shipped_keys().unwrap(), DEMO_CARD_ID).unwrap();
    t
}

fn write_key_id(p: &Profile) -> u8 {
    p.df("ssse")
        .and_then(|d| d.keys.iter().find(|k| k.name == "write"))
        .map(|k| k.id)
        .unwrap()
}

#[test]
fn photo_round_trip_in_chunks_with_the_write_key_and_size_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile();
    let file = PhotoFile::from_profile(&p).unwrap();
    assert_eq!((file.fid, file.size), (0xEF08, 4096));
    assert_eq!(
        (file.spec.width, file.spec.height, file.spec.chunk),
        (150, 180, 255)
    );
    let photo = jpeg::prepare(&avatar_png(600, 720), &file.spec, file.size).unwrap();
    assert!(photo.jpeg.len() <= file.size, "{} bytes", photo.jpeg.len());
    assert_eq!(jpeg::dimensions(&photo.jpeg).unwrap(), (150, 180));

    let mut t = card(dir.path(), "card.json", &p);
    let ks = keys(&p, &t.atr());
    let mut tap = Tap::new(&mut t as &mut dyn Transport, Sent::default());
    {
        let mut tx = Tx::begin(&mut tap).unwrap();
        let mut s = Session::new(&mut tx);
        assert_eq!(probe(&mut s, &file, None).unwrap().bytes, None, "blank");
        write_photo(&mut s, &file, &ks, &photo.jpeg).unwrap();
        let back = read_photo(&mut s, &file, None).unwrap().unwrap();
        assert_eq!(back, photo.jpeg, "read back byte for byte");
        let info = probe(&mut s, &file, None).unwrap();
        assert_eq!(info.bytes, Some(photo.jpeg.len()));
    }
    let sent = &tap.observer().0;
    // Every UPDATE BINARY carries at most 255 data bytes, and together they fill the file.
    let updates: Vec<&Vec<u8>> = sent.iter().filter(|a| a[1] == 0xD6).collect();
    assert!(
        updates
            .iter()
            .all(|a| a.len() > 5 && a[4] as usize == a.len() - 5)
    );
    assert_eq!(updates.len(), 1 + 4096usize.div_ceil(255));
    // The JPEG's start marker is written last: a cut write never looks like a whole photo.
    let last = updates.last().unwrap();
    assert_eq!((last[2], last[3], last[5], last[6]), (0, 0, 0xFF, 0xD8));
    // External authentication with the write key 04 (as stations do), before the first write.
    let auth = sent.iter().position(|a| a[1] == 0x82).unwrap();
    assert_eq!(write_key_id(&p), 0x04);
    assert_eq!(sent[auth][3], 0x04);
    assert!(auth < sent.iter().position(|a| a[1] == 0xD6).unwrap());
}

#[test]
fn the_card_refuses_a_photo_write_without_the_write_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile();
    let file = PhotoFile::from_profile(&p).unwrap();
    let mut t = card(dir.path(), "card.json", &p);
    // Raw APDUs: SELECT SSSE, SELECT EF08, UPDATE BINARY without authentication.
    let sw = |r: Vec<u8>| sscard::apdu::compact(&r[r.len() - 2..]);
    let ssse = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF";
    assert_eq!(sw(t.transmit(&hex::decode(ssse).unwrap()).unwrap()), "9000");
    assert_eq!(
        sw(t.transmit(&hex::decode("00A4020C02EF08").unwrap()).unwrap()),
        "9000"
    );
    assert_eq!(
        sw(t.transmit(&hex::decode("00D6000002FFD8").unwrap()).unwrap()),
        "6982",
        "UPDATE BINARY of EF08 needs the write key"
    );
    // Reading needs no key.
    assert_eq!(
        sw(t.transmit(&hex::decode("00B0000004").unwrap()).unwrap()),
        "9000"
    );
    // The library says which key is missing, before sending any write.
    let mut tx = Tx::begin(&mut t).unwrap();
    let mut s = Session::new(&mut tx);
    let e = write_photo(&mut s, &file, &CardKeys::default(), &[0xFF, 0xD8]).unwrap_err();
    assert!(matches!(e, PhotoError::MissingKey { .. }), "{e}");
    assert!(e.to_string().contains("--keys"), "{e}");
}

#[test]
fn a_photo_too_complex_for_the_file_is_refused_before_the_card_is_touched() {
    let p = profile();
    let file = PhotoFile::from_profile(&p).unwrap();
    let e = jpeg::prepare(&noise_png(150, 180), &file.spec, 1024).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, PhotoError::TooBig { limit: 1024, .. }),
        "{text}"
    );
    assert!(
        text.contains("lowest quality") && text.contains("1024"),
        "{text}"
    );
}

#[test]
fn a_write_cut_at_any_apdu_leaves_no_half_photo_and_the_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile();
    let file = PhotoFile::from_profile(&p).unwrap();
    let old = jpeg::prepare(&avatar_png(150, 180), &file.spec, file.size)
        .unwrap()
        .jpeg;
    let new = jpeg::prepare(&avatar_png(300, 200), &file.spec, file.size)
        .unwrap()
        .jpeg;
    assert_ne!(old, new);

    // A card that already holds a photo (the old one), copied for every cut.
    let (base, ks, total) = {
        let mut t = card(dir.path(), "base.json", &p);
        let ks = keys(&p, &t.atr());
        let mut tx = Tx::begin(&mut t).unwrap();
        let mut s = Session::new(&mut tx);
        write_photo(&mut s, &file, &ks, &old).unwrap();
        // How many APDUs a whole write of the new photo takes.
        let before = s.stats().apdus;
        write_photo(&mut s, &file, &ks, &old).unwrap();
        let total = s.stats().apdus - before;
        drop(s);
        drop(tx);
        (t.image().card().state().clone(), ks, total as u64)
    };
    assert!(total > 30, "{total} APDUs");
    for n in 1..=total {
        for how in [InterruptedWrite::NotDone, InterruptedWrite::Done] {
            let path = dir.path().join(format!("cut-{n}-{how:?}.json"));
            let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
            *t.image().card_mut() = VirtualCard::from_state(base.clone());
            t.image().card_mut().set_faults(FaultConfig {
                power_loss_at: Some(n),
                interrupted_write: how,
                ..FaultConfig::default()
            });
            t.reset(ResetKind::Cold).unwrap();
            let first = {
                let mut tx = Tx::begin(&mut t).unwrap();
                write_photo(&mut Session::new(&mut tx), &file, &ks, &new)
            };
            let err = first.expect_err(&format!("power lost at APDU {n} must stop the write"));
            assert!(
                matches!(err, PhotoError::Cut { .. }),
                "cut {n} {how:?}: {err}"
            );
            assert!(
                err.to_string().contains("run the same command again"),
                "{err}"
            );

            // Power back: the card holds the old photo, no photo, or the whole new one;
            // never a damaged or mixed one.
            t.reset(ResetKind::Cold).unwrap();
            let mut tx = Tx::begin(&mut t).unwrap();
            let mut s = Session::new(&mut tx);
            let seen = read_photo(&mut s, &file, None)
                .unwrap_or_else(|e| panic!("after cut {n} {how:?}: {e}"));
            assert!(
                seen.is_none()
                    || seen.as_deref() == Some(&old[..])
                    || seen.as_deref() == Some(&new[..]),
                "cut {n} {how:?}: a photo of {} bytes that is neither",
                seen.map_or(0, |v| v.len())
            );
            write_photo(&mut s, &file, &ks, &new)
                .unwrap_or_else(|e| panic!("re-run after cut {n} {how:?}: {e}"));
            assert_eq!(
                read_photo(&mut s, &file, None).unwrap().as_deref(),
                Some(&new[..]),
                "cut {n} {how:?}"
            );
        }
    }
}
