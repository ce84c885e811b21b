//! README promises on the command line, on the virtual card: `sscard enable` refuses a card
//! whose data was tampered with and leaves it disabled; `perso --force` replaces another
//! holder's data and leaves the card enabled and verified (without `--force` it refuses).

mod diag_util;

use diag_util::*;
use sscard::sim::VirtualCard;
use sscard::tlv::Lcs;
use std::path::{Path, PathBuf};

const HEADER: &str =
    "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n";

/// The demo holder (the one `personalized` writes), as a CSV file.
fn holder_a(dir: &Path) -> PathBuf {
    let p = dir.join("a.csv");
    std::fs::write(
        &p,
        format!(
            "{HEADER}110101199012290016,测试一,1,01,440782,19901229,{},440700000000000000000001,A00000003,20250101\n",
            sscard::perso::demo::DEMO_CARD_ID
        ),
    )
    .unwrap();
    p
}

/// Another (synthetic) holder for the same card.
fn holder_b(dir: &Path) -> PathBuf {
    let p = dir.join("b.csv");
    std::fs::write(
        &p,
        format!(
            "{HEADER}110101198503150021,测试二,2,01,440782,19850315,{},440700000000000000000001,A00000003,20250101\n",
            sscard::perso::demo::DEMO_CARD_ID
        ),
    )
    .unwrap();
    p
}

/// An ssc-2.00 card with the demo holder written and verified, the application not enabled.
fn personalized_not_enabled(dir: &Path) -> PathBuf {
    use sscard::perso::{PlanOptions, RunOptions, Station, demo};
    use sscard::transport::Transport;
    let card = initialised_only(dir);
    let profile = demo::shipped_profile(SSC_200, "ssc-2.00.toml").unwrap();
    let station = Station::new(&profile).unwrap();
    let values = station.encode(&demo::demo_holder()).unwrap();
    let opts = PlanOptions {
        enable: false,
        ..PlanOptions::default()
    };
    let plan = station.plan(&values, opts).unwrap();
    let keys = demo::shipped_keys().unwrap();
    let mut t = open(&card);
    let r = station
        .run_plan(
            t.as_mut(),
            &plan,
            &values,
            Some(&keys),
            RunOptions::default(),
        )
        .unwrap();
    assert!(!r.enabled);
    t.close().unwrap();
    card
}

/// The life cycle of the SSSE application DF (the MF's child with a DF name).
fn ssse_lcs(card: &Path) -> Lcs {
    let c = VirtualCard::load_or_create(card).unwrap();
    let df = c
        .state()
        .mf
        .children
        .iter()
        .find(|n| n.is_df() && n.name.is_some())
        .expect("the SSSE DF");
    df.lcs
}

/// Changes one digit of the SSN on the card (EF06 record `08 12 ...`, 2nd generation).
fn tamper_ssn(card: &Path) {
    let mut hits = 0;
    edit(card, |c| {
        let mut state = c.state().clone();
        for df in state.mf.children.iter_mut().filter(|n| n.is_df()) {
            for ef in &mut df.children {
                for rec in &mut ef.records {
                    if rec.0.starts_with(&[0x08, 0x12]) && rec.0.len() > 10 {
                        rec.0[10] = if rec.0[10] == b'5' { b'6' } else { b'5' };
                        hits += 1;
                    }
                }
            }
        }
        *c = VirtualCard::from_state(state);
    });
    assert_eq!(hits, 1, "one SSN record on the card");
}

#[test]
fn enable_refuses_a_tampered_card_and_leaves_it_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized_not_enabled(dir.path());
    let record = holder_a(dir.path());
    let keys = repo("card-profiles/test-keys.toml");
    let profile = repo("card-profiles/ssc-2.00.toml");
    let args = [
        "enable",
        "--profile",
        &profile,
        "--keys",
        &keys,
        "--record",
        record.to_str().unwrap(),
    ];
    assert_ne!(ssse_lcs(&card), Lcs::Activated, "not enabled yet");
    // The untouched card: enable works (so the refusal below is the tampering's doing).
    let ok_dir = tempfile::tempdir().unwrap();
    let twin = ok_dir.path().join("card.json");
    std::fs::copy(&card, &twin).unwrap();
    let o = sscard(&twin, &args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(ssse_lcs(&twin), Lcs::Activated);

    tamper_ssn(&card);
    let o = sscard(&card, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}{err}", out(&o));
    assert!(err.contains("ssn"), "the error names the element: {err}");
    assert!(!out(&o).contains("OK: verified and enabled"), "{}", out(&o));
    assert_ne!(ssse_lcs(&card), Lcs::Activated, "left disabled");
}

#[test]
fn perso_force_replaces_another_holders_data_and_leaves_the_card_enabled_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_200, "ssc-2.00.toml");
    let b = holder_b(dir.path());
    let b = b.to_str().unwrap();
    let keys = repo("card-profiles/test-keys.toml");
    let profile = repo("card-profiles/ssc-2.00.toml");
    let perso = |extra: &[&str]| {
        let mut a = vec![
            "perso",
            "--profile",
            &profile,
            "--keys",
            &keys,
            "--record",
            b,
        ];
        a.extend_from_slice(extra);
        sscard(&card, &a)
    };
    let before = std::fs::read(&card).unwrap();
    // Without --force: refused, nothing changed.
    let o = perso(&[]);
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--force"),
        "the refusal says how to override: {err}"
    );
    let c = VirtualCard::load_or_create(&card).unwrap();
    let was = VirtualCard::from_state(serde_json::from_slice(&before).unwrap());
    assert_eq!(
        c.state().mf,
        was.state().mf,
        "the refused run changed nothing"
    );

    let o = perso(&["--force"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    // End state: B's data, enabled, verified byte for byte by a separate `verify`.
    assert_eq!(ssse_lcs(&card), Lcs::Activated, "enabled");
    let o = sscard(&card, &["verify", "--profile", &profile, "--record", b]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let o = sscard(&card, &["read", "--profile", &profile]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("110101198503150021"), "{text}");
    assert!(text.contains("测试二"), "{text}");
    assert!(
        !text.contains("110101199012290016"),
        "A's SSN is gone: {text}"
    );
    assert!(!text.contains("测试一"), "A's name is gone: {text}");
}
