//! Torn `sscard init`: power is lost during each APDU of init in turn (the interrupted write
//! done or not done). On the torn card, personalization and diagnosis must refuse a card
//! whose MF or DF is still in the creation state (access conditions not enforced); the same
//! init run again must finish the structure, every file in its operational state, and the
//! card must then personalize.

use sscard::diagnose::{self, Verdict};
use sscard::init;
use sscard::init::resume::{self, Found};
use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::perso::{PlanOptions, RunOptions, Station};
use sscard::profile::keys::{Factors, KeyFile};
use sscard::profile::{Lcs, Profile};
use sscard::sim::fs::{FileStructure, Node};
use sscard::sim::transport::{ImageCard, SimTransport};
use sscard::sim::{FaultConfig, InterruptedWrite};
use sscard::transport::{ResetKind, Transport};

fn factors() -> Factors {
    Factors {
        card_id: Some(hex::decode(DEMO_CARD_ID).unwrap()),
        ..Factors::default()
    }
}

/// One init as `sscard init` runs it: look, then build what is missing.
fn init(t: &mut dyn Transport, p: &Profile, keys: &KeyFile) -> Result<Found, String> {
    let r = resume::resume_plan(p, keys, &factors(), t).map_err(|e| e.to_string())?;
    init::run(&r.plan, t).map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))?;
    Ok(r.found)
}

/// Every node of the image with its path, for the life-cycle check.
fn nodes<'a>(n: &'a Node, path: String, out: &mut Vec<(String, &'a Node)>) {
    out.push((path.clone(), n));
    for c in &n.children {
        let name = c.fid.map_or("?".into(), |f| f.to_string());
        nodes(c, format!("{path}/{name}"), out);
    }
}

fn creation_left(t: &mut SimTransport) -> bool {
    let card = t.image();
    let mut all = Vec::new();
    nodes(&card.card().state().mf, "3F00".into(), &mut all);
    all.iter().any(|(_, n)| n.lcs == Lcs::Creation)
}

#[test]
fn init_cut_at_every_apdu_resumes_and_an_unfinished_card_is_never_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let perso = station.plan(&values, PlanOptions::default()).unwrap();
    let (mut cuts, mut resumed, mut unsafe_seen, mut accepted_unsafe) = (0, 0, 0, 0);
    let mut partial = 0;
    for how in [InterruptedWrite::NotDone, InterruptedWrite::Done] {
        for k in 1u64.. {
            let path = dir.path().join(format!("cut-{k}-{how:?}.json"));
            let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
            t.image().card_mut().set_faults(FaultConfig {
                power_loss_at: Some(k),
                interrupted_write: how,
                ..FaultConfig::default()
            });
            t.reset(ResetKind::Cold).unwrap();
            if init(&mut t, &profile, &keys).is_ok() {
                // k is past the last APDU of init: every cut point was tried.
                assert!(k > 20, "init sends more than 20 APDUs ({k})");
                break;
            }
            cuts += 1;
            t.reset(ResetKind::Cold).unwrap();
            // The torn card: nothing may call it good while security is not enforced.
            if creation_left(&mut t) {
                unsafe_seen += 1;
                let mut accepted = false;
                let p =
                    station.run_plan(&mut t, &perso, &values, Some(&keys), RunOptions::default());
                if let Ok(r) = &p {
                    accepted |= r.enabled;
                }
                if let Err(e) = &p {
                    let text = e.to_string();
                    assert!(
                        !text.contains("panicked"),
                        "cut {k} {how:?}: perso error: {text}"
                    );
                }
                t.reset(ResetKind::Cold).unwrap();
                let opts = diagnose::Options {
                    resets: 1,
                    link_rounds: 1,
                    today: Some("20260101".into()),
                };
                let d = diagnose::diagnose(&mut t, &profile, &opts);
                accepted |= d.verdict != Verdict::NotIssuable;
                if accepted {
                    accepted_unsafe += 1;
                    eprintln!("cut {k} {how:?}: accepted while unenforced: {}", d.render());
                }
                t.reset(ResetKind::Cold).unwrap();
            }
            // The same init again finishes the card.
            match init(&mut t, &profile, &keys) {
                Ok(Found::Partial { .. }) => partial += 1,
                Ok(_) => {}
                Err(e) => panic!("cut {k} {how:?}: re-run of init failed: {e}"),
            }
            assert_eq!(
                init::verify_structure(&profile, &mut t).unwrap(),
                Vec::<String>::new(),
                "cut {k} {how:?}"
            );
            let mut all = Vec::new();
            let img = t.image();
            nodes(&img.card().state().mf, "3F00".into(), &mut all);
            for (p, n) in &all {
                let want = if n.kind == FileStructure::Df && p != "3F00" {
                    Lcs::Initialisation
                } else {
                    Lcs::Activated
                };
                assert_eq!(n.lcs, want, "cut {k} {how:?}: {p}");
            }
            // And the finished card personalizes: keys, PIN and blank records are right.
            let r = station
                .run_plan(&mut t, &perso, &values, Some(&keys), RunOptions::default())
                .unwrap_or_else(|e| panic!("cut {k} {how:?}: perso after resumed init: {e}"));
            assert!(r.enabled, "cut {k} {how:?}");
            resumed += 1;
        }
    }
    eprintln!(
        "torn init: {resumed}/{cuts} resumable; {unsafe_seen} torn cards left in the creation \
         state, {accepted_unsafe} of them accepted"
    );
    assert!(cuts > 50, "both modes, every APDU: {cuts}");
    assert_eq!(resumed, cuts);
    assert!(
        partial > 40,
        "most cuts leave a partial structure: {partial}"
    );
    assert!(
        unsafe_seen > 0,
        "some cuts leave the MF in the creation state"
    );
    assert_eq!(accepted_unsafe, 0);
}

fn sscard(image: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .arg("--reader")
        .arg(format!("sim:{}", image.display()))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn perso_verify_diagnose_and_conformance_refuse_a_card_left_in_the_creation_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let profile_path = root.join("card-profiles/ssc-3.00.toml");
    let keys_path = root.join("card-profiles/test-keys.toml");
    let (pp, kp) = (profile_path.to_str().unwrap(), keys_path.to_str().unwrap());
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let keys = demo::shipped_keys().unwrap();
    // Init cut just before its last APDU (ACTIVATE FILE on the MF): a complete structure
    // whose MF is still in the creation state, the most convincing unfinished card.
    let image = dir.path().join("torn.json");
    let full = init::init_plan(&profile, &keys, &factors())
        .unwrap()
        .apdu_count() as u64;
    {
        let mut t = SimTransport::new(ImageCard::open(&image).unwrap()).unwrap();
        t.image().card_mut().set_faults(FaultConfig {
            // Two APDUs look at the blank card first (SELECT MF, SELECT DDF1).
            power_loss_at: Some(full + 2),
            ..FaultConfig::default()
        });
        t.reset(ResetKind::Cold).unwrap();
        init(&mut t, &profile, &keys).unwrap_err();
        assert!(creation_left(&mut t));
        t.close().unwrap();
    }
    let record = dir.path().join("holder.json");
    std::fs::write(
        &record,
        r#"{ "ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
  "birth_place": "440782", "birth_date": "19901229",
  "card_id": "440700D156000005008A3F21C4E5B607", "card_number": "A00000003",
  "init_org": "440700000000000000000001", "issue_date": "20250101" }"#,
    )
    .unwrap();
    let rec = record.to_str().unwrap();

    let (code, out) = sscard(
        &image,
        &["perso", "--profile", pp, "--keys", kp, "--record", rec],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("creation state") && !out.contains("OK:"),
        "{out}"
    );
    let (code, out) = sscard(
        &image,
        &["verify", "--profile", pp, "--keys", kp, "--record", rec],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("creation state") && !out.contains("OK:"),
        "{out}"
    );
    let (code, out) = sscard(
        &image,
        &[
            "diagnose",
            "--profile",
            pp,
            "--today",
            "20260101",
            "--resets",
            "1",
            "--rounds",
            "1",
        ],
    );
    assert_eq!(code, Some(22), "{out}");
    assert!(
        out.contains("NOT ISSUABLE") && out.contains("creation state"),
        "{out}"
    );
    let (code, out) = sscard(
        &image,
        &[
            "conformance",
            "--profile",
            pp,
            "--keys",
            kp,
            "--test-card",
            "--card-id",
            demo::DEMO_CARD_ID,
        ],
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("FAIL") && out.contains("still in the creation state"),
        "{out}"
    );

    // The same init again finishes it; then the card is issuable.
    let copy = dir.path().join("again.json");
    std::fs::copy(&image, &copy).unwrap();
    let (code, out) = sscard(
        &copy,
        &[
            "init",
            "--profile",
            pp,
            "--keys",
            kp,
            "--card-id",
            demo::DEMO_CARD_ID,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("resuming an interrupted init"), "{out}");
    assert!(out.contains("matches the profile"), "{out}");
    let (code, out) = sscard(
        &copy,
        &[
            "init",
            "--profile",
            pp,
            "--keys",
            kp,
            "--card-id",
            demo::DEMO_CARD_ID,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("nothing to do"), "{out}");
    let (code, out) = sscard(
        &copy,
        &["perso", "--profile", pp, "--keys", kp, "--record", rec],
    );
    assert_eq!(code, Some(0), "{out}");
}
