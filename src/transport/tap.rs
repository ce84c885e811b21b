//! One tap on a link, with observers: it forwards every [`Transport`] method once, and tells
//! its observer what passed (commands, answers, resets, transactions). Counting (the session's
//! traffic), a policy that refuses commands (diagnose is read-only), the evidence log of the
//! conformance suite and the `--trace` output are observers; none of them forwards by hand.

use super::{ResetKind, Transport, TransportError};
use std::time::{Duration, Instant};

/// A policy's refusal of a command (the tap turns it into [`TransportError::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The policy, for the message (`diagnose is read-only`).
    pub policy: &'static str,
}

/// What watches a [`Tap`]. Every method has a do-nothing default.
pub trait Observer {
    /// A command is about to go to the card; a refusal stops it there.
    fn command(&mut self, _apdu: &[u8]) -> Result<(), Refusal> {
        Ok(())
    }
    /// The card's answer to `apdu` (or the link's error), and how long it took.
    fn response(
        &mut self,
        _apdu: &[u8],
        _result: &Result<Vec<u8>, TransportError>,
        _took: Duration,
    ) {
    }
    /// A reset and the new ATR (or the error), and how long it took.
    fn reset(
        &mut self,
        _kind: ResetKind,
        _result: &Result<Vec<u8>, TransportError>,
        _took: Duration,
    ) {
    }
    /// A transaction begins (`true`) or ends (`false`).
    fn transaction(&mut self, _begin: bool) {}
}

/// Two observers, the first asked first (and able to refuse before the second sees anything).
impl<A: Observer, B: Observer> Observer for (A, B) {
    fn command(&mut self, apdu: &[u8]) -> Result<(), Refusal> {
        self.0.command(apdu)?;
        self.1.command(apdu)
    }
    fn response(&mut self, apdu: &[u8], r: &Result<Vec<u8>, TransportError>, took: Duration) {
        self.0.response(apdu, r, took);
        self.1.response(apdu, r, took);
    }
    fn reset(&mut self, kind: ResetKind, r: &Result<Vec<u8>, TransportError>, took: Duration) {
        self.0.reset(kind, r, took);
        self.1.reset(kind, r, took);
    }
    fn transaction(&mut self, begin: bool) {
        self.0.transaction(begin);
        self.1.transaction(begin);
    }
}

/// A link with an observer. `T` is the link (owned, or `&mut dyn Transport`).
pub struct Tap<T: Transport, O: Observer> {
    inner: T,
    observer: O,
}

impl<T: Transport, O: Observer> Tap<T, O> {
    /// Taps `inner`.
    pub fn new(inner: T, observer: O) -> Self {
        Tap { inner, observer }
    }
    /// The observer.
    pub fn observer(&self) -> &O {
        &self.observer
    }
    /// The observer, to change it.
    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }
    /// The link and the observer.
    pub fn into_parts(self) -> (T, O) {
        (self.inner, self.observer)
    }
}

impl<T: Transport, O: Observer> Transport for Tap<T, O> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Err(r) = self.observer.command(apdu) {
            let mut header = [0u8; 4];
            header.iter_mut().zip(apdu).for_each(|(h, b)| *h = *b);
            return Err(TransportError::Refused {
                policy: r.policy,
                header,
                reader: self.inner.name(),
            });
        }
        let start = Instant::now();
        let result = self.inner.transmit(apdu);
        self.observer.response(apdu, &result, start.elapsed());
        result
    }
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
    fn name(&self) -> String {
        self.inner.name()
    }
    fn reset(&mut self, kind: ResetKind) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        let result = self.inner.reset(kind);
        self.observer.reset(kind, &result, start.elapsed());
        result
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.observer.transaction(true);
        self.inner.begin_transaction()
    }
    fn end_transaction(&mut self) -> Result<(), TransportError> {
        self.observer.transaction(false);
        self.inner.end_transaction()
    }
    fn close(&mut self) -> Result<(), TransportError> {
        self.inner.close()
    }
}

/// Traffic counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Command APDUs sent (GET RESPONSE included).
    pub apdus: usize,
    /// Bytes sent (command APDUs).
    pub bytes_out: usize,
    /// Bytes received (responses, status words included).
    pub bytes_in: usize,
}

/// Counts APDUs and bytes, and keeps the header (CLA INS P1 P2) of every command sent.
#[derive(Debug, Clone, Default)]
pub struct Count {
    /// The counters.
    pub stats: Stats,
    /// CLA INS P1 P2 of every command that reached the link, in order.
    pub headers: Vec<[u8; 4]>,
}

impl Observer for Count {
    fn command(&mut self, apdu: &[u8]) -> Result<(), Refusal> {
        self.stats.apdus += 1;
        self.stats.bytes_out += apdu.len();
        let mut header = [0u8; 4];
        header.iter_mut().zip(apdu).for_each(|(h, b)| *h = *b);
        self.headers.push(header);
        Ok(())
    }
    fn response(&mut self, _: &[u8], r: &Result<Vec<u8>, TransportError>, _: Duration) {
        if let Ok(raw) = r {
            self.stats.bytes_in += raw.len();
        }
    }
}
