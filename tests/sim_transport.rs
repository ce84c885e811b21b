//! The vpcd bridge against a fake vpcd (this test plays pcscd's driver on a local socket), with
//! a fake chip; and the in-process `sim:PATH` transport on the real virtual card.

use sscard::sim::transport::Chip;
use sscard::sim::vpcd::{self, BridgeError, BridgeEvent, BridgeOptions, BridgeStats};
use sscard::transport::TransportError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A chip for the bridge tests: answers `data = APDU header reversed, 9000`; INS `DE` loses
/// power (no answer); counts saves.
struct FakeChip {
    dead: bool,
    saves: Arc<AtomicU32>,
}

impl Chip for FakeChip {
    fn power_on(&mut self) -> Option<Vec<u8>> {
        (!self.dead).then(|| vec![0x3B, 0x02, 0x14, 0x50])
    }
    fn power_off(&mut self) {}
    fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        if apdu.get(1) == Some(&0xDE) {
            return None;
        }
        let mut r: Vec<u8> = apdu.iter().take(4).rev().copied().collect();
        r.extend_from_slice(&[0x90, 0x00]);
        Some(r)
    }
    fn save(&mut self) -> Result<(), TransportError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

type Events = Arc<Mutex<Vec<BridgeEvent>>>;

struct Running {
    opts: BridgeOptions,
    saves: Arc<AtomicU32>,
    events: Events,
    handle: JoinHandle<Result<BridgeStats, BridgeError>>,
}

impl Running {
    fn stop(self) -> (Result<BridgeStats, BridgeError>, Vec<BridgeEvent>) {
        self.opts.stop.store(true, Ordering::SeqCst);
        let r = self.handle.join().expect("bridge thread panicked");
        let ev = self.events.lock().expect("events lock").clone();
        (r, ev)
    }
}

fn start_bridge(addr: SocketAddr, dead: bool, tune: impl FnOnce(&mut BridgeOptions)) -> Running {
    let mut opts = BridgeOptions::new(addr);
    tune(&mut opts);
    let saves = Arc::new(AtomicU32::new(0));
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let (o, s, e) = (opts.clone(), Arc::clone(&saves), Arc::clone(&events));
    let handle = std::thread::spawn(move || {
        let mut chip = FakeChip { dead, saves: s };
        vpcd::run(&mut chip, &o, &mut |ev| {
            e.lock().expect("events lock").push(ev)
        })
    });
    Running {
        opts,
        saves,
        events,
        handle,
    }
}

fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let a = l.local_addr().expect("local addr");
    (l, a)
}

/// Accepts the bridge's connection within 5 s.
fn accept(l: &TcpListener) -> TcpStream {
    l.set_nonblocking(true).expect("nonblocking");
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).expect("blocking");
                s.set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                return s;
            }
            Err(_) if Instant::now() < until => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("the bridge did not connect within 5 s: {e}"),
        }
    }
}

/// Waits (up to 10 s) until an event matching `want` has been reported by the bridge.
fn wait_event(run: &Running, want: impl Fn(&BridgeEvent) -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let ev = run.events.lock().expect("events lock").clone();
        if ev.iter().any(&want) {
            return;
        }
        assert!(
            Instant::now() < until,
            "event not reported within 10 s: {ev:?}"
        );
        std::thread::sleep(Duration::from_millis(5)); // poll interval of a condition wait
    }
}

/// Waits (up to 10 s) until the peer of `s` has read everything sent on it: its socket's
/// receive queue (`/proc/net/tcp`, the peer's local port is our remote port) is empty.
fn wait_read_by_peer(s: &TcpStream) {
    let peer = s.peer_addr().expect("peer addr").port();
    let me = s.local_addr().expect("local addr").port();
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
        let queued = text.lines().skip(1).find_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let port = |c: &str| u16::from_str_radix(c.rsplit(':').next()?, 16).ok();
            (port(cols.get(1)?) == Some(peer) && port(cols.get(2)?) == Some(me))
                .then(|| cols.get(4)?.rsplit(':').next().map(str::to_string))
                .flatten()
        });
        match queued.as_deref() {
            Some(q) if q.trim_start_matches('0').is_empty() => return,
            Some(_) => {}
            None => panic!("the bridge's socket (port {peer}) is not in /proc/net/tcp"),
        }
        assert!(
            Instant::now() < until,
            "the bridge did not read within 10 s"
        );
        std::thread::sleep(Duration::from_millis(5)); // poll interval of a condition wait
    }
}

fn send(s: &mut TcpStream, payload: &[u8]) {
    s.write_all(&vpcd::frame(payload)).expect("write to bridge");
}

fn recv(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).expect("read length from bridge");
    let mut p = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut p).expect("read payload from bridge");
    p
}

const ATR: [u8; 4] = [0x3B, 0x02, 0x14, 0x50];

#[test]
fn control_frames_and_merged_or_split_apdus() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |_| {});
    let mut s = accept(&l);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    // Power on and reset are not answered: the next frame answered is the ATR request.
    send(&mut s, &[0x01]);
    send(&mut s, &[0x02]);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    // Two APDUs in one write, then one split in three writes.
    let mut both = vpcd::frame(&[0x00, 0xA4, 0x00, 0x0C]);
    both.extend(vpcd::frame(&[0x00, 0xB0, 0x01, 0x02, 0x00]));
    s.write_all(&both).expect("write");
    let third = vpcd::frame(&[0x80, 0xCA, 0x9F, 0x7F]);
    for part in [&third[..1], &third[1..3], &third[3..]] {
        s.write_all(part).expect("write");
        // The bridge reads each part before the next is sent: really split, not merged.
        wait_read_by_peer(&s);
    }
    assert_eq!(recv(&mut s), [0x0C, 0x00, 0xA4, 0x00, 0x90, 0x00]);
    assert_eq!(recv(&mut s), [0x02, 0x01, 0xB0, 0x00, 0x90, 0x00]);
    assert_eq!(recv(&mut s), [0x7F, 0x9F, 0xCA, 0x80, 0x90, 0x00]);
    send(&mut s, &[0x00]);
    let saves = Arc::clone(&run.saves);
    let (r, ev) = run.stop();
    let stats = r.expect("bridge ends cleanly");
    assert_eq!(stats.apdus, 3);
    assert_eq!(stats.connections, 1);
    assert!(saves.load(Ordering::SeqCst) >= 1, "saved on exit");
    assert_eq!(
        ev.first(),
        Some(&BridgeEvent::Inserted { atr: ATR.to_vec() })
    );
}

#[test]
fn reconnects_when_vpcd_closes_and_waits_for_it() {
    // Find a free port, then start the bridge before anything listens there.
    let (l, addr) = listener();
    drop(l);
    let run = start_bridge(addr, false, |_| {});
    // The bridge says it is waiting (its connect was refused) before anything listens.
    wait_event(&run, |e| matches!(e, BridgeEvent::Waiting { .. }));
    let l = TcpListener::bind(addr).expect("rebind the port");
    let mut s = accept(&l);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    drop(s); // pcscd restarts
    let mut s = accept(&l);
    send(&mut s, &[0x00, 0x84, 0x00, 0x00, 0x08]);
    assert_eq!(recv(&mut s), [0x00, 0x00, 0x84, 0x00, 0x90, 0x00]);
    let (r, ev) = run.stop();
    assert_eq!(r.expect("bridge ends cleanly").connections, 2);
    assert!(
        matches!(ev.first(), Some(BridgeEvent::Waiting { .. })),
        "{ev:?}"
    );
    assert!(ev.contains(&BridgeEvent::PeerClosed), "{ev:?}");
}

#[test]
fn power_lost_removes_the_card_until_reinserted() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |_| {});
    let mut s = accept(&l);
    send(&mut s, &[0x00, 0xDE, 0x00, 0x00]);
    let mut b = [0u8; 1];
    assert_eq!(
        s.read(&mut b).expect("read"),
        0,
        "socket closed: card removed"
    );
    // Not back by itself: once the bridge has reported the power loss it waits for the flag.
    wait_event(&run, |e| matches!(e, BridgeEvent::PowerLost { .. }));
    l.set_nonblocking(true).expect("nonblocking");
    assert!(l.accept().is_err(), "the card came back without being told");
    // Told: the bridge clears the flag when it starts waiting, so keep telling until it is back.
    let until = Instant::now() + Duration::from_secs(10);
    let mut s = loop {
        run.opts.reinsert.store(true, Ordering::SeqCst);
        if let Ok((s, _)) = l.accept() {
            break s;
        }
        assert!(
            Instant::now() < until,
            "not re-inserted within 10 s of being told"
        );
        std::thread::sleep(Duration::from_millis(5)); // poll interval of a condition wait
    };
    s.set_nonblocking(false).expect("blocking");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    let (r, ev) = run.stop();
    assert_eq!(r.expect("bridge ends cleanly").connections, 2);
    assert!(
        ev.contains(&BridgeEvent::PowerLost { after_apdus: 0 }),
        "{ev:?}"
    );
}

#[test]
fn power_lost_with_reinsert_after() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |o| {
        o.reinsert_after = Some(Duration::from_millis(100))
    });
    let mut s = accept(&l);
    send(&mut s, &[0x00, 0xDE, 0x00, 0x00]);
    let mut b = [0u8; 1];
    assert_eq!(s.read(&mut b).expect("read"), 0);
    let mut s = accept(&l);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    run.stop().0.expect("bridge ends cleanly");
}

#[test]
fn dead_chip_answers_an_empty_atr() {
    let (l, addr) = listener();
    let run = start_bridge(addr, true, |_| {});
    let mut s = accept(&l);
    send(&mut s, &[0x01]);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), Vec::<u8>::new());
    let (r, ev) = run.stop();
    r.expect("bridge ends cleanly");
    assert_eq!(ev.first(), Some(&BridgeEvent::Inserted { atr: vec![] }));
}

#[test]
fn saves_after_n_changes_not_after_reads() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |o| {
        o.save_every = 2;
        o.save_idle = Duration::from_secs(3600);
    });
    let mut s = accept(&l);
    for _ in 0..5 {
        send(&mut s, &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]);
        recv(&mut s);
    }
    assert_eq!(run.saves.load(Ordering::SeqCst), 0, "reads caused a save");
    for _ in 0..2 {
        send(&mut s, &[0x00, 0xD6, 0x00, 0x00, 0x01, 0x55]);
        recv(&mut s);
    }
    assert_eq!(run.saves.load(Ordering::SeqCst), 1, "two changes, one save");
    run.stop().0.expect("bridge ends cleanly");
}

#[test]
fn saves_when_idle() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |o| {
        o.save_every = 0;
        o.save_idle = Duration::from_millis(50);
    });
    let mut s = accept(&l);
    send(&mut s, &[0x00, 0xD6, 0x00, 0x00, 0x01, 0x55]);
    recv(&mut s);
    let until = Instant::now() + Duration::from_secs(5);
    while run.saves.load(Ordering::SeqCst) == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(run.saves.load(Ordering::SeqCst), 1, "no idle save");
    run.stop().0.expect("bridge ends cleanly");
}

#[test]
fn max_apdus_ends_the_run() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |o| o.max_apdus = Some(2));
    let mut s = accept(&l);
    for _ in 0..2 {
        send(&mut s, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        recv(&mut s);
    }
    let stats = run.handle.join().expect("no panic").expect("clean end");
    assert_eq!(stats.apdus, 2);
}

#[test]
fn unreachable_vpcd_is_a_clear_error() {
    let (l, addr) = listener();
    drop(l);
    let run = start_bridge(addr, false, |o| {
        o.connect_timeout = Some(Duration::from_millis(200))
    });
    let err = run.handle.join().expect("no panic").expect_err("must fail");
    assert!(matches!(err, BridgeError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("vpcd"), "{err}");
}

// ---- The in-process transport (`--reader sim:PATH`) on the real virtual card ----

use sscard::sim::VirtualCard;
use sscard::sim::fault::FaultConfig;
use sscard::transport::{ResetKind, Transport};
use std::process::{Command, Stdio};

const SELECT_MF: &str = "00A4000C023F00";
const CREATE_EF01: &str = "00E000001562138201018302EF01800200108606000000000000";
const SELECT_EF01: &str = "00A4020C02EF01";
const UPDATE_5: &str = "00D60000050102030405";
const READ_5: &str = "00B0000005";

fn tx(t: &mut dyn Transport, hex: &str) -> Vec<u8> {
    let apdu = sscard::apdu::parse_hex(hex).expect("test APDU hex");
    t.transmit(&apdu).expect("transmit")
}

#[test]
fn sim_link_creates_a_blank_card_and_keeps_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("card.json");
    let mut t = sscard::sim::transport::open(&path).expect("open a new image");
    assert_eq!(t.name(), format!("sim:{}", path.display()));
    assert!(!t.atr().is_empty());
    assert_eq!(tx(t.as_mut(), SELECT_MF), [0x90, 0x00]);
    assert_eq!(tx(t.as_mut(), CREATE_EF01), [0x90, 0x00]);
    assert_eq!(tx(t.as_mut(), UPDATE_5), [0x90, 0x00]);
    t.close().expect("close saves");
    drop(t);
    assert!(path.exists());

    let mut t = sscard::sim::transport::open(&path).expect("reopen");
    assert_eq!(tx(t.as_mut(), SELECT_EF01), [0x90, 0x00]);
    assert_eq!(tx(t.as_mut(), READ_5), [1, 2, 3, 4, 5, 0x90, 0x00]);
    // A reset clears the selection, not the files.
    let atr = t.reset(ResetKind::Cold).expect("reset");
    assert_eq!(atr, t.atr());
    assert_eq!(
        tx(t.as_mut(), READ_5),
        [0x69, 0x86],
        "no EF selected after reset"
    );
    t.close().expect("close");
}

#[test]
fn sim_link_saves_on_drop_without_close() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("card.json");
    {
        let mut t = sscard::sim::transport::open(&path).expect("open");
        assert_eq!(tx(t.as_mut(), CREATE_EF01), [0x90, 0x00]);
        assert_eq!(tx(t.as_mut(), UPDATE_5), [0x90, 0x00]);
    }
    let mut t = sscard::sim::transport::open(&path).expect("reopen");
    assert_eq!(tx(t.as_mut(), SELECT_EF01), [0x90, 0x00]);
    assert_eq!(tx(t.as_mut(), READ_5), [1, 2, 3, 4, 5, 0x90, 0x00]);
}

#[test]
fn corrupt_image_is_an_error_naming_the_file_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{ not json").expect("write");
    let err = match sscard::sim::transport::open(&path) {
        Ok(_) => panic!("a corrupt image must not open"),
        Err(e) => e,
    };
    assert!(
        matches!(&err, TransportError::Backend(b) if b.is::<sscard::sim::image::ImageError>()),
        "{err:?}"
    );
    assert!(err.to_string().contains("broken.json"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "{ not json");
}

fn card_with_faults(path: &std::path::Path, f: FaultConfig) {
    let mut card = VirtualCard::blank();
    card.set_faults(f);
    card.save(path).expect("save image");
}

#[test]
fn dead_chip_does_not_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dead.json");
    card_with_faults(
        &path,
        FaultConfig {
            dead: true,
            ..FaultConfig::default()
        },
    );
    match sscard::sim::transport::open(&path) {
        Ok(_) => panic!("a dead chip has no ATR"),
        Err(e) => assert!(matches!(e, TransportError::Unresponsive { .. }), "{e:?}"),
    }
}

#[test]
fn power_loss_is_card_removed_and_a_reset_brings_it_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flaky.json");
    card_with_faults(
        &path,
        FaultConfig {
            power_loss_at: Some(2),
            ..FaultConfig::default()
        },
    );
    let mut t = sscard::sim::transport::open(&path).expect("open");
    assert_eq!(tx(t.as_mut(), SELECT_MF), [0x90, 0x00]);
    let apdu = sscard::apdu::parse_hex(SELECT_MF).expect("hex");
    match t.transmit(&apdu) {
        Err(TransportError::CardRemoved { reader }) => assert!(reader.starts_with("sim:")),
        other => panic!("expected CardRemoved, got {other:?}"),
    }
    t.reset(ResetKind::Cold).expect("power comes back");
    assert_eq!(tx(t.as_mut(), SELECT_MF), [0x90, 0x00]);
}

// ---- `sscard sim` and `sscard bench` as commands, no pcscd ----

fn sscard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(args)
        .env_remove("SSCARD_READER")
        .stdin(Stdio::null())
        .output()
        .expect("run sscard")
}

fn text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sim_command_create_faults_show() {
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("c.json");
    let img_s = img.to_str().expect("utf-8 path");
    let o = sscard(&["sim", "--image", img_s, "--show"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--create"), "{}", text(&o));

    let o = sscard(&["sim", "--image", img_s, "--create"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sscard(&["sim", "--image", img_s, "--create"]);
    assert!(
        !o.status.success(),
        "must refuse to overwrite: {}",
        text(&o)
    );

    let o = sscard(&[
        "sim",
        "--image",
        img_s,
        "--fault-power-loss-at",
        "3",
        "--fault-memory",
        "ef05",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = sscard(&["sim", "--image", img_s, "--show"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("3F00 DF"), "{out}");
    assert!(
        out.contains("key 00: ExternalAuth"),
        "the blank card's test keys: {out}"
    );
    assert!(out.contains("power lost at APDU 3"), "{out}");
    assert!(out.contains("memory failure on 3F00/EF05"), "{out}");

    let o = sscard(&["sim", "--image", img_s, "--healthy", "--show"]);
    assert!(text(&o).contains("none (healthy card)"), "{}", text(&o));
}

#[test]
fn bench_on_the_in_process_card() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reader = format!("sim:{}", dir.path().join("b.json").display());
    let o = sscard(&["--reader", &reader, "bench", "--count", "200", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("bench --json output");
    assert_eq!(v["count"], 200);
    assert_eq!(v["status_words"][0][0], "9000");
    assert_eq!(v["status_words"][0][1], 200);
    assert!(v["apdu_per_s"].as_f64().is_some_and(|r| r > 0.0), "{v}");
    assert!(v["min_us"].as_f64() <= v["max_us"].as_f64(), "{v}");
}

#[test]
fn bridge_process_saves_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("t.json");
    let (l, addr) = listener();
    let child = Command::new(env!("CARGO_BIN_EXE_sscard"))
        .args(["sim", "--vpcd", &addr.to_string(), "--image"])
        .arg(&img)
        .args(["--save-every", "0", "--save-idle-ms", "600000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sscard sim");
    let mut s = accept(&l);
    send(&mut s, &[0x04]);
    assert!(!recv(&mut s).is_empty(), "ATR");
    for hex in [CREATE_EF01, UPDATE_5] {
        send(&mut s, &sscard::apdu::parse_hex(hex).expect("hex"));
        assert_eq!(recv(&mut s), [0x90, 0x00], "{hex}");
    }
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(st.success());
    let out = child.wait_with_output().expect("wait for sscard sim");
    assert!(out.status.success(), "{}", text(&out));
    let mut t = sscard::sim::transport::open(&img).expect("open the saved image");
    assert_eq!(tx(t.as_mut(), SELECT_EF01), [0x90, 0x00]);
    assert_eq!(tx(t.as_mut(), READ_5), [1, 2, 3, 4, 5, 0x90, 0x00]);
}

#[test]
fn one_process_at_a_time_on_an_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.json");
    let first = sscard::sim::transport::open(&path).expect("first open");
    let err = match sscard::sim::transport::open(&path) {
        Ok(_) => panic!("a second link to an image in use must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("in use") && err.contains("shared.json"),
        "{err}"
    );
    drop(first);
    sscard::sim::transport::open(&path).expect("free again once the first is closed");
}

#[test]
fn vpcd_resetting_the_connection_mid_apdu_is_a_reconnect_not_an_exit() {
    let (l, addr) = listener();
    let run = start_bridge(addr, false, |_| {});
    let s = accept(&l);
    {
        let mut s = s;
        send(&mut s, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        // Close with RST (linger 0) without reading the answer.
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .expect("linger");
    }
    let mut s = accept(&l);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    let (r, ev) = run.stop();
    assert_eq!(r.expect("bridge ends cleanly").connections, 2);
    assert!(ev.contains(&BridgeEvent::PeerClosed), "{ev:?}");
}
