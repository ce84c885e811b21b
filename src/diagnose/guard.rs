//! The read-only guard: a policy on the link's tap that refuses, before it reaches the card,
//! every command that could write or move a counter. Diagnosis runs only through it, so being
//! read-only is a property of the structure, not of care taken in the checks.

use crate::transport::{Observer, Refusal};

/// Why a command is allowed through the guard, or `None` when it is refused.
///
/// Allowed, with CLA `00` (inter-industry, no secure messaging, channel 0): SELECT (`A4`),
/// READ BINARY (`B0`), READ RECORD (`B2`), GET RESPONSE (`C0`), GET DATA (`CA`), and VERIFY
/// (`20`) *without data* (4 or 5 bytes: asks for the tries left, spends none). Everything else
/// (UPDATE, APPEND, VERIFY with a PIN, authentication, life-cycle changes, proprietary CLA) is
/// refused.
pub fn allowed(apdu: &[u8]) -> Option<&'static str> {
    allowed_with(apdu, false)
}

/// Like [`allowed`], and when `auth` is set (the operator gave the read key with `--keys`) also
/// GET CHALLENGE (`84`) and EXTERNAL AUTHENTICATE (`82`): the only security commands diagnose
/// may send, to read data protected by the read key. Nothing else ever passes.
pub fn allowed_with(apdu: &[u8], auth: bool) -> Option<&'static str> {
    let (&cla, rest) = apdu.split_first()?;
    let &ins = rest.first()?;
    if apdu.len() < 4 || cla != 0x00 {
        return None;
    }
    match ins {
        0xA4 => Some("SELECT"),
        0xB0 => Some("READ BINARY"),
        0xB2 => Some("READ RECORD"),
        0xC0 => Some("GET RESPONSE"),
        0xCA => Some("GET DATA"),
        0x20 if apdu.len() <= 5 => Some("VERIFY without data"),
        0x84 if auth && apdu.len() == 5 => Some("GET CHALLENGE"),
        0x82 if auth => Some("EXTERNAL AUTHENTICATE"),
        _ => None,
    }
}

/// The read-only policy, an observer of the one [`Tap`](crate::transport::Tap): lets only
/// [`allowed`] commands through (a refusal is [`crate::transport::TransportError::Refused`]),
/// keeps the header of every command sent and counts what it refused.
#[derive(Debug, Clone, Default)]
pub struct ReadOnly {
    /// The header (CLA INS P1 P2) of every command sent to the card, in order.
    pub sent: Vec<[u8; 4]>,
    /// How many commands were refused (a bug in a check if ever above zero).
    pub refused: usize,
    /// Whether GET CHALLENGE and EXTERNAL AUTHENTICATE may pass (keys given).
    pub auth: bool,
}

impl ReadOnly {
    /// The policy; `auth` lets GET CHALLENGE and EXTERNAL AUTHENTICATE through.
    pub fn new(auth: bool) -> Self {
        ReadOnly {
            auth,
            ..ReadOnly::default()
        }
    }
}

impl Observer for ReadOnly {
    fn command(&mut self, apdu: &[u8]) -> Result<(), Refusal> {
        if allowed_with(apdu, self.auth).is_none() {
            self.refused += 1;
            return Err(Refusal {
                policy: "diagnose is read-only",
            });
        }
        let mut h = [0u8; 4];
        for (d, s) in h.iter_mut().zip(apdu) {
            *d = *s;
        }
        self.sent.push(h);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{allowed, allowed_with};

    #[test]
    fn authentication_passes_only_when_opted_in() {
        let gc = crate::apdu::parse_hex("0084000008").unwrap();
        let ea = crate::apdu::parse_hex("0082000A081122334455667788").unwrap();
        assert!(allowed(&gc).is_none() && allowed(&ea).is_none());
        assert_eq!(allowed_with(&gc, true), Some("GET CHALLENGE"));
        assert_eq!(allowed_with(&ea, true), Some("EXTERNAL AUTHENTICATE"));
        for still_refused in [
            "002000000312345F",
            "00DC0830140812",
            "80D4000006100100123456",
        ] {
            let b = crate::apdu::parse_hex(still_refused).unwrap();
            assert!(allowed_with(&b, true).is_none(), "{still_refused}");
        }
    }

    #[test]
    fn reads_pass_and_writes_do_not() {
        for ok in [
            "00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF",
            "00B2083014",
            "00B0000010",
            "00C0000010",
            "00200000",
            "0020000000",
        ] {
            let b = crate::apdu::parse_hex(ok).unwrap();
            assert!(allowed(&b).is_some(), "{ok} should pass");
        }
        for refused in [
            "002000000312345F",       // VERIFY with a PIN
            "00DC0830140812",         // UPDATE RECORD
            "00D6000001AA",           // UPDATE BINARY
            "00E2002C0101",           // APPEND RECORD
            "0044000000",             // ACTIVATE
            "0004000000",             // DEACTIVATE
            "0084000008",             // GET CHALLENGE
            "0082000D10AABB",         // EXTERNAL AUTHENTICATE
            "042C000104AABBCCDD",     // RESET RETRY COUNTER (SM)
            "80D4000006100100123456", // WRITE KEY
            "84A4000C023F00",         // SM CLA
            "00A4",                   // too short
            "",
        ] {
            let b = crate::apdu::parse_hex(refused).unwrap();
            assert!(allowed(&b).is_none(), "{refused} should be refused");
        }
    }
}
