//! sscard: read, personalize, verify, enable and diagnose contact IC cards over PC/SC,
//! built first for China's social security card (社会保障卡), usable for any ISO 7816 card.
//!
//! Layers, each calling only those below it:
//! workflows (`perso`, `diagnose`, `conformance`, `script`) → card commands (`card`) →
//! `session` (security state) → `exchange` (61xx/6Cxx, tracing) → `transport` (PC/SC or the
//! virtual card in `sim`) → model (`apdu`, `atr`, `tlv`, `codec`, `profile`).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod atr;
pub mod batch;
pub mod card;
pub mod codec;
pub mod config;
pub mod conformance;
pub mod cos;
pub mod crypto;
pub mod diagnose;
pub mod exchange;
// The C interface is the one place with `unsafe` (C pointers); see its module doc.
#[allow(unsafe_code, non_snake_case)]
pub mod ffi;
pub mod init;
pub mod input;
pub mod journal;
pub mod perso;
pub mod photo;
pub mod profile;
pub mod record;
pub mod script;
pub mod session;
pub mod sim;
pub mod tlv;
pub mod trace;
pub mod transport;
