//! Free vpcd port pairs that no other test (thread or process) uses at the same time, and a
//! look at the kernel's TCP table (no connect: a connect to a vpcd port looks like a card).

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// Ports we hand out: below Linux's ephemeral range (32768-60999), so an outgoing connection
/// (vicc, our own sim) never takes one of them from under us.
const FIRST: u16 = 20000;
const LAST: u16 = 32000;

/// A port pair `port`, `port + 1` reserved for this process by a lock file.
///
/// The lock (`File::try_lock`) is held while this value lives and released by the kernel when
/// the process dies, so a crashed test run never leaks a reservation.
pub struct PortLease {
    /// The first port (reader `Virtual PCD 00 00`); `port + 1` is `Virtual PCD 00 01`.
    pub port: u16,
    _lock: File,
}

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("sscard-vpcd-ports")
}

/// Reserves a free even port pair; panics after trying the whole range.
pub fn lease() -> PortLease {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = lock_dir();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create the port lock folder {}: {e}", dir.display());
    }
    let pairs = u32::from((LAST - FIRST) / 2);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let start = std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(nanos)
        .wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(104729));
    for i in 0..pairs {
        let port = FIRST + 2 * ((start.wrapping_add(i) % pairs) as u16);
        let path = dir.join(format!("{port}.lock"));
        let Ok(file) = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        if bindable(port) && bindable(port + 1) && !in_tcp_table(port) && !in_tcp_table(port + 1) {
            return PortLease { port, _lock: file };
        }
    }
    panic!(
        "no free TCP port pair between {FIRST} and {LAST} for a private vpcd reader (lock files in {})",
        dir.display()
    );
}

fn bindable(port: u16) -> bool {
    TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// TCP states from `/proc/net/tcp*`: `0A` is LISTEN, `01` is ESTABLISHED.
const LISTEN: &str = "0A";
const ESTABLISHED: &str = "01";

/// Local ports and states of every TCP socket (IPv4 and IPv6) of this network namespace.
fn tcp_table() -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (cols.get(1), cols.get(3)) else {
                continue;
            };
            let Some(port_hex) = local.rsplit(':').next() else {
                continue;
            };
            if let Ok(p) = u16::from_str_radix(port_hex, 16) {
                out.push((p, (*state).to_string()));
            }
        }
    }
    out
}

fn in_tcp_table(port: u16) -> bool {
    tcp_table().iter().any(|(p, _)| *p == port)
}

/// True when something listens on `port` (pcscd's vpcd driver, once it is up).
pub fn listening(port: u16) -> bool {
    tcp_table().iter().any(|(p, s)| *p == port && s == LISTEN)
}

/// True when a connection to `port` is established (a virtual card is attached to vpcd).
pub fn connected(port: u16) -> bool {
    tcp_table()
        .iter()
        .any(|(p, s)| *p == port && s == ESTABLISHED)
}

/// True when a connection to or from `port` is established and no byte is queued on it in
/// either direction on either end (everything sent has been read: the exchange is done).
pub fn idle(port: u16) -> bool {
    let mut seen = false;
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(queues)) =
                (cols.get(1), cols.get(2), cols.get(3), cols.get(4))
            else {
                continue;
            };
            let port_of = |a: &str| {
                a.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if *state != ESTABLISHED
                || (port_of(local) != Some(port) && port_of(remote) != Some(port))
            {
                continue;
            }
            seen = true;
            if queues
                .split(':')
                .any(|q| !q.trim_start_matches('0').is_empty())
            {
                return false;
            }
        }
    }
    seen
}
