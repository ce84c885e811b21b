//! The real station topology through ONE private pcscd: the holder's card in slot 00
//! (`Virtual PCD 00 00`), the virtual PSAM with the master keys in slot 01
//! (`Virtual PCD 00 01`). Every authenticating step (perso, verify, disable/enable, PIN
//! unblock, read of a 3rd-generation card's EF06, diagnose) runs with `--psam` and sends the
//! card exactly the APDUs of the same run with `--keys` (a spy between vpcd and the card
//! records both; the card's challenges are seeded, so cryptograms compare byte for byte).
//! A PSAM loaded with other keys fails after at most one refused authentication per key and
//! says it was the PSAM; a PSAM reader with no PSAM in it is named; a PSAM PIN comes from the
//! environment and a wrong one stops before the card is touched. Run with
//! `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::spy::{Exchange, VpcdSpy};
use common::{
    CARD_ID, ChildGuard, PrivatePcscd, describe, holder_csv, initialised_card, repo_file,
    spawn_card_on, stderr, stdout,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PSAM_READER: &str = "Virtual PCD 00 01";
const SEED: &str = "20260101";

/// A key file with the test keys' names and other (synthetic) values: another region's keys.
fn other_keys(dir: &Path) -> String {
    let path = dir.join("other-keys.toml");
    let mut text = String::from("description = \"synthetic: not the test keys\"\n");
    for (i, name) in [
        "issuer", "irk", "stk", "puk", "reload", "read", "write", "regional", "admin",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!(
            "[keys.{name}]\nsm4 = \"{:032X}\"\n3des = \"{:032X}\"\n",
            0x0F1E_2D3C_4B5A_6978_8796_A5B4_C3D2_E1F0u128 ^ (i as u128 + 1),
            0x1F2E_3D4C_5B6A_7988_97A6_B5C4_D3E2_F10Fu128 ^ (i as u128 + 1)
        ));
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A PSAM image loaded from `keys`, with `extra` options of `sscard sim` (e.g. `--t0`) and
/// the PIN `pin`, if any.
fn psam_image(dir: &Path, keys: &str, extra: &[&str], pin: Option<&str>) -> PathBuf {
    let image = dir.join("psam.json");
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.env_remove("SSCARD_PSAM_PIN")
        .args(["sim", "--psam", "--create", "--image"])
        .arg(&image)
        .args(["--load-keys", keys, "--terminal-no", "440700000017"])
        .args(extra);
    if let Some(p) = pin {
        c.env("SSCARD_PSAM_PIN", p);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", describe(&o));
    image
}

/// One pcscd; the card (seeded challenges) in slot 00 behind a spy; the PSAM, if any, in
/// slot 01.
struct Station {
    pcscd: PrivatePcscd,
    spy: VpcdSpy,
    _card: ChildGuard,
    psam: Option<ChildGuard>,
    record: String,
}

impl Station {
    fn start(dir: &Path, card: &Path, psam: Option<&Path>) -> Station {
        let pcscd = PrivatePcscd::start();
        let spy = VpcdSpy::start(pcscd.port());
        let mut cmd = pcscd.sscard();
        cmd.args(["sim", "--vpcd", &spy.card_addr(), "--image"])
            .arg(card)
            .args(["--challenge-seed", SEED]);
        let card = spawn_card_on(pcscd.port(), &mut cmd);
        pcscd.wait_card();
        let psam = psam.map(|image| {
            let port = pcscd.port() + 1;
            let mut cmd = pcscd.sscard();
            cmd.args(["sim", "--vpcd", &port.to_string(), "--image"])
                .arg(image);
            let g = spawn_card_on(port, &mut cmd);
            pcscd.wait_card_in(PSAM_READER);
            g
        });
        Station {
            pcscd,
            spy,
            _card: card,
            psam,
            record: holder_csv(dir).display().to_string(),
        }
    }

    /// `sscard --reader 'Virtual PCD 00 00' ARGS KEYARGS`.
    fn run(&self, args: &[&str], keys: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.pcscd.sscard();
        c.args(["--reader", self.pcscd.reader_name()])
            .args(args)
            .args(keys)
            .env_remove("SSCARD_KEYS")
            .env_remove("SSCARD_PSAM")
            .env_remove("SSCARD_PSAM_PIN")
            .env_remove("SSCARD_PIN");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str], keys: &[&str], env: &[(&str, &str)]) -> String {
        let o = self.run(args, keys, env);
        assert!(
            o.status.success(),
            "sscard {args:?} {keys:?}: {}\npsam:\n{}",
            describe(&o),
            self.psam.as_ref().map(ChildGuard::log).unwrap_or_default()
        );
        stdout(&o)
    }

    /// The whole station job with the key source `keys`; the outputs of each step.
    fn job(&self, keys: &[&str]) -> Vec<String> {
        let p = repo_file("card-profiles/ssc-3.00.toml");
        let r = self.record.as_str();
        let mut out = Vec::new();
        out.push(self.ok(&["perso", "--profile", &p, "--record", r], keys, &[]));
        out.push(self.ok(&["verify", "--profile", &p, "--record", r], keys, &[]));
        out.push(self.ok(&["enable", "--profile", &p, "--record", r], keys, &[]));
        // Block the holder's PIN (no key needed), then unblock it with the PIN-unblock key.
        for code in [2, 2, 3] {
            let o = self.run(
                &["pin", "verify", "--profile", &p],
                &[],
                &[("SSCARD_PIN", "999999")],
            );
            assert_eq!(o.status.code(), Some(code), "a wrong PIN: {}", describe(&o));
        }
        out.push(self.ok(
            &["pin", "unblock", "--profile", &p, "--record", r],
            keys,
            &[],
        ));
        out.push(self.ok(&["read", "--card-id", CARD_ID], keys, &[]));
        out.push(self.ok(
            &["diagnose", "--profile", &p, "--today", "20260101"],
            keys,
            &[],
        ));
        // Last: a disabled card stays disabled (a lost card).
        out.push(self.ok(&["disable", "--profile", &p, "--record", r], keys, &[]));
        out
    }
}

/// The card side: every APDU and answer, as text.
fn card_side(ex: &[Exchange]) -> Vec<String> {
    ex.iter()
        .map(|e| {
            format!(
                "{} -> {}",
                hex::encode_upper(&e.command),
                hex::encode_upper(&e.response)
            )
        })
        .collect()
}

#[test]
fn the_station_job_with_the_psam_in_slot_01_sends_the_card_what_the_key_file_run_sends() {
    let d = tempfile::tempdir().unwrap();
    let keys = repo_file("card-profiles/test-keys.toml");
    // The same initialised card twice.
    let soft_dir = d.path().join("soft");
    let psam_dir = d.path().join("psam");
    std::fs::create_dir_all(&soft_dir).unwrap();
    std::fs::create_dir_all(&psam_dir).unwrap();
    let card = initialised_card(&soft_dir);
    let card2 = psam_dir.join("card.json");
    std::fs::copy(&card, &card2).unwrap();

    let soft = Station::start(&soft_dir, &card, None);
    let soft_out = soft.job(&["--keys", &keys]);
    let soft_trace = card_side(&soft.spy.exchanges());
    drop(soft);

    // A T=0 PSAM, as most are: its answers come by GET RESPONSE through pcscd.
    let psam = psam_image(&psam_dir, &keys, &["--t0"], None);
    let st = Station::start(&psam_dir, &card2, Some(&psam));
    let psam_out = st.job(&["--psam", PSAM_READER]);
    let psam_trace = card_side(&st.spy.exchanges());

    // The steps did their work.
    assert!(psam_out[0].contains("ENABLED"), "perso: {}", psam_out[0]);
    assert!(psam_out[1].contains("verified"), "verify: {}", psam_out[1]);
    assert!(psam_out[4].contains("测试一"), "read EF06: {}", psam_out[4]);
    // The card saw exactly the same APDUs and gave the same answers.
    let auths = psam_trace.iter().filter(|l| l.starts_with("0082")).count();
    assert!(auths >= 6, "external authentications: {psam_trace:#?}");
    assert!(
        psam_trace.iter().any(|l| l.starts_with("042C")),
        "RESET RETRY COUNTER with MAC: {psam_trace:#?}"
    );
    assert_eq!(soft_trace.len(), psam_trace.len());
    for (i, (a, b)) in soft_trace.iter().zip(&psam_trace).enumerate() {
        assert_eq!(a, b, "card-side APDU {} differs (--keys vs --psam)", i + 1);
    }
    // And the outputs match too, line for line, except where they name the key source (and
    // diagnose's link latencies).
    for (a, b) in soft_out.iter().zip(&psam_out) {
        let strip = |s: &str| -> Vec<String> {
            s.lines()
                // Timings differ from run to run.
                .filter(|l| {
                    !l.contains("key file") && !l.contains("PSAM") && !l.contains("latency")
                })
                .map(str::to_string)
                .collect()
        };
        assert_eq!(strip(a), strip(b), "--keys:\n{a}\n--psam:\n{b}");
    }
}

#[test]
fn a_psam_with_other_keys_fails_after_one_refused_authentication_and_is_named() {
    let d = tempfile::tempdir().unwrap();
    let card = initialised_card(d.path());
    let psam = psam_image(d.path(), &other_keys(d.path()), &[], None);
    let st = Station::start(d.path(), &card, Some(&psam));
    let p = repo_file("card-profiles/ssc-3.00.toml");
    let o = st.run(
        &["perso", "--profile", &p, "--record", &st.record],
        &["--psam", PSAM_READER],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("PSAM in reader '{PSAM_READER}'")),
        "{e}"
    );
    // At most one refused EXTERNAL AUTHENTICATE per key id; no counter burned beyond that.
    let mut refused: std::collections::BTreeMap<u8, usize> = Default::default();
    for ex in st.spy.exchanges() {
        if ex.command.get(..2) == Some(&[0x00, 0x82]) && !ex.response.ends_with(&[0x90, 0x00]) {
            *refused
                .entry(ex.command.get(3).copied().unwrap_or(0))
                .or_default() += 1;
        }
    }
    assert!(
        !refused.is_empty(),
        "the card refused the PSAM's cryptogram"
    );
    assert!(refused.values().all(|&n| n == 1), "{refused:02X?}");
}

#[test]
fn a_psam_reader_without_a_psam_is_named() {
    let d = tempfile::tempdir().unwrap();
    let card = initialised_card(d.path());
    let st = Station::start(d.path(), &card, None);
    let p = repo_file("card-profiles/ssc-3.00.toml");
    let o = st.run(
        &["verify", "--profile", &p, "--record", &st.record],
        &["--psam", PSAM_READER],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "the PSAM in reader '{PSAM_READER}' cannot be reached: no card in reader '{PSAM_READER}'"
        )),
        "{e}"
    );
    let o = st.run(
        &["verify", "--profile", &p, "--record", &st.record],
        &["--psam", "No Such SAM Reader"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the PSAM in reader 'No Such SAM Reader' cannot be reached: no reader matches"),
        "{e}"
    );
    // Nothing reached the card.
    assert!(
        !st.spy
            .exchanges()
            .iter()
            .any(|e| e.command.get(1) == Some(&0x82)),
        "no authentication without a PSAM"
    );
}

#[test]
fn a_psam_with_a_pin_takes_it_from_the_environment_and_a_wrong_one_is_named() {
    let d = tempfile::tempdir().unwrap();
    let keys = repo_file("card-profiles/test-keys.toml");
    let card = initialised_card(d.path());
    let psam = psam_image(d.path(), &keys, &["--t0"], Some("246810"));
    let st = Station::start(d.path(), &card, Some(&psam));
    let p = repo_file("card-profiles/ssc-3.00.toml");
    let args = [
        "perso",
        "--profile",
        p.as_str(),
        "--record",
        st.record.as_str(),
    ];
    let o = st.run(
        &args,
        &["--psam", PSAM_READER],
        &[("SSCARD_PSAM_PIN", "135790")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let e = stderr(&o);
    assert!(e.contains(PSAM_READER), "names the PSAM: {e}");
    assert!(e.contains("PSAM PIN") && e.contains("2 tries left"), "{e}");
    assert!(!e.contains("135790") && !e.contains("246810"), "{e}");
    assert!(
        !st.spy
            .exchanges()
            .iter()
            .any(|e| e.command.get(1) == Some(&0x82)),
        "nothing authenticated with the card when the PSAM refused its PIN"
    );
    let out = st.ok(
        &args,
        &["--psam", PSAM_READER],
        &[("SSCARD_PSAM_PIN", "246810")],
    );
    assert!(out.contains("ENABLED"), "{out}");
    // The PSAM's counter is full again after the right PIN.
    let mut psam_guard = st.psam;
    if let Some(g) = psam_guard.as_mut() {
        g.terminate();
    }
    let text = std::fs::read_to_string(&psam).unwrap();
    assert!(text.contains("\"tries_left\": 3"), "{text}");
}
