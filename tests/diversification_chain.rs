//! Diversification chains: a profile names a list of levels, each with its factor source
//! (docs/crypto.md, "Diversification chains"); one source is a chain of one level; the chain
//! is data a hardware key source can replay, and the card keys it gives work on a card.

use sscard::crypto::derive::Chain;
use sscard::perso::demo::{self, SSC_300};
use sscard::profile::keys::{Factors, KeyFile};
use sscard::profile::{self, FactorSource, fingerprint::fingerprint};
use sscard::sim::transport::{ImageCard, SimTransport};
use std::path::Path;

const CARD_ID: &str = "440300D156000005005E1F0C3A9D2B47";
const ATR: &str = "3B9E188131FE458031C073F02100667373636172642C";
const CITY_THEN_ATR: &str = r#"diversification = ["region-ascii-7378", "atr-last8"]"#;

/// The shipped 3.00 profile with every key diversified by `chain` instead of one level.
fn with_chain(chain: &str) -> String {
    SSC_300.replace(r#"diversification = "card-id-last8""#, chain)
}

fn parse(text: &str) -> Result<profile::Profile, profile::ProfileError> {
    profile::parse(text, Path::new("chain.toml"))
}

#[test]
fn a_two_level_chain_loads_and_gives_the_documented_card_key() {
    let p = parse(&with_chain(CITY_THEN_ATR)).unwrap();
    let (_, w) = p.key("write").unwrap();
    assert_eq!(
        w.diversification,
        vec![FactorSource::RegionAscii7378, FactorSource::AtrLast8]
    );
    let factors = Factors::new(
        Some(hex::decode(CARD_ID).unwrap()),
        Some(&hex::decode(ATR).unwrap()),
    );
    // The chain as data: what a PSAM or HSM would be given.
    let chain: Chain = factors.chain(&w.diversification, "write").unwrap();
    assert_eq!(
        chain.describe(),
        "region-ascii-7378 3434303330307378 > atr-last8 667373636172642C"
    );
    // The software key source applies it: the numbers of docs/crypto.md.
    let kf = demo::shipped_keys().unwrap();
    let key = kf.card_key(w, &factors).unwrap();
    assert_eq!(
        hex::encode_upper(key.bytes),
        "C8B254FF271C1840FCC7E7FC4B940ED2"
    );
    // The show output and the fingerprint name the chain.
    let shown = profile::show::render(&p);
    assert!(
        shown.contains("key 04 write (external-auth, SM4, diversified by region-ascii-7378>atr-last8, 15 tries)"),
        "{shown}"
    );
    let shipped = parse(SSC_300).unwrap();
    assert_ne!(fingerprint(&p), fingerprint(&shipped));
}

#[test]
fn one_level_is_a_chain_of_one_and_none_is_empty() {
    let one = parse(&with_chain(r#"diversification = ["card-id-last8"]"#)).unwrap();
    let shipped = parse(SSC_300).unwrap();
    assert_eq!(
        fingerprint(&one),
        fingerprint(&shipped),
        "same chain, same structure"
    );
    assert_eq!(
        shipped.key("write").unwrap().1.diversification,
        vec![FactorSource::CardIdLast8]
    );
    let none = parse(&with_chain(r#"diversification = "none""#)).unwrap();
    assert!(none.key("write").unwrap().1.diversification.is_empty());
    // A missing factor says which value and where to give it.
    let kf = demo::shipped_keys().unwrap();
    let chained = parse(&with_chain(CITY_THEN_ATR)).unwrap();
    let (_, w) = chained.key("write").unwrap();
    let only_id = Factors::new(Some(hex::decode(CARD_ID).unwrap()), None);
    let e = kf.card_key(w, &only_id).unwrap_err().to_string();
    assert!(
        e.contains("diversified by the ATR, which is not known yet"),
        "{e}"
    );
}

#[test]
fn a_bad_level_is_reported_at_its_line() {
    let text = with_chain(r#"diversification = ["region-ascii-7378", "atr-first8"]"#);
    let e = parse(&text).unwrap_err().to_string();
    assert!(e.contains("unknown value 'atr-first8'"), "{e}");
    assert!(
        e.contains("region-ascii-7378"),
        "the known sources are listed: {e}"
    );
    assert!(e.contains("chain.toml:"), "{e}");
    let e = parse(&with_chain("diversification = [1]"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("a chain level must be a source name"), "{e}");
    let e = parse(&with_chain("diversification = 7"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("a list of them (a chain)"), "{e}");
}

#[test]
fn a_card_built_with_a_chain_is_personalized_verified_and_read_on_the_virtual_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap();
    let run = demo::run(&mut t, &with_chain(CITY_THEN_ATR), "chain.toml").unwrap();
    assert!(
        run.perso.enabled,
        "written after key 04 and verified with key 0A"
    );
    assert_eq!(
        run.read.fields.get("name").map(String::as_str),
        Some("测试一")
    );
    // The same master keys with the single-level chain do not open this card.
    use sscard::transport::Transport;
    t.reset(sscard::transport::ResetKind::Cold).unwrap(); // forget the run's security state
    let kf: KeyFile = demo::shipped_keys().unwrap();
    let one = parse(SSC_300).unwrap();
    let station = sscard::perso::Station::new(&one).unwrap();
    let err = station
        .verify(&mut t, &demo::demo_holder(), Some(&kf))
        .unwrap_err()
        .to_string();
    assert!(err.contains("key 0A"), "{err}");
}
