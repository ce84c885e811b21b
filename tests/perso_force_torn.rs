//! `perso --force` onto another holder's ENABLED card, power lost after each APDU in turn:
//! the card is never left ENABLED with a mix of the two holders; a re-run without `--force`
//! reports the card's real state; the same forced run again finishes it.

use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::perso::{Outcome, RunOptions, Station};
use sscard::profile::Lcs;
use sscard::record::HolderRecord;
use sscard::sim::fs::Node;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite, VirtualCard};
use sscard::transport::{ResetKind, Transport};

fn other_holder() -> HolderRecord {
    let mut other = demo::demo_holder();
    for (k, v) in [
        ("ssn", "110101199003070011"),
        ("birth_date", "19900307"),
        ("name", "测试二"),
        ("sex", "1"),
        ("birth_place", "110101"),
        ("card_number", "A00000003"),
    ] {
        other.fields.insert(k.into(), v.into());
    }
    other
}

/// The SSSE's life cycle and the records of its EFs, straight from the image.
fn ssse(t: &mut SimTransport) -> (Lcs, Vec<Vec<u8>>) {
    let img = t.image();
    let mf = &img.card().state().mf;
    let df: &Node = mf
        .children
        .iter()
        .find(|c| c.fid.map(|f| f.0) == Some(0xDDF1))
        .unwrap();
    let records = df
        .children
        .iter()
        .flat_map(|ef| ef.records.iter().map(|r| r.0.clone()))
        .collect();
    (df.lcs, records)
}

#[test]
fn forced_repersonalization_cut_anywhere_never_leaves_an_enabled_mix() {
    let dir = tempfile::tempdir().unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    let station = Station::new(&profile).unwrap();
    let (a, b) = (demo::demo_holder(), other_holder());
    let open =
        |name: &str| SimTransport::new(ImageCard::open(&dir.path().join(name)).unwrap()).unwrap();
    // Holder A's enabled card, and (for comparison) holder B's.
    let mut ta = open("a.json");
    demo::init_card(&mut ta, &profile, &keys, DEMO_CARD_ID).unwrap();
    let base = ta.image().card().state().clone();
    station
        .personalize(&mut ta, &a, Some(&keys), RunOptions::default())
        .unwrap();
    let enabled_a = ta.image().card().state().clone();
    let (lcs, records_a) = ssse(&mut ta);
    assert_eq!(lcs, Lcs::Activated);
    let mut tb = open("b.json");
    *tb.image().card_mut() = VirtualCard::from_state(base);
    tb.reset(ResetKind::Cold).unwrap();
    station
        .personalize(&mut tb, &b, Some(&keys), RunOptions::default())
        .unwrap();
    let (_, records_b) = ssse(&mut tb);
    assert_ne!(records_a, records_b);

    let force = RunOptions { force: true };
    let (mut cuts, mut enabled_mixed, mut disabled_seen) = (0, 0, 0);
    for how in [InterruptedWrite::NotDone, InterruptedWrite::Done] {
        for k in 1u64.. {
            let mut t = open(&format!("cut-{k}-{how:?}.json"));
            *t.image().card_mut() = VirtualCard::from_state(enabled_a.clone());
            t.image().card_mut().set_faults(FaultConfig {
                power_loss_at: Some(k),
                interrupted_write: how,
                ..FaultConfig::default()
            });
            t.reset(ResetKind::Cold).unwrap();
            let first = station.personalize(&mut t, &b, Some(&keys), force);
            if let Ok(r) = first {
                assert_eq!(r.outcome, Outcome::Overwritten);
                assert!(k > 30, "a forced run sends more than 30 APDUs ({k})");
                break;
            }
            cuts += 1;
            t.reset(ResetKind::Cold).unwrap();
            let (lcs, records) = ssse(&mut t);
            if lcs == Lcs::Activated && records != records_a && records != records_b {
                enabled_mixed += 1;
                eprintln!("cut {k} {how:?}: ENABLED with a mix of two holders");
            }
            // Without --force: the real state, never a silent success on a mixed card.
            match station.personalize(&mut t, &b, Some(&keys), RunOptions::default()) {
                Ok(r) => {
                    assert_eq!(r.outcome, Outcome::AlreadyDone, "cut {k} {how:?}");
                    assert_eq!(ssse(&mut t).1, records_b, "cut {k} {how:?}");
                }
                Err(e) => {
                    let text = e.to_string();
                    if lcs == Lcs::Deactivated {
                        disabled_seen += 1;
                        assert!(
                            text.contains("disabled") && text.contains("--force"),
                            "cut {k} {how:?}: {text}"
                        );
                    } else {
                        assert!(
                            text.contains("another person's data"),
                            "cut {k} {how:?}: {text}"
                        );
                    }
                }
            }
            // The same forced run again finishes the job: B's card, enabled.
            t.reset(ResetKind::Cold).unwrap();
            let r = station
                .personalize(&mut t, &b, Some(&keys), force)
                .unwrap_or_else(|e| panic!("cut {k} {how:?}: forced re-run: {e}"));
            assert!(r.enabled, "cut {k} {how:?}");
            assert_eq!(
                ssse(&mut t),
                (Lcs::Activated, records_b.clone()),
                "cut {k} {how:?}"
            );
        }
    }
    eprintln!(
        "forced perso: {cuts} cut points, {disabled_seen} left the card disabled, \
         {enabled_mixed} left it ENABLED with two holders' data"
    );
    assert!(cuts > 60, "both modes, every APDU: {cuts}");
    assert!(disabled_seen > 20, "the rewrite happens while disabled");
    assert_eq!(enabled_mixed, 0);
}
