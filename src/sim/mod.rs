//! The virtual card: an ISO 7816 chip in software that enforces access conditions, PIN
//! counters and life-cycle states as a real chip does. A product feature: `sscard sim`,
//! `sscard demo` and the `sim:PATH` reader run on it.
//!
//! Owner: the virtual-card issue (this file holds the agreed API).

/// A virtual card: file system, keys, counters, life cycle, ATR, fault modes.
#[derive(Debug, Default)]
pub struct VirtualCard {}

impl VirtualCard {
    /// A blank card: an empty MF and the documented test keys.
    pub fn blank() -> Self {
        VirtualCard {}
    }

    /// Powers the card up; returns its ATR, or `None` for a dead chip.
    pub fn power_on(&mut self) -> Option<Vec<u8>> {
        None
    }

    /// Powers the card down (security state is lost).
    pub fn power_off(&mut self) {}

    /// Processes one command APDU; returns the response (data + SW), or `None` when the card
    /// gives no answer (power lost, dead chip).
    pub fn process(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        let _ = apdu;
        None
    }
}

pub mod transport;
pub mod vpcd;
