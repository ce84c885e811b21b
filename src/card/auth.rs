//! Security commands: GET CHALLENGE, EXTERNAL/INTERNAL AUTHENTICATE, VERIFY, CHANGE REFERENCE
//! DATA, RESET RETRY COUNTER, and WRITE KEY (docs/cos.md).
//!
//! PINs and keys come in as [`Secret`]: they are never formatted into errors, and the trace
//! choke point masks them on the wire.

use super::{Card, CardError, build};
use crate::apdu::Sw;
use crate::cos::KeyUsage;
use crate::crypto::Secret;

/// What VERIFY without data says about a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// `9000`: already verified in this session (or no PIN needed).
    Verified,
    /// `63Cx`: not verified, x tries left.
    TriesLeft(u8),
    /// `6983`: blocked.
    Blocked,
}

impl Card<'_> {
    /// GET CHALLENGE (ISO/IEC 7816-4 §7.5.3): `len` random bytes (8 for the SSC card).
    pub fn get_challenge(&mut self, len: usize) -> Result<Vec<u8>, CardError> {
        let cmd = self.with_cla(build::get_challenge(len));
        let r = self.transmit_checked(&cmd, "GET CHALLENGE", "")?;
        if r.data.len() != len {
            return Err(CardError::BadResponse {
                command: "GET CHALLENGE",
                target: String::new(),
                problem: format!("asked for {len} bytes, the card gave {}", r.data.len()),
            });
        }
        Ok(r.data)
    }

    /// EXTERNAL AUTHENTICATE (ISO/IEC 7816-4 §7.5.4): proves knowledge of key `key_id` of the
    /// current DF with `cryptogram` (the challenge encrypted with the key).
    pub fn external_authenticate(
        &mut self,
        key_id: u8,
        cryptogram: &[u8],
    ) -> Result<(), CardError> {
        if cryptogram.is_empty() || cryptogram.len() > 255 {
            return Err(CardError::BadArgument {
                command: "EXTERNAL AUTHENTICATE",
                problem: format!("a cryptogram of {} bytes", cryptogram.len()),
            });
        }
        let cmd = self.with_cla(build::external_authenticate(key_id, cryptogram));
        self.transmit_checked(&cmd, "EXTERNAL AUTHENTICATE", format!("key {key_id:02X}"))?;
        Ok(())
    }

    /// INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §7.5.2): the card encrypts `challenge` with key
    /// `key_id`; returns its answer (to compare with the expected cryptogram).
    pub fn internal_authenticate(
        &mut self,
        key_id: u8,
        challenge: &[u8],
    ) -> Result<Vec<u8>, CardError> {
        if challenge.is_empty() || challenge.len() > 255 {
            return Err(CardError::BadArgument {
                command: "INTERNAL AUTHENTICATE",
                problem: format!("a challenge of {} bytes", challenge.len()),
            });
        }
        let cmd = self.with_cla(build::internal_authenticate(key_id, challenge));
        Ok(self
            .transmit_checked(&cmd, "INTERNAL AUTHENTICATE", format!("key {key_id:02X}"))?
            .data)
    }

    /// VERIFY (ISO/IEC 7816-4 §7.5.6) of PIN reference `pin_ref` (`00` for the SSC PIN) with
    /// `pin` as the card stores it (BCD, see `crypto::encode_pin`). A wrong PIN is a
    /// [`CardError::Status`] with `63Cx` (x tries left), a blocked one `6983`.
    pub fn verify(&mut self, pin_ref: u8, pin: &Secret) -> Result<(), CardError> {
        pin_len("VERIFY", pin)?;
        let cmd = self.with_cla(build::verify(pin_ref, Some(pin.expose())));
        self.transmit_checked(&cmd, "VERIFY", format!("PIN {pin_ref:02X}"))?;
        Ok(())
    }

    /// VERIFY without data (ISO/IEC 7816-4 §7.5.6): the PIN's state, tries left, without
    /// spending a try.
    pub fn pin_state(&mut self, pin_ref: u8) -> Result<PinState, CardError> {
        let cmd = self.with_cla(build::verify(pin_ref, None));
        let r = self.transmit(&cmd)?;
        match r.sw {
            Sw::OK => Ok(PinState::Verified),
            Sw::AUTH_BLOCKED => Ok(PinState::Blocked),
            sw => match sw.tries_left() {
                Some(0) => Ok(PinState::Blocked),
                Some(n) => Ok(PinState::TriesLeft(n)),
                None => Err(CardError::Status {
                    command: "VERIFY",
                    ins: cmd.ins,
                    target: format!("PIN {pin_ref:02X} (asking for tries left)"),
                    sw,
                }),
            },
        }
    }

    /// CHANGE REFERENCE DATA (ISO/IEC 7816-4 §7.5.7, `P1 00`): replaces PIN `pin_ref`, data
    /// old PIN then new PIN.
    pub fn change_reference_data(
        &mut self,
        pin_ref: u8,
        old: &Secret,
        new: &Secret,
    ) -> Result<(), CardError> {
        pin_len("CHANGE REFERENCE DATA", old)?;
        pin_len("CHANGE REFERENCE DATA", new)?;
        let data = Secret::new([old.expose(), new.expose()].concat());
        let cmd = self.with_cla(build::change_reference_data(pin_ref, data.expose()));
        self.transmit_checked(&cmd, "CHANGE REFERENCE DATA", format!("PIN {pin_ref:02X}"))?;
        Ok(())
    }

    /// RESET RETRY COUNTER (ISO/IEC 7816-4 §7.5.10) of PIN `pin_ref`: with an unblocking code
    /// and/or a new PIN (`P1` 00 both, 01 code only, 02 new PIN only, 03 neither).
    pub fn reset_retry_counter(
        &mut self,
        pin_ref: u8,
        unblock_code: Option<&Secret>,
        new_pin: Option<&Secret>,
    ) -> Result<(), CardError> {
        let p1 = match (unblock_code, new_pin) {
            (Some(_), Some(_)) => 0x00,
            (Some(_), None) => 0x01,
            (None, Some(_)) => 0x02,
            (None, None) => 0x03,
        };
        let mut data = Vec::new();
        for s in [unblock_code, new_pin].into_iter().flatten() {
            data.extend_from_slice(s.expose());
        }
        let data = Secret::new(data);
        if data.len() > 255 {
            return Err(CardError::BadArgument {
                command: "RESET RETRY COUNTER",
                problem: format!("{} data bytes (at most 255)", data.len()),
            });
        }
        let cmd = self.with_cla(build::reset_retry_counter(p1, pin_ref, data.expose()));
        self.transmit_checked(&cmd, "RESET RETRY COUNTER", format!("PIN {pin_ref:02X}"))?;
        Ok(())
    }

    /// WRITE KEY `80 D4 00 <key id> Lc usage algorithm max-tries value` (docs/cos.md): loads
    /// or replaces a key or PIN in the current DF. `algorithm`: `01` 3DES, `02` SM4, `00` for
    /// a PIN; `max_tries` `0` = unlimited.
    pub fn write_key(
        &mut self,
        key_id: u8,
        usage: KeyUsage,
        algorithm: u8,
        max_tries: u8,
        value: &Secret,
    ) -> Result<(), CardError> {
        if value.is_empty() || value.len() > 252 {
            return Err(CardError::BadArgument {
                command: "WRITE KEY",
                problem: format!("a key value of {} bytes", value.len()),
            });
        }
        let cmd = build::write_key(key_id, usage.byte(), algorithm, max_tries, value.expose());
        let what = if usage == KeyUsage::Pin { "PIN" } else { "key" };
        self.transmit_checked(&cmd, "WRITE KEY", format!("{what} {key_id:02X}"))?;
        Ok(())
    }
}

fn pin_len(command: &'static str, pin: &Secret) -> Result<(), CardError> {
    if pin.is_empty() || pin.len() > 127 {
        return Err(CardError::BadArgument {
            command,
            problem: format!("a PIN of {} bytes", pin.len()),
        });
    }
    Ok(())
}
