//! Torn personalization: power is lost during each APDU of the plan in turn (the interrupted
//! write done or not done); the next perso of the same record on the same card must finish,
//! verify and leave a correct, enabled card. Also double cuts: a second power loss at every
//! APDU of the resume run, then a third run that must finish.

use sscard::error::ErrorChain;
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_200, SSC_300};
use sscard::perso::run::Found;
use sscard::perso::{Encoded, Outcome, Plan, PlanOptions, RunOptions, Station};
use sscard::profile::Profile;
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{CardState, FaultConfig, InterruptedWrite, VirtualCard};
use sscard::transport::{ResetKind, Transport};
use std::path::Path;

const HOWS: [InterruptedWrite; 2] = [InterruptedWrite::NotDone, InterruptedWrite::Done];

/// One profile's station, record, plan and an initialised card to copy for every cut.
struct Bench {
    profile: Profile,
    keys: sscard::profile::keys::KeyFile,
    values: Vec<Encoded>,
    base: CardState,
}

impl Bench {
    fn new(dir: &Path, text: &str, name: &str) -> Bench {
        let profile = demo::shipped_profile(text, name).unwrap();
        let keys = demo::shipped_keys().unwrap();
        let values = Station::new(&profile)
            .unwrap()
            .encode(&demo::demo_holder())
            .unwrap();
        let base = {
            let mut t =
                SimTransport::new(ImageCard::open(&dir.join(format!("base-{name}.json"))).unwrap())
                    .unwrap();
            demo::init_card(&mut t, &profile, &keys, DEMO_CARD_ID).unwrap();
            t.image().card().state().clone()
        };
        Bench {
            profile,
            keys,
            values,
            base,
        }
    }

    fn station(&self) -> Station<'_> {
        Station::new(&self.profile).unwrap()
    }

    fn plan(&self) -> Plan {
        self.station()
            .plan(&self.values, PlanOptions::default())
            .unwrap()
    }

    /// A fresh copy of the initialised card, powered.
    fn card(&self, path: &Path) -> SimTransport {
        let mut t = SimTransport::new(ImageCard::open(path).unwrap()).unwrap();
        *t.image().card_mut() = VirtualCard::from_state(self.base.clone());
        t.reset(ResetKind::Cold).unwrap();
        t
    }

    /// Runs the plan with power lost at APDU `n` (`how`): `true` when the cut happened (the run
    /// failed saying so), `false` when the run finished before APDU `n`.
    fn cut_run(&self, t: &mut SimTransport, n: u64, how: InterruptedWrite, what: &str) -> bool {
        t.image().card_mut().set_faults(FaultConfig {
            power_loss_at: Some(n),
            interrupted_write: how,
            ..FaultConfig::default()
        });
        t.reset(ResetKind::Cold).unwrap();
        let plan = self.plan();
        let r = self.station().run_plan(
            t,
            &plan,
            &self.values,
            Some(&self.keys),
            RunOptions::default(),
        );
        t.image().card_mut().set_faults(FaultConfig::default());
        t.reset(ResetKind::Cold).unwrap();
        match r {
            Err(e) => {
                assert!(
                    e.chain().to_string().contains("removed or lost power"),
                    "{what}: {e}"
                );
                true
            }
            Ok(_) => false,
        }
    }

    /// The re-run finishes the card; every element reads back equal to the record.
    fn finishes(&self, t: &mut SimTransport, what: &str) {
        let plan = self.plan();
        let again = self
            .station()
            .run_plan(
                t,
                &plan,
                &self.values,
                Some(&self.keys),
                RunOptions::default(),
            )
            .unwrap_or_else(|e| panic!("re-run after {what}: {e}"));
        assert!(again.enabled, "{what}");
        assert!(
            matches!(
                again.outcome,
                Outcome::Personalized | Outcome::Resumed | Outcome::AlreadyDone
            ),
            "{what}: {:?}",
            again.outcome
        );
        assert_eq!(again.verified, self.values.len(), "{what}: verified count");
        let read = demo::read_out(t, &self.station(), Some(&self.keys), &self.values).unwrap();
        assert!(read.content.enabled(), "{what}");
        assert_eq!(
            read.content.values.len(),
            self.values.len(),
            "{what}: every element of the record is read back"
        );
        for want in &self.values {
            let found = read
                .content
                .values
                .iter()
                .find(|(el, _)| *el == want.el)
                .map(|(_, f)| f);
            assert_eq!(
                found,
                Some(&Found::Value(want.value.clone())),
                "{what}: {}",
                want.el
            );
        }
    }
}

/// Power lost at every APDU of the plan (write done / not done), then a re-run.
fn single_cuts(text: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bench = Bench::new(dir.path(), text, name);
    let total = bench.plan().apdu_count();
    assert!(total > 30, "{}", bench.plan().render());
    assert!(bench.values.len() > 10, "{name}: the record has elements");
    for n in 1..=total as u64 {
        for how in HOWS {
            let what = format!("{name} cut {n} {how:?}");
            let mut t = bench.card(&dir.path().join(format!("cut-{n}-{how:?}.json")));
            assert!(bench.cut_run(&mut t, n, how, &what), "{what}: not cut");
            bench.finishes(&mut t, &what);
        }
    }
}

#[test]
fn ssc300_power_loss_at_every_apdu_then_rerun_gives_a_correct_enabled_card() {
    single_cuts(SSC_300, "ssc-3.00.toml");
}

#[test]
fn ssc200_power_loss_at_every_apdu_then_rerun_gives_a_correct_enabled_card() {
    single_cuts(SSC_200, "ssc-2.00.toml");
}

/// A first cut every `STRIDE` APDUs of the plan, then a second cut at every APDU of the resume
/// run (until the resume run gets through), then a third run that finishes the card.
#[test]
fn ssc300_second_power_loss_at_every_apdu_of_the_resume_run_then_rerun_finishes() {
    const STRIDE: usize = 9;
    let dir = tempfile::tempdir().unwrap();
    let bench = Bench::new(dir.path(), SSC_300, "ssc-3.00.toml");
    let total = bench.plan().apdu_count();
    let mut doubles = 0;
    for (i, n) in (1..=total as u64).step_by(STRIDE).enumerate() {
        let how1 = HOWS[i % 2];
        let mut m = 1u64;
        loop {
            let how2 = HOWS[(m as usize + i) % 2];
            let what = format!("cut {n} {how1:?} then resume cut {m} {how2:?}");
            let mut t = bench.card(&dir.path().join("double.json"));
            assert!(
                bench.cut_run(&mut t, n, how1, &what),
                "{what}: first not cut"
            );
            let cut = bench.cut_run(&mut t, m, how2, &what);
            bench.finishes(&mut t, &what);
            if !cut {
                break;
            }
            doubles += 1;
            m += 1;
            assert!(m < 4 * total as u64, "{what}: the resume run never ends");
        }
    }
    assert!(doubles > 100, "second cuts tried: {doubles}");
}
