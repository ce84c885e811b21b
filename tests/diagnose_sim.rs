//! `sscard diagnose` on the virtual card in each fault mode: the verdict, the exit code and
//! the reasons a station reads; and the proof that diagnose is read-only.

mod diag_util;

use diag_util::*;
use sscard::card::{Card, SSSE_NAME};
use sscard::diagnose::{Options, Verdict, diagnose};
use sscard::sim::{FaultConfig, Intermittent};
use sscard::transport::{ResetKind, Transport, TransportError};

const P200: &str = "card-profiles/ssc-2.00.toml";

fn run(path: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["diagnose", "--profile"];
    let p = repo(P200);
    args.push(&p);
    args.extend_from_slice(extra);
    let o = sscard(path, &args);
    let text = out(&o);
    (o.status.code().unwrap_or(-1), text)
}

/// A personalized 2nd-generation card image in a fresh temporary folder (keep the folder).
fn card200() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_200, "ssc-2.00.toml");
    (dir, card)
}

/// `card200` with `fc` written into its image.
fn faulty200(fc: FaultConfig) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, card) = card200();
    faults(&card, fc);
    (dir, card)
}

/// A personalized 3rd-generation card image in a fresh temporary folder (keep the folder).
fn card300() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let card = personalized(dir.path(), SSC_300, "ssc-3.00.toml");
    (dir, card)
}

/// Presents a wrong holder PIN `n` times; each must be refused.
fn wrong_pins(card: &std::path::Path, n: usize) {
    let mut t = open(card);
    {
        let mut c = Card::new(t.as_mut());
        c.select_name(SSSE_NAME).unwrap();
        let wrong = sscard::crypto::encode_pin("999999").unwrap();
        for _ in 0..n {
            assert!(c.verify(0, &wrong).is_err());
        }
    }
    t.close().unwrap();
}

/// Changes the SSN's check character in the image: ...0016 -> ...0017.
fn damage_ssn(card: &std::path::Path) {
    let text = std::fs::read_to_string(card).unwrap();
    let ssn = hex::encode_upper(b"110101199012290016");
    let bad = hex::encode_upper(b"110101199012290017");
    assert!(text.contains(&ssn), "the SSN is in the image");
    std::fs::write(card, text.replace(&ssn, &bad)).unwrap();
}

#[test]
fn healthy_card_is_ok() {
    let (_dir, card) = card200();
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("VERDICT: OK\n"), "{text}");
    assert!(text.contains("3F00/DDF1/EF06"), "{text}");
    assert!(text.contains("7 of 7 elements ok"), "{text}");
    assert!(text.contains("PIN holder: 3 of 3 tries left"), "{text}");
    assert!(text.contains("the same ATR every time"), "{text}");
    assert!(
        text.contains("Expiry    20350101 (today 20260101): valid"),
        "{text}"
    );
}

#[test]
fn expired_but_healthy_card_is_ok_expired() {
    let (_dir, card) = card200();
    let (code, text) = run(&card, &["--today", "20400101"]);
    assert_eq!(code, 10, "{text}");
    assert!(text.contains("VERDICT: OK, EXPIRED"), "{text}");
    assert!(text.contains("expired on 20350101 (still usable"), "{text}");
    assert!(!text.contains("replace the card"), "{text}");
}

#[test]
fn memory_failure_on_ef06_is_chip_failing() {
    let (_dir, card) = faulty200(FaultConfig {
        memory_failure: vec!["DDF1/EF06".into()],
        ..FaultConfig::default()
    });
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 30, "{text}");
    assert!(
        text.contains("VERDICT: CHIP FAILING (replace the card)"),
        "{text}"
    );
    assert!(text.contains("3F00/DDF1/EF06"), "{text}");
    assert!(text.contains("memory failure (6581 on 3 tries)"), "{text}");
    // EF05 is fine and the link is clean: the report says so.
    assert!(text.contains("7 of 7 elements ok"), "{text}");
    assert!(text.contains("32 x SELECT MF: 0 failed"), "{text}");
}

#[test]
fn flaky_link_is_chip_failing() {
    let (_dir, card) = faulty200(FaultConfig {
        intermittent: Some(Intermittent {
            rate: 0.2,
            seed: 7,
            sw: 0x6581,
        }),
        ..FaultConfig::default()
    });
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 30, "{text}");
    assert!(text.contains("the link is unreliable"), "{text}");
    assert!(text.contains("6581 ×"), "{text}");
}

#[test]
fn dead_chip_is_no_response_not_a_tool_error() {
    let (_dir, card) = faulty200(FaultConfig {
        dead: true,
        ..FaultConfig::default()
    });
    let (code, text) = run(&card, &[]);
    assert_eq!(code, 31, "{text}");
    assert!(
        text.contains("VERDICT: NO RESPONSE (replace the card)"),
        "{text}"
    );
    let o = sscard(&card, &["diagnose", "--profile", &repo(P200), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "NO_RESPONSE");
    assert_eq!(v["exit_code"], 31);
}

#[test]
fn card_that_answers_reset_but_no_command_is_chip_failing() {
    // Power is lost at the first APDU after every power-on: the ATR comes, no answer does.
    let (_dir, card) = faulty200(FaultConfig {
        power_loss_at: Some(1),
        power_loss_repeat: true,
        ..FaultConfig::default()
    });
    let (code, text) = run(&card, &[]);
    // Every command is lost: the chip gives its ATR but never answers a command. The ATR
    // proves the contacts, the power and the reader: the chip is there and failing (CHIP
    // FAILING, 30), not absent or unreachable (NO RESPONSE, 31, is for no ATR at all), and
    // the reason tells the technician not to look at contacts or reader (docs/diagnose.md).
    assert_eq!(code, 30, "{text}");
    assert!(
        text.contains("VERDICT: CHIP FAILING (replace the card)"),
        "{text}"
    );
    assert!(
        text.contains(
            "the chip answers reset (ATR) but none of 32 harmless commands (no answer ×32): \
             its operating system or memory is failing, not the contacts or the reader"
        ),
        "{text}"
    );
    let o = sscard(&card, &["diagnose", "--profile", &repo(P200), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "CHIP_FAILING");
    assert_eq!(
        v["power"]["answered"], v["power"]["resets"],
        "an ATR every time"
    );
    assert_eq!(v["link"]["errors"], 32);
}

#[test]
fn blocked_pin_is_pin_blocked() {
    let (_dir, card) = card200();
    wrong_pins(&card, 3);
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 12, "{text}");
    assert!(
        text.contains("VERDICT: PIN BLOCKED (unblock at the counter)"),
        "{text}"
    );
    assert!(text.contains("PIN holder: blocked"), "{text}");
}

#[test]
fn disabled_and_never_enabled_cards_are_not_enabled() {
    let (_dir, card) = card200();
    disable(&card, SSC_200);
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 11, "{text}");
    assert!(text.contains("VERDICT: NOT ENABLED"), "{text}");
    assert!(text.contains("disabled (deactivated)"), "{text}");

    let dir2 = tempfile::tempdir().unwrap();
    let blank = initialised_only(dir2.path());
    let (code, text) = run(&blank, &["--today", "20260101"]);
    assert_eq!(code, 11, "{text}");
    assert!(
        text.contains("not enabled yet (initialisation state)"),
        "{text}"
    );
}

#[test]
fn damaged_ssn_is_data_damaged() {
    let (_dir, card) = card200();
    damage_ssn(&card);
    let (code, text) = run(&card, &["--today", "20260101"]);
    assert_eq!(code, 20, "{text}");
    assert!(
        text.contains("VERDICT: DATA DAMAGED (re-personalize or replace)"),
        "{text}"
    );
    assert!(text.contains("ssn"), "{text}");
    // The damaged value itself is not printed (personal data).
    assert!(!text.contains("110101199012290017"), "{text}");
}

/// Records every command header on the way to the card.
struct Spy<'a> {
    inner: &'a mut dyn Transport,
    sent: Vec<Vec<u8>>,
}

impl<'a> Spy<'a> {
    fn new(inner: &'a mut dyn Transport) -> Self {
        Spy {
            inner,
            sent: Vec::new(),
        }
    }
}

impl Transport for Spy<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.push(apdu.to_vec());
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
}

#[test]
fn diagnose_sends_only_read_only_commands_and_changes_nothing() {
    let (_dir, card) = card200();
    let profile = sscard::profile::load(repo(P200).as_ref()).unwrap();
    // One wrong PIN first, so a counter that moved would show.
    wrong_pins(&card, 1);
    let before = std::fs::read(&card).unwrap();
    let mut t = open(&card);
    let mut spy = Spy::new(t.as_mut());
    let report = diagnose(&mut spy, &profile, &Options::default());
    assert!(report.verdict <= Verdict::OkExpired, "{}", report.render());
    assert!(
        spy.sent.len() > 40,
        "diagnose did its job: {}",
        spy.sent.len()
    );
    for apdu in &spy.sent {
        let ins = apdu[1];
        assert_eq!(apdu[0], 0x00, "CLA of {apdu:02X?}");
        assert!(
            matches!(ins, 0xA4 | 0xB0 | 0xB2 | 0xC0 | 0xCA) || (ins == 0x20 && apdu.len() <= 5),
            "diagnose sent a non-read command {apdu:02X?}"
        );
    }
    assert!(spy.sent.iter().any(|a| a[1] == 0x20), "PIN state was asked");
    let pin = &report.dfs[1].pins[0];
    assert_eq!(
        pin.tries_left,
        Some(2),
        "the wrong PIN is seen, not spent again"
    );
    t.close().unwrap();
    assert_eq!(
        std::fs::read(&card).unwrap(),
        before,
        "the card image is unchanged"
    );
}

#[test]
fn the_guard_refuses_a_write_before_it_reaches_the_card() {
    let (_dir, card) = card200();
    let mut t = open(&card);
    let mut spy = Spy::new(t.as_mut());
    let mut guard =
        sscard::transport::Tap::new(&mut spy, sscard::diagnose::guard::ReadOnly::new(false));
    let e = guard
        .transmit(&[0x00, 0xDC, 0x01, 0x04, 0x01, 0x00])
        .unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
    assert!(
        matches!(&e, TransportError::Refused { header, .. } if header == &[0x00, 0xDC, 0x01, 0x04]),
        "{e:?}"
    );
    assert_eq!(guard.observer().refused, 1);
    assert!(
        guard
            .transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00])
            .is_ok()
    );
    drop(guard);
    assert_eq!(spy.sent.len(), 1, "only the SELECT reached the card");
}

#[test]
fn slow_but_correct_card_is_ok() {
    let (_dir, card) = faulty200(FaultConfig {
        delay_ms: 2,
        ..FaultConfig::default()
    });
    let (code, text) = run(&card, &["--today", "20260101", "--rounds", "8"]);
    assert_eq!(code, 0, "slowness alone condemns nothing: {text}");
    assert!(
        text.contains("8 x SELECT MF: 0 failed; latency min"),
        "{text}"
    );
}

const P300: &str = "card-profiles/ssc-3.00.toml";
use sscard::perso::demo::DEMO_CARD_ID;
const WRONG_ID: &str = "440700D156000005008A3F21C4E5B608";

fn run300(path: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let p = repo(P300);
    let mut args = vec!["diagnose", "--profile", &p, "--today", "20260101"];
    args.extend_from_slice(extra);
    let o = sscard(path, &args);
    (o.status.code().unwrap_or(-1), out(&o))
}

/// Diagnoses with the read key from the test keys, diversified with `card_id`, through a spy.
fn diagnose300(path: &std::path::Path, card_id: &str) -> (sscard::diagnose::Report, Vec<Vec<u8>>) {
    let profile = sscard::profile::load(repo(P300).as_ref()).unwrap();
    let station = sscard::perso::Station::new(&profile).unwrap();
    let mut holder = sscard::perso::demo::demo_holder();
    holder.fields.insert("card_id".into(), card_id.into());
    let values = station.encode(&holder).unwrap();
    let kf = sscard::perso::demo::shipped_keys().unwrap();
    let mut t = open(path);
    let keys = station.card_keys(Some(&kf), &values, &t.atr());
    let mut spy = Spy::new(t.as_mut());
    let opts = Options {
        today: Some("20260101".into()),
        ..Options::default()
    };
    let report = sscard::diagnose::diagnose_with_keys(&mut spy, &profile, &opts, Some(&keys));
    let sent = spy.sent;
    t.close().unwrap();
    (report, sent)
}

/// `run300` with the test key file and `card_id`.
fn run300_keys(path: &std::path::Path, card_id: &str) -> (i32, String) {
    let keys = repo("card-profiles/test-keys.toml");
    run300(path, &["--keys", &keys, "--card-id", card_id])
}

#[test]
fn third_generation_without_keys_says_the_data_was_not_checked() {
    let (_dir, card) = card300();
    let (code, text) = run300(&card, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("VERDICT: OK (data not checked: give --keys and --card-id to read EF06)"),
        "{text}"
    );
    // One line for the whole EF, not one per element.
    let ef06: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("3F00/DDF1/EF06"))
        .collect();
    assert_eq!(ef06.len(), 1, "{text}");
    assert!(
        ef06[0].contains("not checked: needs read key 0A (读密钥 RKSSSE): give --keys"),
        "{text}"
    );
    assert!(!text.contains("  08 ssn"), "no per-element lines: {text}");
}

#[test]
fn third_generation_with_keys_reads_everything_through_the_read_key_only() {
    let (_dir, card) = card300();
    let before = std::fs::read(&card).unwrap();
    let (report, sent) = diagnose300(&card, DEMO_CARD_ID);
    let text = report.render();
    assert_eq!(report.verdict, Verdict::Ok, "{text}");
    assert_eq!(report.verdict_text, "OK", "{text}");
    assert_eq!(report.unchecked, 0, "{text}");
    for df in &report.dfs {
        for ef in &df.efs {
            assert!(!ef.elements.is_empty() || ef.status == "ok", "{text}");
            for el in &ef.elements {
                assert!(
                    el.status == "ok" || el.status == "absent (optional)",
                    "{} {}: {} in\n{text}",
                    ef.path,
                    el.name,
                    el.status
                );
            }
        }
    }
    assert!(sent.iter().any(|a| a[1] == 0x84), "GET CHALLENGE sent");
    // One authentication, for EF06 only (EF05 is free on a 3rd-generation card): the walker
    // stays on an EF while the security state holds instead of authenticating per element.
    assert_eq!(
        sent.iter().filter(|a| a[1] == 0x82).count(),
        1,
        "EXTERNAL AUTHENTICATE once, for EF06"
    );
    assert!(
        sent.iter().all(|a| a[1] != 0x82 || a[3] == 0x0A),
        "only the read key 0A authenticates"
    );
    for apdu in &sent {
        assert_eq!(apdu[0], 0x00, "CLA of {apdu:02X?}");
        let ins = apdu[1];
        assert!(
            matches!(ins, 0xA4 | 0xB0 | 0xB2 | 0xC0 | 0xCA | 0x84 | 0x82)
                || (ins == 0x20 && apdu.len() <= 5),
            "diagnose sent {apdu:02X?}"
        );
    }
    assert_eq!(
        std::fs::read(&card).unwrap(),
        before,
        "the card image is unchanged"
    );
    // The same through the CLI.
    let (code, text) = run300_keys(&card, DEMO_CARD_ID);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("VERDICT: OK\n"), "{text}");
    assert!(!text.contains("not checked"), "{text}");
}

#[test]
fn third_generation_damaged_ssn_is_data_damaged_with_keys() {
    let (_dir, card) = card300();
    damage_ssn(&card);
    let (code, text) = run300_keys(&card, DEMO_CARD_ID);
    assert_eq!(code, 20, "{text}");
    assert!(
        text.contains("VERDICT: DATA DAMAGED (re-personalize or replace)"),
        "{text}"
    );
    assert!(text.contains("ssn"), "{text}");
    assert!(!text.contains("110101199012290017"), "{text}");
}

/// The key ids of the EXTERNAL AUTHENTICATE commands in `sent` (P2's low 5 bits).
fn auth_key_ids(sent: &[Vec<u8>]) -> Vec<u8> {
    sent.iter()
        .filter(|a| a[1] == 0x82)
        .map(|a| a[3] & 0x1F)
        .collect()
}

/// Gives key `id` (in every DF that has it) a counter of `max` tries, all left. The shipped
/// read key has unlimited tries, so without this a spent try would leave no trace.
fn limit_key_tries(card: &std::path::Path, id: u8, max: u8) {
    fn walk(n: &mut sscard::sim::fs::Node, id: u8, max: u8, hits: &mut usize) {
        if let Some(k) = n.keys.key_mut(id) {
            k.tries = sscard::sim::security::Tries::full(max);
            *hits += 1;
        }
        for c in &mut n.children {
            walk(c, id, max, hits);
        }
    }
    let mut hits = 0;
    edit(card, |c| {
        let mut state = c.state().clone();
        walk(&mut state.mf, id, max, &mut hits);
        *c = sscard::sim::VirtualCard::from_state(state);
    });
    assert!(hits > 0, "key {id:02X} not found in the image");
}

/// The tries left of key `id` (the first DF that has it).
fn key_tries_left(card: &std::path::Path, id: u8) -> u8 {
    fn find(n: &sscard::sim::fs::Node, id: u8) -> Option<u8> {
        if let Some(k) = n.keys.key(id) {
            return Some(k.tries.left);
        }
        n.children.iter().find_map(|c| find(c, id))
    }
    let c = sscard::sim::VirtualCard::load_or_create(card).unwrap();
    find(&c.state().mf, id).unwrap_or_else(|| panic!("key {id:02X} not in the image"))
}

#[test]
fn third_generation_diagnose_with_the_right_key_spends_no_try_of_a_limited_key() {
    let (_dir, card) = card300();
    let (_, sent) = diagnose300(&card, DEMO_CARD_ID);
    let ids = auth_key_ids(&sent);
    assert!(!ids.is_empty(), "the read key was used");
    let id = ids[0];
    limit_key_tries(&card, id, 3);
    let (report, sent) = diagnose300(&card, DEMO_CARD_ID);
    assert_eq!(report.unchecked, 0, "{}", report.render());
    assert_eq!(auth_key_ids(&sent).len(), 1, "EF06 only");
    assert_eq!(key_tries_left(&card, id), 3, "no try spent");
    let (code, text) = run300_keys(&card, DEMO_CARD_ID);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        key_tries_left(&card, id),
        3,
        "no try spent by the CLI: {text}"
    );
}

#[test]
fn third_generation_wrong_card_id_is_a_finding_tried_once() {
    let (_dir, card) = card300();
    let (_, sent) = diagnose300(&card, DEMO_CARD_ID);
    let id = auth_key_ids(&sent)[0];
    // A fixture read key with 5 tries: every attempt with the wrong key shows in the counter.
    limit_key_tries(&card, id, 5);
    let (report, sent) = diagnose300(&card, WRONG_ID);
    assert_eq!(
        key_tries_left(&card, id),
        4,
        "exactly one try spent by the library"
    );
    let text = report.render();
    assert_eq!(
        sent.iter().filter(|a| a[1] == 0x82).count(),
        1,
        "one authentication attempt, never a second: {text}"
    );
    assert_eq!(
        report.verdict,
        Verdict::Ok,
        "a wrong key is not a chip fault: {text}"
    );
    assert!(report.unchecked > 0, "{text}");
    assert!(text.contains("check the key file / card id"), "{text}");
    let (code, text) = run300_keys(&card, WRONG_ID);
    assert_eq!(
        key_tries_left(&card, id),
        3,
        "exactly one try spent by the CLI"
    );
    assert_eq!(code, 0, "documented: the verdict keeps its code: {text}");
    assert!(
        text.contains("VERDICT: OK (data not checked: the read key was refused or missing: check the key file / card id)"),
        "{text}"
    );
    assert!(text.contains("refused by the card"), "{text}");
    // A correct key still works afterwards and fills the counter again.
    let (report, _) = diagnose300(&card, DEMO_CARD_ID);
    assert_eq!(report.unchecked, 0, "{}", report.render());
    assert_eq!(key_tries_left(&card, id), 5);
}
