//! One exclusive transaction per personalization: a spy transport records every transaction
//! start/end and every APDU; a perso (fresh, resumed, forced) is exactly one transaction with
//! every one of its APDUs inside.

use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_200, SSC_300};
use sscard::perso::{PlanOptions, RunOptions, Station};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite};
use sscard::transport::{ResetKind, Transport, TransportError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Begin,
    End,
    Apdu(u8),
}

/// Records what reaches the card: transaction boundaries and APDUs (by INS).
struct Spy<'a> {
    inner: &'a mut dyn Transport,
    events: Vec<Ev>,
}

impl Transport for Spy<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.events
            .push(Ev::Apdu(apdu.get(1).copied().unwrap_or(0)));
        self.inner.transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
    fn reset(&mut self, k: ResetKind) -> Result<Vec<u8>, TransportError> {
        self.inner.reset(k)
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.events.push(Ev::Begin);
        self.inner.begin_transaction()
    }
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        self.events.push(Ev::End);
        self.inner.end_transaction()
    }
}

/// Asserts `events` is one transaction holding `apdus` APDUs and nothing outside it.
fn one_transaction(events: &[Ev], apdus: usize, what: &str) {
    assert_eq!(events.first(), Some(&Ev::Begin), "{what}: {events:?}");
    assert_eq!(events.last(), Some(&Ev::End), "{what}: {events:?}");
    let inner = &events[1..events.len() - 1];
    assert!(
        inner.iter().all(|e| matches!(e, Ev::Apdu(_))),
        "{what}: a transaction boundary between APDUs: {events:?}"
    );
    assert_eq!(inner.len(), apdus, "{what}: {events:?}");
}

fn perso_in_one_transaction(text: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let profile = demo::shipped_profile(text, name).unwrap();
    let keys = demo::shipped_keys().unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let plan = station.plan(&values, PlanOptions::default()).unwrap();
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("c.json")).unwrap()).unwrap();
    demo::init_card(&mut t, &profile, &keys, DEMO_CARD_ID).unwrap();

    // A fresh perso.
    let mut spy = Spy {
        inner: &mut t,
        events: Vec::new(),
    };
    let r = station
        .run_plan(&mut spy, &plan, &values, Some(&keys), RunOptions::default())
        .unwrap();
    assert!(r.enabled);
    one_transaction(&spy.events, r.headers.len(), &format!("{name} fresh"));
    assert!(r.headers.len() >= plan.apdu_count(), "{name}");

    // Again on the finished card (verify only), and with --force.
    for force in [false, true] {
        let mut spy = Spy {
            inner: &mut t,
            events: Vec::new(),
        };
        let r = station
            .run_plan(&mut spy, &plan, &values, Some(&keys), RunOptions { force })
            .unwrap();
        one_transaction(
            &spy.events,
            r.headers.len(),
            &format!("{name} force={force}"),
        );
    }
}

#[test]
fn ssc300_perso_is_one_transaction_around_every_apdu() {
    perso_in_one_transaction(SSC_300, "ssc-3.00.toml");
}

#[test]
fn ssc200_perso_is_one_transaction_around_every_apdu() {
    perso_in_one_transaction(SSC_200, "ssc-2.00.toml");
}

#[test]
fn a_torn_perso_and_its_resume_are_one_transaction_each() {
    let dir = tempfile::tempdir().unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let plan = station.plan(&values, PlanOptions::default()).unwrap();
    let mut t = SimTransport::new(ImageCard::open(&dir.path().join("c.json")).unwrap()).unwrap();
    demo::init_card(&mut t, &profile, &keys, DEMO_CARD_ID).unwrap();
    t.image().card_mut().set_faults(FaultConfig {
        power_loss_at: Some(12),
        interrupted_write: InterruptedWrite::Done,
        ..FaultConfig::default()
    });
    t.reset(ResetKind::Cold).unwrap();
    let mut spy = Spy {
        inner: &mut t,
        events: Vec::new(),
    };
    let e = station.run_plan(&mut spy, &plan, &values, Some(&keys), RunOptions::default());
    assert!(e.is_err());
    // Cut at the 12th APDU: 12 sent, then the transaction is still ended.
    one_transaction(&spy.events, 12, "torn");
    t.reset(ResetKind::Cold).unwrap();
    let mut spy = Spy {
        inner: &mut t,
        events: Vec::new(),
    };
    let r = station
        .run_plan(&mut spy, &plan, &values, Some(&keys), RunOptions::default())
        .unwrap();
    one_transaction(&spy.events, r.headers.len(), "resume");
}
