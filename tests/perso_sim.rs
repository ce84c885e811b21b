//! Personalization end to end on the in-process virtual card: init, perso, verify, enable,
//! read; APDU counts; refusals.

use sscard::error::ErrorChain;
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_200, SSC_300};
use sscard::perso::{Outcome, RunOptions, Station};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::transport::Transport;

fn blank(dir: &tempfile::TempDir) -> SimTransport {
    SimTransport::new(ImageCard::open(&dir.path().join("card.json")).unwrap()).unwrap()
}

#[test]
fn demo_personalizes_ssc_300_and_sends_exactly_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = blank(&dir);
    let run = demo::run(&mut card, SSC_300, "ssc-3.00.toml").unwrap();
    assert_eq!(run.perso.outcome, Outcome::Personalized);
    assert!(run.perso.enabled);
    assert_eq!(
        run.perso.stats.apdus, run.planned_apdus,
        "no APDU beyond the plan"
    );
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let plan = station
        .plan(&values, sscard::perso::PlanOptions::default())
        .unwrap();
    assert_eq!(
        run.perso.headers,
        plan.headers(),
        "sent exactly the planned commands, in order"
    );
    let count = |ins: u8| run.perso.headers.iter().filter(|h| h[1] == ins).count();
    // One SELECT of the MF (out of the creation state?), one of SSSE, one to confirm it is
    // enabled; one authentication per key (read, write, issuer for the PIN).
    assert_eq!((count(0xA4), count(0x84), count(0x82)), (3, 3, 3));
    assert!(run.read.content.enabled());
    assert_eq!(
        run.read.fields.get("name").map(String::as_str),
        Some("测试一")
    );
    assert_eq!(
        run.read.fields.get("card_id").map(String::as_str),
        Some(DEMO_CARD_ID)
    );
    assert_eq!(
        run.read.fields.get("expiry_date").map(String::as_str),
        Some("20350101")
    );
}

#[test]
fn demo_personalizes_ssc_200() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = blank(&dir);
    let run = demo::run(&mut card, SSC_200, "ssc-2.00.toml").unwrap();
    assert!(run.perso.enabled);
    assert_eq!(run.perso.stats.apdus, run.planned_apdus);
    assert_eq!(
        run.read.fields.get("spec_version").map(String::as_str),
        Some("2.00")
    );
}

fn setup() -> (sscard::profile::Profile, sscard::profile::keys::KeyFile) {
    (
        demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap(),
        demo::shipped_keys().unwrap(),
    )
}

fn initialised(
    dir: &tempfile::TempDir,
    p: &sscard::profile::Profile,
    k: &sscard::profile::keys::KeyFile,
) -> SimTransport {
    let mut t = blank(dir);
    demo::init_card(&mut t, p, k, DEMO_CARD_ID).unwrap();
    t
}

#[test]
fn tampered_element_is_caught_and_the_card_is_not_enabled() {
    use sscard::card::{Ef, RecordRef};
    use sscard::perso::{JobError, PersoError, Plan, PlanOptions};
    let dir = tempfile::tempdir().unwrap();
    let (p, k) = setup();
    let station = Station::new(&p).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let mut t = initialised(&dir, &p, &k);
    let write_only = station
        .plan(
            &values,
            PlanOptions {
                set_pin: true,
                enable: false,
            },
        )
        .unwrap();
    station
        .run_plan(
            &mut t,
            &write_only,
            &values,
            Some(&k),
            RunOptions::default(),
        )
        .unwrap();
    // Someone (or a failing chip) changes the name on the card.
    t.reset(sscard::transport::ResetKind::Warm).unwrap(); // forget the plan's key 04
    {
        let keys = station.card_keys(Some(&k), &values, &t.atr());
        let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
        let mut s = sscard::session::Session::new(&mut tx);
        s.select_df(&station.app.df_name, "SSSE").unwrap();
        let mut rec = vec![0x09, 30];
        rec.extend_from_slice(&[0xB2, 0xE2]); // GBK 测 -> another character
        rec.resize(32, 0);
        // Key 0D guards only the regional EF0D: it does not open EF06 for writing.
        s.authenticate(0x0D, "regional", keys.get(0x0D).unwrap())
            .unwrap();
        let e = s
            .with_card("tampering", |c| {
                c.update_record(Ef::Sfi(6), RecordRef::Tag(0x09), &rec)
            })
            .unwrap_err();
        assert!(e.chain().to_string().contains("6982"), "{e}");
        s.authenticate(0x04, "write", keys.get(0x04).unwrap())
            .unwrap();
        s.with_card("tampering", |c| {
            c.update_record(Ef::Sfi(6), RecordRef::Tag(0x09), &rec)
        })
        .unwrap();
    }
    let enable = Plan::enable(&station.app, &values).unwrap();
    let err = station
        .run_plan(&mut t, &enable, &values, Some(&k), RunOptions::default())
        .unwrap_err();
    let JobError::Run(PersoError::Mismatch {
        el,
        expected,
        actual,
        ..
    }) = &err
    else {
        panic!("expected a mismatch, got {err}");
    };
    assert_eq!((el.tag, el.field.as_str()), (0x09, "name"));
    assert_ne!(expected, actual);
    let msg = err.to_string();
    assert!(
        msg.contains("EF06 tag 09 姓名") && msg.contains("NOT enabled"),
        "{msg}"
    );
    let read = demo::read_out(&mut t, &station, Some(&k), &values).unwrap();
    assert!(
        !read.content.enabled(),
        "a card that fails verify must not be enabled"
    );
    // `verify` on its own says the same.
    let err = station
        .verify(&mut t, &demo::demo_holder(), Some(&k))
        .unwrap_err();
    assert!(err.to_string().contains("verification failed"), "{err}");
}

#[test]
fn wrong_key_is_a_clear_error_and_nothing_is_written_or_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let (p, k) = setup();
    let station = Station::new(&p).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let mut t = initialised(&dir, &p, &k);
    let wrong_text = demo::TEST_KEYS.replace(
        "542D534D342D57524954452D2D2D2D2D",
        "00112233445566778899AABBCCDDEEFF",
    );
    assert_ne!(wrong_text, demo::TEST_KEYS, "the write key line must exist");
    let wrong = sscard::profile::keys::KeyFile::parse(&wrong_text, "wrong.toml".as_ref()).unwrap();
    let err = station
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&wrong),
            RunOptions::default(),
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("external authentication with key 04"), "{msg}");
    assert!(msg.contains("not this card's key"), "{msg}");
    assert!(!msg.contains("00112233"), "key bytes leaked: {msg}");
    let read = demo::read_out(&mut t, &station, Some(&k), &values).unwrap();
    assert!(!read.content.enabled());
    assert!(
        read.content.values.iter().all(|(_, f)| f.is_blank()),
        "nothing written"
    );
}

#[test]
fn another_holders_card_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (p, k) = setup();
    let station = Station::new(&p).unwrap();
    let mut t = initialised(&dir, &p, &k);
    station
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&k),
            RunOptions::default(),
        )
        .unwrap();
    let mut other = demo::demo_holder();
    other
        .fields
        .insert("ssn".into(), "110101199003070011".into());
    other.fields.insert("birth_date".into(), "19900307".into());
    other.fields.insert("name".into(), "测试二".into());
    let err = station
        .personalize(&mut t, &other, Some(&k), RunOptions::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("another person's data") && msg.contains("110101199012290016"),
        "{msg}"
    );
    assert!(msg.contains("--force"), "{msg}");
    let r = station
        .personalize(&mut t, &other, Some(&k), RunOptions { force: true })
        .unwrap();
    assert_eq!(r.outcome, Outcome::Overwritten);
    assert!(r.enabled);
    // The same holder again: verified, nothing written.
    let r = station
        .personalize(&mut t, &other, Some(&k), RunOptions::default())
        .unwrap();
    assert_eq!((r.outcome, r.written), (Outcome::AlreadyDone, 0));
}

#[test]
fn a_profile_can_enable_with_its_own_command_list() {
    let text = SSC_300.replace(
        "activate = \"auth:write\", deactivate = \"mac:stk\"",
        "activate = \"always\", deactivate = \"mac:stk\"",
    ) + "\n[commands.enable]\nscript = \"sim-enable.apdu\"\nblock = \"enable\"\n";
    assert_ne!(text, SSC_300);
    let p = sscard::profile::parse(&text, "enable-by-script.toml".as_ref()).unwrap();
    let k = demo::shipped_keys().unwrap();
    let station = Station::new(&p)
        .unwrap()
        .with_profile_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu-scripts"));
    assert!(matches!(
        station.app.enable,
        sscard::perso::EnableHow::Script { .. }
    ));
    let dir = tempfile::tempdir().unwrap();
    let mut t = initialised(&dir, &p, &k);
    let r = station
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&k),
            RunOptions::default(),
        )
        .unwrap();
    assert!(r.enabled);
    let values = station.encode(&demo::demo_holder()).unwrap();
    let plan = station
        .plan(&values, sscard::perso::PlanOptions::default())
        .unwrap();
    assert!(
        r.stats.apdus >= plan.apdu_count() + 3,
        "the script's SELECT, ACTIVATE, SELECT were sent: {} vs {}",
        r.stats.apdus,
        plan.apdu_count()
    );
    let read = demo::read_out(&mut t, &station, Some(&k), &values).unwrap();
    assert!(read.content.enabled(), "{}", read.content.state_text());
}

#[test]
fn the_initial_pin_is_set_at_personalization_and_the_key_file_may_override_it() {
    use sscard::card::PinState;
    use sscard::perso::pin;
    let dir = tempfile::tempdir().unwrap();
    let (p, k) = setup();
    let mut t = initialised(&dir, &p, &k);
    let station_keys = sscard::profile::keys::KeyFile::parse(
        &format!("{}\n[pins.holder]\ninitial = \"112233\"\n", demo::TEST_KEYS),
        "station-keys.toml".as_ref(),
    )
    .unwrap();
    let station = Station::new(&p).unwrap().with_key_file_pin(&station_keys);
    station
        .personalize(
            &mut t,
            &demo::demo_holder(),
            Some(&station_keys),
            RunOptions::default(),
        )
        .unwrap();
    let mut tx = sscard::transport::Tx::begin(&mut t).unwrap();
    let mut s = sscard::session::Session::new(&mut tx);
    assert_eq!(
        pin::verify(&mut s, &station.app, "123456").unwrap(),
        PinState::TriesLeft(2)
    );
    assert_eq!(
        pin::verify(&mut s, &station.app, "112233").unwrap(),
        PinState::Verified
    );
    assert!(
        !format!("{:?}", station.app).contains("112233"),
        "PIN in Debug"
    );
}
