//! The vpcd bridge: puts a card behind pcscd's `vpcd` driver (vsmartcard), so any PC/SC
//! program sees it in `Virtual PCD 00 00`.
//!
//! vpcd is the TCP *server*; the card side (this module) is the client. Every message, both
//! ways, is a 2-byte big-endian length followed by the payload. From vpcd a 1-byte payload is
//! control: `00` power off, `01` power on, `02` reset, `04` get ATR; only `04` is answered (with
//! the framed ATR). Any other payload is a command APDU, answered with one framed response.
//! Frames are parsed by their length prefix, never by read boundaries.
//!
//! Speed: Debian's vpcd writes the length and the payload in two `send()` calls. With Linux
//! delayed ACK every APDU would then wait ~40 ms, so `TCP_QUICKACK` is set again before every
//! read (it is not sticky) and `TCP_NODELAY` once; each response goes out in one write.
//!
//! Card life, as pcscd sees it (see `docs/vpcd.md`):
//! - connected = card inserted; the ATR is learnt by powering the chip up at insertion;
//! - a dead chip (no ATR) answers `04` with an empty ATR: pcscd shows the reader empty;
//! - the chip giving no answer to an APDU (power lost) closes the socket: card removed; the
//!   bridge re-inserts it only when told (`reinsert` flag, or `reinsert_after`);
//! - pcscd closing the socket (restart) or not listening yet: reconnect with backoff.

use super::transport::Chip;
use crate::error::ErrorChain;
use socket2::SockRef;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use thiserror::Error;

/// The port of the first reader of Debian's stock `/etc/reader.conf.d/vpcd`.
pub const DEFAULT_PORT: u16 = 0x8C7B;

/// How long one blocking read waits before the bridge checks its flags and idle save.
const POLL: Duration = Duration::from_millis(100);
/// First and last delay between connection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long a removed card stays out before it may come back. pcscd polls presence about every
/// 400 ms; a card back sooner is never seen as removed, and pcscd keeps the old card's state.
pub const MIN_OUT: Duration = Duration::from_secs(1);

/// A failure of the vpcd bridge.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The `[HOST:]PORT` text is not usable.
    #[error(
        "bad vpcd address '{text}': {why} (expected PORT or HOST:PORT, e.g. 35963 or 127.0.0.1:35963)"
    )]
    BadAddress {
        /// What the user gave.
        text: String,
        /// Why it failed.
        why: String,
    },
    /// A socket operation failed on an established connection.
    #[error("vpcd connection to {addr}: {doing} failed")]
    Socket {
        /// The vpcd address.
        addr: SocketAddr,
        /// What we were doing.
        doing: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Could not reach vpcd within the allowed time.
    #[error(
        "could not connect to pcscd's vpcd driver at {addr} within {secs:.1} s (is pcscd running with the vpcd driver on that port?)"
    )]
    Unreachable {
        /// The vpcd address.
        addr: SocketAddr,
        /// How long we tried.
        secs: f64,
        /// The last connection error.
        #[source]
        source: std::io::Error,
    },
    /// Saving the card image failed.
    #[error(transparent)]
    Save(#[from] crate::transport::TransportError),
}

/// Parses `[HOST:]PORT` (host defaults to 127.0.0.1) into a socket address.
pub fn parse_address(text: &str) -> Result<SocketAddr, BridgeError> {
    let bad = |why: String| BridgeError::BadAddress {
        text: text.to_string(),
        why,
    };
    let full = if text.parse::<u16>().is_ok() {
        format!("127.0.0.1:{text}")
    } else {
        text.to_string()
    };
    let mut addrs = full
        .to_socket_addrs()
        .map_err(|e| bad(format!("cannot resolve it: {e}", e = e.chain())))?;
    addrs
        .next()
        .ok_or_else(|| bad("it resolves to no address".into()))
}

/// What the bridge calls with every APDU and the card's answer (`None`: power lost).
pub type TraceHook = fn(&[u8], Option<&[u8]>);

/// How the bridge runs.
#[derive(Debug, Clone)]
pub struct BridgeOptions {
    /// vpcd's address (the reader's port).
    pub addr: SocketAddr,
    /// Save the image after this many state-changing APDUs (0 = only when idle and at exit).
    pub save_every: u32,
    /// Save the image when no APDU came for this long after a change.
    pub save_idle: Duration,
    /// Stop after this many APDUs (tests, benchmarks).
    pub max_apdus: Option<u64>,
    /// Stop when vpcd closes the connection instead of reconnecting.
    pub once: bool,
    /// Give up if vpcd cannot be reached for this long (None = keep trying).
    pub connect_timeout: Option<Duration>,
    /// After a power-lost fault, re-insert the card automatically after this delay.
    pub reinsert_after: Option<Duration>,
    /// Set to stop the bridge (SIGINT/SIGTERM handler); checked at least every 100 ms.
    pub stop: Arc<AtomicBool>,
    /// Set to re-insert a card removed by a power-lost fault; the bridge clears it.
    pub reinsert: Arc<AtomicBool>,
    /// Called with every APDU and the card's answer (`None`: power lost): the CLI passes
    /// `sscard::trace::card_side`, the one place that masks secrets.
    pub trace: Option<TraceHook>,
}

impl BridgeOptions {
    /// Options with the defaults: save after 100 changes or 0.5 s idle, reconnect forever.
    pub fn new(addr: SocketAddr) -> Self {
        BridgeOptions {
            addr,
            save_every: 100,
            save_idle: Duration::from_millis(500),
            max_apdus: None,
            once: false,
            connect_timeout: None,
            reinsert_after: None,
            stop: Arc::new(AtomicBool::new(false)),
            reinsert: Arc::new(AtomicBool::new(false)),
            trace: None,
        }
    }
}

/// Something the bridge reports while it runs (the CLI prints these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeEvent {
    /// First failed connection attempt of a series: waiting for pcscd.
    Waiting {
        /// The error text.
        error: String,
    },
    /// Connected: the card is inserted in the reader; `atr` empty for a dead chip.
    Inserted {
        /// The ATR given to vpcd.
        atr: Vec<u8>,
    },
    /// vpcd closed the connection (pcscd stopped or restarted).
    PeerClosed,
    /// The chip gave no answer (power lost): the card was removed from the reader.
    PowerLost {
        /// APDUs answered so far in this run.
        after_apdus: u64,
    },
    /// A card feeder's card was released by the host and taken out; the next one goes in.
    Ejected {
        /// APDUs the card answered in this insertion.
        apdus: u64,
        /// Whether another card follows.
        more: bool,
    },
    /// The card image was saved.
    Saved,
    /// Saving failed (the bridge goes on; it retries at the next save point).
    SaveFailed {
        /// The error text.
        error: String,
    },
}

/// What a finished bridge run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeStats {
    /// APDUs answered.
    pub apdus: u64,
    /// Connections made to vpcd.
    pub connections: u64,
    /// Image saves done.
    pub saves: u64,
}

/// Splits a byte stream into length-prefixed frames (2-byte big-endian length + payload).
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    /// An empty reader.
    pub fn new() -> Self {
        FrameReader::default()
    }

    /// Appends bytes received from the socket.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Takes the next complete frame's payload, if one has fully arrived.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        let (hi, lo) = (*self.buf.first()?, *self.buf.get(1)?);
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let payload = self.buf.get(2..2 + len)?.to_vec();
        self.buf.drain(..2 + len);
        Some(payload)
    }
}

/// Frames one payload: 2-byte big-endian length, then the bytes. Longer payloads are cut to
/// 65535 bytes (a response never gets near: short APDUs answer at most 258 bytes, extended ones
/// 65538, which vpcd cannot carry anyway).
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(2 + usize::from(len));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload.get(..usize::from(len)).unwrap_or(payload));
    out
}

/// True when the APDU may change what the image holds. Pure reads (SELECT, READ BINARY/RECORD,
/// GET CHALLENGE, GET RESPONSE, GET DATA) do not; everything else counts as a change.
pub fn may_change_state(apdu: &[u8]) -> bool {
    !matches!(
        apdu.get(1),
        Some(0xA4 | 0xB0 | 0xB1 | 0xB2 | 0xB3 | 0x84 | 0xC0 | 0xCA | 0xCB)
    )
}

/// True when the error means vpcd closed or reset the connection.
fn peer_gone(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
    )
}

/// Why one connection ended.
enum Ended {
    PeerClosed,
    PowerLost,
    Stop,
    /// A feeder's card was powered down or reset by the host after it was used.
    Released(u64),
}

/// Runs the bridge until stopped (flag, `max_apdus`, or `once` and vpcd closing). Saves the
/// image (through `Chip::save`) on the way out and at the save points.
pub fn run(
    chip: &mut dyn Chip,
    opts: &BridgeOptions,
    on_event: &mut dyn FnMut(BridgeEvent),
) -> Result<BridgeStats, BridgeError> {
    let mut b = Bridge {
        chip,
        opts,
        on_event,
        stats: BridgeStats::default(),
        unsaved: 0,
    };
    let result = b.run_loop();
    b.chip.power_off();
    let saved = b.save_now(true);
    let stats = b.stats.clone();
    result?;
    saved?;
    Ok(stats)
}

struct Bridge<'a> {
    chip: &'a mut dyn Chip,
    opts: &'a BridgeOptions,
    on_event: &'a mut dyn FnMut(BridgeEvent),
    stats: BridgeStats,
    /// State-changing APDUs since the last save.
    unsaved: u32,
}

impl Bridge<'_> {
    fn stopping(&self) -> bool {
        self.opts.stop.load(Ordering::SeqCst)
            || self.opts.max_apdus.is_some_and(|m| self.stats.apdus >= m)
    }

    fn run_loop(&mut self) -> Result<(), BridgeError> {
        loop {
            let Some(stream) = self.connect()? else {
                return Ok(());
            };
            self.stats.connections += 1;
            let ended = self.serve(stream);
            self.chip.power_off();
            self.save_now(false)?;
            match ended? {
                Ended::Stop => return Ok(()),
                Ended::PeerClosed => {
                    (self.on_event)(BridgeEvent::PeerClosed);
                    if self.opts.once || !self.pause(MIN_OUT) {
                        return Ok(());
                    }
                }
                Ended::Released(apdus) => {
                    let more = self.chip.next_card()?;
                    (self.on_event)(BridgeEvent::Ejected { apdus, more });
                    if !more || !self.pause(MIN_OUT) {
                        return Ok(());
                    }
                }
                Ended::PowerLost => {
                    (self.on_event)(BridgeEvent::PowerLost {
                        after_apdus: self.stats.apdus,
                    });
                    if self.opts.once || !self.wait_reinsert() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Waits until the card is to be re-inserted (and has been out for at least `MIN_OUT`);
    /// false if the bridge is stopping.
    fn wait_reinsert(&mut self) -> bool {
        let since = Instant::now();
        // An Enter pressed before the card was out does not count.
        self.opts.reinsert.store(false, Ordering::SeqCst);
        let mut asked = false;
        loop {
            if self.stopping() {
                return false;
            }
            asked |= self.opts.reinsert.swap(false, Ordering::SeqCst)
                || self
                    .opts
                    .reinsert_after
                    .is_some_and(|d| since.elapsed() >= d);
            if asked && since.elapsed() >= MIN_OUT {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sleeps `d` in small steps; false if the bridge is stopping.
    fn pause(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.stopping() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        !self.stopping()
    }

    /// Connects with backoff; `None` when stopping.
    fn connect(&mut self) -> Result<Option<TcpStream>, BridgeError> {
        let start = Instant::now();
        let mut delay = BACKOFF_MIN;
        let mut reported = false;
        loop {
            if self.stopping() {
                return Ok(None);
            }
            match TcpStream::connect_timeout(&self.opts.addr, Duration::from_secs(2)) {
                Ok(s) => return Ok(Some(s)),
                Err(e) => {
                    if self
                        .opts
                        .connect_timeout
                        .is_some_and(|t| start.elapsed() >= t)
                    {
                        return Err(BridgeError::Unreachable {
                            addr: self.opts.addr,
                            secs: start.elapsed().as_secs_f64(),
                            source: e,
                        });
                    }
                    if !reported {
                        (self.on_event)(BridgeEvent::Waiting {
                            error: e.chain().to_string(),
                        });
                        reported = true;
                    }
                }
            }
            // Sleep in small steps so a stop request is seen quickly.
            let until = Instant::now() + delay;
            while Instant::now() < until && !self.stopping() {
                std::thread::sleep(Duration::from_millis(10).min(delay));
            }
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    fn sock_err(&self, doing: &'static str) -> impl FnOnce(std::io::Error) -> BridgeError {
        let addr = self.opts.addr;
        move |source| BridgeError::Socket {
            addr,
            doing,
            source,
        }
    }

    /// Serves one connection (one insertion of the card).
    fn serve(&mut self, mut stream: TcpStream) -> Result<Ended, BridgeError> {
        stream
            .set_nodelay(true)
            .map_err(self.sock_err("setting TCP_NODELAY"))?;
        stream
            .set_read_timeout(Some(POLL))
            .map_err(self.sock_err("setting the read timeout"))?;
        // Insertion: power the chip up to learn its ATR (empty = dead chip, reader shows empty).
        let mut atr = self.chip.power_on().unwrap_or_default();
        (self.on_event)(BridgeEvent::Inserted { atr: atr.clone() });
        let mut frames = FrameReader::new();
        let mut buf = [0u8; 4096];
        let mut last_change = Instant::now();
        let mut used = 0u64;
        loop {
            while let Some(payload) = frames.next_frame() {
                tracing::trace!(len = payload.len(), first = ?payload.first(), "vpcd frame");
                let reply = match payload.as_slice() {
                    [0x00] | [0x02] if used > 0 && self.chip.is_feeder() => {
                        // The host is done with this card (disconnected with power-down or
                        // reset): a feeder ejects it.
                        self.chip.power_off();
                        return Ok(Ended::Released(used));
                    }
                    [0x00] => {
                        self.chip.power_off();
                        None
                    }
                    [0x01] | [0x02] => {
                        // Power on, or reset: either way the chip starts again from its ATR.
                        self.chip.power_off();
                        atr = self.chip.power_on().unwrap_or_default();
                        None
                    }
                    [0x04] => Some(atr.clone()),
                    [_] | [] => None, // unknown control byte: vpcd expects no answer
                    apdu => {
                        let resp = self.chip.process(apdu);
                        if let Some(trace) = self.opts.trace {
                            trace(apdu, resp.as_deref());
                        }
                        let Some(resp) = resp else {
                            return Ok(Ended::PowerLost);
                        };
                        self.stats.apdus += 1;
                        used += 1;
                        if may_change_state(apdu) {
                            self.unsaved = self.unsaved.saturating_add(1);
                            last_change = Instant::now();
                        }
                        Some(resp)
                    }
                };
                // Persist before answering, as a chip commits its memory before its SW.
                if self.opts.save_every > 0 && self.unsaved >= self.opts.save_every {
                    self.save_now(false)?;
                }
                if let Some(r) = reply {
                    match stream.write_all(&frame(&r)) {
                        Ok(()) => {}
                        // pcscd went away mid-answer: reconnect as when it closes the socket.
                        Err(e) if peer_gone(&e) => return Ok(Ended::PeerClosed),
                        Err(e) => return Err(self.sock_err("sending a response")(e)),
                    }
                }
                if self.stopping() {
                    return Ok(Ended::Stop);
                }
            }
            // TCP_QUICKACK is not sticky: set it before every read (see the module doc).
            let _ = SockRef::from(&stream).set_tcp_quickack(true);
            match stream.read(&mut buf) {
                Ok(0) => return Ok(Ended::PeerClosed),
                Ok(n) => frames.push(buf.get(..n).unwrap_or_default()),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if self.unsaved > 0 && last_change.elapsed() >= self.opts.save_idle {
                        self.save_now(false)?;
                    }
                    if self.stopping() {
                        return Ok(Ended::Stop);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if peer_gone(&e) => return Ok(Ended::PeerClosed),
                Err(e) => return Err(self.sock_err("reading")(e)),
            }
        }
    }

    /// Saves if anything changed (or always when `force`). A failed save in the middle of a
    /// run is reported and retried later; at the end it is an error.
    fn save_now(&mut self, force: bool) -> Result<(), BridgeError> {
        if self.unsaved == 0 && !force {
            return Ok(());
        }
        match self.chip.save() {
            Ok(()) => {
                self.unsaved = 0;
                self.stats.saves += 1;
                (self.on_event)(BridgeEvent::Saved);
                Ok(())
            }
            Err(e) if force => Err(e.into()),
            Err(e) => {
                (self.on_event)(BridgeEvent::SaveFailed {
                    error: e.chain().to_string(),
                });
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_and_merged() {
        let mut r = FrameReader::new();
        r.push(&[0x00]);
        assert_eq!(r.next_frame(), None);
        r.push(&[0x01, 0x04, 0x00, 0x05, 0x00, 0xA4]);
        assert_eq!(r.next_frame(), Some(vec![0x04]));
        assert_eq!(r.next_frame(), None);
        r.push(&[0x00, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(r.next_frame(), Some(vec![0x00, 0xA4, 0x00, 0x00, 0x00]));
        assert_eq!(r.next_frame(), None);
        r.push(&[0x01]);
        assert_eq!(r.next_frame(), Some(vec![0x01]));
    }

    #[test]
    fn empty_frame_and_framing() {
        let mut r = FrameReader::new();
        r.push(&frame(&[]));
        assert_eq!(r.next_frame(), Some(vec![]));
        assert_eq!(frame(&[0x90, 0x00]), vec![0x00, 0x02, 0x90, 0x00]);
        assert_eq!(frame(&vec![7u8; 300]).get(..2), Some(&[0x01, 0x2C][..]));
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("35963").map(|a| a.to_string()).ok(),
            Some("127.0.0.1:35963".to_string())
        );
        assert_eq!(
            parse_address("127.0.0.2:40000").map(|a| a.port()).ok(),
            Some(40000)
        );
        assert!(matches!(
            parse_address("nohost:port"),
            Err(BridgeError::BadAddress { .. })
        ));
        assert!(matches!(
            parse_address("70000"),
            Err(BridgeError::BadAddress { .. })
        ));
    }

    #[test]
    fn state_changing_commands() {
        assert!(!may_change_state(&[0x00, 0xA4, 0x00, 0x0C]));
        assert!(!may_change_state(&[0x00, 0xB2, 0x01, 0x04]));
        assert!(may_change_state(&[0x00, 0xD6, 0x00, 0x00, 0x01, 0x00]));
        assert!(may_change_state(&[0x00, 0x20, 0x00, 0x00]));
        assert!(may_change_state(&[0x00]));
    }
}
