//! A replacement cut at every step: power is lost during each APDU of each card session in
//! turn (the old card's examination, the new card's personalization, the old card's disabling;
//! the interrupted write done or not done), then the same job runs again and must reach the same
//! end: the new card enabled with the holder's data, the old card disabled, one replacement row
//! in the journal saying so.

mod replace_util;
use replace_util::*;
use sscard::journal::{CardState, Journal, Station as JStation};
use sscard::perso::Station;
use sscard::replace::cards::{CardAccess, Slot, Slots, Which};
use sscard::replace::{Applicant, Event, Job, Reason, Request};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite};
use sscard::transport::{ResetKind, Transport, TransportError};
use std::path::{Path, PathBuf};

/// The cards of one run, with power lost at APDU `n` of the `open`-th session of card `which`.
struct Cutting {
    inner: Slots,
    cut: Option<(Which, usize, u64, InterruptedWrite)>,
    opens: [usize; 2],
    paths: [PathBuf; 2],
}

impl CardAccess for Cutting {
    fn open(
        &mut self,
        which: Which,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Box<dyn Transport>, TransportError> {
        let i = usize::from(which == Which::New);
        self.opens[i] += 1;
        if let Some((w, k, n, how)) = self.cut
            && w == which
            && k == self.opens[i]
        {
            let mut t = SimTransport::new(ImageCard::open(&self.paths[i])?)?;
            t.image().card_mut().set_faults(FaultConfig {
                power_loss_at: Some(n),
                interrupted_write: how,
                ..FaultConfig::default()
            });
            t.reset(ResetKind::Cold)?;
            return Ok(Box::new(t));
        }
        self.inner.open(which, on_event)
    }

    fn release(
        &mut self,
        which: Which,
        card: Box<dyn Transport>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), TransportError> {
        self.inner.release(which, card, on_event)
    }
}

const BOTH: [InterruptedWrite; 2] = [InterruptedWrite::NotDone, InterruptedWrite::Done];

fn faults(path: &Path) -> FaultConfig {
    ImageCard::open(path).unwrap().card().faults().clone()
}

fn heal(path: &Path) {
    let mut t = SimTransport::new(ImageCard::open(path).unwrap()).unwrap();
    t.image().card_mut().set_faults(FaultConfig::default());
    t.close().unwrap();
}

struct Bench {
    scene: Scene,
    profile: sscard::profile::Profile,
    keys: sscard::profile::keys::KeyFile,
    source: sscard::session::SharedSource,
}

impl Bench {
    fn new() -> Bench {
        let kf = sscard::profile::keys::KeyFile::load(Path::new(&keys())).unwrap();
        Bench {
            scene: Scene::new(),
            profile: sscard::profile::load(Path::new(&profile())).unwrap(),
            source: sscard::session::shared(sscard::session::SoftKeys::new(kf.clone())),
            keys: kf,
        }
    }

    /// A fresh copy of the two cards and an empty journal in `dir`.
    fn copy(&self, dir: &Path) -> [PathBuf; 2] {
        let old = dir.join("old.json");
        let new = dir.join("new.json");
        std::fs::copy(self.scene.old(), &old).unwrap();
        std::fs::copy(self.scene.new_card(), &new).unwrap();
        [old, new]
    }

    fn request(&self) -> Request {
        let mut rec = sscard::record::HolderRecord::from_pairs("--card-number", []);
        rec.fields
            .insert("card_number".into(), card_number("B0000002"));
        Request {
            reason: Reason::Damaged,
            applicant: Applicant::Holder,
            record: Some(rec),
            take_record: false,
            photo: None,
            old_card_id: None,
            today: Some("20261129".into()),
        }
    }

    /// Runs the job once; `Err` is the job's error text.
    fn run(
        &self,
        paths: &[PathBuf; 2],
        journal: &str,
        cut: Option<(Which, usize, u64, InterruptedWrite)>,
    ) -> Result<(), String> {
        let station = Station::new(&self.profile).unwrap();
        let mut j = Journal::open(journal, JStation::new("S1", "op1")).unwrap();
        let mut job = Job {
            station: &station,
            keys: &self.source,
            journal: &mut j,
            region: None,
            allow_unlisted_product: false,
        };
        let mut cards = Cutting {
            inner: Slots::new(
                Slot::Sim(paths[0].clone()),
                Slot::Sim(paths[1].clone()),
                Default::default(),
            ),
            cut,
            opens: [0, 0],
            paths: paths.clone(),
        };
        sscard::replace::run(&mut job, &self.request(), &mut cards, &mut |_| {})
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Reads a card (in-process) with its keys: enabled, and the fields by name.
    fn read(
        &self,
        path: &Path,
        card_id: &str,
    ) -> (bool, std::collections::BTreeMap<String, String>) {
        let station = Station::new(&self.profile).unwrap();
        let el = station.app.element("card_id").unwrap().clone();
        let values = vec![sscard::perso::Encoded {
            el,
            value: sscard::apdu::parse_hex(card_id).unwrap(),
        }];
        let mut t = SimTransport::new(ImageCard::open(path).unwrap()).unwrap();
        let out =
            sscard::perso::demo::read_out(&mut t, &station, Some(&self.keys), &values).unwrap();
        t.close().unwrap();
        (out.content.enabled(), out.fields)
    }

    /// The end state every run must reach.
    fn check_end(&self, paths: &[PathBuf; 2], journal: &str, what: &str) {
        let (enabled, new) = self.read(&paths[1], NEW_ID);
        assert!(enabled, "{what}: {new:?}");
        let get = |k: &str| new.get(k).map(String::as_str).unwrap_or("");
        assert_eq!(get("ssn"), holder_ssn(), "{what}");
        assert_eq!(get("name"), NAME, "{what}");
        assert_eq!(get("card_id"), NEW_ID, "{what}");
        assert_eq!(get("card_number"), card_number("B0000002"), "{what}");
        let (old_enabled, _) = self.read(&paths[0], OLD_ID);
        assert!(!old_enabled, "{what}: the old card is disabled");
        let rows = journal_rows(journal);
        assert_eq!(rows.len(), 1, "{what}: one row: {rows:?}");
        let r = &rows[0];
        assert_eq!(
            (
                r.old_card_id.as_str(),
                r.new_card_id.as_str(),
                r.old_card_outcome.as_str(),
                r.reason.as_str()
            ),
            (OLD_ID, NEW_ID, "disabled", "damaged"),
            "{what}"
        );
        assert_eq!(
            journal_card(journal, OLD_ID).unwrap().state,
            CardState::Replaced,
            "{what}"
        );
        assert_eq!(
            journal_card(journal, NEW_ID).unwrap().state,
            CardState::Issued,
            "{what}"
        );
    }

    /// Cuts the `open`-th session of `which` at every APDU (both ways), then re-runs. Returns
    /// how many cuts happened.
    fn cut_everywhere(&self, which: Which, open: usize, hows: &[InterruptedWrite]) -> usize {
        let mut cuts = 0;
        for &how in hows {
            for n in 1.. {
                let dir = tempfile::tempdir().unwrap();
                let paths = self.copy(dir.path());
                let journal = dir.path().join("j.db").display().to_string();
                let what = format!("{} card session {open}, APDU {n}, {how:?}", which.as_str());
                let first = self.run(&paths, &journal, Some((which, open, n, how)));
                let i = usize::from(which == Which::New);
                let fired = faults(&paths[i]).power_loss_at.is_none();
                if !fired {
                    assert!(first.is_ok(), "{what}: {first:?}");
                    break;
                }
                cuts += 1;
                heal(&paths[0]);
                heal(&paths[1]);
                let again = self.run(&paths, &journal, None);
                assert!(
                    again.is_ok(),
                    "{what}: the re-run failed: {again:?} (the cut run: {first:?})"
                );
                self.check_end(&paths, &journal, &what);
                assert!(n < 400, "{what}: the session never ends");
            }
        }
        eprintln!("{} card session {open}: {cuts} cuts", which.as_str());
        cuts
    }
}

#[test]
fn a_cut_while_personalizing_the_new_card_resumes_to_the_same_end() {
    let b = Bench::new();
    let cuts = b.cut_everywhere(Which::New, 1, &BOTH);
    assert!(cuts > 2 * 40, "every APDU of the new card was cut ({cuts})");
}

#[test]
fn a_cut_while_disabling_the_old_card_resumes_to_the_same_end() {
    let b = Bench::new();
    let cuts = b.cut_everywhere(Which::Old, 2, &BOTH);
    assert!(
        cuts >= 2 * 5,
        "every APDU of the disabling was cut ({cuts})"
    );
}

#[test]
fn a_cut_while_examining_the_old_card_resumes_to_the_same_end() {
    let b = Bench::new();
    // Read-only: an interrupted command changes nothing either way.
    let cuts = b.cut_everywhere(Which::Old, 1, &[InterruptedWrite::NotDone]);
    assert!(cuts >= 50, "the examination was cut ({cuts})");
}

#[test]
fn a_run_with_no_cut_and_its_repeat_reach_the_same_end() {
    let b = Bench::new();
    let dir = tempfile::tempdir().unwrap();
    let paths = b.copy(dir.path());
    let journal = dir.path().join("j.db").display().to_string();
    b.run(&paths, &journal, None).unwrap();
    b.check_end(&paths, &journal, "first run");
    b.run(&paths, &journal, None).unwrap();
    b.check_end(&paths, &journal, "repeat");
}
