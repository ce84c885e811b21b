//! Shared harness for end-to-end tests through a real, private pcscd with the vsmartcard
//! `vpcd` reader driver (facts in `/work/shared/design/pcsc-test-harness.md`).
//!
//! # How to use it from a test file
//! ```ignore
//! #![cfg(feature = "pcscd-tests")]          // CI runs `cargo test --features pcscd-tests`
//! mod common;
//! use common::{PrivatePcscd, start_vicc};
//!
//! #[test]
//! fn my_test() {
//!     let pcscd = PrivatePcscd::start();           // own pcscd, own /run/pcscd, own ports
//!     let _card = start_vicc(pcscd.port());        // or: pcscd.spawn_card(cmd) for our sim
//!     pcscd.wait_card();                           // card present in "Virtual PCD 00 00"
//!     let out = pcscd.sscard()                     // `sscard` talking to THIS pcscd only
//!         .args(["send", "00A4000C023F00"])
//!         .output()
//!         .unwrap();
//!     assert!(out.status.success(), "{}", common::describe(&out));
//! }                                                // Drop: card killed, pcscd stopped
//! ```
//! - Our own virtual card behind vpcd (`sscard sim --vpcd PORT --image FILE`):
//!   `let _card = pcscd.spawn_card(pcscd.sscard().args(["sim", "--vpcd", &pcscd.port().to_string(), "--image", path]));`
//!   then `pcscd.wait_card()`. `spawn_card` waits until the card has connected to vpcd.
//! - Any other PC/SC client: `pcscd.env()` gives the one variable (`PCSCLITE_CSOCK_NAME`) to
//!   set on that child. Never set it process-wide: tests run in parallel threads.
//! - The second slot (`Virtual PCD 00 01`) is on `pcscd.port() + 1`.
//!
//! Every test gets its own pcscd in its own mount namespace and its own port pair (locked
//! across threads and test binaries). A missing prerequisite (pcscd, the vpcd driver, vicc,
//! pycryptodome) makes the test FAIL with the name of the Debian package to install.
#![allow(dead_code)]

mod ports;
pub mod spy;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The reader name of the first vpcd slot.
pub const READER: &str = "Virtual PCD 00 00";

const PCSCD: &str = "/usr/sbin/pcscd";
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const VICC: &str = "/usr/bin/vicc";
const VICC_LIB: &str = "/usr/lib/python3/site-packages/virtualsmartcard";
const CRYPTODOME: &str = "/usr/lib/python3/dist-packages/Cryptodome";
const PYTHON: &str = "/usr/bin/python3";

fn require(path: &str, what: &str, package: &str) {
    if !Path::new(path).exists() {
        panic!(
            "prerequisite missing: {what} ({path} not found). Install it: apt-get install -y {package} \
             (or run scripts/test.sh as root, which installs everything)"
        );
    }
}

/// A private pcscd with one vpcd reader entry (two slots), stopped on drop.
pub struct PrivatePcscd {
    child: Child,
    lease: ports::PortLease,
    dir: tempfile::TempDir,
}

impl PrivatePcscd {
    /// Starts pcscd in its own mount namespace (own `/run/pcscd`) with a vpcd reader on a free
    /// port pair, and waits until it is ready (socket present and the vpcd port listening).
    pub fn start() -> PrivatePcscd {
        require(PCSCD, "the PC/SC daemon pcscd", "pcscd");
        require(VPCD_DRIVER, "the vpcd reader driver", "vsmartcard-vpcd");
        require("/usr/bin/unshare", "unshare", "util-linux");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let lease = ports::lease();
            match Self::try_start(lease) {
                Ok(p) => return p,
                Err(log) => last_log = log,
            }
        }
        panic!("the private pcscd did not become ready after 5 attempts; last log:\n{last_log}");
    }

    fn try_start(lease: ports::PortLease) -> Result<PrivatePcscd, String> {
        use std::os::unix::fs::PermissionsExt;
        let port = lease.port;
        let dir = tempfile::Builder::new()
            .prefix("sscard-pcscd-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp folder: {e}"))?;
        let w = dir.path();
        let run = w.join("run");
        let conf = w.join("conf");
        let io = |e: std::io::Error| format!("cannot prepare {}: {e}", w.display());
        std::fs::create_dir_all(&run).map_err(io)?;
        std::fs::create_dir_all(&conf).map_err(io)?;
        for (p, mode) in [(w, 0o755), (conf.as_path(), 0o755), (run.as_path(), 0o777)] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        }
        std::fs::write(
            conf.join("vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:{port}\nLIBPATH {VPCD_DRIVER}\nCHANNELID {port}\n"
            ),
        )
        .map_err(io)?;
        let log = std::fs::File::create(w.join("pcscd.log")).map_err(io)?;
        let log2 = log.try_clone().map_err(io)?;
        let mut cmd = Command::new("unshare");
        if !is_root() {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.arg("--mount")
            .arg("sh")
            .arg("-c")
            .arg(r#"mkdir -p /run/pcscd 2>/dev/null; mount --bind "$1" /run/pcscd && exec "$2" -f -c "$3""#)
            .arg("sh")
            .arg(&run)
            .arg(PCSCD)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run unshare/pcscd: {e}"))?;
        let mut p = PrivatePcscd { child, lease, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if p.socket().exists() && ports::listening(port) {
                return Ok(p);
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                return Err(format!("pcscd exited ({status}): {}", p.log()));
            }
            if Instant::now() > deadline {
                // Probably the port was taken after we checked it: try another pair.
                return Err(format!(
                    "pcscd not ready after 10 s (socket {} exists: {}, port {port} listening: {}): {}",
                    p.socket().display(),
                    p.socket().exists(),
                    ports::listening(port),
                    p.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The process id of pcscd (`sh` execs it inside the namespace, so it is this child's).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The vpcd port of slot 0 (`Virtual PCD 00 00`); slot 1 is `port() + 1`.
    pub fn port(&self) -> u16 {
        self.lease.port
    }

    /// The client socket of this pcscd (the value of `PCSCLITE_CSOCK_NAME`).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run").join("pcscd.comm")
    }

    /// The reader name of slot 0.
    pub fn reader_name(&self) -> &'static str {
        READER
    }

    /// The environment a PC/SC client child needs to talk to this pcscd.
    pub fn env(&self) -> (&'static str, PathBuf) {
        ("PCSCLITE_CSOCK_NAME", self.socket())
    }

    /// The built `sscard` binary, set up to talk to this pcscd only (`SSCARD_READER` cleared).
    pub fn sscard(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
        c.env("PCSCLITE_CSOCK_NAME", self.socket())
            .env_remove("SSCARD_READER")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        c
    }

    /// Runs `sscard ARGS` against this pcscd and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        match self.sscard().args(args).output() {
            Ok(o) => o,
            Err(e) => panic!("cannot run sscard {args:?}: {e}"),
        }
    }

    /// Waits (up to 15 s) until a card is present in slot 0; panics with pcscd's log if not.
    pub fn wait_card(&self) {
        self.wait_card_in(READER);
    }

    /// Waits (up to 15 s) until a card is present in the named reader.
    pub fn wait_card_in(&self, reader: &str) {
        let out = self.run(&["--reader", reader, "wait", "--timeout", "15"]);
        if !out.status.success() {
            panic!(
                "no card appeared in '{reader}' within 15 s: {}\npcscd log:\n{}",
                describe(&out),
                self.log()
            );
        }
    }

    /// Starts a card process (e.g. `sscard sim --vpcd PORT ...`) and waits until it has
    /// connected to slot 0's vpcd port. The card is killed when the guard drops.
    pub fn spawn_card(&self, cmd: &mut Command) -> ChildGuard {
        spawn_card_on(self.port(), cmd)
    }

    /// Serves the virtual card image `image` in slot 0 (`sscard sim --vpcd PORT --image
    /// IMAGE`) and waits until pcscd sees the card. The card is killed when the guard drops.
    pub fn serve_image(&self, image: &Path) -> ChildGuard {
        let port = self.port().to_string();
        let mut cmd = self.sscard();
        cmd.args(["sim", "--vpcd", &port, "--image"]).arg(image);
        let guard = self.spawn_card(&mut cmd);
        self.wait_card();
        guard
    }

    /// pcscd's output so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pcscd.log")).unwrap_or_default()
    }

    /// The private working folder (config, socket, log); removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivatePcscd {
    fn drop(&mut self) {
        stop(&mut self.child, Duration::from_secs(5));
    }
}

/// Sends TERM, waits up to `grace`, then KILLs; always reaps the child.
fn stop(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A card-side process (vicc, our sim) killed on drop.
pub struct ChildGuard {
    child: Child,
    log: PathBuf,
    /// Folders that must live as long as the process (its log, vicc's `Crypto` shim).
    dirs: Vec<tempfile::TempDir>,
}

impl ChildGuard {
    /// The process's combined output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the process as Ctrl-C would (SIGTERM: the sim saves its image) and waits for it;
    /// its log stays readable.
    pub fn terminate(&mut self) {
        stop(&mut self.child, Duration::from_secs(5));
    }

    /// Kills the process now (e.g. to pull the card) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        stop(&mut self.child, Duration::from_secs(2));
    }
}

/// Starts `cmd` as a card on vpcd port `port`, retrying (up to 5 times) if it exits before
/// connecting, and waits (up to 15 s) until its connection to vpcd is established.
pub fn spawn_card_on(port: u16, cmd: &mut Command) -> ChildGuard {
    spawn_card_keeping(port, cmd, Vec::new())
}

fn spawn_card_keeping(port: u16, cmd: &mut Command, keep: Vec<tempfile::TempDir>) -> ChildGuard {
    let mut keep = keep;
    let dir = match tempfile::Builder::new().prefix("sscard-card-").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temp folder: {e}"),
    };
    let log = dir.path().join("card.log");
    let mut last = String::new();
    for _attempt in 0..5 {
        let (out, err) = match std::fs::File::create(&log).and_then(|f| Ok((f.try_clone()?, f))) {
            Ok(p) => p,
            Err(e) => panic!("cannot create {}: {e}", log.display()),
        };
        let child = match cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn() {
            Ok(c) => c,
            Err(e) => panic!("cannot start the card process {cmd:?}: {e}"),
        };
        let mut g = ChildGuard {
            child,
            log: log.clone(),
            dirs: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if ports::connected(port) {
                g.dirs.push(dir);
                g.dirs.append(&mut keep);
                return g;
            }
            if !g.running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        last = g.log();
        if g.running() {
            panic!(
                "the card process {cmd:?} did not connect to vpcd port {port} within 15 s; its output:\n{last}"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "the card process {cmd:?} kept exiting before it connected to vpcd port {port}; its output:\n{last}"
    );
}

/// Starts Debian's vicc (`iso7816` card, PIN 1234) against vpcd port `port`.
pub fn start_vicc(port: u16) -> ChildGuard {
    require(VICC, "vicc, the vsmartcard virtual ICC", "vsmartcard-vpicc");
    require(VICC_LIB, "vicc's python library", "vsmartcard-vpicc");
    require(CRYPTODOME, "pycryptodome", "python3-pycryptodome");
    require(PYTHON, "python3", "python3");
    // vicc imports `Crypto`; Debian ships `Cryptodome`: a folder with a symlink bridges it.
    let shim = match tempfile::Builder::new().prefix("sscard-vicc-").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temp folder: {e}"),
    };
    if let Err(e) = std::os::unix::fs::symlink(CRYPTODOME, shim.path().join("Crypto")) {
        panic!("cannot create the Crypto symlink for vicc: {e}");
    }
    let mut cmd = Command::new(PYTHON);
    cmd.arg(VICC)
        .args(["-t", "iso7816", "-P", &port.to_string()])
        .env(
            "PYTHONPATH",
            format!("{VICC_LIB}:{}", shim.path().display()),
        );
    spawn_card_keeping(port, &mut cmd, vec![shim])
}

/// The synthetic test card's identification code (the demo card's, `sscard demo`).
pub const CARD_ID: &str = "440700D156000005008A3F21C4E5B607";

/// The repository's file `rel`, as an absolute path.
pub fn repo_file(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// An initialised, not yet personalized ssc-3.00 card image `dir/card.json` on the card
/// [`CARD_ID`] (built in-process with `sscard init`, the test keys).
pub fn initialised_card(dir: &Path) -> PathBuf {
    let image = dir.join("card.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .env_remove("SSCARD_READER")
        .args(["--reader", &format!("sim:{}", image.display())])
        .args([
            "init",
            "--profile",
            &repo_file("card-profiles/ssc-3.00.toml"),
        ])
        .args(["--card-id", CARD_ID])
        .output()
        .expect("run sscard init");
    assert!(out.status.success(), "init: {}", describe(&out));
    image
}

/// Writes the synthetic demo holder (on the card [`CARD_ID`]) as a CSV record to
/// `dir/holder.csv` and returns its path.
pub fn holder_csv(dir: &Path) -> PathBuf {
    let p = dir.join("holder.csv");
    let text = format!(
        "ssn,name,sex,ethnicity,birth_place,birth_date,card_id,init_org,card_number,issue_date\n\
         110101199012290016,测试一,1,01,440782,19901229,{CARD_ID},440700000000000000000001,A00000003,20250101\n"
    );
    if let Err(e) = std::fs::write(&p, text) {
        panic!("cannot write {}: {e}", p.display());
    }
    p
}

/// True when the card link on vpcd port `port` is established and idle: every byte sent either
/// way has been read (a request seen by the card has been answered and the answer taken).
pub fn link_idle(port: u16) -> bool {
    ports::idle(port)
}

/// A command's exit status, stdout and stderr, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Stdout of a command as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr of a command as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
