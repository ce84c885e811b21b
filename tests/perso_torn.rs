//! Torn personalization: power is lost during each APDU of the plan in turn (the interrupted
//! write done or not done); the next perso of the same record on the same card must finish,
//! verify and leave a correct, enabled card.

use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::perso::{Outcome, PlanOptions, RunOptions, Station};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite, VirtualCard};
use sscard::transport::{ResetKind, Transport};

#[test]
fn power_loss_after_every_apdu_then_rerun_gives_a_correct_enabled_card() {
    let dir = tempfile::tempdir().unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    let station = Station::new(&profile).unwrap();
    let holder = demo::demo_holder();
    let values = station.encode(&holder).unwrap();
    let plan = station.plan(&values, PlanOptions::default()).unwrap();
    let total = plan.apdu_count();
    assert!(total > 30, "{}", plan.render());

    // One initialised card, copied for every cut.
    let base = {
        let mut t =
            SimTransport::new(ImageCard::open(&dir.path().join("base.json")).unwrap()).unwrap();
        demo::init_card(&mut t, &profile, &keys, DEMO_CARD_ID).unwrap();
        t.image().card().state().clone()
    };
    for n in 1..=total as u64 {
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
            let first =
                station.run_plan(&mut t, &plan, &values, Some(&keys), RunOptions::default());
            let err = first.expect_err(&format!("power lost at APDU {n} must stop the run"));
            assert!(
                err.to_string().contains("removed or lost power"),
                "cut {n} {how:?}: {err}"
            );
            // The card is put back: powered again, same record, same card.
            t.reset(ResetKind::Cold).unwrap();
            let again = station
                .run_plan(&mut t, &plan, &values, Some(&keys), RunOptions::default())
                .unwrap_or_else(|e| panic!("re-run after cut {n} {how:?}: {e}"));
            assert!(again.enabled, "cut {n} {how:?}");
            assert!(
                matches!(
                    again.outcome,
                    Outcome::Personalized | Outcome::Resumed | Outcome::AlreadyDone
                ),
                "cut {n} {how:?}: {:?}",
                again.outcome
            );
            let read = demo::read_out(&mut t, &station, Some(&keys), &values).unwrap();
            assert!(read.content.enabled(), "cut {n} {how:?}");
            for (el, found) in &read.content.values {
                let want = values.iter().find(|v| v.el == *el).unwrap();
                assert_eq!(
                    found,
                    &sscard::perso::run::Found::Value(want.value.clone()),
                    "cut {n} {how:?}: {el}"
                );
            }
        }
    }
}
