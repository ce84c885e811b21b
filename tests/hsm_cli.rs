//! A station whose master keys are in an HSM (SoftHSMv2 over PKCS#11: `--pkcs11 MODULE.so
//! --token LABEL`, PIN from `SSCARD_HSM_PIN`) on a 3DES card (ssc-2.00), the commands as an
//! operator runs them on the in-process virtual card: perso, verify, PIN unblock, read,
//! diagnose, disable, enable; a missing module, token or key, a wrong PIN and SM4 on SoftHSM
//! are named, the PIN never shown. (The card-side APDU comparison with `--keys` is
//! tests/hsm_station.rs.)

mod hsm_util;

use hsm_util::{MODULE, PIN, Token, card, record};
use sscard::perso::demo::{DEMO_CARD_ID, SSC_200, SSC_300};
use std::process::Output;

fn text(o: &Output) -> String {
    hsm_util::describe(o)
}

/// `sscard --reader CARD VERB --profile PROFILE ARGS... --pkcs11 MODULE --token TOKEN`
/// (no key source when `token` is `None`), with `tok`'s environment (`SOFTHSM2_CONF`,
/// `SSCARD_HSM_PIN`) and `env` on top.
fn run(
    tok: &Token,
    card: &str,
    verb: &[&str],
    args: &[&str],
    source: Option<(&str, &str)>,
    env: &[(&str, Option<&str>)],
) -> Output {
    let mut c = tok.sscard();
    for v in [
        "SSCARD_READER",
        "SSCARD_KEYS",
        "SSCARD_PSAM",
        "SSCARD_PKCS11",
        "SSCARD_TOKEN",
        "SSCARD_PIN",
        "SSCARD_NEW_PIN",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.args(["--reader", card]).args(verb).args(args);
    if let Some((module, token)) = source {
        c.args(["--pkcs11", module, "--token", token]);
    }
    c.output().unwrap()
}

/// A station command on an ssc-2.00 card with `tok`'s keys.
fn station(tok: &Token, card: &str, verb: &[&str], args: &[&str], hsm: bool) -> Output {
    let mut a = vec!["--profile", "ssc-2.00"];
    a.extend_from_slice(args);
    run(
        tok,
        card,
        verb,
        &a,
        hsm.then_some((MODULE, tok.label.as_str())),
        &[],
    )
}

#[test]
fn every_authenticating_command_works_with_the_hsm() {
    let tok = Token::with_test_keys("station-cli", "");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let card = card(d, "card.json", SSC_200, false);
    let rec = record(d);
    let o = station(&tok, &card, &["perso"], &["--record", &rec], true);
    assert!(text(&o).contains("OK: the card is good"), "{}", text(&o));
    assert!(!text(&o).contains(PIN), "no HSM PIN in the output");
    let o = station(&tok, &card, &["verify"], &["--record", &rec], true);
    assert!(
        text(&o).contains("OK: every element matches"),
        "{}",
        text(&o)
    );
    for _ in 0..3 {
        station(&tok, &card, &["pin", "verify"], &["--pin", "999999"], false);
    }
    let o = station(&tok, &card, &["pin", "status"], &[], false);
    assert!(text(&o).contains("BLOCKED"), "{}", text(&o));
    let o = station(
        &tok,
        &card,
        &["pin", "unblock"],
        &["--card-id", DEMO_CARD_ID],
        true,
    );
    assert!(text(&o).contains("3 tries left"), "{}", text(&o));
    let args = ["--card-id", DEMO_CARD_ID, "--format", "ireadcardbas"];
    let o = station(&tok, &card, &["read"], &args, true);
    let line = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{}", text(&o));
    for f in ["|110101199012290016|", "|测试一|"] {
        assert!(line.contains(f), "{f}: {line}");
    }
    let o = station(
        &tok,
        &card,
        &["diagnose"],
        &["--card-id", DEMO_CARD_ID],
        true,
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(!t.contains("not checked"), "{t}");
    let o = station(&tok, &card, &["disable"], &["--record", &rec], true);
    assert!(
        text(&o).contains("is disabled (SELECT answers 6283)"),
        "{}",
        text(&o)
    );
}

#[test]
fn enable_works_with_the_hsm_and_the_trace_shows_no_pin() {
    let tok = Token::with_test_keys("station-enable", "");
    let dir = tempfile::tempdir().unwrap();
    let card = card(dir.path(), "card.json", SSC_200, true);
    let rec = record(dir.path());
    let o = station(
        &tok,
        &card,
        &["--trace", "enable"],
        &["--record", &rec],
        true,
    );
    let t = text(&o);
    assert!(t.contains("OK: verified and enabled"), "{t}");
    assert!(
        t.contains("> 00 82"),
        "the trace shows the EXTERNAL AUTHENTICATE: {t}"
    );
    assert!(!t.contains(PIN), "no HSM PIN in the trace: {t}");
}

#[test]
fn a_missing_token_or_key_a_wrong_pin_and_sm4_on_softhsm_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let card2 = card(dir.path(), "card.json", SSC_200, false);
    let card3 = card(dir.path(), "sm4.json", SSC_300, false);
    let rec = record(dir.path());
    let tok = Token::with_test_keys("station-errs", "");
    let perso = |card: &str, profile: &str, source: (&str, &str), env: &[(&str, Option<&str>)]| {
        let o = run(
            &tok,
            card,
            &["perso"],
            &["--profile", profile, "--record", &rec],
            Some(source),
            env,
        );
        assert_ne!(o.status.code(), Some(0), "{}", text(&o));
        text(&o)
    };
    // A token that is not there: named, with the tokens present.
    let t = perso(&card2, "ssc-2.00", (MODULE, "no-such-token"), &[]);
    assert!(t.contains("no token labelled 'no-such-token'"), "{t}");
    assert!(t.contains("'station-errs'"), "{t}");
    // A module that is not there: named, before any PIN is asked.
    let t = perso(
        &card2,
        "ssc-2.00",
        ("/opt/vendor/libnone.so", "x"),
        &[("SSCARD_HSM_PIN", None)],
    );
    assert!(
        t.contains("PKCS#11 module /opt/vendor/libnone.so not found"),
        "{t}"
    );
    // A wrong PIN: said, not shown.
    let t = perso(
        &card2,
        "ssc-2.00",
        (MODULE, "station-errs"),
        &[("SSCARD_HSM_PIN", Some("11223344"))],
    );
    assert!(
        t.contains("HSM PIN for token 'station-errs' is wrong"),
        "{t}"
    );
    assert!(!t.contains("11223344"), "{t}");
    // SM4 (a 3rd-generation card) on SoftHSM: refused, saying why and what to use instead.
    let t = perso(&card3, "ssc-3.00", (MODULE, "station-errs"), &[]);
    assert!(t.contains("SoftHSM, which has no SM4"), "{t}");
    // A token without the keys: the missing label and the token are named.
    let empty = Token::empty("station-empty");
    let o = station(&empty, &card2, &["perso"], &["--record", &rec], true);
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("HSM token 'station-empty' has no 3DES master key labelled"),
        "{t}"
    );
}
