//! The station's whole job through a real private pcscd: our virtual card behind the vpcd
//! driver (`sscard sim --vpcd`), and every step done by the `sscard` binary as a station
//! would run it: init (manufacturer), perso, verify, read (table, JSON, iReadCardBas),
//! disable. Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::{PrivatePcscd, describe, stdout};
use std::path::{Path, PathBuf};

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn holder_file(dir: &Path) -> PathBuf {
    let p = dir.join("holder.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"ssn": "110101199012290016", "name": "测试一", "sex": "1", "ethnicity": "01",
                "birth_place": "440782", "birth_date": "19901229", "card_id": "{CARD_ID}",
                "init_org": "440700000000000000000001", "card_number": "A00000003",
                "issue_date": "20250101"}}"#
        ),
    )
    .unwrap();
    p
}

/// The shipped profile `profile_name`, the test key file and a holder record in `dir`.
fn paths(profile_name: &str, dir: &Path) -> (String, String, String) {
    let profile = root().join(format!("card-profiles/{profile_name}.toml"));
    let keys = root().join("card-profiles/test-keys.toml");
    let record = holder_file(dir);
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    (s(profile), s(keys), s(record))
}

/// `--reader READER VERB --profile P --record R --keys K EXTRA...`: a station command line.
fn station_args<'a>(
    reader: &'a str,
    verb: &'a str,
    p: &'a str,
    r: &'a str,
    k: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut a = vec![
        "--reader",
        reader,
        verb,
        "--profile",
        p,
        "--record",
        r,
        "--keys",
        k,
    ];
    a.extend_from_slice(extra);
    a
}

fn ok(pcscd: &PrivatePcscd, args: &[&str]) -> String {
    let out = pcscd.run(args);
    assert!(
        out.status.success(),
        "sscard {args:?}: {}\npcscd log:\n{}",
        describe(&out),
        pcscd.log()
    );
    stdout(&out)
}

fn station_job(profile_name: &str) {
    let pcscd = PrivatePcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    // A blank card whose manufacturer put a bank application beside the social security one,
    // as on the demo card (the read snapshots show its PAN).
    let mut blank = sscard::sim::VirtualCard::load_or_create(&image).unwrap();
    sscard::sim::bank::install(&mut blank, sscard::sim::bank::DEMO_PAN).unwrap();
    blank.save(&image).unwrap();
    let port = pcscd.port().to_string();
    let _card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port,
        "--image",
        image.to_str().unwrap(),
    ]));
    pcscd.wait_card();
    let (profile, keys, record) = paths(profile_name, dir.path());
    let (p, k, r) = (profile.as_str(), keys.as_str(), record.as_str());
    let reader = pcscd.reader_name();

    ok(
        &pcscd,
        &[
            "--reader",
            reader,
            "init",
            "--profile",
            p,
            "--keys",
            k,
            "--card-id",
            CARD_ID,
        ],
    );
    let dry = ok(
        &pcscd,
        &["perso", "--profile", p, "--record", r, "--dry-run"],
    );
    let planned: usize = dry
        .lines()
        .last()
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|w| w.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no APDU count in the dry run:\n{dry}"));
    let text = ok(&pcscd, &station_args(reader, "perso", p, r, k, &[]));
    assert!(text.contains("ENABLED"), "{text}");
    assert!(
        text.contains(&format!("traffic  {planned} APDUs")),
        "the run sends exactly the planned APDUs ({planned}):\n{text}"
    );
    let text = ok(&pcscd, &station_args(reader, "verify", p, r, k, &[]));
    assert!(text.contains("every element matches"), "{text}");

    let json = ok(&pcscd, &station_args(reader, "read", p, r, k, &["--json"]));
    let expected =
        std::fs::read_to_string(root().join(format!("tests/snapshots/read-{profile_name}.json")))
            .unwrap();
    assert_eq!(json, expected, "read --json through pcscd = the snapshot");
    let line = ok(
        &pcscd,
        &station_args(reader, "read", p, r, k, &["--format", "ireadcardbas"]),
    );
    let expected = std::fs::read_to_string(
        root().join(format!("tests/snapshots/ireadcardbas-{profile_name}.txt")),
    )
    .unwrap();
    assert_eq!(line, expected);

    // A lost card is disabled; reading shows it.
    let text = ok(&pcscd, &station_args(reader, "disable", p, r, k, &[]));
    assert!(text.contains("disabled"), "{text}");
    let table = ok(&pcscd, &station_args(reader, "read", p, r, k, &[]));
    assert!(table.contains("disabled (deactivated)"), "{table}");
}

#[test]
fn station_job_ssc_300_through_pcscd() {
    station_job("ssc-3.00");
}

#[test]
fn station_job_ssc_200_through_pcscd() {
    station_job("ssc-2.00");
}

#[test]
fn card_pulled_mid_perso_then_the_rerun_finishes_through_pcscd() {
    use sscard::perso::demo;
    use sscard::sim::transport::{ImageCard, SimTransport};
    use sscard::transport::Transport;
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.json");
    // The manufacturer's card (initialised in-process), then power is lost at the 16th APDU
    // after the next power-up: in the middle of the UPDATE RECORDs of EF06, after the SSN (the 14th).
    {
        let profile = demo::shipped_profile(demo::SSC_300, "ssc-3.00.toml").unwrap();
        let keys = demo::shipped_keys().unwrap();
        let mut t = SimTransport::new(ImageCard::open(&image).unwrap()).unwrap();
        demo::init_card(&mut t, &profile, &keys, CARD_ID).unwrap();
        t.close().unwrap();
    }
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&image).unwrap()).unwrap();
    doc["faults"] = serde_json::json!({"power_loss_at": 16});
    std::fs::write(&image, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

    let pcscd = PrivatePcscd::start();
    let port = pcscd.port().to_string();
    let _card = pcscd.spawn_card(pcscd.sscard().args([
        "sim",
        "--vpcd",
        &port,
        "--image",
        image.to_str().unwrap(),
        "--reinsert-after-ms",
        "100",
    ]));
    pcscd.wait_card();
    let (profile, keys, record) = paths("ssc-3.00", dir.path());
    let (p, k, r) = (profile.as_str(), keys.as_str(), record.as_str());
    let reader = pcscd.reader_name();
    let args = station_args(reader, "perso", p, r, k, &[]);
    let first = pcscd.run(&args);
    assert!(
        !first.status.success(),
        "power was lost: {}",
        describe(&first)
    );
    pcscd.wait_card();
    let text = ok(&pcscd, &args);
    assert!(text.contains("finished an interrupted run"), "{text}");
    assert!(text.contains("ENABLED"), "{text}");
    let text = ok(&pcscd, &station_args(reader, "verify", p, r, k, &[]));
    assert!(text.contains("every element matches"), "{text}");
}
