//! A private SoftHSMv2 token per test: its own `softhsm2.conf` and token directory in a temp
//! dir (`SOFTHSM2_CONF` set only on the child processes that use it, never process-wide), the
//! synthetic 3DES test master keys of card-profiles/test-keys.toml imported with
//! `sscard hsm import-test-keys`.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once per process, when the module is initialised. A test that
//! uses the PKCS#11 code in-process runs its body in a child process of the test binary
//! ([`in_child`]), started with the token's environment, so tests never share a token.
//! A missing SoftHSM makes the test FAIL naming the Debian package (`softhsm2`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The SoftHSMv2 PKCS#11 module (Debian package softhsm2).
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The token's user PIN in tests.
pub const PIN: &str = "246810";
const SO_PIN: &str = "13579111";
const UTIL: &str = "/usr/bin/softhsm2-util";
/// The child-process marker: the name of the test whose body runs in this process.
const CHILD: &str = "SSCARD_HSM_TEST_CHILD";

/// The shipped synthetic key file.
pub fn test_keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("card-profiles/test-keys.toml")
}

fn require(path: &str, what: &str) {
    assert!(
        Path::new(path).exists(),
        "prerequisite missing: {what} ({path} not found). Install it: apt-get install -y softhsm2 \
         (or run scripts/test.sh as root, which installs everything)"
    );
}

/// Text of a finished process for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A private SoftHSM token (dropped with its directory).
pub struct Token {
    dir: tempfile::TempDir,
    /// The token label.
    pub label: String,
}

impl Token {
    /// A fresh token labelled `label` with the test master keys imported under
    /// `label_prefix` + key name.
    pub fn with_test_keys(label: &str, label_prefix: &str) -> Token {
        let t = Token::empty(label);
        let out = t.import(label_prefix);
        assert!(out.status.success(), "import-test-keys: {}", describe(&out));
        t
    }

    /// Runs `sscard hsm import-test-keys` with the shipped test keys into this token.
    pub fn import(&self, label_prefix: &str) -> Output {
        self.sscard()
            .args(["hsm", "import-test-keys", "--pkcs11", MODULE])
            .args([
                "--token",
                &self.label,
                "--label-prefix",
                label_prefix,
                "--keys",
            ])
            .arg(test_keys())
            .output()
            .unwrap()
    }

    /// A fresh token without keys.
    pub fn empty(label: &str) -> Token {
        require(MODULE, "the SoftHSMv2 PKCS#11 module");
        require(UTIL, "softhsm2-util");
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        std::fs::write(
            dir.path().join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let t = Token {
            dir,
            label: label.to_string(),
        };
        let out = Command::new(UTIL)
            .env("SOFTHSM2_CONF", t.conf())
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "softhsm2-util: {}", describe(&out));
        t
    }

    /// The token's `softhsm2.conf`.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// Sets this token's environment on `cmd`: `SOFTHSM2_CONF` and `SSCARD_HSM_PIN`.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("SOFTHSM2_CONF", self.conf())
            .env("SSCARD_HSM_PIN", PIN)
    }

    /// `sscard` with this token's environment.
    pub fn sscard(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sscard"));
        self.env(&mut cmd);
        cmd
    }
}

/// Runs `body` with a fresh token (`label`, keys imported under `label_prefix`) in a child
/// process of this test binary that runs only the test `test` (its full name, e.g.
/// `hsm_cryptograms_match_soft_keys`), and checks that the child ran it and it passed.
/// In the child, `body` gets the token label.
pub fn in_child(test: &str, label: &str, label_prefix: &str, body: impl FnOnce(&str)) {
    if std::env::var(CHILD).as_deref() == Ok(test) {
        body(label);
        return;
    }
    let token = Token::with_test_keys(label, label_prefix);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    token
        .env(&mut cmd)
        .env(CHILD, test)
        .args([test, "--exact", "--test-threads=1", "--nocapture"]);
    let out = cmd.output().unwrap();
    let text = describe(&out);
    assert!(out.status.success(), "child test {test}: {text}");
    assert!(
        text.contains("test result: ok. 1 passed"),
        "the child did not run {test}: {text}"
    );
}

/// A card image `name` in `dir` initialised with the test keys for the shipped profile
/// `text` (the manufacturer's step); personalized too (not enabled) when `written`. Returns
/// the reader argument `sim:PATH`.
pub fn card(dir: &Path, name: &str, text: &str, written: bool) -> String {
    use sscard::perso::demo::{self, DEMO_CARD_ID};
    use sscard::perso::{PlanOptions, RunOptions, Station};
    use sscard::sim::transport::{ImageCard, SimTransport};
    let path = dir.join(name);
    let mut t = SimTransport::new(ImageCard::open(&path).unwrap()).unwrap();
    let p = demo::shipped_profile(text, "shipped-profile.toml").unwrap();
    let k = demo::shipped_keys().unwrap();
    demo::init_card(&mut t, &p, &k, DEMO_CARD_ID).unwrap();
    if written {
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
    }
    sscard::transport::Transport::close(&mut t).unwrap();
    format!("sim:{}", path.display())
}

/// A holder record (CSV, one synthetic holder: the demo card's identification code) in `dir`.
pub fn record(dir: &Path) -> String {
    let rec = dir.join("holder.csv");
    std::fs::write(
        &rec,
        "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n\
         110101199012290016,测试一,1,01,440782,19901229,440700D156000005008A3F21C4E5B607,440700000000000000000001,A00000003,20250101\n",
    )
    .unwrap();
    rec.display().to_string()
}
