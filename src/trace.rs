//! The one choke point that shows APDUs: every command and response on the wire, with its
//! duration and status word meaning, secrets masked.
//!
//! [`trace()`] is an observer of the one [`Tap`](crate::transport::Tap); the CLI taps the link
//! with it when `--trace` is on, so every command and workflow (including the GET RESPONSE and
//! 6Cxx re-sends of `exchange`) is traced the same way. Lines go to `tracing` (target
//! `sscard::trace`, level INFO). [`evidence`] keeps the same masked lines (the conformance
//! suite's evidence). Nothing else in the library formats APDUs that may hold secrets.
//!
//! Masked (the data field only; header, Lc and Le stay visible):
//! - VERIFY `20`, CHANGE REFERENCE DATA `24`, RESET RETRY COUNTER `2C`: PINs;
//! - EXTERNAL/MUTUAL AUTHENTICATE `82`, INTERNAL AUTHENTICATE `88`: cryptograms, in the
//!   command and in the response (and in the GET RESPONSE that fetches it);
//! - WRITE KEY `80 D4` (docs/cos.md): the key or PIN value after usage, algorithm, max tries;
//! - the PBOC-family RELOAD PIN / CHANGE PIN `80 5E`: PINs;
//! - the 4-byte MAC at the end of a secure-messaging command (CLA `0C`/`04` bits of an ISO
//!   class, bit `04` of a proprietary `8x` class), e.g. `84 1E 00 00 04 ******`.
//!
//! Example: `> 00 20 00 00 04 ******`.

use crate::apdu::{Command, Sw, spaced};
use crate::error::ErrorChain;
use crate::transport::{Observer, Refusal, ResetKind, TransportError};
use std::time::Duration;

/// What replaces secret bytes.
pub const MASK: &str = "******";

/// Which part of a command's data is secret.
fn secret_from(cla: u8, ins: u8) -> Option<usize> {
    match ins {
        0x20 | 0x24 | 0x2C | 0x82 | 0x88 => Some(0),
        // WRITE KEY: usage, algorithm and max tries are not secret; the value is.
        0xD4 if cla & 0x80 != 0 => Some(3),
        // PBOC-family RELOAD PIN / CHANGE PIN (`80 5E`): PINs.
        0x5E if cla & 0x80 != 0 => Some(0),
        _ => None,
    }
}

/// True for a secure-messaging class byte: an ISO `0x` class with bits `0C`, or a
/// proprietary `8x` class with bit `04` (docs/crypto.md: the MAC'd command's CLA gets `04`).
fn is_secure_messaging(cla: u8) -> bool {
    match cla & 0xF0 {
        0x00 => cla & 0x0C != 0,
        0x80 => cla & 0x04 != 0,
        _ => false,
    }
}

/// True when the response data of this command is an authentication cryptogram: the card's
/// (`82`/`88`), or a PSAM's computation result (`80 FA`: a cryptogram or a MAC for a card).
fn secret_response(apdu: &[u8]) -> bool {
    match apdu {
        [_, 0x82 | 0x88, ..] => true,
        [cla, 0xFA, ..] => cla & 0x80 != 0,
        _ => false,
    }
}

/// Traces one exchange seen from the card's side (the vpcd bridge's trace hook): the command
/// masked as [`mask_command`] does, the response with cryptograms masked (`None`: the card
/// lost power and gave no answer). Same target as [`trace()`].
pub fn card_side(apdu: &[u8], response: Option<&[u8]>) {
    let secret = secret_response(apdu);
    tracing::info!(target: "sscard::trace", "> {}", mask_command(apdu));
    match response {
        Some(r) => tracing::info!(target: "sscard::trace", "< {}", format_response(r, secret)),
        None => tracing::info!(target: "sscard::trace", "< (power lost: no answer)"),
    }
}

/// The command as spaced hex, with secret data replaced by [`MASK`].
pub fn mask_command(apdu: &[u8]) -> String {
    let (cla, ins) = match apdu {
        [cla, ins, ..] => (*cla, *ins),
        _ => return spaced(apdu),
    };
    let secret = secret_from(cla, ins);
    if secret.is_none() && !is_secure_messaging(cla) {
        return spaced(apdu);
    }
    let Ok(cmd) = Command::parse(apdu) else {
        // Malformed: show the header only.
        let head = apdu.get(..4).unwrap_or(apdu);
        return format!("{} {MASK}", spaced(head));
    };
    // Secure messaging without secret data: only the MAC at the end is masked.
    let keep = match secret {
        Some(k) => k,
        None if cmd.data.len() >= crate::crypto::MAC_LEN => cmd.data.len() - crate::crypto::MAC_LEN,
        None => return spaced(apdu),
    };
    if cmd.data.is_empty() {
        return spaced(apdu);
    }
    let ext = cmd.is_extended();
    let lc_len = if ext { 3 } else { 1 };
    let prefix_len = 4 + lc_len + keep.min(cmd.data.len());
    let le_len = match cmd.le {
        None => 0,
        Some(_) if ext => 2,
        Some(_) => 1,
    };
    let prefix = apdu.get(..prefix_len).unwrap_or(apdu);
    let le = apdu.get(apdu.len().saturating_sub(le_len)..).unwrap_or(&[]);
    let mut s = format!("{} {MASK}", spaced(prefix));
    if !le.is_empty() {
        s.push(' ');
        s.push_str(&spaced(le));
    }
    s
}

/// The response as `data : SW (meaning)`, with the data masked when `secret`.
pub fn format_response(raw: &[u8], secret: bool) -> String {
    if raw.len() < 2 {
        return format!("{} (short response: {} byte(s))", spaced(raw), raw.len());
    }
    let (data, sw) = raw.split_at(raw.len() - 2);
    let sw = match sw {
        [a, b] => Sw::from_bytes(*a, *b),
        _ => return spaced(raw),
    };
    if data.is_empty() {
        sw.to_string()
    } else if secret {
        format!("{MASK} ({} bytes) : {sw}", data.len())
    } else {
        format!("{} : {sw}", spaced(data))
    }
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{} us", d.as_micros())
    } else {
        format!("{ms:.1} ms")
    }
}

/// Turns what passes a tap into masked lines: knows which answers are secret, including the
/// GET RESPONSE that fetches the rest of a cryptogram.
#[derive(Debug, Default)]
struct Masker {
    /// The last response was a secret one with more to fetch by GET RESPONSE.
    secret_pending: bool,
}

impl Masker {
    fn response(&mut self, apdu: &[u8], raw: &[u8]) -> String {
        let ins = apdu.get(1).copied().unwrap_or(0);
        let secret = secret_response(apdu) || (ins == 0xC0 && self.secret_pending);
        // More of a secret response may follow with GET RESPONSE.
        self.secret_pending = secret && raw.len() >= 2 && raw.iter().rev().nth(1) == Some(&0x61);
        format_response(raw, secret)
    }
}

/// An observer of a [`Tap`](crate::transport::Tap) that writes every command, answer, reset
/// and transaction as a masked line to a sink: [`trace`] (the `--trace` output, with
/// timings) or [`evidence`] (the lines kept as evidence, no timings).
pub struct Lines<F: FnMut(String)> {
    masker: Masker,
    sink: F,
    timed: bool,
}

fn emit(line: String) {
    tracing::info!(target: "sscard::trace", "{line}");
}

/// The `--trace` observer: lines to `tracing` (target `sscard::trace`, level INFO), with
/// timings.
pub fn trace() -> Lines<fn(String)> {
    Lines {
        masker: Masker::default(),
        sink: emit,
        timed: true,
    }
}

/// The evidence observer: the same masked lines, without timings, to `sink`.
pub fn evidence<F: FnMut(String)>(sink: F) -> Lines<F> {
    Lines {
        masker: Masker::default(),
        sink,
        timed: false,
    }
}

impl<F: FnMut(String)> Observer for Lines<F> {
    fn command(&mut self, apdu: &[u8]) -> Result<(), Refusal> {
        (self.sink)(format!("> {}", mask_command(apdu)));
        Ok(())
    }

    fn response(&mut self, apdu: &[u8], r: &Result<Vec<u8>, TransportError>, took: Duration) {
        let took = millis(took);
        let line = match (r, self.timed) {
            (Ok(raw), true) => format!("< {} [{took}]", self.masker.response(apdu, raw)),
            (Ok(raw), false) => format!("< {}", self.masker.response(apdu, raw)),
            (Err(e), true) => {
                self.masker.secret_pending = false;
                format!("< error after {took}: {e}", e = e.chain())
            }
            (Err(e), false) => {
                self.masker.secret_pending = false;
                format!("< no answer: {e}", e = e.chain())
            }
        };
        (self.sink)(line);
    }

    fn reset(&mut self, kind: ResetKind, r: &Result<Vec<u8>, TransportError>, took: Duration) {
        self.masker.secret_pending = false;
        let line = match (r, self.timed) {
            (_, false) => format!("= {kind:?} reset"),
            (Ok(atr), true) => format!("= {kind:?} reset, ATR {} [{}]", spaced(atr), millis(took)),
            (Err(e), true) => format!("= {kind:?} reset failed: {e}", e = e.chain()),
        };
        (self.sink)(line);
    }

    fn transaction(&mut self, begin: bool) {
        if self.timed {
            (self.sink)(if begin {
                "= begin transaction".into()
            } else {
                "= end transaction".into()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::parse_hex;
    use crate::transport::fake::Answering;
    use crate::transport::{Tap, Transport};

    fn m(hex: &str) -> String {
        mask_command(&parse_hex(hex).unwrap())
    }

    #[test]
    fn pins_are_masked() {
        assert_eq!(m("0020000003123456"), "00 20 00 00 03 ******");
        assert_eq!(m("0020000004 31323334"), "00 20 00 00 04 ******");
        assert_eq!(m("002400000612345665432100"), "00 24 00 00 06 ****** 00");
        assert_eq!(m("002C000006123456654321"), "00 2C 00 00 06 ******");
        // Secure-messaging CLA still masks.
        assert_eq!(m("0C20000003AABBCC"), "0C 20 00 00 03 ******");
        // PBOC RELOAD PIN (PIN + MAC) and CHANGE PIN (old FF new).
        assert_eq!(m("805E000007 123456 11223344"), "80 5E 00 00 07 ******");
        assert_eq!(m("805E010007 123456 FF 654321"), "80 5E 01 00 07 ******");
        // VERIFY without data (ask tries left) shows as is.
        assert_eq!(m("00200000"), "00 20 00 00");
    }

    #[test]
    fn secure_messaging_macs_are_masked_and_the_data_before_them_shown() {
        assert_eq!(m("841E000004 11223344"), "84 1E 00 00 04 ******");
        assert_eq!(
            m("04D6820009 0102030405 8757789D"),
            "04 D6 82 00 09 01 02 03 04 05 ******"
        );
        assert_eq!(m("842C000304 AABBCCDD"), "84 2C 00 03 04 ******");
        // Not secure messaging: shown as is.
        assert_eq!(m("00D6820005 0102030405"), "00 D6 82 00 05 01 02 03 04 05");
        assert_eq!(m("80CA9F0C00"), "80 CA 9F 0C 00");
    }

    #[test]
    fn cryptograms_are_masked() {
        assert_eq!(
            m("0082000010 00112233445566778899AABBCCDDEEFF"),
            "00 82 00 00 10 ******"
        );
        assert_eq!(
            m("0088000008 0102030405060708 00"),
            "00 88 00 00 08 ****** 00"
        );
        assert_eq!(
            format_response(&parse_hex("0102030405060708 9000").unwrap(), true),
            "****** (8 bytes) : 9000 (success)"
        );
    }

    #[test]
    fn write_key_value_is_masked() {
        // usage 10 (PIN), algorithm 00, max tries 05, PIN 123456.
        assert_eq!(
            m("80D4000106 100005 123456"),
            "80 D4 00 01 06 10 00 05 ******"
        );
        // A 16-byte key.
        let s = m("80D4000113 010003 000102030405060708090A0B0C0D0E0F");
        assert_eq!(s, "80 D4 00 01 13 01 00 03 ******");
        // Extended length keeps the 3-byte Lc.
        let mut big = "80D4000100010A010003".to_string();
        big.push_str(&"AB".repeat(263));
        let s = m(&big);
        assert_eq!(s, "80 D4 00 01 00 01 0A 01 00 03 ******");
        assert!(!s.contains("AB"));
    }

    #[test]
    fn malformed_secret_commands_show_header_only() {
        assert_eq!(m("0020000005 1234"), "00 20 00 00 ******");
    }

    #[test]
    fn other_commands_are_shown() {
        assert_eq!(m("00A4000C023F00"), "00 A4 00 0C 02 3F 00");
        assert_eq!(
            format_response(&parse_hex("6F00 9000").unwrap(), false),
            "6F 00 : 9000 (success)"
        );
        assert_eq!(
            format_response(&[0x6A, 0x82], false),
            "6A82 (file or application not found)"
        );
        assert!(format_response(&[], false).contains("short response"));
    }

    /// Answers a cryptogram (`88`) with 4 bytes and 6104, anything else with 4 bytes.
    fn echo(apdu: &[u8]) -> Vec<u8> {
        match apdu.get(1) {
            Some(0x88) => vec![1, 2, 3, 4, 0x61, 0x04],
            Some(0xFA) if apdu.first() == Some(&0x80) => vec![0x61, 0x08],
            _ => vec![9, 9, 9, 9, 0x90, 0x00],
        }
    }

    #[test]
    fn get_response_after_a_cryptogram_stays_secret() {
        let mut lines = Vec::new();
        let mut t = Tap::new(Answering(echo), evidence(|l| lines.push(l)));
        t.transmit(&parse_hex("0088000008 0102030405060708 00").unwrap())
            .unwrap();
        t.transmit(&parse_hex("00C0000004").unwrap()).unwrap();
        t.transmit(&parse_hex("00B0000004").unwrap()).unwrap();
        let _ = t.into_parts();
        assert_eq!(
            lines,
            [
                "> 00 88 00 00 08 ****** 00",
                "< ****** (4 bytes) : 6104 (4 more bytes available (GET RESPONSE))",
                "> 00 C0 00 00 04",
                "< ****** (4 bytes) : 9000 (success)",
                "> 00 B0 00 00 04",
                "< 09 09 09 09 : 9000 (success)",
            ]
        );
    }

    #[test]
    fn a_psam_computation_result_is_masked_also_after_get_response() {
        let mut lines = Vec::new();
        let mut t = Tap::new(Answering(echo), evidence(|l| lines.push(l)));
        // 80 1A: the factors are card data, shown; 80 FA: the challenge shown, the result not.
        t.transmit(&parse_hex("801A2601 08 1122334455667788").unwrap())
            .unwrap();
        t.transmit(&parse_hex("80FA000008 0102030405060708 00").unwrap())
            .unwrap();
        t.transmit(&parse_hex("00C0000008").unwrap()).unwrap();
        // An ISO-class FA is not a PSAM computation.
        t.transmit(&parse_hex("00FA000000").unwrap()).unwrap();
        let _ = t.into_parts();
        assert_eq!(
            lines,
            [
                "> 80 1A 26 01 08 11 22 33 44 55 66 77 88",
                "< 09 09 09 09 : 9000 (success)",
                "> 80 FA 00 00 08 01 02 03 04 05 06 07 08 00",
                "< 6108 (8 more bytes available (GET RESPONSE))",
                "> 00 C0 00 00 08",
                "< ****** (4 bytes) : 9000 (success)",
                "> 00 FA 00 00 00",
                "< 09 09 09 09 : 9000 (success)",
            ]
        );
    }
}
