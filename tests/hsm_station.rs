//! The station's jobs with the master keys in a SoftHSMv2 token (PKCS#11) on a 3DES card
//! (ssc-2.00) in-process: personalization (verify and enable included), read, PIN unblock and
//! disable. The card sees exactly the same APDUs, cryptograms and MACs as with the key file:
//! the virtual card's challenges are seeded, so both runs get the same challenges, and the
//! keys are equal.

mod hsm_util;

use hsm_util::{MODULE, PIN, in_child};
use sscard::card::PinState;
use sscard::crypto::Secret;
use sscard::hsm::{Pkcs11Config, Pkcs11Source};
use sscard::perso::demo::{
    DEMO_CARD_ID, SSC_200, demo_holder, init_card, shipped_keys, shipped_profile,
};
use sscard::perso::{Outcome, PlanOptions, RunOptions, Station, enable, pin, read};
use sscard::profile::KeyRole;
use sscard::session::{SharedSource, SoftKeys, in_transaction, shared};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::tap::{Observer, Tap};
use sscard::transport::{Transport, TransportError};
use std::path::Path;
use std::time::Duration;

/// Every command the card received and its answer.
#[derive(Default)]
struct CardLog(Vec<(String, String)>);

impl Observer for CardLog {
    fn response(&mut self, apdu: &[u8], r: &Result<Vec<u8>, TransportError>, _took: Duration) {
        let answer = r.as_ref().map(hex::encode_upper).unwrap_or_default();
        self.0.push((hex::encode_upper(apdu), answer));
    }
}

/// Init with the key file (the manufacturer's step), then the station's jobs with `source`;
/// the card-side log of the station's jobs.
fn station_jobs(dir: &Path, source: SharedSource) -> Vec<(String, String)> {
    let profile = shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let mut chip = ImageCard::open(&dir.join("card.json")).unwrap();
    chip.card_mut().set_challenge_seed(Some(2026));
    let mut sim = SimTransport::new(chip).unwrap();
    init_card(&mut sim, &profile, &shipped_keys().unwrap(), DEMO_CARD_ID).unwrap();
    let mut t = Tap::new(&mut sim as &mut dyn Transport, CardLog::default());
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo_holder()).unwrap();
    let plan = station.plan(&values, PlanOptions::default()).unwrap();
    let keys = station.card_keys_from(Some(&source), &values, &t.atr());
    let report = station
        .run_plan_with_keys(&mut t, &plan, &keys, RunOptions::default())
        .unwrap();
    assert_eq!(report.outcome, Outcome::Personalized);
    assert!(report.enabled, "verified and enabled");
    let app = &station.app;
    let content = in_transaction(&mut t, |s| read::read_card(s, app, &keys)).unwrap();
    assert!(!content.values.is_empty(), "read back");
    // Block the PIN with wrong tries, unblock it with the PIN-unblock key's MAC.
    let blocked = in_transaction(&mut t, |s| {
        let mut st = PinState::Verified;
        for _ in 0..16 {
            st = pin::verify(s, app, "999999")?;
            if st == PinState::Blocked {
                break;
            }
        }
        Ok::<_, sscard::perso::PersoError>(st)
    })
    .unwrap();
    assert_eq!(blocked, PinState::Blocked);
    let puk = profile
        .df(&app.profile_df)
        .and_then(|df| df.keys.iter().find(|k| k.role == KeyRole::PinUnblock))
        .unwrap()
        .id;
    let st = in_transaction(&mut t, |s| pin::unblock(s, app, &keys, puk, Some("135246"))).unwrap();
    assert_ne!(st, PinState::Blocked, "unblocked: {}", pin::describe(st));
    let disabled = in_transaction(&mut t, |s| enable::disable(s, app, &keys)).unwrap();
    assert!(disabled, "disabled");
    t.observer().0.clone()
}

#[test]
fn hsm_station_jobs_send_the_card_the_same_apdus_as_the_key_file() {
    in_child(
        "hsm_station_jobs_send_the_card_the_same_apdus_as_the_key_file",
        "sscard-station",
        "",
        |token| {
            let soft_dir = tempfile::tempdir().unwrap();
            let soft = station_jobs(
                soft_dir.path(),
                shared(SoftKeys::new(shipped_keys().unwrap())),
            );
            let hsm = Pkcs11Source::open(
                Path::new(MODULE),
                token,
                &Secret::new(PIN.as_bytes().to_vec()),
                &Pkcs11Config::default(),
            )
            .unwrap();
            assert!(hsm.describe().starts_with("HSM token 'sscard-station'"));
            let hsm_dir = tempfile::tempdir().unwrap();
            let by_hsm = station_jobs(hsm_dir.path(), shared(hsm));
            // The runs authenticated and used secure messaging: EXTERNAL AUTHENTICATE answered
            // 9000, MAC'd commands (CLA with bit 04) answered 9000.
            let ok = |prefix: &str| {
                soft.iter()
                    .filter(|(c, r)| c.starts_with(prefix) && r.ends_with("9000"))
                    .count()
            };
            assert!(ok("0082") >= 1, "external authentications: {soft:#?}");
            assert!(
                ok("04") + ok("84") >= 2,
                "MAC'd commands (unblock, disable): {soft:#?}"
            );
            assert_eq!(soft.len(), by_hsm.len(), "same number of APDUs");
            for (i, (a, b)) in soft.iter().zip(&by_hsm).enumerate() {
                assert_eq!(a, b, "APDU {} differs (key file vs HSM)", i + 1);
            }
        },
    );
}
