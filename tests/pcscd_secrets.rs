//! PINs, keys and cryptograms are never shown: every workflow that handles a secret runs through
//! a real pcscd with `--trace -vvv`, a spy between vpcd and the card collects every secret that
//! crossed the wire (PINs, diversified keys, cryptograms) and the test adds the master keys and
//! the PINs it typed; none may appear in any stdout, stderr, the card-side trace
//! (`sim --vpcd --trace -vvv`), `sim --show`, or any file the commands wrote.
//! Run with `--features pcscd-tests`.
#![cfg(feature = "pcscd-tests")]

mod common;

use common::spy::{Exchange, VpcdSpy};
use common::{PrivatePcscd, describe, spawn_card_on};
use std::path::{Path, PathBuf};
use std::process::Output;

const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";
const PIN: &str = "739251";
const NEW_PIN: &str = "604817";
const UNBLOCK_PIN: &str = "582946";
const SCRIPT_PIN: &str = "582946";
const WRONG_PIN: &str = "918273";

fn file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// A secret and how it must not appear.
#[derive(Debug)]
struct Secret {
    what: String,
    bytes: Vec<u8>,
}

/// The secrets in one exchange, by the command (ISO 7816-4 and docs/cos.md): VERIFY (20),
/// CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C), EXTERNAL AUTHENTICATE (82),
/// INTERNAL AUTHENTICATE (88, and its answer), PBOC RELOAD/CHANGE PIN (80 5E) carry secrets in
/// their data; WRITE KEY (80 D4) after usage, id/algorithm and tries.
fn secrets_of(e: &Exchange) -> Vec<Secret> {
    let c = &e.command;
    let (Some(&cla), Some(&ins)) = (c.first(), c.get(1)) else {
        return Vec::new();
    };
    let data = match c.get(4) {
        Some(&lc) if lc > 0 && c.len() >= 5 + usize::from(lc) => &c[5..5 + usize::from(lc)],
        _ => &[][..],
    };
    let mut out = Vec::new();
    let mut add = |what: &str, b: &[u8]| {
        // A run of one byte value (a conformance check's wrong PIN 000000) is in every hex dump:
        // not searchable, and not anybody's secret.
        if b.first().is_some_and(|f| b.iter().any(|x| x != f)) {
            out.push(Secret {
                what: format!("{what} in {c:02X?}"),
                bytes: b.to_vec(),
            });
        }
    };
    match ins {
        0x20 | 0x24 | 0x2C | 0x82 | 0x88 => add("command data", data),
        0x5E if cla & 0x80 != 0 => add("PIN data", data),
        0xD4 if cla & 0x80 != 0 => add("WRITE KEY value", data.get(3..).unwrap_or(&[])),
        _ => {}
    }
    if ins == 0x88 && e.response.len() > 2 {
        add(
            "INTERNAL AUTHENTICATE answer",
            &e.response[..e.response.len() - 2],
        );
    }
    out
}

/// The master keys of the key file (every 32-hex-digit value).
fn master_keys(path: &str) -> Vec<Secret> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("");
        for word in code.split('"') {
            if word.len() == 32 && word.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push(Secret {
                    what: format!("master key {}", &word[..4]),
                    bytes: hex::decode(word).unwrap(),
                });
            }
        }
    }
    out
}

fn pin_secret(pin: &str) -> Secret {
    Secret {
        what: format!("PIN typed by the operator ({} digits)", pin.len()),
        bytes: hex::decode(pin).unwrap(),
    }
}

fn hexu(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn spaced(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when `needle` occurs in `hay` with no hex digit right before or after it.
fn has_token(hay: &str, needle: &str) -> bool {
    let hb = hay.as_bytes();
    hay.match_indices(needle).any(|(i, m)| {
        let before = i.checked_sub(1).and_then(|j| hb.get(j));
        let after = hb.get(i + m.len());
        !before.is_some_and(u8::is_ascii_hexdigit) && !after.is_some_and(u8::is_ascii_hexdigit)
    })
}

/// Where `s` shows in `text` (upper-cased), if anywhere: its hex compact or spaced, and for a
/// BCD PIN or a printable key also its ASCII form (as text and as hex).
fn shown(s: &Secret, text: &str) -> Option<String> {
    let up = text.to_uppercase();
    let mut needles = vec![spaced(&s.bytes)];
    let compact = hexu(&s.bytes);
    if s.bytes.len() >= 8 {
        // Long enough to look for with all white space removed (no chance match).
        let squeezed: String = up.chars().filter(|c| !c.is_whitespace()).collect();
        if squeezed.contains(&compact) {
            return Some(compact);
        }
    }
    needles.push(compact.clone());
    if compact.chars().all(|c| c.is_ascii_digit()) {
        // A BCD PIN: its digits as ASCII bytes, e.g. in a script or an ASCII-PIN COS.
        let ascii: Vec<u8> = compact.bytes().collect();
        needles.push(spaced(&ascii));
        needles.push(hexu(&ascii));
    }
    if s.bytes.len() >= 8 && s.bytes.iter().all(|b| b.is_ascii_graphic()) {
        needles.push(String::from_utf8_lossy(&s.bytes).to_uppercase());
    }
    needles.into_iter().find(|n| {
        if n.len() >= 16 {
            up.contains(n.as_str())
        } else {
            has_token(&up, n)
        }
    })
}

/// Every file under `dir`, with its text (lossy).
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, String::from_utf8_lossy(&b).into_owned()));
        }
    }
    out
}

struct Station<'a> {
    pcscd: &'a PrivatePcscd,
    work: PathBuf,
    outputs: Vec<(String, String)>,
}

impl Station<'_> {
    /// Runs `sscard --trace -vvv ARGS` in the work folder (also its HOME), expecting `code`.
    fn run(&mut self, args: &[&str], code: i32) -> Output {
        let out = self
            .pcscd
            .sscard()
            .current_dir(&self.work)
            .env("HOME", &self.work)
            .env("XDG_DATA_HOME", self.work.join("data"))
            .env("XDG_STATE_HOME", self.work.join("state"))
            .env("XDG_CONFIG_HOME", self.work.join("config"))
            .env("XDG_CACHE_HOME", self.work.join("cache"))
            .env_remove("SSCARD_PIN")
            .env_remove("SSCARD_NEW_PIN")
            .args(["--trace", "-vvv", "--reader", common::READER])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "sscard {args:?}: {}",
            describe(&out)
        );
        let name = format!("sscard {}", args.first().copied().unwrap_or(""));
        self.outputs
            .push((format!("{name} stdout"), common::stdout(&out)));
        self.outputs
            .push((format!("{name} stderr"), common::stderr(&out)));
        out
    }
}

#[test]
fn no_pin_key_or_cryptogram_is_shown_by_any_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let card_dir = dir.path().join("card");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&card_dir).unwrap();
    let image = card_dir.join("card.json");
    let profile = file("card-profiles/ssc-3.00.toml");
    // The synthetic test keys with a distinctive initial PIN.
    let keys = card_dir.join("keys.toml");
    let key_text = std::fs::read_to_string(file("card-profiles/test-keys.toml")).unwrap();
    std::fs::write(
        &keys,
        format!("{key_text}\n[pins.holder]\ninitial = \"{PIN}\"\n"),
    )
    .unwrap();
    let keys = keys.display().to_string();
    let record = card_dir.join("holder.csv");
    std::fs::write(
        &record,
        format!(
            "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n\
             110101199012290016,测试一,1,01,440782,19901229,{CARD_ID},440700000000000000000001,A00000003,20250101\n"
        ),
    )
    .unwrap();
    let record = record.display().to_string();
    let script = card_dir.join("verify.apdu");
    std::fs::write(
        &script,
        format!(
            "include {}\n00 20 00 00 03 ${{PIN}} -> 90 00\n",
            file("apdu-scripts/lib/select-ssse.apdu")
        ),
    )
    .unwrap();
    let script = script.display().to_string();

    let pcscd = PrivatePcscd::start();
    let spy = VpcdSpy::start(pcscd.port());
    let img = image.display().to_string();
    let mut card = spawn_card_on(
        pcscd.port(),
        pcscd.sscard().args([
            "--trace",
            "-vvv",
            "sim",
            "--vpcd",
            &spy.card_addr(),
            "--image",
            &img,
        ]),
    );
    pcscd.wait_card();
    let mut st = Station {
        pcscd: &pcscd,
        work: work.clone(),
        outputs: Vec::new(),
    };
    let p = profile.as_str();
    let k = keys.as_str();
    st.run(
        &["init", "--profile", p, "--keys", k, "--card-id", CARD_ID],
        0,
    );
    st.run(
        &["perso", "--profile", p, "--keys", k, "--record", &record],
        0,
    );
    // Conformance first: it expects the key file's initial PIN.
    st.run(
        &[
            "conformance",
            "--profile",
            p,
            "--keys",
            k,
            "--card-id",
            CARD_ID,
            "--test-card",
            "--junit",
            "conformance.xml",
        ],
        0,
    );
    st.run(&["pin", "verify", "--profile", p, "--pin", PIN], 0);
    st.run(&["pin", "verify", "--profile", p, "--pin", WRONG_PIN], 2);
    st.run(
        &[
            "pin",
            "change",
            "--profile",
            p,
            "--pin",
            PIN,
            "--new-pin",
            NEW_PIN,
        ],
        0,
    );
    st.run(
        &[
            "pin",
            "unblock",
            "--profile",
            p,
            "--keys",
            k,
            "--card-id",
            CARD_ID,
            "--new-pin",
            UNBLOCK_PIN,
        ],
        0,
    );
    st.run(
        &["run", "--secret", &format!("PIN={SCRIPT_PIN}"), &script],
        0,
    );
    st.run(
        &[
            "diagnose",
            "--profile",
            p,
            "--keys",
            k,
            "--card-id",
            CARD_ID,
            "--today",
            "20260101",
        ],
        0,
    );
    let exchanges = spy.exchanges();
    card.terminate();
    let card_log = card.log();
    drop(card);
    let show = pcscd.run(&["-vvv", "sim", "--show", "--image", &img]);
    assert!(show.status.success(), "{}", describe(&show));

    // What must never show.
    let mut secrets: Vec<Secret> = exchanges.iter().flat_map(secrets_of).collect();
    let from_wire = secrets.len();
    let cryptograms = exchanges.iter().filter(|e| e.command[1] == 0x82).count();
    let key_writes = exchanges
        .iter()
        .filter(|e| e.command[1] == 0xD4 && e.command.len() > 20)
        .count();
    let verifies = exchanges
        .iter()
        .filter(|e| e.command[1] == 0x20 && e.command.len() > 5)
        .count();
    assert!(
        cryptograms >= 10,
        "EXTERNAL AUTHENTICATE seen: {cryptograms}"
    );
    assert!(key_writes >= 5, "diversified keys loaded: {key_writes}");
    assert!(verifies >= 4, "PINs presented: {verifies}");
    let ins_seen = |ins: u8| exchanges.iter().any(|e| e.command[1] == ins);
    assert!(
        ins_seen(0x2C),
        "RESET RETRY COUNTER (unblock) crossed the wire"
    );
    assert!(
        ins_seen(0x24) || ins_seen(0x5E),
        "a PIN change crossed the wire"
    );
    secrets.extend(master_keys(&keys));
    for pin in [PIN, NEW_PIN, UNBLOCK_PIN, SCRIPT_PIN, WRONG_PIN] {
        secrets.push(pin_secret(pin));
    }
    assert!(from_wire > 20, "{from_wire} secrets crossed the wire");

    // Where they must not show.
    let mut places = st.outputs;
    places.push((
        "sim --vpcd --trace -vvv (card side)".into(),
        card_log.clone(),
    ));
    places.push(("sim --show stdout".into(), common::stdout(&show)));
    places.push(("sim --show stderr".into(), common::stderr(&show)));
    let written = files_under(&work);
    assert!(
        written.iter().any(|(p, _)| p.ends_with("conformance.xml")),
        "the JUnit report was written: {written:?}"
    );
    for (p, text) in written {
        places.push((format!("file {}", p.display()), text));
    }
    // The traces really show the traffic (masked), so the check has something to look at.
    assert!(card_log.contains("> 00 82 00"), "{card_log}");
    assert!(card_log.contains("******"), "{card_log}");
    let mut leaks = Vec::new();
    for (place, text) in &places {
        for s in &secrets {
            if let Some(n) = shown(s, text) {
                leaks.push(format!("{place}: {} shown as {n}", s.what));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets shown:\n{}", leaks.join("\n"));
}
