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
        std::thread::sleep(Duration::from_millis(20));
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
    std::thread::sleep(Duration::from_millis(300));
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
    // Not back by itself.
    l.set_nonblocking(true).expect("nonblocking");
    std::thread::sleep(Duration::from_millis(400));
    assert!(l.accept().is_err(), "the card came back without being told");
    run.opts.reinsert.store(true, Ordering::SeqCst);
    let mut s = accept(&l);
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
