//! The session asks its key source for every cryptogram and MAC; a refused key is not tried
//! again; soft keys give what `crypto` gives with the diversified key.

use super::*;
use crate::crypto::derive::{Chain, Level};
use crate::crypto::{Algorithm, Key, MAC_LEN};
use crate::profile::keys::KeyFile;
use crate::profile::{KeyRole, KeySpec};
use crate::transport::fake::Scripted;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const MASTER: &str = "404142434445464748494A4B4C4D4E4F";
const CHALLENGE: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn spec(name: &str, id: u8) -> KeySpec {
    KeySpec {
        name: name.into(),
        label: name.into(),
        id,
        role: KeyRole::ExternalAuth,
        algorithm: Algorithm::Tdes,
        diversification: Vec::new(),
        max_tries: 3,
    }
}

fn chain() -> Chain {
    Chain {
        levels: vec![Level {
            source: "card-id-last8".into(),
            factor: [0x44, 0x07, 0x00, 0x15, 0x29, 0x47, 0xB2, 0x97],
        }],
    }
}

fn card_key() -> Key {
    chain()
        .apply(&Key::from_hex(Algorithm::Tdes, MASTER).unwrap())
        .unwrap()
}

/// A source that computes with the diversified key and counts the calls.
struct Counting {
    calls: Arc<AtomicUsize>,
}

impl KeySource for Counting {
    fn describe(&self) -> String {
        "PSAM in reader 'test slot'".into()
    }
    fn cryptogram(&mut self, k: &KeyUse<'_>, ch: &[u8]) -> Result<Vec<u8>, KeySourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(k.chain, &chain());
        Ok(crypto::auth_cryptogram(&card_key(), ch).unwrap())
    }
    fn mac(
        &mut self,
        _: &KeyUse<'_>,
        ch: &[u8],
        data: &[u8],
    ) -> Result<[u8; MAC_LEN], KeySourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(crypto::mac(&card_key(), ch, data).unwrap())
    }
}

fn counting() -> (CardKey, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let source = shared(Counting {
        calls: calls.clone(),
    });
    (CardKey::new(source, spec("write", 4), chain()), calls)
}

fn hex(b: &[u8]) -> String {
    crate::apdu::compact(b)
}

#[test]
fn a_refused_key_is_not_tried_a_second_time_and_the_error_names_the_source() {
    let (key, calls) = counting();
    let crypt = crypto::auth_cryptogram(&card_key(), &CHALLENGE).unwrap();
    let mut card = Scripted::new(&[
        ("0084000008", &format!("{}9000", hex(&CHALLENGE))),
        (&format!("0082000408{}", hex(&crypt)), "6300"),
    ]);
    let mut tx = crate::transport::Tx::begin(&mut card).unwrap();
    let mut s = Session::new(&mut tx);
    let e = s.authenticate(4, "write", &key).unwrap_err();
    assert_eq!(e.sw(), Some(Sw(0x6300)));
    let msg = e.to_string();
    assert!(
        msg.contains("The PSAM in reader 'test slot' does not hold this card's keys"),
        "{msg}"
    );
    assert!(!msg.contains(&hex(&crypt)), "{msg}");
    // Again: nothing is sent (the script is used up: a command would fail the link).
    let again = s.authenticate(4, "write", &key).unwrap_err();
    assert!(matches!(again, SessionError::AuthFailed { .. }), "{again}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(s);
    tx.end().unwrap();
    card.done();
}

#[test]
fn the_mac_comes_from_the_source_and_equals_the_soft_sm_command() {
    let (key, calls) = counting();
    let cmd = Command::new(0x80, 0x1E, 0x00, 0x00);
    let want = crypto::sm_command(&card_key(), &CHALLENGE, [0x80, 0x1E, 0, 0], &[]).unwrap();
    let mut card = Scripted::new(&[
        ("0084000008", &format!("{}9000", hex(&CHALLENGE))),
        (&hex(&want), "9000"),
    ]);
    let mut tx = crate::transport::Tx::begin(&mut card).unwrap();
    let mut s = Session::new(&mut tx);
    s.send_with_mac(&cmd, &key, "APPLICATION BLOCK").unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(s);
    tx.end().unwrap();
    card.done();
}

#[test]
fn soft_keys_give_what_crypto_gives_with_the_diversified_key() {
    let text = format!("[keys.write]\n3des = \"{MASTER}\"\n");
    let kf = KeyFile::parse(&text, Path::new("k.toml")).unwrap();
    let source = shared(SoftKeys::new(kf));
    let key = CardKey::new(source.clone(), spec("write", 4), chain());
    assert_eq!(
        key.cryptogram(&CHALLENGE).unwrap(),
        crypto::auth_cryptogram(&card_key(), &CHALLENGE).unwrap()
    );
    let data = [0x84, 0x1E, 0, 0, 4];
    assert_eq!(
        key.mac(&CHALLENGE, &data).unwrap(),
        crypto::mac(&card_key(), &CHALLENGE, &data).unwrap()
    );
    assert!(
        key.check_internal(&CHALLENGE, &key.cryptogram(&CHALLENGE).unwrap())
            .unwrap()
    );
    assert!(!key.check_internal(&CHALLENGE, &[0; 8]).unwrap());
    assert_eq!(key.source_name(), "key file k.toml");
    // A key the file lacks is known to be missing before anything is sent.
    let e = source
        .lock()
        .unwrap()
        .has_key(&spec("read", 3))
        .unwrap_err();
    assert!(matches!(e, KeySourceError::NoKey(_)), "{e}");
    assert!(
        e.to_string()
            .contains("k.toml has no 3DES value for key 'read'"),
        "{e}"
    );
}
