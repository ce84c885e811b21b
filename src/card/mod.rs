//! Card commands: one small method per ISO/IEC 7816-4 / 7816-9 command (plus WRITE KEY of
//! docs/cos.md), each checking the status word and failing with a [`CardError`] that names
//! the command, the file and the status word, with advice for the operator.
//!
//! Everything goes through [`Card`], a borrow of any [`Transport`] (a PC/SC reader or the
//! virtual card) with the [`ExchangeOptions`] to use; 61xx and 6Cxx are handled by
//! [`exchange`] below it.
//!
//! ```no_run
//! # fn demo(t: &mut dyn sscard::transport::Transport) -> Result<(), sscard::card::CardError> {
//! use sscard::card::{Card, Ef, RecordRef, SSSE_NAME};
//! let mut card = Card::new(t);
//! card.select_name(SSSE_NAME)?;
//! let ssn = card.read_element(Ef::Sfi(6), RecordRef::Tag(0x08))?; // 00 B2 08 30 00
//! # let _ = ssn; Ok(()) }
//! ```
//!
//! | command | method | bytes |
//! |---|---|---|
//! | SELECT | [`Card::select`], [`Card::select_fid`], [`Card::select_name`], [`Card::select_fcp`] | `00 A4 P1 P2` |
//! | READ / UPDATE BINARY | [`Card::read_binary`], [`Card::update_binary`] | `00 B0` / `00 D6` |
//! | READ / UPDATE / APPEND RECORD | [`Card::read_record`], [`Card::update_record`], [`Card::append_record`], [`Card::read_element`], [`Card::update_element`] | `00 B2` / `00 DC` / `00 E2` |
//! | CREATE / DELETE FILE | [`Card::create_file`], [`Card::delete_file`] | `00 E0` / `00 E4` |
//! | ACTIVATE / DEACTIVATE FILE | [`Card::activate_file`], [`Card::deactivate_file`] | `00 44` / `00 04` |
//! | GET CHALLENGE | [`Card::get_challenge`] | `00 84` |
//! | EXTERNAL / INTERNAL AUTHENTICATE | [`Card::external_authenticate`], [`Card::internal_authenticate`] | `00 82` / `00 88` |
//! | VERIFY | [`Card::verify`], [`Card::pin_state`] (no data: tries left) | `00 20` |
//! | CHANGE REFERENCE DATA | [`Card::change_reference_data`] | `00 24` |
//! | RESET RETRY COUNTER | [`Card::reset_retry_counter`] | `00 2C` |
//! | WRITE KEY (docs/cos.md) | [`Card::write_key`] | `80 D4` |
//! | GET RESPONSE | [`Card::get_response`] (raw; `exchange` does it automatically) | `00 C0` |
//! | anything else | [`Card::transmit_checked`], [`Card::transmit`] | |
//!
//! Each command's bytes are built by the pure functions of [`build`], which the plans of
//! `sscard init` and personalization use too.
//!
//! Section numbers refer to ISO/IEC 7816-4:2005; the file management commands are those of
//! ISO/IEC 7816-9.

pub mod advice;
mod auth;
pub mod build;
mod error;
mod files;

/// WRITE KEY takes a usage ([`card::Card::write_key`](Card::write_key)); its home is [`crate::cos`].
pub use crate::cos::KeyUsage;
pub use advice::advice;
pub use auth::PinState;
pub use error::CardError;
pub use files::{Ef, RecordRef, SelectBy, SelectReturn, Selected};

use crate::apdu::{Command, Response, Sw};
use crate::exchange::{ExchangeOptions, exchange};
use crate::transport::Transport;

/// DF name of the SSSE (`sx1.sh.社会保障`: ASCII `sx1.sh.` + GBK `社会保障`).
pub const SSSE_NAME: &[u8] = &[
    0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF,
];

/// A card to send commands to: a borrowed [`Transport`] and how to exchange with it.
///
/// Build one for the duration of a job (`Card::new(&mut *transport)`); it holds no state of
/// its own beyond the options, so several can be made in turn over the same transport.
pub struct Card<'a> {
    t: &'a mut dyn Transport,
    /// How `exchange` treats 61xx/6Cxx (automatic by default).
    pub opts: ExchangeOptions,
    /// CLA of the inter-industry commands (`00` by default).
    pub cla: u8,
}

impl<'a> Card<'a> {
    /// A card with the default exchange options (automatic GET RESPONSE, CLA `00`).
    pub fn new(t: &'a mut dyn Transport) -> Card<'a> {
        Card::with_options(t, ExchangeOptions::default())
    }

    /// A card with explicit exchange options.
    pub fn with_options(t: &'a mut dyn Transport, opts: ExchangeOptions) -> Card<'a> {
        Card { t, opts, cla: 0x00 }
    }

    /// The transport underneath (for resets, the ATR, transactions).
    pub fn transport(&mut self) -> &mut dyn Transport {
        &mut *self.t
    }

    /// The reader name (or `sim:PATH`), for messages.
    pub fn name(&self) -> String {
        self.t.name()
    }

    /// `cmd` (from [`build`]) with this card's CLA.
    fn with_cla(&self, mut cmd: Command) -> Command {
        cmd.cla = self.cla;
        cmd
    }

    /// Sends a command and returns the complete response, whatever its status word.
    pub fn transmit(&mut self, cmd: &Command) -> Result<Response, CardError> {
        Ok(exchange(&mut *self.t, cmd, &self.opts)?)
    }

    /// Sends a command and returns the response if the status word is `9000`; otherwise a
    /// [`CardError::Status`] naming `command` (e.g. `"UPDATE RECORD"`) and `target`
    /// (e.g. `"EF06 tag 08"`).
    pub fn transmit_checked(
        &mut self,
        cmd: &Command,
        command: &'static str,
        target: impl Into<String>,
    ) -> Result<Response, CardError> {
        self.transmit_accepting(cmd, command, target, &[])
    }

    /// Like [`transmit_checked`](Self::transmit_checked), also accepting the status words in
    /// `also_ok` (e.g. `6283` for SELECT of a deactivated DF).
    pub fn transmit_accepting(
        &mut self,
        cmd: &Command,
        command: &'static str,
        target: impl Into<String>,
        also_ok: &[Sw],
    ) -> Result<Response, CardError> {
        let r = self.transmit(cmd)?;
        if r.sw == Sw::OK || also_ok.contains(&r.sw) {
            Ok(r)
        } else {
            Err(CardError::Status {
                command,
                ins: cmd.ins,
                target: target.into(),
                sw: r.sw,
            })
        }
    }

    /// GET RESPONSE (ISO/IEC 7816-4 §7.6.1): fetches `le` bytes waiting after a `61xx`, sent
    /// raw (no automatic handling), with the CLA of the exchange options.
    pub fn get_response(&mut self, le: usize) -> Result<Response, CardError> {
        let mut cmd = build::get_response(le);
        cmd.cla = self.opts.get_response_cla;
        let raw = ExchangeOptions {
            auto: false,
            ..self.opts
        };
        let r = exchange(&mut *self.t, &cmd, &raw)?;
        if r.sw == Sw::OK || r.sw.bytes_available().is_some() {
            Ok(r)
        } else {
            Err(CardError::Status {
                command: "GET RESPONSE",
                ins: advice::ins::GET_RESPONSE,
                target: String::new(),
                sw: r.sw,
            })
        }
    }
}

/// A file identifier or DF name in words: `3F00`, `DF 'sx1.sh.社会保障'`.
pub fn describe_name(name: &[u8]) -> String {
    let (text, _, bad) = encoding_rs::GBK.decode(name);
    if !bad && text.chars().all(|c| !c.is_control()) {
        format!("DF '{text}'")
    } else {
        format!("DF {}", crate::apdu::compact(name))
    }
}

#[cfg(test)]
mod tests;
