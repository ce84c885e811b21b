//! A spy between vpcd and a card process: it relays every frame, records every APDU and its
//! answer, and can hold the Nth APDU (the card "hangs" there, deterministically) until told to
//! let it through or to cut the link.
//!
//! The card process connects to [`VpcdSpy::card_port`] (`sscard sim --vpcd 127.0.0.1:PORT`);
//! the spy then connects to pcscd's vpcd port, so `spawn_card_on(vpcd_port, ..)` works as usual.

use socket2::SockRef;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One APDU through the spy and the card's answer (empty when none came).
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The command APDU.
    pub command: Vec<u8>,
    /// The response APDU.
    pub response: Vec<u8>,
}

#[derive(Default)]
struct State {
    log: Vec<Exchange>,
    /// 1-based APDU number to hold, if any.
    hold_at: Option<usize>,
    /// Hold the APDU after the first one starting with these bytes.
    hold_after: Option<Vec<u8>>,
    /// True once the held APDU has arrived.
    held: bool,
    /// Let the held APDU through.
    release: bool,
    /// Close both connections.
    cut: bool,
    /// The relay ended (either side closed).
    ended: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// The spy; the relay thread ends when either side closes or on [`VpcdSpy::cut`].
pub struct VpcdSpy {
    port: u16,
    shared: Arc<Shared>,
}

impl VpcdSpy {
    /// A spy relaying to vpcd on `vpcd_port`, recording everything.
    pub fn start(vpcd_port: u16) -> VpcdSpy {
        Self::start_holding(vpcd_port, None)
    }

    /// A spy that holds the `n`th APDU (1-based, control frames not counted).
    pub fn holding(vpcd_port: u16, n: usize) -> VpcdSpy {
        Self::start_holding(vpcd_port, Some(n))
    }

    /// A spy that holds the APDU right after the first one that starts with `prefix` (e.g. the
    /// write of one element), whatever its number.
    pub fn holding_after(vpcd_port: u16, prefix: &[u8]) -> VpcdSpy {
        let spy = Self::start_holding(vpcd_port, None);
        spy.shared.state.lock().unwrap().hold_after = Some(prefix.to_vec());
        spy
    }

    fn start_holding(vpcd_port: u16, hold_at: Option<usize>) -> VpcdSpy {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("spy: cannot listen: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(a) => a.port(),
            Err(e) => panic!("spy: no local address: {e}"),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                hold_at,
                ..State::default()
            }),
            changed: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            relay(listener, vpcd_port, &s);
            s.state.lock().unwrap().ended = true;
            s.changed.notify_all();
        });
        VpcdSpy { port, shared }
    }

    /// The port the card process must connect to.
    pub fn card_port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT` for `sscard sim --vpcd`.
    pub fn card_addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every APDU relayed so far, with its answer.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.state.lock().unwrap().log.clone()
    }

    /// Waits (up to `secs`) until the held APDU has arrived; panics if it does not.
    pub fn wait_held(&self, secs: u64) {
        self.wait(secs, "the held APDU did not arrive", |s| s.held || s.ended);
        assert!(
            self.shared.state.lock().unwrap().held,
            "the link ended before the held APDU arrived: {} APDUs went through",
            self.exchanges().len()
        );
    }

    /// Lets the held APDU (and all later ones) through.
    pub fn release(&self) {
        self.shared.state.lock().unwrap().release = true;
        self.shared.changed.notify_all();
    }

    /// Closes both connections (the card is gone for pcscd) and waits for the relay to end.
    pub fn cut(&self) {
        self.shared.state.lock().unwrap().cut = true;
        self.shared.changed.notify_all();
        self.wait(10, "the relay did not end after the cut", |s| s.ended);
    }

    fn wait(&self, secs: u64, what: &str, done: impl Fn(&State) -> bool) {
        let until = Instant::now() + Duration::from_secs(secs);
        let mut st = self.shared.state.lock().unwrap();
        while !done(&st) {
            let left = until.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "spy: {what} within {secs} s");
            st = self.shared.changed.wait_timeout(st, left).unwrap().0;
        }
    }
}

impl Drop for VpcdSpy {
    fn drop(&mut self) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.cut = true;
        }
        self.shared.changed.notify_all();
    }
}

fn read_frame(s: &mut TcpStream, shared: &Shared) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    read_full(s, &mut len, shared)?;
    let mut p = vec![0u8; usize::from(u16::from_be_bytes(len))];
    read_full(s, &mut p, shared)?;
    Some(p)
}

/// Reads exactly `buf.len()` bytes; `None` when the peer closed or the spy was cut.
fn read_full(s: &mut TcpStream, buf: &mut [u8], shared: &Shared) -> Option<()> {
    let mut got = 0;
    while got < buf.len() {
        if shared.state.lock().ok()?.cut {
            return None;
        }
        // Not sticky: set before every read (vpcd sends the length and the payload apart).
        let _ = SockRef::from(&*s).set_tcp_quickack(true);
        match s.read(&mut buf[got..]) {
            Ok(0) => return None,
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    Some(())
}

fn write_frame(s: &mut TcpStream, payload: &[u8]) -> Option<()> {
    let len = u16::try_from(payload.len()).ok()?.to_be_bytes();
    let mut f = len.to_vec();
    f.extend_from_slice(payload);
    s.write_all(&f).ok()
}

fn relay(listener: TcpListener, vpcd_port: u16, shared: &Shared) {
    let Ok((mut card, _)) = listener.accept() else {
        return;
    };
    let Ok(mut vpcd) = TcpStream::connect(("127.0.0.1", vpcd_port)) else {
        return;
    };
    for s in [&card, &vpcd] {
        let _ = s.set_nodelay(true);
        let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
    }
    let mut apdus = 0usize;
    loop {
        let Some(frame) = read_frame(&mut vpcd, shared) else {
            return;
        };
        let answered = match frame.as_slice() {
            [0x04] => true,
            [_] | [] => false,
            _ => {
                apdus += 1;
                let mut st = shared.state.lock().unwrap();
                if let Some(p) = st.hold_after.clone()
                    && st.hold_at.is_none()
                    && st.log.iter().any(|e| e.command.starts_with(&p))
                {
                    st.hold_at = Some(apdus);
                }
                if st.hold_at == Some(apdus) {
                    st.held = true;
                    shared.changed.notify_all();
                    while !st.release && !st.cut {
                        st = shared.changed.wait(st).unwrap();
                    }
                    if st.cut {
                        return;
                    }
                }
                true
            }
        };
        write_frame(&mut card, &frame);
        if !answered {
            continue;
        }
        let Some(answer) = read_frame(&mut card, shared) else {
            return;
        };
        if frame.len() > 1 {
            shared.state.lock().unwrap().log.push(Exchange {
                command: frame.clone(),
                response: answer.clone(),
            });
        }
        if write_frame(&mut vpcd, &answer).is_none() {
            return;
        }
    }
}
