//! A station whose keys are in a PSAM (the in-process virtual PSAM, `--psam sim:psam.json`):
//! perso, verify, disable, enable, PIN unblock, read (3.00 EF06, terminal number), photo
//! and diagnose, exactly as with `--keys`; the card sees the same APDUs; a PSAM with other master
//! keys stops after one refused authentication and says so.

use sscard::perso::demo::{self, DEMO_CARD_ID, SSC_300};
use sscard::sim::transport::{ImageCard, SimTransport};
use std::path::Path;
use std::process::Output;

mod keysrc_util;
mod photo_util;
use keysrc_util::{test_keys, text};

fn sscard(args: &[&str]) -> Output {
    keysrc_util::sscard_env(args, &[])
}

/// A virtual PSAM loaded from `keys`, with terminal number `tn`.
fn psam(dir: &Path, name: &str, keys: &str, tn: &str) -> String {
    let image = dir.join(name);
    let i = image.display().to_string();
    let o = sscard(&[
        "sim",
        "--psam",
        "--image",
        &i,
        "--create",
        "--load-keys",
        keys,
        "--terminal-no",
        tn,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    format!("sim:{i}")
}

/// A 3.00 card initialised with the test keys (the manufacturer's step), not personalized.
fn initialised(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
    let p = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    demo::init_card(&mut t, &p, &demo::shipped_keys().unwrap(), DEMO_CARD_ID).unwrap();
    sscard::transport::Transport::close(&mut t).unwrap();
    format!("sim:{}", path.display())
}

fn record(dir: &Path) -> String {
    let rec = dir.join("holder.csv");
    std::fs::write(
        &rec,
        "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n\
         110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n",
    )
    .unwrap();
    rec.display().to_string()
}

/// `sscard --reader CARD VERB --profile ssc-3.00 ARGS... --psam PSAM`.
fn station(card: &str, verb: &[&str], args: &[&str], source: &[&str]) -> Output {
    let mut a = vec!["--reader", card];
    a.extend_from_slice(verb);
    a.extend_from_slice(&["--profile", "ssc-3.00"]);
    a.extend_from_slice(args);
    a.extend_from_slice(source);
    sscard(&a)
}

#[test]
fn every_authenticating_command_works_with_the_virtual_psam() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = psam(d, "psam.json", &test_keys(), "123456789012");
    let src = ["--psam", p.as_str()];
    let card = initialised(d, "card.json");
    let rec = record(d);
    let o = station(&card, &["perso"], &["--record", &rec], &src);
    assert!(text(&o).contains("OK: the card is good"), "{}", text(&o));
    let o = station(&card, &["verify"], &["--record", &rec], &src);
    assert!(
        text(&o).contains("OK: every element matches"),
        "{}",
        text(&o)
    );
    for _ in 0..3 {
        station(&card, &["pin", "verify"], &["--pin", "999999"], &[]);
    }
    let o = station(&card, &["pin", "status"], &[], &[]);
    assert!(text(&o).contains("BLOCKED"), "{}", text(&o));
    let o = station(
        &card,
        &["pin", "unblock"],
        &["--card-id", DEMO_CARD_ID],
        &src,
    );
    assert!(text(&o).contains("3 tries left"), "{}", text(&o));
    // EF06 of a 3rd-generation card needs the read key; the line carries the PSAM's
    // terminal number.
    let o = station(
        &card,
        &["read"],
        &["--card-id", DEMO_CARD_ID, "--format", "ireadcardbas"],
        &src,
    );
    let line = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{}", text(&o));
    // EF06 (tags 08-0D: citizen number, name) needs the read key.
    for f in [
        "|110101199012290016|",
        "|测试一|",
        "|123456789012|FFFFFFFFFFFFFF|",
    ] {
        assert!(line.contains(f), "{f}: {line}");
    }
    let o = station(&card, &["diagnose"], &["--card-id", DEMO_CARD_ID], &src);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(!t.contains("not checked"), "{t}");
    // The photo (EF08) is written under the write key.
    let png = d.join("holder.png");
    std::fs::write(&png, photo_util::avatar_png(480, 640)).unwrap();
    let o = station(&card, &["photo", "write"], &[png.to_str().unwrap()], &src);
    assert!(text(&o).contains("read back: identical"), "{}", text(&o));
    let o = station(&card, &["disable"], &["--record", &rec], &src);
    assert!(
        text(&o).contains("is disabled (SELECT answers 6283)"),
        "{}",
        text(&o)
    );
    // enable: a card written but not yet enabled (written here with the key file).
    let card = written_not_enabled(d, "second.json");
    let o = station(&card, &["enable"], &["--record", &rec], &src);
    assert!(
        text(&o).contains("OK: verified and enabled"),
        "{}",
        text(&o)
    );
}

/// A card personalized with the test keys but not enabled.
fn written_not_enabled(dir: &Path, name: &str) -> String {
    use sscard::perso::{PlanOptions, RunOptions, Station};
    let path = dir.join(name);
    let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
    let p = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let k = demo::shipped_keys().unwrap();
    demo::init_card(&mut t, &p, &k, DEMO_CARD_ID).unwrap();
    let station = Station::new(&p).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let opts = PlanOptions {
        set_pin: true,
        enable: false,
    };
    let plan = station.plan(&values, opts).unwrap();
    let r = station
        .run_plan(&mut t, &plan, &values, Some(&k), RunOptions::default())
        .unwrap();
    assert!(!r.enabled);
    sscard::transport::Transport::close(&mut t).unwrap();
    format!("sim:{}", path.display())
}

#[test]
fn a_psam_with_other_master_keys_is_named_after_one_refused_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Other master keys: every hex digit of the test keys' values changed.
    let text_keys = std::fs::read_to_string(test_keys()).unwrap();
    let other: String = text_keys
        .lines()
        .map(|l| match l.split_once("= \"") {
            Some((k, v)) if k.trim() == "sm4" || k.trim() == "3des" => {
                let flipped: String = v
                    .chars()
                    .map(|c| match c {
                        '0'..='8' => char::from(c as u8 + 1),
                        '9' => '0',
                        'A'..='E' => char::from(c as u8 + 1),
                        'F' => 'A',
                        other => other,
                    })
                    .collect();
                format!("{k}= \"{flipped}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    let other_keys = d.join("other-keys.toml");
    std::fs::write(&other_keys, other).unwrap();
    let p = psam(
        d,
        "wrong.json",
        other_keys.to_str().unwrap(),
        "000000000002",
    );
    let card = initialised(d, "card.json");
    let rec = record(d);
    let o = station(
        &card,
        &["--trace", "perso"],
        &["--record", &rec],
        &["--psam", &p],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("does not hold this card's keys"), "{t}");
    assert!(t.contains("wrong.json"), "{t}");
    let auths = t.lines().filter(|l| l.starts_with("> 00 82")).count();
    assert_eq!(
        auths, 1,
        "one refused EXTERNAL AUTHENTICATE, no second try: {t}"
    );
    // The right keys still work: nothing was burnt beyond one try.
    let o = station(
        &card,
        &["perso"],
        &["--record", &rec],
        &["--keys", &test_keys()],
    );
    assert!(text(&o).contains("OK: the card is good"), "{}", text(&o));
}

/// Personalizes a fresh card (challenges from seed 7) with `source`, then disables it (MAC)
/// and unblocks its PIN (MAC); returns the card-side exchanges as the trace shows them.
fn card_side_trace(dir: &Path, name: &str, source: &sscard::session::SharedSource) -> Vec<String> {
    use sscard::perso::{RunOptions, Station};
    use std::sync::{Arc, Mutex};
    let profile = demo::shipped_profile(SSC_300, "ssc-3.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let mut t = SimTransport::new(ImageCard::open(&dir.join(name)).unwrap()).unwrap();
    demo::init_card(
        &mut t,
        &profile,
        &demo::shipped_keys().unwrap(),
        DEMO_CARD_ID,
    )
    .unwrap();
    t.image().card_mut().set_challenge_seed(Some(7));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let mut tap = sscard::transport::Tap::new(
        &mut t,
        sscard::trace::evidence(move |l| sink.lock().unwrap().push(l)),
    );
    let holder = demo::demo_holder();
    let r = station
        .personalize_with(&mut tap, &holder, Some(source), RunOptions::default())
        .unwrap();
    assert!(r.enabled);
    let values = station.encode(&holder).unwrap();
    let atr = sscard::transport::Transport::atr(&tap);
    let keys = station.card_keys_from(Some(source), &values, &atr);
    let puk = profile
        .df(&station.app.profile_df)
        .and_then(|df| {
            df.keys
                .iter()
                .find(|k| k.role == sscard::profile::KeyRole::PinUnblock)
        })
        .map(|k| k.id)
        .unwrap();
    sscard::session::in_transaction(&mut tap, |s| {
        sscard::perso::pin::unblock(s, &station.app, &keys, puk, None)?;
        sscard::perso::enable::disable(s, &station.app, &keys)
    })
    .unwrap();
    drop(tap);
    lines.lock().unwrap().clone()
}

#[test]
fn the_card_sees_the_same_apdus_from_the_psam_as_from_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = psam(d, "psam.json", &test_keys(), "123456789012");
    let dialect = sscard::psam::Dialect::load("pboc").unwrap();
    let from_psam =
        sscard::session::shared(sscard::psam::PsamSource::open(&p, dialect, None).unwrap());
    let kf = sscard::profile::keys::KeyFile::load(Path::new(&test_keys())).unwrap();
    let from_file = sscard::session::shared(sscard::session::SoftKeys::new(kf));
    let a = card_side_trace(d, "a.json", &from_file);
    let b = card_side_trace(d, "b.json", &from_psam);
    assert!(
        a.iter().filter(|l| l.starts_with("> 00 82")).count() >= 3,
        "{a:#?}"
    );
    assert!(
        a.iter()
            .any(|l| l.starts_with("> 84 2C") || l.starts_with("> 04 2C")),
        "{a:#?}"
    );
    assert_eq!(a, b);
}
